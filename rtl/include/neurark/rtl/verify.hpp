// SPDX-License-Identifier: Apache-2.0
// neurark/rtl/verify.hpp: the RTL block harnesses, as one library call per block.
//
// rtl/ owns synthesizable SystemVerilog re-implementations of arch/ arithmetic (the neurocore
// datapath and the mesh router). Each block has a Verilator harness that drives the Verilated
// block transaction by transaction (or cycle by cycle) and compares every output with the arch/
// function that defines it (docs/numerics.md, arch/weight_memory.hpp). `neurark verify-rtl` and
// the Catch2 tests (ctest label rtl) call the harnesses through this header.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "neurark/arch/chip.hpp"

namespace neurark::rtl {

struct VerifyOptions {
  uint64_t seed = 1;          // random vectors: printed in the result's `source`
  int64_t vectors = 10000;    // random vectors per block (edge cases are always added)
  std::string trace_path;     // an event trace (traces/README.md) to replay, "" for none
  std::string fst_path;       // write an FST waveform of the block here, "" for none
  // The chip whose parameters the blocks that follow a chip (lane_array, router, mesh, neurocore)
  // take (neurark/rtl/chip_params.hpp; models built on demand when not compiled in). Unset: the
  // default chip's, and the mesh harness also runs the tiny-3x2 variant (rtl/noc/CMakeLists.txt).
  std::optional<arch::ChipDescription> chip;
};

// The chip a harness runs at: VerifyOptions::chip, else the default chip (arch::ChipDescription's
// defaults are arch/chips/default-4x4.yaml's parameters).
arch::ChipDescription verify_chip(const VerifyOptions& o);

// One harness run of one block on one vector source.
struct BlockResult {
  std::string block;          // e.g. "requantize", "lane_array"
  std::string source;         // "random seed 1", "edge cases", "trace traces/samples/..."
  int64_t vectors = 0;        // transactions compared
  int64_t mismatches = 0;
  int64_t cycles = 0;         // clock cycles simulated
  std::string first_mismatch; // inputs, expected and actual of the first failing transaction
};

struct BlockHarness {
  std::string name;
  std::string description;
  std::function<std::vector<BlockResult>(const VerifyOptions&)> run;
  std::string area = {};      // rtl/<area>/ that holds the block: set by block_harnesses()
};

// Every block harness, in a fixed order: rtl/datapath/, rtl/noc/, rtl/neurocore/. The Catch2
// tests of each area walk this list (rtl/src/harness_test.hpp): every block registered here is
// tested.
const std::vector<BlockHarness>& block_harnesses();

}  // namespace neurark::rtl
