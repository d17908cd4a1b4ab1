// SPDX-License-Identifier: Apache-2.0
// The chip model's timing rules (sim/timing.hpp), without SystemC: every figure below is worked
// out by hand from the rules in docs/chip-model.md on the default chip's NoC (router 2 cycles,
// link 1 cycle, 4-flit buffers, 64-event input FIFOs) unless a case changes a parameter.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/sim/timing.hpp"

using namespace neurark;
namespace timing = neurark::sim::timing;
using arch::PhaseKind;

namespace {

// A 3 x 1 mesh: cores 0, 1, 2 in a row; link ids 4 x core + direction (east = 0).
arch::ChipDescription row3() {
  arch::ChipDescription c;
  c.mesh_width = 3;
  c.mesh_height = 1;
  return c;
}
constexpr int kEast0 = 0;  // core 0 -> core 1
constexpr int kEast1 = 4;  // core 1 -> core 2

// One event per entry: {source, flow, ready cycle, destination core, service cycles there}.
struct Ev {
  int src, flow;
  int64_t ready;
  int dst;
  int64_t service;
};
timing::EventTraffic traffic(const std::vector<Ev>& evs) {
  timing::EventTraffic t;
  for (const Ev& e : evs) {
    t.events.push_back({e.src, e.flow, e.ready, t.deliveries.size(), t.deliveries.size() + 1});
    t.deliveries.emplace_back(e.dst, e.service);
  }
  return t;
}

using Walks = std::vector<std::vector<std::array<int, 3>>>;
const Walks kWalks = {
    {{kEast0, 0, 1}},                   // flow 0: core 0 -> core 1
    {{kEast0, 0, 1}, {kEast1, 1, 2}},   // flow 1: core 0 -> core 2 through router 1
    {{kEast1, 1, 2}},                   // flow 2: core 1 -> core 2
};

timing::EventsPhaseResult run(const std::vector<Ev>& evs, const arch::ChipDescription& chip, int64_t flits = 1) {
  std::vector<timing::LinkState> links(static_cast<std::size_t>(arch::MeshGrid::of(chip).links()));
  std::vector<int64_t> codes(3, 0);
  for (const Ev& e : evs) codes[static_cast<std::size_t>(e.src)] = std::max(codes[static_cast<std::size_t>(e.src)], e.ready);
  return timing::events_phase(traffic(evs), kWalks, codes, chip, flits, links);
}

}  // namespace

TEST_CASE("timing: DRAM stream, hops and route latency", "[timing]") {
  arch::ChipDescription c;  // DRAM 100 cycles, 128 bits/cycle; 64-bit SRAM words
  CHECK(timing::dram_stream_cycles(c, 0) == 0);
  CHECK(timing::dram_stream_cycles(c, 3) == 100 + 2);      // 192 bits over 128-bit cycles
  CHECK(timing::dram_stream_cycles(c, 4) == 100 + 2);      // 256 bits: exactly 2
  CHECK(timing::hop_cycles(c.noc) == 3);
  CHECK(timing::route_latency_cycles(c.noc, 0) == 2);      // one router
  CHECK(timing::route_latency_cycles(c.noc, 3) == 11);     // 4 routers + 3 links
}

TEST_CASE("timing: a neurocore's busy cycles per phase", "[timing]") {
  arch::ChipDescription c;
  sim::UnitCounters w;
  w.codes = 10;
  w.lane_cycles = 30;
  w.neuron_ops = 7;
  CHECK(timing::core_phase_cycles(PhaseKind::kEvents, w, c) == 30);     // the lane array is slower
  w.codes = 50;
  CHECK(timing::core_phase_cycles(PhaseKind::kEvents, w, c) == 50);     // quantizing is slower
  w.dram_words = 3;
  CHECK(timing::core_phase_cycles(PhaseKind::kEvents, w, c) == 50 + 102);
  for (PhaseKind k : {PhaseKind::kReduce, PhaseKind::kNormalize, PhaseKind::kRequantize, PhaseKind::kElementwise})
    CHECK(timing::core_phase_cycles(k, w, c) == 7);                     // one neuron op per cycle
}

TEST_CASE("timing: the mesh in value phases, the host link and the barrier", "[timing]") {
  arch::ChipDescription c;
  c.host.injection_bits_per_cycle = 32;
  CHECK(timing::value_phase_mesh_cycles(PhaseKind::kElementwise, 10, 9, 2, c) == 10 + 8);
  CHECK(timing::value_phase_mesh_cycles(PhaseKind::kEvents, 10, 9, 2, c) == 0);
  // inject: 9 flits x 64 bits over a 32-bit host link = 18 cycles, then the route.
  CHECK(timing::value_phase_mesh_cycles(PhaseKind::kInject, 10, 9, 2, c) == 18 + 8);
  // readback at 64 bits per cycle: the busiest link (10) is slower than the host link (9).
  CHECK(timing::value_phase_mesh_cycles(PhaseKind::kReadback, 10, 9, 2, c) == 10 + 8);
  CHECK(timing::barrier_cycles(PhaseKind::kNormalize, 3, c.noc) == 1);
  CHECK(timing::barrier_cycles(PhaseKind::kReduce, 3, c.noc) == 1 + 2 * 3 * 3);  // up and down 3 hops
  timing::PhaseCost p;
  p.core_cycles = {5, 40, 0};
  p.mesh_cycles = 20;
  p.event_cycles = 0;
  p.barrier_cycles = 19;
  CHECK(p.cycles() == 40 + 19);
}

TEST_CASE("timing: the unit that bound a phase", "[timing]") {
  arch::ChipDescription c;  // DRAM 100 cycles, 128 bits/cycle; 64-bit SRAM words
  using timing::BoundUnit;
  // A neurocore's own term.
  sim::UnitCounters w;
  w.codes = 10;
  w.lane_cycles = 30;
  CHECK(timing::core_phase_bound(PhaseKind::kEvents, w, c) == BoundUnit::kLanes);
  w.sram_port_cycles = 15;                                                              // half: still the lanes
  CHECK(timing::core_phase_bound(PhaseKind::kEvents, w, c) == BoundUnit::kLanes);
  w.sram_port_cycles = 16;                                                              // most: the SRAM port
  CHECK(timing::core_phase_bound(PhaseKind::kEvents, w, c) == BoundUnit::kSramPort);
  CHECK(std::string(timing::to_string(BoundUnit::kSramPort)) == "sram_port");
  w.sram_port_cycles = 0;
  w.codes = 30;
  CHECK(timing::core_phase_bound(PhaseKind::kEvents, w, c) == BoundUnit::kLanes);      // a tie: the lane array
  w.codes = 50;
  CHECK(timing::core_phase_bound(PhaseKind::kEvents, w, c) == BoundUnit::kQuantizer);
  w.dram_words = 3;                                                                     // a 102-cycle stream > 50
  CHECK(timing::core_phase_bound(PhaseKind::kEvents, w, c) == BoundUnit::kDram);
  w.codes = 200;
  CHECK(timing::core_phase_bound(PhaseKind::kEvents, w, c) == BoundUnit::kQuantizer);
  CHECK(timing::core_phase_bound(PhaseKind::kRequantize, w, c) == BoundUnit::kNeuronUnit);
  // The host link's term: 9 flits x 64 bits over 32 bits per cycle, then a 2-hop route (8).
  c.host.injection_bits_per_cycle = 32;
  CHECK(timing::host_link_cycles(PhaseKind::kInject, 9, 2, c) == 18 + 8);
  CHECK(timing::host_link_cycles(PhaseKind::kReadback, 9, 2, c) == 9 + 8);
  CHECK(timing::host_link_cycles(PhaseKind::kElementwise, 9, 2, c) == 0);
  // Whole phases: {unit, cycles of its term}; the bound never changes cycles().
  timing::PhaseCost p;
  p.core_cycles = {5, 40, 0};
  p.core_bound = BoundUnit::kNeuronUnit;
  p.mesh_cycles = 20;
  p.barrier_cycles = 19;
  CHECK(p.bound() == std::pair{BoundUnit::kNeuronUnit, int64_t{40}});  // the busiest core (40) over the mesh (20)
  CHECK(p.cycles() == 40 + 19);
  p.mesh_cycles = 70;
  CHECK(p.bound() == std::pair{BoundUnit::kNeuronUnit, int64_t{40}});  // the mesh adds only 30 over the core's 40
  p.mesh_cycles = 90;
  CHECK(p.bound() == std::pair{BoundUnit::kNoc, int64_t{50}});         // the mesh adds 50 over the core's 40
  CHECK(p.cycles() == 90 + 19);
  p.core_cycles = {2};
  p.mesh_cycles = 10;
  p.barrier_cycles = 19;                                               // a reduction's round trip
  CHECK(p.bound() == std::pair{BoundUnit::kBarrier, int64_t{19}});
  // An events phase: the events network's term includes the destinations' lane work.
  timing::PhaseCost e;
  e.core_cycles = {100, 60};
  e.core_bound = BoundUnit::kLanes;
  e.event_cycles = 110;
  CHECK(e.bound() == std::pair{BoundUnit::kLanes, int64_t{100}});     // the network adds 10
  e.event_cycles = 250;
  CHECK(e.bound() == std::pair{BoundUnit::kNoc, int64_t{150}});       // the network adds 150
  // Inject: the host link set the mesh's cycles, or the busiest link did.
  timing::PhaseCost h;
  h.core_cycles = {0};
  h.mesh_cycles = 26;
  h.host_cycles = 26;
  CHECK(h.bound() == std::pair{BoundUnit::kHost, int64_t{26}});
  h.host_cycles = 17;
  CHECK(h.bound() == std::pair{BoundUnit::kNoc, int64_t{26}});
  CHECK(std::string(timing::to_string(BoundUnit::kNeuronUnit)) == "neuron_unit");
}

TEST_CASE("timing: events phase, one event over two hops at zero load", "[timing]") {
  // Ready at 1; routers at 1 + 2 (leaves core 0 at 3), link to 4, router 1 to 6, link to 7,
  // router 2 to 9 = (h + 1) routers + h links after injection; then 10 accumulate cycles.
  const timing::EventsPhaseResult r = run({{0, 1, 1, 2, 10}}, row3());
  CHECK(r.cycles == 19);
  CHECK(r.link_queue_cycles == 0);
  CHECK(r.fifo_stall_cycles == 0);
  // The event walks its own flow's tree: on flow 0 (one hop) it would arrive at core 1 at 6.
  CHECK(run({{0, 0, 1, 1, 10}}, row3()).cycles == 16);
}

TEST_CASE("timing: events phase, packets queue for a busy link in injection order", "[timing]") {
  // A (core 0 -> 2) takes link 1 -> 2 from cycle 6 to 7; B (core 1 -> 2, ready at 1) reaches it
  // at 3 and waits 4 cycles, arrives at 8 + 2 = 10 and accumulates after A (9..10) at 10..11.
  const timing::EventsPhaseResult r = run({{0, 1, 1, 2, 1}, {1, 2, 1, 2, 1}}, row3());
  CHECK(r.link_queue_cycles == 4);
  CHECK(r.cycles == 11);
}

TEST_CASE("timing: events phase, a full input FIFO stalls the event behind it", "[timing]") {
  arch::ChipDescription c = row3();
  c.core.input_fifo_depth = 1;
  // Three events 0 -> 1 ready at 1, 2, 3 arrive at 6, 7, 8 and take 10 cycles each: the second
  // waits in the FIFO, the third cannot enter until the second starts (16): 8 event-cycles.
  const timing::EventsPhaseResult r = run({{0, 0, 1, 1, 10}, {0, 0, 2, 1, 10}, {0, 0, 3, 1, 10}}, c);
  CHECK(r.fifo_stall_cycles == 8);
  CHECK(r.cycles == 36);
}

TEST_CASE("timing: events phase, FIFOs and buffers as deep as the chip format allows, and deliveries off the tree", "[timing]") {
  // The largest input FIFO (2^20 events) and chip-link buffer (2^16 flits) the chip format takes:
  // the engine keeps only what the phase pushes (a few events here), and the FIFO never fills: the
  // case above without its stall (the events start at 6, 16, 26: done in 36 with no stall cycle).
  arch::ChipDescription c = row3();
  c.core.input_fifo_depth = int64_t{1} << 20;
  const timing::EventsPhaseResult r = run({{0, 0, 1, 1, 10}, {0, 0, 2, 1, 10}, {0, 0, 3, 1, 10}}, c);
  CHECK(r.fifo_stall_cycles == 0);
  CHECK(r.cycles == 36);
  std::vector<timing::LinkState> links(static_cast<std::size_t>(arch::MeshGrid::of(c).links()));
  links[kEast0].buffer_depth_flits = int64_t{1} << 16;
  CHECK(timing::events_phase(traffic({{0, 0, 1, 1, 10}}), kWalks, {1, 0, 0}, c, 1, links).cycles == 16);
  // An event delivered to a core its flow's tree does not reach (flow 0 ends at core 1) is a
  // program whose flows and tiles disagree: refused, naming both cores and the flow.
  CHECK_THROWS_WITH(run({{0, 0, 1, 2, 10}}, c),
                    Catch::Contains("an event of core 0 is delivered to core 2, which its flow 0 does not reach"));
}

TEST_CASE("timing: events phase, credits: a 1-flit buffer holds the next packet back", "[timing]") {
  arch::ChipDescription c = row3();
  // Two events 0 -> 2 ready at 1 and 2, fast destination (1 cycle each).
  const std::vector<Ev> evs = {{0, 1, 1, 2, 1}, {0, 1, 2, 2, 1}};
  // 4-flit buffers: the second follows one cycle behind (arrives 10, done 11).
  CHECK(run(evs, c).cycles == 11);
  // 1-flit buffers: the second may cross link 0 -> 1 only once the first has left router 1's
  // buffer (6) and the credit is back (+ link + 1 = 8), and link 1 -> 2 once the first has left
  // router 2's buffer (9) and that credit is back (11): it arrives at 14, done at 15.
  c.noc.buffer_depth_flits = 1;
  CHECK(run(evs, c).cycles == 15);
}

TEST_CASE("timing: events phase, multi-flit packets serialize on the injection port", "[timing]") {
  // Two 2-flit events 0 -> 1 ready at 1 and 2: injected at 1 and 3 (the port sends 2 flits);
  // heads reach router 1 at 4 and 6, delivered after its latency and the tail flit at 7 and 9:
  // accumulate 7..8 and 9..10.
  CHECK(run({{0, 0, 1, 1, 1}, {0, 0, 2, 1, 1}}, row3(), 2).cycles == 10);
}

TEST_CASE("timing: chip-to-chip links: which links, their latency and beats", "[timing]") {
  // Two chips of 2 x 1 neurocores side by side: a 4 x 1 system; link 1 -> 2 crosses the border.
  arch::ChipDescription c;
  c.mesh_width = 2;
  c.mesh_height = 1;
  c.multichip.chips_x = 2;
  c.noc.link_width_bits = 64;
  c.noc.link_latency_cycles = 1;
  c.multichip.link_width_bits = 24;
  c.multichip.link_latency_cycles = 50;
  const arch::MeshGrid g = arch::MeshGrid::of(c);
  CHECK(g.width == 4);
  CHECK(g.chips() == 2);
  CHECK(g.chip_of(1) == 0);
  CHECK(g.chip_of(2) == 1);
  CHECK_FALSE(g.chip_link(g.link_id(0, 1)));
  CHECK(g.chip_link(g.link_id(1, 2)));
  CHECK(g.chip_link(g.link_id(2, 1)));
  const arch::LinkTiming on = arch::link_timing(c, g, g.link_id(2, 3)), across = arch::link_timing(c, g, g.link_id(1, 2));
  CHECK(on.latency_cycles == 1);
  CHECK(on.cycles_per_flit == 1);
  CHECK(across.latency_cycles == 50);
  CHECK(across.cycles_per_flit == 3);  // 64-bit flits over a 24-bit link: ceil(64 / 24) beats
}

TEST_CASE("timing: events phase over a chip-to-chip link: its latency and its beats", "[timing]") {
  // row3 with link 1 -> 2 a chip link of latency 20 that sends a flit in 2 beats.
  const arch::ChipDescription c = row3();
  const auto run_chip = [&](const std::vector<Ev>& evs, int64_t* queue) {
    std::vector<timing::LinkState> links(static_cast<std::size_t>(arch::MeshGrid::of(c).links()));
    links[kEast1].latency_cycles = 20;
    links[kEast1].cycles_per_flit = 2;
    std::vector<int64_t> codes(3, 0);
    for (const Ev& e : evs) codes[static_cast<std::size_t>(e.src)] = std::max(codes[static_cast<std::size_t>(e.src)], e.ready);
    const timing::EventsPhaseResult r = timing::events_phase(traffic(evs), kWalks, codes, c, 1, links);
    *queue = r.link_queue_cycles;
    return r.cycles;
  };
  int64_t queue = 0;
  // As "one event over two hops" (19), but the second link takes 20 cycles and its 2 beats add 1:
  // router 1 sends at 6, the head is at router 2 at 6 + 20 + 1 = 27, delivered at 29, done at 39.
  CHECK(run_chip({{0, 1, 1, 2, 10}}, &queue) == 39);
  CHECK(queue == 0);
  // Two events: the second reaches the chip link at 7 while the first holds it until 6 + 2 = 8:
  // it waits 1 cycle, is at router 2 at 8 + 21 = 29, delivered at 31; done at 32 (the first, 29..30).
  CHECK(run_chip({{0, 1, 1, 2, 1}, {0, 1, 2, 2, 1}}, &queue) == 32);
  CHECK(queue == 1);
}

TEST_CASE("timing: phases of different stages share links", "[timing]") {
  std::vector<int64_t> until(12, 0);
  until[1] = 50;
  // A phase at cycle 40 on links 1 (5 flits) and 2 (7 flits) waits for link 1's queue (10).
  CHECK(timing::claim_links(until, {{1, 5}, {2, 7}}, 40) == 10);
  CHECK(until[1] == 55);
  CHECK(until[2] == 57);
  // Later, after the queue has drained: no wait.
  CHECK(timing::claim_links(until, {{1, 3}}, 60) == 0);
  CHECK(until[1] == 63);
}
