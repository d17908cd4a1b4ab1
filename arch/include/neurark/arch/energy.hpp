// SPDX-License-Identifier: Apache-2.0
// neurark/arch/energy.hpp: energy tables and the energy model (Accelergy style): energy =
// sum over actions of count x energy per action (docs/energy-model.md). Leakage x time is priced
// from the design's area and bits with a technology cost table (technology.hpp; runs/).
//
// An energy table is a YAML file (`format: neurark-energy`, `version: 1`, presets in
// arch/energy/) that gives, for a technology node and supply voltage, the energy of every action
// a neurocore mesh performs. Every entry carries its value, what it is per, and its source (a
// key of the table's `sources`); an entry may carry the node it was measured at (then it is
// scaled to the table's node) and a value for a zero operand (data-dependent energy). SRAM
// entries are given per 64-bit access for several macro sizes and interpolated (log-log) at the
// chip's macro size. Tables are scaled to another node explicitly (at_node): dynamic energy
// ~ C V^2 with C ~ feature size, i.e. x (node / node0) x (V / V0)^2, the voltages coming from
// the table's `scaling.voltage_v` list.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "neurark/arch/chip.hpp"

namespace neurark::arch {

// The actions every table must price (the names used in counts, reports and YAML).
const std::vector<std::string>& energy_actions();

struct EnergyEntry {
  double energy_pj = 0.0;            // per `per`, at the table's node and voltage
  double zero_operand_pj = -1.0;     // < 0: same as energy_pj (no data dependence)
  std::map<int64_t, double> by_macro_bytes;  // SRAM: macro bytes -> pJ per 64-bit access
  std::string per;                   // what one action is
  std::string source;                // key into EnergyTable::sources
  std::string note;
  int64_t source_node_nm = 0;        // node the figure was published for (0: the table's node)
};

struct EnergyTable {
  std::string name, description, path;
  int64_t node_nm = 45;
  double voltage_v = 0.9;
  std::map<std::string, std::string> sources;   // key -> citation
  std::map<std::string, EnergyEntry> actions;   // every name of energy_actions()
  std::map<int64_t, double> node_voltage_v;     // scaling: nominal supply per node

  // Reads and validates a table: unknown, repeated or missing keys, wrong types, negative
  // energies, a source that is not in `sources`, a missing action: neurark::Error naming the
  // file, line, key path, value and expectation.
  static EnergyTable from_file(const std::string& path);
  static EnergyTable from_yaml_text(const std::string& text, const std::string& path);

  // The table at another node (every entry scaled by (node / node0) (V / V0)^2, V from
  // node_voltage_v; entries with a source_node_nm are first brought to the table's node the
  // same way). Throws neurark::Error if a node has no voltage in the table.
  EnergyTable at_node(int64_t node_nm) const;
  // The table at `node_nm` and operating supply `voltage_v` (DVFS): at_node, then every entry
  // scaled by (voltage_v / the node's nominal supply)^2 (C V^2). voltage_v <= 0: at_node.
  EnergyTable at_supply(int64_t node_nm, double voltage_v) const;
  // Energy of one action in pJ (the zero-operand value when `zero_operand` and one is given).
  double pj(const std::string& action, bool zero_operand = false) const;
  // pJ per access of `bits` to an SRAM macro of `macro_bytes`: the 64-bit figure interpolated
  // log-log between the listed macro sizes (clamped at the ends), times bits / 64.
  double sram_pj(const std::string& action, int64_t macro_bytes, int64_t bits) const;
};

// How many times each action happened (a backend's counters, per run or per unit).
struct ActionCounts {
  int64_t synaptic_ops = 0;        // add / subtract of an int8 code into an int32 accumulator
  int64_t synaptic_skips = 0;      // zero weights met by an event (zero operand: no add)
  int64_t sram_read_words = 0;     // synapse SRAM reads, neurocore.sram_port_bits each
  int64_t sram_write_words = 0;
  int64_t accumulator_updates = 0; // accumulator register writes (per synaptic op and reset)
  int64_t neuron_ops = 0;          // neuron-unit channel operations (multiply-class)
  int64_t lut_reads = 0;           // sigmoid LUT reads
  int64_t fifo_pushes = 0;         // event FIFO pushes (input and output)
  int64_t fifo_pops = 0;
  int64_t router_flits = 0;        // flits through a router
  int64_t link_flit_hops = 0;      // flits over an on-chip mesh link
  int64_t chip_link_bits = 0;      // bits over chip-to-chip links (flits x noc.link_width_bits)
  int64_t dram_bits = 0;           // bits read from DRAM
};

// Energy by action in pJ, and the total: sum of count x energy.
struct EnergyBreakdown {
  std::map<std::string, double> pj;  // action -> pJ
  double total_pj = 0.0;
};
EnergyBreakdown energy(const ActionCounts& counts, const EnergyTable& table, const ChipDescription& chip);

}  // namespace neurark::arch
