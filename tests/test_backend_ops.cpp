// SPDX-License-Identifier: Apache-2.0
// Op x backend: one list of cases, each aimed at one op of the HGRNBit program (BitLinear tiles,
// the MLGRU step, the GLU, RMSNorm, requantization, the embedding, lm_head) with edge values and
// its own shapes and tile cuts, run on every registered bit-exact chip backend (sim/registry.hpp)
// against the integer reference, every op's output compared on every token
// (sim::cross_checked). A divergence names the case, the backend and the op (llama.cpp's
// tests/test-backend-ops.cpp runs one case list over every backend the same way). A mutant of
// the functional backend (compiled from sim/src/functional.cpp with SiLU clamped at 20.0,
// tests/CMakeLists.txt) shows that the suite catches a broken backend and names it and the op.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checkpoint_fixtures.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/config.hpp"
#include "neurark/runs/model_source.hpp"
#include "neurark/sim/backend.hpp"
#include "neurark/sim/registry.hpp"

using namespace neurark;

namespace neurark::sim::mutant {
// The functional backend built from a mutated copy of sim/src/functional.cpp (tests/CMakeLists.txt).
std::unique_ptr<Backend> make_functional_backend(const arch::Image& image, const arch::Program& program,
                                                 PhaseObserver observer, EventProbe* probe);
}  // namespace neurark::sim::mutant

namespace {

// A weight generator: value of element `i` of checkpoint tensor `name` (the default draws are
// those of a small trained model's scale: BitLinear 0.02 N, norms exp(0.3 N), embeddings 0.05 N).
using Weights = std::function<float(const std::string& name, int64_t i, std::mt19937_64& rng)>;

float normal(std::mt19937_64& rng) {  // portable Box-Muller
  const double u1 = (static_cast<double>(rng() >> 11) + 0.5) / 9007199254740992.0;
  const double u2 = static_cast<double>(rng() >> 11) / 9007199254740992.0;
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

float default_weight(const std::string& name, int64_t, std::mt19937_64& rng) {
  if (name == "model.embeddings.weight") return 0.05f * normal(rng);
  if (name == "model.lower_bounds") return normal(rng);
  if (ends_with(name, "norm.weight")) return std::exp(0.3f * normal(rng));
  return 0.02f * normal(rng);  // BitLinear weights
}

struct Case {
  std::string name;      // what it aims at
  std::string op;        // the op kind it stresses (for the reader)
  int64_t hidden = 16, intermediate = 16, layers = 2, vocab = 20;
  std::string chip;      // the chip YAML's neurocore / mesh / dram sections
  Weights weights = default_weight;
  // Checks on the reference's op outputs over the case's tokens that show the case reaches its
  // edge (e.g. a value saturated), so that a case cannot silently stop testing what it names.
  std::function<void(const std::vector<sim::TensorObservation>& seen)> reaches_edge;
};

Case make_case(const std::string& name, const std::string& op, int64_t hidden = 16, int64_t intermediate = 16,
               int64_t layers = 2, int64_t vocab = 20) {
  Case k;
  k.name = name;
  k.op = op;
  k.hidden = hidden;
  k.intermediate = intermediate;
  k.layers = layers;
  k.vocab = vocab;
  return k;
}

std::string chip_yaml(const std::string& sections) {
  return "format: neurark-chip\nversion: 1\nname: ops\nclock_hz: 100e6\ntechnology:\n  node_nm: 22\n" + sections;
}

const char* const kSmallChip =
    "mesh:\n  width: 3\n  height: 3\nneurocore:\n  lanes: 4\n  synapse_sram_bytes: 256\n  sram_port_bits: 16\n"
    "  accumulators: 8\n  state_memory_bytes: 1024\n  weight_encoding: packed2\nnoc:\n  link_width_bits: 32\n  router_latency_cycles: 1\n";

int32_t max_abs(const std::vector<sim::TensorObservation>& seen, const std::string& tensor_suffix) {
  int64_t m = 0;
  for (const sim::TensorObservation& t : seen)
    if (ends_with(t.tensor, tensor_suffix))
      for (int32_t v : t.values) m = std::max<int64_t>(m, std::llabs(static_cast<int64_t>(v)));
  return static_cast<int32_t>(std::min<int64_t>(m, std::numeric_limits<int32_t>::max()));
}

std::vector<Case> cases() {
  std::vector<Case> c;
  {
    Case k = make_case("bitlinear: fan-in off the lane step, rows cut into uneven tiles", "bitlinear", 21, 18, 1, 23);
    k.chip = "mesh:\n  width: 3\n  height: 3\nneurocore:\n  lanes: 3\n  synapse_sram_bytes: 128\n  sram_port_bits: 16\n"
             "  accumulators: 7\n  state_memory_bytes: 1024\n  weight_encoding: packed2\nnoc:\n  link_width_bits: 32\n  router_latency_cycles: 1\n";
    c.push_back(k);
  }
  {
    Case k = make_case("mlgru: forget gates saturated at 0 and 1, lower bounds far from 0", "mlgru");
    k.chip = kSmallChip;
    k.weights = [](const std::string& name, int64_t i, std::mt19937_64& rng) {
      if (name.find("f_proj.weight") != std::string::npos) return 40.0f * normal(rng);  // |f| up to tens
      if (name == "model.lower_bounds") return 3.0f * normal(rng);
      return default_weight(name, i, rng);
    };
    k.reaches_edge = [](const std::vector<sim::TensorObservation>& seen) { CHECK(max_abs(seen, ".f") > (12 << 16)); };
    c.push_back(k);
  }
  {
    Case k = make_case("glu: SiLU of large gates, odd intermediate size", "silu", 16, 13);
    k.chip = kSmallChip;
    k.weights = [](const std::string& name, int64_t i, std::mt19937_64& rng) {
      if (name.find("gate_proj.weight") != std::string::npos) return 30.0f * normal(rng);
      return default_weight(name, i, rng);
    };
    k.reaches_edge = [](const std::vector<sim::TensorObservation>& seen) { CHECK(max_abs(seen, "swiglu_silu") > (20 << 16)); };
    c.push_back(k);
  }
  {
    Case k = make_case("rmsnorm: tiny activations, norm weights spanning decades", "norm_scale");
    k.chip = kSmallChip;
    k.weights = [](const std::string& name, int64_t i, std::mt19937_64& rng) {
      if (name == "model.embeddings.weight") return 2e-4f * normal(rng);
      if (ends_with(name, "norm.weight")) return std::exp(2.0f * normal(rng));
      return default_weight(name, i, rng);
    };
    k.reaches_edge = [](const std::vector<sim::TensorObservation>& seen) {
      CHECK(max_abs(seen, "x.0") < (1 << 16) / 256);  // below 2^-8
    };
    c.push_back(k);
  }
  {
    Case k = make_case("requantize: outputs beyond Q15.16, saturated", "bitlinear");
    k.chip = kSmallChip;
    k.weights = [](const std::string& name, int64_t i, std::mt19937_64& rng) {
      if (name.find("o_proj.weight") != std::string::npos || name.find("down_proj.weight") != std::string::npos)
        return 3e4f * normal(rng);
      return default_weight(name, i, rng);
    };
    k.reaches_edge = [](const std::vector<sim::TensorObservation>& seen) {
      CHECK(max_abs(seen, ".o") == std::numeric_limits<int32_t>::max());
    };
    c.push_back(k);
  }
  {
    Case k = make_case("embedding: rows near the Q15.16 limit", "embed");
    k.chip = kSmallChip;
    k.weights = [](const std::string& name, int64_t i, std::mt19937_64& rng) {
      if (name == "model.embeddings.weight") return (i % 2 == 0 ? 1.0f : -1.0f) * (30000.0f + 500.0f * normal(rng));
      return default_weight(name, i, rng);
    };
    k.reaches_edge = [](const std::vector<sim::TensorObservation>& seen) { CHECK(max_abs(seen, "x.0") > (1 << 30)); };
    c.push_back(k);
  }
  {
    Case k = make_case("lm_head: vocabulary cut into many tiles, off the tile size", "bitlinear", 12, 12, 1, 37);
    k.chip = kSmallChip;
    c.push_back(k);
  }
  {
    Case k = make_case("sparse weight encoding, several tiles per BitLinear", "bitlinear", 16, 16, 1, 20);
    k.chip = "mesh:\n  width: 3\n  height: 3\nneurocore:\n  lanes: 4\n  synapse_sram_bytes: 512\n  sram_port_bits: 16\n"
             "  accumulators: 8\n  state_memory_bytes: 1024\n  weight_encoding: sparse\n  sparse_index_bits: 8\n"
             "noc:\n  link_width_bits: 16\n  router_latency_cycles: 2\n";
    c.push_back(k);
  }
  {
    Case k = make_case("weights streamed from DRAM", "bitlinear", 16, 16, 1, 20);
    k.chip = "mesh:\n  width: 2\n  height: 1\nneurocore:\n  lanes: 4\n  synapse_sram_bytes: 64\n  sram_port_bits: 16\n"
             "  accumulators: 16\n  state_memory_bytes: 4096\n  weight_encoding: packed2\ndram:\n  present: true\n"
             "  bytes: 1000000\nnoc:\n  link_width_bits: 32\n  router_latency_cycles: 2\n";
    c.push_back(k);
  }
  return c;
}

// Writes the case's checkpoint (F32) and chip into `dir`.
void write_case(const Case& k, const neurark_test::TempDir& dir) {
  nlohmann::json config = {{"model_type", "hgrn_bit"}, {"architectures", {"HGRNBitForCausalLM"}}, {"hidden_size", k.hidden},
                           {"intermediate_size", k.intermediate}, {"num_hidden_layers", k.layers}, {"vocab_size", k.vocab},
                           {"num_heads", 1}, {"expand_ratio", 1}, {"hidden_act", "swish"}, {"attn_mode", "fused_recurrent"},
                           {"rms_norm_eps", 1e-6}, {"use_lower_bound", true}, {"use_short_conv", false},
                           {"tie_word_embeddings", false}};
  std::filesystem::create_directories(dir.file("model"));
  neurark_test::write_text(dir.file("model/config.json"), config.dump(1));
  std::mt19937_64 rng(7);
  std::vector<neurark_test::TensorSpec> tensors;
  for (const models::ExpectedTensor& t : models::expected_tensors(models::HGRNBitConfig::from_file(dir.file("model/config.json")))) {
    int64_t n = 1;
    for (int64_t s : t.shape) n *= s;
    std::vector<float> v(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = k.weights(t.name, i, rng);
    tensors.push_back({t.name, "F32", t.shape, neurark_test::f32_bytes(v)});
  }
  neurark_test::write_bytes(dir.file("model/model.safetensors"), neurark_test::build_safetensors(tensors));
  neurark_test::write_text(dir.file("chip.yaml"), chip_yaml(k.chip));
}

// A backend under test: a registry entry, or the mutant.
struct Dut {
  std::string name;
  std::function<std::unique_ptr<models::LanguageModel>(const sim::BackendInputs&)> make;
};

// Runs `tokens` on `dut` checked against int; "" if they agree on every op output of every token,
// else the divergence named: case, backend, and the cross-check's first difference (op, kind,
// tensor, token, channel, values).
std::string run_case(const Case& k, const Dut& dut, const std::vector<int32_t>& tokens,
                     std::vector<sim::TensorObservation>* reference_seen) {
  neurark_test::TempDir dir;
  write_case(k, dir);
  const runs::CompiledImage img = runs::compile_image(dir.file("model"), dir.file("chip.yaml"));
  const models::HGRNBitWeights w = models::HGRNBitWeights::load(dir.file("model"));
  sim::BackendInputs in;
  in.image = &img.image;
  in.program = &img.program;
  std::unique_ptr<models::LanguageModel> lm = dut.make(in);
  auto* be = dynamic_cast<sim::Backend*>(lm.get());
  REQUIRE(be != nullptr);
  lm.release();
  auto checked = sim::cross_checked(std::unique_ptr<sim::Backend>(be), sim::make_int_backend(w));
  std::vector<int32_t> logits;
  sim::StepObservation obs;
  try {
    for (int32_t t : tokens) {
      checked->step_q16(t, logits, &obs);
      if (reference_seen != nullptr) reference_seen->insert(reference_seen->end(), obs.tensors.begin(), obs.tensors.end());
    }
  } catch (const Error& e) {
    return fmt::format("case '{}' on backend {}: {}", k.name, dut.name, e.what());
  }
  CHECK(checked->tokens_cross_checked() == static_cast<int64_t>(tokens.size()));
  return "";
}

std::vector<int32_t> tokens_for(const Case& k) {
  std::mt19937_64 rng(11);
  std::vector<int32_t> t;
  for (int i = 0; i < 12; ++i) t.push_back(static_cast<int32_t>(rng() % static_cast<uint64_t>(k.vocab)));
  return t;
}

void run_suite_on(const std::string& backend) {
  const sim::BackendEntry& e = sim::backend(backend);
  REQUIRE(e.bit_exact);
  REQUIRE(e.runs_image);
  const Dut dut{e.name, e.make};
  for (const Case& k : cases()) {
    INFO("case: " << k.name << " (" << k.op << ") on " << backend);
    std::vector<sim::TensorObservation> seen;
    const std::string diverged = run_case(k, dut, tokens_for(k), &seen);
    CHECK(diverged.empty());
    if (!diverged.empty()) FAIL_CHECK(diverged);
    REQUIRE_FALSE(seen.empty());  // the op outputs were compared
    if (k.reaches_edge) k.reaches_edge(seen);
  }
}

}  // namespace

TEST_CASE("op x backend: every case on every bit-exact chip backend but systemc", "[backend_ops]") {
  int tested = 0;
  for (const sim::BackendEntry& e : sim::backends()) {
    if (!e.bit_exact || !e.runs_image || e.timed) continue;
    run_suite_on(e.name);
    ++tested;
  }
  CHECK(tested >= 1);  // func
}

TEST_CASE("op x backend: every case on the SystemC model", "[backend_ops][systemc]") {
  int tested = 0;
  for (const sim::BackendEntry& e : sim::backends()) {
    if (!e.bit_exact || !e.runs_image || !e.timed) continue;
    run_suite_on(e.name);
    ++tested;
  }
  CHECK(tested >= 1);  // systemc
}

TEST_CASE("op x backend: a broken backend is caught, named with the op that diverges", "[backend_ops]") {
  const Dut mutant{"func-mutant (SiLU clamped at 20.0)", [](const sim::BackendInputs& in) -> std::unique_ptr<models::LanguageModel> {
                     return sim::mutant::make_functional_backend(*in.image, *in.program, {}, nullptr);
                   }};
  int caught = 0;
  for (const Case& k : cases()) {
    const std::string diverged = run_case(k, mutant, tokens_for(k), nullptr);
    if (diverged.empty()) continue;
    ++caught;
    INFO(diverged);
    // The first op whose output differs is the SiLU, named with its kind, on the mutant.
    CHECK_THAT(diverged, Catch::Contains("on backend func-mutant") && Catch::Contains("op model.layers.") &&
                             Catch::Contains(".mlp.act.silu (silu), output layers.") && Catch::Contains("swiglu_silu channel"));
    CHECK(k.op == "silu");
  }
  CHECK(caught == 1);  // only the case that drives SiLU above 20.0
}
