// SPDX-License-Identifier: Apache-2.0
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
#include <functional>
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

// The synthesized logic of one block of a neurocore: Yosys generic gates after synth -flatten
// (neurark/rtl/synth.hpp, docs/rtl-area.md).
struct LogicBlock {
  std::string block, top;        // rtl/blocks.json name, top module
  std::string what;              // its configuration at these parameters
  std::string params;            // the Verilog parameters it was synthesized at ("Name=v,..."; "" none)
  int64_t cells = 0, flip_flops = 0, transistors_estimate = 0;
};

// The logic blocks of a neurocore, and whose parameters they were synthesized at.
struct LogicTable {
  std::vector<LogicBlock> blocks;
  bool this_chip = false;        // synthesized at the chip's own parameters
  std::string parameters;        // says whose, and why when not the chip's
};

// The table compiled in from rtl/area.json (Yosys at the default chip's parameters); none in a
// build without it.
std::optional<LogicTable> compiled_logic_table();

struct LogicOptions {
  bool synthesize = true;  // false: never run Yosys (the compiled table when the parameters differ)
  std::function<void(const std::string&)> progress;  // Yosys progress lines; unset: stderr
  std::function<void(const std::string&)> warning;   // a block priced at the default chip's; unset: stderr
};

// The logic of `chip`'s neurocore: the compiled table when the chip's RTL parameters are those it
// was synthesized at (no Yosys run); else, in a build with the RTL (NEURARK_BUILD_RTL) and with
// Yosys installed, neurark::rtl::synthesize(chip) (cached by a hash of the parameters, sources and
// Yosys: minutes the first time for a lane array with thousands of accumulators, then read back);
// a block the RTL cannot take at this chip (e.g. the router of a chip with router latency 0) keeps
// the default chip's figures, with a warning; without the RTL, without Yosys or with synthesis
// turned off, the compiled table. `parameters` says which and why. None in a build without the
// compiled table.
std::optional<LogicTable> logic_table(const arch::ChipDescription& chip, const LogicOptions& options = {});

// The cost of `chip` with technology table `tech` at supply `voltage_v` (<= 0: the table's
// leakage supply at the node), its logic from `logic`, with `cores_with_tiles` (neurocore indices)
// powered when the chip gates unused cores. Memories are sized from the chip's parameters.
HardwareCost hardware_cost(const arch::ChipDescription& chip, const arch::TechnologyTable& tech, double voltage_v,
                           const std::vector<int>& cores_with_tiles, const LogicTable& logic);

}  // namespace neurark::runs
