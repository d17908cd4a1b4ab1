// SPDX-License-Identifier: Apache-2.0
// Pass `schedule` — reads the routed graph; writes the per-token phase list that the controller
// steps through, with a barrier after every phase (docs/compiler.md, "Schedule"):
//   embed       inject       host writes the token's embedding into the cores of its segments
//   norm_scale, product
//               reduce       each core: p = a * b over its channels, partial max |p| -> controller
//               normalize    controller broadcasts the block shift; each core: v = round_shift(p)
//   bitlinear   reduce       each core holding input channels: u = v * norm mantissas, partial
//                            max |u| and sum v^2 -> controller, which broadcasts m and ss
//               events       each such core quantizes and sends (k, q != 0) along the op's events
//                            flow; each tile core accumulates the events it receives
//               requantize   each tile core: S = token scale (C, m, ss), y = requantize(acc, S)
//   mlgru, silu, add_sat
//               elementwise  each core holding output channels, after the values flows deliver
//                            the second operands
//   (logits)    readback     cores holding logits send them to the host
// Guarantees: phases in op order; every op has its phases; cores sorted and unique.
#include <set>

#include "neurark/compiler/passes.hpp"

namespace neurark::compiler {

void schedule(Graph& g) {
  g.schedule.clear();
  const auto cores_of = [&](int tensor) {
    std::set<int> c;
    for (const Segment& s : g.tensors[static_cast<std::size_t>(tensor)].segments) c.insert(g.tiles[static_cast<std::size_t>(s.tile)].core);
    return std::vector<int>(c.begin(), c.end());
  };
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    const int oi = static_cast<int>(i);
    const std::vector<int> out_cores = cores_of(op.output);
    switch (op.kind.program()) {
      case arch::OpKind::kEmbed:
        g.schedule.push_back({PhaseKind::kInject, oi, out_cores});
        break;
      case arch::OpKind::kNormScale:
      case arch::OpKind::kProduct:
        g.schedule.push_back({PhaseKind::kReduce, oi, out_cores});
        g.schedule.push_back({PhaseKind::kNormalize, oi, out_cores});
        break;
      case arch::OpKind::kBitLinear: {
        const std::vector<int> in_cores = cores_of(op.inputs[0].tensor);
        std::set<int> both(in_cores.begin(), in_cores.end());
        both.insert(out_cores.begin(), out_cores.end());
        g.schedule.push_back({PhaseKind::kReduce, oi, in_cores});
        g.schedule.push_back({PhaseKind::kEvents, oi, {both.begin(), both.end()}});
        g.schedule.push_back({PhaseKind::kRequantize, oi, out_cores});
        if (op.output == g.logits) g.schedule.push_back({PhaseKind::kReadback, oi, out_cores});
        break;
      }
      default:
        g.schedule.push_back({PhaseKind::kElementwise, oi, out_cores});
        break;
    }
  }
  g.passes_run.push_back("schedule");
}

}  // namespace neurark::compiler
