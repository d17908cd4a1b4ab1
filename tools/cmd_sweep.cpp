// SPDX-License-Identifier: Apache-2.0
// neurark sweep SPACE.yaml --out DIR [--jobs N] [--runner local|slurm] [--sbatch-arg ARG ...]
// neurark sweep SPACE.yaml --out DIR --point I
// Design-space exploration (sweeps/): every point a real run, one folder per point, sweep.json,
// sweep.csv and index.html with the Pareto front (sweeps::run_sweep). --point runs one point (what
// the runners run).
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/sweeps/point.hpp"
#include "neurark/sweeps/space.hpp"
#include "neurark/sweeps/sweep.hpp"

namespace neurark::tools {

namespace {

namespace fs = std::filesystem;

struct Args {
  std::string space, out, runner = "local";
  int jobs = 1;
  int64_t point = -1;
  std::vector<std::string> sbatch_args;
};

int run_sweep(const Args& a) {
  if (a.point >= 0) {
    const sweeps::Space space = sweeps::Space::from_file(a.space);
    if (a.out.empty()) throw Error("--out: empty, expected a folder path");
    const bool resumed = sweeps::check_sweep_folder(a.out, space);
    // One point, in this process: what the runners start.
    if (!resumed)
      throw Error(fmt::format("--point: {} is not a sweep folder of {} (run the sweep without --point first)", a.out, a.space));
    if (a.point >= space.grid_size())
      throw Error(fmt::format("--point {}: not in the space (0 to {})", a.point, space.grid_size() - 1));
    const sweeps::PointResult r = sweeps::run_point(space, a.point, a.out, progress);
    std::cout << fmt::format("{}: {}{}\n", r.id, r.status, r.reason.empty() ? "" : " (" + r.reason + ")");
    return 0;
  }
  sweeps::SweepOptions so;
  so.space_path = a.space;
  so.out_dir = a.out;
  so.runner = a.runner;
  so.jobs = a.jobs;
  so.sbatch_args = a.sbatch_args;
  so.neurark_exe = fs::read_symlink("/proc/self/exe").string();
  so.progress = progress;
  const sweeps::SweepOutcome outcome = sweeps::run_sweep(so);
  const std::vector<sweeps::PointResult>& points = outcome.points;
  const std::vector<bool>& front = outcome.front;
  const int64_t ran_now = outcome.ran_now;
  std::map<std::string, int> by_status;
  for (const auto& r : points) ++by_status[r.status];
  std::string status;
  for (const auto& [k, v] : by_status) status += fmt::format("{}{} {}", status.empty() ? "" : ", ", v, k);
  const sweeps::Space& space = outcome.space;
  std::cout << fmt::format("sweep {}: {} of {} points ({}; {} run now), search {}\n", space.name, points.size(), space.grid_size(),
                           status, ran_now, space.search.method);
  std::cout << fmt::format("Pareto front over {} ({} points):\n", fmt::join(space.objectives, ", "),
                           std::count(front.begin(), front.end(), true));
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!front[i]) continue;
    const std::vector<int> c = space.coordinates(points[i].index);
    std::string values;
    for (std::size_t k = 0; k < space.axes.size(); ++k)
      values += fmt::format("{}{} {}", k ? ", " : "", space.axes[k].key, space.axes[k].labels[static_cast<std::size_t>(c[k])]);
    std::string objs;
    for (const std::string& o : space.objectives) objs += fmt::format("{}{} {:.4g}", objs.empty() ? "" : ", ", o, points[i].objectives.at(o));
    std::cout << fmt::format("  {}  {}: {}\n", points[i].id, values, objs);
  }
  std::cout << fmt::format("report      {}/index.html (and sweep.json, sweep.csv)\n", a.out);
  const int failed = by_status.count("failed") ? by_status["failed"] : 0;
  if (failed > 0) {
    std::cerr << fmt::format("neurark: error: {} point(s) failed (see their result.json and log.txt under {}/points)\n", failed, a.out);
    return 1;
  }
  return 0;
}

}  // namespace

std::function<int()> add_sweep(CLI::App& sub) {
  auto a = std::make_shared<Args>();
  sub.add_option("space", a->space, "Space file (format: neurark-sweep; docs/sweep.md, e.g. arch/sweeps/default-hand.yaml)")->required();
  sub.add_option("--out", a->out, "Sweep folder: new, or one a sweep of the same space started (only its missing points run)")->required();
  sub.add_option("--jobs", a->jobs, "Points run at a time (local: processes; slurm: array tasks at once)");
  sub.add_option("--runner", a->runner, "Where points run: local processes, or one Slurm job array (sbatch --wait)")
      ->check(CLI::IsMember({"local", "slurm"}));
  sub.add_option("--sbatch-arg", a->sbatch_args, "An extra sbatch option for --runner slurm (repeat: --sbatch-arg=--partition=x)")
      ->allow_extra_args(false);
  sub.add_option("--point", a->point, "Run only point I of the space in this process (what the runners start)")
      ->check(CLI::NonNegativeNumber);
  return [a] { return run_sweep(*a); };
}

}  // namespace neurark::tools
