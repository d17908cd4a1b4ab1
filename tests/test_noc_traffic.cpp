// SPDX-License-Identifier: Apache-2.0
// The network on its own (runs/noc.hpp, `neurark noc`): the model's mesh under synthetic traffic.
// Every expected figure is worked out by hand from the events-phase rules (docs/chip-model.md,
// "Events phases"; docs/noc.md): on default-4x4 router R = 2 cycles, link L = 1 cycle, buffers of
// B = 4 flits, one-flit packets (F = 1: 24 + 8 flow bits for 16 x 16 unicast flows <= 64-bit links).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/runs/noc.hpp"
#include "neurark/sim/timing.hpp"
#include "test_paths.hpp"

using namespace neurark;
namespace timing = neurark::sim::timing;

namespace {

std::string chip(const std::string& name) { return test::source_dir() + "/arch/chips/" + name + ".yaml"; }
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
std::string tiny_chip() { return test::source_dir() + "/tests/fixtures/tiny-3x2.yaml"; }

// One packet from `src` to `dst` on `c`'s mesh, offered at cycle 0: its delivery cycle.
int64_t one_packet(const arch::ChipDescription& c, int src, int dst, int64_t flits) {
  const arch::MeshGrid g = arch::MeshGrid::of(c);
  std::vector<std::vector<std::array<int, 3>>> walks{arch::walk_order(g, src, arch::xy_tree(g, src, {dst}))};
  timing::EventTraffic t;
  t.events.push_back({src, src == dst ? -1 : 0, 0, 0, 1});
  t.deliveries.emplace_back(dst, flits);
  std::vector<timing::LinkState> links(static_cast<std::size_t>(g.links()));
  timing::EventsPhaseTimes times;
  timing::events_phase(t, walks, std::vector<int64_t>(static_cast<std::size_t>(g.cores()), 0), c, flits, links, &times);
  REQUIRE(times.inject_cycles == std::vector<int64_t>{0});
  return times.deliver_cycles.at(0);
}

runs::NocOptions options(const std::string& chip_path, runs::TrafficPattern p, std::vector<double> rates) {
  runs::NocOptions o;
  o.chip_path = chip_path;
  o.patterns = {p};
  o.rates = std::move(rates);
  o.warmup_cycles = 500;
  o.measure_cycles = 3000;
  return o;
}

// A chip file written to the temp folder: preset `name` with its table paths made absolute and
// `append` added (the caller removes it).
std::string chip_copy(const std::string& name, const std::string& file, const std::string& append) {
  std::string text = slurp(chip(name));
  for (const std::string dir : {"energy", "technology"}) {
    const std::string rel = "../" + dir + "/", abs = test::source_dir() + "/arch/" + dir + "/";
    for (std::size_t at; (at = text.find(rel)) != std::string::npos;) text.replace(at, rel.size(), abs);
  }
  const std::string path = std::filesystem::temp_directory_path() / file;
  std::ofstream(path) << text << append;
  return path;
}

}  // namespace

TEST_CASE("noc traffic: two chips: a chip link adds its latency and beats to the zero-load latency", "[noc]") {
  // default-4x4 twice side by side (8 x 4), chip links of 32 bits (64-bit flits: 2 beats) and 20
  // cycles against the mesh's R = 2, L = 1.
  const std::string two = chip_copy("default-4x4", "neurark-noc-two-chips-zl.yaml",
                                     "multichip:\n  chips_x: 2\n  link_width_bits: 32\n  link_latency_cycles: 20\n");
  const runs::NocResult r = runs::noc_sweep(options(two, runs::TrafficPattern::kNeighbor, {0.05}));
  CHECK(r.mesh_width == 8);
  CHECK(r.mesh_height == 4);
  // Every pair alone, timed by the events engine, equals the formula: R + h (R + L) + F - 1 plus,
  // per chip link crossed, (20 - L) + (2 - 1) = 20.
  CHECK(r.calibration.zero_load_exact);
  CHECK(r.calibration.local_cycles == 2);
  // Farthest pair (0,0) -> (7,3): 10 hops, one chip link: 2 + 10 x 3 + 20 = 52 (F = 1).
  REQUIRE(r.packet_flits == 1);
  CHECK(r.calibration.cycles_per_hop == Approx((52.0 - 2.0) / 10.0));
  CHECK_FALSE(r.rtl.has_value());  // no RTL mesh figures for several chips
  // The flit engine times every pair the same (tests/test_flit_network.cpp works the chip link's
  // cycles out by hand), and its neighbour traffic at 0.05 flits/cycle/node is not saturated.
  runs::NocOptions flit = options(two, runs::TrafficPattern::kNeighbor, {0.05});
  flit.engine = arch::NocEngine::kFlit;
  const runs::NocResult f = runs::noc_sweep(flit);
  std::filesystem::remove(two);
  CHECK(f.engine == arch::NocEngine::kFlit);
  CHECK(f.calibration.zero_load_exact);
  CHECK(f.calibration.cycles_per_hop == r.calibration.cycles_per_hop);
  CHECK(f.patterns.at(0).zero_load_latency_cycles == r.patterns.at(0).zero_load_latency_cycles);
  CHECK_FALSE(f.patterns.at(0).points.at(0).saturated);
}

TEST_CASE("noc traffic: zero-load latency is R + h (R + L) + F - 1, every pair, as the RTL mesh measures", "[noc]") {
  const arch::ChipDescription c = arch::ChipDescription::from_file(chip("default-4x4"));
  // The head leaves the source router after R, each hop adds a link L and the next router R
  // (the destination's router included), the tail follows F - 1 cycles behind.
  CHECK(one_packet(c, 0, 0, 1) == 2);                 // local port: R
  CHECK(one_packet(c, 0, 1, 1) == 2 + 3);             // one hop
  CHECK(one_packet(c, 0, 15, 1) == 2 + 6 * 3);        // corner to corner: 6 hops
  CHECK(one_packet(c, 15, 0, 1) == 2 + 6 * 3);
  CHECK(one_packet(c, 0, 15, 2) == 2 + 6 * 3 + 1);    // two flits: the tail one cycle later
  CHECK(one_packet(c, 0, 15, 1) == timing::route_latency_cycles(c.noc, 6));
  const runs::NocCalibration cal = runs::noc_calibrate(c);
  CHECK(cal.zero_load_exact);
  CHECK(cal.local_cycles == 2);        // rtl/noc/README.md: 2 cycles local -> local
  CHECK(cal.cycles_per_hop == 3.0);    // and 3 per hop, every pair exact
  const runs::NocCalibration tiny = runs::noc_calibrate(arch::ChipDescription::from_file(tiny_chip()));
  CHECK(tiny.zero_load_exact);
  CHECK(tiny.local_cycles == 1);       // R = 1, L = 1: the RTL's 1 cycle and 2 per hop
  CHECK(tiny.cycles_per_hop == 2.0);
}

TEST_CASE("noc traffic: one link saturates at min(1, B / (R + 2L + F)), the credit round trip", "[noc]") {
  // Packet i leaves node 0 on the link at d_i; its buffer slot at node 1 frees when it enters the
  // FIFO at d_i + L + R (+ F - 1), and the credit is usable L + 1 later: d_{i+B} >= d_i + R + 2L + F.
  // Default chip: d_i = 2 + i for i < 4, then d_{i+4} = d_i + 5 -> packet 999 (= 4 x 249 + 3) at
  // 2 + 3 + 5 x 249 = 1250, delivered at 1253; 1,000 flits over cycles 0..1253.
  const runs::NocCalibration cal = runs::noc_calibrate(arch::ChipDescription::from_file(chip("default-4x4")));
  CHECK(cal.link_bound_flits == Approx(4.0 / 5.0));
  CHECK(cal.link_flits_per_cycle == Approx(1000.0 / 1254.0));  // 0.797, the RTL's figure
  // tiny-3x2: R = 1, L = 1, B = 4: round trip 4 cycles, the link never waits: d_i = 1 + i, packet 999
  // delivered at 1000 + 1 + 1 = 1002; 1,000 flits over 1,003 cycles (the RTL's 0.997).
  const runs::NocCalibration tiny = runs::noc_calibrate(arch::ChipDescription::from_file(tiny_chip()));
  CHECK(tiny.link_bound_flits == 1.0);
  CHECK(tiny.link_flits_per_cycle == Approx(1000.0 / 1003.0));
  // Neighbour traffic puts one stream on each link it uses: at offered 1 it saturates at the bound.
  const runs::NocResult r = runs::noc_sweep(options(chip("default-4x4"), runs::TrafficPattern::kNeighbor, {0.5, 1.0}));
  REQUIRE(r.patterns.size() == 1);
  const runs::NocPatternResult& p = r.patterns[0];
  CHECK_FALSE(p.points[0].saturated);
  CHECK(p.points[0].accepted_flits == Approx(0.5).margin(0.03));
  CHECK(p.points[1].saturated);
  CHECK(p.points[1].accepted_flits == Approx(0.8).margin(0.005));
  CHECK(p.saturation_offered_flits == Approx(1.0));
  // Zero load of neighbour traffic on 4 x 4: 3 of 4 columns one hop (5 cycles), the last 3 hops back (11).
  CHECK(p.zero_load_latency_cycles == Approx((3 * 5 + 11) / 4.0));
}

TEST_CASE("noc traffic: uniform random never beats the bisection (channel load) bound of XY routing", "[noc]") {
  // Uniform over the other N - 1 = k^2 - 1 nodes, XY: the east link between columns k/2 - 1 and
  // k/2 of a row carries the traffic of the row's k/2 left sources to the k^2 / 2 nodes of the
  // right half: load = (k / 2) x lambda x (k^2 / 2) / (k^2 - 1). It moves at most c flits/cycle
  // (the one-link bound), so lambda <= c x 4 (k^2 - 1) / k^3. Packets in flight past the bisection
  // at the window's start (a few buffers per row) may add < 0.01 flits/cycle/node.
  // The model reaches 62 % of the bound on 4 x 4 and 25 % on 16 x 16 (docs/noc.md: links serve
  // packets in injection order, so a link idles while it waits for an earlier-injected packet);
  // below 15 % it would have stalled.
  for (const auto& [name, k, c, low, high] : {std::tuple{"default-4x4", 4.0, 0.8, 0.1, 1.0},
                                              std::tuple{"large-16x16", 16.0, 1.0, 0.02, 0.3}}) {
    runs::NocOptions o = options(chip(name), runs::TrafficPattern::kUniform, {low, high});
    o.measure_cycles = k > 4 ? 1500 : 3000;
    const runs::NocResult r = runs::noc_sweep(o);
    const double bound = c * 4 * (k * k - 1) / (k * k * k);
    INFO(name << ": bound " << bound);
    const runs::NocPatternResult& p = r.patterns.at(0);
    CHECK(p.points[1].accepted_flits <= bound + 0.01);
    CHECK(p.points[1].accepted_flits > 0.15 * bound);
    CHECK(p.points[1].saturated);
    // Below saturation everything offered is accepted (within the Bernoulli noise of the window).
    CHECK_FALSE(p.points[0].saturated);
    CHECK(p.points[0].accepted_flits == Approx(p.points[0].generated_flits).margin(0.01));
    CHECK(p.points[0].latency_mean_cycles >= p.zero_load_latency_cycles);
    CHECK(p.points[0].latency_p50_cycles <= p.points[0].latency_p99_cycles);
    CHECK(p.points[0].latency_p99_cycles <= p.points[0].latency_max_cycles);
  }
}

TEST_CASE("noc traffic: hotspot saturates where the hotspot's ejection port does", "[noc]") {
  // The hotspot node takes one packet per F cycles (its lane array, docs/noc.md). Each of the
  // other N - 1 sources sends it f x lambda, plus (1 - f) x lambda / (N - 1) of uniform traffic:
  // lambda (f (N - 1) + 1 - f) <= 1. Default 4 x 4, f = 0.2: lambda <= 1 / 3.8 = 0.263; 16 x 16:
  // 1 / 51.8 = 0.0193.
  for (const auto& [name, below, above] : {std::tuple{"default-4x4", 0.24, 0.29}, std::tuple{"large-16x16", 0.017, 0.022}}) {
    runs::NocOptions o = options(chip(name), runs::TrafficPattern::kHotspot, {below, above});
    o.measure_cycles = 6000;
    const runs::NocResult r = runs::noc_sweep(o);
    INFO(name);
    const runs::NocPatternResult& p = r.patterns.at(0);
    CHECK_FALSE(p.points[0].saturated);
    CHECK(p.points[1].saturated);
    CHECK(p.saturation_offered_flits == Approx(above));
  }
}

TEST_CASE("noc traffic: bit-complement saturates at its channel-load bound 2c / k", "[noc]") {
  // (x, y) -> (k-1-x, k-1-y) with XY routing: in every row the k/2 sources of the left half all
  // cross the middle east link (and the right half the middle west link), so k/2 x lambda <= c:
  // lambda <= 2c / k, 0.4 on default-4x4 (c = 0.8). That link is the first contended one on
  // those paths, so the model reaches the bound.
  runs::NocOptions o = options(chip("default-4x4"), runs::TrafficPattern::kBitComplement, {0.3, 1.0});
  const runs::NocResult r = runs::noc_sweep(o);
  const runs::NocPatternResult& p = r.patterns.at(0);
  CHECK_FALSE(p.points[0].saturated);
  CHECK(p.points[1].accepted_flits <= 0.4 + 0.01);
  CHECK(p.points[1].accepted_flits == Approx(0.4).margin(0.01));
  CHECK(p.zero_load_latency_cycles == Approx(2 + 3 * 4.0));  // hops |3 - 2x| + |3 - 2y|, mean 2 + 2
}

TEST_CASE("noc traffic: the same seed gives the same bits, another seed other traffic", "[noc]") {
  runs::NocOptions o = options(chip("default-4x4"), runs::TrafficPattern::kHotspot, {0.1, 0.4});
  o.measure_cycles = 1000;
  const std::string a = runs::noc_json(runs::noc_sweep(o)).dump();
  CHECK(runs::noc_json(runs::noc_sweep(o)).dump() == a);
  o.seed = 2;
  CHECK(runs::noc_json(runs::noc_sweep(o)).dump() != a);
  // A window in packets: it ends with the cycle that generated the 5,000th, so 5,000 to 5,015
  // packets on 16 nodes, over about 5,000 / (16 x 0.1) = 3,125 cycles at offered 0.1.
  o.measure_packets = 5000;
  const runs::NocResult r = runs::noc_sweep(o);
  for (const runs::NocPoint& q : r.patterns.at(0).points) {
    CHECK(q.packets >= 5000);
    CHECK(q.packets < 5000 + 16);
  }
  CHECK(r.patterns[0].points[0].window_cycles == Approx(3125).epsilon(0.1));
}

TEST_CASE("noc traffic: per-packet times do not change an events phase's result", "[noc]") {
  // The same traffic timed with and without the optional output: the same phase figures.
  const arch::ChipDescription c = arch::ChipDescription::from_file(chip("default-4x4"));
  const arch::MeshGrid g = arch::MeshGrid::of(c);
  std::vector<std::vector<std::array<int, 3>>> walks{arch::walk_order(g, 0, arch::xy_tree(g, 0, {5, 10, 15}))};
  timing::EventTraffic t;
  for (int i = 0; i < 50; ++i) {
    const std::size_t k = t.deliveries.size();
    t.events.push_back({0, 0, i / 3, k, k + 3});
    for (int d : {5, 10, 15}) t.deliveries.emplace_back(d, 3);
  }
  std::vector<timing::LinkState> l1(static_cast<std::size_t>(g.links())), l2 = l1;
  const std::vector<int64_t> codes(16, 0);
  timing::EventsPhaseTimes times;
  const timing::EventsPhaseResult a = timing::events_phase(t, walks, codes, c, 1, l1);
  const timing::EventsPhaseResult b = timing::events_phase(t, walks, codes, c, 1, l2, &times);
  CHECK(a.cycles == b.cycles);
  CHECK(a.link_queue_cycles == b.link_queue_cycles);
  CHECK(a.fifo_stall_cycles == b.fifo_stall_cycles);
  CHECK(a.link_queue_cycles > 0);  // the traffic does contend: the check above is not vacuous
  REQUIRE(times.deliver_cycles.size() == t.deliveries.size());
  int64_t last = 0;
  for (int64_t d : times.deliver_cycles) last = std::max(last, d);
  CHECK(last + 3 <= a.cycles);  // the last delivery's lane work ends the phase
}

TEST_CASE("noc traffic: bad options and meshes a pattern cannot take are refused, naming what was expected", "[noc]") {
  CHECK_THROWS_WITH(runs::traffic_pattern("diagonal"), Catch::Contains("--pattern diagonal: unknown traffic pattern") &&
                                                           Catch::Contains("expected uniform, transpose"));
  // transpose needs a square mesh; tiny-3x2 is 3 x 2.
  CHECK_THROWS_WITH(runs::noc_sweep(options(tiny_chip(), runs::TrafficPattern::kTranspose, {0.1})),
                    Catch::Contains("tiny-3x2.yaml") && Catch::Contains("mesh.width 3 and mesh.height 2") &&
                        Catch::Contains("square"));
  CHECK_THROWS_WITH(runs::noc_sweep(options(tiny_chip(), runs::TrafficPattern::kBitComplement, {0.1})),
                    Catch::Contains("mesh 3 x 2") && Catch::Contains("powers of two"));
  for (double bad : {0.0, -0.1, 1.5})
    CHECK_THROWS_WITH(runs::noc_sweep(options(chip("default-4x4"), runs::TrafficPattern::kUniform, {0.1, bad})),
                      Catch::Contains("--rates") && Catch::Contains("outside (0, 1]"));
  runs::NocOptions o = options(chip("default-4x4"), runs::TrafficPattern::kHotspot, {0.1});
  o.hotspot_xy = std::make_pair(4, 0);
  CHECK_THROWS_WITH(runs::noc_sweep(o), Catch::Contains("--hotspot 4,0: not on"));
  o.hotspot_xy.reset();
  o.hotspot_fraction = 1.5;
  CHECK_THROWS_AS(runs::noc_sweep(o), Error);
  // Transpose and bit-complement on a square power-of-two mesh run.
  CHECK(runs::noc_sweep(options(chip("default-4x4"), runs::TrafficPattern::kTranspose, {0.1})).patterns.size() == 1);
}
