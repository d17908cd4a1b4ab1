// SPDX-License-Identifier: Apache-2.0
// Technology cost tables (arch/technology.hpp), DVFS operating points (arch/chip.hpp,
// EnergyTable::at_supply) and the area and leakage of a design point (runs/hardware_cost.hpp):
// every figure below is worked out by hand from the default cost table's entries.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/energy.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/technology.hpp"
#include "neurark/runs/hardware_cost.hpp"
#ifdef NEURARK_HAVE_RTL
#include <cstdlib>
#include <filesystem>

#include "neurark/rtl/build.hpp"
#include "neurark/rtl/synth.hpp"
#endif
#include "test_paths.hpp"

using namespace neurark;
using Catch::Contains;
using Catch::Matchers::WithinRel;

namespace {

arch::TechnologyTable cmos_lp() { return arch::TechnologyTable::from_file(test::source_dir() + "/arch/technology/cmos-lp.yaml"); }

arch::ChipDescription default_chip() { return arch::ChipDescription::from_file(test::source_dir() + "/arch/chips/default-4x4.yaml"); }

}  // namespace

TEST_CASE("technology: node figures interpolate log-log between anchors, clamped outside", "[technology]") {
  const arch::TechnologyTable t = cmos_lp();
  // Anchors: NAND2 area 3.7536 µm² at 130 nm, 0.798 at 45, 0.05832 at 7.
  CHECK(t.nand2_area_um2.at(45) == 0.798);
  CHECK(t.nand2_area_um2.at(250) == 3.7536);  // clamped
  CHECK(t.nand2_area_um2.at(5) == 0.05832);   // clamped
  const double x = (std::log(22.0) - std::log(7.0)) / (std::log(45.0) - std::log(7.0));
  CHECK_THAT(t.nand2_area_um2.at(22), WithinRel(std::exp(std::log(0.05832) + x * (std::log(0.798) - std::log(0.05832))), 1e-12));
  CHECK(t.sram_bitcell_area_um2.at(22) == 0.092);
}

TEST_CASE("technology: macro area, logic area and leakage by hand", "[technology]") {
  const arch::TechnologyTable t = cmos_lp();
  // A 64 KB macro at 22 nm: 524,288 bits x 0.092 µm² / 0.7 + 24,000 µm² x (22 / 130)^2.
  const double bits = 65536.0 * 8;
  CHECK_THAT(t.sram_area_um2(bits, 22), WithinRel(bits * 0.092 / 0.7 + 24000.0 * (22.0 / 130) * (22.0 / 130), 1e-12));
  CHECK(t.sram_area_um2(0, 22) == 0.0);
  // Logic: gate equivalents x NAND2 area / utilization 0.7.
  CHECK_THAT(t.logic_area_um2(1000, 45), WithinRel(1000 * 0.798 / 0.7, 1e-12));
  // Leakage at the anchor's own supply: 81 pW per gate at 130 nm, 1.2 V; 12.1 pW per SRAM bit.
  CHECK_THAT(t.logic_leakage_w(1e6, 130, 1.2), WithinRel(81e-6, 1e-12));
  CHECK_THAT(t.sram_leakage_w(1e6, 130, 1.2), WithinRel(12.1e-6, 1e-12));
  // At 1.5 V: x (1.5 / 1.2)^4.
  CHECK_THAT(t.logic_leakage_w(1e6, 130, 1.5), WithinRel(81e-6 * std::pow(1.5 / 1.2, 4.0), 1e-12));
  CHECK(t.leakage_voltage_factor(130, 0.0) == 1.0);  // no supply given: the anchor's
}

TEST_CASE("technology: malformed cost tables name file, key and expectation", "[technology]") {
  const std::string good = test::slurp(test::source_dir() + "/arch/technology/cmos-lp.yaml");
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    REQUIRE(s.find(from) != std::string::npos);
    return s.replace(s.find(from), from.size(), to);
  };
  const auto load = [](const std::string& text) { return arch::TechnologyTable::from_yaml_text(text, "t.yaml"); };
  CHECK_THROWS_WITH(load(with("    value: 0.7\n    per: \"cell area", "    value: 1.5\n    per: \"cell area")),
                    Contains("t.yaml:") && Contains("logic.placement_utilization.value: value 1.5 is not valid"));
  CHECK_THROWS_WITH(load(with("    source: tschanz2003\n    note: \"a PMOS", "    source: nobody\n    note: \"a PMOS")),
                    Contains("power_gating.gated_leakage_fraction.source: value 'nobody' is not valid, expected a key of 'sources'"));
  CHECK_THROWS_WITH(load(with("      130: 12.1\n", "      130: 0\n")), Contains("sram.leakage_pw_per_bit.by_node.130: value 0 is not valid"));
  CHECK_THROWS_WITH(load(with("format: neurark-technology", "format: neurark-energy")), Contains("format"));
  CHECK_THROWS_WITH(load(with("power_gating:", "power_gate:")), Contains("unknown key 'power_gate'"));
}

TEST_CASE("DVFS: dynamic energy scales as V^2 from the node's nominal supply, a clock above the point is refused",
          "[technology]") {
  const arch::EnergyTable t = arch::EnergyTable::from_file(test::source_dir() + "/arch/energy/horowitz-45nm.yaml");
  const arch::EnergyTable nominal = t.at_node(22), low = t.at_supply(22, 0.6);
  CHECK(nominal.voltage_v == 0.8);
  CHECK_THAT(low.pj("neuron_op"), WithinRel(nominal.pj("neuron_op") * (0.6 / 0.8) * (0.6 / 0.8), 1e-12));
  CHECK(t.at_supply(22, 0.0).pj("neuron_op") == nominal.pj("neuron_op"));
  std::string chip = test::slurp(test::source_dir() + "/arch/chips/default-4x4.yaml");
  // The default chip's own operating points replaced by two of ours.
  const std::size_t ops = chip.find("  operating_points:");
  REQUIRE(ops != std::string::npos);
  chip.replace(ops, chip.find('\n', ops) - ops + 1, "  voltage_v: 0.6\n  operating_points:\n    0.6: 5e8\n    0.8: 8e8\n");
  const auto with_clock = [&](const std::string& clock) {
    std::string c = chip;
    c.replace(c.find("clock_hz: 500e6"), 15, "clock_hz: " + clock);
    return arch::ChipDescription::from_yaml_text(c, "c.yaml");
  };
  const arch::ChipDescription ok = with_clock("500e6");
  CHECK(ok.voltage_v == 0.6);
  CHECK(ok.operating_points.at(0.8) == 8e8);
  CHECK_THROWS_WITH(with_clock("600e6"), Contains("c.yaml:") && Contains("clock_hz: value 6e+08 Hz is not valid") &&
                                             Contains("at most 5e+08 Hz, the highest clock the operating point at 0.6 V allows"));
  std::string off = chip;
  off.replace(off.find("voltage_v: 0.6"), 14, "voltage_v: 0.7");
  CHECK_THROWS_WITH(arch::ChipDescription::from_yaml_text(off, "c.yaml"),
                    Contains("technology.voltage_v: value 0.7 V is not valid, expected one of the operating points (0.6 V: 5e+08 Hz, "
                             "0.8 V: 8e+08 Hz)"));
  // Without voltage_v the chip runs at the lowest supply whose clock reaches clock_hz.
  std::string governed = chip;
  governed.replace(governed.find("  voltage_v: 0.6\n"), 17, "");
  const auto governed_at = [&](const std::string& clock) {
    std::string c = governed;
    c.replace(c.find("clock_hz: 500e6"), 15, "clock_hz: " + clock);
    return arch::ChipDescription::from_yaml_text(c, "g.yaml");
  };
  CHECK(governed_at("500e6").voltage_v == 0.6);
  CHECK(governed_at("500000001").voltage_v == 0.8);
  CHECK(governed_at("8e8").voltage_v == 0.8);
  CHECK_THROWS_WITH(governed_at("9e8"), Contains("g.yaml:") && Contains("clock_hz: value 9e+08 Hz is not valid, expected at most "
                                                                         "8e+08 Hz, the highest clock of technology.operating_points"));
}

TEST_CASE("hardware cost: doubling SRAM per core adds exactly the modelled area and leakage", "[technology]") {
  const arch::TechnologyTable t = cmos_lp();
  arch::ChipDescription chip = default_chip();
  // The logic held at the compiled table's (the default chip's) to isolate the memory.
  const std::optional<runs::LogicTable> logic = runs::compiled_logic_table();
  REQUIRE(logic.has_value());
  const runs::HardwareCost a = runs::hardware_cost(chip, t, 0.8, {}, *logic);
  chip.core.synapse_sram_bytes *= 2;
  const runs::HardwareCost b = runs::hardware_cost(chip, t, 0.8, {}, *logic);
  // The synapse macro grows by 524,288 bits: area by bits x cell / efficiency (the periphery is
  // per macro), leakage by bits x pW/bit x (V / V_leak)^4.
  const double bits = 65536.0 * 8;
  const double d_area_um2 = bits * t.sram_bitcell_area_um2.at(22) / t.sram_array_efficiency.value;
  CHECK_THAT((b.neurocore_area_mm2 - a.neurocore_area_mm2) * 1e6, WithinRel(d_area_um2, 1e-9));
  CHECK_THAT(b.neurocore_leakage_w - a.neurocore_leakage_w, WithinRel(t.sram_leakage_w(bits, 22, 0.8), 1e-9));
  CHECK_THAT(b.chip_area_mm2, WithinRel(16 * b.neurocore_area_mm2, 1e-12));
  CHECK_THAT(a.logic_parameters, Contains("default chip"));
}

TEST_CASE("hardware cost: power-gating unused neurocores keeps only their routers and a residual", "[technology]") {
  const arch::TechnologyTable t = cmos_lp();
  arch::ChipDescription chip = default_chip();
  const std::vector<int> used = {0, 1, 2, 5};
  const std::optional<runs::LogicTable> logic = runs::compiled_logic_table();
  REQUIRE(logic.has_value());
  const runs::HardwareCost on = runs::hardware_cost(chip, t, 0.8, used, *logic);
  chip.power.gate_unused_cores = true;
  const runs::HardwareCost gated = runs::hardware_cost(chip, t, 0.8, used, *logic);
  CHECK(on.gated_neurocores == 0);
  CHECK(gated.gated_neurocores == 12);
  double router_w = 0.0;
  for (const runs::CostBlock& b : gated.blocks)
    if (!b.gateable) router_w += b.leakage_w;
  REQUIRE(router_w > 0.0);
  // A gated core: its router, plus 5 % of the rest (Tschanz 2003).
  CHECK_THAT(gated.gated_neurocore_leakage_w, WithinRel(router_w + 0.05 * (gated.neurocore_leakage_w - router_w), 1e-12));
  CHECK_THAT(gated.chip_leakage_w, WithinRel(4 * gated.neurocore_leakage_w + 12 * gated.gated_neurocore_leakage_w, 1e-12));
  CHECK(gated.core_leakage_w[3] == gated.gated_neurocore_leakage_w);
  CHECK(gated.core_leakage_w[5] == gated.neurocore_leakage_w);
  CHECK_THAT(on.chip_leakage_w, WithinRel(16 * on.neurocore_leakage_w, 1e-12));
  CHECK(gated.chip_area_mm2 == on.chip_area_mm2);  // gating saves leakage, not area
}

TEST_CASE("hardware cost: the default chip's logic is the compiled table, at the parameters it records", "[technology]") {
  const std::optional<runs::LogicTable> compiled = runs::compiled_logic_table();
  REQUIRE(compiled.has_value());
  REQUIRE(compiled->blocks.size() == 7);
  CHECK(compiled->blocks[0].block == "lane_array");
  CHECK(compiled->blocks[0].params == "NumLanes=16,NumRows=1024,SramBytes=65536,SramPortBits=64");
  CHECK(compiled->blocks[6].params == "BufferDepth=4,FlitWidth=64,FlowWidth=8,Latency=2,NumFlows=64");
  const std::optional<runs::LogicTable> d = runs::logic_table(default_chip());
  REQUIRE(d.has_value());
  for (std::size_t i = 0; i < d->blocks.size(); ++i) CHECK(d->blocks[i].transistors_estimate == compiled->blocks[i].transistors_estimate);
#ifdef NEURARK_HAVE_RTL
  CHECK(d->this_chip);
  CHECK_THAT(d->parameters, Contains("the same as the default chip's"));
#else
  CHECK_FALSE(d->this_chip);
  CHECK_THAT(d->parameters, Contains("this build has no RTL"));
#endif
}

#ifdef NEURARK_HAVE_RTL
TEST_CASE("hardware cost: a non-default chip's logic is synthesized at its parameters, only the blocks that differ, cached",
          "[technology][rtl]") {
  // Synthesis results go to the build folder's cache, next to the CLI (not the user's).
  ::setenv("NEURARK_RTL_CACHE", (std::filesystem::path(NEURARK_CLI).parent_path() / "rtl-cache").c_str(), 1);
  const arch::ChipDescription chip = arch::ChipDescription::from_file(test::source_dir() + "/tests/fixtures/tiny-3x2.yaml");
  const std::optional<runs::LogicTable> compiled = runs::compiled_logic_table();
  runs::LogicOptions quiet;
  quiet.progress = [](const std::string&) {};
  const std::optional<runs::LogicTable> t = runs::logic_table(chip, quiet);
  REQUIRE(t.has_value());
  REQUIRE(t->this_chip);
  CHECK_THAT(t->parameters, Contains("lane_array, router synthesized at its parameters by Yosys"));
  REQUIRE(t->blocks.size() == compiled->blocks.size());
  const auto& lanes = t->blocks[0];
  CHECK(lanes.params == "NumLanes=4,NumRows=8,SramBytes=64,SramPortBits=16");
  CHECK_THAT(lanes.what, Contains("4 lanes, 8 int32 accumulators, 16-bit port"));
  // Its state: at least the 8 int32 accumulators; far less than the default's 1,024.
  CHECK(lanes.flip_flops >= 8 * 32);
  CHECK(lanes.flip_flops < compiled->blocks[0].flip_flops / 20);
  // The router: 32-bit flits in 5 ports x 4-flit buffers at least.
  CHECK(t->blocks[6].params == "BufferDepth=4,FlitWidth=32,FlowWidth=8,Latency=1,NumFlows=64");
  CHECK(t->blocks[6].flip_flops >= 5 * 4 * 32);
  CHECK(t->blocks[6].flip_flops < compiled->blocks[6].flip_flops);
  // The blocks without a chip parameter are the compiled table's as they are.
  for (std::size_t i : {1, 2, 3, 4}) CHECK(t->blocks[i].transistors_estimate == compiled->blocks[i].transistors_estimate);
  // Priced as any logic: gate equivalents = transistors / 4.
  const arch::TechnologyTable tech = cmos_lp();
  const runs::HardwareCost h = runs::hardware_cost(chip, tech, 0.8, {}, *t);
  CHECK(h.logic_parameters == t->parameters);
  CHECK_THAT(h.blocks[0].area_um2,
             WithinRel(tech.logic_area_um2(static_cast<double>(lanes.transistors_estimate) / 4.0, 22), 1e-12));
  // A second request reads the cache: no Yosys run.
  rtl::SynthOptions so;
  so.progress = quiet.progress;
  CHECK(rtl::synthesize_block("lane_array", rtl::synth_params("lane_array", chip), so).cached);
  // Synthesis off: the compiled table, said so.
  quiet.synthesize = false;
  const std::optional<runs::LogicTable> off = runs::logic_table(chip, quiet);
  CHECK_FALSE(off->this_chip);
  CHECK_THAT(off->parameters, Contains("turned off (run --no-synthesis"));
  CHECK(off->blocks[0].transistors_estimate == compiled->blocks[0].transistors_estimate);
  // A lane count the RTL cannot take: the lane array keeps the default chip's figures, with a
  // warning; the router (its parameters are fine) is still this chip's.
  quiet.synthesize = true;
  std::string warned;
  quiet.warning = [&](const std::string& w) { warned += w; };
  arch::ChipDescription odd = chip;
  odd.core.lanes = 6;
  const std::optional<runs::LogicTable> o = runs::logic_table(odd, quiet);
  CHECK_FALSE(o->this_chip);
  CHECK_THAT(o->parameters, Contains("partly this chip's (router synthesized") &&
                                Contains("lane_array at the default chip's parameters: the RTL cannot take this chip") &&
                                Contains("neurocore.lanes is 6"));
  CHECK(o->blocks[0].transistors_estimate == compiled->blocks[0].transistors_estimate);
  CHECK(o->blocks[6].transistors_estimate == t->blocks[6].transistors_estimate);
  CHECK_THAT(warned, Contains("area: lane_array priced at the default chip's parameters"));
}
#endif
