// rtl/datapath/harness_lane_array.hpp: harness of nrk_lane_array (with its nrk_synapse_sram)
// against arch::accumulate_event (packed2). Template on the model class.
//
// A tile's packed2 image (arch::write_packed2_tile, optionally with reserved codes injected) is
// loaded byte for byte at a byte address of the SRAM; events come in bursts, back to back as
// fast as ev_ready_o allows. Per event the harness compares the synaptic operations
// (EventCost::synaptic_ops); after each burst every accumulator of the tile and the reserved-code
// flag (arch throws std::invalid_argument for code 10). With VerifyOptions::trace_path, an event
// trace of a neurocore is replayed too (run_lane_trace).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "dp_sim.hpp"
#include "neurark/arch/chip.hpp"
#include "neurark/arch/numerics.hpp"
#include "neurark/arch/weight_memory.hpp"
#include "neurark/traces/event_trace.hpp"

namespace neurark::rtl::datapath {

// Parameters of the harness model: the -G values rtl/datapath/CMakeLists.txt verilates it with.
constexpr int kLaneLanes = NRK_LANE_LANES;
constexpr int kLaneRows = NRK_LANE_ROWS;
constexpr int kLanePortBits = NRK_LANE_PORT_BITS;
constexpr int kLaneSramBytes = NRK_LANE_SRAM_BYTES;
static_assert(kLanePortBits == 64, "the harness writes SRAM words as uint64_t");
constexpr int kLaneIndexBits = 16;  // sparse index bits (unused by packed2; arch needs a value)

struct LaneEvent {
  int64_t col;
  int8_t q;
};

// Values recorded in an event trace for one burst: per event the synaptic operations, and the
// tile's accumulators after the burst (empty if the trace has none).
struct LaneRecorded {
  std::vector<int64_t> sops;
  std::vector<int32_t> acc;
};

struct LaneTile {
  std::string name;
  int64_t rows = 1, k = 1, base = 0;
  std::vector<uint8_t> bytes;                 // packed2 image (after injections)
  std::vector<std::vector<LaneEvent>> bursts;  // events, in bursts
  bool clear_before = true;                    // clear the accumulators when the tile is loaded
  std::vector<LaneRecorded> recorded;          // per burst, from a trace (empty: none)
};

inline int64_t lane_col_bytes(int64_t rows) { return arch::packed2_tile_bytes(rows, 1); }

// Packs rows x k ternary weights (row-major) with arch::write_packed2_tile.
inline std::vector<uint8_t> lane_pack(const std::vector<int8_t>& w, int64_t rows, int64_t k) {
  std::vector<uint8_t> out;
  arch::write_packed2_tile(w.data(), k, 0, rows, out);
  return out;
}

// Stores the reserved code 10 as the weight of (row, col) of a packed2 image (the byte layout of
// arch/weight_memory.hpp; rows >= the tile's rows address the padding bits of the last byte).
inline void lane_inject_reserved(std::vector<uint8_t>& bytes, int64_t rows, int64_t row, int64_t col) {
  const int64_t cb = lane_col_bytes(rows);
  auto& b = bytes[static_cast<std::size_t>(col * cb + row / 4)];
  const int sh = static_cast<int>(2 * (row % 4));
  b = static_cast<uint8_t>((b & ~(3u << sh)) | (2u << sh));
}

inline std::vector<int8_t> lane_random_weights(Rng& rng, int64_t rows, int64_t k, double nonzero) {
  std::vector<int8_t> w(static_cast<std::size_t>(rows * k));
  for (auto& x : w) x = rng.chance(nonzero) ? (rng.chance(0.5) ? int8_t{1} : int8_t{-1}) : int8_t{0};
  return w;
}

inline std::vector<std::vector<LaneEvent>> lane_random_bursts(Rng& rng, int64_t k, int64_t events) {
  std::vector<std::vector<LaneEvent>> bursts;
  while (events > 0) {
    const int64_t n = std::min<int64_t>(events, rng.range(1, 16));
    std::vector<LaneEvent> b;
    for (int64_t i = 0; i < n; ++i) {
      const int8_t q = rng.chance(0.05) ? int8_t{0} : static_cast<int8_t>(rng.range(-128, 127));
      b.push_back({rng.range(0, k - 1), q});
    }
    bursts.push_back(std::move(b));
    events -= n;
  }
  return bursts;
}

inline std::vector<LaneTile> lane_random_tiles(Rng& rng, int64_t events) {
  std::vector<LaneTile> tiles;
  while (events > 0) {
    LaneTile t;
    t.name = "random tile " + std::to_string(tiles.size());
    const int64_t rk = rng.range(0, 9);  // mostly small tiles; some up to every accumulator
    t.rows = rk < 6 ? rng.range(1, 64) : rk < 9 ? rng.range(65, 256) : rng.range(257, kLaneRows);
    const int64_t cb = lane_col_bytes(t.rows);
    t.k = rng.range(1, std::min<int64_t>(600, kLaneSramBytes / cb));
    t.base = rng.range(0, kLaneSramBytes - t.k * cb);
    const double density[] = {0.1, 0.5, 0.9, 1.0};
    t.bytes = lane_pack(lane_random_weights(rng, t.rows, t.k, density[rng.range(0, 3)]), t.rows, t.k);
    if (rng.chance(0.1)) lane_inject_reserved(t.bytes, t.rows, rng.range(0, t.rows - 1), rng.range(0, t.k - 1));
    if (t.rows % 4 != 0 && rng.chance(0.3))  // padding bits are never read as weights
      lane_inject_reserved(t.bytes, t.rows, rng.range(t.rows, 4 * cb - 1), rng.range(0, t.k - 1));
    const int64_t n = std::min<int64_t>(events, rng.range(20, 300));
    t.bursts = lane_random_bursts(rng, t.k, n);
    t.clear_before = tiles.empty() || rng.chance(0.7);
    events -= n;
    tiles.push_back(std::move(t));
  }
  return tiles;
}

// Edge cases: q = -128 with weight -1 (+128 per event) over the largest published fan-in
// (MMfreeLM-2.7B down_proj, K = 6912: accumulators reach +-884,736) on a 36-row tile whose
// 9-byte columns straddle SRAM words; the full 64-row tile; 1-row tiles (eight columns per
// word); rows that leave a partial last byte and a partial lane group at unaligned bases; the
// reserved code 10 in a full byte, in the last byte inside the tile (both errors) and in the
// padding bits past the last row (no error); q = 0 events; a tile ending at the last SRAM byte;
// an all-zero column; q = 127 and -128 with +1 and -1.
inline std::vector<LaneTile> lane_edge_tiles(Rng& rng) {
  std::vector<LaneTile> tiles;
  auto all_cols = [](int64_t k, int8_t q, int64_t burst) {
    std::vector<std::vector<LaneEvent>> b;
    for (int64_t c = 0; c < k; ++c) {
      if (c % burst == 0) b.emplace_back();
      b.back().push_back({c, q});
    }
    return b;
  };
  {
    LaneTile t{"64 rows, all -1, q = -128", 64, 8, 0, {}, {}, true, {}};
    t.bytes = lane_pack(std::vector<int8_t>(64 * 8, -1), 64, 8);
    t.bursts = all_cols(8, -128, 8);
    tiles.push_back(t);
  }
  {
    LaneTile t{"every accumulator, all -1, q = -128", kLaneRows, 16, 3, {}, {}, true, {}};
    t.bytes = lane_pack(std::vector<int8_t>(static_cast<std::size_t>(kLaneRows) * 16, -1), kLaneRows, 16);
    t.bursts = all_cols(16, -128, 16);
    tiles.push_back(t);
  }
  {
    LaneTile t{"every accumulator but one", kLaneRows - 1, 24, 0, {}, {}, true, {}};
    t.bytes = lane_pack(lane_random_weights(rng, kLaneRows - 1, 24, 0.6), kLaneRows - 1, 24);
    t.bursts = lane_random_bursts(rng, 24, 40);
    tiles.push_back(t);
  }
  {
    LaneTile t{"fan-in 6912, q = -128", 36, 6912, 0, {}, {}, true, {}};
    std::vector<int8_t> w(static_cast<std::size_t>(36 * 6912));
    for (int64_t r = 0; r < 36; ++r)
      for (int64_t c = 0; c < 6912; ++c)
        w[static_cast<std::size_t>(r * 6912 + c)] = r % 3 == 0 ? int8_t{-1} : r % 3 == 1 ? int8_t{1} : int8_t{0};
    t.bytes = lane_pack(w, 36, 6912);
    t.bursts = all_cols(6912, -128, 64);
    tiles.push_back(t);
  }
  {
    LaneTile t{"1 row", 1, 100, 5, {}, {}, true, {}};
    t.bytes = lane_pack(lane_random_weights(rng, 1, 100, 0.7), 1, 100);
    t.bursts = lane_random_bursts(rng, 100, 200);
    tiles.push_back(t);
  }
  int64_t i = 0;
  for (int64_t rows : {2, 3, 4, 5, 13, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63}) {
    const int64_t bases[] = {0, 1, 3, 7};
    LaneTile t{"rows " + std::to_string(rows), rows, 40, bases[i++ % 4], {}, {}, true, {}};
    t.bytes = lane_pack(lane_random_weights(rng, rows, 40, 0.6), rows, 40);
    t.bursts = lane_random_bursts(rng, 40, 60);
    tiles.push_back(t);
  }
  {
    LaneTile t{"reserved code in a full byte", 16, 8, 0, {}, {{{3, 5}}, {{2, 9}}}, true, {}};
    t.bytes = lane_pack(lane_random_weights(rng, 16, 8, 0.5), 16, 8);
    lane_inject_reserved(t.bytes, 16, 5, 3);
    tiles.push_back(t);
  }
  {
    LaneTile t{"reserved code in the last byte, inside the tile", 13, 8, 2, {}, {{{6, -7}}}, true, {}};
    t.bytes = lane_pack(lane_random_weights(rng, 13, 8, 0.5), 13, 8);
    lane_inject_reserved(t.bytes, 13, 12, 6);
    tiles.push_back(t);
  }
  {
    LaneTile t{"reserved codes in the padding bits", 13, 8, 2, {}, all_cols(8, 100, 8), true, {}};
    t.bytes = lane_pack(lane_random_weights(rng, 13, 8, 0.5), 13, 8);
    for (int64_t c = 0; c < 8; ++c)
      for (int64_t r = 13; r < 16; ++r) lane_inject_reserved(t.bytes, 13, r, c);
    tiles.push_back(t);
  }
  {
    LaneTile t{"q = 0", 24, 16, 0, {}, all_cols(16, 0, 16), true, {}};
    t.bytes = lane_pack(lane_random_weights(rng, 24, 16, 0.8), 24, 16);
    tiles.push_back(t);
  }
  {
    LaneTile t{"tile ending at the last SRAM byte", 20, 100, kLaneSramBytes - 500, {}, {}, true, {}};
    t.bytes = lane_pack(lane_random_weights(rng, 20, 100, 0.6), 20, 100);
    t.bursts = {{{99, 55}, {0, -3}, {99, -128}, {98, 127}}};
    tiles.push_back(t);
  }
  {
    LaneTile t{"all-zero columns", 40, 4, 9, {}, all_cols(4, -128, 4), true, {}};
    t.bytes = lane_pack(std::vector<int8_t>(40 * 4, 0), 40, 4);
    tiles.push_back(t);
  }
  {
    LaneTile t{"q = 127 and -128 with +1 and -1", 32, 2, 4, {}, {}, true, {}};
    std::vector<int8_t> w(64);
    for (int64_t r = 0; r < 32; ++r) {
      w[static_cast<std::size_t>(r * 2)] = 1;
      w[static_cast<std::size_t>(r * 2 + 1)] = -1;
    }
    t.bytes = lane_pack(w, 32, 2);
    t.bursts = {{{0, 127}, {1, 127}, {0, -128}}, {{1, -128}, {1, -128}}, {{0, 127}}};
    tiles.push_back(t);
  }
  return tiles;
}

template <class Model>
class LaneArrayDriver {
 public:
  LaneArrayDriver(Sim<Model>& sim, Checker& chk, uint64_t seed)
      : sim_(sim), chk_(chk), rng_(seed, 0x1a9e), image_(kLaneSramBytes, 0) {}

  // Loads the tile's memory (unless load_memory is false: already resident at t.base), sets the
  // tile configuration and runs its bursts.
  void run_tile(const LaneTile& t, bool load_memory = true) {
    if (load_memory) load(t);
    configure(t);
    if (t.clear_before) clear();
    for (std::size_t b = 0; b < t.bursts.size(); ++b)
      run_burst(t, t.bursts[b], b < t.recorded.size() ? &t.recorded[b] : nullptr);
  }

  void load(const LaneTile& t) {
    if (t.base < 0 || t.base + static_cast<int64_t>(t.bytes.size()) > kLaneSramBytes)
      throw std::invalid_argument("lane_array harness: tile '" + t.name + "' does not fit the SRAM");
    std::copy(t.bytes.begin(), t.bytes.end(), image_.begin() + t.base);
    Model& m = sim_.m();
    constexpr int64_t kPb = kLanePortBits / 8;
    const int64_t w0 = t.base / kPb, w1 = (t.base + static_cast<int64_t>(t.bytes.size()) - 1) / kPb;
    for (int64_t w = w0; w <= w1; ++w) {
      uint64_t word = 0;
      for (int64_t b = kPb - 1; b >= 0; --b) word = (word << 8) | image_[static_cast<std::size_t>(w * kPb + b)];
      m.sram_we_i = 1;
      set_port(m.sram_waddr_i, w);
      m.sram_wdata_i = word;
      sim_.tick();
    }
    m.sram_we_i = 0;
    sim_.settle();
  }

 private:
  void configure(const LaneTile& t) {
    Model& m = sim_.m();
    set_port(m.rows_i, t.rows);
    set_port(m.tile_base_i, t.base);
    sim_.settle();
  }

  void clear() {
    Model& m = sim_.m();
    m.acc_clear_i = 1;
    sim_.tick();
    m.acc_clear_i = 0;
    sim_.settle();
    std::fill(acc_.begin(), acc_.end(), 0);
    err_ = false;
  }

  struct Expected {
    bool threw;
    int64_t sops;
  };

  void run_burst(const LaneTile& t, const std::vector<LaneEvent>& burst, const LaneRecorded* rec) {
    // Expected values, event by event (arch updates acc in place; it throws after updating the
    // valid rows when it meets code 10).
    std::vector<Expected> want;
    for (const LaneEvent& e : burst) {
      Expected x{false, 0};
      try {
        const arch::EventCost c =
            arch::accumulate_event(arch::WeightEncoding::kPacked2, t.bytes.data(), static_cast<int64_t>(t.bytes.size()),
                                   t.rows, t.k, kLaneIndexBits, kLanePortBits, e.col, e.q, acc_.data());
        x.sops = c.synaptic_ops;
      } catch (const std::invalid_argument&) {
        x.threw = true;
        err_ = true;
      }
      want.push_back(x);
    }
    Model& m = sim_.m();
    std::vector<int64_t> got_sops;
    std::size_t sent = 0;
    int64_t quiet = 0;
    while (got_sops.size() < burst.size()) {
      const bool offer = sent < burst.size() && !rng_.chance(0.1);
      m.ev_valid_i = offer;
      if (sent < burst.size()) {
        set_port(m.ev_col_i, burst[sent].col);
        m.ev_q_i = static_cast<uint8_t>(burst[sent].q);
      }
      sim_.settle();
      if (m.done_valid_o) {
        got_sops.push_back(m.done_sops_o);
        quiet = 0;
      }
      if (offer && m.ev_ready_o) ++sent;
      sim_.tick();
      if (++quiet > 10000) {
        chk_.fail(t.name + ": timeout, " + std::to_string(got_sops.size()) + " of " + std::to_string(burst.size()) +
                  " events finished");
        m.ev_valid_i = 0;
        return;
      }
    }
    m.ev_valid_i = 0;
    sim_.settle();
    // After the burst: every accumulator (rows past the tile's must not change) and the
    // reserved-code flag.
    std::string acc_diff;
    for (int64_t r = 0; r < kLaneRows && acc_diff.empty(); ++r) {
      set_port(m.acc_rd_row_i, r);
      sim_.settle();
      const auto got = static_cast<int32_t>(m.acc_rd_data_o);
      const auto ri = static_cast<std::size_t>(r);
      if (got != acc_[ri])
        acc_diff = "accumulator " + std::to_string(r) + ": expected " + std::to_string(acc_[ri]) + ", got " +
                   std::to_string(got);
      else if (rec != nullptr && ri < rec->acc.size() && got != rec->acc[ri])
        acc_diff = "accumulator " + std::to_string(r) + ": the trace recorded " + std::to_string(rec->acc[ri]) +
                   ", arch::accumulate_event and the RTL give " + std::to_string(got);
    }
    const bool got_err = m.err_invalid_o != 0;
    if (acc_diff.empty() && got_err != err_)
      acc_diff = std::string("reserved-code flag: expected ") + (err_ ? "set" : "clear") + ", got " +
                 (got_err ? "set" : "clear");
    // One vector per event: its synaptic operations (unless arch refused the column); the last
    // event of the burst also carries the accumulator and flag comparison.
    for (std::size_t i = 0; i < burst.size(); ++i) {
      const bool last = i + 1 == burst.size();
      const bool rec_ok = rec == nullptr || i >= rec->sops.size() || rec->sops[i] == got_sops[i];
      const bool sops_ok = (want[i].threw || got_sops[i] == want[i].sops) && rec_ok;
      chk_.check(sops_ok && (!last || acc_diff.empty()), [&] {
        std::string what = sops_ok ? acc_diff
                                   : "expected " + std::to_string(want[i].sops) + " synaptic operations" +
                                         (rec_ok ? "" : " (trace: " + std::to_string(rec->sops[i]) + ")") +
                                         ", got " + std::to_string(got_sops[i]);
        return t.name + " (rows " + std::to_string(t.rows) + ", K " + std::to_string(t.k) + ", base " +
               std::to_string(t.base) + "), event " + std::to_string(i) + " of a burst of " +
               std::to_string(burst.size()) + " (k " + std::to_string(burst[i].col) + ", q " +
               std::to_string(burst[i].q) + "): " + what;
      });
    }
    if (err_) clear();  // start clean after an error (the flag is sticky)
  }

  Sim<Model>& sim_;
  Checker& chk_;
  Rng rng_;
  std::vector<uint8_t> image_;  // the SRAM's bytes as loaded
  std::vector<int32_t> acc_ = std::vector<int32_t>(kLaneRows, 0);  // expected, every physical row
  bool err_ = false;            // expected reserved-code flag
};

template <class Model>
BlockResult run_lane_tiles(const std::string& block, const std::string& source, const std::vector<LaneTile>& tiles,
                           uint64_t seed, const std::string& fst) {
  Sim<Model> sim(fst);
  sim.reset();
  Checker chk(block, source);
  LaneArrayDriver<Model> drv(sim, chk, seed);
  for (const LaneTile& t : tiles) drv.run_tile(t);
  return chk.finish(sim.cycles());
}

// Replays an event trace (traces/README.md): every tile's `in` events of one token and one
// BitLinear form a burst, from cleared accumulators (the trace's accumulators start each token
// at 0); the RTL's synaptic operations and accumulators are compared with
// arch::accumulate_event and with the trace's `sops` and `acc` records. `out` records are not
// the lane array's. Throws std::invalid_argument for a sparse-encoded trace (the RTL implements
// packed2 only) or a tile with more rows than the model's accumulators.
template <class Model>
BlockResult run_lane_trace(const std::string& block, const std::string& path, uint64_t seed, const std::string& fst) {
  const traces::EventTrace tr = traces::read_event_trace(path);
  // A trace recorded on a chip with other lanes or another SRAM port has other cycles and words
  // per event: say so, rather than compare against the wrong lane array.
  if (tr.header.lanes != kLaneLanes || tr.header.sram_port_bits != kLanePortBits)
    throw std::invalid_argument("lane_array: trace " + path + " was recorded on chip '" + tr.header.chip + "' (" +
                                std::to_string(tr.header.lanes) + " lanes, " + std::to_string(tr.header.sram_port_bits) +
                                "-bit SRAM port); this Verilated lane array has " + std::to_string(kLaneLanes) + " lanes and a " +
                                std::to_string(kLanePortBits) + "-bit port (the default chip's): record the trace on a chip "
                                "with those parameters");
  if (tr.header.weight_encoding != arch::WeightEncoding::kPacked2)
    throw std::invalid_argument("lane_array: trace " + path + " holds " +
                                arch::to_string(tr.header.weight_encoding) +
                                " tiles; the RTL lane array reads packed2 tiles only");
  std::map<int, LaneTile> tiles;
  int64_t total = 0;
  for (const traces::TraceTile& tt : tr.header.tiles) {
    LaneTile t;
    t.name = "trace tile " + std::to_string(tt.tile) + " (" + tt.op + ")";
    t.rows = tt.r1 - tt.r0;
    t.k = tt.k;
    t.bytes = tt.memory;
    if (t.rows > kLaneRows)
      throw std::invalid_argument("lane_array: trace " + path + ": tile " + std::to_string(tt.tile) + " has " +
                                  std::to_string(t.rows) + " rows, the model has " + std::to_string(kLaneRows) +
                                  " accumulators");
    t.base = total;
    total += static_cast<int64_t>(t.bytes.size());
    tiles[tt.tile] = std::move(t);
  }
  const bool resident = total <= kLaneSramBytes;  // else each burst reloads its tile at 0
  if (!resident)
    for (auto& [id, t] : tiles) t.base = 0;

  struct Group {
    int tile;
    std::vector<LaneEvent> events;
    LaneRecorded rec;
  };
  std::vector<Group> groups;
  std::map<std::pair<int64_t, int>, std::size_t> open;  // (token, tile) -> group
  for (const traces::EventRecord& r : tr.records) {
    if (r.dir == traces::EventRecord::Dir::kOut) continue;
    const auto key = std::make_pair(r.token, r.tile);
    auto it = open.find(key);
    if (it == open.end()) {
      it = open.emplace(key, groups.size()).first;
      groups.push_back({r.tile, {}, {}});
    }
    Group& g = groups[it->second];
    if (r.dir == traces::EventRecord::Dir::kIn) {
      g.events.push_back({r.channel, r.q});
      g.rec.sops.push_back(r.synaptic_ops);
    } else {
      g.rec.acc = r.acc;
      open.erase(it);  // the tile's events of this token and BitLinear are complete
    }
  }

  Sim<Model> sim(fst);
  sim.reset();
  Checker chk(block, "trace " + path);
  LaneArrayDriver<Model> drv(sim, chk, seed);
  if (resident)
    for (const auto& [id, t] : tiles) drv.load(t);
  for (Group& g : groups) {
    if (g.events.empty()) continue;  // an acc record of a tile no event reached: all zero
    LaneTile t = tiles.at(g.tile);
    t.bursts = {std::move(g.events)};
    t.recorded = {std::move(g.rec)};
    t.clear_before = true;
    drv.run_tile(t, !resident);
  }
  return chk.finish(sim.cycles());
}

template <class Model>
std::vector<BlockResult> run_lane_array(const VerifyOptions& o, const std::string& block = "lane_array") {
  Rng rng(o.seed, 0x1a9);
  std::vector<BlockResult> out;
  out.push_back(run_lane_tiles<Model>(block, "random seed " + std::to_string(o.seed),
                                      lane_random_tiles(rng, o.vectors), o.seed,
                                      fst_path_for(o.fst_path, block, "random")));
  Rng erng(o.seed, 0x1a9e);
  out.push_back(run_lane_tiles<Model>(block, "edge cases", lane_edge_tiles(erng), o.seed,
                                      fst_path_for(o.fst_path, block, "edge")));
  if (!o.trace_path.empty())
    out.push_back(run_lane_trace<Model>(block, o.trace_path, o.seed, fst_path_for(o.fst_path, block, "trace")));
  return out;
}

}  // namespace neurark::rtl::datapath
