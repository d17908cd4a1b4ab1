// SPDX-License-Identifier: Apache-2.0
// Image summaries: see neurark/compiler/inspect.hpp.
#include "neurark/compiler/inspect.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "neurark/arch/program.hpp"

namespace neurark::compiler {

using nlohmann::json;

json inspect_summary(const arch::Image& image) {
  const arch::Program p = arch::Program::from_image(image);
  const arch::ChipDescription& chip = p.chip;
  const arch::MeshGrid grid = p.grid();
  struct Use {
    int64_t sram = 0, neuron = 0, tiles = 0;
  };
  std::map<int64_t, Use> use;  // cores holding tiles
  int64_t weight_bytes = 0, dram_bytes = 0;
  for (const arch::ProgramTile& t : p.tiles) {
    weight_bytes += t.weight_bytes;
    Use& u = use[t.core];
    if (t.in_dram) dram_bytes += t.weight_bytes;
    else u.sram += t.weight_bytes;
    u.neuron += t.neuron_bytes;
    ++u.tiles;
  }
  const auto used = static_cast<int64_t>(use.size());
  json per_core = json::array();
  for (const auto& [c, u] : use)
    per_core.push_back({{"core", c}, {"x", grid.x(c)}, {"y", grid.y(c)}, {"synapse_bytes", u.sram}, {"neuron_bytes", u.neuron}, {"tiles", u.tiles}});
  json bitlinears = json::array();
  for (const arch::ProgramOp& op : p.ops) {
    if (op.kind != arch::OpKind::kBitLinear) continue;
    std::vector<int> cs;
    for (int t : op.tiles) cs.push_back(p.tiles[static_cast<std::size_t>(t)].core);
    bitlinears.push_back({{"name", op.name}, {"in", op.in}, {"out", op.out}, {"tiles", cs.size()}, {"cores", cs}});
  }
  std::map<std::string, json> by_kind;
  int64_t events_bound = 0, deliveries_bound = 0, event_flit_hops_bound = 0, value_channels = 0, value_channel_hops = 0;
  const int64_t event_flits = p.event_flits();
  for (const arch::Flow& f : p.flows) {
    json& k = by_kind[arch::to_string(f.kind)];
    if (k.is_null()) k = {{"flows", 0}, {"links", 0}, {"channels", 0}};
    const auto links = static_cast<int64_t>(f.links.size());
    k["flows"] = k["flows"].get<int64_t>() + 1;
    k["links"] = k["links"].get<int64_t>() + links;
    k["channels"] = k["channels"].get<int64_t>() + f.channels;
    if (f.kind == arch::FlowKind::kEvents) {
      events_bound += f.channels;
      deliveries_bound += f.channels * static_cast<int64_t>(f.dst_cores.size());
      event_flit_hops_bound += f.channels * links * event_flits;
    } else if (f.kind == arch::FlowKind::kValues) {
      value_channels += f.channels;
      value_channel_hops += f.channels * links;
    }
  }
  std::size_t routing_max = 0;
  for (const arch::RoutingTable& r : p.routing) routing_max = std::max(routing_max, r.entries.size());
  const json model = {{"name", p.model.name},
                      {"config", {{"vocab_size", p.model.vocab_size}, {"hidden_size", p.model.hidden_size},
                                  {"num_hidden_layers", p.model.num_hidden_layers},
                                  {"intermediate_size", p.model.intermediate_size},
                                  {"use_lower_bound", p.model.use_lower_bound}}}};
  return {{"model", model},
          {"chip", {{"name", chip.name}, {"mesh", {grid.width, grid.height}}, {"neurocores", grid.cores()},
                    {"synapse_sram_bytes", chip.core.synapse_sram_bytes},
                    {"state_memory_bytes", chip.core.state_memory_bytes}, {"clock_hz", chip.clock_hz}}},
          {"seed", p.seed},
          {"producer", p.producer},
          {"passes", p.passes},
          {"weight_encoding", arch::to_string(p.weight_encoding)},
          {"weight_bytes", weight_bytes},
          {"dram_bytes", dram_bytes},
          {"tiles", p.tiles.size()},
          {"cores_used", used},
          {"cores", per_core},
          {"bitlinears", bitlinears},
          {"flows", by_kind},
          {"per_token_upper_bounds", {{"events", events_bound}, {"tile_deliveries", deliveries_bound},
                                      {"event_flit_hops", event_flit_hops_bound}, {"values_moved", value_channels},
                                      {"value_channel_hops", value_channel_hops}}},
          {"phases_per_token", p.schedule.size()},
          {"routing_entries_max", routing_max},
          {"traffic_channel_hops_per_token", p.traffic_channel_hops_per_token}};
}

std::string inspect_text(const arch::Image& image) {
  const json s = inspect_summary(image);
  std::string o;
  const json& chip = s["chip"];
  const json& cfg = s["model"]["config"];
  o += fmt::format("image     {} ({} bytes, XXH3 {:016x})\n", image.path(), image.file_bytes(), image.checksum());
  o += fmt::format("model     {}: hidden {}, intermediate {}, vocab {}, {} layers\n", s["model"]["name"].get<std::string>(),
                   cfg["hidden_size"].get<int64_t>(), cfg["intermediate_size"].get<int64_t>(),
                   cfg["vocab_size"].get<int64_t>(), cfg["num_hidden_layers"].get<int64_t>());
  const int64_t w = chip["mesh"][0].get<int64_t>(), h = chip["mesh"][1].get<int64_t>();
  o += fmt::format("chip      {}: {} x {} neurocores, {} B synapse SRAM and {} B state memory each, {:.0f} MHz\n",
                   chip["name"].get<std::string>(), w, h, chip["synapse_sram_bytes"].get<int64_t>(),
                   chip["state_memory_bytes"].get<int64_t>(), chip["clock_hz"].get<double>() / 1e6);
  std::string passes;
  for (const json& p : s["passes"]) passes += (passes.empty() ? "" : " -> ") + p.get<std::string>();
  o += fmt::format("built by  {} (placement seed {})\n", passes, s["seed"].get<uint64_t>());
  o += fmt::format("weights   {} bytes ({}) in {} tiles on {} of {} neurocores{}\n", s["weight_bytes"].get<int64_t>(),
                   s["weight_encoding"].get<std::string>(), s["tiles"].get<int64_t>(), s["cores_used"].get<int64_t>(),
                   chip["neurocores"].get<int64_t>(),
                   s["dram_bytes"].get<int64_t>() > 0 ? fmt::format(", {} bytes streamed from DRAM", s["dram_bytes"].get<int64_t>()) : "");
  const double cap = static_cast<double>(chip["synapse_sram_bytes"].get<int64_t>());
  std::map<int64_t, double> pct;
  for (const json& c : s["cores"]) pct[c["core"].get<int64_t>()] = 100.0 * static_cast<double>(c["synapse_bytes"].get<int64_t>()) / cap;
  if (w <= 32 && h <= 64) {
    o += "\nsynapse SRAM use per neurocore (% of capacity; row y, column x; '.' = no tiles)\n";
    for (int64_t y = 0; y < h; ++y) {
      o += fmt::format("  y={:<3}", y);
      for (int64_t x = 0; x < w; ++x) {
        auto it = pct.find(y * w + x);
        o += it == pct.end() ? std::string("     .") : fmt::format(" {:5.1f}", it->second);
      }
      o += "\n";
    }
  } else {
    // Too wide for a map: the used cores, fullest first (at most 16).
    std::vector<std::pair<double, int64_t>> order;
    for (const auto& [c, p] : pct) order.emplace_back(-p, c);
    std::sort(order.begin(), order.end());
    o += fmt::format("\nsynapse SRAM use, fullest neurocores first ({} x {} mesh, too wide for a map):\n", w, h);
    for (std::size_t i = 0; i < order.size() && i < 16; ++i)
      o += fmt::format("  core {} (x {}, y {}): {:.1f} %\n", order[i].second, order[i].second % w, order[i].second / w, -order[i].first);
    if (order.size() > 16) o += fmt::format("  ... and {} more\n", order.size() - 16);
  }
  o += fmt::format("\n{:<30} {:>6} {:>6} {:>6}  {}\n", "bitlinear", "in", "out", "tiles", "neurocores");
  for (const json& b : s["bitlinears"]) {
    std::string cs;
    for (const json& c : b["cores"]) cs += (cs.empty() ? "" : ",") + std::to_string(c.get<int>());
    o += fmt::format("{:<30} {:>6} {:>6} {:>6}  {}\n", b["name"].get<std::string>(), b["in"].get<int64_t>(),
                     b["out"].get<int64_t>(), b["tiles"].get<int64_t>(), cs);
  }
  o += "\nroutes (XY; multicast trees for events)\n";
  for (const auto& [kind, k] : s["flows"].items())
    o += fmt::format("  {:<9} {:>6} flows, {:>8} channels/token, {:>6} tree links\n", kind, k["flows"].get<int64_t>(),
                     k["channels"].get<int64_t>(), k["links"].get<int64_t>());
  o += fmt::format("  routing table entries: at most {} per router\n", s["routing_entries_max"].get<int64_t>());
  const json& ub = s["per_token_upper_bounds"];
  o += fmt::format("\nper token (upper bounds: every activation code non-zero)\n"
                   "  events sent        {}\n  tile deliveries    {}\n  event flit-hops    {}\n"
                   "  values moved       {} ({} channel-hops)\n  phases             {}\n",
                   ub["events"].get<int64_t>(), ub["tile_deliveries"].get<int64_t>(), ub["event_flit_hops"].get<int64_t>(),
                   ub["values_moved"].get<int64_t>(), ub["value_channel_hops"].get<int64_t>(),
                   s["phases_per_token"].get<int64_t>());
  return o;
}

}  // namespace neurark::compiler
