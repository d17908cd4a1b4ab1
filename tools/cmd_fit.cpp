// SPDX-License-Identifier: Apache-2.0
// neurark fit --model DIR --chip CHIP.yaml [--json]: does the model fit the chip, and how.
#include <iostream>
#include <memory>

#include "command.hpp"
#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/compiler/fit.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"

namespace neurark::tools {

namespace {

struct Args {
  std::string model_dir, chip_path;
  bool json = false;
};

int run_fit(const Args& a) {
  const arch::ChipDescription chip = arch::ChipDescription::from_file(a.chip_path);
  compiler::CompileOptions opt;
  opt.stop_after = "place";
  compiler::Graph g;
  try {
    g = compiler::compile_graph(std::make_shared<const models::Checkpoint>(models::Checkpoint::open(a.model_dir)), chip,
                                read_file(a.chip_path), opt);
  } catch (const Error& e) {
    // With --json, a refusal is a result too: {"fits": false, "error": ...} (and exit 1).
    if (a.json && std::string(e.what()).find("does not fit") != std::string::npos)
      std::cout << nlohmann::json{{"model", a.model_dir}, {"chip", chip.name}, {"fits", false}, {"error", e.what()}}.dump()
                << "\n";
    throw;
  }
  const compiler::FitPlan plan = compiler::fit_plan(g);
  if (a.json) std::cout << compiler::fit_json(g, plan, a.model_dir).dump() << "\n";
  else std::cout << compiler::fit_text(g, plan, a.model_dir, a.chip_path);
  return 0;
}

}  // namespace

std::function<int()> add_fit(CLI::App& sub) {
  auto a = std::make_shared<Args>();
  sub.add_option("--model", a->model_dir, "Checkpoint folder (config.json + *.safetensors)")->required();
  sub.add_option("--chip", a->chip_path, "Chip description (YAML, e.g. arch/chips/default-4x4.yaml)")->required();
  sub.add_flag("--json", a->json, "Print the plan as one JSON object ({\"fits\": false, \"error\": ...} and exit 1 if it does not fit)");
  return [a] { return run_fit(*a); };
}

}  // namespace neurark::tools
