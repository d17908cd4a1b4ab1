// SPDX-License-Identifier: Apache-2.0
// The neurocore harness (harness.hpp): NeurocoreSim against arch::accumulate_event,
// arch::requantize and neurocore_event_cycles.
#include "harness.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <utility>

#include "neurark/arch/error.hpp"
#include "neurark/arch/numerics.hpp"
#include "neurark/arch/weight_memory.hpp"
#include "neurark/rtl/chip_params.hpp"
#include "neurark/rtl/neurocore.hpp"
#include "neurark/traces/event_trace.hpp"

namespace neurark::rtl {

std::vector<BlockHarness> neurocore_harnesses() {
  BlockHarness h;
  h.name = "neurocore";
  h.description =
      "nrk_neurocore (input FIFO, tile table, lane array, readout through the requantizer, preload) through "
      "NeurocoreSim: accumulators vs arch::accumulate_event (on top of preloaded values), readout vs "
      "arch::requantize, per-event cycles vs neurocore_event_cycles, preloads; random cores, edge cases, "
      "event-trace replay";
  h.run = [](const VerifyOptions& o) {
    std::vector<BlockResult> out;
    out.push_back(neurocore::run_random(o));
    out.push_back(neurocore::run_edge_cases(o));
    if (!o.trace_path.empty()) out.push_back(neurocore::replay_trace(o.trace_path, o).result);
    return out;
  };
  return {h};
}

namespace neurocore {
namespace {

using Events = std::vector<std::pair<int64_t, int8_t>>;
constexpr int64_t kIndexBits = 16;  // sparse index bits: unused by packed2, arch needs a value

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Counts vectors and mismatches; keeps the first mismatch's description.
class Checker {
 public:
  Checker(std::string source) {
    result_.block = "neurocore";
    result_.source = std::move(source);
  }
  void check(bool ok, const std::function<std::string()>& describe) {
    ++result_.vectors;
    if (!ok && result_.mismatches++ == 0) result_.first_mismatch = describe();
  }
  void add_cycles(int64_t c) { result_.cycles += c; }
  BlockResult result() const { return result_; }

 private:
  BlockResult result_;
};

class Rng {
 public:
  Rng(uint64_t seed, uint64_t salt) : gen_(seed ^ (salt * 0x9E3779B97F4A7C15ull)) {}
  int64_t range(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(gen_); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(gen_) < p; }
  uint64_t bits() { return gen_(); }
  std::mt19937_64& gen() { return gen_; }

 private:
  std::mt19937_64 gen_;
};

std::vector<uint8_t> pack(const std::vector<int8_t>& w, int64_t rows, int64_t k) {
  std::vector<uint8_t> out;
  arch::write_packed2_tile(w.data(), k, 0, rows, out);
  return out;
}

std::vector<int8_t> random_weights(Rng& rng, int64_t rows, int64_t k, double nonzero) {
  std::vector<int8_t> w(static_cast<std::size_t>(rows * k));
  for (auto& x : w) x = rng.chance(nonzero) ? (rng.chance(0.5) ? int8_t{1} : int8_t{-1}) : int8_t{0};
  return w;
}

// Stores the reserved code 10 as the weight of (row, col) (row >= rows: the padding bits).
void inject_reserved(std::vector<uint8_t>& bytes, int64_t rows, int64_t row, int64_t col) {
  auto& b = bytes[static_cast<std::size_t>(col * ceil_div(rows, 4) + row / 4)];
  const int sh = static_cast<int>(2 * (row % 4));
  b = static_cast<uint8_t>((b & ~(3u << sh)) | (2u << sh));
}

int8_t random_q(Rng& rng) {
  if (rng.chance(0.05)) return 0;
  if (rng.chance(0.05)) return -128;
  return static_cast<int8_t>(rng.range(-128, 127));
}

Events random_events(Rng& rng, int64_t k, int64_t n) {
  Events ev;
  for (int64_t i = 0; i < n; ++i) ev.emplace_back(rng.range(0, k - 1), random_q(rng));
  return ev;
}

// Random int32 accumulators that `events` events of |q| <= 128 cannot take past int32 (arch's
// int32 sums do not wrap): uniform over that range, sometimes exactly at its ends, 0 or -1.
std::vector<int32_t> random_acc(Rng& rng, int64_t rows, int64_t events) {
  const int64_t margin = 128 * events;
  const int64_t lo = int64_t{INT32_MIN} + margin, hi = int64_t{INT32_MAX} - margin;
  std::vector<int32_t> acc(static_cast<std::size_t>(rows));
  for (auto& a : acc) {
    const int64_t r = rng.range(0, 19);
    a = static_cast<int32_t>(r == 0 ? lo : r == 1 ? hi : r == 2 ? 0 : r == 3 ? -1 : rng.range(lo, hi));
  }
  return acc;
}

arch::Scale random_scale(Rng& rng) {
  if (rng.chance(0.05)) return arch::Scale{0, 0};
  return arch::Scale{static_cast<uint32_t>(0x80000000u | (rng.bits() & 0x7fffffffu)),
                     static_cast<int32_t>(rng.range(-50, 2))};
}

// One NeurocoreSim and, per tile, the arch reference of its accumulators.
class Bench {
 public:
  Bench(Checker& chk, const arch::ChipDescription& chip, std::string label,
        arch::Scale scale = arch::Scale{0x80000000u, -31})
      : chk_(chk), label_(std::move(label)), sim_(chip), p_(sim_.params()) {
    set_scale(scale);
  }
  ~Bench() { chk_.add_cycles(sim_.cycles()); }
  Bench(const Bench&) = delete;
  Bench& operator=(const Bench&) = delete;

  NeurocoreSim& sim() { return sim_; }
  const NeurocoreRtlParams& params() const { return p_; }
  int64_t k(int id) const { return tiles_.at(id).k; }
  int64_t rows(int id) const { return tiles_.at(id).rows; }

  void set_scale(arch::Scale s) {
    scale_ = s;
    sim_.set_readout(s, [this](int tile, bool spill, const std::vector<int32_t>& acc, const std::vector<int32_t>& y) {
      check_requantized(tile, spill, acc, y);
    });
  }

  // Whether a tile of `bytes` still fits (SRAM and tile slots).
  bool fits(int64_t bytes) const {
    return next_base_ + bytes <= p_.synapse_sram_bytes && static_cast<int64_t>(tiles_.size()) < p_.tile_slots;
  }

  void load(int id, int64_t rows, int64_t k, std::vector<uint8_t> mem) {
    sim_.load_tile(id, mem, rows, k);
    Tile t;
    t.rows = rows;
    t.k = k;
    t.base = sim_.tile_base(id);
    t.mem = std::move(mem);
    t.acc.assign(static_cast<std::size_t>(rows), 0);
    next_base_ = ceil_div(t.base + static_cast<int64_t>(t.mem.size()), p_.sram_port_bits / 8) * (p_.sram_port_bits / 8);
    tiles_[id] = std::move(t);
  }

  // Runs events on tile `id`; compares each event's cycles and synaptic operations (and the
  // trace's, if given), or the refusal when arch meets a reserved code.
  void run(int id, const Events& ev, const std::vector<int64_t>* trace_sops = nullptr,
           const std::vector<int64_t>* trace_cycles = nullptr) {
    Tile& t = tiles_.at(id);
    // Where the tile's accumulators are: another resident tile is spilled (saved), this tile's
    // saved ones are preloaded into the RTL (rows cycles when the core is idle, as it is here).
    if (!ev.empty() && resident_ != id) {
      if (resident_ >= 0) tiles_.at(resident_).saved = true;
      if (t.saved) {
        ++want_preloads_;
        want_preload_cycles_ += t.rows;
        t.saved = false;
      }
      resident_ = id;
    }
    std::vector<int64_t> want_sops(ev.size(), 0);
    int64_t first_throw = -1;
    for (std::size_t i = 0; i < ev.size(); ++i) {
      try {
        const arch::EventCost c =
            arch::accumulate_event(arch::WeightEncoding::kPacked2, t.mem.data(), static_cast<int64_t>(t.mem.size()),
                                   t.rows, t.k, kIndexBits, p_.sram_port_bits, ev[i].first, ev[i].second, t.acc.data());
        want_sops[i] = c.synaptic_ops;
      } catch (const std::invalid_argument&) {
        if (first_throw < 0) first_throw = static_cast<int64_t>(i);
      }
    }
    std::vector<int64_t> got;
    try {
      got = sim_.run_events(id, ev);
    } catch (const Error& e) {
      const std::string msg = e.what();
      const bool ok = first_throw >= 0 &&
                      msg.find("event " + std::to_string(first_throw) + " (") != std::string::npos &&
                      msg.find("code 10") != std::string::npos;
      chk_.check(ok, [&] {
        return where(id) + ": run_events threw '" + msg + "'" +
               (first_throw >= 0 ? ", expected the reserved-code error at event " + std::to_string(first_throw)
                                 : std::string(", arch::accumulate_event accepts every event"));
      });
      t.acc.assign(t.acc.size(), 0);  // the RTL clears the tile after the error
      if (resident_ == id) resident_ = -1;
      check_preloads(id);
      return;
    }
    if (first_throw >= 0) {
      chk_.check(false, [&] {
        return where(id) + ": arch::accumulate_event refuses event " + std::to_string(first_throw) +
               " (reserved code 10), run_events did not throw";
      });
      t.acc.assign(t.acc.size(), 0);
      return;
    }
    check_preloads(id);
    const std::vector<int64_t>& sops = sim_.last_sops();
    const std::vector<int64_t>& words = sim_.last_words();
    if (got.size() != ev.size() || sops.size() != ev.size() || words.size() != ev.size()) {
      chk_.check(false, [&] {
        return where(id) + ": " + std::to_string(ev.size()) + " events, run_events returned " +
               std::to_string(got.size()) + " cycle counts and " + std::to_string(sops.size()) + " completions";
      });
      return;
    }
    for (std::size_t i = 0; i < ev.size(); ++i) {
      const int64_t want_c = neurocore_event_cycles(t.rows, ev[i].first, p_.lanes, p_.sram_port_bits, t.base);
      const int64_t want_w = arch::packed2_column_words(t.rows, ev[i].first, p_.sram_port_bits);  // tiles word-aligned
      // The trace's lane_cycles are what the cycle-approximate model charged for this event.
      const bool trace_ok = (trace_sops == nullptr || (*trace_sops)[i] == sops[i]) &&
                            (trace_cycles == nullptr || (*trace_cycles)[i] == got[i]);
      const bool ok = got[i] == want_c && sops[i] == want_sops[i] && words[i] == want_w && trace_ok;
      chk_.check(ok, [&] {
        return where(id) + ", event " + std::to_string(i) + " of " + std::to_string(ev.size()) + " (column " +
               std::to_string(ev[i].first) + ", q " + std::to_string(ev[i].second) + "): cycles " +
               std::to_string(got[i]) + " (formula " + std::to_string(want_c) +
               (trace_cycles ? ", trace lane_cycles " + std::to_string((*trace_cycles)[i]) : std::string()) +
               "), synaptic ops " +
               std::to_string(sops[i]) + " (arch " + std::to_string(want_sops[i]) +
               (trace_sops ? ", trace " + std::to_string((*trace_sops)[i]) : std::string()) + "), SRAM words " +
               std::to_string(words[i]) + " (expected " + std::to_string(want_w) + ")";
      });
    }
    for (int64_t c : got) event_cycles_ += c;
  }

  // Sets tile `id`'s saved accumulators (NeurocoreSim::set_accumulators): arch's start from them,
  // the RTL's are preloaded with them before the tile's next events.
  void preload(int id, const std::vector<int32_t>& acc) {
    Tile& t = tiles_.at(id);
    sim_.set_accumulators(id, acc);
    t.acc = acc;
    t.saved = true;
    if (resident_ == id) resident_ = -1;
  }

  // Takes tile `id`'s accumulators; compares them with arch's (and the trace's, if given). keep:
  // they persist (sigma-delta events): arch's stay, the RTL's are preloaded again.
  void take(int id, const std::vector<int32_t>* trace_acc = nullptr, bool keep = false) {
    Tile& t = tiles_.at(id);
    const std::vector<int32_t> got = sim_.take_accumulators(id, keep);
    std::string diff;
    if (got.size() != t.acc.size())
      diff = std::to_string(got.size()) + " accumulators, expected " + std::to_string(t.acc.size());
    for (std::size_t r = 0; r < got.size() && diff.empty(); ++r) {
      if (got[r] != t.acc[r])
        diff = "row " + std::to_string(r) + ": " + std::to_string(got[r]) + ", arch::accumulate_event gives " +
               std::to_string(t.acc[r]);
      else if (trace_acc != nullptr && (r >= trace_acc->size() || (*trace_acc)[r] != got[r]))
        diff = "row " + std::to_string(r) + ": " + std::to_string(got[r]) + " (as arch), the trace recorded " +
               (r < trace_acc->size() ? std::to_string((*trace_acc)[r]) : std::string("nothing"));
    }
    chk_.check(diff.empty(), [&] {
      return where(id) + ": take_accumulators" + (keep ? std::string(" (keep)") : std::string()) + ": " + diff;
    });
    if (resident_ == id) resident_ = -1;
    t.saved = keep;
    if (!keep) t.acc.assign(t.acc.size(), 0);
  }

  // A call that must throw neurark::Error whose message holds `needle`.
  void expect_error(const std::string& what, const std::function<void()>& f, const std::string& needle) {
    std::string msg;
    bool threw = false;
    try {
      f();
    } catch (const Error& e) {
      threw = true;
      msg = e.what();
    }
    chk_.check(threw && msg.find(needle) != std::string::npos, [&] {
      return label_ + ": " + what + ": " +
             (threw ? "threw '" + msg + "', expected a message with '" + needle + "'" : std::string("did not throw"));
    });
  }

  void expect(bool ok, const std::string& what) {
    chk_.check(ok, [&] { return label_ + ": " + what; });
  }

  int64_t event_cycles() const { return event_cycles_; }
  int64_t preloads() const { return want_preloads_; }

 private:
  struct Tile {
    int64_t rows = 0, k = 0, base = 0;
    std::vector<uint8_t> mem;
    std::vector<int32_t> acc;  // arch's accumulators since the last take (or the preloaded ones)
    bool saved = false;        // the sim holds them outside the RTL (spilled, kept or set)
  };

  // NeurocoreSim preloaded exactly the tiles whose accumulators were outside the RTL when their
  // events came, each in rows cycles.
  void check_preloads(int id) {
    const NeurocoreSim::Stats& st = sim_.stats();
    chk_.check(st.preloads == want_preloads_ && st.preload_cycles == want_preload_cycles_, [&] {
      return where(id) + ": " + std::to_string(st.preloads) + " preloads in " + std::to_string(st.preload_cycles) +
             " cycles, expected " + std::to_string(want_preloads_) + " in " + std::to_string(want_preload_cycles_);
    });
  }

  std::string where(int id) const {
    const Tile& t = tiles_.at(id);
    return label_ + ", tile " + std::to_string(id) + " (rows " + std::to_string(t.rows) + ", k " + std::to_string(t.k) +
           ", base " + std::to_string(t.base) + ")";
  }

  void check_requantized(int tile, bool spill, const std::vector<int32_t>& acc, const std::vector<int32_t>& y) {
    std::size_t bad = acc.size();
    for (std::size_t r = 0; r < acc.size() && bad == acc.size(); ++r)
      if (y[r] != arch::requantize(acc[r], scale_)) bad = r;
    chk_.check(bad == acc.size(), [&] {
      return label_ + ", tile " + std::to_string(tile) + (spill ? " (spill)" : "") + ": readout row " +
             std::to_string(bad) + ": requantize(" + std::to_string(acc[bad]) + ", {" + std::to_string(scale_.mant) +
             ", " + std::to_string(scale_.exp) + "}) = " + std::to_string(y[bad]) + ", arch gives " +
             std::to_string(arch::requantize(acc[bad], scale_));
    });
  }

  Checker& chk_;
  std::string label_;
  NeurocoreSim sim_;
  NeurocoreRtlParams p_;
  arch::Scale scale_;
  std::map<int, Tile> tiles_;
  int64_t next_base_ = 0;
  int64_t event_cycles_ = 0;
  int resident_ = -1;  // the tile whose accumulators are in the RTL
  int64_t want_preloads_ = 0, want_preload_cycles_ = 0;
};


// The neurocore parameters of `chip`; throws neurark::Error if the RTL cannot take them.
NeurocoreRtlParams params_of(const arch::ChipDescription& chip) {
  const ChipRtl rtl = chip_rtl(chip);
  rtl.require("neurocore", "verify-rtl neurocore");
  return rtl.neurocore;
}

// The largest k <= want such that the tiles rows[i] x (k_i = want_i / s) fit the SRAM word-aligned:
// s doubles until they do (s = 1 where they fit as asked, as on the default chip).
int64_t fit_divisor(const NeurocoreRtlParams& p, const std::vector<std::pair<int64_t, int64_t>>& tiles) {
  const int64_t pb = p.sram_port_bits / 8;
  for (int64_t s = 1;; s *= 2) {
    int64_t bytes = 0;
    bool ok = true;
    for (const auto& [rows, k] : tiles) {
      ok = ok && k / s >= 1;
      bytes += ceil_div(ceil_div(rows, 4) * std::max<int64_t>(1, k / s), pb) * pb;
    }
    if (!ok || bytes <= p.synapse_sram_bytes) return s;
  }
}

int64_t random_rows(Rng& rng, int64_t max_rows) {
  const int64_t r = rng.range(0, 9);
  if (r < 6) return rng.range(1, std::min<int64_t>(64, max_rows));
  if (r < 9) return rng.range(1, std::min<int64_t>(256, max_rows));
  return rng.range(1, max_rows);
}

}  // namespace

// Random cores: each holds 1..6 random tiles (some with a reserved code inside the tile or in
// the padding bits) and runs 1..6 phases: some of its tiles' events in turn (the first tile
// sometimes once more at the end: a spill and a resume), then every tile of the phase taken in a
// random order (sometimes one that had no events too). Random readout scale and stalls per core.
BlockResult run_random(const VerifyOptions& o) {
  Checker chk("random seed " + std::to_string(o.seed));
  Rng rng(o.seed, 0x4e43);
  const arch::ChipDescription chip = verify_chip(o);
  const NeurocoreRtlParams p = params_of(chip);
  int64_t left = std::max<int64_t>(1, o.vectors);
  for (int core = 0; left > 0; ++core) {
    Bench b(chk, chip, "random core " + std::to_string(core), random_scale(rng));
    if (rng.chance(0.3)) b.sim().set_readout_stall(rng.chance(0.5) ? 0.3 : 0.8, rng.bits());
    std::vector<int> ids;
    const int64_t ntiles = rng.range(1, 6);
    for (int64_t i = 0; i < ntiles; ++i) {
      const int64_t rows = random_rows(rng, p.accumulators);
      const int64_t cb = ceil_div(rows, 4);
      const int64_t k = rng.range(1, std::min<int64_t>(700, p.synapse_sram_bytes / cb));
      const double density[] = {0.1, 0.5, 0.9, 1.0};
      std::vector<uint8_t> mem = pack(random_weights(rng, rows, k, density[rng.range(0, 3)]), rows, k);
      if (!b.fits(static_cast<int64_t>(mem.size()))) break;
      if (rng.chance(0.03)) inject_reserved(mem, rows, rng.range(0, rows - 1), rng.range(0, k - 1));
      if (rows % 4 != 0 && rng.chance(0.3))  // padding bits: never read as weights
        inject_reserved(mem, rows, rng.range(rows, 4 * cb - 1), rng.range(0, k - 1));
      const int id = static_cast<int>(rng.range(0, 99)) * 100 + static_cast<int>(i);
      b.load(id, rows, k, std::move(mem));
      ids.push_back(id);
    }
    if (ids.empty()) continue;
    const int64_t phases = rng.range(1, 6);
    for (int64_t ph = 0; ph < phases && left > 0; ++ph) {
      std::vector<int> order = ids;
      std::shuffle(order.begin(), order.end(), rng.gen());
      order.resize(static_cast<std::size_t>(rng.range(1, static_cast<int64_t>(order.size()))));
      std::vector<int> taken = order;
      if (order.size() > 1 && rng.chance(0.3)) order.push_back(order.front());
      for (int id : order) {
        const int64_t n = rng.chance(0.1) ? rng.range(64, 400) : rng.range(1, 120);
        // A preload of random int32 values (a state memory's partial sums), sometimes.
        if (rng.chance(0.2)) b.preload(id, random_acc(rng, b.rows(id), 8000));  // 6 phases x 2 runs x 400 events, kept
        b.run(id, random_events(rng, b.k(id), n));
        left -= n;
      }
      if (taken.size() < ids.size() && rng.chance(0.3)) {
        for (int id : ids)
          if (std::find(taken.begin(), taken.end(), id) == taken.end()) {
            taken.push_back(id);
            break;
          }
      }
      std::shuffle(taken.begin(), taken.end(), rng.gen());
      // Sometimes kept (sigma-delta events): the next phase's events add to them, after a preload.
      for (int id : taken) b.take(id, nullptr, rng.chance(0.25));
    }
  }
  return chk.result();
}

// The edge cases at any chip's neurocore: tiles are cut to the chip's accumulators and SRAM (on the
// default chip every case runs as written: 256 x 256 tiles, 1,024 accumulators, fan-in 6,912).
BlockResult run_edge_cases(const VerifyOptions& o) {
  Checker chk("edge cases");
  Rng rng(o.seed, 0x4e44);
  const arch::ChipDescription chip = verify_chip(o);
  const NeurocoreRtlParams p = params_of(chip);
  const int64_t pb = p.sram_port_bits / 8;
  const int64_t max_k = int64_t{1} << p.column_bits;
  auto columns = [](int64_t k, int8_t q) {
    Events ev;
    for (int64_t c = 0; c < k; ++c) ev.emplace_back(c, q);
    return ev;
  };
  auto channel_order = [&](int64_t k) {
    Events ev;
    for (int64_t c = 0; c < k; ++c) ev.emplace_back(c, random_q(rng));
    return ev;
  };
  {  // Four tiles fill the SRAM (the default chip: 256 x 256 each, the sample trace's core); a
     // fifth that needs one byte more than is left is refused.
    const int64_t rows = std::min<int64_t>(256, p.accumulators);
    const int64_t k = std::min<int64_t>(max_k, p.synapse_sram_bytes / 4 / ceil_div(rows, 4));
    const int64_t left = p.synapse_sram_bytes - 4 * ceil_div(ceil_div(rows, 4) * k, pb) * pb;
    Bench b(chk, chip, "four " + std::to_string(rows) + " x " + std::to_string(k) + " tiles", random_scale(rng));
    for (int id = 12; id < 16; ++id) b.load(id, rows, k, pack(random_weights(rng, rows, k, 0.6), rows, k));
    for (int id = 12; id < 15; ++id) b.run(id, channel_order(k));
    for (int id = 12; id < 15; ++id) b.take(id);
    b.run(15, channel_order(k));
    b.take(15);
    b.expect_error("a fifth tile", [&] { b.sim().load_tile(16, std::vector<uint8_t>(static_cast<std::size_t>(left + 1)), 1, left + 1); },
                   "SRAM is full");
  }
  {  // Every accumulator: rows = NumAccumulators, q = -128 on -1 weights, then +1 weights.
    const int64_t rows = p.accumulators;
    const int64_t s = fit_divisor(p, {{rows, 16}, {rows, 8}, {rows - 1, 24}});
    const int64_t k1 = std::max<int64_t>(1, 16 / s), k2 = std::max<int64_t>(1, 8 / s), k3 = std::max<int64_t>(1, 24 / s);
    Bench b(chk, chip, "every accumulator");
    // (A chip whose SRAM holds fewer than three such tiles skips them: its compiler cannot place
    // a tile of every accumulator either.)
    if (b.fits(ceil_div(ceil_div(rows, 4) * k1, pb) * pb + ceil_div(ceil_div(rows, 4) * k2, pb) * pb +
               ceil_div(rows - 1, 4) * k3)) {
      b.load(1, rows, k1, pack(std::vector<int8_t>(static_cast<std::size_t>(rows * k1), -1), rows, k1));
      b.load(2, rows, k2, pack(std::vector<int8_t>(static_cast<std::size_t>(rows * k2), 1), rows, k2));
      b.load(3, rows - 1, k3, pack(random_weights(rng, rows - 1, k3, 0.6), rows - 1, k3));
      b.run(1, columns(k1, -128));
      b.run(1, columns(k1, -128));
      b.run(2, columns(k2, 127));
      b.run(3, random_events(rng, k3, 50));
      b.run(2, columns(k2, -128));
      b.take(1);
      b.take(2);
      b.take(3);
    }
    const std::vector<uint8_t> big(static_cast<std::size_t>(rows / 4 + 1));
    b.expect_error("rows > accumulators", [&] { b.sim().load_tile(9, big, rows + 1, 1); },
                   "outside [1, " + std::to_string(rows) + "]");
  }
  {  // The largest published fan-in (MMfreeLM-2.7B down_proj, K = 6912): +-884,736. 6,912
     // events back to back (over the columns again where the SRAM holds fewer).
    const int64_t rows = std::min<int64_t>(36, p.accumulators);
    const int64_t k = std::min<int64_t>(6912, p.synapse_sram_bytes / ceil_div(rows, 4));
    Bench b(chk, chip, "fan-in 6912");
    std::vector<int8_t> w(static_cast<std::size_t>(rows * k));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < k; ++c)
        w[static_cast<std::size_t>(r * k + c)] = r % 3 == 0 ? int8_t{-1} : r % 3 == 1 ? int8_t{1} : int8_t{0};
    b.load(7, rows, k, pack(w, rows, k));
    Events ev;
    for (int64_t c = 0; c < 6912; ++c) ev.emplace_back(c % k, int8_t{-128});
    b.run(7, ev);
    b.take(7);
    b.expect(b.sim().stats().fifo_max == p.input_fifo_depth && b.sim().stats().fifo_full_cycles > 0,
             "6912 events back to back: the input FIFO fills (" + std::to_string(b.sim().stats().fifo_max) + " of " +
                 std::to_string(p.input_fifo_depth) + ") and pushes back (" +
                 std::to_string(b.sim().stats().fifo_full_cycles) + " cycles)");
  }
  {  // Every rows 1..NumAccumulators, 8 columns each: every column byte offset a word-aligned tile
     // can have (ceil(rows / 4) odd: all 8; even: the even ones), the per-event formula on each.
    std::unique_ptr<Bench> b;
    int core = 0;
    for (int64_t rows = 1; rows <= p.accumulators; ++rows) {
      const int64_t k = std::min<int64_t>(8, p.synapse_sram_bytes / ceil_div(rows, 4));
      std::vector<uint8_t> mem = pack(random_weights(rng, rows, k, 0.6), rows, k);
      if (!b || !b->fits(static_cast<int64_t>(mem.size())))
        b = std::make_unique<Bench>(chk, chip, "rows 1.." + std::to_string(p.accumulators) + ", core " +
                                                   std::to_string(core++), random_scale(rng));
      const int id = static_cast<int>(rows);
      b->load(id, rows, k, std::move(mem));
      b->run(id, channel_order(k));
      b->take(id);
    }
  }
  {  // Spills: A, B, A, C, B, A in one phase (5 spills), takes in another order, a take of a
     // tile without events since its last take (zeros), readout backpressure.
    const int64_t ra = std::min<int64_t>(100, p.accumulators), rb = std::min<int64_t>(37, p.accumulators);
    const int64_t rc = p.accumulators;
    const int64_t s = fit_divisor(p, {{ra, 40}, {rb, 90}, {rc, 30}});
    const int64_t ka = std::max<int64_t>(1, 40 / s), kb = std::max<int64_t>(1, 90 / s), kc = std::max<int64_t>(1, 30 / s);
    Bench b(chk, chip, "spills", random_scale(rng));
    b.sim().set_readout_stall(0.5, o.seed);
    b.load(10, ra, ka, pack(random_weights(rng, ra, ka, 0.7), ra, ka));
    b.load(20, rb, kb, pack(random_weights(rng, rb, kb, 0.7), rb, kb));
    b.load(30, rc, kc, pack(random_weights(rng, rc, kc, 0.7), rc, kc));
    for (int id : {10, 20, 10, 30, 20, 10}) b.run(id, random_events(rng, b.k(id), 70));
    b.take(20);
    b.take(10);
    b.take(30);
    b.take(30);
    b.expect(b.sim().stats().spills == 5,
             "A B A C B A: " + std::to_string(b.sim().stats().spills) + " spills, expected 5");
    b.run(10, random_events(rng, ka, 3));
    b.take(10);
  }
  {  // Preloads (sigma-delta events, docs/numerics.md §5b): random int32 values set into every
     // accumulator, events on top, kept from token to token and across spills (a spilled tile's
     // RTL sum is preloaded back); a take before any event returns them as set (no preload); each
     // preload takes rows cycles (Bench checks the count and cycles after every run).
    const int64_t ra = p.accumulators, rb = std::min<int64_t>(37, p.accumulators);
    const int64_t s = fit_divisor(p, {{ra, 24}, {rb, 50}});
    const int64_t ka = std::max<int64_t>(1, 24 / s), kb = std::max<int64_t>(1, 50 / s);
    Bench b(chk, chip, "preloads", random_scale(rng));
    b.sim().set_readout_stall(0.3, o.seed + 1);
    b.load(40, ra, ka, pack(random_weights(rng, ra, ka, 0.7), ra, ka));
    b.load(41, rb, kb, pack(random_weights(rng, rb, kb, 0.7), rb, kb));
    b.preload(40, random_acc(rng, ra, 1000));
    b.take(40, nullptr, true);                // no events: as set, no preload
    b.run(40, columns(ka, -128));             // preload 1, then every column
    b.take(40, nullptr, true);                // kept (the RTL's sum)
    b.run(40, random_events(rng, ka, 60));    // preload 2
    b.preload(41, random_acc(rng, rb, 1000));
    b.run(41, random_events(rng, kb, 80));    // spills 40, preload 3
    b.run(40, random_events(rng, ka, 30));    // spills 41, preload 4 (40's spilled sum)
    b.take(41, nullptr, true);                // spilled, no events since: as it is, kept
    b.take(40);
    b.run(41, random_events(rng, kb, 20));    // preload 5
    b.preload(41, random_acc(rng, rb, 1000)); // discards the live sum (a readout)
    b.run(41, random_events(rng, kb, 20));    // preload 6
    b.take(41);
    b.run(41, random_events(rng, kb, 5));     // nothing saved: no preload
    b.take(41);
    b.expect(b.sim().stats().preloads == 6 && b.preloads() == 6,
             "preloads: " + std::to_string(b.sim().stats().preloads) + ", expected 6");
  }
  {  // Preloaded extremes: INT32_MAX and INT32_MIN on rows of zero weights stay as they are under
     // q = -128 events; a one-row tile.
    const int64_t rz = std::min<int64_t>(24, p.accumulators);
    Bench b(chk, chip, "preload extremes", random_scale(rng));
    b.load(50, rz, 4, pack(std::vector<int8_t>(static_cast<std::size_t>(rz * 4), 0), rz, 4));
    std::vector<int32_t> ext(static_cast<std::size_t>(rz));
    for (std::size_t r = 0; r < ext.size(); ++r) ext[r] = r % 2 == 0 ? INT32_MAX : INT32_MIN;
    b.preload(50, ext);
    b.run(50, columns(4, -128));
    b.take(50, nullptr, true);
    b.run(50, columns(4, 127));
    b.take(50);
    if (b.fits(pb)) {
      b.load(51, 1, 3, pack({1, -1, 0}, 1, 3));
      b.preload(51, {-5});
      b.run(51, Events{{0, 7}, {1, -128}, {2, 9}});
      b.take(51, nullptr, true);
      b.run(51, Events{{1, 1}});
      b.take(51);
    }
  }
  {  // Small and ragged tiles at every column offset; q = 0; all-zero columns (a new core when
     // the SRAM or the tile slots are full, as they never are on the default chip).
    std::unique_ptr<Bench> b = std::make_unique<Bench>(chk, chip, "small tiles", random_scale(rng));
    int id = 0, core = 0;
    const auto load = [&](int64_t rows, int64_t k, std::vector<uint8_t> mem) {
      if (!b->fits(static_cast<int64_t>(mem.size())))
        b = std::make_unique<Bench>(chk, chip, "small tiles, core " + std::to_string(++core), random_scale(rng));
      b->load(++id, rows, k, std::move(mem));
    };
    for (int64_t rows : {1, 2, 3, 4, 5, 13, 15, 16, 17, 31, 33, 63, 65}) {
      if (rows > p.accumulators) continue;
      const int64_t k = std::min<int64_t>(40, p.synapse_sram_bytes / ceil_div(rows, 4));
      load(rows, k, pack(random_weights(rng, rows, k, 0.6), rows, k));
      b->run(id, random_events(rng, k, 100));
      b->take(id);
    }
    const int64_t r24 = std::min<int64_t>(24, p.accumulators), r40 = std::min<int64_t>(40, p.accumulators);
    load(r24, 16, pack(random_weights(rng, r24, 16, 0.8), r24, 16));
    b->run(id, columns(16, 0));
    b->take(id);
    load(r40, 4, pack(std::vector<int8_t>(static_cast<std::size_t>(r40 * 4), 0), r40, 4));
    b->run(id, columns(4, -128));
    b->take(id);
  }
  {  // The reserved code 10: inside the tile (error naming the event; the tile works after it;
     // another tile's spilled accumulators survive), in the padding bits (no error).
    const int64_t r1 = std::min<int64_t>(16, p.accumulators);
    const int64_t r2 = p.accumulators >= 16 ? 13 : p.accumulators - 1;  // a partial last byte
    const int64_t r4 = std::min<int64_t>(50, p.accumulators);
    Bench b(chk, chip, "reserved code", random_scale(rng));
    std::vector<uint8_t> m1 = pack(random_weights(rng, r1, 8, 0.5), r1, 8);
    inject_reserved(m1, r1, std::min<int64_t>(5, r1 - 1), 3);
    b.load(1, r1, 8, m1);
    std::vector<uint8_t> m2 = pack(random_weights(rng, r2, 8, 0.5), r2, 8);
    inject_reserved(m2, r2, r2 - 1, 6);  // the last row, in the partial last byte
    b.load(2, r2, 8, m2);
    std::vector<uint8_t> m3 = pack(random_weights(rng, r2, 8, 0.9), r2, 8);
    for (int64_t c = 0; c < 8; ++c)
      for (int64_t r = r2; r < 4 * ceil_div(r2, 4); ++r) inject_reserved(m3, r2, r, c);  // padding only
    b.load(3, r2, 8, m3);
    b.load(4, r4, 8, pack(random_weights(rng, r4, 8, 0.5), r4, 8));
    b.run(4, random_events(rng, 8, 20));
    b.run(1, Events{{0, 1}, {3, 5}, {2, 9}, {3, -2}});  // error at event 1
    b.run(1, Events{{0, 7}, {2, -128}});
    b.take(1);
    b.run(2, Events{{1, 3}, {6, 1}});                     // error at event 1
    b.run(3, columns(8, -100));
    b.take(2);
    b.take(3);
    b.take(4);
  }
  {  // Misuse NeurocoreSim refuses, and the core still works after each refusal.
    const int64_t r5 = std::min<int64_t>(20, p.accumulators), rw = std::min<int64_t>(5, p.accumulators);
    Bench b(chk, chip, "misuse");
    b.load(5, r5, 10, pack(random_weights(rng, r5, 10, 0.6), r5, 10));
    b.run(5, random_events(rng, 10, 10));
    NeurocoreSim& s = b.sim();
    b.expect_error("run_events on an unknown tile", [&] { s.run_events(6, {{0, 1}}); }, "unknown tile 6");
    b.expect_error("take_accumulators on an unknown tile", [&] { s.take_accumulators(6); }, "unknown tile 6");
    b.expect_error("column k", [&] { s.run_events(5, {{1, 1}, {10, 1}}); }, "column 10 outside [0, 10)");
    b.expect_error("column -1", [&] { s.run_events(5, {{-1, 1}}); }, "column -1 outside");
    b.expect_error("a tile loaded twice", [&] { s.load_tile(5, std::vector<uint8_t>(50), 20, 10); }, "loaded already");
    b.expect_error("rows 0", [&] { s.load_tile(8, {}, 0, 10); }, "rows 0 outside");
    b.expect_error("k 0", [&] { s.load_tile(8, {}, 4, 0); }, "fan-in k 0 outside");
    b.expect_error("k 2^16 + 1", [&] { s.load_tile(8, std::vector<uint8_t>(65537), 4, 65537); }, "fan-in k 65537");
    b.expect_error("a memory of the wrong size", [&] { s.load_tile(8, std::vector<uint8_t>(7), rw, 4); },
                   "memory holds 7 bytes, a packed2 tile of " + std::to_string(rw) + " x 4 has " +
                       std::to_string(arch::packed2_tile_bytes(rw, 4)));
    b.expect_error("set_accumulators on an unknown tile", [&] { s.set_accumulators(6, {1}); }, "unknown tile 6");
    b.expect_error("set_accumulators of the wrong size", [&] { s.set_accumulators(5, std::vector<int32_t>(3)); },
                   "has " + std::to_string(r5) + " rows, 3 accumulators given");
    b.run(5, random_events(rng, 10, 10));
    b.take(5);
    b.expect(s.stats().events == 20, "events counted: " + std::to_string(s.stats().events) + ", expected 20");
  }
  {  // Every tile slot used.
    Bench b(chk, chip, "tile slots");
    for (int id = 0; id < p.tile_slots; ++id) b.load(id, 1, 1, pack({1}, 1, 1));
    b.expect_error("one tile more than the slots", [&] { b.sim().load_tile(999, {1}, 1, 1); }, "tile slots is used");
    for (int id = 0; id < p.tile_slots; ++id) b.run(id, Events{{0, static_cast<int8_t>(id)}});
    for (int id = 0; id < p.tile_slots; ++id) b.take(id);
  }
  {  // Chips the RTL cannot take: refused naming the parameter, its value and the supported range.
    Bench b(chk, chip, "parameters");
    arch::NeurocoreParams c = chip.core;
    c.lanes = 24;
    c.input_fifo_depth = 1;
    b.expect_error("lanes 24, FIFO 1", [&] { NeurocoreSim s(c); },
                   "neurocore.lanes is 24; the RTL takes a power of two from 4 to 1024");
    arch::NeurocoreParams sp = chip.core;
    sp.weight_encoding = arch::WeightEncoding::kSparse;
    b.expect_error("sparse encoding", [&] { NeurocoreSim s(sp); }, "neurocore.weight_encoding is sparse; the RTL takes packed2");
  }
  return chk.result();
}

TraceReplay replay_trace(const std::string& path, const VerifyOptions& o) {
  const traces::EventTrace tr = traces::read_event_trace(path);
  const arch::ChipDescription chip = verify_chip(o);
  const NeurocoreRtlParams p = params_of(chip);
  // A trace recorded on another chip: other lanes or SRAM port (other cycles per event), or tiles
  // that do not fit this neurocore's synapse SRAM. Say that the chip differs.
  int64_t tile_bytes = 0;
  for (const traces::TraceTile& tt : tr.header.tiles) tile_bytes += static_cast<int64_t>(tt.memory.size());
  if (tr.header.lanes != p.lanes || tr.header.sram_port_bits != p.sram_port_bits || tile_bytes > p.synapse_sram_bytes)
    throw Error("neurocore: trace " + path + " was recorded on chip '" + tr.header.chip + "' (" +
                std::to_string(tr.header.lanes) + " lanes, " + std::to_string(tr.header.sram_port_bits) + "-bit SRAM port, " +
                std::to_string(tile_bytes) + " bytes of tiles on the core); this Verilated neurocore has " +
                std::to_string(p.lanes) + " lanes, a " + std::to_string(p.sram_port_bits) + "-bit port and " +
                std::to_string(p.synapse_sram_bytes) + " bytes of synapse SRAM (chip '" + chip.name +
                "'s): record the trace on a chip with those parameters, or give verify-rtl the trace's chip (--chip)");
  if (tr.header.weight_encoding != arch::WeightEncoding::kPacked2)
    throw Error("neurocore: trace " + path + " holds " + arch::to_string(tr.header.weight_encoding) +
                " tiles; the RTL neurocore reads packed2 tiles only");
  TraceReplay out;
  Checker chk("trace " + path);
  const auto t0 = std::chrono::steady_clock::now();
  {
    Bench b(chk, chip, "trace");
    for (const traces::TraceTile& tt : tr.header.tiles) b.load(tt.tile, tt.r1 - tt.r0, tt.k, tt.memory);
    // One phase per token and BitLinear: its `in` events grouped by tile (in the order the
    // tiles first appear), run when the phase's first `acc` record comes, then each `acc`
    // record compared with take_accumulators.
    std::vector<int> order;
    std::map<int, Events> events;
    std::map<int, std::vector<int64_t>> sops, cycles;
    auto flush = [&] {
      for (int tile : order) b.run(tile, events[tile], &sops[tile], &cycles[tile]);
      order.clear();
      events.clear();
      sops.clear();
      cycles.clear();
    };
    for (const traces::EventRecord& r : tr.records) {
      if (r.dir == traces::EventRecord::Dir::kIn) {
        if (events.find(r.tile) == events.end()) order.push_back(r.tile);
        events[r.tile].emplace_back(r.channel, r.q);
        sops[r.tile].push_back(r.synaptic_ops);
        cycles[r.tile].push_back(r.lane_cycles);
        out.trace_lane_cycles += r.lane_cycles;
        ++out.events;
      } else if (r.dir == traces::EventRecord::Dir::kAcc) {
        flush();
        b.take(r.tile, &r.acc);
        ++out.accumulator_checks;
      }
    }
    flush();
    out.rtl_event_cycles = b.event_cycles();
  }
  out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.result = chk.result();
  return out;
}

}  // namespace neurocore
}  // namespace neurark::rtl
