// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the libFuzzer targets (fuzz/README.md): the input as a file, for readers that
// take a path.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace neurark::fuzz {

// Writes the input to this process's scratch file (in /dev/shm when it exists) and returns its
// path; the same path every call, rewritten each time.
inline std::string as_file(const uint8_t* data, std::size_t size, const char* suffix) {
  static const std::string dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  const std::string path = dir + "/neurark-fuzz-" + std::to_string(::getpid()) + suffix;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace neurark::fuzz
