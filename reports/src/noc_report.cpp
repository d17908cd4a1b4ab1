// SPDX-License-Identifier: Apache-2.0
// `neurark noc --out DIR`: noc.json, noc.md and noc.svg (see neurark/reports/report.hpp, docs/noc.md).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "folder.hpp"
#include "neurark/reports/report.hpp"

namespace neurark::reports {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#e0a040", "#8c564b"};

// One plot panel at x offset `x0`: axes, ticks, labels; `y_of` maps a value to a pixel row.
struct Panel {
  double x0 = 0, w = 420, h = 300, left = 64, right = 14, top = 56, bottom = 46;
  double px(double offered) const { return x0 + left + (w - left - right) * offered; }  // offered in [0, 1]
  double y_top() const { return top; }
  double y_bottom() const { return h - bottom; }
};

}  // namespace

std::string svg_noc(const json& noc) {
  const json& pats = noc.at("patterns");
  const std::string title = fmt::format("neurark noc: chip {} ({} x {} mesh), {}-flit packets",
                                        noc.at("chip").at("name").get<std::string>(), noc.at("chip").at("mesh")[0].get<int64_t>(),
                                        noc.at("chip").at("mesh")[1].get<int64_t>(), noc.at("packet_flits").get<int64_t>());
  // Latency axis: log10, whole decades around every mean latency (at least 1 cycle).
  double lo = 1e300, hi = 1;
  for (const json& p : pats)
    for (const json& q : p.at("points")) {
      const double v = std::max(1.0, q.at("latency_mean_cycles").get<double>());
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  if (lo > hi) lo = 1;
  const double d0 = std::floor(std::log10(lo)), d1 = std::max(d0 + 1, std::ceil(std::log10(hi)));
  const Panel a{0}, b{440};
  const double W = 900, H = a.h + 22.0 * static_cast<double>((pats.size() + 2) / 3);
  std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0:.0f}" height="{1:.0f}" viewBox="0 0 {0:.0f} {1:.0f}" )"
                              R"(font-family="sans-serif" font-size="11">)",
                              W, H);
  s += R"(<text x="4" y="16" font-weight="bold" font-size="13">)" + html_escape(title) + "</text>";
  const auto frame = [&](const Panel& p, const std::string& heading, const std::string& y_unit) {
    std::string f;
    f += fmt::format(R"(<text x="{:.1f}" y="40" font-weight="bold">{}</text>)", p.x0 + p.left, html_escape(heading));
    f += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="black"/>)", p.px(0), p.y_bottom(), p.px(1));
    f += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="black"/>)", p.px(0), p.y_top(), p.y_bottom());
    for (int i = 0; i <= 5; ++i) {
      const double x = p.px(i / 5.0);
      f += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="black"/>)", x, p.y_bottom(), p.y_bottom() + 4);
      f += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{:.1f}</text>)", x, p.y_bottom() + 15, i / 5.0);
    }
    f += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">offered load (flits/cycle/node)</text>)",
                     (p.px(0) + p.px(1)) / 2, p.y_bottom() + 32);
    f += fmt::format(R"svg(<text transform="translate({:.1f},{:.1f}) rotate(-90)" text-anchor="middle">{}</text>)svg", p.x0 + 14,
                     (p.y_top() + p.y_bottom()) / 2, html_escape(y_unit));
    return f;
  };
  // Left: mean latency, log axis.
  s += frame(a, "Mean packet latency", "cycles (log scale)");
  const auto ly = [&](double v) {
    const double t = (std::log10(std::max(1.0, v)) - d0) / (d1 - d0);
    return a.y_bottom() - (a.y_bottom() - a.y_top()) * t;
  };
  for (double d = d0; d <= d1; ++d) {
    const double y = ly(std::pow(10.0, d));
    s += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="#ddd"/>)", a.px(0), y, a.px(1));
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end">{:.0f}</text>)", a.px(0) - 4, y + 4, std::pow(10.0, d));
  }
  // Right: accepted against offered, with the diagonal (everything offered accepted).
  s += frame(b, "Accepted throughput", "accepted (flits/cycle/node)");
  const auto by = [&](double v) { return b.y_bottom() - (b.y_bottom() - b.y_top()) * std::clamp(v, 0.0, 1.0); };
  for (int i = 0; i <= 5; ++i) {
    const double y = by(i / 5.0);
    s += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="#ddd"/>)", b.px(0), y, b.px(1));
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end">{:.1f}</text>)", b.px(0) - 4, y + 4, i / 5.0);
  }
  s += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#999" stroke-dasharray="4,3"/>)", b.px(0), by(0),
                   b.px(1), by(1));
  for (std::size_t i = 0; i < pats.size(); ++i) {
    const char* colour = kColours[i % std::size(kColours)];
    std::string la, th;
    for (const json& q : pats[i].at("points")) {
      const double x = q.at("offered_flits_per_cycle_per_node").get<double>();
      la += fmt::format("{:.1f},{:.1f} ", a.px(x), ly(q.at("latency_mean_cycles").get<double>()));
      th += fmt::format("{:.1f},{:.1f} ", b.px(x), by(q.at("accepted_flits_per_cycle_per_node").get<double>()));
      s += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="2.5" fill="{}"/>)", a.px(x), ly(q.at("latency_mean_cycles").get<double>()),
                       colour);
      s += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="2.5" fill="{}"/>)", b.px(x),
                       by(q.at("accepted_flits_per_cycle_per_node").get<double>()), colour);
    }
    s += fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>)", colour, la);
    s += fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>)", colour, th);
    // Legend: three per row under the plots.
    const double lx = 70 + 280.0 * static_cast<double>(i % 3), lyy = a.h + 8 + 22.0 * static_cast<double>(i / 3);
    s += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="{3}" stroke-width="2"/>)", lx, lyy, lx + 24,
                     colour);
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}">{} (zero load {:.1f} cycles)</text>)", lx + 30, lyy + 4,
                     html_escape(pats[i].at("pattern").get<std::string>()), pats[i].at("zero_load_latency_cycles").get<double>());
  }
  return s + "</svg>\n";
}

void write_noc_report(const std::string& dir, const runs::NocResult& result) {
  detail::write_report_folder(dir, [&](const fs::path& tmp) {
    const json j = runs::noc_json(result);
    detail::write_file(tmp / "noc.json", j.dump(2) + "\n");
    detail::write_file(tmp / "noc.md", runs::noc_markdown(result));
    detail::write_file(tmp / "noc.svg", svg_noc(j));
  });
}

}  // namespace neurark::reports
