// SPDX-License-Identifier: Apache-2.0
// Paths of the committed fixtures the tests read: the bundled model and its golden logits.
// NEURARK_TEST_MODEL / NEURARK_TEST_GOLDEN override them (e.g. to check a retrained model).
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace neurark::test {

inline std::string source_dir() {
  const char* env = std::getenv("NEURARK_SOURCE_DIR");
  return env != nullptr ? env : NEURARK_SOURCE_DIR;
}

inline std::string default_model_dir() {
  const char* env = std::getenv("NEURARK_TEST_MODEL");
  return env != nullptr ? env : source_dir() + "/models/zoo/shakespeare-d256-l4";
}

inline std::string golden_path() {
  const char* env = std::getenv("NEURARK_TEST_GOLDEN");
  return env != nullptr ? env : source_dir() + "/tests/golden/shakespeare-d256-l4.golden.safetensors";
}

// The whole content of a file ("" if it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string heldout_path() { return source_dir() + "/data/tinyshakespeare/heldout.txt"; }

}  // namespace neurark::test
