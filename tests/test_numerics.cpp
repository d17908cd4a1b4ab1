// SPDX-License-Identifier: Apache-2.0
// Unit tests of the numerics contract (arch/numerics.hpp): exact values, worked by hand.
#include <catch2/catch.hpp>

#include <random>

#include <cstring>

#include <algorithm>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "neurark/arch/numerics.hpp"

using namespace neurark::arch;

TEST_CASE("round_shift rounds half away from zero", "[numerics]") {
  CHECK(round_shift(5, 1) == 3);     // 2.5 -> 3
  CHECK(round_shift(-5, 1) == -3);   // -2.5 -> -3
  CHECK(round_shift(7, 1) == 4);     // 3.5 -> 4
  CHECK(round_shift(6, 2) == 2);     // 1.5 -> 2
  CHECK(round_shift(5, 2) == 1);     // 1.25 -> 1
  CHECK(round_shift(-6, 2) == -2);   // -1.5 -> -2
  CHECK(round_shift(-5, 2) == -1);   // -1.25 -> -1
  CHECK(round_shift(123, 0) == 123);
  CHECK(round_shift(std::numeric_limits<int64_t>::min(), 1) == -(int64_t{1} << 62));
  CHECK(round_shift(std::numeric_limits<int64_t>::max(), 63) == 1);
}

TEST_CASE("saturation", "[numerics]") {
  CHECK(saturate_i32(int64_t{1} << 40) == std::numeric_limits<int32_t>::max());
  CHECK(saturate_i32(-(int64_t{1} << 40)) == std::numeric_limits<int32_t>::min());
  CHECK(saturate_i8(200) == 127);
  CHECK(saturate_i8(-200) == -128);
  CHECK(add_sat_i32(std::numeric_limits<int32_t>::max(), 1) == std::numeric_limits<int32_t>::max());
  CHECK(add_sat_i32(std::numeric_limits<int32_t>::min(), -1) == std::numeric_limits<int32_t>::min());
  CHECK(add_sat_i32(-3, 5) == 2);
}

TEST_CASE("ternary codes and the synaptic operation", "[numerics]") {
  CHECK(ternary_encode(0) == TernaryCode::kZero);
  CHECK(ternary_encode(1) == TernaryCode::kPlus);
  CHECK(ternary_encode(-1) == TernaryCode::kMinus);
  CHECK_THROWS_AS(ternary_encode(2), std::invalid_argument);
  CHECK_THROWS_AS(ternary_decode(TernaryCode::kInvalid), std::invalid_argument);
  for (int8_t w : {int8_t{-1}, int8_t{0}, int8_t{1}}) CHECK(ternary_decode(ternary_encode(w)) == w);
  // -128 x -1 = +128: needs 9 bits, fine in the int32 accumulator.
  CHECK(ternary_mac(0, -128, -1) == 128);
  CHECK(ternary_mac(10, -128, 1) == -118);
  CHECK(ternary_mac(10, -128, 0) == 10);
  CHECK(ternary_mac(0, 127, -1) == -127);
}

TEST_CASE("accumulator worst case at the largest fan-in", "[numerics]") {
  // Largest fan-in of the published configs: down_proj of MMfreeLM-2.7B, I = 6912. Worst case:
  // every code -128 against every weight -1.
  const int64_t k = 6912;
  std::vector<int8_t> q(k, -128), w(2 * k, -1);
  for (int64_t i = k; i < 2 * k; ++i) w[static_cast<std::size_t>(i)] = 1;  // second row +1
  std::vector<int32_t> acc(2);
  ternary_matvec(q.data(), w.data(), k, 2, acc.data());
  CHECK(acc[0] == 884736);    // 128 * 6912
  CHECK(acc[1] == -884736);
}

TEST_CASE("weight ternarization: absmean, ties to even, all-zero tensor", "[numerics]") {
  // mean|W| = 0: clamp to 1e-5, s_w = 1e5, every weight 0.
  const float s0 = ternary_scale(0.0);
  CHECK(s0 == 1.0f / 1e-5f);
  CHECK(ternarize(0.0f, s0) == 0);
  // Ties go to even: 0.5 -> 0, -0.5 -> 0, 1.5 -> 2 -> clamp 1.
  CHECK(ternarize(0.5f, 1.0f) == 0);
  CHECK(ternarize(-0.5f, 1.0f) == 0);
  CHECK(ternarize(1.5f, 1.0f) == 1);
  CHECK(ternarize(0.50001f, 1.0f) == 1);
  CHECK(ternarize(-0.7f, 1.0f) == -1);
  CHECK(ternarize(-3.0f, 1.0f) == -1);
  // s_w = 1 / mean|W| in float32: mean 0.25 -> 4.
  CHECK(ternary_scale(0.25) == 4.0f);
  // The comparison form equals torch's clamp(round(w * s_w), -1, 1) (nearbyint: ties to even)
  // on every float around the thresholds and on random bit patterns.
  const auto torch_form = [](float w, float s) {
    return static_cast<int8_t>(std::clamp(std::nearbyint(w * s), -1.0f, 1.0f));
  };
  float x = 0.49f;
  for (int i = 0; i < 200000; ++i, x = std::nextafter(x, 2.0f)) {
    CHECK(ternarize(x, 1.0f) == torch_form(x, 1.0f));
    CHECK(ternarize(-x, 1.0f) == torch_form(-x, 1.0f));
  }
  std::mt19937 rng(3);
  int checked = 0;
  for (int i = 0; i < 1000000; ++i) {
    const uint32_t bw = static_cast<uint32_t>(rng()), bs = (static_cast<uint32_t>(rng()) & 0x3fffffffu) | 0x3f000000u;
    float w, sw;
    std::memcpy(&w, &bw, 4);
    std::memcpy(&sw, &bs, 4);
    if (!std::isfinite(w) || !std::isfinite(sw)) continue;
    ++checked;
    if (ternarize(w, sw) != torch_form(w, sw)) FAIL("w " << w << " s_w " << sw);
  }
  CHECK(checked > 900000);
}

TEST_CASE("absmax activation quantization rounds ties away from zero", "[numerics]") {
  const int64_t u[] = {254, -127, 1, -1, 0, 3};
  CHECK(absmax(u, 6) == 254);
  CHECK(quantize_absmax(254, 254) == 127);
  CHECK(quantize_absmax(-127, 254) == -64);  // -63.5 -> -64
  CHECK(quantize_absmax(1, 254) == 1);       // 0.5 -> 1
  CHECK(quantize_absmax(-1, 254) == -1);     // -0.5 -> -1
  CHECK(quantize_absmax(0, 254) == 0);
  CHECK(quantize_absmax(3, 254) == 2);       // 1.5 -> 2
  CHECK(quantize_absmax(5, 0) == 0);         // all-zero token
  // Full-scale 62-bit magnitudes do not overflow.
  const int64_t big = (int64_t{1} << 62) - 1;
  CHECK(quantize_absmax(-big, static_cast<uint64_t>(big)) == -127);
}

TEST_CASE("block normalization keeps 30-bit mantissas", "[numerics]") {
  const int64_t p[] = {int64_t{3} << 40, -(int64_t{1} << 39), 5};
  int32_t out[3];
  const int s = normalize_block(p, 3, out);
  CHECK(s == 12);  // bit_length(3 << 40) = 42
  CHECK(out[0] == 3 << 28);
  CHECK(out[1] == -(1 << 27));
  CHECK(out[2] == 0);
  const int64_t small[] = {100, -7};
  CHECK(normalize_block(small, 2, out) == 0);
  CHECK(out[0] == 100);
  CHECK(out[1] == -7);
}

TEST_CASE("Scale arithmetic", "[numerics]") {
  CHECK(scale_from_u128(1) == Scale{1u << 31, -31});
  CHECK(scale_from_u128(3) == Scale{3u << 30, -30});
  // 2^33 + 1: dropped bit is below half -> mantissa 2^31, exp 2.
  CHECK(scale_from_u128((u128{1} << 33) + 1) == Scale{1u << 31, 2});
  // 2^32 + 1 needs 33 bits: drop one bit (value 1 = exactly half) -> rounds up.
  CHECK(scale_from_u128((u128{1} << 32) + 1) == Scale{(1u << 31) + 1, 1});
  CHECK(scale_from_double(1.0) == Scale{1u << 31, -31});
  CHECK(scale_from_double(0.75) == Scale{3u << 30, -32});
  CHECK(scale_to_double(scale_from_double(0.1)) == Approx(0.1).epsilon(1e-9));
  const Scale a = scale_from_double(1.5), b = scale_from_double(2.5);
  CHECK(scale_mul(a, b) == scale_from_double(3.75));
  CHECK(scale_mul(a, Scale{}) == Scale{});
}

TEST_CASE("integer square root and rsqrt", "[numerics]") {
  CHECK(isqrt(0) == 0);
  CHECK(isqrt(15) == 3);
  CHECK(isqrt(16) == 4);
  CHECK(isqrt((u128{1} << 64) - 1) == 0xFFFFFFFFull);
  CHECK(isqrt(u128{1} << 100) == uint64_t{1} << 50);
  // rsqrt(4) = 0.5 exactly: m = 4 << 28 = 2^30, floor(2^47 / 2^15) = 2^32 -> renormalized.
  CHECK(scale_rsqrt(4) == Scale{1u << 31, -32});
  CHECK(scale_to_double(scale_rsqrt(4)) == 0.5);
  CHECK(scale_to_double(scale_rsqrt(u128{1} << 80)) == std::ldexp(1.0, -40));
  const double r3 = scale_to_double(scale_rsqrt(3));
  CHECK(r3 == Approx(1.0 / std::sqrt(3.0)).epsilon(1e-9));
  CHECK(r3 <= 1.0 / std::sqrt(3.0));  // floor: never above the true value
  CHECK(scale_rsqrt(0) == Scale{});
}

TEST_CASE("requantize rounds half away and saturates", "[numerics]") {
  const Scale half{1u << 31, -32};  // 0.5
  CHECK(requantize(3, half) == 2);     // 1.5 -> 2
  CHECK(requantize(-3, half) == -2);   // -1.5 -> -2
  CHECK(requantize(5, half) == 3);     // 2.5 -> 3
  CHECK(requantize(4, half) == 2);
  CHECK(requantize(0, half) == 0);
  CHECK(requantize(100, Scale{}) == 0);
  const Scale big{1u << 31, 10};  // 2^41
  CHECK(requantize(1, big) == std::numeric_limits<int32_t>::max());
  CHECK(requantize(-1, big) == std::numeric_limits<int32_t>::min());
  const Scale tiny{1u << 31, -100};
  CHECK(requantize(std::numeric_limits<int32_t>::max(), tiny) == 0);
}

TEST_CASE("sigmoid LUT and SiLU", "[numerics]") {
  const auto& lut = sigmoid_lut();
  REQUIRE(lut.size() == 1026);
  CHECK(lut[0] == 1u << 31);           // sigma(0) = 0.5 in UQ0.32
  CHECK(lut[64] == 3139872687u);       // round(sigma(1) * 2^32)
  CHECK(lut[1024] == 4294966813u);     // sigma(16)
  CHECK(lut[1025] == 4294966820u);     // sigma(16 + 1/64), read by the last segments only
  CHECK(sigmoid_q24(0) == 1 << 23);
  CHECK(sigmoid_q24(1 << 16) == 12265128);                 // z = 1.0: round(3139872687 / 2^8)
  CHECK(sigmoid_q24(-(1 << 16)) == (1 << 24) - 12265128);  // symmetry
  CHECK(sigmoid_q24(100 << 16) == (1 << 24) - 1);          // saturates at z >= 16
  CHECK(sigmoid_q24(std::numeric_limits<int32_t>::min()) == 1);
  // Quadratic interpolation, halfway between entries 0 and 1 (z = 1/128 = 512 in Q16, t = 1/2):
  // L0 + D1 / 2 - D2 / 8, exactly L0 2^21 + 512 (D1 2^11 - 512 D2), rounded once by 2^29.
  {
    const int64_t l0 = lut[0], d1 = int64_t{lut[1]} - lut[0], d2 = int64_t{lut[2]} - 2 * int64_t{lut[1]} + lut[0];
    const int64_t n = (l0 << 21) + 512 * ((d1 << 11) - 512 * d2);
    CHECK(sigmoid_q24(512) == static_cast<int32_t>((n + (int64_t{1} << 28)) >> 29));
  }
  // Accuracy over every input magnitude below 2^21 (|z| < 32, both sides of the saturation at
  // 16): within 6.02e-8 (about one UQ7.24 LSB, 5.96e-8) of the sigmoid in double precision.
  double worst = 0.0;
  for (int32_t a = 0; a < (1 << 21); ++a) {
    const double exact = 1.0 / (1.0 + std::exp(-std::ldexp(a, -16)));
    worst = std::max(worst, std::fabs(std::ldexp(sigmoid_q24(a), -24) - exact));
    worst = std::max(worst, std::fabs(std::ldexp(sigmoid_q24(-a), -24) - (1.0 - exact)));
  }
  CHECK(worst < 7e-8);
  CHECK(worst > 6e-8);  // 6.014e-8 at z = 1478 / 2^16: the bound docs/numerics.md §6 states
  CHECK(silu_q16(0) == 0);
  CHECK(silu_q16(1 << 16) == 47911);   // round(65536 * 12265128 / 2^24) = round(47910.66)
  CHECK(silu_q16(-(1 << 16)) == -17625); // -round(65536 * 4512088 / 2^24) = -round(17625.34)
}

TEST_CASE("MLGRU gate and state update", "[numerics]") {
  // f = lb + (1 - lb) * sigma with lb = 0.25, sigma = 0.5 -> 0.625.
  CHECK(forget_gate_q24(1 << 23, 1 << 22) == 10485760);
  // c = SiLU(i) * (1 - f): 2.0 (Q16) x 0.375 (Q24) = 0.75 (Q20).
  CHECK(mlgru_candidate_q20(2 << 16, 6291456) == 786432);
  // h = f h + c: 0.625 * 1.0 + 0.75 = 1.375 (Q20).
  CHECK(mlgru_state_update_q20(10485760, 1 << 20, 786432) == 1441792);
  // Saturation at the top of Q11.20.
  CHECK(mlgru_state_update_q20(1 << 24, std::numeric_limits<int32_t>::max(), 1 << 20) ==
        std::numeric_limits<int32_t>::max());
}

TEST_CASE("round_shift at and beyond 64 bits", "[numerics]") {
  CHECK(round_shift(std::numeric_limits<int64_t>::min(), 64) == -1);  // -0.5 -> -1
  CHECK(round_shift(std::numeric_limits<int64_t>::min(), 65) == 0);   // -0.25 -> 0
  CHECK(round_shift(std::numeric_limits<int64_t>::max(), 64) == 0);   // (2^63 - 1) / 2^64 < 0.5
  CHECK(round_shift(12345, 200) == 0);
  CHECK_THROWS_AS(round_shift(1, -1), std::invalid_argument);
}

TEST_CASE("Scale renormalization branches", "[numerics]") {
  // 2^33 - 1 rounds up to 2^32 at 32 bits -> renormalized to 2^31 * 2^2.
  CHECK(scale_from_u128((u128{1} << 33) - 1) == Scale{1u << 31, 2});
  // (2^31 + 1)(2^32 - 2) = 2^63 + 2^31 - 2: top bit set, shift 32, rounds to 2^31 + 0 (2^31 - 2 < 2^31).
  CHECK(scale_mul(Scale{(1u << 31) + 1, 0}, Scale{0xFFFFFFFEu, 0}) == Scale{(1u << 31), 32});
  // nextafter(1, 0) = 1 - 2^-53 rounds up to 2^32 at 32 bits -> 2^31 * 2^-31 = 1.0.
  CHECK(scale_from_double(std::nextafter(1.0, 0.0)) == Scale{1u << 31, -31});
  CHECK_THROWS_AS(scale_mul(Scale{1u << 31, 1 << 24}, Scale{1u << 31, 1 << 24}), std::overflow_error);
}

TEST_CASE("requantize at the int32 edges", "[numerics]") {
  const Scale one{1u << 31, -31};
  CHECK(requantize(std::numeric_limits<int32_t>::min(), one) == std::numeric_limits<int32_t>::min());
  CHECK(requantize(std::numeric_limits<int32_t>::max(), one) == std::numeric_limits<int32_t>::max());
  const Scale two{1u << 31, -30};
  CHECK(requantize(std::numeric_limits<int32_t>::min(), two) == std::numeric_limits<int32_t>::min());
  CHECK(requantize(-(1 << 30), two) == std::numeric_limits<int32_t>::min());   // -2^31 exactly
  CHECK(requantize(1 << 30, two) == std::numeric_limits<int32_t>::max());      // 2^31 saturates
  const Scale huge{1u << 31, 40};  // left shift by 71 bits: clamp, no UB
  CHECK(requantize(-7, huge) == std::numeric_limits<int32_t>::min());
}

TEST_CASE("sigmoid at the edge of the LUT domain", "[numerics]") {
  const auto& lut = sigmoid_lut();
  const int32_t below = (16 << 16) - 1;  // idx 1023, frac 1023: reads L[1023], L[1024], L[1025]
  const int64_t l0 = lut[1023], d1 = int64_t{lut[1024]} - lut[1023],
                d2 = int64_t{lut[1025]} - 2 * int64_t{lut[1024]} + lut[1023];
  const int64_t n = (l0 << 21) + 1023 * ((d1 << 11) + (1023 - 1024) * d2);
  CHECK(sigmoid_q24(below) == static_cast<int32_t>((n + (int64_t{1} << 28)) >> 29));
  CHECK(sigmoid_q24(below) == 16777214);
  CHECK(sigmoid_q24(16 << 16) == 16777215);
  CHECK(sigmoid_q24(-(16 << 16)) == 1);
  CHECK(sigmoid_q24(-below) == 2);
}

TEST_CASE("sums of squares, products and the BitLinear token scale", "[numerics]") {
  const int32_t v[] = {std::numeric_limits<int32_t>::min(), 3, -4};
  CHECK(sum_squares(v, 3) == (u128{1} << 62) + 25);
  CHECK(mul_shift_sat(3, 5, 1) == 8);     // 7.5 -> 8
  CHECK(mul_shift_sat(-3, 5, 1) == -8);
  CHECK(mul_shift_sat(1 << 30, 1 << 30, 0) == std::numeric_limits<int32_t>::max());
  // S = C * m * rsqrt(ss + E) with C = 1, m = 6, ss = 4, E = 0 -> 3 exactly; with ss = 9 the
  // floor in rsqrt makes it just below 2; with E = 5, ss + E = 9 again.
  const Scale one{1u << 31, -31};
  CHECK(scale_to_double(bitlinear_token_scale(one, 6, 4, Scale{})) == 3.0);
  const double s9 = scale_to_double(bitlinear_token_scale(one, 6, 9, Scale{}));
  CHECK(s9 < 2.0);
  CHECK(s9 > 2.0 - 1e-9);
  CHECK(bitlinear_token_scale(one, 6, 4, Scale{2684354560u, -29}) == bitlinear_token_scale(one, 6, 9, Scale{}));
  CHECK(bitlinear_token_scale(one, 0, 9, Scale{}) == Scale{});
  CHECK(bitlinear_token_scale(one, 6, 0, Scale{}) == Scale{});
}

TEST_CASE("scale_add and scale_rsqrt of a Scale, by hand", "[numerics]") {
  const Scale two{1u << 31, -30}, four{1u << 31, -29};
  CHECK(scale_add(two, two) == four);
  CHECK(scale_add(Scale{}, two) == two);
  CHECK(scale_add(two, Scale{}) == two);
  CHECK(scale_add(Scale{3u << 30, 0}, Scale{1u << 31, -1}) == Scale{1u << 31, 1});  // 3 * 2^30 + 2^30 = 2^32
  // (2^32 - 1) + 1/2: the sum's dropped half rounds up, to 2^32.
  CHECK(scale_add(Scale{0xFFFFFFFFu, 0}, Scale{1u << 31, -32}) == Scale{1u << 31, 1});
  // 41 binary orders apart: the smaller cannot reach half of the larger's last bit.
  CHECK(scale_add(two, Scale{0xFFFFFFFFu, -71}) == two);
  CHECK(scale_add(two, Scale{1u << 31, -70}) == two);                      // 2 + 2^-39: 1/512 of an ulp
  CHECK(scale_add(two, Scale{1u << 31, -62}) == Scale{(1u << 31) + 1, -30});  // 2 + half an ulp rounds up
  CHECK(scale_rsqrt(four) == Scale{1u << 31, -32});   // 1/2
  CHECK(scale_rsqrt(Scale{1u << 31, -35}) == Scale{1u << 31, -29});  // 1/16 -> 4
  const double r2 = scale_to_double(scale_rsqrt(two));
  CHECK(std::fabs(r2 - 1.0 / std::sqrt(2.0)) < 1e-9);
  CHECK(scale_rsqrt(Scale{}) == Scale{});
}

TEST_CASE("the RMSNorm eps term of a block, by hand", "[numerics]") {
  const double eps = scale_to_double(bitlinear_eps());
  CHECK(std::fabs(eps - 1e-6) < 1e-6 * 1e-9);
  // A Q15.16 vector of 4 values: E = 1e-6 * 4 * 2^32.
  const double plain = scale_to_double(rmsnorm_eps_term(BlockScale{}, 4));
  CHECK(std::fabs(plain - 1e-6 * 4 * 4294967296.0) < 1e-6 * 4 * 4294967296.0 * 1e-9);
  // A block out of a folded RMSNorm over 4 values with sum x^2 = 2^34 (Q15.16: 4.0 real) and
  // eps 1e-5, at j = 20: E = 1e-6 * 2^40 * (4 + 1e-5 * 4).
  BlockScale b;
  b.j = 20;
  b.normed = true;
  b.norm_sum_sq = u128{1} << 34;
  b.norm_n = 4;
  b.norm_eps = scale_from_double(1e-5);
  const double normed = scale_to_double(rmsnorm_eps_term(b, 4));
  const double want = 1e-6 * 1099511627776.0 * (4.0 + 4e-5);
  CHECK(std::fabs(normed - want) < want * 1e-9);
  CHECK_THROWS_AS(rmsnorm_eps_term(b, 8), std::invalid_argument);  // normed over 4, fan-in 8
}

TEST_CASE("norm weights become int32 mantissas with one exponent", "[numerics]") {
  const float w[] = {1.0f, -0.5f, 0.25f, 0.0f};
  const NormWeightQ q = quantize_norm_weight(w, 4);
  CHECK(q.exp == 30);  // 1.0 * 2^30 <= 2^31 - 1 < 2^31
  CHECK(q.mant == std::vector<int32_t>{1073741824, -536870912, 268435456, 0});
  const float mid[] = {32767.0f, 0.1f};
  const NormWeightQ qm = quantize_norm_weight(mid, 2);
  CHECK(qm.exp == 16);  // 32767 * 2^16 = 2147418112 <= 2147483647 < 32767 * 2^17
  CHECK(qm.mant == std::vector<int32_t>{2147418112, 6554});  // 0.1f * 2^16 = 6553.6001 -> 6554
  const float big[] = {2147483520.0f, -1.5f};  // 2^31 - 128, the largest float below 2^31
  const NormWeightQ qb = quantize_norm_weight(big, 2);
  CHECK(qb.exp == 0);
  CHECK(qb.mant == std::vector<int32_t>{2147483520, -2});  // -1.5 rounds away from zero
  const float zeros[] = {0.0f, 0.0f};
  CHECK(quantize_norm_weight(zeros, 2).exp == 0);
  const float too_big[] = {1.0f, 2147483648.0f};
  CHECK_THROWS_WITH(quantize_norm_weight(too_big, 2), Catch::Contains("element 1") && Catch::Contains("2147483647"));
  const float tiny[] = {1e-30f, -2e-30f};
  CHECK_THROWS_WITH(quantize_norm_weight(tiny, 2), Catch::Contains("zero mantissas"));
  const float bad[] = {1.0f, NAN};
  CHECK_THROWS_WITH(quantize_norm_weight(bad, 2), Catch::Contains("element 1"));
}

TEST_CASE("the BitLinear layer constant", "[numerics]") {
  // K = 4, s_w = 2 (mean|W| = 0.5), e = 14: C = 2 * 0.5 * 2^(16-14) / 127 = 4 / 127.
  CHECK(bitlinear_layer_scale(4, 2.0f, 14) == scale_from_double(4.0 / 127.0));
  CHECK(scale_to_double(bitlinear_layer_scale(4, 2.0f, 14)) == Approx(4.0 / 127.0).epsilon(1e-9));
}

TEST_CASE("one MLGRU channel composes the gate, candidate, state update and SiLU", "[numerics]") {
  // i = 2.0, fz = 0 (sigma = 0.5), lb = 0.25 -> f = 0.625, c = SiLU(2) * 0.375, h0 = 1.0.
  int32_t h = 1 << 20;
  const int32_t s = mlgru_channel_q16(2 << 16, 0, 1 << 22, true, &h);
  const int32_t c = mlgru_candidate_q20(silu_q16(2 << 16), (1 << 24) - 10485760);
  CHECK(h == mlgru_state_update_q20(10485760, 1 << 20, c));
  CHECK(s == silu_q16(static_cast<int32_t>(round_shift(h, 4))));
  // Without a bound, f = sigma = 0.5.
  int32_t h2 = 1 << 20;
  mlgru_channel_q16(2 << 16, 0, 1 << 22, false, &h2);
  CHECK(h2 == mlgru_state_update_q20(1 << 23, 1 << 20, mlgru_candidate_q20(silu_q16(2 << 16), 1 << 23)));
  // Independently (Python): L[128] = 14777323, SiLU(2) = round(2^17 * L[128] / 2^24) = 115448,
  // c = round(115448 * 6291456 / 2^20) = 692688.
  CHECK(silu_q16(2 << 16) == 115448);
  CHECK(c == 692688);
}

TEST_CASE("packed ternary matvec equals ternary_matvec on every kernel", "[numerics]") {
  std::mt19937_64 rng(13);
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1},   {3, 5},    {4, 1},   {7, 2},    {63, 3},
                                                           {64, 4},  {127, 2},  {128, 3}, {129, 5},  {130, 1},
                                                           {255, 7}, {256, 17}, {385, 9}, {1000, 4}, {2816, 3}};
  for (const auto& [k, n] : shapes) {
    std::vector<int8_t> q(static_cast<std::size_t>(k)), w(static_cast<std::size_t>(k * n));
    for (int8_t& x : q) x = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
    for (int8_t& x : w) x = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
    if (k >= 2) q[0] = -128, q[1] = 127;  // the extreme codes
    // Worst case rows: all +1 and all -1 against all -128 (|acc| = 128 k).
    std::vector<int8_t> q_min(static_cast<std::size_t>(k), -128);
    const std::vector<uint8_t> packed = ternary_pack(w.data(), k, n);
    REQUIRE(static_cast<int64_t>(packed.size()) == n * ternary_row_bytes(k));
    std::vector<int8_t> row(static_cast<std::size_t>(k));
    for (int64_t o = 0; o < n; ++o) {
      ternary_unpack_row(packed.data() + o * ternary_row_bytes(k), k, row.data());
      REQUIRE(std::equal(row.begin(), row.end(), w.begin() + o * k));
    }
    std::vector<int8_t> w_pm(static_cast<std::size_t>(2 * k));
    std::fill(w_pm.begin(), w_pm.begin() + k, int8_t{1});
    std::fill(w_pm.begin() + k, w_pm.end(), int8_t{-1});
    const std::vector<uint8_t> packed_pm = ternary_pack(w_pm.data(), k, 2);
    for (TernaryKernel kern : {TernaryKernel::kAuto, TernaryKernel::kPortable, TernaryKernel::kAvx2}) {
      if (!ternary_kernel_available(kern)) continue;
      CAPTURE(k, n, static_cast<int>(kern));
      std::vector<int32_t> want(static_cast<std::size_t>(n)), got(static_cast<std::size_t>(n), 7);
      ternary_matvec(q.data(), w.data(), k, n, want.data());
      ternary_matvec_packed(q.data(), packed.data(), k, n, got.data(), kern);
      CHECK(got == want);
      std::vector<int32_t> pm(2);
      ternary_matvec_packed(q_min.data(), packed_pm.data(), k, 2, pm.data(), kern);
      CHECK(pm[0] == -128 * k);
      CHECK(pm[1] == 128 * k);
    }
  }
  CHECK_THROWS_AS(ternary_pack(std::vector<int8_t>{2}.data(), 1, 1), std::invalid_argument);
}

TEST_CASE("AbsmaxQuantizer equals quantize_absmax bit for bit", "[numerics]") {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> ms = {1, 2, 127, 253, 254, 255, 508, 1000003, (uint64_t{1} << 55) - 1, uint64_t{1} << 55,
                              (uint64_t{1} << 61) - 1, (uint64_t{1} << 62) - 1};
  for (int i = 0; i < 200; ++i) ms.push_back((rng() >> (rng() % 63)) | 1);
  for (uint64_t m : ms) {
    const AbsmaxQuantizer quantize(m);
    std::vector<int64_t> us = {0, 1, -1, static_cast<int64_t>(m), -static_cast<int64_t>(m), static_cast<int64_t>(m / 2),
                               -static_cast<int64_t>(m / 2)};
    for (uint64_t j = 1; j <= 127; ++j) {  // both sides of every rounding threshold
      const auto t = static_cast<int64_t>(static_cast<uint64_t>((static_cast<u128>(2 * j - 1) * m + 253) / 254));
      for (int64_t d : {-1, 0, 1}) {
        us.push_back(t + d);
        us.push_back(-(t + d));
      }
    }
    for (int i = 0; i < 50; ++i) us.push_back(static_cast<int64_t>(rng() % (m + 1)) * (rng() % 2 ? 1 : -1));
    for (int64_t u : us) {
      if (static_cast<uint64_t>(u < 0 ? -u : u) > m) continue;
      CAPTURE(m, u);
      REQUIRE(quantize(u) == quantize_absmax(u, m));
    }
  }
  const AbsmaxQuantizer zero(0);
  CHECK(zero(0) == 0);
  CHECK(zero(12345) == 0);
  CHECK(zero(-(int64_t{1} << 61)) == 0);
  // Beyond m the magnitude is clamped to 127, as quantize_absmax does.
  CHECK(AbsmaxQuantizer(10)(1000) == quantize_absmax(1000, 10));
  CHECK(AbsmaxQuantizer(10)(-1000) == quantize_absmax(-1000, 10));
}

TEST_CASE("round_shift's 64-bit path equals the 128-bit definition", "[numerics]") {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    const int64_t v = static_cast<int64_t>(rng() >> (rng() % 64)) * (rng() % 2 ? 1 : -1);
    const int s = static_cast<int>(rng() % 66);
    const u128 mag = v < 0 ? static_cast<u128>(-static_cast<u128>(static_cast<uint64_t>(v))) & ~uint64_t{0}
                           : static_cast<u128>(v);
    const u128 r = s == 0 ? mag : (mag + (u128{1} << (s - 1))) >> s;
    const int64_t want = s == 0 ? v : (v < 0 ? -static_cast<int64_t>(r) : static_cast<int64_t>(r));
    CAPTURE(v, s);
    REQUIRE(round_shift(v, s) == want);
  }
}

TEST_CASE("requantize's 64-bit path equals the 128-bit definition", "[numerics]") {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    const auto acc = static_cast<int32_t>(static_cast<uint32_t>(rng()) >> (rng() % 32));
    const Scale s{static_cast<uint32_t>(rng() | (uint64_t{1} << 31)), -static_cast<int32_t>(rng() % 70)};
    const u128 mag = static_cast<u128>(acc < 0 ? -static_cast<int64_t>(acc) : acc) * s.mant;
    const int sh = -s.exp;
    const u128 r = sh == 0 ? mag : (mag + (u128{1} << (sh - 1))) >> sh;
    const int64_t signed_r = acc < 0 ? -static_cast<int64_t>(std::min<u128>(r, u128{1} << 40))
                                     : static_cast<int64_t>(std::min<u128>(r, u128{1} << 40));
    CAPTURE(acc, s.mant, s.exp);
    REQUIRE(requantize(acc, s) == saturate_i32(signed_r));
  }
}

// ---- Events (docs/numerics.md §5b) ---------------------------------------------------------

TEST_CASE("event_value and split_event_value, by hand", "[numerics][events]") {
  EventMode abs2;
  abs2.threshold = 2;
  CHECK(event_value(EventMode{}, 0, nullptr) == 0);
  CHECK(event_value(EventMode{}, -1, nullptr) == -1);
  CHECK(event_value(abs2, 2, nullptr) == 0);   // |q| <= theta: nothing
  CHECK(event_value(abs2, -2, nullptr) == 0);
  CHECK(event_value(abs2, 3, nullptr) == 3);
  CHECK(event_value(abs2, -127, nullptr) == -127);
  EventMode sd;
  sd.encoding = EventEncoding::kSigmaDelta;
  sd.threshold = 3;
  int8_t sent = 10;
  CHECK(event_value(sd, 13, &sent) == 0);  // change 3 <= theta: nothing sent, state kept
  CHECK(sent == 10);
  CHECK(event_value(sd, 14, &sent) == 4);  // change 4: sent, state updated
  CHECK(sent == 14);
  CHECK(event_value(sd, -120, &sent) == -134);
  CHECK(sent == -120);
  sd.threshold = 0;
  CHECK(event_value(sd, -120, &sent) == 0);  // no change, nothing even at theta 0
  CHECK(event_value(sd, 127, &sent) == 247);
  int8_t ev[2] = {0, 0};
  CHECK(split_event_value(0, ev) == 0);
  CHECK(split_event_value(-127, ev) == 1);
  CHECK(ev[0] == -127);
  CHECK(split_event_value(128, ev) == 2);
  CHECK((ev[0] == 127 && ev[1] == 1));
  CHECK(split_event_value(-254, ev) == 2);
  CHECK((ev[0] == -127 && ev[1] == -127));
  CHECK_THROWS_AS(split_event_value(255, ev), std::invalid_argument);
  CHECK_THROWS_AS(split_event_value(-255, ev), std::invalid_argument);
  for (int v = -254; v <= 254; ++v) {
    const int n = split_event_value(v, ev);
    CHECK(n == event_count(v));
    CHECK((n == 0 ? 0 : ev[0] + (n == 2 ? ev[1] : 0)) == v);  // the events sum to the value
  }
  CHECK(std::string(to_string(EventEncoding::kSigmaDelta)) == "sigma_delta");
}

TEST_CASE("bitlinear under events: dense identical, sigma-delta at theta 0 identical token after token, "
          "accumulators W times the sent codes", "[numerics][events]") {
  std::mt19937_64 rng(77);
  const int64_t k = 300, n = 37;
  std::vector<int8_t> w(static_cast<std::size_t>(k * n));
  for (int8_t& x : w) x = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  const std::vector<uint8_t> packed = ternary_pack(w.data(), k, n);
  std::vector<int32_t> norm(static_cast<std::size_t>(k));
  for (int32_t& x : norm) x = static_cast<int32_t>(rng() % 4000000) + 1000;
  const Scale c = scale_from_double(0.013), eps = scale_from_double(1e-3);
  EventMode sd0, sd3, abs3;
  sd0.encoding = sd3.encoding = EventEncoding::kSigmaDelta;
  sd3.threshold = abs3.threshold = 3;
  std::vector<int8_t> sent0(static_cast<std::size_t>(k), 0), sent3(static_cast<std::size_t>(k), 0);
  std::vector<int32_t> v(static_cast<std::size_t>(k)), y(static_cast<std::size_t>(n)), y2(static_cast<std::size_t>(n)),
      acc(static_cast<std::size_t>(n)), values(static_cast<std::size_t>(k));
  std::vector<int8_t> q(static_cast<std::size_t>(k)), q2(static_cast<std::size_t>(k));
  int64_t events_sd3 = 0, events_dense = 0;
  for (int token = 0; token < 20; ++token) {
    // Slowly varying inputs (what a recurrent model's activations look like token to token).
    for (int64_t i = 0; i < k; ++i)
      v[static_cast<std::size_t>(i)] = static_cast<int32_t>(std::lround(4e5 * std::sin(0.05 * i + 0.01 * token))) +
                                       static_cast<int32_t>(rng() % 2000) - 1000;
    const BitLinearStats dense = bitlinear_q16_packed(v.data(), k, n, norm.data(), packed.data(), c, eps, y.data(), q.data());
    events_dense += dense.events;
    CHECK(dense.events == dense.nonzero_inputs);
    // Dense mode through the events entry point: the same bits.
    BitLinearStats st = bitlinear_q16_packed_events(v.data(), k, n, norm.data(), packed.data(), c, eps, EventMode{}, nullptr,
                                                    y2.data(), q2.data(), values.data());
    CHECK(y2 == y);
    CHECK(st.events == dense.events);
    // Sigma-delta at theta 0: outputs identical; the sent codes are the codes.
    st = bitlinear_q16_packed_events(v.data(), k, n, norm.data(), packed.data(), c, eps, sd0, sent0.data(), y2.data());
    CHECK(y2 == y);
    CHECK(sent0 == q);
    // Sigma-delta at theta 3: accumulators = W times the sent codes, |code - sent| <= 3 everywhere.
    st = bitlinear_q16_packed_events(v.data(), k, n, norm.data(), packed.data(), c, eps, sd3, sent3.data(), y2.data(), q2.data(),
                                     values.data(), acc.data());
    events_sd3 += st.events;
    for (int64_t i = 0; i < k; ++i) CHECK(std::abs(q2[static_cast<std::size_t>(i)] - sent3[static_cast<std::size_t>(i)]) <= 3);
    for (int64_t o = 0; o < n; ++o) {
      int32_t want = 0;
      for (int64_t i = 0; i < k; ++i) want += w[static_cast<std::size_t>(o * k + i)] * sent3[static_cast<std::size_t>(i)];
      CHECK(acc[static_cast<std::size_t>(o)] == want);
    }
    // Absolute at theta 3: the matvec of the thresholded codes.
    st = bitlinear_q16_packed_events(v.data(), k, n, norm.data(), packed.data(), c, eps, abs3, nullptr, y2.data(), q2.data(),
                                     values.data(), acc.data());
    int64_t nz = 0;
    for (int64_t i = 0; i < k; ++i) {
      const int8_t qi = q2[static_cast<std::size_t>(i)];
      CHECK(values[static_cast<std::size_t>(i)] == (std::abs(qi) > 3 ? qi : 0));
      nz += std::abs(qi) > 3;
    }
    CHECK(st.events == nz);
  }
  CHECK(events_sd3 < events_dense / 2);  // slowly varying inputs: far fewer changes than codes
  CHECK_THROWS_AS(bitlinear_q16_packed_events(v.data(), k, n, norm.data(), packed.data(), c, eps, sd3, nullptr, y2.data()),
                  std::invalid_argument);
}
