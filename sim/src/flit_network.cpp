// SPDX-License-Identifier: Apache-2.0
// The flit-level network engine: see neurark/sim/flit_network.hpp and docs/noc.md.
#include "neurark/sim/flit_network.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/arch/noc.hpp"

namespace neurark::sim::timing {

namespace {

constexpr int kLocal = arch::kDirections;  // the local port's index (arch::PortBit order)
constexpr int kRouterPorts = arch::kPorts;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// The input port a flit sent on output `dir` enters at the neighbour: east <-> west, south <-> north.
int opposite(int dir) { return dir ^ 1; }

// A flit in an input FIFO (or on the link toward it: `ready` is in the future).
struct Flit {
  std::size_t event = 0;  // index into traffic.events
  int64_t index = 0;      // 0: the head flit ... event_flits - 1: the tail
  int64_t ready = 0;      // the first cycle it can be switched
  uint8_t remaining = 0;  // outputs (port bits) still to take it
};

// Credits of one output (or of a source for its router's local input FIFO).
struct Credits {
  int64_t usable = 0;
  std::deque<std::pair<int64_t, int64_t>> coming;  // {cycle usable from, credits}, in cycle order
  // The credits usable in cycle `now`.
  int64_t at(int64_t now) {
    while (!coming.empty() && coming.front().first <= now) {
      usable += coming.front().second;
      coming.pop_front();
    }
    return usable;
  }
};

struct Output {
  Credits credits;
  int rr = 0;       // round robin: the input with the highest priority
  int locked = -1;  // a multi-flit packet's input holds this output until its tail passes
  int64_t free_at = 0;  // a chip link sends a flit in beats: the next one goes from this cycle
  int port = -1;        // a chip link sharing a chip-to-chip port (LinkState::port): the port's free_at counts
};

struct Router {
  std::array<std::deque<Flit>, kRouterPorts> in;
  std::array<Output, kRouterPorts> out;
};

// A neurocore as a destination: its input FIFO (events whose tail arrived) and its lane array.
struct Sink {
  std::deque<std::pair<std::size_t, int64_t>> fifo;  // {event, arrival cycle}
  int64_t free_at = 0;                               // the lane array is busy before this cycle
};

// A neurocore as a source: its events in order, the flits of the first already injected, and
// its credits for the router's local input FIFO.
struct Source {
  std::deque<std::size_t> events;
  int64_t sent = 0;
  Credits credits;
};

class FlitNetwork {
 public:
  FlitNetwork(const EventTraffic& traffic, const std::vector<std::vector<std::array<int, 3>>>& walks,
              const arch::ChipDescription& chip, int64_t event_flits, std::vector<LinkState>& links, EventsPhaseTimes* times)
      : t_(traffic), walks_(walks), grid_(arch::MeshGrid::of(chip)), links_(links), times_(times), F_(event_flits),
        R_(chip.noc.router_latency_cycles), L_(chip.noc.link_latency_cycles), watchdog_(chip.noc.watchdog_cycles) {
    if (R_ < 1)
      throw Error(fmt::format("chip '{}': noc.router_latency_cycles {}: the flit engine needs at least 1 (a flit is switched "
                              "the cycle after it is written into its input FIFO, as in the RTL router)",
                              chip.name, R_));
    const auto n = static_cast<std::size_t>(grid_.cores());
    routers_.resize(n);
    sinks_.resize(n);
    sources_.resize(n);
    for (std::size_t r = 0; r < n; ++r) {
      for (int o = 0; o < kRouterPorts; ++o) {
        int64_t depth = chip.core.input_fifo_depth * F_;
        if (o != kLocal) {
          const LinkState& ls = links_[arch::kDirections * r + static_cast<std::size_t>(o)];
          depth = ls.buffer_depth_flits >= 0 ? ls.buffer_depth_flits : chip.noc.buffer_depth_flits;
          routers_[r].out[static_cast<std::size_t>(o)].port = ls.port;
          if (ls.port >= 0 && static_cast<std::size_t>(ls.port) >= port_free_at_.size())
            port_free_at_.resize(static_cast<std::size_t>(ls.port) + 1, 0);
        }
        routers_[r].out[static_cast<std::size_t>(o)].credits.usable = depth;
      }
      sources_[r].credits.usable = chip.noc.buffer_depth_flits;
    }
    for (std::size_t i = 0; i < t_.events.size(); ++i) sources_[static_cast<std::size_t>(t_.events[i].src)].events.push_back(i);
    for (std::size_t r = 0; r < n; ++r)
      if (!sources_[r].events.empty()) pending_sources_.push_back(static_cast<int>(r));
    router_on_.assign(n, 0);
    sink_on_.assign(n, 0);
    for (const EventTraffic::Event& e : t_.events)
      if (e.flow >= 0) route_masks(e.flow);
    if (times_ != nullptr) {
      times_->inject_cycles.assign(t_.events.size(), 0);
      times_->deliver_cycles.assign(t_.deliveries.size(), 0);
    }
  }

  EventsPhaseResult run() {
    int64_t now = 0, last_progress = 0;
    while (busy()) {
      cycle_stalls_ = 0;
      cycle_link_waits_ = 0;
      bool progress = inject(now);
      // Only routers holding flits can switch (a flit written this cycle is ready the next at the
      // earliest, so the order in which routers take their cycle does not matter, but for a
      // chip-to-chip port shared by several routers: the first to ask in a cycle takes it, and the
      // routers ask in index order starting from now mod N, a priority that rotates with time so
      // that none of them waits for ever).
      if (!port_free_at_.empty()) {
        std::sort(active_routers_.begin(), active_routers_.end());
        const int first = static_cast<int>(now % static_cast<int64_t>(routers_.size()));
        std::rotate(active_routers_.begin(), std::lower_bound(active_routers_.begin(), active_routers_.end(), first),
                    active_routers_.end());
      }
      for (std::size_t k = 0, end = active_routers_.size(); k < end; ++k)
        progress = switch_router(static_cast<std::size_t>(active_routers_[k]), now) || progress;
      progress = start_events(now) || progress;
      retire(now);
      if (progress) {
        last_progress = now;
        ++now;
        continue;
      }
      // Nothing moved: nothing changes before the next timed event (a flit or a code ready, a
      // credit arriving, a lane array done), so jump there. A busy lane array is progress too.
      const bool lanes = lanes_busy(now);
      if (!lanes && in_flight_ > 0 && now - last_progress >= watchdog_) stuck(now);
      int64_t next = next_change(now);
      if (!lanes && in_flight_ > 0) next = std::min(next, last_progress + watchdog_);
      if (next == kNever) break;  // nothing left that can move (cannot happen with busy())
      if (lanes) last_progress = next - 1;  // a lane array is busy until then
      res_.fifo_stall_cycles += cycle_stalls_ * (next - now - 1);
      res_.link_queue_cycles += cycle_link_waits_ * (next - now - 1);
      now = next;
    }
    res_.cycles = end_;
    return res_;
  }

 private:
  bool busy() const { return in_flight_ > 0 || !pending_sources_.empty() || queued_events_ > 0; }

  // Routers holding flits and sinks holding events or busy are kept in lists: a chip of a
  // thousand neurocores has a few dozen busy at a time, and every cycle visits only those.
  void activate_router(int r) {
    if (router_on_[static_cast<std::size_t>(r)] == 0) {
      router_on_[static_cast<std::size_t>(r)] = 1;
      active_routers_.push_back(r);
    }
  }
  void activate_sink(int c) {
    if (sink_on_[static_cast<std::size_t>(c)] == 0) {
      sink_on_[static_cast<std::size_t>(c)] = 1;
      active_sinks_.push_back(c);
    }
  }
  // Drops from the lists the routers whose FIFOs are empty, the sinks with nothing queued that are
  // idle from `now` on, and the sources that sent every event (each list keeps its order).
  void retire(int64_t now) {
    std::size_t w = 0;
    for (int r : active_routers_) {
      const Router& rt = routers_[static_cast<std::size_t>(r)];
      if (std::all_of(rt.in.begin(), rt.in.end(), [](const std::deque<Flit>& q) { return q.empty(); }))
        router_on_[static_cast<std::size_t>(r)] = 0;
      else
        active_routers_[w++] = r;
    }
    active_routers_.resize(w);
    w = 0;
    for (int c : active_sinks_) {
      const Sink& sk = sinks_[static_cast<std::size_t>(c)];
      if (sk.fifo.empty() && sk.free_at <= now)
        sink_on_[static_cast<std::size_t>(c)] = 0;
      else
        active_sinks_[w++] = c;
    }
    active_sinks_.resize(w);
    w = 0;
    for (int src : pending_sources_)
      if (!sources_[static_cast<std::size_t>(src)].events.empty()) pending_sources_[w++] = src;
    pending_sources_.resize(w);
  }

  // The direction bits of flow f's tree at each router, {router, bits} sorted by router.
  const std::vector<std::pair<int, uint8_t>>& route_masks(int f) {
    auto [it, added] = masks_.try_emplace(f);
    if (added) {
      std::map<int, uint8_t> m;
      for (const auto& [l, u, v] : walks_[static_cast<std::size_t>(f)]) m[u] |= static_cast<uint8_t>(1u << (l % arch::kDirections));
      it->second.assign(m.begin(), m.end());
    }
    return it->second;
  }

  // The outputs event e's flits take at `router`: its tree's links from there, and the local port
  // when the event has a delivery there.
  uint8_t out_mask(std::size_t e, int router) {
    const EventTraffic::Event& ev = t_.events[e];
    uint8_t bits = 0;
    if (ev.flow >= 0) {
      const auto& m = route_masks(ev.flow);
      const auto it = std::lower_bound(m.begin(), m.end(), std::make_pair(router, uint8_t{0}));
      if (it != m.end() && it->first == router) bits = it->second;
    }
    for (std::size_t k = ev.d0; k < ev.d1; ++k)
      if (t_.deliveries[k].first == router) bits |= 1u << kLocal;
    return bits;
  }

  // Sources: the next flit of each source's current event enters its router's local input FIFO
  // when the event's code is ready and the source holds a credit.
  bool inject(int64_t now) {
    bool moved = false;
    for (const int si : pending_sources_) {
      const auto s = static_cast<std::size_t>(si);
      Source& src = sources_[s];
      if (src.events.empty()) continue;
      const std::size_t e = src.events.front();
      if (t_.events[e].ready > now || src.credits.at(now) == 0) continue;
      --src.credits.usable;
      routers_[s].in[kLocal].push_back({e, src.sent, now + 1, out_mask(e, static_cast<int>(s))});
      activate_router(si);
      ++in_flight_;
      moved = true;
      if (src.sent == 0 && times_ != nullptr) times_->inject_cycles[e] = now;
      if (++src.sent == F_) {
        src.sent = 0;
        src.events.pop_front();
        end_ = std::max(end_, now + 1);
      }
    }
    return moved;
  }

  // A link's latency and the cycles a flit occupies it (arch::link_timing, as `links` carry it).
  int64_t latency(int l) const {
    const int64_t lat = links_[static_cast<std::size_t>(l)].latency_cycles;
    return lat >= 0 ? lat : L_;
  }
  int64_t beats(int l) const { return links_[static_cast<std::size_t>(l)].cycles_per_flit; }

  // One cycle of router r: every output grants one requesting head flit (when it holds a
  // credit), round robin from the input after its last winner, then the head flits every output
  // of their route has taken leave their FIFOs. The requests are read once per cycle: a grant
  // clears only its own output's bit of the flit's route, so it cannot change another's request.
  bool switch_router(std::size_t r, int64_t now) {
    Router& rt = routers_[r];
    std::array<unsigned, kRouterPorts> want{};  // per output: the inputs whose ready head flit requests it
    bool any = false;
    for (int i = 0; i < kRouterPorts; ++i) {
      const std::deque<Flit>& q = rt.in[static_cast<std::size_t>(i)];
      if (q.empty() || q.front().ready > now) continue;
      any = true;
      for (int o = 0; o < kRouterPorts; ++o)
        if ((q.front().remaining & (1u << o)) != 0) want[static_cast<std::size_t>(o)] |= 1u << i;
    }
    if (!any) return false;
    bool moved = false;
    for (int o = 0; o < kRouterPorts; ++o) {
      Output& out = rt.out[static_cast<std::size_t>(o)];
      unsigned mask = want[static_cast<std::size_t>(o)];
      if (out.locked >= 0) mask &= 1u << out.locked;  // a multi-flit packet holds the output
      if (mask == 0) continue;
      // The number of requesting inputs (a table: the baseline x86-64 build has no popcount instruction).
      static constexpr std::array<int8_t, 1u << kRouterPorts> kBits = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                                                       1, 2, 2, 3, 2, 3, 3, 4, 2, 3, 3, 4, 3, 4, 4, 5};
      const int requests = kBits[mask];
      int i = out.rr;
      while ((mask & (1u << i)) == 0) i = i + 1 == kRouterPorts ? 0 : i + 1;
      int64_t& free_at = out.port >= 0 ? port_free_at_[static_cast<std::size_t>(out.port)] : out.free_at;
      if (free_at > now) {  // a chip link (or its port) still sending the beats of its last flit
        cycle_link_waits_ += requests;
        res_.link_queue_cycles += requests;
        continue;
      }
      if (out.credits.at(now) == 0) {
        if (o == kLocal) {
          cycle_stalls_ += requests;
          res_.fifo_stall_cycles += requests;
        }
        continue;
      }
      res_.link_queue_cycles += requests - 1;
      Flit& f = rt.in[static_cast<std::size_t>(i)].front();
      --out.credits.usable;
      out.rr = i + 1 == kRouterPorts ? 0 : i + 1;
      out.locked = F_ > 1 && f.index < F_ - 1 ? i : -1;
      f.remaining = static_cast<uint8_t>(f.remaining & ~(1u << o));
      if (o != kLocal) free_at = now + beats(arch::kDirections * static_cast<int>(r) + o);
      forward(static_cast<int>(r), o, f, now);
      moved = true;
    }
    for (int i = 0; i < kRouterPorts; ++i) {
      std::deque<Flit>& q = rt.in[static_cast<std::size_t>(i)];
      if (q.empty() || q.front().ready > now || q.front().remaining != 0) continue;
      q.pop_front();
      --in_flight_;
      moved = true;
      return_credit(static_cast<int>(r), i, now);
    }
    return moved;
  }

  // Output o of router r sends flit f in cycle `now`: over its link into the neighbour's input
  // FIFO (a chip link: its latency, and its last beat cycles_per_flit - 1 cycles after the
  // first), or (local) out of the router into the neurocore's input FIFO.
  void forward(int r, int o, const Flit& f, int64_t now) {
    if (o == kLocal) {
      if (f.index == F_ - 1) deliver(f.event, r, now + R_ - 1);
      return;
    }
    const int l = arch::kDirections * r + o;
    const int v = grid_.link_ends(l).to;
    ++links_[static_cast<std::size_t>(l)].flits_sent;
    routers_[static_cast<std::size_t>(v)].in[static_cast<std::size_t>(opposite(o))].push_back(
        {f.event, f.index, now + R_ + latency(l) + beats(l) - 1, out_mask(f.event, v)});
    activate_router(v);
    ++in_flight_;
  }

  // A flit left input i of router r in cycle `now`: its credit goes back upstream over the link
  // (or straight to the source for the local input) and is usable the cycle after it arrives.
  void return_credit(int r, int i, int64_t now) {
    if (i == kLocal) {
      sources_[static_cast<std::size_t>(r)].credits.coming.emplace_back(now + 1, 1);
      return;
    }
    const int up = grid_.link_ends(arch::kDirections * r + i).to;  // the neighbour in direction i
    const int l = arch::kDirections * up + opposite(i);             // the link the flit came over
    routers_[static_cast<std::size_t>(up)].out[static_cast<std::size_t>(opposite(i))].credits.coming.emplace_back(
        now + latency(l) + 1, 1);
  }

  // Event e's tail entered core c's input FIFO at cycle `arrive`.
  void deliver(std::size_t e, int c, int64_t arrive) {
    sinks_[static_cast<std::size_t>(c)].fifo.emplace_back(e, arrive);
    ++queued_events_;
    activate_sink(c);
    const EventTraffic::Event& ev = t_.events[e];
    if (times_ != nullptr)
      for (std::size_t k = ev.d0; k < ev.d1; ++k)
        if (t_.deliveries[k].first == c) times_->deliver_cycles[k] = arrive;
    end_ = std::max(end_, arrive);
  }

  // Lane arrays: an idle one starts the first event of its input FIFO that has arrived; the
  // event's slot (its flits' credits) is returned the cycle after, usable the next.
  bool start_events(int64_t now) {
    bool started = false;
    for (const int ci : active_sinks_) {
      const auto c = static_cast<std::size_t>(ci);
      Sink& s = sinks_[c];
      if (s.fifo.empty() || s.free_at > now || s.fifo.front().second > now) continue;
      const std::size_t e = s.fifo.front().first;
      s.fifo.pop_front();
      --queued_events_;
      int64_t cycles = 0;
      const EventTraffic::Event& ev = t_.events[e];
      for (std::size_t k = ev.d0; k < ev.d1; ++k)
        if (t_.deliveries[k].first == static_cast<int>(c)) cycles += t_.deliveries[k].second;
      s.free_at = now + cycles;
      end_ = std::max(end_, s.free_at);
      routers_[c].out[kLocal].credits.coming.emplace_back(now + 2, F_);
      started = true;
    }
    return started;
  }

  bool lanes_busy(int64_t now) const {
    for (const int c : active_sinks_)
      if (sinks_[static_cast<std::size_t>(c)].free_at > now) return true;
    return false;
  }

  // The first cycle after `now` in which something can change when nothing moved in `now`: a
  // flit becoming ready, a credit arriving, a code ready at a source, an event arriving or a
  // lane array finishing.
  int64_t next_change(int64_t now) const {
    int64_t next = kNever;
    const auto later = [&](int64_t c) {
      if (c > now) next = std::min(next, c);
    };
    // Inactive routers hold no flit, so a credit arriving there changes nothing yet.
    for (const int r : active_routers_)
      for (int p = 0; p < kRouterPorts; ++p) {
        const Router& rt = routers_[static_cast<std::size_t>(r)];
        if (!rt.in[static_cast<std::size_t>(p)].empty()) later(rt.in[static_cast<std::size_t>(p)].front().ready);
        for (const auto& [c, n] : rt.out[static_cast<std::size_t>(p)].credits.coming) later(c);
        later(rt.out[static_cast<std::size_t>(p)].free_at);
      }
    for (const int64_t f : port_free_at_) later(f);
    for (const int si : pending_sources_) {
      const Source& s = sources_[static_cast<std::size_t>(si)];
      if (!s.events.empty()) later(t_.events[s.events.front()].ready);
      for (const auto& [c, n] : s.credits.coming) later(c);
    }
    for (const int c : active_sinks_) {
      const Sink& s = sinks_[static_cast<std::size_t>(c)];
      later(s.free_at);
      if (!s.fifo.empty()) later(s.fifo.front().second);
    }
    return next;
  }

  std::string core_name(int c) const { return fmt::format("core {} ({},{})", c, grid_.x(c), grid_.y(c)); }
  std::string flow_name(std::size_t e) const;
  [[noreturn]] void stuck(int64_t now) const;

  const EventTraffic& t_;
  const std::vector<std::vector<std::array<int, 3>>>& walks_;
  arch::MeshGrid grid_;
  std::vector<LinkState>& links_;
  EventsPhaseTimes* times_;
  int64_t F_, R_, L_, watchdog_;
  std::vector<Router> routers_;
  std::vector<Sink> sinks_;
  std::vector<Source> sources_;
  std::vector<int64_t> port_free_at_;  // per chip-to-chip port (LinkState::port): free from this cycle
  std::map<int, std::vector<std::pair<int, uint8_t>>> masks_;  // flow -> route_masks
  std::vector<int> active_routers_, active_sinks_, pending_sources_;  // see activate_router
  std::vector<uint8_t> router_on_, sink_on_;                           // membership of the first two
  int64_t queued_events_ = 0;  // events in the neurocores' input FIFOs
  int64_t in_flight_ = 0;     // flits in input FIFOs or on links
  int64_t end_ = 0;           // the last injection, arrival or lane-array finish
  int64_t cycle_stalls_ = 0;  // this cycle's head flits waiting for an input-FIFO credit
  int64_t cycle_link_waits_ = 0;  // this cycle's head flits waiting for a chip link's beats
  EventsPhaseResult res_;
};

// "flow 3 (core 0 (0,0) -> core 4 (1,1))"; events without a flow go through their own router's local port.
std::string FlitNetwork::flow_name(std::size_t e) const {
  const EventTraffic::Event& ev = t_.events[e];
  std::string dsts;
  for (std::size_t k = ev.d0; k < ev.d1; ++k) dsts += (dsts.empty() ? "" : ", ") + core_name(t_.deliveries[k].first);
  if (dsts.empty()) dsts = "nowhere";
  const std::string what = ev.flow >= 0 ? fmt::format("flow {}", ev.flow) : std::string("local events");
  return fmt::format("{} ({} -> {})", what, core_name(ev.src), dsts);
}

void FlitNetwork::stuck(int64_t now) const {
  static constexpr const char* kPortNames[kRouterPorts] = {"east", "west", "south", "north", "local"};
  std::map<int, std::string> flows;  // flow -> name (flowless events under -1)
  std::vector<std::string> holders;
  for (std::size_t r = 0; r < routers_.size(); ++r)
    for (int p = 0; p < kRouterPorts; ++p) {
      const std::deque<Flit>& q = routers_[r].in[static_cast<std::size_t>(p)];
      if (q.empty()) continue;
      std::set<int> held;
      for (const Flit& f : q) {
        held.insert(t_.events[f.event].flow);
        flows.emplace(t_.events[f.event].flow, flow_name(f.event));
      }
      std::string ids;
      for (int f : held) ids += (ids.empty() ? "" : ", ") + std::to_string(f);
      const int c = static_cast<int>(r);
      if (p == kLocal) {
        holders.push_back(fmt::format("router ({},{}) local input from its neurocore: {} flit(s) of flow(s) {}", grid_.x(c),
                                      grid_.y(c), q.size(), ids));
      } else {
        const int up = grid_.link_ends(arch::kDirections * c + p).to;
        holders.push_back(fmt::format("router ({},{}) {} -> router ({},{}): {} flit(s) of flow(s) {}", grid_.x(up), grid_.y(up),
                                      kPortNames[opposite(p)], grid_.x(c), grid_.y(c), q.size(), ids));
      }
    }
  std::string flow_list, link_list;
  for (const auto& [f, name] : flows) flow_list += (flow_list.empty() ? "" : "; ") + name;
  for (const std::string& h : holders) link_list += (link_list.empty() ? "" : "; ") + h;
  throw Error(fmt::format("NoC watchdog: no flit moved for {} cycles (noc.watchdog_cycles) at cycle {} of an events phase, "
                          "with {} flit(s) in flight: the network is deadlocked (do the routes' channel dependencies form a "
                          "cycle?). Stuck flows: {}. Links holding flits: {}",
                          watchdog_, now, in_flight_, flow_list, link_list));
}

}  // namespace

EventsPhaseResult flit_events_phase(const EventTraffic& traffic, const std::vector<std::vector<std::array<int, 3>>>& walks,
                                    const std::vector<int64_t>& codes_per_core, const arch::ChipDescription& chip,
                                    int64_t event_flits, std::vector<LinkState>& links, EventsPhaseTimes* times) {
  EventsPhaseResult res = FlitNetwork(traffic, walks, chip, event_flits, links, times).run();
  for (int64_t c : codes_per_core) res.cycles = std::max(res.cycles, c);
  return res;
}

}  // namespace neurark::sim::timing
