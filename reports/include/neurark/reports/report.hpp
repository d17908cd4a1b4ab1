// SPDX-License-Identifier: Apache-2.0
// neurark/reports/report.hpp: the reports of runs and evaluations (docs/report-format.md).
//
// reports/ owns how results are written for people and programs: a run's report.json (the
// schema of docs/report-format.md, built from runs::RunResult), report.md (a short readable
// summary), report.html (one self-contained file, inline CSS and SVG, in sections with ids:
// `summary` (tables), `time` (where a generated token's cycles go: per stage and phase, with the
// unit that bound them), `dram` (DRAM bandwidth use), `energy` (by component), `mesh` (heat
// maps with colour scales: per-neurocore utilization, energy by neurocore with link loads),
// `latency` (per token), `chip` (the chip's parameters), `area` (area and leakage, when priced)),
// the summary `neurark run` prints, eval's JSON and text, and `neurark noc`'s folder (noc.json,
// noc.md, noc.svg). The plots are written as plain SVG
// elements (no plotting library in Debian fits a C++ tool without a runtime dependency), sized
// so that no title or label is cut off. Depends on runs (and through it the libraries below).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurark/runs/eval.hpp"
#include "neurark/runs/fidelity.hpp"
#include "neurark/runs/noc.hpp"
#include "neurark/runs/run.hpp"
#include "neurark/runs/sparsity.hpp"

namespace neurark::reports {

// report.json of a run (docs/report-format.md, version 1).
nlohmann::json run_report_json(const runs::RunResult& result);

// Writes report.json, report.md and report.html into `dir` (created; must not exist or be
// empty). Everything goes to a temporary folder next to `dir` that is renamed at the end, so a
// failure leaves nothing. Throws neurark::Error.
// `extra_files`: {existing file, name in the folder} moved into the folder with the report.
void write_run_report(const std::string& dir, const runs::RunResult& result,
                      const std::vector<std::pair<std::string, std::string>>& extra_files = {});
// The same from a report.json already built.
void write_run_report(const std::string& dir, const nlohmann::json& report,
                      const std::vector<std::pair<std::string, std::string>>& extra_files = {});

// A run's cross-check (report.json "cross_check") in words, for the reports: "431 tokens compared,
// 0 mismatches"; with check_every N > 1 "44 tokens compared (one in 10, each from the chip's own
// state), 0 mismatches"; with check_every 0 "not checked (--check-every 0)".
std::string cross_check_words(const nlohmann::json& cross_check);

// What `neurark run` prints after the generated text: chip, prefill, generation, power, per-token
// activity, the cross-check, RTL co-simulation and where the report is (`report_dir`).
std::string run_summary_text(const runs::RunResult& result, const std::string& report_dir);

// Writes the run's spans (RunOptions::record_spans) as a Perfetto / Chrome trace: a track per
// pipeline stage with its phases (args: token, cycles, the unit that bound it), and counter tracks
// per neurocore ("core N (x,y) busy %": its busy share of each phase it runs, 0 between) and per
// directed link ("link A->B (direction) flits": flits carried so far). Returns the trace events
// written. Throws neurark::Error.
int64_t write_run_perfetto_trace(const std::string& path, const runs::RunResult& result);

// eval's one JSON object ({"model", "text", "backend", "bpb", "bytes", "tokens_per_s", "seconds",
// "activity": {...}}) and its readable text.
nlohmann::json eval_json(const runs::EvalRun& run);
std::string eval_text(const runs::EvalRun& run);

// `neurark fidelity`: one JSON object ({"model", "text", "tokens", "float_bpb", "int_bpb",
// "max_logit_abs_diff", "min_equal_share", "max_code_diff", "bitlinears": [{"name", "layer", "codes",
// "equal", "equal_share", "max_abs_diff", "diff_counts": [|d| = 1, 2, 3, >= 4]}]}) and a table per
// layer for people.
nlohmann::json fidelity_json(const runs::FidelityResult& result);
std::string fidelity_text(const runs::FidelityResult& result);

// `neurark noc --out DIR`: writes noc.json (runs::noc_json), noc.md (runs::noc_markdown) and noc.svg
// (svg_noc) into `dir` (created; must not exist or be empty) through a temporary folder renamed
// at the end, as write_run_report. Throws neurark::Error.
void write_noc_report(const std::string& dir, const runs::NocResult& result);
// Two plots side by side, a line per pattern: mean packet latency (cycles, log axis) and accepted
// throughput (flits/cycle/node) against offered load (flits/cycle/node), from noc.json.
std::string svg_noc(const nlohmann::json& noc);

// `neurark sparsity --out DIR`: writes sparsity.json (runs::sparsity_json), sparsity.md
// (runs::sparsity_markdown) and sparsity.svg (svg_sparsity) into `dir` (created; must not exist or
// be empty) through a temporary folder renamed at the end. Throws neurark::Error.
void write_sparsity_report(const std::string& dir, const runs::SparsityResult& result);
// Two plots side by side, a line per event encoding: bits per byte against energy per token (each
// point labelled with its threshold) and activation sparsity (%) against the threshold, from
// sparsity.json.
std::string svg_sparsity(const nlohmann::json& sparsity);

// `text` with <, >, & and " escaped for HTML and SVG.
std::string html_escape(const std::string& text);

// The plots as standalone SVG documents (also embedded in report.html).
std::string svg_energy_breakdown(const nlohmann::json& report);
std::string svg_mesh_utilization(const nlohmann::json& report);
// Per-core energy per token as a heat map, per-link load (flits/token) as line widths.
std::string svg_mesh_energy_links(const nlohmann::json& report);
std::string svg_latency_per_token(const nlohmann::json& report);
// Cycles per generated token by pipeline stage, stacked by the unit that bound them (needs the
// report's `phase_latency`, timed runs).
std::string svg_phase_latency(const nlohmann::json& report);

}  // namespace neurark::reports
