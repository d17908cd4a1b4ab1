// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: safetensors files (models::SafetensorsFile::open, then every tensor read as
// float32 as the importer does).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/models/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string path = neurark::fuzz::as_file(data, size, ".safetensors");
  try {
    const auto f = neurark::models::SafetensorsFile::open(path);
    for (const auto& t : f.tensors()) (void)f.read_f32(t.name);
  } catch (const neurark::Error&) {
  }
  return 0;
}
