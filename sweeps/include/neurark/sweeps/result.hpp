// SPDX-License-Identifier: Apache-2.0
// neurark/sweeps/result.hpp: a sweep's results, written for programs and people (docs/sweep.md).
//
//   sweep.json  every point run: its axis values, status (and reason), objectives, whether it is
//               on the Pareto front, its chip file and report; the front's ids
//   sweep.csv   the same, one row per point
//   index.html  the Pareto front (the first two objectives, coloured by the third), each objective
//               against each axis, and a table linking every point's report
// All three are written atomically and depend only on the space and the points' results: the
// same space gives the same bytes, however the points were run (locally, on Slurm, resumed).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurark/sweeps/point.hpp"
#include "neurark/sweeps/space.hpp"

namespace neurark::sweeps {

// `points`: the points evaluated, in index order.
nlohmann::json sweep_json(const Space& space, const std::vector<PointResult>& points);
std::string sweep_csv(const Space& space, const std::vector<PointResult>& points);
std::string sweep_html(const Space& space, const std::vector<PointResult>& points);

// The front as an SVG scatter: x the second objective, y the first, colour the third (if any).
std::string svg_pareto(const Space& space, const std::vector<PointResult>& points);

// Writes sweep.json, sweep.csv and index.html into `out_dir`. Throws neurark::Error.
void write_sweep_report(const std::string& out_dir, const Space& space, const std::vector<PointResult>& points);

}  // namespace neurark::sweeps
