// SPDX-License-Identifier: Apache-2.0
// Tests of the HGRNBit checkpoint loader (models/checkpoint.hpp): the tensor names and shapes a
// config implies, a complete tiny checkpoint landing in the right struct fields (single file and
// sharded, F32 and BF16), and errors for missing / misshapen / extra tensors and non-finite values.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "checkpoint_fixtures.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/config.hpp"
#include "neurark/models/int_ref.hpp"

using Catch::Contains;
using neurark::models::expected_tensors;
using neurark::models::ExpectedTensor;
using neurark::models::HGRNBitConfig;
using neurark::models::HGRNBitWeights;
using namespace neurark_test;

namespace {

// hidden 8, 2 layers, vocab 16, intermediate 16 (given, not derived).
const std::string kTinyConfig = R"({
  "architectures": ["HGRNBitForCausalLM"], "model_type": "hgrn_bit",
  "vocab_size": 16, "hidden_size": 8, "num_hidden_layers": 2, "intermediate_size": 16,
  "hidden_ratio": 4, "rms_norm_eps": 1e-06, "use_lower_bound": true, "torch_dtype": "float32"
})";

struct FakeTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

std::size_t numel(const std::vector<int64_t>& shape) {
  std::size_t n = 1;
  for (int64_t d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

// Every tensor the config implies; tensor k holds k*1000 + i at flat index i (exact in float32),
// so any value identifies the tensor and element it came from.
std::vector<FakeTensor> fake_tensors(const std::string& config_text) {
  const HGRNBitConfig c = HGRNBitConfig::from_json_text(config_text, "config.json");
  std::vector<FakeTensor> out;
  for (const ExpectedTensor& e : expected_tensors(c)) {
    FakeTensor t{e.name, e.shape, std::vector<float>(numel(e.shape))};
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      t.values[i] = static_cast<float>(out.size() * 1000 + i);
    }
    out.push_back(std::move(t));
  }
  return out;
}

FakeTensor& by_name(std::vector<FakeTensor>& ts, const std::string& name) {
  for (FakeTensor& t : ts) {
    if (t.name == name) return t;
  }
  throw std::runtime_error("fixture has no tensor " + name);
}

// The value the fixture put at `flat` of tensor `name`.
float value_of(std::vector<FakeTensor>& ts, const std::string& name, std::size_t flat) {
  return by_name(ts, name).values.at(flat);
}

uint16_t to_bf16(float f) {  // only for values exact in bf16
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  REQUIRE((bits & 0xFFFFu) == 0);
  return static_cast<uint16_t>(bits >> 16);
}

TensorSpec spec_of(const FakeTensor& t, const std::string& dtype) {
  if (dtype == "BF16") {
    std::vector<uint16_t> h;
    for (float v : t.values) h.push_back(to_bf16(v));
    return {t.name, dtype, t.shape, u16_bytes(h)};
  }
  return {t.name, "F32", t.shape, f32_bytes(t.values)};
}

void write_checkpoint(const TempDir& dir, const std::string& config_text, const std::vector<FakeTensor>& ts) {
  write_text(dir.file("config.json"), config_text);
  std::vector<TensorSpec> specs;
  for (const FakeTensor& t : ts) specs.push_back(spec_of(t, "F32"));
  write_bytes(dir.file("model.safetensors"), build_safetensors(specs));
}

std::string load_error(const TempDir& dir) {
  return error_message([&] { HGRNBitWeights::load(dir.path()); });
}

}  // namespace

TEST_CASE("checkpoint: expected_tensors lists the HGRNBitForCausalLM parameters", "[checkpoint]") {
  HGRNBitConfig c;
  c.vocab_size = 16;
  c.hidden_size = 8;
  c.num_hidden_layers = 1;
  c.intermediate_size = 16;
  const std::vector<std::pair<std::string, std::vector<int64_t>>> want = {
      {"model.embeddings.weight", {16, 8}},
      {"model.lower_bounds", {1, 8}},
      {"model.layers.0.attn_norm.weight", {8}},
      {"model.layers.0.attn.i_proj.weight", {8, 8}},
      {"model.layers.0.attn.i_proj.norm.weight", {8}},
      {"model.layers.0.attn.f_proj.weight", {8, 8}},
      {"model.layers.0.attn.f_proj.norm.weight", {8}},
      {"model.layers.0.attn.g_proj.weight", {8, 8}},
      {"model.layers.0.attn.g_proj.norm.weight", {8}},
      {"model.layers.0.attn.o_proj.weight", {8, 8}},
      {"model.layers.0.attn.o_proj.norm.weight", {8}},
      {"model.layers.0.attn.g_norm.weight", {8}},
      {"model.layers.0.mlp_norm.weight", {8}},
      {"model.layers.0.mlp.gate_proj.weight", {32, 8}},
      {"model.layers.0.mlp.gate_proj.norm.weight", {8}},
      {"model.layers.0.mlp.down_proj.weight", {8, 16}},
      {"model.layers.0.mlp.down_proj.norm.weight", {16}},
      {"model.norm.weight", {8}},
      {"lm_head.weight", {16, 8}},
      {"lm_head.norm.weight", {8}},
  };
  const std::vector<ExpectedTensor> got = expected_tensors(c);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    CHECK(got[i].name == want[i].first);
    CHECK(got[i].shape == want[i].second);
  }

  c.use_lower_bound = false;
  c.num_hidden_layers = 3;
  const std::vector<ExpectedTensor> no_lb = expected_tensors(c);
  CHECK(no_lb.size() == 1 + 15 * 3 + 3);
  for (const ExpectedTensor& e : no_lb) CHECK(e.name != "model.lower_bounds");
  CHECK(no_lb[1].name == "model.layers.0.attn_norm.weight");
  CHECK(no_lb[1 + 15 * 2].name == "model.layers.2.attn_norm.weight");
}

TEST_CASE("checkpoint: a complete tiny checkpoint lands in the right fields", "[checkpoint]") {
  TempDir dir;
  std::vector<FakeTensor> ts = fake_tensors(kTinyConfig);
  write_checkpoint(dir, kTinyConfig, ts);
  const HGRNBitWeights w = HGRNBitWeights::load(dir.path());

  CHECK(w.config.hidden_size == 8);
  CHECK(w.config.num_hidden_layers == 2);
  CHECK(w.config.vocab_size == 16);
  CHECK(w.config.intermediate_size == 16);
  CHECK_FALSE(w.config.intermediate_size_derived);

  REQUIRE(w.embeddings.size() == 16 * 8);
  CHECK(w.embeddings[5] == value_of(ts, "model.embeddings.weight", 5));
  REQUIRE(w.lower_bounds.size() == 2 * 8);  // [L, d]
  CHECK(w.lower_bounds[9] == value_of(ts, "model.lower_bounds", 9));
  REQUIRE(w.layers.size() == 2);

  const auto& l1 = w.layers[1];
  REQUIRE(l1.gate_proj.weight.size() == 32 * 8);
  CHECK(l1.gate_proj.weight[3] == value_of(ts, "model.layers.1.mlp.gate_proj.weight", 3));
  CHECK(l1.gate_proj.in == 8);
  CHECK(l1.gate_proj.out == 32);
  CHECK(l1.gate_proj.norm.size() == 8);
  CHECK(l1.gate_proj.norm[7] == value_of(ts, "model.layers.1.mlp.gate_proj.norm.weight", 7));
  CHECK(l1.down_proj.in == 16);
  CHECK(l1.down_proj.out == 8);
  REQUIRE(l1.down_proj.norm.size() == 16);
  CHECK(l1.down_proj.norm[15] == value_of(ts, "model.layers.1.mlp.down_proj.norm.weight", 15));
  CHECK(l1.down_proj.weight[8 * 16 - 1] == value_of(ts, "model.layers.1.mlp.down_proj.weight", 127));
  CHECK(l1.attn_norm[2] == value_of(ts, "model.layers.1.attn_norm.weight", 2));
  CHECK(l1.mlp_norm[2] == value_of(ts, "model.layers.1.mlp_norm.weight", 2));
  CHECK(l1.g_norm[2] == value_of(ts, "model.layers.1.attn.g_norm.weight", 2));

  const auto& l0 = w.layers[0];
  CHECK(l0.i_proj.weight[10] == value_of(ts, "model.layers.0.attn.i_proj.weight", 10));
  CHECK(l0.f_proj.weight[10] == value_of(ts, "model.layers.0.attn.f_proj.weight", 10));
  CHECK(l0.g_proj.weight[10] == value_of(ts, "model.layers.0.attn.g_proj.weight", 10));
  CHECK(l0.o_proj.weight[10] == value_of(ts, "model.layers.0.attn.o_proj.weight", 10));
  CHECK(l0.o_proj.norm[1] == value_of(ts, "model.layers.0.attn.o_proj.norm.weight", 1));
  CHECK(l0.i_proj.in == 8);
  CHECK(l0.i_proj.out == 8);

  CHECK(w.final_norm[4] == value_of(ts, "model.norm.weight", 4));
  CHECK(w.lm_head.in == 8);
  CHECK(w.lm_head.out == 16);
  REQUIRE(w.lm_head.weight.size() == 16 * 8);
  CHECK(w.lm_head.weight[127] == value_of(ts, "lm_head.weight", 127));
  CHECK(w.lm_head.norm[0] == value_of(ts, "lm_head.norm.weight", 0));
}

TEST_CASE("checkpoint: sharded BF16 checkpoint without lower bounds", "[checkpoint]") {
  const std::string config = R"({"model_type": "hgrn_bit", "vocab_size": 16, "hidden_size": 8,
                                 "num_hidden_layers": 2, "intermediate_size": 16, "use_lower_bound": false})";
  TempDir dir;
  std::vector<FakeTensor> ts = fake_tensors(config);
  for (std::size_t k = 0; k < ts.size(); ++k) {  // small values: exact in bf16
    for (std::size_t i = 0; i < ts[k].values.size(); ++i) {
      ts[k].values[i] = static_cast<float>((k + i) % 7) - 3.0f;
    }
  }
  write_text(dir.file("config.json"), config);
  std::vector<TensorSpec> shard[2];
  nlohmann::json weight_map = nlohmann::json::object();
  for (std::size_t k = 0; k < ts.size(); ++k) {
    shard[k % 2].push_back(spec_of(ts[k], "BF16"));
    weight_map[ts[k].name] = k % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  write_bytes(dir.file("model-00001-of-00002.safetensors"), build_safetensors(shard[0]));
  write_bytes(dir.file("model-00002-of-00002.safetensors"), build_safetensors(shard[1]));
  write_text(dir.file("model.safetensors.index.json"),
             nlohmann::json{{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}}.dump());

  const HGRNBitWeights w = HGRNBitWeights::load(dir.path());
  CHECK_FALSE(w.config.use_lower_bound);
  CHECK(w.lower_bounds.empty());
  REQUIRE(w.layers.size() == 2);
  CHECK(w.layers[1].gate_proj.weight[3] == value_of(ts, "model.layers.1.mlp.gate_proj.weight", 3));
  CHECK(w.layers[0].down_proj.norm[5] == value_of(ts, "model.layers.0.mlp.down_proj.norm.weight", 5));
  CHECK(w.embeddings[6] == value_of(ts, "model.embeddings.weight", 6));
  CHECK(w.lm_head.norm[2] == value_of(ts, "lm_head.norm.weight", 2));
}

TEST_CASE("checkpoint: missing tensor names it and its expected shape", "[checkpoint]") {
  TempDir dir;
  std::vector<FakeTensor> ts = fake_tensors(kTinyConfig);
  ts.erase(ts.begin() + 5);
  const std::string name = "model.layers.1.attn.g_norm.weight";
  ts.erase(std::find_if(ts.begin(), ts.end(), [&](const FakeTensor& t) { return t.name == name; }));
  write_checkpoint(dir, kTinyConfig, ts);
  const std::string removed_first = fake_tensors(kTinyConfig)[5].name;
  CHECK_THAT(load_error(dir), Contains(dir.path()) && Contains("tensor '" + removed_first + "' is missing") &&
                                  Contains("expected shape [8") && Contains("2 of 35 expected tensors are missing"));

  // Just the one: its exact shape.
  TempDir dir2;
  std::vector<FakeTensor> ts2 = fake_tensors(kTinyConfig);
  ts2.erase(std::find_if(ts2.begin(), ts2.end(), [&](const FakeTensor& t) { return t.name == name; }));
  write_checkpoint(dir2, kTinyConfig, ts2);
  CHECK_THAT(load_error(dir2), Contains(dir2.path()) && Contains("tensor '" + name + "' is missing") &&
                                   Contains("expected shape [8]") && Contains("hidden_size 8"));
}

TEST_CASE("checkpoint: wrong shape shows both shapes", "[checkpoint]") {
  TempDir dir;
  std::vector<FakeTensor> ts = fake_tensors(kTinyConfig);
  FakeTensor& t = by_name(ts, "model.layers.0.mlp.down_proj.weight");
  t.shape = {8, 12};
  t.values.resize(8 * 12);
  write_checkpoint(dir, kTinyConfig, ts);
  CHECK_THAT(load_error(dir), Contains(dir.file("model.safetensors")) &&
                                  Contains("tensor 'model.layers.0.mlp.down_proj.weight' has shape [8, 12], "
                                           "expected [8, 16]") &&
                                  Contains("intermediate_size 16"));
}

TEST_CASE("checkpoint: unexpected extra tensor", "[checkpoint]") {
  SECTION("a third layer's tensor in a 2-layer checkpoint") {
    TempDir dir;
    std::vector<FakeTensor> ts = fake_tensors(kTinyConfig);
    ts.push_back({"model.layers.2.attn_norm.weight", {8}, std::vector<float>(8, 1.0f)});
    write_checkpoint(dir, kTinyConfig, ts);
    CHECK_THAT(load_error(dir), Contains(dir.file("model.safetensors")) &&
                                    Contains("unexpected tensor 'model.layers.2.attn_norm.weight' (shape [8])") &&
                                    Contains("num_hidden_layers 2"));
  }
  SECTION("lower_bounds when use_lower_bound is false") {
    const std::string config = R"({"model_type": "hgrn_bit", "vocab_size": 16, "hidden_size": 8,
                                   "num_hidden_layers": 2, "intermediate_size": 16, "use_lower_bound": false})";
    TempDir dir;
    std::vector<FakeTensor> ts = fake_tensors(config);
    ts.push_back({"model.lower_bounds", {2, 8}, std::vector<float>(16, 0.0f)});
    write_checkpoint(dir, config, ts);
    CHECK_THAT(load_error(dir), Contains("unexpected tensor 'model.lower_bounds' (shape [2, 8])") &&
                                    Contains("use_lower_bound false"));
  }
}

TEST_CASE("checkpoint: non-finite value names tensor and element", "[checkpoint]") {
  SECTION("NaN") {
    TempDir dir;
    std::vector<FakeTensor> ts = fake_tensors(kTinyConfig);
    by_name(ts, "model.layers.1.attn.o_proj.weight").values[21] = std::numeric_limits<float>::quiet_NaN();
    write_checkpoint(dir, kTinyConfig, ts);
    CHECK_THAT(load_error(dir), Contains(dir.file("model.safetensors")) &&
                                    Contains("tensor 'model.layers.1.attn.o_proj.weight' element 21 (index [2, 5]) "
                                             "is nan, expected a finite value"));
  }
  SECTION("-inf") {
    TempDir dir;
    std::vector<FakeTensor> ts = fake_tensors(kTinyConfig);
    by_name(ts, "lm_head.norm.weight").values[7] = -std::numeric_limits<float>::infinity();
    write_checkpoint(dir, kTinyConfig, ts);
    CHECK_THAT(load_error(dir), Contains("tensor 'lm_head.norm.weight' element 7 (index [7]) is -inf"));
  }
}

TEST_CASE("checkpoint: integer dtype for a weight is rejected", "[checkpoint]") {
  TempDir dir;
  const std::vector<FakeTensor> ts = fake_tensors(kTinyConfig);
  write_text(dir.file("config.json"), kTinyConfig);
  std::vector<TensorSpec> specs;
  for (const FakeTensor& t : ts) specs.push_back(spec_of(t, "F32"));
  specs.back() = {"lm_head.norm.weight", "I32", {8}, i32_bytes({1, 1, 1, 1, 1, 1, 1, 1})};
  write_bytes(dir.file("model.safetensors"), build_safetensors(specs));
  CHECK_THAT(load_error(dir), Contains("tensor 'lm_head.norm.weight' has dtype I32"));
}

TEST_CASE("checkpoint: missing config.json names the path", "[checkpoint]") {
  TempDir dir;
  std::vector<FakeTensor> ts = fake_tensors(kTinyConfig);
  write_checkpoint(dir, kTinyConfig, ts);
  std::filesystem::remove(dir.file("config.json"));
  CHECK_THAT(load_error(dir), Contains(dir.file("config.json")) && Contains("does not exist"));
}

TEST_CASE("checkpoint: missing model.safetensors names the path", "[checkpoint]") {
  TempDir dir;
  write_text(dir.file("config.json"), kTinyConfig);
  CHECK_THAT(load_error(dir), Contains(dir.file("model.safetensors")) && Contains("neither"));
}

TEST_CASE("checkpoint: invalid config.json is reported before the tensors are read", "[checkpoint]") {
  TempDir dir;
  write_text(dir.file("config.json"), R"({"model_type": "hgrn", "hidden_size": 8})");
  CHECK_THAT(load_error(dir), Contains(dir.file("config.json")) && Contains("'model_type' is \"hgrn\""));
}

TEST_CASE("checkpoint: a directory that does not exist", "[checkpoint]") {
  TempDir dir;
  const std::string missing = dir.file("no-such-model");
  CHECK_THAT(error_message([&] { HGRNBitWeights::load(missing); }),
             Contains(missing) && Contains("does not exist"));
  // A file where a folder is expected: say which folder was probably meant.
  write_text(dir.file("config.json"), "{}");
  CHECK_THAT(error_message([&] { HGRNBitWeights::load(dir.file("config.json")); }),
             Contains("is a file") && Contains("did you mean its folder '" + dir.path() + "'"));
  write_text(dir.file("chip.yaml"), "format: neurark-chip\n");
  CHECK_THAT(error_message([&] { HGRNBitWeights::load(dir.file("chip.yaml")); }),
             Contains("chip description"));
}

namespace {

void check_same_int_model(const neurark::models::IntModel& a, const neurark::models::IntModel& b) {
  // Every embedding row the same, whether held (prepare) or read from the checkpoint (load).
  const auto d = static_cast<std::size_t>(a.config.hidden_size);
  std::vector<int32_t> ra(d), rb(d);
  bool rows_equal = a.config.vocab_size == b.config.vocab_size;
  for (int32_t t = 0; rows_equal && t < a.config.vocab_size; ++t) {
    a.embedding_row(t, ra.data());
    b.embedding_row(t, rb.data());
    rows_equal = ra == rb;
  }
  CHECK(rows_equal);
  CHECK(a.layers == b.layers);
  CHECK(a.final_norm == b.final_norm);
  CHECK(a.final_norm_exp == b.final_norm_exp);
  CHECK(a.rms_norm_eps == b.rms_norm_eps);
  CHECK(a.lm_head == b.lm_head);
}

// The message of the error IntModel::prepare(HGRNBitWeights::load(dir)) throws, and
// IntModel::load(dir)'s.
std::pair<std::string, std::string> int_model_errors(const TempDir& dir) {
  using neurark::models::IntModel;
  return {error_message([&] { IntModel::prepare(HGRNBitWeights::load(dir.path())); }),
          error_message([&] { IntModel::load(dir.path()); })};
}

}  // namespace

TEST_CASE("checkpoint: IntModel::load prepares what IntModel::prepare does, with its errors in its order",
          "[checkpoint][int_ref]") {
  using neurark::models::IntModel;
  {
    TempDir dir;
    write_checkpoint(dir, kTinyConfig, fake_tensors(kTinyConfig));
    check_same_int_model(IntModel::load(dir.path()), IntModel::prepare(HGRNBitWeights::load(dir.path())));
  }
  const auto errors_with = [&](const std::vector<std::pair<std::string, std::pair<std::size_t, float>>>& edits) {
    TempDir dir;
    std::vector<FakeTensor> ts = fake_tensors(kTinyConfig);
    for (const auto& [name, at] : edits) by_name(ts, name).values.at(at.first) = at.second;
    write_checkpoint(dir, kTinyConfig, ts);
    return int_model_errors(dir);
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // A non-finite value read last wins over a preparation error found first (load checks come first).
  auto e = errors_with({{"model.embeddings.weight", {5, 1e6f}}, {"lm_head.norm.weight", {3, nan}}});
  CHECK(e.first == e.second);
  CHECK_THAT(e.second, Contains("'lm_head.norm.weight' element 3"));
  // Among preparation errors, prepare's order: g_norm (read after o_proj) before o_proj's norm.
  e = errors_with({{"model.layers.1.attn.o_proj.norm.weight", {2, 1e12f}}, {"model.layers.1.attn.g_norm.weight", {1, 1e12f}}});
  CHECK(e.first == e.second);
  CHECK_THAT(e.second, Contains("'model.layers.1.attn.g_norm.weight'"));
  // The first bad embedding element, before every later error.
  e = errors_with({{"model.embeddings.weight", {9, 1e6f}}, {"model.embeddings.weight", {100, -1e6f}},
                   {"model.norm.weight", {0, 1e12f}}});
  CHECK(e.first == e.second);
  CHECK_THAT(e.second, Contains("[1, 1]"));
  e = errors_with({{"model.layers.0.mlp.down_proj.norm.weight", {0, 1e12f}}, {"lm_head.norm.weight", {1, 1e12f}}});
  CHECK(e.first == e.second);
  CHECK_THAT(e.second, Contains("down_proj.norm.weight"));
}
