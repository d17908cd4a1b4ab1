// SPDX-License-Identifier: Apache-2.0
// Synthetic checkpoints: valid, deterministic, with the published zero fraction of ternary
// weights, sharded when large, and never half-written.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "checkpoint_fixtures.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/float_ref.hpp"
#include "neurark/models/synth.hpp"
#include "test_paths.hpp"

using namespace neurark::models;
namespace fs = std::filesystem;

namespace {
HGRNBitConfig small_config() {
  return HGRNBitConfig::from_json_text(
      R"({"model_type": "hgrn_bit", "hidden_size": 128, "num_hidden_layers": 2, "vocab_size": 300})",
      "small.json");
}
}  // namespace

TEST_CASE("a synthetic checkpoint loads and has the published ternary zero fraction", "[synth]") {
  neurark_test::TempDir tmp;
  const SynthResult r = synth_checkpoint(small_config(), tmp.file("m"), SynthOptions{});
  CHECK(r.shards == 1);
  const HGRNBitWeights w = HGRNBitWeights::load(tmp.file("m"));
  CHECK(w.config.intermediate_size == 512);  // derived: 256 * ceil(341 / 256)
  CHECK(w.config.intermediate_size_derived);
  uint64_t n = 0;
  for (const auto& t : expected_tensors(w.config)) {
    uint64_t e = 1;
    for (int64_t s : t.shape) e *= static_cast<uint64_t>(s);
    n += e;
  }
  CHECK(r.parameters == n);
  CHECK(r.bytes == 2 * n);  // BF16
  // Zero fraction after absmean ternarization: 35.4 % (MMfreeLM-370M, arXiv 2503.18002v2).
  const FloatReference::BitLinear t = ternarize_bitlinear(w.layers[0].gate_proj);
  double zeros = 0;
  for (int8_t v : t.w_t) zeros += v == 0;
  CHECK(zeros / static_cast<double>(t.w_t.size()) == Approx(0.354).margin(0.01));
  for (float v : w.layers[1].mlp_norm) CHECK(v > 0.0f);
}

TEST_CASE("synthetic checkpoints are deterministic in the seed", "[synth]") {
  neurark_test::TempDir tmp;
  SynthOptions a;
  a.seed = 5;
  synth_checkpoint(small_config(), tmp.file("a"), a);
  synth_checkpoint(small_config(), tmp.file("b"), a);
  a.seed = 6;
  synth_checkpoint(small_config(), tmp.file("c"), a);
  const auto bytes = [&](const std::string& d) {
    std::ifstream in(tmp.file(d) + "/model.safetensors", std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  CHECK(bytes("a") == bytes("b"));
  CHECK(bytes("a") != bytes("c"));
}

TEST_CASE("large synthetic checkpoints are sharded with an index", "[synth]") {
  neurark_test::TempDir tmp;
  SynthOptions o;
  o.dtype = "F32";
  o.max_shard_bytes = 300000;
  const SynthResult r = synth_checkpoint(small_config(), tmp.file("m"), o);
  CHECK(r.shards > 1);
  CHECK(fs::exists(tmp.file("m") + "/model.safetensors.index.json"));
  CHECK_FALSE(fs::exists(tmp.file("m") + "/model.safetensors"));
  const HGRNBitWeights w = HGRNBitWeights::load(tmp.file("m"));  // validates every shard
  CHECK(w.layers.size() == 2);
}

TEST_CASE("synth-checkpoint refuses a non-empty output folder and leaves no temp files", "[synth]") {
  neurark_test::TempDir tmp;
  neurark_test::write_text(tmp.file("x.txt"), "keep me");
  CHECK_THROWS_WITH(synth_checkpoint(small_config(), tmp.path(), SynthOptions{}),
                    Catch::Contains("already exists and is not an empty folder"));
  SynthOptions bad;
  bad.dtype = "F64";
  CHECK_THROWS_WITH(synth_checkpoint(small_config(), tmp.file("m"), bad), Catch::Contains("'F64'"));
  int entries = 0;
  for (const auto& e : fs::directory_iterator(tmp.path())) entries += e.path().filename() != "x.txt";
  CHECK(entries == 0);
}
