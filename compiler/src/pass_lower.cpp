// SPDX-License-Identifier: Apache-2.0
// Pass `lower` — reads the model-level graph of `import`; replaces every op by the integer ops of
// arch/ that compute it bit-exactly (docs/numerics.md §6):
//   embedding            -> embed        (host lookup of a Q15.16 row)
//   rms_norm             -> norm_scale   (arch::apply_norm_weight: x * w, block-normalized; the
//                                         RMSNorm's per-token scalar cancels in the BitLinears that
//                                         read it, so every consumer must be a bit_linear)
//   bit_linear           -> bitlinear    (arch::bitlinear_q16: absmax events, ternary accumulate,
//                                         requantize)
//   hgrn_recurrence      -> mlgru        (arch::mlgru_channel_q16; emits SiLU(h), the swish of
//                                         the output gate fused into the neuron unit)
//   rms_norm_swish_gate  -> norm_scale(g) then product(., SiLU(h)) (arch::product_block)
//   swiglu               -> silu(gate half) then product(., up half)
//   add                  -> add_sat      (BitLinear output first: the sum lives where it is made)
// Guarantees: only integer ops remain, in execution order, with operand ranges and number
// formats (q15.16 or block30 mantissas); checkpoint tensor names are kept for fold.
#include <stdexcept>

#include <fmt/format.h>

#include "neurark/compiler/passes.hpp"

namespace neurark::compiler {

void lower(Graph& g) {
  std::vector<Op> old_ops = std::move(g.ops);
  std::vector<Tensor> old_tensors = std::move(g.tensors);
  g.ops.clear();
  g.tensors.clear();
  std::vector<int> map(old_tensors.size(), -1);
  std::vector<OpKind> producer_kind(old_tensors.size(), ModelOpKind::kEmbedding);
  map[0] = g.add_tensor(old_tensors[0].name, old_tensors[0].length, Format::kToken);  // token
  const auto emit_op = [&](OpKind kind, const Op& from, std::vector<Operand> ins, const std::string& out_name,
                           int64_t len, Format fmt_out) {
    Op op;
    op.kind = kind;
    op.name = from.name;
    op.layer = from.layer;
    op.inputs = std::move(ins);
    op.in = from.in;
    op.out = from.out;
    op.bounded = from.bounded;
    op.output = g.add_tensor(out_name, len, fmt_out);
    g.tensors[static_cast<std::size_t>(op.output)].producer = static_cast<int>(g.ops.size());
    g.ops.push_back(std::move(op));
    return g.ops.back().output;
  };
  const auto in = [&](const Op& op, std::size_t k) {
    Operand o = op.inputs.at(k);
    o.tensor = map.at(static_cast<std::size_t>(o.tensor));
    if (o.tensor < 0) throw std::logic_error("lower: operand of " + op.name + " not yet lowered");
    return o;
  };
  for (std::size_t i = 0; i < old_ops.size(); ++i) {
    const Op& op = old_ops[i];
    const Tensor& out = old_tensors[static_cast<std::size_t>(op.output)];
    int t = -1;
    if (op.kind.is_integer())
      throw std::logic_error(fmt::format("lower: op {} is already lowered ({})", op.name, to_string(op.kind)));
    switch (op.kind.model()) {
      case ModelOpKind::kEmbedding:
        t = emit_op(arch::OpKind::kEmbed, op, {in(op, 0)}, out.name, out.length, Format::kQ16);
        g.ops.back().source = op.source;
        break;
      case ModelOpKind::kRmsNorm: {
        for (std::size_t j = i + 1; j < old_ops.size(); ++j)
          for (const Operand& o : old_ops[j].inputs)
            if (o.tensor == op.output && old_ops[j].kind != ModelOpKind::kBitLinear)
              throw std::logic_error(fmt::format("lower: {} feeds {} ({}), not a BitLinear: its RMSNorm scalar "
                                                 "would not cancel", op.name, old_ops[j].name, to_string(old_ops[j].kind)));
        t = emit_op(arch::OpKind::kNormScale, op, {in(op, 0)}, out.name, out.length, Format::kBlock30);
        g.ops.back().source = op.source;
        break;
      }
      case ModelOpKind::kBitLinear:
        t = emit_op(arch::OpKind::kBitLinear, op, {in(op, 0)}, out.name, out.length, Format::kQ16);
        g.ops.back().source = op.source;
        break;
      case ModelOpKind::kHgrnRecurrence:
        t = emit_op(arch::OpKind::kMlgru, op, {in(op, 0), in(op, 1)}, out.name + "_silu", out.length, Format::kQ16);
        g.ops.back().source = op.source;
        g.ops.back().state_bytes = 4;
        break;
      case ModelOpKind::kRmsNormSwishGate: {
        if (producer_kind.at(static_cast<std::size_t>(op.inputs.at(1).tensor)) != ModelOpKind::kHgrnRecurrence)
          throw std::logic_error("lower: " + op.name + " gates something other than an hgrn_recurrence output");
        Op norm = op;
        const int gn = emit_op(arch::OpKind::kNormScale, norm, {in(op, 0)}, out.name + "_norm", out.length, Format::kBlock30);
        g.ops.back().source = op.source;
        Op prod = op;
        prod.name = op.name + ".gate";
        Operand a{gn, 0, out.length};
        t = emit_op(arch::OpKind::kProduct, prod, {a, in(op, 1)}, out.name, out.length, Format::kBlock30);
        break;
      }
      case ModelOpKind::kSwiGlu: {
        const Operand gy = in(op, 0);
        const int64_t half = out.length;
        Op s = op;
        s.name = op.name + ".silu";
        const int act = emit_op(arch::OpKind::kSilu, s, {{gy.tensor, gy.offset, half}}, out.name + "_silu", half, Format::kQ16);
        Op p = op;
        p.name = op.name + ".product";
        t = emit_op(arch::OpKind::kProduct, p, {{act, 0, half}, {gy.tensor, gy.offset + half, half}}, out.name, half,
                    Format::kBlock30);
        break;
      }
      case ModelOpKind::kAdd: {
        Operand a = in(op, 0), b = in(op, 1);
        const auto from_bitlinear = [&](const Operand& o) {
          const int p = g.tensors[static_cast<std::size_t>(o.tensor)].producer;
          return p >= 0 && g.ops[static_cast<std::size_t>(p)].kind == arch::OpKind::kBitLinear;
        };
        if (!from_bitlinear(a) && from_bitlinear(b)) std::swap(a, b);
        t = emit_op(arch::OpKind::kAddSat, op, {a, b}, out.name, out.length, Format::kQ16);
        break;
      }
    }
    map[static_cast<std::size_t>(op.output)] = t;
    producer_kind[static_cast<std::size_t>(op.output)] = op.kind;
  }
  g.logits = map.at(static_cast<std::size_t>(g.logits));
  g.passes_run.push_back("lower");
}

}  // namespace neurark::compiler
