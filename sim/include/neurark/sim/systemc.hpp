// SPDX-License-Identifier: Apache-2.0
// neurark/sim/systemc.hpp: the cycle-approximate SystemC chip model.
//
// A SystemC 2.3.4 model of the chip an image was compiled for (docs/chip-model.md): one
// Neurocore module per core (a resource a phase occupies, with its interface signals), one
// Router module per mesh node (output links and the credits of the next input buffers), one
// Stage thread per pipeline stage (the embedding, each layer, the output head) joined by FIFOs
// of depth 2, and a Host thread that injects tokens. Values are computed by the functional
// image interpreter (functional.hpp), phase by phase; the model times each phase from the work
// done in it (temporal decoupling: units advance in phase-sized quanta, no per-cycle clock):
//   events phases  a flit-level model: sources quantize one code per cycle and inject event
//                  packets; packets walk their flow's XY multicast tree, router_latency_cycles
//                  per router, one flit per cycle per link (queueing), credit backpressure from
//                  buffer_depth_flits input buffers; destinations wait for an input-FIFO slot
//                  (input_fifo_depth) and the lane array (arch::event_accumulate_cycles
//                  per tile); tiles in DRAM add its latency and transfer;
//   other phases   one neuron-unit channel operation per cycle per core; the mesh: the busiest
//                  link's flits plus the deepest route x (router + link latency); the host link
//                  for inject / readback; a controller round trip for reductions; a barrier cycle.
// A phase starts when every neurocore it uses is free, and waits for other stages' traffic
// still queued on its links. A known prompt (begin_prefill / end_prefill) flows through the
// stages with several tokens in flight; generated tokens go one at a time. Token cycles are
// the intervals between tokens leaving the last stage. Multichip designs are refused.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "neurark/arch/image.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/sim/backend.hpp"
#include "neurark/sim/functional.hpp"
#include "neurark/sim/timing.hpp"

namespace neurark::sim {

// A neurocore implementation that runs a core's synaptic work in place of the model's
// behavioural rule (`neurark run --rtl-cores`: the Verilated RTL neurocore, rtl/). The model
// loads the core's tiles once, hands it each events phase's input events per tile in delivery
// order, uses the cycles it reports as the lane array's service times in the network model,
// and compares its accumulators with the functional interpreter's before every requantization
// (a difference stops the run with neurark::Error naming core, tile, op, token, row and values).
class CoreCosim {
 public:
  virtual ~CoreCosim() = default;
  virtual std::string name() const = 0;  // e.g. "rtl nrk_neurocore"
  // Tile `tile` (rows x fan-in k) with its weight memory (arch/weight_memory.hpp layout).
  virtual void load_tile(int tile, const std::vector<uint8_t>& memory, int64_t rows, int64_t k) = 0;
  // Applies input events {channel, q} to the tile's accumulators, in order; returns each
  // event's cycles (from its acceptance to the next event's, back to back).
  virtual std::vector<int64_t> run_events(int tile, const std::vector<std::pair<int64_t, int8_t>>& events) = 0;
  // The tile's accumulators [rows], then clears them (requantization reads and resets them); under
  // sigma-delta events (the chip's neurocore.event_encoding) they persist to the next token.
  virtual std::vector<int32_t> take_accumulators(int tile) = 0;
};

// Cycles of one neurocore's synaptic work under co-simulation, over the run.
struct CosimCycles {
  int core = -1;
  std::string implementation;
  int64_t events = 0;          // events the core accepted (one per tile reached)
  int64_t cosim_cycles = 0;    // as the CoreCosim reported
  int64_t model_cycles = 0;    // the behavioural rule's for the same events
  int64_t accumulator_checks = 0;  // tiles x tokens whose accumulators were compared (all equal)
};

// One phase of one token on one pipeline stage, in cycles (for Perfetto / Chrome traces).
struct PhaseSpan {
  int stage = 0;
  int64_t token = 0;
  arch::PhaseKind kind = arch::PhaseKind::kInject;
  std::string op;
  int64_t start_cycle = 0, end_cycle = 0;
  timing::BoundUnit bound = timing::BoundUnit::kNoc;  // the unit that bound it (as PhaseTotals counts it)
  std::vector<std::pair<int, int64_t>> core_busy_cycles;  // {neurocore, busy cycles} of the cores it used
  std::vector<std::pair<int, int64_t>> link_flits;        // {directed link id (arch::MeshGrid), flits}
};

// One phase of the per-token schedule (a stage's op and phase kind) summed over the tokens that
// ran it: cycles from its start to its end (waits for other stages' traffic on its links
// included), and those cycles split by the unit that bound each run (timing::PhaseCost::bound;
// a wait for other stages' traffic longer than that unit's term counts as the NoC's).
struct PhaseTotals {
  int stage = 0;                  // 0: embedding, 1..L: layers, L + 1: final norm and lm_head
  arch::PhaseKind kind = arch::PhaseKind::kInject;
  std::string op;
  int64_t runs = 0;               // tokens that ran it
  int64_t cycles = 0;
  std::array<int64_t, timing::kBoundUnits> bound_cycles{};  // by timing::BoundUnit
};

struct Timing {
  double clock_hz = 0.0;
  int64_t cycles = 0;                         // all tokens
  std::vector<int64_t> token_cycles;          // per token
  std::vector<int64_t> core_busy_cycles;      // per neurocore, all tokens
  std::map<arch::PhaseKind, int64_t> phase_kind_cycles;  // cycles spent in phases of each kind
  std::vector<PhaseTotals> phase_totals;  // per phase of the schedule, in the order they first ran
  int64_t event_flits = 1;         // flits per event packet (arch/noc.hpp)
  int64_t link_queue_cycles = 0;   // events phases: flit-cycles spent waiting for a busy link
  int64_t fifo_stall_cycles = 0;   // events phases: event-cycles waiting for room in an input FIFO
  int64_t link_wait_cycles = 0;    // phases delayed by other stages' traffic on their links
  int64_t phase_cycles = 0;        // Σ over every phase run (all stages, all tokens) of its cycles
  // Several chips: Σ over every phase run of the cycles its chip-to-chip links add to it, i.e. its
  // cycles minus those of the same phase timed with every chip link as an on-chip link (latency
  // noc.link_latency_cycles, one beat per flit, noc.buffer_depth_flits); 0 on one chip. Waits for
  // other stages' traffic (link_wait_cycles) are not in either.
  int64_t chip_link_cycles = 0;
  std::vector<CosimCycles> cosim;  // per co-simulated neurocore (SystemCOptions::cosim_cores)
  bool record_spans = false;                  // set to fill `spans`
  std::vector<PhaseSpan> spans;
};

class SystemCBackend : public Backend {
 public:
  virtual const Timing& timing() const = 0;
  // Tokens fed between begin_prefill() and end_prefill() are a known prompt: they enter the
  // pipeline together when end_prefill() runs the simulation, so a stage starts token t + 1 as
  // soon as it has finished token t. Outside, each token is simulated when fed (generation).
  virtual void begin_prefill() = 0;
  // Records a PhaseSpan per stage, token and phase in timing().spans from now on.
  virtual void record_spans(bool on) = 0;
  virtual void end_prefill() = 0;
  // Several independent streams through the chip (runs::RunOptions::streams), fed round robin in
  // generation: a generated token t then waits for token t - n (the same stream's previous token,
  // whose logits chose it) to leave the pipeline, not for t - 1, so up to n tokens are in flight.
  // Tokens are timed in windows (as a prompt) instead of one by one; flush() times the rest. n = 1
  // (the default) is one stream, timed token by token. Throws std::invalid_argument for n < 1.
  virtual void set_streams(int64_t n) = 0;
  // Times every token fed and not yet timed (needed before reading timing() with n > 1).
  virtual void flush() = 0;
  // Closes the VCD waveform (SystemCOptions::vcd_core), flushing it; no-op without one.
  virtual void close_waveform() = 0;
};

struct SystemCOptions {
  // A VCD waveform of one neurocore's interfaces (busy, phase kind, token, running totals of
  // events in / out, synaptic ops, SRAM words, busy cycles), changing at phase boundaries, in
  // picoseconds at the chip clock: `vcd_path` (".vcd" is appended if missing).
  int vcd_core = -1;
  std::string vcd_path;
  // Neurocores run by a CoreCosim instead of the behavioural lane-array rule (core index ->
  // implementation; the model owns them).
  std::map<int, std::shared_ptr<CoreCosim>> cosim_cores;
};

// Builds the SystemC model of the image's chip (a fresh SystemC simulation context; one model
// runs at a time per process). Throws neurark::Error as make_functional_backend does. The first overload parses the
// image's program (arch::Program::from_image). `probe`, if given (e.g. a CoreEventRecorder),
// sees every event and must outlive the model.
std::unique_ptr<SystemCBackend> make_systemc_backend(const arch::Image& image, EventProbe* probe = nullptr,
                                                     const SystemCOptions& options = {});
std::unique_ptr<SystemCBackend> make_systemc_backend(const arch::Image& image, const arch::Program& program,
                                                     EventProbe* probe = nullptr, const SystemCOptions& options = {});

// The SystemC library this neurark is linked with ("2.3.4-Accellera": sc_core::sc_release()).
std::string systemc_version();


}  // namespace neurark::sim
