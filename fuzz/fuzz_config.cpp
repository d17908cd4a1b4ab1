// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: HF config.json (models::HGRNBitConfig::from_json_text).
#include <cstddef>
#include <cstdint>
#include <string>

#include "neurark/arch/error.hpp"
#include "neurark/models/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  try {
    (void)neurark::models::HGRNBitConfig::from_json_text(std::string(reinterpret_cast<const char*>(data), size), "config.json");
  } catch (const neurark::Error&) {
  }
  return 0;
}
