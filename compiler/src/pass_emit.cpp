// Pass `emit` — reads the scheduled graph; writes the chip image (docs/image-format.md): a JSON
// manifest (model and chip it was built from, tensors with their segments' cores, ops with
// their constants, tiles, flows with their XY trees, the schedule, per-core memory use) and
// binary blobs: each tile's synapse-SRAM weight memory in the chip's encoding
// (arch/weight_memory.hpp), each op's neuron constants, the host's Q15.16 embedding table and
// the sigmoid LUT. Written through arch::ImageWriter (temporary file, checksum, rename).
// Guarantees: the image holds everything a backend needs to run the model (no checkpoint);
// the same graph gives the same bytes (no time stamps, no absolute paths, sorted JSON keys).
#include <algorithm>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "neurark/arch/noc.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/arch/weight_memory.hpp"
#include "neurark/compiler/passes.hpp"

namespace neurark::compiler {

namespace {

using nlohmann::json;

void add_constant_blob(arch::ImageWriter& w, const std::string& name, const Constant& c) {
  if (c.dtype == "i8") w.add_blob(name, c.i8.data(), c.i8.size());
  else if (c.dtype == "i16") w.add_blob(name, c.i16.data(), c.i16.size() * 2);
  else w.add_blob(name, c.i32.data(), c.i32.size() * 4);
}

}  // namespace

uint64_t emit(const Graph& g, const std::string& path) {
  if (g.schedule.empty()) throw std::logic_error("emit: run schedule first");
  arch::ImageWriter w(path);
  json m;
  m["format"] = "neurark-image";
  const models::HGRNBitConfig& c = g.config;
  m["model"] = {{"name", g.model_name},
                {"config", {{"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size},
                            {"num_hidden_layers", c.num_hidden_layers}, {"intermediate_size", c.intermediate_size},
                            {"use_lower_bound", c.use_lower_bound}}}};
  m["chip"] = {{"name", g.chip.name}, {"text", g.chip_text}, {"energy_table_text", g.energy_table_text}};
  m["seed"] = g.seed;
  m["passes"] = g.passes_run;
  m["passes"].push_back("emit");
  m["logits"] = g.logits;

  // Tiles: weight memories.
  json tiles = json::array();
  std::vector<uint8_t> mem;
  std::vector<int8_t> rows;
  const arch::WeightEncoding enc = g.chip.core.weight_encoding;
  for (std::size_t t = 0; t < g.tiles.size(); ++t) {
    const Tile& tl = g.tiles[t];
    const Op& op = g.ops[static_cast<std::size_t>(tl.op)];
    ternary_rows(g, op, tl.row_begin, tl.row_end, rows);  // recomputed from the checkpoint
    const int64_t n = tl.row_end - tl.row_begin;
    if (enc == arch::WeightEncoding::kPacked2) arch::write_packed2_tile(rows.data(), op.in, 0, n, mem);
    else arch::write_sparse_tile(rows.data(), op.in, 0, n, g.chip.core.sparse_index_bits, mem);
    if (static_cast<int64_t>(mem.size()) != tl.weight_bytes)
      throw std::logic_error(fmt::format("emit: tile {} memory is {} bytes, partition counted {}", t, mem.size(), tl.weight_bytes));
    const std::string name = fmt::format("tile.{}.weights", t);
    w.add_blob(name, mem.data(), mem.size());
    tiles.push_back({{"op", tl.op}, {"rows", {tl.row_begin, tl.row_end}}, {"core", tl.core}, {"in_dram", tl.in_dram},
                     {"weight_bytes", tl.weight_bytes}, {"neuron_bytes", tl.neuron_bytes}, {"blob", name}});
  }
  m["tiles"] = tiles;
  m["weight_encoding"] = arch::to_string(enc);

  json tensors = json::array();
  for (const Tensor& t : g.tensors) {
    json segs = json::array();
    for (const Segment& s : t.segments)
      segs.push_back({s.begin, s.end, s.tile, g.tiles[static_cast<std::size_t>(s.tile)].core});
    tensors.push_back({{"name", t.name}, {"length", t.length}, {"format", to_string(t.format)}, {"segments", segs}});
  }
  m["tensors"] = tensors;

  json ops = json::array();
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    json ins = json::array();
    for (const Operand& o : op.inputs) ins.push_back({o.tensor, o.offset, o.length});
    json consts = json::object();
    for (const auto& [role, id] : op.consts) {
      if (role == "weight") continue;  // lives in the tiles
      const std::string name = fmt::format("op.{}.{}", i, role);
      if (role == "table") {
        // The host's embedding table, streamed from the checkpoint in blocks of rows.
        w.begin_blob("host.embeddings_q16");
        std::vector<int32_t> block;
        const int64_t step = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, g.config.hidden_size));
        for (int64_t r0 = 0; r0 < g.config.vocab_size; r0 += step) {
          embedding_rows(g, r0, std::min(g.config.vocab_size, r0 + step), block);
          w.append(block.data(), block.size() * sizeof(int32_t));
        }
        w.end_blob();
        consts[role] = "host.embeddings_q16";
      } else {
        add_constant_blob(w, name, g.constants[static_cast<std::size_t>(id)]);
        consts[role] = name;
      }
    }
    json j = {{"kind", to_string(op.kind)}, {"name", op.name}, {"layer", op.layer}, {"inputs", ins},
              {"output", op.output}, {"consts", consts}, {"tiles", op.tiles}};
    if (op.kind == OpKind::kBitLinearQ) {
      j["in"] = op.in;
      j["out"] = op.out;
      j["layer_c"] = {op.layer_c.mant, op.layer_c.exp};
    }
    if (op.kind == OpKind::kMlgru) j["bounded"] = op.bounded;
    ops.push_back(j);
  }
  m["ops"] = ops;

  const auto& lut = arch::sigmoid_lut();
  w.add_blob("lut.sigmoid_q24", lut.data(), lut.size() * sizeof(lut[0]));
  m["lut"] = {{"sigmoid_q24", "lut.sigmoid_q24"}};

  json flows = json::array();
  for (const Flow& f : g.flows) {
    json links = json::array();
    for (const auto& [a, b] : f.links) links.push_back({a, b});
    flows.push_back({{"kind", to_string(f.kind)}, {"op", f.op}, {"src", f.src_core}, {"dsts", f.dst_cores},
                     {"channels", f.channels}, {"links", links}});
  }
  m["flows"] = flows;
  // Routing tables: what each router does with each flow's flits. Port mask bits: 1 east (+x),
  // 2 west (-x), 4 south (+y), 8 north (-y), 16 local (deliver to this neurocore or, at the
  // host's attach point for flows to the host, to the host).
  std::map<int, json> tables;
  const int host_core = core_at(g.chip, g.chip.host.attach_x, g.chip.host.attach_y);
  for (std::size_t i = 0; i < g.flows.size(); ++i) {
    const Flow& f = g.flows[i];
    std::map<int, int> mask;
    mask[f.src_core == -2 ? host_core : f.src_core] |= 0;
    for (const auto& [a, b] : f.links) {
      const CoreXY pa = core_xy(g.chip, a), pb = core_xy(g.chip, b);
      mask[a] |= pb.x > pa.x ? arch::kPortEast : pb.x < pa.x ? arch::kPortWest : pb.y > pa.y ? arch::kPortSouth : arch::kPortNorth;
      mask[b] |= 0;
    }
    for (int d : f.dst_cores) mask[d == -2 ? host_core : d] |= arch::kPortLocal;
    for (const auto& [core, bits] : mask) {
      json& t = tables[core];
      if (t.is_null()) t = json::array();
      t.push_back({static_cast<int>(i), bits});
    }
  }
  json routing = json::array();
  for (auto& [core, entries] : tables) routing.push_back({{"core", core}, {"entries", entries}});
  m["routing"] = routing;
  json sched = json::array();
  for (const Phase& p : g.schedule) sched.push_back({{"kind", to_string(p.kind)}, {"op", p.op}, {"cores", p.cores}});
  m["schedule"] = sched;
  json cores = json::array();
  const int64_t n = g.chip.total_cores();
  std::map<int, std::vector<std::size_t>> tiles_of_core;  // only cores that hold tiles
  for (std::size_t t = 0; t < g.tiles.size(); ++t) tiles_of_core[g.tiles[t].core].push_back(t);
  for (const auto& [core, ts] : tiles_of_core) {
    if (core < 0 || core >= n) throw std::logic_error("emit: a tile without a neurocore");
    int64_t sram = 0, neuron = 0;
    for (std::size_t t : ts) {
      if (!g.tiles[t].in_dram) sram += g.tiles[t].weight_bytes;
      neuron += g.tiles[t].neuron_bytes;
    }
    cores.push_back({{"core", core}, {"tiles", ts}, {"synapse_bytes", sram}, {"neuron_bytes", neuron}});
  }
  m["cores"] = cores;
  m["estimates"] = {{"traffic_channel_hops_per_token", traffic_cost(g)}};
  return w.finish(std::move(m));
}

}  // namespace neurark::compiler
