// SPDX-License-Identifier: Apache-2.0
// The chip image's program, typed: see neurark/arch/program.hpp and docs/image-format.md.
#include "neurark/arch/program.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "neurark/arch/error.hpp"
#include "neurark/arch/json_util.hpp"
#include "neurark/arch/weight_memory.hpp"

namespace neurark::arch {

namespace {

using nlohmann::json;

constexpr const char* kOpNames[kOpKinds] = {"embed", "norm_scale", "bitlinear", "mlgru", "product", "silu", "add_sat"};
constexpr const char* kPhaseNames[kPhaseKinds] = {"inject",     "reduce",      "normalize", "events",
                                                  "requantize", "elementwise", "readback"};
constexpr const char* kFlowNames[4] = {"events", "values", "inject", "readback"};

template <typename E, std::size_t N>
std::optional<E> from_names(const char* const (&names)[N], std::string_view s) {
  for (std::size_t i = 0; i < N; ++i)
    if (s == names[i]) return static_cast<E>(i);
  return std::nullopt;
}

// Records the first back edge a depth-first search meets: an edge on a cycle.
struct CycleFinder : boost::default_dfs_visitor {
  std::pair<int, int>* back;
  explicit CycleFinder(std::pair<int, int>* b) : back(b) {}
  template <class Edge, class Graph>
  void back_edge(Edge e, const Graph& g) {
    if (back->first < 0) *back = {static_cast<int>(boost::source(e, g)), static_cast<int>(boost::target(e, g))};
  }
};

// The routing tables against the flows (docs/image-format.md, "routing"): walked from each
// flow's source router, a flow's entries must forward along exactly its tree's links, never
// revisit a router, and deliver (local bit) to exactly its destinations; no entry may lie off
// its route. Then the channel dependency graph of all routes (a vertex per directed link, an
// edge a -> b when some flow's flits hold link a while they request link b) must have no cycle:
// with wormhole / credit flow control, routes whose dependency graph is acyclic cannot deadlock
// (Dally & Seitz, IEEE Trans. Computers C-36(5), 1987). XY routes always pass.
template <class Bad>
void check_routes(const Program& p, const Bad& bad) {
  const MeshGrid grid = p.grid();
  const int64_t cores = grid.cores();
  std::map<std::pair<int, int>, int> mask;  // (router, flow) -> port mask
  for (std::size_t r = 0; r < p.routing.size(); ++r) {
    const RoutingTable& t = p.routing[r];
    if (t.core < 0 || t.core >= cores)
      throw bad(fmt::format("routing[{}].core", r), fmt::format("router {} outside the chip's {} neurocores", t.core, cores));
    for (const auto& [flow, bits] : t.entries) {
      if (flow < 0 || flow >= static_cast<int>(p.flows.size()))
        throw bad(fmt::format("routing[{}].entries", r), fmt::format("flow {} does not exist", flow));
      if (bits < 0 || bits >= (1 << kPorts))
        throw bad(fmt::format("routing[{}].entries", r), fmt::format("port mask {} of flow {} is not a 5-bit mask", bits, flow));
      if (!mask.emplace(std::make_pair(t.core, flow), bits).second)
        throw bad(fmt::format("routing[{}].entries", r), fmt::format("flow {} appears twice in router {}'s table", flow, t.core));
    }
  }
  static constexpr PortBit kDirBits[kDirections] = {kPortEast, kPortWest, kPortSouth, kPortNorth};
  boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS> cdg(static_cast<std::size_t>(grid.links()));
  std::map<std::pair<int, int>, int> dependency_flow;  // CDG edge -> a flow that makes it
  std::size_t entries_walked = 0;
  for (std::size_t f = 0; f < p.flows.size(); ++f) {
    const Flow& flow = p.flows[f];
    const std::string field = fmt::format("flows[{}]", f);
    std::set<std::pair<int, int>> tree(flow.links.begin(), flow.links.end()), walked;
    std::set<int> delivered, expected, seen;
    for (int d : flow.dst_cores) expected.insert(grid.resolve(d));
    std::vector<std::pair<int, int>> todo = {{grid.resolve(flow.src_core), -1}};  // {router, link it came in on}
    while (!todo.empty()) {
      const auto [c, in_link] = todo.back();
      todo.pop_back();
      if (!seen.insert(c).second)
        throw bad(field, fmt::format("its routing tables reach router {} twice (a cycle or a merge)", c));
      const auto it = mask.find({c, static_cast<int>(f)});
      if (it == mask.end()) throw bad(field, fmt::format("router {} on its route has no routing-table entry for it", c));
      ++entries_walked;
      if ((it->second & kPortLocal) != 0) delivered.insert(c);
      for (int d = 0; d < kDirections; ++d) {
        if ((it->second & kDirBits[d]) == 0) continue;
        const int64_t dx = d == 0 ? 1 : d == 1 ? -1 : 0, dy = d == 2 ? 1 : d == 3 ? -1 : 0;
        const int64_t nx = grid.x(c) + dx, ny = grid.y(c) + dy;
        if (!grid.contains(nx, ny))
          throw bad(field, fmt::format("router {} sends it {} off the mesh", c, to_string(static_cast<Direction>(d))));
        const int next = grid.core_at(nx, ny);
        if (tree.count({c, next}) == 0)
          throw bad(field, fmt::format("router {} sends it to {}, a link that is not in its tree", c, next));
        walked.insert({c, next});
        const int out_link = grid.link_id(c, next);
        if (in_link >= 0) {
          boost::add_edge(static_cast<std::size_t>(in_link), static_cast<std::size_t>(out_link), cdg);
          dependency_flow.emplace(std::make_pair(in_link, out_link), static_cast<int>(f));
        }
        todo.push_back({next, out_link});
      }
    }
    if (walked != tree) throw bad(field, fmt::format("its routing tables use {} of its tree's {} links", walked.size(), tree.size()));
    if (delivered != expected)
      throw bad(field, fmt::format("its routing tables deliver it to cores {{{}}}, expected its destinations {{{}}}",
                                   fmt::join(delivered, ", "), fmt::join(expected, ", ")));
  }
  if (entries_walked != mask.size())
    throw bad("routing", fmt::format("{} routing-table entries lie off their flow's route", mask.size() - entries_walked));
  // Deadlock freedom: no cycle in the channel dependency graph.
  std::pair<int, int> back{-1, -1};
  boost::depth_first_search(cdg, boost::visitor(CycleFinder(&back)));
  if (back.first >= 0) {
    const MeshGrid::LinkEnds a = grid.link_ends(back.first), b = grid.link_ends(back.second);
    throw bad("routing", fmt::format("the routes can deadlock: their channel dependency graph has a cycle through link {} -> {} "
                                     "then link {} -> {} (flow {})",
                                     a.from, a.to, b.from, b.to, dependency_flow.at(back)));
  }
}

}  // namespace

const char* to_string(OpKind k) { return kOpNames[static_cast<int>(k)]; }
std::optional<OpKind> op_kind_from_string(std::string_view s) { return from_names<OpKind>(kOpNames, s); }
const char* to_string(PhaseKind k) { return kPhaseNames[static_cast<int>(k)]; }
std::optional<PhaseKind> phase_kind_from_string(std::string_view s) { return from_names<PhaseKind>(kPhaseNames, s); }
const char* to_string(FlowKind k) { return kFlowNames[static_cast<int>(k)]; }
std::optional<FlowKind> flow_kind_from_string(std::string_view s) { return from_names<FlowKind>(kFlowNames, s); }

Program Program::from_image(const Image& image) { return from_image(image, ProgramChecks{}); }

Program Program::from_image(const Image& image, const ProgramChecks& checks) {
  const std::string& path = image.path();
  const auto bad = [&](const std::string& field, const std::string& what) {
    return Error(fmt::format("{}: image program: {}: {}", path, field, what));
  };
  const json& m = image.manifest();
  Program p;
  try {
    if (m.at("format").get<std::string>() != "neurark-image")
      throw bad("format", fmt::format("\"{}\", expected \"neurark-image\"", m.at("format").get<std::string>()));
    p.chip_name = m.at("chip").at("name").get<std::string>();
    p.chip_text = m.at("chip").at("text").get<std::string>();
    p.chip = ChipDescription::from_yaml_text(p.chip_text, path + " (chip.text)");
    p.energy_table_text = m.at("chip").value("energy_table_text", std::string());
    if (!p.energy_table_text.empty())
      p.energy_table = EnergyTable::from_yaml_text(p.energy_table_text, path + " (chip.energy_table_text)")
                           .at_supply(p.chip.technology_node_nm, p.chip.voltage_v);
    p.cost_table_text = m.at("chip").value("cost_table_text", std::string());
    if (!p.cost_table_text.empty())
      p.cost_table = TechnologyTable::from_yaml_text(p.cost_table_text, path + " (chip.cost_table_text)");
    const json& model = m.at("model");
    const json& cfg = model.at("config");
    p.model.name = model.at("name").get<std::string>();
    p.model.vocab_size = cfg.at("vocab_size").get<int64_t>();
    p.model.hidden_size = cfg.at("hidden_size").get<int64_t>();
    p.model.num_hidden_layers = cfg.at("num_hidden_layers").get<int64_t>();
    p.model.intermediate_size = cfg.at("intermediate_size").get<int64_t>();
    p.model.use_lower_bound = cfg.at("use_lower_bound").get<bool>();
    // Sizes the arithmetic can hold (int32 channel indices, an embedding table below 2^40 values).
    constexpr int64_t kMaxDim = (int64_t{1} << 31) - 1;
    for (const auto& [field, v] : {std::pair<const char*, int64_t>{"vocab_size", p.model.vocab_size},
                                   {"hidden_size", p.model.hidden_size},
                                   {"num_hidden_layers", p.model.num_hidden_layers},
                                   {"intermediate_size", p.model.intermediate_size}})
      if (v < 1 || v > kMaxDim) throw bad(fmt::format("model.config.{}", field), fmt::format("{} outside [1, {}]", v, kMaxDim));
    if (p.model.vocab_size > (int64_t{1} << 40) / p.model.hidden_size)
      throw bad("model.config", fmt::format("an embedding table of {} x {} values, more than 2^40", p.model.vocab_size,
                                            p.model.hidden_size));
    p.seed = m.at("seed").get<uint64_t>();
    if (m.contains("producer")) {
      const json& pr = m.at("producer");
      if (!pr.is_object()) throw bad("producer", fmt::format("{}, expected an object {{\"tool\", \"version\"}}", json_kind(pr)));
      for (const char* k : {"tool", "version"})
        if (!pr.contains(k) || !pr.at(k).is_string())
          throw bad(fmt::format("producer.{}", k), "missing or not a string");
      p.producer = {{"tool", pr.at("tool")}, {"version", pr.at("version")}};
    }
    p.passes = m.at("passes").get<std::vector<std::string>>();
    p.logits = m.at("logits").get<int>();
    p.traffic_channel_hops_per_token = m.at("estimates").at("traffic_channel_hops_per_token").get<int64_t>();
    const std::string enc = m.at("weight_encoding").get<std::string>();
    if (enc != to_string(p.chip.core.weight_encoding))
      throw bad("weight_encoding", fmt::format("\"{}\", but the chip's neurocore.weight_encoding is \"{}\"", enc,
                                               to_string(p.chip.core.weight_encoding)));
    p.weight_encoding = p.chip.core.weight_encoding;
    // The numerics revision must be this build's (an image without the field is revision 1).
    const json numerics = m.contains("numerics") ? m.at("numerics") : json(1);
    if (!numerics.is_number_integer() || numerics.get<int64_t>() != kNumericsVersion)
      throw bad("numerics", fmt::format("{}, but this build computes revision {} of docs/numerics.md: the image was "
                                        "compiled by another neurark; compile it again", numerics.dump(), kNumericsVersion));
    // The sigmoid LUT must be the one this build's arch/ computes with.
    p.sigmoid_lut_blob = m.at("lut").at("sigmoid_q32").get<std::string>();
    const auto lut = image.blob_as<uint32_t>(p.sigmoid_lut_blob, kSigmoidLutEntries);
    if (!std::equal(lut.begin(), lut.end(), sigmoid_lut().begin()))
      throw bad("lut.sigmoid_q32", "differs from this build's sigmoid LUT (docs/numerics.md §7): the image was built for other numerics");
    const int64_t cores = p.chip.total_cores();
    const auto check_core = [&](int c, const std::string& field) {
      if (c < 0 || c >= cores) throw bad(field, fmt::format("core {} outside the chip's {} neurocores", c, cores));
    };
    // Tiles.
    const json& tiles = m.at("tiles");
    for (std::size_t t = 0; t < tiles.size(); ++t) {
      const json& j = tiles[t];
      ProgramTile tl;
      tl.op = j.at("op").get<int>();
      tl.row_begin = j.at("rows").at(0).get<int64_t>();
      tl.row_end = j.at("rows").at(1).get<int64_t>();
      tl.core = j.at("core").get<int>();
      tl.in_dram = j.at("in_dram").get<bool>();
      tl.weight_bytes = j.at("weight_bytes").get<int64_t>();
      tl.neuron_bytes = j.at("neuron_bytes").get<int64_t>();
      tl.blob = j.at("blob").get<std::string>();
      check_core(tl.core, fmt::format("tiles[{}].core", t));
      if (tl.row_begin < 0 || tl.row_end <= tl.row_begin) throw bad(fmt::format("tiles[{}].rows", t), "empty or negative row range");
      if (tl.rows() > p.chip.core.accumulators)
        throw bad(fmt::format("tiles[{}].rows", t), fmt::format("{} rows, more than a neurocore's {} accumulators", tl.rows(),
                                                                p.chip.core.accumulators));
      if (tl.weight_bytes < 0 || tl.neuron_bytes < 0 || tl.weight_bytes > (int64_t{1} << 40) || tl.neuron_bytes > (int64_t{1} << 40))
        throw bad(fmt::format("tiles[{}]", t), "weight_bytes or neuron_bytes outside [0, 2^40]");
      (void)image.blob(tl.blob);  // exists
      p.tiles.push_back(std::move(tl));
    }
    // Tensors.
    for (const json& j : m.at("tensors")) {
      ProgramTensor t;
      t.name = j.at("name").get<std::string>();
      t.length = j.at("length").get<int64_t>();
      t.format = j.at("format").get<std::string>();
      // Every tensor of the program is a token, a d-vector, the gate/up pair (2 I), an I-vector
      // or the logits (V): a longer one is a forged length.
      const int64_t longest = std::max({p.model.vocab_size, p.model.hidden_size, 2 * p.model.intermediate_size});
      if (t.length < 1 || t.length > longest)
        throw bad("tensors." + t.name + ".length", fmt::format("{} outside [1, {}] (the model's longest vector)", t.length, longest));
      int64_t at = 0;
      for (const json& s : j.at("segments")) {
        ProgramSegment seg;
        seg.begin = s.at(0).get<int64_t>();
        seg.end = s.at(1).get<int64_t>();
        seg.tile = s.at(2).get<int>();
        seg.core = s.at(3).get<int>();
        check_core(seg.core, "tensors." + t.name + ".segments");
        if (seg.tile < 0 || seg.tile >= static_cast<int>(p.tiles.size()) || p.tiles[static_cast<std::size_t>(seg.tile)].core != seg.core)
          throw bad("tensors." + t.name + ".segments", fmt::format("tile {} is not a tile on core {}", seg.tile, seg.core));
        if (seg.begin != at || seg.end <= seg.begin) throw bad("tensors." + t.name + ".segments", "segments do not tile the tensor");
        at = seg.end;
        t.segments.push_back(seg);
      }
      if (!t.segments.empty() && at != t.length) throw bad("tensors." + t.name + ".segments", "segments do not cover the tensor");
      p.tensors.push_back(std::move(t));
    }
    const auto check_tensor = [&](int id, const std::string& field) {
      if (id < 0 || id >= static_cast<int>(p.tensors.size())) throw bad(field, fmt::format("tensor {} does not exist", id));
    };
    check_tensor(p.logits, "logits");
    // Ops.
    const json& ops = m.at("ops");
    bool has_embed = false;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const json& j = ops[i];
      ProgramOp op;
      const std::string kind = j.at("kind").get<std::string>();
      const std::optional<OpKind> k = op_kind_from_string(kind);
      if (!k) throw bad(fmt::format("ops[{}].kind", i), fmt::format("unknown op '{}'", kind));
      op.kind = *k;
      has_embed |= op.kind == OpKind::kEmbed;
      if (op.kind == OpKind::kEmbed) {  // the host's table: V x d int32 values, so V and d are real
        const std::string table = j.at("consts").at("table").get<std::string>();
        const auto [tp, tbytes] = image.blob(table);
        (void)tp;
        if (static_cast<int64_t>(tbytes) != p.model.vocab_size * p.model.hidden_size * 4)
          throw bad(fmt::format("ops[{}].consts.table", i), fmt::format("{} bytes, a {} x {} table of int32 has {}", tbytes,
                                                                        p.model.vocab_size, p.model.hidden_size,
                                                                        p.model.vocab_size * p.model.hidden_size * 4));
      }
      op.name = j.at("name").get<std::string>();
      op.layer = j.at("layer").get<int>();
      if (op.layer < -1 || op.layer >= p.model.num_hidden_layers)
        throw bad(fmt::format("ops[{}].layer", i), fmt::format("{} outside [-1, {})", op.layer, p.model.num_hidden_layers));
      op.output = j.at("output").get<int>();
      check_tensor(op.output, fmt::format("ops[{}].output", i));
      for (const json& in : j.at("inputs")) {
        Operand o{in.at(0).get<int>(), in.at(1).get<int64_t>(), in.at(2).get<int64_t>()};
        check_tensor(o.tensor, fmt::format("ops[{}].inputs", i));
        const int64_t tensor_length = p.tensors[static_cast<std::size_t>(o.tensor)].length;
        if (o.offset < 0 || o.length < 0 || o.offset > tensor_length || o.length > tensor_length - o.offset)  // no overflow
          throw bad(fmt::format("ops[{}].inputs", i), "operand range outside its tensor");
        op.inputs.push_back(o);
      }
      // Arity and operand lengths: element-wise ops read each operand over the output's channels.
      static constexpr int kArity[kOpKinds] = {1, 1, 1, 2, 2, 1, 2};  // embed ... add_sat
      if (static_cast<int>(op.inputs.size()) != kArity[static_cast<int>(op.kind)])
        throw bad(fmt::format("ops[{}].inputs", i), fmt::format("{} input(s), expected {} for {}", op.inputs.size(),
                                                                kArity[static_cast<int>(op.kind)], kind));
      const int64_t out_len = p.tensors[static_cast<std::size_t>(op.output)].length;
      if (op.kind != OpKind::kEmbed && op.kind != OpKind::kBitLinear)
        for (const Operand& o : op.inputs)
          if (o.length != out_len)
            throw bad(fmt::format("ops[{}].inputs", i), fmt::format("an operand of {} channels for an output of {}", o.length,
                                                                    out_len));
      op.tiles = j.at("tiles").get<std::vector<int>>();
      for (int t : op.tiles)
        if (t < 0 || t >= static_cast<int>(p.tiles.size()) || p.tiles[static_cast<std::size_t>(t)].op != static_cast<int>(i))
          throw bad(fmt::format("ops[{}].tiles", i), fmt::format("tile {} does not belong to this op", t));
      op.consts = j.at("consts").get<std::map<std::string, std::string>>();
      if (op.kind == OpKind::kNormScale) {
        op.norm_exp = j.at("norm_exp").get<int>();
        if (op.norm_exp < 0 || op.norm_exp > 62)
          throw bad(fmt::format("ops[{}].norm_exp", i), fmt::format("{} outside [0, 62]", op.norm_exp));
        op.eps = {j.at("eps").at(0).get<uint32_t>(), j.at("eps").at(1).get<int32_t>()};
        // Zero, or a Scale in [2^-81, 2): what rms_norm_eps can be (models/config.hpp).
        if (op.eps.mant != 0 && (op.eps.mant < (uint32_t{1} << 31) || op.eps.exp < -112 || op.eps.exp > -31))
          throw bad(fmt::format("ops[{}].eps", i),
                    fmt::format("[{}, {}] is not an eps: expected 0, or a mantissa in [2^31, 2^32) and an exponent in "
                                "[-112, -31]", op.eps.mant, op.eps.exp));
      }
      if (op.kind == OpKind::kBitLinear) {
        op.in = j.at("in").get<int64_t>();
        op.out = j.at("out").get<int64_t>();
        op.layer_c = {j.at("layer_c").at(0).get<uint32_t>(), j.at("layer_c").at(1).get<int32_t>()};
        // A Scale (arch/numerics.hpp): zero, or a mantissa in [2^31, 2^32); its exponent far inside
        // what the per-token scale arithmetic takes (a real layer's is a few dozen).
        constexpr int32_t kMaxLayerExp = 1 << 16;
        if ((op.layer_c.mant != 0 && op.layer_c.mant < (uint32_t{1} << 31)) || op.layer_c.exp > kMaxLayerExp ||
            op.layer_c.exp < -kMaxLayerExp)
          throw bad(fmt::format("ops[{}].layer_c", i),
                    fmt::format("[{}, {}] is not a scale: expected a mantissa of 0 or in [2^31, 2^32) and an exponent in "
                                "[-{}, {}]", op.layer_c.mant, op.layer_c.exp, kMaxLayerExp, kMaxLayerExp));
        const int64_t n_in = op.inputs.empty() ? 0 : op.inputs[0].length;
        const int64_t n_out = p.tensors[static_cast<std::size_t>(op.output)].length;
        if (n_in != op.in || n_out != op.out) throw bad(fmt::format("ops[{}]", i), "BitLinear shape disagrees with its tensors");
        if (op.in > kEventChannels)
          throw bad(fmt::format("ops[{}].in", i), fmt::format("fan-in {} exceeds the {} channels an event packet can name",
                                                              op.in, kEventChannels));
        for (int t : op.tiles) {
          const ProgramTile& tl = p.tiles[static_cast<std::size_t>(t)];
          const auto [data, bytes] = image.blob(tl.blob);
          // packed2: exactly its size; sparse: at least its K + 1 column pointers.
          const int64_t expect = p.weight_encoding == WeightEncoding::kPacked2 ? packed2_tile_bytes(tl.rows(), op.in)
                                 : static_cast<int64_t>(bytes) >= 4 * (op.in + 1) ? static_cast<int64_t>(bytes)
                                                                                  : 4 * (op.in + 1);
          if (static_cast<int64_t>(bytes) != expect || tl.row_end > op.out)
            throw bad(fmt::format("tiles[{}]", t), fmt::format("weight memory of {} bytes does not match a {} x {} tile",
                                                               bytes, tl.rows(), op.in));
          if (p.weight_encoding == WeightEncoding::kPacked2)
            for (std::size_t byte = 0; byte < bytes; ++byte)
              for (int field = 0; field < 4; ++field)
                if (((data[byte] >> (2 * field)) & 3u) == 2u)
                  throw bad(fmt::format("tiles[{}]", t), fmt::format("weight memory byte {} holds the invalid ternary code 10", byte));
        }
      } else if (op.kind == OpKind::kMlgru) {
        op.bounded = j.at("bounded").get<bool>();
      }
      // The constants the interpreters read for this op kind (a missing one used to surface as
      // std::out_of_range from the functional backend: a fuzz_image finding).
      {
        std::vector<std::string> need;
        if (op.kind == OpKind::kNormScale) need = {"norm_weight"};
        if (op.kind == OpKind::kBitLinear) need = {"norm"};
        if (op.kind == OpKind::kMlgru && op.bounded) need = {"lower_bound"};
        for (const std::string& c : need)
          if (op.consts.count(c) == 0)
            throw bad(fmt::format("ops[{}].consts", i), fmt::format("no '{}' for a {} op", c, kind));
      }
      p.ops.push_back(std::move(op));
    }
    for (std::size_t t = 0; t < p.tiles.size(); ++t) {
      const int op = p.tiles[t].op;
      if (op < 0 || op >= static_cast<int>(p.ops.size()) || p.ops[static_cast<std::size_t>(op)].kind != OpKind::kBitLinear)
        throw bad(fmt::format("tiles[{}].op", t), fmt::format("op {} is not a BitLinear of this program", op));
    }
    // Flows: XY multicast trees over mesh neighbours, rooted at the source.
    const MeshGrid grid = p.grid();
    const json& flows = m.at("flows");
    for (std::size_t i = 0; i < flows.size(); ++i) {
      const json& f = flows[i];
      Flow fl;
      const std::string kind = f.at("kind").get<std::string>();
      const std::optional<FlowKind> k = flow_kind_from_string(kind);
      if (!k) throw bad(fmt::format("flows[{}].kind", i), fmt::format("unknown flow kind '{}'", kind));
      fl.kind = *k;
      fl.op = f.at("op").get<int>();
      if (fl.op < 0 || fl.op >= static_cast<int>(p.ops.size()))
        throw bad(fmt::format("flows[{}].op", i), fmt::format("op {} does not exist", fl.op));
      fl.src_core = f.at("src").get<int>();
      fl.dst_cores = f.at("dsts").get<std::vector<int>>();
      if (fl.src_core != kHostCore) check_core(fl.src_core, fmt::format("flows[{}].src", i));
      for (int d : fl.dst_cores)
        if (d != kHostCore) check_core(d, fmt::format("flows[{}].dsts", i));
      fl.channels = f.at("channels").get<int64_t>();
      if (fl.channels < 0 || fl.channels > kMaxDim)
        throw bad(fmt::format("flows[{}].channels", i), fmt::format("{} outside [0, {}]", fl.channels, kMaxDim));
      for (const json& l : f.at("links")) {
        const int a = l.at(0).get<int>(), b = l.at(1).get<int>();
        if (a < 0 || b < 0 || a >= cores || b >= cores || grid.link_id(a, b) < 0)
          throw bad("flows.links", "a link joins two cores that are not mesh neighbours");
        fl.links.emplace_back(a, b);
      }
      p.flows.push_back(std::move(fl));
      if (p.walk_order(static_cast<int>(i)).size() != p.flows.back().links.size())
        throw bad(fmt::format("flows[{}].links", i), "not a tree rooted at the flow's source");
    }
    for (const json& r : m.at("routing")) {
      RoutingTable t;
      t.core = r.at("core").get<int>();
      t.entries = r.at("entries").get<std::vector<std::pair<int, int>>>();
      p.routing.push_back(std::move(t));
    }
    if (checks.routes) check_routes(p, bad);
    // Schedule.
    for (const json& j : m.at("schedule")) {
      Phase ph;
      const std::string kind = j.at("kind").get<std::string>();
      const std::optional<PhaseKind> k = phase_kind_from_string(kind);
      if (!k) throw bad("schedule.kind", fmt::format("unknown phase '{}'", kind));
      ph.kind = *k;
      ph.op = j.at("op").get<int>();
      if (ph.op < 0 || ph.op >= static_cast<int>(p.ops.size())) throw bad("schedule.op", fmt::format("op {} does not exist", ph.op));
      ph.cores = j.at("cores").get<std::vector<int>>();
      p.schedule.push_back(std::move(ph));
    }
    // Each op's phases, in schedule order, are those its kind runs (compiler/src/pass_schedule.cpp):
    // the interpreters read what an op's earlier phases left (reduce before events, ...).
    {
      std::vector<std::vector<PhaseKind>> seq(p.ops.size());
      for (const Phase& ph : p.schedule) seq[static_cast<std::size_t>(ph.op)].push_back(ph.kind);
      const auto names = [](const std::vector<PhaseKind>& v) {
        std::string t;
        for (PhaseKind k : v) t += std::string(t.empty() ? "" : ", ") + to_string(k);
        return "[" + t + "]";
      };
      using PK = PhaseKind;
      for (std::size_t i = 0; i < p.ops.size(); ++i) {
        std::vector<PK> want;
        switch (p.ops[i].kind) {
          case OpKind::kEmbed: want = {PK::kInject}; break;
          case OpKind::kNormScale:
          case OpKind::kProduct: want = {PK::kReduce, PK::kNormalize}; break;
          case OpKind::kBitLinear: want = {PK::kReduce, PK::kEvents, PK::kRequantize}; break;
          default: want = {PK::kElementwise}; break;
        }
        std::vector<PK> alt = want;  // a BitLinear whose output the host reads back
        if (p.ops[i].kind == OpKind::kBitLinear) alt.push_back(PK::kReadback);
        if (seq[i] != want && seq[i] != alt)
          throw bad("schedule", fmt::format("op {} ({}, {}) has the phases {}, expected {}{}", i, p.ops[i].name,
                                            to_string(p.ops[i].kind), names(seq[i]), names(want),
                                            alt != want ? " (and readback for the logits)" : ""));
      }
    }
    for (const json& c : m.at("cores")) {
      CoreUse u;
      u.core = c.at("core").get<int>();
      u.tiles = c.at("tiles").get<std::vector<int>>();
      u.synapse_bytes = c.at("synapse_bytes").get<int64_t>();
      u.neuron_bytes = c.at("neuron_bytes").get<int64_t>();
      p.cores.push_back(std::move(u));
    }
    if (!has_embed) throw bad("ops", "no embed op");
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: image program: malformed manifest: {}", path, e.what()));
  }
  return p;
}

json Program::to_manifest() const {
  json m;
  m["format"] = "neurark-image";
  m["model"] = {{"name", model.name},
                {"config", {{"vocab_size", model.vocab_size}, {"hidden_size", model.hidden_size},
                            {"num_hidden_layers", model.num_hidden_layers}, {"intermediate_size", model.intermediate_size},
                            {"use_lower_bound", model.use_lower_bound}}}};
  m["chip"] = {{"name", chip_name}, {"text", chip_text}, {"energy_table_text", energy_table_text}};
  if (!cost_table_text.empty()) m["chip"]["cost_table_text"] = cost_table_text;
  m["seed"] = seed;
  if (!producer.is_null()) m["producer"] = producer;
  m["passes"] = passes;
  m["logits"] = logits;
  json tj = json::array();
  for (const ProgramTile& t : tiles)
    tj.push_back({{"op", t.op}, {"rows", {t.row_begin, t.row_end}}, {"core", t.core}, {"in_dram", t.in_dram},
                  {"weight_bytes", t.weight_bytes}, {"neuron_bytes", t.neuron_bytes}, {"blob", t.blob}});
  m["tiles"] = tj;
  m["weight_encoding"] = to_string(weight_encoding);
  json tensors_j = json::array();
  for (const ProgramTensor& t : tensors) {
    json segs = json::array();
    for (const ProgramSegment& s : t.segments) segs.push_back({s.begin, s.end, s.tile, s.core});
    tensors_j.push_back({{"name", t.name}, {"length", t.length}, {"format", t.format}, {"segments", segs}});
  }
  m["tensors"] = tensors_j;
  json ops_j = json::array();
  for (const ProgramOp& op : ops) {
    json ins = json::array();
    for (const Operand& o : op.inputs) ins.push_back({o.tensor, o.offset, o.length});
    json j = {{"kind", to_string(op.kind)}, {"name", op.name}, {"layer", op.layer}, {"inputs", ins},
              {"output", op.output}, {"consts", op.consts}, {"tiles", op.tiles}};
    if (op.kind == OpKind::kBitLinear) {
      j["in"] = op.in;
      j["out"] = op.out;
      j["layer_c"] = {op.layer_c.mant, op.layer_c.exp};
    }
    if (op.kind == OpKind::kNormScale) {
      j["norm_exp"] = op.norm_exp;
      j["eps"] = {op.eps.mant, op.eps.exp};
    }
    if (op.kind == OpKind::kMlgru) j["bounded"] = op.bounded;
    ops_j.push_back(j);
  }
  m["ops"] = ops_j;
  m["lut"] = {{"sigmoid_q32", sigmoid_lut_blob}};
  m["numerics"] = kNumericsVersion;
  json flows_j = json::array();
  for (const Flow& f : flows) {
    json links = json::array();
    for (const auto& [a, b] : f.links) links.push_back({a, b});
    flows_j.push_back({{"kind", to_string(f.kind)}, {"op", f.op}, {"src", f.src_core}, {"dsts", f.dst_cores},
                       {"channels", f.channels}, {"links", links}});
  }
  m["flows"] = flows_j;
  json routing_j = json::array();
  for (const RoutingTable& r : routing) {
    json entries = json::array();
    for (const auto& [flow, mask] : r.entries) entries.push_back({flow, mask});
    routing_j.push_back({{"core", r.core}, {"entries", entries}});
  }
  m["routing"] = routing_j;
  json sched = json::array();
  for (const Phase& ph : schedule) sched.push_back({{"kind", to_string(ph.kind)}, {"op", ph.op}, {"cores", ph.cores}});
  m["schedule"] = sched;
  json cores_j = json::array();
  for (const CoreUse& c : cores)
    cores_j.push_back({{"core", c.core}, {"tiles", c.tiles}, {"synapse_bytes", c.synapse_bytes}, {"neuron_bytes", c.neuron_bytes}});
  m["cores"] = cores_j;
  m["estimates"] = {{"traffic_channel_hops_per_token", traffic_channel_hops_per_token}};
  return m;
}

int64_t Program::event_flits() const {
  return packet_flits(event_packet_bits(std::max<int64_t>(1, static_cast<int64_t>(flows.size()))), chip.noc.link_width_bits);
}

int Program::bitlinear_count() const {
  return static_cast<int>(std::count_if(ops.begin(), ops.end(), [](const ProgramOp& op) { return op.kind == OpKind::kBitLinear; }));
}

std::vector<std::array<int, 3>> Program::walk_order(int f) const {
  const Flow& flow = flows.at(static_cast<std::size_t>(f));
  return arch::walk_order(grid(), flow.src_core, flow.links);
}

}  // namespace neurark::arch
