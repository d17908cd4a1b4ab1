// SPDX-License-Identifier: Apache-2.0
// Harness of nrk_event_out (the Verilated model Vnrk_event_out): see harness_event_out.hpp.
#include "Vnrk_event_out.h"
#include "harness_event_out.hpp"
#include "harness.hpp"

namespace neurark::rtl::datapath {

BlockHarness event_out_harness() {
  return {"event_out", "nrk_event_out: absmax quantization and event packets vs arch::quantize_absmax, arch::pack_event", [](const VerifyOptions& o) { return run_event_out<Vnrk_event_out>(o); }};
}

}  // namespace neurark::rtl::datapath
