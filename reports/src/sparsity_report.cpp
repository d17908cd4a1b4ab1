// SPDX-License-Identifier: Apache-2.0
// `neurark sparsity --out DIR`: sparsity.json, sparsity.md and sparsity.svg (see
// neurark/reports/report.hpp, docs/numerics.md §5b).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "folder.hpp"
#include "neurark/reports/report.hpp"

namespace neurark::reports {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

// A plot panel at x offset x0: data ranges mapped into its frame.
struct Frame {
  double x0 = 0, w = 440, h = 330, left = 66, right = 16, top = 58, bottom = 48;
  double lo_x = 0, hi_x = 1, lo_y = 0, hi_y = 1;
  double px(double v) const { return x0 + left + (w - left - right) * (v - lo_x) / (hi_x - lo_x); }
  double py(double v) const { return (h - bottom) - (h - bottom - top) * (v - lo_y) / (hi_y - lo_y); }
};

// "Nice" range padding: [lo, hi] widened by 5 % (or +-1 % of the value when flat).
void pad(double& lo, double& hi) {
  if (!(hi > lo)) {
    const double d = std::max(std::fabs(lo) * 0.01, 1e-12);
    lo -= d;
    hi += d;
  }
  const double d = 0.05 * (hi - lo);
  lo -= d;
  hi += d;
}

std::string axes(const Frame& f, const std::string& heading, const std::string& x_label, const std::string& y_label,
                 const char* x_fmt, const char* y_fmt) {
  std::string s;
  s += fmt::format(R"(<text x="{:.1f}" y="42" font-weight="bold">{}</text>)", f.x0 + f.left, html_escape(heading));
  s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="none" stroke="black"/>)", f.px(f.lo_x),
                   f.py(f.hi_y), f.px(f.hi_x) - f.px(f.lo_x), f.py(f.lo_y) - f.py(f.hi_y));
  for (int i = 0; i <= 4; ++i) {
    const double vx = f.lo_x + (f.hi_x - f.lo_x) * i / 4.0, vy = f.lo_y + (f.hi_y - f.lo_y) * i / 4.0;
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)", f.px(vx), f.py(f.lo_y) + 15,
                     fmt::format(fmt::runtime(x_fmt), vx));
    s += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="#ddd"/>)", f.px(f.lo_x), f.py(vy),
                     f.px(f.hi_x));
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end">{}</text>)", f.px(f.lo_x) - 4, f.py(vy) + 4,
                     fmt::format(fmt::runtime(y_fmt), vy));
  }
  s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)", (f.px(f.lo_x) + f.px(f.hi_x)) / 2,
                   f.h - f.bottom + 34, html_escape(x_label));
  s += fmt::format(R"svg(<text transform="translate({:.1f},{:.1f}) rotate(-90)" text-anchor="middle">{}</text>)svg", f.x0 + 14,
                   (f.py(f.lo_y) + f.py(f.hi_y)) / 2, html_escape(y_label));
  return s;
}

}  // namespace

std::string svg_sparsity(const json& j) {
  // Points that fit, by curve: model and encoding (file order); a curve's name says the model
  // when there are several.
  const bool several = j.at("models").size() > 1;
  const auto curve_of = [&](const json& p) {
    const std::string e = p.at("encoding").get<std::string>() + " events";
    return several ? fs::path(p.at("model").get<std::string>()).filename().string() + ", " + e : e;
  };
  std::vector<std::string> encodings;  // curves
  std::map<std::string, std::vector<const json*>> by_enc;
  for (const json& p : j.at("points")) {
    if (!p.at("fits").get<bool>()) continue;
    const std::string e = curve_of(p);
    if (!by_enc.count(e)) encodings.push_back(e);
    by_enc[e].push_back(&p);
  }
  const auto energy_uj = [](const json& p) {
    return 1e6 * (p.contains("energy_per_token_j") ? p.at("energy_per_token_j").get<double>()
                                                    : p.at("dynamic_energy_per_token_j").get<double>());
  };
  const bool dynamic_only = std::any_of(j.at("points").begin(), j.at("points").end(),
                                        [](const json& p) { return p.at("fits").get<bool>() && !p.contains("energy_per_token_j"); });
  Frame a{0}, b{460};
  a.lo_x = b.lo_y = 1e300;
  a.hi_x = b.hi_y = -1e300;
  a.lo_y = 1e300;
  a.hi_y = -1e300;
  b.lo_x = 0;
  b.hi_x = 1;
  for (const json& p : j.at("points")) {
    if (!p.at("fits").get<bool>()) continue;
    a.lo_x = std::min(a.lo_x, energy_uj(p));
    a.hi_x = std::max(a.hi_x, energy_uj(p));
    a.lo_y = std::min(a.lo_y, p.at("bpb").get<double>());
    a.hi_y = std::max(a.hi_y, p.at("bpb").get<double>());
    b.hi_x = std::max<double>(b.hi_x, p.at("threshold").get<double>());
  }
  if (encodings.empty()) a.lo_x = a.lo_y = 0, a.hi_x = a.hi_y = 1;
  pad(a.lo_x, a.hi_x);
  pad(a.lo_y, a.hi_y);
  b.lo_y = 0;
  b.hi_y = 100;
  b.hi_x = 4.0 * std::max(1.0, std::ceil(b.hi_x / 4.0));  // 5 ticks on whole thresholds: 0 to a multiple of 4
  const double W = 920, H = a.h + 30;
  std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0:.0f}" height="{1:.0f}" viewBox="0 0 {0:.0f} {1:.0f}" )"
                              R"(font-family="sans-serif" font-size="11">)",
                              W, H);
  s += fmt::format(R"(<text x="4" y="16" font-weight="bold" font-size="13">{}</text>)",
                   html_escape(fmt::format("neurark sparsity: {} on {}, {} bytes of {}",
                                           several ? fmt::format("{} models", j.at("models").size())
                                                   : j.at("models")[0].get<std::string>(),
                                           j.at("chip").at("name").get<std::string>(), j.at("bytes").get<int64_t>(),
                                           j.at("text").get<std::string>())));
  s += axes(a, "Accuracy against energy (labels: threshold)", dynamic_only ? "µJ/token (dynamic)" : "µJ/token (dynamic + leakage)",
            "bits per byte", "{:.3f}", "{:.3f}");
  s += axes(b, "Activation sparsity against threshold", "event threshold", "% of codes that send no event", "{:g}", "{:.0f}");
  for (std::size_t i = 0; i < encodings.size(); ++i) {
    const char* colour = kColours[i % std::size(kColours)];
    std::string la, lb;
    for (const json* p : by_enc[encodings[i]]) {
      const double x = a.px(energy_uj(*p)), y = a.py(p->at("bpb").get<double>());
      la += fmt::format("{:.1f},{:.1f} ", x, y);
      s += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"/>)", x, y, colour);
      s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" fill="{}">{}</text>)", x + 4, y - 4, colour, p->at("threshold").get<int>());
      const double bx = b.px(p->at("threshold").get<double>()), by = b.py(100 * p->at("activation_sparsity").get<double>());
      lb += fmt::format("{:.1f},{:.1f} ", bx, by);
      s += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"/>)", bx, by, colour);
    }
    s += fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>)", colour, la);
    s += fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>)", colour, lb);
    const double lx = 70 + 420.0 * static_cast<double>(i % 2), ly = a.h + 14 + 20.0 * static_cast<double>(i / 2);
    s += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="{3}" stroke-width="2"/>)", lx, ly, lx + 24,
                     colour);
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}">{}</text>)", lx + 30, ly + 4, html_escape(encodings[i]));
  }
  // Encodings with no point that fits the chip: said under the plots.
  std::size_t n = encodings.size();
  for (const json& p : j.at("points")) {
    const std::string e = curve_of(p);
    if (by_enc.count(e)) continue;
    by_enc[e] = {};
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" fill="#666">{}: do not fit the chip (sparsity.md says why)</text>)",
                     70 + 420.0 * static_cast<double>(n % 2), a.h + 18 + 20.0 * static_cast<double>(n / 2), html_escape(e));
    ++n;
  }
  const double height = a.h + 30 + 20.0 * static_cast<double>((n + 1) / 2);
  const auto at = s.find(fmt::format("height=\"{:.0f}\"", H));
  if (at != std::string::npos) s.replace(at, fmt::format("height=\"{:.0f}\"", H).size(), fmt::format("height=\"{:.0f}\"", height));
  const auto vb = s.find(fmt::format("viewBox=\"0 0 {:.0f} {:.0f}\"", W, H));
  if (vb != std::string::npos)
    s.replace(vb, fmt::format("viewBox=\"0 0 {:.0f} {:.0f}\"", W, H).size(), fmt::format("viewBox=\"0 0 {:.0f} {:.0f}\"", W, height));
  return s + "</svg>\n";
}

void write_sparsity_report(const std::string& dir, const runs::SparsityResult& result) {
  detail::write_report_folder(dir, [&](const fs::path& tmp) {
    const json j = runs::sparsity_json(result);
    detail::write_file(tmp / "sparsity.json", j.dump(2) + "\n");
    detail::write_file(tmp / "sparsity.md", runs::sparsity_markdown(result) + "\n![accuracy against energy](sparsity.svg)\n");
    detail::write_file(tmp / "sparsity.svg", svg_sparsity(j));
  });
}

}  // namespace neurark::reports
