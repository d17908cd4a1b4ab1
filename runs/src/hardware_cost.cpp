// SPDX-License-Identifier: Apache-2.0
// Area and leakage of a design point: see neurark/runs/hardware_cost.hpp and
// docs/energy-model.md.
#include "neurark/runs/hardware_cost.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "neurark/arch/noc.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/numerics.hpp"
#ifdef NEURARK_HAVE_RTL
#include "neurark/rtl/build.hpp"
#include "neurark/rtl/synth.hpp"
#endif

extern const char* const kNeurarkAreaJson;  // rtl/area.json, compiled in (runs/CMakeLists.txt)

namespace neurark::runs {

namespace {

constexpr double kTransistorsPerGate = 4.0;  // a NAND2: the unit of gate equivalents
constexpr int64_t kEventBits = 32;           // an event FIFO entry: an event packet (arch/noc.hpp) in 32 bits

}  // namespace

std::optional<LogicTable> compiled_logic_table() {
  const nlohmann::json synth = nlohmann::json::parse(kNeurarkAreaJson, nullptr, false);
  if (synth.is_discarded() || !synth.is_array() || synth.empty()) return std::nullopt;
  LogicTable t;
  for (const nlohmann::json& b : synth) {
    LogicBlock l;
    l.block = b.at("block").get<std::string>();
    l.top = b.at("top").get<std::string>();
    l.what = b.at("what").get<std::string>();
    l.params = b.value("params", std::string());
    l.cells = b.at("cells").get<int64_t>();
    l.flip_flops = b.at("flip_flops").get<int64_t>();
    l.transistors_estimate = b.at("transistors_estimate").get<int64_t>();
    t.blocks.push_back(std::move(l));
  }
  t.parameters = "the default chip's (arch/chips/default-4x4.yaml; rtl/area.json, compiled in)";
  return t;
}

std::optional<LogicTable> logic_table(const arch::ChipDescription& chip, const LogicOptions& options) {
  std::optional<LogicTable> compiled = compiled_logic_table();
  if (!compiled) return std::nullopt;
#ifdef NEURARK_HAVE_RTL
  const auto warn = [&](const std::string& text) {
    if (options.warning)
      options.warning(text);
    else
      fmt::print(stderr, "warning: {}\n", text);
  };
  const auto fallback = [&](const std::string& why) {
    compiled->parameters = fmt::format("the default chip's (rtl/area.json, compiled in): {}", why);
    return compiled;
  };
  // Block by block: the ones whose parameters differ from the table's, and the ones the RTL
  // cannot take at this chip (those keep the default chip's figures).
  std::vector<std::string> differ, refused;
  std::string refused_why;
  for (const LogicBlock& b : compiled->blocks) {
    try {
      if (rtl::params_text(rtl::synth_params(b.block, chip)) != b.params) differ.push_back(b.block);
    } catch (const Error& e) {
      refused.push_back(b.block);
      if (refused_why.empty()) refused_why = e.what();
    }
  }
  if (differ.empty() && refused.empty()) {
    compiled->this_chip = true;
    compiled->parameters = "this chip's (the same as the default chip's: rtl/area.json, compiled in)";
    return compiled;
  }
  if (!options.synthesize)
    return fallback("synthesis at this chip's parameters turned off (run --no-synthesis, or a sweep's run.synthesize_logic: false)");
  const std::string refused_text =
      refused.empty() ? std::string()
                      : fmt::format("; {} at the default chip's parameters: the RTL cannot take this chip ({})",
                                    fmt::join(refused, ", "), refused_why);
  if (!refused.empty())
    warn(fmt::format("area: {} priced at the default chip's parameters: the RTL cannot take this chip ({})",
                     fmt::join(refused, ", "), refused_why));
  LogicTable t = *compiled;
  t.this_chip = refused.empty();
  if (differ.empty()) {
    t.parameters = fmt::format("partly this chip's (the blocks whose parameters are the default chip's from rtl/area.json{})",
                               refused_text);
    return t;
  }
  // Only the blocks whose parameters differ: the others are the compiled table's as they are.
  rtl::SynthOptions so;
  so.blocks = differ;
  so.progress = options.progress;
  rtl::SynthResult r;
  try {
    r = rtl::synthesize(chip, so);
  } catch (const Error& e) {
    warn(fmt::format("area: the logic priced at the default chip's parameters: Yosys could not synthesize {} ({})",
                     fmt::join(differ, ", "), e.what()));
    return fallback(fmt::format("Yosys could not synthesize this chip's blocks ({})", e.what()));
  }
  std::string yosys = r.yosys;
  if (const auto p = yosys.find(" (git"); p != std::string::npos) yosys = yosys.substr(0, p);
  t.parameters = fmt::format("{} ({} synthesized at its parameters by {}; the blocks whose parameters are the default "
                             "chip's from rtl/area.json{})",
                             refused.empty() ? "this chip's" : "partly this chip's", fmt::join(differ, ", "), yosys,
                             refused_text);
  for (LogicBlock& b : t.blocks)
    for (const rtl::BlockArea& a : r.blocks)
      if (a.block == b.block)
        b = {a.block, a.top, a.configuration, rtl::params_text(a.params), a.cells, a.flip_flops, a.transistors_estimate};
  return t;
#else
  (void)chip;
  (void)options;
  compiled->parameters += ": this build has no RTL (NEURARK_BUILD_RTL=OFF) to synthesize at this chip's parameters";
  return compiled;
#endif
}

HardwareCost hardware_cost(const arch::ChipDescription& chip, const arch::TechnologyTable& tech, double voltage_v,
                           const std::vector<int>& cores_with_tiles, const LogicTable& logic) {
  HardwareCost h;
  h.technology = tech.name;
  h.logic_parameters = logic.parameters;
  h.node_nm = chip.technology_node_nm;
  h.voltage_v = voltage_v > 0 ? voltage_v : tech.nominal_voltage_v.at(chip.technology_node_nm);
  const int64_t node = chip.technology_node_nm;
  // Logic: every synthesized block.
  for (const LogicBlock& b : logic.blocks) {
    if (b.block == "neurocore") continue;  // the sum of its parts, if a table lists it
    CostBlock c;
    c.block = b.block;
    c.what = b.what;
    c.gateable = b.block != "router";
    c.cells = b.cells;
    c.flip_flops = b.flip_flops;
    c.gate_equivalents = static_cast<double>(b.transistors_estimate) / kTransistorsPerGate;
    c.area_um2 = tech.logic_area_um2(c.gate_equivalents, node);
    c.leakage_w = tech.logic_leakage_w(c.gate_equivalents, node, h.voltage_v);
    h.blocks.push_back(std::move(c));
  }
  // Memories, as macros at this chip's sizes.
  const auto memory = [&](const std::string& name, const std::string& what, double bits) {
    if (bits <= 0) return;
    CostBlock c;
    c.block = name;
    c.what = what;
    c.memory = true;
    c.bits = bits;
    c.area_um2 = tech.sram_area_um2(bits, node);
    c.leakage_w = tech.sram_leakage_w(bits, node, h.voltage_v);
    h.blocks.push_back(std::move(c));
  };
  memory("synapse_sram", fmt::format("{} bytes of ternary weights", chip.core.synapse_sram_bytes),
         static_cast<double>(chip.core.synapse_sram_bytes) * 8.0);
  memory("state_memory", fmt::format("{} bytes of MLGRU state and neuron constants", chip.core.state_memory_bytes),
         static_cast<double>(chip.core.state_memory_bytes) * 8.0);
  memory("input_fifo", fmt::format("{} events of {} bits", chip.core.input_fifo_depth, kEventBits),
         static_cast<double>(chip.core.input_fifo_depth * kEventBits));
  memory("output_fifo", fmt::format("{} events of {} bits", chip.core.output_fifo_depth, kEventBits),
         static_cast<double>(chip.core.output_fifo_depth * kEventBits));
  memory("sigmoid_lut", fmt::format("{} entries of 32 bits", arch::kSigmoidLutEntries),
         static_cast<double>(arch::kSigmoidLutEntries * 32));
  double gateable_w = 0.0, always_w = 0.0, area = 0.0;
  for (const CostBlock& c : h.blocks) {
    area += c.area_um2;
    (c.gateable ? gateable_w : always_w) += c.leakage_w;
  }
  h.neurocore_area_mm2 = area * 1e-6;
  h.neurocore_leakage_w = gateable_w + always_w;
  h.gated_leakage_fraction = tech.gated_leakage_fraction.value;
  h.wake_up_ns = tech.wake_up_ns.value;
  h.gated_neurocore_leakage_w = gateable_w * h.gated_leakage_fraction + always_w;
  h.neurocores = chip.total_cores();
  const std::set<int> used(cores_with_tiles.begin(), cores_with_tiles.end());
  h.core_leakage_w.assign(static_cast<std::size_t>(h.neurocores), h.neurocore_leakage_w);
  if (chip.power.gate_unused_cores)
    for (int64_t c = 0; c < h.neurocores; ++c)
      if (used.count(static_cast<int>(c)) == 0) {
        h.core_leakage_w[static_cast<std::size_t>(c)] = h.gated_neurocore_leakage_w;
        ++h.gated_neurocores;
      }
  h.chip_area_mm2 = h.neurocore_area_mm2 * static_cast<double>(h.neurocores);
  for (double w : h.core_leakage_w) h.chip_leakage_w += w;
  return h;
}

}  // namespace neurark::runs
