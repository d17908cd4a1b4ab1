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
