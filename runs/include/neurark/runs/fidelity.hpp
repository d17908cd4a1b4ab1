// SPDX-License-Identifier: Apache-2.0
// neurark/runs/fidelity.hpp: how faithful the bit-exact integer reference is to the float model
// (issue 14): the float32 reference (the model as PyTorch computes it), the same model in double
// precision (float64) and the integer reference run in lockstep over a text, each from a zero state
// with its own recurrent state; the int8 activation codes entering every BitLinear are compared
// position by position with the float32 model's, with the logits and the bits per byte of all three.
//
// The float64 column is the yardstick: a code sits on a rounding boundary often enough that any
// difference in arithmetic (even float32 against float64) flips some codes, each flip moves a
// BitLinear's outputs by about 1 / |acc|, and the recurrence and the layers carry it on. How often
// float64 disagrees with float32 is what the model itself makes of rounding differences; an integer
// datapath cannot be expected to agree with float32 more often than float64 does.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace neurark::runs {

// One BitLinear's codes over the text: how many of the int reference's codes equal the float
// model's, and how far the others are.
struct CodeAgreement {
  std::string name;          // checkpoint name: model.layers.0.attn.i_proj, ..., lm_head
  int layer = -1;            // -1: lm_head
  int64_t codes = 0;         // codes compared (fan-in x tokens)
  int64_t equal = 0;         // int code == float code
  int max_abs_diff = 0;      // max |int code - float code|
  std::array<int64_t, 4> diff_counts{};  // |diff| = 1, 2, 3, >= 4
  int64_t float64_equal = 0;  // float64 code == float32 code
  int float64_max_abs_diff = 0;
  double equal_share() const { return codes > 0 ? static_cast<double>(equal) / static_cast<double>(codes) : 1.0; }
  double float64_equal_share() const {
    return codes > 0 ? static_cast<double>(float64_equal) / static_cast<double>(codes) : 1.0;
  }
};

struct FidelityOptions {
  std::string model_dir;     // an HF checkpoint folder (config.json + safetensors)
  std::string text_path;     // bytes are tokens
  int64_t max_bytes = 0;     // 0: the whole file
  std::function<void(int64_t done, int64_t total)> progress;
};

struct FidelityResult {
  std::string model_dir, text_path;
  int64_t tokens = 0;                    // tokens fed to both references
  std::vector<CodeAgreement> bitlinears;  // in execution order (per layer i, f, g, o, gate, down; lm_head)
  double max_logit_abs_diff = 0.0;       // max over tokens and vocabulary of |int logit - float32 logit|
  double float64_max_logit_abs_diff = 0.0;  // the same for float64
  double max_logit_abs = 0.0;            // max |float32 logit| (the scale of the difference)
  double float_bpb = 0.0, float64_bpb = 0.0, int_bpb = 0.0;  // bits per byte over the same predictions
  // The worst BitLinear by equal share, and the largest code difference anywhere.
  double min_equal_share() const;
  int max_abs_diff() const;
};

// Runs the float32, float64 and integer references of `model_dir` over the text (at least 2 bytes; the
// model must have vocab_size >= 256). Throws neurark::Error for a bad checkpoint or text.
FidelityResult fidelity(const FidelityOptions& options);

}  // namespace neurark::runs
