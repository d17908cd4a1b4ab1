// SPDX-License-Identifier: Apache-2.0
// rtl/datapath/harness.hpp: the harnesses of the neurocore datapath blocks (rtl/datapath/sv),
// for neurark/rtl/verify.hpp's list.
#pragma once

#include <vector>

#include "neurark/rtl/verify.hpp"

namespace neurark::rtl {

// lane_array, requantize, activation, mlgru, norm_helper, event_out: each run gives one
// BlockResult per vector source (random with VerifyOptions::seed, edge cases).
std::vector<BlockHarness> datapath_harnesses();

namespace datapath {
BlockHarness lane_array_harness();
BlockHarness requantize_harness();
BlockHarness activation_harness();
BlockHarness mlgru_harness();
BlockHarness norm_helper_harness();
BlockHarness event_out_harness();
}  // namespace datapath

}  // namespace neurark::rtl
