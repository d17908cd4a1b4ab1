// SPDX-License-Identifier: Apache-2.0
// neurark/models/float_ref.hpp: the float32 reference of HGRNBit.
//
// Reproduces (in float32 precision, the default) the exact mode of models/train/hgrn_bit.py (the PyTorch model the checkpoint was
// trained and exported with) operation by operation, so that logits agree to float rounding
// (golden test: max |error| <= 1e-4): reductions (mean of squares, mean|W|) and
// transcendentals (sigmoid, SiLU, softmax of the lower bounds) in double, rounded once to
// float; every other operation a single float32 operation in PyTorch's order (e.g.
// s_x = (1 / max|x_hat|) * 127, as torch evaluates `127.0 / t`). BitLinear accumulations are
// exact integers. Compiled with -ffp-contract=off (no fused multiply-add).
// Semantics: ridgerchu/matmulfreellm a016f72 (docs/model.md).
#pragma once

#include <functional>
#include <vector>

#include "neurark/models/checkpoint.hpp"
#include "neurark/models/lm.hpp"

namespace neurark::models {

// What the float reference saw inside one step, for comparisons with the integer reference
// (runs::fidelity): the int8 activation codes entering every BitLinear, in the integer
// reference's order (IntStepTrace::bitlinear_codes): per layer i, f, g, o, gate, down, then lm_head.
struct FloatStepTrace {
  std::vector<std::vector<int8_t>> bitlinear_codes;  // [BitLinear][fan-in]
};

// kFloat32: PyTorch's float32 arithmetic, op by op (the float model). kFloat64: the same
// operations in the same order in double (transcendentals and reductions unrounded): the float
// model's math with 29 more bits, to tell apart what float32 rounding itself changes (runs::fidelity).
enum class FloatPrecision { kFloat32, kFloat64 };

class FloatReference : public LanguageModel {
 public:
  // Ternarizes every BitLinear once (absmean, round half to even). Keeps a reference to
  // nothing: the weights are copied.
  explicit FloatReference(const HGRNBitWeights& weights, FloatPrecision precision = FloatPrecision::kFloat32);

  std::string name() const override { return precision_ == FloatPrecision::kFloat64 ? "float64" : "float"; }
  int64_t vocab_size() const override { return cfg_.vocab_size; }
  void reset() override;
  void step(int32_t token, std::vector<float>& logits) override;
  // The same step, filling `trace` (if not null) with the codes of every BitLinear.
  void step(int32_t token, std::vector<float>& logits, FloatStepTrace* trace);

  // MLGRU hidden state of layer l after the last step ([d]; float32 precision only).
  const std::vector<float>& state(std::size_t layer) const { return h_[layer]; }

  struct BitLinear {
    int64_t in = 0, out = 0;
    std::vector<int8_t> w_t;     // [out][in] ternary
    float s_w = 1.0f;            // 1 / max(mean|W|, 1e-5)
    std::vector<float> norm;     // [in]
  };

 private:
  struct Layer {
    std::vector<float> attn_norm, g_norm, mlp_norm;
    BitLinear i_proj, f_proj, g_proj, o_proj, gate_proj, down_proj;
  };
  template <typename T>
  void run_step(int32_t token, std::vector<float>& logits, FloatStepTrace* trace, std::vector<std::vector<T>>& state);

  HGRNBitConfig cfg_;
  FloatPrecision precision_ = FloatPrecision::kFloat32;
  std::vector<float> embeddings_;
  std::vector<std::vector<float>> lower_bound_;  // [L][d] (empty rows: no bound)
  std::vector<Layer> layers_;
  std::vector<float> final_norm_;
  BitLinear lm_head_;
  std::vector<std::vector<float>> h_;
  std::vector<std::vector<double>> h64_;
};

// Ternarizes one BitLinear the way the float and integer references both do (shared so the
// two can never disagree on which weights are zero): mean|W| in double, s_w = ternary_scale,
// W_t = ternarize(W, s_w).
FloatReference::BitLinear ternarize_bitlinear(const BitLinearWeights& w);
// Both references sum the ternary products of int8 codes in int32, exactly (as PyTorch's float32
// sums are for these operands) only up to a fan-in of 2^23 (docs/numerics.md §2): throws
// neurark::Error naming `dir` and the BitLinear `name` above that.
void check_bitlinear_fan_in(int64_t fan_in, const std::string& dir, const std::string& name);

// The MLGRU forget-gate lower bounds (modeling_hgrn_bit.py): softmax of model.lower_bounds over
// layers, cumulative sum, minus layer 0's share, in double, rounded to float. Row l has d
// values; row 0 (and every row when use_lower_bound is false) is empty: no bound applied.
std::vector<std::vector<float>> lower_bound_table(const HGRNBitWeights& w);
std::vector<std::vector<float>> lower_bound_table(const HGRNBitConfig& config, const std::vector<float>& lower_bounds);

// sum |w| in double by pairwise summation (halves recursively, leaves of <= 64 values summed in
// order) over n values delivered in order by next_leaf(k), which returns a pointer to the next k
// values. The recursion depends only on n, so a streaming reader gets the same bits as an array
// (ternarize_bitlinear's mean |W|).
double sum_abs_pairwise(std::size_t n, const std::function<const float*(std::size_t)>& next_leaf);

}  // namespace neurark::models
