// SPDX-License-Identifier: Apache-2.0
// rtl/datapath/harness_event_out.hpp: harness of nrk_event_out against arch::quantize_absmax
// and arch::pack_event. Template on the model class.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dp_sim.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/arch/numerics.hpp"

namespace neurark::rtl::datapath {

constexpr int kEventFlowBits = NRK_EVENT_FLOW_BITS;  // nrk_event_out FlowWidth of the harness model

struct EventToken {
  uint64_t m;
  int64_t flow;
  std::vector<int64_t> u;
  std::vector<int64_t> chan;
};

// Edge cases of docs/numerics.md §3: m = 0 (every code 0, no packet), |u| = m (±127), rounding
// ties (127 |u| / m = x.5: away from zero), |u| > m (clamped to 127), the largest m of a
// BitLinear (2^62 - 1) and of the function's domain (2^64 - 1, u = INT64_MIN), every code of
// m = 127 and every rounding boundary of m = 1000, channels 0 and 65535, flows 0 and 2^12 - 1.
inline std::vector<EventToken> event_edge_tokens() {
  const int64_t kMin64 = std::numeric_limits<int64_t>::min(), kMax64 = std::numeric_limits<int64_t>::max();
  std::vector<EventToken> t;
  auto add = [&](uint64_t m, int64_t flow, std::vector<int64_t> u, int64_t chan0 = 0) {
    EventToken e{m, flow, std::move(u), {}};
    for (std::size_t k = 0; k < e.u.size(); ++k) e.chan.push_back(chan0 + static_cast<int64_t>(k));
    t.push_back(std::move(e));
  };
  add(0, 1, {1, -1, 5, kMax64, kMin64, 0});
  add(254, 4095, {1, -1, 2, -2, 3, -3, 127, -127, 253, -253, 254, -254, 0}, 65536 - 13);
  add(2, 0, {1, -1, 2, -2, 0});
  const int64_t big = (int64_t{1} << 62) - 1;
  add(static_cast<uint64_t>(big), 7, {big, -big, big / 2, -(big / 2), 1, -1, big / 254, big / 127 + 1});
  add(1000, 8, {5000, -5000, kMax64, kMin64, 1001, -1001});
  add(std::numeric_limits<uint64_t>::max(), 9, {kMin64, kMax64, 1, -(int64_t{1} << 62)});
  add(uint64_t{1} << 63, 10, {kMin64, int64_t{1} << 62, -(int64_t{1} << 62), kMax64});
  std::vector<int64_t> all127, all1000;
  for (int64_t u = -127; u <= 127; ++u) all127.push_back(u);
  for (int64_t u = -1000; u <= 1000; ++u) all1000.push_back(u);
  add(127, 11, all127);
  add(1000, 12, all1000, 1000);
  add(1, 4095, {1, -1, 0, 2, -2});
  return t;
}

inline std::vector<EventToken> event_random_tokens(Rng& rng, int64_t elements) {
  std::vector<EventToken> tokens;
  int64_t total = 0, prev_flow = -1;
  const int64_t flows = int64_t{1} << kEventFlowBits;
  while (total < elements) {
    EventToken t{};
    do t.flow = rng.range(0, flows - 1); while (t.flow == prev_flow);  // adjacent tokens differ
    prev_flow = t.flow;
    const int64_t n = rng.chance(0.8) ? rng.range(1, 64) : rng.range(65, 600);
    const int64_t chan0 = rng.range(0, 65536 - n);
    if (rng.chance(0.05)) {
      t.m = 0;
    } else {
      const int b = static_cast<int>(rng.range(1, 62));
      t.m = (rng.bits() & ((uint64_t{1} << b) - 1)) | (uint64_t{1} << (b - 1));
    }
    const auto m = static_cast<int64_t>(t.m);
    for (int64_t k = 0; k < n; ++k) {
      const int64_t kind = rng.range(0, 19);
      int64_t u = 0;
      if (kind < 16) u = rng.range(-m, m);
      else if (kind == 16) u = rng.chance(0.5) ? m : -m;
      else if (kind == 17) u = 0;
      else u = static_cast<int64_t>(rng.bits());  // often |u| > m: clamped
      t.u.push_back(u);
      t.chan.push_back(chan0 + k);
    }
    total += n;
    tokens.push_back(std::move(t));
  }
  return tokens;
}

template <class Model>
BlockResult run_event_tokens(const std::string& block, const std::string& source,
                             const std::vector<EventToken>& tokens, uint64_t seed, const std::string& fst) {
  Sim<Model> sim(fst);
  sim.reset();
  Checker chk(block, source);
  Rng rng(seed, 0xe0e);
  const Throttle th{};

  struct Elem {
    std::size_t tok, k;
    int8_t q;
    std::optional<uint64_t> got;
  };
  std::vector<Elem> elems;
  std::map<uint64_t, std::deque<std::size_t>> pending;  // (flow, channel) -> non-zero elements
  std::size_t nonzero = 0;
  for (std::size_t ti = 0; ti < tokens.size(); ++ti)
    for (std::size_t k = 0; k < tokens[ti].u.size(); ++k) {
      const int8_t q = arch::quantize_absmax(tokens[ti].u[k], tokens[ti].m);
      if (q != 0) {
        pending[(static_cast<uint64_t>(tokens[ti].flow) << 16) | static_cast<uint64_t>(tokens[ti].chan[k])].push_back(
            elems.size());
        ++nonzero;
      }
      elems.push_back({ti, k, q, std::nullopt});
    }

  std::size_t sent = 0, received = 0;
  int64_t quiet = 0;
  while (sent < elems.size() || (received < nonzero && quiet < 1000) || quiet < 8) {
    Model& m = sim.m();
    const bool have = sent < elems.size();
    const bool offer = have && !rng.chance(th.idle_in);
    m.in_valid_i = offer;
    if (have) {
      const EventToken& t = tokens[elems[sent].tok];
      m.m_i = t.m;
      m.flow_i = static_cast<uint16_t>(t.flow);
      m.u_i = static_cast<uint64_t>(t.u[elems[sent].k]);
      m.chan_i = static_cast<uint16_t>(t.chan[elems[sent].k]);
    }
    const bool take = !rng.chance(th.stall_out);
    m.pkt_ready_i = take;
    sim.settle();
    ++quiet;
    if (take && m.pkt_valid_o) {
      const uint64_t pkt = m.pkt_o;
      const arch::EventPacket p = arch::unpack_event(pkt);
      auto it = pending.find((static_cast<uint64_t>(p.flow) << 16) | static_cast<uint64_t>(p.channel));
      if (it == pending.end() || it->second.empty()) {
        chk.fail("unexpected packet " + hex(pkt) + " (flow " + std::to_string(p.flow) + ", channel " +
                 std::to_string(p.channel) + ", q " + std::to_string(p.q) + "): its code should be 0");
      } else {
        elems[it->second.front()].got = pkt;
        it->second.pop_front();
        ++received;
      }
      quiet = 0;
    }
    if (offer && m.in_ready_o) {
      ++sent;
      quiet = 0;
    }
    sim.tick();
  }
  for (const Elem& e : elems) {
    const EventToken& t = tokens[e.tok];
    const int64_t u = t.u[e.k];
    if (e.q == 0) {
      chk.check(true, {});  // no packet expected; a stray one was reported above
      continue;
    }
    const uint64_t want = arch::pack_event(t.flow, t.chan[e.k], e.q);
    chk.check(e.got && *e.got == want, [&] {
      return "u " + std::to_string(u) + ", m " + std::to_string(t.m) + ", flow " + std::to_string(t.flow) +
             ", channel " + std::to_string(t.chan[e.k]) + ": expected code " + std::to_string(e.q) + ", packet " +
             hex(want) + "; got " + (e.got ? "packet " + hex(*e.got) : std::string("no packet"));
    });
  }
  return chk.finish(sim.cycles());
}

template <class Model>
std::vector<BlockResult> run_event_out(const VerifyOptions& o, const std::string& block = "event_out") {
  Rng rng(o.seed, 0xe0e1);
  std::vector<BlockResult> out;
  out.push_back(run_event_tokens<Model>(block, "random seed " + std::to_string(o.seed),
                                        event_random_tokens(rng, o.vectors), o.seed,
                                        fst_path_for(o.fst_path, block, "random")));
  out.push_back(run_event_tokens<Model>(block, "edge cases", event_edge_tokens(), o.seed,
                                        fst_path_for(o.fst_path, block, "edge")));
  return out;
}

}  // namespace neurark::rtl::datapath
