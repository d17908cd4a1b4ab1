// SPDX-License-Identifier: Apache-2.0
// Catch2 tests of the datapath RTL blocks (ctest label rtl): every datapath block of the harness
// registry agrees with arch/ on every vector of every source (rtl/src/harness_test.hpp), the
// lane array replays the sample trace, and a deliberately broken copy of nrk_requantize is
// caught.
#include <catch2/catch.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "Vnrk_requantize_mut.h"
#include "harness.hpp"
#include "harness_requantize.hpp"
#include "neurark/rtl/verify.hpp"
#include "src/harness_test.hpp"

namespace {

using neurark::rtl::BlockResult;
using neurark::rtl::VerifyOptions;
using neurark::rtl::test::test_options;

}  // namespace

TEST_CASE("datapath RTL: every registered datapath block matches arch", "[rtl]") {
  neurark::rtl::test::require_area_clean("datapath");
}

TEST_CASE("datapath RTL: lane_array replays the sample event trace", "[rtl]") {
  VerifyOptions o = test_options(10);
  o.trace_path = std::string(NEURARK_SOURCE_DIR) + "/traces/samples/events-core-1-1.jsonl";
  const std::vector<BlockResult> results = neurark::rtl::datapath::lane_array_harness().run(o);
  REQUIRE(results.size() == 3);
  const BlockResult& r = results[2];
  neurark::rtl::test::require_clean(r);
  CHECK(r.source == "trace " + o.trace_path);
  CHECK(r.vectors == 509);  // the sample's `in` records
}

TEST_CASE("datapath RTL: the harness list names every block once, in order", "[rtl]") {
  std::vector<std::string> names;
  for (const auto& h : neurark::rtl::datapath_harnesses()) names.push_back(h.name);
  CHECK(names == std::vector<std::string>{"lane_array", "requantize", "activation", "mlgru", "norm_helper",
                                          "event_out"});
}

TEST_CASE("datapath RTL: a mutant of nrk_requantize (rounding bias subtracted) is caught", "[rtl]") {
  const VerifyOptions o = test_options(500);
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
  const VerifyOptions o = test_options(300, 7);
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
  VerifyOptions o = test_options(20);
  o.fst_path = (dir / "wave.fst").string();
  const auto results = neurark::rtl::datapath::requantize_harness().run(o);
  for (const BlockResult& r : results) neurark::rtl::test::require_clean(r);
  CHECK(fs::file_size(dir / "wave.requantize.random.fst") > 0);
  CHECK(fs::file_size(dir / "wave.requantize.edge.fst") > 0);
  fs::remove_all(dir);
}
#else
TEST_CASE("datapath RTL: a waveform request without FST support is refused", "[rtl]") {
  VerifyOptions o = test_options(1);
  o.fst_path = "wave.fst";
  CHECK_THROWS_AS(neurark::rtl::datapath::requantize_harness().run(o), std::invalid_argument);
}
#endif
