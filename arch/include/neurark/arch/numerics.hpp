// SPDX-License-Identifier: Apache-2.0
// neurark/arch/numerics.hpp: the numerics contract — the ONE definition of every integer
// operation of the bit-exact HGRNBit datapath.
//
// The integer reference (models/), the functional and SystemC backends (sim/) call these
// functions; the RTL (rtl/) re-implements them and is compared against them bit for bit. No
// other part of neurark may re-implement a rounding, shift or saturation. docs/numerics.md
// specifies every function here with its bit widths, rounding mode and saturation, and says
// how the integer datapath relates to the float model (ridgerchu/matmulfreellm, a016f72).
//
// Fixed-point formats (Qm.f = signed, f fractional bits; UQ = unsigned):
//   activation  int32 Q15.16 (kActFrac)   residual stream, BitLinear outputs, i, g, logits
//   gate        int32 UQ7.24 (kGateFrac)  sigmoid outputs, forget gate f, 1 - f, lower bound
//   state       int32 Q11.20 (kStateFrac) MLGRU hidden state h and candidate c
//   BitLinear input  int32 mantissas of a block-floating-point vector (|v| <= 2^30): every
//               BitLinear starts with an RMSNorm and an absmax quantization, both invariant to
//               a common positive scale of the input, so only the mantissas matter.
//   activation codes int8 in [-127, 127] (absmax never produces -128; the MAC accepts it)
//   ternary weights  2-bit codes (TernaryCode), values {-1, 0, +1}
//   accumulators     int32
//   per-token scales Scale: 32-bit mantissa in [2^31, 2^32) times 2^exp (or zero)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace neurark::arch {

__extension__ typedef unsigned __int128 u128;

constexpr int kActFrac = 16;    // Q15.16 activations
constexpr int kGateFrac = 24;   // UQ7.24 gates (1.0 == 1 << 24)
constexpr int kStateFrac = 20;  // Q11.20 MLGRU state
constexpr int32_t kGateOne = int32_t{1} << kGateFrac;
constexpr int kNormWeightBits = 32;         // norm weights: int32 mantissas, per-tensor 2^-e
constexpr int32_t kNormWeightMantMax = 2147483647;  // |mantissa| <= 2^31 - 1
constexpr int kBlockMantissaBits = 30;      // BitLinear input mantissas: |v| <= 2^30
constexpr int32_t kActCodeMax = 127;        // absmax maps max|x| to +-127
// The revision of docs/numerics.md this build computes; chip images record it ("numerics") and
// are refused by a build of another revision (their constants would be read with other formats).
// 1: int16 norm weights (until 2026-12-07). 2: int32 norm weights. 3: the RMSNorms' eps kept
// (block scales, §4a). 4: sigmoid_q24 by quadratic interpolation in a UQ0.32 table (within one
// UQ7.24 LSB of the true sigmoid; the image's LUT is `lut.sigmoid_q32`).
constexpr int kNumericsVersion = 4;
// The eps of every BitLinear's own RMSNorm: 1e-6 whatever the config's rms_norm_eps says (the fused
// kernel the released models ran does not pass the module's eps on; fusedbitnet.py, docs/model.md).
constexpr double kBitLinearEps = 1e-6;

// ---- Rounding, shifting, saturation -----------------------------------------------------

// v / 2^s rounded to nearest, ties away from zero (the one rounding rule of the datapath).
// Any s >= 0 (s == 0 returns v, s >= 128 returns 0); exact for every int64 v (no overflow).
// Throws std::invalid_argument for s < 0.
int64_t round_shift(int64_t v, int s);
// Saturate to [INT32_MIN, INT32_MAX] / [-128, 127].
int32_t saturate_i32(int64_t v);
int8_t saturate_i8(int64_t v);
// a + b saturated to int32 (residual adds).
int32_t add_sat_i32(int32_t a, int32_t b);
// Number of significant bits of v (0 for 0): bit_length(5) == 3.
int bit_length(uint64_t v);
int bit_length(u128 v);

// ---- Ternary weights ----------------------------------------------------------------------

// 2-bit codes as stored in synapse SRAM, 4 per byte, lowest bits first (docs/numerics.md §2).
enum class TernaryCode : uint8_t { kZero = 0b00, kPlus = 0b01, kMinus = 0b11, kInvalid = 0b10 };
TernaryCode ternary_encode(int8_t w);  // w in {-1, 0, 1}; throws std::invalid_argument else
int8_t ternary_decode(TernaryCode c);  // throws std::invalid_argument for kInvalid

// Weight ternarization, per tensor (fusedbitnet.py weight_quant): s_w = 1 / max(mean|W|, 1e-5)
// in float32, W_t = clamp(round_half_even(W * s_w), -1, 1). `mean_abs` is mean|W| accumulated
// in double then rounded to float32 (docs/model.md). Load-time only (the only float in arch
// besides table generation); returns s_w and writes W_t.
float ternary_scale(double mean_abs);
// clamp(round_half_even(w * s_w), -1, 1) with the product in float32. For a finite or infinite
// product u this is exactly (u > 0.5) - (u < -0.5): |u| = 0.5 rounds to the even 0, and every
// |u| > 0.5 rounds to a magnitude >= 1 that the clamp takes to 1. Inline: compiling a large
// model ternarizes billions of weights.
inline int8_t ternarize(float w, float s_w) {
  const float u = w * s_w;
  return static_cast<int8_t>((u > 0.5f) - (u < -0.5f));
}

// One synaptic operation: acc + x * t for t in {-1, 0, +1} (add / subtract / skip); int32
// wrap is impossible for fan-in <= 2^23 (|x| <= 128), so no saturation is applied.
inline int32_t ternary_mac(int32_t acc, int8_t x, int8_t t) {
  return t == 0 ? acc : (t > 0 ? acc + x : acc - x);
}
// acc[o] = sum_k q[k] * w[o*k_in + k] over o < n_out (row-major ternary matrix).
void ternary_matvec(const int8_t* q, const int8_t* w, int64_t k_in, int64_t n_out, int32_t* acc);

// ---- Packed ternary matrices (2 bits per weight) ---------------------------------------------
//
// Layout: a row-major n_out x k_in matrix, each row ternary_row_bytes(k_in) = ceil(k_in / 4)
// bytes, row o at byte o * ternary_row_bytes(k_in). Inside a row the synapse SRAM's encoding
// (§2): weight k is the TernaryCode in bits [2 (k % 4) + 1 : 2 (k % 4)] of byte k / 4, lowest
// bits first; the padding codes of a row's last byte are 00. (A chip tile stores the same codes
// column-major, weight_memory.hpp; rows suit a matvec on a CPU.) A code read as a 2-bit two's
// complement number is its weight (00 = 0, 01 = +1, 11 = -1), which is what makes the SIMD
// decode cheap; the reserved code 10 (never written by ternary_pack) would count as -2.

// Bytes of one packed row of k_in weights: ceil(k_in / 4).
inline int64_t ternary_row_bytes(int64_t k_in) { return (k_in + 3) / 4; }
// Packs the row-major ternary matrix w [n_out x k_in] (values in {-1, 0, 1}) into `out`
// (n_out * ternary_row_bytes(k_in) bytes). Throws std::invalid_argument for another value.
void ternary_pack(const int8_t* w, int64_t k_in, int64_t n_out, uint8_t* out);
std::vector<uint8_t> ternary_pack(const int8_t* w, int64_t k_in, int64_t n_out);
// Unpacks one packed row of k_in weights to int8 {-1, 0, 1} in out[0..k_in).
void ternary_unpack_row(const uint8_t* row, int64_t k_in, int8_t* out);

// The kernels behind ternary_matvec_packed (for tests and benchmarks): kAuto picks AVX2 when the
// CPU has it, else the portable one; the binary itself stays baseline x86-64.
enum class TernaryKernel : uint8_t { kAuto, kPortable, kAvx2 };
// Whether `k` can run on this CPU (kAuto and kPortable always).
bool ternary_kernel_available(TernaryKernel k);
// The matvec of a packed matrix: acc[o] = sum_k q[k] * W[o][k] for o < n_out, W packed as above
// (w_packed: n_out * ternary_row_bytes(k_in) bytes), q: k_in int8 codes (any value, -128
// included). Bit-identical to ternary_matvec on the unpacked matrix for every kernel: every
// product and partial sum is exact (|sum| <= 128 k_in < 2^31 for k_in <= 2^23). Kernels:
//   portable: per token a table of the 256 partial sums of each group of 4 inputs (T-MAC), one
//             int16 lookup per packed byte and row;
//   avx2:     per token the codes are split into |q| (u8) and q, permuted within each block of
//             128 inputs so that the 4 bit-slices of 32 packed bytes line up with them; per row
//             and block 4 x (shift, mask, sign-extend, psignb, pmaddubsw), then pmaddwd into
//             int32. Blocks of fewer than 128 inputs at a row's end are done scalar.
// Throws std::invalid_argument if `kernel` is not available.
void ternary_matvec_packed(const int8_t* q, const uint8_t* w_packed, int64_t k_in, int64_t n_out, int32_t* acc,
                           TernaryKernel kernel = TernaryKernel::kAuto);

// ---- Activation quantization (per token absmax) --------------------------------------------

// max_k |u_k| of int64 values (|u_k| < 2^62).
uint64_t absmax(const int64_t* u, int64_t n);
// round_half_away(127 * u / m): the int8 code of u given the token's absmax m > 0; |u| <= m.
int8_t quantize_absmax(int64_t u, uint64_t m);
// quantize_absmax(u, m) for many u of one token, without a division per value: the code's
// magnitude is the number of thresholds t_j = ceil((2j - 1) m / 254), j = 1..127, that |u|
// reaches (|code| >= j exactly when 254 |u| >= (2j - 1) m), found by a 7-step binary search.
// Bit-identical to quantize_absmax for every int64 u (|u| < 2^63) and every m, m == 0 included.
class AbsmaxQuantizer {
 public:
  explicit AbsmaxQuantizer(uint64_t m);
  int8_t operator()(int64_t u) const {
    const uint64_t mag = u < 0 ? uint64_t{0} - static_cast<uint64_t>(u) : static_cast<uint64_t>(u);
    unsigned c = 0;
    for (unsigned step = 64; step != 0; step >>= 1) c += mag >= t_[c + step] ? step : 0u;
    return static_cast<int8_t>(u < 0 ? -static_cast<int>(c) : static_cast<int>(c));
  }

 private:
  std::array<uint64_t, kActCodeMax + 1> t_{};  // t_[0] = 0, t_[j] as above (all ~0 for m == 0)
};

// ---- Events: which activation codes a BitLinear input sends (docs/numerics.md §5b) -----------

// How a BitLinear input turns its int8 codes into events (a chip's neurocore.event_encoding):
//   absolute:    code q is sent when |q| > theta (theta = 0: every non-zero code, the dense path);
//   sigma_delta: the change d = q - s since the code s last sent on that input is sent when
//                |d| > theta, and then s = q; the receiving accumulators are not cleared between
//                tokens, so they hold W s (s = 0 after reset). At theta = 0, s = q after every
//                token and the outputs are bit-identical to the dense path.
enum class EventEncoding : uint8_t { kAbsolute, kSigmaDelta };
const char* to_string(EventEncoding e);  // "absolute", "sigma_delta"
constexpr int32_t kEventThresholdMax = 254;  // |d| <= 254 for codes in [-127, 127]
struct EventMode {
  EventEncoding encoding = EventEncoding::kAbsolute;
  int32_t threshold = 0;  // theta, 0 to kEventThresholdMax
  bool operator==(const EventMode& o) const { return encoding == o.encoding && threshold == o.threshold; }
  bool sigma_delta() const { return encoding == EventEncoding::kSigmaDelta; }
};

// What input code q sends this token (0: nothing): absolute, q if |q| > theta; sigma-delta,
// d = q - *sent if |d| > theta (then *sent = q), else 0 (*sent kept). `sent` is the input's
// sigma-delta state (read and written only for sigma_delta; may be null for absolute).
inline int32_t event_value(const EventMode& mode, int8_t q, int8_t* sent) {
  if (mode.encoding == EventEncoding::kAbsolute) return (q > mode.threshold || q < -mode.threshold) ? q : 0;
  const int32_t d = static_cast<int32_t>(q) - *sent;
  if (d <= mode.threshold && d >= -mode.threshold) return 0;
  *sent = q;
  return d;
}
// The int8 events (payload activation_bits = 8) that carry value v (|v| <= 254) to the
// accumulators, in this order: none for 0; v itself for |v| <= 127; else sign(v) * 127, then
// v - sign(v) * 127 (a change of more than 127 goes as two events on the same channel; their
// sum is v, so the accumulators are exact). Returns the count (0, 1 or 2); writes ev[0..count).
// Throws std::invalid_argument for |v| > 254 (absmax codes are in [-127, 127], so a change is
// at most 254 in magnitude).
int split_event_value(int32_t v, int8_t ev[2]);
// State memory sigma-delta events keep from token to token: per BitLinear input its last sent
// code (int8), per BitLinear output row its accumulator (int32). The compiler charges them to the
// neurocores holding the input and output segments; `run --streams` counts them per stream.
constexpr int64_t kSigmaDeltaSentCodeBytes = 1;
constexpr int64_t kSigmaDeltaAccumulatorBytes = 4;
// The count split_event_value gives (0, 1 or 2), for |v| <= 254.
inline int event_count(int32_t v) { return v == 0 ? 0 : (v <= 127 && v >= -127 ? 1 : 2); }

// ---- Block floating point (BitLinear inputs) ---------------------------------------------

// Normalizes int64 values to int32 mantissas sharing one shift: s = max(0, bit_length(max|p|)
// - 30), out_k = round_shift(p_k, s). Returns s. |out_k| <= 2^30.
int normalize_block(const int64_t* p, int64_t n, int32_t* out);
// The shift normalize_block uses for a block whose max |p_k| is `max_abs`: max(0,
// bit_length(max_abs) - 30). A block spread over several neurocores reduces max|p_k| across
// them (max is associative) and applies round_shift(p_k, block_shift(max)) locally: the same bits.
int block_shift(uint64_t max_abs);

// ---- Per-token scales ---------------------------------------------------------------------

// mant * 2^exp; mant == 0 means zero, otherwise mant in [2^31, 2^32).
struct Scale {
  uint32_t mant = 0;
  int32_t exp = 0;
  bool operator==(const Scale& o) const { return mant == o.mant && exp == o.exp; }
};
// Exact normalization of an integer to a Scale, rounding the dropped bits half up.
Scale scale_from_u128(u128 v);
// Load-time conversion of a finite double >= 0 (rounded half up at 32 bits).
Scale scale_from_double(double v);
double scale_to_double(Scale s);  // for reports and tests only
// Product, rounded half up to 32 mantissa bits.
Scale scale_mul(Scale a, Scale b);
// 1 / sqrt(v) for v > 0: v is truncated to 32 significant bits at an even bit position
// (m in [2^30, 2^32)), then mant = floor(sqrt(floor(2^94 / m))) (exact integer sqrt).
// rsqrt(0) returns the zero scale.
Scale scale_rsqrt(u128 v);
// Integer square root: floor(sqrt(v)).
uint64_t isqrt(u128 v);

// Requantize: round_half_away(acc * s) saturated to int32 (the one requantization rule).
int32_t requantize(int32_t acc, Scale s);

// ---- Norm helper reductions ----------------------------------------------------------------

// Sum of squares of int32 values, exact (u128; fan-in up to 2^64).
u128 sum_squares(const int32_t* v, int64_t n);

// ---- BitLinear per-token scale ------------------------------------------------------------

// a + b, exact, then rounded half up to 32 mantissa bits (scale_from_u128); a term more than 40
// binary orders below the other cannot change it and is dropped.
Scale scale_add(Scale a, Scale b);
// 1 / sqrt(d) for a Scale d > 0: with e = d.exp made even (m = d.mant, or 2 d.mant and e - 1 when
// d.exp is odd), scale_rsqrt(m) times 2^(-e / 2). Zero gives zero.
Scale scale_rsqrt(Scale d);

// ---- The RMSNorms' eps: what a block of mantissas stands for (docs/numerics.md §4a) ---------

// Block mantissas v (|v| <= 2^30) drop a positive factor that the absmax codes do not need but a
// BitLinear's RMSNorm eps does. The real vector is a_k = v_k * 2^-j, times the per-token RMSNorm
// scalar rsqrt(norm_sum_sq * 2^-32 / n + norm_eps) when the block comes out of a folded RMSNorm
// over n values (norm_sum_sq: the exact sum of squares of that RMSNorm's Q15.16 input). A Q15.16
// vector is the block {j = 16, not normed}.
struct BlockScale {
  int32_t j = kActFrac;
  bool normed = false;
  u128 norm_sum_sq = 0;
  int64_t norm_n = 0;
  Scale norm_eps;
  bool operator==(const BlockScale& o) const {
    return j == o.j && normed == o.normed && norm_sum_sq == o.norm_sum_sq && norm_n == o.norm_n && norm_eps == o.norm_eps;
  }
};
// The eps term a BitLinear of fan-in k adds to sum_k v_k^2 so that its RMSNorm is
// rsqrt(mean(a^2) + kBitLinearEps) exactly as the float model's (docs/numerics.md §5):
//   not normed: E = eps * k * 2^(2j)
//   normed:     E = eps * 2^(2j) * (norm_sum_sq * 2^-32 + norm_eps * k)   (needs k == norm_n)
// eps = bitlinear_eps(). Throws std::invalid_argument if a normed block's n differs from k.
Scale rmsnorm_eps_term(const BlockScale& block, int64_t k);
// scale_from_double(kBitLinearEps).
Scale bitlinear_eps();

// The output scale of one BitLinear for one token (docs/numerics.md §5):
//   S = C * m * rsqrt(scale_add(ss, E)), C = bitlinear_layer_scale(K, s_w, e_norm) (layer
//   constant), m = max_k |v_k * w_norm_k|, ss = sum_k v_k^2, E = rmsnorm_eps_term(block, K).
// Returns zero when m == 0 (then every code is 0) or ss + E == 0.
Scale bitlinear_token_scale(Scale layer_c, uint64_t m, u128 ss, Scale eps_term);

// ---- Activation functions ----------------------------------------------------------------

// Sigmoid LUT (docs/numerics.md §6): kSigmoidLutEntries = 1026 entries, entry i =
// floor(sigmoid(i / 64) * 2^32 + 0.5) in UQ0.32 for i = 0..1025 (domain [0, 16] in 1/64 steps, plus
// L[1025] = sigmoid(16 + 1/64), which the quadratic of the last segment reads), built once from
// double precision.
constexpr int kSigmoidLutSegments = 1024;
constexpr int kSigmoidLutEntries = kSigmoidLutSegments + 2;
constexpr int kSigmoidLutStepLog2 = 10;  // Q15.16 input: 2^10 units per 1/64 step
constexpr int kSigmoidLutFrac = 32;      // entries in UQ0.32
const std::array<uint32_t, kSigmoidLutEntries>& sigmoid_lut();
// sigmoid(z) in UQ7.24 for z in Q15.16: quadratic (Newton forward) interpolation through
// L[idx], L[idx + 1], L[idx + 2] for |z| < 16, computed exactly and rounded once; |z| >= 16
// saturates to 2^24 - 1 (1 for z <= -16); sigma(-z) = 2^24 - sigma(z). Within 6.02e-8 (1.01
// UQ7.24 LSB) of the true sigmoid for every input.
int32_t sigmoid_q24(int32_t z_q16);
// SiLU(z) = z * sigmoid(z): Q15.16 in, Q15.16 out (round_shift by 24, saturated).
int32_t silu_q16(int32_t z_q16);

// ---- Element-wise products -----------------------------------------------------------------

// round_shift(a * b, s) saturated to int32 (a * b exact in int64).
int32_t mul_shift_sat(int32_t a, int32_t b, int s);

// ---- MLGRU (HGRNBitAttention, fused_recurrent) -------------------------------------------

// f = lb + (1 - lb) * sigma, all UQ7.24: lb + round_shift((2^24 - lb) * sigma, 24).
int32_t forget_gate_q24(int32_t sigma_q24, int32_t lower_bound_q24);
// 1 - f for a gate f in UQ7.24 [0, 2^24] (the candidate's weight, docs/numerics.md §6).
inline int32_t one_minus_gate_q24(int32_t f_q24) { return kGateOne - f_q24; }
// c = SiLU(i) * (1 - f): Q15.16 x UQ7.24 -> Q11.20 (round_shift by 20, saturated).
int32_t mlgru_candidate_q20(int32_t silu_i_q16, int32_t one_minus_f_q24);
// h_t = f * h_{t-1} + c: round_shift(f * h, 24) + c, saturated (Q11.20).
int32_t mlgru_state_update_q20(int32_t f_q24, int32_t h_q20, int32_t c_q20);
// One channel of the MLGRU neuron unit for one token (docs/numerics.md §6): sigma =
// sigmoid_q24(fz); f = forget_gate_q24(sigma, lb) if `bounded` else sigma; c =
// mlgru_candidate_q20(silu_q16(i), 2^24 - f); *h = mlgru_state_update_q20(f, *h, c). Returns
// SiLU(h) in Q15.16: silu_q16(round_shift(*h, 4)).
int32_t mlgru_channel_q16(int32_t i_q16, int32_t fz_q16, int32_t lower_bound_q24, bool bounded,
                          int32_t* h_q20);


// ---- Load-time constant preparation ----------------------------------------------------------

// A norm weight vector as int32 mantissas sharing one exponent: w_k ~= mant_k * 2^-exp, with
// exp the largest integer in [0, 62] such that max|w| * 2^exp <= 2^31 - 1, mant_k =
// round_half_away(w_k * 2^exp): 31 significant bits for the largest weight, more than float32's
// 24 (docs/numerics.md §7, §9). All-zero weights give exp 0. Throws std::invalid_argument
// (naming the element and value) for a non-finite value, max|w| > 2^31 - 1, or 0 < max|w| so
// small that the mantissas would lose their precision (max|w| * 2^62 < 2^14).
struct NormWeightQ {
  std::vector<int32_t> mant;
  int exp = 0;
};
NormWeightQ quantize_norm_weight(const float* w, int64_t n);

// The per-layer constant of a BitLinear with fan-in k, float32 weight scale s_w (ternary_scale)
// and internal norm weight exponent e_norm: C = sqrt(k) * (1 / s_w) * 2^(16 - e_norm) / 127,
// computed in double and rounded by scale_from_double.
Scale bitlinear_layer_scale(int64_t k, float s_w, int e_norm);

// ---- Composite operations (what one neurocore pipeline does for one token) ----------------

// A folded RMSNorm (weight mantissas w, exponent w_exp, eps) applied to a Q15.16 vector ahead of
// BitLinears: p_k = x_k * w_k in int64 (|p_k| < 2^62), then normalize_block into v (the RMSNorm's
// own per-token scalar cancels in the codes of the BitLinears that follow; docs/numerics.md §4).
// Returns the block's scale {j = 16 + w_exp - shift, normed, sum_k x_k^2, n, eps} (§4a).
BlockScale apply_norm_weight(const int32_t* x, const int32_t* w, int w_exp, Scale eps, int64_t n, int32_t* v);
// Element-wise product of two blocks (a Q15.16 vector is the block {16}), then normalize_block
// (GLU and output-gate inputs). Returns {j = a.j + b.j - shift}, normed as whichever input is.
// Throws std::invalid_argument if both are normed.
BlockScale product_block(const int32_t* a, const BlockScale& a_scale, const int32_t* b, const BlockScale& b_scale,
                         int64_t n, int32_t* v);

// Statistics of one BitLinear evaluation for one token (for counters and cross-checks).
struct BitLinearStats {
  int64_t nonzero_inputs = 0;   // activation codes != 0
  int64_t events = 0;           // events sent (split_event_value counts; dense: nonzero_inputs)
  uint64_t absmax = 0;          // m
  Scale token_scale;            // S
};

// One BitLinear for one token (docs/numerics.md §5). v: k block-floating mantissas
// (|v| <= 2^30); norm_mant: k int32 (|u| < 2^61); w_t: n x k ternary values row-major; y: n outputs in
// Q15.16. Steps: u = v * norm_mant (int64); m = absmax(u); q = quantize_absmax(u, m);
// acc = ternary_matvec(q, w_t); S = bitlinear_token_scale(C, m, sum_squares(v), eps_term)
// with eps_term = rmsnorm_eps_term(the block's scale, k);
// y = requantize(acc, S). Optionally returns the int8 codes and int32 accumulators.
BitLinearStats bitlinear_q16(const int32_t* v, int64_t k, int64_t n, const int32_t* norm_mant,
                             const int8_t* w_t, Scale layer_c, Scale eps_term, int32_t* y,
                             int8_t* codes_out = nullptr, int32_t* acc_out = nullptr);
// The same with the ternary matrix packed (w_packed: n x ternary_row_bytes(k) bytes, the layout
// of ternary_pack), the matvec done by ternary_matvec_packed: bit-identical results.
BitLinearStats bitlinear_q16_packed(const int32_t* v, int64_t k, int64_t n, const int32_t* norm_mant,
                                    const uint8_t* w_packed, Scale layer_c, Scale eps_term, int32_t* y,
                                    int8_t* codes_out = nullptr, int32_t* acc_out = nullptr);
// The same under an event mode (§5b): the matvec is of the codes the accumulators have seen,
// q' = event-filtered codes (absolute: q if |q| > theta else 0; sigma-delta: the sent codes
// s after this token's update, sent[0..k) the input's state, read and written). At the dense
// mode (absolute, theta 0) identical to bitlinear_q16_packed. values_out (k entries, optional)
// gets each input's event_value; effective_out (k, optional) gets q'.
BitLinearStats bitlinear_q16_packed_events(const int32_t* v, int64_t k, int64_t n, const int32_t* norm_mant,
                                           const uint8_t* w_packed, Scale layer_c, Scale eps_term,
                                           const EventMode& mode, int8_t* sent, int32_t* y,
                                           int8_t* codes_out = nullptr, int32_t* values_out = nullptr,
                                           int32_t* acc_out = nullptr);

}  // namespace neurark::arch
