// The run report writer: see neurark/reports/report.hpp and docs/report-format.md.
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

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
  if (!f) throw Error(fmt::format("{}: cannot write the report file", p.string()));
}

}  // namespace

std::string svg_energy_breakdown(const json& r) {
  std::vector<std::pair<double, std::string>> parts;
  for (const auto& [k, v] : r.at("energy_breakdown_j").items())
    if (v.get<double>() > 0) parts.emplace_back(v.get<double>(), k);
  std::sort(parts.rbegin(), parts.rend());
  const double top = parts.empty() ? 1.0 : parts.front().first;
  const int row = 22, left = 170, width = 320;
  const int h = 40 + row * static_cast<int>(parts.size());
  std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="12">)",
                              left + width + 110, h);
  s += R"(<text x="4" y="16" font-weight="bold">Energy per generated token by component (nJ)</text>)";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const int y = 30 + row * static_cast<int>(i);
    const double w = width * parts[i].first / top;
    s += fmt::format(R"(<text x="{}" y="{}" text-anchor="end">{}</text>)", left - 6, y + 13, esc(parts[i].second));
    s += fmt::format(R"(<rect x="{}" y="{}" width="{:.1f}" height="{}" fill="#4a7fb5"/>)", left, y + 2, w, row - 6);
    s += fmt::format(R"(<text x="{:.1f}" y="{}">{:.2f}</text>)", left + w + 4, y + 13, parts[i].first * 1e9);
  }
  return s + "</svg>";
}

std::string svg_mesh_utilization(const json& r) {
  const int64_t w = r.at("chip").at("mesh")[0].get<int64_t>(), h = r.at("chip").at("mesh")[1].get<int64_t>();
  const int cell = static_cast<int>(std::clamp<int64_t>(480 / std::max<int64_t>(w, h), 6, 60));
  std::vector<double> util(static_cast<std::size_t>(w * h), 0.0);
  for (const json& c : r.at("per_core")) {
    const auto i = c.at("core").get<std::size_t>();
    if (i < util.size()) util[i] = c.at("utilization").get<double>();
  }
  std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">)",
                              std::max<int64_t>(w * cell + 20, 200), h * cell + 50);
  s += R"(<text x="4" y="16" font-weight="bold">Neurocore utilization</text>)";
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const double u = util[static_cast<std::size_t>(y * w + x)];
      s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#888"><title>core {} (x {}, y {}): {:.1f} %</title></rect>)",
                       10 + x * cell, 28 + y * cell, cell, cell, heat(u), y * w + x, x, y, 100 * u);
      if (cell >= 30)
        s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">{:.0f}%</text>)", 10 + x * cell + cell / 2,
                         28 + y * cell + cell / 2 + 4, 100 * u);
    }
  return s + "</svg>";
}

std::string svg_mesh_energy_links(const json& r) {
  const int64_t w = r.at("chip").at("mesh")[0].get<int64_t>(), h = r.at("chip").at("mesh")[1].get<int64_t>();
  const int cell = static_cast<int>(std::clamp<int64_t>(480 / std::max<int64_t>(w, h), 8, 80));
  std::vector<double> e(static_cast<std::size_t>(w * h), 0.0);
  for (const json& c : r.at("per_core")) {
    const auto i = c.at("core").get<std::size_t>();
    if (i < e.size()) e[i] = num(c, "energy_per_token_j");
  }
  const double top = std::max(1e-30, *std::max_element(e.begin(), e.end()));
  double top_load = 1e-30;
  for (const json& l : r.at("per_link")) top_load = std::max(top_load, num(l, "flits_per_token"));
  std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">)",
                              std::max<int64_t>(w * cell + 20, 360), h * cell + 60);
  s += fmt::format(R"(<text x="4" y="16" font-weight="bold">Energy per token by neurocore (cell, max {:.1f} nJ) and link load (line width, max {:.0f} flits/token)</text>)",
                   top * 1e9, top_load);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const double v = e[static_cast<std::size_t>(y * w + x)];
      s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#888"><title>core {} (x {}, y {}): {:.2f} nJ/token</title></rect>)",
                       10 + x * cell, 28 + y * cell, cell, cell, heat(v / top), y * w + x, x, y, v * 1e9);
      if (cell >= 40)
        s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">{:.1f}</text>)", 10 + x * cell + cell / 2,
                         28 + y * cell + cell / 2 + 4, v * 1e9);
    }
  // Directed links between cell centres, offset sideways so both directions show.
  for (const json& l : r.at("per_link")) {
    const int64_t a = l.at("from_core").get<int64_t>(), b = l.at("to_core").get<int64_t>();
    const double ax = 10 + (a % w) * cell + cell / 2.0, ay = 28 + (a / w) * cell + cell / 2.0;
    const double bx = 10 + (b % w) * cell + cell / 2.0, by = 28 + (b / w) * cell + cell / 2.0;
    const double dx = bx - ax, dy = by - ay, len = std::max(1.0, std::hypot(dx, dy));
    const double ox = -dy / len * cell * 0.12, oy = dx / len * cell * 0.12;
    const double load = num(l, "flits_per_token");
    s += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#1f4e79" stroke-opacity="0.75" stroke-width="{:.2f}"><title>core {} to {} ({}): {:.0f} flits/token</title></line>)",
                     ax + dx * 0.3 + ox, ay + dy * 0.3 + oy, ax + dx * 0.7 + ox, ay + dy * 0.7 + oy,
                     0.5 + cell * 0.15 * load / top_load, a, b, l.at("direction").get<std::string>(), load);
  }
  return s + "</svg>";
}

std::string svg_latency_per_token(const json& r) {
  const std::vector<double> lat = r.at("token_latency_s").get<std::vector<double>>();
  const int64_t prefill = r.at("prompt_tokens").get<int64_t>();
  const int W = 560, H = 220, L = 60, B = 30;
  double top = 0;
  for (double v : lat) top = std::max(top, v);
  if (top <= 0) top = 1;
  std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">)", W, H);
  s += R"(<text x="4" y="14" font-weight="bold">Cycles between tokens leaving the chip (µs): prompt, then generation</text>)";
  s += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="black"/>)", L, H - B, W - 10, H - B);
  s += fmt::format(R"(<line x1="{}" y1="24" x2="{}" y2="{}" stroke="black"/>)", L, L, H - B);
  s += fmt::format(R"(<text x="{}" y="30" text-anchor="end">{:.2f}</text><text x="{}" y="{}" text-anchor="end">0</text>)", L - 4,
                   top * 1e6, L - 4, H - B);
  const double dx = lat.size() > 1 ? static_cast<double>(W - 10 - L) / static_cast<double>(lat.size() - 1) : 0.0;
  std::string pts;
  for (std::size_t i = 0; i < lat.size(); ++i)
    pts += fmt::format("{:.1f},{:.1f} ", L + dx * static_cast<double>(i), (H - B) - (H - B - 24) * lat[i] / top);
  s += fmt::format(R"(<polyline fill="none" stroke="#b5484a" stroke-width="1.5" points="{}"/>)", pts);
  if (prefill > 0 && static_cast<std::size_t>(prefill) < lat.size()) {
    const double x = L + dx * static_cast<double>(prefill);
    s += fmt::format(R"(<line x1="{:.1f}" y1="24" x2="{:.1f}" y2="{}" stroke="#888" stroke-dasharray="4,3"/>)", x, x, H - B);
    s += fmt::format(R"(<text x="{:.1f}" y="{}">generation</text>)", x + 4, 36);
  }
  s += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">token</text>)", (L + W) / 2, H - 8);
  return s + "</svg>";
}

void write_run_report(const std::string& dir, const json& r, const std::vector<std::pair<std::string, std::string>>& extra_files) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    throw Error(fmt::format("{}: exists and is not an empty folder; reports go to a new folder", dir));
  const fs::path tmp = fs::path(dir).parent_path() / fmt::format(".{}.tmp-{}", fs::path(dir).filename().string(), ::getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw Error(fmt::format("{}: cannot create the report folder: {}", tmp.string(), ec.message()));
  try {
    // Generated bytes need not be UTF-8: invalid sequences are written as U+FFFD.
    write_file(tmp / "report.json", r.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
    const json& g = r.at("generation");
    const json& p = r.at("prefill");
    std::string md = fmt::format(
        "# neurark run {}\n\nModel `{}` on chip `{}` ({} x {} neurocores, {:.0f} MHz), backend `{}`.\n\n"
        "| | prompt (prefill) | generation |\n|---|---|---|\n"
        "| tokens | {} | {} |\n| tokens/s at the chip clock | {:.1f} | {:.1f} |\n| energy per token | {:.3f} µJ | {:.3f} µJ |\n\n"
        "Time to first token {:.3f} ms; latency per generated token {:.2f} µs; average power {:.3f} mW.\n"
        "Per token: {:.0f} synaptic operations, {:.0f} events; activation sparsity {:.1f} %, weight sparsity {:.1f} %.\n"
        "Cross-check against `{}`: {} tokens compared, {} mismatches.\n\n"
        "Generated text (JSON string): {}\n",
        r.at("run_id").get<std::string>(), r.at("model").get<std::string>(), r.at("chip").at("name").get<std::string>(),
        r.at("chip").at("mesh")[0].get<int64_t>(), r.at("chip").at("mesh")[1].get<int64_t>(), num(r.at("chip"), "clock_hz") / 1e6,
        r.at("backend").get<std::string>(), p.at("tokens").get<int64_t>(), g.at("tokens").get<int64_t>(), num(p, "tokens_per_s"),
        num(g, "tokens_per_s"), num(p, "energy_per_token_j") * 1e6, num(g, "energy_per_token_j") * 1e6,
        num(r, "time_to_first_token_s") * 1e3, num(r, "latency_per_token_s") * 1e6, num(r, "power_w") * 1e3, num(r, "sops_per_token"),
        num(r, "events_per_token"), 100 * num(r, "activation_sparsity"), 100 * num(r, "weight_sparsity"),
        r.at("cross_check").at("reference").get<std::string>(), r.at("cross_check").at("tokens_compared").get<int64_t>(),
        r.at("cross_check").at("mismatches").get<int64_t>(),
        json(r.at("generated_text").get<std::string>()).dump(-1, ' ', false, json::error_handler_t::replace));
    if (r.contains("timed") && !r.at("timed").get<bool>()) {
      // An untimed backend: no rates, latencies or power, and energy without leakage.
      md = fmt::format(
          "# neurark run {}\n\nModel `{}` on chip `{}` ({} x {} neurocores), backend `{}` (untimed: counts and dynamic "
          "energy only; `--backend systemc` gives time, tokens/s and leakage).\n\n"
          "| | prompt (prefill) | generation |\n|---|---|---|\n"
          "| tokens | {} | {} |\n| dynamic energy per token | {:.3f} µJ | {:.3f} µJ |\n\n"
          "Per token: {:.0f} synaptic operations, {:.0f} events; activation sparsity {:.1f} %, weight sparsity {:.1f} %.\n"
          "Cross-check against `{}`: {} tokens compared, {} mismatches.\n\n"
          "Generated text (JSON string): {}\n",
          r.at("run_id").get<std::string>(), r.at("model").get<std::string>(), r.at("chip").at("name").get<std::string>(),
          r.at("chip").at("mesh")[0].get<int64_t>(), r.at("chip").at("mesh")[1].get<int64_t>(), r.at("backend").get<std::string>(),
          p.at("tokens").get<int64_t>(), g.at("tokens").get<int64_t>(), num(p, "energy_per_token_j") * 1e6,
          num(g, "energy_per_token_j") * 1e6, num(r, "sops_per_token"), num(r, "events_per_token"),
          100 * num(r, "activation_sparsity"), 100 * num(r, "weight_sparsity"),
          r.at("cross_check").at("reference").get<std::string>(), r.at("cross_check").at("tokens_compared").get<int64_t>(),
          r.at("cross_check").at("mismatches").get<int64_t>(),
          json(r.at("generated_text").get<std::string>()).dump(-1, ' ', false, json::error_handler_t::replace));
    }
    std::string html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>neurark run " + esc(r.at("run_id").get<std::string>()) +
                       "</title><style>body{font-family:sans-serif;max-width:900px;margin:2em auto}table{border-collapse:collapse}"
                       "td,th{border:1px solid #ccc;padding:4px 8px}</style></head><body>";
    html += "<pre style=\"white-space:pre-wrap\">" + esc(md) + "</pre>";
    html += "<h2>Energy</h2>" + svg_energy_breakdown(r);
    const bool timed = !r.contains("timed") || r.at("timed").get<bool>();
    html += "<h2>Mesh</h2>" + (timed ? svg_mesh_utilization(r) : std::string()) + svg_mesh_energy_links(r);
    if (timed) html += "<h2>Latency</h2>" + svg_latency_per_token(r);
    if (r.contains("hardware_cost") && r.at("hardware_cost").is_object()) {
      const json& h = r.at("hardware_cost");
      std::string t = fmt::format("<h2>Area and leakage</h2><p>Technology <code>{}</code> at {} nm, {:.3g} V; logic "
                                  "synthesized at {}.</p><table><tr><th>block</th><th>kind</th><th>what</th>"
                                  "<th>area (µm²)</th><th>leakage (µW)</th></tr>",
                                  esc(h.at("technology").get<std::string>()), h.at("node_nm").get<int64_t>(),
                                  num(h, "voltage_v"), esc(h.at("logic_parameters").get<std::string>()));
      for (const json& b : h.at("blocks"))
        t += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.0f}</td><td>{:.3f}</td></tr>",
                         esc(b.at("block").get<std::string>()), esc(b.at("kind").get<std::string>()),
                         esc(b.at("what").get<std::string>()), num(b, "area_um2"), num(b, "leakage_w") * 1e6);
      t += fmt::format("</table><p>Per neurocore {:.4f} mm² and {:.2f} µW of leakage ({:.2f} µW power-gated); {} neurocores "
                       "({} gated): {:.3f} mm², {:.3f} mW of leakage.</p>",
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
    fs::remove(dir, ec);  // an empty folder given as --out
    fs::rename(tmp, dir, ec);
    if (ec) throw Error(fmt::format("{}: cannot move the report into place: {}", dir, ec.message()));
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace neurark::reports
