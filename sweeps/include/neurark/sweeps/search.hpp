// SPDX-License-Identifier: Apache-2.0
// neurark/sweeps/search.hpp: which points of a space to run, and the Pareto front of those run.
//
//   grid    every point, in index order
//   random  `samples` points drawn without replacement (seeded: the same seed draws the same points)
//   nsga2   NSGA-II (Deb et al., "A fast and elitist multiobjective genetic algorithm: NSGA-II",
//           IEEE TEC 6(2), 2002) over the grid's coordinates: a population of `population`
//           points, `generations` generations of binary tournament (rank, then crowding
//           distance), uniform crossover and per-axis mutation (probability 1 / axes), each
//           generation's new points run as one batch; a point already run is not run again.
//           Points that did not run (do not fit, invalid chip) or break a constraint rank below
//           every feasible one (Deb's constraint domination).
// Random numbers come from std::mt19937_64 reduced by modulo (not std::uniform_int_distribution,
// whose output differs between standard libraries): the same seed picks the same points everywhere.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "neurark/sweeps/point.hpp"
#include "neurark/sweeps/space.hpp"

namespace neurark::sweeps {

// Runs the points in `indices` (those not yet run) and returns the results of all of them.
using Evaluate = std::function<std::vector<PointResult>(const std::vector<int64_t>& indices)>;

// Runs the space's search through `evaluate`; returns every point evaluated, by index.
std::map<int64_t, PointResult> run_search(const Space& space, const Evaluate& evaluate);

// The indices of random's sample, sorted.
std::vector<int64_t> random_sample(int64_t grid_size, int64_t samples, uint64_t seed);

// True where a point is on the Pareto front: status ok (feasible) and no other ok point at least
// as good in every objective and better in one (directions from objective_infos()).
std::vector<bool> pareto_front(const std::vector<PointResult>& points, const std::vector<std::string>& objectives);

}  // namespace neurark::sweeps
