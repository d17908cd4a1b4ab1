// SPDX-License-Identifier: Apache-2.0
// Benchmark: tokens/s of the float and the bit-exact integer references and of the functional
// chip backend (the model compiled for CHIP, default arch/chips/default-4x4.yaml) on the bundled
// model, side by side, over the same held-out bytes, with the int/float and func/int ratios (all
// measured in this run, so the ratios hold across machines even where absolute speeds do not).
//   build/bench/bench_references [MODEL_DIR] [TEXT_FILE] [BYTES] [CHIP]
#include <cstdio>
#include <map>
#include <memory>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/lm.hpp"
#include "neurark/runs/model_source.hpp"
#include "neurark/sim/registry.hpp"
#include "neurark/sim/systemc.hpp"

int main(int argc, char** argv) {
  const std::string src = NEURARK_SOURCE_DIR;
  auto arg = [&](int i, const std::string& def) {
    return argc > i && argv[i][0] != '\0' ? std::string(argv[i]) : def;
  };
  const std::string model = arg(1, src + "/models/zoo/shakespeare-d256-l4");
  const std::string text_path = arg(2, src + "/data/tinyshakespeare/heldout.txt");
  const long bytes = argc > 3 ? std::atol(argv[3]) : 3000;
  try {
    const auto w = neurark::models::HGRNBitWeights::load(model);
    std::ifstream in(text_path, std::ios::binary);
    if (!in) throw neurark::Error(text_path + ": cannot open the text file");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes > 0 && text.size() > static_cast<std::size_t>(bytes)) text.resize(static_cast<std::size_t>(bytes));
    fmt::print("model {} (d={}, layers={}, I={}), {} bytes of {}\n", model, w.config.hidden_size,
               w.config.num_hidden_layers, w.config.intermediate_size, text.size(), text_path);
    fmt::print("{:<8} {:>12} {:>10} {:>10}\n", "backend", "tokens/s", "seconds", "bpb");
    // Every registered backend on the same bytes: the references on the checkpoint, the chip
    // backends on one image compiled in this run (sim/registry.hpp).
    const std::string chip_path = arg(4, src + "/arch/chips/default-4x4.yaml");
    const neurark::runs::CompiledImage image = neurark::runs::compile_image(model, chip_path);
    std::map<std::string, double> tps;
    for (const neurark::sim::BackendEntry& e : neurark::sim::backends()) {
      neurark::sim::BackendInputs inputs;
      inputs.weights = &w;
      inputs.image = &image.image;
      inputs.program = &image.program;
      auto lm = e.make(inputs);
      const auto r = neurark::models::evaluate(*lm, text);
      tps[e.name] = r.tokens_per_s;
      std::string note = e.runs_image ? fmt::format("   (image for {})", chip_path) : "";
      if (const auto* sc = dynamic_cast<const neurark::sim::SystemCBackend*>(lm.get())) {
        // Simulation speed in synaptic operations per wall-second, and wall time relative to the
        // integer reference (targets: >= 50 M SOP/s, <= 5 x the reference).
        note = fmt::format("   ({:.0f} cycles/token simulated)",
                           static_cast<double>(sc->timing().cycles) / static_cast<double>(sc->timing().token_cycles.size()));
        fmt::print("{:<8} {:>12.0f} {:>10.2f} {:>10.4f}{}\n", e.name, r.tokens_per_s, r.seconds, r.bits_per_byte, note);
        fmt::print("systemc: {:.1f} M synaptic operations simulated per wall-second; wall time {:.2f} x the int reference\n",
                   static_cast<double>(sc->counters().total.synaptic_ops) / r.seconds / 1e6,
                   r.seconds / (static_cast<double>(text.size()) / tps.at("int")));
        continue;
      }
      fmt::print("{:<8} {:>12.0f} {:>10.2f} {:>10.4f}{}\n", e.name, r.tokens_per_s, r.seconds, r.bits_per_byte, note);
      if (e.name == "int") fmt::print("int / float speed ratio: {:.2f}\n", tps.at("int") / tps.at("float"));
      if (e.name == "func") fmt::print("func / int speed ratio: {:.2f}\n", tps.at("func") / tps.at("int"));
    }
  } catch (const neurark::Error& e) {
    std::fprintf(stderr, "bench_references: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
