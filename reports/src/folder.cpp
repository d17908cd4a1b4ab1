// SPDX-License-Identifier: Apache-2.0
// Report folders written all at once: see folder.hpp.
#include "folder.hpp"

#include <unistd.h>

#include <fstream>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"

namespace neurark::reports::detail {

namespace fs = std::filesystem;

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
  if (!f) throw Error(fmt::format("{}: cannot write the report file", p.string()));
}

void write_report_folder(const std::string& dir, const std::function<void(const fs::path& tmp)>& fill) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    throw Error(fmt::format("{}: exists and is not an empty folder; reports go to a new folder", dir));
  const fs::path tmp = fs::path(dir).parent_path() / fmt::format(".{}.tmp-{}", fs::path(dir).filename().string(), ::getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw Error(fmt::format("{}: cannot create the report folder: {}", tmp.string(), ec.message()));
  try {
    fill(tmp);
    fs::remove(dir, ec);  // an empty folder given as --out
    fs::rename(tmp, dir, ec);
    if (ec) throw Error(fmt::format("{}: cannot move the report into place: {}", dir, ec.message()));
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace neurark::reports::detail
