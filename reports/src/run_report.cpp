// SPDX-License-Identifier: Apache-2.0
// A run's report.json, printed summary and Perfetto trace: see neurark/reports/report.hpp and
// docs/report-format.md.
#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "neurark/arch/version.hpp"
#include "neurark/reports/report.hpp"
#include "neurark/traces/perfetto.hpp"

namespace neurark::reports {

using nlohmann::json;

namespace {

// Time figures exist only for timed backends: null otherwise.
template <class T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}
json cycles_or_null(const std::optional<int64_t>& v) { return v ? json(static_cast<double>(*v)) : json(nullptr); }

json hardware_json(const std::optional<runs::HardwareCost>& hw) {
  if (!hw) return nullptr;
  json blocks = json::array();
  for (const runs::CostBlock& b : hw->blocks) {
    json j = {{"block", b.block}, {"what", b.what}, {"kind", b.memory ? "memory" : "logic"},
              {"area_um2", b.area_um2}, {"leakage_w", b.leakage_w}, {"power_gated_with_the_core", b.gateable}};
    if (b.memory) j["bits"] = b.bits;
    else j.update({{"gate_equivalents", b.gate_equivalents}, {"cells", b.cells}, {"flip_flops", b.flip_flops}});
    blocks.push_back(j);
  }
  return {{"technology", hw->technology},
          {"node_nm", hw->node_nm},
          {"voltage_v", hw->voltage_v},
          {"logic_parameters", hw->logic_parameters},
          {"blocks", blocks},
          {"neurocore_area_mm2", hw->neurocore_area_mm2},
          {"neurocore_leakage_w", hw->neurocore_leakage_w},
          {"gated_neurocore_leakage_w", hw->gated_neurocore_leakage_w},
          {"neurocores", hw->neurocores},
          {"gated_neurocores", hw->gated_neurocores},
          {"chip_area_mm2", hw->chip_area_mm2},
          {"chip_leakage_w", hw->chip_leakage_w},
          {"gated_leakage_fraction", hw->gated_leakage_fraction},
          {"wake_up_ns", hw->wake_up_ns}};
}

json rtl_cosim_json(const std::optional<runs::RtlCosimFigures>& rc) {
  if (!rc) return nullptr;
  json cores = json::array();
  for (const runs::RtlCoreFigures& c : rc->cores)
    cores.push_back({{"core", c.cycles.core}, {"x", c.x}, {"y", c.y}, {"implementation", c.cycles.implementation},
                     {"events", c.cycles.events}, {"rtl_cycles", c.cycles.cosim_cycles}, {"model_cycles", c.cycles.model_cycles},
                     {"difference_pct", c.difference_pct}, {"accumulator_checks", c.cycles.accumulator_checks}});
  return {{"what", "the neurocores' events phases (lane array) run on the Verilated RTL; cycles summed over events"},
          {"cores", cores}, {"events", rc->events}, {"rtl_cycles", rc->rtl_cycles}, {"model_cycles", rc->model_cycles},
          {"difference_pct", rc->difference_pct}};
}

// The chip description's parameters (arch/chip.hpp), grouped as in its YAML.
json chip_parameters_json(const arch::ChipDescription& c) {
  json points = json::array();
  for (const auto& [v, hz] : c.operating_points) points.push_back({{"voltage_v", v}, {"max_clock_hz", hz}});
  json noc = {{"link_width_bits", c.noc.link_width_bits}, {"router_latency_cycles", c.noc.router_latency_cycles},
              {"link_latency_cycles", c.noc.link_latency_cycles}, {"flow_control", arch::to_string(c.noc.flow_control)},
              {"buffer_depth_flits", c.noc.buffer_depth_flits}};
  // Only a flit-engine chip names its engine: an analytic run's report stays as it was before the engines.
  if (c.noc.engine == arch::NocEngine::kFlit) {
    noc["engine"] = arch::to_string(c.noc.engine);
    noc["watchdog_cycles"] = c.noc.watchdog_cycles;
  }
  json multichip = {{"chips_x", c.multichip.chips_x}, {"chips_y", c.multichip.chips_y},
                    {"link_width_bits", c.multichip.link_width_bits}, {"link_latency_cycles", c.multichip.link_latency_cycles}};
  // A chip link's buffer only where there are chip links: a one-chip run's report stays as it was.
  if (c.multichip.chips_x * c.multichip.chips_y > 1) multichip["buffer_depth_flits"] = c.multichip.buffer_depth_flits;
  if (c.multichip.ports_per_edge > 0) multichip["ports_per_edge"] = c.multichip.ports_per_edge;  // as the chip file gives it
  return {{"mesh", {{"width", c.mesh_width}, {"height", c.mesh_height}}},
          {"clock_hz", c.clock_hz},
          {"technology", {{"node_nm", c.technology_node_nm}, {"voltage_v", c.voltage_v}, {"energy_table", c.energy_table},
                          {"cost_table", c.cost_table}, {"operating_points", points}}},
          {"neurocore", {{"lanes", c.core.lanes}, {"synapse_sram_bytes", c.core.synapse_sram_bytes},
                         {"sram_port_bits", c.core.sram_port_bits}, {"accumulators", c.core.accumulators},
                         {"state_memory_bytes", c.core.state_memory_bytes}, {"input_fifo_depth", c.core.input_fifo_depth},
                         {"output_fifo_depth", c.core.output_fifo_depth},
                         {"weight_encoding", arch::to_string(c.core.weight_encoding)},
                         {"sparse_index_bits", c.core.sparse_index_bits}, {"activation_bits", c.core.activation_bits},
                         {"event_encoding", arch::to_string(c.core.events.encoding)},
                         {"event_threshold", c.core.events.threshold}}},
          {"noc", noc},
          {"host", {{"injection_bits_per_cycle", c.host.injection_bits_per_cycle},
                    {"readback_bits_per_cycle", c.host.readback_bits_per_cycle}, {"attach_x", c.host.attach_x},
                    {"attach_y", c.host.attach_y}}},
          {"dram", {{"present", c.dram.present}, {"bytes", c.dram.bytes},
                    {"bandwidth_bits_per_cycle", c.dram.bandwidth_bits_per_cycle}, {"latency_cycles", c.dram.latency_cycles}}},
          {"multichip", multichip},
          {"power", {{"gate_unused_cores", c.power.gate_unused_cores}}}};
}

std::string stage_name(int stage, int stages) {
  return stage == 0 ? std::string("embedding") : stage == stages - 1 ? std::string("head") : fmt::format("layer {}", stage - 1);
}

// Where a generated token's cycles go (runs::PhaseLatency), per phase and per stage; null untimed.
json phase_latency_json(const runs::RunResult& r) {
  if (!r.timed) return nullptr;
  json phases = json::array();
  std::map<int, std::map<std::string, double>> stage_units;  // stage -> unit -> cycles per token
  std::map<std::string, double> units;
  double total = 0.0;
  for (const runs::PhaseLatency& p : r.phase_latency) {
    phases.push_back({{"stage", p.stage}, {"stage_name", stage_name(p.stage, r.stages)}, {"op", p.op},
                      {"kind", arch::to_string(p.kind)}, {"cycles_per_token", p.cycles_per_token}, {"share", p.share},
                      {"bound", p.bound}, {"bound_share", p.bound_share}, {"bound_cycles_per_token", p.bound_cycles_per_token}});
    for (const auto& [u, c] : p.bound_cycles_per_token) {
      stage_units[p.stage][u] += c;
      units[u] += c;
    }
    total += p.cycles_per_token;
  }
  const auto top = [](const std::map<std::string, double>& m) {
    std::pair<std::string, double> best{"", -1.0};
    for (const auto& [u, c] : m)
      if (c > best.second) best = {u, c};
    return best;
  };
  json stages = json::array();
  for (const auto& [st, m] : stage_units) {
    double c = 0.0;
    for (const auto& [u, v] : m) c += v;
    const auto [unit, cycles] = top(m);
    stages.push_back({{"stage", st}, {"stage_name", stage_name(st, r.stages)}, {"cycles_per_token", c},
                      {"share", total > 0 ? c / total : 0.0}, {"bound", unit}, {"bound_share", c > 0 ? cycles / c : 0.0}});
  }
  json unit_share = json::object();
  for (const auto& [u, c] : units) unit_share[u] = total > 0 ? c / total : 0.0;
  return {{"what", "generated tokens: each phase's cycles per token and the unit that bound them"},
          {"cycles_per_token", total},
          {"phases", phases},
          {"stages", stages},
          {"bound_share", unit_share}};
}

json multichip_json(const runs::RunResult& r) {
  if (!r.multichip) return nullptr;
  json chips = json::array();
  for (const runs::ChipFigures& c : r.multichip->per_chip)
    chips.push_back({{"chip", c.chip}, {"cores_used", c.cores_used}, {"energy_j", c.energy_j}});
  return {{"chips", r.multichip->per_chip.size()}, {"per_chip", chips}, {"chip_link_flits", r.multichip->chip_link_flits},
          {"chip_link_flits_per_token", r.multichip->chip_link_flits_per_token},
          {"chip_link_energy_j", r.multichip->chip_link_energy_j}, {"chip_link_energy_share", r.multichip->chip_link_energy_share},
          {"chip_link_phase_cycles", or_null(r.multichip->chip_link_phase_cycles)},
          {"chip_link_time_share", or_null(r.multichip->chip_link_time_share)}};
}

json per_stream_json(const runs::RunResult& r) {
  json out = json::array();
  for (std::size_t s = 0; s < r.per_stream.size(); ++s) {
    const runs::StreamFigures& f = r.per_stream[s];
    out.push_back({{"stream", s}, {"prompt_tokens", f.prompt_tokens}, {"generated_text", f.generated_text},
                   {"tokens_per_s", or_null(f.tokens_per_s)}});
  }
  return out;
}

json dram_json(const runs::RunResult& r) {
  return {{"present", r.dram.present}, {"bandwidth_bits_per_cycle", r.dram.bandwidth_bits_per_cycle},
          {"words_per_token", r.dram.words_per_token}, {"bits_per_token", r.dram.bits_per_token},
          {"bandwidth_use", or_null(r.dram.bandwidth_use)}};
}

}  // namespace

json run_report_json(const runs::RunResult& r) {
  const arch::MeshGrid grid = arch::MeshGrid::of(r.chip);
  json breakdown = json::object();
  for (const auto& [k, j] : r.energy_breakdown_j) breakdown[k] = j;
  json per_core = json::array();
  for (const runs::CoreFigures& c : r.per_core)
    per_core.push_back({{"core", c.core}, {"x", c.x}, {"y", c.y}, {"busy_cycles", c.busy_cycles}, {"utilization", c.utilization},
                        {"synaptic_ops", c.activity.synaptic_ops}, {"events_in", c.activity.events_in},
                        {"events_out", c.activity.events_out}, {"sram_words", c.activity.sram_words},
                        {"dram_words", c.activity.dram_words}, {"neuron_ops", c.activity.neuron_ops},
                        {"energy_j", c.energy_j}, {"energy_per_token_j", c.energy_per_token_j}});
  json per_link = json::array();
  for (const runs::LinkFigures& l : r.per_link)
    per_link.push_back({{"from_core", l.from_core}, {"to_core", l.to_core}, {"direction", arch::to_string(l.direction)},
                        {"flits", l.flits}, {"flits_per_token", l.flits_per_token}, {"load", l.load}, {"energy_j", l.energy_j},
                        {"chip_link", l.chip_link}});
  return {{"format", "neurark-run-report"},
          {"version", 1},
          {"producer", arch::producer_json()},
          {"run_id", r.run_id},
          {"backend", r.backend},
          {"model", r.model_dir},
          {"prompt_tokens", r.prompt_tokens},
          {"generated_text", r.generated_text},
          {"chip", {{"name", r.chip.name}, {"file", r.chip_path}, {"mesh", {grid.width, grid.height}},
                    {"clock_hz", r.chip.clock_hz}, {"technology_node_nm", r.chip.technology_node_nm},
                    {"energy_table", r.energy_table}, {"parameters", chip_parameters_json(r.chip)}}},
          {"tokens", r.tokens},
          {"timed", r.timed},
          {"cycles_per_token", or_null(r.cycles_per_token)},
          {"tokens_per_s", or_null(r.generation.tokens_per_s)},
          {"energy_per_token_j", r.generation.energy_per_token_j},
          {"prefill_tokens_per_s", or_null(r.prefill.tokens_per_s)},
          {"prefill_energy_per_token_j", r.prefill.energy_per_token_j},
          {"time_to_first_token_s", or_null(r.time_to_first_token_s)},
          {"latency_per_token_s", or_null(r.latency_per_token_s)},
          {"power_w", or_null(r.power_w)},
          {"sops_per_token", r.sops_per_token},
          {"events_per_token", r.events_per_token},
          {"activation_sparsity", r.activation_sparsity},
          {"weight_sparsity", r.weight_sparsity},
          {"cores_used", r.cores_used},
          {"energy_breakdown_j", breakdown},
          {"prefill", {{"tokens", r.prefill.tokens}, {"cycles", cycles_or_null(r.prefill.cycles)},
                       {"tokens_per_s", or_null(r.prefill.tokens_per_s)},
                       {"energy_per_token_j", r.prefill.energy_per_token_j}, {"pipelined", r.timed}}},
          {"generation", {{"tokens", r.generation.tokens}, {"cycles", cycles_or_null(r.generation.cycles)},
                          {"tokens_per_s", or_null(r.generation.tokens_per_s)},
                          {"energy_per_token_j", r.generation.energy_per_token_j}}},
          {"per_core", per_core},
          {"per_link", per_link},
          {"network", {{"event_flits", r.network.event_flits},
                       {"link_queue_cycles", or_null(r.network.link_queue_cycles)},
                       {"fifo_stall_cycles", or_null(r.network.fifo_stall_cycles)},
                       {"cross_stage_link_wait_cycles", or_null(r.network.cross_stage_link_wait_cycles)},
                       // the router each flit enters the mesh through (per_link prices the routers it crosses)
                       {"injection_energy_j", r.network.injection_energy_j},
                       {"energy_j", r.network.energy_j}}},
          {"energy_j", r.energy_j},
          {"token_latency_s", r.token_latency_s},
          {"phase_latency", phase_latency_json(r)},
          {"dram", dram_json(r)},
          {"hardware_cost", hardware_json(r.hardware)},
          {"rtl_cosim", rtl_cosim_json(r.rtl_cosim)},
          {"multichip", multichip_json(r)},
          {"streams", r.streams},
          {"per_stream", per_stream_json(r)},
          {"cross_check", {{"reference", r.reference}, {"check_every", r.check_every}, {"tokens_compared", r.tokens_compared},
                           {"mismatches", 0}}}};  // a mismatch stops the run before any report is written
}

std::string cross_check_words(const json& cc) {
  const int64_t every = cc.value("check_every", int64_t{1});
  if (every == 0) return "not checked (--check-every 0)";
  const int64_t n = cc.at("tokens_compared").get<int64_t>(), bad = cc.at("mismatches").get<int64_t>();
  if (every == 1) return fmt::format("{} tokens compared, {} mismatches", n, bad);
  return fmt::format("{} tokens compared (one in {}, each from the chip's own state), {} mismatches", n, every, bad);
}

void write_run_report(const std::string& dir, const runs::RunResult& result,
                      const std::vector<std::pair<std::string, std::string>>& extra_files) {
  write_run_report(dir, run_report_json(result), extra_files);
}

std::string run_summary_text(const runs::RunResult& r, const std::string& report_dir) {
  const arch::MeshGrid grid = arch::MeshGrid::of(r.chip);
  // The events line names a mode other than the dense path (docs/numerics.md §5b).
  const arch::EventMode ev = r.chip.core.events;
  const std::string events =
      ev == arch::EventMode{} ? std::string("events")
                              : fmt::format("events ({}, threshold {})", arch::to_string(ev.encoding), ev.threshold);
  const std::string checked =
      r.check_every == 0   ? "nothing: not checked against the integer reference (--check-every 0)"
      : r.check_every == 1 ? fmt::format("{} tokens against the integer reference, 0 mismatches", r.tokens_compared)
                           : fmt::format("{} of {} tokens against the integer reference (one in {}, each from the chip's own "
                                         "state), 0 mismatches", r.tokens_compared, r.tokens, r.check_every);
  if (!r.timed)
    return fmt::format(
        "chip        {} ({} x {} neurocores, {} nm); func backend: untimed, dynamic energy only\n"
        "prefill     {} tokens: {:.3f} µJ/token dynamic\n"
        "generation  {} tokens: {:.3f} µJ/token dynamic\n"
        "per token   {:.0f} synaptic ops, {:.0f} {}; activation sparsity {:.1f} %, weight sparsity {:.1f} %\n"
        "checked     {}\n"
        "report      {}/report.html (and report.json, report.md)\n",
        r.chip.name, grid.width, grid.height, r.chip.technology_node_nm, r.prefill.tokens,
        r.prefill.energy_per_token_j * 1e6, r.generation.tokens, r.generation.energy_per_token_j * 1e6, r.sops_per_token,
        r.events_per_token, events, 100 * r.activation_sparsity, 100 * r.weight_sparsity, checked, report_dir);
  return fmt::format(
      "chip        {} ({} x {} neurocores, {:.0f} MHz, {} nm)\n"
      "prefill     {} tokens: {:.1f} tokens/s, {:.3f} µJ/token, time to first token {:.3f} ms (layers pipelined)\n"
      "generation  {} tokens: {:.1f} tokens/s, {:.2f} µs/token, {:.3f} µJ/token\n"
      "{}{}"
      "power       {:.2f} mW average\n"
      "per token   {:.0f} synaptic ops, {:.0f} {}; activation sparsity {:.1f} %, weight sparsity {:.1f} %\n"
      "checked     {}\n"
      "{}"
      "report      {}/report.html (and report.json, report.md)\n",
      r.chip.name, grid.width, grid.height, r.chip.clock_hz / 1e6, r.chip.technology_node_nm, r.prefill.tokens,
      r.prefill.tokens_per_s.value_or(0.0), r.prefill.energy_per_token_j * 1e6, r.time_to_first_token_s.value_or(0.0) * 1e3,
      r.generation.tokens, r.generation.tokens_per_s.value_or(0.0),
      r.latency_per_token_s.value_or(0.0) * 1e6 / static_cast<double>(r.streams),
      r.generation.energy_per_token_j * 1e6,
      r.streams == 1 ? std::string()
                     : fmt::format("streams     {} interleaved: {:.1f} tokens/s each, {:.2f} µs between a stream's tokens\n",
                                   r.streams, r.generation.tokens_per_s.value_or(0.0) / static_cast<double>(r.streams),
                                   r.latency_per_token_s.value_or(0.0) * 1e6),
      !r.multichip ? std::string()
                   : fmt::format("chips       {}: {:.0f} flits per token over chip links, {:.1f} % of the energy{}\n",
                                 r.multichip->per_chip.size(), r.multichip->chip_link_flits_per_token,
                                 100 * r.multichip->chip_link_energy_share,
                                 r.multichip->chip_link_time_share
                                     ? fmt::format(", {:.1f} % of the phases' cycles", 100 * *r.multichip->chip_link_time_share)
                                     : std::string()),
      r.power_w.value_or(0.0) * 1e3, r.sops_per_token, r.events_per_token, events,
      100 * r.activation_sparsity, 100 * r.weight_sparsity, checked,
      !r.rtl_cosim ? std::string()
                   : fmt::format("rtl         {} neurocores on the Verilated RTL, accumulators checked: {} RTL cycles, model "
                                 "{} ({:+.2f} %)\n", r.rtl_cosim->cores.size(), r.rtl_cosim->rtl_cycles,
                                 r.rtl_cosim->model_cycles, r.rtl_cosim->difference_pct),
      report_dir);
}

int64_t write_run_perfetto_trace(const std::string& path, const runs::RunResult& r) {
  // One track per pipeline stage: the embedding, each layer, the output head.
  int last_stage = 0;
  for (const sim::PhaseSpan& sp : r.spans) last_stage = std::max(last_stage, sp.stage);
  std::map<int, std::string> tracks;
  for (int st = 0; st <= last_stage; ++st)
    tracks[st] = st == 0 ? std::string("embedding") : st == last_stage ? std::string("head (norm, lm_head, readback)")
                                                                          : fmt::format("layer {}", st - 1);
  std::vector<traces::TraceSpan> spans;
  spans.reserve(r.spans.size());
  for (const sim::PhaseSpan& sp : r.spans)
    spans.push_back({sp.stage, std::string(arch::to_string(sp.kind)) + " " + sp.op, arch::to_string(sp.kind), sp.start_cycle,
                     sp.end_cycle, {{"token", sp.token}, {"cycles", sp.end_cycle - sp.start_cycle}},
                     {{"bound", sim::timing::to_string(sp.bound)}}});
  // Counter tracks. Per neurocore its busy share of each phase it takes part in (a neurocore runs
  // one phase at a time), 0 between; per directed link the flits it has carried so far, stepping
  // at the end of each phase that used it (phases of different stages may share a link at once).
  const arch::MeshGrid grid = arch::MeshGrid::of(r.chip);
  struct Sample {
    int64_t cycle;
    int order;  // at one cycle: a phase's end before the next one's start
    std::string name, series;
    double value;
  };
  std::vector<Sample> samples;
  std::map<int, int64_t> carried;  // link id -> flits so far
  std::vector<const sim::PhaseSpan*> by_end;
  for (const sim::PhaseSpan& sp : r.spans) by_end.push_back(&sp);
  std::stable_sort(by_end.begin(), by_end.end(),
                   [](const sim::PhaseSpan* a, const sim::PhaseSpan* b) { return a->end_cycle < b->end_cycle; });
  for (const sim::PhaseSpan* sp : by_end) {
    const int64_t cycles = std::max<int64_t>(1, sp->end_cycle - sp->start_cycle);
    for (const auto& [c, busy] : sp->core_busy_cycles) {
      const std::string name = fmt::format("core {} ({},{}) busy %", c, grid.x(c), grid.y(c));
      samples.push_back({sp->start_cycle, 1, name, "busy_pct", 100.0 * static_cast<double>(busy) / static_cast<double>(cycles)});
      samples.push_back({sp->end_cycle, 0, name, "busy_pct", 0.0});
    }
    for (const auto& [l, flits] : sp->link_flits) {
      const arch::MeshGrid::LinkEnds e = grid.link_ends(l);
      samples.push_back({sp->end_cycle, 0, fmt::format("link {}->{} ({}) flits", e.from, e.to, arch::to_string(e.direction)),
                         "flits", static_cast<double>(carried[l] += flits)});
    }
  }
  std::stable_sort(samples.begin(), samples.end(),
                   [](const Sample& a, const Sample& b) { return std::tie(a.cycle, a.order) < std::tie(b.cycle, b.order); });
  std::vector<traces::TraceCounter> counters;
  counters.reserve(samples.size());
  for (Sample& s : samples) counters.push_back({std::move(s.name), s.cycle, {{std::move(s.series), s.value}}});
  return traces::write_perfetto_trace(path, tracks, spans, r.chip.clock_hz, counters);
}

}  // namespace neurark::reports
