// SPDX-License-Identifier: Apache-2.0
// LanguageModel helpers: bits-per-byte evaluation, generation.
#include "neurark/models/lm.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"

namespace neurark::models {

double log_prob(const std::vector<float>& logits, int32_t target) {
  double mx = -INFINITY;
  for (float v : logits) mx = std::max(mx, static_cast<double>(v));
  double sum = 0.0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - mx);
  return static_cast<double>(logits[static_cast<std::size_t>(target)]) - mx - std::log(sum);
}

EvalResult evaluate(LanguageModel& lm, const std::string& text,
                    const std::function<void(int64_t, int64_t)>& progress,
                    int64_t progress_every) {
  if (lm.vocab_size() < 256)
    throw Error("eval: the model's vocab_size is " + std::to_string(lm.vocab_size()) +
                ", expected at least 256 (byte-level evaluation needs one token per byte value)");
  EvalResult res;
  lm.reset();
  const auto n = static_cast<int64_t>(text.size());
  std::vector<float> logits;
  double nats = 0.0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t t = 0; t + 1 < n; ++t) {
    lm.step(static_cast<unsigned char>(text[static_cast<std::size_t>(t)]), logits);
    const double lp = log_prob(logits, static_cast<unsigned char>(text[static_cast<std::size_t>(t + 1)]));
    if (!std::isfinite(lp))
      throw Error(fmt::format("eval: the {} model's logits after byte {} give a log-probability of {} (non-finite logits?); "
                              "bits per byte would be meaningless", lm.name(), t, lp));
    nats -= lp;
    if (progress && progress_every > 0 && (t + 1) % progress_every == 0) progress(t + 1, n - 1);
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  res.bytes = std::max<int64_t>(0, n - 1);
  res.bits_per_byte = res.bytes > 0 ? nats / static_cast<double>(res.bytes) / std::log(2.0) : 0.0;
  res.tokens_per_s = res.seconds > 0 ? static_cast<double>(res.bytes) / res.seconds : 0.0;
  return res;
}

std::vector<int32_t> generate(LanguageModel& lm, const std::vector<int32_t>& prompt,
                              const GenerateOptions& opt) {
  if (prompt.empty()) throw Error("generate: the prompt is empty (need at least one token)");
  if (opt.max_new_tokens < 0)
    throw Error("generate: max_new_tokens " + std::to_string(opt.max_new_tokens) + " is negative");
  if (!std::isfinite(opt.temperature) || opt.temperature < 0.0)
    throw Error("generate: temperature " + std::to_string(opt.temperature) +
                " is not valid, expected a finite number >= 0 (0 = greedy)");
  lm.reset();
  std::vector<float> logits;
  for (int32_t t : prompt) lm.step(t, logits);
  std::mt19937_64 rng(opt.seed);
  std::vector<int32_t> out;
  for (int64_t i = 0; i < opt.max_new_tokens; ++i) {
    int32_t next = 0;
    if (opt.temperature <= 0.0) {
      next = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    } else {
      // Inverse-CDF sampling with a portable uniform (53 random bits), so the same seed gives
      // the same text on every platform (std::*_distribution are implementation-defined).
      double mx = -INFINITY;
      for (float v : logits) mx = std::max(mx, static_cast<double>(v));
      std::vector<double> p(logits.size());
      double sum = 0.0;
      for (std::size_t k = 0; k < logits.size(); ++k) {
        p[k] = std::exp((static_cast<double>(logits[k]) - mx) / opt.temperature);
        sum += p[k];
      }
      const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53 * sum;
      double acc = 0.0;
      next = static_cast<int32_t>(logits.size() - 1);
      for (std::size_t k = 0; k < p.size(); ++k) {
        acc += p[k];
        if (u < acc) {
          next = static_cast<int32_t>(k);
          break;
        }
      }
    }
    out.push_back(next);
    if (opt.on_token) opt.on_token(next);
    if (i + 1 < opt.max_new_tokens) lm.step(next, logits);
  }
  return out;
}

}  // namespace neurark::models
