// SPDX-License-Identifier: Apache-2.0
// neurark/sweeps/sweep.hpp: a whole sweep as one library call — what `neurark sweep SPACE --out
// DIR` does (the command line prints its summary; the Python module gives sweep.json).
//
// The sweep folder is new, empty, or one a sweep of the same space started (its
// sweep-state.json holds the space's hash): then only the points without a result.json run. While
// it runs, an exclusive lock on DIR/sweep.lock refuses a second sweep into the folder. The search
// (search.hpp) asks for points; each pending one runs as a child process of `neurark_exe`
// (runner.hpp); sweep.json, sweep.csv and index.html are written at the end (result.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "neurark/sweeps/point.hpp"
#include "neurark/sweeps/space.hpp"

namespace neurark::sweeps {

struct SweepOptions {
  std::string space_path;                // the space file (format: neurark-sweep)
  std::string out_dir;                   // the sweep folder
  std::string runner = "local";          // local | slurm (runner.hpp)
  int jobs = 1;                          // points at a time, 1 to 1024
  std::vector<std::string> sbatch_args;  // extra sbatch options (slurm)
  std::string neurark_exe;               // the neurark executable the points run (an absolute path)
  std::function<void(const std::string&)> progress;  // "\r" lines: points done, running, ETA
};

struct SweepOutcome {
  Space space;
  std::vector<PointResult> points;       // every point the search evaluated, by index
  std::vector<bool> front;               // per point: on the Pareto front of space.objectives
  int64_t ran_now = 0;                   // points run by this call (the others were done before)
};

// The sweep folder `out` for `space`: new (false), or holding this space's sweep (true). Throws
// neurark::Error for a file, a non-empty folder that holds no sweep, or another space's sweep.
bool check_sweep_folder(const std::string& out, const Space& space);

// Runs the sweep into options.out_dir and writes its report. Points that fail are results
// (status "failed"), not exceptions. Throws neurark::Error for a bad space or folder, a folder
// another sweep is running into, or a runner that cannot start its processes.
SweepOutcome run_sweep(const SweepOptions& options);

}  // namespace neurark::sweeps
