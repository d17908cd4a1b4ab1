// SPDX-License-Identifier: Apache-2.0
// The command table: every `neurark` command once, in help order (see command.hpp).
#include "command.hpp"

namespace neurark::tools {

std::function<int()> add_generate(CLI::App& sub);
std::function<int()> add_eval(CLI::App& sub);
std::function<int()> add_fidelity(CLI::App& sub);
std::function<int()> add_fit(CLI::App& sub);
std::function<int()> add_compile(CLI::App& sub);
std::function<int()> add_inspect(CLI::App& sub);
std::function<int()> add_run(CLI::App& sub);
std::function<int()> add_verify_rtl(CLI::App& sub);
std::function<int()> add_sweep(CLI::App& sub);
std::function<int()> add_noc(CLI::App& sub);
std::function<int()> add_sparsity(CLI::App& sub);
std::function<int()> add_synth_checkpoint(CLI::App& sub);

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"generate", "Generate text from a prompt", add_generate},
      {"eval", "Bits per byte of a text file, recurrent state carried throughout", add_eval},
      {"fidelity", "The integer reference against the float model: int8 activation codes equal at every BitLinear input, "
                   "logits and bits per byte of both over a text", add_fidelity},
      {"fit", "Does a model fit a chip? Partition BitLinears into tiles and pack them onto neurocores (exit 1 with what "
              "would make it fit)", add_fit},
      {"compile", "Compile a model for a chip into a chip image (pipeline: import -> lower -> fold -> partition -> place -> "
                  "route -> schedule -> emit)", add_compile},
      {"inspect", "Summarize a chip image: cores, SRAM per core, routes, events per token", add_inspect},
      {"run", "The main job: a prompt through the SystemC chip model, then generation; prints tokens/s and J/token and "
              "writes a report folder", add_run},
      {"sweep", "Explore a design space: every point a checked SystemC run in its own folder, the Pareto front in an HTML "
                "report; local or Slurm, resumable", add_sweep},
      {"noc", "The network on its own: the chip model's mesh under synthetic traffic (uniform, transpose, bit-complement, "
              "hotspot, neighbor); latency and accepted throughput against offered load, vs the RTL mesh", add_noc},
      {"sparsity", "What event sparsity costs: bits per byte, events, energy and tokens/s for event thresholds and "
                   "sigma-delta events on a chip, with the accuracy / energy plot", add_sparsity},
      {"verify-rtl", "Run the RTL block harnesses (Verilator) against arch/: per block, vectors compared, mismatches, "
                     "cycles; exit 1 on any mismatch", add_verify_rtl},
      {"synth-checkpoint", "Write an HF checkpoint with random weights of realistic statistics", add_synth_checkpoint},
  };
  return all;
}

}  // namespace neurark::tools
