// SPDX-License-Identifier: Apache-2.0
// The network-on-chip RTL (rtl/noc/): every noc block of the harness registry is clean
// (rtl/src/harness_test.hpp); the measured zero-load latency is the documented pipeline (Latency
// per router, Latency + LinkLatency per hop); one link moves min(1, BufferDepth / credit round
// trip) flits per cycle; the real flows of the tiny model (compiled here) reach exactly their
// destinations.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/rtl/verify.hpp"
#include "noc/harness.hpp"
#include "src/harness_test.hpp"
#include "test_paths.hpp"

using namespace neurark;
using namespace neurark::rtl::noc;
namespace fs = std::filesystem;

namespace {

rtl::VerifyOptions options(int64_t vectors = 3000) { return rtl::test::test_options(vectors, 7); }

// A run is clean (rtl::test::require_clean) and delivered flits.
void check_clean(const NocRun& r) {
  rtl::test::require_clean(r.result);
  CHECK(r.stats.deliveries > 0);
}

}  // namespace

TEST_CASE("noc RTL: every registered noc block matches arch", "[rtl][noc]") {
  rtl::test::require_area_clean("noc");
}

TEST_CASE("router: random tables and traffic under random backpressure", "[rtl][noc]") {
  const NocRun r = router_random(options());
  check_clean(r);
  CHECK(r.result.vectors == 3000);
  CHECK(r.stats.latency_min == router_variant().router_latency);
}

TEST_CASE("router: zero-load latency is Latency cycles (noc.router_latency_cycles)", "[rtl][noc]") {
  const auto runs = router_edge_cases(options());
  // The back-to-back run: 5 contention-free streams, every flit exactly Latency cycles.
  const NocRun& b2b = runs[3];
  REQUIRE(b2b.deliveries.size() == 1000);
  for (const Delivery& d : b2b.deliveries) REQUIRE(d.latency() == router_variant().router_latency);
  CHECK(b2b.stats.deliveries_per_cycle > 4.9);
}

TEST_CASE("router: the verify-rtl harness list", "[rtl][noc]") {
  const auto h = rtl::noc_harnesses();
  REQUIRE(h.size() == 2);
  CHECK(h[0].name == "router");
  CHECK(h[1].name == "mesh");
  // The same list is what block_harnesses() holds for rtl/noc/.
  std::vector<std::string> noc;
  for (const rtl::BlockHarness& b : rtl::block_harnesses())
    if (b.area == "noc") noc.push_back(b.name);
  CHECK(noc == std::vector<std::string>{"router", "mesh"});
}

TEST_CASE("mesh: zero-load latency per hop is router + link latency and link saturation is depth over credit round trip", "[rtl][noc]") {
  for (const NocVariant& v : mesh_variants()) {
    INFO(v.describe());
    const NocCalibration c = calibrate(v, options());
    check_clean(c.zero_load);
    check_clean(c.link_stream);
    check_clean(c.uniform);
    CHECK(c.zero_load.result.vectors == int64_t{v.width} * v.width * v.height * v.height);
    CHECK(c.zero_load_exact);
    CHECK(c.local_cycles == v.router_latency);
    CHECK(c.cycles_per_hop == Approx(v.router_latency + v.link_latency));
    for (const Delivery& d : c.zero_load.deliveries) {
      const int64_t hops = std::abs(d.src % v.width - d.dst % v.width) + std::abs(d.src / v.width - d.dst / v.width);
      REQUIRE(d.latency() == (hops + 1) * v.router_latency + hops * v.link_latency);
    }
    CHECK(c.link_saturation == Approx(v.link_throughput()).margin(0.02));
    CHECK(c.uniform_saturation > 0.2);
    CHECK(c.uniform_saturation <= 1.0);
  }
}

TEST_CASE("mesh: the real flows of the tiny model reach exactly their destinations", "[rtl][noc]") {
  const fs::path dir = fs::temp_directory_path() / "neurark-test-rtl-noc";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string chip_path = test::source_dir() + "/tests/fixtures/tiny-3x2.yaml";
  const auto w = std::make_shared<const models::Checkpoint>(models::Checkpoint::open(test::source_dir() + "/tests/fixtures/tiny"));
  const arch::ChipDescription chip = arch::ChipDescription::from_file(chip_path);
  const compiler::Graph g = compiler::compile_graph(w, chip, test::slurp(chip_path), compiler::CompileOptions{});
  const std::string image = (dir / "tiny.nimg").string();
  compiler::emit(g, image);
  const arch::Program program = arch::Program::from_image(arch::Image::open(image));
  const int64_t flows = static_cast<int64_t>(program.flows.size());
  REQUIRE(flows > 0);

  const auto runs = mesh_image(image, options());
  REQUIRE(runs.size() == 2);
  // On the mesh3x2 variant: the tiny chip's own noc parameters, so latencies are its latencies.
  CHECK(runs[0].result.source.find("on mesh3x2:") != std::string::npos);
  CHECK(runs[0].result.source.find("timing of the RTL variant") == std::string::npos);
  for (const NocRun& r : runs) check_clean(r);
  CHECK(runs[0].result.vectors == flows);  // one event per flow, each alone: exact zero-load
  int64_t dsts = 0;
  for (const arch::Flow& f : program.flows) dsts += static_cast<int64_t>(f.dst_cores.size());
  CHECK(runs[0].stats.deliveries == dsts);
  CHECK(runs[1].result.vectors > flows);
  fs::remove_all(dir);
}

TEST_CASE("mesh: an image that does not fit any variant is refused with a reason", "[rtl][noc]") {
  const auto runs = mesh_image("/nonexistent/x.nimg", options());
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].result.mismatches == 1);
  CHECK_THAT(runs[0].result.first_mismatch, Catch::Contains("cannot read the image"));
}

// Not run by ctest: `neurark_rtl_noc_tests "[.print]"` prints what verify-rtl reports for rtl/noc/
// (default options: seed 1, 10000 vectors) and the calibration numbers.
TEST_CASE("print every noc harness result", "[.print]") {
  const rtl::VerifyOptions o;
  for (const rtl::BlockHarness& h : rtl::noc_harnesses())
    for (const rtl::BlockResult& r : h.run(o))
      std::printf("%-7s %-130s vectors %7lld mismatches %lld cycles %lld %s\n", r.block.c_str(), r.source.c_str(),
                  static_cast<long long>(r.vectors), static_cast<long long>(r.mismatches),
                  static_cast<long long>(r.cycles), r.first_mismatch.c_str());
}

// Not run by ctest: `NEURARK_RTL_IMAGE=x.nimg neurark_rtl_noc_tests "[.image]"` runs the flows of
// any compiled image through the mesh and prints the results.
TEST_CASE("the flows of the image in NEURARK_RTL_IMAGE", "[.image]") {
  const char* path = std::getenv("NEURARK_RTL_IMAGE");
  REQUIRE(path != nullptr);
  for (const NocRun& r : mesh_image(path, options())) {
    std::printf("%s\n  vectors %lld mismatches %lld cycles %lld %s\n", r.result.source.c_str(),
                static_cast<long long>(r.result.vectors), static_cast<long long>(r.result.mismatches),
                static_cast<long long>(r.result.cycles), r.result.first_mismatch.c_str());
    CHECK(r.result.mismatches == 0);
  }
}
