// SPDX-License-Identifier: Apache-2.0
// neurark/runs/sparsity.hpp: what event sparsity costs and buys (`neurark sparsity`, issue 15).
//
// For every event mode (encoding x threshold, docs/numerics.md §5b) the model is compiled for the
// chip with that mode and a text is evaluated on the chip backend (the SystemC model by default,
// checked against the integer reference on every token): bits per byte next to events, synaptic
// operations, energy and tokens/s per token, the accuracy / energy curve of an architect's
// sparsity knob. A mode whose state does not fit the chip (sigma-delta keeps a code per input and
// an accumulator per row) is listed with the compiler's reason instead of figures. The weight
// encodings (packed 2-bit, sparse index) are compared at the model's weight sparsity on the dense
// mode: synapse SRAM bytes and read words and energy per token, measured by the functional backend.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurark/arch/chip.hpp"

namespace neurark::runs {

struct SparsityOptions {
  std::vector<std::string> model_dirs;    // checkpoint folders: a curve each (e.g. a dense and a sparse model)
  std::string chip_path;                  // chip description (its events are replaced per point)
  std::string text_path;                  // evaluated text (bytes are tokens)
  int64_t max_bytes = 4000;               // its first bytes (0: all)
  std::vector<arch::EventEncoding> encodings{arch::EventEncoding::kAbsolute, arch::EventEncoding::kSigmaDelta};
  std::vector<int32_t> thresholds{0, 1, 2, 3, 4, 6, 8};  // each 0 to 254, ascending, unique
  std::string backend = "systemc";        // systemc (timed: tokens/s, leakage) or func (dynamic energy only)
  bool weight_encodings = true;           // also compare packed2 and sparse weight memories
  std::function<void(const std::string&)> log;  // progress lines
};

// One event mode on the chip for one model.
struct SparsityPoint {
  std::string model_dir;
  arch::EventMode mode;
  bool fits = true;
  std::string not_fit_reason;             // the compiler's message when !fits
  double bpb = 0.0;
  double activation_sparsity = 0.0;       // 1 - events / activation codes
  double events_per_token = 0.0, sops_per_token = 0.0, sram_words_per_token = 0.0, neuron_ops_per_token = 0.0;
  double dynamic_energy_per_token_j = 0.0;
  std::optional<double> energy_per_token_j;   // systemc: dynamic + leakage
  std::optional<double> tokens_per_s;         // systemc: tokens one after the other at the chip clock
  int64_t tokens_checked = 0;             // against the integer reference
};

// One weight encoding at the dense mode (the first model).
struct WeightEncodingRow {
  arch::WeightEncoding encoding = arch::WeightEncoding::kPacked2;
  int64_t weight_bytes = 0;               // synapse memory of every tile
  int64_t synapse_sram_bytes = 0;         // per neurocore compiled for (the chip's, or scaled up to fit)
  double sram_words_per_token = 0.0;      // read by events (neurocore.sram_port_bits each)
  double sram_read_energy_per_token_j = 0.0;  // at the chip's SRAM macro size and supply
  double sops_per_token = 0.0;
};

struct SparsityResult {
  std::vector<std::string> model_dirs;
  std::string chip_name, chip_path, text_path, backend;
  int64_t bytes = 0;                      // predicted bytes per point
  double weight_sparsity = 0.0;           // the first model's zero ternary weights / all
  std::vector<SparsityPoint> points;      // models, then encodings in the order given, thresholds ascending
  std::vector<WeightEncodingRow> weight_encodings;
};

// Runs every point. Throws neurark::Error for bad options (naming them: --thresholds,
// --encodings, --backend, --max-bytes), a bad model, chip or text; a mode that does not fit is a
// point with fits = false, not an error.
SparsityResult sparsity(const SparsityOptions& options);

// sparsity.json: {"models", "chip", "text", "backend", "bytes", "weight_sparsity", "points": [{"model",
// "encoding", "threshold", "fits", "reason" | "bpb", "bpb_vs_dense" (against the first model's dense point), "activation_sparsity", "events_per_token",
// "sops_per_token", "sram_words_per_token", "neuron_ops_per_token", "dynamic_energy_per_token_j",
// "energy_per_token_j", "tokens_per_s", "tokens_checked"}], "weight_encodings": [{"encoding",
// "weight_bytes", "synapse_sram_bytes", "sram_words_per_token", "sram_read_energy_per_token_j",
// "sops_per_token"}]}; and the same as Markdown tables for people.
nlohmann::json sparsity_json(const SparsityResult& r);
std::string sparsity_markdown(const SparsityResult& r);

}  // namespace neurark::runs
