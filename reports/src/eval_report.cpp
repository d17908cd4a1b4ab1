// SPDX-License-Identifier: Apache-2.0
// eval's JSON and text: see neurark/reports/report.hpp.
#include <algorithm>

#include <fmt/format.h>

#include "neurark/arch/version.hpp"
#include "neurark/reports/report.hpp"

namespace neurark::reports {

using nlohmann::json;

json eval_json(const runs::EvalRun& e) {
  json j = {{"model", e.label}, {"text", e.text_path}, {"backend", e.backend}, {"bpb", e.result.bits_per_byte},
            {"bytes", e.result.bytes}, {"tokens_per_s", e.result.tokens_per_s}, {"seconds", e.result.seconds},
            {"producer", arch::producer_json()}};
  if (e.events) j["events"] = {{"encoding", arch::to_string(e.events->encoding)}, {"threshold", e.events->threshold}};
  if (!e.activity) return j;
  const runs::EvalActivity& a = *e.activity;
  json act = {{"events_per_token", a.events}, {"sops_per_token", a.synaptic_ops}, {"activation_sparsity", a.activation_sparsity}};
  if (!a.chip) {
    if (a.weight_sparsity) act["weight_sparsity"] = *a.weight_sparsity;
  } else {
    act["tile_deliveries_per_token"] = a.tile_deliveries;
    act["sram_words_per_token"] = a.sram_words;
    act["neuron_ops_per_token"] = a.neuron_ops;
    act["values_moved_per_token"] = a.values_moved;
    act["flit_hops_per_token"] = a.flit_hops;
    act["tokens_cross_checked"] = a.tokens_cross_checked;
    if (a.dynamic_energy_pj) {
      act["dynamic_energy_per_token_pj"] = *a.dynamic_energy_pj;
      act["dynamic_energy_breakdown_pj_per_token"] = a.dynamic_energy_breakdown_pj;
      act["energy_table"] = a.energy_table;
    }
    if (a.cycles) {
      act["cycles_per_token"] = *a.cycles;
      act["tokens_per_s_chip"] = *a.tokens_per_s_chip;
    }
    if (a.leakage_energy_pj) {
      act["leakage_energy_per_token_pj"] = *a.leakage_energy_pj;
      act["energy_per_token_j"] = *a.energy_j;
    }
  }
  j["activity"] = act;
  return j;
}

std::string eval_text(const runs::EvalRun& e) {
  std::string o = fmt::format("{}     {}\ntext      {}\nbackend   {}\nbpb       {:.4f} bits/byte\n"
                              "bytes     {} predicted (every byte after the first; state carried "
                              "across the whole text)\n"
                              "speed     {:.0f} tokens/s ({:.1f} s)\n",
                              e.image ? "image" : "model", e.label, e.text_path, e.backend, e.result.bits_per_byte,
                              e.result.bytes, e.result.tokens_per_s, e.result.seconds);
  if (e.events && !(*e.events == arch::EventMode{}))
    o += fmt::format("events    {}, threshold {} (docs/numerics.md §5b)\n", arch::to_string(e.events->encoding),
                     e.events->threshold);
  if (!e.activity) return o;
  const runs::EvalActivity& a = *e.activity;
  if (!a.chip && a.weight_sparsity)
    o += fmt::format("activity  {:.0f} events/token, {:.0f} synaptic ops/token, activation "
                     "sparsity {:.1f} %, weight sparsity {:.1f} %\n",
                     a.events, a.synaptic_ops, 100 * a.activation_sparsity, 100 * *a.weight_sparsity);
  else if (a.chip)
    o += fmt::format("activity  {:.0f} events/token ({:.0f} tile deliveries), {:.0f} synaptic ops/token, "
                     "activation sparsity {:.1f} %\n"
                     "chip      {:.0f} SRAM words, {:.0f} neuron-unit ops, {:.0f} values moved, "
                     "{:.0f} NoC flit-hops (events, values, host) per token\n",
                     a.events, a.tile_deliveries, a.synaptic_ops, 100 * a.activation_sparsity, a.sram_words, a.neuron_ops,
                     a.values_moved, a.flit_hops);
  if (a.cycles)
    o += fmt::format("timing    {:.0f} cycles/token = {:.3g} tokens/s at {:.0f} MHz (SystemC model, tokens one "
                     "after the other){}\n",
                     *a.cycles, *a.tokens_per_s_chip, e.clock_hz / 1e6,
                     e.checked ? "; cross-checked against int on every token" : "; not cross-checked (add --model to check)");
  if (a.dynamic_energy_pj) {
    std::vector<std::pair<double, std::string>> parts;
    for (const auto& [action, pj] : a.dynamic_energy_breakdown_pj) parts.emplace_back(-pj, action);
    std::sort(parts.begin(), parts.end());
    const double total = *a.dynamic_energy_pj;
    std::string top;
    for (std::size_t i = 0; i < parts.size() && i < 4; ++i)
      top += fmt::format("{}{} {:.0f} %", i ? ", " : "", parts[i].second, -100.0 * parts[i].first / total);
    if (a.energy_j)
      o += fmt::format("energy    {:.1f} nJ/token ({:.1f} dynamic + {:.1f} leakage; {}): {}\n", *a.energy_j * 1e9, total / 1000.0,
                       *a.leakage_energy_pj / 1000.0, a.energy_table, top);
    else
      o += fmt::format("energy    {:.1f} nJ/token dynamic ({}; no leakage: {}): {}\n", total / 1000.0, a.energy_table,
                       a.cycles ? "the chip names no technology.cost_table" : "the func backend has no time", top);
  }
  return o;
}

}  // namespace neurark::reports
