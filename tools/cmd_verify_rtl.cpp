// SPDX-License-Identifier: Apache-2.0
// neurark verify-rtl [--chip CHIP.yaml] [--block NAME] [--trace FILE] [--vectors N] [--seed S]
// [--fst FILE] [--json]: the RTL block harnesses (rtl/, neurark/rtl/verify.hpp) against arch/, at
// the chip's parameters (models built on demand and cached: neurark/rtl/build.hpp); exit 1 on any
// mismatch, or if the RTL cannot take the chip (every such parameter named).
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#ifdef NEURARK_HAVE_RTL
#include "neurark/rtl/chip_params.hpp"
#include "neurark/rtl/verify.hpp"
#endif

namespace neurark::tools {

namespace {

struct Args {
  std::string chip, block, trace, fst;
  int64_t vectors = 10000;
  uint64_t seed = 1;
  bool json = false;
  CLI::Option* block_option = nullptr;
};

int run_verify_rtl(const Args& a) {
#ifndef NEURARK_HAVE_RTL
  (void)a;
  throw Error("verify-rtl: this build has no RTL harnesses (configure with -DNEURARK_BUILD_RTL=ON; needs Verilator)");
#else
  namespace nr = neurark::rtl;
  if (a.vectors < 1 || a.vectors > 100000000) throw Error(fmt::format("--vectors: {} is out of range, expected 1 to 10^8", a.vectors));
  if (!a.trace.empty() && !std::filesystem::is_regular_file(a.trace))
    throw Error(fmt::format("--trace {}: not a readable file (an event trace: neurark run --record-core X,Y)", a.trace));
  const auto& all = nr::block_harnesses();
  std::string names;
  for (const auto& h : all) names += (names.empty() ? "" : ", ") + h.name;
  if (a.block_option->count() > 0 && a.block.empty()) throw Error(fmt::format("--block: empty, expected one of {}", names));
  if (!a.block.empty() && std::none_of(all.begin(), all.end(), [&](const nr::BlockHarness& h) { return h.name == a.block; }))
    throw Error(fmt::format("--block {}: no such block; the blocks are {}", a.block, names));
  nr::VerifyOptions opt;
  opt.seed = a.seed;
  opt.vectors = a.vectors;
  opt.trace_path = a.trace;
  opt.fst_path = a.fst;
  if (!a.chip.empty()) {
    opt.chip = arch::ChipDescription::from_file(a.chip);
    // Every parameter the RTL cannot take, for the blocks to run, before anything runs.
    const nr::ChipRtl rtl = nr::chip_rtl(*opt.chip);
    std::vector<std::string> why;
    std::vector<std::string> seen;
    for (const auto& h : all)
      if (a.block.empty() || h.name == a.block)
        for (const nr::RtlLimit& l : rtl.limits_of(h.name))
          if (std::find(seen.begin(), seen.end(), l.parameter) == seen.end()) {
            seen.push_back(l.parameter);
            why.push_back(fmt::format("{} ({})", l.text(), h.name));
          }
    if (!why.empty())
      throw Error(fmt::format("verify-rtl --chip {}: the RTL cannot take chip '{}': {}", a.chip, opt.chip->name,
                              fmt::join(why, "; ")));
    std::cerr << fmt::format("verify-rtl: chip '{}' ({}): neurocore {}; router {}-bit flits, {}-flit buffers, latency {}; "
                             "mesh {} x {}\n",
                             opt.chip->name, a.chip, rtl.neurocore.describe(), rtl.router.flit_bits, rtl.router.buffer_depth,
                             rtl.router.latency, rtl.mesh.width, rtl.mesh.height);
  }
  nlohmann::json out = nlohmann::json::array();
  int64_t bad = 0;
  if (!a.json) std::cout << fmt::format("{:<16} {:<44} {:>10} {:>10} {:>12}\n", "block", "source", "vectors", "mismatches", "cycles");
  for (const auto& h : all) {
    if (!a.block.empty() && h.name != a.block) continue;
    std::cerr << fmt::format("verify-rtl: {} ...\n", h.name);
    std::vector<nr::BlockResult> results;
    try {
      results = h.run(opt);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {  // a harness refusing its options (e.g. --fst without FST support)
      throw Error(fmt::format("verify-rtl {}: {}", h.name, e.what()));
    }
    if (!a.trace.empty() && std::none_of(results.begin(), results.end(), [](const nr::BlockResult& r) {
          return r.source.rfind("trace", 0) == 0;
        }))
      std::cerr << fmt::format("verify-rtl: {} does not replay event traces (lane_array and neurocore do)\n", h.name);
    for (const nr::BlockResult& r : results) {
      bad += r.mismatches;
      out.push_back({{"block", r.block}, {"source", r.source}, {"vectors", r.vectors}, {"mismatches", r.mismatches},
                     {"cycles", r.cycles}, {"first_mismatch", r.first_mismatch}});
      if (!a.json) {
        std::cout << fmt::format("{:<16} {:<44} {:>10} {:>10} {:>12}\n", r.block, r.source, r.vectors, r.mismatches, r.cycles);
        if (!r.first_mismatch.empty()) std::cout << "  first mismatch: " << r.first_mismatch << "\n";
      }
    }
  }
  if (a.json)
    std::cout << nlohmann::json{{"chip", nr::verify_chip(opt).name}, {"seed", a.seed}, {"vectors_per_block", a.vectors},
                                {"results", out}, {"mismatches", bad}}
                     .dump(2)
              << "\n";
  else
    std::cout << fmt::format("{} mismatches (seed {})\n", bad, a.seed);
  return bad == 0 ? 0 : 1;
#endif
}

}  // namespace

std::function<int()> add_verify_rtl(CLI::App& sub) {
  auto a = std::make_shared<Args>();
  sub.add_option("--chip", a->chip,
                 "Run the blocks at this chip's parameters (models built on demand, cached; default: the default chip)");
  a->block_option = sub.add_option("--block", a->block, "Only this block (default: all)");
  sub.add_option("--trace", a->trace, "Also replay this event trace (neurark run --record-core; traces/README.md)");
  sub.add_option("--vectors", a->vectors, "Random vectors per block")->capture_default_str();
  sub.add_option("--seed", a->seed, "Seed of the random vectors, 0 to 2^63-1")->check(kSeedText)->capture_default_str();
  sub.add_option("--fst", a->fst, "Write an FST waveform of the block(s) here");
  sub.add_flag("--json", a->json, "Print the results as one JSON object");
  return [a] { return run_verify_rtl(*a); };
}

}  // namespace neurark::tools
