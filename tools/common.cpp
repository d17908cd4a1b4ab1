// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the command line: see command.hpp.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "command.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/sim/registry.hpp"

namespace neurark::tools {

const CLI::Validator kSeedText(
    [](std::string& s) -> std::string {
      if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
        return "'" + s + "' is not a seed, expected an integer from 0 to 2^63-1 = 9223372036854775807";
      const std::string digits = s.substr(std::min(s.find_first_not_of('0'), s.size()));
      if (digits.size() > 19 || (digits.size() == 19 && digits > "9223372036854775807"))
        return "'" + s + "' is out of range, expected an integer from 0 to 2^63-1 = 9223372036854775807";
      return "";
    },
    "0..2^63-1", "seed");

void add_model_source_options(CLI::App& sub, runs::ModelSource& src) {
  std::string help;
  for (const sim::BackendEntry& e : sim::backends()) help += fmt::format("{}{} ({})", help.empty() ? "" : ", ", e.name, e.description);
  help += fmt::format("; the chip backends ({}) run --image, or compile --model for --chip on the fly (systemc is then checked "
                      "against int on every token)", fmt::join(sim::backend_names(true), ", "));
  sub.add_option("--model", src.model_dir, "Checkpoint folder (config.json + *.safetensors); with --image, the reference "
                                           "every token is checked against");
  sub.add_option("--backend", src.backend, help)->check(CLI::IsMember(sim::backend_names()))->capture_default_str();
  sub.add_option("--chip", src.chip_path, "Chip backends: chip description to compile the model for");
  sub.add_option("--image", src.image_path, "Chip backends: chip image to run (from neurark compile)");
}

void add_event_options(CLI::App& sub, arch::EventOverride& events) {
  sub.add_option_function<std::string>(
         "--event-encoding",
         [&events](const std::string& v) {
           events.encoding = v == "sigma_delta" ? arch::EventEncoding::kSigmaDelta : arch::EventEncoding::kAbsolute;
         },
         "Which activation codes send events, replacing the chip's neurocore.event_encoding: absolute (a code whose magnitude "
         "exceeds the threshold) or sigma_delta (the change of a code since it last sent, when it exceeds the threshold; "
         "accumulators kept between tokens). Default: the chip's (absolute); docs/numerics.md §5b")
      ->check(CLI::IsMember({"absolute", "sigma_delta"}));
  sub.add_option_function<int32_t>("--event-threshold", [&events](const int32_t& t) { events.threshold = t; },
                                   "0 to 254: codes (absolute) or changes (sigma_delta) of at most this magnitude send no "
                                   "event, replacing the chip's neurocore.event_threshold (default: the chip's, 0: the "
                                   "dense path)");
}

std::string report_folder(const std::string& value, const std::string& what) {
  namespace fs = std::filesystem;
  std::string trim = value;
  while (trim.size() > 1 && trim.back() == '/') trim.pop_back();
  const std::string out = fs::path(trim).lexically_normal().string();
  if (out.empty() || out == "/" || fs::path(out).filename().empty() || fs::path(out).filename() == "." ||
      fs::path(out).filename() == "..")
    throw Error(fmt::format("--out {}: expected a folder path (a new or empty folder)", value));
  std::error_code ec;
  if (fs::exists(out, ec) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec)))
    throw Error(fmt::format("--out {}: exists and is not an empty folder; {}", out, what));
  return out;
}

runs::CoreXY parse_core_xy(const std::string& option, const std::string& value) {
  int x = -1, y = -1;
  char extra = 0;
  if (std::sscanf(value.c_str(), "%d,%d%c", &x, &y, &extra) != 2 || x < 0 || y < 0)
    throw Error(fmt::format("{} {}: expected X,Y (a neurocore's mesh coordinates, e.g. 1,2)", option, value));
  return {x, y};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void progress(const std::string& text) { std::cerr << text << std::flush; }

namespace {
constexpr int kSideFiles = 4;
char g_side_file[kSideFiles][1024] = {};
char g_side_dir[1024] = {};
}  // namespace

void register_side_file(int slot, const std::string& path) {
  if (slot >= 0 && slot < kSideFiles && path.size() < sizeof g_side_file[slot])
    std::memcpy(g_side_file[slot], path.c_str(), path.size() + 1);
}

void register_side_dir(const std::string& path) {
  if (path.size() < sizeof g_side_dir) std::memcpy(g_side_dir, path.c_str(), path.size() + 1);
}

void remove_run_side_files() noexcept {
  for (auto& f : g_side_file)
    if (f[0] != '\0') ::unlink(f);
  if (g_side_dir[0] != '\0') ::rmdir(g_side_dir);
}

}  // namespace neurark::tools
