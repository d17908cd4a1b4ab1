// SPDX-License-Identifier: Apache-2.0
// Benchmark: compiling a published-size model. Synthesizes a checkpoint for an HF config
// (neurark synth-checkpoint's code) unless given a checkpoint folder, then measures
//   baseline  one streaming read of every tensor (what any tool must do at least once),
//   compile   import .. emit of the chip image (neurark compile's code),
// and prints wall times, their ratio (compile / baseline: both measured in this run), the peak
// resident memory of the process, and its ratio to the model's ternary weights packed at 2 bits
// (the target for MMfreeLM-2.7B: compile <= 60 s, peak <= 1.5 x packed 2-bit).
//   build/bench/bench_compile --config models/configs/mmfreelm-370m.json [--chip FILE] [--keep DIR]
//   build/bench/bench_compile --model DIR [--chip FILE]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/config.hpp"
#include "neurark/models/safetensors.hpp"
#include "neurark/models/synth.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // kB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  const std::string src = NEURARK_SOURCE_DIR;
  std::string config, model, keep, chip_path = src + "/arch/chips/large-16x16.yaml";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--config") config = v;
    else if (k == "--model") model = v;
    else if (k == "--chip") chip_path = v;
    else if (k == "--keep") keep = v;
    else {
      std::fprintf(stderr, "bench_compile: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (config.empty() == model.empty()) {
    std::fprintf(stderr, "usage: bench_compile --config CONFIG.json [--chip FILE] [--keep DIR] | --model DIR [--chip FILE]\n");
    return 2;
  }
  try {
    const fs::path work = fs::temp_directory_path() / fmt::format("neurark-bench-compile-{}", ::getpid());
    fs::create_directories(work);
    if (!config.empty()) {
      model = keep.empty() ? (work / "model").string() : keep;
      if (fs::exists(fs::path(model) / "config.json")) {
        fmt::print("synth     reusing {}\n", model);
      } else {
        const auto t0 = Clock::now();
        neurark::models::SynthOptions opt;
        opt.seed = 1;
        const auto r = neurark::models::synth_checkpoint(neurark::models::HGRNBitConfig::from_file(config), model, opt);
        fmt::print("synth     {:8.1f} s  {} parameters, {:.1f} MB BF16\n", since(t0), r.parameters, r.bytes / 1e6);
      }
    }
    const auto ck = std::make_shared<const neurark::models::Checkpoint>(neurark::models::Checkpoint::open(model));
    // Baseline: every tensor read once, as the compiler reads them (float32, pages released).
    auto t0 = Clock::now();
    std::vector<float> buf(std::size_t{1} << 20);
    uint64_t values = 0, ternary = 0;
    for (const std::string& name : ck->store->names()) {
      const uint64_t n = ck->store->find(name)->numel();
      for (uint64_t at = 0; at < n; at += buf.size()) {
        const uint64_t k = std::min<uint64_t>(buf.size(), n - at);
        ck->read(name, at, k, buf.data());
      }
      values += n;
      const auto& shape = ck->store->find(name)->shape;
      if (shape.size() == 2 && name != "model.embeddings.weight" && name != "model.lower_bounds") ternary += n;
    }
    const double base_s = since(t0);
    const double packed_mb = static_cast<double>(ternary) / 4 / 1e6;
    fmt::print("model     {}: {} values, {} ternary weights = {:.1f} MB packed at 2 bits\n", model, values, ternary, packed_mb);
    fmt::print("baseline  {:8.2f} s  one streaming read of every tensor\n", base_s);
    const auto chip = neurark::arch::ChipDescription::from_file(chip_path);
    std::ifstream in(chip_path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    neurark::compiler::CompileOptions opt;
    opt.log = [](const std::string& line) { fmt::print("          {}\n", line); };
    t0 = Clock::now();
    const auto g = neurark::compiler::compile_graph(ck, chip, text.str(), opt);
    const std::string out = (work / "model.nimg").string();
    const auto t1 = Clock::now();
    const uint64_t bytes = neurark::compiler::emit(g, out);
    fmt::print("          {:<10} {:7.2f} s\n", "emit", since(t1));
    const double compile_s = since(t0);
    const double peak = peak_rss_mb();
    fmt::print("compile   {:8.2f} s  image {:.1f} MB on chip '{}' ({} tiles)\n", compile_s, bytes / 1e6, chip.name, g.tiles.size());
    fmt::print("ratio     {:8.2f}    compile / baseline\n", compile_s / base_s);
    fmt::print("peak RSS  {:8.1f} MB = {:.2f} x packed 2-bit weights\n", peak, peak / packed_mb);
    fs::remove_all(work);
  } catch (const neurark::Error& e) {
    std::fprintf(stderr, "bench_compile: %s\n", e.what());
    return 1;
  }
  return 0;
}
