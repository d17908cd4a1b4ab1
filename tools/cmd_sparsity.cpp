// SPDX-License-Identifier: Apache-2.0
// neurark sparsity [--model DIR ...] [--chip CHIP.yaml] --text FILE [--max-bytes N] [--encodings E,E]
//                  [--thresholds T,T,...] [--backend systemc|func] [--no-weight-encodings] [--out DIR] [--json]:
// what event thresholds and sigma-delta events cost in accuracy and buy in energy (runs::sparsity).
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/version.hpp"
#include "neurark/reports/report.hpp"
#include "neurark/runs/sparsity.hpp"

namespace neurark::tools {

namespace {

struct Args {
  runs::SparsityOptions o;
  std::string encodings = "absolute,sigma_delta", thresholds = "0,1,2,3,4,6,8", out;
  bool json = false, no_weight_encodings = false;
  CLI::Option* out_opt = nullptr;
};

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    out.push_back(text.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

int run_sparsity(Args& a) {
  runs::SparsityOptions& o = a.o;
  if (o.model_dirs.empty()) o.model_dirs.push_back(arch::bundled_path(runs::kDefaultModel));
  o.encodings.clear();
  for (const std::string& e : split_commas(a.encodings)) {
    if (e == "absolute") o.encodings.push_back(arch::EventEncoding::kAbsolute);
    else if (e == "sigma_delta") o.encodings.push_back(arch::EventEncoding::kSigmaDelta);
    else throw Error(fmt::format("--encodings {}: '{}' is not an event encoding, expected absolute and/or sigma_delta "
                                 "separated by commas", a.encodings, e));
  }
  o.thresholds.clear();
  for (const std::string& t : split_commas(a.thresholds)) {
    std::size_t used = 0;
    long v = -1;
    try {
      v = std::stol(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (t.empty() || used != t.size() || v < 0 || v > arch::kEventThresholdMax)
      throw Error(fmt::format("--thresholds {}: '{}' is not a threshold, expected integers from 0 to {} separated by commas",
                              a.thresholds, t, arch::kEventThresholdMax));
    o.thresholds.push_back(static_cast<int32_t>(v));
  }
  o.weight_encodings = !a.no_weight_encodings;
  const std::string out = a.out_opt->count() > 0 ? report_folder(a.out, "each sparsity study writes its own folder") : std::string();
  o.log = [](const std::string& line) { progress(line); };
  const runs::SparsityResult r = runs::sparsity(o);
  if (!out.empty()) reports::write_sparsity_report(out, r);
  if (a.json) std::cout << runs::sparsity_json(r).dump() << "\n";
  else std::cout << runs::sparsity_markdown(r) << (out.empty() ? "" : fmt::format("\nreport: {}/sparsity.md (and sparsity.json, sparsity.svg)\n", out));
  return 0;
}

}  // namespace

std::function<int()> add_sparsity(CLI::App& sub) {
  auto a = std::make_shared<Args>();

  a->o.chip_path = arch::bundled_path(runs::kDefaultChip);
  sub.footer("Each point compiles the model for the chip with neurocore.event_encoding / event_threshold set and evaluates "
             "the text on the chip backend, checked against the integer reference on every token (docs/numerics.md §5b). "
             "A mode whose state does not fit the chip is listed with the reason.");
  sub.add_option("--model", a->o.model_dirs, "Checkpoint folder; several (--model A --model B): a curve each, bpb against "
                                             "the first one's dense point (default " + std::string(runs::kDefaultModel) + ")");
  sub.add_option("--chip", a->o.chip_path, "Chip description (its events are replaced per point)")->capture_default_str();
  sub.add_option("--text", a->o.text_path, "Text file to evaluate (bytes are tokens), e.g. data/tinyshakespeare/heldout.txt")
      ->required();
  sub.add_option("--max-bytes", a->o.max_bytes, "Evaluate only its first N bytes (0 = all)")->capture_default_str();
  sub.add_option("--encodings", a->encodings, "Event encodings, comma separated: absolute, sigma_delta")->capture_default_str();
  sub.add_option("--thresholds", a->thresholds, "Event thresholds, ascending, comma separated (0 to 254)")->capture_default_str();
  sub.add_option("--backend", a->o.backend, "systemc (tokens/s, energy with leakage) or func (untimed: dynamic energy)")
      ->capture_default_str();
  sub.add_flag("--no-weight-encodings", a->no_weight_encodings,
               "Skip the comparison of packed 2-bit and sparse-index weight memories");
  a->out_opt = sub.add_option("--out", a->out, "Report folder: sparsity.json, sparsity.md, sparsity.svg");
  sub.add_flag("--json", a->json, "Print sparsity.json's object instead of the tables");
  return [a] { return run_sparsity(*a); };
}

}  // namespace neurark::tools
