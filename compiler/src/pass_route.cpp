// SPDX-License-Identifier: Apache-2.0
// Pass `route` — reads the placed graph; derives the NoC flows of one token and routes each on
// the mesh with dimension-ordered XY routing (X first, then Y; deadlock-free on a mesh):
//   events   for every bitlinear and every neurocore holding a segment of its input: one
//            multicast flow from that core to the set of cores holding the BitLinear's tiles
//            (the tree is the union of the XY paths, so an event crosses each tree link once);
//   values   for every element-wise op and every second operand: one flow per (source core,
//            destination core) pair carrying the channels the destination needs;
//   inject   host -> each core holding a segment of the embedding;
//   readback each core holding logits -> host.
// The host enters and leaves the mesh at the router of host.attach_x/attach_y. Channels held on
// the destination core itself cost no link (a flow whose destinations are all local has no
// links). Per-token reductions (block max, absmax, sum of squares) go to the controller and are
// counted by the backends, not routed here.
// Guarantees: flows sorted by (op, kind, source), destinations sorted and unique, every link
// between mesh neighbours, deterministic.
#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "neurark/arch/noc.hpp"
#include "neurark/compiler/passes.hpp"

namespace neurark::compiler {

void route(Graph& g) {
  g.flows.clear();
  const auto core = [&](int tile) { return g.tiles[static_cast<std::size_t>(tile)].core; };
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    const Tensor& out = g.tensors[static_cast<std::size_t>(op.output)];
    const int oi = static_cast<int>(i);
    if (op.kind == arch::OpKind::kEmbed) {
      std::map<int, int64_t> per_core;
      for (const Segment& s : out.segments) per_core[core(s.tile)] += s.end - s.begin;
      for (const auto& [c, n] : per_core) g.flows.push_back({FlowKind::kInject, oi, kHostCore, {c}, n, {}});
    } else if (op.kind == arch::OpKind::kBitLinear) {
      std::set<int> dst;
      for (int t : op.tiles) dst.insert(core(t));
      std::map<int, int64_t> per_src;
      for (const Segment& s : g.tensors[static_cast<std::size_t>(op.inputs[0].tensor)].segments)
        per_src[core(s.tile)] += s.end - s.begin;
      for (const auto& [c, n] : per_src) g.flows.push_back({FlowKind::kEvents, oi, c, {dst.begin(), dst.end()}, n, {}});
      if (op.output == g.logits) {
        std::map<int, int64_t> per_core;
        for (const Segment& s : out.segments) per_core[core(s.tile)] += s.end - s.begin;
        for (const auto& [c, n] : per_core) g.flows.push_back({FlowKind::kReadback, oi, c, {kHostCore}, n, {}});
      }
    } else {
      std::map<std::pair<int, int>, int64_t> pairs;
      for (std::size_t k = 1; k < op.inputs.size(); ++k) {
        const Operand& in = op.inputs[k];
        for (const Segment& o : out.segments)
          for (const Segment& s : g.tensors[static_cast<std::size_t>(in.tensor)].segments) {
            const int64_t b = std::max(o.begin + in.offset, s.begin), e = std::min(o.end + in.offset, s.end);
            if (b < e && core(s.tile) != core(o.tile)) pairs[{core(s.tile), core(o.tile)}] += e - b;
          }
      }
      for (const auto& [sd, n] : pairs) g.flows.push_back({FlowKind::kValues, oi, sd.first, {sd.second}, n, {}});
    }
  }
  for (Flow& f : g.flows) {
    std::vector<int> remote;
    for (int d : f.dst_cores)
      if (d != f.src_core) remote.push_back(d);
    f.links = arch::xy_tree(arch::MeshGrid::of(g.chip), f.src_core, remote);
  }
  g.passes_run.push_back("route");
}

}  // namespace neurark::compiler
