// SPDX-License-Identifier: Apache-2.0
// Pass `import` — reads a loaded HGRNBit checkpoint (config + tensor names) and a chip
// description; builds the model-level graph of one token: embedding, then per layer
// rms_norm(attn_norm) -> bit_linear i/f/g -> hgrn_recurrence -> rms_norm_swish_gate(g_norm)
// -> bit_linear o_proj -> add (residual) -> rms_norm(mlp_norm) -> bit_linear gate_proj ->
// swiglu -> bit_linear down_proj -> add, then rms_norm(norm) -> bit_linear lm_head. Ops name
// their HF modules and the checkpoint tensors they read (modeling_hgrn_bit.py). Guarantees: ops
// in execution order, every operand produced by an earlier op, float formats only, no constants.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "neurark/arch/energy.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/technology.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"

namespace neurark::compiler {

namespace {

int add_op(Graph& g, OpKind kind, std::string name, int layer, std::vector<Operand> inputs,
           const std::string& out_name, int64_t out_len, std::map<std::string, std::string> source) {
  Op op;
  op.kind = kind;
  op.name = std::move(name);
  op.layer = layer;
  op.inputs = std::move(inputs);
  op.source = std::move(source);
  op.output = g.add_tensor(out_name, out_len, Format::kFloat);
  g.tensors[static_cast<std::size_t>(op.output)].producer = static_cast<int>(g.ops.size());
  g.ops.push_back(std::move(op));
  return g.ops.back().output;
}

Operand whole(const Graph& g, int t) { return {t, 0, g.tensors[static_cast<std::size_t>(t)].length}; }

int bit_linear(Graph& g, const std::string& name, int layer, int x, int64_t in, int64_t out, const std::string& out_name) {
  const int t = add_op(g, ModelOpKind::kBitLinear, name, layer, {whole(g, x)}, out_name, out,
                       {{"weight", name + ".weight"}, {"norm", name + ".norm.weight"}});
  Op& op = g.ops.back();
  op.in = in;
  op.out = out;
  return t;
}

}  // namespace

Graph import_checkpoint(std::shared_ptr<const models::Checkpoint> checkpoint, const arch::ChipDescription& chip,
                        std::string chip_text, uint64_t seed) {
  Graph g;
  g.config = checkpoint->config;
  g.model_dir = checkpoint->dir;
  // The checkpoint folder's own name, whatever the spelling ("DIR/", "DIR/.", ".").
  std::error_code ec;
  std::filesystem::path folder = std::filesystem::weakly_canonical(g.model_dir, ec);
  if (ec) folder = std::filesystem::path(g.model_dir).lexically_normal();
  if (!folder.empty() && !folder.has_filename()) folder = folder.parent_path();
  g.model_name = folder.filename().string();
  g.chip = chip;
  g.chip_text = std::move(chip_text);
  // The energy and cost tables travel with the chip into the image (validated here, read as text).
  const auto table_text = [&](const std::string& key, const std::string& rel, const char* what, const auto& validate) {
    if (rel.empty()) return std::string();
    const std::string path = arch::resolve_relative(chip.source_path, rel);
    std::error_code fec;
    if (!std::filesystem::is_regular_file(path, fec))
      throw Error(fmt::format("{}: technology.{}: '{}' (resolved to {}) is not a readable file, expected {} "
                              "(docs/energy-model.md)", chip.source_path, key, rel, path, what));
    validate(path);
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  g.energy_table_text = table_text("energy_table", chip.energy_table, "an energy table",
                                   [](const std::string& p) { (void)arch::EnergyTable::from_file(p); });
  g.cost_table_text = table_text("cost_table", chip.cost_table, "a technology cost table",
                                 [](const std::string& p) { (void)arch::TechnologyTable::from_file(p); });
  g.seed = seed;
  g.checkpoint = std::move(checkpoint);
  const models::HGRNBitConfig& c = g.config;
  const int64_t d = c.hidden_size, inter = c.intermediate_size;
  const int token = g.add_tensor("token", 1, Format::kToken);
  int x = add_op(g, ModelOpKind::kEmbedding, "model.embeddings", -1, {{token, 0, 1}}, "x.0", d,
                 {{"weight", "model.embeddings.weight"}});
  for (int l = 0; l < static_cast<int>(c.num_hidden_layers); ++l) {
    const std::string p = fmt::format("model.layers.{}.", l);
    const std::string t = fmt::format("layers.{}.", l);
    const int a = add_op(g, ModelOpKind::kRmsNorm, p + "attn_norm", l, {whole(g, x)}, t + "attn_norm", d,
                         {{"weight", p + "attn_norm.weight"}});
    const int i = bit_linear(g, p + "attn.i_proj", l, a, d, d, t + "i");
    const int f = bit_linear(g, p + "attn.f_proj", l, a, d, d, t + "f");
    const int gg = bit_linear(g, p + "attn.g_proj", l, a, d, d, t + "g");
    std::map<std::string, std::string> lb;
    if (c.use_lower_bound) lb["lower_bounds"] = "model.lower_bounds";
    const int h = add_op(g, ModelOpKind::kHgrnRecurrence, p + "attn", l, {whole(g, i), whole(g, f)}, t + "h", d, lb);
    g.ops.back().bounded = c.use_lower_bound && l > 0;
    const int gated = add_op(g, ModelOpKind::kRmsNormSwishGate, p + "attn.g_norm", l, {whole(g, gg), whole(g, h)},
                             t + "gated", d, {{"weight", p + "attn.g_norm.weight"}});
    const int o = bit_linear(g, p + "attn.o_proj", l, gated, d, d, t + "o");
    const int r = add_op(g, ModelOpKind::kAdd, p + "residual.attn", l, {whole(g, x), whole(g, o)}, t + "r", d, {});
    const int b = add_op(g, ModelOpKind::kRmsNorm, p + "mlp_norm", l, {whole(g, r)}, t + "mlp_norm", d,
                         {{"weight", p + "mlp_norm.weight"}});
    const int gy = bit_linear(g, p + "mlp.gate_proj", l, b, d, 2 * inter, t + "gate_up");
    const int sw = add_op(g, ModelOpKind::kSwiGlu, p + "mlp.act", l, {whole(g, gy)}, t + "swiglu", inter, {});
    const int z = bit_linear(g, p + "mlp.down_proj", l, sw, inter, d, t + "down");
    x = add_op(g, ModelOpKind::kAdd, p + "residual.mlp", l, {whole(g, r), whole(g, z)}, fmt::format("x.{}", l + 1), d, {});
  }
  const int n = add_op(g, ModelOpKind::kRmsNorm, "model.norm", -1, {whole(g, x)}, "final_norm", d, {{"weight", "model.norm.weight"}});
  g.logits = bit_linear(g, "lm_head", -1, n, d, c.vocab_size, "logits");
  g.passes_run.push_back("import");
  return g;
}

}  // namespace neurark::compiler
