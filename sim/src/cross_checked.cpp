// SPDX-License-Identifier: Apache-2.0
// A backend checked against a reference on every token: see neurark/sim/backend.hpp.
#include <algorithm>
#include <future>
#include <map>
#include <memory>
#include <stdexcept>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/sim/backend.hpp"

namespace neurark::sim {

namespace {

class CrossChecked final : public Backend {
 public:
  CrossChecked(std::unique_ptr<Backend> dut, std::unique_ptr<Backend> ref, int64_t check_every)
      : dut_(std::move(dut)), ref_(std::move(ref)), check_every_(check_every) {}
  std::string name() const override { return dut_->name(); }
  int64_t vocab_size() const override { return dut_->vocab_size(); }
  void reset() override {
    dut_->reset();
    ref_->reset();
    ref_in_step_ = true;  // both at the zero state
  }
  const Counters& counters() const override { return dut_->counters(); }
  const arch::ChipDescription* chip() const override { return dut_->chip(); }
  const arch::EnergyTable* energy_table() const override { return dut_->energy_table(); }
  const arch::TechnologyTable* cost_table() const override { return dut_->cost_table(); }
  std::vector<int> cores_with_tiles() const override { return dut_->cores_with_tiles(); }
  int64_t tokens_cross_checked() const override { return compared_; }

  RecurrentState recurrent_state() const override { return dut_->recurrent_state(); }
  // Both take the state (several streams through one chip: the caller keeps each stream's state).
  void load_recurrent_state(const RecurrentState& state) override {
    dut_->load_recurrent_state(state);
    ref_->load_recurrent_state(state);
    ref_in_step_ = true;
  }

  void step_q16(int32_t token, std::vector<int32_t>& logits_q16, StepObservation* obs) override {
    const int64_t t = tokens_++;
    if (t % check_every_ != 0) {  // not checked: the reference does not run this token
      dut_->step_q16(token, logits_q16, obs);
      ref_in_step_ = false;
      return;
    }
    if (!ref_in_step_) {  // the reference starts from the chip's state
      RecurrentState h = dut_->recurrent_state();
      if (h.empty())
        throw Error(fmt::format("cross-check: {} cannot give its recurrent state, so it can only be checked on every token",
                                dut_->name()));
      ref_->load_recurrent_state(h);
      ref_in_step_ = true;
    }
    // The reference steps on a worker thread while the chip steps here (they share nothing; the
    // chip's SystemC kernel stays on this thread); the comparison waits for both.
    StepObservation a, b;
    std::packaged_task<void()> ref_step([&] { ref_->step_q16(token, ref_logits_, &b); });
    std::future<void> ref_done = ref_step.get_future();
    boost::asio::post(worker_, std::move(ref_step));
    try {
      dut_->step_q16(token, logits_q16, &a);
    } catch (...) {
      ref_done.wait();  // it writes b and ref_logits_: let it finish before they go
      throw;
    }
    ref_done.get();  // the reference's own error, if it threw
    if (a.layer_out_q16.size() != b.layer_out_q16.size() || a.bitlinear_events.size() != b.bitlinear_events.size() ||
        logits_q16.size() != ref_logits_.size())
      throw Error(fmt::format("cross-check: {} and {} differ at token {} in shape: {} / {} layers, {} / {} BitLinears, "
                              "{} / {} logits (expected / got)", dut_->name(), ref_->name(), t, b.layer_out_q16.size(),
                              a.layer_out_q16.size(), b.bitlinear_events.size(), a.bitlinear_events.size(),
                              ref_logits_.size(), logits_q16.size()));
    // Every op's output first, in execution order: the first op whose output differs is named
    // (the values after it differ because of it).
    if (!a.tensors.empty() && !b.tensors.empty()) {
      std::map<std::string, const TensorObservation*> got;
      for (const TensorObservation& x : a.tensors) got[x.tensor] = &x;
      for (const TensorObservation& want : b.tensors) {
        const auto it = got.find(want.tensor);
        if (it == got.end())
          throw Error(fmt::format("cross-check: {} has no tensor '{}' that {} computes (token {})", dut_->name(), want.tensor,
                                  ref_->name(), t));
        const TensorObservation& x = *it->second;
        if (x.values.size() != want.values.size())
          throw Error(fmt::format("cross-check: {} and {} differ at token {} in the length of tensor '{}': {} expected, {} got",
                                  dut_->name(), ref_->name(), t, want.tensor, want.values.size(), x.values.size()));
        for (std::size_t k = 0; k < x.values.size(); ++k)
          if (x.values[k] != want.values[k])
            throw Error(fmt::format("cross-check: {} and {} differ at token {} (input {}), op {} ({}), output {} channel {}: "
                                    "expected {} ({}), got {}", dut_->name(), ref_->name(), t, token,
                                    x.op.empty() ? want.op : x.op, x.kind.empty() ? want.kind : x.kind, want.tensor, k,
                                    want.values[k], ref_->name(), x.values[k]));
      }
    }
    for (std::size_t l = 0; l < std::min(a.layer_out_q16.size(), b.layer_out_q16.size()); ++l)
      for (std::size_t k = 0; k < a.layer_out_q16[l].size(); ++k)
        if (a.layer_out_q16[l][k] != b.layer_out_q16[l][k])
          throw Error(fmt::format("cross-check: {} and {} differ at token {} (input {}), residual stream after layer {}, "
                                  "channel {}: expected {} ({}), got {}", dut_->name(), ref_->name(), t, token, l, k,
                                  b.layer_out_q16[l][k], ref_->name(), a.layer_out_q16[l][k]));
    for (std::size_t i = 0; i < std::min(a.bitlinear_events.size(), b.bitlinear_events.size()); ++i)
      if (!(a.bitlinear_events[i] == b.bitlinear_events[i]))
        throw Error(fmt::format("cross-check: {} and {} differ at token {}, input events of BitLinear {}: {} events "
                                "expected, {} got", dut_->name(), ref_->name(), t, i, b.bitlinear_events[i].size(),
                                a.bitlinear_events[i].size()));
    for (std::size_t k = 0; k < logits_q16.size(); ++k)
      if (k >= ref_logits_.size() || logits_q16[k] != ref_logits_[k])
        throw Error(fmt::format("cross-check: {} and {} differ at token {}, logit {}: expected {}, got {}", dut_->name(),
                                ref_->name(), t, k, k < ref_logits_.size() ? ref_logits_[k] : 0, logits_q16[k]));
    // The state the next token starts from (what an unchecked token would carry on unseen).
    {
      const RecurrentState ws = ref_->recurrent_state(), gs = dut_->recurrent_state();
      const std::vector<std::vector<int32_t>>&want = ws.h_q20, &got = gs.h_q20;
      for (std::size_t l = 0; l < std::min(want.size(), got.size()); ++l)
        for (std::size_t k = 0; k < std::min(want[l].size(), got[l].size()); ++k)
          if (want[l][k] != got[l][k])
            throw Error(fmt::format("cross-check: {} and {} differ at token {} (input {}), MLGRU state of layer {} after the "
                                    "token, channel {}: expected {} ({}), got {}", dut_->name(), ref_->name(), t, token, l, k,
                                    want[l][k], ref_->name(), got[l][k]));
      if (!got.empty() && want.size() != got.size())
        throw Error(fmt::format("cross-check: {} and {} differ at token {} in the recurrent state: {} / {} layers (expected / got)",
                                dut_->name(), ref_->name(), t, want.size(), got.size()));
      // Sigma-delta events: the code each BitLinear input last sent.
      if (!gs.empty() && ws.sent_codes.size() != gs.sent_codes.size())
        throw Error(fmt::format("cross-check: {} and {} differ at token {} in the sigma-delta state: {} / {} BitLinears "
                                "(expected / got)", dut_->name(), ref_->name(), t, ws.sent_codes.size(), gs.sent_codes.size()));
      for (std::size_t bl = 0; bl < gs.sent_codes.size(); ++bl)
        for (std::size_t k = 0; k < std::min(ws.sent_codes[bl].size(), gs.sent_codes[bl].size()); ++k)
          if (ws.sent_codes[bl][k] != gs.sent_codes[bl][k])
            throw Error(fmt::format("cross-check: {} and {} differ at token {} (input {}), sigma-delta state of BitLinear {} "
                                    "after the token, input {}: expected code {} ({}), got {}", dut_->name(), ref_->name(), t,
                                    token, bl, k, ws.sent_codes[bl][k], ref_->name(), gs.sent_codes[bl][k]));
    }
    ++compared_;
    if (obs != nullptr) *obs = std::move(a);
  }

 private:
  std::unique_ptr<Backend> dut_, ref_;
  boost::asio::thread_pool worker_{1};  // runs the reference's steps
  std::vector<int32_t> ref_logits_;
  int64_t check_every_ = 1;
  int64_t tokens_ = 0, compared_ = 0;
  bool ref_in_step_ = true;  // the reference has run every token the dut has
};

}  // namespace

std::unique_ptr<Backend> cross_checked(std::unique_ptr<Backend> dut, std::unique_ptr<Backend> reference, int64_t check_every) {
  if (check_every < 1) throw std::invalid_argument(fmt::format("cross_checked: check_every {} < 1", check_every));
  return std::make_unique<CrossChecked>(std::move(dut), std::move(reference), check_every);
}

}  // namespace neurark::sim
