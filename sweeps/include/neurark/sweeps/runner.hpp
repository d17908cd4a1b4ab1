// SPDX-License-Identifier: Apache-2.0
// neurark/sweeps/runner.hpp: running a sweep's points, each in its own process.
//
// Every point runs as `neurark sweep SPACE --out DIR --point I` (run_point in a fresh process: one
// SystemC simulation per process, and a crash or a kill stays inside its point), with its
// output in the point's log.txt.
//   local  up to `jobs` points at a time on this machine (Boost.Process children, an Asio loop
//          waiting on them), progress and ETA on stderr.
//   slurm  one job array (`sbatch --array=0-(N-1)%jobs --wait`) whose task k runs the k-th pending
//          point; sbatch's own options come from `sbatch_args` (partition, time, ...). The
//          command waits for the array, then the results are read from the points' folders as
//          for a local run. Needs sbatch on PATH and a folder the compute nodes share.
// Points that are already done (their result.json exists) are never run again: a killed sweep
// restarted with the same space runs only the missing points.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace neurark::sweeps {

struct RunnerOptions {
  std::string kind = "local";          // local | slurm
  int jobs = 1;                        // points at a time (local: processes; slurm: array tasks)
  std::string neurark_exe;             // the neurark binary the points run (this one)
  std::string space_path;              // the space file, as the points will read it
  std::string out_dir;                 // the sweep folder
  std::vector<std::string> sbatch_args;  // extra sbatch options (slurm)
  std::function<void(const std::string&)> progress;  // "\r" lines: points done, running, ETA
};

// Runs `indices` (not yet done) and returns when every one has finished (done or failed: a point
// whose process dies without a result is reported in the returned list). Throws neurark::Error if
// a process cannot be started (or sbatch fails).
std::vector<int64_t> run_points(const std::vector<int64_t>& indices, const RunnerOptions& options);

// Sends SIGTERM to the point processes this process is running (the local runner's children;
// Slurm's sbatch). Async-signal-safe (kill only): the command line calls it from its signal
// handler, so an interrupted sweep leaves no point running; their folders hold no result.json
// and the next sweep over the folder runs them again.
void stop_running_points() noexcept;

// Whether stop_running_points was called (then run_points starts no further point and returns
// the ones it did not finish); clear_stop_request() before a new sweep in the same process (the
// Python module's sweep() does, and raises KeyboardInterrupt when a Ctrl-C stopped it).
bool stop_requested() noexcept;
void clear_stop_request() noexcept;

}  // namespace neurark::sweeps
