// SPDX-License-Identifier: Apache-2.0
// neurark/runs/eval.hpp: bits per byte of a text on any backend, with what an event-driven chip
// does per token (events, synaptic operations, SRAM words, flit-hops), its dynamic energy from
// the chip's energy table and, on the SystemC model, cycles, tokens/s and leakage.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "neurark/models/lm.hpp"
#include "neurark/runs/model_source.hpp"

namespace neurark::runs {

// Per token, over every token evaluated.
struct EvalActivity {
  double events = 0.0;                 // non-zero activation codes entering BitLinears
  double synaptic_ops = 0.0;           // non-zero code x non-zero weight
  double activation_sparsity = 0.0;    // zero codes / all codes
  std::optional<double> weight_sparsity;  // the integer reference: zero weights / all weights
  // Chip backends (func, systemc):
  bool chip = false;
  double tile_deliveries = 0.0, sram_words = 0.0, neuron_ops = 0.0, values_moved = 0.0, flit_hops = 0.0;
  int64_t tokens_cross_checked = 0;
  std::optional<double> dynamic_energy_pj;               // with an energy table
  std::map<std::string, double> dynamic_energy_breakdown_pj;
  std::string energy_table;                              // "<name> at <node> nm"
  std::optional<double> cycles, tokens_per_s_chip;       // systemc: per token, at the chip clock
  std::optional<double> leakage_energy_pj, energy_j;     // systemc with an energy table
};

struct EvalOptions {
  ModelSource source;
  std::string text_path;
  int64_t max_bytes = 0;                                  // 0: the whole file
  std::function<void(int64_t done, int64_t total)> progress;
};

struct EvalRun {
  std::string label;                   // the model folder, or the image
  bool image = false;                  // an image was given
  std::string text_path, backend;
  bool checked = false;                // against the integer reference on every token
  models::EvalResult result;
  std::optional<EvalActivity> activity;
  double clock_hz = 0.0;               // systemc: the chip's
  std::optional<arch::EventMode> events;  // which codes sent events (docs/numerics.md §5b): the int
                                          // reference's, or the chip's; none for float
};

// Reads at most max_bytes (0 = all) of a regular text file; names the file in every error and
// refuses fewer than 2 bytes (nothing to predict).
std::string read_text(const std::string& path, int64_t max_bytes);

// Scores the text (every byte after the first, state carried) on the model `options.source`
// names. Throws neurark::Error for bad options, inputs or a mismatch against the reference.
EvalRun eval(const EvalOptions& options);

}  // namespace neurark::runs
