// SPDX-License-Identifier: Apache-2.0
// The space file reader and its points: see neurark/sweeps/space.hpp and docs/sweep.md.
#include "neurark/sweeps/space.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <xxhash.h>
#include <yaml-cpp/yaml.h>

#include "neurark/arch/error.hpp"
#include "neurark/arch/yaml_section.hpp"

namespace neurark::sweeps {

namespace fs = std::filesystem;
using arch::detail::Section;

const std::vector<ObjectiveInfo>& objective_infos() {
  static const std::vector<ObjectiveInfo> all = {
      {"energy_per_token_j", "J", true, "energy per generated token, dynamic + leakage"},
      {"tokens_per_s", "tokens/s", false, "generation throughput at the chip clock"},
      {"area_mm2", "mm²", true, "chip area: neurocores' logic and memories (hardware_cost)"},
      {"prefill_energy_per_token_j", "J", true, "energy per prompt token"},
      {"prefill_tokens_per_s", "tokens/s", false, "prompt throughput, layers pipelined"},
      {"time_to_first_token_s", "s", true, "time to the first generated token"},
      {"power_w", "W", true, "average power over the run"},
      {"leakage_w", "W", true, "chip leakage power at the operating supply"},
      {"cycles_per_token", "cycles", true, "generation cycles per token"},
      {"cores_used", "neurocores", true, "neurocores holding tiles"},
  };
  return all;
}

const ObjectiveInfo* find_objective(const std::string& name) {
  for (const ObjectiveInfo& o : objective_infos())
    if (name == o.name) return &o;
  return nullptr;
}

namespace {

std::string slurp(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(fmt::format("{}: {} not found (expected a readable file)", path, what));
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  if (!f) throw Error(fmt::format("{}: cannot read the {}", path, what));
  return s.str();
}

std::string flow_yaml(const YAML::Node& n) {
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

// "width 8, height 4" for a mapping, the scalar itself otherwise.
std::string label_of(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  if (n.IsMap()) {
    std::string s;
    for (const auto& kv : n) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", kv.first.Scalar(), label_of(kv.second));
    return s;
  }
  return flow_yaml(n);
}

std::vector<std::string> split_path(const std::string& key) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : key) {
    if (c == '.') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

// Sets `value` at `path` of `root` (a scalar or list replaces, a mapping merges key by key).
void apply(YAML::Node root, const std::vector<std::string>& path, const YAML::Node& value) {
  YAML::Node n = root;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    if (!n[path[i]] || !n[path[i]].IsMap()) n[path[i]] = YAML::Node(YAML::NodeType::Map);
    n.reset(n[path[i]]);
  }
  const std::string& last = path.back();
  if (value.IsMap() && n[last] && n[last].IsMap()) {
    for (const auto& kv : value) {
      std::vector<std::string> sub = {kv.first.Scalar()};
      apply(n[last], sub, kv.second);
    }
  } else {
    n[last] = YAML::Clone(value);
  }
}

// The chip paths a YAML chip names (relative to its own file) made absolute.
void absolute_table_paths(YAML::Node chip, const fs::path& base_dir) {
  YAML::Node tech = chip["technology"];
  if (!tech || !tech.IsMap()) return;
  for (const char* key : {"energy_table", "cost_table"}) {
    if (tech[key] && tech[key].IsScalar() && !tech[key].Scalar().empty()) {
      const fs::path p(tech[key].Scalar());
      if (p.is_relative()) tech[key] = (base_dir / p).lexically_normal().string();
    }
  }
}

// The chip reader's message without its "file:line: " prefix (the file is a point's, not the user's).
std::string chip_message(const std::string& what, const std::string& path) {
  std::string m = what;
  if (m.rfind(path + ":", 0) == 0) {
    m = m.substr(path.size() + 1);
    const auto colon = m.find(": ");
    if (colon != std::string::npos && m.find_first_not_of("0123456789") == colon) m = m.substr(colon + 2);
  }
  return m;
}

std::string hex16(uint64_t h) { return fmt::format("{:016x}", h); }

}  // namespace

int64_t Space::grid_size() const {
  int64_t n = 1;
  for (const Axis& a : axes) n *= static_cast<int64_t>(a.values.size());
  return n;
}

std::vector<int> Space::coordinates(int64_t idx) const {
  if (idx < 0 || idx >= grid_size())
    throw Error(fmt::format("{}: point {} is not in the space (0 to {})", file, idx, grid_size() - 1));
  std::vector<int> c(axes.size());
  for (std::size_t i = axes.size(); i-- > 0;) {
    const auto n = static_cast<int64_t>(axes[i].values.size());
    c[i] = static_cast<int>(idx % n);
    idx /= n;
  }
  return c;
}

int64_t Space::index(const std::vector<int>& c) const {
  int64_t idx = 0;
  for (std::size_t i = 0; i < axes.size(); ++i) idx = idx * static_cast<int64_t>(axes[i].values.size()) + c[i];
  return idx;
}

Point make_point(const Space& space, int64_t index) {
  Point p;
  p.index = index;
  p.id = fmt::format("p{:04d}", index);
  p.coordinates = space.coordinates(index);
  p.model_dir = space.models.front();
  YAML::Node chip = YAML::Load(space.base_chip_text);
  absolute_table_paths(chip, fs::path(space.base_chip_path).parent_path());
  for (std::size_t i = 0; i < space.axes.size(); ++i) {
    const Axis& a = space.axes[i];
    const std::string& v = a.values[static_cast<std::size_t>(p.coordinates[i])];
    if (a.key == "model") {
      p.model_dir = v;
      continue;
    }
    YAML::Node value = YAML::Load(v);
    apply(chip, split_path(a.key), value);
  }
  YAML::Emitter e;
  e << chip;
  p.chip_yaml = fmt::format("# {} of sweep '{}' ({}): the base chip {} with", p.id, space.name, space.file,
                            space.base_chip_path);
  for (std::size_t i = 0; i < space.axes.size(); ++i)
    p.chip_yaml += fmt::format("{} {} = {}", i ? "," : "", space.axes[i].key,
                               space.axes[i].labels[static_cast<std::size_t>(p.coordinates[i])]);
  p.chip_yaml += "\n" + std::string(e.c_str()) + "\n";
  return p;
}

arch::ChipDescription point_chip(const Point& point, const std::string& path) {
  return arch::ChipDescription::from_yaml_text(point.chip_yaml, path);
}

Space Space::from_file(const std::string& path) {
  Space s;
  s.file = path;
  const std::string text = slurp(path, "sweep space");
  const fs::path dir = fs::absolute(fs::path(path)).parent_path();
  const auto resolve = [&](const std::string& p) { return fs::path(p).is_absolute() ? p : (dir / p).lexically_normal().string(); };
  const YAML::Node root = arch::detail::load_yaml(text, path, "sweep space");
  Section top(path, root, "");
  arch::detail::check_format(top, root, "neurark-sweep", 1);
  s.name = top.text("name", "", true);
  if (s.name.empty()) top.fail(root["name"], "name", "''", "a name for the sweep");
  s.description = top.text("description", "");

  // The base chip: every axis value is checked against it.
  const std::string base = top.text("base_chip", "", true);
  s.base_chip_path = resolve(base);
  std::error_code ec;
  if (!fs::is_regular_file(s.base_chip_path, ec))
    top.fail(root["base_chip"], "base_chip", "'" + base + "'", fmt::format("a chip description file ({} not found)", s.base_chip_path));
  s.base_chip_text = slurp(s.base_chip_path, "base chip");
  arch::ChipDescription::from_yaml_text(s.base_chip_text, s.base_chip_path);

  // Models.
  const YAML::Node models = top.child("models", true);
  if (!models.IsSequence() || models.size() == 0)
    top.fail(models, "models", models.IsScalar() ? "'" + models.Scalar() + "'" : "(not a list)", "a list of one or more checkpoint folders");
  std::set<std::string> seen_models;
  for (const auto& m : models) {
    if (!m.IsScalar() || m.Scalar().empty()) top.fail(m, "models", "(not a path)", "a checkpoint folder");
    const std::string p = resolve(m.Scalar());
    if (!fs::is_regular_file(fs::path(p) / "config.json", ec))
      top.fail(m, "models", "'" + m.Scalar() + "'", fmt::format("a checkpoint folder holding config.json ({} has none)", p));
    if (!seen_models.insert(p).second) top.fail(m, "models", "'" + m.Scalar() + "'", "each model once");
    s.models.push_back(p);
  }

  // What every point runs.
  Section run = top.section("run", true);
  const bool has_prompt = run.has("prompt"), has_file = run.has("prompt_file");
  if (has_prompt == has_file)
    run.fail(run.node(), "run", has_prompt ? "(prompt and prompt_file)" : "(neither prompt nor prompt_file)",
             "one of prompt (the text) or prompt_file (a file holding it)");
  if (has_prompt) {
    s.prompt = run.text("prompt", "");
    s.prompt_source = "run.prompt";
  } else {
    const std::string pf = resolve(run.text("prompt_file", ""));
    s.prompt = slurp(pf, "prompt file (run.prompt_file)");
    s.prompt_source = pf;
  }
  if (s.prompt.empty())
    run.fail(run.node(), has_prompt ? "run.prompt" : "run.prompt_file", "(empty)", "at least one byte of text");
  s.max_new_tokens = run.integer("max_new_tokens", 2, 100000, 8);
  s.synthesize_logic = run.boolean("synthesize_logic", true);
  run.finish("prompt, prompt_file, max_new_tokens, synthesize_logic");

  // Axes: chip key -> values. Each value alone must make a valid chip from the base.
  if (s.models.size() > 1) {
    Axis m;
    m.key = "model";
    for (const std::string& p : s.models) {
      m.values.push_back(p);
      m.labels.push_back(fs::path(p).filename().string());
    }
    m.line = models.Mark().line + 1;
    s.axes.push_back(m);
  }
  Section axes = top.section("axes", true);
  const std::vector<std::string> keys = axes.keys();
  if (keys.empty()) axes.fail(axes.node(), "axes", "(empty)", "at least one chip key with a list of values");
  YAML::Node base_chip = YAML::Load(s.base_chip_text);
  absolute_table_paths(base_chip, fs::path(s.base_chip_path).parent_path());
  for (const std::string& key : keys) {
    const YAML::Node vals = axes.node()[key];
    const std::string kp = "axes." + key;
    if (key == "model") axes.fail(vals, kp, "'model'", "a chip key (list several checkpoints under models: instead)");
    for (const char* fixed : {"format", "version", "name", "description"})
      if (key == fixed) axes.fail(vals, kp, "'" + key + "'", "a chip parameter (not the file's identity)");
    if (key.empty() || key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos)
      axes.fail(vals, kp, "'" + key + "'", "a chip key path such as neurocore.lanes");
    if (!vals.IsSequence() || vals.size() == 0)
      axes.fail(vals, kp, vals.IsScalar() ? "'" + vals.Scalar() + "'" : "(not a list)", "a list of one or more values");
    Axis a;
    a.key = key;
    a.line = vals.Mark().line + 1;
    std::set<std::string> seen;
    for (const auto& v : vals) {
      YAML::Node value = YAML::Clone(v);
      // Table paths in an axis are relative to the space file.
      if ((key == "technology.energy_table" || key == "technology.cost_table") && value.IsScalar())
        value = YAML::Node(resolve(value.Scalar()));
      const std::string y = flow_yaml(value);
      if (!seen.insert(y).second)
        throw Error(fmt::format("{}:{}: {}: value {} appears twice, expected each value once", path, v.Mark().line + 1, kp, y));
      YAML::Node chip = YAML::Clone(base_chip);
      apply(chip, split_path(key), value);
      YAML::Emitter e;
      e << chip;
      const std::string probe = "(" + s.base_chip_path + " with " + key + " = " + label_of(value) + ")";
      try {
        arch::ChipDescription::from_yaml_text(e.c_str(), probe);
      } catch (const Error& err) {
        // A value the format refuses on its own is an error now; the one cross-key check another
        // axis may satisfy (a clock against the operating points) is left to the points.
        const std::string m = chip_message(err.what(), probe);
        if (m.find("operating point") != std::string::npos || m.find("operating_points") != std::string::npos) {
          a.values.push_back(y);
          a.labels.push_back(label_of(value));
          continue;
        }
        throw Error(fmt::format("{}:{}: {}: value {} does not make a valid chip from the base: {}", path, v.Mark().line + 1,
                                kp, label_of(value), m));
      }
      a.values.push_back(y);
      a.labels.push_back(label_of(value));
    }
    s.axes.push_back(a);
  }
  if (s.grid_size() > 1'000'000)
    axes.fail(axes.node(), "axes", fmt::format("({} points)", s.grid_size()), "at most 1,000,000 points in the grid");

  // Objectives of the Pareto front, constraints.
  if (top.has("objectives")) {
    const YAML::Node obj = top.child("objectives", false);
    std::string names;
    for (const ObjectiveInfo& o : objective_infos()) names += fmt::format("{}{}", names.empty() ? "" : ", ", o.name);
    if (!obj.IsSequence() || obj.size() < 2)
      top.fail(obj, "objectives", obj.IsScalar() ? "'" + obj.Scalar() + "'" : "(not a list of two or more)",
               "a list of two or more of: " + names);
    for (const auto& o : obj) {
      const std::string n = o.IsScalar() ? o.Scalar() : "";
      if (find_objective(n) == nullptr) top.fail(o, "objectives", "'" + n + "'", "one of: " + names);
      for (const std::string& prev : s.objectives)
        if (prev == n) top.fail(o, "objectives", "'" + n + "'", "each objective once");
      s.objectives.push_back(n);
    }
  } else {
    s.objectives = {"energy_per_token_j", "tokens_per_s", "area_mm2"};
  }
  if (top.has("constraints")) {
    Section cons = top.section("constraints", false);
    for (const std::string& n : cons.keys()) {
      if (find_objective(n) == nullptr) {
        std::string names;
        for (const ObjectiveInfo& o : objective_infos()) names += fmt::format("{}{}", names.empty() ? "" : ", ", o.name);
        cons.fail(cons.node()[n], "constraints." + n, "'" + n + "'", "an objective: " + names);
      }
      Section b = cons.section(n, true);
      Bound bound;
      if (b.has("min")) bound.min = b.number("min", -1e300, 1e300, 0.0);
      if (b.has("max")) bound.max = b.number("max", -1e300, 1e300, 0.0);
      b.finish("min, max");
      if (!bound.min && !bound.max) b.fail(b.node(), "constraints." + n, "(empty)", "min, max or both");
      if (bound.min && bound.max && *bound.min > *bound.max)
        b.fail(b.node(), "constraints." + n, fmt::format("min {:g} > max {:g}", *bound.min, *bound.max), "min <= max");
      s.constraints[n] = bound;
    }
  }

  // Search.
  if (top.has("search")) {
    Section se = top.section("search", false);
    s.search.method = se.choice("method", {"grid", "random", "nsga2", "pareto_local"}, "grid");
    const int64_t seed = se.integer("seed", 0, INT64_MAX, 1);
    s.search.seed = static_cast<uint64_t>(seed);
    if (s.search.method == "random") {
      s.search.samples = se.integer("samples", 1, s.grid_size(), 0, true);
      se.finish("method, samples, seed");
    } else if (s.search.method == "nsga2") {
      s.search.population = se.integer("population", 4, 10000, 0, true);
      s.search.generations = se.integer("generations", 1, 10000, 0, true);
      se.finish("method, population, generations, seed");
    } else if (s.search.method == "pareto_local") {
      s.search.initial = se.integer("initial", 1, s.grid_size(), std::min<int64_t>(4, s.grid_size()));
      s.search.batch = se.integer("batch", 1, 10000, 2);
      s.search.budget = se.integer("budget", s.search.initial, s.grid_size(), s.grid_size());
      se.finish("method, initial, batch, budget, seed");
    } else {
      se.finish("method");
    }
  }
  top.finish("format, version, name, description, base_chip, models, run, axes, objectives, constraints, search");

  // The space's identity: its own text, the base chip, the prompt and the model paths.
  std::string id = text + '\0' + s.base_chip_text + '\0' + s.prompt;
  for (const std::string& m : s.models) id += '\0' + m;
  s.hash = hex16(XXH3_64bits(id.data(), id.size()));
  return s;
}

}  // namespace neurark::sweeps
