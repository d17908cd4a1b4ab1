// SPDX-License-Identifier: Apache-2.0
// Energy tables and the energy model: see neurark/arch/energy.hpp and docs/energy-model.md.
#include "neurark/arch/energy.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "neurark/arch/error.hpp"
#include "neurark/arch/yaml_section.hpp"

namespace neurark::arch {

using detail::Section;

const std::vector<std::string>& energy_actions() {
  static const std::vector<std::string> names = {
      "synaptic_op", "accumulator_update", "sram_read_64b", "sram_write_64b", "neuron_op", "lut_read",
      "fifo_push",   "fifo_pop",           "router_flit",   "link_flit_hop",  "chip_link_bit", "dram_bit"};
  return names;
}

namespace {

bool is_sram(const std::string& action) { return action == "sram_read_64b" || action == "sram_write_64b"; }

}  // namespace

EnergyTable EnergyTable::from_yaml_text(const std::string& text, const std::string& path) {
  const YAML::Node root = detail::load_yaml(text, path, "energy table");
  Section top(path, root, "");
  EnergyTable t;
  t.path = path;
  detail::check_format(top, root, "neurark-energy", 1);
  t.name = top.text("name", "", true);
  t.description = top.text("description", "");
  Section tech = top.section("technology", true);
  t.node_nm = tech.integer("node_nm", 1, 1000, 45, true);
  t.voltage_v = tech.number("voltage_v", 0.1, 5.0, 0.9, true);
  tech.finish("node_nm, voltage_v");
  Section src = top.section("sources", true);
  for (const std::string& k : src.keys()) t.sources[k] = src.text(k, "", true);
  Section scaling = top.section("scaling", true);
  Section volts = scaling.section("voltage_v", true);
  for (const std::string& k : volts.keys()) {
    const std::string sub = k;
    int64_t node = 0;
    if (k.empty() || k.size() > 4 || k.find_first_not_of("0123456789") != std::string::npos || (node = std::stoll(k)) <= 0 ||
        node > 1000)
      volts.fail(volts.node()[k], volts.key_path(k), "'" + k + "'", "a node in nm (an integer in [1, 1000])");
    t.node_voltage_v[node] = volts.number(k, 0.1, 5.0, 0.0, true);
  }
  scaling.finish("voltage_v");
  Section acts = top.section("actions", true);
  for (const std::string& name : acts.keys()) {
    bool known = false;
    for (const std::string& a : energy_actions()) known = known || a == name;
    if (!known) {
      std::string all;
      for (const std::string& a : energy_actions()) all += (all.empty() ? "" : ", ") + a;
      throw Error(fmt::format("{}:{}: unknown action 'actions.{}' (the actions are: {}){}", path,
                              acts.node()[name].Mark().line + 1, name, all,
                              name == "leakage_core_cycle" ? "; leakage is priced from the design's area and bits by the "
                                                             "chip's technology.cost_table (docs/energy-model.md)" : ""));
    }
    Section e = acts.section(name, true);
    EnergyEntry en;
    if (is_sram(name)) {
      Section by = e.section("by_macro_bytes", true);
      for (const std::string& k : by.keys()) {
        if (k.empty() || k.find_first_not_of("0123456789") != std::string::npos || k.size() > 15)
          by.fail(by.node()[k], by.key_path(k), "'" + k + "'", "a macro size in bytes (a positive integer)");
        // Interpolated log-log (EnergyTable::sram_pj): a point must be positive.
        en.by_macro_bytes[std::stoll(k)] = by.number(k, 1e-9, 1e9, 0.0, true);
      }
      if (en.by_macro_bytes.empty()) by.fail(by.node(), e.key_path("by_macro_bytes"), "(empty)", "at least one macro size");
    } else {
      en.energy_pj = e.number("energy_pj", 0.0, 1e9, 0.0, true);
      en.zero_operand_pj = e.number("zero_operand_pj", 0.0, 1e9, -1.0);
    }
    en.per = e.text("per", "", true);
    en.source = e.text("source", "", true);
    if (t.sources.count(en.source) == 0)
      e.fail(e.node()["source"], e.key_path("source"), "'" + en.source + "'", "a key of 'sources'");
    en.note = e.text("note", "");
    en.source_node_nm = e.integer("node_nm", 1, 1000, 0);
    e.finish(is_sram(name) ? "by_macro_bytes, per, source, note, node_nm" : "energy_pj, zero_operand_pj, per, source, note, node_nm");
    t.actions[name] = en;
  }
  for (const std::string& a : energy_actions())
    if (t.actions.count(a) == 0)
      throw Error(fmt::format("{}: actions: missing action '{}' (every table prices: synaptic_op, accumulator_update, "
                              "sram_read_64b, sram_write_64b, neuron_op, lut_read, fifo_push, fifo_pop, router_flit, "
                              "link_flit_hop, chip_link_bit, dram_bit)", path, a));
  top.finish("format, version, name, description, technology, sources, scaling, actions");
  // Entries published at another node are brought to the table's node now.
  for (auto& [action, en] : t.actions) {
    if (en.source_node_nm == 0 || en.source_node_nm == t.node_nm) continue;
    const auto v = t.node_voltage_v.find(en.source_node_nm);
    if (v == t.node_voltage_v.end())
      throw Error(fmt::format("{}: actions.{}.node_nm: {} nm has no voltage in scaling.voltage_v", path, action, en.source_node_nm));
    const double f = (static_cast<double>(t.node_nm) / static_cast<double>(en.source_node_nm)) *
                     std::pow(t.voltage_v / v->second, 2.0);
    en.energy_pj *= f;
    if (en.zero_operand_pj >= 0) en.zero_operand_pj *= f;
    for (auto& [bytes, pj] : en.by_macro_bytes) pj *= f;
    en.source_node_nm = 0;
    en.note += fmt::format("{}scaled from {} nm by {:.3f}", en.note.empty() ? "" : "; ", v->first, f);
  }
  return t;
}

EnergyTable EnergyTable::from_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a directory, expected an energy table file (YAML)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the energy table");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_yaml_text(ss.str(), path);
}

EnergyTable EnergyTable::at_node(int64_t target_nm) const {
  if (target_nm == node_nm) return *this;
  const auto v = node_voltage_v.find(target_nm);
  if (v == node_voltage_v.end()) {
    std::string known;
    for (const auto& [n, volt] : node_voltage_v) known += (known.empty() ? "" : ", ") + std::to_string(n);
    throw Error(fmt::format("{}: no supply voltage for {} nm in scaling.voltage_v (nodes listed: {}); add one to scale "
                            "this table to the chip's node", path, target_nm, known));
  }
  EnergyTable t = *this;
  const double f = (static_cast<double>(target_nm) / static_cast<double>(node_nm)) * std::pow(v->second / voltage_v, 2.0);
  for (auto& [action, en] : t.actions) {
    en.energy_pj *= f;
    if (en.zero_operand_pj >= 0) en.zero_operand_pj *= f;
    for (auto& [bytes, pj] : en.by_macro_bytes) pj *= f;
  }
  t.node_nm = target_nm;
  t.voltage_v = v->second;
  t.description += fmt::format(" (scaled from {} nm, {} V by {:.4f})", node_nm, voltage_v, f);
  return t;
}

EnergyTable EnergyTable::at_supply(int64_t node_nm_target, double voltage) const {
  EnergyTable t = at_node(node_nm_target);
  if (voltage <= 0 || voltage == t.voltage_v) return t;
  const double f = std::pow(voltage / t.voltage_v, 2.0);
  for (auto& [action, en] : t.actions) {
    en.energy_pj *= f;
    if (en.zero_operand_pj >= 0) en.zero_operand_pj *= f;
    for (auto& [bytes, pj] : en.by_macro_bytes) pj *= f;
  }
  t.description += fmt::format(" (at {} V: x {:.4f})", voltage, f);
  t.voltage_v = voltage;
  return t;
}

double EnergyTable::pj(const std::string& action, bool zero_operand) const {
  const auto it = actions.find(action);
  if (it == actions.end()) throw Error(fmt::format("{}: no action '{}'", path, action));
  if (zero_operand && it->second.zero_operand_pj >= 0) return it->second.zero_operand_pj;
  return it->second.energy_pj;
}

double EnergyTable::sram_pj(const std::string& action, int64_t macro_bytes, int64_t bits) const {
  const auto it = actions.find(action);
  if (it == actions.end() || it->second.by_macro_bytes.empty()) throw Error(fmt::format("{}: no SRAM action '{}'", path, action));
  const auto& pts = it->second.by_macro_bytes;
  double per64 = 0.0;
  if (macro_bytes <= pts.begin()->first) {
    per64 = pts.begin()->second;
  } else if (macro_bytes >= pts.rbegin()->first) {
    per64 = pts.rbegin()->second;
  } else {
    auto hi = pts.lower_bound(macro_bytes);
    auto lo = std::prev(hi);
    const double x = std::log(static_cast<double>(macro_bytes)), x0 = std::log(static_cast<double>(lo->first)),
                 x1 = std::log(static_cast<double>(hi->first));
    const double y0 = std::log(lo->second), y1 = std::log(hi->second);
    per64 = std::exp(y0 + (y1 - y0) * (x - x0) / (x1 - x0));
  }
  return per64 * static_cast<double>(bits) / 64.0;
}

EnergyBreakdown energy(const ActionCounts& c, const EnergyTable& t, const ChipDescription& chip) {
  EnergyBreakdown b;
  const auto add = [&](const std::string& action, double pj) {
    b.pj[action] += pj;
    b.total_pj += pj;
  };
  add("synaptic_op", static_cast<double>(c.synaptic_ops) * t.pj("synaptic_op") +
                         static_cast<double>(c.synaptic_skips) * t.pj("synaptic_op", true));
  add("accumulator_update", static_cast<double>(c.accumulator_updates) * t.pj("accumulator_update"));
  add("sram_read_64b", static_cast<double>(c.sram_read_words) *
                           t.sram_pj("sram_read_64b", chip.core.synapse_sram_bytes, chip.core.sram_port_bits));
  add("sram_write_64b", static_cast<double>(c.sram_write_words) *
                            t.sram_pj("sram_write_64b", chip.core.synapse_sram_bytes, chip.core.sram_port_bits));
  add("neuron_op", static_cast<double>(c.neuron_ops) * t.pj("neuron_op"));
  add("lut_read", static_cast<double>(c.lut_reads) * t.pj("lut_read"));
  add("fifo_push", static_cast<double>(c.fifo_pushes) * t.pj("fifo_push"));
  add("fifo_pop", static_cast<double>(c.fifo_pops) * t.pj("fifo_pop"));
  add("router_flit", static_cast<double>(c.router_flits) * t.pj("router_flit"));
  add("link_flit_hop", static_cast<double>(c.link_flit_hops) * t.pj("link_flit_hop"));
  add("chip_link_bit", static_cast<double>(c.chip_link_bits) * t.pj("chip_link_bit"));
  add("dram_bit", static_cast<double>(c.dram_bits) * t.pj("dram_bit"));
  return b;
}

}  // namespace neurark::arch
