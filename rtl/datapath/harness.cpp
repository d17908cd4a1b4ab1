// SPDX-License-Identifier: Apache-2.0
// The datapath harness list: see harness.hpp.
#include "harness.hpp"

namespace neurark::rtl {

std::vector<BlockHarness> datapath_harnesses() {
  return {datapath::lane_array_harness(), datapath::requantize_harness(),  datapath::activation_harness(),
          datapath::mlgru_harness(),      datapath::norm_helper_harness(), datapath::event_out_harness()};
}

}  // namespace neurark::rtl
