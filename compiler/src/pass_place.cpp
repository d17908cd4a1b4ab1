// SPDX-License-Identifier: Apache-2.0
// Pass `place` — reads the partitioned graph (tiles with a first-fit core each, segments);
// moves tiles between neurocores to minimize the estimated per-token traffic: the sum over
// data movements of channels x mesh hops (XY distance; on several chips, each chip-to-chip link
// crossed counts 1 + chip_link_extra_hops hops: placement_cost), where data movements are input events
// (each segment of a BitLinear's input to every tile of that BitLinear, counted per destination),
// second operands of element-wise ops (to where the output lives), embedding injection from the
// host's attach point and logits readback to it.
// Method: seeded local search — std::mt19937_64(seed) picks a tile and a target neurocore (half
// the time uniformly, half the time within 2 hops of a tile or the host it exchanges data with); the
// tile moves there if both memories (synapse SRAM unless the tile streams from DRAM, and neuron
// state memory) have room, or swaps with a random tile of that core if that fits; the change is
// kept only if the cost strictly drops. 20,000 + 400 x tiles proposals, capped at about 5e7 edge
// re-costings (so many small tiles cannot make placement slow).
// Guarantees: every tile on a core within the mesh; no neurocore over its SRAM or state memory;
// placement_cost never above the first-fit placement's; the same graph and seed give the same placement.
#include <algorithm>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include "neurark/compiler/passes.hpp"

namespace neurark::compiler {

namespace {

struct Edge {
  int a = kHostCore, b = kHostCore;  // tiles, or the host (kHostCore)
  int64_t channels = 0;
};

// Data movements between tiles (placement-independent), see the header.
std::vector<Edge> traffic_edges(const Graph& g) {
  std::vector<Edge> edges;
  for (const Op& op : g.ops) {
    const Tensor& out = g.tensors[static_cast<std::size_t>(op.output)];
    if (op.kind == arch::OpKind::kEmbed) {
      for (const Segment& s : out.segments) edges.push_back({kHostCore, s.tile, s.end - s.begin});
      continue;
    }
    if (op.kind == arch::OpKind::kBitLinear) {
      const Operand& in = op.inputs[0];
      for (const Segment& s : g.tensors[static_cast<std::size_t>(in.tensor)].segments)
        for (int t : op.tiles) edges.push_back({s.tile, t, s.end - s.begin});
      if (op.output == g.logits)
        for (const Segment& s : out.segments) edges.push_back({s.tile, kHostCore, s.end - s.begin});
      continue;
    }
    for (std::size_t k = 1; k < op.inputs.size(); ++k) {
      const Operand& in = op.inputs[k];
      for (const Segment& o : out.segments)
        for (const Segment& s : g.tensors[static_cast<std::size_t>(in.tensor)].segments) {
          const int64_t b = std::max(o.begin + in.offset, s.begin), e = std::min(o.end + in.offset, s.end);
          if (b < e && s.tile != o.tile) edges.push_back({s.tile, o.tile, e - b});
        }
    }
  }
  return edges;
}

int core_of_tile(const Graph& g, int t) { return t == kHostCore ? kHostCore : g.tiles[static_cast<std::size_t>(t)].core; }

}  // namespace

int64_t traffic_cost(const Graph& g) {
  int64_t cost = 0;
  const arch::MeshGrid grid = arch::MeshGrid::of(g.chip);
  for (const Edge& e : traffic_edges(g)) cost += e.channels * grid.hops(core_of_tile(g, e.a), core_of_tile(g, e.b));
  return cost;
}

int64_t chip_link_extra_hops(const arch::ChipDescription& chip) {
  if (chip.multichip.chips_x * chip.multichip.chips_y <= 1) return 0;
  const int64_t extra = arch::chip_link_extra_cycles(chip);
  const int64_t hop = std::max<int64_t>(1, chip.noc.router_latency_cycles + chip.noc.link_latency_cycles);
  return std::max<int64_t>(1, (extra + hop - 1) / hop);
}

int64_t placement_cost(const Graph& g) {
  const arch::MeshGrid grid = arch::MeshGrid::of(g.chip);
  const int64_t extra = chip_link_extra_hops(g.chip);
  int64_t cost = 0;
  for (const Edge& e : traffic_edges(g)) {
    const int a = grid.resolve(core_of_tile(g, e.a)), b = grid.resolve(core_of_tile(g, e.b));
    const int64_t crossings = std::llabs(grid.x(a) / grid.chip_width - grid.x(b) / grid.chip_width) +
                              std::llabs(grid.y(a) / grid.chip_height - grid.y(b) / grid.chip_height);
    cost += e.channels * (grid.hops(a, b) + extra * crossings);
  }
  return cost;
}

void place(Graph& g) {
  if (g.tiles.empty()) throw std::logic_error("place: run partition first");
  const std::vector<Edge> edges = traffic_edges(g);
  std::vector<std::vector<int>> touching(g.tiles.size());
  for (std::size_t i = 0; i < edges.size(); ++i) {
    if (edges[i].a >= 0) touching[static_cast<std::size_t>(edges[i].a)].push_back(static_cast<int>(i));
    if (edges[i].b >= 0 && edges[i].b != edges[i].a) touching[static_cast<std::size_t>(edges[i].b)].push_back(static_cast<int>(i));
  }
  const int64_t cores = g.chip.total_cores();
  std::vector<int64_t> sram(static_cast<std::size_t>(cores), 0), neuron(static_cast<std::size_t>(cores), 0);
  std::vector<std::vector<int>> on_core(static_cast<std::size_t>(cores));
  for (std::size_t t = 0; t < g.tiles.size(); ++t) {
    const Tile& tl = g.tiles[t];
    if (tl.core < 0 || tl.core >= cores) throw std::logic_error("place: tile without a core after partition");
    if (!tl.in_dram) sram[static_cast<std::size_t>(tl.core)] += tl.weight_bytes;
    neuron[static_cast<std::size_t>(tl.core)] += tl.neuron_bytes;
    on_core[static_cast<std::size_t>(tl.core)].push_back(static_cast<int>(t));
  }
  const auto sram_of = [&](int t) { return g.tiles[static_cast<std::size_t>(t)].in_dram ? 0 : g.tiles[static_cast<std::size_t>(t)].weight_bytes; };
  const auto neuron_of = [&](int t) { return g.tiles[static_cast<std::size_t>(t)].neuron_bytes; };
  // Mesh coordinates of every core and of the host's attach point (index `cores`), precomputed.
  struct XY {
    int64_t x = 0, y = 0, cx = 0, cy = 0;  // mesh and chip coordinates
  };
  const arch::MeshGrid grid = arch::MeshGrid::of(g.chip);
  const int64_t chip_extra = chip_link_extra_hops(g.chip);
  std::vector<XY> xy(static_cast<std::size_t>(cores) + 1);
  for (int64_t c = 0; c < cores; ++c)
    xy[static_cast<std::size_t>(c)] = {grid.x(c), grid.y(c), grid.x(c) / grid.chip_width, grid.y(c) / grid.chip_height};
  xy[static_cast<std::size_t>(cores)] = {grid.host_x, grid.host_y, grid.host_x / grid.chip_width, grid.host_y / grid.chip_height};
  const auto where = [&](int t) -> const XY& {
    return xy[t == kHostCore ? static_cast<std::size_t>(cores) : static_cast<std::size_t>(g.tiles[static_cast<std::size_t>(t)].core)];
  };
  const auto edge_cost = [&](const Edge& ed) {
    const XY& p = where(ed.a);
    const XY& q = where(ed.b);
    return ed.channels * (std::llabs(p.x - q.x) + std::llabs(p.y - q.y) + chip_extra * (std::llabs(p.cx - q.cx) + std::llabs(p.cy - q.cy)));
  };
  // Cost of the edges touching tiles `a` and `b` (b may be -1), each edge once.
  const auto local_cost = [&](int a, int b) {
    int64_t c = 0;
    for (int e : touching[static_cast<std::size_t>(a)]) c += edge_cost(edges[static_cast<std::size_t>(e)]);
    if (b >= 0)
      for (int e : touching[static_cast<std::size_t>(b)]) {
        const Edge& ed = edges[static_cast<std::size_t>(e)];
        if (ed.a == a || ed.b == a) continue;
        c += edge_cost(ed);
      }
    return c;
  };
  const auto move = [&](int t, int to) {
    Tile& tl = g.tiles[static_cast<std::size_t>(t)];
    auto& from_list = on_core[static_cast<std::size_t>(tl.core)];
    from_list.erase(std::find(from_list.begin(), from_list.end(), t));
    sram[static_cast<std::size_t>(tl.core)] -= sram_of(t);
    neuron[static_cast<std::size_t>(tl.core)] -= neuron_of(t);
    tl.core = to;
    on_core[static_cast<std::size_t>(to)].push_back(t);
    sram[static_cast<std::size_t>(to)] += sram_of(t);
    neuron[static_cast<std::size_t>(to)] += neuron_of(t);
  };
  const int64_t mesh_w = grid.width, mesh_h = grid.height;
  const int64_t sram_cap = g.chip.core.synapse_sram_bytes, neuron_cap = g.chip.core.state_memory_bytes;
  std::mt19937_64 rng(g.seed);
  // 20,000 + 400 per tile, but at most ~5e7 edge evaluations in all (each proposal re-costs the
  // edges of the tiles it moves), so that many small tiles cannot make placement take minutes.
  const double degree = 2.0 * static_cast<double>(edges.size()) / static_cast<double>(g.tiles.size()) + 1.0;
  const int64_t proposals = std::max<int64_t>(
      20000, std::min<int64_t>(20000 + 400 * static_cast<int64_t>(g.tiles.size()), static_cast<int64_t>(5e7 / degree)));
  const auto ntiles = static_cast<uint64_t>(g.tiles.size());
  for (int64_t it = 0; it < proposals; ++it) {
    const int t = static_cast<int>(rng() % ntiles);
    const uint64_t r = rng();
    int to = static_cast<int>(r % static_cast<uint64_t>(cores));
    const auto& near = touching[static_cast<std::size_t>(t)];
    if ((r >> 32) % 2 == 1 && !near.empty()) {
      // Half the proposals go next to a tile (or the host) this tile exchanges data with: on a
      // large mesh, a uniformly random core is almost always too far to help.
      const Edge& ed = edges[static_cast<std::size_t>(near[static_cast<std::size_t>((r >> 33) % near.size())])];
      const XY& p = where(ed.a == t ? ed.b : ed.a);
      const auto clampi = [](int64_t v, int64_t hi) { return std::max<int64_t>(0, std::min<int64_t>(hi - 1, v)); };
      const int64_t dx = static_cast<int64_t>((r >> 40) % 5) - 2, dy = static_cast<int64_t>((r >> 48) % 5) - 2;
      to = grid.core_at(clampi(p.x + dx, mesh_w), clampi(p.y + dy, mesh_h));
    }
    const int from = g.tiles[static_cast<std::size_t>(t)].core;
    const uint64_t pick = rng();
    if (to == from) continue;
    const auto toi = static_cast<std::size_t>(to), fromi = static_cast<std::size_t>(from);
    if (sram[toi] + sram_of(t) <= sram_cap && neuron[toi] + neuron_of(t) <= neuron_cap) {
      const int64_t before = local_cost(t, -1);
      move(t, to);
      if (local_cost(t, -1) >= before) move(t, from);
      continue;
    }
    if (on_core[toi].empty()) continue;
    const int u = on_core[toi][static_cast<std::size_t>(pick % on_core[toi].size())];
    if (sram[toi] - sram_of(u) + sram_of(t) > sram_cap || neuron[toi] - neuron_of(u) + neuron_of(t) > neuron_cap ||
        sram[fromi] - sram_of(t) + sram_of(u) > sram_cap || neuron[fromi] - neuron_of(t) + neuron_of(u) > neuron_cap)
      continue;
    const int64_t before = local_cost(t, u);
    move(t, to);
    move(u, from);
    if (local_cost(t, u) >= before) {
      move(t, from);
      move(u, to);
    }
  }
  for (int64_t c = 0; c < cores; ++c)
    if (sram[static_cast<std::size_t>(c)] > sram_cap || neuron[static_cast<std::size_t>(c)] > neuron_cap)
      throw std::logic_error("place: a neurocore ended over capacity");
  g.passes_run.push_back("place");
}

}  // namespace neurark::compiler
