// SPDX-License-Identifier: Apache-2.0
// The integer reference behind the backend interface: see neurark/sim/backend.hpp.
#include <cmath>
#include <stdexcept>
#include <utility>

#include "neurark/arch/noc.hpp"
#include "neurark/models/int_ref.hpp"
#include "neurark/sim/backend.hpp"

namespace neurark::sim {

void Backend::step(int32_t token, std::vector<float>& logits) {
  step_q16(token, scratch_logits_, nullptr);
  logits.resize(scratch_logits_.size());
  for (std::size_t i = 0; i < scratch_logits_.size(); ++i)
    logits[i] = static_cast<float>(std::ldexp(static_cast<double>(scratch_logits_[i]), -16));
}

void Backend::load_recurrent_state(const RecurrentState&) {
  throw std::logic_error(name() + ": cannot load a recurrent state");
}

arch::ActionCounts action_counts(const Counters& c, const arch::ChipDescription& chip) {
  arch::ActionCounts a;
  a.synaptic_ops = c.total.synaptic_ops;
  a.synaptic_skips = c.total.synaptic_skips;
  a.accumulator_updates = c.total.synaptic_ops;
  a.sram_read_words = c.total.sram_words;
  a.neuron_ops = c.total.neuron_ops + c.activation_codes;  // + quantizing each BitLinear input
  a.lut_reads = c.total.lut_reads;
  a.fifo_pushes = c.total.events_out + c.total.events_in;
  a.fifo_pops = c.total.events_out + c.total.events_in;
  a.router_flits = c.flits + c.flit_hops;
  // Flit-hops over chip-to-chip links are priced per bit instead (arch::MeshGrid::chip_link).
  int64_t chip_flits = 0;
  const arch::MeshGrid grid = arch::MeshGrid::of(chip);
  if (grid.chips() > 1)
    for (std::size_t l = 0; l < c.link_flits.size(); ++l)
      if (c.link_flits[l] > 0 && grid.chip_link(static_cast<int>(l))) chip_flits += c.link_flits[l];
  a.link_flit_hops = c.flit_hops - chip_flits;
  a.chip_link_bits = chip_flits * chip.noc.link_width_bits;
  a.dram_bits = c.total.dram_words * chip.core.sram_port_bits;
  return a;
}

UnitCounters counters_delta(const UnitCounters& a, const UnitCounters& b) {
  UnitCounters d;
  d.synaptic_ops = a.synaptic_ops - b.synaptic_ops;
  d.synaptic_skips = a.synaptic_skips - b.synaptic_skips;
  d.events_out = a.events_out - b.events_out;
  d.events_in = a.events_in - b.events_in;
  d.sram_words = a.sram_words - b.sram_words;
  d.dram_words = a.dram_words - b.dram_words;
  d.neuron_ops = a.neuron_ops - b.neuron_ops;
  d.lut_reads = a.lut_reads - b.lut_reads;
  d.values_out = a.values_out - b.values_out;
  d.reductions = a.reductions - b.reductions;
  d.codes = a.codes - b.codes;
  d.lane_cycles = a.lane_cycles - b.lane_cycles;
  d.sram_port_cycles = a.sram_port_cycles - b.sram_port_cycles;
  return d;
}

void copy_changed_counters(Counters& to, const Counters& from, const std::vector<int>& cores, const std::vector<int>& links) {
  to.tokens = from.tokens;
  to.activation_codes = from.activation_codes;
  to.total = from.total;
  for (const int c : cores) to.per_core[static_cast<std::size_t>(c)] = from.per_core[static_cast<std::size_t>(c)];
  to.flits = from.flits;
  to.flit_hops = from.flit_hops;
  for (const int l : links) to.link_flits[static_cast<std::size_t>(l)] = from.link_flits[static_cast<std::size_t>(l)];
}

Counters counters_delta(const Counters& a, const Counters& b) {
  const bool empty_b = b.per_core.empty() && b.link_flits.empty() && b.tokens == 0;
  if (!empty_b && (a.per_core.size() != b.per_core.size() || a.link_flits.size() != b.link_flits.size()))
    throw std::invalid_argument("counters_delta: snapshots of different backends");
  Counters d;
  d.tokens = a.tokens - b.tokens;
  d.activation_codes = a.activation_codes - b.activation_codes;
  d.total = counters_delta(a.total, b.total);
  d.per_core.resize(a.per_core.size());
  for (std::size_t c = 0; c < a.per_core.size(); ++c) d.per_core[c] = counters_delta(a.per_core[c], empty_b ? UnitCounters{} : b.per_core[c]);
  d.flits = a.flits - b.flits;
  d.flit_hops = a.flit_hops - b.flit_hops;
  d.link_flits.resize(a.link_flits.size());
  for (std::size_t l = 0; l < a.link_flits.size(); ++l) d.link_flits[l] = a.link_flits[l] - (empty_b ? 0 : b.link_flits[l]);
  return d;
}

arch::ActionCounts core_action_counts(const UnitCounters& u, const arch::ChipDescription& chip) {
  Counters c;
  c.total = u;
  c.activation_codes = u.codes;
  arch::ActionCounts a = action_counts(c, chip);
  return a;
}

namespace {

class IntBackend final : public Backend {
 public:
  explicit IntBackend(const models::HGRNBitWeights& w) : ref_(w) {}
  explicit IntBackend(models::IntModel m) : ref_(std::move(m)) {}
  std::string name() const override { return "int"; }
  int64_t vocab_size() const override { return ref_.vocab_size(); }
  void reset() override { ref_.reset(); }
  void step_q16(int32_t token, std::vector<int32_t>& logits_q16, StepObservation* obs) override {
    trace_ = models::IntStepTrace{};  // the reference adds to the trace's counts
    trace_.record_codes = obs != nullptr;
    trace_.record_tensors = obs != nullptr;
    ref_.step_q16(token, logits_q16, &trace_);
    ++counters_.tokens;
    counters_.activation_codes += trace_.activation_codes;
    counters_.total.synaptic_ops += trace_.synaptic_ops;
    counters_.total.events_out += trace_.events;
    if (obs == nullptr) return;
    obs->layer_out_q16 = trace_.layer_out_q16;
    obs->tensors.clear();
    for (auto& [name, values] : trace_.tensors) obs->tensors.push_back({name, "", "", std::move(values)});
    obs->bitlinear_events.clear();
    for (const std::vector<int32_t>& values : trace_.bitlinear_event_values) {
      std::vector<Event> ev;
      int8_t split[2];
      for (std::size_t k = 0; k < values.size(); ++k)
        for (int e = 0, n = arch::split_event_value(values[k], split); e < n; ++e)
          ev.push_back({static_cast<int32_t>(k), split[e]});
      obs->bitlinear_events.push_back(std::move(ev));
    }
  }
  const Counters& counters() const override { return counters_; }
  std::optional<double> weight_sparsity() const override { return ref_.weight_sparsity(); }
  RecurrentState recurrent_state() const override { return {ref_.state_q20(), ref_.sent_codes()}; }
  void load_recurrent_state(const RecurrentState& state) override {
    ref_.load_state_q20(state.h_q20);
    ref_.load_sent_codes(state.sent_codes);
  }
  void set_event_mode(const arch::EventMode& mode) { ref_.set_event_mode(mode); }

 private:
  models::IntReference ref_;
  models::IntStepTrace trace_;
  Counters counters_;
};

}  // namespace

std::unique_ptr<Backend> make_int_backend(const models::HGRNBitWeights& weights) {
  return std::make_unique<IntBackend>(weights);
}

std::unique_ptr<Backend> make_int_backend(models::IntModel model) {
  return std::make_unique<IntBackend>(std::move(model));
}

std::unique_ptr<Backend> make_int_backend(models::IntModel model, const arch::EventMode& events) {
  auto b = std::make_unique<IntBackend>(std::move(model));
  b->set_event_mode(events);
  return b;
}

}  // namespace neurark::sim
