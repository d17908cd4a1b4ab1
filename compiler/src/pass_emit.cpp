// SPDX-License-Identifier: Apache-2.0
// Pass `emit` — reads the scheduled graph; writes the chip image (docs/image-format.md): a JSON
// manifest (model and chip it was built from, tensors with their segments' cores, ops with
// their constants, tiles, flows with their XY trees, the schedule, per-core memory use) and
// binary blobs: each tile's synapse-SRAM weight memory in the chip's encoding
// (arch/weight_memory.hpp), each op's neuron constants, the host's Q15.16 embedding table and
// the sigmoid LUT. Written through arch::ImageWriter (temporary file, checksum, rename).
// Guarantees: the image holds everything a backend needs to run the model (no checkpoint);
// the same graph gives the same bytes (no time stamps, no absolute paths, sorted JSON keys).
#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/arch/version.hpp"
#include "neurark/arch/weight_memory.hpp"
#include "neurark/compiler/passes.hpp"

namespace neurark::compiler {

namespace {

void add_constant_blob(arch::ImageWriter& w, const std::string& name, const Constant& c) {
  if (c.dtype == "i8") w.add_blob(name, c.i8.data(), c.i8.size());
  else w.add_blob(name, c.i32.data(), c.i32.size() * 4);
}

}  // namespace

void check_image_path(const std::string& out, const std::string& model_dir, const std::string& chip_path) {
  namespace fs = std::filesystem;
  if (out.empty()) throw Error("-o: empty path, expected the image file to write");
  std::error_code ec;
  if (fs::is_directory(out, ec)) throw Error(fmt::format("-o {}: is a directory, expected a file path", out));
  if (!fs::exists(out, ec)) return;
  if (!fs::is_regular_file(out, ec)) throw Error(fmt::format("-o {}: exists and is not a regular file", out));
  std::vector<fs::path> inputs = {chip_path};
  for (const auto& e : fs::directory_iterator(model_dir, ec)) inputs.push_back(e.path());
  for (const fs::path& in : inputs)
    if (fs::equivalent(out, in, ec))
      throw Error(fmt::format("-o {}: is an input ({}); the image must go to another file", out, in.string()));
}

uint64_t emit(const Graph& g, const std::string& path) {
  if (g.schedule.empty()) throw std::logic_error("emit: run schedule first");
  arch::ImageWriter w(path);
  arch::Program p;
  const models::HGRNBitConfig& c = g.config;
  p.model = {g.model_name, c.vocab_size, c.hidden_size, c.num_hidden_layers, c.intermediate_size, c.use_lower_bound};
  p.chip_name = g.chip.name;
  p.chip_text = g.chip_text;
  p.energy_table_text = g.energy_table_text;
  p.cost_table_text = g.cost_table_text;
  p.chip = g.chip;
  p.seed = g.seed;
  p.producer = arch::image_producer_json();
  p.passes = g.passes_run;
  p.passes.push_back("emit");
  p.logits = g.logits;
  p.weight_encoding = g.chip.core.weight_encoding;

  // Tiles: weight memories.
  std::vector<uint8_t> mem;
  std::vector<int8_t> rows;
  for (std::size_t t = 0; t < g.tiles.size(); ++t) {
    const Tile& tl = g.tiles[t];
    const Op& op = g.ops[static_cast<std::size_t>(tl.op)];
    ternary_rows(g, op, tl.row_begin, tl.row_end, rows);  // recomputed from the checkpoint
    const int64_t n = tl.row_end - tl.row_begin;
    if (p.weight_encoding == arch::WeightEncoding::kPacked2) arch::write_packed2_tile(rows.data(), op.in, 0, n, mem);
    else arch::write_sparse_tile(rows.data(), op.in, 0, n, g.chip.core.sparse_index_bits, mem);
    if (static_cast<int64_t>(mem.size()) != tl.weight_bytes)
      throw std::logic_error(fmt::format("emit: tile {} memory is {} bytes, partition counted {}", t, mem.size(), tl.weight_bytes));
    const std::string name = fmt::format("tile.{}.weights", t);
    w.add_blob(name, mem.data(), mem.size());
    p.tiles.push_back({tl.op, tl.row_begin, tl.row_end, tl.core, tl.in_dram, tl.weight_bytes, tl.neuron_bytes, name});
  }

  for (const Tensor& t : g.tensors) {
    arch::ProgramTensor pt{t.name, t.length, to_string(t.format), {}};
    for (const Segment& s : t.segments)
      pt.segments.push_back({s.begin, s.end, s.tile, g.tiles[static_cast<std::size_t>(s.tile)].core});
    p.tensors.push_back(std::move(pt));
  }

  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    arch::ProgramOp po;
    po.kind = op.kind.program();
    po.name = op.name;
    po.layer = op.layer;
    po.inputs = op.inputs;
    po.output = op.output;
    po.tiles = op.tiles;
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
        po.consts[role] = "host.embeddings_q16";
      } else {
        add_constant_blob(w, name, g.constants[static_cast<std::size_t>(id)]);
        po.consts[role] = name;
      }
    }
    if (po.kind == arch::OpKind::kBitLinear) {
      po.in = op.in;
      po.out = op.out;
      po.layer_c = op.layer_c;
    }
    if (po.kind == arch::OpKind::kNormScale) {
      po.norm_exp = op.norm_exp;
      po.eps = op.eps;
    }
    po.bounded = op.bounded;
    p.ops.push_back(std::move(po));
  }

  const auto& lut = arch::sigmoid_lut();
  w.add_blob(p.sigmoid_lut_blob, lut.data(), lut.size() * sizeof(lut[0]));
  p.flows = g.flows;
  // Routing tables: what each router does with each flow's flits (arch::PortBit masks: a mesh
  // direction per tree link leaving the router; local at every destination, or at the host's
  // attach point for flows to the host).
  const arch::MeshGrid grid = arch::MeshGrid::of(g.chip);
  std::map<int, arch::RoutingTable> tables;
  for (std::size_t i = 0; i < g.flows.size(); ++i) {
    const Flow& f = g.flows[i];
    std::map<int, int> mask;
    mask[grid.resolve(f.src_core)] |= 0;
    for (const auto& [a, b] : f.links) {
      mask[a] |= arch::port_toward(grid, a, b);
      mask[b] |= 0;
    }
    for (int d : f.dst_cores) mask[grid.resolve(d)] |= arch::kPortLocal;
    for (const auto& [core, bits] : mask) {
      tables[core].core = core;
      tables[core].entries.emplace_back(static_cast<int>(i), bits);
    }
  }
  for (auto& [core, table] : tables) p.routing.push_back(std::move(table));
  p.schedule = g.schedule;
  const int64_t n = g.chip.total_cores();
  std::map<int, std::vector<int>> tiles_of_core;  // only cores that hold tiles
  for (std::size_t t = 0; t < g.tiles.size(); ++t) tiles_of_core[g.tiles[t].core].push_back(static_cast<int>(t));
  for (const auto& [core, ts] : tiles_of_core) {
    if (core < 0 || core >= n) throw std::logic_error("emit: a tile without a neurocore");
    arch::CoreUse u{core, ts, 0, 0};
    for (int t : ts) {
      if (!g.tiles[static_cast<std::size_t>(t)].in_dram) u.synapse_bytes += g.tiles[static_cast<std::size_t>(t)].weight_bytes;
      u.neuron_bytes += g.tiles[static_cast<std::size_t>(t)].neuron_bytes;
    }
    p.cores.push_back(std::move(u));
  }
  p.traffic_channel_hops_per_token = traffic_cost(g);
  return w.finish(p.to_manifest());
}

}  // namespace neurark::compiler
