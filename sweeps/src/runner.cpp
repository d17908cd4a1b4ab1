// SPDX-License-Identifier: Apache-2.0
// Running points in their own processes, locally or on Slurm: see neurark/sweeps/runner.hpp.
#include "neurark/sweeps/runner.hpp"

#include <signal.h>

#include <csignal>
#include <sys/types.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/process.hpp>
#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/sweeps/point.hpp"

namespace neurark::sweeps {

namespace fs = std::filesystem;
namespace bp = boost::process;

namespace {

// The pids of running point processes, for stop_running_points (a signal handler).
constexpr int kMaxChildren = 4096;
volatile pid_t g_children[kMaxChildren] = {};
volatile std::sig_atomic_t g_stop = 0;  // stop_running_points was called: start no more points

void track(pid_t pid) {
  for (auto& slot : g_children)
    if (slot == 0) {
      slot = pid;
      return;
    }
}
void untrack(pid_t pid) {
  for (auto& slot : g_children)
    if (slot == pid) slot = 0;
}

std::string point_id(int64_t index) { return fmt::format("p{:04d}", index); }

bool done(const RunnerOptions& o, int64_t index) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(point_dir(o.out_dir, point_id(index))) / "result.json", ec);
}

std::string duration_text(double s) {
  if (s < 90) return fmt::format("{:.0f} s", s);
  if (s < 5400) return fmt::format("{:.0f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}

// "sweep: 7/21 points done, 2 running, ETA 3 min"
void report(const RunnerOptions& o, std::size_t finished, std::size_t total, int running,
            std::chrono::steady_clock::time_point start) {
  if (!o.progress) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string eta;
  if (finished > 0 && finished < total)
    eta = ", ETA " + duration_text(elapsed / static_cast<double>(finished) * static_cast<double>(total - finished));
  o.progress(fmt::format("\rsweep: {}/{} points done{}{}, {} elapsed", finished, total,
                         running >= 0 ? fmt::format(", {} running", running) : std::string(), eta, duration_text(elapsed)));
}

std::vector<int64_t> run_local(const std::vector<int64_t>& indices, const RunnerOptions& o) {
  boost::asio::io_context ioc;
  std::deque<int64_t> queue(indices.begin(), indices.end());
  std::vector<std::unique_ptr<bp::child>> children;
  std::deque<bool> exited;  // per child: its exit has been handled
  std::vector<int64_t> died;
  int running = 0;
  std::size_t finished = 0;
  const auto start = std::chrono::steady_clock::now();
  std::function<void()> launch = [&]() {
    while (g_stop == 0 && running < o.jobs && !queue.empty()) {
      const int64_t i = queue.front();
      queue.pop_front();
      const fs::path dir = point_dir(o.out_dir, point_id(i));
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec) throw Error(fmt::format("{}: cannot create the point's folder ({})", dir.string(), ec.message()));
      const std::string log = (dir / "log.txt").string();
      const std::size_t pos = children.size();
      try {
        children.push_back(std::make_unique<bp::child>(
            o.neurark_exe, "sweep", o.space_path, "--out", o.out_dir, "--point", std::to_string(i),
            (bp::std_out & bp::std_err) > log, bp::std_in.close(), ioc,
            bp::on_exit([&, i, pos](int code, const std::error_code&) {
              // Boost.Process 1.74 may call a handler twice for one child: count each child once.
              if (exited[pos]) return;
              exited[pos] = true;
              untrack(children[pos]->id());
              --running;
              ++finished;
              if (code != 0 || !done(o, i)) died.push_back(i);
              // Start the next points after this handler returns: Boost.Process 1.74 calls it while
              // iterating its list of waiting children, and starting a child from here appends to
              // that list (a use-after-free that AddressSanitizer caught).
              boost::asio::post(ioc, [&] {
                launch();
                report(o, finished, indices.size(), running, start);
              });
            })));
        exited.push_back(false);
      } catch (const bp::process_error& e) {
        throw Error(fmt::format("sweep: cannot start {} for point {} ({})", o.neurark_exe, point_id(i), e.what()));
      }
      track(children.back()->id());
      ++running;
    }
  };
  report(o, 0, indices.size(), 0, start);
  launch();
  ioc.run();  // returns when every child has exited (and been reaped by Boost.Process)
  if (o.progress) o.progress("\n");
  return died;
}

std::vector<int64_t> run_slurm(const std::vector<int64_t>& indices, const RunnerOptions& o) {
  const std::string sbatch = bp::search_path("sbatch").string();
  if (sbatch.empty()) throw Error("--runner slurm: sbatch is not on PATH (install Slurm's client, or use --runner local)");
  const fs::path dir = fs::path(o.out_dir) / "slurm";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("{}: cannot create ({})", dir.string(), ec.message()));
  // One array per call: its own list of points and script.
  int n = 0;
  while (fs::exists(dir / fmt::format("array-{}.sh", n), ec)) ++n;
  const fs::path list = dir / fmt::format("array-{}.points", n), script = dir / fmt::format("array-{}.sh", n);
  {
    std::ofstream f(list);
    for (int64_t i : indices) {
      f << i << "\n";
      fs::create_directories(point_dir(o.out_dir, point_id(i)), ec);
    }
    if (!f) throw Error(fmt::format("{}: cannot write", list.string()));
  }
  const std::string out_abs = fs::absolute(o.out_dir).string();
  {
    std::ofstream f(script);
    f << "#!/bin/sh\n"
      << "# neurark sweep: task k runs the k-th point of " << list.filename().string() << "\n"
      << "#SBATCH --job-name=neurark-sweep\n"
      << "#SBATCH --output=" << (fs::absolute(dir) / fmt::format("array-{}-%a.out", n)).string() << "\n"
      << "I=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" '" << fs::absolute(list).string() << "')\n"
      << "P=$(printf 'p%04d' \"$I\")\n"
      << "exec '" << fs::absolute(o.neurark_exe).string() << "' sweep '" << fs::absolute(o.space_path).string()
      << "' --out '" << out_abs << "' --point \"$I\" > '" << out_abs << "/points/'\"$P\"/log.txt 2>&1\n";
    if (!f) throw Error(fmt::format("{}: cannot write", script.string()));
  }
  std::vector<std::string> args = {"--parsable", "--wait",
                                   fmt::format("--array=0-{}%{}", indices.size() - 1, std::max(1, o.jobs))};
  args.insert(args.end(), o.sbatch_args.begin(), o.sbatch_args.end());
  args.push_back(script.string());
  boost::asio::io_context ioc;
  bp::ipstream out_stream;
  const fs::path sbatch_log = dir / fmt::format("array-{}.sbatch.txt", n);
  int exit_code = -1;
  bp::child c(sbatch, bp::args(args), (bp::std_out & bp::std_err) > sbatch_log.string(), bp::std_in.close(), ioc,
              bp::on_exit([&](int code, const std::error_code&) { exit_code = code; }));
  track(c.id());
  // While the array runs: count the points that have finished.
  const auto start = std::chrono::steady_clock::now();
  boost::asio::steady_timer timer(ioc);
  std::function<void(const boost::system::error_code&)> tick = [&](const boost::system::error_code&) {
    std::size_t finished = 0;
    for (int64_t i : indices) finished += done(o, i) ? 1 : 0;
    report(o, finished, indices.size(), -1, start);
    if (exit_code < 0) {
      timer.expires_after(std::chrono::seconds(2));
      timer.async_wait(tick);
    }
  };
  timer.expires_after(std::chrono::milliseconds(0));
  timer.async_wait(tick);
  ioc.run();  // returns when sbatch has exited (reaped by Boost.Process; its code set by on_exit)
  untrack(c.id());
  if (o.progress) o.progress("\n");
  std::ifstream lf(sbatch_log);
  std::string text((std::istreambuf_iterator<char>(lf)), std::istreambuf_iterator<char>());
  std::vector<int64_t> died;
  for (int64_t i : indices)
    if (!done(o, i)) died.push_back(i);
  if (exit_code != 0 && died.size() == indices.size())
    throw Error(fmt::format("--runner slurm: sbatch exited with {} and no point finished: {}", exit_code, text));
  return died;
}

}  // namespace

void stop_running_points() noexcept {
  g_stop = 1;
  for (auto& slot : g_children)
    if (slot > 0) ::kill(slot, SIGTERM);
}

bool stop_requested() noexcept { return g_stop != 0; }
void clear_stop_request() noexcept { g_stop = 0; }

std::vector<int64_t> run_points(const std::vector<int64_t>& indices, const RunnerOptions& o) {
  if (indices.empty()) return {};
  if (g_stop != 0) return indices;  // stopped: nothing more runs (the points stay pending)
  if (o.kind == "slurm") return run_slurm(indices, o);
  return run_local(indices, o);
}

}  // namespace neurark::sweeps
