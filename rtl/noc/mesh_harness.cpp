// SPDX-License-Identifier: Apache-2.0
// The harnesses of nrk_mesh (rtl/noc/harness.hpp): random multicast flows, edge cases, zero-load
// latency and saturation (calibration), and the flows of a compiled image.
// Reference: a flow's flits reach exactly its destinations (arch/noc.hpp, docs/image-format.md);
// the routing tables are built here from XY multicast trees as compiler/src/pass_route.cpp and
// pass_emit.cpp build them, or read from an image.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/rtl/chip_params.hpp"
#include "noc_dut.hpp"

namespace neurark::rtl::noc {

std::vector<NocVariant> mesh_variants() {
  std::vector<NocVariant> v = {NocVariant{"mesh4x4", NRK_VARIANT_mesh4x4}, NocVariant{"mesh3x2", NRK_VARIANT_mesh3x2}};
  for (NocVariant& m : v) m.mesh = true;
  return v;
}

NocVariant mesh_variant(const arch::ChipDescription& chip, int64_t flows) {
  const ChipRtl rtl = chip_rtl(chip, flows);
  rtl.require("mesh", "verify-rtl mesh");
  const MeshRtlParams& m = rtl.mesh;
  NocVariant v;
  v.name = fmt::format("mesh{}x{}", m.width, m.height);
  v.width = static_cast<int>(m.width);
  v.height = static_cast<int>(m.height);
  v.flit_w = static_cast<int>(m.router.flit_bits);
  v.flow_w = static_cast<int>(m.router.flow_bits);
  v.n_flows = static_cast<int>(m.router.table_entries);
  v.buffer_depth = static_cast<int>(m.router.buffer_depth);
  v.router_latency = static_cast<int>(m.router.latency);
  v.link_latency = static_cast<int>(m.link_latency);
  v.mesh = true;
  return v;
}

RtlParams NocVariant::verilog() const {
  RtlParams p;
  if (mesh) p = {{"MeshWidth", width}, {"MeshHeight", height}};
  for (const RtlParam& r : RtlParams{{"FlitWidth", flit_w}, {"FlowWidth", flow_w}, {"NumFlows", n_flows},
                                     {"BufferDepth", buffer_depth}, {"Latency", router_latency}})
    p.push_back(r);
  if (mesh) p.push_back({"LinkLatency", link_latency});
  return p;
}

namespace {

std::unique_ptr<TableDut> make_mesh(const NocVariant& v) { return std::make_unique<ModelNocDut>(v); }

struct XY {
  int x = 0, y = 0;
};

// A flow as the mesh sees it: source node, destination nodes (sorted, unique).
struct MeshFlow {
  int src = 0;
  std::vector<int> dsts;
  PortSet dst_mask() const {
    PortSet m;
    for (int d : dsts) m.set(d);
    return m;
  }
};

// Routing-table masks of `flow` on a mesh of width w: the XY multicast tree (the union of the
// X-then-Y paths from src to every destination), as compiler/src/pass_route.cpp (xy_tree) and
// pass_emit.cpp build them. Returns node -> mask (arch::PortBit bits).
std::map<int, int> xy_masks(int w, const MeshFlow& f) {
  std::map<int, int> mask;
  mask[f.src] |= 0;
  const XY s{f.src % w, f.src / w};
  for (int d : f.dsts) {
    mask[d] |= arch::kPortLocal;
    XY at = s;
    const XY to{d % w, d / w};
    while (at.x != to.x) {
      mask[at.y * w + at.x] |= to.x > at.x ? arch::kPortEast : arch::kPortWest;
      at.x += to.x > at.x ? 1 : -1;
    }
    while (at.y != to.y) {
      mask[at.y * w + at.x] |= to.y > at.y ? arch::kPortSouth : arch::kPortNorth;
      at.y += to.y > at.y ? 1 : -1;
    }
  }
  return mask;
}

int hops(int w, int a, int b) { return std::abs(a % w - b % w) + std::abs(a / w - b / w); }

// A mesh with its flows' tables loaded and a bench on it.
struct Rig {
  NocVariant v;
  std::unique_ptr<TableDut> dut;
  Bench bench;
  std::vector<MeshFlow> flows;
  Rig(const NocVariant& variant, uint64_t seed, std::vector<MeshFlow> fl)
      : v(variant),
        dut(make_mesh(variant)),
        bench(*dut, [variant](int s, int d) { return variant.zero_load(hops(variant.width, s, d)); }, seed),
        flows(std::move(fl)) {
    if (static_cast<int>(flows.size()) > v.n_flows) throw std::invalid_argument("more flows than table entries");
    for (std::size_t f = 0; f < flows.size(); ++f)
      for (const auto& [node, m] : xy_masks(v.width, flows[f])) dut->write_table(node, static_cast<int64_t>(f), m);
  }
  Packet packet(int64_t flow) {
    Packet p;
    p.flow = flow;
    p.src = flows[static_cast<std::size_t>(flow)].src;
    p.dsts = flows[static_cast<std::size_t>(flow)].dst_mask();
    p.q = static_cast<int8_t>(bench.rng()() & 0xFF);
    return p;
  }
};

// One unicast flow per (source, destination) pair: flow s * n + d.
std::vector<MeshFlow> all_pairs(int n) {
  std::vector<MeshFlow> f;
  for (int s = 0; s < n; ++s)
    for (int d = 0; d < n; ++d) f.push_back({s, {d}});
  return f;
}

// When the tables cannot hold every pair: a unicast flow from each corner (node 0 first, then the
// far corner, then the others) to every node, as many as the tables hold. Flow 1 is 0 -> 1.
std::vector<MeshFlow> corner_pairs(const NocVariant& v) {
  const int n = v.width * v.height;
  std::vector<int> corners;
  for (int c : {0, n - 1, v.width - 1, n - v.width})
    if (std::find(corners.begin(), corners.end(), c) == corners.end()) corners.push_back(c);
  std::vector<MeshFlow> f;
  for (int s : corners)
    for (int d = 0; d < n && static_cast<int>(f.size()) < v.n_flows; ++d) f.push_back({s, {d}});
  return f;
}

void expect(NocRun& r, bool ok, const std::string& what) {
  if (ok) return;
  ++r.result.mismatches;
  if (r.result.first_mismatch.empty()) r.result.first_mismatch = what;
}

}  // namespace

std::string NocVariant::describe() const {
  if (width * height == 1)
    return fmt::format("nrk_router FlitWidth={} FlowWidth={} NumFlows={} BufferDepth={} Latency={}", flit_w, flow_w, n_flows,
                       buffer_depth, router_latency);
  return fmt::format("nrk_mesh {}x{} FlitWidth={} FlowWidth={} NumFlows={} BufferDepth={} Latency={} LinkLatency={}", width,
                     height, flit_w, flow_w, n_flows, buffer_depth, router_latency, link_latency);
}

double NocVariant::link_throughput() const {
  return std::min(1.0, static_cast<double>(buffer_depth) / static_cast<double>(credit_round_trip()));
}

NocRun mesh_random(const NocVariant& v, const VerifyOptions& opts) {
  std::mt19937_64 rng(opts.seed);
  const int n = v.width * v.height;
  std::vector<MeshFlow> flows;
  const int nf = std::min(v.n_flows, 48);
  for (int f = 0; f < nf; ++f) {
    MeshFlow m;
    m.src = static_cast<int>(rng() % static_cast<uint64_t>(n));
    const uint64_t kind = rng() % 10;
    const int k = kind < 6 ? 1 : kind < 9 ? 2 + static_cast<int>(rng() % 3) : n;
    std::set<int> d;
    while (static_cast<int>(d.size()) < std::min(k, n)) d.insert(static_cast<int>(rng() % static_cast<uint64_t>(n)));
    m.dsts.assign(d.begin(), d.end());
    flows.push_back(m);
  }
  Rig rig(v, opts.seed ^ 0x5eedu, flows);
  std::vector<Packet> pk;
  for (int64_t i = 0; i < opts.vectors; ++i) pk.push_back(rig.packet(static_cast<int64_t>(rng() % static_cast<uint64_t>(nf))));
  BenchConfig cfg;
  cfg.inject_prob = 0.15;
  cfg.stall_prob = 0.3;
  cfg.max_credit_delay = 12;
  cfg.record_deliveries = false;
  NocRun r = rig.bench.run(std::move(pk), cfg, "mesh",
                           fmt::format("{} random multicast flows, seed {}", v.name, opts.seed));
  r.result.source += " (" + summary(r.stats) + ")";
  return r;
}

std::vector<NocRun> mesh_edge_cases(const NocVariant& v, const VerifyOptions& opts) {
  std::vector<NocRun> out;
  const int n = v.width * v.height;
  {  // Broadcast from every node to every node (itself included), all at once.
    std::vector<MeshFlow> flows;
    std::vector<int> all(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) all[static_cast<std::size_t>(i)] = i;
    for (int s = 0; s < n; ++s) flows.push_back({s, all});
    Rig rig(v, opts.seed, flows);
    std::vector<Packet> pk;
    for (int i = 0; i < 8; ++i)
      for (int s = 0; s < n; ++s) pk.push_back(rig.packet(s));
    BenchConfig cfg;
    cfg.stall_prob = 0.2;
    cfg.max_credit_delay = 6;
    NocRun r = rig.bench.run(std::move(pk), cfg, "mesh", fmt::format("{} edge: broadcast from every node", v.name));
    expect(r, r.stats.deliveries == int64_t{8} * n * n, "broadcast: not every flit reached every node");
    r.result.source += " (" + summary(r.stats) + ")";
    out.push_back(std::move(r));
  }
  {  // Hotspot: every node streams to the far corner node; its ejection port takes 1 per cycle.
    std::vector<MeshFlow> flows;
    for (int s = 0; s < n; ++s) flows.push_back({s, {n - 1}});
    Rig rig(v, opts.seed, flows);
    std::vector<Packet> pk;
    for (int i = 0; i < 20; ++i)
      for (int s = 0; s < n; ++s) pk.push_back(rig.packet(s));
    NocRun r = rig.bench.run(std::move(pk), BenchConfig{}, "mesh", fmt::format("{} edge: every node to one node", v.name));
    // Every XY path ends on the corner's west or north link or its own local input; once the
    // west and local sources are done, the north link alone feeds it: at least one link's
    // throughput from the first delivery to the last.
    const double rate = r.deliveries.size() < 2 ? 0.0
        : static_cast<double>(r.deliveries.size() - 1) /
              static_cast<double>(r.deliveries.back().cycle - r.deliveries.front().cycle);
    expect(r, rate >= v.link_throughput() - 0.01,
           fmt::format("hotspot: its ejection port moved {:.3f} flits/cycle, below one link's {:.3f}", rate,
                       v.link_throughput()));
    r.result.source += " (" + summary(r.stats) + ")";
    out.push_back(std::move(r));
  }
  return out;
}

NocCalibration calibrate(const NocVariant& v, const VerifyOptions& opts) {
  NocCalibration c;
  c.variant = v;
  const int n = v.width * v.height;
  const bool every_pair = int64_t{n} * n <= v.n_flows;
  Rig rig(v, opts.seed, every_pair ? all_pairs(n) : corner_pairs(v));
  const int pairs = static_cast<int>(rig.flows.size());
  {  // Zero load: every pair alone in the mesh (each flit waits for the previous one's arrival).
    std::vector<Packet> pk;
    const int64_t gap = v.zero_load(v.width + v.height) + 4;
    for (int f = 0; f < pairs; ++f) {
      Packet p = rig.packet(f);
      p.not_before = f * gap;
      pk.push_back(p);
    }
    BenchConfig cfg;
    cfg.exact_latency = true;
    c.zero_load = rig.bench.run(std::move(pk), cfg, "mesh",
                                fmt::format("{} zero-load latency, {}", v.name,
                                            every_pair ? std::string("every pair") : fmt::format("{} pairs from the corners", pairs)));
    int64_t local = -1, far = -1, far_hops = 0;
    bool exact = c.zero_load.stats.deliveries == pairs;
    for (const Delivery& d : c.zero_load.deliveries) {
      const int h = hops(v.width, d.src, d.dst);
      exact = exact && d.latency() == v.zero_load(h);
      if (h == 0) local = d.latency();
      if (h > far_hops) far_hops = h, far = d.latency();
    }
    c.local_cycles = local;
    c.cycles_per_hop = far_hops > 0 ? static_cast<double>(far - local) / far_hops : 0;
    c.zero_load_exact = exact && c.zero_load.result.mismatches == 0;
    c.zero_load.result.source += fmt::format(" ({} cycles local, {:.2f} cycles/hop)", c.local_cycles, c.cycles_per_hop);
  }
  {  // One stream over one link: node 0 -> node 1 (east), offered 1 flit per cycle.
    std::vector<Packet> pk;
    for (int i = 0; i < 1000; ++i) pk.push_back(rig.packet(1));
    c.link_stream = rig.bench.run(std::move(pk), BenchConfig{}, "mesh", fmt::format("{} saturation: one link", v.name));
    c.link_saturation = c.link_stream.stats.deliveries_per_cycle;
    expect(c.link_stream, std::abs(c.link_saturation - v.link_throughput()) < 0.02,
           fmt::format("one link moved {:.3f} flits/cycle, expected min(1, {} / {})", c.link_saturation, v.buffer_depth,
                       v.credit_round_trip()));
    c.link_stream.result.source += fmt::format(" ({:.3f} flits/cycle; min(1, depth {} / credit round trip {}) = {:.3f})",
                                               c.link_saturation, v.buffer_depth, v.credit_round_trip(), v.link_throughput());
  }
  if (every_pair) {  // Uniform random unicast from every node, offered 1 flit per cycle per node.
    std::vector<Packet> pk;
    auto& rng = rig.bench.rng();
    for (int i = 0; i < 400; ++i)
      for (int s = 0; s < n; ++s) {
        int d = static_cast<int>(rng() % static_cast<uint64_t>(n - 1));
        if (d >= s) ++d;
        pk.push_back(rig.packet(s * n + d));
      }
    c.uniform = rig.bench.run(std::move(pk), BenchConfig{}, "mesh", fmt::format("{} saturation: uniform random", v.name));
  } else {  // The same over table / n random destinations of every node.
    std::mt19937_64 rng(opts.seed ^ 0x0417u);
    const int per = std::max(1, v.n_flows / n);
    std::vector<MeshFlow> flows;
    for (int s = 0; s < n; ++s)
      for (int k = 0; k < per; ++k) {
        int d = static_cast<int>(rng() % static_cast<uint64_t>(n - 1));
        if (d >= s) ++d;
        flows.push_back({s, {d}});
      }
    Rig uni(v, opts.seed, flows);
    std::vector<Packet> pk;
    for (int i = 0; i < 400; ++i)
      for (int s = 0; s < n; ++s) pk.push_back(uni.packet(s * per + static_cast<int>(rng() % static_cast<uint64_t>(per))));
    c.uniform = uni.bench.run(std::move(pk), BenchConfig{}, "mesh",
                              fmt::format("{} saturation: uniform random over {} destinations per node", v.name, per));
  }
  c.uniform_saturation = c.uniform.stats.deliveries_per_cycle / n;
  c.uniform.result.source += fmt::format(" ({:.3f} flits/cycle/node accepted; {})", c.uniform_saturation,
                                         summary(c.uniform.stats));
  return c;
}

std::vector<NocRun> mesh_image(const std::string& image_path, const VerifyOptions& opts) {
  NocRun bad;
  bad.result.block = "mesh";
  bad.result.source = "image " + image_path;
  const auto refuse = [&](const std::string& why) {
    bad.result.mismatches = 1;
    bad.result.first_mismatch = why;
    return std::vector<NocRun>{bad};
  };
  arch::Program program;
  try {
    program = arch::Program::from_image(arch::Image::open(image_path));
  } catch (const std::exception& e) {
    return refuse(std::string("cannot read the image: ") + e.what());
  }
  const arch::ChipDescription& chip = program.chip;
  if (chip.multichip.chips_x * chip.multichip.chips_y != 1) return refuse("multichip images are not supported");
  const int64_t nflows = static_cast<int64_t>(program.flows.size());
  if (nflows < 1) return refuse("the image has no flows");
  // The variant: the image chip's own (built on demand unless compiled in) when the RTL takes it;
  // else a compiled-in one that holds the image's mesh, flows and flits, identical noc parameters
  // preferred.
  const NocVariant* pick = nullptr;
  std::vector<NocVariant> variants;
  if (chip_rtl(chip, nflows).limits_of("mesh").empty()) variants.push_back(mesh_variant(chip, nflows));
  for (const NocVariant& v : mesh_variants()) variants.push_back(v);
  for (const NocVariant& v : variants) {
    if (v.width < chip.mesh_width || v.height < chip.mesh_height || v.n_flows < nflows ||
        v.flit_w < arch::event_packet_bits(nflows))
      continue;
    const bool same = v.flit_w == chip.noc.link_width_bits && v.router_latency == chip.noc.router_latency_cycles &&
                      v.link_latency == chip.noc.link_latency_cycles && v.buffer_depth == chip.noc.buffer_depth_flits;
    if (pick == nullptr || (same && v.width * v.height <= pick->width * pick->height)) pick = &v;
    if (same) break;
  }
  if (pick == nullptr)
    return refuse(fmt::format("no Verilated mesh variant holds a {}x{} mesh with {} flows", chip.mesh_width,
                              chip.mesh_height, nflows));
  const NocVariant v = *pick;
  const bool same = v.flit_w == chip.noc.link_width_bits && v.router_latency == chip.noc.router_latency_cycles &&
                    v.link_latency == chip.noc.link_latency_cycles && v.buffer_depth == chip.noc.buffer_depth_flits;
  // Image core c (row-major on the image's mesh) -> node of the variant's mesh.
  const arch::MeshGrid grid = program.grid();
  const auto node = [&](int core) {
    const int c = grid.resolve(core);
    return static_cast<int>(grid.y(c) * v.width + grid.x(c));
  };
  std::vector<MeshFlow> flows;
  std::vector<int64_t> channels;
  for (const arch::Flow& f : program.flows) {
    MeshFlow mf;
    mf.src = node(f.src_core);
    for (int d : f.dst_cores) mf.dsts.push_back(node(d));
    std::sort(mf.dsts.begin(), mf.dsts.end());
    mf.dsts.erase(std::unique(mf.dsts.begin(), mf.dsts.end()), mf.dsts.end());
    flows.push_back(mf);
    channels.push_back(f.channels);
  }
  const std::string what = fmt::format("image {} ({} flows, {}x{} chip '{}') on {}{}", image_path, nflows,
                                       chip.mesh_width, chip.mesh_height, chip.name, v.name,
                                       same ? "" : " (timing of the RTL variant, not of the image's chip)");
  std::vector<NocRun> out;
  for (int phase = 0; phase < 2; ++phase) {
    auto dut = make_mesh(v);
    Bench bench(*dut, [v](int s, int d) { return v.zero_load(hops(v.width, s, d)); }, opts.seed);
    // The image's routing tables, as they are (not rebuilt from the flows).
    for (const arch::RoutingTable& r : program.routing) {
      const int nd = node(r.core);
      for (const auto& [flow, mask] : r.entries) dut->write_table(nd, flow, mask);
    }
    std::vector<Packet> pk;
    BenchConfig cfg;
    for (int64_t f = 0; f < nflows; ++f) {
      const int64_t count = phase == 0 ? 1 : std::max<int64_t>(1, channels[static_cast<std::size_t>(f)]);
      for (int64_t k = 0; k < count; ++k) {
        Packet p;
        p.flow = f;
        p.src = flows[static_cast<std::size_t>(f)].src;
        p.dsts = flows[static_cast<std::size_t>(f)].dst_mask();
        p.q = static_cast<int8_t>(bench.rng()() & 0xFF);
        if (phase == 0) p.not_before = f * (v.zero_load(v.width + v.height) + 4);
        pk.push_back(p);
      }
    }
    if (phase == 0) {
      cfg.exact_latency = true;
    } else {
      cfg.inject_prob = 0.5;
      cfg.stall_prob = 0.3;
      cfg.max_credit_delay = 8;
    }
    NocRun r = bench.run(std::move(pk), cfg, "mesh",
                         what + (phase == 0 ? ": one event per flow, zero load" : ": `channels` events per flow, at once"));
    r.result.source += " (" + summary(r.stats) + ")";
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace neurark::rtl::noc

namespace neurark::rtl {

std::vector<BlockHarness> noc_harnesses() {
  using namespace noc;
  std::vector<BlockHarness> h;
  h.push_back({"router",
               "nrk_router: one mesh router (5 ports, table multicast, credits, round robin) vs arch/noc.hpp",
               [](const VerifyOptions& o) {
                 std::vector<BlockResult> v{router_random(o).result};
                 for (NocRun& r : router_edge_cases(o)) v.push_back(std::move(r.result));
                 return v;
               }});
  h.push_back({"mesh",
               "nrk_mesh: W x H routers on XY multicast trees; every flow reaches exactly its destinations",
               [](const VerifyOptions& o) {
                 std::vector<BlockResult> v;
                 // The chip's mesh; without a chip, the compiled-in variants (default-4x4, tiny-3x2).
                 const std::vector<NocVariant> variants =
                     o.chip ? std::vector<NocVariant>{mesh_variant(*o.chip)} : mesh_variants();
                 for (const NocVariant& var : variants) {
                   v.push_back(mesh_random(var, o).result);
                   for (NocRun& r : mesh_edge_cases(var, o)) v.push_back(std::move(r.result));
                   NocCalibration c = calibrate(var, o);
                   for (NocRun* r : {&c.zero_load, &c.link_stream, &c.uniform}) v.push_back(std::move(r->result));
                 }
                 return v;
               }});
  return h;
}

}  // namespace neurark::rtl
