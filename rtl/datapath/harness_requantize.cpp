// SPDX-License-Identifier: Apache-2.0
// Harness of nrk_requantize (the Verilated model Vnrk_requantize): see harness_requantize.hpp.
#include "Vnrk_requantize.h"
#include "harness_requantize.hpp"
#include "harness.hpp"

namespace neurark::rtl::datapath {

BlockHarness requantize_harness() {
  return {"requantize", "nrk_requantize: round_half_away(acc * S) saturated vs arch::requantize", [](const VerifyOptions& o) { return run_requantize<Vnrk_requantize>(o); }};
}

}  // namespace neurark::rtl::datapath
