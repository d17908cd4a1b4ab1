// Benchmark: tokens/s of the float and the bit-exact integer references and of the functional
// chip backend (the model compiled for CHIP, default arch/chips/default-4x4.yaml) on the bundled
// model, side by side, over the same held-out bytes, with the int/float and func/int ratios (all
// measured in this run, so the ratios hold across machines even where absolute speeds do not).
//   build/bench/bench_references [MODEL_DIR] [TEXT_FILE] [BYTES] [CHIP]
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include <fmt/format.h>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/sim/functional.hpp"
#include "neurark/sim/systemc.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/lm.hpp"

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
    double tps[2] = {0, 0};
    const char* names[2] = {"float", "int"};
    for (int i = 0; i < 2; ++i) {
      auto lm = neurark::models::make_reference(names[i], w);
      const auto r = neurark::models::evaluate(*lm, text);
      tps[i] = r.tokens_per_s;
      fmt::print("{:<8} {:>12.0f} {:>10.2f} {:>10.4f}\n", names[i], r.tokens_per_s, r.seconds,
                 r.bits_per_byte);
    }
    fmt::print("int / float speed ratio: {:.2f}\n", tps[1] / tps[0]);
    // The functional backend on a compiled image (compiled in this run, into a temporary file).
    const std::string chip_path = arg(4, src + "/arch/chips/default-4x4.yaml");
    std::ifstream chip_in(chip_path, std::ios::binary);
    const std::string chip_text((std::istreambuf_iterator<char>(chip_in)), std::istreambuf_iterator<char>());
    const auto ck = std::make_shared<const neurark::models::Checkpoint>(neurark::models::Checkpoint::open(model));
    const auto g = neurark::compiler::compile_graph(ck, neurark::arch::ChipDescription::from_yaml_text(chip_text, chip_path),
                                                    chip_text, {});
    const std::string image = (std::filesystem::temp_directory_path() / fmt::format("bench-{}.nimg", ::getpid())).string();
    neurark::compiler::emit(g, image);
    auto func = neurark::sim::make_functional_backend(neurark::arch::Image::open(image));
    std::filesystem::remove(image);
    const auto r = neurark::models::evaluate(*func, text);
    fmt::print("{:<8} {:>12.0f} {:>10.2f} {:>10.4f}   (image for {})\n", "func", r.tokens_per_s, r.seconds,
               r.bits_per_byte, chip_path);
    fmt::print("func / int speed ratio: {:.2f}\n", r.tokens_per_s / tps[1]);
    // The SystemC chip model on the same image and bytes: simulation speed in synaptic operations
    // per wall-second, and wall time relative to the integer reference (targets: >= 50 M SOP/s,
    // <= 5 x the reference).
    neurark::compiler::emit(g, image);
    auto sc = neurark::sim::make_systemc_backend(neurark::arch::Image::open(image));
    std::filesystem::remove(image);
    const auto rs = neurark::models::evaluate(*sc, text);
    const double sops = static_cast<double>(sc->counters().total.synaptic_ops);
    fmt::print("{:<8} {:>12.0f} {:>10.2f} {:>10.4f}   ({:.0f} cycles/token simulated)\n", "systemc", rs.tokens_per_s,
               rs.seconds, rs.bits_per_byte, static_cast<double>(sc->timing().cycles) / static_cast<double>(sc->timing().token_cycles.size()));
    fmt::print("systemc: {:.1f} M synaptic operations simulated per wall-second; wall time {:.2f} x the int reference\n",
               sops / rs.seconds / 1e6, rs.seconds / (static_cast<double>(text.size()) / tps[1]));
  } catch (const neurark::Error& e) {
    std::fprintf(stderr, "bench_references: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
