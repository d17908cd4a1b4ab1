// SPDX-License-Identifier: Apache-2.0
// rtl/datapath/harness_lane_array.hpp: the vectors of the nrk_lane_array harness (with its
// nrk_synapse_sram) against arch::accumulate_event (packed2); the harness itself is
// harness_lane_array.cpp. The vectors follow the model's parameters (LaneParams: a chip's, or the
// compiled-in harness model's); rtl/iverilog/gen_vectors.cpp writes the same vectors for Icarus.
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

// Parameters of the compiled-in harness model: the -G values rtl/datapath/CMakeLists.txt
// verilates it with (the default chip's neurocore).
constexpr int kLaneLanes = NRK_LANE_LANES;
constexpr int kLaneRows = NRK_LANE_ROWS;
constexpr int kLanePortBits = NRK_LANE_PORT_BITS;
constexpr int kLaneSramBytes = NRK_LANE_SRAM_BYTES;
constexpr int kLaneIndexBits = 16;  // sparse index bits (unused by packed2; arch needs a value)

// The parameters of a lane array model (nrk_lane_array's NumLanes, NumRows, SramPortBits,
// SramBytes).
struct LaneParams {
  int64_t lanes = kLaneLanes;
  int64_t rows = kLaneRows;  // accumulators
  int64_t port_bits = kLanePortBits;
  int64_t sram_bytes = kLaneSramBytes;
};

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

inline std::vector<LaneTile> lane_random_tiles(Rng& rng, int64_t events, const LaneParams& lp = LaneParams{}) {
  std::vector<LaneTile> tiles;
  while (events > 0) {
    LaneTile t;
    t.name = "random tile " + std::to_string(tiles.size());
    const int64_t rk = rng.range(0, 9);  // mostly small tiles; some up to every accumulator
    const int64_t r64 = std::min<int64_t>(64, lp.rows), r256 = std::min<int64_t>(256, lp.rows);
    t.rows = rk < 6 ? rng.range(1, r64) : rk < 9 ? rng.range(std::min<int64_t>(65, r256), r256)
                                                 : rng.range(std::min<int64_t>(257, lp.rows), lp.rows);
    const int64_t cb = lane_col_bytes(t.rows);
    t.k = rng.range(1, std::min<int64_t>(600, lp.sram_bytes / cb));
    t.base = rng.range(0, lp.sram_bytes - t.k * cb);
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
// an all-zero column; q = 127 and -128 with +1 and -1. A model with fewer accumulators or a
// smaller SRAM than a case asks for gets the case cut to it (rows, columns, base); the default
// chip's model takes every case as written.
inline std::vector<LaneTile> lane_edge_tiles(Rng& rng, const LaneParams& lp = LaneParams{}) {
  std::vector<LaneTile> tiles;
  auto all_cols = [](int64_t k, int8_t q, int64_t burst) {
    std::vector<std::vector<LaneEvent>> b;
    for (int64_t c = 0; c < k; ++c) {
      if (c % burst == 0) b.emplace_back();
      b.back().push_back({c, q});
    }
    return b;
  };
  struct Dims {
    int64_t rows, k, base;
  };
  // rows x k at base, cut to the model: at most its rows, the columns that fit its SRAM, the base
  // moved down so that the tile ends inside the SRAM.
  const auto dims = [&](int64_t rows, int64_t k, int64_t base) {
    rows = std::min(rows, lp.rows);
    const int64_t cb = lane_col_bytes(rows);
    k = std::min(k, lp.sram_bytes / cb);
    base = std::max<int64_t>(0, std::min(base, lp.sram_bytes - k * cb));
    return Dims{rows, k, base};
  };
  const auto tile = [](std::string name, const Dims& d) {
    LaneTile t;
    t.name = std::move(name);
    t.rows = d.rows;
    t.k = d.k;
    t.base = d.base;
    return t;
  };
  {
    const Dims d = dims(64, 8, 0);
    LaneTile t = tile(std::to_string(d.rows) + " rows, all -1, q = -128", d);
    t.bytes = lane_pack(std::vector<int8_t>(static_cast<std::size_t>(d.rows * d.k), -1), d.rows, d.k);
    t.bursts = all_cols(d.k, -128, 8);
    tiles.push_back(t);
  }
  {
    const Dims d = dims(lp.rows, 16, 3);
    LaneTile t = tile("every accumulator, all -1, q = -128", d);
    t.bytes = lane_pack(std::vector<int8_t>(static_cast<std::size_t>(d.rows * d.k), -1), d.rows, d.k);
    t.bursts = all_cols(d.k, -128, 16);
    tiles.push_back(t);
  }
  {
    const Dims d = dims(lp.rows - 1, 24, 0);
    LaneTile t = tile("every accumulator but one", d);
    t.bytes = lane_pack(lane_random_weights(rng, d.rows, d.k, 0.6), d.rows, d.k);
    t.bursts = lane_random_bursts(rng, d.k, 40);
    tiles.push_back(t);
  }
  {
    const Dims d = dims(36, 6912, 0);
    LaneTile t = tile("fan-in " + std::to_string(d.k) + ", q = -128", d);
    std::vector<int8_t> w(static_cast<std::size_t>(d.rows * d.k));
    for (int64_t r = 0; r < d.rows; ++r)
      for (int64_t c = 0; c < d.k; ++c)
        w[static_cast<std::size_t>(r * d.k + c)] = r % 3 == 0 ? int8_t{-1} : r % 3 == 1 ? int8_t{1} : int8_t{0};
    t.bytes = lane_pack(w, d.rows, d.k);
    t.bursts = all_cols(d.k, -128, 64);
    tiles.push_back(t);
  }
  {
    const Dims d = dims(1, 100, 5);
    LaneTile t = tile("1 row", d);
    t.bytes = lane_pack(lane_random_weights(rng, 1, d.k, 0.7), 1, d.k);
    t.bursts = lane_random_bursts(rng, d.k, 200);
    tiles.push_back(t);
  }
  int64_t i = 0;
  for (int64_t rows : {2, 3, 4, 5, 13, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63}) {
    const int64_t bases[] = {0, 1, 3, 7};
    const int64_t base = bases[i++ % 4];
    if (rows > lp.rows) continue;
    const Dims d = dims(rows, 40, base);
    LaneTile t = tile("rows " + std::to_string(rows), d);
    t.bytes = lane_pack(lane_random_weights(rng, rows, d.k, 0.6), rows, d.k);
    t.bursts = lane_random_bursts(rng, d.k, 60);
    tiles.push_back(t);
  }
  const int64_t ragged = lp.rows >= 16 ? 13 : lp.rows - 1;  // rows with a partial last byte
  {
    const Dims d = dims(16, 8, 0);
    LaneTile t = tile("reserved code in a full byte", d);
    t.bursts = {{{3, 5}}, {{2, 9}}};
    t.bytes = lane_pack(lane_random_weights(rng, d.rows, 8, 0.5), d.rows, 8);
    lane_inject_reserved(t.bytes, d.rows, std::min<int64_t>(5, d.rows - 1), 3);
    tiles.push_back(t);
  }
  {
    const Dims d = dims(ragged, 8, 2);
    LaneTile t = tile("reserved code in the last byte, inside the tile", d);
    t.bursts = {{{6, -7}}};
    t.bytes = lane_pack(lane_random_weights(rng, d.rows, 8, 0.5), d.rows, 8);
    lane_inject_reserved(t.bytes, d.rows, d.rows - 1, 6);
    tiles.push_back(t);
  }
  {
    const Dims d = dims(ragged, 8, 2);
    LaneTile t = tile("reserved codes in the padding bits", d);
    t.bursts = all_cols(8, 100, 8);
    t.bytes = lane_pack(lane_random_weights(rng, d.rows, 8, 0.5), d.rows, 8);
    for (int64_t c = 0; c < 8; ++c)
      for (int64_t r = d.rows; r < 4 * lane_col_bytes(d.rows); ++r) lane_inject_reserved(t.bytes, d.rows, r, c);
    tiles.push_back(t);
  }
  {
    const Dims d = dims(24, 16, 0);
    LaneTile t = tile("q = 0", d);
    t.bursts = all_cols(d.k, 0, 16);
    t.bytes = lane_pack(lane_random_weights(rng, d.rows, d.k, 0.8), d.rows, d.k);
    tiles.push_back(t);
  }
  {
    const Dims d = dims(20, 100, lp.sram_bytes);
    LaneTile t = tile("tile ending at the last SRAM byte", d);
    t.bytes = lane_pack(lane_random_weights(rng, d.rows, d.k, 0.6), d.rows, d.k);
    t.bursts = {{{d.k - 1, 55}, {0, -3}, {d.k - 1, -128}, {d.k - 2, 127}}};
    tiles.push_back(t);
  }
  {
    const Dims d = dims(40, 4, 9);
    LaneTile t = tile("all-zero columns", d);
    t.bursts = all_cols(d.k, -128, 4);
    t.bytes = lane_pack(std::vector<int8_t>(static_cast<std::size_t>(d.rows * d.k), 0), d.rows, d.k);
    tiles.push_back(t);
  }
  {
    const Dims d = dims(32, 2, 4);
    LaneTile t = tile("q = 127 and -128 with +1 and -1", d);
    std::vector<int8_t> w(static_cast<std::size_t>(d.rows * 2));
    for (int64_t r = 0; r < d.rows; ++r) {
      w[static_cast<std::size_t>(r * 2)] = 1;
      w[static_cast<std::size_t>(r * 2 + 1)] = -1;
    }
    t.bytes = lane_pack(w, d.rows, 2);
    t.bursts = {{{0, 127}, {1, 127}, {0, -128}}, {{1, -128}, {1, -128}}, {{0, 127}}};
    tiles.push_back(t);
  }
  return tiles;
}

// The lane_array harness at `lp` (random tiles of VerifyOptions::vectors events, the edge cases,
// the trace of VerifyOptions::trace_path): harness_lane_array.cpp.
std::vector<BlockResult> run_lane_array(const VerifyOptions& o, const LaneParams& lp, const std::string& block = "lane_array");

}  // namespace neurark::rtl::datapath
