// SPDX-License-Identifier: Apache-2.0
// Does a model fit a chip: see neurark/compiler/fit.hpp.
#include "neurark/compiler/fit.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace neurark::compiler {

FitPlan fit_plan(const Graph& g) {
  FitPlan p;
  p.cores = g.chip.total_cores();
  p.core_bytes.assign(static_cast<std::size_t>(p.cores), 0);
  std::vector<bool> used(static_cast<std::size_t>(p.cores), false);
  for (const Tile& t : g.tiles) {
    p.weight_bytes += t.weight_bytes;
    if (t.in_dram) p.dram_bytes += t.weight_bytes;
    else p.core_bytes[static_cast<std::size_t>(t.core)] += t.weight_bytes;
    used[static_cast<std::size_t>(t.core)] = true;
  }
  p.cores_with_tiles = std::count(used.begin(), used.end(), true);
  for (int64_t u : p.core_bytes) p.cores_used += u > 0;
  for (const Op& op : g.ops) {
    if (op.kind != arch::OpKind::kBitLinear) continue;
    FitPlan::BitLinear b;
    b.name = op.name;
    b.tiles = static_cast<int64_t>(op.tiles.size());
    for (int ti : op.tiles) {
      const Tile& t = g.tiles[static_cast<std::size_t>(ti)];
      b.bytes += t.weight_bytes;
      b.rows_per_tile = std::max(b.rows_per_tile, t.row_end - t.row_begin);
      b.cores += (b.cores.empty() ? "" : ",") + std::to_string(t.core) + (t.in_dram ? "(DRAM)" : "");
    }
    p.bitlinears.push_back(std::move(b));
  }
  return p;
}

nlohmann::json fit_json(const Graph& g, const FitPlan& p, const std::string& model_dir) {
  nlohmann::json tiles = nlohmann::json::array();
  for (const Tile& t : g.tiles)
    tiles.push_back({{"bitlinear", g.ops[static_cast<std::size_t>(t.op)].name}, {"rows", {t.row_begin, t.row_end}},
                     {"bytes", t.weight_bytes}, {"core", t.core}, {"in_dram", t.in_dram}});
  return {{"model", model_dir}, {"chip", g.chip.name}, {"fits", true}, {"weight_bytes", p.weight_bytes},
          {"dram_bytes", p.dram_bytes}, {"cores_used", p.cores_used}, {"cores", p.cores},
          {"core_bytes_used", p.core_bytes}, {"tiles", tiles}};
}

std::string fit_text(const Graph& g, const FitPlan& p, const std::string& model_dir, const std::string& chip_path) {
  std::string o = fmt::format("model {} fits chip '{}' ({}): {} bytes of {} ternary weights on {} of {} "
                              "neurocores ({} bytes of synapse SRAM each){}\n",
                              model_dir, g.chip.name, chip_path, p.weight_bytes, arch::to_string(g.chip.core.weight_encoding),
                              p.cores_used, p.cores, g.chip.core.synapse_sram_bytes,
                              p.dram_bytes > 0 ? fmt::format(", {} bytes streamed from DRAM", p.dram_bytes) : "");
  o += fmt::format("{:<28} {:>6} {:>12} {:>10}  {}\n", "bitlinear", "tiles", "rows/tile", "bytes", "cores");
  for (const FitPlan::BitLinear& b : p.bitlinears)
    o += fmt::format("{:<28} {:>6} {:>12} {:>10}  {}\n", b.name, b.tiles, b.rows_per_tile, b.bytes, b.cores);
  o += "synapse SRAM used per neurocore (bytes):";
  for (int64_t u : p.core_bytes) o += " " + std::to_string(u);
  return o + "\n";
}

}  // namespace neurark::compiler
