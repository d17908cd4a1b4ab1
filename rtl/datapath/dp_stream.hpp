// SPDX-License-Identifier: Apache-2.0
// rtl/datapath/dp_stream.hpp: drives a block with one in-order input stream and one output
// stream (in_valid_i / in_ready_o, out_valid_o / out_ready_i), one output per input, with
// random idle cycles and output stalls.
#pragma once

#include <cstddef>
#include <string>

#include "dp_sim.hpp"

namespace neurark::rtl::datapath {

// Sends inputs 0..n-1 (drive(model, i) sets the data of input i) and hands output j to
// capture(model, j) while out_valid_o && out_ready_i. Records a failure in `chk` and returns
// if no output arrives for `patience` cycles.
template <class Model, class Drive, class Capture>
void run_stream(Sim<Model>& sim, Rng& rng, const Throttle& th, std::size_t n, Drive drive,
                Capture capture, Checker& chk, int64_t patience = 1000) {
  std::size_t sent = 0, got = 0;
  int64_t quiet = 0;
  while (got < n) {
    Model& m = sim.m();
    const bool offer = sent < n && !rng.chance(th.idle_in);
    m.in_valid_i = offer;
    if (sent < n) drive(m, sent);
    const bool take = !rng.chance(th.stall_out);
    m.out_ready_i = take;
    sim.settle();
    if (take && m.out_valid_o) {
      capture(m, got);
      ++got;
      quiet = 0;
    }
    if (offer && m.in_ready_o) ++sent;
    sim.tick();
    if (++quiet > patience) {
      chk.fail("timeout: no output for " + std::to_string(patience) + " cycles after " +
               std::to_string(got) + " of " + std::to_string(n) + " outputs");
      return;
    }
  }
  Model& m = sim.m();
  m.in_valid_i = 0;
  m.out_ready_i = 0;
  sim.settle();
}

}  // namespace neurark::rtl::datapath
