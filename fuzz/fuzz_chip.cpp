// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: chip descriptions (arch::ChipDescription::from_yaml_text). Any input must
// either parse into a valid description or throw neurark::Error; nothing else (no crash, no other
// exception, no sanitizer report).
#include <cstddef>
#include <cstdint>
#include <string>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/noc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  try {
    const auto chip = neurark::arch::ChipDescription::from_yaml_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
    (void)neurark::arch::MeshGrid::of(chip).links();
  } catch (const neurark::Error&) {
  }
  return 0;
}
