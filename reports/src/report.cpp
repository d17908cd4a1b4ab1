// SPDX-License-Identifier: Apache-2.0
// The run report writer: see neurark/reports/report.hpp and docs/report-format.md.
#include "folder.hpp"
#include "neurark/reports/report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"

namespace neurark::reports {

namespace fs = std::filesystem;
using nlohmann::json;

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

namespace {

std::string esc(const std::string& s) { return html_escape(s); }

double num(const json& j, const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0; }

// A sequential colour from light yellow (0) to dark red (1).
std::string heat(double v) {
  v = std::clamp(v, 0.0, 1.0);
  const int r = 255 - static_cast<int>(40 * v), g = 240 - static_cast<int>(200 * v), b = 180 - static_cast<int>(160 * v);
  return fmt::format("rgb({},{},{})", r, g, b);
}
// Text readable on heat(v).
const char* heat_ink(double v) { return v > 0.6 ? "white" : "black"; }

// A generous width of `text` in sans-serif at `size` px (bold or not): SVGs are sized from it so
// that no title or label is cut off.
double text_px(const std::string& text, double size) {
  std::size_t chars = 0;
  for (unsigned char c : text) chars += (c & 0xC0) != 0x80;  // UTF-8 code points
  return 0.62 * size * static_cast<double>(chars) + 4;
}

std::string svg_open(double width, double height, int font_size) {
  return fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0:.0f}" height="{1:.0f}" viewBox="0 0 {0:.0f} {1:.0f}" )"
                     R"(font-family="sans-serif" font-size="{2}">)",
                     std::ceil(width), std::ceil(height), font_size);
}

// A vertical colour scale at (x, y), `h` high, from 0 (bottom) to `top` (top) in `unit`.
std::string colour_scale(double x, double y, double h, double top, const std::string& unit, const char* format) {
  std::string s;
  const int steps = 20;
  for (int i = 0; i < steps; ++i) {
    const double v = (i + 0.5) / steps;
    s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="14" height="{:.2f}" fill="{}"/>)", x, y + h - h * (i + 1) / steps,
                     h / steps + 0.3, heat(v));
  }
  s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="14" height="{:.1f}" fill="none" stroke="#888"/>)", x, y, h);
  for (int i = 0; i <= 4; ++i) {
    const double ty = y + h - h * i / 4.0;
    s += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#444"/>)", x + 14, ty, x + 18, ty);
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}">{}</text>)", x + 21, ty + 4, fmt::format(fmt::runtime(format), top * i / 4.0));
  }
  s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}">{}</text>)", x, y - 8, esc(unit));
  return s;
}

// The heat maps' cells: size from the mesh (numbers stay readable up to 16 x 16 and beyond).
struct MeshLayout {
  int64_t w = 1, h = 1;
  double cell = 40, font = 11;
  double x0 = 10, y0 = 34;
  bool numbers = true;
};
MeshLayout mesh_layout(const json& r) {
  MeshLayout m;
  m.w = r.at("chip").at("mesh")[0].get<int64_t>();
  m.h = r.at("chip").at("mesh")[1].get<int64_t>();
  m.cell = static_cast<double>(std::clamp<int64_t>(640 / std::max<int64_t>(m.w, m.h), 16, 72));
  m.font = std::clamp(m.cell / 3.4, 7.0, 13.0);
  m.numbers = m.cell >= 18;
  return m;
}

using detail::write_file;

// The units that bind phases, in a fixed order with their colours (sim/timing.hpp BoundUnit).
const std::vector<std::pair<std::string, std::string>>& unit_colours() {
  static const std::vector<std::pair<std::string, std::string>> u = {
      {"lanes", "#4a7fb5"}, {"sram_port", "#2c4f73"}, {"quantizer", "#8fb3d9"}, {"dram", "#b5484a"},
      {"neuron_unit", "#5a9e6f"}, {"noc", "#e0a040"}, {"host", "#8c6bb1"}, {"barrier", "#999999"}};
  return u;
}

}  // namespace

std::string svg_energy_breakdown(const json& r) {
  std::vector<std::pair<double, std::string>> parts;
  for (const auto& [k, v] : r.at("energy_breakdown_j").items())
    if (v.get<double>() > 0) parts.emplace_back(v.get<double>(), k);
  std::sort(parts.rbegin(), parts.rend());
  const double top = parts.empty() ? 1.0 : parts.front().first;
  const std::string title = "Energy per generated token by component (nJ)";
  double label_w = 40;
  for (const auto& [v, k] : parts) label_w = std::max(label_w, text_px(k, 12));
  const int row = 22, width = 320;
  const double left = label_w + 10;
  const double h = 40 + row * static_cast<double>(parts.size()) + 34;
  std::string s = svg_open(std::max(left + width + 90, text_px(title, 13) + 8), h, 12);
  s += R"(<text x="4" y="16" font-weight="bold" font-size="13">)" + esc(title) + "</text>";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const double y = 30 + row * static_cast<double>(i);
    const double w = width * parts[i].first / top;
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end">{}</text>)", left - 6, y + 13, esc(parts[i].second));
    s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{}" fill="#4a7fb5"/>)", left, y + 2, w, row - 6);
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}">{:.2f}</text>)", left + w + 4, y + 13, parts[i].first * 1e9);
  }
  const double axis_y = 34 + row * static_cast<double>(parts.size());
  s += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="black"/>)", left, axis_y, left + width);
  s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">0</text>)", left, axis_y + 14);
  s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{:.2f}</text>)", left + width, axis_y + 14, top * 1e9);
  s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">nJ per generated token</text>)", left + width / 2.0,
                   axis_y + 28);
  return s + "</svg>";
}

std::string svg_mesh_utilization(const json& r) {
  const MeshLayout m = mesh_layout(r);
  std::vector<double> util(static_cast<std::size_t>(m.w * m.h), 0.0);
  for (const json& c : r.at("per_core")) {
    const auto i = c.at("core").get<std::size_t>();
    if (i < util.size()) util[i] = c.at("utilization").get<double>();
  }
  const std::string title = "Neurocore utilization (busy cycles / run cycles, %)";
  const double grid_w = static_cast<double>(m.w) * m.cell, grid_h = static_cast<double>(m.h) * m.cell;
  std::string s = svg_open(std::max(m.x0 + grid_w + 90, text_px(title, 13) + 8), std::max(m.y0 + grid_h + 24, 200.0), 11);
  s += R"(<text x="4" y="16" font-weight="bold" font-size="13">)" + esc(title) + "</text>";
  for (int64_t y = 0; y < m.h; ++y)
    for (int64_t x = 0; x < m.w; ++x) {
      const double u = util[static_cast<std::size_t>(y * m.w + x)];
      const double cx = m.x0 + static_cast<double>(x) * m.cell, cy = m.y0 + static_cast<double>(y) * m.cell;
      s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}" stroke="#888"><title>core {} (x {}, y {}): {:.1f} %</title></rect>)",
                       cx, cy, m.cell, m.cell, heat(u), y * m.w + x, x, y, 100 * u);
      if (m.numbers)
        s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="{:.1f}" fill="{}">{:.0f}</text>)",
                         cx + m.cell / 2, cy + m.cell / 2 + m.font / 3, m.font, heat_ink(u), 100 * u);
    }
  s += colour_scale(m.x0 + grid_w + 16, m.y0 + 16, std::min(grid_h - 16, 200.0), 100.0, "%", "{:.0f}");
  s += fmt::format(R"(<text x="4" y="{:.1f}">cells: neurocores at their mesh positions (x right, y down)</text>)", m.y0 + grid_h + 16);
  return s + "</svg>";
}

std::string svg_mesh_energy_links(const json& r) {
  const MeshLayout m = mesh_layout(r);
  const int64_t w = m.w;
  const double cell = m.cell;
  std::vector<double> e(static_cast<std::size_t>(m.w * m.h), 0.0);
  for (const json& c : r.at("per_core")) {
    const auto i = c.at("core").get<std::size_t>();
    if (i < e.size()) e[i] = num(c, "energy_per_token_j");
  }
  const double top = std::max(1e-30, *std::max_element(e.begin(), e.end()));
  double top_load = 1e-30;
  for (const json& l : r.at("per_link")) top_load = std::max(top_load, num(l, "flits_per_token"));
  const std::string title = "Energy per token by neurocore (cells, nJ) and link load (lines, flits/token)";
  const double grid_w = static_cast<double>(m.w) * cell, grid_h = static_cast<double>(m.h) * cell;
  const auto line_w = [&](double load) { return 0.5 + cell * 0.15 * load / top_load; };
  std::string s = svg_open(std::max(m.x0 + grid_w + 110, text_px(title, 13) + 8), std::max(m.y0 + grid_h + 24, 260.0), 11);
  s += R"(<text x="4" y="16" font-weight="bold" font-size="13">)" + esc(title) + "</text>";
  std::string numbers;
  for (int64_t y = 0; y < m.h; ++y)
    for (int64_t x = 0; x < m.w; ++x) {
      const double v = e[static_cast<std::size_t>(y * w + x)];
      const double cx = m.x0 + static_cast<double>(x) * cell, cy = m.y0 + static_cast<double>(y) * cell;
      s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}" stroke="#888"><title>core {} (x {}, y {}): {:.2f} nJ/token</title></rect>)",
                       cx, cy, cell, cell, heat(v / top), y * w + x, x, y, v * 1e9);
      // Numbers go over the links, with a halo of the cell's colour.
      if (m.numbers)
        numbers += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="{:.1f}" fill="{}" stroke="{}" )"
                               R"(stroke-width="3" paint-order="stroke">{}</text>)",
                               cx + cell / 2, cy + cell / 2 + m.font / 3, m.font, heat_ink(v / top), heat(v / top),
                               v * 1e9 >= 99.5 ? fmt::format("{:.0f}", v * 1e9) : fmt::format("{:.1f}", v * 1e9));
    }
  // Directed links between cell centres, offset sideways so both directions show.
  for (const json& l : r.at("per_link")) {
    const int64_t a = l.at("from_core").get<int64_t>(), b = l.at("to_core").get<int64_t>();
    const double ax = m.x0 + static_cast<double>(a % w) * cell + cell / 2.0, ay = m.y0 + static_cast<double>(a / w) * cell + cell / 2.0;
    const double bx = m.x0 + static_cast<double>(b % w) * cell + cell / 2.0, by = m.y0 + static_cast<double>(b / w) * cell + cell / 2.0;
    const double dx = bx - ax, dy = by - ay, len = std::max(1.0, std::hypot(dx, dy));
    const double ox = -dy / len * cell * 0.12, oy = dx / len * cell * 0.12;
    const double load = num(l, "flits_per_token");
    s += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#1f4e79" stroke-opacity="0.75" stroke-width="{:.2f}"><title>core {} to {} ({}): {:.0f} flits/token</title></line>)",
                     ax + dx * 0.3 + ox, ay + dy * 0.3 + oy, ax + dx * 0.7 + ox, ay + dy * 0.7 + oy, line_w(load), a, b,
                     l.at("direction").get<std::string>(), load);
  }
  s += numbers;
  const double lx = m.x0 + grid_w + 16;
  const double scale_h = std::min(grid_h - 16, 140.0);
  s += colour_scale(lx, m.y0 + 16, scale_h, top * 1e9, "nJ/token", "{:.1f}");
  // The link-width legend under the colour scale.
  double ly = m.y0 + 16 + scale_h + 26;
  s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}">flits/token</text>)", lx, ly);
  for (double f : {1.0, 0.5}) {
    ly += 16;
    s += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#1f4e79" stroke-opacity="0.75" stroke-width="{:.2f}"/>)",
                     lx, ly - 4, lx + 24, ly - 4, line_w(f * top_load));
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}">{:.0f}</text>)", lx + 30, ly, f * top_load);
  }
  s += fmt::format(R"(<text x="4" y="{:.1f}">cells: neurocores at their mesh positions; lines: directed links, wider = more flits</text>)",
                   m.y0 + grid_h + 16);
  return s + "</svg>";
}

std::string svg_latency_per_token(const json& r) {
  const std::vector<double> lat = r.at("token_latency_s").get<std::vector<double>>();
  const int64_t prefill = r.at("prompt_tokens").get<int64_t>();
  const std::string title = "Cycles between tokens leaving the chip, as time (µs): prompt, then generation";
  const double W = std::max(600.0, text_px(title, 13) + 8), H = 250, L = 64, B = 44, T = 44;
  double top = 0;
  for (double v : lat) top = std::max(top, v);
  if (top <= 0) top = 1;
  std::string s = svg_open(W, H, 11);
  s += R"(<text x="4" y="16" font-weight="bold" font-size="13">)" + esc(title) + "</text>";
  s += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="black"/>)", L, H - B, W - 10);
  s += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="black"/>)", L, T, H - B);
  for (int i = 0; i <= 4; ++i) {
    const double y = (H - B) - (H - B - T) * i / 4.0;
    s += fmt::format(R"(<line x1="{0}" y1="{1:.1f}" x2="{2}" y2="{1:.1f}" stroke="black"/>)", L - 4, y, L);
    s += fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end">{:.2f}</text>)", L - 6, y + 4, top * 1e6 * i / 4.0);
  }
  s += fmt::format(R"svg(<text transform="translate(14,{:.1f}) rotate(-90)" text-anchor="middle">µs</text>)svg", (T + H - B) / 2);
  const double dx = lat.size() > 1 ? (W - 10 - L) / static_cast<double>(lat.size() - 1) : 0.0;
  std::string pts;
  for (std::size_t i = 0; i < lat.size(); ++i)
    pts += fmt::format("{:.1f},{:.1f} ", L + dx * static_cast<double>(i), (H - B) - (H - B - T) * lat[i] / top);
  s += fmt::format(R"(<polyline fill="none" stroke="#b5484a" stroke-width="1.5" points="{}"/>)", pts);
  if (prefill > 0 && static_cast<std::size_t>(prefill) < lat.size()) {
    const double x = L + dx * static_cast<double>(prefill);
    s += fmt::format(R"(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#888" stroke-dasharray="4,3"/>)", x, T, H - B);
  }
  s += fmt::format(R"(<text x="{}" y="{}" text-anchor="start">0</text><text x="{}" y="{}" text-anchor="end">{}</text>)", L, H - B + 14,
                   W - 10, H - B + 14, lat.empty() ? 0 : lat.size() - 1);
  s += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">token (in the order fed)</text>)", (L + W) / 2, H - B + 28);
  // Legend.
  s += fmt::format(R"(<line x1="{0}" y1="32" x2="{1}" y2="32" stroke="#b5484a" stroke-width="1.5"/><text x="{2}" y="36">interval per token</text>)",
                   L, L + 24, L + 30);
  s += fmt::format(R"(<line x1="{0}" y1="32" x2="{1}" y2="32" stroke="#888" stroke-dasharray="4,3"/><text x="{2}" y="36">generation starts</text>)",
                   L + 170, L + 194, L + 200);
  return s + "</svg>";
}

std::string svg_phase_latency(const json& r) {
  const json& pl = r.at("phase_latency");
  const json& stages = pl.at("stages");
  std::vector<std::pair<std::string, std::map<std::string, double>>> rows;  // stage -> unit -> cycles per token
  std::map<int, std::size_t> row_of;
  for (const json& st : stages) {
    row_of[st.at("stage").get<int>()] = rows.size();
    rows.push_back({st.at("stage_name").get<std::string>(), {}});
  }
  double top = 0;
  for (const json& p : pl.at("phases")) {
    const auto it = row_of.find(p.at("stage").get<int>());
    if (it == row_of.end()) continue;
    for (const auto& [u, c] : p.at("bound_cycles_per_token").items()) rows[it->second].second[u] += c.get<double>();
  }
  for (const auto& [name, m] : rows) {
    double t = 0;
    for (const auto& [u, c] : m) t += c;
    top = std::max(top, t);
  }
  if (top <= 0) top = 1;
  const std::string title = "Cycles per generated token by pipeline stage, coloured by the unit that bound them";
  double label_w = 60;
  for (const auto& [name, m] : rows) label_w = std::max(label_w, text_px(name, 12));
  const double left = label_w + 10, width = 420, row = 22;
  const double legend_y = 34 + row * static_cast<double>(rows.size()) + 50;
  const double H = legend_y + 22;
  std::string s = svg_open(std::max(left + width + 90, text_px(title, 13) + 8), H, 12);
  s += R"(<text x="4" y="16" font-weight="bold" font-size="13">)" + esc(title) + "</text>";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double y = 30 + row * static_cast<double>(i);
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end">{}</text>)", left - 6, y + 13, esc(rows[i].first));
    double x = left, t = 0;
    for (const auto& [u, colour] : unit_colours()) {
      const auto it = rows[i].second.find(u);
      if (it == rows[i].second.end() || it->second <= 0) continue;
      const double w = width * it->second / top;
      s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.2f}" height="{}" fill="{}"><title>{}: {} bound {:.0f} cycles/token</title></rect>)",
                       x, y + 2, w, row - 6, colour, esc(rows[i].first), u, it->second);
      x += w;
      t += it->second;
    }
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}">{:.0f}</text>)", x + 4, y + 13, t);
  }
  const double axis_y = 34 + row * static_cast<double>(rows.size());
  s += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="black"/>)", left, axis_y, left + width);
  s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">0</text>)", left, axis_y + 14);
  s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{:.0f}</text>)", left + width, axis_y + 14, top);
  s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">cycles per generated token</text>)", left + width / 2,
                   axis_y + 28);
  double x = 4;
  for (const auto& [u, colour] : unit_colours()) {
    s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="12" height="12" fill="{}"/><text x="{:.1f}" y="{:.1f}">{}</text>)", x,
                     legend_y - 10, colour, x + 16, legend_y, u);
    x += 16 + text_px(u, 12) + 10;
  }
  return s + "</svg>";
}

void write_run_report(const std::string& dir, const json& r, const std::vector<std::pair<std::string, std::string>>& extra_files) {
  detail::write_report_folder(dir, [&](const fs::path& tmp) {
    std::error_code ec;
    // Generated bytes need not be UTF-8: invalid sequences are written as U+FFFD.
    write_file(tmp / "report.json", r.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
    const json& g = r.at("generation");
    const json& p = r.at("prefill");
    std::string md = fmt::format(
        "# neurark run {}\n\nModel `{}` on chip `{}` ({} x {} neurocores, {:.0f} MHz), backend `{}`.\n\n"
        "| | prompt (prefill) | generation |\n|---|---|---|\n"
        "| tokens | {} | {} |\n| tokens/s at the chip clock | {:.1f} | {:.1f} |\n| energy per token | {:.3f} µJ | {:.3f} µJ |\n\n"
        "Time to first token {:.3f} ms; latency per generated token {:.2f} µs{}; average power {:.3f} mW.\n"
        "Per token: {:.0f} synaptic operations, {:.0f} events; activation sparsity {:.1f} %, weight sparsity {:.1f} %.\n"
        "Cross-check against `{}`: {}.\n\n"
        "Generated text (JSON string): {}\n",
        r.at("run_id").get<std::string>(), r.at("model").get<std::string>(), r.at("chip").at("name").get<std::string>(),
        r.at("chip").at("mesh")[0].get<int64_t>(), r.at("chip").at("mesh")[1].get<int64_t>(), num(r.at("chip"), "clock_hz") / 1e6,
        r.at("backend").get<std::string>(), p.at("tokens").get<int64_t>(), g.at("tokens").get<int64_t>(), num(p, "tokens_per_s"),
        num(g, "tokens_per_s"), num(p, "energy_per_token_j") * 1e6, num(g, "energy_per_token_j") * 1e6,
        num(r, "time_to_first_token_s") * 1e3, num(r, "latency_per_token_s") * 1e6,
        r.value("streams", int64_t{1}) == 1
            ? std::string()
            : fmt::format(" in each of {} interleaved streams ({:.1f} tokens/s each)", r.at("streams").get<int64_t>(),
                          num(g, "tokens_per_s") / static_cast<double>(r.at("streams").get<int64_t>())),
        num(r, "power_w") * 1e3, num(r, "sops_per_token"),
        num(r, "events_per_token"), 100 * num(r, "activation_sparsity"), 100 * num(r, "weight_sparsity"),
        r.at("cross_check").at("reference").get<std::string>(), cross_check_words(r.at("cross_check")),
        json(r.at("generated_text").get<std::string>()).dump(-1, ' ', false, json::error_handler_t::replace));
    if (r.contains("timed") && !r.at("timed").get<bool>()) {
      // An untimed backend: no rates, latencies or power, and energy without leakage.
      md = fmt::format(
          "# neurark run {}\n\nModel `{}` on chip `{}` ({} x {} neurocores), backend `{}` (untimed: counts and dynamic "
          "energy only; `--backend systemc` gives time, tokens/s and leakage).\n\n"
          "| | prompt (prefill) | generation |\n|---|---|---|\n"
          "| tokens | {} | {} |\n| dynamic energy per token | {:.3f} µJ | {:.3f} µJ |\n\n"
          "Per token: {:.0f} synaptic operations, {:.0f} events; activation sparsity {:.1f} %, weight sparsity {:.1f} %.\n"
          "Cross-check against `{}`: {}.\n\n"
          "Generated text (JSON string): {}\n",
          r.at("run_id").get<std::string>(), r.at("model").get<std::string>(), r.at("chip").at("name").get<std::string>(),
          r.at("chip").at("mesh")[0].get<int64_t>(), r.at("chip").at("mesh")[1].get<int64_t>(), r.at("backend").get<std::string>(),
          p.at("tokens").get<int64_t>(), g.at("tokens").get<int64_t>(), num(p, "energy_per_token_j") * 1e6,
          num(g, "energy_per_token_j") * 1e6, num(r, "sops_per_token"), num(r, "events_per_token"),
          100 * num(r, "activation_sparsity"), 100 * num(r, "weight_sparsity"),
          r.at("cross_check").at("reference").get<std::string>(), cross_check_words(r.at("cross_check")),
          json(r.at("generated_text").get<std::string>()).dump(-1, ' ', false, json::error_handler_t::replace));
    }
    const bool timed = !r.contains("timed") || r.at("timed").get<bool>();
    const json& chip = r.at("chip");
    // The HTML: sections with ids (tests/report_html_test.py checks each renders), inline CSS and SVG only.
    std::string html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>neurark run " +
                       esc(r.at("run_id").get<std::string>()) +
                       "</title><style>body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}"
                       "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
                       "text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
                       "th{background:#f2f2f2}tr.stage td{background:#f7f7f7;font-weight:bold}"
                       "svg{max-width:100%;height:auto;display:block;margin:0.5em 0}section{margin-bottom:1.5em}"
                       "pre{white-space:pre-wrap;background:#f7f7f7;padding:0.5em}"
                       "small{color:#555}details{margin:0.5em 0}table.matrix{font-size:0.85em}td.v{overflow-wrap:anywhere}table.matrix th{white-space:nowrap}</style></head><body>";
    html += fmt::format("<h1>neurark run {}</h1>", esc(r.at("run_id").get<std::string>()));
    // Summary.
    {
      std::string t = fmt::format("<section id=\"summary\"><h2>Summary</h2><p>Model <code>{}</code> on chip <code>{}</code> "
                                  "({} x {} neurocores{}), backend <code>{}</code>{}.</p>",
                                  esc(r.at("model").get<std::string>()), esc(chip.at("name").get<std::string>()),
                                  chip.at("mesh")[0].get<int64_t>(), chip.at("mesh")[1].get<int64_t>(),
                                  timed ? fmt::format(", {:.0f} MHz", num(chip, "clock_hz") / 1e6) : std::string(),
                                  esc(r.at("backend").get<std::string>()),
                                  timed ? "" : " (untimed: counts and dynamic energy only; <code>--backend systemc</code> gives "
                                               "time, tokens/s and leakage)");
      t += "<table><tr><th></th><th>prompt (prefill)</th><th>generation</th></tr>";
      t += fmt::format("<tr><td>tokens</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>", p.at("tokens").get<int64_t>(),
                       g.at("tokens").get<int64_t>());
      if (timed)
        t += fmt::format("<tr><td>tokens/s at the chip clock</td><td class=\"n\">{:.1f}</td><td class=\"n\">{:.1f}</td></tr>"
                         "<tr><td>cycles</td><td class=\"n\">{:.0f}</td><td class=\"n\">{:.0f}</td></tr>",
                         num(p, "tokens_per_s"), num(g, "tokens_per_s"), num(p, "cycles"), num(g, "cycles"));
      t += fmt::format("<tr><td>{}energy per token</td><td class=\"n\">{:.3f} µJ</td><td class=\"n\">{:.3f} µJ</td></tr></table>",
                       timed ? "" : "dynamic ", num(p, "energy_per_token_j") * 1e6, num(g, "energy_per_token_j") * 1e6);
      t += "<table><tr><th>figure</th><th>value</th></tr>";
      const auto row = [&](const std::string& k, const std::string& v) {
        t += "<tr><td>" + esc(k) + "</td><td class=\"n\">" + esc(v) + "</td></tr>";
      };
      if (timed) {
        row("time to first token", fmt::format("{:.3f} ms", num(r, "time_to_first_token_s") * 1e3));
        const int64_t streams = r.value("streams", int64_t{1});
        if (streams == 1)
          row("latency per generated token", fmt::format("{:.2f} µs ({:.0f} cycles)", num(r, "latency_per_token_s") * 1e6,
                                                         num(r, "cycles_per_token")));
        else {
          row("streams", fmt::format("{} interleaved, {:.1f} tokens/s each", streams,
                                     num(r.at("generation"), "tokens_per_s") / static_cast<double>(streams)));
          row("latency between a stream's tokens", fmt::format("{:.2f} µs ({:.0f} cycles)", num(r, "latency_per_token_s") * 1e6,
                                                               num(r, "cycles_per_token") * static_cast<double>(streams)));
        }
        row("average power", fmt::format("{:.3f} mW", num(r, "power_w") * 1e3));
      }
      row("synaptic operations per token", fmt::format("{:.0f}", num(r, "sops_per_token")));
      row("events per token", fmt::format("{:.0f}", num(r, "events_per_token")));
      row("activation sparsity", fmt::format("{:.1f} %", 100 * num(r, "activation_sparsity")));
      row("weight sparsity", fmt::format("{:.1f} %", 100 * num(r, "weight_sparsity")));
      row("neurocores holding tiles", fmt::format("{}", r.value("cores_used", int64_t{0})));
      row("energy of the whole run", fmt::format("{:.3f} µJ", num(r, "energy_j") * 1e6));
      row(fmt::format("cross-check against {}", r.at("cross_check").at("reference").get<std::string>()),
          cross_check_words(r.at("cross_check")));
      t += "</table><p>Generated text:</p><pre>" +
           esc(json(r.at("generated_text").get<std::string>()).dump(-1, ' ', false, json::error_handler_t::replace)) +
           "</pre></section>";
      html += t;
    }
    // Where the time goes.
    if (timed && r.contains("phase_latency") && r.at("phase_latency").is_object()) {
      const json& pl = r.at("phase_latency");
      std::string t = "<section id=\"time\"><h2>Where the time goes</h2><p>Per generated token: each phase's cycles, its share "
                      "of the token's cycles and the unit that bound it (the largest term of the phase's cycles: "
                      "<code>lanes</code> the lane array's steps; <code>sram_port</code> the lane array waiting for synapse SRAM "
                      "words (more words than lane steps per event); <code>quantizer</code> codes quantized; "
                      "<code>dram</code> weights streamed from DRAM; <code>neuron_unit</code>; <code>noc</code> the mesh; "
                      "<code>host</code> the host link; <code>barrier</code>).</p>";
      t += svg_phase_latency(r);
      // Stages x phase kinds: cycles per token and the unit that bound most of them.
      struct Cell {
        double cycles = 0;
        std::map<std::string, double> units;
      };
      std::vector<std::string> kinds;
      std::map<int, std::map<std::string, Cell>> cells;
      std::map<std::string, Cell> kind_totals;
      for (const json& ph : pl.at("phases")) {
        const std::string kind = ph.at("kind").get<std::string>();
        if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
        for (Cell* c : {&cells[ph.at("stage").get<int>()][kind], &kind_totals[kind]}) {
          c->cycles += num(ph, "cycles_per_token");
          for (const auto& [u, v] : ph.at("bound_cycles_per_token").items()) c->units[u] += v.get<double>();
        }
      }
      const auto bound_of = [](const Cell& c) {
        std::pair<std::string, double> best{"", -1.0};
        for (const auto& [u, v] : c.units)
          if (v > best.second) best = {u, v};
        const double pct = c.cycles > 0 ? 100 * best.second / c.cycles : 0.0;
        return pct >= 99.5 ? best.first : fmt::format("{} {:.0f} %", best.first, pct);  // the share only when split
      };
      const double total = num(pl, "cycles_per_token");
      t += "<table class=\"matrix\"><tr><th>stage</th>";
      std::string md_t = "\n## Where the time goes (cycles per generated token; the unit that bound most of them)\n\n| stage |";
      std::string md_rule = "|---|";
      for (const std::string& k : kinds) {
        t += "<th>" + esc(k) + "</th>";
        md_t += " " + k + " |";
        md_rule += "---:|";
      }
      t += "<th>all phases</th><th>share</th></tr>";
      md_t += " all phases | share |\n" + md_rule + "---:|---:|\n";
      const auto cell_html = [&](const Cell* c) {
        return c == nullptr || c->cycles <= 0 ? std::string("<td class=\"n\">–</td>")
                                              : fmt::format("<td class=\"n\">{:.0f}<br><small>{}</small></td>", c->cycles, esc(bound_of(*c)));
      };
      const auto cell_md = [&](const Cell* c) {
        return c == nullptr || c->cycles <= 0 ? std::string(" – |") : fmt::format(" {:.0f} ({}) |", c->cycles, bound_of(*c));
      };
      for (const json& st : pl.at("stages")) {
        const std::string name = st.at("stage_name").get<std::string>();
        const auto& row = cells[st.at("stage").get<int>()];
        t += "<tr><td>" + esc(name) + "</td>";
        md_t += "| " + name + " |";
        for (const std::string& k : kinds) {
          const auto it = row.find(k);
          t += cell_html(it == row.end() ? nullptr : &it->second);
          md_t += cell_md(it == row.end() ? nullptr : &it->second);
        }
        const std::string b = fmt::format("{} {:.0f} %", st.at("bound").get<std::string>(), 100 * num(st, "bound_share"));
        t += fmt::format("<td class=\"n\"><b>{:.0f}</b><br><small>{}</small></td><td class=\"n\">{:.1f} %</td></tr>",
                         num(st, "cycles_per_token"), esc(b), 100 * num(st, "share"));
        md_t += fmt::format(" {:.0f} ({}) | {:.1f} % |\n", num(st, "cycles_per_token"), b, 100 * num(st, "share"));
      }
      std::vector<std::pair<double, std::string>> units;
      for (const auto& [u, share] : pl.at("bound_share").items()) units.emplace_back(share.get<double>(), u);
      std::sort(units.rbegin(), units.rend());
      std::string unit_list;
      for (const auto& [share, u] : units) unit_list += fmt::format("{}{} {:.1f} %", unit_list.empty() ? "" : ", ", u, 100 * share);
      t += "<tr class=\"stage\"><td>all stages</td>";
      md_t += "| **all stages** |";
      for (const std::string& k : kinds) {
        t += cell_html(&kind_totals[k]);
        md_t += cell_md(&kind_totals[k]);
      }
      t += fmt::format("<td class=\"n\">{:.0f}</td><td class=\"n\">100 %</td></tr></table><p>Bound by: {}.</p>", total, esc(unit_list));
      md_t += fmt::format(" **{:.0f}** | 100 % |\n\nBound by: {}. Every phase: `phase_latency` in report.json.\n", total, unit_list);
      // Every phase, folded.
      t += fmt::format("<details><summary>Every phase ({})</summary><table><tr><th>stage</th><th>phase</th><th>op</th>"
                       "<th>cycles / token</th><th>share</th><th>bound by</th></tr>",
                       pl.at("phases").size());
      for (const json& ph : pl.at("phases"))
        t += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{:.0f}</td><td class=\"n\">{:.1f} %</td>"
                         "<td>{} ({:.0f} %)</td></tr>",
                         esc(ph.at("stage_name").get<std::string>()), esc(ph.at("kind").get<std::string>()),
                         esc(ph.at("op").get<std::string>()), num(ph, "cycles_per_token"), 100 * num(ph, "share"),
                         esc(ph.at("bound").get<std::string>()), 100 * num(ph, "bound_share"));
      t += "</table></details></section>";
      html += t;
      md += md_t;
    }
    // DRAM.
    if (r.contains("dram") && r.at("dram").is_object()) {
      const json& d = r.at("dram");
      const bool present = d.value("present", false);
      std::string line =
          !present ? std::string("The chip has no DRAM: every weight lives in synapse SRAM.")
                   : fmt::format("{:.0f} words ({:.0f} bits) streamed from DRAM per generated token at {} bits/cycle{}.",
                                 num(d, "words_per_token"), num(d, "bits_per_token"), d.at("bandwidth_bits_per_cycle").get<int64_t>(),
                                 d.at("bandwidth_use").is_number()
                                     ? fmt::format(": {:.2f} % of the DRAM bandwidth over a token's cycles", 100 * num(d, "bandwidth_use"))
                                     : std::string());
      html += "<section id=\"dram\"><h2>DRAM bandwidth</h2><p>" + esc(line) + "</p></section>";
      md += "\nDRAM: " + line + "\n";
    }
    html += "<section id=\"energy\"><h2>Energy</h2>" + svg_energy_breakdown(r) + "</section>";
    html += "<section id=\"mesh\"><h2>Mesh</h2>" + (timed ? svg_mesh_utilization(r) : std::string()) + svg_mesh_energy_links(r) +
            "</section>";
    if (timed) html += "<section id=\"latency\"><h2>Latency</h2>" + svg_latency_per_token(r) + "</section>";
    // The chip's parameters.
    if (chip.contains("parameters") && chip.at("parameters").is_object()) {
      std::string t = "<section id=\"chip\"><h2>Chip parameters</h2><table><tr><th>group</th><th>parameter</th><th>value</th></tr>";
      std::string md_t = "\n## Chip parameters\n\n| group | parameter | value |\n|---|---|---|\n";
      // The YAML's order of groups (report.json's objects sort their keys), then any others.
      std::vector<std::string> groups = {"mesh", "clock_hz", "technology", "neurocore", "noc", "host", "dram", "multichip", "power"};
      for (const auto& [group, params] : chip.at("parameters").items())
        if (std::find(groups.begin(), groups.end(), group) == groups.end()) groups.push_back(group);
      for (const std::string& group : groups) {
        if (!chip.at("parameters").contains(group)) continue;
        const json& params = chip.at("parameters").at(group);
        const auto add = [&](const std::string& k, const json& v) {
          const bool whole = v.is_number_float() && std::abs(v.get<double>()) < 1e15 && v.get<double>() == std::floor(v.get<double>());
          std::string text = v.is_string() ? v.get<std::string>() : whole ? fmt::format("{:.0f}", v.get<double>()) : v.dump();
          if (k == "operating_points" && v.is_array()) {  // DVFS: supply -> the highest clock
            text.clear();
            for (const json& op : v)
              text += fmt::format("{}{:.3g} V: {:.0f} MHz", text.empty() ? "" : ", ", num(op, "voltage_v"), num(op, "max_clock_hz") / 1e6);
            if (text.empty()) text = "none (one clock)";
          }
          if (k == "voltage_v" && v.is_number() && v.get<double>() == 0.0)  // unset: the tables' nominal
            text = "0 (not set: the energy table's nominal supply at the node)";
          if (k == "clock_hz" && v.is_number()) text = fmt::format("{:.0f} MHz", v.get<double>() / 1e6);
          t += "<tr><td>" + esc(group) + "</td><td>" + esc(k) + "</td><td class=\"v\">" + esc(text) + "</td></tr>";
          md_t += "| " + group + " | " + k + " | " + text + " |\n";
        };
        if (params.is_object())
          for (const auto& [k, v] : params.items()) add(k, v);
        else
          add(group, params);
      }
      html += t + "</table></section>";
      md += md_t;
    }
    if (r.contains("hardware_cost") && r.at("hardware_cost").is_object()) {
      const json& h = r.at("hardware_cost");
      std::string t = fmt::format("<section id=\"area\"><h2>Area and leakage</h2><p>Technology <code>{}</code> at {} nm, {:.3g} V; logic "
                                  "synthesized at {}.</p><table><tr><th>block</th><th>kind</th><th>what</th>"
                                  "<th>area (µm²)</th><th>leakage (µW)</th></tr>",
                                  esc(h.at("technology").get<std::string>()), h.at("node_nm").get<int64_t>(),
                                  num(h, "voltage_v"), esc(h.at("logic_parameters").get<std::string>()));
      for (const json& b : h.at("blocks"))
        t += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{:.0f}</td><td class=\"n\">{:.3f}</td></tr>",
                         esc(b.at("block").get<std::string>()), esc(b.at("kind").get<std::string>()),
                         esc(b.at("what").get<std::string>()), num(b, "area_um2"), num(b, "leakage_w") * 1e6);
      t += fmt::format("</table><p>Per neurocore {:.4f} mm² and {:.2f} µW of leakage ({:.2f} µW power-gated); {} neurocores "
                       "({} gated): {:.3f} mm², {:.3f} mW of leakage.</p></section>",
                       num(h, "neurocore_area_mm2"), num(h, "neurocore_leakage_w") * 1e6,
                       num(h, "gated_neurocore_leakage_w") * 1e6, h.at("neurocores").get<int64_t>(),
                       h.at("gated_neurocores").get<int64_t>(), num(h, "chip_area_mm2"), num(h, "chip_leakage_w") * 1e3);
      html += t;
      md += fmt::format("\nArea and leakage ({} at {} nm): {:.4f} mm² and {:.2f} µW per neurocore; the chip {:.3f} mm², "
                        "{:.3f} mW of leakage ({} of {} neurocores power-gated). Logic synthesized at {}.\n",
                        h.at("technology").get<std::string>(), h.at("node_nm").get<int64_t>(), num(h, "neurocore_area_mm2"),
                        num(h, "neurocore_leakage_w") * 1e6, num(h, "chip_area_mm2"), num(h, "chip_leakage_w") * 1e3,
                        h.at("gated_neurocores").get<int64_t>(), h.at("neurocores").get<int64_t>(),
                        h.at("logic_parameters").get<std::string>());
    }
    html += "</body></html>\n";
    write_file(tmp / "report.md", md);
    write_file(tmp / "report.html", html);
    for (const auto& [from, name] : extra_files) {
      fs::rename(from, tmp / name, ec);
      if (ec) {  // another file system: copy
        ec.clear();
        fs::copy_file(from, tmp / name, ec);
        if (ec) throw Error(fmt::format("{}: cannot move {} into the report folder: {}", dir, from, ec.message()));
      }
    }
  });
}

}  // namespace neurark::reports
