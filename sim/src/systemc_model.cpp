// SPDX-License-Identifier: Apache-2.0
// The SystemC chip model: see neurark/sim/systemc.hpp and docs/chip-model.md.
#include "neurark/sim/systemc.hpp"

#include <cstdlib>
#include <systemc>

#include <algorithm>
#include <array>
#include <deque>
#include <tuple>
#include <fmt/format.h>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/sim/functional.hpp"
#include "neurark/sim/timing.hpp"

// libsystemc's own main() refers to sc_main; neurark drives the kernel from its own code.
int sc_main(int, char*[]) __attribute__((weak));
int sc_main(int, char*[]) { return 0; }

namespace neurark::sim {

namespace {

using sc_core::sc_event;
using sc_core::sc_module;
using sc_core::sc_module_name;
using sc_core::sc_time;

// A mesh router: it owns its four output links (east, west, south, north; link id = 4 x core +
// direction, arch::MeshGrid), each with its timing and the flits it has sent (timing::LinkState,
// stored in the model's link vector so that timing::events_phase can walk any link of a tree).
struct Router : sc_module {
  timing::LinkState* out_links = nullptr;  // [arch::kDirections]
  Router(sc_module_name name, timing::LinkState* links) : sc_module(name), out_links(links) {}
  int64_t flits_sent() const {
    int64_t n = 0;
    for (int d = 0; d < arch::kDirections; ++d) n += out_links[d].flits_sent;
    return n;
  }
};

// What the traced core did in one phase (only recorded for the core a VCD shows).
struct CoreDelta {
  int64_t events_in = 0, events_out = 0, synaptic_ops = 0, sram_words = 0;
};

// One phase of one token, as the stages run it: its cycles (timing::PhaseCost::cycles) and what
// it uses. Kept compact (a prompt's tokens wait here until they leave the pipeline): only the
// neurocores the phase keeps busy, and the op by index.
struct PhaseLoad {
  arch::PhaseKind kind = arch::PhaseKind::kInject;
  int op = -1;                       // index into the program's ops
  int stage = 0;                     // 0: embedding, 1..L: layers, L + 1: final norm and lm_head
  int64_t cycles = 0;                // the phase's duration (slowest unit + barrier)
  timing::BoundUnit bound = timing::BoundUnit::kNoc;  // timing::PhaseCost::bound
  int64_t bound_cycles = 0;          // the cycles of its term
  int64_t chip_link_cycles = 0;      // several chips: what the chip links add to `cycles` (Timing)
  std::vector<std::pair<int, int64_t>> cores;       // {neurocore, busy cycles} of the cores it uses
  std::vector<std::pair<int, int64_t>> link_flits;  // directed links the phase uses, flits on each
  CoreDelta traced;                  // the VCD core's activity in this phase
};

// A prompt longer than this is timed in windows of this many tokens (the pipeline drains between
// windows), which bounds the memory a prefill holds.
constexpr std::size_t kPrefillWindow = 4096;

// A neurocore: a resource that one phase at a time occupies (busy until `free_at`).
struct Neurocore : sc_module {
  sc_time free_at = sc_core::SC_ZERO_TIME;
  int64_t busy_total = 0;
  // Its interfaces, as signals (written at phase boundaries; traced into a VCD on request).
  sc_core::sc_signal<bool> busy_o{"busy_o"};
  sc_core::sc_signal<int> phase_kind_o{"phase_kind_o"};  // 0 idle, 1 inject ... 7 readback (docs/chip-model.md)
  sc_core::sc_signal<sc_dt::int64> token_o{"token_o"};
  sc_core::sc_signal<sc_dt::int64> events_in_total_o{"events_in_total_o"};
  sc_core::sc_signal<sc_dt::int64> events_out_total_o{"events_out_total_o"};
  sc_core::sc_signal<sc_dt::int64> synaptic_ops_total_o{"synaptic_ops_total_o"};
  sc_core::sc_signal<sc_dt::int64> sram_words_total_o{"sram_words_total_o"};
  sc_core::sc_signal<sc_dt::int64> busy_cycles_total_o{"busy_cycles_total_o"};
  // What the interfaces show. Several stages may use the core (a core can hold tiles of more
  // than one pipeline stage) and change it in one delta cycle; a signal has one driver, so the
  // stages set `shown` and one process, drive(), writes the signals (the latest state wins).
  struct Shown {
    bool busy = false;
    int phase_kind = 0;
    sc_dt::int64 token = 0, events_in = 0, events_out = 0, synaptic_ops = 0, sram_words = 0, busy_cycles = 0;
  } shown;
  sc_event shown_changed;
  void show() { shown_changed.notify(sc_core::SC_ZERO_TIME); }
  void drive() {
    busy_o.write(shown.busy);
    phase_kind_o.write(shown.phase_kind);
    token_o.write(shown.token);
    events_in_total_o.write(shown.events_in);
    events_out_total_o.write(shown.events_out);
    synaptic_ops_total_o.write(shown.synaptic_ops);
    sram_words_total_o.write(shown.sram_words);
    busy_cycles_total_o.write(shown.busy_cycles);
  }
  SC_HAS_PROCESS(Neurocore);
  explicit Neurocore(sc_module_name name) : sc_module(name) {
    SC_METHOD(drive);
    sensitive << shown_changed;
    dont_initialize();
  }
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

// The host: injects the tokens of a batch into the first stage, each once the token it depends
// on (`after`: a generated token's stream's previous token; -1: none) has left the pipeline.
struct Host : sc_module {
  sc_event go;
  std::vector<std::pair<int64_t, int64_t>> batch;  // {token, after}
  sc_core::sc_fifo<int64_t>* out = nullptr;
  int64_t done_through = -1;  // tokens up to this one have left the last stage
  sc_event token_done;        // notified when one does
  SC_HAS_PROCESS(Host);
  explicit Host(sc_module_name name) : sc_module(name) { SC_THREAD(run); }
  void run() {
    for (;;) {
      wait(go);
      for (const auto& [t, after] : batch) {
        while (after > done_through) wait(token_done);
        out->write(t);
      }
    }
  }
};

class SystemCModel final : public SystemCBackend, public EventProbe {
 public:
  SystemCModel(const arch::Image& image, const arch::Program& program, EventProbe* user_probe, const SystemCOptions& opt)
      : user_probe_(user_probe), vcd_core_(opt.vcd_core) {
    // Written only if unset: `neurark` sets it in main() before any thread starts (a run loads its
    // reference on a second thread, and setenv racing a getenv there is undefined).
    if (::getenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE") == nullptr) ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    // A fresh simulation context: SystemC allows no new modules once a simulation has run.
    ctx_ = new sc_core::sc_simcontext();  // never deleted: SystemC offers no safe teardown
    activate();
    chip_ = program.chip;
    func_ = make_functional_backend(image, program, [this](const PhaseInfo& info, const Counters& c) { on_phase(info, c); },
                                    this);
    timing_.clock_hz = chip_.clock_hz;
    const arch::MeshGrid grid = program.grid();
    const auto n = static_cast<std::size_t>(grid.cores());
    timing_.core_busy_cycles.assign(n, 0);
    period_ = sc_time(1.0 / chip_.clock_hz, sc_core::SC_SEC);
    // Chip-to-chip links: their latency, serialization and buffers (arch::link_timing).
    links_ = timing::idle_links(chip_);
    link_cpf_.assign(static_cast<std::size_t>(grid.links()), 1);
    for (std::size_t l = 0; l < links_.size(); ++l) link_cpf_[l] = links_[l].cycles_per_flit;
    // What a link's flits occupy: the link, or (beyond the links' ids) the chip-to-chip port it shares.
    link_sender_.resize(links_.size());
    for (std::size_t l = 0; l < links_.size(); ++l)
      link_sender_[l] = links_[l].port >= 0 ? static_cast<int>(links_.size()) + links_[l].port : static_cast<int>(l);
    port_cycles_.assign(static_cast<std::size_t>(arch::chip_link_ports(chip_, grid)), 0);
    chip_links_ = grid.chips() > 1;
    if (chip_links_) onchip_links_.assign(links_.size(), {});
    for (std::size_t c = 0; c < n; ++c) {
      cores_.push_back(std::make_unique<Neurocore>(fmt::format("core_{}", c).c_str()));
      routers_.push_back(std::make_unique<Router>(fmt::format("router_{}", c).c_str(), &links_[arch::kDirections * c]));
    }
    if (vcd_core_ >= 0) {
      if (vcd_core_ >= static_cast<int>(n))
        throw Error(fmt::format("vcd: core {} outside the chip's {} neurocores", vcd_core_, n));
      // sc_create_vcd_trace_file appends ".vcd" to the name it is given.
      std::string base = opt.vcd_path;
      if (base.size() > 4 && base.compare(base.size() - 4, 4, ".vcd") == 0) base.resize(base.size() - 4);
      vcd_ = sc_core::sc_create_vcd_trace_file(base.c_str());
      vcd_->set_time_unit(1.0, sc_core::SC_PS);
      Neurocore& nc = *cores_[static_cast<std::size_t>(vcd_core_)];
      const std::string pre = fmt::format("core_{}.", vcd_core_);
      sc_core::sc_trace(vcd_, nc.busy_o, pre + "busy_o");
      sc_core::sc_trace(vcd_, nc.phase_kind_o, pre + "phase_kind_o");
      sc_core::sc_trace(vcd_, nc.token_o, pre + "token_o");
      sc_core::sc_trace(vcd_, nc.events_in_total_o, pre + "events_in_total_o");
      sc_core::sc_trace(vcd_, nc.events_out_total_o, pre + "events_out_total_o");
      sc_core::sc_trace(vcd_, nc.synaptic_ops_total_o, pre + "synaptic_ops_total_o");
      sc_core::sc_trace(vcd_, nc.sram_words_total_o, pre + "sram_words_total_o");
      sc_core::sc_trace(vcd_, nc.busy_cycles_total_o, pre + "busy_cycles_total_o");
    }
    layers_ = static_cast<int>(program.model.num_hidden_layers);
    for (const arch::ProgramOp& op : program.ops) op_names_.push_back(op.name);
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
    // Route depth per (op, what the phase moves) and the host's distance, from the image's flows;
    // the flows' trees in the order a flit walks them, for the flit-level model.
    for (std::size_t f = 0; f < program.flows.size(); ++f) {
      const arch::Flow& flow = program.flows[f];
      int64_t depth = 0;
      for (int d : flow.dst_cores) depth = std::max(depth, grid.hops(flow.src_core, d));
      int64_t& cur = depth_[{flow.op, flow.kind}];
      cur = std::max(cur, depth);
      // The chip links on the way to its farthest destination add their latency and beats
      // beyond an on-chip hop's (value phases; events phases time every link themselves).
      if (chip_links_) {
        int64_t extra = 0;
        for (int d : flow.dst_cores) {
          int64_t e = 0;
          for (const auto& [a, b] : arch::xy_tree(grid, flow.src_core, {d})) {
            const int l = grid.link_id(grid.resolve(a), grid.resolve(b));
            if (l >= 0 && grid.chip_link(l)) e += arch::chip_link_extra_cycles(chip_);
          }
          extra = std::max(extra, e);
        }
        int64_t& x = chip_extra_[{flow.op, flow.kind}];
        x = std::max(x, extra);
      }
      walks_.push_back(program.walk_order(static_cast<int>(f)));
      bool crosses = false;
      for (const auto& step : walks_.back()) crosses = crosses || (chip_links_ && grid.chip_link(step[0]));
      flow_crosses_chips_.push_back(crosses);
    }
    for (std::size_t c = 0; c < n; ++c) host_hops_ = std::max(host_hops_, grid.hops(static_cast<int>(c), arch::kHostCore));
    event_flits_ = program.event_flits();
    timing_.event_flits = event_flits_;
    // Co-simulated neurocores: their tiles' weight memories, loaded once.
    for (const auto& [core, impl] : opt.cosim_cores) {
      if (core < 0 || core >= static_cast<int>(n) || impl == nullptr)
        throw Error(fmt::format("co-simulation: core {} outside the chip's {} neurocores", core, n));
      cosim_index_[core] = timing_.cosim.size();
      timing_.cosim.push_back({core, impl->name(), 0, 0, 0, 0});
    }
    cosim_ = opt.cosim_cores;
    for (std::size_t t = 0; t < program.tiles.size(); ++t) {
      const arch::ProgramTile& tile = program.tiles[t];
      const auto it = cosim_.find(tile.core);
      if (it == cosim_.end()) continue;
      const auto [data, bytes] = image.blob(tile.blob);
      it->second->load_tile(static_cast<int>(t), std::vector<uint8_t>(data, data + bytes), tile.rows(),
                            program.ops[static_cast<std::size_t>(tile.op)].in);
    }
    link_until_.assign(static_cast<std::size_t>(grid.links() + arch::chip_link_ports(chip_, grid)), 0);
    last_ = func_->counters();
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // elaborate; processes wait for their events
  }

  std::string name() const override { return "systemc"; }
  int64_t vocab_size() const override { return func_->vocab_size(); }
  void reset() override { func_->reset(); }
  const Counters& counters() const override { return func_->counters(); }
  const arch::ChipDescription* chip() const override { return &chip_; }
  const arch::EnergyTable* energy_table() const override { return func_->energy_table(); }
  const arch::TechnologyTable* cost_table() const override { return func_->cost_table(); }
  std::vector<int> cores_with_tiles() const override { return func_->cores_with_tiles(); }
  RecurrentState recurrent_state() const override { return func_->recurrent_state(); }
  void load_recurrent_state(const RecurrentState& state) override { func_->load_recurrent_state(state); }
  const Timing& timing() const override { return timing_; }
  void record_spans(bool on) override { timing_.record_spans = on; }
  void close_waveform() override {
    if (vcd_ == nullptr) return;
    activate();
    sc_core::sc_close_vcd_trace_file(vcd_);
    vcd_ = nullptr;
  }

  void begin_prefill() override { prefill_ = true; }
  void end_prefill() override {
    prefill_ = false;
    simulate();
  }
  void set_streams(int64_t n) override {
    if (n < 1) throw std::invalid_argument(fmt::format("systemc: set_streams({}): expected at least 1", n));
    streams_ = n;
  }
  void flush() override { simulate(); }

  void step_q16(int32_t token, std::vector<int32_t>& logits_q16, StepObservation* obs) override {
    current_.clear();
    seen_layer_ = false;
    func_->step_q16(token, logits_q16, obs);  // values, phase by phase; on_phase records the work
    loads_[next_token_] = std::move(current_);
    // Generation: a token depends on its stream's previous one (whose logits chose it).
    pending_.emplace_back(next_token_, prefill_ || streams_ == 1 ? int64_t{-1} : next_token_ - streams_);
    ++next_token_;
    // One stream's generation: timed token by token; a prompt, or several streams: a window at a time.
    if ((!prefill_ && streams_ == 1) || pending_.size() >= kPrefillWindow) simulate();
  }

  // EventProbe: collects the events of the running events phase for the flit-level model, and
  // passes every call on to the caller's probe (event traces).
  void event_out(const PhaseInfo& phase, int core, int flow, int64_t channel, int8_t q, int64_t code_index) override {
    ev_.events.push_back({core, flow, code_index + 1, ev_.deliveries.size(), ev_.deliveries.size()});
    if (user_probe_ != nullptr) user_probe_->event_out(phase, core, flow, channel, q, code_index);
  }
  void event_in(const PhaseInfo& phase, int core, int tile, int64_t channel, int8_t q, const arch::EventCost& cost,
                int64_t lane_cycles) override {
    timing::EventTraffic::Event& e = ev_.events.back();
    if (e.d1 > e.d0 && ev_.deliveries.back().first == core) ev_.deliveries.back().second += lane_cycles;  // next tile, same core
    else {
      ev_.deliveries.emplace_back(core, lane_cycles);
      e.d1 = ev_.deliveries.size();
    }
    if (!cosim_.empty() && cosim_.count(core) != 0)
      cosim_events_[core].push_back({ev_.events.size() - 1, tile, channel, q, lane_cycles});
    if (user_probe_ != nullptr) user_probe_->event_in(phase, core, tile, channel, q, cost, lane_cycles);
  }
  void accumulators(const PhaseInfo& phase, int core, int tile, const int32_t* acc, int64_t rows) override {
    const auto it = cosim_.find(core);
    if (it != cosim_.end()) {
      const std::vector<int32_t> got = it->second->take_accumulators(tile);
      if (static_cast<int64_t>(got.size()) != rows)
        throw Error(fmt::format("co-simulation ({}): core {} tile {} returned {} accumulators, expected {}", it->second->name(),
                                core, tile, got.size(), rows));
      for (int64_t r = 0; r < rows; ++r)
        if (got[static_cast<std::size_t>(r)] != acc[r])
          throw Error(fmt::format("co-simulation ({}): neurocore {} differs from the functional model at token {}, {} "
                                  "tile {}, accumulator row {}: expected {}, got {}", it->second->name(), core, phase.token,
                                  phase.op_name, tile, r, acc[r], got[static_cast<std::size_t>(r)]));
      ++timing_.cosim[cosim_index_.at(core)].accumulator_checks;
    }
    if (user_probe_ != nullptr) user_probe_->accumulators(phase, core, tile, acc, rows);
  }

  // Runs the events phase's events of every co-simulated neurocore through its CoreCosim and
  // puts the cycles it reports in place of the behavioural rule's service times.
  void run_cosim_events() {
    for (auto& [core, evs] : cosim_events_) {
      if (evs.empty()) continue;
      CoreCosim& impl = *cosim_.at(core);
      CosimCycles& cc = timing_.cosim[cosim_index_.at(core)];
      std::map<int, std::vector<std::size_t>> by_tile;  // tile -> indices into evs, in order
      for (std::size_t i = 0; i < evs.size(); ++i) by_tile[evs[i].tile].push_back(i);
      std::map<std::size_t, int64_t> service;  // event index -> cycles on this core (all its tiles)
      for (const auto& [tile, idx] : by_tile) {
        std::vector<std::pair<int64_t, int8_t>> in;
        in.reserve(idx.size());
        for (std::size_t i : idx) in.emplace_back(evs[i].channel, evs[i].q);
        const std::vector<int64_t> cyc = impl.run_events(tile, in);
        if (cyc.size() != in.size())
          throw Error(fmt::format("co-simulation ({}): core {} tile {}: {} cycle counts for {} events", impl.name(), core, tile,
                                  cyc.size(), in.size()));
        for (std::size_t j = 0; j < idx.size(); ++j) {
          service[evs[idx[j]].event] += cyc[j];
          cc.cosim_cycles += cyc[j];
          cc.model_cycles += evs[idx[j]].model_cycles;
          ++cc.events;
        }
      }
      for (const auto& [e, cycles] : service) {
        const timing::EventTraffic::Event& pe = ev_.events[e];
        for (std::size_t k = pe.d0; k < pe.d1; ++k)
          if (ev_.deliveries[k].first == core) ev_.deliveries[k].second = cycles;
      }
      evs.clear();
    }
  }

  // Stage `st` of token `t`: its phases in order, each waiting for the neurocores it uses.
  void run_stage(int st, int64_t t) {
    for (const PhaseLoad& p : loads_.at(t)) {
      if (p.stage != st) continue;
      // Wait until every neurocore the phase uses is free; another stage may have taken one
      // while this one waited, so check again after every wait.
      for (;;) {
        sc_time start = sc_core::sc_time_stamp();
        for (const auto& [c, busy] : p.cores) start = std::max(start, cores_[static_cast<std::size_t>(c)]->free_at);
        if (start <= sc_core::sc_time_stamp()) break;
        sc_core::wait(start - sc_core::sc_time_stamp());
      }
      // Links: traffic of phases running on other stages still queued on a link this phase uses
      // delays this phase by as much (the link serves flits in order, one per cycle).
      const auto now_cycle = static_cast<int64_t>(sc_core::sc_time_stamp() / period_ + 0.5);
      // (A chip link is busy `cycles_per_flit` cycles per flit.)
      std::vector<std::pair<int, int64_t>> link_cycles;
      if (chip_links_)
        for (const auto& [l, f] : p.link_flits)
          link_cycles.emplace_back(link_sender_[static_cast<std::size_t>(l)], f * link_cpf_[static_cast<std::size_t>(l)]);
      const int64_t link_wait = timing::claim_links(link_until_, chip_links_ ? link_cycles : p.link_flits, now_cycle);
      const int64_t cyc = p.cycles + link_wait;
      timing_.link_wait_cycles += link_wait;
      int64_t traced_busy = 0;
      for (const auto& [c, busy] : p.cores) {
        Neurocore& core = *cores_[static_cast<std::size_t>(c)];
        core.free_at = sc_core::sc_time_stamp() + period_ * static_cast<double>(cyc);
        core.busy_total += busy;
        if (c == vcd_core_) traced_busy = busy;
      }
      const auto start_cycle = static_cast<int64_t>(sc_core::sc_time_stamp() / period_ + 0.5);
      Neurocore* traced = traced_busy > 0 ? cores_[static_cast<std::size_t>(vcd_core_)].get() : nullptr;
      if (traced != nullptr) {
        traced->shown.busy = true;
        traced->shown.phase_kind = static_cast<int>(p.kind) + 1;  // 0 is idle
        traced->shown.token = t;
        traced->show();
      }
      sc_core::wait(period_ * static_cast<double>(cyc));
      if (traced != nullptr) {
        Neurocore::Shown& sh = traced->shown;
        sh.busy = false;
        sh.phase_kind = 0;
        sh.events_in += p.traced.events_in;
        sh.events_out += p.traced.events_out;
        sh.synaptic_ops += p.traced.synaptic_ops;
        sh.sram_words += p.traced.sram_words;
        sh.busy_cycles += traced_busy;
        traced->show();
      }
      timing_.phase_kind_cycles[p.kind] += cyc;
      timing_.phase_cycles += cyc;
      timing_.chip_link_cycles += p.chip_link_cycles;
      // Attribution only: a wait for other stages' traffic longer than the bound term is the NoC's.
      const timing::BoundUnit bound = link_wait > p.bound_cycles ? timing::BoundUnit::kNoc : p.bound;
      const auto key = std::make_tuple(st, p.op, static_cast<int>(p.kind));
      auto [it, added] = phase_index_.try_emplace(key, timing_.phase_totals.size());
      if (added) timing_.phase_totals.push_back({st, p.kind, op_names_[static_cast<std::size_t>(p.op)], 0, 0, {}});
      PhaseTotals& pt = timing_.phase_totals[it->second];
      pt.runs += 1;
      pt.cycles += cyc;
      pt.bound_cycles[static_cast<std::size_t>(bound)] += cyc;
      if (timing_.record_spans)
        timing_.spans.push_back({st, t, p.kind, op_names_[static_cast<std::size_t>(p.op)], start_cycle, start_cycle + cyc, bound,
                                 p.cores, p.link_flits});
    }
  }
  void finished(int64_t t) {
    const auto now = static_cast<int64_t>(sc_core::sc_time_stamp() / period_ + 0.5);
    timing_.token_cycles.push_back(now - last_done_cycles_);
    timing_.cycles += now - last_done_cycles_;
    last_done_cycles_ = now;
    loads_.erase(t);
    host_->done_through = t;
    host_->token_done.notify(sc_core::SC_ZERO_TIME);
  }

 private:
  // Runs the pending tokens through the pipeline: all available at once (a prompt) or one.
  void simulate() {
    if (pending_.empty()) return;
    // Generation: a token enters when the previous one has left (its logits chose it).
    activate();  // another model may have run in this process since
    host_->batch = pending_;  // {token, after}
    pending_.clear();
    host_->go.notify(sc_core::SC_ZERO_TIME);
    sc_core::sc_start();  // until every stage is idle again
    for (std::size_t c = 0; c < cores_.size(); ++c) timing_.core_busy_cycles[c] = cores_[c]->busy_total;
  }

  // Makes this model's simulation context the current one (each model has its own, so several
  // models can live in one process and run in turn).
  void activate() {
    sc_core::sc_curr_simcontext = ctx_;
    sc_core::sc_default_global_context = ctx_;
  }

  // Turns the counters' change over one phase into the phase's cost (the rules of timing.hpp).
  void on_phase(const PhaseInfo& info, const Counters& now) {
    PhaseLoad p;
    timing::PhaseCost cost;
    p.kind = info.kind;
    p.op = info.op;
    if (info.layer >= 0) seen_layer_ = true;
    p.stage = info.layer >= 0 ? info.layer + 1 : (seen_layer_ ? layers_ + 1 : 0);
    const bool events = info.kind == arch::PhaseKind::kEvents;
    // Only the cores and links the phase changed (info.cores, info.links) have work; every other
    // core's cycles are 0, which neither the phase's maximum nor its first busiest core needs.
    const std::size_t n = now.per_core.size();
    codes_.resize(n, 0);
    int64_t dram_stream = 0;  // tiles in DRAM: the longest stream, on top of the network
    int64_t busiest_core_cycles = 0;
    int busiest_core = -1;
    for (const int ci : info.cores) {
      const auto c = static_cast<std::size_t>(ci);
      const UnitCounters work = counters_delta(now.per_core[c], last_.per_core[c]);
      const int64_t cycles = timing::core_phase_cycles(info.kind, work, chip_);
      cost.core_cycles.push_back(cycles);
      if (cycles > busiest_core_cycles) {  // the first of the busiest
        busiest_core_cycles = cycles;
        busiest_core = ci;
        cost.core_bound = timing::core_phase_bound(info.kind, work, chip_);
      }
      if (cycles > 0) p.cores.emplace_back(ci, cycles);
      codes_[c] = work.codes;
      if (events) dram_stream = std::max(dram_stream, timing::dram_stream_cycles(chip_, work.dram_words));
    }
    if (busiest_core < 0 && n > 0)  // no core busy: the first core's (zero) work names the bound
      cost.core_bound = timing::core_phase_bound(info.kind, counters_delta(now.per_core[0], last_.per_core[0]), chip_);
    int64_t busiest = 0, busiest_flits = 0;
    for (const int li : info.links) {
      const auto l = static_cast<std::size_t>(li);
      const int64_t f = now.link_flits[l] - last_.link_flits[l];
      // The cycles the busiest link (or chip-to-chip port: its links' flits one after another) is occupied.
      const int port = links_[l].port;
      if (port >= 0) busiest = std::max(busiest, port_cycles_[static_cast<std::size_t>(port)] += f * link_cpf_[l]);
      else busiest = std::max(busiest, f * link_cpf_[l]);
      busiest_flits = std::max(busiest_flits, f);
      if (f > 0) p.link_flits.emplace_back(li, f);
    }
    for (const int li : info.links)  // port_cycles_ back to 0 for the next phase
      if (const int port = links_[static_cast<std::size_t>(li)].port; port >= 0) port_cycles_[static_cast<std::size_t>(port)] = 0;
    // Several chips: the phase is timed a second time with every chip link timed as an on-chip
    // link (its latency, one beat, the mesh's buffers); the difference is what the chip links add.
    timing::PhaseCost onchip;
    if (events) {
      if (!cosim_.empty()) run_cosim_events();
      const timing::EventsPhaseResult r = timing::events_phase(ev_, walks_, codes_, chip_, event_flits_, links_);
      timing_.link_queue_cycles += r.link_queue_cycles;
      timing_.fifo_stall_cycles += r.fifo_stall_cycles;
      cost.event_cycles = r.cycles + dram_stream;
      if (chip_links_) {
        // Timed again only if an event crosses a chip link: otherwise both timings walk the same
        // links with the same timing, and give the same cycles.
        bool crosses = false;
        for (const timing::EventTraffic::Event& e : ev_.events)
          if (e.flow >= 0 && flow_crosses_chips_[static_cast<std::size_t>(e.flow)]) {
            crosses = true;
            break;
          }
        onchip.event_cycles =
            crosses ? timing::events_phase(ev_, walks_, codes_, chip_, event_flits_, onchip_links_).cycles + dram_stream
                    : cost.event_cycles;
      }
    }
    ev_.clear();
    const arch::FlowKind moves = events ? arch::FlowKind::kEvents
                                 : info.kind == arch::PhaseKind::kInject ? arch::FlowKind::kInject
                                 : info.kind == arch::PhaseKind::kReadback ? arch::FlowKind::kReadback : arch::FlowKind::kValues;
    const auto d = depth_.find({info.op, moves});
    cost.mesh_cycles = timing::value_phase_mesh_cycles(info.kind, busiest, now.flits - last_.flits,
                                                       d == depth_.end() ? 0 : d->second, chip_);
    if (chip_links_ && !events) {
      const auto x = chip_extra_.find({info.op, moves});
      if (x != chip_extra_.end()) cost.mesh_cycles += x->second;
    }
    cost.host_cycles = timing::host_link_cycles(info.kind, now.flits - last_.flits, d == depth_.end() ? 0 : d->second, chip_);
    cost.barrier_cycles = timing::barrier_cycles(info.kind, host_hops_, chip_.noc);
    p.cycles = cost.cycles();
    if (chip_links_) {
      onchip.core_cycles = cost.core_cycles;
      onchip.mesh_cycles = timing::value_phase_mesh_cycles(info.kind, busiest_flits, now.flits - last_.flits,
                                                           d == depth_.end() ? 0 : d->second, chip_);
      onchip.barrier_cycles = cost.barrier_cycles;
      p.chip_link_cycles = std::max<int64_t>(0, p.cycles - onchip.cycles());
    }
    std::tie(p.bound, p.bound_cycles) = cost.bound();
    if (vcd_core_ >= 0) {
      const UnitCounters& a = now.per_core[static_cast<std::size_t>(vcd_core_)];
      const UnitCounters& b = last_.per_core[static_cast<std::size_t>(vcd_core_)];
      p.traced = {a.events_in - b.events_in, a.events_out - b.events_out, a.synaptic_ops - b.synaptic_ops,
                  a.sram_words - b.sram_words};
    }
    current_.push_back(std::move(p));
    copy_changed_counters(last_, now, info.cores, info.links);  // last_ = now, only what the phase changed
    for (const int c : info.cores) codes_[static_cast<std::size_t>(c)] = 0;
  }

  sc_core::sc_simcontext* ctx_ = nullptr;
  EventProbe* user_probe_ = nullptr;
  struct CosimEvent {
    std::size_t event = 0;  // index into ev_.events
    int tile = -1;
    int64_t channel = 0;
    int8_t q = 0;
    int64_t model_cycles = 0;
  };
  std::map<int, std::shared_ptr<CoreCosim>> cosim_;
  std::map<int, std::size_t> cosim_index_;         // core -> index in timing_.cosim
  std::map<int, std::vector<CosimEvent>> cosim_events_;  // this events phase, per core
  int vcd_core_ = -1;
  sc_core::sc_trace_file* vcd_ = nullptr;
  std::vector<std::vector<std::array<int, 3>>> walks_;  // per flow: {link id, from, to}, parents first
  std::vector<bool> flow_crosses_chips_;                 // per flow: its tree takes a chip link
  std::vector<timing::LinkState> links_;                // per directed link (the routers' output links)
  std::vector<timing::LinkState> onchip_links_;         // the same links all timed as on-chip ones
  timing::EventTraffic ev_;
  int64_t event_flits_ = 1;
  std::vector<int64_t> link_until_;  // per directed link: the cycle its queued traffic is sent
  std::vector<int64_t> link_cpf_;    // per directed link: cycles per flit (> 1 on a narrower chip link)
  std::vector<int> link_sender_;     // per directed link: its id, or links + its chip-to-chip port (link_until_'s index)
  std::vector<int64_t> port_cycles_;  // per chip-to-chip port: cycles occupied in the running phase (0 outside it)
  bool chip_links_ = false;          // the system has more than one chip
  std::map<std::pair<int, arch::FlowKind>, int64_t> chip_extra_;  // (op, moves) -> chip links' extra route cycles
  std::unique_ptr<Backend> func_;
  arch::ChipDescription chip_;
  Timing timing_;
  sc_time period_;
  int layers_ = 0;
  std::vector<std::unique_ptr<Neurocore>> cores_;
  std::vector<std::unique_ptr<Router>> routers_;
  std::vector<std::unique_ptr<sc_core::sc_fifo<int64_t>>> fifos_;
  std::vector<std::unique_ptr<Stage>> stages_;
  std::unique_ptr<Host> host_;
  std::map<std::pair<int, arch::FlowKind>, int64_t> depth_;
  int64_t host_hops_ = 0;
  Counters last_;
  std::vector<int64_t> codes_;  // per core: codes quantized in the running phase (0 outside it)
  std::vector<PhaseLoad> current_;
  std::vector<std::string> op_names_;  // the program's ops, by index
  std::map<std::tuple<int, int, int>, std::size_t> phase_index_;  // {stage, op, kind} -> timing_.phase_totals
  bool seen_layer_ = false;
  std::map<int64_t, std::vector<PhaseLoad>> loads_;  // token -> its phases (until it leaves)
  std::vector<std::pair<int64_t, int64_t>> pending_;  // {token, the token it waits for (-1: none)}
  int64_t next_token_ = 0, last_done_cycles_ = 0;
  int64_t streams_ = 1;
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

}  // namespace

std::unique_ptr<SystemCBackend> make_systemc_backend(const arch::Image& image, EventProbe* probe,
                                                     const SystemCOptions& options) {
  return make_systemc_backend(image, arch::Program::from_image(image), probe, options);
}

std::unique_ptr<SystemCBackend> make_systemc_backend(const arch::Image& image, const arch::Program& program,
                                                     EventProbe* probe, const SystemCOptions& options) {
  return std::make_unique<SystemCModel>(image, program, probe, options);
}

std::string systemc_version() { return sc_core::sc_release(); }

}  // namespace neurark::sim
