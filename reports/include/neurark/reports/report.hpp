// neurark/reports/report.hpp: the run report of `neurark run` (docs/report-format.md).
//
// reports/ owns the report writers: a run's report.json (the numbers), report.md (a short
// readable summary) and report.html (the summary with SVG plots: energy by component, a heat map
// of per-neurocore utilization on the mesh, latency per token). The plots are written as plain
// SVG elements (no plotting library in Debian fits a C++ tool without a runtime dependency).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace neurark::reports {

// Writes report.json, report.md and report.html into `dir` (created; must not exist or be
// empty). Everything goes to a temporary folder next to `dir` that is renamed at the end, so a
// failure leaves nothing. `report` follows docs/report-format.md. Throws neurark::Error.
// `extra_files`: {existing file, name in the folder} moved into the folder with the report.
void write_run_report(const std::string& dir, const nlohmann::json& report,
                      const std::vector<std::pair<std::string, std::string>>& extra_files = {});

// The plots as standalone SVG documents (also embedded in report.html).
std::string svg_energy_breakdown(const nlohmann::json& report);
std::string svg_mesh_utilization(const nlohmann::json& report);
// Per-core energy per token as a heat map, per-link load (flits/token) as line widths.
std::string svg_mesh_energy_links(const nlohmann::json& report);
std::string svg_latency_per_token(const nlohmann::json& report);

}  // namespace neurark::reports
