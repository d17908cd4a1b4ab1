// SPDX-License-Identifier: Apache-2.0
// neurark/models/config.hpp: the HF `hgrn_bit` config.json, with the HF defaults.
//
// Source: ridgerchu/matmulfreellm, mmfreelm/models/hgrn_bit/configuration_hgrn_bit.py (defaults)
// and modeling_hgrn_bit.py (HGRNBitMLP derives a missing intermediate_size as
// 256 * ceil(int(hidden_size * hidden_ratio * 2/3) / 256), hidden_ratio defaulting to 4).
#pragma once

#include <cstdint>
#include <string>

namespace neurark::models {

struct HGRNBitConfig {
  int64_t vocab_size = 32000;
  int64_t hidden_size = 2048;
  int64_t num_hidden_layers = 24;
  int64_t num_heads = 1;
  int64_t expand_ratio = 1;
  int64_t hidden_ratio = 4;
  int64_t intermediate_size = 0;          // resolved (never 0 after parsing)
  bool intermediate_size_derived = false; // true if config.json had null or no value
  double rms_norm_eps = 1e-6;
  bool use_lower_bound = true;
  bool use_short_conv = false;
  bool tie_word_embeddings = false;
  std::string attn_mode = "fused_recurrent";

  // Parses and validates `path` (a config.json). Throws neurark::Error naming the file, the
  // field, the value and what was expected: model_type must be "hgrn_bit"; sizes positive
  // integers; num_heads 1, expand_ratio 1, use_short_conv false, tie_word_embeddings false,
  // attn_mode "fused_recurrent" (the only variants this toolkit models). Unknown fields are
  // ignored, as HF does.
  // Details: an absent field takes the default above. JSON null means the default only for
  // hidden_ratio (4) and intermediate_size (derived), as in HGRNBitMLP; null elsewhere is an
  // error. Integer fields must be JSON integers (256.0, "256", true are errors) in
  // [1, 2147483647], the derived intermediate_size too; rms_norm_eps must be a finite number
  // > 0 (integer or not); booleans must be JSON true/false. A key repeated in the JSON
  // object is an error. model_type is required.
  static HGRNBitConfig from_file(const std::string& path);
  static HGRNBitConfig from_json_text(const std::string& text, const std::string& path);

  // HGRNBitMLP's derivation of the GLU width when intermediate_size is null. Throws
  // neurark::Error if either argument is <= 0 or hidden_size * hidden_ratio * 2 exceeds 2^53
  // (beyond which a C++ double no longer reproduces Python's int / int division exactly).
  static int64_t derive_intermediate_size(int64_t hidden_size, int64_t hidden_ratio);
};

}  // namespace neurark::models
