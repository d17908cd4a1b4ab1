// SPDX-License-Identifier: Apache-2.0
// rtl/datapath/harness_activation.hpp: harnesses of nrk_activation (arch::sigmoid_q24,
// arch::silu_q16) and nrk_mlgru (arch::mlgru_channel_q16, forget_gate_q24,
// mlgru_candidate_q20, mlgru_state_update_q20). Templates on the Verilated model class.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "dp_sim.hpp"
#include "dp_stream.hpp"
#include "neurark/arch/numerics.hpp"

namespace neurark::rtl::datapath {

// Writes arch::sigmoid_lut() into the block's table through its load port.
template <class Model>
void load_sigmoid_lut(Sim<Model>& sim) {
  const auto& lut = arch::sigmoid_lut();
  Model& m = sim.m();
  for (std::size_t i = 0; i < lut.size(); ++i) {
    m.lut_we_i = 1;
    m.lut_waddr_i = static_cast<uint16_t>(i);
    m.lut_wdata_i = lut[i];
    sim.tick();
  }
  m.lut_we_i = 0;
  sim.settle();
}

// ---- nrk_activation -------------------------------------------------------------------------

// Edge cases of docs/numerics.md §6: every table point (z = 1024 i), every segment midpoint
// (frac = 512, t = 1/2) and its ends (frac = 1, 1023: the last segment reads L[1025]), both signs
// (every segment offset mod 4 selects the table banks differently), the |z| = 2^20 boundary
// (z >= 16 saturates), INT32 extremes (|INT32_MIN| = 2^31 in 33 bits), 0 and +-1, and SiLU
// rounding ties of both signs: z = +-j 2^23 (j odd) lies in the saturated range, where sigma is
// 2^24 - 1 or 1, both odd, so z * sigma is an odd multiple of 2^23.
inline std::vector<int32_t> activation_edge_vectors() {
  std::vector<int32_t> v;
  for (int32_t i = 0; i <= 1024; ++i) {
    for (int32_t z : {i * 1024, i * 1024 + 512, i * 1024 + 1, i * 1024 + 1023}) {
      v.push_back(z);
      v.push_back(-z);
    }
  }
  const int32_t kMin = std::numeric_limits<int32_t>::min(), kMax = std::numeric_limits<int32_t>::max();
  for (int32_t z : {0, 1, -1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, -((1 << 20) - 1), -(1 << 20),
                    -((1 << 20) + 1), kMin, kMin + 1, kMax, kMax - 1, 1 << 30, -(1 << 30)})
    v.push_back(z);
  for (int32_t j = 1; j < 256; j += 2) {
    v.push_back(j * (1 << 23));
    v.push_back(-j * (1 << 23));
  }
  return v;
}

inline std::vector<int32_t> activation_random_vectors(Rng& rng, int64_t n) {
  std::vector<int32_t> v;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = rng.range(0, 9);
    v.push_back(k < 6 ? static_cast<int32_t>(rng.range(-(1 << 21), 1 << 21))  // the table's domain
                : k < 9 ? static_cast<int32_t>(rng.any_size(32)) : rng.i32());
  }
  return v;
}

template <class Model>
BlockResult run_activation_vectors(const std::string& block, const std::string& source,
                                   const std::vector<int32_t>& vec, uint64_t seed, const std::string& fst) {
  Sim<Model> sim(fst);
  sim.reset();
  load_sigmoid_lut(sim);
  Checker chk(block, source);
  Rng rng(seed, 0xac7);
  run_stream(
      sim, rng, Throttle{}, vec.size(), [&](Model& m, std::size_t i) { m.z_i = static_cast<uint32_t>(vec[i]); },
      [&](Model& m, std::size_t i) {
        const int32_t z = vec[i];
        const int32_t want_s = arch::sigmoid_q24(z), want_y = arch::silu_q16(z);
        const auto got_s = static_cast<int32_t>(m.sigma_o), got_y = static_cast<int32_t>(m.silu_o);
        chk.check(got_s == want_s && got_y == want_y, [&] {
          return "z " + std::to_string(z) + ": expected sigmoid_q24 " + std::to_string(want_s) + ", silu_q16 " +
                 std::to_string(want_y) + "; got " + std::to_string(got_s) + ", " + std::to_string(got_y);
        });
      },
      chk);
  return chk.finish(sim.cycles());
}

template <class Model>
std::vector<BlockResult> run_activation(const VerifyOptions& o, const std::string& block = "activation") {
  Rng rng(o.seed, 0xac71);
  std::vector<BlockResult> out;
  out.push_back(run_activation_vectors<Model>(block, "random seed " + std::to_string(o.seed),
                                              activation_random_vectors(rng, o.vectors), o.seed,
                                              fst_path_for(o.fst_path, block, "random")));
  out.push_back(run_activation_vectors<Model>(block, "edge cases", activation_edge_vectors(), o.seed,
                                              fst_path_for(o.fst_path, block, "edge")));
  return out;
}

// ---- nrk_mlgru ------------------------------------------------------------------------------

struct MlgruVector {
  int32_t i, fz, lb;
  bool bounded;
  int32_t h;
};

// Edge cases: lower bounds 0, 1/2, 1 - 2^-24 and 1 (then 1 - f = 0), unbounded layers, |f_z| at
// and beyond the sigmoid's saturation (±16), INT32 extremes of i (candidate saturation: SiLU(i)
// * 16 (1 - f) exceeds int32) and of h (state saturation on both sides), zero state.
inline std::vector<MlgruVector> mlgru_edge_vectors() {
  const int32_t kMin = std::numeric_limits<int32_t>::min(), kMax = std::numeric_limits<int32_t>::max();
  const int32_t is[] = {0, 1, -1, 1 << 16, -(1 << 16), 1 << 27, 1 << 28, kMax, kMin, -(1 << 28)};
  const int32_t fzs[] = {0, -(1 << 20), 1 << 20, kMax, kMin, 65536, -65536};
  const int32_t lbs[] = {0, 1 << 23, (1 << 24) - 1, 1 << 24};
  const int32_t hs[] = {0, 1, -1, kMax, kMin, 1 << 20, -(1 << 20), kMax - 7, kMin + 8};
  std::vector<MlgruVector> v;
  for (int32_t i : is)
    for (int32_t fz : fzs)
      for (int32_t lb : lbs)
        for (bool b : {false, true})
          for (int32_t h : hs) {
            if (!b && lb != 0) continue;  // the lower bound is unused when not bounded
            v.push_back({i, fz, lb, b, h});
          }
  return v;
}

inline std::vector<MlgruVector> mlgru_random_vectors(Rng& rng, int64_t n) {
  std::vector<MlgruVector> v;
  for (int64_t k = 0; k < n; ++k) {
    MlgruVector x{};
    x.i = rng.chance(0.8) ? static_cast<int32_t>(rng.range(-(1 << 22), 1 << 22)) : rng.i32();
    x.fz = rng.chance(0.8) ? static_cast<int32_t>(rng.range(-(1 << 21), 1 << 21)) : rng.i32();
    x.lb = static_cast<int32_t>(rng.range(0, 1 << 24));  // UQ7.24 lower bounds lie in [0, 1]
    x.bounded = rng.chance(0.7);
    x.h = rng.chance(0.7) ? static_cast<int32_t>(rng.any_size(26)) : rng.i32();
    v.push_back(x);
  }
  return v;
}

template <class Model>
BlockResult run_mlgru_vectors(const std::string& block, const std::string& source,
                              const std::vector<MlgruVector>& vec, uint64_t seed, const std::string& fst) {
  Sim<Model> sim(fst);
  sim.reset();
  load_sigmoid_lut(sim);
  Checker chk(block, source);
  Rng rng(seed, 0x91e);
  run_stream(
      sim, rng, Throttle{}, vec.size(),
      [&](Model& m, std::size_t k) {
        const MlgruVector& x = vec[k];
        m.i_i = static_cast<uint32_t>(x.i);
        m.fz_i = static_cast<uint32_t>(x.fz);
        m.lb_i = static_cast<uint32_t>(x.lb);
        m.bounded_i = x.bounded;
        m.h_i = static_cast<uint32_t>(x.h);
      },
      [&](Model& m, std::size_t k) {
        const MlgruVector& x = vec[k];
        int32_t want_h = x.h;
        const int32_t want_y = arch::mlgru_channel_q16(x.i, x.fz, x.lb, x.bounded, &want_h);
        // The parts, composed as mlgru_channel_q16 composes them (docs/numerics.md §6).
        const int32_t sigma = arch::sigmoid_q24(x.fz);
        const int32_t want_f = x.bounded ? arch::forget_gate_q24(sigma, x.lb) : sigma;
        const int32_t want_c = arch::mlgru_candidate_q20(arch::silu_q16(x.i), arch::one_minus_gate_q24(want_f));
        const int32_t want_h2 = arch::mlgru_state_update_q20(want_f, x.h, want_c);
        const auto got_h = static_cast<int32_t>(m.h_o), got_y = static_cast<int32_t>(m.y_o);
        const auto got_f = static_cast<int32_t>(m.f_o), got_c = static_cast<int32_t>(m.c_o);
        chk.check(got_h == want_h && got_y == want_y && got_f == want_f && got_c == want_c && want_h2 == want_h,
                  [&] {
                    return "i " + std::to_string(x.i) + ", f_z " + std::to_string(x.fz) + ", lb " + std::to_string(x.lb) +
                           (x.bounded ? " (bounded)" : " (unbounded)") + ", h " + std::to_string(x.h) +
                           ": expected h' " + std::to_string(want_h) + ", y " + std::to_string(want_y) + ", f " +
                           std::to_string(want_f) + ", c " + std::to_string(want_c) + "; got h' " +
                           std::to_string(got_h) + ", y " + std::to_string(got_y) + ", f " + std::to_string(got_f) +
                           ", c " + std::to_string(got_c);
                  });
      },
      chk);
  return chk.finish(sim.cycles());
}

template <class Model>
std::vector<BlockResult> run_mlgru(const VerifyOptions& o, const std::string& block = "mlgru") {
  Rng rng(o.seed, 0x91e1);
  std::vector<BlockResult> out;
  out.push_back(run_mlgru_vectors<Model>(block, "random seed " + std::to_string(o.seed),
                                         mlgru_random_vectors(rng, o.vectors), o.seed,
                                         fst_path_for(o.fst_path, block, "random")));
  out.push_back(run_mlgru_vectors<Model>(block, "edge cases", mlgru_edge_vectors(), o.seed,
                                         fst_path_for(o.fst_path, block, "edge")));
  return out;
}

}  // namespace neurark::rtl::datapath
