// SPDX-License-Identifier: Apache-2.0
// bench_sweep: the sweep runner's parallel efficiency and a guided search against the grid (issue 12).
//
//   1. bench/spaces/parallel-16.yaml (16 points) run with one worker, then with two, into fresh
//      folders: efficiency = t(1 worker) / (2 x t(2 workers)); the two sweep.json must be equal.
//   2. bench/spaces/guided-144.yaml (144 points): the whole grid, then the file's search (Pareto
//      local search): the share of the grid's Pareto points its front holds, and its runs / the
//      grid's; NSGA-II too, for comparison.
// Both use the local runner and build/neurark (the binary next to this one, or $NEURARK).
// Prints figures; exits 1 if efficiency < 0.9, or the guided search finds < 90 % of the front or needs
// > 30 % of the runs. Usage: bench_sweep [WORKDIR] (default: a fresh folder under /tmp).
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/sweeps/point.hpp"
#include "neurark/sweeps/result.hpp"
#include "neurark/sweeps/runner.hpp"
#include "neurark/sweeps/search.hpp"
#include "neurark/sweeps/space.hpp"

namespace fs = std::filesystem;
using namespace neurark;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs `space` (its own search) into `out` with `jobs` workers; returns the points and seconds.
std::pair<std::vector<sweeps::PointResult>, double> sweep(const sweeps::Space& space, const std::string& space_path,
                                                           const std::string& out, int jobs, const std::string& exe) {
  fs::remove_all(out);
  fs::create_directories(out);
  std::ofstream(fs::path(out) / "sweep-state.json") << fmt::format("{{\"format\": \"neurark-sweep-state\", \"version\": 1, "
                                                                   "\"space_file\": \"{}\", \"space_hash\": \"{}\"}}\n",
                                                                   space_path, space.hash);
  sweeps::RunnerOptions ro;
  ro.jobs = jobs;
  ro.neurark_exe = exe;
  ro.space_path = space_path;
  ro.out_dir = out;
  const auto t0 = std::chrono::steady_clock::now();
  const auto results = sweeps::run_search(space, [&](const std::vector<int64_t>& idx) {
    std::vector<int64_t> pending;
    for (int64_t i : idx)
      if (!sweeps::read_point_result(out, fmt::format("p{:04d}", i))) pending.push_back(i);
    sweeps::run_points(pending, ro);
    std::vector<sweeps::PointResult> r;
    for (int64_t i : idx) {
      auto p = sweeps::read_point_result(out, fmt::format("p{:04d}", i));
      if (!p) throw Error(fmt::format("point {} of {} did not finish (see {}/points)", i, space_path, out));
      r.push_back(*p);
    }
    return r;
  });
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<sweeps::PointResult> pts;
  for (const auto& [i, r] : results) pts.push_back(r);
  sweeps::write_sweep_report(out, space, pts);
  return {pts, s};
}

std::set<int64_t> front_of(const std::vector<sweeps::PointResult>& pts, const std::vector<std::string>& objectives) {
  const std::vector<bool> f = sweeps::pareto_front(pts, objectives);
  std::set<int64_t> out;
  for (std::size_t i = 0; i < pts.size(); ++i)
    if (f[i]) out.insert(pts[i].index);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string src = NEURARK_SOURCE_DIR;
    const std::string exe = std::getenv("NEURARK") != nullptr ? std::getenv("NEURARK")
                                                              : (fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "neurark").string();
    const std::string work = argc > 1 ? argv[1] : fmt::format("/tmp/neurark-bench-sweep-{}", ::getpid());
    bool ok = true;

    // 1. Parallel efficiency.
    const std::string p16 = src + "/bench/spaces/parallel-16.yaml";
    const sweeps::Space s16 = sweeps::Space::from_file(p16);
    const auto [r1, t1] = sweep(s16, p16, work + "/p16-jobs1", 1, exe);
    const auto [r2, t2] = sweep(s16, p16, work + "/p16-jobs2", 2, exe);
    const double efficiency = t1 / (2.0 * t2);
    const bool same = slurp(work + "/p16-jobs1/sweep.json") == slurp(work + "/p16-jobs2/sweep.json");
    std::cout << fmt::format("parallel: 16 points, 1 worker {:.1f} s, 2 workers {:.1f} s: speed-up {:.2f}, efficiency {:.0f} % "
                             "(target >= 90 %); sweep.json {}\n",
                             t1, t2, t1 / t2, 100 * efficiency, same ? "equal" : "DIFFERENT");
    ok = ok && efficiency >= 0.9 && same;

    // 2. The guided search of the file (Pareto local search) against the grid, and NSGA-II for comparison.
    const std::string p144 = src + "/bench/spaces/guided-144.yaml";
    const sweeps::Space guided = sweeps::Space::from_file(p144);
    sweeps::Space grid = guided;
    grid.search = sweeps::Search{};  // grid
    const auto [gp, gt] = sweep(grid, p144, work + "/g144-grid", 2, exe);
    const std::set<int64_t> gf = front_of(gp, guided.objectives);
    const auto compare = [&](const sweeps::Space& space, const std::string& name, const std::string& dir) {
      const auto [np, nt] = sweep(space, p144, work + "/" + dir, 2, exe);
      const std::set<int64_t> nf = front_of(np, space.objectives);
      int64_t found = 0;
      for (int64_t i : nf) found += static_cast<int64_t>(gf.count(i));
      const double share = gf.empty() ? 0.0 : static_cast<double>(found) / static_cast<double>(gf.size());
      const double runs = static_cast<double>(np.size()) / static_cast<double>(gp.size());
      std::cout << fmt::format("  {}: {} runs = {:.0f} % of the grid ({:.0f} s), its front {} points, {} of the grid's {} = {:.0f} %\n",
                               name, np.size(), 100 * runs, nt, nf.size(), found, gf.size(), 100 * share);
      return std::make_pair(share, runs);
    };
    std::cout << fmt::format("guided: grid {} points ({:.0f} s), front {} points\n", gp.size(), gt, gf.size());
    const auto [share, runs] =
        compare(guided, fmt::format("Pareto local search (initial {}, batch {}, budget {}, seed {})", guided.search.initial,
                                    guided.search.batch, guided.search.budget, guided.search.seed),
                "g144-pareto-local");
    sweeps::Space ga = guided;
    ga.search = sweeps::Search{};
    ga.search.method = "nsga2";
    ga.search.population = 12;
    ga.search.generations = 2;
    compare(ga, "NSGA-II (population 12, 2 generations, seed 1; not a target)", "g144-nsga2");
    // The same search over 20 seeds, its points looked up in the grid's results (no run): how much
    // the one seeded run above depends on its seed.
    {
      std::map<int64_t, sweeps::PointResult> known;
      for (const sweeps::PointResult& r : gp) known[r.index] = r;
      double sum = 0.0, worst = 1.0;
      int64_t met = 0, most_runs = 0;
      for (uint64_t seed = 1; seed <= 20; ++seed) {
        sweeps::Space s = guided;
        s.search.seed = seed;
        const auto got = sweeps::run_search(s, [&](const std::vector<int64_t>& idx) {
          std::vector<sweeps::PointResult> out;
          for (int64_t i : idx) out.push_back(known.at(i));
          return out;
        });
        std::vector<sweeps::PointResult> pts;
        for (const auto& [i, r] : got) pts.push_back(r);
        int64_t found = 0;
        for (int64_t i : front_of(pts, s.objectives)) found += static_cast<int64_t>(gf.count(i));
        const double sh = gf.empty() ? 0.0 : static_cast<double>(found) / static_cast<double>(gf.size());
        sum += sh;
        worst = std::min(worst, sh);
        met += sh >= 0.9 ? 1 : 0;
        most_runs = std::max<int64_t>(most_runs, static_cast<int64_t>(pts.size()));
      }
      std::cout << fmt::format("  Pareto local search, seeds 1-20 over the grid's results: mean {:.0f} %, worst {:.0f} % of the front; "
                               "{} of 20 seeds >= 90 %; at most {} runs\n",
                               100 * sum / 20, 100 * worst, met, most_runs);
    }
    std::cout << fmt::format("targets: the guided search finds >= 90 % of the grid's front ({}) with <= 30 % of its runs ({})\n",
                             share >= 0.9 ? "met" : "NOT MET", runs <= 0.3 ? "met" : "NOT MET");
    ok = ok && share >= 0.9 && runs <= 0.3;
    std::cout << fmt::format("folders under {}\n", work);
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "bench_sweep: " << e.what() << "\n";
    return 2;
  }
}
