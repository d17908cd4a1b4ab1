// SPDX-License-Identifier: Apache-2.0
// neurark/arch/technology.hpp: technology cost tables — what area and leakage a design point
// costs at a node (docs/energy-model.md, "Area and leakage").
//
// A cost table is a YAML file (`format: neurark-technology`, `version: 1`, presets in
// arch/technology/) that a chip description names (`technology.cost_table`). Every figure carries
// its source (a key of the table's `sources`), and figures that depend on the node are given at
// the nodes they were published for (anchors) and interpolated log-log in between (clamped at
// the ends): logic area per NAND2 gate equivalent, logic leakage per gate equivalent, SRAM bit-cell
// area and SRAM leakage per bit. Macro area = bits x bit cell / array efficiency + a fixed
// periphery (published at one node, scaled by (node / that node)^2). Leakage is given at each
// node's nominal supply (`nominal_voltage_v`) and scales with the operating supply as (V / V_nom)^k
// (`leakage_voltage_exponent`). A power-gated block keeps `gated_leakage_fraction` of its leakage
// and takes `wake_up_ns` to wake.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace neurark::arch {

// A figure given at the nodes it was published for.
struct NodeFigure {
  std::map<int64_t, double> by_node;  // node nm -> value (> 0)
  std::string per;                    // what one unit is
  std::string source;                 // key into TechnologyTable::sources
  std::string note;
  // The value at `node_nm`: log-log interpolation between the neighbouring anchors, the nearest
  // anchor's value outside them.
  double at(int64_t node_nm) const;
};

// A single figure with its source.
struct SourcedValue {
  double value = 0.0;
  std::string per, source, note;
};

struct TechnologyTable {
  std::string name, description, path;
  std::map<std::string, std::string> sources;       // key -> citation
  NodeFigure nand2_area_um2;                        // logic: area of one NAND2 gate equivalent
  SourcedValue placement_utilization;               // logic: cell area / placed area (0, 1]
  NodeFigure nand2_leakage_pw;                      // logic: leakage of one NAND2 equivalent at the node's nominal supply
  NodeFigure sram_bitcell_area_um2;                 // SRAM: 6T bit cell
  SourcedValue sram_array_efficiency;               // SRAM: bit cells / array area (0, 1]
  SourcedValue sram_periphery_um2;                  // SRAM: fixed area per macro at sram_periphery_node_nm
  int64_t sram_periphery_node_nm = 130;
  NodeFigure sram_leakage_pw_per_bit;               // SRAM: leakage per bit at the node's nominal supply
  NodeFigure nominal_voltage_v;                     // nominal supply per node (for leakage scaling)
  SourcedValue leakage_voltage_exponent;            // leakage power ~ V^k around nominal
  SourcedValue gated_leakage_fraction;              // a power-gated block keeps this share (0, 1]
  SourcedValue wake_up_ns;                          // time to wake a gated block

  // Reads and validates a table: unknown, repeated or missing keys, wrong types, values out of
  // range, a source that is not in `sources`: neurark::Error naming the file, line, key path,
  // value and expectation.
  static TechnologyTable from_file(const std::string& path);
  static TechnologyTable from_yaml_text(const std::string& text, const std::string& path);

  // Area of a logic block of `gate_equivalents` NAND2 equivalents at `node_nm`, placed (µm²).
  double logic_area_um2(double gate_equivalents, int64_t node_nm) const;
  // Area of one SRAM macro of `bits` at `node_nm` (µm²): bit cells / efficiency + periphery.
  double sram_area_um2(double bits, int64_t node_nm) const;
  // Leakage power (W) of logic of `gate_equivalents` / of `bits` of SRAM at `node_nm` and supply
  // `voltage_v` (the node's nominal supply if <= 0).
  double logic_leakage_w(double gate_equivalents, int64_t node_nm, double voltage_v) const;
  double sram_leakage_w(double bits, int64_t node_nm, double voltage_v) const;
  // (V / V_nom(node))^k: the leakage factor of running at `voltage_v`.
  double leakage_voltage_factor(int64_t node_nm, double voltage_v) const;
};

}  // namespace neurark::arch
