// SPDX-License-Identifier: Apache-2.0
// Which neurark made a result, and where its bundled data is: see neurark/arch/version.hpp.
#include "neurark/arch/version.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace neurark::arch {

namespace fs = std::filesystem;

const char* version() { return NEURARK_VERSION; }

nlohmann::json producer_json() { return {{"tool", "neurark"}, {"version", version()}, {"commit", git_commit()}}; }

nlohmann::json image_producer_json() { return {{"tool", "neurark"}, {"version", version()}}; }

std::string installed_data_dir() {
  if (const char* d = std::getenv("NEURARK_DATA_DIR"); d != nullptr && *d != '\0') return d;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const fs::path share = exe.parent_path().parent_path() / "share" / "neurark";
  return fs::is_directory(share / "arch" / "chips", ec) ? share.string() : std::string();
}

std::string bundled_path(const std::string& relative) {
  std::error_code ec;
  if (relative.empty() || fs::path(relative).is_absolute() || fs::exists(relative, ec)) return relative;
  if (const std::string share = installed_data_dir(); !share.empty() && fs::exists(fs::path(share) / relative, ec))
    return (fs::path(share) / relative).string();
  if (const fs::path src = fs::path(NEURARK_SOURCE_DIR) / relative; fs::exists(src, ec)) return src.string();
  return relative;
}

}  // namespace neurark::arch
