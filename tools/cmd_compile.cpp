// SPDX-License-Identifier: Apache-2.0
// neurark compile --model DIR --chip CHIP.yaml -o IMAGE [--dump-dir DIR] [--dump-after PASS]
//                 [--seed N]: the chip image, through the pass pipeline (docs/compiler.md).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/compiler/fit.hpp"
#include "neurark/compiler/inspect.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"

namespace neurark::tools {

namespace {

struct Args {
  std::string model_dir, chip_path, out, dump_dir;
  std::vector<std::string> dump_after;
  int64_t seed = 1;
};

int run_compile(const Args& a) {
  if (a.seed < 0) throw Error(fmt::format("--seed: {} is negative, expected 0 to 2^63-1", a.seed));
  compiler::check_image_path(a.out, a.model_dir, a.chip_path);
  arch::remove_stale_temporaries(std::filesystem::path(a.out).parent_path().string());  // what killed compiles left
  const arch::ChipDescription chip = arch::ChipDescription::from_file(a.chip_path);
  compiler::CompileOptions opt;
  opt.seed = static_cast<uint64_t>(a.seed);
  opt.dump_dir = a.dump_dir;
  opt.dump_after = a.dump_after;
  opt.dump_stream = [](const std::string& text) { std::cout << text << std::flush; };
  opt.log = [](const std::string& line) { std::cerr << line << "\n"; };
  std::string names;
  for (const std::string& n : compiler::pipeline_names()) names += (names.empty() ? "" : " -> ") + n;
  std::cerr << "pipeline: " << names << "\n";
  const auto t0 = std::chrono::steady_clock::now();
  const compiler::Graph g = compiler::compile_graph(std::make_shared<const models::Checkpoint>(models::Checkpoint::open(a.model_dir)),
                                                    chip, read_file(a.chip_path), opt);
  const auto t1 = std::chrono::steady_clock::now();
  const uint64_t bytes = compiler::emit(g, a.out);
  const auto t2 = std::chrono::steady_clock::now();
  std::cerr << fmt::format("  {:<10} {:7.2f} s\n", "emit", std::chrono::duration<double>(t2 - t1).count());
  const bool dump_emit = std::find(a.dump_after.begin(), a.dump_after.end(), "emit") != a.dump_after.end();
  if (!a.dump_dir.empty() || dump_emit) {
    const std::string summary = compiler::inspect_text(arch::Image::open(a.out));
    if (dump_emit) std::cout << summary;
    if (!a.dump_dir.empty()) {
      std::ofstream f(fmt::format("{}/{:02d}-emit.txt", a.dump_dir, compiler::pipeline_names().size() - 1), std::ios::binary);
      f << summary;
    }
  }
  const compiler::FitPlan plan = compiler::fit_plan(g);
  std::cerr << fmt::format("wrote {}: {} bytes, {} tiles on {} of {} neurocores, {} flows, {} phases per token ({:.1f} s)\n",
                           a.out, bytes, g.tiles.size(), plan.cores_with_tiles, plan.cores, g.flows.size(), g.schedule.size(),
                           std::chrono::duration<double>(t2 - t0).count());
  return 0;
}

}  // namespace

std::function<int()> add_compile(CLI::App& sub) {
  auto a = std::make_shared<Args>();
  sub.add_option("--model", a->model_dir, "Checkpoint folder (config.json + *.safetensors)")->required();
  sub.add_option("--chip", a->chip_path, "Chip description (YAML, e.g. arch/chips/default-4x4.yaml)")->required();
  sub.add_option("-o,--out", a->out, "Image file to write (written atomically)")->required();
  sub.add_option("--dump-dir", a->dump_dir, "Write the IR after every pass to DIR/NN-PASS.ir");
  sub.add_option("--dump-after", a->dump_after, "Print the IR after PASS on stdout (repeatable)");
  sub.add_option("--seed", a->seed, "Placement seed, 0 to 2^63-1 (same seed, same image)")->check(kSeedText)->capture_default_str();
  return [a] { return run_compile(*a); };
}

}  // namespace neurark::tools
