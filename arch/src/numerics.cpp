// SPDX-License-Identifier: Apache-2.0
// The numerics contract: see neurark/arch/numerics.hpp and docs/numerics.md.
#include "neurark/arch/numerics.hpp"

#include <algorithm>
#include <utility>
#include <cmath>
#include <limits>
#include <stdexcept>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NEURARK_HAVE_AVX2_KERNEL 1
#endif

namespace neurark::arch {

namespace {
constexpr u128 kOne128 = 1;

uint64_t magnitude(int64_t v) {
  return v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
}

// Scale exponents stay far inside int32: products of a few dozen scales of real models reach
// |exp| of a few hundred. Anything near the int32 limits is a caller bug, not a value.
constexpr int64_t kMaxScaleExp = int64_t{1} << 24;
int32_t checked_exp(int64_t e) {
  if (e > kMaxScaleExp || e < -kMaxScaleExp) throw std::overflow_error("Scale exponent out of range");
  return static_cast<int32_t>(e);
}
}  // namespace

// ---- Rounding, shifting, saturation -----------------------------------------------------

int64_t round_shift(int64_t v, int s) {
  if (s <= 0) {
    if (s < 0) throw std::invalid_argument("round_shift: negative shift");
    return v;
  }
  if (s >= 128) return 0;  // |v| <= 2^63: v / 2^s < 2^-64 rounds to 0
  const uint64_t mag64 = magnitude(v);
  if (s < 63 && mag64 < (uint64_t{1} << 62)) {  // mag + 2^(s-1) < 2^63: the same sum in 64 bits
    const auto r = static_cast<int64_t>((mag64 + (uint64_t{1} << (s - 1))) >> s);
    return v < 0 ? -r : r;
  }
  const u128 mag = mag64;
  const u128 r = (mag + (kOne128 << (s - 1))) >> s;  // half away from zero
  const auto r64 = static_cast<int64_t>(static_cast<uint64_t>(r));  // r < 2^63 for s >= 1
  return v < 0 ? -r64 : r64;
}

int32_t saturate_i32(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

int8_t saturate_i8(int64_t v) { return static_cast<int8_t>(std::clamp<int64_t>(v, -128, 127)); }

int32_t add_sat_i32(int32_t a, int32_t b) {
  return saturate_i32(static_cast<int64_t>(a) + static_cast<int64_t>(b));
}

int bit_length(uint64_t v) { return v == 0 ? 0 : 64 - __builtin_clzll(v); }

int bit_length(u128 v) {
  const auto hi = static_cast<uint64_t>(v >> 64);
  return hi != 0 ? 64 + bit_length(hi) : bit_length(static_cast<uint64_t>(v));
}

// ---- Ternary weights ----------------------------------------------------------------------

TernaryCode ternary_encode(int8_t w) {
  switch (w) {
    case 0: return TernaryCode::kZero;
    case 1: return TernaryCode::kPlus;
    case -1: return TernaryCode::kMinus;
    default: throw std::invalid_argument("ternary_encode: weight not in {-1, 0, 1}");
  }
}

int8_t ternary_decode(TernaryCode c) {
  switch (c) {
    case TernaryCode::kZero: return 0;
    case TernaryCode::kPlus: return 1;
    case TernaryCode::kMinus: return -1;
    case TernaryCode::kInvalid: break;
  }
  throw std::invalid_argument("ternary_decode: reserved code 0b10");
}

float ternary_scale(double mean_abs) {
  const auto m = static_cast<float>(mean_abs);
  return 1.0f / std::max(m, 1e-5f);
}

void ternary_matvec(const int8_t* q, const int8_t* w, int64_t k_in, int64_t n_out,
                    int32_t* acc) {
  // Multiply form of ternary_mac: x * t with t in {-1, 0, 1} is exactly add / subtract / skip.
  // Codes and weights widened to int16 first so the compiler can use 16-bit multiply-add
  // instructions (pmaddwd); every product and sum is exact in int32 either way.
  thread_local std::vector<int16_t> q16, w16;
  q16.assign(q, q + k_in);
  w16.resize(static_cast<std::size_t>(k_in));
  for (int64_t o = 0; o < n_out; ++o) {
    const int8_t* row = w + o * k_in;
    for (int64_t k = 0; k < k_in; ++k) w16[static_cast<std::size_t>(k)] = row[k];
    int32_t a = 0;
    for (int64_t k = 0; k < k_in; ++k)
      a += static_cast<int32_t>(q16[static_cast<std::size_t>(k)]) * w16[static_cast<std::size_t>(k)];
    acc[o] = a;
  }
}

// ---- Packed ternary matrices ---------------------------------------------------------------

void ternary_pack(const int8_t* w, int64_t k_in, int64_t n_out, uint8_t* out) {
  const int64_t rb = ternary_row_bytes(k_in);
  for (int64_t o = 0; o < n_out; ++o) {
    uint8_t* row = out + o * rb;
    std::fill(row, row + rb, uint8_t{0});
    for (int64_t k = 0; k < k_in; ++k)
      row[k / 4] = static_cast<uint8_t>(row[k / 4] | static_cast<unsigned>(ternary_encode(w[o * k_in + k])) << (2 * (k % 4)));
  }
}

std::vector<uint8_t> ternary_pack(const int8_t* w, int64_t k_in, int64_t n_out) {
  std::vector<uint8_t> out(static_cast<std::size_t>(n_out * ternary_row_bytes(k_in)));
  ternary_pack(w, k_in, n_out, out.data());
  return out;
}

namespace {
// The weight of a 2-bit code read as a two's complement number (00 0, 01 +1, 11 -1, 10 -2).
inline int32_t code_weight(unsigned c) { return static_cast<int32_t>((c & 3u) ^ 2u) - 2; }
}  // namespace

void ternary_unpack_row(const uint8_t* row, int64_t k_in, int8_t* out) {
  for (int64_t k = 0; k < k_in; ++k) out[k] = static_cast<int8_t>(code_weight(row[k / 4] >> (2 * (k % 4))));
}

namespace {

// Portable kernel: per token, for each group g of 4 inputs, the 256 sums
// T[g][b] = sum_i q[4g + i] * weight(code i of byte b) (|T| <= 1024, int16); a row is then one
// lookup per packed byte. The padding inputs of the last group count as q = 0.
void matvec_packed_portable(const int8_t* q, const uint8_t* w, int64_t k_in, int64_t n_out, int32_t* acc) {
  const int64_t rb = ternary_row_bytes(k_in);
  thread_local std::vector<int16_t> table;
  table.resize(static_cast<std::size_t>(rb) * 256);
  for (int64_t g = 0; g < rb; ++g) {
    int16_t qi[4];
    for (int64_t i = 0; i < 4; ++i) qi[i] = static_cast<int16_t>(4 * g + i < k_in ? q[4 * g + i] : 0);
    int16_t lo[16], hi[16];  // codes 0-1 (bits 0-3) and codes 2-3 (bits 4-7)
    for (unsigned b = 0; b < 16; ++b) {
      lo[b] = static_cast<int16_t>(qi[0] * code_weight(b) + qi[1] * code_weight(b >> 2));
      hi[b] = static_cast<int16_t>(qi[2] * code_weight(b) + qi[3] * code_weight(b >> 2));
    }
    int16_t* t = table.data() + g * 256;
    for (unsigned h = 0; h < 16; ++h)
      for (unsigned l = 0; l < 16; ++l) t[h * 16 + l] = static_cast<int16_t>(hi[h] + lo[l]);
  }
  const int16_t* t = table.data();
  for (int64_t o = 0; o < n_out; ++o) {
    const uint8_t* row = w + o * rb;
    int32_t a0 = 0, a1 = 0;
    int64_t g = 0;
    for (; g + 1 < rb; g += 2) {
      a0 += t[g * 256 + row[g]];
      a1 += t[(g + 1) * 256 + row[g + 1]];
    }
    if (g < rb) a0 += t[g * 256 + row[g]];
    acc[o] = a0 + a1;
  }
}

#ifdef NEURARK_HAVE_AVX2_KERNEL
// AVX2 kernel. A block of 128 inputs is 32 packed bytes; bit-slice i (bits 2i, 2i+1 of each byte)
// holds the weights of inputs 4j + i, j = 0..31. Per token the codes are permuted to match:
// qs[blk][i][j] = q[128 blk + 4j + i], and qa = |qs| as u8 (|-128| = 128 fits). Per slice:
// w = ((x >> 2i) & 3 ^ 2) - 2 (the code as a signed weight), psignb(w, qs) = w * sign(q),
// pmaddubsw(qa, that) = pairs of w * q in int16 (|.| <= 512; four slices summed <= 2048), pmaddwd
// with ones widens to int32.
__attribute__((target("avx2"))) void matvec_packed_avx2(const int8_t* q, const uint8_t* w, int64_t k_in,
                                                        int64_t n_out, int32_t* acc) {
  const int64_t rb = ternary_row_bytes(k_in);
  const int64_t nblk = k_in / 128;
  thread_local std::vector<int8_t> qs_buf;
  thread_local std::vector<uint8_t> qa_buf;
  qs_buf.resize(static_cast<std::size_t>(nblk * 128));
  qa_buf.resize(static_cast<std::size_t>(nblk * 128));
  for (int64_t b = 0; b < nblk; ++b)
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 32; ++j) {
        const int8_t c = q[128 * b + 4 * j + i];
        const auto at = static_cast<std::size_t>(128 * b + 32 * i + j);
        qs_buf[at] = c;
        qa_buf[at] = static_cast<uint8_t>(c < 0 ? -static_cast<int>(c) : c);
      }
  const __m256i three = _mm256_set1_epi8(3), two = _mm256_set1_epi8(2);
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (int64_t o = 0; o < n_out; ++o) {
    const uint8_t* row = w + o * rb;
    __m256i sum = _mm256_setzero_si256();
    for (int64_t b = 0; b < nblk; ++b) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 32 * b));
      const int8_t* qs = qs_buf.data() + 128 * b;
      const uint8_t* qa = qa_buf.data() + 128 * b;
      __m256i p16 = _mm256_setzero_si256();
      for (int i = 0; i < 4; ++i) {
        const __m256i sl = _mm256_and_si256(_mm256_srli_epi16(x, 2 * i), three);
        const __m256i wt = _mm256_sub_epi8(_mm256_xor_si256(sl, two), two);
        const __m256i s = _mm256_sign_epi8(wt, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * i)));
        p16 = _mm256_add_epi16(p16, _mm256_maddubs_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(qa + 32 * i)), s));
      }
      sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p16, ones16));
    }
    const __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    const __m128i s2 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
    const __m128i s1 = _mm_add_epi32(s2, _mm_shuffle_epi32(s2, 0xb1));
    int32_t a = _mm_cvtsi128_si32(s1);
    for (int64_t k = 128 * nblk; k < k_in; ++k) a += q[k] * code_weight(row[k / 4] >> (2 * (k % 4)));
    acc[o] = a;
  }
}

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#endif

}  // namespace

bool ternary_kernel_available(TernaryKernel k) {
  if (k != TernaryKernel::kAvx2) return true;
#ifdef NEURARK_HAVE_AVX2_KERNEL
  return cpu_has_avx2();
#else
  return false;
#endif
}

void ternary_matvec_packed(const int8_t* q, const uint8_t* w_packed, int64_t k_in, int64_t n_out, int32_t* acc,
                           TernaryKernel kernel) {
  if (!ternary_kernel_available(kernel)) throw std::invalid_argument("ternary_matvec_packed: the AVX2 kernel needs a CPU with AVX2");
#ifdef NEURARK_HAVE_AVX2_KERNEL
  if (kernel == TernaryKernel::kAvx2 || (kernel == TernaryKernel::kAuto && cpu_has_avx2())) {
    matvec_packed_avx2(q, w_packed, k_in, n_out, acc);
    return;
  }
#endif
  matvec_packed_portable(q, w_packed, k_in, n_out, acc);
}

// ---- Activation quantization --------------------------------------------------------------

uint64_t absmax(const int64_t* u, int64_t n) {
  uint64_t m = 0;
  for (int64_t k = 0; k < n; ++k) m = std::max(m, magnitude(u[k]));
  return m;
}

int8_t quantize_absmax(int64_t u, uint64_t m) {
  if (m == 0) return 0;
  const uint64_t mag64 = magnitude(u);
  if (mag64 < (uint64_t{1} << 55) && m < (uint64_t{1} << 62)) {  // fast path, same result in 64 bits
    const uint64_t q = (2 * uint64_t{kActCodeMax} * mag64 + m) / (2 * m);
    const auto q8 = static_cast<int8_t>(std::min<uint64_t>(q, kActCodeMax));
    return static_cast<int8_t>(u < 0 ? -q8 : q8);
  }
  const u128 mag = mag64;
  const u128 q = (2 * u128{kActCodeMax} * mag + m) / (2 * u128{m});  // round half away
  const auto q8 = static_cast<int8_t>(std::min<u128>(q, kActCodeMax));
  return static_cast<int8_t>(u < 0 ? -q8 : q8);
}

AbsmaxQuantizer::AbsmaxQuantizer(uint64_t m) {
  if (m == 0) {
    t_.fill(~uint64_t{0});
    t_[0] = 0;
    return;
  }
  // ceil((2j - 1) m / 254) with m = 254 a + r: (2j - 1) a + ceil((2j - 1) r / 254), all < 2^64.
  const uint64_t a = m / 254, r = m % 254;
  for (uint64_t j = 1; j <= static_cast<uint64_t>(kActCodeMax); ++j)
    t_[j] = (2 * j - 1) * a + ((2 * j - 1) * r + 253) / 254;
}

// ---- Block floating point -----------------------------------------------------------------

int block_shift(uint64_t max_abs) { return std::max(0, bit_length(max_abs) - kBlockMantissaBits); }

int normalize_block(const int64_t* p, int64_t n, int32_t* out) {
  const int s = block_shift(absmax(p, n));
  for (int64_t k = 0; k < n; ++k) out[k] = static_cast<int32_t>(round_shift(p[k], s));
  return s;
}

// ---- Per-token scales ---------------------------------------------------------------------

Scale scale_from_u128(u128 v) {
  if (v == 0) return {};
  const int b = bit_length(v);
  if (b <= 32) return {static_cast<uint32_t>(v << (32 - b)), -(32 - b)};
  int s = b - 32;
  u128 m = (v + (kOne128 << (s - 1))) >> s;  // half up
  if (m == (kOne128 << 32)) {
    m >>= 1;
    ++s;
  }
  return {static_cast<uint32_t>(m), s};
}

Scale scale_from_double(double v) {
  if (!(v > 0.0) || !std::isfinite(v)) {
    if (v == 0.0) return {};
    throw std::invalid_argument("scale_from_double: value must be finite and >= 0");
  }
  int e = 0;
  const double f = std::frexp(v, &e);  // v = f * 2^e, f in [0.5, 1)
  double m = std::floor(std::ldexp(f, 32) + 0.5);
  if (m >= 4294967296.0) {
    m = 2147483648.0;
    ++e;
  }
  return {static_cast<uint32_t>(m), e - 32};
}

double scale_to_double(Scale s) { return std::ldexp(static_cast<double>(s.mant), s.exp); }

Scale scale_mul(Scale a, Scale b) {
  if (a.mant == 0 || b.mant == 0) return {};
  const u128 p = static_cast<u128>(a.mant) * b.mant;  // [2^62, 2^64)
  int s = (p >> 63) != 0 ? 32 : 31;
  u128 m = (p + (kOne128 << (s - 1))) >> s;
  if (m == (kOne128 << 32)) {
    m >>= 1;
    ++s;
  }
  return {static_cast<uint32_t>(m), checked_exp(int64_t{a.exp} + b.exp + s)};
}

uint64_t isqrt(u128 v) {
  // Bit-by-bit (restoring) square root: the result bits from the top, as RTL would do it.
  u128 rem = v;
  u128 root = 0;
  u128 bit = kOne128 << 126;
  while (bit > rem) bit >>= 2;
  while (bit != 0) {
    if (rem >= root + bit) {
      rem -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  return static_cast<uint64_t>(root);
}

Scale scale_rsqrt(u128 v) {
  if (v == 0) return {};
  const int b = bit_length(v);
  // j = floor((b - 31) / 2): m = v * 2^(-2j) has 31 or 32 significant bits.
  const int e = b - 31;
  const int j = e >= 0 ? e / 2 : -((-e + 1) / 2);
  const u128 m = j >= 0 ? (v >> (2 * j)) : (v << (-2 * j));
  const uint64_t r = isqrt((kOne128 << 94) / m);  // floor(2^47 / sqrt(m)), in (2^31, 2^32]
  if (r == (uint64_t{1} << 32)) return {uint32_t{1} << 31, -47 - j + 1};
  return {static_cast<uint32_t>(r), -47 - j};
}

int32_t requantize(int32_t acc, Scale s) {
  if (acc == 0 || s.mant == 0) return 0;
  const uint64_t mag64 = magnitude(acc) * uint64_t{s.mant};  // < 2^63: no overflow in 64 bits
  const int64_t shift = -static_cast<int64_t>(s.exp);
  constexpr uint64_t kMaxPos64 = std::numeric_limits<int32_t>::max();
  if (shift > 0 && shift < 64) {  // the usual case, all in 64 bits: mag64 + 2^(shift-1) < 2^64
    const uint64_t r64 = (mag64 + (uint64_t{1} << (shift - 1))) >> shift;  // half away from zero
    if (acc > 0) return static_cast<int32_t>(std::min(r64, kMaxPos64));
    return r64 > kMaxPos64 ? std::numeric_limits<int32_t>::min() : -static_cast<int32_t>(r64);
  }
  const u128 mag = mag64;
  u128 r;
  if (shift > 0) {
    // mag64 + 2^(shift-1) < 2^64 for shift <= 63; beyond, the result is 0 (mag64 < 2^63).
    r = shift >= 64 ? 0 : (mag64 + (uint64_t{1} << (shift - 1))) >> shift;  // half away from zero
  } else {
    const int64_t left = -shift;
    r = (left >= 64 || bit_length(mag) + left > 64) ? (kOne128 << 64) : (mag << left);
  }
  constexpr u128 kMaxPos = std::numeric_limits<int32_t>::max();
  if (acc > 0) return static_cast<int32_t>(std::min(r, kMaxPos));
  if (r > kMaxPos) return std::numeric_limits<int32_t>::min();
  return -static_cast<int32_t>(r);
}

// ---- Norm helper --------------------------------------------------------------------------

u128 sum_squares(const int32_t* v, int64_t n) {
  u128 ss = 0;
  for (int64_t k = 0; k < n; ++k) {
    const uint64_t m = magnitude(v[k]);
    ss += static_cast<u128>(m * m);  // m <= 2^31: m * m <= 2^62
  }
  return ss;
}

Scale scale_add(Scale a, Scale b) {
  if (a.mant == 0) return b;
  if (b.mant == 0) return a;
  if (a.exp < b.exp) std::swap(a, b);  // a has the larger exponent
  const int64_t gap = static_cast<int64_t>(a.exp) - b.exp;
  // b < 2^(32 + b.exp) <= 2^(a.exp - 9) when gap > 40: below half of a's last mantissa bit.
  if (gap > 40) return a;
  const u128 sum = (static_cast<u128>(a.mant) << gap) + b.mant;  // < 2^73
  Scale s = scale_from_u128(sum);
  s.exp += b.exp;
  return s;
}

Scale scale_rsqrt(Scale d) {
  if (d.mant == 0) return {};
  const bool odd = (d.exp & 1) != 0;
  const u128 m = odd ? static_cast<u128>(d.mant) << 1 : static_cast<u128>(d.mant);
  const int64_t e = odd ? static_cast<int64_t>(d.exp) - 1 : d.exp;
  Scale r = scale_rsqrt(m);
  r.exp = static_cast<int32_t>(r.exp - e / 2);
  return r;
}

Scale bitlinear_eps() {
  static const Scale eps = scale_from_double(kBitLinearEps);
  return eps;
}

Scale rmsnorm_eps_term(const BlockScale& block, int64_t k) {
  if (k < 1) throw std::invalid_argument("rmsnorm_eps_term: fan-in " + std::to_string(k) + ", expected >= 1");
  Scale t = scale_from_u128(static_cast<u128>(k));  // not normed: eps * k
  if (block.normed) {
    if (block.norm_n != k)
      throw std::invalid_argument("rmsnorm_eps_term: a block normed over " + std::to_string(block.norm_n) +
                                  " values feeds a fan-in of " + std::to_string(k));
    Scale ss = scale_from_u128(block.norm_sum_sq);
    if (ss.mant != 0) ss.exp -= 2 * kActFrac;
    t = scale_add(ss, scale_mul(block.norm_eps, t));
  }
  Scale e = scale_mul(bitlinear_eps(), t);
  if (e.mant != 0) e.exp += 2 * block.j;
  return e;
}

Scale bitlinear_token_scale(Scale layer_c, uint64_t m, u128 ss, Scale eps_term) {
  if (m == 0) return {};
  const Scale d = scale_add(scale_from_u128(ss), eps_term);
  if (d.mant == 0) return {};
  return scale_mul(scale_mul(layer_c, scale_from_u128(m)), scale_rsqrt(d));
}

// ---- Activation functions ----------------------------------------------------------------

const std::array<uint32_t, kSigmoidLutEntries>& sigmoid_lut() {
  static const std::array<uint32_t, kSigmoidLutEntries> lut = [] {
    std::array<uint32_t, kSigmoidLutEntries> t{};
    for (int i = 0; i < kSigmoidLutEntries; ++i) {
      const double x = static_cast<double>(i) / 64.0;
      const double s = 1.0 / (1.0 + std::exp(-x));
      t[static_cast<std::size_t>(i)] = static_cast<uint32_t>(std::floor(std::ldexp(s, kSigmoidLutFrac) + 0.5));
    }
    return t;
  }();
  return lut;
}

int32_t sigmoid_q24(int32_t z_q16) {
  const auto& lut = sigmoid_lut();
  constexpr uint64_t kLimit = uint64_t{kSigmoidLutSegments} << kSigmoidLutStepLog2;  // 16.0
  constexpr int kStep = kSigmoidLutStepLog2;
  const uint64_t a = magnitude(z_q16);
  int64_t pos;
  if (a >= kLimit) {
    pos = kGateOne - 1;
  } else {
    const auto idx = static_cast<std::size_t>(a >> kStep);
    const auto frac = static_cast<int64_t>(a & ((uint64_t{1} << kStep) - 1));
    const int64_t l0 = lut[idx], l1 = lut[idx + 1], l2 = lut[idx + 2];
    const int64_t d1 = l1 - l0;            // |d1| < 2^32
    const int64_t d2 = l2 - 2 * l1 + l0;   // |d2| < 2^34
    // s = L0 + t D1 + t (t - 1) / 2 D2 with t = frac / 2^10, times 2^21 (exact, < 2^56 for any
    // uint32 table): L0 2^21 + frac (D1 2^11 + (frac - 2^10) D2).
    const int64_t inner = d1 * (int64_t{1} << (kStep + 1)) + (frac - (int64_t{1} << kStep)) * d2;
    const int64_t n = l0 * (int64_t{1} << (2 * kStep + 1)) + frac * inner;
    pos = round_shift(n, 2 * kStep + 1 + kSigmoidLutFrac - kGateFrac);
  }
  return static_cast<int32_t>(z_q16 < 0 ? kGateOne - pos : pos);
}

int32_t silu_q16(int32_t z_q16) {
  return saturate_i32(round_shift(static_cast<int64_t>(z_q16) * sigmoid_q24(z_q16), kGateFrac));
}

int32_t mul_shift_sat(int32_t a, int32_t b, int s) {
  return saturate_i32(round_shift(static_cast<int64_t>(a) * b, s));
}

// ---- MLGRU --------------------------------------------------------------------------------

int32_t forget_gate_q24(int32_t sigma_q24, int32_t lower_bound_q24) {
  const int64_t span = static_cast<int64_t>(kGateOne) - lower_bound_q24;
  return static_cast<int32_t>(lower_bound_q24 + round_shift(span * sigma_q24, kGateFrac));
}

int32_t mlgru_candidate_q20(int32_t silu_i_q16, int32_t one_minus_f_q24) {
  return mul_shift_sat(silu_i_q16, one_minus_f_q24, kActFrac + kGateFrac - kStateFrac);
}

int32_t mlgru_state_update_q20(int32_t f_q24, int32_t h_q20, int32_t c_q20) {
  const int64_t decayed = round_shift(static_cast<int64_t>(f_q24) * h_q20, kGateFrac);
  return saturate_i32(decayed + c_q20);
}

int32_t mlgru_channel_q16(int32_t i_q16, int32_t fz_q16, int32_t lower_bound_q24, bool bounded,
                          int32_t* h_q20) {
  const int32_t sigma = sigmoid_q24(fz_q16);
  const int32_t f = bounded ? forget_gate_q24(sigma, lower_bound_q24) : sigma;
  const int32_t c = mlgru_candidate_q20(silu_q16(i_q16), one_minus_gate_q24(f));
  *h_q20 = mlgru_state_update_q20(f, *h_q20, c);
  return silu_q16(static_cast<int32_t>(round_shift(*h_q20, kStateFrac - kActFrac)));
}


// ---- Load-time constant preparation ----------------------------------------------------------

NormWeightQ quantize_norm_weight(const float* w, int64_t n) {
  double mx = 0.0;
  int64_t at = 0;
  for (int64_t k = 0; k < n; ++k) {
    if (!std::isfinite(w[k]))
      throw std::invalid_argument("element " + std::to_string(k) + " is " + std::to_string(w[k]) +
                                  ", expected a finite value");
    if (std::fabs(static_cast<double>(w[k])) > mx) {
      mx = std::fabs(static_cast<double>(w[k]));
      at = k;
    }
  }
  if (mx > static_cast<double>(kNormWeightMantMax))
    throw std::invalid_argument("element " + std::to_string(at) + " is " + std::to_string(w[at]) +
                                ", expected |w| <= 2147483647 (2^31 - 1)");
  if (mx > 0.0 && std::ldexp(mx, 62) < 16384.0)
    throw std::invalid_argument("largest |w| is " + std::to_string(mx) +
                                ", expected 0 or above 2^-48 (it would round to zero mantissas)");
  NormWeightQ q;
  q.mant.resize(static_cast<std::size_t>(n));
  if (mx == 0.0) return q;
  int e = 0;
  const auto limit = static_cast<double>(kNormWeightMantMax);
  while (e < 62 && std::ldexp(mx, e + 1) <= limit) ++e;
  while (e > 0 && std::ldexp(mx, e) > limit) --e;
  q.exp = e;
  for (int64_t k = 0; k < n; ++k)
    q.mant[static_cast<std::size_t>(k)] =
        static_cast<int32_t>(std::llround(std::ldexp(static_cast<double>(w[k]), e)));
  return q;
}

Scale bitlinear_layer_scale(int64_t k, float s_w, int e_norm) {
  const double beta = 1.0 / static_cast<double>(s_w);
  return scale_from_double(std::sqrt(static_cast<double>(k)) * beta *
                           std::ldexp(1.0, kActFrac - e_norm) / kActCodeMax);
}

// ---- Composite operations -------------------------------------------------------------------

namespace {
template <class T>
T* scratch(std::vector<T>& buf, int64_t n) {
  if (buf.size() < static_cast<std::size_t>(n)) buf.resize(static_cast<std::size_t>(n));
  return buf.data();
}
}  // namespace

BlockScale apply_norm_weight(const int32_t* x, const int32_t* w, int w_exp, Scale eps, int64_t n, int32_t* v) {
  thread_local std::vector<int64_t> p;
  int64_t* pp = scratch(p, n);
  for (int64_t k = 0; k < n; ++k) pp[k] = static_cast<int64_t>(x[k]) * w[k];
  const int s = normalize_block(pp, n, v);
  BlockScale b;
  b.j = kActFrac + w_exp - s;
  b.normed = true;
  b.norm_sum_sq = sum_squares(x, n);
  b.norm_n = n;
  b.norm_eps = eps;
  return b;
}

BlockScale product_block(const int32_t* a, const BlockScale& a_scale, const int32_t* b, const BlockScale& b_scale,
                         int64_t n, int32_t* v) {
  if (a_scale.normed && b_scale.normed)
    throw std::invalid_argument("product_block: both factors come out of an RMSNorm");
  thread_local std::vector<int64_t> p;
  int64_t* pp = scratch(p, n);
  for (int64_t k = 0; k < n; ++k) pp[k] = static_cast<int64_t>(a[k]) * b[k];
  const int s = normalize_block(pp, n, v);
  BlockScale out = a_scale.normed ? a_scale : b_scale;
  out.j = a_scale.j + b_scale.j - s;
  return out;
}

namespace {
// bitlinear_q16 around either matvec (matvec(q, acc) computes the n accumulators), under an
// event mode: codes, each input's event value, the codes the accumulators have seen (at the
// dense mode the codes themselves), one matvec of those.
template <class Matvec>
BitLinearStats bitlinear_events_with(const int32_t* v, int64_t k, int64_t n, const int32_t* norm_mant, Scale layer_c,
                                     Scale eps_term, const EventMode& mode, int8_t* sent, int32_t* y, int8_t* codes_out,
                                     int32_t* values_out, int32_t* acc_out, const Matvec& matvec) {
  thread_local std::vector<int64_t> ubuf;
  thread_local std::vector<int8_t> qbuf, ebuf;
  thread_local std::vector<int32_t> abuf;
  int64_t* u = scratch(ubuf, k);
  int8_t* q = codes_out != nullptr ? codes_out : scratch(qbuf, k);
  int8_t* eff = scratch(ebuf, k);
  int32_t* acc = acc_out != nullptr ? acc_out : scratch(abuf, n);
  BitLinearStats st;
  for (int64_t i = 0; i < k; ++i) u[i] = static_cast<int64_t>(v[i]) * norm_mant[i];
  st.absmax = absmax(u, k);
  const AbsmaxQuantizer quantize(st.absmax);
  for (int64_t i = 0; i < k; ++i) {
    q[i] = quantize(u[i]);
    st.nonzero_inputs += q[i] != 0;
    const int32_t e = event_value(mode, q[i], sent != nullptr ? sent + i : nullptr);
    if (values_out != nullptr) values_out[i] = e;
    st.events += event_count(e);
    eff[i] = mode.sigma_delta() ? sent[i] : static_cast<int8_t>(e);
  }
  matvec(mode == EventMode{} ? q : eff, acc);
  st.token_scale = bitlinear_token_scale(layer_c, st.absmax, sum_squares(v, k), eps_term);
  for (int64_t o = 0; o < n; ++o) y[o] = requantize(acc[o], st.token_scale);
  return st;
}
}  // namespace

BitLinearStats bitlinear_q16(const int32_t* v, int64_t k, int64_t n, const int32_t* norm_mant,
                             const int8_t* w_t, Scale layer_c, Scale eps_term, int32_t* y, int8_t* codes_out,
                             int32_t* acc_out) {
  return bitlinear_events_with(v, k, n, norm_mant, layer_c, eps_term, EventMode{}, nullptr, y, codes_out, nullptr, acc_out,
                               [&](const int8_t* q, int32_t* acc) { ternary_matvec(q, w_t, k, n, acc); });
}

BitLinearStats bitlinear_q16_packed(const int32_t* v, int64_t k, int64_t n, const int32_t* norm_mant,
                                    const uint8_t* w_packed, Scale layer_c, Scale eps_term, int32_t* y,
                                    int8_t* codes_out, int32_t* acc_out) {
  return bitlinear_events_with(v, k, n, norm_mant, layer_c, eps_term, EventMode{}, nullptr, y, codes_out, nullptr, acc_out,
                               [&](const int8_t* q, int32_t* acc) { ternary_matvec_packed(q, w_packed, k, n, acc); });
}

BitLinearStats bitlinear_q16_packed_events(const int32_t* v, int64_t k, int64_t n, const int32_t* norm_mant,
                                           const uint8_t* w_packed, Scale layer_c, Scale eps_term,
                                           const EventMode& mode, int8_t* sent, int32_t* y, int8_t* codes_out,
                                           int32_t* values_out, int32_t* acc_out) {
  if (mode.sigma_delta() && sent == nullptr)
    throw std::invalid_argument("bitlinear_q16_packed_events: sigma-delta events need the inputs' sent codes");
  return bitlinear_events_with(v, k, n, norm_mant, layer_c, eps_term, mode, sent, y, codes_out, values_out, acc_out,
                               [&](const int8_t* q, int32_t* acc) { ternary_matvec_packed(q, w_packed, k, n, acc); });
}

const char* to_string(EventEncoding e) { return e == EventEncoding::kSigmaDelta ? "sigma_delta" : "absolute"; }

int split_event_value(int32_t v, int8_t ev[2]) {
  if (v > 2 * kActCodeMax || v < -2 * kActCodeMax) throw std::invalid_argument("split_event_value: |v| > 254");
  if (v == 0) return 0;
  if (v <= 127 && v >= -127) {
    ev[0] = static_cast<int8_t>(v);
    return 1;
  }
  const int32_t first = v > 0 ? 127 : -127;
  ev[0] = static_cast<int8_t>(first);
  ev[1] = static_cast<int8_t>(v - first);
  return 2;
}

}  // namespace neurark::arch
