// SPDX-License-Identifier: Apache-2.0
// Pass `fold` — reads the lowered graph and the checkpoint's float tensors; computes every
// constant the integer ops need, with the same load-time functions as the integer reference
// (neurark/models/int_ref.hpp, docs/numerics.md §7): embed -> Q15.16 table [V x d];
// norm_scale -> int32 norm-weight mantissas (their shared exponent cancels, like the RMSNorm
// scalar); bitlinear -> ternary weights [out x in] (absmean, per tensor), int32 mantissas of its
// internal norm weight, and the layer scale C = sqrt(K) / s_w * 2^(16 - e) / 127 (a Scale);
// mlgru -> UQ7.24 forget-gate lower bounds (cumulative softmax over layers) when bounded.
// Streaming: the checkpoint is read piece by piece (ternary weights need two passes over each
// weight tensor: mean |W|, then ternarize); ternary weights and the embedding table are lazy
// constants (checked and hashed here, recomputed by emit), so fold holds no weight tensor.
// Guarantees: every integer op has its constants, bit-identical to IntModel::prepare's (same
// arch/ and models/ functions, same summation order); per-row non-zero counts of every BitLinear.
#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <xxhash.h>

#include "neurark/arch/error.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/float_ref.hpp"
#include "neurark/models/int_ref.hpp"

namespace neurark::compiler {

namespace {

// Norm-weight mantissas (int32, docs/numerics.md §7).
Constant make_i32(std::string name, std::vector<int32_t> v) {
  Constant c;
  c.name = std::move(name);
  c.dtype = "i32";
  c.shape = {static_cast<int64_t>(v.size())};
  c.i32 = std::move(v);
  return c;
}

// Ternarizes a BitLinear's weights in two streaming passes (mean |W|, then ternarize): fills
// s_w, row_nnz, layer_c, norm_exp and the lazy weight constant; the norm mantissas are held.
void fold_bitlinear(Graph& g, Op& op) {
  const models::Checkpoint& ck = *g.checkpoint;
  // int32 accumulators hold +-128 * fan-in exactly only up to 2^23 inputs (docs/numerics.md §2).
  if (op.in > (int64_t{1} << 23))
    throw Error(fmt::format("{}: tensor '{}.weight': fan-in {} exceeds 2^23 = 8388608, the largest the int32 "
                            "accumulators hold exactly", ck.dir, op.name, op.in));
  const std::string wname = op.source.at("weight");
  const auto n = static_cast<uint64_t>(op.out * op.in);
  models::TensorStream pass1(ck, wname, n);
  const double mean_abs = n == 0 ? 0.0
                                 : models::sum_abs_pairwise(static_cast<std::size_t>(n), [&](std::size_t k) {
                                     return pass1.next(k);
                                   }) / static_cast<double>(n);
  op.s_w = arch::ternary_scale(mean_abs);
  op.row_nnz.assign(static_cast<std::size_t>(op.out), 0);
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  std::vector<int8_t> rows;
  const int64_t chunk_rows = std::max<int64_t>(1, (int64_t{1} << 20) / std::max<int64_t>(1, op.in));
  for (int64_t r0 = 0; r0 < op.out; r0 += chunk_rows) {
    const int64_t r1 = std::min(op.out, r0 + chunk_rows);
    ternary_rows(g, op, r0, r1, rows);
    for (int64_t r = r0; r < r1; ++r) {
      int32_t nz = 0;
      const int8_t* row = rows.data() + (r - r0) * op.in;
      for (int64_t k = 0; k < op.in; ++k) nz += row[k] != 0;
      op.row_nnz[static_cast<std::size_t>(r)] = nz;
    }
    XXH3_64bits_update(st, rows.data(), rows.size());
  }
  Constant wt;
  wt.name = wname;
  wt.dtype = "i8";
  wt.shape = {op.out, op.in};
  wt.lazy = true;
  wt.lazy_hash = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  op.consts["weight"] = g.add_constant(std::move(wt));
  const std::string nname = op.source.at("norm");
  op.consts["norm"] = g.add_constant(make_i32(nname, models::prepare_norm(ck.read_all(nname), ck.dir, nname, &op.norm_exp)));
  op.layer_c = arch::bitlinear_layer_scale(op.in, op.s_w, op.norm_exp);
}

}  // namespace

void fold(Graph& g) {
  if (!g.checkpoint) throw std::logic_error("fold: the graph has no checkpoint");
  const models::Checkpoint& ck = *g.checkpoint;
  std::vector<float> lower_bounds;
  if (g.config.use_lower_bound) lower_bounds = ck.read_all("model.lower_bounds");
  const std::vector<std::vector<float>> lb = models::lower_bound_table(g.config, lower_bounds);
  for (Op& op : g.ops) {
    if (!op.kind.is_integer()) throw std::logic_error(fmt::format("fold: op {} ({}) is not lowered", op.name, to_string(op.kind)));
    switch (op.kind.program()) {
      case arch::OpKind::kEmbed: {
        // Checked (every value representable in Q15.16) and hashed here, written by emit.
        Constant c;
        c.name = "model.embeddings.weight";
        c.dtype = "i32";
        c.shape = {g.config.vocab_size, g.config.hidden_size};
        c.lazy = true;
        XXH3_state_t* st = XXH3_createState();
        XXH3_64bits_reset(st);
        std::vector<int32_t> rows;
        const int64_t step = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, g.config.hidden_size));
        for (int64_t r0 = 0; r0 < g.config.vocab_size; r0 += step) {
          embedding_rows(g, r0, std::min(g.config.vocab_size, r0 + step), rows);
          XXH3_64bits_update(st, rows.data(), rows.size() * sizeof(int32_t));
        }
        c.lazy_hash = XXH3_64bits_digest(st);
        XXH3_freeState(st);
        op.consts["table"] = g.add_constant(std::move(c));
        break;
      }
      case arch::OpKind::kNormScale: {
        const std::string tensor = op.source.at("weight");
        op.consts["norm_weight"] =
            g.add_constant(make_i32(tensor, models::prepare_norm(ck.read_all(tensor), ck.dir, tensor, &op.norm_exp)));
        op.eps = arch::scale_from_double(g.config.rms_norm_eps);
        break;
      }
      case arch::OpKind::kBitLinear:
        fold_bitlinear(g, op);
        break;
      case arch::OpKind::kMlgru:
        if (op.bounded) {
          Constant c;
          c.name = fmt::format("model.lower_bounds[{}]", op.layer);
          c.dtype = "i32";
          c.shape = {g.config.hidden_size};
          for (float v : lb.at(static_cast<std::size_t>(op.layer)))
            c.i32.push_back(models::prepare_fixed(v, arch::kGateFrac, ck.dir + ": tensor 'model.lower_bounds'"));
          if (static_cast<int64_t>(c.i32.size()) != g.config.hidden_size)
            throw std::logic_error("fold: lower bound row has the wrong length");
          op.consts["lower_bound"] = g.add_constant(std::move(c));
        }
        break;
      case arch::OpKind::kProduct:
      case arch::OpKind::kSilu:
      case arch::OpKind::kAddSat:
        break;
    }
  }
  g.passes_run.push_back("fold");
}

}  // namespace neurark::compiler
