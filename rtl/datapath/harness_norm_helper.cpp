// SPDX-License-Identifier: Apache-2.0
// Harness of nrk_norm_helper (the Verilated model Vnrk_norm_helper): see harness_norm_helper.hpp.
#include "Vnrk_norm_helper.h"
#include "harness_norm_helper.hpp"
#include "harness.hpp"

namespace neurark::rtl::datapath {

BlockHarness norm_helper_harness() {
  return {"norm_helper", "nrk_norm_helper: sum of squares, absmax, block shift, normalize vs arch::sum_squares, absmax, block_shift, normalize_block", [](const VerifyOptions& o) { return run_norm_helper<Vnrk_norm_helper>(o); }};
}

}  // namespace neurark::rtl::datapath
