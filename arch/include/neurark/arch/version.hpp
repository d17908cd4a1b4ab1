// SPDX-License-Identifier: Apache-2.0
// neurark/arch/version.hpp: which neurark made a result.
//
// The version (project(VERSION) in CMakeLists.txt) and the git commit of the source tree the
// build was made from (12 hex digits, "-dirty" when tracked files had changes, "unknown" outside
// a git checkout; read at every build by cmake/NeurarkGitCommit.cmake). Every report records both
// and every chip image the version (`producer`: docs/report-format.md, docs/image-format.md);
// `neurark --version` prints them with the SystemC and Verilator versions.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace neurark::arch {

namespace detail {
extern const char* const kGitCommit;
}  // namespace detail

// "0.1.0"
const char* version();
// "9a267a9c0d1e" or "9a267a9c0d1e-dirty" or "unknown"
inline const char* git_commit() { return detail::kGitCommit; }
// {"tool": "neurark", "version": version(), "commit": git_commit()}: the `producer` of reports.
nlohmann::json producer_json();
// {"tool": "neurark", "version": version()}: the `producer` of chip images. No commit: an image is
// a function of the checkpoint, the chip, the seed and the compiler's version, and compiling the
// same inputs at two commits that leave the compiler alone must give the same bytes (and the same
// checksum, which event traces record).
nlohmann::json image_producer_json();

// The data folder of an installed neurark (`cmake --install`): <prefix>/share/neurark, holding
// arch/ (chips, energy and technology tables), models/zoo/, traces/prompts/ and rtl/:
// $NEURARK_DATA_DIR when set, else the one next to the running executable (<prefix>/bin/..), else
// "" (a build tree's build/neurark, a Python interpreter, a test). Throws neurark::Error if
// $NEURARK_DATA_DIR is set to a folder without arch/chips/ (it is never silently ignored).
std::string installed_data_dir();

// A bundled file named relative to the repository root ("arch/chips/default-4x4.yaml"): the path
// itself when it exists from the working folder (the repository root: what the commands have
// always done), else the same file in installed_data_dir(), else in `data_dir` (a caller's own
// data folder, e.g. the installed Python module's <prefix>/share/neurark); the path unchanged when
// none has it (the caller's error then names it). Never the source tree neurark was built from.
// Throws as installed_data_dir.
std::string bundled_path(const std::string& relative, const std::string& data_dir = "");

}  // namespace neurark::arch
