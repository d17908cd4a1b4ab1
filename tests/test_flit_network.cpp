// SPDX-License-Identifier: Apache-2.0
// The flit-level network engine (sim/flit_network.hpp, `noc.engine: flit`) and its watchdog.
// Every expected figure is worked out by hand from the RTL router's rules (rtl/noc/nrk_router.sv,
// docs/noc.md "The flit engine"): a flit written into an input FIFO in cycle t is switched at the
// earliest in t + 1 and is on its output R - 1 cycles after its switch; a link adds L; a credit
// comes back L cycles after its flit left the FIFO, usable the cycle after; the neurocore's input
// FIFO returns a slot's credit the cycle after its event starts, usable the next. default-4x4:
// R = 2, L = 1, B = 4 flits; tiny-3x2: R = 1, L = 1, B = 4; one-flit event packets on both.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/runs/noc.hpp"
#include "neurark/sim/flit_network.hpp"
#include "neurark/sim/timing.hpp"
#include "forged_images.hpp"
#include "test_paths.hpp"

using namespace neurark;
namespace timing = neurark::sim::timing;
using Catch::Matchers::Contains;

namespace {

using Walks = std::vector<std::vector<std::array<int, 3>>>;

arch::ChipDescription flit_chip(const std::string& path) {
  arch::ChipDescription c = arch::ChipDescription::from_file(path);
  c.noc.engine = arch::NocEngine::kFlit;
  return c;
}
std::string default_chip() { return test::source_dir() + "/arch/chips/default-4x4.yaml"; }
std::string tiny_chip() { return test::source_dir() + "/tests/fixtures/tiny-3x2.yaml"; }

// Unicast traffic on XY routes: packets {src, dst, ready, lane cycles at the destination}.
struct Traffic {
  arch::MeshGrid grid;
  timing::EventTraffic t;
  Walks walks;
  explicit Traffic(const arch::ChipDescription& c) : grid(arch::MeshGrid::of(c)) {}
  void add(int src, int dst, int64_t ready, int64_t lane_cycles = 1) {
    int flow = -1;
    if (src != dst) {
      flow = static_cast<int>(walks.size());
      walks.push_back(arch::walk_order(grid, src, arch::xy_tree(grid, src, {dst})));
    }
    add_on(flow, src, dst, ready, lane_cycles);
  }
  // A packet on an existing flow (walks[flow]).
  void add_on(int flow, int src, int dst, int64_t ready = 0, int64_t lane_cycles = 1) {
    const std::size_t k = t.deliveries.size();
    t.events.push_back({src, flow, ready, k, k + 1});
    t.deliveries.emplace_back(dst, lane_cycles);
  }
  timing::EventsPhaseTimes run(const arch::ChipDescription& c, int64_t flits = 1, timing::EventsPhaseResult* res = nullptr) {
    std::vector<timing::LinkState> links = timing::idle_links(c);  // chip links with their timing
    timing::EventsPhaseTimes times;
    const timing::EventsPhaseResult r = timing::events_phase(
        t, walks, std::vector<int64_t>(static_cast<std::size_t>(grid.cores()), 0), c, flits, links, &times);
    if (res != nullptr) *res = r;
    return times;
  }
};

// The error a run of `tr` throws, "" if it runs to its end.
std::string run_error(Traffic& tr, const arch::ChipDescription& c) {
  try {
    tr.run(c);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

int64_t one_packet(const arch::ChipDescription& c, int src, int dst, int64_t flits = 1) {
  Traffic tr(c);
  tr.add(src, dst, 0, flits);
  const timing::EventsPhaseTimes times = tr.run(c, flits);
  REQUIRE(times.inject_cycles == std::vector<int64_t>{0});
  return times.deliver_cycles.at(0);
}

}  // namespace

TEST_CASE("flit engine: zero-load latency R + h (R + L) + F - 1, the analytic engine's", "[noc][flit]") {
  const arch::ChipDescription flit = flit_chip(default_chip());
  arch::ChipDescription analytic = flit;
  analytic.noc.engine = arch::NocEngine::kAnalytic;
  // Injected in cycle 0, switched in 1, out of the router in R = 2: every hop adds L + R = 3.
  CHECK(one_packet(flit, 0, 0) == 2);
  CHECK(one_packet(flit, 0, 1) == 5);
  CHECK(one_packet(flit, 5, 6) == 5);
  CHECK(one_packet(flit, 0, 15) == 2 + 6 * 3);
  CHECK(one_packet(flit, 15, 0) == 2 + 6 * 3);
  CHECK(one_packet(flit, 0, 15, 3) == 2 + 6 * 3 + 2);  // three flits: the tail two cycles behind
  for (int d = 0; d < 16; ++d) CHECK(one_packet(flit, 3, d) == one_packet(analytic, 3, d));
  const arch::ChipDescription tiny = flit_chip(tiny_chip());
  CHECK(one_packet(tiny, 0, 0) == 1);       // R = 1, L = 1: 1 + 2 per hop, the RTL mesh3x2's
  CHECK(one_packet(tiny, 0, 5) == 1 + 3 * 2);
  const runs::NocCalibration cal = runs::noc_calibrate(flit);
  CHECK(cal.zero_load_exact);
  CHECK(cal.local_cycles == 2);
  CHECK(cal.cycles_per_hop == 3.0);
}

TEST_CASE("flit engine: one stream over one link moves B flits per credit round trip R + 2L + 1", "[noc][flit]") {
  // default-4x4: router 0's east output grants in cycles 1-4 (4 credits), each credit back
  // R + 2L + 1 = 5 cycles after its grant: flit k is granted in 1 + k + floor(k / 4), the last
  // (k = 999) in 1,249, out of router 1 in 1,249 + 3 + 1 = 1,253: 1,000 flits in 1,254 cycles,
  // the RTL mesh4x4's 0.797.
  {
    const arch::ChipDescription c = flit_chip(default_chip());
    Traffic tr(c);
    for (int i = 0; i < 1000; ++i) tr.add(0, 1, 0);
    const timing::EventsPhaseTimes times = tr.run(c);
    CHECK(times.deliver_cycles.front() == 5);
    CHECK(times.deliver_cycles.back() == 1253);
    CHECK(runs::noc_calibrate(c).link_flits_per_cycle == Approx(1000.0 / 1254.0));
  }
  // tiny-3x2: round trip 4 = B: a flit every cycle, the last granted in 1,000, out in 1,002.
  {
    const arch::ChipDescription c = flit_chip(tiny_chip());
    Traffic tr(c);
    for (int i = 0; i < 1000; ++i) tr.add(0, 1, 0);
    CHECK(tr.run(c).deliver_cycles.back() == 1002);
  }
}

TEST_CASE("flit engine: a chip link adds its latency and beats, and moves B flits per credit round trip R + 2 L + beats",
          "[noc][flit]") {
  // default-4x4 twice side by side (8 x 4), chip links 32 bits wide (a 64-bit flit in 2 beats),
  // 20 cycles: router 3's east output is the chip link to router 4. A flit injected in 0 is
  // switched in 1, its last beat reaches router 4 in 1 + R + 20 + 1 = 24 (ready), it is switched to
  // the local port there and out in 25 = route_latency(1 hop) 5 + (20 - L) + (2 - 1). The link sends
  // a flit every 2 cycles (1, 3, 5, 7); the fifth waits for the first one's credit: it left router
  // 4's west FIFO in 24 and is back over the link in 24 + 20, usable in 45 = 1 + R + 2 x 20 + 2.
  std::string text = test::slurp(default_chip());
  text += "multichip:\n  chips_x: 2\n  link_width_bits: 32\n  link_latency_cycles: 20\n";
  arch::ChipDescription c = arch::ChipDescription::from_yaml_text(text, default_chip());
  c.noc.engine = arch::NocEngine::kFlit;
  REQUIRE(c.multichip.buffer_depth_flits == 4);  // noc.buffer_depth_flits when the file does not give it
  arch::ChipDescription analytic = c;
  analytic.noc.engine = arch::NocEngine::kAnalytic;
  const std::vector<int64_t> expected = {25, 27, 29, 31, 69, 71, 73, 75};
  for (const arch::ChipDescription* chip : {&c, &analytic}) {
    CAPTURE(chip->noc.engine == arch::NocEngine::kFlit);
    Traffic tr(*chip);
    for (int i = 0; i < 8; ++i) tr.add(3, 4, 0);
    timing::EventsPhaseResult res;
    CHECK(tr.run(*chip, 1, &res).deliver_cycles == expected);
    CHECK(res.cycles == 76);
  }
  // Deep enough buffers (multichip.buffer_depth_flits 32 >= a round trip of 44 cycles / 2 beats)
  // hide the latency: a flit every 2 beats, on both engines.
  arch::ChipDescription deep = arch::ChipDescription::from_yaml_text(text + "  buffer_depth_flits: 32\n", default_chip());
  REQUIRE(deep.multichip.buffer_depth_flits == 32);
  for (arch::NocEngine e : {arch::NocEngine::kFlit, arch::NocEngine::kAnalytic}) {
    deep.noc.engine = e;
    Traffic tr(deep);
    for (int i = 0; i < 8; ++i) tr.add(3, 4, 0);
    CHECK(tr.run(deep).deliver_cycles == std::vector<int64_t>{25, 27, 29, 31, 33, 35, 37, 39});
  }
  // A three-flit packet over the chip link: the head as above, its flits 2 beats apart from then on.
  CHECK(one_packet(c, 3, 4, 3) == 25 + 2 * 2);
  // Across the chip and on: (0,0) -> (7,3), 10 hops, one chip link: 2 + 10 x 3 + 20 = 52.
  CHECK(one_packet(c, 0, 31) == 52);
  CHECK(one_packet(analytic, 0, 31) == 52);
}

TEST_CASE("a chip-to-chip port shared by several border routers sends one flit at a time for them, on both engines",
          "[noc][flit]") {
  // The two default-4x4 chips above (32-bit chip links: 2 beats, 20 cycles). Routers 3, 11, 19 and
  // 27 (x 3, y 0..3) face chip 1 east. One packet 3 -> 4 and one 11 -> 12, both injected in 0:
  // on links of their own both are out in 25 (the case above). Sharing one port, router 3 (the
  // lower index) sends in cycle 1, its 2 beats hold the port until 3, and router 11 sends then:
  // its packet is out 2 cycles later, in 27.
  const std::string text = test::slurp(default_chip()) + "multichip:\n  chips_x: 2\n  link_width_bits: 32\n  link_latency_cycles: 20\n";
  const auto chip = [&](const std::string& extra, arch::NocEngine e) {
    arch::ChipDescription c = arch::ChipDescription::from_yaml_text(text + extra, default_chip());
    c.noc.engine = e;
    return c;
  };
  for (arch::NocEngine e : {arch::NocEngine::kFlit, arch::NocEngine::kAnalytic}) {
    CAPTURE(e == arch::NocEngine::kFlit);
    const auto deliver = [&](const std::string& extra, int second_src) {
      const arch::ChipDescription c = chip(extra, e);
      Traffic tr(c);
      tr.add(3, 4, 0);
      tr.add(second_src, second_src + 1, 0);
      return tr.run(c).deliver_cycles;
    };
    CHECK(deliver("", 11) == std::vector<int64_t>{25, 25});
    CHECK(deliver("  ports_per_edge: 4\n", 11) == std::vector<int64_t>{25, 25});  // a port per router: as without ports
    CHECK(deliver("  ports_per_edge: 1\n", 11) == std::vector<int64_t>{25, 27});
    // Two ports: routers 3 and 11 (y 0, 1) share the first, 19 (y 2) has the second with 27.
    CHECK(deliver("  ports_per_edge: 2\n", 11) == std::vector<int64_t>{25, 27});
    CHECK(deliver("  ports_per_edge: 2\n", 19) == std::vector<int64_t>{25, 25});
    // The port serves only one direction: a packet west (12 -> 11) alongside 3 -> 4 does not wait.
    const arch::ChipDescription c = chip("  ports_per_edge: 1\n", e);
    Traffic tr(c);
    tr.add(3, 4, 0);
    tr.add(12, 11, 0);
    CHECK(tr.run(c).deliver_cycles == std::vector<int64_t>{25, 25});
  }
  // A stream of 8 packets from each of routers 3 and 11 through one port: 16 flits of 2 beats
  // take the port 32 cycles, so the last is out no earlier than 25 + 30 = 55; the 4-flit chip-link
  // buffers (a 44-cycle credit round trip per link, 8 flits in flight over the two) bound it too.
  for (arch::NocEngine e : {arch::NocEngine::kFlit, arch::NocEngine::kAnalytic}) {
    CAPTURE(e == arch::NocEngine::kFlit);
    const arch::ChipDescription c = chip("  ports_per_edge: 1\n  buffer_depth_flits: 32\n", e);
    Traffic tr(c);
    for (int i = 0; i < 8; ++i) {
      tr.add(3, 4, 0);
      tr.add(11, 12, 0);
    }
    const std::vector<int64_t> got = tr.run(c).deliver_cycles;
    CHECK(*std::max_element(got.begin(), got.end()) == 55);
    CHECK(*std::min_element(got.begin(), got.end()) == 25);
    // Who goes first. Analytic: injection order, so the streams alternate: router 11's first packet
    // reaches the port at 2, waits for router 3's to leave it at 4, and is out in 4 + 23 = 27. Flit:
    // in cycle t the routers ask from index t mod 32 on, so router 3 sends in 1 and 3, router 11
    // from 5 (then 7, 9, 11, and router 3 again from 13): router 11's first packet is out in 29.
    CHECK(got[1] == (e == arch::NocEngine::kFlit ? 29 : 27));
  }
}

TEST_CASE("flit engine: a head flit waiting for a full input FIFO blocks the flits behind it", "[noc][flit]") {
  // Core 0 sends E1, E2, E2b to core 1 (50 lane cycles each; an input FIFO of one event) and E3 on
  // to core 2 through router 1, injected in cycles 0-3. E1: out of router 1 in 5, starts at once
  // (busy to 55), its credit usable in 7; E2 granted in 7, out in 8, starts in 55 (credit in 57);
  // E2b heads router 1's west FIFO from 8 and waits for that credit: granted in 57, out in 58.
  // E3, behind it, is switched east in 58, reaches router 2 in 61 and is out in 62, where the
  // analytic engine (no order inside a buffer) delivers it at zero load, 3 + 8 = 11.
  arch::ChipDescription c = flit_chip(default_chip());
  c.core.input_fifo_depth = 1;
  Traffic tr(c);
  tr.add(0, 1, 0, 50);
  tr.add(0, 1, 1, 50);
  tr.add(0, 1, 2, 50);
  tr.add(0, 2, 3, 1);
  timing::EventsPhaseResult res;
  const timing::EventsPhaseTimes times = tr.run(c, 1, &res);
  CHECK(times.inject_cycles == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(times.deliver_cycles == std::vector<int64_t>{5, 8, 58, 62});
  CHECK(res.cycles == 105 + 50);        // E2b starts when E2 is done, in 105
  CHECK(res.fifo_stall_cycles == 2 + 49);  // E2 waited in 5-6, E2b in 8-56
  arch::ChipDescription a = c;
  a.noc.engine = arch::NocEngine::kAnalytic;
  CHECK(tr.run(a).deliver_cycles.back() == 11);
}

TEST_CASE("flit engine: two inputs share an output round robin", "[noc][flit]") {
  // Cores 0 and 1 each send 4 packets to core 2 at cycle 0. Router 1's east output (4 credits,
  // each usable R + L + L + 1 = 5 cycles after its grant: router 2 switches the flit R + L = 3 cycles
  // after, to its local port at once) sees its local input (core 1's flits, from cycle 1) and its
  // west input (core 0's, from 1 + 3 = 4). Cycles 1-3: local alone (e4, e5, e6; the pointer goes
  // to east, 0). Cycle 4: west and local request, west comes first from east (e0; pointer to
  // south). Cycle 5: no credit. Cycle 6: local comes first from south (e7), then west alone in 7, 8,
  // 9 (e1, e2, e3). Router 2 delivers each R + L + R - 1 = 4 cycles after its grant in router 1.
  const arch::ChipDescription c = flit_chip(default_chip());
  Traffic tr(c);
  for (int i = 0; i < 4; ++i) tr.add(0, 2, 0);
  for (int i = 0; i < 4; ++i) tr.add(1, 2, 0);
  const timing::EventsPhaseTimes times = tr.run(c);
  CHECK(times.deliver_cycles == std::vector<int64_t>{8, 11, 12, 13, 5, 6, 7, 10});
}

TEST_CASE("flit engine: the RTL mesh harness's experiments land on the RTL's figures", "[noc][flit]") {
  // runs::rtl_mesh_figures: what the RTL mesh measured (rtl/noc/README.md; `neurark verify-rtl
  // --block mesh` reproduces it) on the same packets in the same order (the burst draws the
  // harness's destinations). Zero load and one link are exact by the rules; the uniform burst,
  // where head-of-line blocking binds, within 5 % (default-4x4: 0.474 vs 0.465; tiny-3x2: 0.694 vs
  // 0.723), where the analytic engine is 30 % above the RTL on tiny-3x2 (0.937).
  for (const std::string& path : {default_chip(), tiny_chip()}) {
    CAPTURE(path);
    const arch::ChipDescription c = flit_chip(path);
    const std::optional<runs::NocRtlFigures> rtl = runs::rtl_mesh_figures(c);
    REQUIRE(rtl);
    const runs::NocCalibration flit = runs::noc_calibrate(c);
    CHECK(flit.zero_load_exact);
    CHECK(flit.local_cycles == rtl->local_cycles);
    CHECK(flit.cycles_per_hop == rtl->cycles_per_hop);
    CHECK(flit.link_flits_per_cycle == Approx(rtl->link_flits_per_cycle).margin(0.0005));
    CHECK(flit.uniform_accepted_flits == Approx(rtl->uniform_accepted_flits).epsilon(0.05));
    CHECK(runs::noc_calibrate(c).uniform_accepted_flits == flit.uniform_accepted_flits);  // deterministic
  }
  arch::ChipDescription analytic = flit_chip(tiny_chip());
  analytic.noc.engine = arch::NocEngine::kAnalytic;
  CHECK(runs::noc_calibrate(analytic).uniform_accepted_flits > 1.2 * 0.723);
}

namespace {

// Four flows around the square of cores 0, 1, 3, 2 of a 2 x 2 mesh, each turning the same way
// over two links (0 -> 1 -> 3, 1 -> 3 -> 2, 3 -> 2 -> 0, 2 -> 0 -> 1): their channel dependencies
// form a cycle, which XY routing never builds. `packets` from each source at cycle 0.
Traffic ring_traffic(const arch::ChipDescription& c, int packets) {
  Traffic tr(c);
  const int ring[4][3] = {{0, 1, 3}, {1, 3, 2}, {3, 2, 0}, {2, 0, 1}};
  for (const auto& r : ring) {
    std::vector<std::pair<int, int>> links = {{r[0], r[1]}, {r[1], r[2]}};
    tr.walks.push_back(arch::walk_order(tr.grid, r[0], links));
  }
  for (int i = 0; i < packets; ++i)
    for (int f = 0; f < 4; ++f) tr.add_on(f, ring[f][0], ring[f][2]);
  return tr;
}

}  // namespace

TEST_CASE("flit engine: the watchdog names the stuck flows and links of a deadlock", "[noc][flit]") {
  arch::ChipDescription c = flit_chip(default_chip());
  c.mesh_width = 2;
  c.mesh_height = 2;
  c.noc.watchdog_cycles = 500;
  // Few packets: every flow's flits fit in the FIFOs ahead of them, nothing waits in a cycle.
  Traffic few = ring_traffic(c, 2);
  CHECK_NOTHROW(few.run(c));
  // Many: every FIFO on the ring fills with flits waiting for the next link of the ring.
  Traffic many = ring_traffic(c, 100);
  {
    const std::string m = run_error(many, c);
    CHECK_THAT(m, Contains("NoC watchdog: no flit moved for 500 cycles (noc.watchdog_cycles)"));
    CHECK_THAT(m, Contains("flow 0 (core 0 (0,0) -> core 3 (1,1))"));
    CHECK_THAT(m, Contains("flow 1 (core 1 (1,0) -> core 2 (0,1))"));
    CHECK_THAT(m, Contains("flow 2 (core 3 (1,1) -> core 0 (0,0))"));
    CHECK_THAT(m, Contains("flow 3 (core 2 (0,1) -> core 1 (1,0))"));
    // The four links of the ring, each FIFO full (B = 4): its head flit waits for a credit of the
    // next link of the ring, whose FIFO is full in turn.
    CHECK_THAT(m, Contains("router (0,0) east -> router (1,0): 4 flit(s) of flow(s) 0"));
    CHECK_THAT(m, Contains("router (1,0) south -> router (1,1): 4 flit(s) of flow(s) "));
    CHECK_THAT(m, Contains("router (1,1) west -> router (0,1): 4 flit(s) of flow(s) 1"));
    CHECK_THAT(m, Contains("router (0,1) north -> router (0,0): 4 flit(s) of flow(s) "));
  }
  // The same ring under the analytic engine: it times packets one at a time and never deadlocks.
  arch::ChipDescription a = c;
  a.noc.engine = arch::NocEngine::kAnalytic;
  CHECK_NOTHROW(many.run(a));
}

TEST_CASE("flit engine: a forged image whose routes deadlock is refused at load, and loaded without that check it trips "
          "the watchdog", "[noc][flit][image]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "neurark-test-flit-ring";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string good = (dir / "m.nimg").string(), bad = (dir / "ring.nimg").string();
  auto w = std::make_shared<const models::Checkpoint>(models::Checkpoint::open(test::source_dir() + "/tests/fixtures/tiny"));
  compiler::emit(compiler::compile_graph(std::move(w), arch::ChipDescription::from_file(tiny_chip()), test::slurp(tiny_chip()),
                                         compiler::CompileOptions{}),
                 good);
  int first = -1;
  test::rewrite(good, bad, [&](nlohmann::json& m) { first = test::add_deadlocking_ring(m); });
  const arch::Image img = arch::Image::open(bad);
  CHECK_THROWS_WITH(arch::Program::from_image(img),
                    Contains("routing: the routes can deadlock: their channel dependency graph has a cycle"));
  // The route checks off (tests only): the ring's routes, as the image holds them, reach the engine.
  const arch::Program p = arch::Program::from_image(img, arch::ProgramChecks{false});
  arch::ChipDescription c = p.chip;
  c.noc.engine = arch::NocEngine::kFlit;
  c.noc.watchdog_cycles = 500;
  c.noc.buffer_depth_flits = 1;
  Traffic tr(c);
  for (std::size_t f = 0; f < p.flows.size(); ++f) tr.walks.push_back(p.walk_order(static_cast<int>(f)));
  for (int i = 0; i < 100; ++i)
    for (int f = first; f < first + 4; ++f)
      tr.add_on(f, p.flows[static_cast<std::size_t>(f)].src_core, p.flows[static_cast<std::size_t>(f)].dst_cores.at(0));
  {
    const std::string m = run_error(tr, c);
    CHECK_THAT(m, Contains("NoC watchdog: no flit moved for 500 cycles"));
    // Cores 0 (0,0), 1 (1,0), 4 (1,1), 3 (0,1) of the 3 x 2 mesh.
    CHECK_THAT(m, Contains(fmt::format("flow {} (core 0 (0,0) -> core 4 (1,1))", first)));
    CHECK_THAT(m, Contains(fmt::format("flow {} (core 1 (1,0) -> core 3 (0,1))", first + 1)));
    CHECK_THAT(m, Contains(fmt::format("flow {} (core 4 (1,1) -> core 0 (0,0))", first + 2)));
    CHECK_THAT(m, Contains(fmt::format("flow {} (core 3 (0,1) -> core 1 (1,0))", first + 3)));
    // Each FIFO of the ring holds its one flit (noc.buffer_depth_flits 1 here), waiting for the next link.
    CHECK_THAT(m, Contains("router (0,0) east -> router (1,0): 1 flit(s)"));
    CHECK_THAT(m, Contains("router (1,0) south -> router (1,1): 1 flit(s)"));
    CHECK_THAT(m, Contains("router (1,1) west -> router (0,1): 1 flit(s)"));
    CHECK_THAT(m, Contains("router (0,1) north -> router (0,0): 1 flit(s)"));
  }
  fs::remove_all(dir);
}
