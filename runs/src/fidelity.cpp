// SPDX-License-Identifier: Apache-2.0
// The integer reference against the float model, code by code: see neurark/runs/fidelity.hpp.
#include "neurark/runs/fidelity.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/arch/numerics.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/float_ref.hpp"
#include "neurark/models/int_ref.hpp"
#include "neurark/runs/eval.hpp"

namespace neurark::runs {

namespace {

std::vector<CodeAgreement> bitlinear_slots(int64_t layers) {
  std::vector<CodeAgreement> out;
  for (int l = 0; l < layers; ++l)
    for (const char* name : {"attn.i_proj", "attn.f_proj", "attn.g_proj", "attn.o_proj", "mlp.gate_proj", "mlp.down_proj"}) {
      CodeAgreement c;
      c.name = fmt::format("model.layers.{}.{}", l, name);
      c.layer = l;
      out.push_back(std::move(c));
    }
  CodeAgreement head;
  head.name = "lm_head";
  out.push_back(std::move(head));
  return out;
}

void compare(const std::vector<int8_t>& int_codes, const std::vector<int8_t>& f64_codes,
             const std::vector<int8_t>& float_codes, CodeAgreement& c) {
  if (int_codes.size() != float_codes.size() || f64_codes.size() != float_codes.size())
    throw Error(fmt::format("fidelity: {}: {} codes from the int reference, {} from float64, {} from float32", c.name,
                            int_codes.size(), f64_codes.size(), float_codes.size()));
  for (std::size_t k = 0; k < int_codes.size(); ++k) {
    const int d64 = std::abs(int(f64_codes[k]) - int(float_codes[k]));
    c.float64_equal += d64 == 0;
    c.float64_max_abs_diff = std::max(c.float64_max_abs_diff, d64);
    const int diff = std::abs(int(int_codes[k]) - int(float_codes[k]));
    ++c.codes;
    if (diff == 0) {
      ++c.equal;
      continue;
    }
    ++c.diff_counts[static_cast<std::size_t>(std::min(diff, 4) - 1)];
    c.max_abs_diff = std::max(c.max_abs_diff, diff);
  }
}

}  // namespace

double FidelityResult::min_equal_share() const {
  double m = 1.0;
  for (const CodeAgreement& c : bitlinears) m = std::min(m, c.equal_share());
  return m;
}

int FidelityResult::max_abs_diff() const {
  int m = 0;
  for (const CodeAgreement& c : bitlinears) m = std::max(m, c.max_abs_diff);
  return m;
}

FidelityResult fidelity(const FidelityOptions& o) {
  const std::string text = read_text(o.text_path, o.max_bytes);
  const models::HGRNBitWeights weights = models::HGRNBitWeights::load(o.model_dir);
  if (weights.config.vocab_size < 256)
    throw Error(fmt::format("{}: vocab_size {} is below 256: the text's bytes are the tokens", o.model_dir,
                            weights.config.vocab_size));
  models::FloatReference fref(weights);
  models::FloatReference f64ref(weights, models::FloatPrecision::kFloat64);
  models::IntReference iref(weights);
  FidelityResult r;
  r.model_dir = o.model_dir;
  r.text_path = o.text_path;
  r.bitlinears = bitlinear_slots(weights.config.num_hidden_layers);
  models::FloatStepTrace ftrace, f64trace;
  models::IntStepTrace itrace;
  itrace.record_codes = true;
  std::vector<float> flogits, f64logits, ilogits;
  std::vector<int32_t> ilogits_q16;
  double float_nll = 0.0, f64_nll = 0.0, int_nll = 0.0;
  const auto n = static_cast<int64_t>(text.size());
  for (int64_t t = 0; t < n; ++t) {
    const auto token = static_cast<int32_t>(static_cast<unsigned char>(text[static_cast<std::size_t>(t)]));
    if (t > 0) {
      float_nll -= models::log_prob(flogits, token);
      f64_nll -= models::log_prob(f64logits, token);
      int_nll -= models::log_prob(ilogits, token);
    }
    if (t == n - 1) break;  // the last byte is only predicted
    fref.step(token, flogits, &ftrace);
    f64ref.step(token, f64logits, &f64trace);
    iref.step_q16(token, ilogits_q16, &itrace);
    ilogits.resize(ilogits_q16.size());
    for (std::size_t v = 0; v < ilogits_q16.size(); ++v)
      ilogits[v] = static_cast<float>(std::ldexp(static_cast<double>(ilogits_q16[v]), -arch::kActFrac));
    if (ftrace.bitlinear_codes.size() != r.bitlinears.size() || f64trace.bitlinear_codes.size() != r.bitlinears.size() ||
        itrace.bitlinear_codes.size() != r.bitlinears.size())
      throw Error("fidelity: the references recorded a different number of BitLinears");
    for (std::size_t b = 0; b < r.bitlinears.size(); ++b)
      compare(itrace.bitlinear_codes[b], f64trace.bitlinear_codes[b], ftrace.bitlinear_codes[b], r.bitlinears[b]);
    for (std::size_t v = 0; v < flogits.size(); ++v) {
      r.max_logit_abs_diff = std::max(r.max_logit_abs_diff, std::fabs(double(ilogits[v]) - double(flogits[v])));
      r.float64_max_logit_abs_diff =
          std::max(r.float64_max_logit_abs_diff, std::fabs(double(f64logits[v]) - double(flogits[v])));
      r.max_logit_abs = std::max(r.max_logit_abs, std::fabs(double(flogits[v])));
    }
    ++r.tokens;
    if (o.progress) o.progress(t + 1, n - 1);
  }
  const double predictions = static_cast<double>(n - 1);
  r.float_bpb = float_nll / predictions / std::log(2.0);
  r.float64_bpb = f64_nll / predictions / std::log(2.0);
  r.int_bpb = int_nll / predictions / std::log(2.0);
  return r;
}

}  // namespace neurark::runs
