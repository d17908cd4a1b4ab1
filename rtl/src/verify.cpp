// The list of RTL block harnesses (neurark/rtl/verify.hpp). Each area (rtl/<area>/) defines a
// function returning its harnesses; this file concatenates them in a fixed order.
#include "neurark/rtl/verify.hpp"

#include "datapath/harness.hpp"
#include "neurocore/harness.hpp"
#include "noc/harness.hpp"

namespace neurark::rtl {

const std::vector<BlockHarness>& block_harnesses() {
  static const std::vector<BlockHarness> all = [] {
    std::vector<BlockHarness> v;
    for (BlockHarness& b : datapath_harnesses()) v.push_back(std::move(b));  // rtl/datapath/
    for (BlockHarness& b : noc_harnesses()) v.push_back(std::move(b));  // rtl/noc/
    for (BlockHarness& b : neurocore_harnesses()) v.push_back(std::move(b));  // rtl/neurocore/
    return v;
  }();
  return all;
}

}  // namespace neurark::rtl
