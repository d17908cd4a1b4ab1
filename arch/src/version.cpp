// SPDX-License-Identifier: Apache-2.0
// Which neurark made a result, and where its bundled data is: see neurark/arch/version.hpp.
#include "neurark/arch/version.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"

namespace neurark::arch {

namespace fs = std::filesystem;

const char* version() { return NEURARK_VERSION; }

nlohmann::json producer_json() { return {{"tool", "neurark"}, {"version", version()}, {"commit", git_commit()}}; }

nlohmann::json image_producer_json() { return {{"tool", "neurark"}, {"version", version()}}; }

std::string installed_data_dir() {
  std::error_code ec;
  if (const char* d = std::getenv("NEURARK_DATA_DIR"); d != nullptr && *d != '\0') {
    if (!fs::is_directory(fs::path(d) / "arch" / "chips", ec))
      throw Error(fmt::format("$NEURARK_DATA_DIR={}: not a neurark data folder (expected arch/chips/ in it, as in "
                              "<prefix>/share/neurark of an installed neurark)", d));
    return d;
  }
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const fs::path share = exe.parent_path().parent_path() / "share" / "neurark";
  return fs::is_directory(share / "arch" / "chips", ec) ? share.string() : std::string();
}

std::string bundled_path(const std::string& relative, const std::string& data_dir) {
  std::error_code ec;
  if (relative.empty() || fs::path(relative).is_absolute() || fs::exists(relative, ec)) return relative;
  for (const std::string& dir : {installed_data_dir(), data_dir})
    if (!dir.empty() && fs::exists(fs::path(dir) / relative, ec)) return (fs::path(dir) / relative).string();
  return relative;
}

}  // namespace neurark::arch
