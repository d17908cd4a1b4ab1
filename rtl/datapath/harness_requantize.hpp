// SPDX-License-Identifier: Apache-2.0
// rtl/datapath/harness_requantize.hpp: harness of nrk_requantize against arch::requantize.
// A template on the Verilated model class, so that the mutation test drives a deliberately
// broken copy of the block with the same code.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "dp_sim.hpp"
#include "dp_stream.hpp"
#include "neurark/arch/numerics.hpp"

namespace neurark::rtl::datapath {

struct RequantizeVector {
  int32_t acc;
  arch::Scale s;
};

// Edge cases of docs/numerics.md §5: zero acc / zero scale, INT32 extremes, rounding ties
// (P an odd multiple of 2^(sh-1)), saturation on both sides, shifts around 0, 32 and 64, the
// int32 extremes of the exponent, unnormalized mantissas.
inline std::vector<RequantizeVector> requantize_edge_vectors() {
  const int32_t kMin = std::numeric_limits<int32_t>::min(), kMax = std::numeric_limits<int32_t>::max();
  const int32_t accs[] = {0, 1, -1, 2, -2, 3, -3, 5, -5, 127, -128, 884736, -884736,
                          kMax, kMin, kMax - 1, kMin + 1, 1 << 30, -(1 << 30)};
  const uint32_t mants[] = {0u, 1u, 0x80000000u, 0x80000001u, 0xC0000000u, 0xFFFFFFFFu, 0xAAAAAAABu};
  const int32_t exps[] = {kMin, kMin + 1, -(1 << 24), -128, -66, -65, -64, -63, -62, -34, -33, -32,
                          -31, -30, -2, -1, 0, 1, 31, 32, 33, 63, 64, kMax};
  std::vector<RequantizeVector> v;
  for (int32_t a : accs)
    for (uint32_t mt : mants)
      for (int32_t e : exps) v.push_back({a, {mt, e}});
  return v;
}

inline std::vector<RequantizeVector> requantize_random_vectors(Rng& rng, int64_t n) {
  std::vector<RequantizeVector> v;
  v.reserve(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    RequantizeVector x{};
    const int64_t kind = rng.range(0, 9);
    x.acc = kind < 4 ? static_cast<int32_t>(rng.any_size(32))   // every magnitude
            : kind < 8 ? static_cast<int32_t>(rng.range(-884736, 884736))  // accumulator range
                       : rng.i32();
    const int64_t mk = rng.range(0, 19);
    x.s.mant = mk == 0 ? 0u : mk == 1 ? static_cast<uint32_t>(rng.bits())
                                      : static_cast<uint32_t>(rng.urange(0x80000000ull, 0xFFFFFFFFull));
    const int64_t ek = rng.range(0, 9);
    x.s.exp = ek < 7 ? static_cast<int32_t>(rng.range(-70, 2))       // real token scales
              : ek < 9 ? static_cast<int32_t>(rng.range(-200, 100)) : rng.i32();
    v.push_back(x);
  }
  return v;
}

template <class Model>
BlockResult run_requantize_vectors(const std::string& block, const std::string& source,
                                   const std::vector<RequantizeVector>& vec, uint64_t seed,
                                   const std::string& fst) {
  Sim<Model> sim(fst);
  sim.reset();
  Checker chk(block, source);
  Rng rng(seed, 0x5e9);
  run_stream(
      sim, rng, Throttle{}, vec.size(),
      [&](Model& m, std::size_t i) {
        m.acc_i = static_cast<uint32_t>(vec[i].acc);
        m.scale_mant_i = vec[i].s.mant;
        m.scale_exp_i = static_cast<uint32_t>(vec[i].s.exp);
      },
      [&](Model& m, std::size_t i) {
        const RequantizeVector& x = vec[i];
        const int32_t want = arch::requantize(x.acc, x.s);
        const auto got = static_cast<int32_t>(m.y_o);
        chk.check(got == want, [&] {
          return "acc " + std::to_string(x.acc) + ", S = (mant " + std::to_string(x.s.mant) + ", exp " +
                 std::to_string(x.s.exp) + "): expected " + std::to_string(want) + ", got " +
                 std::to_string(got);
        });
      },
      chk);
  return chk.finish(sim.cycles());
}

template <class Model>
std::vector<BlockResult> run_requantize(const VerifyOptions& o, const std::string& block = "requantize") {
  Rng rng(o.seed, 0x12e9);
  std::vector<BlockResult> out;
  out.push_back(run_requantize_vectors<Model>(block, "random seed " + std::to_string(o.seed),
                                              requantize_random_vectors(rng, o.vectors), o.seed,
                                              fst_path_for(o.fst_path, block, "random")));
  out.push_back(run_requantize_vectors<Model>(block, "edge cases", requantize_edge_vectors(), o.seed,
                                              fst_path_for(o.fst_path, block, "edge")));
  return out;
}

}  // namespace neurark::rtl::datapath
