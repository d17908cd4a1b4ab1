// The RTL area table of a run: see neurark/runs/area.hpp.
#include "neurark/runs/area.hpp"

#include <nlohmann/json.hpp>

extern const char* const kNeurarkAreaJson;  // rtl/area.json, compiled in (runs/CMakeLists.txt)

namespace neurark::runs {

std::optional<AreaFigures> rtl_area(const arch::ChipDescription& chip) {
  const nlohmann::json blocks = nlohmann::json::parse(kNeurarkAreaJson, nullptr, false);
  if (blocks.is_discarded() || !blocks.is_array() || blocks.empty()) return std::nullopt;
  AreaFigures a;
  a.source = "scripts/rtl-area.sh: Yosys synth -flatten, generic gates, SRAM and LUT macros as black boxes";
  a.parameters = "the default chip's (arch/chips/default-4x4.yaml), not necessarily this chip's";
  for (const nlohmann::json& b : blocks) {
    AreaBlock blk{b.at("block").get<std::string>(), b.at("top").get<std::string>(), b.at("cells").get<int64_t>(),
                  b.at("flip_flops").get<int64_t>(), b.at("transistors_estimate").get<int64_t>(), b.at("what").get<std::string>()};
    if (blk.block != "neurocore") {  // the top is the sum of its parts, counted once
      a.cells_per_neurocore += blk.cells;
      a.transistors_per_neurocore_estimate += blk.transistors_estimate;
    }
    a.blocks.push_back(std::move(blk));
  }
  a.neurocores = chip.total_cores();
  a.chip_cells = a.cells_per_neurocore * a.neurocores;
  a.chip_transistors_estimate = a.transistors_per_neurocore_estimate * a.neurocores;
  return a;
}

}  // namespace neurark::runs
