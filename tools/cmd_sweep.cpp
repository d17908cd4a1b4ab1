// neurark sweep SPACE.yaml --out DIR [--jobs N] [--runner local|slurm] [--sbatch-arg ARG ...]
// neurark sweep SPACE.yaml --out DIR --point I
// Design-space exploration (sweeps/): every point a real run, one folder per point, sweep.json,
// sweep.csv and index.html with the Pareto front. --point runs one point (what the runners run).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/sweeps/point.hpp"
#include "neurark/sweeps/result.hpp"
#include "neurark/sweeps/runner.hpp"
#include "neurark/sweeps/search.hpp"
#include "neurark/sweeps/space.hpp"

namespace neurark::tools {

namespace {

namespace fs = std::filesystem;

struct Args {
  std::string space, out, runner = "local";
  int jobs = 1;
  int64_t point = -1;
  std::vector<std::string> sbatch_args;
};

constexpr const char* kStateFile = "sweep-state.json";

// One sweep at a time into a folder: an exclusive flock on DIR/sweep.lock, held until this process
// exits (close-on-exec: the point processes do not inherit it). A second sweep into the folder is
// refused while the first runs.
void lock_out(const std::string& out) {
  const std::string path = (fs::path(out) / "sweep.lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(fmt::format("--out {}: cannot open {} ({})", out, path, std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK)
      throw Error(fmt::format("--out {}: another neurark sweep is running into this folder ({} is locked): wait for it to end, "
                              "or give another folder", out, path));
    throw Error(fmt::format("--out {}: cannot lock {} ({})", out, path, std::strerror(err)));
  }
  // fd stays open (and locked) for the rest of the process.
}

// The sweep folder: new, empty, or one this space started (same hash). Returns true if it holds
// this space's sweep already.
bool check_out(const std::string& out, const sweeps::Space& space) {
  std::error_code ec;
  if (!fs::exists(out, ec)) return false;
  if (!fs::is_directory(out, ec)) throw Error(fmt::format("--out {}: exists and is not a folder", out));
  const fs::path state = fs::path(out) / kStateFile;
  if (!fs::exists(state, ec)) {
    bool empty = true;  // but for the lock of a sweep killed before it wrote its state
    for (const fs::directory_entry& e : fs::directory_iterator(out, ec))
      if (e.path().filename() != "sweep.lock") empty = false;
    if (!empty)
      throw Error(fmt::format("--out {}: exists, is not empty and holds no sweep ({} missing): give a new folder", out, kStateFile));
    return false;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(state.string()));
    const std::string hash = j.at("space_hash").get<std::string>();
    if (hash != space.hash)
      throw Error(fmt::format("--out {}: holds a sweep of another space ({}, hash {}; {} has hash {}): give a new folder, or "
                              "the space it was started with",
                              out, j.value("space_file", "?"), hash, space.file, space.hash));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not a sweep state file ({})", state.string(), e.what()));
  }
  return true;
}

int run_sweep(const Args& a) {
  const sweeps::Space space = sweeps::Space::from_file(a.space);
  if (a.out.empty()) throw Error("--out: empty, expected a folder path");
  const bool resumed = check_out(a.out, space);
  if (a.point >= 0) {
    // One point, in this process: what the runners start.
    if (!resumed)
      throw Error(fmt::format("--point: {} is not a sweep folder of {} (run the sweep without --point first)", a.out, a.space));
    if (a.point >= space.grid_size())
      throw Error(fmt::format("--point {}: not in the space (0 to {})", a.point, space.grid_size() - 1));
    const sweeps::PointResult r = sweeps::run_point(space, a.point, a.out, progress);
    std::cout << fmt::format("{}: {}{}\n", r.id, r.status, r.reason.empty() ? "" : " (" + r.reason + ")");
    return 0;
  }
  if (a.jobs < 1 || a.jobs > 1024) throw Error(fmt::format("--jobs: {} is out of range, expected 1 to 1024", a.jobs));
  std::error_code ec;
  fs::create_directories(a.out, ec);
  if (ec) throw Error(fmt::format("--out {}: cannot create ({})", a.out, ec.message()));
  lock_out(a.out);
  arch::remove_stale_temporaries(a.out);
  if (!resumed) {
    std::ofstream(fs::path(a.out) / "space.yaml") << read_file(a.space);
    const nlohmann::json state = {{"format", "neurark-sweep-state"}, {"version", 1}, {"space_file", a.space}, {"space_hash", space.hash}};
    std::ofstream(fs::path(a.out) / kStateFile) << state.dump(1) << "\n";
  }
  sweeps::RunnerOptions ro;
  ro.kind = a.runner;
  ro.jobs = a.jobs;
  ro.neurark_exe = fs::read_symlink("/proc/self/exe").string();
  ro.space_path = fs::absolute(a.space).string();
  ro.out_dir = a.out;
  ro.sbatch_args = a.sbatch_args;
  ro.progress = progress;
  int64_t ran_now = 0;
  const sweeps::Evaluate evaluate = [&](const std::vector<int64_t>& indices) {
    std::vector<int64_t> pending;
    for (int64_t i : indices)
      if (!sweeps::read_point_result(a.out, fmt::format("p{:04d}", i))) pending.push_back(i);
    ran_now += static_cast<int64_t>(pending.size());
    if (!pending.empty())
      progress(fmt::format("sweep: {} points to run ({} done before), {} at a time ({})\n", pending.size(),
                           indices.size() - pending.size(), a.jobs, a.runner));
    sweeps::run_points(pending, ro);
    std::vector<sweeps::PointResult> out;
    for (int64_t i : indices) {
      const std::string id = fmt::format("p{:04d}", i);
      if (auto r = sweeps::read_point_result(a.out, id)) {
        out.push_back(*r);
      } else {
        sweeps::PointResult died;
        died.index = i;
        died.id = id;
        died.status = "failed";
        died.reason = fmt::format("its process ended without a result (see {}/log.txt); the next sweep over this folder runs it again",
                                  sweeps::point_dir(a.out, id));
        out.push_back(died);
      }
    }
    return out;
  };
  const std::map<int64_t, sweeps::PointResult> results = sweeps::run_search(space, evaluate);
  std::vector<sweeps::PointResult> points;
  for (const auto& [i, r] : results) points.push_back(r);
  sweeps::write_sweep_report(a.out, space, points);
  const std::vector<bool> front = sweeps::pareto_front(points, space.objectives);
  std::map<std::string, int> by_status;
  for (const auto& r : points) ++by_status[r.status];
  std::string status;
  for (const auto& [k, v] : by_status) status += fmt::format("{}{} {}", status.empty() ? "" : ", ", v, k);
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
