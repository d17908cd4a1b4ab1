// SPDX-License-Identifier: Apache-2.0
// neurark/sweeps/space.hpp: a design space to explore (`format: neurark-sweep`, docs/sweep.md).
//
// sweeps/ owns design-space exploration: the space file (this header), the points it spans and
// their chip descriptions, the searches over them (grid, random, NSGA-II: search.hpp), the runners
// that run points as separate processes, locally or as a Slurm job array (runner.hpp), one point's
// run into its own folder (point.hpp), and the sweep's results, Pareto front and report
// (result.hpp). A point is a real run (runs::run): the SystemC model checked against the integer
// reference on every token, priced with the point's own energy table and hardware cost. Depends
// on reports, runs and arch.
//
// A space is a base chip, one or more models, a prompt and axes over chip keys:
//
//   format: neurark-sweep
//   version: 1
//   name: lanes-sram
//   base_chip: ../chips/default-4x4.yaml        # paths relative to the space file
//   models: [../../models/zoo/shakespeare-d256-l4]
//   run: {prompt: "ROMEO: ", max_new_tokens: 8}  # or prompt_file: PATH; synthesize_logic: false
//                                                # prices every point's logic at the default chip's
//   axes:                                        # chip key path -> values (file order)
//     neurocore.lanes: [8, 16, 32]
//     mesh: [{width: 4, height: 4}, {width: 8, height: 4}]   # a mapping value merges into the key
//     clock_hz: [250e6, 500e6]
//   objectives: [energy_per_token_j, tokens_per_s, area_mm2]  # the Pareto front's
//   constraints: {area_mm2: {max: 10}}
//   search: {method: grid}                       # | {method: random, samples: N, seed: S}
//                                                # | {method: nsga2, population: P, generations: G, seed: S}
//                                                # | {method: pareto_local, initial: 4, batch: 2, budget: B, seed: S}
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "neurark/arch/chip.hpp"

namespace neurark::sweeps {

// An objective of a point, read from its run (runs::RunResult).
struct ObjectiveInfo {
  const char* name;      // "energy_per_token_j"
  const char* unit;      // "J"
  bool minimize;         // the better direction
  const char* meaning;   // for the docs and the report
};
// Every objective a point has, in report order.
const std::vector<ObjectiveInfo>& objective_infos();
// The objective `name`; nullptr if there is none.
const ObjectiveInfo* find_objective(const std::string& name);

// One axis: a chip key path and its values. A scalar value replaces the key; a mapping value is
// merged into it (`mesh: {width: 8, height: 4}`). The axis "model" ranges over `models`.
struct Axis {
  std::string key;                   // "neurocore.lanes", "mesh", "model"
  std::vector<std::string> values;   // each as YAML (flow style), or the model path for "model"
  std::vector<std::string> labels;   // short, for tables and plots ("16", "width 8, height 4")
  int line = 0;                      // in the space file
};

struct Bound {
  std::optional<double> min, max;
};

struct Search {
  std::string method = "grid";       // grid | random | nsga2 | pareto_local
  int64_t samples = 0;               // random: points drawn without replacement
  int64_t population = 0, generations = 0;  // nsga2
  int64_t initial = 0, batch = 0, budget = 0;  // pareto_local: random start points, points per step, most runs
  uint64_t seed = 1;
};

struct Space {
  std::string file;                  // the space file as given
  std::string name, description;
  std::string base_chip_path;        // resolved against the space file's folder
  std::string base_chip_text;
  std::vector<std::string> models;   // resolved
  std::string prompt;                // bytes
  std::string prompt_source;         // "run.prompt" or the prompt file
  int64_t max_new_tokens = 8;
  bool synthesize_logic = true;      // run.synthesize_logic: the area's logic synthesized at each point's
                                     // parameters (runs::RunOptions::synthesize_logic)
  std::vector<Axis> axes;            // "model" first when there are several models
  std::vector<std::string> objectives;           // the Pareto front's (names of objective_infos)
  std::map<std::string, Bound> constraints;      // objective -> bounds a feasible point meets
  Search search;
  std::string hash;                  // 16 hex digits over the space and every file it reads

  // Reads and validates `path`. Every value of every axis is checked alone against the base chip
  // (a value out of the chip format's range is an error here, naming the space file, the axis's
  // line and the value); combinations are checked per point (a point whose chip is invalid, or
  // whose model does not fit, is recorded with the reason). Throws neurark::Error naming the
  // file, line, key and value.
  static Space from_file(const std::string& path);

  int64_t grid_size() const;                       // product of the axes' sizes
  std::vector<int> coordinates(int64_t index) const;  // index -> value index per axis (last axis fastest)
  int64_t index(const std::vector<int>& coordinates) const;
};

// One point of a space.
struct Point {
  int64_t index = 0;
  std::string id;                    // "p0007": the point's folder under points/
  std::vector<int> coordinates;      // value index per axis
  std::string model_dir;
  std::string chip_yaml;             // the base chip with the axes' values applied; paths absolute
};

// Point `index` of the space (0 <= index < grid_size()). Its chip is not validated here:
// point_chip() does that.
Point make_point(const Space& space, int64_t index);

// The point's chip description read from its YAML (file named `path` in errors). Throws
// neurark::Error when the combination is not a valid chip (e.g. a clock above its operating
// point's), naming the key.
arch::ChipDescription point_chip(const Point& point, const std::string& path);

}  // namespace neurark::sweeps
