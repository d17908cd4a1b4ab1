// SPDX-License-Identifier: Apache-2.0
// The C++ integer reference against an independent implementation of docs/numerics.md
// (models/train/int_spec.py, written from the document alone): Q15.16 logits at every position
// and the residual stream after every layer must agree bit for bit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <string>

#include "neurark/models/checkpoint.hpp"
#include "neurark/models/int_ref.hpp"
#include "neurark/models/safetensors.hpp"
#include "test_paths.hpp"

using namespace neurark::models;

namespace {

struct SpecDiff {
  int prompts = 0;
  int64_t positions = 0;
  int64_t mismatches = 0;
  std::string first;  // first mismatch, for the message
  bool saw_saturation = false;
};

SpecDiff compare_with_spec(const std::string& model_dir, const std::string& spec_file) {
  const HGRNBitWeights w = HGRNBitWeights::load(model_dir);
  const SafetensorsFile spec = SafetensorsFile::open(spec_file);
  IntReference ref(w);
  SpecDiff d;
  const auto v = static_cast<std::size_t>(w.config.vocab_size);
  const auto dm = static_cast<std::size_t>(w.config.hidden_size);
  const auto nl = static_cast<std::size_t>(w.config.num_hidden_layers);
  for (int p = 0; spec.find("prompt" + std::to_string(p) + ".tokens") != nullptr; ++p) {
    const std::string key = "prompt" + std::to_string(p);
    const auto toks = spec.read_i32(key + ".tokens");
    const auto want = spec.read_i32(key + ".logits_q16");
    const bool have_layers = spec.find(key + ".layer_out_q16") != nullptr;
    const auto layers = have_layers ? spec.read_i32(key + ".layer_out_q16") : std::vector<int32_t>{};
    ref.reset();
    std::vector<int32_t> logits;
    for (std::size_t t = 0; t < toks.size(); ++t) {
      IntStepTrace trace;
      ref.step_q16(toks[t], logits, &trace);
      for (std::size_t k = 0; k < v; ++k) {
        if (logits[k] != want[t * v + k] && d.mismatches++ == 0)
          d.first = key + " position " + std::to_string(t) + " logit " + std::to_string(k) + ": C++ " +
                    std::to_string(logits[k]) + ", spec " + std::to_string(want[t * v + k]);
      }
      for (std::size_t l = 0; l < nl; ++l)
        for (std::size_t k = 0; k < dm; ++k) {
          const int32_t x = trace.layer_out_q16[l][k];
          d.saw_saturation |= x == std::numeric_limits<int32_t>::max() || x == std::numeric_limits<int32_t>::min();
          if (have_layers && x != layers[(t * nl + l) * dm + k] && d.mismatches++ == 0)
            d.first = key + " position " + std::to_string(t) + " layer " + std::to_string(l) +
                      " channel " + std::to_string(k);
        }
      ++d.positions;
    }
    ++d.prompts;
  }
  return d;
}

}  // namespace

TEST_CASE("integer reference equals the independent spec implementation: extreme values",
          "[int_ref][spec]") {
  const std::string dir = neurark::test::source_dir() + "/tests/fixtures/extreme-d32";
  const SpecDiff d = compare_with_spec(dir, dir + "/int_golden.safetensors");
  INFO("first mismatch: " << d.first);
  CHECK(d.prompts == 3);
  CHECK(d.positions == 73);
  CHECK(d.mismatches == 0);
  CHECK(d.saw_saturation);  // the fixture does reach the saturating paths
}

TEST_CASE("integer reference equals the independent spec implementation: bundled model",
          "[int_ref][spec]") {
  const SpecDiff d = compare_with_spec(neurark::test::default_model_dir(),
                                       neurark::test::source_dir() +
                                           "/tests/golden/shakespeare-d256-l4.int.safetensors");
  WARN("int reference vs independent spec implementation: prompts " << d.prompts << ", positions "
                                                                     << d.positions << ", mismatches "
                                                                     << d.mismatches);
  INFO("first mismatch: " << d.first);
  CHECK(d.prompts >= 3);
  CHECK(d.positions >= 100);
  CHECK(d.mismatches == 0);
}
