// SPDX-License-Identifier: Apache-2.0
// rtl/src/cache.hpp (private to rtl/): the cache of built artefacts (Verilated models,
// neurark/rtl/build.hpp; Yosys results, neurark/rtl/synth.hpp) and the pieces both use.
//
// An entry is a folder <cache>/<name>, where <name> ends in the hash of everything that made it.
// cached_entry() makes it at most once, atomically: under an exclusive lock on <name>.lock, into a
// temporary folder .tmp-<name>-<pid>-<random> of the cache, renamed into place when complete (a
// killed build leaves only a temporary folder, removed by the next build of that entry).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace neurark::rtl::detail {

// An XXH3-64 over tagged pieces: "<tag>\n<size>\n<bytes>" each.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void add(const std::string& tag, const std::string& bytes);
  void add_file(const std::string& tag, const std::filesystem::path& file);  // throws neurark::Error if unreadable
  std::string hex() const;  // 16 hex digits

 private:
  void* state_;
};

std::string slurp(const std::filesystem::path& file);  // throws neurark::Error if unreadable

// Runs argv (no shell), stdout and stderr appended to `log`; each output line also goes to
// on_line. Returns the exit status (128 + signal if killed). Throws if it cannot start.
int run_logged(const std::vector<std::string>& argv, const std::filesystem::path& log,
               const std::function<void(const std::string&)>& on_line);
std::string log_tail(const std::filesystem::path& log, int lines);  // indented

struct CachedEntry {
  std::filesystem::path dir;
  bool built = false;  // made by this call
};

// The entry <cache>/<name>: if complete(dir), as it is; else made by make(tmp) in a temporary
// folder (which it fills; throwing leaves nothing behind) and renamed into place. waiting is told
// when another process holds the entry's lock.
CachedEntry cached_entry(const std::filesystem::path& cache, const std::string& name,
                         const std::function<bool(const std::filesystem::path&)>& complete,
                         const std::function<void(const std::filesystem::path&)>& make,
                         const std::function<void(const std::string&)>& waiting);

}  // namespace neurark::rtl::detail
