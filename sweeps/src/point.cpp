// SPDX-License-Identifier: Apache-2.0
// One point of a sweep into its own folder: see neurark/sweeps/point.hpp.
#include "neurark/sweeps/point.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "files.hpp"
#include "neurark/reports/report.hpp"

namespace neurark::sweeps {

namespace fs = std::filesystem;

std::string point_dir(const std::string& out_dir, const std::string& id) { return (fs::path(out_dir) / "points" / id).string(); }

std::map<std::string, double> objectives_of(const runs::RunResult& r) {
  std::map<std::string, double> o;
  o["energy_per_token_j"] = r.generation.energy_per_token_j;
  o["prefill_energy_per_token_j"] = r.prefill.energy_per_token_j;
  if (r.generation.tokens_per_s) o["tokens_per_s"] = *r.generation.tokens_per_s;
  if (r.prefill.tokens_per_s) o["prefill_tokens_per_s"] = *r.prefill.tokens_per_s;
  if (r.time_to_first_token_s) o["time_to_first_token_s"] = *r.time_to_first_token_s;
  if (r.power_w) o["power_w"] = *r.power_w;
  if (r.cycles_per_token) o["cycles_per_token"] = *r.cycles_per_token;
  if (r.hardware) {
    o["area_mm2"] = r.hardware->chip_area_mm2;
    o["leakage_w"] = r.hardware->chip_leakage_w;
  }
  o["cores_used"] = static_cast<double>(r.cores_used);
  return o;
}

std::string broken_constraint(const Space& space, const std::map<std::string, double>& objectives) {
  for (const auto& [name, b] : space.constraints) {
    const auto it = objectives.find(name);
    if (it == objectives.end()) return fmt::format("{}: the run has no such figure (constraint not checkable)", name);
    if (b.max && it->second > *b.max) return fmt::format("{} {:.6g} > max {:.6g}", name, it->second, *b.max);
    if (b.min && it->second < *b.min) return fmt::format("{} {:.6g} < min {:.6g}", name, it->second, *b.min);
  }
  return "";
}

nlohmann::json to_json(const PointResult& r) {
  nlohmann::json j = {{"index", r.index}, {"id", r.id}, {"status", r.status}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  j["objectives"] = r.objectives;
  return j;
}

std::optional<PointResult> read_point_result(const std::string& out_dir, const std::string& id) {
  const fs::path p = fs::path(point_dir(out_dir, id)) / "result.json";
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  try {
    const nlohmann::json j = nlohmann::json::parse(s.str());
    if (j.at("format") != "neurark-sweep-point" || j.at("version") != 1)
      throw Error(fmt::format("{}: not a sweep point result (format neurark-sweep-point, version 1)", p.string()));
    PointResult r;
    r.index = j.at("index").get<int64_t>();
    r.id = j.at("id").get<std::string>();
    r.status = j.at("status").get<std::string>();
    r.reason = j.value("reason", "");
    r.objectives = j.at("objectives").get<std::map<std::string, double>>();
    if (r.id != id) throw Error(fmt::format("{}: holds point {}, expected {}", p.string(), r.id, id));
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not a sweep point result ({}); remove it to run the point again", p.string(), e.what()));
  }
}

PointResult run_point(const Space& space, int64_t index, const std::string& out_dir,
                      const std::function<void(const std::string&)>& log) {
  const Point p = make_point(space, index);
  const fs::path dir = point_dir(out_dir, p.id);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("{}: cannot create the point's folder ({})", dir.string(), ec.message()));
  // What a killed run of this point left: its report (complete or not) and temporaries.
  fs::remove(dir / "result.json", ec);
  fs::remove_all(dir / "report", ec);
  arch::remove_stale_temporaries(dir.string());
  const fs::path chip_path = dir / "chip.yaml";
  detail::write_atomic(chip_path.string(), p.chip_yaml);

  PointResult r;
  r.index = index;
  r.id = p.id;
  const auto finish = [&]() {
    nlohmann::json j = {{"format", "neurark-sweep-point"}, {"version", 1}};
    j.update(to_json(r));
    nlohmann::json values = nlohmann::json::object();
    for (std::size_t i = 0; i < space.axes.size(); ++i)
      values[space.axes[i].key] = space.axes[i].labels[static_cast<std::size_t>(p.coordinates[i])];
    j["values"] = values;
    detail::write_atomic((dir / "result.json").string(), j.dump(1) + "\n");
    return r;
  };
  try {
    point_chip(p, chip_path.string());
  } catch (const Error& e) {
    r.status = "invalid_chip";
    r.reason = e.what();
    return finish();
  }
  runs::RunOptions o;
  o.model_dir = p.model_dir;
  o.chip_path = chip_path.string();
  o.prompt = space.prompt;
  o.prompt_source = space.prompt_source;
  o.max_new_tokens = space.max_new_tokens;
  o.synthesize_logic = space.synthesize_logic;
  o.run_id = space.name + "/" + p.id;
  o.log = log;
  runs::RunResult run;
  try {
    run = runs::run(o);
  } catch (const Error& e) {
    const std::string m = e.what();
    r.status = m.find("does not fit") != std::string::npos ? "does_not_fit" : "failed";
    r.reason = m;
    return finish();
  }
  reports::write_run_report((dir / "report").string(), run);
  r.objectives = objectives_of(run);
  r.reason = broken_constraint(space, r.objectives);
  r.status = r.reason.empty() ? "ok" : "infeasible";
  return finish();
}

}  // namespace neurark::sweeps
