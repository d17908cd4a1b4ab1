// SPDX-License-Identifier: Apache-2.0
// Report folders written all at once (internal to reports/): report.cpp's run report and
// noc_report.cpp's noc report.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace neurark::reports::detail {

// Writes `text` to `p` (binary). Throws neurark::Error naming the file.
void write_file(const std::filesystem::path& p, const std::string& text);

// Writes a report folder `dir` (a new or empty folder): `fill` writes its files into a temporary
// folder next to it, which is then renamed to `dir`; on any error the temporary folder is removed
// and nothing is left. Throws neurark::Error ("<dir>: exists and is not an empty folder; ...",
// "cannot create", "cannot move ... into place") and whatever `fill` throws.
void write_report_folder(const std::string& dir, const std::function<void(const std::filesystem::path& tmp)>& fill);

}  // namespace neurark::reports::detail
