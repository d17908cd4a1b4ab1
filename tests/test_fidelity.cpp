// SPDX-License-Identifier: Apache-2.0
// The fidelity test set of issue 14: the integer reference against the float model, int8 code by
// code at every BitLinear input, over 64 tokens of held-out text, on three models: the bundled
// trained model, a fresh HGRNBit at the official initialization (d = 512, 2 layers, vocabulary 256,
// norm weights and lower bounds perturbed) and the first two layers of MMfreeLM-370M's shape
// (d = 1024, I = 2816, synthetic weights of the trained statistics, vocabulary 256). Each model's
// table is printed (ctest --verbose / the test log). The two cases over all three models are
// [slow] (one ctest test, slow_model_cases, which the sanitizer pass leaves out: about two minutes
// each under AddressSanitizer) and share their measurements within the process.
#include <catch2/catch.hpp>

#include <iostream>

#include "checkpoint_fixtures.hpp"
#include "neurark/models/config.hpp"
#include "neurark/models/synth.hpp"
#include "neurark/reports/report.hpp"
#include "neurark/runs/fidelity.hpp"
#include "test_paths.hpp"

using namespace neurark;

namespace {

constexpr int64_t kTokens = 64;

std::string heldout() { return test::source_dir() + "/data/tinyshakespeare/heldout.txt"; }

// The three models of the set, written into `tmp` (the synthetic ones are deterministic: seed 1).
struct FidelityModel {
  std::string label, dir;
};

std::vector<FidelityModel> fidelity_models(const neurark_test::TempDir& tmp) {
  const auto synth = [&](const std::string& name, const std::string& config_json, const std::string& init) {
    models::SynthOptions o;
    o.seed = 1;
    o.dtype = "F32";
    o.init = init;
    models::synth_checkpoint(models::HGRNBitConfig::from_json_text(config_json, name + ".json"), tmp.file(name), o);
    return tmp.file(name);
  };
  return {
      {"bundled shakespeare-d256-l4", test::default_model_dir()},
      {"official initialization d512 l2",
       synth("init-d512", R"({"model_type": "hgrn_bit", "hidden_size": 512, "num_hidden_layers": 2, "vocab_size": 256})",
             "hf")},
      {"MMfreeLM-370M layers 0-1",
       synth("mmfreelm-370m-l2",
             R"({"model_type": "hgrn_bit", "hidden_size": 1024, "num_hidden_layers": 2, "hidden_ratio": 4,
                 "intermediate_size": null, "vocab_size": 256})",
             "trained")},
  };
}

runs::FidelityResult measure(const FidelityModel& m) {
  runs::FidelityOptions o;
  o.model_dir = m.dir;
  o.text_path = heldout();
  o.max_bytes = kTokens + 1;
  runs::FidelityResult r = runs::fidelity(o);
  std::cout << "---- " << m.label << "\n" << reports::fidelity_text(r) << "\n";
  return r;
}

}  // namespace

TEST_CASE("fidelity compares every code of every BitLinear on every token", "[fidelity]") {
  const runs::FidelityResult r = measure({"bundled shakespeare-d256-l4", test::default_model_dir()});
  CHECK(r.tokens == kTokens);
  // 4 layers x 6 BitLinears + lm_head; fan-in d = 256 except down_proj (I = 512).
  REQUIRE(r.bitlinears.size() == 25);
  CHECK(r.bitlinears[0].name == "model.layers.0.attn.i_proj");
  CHECK(r.bitlinears[5].name == "model.layers.0.mlp.down_proj");
  CHECK(r.bitlinears[24].name == "lm_head");
  CHECK(r.bitlinears[24].layer == -1);
  for (const runs::CodeAgreement& c : r.bitlinears) {
    const bool down = c.name.find("down_proj") != std::string::npos;
    CHECK(c.codes == kTokens * (down ? 512 : 256));
    CHECK(c.equal + c.diff_counts[0] + c.diff_counts[1] + c.diff_counts[2] + c.diff_counts[3] == c.codes);
  }
  const nlohmann::json j = reports::fidelity_json(r);
  CHECK(j["bitlinears"].size() == 25);
  CHECK(j["tokens"] == kTokens);
  CHECK(j["min_equal_share"].get<double>() == Approx(r.min_equal_share()));
}

// The yardstick: the same model in double precision. Where it agrees with float32, a code's rounding
// is not balanced on a tie, so an integer datapath as precise as float64 would agree too.
namespace {

// The three models' measurements, made once per process.
const std::vector<std::pair<FidelityModel, runs::FidelityResult>>& measured() {
  static neurark_test::TempDir tmp;
  static const std::vector<std::pair<FidelityModel, runs::FidelityResult>> all = [] {
    std::vector<std::pair<FidelityModel, runs::FidelityResult>> v;
    for (const FidelityModel& m : fidelity_models(tmp)) v.emplace_back(m, measure(m));
    return v;
  }();
  return all;
}

}  // namespace

TEST_CASE("fidelity: float64 agrees with the float32 model at >= 99.5 % of codes on every model, none off by more than 2", "[fidelity][slow]") {
  for (const auto& [m, r] : measured()) {
    INFO(m.label);
    for (const runs::CodeAgreement& c : r.bitlinears) {
      INFO(c.name);
      CHECK(c.float64_equal_share() >= 0.995);
      CHECK(c.float64_max_abs_diff <= 2);
    }
  }
}

// Issue 14's goal for the integer reference: >= 99 % of codes equal to the float model's at every
// BitLinear, none off by more than one, the bundled model's bpb within 0.1 %. Not met by the
// numerics of docs/numerics.md yet (Q15.16 activations, the sigmoid table's 4e-6; norm weights
// are int32 and the RMSNorms' eps is kept since 2026-12-07): [!shouldfail] keeps the measurement in the suite; when the numerics meet it,
// this case fails and the tag must go.
TEST_CASE("fidelity: the integer reference meets issue 14's goal on every model", "[fidelity][slow][!shouldfail]") {
  for (const auto& [m, r] : measured()) {
    INFO(m.label);
    CHECK(r.min_equal_share() >= 0.99);
    CHECK(r.max_abs_diff() <= 1);
    if (m.dir == test::default_model_dir()) CHECK(std::abs(r.int_bpb - r.float_bpb) <= 0.001 * r.float_bpb);
  }
}
