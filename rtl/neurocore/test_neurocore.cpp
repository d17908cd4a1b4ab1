// SPDX-License-Identifier: Apache-2.0
// Catch2 tests of the RTL neurocore (ctest label rtl): the harness "neurocore" of the registry
// (random cores, edge cases) has vectors and no mismatch (rtl/src/harness_test.hpp), every
// event's cycles equal neurocore_event_cycles (a mismatch otherwise), the sample event trace
// replays, and NeurocoreSim's interface behaves as neurark/rtl/neurocore.hpp says.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "neurark/arch/error.hpp"
#include "neurark/arch/weight_memory.hpp"
#include "neurark/rtl/chip_params.hpp"
#include "neurark/rtl/model.hpp"
#include "neurark/rtl/neurocore.hpp"
#include "neurark/rtl/synth.hpp"
#include "neurark/rtl/verify.hpp"
#include "neurocore/harness.hpp"
#include "src/harness_test.hpp"

namespace {

using neurark::rtl::BlockResult;
using neurark::rtl::VerifyOptions;
using neurark::rtl::test::require_clean;
using neurark::rtl::test::test_options;

const std::string kSampleTrace = std::string(NEURARK_SOURCE_DIR) + "/traces/samples/events-core-1-1.jsonl";

}  // namespace

TEST_CASE("neurocore RTL: every registered neurocore block matches arch and the cycle formula", "[rtl]") {
  neurark::rtl::test::require_area_clean("neurocore");
}

TEST_CASE("neurocore RTL: the sample event trace replays", "[rtl]") {
  const auto rep = neurark::rtl::neurocore::replay_trace(kSampleTrace, test_options());
  require_clean(rep.result);
  CHECK(rep.result.block == "neurocore");
  CHECK(rep.events == 509);
  CHECK(rep.accumulator_checks == 2);  // one tile (layer 1's gate_proj, 1024 rows), 2 tokens
  // A 1024-row tile, 256-byte columns (32 words of 64 bits): 2 + max(1024 / 16, 32) = 66 cycles per event.
  CHECK(rep.rtl_event_cycles == 66 * rep.events);
}

TEST_CASE("neurocore RTL: the registry lists the harness, the same seed gives the same run", "[rtl]") {
  const neurark::rtl::BlockHarness* h = nullptr;
  for (const auto& b : neurark::rtl::block_harnesses())
    if (b.name == "neurocore") h = &b;
  REQUIRE(h != nullptr);
  VerifyOptions o = test_options(500);
  o.trace_path = kSampleTrace;
  const std::vector<BlockResult> a = require_clean(*h, o), b = h->run(o);
  REQUIRE(a.size() == 3);
  REQUIRE(b.size() == 3);
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].vectors == b[i].vectors);
    CHECK(a[i].cycles == b[i].cycles);
  }
}

TEST_CASE("neurocore RTL: NeurocoreSim interface", "[rtl]") {
  using neurark::rtl::NeurocoreSim;
  NeurocoreSim s;
  CHECK(s.name().find("rtl nrk_neurocore (16 lanes, 1024 accumulators") == 0);
  // 64 rows of +1 in column 0, -1 in column 1 (k = 2).
  std::vector<int8_t> w(64 * 2);
  for (int r = 0; r < 64; ++r) {
    w[static_cast<std::size_t>(2 * r)] = 1;
    w[static_cast<std::size_t>(2 * r + 1)] = -1;
  }
  std::vector<uint8_t> mem;
  neurark::arch::write_packed2_tile(w.data(), 2, 0, 64, mem);
  s.load_tile(42, mem, 64, 2);
  s.load_tile(7, std::vector<uint8_t>(1, 0x01), 1, 1);  // one row, weight +1
  CHECK(s.tile_base(42) == 0);
  CHECK(s.tile_base(7) == 32);
  const int64_t c0 = s.cycles();
  const std::vector<int64_t> cyc = s.run_events(42, {{0, 5}, {1, -128}, {0, 1}});
  CHECK(cyc == std::vector<int64_t>{6, 6, 6});  // 2 + 64 / 16
  CHECK(s.last_sops() == std::vector<int64_t>{64, 64, 64});
  CHECK(s.cycles() - c0 == 3 + 18);  // + the FIFO write, the done pulse, the cycle after it
  CHECK(s.run_events(7, {{0, 3}}) == std::vector<int64_t>{3});  // spills tile 42
  CHECK(s.stats().spills == 1);
  const std::vector<int32_t> a = s.take_accumulators(42);
  REQUIRE(a.size() == 64);
  for (int32_t v : a) CHECK(v == 5 + 128 + 1);
  CHECK(s.take_accumulators(42) == std::vector<int32_t>(64, 0));
  CHECK(s.take_accumulators(7) == std::vector<int32_t>{3});
  // Sigma-delta events (docs/numerics.md §5b): take with keep leaves the accumulators to the next
  // token's changes, across a spill too: 5 + 1, then -2 more (a change), then 7 more.
  CHECK(s.run_events(42, {{0, 5}, {1, -1}}).size() == 2);
  CHECK(s.take_accumulators(42, true) == std::vector<int32_t>(64, 6));
  s.run_events(42, {{0, -2}});
  CHECK(s.take_accumulators(42, true) == std::vector<int32_t>(64, 4));
  s.run_events(42, {{1, -7}});
  s.run_events(7, {{0, 1}});  // spills tile 42's fresh partial sums
  CHECK(s.take_accumulators(42, true) == std::vector<int32_t>(64, 11));
  CHECK(s.take_accumulators(42) == std::vector<int32_t>(64, 11));  // without keep: cleared after
  CHECK(s.take_accumulators(42) == std::vector<int32_t>(64, 0));
  CHECK(s.take_accumulators(7) == std::vector<int32_t>{1});
  // The kept accumulators went back into the RTL through the preload port before each of the two
  // later runs of tile 42 (64 rows, one per cycle); the sums were formed in RTL.
  CHECK(s.stats().preloads == 2);
  CHECK(s.stats().preload_cycles == 2 * 64);
  // Accumulators set from outside (a state memory's copy): preloaded before the next events.
  s.set_accumulators(7, {2147483000});
  CHECK(s.take_accumulators(7, true) == std::vector<int32_t>{2147483000});  // no events: as set
  CHECK(s.stats().preloads == 2);
  s.run_events(7, {{0, 127}});
  CHECK(s.stats().preloads == 3);
  CHECK(s.stats().preload_cycles == 2 * 64 + 1);
  CHECK(s.take_accumulators(7) == std::vector<int32_t>{2147483127});
  CHECK_THROWS_WITH(s.set_accumulators(7, {1, 2}), Catch::Contains("tile 7 has 1 rows, 2 accumulators given"));
  CHECK(s.run_events(7, {}).empty());
  CHECK_THROWS_AS(s.run_events(8, {{0, 1}}), neurark::Error);
  CHECK_THROWS_AS(s.run_events(42, {{2, 1}}), neurark::Error);
  CHECK(neurark::rtl::neurocore_event_cycles(256, 3, 16, 64) == 18);
  CHECK(neurark::rtl::neurocore_event_cycles(17, 4, 16, 64) == 4);  // byte 20: aligned, 2 steps
  CHECK(neurark::rtl::neurocore_event_cycles(17, 1, 16, 64) == 5);  // byte 5: 2 steps, 2 words
  CHECK(neurark::rtl::neurocore_event_cycles(36, 1, 16, 64) == 6);  // byte 9: 3 steps, 2 words
  // Tiles are placed word-aligned (arch's rule assumes it): an unaligned base is refused.
  CHECK_THROWS_AS(neurark::rtl::neurocore_event_cycles(256, 3, 16, 64, 3), std::invalid_argument);
  CHECK(neurark::rtl::neurocore_event_cycles(256, 3, 16, 64, 8) == 18);
  CHECK_THROWS_AS(neurark::rtl::neurocore_event_cycles(16, 0, 16, 16), std::invalid_argument);
  CHECK(neurark::rtl::neurocore_event_cycles(1024, 0, 16, 64) == 66);
}

// Not run by ctest (hidden tag): the simulation speed of the sample trace replay (20 replays).
TEST_CASE("neurocore RTL: trace replay speed", "[.speed]") {
  int64_t cycles = 0, events = 0;
  double seconds = 0;
  for (int i = 0; i < 20; ++i) {
    const auto rep = neurark::rtl::neurocore::replay_trace(kSampleTrace, test_options());
    require_clean(rep.result);
    cycles += rep.result.cycles;
    events += rep.events;
    seconds += rep.wall_seconds;
  }
  WARN("trace replay x 20: " << events << " events, " << cycles << " cycles in " << seconds
                             << " s: " << static_cast<double>(cycles) / seconds << " cycles/s, "
                             << static_cast<double>(events) / seconds << " events/s");
}

// The RTL behaviours NeurocoreSim never exercises (it checks events before sending them), on the
// Verilated model directly: events naming a free slot or a column >= k are dropped and flagged;
// an event of another slot waits at the FIFO head while the accumulators are live, until a
// readout clears them; reading a free slot reads no rows and only clears.
TEST_CASE("neurocore RTL: drops, the owner rule and free-slot readouts (raw model)", "[rtl]") {
  using neurark::rtl::Port;
  // The default chip's model (compiled in), through its ports by name.
  struct Raw {
    std::unique_ptr<neurark::rtl::VerilatedModel> model;
    Port clk_i, rst_ni, tt_we_i, tt_slot_i, tt_base_i, tt_rows_i, tt_k_i, sram_we_i, sram_waddr_i, sram_wdata_i,
        ev_valid_i, ev_ready_o, ev_slot_i, ev_col_i, ev_q_i, fifo_count_o, err_event_o, acc_live_o, acc_slot_o,
        ro_valid_i, ro_ready_o, ro_slot_i, ro_scale_mant_i, ro_scale_exp_i, acc_ready_i, acc_valid_o, acc_row_o,
        acc_y_o, acc_last_o, acc_data_o, pl_valid_i, pl_ready_o, pl_slot_i, pl_row_i, pl_data_i, pl_last_i;
    void eval() { model->eval(); }
  } m;
  m.model = neurark::rtl::VerilatedModel::open(
      "neurocore", neurark::rtl::chip_rtl(neurark::arch::ChipDescription{}).neurocore.verilog(), "dut");
  CHECK(m.model->build().compiled_in);
  for (auto [port, name] : std::vector<std::pair<Port*, const char*>>{
           {&m.clk_i, "clk_i"},           {&m.rst_ni, "rst_ni"},
           {&m.tt_we_i, "tt_we_i"},       {&m.tt_slot_i, "tt_slot_i"},
           {&m.tt_base_i, "tt_base_i"},   {&m.tt_rows_i, "tt_rows_i"},
           {&m.tt_k_i, "tt_k_i"},         {&m.sram_we_i, "sram_we_i"},
           {&m.sram_waddr_i, "sram_waddr_i"}, {&m.sram_wdata_i, "sram_wdata_i"},
           {&m.ev_valid_i, "ev_valid_i"}, {&m.ev_ready_o, "ev_ready_o"},
           {&m.ev_slot_i, "ev_slot_i"},   {&m.ev_col_i, "ev_col_i"},
           {&m.ev_q_i, "ev_q_i"},         {&m.fifo_count_o, "fifo_count_o"},
           {&m.err_event_o, "err_event_o"}, {&m.acc_live_o, "acc_live_o"},
           {&m.acc_slot_o, "acc_slot_o"}, {&m.ro_valid_i, "ro_valid_i"},
           {&m.ro_ready_o, "ro_ready_o"}, {&m.ro_slot_i, "ro_slot_i"},
           {&m.ro_scale_mant_i, "ro_scale_mant_i"}, {&m.ro_scale_exp_i, "ro_scale_exp_i"},
           {&m.acc_ready_i, "acc_ready_i"}, {&m.acc_valid_o, "acc_valid_o"},
           {&m.acc_row_o, "acc_row_o"},   {&m.acc_y_o, "acc_y_o"},
           {&m.acc_last_o, "acc_last_o"}, {&m.acc_data_o, "acc_data_o"},
           {&m.pl_valid_i, "pl_valid_i"}, {&m.pl_ready_o, "pl_ready_o"},
           {&m.pl_slot_i, "pl_slot_i"},   {&m.pl_row_i, "pl_row_i"},
           {&m.pl_data_i, "pl_data_i"},   {&m.pl_last_i, "pl_last_i"}})
    *port = m.model->port(name);
  auto tick = [&] {
    m.eval();
    m.clk_i = 1;
    m.eval();
    m.clk_i = 0;
    m.eval();
  };
  m.clk_i = 0;
  m.rst_ni = 0;
  tick();
  m.rst_ni = 1;
  m.eval();
  auto tile = [&](int slot, int base, int rows, int k) {
    m.tt_we_i = 1;
    m.tt_slot_i = static_cast<uint64_t>(slot);
    m.tt_base_i = static_cast<uint64_t>(base);
    m.tt_rows_i = static_cast<uint64_t>(rows);
    m.tt_k_i = static_cast<uint64_t>(k);
    tick();
    m.tt_we_i = 0;
  };
  // Slot 0: 4 rows, k 2 at byte 0 (column 0 all +1: byte 0x55); slot 1: 4 rows, k 1 at byte 8
  // (all -1: 0xff).
  m.sram_we_i = 1;
  m.sram_waddr_i = 0;
  m.sram_wdata_i = 0x55;
  tick();
  m.sram_waddr_i = 1;
  m.sram_wdata_i = 0xff;
  tick();
  m.sram_we_i = 0;
  tile(0, 0, 4, 2);
  tile(1, 8, 4, 1);
  auto push = [&](int slot, int col, int q) {
    m.ev_valid_i = 1;
    m.ev_slot_i = static_cast<uint64_t>(slot);
    m.ev_col_i = static_cast<uint64_t>(col);
    m.ev_q_i = static_cast<uint8_t>(q);
    m.eval();
    REQUIRE(m.ev_ready_o);
    tick();
    m.ev_valid_i = 0;
  };
  auto run = [&](int cycles) {
    for (int i = 0; i < cycles; ++i) tick();
  };
  // Column 2 of slot 0 (k 2) and any event of the free slot 5: dropped, flagged.
  push(0, 2, 1);
  push(5, 0, 1);
  run(3);
  m.eval();
  CHECK(m.fifo_count_o == 0);
  CHECK(m.err_event_o);
  CHECK_FALSE(m.acc_live_o);
  // Slot 0 then slot 1: slot 1's event waits while slot 0 owns the accumulators.
  push(0, 0, 3);
  push(1, 0, 7);
  run(20);
  m.eval();
  CHECK(m.acc_live_o);
  CHECK(m.acc_slot_o == 0);
  CHECK(m.fifo_count_o == 1);
  // A readout of 4 rows of `slot` (scale 1.0): the raw values in row order, last on row 3, and
  // the requantized ones in ys.
  std::vector<int32_t> ys;
  auto read4 = [&](int slot) {
    m.ro_valid_i = 1;
    m.ro_slot_i = static_cast<uint64_t>(slot);
    m.ro_scale_mant_i = 0x80000000u;
    m.ro_scale_exp_i = static_cast<uint32_t>(-31);
    m.acc_ready_i = 1;
    m.eval();
    REQUIRE(m.ro_ready_o);
    tick();
    m.ro_valid_i = 0;
    std::vector<int32_t> rows;
    ys.clear();
    for (int i = 0; i < 10 && rows.size() < 4; ++i) {
      m.eval();
      if (m.acc_valid_o) {
        CHECK(static_cast<int>(m.acc_row_o.get()) == static_cast<int>(rows.size()));
        CHECK((m.acc_last_o != 0) == (rows.size() == 3));
        rows.push_back(static_cast<int32_t>(m.acc_data_o.get()));
        ys.push_back(static_cast<int32_t>(m.acc_y_o.get()));
      }
      tick();
    }
    return rows;
  };
  // Read slot 0 out: rows 0..3 = +3; then slot 1's event runs.
  const std::vector<int32_t> got = read4(0);
  CHECK(ys == std::vector<int32_t>{3, 3, 3, 3});
  CHECK(got == std::vector<int32_t>{3, 3, 3, 3});
  run(20);
  m.eval();
  CHECK_FALSE(m.err_event_o);  // cleared by the readout
  CHECK(m.fifo_count_o == 0);
  CHECK(m.acc_live_o);
  CHECK(m.acc_slot_o == 1);
  // A readout of the free slot 9 reads nothing and clears slot 1's accumulators.
  m.ro_valid_i = 1;
  m.ro_slot_i = 9;
  m.eval();
  REQUIRE(m.ro_ready_o);
  tick();
  m.ro_valid_i = 0;
  for (int i = 0; i < 5; ++i) {
    m.eval();
    CHECK_FALSE(m.acc_valid_o);
    tick();
  }
  m.eval();
  CHECK_FALSE(m.acc_live_o);
  CHECK(m.ro_ready_o);
  // Preload: slot 1's rows 3, 1, 0 (row 2 not written: 0), one per cycle; the first row makes
  // slot 1 the owner; no readout while the stream runs; a readout request goes first.
  m.pl_slot_i = 1;
  m.pl_row_i = 3;
  m.pl_data_i = static_cast<uint32_t>(-1000);
  m.pl_last_i = 0;
  m.ro_valid_i = 1;
  m.pl_valid_i = 1;
  m.eval();
  CHECK_FALSE(m.pl_ready_o);  // a readout is requested
  m.ro_valid_i = 0;
  m.eval();
  REQUIRE(m.pl_ready_o);
  tick();
  m.eval();
  CHECK(m.acc_live_o);
  CHECK(m.acc_slot_o == 1);
  CHECK_FALSE(m.ro_ready_o);  // the stream is open
  m.pl_valid_i = 0;           // a gap: held open
  tick();
  m.eval();
  CHECK_FALSE(m.ro_ready_o);
  CHECK(m.pl_ready_o);
  for (auto [row, v, last] : std::vector<std::tuple<int, int32_t, bool>>{{1, 2147483640, false}, {0, -2147483647 - 1, true}}) {
    m.pl_valid_i = 1;
    m.pl_slot_i = 5;  // ignored after the first row
    m.pl_row_i = static_cast<uint64_t>(row);
    m.pl_data_i = static_cast<uint32_t>(v);
    m.pl_last_i = last;
    m.eval();
    REQUIRE(m.pl_ready_o);
    tick();
  }
  m.pl_valid_i = 0;
  m.pl_last_i = 0;
  m.eval();
  CHECK(m.acc_slot_o == 1);
  CHECK(m.ro_ready_o);
  // A preload of another slot waits while slot 1 owns the accumulators.
  m.pl_slot_i = 0;
  m.pl_valid_i = 1;
  m.eval();
  CHECK_FALSE(m.pl_ready_o);
  m.pl_valid_i = 0;
  // Slot 1's event (column 0: every weight -1, q = -7) adds 7 to every row, on the preloaded values.
  push(1, 0, -7);
  run(20);
  CHECK(read4(1) == std::vector<int32_t>{-2147483647 - 1 + 7, 2147483647, 7, -993});
  m.eval();
  CHECK_FALSE(m.acc_live_o);
}

// ---- RTL at any chip's parameters (neurark/rtl/chip_params.hpp, build.hpp, model.hpp) ----------

namespace {

neurark::arch::ChipDescription tiny_chip() {
  return neurark::arch::ChipDescription::from_file(std::string(NEURARK_SOURCE_DIR) + "/tests/fixtures/tiny-3x2.yaml");
}

// A fresh folder for a cache of the test's own (removed at the end).
struct TempCache {
  std::filesystem::path dir;
  explicit TempCache(const std::string& name)
      : dir(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
  }
  ~TempCache() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

TEST_CASE("chip RTL: the default chip's models are compiled in, a chip's parameters map onto the RTL's", "[rtl]") {
  using namespace neurark::rtl;
  const ChipRtl def = chip_rtl(neurark::arch::ChipDescription{});
  CHECK(def.limits.empty());
  // The compiled-in models are exactly the default chip's: no on-demand build for it.
  CHECK(has_compiled_in_model("neurocore", def.neurocore.verilog()));
  CHECK(has_compiled_in_model("lane_array", def.neurocore.lane_array_verilog()));
  CHECK(has_compiled_in_model("router", def.router.verilog()));
  CHECK(has_compiled_in_model("mesh", def.mesh.verilog()));
  CHECK(has_compiled_in_model("mesh", chip_rtl(tiny_chip()).mesh.verilog()));  // the tiny-3x2 variant
  CHECK_FALSE(has_compiled_in_model("neurocore", chip_rtl(tiny_chip()).neurocore.verilog()));
  // The presets.
  for (const char* preset : {"default-4x4", "edge-2x2", "large-16x16", "loihi2-like"}) {
    INFO(preset);
    const ChipRtl r = chip_rtl(neurark::arch::ChipDescription::from_file(std::string(NEURARK_SOURCE_DIR) + "/arch/chips/" +
                                                                       preset + ".yaml"));
    for (const RtlLimit& l : r.limits) INFO(l.text());
    CHECK(r.limits.empty());
  }
  const ChipRtl large = chip_rtl(neurark::arch::ChipDescription::from_file(std::string(NEURARK_SOURCE_DIR) +
                                                                          "/arch/chips/large-16x16.yaml"));
  CHECK(large.neurocore.lanes == 32);
  CHECK(large.neurocore.accumulators == 4096);
  CHECK(large.neurocore.sram_port_bits == 128);
  CHECK(large.neurocore.synapse_sram_bytes == 524288);
  CHECK(large.neurocore.tile_slots == 128);  // one per 4 KB of synapse SRAM
  CHECK(large.router.flit_bits == 128);
  CHECK(large.mesh.router.table_entries == 1024);  // 4 flows per node of the 16 x 16 mesh
  CHECK(large.mesh.router.flow_bits == 10);
  // The image's flows size the tables.
  CHECK(chip_rtl(neurark::arch::ChipDescription{}, 300).mesh.router.table_entries == 512);
  // What the RTL cannot take: every parameter named, with its value and the supported range.
  neurark::arch::ChipDescription bad;
  bad.name = "bad";
  bad.core.lanes = 24;
  bad.core.sram_port_bits = 32;
  bad.core.weight_encoding = neurark::arch::WeightEncoding::kSparse;
  bad.core.input_fifo_depth = 1;
  bad.noc.router_latency_cycles = 0;
  const ChipRtl b = chip_rtl(bad);
  std::vector<std::string> params;
  for (const RtlLimit& l : b.limits) params.push_back(l.parameter);
  CHECK(params == std::vector<std::string>{"neurocore.weight_encoding", "neurocore.lanes", "neurocore.sram_port_bits",
                                           "neurocore.accumulators", "neurocore.input_fifo_depth",
                                           "noc.router_latency_cycles"});
  CHECK(b.limits_of("neurocore").size() == 5);
  CHECK(b.limits_of("mesh").size() == 1);
  CHECK(b.limits_of("requantize").empty());
  try {
    b.require("neurocore", "test");
    FAIL("no refusal");
  } catch (const neurark::Error& e) {
    const std::string m = e.what();
    CHECK_THAT(m, Catch::Contains("test: the RTL neurocore cannot take chip 'bad'"));
    CHECK_THAT(m, Catch::Contains("neurocore.lanes is 24; the RTL takes a power of two from 4 to 1024"));
    CHECK_THAT(m, Catch::Contains("neurocore.sram_port_bits is 32 (with 24 lanes); the RTL takes a power of two, at least 2 x lanes"));
    CHECK_THAT(m, Catch::Contains("neurocore.weight_encoding is sparse; the RTL takes packed2"));
  }
  // NeurocoreSim refuses such a chip before building anything.
  const int64_t built = models_built();
  CHECK_THROWS_WITH(NeurocoreSim(bad), Catch::Contains("neurocore.lanes is 24"));
  neurark::arch::NeurocoreParams narrow;  // a 16-bit port for 16 lanes
  narrow.sram_port_bits = 16;
  CHECK_THROWS_WITH(NeurocoreSim(narrow), Catch::Contains("neurocore.sram_port_bits is 16 (with 16 lanes)"));
  CHECK(models_built() == built);
}

TEST_CASE("chip RTL: a model is built once into the cache, atomically, and concurrent requests share the build", "[rtl]") {
  using namespace neurark::rtl;
  namespace fs = std::filesystem;
  TempCache cache("neurark-test-rtl-cache");
  BuildOptions o;
  o.cache_dir = cache.dir.string();
  std::vector<std::string> said;
  std::mutex said_mu;
  o.progress = [&](const std::string& l) {
    std::lock_guard<std::mutex> lock(said_mu);
    said.push_back(l);
  };
  const RtlParams p = chip_rtl(tiny_chip()).neurocore.verilog();
  const std::string name = "neurocore-" + model_hash("neurocore", p);
  // A killed build's temporary folder (its process is gone: a pid above Linux's pid_max).
  fs::create_directories(cache.dir / (".tmp-" + name + "-4194305-deadbeef") / "build");
  // Two requests at once: one builds, the other waits for it on the entry's lock, then finds it.
  const int64_t before = models_built();
  ModelBuild a, b;
  std::thread t1([&] { a = build_model("neurocore", p, o); });
  std::thread t2([&] { b = build_model("neurocore", p, o); });
  t1.join();
  t2.join();
  CHECK(models_built() == before + 1);
  CHECK(a.built != b.built);
  CHECK(a.path == b.path);
  CHECK(a.hash == b.hash);
  CHECK(fs::path(a.path) == cache.dir / name);
  CHECK(fs::is_regular_file(cache.dir / name / "model.so"));
  CHECK(fs::is_regular_file(cache.dir / name / "model.json"));
  CHECK(fs::is_regular_file(cache.dir / name / "src" / "rtl" / "neurocore" / "nrk_neurocore.sv"));
  for (const fs::directory_entry& e : fs::directory_iterator(cache.dir))  // no temporary folder left
    CHECK(e.path().filename().string().rfind(".tmp-", 0) != 0);
  CHECK(std::any_of(said.begin(), said.end(), [](const std::string& l) { return l.find("building the neurocore model") == 0; }));
  // A second request reuses the entry: no build, the shared object untouched.
  const auto mtime = fs::last_write_time(cache.dir / name / "model.so");
  const ModelBuild c = build_model("neurocore", p, o);
  CHECK_FALSE(c.built);
  CHECK(c.path == a.path);
  CHECK(models_built() == before + 1);
  CHECK(fs::last_write_time(cache.dir / name / "model.so") == mtime);
  // Another parameter or another block is another entry (not built here: only its key).
  RtlParams q = p;
  q.back().value = 15;
  CHECK(model_hash("neurocore", q) != model_hash("neurocore", p));
  CHECK(model_hash("lane_array", chip_rtl(tiny_chip()).neurocore.lane_array_verilog()) != model_hash("neurocore", p));
}

TEST_CASE("chip RTL: NeurocoreSim and the neurocore harness at a non-default chip (tiny-3x2)", "[rtl]") {
  using namespace neurark::rtl;
  const neurark::arch::ChipDescription chip = tiny_chip();
  NeurocoreSim s(chip);  // built on demand into the build folder's cache (or found there)
  CHECK(s.name() == "rtl nrk_neurocore (4 lanes, 8 accumulators, 64 bytes synapse SRAM, 16-bit port, 64-event input "
                    "FIFO, 16 tile slots)");
  CHECK_FALSE(s.model().compiled_in);
  CHECK(s.params().lanes == 4);
  // 8 rows x 2 columns: +1 / -1; every event 2 + 8 / 4 = 4 cycles.
  std::vector<int8_t> w(16);
  for (int r = 0; r < 8; ++r) {
    w[static_cast<std::size_t>(2 * r)] = 1;
    w[static_cast<std::size_t>(2 * r + 1)] = -1;
  }
  std::vector<uint8_t> mem;
  neurark::arch::write_packed2_tile(w.data(), 2, 0, 8, mem);
  s.load_tile(1, mem, 8, 2);
  CHECK(s.run_events(1, {{0, 5}, {1, 7}}) == std::vector<int64_t>{4, 4});
  CHECK(s.take_accumulators(1) == std::vector<int32_t>(8, -2));
  CHECK_THROWS_WITH(s.load_tile(2, std::vector<uint8_t>(64), 8, 32), Catch::Contains("the synapse SRAM is full"));
  // Every vector source of the harness, at the chip's parameters.
  VerifyOptions o = test_options(1500);
  o.chip = chip;
  for (const BlockHarness& h : block_harnesses())
    if (h.name == "neurocore" || h.name == "lane_array") {
      DYNAMIC_SECTION(h.name) { require_clean(h, o); }
    }
}

TEST_CASE("chip RTL: synthesis at a chip's parameters, cached (the tiny chip's lane array)", "[rtl]") {
  using namespace neurark::rtl;
  if (std::system("yosys -V >/dev/null 2>&1") != 0) {
    WARN("yosys not installed: synthesis not tested");
    return;
  }
  TempCache cache("neurark-test-rtl-synth");
  SynthOptions o;
  o.cache_dir = cache.dir.string();
  o.blocks = {"lane_array"};
  o.progress = [](const std::string&) {};
  const SynthResult r = synthesize(tiny_chip(), o);
  REQUIRE(r.blocks.size() == 1);
  const BlockArea& a = r.blocks[0];
  CHECK(a.top == "nrk_lane_array");
  CHECK(params_text(a.params) == "NumLanes=4,NumRows=8,SramBytes=64,SramPortBits=16");
  CHECK(a.configuration == "4 lanes, 8 int32 accumulators, 16-bit port (64 bytes SRAM as a macro)");
  CHECK_FALSE(a.cached);
  CHECK(a.cells > a.flip_flops);
  CHECK(a.flip_flops >= 8 * 32);  // the accumulators
  CHECK(a.macro_cells == 1);
  CHECK(a.transistors_estimate > 0);
  REQUIRE(a.macros.size() == 1);
  CHECK(a.macros[0].module == "nrk_synapse_sram");
  CHECK(a.macros[0].words == 32);
  CHECK(a.macros[0].word_bits == 16);
  CHECK(a.macros[0].bits == 64 * 8);
  int64_t sum = 0;
  for (const auto& [type, n] : a.cell_types) sum += n;
  CHECK(sum == a.cells);
  const BlockArea again = synthesize_block("lane_array", a.params, o);
  CHECK(again.cached);
  CHECK(again.cells == a.cells);
  CHECK(again.flip_flops == a.flip_flops);
  CHECK(again.macros.size() == 1);
}

// Not run by ctest: `NEURARK_RTL_CHIP=arch/chips/large-16x16.yaml neurark_rtl_neurocore_tests
// "[.timing]"` prints how long the chip's neurocore and router models take to build (or to find
// in the cache) and to load (docs/rtl.md, "Measured build times").
TEST_CASE("chip RTL: build and load times at the chip in NEURARK_RTL_CHIP", "[.timing]") {
  using namespace neurark::rtl;
  const char* path = std::getenv("NEURARK_RTL_CHIP");
  REQUIRE(path != nullptr);
  const ChipRtl rtl = chip_rtl(neurark::arch::ChipDescription::from_file(path));
  for (const auto& [block, params] : std::vector<std::pair<std::string, RtlParams>>{{"neurocore", rtl.neurocore.verilog()},
                                                                                    {"router", rtl.router.verilog()}}) {
    const auto t0 = std::chrono::steady_clock::now();
    const ModelBuild b = build_model(block, params);
    const auto t1 = std::chrono::steady_clock::now();
    const auto m = VerilatedModel::open(block, params, "timing");
    const auto t2 = std::chrono::steady_clock::now();
    WARN(block << ": " << (b.built ? "built" : "found in the cache") << " in "
               << std::chrono::duration<double>(t1 - t0).count() << " s, opened (dlopen + instance) in "
               << std::chrono::duration<double>(t2 - t1).count() << " s: " << b.path);
  }
}
