// SPDX-License-Identifier: Apache-2.0
// rtl/src/harness_test.hpp: what the Catch2 tests of the RTL areas share (ctest label rtl).
//
// Every block of the harness registry (neurark::rtl::block_harnesses(), neurark/rtl/verify.hpp)
// is checked by the same code: each area's test executable has one test case
//   TEST_CASE("datapath RTL: every registered block is clean", "[rtl]") {
//     neurark::rtl::test::require_area_clean("datapath");
//   }
// that runs every block the registry holds for that area, one Catch2 section per block, and
// requires every vector source of it to be clean (vectors and cycles > 0, no mismatch). A block
// added to an area's harness list is tested without a new test. The tests of what a block does
// beyond "clean" (mutants, trace replays, timing, calibration) use these helpers too.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "neurark/rtl/verify.hpp"

namespace neurark::rtl::test {

// The tests' options: seed 1 and 3,000 random vectors per block unless given (verify-rtl's
// default is 10,000).
inline VerifyOptions test_options(int64_t vectors = 3000, uint64_t seed = 1) {
  VerifyOptions o;
  o.seed = seed;
  o.vectors = vectors;
  return o;
}

// One harness result is clean: vectors compared, cycles simulated, no mismatch.
inline void require_clean(const BlockResult& r) {
  INFO(r.block << " / " << r.source << ": " << r.vectors << " vectors, " << r.mismatches << " mismatches, " << r.cycles
                << " cycles; first mismatch: " << r.first_mismatch);
  CHECK(r.vectors > 0);
  CHECK(r.cycles > 0);
  CHECK(r.mismatches == 0);
}

// One run of a harness: at least its random vectors and its edge cases, every result of this
// block and clean. Returns the results.
inline std::vector<BlockResult> require_clean(const BlockHarness& h, const VerifyOptions& o = test_options()) {
  const std::vector<BlockResult> results = h.run(o);
  INFO(h.name << ": " << results.size() << " results");
  REQUIRE(results.size() >= 2);
  for (const BlockResult& r : results) {
    CHECK(r.block == h.name);
    require_clean(r);
  }
  return results;
}

// Every block the registry holds for rtl/<area>/ is clean, one section per block.
inline void require_area_clean(const std::string& area, const VerifyOptions& o = test_options()) {
  int blocks = 0;
  for (const BlockHarness& h : block_harnesses()) {
    if (h.area != area) continue;
    ++blocks;
    DYNAMIC_SECTION(area << " / " << h.name) { require_clean(h, o); }
  }
  CHECK(blocks > 0);
}

}  // namespace neurark::rtl::test
