// neurark/runs/hardware_cost.hpp: what a design point costs in silicon — area and leakage per
// block of a neurocore, per neurocore and for the chip (docs/energy-model.md, "Area and
// leakage").
//
// A neurocore is its logic blocks (the RTL's lane array, requantizer, activation unit, MLGRU
// unit, norm helper, event output and router, synthesized by Yosys: gate equivalents = Yosys's
// CMOS transistor estimate / 4, the transistors of a NAND2) and its memories as macros (the
// synapse SRAM, the neuron state memory, the input and output event FIFOs, the sigmoid LUT).
// The technology cost table (arch/technology.hpp) turns gate equivalents and bits into µm² and
// watts at the chip's node and operating supply. Neurocores that hold no tiles are power-gated
// when the chip says so (power.gate_unused_cores): their datapath keeps the table's
// gated_leakage_fraction; their router stays on (it forwards other cores' traffic).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/technology.hpp"

namespace neurark::runs {

// One block of a neurocore.
struct CostBlock {
  std::string block;             // "lane_array", ..., "router", "synapse_sram", ...
  std::string what;              // what it is at this design point
  bool memory = false;           // a macro (area from bits) rather than synthesized logic
  bool gateable = true;          // false for the router: it stays on in a gated core
  double gate_equivalents = 0.0; // logic: NAND2 equivalents
  int64_t cells = 0, flip_flops = 0;  // logic: Yosys cells and flip-flops
  double bits = 0.0;             // memory: capacity in bits
  double area_um2 = 0.0;
  double leakage_w = 0.0;        // at the operating supply, powered
};

struct HardwareCost {
  std::string technology;        // the cost table's name
  std::string logic_parameters;  // whose parameters the logic was synthesized at
  int64_t node_nm = 0;
  double voltage_v = 0.0;        // the supply leakage is priced at
  std::vector<CostBlock> blocks; // one neurocore
  double neurocore_area_mm2 = 0.0, neurocore_leakage_w = 0.0;
  double gated_neurocore_leakage_w = 0.0;  // a power-gated neurocore (datapath gated, router on)
  int64_t neurocores = 0, gated_neurocores = 0;
  std::vector<double> core_leakage_w;      // per neurocore, gated or not
  double chip_area_mm2 = 0.0, chip_leakage_w = 0.0;
  double gated_leakage_fraction = 1.0, wake_up_ns = 0.0;
};

// The cost of `chip` with technology table `tech` at supply `voltage_v` (<= 0: the table's
// leakage supply at the node), with `cores_with_tiles` (neurocore indices) powered when the chip
// gates unused cores. Logic figures: the RTL synthesized at the default chip's parameters (the
// Yosys table compiled in from rtl/area.json) until synthesis at any design point is wired in;
// `logic_parameters` says which. Returns none in a build without the Yosys table.
std::optional<HardwareCost> hardware_cost(const arch::ChipDescription& chip, const arch::TechnologyTable& tech,
                                          double voltage_v, const std::vector<int>& cores_with_tiles);

}  // namespace neurark::runs
