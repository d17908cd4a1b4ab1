// SPDX-License-Identifier: Apache-2.0
// The cache of built artefacts: see cache.hpp.
#include "cache.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"

extern char** environ;

namespace neurark::rtl::detail {

namespace fs = std::filesystem;

Hasher::Hasher() : state_(XXH3_createState()) {
  if (state_ == nullptr || XXH3_64bits_reset(static_cast<XXH3_state_t*>(state_)) != XXH_OK)
    throw Error("rtl: cannot start a hash (XXH3)");
}

Hasher::~Hasher() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

void Hasher::add(const std::string& tag, const std::string& bytes) {
  const std::string head = fmt::format("{}\n{}\n", tag, bytes.size());
  auto* st = static_cast<XXH3_state_t*>(state_);
  XXH3_64bits_update(st, head.data(), head.size());
  XXH3_64bits_update(st, bytes.data(), bytes.size());
}

void Hasher::add_file(const std::string& tag, const fs::path& file) { add(tag, slurp(file)); }

std::string Hasher::hex() const {
  return fmt::format("{:016x}", static_cast<unsigned long long>(XXH3_64bits_digest(static_cast<XXH3_state_t*>(state_))));
}

std::string slurp(const fs::path& file) {
  std::ifstream f(file, std::ios::binary);
  if (!f)
    throw Error(fmt::format("rtl: cannot read {} (the RTL sources the on-demand builds read; $NEURARK_RTL_SOURCES names "
                            "another rtl/ folder)", file.string()));
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

int run_logged(const std::vector<std::string>& argv, const fs::path& log,
               const std::function<void(const std::string&)>& on_line) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(fmt::format("rtl: pipe: {}", std::strerror(errno)));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw Error(fmt::format("rtl: cannot run {}: {}", argv[0], std::strerror(rc)));
  }
  std::ofstream out(log, std::ios::app | std::ios::binary);
  out << "$";
  for (const std::string& a : argv) out << ' ' << a;
  out << "\n";
  std::string pending;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.write(buf, n);
    pending.append(buf, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      on_line(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  if (!pending.empty()) on_line(pending);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  out.flush();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string log_tail(const fs::path& log, int lines) {
  std::ifstream f(log);
  std::deque<std::string> tail;
  for (std::string l; std::getline(f, l);) {
    tail.push_back(l);
    if (static_cast<int>(tail.size()) > lines) tail.pop_front();
  }
  std::string s;
  for (const std::string& l : tail) s += "  " + l + "\n";
  return s;
}

namespace {

// An exclusive flock on a file for the object's lifetime (released when the process dies).
class FileLock {
 public:
  FileLock(const fs::path& p, const std::function<void(const std::string&)>& waiting) {
    fd_ = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw Error(fmt::format("rtl: cannot open the lock {}: {} (set NEURARK_RTL_CACHE to a writable folder)", p.string(),
                              std::strerror(errno)));
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
    if (waiting) waiting(fmt::format("waiting for another process that builds the same (lock {})", p.string()));
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) throw Error(fmt::format("rtl: cannot lock {}: {}", p.string(), std::strerror(errno)));
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// Temporary folders of earlier builds of `name` whose process is gone (killed builds).
void remove_stale_temporaries(const fs::path& cache, const std::string& name) {
  const std::string prefix = ".tmp-" + name + "-";
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(cache, ec)) {
    const std::string f = e.path().filename().string();
    if (f.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(f.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) fs::remove_all(e.path(), ec);
  }
}

}  // namespace

CachedEntry cached_entry(const fs::path& cache, const std::string& name, const std::function<bool(const fs::path&)>& complete,
                         const std::function<void(const fs::path&)>& make,
                         const std::function<void(const std::string&)>& waiting) {
  CachedEntry e;
  e.dir = cache / name;
  if (complete(e.dir)) return e;
  std::error_code ec;
  fs::create_directories(cache, ec);
  if (ec)
    throw Error(fmt::format("rtl: cannot create the cache {}: {} (set NEURARK_RTL_CACHE to a writable folder)",
                            cache.string(), ec.message()));
  FileLock lock(cache / (name + ".lock"), waiting);
  if (complete(e.dir)) return e;  // made by the process we waited for
  remove_stale_temporaries(cache, name);
  std::random_device rd;
  const fs::path tmp = cache / fmt::format(".tmp-{}-{}-{:08x}", name, ::getpid(), rd());
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code c;
      if (!p.empty()) fs::remove_all(p, c);
    }
  } cleanup{tmp};
  fs::create_directories(tmp);
  make(tmp);
  // Into place in one step: the entry exists complete, or not at all. A folder already there is
  // incomplete or damaged (complete() said so, under the lock): it is removed first.
  if (fs::exists(e.dir, ec)) fs::remove_all(e.dir, ec);
  fs::rename(tmp, e.dir, ec);
  if (ec) {
    if (complete(e.dir)) return e;
    throw Error(fmt::format("rtl: cannot move {} into place at {}: {} (remove {} and run again)", tmp.string(),
                            e.dir.string(), ec.message(), e.dir.string()));
  }
  cleanup.p.clear();
  e.built = true;
  return e;
}

}  // namespace neurark::rtl::detail
