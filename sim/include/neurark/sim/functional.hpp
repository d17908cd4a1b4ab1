// SPDX-License-Identifier: Apache-2.0
// neurark/sim/functional.hpp: the functional (untimed) backend — executes a chip image event by
// event, core by core, as TVM VTA's fsim or NVDLA's C-model run theirs.
//
// Loads only the image (arch/image.hpp, docs/image-format.md): per-tile weight memories,
// neuron constants, the host's embedding table, the tensors' segments (which neurocore holds
// which channels), the flows' multicast trees and the schedule. Each token runs the schedule's
// phases in order; in each phase every listed core does its part with arch/ arithmetic only:
// partial reductions sent to the controller, events (k, q) quantized where the input lives and
// delivered to every tile of the BitLinear (packed2: arch::packed2_event_cost per event and tile,
// the phase's events then applied per tile by arch::accumulate_packed2_events; sparse tiles:
// arch::accumulate_event per event),
// requantization, MLGRU / SiLU / products / residual adds on the cores holding the channels,
// second operands fetched from the cores that hold them. Counters: synaptic operations, events,
// SRAM words, neuron ops, values moved, flits and flit-hops per directed link.
// The result is bit-identical to the integer reference (tests/test_functional.cpp).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "neurark/arch/image.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/arch/weight_memory.hpp"
#include "neurark/sim/backend.hpp"

namespace neurark::sim {

// What a phase was, for observers (timing models): its kind, its op and the op's layer (-1
// outside).
struct PhaseInfo {
  int index = 0;
  arch::PhaseKind kind = arch::PhaseKind::kInject;
  int op = -1;
  std::string op_name;
  int layer = -1;
  int64_t token = 0;  // tokens stepped before this one since the backend was built
  // The neurocores whose per-core counters and the directed links whose flit counts the phase
  // changed, each once, ascending (every other core's and link's counters are as before it: an
  // observer need not look at them).
  std::vector<int> cores, links;
};
// Called after every phase of every token with the backend's cumulative counters.
using PhaseObserver = std::function<void(const PhaseInfo&, const Counters&)>;

// Sees every event of an events phase, as it happens (event traces, the SystemC model's
// network timing). Calls come in the interpreter's order: for each source core (segment order)
// and each channel in it, event_out then one event_in per tile of the BitLinear; after the
// events phase, accumulators() once per tile in the requantize phase, before requantization.
struct EventProbe {
  virtual ~EventProbe() = default;
  // Event (input channel `channel` of the BitLinear, non-zero code q) quantized on `core` and
  // sent on flow `flow` (the image's flows[] index; -1 if every tile is on `core`); its code
  // was the `code_index`-th (from 0) the core quantized in this phase.
  virtual void event_out(const PhaseInfo& phase, int core, int flow, int64_t channel, int8_t q, int64_t code_index) = 0;
  // The event reached tile `tile` on `core`: what arch::accumulate_event cost there, and the
  // accumulate cycles charged (arch::event_accumulate_cycles).
  virtual void event_in(const PhaseInfo& phase, int core, int tile, int64_t channel, int8_t q,
                        const arch::EventCost& cost, int64_t lane_cycles) = 0;
  // The tile's int32 accumulators [rows] after all events of the token, before requantization.
  virtual void accumulators(const PhaseInfo& phase, int core, int tile, const int32_t* acc, int64_t rows) = 0;
};

// Builds the functional backend from an opened image and its program (parsed by the first
// overload with arch::Program::from_image, whose errors it throws: neurark::Error naming the
// image and the manifest field of a program it cannot run), or a constant blob of the wrong size.
// The tile weight memories and the embedding table are read in place in the image's mapping (the
// backend holds Image::mapping(), so `image` itself may go); `probe`, if given, must outlive the
// backend.
std::unique_ptr<Backend> make_functional_backend(const arch::Image& image, PhaseObserver observer = {},
                                                 EventProbe* probe = nullptr);
std::unique_ptr<Backend> make_functional_backend(const arch::Image& image, const arch::Program& program,
                                                 PhaseObserver observer = {}, EventProbe* probe = nullptr);

}  // namespace neurark::sim
