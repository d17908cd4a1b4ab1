// SPDX-License-Identifier: Apache-2.0
// Searches over a space and the Pareto front: see neurark/sweeps/search.hpp.
#include "neurark/sweeps/search.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"

namespace neurark::sweeps {

namespace {

// Objective values turned so that smaller is better; empty for a point off the front's contest.
std::vector<double> costs(const PointResult& r, const std::vector<std::string>& objectives) {
  std::vector<double> c;
  if (!r.ok()) return c;
  for (const std::string& name : objectives) {
    const auto it = r.objectives.find(name);
    if (it == r.objectives.end()) return {};
    c.push_back(find_objective(name)->minimize ? it->second : -it->second);
  }
  return c;
}

bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool better = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) better = true;
  }
  return better;
}

uint64_t below(std::mt19937_64& rng, uint64_t n) { return rng() % n; }

// NSGA-II's ranking of `members` (indices into `all`): fronts by constraint domination, then
// crowding distance within each front. Returns rank and crowding per member.
struct Ranked {
  std::vector<int> rank;
  std::vector<double> crowding;
};

Ranked rank_members(const std::vector<const PointResult*>& members, const std::vector<std::string>& objectives) {
  const std::size_t n = members.size();
  std::vector<std::vector<double>> c(n);
  for (std::size_t i = 0; i < n; ++i) c[i] = costs(*members[i], objectives);
  Ranked out;
  out.rank.assign(n, -1);
  out.crowding.assign(n, 0.0);
  // Feasible points: non-dominated sorting.
  std::vector<std::size_t> left;
  for (std::size_t i = 0; i < n; ++i)
    if (!c[i].empty()) left.push_back(i);
  int front = 0;
  while (!left.empty()) {
    std::vector<std::size_t> current, rest;
    for (std::size_t i : left) {
      bool dominated = false;
      for (std::size_t j : left)
        if (j != i && dominates(c[j], c[i])) {
          dominated = true;
          break;
        }
      (dominated ? rest : current).push_back(i);
    }
    for (std::size_t i : current) out.rank[i] = front;
    // Crowding distance over the front.
    for (std::size_t k = 0; k < objectives.size(); ++k) {
      std::vector<std::size_t> order = current;
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return c[a][k] != c[b][k] ? c[a][k] < c[b][k] : members[a]->index < members[b]->index;
      });
      const double span = c[order.back()][k] - c[order.front()][k];
      out.crowding[order.front()] = out.crowding[order.back()] = std::numeric_limits<double>::infinity();
      if (span > 0)
        for (std::size_t m = 1; m + 1 < order.size(); ++m)
          out.crowding[order[m]] += (c[order[m + 1]][k] - c[order[m - 1]][k]) / span;
    }
    left = rest;
    ++front;
  }
  // Points that did not run or break a constraint: one last front.
  for (std::size_t i = 0; i < n; ++i)
    if (c[i].empty()) out.rank[i] = front;
  return out;
}

// True if member a is preferred to member b (rank, then crowding, then the lower index).
bool better(const Ranked& r, const std::vector<const PointResult*>& m, std::size_t a, std::size_t b) {
  if (r.rank[a] != r.rank[b]) return r.rank[a] < r.rank[b];
  if (r.crowding[a] != r.crowding[b]) return r.crowding[a] > r.crowding[b];
  return m[a]->index < m[b]->index;
}

std::map<int64_t, PointResult> nsga2(const Space& space, const Evaluate& evaluate) {
  std::mt19937_64 rng(space.search.seed);
  const int64_t grid = space.grid_size();
  const auto population_size = static_cast<std::size_t>(std::min<int64_t>(space.search.population, grid));
  std::map<int64_t, PointResult> archive;
  const auto run = [&](const std::vector<int64_t>& batch) {
    for (PointResult& r : evaluate(batch)) archive[r.index] = r;
  };
  std::vector<int64_t> population = random_sample(grid, static_cast<int64_t>(population_size), rng());
  run(population);
  for (int64_t g = 0; g < space.search.generations; ++g) {
    if (static_cast<int64_t>(archive.size()) >= grid) break;  // the whole grid is known
    std::vector<const PointResult*> members;
    for (int64_t i : population) members.push_back(&archive.at(i));
    const Ranked ranked = rank_members(members, space.objectives);
    const auto tournament = [&]() {
      const std::size_t a = below(rng, members.size()), b = below(rng, members.size());
      return better(ranked, members, a, b) ? a : b;
    };
    // Offspring: new points only (a point run before is known, not run again).
    std::vector<int64_t> offspring;
    std::set<int64_t> taken;
    const std::size_t want = std::min<std::size_t>(population_size, static_cast<std::size_t>(grid) - archive.size());
    for (int attempts = 0; offspring.size() < want && attempts < 100 * static_cast<int>(population_size) + 100; ++attempts) {
      const std::vector<int> p1 = space.coordinates(members[tournament()]->index);
      const std::vector<int> p2 = space.coordinates(members[tournament()]->index);
      std::vector<int> child(p1.size());
      for (std::size_t k = 0; k < child.size(); ++k) child[k] = below(rng, 2) == 0 ? p1[k] : p2[k];
      for (std::size_t k = 0; k < child.size(); ++k) {
        const auto n = static_cast<uint64_t>(space.axes[k].values.size());
        if (n > 1 && below(rng, child.size()) == 0) {
          // A different value of this axis.
          child[k] = static_cast<int>((static_cast<uint64_t>(child[k]) + 1 + below(rng, n - 1)) % n);
        }
      }
      const int64_t idx = space.index(child);
      if (archive.count(idx) != 0 || !taken.insert(idx).second) continue;
      offspring.push_back(idx);
    }
    if (offspring.empty()) break;
    run(offspring);
    // Environmental selection over parents and offspring.
    std::vector<int64_t> pool = population;
    pool.insert(pool.end(), offspring.begin(), offspring.end());
    std::vector<const PointResult*> pm;
    for (int64_t i : pool) pm.push_back(&archive.at(i));
    const Ranked pr = rank_members(pm, space.objectives);
    std::vector<std::size_t> order(pool.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return better(pr, pm, a, b); });
    population.clear();
    for (std::size_t i = 0; i < order.size() && population.size() < population_size; ++i) population.push_back(pool[order[i]]);
  }
  return archive;
}

// Pareto local search (Paquete, Chiarandini and Stützle, "Pareto local optimum sets in the
// biobjective traveling salesman problem", LNEMS 535, 2004), on the grid: a point's neighbours
// are the points one step away on one axis (the axes' values in file order). From `initial`
// random points, repeatedly run `batch` unexplored neighbours of the points on the archive's
// front (a front point and then one of its unexplored neighbours drawn at random), until every
// front point's neighbourhood has been run (a Pareto local optimum set) or `budget` points have.
std::map<int64_t, PointResult> pareto_local(const Space& space, const Evaluate& evaluate) {
  std::mt19937_64 rng(space.search.seed);
  const int64_t grid = space.grid_size();
  const auto budget = static_cast<std::size_t>(std::min(space.search.budget > 0 ? space.search.budget : grid, grid));
  std::map<int64_t, PointResult> archive;
  const auto run = [&](const std::vector<int64_t>& batch) {
    for (PointResult& r : evaluate(batch)) archive[r.index] = r;
  };
  const auto unexplored_neighbours = [&](int64_t index) {
    std::vector<int64_t> out;
    const std::vector<int> c = space.coordinates(index);
    for (std::size_t k = 0; k < c.size(); ++k)
      for (int step : {-1, 1}) {
        std::vector<int> n = c;
        n[k] += step;
        if (n[k] < 0 || n[k] >= static_cast<int>(space.axes[k].values.size())) continue;
        const int64_t i = space.index(n);
        if (archive.count(i) == 0) out.push_back(i);
      }
    return out;
  };
  run(random_sample(grid, std::min<int64_t>(space.search.initial > 0 ? space.search.initial : 1, static_cast<int64_t>(budget)),
                    rng()));
  while (archive.size() < budget) {
    std::vector<PointResult> known;
    for (const auto& [i, r] : archive) known.push_back(r);
    const std::vector<bool> front = pareto_front(known, space.objectives);
    std::vector<int64_t> open;  // front points with a neighbour not yet run
    bool any_front = false;
    for (std::size_t k = 0; k < known.size(); ++k) {
      any_front = any_front || front[k];
      if (front[k] && !unexplored_neighbours(known[k].index).empty()) open.push_back(known[k].index);
    }
    const std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(std::max<int64_t>(space.search.batch, 1)),
                                                   budget - archive.size());
    if (!any_front) {
      // Every point so far failed, did not fit or broke a constraint: draw new random points.
      std::vector<int64_t> fresh;
      for (int64_t i = 0; i < grid; ++i)
        if (archive.count(i) == 0) fresh.push_back(i);
      if (fresh.empty()) break;
      const auto n = static_cast<int64_t>(std::min(fresh.size(), want));
      std::vector<int64_t> draw;
      for (int64_t k : random_sample(static_cast<int64_t>(fresh.size()), n, rng()))
        draw.push_back(fresh[static_cast<std::size_t>(k)]);
      run(draw);
      continue;
    }
    if (open.empty()) break;  // a Pareto local optimum set
    std::set<int64_t> chosen;
    for (std::size_t tries = 0; chosen.size() < want && tries < 100 * want; ++tries) {
      const int64_t from = open[below(rng, open.size())];
      std::vector<int64_t> cand;
      for (int64_t i : unexplored_neighbours(from))
        if (chosen.count(i) == 0) cand.push_back(i);
      if (!cand.empty()) chosen.insert(cand[below(rng, cand.size())]);
    }
    run(std::vector<int64_t>(chosen.begin(), chosen.end()));
  }
  return archive;
}

}  // namespace

std::vector<int64_t> random_sample(int64_t grid_size, int64_t samples, uint64_t seed) {
  if (samples < 0 || samples > grid_size)
    throw std::logic_error(fmt::format("random_sample: {} samples of {} points", samples, grid_size));
  std::mt19937_64 rng(seed);
  std::set<int64_t> chosen;
  if (samples * 2 > grid_size) {
    // Partial Fisher-Yates over all indices.
    std::vector<int64_t> all(static_cast<std::size_t>(grid_size));
    std::iota(all.begin(), all.end(), 0);
    for (int64_t i = 0; i < samples; ++i) {
      const auto j = static_cast<std::size_t>(i + static_cast<int64_t>(below(rng, static_cast<uint64_t>(grid_size - i))));
      std::swap(all[static_cast<std::size_t>(i)], all[j]);
      chosen.insert(all[static_cast<std::size_t>(i)]);
    }
  } else {
    while (static_cast<int64_t>(chosen.size()) < samples) chosen.insert(static_cast<int64_t>(below(rng, static_cast<uint64_t>(grid_size))));
  }
  return {chosen.begin(), chosen.end()};
}

std::vector<bool> pareto_front(const std::vector<PointResult>& points, const std::vector<std::string>& objectives) {
  std::vector<std::vector<double>> c(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) c[i] = costs(points[i], objectives);
  std::vector<bool> front(points.size(), false);
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (c[i].empty()) continue;
    bool dominated = false;
    for (std::size_t j = 0; j < points.size() && !dominated; ++j)
      dominated = j != i && !c[j].empty() && dominates(c[j], c[i]);
    front[i] = !dominated;
  }
  return front;
}

std::map<int64_t, PointResult> run_search(const Space& space, const Evaluate& evaluate) {
  std::map<int64_t, PointResult> out;
  if (space.search.method == "nsga2") return nsga2(space, evaluate);
  if (space.search.method == "pareto_local") return pareto_local(space, evaluate);
  std::vector<int64_t> indices;
  if (space.search.method == "random") {
    indices = random_sample(space.grid_size(), space.search.samples, space.search.seed);
  } else {
    indices.resize(static_cast<std::size_t>(space.grid_size()));
    std::iota(indices.begin(), indices.end(), 0);
  }
  for (PointResult& r : evaluate(indices)) out[r.index] = r;
  return out;
}

}  // namespace neurark::sweeps
