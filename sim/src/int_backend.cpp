// The integer reference behind the backend interface: see neurark/sim/backend.hpp.
#include <cmath>

#include "neurark/models/int_ref.hpp"
#include "neurark/sim/backend.hpp"

namespace neurark::sim {

void Backend::step(int32_t token, std::vector<float>& logits) {
  step_q16(token, scratch_logits_, nullptr);
  logits.resize(scratch_logits_.size());
  for (std::size_t i = 0; i < scratch_logits_.size(); ++i)
    logits[i] = static_cast<float>(std::ldexp(static_cast<double>(scratch_logits_[i]), -16));
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
  a.link_flit_hops = c.flit_hops;
  a.dram_bits = c.total.dram_words * chip.core.sram_port_bits;
  return a;
}

namespace {

class IntBackend final : public Backend {
 public:
  explicit IntBackend(const models::HGRNBitWeights& w) : ref_(w) {}
  std::string name() const override { return "int"; }
  int64_t vocab_size() const override { return ref_.vocab_size(); }
  void reset() override { ref_.reset(); }
  void step_q16(int32_t token, std::vector<int32_t>& logits_q16, StepObservation* obs) override {
    trace_ = models::IntStepTrace{};  // the reference adds to the trace's counts
    trace_.record_codes = obs != nullptr;
    ref_.step_q16(token, logits_q16, &trace_);
    ++counters_.tokens;
    counters_.activation_codes += trace_.activation_codes;
    counters_.total.synaptic_ops += trace_.synaptic_ops;
    counters_.total.events_out += trace_.events;
    if (obs == nullptr) return;
    obs->layer_out_q16 = trace_.layer_out_q16;
    obs->bitlinear_events.clear();
    for (const std::vector<int8_t>& codes : trace_.bitlinear_codes) {
      std::vector<Event> ev;
      for (std::size_t k = 0; k < codes.size(); ++k)
        if (codes[k] != 0) ev.push_back({static_cast<int32_t>(k), codes[k]});
      obs->bitlinear_events.push_back(std::move(ev));
    }
  }
  const Counters& counters() const override { return counters_; }

 private:
  models::IntReference ref_;
  models::IntStepTrace trace_;
  Counters counters_;
};

}  // namespace

std::unique_ptr<Backend> make_int_backend(const models::HGRNBitWeights& weights) {
  return std::make_unique<IntBackend>(weights);
}

}  // namespace neurark::sim
