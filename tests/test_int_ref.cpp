// SPDX-License-Identifier: Apache-2.0
// The bit-exact integer reference: a hand-worked BitLinear, model-level edge cases, agreement
// with the float reference on held-out text, determinism.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>

#include "neurark/arch/numerics.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/float_ref.hpp"
#include "neurark/models/int_ref.hpp"
#include "test_paths.hpp"

using namespace neurark;
using namespace neurark::models;

namespace {
std::string read_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (s.size() > max_bytes) s.resize(max_bytes);
  return s;
}
}  // namespace

TEST_CASE("BitLinear on a hand-worked example", "[int_ref]") {
  // Derived step by step (docs/numerics.md §5):
  //   u = v * w_norm = [200, -100, 0, 50], m = 200
  //   q = round_half_away(127 u / m) = [127, -64 (from -63.5), 0, 32 (from 31.75)]
  //   acc = [127 + 64 + 32, -32] = [223, -32]; ss = 13125
  //   S = 1.0 * 200 * rsqrt(13125) = 3748954808 * 2^-31 (1.74574312195; exact 1.74574312189)
  //   y = round_half_away(acc * S) = [389 (389.30), -56 (-55.86)]
  const int32_t v[] = {100, -50, 0, 25};
  const int32_t w_norm[] = {2, 2, 2, 2};
  const int8_t w_t[] = {1, -1, 0, 1, 0, 0, -1, -1};
  int32_t y[2];
  int8_t codes[4];
  int32_t acc[2];
  const arch::BitLinearStats st =
      arch::bitlinear_q16(v, 4, 2, w_norm, w_t, arch::Scale{1u << 31, -31}, arch::Scale{}, y, codes, acc);
  CHECK(codes[0] == 127);
  CHECK(codes[1] == -64);
  CHECK(codes[2] == 0);
  CHECK(codes[3] == 32);
  CHECK(acc[0] == 223);
  CHECK(acc[1] == -32);
  CHECK(st.absmax == 200);
  CHECK(st.nonzero_inputs == 3);
  CHECK(st.token_scale == arch::Scale{3748954808u, -31});
  CHECK(y[0] == 389);
  CHECK(y[1] == -56);
  // The same v as a Q15.16 vector (block j = 16) with the RMSNorm's eps: E = 1e-6 * 4 * 2^32 =
  // 17179.87, S = 200 / sqrt(13125 + 17179.87) = 1.148877, y = [256 (256.20), -37 (-36.76)].
  const arch::BitLinearStats se = arch::bitlinear_q16(v, 4, 2, w_norm, w_t, arch::Scale{1u << 31, -31},
                                                      arch::rmsnorm_eps_term(arch::BlockScale{}, 4), y, codes, acc);
  CHECK(std::fabs(arch::scale_to_double(se.token_scale) - 200.0 / std::sqrt(13125.0 + 1e-6 * 4 * 4294967296.0)) < 1e-8);
  CHECK(y[0] == 256);
  CHECK(y[1] == -37);
}

TEST_CASE("an all-zero weight tensor gives exactly zero outputs", "[int_ref]") {
  HGRNBitWeights w = HGRNBitWeights::load(test::default_model_dir());
  std::fill(w.lm_head.weight.begin(), w.lm_head.weight.end(), 0.0f);  // mean|W| = 0
  IntReference ref(w);
  for (int8_t t : ref.model().lm_head.unpacked()) REQUIRE(t == 0);
  std::vector<int32_t> logits;
  IntStepTrace trace;
  ref.step_q16('A', logits, &trace);
  for (int32_t l : logits) CHECK(l == 0);
  CHECK(trace.layer_out_q16.size() == static_cast<std::size_t>(w.config.num_hidden_layers));
}

TEST_CASE("integer reference is deterministic and counts events", "[int_ref]") {
  const HGRNBitWeights w = HGRNBitWeights::load(test::default_model_dir());
  IntReference a(w), b(w);
  const std::string text = read_file(test::heldout_path(), 64);
  REQUIRE(text.size() == 64);
  std::vector<int32_t> la, lb;
  for (unsigned char c : text) {
    IntStepTrace ta, tb;
    a.step_q16(c, la, &ta);
    b.step_q16(c, lb, &tb);
    REQUIRE(la == lb);
    REQUIRE(ta.layer_out_q16 == tb.layer_out_q16);
    REQUIRE(ta.synaptic_ops == tb.synaptic_ops);
    // Every BitLinear input code is counted; events are its non-zero codes.
    const auto& cfg = w.config;
    const int64_t codes_per_token = cfg.num_hidden_layers * (4 * cfg.hidden_size + cfg.hidden_size +
                                                             cfg.intermediate_size) + cfg.hidden_size;
    CHECK(ta.activation_codes == codes_per_token);
    CHECK(ta.events > 0);
    CHECK(ta.synaptic_ops > 0);
  }
  // reset() returns to the zero state: the same first token gives the same logits again.
  std::vector<int32_t> first, again;
  a.reset();
  a.step_q16(static_cast<unsigned char>(text[0]), first);
  b.reset();
  b.step_q16(static_cast<unsigned char>(text[0]), again);
  CHECK(first == again);
  for (std::size_t l = 0; l < w.layers.size(); ++l) CHECK(a.state_q20(l) == b.state_q20(l));
}

TEST_CASE("integer reference agrees with the float reference on held-out text", "[int_ref][slow]") {
  const HGRNBitWeights w = HGRNBitWeights::load(test::default_model_dir());
  FloatReference fref(w);
  IntReference iref(w);
  const std::string text = read_file(test::heldout_path(), 3000);
  const EvalResult rf = evaluate(fref, text);
  const EvalResult ri = evaluate(iref, text);
  INFO("float bpb " << rf.bits_per_byte << ", int bpb " << ri.bits_per_byte);
  CHECK(ri.bytes == 2999);
  CHECK(std::fabs(ri.bits_per_byte - rf.bits_per_byte) / rf.bits_per_byte < 0.01);
  // Greedy choices agree at nearly every position.
  fref.reset();
  iref.reset();
  std::vector<float> lf, li;
  int same = 0;
  for (unsigned char c : text) {
    fref.step(c, lf);
    iref.step(c, li);
    same += std::max_element(lf.begin(), lf.end()) - lf.begin() ==
            std::max_element(li.begin(), li.end()) - li.begin();
  }
  CHECK(same >= static_cast<int>(0.97 * static_cast<double>(text.size())));
}

TEST_CASE("weights the integer datapath cannot hold are refused at load, naming the tensor", "[int_ref]") {
  using Catch::Contains;
  const HGRNBitWeights base = HGRNBitWeights::load(test::default_model_dir());
  {
    HGRNBitWeights w = base;
    w.final_norm[3] = 3e9f;
    CHECK_THROWS_WITH(IntModel::prepare(w), Contains(base.dir) && Contains("'model.norm.weight'") &&
                                                Contains("element 3") && Contains("2147483647"));
  }
  {
    HGRNBitWeights w = base;
    w.layers[1].o_proj.norm[0] = 1e10f;
    CHECK_THROWS_WITH(IntModel::prepare(w), Contains("'model.layers.1.attn.o_proj.norm.weight'"));
  }
  {
    HGRNBitWeights w = base;
    const auto d = static_cast<std::size_t>(w.config.hidden_size);
    w.embeddings[7 * d + 2] = 40000.0f;  // beyond Q15.16
    CHECK_THROWS_WITH(IntModel::prepare(w), Contains("'model.embeddings.weight' [7, 2]") && Contains("Q15.16"));
  }
}

TEST_CASE("IntModel::load stops when cancelled, and not otherwise", "[int_ref]") {
  std::atomic<bool> cancel{true};
  CHECK_THROWS_WITH(IntModel::load(test::default_model_dir(), &cancel), Catch::Contains("loading cancelled"));
  cancel = false;
  CHECK(IntModel::load(test::default_model_dir(), &cancel).layers.size() == IntModel::load(test::default_model_dir()).layers.size());
}

TEST_CASE("IntReference::load (tensor by tensor) runs as the reference built from all floats", "[int_ref]") {
  const HGRNBitWeights w = HGRNBitWeights::load(test::default_model_dir());
  IntReference a(w);
  IntReference b = IntReference::load(test::default_model_dir());
  // The lean form keeps no embedding table: each row is read from the checkpoint, the same bits.
  CHECK(b.model().embeddings_q16.empty());
  CHECK(b.model().embedding_source != nullptr);
  {
    const auto d = static_cast<std::size_t>(w.config.hidden_size);
    std::vector<int32_t> row(d);
    bool rows_equal = true;
    for (int32_t t = 0; t < w.config.vocab_size; ++t) {
      b.model().embedding_row(t, row.data());
      rows_equal = rows_equal && std::equal(row.begin(), row.end(), a.model().embeddings_q16.begin() + static_cast<std::ptrdiff_t>(t * d));
    }
    CHECK(rows_equal);
  }
  CHECK(a.model().lm_head.w_packed == b.model().lm_head.w_packed);
  CHECK(a.model().lm_head.col_nnz == b.model().lm_head.col_nnz);
  CHECK(a.model().lm_head.s_w == b.model().lm_head.s_w);
  // 2 bits per weight: ceil(fan-in / 4) bytes per row.
  const HGRNBitConfig& c = w.config;
  const int64_t d = c.hidden_size, I = c.intermediate_size;
  CHECK(b.model().packed_weight_bytes() ==
        c.num_hidden_layers * (4 * d * ((d + 3) / 4) + 2 * I * ((d + 3) / 4) + d * ((I + 3) / 4)) + c.vocab_size * ((d + 3) / 4));
  CHECK(a.weight_sparsity() == b.weight_sparsity());
  std::vector<int32_t> la, lb;
  for (int32_t t : {'T', 'o', ' ', 'b', 'e'}) {
    a.step_q16(t, la);
    b.step_q16(t, lb);
    REQUIRE(la == lb);
  }
}

TEST_CASE("the bundled sparse model meets issue 15's goal in the integer reference: >= 50 % sparsity, <= 2 % bpb over dense",
          "[int_ref][slow][events]") {
  // The whole held-out text, state carried, as both model cards measure (the goal is on it: on a
  // 30,000-byte prefix the sparse model is +2.19 %).
  const std::string text = read_file(test::heldout_path(), std::string::npos);
  IntReference dense = IntReference::load(test::default_model_dir());
  IntReference sparse = IntReference::load(test::source_dir() + "/models/zoo/shakespeare-d256-l4-sparse");
  arch::EventMode theta9;
  theta9.threshold = 9;  // what it was trained for (its card)
  sparse.set_event_mode(theta9);
  const EvalResult d = evaluate(dense, text), s = evaluate(sparse, text);
  const auto sparsity = [](const IntReference& r) {
    return 1.0 - static_cast<double>(r.activity().events) / static_cast<double>(r.activity().activation_codes);
  };
  INFO("dense bpb " << d.bits_per_byte << " sparsity " << sparsity(dense) << "; sparse bpb " << s.bits_per_byte << " sparsity "
                    << sparsity(sparse));
  CHECK(s.bytes == 111539);
  CHECK(sparsity(dense) < 0.13);
  CHECK(sparsity(sparse) >= 0.50);
  CHECK(s.bits_per_byte <= 1.02 * d.bits_per_byte);
}
