// neurark/sim/systemc.hpp: the cycle-approximate SystemC chip model (first version).
//
// A SystemC 2.3.4 model of the chip an image was compiled for: one Neurocore module per core,
// a Mesh module for the network, a Controller that steps the per-token schedule with a barrier
// after each phase. The values are computed by the functional image interpreter (the one
// interpreter of an image, functional.hpp), run phase by phase; after each phase the model
// charges every unit cycles for the work it did in that phase (temporal decoupling: units advance
// in phase-sized quanta, synchronized at the barrier), docs/chip-model.md:
//   neurocore  events phase: max(codes quantized here, accumulate cycles), where a delivered event
//              costs max(ceil(synaptic ops / lanes), SRAM words) (lanes and the SRAM port work in
//              parallel), plus DRAM words x port bits / DRAM bandwidth (+ latency) for tiles in
//              DRAM; neuron phases (normalize, requantize, element-wise, the products of reduce):
//              one channel per cycle; inject / readback: channels x 32 bits / host bandwidth;
//   mesh       the busiest directed link's flits (one flit per cycle per link) plus the phase's
//              deepest route x (router + link latency);
//   controller reductions: a round trip from the farthest core to the host's attach point.
// A phase lasts as long as its slowest unit, plus one barrier cycle. Phases are grouped in
// pipeline stages (the embedding, each layer, the output head), one SC_THREAD each, joined by
// FIFOs of depth 2; a phase starts when every neurocore it uses is free, so stages that share a
// neurocore serialize there. A known prompt (begin_prefill / end_prefill) flows through the
// stages with several tokens in flight; generated tokens go one at a time. Token cycles are the
// intervals between tokens leaving the last stage.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "neurark/arch/image.hpp"
#include "neurark/sim/backend.hpp"

namespace neurark::sim {

struct Timing {
  double clock_hz = 0.0;
  int64_t cycles = 0;                         // all tokens
  std::vector<int64_t> token_cycles;          // per token
  std::vector<int64_t> core_busy_cycles;      // per neurocore, all tokens
  std::map<std::string, int64_t> phase_kind_cycles;  // "events" -> cycles spent in events phases
};

class SystemCBackend : public Backend {
 public:
  virtual const Timing& timing() const = 0;
  // Tokens fed between begin_prefill() and end_prefill() are a known prompt: they enter the
  // pipeline together when end_prefill() runs the simulation, so a stage starts token t + 1 as
  // soon as it has finished token t. Outside, each token is simulated when fed (generation).
  virtual void begin_prefill() = 0;
  virtual void end_prefill() = 0;
};

// Builds the SystemC model of the image's chip (a fresh SystemC simulation context; one model
// runs at a time per process). Throws neurark::Error as make_functional_backend does.
std::unique_ptr<SystemCBackend> make_systemc_backend(const arch::Image& image);

// A backend checked against a reference on every token: logits, the residual stream after every
// layer and every BitLinear's event stream must be equal, else neurark::Error names the first
// difference (token, layer or BitLinear, channel, expected and actual value).
std::unique_ptr<Backend> cross_checked(std::unique_ptr<Backend> dut, std::unique_ptr<Backend> reference);

}  // namespace neurark::sim
