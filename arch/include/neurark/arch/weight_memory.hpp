// SPDX-License-Identifier: Apache-2.0
// neurark/arch/weight_memory.hpp: how a tile of ternary weights is laid out in a neurocore's
// synapse SRAM, and the one definition of what an input event does to the accumulators.
//
// A tile holds output rows [r0, r1) of a BitLinear W [N x K] (rows = r1 - r0) for all K inputs.
// Memories are column-major because work is event-driven: an input event (k, q) needs column k
// of the tile and nothing else (docs/image-format.md, "Weight memories").
//   packed2: column k occupies ceil(rows / 4) bytes at offset k * ceil(rows / 4); the weight of
//            tile row r is bits [2 (r % 4), 2 (r % 4) + 2) of byte r / 4, a TernaryCode
//            (00 zero, 01 +1, 11 -1). Bytes: K * ceil(rows / 4).
//   sparse:  a column pointer table of K + 1 little-endian u32 entry indices (ptr[0] = 0,
//            column k owns entries [ptr[k], ptr[k+1])), then the entries bit-packed LSB first,
//            each index_bits + 1 bits: the tile row (index_bits bits) then the sign (1 = -1).
//            Zero weights are not stored. Bytes: 4 (K + 1) + ceil(nnz (index_bits + 1) / 8).
// Accumulation follows docs/numerics.md §4: acc[r] = ternary_mac(acc[r], q, w[r][k]); a zero
// weight is skipped (no synaptic operation).
#pragma once

#include <cstdint>
#include <vector>

#include "neurark/arch/chip.hpp"

namespace neurark::arch {

// Bytes of a packed2 tile of `rows` x `k`.
int64_t packed2_tile_bytes(int64_t rows, int64_t k);
// Bytes of a sparse tile of fan-in `k` holding `nnz` non-zero weights.
int64_t sparse_tile_bytes(int64_t k, int64_t nnz, int64_t index_bits);

// Writes rows [r0, r1) of the row-major ternary matrix w_t [* x k] into `out` (resized to the
// tile's bytes). Throws std::invalid_argument for a value outside {-1, 0, 1}, or (sparse) when
// rows > 2^index_bits or index_bits is outside [1, 32].
void write_packed2_tile(const int8_t* w_t, int64_t k, int64_t r0, int64_t r1, std::vector<uint8_t>& out);
void write_sparse_tile(const int8_t* w_t, int64_t k, int64_t r0, int64_t r1, int64_t index_bits,
                       std::vector<uint8_t>& out);

// What one input event cost the neurocore that received it.
struct EventCost {
  int64_t synaptic_ops = 0;  // non-zero weights met (add or subtract)
  int64_t sram_words = 0;    // synapse SRAM words of `port_bits` read (packed2: the words the
                             // column's bytes touch, the tile starting on a word boundary)
};

// SRAM words of `port_bits` that column `col` of a packed2 tile of `rows` rows touches (the tile
// starting on a word boundary): the EventCost::sram_words of accumulate_event. Throws
// std::invalid_argument if rows < 1, col < 0 or port_bits < 1.
int64_t packed2_column_words(int64_t rows, int64_t col, int64_t port_bits);

// Cycles the neurocore's lane array spends on input event (column `col`) to a tile of `rows`
// rows, events back to back (from the event entering the lanes to the next one doing so): the
// RTL neurocore's (rtl/neurocore/nrk_neurocore.sv over rtl/datapath/sv/nrk_lane_array.sv;
// its harness asserts this on every event). For packed2, with steps = ceil(rows / lanes) (the
// lanes are dense: a zero weight still takes its lane slot), cb = ceil(rows / 4) bytes per
// column, b = col x cb (tiles start on an SRAM word boundary) and words = cost.sram_words:
//   2 + steps          if b is a multiple of lanes / 4 (the column starts on a lane step),
//   1 + steps + words  otherwise (the stream buffer waits a cycle per word after the first);
// exact for lanes and port_bits powers of two with lanes >= 4 and port_bits >= 2 lanes (every
// preset); otherwise, and for sparse tiles (steps = ceil(synaptic ops / lanes): only non-zero
// weights are stored), 2 + max(steps, words). Throws std::invalid_argument if rows or lanes < 1.
int64_t event_accumulate_cycles(WeightEncoding enc, int64_t rows, int64_t col, const EventCost& cost, int64_t lanes,
                                int64_t port_bits);
// Whether the synapse SRAM port, not the lanes, set that event's event_accumulate_cycles: its
// SRAM words outnumber its lane steps (the 2 + max(steps, words) cases with words > steps; never
// on the aligned and misaligned packed2 paths, whose port delivers at least the lanes' weights
// per cycle). For attributing time to units only. Throws as event_accumulate_cycles.
bool event_sram_port_bound(WeightEncoding enc, int64_t rows, const EventCost& cost, int64_t lanes, int64_t port_bits);

// Applies input event (column `col`, int8 code `q`) to accumulators acc[0..rows) of a tile
// whose memory is `mem` (`bytes` long) with fan-in `k`. Throws std::invalid_argument if the
// memory is malformed (a code 10, a pointer or row out of range): images are checked data. A
// packed2 column holding a code 10 updates its valid rows first, then throws (as the RTL lane
// array, rtl/datapath/sv/nrk_lane_array.sv, applies the valid rows and flags the error).
EventCost accumulate_event(WeightEncoding enc, const uint8_t* mem, int64_t bytes, int64_t rows, int64_t k,
                           int64_t index_bits, int64_t port_bits, int64_t col, int8_t q, int32_t* acc);

// accumulate_event on a packed2 tile in two steps, so that a tile's events of a phase can be
// applied together: the event's cost and the memory's check (accumulate_event's EventCost and
// its errors), nothing applied ...
EventCost packed2_event_cost(const uint8_t* mem, int64_t bytes, int64_t rows, int64_t k, int64_t port_bits, int64_t col);
// ... and n events (columns cols[e], int8 codes q[e]), each checked by packed2_event_cost, applied
// to acc[0..rows): what n accumulate_event calls leave (integer sums, exact in any order; with
// AVX2, two events at a time, up to 254 events are summed in int16 before they are added to acc).
void accumulate_packed2_events(const uint8_t* mem, int64_t rows, const int64_t* cols, const int8_t* q, int64_t n,
                               int32_t* acc);

}  // namespace neurark::arch
