// SPDX-License-Identifier: Apache-2.0
// The C++ float reference against golden logits exported by the PyTorch model
// (models/train/train.py --golden): every position of several prompts, max |error| <= 1e-4.
#include <catch2/catch.hpp>

#include <limits>
#include <string>
#include <vector>


#include "golden_compare.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/float_ref.hpp"
#include "neurark/models/lm.hpp"
#include "test_paths.hpp"

using namespace neurark::models;

TEST_CASE("float reference matches PyTorch golden logits at every position", "[float_ref][golden]") {
  const HGRNBitWeights w = HGRNBitWeights::load(neurark::test::default_model_dir());
  FloatReference ref(w);
  const auto d = neurark::test::compare_golden(ref, SafetensorsFile::open(neurark::test::golden_path()));
  WARN("float reference vs PyTorch: prompts " << d.prompts << ", positions " << d.positions
                                              << ", max |logit error| " << d.max_abs_error);
  CHECK(d.prompts >= 3);
  CHECK(d.positions >= 100);
  CHECK(d.max_abs_error <= 1e-4);
}

namespace {

// A model whose logits are not finite (what a float model with overflowing weights gives).
class NanModel final : public neurark::models::LanguageModel {
 public:
  std::string name() const override { return "float"; }
  int64_t vocab_size() const override { return 256; }
  void reset() override {}
  void step(int32_t, std::vector<float>& logits) override {
    logits.assign(256, 0.0f);
    logits[3] = std::numeric_limits<float>::quiet_NaN();
  }
};

}  // namespace

TEST_CASE("evaluate refuses non-finite logits instead of reporting bpb nan", "[float_ref]") {
  NanModel m;
  CHECK_THROWS_WITH(neurark::models::evaluate(m, "abc"),
                    Catch::Contains("eval: the float model's logits after byte 0 give a log-probability of nan"));
}

TEST_CASE("the references refuse a fan-in their int32 sums cannot hold exactly", "[float_ref]") {
  using neurark::models::check_bitlinear_fan_in;
  CHECK_NOTHROW(check_bitlinear_fan_in(int64_t{1} << 23, "m", "lm_head"));
  CHECK_THROWS_WITH(check_bitlinear_fan_in((int64_t{1} << 23) + 1, "m", "model.layers.0.mlp.down_proj"),
                    Catch::Contains("m: tensor 'model.layers.0.mlp.down_proj.weight': fan-in 8388609 exceeds 2^23"));
}
