// SPDX-License-Identifier: Apache-2.0
// neurark/rtl/synth.hpp: Yosys synthesis of the rtl/ blocks at a chip's parameters, for the area
// model.
//
// synthesize(chip) synthesizes the blocks of the area table (rtl/blocks.json "area_table":
// lane_array, requantize, activation, mlgru, norm_helper, event_out, router) at the chip's
// parameters (neurark/rtl/chip_params.hpp) with the Yosys script scripts/rtl-area.sh always used:
//   read_verilog -sv nrk_pkg.sv; read_verilog -sv -lib <memories>; read_verilog -sv <logic>;
//   chparam -set <Name> <value> ... <top>; synth -flatten -top <top>; stat -tech cmos
// Memories (the synapse SRAM, the sigmoid LUT) are read as black boxes: one cell each, as SRAM or
// ROM macros would be, listed in BlockArea::macros with their capacity. Each block's result is
// cached like the Verilated models (neurark/rtl/build.hpp): <cache>/synth-<block>-<hash>/, the
// hash covering the parameters, the sources read, the script and Yosys's version; a second call
// reads it back without running Yosys. Progress on stderr (or SynthOptions::progress): the lane
// array of a large chip takes minutes (its accumulators are flip-flops).
//
// What the numbers are (generic gates, no technology library: turn them into area with a cell
// area per node, docs/rtl-area.md):
//   cells                 Yosys's "Number of cells" after synth -flatten: generic one- and
//                         two-input gates ($_AND_, $_OR_, $_XOR_, $_MUX_, $_NOT_ ...), flip-flops
//                         ($_DFF*, $_SDFF*) and one cell per black-box macro
//   flip_flops            the flip-flop cells among them (every state bit outside the macros:
//                         accumulators, FIFOs, tile table, routing tables, pipeline registers)
//   macro_cells           the black-box cells among them (= macros.size())
//   transistors_estimate  Yosys's stat -tech cmos CMOS transistor estimate of the gates and
//                         flip-flops (the macros count nothing; a lower bound: Yosys prints "+")
//   macros                each black box: module, instance, words x word bits = bits of storage
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/rtl/build.hpp"

namespace neurark::rtl {

struct MacroInstance {
  std::string module;    // "nrk_synapse_sram", "nrk_sigmoid_lut"
  std::string instance;  // its cell in the flattened netlist, e.g. "u_sram"
  std::string what;      // "synapse SRAM", "sigmoid LUT (four banks: 257 + 257 + 256 + 256 entries)"
  int64_t words = 0;
  int64_t word_bits = 0;
  int64_t bits = 0;      // words x word_bits: the macro's capacity
};

struct BlockArea {
  std::string block;          // rtl/blocks.json name
  std::string top;            // top module
  RtlParams params;           // chparam -set values (empty: the block's defaults; no chip parameter)
  std::string configuration;  // "16 lanes, 1,024 int32 accumulators, 64-bit port (64 KB SRAM as a macro)"
  int64_t cells = 0;
  int64_t flip_flops = 0;
  int64_t macro_cells = 0;
  int64_t transistors_estimate = 0;
  std::vector<MacroInstance> macros;
  std::map<std::string, int64_t> cell_types;  // every cell type of the netlist and its count
  bool cached = false;        // read back from the cache (Yosys not run)
  double seconds = 0;         // Yosys's wall time when run here
};

struct SynthResult {
  std::string chip;           // its name
  std::string yosys;          // "Yosys 0.23 (git sha1 7ce5011c24b)"
  std::vector<BlockArea> blocks;  // in rtl/blocks.json's order
};

struct SynthOptions {
  std::vector<std::string> blocks;  // empty: the area table's
  std::string cache_dir;            // "" : rtl_cache_dir()
  std::function<void(const std::string&)> progress;  // unset: stderr, "rtl: ..."
};

// The blocks of the area table, in order.
std::vector<std::string> area_table_blocks();

// The synthesis parameters of `block` at `chip` (chparam values; empty for a block that has
// none). Throws neurark::Error naming what the RTL cannot take (neurark/rtl/chip_params.hpp).
RtlParams synth_params(const std::string& block, const arch::ChipDescription& chip);

// One block at `params` (cached). Throws neurark::Error if Yosys fails or is not installed.
BlockArea synthesize_block(const std::string& block, const RtlParams& params, const SynthOptions& options = {});

// Every block of options.blocks (default: the area table's) at `chip`'s parameters.
SynthResult synthesize(const arch::ChipDescription& chip, const SynthOptions& options = {});

}  // namespace neurark::rtl
