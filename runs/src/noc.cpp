// SPDX-License-Identifier: Apache-2.0
// The network on its own: see neurark/runs/noc.hpp and docs/noc.md.
#include "neurark/runs/noc.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/sim/timing.hpp"

namespace neurark::runs {

using nlohmann::json;

namespace {
constexpr int64_t kMaxWindowCycles = int64_t{1} << 30;
constexpr int64_t kMaxNocCores = 4096;            // flows (n x n) fit the event packet's 24-bit flow field
constexpr int64_t kMaxPackets = int64_t{1} << 24;  // per rate: about 1.3 GB of traffic and times
}  // namespace

const char* to_string(TrafficPattern p) {
  switch (p) {
    case TrafficPattern::kUniform: return "uniform";
    case TrafficPattern::kTranspose: return "transpose";
    case TrafficPattern::kBitComplement: return "bit-complement";
    case TrafficPattern::kHotspot: return "hotspot";
    case TrafficPattern::kNeighbor: return "neighbor";
  }
  return "?";
}

std::vector<TrafficPattern> all_traffic_patterns() {
  return {TrafficPattern::kUniform, TrafficPattern::kTranspose, TrafficPattern::kBitComplement, TrafficPattern::kHotspot,
          TrafficPattern::kNeighbor};
}

TrafficPattern traffic_pattern(const std::string& name, const std::string& option) {
  for (TrafficPattern p : all_traffic_patterns())
    if (name == to_string(p)) return p;
  throw Error(fmt::format("{} {}: unknown traffic pattern, expected uniform, transpose, bit-complement, hotspot, neighbor "
                          "or all",
                          option, name));
}

void check_noc_options(const NocOptions& o) {
  if (o.patterns.empty()) throw Error("--pattern: no pattern, expected at least one");
  if (o.rates.empty()) throw Error("--rates: no offered load, expected at least one rate in (0, 1] flits/cycle/node");
  for (double r : o.rates)
    if (!std::isfinite(r) || r <= 0 || r > 1)
      throw Error(fmt::format("--rates: {} is outside (0, 1], expected an offered load in flits/cycle/node (an injection "
                              "port moves at most one flit per cycle)",
                              r));
  if (o.warmup_cycles < 0) throw Error(fmt::format("--warmup-cycles: {} is negative, expected >= 0", o.warmup_cycles));
  if (o.measure_cycles < 1) throw Error(fmt::format("--cycles: {}, expected a measurement window of at least 1 cycle", o.measure_cycles));
  if (o.warmup_cycles > kMaxWindowCycles || o.measure_cycles > kMaxWindowCycles)
    throw Error("--warmup-cycles / --cycles: more than 2^30 cycles, expected fewer");
  if (o.measure_packets < 0 || o.measure_packets > 100000000)
    throw Error(fmt::format("--packets: {} is outside [1, 10^8], expected the packets to measure per rate", o.measure_packets));
  if (!std::isfinite(o.hotspot_fraction) || o.hotspot_fraction < 0 || o.hotspot_fraction > 1)
    throw Error(fmt::format("--hotspot-fraction: {} is outside [0, 1], expected the share of packets sent to the hotspot",
                            o.hotspot_fraction));
}

namespace {

// The mesh with its unicast XY walks, built as pairs are first used (flow = src * n + dst).
struct Net {
  arch::ChipDescription chip;
  arch::MeshGrid grid;
  int n = 0;
  int64_t flits = 1;
  std::vector<std::vector<std::array<int, 3>>> walks;
  std::vector<int> flow_of;  // n * n, -1: not built yet
  std::vector<sim::timing::LinkState> idle_links;  // every link at rest, chip links with their timing

  explicit Net(const arch::ChipDescription& c) : chip(c), grid(arch::MeshGrid::of(c)), n(static_cast<int>(grid.cores())) {
    flits = arch::packet_flits(arch::event_packet_bits(static_cast<int64_t>(n) * n), chip.noc.link_width_bits);
    flow_of.assign(static_cast<std::size_t>(n) * static_cast<std::size_t>(n), -1);
    idle_links = sim::timing::idle_links(chip);
  }
  int flow(int s, int d) {
    if (s == d) return -1;  // delivered through the local port, no link
    int& f = flow_of[static_cast<std::size_t>(s) * static_cast<std::size_t>(n) + static_cast<std::size_t>(d)];
    if (f < 0) {
      f = static_cast<int>(walks.size());
      walks.push_back(arch::walk_order(grid, s, arch::xy_tree(grid, s, {d})));
    }
    return f;
  }
  // A chip link on the way adds its latency and beats beyond an on-chip link's (the head flit).
  int64_t zero_load(int s, int d) const {
    int64_t extra = 0;
    if (grid.chips() > 1)
      for (const auto& [a, b] : arch::xy_tree(grid, s, {d})) {
        const int l = grid.link_id(a, b);
        if (grid.chip_link(l)) extra += arch::chip_link_extra_cycles(chip);
      }
    return sim::timing::route_latency_cycles(chip.noc, grid.hops(s, d)) + flits - 1 + extra;
  }
  // Adds a packet from s to d generated at `ready` (its sink spends `flits` cycles per packet).
  void add(sim::timing::EventTraffic& t, int s, int d, int64_t ready) {
    const std::size_t k = t.deliveries.size();
    t.events.push_back({s, flow(s, d), ready, k, k + 1});
    t.deliveries.emplace_back(d, flits);
  }
  sim::timing::EventsPhaseTimes run(const sim::timing::EventTraffic& t) const {
    std::vector<sim::timing::LinkState> links = idle_links;
    sim::timing::EventsPhaseTimes times;
    sim::timing::events_phase(t, walks, std::vector<int64_t>(static_cast<std::size_t>(n), 0), chip, flits, links, &times);
    return times;
  }
};

bool power_of_two(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

// A uniform draw in [0, m) from the raw generator (no distribution object: the same bits on every
// standard library).
int draw(std::mt19937_64& rng, int m) { return static_cast<int>(rng() % static_cast<uint64_t>(m)); }
int uniform_other(std::mt19937_64& rng, int n, int s) {
  int d = draw(rng, n - 1);
  return d >= s ? d + 1 : d;
}

// The destinations of a pattern from `s`, as {destination, probability}.
std::vector<std::pair<int, double>> destinations(const Net& net, TrafficPattern p, int s, int hot, double frac) {
  const arch::MeshGrid& g = net.grid;
  const int x = static_cast<int>(g.x(s)), y = static_cast<int>(g.y(s)), n = net.n;
  std::vector<std::pair<int, double>> out;
  const auto uniform = [&](double w) {
    for (int d = 0; d < n; ++d)
      if (d != s) out.emplace_back(d, w / (n - 1));
  };
  switch (p) {
    case TrafficPattern::kUniform: uniform(1.0); break;
    case TrafficPattern::kTranspose: out.emplace_back(g.core_at(y, x), 1.0); break;
    case TrafficPattern::kBitComplement: out.emplace_back(n - 1 - s, 1.0); break;
    case TrafficPattern::kHotspot:
      if (s == hot) {
        uniform(1.0);
      } else {
        out.emplace_back(hot, frac);
        uniform(1.0 - frac);
      }
      break;
    case TrafficPattern::kNeighbor: out.emplace_back(g.core_at((x + 1) % g.width, y), 1.0); break;
  }
  return out;
}

int pick(std::mt19937_64& rng, const Net& net, TrafficPattern p, int s, int hot, double frac) {
  switch (p) {
    case TrafficPattern::kUniform: return uniform_other(rng, net.n, s);
    case TrafficPattern::kHotspot: {
      // A fraction in 2^-53 steps against 53 random bits.
      const bool to_hot = s != hot && static_cast<double>(rng() >> 11) < frac * 9007199254740992.0;
      return to_hot ? hot : uniform_other(rng, net.n, s);
    }
    default: return destinations(net, p, s, hot, frac).front().first;  // one destination per source
  }
}

void check_pattern(const Net& net, TrafficPattern p, const std::string& chip_path) {
  const arch::MeshGrid& g = net.grid;
  if (p == TrafficPattern::kTranspose && g.width != g.height)
    throw Error(fmt::format("{}: mesh.width {} and mesh.height {}: transpose needs a square mesh (width = height)", chip_path,
                            g.width, g.height));
  if (p == TrafficPattern::kBitComplement && (!power_of_two(g.width) || !power_of_two(g.height)))
    throw Error(fmt::format("{}: mesh {} x {}: bit-complement needs a width and a height that are powers of two", chip_path,
                            g.width, g.height));
  if ((p == TrafficPattern::kUniform || p == TrafficPattern::kHotspot) && net.n < 2)
    throw Error(fmt::format("{}: mesh 1 x 1: {} traffic needs at least 2 neurocores", chip_path, to_string(p)));
  if (p == TrafficPattern::kNeighbor && g.width < 2)
    throw Error(fmt::format("{}: mesh.width 1: neighbor traffic needs at least 2 columns", chip_path));
}

// splitmix64: a seed per (pattern, rate) from the user's seed.
uint64_t mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

NocPoint run_point(Net& net, TrafficPattern p, double rate, const NocOptions& o, int hot, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int64_t W = o.warmup_cycles, F = net.flits;
  // Bernoulli injection: a packet per node per cycle with probability rate / flits, against 64 random bits.
  const double prob = rate / static_cast<double>(F), scaled = std::ldexp(prob, 64);
  const bool always = scaled >= 18446744073709551616.0;  // 2^64
  const uint64_t threshold = always ? ~uint64_t{0} : static_cast<uint64_t>(scaled);
  sim::timing::EventTraffic traffic;
  // The window: measure_cycles, or (measure_packets > 0) until that many packets were generated in it.
  int64_t M = o.measure_cycles, measured = 0, t = 0;
  std::vector<int64_t> port_free(static_cast<std::size_t>(net.n), 0);  // each source's injection port (events_phase's rule)
  const auto generate = [&](int64_t cycle) {
    for (int s = 0; s < net.n; ++s)
      if (always || rng() < threshold) {
        net.add(traffic, s, pick(rng, net, p, s, hot, o.hotspot_fraction), cycle);
        int64_t& port = port_free[static_cast<std::size_t>(s)];
        port = std::max(port, cycle) + F;
        if (cycle >= W) ++measured;
      }
  };
  for (; o.measure_packets > 0 ? (t < W || measured < o.measure_packets) : t < W + M; ++t) {
    if (o.measure_packets > 0 && t - W >= kMaxWindowCycles)
      throw Error(fmt::format("--packets {}: {} packets at offered {} would take more than 2^30 cycles, expected fewer packets "
                              "or a higher rate",
                              o.measure_packets, to_string(p), rate));
    if (static_cast<int64_t>(traffic.events.size()) > kMaxPackets)
      throw Error(fmt::format("{} at offered {}: more than {} packets in warm-up and window on {} nodes, expected a shorter "
                              "--warmup-cycles / --cycles / --packets",
                              to_string(p), rate, kMaxPackets, net.n));
    generate(t);
  }
  M = t - W;
  // Packets are timed in injection order, so a packet injected after every measured one cannot
  // change them: traffic goes on only until the last measured packet has entered its injection
  // port (with one-flit packets, never: a source injects each packet the cycle it is generated).
  const int64_t last_port = *std::max_element(port_free.begin(), port_free.end()) - F;
  for (; t <= last_port; ++t) generate(t);
  // The flit engine serves packets as they meet in the routers, so later packets do delay the
  // measured ones: traffic goes on for one more window (docs/noc.md).
  if (net.chip.noc.engine == arch::NocEngine::kFlit)
    for (const int64_t stop = t + M; t < stop && static_cast<int64_t>(traffic.events.size()) <= kMaxPackets; ++t) generate(t);
  const sim::timing::EventsPhaseTimes times = net.run(traffic);
  NocPoint pt;
  pt.offered_flits = rate;
  pt.window_cycles = M;
  std::vector<int64_t> lat;
  int64_t delivered = 0;
  for (std::size_t i = 0; i < traffic.events.size(); ++i) {
    const int64_t gen = traffic.events[i].ready, done = times.deliver_cycles[traffic.events[i].d0];
    if (gen >= W && gen < W + M) lat.push_back(done - gen);
    if (done >= W && done < W + M) ++delivered;
  }
  const double per = static_cast<double>(M) * net.n;
  pt.packets = static_cast<int64_t>(lat.size());
  pt.generated_flits = static_cast<double>(pt.packets * F) / per;
  pt.accepted_flits = static_cast<double>(delivered * F) / per;
  if (!lat.empty()) {
    std::sort(lat.begin(), lat.end());
    double sum = 0;
    for (int64_t v : lat) sum += static_cast<double>(v);
    pt.latency_mean_cycles = sum / static_cast<double>(lat.size());
    // Nearest rank: the smallest latency at least q of the packets do not exceed.
    const auto rank = [&](double q) {
      const auto r = static_cast<std::size_t>(std::ceil(q * static_cast<double>(lat.size())));
      return lat[std::max<std::size_t>(r, 1) - 1];
    };
    pt.latency_p50_cycles = rank(0.50);
    pt.latency_p99_cycles = rank(0.99);
    pt.latency_max_cycles = lat.back();
  }
  pt.saturated = pt.accepted_flits < 0.95 * pt.offered_flits;
  return pt;
}

int hotspot_node(const Net& net, const NocOptions& o, const std::string& chip_path) {
  const int64_t hx = o.hotspot_xy ? o.hotspot_xy->first : net.grid.width / 2;
  const int64_t hy = o.hotspot_xy ? o.hotspot_xy->second : net.grid.height / 2;
  if (!net.grid.contains(hx, hy))
    throw Error(fmt::format("--hotspot {},{}: not on {}'s {} x {} mesh, expected 0 <= X < {} and 0 <= Y < {}", hx, hy, chip_path,
                            net.grid.width, net.grid.height, net.grid.width, net.grid.height));
  return net.grid.core_at(hx, hy);
}

json opt_num(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

std::optional<NocRtlFigures> rtl_mesh_figures(const arch::ChipDescription& chip) {
  const arch::NocParams& q = chip.noc;
  const bool one_chip = chip.multichip.chips_x == 1 && chip.multichip.chips_y == 1;
  // rtl/noc/README.md, "Measured (seed 1)": the compiled-in variants and the chips whose parameters they carry.
  if (one_chip && chip.mesh_width == 4 && chip.mesh_height == 4 && q.link_width_bits == 64 && q.buffer_depth_flits == 4 &&
      q.router_latency_cycles == 2 && q.link_latency_cycles == 1)
    return NocRtlFigures{"mesh4x4", 2, 3.0, 0.797, 0.465};
  if (one_chip && chip.mesh_width == 3 && chip.mesh_height == 2 && q.link_width_bits == 32 && q.buffer_depth_flits == 4 &&
      q.router_latency_cycles == 1 && q.link_latency_cycles == 1)
    return NocRtlFigures{"mesh3x2", 1, 2.0, 0.997, 0.723};
  return std::nullopt;
}

NocCalibration noc_calibrate(const arch::ChipDescription& chip) {
  Net net(chip);
  const int n = net.n;
  const int64_t F = net.flits;
  NocCalibration c;
  {  // Zero load: every pair alone (each packet generated after the previous one has left); above
     // 1,024 nodes, as the RTL harness on large meshes, the pairs from the four corners.
    sim::timing::EventTraffic t;
    int64_t gap = sim::timing::route_latency_cycles(chip.noc, net.grid.width + net.grid.height) + 2 * F + 4;
    if (net.grid.chips() > 1)  // chip links on the way: their latency and beats too
      gap += (net.grid.chips_x() + net.grid.chips_y()) *
             (chip.multichip.link_latency_cycles + 2 * F * arch::chip_link_timing(chip).cycles_per_flit);
    std::vector<int> sources;
    if (n <= 1024) {
      for (int s = 0; s < n; ++s) sources.push_back(s);
    } else {
      const int w = static_cast<int>(net.grid.width), h = static_cast<int>(net.grid.height);
      sources = {0, w - 1, net.grid.core_at(0, h - 1), n - 1};
    }
    for (int s : sources)
      for (int d = 0; d < n; ++d) net.add(t, s, d, static_cast<int64_t>(t.events.size()) * gap);
    const sim::timing::EventsPhaseTimes times = net.run(t);
    int64_t far = -1, far_hops = 0;
    c.zero_load_exact = true;
    for (std::size_t i = 0; i < t.events.size(); ++i) {
      const int s = t.events[i].src, d = t.deliveries[i].first;
      const int64_t lat = times.deliver_cycles[i] - t.events[i].ready, h = net.grid.hops(s, d);
      c.zero_load_exact = c.zero_load_exact && lat == net.zero_load(s, d);
      if (h == 0) c.local_cycles = lat;
      if (h > far_hops) far_hops = h, far = lat;
    }
    c.cycles_per_hop = far_hops > 0 ? static_cast<double>(far - c.local_cycles) / static_cast<double>(far_hops) : 0;
  }
  const auto span_rate = [&](const sim::timing::EventTraffic& t, const sim::timing::EventsPhaseTimes& times) {
    const int64_t first = *std::min_element(times.inject_cycles.begin(), times.inject_cycles.end());
    const int64_t last = *std::max_element(times.deliver_cycles.begin(), times.deliver_cycles.end());
    return static_cast<double>(static_cast<int64_t>(t.deliveries.size()) * F) / static_cast<double>(last - first + 1);
  };
  const int64_t slots = std::max<int64_t>(1, chip.noc.buffer_depth_flits / F);
  c.link_bound_flits = std::min(1.0, static_cast<double>(slots * F) /
                                         static_cast<double>(chip.noc.router_latency_cycles + 2 * chip.noc.link_latency_cycles + F));
  if (n >= 2) {
    {  // One stream over one link: node 0 -> node 1 (east; south on a one-column mesh), 1,000 packets offered at cycle 0.
      sim::timing::EventTraffic t;
      for (int i = 0; i < 1000; ++i) net.add(t, 0, 1, 0);
      c.link_flits_per_cycle = span_rate(t, net.run(t));
    }
    {  // Uniform random unicast: 400 packets per node offered at cycle 0, to the destinations the
       // harness draws (seed 1; its n x n zero-load and 1,000 link packets drew a payload each
       // before, and each packet draws one after its destination).
      std::mt19937_64 rng(1);
      rng.discard(static_cast<unsigned long long>(n) * static_cast<unsigned long long>(n) + 1000);
      sim::timing::EventTraffic t;
      for (int i = 0; i < 400; ++i)
        for (int s = 0; s < n; ++s) {
          net.add(t, s, uniform_other(rng, n, s), 0);
          rng.discard(1);
        }
      c.uniform_accepted_flits = span_rate(t, net.run(t)) / n;
    }
  }
  return c;
}

NocResult noc_sweep(const NocOptions& o) {
  check_noc_options(o);
  arch::ChipDescription chip = arch::ChipDescription::from_file(o.chip_path);
  if (o.engine) chip.noc.engine = *o.engine;
  if (chip.noc.engine == arch::NocEngine::kFlit && chip.noc.router_latency_cycles < 1)
    throw Error(fmt::format("{}: noc.router_latency_cycles 0: the flit engine needs at least 1 (a flit is switched the cycle "
                            "after it enters its input FIFO, as in the RTL router)",
                            o.chip_path));
  if (chip.total_cores() > kMaxNocCores)
    throw Error(fmt::format("{}: {} x {} neurocores over all chips = {}: neurark noc simulates at most {} (64 x 64)", o.chip_path,
                            chip.mesh_width * chip.multichip.chips_x, chip.mesh_height * chip.multichip.chips_y,
                            chip.total_cores(), kMaxNocCores));
  Net net(chip);
  for (TrafficPattern p : o.patterns) check_pattern(net, p, o.chip_path);
  const int hot = hotspot_node(net, o, o.chip_path);
  NocResult r;
  r.chip_path = o.chip_path;
  r.chip_name = chip.name;
  r.mesh_width = net.grid.width;
  r.mesh_height = net.grid.height;
  r.engine = chip.noc.engine;
  r.packet_flits = net.flits;
  r.options = o;
  for (std::size_t pi = 0; pi < o.patterns.size(); ++pi) {
    const TrafficPattern p = o.patterns[pi];
    NocPatternResult pr;
    pr.pattern = p;
    double zl = 0;
    for (int s = 0; s < net.n; ++s)
      for (const auto& [d, w] : destinations(net, p, s, hot, o.hotspot_fraction)) zl += w * static_cast<double>(net.zero_load(s, d));
    pr.zero_load_latency_cycles = zl / net.n;
    for (std::size_t ri = 0; ri < o.rates.size(); ++ri) {
      const uint64_t seed = mix(o.seed ^ mix((static_cast<uint64_t>(p) << 32) | ri));
      const NocPoint pt = run_point(net, p, o.rates[ri], o, hot, seed);
      pr.points.push_back(pt);
      if (pt.saturated && (!pr.saturation_offered_flits || pt.offered_flits < *pr.saturation_offered_flits))
        pr.saturation_offered_flits = pt.offered_flits;
      if (pt.latency_mean_cycles > 3 * pr.zero_load_latency_cycles &&
          (!pr.latency_knee_offered_flits || pt.offered_flits < *pr.latency_knee_offered_flits))
        pr.latency_knee_offered_flits = pt.offered_flits;
      pr.saturation_throughput_flits = std::max(pr.saturation_throughput_flits, pt.accepted_flits);
    }
    r.patterns.push_back(std::move(pr));
  }
  r.calibration = noc_calibrate(chip);
  r.rtl = rtl_mesh_figures(chip);
  return r;
}

json noc_json(const NocResult& r) {
  const NocOptions& o = r.options;
  json pats = json::array();
  for (const NocPatternResult& p : r.patterns) {
    json pts = json::array();
    for (const NocPoint& q : p.points)
      pts.push_back({{"offered_flits_per_cycle_per_node", q.offered_flits},
                     {"window_cycles", q.window_cycles},
                     {"generated_flits_per_cycle_per_node", q.generated_flits},
                     {"accepted_flits_per_cycle_per_node", q.accepted_flits},
                     {"packets", q.packets},
                     {"latency_mean_cycles", q.latency_mean_cycles},
                     {"latency_p50_cycles", q.latency_p50_cycles},
                     {"latency_p99_cycles", q.latency_p99_cycles},
                     {"latency_max_cycles", q.latency_max_cycles},
                     {"saturated", q.saturated}});
    pats.push_back({{"pattern", to_string(p.pattern)},
                    {"zero_load_latency_cycles", p.zero_load_latency_cycles},
                    {"saturation_offered_flits_per_cycle_per_node", opt_num(p.saturation_offered_flits)},
                    {"latency_knee_offered_flits_per_cycle_per_node", opt_num(p.latency_knee_offered_flits)},
                    {"saturation_throughput_flits_per_cycle_per_node", p.saturation_throughput_flits},
                    {"points", pts}});
  }
  const NocCalibration& c = r.calibration;
  json rtl = nullptr;
  if (r.rtl)
    rtl = {{"variant", r.rtl->variant},
           {"source", "rtl/noc/README.md (neurark_rtl_noc_tests \"[.print]\", seed 1)"},
           {"local_cycles", r.rtl->local_cycles},
           {"cycles_per_hop", r.rtl->cycles_per_hop},
           {"link_flits_per_cycle", r.rtl->link_flits_per_cycle},
           {"uniform_accepted_flits_per_cycle_per_node", r.rtl->uniform_accepted_flits}};
  json patterns_opt = json::array();
  for (TrafficPattern p : o.patterns) patterns_opt.push_back(to_string(p));
  return {{"format", "neurark-noc"},
          {"version", 1},
          {"producer", "neurark noc"},
          {"chip", {{"name", r.chip_name}, {"path", r.chip_path}, {"mesh", {r.mesh_width, r.mesh_height}}}},
          {"packet_flits", r.packet_flits},
          {"network", "sim::timing::events_phase (the SystemC model's events-phase rules), plain C++ driver"},
          {"engine", arch::to_string(r.engine)},
          {"options",
           {{"patterns", patterns_opt},
            {"rates_flits_per_cycle_per_node", o.rates},
            {"warmup_cycles", o.warmup_cycles},
            {"measure_cycles", o.measure_cycles},
            {"measure_packets", o.measure_packets},
            {"seed", o.seed},
            {"hotspot_fraction", o.hotspot_fraction}}},
          {"patterns", pats},
          {"calibration",
           {{"local_cycles", c.local_cycles},
            {"cycles_per_hop", c.cycles_per_hop},
            {"zero_load_exact", c.zero_load_exact},
            {"link_flits_per_cycle", c.link_flits_per_cycle},
            {"link_bound_flits_per_cycle", c.link_bound_flits},
            {"uniform_accepted_flits_per_cycle_per_node", c.uniform_accepted_flits}}},
          {"rtl", rtl}};
}

namespace {

// "from 0.500", or "not reached" when no rate of the sweep crossed the line.
std::string from_text(const std::optional<double>& v) { return v ? fmt::format("from {:.3f}", *v) : std::string("not reached"); }

// The model-vs-RTL lines (text and Markdown share them).
std::vector<std::array<std::string, 3>> comparison_rows(const NocResult& r) {
  const NocCalibration& c = r.calibration;
  const auto rtl = [&](auto f) { return r.rtl ? f(*r.rtl) : std::string("-"); };
  std::vector<std::array<std::string, 3>> rows = {
      {"zero-load latency, 0 hops (cycles)", fmt::format("{}", c.local_cycles),
       rtl([](const NocRtlFigures& f) { return fmt::format("{}", f.local_cycles); })},
      {"zero-load latency per hop (cycles)", fmt::format("{:.2f}{}", c.cycles_per_hop, c.zero_load_exact ? " (every pair exact)" : " (NOT exact)"),
       rtl([](const NocRtlFigures& f) { return fmt::format("{:.2f} (every pair exact)", f.cycles_per_hop); })},
      {"one stream over one link (flits/cycle)", fmt::format("{:.3f} (bound {:.3f})", c.link_flits_per_cycle, c.link_bound_flits),
       rtl([](const NocRtlFigures& f) { return fmt::format("{:.3f}", f.link_flits_per_cycle); })},
      {"uniform random, 400 packets/node at cycle 0 (flits/cycle/node)", fmt::format("{:.3f}", c.uniform_accepted_flits),
       rtl([](const NocRtlFigures& f) { return fmt::format("{:.3f}", f.uniform_accepted_flits); })},
  };
  for (const NocPatternResult& p : r.patterns)
    if (p.pattern == TrafficPattern::kUniform)
      rows.push_back({"uniform random, this sweep: highest accepted (flits/cycle/node)",
                      fmt::format("{:.3f} (saturation {})", p.saturation_throughput_flits,
                                  from_text(p.saturation_offered_flits)),
                      rtl([](const NocRtlFigures&) { return std::string("- (the harness runs the burst above)"); })});
  return rows;
}

}  // namespace

std::string noc_table_text(const NocResult& r) {
  std::string s = fmt::format("noc         chip {} ({} x {} mesh), {}-flit packets, {} engine; offered load in "
                              "flits/cycle/node, latency in cycles (generation to delivery)\n",
                              r.chip_name, r.mesh_width, r.mesh_height, r.packet_flits, arch::to_string(r.engine));
  for (const NocPatternResult& p : r.patterns) {
    s += fmt::format("\n{}: zero-load latency {:.2f} cycles\n", to_string(p.pattern), p.zero_load_latency_cycles);
    s += fmt::format("{:>8} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7} {:>8}\n", "offered", "generated", "accepted", "mean", "p50", "p99",
                     "max", "packets");
    for (const NocPoint& q : p.points)
      s += fmt::format("{:>8.3f} {:>9.3f} {:>9.3f} {:>9.1f} {:>7} {:>7} {:>7} {:>8}{}\n", q.offered_flits, q.generated_flits,
                       q.accepted_flits, q.latency_mean_cycles, q.latency_p50_cycles, q.latency_p99_cycles, q.latency_max_cycles,
                       q.packets, q.saturated ? "  saturated" : "");
    s += fmt::format("saturation: accepted < 0.95 x offered {}; mean latency > 3 x zero load {}; highest accepted "
                     "{:.3f}\n",
                     from_text(p.saturation_offered_flits), from_text(p.latency_knee_offered_flits), p.saturation_throughput_flits);
  }
  s += fmt::format("\nmodel vs RTL mesh harness ({}):\n",
                   r.rtl ? fmt::format("RTL variant {}, rtl/noc/README.md", r.rtl->variant)
                         : std::string("no RTL figures documented for this chip; in a build with the RTL, neurark verify-rtl "
                                       "--chip CHIP --block mesh measures them"));
  for (const auto& [what, model, rtl] : comparison_rows(r)) s += fmt::format("  {:<64} model {:<42} RTL {}\n", what, model, rtl);
  return s;
}

std::string noc_markdown(const NocResult& r) {
  const NocOptions& o = r.options;
  std::string md = fmt::format(
      "# neurark noc: chip `{}` ({} x {} mesh)\n\n"
      "The chip model's network rules (`sim::timing::events_phase`, the function the SystemC model's events phases call) "
      "under synthetic traffic from a plain C++ driver (no SystemC kernel runs), {} engine; XY routes; {}-flit packets. Bernoulli "
      "injection, seed {}; warm-up {} cycles, measurement window {}. Offered and accepted load in "
      "flits/cycle/node; latency in cycles from generation (including source queueing) to the tail entering the "
      "destination's input FIFO. docs/noc.md defines every column.\n",
      r.chip_name, r.mesh_width, r.mesh_height, arch::to_string(r.engine), r.packet_flits, o.seed, o.warmup_cycles,
      o.measure_packets > 0 ? fmt::format("until {} packets were generated in it", o.measure_packets)
                            : fmt::format("{} cycles", o.measure_cycles));
  for (const NocPatternResult& p : r.patterns) {
    md += fmt::format("\n## {}\n\nZero-load latency {:.2f} cycles. Saturation (accepted < 0.95 x offered): {}; mean "
                      "latency > 3 x zero load: {}; highest accepted {:.3f} flits/cycle/node.\n\n",
                      to_string(p.pattern), p.zero_load_latency_cycles, from_text(p.saturation_offered_flits),
                      from_text(p.latency_knee_offered_flits), p.saturation_throughput_flits);
    md += "| offered | generated | accepted | mean | p50 | p99 | max | packets |\n|---|---|---|---|---|---|---|---|\n";
    for (const NocPoint& q : p.points)
      md += fmt::format("| {:.3f} | {:.3f} | {:.3f}{} | {:.1f} | {} | {} | {} | {} |\n", q.offered_flits, q.generated_flits,
                        q.accepted_flits, q.saturated ? " (saturated)" : "", q.latency_mean_cycles, q.latency_p50_cycles,
                        q.latency_p99_cycles, q.latency_max_cycles, q.packets);
  }
  md += fmt::format("\n## Model vs RTL mesh harness\n\n{}\n\n| | model | RTL |\n|---|---|---|\n",
                    r.rtl ? fmt::format("RTL: variant `{}`, measured by `neurark_rtl_noc_tests \"[.print]\"` (seed 1; "
                                        "rtl/noc/README.md), reproduced by `neurark verify-rtl` in a build with the RTL.",
                                        r.rtl->variant)
                          : std::string("No RTL figures are documented for this chip: `neurark verify-rtl --chip CHIP` (a build "
                                        "with the RTL) runs the mesh harness at its parameters."));
  for (const auto& [what, model, rtl] : comparison_rows(r)) md += fmt::format("| {} | {} | {} |\n", what, model, rtl);
  md += r.engine == arch::NocEngine::kFlit
            ? "\nThe flit engine follows the RTL router's rules cycle by cycle (round robin per output, one FIFO per input: "
              "head-of-line blocking). docs/noc.md explains the remaining differences.\n"
            : "\nThe analytic engine times packets in injection order (each link serves packets first come, first served by "
              "injection cycle); the RTL arbitrates round robin per output, cycle by cycle. docs/noc.md explains the "
              "differences.\n";
  return md;
}

}  // namespace neurark::runs
