// Catch2 tests of the RTL neurocore (ctest label rtl): the harness "neurocore" of the registry
// (random cores, edge cases) has vectors and no mismatch (rtl/src/harness_test.hpp), every
// event's cycles equal neurocore_event_cycles (a mismatch otherwise), the sample event trace
// replays, and NeurocoreSim's interface behaves as neurark/rtl/neurocore.hpp says.
#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <verilated.h>

#include "Vnrk_neurocore.h"
#include "neurark/arch/error.hpp"
#include "neurark/arch/weight_memory.hpp"
#include "neurark/rtl/neurocore.hpp"
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
  CHECK(rep.events == 1941);
  CHECK(rep.accumulator_checks == 8);
  // 256-row tiles, word-aligned 64-byte columns: 2 + max(16, 8) = 18 cycles per event.
  CHECK(rep.rtl_event_cycles == 18 * rep.events);
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
  auto ctx = std::make_unique<VerilatedContext>();
  ctx->randReset(0);
  Vnrk_neurocore m(ctx.get(), "dut");
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
    m.tt_slot_i = static_cast<CData>(slot);
    m.tt_base_i = static_cast<SData>(base);
    m.tt_rows_i = static_cast<SData>(rows);
    m.tt_k_i = static_cast<IData>(k);
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
    m.ev_slot_i = static_cast<CData>(slot);
    m.ev_col_i = static_cast<SData>(col);
    m.ev_q_i = static_cast<CData>(static_cast<uint8_t>(q));
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
  // Read slot 0 out (scale 1.0): rows 0..3 = +3, last on row 3; then slot 1's event runs.
  m.ro_valid_i = 1;
  m.ro_slot_i = 0;
  m.ro_scale_mant_i = 0x80000000u;
  m.ro_scale_exp_i = static_cast<IData>(-31);
  m.acc_ready_i = 1;
  m.eval();
  REQUIRE(m.ro_ready_o);
  tick();
  m.ro_valid_i = 0;
  std::vector<int32_t> got;
  for (int i = 0; i < 10 && got.size() < 4; ++i) {
    m.eval();
    if (m.acc_valid_o) {
      CHECK(static_cast<int>(m.acc_row_o) == static_cast<int>(got.size()));
      CHECK(static_cast<int32_t>(m.acc_y_o) == 3);
      CHECK((m.acc_last_o != 0) == (got.size() == 3));
      got.push_back(static_cast<int32_t>(m.acc_data_o));
    }
    tick();
  }
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
  m.final();
}
