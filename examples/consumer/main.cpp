// SPDX-License-Identifier: Apache-2.0
// An embedding of neurark's libraries through find_package(neurark): the main job as one library
// call (runs::run) on the installed bundled model and default chip, its report.json printed.
//   neurark_consumer [PROMPT [MAX_NEW_TOKENS]]      (defaults "ROMEO:" and 4)
#include <iostream>
#include <string>

#include "neurark/arch/error.hpp"
#include "neurark/reports/report.hpp"
#include "neurark/runs/run.hpp"

int main(int argc, char** argv) {
  neurark::runs::RunOptions options;
  options.model_dir = std::string(NEURARK_DATA_DIR) + "/" + neurark::runs::kDefaultModel;
  options.chip_path = std::string(NEURARK_DATA_DIR) + "/" + neurark::runs::kDefaultChip;
  options.prompt = argc > 1 ? argv[1] : "ROMEO:";
  options.max_new_tokens = argc > 2 ? std::stoll(argv[2]) : 4;
  options.run_id = "consumer";
  try {
    const neurark::runs::RunResult result = neurark::runs::run(options);  // SystemC model, checked against the int reference
    std::cout << neurark::reports::run_report_json(result).dump(2) << "\n";
  } catch (const neurark::Error& e) {
    std::cerr << "neurark_consumer: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
