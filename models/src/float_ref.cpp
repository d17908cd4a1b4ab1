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
float sigmoid_f(float z) { return static_cast<float>(sigmoid_d(z)); }
float silu_f(float z) {
  const double zd = z;
  return static_cast<float>(zd * sigmoid_d(zd));
}

// rsqrt(mean(x^2) + eps): mean in double rounded to float, then float32 ops (torch order).
float rms_scale(const float* x, std::size_t n, float eps) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  const auto ms = static_cast<float>(s / static_cast<double>(n));
  return 1.0f / std::sqrt(ms + eps);
}

// RMSNorm module: (x * r) * w.
void rms_norm(const float* x, const float* w, std::size_t n, float eps, float* y) {
  const float r = rms_scale(x, n, eps);
  for (std::size_t i = 0; i < n; ++i) y[i] = (x[i] * r) * w[i];
}

// FusedBitLinear's internal RMSNorm runs with eps 1e-6 whatever rms_norm_eps says: the module
// is built with 1e-8, but the fused function it calls does not pass eps on (fusedbitnet.py).
constexpr float kBitLinearEps = 1e-6f;

// FusedBitLinear forward for one token.
void bitlinear(const FloatReference::BitLinear& bl, const float* x, float* y) {
  const auto k = static_cast<std::size_t>(bl.in);
  std::vector<float> xh(k);
  rms_norm(x, bl.norm.data(), k, kBitLinearEps, xh.data());
  float m = 0.0f;
  for (float v : xh) m = std::max(m, std::fabs(v));
  m = std::max(m, 1e-5f);
  const float s_x = (1.0f / m) * 127.0f;  // torch: 127.0 / t == reciprocal(t) * 127.0
  std::vector<int8_t> q(k);
  for (std::size_t i = 0; i < k; ++i)
    q[i] = static_cast<int8_t>(std::clamp(std::round(xh[i] * s_x), -128.0f, 127.0f));
  std::vector<int32_t> acc(static_cast<std::size_t>(bl.out));
  arch::ternary_matvec(q.data(), bl.w_t.data(), bl.in, bl.out, acc.data());
  const float denom = s_x * bl.s_w;
  for (std::size_t o = 0; o < acc.size(); ++o) y[o] = static_cast<float>(acc[o]) / denom;
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

FloatReference::FloatReference(const HGRNBitWeights& w)
    : cfg_(w.config), embeddings_(w.embeddings), final_norm_(w.final_norm) {
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
  h_.assign(layers_.size(), std::vector<float>(static_cast<std::size_t>(cfg_.hidden_size), 0.0f));
}

void FloatReference::step(int32_t token, std::vector<float>& logits) {
  if (token < 0 || token >= cfg_.vocab_size)
    throw Error("float reference: token " + std::to_string(token) + " outside [0, " +
                std::to_string(cfg_.vocab_size) + ")");
  const auto d = static_cast<std::size_t>(cfg_.hidden_size);
  const auto inter = static_cast<std::size_t>(cfg_.intermediate_size);
  const auto eps = static_cast<float>(cfg_.rms_norm_eps);
  std::vector<float> x(embeddings_.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(token) * d),
                       embeddings_.begin() + static_cast<std::ptrdiff_t>((static_cast<std::size_t>(token) + 1) * d));
  std::vector<float> xn(d), i(d), f(d), g(d), o_in(d), o(d), gn(d), r(d), gy(2 * inter), act(inter), z(d);
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const Layer& L = layers_[l];
    std::vector<float>& h = h_[l];
    rms_norm(x.data(), L.attn_norm.data(), d, eps, xn.data());
    bitlinear(L.i_proj, xn.data(), i.data());
    bitlinear(L.f_proj, xn.data(), f.data());
    const std::vector<float>& lb = lower_bound_[l];
    for (std::size_t k = 0; k < d; ++k) {
      float fk = sigmoid_f(f[k]);
      if (!lb.empty()) fk = lb[k] + (1.0f - lb[k]) * fk;
      const float c = silu_f(i[k]) * (1.0f - fk);
      h[k] = fk * h[k] + c;
    }
    bitlinear(L.g_proj, xn.data(), g.data());
    rms_norm(g.data(), L.g_norm.data(), d, eps, gn.data());
    for (std::size_t k = 0; k < d; ++k) o_in[k] = gn[k] * silu_f(h[k]);
    bitlinear(L.o_proj, o_in.data(), o.data());
    for (std::size_t k = 0; k < d; ++k) r[k] = o[k] + x[k];
    rms_norm(r.data(), L.mlp_norm.data(), d, eps, xn.data());
    bitlinear(L.gate_proj, xn.data(), gy.data());
    for (std::size_t k = 0; k < inter; ++k) act[k] = silu_f(gy[k]) * gy[inter + k];
    bitlinear(L.down_proj, act.data(), z.data());
    for (std::size_t k = 0; k < d; ++k) x[k] = r[k] + z[k];
  }
  rms_norm(x.data(), final_norm_.data(), d, eps, xn.data());
  logits.resize(static_cast<std::size_t>(cfg_.vocab_size));
  bitlinear(lm_head_, xn.data(), logits.data());
}

}  // namespace neurark::models
