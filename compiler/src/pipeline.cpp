// SPDX-License-Identifier: Apache-2.0
// The pass pipeline driver: see neurark/compiler/passes.hpp.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/compiler/passes.hpp"

namespace neurark::compiler {

const std::vector<std::string>& pipeline_names() {
  static const std::vector<std::string> names = {"import", "lower", "fold", "partition", "place", "route", "schedule", "emit"};
  return names;
}

namespace {

void check_pass_name(const std::string& name, const std::string& option) {
  const auto& n = pipeline_names();
  if (std::find(n.begin(), n.end(), name) == n.end()) {
    std::string all;
    for (const std::string& p : n) all += (all.empty() ? "" : ", ") + p;
    throw Error(fmt::format("{}: unknown pass '{}' (the pipeline is: {})", option, name, all));
  }
}

}  // namespace

Graph compile_graph(std::shared_ptr<const models::Checkpoint> checkpoint, const arch::ChipDescription& chip,
                    const std::string& chip_text, const CompileOptions& options) {
  for (const std::string& p : options.dump_after) check_pass_name(p, "--dump-after");
  if (!options.stop_after.empty()) check_pass_name(options.stop_after, "--stop-after");
  if (!options.dump_dir.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(options.dump_dir, ec) && !std::filesystem::is_directory(options.dump_dir, ec))
      throw Error(fmt::format("--dump-dir {}: exists and is not a folder", options.dump_dir));
    std::filesystem::create_directories(options.dump_dir, ec);
    if (ec) throw Error(fmt::format("--dump-dir {}: cannot create the folder: {}", options.dump_dir, ec.message()));
  }
  Graph g;
  int index = 0;
  const auto after = [&](const std::string& name, double seconds) {
    if (options.log) options.log(fmt::format("  {:<10} {:7.2f} s", name, seconds));
    const bool want = std::find(options.dump_after.begin(), options.dump_after.end(), name) != options.dump_after.end();
    if (!want && options.dump_dir.empty()) return;
    const std::string text = dump(g);
    if (want && options.dump_stream) options.dump_stream(text);
    if (!options.dump_dir.empty()) {
      const std::string path = fmt::format("{}/{:02d}-{}.ir", options.dump_dir, index, name);
      std::ofstream f(path, std::ios::binary);
      f << text;
      if (!f) throw Error(fmt::format("{}: cannot write the IR dump", path));
    }
  };
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  const auto secs = [&] {
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    t0 = Clock::now();
    return s;
  };
  g = import_checkpoint(std::move(checkpoint), chip, chip_text, options.seed);
  after("import", secs());
  if (options.stop_after == "import") return g;
  const std::pair<const char*, void (*)(Graph&)> passes[] = {
      {"lower", lower}, {"fold", fold}, {"partition", partition}, {"place", place}, {"route", route}, {"schedule", schedule}};
  for (const auto& [name, fn] : passes) {
    ++index;
    fn(g);
    after(name, secs());
    if (options.stop_after == name) return g;
  }
  return g;
}

}  // namespace neurark::compiler
