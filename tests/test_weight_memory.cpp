// SPDX-License-Identifier: Apache-2.0
// Weight memories (arch/weight_memory.hpp): sizes by hand, and accumulating every column of a
// tile equals the dense ternary matrix-vector product, in both encodings.
#include <catch2/catch.hpp>

#include <random>
#include <stdexcept>

#include "neurark/arch/numerics.hpp"
#include "neurark/arch/weight_memory.hpp"

using namespace neurark;

TEST_CASE("tile sizes by hand", "[weight_memory]") {
  CHECK(arch::packed2_tile_bytes(8, 12) == 12 * 2);
  CHECK(arch::packed2_tile_bytes(7, 12) == 12 * 2);  // ceil(7 / 4) = 2 bytes per column
  CHECK(arch::packed2_tile_bytes(9, 1) == 3);
  // 4 (K + 1) pointer bytes + ceil(nnz * (bits + 1) / 8).
  CHECK(arch::sparse_tile_bytes(10, 5, 15) == 44 + 10);
  CHECK(arch::sparse_tile_bytes(10, 3, 4) == 44 + 2);  // 15 bits -> 2 bytes
  // One column, rows 0..3 = +1, 0, -1, +1: codes 01 00 11 01 from the low bits up.
  const std::vector<int8_t> w = {1, 0, -1, 1};
  std::vector<uint8_t> mem;
  arch::write_packed2_tile(w.data(), 1, 0, 4, mem);
  REQUIRE(mem.size() == 1);
  CHECK(mem[0] == 0b01110001);
}

TEST_CASE("accumulating events equals ternary_matvec, both encodings", "[weight_memory]") {
  std::mt19937_64 rng(42);
  // Row counts below, at and above the 32-row steps of the vectorized packed2 column (and its tail).
  for (const int64_t rows : {1, 3, 4, 7, 32, 33, 64, 100, 517}) {
    for (const int64_t k : {1, 5, 16}) {
      std::vector<int8_t> w(static_cast<std::size_t>((rows + 2) * k));  // tile = rows [1, rows + 1)
      for (int8_t& x : w) x = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
      std::vector<int8_t> q(static_cast<std::size_t>(k));
      for (int8_t& x : q) x = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);  // includes -128
      q[0] = -128;
      std::vector<int32_t> expect(static_cast<std::size_t>(rows));
      arch::ternary_matvec(q.data(), w.data() + k, k, rows, expect.data());
      int64_t expect_sops = 0;
      for (int64_t c = 0; c < k; ++c)
        if (q[static_cast<std::size_t>(c)] != 0)
          for (int64_t r = 0; r < rows; ++r) expect_sops += w[static_cast<std::size_t>((r + 1) * k + c)] != 0;
      for (const auto enc : {arch::WeightEncoding::kPacked2, arch::WeightEncoding::kSparse}) {
        std::vector<uint8_t> mem;
        if (enc == arch::WeightEncoding::kPacked2) arch::write_packed2_tile(w.data(), k, 1, rows + 1, mem);
        else arch::write_sparse_tile(w.data(), k, 1, rows + 1, 10, mem);
        std::vector<int32_t> acc(static_cast<std::size_t>(rows), 0);
        int64_t sops = 0;
        for (int64_t c = 0; c < k; ++c) {
          if (q[static_cast<std::size_t>(c)] == 0) continue;
          sops += arch::accumulate_event(enc, mem.data(), static_cast<int64_t>(mem.size()), rows, k, 10, 32, c,
                                         q[static_cast<std::size_t>(c)], acc.data())
                      .synaptic_ops;
        }
        INFO("rows " << rows << " k " << k << " " << arch::to_string(enc));
        CHECK(acc == expect);
        CHECK(sops == expect_sops);
      }
    }
  }
}

TEST_CASE("a phase's packed2 events applied together leave what event-by-event accumulation does", "[weight_memory]") {
  std::mt19937_64 rng(7);
  for (const int64_t rows : {1, 5, 31, 32, 70, 100, 160, 256, 517}) {  // AVX2: 0 to 16 blocks of 32, groups of 4 and 1 to 3
    const int64_t k = 9;
    std::vector<int8_t> w(static_cast<std::size_t>(rows * k));
    for (int8_t& x : w) x = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
    for (int64_t r = 0; r < rows; ++r) w[static_cast<std::size_t>(r * k + 3)] = -1;  // column 3: all -1
    std::vector<uint8_t> mem;
    arch::write_packed2_tile(w.data(), k, 0, rows, mem);
    // 600 events (more than the 255 one int16 partial sum holds): random columns and codes, and
    // runs of the extreme -128 on the all -1 column (+128 per event per row).
    std::vector<int64_t> cols;
    std::vector<int8_t> qs;
    for (int e = 0; e < 600; ++e) {
      const bool extreme = e % 3 != 0;
      cols.push_back(extreme ? 3 : static_cast<int64_t>(rng() % k));
      qs.push_back(extreme ? int8_t{-128} : static_cast<int8_t>(static_cast<int>(rng() % 256) - 128));
    }
    std::vector<int32_t> one_by_one(static_cast<std::size_t>(rows), 5), together(static_cast<std::size_t>(rows), 5);
    int64_t sops_one = 0, sops_cost = 0;
    for (std::size_t e = 0; e < cols.size(); ++e) {
      sops_one += arch::accumulate_event(arch::WeightEncoding::kPacked2, mem.data(), static_cast<int64_t>(mem.size()), rows, k, 0,
                                         32, cols[e], qs[e], one_by_one.data()).synaptic_ops;
      sops_cost += arch::packed2_event_cost(mem.data(), static_cast<int64_t>(mem.size()), rows, k, 32, cols[e]).synaptic_ops;
    }
    arch::accumulate_packed2_events(mem.data(), rows, cols.data(), qs.data(), static_cast<int64_t>(cols.size()), together.data());
    INFO("rows " << rows);
    CHECK(together == one_by_one);
    CHECK(sops_cost == sops_one);
    // Independently: the column-3 run alone is 400 events of -128 on -1 weights.
    int64_t expect_row0 = 5;
    for (std::size_t e = 0; e < cols.size(); ++e) expect_row0 += static_cast<int64_t>(qs[e]) * w[static_cast<std::size_t>(cols[e])];
    CHECK(together[0] == expect_row0);
  }
}

TEST_CASE("malformed weight memories are refused", "[weight_memory]") {
  std::vector<uint8_t> mem = {0b00100000};  // row 2 holds the invalid code 10
  int32_t acc[4] = {0, 0, 0, 0};
  CHECK_THROWS_AS(arch::accumulate_event(arch::WeightEncoding::kPacked2, mem.data(), 1, 4, 1, 0, 32, 0, 1, acc),
                  std::invalid_argument);
  CHECK_THROWS_AS(arch::accumulate_event(arch::WeightEncoding::kPacked2, mem.data(), 1, 4, 2, 0, 32, 0, 1, acc),
                  std::invalid_argument);  // wrong size for 2 columns
  // The invalid code at every row of a 70-row column: in the 32-row steps and in the tail.
  for (int64_t bad_row = 0; bad_row < 70; ++bad_row) {
    std::vector<uint8_t> col(18, 0b01010101);  // 70 rows of +1 (the last byte's two unused fields too)
    col[static_cast<std::size_t>(bad_row / 4)] =
        static_cast<uint8_t>((col[static_cast<std::size_t>(bad_row / 4)] & ~(3u << (2 * (bad_row % 4)))) | (2u << (2 * (bad_row % 4))));
    std::vector<int32_t> a70(70, 0);
    INFO("row " << bad_row);
    CHECK_THROWS_AS(arch::accumulate_event(arch::WeightEncoding::kPacked2, col.data(), 18, 70, 1, 0, 32, 0, 1, a70.data()),
                    std::invalid_argument);
    // The valid rows were updated before the error (as the RTL lane array does); the bad one not.
    std::vector<int32_t> want(70, 1);
    want[static_cast<std::size_t>(bad_row)] = 0;
    CHECK(a70 == want);
    CHECK_THROWS_AS(arch::packed2_event_cost(col.data(), 18, 70, 1, 32, 0), std::invalid_argument);
  }
  {  // Fields past the tile's last row are not weights: neither counted nor checked.
    std::vector<uint8_t> col(18, 0b01010101);
    col[17] = 0b10100101;  // rows 68, 69: +1; past the end: 10 10
    std::vector<int32_t> a70(70, 0);
    CHECK(arch::accumulate_event(arch::WeightEncoding::kPacked2, col.data(), 18, 70, 1, 0, 32, 0, -3, a70.data()).synaptic_ops == 70);
    CHECK(a70 == std::vector<int32_t>(70, -3));
  }
  CHECK_THROWS_AS(arch::accumulate_event(arch::WeightEncoding::kPacked2, mem.data(), 1, 4, 1, 0, 32, 1, 1, acc),
                  std::invalid_argument);  // column outside the fan-in
  // Sparse: a pointer table claiming more entries than the payload holds.
  std::vector<uint8_t> sp = {0, 0, 0, 0, 9, 0, 0, 0, 0xff};
  CHECK_THROWS_AS(arch::accumulate_event(arch::WeightEncoding::kSparse, sp.data(), 9, 4, 1, 4, 32, 0, 1, acc),
                  std::invalid_argument);
  // A tile too tall for its index bits.
  const std::vector<int8_t> w(20, 1);
  CHECK_THROWS_AS(arch::write_sparse_tile(w.data(), 1, 0, 20, 4, mem), std::invalid_argument);
  const std::vector<int8_t> bad = {2};
  CHECK_THROWS_AS(arch::write_packed2_tile(bad.data(), 1, 0, 1, mem), std::invalid_argument);
}

TEST_CASE("event_accumulate_cycles: the RTL lane array's cycles, by hand", "[weight_memory]") {
  using arch::WeightEncoding;
  arch::EventCost c;
  // Default chip: 16 lanes, 64-bit port. A 256-row tile: 64 bytes per column (a multiple of 4),
  // every column on a lane step: 2 + 16 cycles.
  c.sram_words = 8;
  CHECK(arch::event_accumulate_cycles(WeightEncoding::kPacked2, 256, 0, c, 16, 64) == 18);
  CHECK(arch::event_accumulate_cycles(WeightEncoding::kPacked2, 256, 7, c, 16, 64) == 18);
  // 36 rows: 9 bytes per column; column 0 starts on a lane step (2 + 3), column 1 at byte 9 does
  // not: 1 + 3 steps + 2 words (bytes 9..17 span words 1 and 2).
  c.sram_words = 2;
  CHECK(arch::event_accumulate_cycles(WeightEncoding::kPacked2, 36, 0, c, 16, 64) == 5);
  CHECK(arch::event_accumulate_cycles(WeightEncoding::kPacked2, 36, 1, c, 16, 64) == 6);
  // Outside the RTL's exact range (port narrower than 2 lanes): 2 + max(steps, words).
  c.sram_words = 5;
  CHECK(arch::event_accumulate_cycles(WeightEncoding::kPacked2, 36, 1, c, 16, 16) == 2 + 5);
  // Sparse: only non-zero weights take lane slots.
  c.synaptic_ops = 40;
  c.sram_words = 2;
  CHECK(arch::event_accumulate_cycles(WeightEncoding::kSparse, 1024, 3, c, 16, 64) == 2 + 3);
  CHECK_THROWS_AS(arch::event_accumulate_cycles(WeightEncoding::kPacked2, 0, 0, c, 16, 64), std::invalid_argument);
}

TEST_CASE("event_sram_port_bound: the port, not the lanes, set the event's cycles, by hand", "[weight_memory]") {
  using arch::WeightEncoding;
  arch::EventCost c;
  // 16 lanes behind a 64-bit port (32 weights a word, 2 x the lanes): never the port.
  c.sram_words = 8;
  CHECK_FALSE(arch::event_sram_port_bound(WeightEncoding::kPacked2, 256, c, 16, 64));
  // 64 lanes behind a 64-bit port: 256 rows = 4 lane steps but 16 words (32 weights each... 8 with
  // 2 bits a weight at 64 bits: 256 x 2 / 64 = 8 words) > 4 steps: the port.
  c.sram_words = 8;
  CHECK(arch::event_sram_port_bound(WeightEncoding::kPacked2, 256, c, 64, 64));
  // 36 rows, 16 lanes, a 16-bit port: 3 steps, 5 words (the 2 + max(3, 5) case above): the port.
  c.sram_words = 5;
  CHECK(arch::event_sram_port_bound(WeightEncoding::kPacked2, 36, c, 16, 16));
  c.sram_words = 3;  // as many words as steps: the lanes
  CHECK_FALSE(arch::event_sram_port_bound(WeightEncoding::kPacked2, 36, c, 16, 16));
  // Sparse: 40 synaptic ops on 16 lanes = 3 steps; 2 words: the lanes; 4 words: the port.
  c.synaptic_ops = 40;
  c.sram_words = 2;
  CHECK_FALSE(arch::event_sram_port_bound(WeightEncoding::kSparse, 1024, c, 16, 64));
  c.sram_words = 4;
  CHECK(arch::event_sram_port_bound(WeightEncoding::kSparse, 1024, c, 16, 64));
  CHECK_THROWS_AS(arch::event_sram_port_bound(WeightEncoding::kPacked2, 0, c, 16, 64), std::invalid_argument);
}
