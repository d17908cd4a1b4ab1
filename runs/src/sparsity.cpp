// SPDX-License-Identifier: Apache-2.0
// What event sparsity costs and buys: see neurark/runs/sparsity.hpp.
#include "neurark/runs/sparsity.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "neurark/arch/error.hpp"
#include "neurark/runs/eval.hpp"
#include "neurark/runs/model_source.hpp"
#include "neurark/sim/registry.hpp"

namespace neurark::runs {

namespace {

void log_line(const SparsityOptions& o, const std::string& s) {
  if (o.log) o.log(s);
}

// The compiler's refusal of a model that does not fit the chip (partition: "model does not fit").
bool is_not_fit(const Error& e) { return std::string(e.what()).find("model does not fit chip") != std::string::npos; }

}  // namespace

SparsityResult sparsity(const SparsityOptions& o) {
  if (o.model_dirs.empty()) throw Error("--model: none given, expected at least one checkpoint folder");
  if (std::set<std::string>(o.model_dirs.begin(), o.model_dirs.end()).size() != o.model_dirs.size())
    throw Error("--model: a checkpoint folder is given twice");
  if (o.thresholds.empty()) throw Error("--thresholds: empty, expected at least one threshold (0 to 254)");
  for (std::size_t i = 0; i < o.thresholds.size(); ++i) {
    const int32_t t = o.thresholds[i];
    if (t < 0 || t > arch::kEventThresholdMax)
      throw Error(fmt::format("--thresholds: {} is out of range, expected 0 to {}", t, arch::kEventThresholdMax));
    if (i > 0 && t <= o.thresholds[i - 1])
      throw Error(fmt::format("--thresholds: {} after {}, expected ascending values without repeats", t, o.thresholds[i - 1]));
  }
  if (o.encodings.empty()) throw Error("--encodings: empty, expected absolute, sigma_delta or both");
  if (std::set<arch::EventEncoding>(o.encodings.begin(), o.encodings.end()).size() != o.encodings.size())
    throw Error("--encodings: an encoding is given twice");
  const sim::BackendEntry& entry = sim::backend(o.backend);
  if (!entry.runs_image) throw Error(fmt::format("--backend {}: expected a chip backend (systemc or func)", o.backend));
  if (o.max_bytes < 0) throw Error(fmt::format("--max-bytes: {} is negative, expected 0 (all) or a byte count", o.max_bytes));
  read_text(o.text_path, o.max_bytes);  // its errors before any model is built
  const std::string chip_text = arch::ChipDescription::read_text(o.chip_path);
  const arch::ChipDescription chip = arch::ChipDescription::from_yaml_text(chip_text, o.chip_path);

  SparsityResult r;
  r.model_dirs = o.model_dirs;
  r.chip_name = chip.name;
  r.chip_path = o.chip_path;
  r.text_path = o.text_path;
  r.backend = o.backend;
  const std::size_t total = o.model_dirs.size() * o.encodings.size() * o.thresholds.size();
  for (const std::string& model : o.model_dirs)
  for (arch::EventEncoding enc : o.encodings) {
    std::string not_fit;  // the state a mode needs does not depend on its threshold
    for (int32_t theta : o.thresholds) {
      SparsityPoint p;
      p.model_dir = model;
      p.mode.encoding = enc;
      p.mode.threshold = theta;
      log_line(o, fmt::format("sparsity: point {}/{}: {}, {} events, threshold {} ...\n", r.points.size() + 1, total, model,
                              arch::to_string(enc), theta));
      if (!not_fit.empty()) {
        p.fits = false;
        p.not_fit_reason = not_fit;
        r.points.push_back(p);
        continue;
      }
      EvalOptions eo;
      eo.source.model_dir = model;
      eo.source.backend = o.backend;
      eo.source.chip_path = o.chip_path;
      eo.source.chip_text = chip_text;
      eo.source.events.encoding = enc;
      eo.source.events.threshold = theta;
      eo.text_path = o.text_path;
      eo.max_bytes = o.max_bytes;
      EvalRun e;
      try {
        e = eval(eo);
      } catch (const Error& err) {
        if (!is_not_fit(err)) throw;
        p.fits = false;
        p.not_fit_reason = not_fit = err.what();
        r.points.push_back(p);
        continue;
      }
      if (!e.activity) throw std::logic_error("sparsity: a chip backend gave no activity");
      const EvalActivity& a = *e.activity;
      r.bytes = e.result.bytes;
      p.bpb = e.result.bits_per_byte;
      p.activation_sparsity = a.activation_sparsity;
      p.events_per_token = a.events;
      p.sops_per_token = a.synaptic_ops;
      p.sram_words_per_token = a.sram_words;
      p.neuron_ops_per_token = a.neuron_ops;
      p.dynamic_energy_per_token_j = a.dynamic_energy_pj.value_or(0.0) * 1e-12;
      p.energy_per_token_j = a.energy_j;
      p.tokens_per_s = a.tokens_per_s_chip;
      p.tokens_checked = a.tokens_cross_checked;
      r.points.push_back(p);
    }
  }

  if (o.weight_encodings) {
    // Both weight memories at the dense mode, on the chip with only neurocore.weight_encoding
    // changed; a memory the chip's synapse SRAM cannot hold is compiled with it doubled until it fits.
    for (arch::WeightEncoding we : {arch::WeightEncoding::kPacked2, arch::WeightEncoding::kSparse}) {
      log_line(o, fmt::format("sparsity: weight encoding {} ...\n", arch::to_string(we)));
      WeightEncodingRow row;
      row.encoding = we;
      std::optional<CompiledImage> img;
      std::string text;
      for (int64_t sram = chip.core.synapse_sram_bytes; !img && sram <= (chip.core.synapse_sram_bytes << 10); sram *= 2) {
        text = arch::chip_text_with(chip_text, o.chip_path,
                                    {{"neurocore.weight_encoding", arch::to_string(we)},
                                     {"neurocore.synapse_sram_bytes", std::to_string(sram)},
                                     {"neurocore.event_encoding", "absolute"},
                                     {"neurocore.event_threshold", "0"}});
        try {
          img = compile_image(o.model_dirs.front(), o.chip_path, text);
          row.synapse_sram_bytes = sram;
        } catch (const Error& err) {
          if (!is_not_fit(err)) throw;
        }
      }
      if (!img) continue;  // does not fit even with 1,024 x the SRAM: no row
      for (const arch::ProgramTile& t : img->program.tiles) row.weight_bytes += t.weight_bytes;
      EvalOptions eo;
      eo.source.model_dir = o.model_dirs.front();
      eo.source.backend = "func";
      eo.source.chip_path = o.chip_path;
      eo.source.chip_text = text;
      eo.text_path = o.text_path;
      eo.max_bytes = o.max_bytes;
      const EvalRun e = eval(eo);
      if (!e.activity) throw std::logic_error("sparsity: the functional backend gave no activity");
      row.sram_words_per_token = e.activity->sram_words;
      row.sops_per_token = e.activity->synaptic_ops;
      const auto it = e.activity->dynamic_energy_breakdown_pj.find("sram_read_64b");
      row.sram_read_energy_per_token_j = it == e.activity->dynamic_energy_breakdown_pj.end() ? 0.0 : it->second * 1e-12;
      r.weight_encodings.push_back(row);
    }
  }
  {
    EvalOptions eo;  // the static weight sparsity, from the integer reference (one byte pair)
    eo.source.model_dir = o.model_dirs.front();
    eo.source.backend = "int";
    eo.text_path = o.text_path;
    eo.max_bytes = 2;
    const EvalRun e = eval(eo);
    if (e.activity && e.activity->weight_sparsity) r.weight_sparsity = *e.activity->weight_sparsity;
  }
  return r;
}

nlohmann::json sparsity_json(const SparsityResult& r) {
  using nlohmann::json;
  std::optional<double> dense_bpb;  // the first model's dense point
  for (const SparsityPoint& p : r.points)
    if (p.fits && p.mode == arch::EventMode{} && p.model_dir == r.model_dirs.front() && !dense_bpb) dense_bpb = p.bpb;
  json points = json::array();
  for (const SparsityPoint& p : r.points) {
    json j = {{"model", p.model_dir}, {"encoding", arch::to_string(p.mode.encoding)}, {"threshold", p.mode.threshold},
              {"fits", p.fits}};
    if (!p.fits) {
      j["reason"] = p.not_fit_reason;
    } else {
      j["bpb"] = p.bpb;
      if (dense_bpb) j["bpb_vs_dense"] = p.bpb / *dense_bpb - 1.0;
      j["activation_sparsity"] = p.activation_sparsity;
      j["events_per_token"] = p.events_per_token;
      j["sops_per_token"] = p.sops_per_token;
      j["sram_words_per_token"] = p.sram_words_per_token;
      j["neuron_ops_per_token"] = p.neuron_ops_per_token;
      j["dynamic_energy_per_token_j"] = p.dynamic_energy_per_token_j;
      if (p.energy_per_token_j) j["energy_per_token_j"] = *p.energy_per_token_j;
      if (p.tokens_per_s) j["tokens_per_s"] = *p.tokens_per_s;
      j["tokens_checked"] = p.tokens_checked;
    }
    points.push_back(j);
  }
  json we = json::array();
  for (const WeightEncodingRow& w : r.weight_encodings)
    we.push_back({{"encoding", arch::to_string(w.encoding)}, {"weight_bytes", w.weight_bytes},
                  {"synapse_sram_bytes", w.synapse_sram_bytes}, {"sram_words_per_token", w.sram_words_per_token},
                  {"sram_read_energy_per_token_j", w.sram_read_energy_per_token_j}, {"sops_per_token", w.sops_per_token}});
  return {{"models", r.model_dirs}, {"chip", {{"name", r.chip_name}, {"file", r.chip_path}}}, {"text", r.text_path},
          {"backend", r.backend}, {"bytes", r.bytes}, {"weight_sparsity", r.weight_sparsity}, {"points", points},
          {"weight_encodings", we}};
}

std::string sparsity_markdown(const SparsityResult& r) {
  const nlohmann::json j = sparsity_json(r);
  std::string s = fmt::format("# What event sparsity costs: {} on {}\n\n", fmt::join(r.model_dirs, " and "), r.chip_name);
  s += fmt::format("Text `{}` ({} bytes predicted), backend {} ({}), events and thresholds of docs/numerics.md §5b.\n\n",
                   r.text_path, r.bytes, r.backend,
                   r.backend == "systemc" ? "every token checked against the integer reference" : "untimed");
  if (r.model_dirs.size() > 1)
    s += fmt::format("\"vs dense\": against {} with absolute events at threshold 0.\n\n", r.model_dirs.front());
  s += "| model | encoding | threshold | bpb | vs dense | activation sparsity | events/token | SOPs/token | µJ/token | tokens/s |\n"
       "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const nlohmann::json& p : j.at("points")) {
    const std::string model = std::filesystem::path(p.at("model").get<std::string>()).filename().string();
    if (!p.at("fits").get<bool>()) {
      s += fmt::format("| {} | {} | {} | does not fit the chip | | | | | | |\n", model, p.at("encoding").get<std::string>(),
                       p.at("threshold").get<int>());
      continue;
    }
    const double e = p.contains("energy_per_token_j") ? p.at("energy_per_token_j").get<double>()
                                                       : p.at("dynamic_energy_per_token_j").get<double>();
    s += fmt::format("| {} | {} | {} | {:.4f} | {} | {:.1f} % | {:.0f} | {:.0f} | {:.3f}{} | {} |\n", model,
                     p.at("encoding").get<std::string>(),
                     p.at("threshold").get<int>(), p.at("bpb").get<double>(),
                     p.contains("bpb_vs_dense") ? fmt::format("{:+.2f} %", 100 * p.at("bpb_vs_dense").get<double>()) : "",
                     100 * p.at("activation_sparsity").get<double>(), p.at("events_per_token").get<double>(),
                     p.at("sops_per_token").get<double>(), e * 1e6, p.contains("energy_per_token_j") ? "" : " (dynamic)",
                     p.contains("tokens_per_s") ? fmt::format("{:.1f}", p.at("tokens_per_s").get<double>()) : "");
  }
  std::set<std::string> reasons;
  for (const SparsityPoint& p : r.points)
    if (!p.fits && reasons.insert(p.not_fit_reason).second)
      s += fmt::format("\n{} events ({}) do not fit: {}\n", arch::to_string(p.mode.encoding), p.model_dir, p.not_fit_reason);
  if (!r.weight_encodings.empty()) {
    s += fmt::format("\n## Weight memories of {} at {:.1f} % zero weights (dense events)\n\n", r.model_dirs.front(),
                     100 * r.weight_sparsity);
    s += "| weight encoding | synapse bytes | SRAM per neurocore compiled for | SRAM words/token | SRAM read µJ/token |\n"
         "|---|---|---|---|---|\n";
    for (const WeightEncodingRow& w : r.weight_encodings)
      s += fmt::format("| {} | {} | {} | {:.0f} | {:.4f} |\n", arch::to_string(w.encoding), w.weight_bytes, w.synapse_sram_bytes,
                       w.sram_words_per_token, w.sram_read_energy_per_token_j * 1e6);
  }
  return s;
}

}  // namespace neurark::runs
