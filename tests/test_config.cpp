// SPDX-License-Identifier: Apache-2.0
// Tests of the hgrn_bit config.json parser (models/config.hpp): HF defaults, the derived
// intermediate_size, and errors naming the file, field, value and expectation.
#include <catch2/catch.hpp>

#include <string>

#include "checkpoint_fixtures.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/models/config.hpp"

using Catch::Contains;
using neurark::models::HGRNBitConfig;
using namespace neurark_test;

namespace {

const std::string kPath = "DIR/config.json";

HGRNBitConfig parse(const std::string& text) { return HGRNBitConfig::from_json_text(text, kPath); }

std::string parse_error(const std::string& text) {
  return error_message([&] { parse(text); });
}

// A config with one extra field, e.g. with_field("\"hidden_size\": \"256\"").
std::string with_field(const std::string& field) { return "{\"model_type\": \"hgrn_bit\", " + field + "}"; }

}  // namespace

TEST_CASE("config: derive_intermediate_size follows HGRNBitMLP", "[config]") {
  CHECK(HGRNBitConfig::derive_intermediate_size(1024, 4) == 2816);
  CHECK(HGRNBitConfig::derive_intermediate_size(2048, 4) == 5632);
  CHECK(HGRNBitConfig::derive_intermediate_size(2560, 4) == 6912);
  CHECK(HGRNBitConfig::derive_intermediate_size(256, 4) == 768);
  CHECK(HGRNBitConfig::derive_intermediate_size(8, 4) == 256);
  CHECK(HGRNBitConfig::derive_intermediate_size(384, 1) == 256);  // 256.0 exactly: no round-up
  // int() truncates 385*2/3 = 256.67 to 256 before rounding up to a multiple of 256; rounding
  // the float product up directly would give 512.
  CHECK(HGRNBitConfig::derive_intermediate_size(385, 1) == 256);
  CHECK(HGRNBitConfig::derive_intermediate_size(386, 1) == 512);  // 257.33 -> 257 -> 512
  CHECK_THROWS_AS(HGRNBitConfig::derive_intermediate_size(0, 4), neurark::Error);
  CHECK_THROWS_AS(HGRNBitConfig::derive_intermediate_size(1024, -1), neurark::Error);
}

TEST_CASE("config: HF defaults for absent fields", "[config]") {
  const HGRNBitConfig c = parse(R"({"model_type": "hgrn_bit"})");
  CHECK(c.vocab_size == 32000);
  CHECK(c.hidden_size == 2048);
  CHECK(c.num_hidden_layers == 24);
  CHECK(c.num_heads == 1);
  CHECK(c.expand_ratio == 1);
  CHECK(c.hidden_ratio == 4);
  CHECK(c.intermediate_size == 5632);
  CHECK(c.intermediate_size_derived);
  CHECK(c.rms_norm_eps == 1e-6);
  CHECK(c.use_lower_bound);
  CHECK_FALSE(c.use_short_conv);
  CHECK_FALSE(c.tie_word_embeddings);
  CHECK(c.attn_mode == "fused_recurrent");
}

TEST_CASE("config: a full HF config.json parses, unknown fields ignored", "[config]") {
  TempDir dir;
  const std::string path = dir.file("config.json");
  write_text(path, R"({
    "architectures": ["HGRNBitForCausalLM"],
    "attn_mode": "fused_recurrent",
    "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": null,
    "conv_size": 4, "share_conv_kernel": true,
    "expand_ratio": 1, "fuse_cross_entropy": true, "hidden_act": "swish",
    "hidden_ratio": 4, "hidden_size": 1024, "initializer_range": 0.02,
    "intermediate_size": null, "max_position_embeddings": 2048,
    "model_type": "hgrn_bit", "num_heads": 1, "num_hidden_layers": 24,
    "rms_norm_eps": 1e-05, "tie_word_embeddings": false, "torch_dtype": "float32",
    "transformers_version": "4.39.3", "use_cache": true, "use_lower_bound": true,
    "use_short_conv": false, "vocab_size": 32000
  })");
  const HGRNBitConfig c = HGRNBitConfig::from_file(path);
  CHECK(c.hidden_size == 1024);
  CHECK(c.vocab_size == 32000);
  CHECK(c.num_hidden_layers == 24);
  CHECK(c.intermediate_size == 2816);
  CHECK(c.intermediate_size_derived);
  CHECK(c.rms_norm_eps == 1e-05);
}

TEST_CASE("config: explicit intermediate_size is used, not derived", "[config]") {
  const HGRNBitConfig c = parse(R"({"model_type": "hgrn_bit", "hidden_size": 8, "intermediate_size": 16,
                                   "vocab_size": 16, "num_hidden_layers": 2, "use_lower_bound": false})");
  CHECK(c.intermediate_size == 16);
  CHECK_FALSE(c.intermediate_size_derived);
  CHECK(c.hidden_size == 8);
  CHECK(c.vocab_size == 16);
  CHECK(c.num_hidden_layers == 2);
  CHECK_FALSE(c.use_lower_bound);
}

TEST_CASE("config: missing or null intermediate_size is derived", "[config]") {
  SECTION("missing") {
    const HGRNBitConfig c = parse(R"({"model_type": "hgrn_bit", "hidden_size": 2560})");
    CHECK(c.intermediate_size == 6912);
    CHECK(c.intermediate_size_derived);
  }
  SECTION("null, with hidden_ratio null meaning 4") {
    const HGRNBitConfig c =
        parse(R"({"model_type": "hgrn_bit", "hidden_size": 256, "hidden_ratio": null, "intermediate_size": null})");
    CHECK(c.hidden_ratio == 4);
    CHECK(c.intermediate_size == 768);
    CHECK(c.intermediate_size_derived);
  }
  SECTION("from a non-default hidden_ratio") {
    const HGRNBitConfig c = parse(R"({"model_type": "hgrn_bit", "hidden_size": 1024, "hidden_ratio": 3})");
    CHECK(c.hidden_ratio == 3);
    CHECK(c.intermediate_size == 2048);  // int(1024*3*2/3) = 2048
  }
}

TEST_CASE("config: wrong model_type", "[config]") {
  CHECK_THAT(parse_error(R"({"model_type": "llama"})"),
             Contains(kPath) && Contains("'model_type'") && Contains("\"llama\"") && Contains("\"hgrn_bit\""));
  CHECK_THAT(parse_error(R"({"hidden_size": 8})"),
             Contains(kPath) && Contains("missing field 'model_type'") && Contains("\"hgrn_bit\""));
  CHECK_THAT(parse_error(R"({"model_type": 7})"), Contains("'model_type' is 7 (an integer)"));
}

TEST_CASE("config: wrong type or value for hidden_size", "[config]") {
  const std::string expected = "expected a positive integer";
  CHECK_THAT(parse_error(with_field(R"("hidden_size": "256")")),
             Contains(kPath) && Contains("field 'hidden_size' is \"256\" (a string)") && Contains(expected));
  CHECK_THAT(parse_error(with_field(R"("hidden_size": 256.5)")),
             Contains("field 'hidden_size' is 256.5 (a floating-point number)") && Contains(expected));
  CHECK_THAT(parse_error(with_field(R"("hidden_size": 256.0)")),
             Contains("field 'hidden_size' is 256.0") && Contains(expected));
  CHECK_THAT(parse_error(with_field(R"("hidden_size": -3)")),
             Contains("field 'hidden_size' is -3 (an integer)") && Contains(expected));
  CHECK_THAT(parse_error(with_field(R"("hidden_size": 0)")), Contains("field 'hidden_size' is 0"));
  CHECK_THAT(parse_error(with_field(R"("hidden_size": true)")),
             Contains("field 'hidden_size' is true (a boolean)") && Contains(expected));
  CHECK_THAT(parse_error(with_field(R"("hidden_size": null)")), Contains("field 'hidden_size' is null"));
  CHECK_THAT(parse_error(with_field(R"("hidden_size": 99999999999999999999)")),
             Contains("field 'hidden_size'") && Contains("at most 2147483647"));
}

TEST_CASE("config: wrong types for other fields", "[config]") {
  CHECK_THAT(parse_error(with_field(R"("vocab_size": [32000])")),
             Contains("field 'vocab_size' is [32000] (an array)"));
  CHECK_THAT(parse_error(with_field(R"("intermediate_size": "auto")")),
             Contains("field 'intermediate_size' is \"auto\" (a string)"));
  CHECK_THAT(parse_error(with_field(R"("num_hidden_layers": 1.5)")), Contains("field 'num_hidden_layers' is 1.5"));
  CHECK_THAT(parse_error(with_field(R"("use_lower_bound": "yes")")),
             Contains("field 'use_lower_bound' is \"yes\" (a string), expected true or false"));
  CHECK_THAT(parse_error(with_field(R"("rms_norm_eps": "1e-6")")),
             Contains("field 'rms_norm_eps' is \"1e-6\" (a string), expected a positive number"));
  CHECK_THAT(parse_error(with_field(R"("rms_norm_eps": -1e-6)")),
             Contains("field 'rms_norm_eps' is -1e-06") && Contains("expected a positive number"));
  CHECK_THAT(parse_error(with_field(R"("rms_norm_eps": 10)")),
             Contains("field 'rms_norm_eps' is 10") && Contains("from 1e-24 to 1"));
  CHECK_THAT(parse_error(with_field(R"("attn_mode": 1)")), Contains("field 'attn_mode' is 1 (an integer)"));
}

TEST_CASE("config: variants this toolkit does not model are rejected", "[config]") {
  CHECK_THAT(parse_error(with_field(R"("num_heads": 2)")),
             Contains("field 'num_heads' is 2") && Contains("expected 1"));
  CHECK_THAT(parse_error(with_field(R"("expand_ratio": 2)")),
             Contains("field 'expand_ratio' is 2") && Contains("expected 1"));
  CHECK_THAT(parse_error(with_field(R"("use_short_conv": true)")),
             Contains("field 'use_short_conv' is true") && Contains("expected false"));
  CHECK_THAT(parse_error(with_field(R"("tie_word_embeddings": true)")),
             Contains("field 'tie_word_embeddings' is true") && Contains("expected false"));
  CHECK_THAT(parse_error(with_field(R"("attn_mode": "chunk")")),
             Contains("field 'attn_mode' is \"chunk\"") && Contains("expected \"fused_recurrent\""));
}

TEST_CASE("config: malformed config.json", "[config]") {
  CHECK_THAT(parse_error("{\"model_type\": \"hgrn_bit\""), Contains(kPath) && Contains("not well-formed JSON"));
  CHECK_THAT(parse_error("[\"hgrn_bit\"]"), Contains(kPath) && Contains("an array") && Contains("expected a JSON object"));
  CHECK_THAT(parse_error(R"({"model_type": "hgrn_bit", "hidden_size": 8, "hidden_size": 16})"),
             Contains(kPath) && Contains("\"hidden_size\" appears more than once"));
}

TEST_CASE("config: missing config file names the path", "[config]") {
  TempDir dir;
  const std::string path = dir.file("config.json");
  CHECK_THAT(error_message([&] { HGRNBitConfig::from_file(path); }), Contains(path) && Contains("does not exist"));
}
