// SPDX-License-Identifier: Apache-2.0
// Float32 reference of HGRNBit: see neurark/models/float_ref.hpp.
#include "neurark/models/float_ref.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/arch/numerics.hpp"

namespace neurark::models {

namespace {

double pairwise_leaves(std::size_t n, const std::function<const float*(std::size_t)>& next_leaf) {
  if (n <= 64) {
    const float* w = next_leaf(n);
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(w[i]));
    return s;
  }
  const std::size_t h = n / 2;
  const double a = pairwise_leaves(h, next_leaf);
  return a + pairwise_leaves(n - h, next_leaf);
}

double sigmoid_d(double z) { return 1.0 / (1.0 + std::exp(-z)); }
// Transcendentals in double, rounded once to T (float: PyTorch's exact mode; double: unrounded).
template <typename T>
T sigmoid_t(T z) { return static_cast<T>(sigmoid_d(z)); }
template <typename T>
T silu_t(T z) {
  const double zd = z;
  return static_cast<T>(zd * sigmoid_d(zd));
}

// rsqrt(mean(x^2) + eps): mean in double rounded to T, then T ops (torch order).
template <typename T>
T rms_scale(const T* x, std::size_t n, T eps) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  const auto ms = static_cast<T>(s / static_cast<double>(n));
  return T(1) / std::sqrt(ms + eps);
}

// RMSNorm module: (x * r) * w.
template <typename T>
void rms_norm(const T* x, const float* w, std::size_t n, T eps, T* y) {
  const T r = rms_scale(x, n, eps);
  for (std::size_t i = 0; i < n; ++i) y[i] = (x[i] * r) * static_cast<T>(w[i]);
}

// FusedBitLinear's internal RMSNorm runs with eps 1e-6 whatever rms_norm_eps says: the module
// is built with 1e-8, but the fused function it calls does not pass eps on (fusedbitnet.py).
constexpr double kBitLinearEps = 1e-6;

// FusedBitLinear forward for one token; the int8 codes go to trace->bitlinear_codes if given.
template <typename T>
void bitlinear(const FloatReference::BitLinear& bl, const T* x, T* y, FloatStepTrace* trace) {
  const auto k = static_cast<std::size_t>(bl.in);
  std::vector<T> xh(k);
  rms_norm(x, bl.norm.data(), k, static_cast<T>(kBitLinearEps), xh.data());
  T m = 0;
  for (T v : xh) m = std::max(m, std::fabs(v));
  m = std::max(m, static_cast<T>(1e-5));
  const T s_x = (T(1) / m) * T(127);  // torch: 127.0 / t == reciprocal(t) * 127.0
  std::vector<int8_t> q(k);
  for (std::size_t i = 0; i < k; ++i)
    q[i] = static_cast<int8_t>(std::clamp(std::round(xh[i] * s_x), T(-128), T(127)));
  if (trace != nullptr) trace->bitlinear_codes.push_back(q);
  std::vector<int32_t> acc(static_cast<std::size_t>(bl.out));
  arch::ternary_matvec(q.data(), bl.w_t.data(), bl.in, bl.out, acc.data());
  const T denom = s_x * static_cast<T>(bl.s_w);
  for (std::size_t o = 0; o < acc.size(); ++o) y[o] = static_cast<T>(acc[o]) / denom;
}

}  // namespace

double sum_abs_pairwise(std::size_t n, const std::function<const float*(std::size_t)>& next_leaf) {
  return pairwise_leaves(n, next_leaf);
}

FloatReference::BitLinear ternarize_bitlinear(const BitLinearWeights& w) {
  FloatReference::BitLinear bl;
  bl.in = w.in;
  bl.out = w.out;
  const std::size_t n = w.weight.size();
  const float* at = w.weight.data();
  const double mean_abs = n == 0 ? 0.0
                                 : sum_abs_pairwise(n, [&](std::size_t k) {
                                     const float* p = at;
                                     at += k;
                                     return p;
                                   }) / static_cast<double>(n);
  bl.s_w = arch::ternary_scale(mean_abs);
  bl.w_t.resize(n);
  for (std::size_t i = 0; i < n; ++i) bl.w_t[i] = arch::ternarize(w.weight[i], bl.s_w);
  bl.norm = w.norm;
  return bl;
}

std::vector<std::vector<float>> lower_bound_table(const HGRNBitWeights& w) {
  return lower_bound_table(w.config, w.lower_bounds);
}

std::vector<std::vector<float>> lower_bound_table(const HGRNBitConfig& cfg, const std::vector<float>& lower_bounds) {
  const auto d = static_cast<std::size_t>(cfg.hidden_size);
  const auto nl = static_cast<std::size_t>(cfg.num_hidden_layers);
  std::vector<std::vector<float>> table(nl);
  if (cfg.use_lower_bound) {
    std::vector<double> col(nl);
    for (std::size_t k = 0; k < d; ++k) {
      double mx = -INFINITY;
      for (std::size_t l = 0; l < nl; ++l) mx = std::max(mx, static_cast<double>(lower_bounds[l * d + k]));
      double sum = 0.0;
      for (std::size_t l = 0; l < nl; ++l) {
        col[l] = std::exp(static_cast<double>(lower_bounds[l * d + k]) - mx);
        sum += col[l];
      }
      double cum = 0.0;
      const double first = col[0] / sum;
      for (std::size_t l = 0; l < nl; ++l) {
        cum += col[l] / sum;
        if (l == 0) continue;  // layer 0 has no lower bound
        if (table[l].empty()) table[l].resize(d);
        table[l][k] = static_cast<float>(cum - first);
      }
    }
  }
  return table;
}

void check_bitlinear_fan_in(int64_t fan_in, const std::string& dir, const std::string& name) {
  if (fan_in > (int64_t{1} << 23))
    throw Error(fmt::format("{}: tensor '{}.weight': fan-in {} exceeds 2^23 = 8388608, the largest the "
                            "int32 accumulators hold exactly", dir, name, fan_in));
}

FloatReference::FloatReference(const HGRNBitWeights& w, FloatPrecision precision)
    : cfg_(w.config), precision_(precision), embeddings_(w.embeddings), final_norm_(w.final_norm) {
  lower_bound_ = lower_bound_table(w);
  for (std::size_t l = 0; l < w.layers.size(); ++l)
    for (const auto& [bl, name] : {std::pair<const BitLinearWeights*, const char*>{&w.layers[l].i_proj, "attn.i_proj"},
                                   {&w.layers[l].f_proj, "attn.f_proj"}, {&w.layers[l].g_proj, "attn.g_proj"},
                                   {&w.layers[l].o_proj, "attn.o_proj"}, {&w.layers[l].gate_proj, "mlp.gate_proj"},
                                   {&w.layers[l].down_proj, "mlp.down_proj"}})
      check_bitlinear_fan_in(bl->in, w.dir, fmt::format("model.layers.{}.{}", l, name));
  check_bitlinear_fan_in(w.lm_head.in, w.dir, "lm_head");
  for (const LayerWeights& lw : w.layers) {
    Layer L;
    L.attn_norm = lw.attn_norm;
    L.g_norm = lw.g_norm;
    L.mlp_norm = lw.mlp_norm;
    L.i_proj = ternarize_bitlinear(lw.i_proj);
    L.f_proj = ternarize_bitlinear(lw.f_proj);
    L.g_proj = ternarize_bitlinear(lw.g_proj);
    L.o_proj = ternarize_bitlinear(lw.o_proj);
    L.gate_proj = ternarize_bitlinear(lw.gate_proj);
    L.down_proj = ternarize_bitlinear(lw.down_proj);
    layers_.push_back(std::move(L));
  }
  lm_head_ = ternarize_bitlinear(w.lm_head);
  reset();
}

void FloatReference::reset() {
  const auto zero = [&](auto& h) {
    h.assign(layers_.size(), {});
    for (auto& v : h) v.assign(static_cast<std::size_t>(cfg_.hidden_size), 0);
  };
  zero(h_);
  zero(h64_);
}

void FloatReference::step(int32_t token, std::vector<float>& logits) { step(token, logits, nullptr); }

void FloatReference::step(int32_t token, std::vector<float>& logits, FloatStepTrace* trace) {
  if (token < 0 || token >= cfg_.vocab_size)
    throw Error("float reference: token " + std::to_string(token) + " outside [0, " +
                std::to_string(cfg_.vocab_size) + ")");
  if (trace != nullptr) trace->bitlinear_codes.clear();
  if (precision_ == FloatPrecision::kFloat64) run_step(token, logits, trace, h64_);
  else run_step(token, logits, trace, h_);
}

template <typename T>
void FloatReference::run_step(int32_t token, std::vector<float>& logits, FloatStepTrace* trace,
                              std::vector<std::vector<T>>& state) {
  const auto d = static_cast<std::size_t>(cfg_.hidden_size);
  const auto inter = static_cast<std::size_t>(cfg_.intermediate_size);
  const auto eps = static_cast<T>(cfg_.rms_norm_eps);
  const auto at = static_cast<std::ptrdiff_t>(static_cast<std::size_t>(token) * d);
  std::vector<T> x(embeddings_.begin() + at, embeddings_.begin() + at + static_cast<std::ptrdiff_t>(d));
  std::vector<T> xn(d), i(d), f(d), g(d), o_in(d), o(d), gn(d), r(d), gy(2 * inter), act(inter), z(d);
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const Layer& L = layers_[l];
    std::vector<T>& h = state[l];
    rms_norm(x.data(), L.attn_norm.data(), d, eps, xn.data());
    bitlinear(L.i_proj, xn.data(), i.data(), trace);
    bitlinear(L.f_proj, xn.data(), f.data(), trace);
    const std::vector<float>& lb = lower_bound_[l];
    for (std::size_t k = 0; k < d; ++k) {
      T fk = sigmoid_t(f[k]);
      if (!lb.empty()) fk = static_cast<T>(lb[k]) + (T(1) - static_cast<T>(lb[k])) * fk;
      const T c = silu_t(i[k]) * (T(1) - fk);
      h[k] = fk * h[k] + c;
    }
    bitlinear(L.g_proj, xn.data(), g.data(), trace);
    rms_norm(g.data(), L.g_norm.data(), d, eps, gn.data());
    for (std::size_t k = 0; k < d; ++k) o_in[k] = gn[k] * silu_t(h[k]);
    bitlinear(L.o_proj, o_in.data(), o.data(), trace);
    for (std::size_t k = 0; k < d; ++k) r[k] = o[k] + x[k];
    rms_norm(r.data(), L.mlp_norm.data(), d, eps, xn.data());
    bitlinear(L.gate_proj, xn.data(), gy.data(), trace);
    for (std::size_t k = 0; k < inter; ++k) act[k] = silu_t(gy[k]) * gy[inter + k];
    bitlinear(L.down_proj, act.data(), z.data(), trace);
    for (std::size_t k = 0; k < d; ++k) x[k] = r[k] + z[k];
  }
  rms_norm(x.data(), final_norm_.data(), d, eps, xn.data());
  std::vector<T> out(static_cast<std::size_t>(cfg_.vocab_size));
  bitlinear(lm_head_, xn.data(), out.data(), trace);
  logits.assign(out.begin(), out.end());
}

}  // namespace neurark::models
