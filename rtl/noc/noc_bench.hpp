// SPDX-License-Identifier: Apache-2.0
// rtl/noc/noc_bench.hpp (private to rtl/noc/): the cycle-level test bench shared by the router
// and mesh harnesses.
//
// A DUT is seen as a network with ports() input and output ports (the 5 ports of one router, or
// the local inject / eject port of every node of a mesh). The bench drives it cycle by cycle:
//   sources   one per input: a queue of flits, injected while the source holds a credit for the
//             DUT's input buffer (BufferDepth after reset, +1 per in_credit pulse), each cycle
//             with probability inject_prob;
//   sinks     one per output: a model of the downstream input buffer (BufferDepth slots); every
//             flit taken frees its slot after a random delay (stall_prob, max_credit_delay) or
//             when a blocked window ends, then a credit pulse goes back (one per cycle);
//   scoreboard every injected flit carries a tag in its channel field and the set of output
//             ports it must reach (from the reference: routing-table masks, arch/noc.hpp, or the
//             flow's destinations); a delivery is checked for port, payload, duplicates, order
//             per (input, output) pair and latency (never below the zero-load latency); at the
//             end every flit must have reached every port of its set.
// Protocol checks: the DUT's error pulses (buffer overflow, credit overflow), a sink receiving a
// flit while full, a source credit counter above BufferDepth. Each failure is one mismatch.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "neurark/arch/noc.hpp"
#include "neurark/rtl/verify.hpp"
#include "noc/harness.hpp"

namespace neurark::rtl::noc {

// --- Sets of ports (destinations): any number of ports (a mesh of more than 64 nodes) ----------

class PortSet {
 public:
  PortSet() = default;
  explicit PortSet(uint64_t bits) {  // ports 0..63
    if (bits != 0) w_.push_back(bits);
  }
  void set(int p) {
    const auto i = static_cast<std::size_t>(p / 64);
    if (w_.size() <= i) w_.resize(i + 1, 0);
    w_[i] |= uint64_t{1} << (p % 64);
  }
  void reset(int p) {
    const auto i = static_cast<std::size_t>(p / 64);
    if (i < w_.size()) w_[i] &= ~(uint64_t{1} << (p % 64));
  }
  bool test(int p) const {
    const auto i = static_cast<std::size_t>(p / 64);
    return i < w_.size() && ((w_[i] >> (p % 64)) & 1u) != 0;
  }
  bool empty() const {
    return std::all_of(w_.begin(), w_.end(), [](uint64_t w) { return w == 0; });
  }

 private:
  std::vector<uint64_t> w_;
};

// --- The DUT as the bench sees it ---------------------------------------------------------------

class Dut {
 public:
  virtual ~Dut() = default;
  virtual int ports() const = 0;
  virtual int depth() const = 0;  // BufferDepth: credits of a source, slots of a sink
  virtual void reset() = 0;       // asynchronous reset, then a few idle cycles
  // One cycle: drive in_valid/in_flit/out_credit, evaluate with the clock low, sample, then the
  // rising edge. The sampled values are read through the accessors below until the next cycle.
  virtual void drive_in(int p, bool valid, uint64_t flit) = 0;
  virtual void drive_out_credit(int p, bool credit) = 0;
  virtual void eval_low() = 0;
  virtual void posedge() = 0;
  virtual bool in_credit(int p) const = 0;
  virtual bool out_valid(int p) const = 0;
  virtual uint64_t out_flit(int p) const = 0;  // its low 64 bits
  // Whether the flit's bits above the low 64 are zero (an event packet has none).
  virtual bool out_flit_clean(int p) const = 0;
  // Error pulses of this cycle: buffer overflows, credit overflows, unrouted drops.
  virtual int err_overflow() const = 0;
  virtual int err_credit() const = 0;
  virtual int err_unrouted() const = 0;
};

// Drives every input and credit low for one idle cycle.
inline void idle_cycle(Dut& d) {
  for (int p = 0; p < d.ports(); ++p) {
    d.drive_in(p, false, 0);
    d.drive_out_credit(p, false);
  }
  d.eval_low();
  d.posedge();
}

// --- Traffic ------------------------------------------------------------------------------------

struct Packet {
  int src = 0;                 // input port
  int64_t flow = 0;
  int8_t q = 0;
  PortSet dsts;                // output ports that must receive it (none: must be dropped)
  int64_t not_before = 0;      // earliest injection cycle
};

struct BenchConfig {
  double inject_prob = 1.0;      // per cycle per input, when its next flit is due
  double stall_prob = 0.0;       // a sink delays the credit of a flit with this probability
  int max_credit_delay = 0;      // ... by 1 .. max_credit_delay cycles
  int64_t drain_timeout = 5000;  // cycles without any progress before giving up
  // Sink o returns no credit before cycle blocked_until[o] (edge case: full buffers).
  std::vector<int64_t> blocked_until;
  bool exact_latency = false;    // every delivery must take exactly the zero-load latency
  bool record_deliveries = true; // keep every delivery in NocRun::deliveries
};

// Runs `packets` through the DUT and checks every delivery. `zero_load(src, dst)` is the latency
// without contention (the documented pipeline); a delivery faster than it is a mismatch.
class Bench {
 public:
  Bench(Dut& dut, std::function<int64_t(int, int)> zero_load, uint64_t seed)
      : dut_(dut), zero_load_(std::move(zero_load)), rng_(seed) {}

  NocRun run(std::vector<Packet> packets, const BenchConfig& cfg, const std::string& block,
             const std::string& source) {
    NocRun r;
    r.result.block = block;
    r.result.source = source;
    const int n = dut_.ports();
    const int depth = dut_.depth();
    std::vector<std::deque<int64_t>> queue(static_cast<std::size_t>(n));  // per input: packet ids
    for (std::size_t i = 0; i < packets.size(); ++i) queue[static_cast<std::size_t>(packets[i].src)].push_back(static_cast<int64_t>(i));
    std::vector<int> src_credits(static_cast<std::size_t>(n), depth);
    std::vector<int> sink_used(static_cast<std::size_t>(n), 0);
    std::vector<std::multiset<int64_t>> sink_release(static_cast<std::size_t>(n));
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    std::uniform_int_distribution<int> delay(1, std::max(1, cfg.max_credit_delay));

    struct Live {
      int64_t packet = 0;
      uint64_t flit = 0;
      int64_t inject_cycle = 0;
      PortSet pending;       // outputs still to receive it
    };
    std::unordered_map<int64_t, Live> live;                 // by tag (channel field)
    std::map<std::pair<int, int>, std::deque<int64_t>> order;  // (src, dst) -> tags in flight
    int64_t tag_counter = 0, injected = 0, expected_drops = 0, drops = 0;
    int64_t last_progress = 0, cycle = 0;
    int64_t first_inject = -1, last_delivery = -1;
    std::size_t remaining = packets.size();
    double lat_sum = 0;

    const auto fail = [&](const std::string& what) {
      ++r.result.mismatches;
      if (r.result.first_mismatch.empty()) r.result.first_mismatch = fmt::format("cycle {}: {}", cycle, what);
    };

    while (true) {
      const bool busy = remaining > 0 || !live.empty();
      if (!busy) break;
      if (cycle - last_progress > cfg.drain_timeout) {
        for (const auto& [tag, l] : live)
          for (int d = 0; d < n; ++d)
            if (l.pending.test(d))
              fail(fmt::format("flit tag {} (input {}, flit {:#x}) never reached output {}", tag,
                             packets[static_cast<std::size_t>(l.packet)].src, l.flit, d));
        for (int p = 0; p < n; ++p)
          if (!queue[static_cast<std::size_t>(p)].empty())
            fail(fmt::format("input {}: {} flits never injected (no credit came back)", p,
                             queue[static_cast<std::size_t>(p)].size()));
        break;
      }
      // 1. Drive this cycle's inputs.
      std::vector<int64_t> sent(static_cast<std::size_t>(n), -1);
      for (int p = 0; p < n; ++p) {
        auto& q = queue[static_cast<std::size_t>(p)];
        bool valid = false;
        uint64_t flit = 0;
        if (!q.empty() && src_credits[static_cast<std::size_t>(p)] > 0) {
          Packet& pk = packets[static_cast<std::size_t>(q.front())];
          // The tags are the 16-bit channel field: a source whose next tag is still in flight (more
          // than 65,536 flits out, a saturated large mesh) waits for it.
          if (pk.not_before <= cycle && (cfg.inject_prob >= 1.0 || uni(rng_) < cfg.inject_prob) &&
              live.count(tag_counter & 0xFFFF) == 0) {
            const int64_t tag = tag_counter++ & 0xFFFF;
            flit = arch::pack_event(pk.flow, tag, pk.q);
            valid = true;
            sent[static_cast<std::size_t>(p)] = q.front();
            --src_credits[static_cast<std::size_t>(p)];
            q.pop_front();
            --remaining;
            ++injected;
            if (first_inject < 0) first_inject = cycle;
            last_progress = cycle;
            if (pk.dsts.empty()) {
              ++expected_drops;
            } else {
              Live l{sent[static_cast<std::size_t>(p)], flit, cycle, pk.dsts};
              for (int d = 0; d < n; ++d)
                if (pk.dsts.test(d)) order[{p, d}].push_back(tag);
              live[tag] = std::move(l);
            }
          }
        }
        dut_.drive_in(p, valid, flit);
        // A sink returns at most one credit per cycle: the earliest that is due.
        bool credit = false;
        auto& rel = sink_release[static_cast<std::size_t>(p)];
        const int64_t unblock = cfg.blocked_until.empty() ? 0 : cfg.blocked_until[static_cast<std::size_t>(p)];
        if (!rel.empty() && *rel.begin() <= cycle && cycle >= unblock) {
          rel.erase(rel.begin());
          --sink_used[static_cast<std::size_t>(p)];
          credit = true;
        }
        dut_.drive_out_credit(p, credit);
      }
      dut_.eval_low();
      // 2. Sample.
      for (int p = 0; p < n; ++p) {
        if (dut_.in_credit(p)) {
          if (++src_credits[static_cast<std::size_t>(p)] > depth)
            fail(fmt::format("input {}: credit returned beyond BufferDepth {}", p, depth));
          last_progress = cycle;
        }
        if (!dut_.out_valid(p)) continue;
        last_progress = cycle;
        last_delivery = cycle;
        if (++sink_used[static_cast<std::size_t>(p)] > depth)
          fail(fmt::format("output {}: flit sent without a credit (sink buffer of {} overflows)", p, depth));
        const int64_t d = cfg.stall_prob > 0 && uni(rng_) < cfg.stall_prob ? delay(rng_) : 0;
        sink_release[static_cast<std::size_t>(p)].insert(cycle + 1 + d);
        const uint64_t flit = dut_.out_flit(p);
        if (!dut_.out_flit_clean(p)) fail(fmt::format("output {}: flit {:#x} has bits set above bit 63", p, flit));
        const int64_t tag = arch::unpack_event(flit).channel;
        auto it = live.find(tag);
        if (it == live.end()) {
          fail(fmt::format("output {}: unexpected flit {:#x} (no such flit in flight)", p, flit));
          continue;
        }
        Live& l = it->second;
        const int src = packets[static_cast<std::size_t>(l.packet)].src;
        if (!l.pending.test(p)) {
          fail(fmt::format("output {}: flit tag {} from input {} delivered there but not expected "
                           "(not in its mask / destinations, or a duplicate)", p, tag, src));
          continue;
        }
        if (flit != l.flit) fail(fmt::format("output {}: flit tag {} payload {:#x}, expected {:#x}", p, tag, flit, l.flit));
        auto& oq = order[{src, p}];
        if (oq.empty() || oq.front() != tag) {
          fail(fmt::format("output {}: flit tag {} from input {} out of order (expected tag {} first)", p, tag,
                           src, oq.empty() ? -1 : oq.front()));
          oq.erase(std::remove(oq.begin(), oq.end(), tag), oq.end());
        } else {
          oq.pop_front();
        }
        const int64_t lat = cycle - l.inject_cycle;
        const int64_t zl = zero_load_(src, p);
        if (lat < zl || (cfg.exact_latency && lat != zl))
          fail(fmt::format("output {}: flit tag {} from input {} after {} cycles, zero-load latency {}", p, tag,
                           src, lat, zl));
        l.pending.reset(p);
        if (cfg.record_deliveries) r.deliveries.push_back({src, p, tag, l.inject_cycle, cycle});
        r.stats.latency_min = std::min(r.stats.latency_min, lat);
        r.stats.latency_max = std::max(r.stats.latency_max, lat);
        lat_sum += static_cast<double>(lat);
        ++r.stats.deliveries;
        if (l.pending.empty()) live.erase(it);
      }
      if (const int e = dut_.err_overflow(); e > 0) fail(fmt::format("{} input buffer overflow(s) inside the DUT", e));
      if (const int e = dut_.err_credit(); e > 0) fail(fmt::format("{} credit counter overflow(s) inside the DUT", e));
      drops += dut_.err_unrouted();
      dut_.posedge();
      ++cycle;
    }
    // Let the last credits come home, then check nothing is left anywhere.
    for (int i = 0; i < 8; ++i) idle_cycle(dut_);
    if (drops != expected_drops)
      fail(fmt::format("{} flits dropped as unrouted, expected {}", drops, expected_drops));
    r.result.vectors = injected;
    r.result.cycles = cycle;
    r.stats.cycles = cycle;
    if (r.stats.deliveries > 0) {
      r.stats.latency_avg = lat_sum / static_cast<double>(r.stats.deliveries);
      const int64_t span = last_delivery - first_inject + 1;
      r.stats.deliveries_per_cycle = static_cast<double>(r.stats.deliveries) / static_cast<double>(span);
    } else {
      r.stats.latency_min = 0;
    }
    r.stats.unrouted_drops = drops;
    return r;
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  Dut& dut_;
  std::function<int64_t(int, int)> zero_load_;
  std::mt19937_64 rng_;
};

// "latency 2/3.41/17 cycles, 2.93 deliveries/cycle" for a result's source.
inline std::string summary(const NocStats& s) {
  return fmt::format("latency min/avg/max {}/{:.2f}/{} cycles, {:.3f} deliveries/cycle", s.latency_min, s.latency_avg,
                     s.latency_max, s.deliveries_per_cycle);
}

}  // namespace neurark::rtl::noc
