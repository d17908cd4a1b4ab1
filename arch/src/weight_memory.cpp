// SPDX-License-Identifier: Apache-2.0
// Ternary weight memories of a tile: see neurark/arch/weight_memory.hpp.
#include "neurark/arch/weight_memory.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "neurark/arch/numerics.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NEURARK_HAVE_AVX2_COLUMN 1
#endif

namespace neurark::arch {

namespace {

// The set bits of x, all in even positions (SWAR: no popcnt instruction assumed).
int64_t count_even_bits(uint64_t x) {
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return static_cast<int64_t>((x * 0x0101010101010101ull) >> 56);
}

// The first `bytes` bytes of a packed2 column, 8 at a time: its non-zero weights (the low bit of
// a 2-bit field is set for +1 (01) and -1 (11)) and whether any field holds the invalid code 10.
int64_t packed2_column_scan_portable(const uint8_t* c, int64_t bytes, bool* invalid) {
  constexpr uint64_t kLow = 0x5555555555555555ull;
  uint64_t bad = 0;
  int64_t nonzero = 0, b = 0;
  for (; b + 8 <= bytes; b += 8) {
    uint64_t x = 0;
    std::memcpy(&x, c + b, 8);
    nonzero += count_even_bits(x & kLow);
    bad |= (x >> 1) & ~x & kLow;
  }
  for (; b < bytes; ++b) {
    const uint64_t x = c[b];
    nonzero += count_even_bits(x & kLow & 0xFF);
    bad |= (x >> 1) & ~x & kLow & 0xFF;
  }
  *invalid = bad != 0;
  return nonzero;
}

// acc[r] += q * w[r] for rows [r0, r1) of a packed2 column: exactly the ternary add / subtract /
// skip (w in {-1, 0, 1}: 01 -> 1, 11 -> 1 - 2; the column was checked for the code 10).
void packed2_rows_mac_portable(const uint8_t* c, int64_t r0, int64_t r1, int32_t q, int32_t* acc) {
  for (int64_t r = r0; r < r1; ++r) {
    const int32_t code = (c[r >> 2] >> (2 * (r & 3))) & 3;
    acc[r] += q * ((code & 1) - (code & 2));
  }
}

#ifdef NEURARK_HAVE_AVX2_COLUMN
bool column_avx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
  return has;
}

// The scan with AVX2, 32 bytes (128 weights) a step: bit j of every byte moved to the byte's sign
// (a 16-bit shift left by 7 - j) and counted with movemask + popcnt; a code 10 is a high bit
// without its low bit.
__attribute__((target("avx2,popcnt"))) int64_t packed2_column_scan_avx2(const uint8_t* c, int64_t bytes, bool* invalid) {
  const __m256i low = _mm256_set1_epi8(0x55);
  __m256i bad = _mm256_setzero_si256();
  int64_t nonzero = 0, b = 0;
  for (; b + 32 <= bytes; b += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + b));
    nonzero += _mm_popcnt_u32(static_cast<unsigned>(_mm256_movemask_epi8(_mm256_slli_epi16(x, 7)))) +
               _mm_popcnt_u32(static_cast<unsigned>(_mm256_movemask_epi8(_mm256_slli_epi16(x, 5)))) +
               _mm_popcnt_u32(static_cast<unsigned>(_mm256_movemask_epi8(_mm256_slli_epi16(x, 3)))) +
               _mm_popcnt_u32(static_cast<unsigned>(_mm256_movemask_epi8(_mm256_slli_epi16(x, 1))));
    bad = _mm256_or_si256(bad, _mm256_and_si256(_mm256_andnot_si256(x, _mm256_srli_epi16(x, 1)), low));
  }
  bool tail_invalid = false;
  nonzero += packed2_column_scan_portable(c + b, bytes - b, &tail_invalid);
  *invalid = tail_invalid || !_mm256_testz_si256(bad, bad);
  return nonzero;
}

// 32 rows of one packed2 column (8 bytes at c) as int8 {-1, 0, 1}: each byte copied to the four
// lanes of its rows (pshufb), each lane's 2-bit field tested (low bit: non-zero, high bit:
// negative), w = 2 hi - lo.
__attribute__((target("avx2"), always_inline)) inline __m256i packed2_weights32_avx2(const uint8_t* c,
                                                                                     std::size_t bytes = 8) {
  const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3,  //
                                          4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7);
  const __m256i lo_bit = _mm256_set1_epi32(0x40100401), hi_bit = _mm256_set1_epi32(static_cast<int>(0x80200802u));
  long long eight = 0;  // fewer bytes (a tile's last rows): the missing fields read as code 00, weight 0
  std::memcpy(&eight, c, bytes);
  const __m256i rep = _mm256_shuffle_epi8(_mm256_set1_epi64x(eight), spread);
  const __m256i lo = _mm256_cmpeq_epi8(_mm256_and_si256(rep, lo_bit), lo_bit);
  const __m256i hi = _mm256_cmpeq_epi8(_mm256_and_si256(rep, hi_bit), hi_bit);
  return _mm256_sub_epi8(_mm256_add_epi8(hi, hi), lo);
}

// a[0..32) += the int16 partial sums of 32 rows held as rows 0-7 and 16-23 in lo, 8-15 and 24-31 in hi.
__attribute__((target("avx2"), always_inline)) inline void drain_rows32_avx2(__m256i lo, __m256i hi, int32_t* a) {
  const __m256i parts[4] = {_mm256_cvtepi16_epi32(_mm256_castsi256_si128(lo)), _mm256_cvtepi16_epi32(_mm256_castsi256_si128(hi)),
                            _mm256_cvtepi16_epi32(_mm256_extracti128_si256(lo, 1)),
                            _mm256_cvtepi16_epi32(_mm256_extracti128_si256(hi, 1))};
  for (int k = 0; k < 4; ++k) {
    auto* p = reinterpret_cast<__m256i*>(a + 8 * k);
    _mm256_storeu_si256(p, _mm256_add_epi32(_mm256_loadu_si256(p), parts[k]));
  }
}

// n checked events applied to a tile's rows with AVX2, two events at a time and four blocks of 32
// rows (8 bytes of a column) at a time, the partial sums in registers. Per event and block: the
// weights (packed2_weights32_avx2) given q's sign (psignb); the two events' weights interleaved
// row by row (punpck, within each 128-bit lane: rows 0-7 and 16-23 in one register, 8-15 and
// 24-31 in the other) and multiplied by |q0|, |q1|
// as unsigned bytes and summed in pairs (pmaddubsw): |q0 w0 + q1 w1| <= 256, so 127 pairs sum to
// at most 32,512 and fit int16: every 127 pairs, and at the end, the partial sums are added to
// acc. An odd last event is paired with a zero code (it adds nothing). Integer sums: the same
// bits as event-by-event accumulation, in any order. (Rows a padding field of the last byte
// stands for are computed and dropped, whatever the field holds.)
//
// The events on rows [32 g0, 32 (g0 + NB)): NB blocks whose partial sums stay in registers. With
// tail_rows > 0 (NB = 1), the block is a tile's last tail_rows < 32 rows: its column bytes are
// read as far as they go and only those rows are added to acc.
template <int NB>
__attribute__((target("avx2"))) void packed2_events_mac_group_avx2(const uint8_t* mem, int64_t col_bytes, int64_t g0,
                                                                   const int64_t* cols, const int8_t* q, int64_t n, int32_t* acc,
                                                                   int64_t tail_rows = 0) {
  const auto bytes = static_cast<std::size_t>(tail_rows > 0 ? (tail_rows + 3) / 4 : 8);
  alignas(32) int32_t tail_acc[32] = {};
  int32_t* out = tail_rows > 0 ? tail_acc : acc + 32 * g0;
  constexpr int64_t kDrainPairs = 127;
  __m256i sum_lo[NB], sum_hi[NB];
  for (int b = 0; b < NB; ++b) sum_lo[b] = sum_hi[b] = _mm256_setzero_si256();
  int64_t pairs = 0;
  for (int64_t e = 0; e < n; e += 2) {
    const bool two = e + 1 < n;
    const int8_t q0 = q[e], q1 = two ? q[e + 1] : int8_t{0};
    const uint8_t* c0 = mem + cols[e] * col_bytes + 8 * g0;
    const uint8_t* c1 = mem + cols[two ? e + 1 : e] * col_bytes + 8 * g0;
    const auto a0 = static_cast<uint16_t>(q0 < 0 ? -q0 : q0), a1 = static_cast<uint16_t>(q1 < 0 ? -q1 : q1);
    const __m256i absq = _mm256_set1_epi16(static_cast<int16_t>(static_cast<uint16_t>(a0 | (a1 << 8))));
    const __m256i s0 = _mm256_set1_epi8(q0), s1 = _mm256_set1_epi8(q1);
    for (int b = 0; b < NB; ++b) {
      const __m256i w0 = _mm256_sign_epi8(packed2_weights32_avx2(c0 + 8 * b, bytes), s0);
      const __m256i w1 = _mm256_sign_epi8(packed2_weights32_avx2(c1 + 8 * b, bytes), s1);
      sum_lo[b] = _mm256_add_epi16(sum_lo[b], _mm256_maddubs_epi16(absq, _mm256_unpacklo_epi8(w0, w1)));
      sum_hi[b] = _mm256_add_epi16(sum_hi[b], _mm256_maddubs_epi16(absq, _mm256_unpackhi_epi8(w0, w1)));
    }
    if (++pairs == kDrainPairs) {
      for (int b = 0; b < NB; ++b) {
        drain_rows32_avx2(sum_lo[b], sum_hi[b], out + 32 * b);
        sum_lo[b] = sum_hi[b] = _mm256_setzero_si256();
      }
      pairs = 0;
    }
  }
  for (int b = 0; b < NB; ++b) drain_rows32_avx2(sum_lo[b], sum_hi[b], out + 32 * b);
  for (int64_t r = 0; r < tail_rows; ++r) acc[32 * g0 + r] += tail_acc[r];
}

// All rows [0, rows) of a tile (rows / 32 blocks, then the last rows % 32).
__attribute__((target("avx2"))) void packed2_events_mac_avx2(const uint8_t* mem, int64_t col_bytes, int64_t rows,
                                                             const int64_t* cols, const int8_t* q, int64_t n, int32_t* acc) {
  const int64_t blocks = rows / 32;
  if (rows % 32 != 0) packed2_events_mac_group_avx2<1>(mem, col_bytes, blocks, cols, q, n, acc, rows % 32);
  int64_t g0 = 0;
  for (; g0 + 4 <= blocks; g0 += 4) packed2_events_mac_group_avx2<4>(mem, col_bytes, g0, cols, q, n, acc);
  switch (blocks - g0) {
    case 3: packed2_events_mac_group_avx2<3>(mem, col_bytes, g0, cols, q, n, acc); break;
    case 2: packed2_events_mac_group_avx2<2>(mem, col_bytes, g0, cols, q, n, acc); break;
    case 1: packed2_events_mac_group_avx2<1>(mem, col_bytes, g0, cols, q, n, acc); break;
    default: break;
  }
}
#endif

// The non-zero weights of a packed2 column c of `rows` rows (the fields of rows in the tile:
// not the unused fields of a partial last byte), and whether any holds the invalid code 10.
int64_t packed2_column_nonzero(const uint8_t* c, int64_t rows, bool* invalid) {
  const int64_t full = rows / 4;
#ifdef NEURARK_HAVE_AVX2_COLUMN
  int64_t nonzero = column_avx2() ? packed2_column_scan_avx2(c, full, invalid) : packed2_column_scan_portable(c, full, invalid);
#else
  int64_t nonzero = packed2_column_scan_portable(c, full, invalid);
#endif
  for (int64_t r = 4 * full; r < rows; ++r) {
    const auto code = static_cast<TernaryCode>((c[r / 4] >> (2 * (r % 4))) & 3u);
    *invalid = *invalid || code == TernaryCode::kInvalid;
    nonzero += code == TernaryCode::kPlus || code == TernaryCode::kMinus;
  }
  return nonzero;
}


int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

void check_sparse(int64_t rows, int64_t index_bits) {
  if (index_bits < 1 || index_bits > 32)
    throw std::invalid_argument("sparse index_bits " + std::to_string(index_bits) + " outside [1, 32]");
  if (rows > (int64_t{1} << index_bits))
    throw std::invalid_argument("tile of " + std::to_string(rows) + " rows cannot be indexed with " +
                                std::to_string(index_bits) + " bits");
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
    if (bytes != packed2_tile_bytes(rows, k)) throw std::invalid_argument("packed2 tile memory has the wrong size");
    const uint8_t* c = mem + col * ceil_div(rows, 4);
    bool invalid = false;
    cost.synaptic_ops = packed2_column_nonzero(c, rows, &invalid);
    if (invalid) {  // the valid rows are updated (as the RTL lane array does), then the error
      for (int64_t r = 0; r < rows; ++r) {
        const auto code = static_cast<TernaryCode>((c[r / 4] >> (2 * (r % 4))) & 3u);
        if (code == TernaryCode::kPlus || code == TernaryCode::kMinus) acc[r] = ternary_mac(acc[r], q, ternary_decode(code));
      }
      throw std::invalid_argument("packed2 tile memory holds the invalid ternary code 10");
    }
    accumulate_packed2_events(mem, rows, &col, &q, 1, acc);
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

EventCost packed2_event_cost(const uint8_t* mem, int64_t bytes, int64_t rows, int64_t k, int64_t port_bits, int64_t col) {
  if (col < 0 || col >= k) throw std::invalid_argument("event column " + std::to_string(col) + " outside the tile's fan-in");
  if (bytes != packed2_tile_bytes(rows, k)) throw std::invalid_argument("packed2 tile memory has the wrong size");
  bool invalid = false;
  EventCost cost;
  cost.synaptic_ops = packed2_column_nonzero(mem + col * ceil_div(rows, 4), rows, &invalid);
  if (invalid) throw std::invalid_argument("packed2 tile memory holds the invalid ternary code 10");
  cost.sram_words = packed2_column_words(rows, col, port_bits);
  return cost;
}

void accumulate_packed2_events(const uint8_t* mem, int64_t rows, const int64_t* cols, const int8_t* q, int64_t n,
                               int32_t* acc) {
  const int64_t col_bytes = ceil_div(rows, 4);
#ifdef NEURARK_HAVE_AVX2_COLUMN
  if (column_avx2()) {
    packed2_events_mac_avx2(mem, col_bytes, rows, cols, q, n, acc);
    return;
  }
#endif
  for (int64_t e = 0; e < n; ++e) packed2_rows_mac_portable(mem + cols[e] * col_bytes, 0, rows, q[e], acc);
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
