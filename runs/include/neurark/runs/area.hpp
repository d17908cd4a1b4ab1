// neurark/runs/area.hpp: the hardware cost a run reports — today the RTL blocks' Yosys cell
// counts at the default chip's parameters (scripts/rtl-area.sh writes rtl/area.json, compiled into
// this library; docs/rtl-area.md), summed per neurocore and for a chip's neurocores.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "neurark/arch/chip.hpp"

namespace neurark::runs {

struct AreaBlock {
  std::string block, top;
  int64_t cells = 0, flip_flops = 0, transistors_estimate = 0;
  std::string what;                    // the configuration synthesized
};

struct AreaFigures {
  std::string source;                  // how the figures were made
  std::string parameters;              // whose parameters (the default chip's)
  std::vector<AreaBlock> blocks;
  int64_t cells_per_neurocore = 0;     // the datapath blocks and a router (the neurocore top not again)
  int64_t transistors_per_neurocore_estimate = 0;
  int64_t neurocores = 0;
  int64_t chip_cells = 0, chip_transistors_estimate = 0;
};

// The area table for `chip`'s neurocore count; none in a build without the table.
std::optional<AreaFigures> rtl_area(const arch::ChipDescription& chip);

}  // namespace neurark::runs
