// SPDX-License-Identifier: Apache-2.0
// neurark/sim/timing.hpp: the timing rules of the chip model, as plain functions.
//
// The SystemC model (systemc.hpp) times every phase of the per-token schedule from the work the
// functional interpreter did in it; these functions are those rules (docs/chip-model.md,
// "Timing rules" and "Events phases"), with no SystemC in them: the SystemC modules call them,
// and tests/test_timing.cpp checks each against cycles worked out by hand. All figures are
// cycles at the chip clock.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/sim/backend.hpp"

namespace neurark::sim::timing {

// Tiles whose weights stream from DRAM: dram.latency_cycles + the transfer of `words` synapse
// words (neurocore.sram_port_bits each) at dram.bandwidth_bits_per_cycle, rounded up; 0 without
// words.
int64_t dram_stream_cycles(const arch::ChipDescription& chip, int64_t words);

// One hop: a router and a link (noc.router_latency_cycles + noc.link_latency_cycles).
int64_t hop_cycles(const arch::NocParams& noc);
// A head flit's zero-load latency over `hops` hops: (hops + 1) routers + hops links (the RTL
// mesh's, measured by its harness).
int64_t route_latency_cycles(const arch::NocParams& noc, int64_t hops);

// A neurocore's busy cycles in one phase from its activity in the phase (`work`, a counters
// delta): in an events phase max(codes quantized, one per cycle; lane-array cycles) plus its
// DRAM stream; in any other phase one neuron-unit channel operation per cycle.
int64_t core_phase_cycles(arch::PhaseKind kind, const UnitCounters& work, const arch::ChipDescription& chip);

// The mesh in a phase that moves values (every kind but events): the busiest directed link's
// flits (one flit per cycle) plus the route latency of the phase's deepest route (`depth_hops`);
// inject and readback are also bounded by the host link, which carries every flit of the phase
// (`phase_flits` x link width bits at host.injection / readback_bits_per_cycle) before the same
// route. Events phases: 0 (events_phase below times them).
int64_t value_phase_mesh_cycles(arch::PhaseKind kind, int64_t busiest_link_flits, int64_t phase_flits, int64_t depth_hops,
                                const arch::ChipDescription& chip);

// The barrier after a phase: one cycle, plus for a reduce the controller round trip (partials up
// to the host's attach point and the result back down, over `host_hops`, the farthest core's
// distance from it).
int64_t barrier_cycles(arch::PhaseKind kind, int64_t host_hops, const arch::NocParams& noc);

// The unit that bound a phase: the largest term of its cycles (PhaseCost::bound). Append only
// (the names are report.json's).
enum class BoundUnit {
  kLanes,       // the lane array's accumulate cycles (arch::event_accumulate_cycles), its lane steps
  kSramPort,    // the same cycles when most were of events whose synapse SRAM words outnumbered their
                // lane steps (arch::event_sram_port_bound: the port, not the lanes, set them)
  kQuantizer,   // codes quantized, one per cycle, at a source
  kDram,        // the DRAM stream of tiles whose weights live in DRAM
  kNeuronUnit,  // neuron-unit channel operations (requantize, LUT, products, ...)
  kNoc,         // the mesh: the busiest link, route latency, queues and backpressure, other stages' traffic
  kHost,        // the host link (inject, readback)
  kBarrier,     // the barrier and the controller's round trip of a reduction
};
inline constexpr int kBoundUnits = 8;
// "lanes", "sram_port", "quantizer", "dram", "neuron_unit", "noc", "host", "barrier".
const char* to_string(BoundUnit unit);

// What set a neurocore's busy cycles in one phase (core_phase_cycles): in an events phase the
// DRAM stream if it is longer than max(codes, lane-array cycles), else the larger of those two
// (the lane array on a tie); in any other phase the neuron unit.
BoundUnit core_phase_bound(arch::PhaseKind kind, const UnitCounters& work, const arch::ChipDescription& chip);

// The host link's term of value_phase_mesh_cycles (0 but for inject and readback).
int64_t host_link_cycles(arch::PhaseKind kind, int64_t phase_flits, int64_t depth_hops, const arch::ChipDescription& chip);

// The cost of one phase: busy cycles of the neurocores it used, the mesh (value packets), the
// events network, and the barrier. It lasts as long as its slowest unit, then the barrier.
struct PhaseCost {
  std::vector<int64_t> core_cycles;  // per neurocore with work in the phase (any order; the others are idle)
  int64_t mesh_cycles = 0;
  int64_t event_cycles = 0;
  int64_t barrier_cycles = 1;
  // For bound(): what set the busiest core's cycles (core_phase_bound) and the host link's part of
  // mesh_cycles (host_link_cycles).
  BoundUnit core_bound = BoundUnit::kNeuronUnit;
  int64_t host_cycles = 0;
  int64_t cycles() const;
  // The unit that bound the phase and the cycles of its term. cycles() is split into additive
  // parts: the busiest core's own work (max core_cycles), what the network adds on top (the larger
  // of mesh_cycles and event_cycles, minus the core part: events phases' event_cycles include the
  // destinations' lane work), and the barrier; the largest part wins (the core on a tie, then the
  // network). The network part is the host link's when host_cycles set mesh_cycles, else the
  // NoC's. Only attribution: cycles() does not depend on it.
  std::pair<BoundUnit, int64_t> bound() const;
};

// One directed mesh link as both event engines read it: its timing and the flits it has carried.
// (The state of a link within one events phase, when it is free again and its credits, belongs
// to the engine timing the phase.)
struct LinkState {
  int64_t flits_sent = 0;  // over the whole run
  // The link's own timing (arch::link_timing), set for chip-to-chip links (idle_links below); a
  // latency < 0 means noc.link_latency_cycles and a depth < 0 noc.buffer_depth_flits (an on-chip
  // link). Both engines read them.
  int64_t latency_cycles = -1;
  int64_t cycles_per_flit = 1;
  int64_t buffer_depth_flits = -1;
  // The chip-to-chip port the link sends through (arch::LinkTiming::port): links naming the same
  // port send one flit at a time between them. -1: the link sends on its own.
  int port = -1;
};

// Every directed link of the chip's mesh (arch::MeshGrid::of(chip).links() of them) at rest, its
// chip-to-chip links carrying their arch::link_timing.
std::vector<LinkState> idle_links(const arch::ChipDescription& chip);

// An events phase's traffic in the order the functional interpreter produced it: per event its
// source core, flow (-1: all its tiles are on the source), the cycle its code is quantized and
// its deliveries [d0, d1) into `deliveries` ({neurocore, accumulate cycles for all its tiles
// there}, in delivery order).
struct EventTraffic {
  struct Event {
    int src = 0, flow = -1;
    int64_t ready = 0;
    std::size_t d0 = 0, d1 = 0;
  };
  std::vector<Event> events;
  std::vector<std::pair<int, int64_t>> deliveries;
  void clear() {
    events.clear();
    deliveries.clear();
  }
};

struct EventsPhaseResult {
  int64_t cycles = 0;              // the last unit done
  int64_t link_queue_cycles = 0;   // flit-cycles waiting for a busy link
  int64_t fifo_stall_cycles = 0;   // event-cycles waiting for room in an input FIFO
};

// Per-packet times of an events phase (events_phase's optional output; `neurark noc` measures
// packet latency from them): per event (traffic.events) the cycle its head flit entered the
// source's injection port; per delivery (traffic.deliveries) the cycle its tail entered the
// destination's input FIFO (the packet has left the network).
struct EventsPhaseTimes {
  std::vector<int64_t> inject_cycles;
  std::vector<int64_t> deliver_cycles;
};

// One events phase timed by the chip's noc.engine: analytic_events_phase (the default) or
// flit_events_phase (neurark/sim/flit_network.hpp, the cycle-by-cycle router model with its
// watchdog). The SystemC model and `neurark noc` call this. Same arguments and result as both.
EventsPhaseResult events_phase(const EventTraffic& traffic, const std::vector<std::vector<std::array<int, 3>>>& walks,
                               const std::vector<int64_t>& codes_per_core, const arch::ChipDescription& chip,
                               int64_t event_flits, std::vector<LinkState>& links, EventsPhaseTimes* times = nullptr);

// The analytic model of one events phase (docs/chip-model.md, "Events phases"): each source
// core quantizes one code per cycle and injects each event's packet (`event_flits` flits) when
// its code is ready and its injection port is free; the packet walks its flow's multicast tree
// (`walks[flow]`: {link id, from, to}, parents before children, arch::Program::walk_order), each
// router adding noc.router_latency_cycles and each link moving one flit per cycle (flits queue
// for a busy link) with noc.link_latency_cycles; a link sends only while the next router's
// input buffer (noc.buffer_depth_flits) has room, a slot freeing when the flit has left on every
// branch of its fork (credits, usable link latency + 1 cycles later); at a destination the event
// waits for room in the input FIFO (neurocore.input_fifo_depth events; the flit holds its router
// buffer meanwhile) and for the lane array, which spends the delivery's accumulate cycles.
// `links` (by link id, arch::MeshGrid) carries the routers' state and is cleared first;
// `codes_per_core`: codes each core quantized (the phase lasts at least that long). With `times`
// (optional), also each packet's injection and delivery cycles; the result is the same either way.
EventsPhaseResult analytic_events_phase(const EventTraffic& traffic, const std::vector<std::vector<std::array<int, 3>>>& walks,
                                        const std::vector<int64_t>& codes_per_core, const arch::ChipDescription& chip,
                                        int64_t event_flits, std::vector<LinkState>& links, EventsPhaseTimes* times = nullptr);

// Links shared by phases of different pipeline stages: a phase starting at cycle `now` that sends
// `link_flits` ({link id, flits}) waits until traffic other phases queued on any of those links
// has been sent (`queued_until`, per link id, the cycle its queue empties), then queues its own
// flits behind. Returns the wait; updates `queued_until`.
int64_t claim_links(std::vector<int64_t>& queued_until, const std::vector<std::pair<int, int64_t>>& link_flits, int64_t now);

}  // namespace neurark::sim::timing
