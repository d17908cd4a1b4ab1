// SPDX-License-Identifier: Apache-2.0
// A whole sweep: see neurark/sweeps/sweep.hpp and docs/sweep.md.
#include "neurark/sweeps/sweep.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/sweeps/result.hpp"
#include "neurark/sweeps/runner.hpp"
#include "neurark/sweeps/search.hpp"

namespace neurark::sweeps {

namespace {

namespace fs = std::filesystem;

constexpr const char* kStateFile = "sweep-state.json";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One sweep at a time into a folder: an exclusive flock on DIR/sweep.lock (close-on-exec: the
// point processes do not inherit it), held while the sweep runs.
class FolderLock {
 public:
  explicit FolderLock(const std::string& out) {
    const std::string path = (fs::path(out) / "sweep.lock").string();
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(fmt::format("--out {}: cannot open {} ({})", out, path, std::strerror(errno)));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd_);
      if (err == EWOULDBLOCK)
        throw Error(fmt::format("--out {}: another neurark sweep is running into this folder ({} is locked): wait for it to end, "
                                "or give another folder", out, path));
      throw Error(fmt::format("--out {}: cannot lock {} ({})", out, path, std::strerror(err)));
    }
  }
  ~FolderLock() { ::close(fd_); }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

bool check_sweep_folder(const std::string& out, const Space& space) {
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

SweepOutcome run_sweep(const SweepOptions& o) {
  SweepOutcome outcome;
  outcome.space = Space::from_file(o.space_path);
  const Space& space = outcome.space;
  if (o.out_dir.empty()) throw Error("--out: empty, expected a folder path");
  const bool resumed = check_sweep_folder(o.out_dir, space);
  if (o.jobs < 1 || o.jobs > 1024) throw Error(fmt::format("--jobs: {} is out of range, expected 1 to 1024", o.jobs));
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) throw Error(fmt::format("--out {}: cannot create ({})", o.out_dir, ec.message()));
  const FolderLock lock(o.out_dir);
  arch::remove_stale_temporaries(o.out_dir);
  if (!resumed) {
    std::ofstream(fs::path(o.out_dir) / "space.yaml") << read_file(o.space_path);
    const nlohmann::json state = {
        {"format", "neurark-sweep-state"}, {"version", 1}, {"space_file", o.space_path}, {"space_hash", space.hash}};
    std::ofstream(fs::path(o.out_dir) / kStateFile) << state.dump(1) << "\n";
  }
  RunnerOptions ro;
  ro.kind = o.runner;
  ro.jobs = o.jobs;
  ro.neurark_exe = o.neurark_exe;
  ro.space_path = fs::absolute(o.space_path).string();
  ro.out_dir = o.out_dir;
  ro.sbatch_args = o.sbatch_args;
  ro.progress = o.progress;
  const auto progress = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };
  const Evaluate evaluate = [&](const std::vector<int64_t>& indices) {
    std::vector<int64_t> pending;
    for (int64_t i : indices)
      if (!read_point_result(o.out_dir, fmt::format("p{:04d}", i))) pending.push_back(i);
    outcome.ran_now += static_cast<int64_t>(pending.size());
    if (!pending.empty())
      progress(fmt::format("sweep: {} points to run ({} done before), {} at a time ({})\n", pending.size(),
                           indices.size() - pending.size(), o.jobs, o.runner));
    run_points(pending, ro);
    std::vector<PointResult> out;
    for (int64_t i : indices) {
      const std::string id = fmt::format("p{:04d}", i);
      if (auto r = read_point_result(o.out_dir, id)) {
        out.push_back(*r);
      } else {
        PointResult died;
        died.index = i;
        died.id = id;
        died.status = "failed";
        died.reason = fmt::format("its process ended without a result (see {}/log.txt); the next sweep over this folder runs it again",
                                  point_dir(o.out_dir, id));
        out.push_back(died);
      }
    }
    return out;
  };
  const std::map<int64_t, PointResult> results = run_search(space, evaluate);
  for (const auto& [i, r] : results) outcome.points.push_back(r);
  write_sweep_report(o.out_dir, space, outcome.points);
  outcome.front = pareto_front(outcome.points, space.objectives);
  return outcome;
}

}  // namespace neurark::sweeps
