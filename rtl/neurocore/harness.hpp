// SPDX-License-Identifier: Apache-2.0
// rtl/neurocore/harness.hpp: the harness of the RTL neurocore (nrk_neurocore through
// neurark::rtl::NeurocoreSim), for neurark/rtl/verify.hpp's list.
//
// Block "neurocore", one BlockResult per source:
//   - random (VerifyOptions::seed, about VerifyOptions::vectors events): cores holding several
//     random tiles, phases that run some tiles' events (a tile sometimes twice, so accumulators
//     are spilled and resumed) and take their accumulators, random readout scales and stalls;
//   - edge cases: four 256 x 256 tiles filling the SRAM, every accumulator (1024 rows) with
//     q = -128 on -1 weights, fan-in 6912, every rows 1..NumAccumulators at every reachable column
//     offset, input FIFO full, readout backpressure, spills, q = 0, the reserved code (inside
//     the tile: error; in the padding bits: none) and every misuse NeurocoreSim refuses;
//   - with VerifyOptions::trace_path, the event trace replay: each token's and BitLinear's `in`
//     events, grouped by tile, through run_events, each `acc` record compared with
//     take_accumulators.
// Vectors: every event (its cycles against neurocore_event_cycles, its synaptic operations
// against arch::accumulate_event and, in a trace, the recorded `sops`), every take (the
// accumulators against arch::accumulate_event and, in a trace, the `acc` record), every hardware
// readout (the requantizer's outputs against arch::requantize), every expected refusal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neurark/rtl/verify.hpp"

namespace neurark::rtl {

// "neurocore".
std::vector<BlockHarness> neurocore_harnesses();

namespace neurocore {

BlockResult run_random(const VerifyOptions& o);
BlockResult run_edge_cases(const VerifyOptions& o);

// The trace replay, with what it measured.
struct TraceReplay {
  BlockResult result;
  int64_t events = 0;              // `in` records replayed
  int64_t rtl_event_cycles = 0;    // sum of the RTL's per-event cycles
  int64_t trace_lane_cycles = 0;   // sum of the trace's `lane_cycles` (the model's rule)
  int64_t accumulator_checks = 0;  // `acc` records compared
  double wall_seconds = 0;         // the replay (tile loads included), not the trace reading
};
TraceReplay replay_trace(const std::string& path, const VerifyOptions& o);

}  // namespace neurocore
}  // namespace neurark::rtl
