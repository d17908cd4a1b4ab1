// SPDX-License-Identifier: Apache-2.0
// A sweep's results: see neurark/sweeps/result.hpp.
#include "neurark/arch/version.hpp"
#include "neurark/sweeps/result.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/reports/report.hpp"
#include "files.hpp"
#include "neurark/sweeps/search.hpp"

namespace neurark::sweeps {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string esc(const std::string& s) { return reports::html_escape(s); }

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

// How an objective is shown: the factor its SI value is multiplied by, and the unit then.
struct Shown {
  double factor;
  const char* unit;
};
Shown shown(const std::string& name) {
  if (name == "energy_per_token_j" || name == "prefill_energy_per_token_j") return {1e6, "µJ/token"};
  if (name == "power_w" || name == "leakage_w") return {1e3, "mW"};
  if (name == "time_to_first_token_s") return {1e3, "ms"};
  if (name == "area_mm2") return {1.0, "mm²"};
  if (name == "tokens_per_s" || name == "prefill_tokens_per_s") return {1.0, "tokens/s"};
  if (name == "cycles_per_token") return {1.0, "cycles/token"};
  return {1.0, "neurocores"};
}
std::string title_of(const std::string& name) {
  return fmt::format("{} ({})", name, shown(name).unit);
}

std::string values_text(const Space& space, const PointResult& r) {
  const std::vector<int> c = space.coordinates(r.index);
  std::string s;
  for (std::size_t i = 0; i < space.axes.size(); ++i)
    s += fmt::format("{}{} = {}", i ? ", " : "", space.axes[i].key, space.axes[i].labels[static_cast<std::size_t>(c[i])]);
  return s;
}

// Viridis-like ramp from t in [0, 1].
std::string ramp(double t) {
  static const double stops[5][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  t = std::clamp(t, 0.0, 1.0) * 4.0;
  const int i = std::min(3, static_cast<int>(t));
  const double f = t - i;
  int rgb[3];
  for (int k = 0; k < 3; ++k) rgb[k] = static_cast<int>(std::lround(stops[i][k] + f * (stops[i + 1][k] - stops[i][k])));
  return fmt::format("rgb({},{},{})", rgb[0], rgb[1], rgb[2]);
}

// 4-6 round tick values covering [lo, hi].
std::vector<double> ticks(double lo, double hi) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

struct Dot {
  double x, y, c;   // c: NaN for no colour
  bool front;
  std::string title, href;
};

// A scatter plot. `x_labels`: categorical x (x = index) when not empty.
std::string scatter(const std::string& title, const std::string& x_title, const std::string& y_title, const std::string& c_title,
                    const std::vector<Dot>& dots, const std::vector<std::string>& x_labels, int W, int H, bool front_line) {
  const double L = 70, R = c_title.empty() ? 20 : 90, T = 28, B = 44;
  std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">)"
                              R"(<text x="4" y="14" font-weight="bold">{}</text>)",
                              W, H, esc(title));
  if (dots.empty()) return s + R"(<text x="20" y="50">no point ran</text></svg>)";
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0, c0 = x0, c1 = -x0;
  for (const Dot& d : dots) {
    x0 = std::min(x0, d.x), x1 = std::max(x1, d.x), y0 = std::min(y0, d.y), y1 = std::max(y1, d.y);
    if (!std::isnan(d.c)) c0 = std::min(c0, d.c), c1 = std::max(c1, d.c);
  }
  if (!x_labels.empty()) x0 = -0.5, x1 = static_cast<double>(x_labels.size()) - 0.5;
  const auto pad = [](double& lo, double& hi) {
    const double span = hi - lo;
    if (span <= 0) {
      const double d = lo == 0 ? 1 : std::abs(lo) * 0.1;
      lo -= d, hi += d;
    } else {
      lo -= span * 0.06, hi += span * 0.06;
    }
  };
  if (x_labels.empty()) pad(x0, x1);
  pad(y0, y1);
  const double pw = W - L - R, ph = H - T - B;
  const auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * pw; };
  const auto py = [&](double y) { return T + ph - (y - y0) / (y1 - y0) * ph; };
  s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#888"/>)", L, T, pw, ph);
  for (double t : ticks(y0, y1))
    s += fmt::format(R"(<line x1="{0}" y1="{1:.1f}" x2="{2}" y2="{1:.1f}" stroke="#eee"/><text x="{3}" y="{4:.1f}" text-anchor="end">{5:g}</text>)",
                     L, py(t), L + pw, L - 4, py(t) + 4, t);
  if (x_labels.empty()) {
    for (double t : ticks(x0, x1))
      s += fmt::format(R"(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#eee"/><text x="{0:.1f}" y="{3}" text-anchor="middle">{4:g}</text>)",
                       px(t), T, T + ph, T + ph + 14, t);
  } else {
    for (std::size_t i = 0; i < x_labels.size(); ++i)
      s += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>)", px(static_cast<double>(i)), T + ph + 14,
                       esc(x_labels[i]));
  }
  s += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>)", L + pw / 2, H - 8, esc(x_title));
  s += fmt::format(R"svg(<text x="12" y="{:.1f}" text-anchor="middle" transform="rotate(-90 12 {:.1f})">{}</text>)svg", T + ph / 2,
                   T + ph / 2, esc(y_title));
  if (front_line) {
    std::vector<const Dot*> f;
    for (const Dot& d : dots)
      if (d.front) f.push_back(&d);
    std::sort(f.begin(), f.end(), [](const Dot* a, const Dot* b) { return a->x != b->x ? a->x < b->x : a->y < b->y; });
    if (f.size() > 1) {
      std::string pts;
      for (const Dot* d : f) pts += fmt::format("{:.1f},{:.1f} ", px(d->x), py(d->y));
      s += fmt::format(R"(<polyline fill="none" stroke="#c0392b" stroke-width="1.2" stroke-dasharray="4,3" points="{}"/>)", pts);
    }
  }
  for (const Dot& d : dots) {
    const std::string fill = std::isnan(d.c) ? "#4a7fb5" : ramp(c1 > c0 ? (d.c - c0) / (c1 - c0) : 0.5);
    const std::string circle =
        fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="{}" fill="{}" stroke="{}" stroke-width="{}"><title>{}</title></circle>)",
                    px(d.x), py(d.y), d.front ? 5.5 : 3.5, fill, d.front ? "#c0392b" : "#333", d.front ? 2 : 0.5, esc(d.title));
    s += d.href.empty() ? circle : fmt::format(R"(<a href="{}">{}</a>)", esc(d.href), circle);
  }
  if (!c_title.empty() && c1 >= c0) {
    const double lx = L + pw + 16;
    for (int i = 0; i < 20; ++i)
      s += fmt::format(R"(<rect x="{}" y="{:.1f}" width="12" height="{:.2f}" fill="{}"/>)", lx, T + ph * (19 - i) / 20.0, ph / 20.0 + 0.5,
                       ramp(i / 19.0));
    s += fmt::format(R"(<text x="{}" y="{}">{:.4g}</text><text x="{}" y="{}">{:.4g}</text>)", lx + 15, T + 8, c1, lx + 15, T + ph, c0);
    s += fmt::format(R"svg(<text x="{0}" y="{1:.1f}" text-anchor="middle" transform="rotate(-90 {0} {1:.1f})">{2}</text>)svg", lx + 62,
                     T + ph / 2, esc(c_title));
  }
  return s + "</svg>";
}


}  // namespace

json sweep_json(const Space& space, const std::vector<PointResult>& points) {
  const std::vector<bool> front = pareto_front(points, space.objectives);
  json axes = json::array();
  for (const Axis& a : space.axes) axes.push_back({{"key", a.key}, {"values", a.labels}});
  json constraints = json::object();
  for (const auto& [n, b] : space.constraints) {
    json j = json::object();
    if (b.min) j["min"] = *b.min;
    if (b.max) j["max"] = *b.max;
    constraints[n] = j;
  }
  json search = {{"method", space.search.method}};
  if (space.search.method == "random") search.update({{"samples", space.search.samples}, {"seed", space.search.seed}});
  if (space.search.method == "nsga2")
    search.update({{"population", space.search.population}, {"generations", space.search.generations}, {"seed", space.search.seed}});
  if (space.search.method == "pareto_local")
    search.update({{"initial", space.search.initial}, {"batch", space.search.batch}, {"budget", space.search.budget},
                   {"seed", space.search.seed}});
  json pts = json::array(), front_ids = json::array();
  std::map<std::string, int> by_status;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const PointResult& r = points[i];
    const std::vector<int> c = space.coordinates(r.index);
    json values = json::object();
    for (std::size_t k = 0; k < space.axes.size(); ++k) values[space.axes[k].key] = space.axes[k].labels[static_cast<std::size_t>(c[k])];
    json p = {{"index", r.index}, {"id", r.id}, {"values", values}, {"status", r.status}};
    if (!r.reason.empty()) p["reason"] = r.reason;
    p["objectives"] = r.objectives;
    p["pareto"] = static_cast<bool>(front[i]);
    p["chip"] = "points/" + r.id + "/chip.yaml";
    if (r.ran()) p["report"] = "points/" + r.id + "/report/report.html";
    pts.push_back(p);
    if (front[i]) front_ids.push_back(r.id);
    ++by_status[r.status];
  }
  return {{"format", "neurark-sweep-result"},
          {"version", 1},
          {"producer", arch::producer_json()},
          {"name", space.name},
          {"description", space.description},
          {"space_file", space.file},
          {"space_hash", space.hash},
          {"base_chip", space.base_chip_path},
          {"models", space.models},
          {"prompt_source", space.prompt_source},
          {"max_new_tokens", space.max_new_tokens},
          {"search", search},
          {"grid_size", space.grid_size()},
          {"points_run", points.size()},
          {"points_by_status", by_status},
          {"axes", axes},
          {"objectives", space.objectives},
          {"constraints", constraints},
          {"pareto", front_ids},
          {"points", pts}};
}

std::string sweep_csv(const Space& space, const std::vector<PointResult>& points) {
  const std::vector<bool> front = pareto_front(points, space.objectives);
  std::string s = "id,index";
  for (const Axis& a : space.axes) s += "," + csv_field(a.key);
  s += ",status,pareto";
  for (const ObjectiveInfo& o : objective_infos()) s += fmt::format(",{}", o.name);
  s += ",reason\n";
  for (std::size_t i = 0; i < points.size(); ++i) {
    const PointResult& r = points[i];
    const std::vector<int> c = space.coordinates(r.index);
    s += fmt::format("{},{}", r.id, r.index);
    for (std::size_t k = 0; k < space.axes.size(); ++k) s += "," + csv_field(space.axes[k].labels[static_cast<std::size_t>(c[k])]);
    s += fmt::format(",{},{}", r.status, front[i] ? "true" : "false");
    for (const ObjectiveInfo& o : objective_infos()) {
      const auto it = r.objectives.find(o.name);
      s += it == r.objectives.end() ? std::string(",") : fmt::format(",{:.17g}", it->second);
    }
    s += "," + csv_field(r.reason) + "\n";
  }
  return s;
}

std::string svg_pareto(const Space& space, const std::vector<PointResult>& points) {
  std::vector<bool> front = pareto_front(points, space.objectives);
  const std::string& ny = space.objectives[0];
  const std::string& nx = space.objectives[1];
  const std::string nc = space.objectives.size() > 2 ? space.objectives[2] : "";
  std::vector<Dot> dots;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const PointResult& r = points[i];
    if (!r.ran() || r.objectives.count(nx) == 0 || r.objectives.count(ny) == 0) continue;
    Dot d;
    d.x = r.objectives.at(nx) * shown(nx).factor;
    d.y = r.objectives.at(ny) * shown(ny).factor;
    d.c = !nc.empty() && r.objectives.count(nc) ? r.objectives.at(nc) * shown(nc).factor : std::nan("");
    d.front = front[i];
    d.title = fmt::format("{}{}{}: {}; {:.4g} {}, {:.4g} {}", r.id, d.front ? " (Pareto)" : "",
                          r.status == "infeasible" ? " (infeasible: " + r.reason + ")" : std::string(), values_text(space, r),
                          d.x, shown(nx).unit, d.y, shown(ny).unit);
    if (!std::isnan(d.c)) d.title += fmt::format(", {:.4g} {}", d.c, shown(nc).unit);
    d.href = "points/" + r.id + "/report/report.html";
    dots.push_back(d);
  }
  std::string title = fmt::format("Pareto front over {}: {} points ran, {} on the front", fmt::join(space.objectives, ", "), dots.size(),
                                  std::count(front.begin(), front.end(), true));
  return scatter(title, title_of(nx), title_of(ny), nc.empty() ? "" : title_of(nc), dots, {}, 720, 460, space.objectives.size() == 2);
}

std::string sweep_html(const Space& space, const std::vector<PointResult>& points) {
  std::vector<bool> front = pareto_front(points, space.objectives);
  std::string h = fmt::format(
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>neurark sweep {0}</title><style>body{{font-family:sans-serif;"
      "margin:24px}}table{{border-collapse:collapse;font-size:12px}}td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}"
      "td.l,th.l{{text-align:left}}tr.front{{background:#fdecea}}svg{{margin:4px}}</style></head><body><h1>Sweep {0}</h1><p>{1}</p>",
      esc(space.name), esc(space.description));
  std::map<std::string, int> by_status;
  for (const PointResult& r : points) ++by_status[r.status];
  std::string status;
  for (const auto& [k, v] : by_status) status += fmt::format("{}{} {}", status.empty() ? "" : ", ", v, k);
  h += fmt::format("<p>Space <code>{}</code> (hash {}), base chip <code>{}</code>, {} model(s); search {}: {} of the grid's {} points "
                   "ran ({}). Every point is a SystemC run checked against the integer reference on every token ({}, {} generated "
                   "tokens).</p>",
                   esc(space.file), space.hash, esc(space.base_chip_path), space.models.size(), space.search.method, points.size(),
                   space.grid_size(), status, esc(space.prompt_source), space.max_new_tokens);
  if (!space.constraints.empty()) {
    h += "<p>Constraints: ";
    bool first = true;
    for (const auto& [n, b] : space.constraints) {
      h += fmt::format("{}{}{}{}", first ? "" : "; ", n, b.min ? fmt::format(" ≥ {:g}", *b.min) : "", b.max ? fmt::format(" ≤ {:g}", *b.max) : "");
      first = false;
    }
    h += " (SI units).</p>";
  }
  h += "<h2>Pareto front</h2>" + svg_pareto(space, points);
  h += "<h2>Objectives against axes</h2><p>Each ran point; the front's outlined in red.</p>";
  for (std::size_t a = 0; a < space.axes.size(); ++a) {
    if (space.axes[a].values.size() < 2) continue;
    for (const std::string& obj : space.objectives) {
      std::vector<Dot> dots;
      for (std::size_t i = 0; i < points.size(); ++i) {
        const PointResult& r = points[i];
        if (!r.ran() || r.objectives.count(obj) == 0) continue;
        Dot d;
        d.x = space.coordinates(r.index)[a];
        d.y = r.objectives.at(obj) * shown(obj).factor;
        d.c = std::nan("");
        d.front = front[i];
        d.title = fmt::format("{}: {}; {:.4g} {}", r.id, values_text(space, r), d.y, shown(obj).unit);
        d.href = "points/" + r.id + "/report/report.html";
        dots.push_back(d);
      }
      h += scatter(obj + " by " + space.axes[a].key, space.axes[a].key, title_of(obj), "", dots, space.axes[a].labels, 340, 240, false);
    }
  }
  h += "<h2>Points</h2><table><tr><th class=l>point</th>";
  for (const Axis& a : space.axes) h += "<th class=l>" + esc(a.key) + "</th>";
  h += "<th class=l>status</th>";
  for (const std::string& o : space.objectives) h += "<th>" + esc(title_of(o)) + "</th>";
  for (const ObjectiveInfo& o : objective_infos())
    if (std::find(space.objectives.begin(), space.objectives.end(), o.name) == space.objectives.end()) h += "<th>" + esc(title_of(o.name)) + "</th>";
  h += "</tr>";
  for (std::size_t i = 0; i < points.size(); ++i) {
    const PointResult& r = points[i];
    const std::vector<int> c = space.coordinates(r.index);
    h += fmt::format("<tr{}><td class=l>{}</td>", front[i] ? " class=front" : "",
                     r.ran() ? fmt::format("<a href=\"points/{0}/report/report.html\">{0}</a>", r.id) : r.id);
    for (std::size_t k = 0; k < space.axes.size(); ++k) h += "<td class=l>" + esc(space.axes[k].labels[static_cast<std::size_t>(c[k])]) + "</td>";
    h += fmt::format("<td class=l{}>{}{}</td>", r.reason.empty() ? "" : " title=\"" + esc(r.reason) + "\"", esc(r.status),
                     front[i] ? " (front)" : "");
    const auto cell = [&](const std::string& o) {
      const auto it = r.objectives.find(o);
      h += it == r.objectives.end() ? std::string("<td></td>") : fmt::format("<td>{:.4g}</td>", it->second * shown(o).factor);
    };
    for (const std::string& o : space.objectives) cell(o);
    for (const ObjectiveInfo& o : objective_infos())
      if (std::find(space.objectives.begin(), space.objectives.end(), o.name) == space.objectives.end()) cell(o.name);
    h += "</tr>";
  }
  h += "</table><p>Also: <a href=\"sweep.json\">sweep.json</a>, <a href=\"sweep.csv\">sweep.csv</a>.</p></body></html>\n";
  return h;
}

void write_sweep_report(const std::string& out_dir, const Space& space, const std::vector<PointResult>& points) {
  detail::write_atomic((fs::path(out_dir) / "sweep.json").string(), sweep_json(space, points).dump(1) + "\n");
  detail::write_atomic((fs::path(out_dir) / "sweep.csv").string(), sweep_csv(space, points));
  detail::write_atomic((fs::path(out_dir) / "index.html").string(), sweep_html(space, points));
}

}  // namespace neurark::sweeps
