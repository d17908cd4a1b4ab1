// Harness of nrk_lane_array (the Verilated model Vnrk_lane_array): see harness_lane_array.hpp.
#include "Vnrk_lane_array.h"
#include "harness_lane_array.hpp"
#include "harness.hpp"

namespace neurark::rtl::datapath {

BlockHarness lane_array_harness() {
  return {"lane_array", "nrk_lane_array + nrk_synapse_sram: packed2 ternary accumulate of one event over 16 lanes vs arch::accumulate_event", [](const VerifyOptions& o) { return run_lane_array<Vnrk_lane_array>(o); }};
}

}  // namespace neurark::rtl::datapath
