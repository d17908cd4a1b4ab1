// SPDX-License-Identifier: Apache-2.0
// neurark/sim/backend.hpp: the one backend interface (../shared/DESIGN.md, "Backends").
//
// sim/ owns the backends that execute a model: the bit-exact integer reference behind this
// interface ("int", an adapter over models::IntReference), the functional image interpreter
// ("func", functional.hpp), the SystemC chip model ("systemc", systemc.hpp; its timing rules in
// timing.hpp), the lockstep cross-checker (cross_checked, below), the event recorder
// (event_recorder.hpp) and the one registry of backends by name (registry.hpp, which also builds
// the float reference of models/). A backend is a LanguageModel (one token in, logits out,
// recurrent state carried) that also exposes its integer logits, the values at unit boundaries
// (per-layer residual stream, per-BitLinear input events) for lockstep cross-checks, and
// activity counters for timing and energy models.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/energy.hpp"
#include "neurark/arch/technology.hpp"
#include "neurark/models/lm.hpp"

namespace neurark::models {
struct HGRNBitWeights;
}

namespace neurark::sim {

// An input event of a BitLinear: channel k carries the non-zero int8 payload q (the activation
// code, or under sigma-delta events a change of it: arch::event_value, arch::split_event_value).
struct Event {
  int32_t channel = 0;
  int8_t q = 0;
  bool operator==(const Event& o) const { return channel == o.channel && q == o.q; }
};

// One integer op's output for one token: the tensor's name in the lowered graph (x.0,
// layers.L.i, ..., logits), the op that produced it and its kind (backends that run a program;
// "" otherwise), and its values (Q15.16, or block mantissas for norm_scale and product).
struct TensorObservation {
  std::string tensor, op, kind;
  std::vector<int32_t> values;
};

// Values at unit boundaries for one token.
struct StepObservation {
  std::vector<std::vector<int32_t>> layer_out_q16;  // [layer][d] residual stream after each layer
  std::vector<std::vector<Event>> bitlinear_events;  // [BitLinear in execution order] sorted by channel
  std::vector<TensorObservation> tensors;            // every op's output, in execution order
};

// What a token leaves for the next (HGRNBit carries nothing else): each layer's MLGRU hidden
// state h in Q11.20, [layer][d] in channel order, and under sigma-delta events the code each
// BitLinear input last sent, [BitLinear in execution order][fan-in] (empty otherwise; the
// accumulators that persist between tokens hold W times these codes, docs/numerics.md §5b).
struct RecurrentState {
  std::vector<std::vector<int32_t>> h_q20;
  std::vector<std::vector<int8_t>> sent_codes;
  bool operator==(const RecurrentState& o) const { return h_q20 == o.h_q20 && sent_codes == o.sent_codes; }
  bool empty() const { return h_q20.empty() && sent_codes.empty(); }
};

// Activity of one neurocore (or the totals).
struct UnitCounters {
  int64_t synaptic_ops = 0;     // non-zero code x non-zero weight (add or subtract)
  int64_t synaptic_skips = 0;   // zero weights read by an event (packed2 stores them; no add)
  int64_t events_out = 0;       // events sent (one per non-zero code, before multicast)
  int64_t events_in = 0;        // events received by tiles (one per tile reached)
  int64_t sram_words = 0;       // synapse SRAM words read (neurocore.sram_port_bits wide)
  int64_t dram_words = 0;       // the same, for tiles whose weights stream from DRAM
  int64_t neuron_ops = 0;       // neuron-unit channel operations (requantize, LUT, product, ...)
  int64_t lut_reads = 0;        // sigmoid LUT reads (3 per MLGRU channel, 1 per SiLU)
  int64_t values_out = 0;       // int32 values sent to other cores (second operands)
  int64_t reductions = 0;       // partial reductions sent to the controller
  int64_t codes = 0;            // activation codes quantized here (BitLinear inputs held here)
  int64_t lane_cycles = 0;      // accumulate cycles: per event delivered,
                                // arch::event_accumulate_cycles (the RTL lane array's)
  int64_t sram_port_cycles = 0; // the part of lane_cycles of events the synapse SRAM port set
                                // (arch::event_sram_port_bound): attribution only
};

struct Counters {
  int64_t tokens = 0;
  int64_t activation_codes = 0;  // all activation codes computed for BitLinear inputs
  UnitCounters total;
  std::vector<UnitCounters> per_core;  // empty for backends without cores
  int64_t flits = 0;             // flits injected into the mesh (events, values, host traffic)
  int64_t flit_hops = 0;         // flits x links traversed (multicast trees count each link once)
  std::vector<int64_t> link_flits;  // per directed mesh link (index: see FunctionalBackend::links)
};

class Backend : public models::LanguageModel {
 public:
  // The integer logits (Q15.16) of the next token; fills `obs` if given.
  virtual void step_q16(int32_t token, std::vector<int32_t>& logits_q16, StepObservation* obs) = 0;
  virtual const Counters& counters() const = 0;
  // LanguageModel::step: logits as float, exactly Q15.16 / 2^16.
  void step(int32_t token, std::vector<float>& logits) override;
  // The chip and its energy table (scaled to the chip's node) for backends that model one;
  // nullptr otherwise (the references, or an image whose chip names no energy table).
  virtual const arch::ChipDescription* chip() const { return nullptr; }
  virtual const arch::EnergyTable* energy_table() const { return nullptr; }
  // The chip's technology cost table (area, leakage: arch/technology.hpp) and the neurocores
  // that hold tiles, for backends that model a chip; nullptr / empty otherwise.
  virtual const arch::TechnologyTable* cost_table() const { return nullptr; }
  virtual std::vector<int> cores_with_tiles() const { return {}; }
  // Tokens whose outputs were compared with a reference and agreed (sim::cross_checked); 0 for
  // an unchecked backend.
  virtual int64_t tokens_cross_checked() const { return 0; }
  // Fraction of zero ternary weights over all BitLinears, for backends that hold the whole
  // model's weights as such (the integer reference); none otherwise.
  virtual std::optional<double> weight_sparsity() const { return std::nullopt; }
  // The recurrent state the next token starts from (RecurrentState). Empty for a backend that
  // cannot give it.
  virtual RecurrentState recurrent_state() const { return {}; }
  // Replaces the recurrent state (same layout as recurrent_state()), for a reference that checks
  // a chip from the chip's own state (sim::cross_checked with check_every > 1) or a chip that
  // runs several streams. Throws std::logic_error for a backend that cannot take it,
  // std::invalid_argument for a wrong shape.
  virtual void load_recurrent_state(const RecurrentState& state);

 protected:
  std::vector<int32_t> scratch_logits_;
};

// Activity between two snapshots of the same backend's counters: a - b, every field (totals,
// per core, per link). Throws std::invalid_argument if the per-core or per-link sizes differ.
Counters counters_delta(const Counters& a, const Counters& b);
// The same for one unit's counters: a - b, field by field.
UnitCounters counters_delta(const UnitCounters& a, const UnitCounters& b);
// to = from, copying only the per-core counters of `cores` and the link counts of `links` (every
// other core's and link's equal in both: e.g. PhaseInfo::cores and links after a phase) and every
// whole-backend field. Both snapshots of the same backend (same sizes; not checked).
void copy_changed_counters(Counters& to, const Counters& from, const std::vector<int>& cores, const std::vector<int>& links);

// The actions behind a backend's counters (docs/energy-model.md): synaptic operations and
// skips, accumulator updates (one per synaptic operation), SRAM words, neuron ops (plus one per
// activation code quantized), LUT reads,
// event FIFO pushes and pops (events out plus tile deliveries), router flits (flits plus
// flit-hops: every flit passes one router more than links), flit-hops, DRAM bits. No leakage:
// `core_cycles` is left to timed backends.
arch::ActionCounts action_counts(const Counters& c, const arch::ChipDescription& chip);
// The actions of one neurocore (its UnitCounters; activation codes are its `codes`): the same
// rules without the network (router and link actions belong to links, see the run report).
arch::ActionCounts core_action_counts(const UnitCounters& u, const arch::ChipDescription& chip);

// A backend checked against a reference: on every checked token, every op's output (when both
// give them, in execution order), the residual stream after every layer, every BitLinear's event
// stream, the logits and (when both give it) the recurrent state after the token must be equal,
// else neurark::Error names the first difference (token, op and its kind or layer or BitLinear,
// channel, expected and actual value). Needs both to be bit-exact integer backends.
// check_every = 1 checks every token, the reference stepping in lockstep. check_every = N > 1
// checks tokens 0, N, 2N, ... (counted from construction): the reference does not run
// the tokens between, and starts each checked token from the dut's recurrent state (so each
// check is of one token's computation from the chip's state, and the reference costs 1/N);
// the dut must give its state (recurrent_state) and the reference take it. Throws
// std::invalid_argument for check_every < 1.
std::unique_ptr<Backend> cross_checked(std::unique_ptr<Backend> dut, std::unique_ptr<Backend> reference,
                                       int64_t check_every = 1);

// The integer reference behind the backend interface (name "int"; no per-core counters).
std::unique_ptr<Backend> make_int_backend(const models::HGRNBitWeights& weights);
// The same from a prepared model (e.g. models::IntModel::load(dir), which holds no floats).
std::unique_ptr<Backend> make_int_backend(models::IntModel model);
// The same with an event mode (docs/numerics.md §5b): the reference a chip compiled with
// neurocore.event_encoding / event_threshold is checked against. Throws std::invalid_argument
// for a threshold outside [0, arch::kEventThresholdMax].
std::unique_ptr<Backend> make_int_backend(models::IntModel model, const arch::EventMode& events);

}  // namespace neurark::sim
