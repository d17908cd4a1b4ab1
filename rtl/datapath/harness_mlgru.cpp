// SPDX-License-Identifier: Apache-2.0
// Harness of nrk_mlgru (the Verilated model Vnrk_mlgru): see harness_activation.hpp.
#include "Vnrk_mlgru.h"
#include "harness_activation.hpp"
#include "harness.hpp"

namespace neurark::rtl::datapath {

BlockHarness mlgru_harness() {
  return {"mlgru", "nrk_mlgru: MLGRU channel update vs arch::mlgru_channel_q16 and its parts", [](const VerifyOptions& o) { return run_mlgru<Vnrk_mlgru>(o); }};
}

}  // namespace neurark::rtl::datapath
