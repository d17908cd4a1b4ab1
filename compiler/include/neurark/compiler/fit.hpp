// SPDX-License-Identifier: Apache-2.0
// neurark/compiler/fit.hpp: does a model fit a chip? The plan of a partitioned and placed graph
// (`neurark fit`, and the summary `neurark compile` prints): tiles per BitLinear, synapse SRAM
// used per neurocore, weights streamed from DRAM.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurark/compiler/ir.hpp"

namespace neurark::compiler {

struct FitPlan {
  int64_t weight_bytes = 0, dram_bytes = 0;   // all ternary weights; those streamed from DRAM
  int64_t cores_used = 0, cores = 0;          // neurocores holding synapse SRAM tiles; all
  int64_t cores_with_tiles = 0;               // neurocores holding any tile (DRAM tiles too)
  std::vector<int64_t> core_bytes;            // synapse SRAM bytes used per neurocore
  struct BitLinear {
    std::string name;
    int64_t tiles = 0, rows_per_tile = 0, bytes = 0;
    std::string cores;                        // "3,4,5(DRAM)"
  };
  std::vector<BitLinear> bitlinears;
};

// The plan of a graph after `place`.
FitPlan fit_plan(const Graph& g);
// `neurark fit --json`: {"model", "chip", "fits": true, "weight_bytes", "dram_bytes", "cores_used",
// "cores", "core_bytes_used", "tiles": [{"bitlinear", "rows", "bytes", "core", "in_dram"}]}.
nlohmann::json fit_json(const Graph& g, const FitPlan& plan, const std::string& model_dir);
// The text `neurark fit` prints (chip_path: as given).
std::string fit_text(const Graph& g, const FitPlan& plan, const std::string& model_dir, const std::string& chip_path);

}  // namespace neurark::compiler
