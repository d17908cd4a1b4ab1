// The C++ float reference against golden logits exported by the PyTorch model
// (models/train/train.py --golden): every position of several prompts, max |error| <= 1e-4.
#include <catch2/catch.hpp>

#include "golden_compare.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/float_ref.hpp"
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
