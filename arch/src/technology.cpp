// SPDX-License-Identifier: Apache-2.0
// Technology cost tables: see neurark/arch/technology.hpp and docs/energy-model.md.
#include "neurark/arch/technology.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "neurark/arch/error.hpp"
#include "neurark/arch/yaml_section.hpp"

namespace neurark::arch {

using detail::Section;

double NodeFigure::at(int64_t node_nm) const {
  if (by_node.empty()) return 0.0;
  if (node_nm <= by_node.begin()->first) return by_node.begin()->second;
  if (node_nm >= by_node.rbegin()->first) return by_node.rbegin()->second;
  const auto hi = by_node.lower_bound(node_nm);
  if (hi->first == node_nm) return hi->second;
  const auto lo = std::prev(hi);
  const double x = std::log(static_cast<double>(node_nm)), x0 = std::log(static_cast<double>(lo->first)),
               x1 = std::log(static_cast<double>(hi->first));
  const double y0 = std::log(lo->second), y1 = std::log(hi->second);
  return std::exp(y0 + (y1 - y0) * (x - x0) / (x1 - x0));
}

namespace {

void check_source(Section& s, const std::string& source, const TechnologyTable& t) {
  if (t.sources.count(source) == 0) s.fail(s.node()["source"], s.key_path("source"), "'" + source + "'", "a key of 'sources'");
}

NodeFigure node_figure(Section& parent, const std::string& key, double lo, double hi, const TechnologyTable& t) {
  Section s = parent.section(key, true);
  NodeFigure f;
  Section by = s.section("by_node", true);
  for (const std::string& k : by.keys()) {
    if (k.empty() || k.size() > 4 || k.find_first_not_of("0123456789") != std::string::npos || std::stoll(k) < 1 ||
        std::stoll(k) > 1000)
      by.fail(by.node()[k], by.key_path(k), "'" + k + "'", "a node in nm (an integer in [1, 1000])");
    f.by_node[std::stoll(k)] = by.number(k, lo, hi, 0.0, true);
  }
  if (f.by_node.empty()) by.fail(by.node(), s.key_path("by_node"), "(empty)", "at least one node");
  f.per = s.text("per", "", true);
  f.source = s.text("source", "", true);
  check_source(s, f.source, t);
  f.note = s.text("note", "");
  s.finish("by_node, per, source, note");
  return f;
}

SourcedValue sourced(Section& parent, const std::string& key, double lo, double hi, const TechnologyTable& t,
                     int64_t* node_out = nullptr) {
  Section s = parent.section(key, true);
  SourcedValue v;
  v.value = s.number("value", lo, hi, 0.0, true);
  v.per = s.text("per", "", true);
  v.source = s.text("source", "", true);
  check_source(s, v.source, t);
  v.note = s.text("note", "");
  if (node_out != nullptr) {
    *node_out = s.integer("node_nm", 1, 1000, 0, true);
    s.finish("value, per, source, note, node_nm");
  } else {
    s.finish("value, per, source, note");
  }
  return v;
}

}  // namespace

TechnologyTable TechnologyTable::from_yaml_text(const std::string& text, const std::string& path) {
  const YAML::Node root = detail::load_yaml(text, path, "technology cost table");
  Section top(path, root, "");
  TechnologyTable t;
  t.path = path;
  detail::check_format(top, root, "neurark-technology", 1);
  t.name = top.text("name", "", true);
  t.description = top.text("description", "");
  Section src = top.section("sources", true);
  for (const std::string& k : src.keys()) t.sources[k] = src.text(k, "", true);
  Section logic = top.section("logic", true);
  t.nand2_area_um2 = node_figure(logic, "nand2_area_um2", 1e-4, 1e4, t);
  t.placement_utilization = sourced(logic, "placement_utilization", 0.01, 1.0, t);
  t.nand2_leakage_pw = node_figure(logic, "nand2_leakage_pw", 1e-6, 1e9, t);
  logic.finish("nand2_area_um2, placement_utilization, nand2_leakage_pw");
  Section sram = top.section("sram", true);
  t.sram_bitcell_area_um2 = node_figure(sram, "bitcell_area_um2", 1e-4, 1e4, t);
  t.sram_array_efficiency = sourced(sram, "array_efficiency", 0.01, 1.0, t);
  t.sram_periphery_um2 = sourced(sram, "periphery_um2", 0.0, 1e9, t, &t.sram_periphery_node_nm);
  t.sram_leakage_pw_per_bit = node_figure(sram, "leakage_pw_per_bit", 1e-6, 1e9, t);
  sram.finish("bitcell_area_um2, array_efficiency, periphery_um2, leakage_pw_per_bit");
  Section supply = top.section("supply", true);
  t.nominal_voltage_v = node_figure(supply, "leakage_voltage_v", 0.1, 10.0, t);
  t.leakage_voltage_exponent = sourced(supply, "leakage_voltage_exponent", 0.0, 10.0, t);
  supply.finish("leakage_voltage_v, leakage_voltage_exponent");
  Section gating = top.section("power_gating", true);
  t.gated_leakage_fraction = sourced(gating, "gated_leakage_fraction", 1e-6, 1.0, t);
  t.wake_up_ns = sourced(gating, "wake_up_ns", 0.0, 1e9, t);
  gating.finish("gated_leakage_fraction, wake_up_ns");
  top.finish("format, version, name, description, sources, logic, sram, supply, power_gating");
  return t;
}

TechnologyTable TechnologyTable::from_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a directory, expected a technology cost table (YAML)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the technology cost table");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_yaml_text(ss.str(), path);
}

double TechnologyTable::logic_area_um2(double gate_equivalents, int64_t node_nm) const {
  return gate_equivalents * nand2_area_um2.at(node_nm) / placement_utilization.value;
}

double TechnologyTable::sram_area_um2(double bits, int64_t node_nm) const {
  if (bits <= 0) return 0.0;
  const double scale = static_cast<double>(node_nm) / static_cast<double>(sram_periphery_node_nm);
  return bits * sram_bitcell_area_um2.at(node_nm) / sram_array_efficiency.value + sram_periphery_um2.value * scale * scale;
}

double TechnologyTable::leakage_voltage_factor(int64_t node_nm, double voltage_v) const {
  if (voltage_v <= 0) return 1.0;
  return std::pow(voltage_v / nominal_voltage_v.at(node_nm), leakage_voltage_exponent.value);
}

double TechnologyTable::logic_leakage_w(double gate_equivalents, int64_t node_nm, double voltage_v) const {
  return gate_equivalents * nand2_leakage_pw.at(node_nm) * 1e-12 * leakage_voltage_factor(node_nm, voltage_v);
}

double TechnologyTable::sram_leakage_w(double bits, int64_t node_nm, double voltage_v) const {
  return bits * sram_leakage_pw_per_bit.at(node_nm) * 1e-12 * leakage_voltage_factor(node_nm, voltage_v);
}

}  // namespace neurark::arch
