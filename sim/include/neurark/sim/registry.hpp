// SPDX-License-Identifier: Apache-2.0
// neurark/sim/registry.hpp: the one list of backends, by name (float, int, func, systemc).
//
// The command line's --backend choices, the run, eval and generate, the op x backend test suite
// (tests/test_backend_ops.cpp) and the benchmarks all take their backends from here: adding a
// backend is one entry. A backend runs either a checkpoint (the references: float, int) or a
// compiled chip image (func, systemc).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "neurark/arch/image.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/models/lm.hpp"
#include "neurark/sim/functional.hpp"
#include "neurark/sim/systemc.hpp"

namespace neurark::sim {

// What a backend is built from: the checkpoint's weights (references), or an image with its
// program (chip backends), plus the chip backends' optional event probe and SystemC options.
struct BackendInputs {
  const models::HGRNBitWeights* weights = nullptr;
  // The checkpoint folder: what a backend with BackendEntry::from_dir builds itself from when
  // `weights` is null (reading only the tensors it needs, one at a time).
  std::string model_dir;
  const arch::Image* image = nullptr;
  const arch::Program* program = nullptr;
  EventProbe* probe = nullptr;       // must outlive the backend
  SystemCOptions systemc;
  arch::EventMode events;            // int: which codes send events (docs/numerics.md §5b); chip
                                     // backends take their image's chip's
};

struct BackendEntry {
  std::string name;
  std::string description;
  bool runs_image = false;   // a chip backend: built from an image (else from a checkpoint's weights)
  bool bit_exact = false;    // a sim::Backend whose integer logits and unit-boundary values are the int reference's
  bool timed = false;        // a SystemCBackend: cycles, tokens/s, leakage
  std::function<std::unique_ptr<models::LanguageModel>(const BackendInputs&)> make;
  bool from_dir = false;     // a reference that can be built from BackendInputs::model_dir alone (no float weights held)
};

// Every backend, in a fixed order: float, int, func, systemc.
const std::vector<BackendEntry>& backends();
// The entry called `name`; throws neurark::Error listing the names if there is none.
const BackendEntry& backend(const std::string& name);
// The names, in order (for option checks and help).
std::vector<std::string> backend_names(bool runs_image_only = false);

}  // namespace neurark::sim
