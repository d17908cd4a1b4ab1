// SPDX-License-Identifier: Apache-2.0
// Energy tables (arch/energy.hpp): the default table's figures, interpolation and node scaling by
// hand, the energy model as count x energy, and every malformed-table case.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/energy.hpp"
#include "neurark/arch/error.hpp"
#include "test_paths.hpp"

using namespace neurark;
using Catch::Contains;
using Catch::WithinRel;

namespace {

std::string default_path() { return test::source_dir() + "/arch/energy/horowitz-45nm.yaml"; }

// The default table's text with one substitution (for malformed-table cases).
std::string with(const std::string& from, const std::string& to) {
  std::string s = test::slurp(default_path());
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("the default energy table prices every action with a cited source", "[energy]") {
  const arch::EnergyTable t = arch::EnergyTable::from_file(default_path());
  CHECK(t.node_nm == 45);
  CHECK(t.voltage_v == 0.9);
  for (const std::string& a : arch::energy_actions()) {
    INFO(a);
    REQUIRE(t.actions.count(a) == 1);
    CHECK(t.sources.count(t.actions.at(a).source) == 1);
    CHECK_FALSE(t.actions.at(a).per.empty());
  }
  CHECK(t.pj("synaptic_op") == 0.1);        // Horowitz int32 add
  CHECK(t.pj("synaptic_op", true) == 0.0);  // a zero weight is skipped
  CHECK(t.pj("neuron_op") == 3.1);          // Horowitz int32 multiply
  // The Loihi hop (3.0 pJ at 14 nm, 0.75 V) brought to 45 nm, 0.9 V: x (45 / 14) x (0.9 / 0.75)^2.
  CHECK_THAT(t.pj("link_flit_hop"), WithinRel(3.0 * (45.0 / 14.0) * 1.44, 1e-12));
}

TEST_CASE("SRAM energy is interpolated log-log by macro size and scaled to the port width", "[energy]") {
  const arch::EnergyTable t = arch::EnergyTable::from_file(default_path());
  CHECK_THAT(t.sram_pj("sram_read_64b", 8192, 64), WithinRel(10.0, 1e-12));
  CHECK_THAT(t.sram_pj("sram_read_64b", 32768, 64), WithinRel(20.0, 1e-12));
  CHECK_THAT(t.sram_pj("sram_read_64b", 16384, 64), WithinRel(std::sqrt(10.0 * 20.0), 1e-12));  // halfway in log
  CHECK_THAT(t.sram_pj("sram_read_64b", 4096, 64), WithinRel(10.0, 1e-12));       // clamped below
  CHECK_THAT(t.sram_pj("sram_read_64b", 4 << 20, 128), WithinRel(200.0, 1e-12));  // clamped above, 2 words
  CHECK_THAT(t.sram_pj("sram_read_64b", 8192, 16), WithinRel(2.5, 1e-12));
}

TEST_CASE("a table scaled to another node: x (node / 45) x (V / 0.9)^2", "[energy]") {
  const arch::EnergyTable t = arch::EnergyTable::from_file(default_path());
  const arch::EnergyTable s = t.at_node(22);
  const double f = (22.0 / 45.0) * std::pow(0.8 / 0.9, 2.0);
  CHECK(s.node_nm == 22);
  CHECK_THAT(s.pj("synaptic_op"), WithinRel(0.1 * f, 1e-12));
  CHECK_THAT(s.pj("dram_bit"), WithinRel(20.3 * f, 1e-12));
  CHECK_THAT(s.sram_pj("sram_read_64b", 8192, 64), WithinRel(10.0 * f, 1e-12));
  CHECK_THROWS_WITH(t.at_node(3), Contains("no supply voltage for 3 nm") && Contains("4, 7, 14, 16, 22, 28, 45"));
}

TEST_CASE("energy is the sum of count x energy per action", "[energy]") {
  const arch::EnergyTable t = arch::EnergyTable::from_file(default_path());
  arch::ChipDescription chip;
  chip.core.synapse_sram_bytes = 32768;
  chip.core.sram_port_bits = 64;
  arch::ActionCounts c;
  CHECK(arch::energy(c, t, chip).total_pj == 0.0);  // nothing happened: no energy
  c.synaptic_ops = 1000;
  c.synaptic_skips = 500;  // zero operands: free
  c.sram_read_words = 10;
  c.neuron_ops = 3;
  c.lut_reads = 2;
  c.link_flit_hops = 7;
  c.chip_link_bits = 128;
  c.dram_bits = 64;
  const arch::EnergyBreakdown e = arch::energy(c, t, chip);
  CHECK_THAT(e.pj.at("synaptic_op"), WithinRel(100.0, 1e-12));
  CHECK_THAT(e.pj.at("sram_read_64b"), WithinRel(200.0, 1e-12));
  CHECK_THAT(e.pj.at("neuron_op"), WithinRel(9.3, 1e-12));
  CHECK_THAT(e.pj.at("lut_read"), WithinRel(10.0, 1e-12));
  CHECK_THAT(e.pj.at("dram_bit"), WithinRel(64 * 20.3, 1e-12));
  double sum = 0.0;
  for (const auto& [a, pj] : e.pj) sum += pj;
  CHECK_THAT(e.total_pj, WithinRel(sum, 1e-12));
  CHECK_THAT(e.total_pj, WithinRel(100.0 + 200.0 + 9.3 + 10.0 + 7 * t.pj("link_flit_hop") + 128 * t.pj("chip_link_bit") + 64 * 20.3, 1e-12));
  // 1.17 pJ/bit at 16 nm (Poulton et al. 2019), brought to the table's 45 nm and 0.9 V.
  CHECK_THAT(t.pj("chip_link_bit"), WithinRel(1.17 * (45.0 / 16.0) * (0.9 / 0.8) * (0.9 / 0.8), 1e-12));
  CHECK(e.pj.count("leakage_core_cycle") == 0);  // leakage is priced from the design (runs/hardware_cost.hpp)
}

TEST_CASE("malformed energy tables name file, key and expectation", "[energy]") {
  const auto load = [](const std::string& text) { return arch::EnergyTable::from_yaml_text(text, "e.yaml"); };
  CHECK_THROWS_WITH(load(with("  lut_read:", "  lut_reads:")), Contains("e.yaml:") && Contains("unknown action 'actions.lut_reads'"));
  CHECK_THROWS_WITH(load(with("    energy_pj: 3.1\n", "    energy_pj: -3.1\n")),
                    Contains("actions.neuron_op.energy_pj: value -3.1 is not valid"));
  CHECK_THROWS_WITH(load(with("    source: horowitz2014\n    note: \"32-bit integer multiply\"",
                              "    source: horowitz2041\n    note: \"32-bit integer multiply\"")),
                    Contains("actions.neuron_op.source: value 'horowitz2041' is not valid, expected a key of 'sources'"));
  CHECK_THROWS_WITH(load(with("    node_nm: 14\n", "    node_nm: 12\n")), Contains("12 nm has no voltage in scaling.voltage_v"));
  CHECK_THROWS_WITH(load(with("format: neurark-energy", "format: neurark-chip")), Contains("format"));
  CHECK_THROWS_WITH(load(with("    energy_pj: 20.3\n", "    energy_pj: 20.3\n    energy_pj: 21\n")), Contains("appears twice"));
  // A missing action.
  std::string s = test::slurp(default_path());
  s = s.substr(0, s.find("  dram_bit:"));
  CHECK_THROWS_WITH(load(s), Contains("missing action 'dram_bit'"));
  // The flat per-core leakage of version 1's tables is gone; a table that still prices it is
  // told where leakage comes from now.
  CHECK_THROWS_WITH(load(test::slurp(default_path()) + "  leakage_core_cycle:\n    energy_pj: 1.0\n    per: x\n    source: assumption\n"),
                    Contains("unknown action 'actions.leakage_core_cycle'") && Contains("technology.cost_table"));
  CHECK_THROWS_WITH(arch::EnergyTable::from_file(test::source_dir() + "/arch/energy"), Contains("is a directory"));
  // A node key of 20 digits, a key that is a list or null: named with file and line, not an
  // internal error.
  CHECK_THROWS_WITH(load(with("    45: 0.9\n", "    45: 0.9\n    12345678901234567890: 0.9\n")),
                    Contains("e.yaml:") && Contains("scaling.voltage_v.12345678901234567890") && Contains("a node in nm"));
  CHECK_THROWS_WITH(load(with("    45: 0.9\n", "    45: 0.9\n    [1, 2]: 0.9\n")),
                    Contains("e.yaml:") && Contains("keys that are names"));
  CHECK_THROWS_WITH(load(with("    45: 0.9\n", "    45: 0.9\n    ~: 0.9\n")), Contains("e.yaml:") && Contains("keys that are names"));
  // A 0 pJ SRAM point would turn every log-log interpolation into NaN.
  CHECK_THROWS_WITH(load(with("      8192: 10.0\n", "      8192: 0\n")),
                    Contains("by_macro_bytes.8192: value 0 is not valid") && Contains("[1e-09"));
}

TEST_CASE("every chip preset's energy table loads and scales to the chip's node", "[energy]") {
  for (const char* name : {"edge-2x2", "default-4x4", "large-16x16", "loihi2-like", "loihi2-board-8", "loihi2-stack-48"}) {
    const std::string path = test::source_dir() + "/arch/chips/" + name + ".yaml";
    const arch::ChipDescription chip = arch::ChipDescription::from_file(path);
    INFO(name);
    REQUIRE_FALSE(chip.energy_table.empty());
    const arch::EnergyTable t = arch::EnergyTable::from_file(arch::resolve_relative(path, chip.energy_table)).at_node(chip.technology_node_nm);
    CHECK(t.node_nm == chip.technology_node_nm);
    CHECK(t.pj("synaptic_op") < 0.1);  // smaller nodes, less energy
  }
}
