// SPDX-License-Identifier: Apache-2.0
// rtl/datapath/harness_norm_helper.hpp: harness of nrk_norm_helper against arch::sum_squares,
// arch::absmax, arch::block_shift and arch::normalize_block. Template on the model class.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <vector>

#include "dp_sim.hpp"
#include "neurark/arch/numerics.hpp"

namespace neurark::rtl::datapath {

constexpr int kNormSsBits = 79;  // nrk_norm_helper SumSqWidth with MaxLenLog2 = 16

struct NormBlock {
  std::vector<int32_t> v;  // summed as squares
  std::vector<int64_t> x;  // max |x|, then normalized
};

// Edge cases: one element at the int32 / int64 extremes (ss = 2^62, absmax = 2^63, shift 34);
// the largest published fan-in (6912) and 2^16 elements of INT32_MIN (ss = 2^78: the top bit
// of the 79-bit sum); an all-zero block (m = 0, ss = 0); absmax of bit length 30, 31 and 32
// (shifts 0, 1, 2) with rounding ties of normalize_block (|p| = 2, 6, 10 at shift 2 give
// 0.5, 1.5, 2.5: ties away from zero); negative maxima.
inline std::vector<NormBlock> norm_edge_blocks() {
  const int32_t kMin = std::numeric_limits<int32_t>::min(), kMax = std::numeric_limits<int32_t>::max();
  const int64_t kMin64 = std::numeric_limits<int64_t>::min(), kMax64 = std::numeric_limits<int64_t>::max();
  std::vector<NormBlock> b;
  b.push_back({{kMin}, {kMin64}});
  b.push_back({{kMax}, {kMax64}});
  b.push_back({{0}, {0}});
  b.push_back({std::vector<int32_t>(16, 0), std::vector<int64_t>(16, 0)});
  b.push_back({std::vector<int32_t>(6912, kMin), std::vector<int64_t>(6912, int64_t{1} << 45)});
  b.push_back({std::vector<int32_t>(65536, kMin), std::vector<int64_t>(65536, -(int64_t{1} << 45))});
  b.push_back({{1, -1}, {(int64_t{1} << 30) - 1, -((int64_t{1} << 30) - 1)}});  // bit length 30: shift 0
  b.push_back({{1, 2}, {int64_t{1} << 30, -3}});                               // bit length 31: shift 1
  b.push_back({{3, 4, 5, 6, 7, 8, 9, 10},
               {-(int64_t{1} << 31), 2, -2, 6, -6, 10, -10, 1}});                // shift 2, ties
  b.push_back({{kMin, kMax, kMin}, {kMin64 + 1, 3, -(int64_t{3} << 33)}});
  NormBlock ramp;
  for (int s = 0; s < 63; ++s) {
    ramp.v.push_back(s % 2 ? static_cast<int32_t>(int64_t{1} << (s % 31)) : -static_cast<int32_t>(int64_t{1} << (s % 31)));
    ramp.x.push_back(s % 2 ? (int64_t{1} << s) + 1 : -(int64_t{1} << s) - 1);
  }
  b.push_back(ramp);
  return b;
}

inline std::vector<NormBlock> norm_random_blocks(Rng& rng, int64_t elements) {
  std::vector<NormBlock> blocks;
  int64_t total = 0;
  while (total < elements) {
    const int64_t kind = rng.range(0, 19);
    const int64_t n = kind < 14 ? rng.range(1, 64) : kind < 19 ? rng.range(65, 1024) : rng.range(1025, 7000);
    const int64_t vk = rng.range(0, 2), xk = rng.range(0, 3);
    NormBlock b;
    for (int64_t k = 0; k < n; ++k) {
      int32_t v = 0;
      if (vk == 0) v = static_cast<int32_t>(rng.any_size(31) / 2);  // block mantissas, |v| <= 2^30
      else if (vk == 1) v = rng.i32();
      else v = static_cast<int32_t>(rng.range(-1000, 1000));
      int64_t x = 0;
      if (xk == 0) x = int64_t{v} * static_cast<int16_t>(rng.bits());          // u = v * w_norm
      else if (xk == 1) x = int64_t{rng.i32()} * rng.i32();                     // p = a * b
      else if (xk == 2) x = rng.any_size(62);
      else x = static_cast<int64_t>(rng.bits());
      b.v.push_back(v);
      b.x.push_back(x);
    }
    total += n;
    blocks.push_back(std::move(b));
  }
  return blocks;
}

template <class Model>
BlockResult run_norm_blocks(const std::string& block, const std::string& source,
                            const std::vector<NormBlock>& blocks, uint64_t seed, const std::string& fst) {
  Sim<Model> sim(fst);
  sim.reset();
  Checker chk(block, source);
  Rng rng(seed, 0x707);
  const Throttle th{};

  struct Expect {
    uint64_t absmax;
    arch::u128 ss;
    int shift;
    std::vector<int32_t> norm;
  };
  std::vector<Expect> want;
  int64_t total_norm = 0;
  for (const NormBlock& b : blocks) {
    Expect e{};
    const auto n = static_cast<int64_t>(b.x.size());
    e.absmax = arch::absmax(b.x.data(), n);
    e.ss = arch::sum_squares(b.v.data(), n);
    e.norm.resize(b.x.size());
    e.shift = arch::normalize_block(b.x.data(), n, e.norm.data());
    want.push_back(std::move(e));
    total_norm += n;
  }

  std::size_t blk_in = 0, elem_in = 0;  // reduction input position
  std::size_t res_got = 0;
  struct NbItem {
    std::size_t blk, k;
    int shift;
  };
  std::deque<NbItem> nb_queue, nb_flight;
  int64_t nb_got = 0;
  int64_t quiet = 0;
  while (res_got < blocks.size() || nb_got < total_norm) {
    Model& m = sim.m();
    const bool have_in = blk_in < blocks.size();
    const bool offer = have_in && !rng.chance(th.idle_in);
    m.in_valid_i = offer;
    if (have_in) {
      m.in_v_i = static_cast<uint32_t>(blocks[blk_in].v[elem_in]);
      m.in_x_i = static_cast<uint64_t>(blocks[blk_in].x[elem_in]);
      m.in_last_i = elem_in + 1 == blocks[blk_in].x.size();
    }
    const bool res_take = !rng.chance(th.stall_out);
    m.res_ready_i = res_take;
    const bool nb_offer = !nb_queue.empty() && !rng.chance(th.idle_in);
    m.nb_in_valid_i = nb_offer;
    if (!nb_queue.empty()) {
      const NbItem& it = nb_queue.front();
      m.nb_p_i = static_cast<uint64_t>(blocks[it.blk].x[it.k]);
      m.nb_shift_i = static_cast<uint8_t>(it.shift);
    }
    const bool nb_take = !rng.chance(th.stall_out);
    m.nb_out_ready_i = nb_take;
    sim.settle();

    if (res_take && m.res_valid_o) {
      const std::size_t bi = res_got++;
      const Expect& e = want[bi];
      const uint64_t got_m = m.res_absmax_o;
      const arch::u128 got_ss = wide_to_u128(m.res_ss_o, kNormSsBits);
      const int got_s = m.res_shift_o;
      const bool ovf = m.res_ovf_o != 0;
      chk.check(got_m == e.absmax && got_ss == e.ss && got_s == e.shift && !ovf, [&] {
        return "block " + std::to_string(bi) + " of " + std::to_string(blocks[bi].x.size()) +
               " elements (v[0] " + std::to_string(blocks[bi].v[0]) + ", x[0] " + std::to_string(blocks[bi].x[0]) +
               "): expected absmax " + std::to_string(e.absmax) + ", sum_squares " + u128_str(e.ss) +
               ", block_shift " + std::to_string(e.shift) + ", no overflow; got " + std::to_string(got_m) + ", " +
               u128_str(got_ss) + ", " + std::to_string(got_s) + (ovf ? ", overflow" : "");
      });
      for (std::size_t k = 0; k < blocks[bi].x.size(); ++k) nb_queue.push_back({bi, k, got_s});
      quiet = 0;
    }
    if (nb_take && m.nb_out_valid_o) {
      if (nb_flight.empty()) {
        chk.fail("normalize channel: an output without an input");
      } else {
        const NbItem it = nb_flight.front();
        nb_flight.pop_front();
        const int32_t wantv = want[it.blk].norm[it.k];
        const auto got = static_cast<int32_t>(m.nb_v_o);
        chk.check(got == wantv, [&] {
          return "normalize_block, block " + std::to_string(it.blk) + " element " + std::to_string(it.k) + ": p " +
                 std::to_string(blocks[it.blk].x[it.k]) + ", shift " + std::to_string(it.shift) + ": expected " +
                 std::to_string(wantv) + ", got " + std::to_string(got);
        });
      }
      ++nb_got;
      quiet = 0;
    }
    if (offer && m.in_ready_o) {
      quiet = 0;
      if (++elem_in == blocks[blk_in].x.size()) {
        elem_in = 0;
        ++blk_in;
      }
    }
    if (nb_offer && m.nb_in_ready_o) {
      nb_flight.push_back(nb_queue.front());
      nb_queue.pop_front();
    }
    sim.tick();
    if (++quiet > 1000) {
      chk.fail("timeout after " + std::to_string(res_got) + " of " + std::to_string(blocks.size()) + " results and " +
               std::to_string(nb_got) + " of " + std::to_string(total_norm) + " normalized values");
      break;
    }
  }
  return chk.finish(sim.cycles());
}

template <class Model>
std::vector<BlockResult> run_norm_helper(const VerifyOptions& o, const std::string& block = "norm_helper") {
  Rng rng(o.seed, 0x7071);
  std::vector<BlockResult> out;
  out.push_back(run_norm_blocks<Model>(block, "random seed " + std::to_string(o.seed),
                                       norm_random_blocks(rng, o.vectors), o.seed,
                                       fst_path_for(o.fst_path, block, "random")));
  out.push_back(run_norm_blocks<Model>(block, "edge cases", norm_edge_blocks(), o.seed,
                                       fst_path_for(o.fst_path, block, "edge")));
  return out;
}

}  // namespace neurark::rtl::datapath
