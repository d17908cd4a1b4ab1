// SPDX-License-Identifier: Apache-2.0
// Harness of nrk_activation (the Verilated model Vnrk_activation): see harness_activation.hpp.
#include "Vnrk_activation.h"
#include "harness_activation.hpp"
#include "harness.hpp"

namespace neurark::rtl::datapath {

BlockHarness activation_harness() {
  return {"activation", "nrk_activation: sigmoid LUT interpolation and SiLU vs arch::sigmoid_q24, arch::silu_q16", [](const VerifyOptions& o) { return run_activation<Vnrk_activation>(o); }};
}

}  // namespace neurark::rtl::datapath
