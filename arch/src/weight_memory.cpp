// SPDX-License-Identifier: Apache-2.0
// Ternary weight memories of a tile: see neurark/arch/weight_memory.hpp.
#include "neurark/arch/weight_memory.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "neurark/arch/numerics.hpp"

namespace neurark::arch {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

void check_sparse(int64_t rows, int64_t index_bits) {
  if (index_bits < 1 || index_bits > 32)
    throw std::invalid_argument("sparse index_bits " + std::to_string(index_bits) + " outside [1, 32]");
  if (rows > (int64_t{1} << index_bits))
    throw std::invalid_argument("tile of " + std::to_string(rows) + " rows cannot be indexed with " +
                                std::to_string(index_bits) + " bits");
}

// Decoding of one packed2 byte: four weights (rows 4b .. 4b + 3), their non-zero count, and
// whether any 2-bit field holds the invalid code 10.
struct Packed2Table {
  int8_t weight[256][4];
  uint8_t nonzero[256];
  uint8_t invalid[256];
};

const Packed2Table& packed2_table() {
  static const Packed2Table table = [] {
    Packed2Table t{};
    for (int b = 0; b < 256; ++b) {
      t.nonzero[b] = 0;
      t.invalid[b] = 0;
      for (int j = 0; j < 4; ++j) {
        const auto code = static_cast<TernaryCode>((b >> (2 * j)) & 3);
        if (code == TernaryCode::kInvalid) {
          t.invalid[b] = 1;
          t.weight[b][j] = 0;
        } else {
          t.weight[b][j] = ternary_decode(code);
          t.nonzero[b] = static_cast<uint8_t>(t.nonzero[b] + (t.weight[b][j] != 0));
        }
      }
    }
    return t;
  }();
  return table;
}

}  // namespace

int64_t packed2_tile_bytes(int64_t rows, int64_t k) { return k * ceil_div(rows, 4); }

int64_t sparse_tile_bytes(int64_t k, int64_t nnz, int64_t index_bits) {
  return 4 * (k + 1) + ceil_div(nnz * (index_bits + 1), 8);
}

void write_packed2_tile(const int8_t* w_t, int64_t k, int64_t r0, int64_t r1, std::vector<uint8_t>& out) {
  const int64_t rows = r1 - r0, col_bytes = ceil_div(rows, 4);
  out.assign(static_cast<std::size_t>(packed2_tile_bytes(rows, k)), 0);
  for (int64_t r = 0; r < rows; ++r) {
    const int8_t* row = w_t + (r0 + r) * k;
    const int shift = static_cast<int>(2 * (r % 4));
    for (int64_t c = 0; c < k; ++c)
      out[static_cast<std::size_t>(c * col_bytes + r / 4)] |=
          static_cast<uint8_t>(static_cast<unsigned>(ternary_encode(row[c])) << shift);
  }
}

void write_sparse_tile(const int8_t* w_t, int64_t k, int64_t r0, int64_t r1, int64_t index_bits,
                       std::vector<uint8_t>& out) {
  const int64_t rows = r1 - r0;
  check_sparse(rows, index_bits);
  std::vector<uint32_t> ptr(static_cast<std::size_t>(k + 1), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < k; ++c) {
      const int8_t w = w_t[(r0 + r) * k + c];
      ternary_encode(w);  // validates
      ptr[static_cast<std::size_t>(c + 1)] += w != 0;
    }
  for (int64_t c = 0; c < k; ++c) ptr[static_cast<std::size_t>(c + 1)] += ptr[static_cast<std::size_t>(c)];
  const int64_t nnz = ptr[static_cast<std::size_t>(k)];
  out.assign(static_cast<std::size_t>(sparse_tile_bytes(k, nnz, index_bits)), 0);
  for (int64_t c = 0; c <= k; ++c)
    for (int b = 0; b < 4; ++b)
      out[static_cast<std::size_t>(4 * c + b)] = static_cast<uint8_t>(ptr[static_cast<std::size_t>(c)] >> (8 * b));
  uint8_t* bits = out.data() + 4 * (k + 1);
  std::vector<uint32_t> next(ptr.begin(), ptr.end() - 1);
  const int64_t width = index_bits + 1;
  for (int64_t c = 0; c < k; ++c)
    for (int64_t r = 0; r < rows; ++r) {
      const int8_t w = w_t[(r0 + r) * k + c];
      if (w == 0) continue;
      const uint64_t entry = static_cast<uint64_t>(r) | (static_cast<uint64_t>(w < 0) << index_bits);
      const int64_t bit0 = static_cast<int64_t>(next[static_cast<std::size_t>(c)]++) * width;
      for (int64_t b = 0; b < width; ++b)
        if ((entry >> b) & 1u) bits[(bit0 + b) / 8] |= static_cast<uint8_t>(1u << ((bit0 + b) % 8));
    }
}

EventCost accumulate_event(WeightEncoding enc, const uint8_t* mem, int64_t bytes, int64_t rows, int64_t k,
                           int64_t index_bits, int64_t port_bits, int64_t col, int8_t q, int32_t* acc) {
  if (col < 0 || col >= k) throw std::invalid_argument("event column " + std::to_string(col) + " outside the tile's fan-in");
  EventCost cost;
  if (enc == WeightEncoding::kPacked2) {
    const int64_t col_bytes = ceil_div(rows, 4);
    if (bytes != packed2_tile_bytes(rows, k)) throw std::invalid_argument("packed2 tile memory has the wrong size");
    const Packed2Table& t = packed2_table();
    const uint8_t* c = mem + col * col_bytes;
    uint8_t invalid = 0;
    int64_t sops = 0;
    const int64_t full = rows / 4;
    // Decode the column into int8 weights, then one multiply-add per row (vectorizes).
    thread_local std::vector<int8_t> wbuf;
    if (static_cast<int64_t>(wbuf.size()) < 4 * full) wbuf.resize(static_cast<std::size_t>(4 * full));
    int8_t* w = wbuf.data();
    for (int64_t b = 0; b < full; ++b) {
      const uint8_t byte = c[b];
      std::memcpy(w + 4 * b, t.weight[byte], 4);
      sops += t.nonzero[byte];
      invalid |= t.invalid[byte];
    }
    // x * t with t in {-1, 0, 1} is exactly ternary_mac (add / subtract / skip).
    const int32_t qq = q;
    for (int64_t r = 0; r < 4 * full; ++r) acc[r] += qq * w[r];
    for (int64_t r = 4 * full; r < rows; ++r) {  // the last, partial byte
      const auto code = static_cast<TernaryCode>((c[r / 4] >> (2 * (r % 4))) & 3u);
      if (code == TernaryCode::kInvalid) invalid = 1;
      else if (code != TernaryCode::kZero) {
        acc[r] = ternary_mac(acc[r], q, ternary_decode(code));
        ++sops;
      }
    }
    if (invalid != 0) throw std::invalid_argument("packed2 tile memory holds the invalid ternary code 10");
    cost.synaptic_ops = sops;
    cost.sram_words = packed2_column_words(rows, col, port_bits);
    return cost;
  }
  check_sparse(rows, index_bits);
  if (bytes < 4 * (k + 1)) throw std::invalid_argument("sparse tile memory shorter than its pointer table");
  const auto ptr_at = [&](int64_t i) {
    uint32_t v = 0;
    for (int b = 0; b < 4; ++b) v |= static_cast<uint32_t>(mem[4 * i + b]) << (8 * b);
    return static_cast<int64_t>(v);
  };
  const int64_t p0 = ptr_at(col), p1 = ptr_at(col + 1), width = index_bits + 1;
  const int64_t payload_bits = 8 * (bytes - 4 * (k + 1));
  if (p1 < p0 || p1 * width > payload_bits) throw std::invalid_argument("sparse tile column pointer out of range");
  const uint8_t* bits = mem + 4 * (k + 1);
  for (int64_t e = p0; e < p1; ++e) {
    uint64_t entry = 0;
    for (int64_t b = 0; b < width; ++b)
      entry |= static_cast<uint64_t>((bits[(e * width + b) / 8] >> ((e * width + b) % 8)) & 1u) << b;
    const auto r = static_cast<int64_t>(entry & ((uint64_t{1} << index_bits) - 1));
    if (r >= rows) throw std::invalid_argument("sparse tile entry row " + std::to_string(r) + " outside the tile");
    acc[r] = ternary_mac(acc[r], q, (entry >> index_bits) != 0 ? int8_t{-1} : int8_t{1});
    ++cost.synaptic_ops;
  }
  cost.sram_words = 1 + ceil_div((p1 - p0) * width, port_bits);  // pointer pair, then the entries
  return cost;
}

int64_t packed2_column_words(int64_t rows, int64_t col, int64_t port_bits) {
  if (rows < 1 || col < 0 || port_bits < 1) throw std::invalid_argument("packed2_column_words: bad rows, column or port width");
  // The words holding the column's bytes [col cb, (col + 1) cb): the tile starts on a word
  // boundary, but a column may straddle one more word than its size needs.
  const int64_t cb = ceil_div(rows, 4);
  const int64_t bit0 = 8 * col * cb, bit1 = bit0 + 8 * cb;
  return (bit1 - 1) / port_bits - bit0 / port_bits + 1;
}

int64_t event_accumulate_cycles(WeightEncoding enc, int64_t rows, int64_t col, const EventCost& cost, int64_t lanes,
                                int64_t port_bits) {
  if (lanes < 1 || rows < 1) throw std::invalid_argument("event_accumulate_cycles: rows and lanes must be >= 1");
  const auto pow2 = [](int64_t v) { return v > 0 && (v & (v - 1)) == 0; };
  if (enc == WeightEncoding::kPacked2) {
    const int64_t steps = ceil_div(rows, lanes);
    if (pow2(lanes) && pow2(port_bits) && lanes >= 4 && port_bits >= 2 * lanes) {
      const int64_t b = col * ceil_div(rows, 4);
      return b % (lanes / 4) == 0 ? 2 + steps : 1 + steps + cost.sram_words;
    }
    return 2 + std::max(steps, cost.sram_words);
  }
  return 2 + std::max(ceil_div(cost.synaptic_ops, lanes), cost.sram_words);
}

bool event_sram_port_bound(WeightEncoding enc, int64_t rows, const EventCost& cost, int64_t lanes, int64_t port_bits) {
  if (lanes < 1 || rows < 1) throw std::invalid_argument("event_sram_port_bound: rows and lanes must be >= 1");
  const auto pow2 = [](int64_t v) { return v > 0 && (v & (v - 1)) == 0; };
  if (enc == WeightEncoding::kPacked2) {
    if (pow2(lanes) && pow2(port_bits) && lanes >= 4 && port_bits >= 2 * lanes) return false;
    return cost.sram_words > ceil_div(rows, lanes);
  }
  return cost.sram_words > ceil_div(cost.synaptic_ops, lanes);
}

}  // namespace neurark::arch
