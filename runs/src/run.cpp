// SPDX-License-Identifier: Apache-2.0
// The main job: see neurark/runs/run.hpp, docs/report-format.md and docs/chip-model.md.
#include "neurark/runs/run.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/int_ref.hpp"
#include "neurark/runs/energy.hpp"
#include "neurark/runs/model_source.hpp"
#include "neurark/sim/event_recorder.hpp"
#include "neurark/sim/registry.hpp"
#ifdef NEURARK_HAVE_RTL
#include "neurark/rtl/neurocore.hpp"
#endif

namespace neurark::runs {

namespace {

#ifdef NEURARK_HAVE_RTL
// The Verilated RTL neurocore behind the SystemC model's co-simulation hook (--rtl-cores).
class RtlCoreCosim final : public sim::CoreCosim {
 public:
  explicit RtlCoreCosim(const arch::ChipDescription& chip) : core_(chip), keep_(chip.core.events.sigma_delta()) {}
  std::string name() const override { return core_.name(); }
  void load_tile(int tile, const std::vector<uint8_t>& memory, int64_t rows, int64_t k) override {
    core_.load_tile(tile, memory, rows, k);
  }
  std::vector<int64_t> run_events(int tile, const std::vector<std::pair<int64_t, int8_t>>& events) override {
    return core_.run_events(tile, events);
  }
  std::vector<int32_t> take_accumulators(int tile) override { return core_.take_accumulators(tile, keep_); }

 private:
  rtl::NeurocoreSim core_;
  bool keep_ = false;  // sigma-delta events: accumulators persist from token to token
};
#endif

void log_line(const RunOptions& o, const std::string& s) {
  if (o.log) o.log(s);
}

// Several streams: every neurocore keeps each stream's recurrent state in its state memory, next
// to what the compiler placed there for one: the MLGRU state (4 bytes per channel it holds) and,
// under sigma-delta events, each BitLinear input's sent code (1 byte) and each output row's
// accumulator (4 bytes). Throws neurark::Error naming the first neurocore that cannot.
void check_stream_state(const arch::Program& program, int64_t streams) {
  std::map<int, int64_t> state_bytes;  // core -> one stream's recurrent state
  const auto charge = [&](int tensor, int64_t bytes_per_channel) {
    for (const arch::ProgramSegment& seg : program.tensors[static_cast<std::size_t>(tensor)].segments)
      state_bytes[seg.core] += bytes_per_channel * (seg.end - seg.begin);
  };
  for (const arch::ProgramOp& op : program.ops) {
    if (op.kind == arch::OpKind::kMlgru) charge(op.output, 4);
    if (op.kind == arch::OpKind::kBitLinear && program.chip.core.events.sigma_delta()) {
      charge(op.inputs[0].tensor, arch::kSigmaDeltaSentCodeBytes);
      charge(op.output, arch::kSigmaDeltaAccumulatorBytes);
    }
  }
  const arch::MeshGrid grid = program.grid();
  for (const arch::CoreUse& u : program.cores) {
    const auto it = state_bytes.find(u.core);
    if (it == state_bytes.end()) continue;
    const int64_t need = u.neuron_bytes + (streams - 1) * it->second, cap = program.chip.core.state_memory_bytes;
    if (need > cap)
      throw Error(fmt::format("--streams {}: neurocore {} ({},{}) holds {} B of recurrent state per stream next to {} B placed for "
                              "one stream; {} streams need {} B of its state memory, neurocore.state_memory_bytes of chip "
                              "'{}' is {} B (fewer streams, or more state memory)", streams, u.core, grid.x(u.core),
                              grid.y(u.core), it->second, u.neuron_bytes, streams, need, program.chip.name, cap));
  }
}

}  // namespace

void check_run_options(const RunOptions& o) {
  namespace fs = std::filesystem;
  for (const auto& [opt, path] : {std::pair<std::string, std::string>{"--model", o.model_dir}, {"--chip", o.chip_path}})
    if (!fs::exists(path) && !(opt == "--chip" && o.chip_text))
      throw Error(fmt::format("{} {}: does not exist (the defaults are relative to the repository root: run from there, "
                              "or pass {})", opt, path, opt));
  if (o.max_new_tokens < 2 || o.max_new_tokens > 100000)
    throw Error(fmt::format("--max-new-tokens: {} is out of range, expected 2 to 100000 (the first generated token comes "
                            "from the prompt's logits; generation is timed on the tokens fed back)", o.max_new_tokens));
  if (o.streams < 1 || o.streams > 4096)
    throw Error(fmt::format("--streams: {} is out of range, expected 1 to 4096", o.streams));
  if (o.check_every < 0 || o.check_every > 100000)
    throw Error(fmt::format("--check-every: {} is out of range, expected 0 (no check) to 100000 (1: every token; N: "
                            "tokens 0, N, 2N, ...)", o.check_every));
  o.events.check();
  const sim::BackendEntry& entry = sim::backend(o.backend);
  if (!entry.runs_image)
    throw Error(fmt::format("--backend {}: a run needs a chip backend ({})", o.backend, fmt::join(sim::backend_names(true), ", ")));
  if (!o.rtl_cores.empty() || o.rtl_all_cores) {
#ifndef NEURARK_HAVE_RTL
    throw Error("--rtl-cores: this build has no RTL (configure with -DNEURARK_BUILD_RTL=ON; needs Verilator)");
#endif
    if (!entry.timed) throw Error("--rtl-cores: needs --backend systemc (the RTL runs inside the SystemC model)");
  }
  if (!entry.timed && o.record_spans) throw Error("--trace-out: needs --backend systemc (the func backend has no time)");
  if (!entry.timed && o.vcd_core) throw Error("--vcd: needs --backend systemc (the func backend has no time)");
}

RunResult run(const RunOptions& o) {
  check_run_options(o);
  if (o.prompt.empty()) throw Error(fmt::format("{}: empty, expected at least one byte of text", o.prompt_source));
  if (static_cast<int64_t>(o.prompt.size()) < o.streams)
    throw Error(fmt::format("--streams {}: {} has {} bytes; it is cut into {} consecutive prompts of at least one byte each",
                            o.streams, o.prompt_source, o.prompt.size(), o.streams));
  const sim::BackendEntry& entry = sim::backend(o.backend);
  const bool timed = entry.timed;
  const auto wall_start = std::chrono::steady_clock::now();  // for the log's wall times (never in the report)
  log_line(o, fmt::format("run: compiling {} for {} ...\n", o.model_dir, o.chip_path));
  std::optional<std::string> chip_text = o.chip_text;
  if (o.events.any())
    chip_text = arch::chip_text_with_events(chip_text ? *chip_text : arch::ChipDescription::read_text(o.chip_path), o.chip_path,
                                            o.events);
  // The integer reference the run is checked against loads on a second thread while the model
  // compiles (none with check_every 0): both read the checkpoint, neither depends on the other.
  // Whatever stops the run before the reference is taken cancels its load (the future's
  // destructor waits for the thread, which stops at its next tensor).
  std::atomic<bool> cancel_reference{false};
  std::future<models::IntModel> reference;
  struct CancelUntaken {
    std::atomic<bool>& cancel;
    std::future<models::IntModel>& future;
    ~CancelUntaken() {
      if (future.valid()) cancel = true;
    }
  };
  if (o.check_every > 0)
    reference = std::async(std::launch::async,
                           [dir = o.model_dir, &cancel_reference] { return models::IntModel::load(dir, &cancel_reference); });
  const CancelUntaken cancel_untaken{cancel_reference, reference};  // destroyed before the future: cancels, then it waits
  const CompiledImage compiled = compile_image(o.model_dir, o.chip_path, chip_text);  // its error is the one reported
  warn_if_not_byte_level(compiled.program.model.vocab_size, o.model_dir);
  const arch::Program& program = compiled.program;
  const arch::MeshGrid grid = program.grid();
  const arch::ChipDescription& chip = program.chip;
  const auto core_of = [&](const std::string& opt, const CoreXY& xy) {
    if (!grid.contains(xy.x, xy.y))
      throw Error(fmt::format("{} {},{}: outside the {} x {} mesh of chip '{}'", opt, xy.x, xy.y, grid.width, grid.height, chip.name));
    return grid.core_at(xy.x, xy.y);
  };
  const auto holds_tiles = [&](int core) {
    return std::any_of(program.cores.begin(), program.cores.end(), [&](const arch::CoreUse& u) { return u.core == core; });
  };
  if ((o.rtl_all_cores || !o.rtl_cores.empty()) && o.streams > 1 && chip.core.events.sigma_delta())
    throw Error(fmt::format("--rtl-cores with --streams {} and sigma_delta events (chip '{}'): the RTL neurocores' persistent "
                            "accumulators are not swapped between streams yet (one stream, or absolute events)",
                            o.streams, chip.name));
  if (o.streams > 1) check_stream_state(program, o.streams);
  sim::BackendInputs in;
  in.image = &compiled.image;
  in.program = &program;
  // An event trace of one neurocore (traces/README.md).
  std::unique_ptr<sim::CoreEventRecorder> recorder;
  if (o.record_core) {
    const CoreXY xy = *o.record_core;
    if (grid.contains(xy.x, xy.y) && !holds_tiles(grid.core_at(xy.x, xy.y)))
      log_line(o, fmt::format("run: warning: --record-core {},{}: this neurocore holds no tiles; its trace will have no "
                              "events (`neurark inspect` shows which cores hold tiles)\n", xy.x, xy.y));
    recorder = std::make_unique<sim::CoreEventRecorder>(compiled.image, program, xy.x, xy.y, o.event_trace_path,
                                                        fmt::format("compiled from {} for {}", o.model_dir, o.chip_path));
    in.probe = recorder.get();
  }
  // Neurocores on the Verilated RTL.
  if (o.rtl_all_cores || !o.rtl_cores.empty()) {
    std::vector<int> cores;
    if (o.rtl_all_cores)
      for (const arch::CoreUse& u : program.cores) cores.push_back(u.core);
    for (const CoreXY& xy : o.rtl_cores) {
      const int core = core_of("--rtl-cores", xy);
      if (!holds_tiles(core))
        throw Error(fmt::format("--rtl-cores {},{}: neurocore {} holds no tiles on this chip (nothing to co-simulate); "
                                "`neurark inspect` shows which cores hold tiles", xy.x, xy.y, core));
      cores.push_back(core);
    }
#ifdef NEURARK_HAVE_RTL
    rtl::chip_rtl(chip).require("neurocore", fmt::format("--rtl-cores (--chip {})", o.chip_path));  // every parameter the RTL cannot take, before any build
    for (int core : cores) in.systemc.cosim_cores[core] = std::make_shared<RtlCoreCosim>(chip);
#endif
  }
  if (o.vcd_core) {
    in.systemc.vcd_core = core_of("--vcd", *o.vcd_core);
    in.systemc.vcd_path = o.vcd_path;
  }
  std::unique_ptr<models::LanguageModel> made = entry.make(in);
  sim::SystemCBackend* timing = timed ? dynamic_cast<sim::SystemCBackend*>(made.get()) : nullptr;
  auto* dut = dynamic_cast<sim::Backend*>(made.get());
  if (dut == nullptr || (timed && timing == nullptr)) throw std::logic_error("run: not a chip backend");
  made.release();
  // The integer reference it is checked against (none with check_every 0: then not even built).
  std::unique_ptr<sim::Backend> lm(dut);
  if (o.check_every > 0)
    lm = sim::cross_checked(std::move(lm), sim::make_int_backend(reference.get(), chip.core.events), o.check_every);
  const arch::EnergyTable* table = lm->energy_table();
  // Area and leakage of this design point at its operating supply (the energy table's, after DVFS).
  std::optional<HardwareCost> hw;
  if (lm->cost_table() != nullptr) {
    LogicOptions lo;
    lo.synthesize = o.synthesize_logic;
    lo.progress = [&](const std::string& line) { log_line(o, "run: " + line + "\n"); };
    lo.warning = [&](const std::string& line) { log_line(o, "run: warning: " + line + "\n"); };
    if (const std::optional<LogicTable> logic = logic_table(chip, lo))
      hw = hardware_cost(chip, *lm->cost_table(), table != nullptr ? table->voltage_v : chip.voltage_v, lm->cores_with_tiles(),
                         *logic);
  }
  const HardwareCost* cost = hw ? &*hw : nullptr;
  const int64_t cores_used = static_cast<int64_t>(lm->cores_with_tiles().size());

  std::vector<int32_t> toks;
  for (unsigned char c : o.prompt) toks.push_back(c);
  for (std::size_t i = 0; i < toks.size(); ++i)
    if (toks[i] >= lm->vocab_size())
      throw Error(fmt::format("{}: byte {} (value {}) is outside the model's vocabulary of {} tokens (vocab_size in {}/config.json); "
                              "this model reads bytes below {}", o.prompt_source, i, toks[i], lm->vocab_size(), o.model_dir,
                              lm->vocab_size()));
  const auto wall_tokens = std::chrono::steady_clock::now();
  log_line(o, fmt::format("run: {} prompt tokens through the {} model ({})\n", toks.size(), o.backend,
                          o.check_every == 0   ? "not checked: --check-every 0"
                          : o.check_every == 1 ? "checked against int on every token"
                                               : fmt::format("checked against int on one token in {}, each from the chip's own state", o.check_every)));
  // Streams: the prompt cut into `streams` consecutive pieces, one per stream; each stream's
  // recurrent state kept here while another runs (the chip holds them all in its state memory).
  const int64_t ns = o.streams;
  std::vector<std::vector<int32_t>> prompts(static_cast<std::size_t>(ns));
  for (int64_t s = 0, at = 0; s < ns; ++s) {
    const int64_t len = static_cast<int64_t>(toks.size()) / ns + (s < static_cast<int64_t>(toks.size()) % ns ? 1 : 0);
    prompts[static_cast<std::size_t>(s)].assign(toks.begin() + at, toks.begin() + at + len);
    at += len;
  }
  std::vector<sim::RecurrentState> states;
  if (ns > 1) {
    states.assign(static_cast<std::size_t>(ns), lm->recurrent_state());  // all start from the zero state
    if (timed) timing->set_streams(ns);
  }
  const auto enter = [&](int64_t s) {
    if (ns > 1) lm->load_recurrent_state(states[static_cast<std::size_t>(s)]);
  };
  const auto leave = [&](int64_t s) {
    if (ns > 1) states[static_cast<std::size_t>(s)] = lm->recurrent_state();
  };
  // The prompt is known: it flows through the layer pipeline with several tokens in flight.
  std::vector<std::vector<float>> logits(static_cast<std::size_t>(ns));
  if (o.record_spans) timing->record_spans(true);
  if (timed) timing->begin_prefill();
  int64_t fed = 0;
  for (int64_t s = 0; s < ns; ++s) {
    enter(s);
    for (int32_t tok : prompts[static_cast<std::size_t>(s)]) {
      lm->step(tok, logits[static_cast<std::size_t>(s)]);
      if (++fed % 100 == 0 || fed == static_cast<int64_t>(toks.size()))
        log_line(o, fmt::format("\rrun: {}/{} prompt tokens computed{}", fed, toks.size(), o.check_every > 0 ? " and checked" : ""));
    }
    leave(s);
  }
  log_line(o, timed ? ", timing the pipeline ...\n" : "\n");
  if (timed) timing->end_prefill();
  const sim::Counters at_prefill = lm->counters();
  const std::vector<sim::PhaseTotals> phases_at_prefill = timed ? timing->timing().phase_totals : std::vector<sim::PhaseTotals>{};
  // Generation: greedy (argmax, lowest index on ties), each token fed back when chosen; the
  // streams in turn, one token each.
  RunResult r;
  std::vector<std::string> texts(static_cast<std::size_t>(ns));
  for (int64_t i = 0; i < o.max_new_tokens; ++i) {
    for (int64_t s = 0; s < ns; ++s) {
      std::vector<float>& l = logits[static_cast<std::size_t>(s)];
      const auto next = static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
      texts[static_cast<std::size_t>(s)].push_back(static_cast<char>(next < 256 ? next : '?'));
      if (i + 1 < o.max_new_tokens) {
        enter(s);
        lm->step(next, l);
        leave(s);
      }
    }
    log_line(o, ns == 1 ? fmt::format("\rrun: {} prompt tokens, {}/{} generated", toks.size(), i + 1, o.max_new_tokens)
                        : fmt::format("\rrun: {} prompt tokens, {}/{} generated in each of {} streams", toks.size(), i + 1,
                                      o.max_new_tokens, ns));
  }
  if (timed) timing->flush();
  log_line(o, "\n");
  {  // Simulation speed, for a person: wall time is not a figure of the chip and stays out of the report.
    const auto wall_end = std::chrono::steady_clock::now();
    const double setup_s = std::chrono::duration<double>(wall_tokens - wall_start).count();
    const double tokens_s = std::chrono::duration<double>(wall_end - wall_tokens).count();
    const int64_t stepped = lm->counters().tokens;
    log_line(o, fmt::format("run: wall time {:.1f} s to compile{}, {:.1f} s for {} tokens ({:.2f} simulated tokens per wall-second{})\n",
                            setup_s, o.check_every > 0 ? " and load the reference" : "", tokens_s, stepped,
                            tokens_s > 0 ? static_cast<double>(stepped) / tokens_s : 0.0,
                            o.check_every == 1 ? ", each checked" : o.check_every > 1 ? fmt::format(", one in {} checked", o.check_every) : ""));
  }
  r.generated_text = texts[0];
  // The last generated token was chosen but not fed: counters and cycles cover prompt + (N - 1).
  const sim::Counters& end = lm->counters();
  if (timed && static_cast<int64_t>(timing->timing().token_cycles.size()) != end.tokens)
    throw std::logic_error(fmt::format("run: {} tokens fed but {} timed", end.tokens, timing->timing().token_cycles.size()));
  if (recorder) recorder->finish();
  if (timed) timing->close_waveform();

  // The figures (docs/report-format.md).
  r.run_id = o.run_id;
  r.backend = o.backend;
  r.model_dir = o.model_dir;
  r.chip_path = o.chip_path;
  r.chip = chip;
  r.energy_table = table != nullptr ? table->name : "";
  r.timed = timed;
  const auto np = static_cast<int64_t>(toks.size());
  const int64_t ng = end.tokens - np;  // generated tokens fed back through the model
  r.prompt_tokens = np;
  r.tokens = end.tokens;
  const double clock = chip.clock_hz;
  const std::vector<int64_t> cyc = timing != nullptr ? timing->timing().token_cycles : std::vector<int64_t>{};
  int64_t prefill_cycles = 0, gen_cycles = 0;
  for (std::size_t i = 0; i < cyc.size(); ++i) (static_cast<int64_t>(i) < np ? prefill_cycles : gen_cycles) += cyc[i];
  const arch::EnergyBreakdown e_pre = price(sim::counters_delta(at_prefill, sim::Counters{}), prefill_cycles, chip, table, cost);
  const arch::EnergyBreakdown e_gen = price(sim::counters_delta(end, at_prefill), gen_cycles, chip, table, cost);
  const double gen_tokens = static_cast<double>(std::max<int64_t>(ng, 1));
  for (const auto& [k, pj] : e_gen.pj) r.energy_breakdown_j[k] = pj * 1e-12 / gen_tokens;
  const double t = static_cast<double>(end.tokens);
  const int64_t all_cycles = prefill_cycles + gen_cycles;
  const double gen_cpt = ng > 0 ? static_cast<double>(gen_cycles) / static_cast<double>(ng) : 0.0;
  const double pre_cpt = np > 0 ? static_cast<double>(prefill_cycles) / static_cast<double>(np) : 0.0;
  r.prefill.tokens = np;
  r.prefill.energy_per_token_j = np > 0 ? e_pre.total_pj * 1e-12 / static_cast<double>(np) : 0.0;
  r.generation.tokens = ng;
  r.generation.energy_per_token_j = e_gen.total_pj * 1e-12 / gen_tokens;
  if (timed) {
    r.prefill.cycles = prefill_cycles;
    r.prefill.tokens_per_s = pre_cpt > 0 ? clock / pre_cpt : 0.0;
    r.generation.cycles = gen_cycles;
    r.generation.tokens_per_s = gen_cpt > 0 ? clock / gen_cpt : 0.0;
    r.cycles_per_token = gen_cpt;
    r.time_to_first_token_s = static_cast<double>(prefill_cycles) / clock;
    r.latency_per_token_s = gen_cpt * static_cast<double>(ns) / clock;  // between a stream's tokens
    r.power_w = all_cycles > 0 ? (e_pre.total_pj + e_gen.total_pj) * 1e-12 / (static_cast<double>(all_cycles) / clock) : 0.0;
    for (int64_t c : cyc) r.token_latency_s.push_back(static_cast<double>(c) / clock);
  }
  r.sops_per_token = static_cast<double>(end.total.synaptic_ops) / t;
  r.events_per_token = static_cast<double>(end.total.events_out) / t;
  r.activation_sparsity = 1.0 - static_cast<double>(end.total.events_out) / static_cast<double>(end.activation_codes);
  r.weight_sparsity = static_cast<double>(end.total.synaptic_skips) /
                      static_cast<double>(std::max<int64_t>(1, end.total.synaptic_skips + end.total.synaptic_ops));
  r.energy_j = (e_pre.total_pj + e_gen.total_pj) * 1e-12;
  // Per neurocore: its own actions (and its leakage over the whole run) priced by the table;
  // per link: its flits x (link flit-hop + the router flit that sends it).
  for (std::size_t c = 0; c < end.per_core.size(); ++c) {
    CoreFigures f;
    f.core = static_cast<int>(c);
    f.x = grid.x(static_cast<int64_t>(c));
    f.y = grid.y(static_cast<int64_t>(c));
    f.busy_cycles = timing != nullptr ? timing->timing().core_busy_cycles[c] : 0;
    f.utilization = all_cycles > 0 ? static_cast<double>(f.busy_cycles) / static_cast<double>(all_cycles) : 0.0;
    f.activity = end.per_core[c];
    f.energy_j = price_core(end.per_core[c], all_cycles, chip, table, cost != nullptr ? cost->core_leakage_w[c] : 0.0).total_pj * 1e-12;
    f.energy_per_token_j = f.energy_j / t;
    r.per_core.push_back(f);
  }
  double links_j = 0.0;
  for (std::size_t l = 0; l < end.link_flits.size(); ++l)
    if (end.link_flits[l] > 0) {
      const arch::MeshGrid::LinkEnds ends = grid.link_ends(static_cast<int>(l));
      LinkFigures f;
      f.from_core = ends.from;
      f.to_core = ends.to;
      f.direction = ends.direction;
      f.flits = end.link_flits[l];
      f.flits_per_token = static_cast<double>(f.flits) / t;
      f.load = all_cycles > 0 ? static_cast<double>(f.flits) / static_cast<double>(all_cycles) : 0.0;
      f.chip_link = grid.chip_link(static_cast<int>(l));
      f.energy_j = static_cast<double>(f.flits) * link_flit_pj(table, chip, f.chip_link) * 1e-12;
      r.per_link.push_back(f);
    }
  for (const LinkFigures& l : r.per_link) links_j += l.energy_j;
  r.network.event_flits = program.event_flits();
  if (timed) {
    r.network.link_queue_cycles = timing->timing().link_queue_cycles;
    r.network.fifo_stall_cycles = timing->timing().fifo_stall_cycles;
    r.network.cross_stage_link_wait_cycles = timing->timing().link_wait_cycles;
  }
  r.network.injection_energy_j = static_cast<double>(end.flits) * injection_flit_pj(table) * 1e-12;
  r.network.energy_j = r.network.injection_energy_j + links_j;
  if (grid.chips() > 1) {
    MultichipFigures m;
    m.per_chip.resize(static_cast<std::size_t>(grid.chips()));
    for (std::size_t c = 0; c < m.per_chip.size(); ++c) m.per_chip[c].chip = static_cast<int>(c);
    for (const CoreFigures& f : r.per_core) m.per_chip[static_cast<std::size_t>(grid.chip_of(f.core))].energy_j += f.energy_j;
    for (int c : lm->cores_with_tiles()) ++m.per_chip[static_cast<std::size_t>(grid.chip_of(c))].cores_used;
    for (const LinkFigures& l : r.per_link)
      if (l.chip_link) {
        m.chip_link_flits += l.flits;
        m.chip_link_energy_j += l.energy_j;
      } else {
        m.per_chip[static_cast<std::size_t>(grid.chip_of(l.from_core))].energy_j += l.energy_j;
      }
    m.chip_link_flits_per_token = static_cast<double>(m.chip_link_flits) / t;
    m.chip_link_energy_share = r.energy_j > 0.0 ? m.chip_link_energy_j / r.energy_j : 0.0;
    if (timed) {
      const sim::Timing& tm = timing->timing();
      m.chip_link_phase_cycles = tm.chip_link_cycles;
      m.chip_link_time_share =
          tm.phase_cycles > 0 ? static_cast<double>(tm.chip_link_cycles) / static_cast<double>(tm.phase_cycles) : 0.0;
    }
    r.multichip = m;
  }
  // Co-simulated neurocores: the RTL's cycles next to the cycle-approximate model's.
  if (timed && !timing->timing().cosim.empty()) {
    RtlCosimFigures rc;
    for (const sim::CosimCycles& c : timing->timing().cosim) {
      rc.events += c.events;
      rc.rtl_cycles += c.cosim_cycles;
      rc.model_cycles += c.model_cycles;
      RtlCoreFigures f{c, grid.x(c.core), grid.y(c.core), 0.0};
      f.difference_pct = c.model_cycles > 0 ? 100.0 * static_cast<double>(c.model_cycles - c.cosim_cycles) /
                                                  static_cast<double>(c.cosim_cycles > 0 ? c.cosim_cycles : 1)
                                            : 0.0;
      rc.cores.push_back(f);
    }
    rc.difference_pct =
        rc.rtl_cycles > 0 ? 100.0 * static_cast<double>(rc.model_cycles - rc.rtl_cycles) / static_cast<double>(rc.rtl_cycles) : 0.0;
    r.rtl_cosim = rc;
  }
  // Where a generated token's cycles go: each phase's cycles over the generated tokens (the
  // phases' totals since the prompt) and the units that bound them.
  if (timed) {
    const std::vector<sim::PhaseTotals>& all = timing->timing().phase_totals;
    double sum = 0.0;
    for (std::size_t i = 0; i < all.size(); ++i) {
      const sim::PhaseTotals* before = i < phases_at_prefill.size() ? &phases_at_prefill[i] : nullptr;
      PhaseLatency pl;
      pl.stage = all[i].stage;
      pl.op = all[i].op;
      pl.kind = all[i].kind;
      const int64_t cycles = all[i].cycles - (before != nullptr ? before->cycles : 0);
      pl.cycles_per_token = static_cast<double>(cycles) / gen_tokens;
      int64_t top = -1;
      for (int u = 0; u < sim::timing::kBoundUnits; ++u) {
        const auto k = static_cast<std::size_t>(u);
        const int64_t c = all[i].bound_cycles[k] - (before != nullptr ? before->bound_cycles[k] : 0);
        if (c <= 0) continue;
        const char* name = sim::timing::to_string(static_cast<sim::timing::BoundUnit>(u));
        pl.bound_cycles_per_token[name] = static_cast<double>(c) / gen_tokens;
        if (c > top) {
          top = c;
          pl.bound = name;
          pl.bound_share = cycles > 0 ? static_cast<double>(c) / static_cast<double>(cycles) : 0.0;
        }
      }
      if (cycles <= 0) continue;  // ran in the prompt only
      sum += pl.cycles_per_token;
      r.phase_latency.push_back(pl);
    }
    for (PhaseLatency& pl : r.phase_latency) pl.share = sum > 0 ? pl.cycles_per_token / sum : 0.0;
  }
  // DRAM: words streamed per generated token against the bandwidth over its cycles.
  r.dram.present = chip.dram.present;
  r.dram.bandwidth_bits_per_cycle = chip.dram.present ? chip.dram.bandwidth_bits_per_cycle : 0;
  r.dram.words_per_token = static_cast<double>(end.total.dram_words - at_prefill.total.dram_words) / gen_tokens;
  r.dram.bits_per_token = r.dram.words_per_token * static_cast<double>(chip.core.sram_port_bits);
  if (timed)
    r.dram.bandwidth_use = chip.dram.present && gen_cpt > 0
                               ? r.dram.bits_per_token / (static_cast<double>(chip.dram.bandwidth_bits_per_cycle) * gen_cpt)
                               : 0.0;
  r.hardware = hw;
  r.cores_used = cores_used;
  r.streams = ns;
  for (int64_t s = 0; s < ns; ++s) {
    StreamFigures f;
    f.prompt_tokens = static_cast<int64_t>(prompts[static_cast<std::size_t>(s)].size());
    f.generated_text = texts[static_cast<std::size_t>(s)];
    if (timed) f.tokens_per_s = *r.generation.tokens_per_s / static_cast<double>(ns);  // round robin: an equal share
    r.per_stream.push_back(f);
  }
  r.reference = o.check_every > 0 ? "int" : "none";
  r.check_every = o.check_every;
  r.tokens_compared = lm->tokens_cross_checked();
  if (o.record_spans) r.spans = timing->timing().spans;
  r.stages = static_cast<int>(program.model.num_hidden_layers) + 2;
  return r;
}

}  // namespace neurark::runs
