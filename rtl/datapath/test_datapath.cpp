// Catch2 tests of the datapath RTL blocks (ctest label rtl): every block agrees with arch/ on
// every vector of every source, and a deliberately broken copy of nrk_requantize is caught.
#include <catch2/catch.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "Vnrk_requantize_mut.h"
#include "harness.hpp"
#include "harness_requantize.hpp"
#include "neurark/rtl/verify.hpp"

namespace {

using neurark::rtl::BlockResult;
using neurark::rtl::VerifyOptions;

VerifyOptions test_options() {
  VerifyOptions o;
  o.seed = 1;
  o.vectors = 3000;
  return o;
}

void require_clean(const neurark::rtl::BlockHarness& h) {
  const std::vector<BlockResult> results = h.run(test_options());
  REQUIRE(results.size() >= 2);  // random and edge cases
  for (const BlockResult& r : results) {
    INFO(r.block << " / " << r.source << ": " << r.vectors << " vectors, " << r.mismatches << " mismatches, "
                  << r.cycles << " cycles; first mismatch: " << r.first_mismatch);
    CHECK(r.block == h.name);
    CHECK(r.vectors > 0);
    CHECK(r.cycles > 0);
    CHECK(r.mismatches == 0);
  }
}

}  // namespace

TEST_CASE("datapath RTL: lane_array matches arch::accumulate_event", "[rtl]") {
  require_clean(neurark::rtl::datapath::lane_array_harness());
}
TEST_CASE("datapath RTL: requantize matches arch::requantize", "[rtl]") {
  require_clean(neurark::rtl::datapath::requantize_harness());
}
TEST_CASE("datapath RTL: activation matches arch::sigmoid_q24 and silu_q16", "[rtl]") {
  require_clean(neurark::rtl::datapath::activation_harness());
}
TEST_CASE("datapath RTL: mlgru matches arch::mlgru_channel_q16", "[rtl]") {
  require_clean(neurark::rtl::datapath::mlgru_harness());
}
TEST_CASE("datapath RTL: norm_helper matches arch::sum_squares, absmax, normalize_block", "[rtl]") {
  require_clean(neurark::rtl::datapath::norm_helper_harness());
}
TEST_CASE("datapath RTL: event_out matches arch::quantize_absmax and pack_event", "[rtl]") {
  require_clean(neurark::rtl::datapath::event_out_harness());
}

TEST_CASE("datapath RTL: lane_array replays the sample event trace", "[rtl]") {
  VerifyOptions o = test_options();
  o.vectors = 10;
  o.trace_path = std::string(NEURARK_SOURCE_DIR) + "/traces/samples/events-core-1-1.jsonl";
  const std::vector<BlockResult> results = neurark::rtl::datapath::lane_array_harness().run(o);
  REQUIRE(results.size() == 3);
  const BlockResult& r = results[2];
  INFO(r.source << ": " << r.vectors << " vectors, " << r.mismatches << " mismatches; first: " << r.first_mismatch);
  CHECK(r.source == "trace " + o.trace_path);
  CHECK(r.vectors == 1941);  // the sample's `in` records
  CHECK(r.mismatches == 0);
}

TEST_CASE("datapath RTL: the harness list names every block once, in order", "[rtl]") {
  std::vector<std::string> names;
  for (const auto& h : neurark::rtl::datapath_harnesses()) names.push_back(h.name);
  CHECK(names == std::vector<std::string>{"lane_array", "requantize", "activation", "mlgru", "norm_helper",
                                          "event_out"});
}

TEST_CASE("datapath RTL: a mutant of nrk_requantize (rounding bias subtracted) is caught", "[rtl]") {
  VerifyOptions o = test_options();
  o.vectors = 500;
  const std::vector<BlockResult> results =
      neurark::rtl::datapath::run_requantize<Vnrk_requantize_mut>(o, "requantize (mutant)");
  REQUIRE(results.size() == 2);
  for (const BlockResult& r : results) {
    INFO(r.source << ": " << r.vectors << " vectors, " << r.mismatches << " mismatches; first: " << r.first_mismatch);
    CHECK(r.vectors > 0);
    CHECK(r.mismatches > 0);
    CHECK(!r.first_mismatch.empty());
  }
}

TEST_CASE("datapath RTL: the same seed gives the same run", "[rtl]") {
  VerifyOptions o = test_options();
  o.vectors = 300;
  o.seed = 7;
  const auto a = neurark::rtl::datapath::event_out_harness().run(o);
  const auto b = neurark::rtl::datapath::event_out_harness().run(o);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].source == b[i].source);
    CHECK(a[i].vectors == b[i].vectors);
    CHECK(a[i].cycles == b[i].cycles);
  }
  CHECK(a[0].source == "random seed 7");
}

#if NRK_DP_FST
TEST_CASE("datapath RTL: FST waveforms, one per block and source", "[rtl]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "neurark-rtl-datapath-fst";
  fs::remove_all(dir);
  fs::create_directories(dir);
  VerifyOptions o = test_options();
  o.vectors = 20;
  o.fst_path = (dir / "wave.fst").string();
  const auto results = neurark::rtl::datapath::requantize_harness().run(o);
  for (const BlockResult& r : results) CHECK(r.mismatches == 0);
  CHECK(fs::file_size(dir / "wave.requantize.random.fst") > 0);
  CHECK(fs::file_size(dir / "wave.requantize.edge.fst") > 0);
  fs::remove_all(dir);
}
#else
TEST_CASE("datapath RTL: a waveform request without FST support is refused", "[rtl]") {
  VerifyOptions o = test_options();
  o.vectors = 1;
  o.fst_path = "wave.fst";
  CHECK_THROWS_AS(neurark::rtl::datapath::requantize_harness().run(o), std::invalid_argument);
}
#endif
