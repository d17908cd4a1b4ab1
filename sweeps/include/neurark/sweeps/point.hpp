// SPDX-License-Identifier: Apache-2.0
// neurark/sweeps/point.hpp: one point of a sweep, run into its own folder.
//
// A point's folder, `<out>/points/<id>/`, holds
//   chip.yaml    the base chip with the point's axis values (table paths made absolute)
//   report/      the run's report (report.json, report.md, report.html: docs/report-format.md)
//   log.txt      the point's progress and errors (written by the runner)
//   result.json  written last, atomically: a point is done when it exists
// A point killed half-way has no result.json and is run again by the next sweep over the same
// folder; its half-written files are removed first.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "neurark/runs/run.hpp"
#include "neurark/sweeps/space.hpp"

namespace neurark::sweeps {

struct PointResult {
  int64_t index = 0;
  std::string id;
  // "ok"; "infeasible" (ran, but breaks a constraint); "does_not_fit" (the model does not fit the
  // point's chip); "invalid_chip" (the axes' values combine into a chip the format refuses);
  // "failed" (any other error, e.g. a mismatch against the reference: a bug to report).
  std::string status;
  std::string reason;                          // why, for every status but "ok"
  std::map<std::string, double> objectives;    // every objective the run gave (objective_infos)
  bool ok() const { return status == "ok"; }
  bool ran() const { return status == "ok" || status == "infeasible"; }
};

// The folder of point `id` under `out_dir`.
std::string point_dir(const std::string& out_dir, const std::string& id);

// The objectives of a run (objective_infos(); those a run lacks, e.g. area without a cost table,
// are left out).
std::map<std::string, double> objectives_of(const runs::RunResult& run);

// Checks `objectives` against the space's constraints: "" if it meets them all, else the first
// broken one ("area_mm2 12.4 > max 10").
std::string broken_constraint(const Space& space, const std::map<std::string, double>& objectives);

// Runs point `index` of `space` into its folder under `out_dir` (created if missing): writes
// chip.yaml, runs it (runs::run, the SystemC model checked against the integer reference), writes
// report/ and result.json, and returns the result. Errors of the point itself (its chip, a model
// that does not fit, a failed run) are results, not exceptions; throws neurark::Error only when
// the folder cannot be written. `log`: progress lines.
PointResult run_point(const Space& space, int64_t index, const std::string& out_dir,
                      const std::function<void(const std::string&)>& log = {});

// The result of a finished point (its result.json), or none if the point has not finished.
// Throws neurark::Error for a result.json that is not one.
std::optional<PointResult> read_point_result(const std::string& out_dir, const std::string& id);

nlohmann::json to_json(const PointResult& r);

}  // namespace neurark::sweeps
