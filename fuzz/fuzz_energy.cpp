// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: energy tables (arch::EnergyTable::from_yaml_text, at_node, sram_pj). Valid or
// neurark::Error, and a valid table prices without NaN.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "neurark/arch/energy.hpp"
#include "neurark/arch/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  try {
    const auto t = neurark::arch::EnergyTable::from_yaml_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
    for (const std::string& a : {"sram_read_64b", "sram_write_64b"})
      for (int64_t bytes : {1, 4096, 65536, 1 << 24})
        if (!std::isfinite(t.sram_pj(a, bytes, 64))) std::abort();  // a table that validates prices finitely
    (void)t.at_node(t.node_nm);
  } catch (const neurark::Error&) {
  }
  return 0;
}
