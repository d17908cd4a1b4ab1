// SPDX-License-Identifier: Apache-2.0
// The harness of one nrk_router (rtl/noc/harness.hpp): random tables and traffic, edge cases.
// Reference: arch/noc.hpp. A flit of flow f entering any port must leave on exactly the ports
// whose arch::PortBit is set in the table's mask for f, once each, unchanged, in order per
// (input, output) pair, never earlier than Latency cycles after it entered.
#include <algorithm>
#include <memory>

#include "neurark/rtl/chip_params.hpp"
#include "noc_dut.hpp"

namespace neurark::rtl::noc {

static_assert(arch::kPorts == 5 && arch::kPortEast == 1 << 0 && arch::kPortWest == 1 << 1 &&
                  arch::kPortSouth == 1 << 2 && arch::kPortNorth == 1 << 3 && arch::kPortLocal == 1 << 4,
              "nrk_router port p is the port of arch::PortBit 1 << p");

NocVariant router_variant() { return NocVariant{"router", NRK_VARIANT_router}; }

NocVariant router_variant(const arch::ChipDescription& chip) {
  const ChipRtl rtl = chip_rtl(chip);
  rtl.require("router", "verify-rtl router");
  const RouterRtlParams& r = rtl.router;
  NocVariant v;
  v.name = "router";
  v.flit_w = static_cast<int>(r.flit_bits);
  v.flow_w = static_cast<int>(r.flow_bits);
  v.n_flows = static_cast<int>(r.table_entries);
  v.buffer_depth = static_cast<int>(r.buffer_depth);
  v.router_latency = static_cast<int>(r.latency);
  v.link_latency = 0;
  return v;
}

namespace {

constexpr int kEast = 0, kWest = 1, kLocal = 4;

// A router with `masks` loaded (flow f -> masks[f]) and a bench on it.
struct Rig {
  NocVariant v;
  ModelNocDut dut{v};
  Bench bench;
  std::vector<int> masks;
  Rig(const NocVariant& variant, uint64_t seed, std::vector<int> m)
      : v(variant),
        bench(dut, [lat = v.router_latency](int, int) { return static_cast<int64_t>(lat); }, seed),
        masks(std::move(m)) {
    for (std::size_t f = 0; f < masks.size(); ++f) dut.write_table(0, static_cast<int64_t>(f), masks[f]);
  }
  Packet packet(int src, int64_t flow) {
    Packet p;
    p.src = src;
    p.flow = flow;
    p.q = static_cast<int8_t>(bench.rng()() & 0xFF);
    if (flow >= 0 && flow < static_cast<int64_t>(masks.size()))
      p.dsts = PortSet(static_cast<uint64_t>(masks[static_cast<std::size_t>(flow)]));  // PortBit p -> port p
    return p;
  }
};

void expect(NocRun& r, bool ok, const std::string& what) {
  if (ok) return;
  ++r.result.mismatches;
  if (r.result.first_mismatch.empty()) r.result.first_mismatch = what;
}

}  // namespace

NocRun router_random(const VerifyOptions& opts) {
  const NocVariant v = router_variant(verify_chip(opts));
  std::mt19937_64 rng(opts.seed);
  // Random masks: mostly unicast, some 2-way forks, some anything (never empty here).
  std::vector<int> masks(static_cast<std::size_t>(v.n_flows));
  for (int& m : masks) {
    const uint64_t kind = rng() % 10;
    if (kind < 5) m = 1 << (rng() % 5);
    else if (kind < 8) m = (1 << (rng() % 5)) | (1 << (rng() % 5));
    else m = 1 + static_cast<int>(rng() % 31);
  }
  Rig rig(v, opts.seed ^ 0x5eedu, masks);
  std::vector<Packet> pk;
  for (int64_t i = 0; i < opts.vectors; ++i)
    pk.push_back(rig.packet(static_cast<int>(rng() % 5), static_cast<int64_t>(rng() % static_cast<uint64_t>(v.n_flows))));
  BenchConfig cfg;
  cfg.inject_prob = 0.45;
  cfg.stall_prob = 0.3;
  cfg.max_credit_delay = 12;
  cfg.record_deliveries = false;
  NocRun r = rig.bench.run(std::move(pk), cfg, "router", fmt::format("random seed {}", opts.seed));
  r.result.source += " (" + summary(r.stats) + ")";
  return r;
}

std::vector<NocRun> router_edge_cases(const VerifyOptions& opts) {
  std::vector<NocRun> out;
  const NocVariant v = router_variant(verify_chip(opts));
  const int depth = v.buffer_depth;
  const uint64_t seed = opts.seed;
  // Flow 0: east only; 1: all five ports; 2: east + west fork; 3: no entry (mask 0).
  const std::vector<int> masks = {arch::kPortEast, 31, arch::kPortEast | arch::kPortWest, 0,
                                  arch::kPortWest, arch::kPortSouth, arch::kPortNorth, arch::kPortLocal};

  {  // All five inputs to one output: 1 flit per cycle out, strict round robin while all wait.
    Rig rig(v, seed, masks);
    std::vector<Packet> pk;
    const int per = 40;
    for (int i = 0; i < per; ++i)
      for (int s = 0; s < 5; ++s) pk.push_back(rig.packet(s, 0));
    NocRun r = rig.bench.run(std::move(pk), BenchConfig{}, "router", "edge: all inputs to one output");
    std::vector<int> srcs;
    for (const Delivery& d : r.deliveries) srcs.push_back(d.src);
    for (std::size_t g = 0; g + 5 <= std::min<std::size_t>(srcs.size(), 5 * (per - depth)); g += 5) {
      std::vector<int> grp(srcs.begin() + static_cast<std::ptrdiff_t>(g), srcs.begin() + static_cast<std::ptrdiff_t>(g + 5));
      std::sort(grp.begin(), grp.end());
      expect(r, grp == std::vector<int>({0, 1, 2, 3, 4}),
             fmt::format("round robin: deliveries {}..{} do not come from all 5 inputs", g, g + 4));
    }
    expect(r, r.stats.deliveries_per_cycle > 0.99, fmt::format("one output moved {:.3f} flits/cycle, expected 1",
                                                               r.stats.deliveries_per_cycle));
    r.result.source += " (" + summary(r.stats) + ")";
    out.push_back(std::move(r));
  }
  {  // Multicast to all 5 ports from every input, random backpressure.
    Rig rig(v, seed, masks);
    std::vector<Packet> pk;
    for (int i = 0; i < 30; ++i)
      for (int s = 0; s < 5; ++s) pk.push_back(rig.packet(s, 1));
    BenchConfig cfg;
    cfg.stall_prob = 0.3;
    cfg.max_credit_delay = 5;
    NocRun r = rig.bench.run(std::move(pk), cfg, "router", "edge: multicast to all 5 ports");
    expect(r, r.stats.deliveries == 5 * 30 * 5, "multicast: not every flit reached all 5 ports");
    r.result.source += " (" + summary(r.stats) + ")";
    out.push_back(std::move(r));
  }
  {  // Full buffers: every sink blocked for 200 cycles while all inputs push to east.
    Rig rig(v, seed, masks);
    std::vector<Packet> pk;
    for (int i = 0; i < 20; ++i)
      for (int s = 0; s < 5; ++s) pk.push_back(rig.packet(s, i % 2 == 0 ? 0 : 2));
    BenchConfig cfg;
    cfg.blocked_until.assign(5, 200);
    NocRun r = rig.bench.run(std::move(pk), cfg, "router", "edge: buffers full (sinks blocked 200 cycles)");
    int64_t early = 0;
    for (const Delivery& d : r.deliveries) early += d.cycle < 200 && d.dst == kEast;
    expect(r, early == depth, fmt::format("while blocked, east took {} flits, expected its {} credits", early, depth));
    r.result.source += " (" + summary(r.stats) + ")";
    out.push_back(std::move(r));
  }
  {  // Back-to-back: 5 streams on a permutation (input p -> output p+1 mod 5), no contention:
     // 5 flits per cycle, every one exactly Latency cycles.
    std::vector<int> m(5);
    for (int p = 0; p < 5; ++p) m[static_cast<std::size_t>(p)] = 1 << ((p + 1) % 5);
    Rig rig(v, seed, m);
    std::vector<Packet> pk;
    for (int i = 0; i < 200; ++i)
      for (int s = 0; s < 5; ++s) pk.push_back(rig.packet(s, s));
    BenchConfig cfg;
    cfg.exact_latency = true;
    NocRun r = rig.bench.run(std::move(pk), cfg, "router", "edge: back-to-back flits, 5 streams");
    expect(r, r.stats.deliveries_per_cycle > 4.9,
           fmt::format("5 streams moved {:.3f} flits/cycle, expected 5", r.stats.deliveries_per_cycle));
    r.result.source += " (" + summary(r.stats) + ")";
    out.push_back(std::move(r));
  }
  {  // A fork with a blocked branch: east + west, west blocked. West takes `depth` flits (its
     // credits), east one more (the flit waiting at the head for west), then nothing passes.
    Rig rig(v, seed, masks);
    std::vector<Packet> pk;
    for (int i = 0; i < 30; ++i) pk.push_back(rig.packet(kLocal, 2));
    BenchConfig cfg;
    cfg.blocked_until = {0, 150, 0, 0, 0};
    NocRun r = rig.bench.run(std::move(pk), cfg, "router", "edge: multicast fork with one branch blocked");
    int64_t east = 0, west = 0;
    for (const Delivery& d : r.deliveries) {
      if (d.cycle >= 150) continue;
      east += d.dst == kEast;
      west += d.dst == kWest;
    }
    expect(r, west == depth && east == depth + 1,
           fmt::format("while west was blocked: east {} west {} flits, expected {} and {}", east, west, depth + 1, depth));
    r.result.source += " (" + summary(r.stats) + ")";
    out.push_back(std::move(r));
  }
  {  // Unrouted flits (mask 0, flow >= NumFlows, a bit above the flow field) are dropped with
     // err_unrouted_o, between routed ones.
    Rig rig(v, seed, masks);
    std::vector<Packet> pk;
    // A flit as wide as the event packet and its flow field has no bit above the field: flows
    // past the table, or the mask-0 flow, instead.
    const int64_t field = int64_t{1} << v.flow_w;
    const bool above = v.flit_w > 24 + v.flow_w;
    const auto past = [&](int64_t f) { return f < field ? f : int64_t{3}; };
    const int64_t bad[] = {3, past(v.n_flows), above ? field : past(v.n_flows + 1), above ? field | 4 : past(field - 1)};
    for (int i = 0; i < 40; ++i) {
      Packet p = rig.packet(i % 5, i % 3 == 0 ? bad[(i / 3) % 4] : 4 + i % 4);
      if (i % 3 == 0) p.dsts = PortSet();
      pk.push_back(p);
    }
    NocRun r = rig.bench.run(std::move(pk), BenchConfig{}, "router", "edge: unrouted flits dropped");
    expect(r, r.stats.unrouted_drops == 14, fmt::format("{} unrouted drops, expected 14", r.stats.unrouted_drops));
    r.result.source += " (" + summary(r.stats) + ")";
    out.push_back(std::move(r));
  }
  {  // Saturation: every input always has a flit for a uniformly random output.
    Rig rig(v, seed, {1, 2, 4, 8, 16});
    std::vector<Packet> pk;
    for (int i = 0; i < 2000; ++i) pk.push_back(rig.packet(i % 5, static_cast<int64_t>(rig.bench.rng()() % 5)));
    NocRun r = rig.bench.run(std::move(pk), BenchConfig{}, "router", "saturation: 5 inputs, uniform random outputs");
    r.result.source += " (" + summary(r.stats) + ")";
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace neurark::rtl::noc
