// SPDX-License-Identifier: Apache-2.0
// Bit-exact integer reference of HGRNBit: see neurark/models/int_ref.hpp and
// docs/numerics.md §6.
#include "neurark/models/int_ref.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <stdexcept>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/models/float_ref.hpp"
#include "neurark/models/safetensors.hpp"

namespace neurark::models {

using arch::Scale;

std::vector<int32_t> prepare_norm(const std::vector<float>& w, const std::string& dir,
                                    const std::string& tensor, int* exp_out) {
  try {
    arch::NormWeightQ q = arch::quantize_norm_weight(w.data(), static_cast<int64_t>(w.size()));
    if (exp_out != nullptr) *exp_out = q.exp;
    return std::move(q.mant);
  } catch (const std::invalid_argument& e) {
    throw Error(fmt::format("{}: tensor '{}': {} (the integer datapath stores norm weights as int32 "
                            "mantissas sharing one exponent, docs/numerics.md §7)", dir, tensor, e.what()));
  }
}

IntBitLinear prepare_bitlinear(const BitLinearWeights& w, const std::string& dir, const std::string& name) {
  // int32 accumulators hold +-128 * fan-in exactly only up to 2^23 inputs (docs/numerics.md §2).
  check_bitlinear_fan_in(w.in, dir, name);
  const FloatReference::BitLinear t = ternarize_bitlinear(w);
  IntBitLinear bl;
  bl.in = t.in;
  bl.out = t.out;
  bl.w_packed = arch::ternary_pack(t.w_t.data(), bl.in, bl.out);
  bl.s_w = t.s_w;
  bl.norm_mant = prepare_norm(w.norm, dir, name + ".norm.weight", &bl.norm_exp);
  bl.layer_c = arch::bitlinear_layer_scale(bl.in, bl.s_w, bl.norm_exp);
  bl.col_nnz.assign(static_cast<std::size_t>(bl.in), 0);
  for (int64_t o = 0; o < bl.out; ++o)
    for (int64_t k = 0; k < bl.in; ++k)
      bl.col_nnz[static_cast<std::size_t>(k)] += t.w_t[static_cast<std::size_t>(o * bl.in + k)] != 0;
  return bl;
}

bool IntBitLinear::operator==(const IntBitLinear& o) const {
  return in == o.in && out == o.out && w_packed == o.w_packed && norm_mant == o.norm_mant && norm_exp == o.norm_exp &&
         layer_c == o.layer_c && s_w == o.s_w && col_nnz == o.col_nnz;
}

bool IntLayer::operator==(const IntLayer& o) const {
  return attn_norm == o.attn_norm && g_norm == o.g_norm && mlp_norm == o.mlp_norm && attn_norm_exp == o.attn_norm_exp &&
         g_norm_exp == o.g_norm_exp && mlp_norm_exp == o.mlp_norm_exp && i_proj == o.i_proj && f_proj == o.f_proj &&
         g_proj == o.g_proj && o_proj == o.o_proj && gate_proj == o.gate_proj && down_proj == o.down_proj &&
         lower_bound_q24 == o.lower_bound_q24;
}

void IntBitLinear::unpack_row(int64_t o, int8_t* row) const {
  arch::ternary_unpack_row(w_packed.data() + o * arch::ternary_row_bytes(in), in, row);
}

std::vector<int8_t> IntBitLinear::unpacked() const {
  std::vector<int8_t> w(static_cast<std::size_t>(in * out));
  for (int64_t o = 0; o < out; ++o) unpack_row(o, w.data() + o * in);
  return w;
}

bool try_fixed(double v, int frac, int32_t* out) {
  const double s = std::ldexp(v, frac);
  if (!std::isfinite(s) || std::fabs(s) > 2147483647.0) return false;
  *out = static_cast<int32_t>(std::llround(s));
  return true;
}

int32_t prepare_fixed(double v, int frac, const std::string& what) {
  int32_t out = 0;
  if (!try_fixed(v, frac, &out))
    throw Error(fmt::format("{}: value {} does not fit the integer datapath's Q{}.{} format",
                            what, v, 31 - frac, frac));
  return out;
}

namespace {

// One BitLinear evaluation under the event mode (sent: the inputs' sigma-delta state, or null),
// with optional counters.
void run_bitlinear(const IntBitLinear& bl, const int32_t* v, const arch::BlockScale& block, const arch::EventMode& mode,
                   int8_t* sent, int32_t* y, IntStepTrace* trace, std::vector<int8_t>& codes, std::vector<int32_t>& values) {
  codes.resize(static_cast<std::size_t>(bl.in));
  values.resize(static_cast<std::size_t>(bl.in));
  const arch::BitLinearStats st =
      arch::bitlinear_q16_packed_events(v, bl.in, bl.out, bl.norm_mant.data(), bl.w_packed.data(), bl.layer_c,
                                        arch::rmsnorm_eps_term(block, bl.in), mode, sent, y, codes.data(), values.data());
  if (trace != nullptr) {
    if (trace->record_codes) {
      trace->bitlinear_codes.push_back(codes);
      trace->bitlinear_event_values.push_back(values);
    }
    trace->events += st.events;
    trace->activation_codes += bl.in;
    for (int64_t k = 0; k < bl.in; ++k)
      trace->synaptic_ops += static_cast<int64_t>(arch::event_count(values[static_cast<std::size_t>(k)])) *
                             bl.col_nnz[static_cast<std::size_t>(k)];
  }
}

// Embedding values [first, first + n) (flat index into [V][d]) to Q15.16.
void prepare_embeddings(const float* v, std::size_t first, std::size_t n, std::size_t d, const std::string& dir,
                        int32_t* out) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t at = first + i;
    if (!try_fixed(v[i], arch::kActFrac, &out[i]))  // prepare_fixed's error, its message formatted only when needed
      prepare_fixed(v[i], arch::kActFrac, fmt::format("{}: tensor 'model.embeddings.weight' [{}, {}]", dir, at / d, at % d));
  }
}

// The error IntModel::prepare would throw first: preparation steps numbered in prepare's order
// (key), the error of the smallest key kept.
class FirstError {
 public:
  template <class F>
  void run(int64_t key, const F& f) {
    try {
      f();
    } catch (const Error&) {
      if (!error_ || key < key_) {
        key_ = key;
        error_ = std::current_exception();
      }
    }
  }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  int64_t key_ = 0;
  std::exception_ptr error_;
};

}  // namespace

IntModel IntModel::load(const std::string& dir, const std::atomic<bool>* cancel) {
  const auto check_cancel = [&] {
    if (cancel != nullptr && cancel->load()) throw Error(fmt::format("{}: integer reference: loading cancelled", dir));
  };
  const auto ck = std::make_shared<const Checkpoint>(Checkpoint::open(dir));
  const HGRNBitConfig& c = ck->config;
  IntModel m;
  m.config = c;
  FirstError first;
  const int64_t d = c.hidden_size, I = c.intermediate_size, L = c.num_hidden_layers;
  // Reads in HGRNBitWeights::load's order (its non-finite errors come first); prepares as it goes.
  // The embedding table is checked here (every value read and converted) and not kept: its rows
  // are read from the checkpoint's mapping when a token needs them (embedding_row).
  {
    const auto du = static_cast<std::size_t>(d);
    const std::size_t total = static_cast<std::size_t>(c.vocab_size) * du;
    const std::size_t slice = std::max<std::size_t>(du, (std::size_t{1} << 20) / std::max<std::size_t>(du, 1) * du);
    std::vector<float> buf(std::min(slice, total));
    std::vector<int32_t> q(buf.size());
    for (std::size_t at = 0; at < total; at += slice) {
      const std::size_t n = std::min(slice, total - at);
      ck->read("model.embeddings.weight", at, n, buf.data());
      first.run(0, [&] { prepare_embeddings(buf.data(), at, n, du, dir, q.data()); });
    }
    m.embedding_source = ck;
  }
  std::vector<std::vector<float>> lb(static_cast<std::size_t>(L));
  if (c.use_lower_bound) lb = lower_bound_table(c, ck->read_all("model.lower_bounds"));
  const auto bitlinear = [&](int64_t key, const std::string& name, int64_t in, int64_t out, IntBitLinear* bl) {
    check_cancel();
    bool fan_in_ok = true;
    first.run(key, [&] {
      try {
        check_bitlinear_fan_in(in, dir, name);
      } catch (const Error&) {
        fan_in_ok = false;
        throw;
      }
    });
    if (!fan_in_ok) {  // still read (and check) every value, as load does, without keeping them
      for (const std::string& t : {name + ".weight", name + ".norm.weight"}) {
        const uint64_t total = ck->store->find(t)->numel();
        std::vector<float> buf(static_cast<std::size_t>(std::min<uint64_t>(total, uint64_t{1} << 20)));
        for (uint64_t at = 0; at < total; at += buf.size())
          ck->read(t, at, std::min<uint64_t>(buf.size(), total - at), buf.data());
      }
      return;
    }
    // The weights streamed twice (mean |W| in prepare_bitlinear's summation order, then a slice of
    // rows at a time ternarized and packed): the float matrix is never held whole.
    const std::string wname = name + ".weight";
    const auto n = static_cast<uint64_t>(in) * static_cast<uint64_t>(out);
    TensorStream pass1(*ck, wname, n);
    const double mean_abs = n == 0 ? 0.0 : sum_abs_pairwise(static_cast<std::size_t>(n), [&](std::size_t k) {
      return pass1.next(k);
    }) / static_cast<double>(n);
    IntBitLinear t;
    t.in = in;
    t.out = out;
    t.s_w = arch::ternary_scale(mean_abs);
    const int64_t row_bytes = arch::ternary_row_bytes(in);
    t.w_packed.resize(static_cast<std::size_t>(out * row_bytes));
    t.col_nnz.assign(static_cast<std::size_t>(in), 0);
    const int64_t chunk_rows = std::max<int64_t>(1, (int64_t{1} << 20) / std::max<int64_t>(1, in));
    std::vector<float> rows;
    std::vector<int8_t> codes;
    for (int64_t r0 = 0; r0 < out; r0 += chunk_rows) {
      const int64_t r1 = std::min(out, r0 + chunk_rows);
      rows.resize(static_cast<std::size_t>((r1 - r0) * in));
      codes.resize(rows.size());
      ck->read(wname, static_cast<uint64_t>(r0 * in), rows.size(), rows.data());
      for (std::size_t i = 0; i < rows.size(); ++i) {
        codes[i] = arch::ternarize(rows[i], t.s_w);
        t.col_nnz[i % static_cast<std::size_t>(in)] += codes[i] != 0;
      }
      arch::ternary_pack(codes.data(), in, r1 - r0, t.w_packed.data() + r0 * row_bytes);
    }
    const std::vector<float> norm_w = ck->read_all(name + ".norm.weight");
    first.run(key, [&] {
      t.norm_mant = prepare_norm(norm_w, dir, name + ".norm.weight", &t.norm_exp);
      t.layer_c = arch::bitlinear_layer_scale(t.in, t.s_w, t.norm_exp);
      *bl = std::move(t);
    });
  };
  const auto norm = [&](int64_t key, const std::string& tensor, std::vector<int32_t>* mant, int* exp) {
    const std::vector<float> v = ck->read_all(tensor);
    first.run(key, [&] { *mant = prepare_norm(v, dir, tensor, exp); });
  };
  m.layers.resize(static_cast<std::size_t>(L));
  for (int64_t l = 0; l < L; ++l) {
    IntLayer& Ly = m.layers[static_cast<std::size_t>(l)];
    const std::string p = fmt::format("model.layers.{}.", l);
    const int64_t key = 1 + 10 * l;  // + the step's place in prepare's order
    norm(key + 0, p + "attn_norm.weight", &Ly.attn_norm, &Ly.attn_norm_exp);
    bitlinear(key + 3, p + "attn.i_proj", d, d, &Ly.i_proj);
    bitlinear(key + 4, p + "attn.f_proj", d, d, &Ly.f_proj);
    bitlinear(key + 5, p + "attn.g_proj", d, d, &Ly.g_proj);
    bitlinear(key + 6, p + "attn.o_proj", d, d, &Ly.o_proj);
    norm(key + 1, p + "attn.g_norm.weight", &Ly.g_norm, &Ly.g_norm_exp);
    norm(key + 2, p + "mlp_norm.weight", &Ly.mlp_norm, &Ly.mlp_norm_exp);
    bitlinear(key + 7, p + "mlp.gate_proj", d, 2 * I, &Ly.gate_proj);
    bitlinear(key + 8, p + "mlp.down_proj", I, d, &Ly.down_proj);
    first.run(key + 9, [&] {
      for (float v : lb[static_cast<std::size_t>(l)])
        Ly.lower_bound_q24.push_back(prepare_fixed(v, arch::kGateFrac, dir + ": tensor 'model.lower_bounds'"));
    });
  }
  norm(1 + 10 * L, "model.norm.weight", &m.final_norm, &m.final_norm_exp);
  m.rms_norm_eps = arch::scale_from_double(c.rms_norm_eps);
  bitlinear(2 + 10 * L, "lm_head", d, c.vocab_size, &m.lm_head);
  first.rethrow();
  return m;
}

void IntModel::embedding_row(int32_t token, int32_t* out) const {
  const auto d = static_cast<std::size_t>(config.hidden_size);
  if (!embeddings_q16.empty()) {
    std::copy_n(embeddings_q16.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(token) * d), d, out);
    return;
  }
  if (!embedding_source) throw std::logic_error("IntModel::embedding_row: no embedding table and no checkpoint to read it from");
  std::vector<float> row(d);
  embedding_source->read("model.embeddings.weight", static_cast<uint64_t>(token) * d, d, row.data());
  for (std::size_t k = 0; k < d; ++k)
    if (!try_fixed(row[k], arch::kActFrac, out + k))  // every value passed prepare_fixed at load
      throw std::logic_error(fmt::format("IntModel::embedding_row: {}: embedding [{}, {}] changed since load", embedding_source->dir, token, k));
}

int64_t IntModel::packed_weight_bytes() const {
  int64_t bytes = lm_head.packed_bytes();
  for (const IntLayer& Ly : layers)
    for (const IntBitLinear* bl : {&Ly.i_proj, &Ly.f_proj, &Ly.g_proj, &Ly.o_proj, &Ly.gate_proj, &Ly.down_proj})
      bytes += bl->packed_bytes();
  return bytes;
}

IntModel IntModel::prepare(const HGRNBitWeights& w) {
  IntModel m;
  m.config = w.config;
  const auto d = static_cast<std::size_t>(w.config.hidden_size);
  m.embeddings_q16.resize(w.embeddings.size());
  prepare_embeddings(w.embeddings.data(), 0, w.embeddings.size(), d, w.dir, m.embeddings_q16.data());
  const std::vector<std::vector<float>> lb = lower_bound_table(w);
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    const LayerWeights& lw = w.layers[l];
    const std::string p = fmt::format("model.layers.{}.", l);
    IntLayer L;
    L.attn_norm = prepare_norm(lw.attn_norm, w.dir, p + "attn_norm.weight", &L.attn_norm_exp);
    L.g_norm = prepare_norm(lw.g_norm, w.dir, p + "attn.g_norm.weight", &L.g_norm_exp);
    L.mlp_norm = prepare_norm(lw.mlp_norm, w.dir, p + "mlp_norm.weight", &L.mlp_norm_exp);
    L.i_proj = prepare_bitlinear(lw.i_proj, w.dir, p + "attn.i_proj");
    L.f_proj = prepare_bitlinear(lw.f_proj, w.dir, p + "attn.f_proj");
    L.g_proj = prepare_bitlinear(lw.g_proj, w.dir, p + "attn.g_proj");
    L.o_proj = prepare_bitlinear(lw.o_proj, w.dir, p + "attn.o_proj");
    L.gate_proj = prepare_bitlinear(lw.gate_proj, w.dir, p + "mlp.gate_proj");
    L.down_proj = prepare_bitlinear(lw.down_proj, w.dir, p + "mlp.down_proj");
    for (float v : lb[l])
      L.lower_bound_q24.push_back(prepare_fixed(v, arch::kGateFrac, w.dir + ": tensor 'model.lower_bounds'"));
    m.layers.push_back(std::move(L));
  }
  m.final_norm = prepare_norm(w.final_norm, w.dir, "model.norm.weight", &m.final_norm_exp);
  m.rms_norm_eps = arch::scale_from_double(w.config.rms_norm_eps);
  m.lm_head = prepare_bitlinear(w.lm_head, w.dir, "lm_head");
  return m;
}

IntReference::IntReference(const HGRNBitWeights& weights) : IntReference(IntModel::prepare(weights)) {}

IntReference::IntReference(IntModel model) : model_(std::move(model)) { reset(); }

double IntReference::weight_sparsity() const {
  int64_t zeros = 0, total = 0;
  const auto count = [&](const IntBitLinear& bl) {
    zeros += bl.in * bl.out;
    for (int32_t nz : bl.col_nnz) zeros -= nz;
    total += bl.in * bl.out;
  };
  for (const IntLayer& L : model_.layers)
    for (const IntBitLinear* bl : {&L.i_proj, &L.f_proj, &L.g_proj, &L.o_proj, &L.gate_proj, &L.down_proj}) count(*bl);
  count(model_.lm_head);
  return total > 0 ? static_cast<double>(zeros) / static_cast<double>(total) : 0.0;
}

void IntReference::reset() {
  h_.assign(model_.layers.size(),
            std::vector<int32_t>(static_cast<std::size_t>(model_.config.hidden_size), 0));
  sent_.clear();
  if (!mode_.sigma_delta()) return;
  for (const IntLayer& L : model_.layers)
    for (const IntBitLinear* bl : {&L.i_proj, &L.f_proj, &L.g_proj, &L.o_proj, &L.gate_proj, &L.down_proj})
      sent_.emplace_back(static_cast<std::size_t>(bl->in), 0);
  sent_.emplace_back(static_cast<std::size_t>(model_.lm_head.in), 0);
}

void IntReference::set_event_mode(const arch::EventMode& mode) {
  if (mode.threshold < 0 || mode.threshold > arch::kEventThresholdMax)
    throw std::invalid_argument(fmt::format("IntReference::set_event_mode: threshold {} outside [0, {}]", mode.threshold,
                                            arch::kEventThresholdMax));
  mode_ = mode;
  const std::vector<std::vector<int32_t>> h = h_;
  reset();
  h_ = h;
}

void IntReference::load_sent_codes(const std::vector<std::vector<int8_t>>& sent) {
  bool ok = sent.size() == sent_.size();
  for (std::size_t b = 0; ok && b < sent.size(); ++b) ok = sent[b].size() == sent_[b].size();
  if (!ok)
    throw std::invalid_argument(fmt::format("IntReference::load_sent_codes: expected {} BitLinears' sent codes ({}), got {}",
                                            sent_.size(), arch::to_string(mode_.encoding), sent.size()));
  sent_ = sent;
}

void IntReference::load_state_q20(const std::vector<std::vector<int32_t>>& h_q20) {
  bool ok = h_q20.size() == h_.size();
  for (std::size_t l = 0; ok && l < h_q20.size(); ++l) ok = h_q20[l].size() == h_[l].size();
  if (!ok)
    throw std::invalid_argument(fmt::format("IntReference::load_state_q20: expected {} layers of {} channels, got {} layers",
                                            h_.size(), model_.config.hidden_size, h_q20.size()));
  h_ = h_q20;
}

void IntReference::step(int32_t token, std::vector<float>& logits) {
  trace_ = IntStepTrace{};
  step_q16(token, logits_q16_, &trace_);
  ++activity_.tokens;
  activity_.events += trace_.events;
  activity_.synaptic_ops += trace_.synaptic_ops;
  activity_.activation_codes += trace_.activation_codes;
  logits.resize(logits_q16_.size());
  for (std::size_t i = 0; i < logits_q16_.size(); ++i)
    logits[i] = static_cast<float>(std::ldexp(static_cast<double>(logits_q16_[i]), -arch::kActFrac));
}

void IntReference::step_q16(int32_t token, std::vector<int32_t>& logits_q16, IntStepTrace* trace) {
  const HGRNBitConfig& cfg = model_.config;
  if (token < 0 || token >= cfg.vocab_size)
    throw Error(fmt::format("int reference: token {} outside [0, {})", token, cfg.vocab_size));
  const auto d = static_cast<std::size_t>(cfg.hidden_size);
  const auto inter = static_cast<std::size_t>(cfg.intermediate_size);
  const auto di = static_cast<int64_t>(d);
  const auto ii = static_cast<int64_t>(inter);
  std::vector<int32_t> x(d);
  model_.embedding_row(token, x.data());
  std::vector<int32_t> v(d), i(d), fz(d), g(d), sh(d), t1(d), o(d), r(d), gy(2 * inter), act(inter),
      va(inter), z(d);
  std::vector<int8_t> codes;
  std::vector<int32_t> event_values;
  std::size_t bitlinear = 0;  // execution order, the sigma-delta state's index
  const auto sent = [&]() -> int8_t* { return mode_.sigma_delta() ? sent_[bitlinear++].data() : nullptr; };
  if (trace != nullptr) {
    trace->layer_out_q16.clear();
    trace->bitlinear_codes.clear();
    trace->bitlinear_event_values.clear();
    trace->tensors.clear();
  }
  const bool rec = trace != nullptr && trace->record_tensors;
  const auto record = [&](const std::string& name, const std::vector<int32_t>& values, std::size_t n) {
    if (rec) trace->tensors.emplace_back(name, std::vector<int32_t>(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(n)));
  };
  record("x.0", x, d);
  for (std::size_t l = 0; l < model_.layers.size(); ++l) {
    const IntLayer& L = model_.layers[l];
    std::vector<int32_t>& h = h_[l];
    // Token mixer (MLGRU). attn_norm folded: v = normalize(x * w_attn_norm).
    const std::string t = rec ? "layers." + std::to_string(l) + "." : std::string();
    const arch::Scale eps = model_.rms_norm_eps;
    arch::BlockScale block = arch::apply_norm_weight(x.data(), L.attn_norm.data(), L.attn_norm_exp, eps, di, v.data());
    record(t + "attn_norm", v, d);
    run_bitlinear(L.i_proj, v.data(), block, mode_, sent(), i.data(), trace, codes, event_values);
    record(t + "i", i, d);
    run_bitlinear(L.f_proj, v.data(), block, mode_, sent(), fz.data(), trace, codes, event_values);
    record(t + "f", fz, d);
    run_bitlinear(L.g_proj, v.data(), block, mode_, sent(), g.data(), trace, codes, event_values);
    record(t + "g", g, d);
    const bool bounded = !L.lower_bound_q24.empty();
    for (std::size_t k = 0; k < d; ++k)
      sh[k] = arch::mlgru_channel_q16(i[k], fz[k], bounded ? L.lower_bound_q24[k] : 0, bounded, &h[k]);
    record(t + "h_silu", sh, d);
    // Output gate RMSNorm(g) * w_g ⊙ SiLU(h): g_norm's scalar cancels in o_proj's RMSNorm.
    const arch::BlockScale gated_norm = arch::apply_norm_weight(g.data(), L.g_norm.data(), L.g_norm_exp, eps, di, t1.data());
    record(t + "gated_norm", t1, d);
    block = arch::product_block(t1.data(), gated_norm, sh.data(), arch::BlockScale{}, di, v.data());
    record(t + "gated", v, d);
    run_bitlinear(L.o_proj, v.data(), block, mode_, sent(), o.data(), trace, codes, event_values);
    record(t + "o", o, d);
    for (std::size_t k = 0; k < d; ++k) r[k] = arch::add_sat_i32(o[k], x[k]);
    record(t + "r", r, d);
    // Channel mixer (GLU).
    block = arch::apply_norm_weight(r.data(), L.mlp_norm.data(), L.mlp_norm_exp, eps, di, v.data());
    record(t + "mlp_norm", v, d);
    run_bitlinear(L.gate_proj, v.data(), block, mode_, sent(), gy.data(), trace, codes, event_values);
    record(t + "gate_up", gy, 2 * inter);
    for (std::size_t k = 0; k < inter; ++k) act[k] = arch::silu_q16(gy[k]);
    record(t + "swiglu_silu", act, inter);
    block = arch::product_block(act.data(), arch::BlockScale{}, gy.data() + inter, arch::BlockScale{}, ii, va.data());
    record(t + "swiglu", va, inter);
    run_bitlinear(L.down_proj, va.data(), block, mode_, sent(), z.data(), trace, codes, event_values);
    record(t + "down", z, d);
    for (std::size_t k = 0; k < d; ++k) x[k] = arch::add_sat_i32(r[k], z[k]);
    record("x." + std::to_string(l + 1), x, d);
    if (trace != nullptr) trace->layer_out_q16.push_back(x);
  }
  const arch::BlockScale final_block =
      arch::apply_norm_weight(x.data(), model_.final_norm.data(), model_.final_norm_exp, model_.rms_norm_eps, di, v.data());
  record("final_norm", v, d);
  logits_q16.resize(static_cast<std::size_t>(cfg.vocab_size));
  run_bitlinear(model_.lm_head, v.data(), final_block, mode_, sent(), logits_q16.data(), trace, codes, event_values);
  record("logits", logits_q16, logits_q16.size());
}

}  // namespace neurark::models
