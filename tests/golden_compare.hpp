// SPDX-License-Identifier: Apache-2.0
// Compares a LanguageModel with golden logits (tests/golden/*.golden.safetensors, written by
// models/train/train.py --golden): tensors prompt{i}.tokens (I32, [T]) and prompt{i}.logits
// (F32, [T, V]) for i = 0, 1, ... Every position of every prompt, from a zero state.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "neurark/models/lm.hpp"
#include "neurark/models/safetensors.hpp"

namespace neurark::test {

struct GoldenDiff {
  int prompts = 0;
  int64_t positions = 0;
  double max_abs_error = 0.0;
};

inline GoldenDiff compare_golden(models::LanguageModel& lm, const models::SafetensorsFile& golden) {
  GoldenDiff d;
  const auto v = static_cast<std::size_t>(lm.vocab_size());
  for (int p = 0;; ++p) {
    const std::string key = "prompt" + std::to_string(p);
    if (golden.find(key + ".tokens") == nullptr) break;
    const std::vector<int32_t> toks = golden.read_i32(key + ".tokens");
    const std::vector<float> want = golden.read_f32(key + ".logits");
    if (want.size() != toks.size() * v) throw std::runtime_error(key + ".logits: wrong size");
    lm.reset();
    std::vector<float> logits;
    for (std::size_t t = 0; t < toks.size(); ++t) {
      lm.step(toks[t], logits);
      for (std::size_t k = 0; k < v; ++k)
        d.max_abs_error = std::max(d.max_abs_error, static_cast<double>(std::fabs(logits[k] - want[t * v + k])));
      ++d.positions;
    }
    ++d.prompts;
  }
  return d;
}

}  // namespace neurark::test
