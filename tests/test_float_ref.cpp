// The C++ float reference against golden logits exported by the PyTorch model
// (models/train/train.py --golden): every position of several prompts, max |error| <= 1e-4.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "neurark/models/checkpoint.hpp"
#include "neurark/models/float_ref.hpp"
#include "neurark/models/safetensors.hpp"
#include "test_paths.hpp"

using namespace neurark::models;

TEST_CASE("float reference matches PyTorch golden logits at every position", "[float_ref][golden]") {
  const HGRNBitWeights w = HGRNBitWeights::load(neurark::test::default_model_dir());
  const SafetensorsFile golden = SafetensorsFile::open(neurark::test::golden_path());
  FloatReference ref(w);
  int prompts = 0;
  int64_t positions = 0;
  double worst = 0.0;
  for (int p = 0;; ++p) {
    const std::string key = "prompt" + std::to_string(p);
    if (golden.find(key + ".tokens") == nullptr) break;
    const std::vector<int32_t> toks = golden.read_i32(key + ".tokens");
    const std::vector<float> want = golden.read_f32(key + ".logits");
    const auto v = static_cast<std::size_t>(w.config.vocab_size);
    REQUIRE(want.size() == toks.size() * v);
    ref.reset();
    std::vector<float> logits;
    for (std::size_t t = 0; t < toks.size(); ++t) {
      ref.step(toks[t], logits);
      for (std::size_t k = 0; k < v; ++k)
        worst = std::max(worst, static_cast<double>(std::fabs(logits[k] - want[t * v + k])));
      ++positions;
    }
    ++prompts;
  }
  INFO("prompts " << prompts << ", positions " << positions << ", max |logit error| " << worst);
  CHECK(prompts >= 3);
  CHECK(positions >= 100);
  CHECK(worst <= 1e-4);
}
