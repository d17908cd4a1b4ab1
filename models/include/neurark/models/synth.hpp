// SPDX-License-Identifier: Apache-2.0
// neurark/models/synth.hpp: synthetic HGRNBit checkpoints with realistic statistics.
//
// For published configurations (MMfreeLM-370M / 1.3B / 2.7B, models/configs/) whose weights are
// not bundled, so that large models can be compiled and simulated. Weights are random but follow
// the statistics that matter to the chip: after absmean ternarization 35.4 % of each BitLinear's
// weights are zero, as measured on the trained MMfreeLM-370M (Abreu et al., arXiv 2503.18002v2).
// Distributions (docs/model.md, "Synthetic checkpoints"):
//   BitLinear weights  W = 0.02 * sign(Z) * |Z|^1.16236   (Z ~ N(0,1); P(ternary 0) = 0.354)
//   norm weights       exp(0.3 * Z)                       (positive, median 1)
//   embeddings         0.02 * Z * (1 + |Z'|)              (heavier-tailed than a Gaussian)
//   lower_bounds       Z
// With init "hf" instead: the official initialization a checkpoint starts training from (BitLinear
// weights xavier_uniform, gain 2^-2.5, as mmfreelm's layers; embeddings N(0, 0.02)), the norm
// weights and lower bounds as above (perturbed away from their defaults 1 and 0): the scale at
// which the integer numerics must still follow the float model (issue 14, runs/fidelity.hpp).
// Random numbers: std::mt19937_64(seed) with a portable Box-Muller, so the same seed gives the
// same bytes on every platform (the std:: distributions are implementation-defined).
#pragma once

#include <cstdint>
#include <string>

#include "neurark/models/config.hpp"

namespace neurark::models {

struct SynthOptions {
  uint64_t seed = 0;
  std::string dtype = "BF16";              // BF16 (as HF releases) | F32
  std::string init = "trained";            // trained (the statistics above) | hf (the official initialization)
  uint64_t max_shard_bytes = uint64_t{2} << 30;  // larger checkpoints are sharded with an index
};

struct SynthResult {
  uint64_t parameters = 0;
  uint64_t bytes = 0;
  int shards = 0;
};

// Writes `out_dir`/config.json (the HF config as given, normalized) and the weights
// (model.safetensors, or model-0000i-of-0000n.safetensors + model.safetensors.index.json). The
// folder is assembled under a temporary name and renamed at the end: a failure leaves nothing.
// Throws neurark::Error if `out_dir` exists and is not empty, or for an unknown dtype or init.
SynthResult synth_checkpoint(const HGRNBitConfig& config, const std::string& out_dir,
                             const SynthOptions& options);

// Throws neurark::Error unless `out_dir` does not exist or is an empty folder.
void check_new_output_dir(const std::string& out_dir);

}  // namespace neurark::models
