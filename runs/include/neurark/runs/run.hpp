// SPDX-License-Identifier: Apache-2.0
// neurark/runs/run.hpp: the main job as one library call, and its typed result.
//
// runs/ owns the jobs the toolkit runs on top of the model, compiler and simulator libraries:
// where a model comes from (model_source.hpp), the run of a prompt and its generation through a
// chip model (this header: what `neurark run` does; a report writer, a sweep, a test or a Python
// binding calls run() and gets the same numbers), bits-per-byte evaluation with a chip's activity
// and energy (eval.hpp), the one pricing of activity into energy (energy.hpp), and the area and
// leakage of a design point (hardware_cost.hpp). It depends on compiler, sim, models, traces and arch, and on
// rtl/ in a build with the RTL (the Verilated neurocore behind --rtl-cores). Writers of what a
// run produces live in reports/ (report.json, report.md, report.html) and traces/ (Perfetto).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "neurark/arch/noc.hpp"
#include "neurark/arch/version.hpp"
#include "neurark/runs/hardware_cost.hpp"
#include "neurark/sim/systemc.hpp"

namespace neurark::runs {

// The bundled defaults (paths relative to the repository root; RunOptions resolves them with
// arch::bundled_path, so an installed neurark finds its own copy under <prefix>/share/neurark).
inline constexpr const char* kDefaultModel = "models/zoo/shakespeare-d256-l4";
inline constexpr const char* kDefaultChip = "arch/chips/default-4x4.yaml";
inline constexpr const char* kDefaultPromptFile = "traces/prompts/heldout-400.txt";

// A neurocore by its mesh coordinates.
struct CoreXY {
  int x = -1, y = -1;
};

struct RunOptions {
  std::string model_dir = arch::bundled_path(kDefaultModel);  // checkpoint folder
  std::string chip_path = arch::bundled_path(kDefaultChip);   // chip description (YAML)
  std::optional<std::string> chip_text;   // the chip description itself (YAML, or JSON), read as if from file
                                          // chip_path, which then need not exist: it names the chip in messages
                                          // and report.json, and relative table paths resolve from its folder
  std::string prompt;                     // its bytes are the prompt's tokens; at least one
  std::string prompt_source = "--prompt"; // where the prompt came from, for messages ("--trace FILE")
  int64_t max_new_tokens = 32;            // generated greedily, 2 to 100,000
  int64_t streams = 1;                    // independent sequences interleaved through the pipeline, 1 to 4,096: the
                                          // prompt is cut into this many consecutive pieces (at least one byte each),
                                          // each stream's prompt is fed in turn, then each generates max_new_tokens,
                                          // round robin (a token waits only for its own stream's previous one); the
                                          // chip holds every stream's MLGRU state (its state memory must take them)
  int64_t check_every = 1;                // against the integer reference: every token (1), tokens 0, N, 2N, ...
                                          // each from the chip's own state (N > 1: the reference runs 1/N of the
                                          // tokens), or none (0: no reference is built); 0 to 100,000
  arch::EventOverride events;             // changes the chip's neurocore.event_encoding / event_threshold
                                          // (docs/numerics.md §5b); the fields not given stay the chip's
  std::string backend = "systemc";        // "systemc" (timed) or "func" (untimed: counts, dynamic energy)
  std::string run_id;                     // carried into the result
  bool record_spans = false;              // fill RunResult::spans (systemc: a Perfetto trace)
  std::optional<CoreXY> record_core;      // write that neurocore's event trace to event_trace_path
  std::string event_trace_path;
  std::optional<CoreXY> vcd_core;         // systemc: a VCD of that neurocore's interfaces to vcd_path
  std::string vcd_path;
  bool rtl_all_cores = false;             // systemc: every neurocore holding tiles on the Verilated RTL
  std::vector<CoreXY> rtl_cores;          // systemc: these neurocores on the Verilated RTL
  bool synthesize_logic = true;           // the area's logic synthesized at the chip's parameters when they
                                          // are not the compiled table's (runs/hardware_cost.hpp: logic_table)
  std::function<void(const std::string&)> log;  // progress (lines; "\r" starts an update in place)
};

// Prefill (the prompt) or generation (the generated tokens fed back).
struct StageFigures {
  int64_t tokens = 0;
  std::optional<int64_t> cycles;          // timed backends only
  std::optional<double> tokens_per_s;     // at the chip clock
  double energy_per_token_j = 0.0;        // dynamic + leakage (untimed: dynamic)
};

// One neurocore over the whole run.
struct CoreFigures {
  int core = 0;
  int64_t x = 0, y = 0;
  int64_t busy_cycles = 0;                // 0 untimed
  double utilization = 0.0;               // busy / run cycles
  sim::UnitCounters activity;
  double energy_j = 0.0;                  // its own actions and its leakage over the run
  double energy_per_token_j = 0.0;        // over every token fed
};

// One directed mesh link that carried flits.
struct LinkFigures {
  int from_core = 0, to_core = 0;
  arch::Direction direction = arch::Direction::kEast;
  int64_t flits = 0;
  double flits_per_token = 0.0;
  double load = 0.0;                      // flits / run cycles
  double energy_j = 0.0;                  // flits x (link flit-hop + router flit); chip links: bits x chip_link_bit
  bool chip_link = false;                 // joins two chips (multichip)
};

struct NetworkFigures {
  int64_t event_flits = 1;                // flits per event packet
  std::optional<int64_t> link_queue_cycles, fifo_stall_cycles, cross_stage_link_wait_cycles;  // timed only
  double injection_energy_j = 0.0;        // the router each flit enters the mesh through
  double energy_j = 0.0;                  // links + injection
};

// A system of several chips (multichip): per chip and over the chip-to-chip links.
struct ChipFigures {
  int chip = 0;                           // row-major over multichip.chips_x x chips_y
  int64_t cores_used = 0;                 // its neurocores holding tiles
  double energy_j = 0.0;                  // its neurocores' energy (actions and leakage) and its on-chip links'
};
struct MultichipFigures {
  std::vector<ChipFigures> per_chip;
  int64_t chip_link_flits = 0;            // flits over chip-to-chip links, the whole run
  double chip_link_flits_per_token = 0.0;
  double chip_link_energy_j = 0.0;        // those flits' bits and routers
  double chip_link_energy_share = 0.0;    // of the run's energy
  // Timed runs: what the chip links add to the phases' cycles (sim::Timing::chip_link_cycles) and
  // its share of all phases' cycles (summed over stages and tokens, so overlapped work counts once
  // per phase, not once per wall cycle).
  std::optional<int64_t> chip_link_phase_cycles;
  std::optional<double> chip_link_time_share;
};

// Co-simulated neurocores (--rtl-cores): the RTL's cycles next to the model's.
struct RtlCoreFigures {
  sim::CosimCycles cycles;
  int64_t x = 0, y = 0;
  double difference_pct = 0.0;            // (model - RTL) / RTL x 100
};
struct RtlCosimFigures {
  std::vector<RtlCoreFigures> cores;
  int64_t events = 0, rtl_cycles = 0, model_cycles = 0;
  double difference_pct = 0.0;            // (model - RTL) / RTL x 100
};

// One phase of the per-token schedule during generation (timed only): where the cycles of a
// generated token go and the unit that bound them (sim::PhaseTotals, sim/timing.hpp BoundUnit).
struct PhaseLatency {
  int stage = 0;                          // 0: embedding, 1..L: layer stage - 1, L + 1: head
  std::string op;
  arch::PhaseKind kind = arch::PhaseKind::kInject;
  double cycles_per_token = 0.0;          // over the generated tokens fed back
  double share = 0.0;                     // of all phases' cycles per token
  std::string bound;                      // the unit that bound most of its cycles ("lanes", "noc", ...)
  double bound_share = 0.0;               // that unit's share of its cycles
  std::map<std::string, double> bound_cycles_per_token;  // its cycles per token by the unit that bound them
};

// DRAM traffic of tiles whose weights stream from DRAM, against the chip's DRAM bandwidth.
struct DramFigures {
  bool present = false;                   // the chip has DRAM
  int64_t bandwidth_bits_per_cycle = 0;
  double words_per_token = 0.0;           // generation: SRAM-port-wide words read from DRAM per token
  double bits_per_token = 0.0;            // words x neurocore.sram_port_bits
  std::optional<double> bandwidth_use;    // bits per token / (bandwidth x cycles per token); timed only
};

// One of several streams (RunOptions::streams).
struct StreamFigures {
  int64_t prompt_tokens = 0;
  std::string generated_text;             // bytes (tokens >= 256 as '?')
  std::optional<double> tokens_per_s;     // its generation rate at the chip clock (timed only)
};

struct RunResult {
  std::string run_id, backend, model_dir, chip_path;
  arch::ChipDescription chip;
  std::string energy_table;               // its name ("" if the chip names none)
  bool timed = false;                     // systemc: time, rates and leakage exist
  int64_t prompt_tokens = 0;              // all streams'
  std::string generated_text;             // bytes (tokens >= 256 as '?'); stream 0's with several streams
  int64_t tokens = 0;                     // fed through the model: prompt + streams x (generated - 1)
  int64_t streams = 1;
  std::vector<StreamFigures> per_stream;  // one per stream (also with one); generation rates add up to
                                          // generation.tokens_per_s
  StageFigures prefill, generation;
  std::optional<double> cycles_per_token;  // generation, mean (timed only)
  std::optional<double> time_to_first_token_s, latency_per_token_s, power_w;  // timed only; the latency is
                                          // between two tokens of one stream (streams / generation tokens/s)
  double sops_per_token = 0.0, events_per_token = 0.0;    // over every token fed
  double activation_sparsity = 0.0, weight_sparsity = 0.0;
  int64_t cores_used = 0;                 // neurocores holding tiles (the others idle, or gated)
  std::map<std::string, double> energy_breakdown_j;       // per generated token, by action
  double energy_j = 0.0;                  // the whole run
  std::vector<CoreFigures> per_core;
  std::vector<LinkFigures> per_link;      // links that carried flits, by link id
  NetworkFigures network;
  std::optional<MultichipFigures> multichip;  // more than one chip only
  std::vector<double> token_latency_s;    // per token fed (timed only)
  std::optional<HardwareCost> hardware;   // area and leakage (none without a cost table)
  std::optional<RtlCosimFigures> rtl_cosim;
  std::string reference = "int";          // what tokens were checked against ("none" with check_every 0)
  int64_t check_every = 1;                // RunOptions::check_every
  int64_t tokens_compared = 0;
  std::vector<PhaseLatency> phase_latency;  // generation, per phase in schedule order (timed only)
  DramFigures dram;
  std::vector<sim::PhaseSpan> spans;      // record_spans: every phase of every token per stage
  int stages = 0;                         // pipeline stages (embedding, layers, head)
};

// The checks run() makes before any work, for callers that want them before their own (the
// command line checks them before its report folder): the model and chip exist, max_new_tokens
// and check_every in range, a chip backend, and the options that need systemc (--rtl-cores, --trace-out spans,
// --vcd) or the RTL in this build. Throws neurark::Error naming the option.
void check_run_options(const RunOptions& options);

// Runs the main job: compiles `model_dir` for the chip (placement seed 1), feeds the prompt
// (pipelined through the layers on systemc), generates max_new_tokens greedily (argmax, lowest
// index on ties; the last one chosen but not fed), tokens checked against the integer reference
// as options.check_every says (sim::cross_checked), and prices the activity with the chip's energy table. Throws
// neurark::Error for bad options (naming the option, e.g. "--max-new-tokens: ..."), a bad
// checkpoint or chip, a model that does not fit, or the first mismatch against the reference.
RunResult run(const RunOptions& options);

}  // namespace neurark::runs
