// SPDX-License-Identifier: Apache-2.0
// The report writer's plots (reports/report.hpp) on hand-built report.json objects: the heat maps
// keep a readable number in every cell up to large meshes, with a colour scale; the time plot's
// bars follow the phases. tests/report_html_test.py checks the rendered page in Chromium.
#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurark/reports/report.hpp"

using namespace neurark;
using nlohmann::json;

namespace {

// A report with a w x h mesh: core i at utilization (i mod 10) / 10 and i nJ per token, one link.
json mesh_report(int w, int h) {
  json cores = json::array();
  for (int i = 0; i < w * h; ++i)
    cores.push_back({{"core", i}, {"utilization", (i % 10) / 10.0}, {"energy_per_token_j", i * 1e-9}});
  return {{"chip", {{"mesh", {w, h}}}},
          {"per_core", cores},
          {"per_link", json::array({{{"from_core", 0}, {"to_core", 1}, {"direction", "east"}, {"flits_per_token", 10.0}}})}};
}

// The <text> elements of an SVG: {font size (the SVG's 11 unless given), content}.
std::vector<std::pair<double, std::string>> texts(const std::string& svg) {
  std::vector<std::pair<double, std::string>> out;
  static const std::regex text(R"(<text([^>]*)>([^<]*)</text>)"), size(R"(font-size="([0-9.]+)\")");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), text); it != std::sregex_iterator(); ++it) {
    const std::string attrs = (*it)[1];
    std::smatch m;
    out.emplace_back(std::regex_search(attrs, m, size) ? std::stod(m[1]) : 11.0, (*it)[2]);
  }
  return out;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("reports: heat maps number every cell at 16 x 16 and 32 x 32, with a colour scale", "[reports]") {
  for (int side : {4, 16, 32}) {
    INFO(side);
    const json r = mesh_report(side, side);
    // The utilization map's other numbers: the colour scale's 5 ticks; the energy map's also the
    // two link widths of its legend.
    for (const auto& [svg, others] : {std::pair{reports::svg_mesh_utilization(r), std::size_t{5}},
                                      std::pair{reports::svg_mesh_energy_links(r), std::size_t{7}}}) {
      CHECK(count(svg, "</title></rect>") == static_cast<std::size_t>(side * side));  // one cell per core
      std::size_t numbers = 0;
      for (const auto& [size, t] : texts(svg))
        if (std::regex_match(t, std::regex("[0-9.]+"))) {
          ++numbers;
          CHECK(size >= 7.0);
        }
      CHECK(numbers == static_cast<std::size_t>(side * side) + others);
      CHECK_THAT(svg, Catch::Contains("viewBox="));
    }
    // The cells' numbers are the figures: core 37's utilization (70 %) and energy (37.0 nJ).
    if (side >= 8) {
      CHECK_THAT(reports::svg_mesh_utilization(r), Catch::Contains(">70</text>"));
      CHECK_THAT(reports::svg_mesh_energy_links(r), Catch::Contains(">37.0</text>"));
    }
    CHECK_THAT(reports::svg_mesh_utilization(r), Catch::Contains(">%</text>"));
    CHECK_THAT(reports::svg_mesh_energy_links(r), Catch::Contains(">nJ/token</text>") && Catch::Contains(">flits/token</text>"));
  }
}

TEST_CASE("reports: the time plot stacks each stage's cycles by the unit that bound them", "[reports]") {
  json r = {{"phase_latency",
             {{"stages", json::array({{{"stage", 1}, {"stage_name", "layer 0"}}, {{"stage", 2}, {"stage_name", "head"}}})},
              {"phases", json::array({{{"stage", 1}, {"bound_cycles_per_token", {{"lanes", 300.0}, {"noc", 100.0}}}},
                                      {{"stage", 1}, {"bound_cycles_per_token", {{"neuron_unit", 400.0}}}},
                                      {{"stage", 2}, {"bound_cycles_per_token", {{"host", 200.0}}}}})}}}};
  const std::string svg = reports::svg_phase_latency(r);
  // Bars are 420 px for the longest stage (800 cycles): lanes 157.5, neuron_unit 210, noc 52.5;
  // the head's host 105.
  CHECK_THAT(svg, Catch::Contains(R"(width="157.50" height="16" fill="#4a7fb5")"));
  CHECK_THAT(svg, Catch::Contains(R"(width="210.00" height="16" fill="#5a9e6f")"));
  CHECK_THAT(svg, Catch::Contains(R"(width="52.50" height="16" fill="#e0a040")"));
  CHECK_THAT(svg, Catch::Contains(R"(width="105.00" height="16" fill="#8c6bb1")"));
  CHECK_THAT(svg, Catch::Contains(">800</text>") && Catch::Contains(">200</text>"));  // stage totals
  CHECK_THAT(svg, Catch::Contains(">cycles per generated token</text>"));
}
