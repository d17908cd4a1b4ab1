// Pass `fold` — reads the lowered graph and the checkpoint's float tensors; computes every
// constant the integer ops need, with the same load-time functions as the integer reference
// (neurark/models/int_ref.hpp, docs/numerics.md §7): embed -> Q15.16 table [V x d];
// norm_scale -> int16 norm-weight mantissas (their shared exponent cancels, like the RMSNorm
// scalar); bitlinear -> ternary weights [out x in] (absmean, per tensor), int16 mantissas of its
// internal norm weight, and the layer scale C = sqrt(K) / s_w * 2^(16 - e) / 127 (a Scale);
// mlgru -> UQ7.24 forget-gate lower bounds (cumulative softmax over layers) when bounded.
// Guarantees: every integer op has its constants (bit-identical to IntModel::prepare's); the
// checkpoint is released (nothing after fold reads a float weight).
#include <stdexcept>

#include <fmt/format.h>

#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/float_ref.hpp"
#include "neurark/models/int_ref.hpp"

namespace neurark::compiler {

namespace {

const models::BitLinearWeights& find_bitlinear(const models::HGRNBitWeights& w, const Op& op) {
  if (op.name == "lm_head") return w.lm_head;
  const models::LayerWeights& L = w.layers.at(static_cast<std::size_t>(op.layer));
  const std::string leaf = op.name.substr(op.name.find_last_of('.') + 1);
  if (leaf == "i_proj") return L.i_proj;
  if (leaf == "f_proj") return L.f_proj;
  if (leaf == "g_proj") return L.g_proj;
  if (leaf == "o_proj") return L.o_proj;
  if (leaf == "gate_proj") return L.gate_proj;
  if (leaf == "down_proj") return L.down_proj;
  throw std::logic_error("fold: no BitLinear weights for " + op.name);
}

const std::vector<float>& find_norm(const models::HGRNBitWeights& w, const Op& op) {
  if (op.name == "model.norm") return w.final_norm;
  const models::LayerWeights& L = w.layers.at(static_cast<std::size_t>(op.layer));
  if (op.name.size() >= 9 && op.name.compare(op.name.size() - 9, 9, "attn_norm") == 0) return L.attn_norm;
  if (op.name.size() >= 8 && op.name.compare(op.name.size() - 8, 8, "mlp_norm") == 0) return L.mlp_norm;
  if (op.name.size() >= 6 && op.name.compare(op.name.size() - 6, 6, "g_norm") == 0) return L.g_norm;
  throw std::logic_error("fold: no norm weight for " + op.name);
}

Constant make_i16(std::string name, std::vector<int16_t> v) {
  Constant c;
  c.name = std::move(name);
  c.dtype = "i16";
  c.shape = {static_cast<int64_t>(v.size())};
  c.i16 = std::move(v);
  return c;
}

}  // namespace

void fold(Graph& g) {
  if (!g.weights) throw std::logic_error("fold: the checkpoint was already released");
  const models::HGRNBitWeights& w = *g.weights;
  const std::vector<std::vector<float>> lb = models::lower_bound_table(w);
  for (Op& op : g.ops) {
    switch (op.kind) {
      case OpKind::kEmbed: {
        Constant c;
        c.name = "model.embeddings.weight";
        c.dtype = "i32";
        c.shape = {g.config.vocab_size, g.config.hidden_size};
        c.i32.resize(w.embeddings.size());
        const auto d = static_cast<std::size_t>(g.config.hidden_size);
        for (std::size_t i = 0; i < w.embeddings.size(); ++i)
          c.i32[i] = models::prepare_fixed(w.embeddings[i], arch::kActFrac,
                                           fmt::format("{}: tensor 'model.embeddings.weight' [{}, {}]", w.dir, i / d, i % d));
        op.consts["table"] = g.add_constant(std::move(c));
        break;
      }
      case OpKind::kNormScale: {
        const std::string tensor = op.source.at("weight");
        op.consts["norm_weight"] = g.add_constant(make_i16(tensor, models::prepare_norm(find_norm(w, op), w.dir, tensor)));
        break;
      }
      case OpKind::kBitLinearQ: {
        models::IntBitLinear bl = models::prepare_bitlinear(find_bitlinear(w, op), w.dir, op.name);
        Constant wt;
        wt.name = op.name + ".weight";
        wt.dtype = "i8";
        wt.shape = {bl.out, bl.in};
        wt.i8 = std::move(bl.w_t);
        op.consts["weight"] = g.add_constant(std::move(wt));
        op.consts["norm"] = g.add_constant(make_i16(op.name + ".norm.weight", std::move(bl.norm_mant)));
        op.layer_c = bl.layer_c;
        op.norm_exp = bl.norm_exp;
        break;
      }
      case OpKind::kMlgru:
        if (op.bounded) {
          Constant c;
          c.name = fmt::format("model.lower_bounds[{}]", op.layer);
          c.dtype = "i32";
          c.shape = {g.config.hidden_size};
          for (float v : lb.at(static_cast<std::size_t>(op.layer)))
            c.i32.push_back(models::prepare_fixed(v, arch::kGateFrac, w.dir + ": tensor 'model.lower_bounds'"));
          if (c.count() != g.config.hidden_size) throw std::logic_error("fold: lower bound row has the wrong length");
          op.consts["lower_bound"] = g.add_constant(std::move(c));
        }
        break;
      case OpKind::kProduct:
      case OpKind::kSilu:
      case OpKind::kAddSat:
        break;
      default:
        throw std::logic_error(fmt::format("fold: op {} ({}) is not lowered", op.name, to_string(op.kind)));
    }
  }
  g.weights.reset();
  g.passes_run.push_back("fold");
}

}  // namespace neurark::compiler
