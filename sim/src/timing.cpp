// SPDX-License-Identifier: Apache-2.0
// The chip model's timing rules: see neurark/sim/timing.hpp and docs/chip-model.md.
#include "neurark/sim/timing.hpp"

#include "neurark/sim/flit_network.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"

namespace neurark::sim::timing {

int64_t dram_stream_cycles(const arch::ChipDescription& chip, int64_t words) {
  if (words <= 0) return 0;
  const int64_t bw = chip.dram.bandwidth_bits_per_cycle;
  return chip.dram.latency_cycles + (words * chip.core.sram_port_bits + bw - 1) / bw;
}

int64_t hop_cycles(const arch::NocParams& noc) { return noc.router_latency_cycles + noc.link_latency_cycles; }

int64_t route_latency_cycles(const arch::NocParams& noc, int64_t hops) {
  return hops * hop_cycles(noc) + noc.router_latency_cycles;
}

int64_t core_phase_cycles(arch::PhaseKind kind, const UnitCounters& work, const arch::ChipDescription& chip) {
  if (kind != arch::PhaseKind::kEvents) return work.neuron_ops;
  return std::max(work.codes, work.lane_cycles) + dram_stream_cycles(chip, work.dram_words);
}

int64_t value_phase_mesh_cycles(arch::PhaseKind kind, int64_t busiest_link_flits, int64_t phase_flits, int64_t depth_hops,
                                const arch::ChipDescription& chip) {
  if (kind == arch::PhaseKind::kEvents) return 0;
  return std::max(busiest_link_flits + route_latency_cycles(chip.noc, depth_hops),
                  host_link_cycles(kind, phase_flits, depth_hops, chip));
}

int64_t barrier_cycles(arch::PhaseKind kind, int64_t host_hops, const arch::NocParams& noc) {
  return 1 + (kind == arch::PhaseKind::kReduce ? 2 * host_hops * hop_cycles(noc) : 0);
}

const char* to_string(BoundUnit unit) {
  switch (unit) {
    case BoundUnit::kLanes: return "lanes";
    case BoundUnit::kSramPort: return "sram_port";
    case BoundUnit::kQuantizer: return "quantizer";
    case BoundUnit::kDram: return "dram";
    case BoundUnit::kNeuronUnit: return "neuron_unit";
    case BoundUnit::kNoc: return "noc";
    case BoundUnit::kHost: return "host";
    case BoundUnit::kBarrier: return "barrier";
  }
  return "?";
}

BoundUnit core_phase_bound(arch::PhaseKind kind, const UnitCounters& work, const arch::ChipDescription& chip) {
  if (kind != arch::PhaseKind::kEvents) return BoundUnit::kNeuronUnit;
  const int64_t local = std::max(work.codes, work.lane_cycles);
  if (dram_stream_cycles(chip, work.dram_words) > local) return BoundUnit::kDram;
  if (work.codes > work.lane_cycles) return BoundUnit::kQuantizer;
  return 2 * work.sram_port_cycles > work.lane_cycles ? BoundUnit::kSramPort : BoundUnit::kLanes;
}

int64_t host_link_cycles(arch::PhaseKind kind, int64_t phase_flits, int64_t depth_hops, const arch::ChipDescription& chip) {
  if (kind != arch::PhaseKind::kInject && kind != arch::PhaseKind::kReadback) return 0;
  const int64_t bw = kind == arch::PhaseKind::kInject ? chip.host.injection_bits_per_cycle : chip.host.readback_bits_per_cycle;
  return (phase_flits * chip.noc.link_width_bits + bw - 1) / bw + route_latency_cycles(chip.noc, depth_hops);
}

std::pair<BoundUnit, int64_t> PhaseCost::bound() const {
  int64_t core = 0;
  for (int64_t c : core_cycles) core = std::max(core, c);
  const int64_t net = std::max(mesh_cycles, event_cycles);
  const int64_t net_part = std::max<int64_t>(0, net - core);
  const BoundUnit net_unit = host_cycles > 0 && host_cycles >= mesh_cycles && mesh_cycles >= event_cycles ? BoundUnit::kHost
                                                                                                      : BoundUnit::kNoc;
  if (core >= net_part && core >= barrier_cycles) return {core_bound, core};
  if (net_part >= barrier_cycles) return {net_unit, net_part};
  return {BoundUnit::kBarrier, barrier_cycles};
}

int64_t PhaseCost::cycles() const {
  int64_t m = std::max(mesh_cycles, event_cycles);
  for (int64_t c : core_cycles) m = std::max(m, c);
  return m + barrier_cycles;
}

EventsPhaseResult events_phase(const EventTraffic& traffic, const std::vector<std::vector<std::array<int, 3>>>& walks,
                               const std::vector<int64_t>& codes_per_core, const arch::ChipDescription& chip,
                               int64_t event_flits, std::vector<LinkState>& links, EventsPhaseTimes* times) {
  if (chip.noc.engine == arch::NocEngine::kFlit)
    return flit_events_phase(traffic, walks, codes_per_core, chip, event_flits, links, times);
  return analytic_events_phase(traffic, walks, codes_per_core, chip, event_flits, links, times);
}

EventsPhaseResult analytic_events_phase(const EventTraffic& traffic, const std::vector<std::vector<std::array<int, 3>>>& walks,
                                        const std::vector<int64_t>& codes_per_core, const arch::ChipDescription& chip,
                                        int64_t event_flits, std::vector<LinkState>& links, EventsPhaseTimes* times) {
  const int64_t R = chip.noc.router_latency_cycles, Lk = chip.noc.link_latency_cycles, F = event_flits;
  // Buffer slots (packets) of an input port: noc.buffer_depth_flits / F, a chip link's its own.
  const auto slots = [F](int64_t depth_flits) { return static_cast<uint32_t>(std::max<int64_t>(1, depth_flits / F)); };
  const uint32_t B = slots(chip.noc.buffer_depth_flits);
  const auto D = static_cast<std::size_t>(std::max<int64_t>(1, chip.core.input_fifo_depth));
  const std::size_t n = codes_per_core.size();
  EventsPhaseResult res;
  // Scratch kept between phases (a chip of thousands of neurocores runs about a thousand events
  // phases per token, most of them touching a few of its cores and links): a core's or link's
  // state belongs to this phase when its stamp is this phase's, and is reset on first use, so a
  // phase costs what its events walk, not the chip's size. The last B credits of a link (the
  // times its last B packets left the next router's buffer) and the last D starts of a core's
  // input FIFO are kept in a vector per link and core that grows with what the phase pushes
  // (never beyond B or D, whatever those are) and is then used as a ring.
  struct Ring {  // the last `size` values pushed; `oldest()` valid once `full`
    std::vector<int64_t> v;
    std::size_t head = 0;  // once full: the oldest (the next to be replaced)
    bool full = false;
    void reset() {
      v.clear();
      head = 0;
      full = false;
    }
    int64_t oldest() const { return v[head]; }
    void push(int64_t x, std::size_t size) {
      if (!full) {
        v.push_back(x);
        full = v.size() == size;
        return;
      }
      v[head] = x;
      if (++head == size) head = 0;
    }
  };
  struct CoreState {
    uint64_t stamp = 0;
    int64_t src_free = 0, core_free = 0;
  };
  struct LinkPhase {
    uint64_t stamp = 0;
    int64_t free_at = 0;
    int32_t latency_cycles = 0, cycles_per_flit = 1;  // the link's (LinkState), read once per phase
    int32_t port = -1;                                // its chip-to-chip port (LinkState::port)
    uint32_t ring_size = 0;                           // its input buffer's slots (packets)
  };
  struct PortPhase {  // a chip-to-chip port shared by several links: when it is free again
    uint64_t stamp = 0;
    int64_t free_at = 0;
  };
  struct Scratch {
    uint64_t stamp = 0;
    std::vector<CoreState> cores;
    std::vector<LinkPhase> links;
    std::vector<PortPhase> ports;
    std::vector<Ring> fifo_starts, credits;  // per core, per link
    std::vector<int64_t> node_t, leave, inj, dep;
    std::vector<uint64_t> node_event;        // per core: the event whose walk last set node_t
    uint64_t event = 0;                      // events walked so far (all phases)
    std::vector<uint32_t> order;
  };
  thread_local Scratch tls_scratch;
  Scratch& scratch = tls_scratch;  // one thread-local lookup, not one per use in the loops below
  const uint64_t stamp = ++scratch.stamp;
  if (scratch.cores.size() < n) {
    scratch.cores.resize(n);
    scratch.fifo_starts.resize(n);
    scratch.node_t.resize(n);
    scratch.leave.resize(n);
    scratch.node_event.resize(n);
  }
  if (scratch.links.size() < links.size()) {
    scratch.links.resize(links.size());
    scratch.credits.resize(links.size());
  }
  // Raw pointers into the scratch, which does not grow during the phase.
  int64_t* const node_t = scratch.node_t.data();
  int64_t* const leave = scratch.leave.data();
  uint64_t* const node_event = scratch.node_event.data();
  CoreState* const cores = scratch.cores.data();
  LinkPhase* const link_phases = scratch.links.data();
  Ring* const fifo_starts = scratch.fifo_starts.data();
  Ring* const credits = scratch.credits.data();
  const auto core = [&](std::size_t c) -> CoreState& {
    CoreState& s = cores[c];
    if (s.stamp != stamp) {
      s = {stamp, 0, 0};
      fifo_starts[c].reset();
    }
    return s;
  };
  const auto link_phase = [&](std::size_t l) -> LinkPhase& {
    LinkPhase& s = link_phases[l];
    if (s.stamp != stamp) {
      const LinkState& ls = links[l];
      const uint32_t size = ls.buffer_depth_flits >= 0 ? slots(ls.buffer_depth_flits) : B;
      // A chip link (arch::link_timing): its own latency, and each flit sent in `cycles_per_flit` beats.
      const int64_t lat = ls.latency_cycles >= 0 ? ls.latency_cycles : Lk;
      s = {stamp, 0, static_cast<int32_t>(lat), static_cast<int32_t>(ls.cycles_per_flit), ls.port, size};
      credits[l].reset();
    }
    return s;
  };
  const auto port_free_at = [&](std::size_t p) -> int64_t& {
    if (scratch.ports.size() <= p) scratch.ports.resize(p + 1);
    PortPhase& s = scratch.ports[p];
    if (s.stamp != stamp) s = {stamp, 0};
    return s.free_at;
  };
  // Injection: one packet at a time per source, when its code is ready.
  const std::vector<EventTraffic::Event>& events = traffic.events;
  std::vector<int64_t>& inj = scratch.inj;
  inj.resize(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    int64_t& port = core(static_cast<std::size_t>(events[i].src)).src_free;
    inj[i] = std::max(events[i].ready, port);
    port = inj[i] + F;
  }
  std::vector<uint32_t>& order = scratch.order;
  order.resize(events.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return inj[a] < inj[b]; });
  if (times != nullptr) {
    times->inject_cycles = inj;
    times->deliver_cycles.assign(traffic.deliveries.size(), 0);
  }
  int64_t end = 0;
  std::vector<int64_t>& dep = scratch.dep;
  for (const uint32_t i : order) {
    const EventTraffic::Event& e = events[i];
    const std::vector<std::array<int, 3>>* walk = e.flow >= 0 ? &walks[static_cast<std::size_t>(e.flow)] : nullptr;
    const auto src = static_cast<std::size_t>(e.src);
    // node_t and leave need no reset: a tree's root is set here and every other node of the walk
    // when its link is walked, before anything reads it (node_event says which event set it: a
    // delivery to a core its flow's tree does not reach is a malformed program, refused).
    const uint64_t eid = ++scratch.event;
    node_t[src] = inj[i];
    node_event[src] = eid;
    dep.clear();
    if (walk != nullptr)
      for (const auto& [l, u, v] : *walk) {
        int64_t d = node_t[static_cast<std::size_t>(u)] + R;
        LinkPhase& lp = link_phase(static_cast<std::size_t>(l));
        const int64_t lat = lp.latency_cycles, cpf = lp.cycles_per_flit;
        // The sender: the link itself, or the chip-to-chip port it shares with other links.
        int64_t& free_at = lp.port >= 0 ? port_free_at(static_cast<std::size_t>(lp.port)) : lp.free_at;
        if (free_at > d) res.link_queue_cycles += free_at - d;
        d = std::max(d, free_at);
        // A buffer slot's credit comes back over the link and is usable the cycle after (the RTL
        // router's credit counter): the B-th previous packet's leave time + link latency + 1
        // (the oldest entry of the link's ring once B packets have been sent).
        const Ring& cr = credits[static_cast<std::size_t>(l)];
        if (cr.full) d = std::max(d, cr.oldest() + lat + 1);
        free_at = d + F * cpf;
        // The head flit (after its beats on a chip link); the tail follows F - 1 cycles later.
        node_t[static_cast<std::size_t>(v)] = d + lat + (cpf - 1);
        node_event[static_cast<std::size_t>(v)] = eid;
        leave[static_cast<std::size_t>(v)] = node_t[static_cast<std::size_t>(v)];
        dep.push_back(d + F * (cpf - 1));  // so that dep + F - 1 is when its tail has left
      }
    for (std::size_t k = e.d0; k < e.d1; ++k) {
      const auto d = static_cast<std::size_t>(traffic.deliveries[k].first);
      if (node_event[d] != eid)
        throw Error(fmt::format("events phase: an event of core {} is delivered to core {}, which its flow {} does not "
                                "reach (the program's flows and tiles disagree)", e.src, d, e.flow));
      const int64_t arrive = (d == src ? inj[i] : node_t[d]) + R + (F - 1);
      CoreState& cs = core(d);
      Ring& fifo = fifo_starts[d];
      int64_t in_fifo = arrive;
      // A FIFO slot frees when an event starts: the D-th previous start (the ring's oldest).
      if (fifo.full) in_fifo = std::max(in_fifo, fifo.oldest());
      res.fifo_stall_cycles += in_fifo - arrive;
      if (times != nullptr) times->deliver_cycles[k] = in_fifo;
      const int64_t start = std::max(in_fifo, cs.core_free);
      cs.core_free = start + traffic.deliveries[k].second;
      fifo.push(start, D);
      leave[d] = std::max(leave[d], in_fifo);
      end = std::max(end, cs.core_free);
    }
    // The flit leaves each router's buffer when every branch of its fork has taken it.
    if (walk != nullptr) {
      for (std::size_t j = 0; j < walk->size(); ++j) {
        const auto u = static_cast<std::size_t>((*walk)[j][1]);
        if (u != src) leave[u] = std::max(leave[u], dep[j] + F - 1);  // its tail has left
      }
      for (const auto& [l, u, v] : *walk) {
        links[static_cast<std::size_t>(l)].flits_sent += F;
        credits[static_cast<std::size_t>(l)].push(leave[static_cast<std::size_t>(v)],
                                                  link_phases[static_cast<std::size_t>(l)].ring_size);  // stamped above
      }
    }
    end = std::max(end, inj[i] + F);
  }
  for (std::size_t c = 0; c < n; ++c) end = std::max(end, codes_per_core[c]);
  res.cycles = end;
  return res;
}

std::vector<LinkState> idle_links(const arch::ChipDescription& chip) {
  const arch::MeshGrid grid = arch::MeshGrid::of(chip);
  std::vector<LinkState> links(static_cast<std::size_t>(grid.links()));
  if (grid.chips() > 1)
    for (int l = 0; l < static_cast<int>(grid.links()); ++l)
      if (grid.chip_link(l)) {
        const arch::LinkTiming lt = arch::link_timing(chip, grid, l);
        LinkState& s = links[static_cast<std::size_t>(l)];
        s.latency_cycles = lt.latency_cycles;
        s.cycles_per_flit = lt.cycles_per_flit;
        s.buffer_depth_flits = lt.buffer_depth_flits;
        s.port = lt.port;
      }
  return links;
}

int64_t claim_links(std::vector<int64_t>& queued_until, const std::vector<std::pair<int, int64_t>>& link_flits, int64_t now) {
  int64_t wait = 0;
  for (const auto& [l, flits] : link_flits) wait = std::max(wait, queued_until[static_cast<std::size_t>(l)] - now);
  for (const auto& [l, flits] : link_flits) {
    int64_t& until = queued_until[static_cast<std::size_t>(l)];
    until = std::max(until, now + wait) + flits;
  }
  return wait;
}

}  // namespace neurark::sim::timing
