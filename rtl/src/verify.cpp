// SPDX-License-Identifier: Apache-2.0
// The list of RTL block harnesses (neurark/rtl/verify.hpp). Each area (rtl/<area>/) defines a
// function returning its harnesses; this file concatenates them in a fixed order and names each
// block's area.
#include "neurark/rtl/verify.hpp"

#include "datapath/harness.hpp"
#include "neurocore/harness.hpp"
#include "noc/harness.hpp"

namespace neurark::rtl {

arch::ChipDescription verify_chip(const VerifyOptions& o) {
  if (o.chip) return *o.chip;
  arch::ChipDescription c;
  c.name = "default-4x4";
  return c;
}

const std::vector<BlockHarness>& block_harnesses() {
  static const std::vector<BlockHarness> all = [] {
    std::vector<BlockHarness> v;
    const auto add = [&v](std::vector<BlockHarness> blocks, const char* area) {
      for (BlockHarness& b : blocks) {
        b.area = area;
        v.push_back(std::move(b));
      }
    };
    add(datapath_harnesses(), "datapath");
    add(noc_harnesses(), "noc");
    add(neurocore_harnesses(), "neurocore");
    return v;
  }();
  return all;
}

}  // namespace neurark::rtl
