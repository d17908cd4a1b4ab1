// The SystemC chip model (first version) and the cross-checking backend: see
// neurark/sim/systemc.hpp and docs/chip-model.md.
#include "neurark/sim/systemc.hpp"

#include <cstdlib>
#include <systemc>

#include <algorithm>
#include <fmt/format.h>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/sim/functional.hpp"

// libsystemc's own main() refers to sc_main; neurark drives the kernel from its own code.
int sc_main(int, char*[]) __attribute__((weak));
int sc_main(int, char*[]) { return 0; }

namespace neurark::sim {

namespace {

using sc_core::sc_event;
using sc_core::sc_module;
using sc_core::sc_module_name;
using sc_core::sc_time;

// Work of one phase: busy cycles per neurocore and of the mesh, and the barrier cost.
struct PhaseLoad {
  std::string kind;
  std::string op;
  int stage = 0;                     // 0: embedding, 1..L: layers, L + 1: final norm and lm_head
  std::vector<int64_t> core_cycles;  // per neurocore
  int64_t mesh_cycles = 0;
  int64_t barrier_cycles = 1;
  int64_t cycles() const {           // the phase lasts as long as its slowest unit, then a barrier
    int64_t m = mesh_cycles;
    for (int64_t c : core_cycles) m = std::max(m, c);
    return m + barrier_cycles;
  }
};

// A neurocore: a resource that one phase at a time occupies (busy until `free_at`).
struct Neurocore : sc_module {
  sc_time free_at = sc_core::SC_ZERO_TIME;
  int64_t busy_total = 0;
  explicit Neurocore(sc_module_name name) : sc_module(name) {}
};

class SystemCModel;

// A pipeline stage (the embedding, one layer, or the output head): takes tokens in order from
// its input FIFO, runs its phases for each (each phase waits until every neurocore it uses is
// free), and passes the token on. Stages work on different tokens at once when the prompt is
// known; in generation only one token is in flight.
struct Stage : sc_module {
  int index = 0;
  sc_core::sc_fifo<int64_t>* in = nullptr;
  sc_core::sc_fifo<int64_t>* out = nullptr;  // nullptr: the last stage
  SystemCModel* model = nullptr;
  SC_HAS_PROCESS(Stage);
  explicit Stage(sc_module_name name) : sc_module(name) { SC_THREAD(run); }
  void run();
};

// The host: injects the tokens of a batch into the first stage.
struct Host : sc_module {
  sc_event go;
  std::vector<int64_t> batch;
  sc_core::sc_fifo<int64_t>* out = nullptr;
  SC_HAS_PROCESS(Host);
  explicit Host(sc_module_name name) : sc_module(name) { SC_THREAD(run); }
  void run() {
    for (;;) {
      wait(go);
      for (int64_t t : batch) out->write(t);
    }
  }
};

class SystemCModel final : public SystemCBackend {
 public:
  explicit SystemCModel(const arch::Image& image) {
    ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    // A fresh simulation context: SystemC allows no new modules once a simulation has run.
    ctx_ = new sc_core::sc_simcontext();  // never deleted: SystemC offers no safe teardown
    activate();
    func_ = make_functional_backend(image, [this](const PhaseInfo& info, const Counters& c) { on_phase(info, c); });
    chip_ = *func_->chip();
    if (chip_.multichip.chips_x * chip_.multichip.chips_y > 1)
      throw Error(fmt::format("{}: chip '{}' has {} x {} chips; the SystemC model does not model chip-to-chip links yet "
                              "(use --backend func for its values and counts)", image.path(), chip_.name,
                              chip_.multichip.chips_x, chip_.multichip.chips_y));
    timing_.clock_hz = chip_.clock_hz;
    const auto n = static_cast<std::size_t>(chip_.total_cores());
    timing_.core_busy_cycles.assign(n, 0);
    period_ = sc_time(1.0 / chip_.clock_hz, sc_core::SC_SEC);
    for (std::size_t c = 0; c < n; ++c) cores_.push_back(std::make_unique<Neurocore>(fmt::format("core_{}", c).c_str()));
    const nlohmann::json& m = image.manifest();
    layers_ = m.at("model").at("config").at("num_hidden_layers").get<int>();
    // Stages 0..L+1, joined by FIFOs of depth 2 (a stage may finish one token ahead).
    for (int st = 0; st <= layers_ + 2; ++st)
      fifos_.push_back(std::make_unique<sc_core::sc_fifo<int64_t>>(fmt::format("fifo_{}", st).c_str(), 2));
    for (int st = 0; st <= layers_ + 1; ++st) {
      auto stage = std::make_unique<Stage>(fmt::format("stage_{}", st).c_str());
      stage->index = st;
      stage->in = fifos_[static_cast<std::size_t>(st)].get();
      stage->out = st <= layers_ ? fifos_[static_cast<std::size_t>(st) + 1].get() : nullptr;
      stage->model = this;
      stages_.push_back(std::move(stage));
    }
    host_ = std::make_unique<Host>("host");
    host_->out = fifos_[0].get();
    // Route depth and host distance per (op, flow kind), from the image's flows.
    const int64_t gw = chip_.mesh_width * chip_.multichip.chips_x;
    const auto dist = [&](int a, int b) {
      const int64_t ha = a == -2 ? chip_.host.attach_y * gw + chip_.host.attach_x : a;
      const int64_t hb = b == -2 ? chip_.host.attach_y * gw + chip_.host.attach_x : b;
      return static_cast<int64_t>(std::llabs(ha % gw - hb % gw) + std::llabs(ha / gw - hb / gw));
    };
    for (const auto& f : m.at("flows")) {
      const int op = f.at("op").get<int>(), src = f.at("src").get<int>();
      int64_t depth = 0;
      for (int d : f.at("dsts").get<std::vector<int>>()) depth = std::max(depth, dist(src, d));
      int64_t& cur = depth_[{op, f.at("kind").get<std::string>()}];
      cur = std::max(cur, depth);
    }
    for (std::size_t c = 0; c < n; ++c) host_hops_ = std::max(host_hops_, dist(static_cast<int>(c), -2));
    last_ = func_->counters();
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // elaborate; processes wait for their events
  }

  std::string name() const override { return "systemc"; }
  int64_t vocab_size() const override { return func_->vocab_size(); }
  void reset() override { func_->reset(); }
  const Counters& counters() const override { return func_->counters(); }
  const arch::ChipDescription* chip() const override { return &chip_; }
  const arch::EnergyTable* energy_table() const override { return func_->energy_table(); }
  const Timing& timing() const override { return timing_; }
  void record_spans(bool on) override { timing_.record_spans = on; }

  void begin_prefill() override { prefill_ = true; }
  void end_prefill() override {
    prefill_ = false;
    simulate();
  }

  void step_q16(int32_t token, std::vector<int32_t>& logits_q16, StepObservation* obs) override {
    current_.clear();
    seen_layer_ = false;
    func_->step_q16(token, logits_q16, obs);  // values, phase by phase; on_phase records the work
    loads_[next_token_] = std::move(current_);
    pending_.push_back(next_token_++);
    if (!prefill_) simulate();  // generation: the next token depends on this one's logits
  }

  // Stage `st` of token `t`: its phases in order, each waiting for the neurocores it uses.
  void run_stage(int st, int64_t t) {
    for (const PhaseLoad& p : loads_.at(t)) {
      if (p.stage != st) continue;
      // Wait until every neurocore the phase uses is free; another stage may have taken one
      // while this one waited, so check again after every wait.
      for (;;) {
        sc_time start = sc_core::sc_time_stamp();
        for (std::size_t c = 0; c < cores_.size(); ++c)
          if (p.core_cycles[c] > 0) start = std::max(start, cores_[c]->free_at);
        if (start <= sc_core::sc_time_stamp()) break;
        sc_core::wait(start - sc_core::sc_time_stamp());
      }
      const int64_t cyc = p.cycles();
      for (std::size_t c = 0; c < cores_.size(); ++c)
        if (p.core_cycles[c] > 0) {
          cores_[c]->free_at = sc_core::sc_time_stamp() + period_ * static_cast<double>(cyc);
          cores_[c]->busy_total += p.core_cycles[c];
        }
      const auto start_cycle = static_cast<int64_t>(sc_core::sc_time_stamp() / period_ + 0.5);
      sc_core::wait(period_ * static_cast<double>(cyc));
      timing_.phase_kind_cycles[p.kind] += cyc;
      if (timing_.record_spans) timing_.spans.push_back({st, t, p.kind, p.op, start_cycle, start_cycle + cyc});
    }
  }
  void finished(int64_t t) {
    const auto now = static_cast<int64_t>(sc_core::sc_time_stamp() / period_ + 0.5);
    timing_.token_cycles.push_back(now - last_done_cycles_);
    timing_.cycles += now - last_done_cycles_;
    last_done_cycles_ = now;
    loads_.erase(t);
  }

 private:
  // Runs the pending tokens through the pipeline: all available at once (a prompt) or one.
  void simulate() {
    if (pending_.empty()) return;
    // Generation: a token enters when the previous one has left (its logits chose it).
    activate();  // another model may have run in this process since
    host_->batch = pending_;
    pending_.clear();
    host_->go.notify(sc_core::SC_ZERO_TIME);
    sc_core::sc_start();  // until every stage is idle again
    for (std::size_t c = 0; c < cores_.size(); ++c) timing_.core_busy_cycles[c] = cores_[c]->busy_total;
  }

  int64_t hop_cycles() const { return chip_.noc.router_latency_cycles + chip_.noc.link_latency_cycles; }

  // Makes this model's simulation context the current one (each model has its own, so several
  // models can live in one process and run in turn).
  void activate() {
    sc_core::sc_curr_simcontext = ctx_;
    sc_core::sc_default_global_context = ctx_;
  }

  // Turns the counters' change over one phase into unit busy cycles (the rules of systemc.hpp).
  void on_phase(const PhaseInfo& info, const Counters& now) {
    PhaseLoad p;
    p.kind = info.kind;
    p.op = info.op_name;
    if (info.layer >= 0) seen_layer_ = true;
    p.stage = info.layer >= 0 ? info.layer + 1 : (seen_layer_ ? layers_ + 1 : 0);
    const std::size_t n = now.per_core.size();
    p.core_cycles.assign(n, 0);
    const int64_t port = chip_.core.sram_port_bits;
    for (std::size_t c = 0; c < n; ++c) {
      const UnitCounters& a = now.per_core[c];
      const UnitCounters& b = last_.per_core[c];
      int64_t cyc = 0;
      if (info.kind == "events") {
        cyc = std::max(a.codes - b.codes, a.lane_cycles - b.lane_cycles);
        const int64_t dram = a.dram_words - b.dram_words;
        if (dram > 0)
          cyc += chip_.dram.latency_cycles + (dram * port + chip_.dram.bandwidth_bits_per_cycle - 1) / chip_.dram.bandwidth_bits_per_cycle;
      } else {
        cyc = a.neuron_ops - b.neuron_ops;
      }
      p.core_cycles[c] = cyc;
    }
    int64_t busiest = 0;
    for (std::size_t l = 0; l < now.link_flits.size(); ++l)
      busiest = std::max(busiest, now.link_flits[l] - last_.link_flits[l]);
    const std::string flow_kind = info.kind == "events" ? "events"
                                  : info.kind == "inject" ? "inject"
                                  : info.kind == "readback" ? "readback" : "values";
    const auto d = depth_.find({info.op, flow_kind});
    const int64_t depth = d == depth_.end() ? 0 : d->second;
    p.mesh_cycles = busiest + depth * hop_cycles();
    if (info.kind == "inject" || info.kind == "readback") {
      // The host link: every value of the phase crosses it.
      const int64_t flits = now.flits - last_.flits;
      const int64_t bw = info.kind == "inject" ? chip_.host.injection_bits_per_cycle : chip_.host.readback_bits_per_cycle;
      p.mesh_cycles = std::max(p.mesh_cycles, (flits * chip_.noc.link_width_bits + bw - 1) / bw + depth * hop_cycles());
    }
    if (info.kind == "reduce") p.barrier_cycles += 2 * host_hops_ * hop_cycles();  // partials up, result down
    current_.push_back(std::move(p));
    last_ = now;
  }

  sc_core::sc_simcontext* ctx_ = nullptr;
  std::unique_ptr<Backend> func_;
  arch::ChipDescription chip_;
  Timing timing_;
  sc_time period_;
  int layers_ = 0;
  std::vector<std::unique_ptr<Neurocore>> cores_;
  std::vector<std::unique_ptr<sc_core::sc_fifo<int64_t>>> fifos_;
  std::vector<std::unique_ptr<Stage>> stages_;
  std::unique_ptr<Host> host_;
  std::map<std::pair<int, std::string>, int64_t> depth_;
  int64_t host_hops_ = 0;
  Counters last_;
  std::vector<PhaseLoad> current_;
  bool seen_layer_ = false;
  std::map<int64_t, std::vector<PhaseLoad>> loads_;  // token -> its phases (until it leaves)
  std::vector<int64_t> pending_;
  int64_t next_token_ = 0, last_done_cycles_ = 0;
  bool prefill_ = false;
};

void Stage::run() {
  for (;;) {
    const int64_t t = in->read();
    model->run_stage(index, t);
    if (out != nullptr) out->write(t);
    else model->finished(t);
  }
}

class CrossChecked final : public Backend {
 public:
  CrossChecked(std::unique_ptr<Backend> dut, std::unique_ptr<Backend> ref) : dut_(std::move(dut)), ref_(std::move(ref)) {}
  std::string name() const override { return dut_->name(); }
  int64_t vocab_size() const override { return dut_->vocab_size(); }
  void reset() override {
    dut_->reset();
    ref_->reset();
  }
  const Counters& counters() const override { return dut_->counters(); }
  const arch::ChipDescription* chip() const override { return dut_->chip(); }
  const arch::EnergyTable* energy_table() const override { return dut_->energy_table(); }
  int64_t tokens_cross_checked() const override { return compared_; }

  void step_q16(int32_t token, std::vector<int32_t>& logits_q16, StepObservation* obs) override {
    StepObservation a, b;
    dut_->step_q16(token, logits_q16, &a);
    ref_->step_q16(token, ref_logits_, &b);
    const int64_t t = tokens_++;
    if (a.layer_out_q16.size() != b.layer_out_q16.size() || a.bitlinear_events.size() != b.bitlinear_events.size() ||
        logits_q16.size() != ref_logits_.size())
      throw Error(fmt::format("cross-check: {} and {} differ at token {} in shape: {} / {} layers, {} / {} BitLinears, "
                              "{} / {} logits (expected / got)", dut_->name(), ref_->name(), t, b.layer_out_q16.size(),
                              a.layer_out_q16.size(), b.bitlinear_events.size(), a.bitlinear_events.size(),
                              ref_logits_.size(), logits_q16.size()));
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
    ++compared_;
    if (obs != nullptr) *obs = std::move(a);
  }

 private:
  std::unique_ptr<Backend> dut_, ref_;
  std::vector<int32_t> ref_logits_;
  int64_t tokens_ = 0, compared_ = 0;
};

}  // namespace

std::unique_ptr<SystemCBackend> make_systemc_backend(const arch::Image& image) {
  return std::make_unique<SystemCModel>(image);
}

std::unique_ptr<Backend> cross_checked(std::unique_ptr<Backend> dut, std::unique_ptr<Backend> reference) {
  return std::make_unique<CrossChecked>(std::move(dut), std::move(reference));
}

}  // namespace neurark::sim
