// SPDX-License-Identifier: Apache-2.0
// models/src/config.cpp: the HF hgrn_bit config.json (see config.hpp).
#include "neurark/models/config.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "json_util.hpp"
#include "neurark/arch/error.hpp"

namespace neurark::models {

namespace {

using detail::json;
using detail::json_kind;
using detail::show_json;

// Upper bound on every size (vocab, hidden, layers, ratio, intermediate): keeps every product
// the toolkit forms from them (2I, V x d, ...) far from int64 overflow. Real models are far below.
constexpr int64_t kMaxSize = std::numeric_limits<int32_t>::max();

std::string describe(const json& v) {
  return v.is_null() ? std::string("null") : fmt::format("{} ({})", show_json(v), json_kind(v));
}

[[noreturn]] void bad_field(const std::string& path, const char* field, const json& v,
                            const std::string& expected) {
  throw Error(fmt::format("{}: field '{}' is {}, expected {}", path, field, describe(v), expected));
}

// A positive integer field. Missing -> `def`. JSON null -> `null_value` if given, else an error.
int64_t get_size(const json& j, const std::string& path, const char* field, int64_t def,
                 bool null_means_default = false) {
  if (!j.contains(field)) return def;
  const json& v = j.at(field);
  if (v.is_null() && null_means_default) return def;
  const std::string expected = fmt::format("a positive integer (at most {})", kMaxSize);
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u == 0 || u > static_cast<uint64_t>(kMaxSize)) bad_field(path, field, v, expected);
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i <= 0 || i > kMaxSize) bad_field(path, field, v, expected);
    return i;
  }
  bad_field(path, field, v, expected);
}

bool get_bool(const json& j, const std::string& path, const char* field, bool def) {
  if (!j.contains(field)) return def;
  const json& v = j.at(field);
  if (!v.is_boolean()) bad_field(path, field, v, "true or false");
  return v.get<bool>();
}

constexpr const char* kOnlyVariant = " (the only variant this toolkit models)";

}  // namespace

int64_t HGRNBitConfig::derive_intermediate_size(int64_t hidden_size, int64_t hidden_ratio) {
  if (hidden_size <= 0 || hidden_ratio <= 0) {
    throw Error(fmt::format("intermediate_size: cannot derive from hidden_size {} and hidden_ratio {}, "
                            "expected both positive",
                            hidden_size, hidden_ratio));
  }
  // Python: int(hidden_size * hidden_ratio * 2 / 3). The integer product is exact; `/ 3` is a
  // correctly rounded float64 division, which double reproduces exactly while the product is
  // at most 2^53 (exactly representable); int() truncates toward zero.
  constexpr int64_t kExact = int64_t{1} << 53;
  if (hidden_size > kExact / hidden_ratio / 2) {
    throw Error(fmt::format("intermediate_size: cannot derive from hidden_size {} and hidden_ratio {}: "
                            "hidden_size * hidden_ratio * 2 exceeds 2^53",
                            hidden_size, hidden_ratio));
  }
  const int64_t product = hidden_size * hidden_ratio * 2;
  const auto truncated = static_cast<int64_t>(static_cast<double>(product) / 3.0);
  return 256 * ((truncated + 256 - 1) / 256);
}

HGRNBitConfig HGRNBitConfig::from_file(const std::string& path) {
  const std::vector<unsigned char> bytes = detail::read_whole_file(path);
  return from_json_text(std::string(bytes.begin(), bytes.end()), path);
}

HGRNBitConfig HGRNBitConfig::from_json_text(const std::string& text, const std::string& path) {
  const json j = detail::parse_json_strict(text.begin(), text.end(), path);
  if (!j.is_object()) {
    throw Error(fmt::format("{}: config is {}, expected a JSON object", path, describe(j)));
  }

  if (!j.contains("model_type")) {
    throw Error(fmt::format("{}: missing field 'model_type', expected \"hgrn_bit\"", path));
  }
  const json& mt = j.at("model_type");
  if (!mt.is_string() || mt.get<std::string>() != "hgrn_bit") {
    bad_field(path, "model_type", mt, "\"hgrn_bit\"");
  }

  HGRNBitConfig c;
  c.vocab_size = get_size(j, path, "vocab_size", c.vocab_size);
  c.hidden_size = get_size(j, path, "hidden_size", c.hidden_size);
  c.num_hidden_layers = get_size(j, path, "num_hidden_layers", c.num_hidden_layers);
  c.num_heads = get_size(j, path, "num_heads", c.num_heads);
  c.expand_ratio = get_size(j, path, "expand_ratio", c.expand_ratio);
  c.hidden_ratio = get_size(j, path, "hidden_ratio", c.hidden_ratio, /*null_means_default=*/true);

  const bool have_intermediate = j.contains("intermediate_size") && !j.at("intermediate_size").is_null();
  if (have_intermediate) {
    c.intermediate_size = get_size(j, path, "intermediate_size", 0);
    c.intermediate_size_derived = false;
  } else {
    try {
      c.intermediate_size = derive_intermediate_size(c.hidden_size, c.hidden_ratio);
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}", path, e.what()));
    }
    if (c.intermediate_size > kMaxSize) {
      throw Error(fmt::format("{}: intermediate_size derived from hidden_size {} and hidden_ratio {} is "
                              "{}, expected at most {}",
                              path, c.hidden_size, c.hidden_ratio, c.intermediate_size, kMaxSize));
    }
    c.intermediate_size_derived = true;
  }

  if (j.contains("rms_norm_eps")) {
    const json& v = j.at("rms_norm_eps");
    if (!v.is_number()) bad_field(path, "rms_norm_eps", v, "a positive number");
    const double eps = v.get<double>();
    // The integer datapath keeps eps as a Scale in [2^-81, 2) (docs/numerics.md §4a).
    if (!std::isfinite(eps) || !(eps >= 1e-24 && eps <= 1.0))
      bad_field(path, "rms_norm_eps", v, "a positive number from 1e-24 to 1");
    c.rms_norm_eps = eps;
  }

  c.use_lower_bound = get_bool(j, path, "use_lower_bound", c.use_lower_bound);
  c.use_short_conv = get_bool(j, path, "use_short_conv", c.use_short_conv);
  c.tie_word_embeddings = get_bool(j, path, "tie_word_embeddings", c.tie_word_embeddings);
  if (j.contains("attn_mode")) {
    const json& v = j.at("attn_mode");
    if (!v.is_string()) bad_field(path, "attn_mode", v, "\"fused_recurrent\"");
    c.attn_mode = v.get<std::string>();
  }

  // The variants this toolkit models.
  if (c.num_heads != 1) bad_field(path, "num_heads", j.at("num_heads"), std::string("1") + kOnlyVariant);
  if (c.expand_ratio != 1) {
    bad_field(path, "expand_ratio", j.at("expand_ratio"), std::string("1") + kOnlyVariant);
  }
  if (c.use_short_conv) bad_field(path, "use_short_conv", j.at("use_short_conv"), std::string("false") + kOnlyVariant);
  if (c.tie_word_embeddings) {
    bad_field(path, "tie_word_embeddings", j.at("tie_word_embeddings"), std::string("false") + kOnlyVariant);
  }
  if (c.attn_mode != "fused_recurrent") {
    bad_field(path, "attn_mode", j.at("attn_mode"), std::string("\"fused_recurrent\"") + kOnlyVariant);
  }
  return c;
}

}  // namespace neurark::models
