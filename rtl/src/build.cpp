// SPDX-License-Identifier: Apache-2.0
// On-demand Verilated models and their cache: see neurark/rtl/build.hpp.
#include "neurark/rtl/build.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cache.hpp"
#include "model_abi.h"
#include "model_registry.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/version.hpp"

namespace neurark::rtl {

namespace fs = std::filesystem;

namespace {

std::atomic<int64_t> g_built{0};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

// rtl/blocks.json of the folder `rtl`.
nlohmann::json blocks_json(const fs::path& rtl) {
  const std::string text = detail::slurp(rtl / "blocks.json");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("blocks") || !j.at("blocks").is_array())
    throw Error(fmt::format("rtl: {}: not a blocks file (format neurark-rtl-blocks)", (rtl / "blocks.json").string()));
  return j;
}

BlockSources parse_block(const nlohmann::json& root, const nlohmann::json& b) {
  BlockSources s;
  s.name = b.at("name").get<std::string>();
  s.top = b.at("top").get<std::string>();
  s.area = b.at("area").get<std::string>();
  s.area_table = b.value("area_table", false);
  s.package = root.at("package").get<std::string>();
  s.sources = b.at("sources").get<std::vector<std::string>>();
  s.memories = b.at("memories").get<std::vector<std::string>>();
  return s;
}

BlockSources find_block(const fs::path& rtl, const std::string& block) {
  const nlohmann::json j = blocks_json(rtl);
  std::string names;
  for (const nlohmann::json& b : j.at("blocks")) {
    if (b.at("name") == block) return parse_block(j, b);
    names += (names.empty() ? "" : ", ") + b.at("name").get<std::string>();
  }
  throw Error(fmt::format("rtl: no block '{}' in rtl/blocks.json (the blocks are {})", block, names));
}

// The files an on-demand build of `block` reads, relative to rtl/ (the build project, the C
// interface, the block list, the package and the block's sources).
std::vector<std::string> build_inputs(const BlockSources& b) {
  std::vector<std::string> f = {"blocks.json",           "cmake/NrkModel.cmake", "cmake/NrkPortTable.cmake",
                                "cmake/model/CMakeLists.txt", "src/model_abi.cpp", "src/model_abi.h", b.package};
  for (const std::string& s : b.sources)
    if (std::find(f.begin(), f.end(), s) == f.end()) f.push_back(s);
  return f;
}

// The toolchain the models are built with: the one neurark was configured with.
std::string toolchain() {
  return fmt::format("verilator {} ({}); {} {}; cmake {}", NRK_VERILATOR_VERSION, NRK_VERILATOR_ROOT, NRK_CXX_COMPILER,
                     NRK_CXX_COMPILER_VERSION, NRK_CMAKE_COMMAND);
}

// The key of a model: everything its build reads. Of rtl/blocks.json only the block's own entry
// and the package counts (an edit of another block rebuilds nothing here).
std::string hash_files(const fs::path& rtl, const BlockSources& b, const std::string& params) {
  detail::Hasher h;
  h.add("abi", std::to_string(NRK_MODEL_ABI_VERSION));
  h.add("block", b.name);
  h.add("params", params);
  h.add("toolchain", toolchain());
  const nlohmann::json j = blocks_json(rtl);
  for (const nlohmann::json& e : j.at("blocks"))
    if (e.at("name") == b.name) h.add("blocks.json entry", e.dump() + j.at("package").dump());
  for (const std::string& f : build_inputs(b))
    if (f != "blocks.json") h.add_file("file " + f, rtl / f);
  return h.hex();
}

void say(const BuildOptions& o, const std::string& line) {
  if (o.progress)
    o.progress(line);
  else
    fmt::print(stderr, "rtl: {}\n", line);
}

// XXH3-64 of a built model's shared object, recorded in its model.json.
std::string model_so_hash(const fs::path& so) {
  detail::Hasher h;
  h.add_file("model.so", so);
  return h.hex();
}

// An entry is used only if its shared object is the one that was built (a truncated or replaced
// model.so would crash the process that loads it): model.json records its hash.
bool entry_complete(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / "model.so", ec) || !fs::is_regular_file(dir / "model.json", ec)) return false;
  try {
    const nlohmann::json info = nlohmann::json::parse(detail::slurp(dir / "model.json"));
    return info.value("model_so_xxh3", std::string()) == model_so_hash(dir / "model.so");
  } catch (const std::exception&) {
    return false;
  }
}

std::string join_params(const RtlParams& params, const char* sep) {
  std::string s;
  for (const RtlParam& p : params) s += (s.empty() ? "" : sep) + p.name + "=" + std::to_string(p.value);
  return s;
}

}  // namespace

std::string params_text(const RtlParams& params) {
  RtlParams sorted = params;
  std::stable_sort(sorted.begin(), sorted.end(), [](const RtlParam& a, const RtlParam& b) { return a.name < b.name; });
  for (std::size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i].name == sorted[i - 1].name) throw Error("rtl: parameter " + sorted[i].name + " given twice");
  return join_params(sorted, ",");
}

std::string ModelBuild::describe() const {
  std::string p = params;
  std::replace(p.begin(), p.end(), ',', ' ');
  if (compiled_in) return fmt::format("{} ({}), compiled into neurark", block, p);
  return fmt::format("{} ({}) {} {}", block, p, built ? fmt::format("built in {:.1f} s into", seconds) : "from the cache",
                     path);
}

std::string rtl_cache_dir() {
  if (std::string d = env("NEURARK_RTL_CACHE"); !d.empty()) return d;
  if (std::string x = env("XDG_CACHE_HOME"); !x.empty() && fs::path(x).is_absolute())
    return (fs::path(x) / "neurark" / "rtl").string();
  if (std::string h = env("HOME"); !h.empty()) return (fs::path(h) / ".cache" / "neurark" / "rtl").string();
  return (fs::temp_directory_path() / "neurark-rtl-cache").string();
}

std::string rtl_source_dir() {
  if (std::string d = env("NEURARK_RTL_SOURCES"); !d.empty()) return d;
  if (const std::string share = arch::installed_data_dir(); !share.empty() && fs::exists(fs::path(share) / "rtl" / "blocks.json"))
    return (fs::path(share) / "rtl").string();
  return NRK_RTL_SOURCE_DIR;
}

std::string verilator_version() { return NRK_VERILATOR_VERSION; }

BlockSources block_sources(const std::string& block) { return find_block(rtl_source_dir(), block); }

std::vector<BlockSources> all_blocks() {
  const nlohmann::json j = blocks_json(rtl_source_dir());
  std::vector<BlockSources> out;
  for (const nlohmann::json& b : j.at("blocks")) out.push_back(parse_block(j, b));
  return out;
}

std::string model_hash(const std::string& block, const RtlParams& params) {
  const fs::path rtl = rtl_source_dir();
  return hash_files(rtl, find_block(rtl, block), params_text(params));
}

bool has_compiled_in_model(const std::string& block, const RtlParams& params) {
  const std::string p = params_text(params);
  for (int i = 0; i < detail::kNumCompiledModels; ++i)
    if (block == detail::kCompiledModels[i].block && p == detail::kCompiledModels[i].params) return true;
  return false;
}

int64_t models_built() { return g_built.load(); }

ModelBuild build_model(const std::string& block, const RtlParams& params, const BuildOptions& o) {
  const fs::path rtl = rtl_source_dir();
  const BlockSources b = find_block(rtl, block);
  ModelBuild mb;
  mb.block = block;
  mb.top = b.top;
  mb.params = params_text(params);
  mb.hash = hash_files(rtl, b, mb.params);
  const fs::path cache = o.cache_dir.empty() ? fs::path(rtl_cache_dir()) : fs::path(o.cache_dir);
  const std::string what = fmt::format("the {} model ({})", block, join_params(params, " "));
  const auto t0 = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };

  const auto make = [&](const fs::path& tmp) {
    // The inputs, copied: the build reads these copies, whose hash must be the key (an edit of the
    // sources after the key was computed would otherwise file a model under the wrong key).
    for (const std::string& f : build_inputs(b)) {
      fs::create_directories((tmp / "src" / "rtl" / f).parent_path());
      fs::copy_file(rtl / f, tmp / "src" / "rtl" / f, fs::copy_options::overwrite_existing);
    }
    if (hash_files(tmp / "src" / "rtl", b, mb.params) != mb.hash)
      throw Error(fmt::format("rtl: the RTL sources in {} changed while {} was being prepared; run again", rtl.string(), what));
    say(o, fmt::format("building {}: not in the cache {} (Verilator, then the C++ compiler: tens of seconds) ...", what,
                       cache.string()));
    const fs::path log = tmp / "build.log";
    int jobs = o.jobs;
    if (jobs <= 0) jobs = std::atoi(env("NEURARK_RTL_JOBS").c_str());
    if (jobs <= 0) jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::string glist;
    for (const RtlParam& p : params) glist += (glist.empty() ? "" : ";") + p.name + "=" + std::to_string(p.value);
    int last_pct = -1;
    const auto on_line = [&](const std::string& line) {
      // Make's "[ 45%] Building CXX object ..." lines: one progress line per step of 20 %.
      if (line.size() > 6 && line[0] == '[' && line[4] == '%') {
        const int pct = std::atoi(line.c_str() + 1);
        if (pct / 20 > last_pct / 20) say(o, fmt::format("  {} {:3d} % ({:.0f} s)", block, pct, elapsed()));
        last_pct = std::max(last_pct, pct);
      }
    };
    const fs::path build = tmp / "build";
    const auto step = [&](const std::vector<std::string>& argv, const char* stage) {
      const int rc = detail::run_logged(argv, log, on_line);
      if (rc == 0) return;
      std::error_code ec;
      const fs::path kept = cache / (block + "-" + mb.hash + ".failed.log");
      fs::copy_file(log, kept, fs::copy_options::overwrite_existing, ec);
      throw Error(fmt::format("rtl: building {} failed ({}, exit status {}); the end of the log:\n{}full log: {}", what,
                              stage, rc, detail::log_tail(log, 25), kept.string()));
    };
    say(o, fmt::format("  {} Verilator ...", block));
    step({NRK_CMAKE_COMMAND, "-S", (tmp / "src" / "rtl" / "cmake" / "model").string(), "-B", build.string(),
          "-DCMAKE_BUILD_TYPE=Release", std::string("-DCMAKE_CXX_COMPILER=") + NRK_CXX_COMPILER,
          std::string("-DVERILATOR_ROOT=") + NRK_VERILATOR_ROOT, "-DNRK_BLOCK=" + block, "-DNRK_PARAMS=" + glist},
         "CMake and Verilator");
    say(o, fmt::format("  {} C++ ({} jobs, {:.0f} s so far) ...", block, jobs, elapsed()));
    step({NRK_CMAKE_COMMAND, "--build", build.string(), "-j", std::to_string(jobs)}, "the C++ compiler");
    fs::copy_file(build / "model.so", tmp / "model.so");
    std::error_code ec;
    fs::remove_all(build, ec);
    const nlohmann::json info = {{"format", "neurark-rtl-model"},
                                 {"block", block},
                                 {"top", b.top},
                                 {"params", mb.params},
                                 {"hash", mb.hash},
                                 {"abi_version", NRK_MODEL_ABI_VERSION},
                                 {"toolchain", toolchain()},
                                 {"sources", rtl.string()},
                                 {"build_seconds", elapsed()},
                                 {"built_at_unix", static_cast<int64_t>(std::time(nullptr))},
                                 {"model_so_xxh3", model_so_hash(tmp / "model.so")}};
    std::ofstream(tmp / "model.json") << info.dump(2) << "\n";
  };
  const detail::CachedEntry e =
      detail::cached_entry(cache, block + "-" + mb.hash, entry_complete, make, [&](const std::string& w) { say(o, w); });
  mb.path = e.dir.string();
  if (e.built) {
    mb.built = true;
    mb.seconds = elapsed();
    ++g_built;
    say(o, fmt::format("built {} in {:.1f} s: {}", what, mb.seconds, mb.path));
  }
  return mb;
}

}  // namespace neurark::rtl
