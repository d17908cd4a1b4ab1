// SPDX-License-Identifier: Apache-2.0
// NeurocoreSim (neurark/rtl/neurocore.hpp) on the Verilated nrk_neurocore.
//
// Clock convention (as rtl/datapath): between ticks the clock is low; each cycle the inputs are
// set, settle() evaluates the combinational outputs (issue_o, ev_ready_o, ro_ready_o, ...), the
// handshakes that complete are decided, then tick() applies the rising edge. Cycle numbers are
// cycles() before the tick. Two evaluations per cycle: tick() lowers the clock without
// evaluating (no logic runs on the falling edge); the next settle() sees it.
#include "neurark/rtl/neurocore.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

#include "neurark/arch/error.hpp"
#include "neurark/arch/weight_memory.hpp"
#include "neurark/rtl/model.hpp"

namespace neurark::rtl {

namespace {

// A run longer than this without a handshake means the RTL hung.
constexpr int64_t kWatchdog = 100000;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

std::string prefix() { return "rtl nrk_neurocore: "; }

}  // namespace

int64_t neurocore_event_cycles(int64_t rows, int64_t col, int64_t lanes, int64_t port_bits, int64_t tile_base) {
  const auto pow2 = [](int64_t v) { return v > 0 && (v & (v - 1)) == 0; };
  if (!pow2(lanes) || lanes < 4 || !pow2(port_bits) || port_bits < 2 * lanes || rows < 1 || col < 0 || tile_base < 0 ||
      tile_base % (port_bits / 8) != 0)
    throw std::invalid_argument("neurocore_event_cycles: rows " + std::to_string(rows) + ", column " +
                                std::to_string(col) + ", lanes " + std::to_string(lanes) + ", port bits " +
                                std::to_string(port_bits) + ", tile base " + std::to_string(tile_base) +
                                ": the rule holds for lanes and port bits powers of two, lanes >= 4, "
                                "port bits >= 2 lanes, a word-aligned tile");
  // The one definition is arch's (the RTL is checked against it).
  arch::EventCost cost;
  cost.sram_words = arch::packed2_column_words(rows, col, port_bits);
  return arch::event_accumulate_cycles(arch::WeightEncoding::kPacked2, rows, col, cost, lanes, port_bits);
}

// The ports of nrk_neurocore, by name (rtl/neurocore/nrk_neurocore.sv).
struct NeurocorePorts {
#define NRK_NC_PORTS(X)                                                                                              \
  X(clk_i) X(rst_ni) X(tt_we_i) X(tt_slot_i) X(tt_base_i) X(tt_rows_i) X(tt_k_i) X(sram_we_i) X(sram_waddr_i)       \
  X(sram_wdata_i) X(ev_valid_i) X(ev_ready_o) X(ev_slot_i) X(ev_col_i) X(ev_q_i) X(fifo_count_o) X(issue_o) X(done_o) \
  X(done_sops_o) X(done_words_o) X(acc_live_o) X(acc_slot_o) X(err_code_o) X(err_event_o) X(ro_valid_i)             \
  X(ro_ready_o) X(ro_slot_i) X(ro_scale_mant_i) X(ro_scale_exp_i) X(acc_valid_o) X(acc_ready_i) X(acc_row_o)        \
  X(acc_data_o) X(acc_y_o) X(acc_last_o) X(pl_valid_i) X(pl_ready_o) X(pl_slot_i) X(pl_row_i) X(pl_data_i)      \
  X(pl_last_i)
#define NRK_NC_DECLARE(name) Port name;
  NRK_NC_PORTS(NRK_NC_DECLARE)
#undef NRK_NC_DECLARE
  explicit NeurocorePorts(const VerilatedModel& m) {
#define NRK_NC_BIND(name) name = m.port(#name);
    NRK_NC_PORTS(NRK_NC_BIND)
#undef NRK_NC_BIND
  }
#undef NRK_NC_PORTS
};

struct NeurocoreSim::Impl {
  struct Tile {
    int slot = 0;
    int64_t rows = 0, k = 0, base = 0;
    // Accumulators read out of the RTL and kept (a spill, or take_accumulators with keep): the
    // state memory's copy, preloaded into the RTL before the tile's next events (empty: none).
    std::vector<uint32_t> saved;
  };

  NeurocoreRtlParams p;
  int64_t pb = 0;              // SRAM port bytes
  std::unique_ptr<VerilatedModel> model;
  NeurocorePorts m;
  int64_t cycles = 0;
  std::map<int, Tile> tiles;
  int64_t next_base = 0;       // next free word-aligned SRAM byte
  int resident = -1;           // tile whose accumulators are live in the RTL
  Stats stats;
  std::vector<int64_t> last_sops, last_words;
  arch::Scale scale{0x80000000u, -31};  // 1.0
  ReadoutObserver observer;
  double stall_p = 0;
  std::mt19937_64 stall_rng{1};

  Impl(const NeurocoreRtlParams& params, const BuildOptions& options)
      : p(params),
        pb(params.sram_port_bits / 8),
        model(VerilatedModel::open("neurocore", params.verilog(), "neurocore", "", options)),
        m(*model) {
    // Storage without reset starts at zero (the model's context: randReset(0)): runs are
    // reproducible.
    m.clk_i = 0;
    m.rst_ni = 0;
    settle();
    tick();
    settle();
    tick();
    m.rst_ni = 1;
    settle();
  }

  // Evaluates the combinational logic for this cycle's inputs (clock low).
  void settle() { model->eval(); }
  // The rising edge (after settle()); the clock is low again for the next cycle's settle().
  void tick() {
    m.clk_i = 1;
    model->eval();
    m.clk_i = 0;
    ++cycles;
  }

  Tile& find(int tile, const char* what) {
    auto it = tiles.find(tile);
    if (it == tiles.end()) {
      std::ostringstream s;
      s << prefix() << what << ": unknown tile " << tile << " (loaded:";
      if (tiles.empty()) s << " none";
      for (const auto& [id, t] : tiles) s << ' ' << id;
      s << ")";
      throw Error(s.str());
    }
    return it->second;
  }

  // Reads the accumulators of `t` (slot rows) through the readout port; the RTL clears them.
  std::vector<int32_t> readout(int tile, const Tile& t, bool spill) {
    const int64_t start = cycles;
    m.ro_valid_i = 1;
    m.ro_slot_i = static_cast<uint64_t>(t.slot);
    m.ro_scale_mant_i = scale.mant;
    m.ro_scale_exp_i = static_cast<uint32_t>(scale.exp);
    m.acc_ready_i = 0;
    for (int64_t w = 0;; ++w) {
      settle();
      const bool go = m.ro_ready_o != 0;
      tick();
      if (go) break;
      if (w > kWatchdog) throw Error(prefix() + "internal: the readout command was never accepted");
    }
    m.ro_valid_i = 0;
    std::vector<int32_t> acc(static_cast<std::size_t>(t.rows)), y(acc.size());
    int64_t got = 0, quiet = 0;
    while (got < t.rows) {
      m.acc_ready_i = (stall_p > 0 && std::uniform_real_distribution<double>(0, 1)(stall_rng) < stall_p) ? 0 : 1;
      settle();
      if (m.acc_valid_o && m.acc_ready_i) {
        const bool last = got + 1 == t.rows;
        if (static_cast<int64_t>(m.acc_row_o.get()) != got || (m.acc_last_o != 0) != last)
          throw Error(prefix() + "internal: readout row " + std::to_string(m.acc_row_o.get()) + " (last " +
                      std::to_string(m.acc_last_o.get()) + ") where row " + std::to_string(got) + " was due");
        acc[static_cast<std::size_t>(got)] = static_cast<int32_t>(static_cast<uint32_t>(m.acc_data_o.get()));
        y[static_cast<std::size_t>(got)] = static_cast<int32_t>(static_cast<uint32_t>(m.acc_y_o.get()));
        ++got;
        quiet = 0;
      }
      tick();
      if (++quiet > kWatchdog) throw Error(prefix() + "internal: the readout stream stopped");
    }
    m.acc_ready_i = 0;
    settle();
    if (m.acc_live_o || m.err_code_o || m.err_event_o)
      throw Error(prefix() + "internal: the accumulators are not clear after a readout");
    ++stats.readouts;
    if (spill) ++stats.spills;
    stats.readout_cycles += cycles - start;
    if (observer) observer(tile, spill, acc, y);
    return acc;
  }

  // The resident tile's accumulators move to C++ (its saved ones were preloaded into the RTL
  // before its events, so the readout holds the whole sum).
  void spill() {
    Tile& t = tiles.at(resident);
    const std::vector<int32_t> acc = readout(resident, t, true);
    if (!t.saved.empty()) throw Error(prefix() + "internal: a resident tile has saved accumulators");
    t.saved.assign(acc.size(), 0);
    for (std::size_t r = 0; r < acc.size(); ++r) t.saved[r] = static_cast<uint32_t>(acc[r]);
    resident = -1;
  }

  // Restores the saved accumulators of `tile` into the RTL through the preload port (rows 0 ..
  // rows - 1, one per cycle; the RTL's accumulators must be clear): its events then add to them
  // in RTL, and the tile is resident.
  void preload(int tile, Tile& t) {
    const int64_t start = cycles;
    m.acc_ready_i = 0;
    m.pl_slot_i = static_cast<uint64_t>(t.slot);
    int64_t row = 0, quiet = 0;
    while (row < t.rows) {
      m.pl_valid_i = 1;
      m.pl_row_i = static_cast<uint64_t>(row);
      m.pl_data_i = t.saved[static_cast<std::size_t>(row)];
      m.pl_last_i = row + 1 == t.rows;
      settle();
      const bool go = m.pl_ready_o != 0;
      tick();
      if (go) {
        ++row;
        quiet = 0;
      } else if (++quiet > kWatchdog) {
        throw Error(prefix() + "internal: the preload of tile " + std::to_string(tile) + " stopped at row " +
                    std::to_string(row));
      }
    }
    m.pl_valid_i = 0;
    m.pl_last_i = 0;
    settle();
    if (!m.acc_live_o || static_cast<int>(m.acc_slot_o.get()) != t.slot)
      throw Error(prefix() + "internal: tile " + std::to_string(tile) + " does not own the accumulators after its preload");
    ++stats.preloads;
    stats.preload_cycles += cycles - start;
    t.saved.clear();
    resident = tile;
  }
};

NeurocoreSim::NeurocoreSim(const arch::ChipDescription& chip, const BuildOptions& options) {
  const ChipRtl rtl = chip_rtl(chip);
  rtl.require("neurocore", "rtl nrk_neurocore");
  impl_ = std::make_unique<Impl>(rtl.neurocore, options);
}

NeurocoreSim::NeurocoreSim(const arch::NeurocoreParams& core, const BuildOptions& options)
    : NeurocoreSim(
          [&] {
            arch::ChipDescription c;
            c.name = "(neurocore parameters)";
            c.core = core;
            return c;
          }(),
          options) {}

NeurocoreSim::~NeurocoreSim() = default;

int64_t NeurocoreSim::cycles() const { return impl_->cycles; }

std::string NeurocoreSim::name() const { return "rtl nrk_neurocore (" + impl_->p.describe() + ")"; }

const NeurocoreRtlParams& NeurocoreSim::params() const { return impl_->p; }
const ModelBuild& NeurocoreSim::model() const { return impl_->model->build(); }

const NeurocoreSim::Stats& NeurocoreSim::stats() const { return impl_->stats; }
const std::vector<int64_t>& NeurocoreSim::last_sops() const { return impl_->last_sops; }
const std::vector<int64_t>& NeurocoreSim::last_words() const { return impl_->last_words; }

int64_t NeurocoreSim::tile_base(int tile) const { return impl_->find(tile, "tile_base").base; }

void NeurocoreSim::set_readout(arch::Scale scale, ReadoutObserver observer) {
  impl_->scale = scale;
  impl_->observer = std::move(observer);
}

void NeurocoreSim::set_readout_stall(double p, uint64_t seed) {
  impl_->stall_p = p;
  impl_->stall_rng.seed(seed);
}

void NeurocoreSim::load_tile(int tile, const std::vector<uint8_t>& memory, int64_t rows, int64_t k) {
  Impl& s = *impl_;
  const std::string what = prefix() + "load_tile " + std::to_string(tile) + ": ";
  if (s.tiles.count(tile) != 0) throw Error(what + "tile " + std::to_string(tile) + " is loaded already");
  const NeurocoreRtlParams& p = s.p;
  if (rows < 1 || rows > p.accumulators)
    throw Error(what + "rows " + std::to_string(rows) + " outside [1, " + std::to_string(p.accumulators) +
                "] (the neurocore's accumulators)");
  if (k < 1 || k > (int64_t{1} << p.column_bits))
    throw Error(what + "fan-in k " + std::to_string(k) + " outside [1, " + std::to_string(int64_t{1} << p.column_bits) +
                "] (the event's column field)");
  const int64_t bytes = arch::packed2_tile_bytes(rows, k);
  if (static_cast<int64_t>(memory.size()) != bytes)
    throw Error(what + "memory holds " + std::to_string(memory.size()) + " bytes, a packed2 tile of " +
                std::to_string(rows) + " x " + std::to_string(k) + " has " + std::to_string(bytes));
  if (static_cast<int64_t>(s.tiles.size()) >= p.tile_slots)
    throw Error(what + "every one of the " + std::to_string(p.tile_slots) + " tile slots is used");
  if (s.next_base + bytes > p.synapse_sram_bytes)
    throw Error(what + "the synapse SRAM is full: the tile needs " + std::to_string(bytes) + " bytes at byte " +
                std::to_string(s.next_base) + ", the SRAM holds " + std::to_string(p.synapse_sram_bytes) + " (" +
                std::to_string(s.tiles.size()) + " tiles loaded)");
  Impl::Tile t;
  t.slot = static_cast<int>(s.tiles.size());
  t.rows = rows;
  t.k = k;
  t.base = s.next_base;
  const int64_t start = s.cycles;
  NeurocorePorts& m = s.m;
  const int64_t pb = s.pb;
  const int64_t words = ceil_div(bytes, pb);
  std::vector<uint8_t> word(static_cast<std::size_t>(pb));
  for (int64_t w = 0; w < words; ++w) {
    for (int64_t b = 0; b < pb; ++b) {
      const int64_t i = w * pb + b;
      word[static_cast<std::size_t>(b)] = i < bytes ? memory[static_cast<std::size_t>(i)] : uint8_t{0};
    }
    m.sram_we_i = 1;
    m.sram_waddr_i = static_cast<uint64_t>(t.base / pb + w);
    m.sram_wdata_i.set_bytes(word.data(), word.size());
    s.settle();
    s.tick();
  }
  m.sram_we_i = 0;
  m.tt_we_i = 1;
  m.tt_slot_i = static_cast<uint64_t>(t.slot);
  m.tt_base_i = static_cast<uint64_t>(t.base);
  m.tt_rows_i = static_cast<uint64_t>(rows);
  m.tt_k_i = static_cast<uint64_t>(k);
  s.settle();
  s.tick();
  m.tt_we_i = 0;
  s.settle();
  s.stats.load_cycles += s.cycles - start;
  s.next_base = ceil_div(t.base + bytes, pb) * pb;
  s.tiles.emplace(tile, std::move(t));
}

std::vector<int64_t> NeurocoreSim::run_events(int tile, const std::vector<std::pair<int64_t, int8_t>>& events) {
  Impl& s = *impl_;
  Impl::Tile& t = s.find(tile, "run_events");
  for (std::size_t i = 0; i < events.size(); ++i)
    if (events[i].first < 0 || events[i].first >= t.k)
      throw Error(prefix() + "run_events: tile " + std::to_string(tile) + ", event " + std::to_string(i) +
                  ": column " + std::to_string(events[i].first) + " outside [0, " + std::to_string(t.k) +
                  ") (the tile's fan-in)");
  s.last_sops.clear();
  s.last_words.clear();
  if (events.empty()) return {};
  if (s.resident >= 0 && s.resident != tile) s.spill();
  if (s.resident != tile && !t.saved.empty()) s.preload(tile, t);  // kept or spilled partial sums

  NeurocorePorts& m = s.m;
  const std::size_t n = events.size();
  std::vector<int64_t> issue_at(n), done_at(n);
  std::size_t pushed = 0, issued = 0, done = 0;
  int64_t first_err = -1, quiet = 0;
  m.acc_ready_i = 0;
  m.ev_slot_i = static_cast<uint64_t>(t.slot);
  while (done < n) {
    const bool offer = pushed < n;
    m.ev_valid_i = offer;
    if (offer) {
      m.ev_col_i = static_cast<uint64_t>(events[pushed].first);
      m.ev_q_i = static_cast<uint8_t>(events[pushed].second);
    }
    s.settle();
    if (m.issue_o) issue_at[issued++] = s.cycles;
    if (m.done_o) {
      if (m.err_code_o && first_err < 0) first_err = static_cast<int64_t>(done);
      done_at[done++] = s.cycles;
      s.last_sops.push_back(static_cast<int64_t>(m.done_sops_o.get()));
      s.last_words.push_back(static_cast<int64_t>(m.done_words_o.get()));
      quiet = 0;
    }
    if (offer) {
      if (m.ev_ready_o)
        ++pushed;
      else
        ++s.stats.fifo_full_cycles;
    }
    s.stats.fifo_max = std::max<int64_t>(s.stats.fifo_max, static_cast<int64_t>(m.fifo_count_o.get()));
    s.tick();
    if (++quiet > kWatchdog)
      throw Error(prefix() + "internal: tile " + std::to_string(tile) + ": " + std::to_string(done) + " of " +
                  std::to_string(n) + " events finished, then nothing for " + std::to_string(kWatchdog) + " cycles");
  }
  m.ev_valid_i = 0;
  s.settle();
  if (m.err_event_o) throw Error(prefix() + "internal: the RTL dropped an event of tile " + std::to_string(tile));
  s.resident = tile;

  std::vector<int64_t> out(n);
  for (std::size_t i = 0; i + 1 < n; ++i) out[i] = issue_at[i + 1] - issue_at[i];
  out[n - 1] = done_at[n - 1] - 1 - issue_at[n - 1];
  s.stats.events += static_cast<int64_t>(n);
  for (int64_t c : out) s.stats.event_cycles += c;

  if (first_err >= 0) {
    // The tile's accumulators (preloaded ones included) are not meaningful any more: clear them
    // (and the flag).
    s.readout(tile, t, false);
    s.resident = -1;
    t.saved.clear();
    const auto& e = events[static_cast<std::size_t>(first_err)];
    throw Error(prefix() + "tile " + std::to_string(tile) + ": event " + std::to_string(first_err) + " (column " +
                std::to_string(e.first) + ", q " + std::to_string(e.second) +
                ") met the reserved weight code 10 in the tile's memory (the lane array's err flag); the tile's "
                "accumulators were cleared");
  }
  return out;
}

std::vector<int32_t> NeurocoreSim::take_accumulators(int tile, bool keep) {
  Impl& s = *impl_;
  Impl::Tile& t = s.find(tile, "take_accumulators");
  std::vector<int32_t> acc(static_cast<std::size_t>(t.rows), 0);
  if (s.resident == tile) {
    // The RTL's sum: the preloaded (kept or spilled) accumulators and the events since.
    acc = s.readout(tile, t, false);
    s.resident = -1;
  } else if (!t.saved.empty()) {
    // No events since they were saved: the saved ones, as they are.
    for (std::size_t r = 0; r < acc.size(); ++r) acc[r] = static_cast<int32_t>(t.saved[r]);
  }
  t.saved.clear();
  if (keep) {
    t.saved.resize(acc.size());
    for (std::size_t r = 0; r < acc.size(); ++r) t.saved[r] = static_cast<uint32_t>(acc[r]);
  }
  return acc;
}

void NeurocoreSim::set_accumulators(int tile, const std::vector<int32_t>& acc) {
  Impl& s = *impl_;
  Impl::Tile& t = s.find(tile, "set_accumulators");
  if (static_cast<int64_t>(acc.size()) != t.rows)
    throw Error(prefix() + "set_accumulators: tile " + std::to_string(tile) + " has " + std::to_string(t.rows) +
                " rows, " + std::to_string(acc.size()) + " accumulators given");
  if (s.resident == tile) {
    s.readout(tile, t, false);  // discarded: the RTL clears them
    s.resident = -1;
  }
  t.saved.assign(acc.size(), 0);
  for (std::size_t r = 0; r < acc.size(); ++r) t.saved[r] = static_cast<uint32_t>(acc[r]);
}

}  // namespace neurark::rtl
