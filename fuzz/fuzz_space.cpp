// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: sweep spaces (sweeps::Space::from_file) and the points they make
// (sweeps::make_point, point_chip). Any input must either be read, every point's chip made or
// refused with neurark::Error, or be refused with neurark::Error itself; nothing else.
//
// A space names files relative to itself: the input is written as space.yaml into a folder that
// also holds base.yaml (the tiny test chip), model/ (a link to the tiny test model) and
// prompt.txt, so that the seeds (corpus/space/) reach past the file checks.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "neurark/arch/error.hpp"
#include "neurark/sweeps/space.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path& workdir() {
  static const fs::path dir = [] {
    const fs::path d = fs::temp_directory_path() / ("neurark-fuzz-space-" + std::to_string(::getpid()));
    fs::create_directories(d);
    fs::copy_file(fs::path(NEURARK_SOURCE_DIR) / "tests/fixtures/tiny-3x2.yaml", d / "base.yaml",
                  fs::copy_options::overwrite_existing);
    std::error_code ec;
    fs::create_directory_symlink(fs::path(NEURARK_SOURCE_DIR) / "tests/fixtures/tiny", d / "model", ec);
    std::ofstream(d / "prompt.txt") << "ROMEO: ";
    return d;
  }();
  return dir;
}

}  // namespace

// libsystemc (linked through neurark_sweeps -> neurark_runs -> neurark_sim) refers to sc_main;
// this target never starts SystemC.
extern "C" int sc_main(int, char*[]) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const fs::path file = workdir() / "space.yaml";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    const neurark::sweeps::Space space = neurark::sweeps::Space::from_file(file.string());
    const int64_t n = space.grid_size();
    for (int64_t i = 0; i < n && i < 64; ++i) {
      const neurark::sweeps::Point p = neurark::sweeps::make_point(space, i);
      try {
        (void)neurark::sweeps::point_chip(p, "point.yaml");
      } catch (const neurark::Error&) {
      }
    }
  } catch (const neurark::Error&) {
  }
  return 0;
}
