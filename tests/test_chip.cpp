// SPDX-License-Identifier: Apache-2.0
// Chip descriptions: the presets load with their values; every kind of bad input is an Error
// naming the file, the key path, the line, the value and what was expected.
#include <catch2/catch.hpp>

#include <string>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/noc.hpp"
#include "test_paths.hpp"

using neurark::Error;
using neurark::arch::ChipDescription;
using Catch::Contains;

namespace {

std::string preset(const std::string& name) {
  return neurark::test::source_dir() + "/arch/chips/" + name + ".yaml";
}

const char* kMinimal = R"(format: neurark-chip
version: 1
name: t
clock_hz: 1e9
technology:
  node_nm: 22
mesh:
  width: 3
  height: 2
neurocore:
  lanes: 4
  synapse_sram_bytes: 4096
  accumulators: 64
noc:
  link_width_bits: 32
  router_latency_cycles: 1
)";

std::string with(const std::string& from, const std::string& to) {
  std::string s = kMinimal;
  const auto p = s.find(from);
  REQUIRE(p != std::string::npos);
  s.replace(p, from.size(), to);
  return s;
}

}  // namespace

TEST_CASE("chip presets load", "[chip]") {
  const ChipDescription d = ChipDescription::from_file(preset("default-4x4"));
  CHECK(d.name == "default-4x4");
  CHECK(d.total_cores() == 16);
  CHECK(d.core.lanes == 16);
  CHECK(d.total_synapse_sram_bytes() == 16 * 65536);
  CHECK(d.clock_hz == 500e6);
  CHECK(d.noc.flow_control == neurark::arch::FlowControl::kCredit);
  const ChipDescription e = ChipDescription::from_file(preset("edge-2x2"));
  CHECK(e.total_cores() == 4);
  CHECK_FALSE(e.dram.present);
  const ChipDescription l = ChipDescription::from_file(preset("large-16x16"));
  CHECK(l.total_cores() == 256);
  CHECK(l.dram.present);
  CHECK(l.dram.bytes == 8589934592LL);
  const ChipDescription lo = ChipDescription::from_file(preset("loihi2-like"));
  CHECK(lo.total_cores() == 128);
  CHECK(lo.core.synapse_sram_bytes == 131072);
  // The 8-chip board: the same chip, 2 x 4 of them (1,024 neurocores, 128 MB of synapse memory).
  const ChipDescription b = ChipDescription::from_file(preset("loihi2-board-8"));
  CHECK(b.total_cores() == 1024);
  CHECK(b.multichip.chips_x * b.multichip.chips_y == 8);
  CHECK(b.total_synapse_sram_bytes() == 1024 * 131072LL);
  CHECK(b.core.synapse_sram_bytes == lo.core.synapse_sram_bytes);
  CHECK(b.mesh_width == lo.mesh_width);
  CHECK(b.mesh_height == lo.mesh_height);
  // The 48-chip stack: the same chip again, 6 x 8 of them (6,144 neurocores, 768 MB).
  const ChipDescription st = ChipDescription::from_file(preset("loihi2-stack-48"));
  CHECK(st.total_cores() == 6144);
  CHECK(st.multichip.chips_x * st.multichip.chips_y == 48);
  CHECK(st.total_synapse_sram_bytes() == 6144 * 131072LL);
  CHECK(st.core.synapse_sram_bytes == lo.core.synapse_sram_bytes);
  CHECK(st.multichip.link_width_bits == b.multichip.link_width_bits);
  CHECK(st.multichip.link_latency_cycles == b.multichip.link_latency_cycles);
}

TEST_CASE("a minimal chip gets the documented defaults", "[chip]") {
  const ChipDescription c = ChipDescription::from_yaml_text(kMinimal, "t.yaml");
  CHECK(c.mesh_width == 3);
  CHECK(c.mesh_height == 2);
  CHECK(c.core.sram_port_bits == 64);
  CHECK(c.core.weight_encoding == neurark::arch::WeightEncoding::kPacked2);
  CHECK(c.noc.buffer_depth_flits == 4);
  CHECK(c.noc.engine == neurark::arch::NocEngine::kAnalytic);
  CHECK(c.noc.watchdog_cycles == 10000);
  CHECK(c.multichip.chips_x == 1);
  CHECK_FALSE(c.dram.present);
}

TEST_CASE("chip file errors name file, key path, line, value and expectation", "[chip]") {
  SECTION("unknown key") {
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("  lanes: 4\n", "  lanes: 4\n  lane: 8\n"), "c.yaml"),
                      Contains("c.yaml:12:") && Contains("unknown key 'neurocore.lane'") &&
                          Contains("allowed here: lanes"));
  }
  SECTION("a key twice in one mapping") {
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("  lanes: 4\n", "  lanes: 4\n  lanes: 8\n"), "c.yaml"),
                      Contains("c.yaml:12:") && Contains("key 'neurocore.lanes' appears twice in one mapping (lines 11 and 12)"));
  }
  SECTION("a directory instead of a file") {
    CHECK_THROWS_WITH(ChipDescription::from_file(neurark::test::source_dir() + "/arch/chips"),
                      Contains("chips: is a directory, expected a chip description file"));
  }
  SECTION("wrong type") {
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("lanes: 4", "lanes: four"), "c.yaml"),
                      Contains("c.yaml:11:") && Contains("neurocore.lanes") && Contains("'four'") &&
                          Contains("an integer in [1, 4096]"));
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("lanes: 4", "lanes: 4.5"), "c.yaml"),
                      Contains("'4.5'"));
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("lanes: 4", "lanes: [4]"), "c.yaml"),
                      Contains("(a list)"));
  }
  SECTION("out of range") {
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("lanes: 4", "lanes: 0"), "c.yaml"),
                      Contains("neurocore.lanes: value 0 is not valid, expected an integer in [1, 4096]"));
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("clock_hz: 1e9", "clock_hz: -5"), "c.yaml"),
                      Contains("clock_hz") && Contains("-5"));
  }
  SECTION("bad choice") {
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(
                          with("  accumulators: 64\n", "  accumulators: 64\n  weight_encoding: csr\n"), "c.yaml"),
                      Contains("neurocore.weight_encoding") && Contains("'csr'") &&
                          Contains("one of packed2 | sparse"));
  }
  SECTION("missing required key") {
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("  lanes: 4\n", ""), "c.yaml"),
                      Contains("missing required key 'neurocore.lanes'"));
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("  lanes: 4\n", "  lane: 4\n"), "c.yaml"),
                      Contains("missing required key 'neurocore.lanes'") &&
                          Contains("found unknown key 'neurocore.lane' at line 11: misspelled?"));
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("name: t\n", ""), "c.yaml"),
                      Contains("missing required key 'name'"));
  }
  SECTION("format and version") {
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("version: 1", "version: 2"), "c.yaml"),
                      Contains("version: value 2 is not valid, expected 1"));
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("format: neurark-chip", "format: sana-fe"), "c.yaml"),
                      Contains("'neurark-chip'"));
  }
  SECTION("a value the format knows but no model honours") {
    // on/off backpressure would be simulated as credits: refused, naming the line.
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(std::string(kMinimal) + "  flow_control: on_off\n", "c.yaml"),
                      Contains("c.yaml:17: noc.flow_control: on_off is not supported") && Contains("give credit"));
    CHECK(ChipDescription::from_yaml_text(std::string(kMinimal) + "  flow_control: credit\n", "c.yaml").noc.flow_control ==
          neurark::arch::FlowControl::kCredit);
  }
  SECTION("a system too large to hold") {
    // 1,024 x 1,024 neurocores x 64 x 64 chips: every value in range, 4.3e9 cores in all.
    std::string big = kMinimal;
    big.replace(big.find("  width: 3\n  height: 2\n"), 22, "  width: 1024\n  height: 1024\n");
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(big + "multichip:\n  chips_x: 64\n  chips_y: 64\n", "c.yaml"),
                      Contains("c.yaml:") && Contains("64 x 64 chips of 1024 x 1024 neurocores = 4294967296 neurocores") &&
                          Contains("at most 1048576"));
  }
  SECTION("a key that is not a name") {
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(std::string(kMinimal) + "[1, 2]: 3\n", "c.yaml"),
                      Contains("c.yaml:17: (top level): a key that is (a list), expected keys that are names"));
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(std::string(kMinimal) + "~: 3\n", "c.yaml"),
                      Contains("c.yaml:17: (top level): a key that is null, expected keys that are names"));
  }
  SECTION("host outside the mesh") {
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text(std::string(kMinimal) + "host:\n  attach_x: 3\n", "c.yaml"),
                      Contains("host.attach_x") && Contains("[0, 2]"));
  }
  SECTION("not YAML, empty, not a mapping, missing file") {
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text("a: [1, 2\n", "c.yaml"), Contains("c.yaml") && Contains("not valid YAML"));
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text("", "c.yaml"), Contains("empty chip description"));
    CHECK_THROWS_WITH(ChipDescription::from_yaml_text("- 1\n- 2\n", "c.yaml"), Contains("a mapping of keys"));
    CHECK_THROWS_WITH(ChipDescription::from_file("/nonexistent/chip.yaml"), Contains("/nonexistent/chip.yaml"));
  }
}

TEST_CASE("noc.engine and noc.watchdog_cycles are read and checked", "[chip]") {
  const std::string noc = "  router_latency_cycles: 1\n";
  const ChipDescription f =
      ChipDescription::from_yaml_text(with(noc, noc + "  engine: flit\n  watchdog_cycles: 6\n"), "c.yaml");
  CHECK(f.noc.engine == neurark::arch::NocEngine::kFlit);
  CHECK(f.noc.watchdog_cycles == 6);
  CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with(noc, noc + "  engine: cycle\n"), "c.yaml"),
                    Contains("c.yaml:17: noc.engine: value 'cycle' is not valid, expected one of analytic | flit"));
  // The credit round trip R + 2 L + 2 = 1 + 2 + 2 = 5 cycles: a watchdog of 5 would fire on a working network.
  CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with(noc, noc + "  watchdog_cycles: 5\n"), "c.yaml"),
                    Contains("c.yaml:17: noc.watchdog_cycles: value 5 is not valid, expected more than a credit's round "
                             "trip, router_latency_cycles + 2 x link_latency_cycles + 2 = 5 cycles"));
  CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with(noc, noc + "  watchdog_cycles: 0\n"), "c.yaml"),
                    Contains("noc.watchdog_cycles: value 0 is not valid, expected an integer in [1, 1099511627776]"));
  CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with(noc, "  router_latency_cycles: 0\n  engine: flit\n"), "c.yaml"),
                    Contains("c.yaml:16: noc.router_latency_cycles: value 0 is not valid, expected at least 1 with "
                             "noc.engine: flit"));
}

TEST_CASE("multichip.buffer_depth_flits: a chip link's input buffer, noc.buffer_depth_flits unless given", "[chip]") {
  const std::string two = std::string(kMinimal) + "  buffer_depth_flits: 6\nmultichip:\n  chips_x: 2\n";
  CHECK(ChipDescription::from_yaml_text(kMinimal, "c.yaml").multichip.buffer_depth_flits == 4);
  const ChipDescription d = ChipDescription::from_yaml_text(two, "c.yaml");
  CHECK(d.multichip.buffer_depth_flits == 6);
  const ChipDescription g = ChipDescription::from_yaml_text(two + "  buffer_depth_flits: 64\n", "c.yaml");
  CHECK(g.multichip.buffer_depth_flits == 64);
  CHECK(g.noc.buffer_depth_flits == 6);
  // arch::link_timing gives each link its buffer: the chip link (core 2 -> 3 crosses chips 0 and 1) its own.
  const neurark::arch::MeshGrid grid = neurark::arch::MeshGrid::of(g);
  CHECK(neurark::arch::link_timing(g, grid, grid.link_id(2, 3)).buffer_depth_flits == 64);
  CHECK(neurark::arch::link_timing(g, grid, grid.link_id(1, 2)).buffer_depth_flits == 6);
  CHECK_THROWS_WITH(ChipDescription::from_yaml_text(two + "  buffer_depth_flits: 0\n", "c.yaml"),
                    Contains("c.yaml:20: multichip.buffer_depth_flits: value 0 is not valid, expected an integer in [1, 65536]"));
  // A chip link's credit round trip R + 2 x 5000 + beats (1) + 1 = 10,003 cycles: the default watchdog of 10,000 cycles
  // would stop a working network.
  CHECK_THROWS_WITH(ChipDescription::from_yaml_text(two + "  link_latency_cycles: 5000\n", "c.yaml"),
                    Contains("c.yaml:20: multichip.link_latency_cycles: value 5000 is not valid") &&
                        Contains("= 10003 cycles) is shorter than noc.watchdog_cycles 10000"));
  CHECK(ChipDescription::from_yaml_text(two + "  link_latency_cycles: 4998\n", "c.yaml").multichip.link_latency_cycles == 4998);
}

TEST_CASE("multichip.ports_per_edge: which border routers share which chip-to-chip port", "[chip]") {
  // kMinimal is a 3 x 2 mesh: 2 x 2 chips of it (6 x 4), each edge facing a chip has 2 (east, west)
  // or 3 (south, north) border routers.
  const std::string four = std::string(kMinimal) + "multichip:\n  chips_x: 2\n  chips_y: 2\n";
  const ChipDescription none = ChipDescription::from_yaml_text(four, "c.yaml");
  CHECK(none.multichip.ports_per_edge == 0);
  const neurark::arch::MeshGrid grid = neurark::arch::MeshGrid::of(none);
  CHECK(neurark::arch::chip_link_ports(none, grid) == 0);
  CHECK(neurark::arch::link_timing(none, grid, grid.link_id(2, 3)).port == -1);  // its own link
  const ChipDescription one = ChipDescription::from_yaml_text(four + "  ports_per_edge: 1\n", "c.yaml");
  CHECK(neurark::arch::chip_link_ports(one, grid) == 4 * 4 * 1);
  // Chip 0's east edge: routers 2 (y 0) and 8 (y 1) share port (chip 0 x 4 + east 0) x 1 + 0 = 0;
  // chip 1's west edge (3 -> 2, 9 -> 8): port (1 x 4 + west 1) = 5; chip 0's south edge, routers 12..14
  // (y 1 -> 2): port (0 x 4 + south 2) = 2; on-chip links have none.
  CHECK(neurark::arch::link_timing(one, grid, grid.link_id(2, 3)).port == 0);
  CHECK(neurark::arch::link_timing(one, grid, grid.link_id(8, 9)).port == 0);
  CHECK(neurark::arch::link_timing(one, grid, grid.link_id(3, 2)).port == 5);
  CHECK(neurark::arch::link_timing(one, grid, grid.link_id(9, 8)).port == 5);
  for (int x : {0, 1, 2}) CHECK(neurark::arch::link_timing(one, grid, grid.link_id(6 + x, 12 + x)).port == 2);
  CHECK(neurark::arch::link_timing(one, grid, grid.link_id(1, 2)).port == -1);
  // Two ports per edge: the east edge's routers one each (i x 2 / 2), the south edge's 0 -> port 0,
  // 1 and 2 -> port 1 (i x 2 / 3 = 0, 0, 1: routers 0 and 1 share the first).
  const ChipDescription two = ChipDescription::from_yaml_text(four + "  ports_per_edge: 2\n", "c.yaml");
  CHECK(neurark::arch::link_timing(two, grid, grid.link_id(2, 3)).port == 0);
  CHECK(neurark::arch::link_timing(two, grid, grid.link_id(8, 9)).port == 1);
  CHECK(neurark::arch::link_timing(two, grid, grid.link_id(6, 12)).port == 2 * 2 + 0);
  CHECK(neurark::arch::link_timing(two, grid, grid.link_id(7, 13)).port == 2 * 2 + 0);
  CHECK(neurark::arch::link_timing(two, grid, grid.link_id(8, 14)).port == 2 * 2 + 1);
  // More ports than an edge facing a chip has routers: refused, naming the field, value and limit.
  CHECK_THROWS_WITH(ChipDescription::from_yaml_text(four + "  ports_per_edge: 3\n", "c.yaml"),
                    Contains("c.yaml:20: multichip.ports_per_edge: value 3 is not valid, expected at most the 2 border "
                             "routers of a chip edge that faces another chip (mesh.height 2)"));
  // Side by side only: the east and west edges (2 routers) are the only ones facing a chip.
  CHECK_THROWS_WITH(ChipDescription::from_yaml_text(std::string(kMinimal) + "multichip:\n  chips_y: 2\n  ports_per_edge: 4\n", "c.yaml"),
                    Contains("multichip.ports_per_edge: value 4 is not valid, expected at most the 3 border routers") &&
                        Contains("(mesh.width 3)"));
  CHECK(ChipDescription::from_yaml_text(std::string(kMinimal) + "multichip:\n  chips_y: 2\n  ports_per_edge: 3\n", "c.yaml")
            .multichip.ports_per_edge == 3);
  CHECK_THROWS_WITH(ChipDescription::from_yaml_text(four + "  ports_per_edge: 0\n", "c.yaml"),
                    Contains("multichip.ports_per_edge: value 0 is not valid, expected an integer in [1, 4096]"));
}

TEST_CASE("neurocore events: event_encoding and event_threshold, their errors, and the run/eval override", "[chip][events]") {
  using neurark::arch::EventEncoding;
  const ChipDescription plain = ChipDescription::from_yaml_text(kMinimal, "t.yaml");
  CHECK(plain.core.events == neurark::arch::EventMode{});  // absolute, 0: the dense path
  const ChipDescription sd = ChipDescription::from_yaml_text(
      with("  accumulators: 64\n", "  accumulators: 64\n  event_encoding: sigma_delta\n  event_threshold: 3\n"), "t.yaml");
  CHECK(sd.core.events.encoding == EventEncoding::kSigmaDelta);
  CHECK(sd.core.events.threshold == 3);
  CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("  accumulators: 64\n", "  accumulators: 64\n  event_threshold: 255\n"),
                                                    "c.yaml"),
                    Contains("c.yaml:14:") && Contains("neurocore.event_threshold: value 255 is not valid, expected an integer in [0, 254]"));
  CHECK_THROWS_WITH(ChipDescription::from_yaml_text(with("  accumulators: 64\n", "  accumulators: 64\n  event_encoding: delta\n"),
                                                    "c.yaml"),
                    Contains("neurocore.event_encoding") && Contains("'delta'") && Contains("one of absolute | sigma_delta"));
  // The override of run / eval: given fields replace the chip's, the others stay.
  neurark::arch::EventOverride o;
  CHECK(neurark::arch::chip_text_with_events(kMinimal, "t.yaml", o) == kMinimal);  // nothing given: the text itself
  o.threshold = 5;
  const std::string t5 = neurark::arch::chip_text_with_events(
      with("  accumulators: 64\n", "  accumulators: 64\n  event_encoding: sigma_delta\n"), "t.yaml", o);
  const ChipDescription c5 = ChipDescription::from_yaml_text(t5, "t.yaml");
  CHECK(c5.core.events.encoding == EventEncoding::kSigmaDelta);  // kept from the chip
  CHECK(c5.core.events.threshold == 5);
  CHECK(c5.core.lanes == 4);
  CHECK(c5.name == "t");
  o.threshold = 300;
  CHECK_THROWS_WITH(neurark::arch::chip_text_with_events(kMinimal, "t.yaml", o),
                    Contains("--event-threshold: 300 is out of range, expected 0 to 254"));
  o.threshold = -1;
  CHECK_THROWS_WITH(o.check(), Contains("--event-threshold: -1 is out of range"));
}
