// SPDX-License-Identifier: Apache-2.0
// neurark/models/lm.hpp: the model library's main header.
//
// models/ owns what a checkpoint means: import (safetensors.hpp, config.hpp, checkpoint.hpp),
// the float reference (float_ref.hpp: PyTorch's float32 arithmetic reproduced op by op) and
// the bit-exact integer reference (int_ref.hpp: only arch/ integer operations at run time).
// Both references implement LanguageModel: one token in, the next token's logits out, with the
// fixed-size recurrent state (one d-vector per layer) carried between calls — no KV cache and
// no context window. On top of that interface: evaluation in bits per byte and generation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace neurark::models {

struct HGRNBitWeights;
struct IntModel;

// A causal language model fed one token at a time.
class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  virtual std::string name() const = 0;     // "float" | "int" | ...
  virtual int64_t vocab_size() const = 0;
  virtual void reset() = 0;                 // zero the recurrent state
  // Consumes `token` (0 <= token < vocab_size) and writes the logits of the next token
  // (natural-log units, float) into `logits` (resized to vocab_size).
  virtual void step(int32_t token, std::vector<float>& logits) = 0;
};

struct EvalResult {
  double bits_per_byte = 0.0;  // mean -log2 p(byte_{t+1} | bytes_<=t), state carried throughout
  int64_t bytes = 0;           // predictions scored (text length - 1)
  double seconds = 0.0;        // wall time of the model steps
  double tokens_per_s = 0.0;   // tokens fed per wall second
};

// Scores `text` (bytes are tokens; the model must have vocab_size >= 256) from a zero state.
// `progress`, when set, is called every `progress_every` tokens with (done, total).
EvalResult evaluate(LanguageModel& lm, const std::string& text,
                    const std::function<void(int64_t, int64_t)>& progress = {},
                    int64_t progress_every = 4096);

struct GenerateOptions {
  int64_t max_new_tokens = 64;
  double temperature = 0.0;  // 0: greedy (argmax, lowest index on ties); must be finite, >= 0
  uint64_t seed = 0;         // sampling seed (std::mt19937_64; same seed, same text)
  std::function<void(int32_t)> on_token;  // called with each new token as it is chosen
};

// Feeds `prompt` from a zero state, then generates; returns the new tokens only. Throws
// neurark::Error for an empty prompt, a negative token count or a temperature that is negative
// or not finite.
std::vector<int32_t> generate(LanguageModel& lm, const std::vector<int32_t>& prompt,
                              const GenerateOptions& opt);

// Numerically stable log-softmax probability of `target` in natural log (double).
double log_prob(const std::vector<float>& logits, int32_t target);

}  // namespace neurark::models
