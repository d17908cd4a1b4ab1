// SPDX-License-Identifier: Apache-2.0
// Atomic file writes: see files.hpp.
#include "files.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"

namespace neurark::sweeps::detail {

void write_atomic(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const std::string tmp = path + fmt::format(".tmp-{}", ::getpid());
  std::error_code ec;
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) {
      fs::remove(tmp, ec);
      throw Error(fmt::format("{}: cannot write", path));
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error(fmt::format("{}: cannot write ({})", path, ec.message()));
  }
}

}  // namespace neurark::sweeps::detail
