// SPDX-License-Identifier: Apache-2.0
// Design-space sweeps (sweeps/): the space file and its errors, points and their chips, the
// Pareto front by hand, the searches, and `neurark sweep` end to end (points equal to direct
// runs, resume, refusals).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "checkpoint_fixtures.hpp"
#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/sweeps/point.hpp"
#include "neurark/sweeps/result.hpp"
#include "neurark/sweeps/search.hpp"
#include "neurark/sweeps/space.hpp"
#include "test_paths.hpp"

namespace fs = std::filesystem;
using namespace neurark;
using Catch::Matchers::Contains;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A space over the default chip and the bundled model; `axes` and `extra` are YAML lines. Its
// points' logic is priced at the default chip's (synthesize_logic: false): these tests are about
// the sweep, and a lane array at other parameters takes Yosys a minute or two (test_technology.cpp
// tests the synthesis on a small chip).
std::string space_text(const std::string& axes, const std::string& extra = "") {
  return "format: neurark-sweep\nversion: 1\nname: t\nbase_chip: " + test::source_dir() +
         "/arch/chips/default-4x4.yaml\nmodels: [" + test::default_model_dir() +
         "]\nrun: {prompt: 'ROMEO: ', max_new_tokens: 4, synthesize_logic: false}\naxes:\n" + axes + extra;
}

std::string write(const neurark_test::TempDir& tmp, const std::string& name, const std::string& text) {
  const std::string p = tmp.file(name);
  std::ofstream(p) << text;
  return p;
}

struct Cli {
  int exit_code = -1;
  std::string out, err;
};
Cli run_cli(const std::string& args, const neurark_test::TempDir& tmp) {
  const std::string o = tmp.file("cli-out.txt"), e = tmp.file("cli-err.txt");
  const int status = std::system((std::string(NEURARK_CLI) + " " + args + " >" + o + " 2>" + e).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(o), slurp(e)};
}

sweeps::PointResult point(int64_t index, const std::string& status, double energy, double tps) {
  sweeps::PointResult r;
  r.index = index;
  r.id = "p" + std::to_string(index);
  r.status = status;
  r.objectives = {{"energy_per_token_j", energy}, {"tokens_per_s", tps}};
  return r;
}

}  // namespace

TEST_CASE("the bundled hand sweep: 54 points, each a valid chip with its axis values", "[sweep]") {
  const sweeps::Space s = sweeps::Space::from_file(test::source_dir() + "/arch/sweeps/default-hand.yaml");
  REQUIRE(s.axes.size() == 4);
  CHECK(s.grid_size() == 3 * 2 * 3 * 3);
  CHECK(s.axes[2].labels == std::vector<std::string>{"width 3, height 3", "width 4, height 4", "width 6, height 6"});
  CHECK(s.objectives == std::vector<std::string>{"energy_per_token_j", "tokens_per_s", "area_mm2"});
  CHECK(s.prompt.size() == 400);
  for (int64_t i = 0; i < s.grid_size(); ++i) CHECK(s.index(s.coordinates(i)) == i);
  // The last axis moves fastest: point 1 differs from point 0 in the clock only.
  CHECK(s.coordinates(1) == std::vector<int>{0, 0, 0, 1});
  const sweeps::Point p = sweeps::make_point(s, s.index({2, 1, 2, 0}));
  const arch::ChipDescription c = sweeps::point_chip(p, "p.yaml");
  CHECK(c.core.lanes == 32);
  CHECK(c.core.synapse_sram_bytes == 131072);
  CHECK(c.mesh_width == 6);
  CHECK(c.mesh_height == 6);
  CHECK(c.clock_hz == 310e6);
  CHECK(c.voltage_v == 0.6);  // the lowest operating point reaching 310 MHz
  // Untouched keys keep the base chip's values; table paths are made absolute.
  const arch::ChipDescription base = arch::ChipDescription::from_file(test::source_dir() + "/arch/chips/default-4x4.yaml");
  CHECK(c.core.accumulators == base.core.accumulators);
  CHECK(c.noc.link_width_bits == base.noc.link_width_bits);
  CHECK(fs::path(c.energy_table).is_absolute());
  CHECK(fs::exists(c.cost_table));
  // Same space, same hash; another prompt, another hash.
  CHECK(sweeps::Space::from_file(test::source_dir() + "/arch/sweeps/default-hand.yaml").hash == s.hash);
}

TEST_CASE("a bad space is refused naming the file, line, key and value", "[sweep]") {
  neurark_test::TempDir tmp;
  const auto refused = [&](const std::string& text) {
    const std::string p = write(tmp, "s.yaml", text);
    try {
      sweeps::Space::from_file(p);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(refused(space_text("  neurocore.lanes: [8, 5000]\n")),
             Contains("s.yaml:8: axes.neurocore.lanes: value 5000 does not make a valid chip from the base") &&
                 Contains("an integer in [1, 4096]"));
  CHECK_THAT(refused(space_text("  neurocore.lane: [8]\n")), Contains("s.yaml:8: axes.neurocore.lane") && Contains("unknown key 'neurocore.lane'"));
  CHECK_THAT(refused(space_text("  clock_hz: [1e8]\n  clock_hz: [2e8]\n")), Contains("key 'axes.clock_hz' appears twice"));
  CHECK_THAT(refused(space_text("  clock_hz: [1e8, 1e8]\n")), Contains("axes.clock_hz: value 1e8 appears twice"));
  CHECK_THAT(refused(space_text("  clock_hz: []\n")), Contains("axes.clock_hz") && Contains("a list of one or more values"));
  CHECK_THAT(refused(space_text("  {}\n")), Contains("axes") && Contains("at least one chip key"));
  CHECK_THAT(refused(space_text("  name: [x]\n")), Contains("axes.name") && Contains("a chip parameter"));
  CHECK_THAT(refused(space_text("  clock_hz: [1e8]\n", "objectives: [energy_per_token_j, joules]\n")),
             Contains("s.yaml:9: objectives: value 'joules' is not valid"));
  CHECK_THAT(refused(space_text("  clock_hz: [1e8]\n", "constraints: {area_mm2: {min: 5, max: 1}}\n")), Contains("min <= max"));
  CHECK_THAT(refused(space_text("  clock_hz: [1e8, 2e8]\n", "search: {method: random, samples: 3}\n")),
             Contains("search.samples: value 3 is not valid, expected an integer in [1, 2]"));
  CHECK_THAT(refused(space_text("  clock_hz: [1e8, 2e8, 3e8]\n", "search: {method: pareto_local, initial: 2, budget: 1}\n")),
             Contains("search.budget: value 1 is not valid, expected an integer in [2, 3]"));
  CHECK_THAT(refused(space_text("  clock_hz: [1e8]\n", "search: {method: annealing}\n")), Contains("search.method"));
  std::string no_base = space_text("  clock_hz: [1e8]\n");
  no_base.replace(no_base.find("default-4x4.yaml"), 16, "missing.yaml");
  CHECK_THAT(refused(no_base), Contains("base_chip") && Contains("not found"));
  CHECK_THAT(refused("format: neurark-sweep\nversion: 2\n"), Contains("version: value 2 is not valid"));
  CHECK_THAT(refused(space_text("  clock_hz: [1e8]\n", "sweeps: 3\n")), Contains("unknown key 'sweeps'"));
  // A clock above the base chip's operating points is left to the points (another axis may lower it).
  CHECK_NOTHROW(sweeps::Space::from_file(write(tmp, "ok.yaml", space_text("  clock_hz: [5e8, 9e8]\n"))));
}

TEST_CASE("the Pareto front by hand: feasible and non-dominated, equal points both stay", "[sweep]") {
  const std::vector<sweeps::PointResult> pts = {
      point(0, "ok", 1.0, 10), point(1, "ok", 2.0, 20), point(2, "ok", 2.0, 10),  // 2 is dominated by 0
      point(3, "infeasible", 0.5, 50),                                            // better, but breaks a constraint
      point(4, "ok", 1.0, 10),                                                    // equal to 0
      point(5, "does_not_fit", 0, 0)};
  const std::vector<bool> f = sweeps::pareto_front(pts, {"energy_per_token_j", "tokens_per_s"});
  CHECK(f == std::vector<bool>{true, true, false, false, true, false});
  // Minimizing energy alone against area: the direction comes from the objective.
  std::vector<sweeps::PointResult> a = {point(0, "ok", 1.0, 0), point(1, "ok", 2.0, 0)};
  a[0].objectives["area_mm2"] = 5;
  a[1].objectives["area_mm2"] = 4;
  CHECK(sweeps::pareto_front(a, {"energy_per_token_j", "area_mm2"}) == std::vector<bool>{true, true});
  a[1].objectives["area_mm2"] = 6;
  CHECK(sweeps::pareto_front(a, {"energy_per_token_j", "area_mm2"}) == std::vector<bool>{true, false});
}

TEST_CASE("random, NSGA-II and Pareto local searches: seeded, never run a point twice, stay in budget", "[sweep]") {
  CHECK(sweeps::random_sample(100, 7, 3) == sweeps::random_sample(100, 7, 3));
  CHECK(sweeps::random_sample(100, 7, 3) != sweeps::random_sample(100, 7, 4));
  CHECK(sweeps::random_sample(10, 10, 1).size() == 10);
  const auto s7 = sweeps::random_sample(100, 7, 3);
  CHECK(std::set<int64_t>(s7.begin(), s7.end()).size() == 7);
  // A synthetic 12 x 12 space: energy = x, throughput = 12 - x - |y - 6| (front: y = 6).
  sweeps::Space s;
  s.file = "synthetic";
  for (int k = 0; k < 2; ++k) {
    sweeps::Axis a;
    a.key = k == 0 ? "x" : "y";
    for (int v = 0; v < 12; ++v) {
      a.values.push_back(std::to_string(v));
      a.labels.push_back(std::to_string(v));
    }
    s.axes.push_back(a);
  }
  s.objectives = {"energy_per_token_j", "tokens_per_s"};
  s.search.method = "nsga2";
  s.search.population = 12;
  s.search.generations = 6;
  s.search.seed = 5;
  bool tradeoff = false;  // true: throughput = x - |y - 6|, a front of 12 points (every x at y = 6)
  int fit_from_x = 0;      // points with a smaller x do not fit
  std::vector<int64_t> order;  // every point run, in order
  const auto search = [&](std::set<int64_t>& seen, int& batches) {
    return sweeps::run_search(s, [&](const std::vector<int64_t>& idx) {
      ++batches;
      std::vector<sweeps::PointResult> out;
      for (int64_t i : idx) {
        CHECK(seen.insert(i).second);  // never asked twice
        order.push_back(i);
        const std::vector<int> c = s.coordinates(i);
        out.push_back(point(i, c[0] < fit_from_x ? "does_not_fit" : "ok", c[0], (tradeoff ? c[0] : 12 - c[0]) - std::abs(c[1] - 6)));
      }
      return out;
    });
  };
  std::set<int64_t> seen1, seen2;
  int b1 = 0, b2 = 0;
  const auto r1 = search(seen1, b1), r2 = search(seen2, b2);
  CHECK(seen1 == seen2);  // the same seed runs the same points
  CHECK(r1.size() == seen1.size());
  CHECK(b1 <= 1 + 6);
  CHECK(static_cast<int64_t>(seen1.size()) <= 12 * 7);
  // Everything it reports on the front is on the true front (y = 6).
  std::vector<sweeps::PointResult> pts;
  for (const auto& [i, r] : r1) pts.push_back(r);
  const std::vector<bool> f = sweeps::pareto_front(pts, s.objectives);
  int on_front = 0;
  for (std::size_t i = 0; i < pts.size(); ++i)
    if (f[i]) {
      CHECK(s.coordinates(pts[i].index)[1] == 6);
      ++on_front;
    }
  CHECK(on_front >= 1);

  // Pareto local search: from 4 random points, neighbours of the front, 2 at a time. Where energy
  // and throughput trade off (throughput = x - |y - 6|: the true front is the 12 points with
  // y = 6) it finds the whole front with far fewer runs than the grid, the same points for the
  // same seed, and never more than its budget.
  tradeoff = true;
  s.search = sweeps::Search{};
  s.search.method = "pareto_local";
  s.search.initial = 4;
  s.search.batch = 2;
  s.search.budget = 144;
  s.search.seed = 5;
  std::set<int64_t> seen3, seen4;
  int b3 = 0, b4 = 0;
  const auto r3 = search(seen3, b3);
  search(seen4, b4);
  CHECK(seen3 == seen4);
  std::vector<sweeps::PointResult> p3;
  for (const auto& [i, r] : r3) p3.push_back(r);
  const std::vector<bool> f3 = sweeps::pareto_front(p3, s.objectives);
  std::set<int> front_x;
  for (std::size_t i = 0; i < p3.size(); ++i)
    if (f3[i]) {
      CHECK(s.coordinates(p3[i].index)[1] == 6);
      front_x.insert(s.coordinates(p3[i].index)[0]);
    }
  CHECK(front_x.size() == 12);
  INFO(seen3.size() << " runs in " << b3 << " batches");
  CHECK(seen3.size() < 72);  // half the grid
  s.search.budget = 20;
  std::set<int64_t> seen5;
  int b5 = 0;
  search(seen5, b5);
  CHECK(seen5.size() == 20);
  CHECK(b5 == 1 + 8);  // the 4 initial points, then 8 batches of 2
  // Where most points do not fit (x < 10) and the first one drawn does not either, it draws new
  // random points until one fits, then finds the front: (10, 6) and (11, 6).
  fit_from_x = 10;
  s.search.initial = 1;
  s.search.budget = 144;
  std::set<int64_t> seen6;
  int b6 = 0;
  order.clear();
  const auto r6 = search(seen6, b6);
  REQUIRE(s.coordinates(order.at(0))[0] < 10);  // this seed's first point does not fit
  std::vector<sweeps::PointResult> p6;
  for (const auto& [i, r] : r6) p6.push_back(r);
  const std::vector<bool> f6 = sweeps::pareto_front(p6, s.objectives);
  std::set<int64_t> front6;
  for (std::size_t i = 0; i < p6.size(); ++i)
    if (f6[i]) front6.insert(p6[i].index);
  CHECK(front6 == std::set<int64_t>{s.index({10, 6}), s.index({11, 6})});
}

TEST_CASE("neurark sweep: each point equals a direct run of its chip, resumes, refuses another space", "[sweep][cli]") {
  neurark_test::TempDir tmp;
  const std::string space = write(tmp, "lanes.yaml", space_text("  neurocore.lanes: [8, 16]\n"));
  const std::string out = tmp.file("sw");
  const Cli r = run_cli("sweep " + space + " --out " + out + " --jobs 2", tmp);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("sweep t: 2 of 2 points (2 ok; 2 run now), search grid"));
  const nlohmann::json j = nlohmann::json::parse(slurp(out + "/sweep.json"));
  REQUIRE(j.at("points").size() == 2);
  CHECK(j.at("points")[0].at("values").at("neurocore.lanes") == "8");
  // The 16-lane point is the default chip itself: its figures equal a direct run of the preset.
  const Cli direct = run_cli("run --model " + test::default_model_dir() + " --chip " + test::source_dir() +
                                 "/arch/chips/default-4x4.yaml --prompt 'ROMEO: ' --max-new-tokens 4 --out " + tmp.file("direct"),
                             tmp);
  REQUIRE(direct.exit_code == 0);
  const nlohmann::json d = nlohmann::json::parse(slurp(tmp.file("direct") + "/report.json"));
  const nlohmann::json& p16 = j.at("points")[1].at("objectives");
  CHECK(p16.at("tokens_per_s") == d.at("tokens_per_s"));
  CHECK(p16.at("energy_per_token_j") == d.at("energy_per_token_j"));
  CHECK(p16.at("area_mm2") == d.at("hardware_cost").at("chip_area_mm2"));
  const nlohmann::json pr = nlohmann::json::parse(slurp(out + "/points/p0001/report/report.json"));
  CHECK(pr.at("cycles_per_token") == d.at("cycles_per_token"));
  // The space's synthesize_logic reaches the run: the 8-lane point's logic is the default chip's, said so.
  const nlohmann::json pr8 = nlohmann::json::parse(slurp(out + "/points/p0000/report/report.json"));
#ifdef NEURARK_HAVE_RTL
  CHECK_THAT(pr8.at("hardware_cost").at("logic_parameters").get<std::string>(), Contains("turned off"));
#else
  CHECK_THAT(pr8.at("hardware_cost").at("logic_parameters").get<std::string>(), Contains("this build has no RTL"));
#endif
  // Fewer lanes, more cycles per token (the lanes bound accumulation on this model).
  const nlohmann::json& p8 = j.at("points")[0].at("objectives");
  CHECK(p8.at("cycles_per_token").get<double>() > p16.at("cycles_per_token").get<double>());
  CHECK(fs::exists(out + "/index.html"));
  CHECK_THAT(slurp(out + "/sweep.csv"), Contains("id,index,neurocore.lanes,status,pareto"));
  // Resume: a point whose result is gone runs again, alone; the results are the same bytes.
  const std::string before = slurp(out + "/sweep.json");
  fs::remove(out + "/points/p0000/result.json");
  const Cli again = run_cli("sweep " + space + " --out " + out, tmp);
  REQUIRE(again.exit_code == 0);
  CHECK_THAT(again.out, Contains("1 run now"));
  CHECK(slurp(out + "/sweep.json") == before);
  // While a sweep runs into the folder (its lock held: here by this test), a second one is refused.
  {
    const int fd = ::open((out + "/sweep.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    const Cli busy = run_cli("sweep " + space + " --out " + out, tmp);
    ::close(fd);
    CHECK(busy.exit_code == 1);
    CHECK_THAT(busy.err, Contains("another neurark sweep is running into this folder"));
    CHECK(slurp(out + "/sweep.json") == before);
  }
  // Another space into the same folder is refused, and nothing is written.
  const std::string other = write(tmp, "other.yaml", space_text("  neurocore.lanes: [4, 8]\n"));
  const Cli refused = run_cli("sweep " + other + " --out " + out, tmp);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Contains("holds a sweep of another space"));
  CHECK(slurp(out + "/sweep.json") == before);
  // A bad space writes nothing at all.
  const std::string bad = write(tmp, "bad.yaml", space_text("  neurocore.lanes: [0]\n"));
  const Cli b = run_cli("sweep " + bad + " --out " + tmp.file("never"), tmp);
  CHECK(b.exit_code == 1);
  CHECK_THAT(b.err, Contains("bad.yaml:8: axes.neurocore.lanes: value 0"));
  CHECK_FALSE(fs::exists(tmp.file("never")));
}

TEST_CASE("neurark sweep records points that do not fit or break a constraint, with the reason", "[sweep][cli]") {
  neurark_test::TempDir tmp;
  const std::string space =
      write(tmp, "mesh.yaml",
            space_text("  mesh: [{width: 2, height: 2}, {width: 4, height: 4}]\n", "constraints: {area_mm2: {max: 1.0}}\n"));
  const Cli r = run_cli("sweep " + space + " --out " + tmp.file("sw"), tmp);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(slurp(tmp.file("sw") + "/sweep.json"));
  CHECK(j.at("points")[0].at("status") == "does_not_fit");
  CHECK_THAT(j.at("points")[0].at("reason").get<std::string>(), Contains("does not fit"));
  CHECK(j.at("points")[1].at("status") == "infeasible");
  CHECK_THAT(j.at("points")[1].at("reason").get<std::string>(), Contains("area_mm2 3.6") && Contains("> max 1"));
  CHECK(j.at("pareto").empty());
}
