// SPDX-License-Identifier: Apache-2.0
// neurark/sim/flit_network.hpp: the flit-level, cycle-by-cycle network engine of an events phase
// (`noc.engine: flit`, docs/noc.md "The flit engine", docs/chip-model.md "Events phases").
//
// Every router of the mesh is modelled as the RTL router (rtl/noc/nrk_router.sv) is built, one
// clock cycle at a time, with every packet of the phase in flight at once:
//   * 5 ports in arch::PortBit order (east, west, south, north, local); each input port has a
//     FIFO of noc.buffer_depth_flits flits, and only the flit at its head can be switched (a head
//     waiting for a busy output blocks the flits behind it: head-of-line blocking);
//   * per output, round-robin arbitration among the inputs whose head flit requests it (the last
//     winner gets the lowest priority), one flit per cycle per output; a multicast flit goes out
//     on every port of its route (each output takes it when it wins and holds a credit) and leaves
//     its FIFO when the last one has;
//   * credit flow control: an output holds a credit per free slot of the next FIFO, and a credit
//     comes back noc.link_latency_cycles after the flit left that FIFO, usable the cycle after;
//   * a flit written into a FIFO in cycle t is switched at the earliest in cycle t + 1 and is on
//     the output noc.router_latency_cycles - 1 cycles after its switch cycle, then crosses the
//     link in noc.link_latency_cycles: a hop costs router + link latency, as in the RTL mesh;
//   * packets of several flits (narrow links) hold each output they won until their tail has
//     passed (wormhole; the RTL router takes one-flit packets only).
// Routes are the flows' trees as the analytic engine takes them (`walks`: arch::walk_order of the
// image's flows, the XY trees of its routing tables); the local port of a router delivers to its
// neurocore when the event has a delivery there. Sources inject their events in order, one flit
// per cycle while they hold a credit for their router's local input FIFO; a destination's input
// FIFO holds neurocore.input_fifo_depth events (the local output's credits), its lane array takes
// one event at a time in arrival order for the delivery's accumulate cycles, and the slot's
// credits come back the cycle after the event starts, usable the next (as the RTL harness's sinks).
// Deterministic: the same traffic gives the same cycles.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/sim/timing.hpp"

namespace neurark::sim::timing {

// The events phase of timing::events_phase (same arguments, same meaning, same result fields),
// timed by the flit-level engine above. `links[l].flits_sent` grows by the flits each link
// carried; link_queue_cycles counts flit-cycles a head flit requesting an output lost its
// arbitration to another input, fifo_stall_cycles flit-cycles a head flit requesting its local
// output (the neurocore's input FIFO) found no credit.
// The watchdog: when flits are in flight and, for noc.watchdog_cycles cycles, no flit was injected
// or switched and no lane array started or was busy, throws neurark::Error naming the cycle, the
// stuck flows (flow id, source -> destinations) and the links whose FIFOs hold flits (router
// (x,y) direction -> neighbour (x,y), flits, flows): a deadlock (routes whose channel-dependency
// graph has a cycle, which Program::from_image refuses). Needs noc.router_latency_cycles >= 1
// (the chip's validation requires it for noc.engine: flit); throws neurark::Error otherwise.
EventsPhaseResult flit_events_phase(const EventTraffic& traffic, const std::vector<std::vector<std::array<int, 3>>>& walks,
                                    const std::vector<int64_t>& codes_per_core, const arch::ChipDescription& chip,
                                    int64_t event_flits, std::vector<LinkState>& links, EventsPhaseTimes* times = nullptr);

}  // namespace neurark::sim::timing
