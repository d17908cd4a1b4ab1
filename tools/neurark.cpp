// neurark: command line of the neurark toolkit (thin wiring of models/, arch/).
//
//   neurark generate --model DIR --prompt TEXT [--max-new-tokens N] [--backend float|int]
//                    [--temperature T] [--seed S]
//   neurark eval --model DIR --text FILE [--backend float|int] [--max-bytes N] [--json]
//   neurark synth-checkpoint --config CONFIG.json -o DIR [--seed N] [--dtype BF16|F32]
//   neurark fit --model DIR --chip CHIP.yaml [--json]
//
// Exit codes: 0 success; 1 bad input (checkpoint, chip, text file, option value; a model that
// does not fit), with "neurark: error: ..." naming the file or option, the value and what was
// expected; 2 command-line syntax (unknown option or command, missing argument); 3 internal
// error (a bug: please report).
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/compiler/partition.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/int_ref.hpp"
#include "neurark/models/lm.hpp"
#include "neurark/models/synth.hpp"

namespace {

using neurark::Error;
namespace nm = neurark::models;

constexpr int64_t kMaxNewTokens = 10'000'000;

// Reads at most max_bytes (0 = all) of a regular file; names the file in every error.
std::string read_text(const std::string& path, int64_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(fmt::format("{}: cannot open the text file (does it exist?)", path));
  if (!S_ISREG(st.st_mode)) throw Error(fmt::format("{}: not a regular file, expected a text file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open the text file (permissions?)", path));
  const auto size = static_cast<int64_t>(st.st_size);
  const int64_t n = max_bytes > 0 ? std::min(size, max_bytes) : size;
  std::string s(static_cast<std::size_t>(n), '\0');
  in.read(s.data(), n);
  if (in.gcount() != n) throw Error(fmt::format("{}: read {} of {} bytes", path, in.gcount(), n));
  if (s.size() < 2)
    throw Error(fmt::format("{}: {} byte(s) to evaluate (file size {}{}), expected at least 2", path,
                            s.size(), size, max_bytes > 0 ? fmt::format(", --max-bytes {}", max_bytes) : ""));
  return s;
}

// Bytes are fed as token ids 0..255: meaningful only for a byte-level model.
void warn_if_not_byte_level(const nm::HGRNBitWeights& w, const std::string& model_dir) {
  if (w.config.vocab_size != 256)
    std::cerr << fmt::format("neurark: warning: {} has vocab_size {}; bytes are fed as token ids 0-255 "
                             "and tokens >= 256 print as '?', so text and bits per byte are not "
                             "meaningful for a non-byte tokenizer\n",
                             model_dir, w.config.vocab_size);
}

int cmd_eval(const std::string& model_dir, const std::string& text_path,
             const std::string& backend, int64_t max_bytes, bool json, bool progress) {
  if (max_bytes < 0) throw Error(fmt::format("--max-bytes: {} is negative, expected 0 (all) or a byte count", max_bytes));
  const std::string text = read_text(text_path, max_bytes);  // cheap checks before the model
  const nm::HGRNBitWeights w = nm::HGRNBitWeights::load(model_dir);
  warn_if_not_byte_level(w, model_dir);
  auto lm = nm::make_reference(backend, w);
  // Progress on stderr: redrawn in place on a terminal, one line per 10 % in a log (--progress).
  const bool tty = isatty(STDERR_FILENO) != 0;
  const bool show = progress || tty;
  int64_t last_decile = 0;
  const nm::EvalResult r = nm::evaluate(*lm, text, [&](int64_t done, int64_t total) {
    if (!show) return;
    if (tty) {
      std::fprintf(stderr, "\reval [%s] %lld/%lld bytes", backend.c_str(), static_cast<long long>(done),
                   static_cast<long long>(total));
    } else if (const int64_t decile = 10 * done / total; decile > last_decile) {
      last_decile = decile;
      std::fprintf(stderr, "eval [%s] %lld/%lld bytes (%lld %%)\n", backend.c_str(), static_cast<long long>(done),
                   static_cast<long long>(total), static_cast<long long>(10 * decile));
    }
  });
  if (show && tty) std::fprintf(stderr, "\n");
  // The integer reference also counts the work an event-driven chip would do.
  const auto* iref = dynamic_cast<const nm::IntReference*>(lm.get());
  nlohmann::json activity;
  if (iref != nullptr && iref->activity().tokens > 0) {
    const auto& a = iref->activity();
    const double t = static_cast<double>(a.tokens);
    activity = {{"events_per_token", static_cast<double>(a.events) / t},
                {"sops_per_token", static_cast<double>(a.synaptic_ops) / t},
                {"activation_sparsity", 1.0 - static_cast<double>(a.events) / static_cast<double>(a.activation_codes)},
                {"weight_sparsity", iref->weight_sparsity()}};
  }
  if (json) {
    nlohmann::json j = {{"model", model_dir}, {"text", text_path}, {"backend", backend},
                        {"bpb", r.bits_per_byte}, {"bytes", r.bytes},
                        {"tokens_per_s", r.tokens_per_s}, {"seconds", r.seconds}};
    if (!activity.is_null()) j["activity"] = activity;
    std::cout << j.dump() << "\n";
  } else {
    std::cout << fmt::format("model     {}\ntext      {}\nbackend   {}\nbpb       {:.4f} bits/byte\n"
                             "bytes     {} predicted (every byte after the first; state carried "
                             "across the whole text)\n"
                             "speed     {:.0f} tokens/s ({:.1f} s)\n",
                             model_dir, text_path, backend, r.bits_per_byte, r.bytes,
                             r.tokens_per_s, r.seconds);
    if (!activity.is_null())
      std::cout << fmt::format("activity  {:.0f} events/token, {:.0f} synaptic ops/token, activation "
                               "sparsity {:.1f} %, weight sparsity {:.1f} %\n",
                               activity["events_per_token"].get<double>(), activity["sops_per_token"].get<double>(),
                               100 * activity["activation_sparsity"].get<double>(),
                               100 * activity["weight_sparsity"].get<double>());
  }
  return 0;
}

int cmd_generate(const std::string& model_dir, const std::string& prompt, int64_t n,
                 const std::string& backend, double temperature, int64_t seed) {
  if (prompt.empty()) throw Error("--prompt: empty, expected at least one byte of text");
  if (n < 0 || n > kMaxNewTokens)
    throw Error(fmt::format("--max-new-tokens: {} is out of range, expected 0 to {}", n, kMaxNewTokens));
  if (!std::isfinite(temperature) || temperature < 0.0)
    throw Error(fmt::format("--temperature: {} is not valid, expected a finite number >= 0 (0 = greedy)", temperature));
  if (seed < 0) throw Error(fmt::format("--seed: {} is negative, expected 0 to 2^63-1", seed));
  const nm::HGRNBitWeights w = nm::HGRNBitWeights::load(model_dir);
  if (w.config.vocab_size < 256)
    throw Error(fmt::format("{}: config.json vocab_size is {}, expected at least 256 (prompts are bytes)",
                            model_dir, w.config.vocab_size));
  warn_if_not_byte_level(w, model_dir);
  auto lm = nm::make_reference(backend, w);
  std::vector<int32_t> toks;
  for (unsigned char c : prompt) toks.push_back(c);
  nm::GenerateOptions opt;
  opt.max_new_tokens = n;
  opt.temperature = temperature;
  opt.seed = static_cast<uint64_t>(seed);
  std::cout << prompt << std::flush;
  opt.on_token = [](int32_t t) {  // stream: tokens >= 256 (non-byte models) print as '?'
    std::cout.put(static_cast<char>(t < 256 ? t : '?'));
    std::cout.flush();
  };
  nm::generate(*lm, toks, opt);
  std::cout << std::endl;
  return 0;
}

int cmd_fit(const std::string& model_dir, const std::string& chip_path, bool json) {
  const neurark::arch::ChipDescription chip = neurark::arch::ChipDescription::from_file(chip_path);
  const nm::IntModel model = nm::IntModel::prepare(nm::HGRNBitWeights::load(model_dir));
  const neurark::compiler::Partition p = neurark::compiler::partition_and_pack(model, chip);
  const auto bls = neurark::compiler::bitlinears_in_order(model);
  if (json) {
    nlohmann::json tiles = nlohmann::json::array();
    for (const auto& t : p.tiles)
      tiles.push_back({{"bitlinear", bls[t.bitlinear].name}, {"rows", {t.row_begin, t.row_end}},
                       {"bytes", t.weight_bytes}, {"core", t.core}});
    std::cout << nlohmann::json{{"model", model_dir}, {"chip", chip.name}, {"fits", true},
                                {"weight_bytes", p.weight_bytes}, {"dram_bytes", p.dram_bytes},
                                {"cores_used", p.cores_used}, {"cores", chip.total_cores()},
                                {"core_bytes_used", p.core_bytes_used}, {"tiles", tiles}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << fmt::format("model {} fits chip '{}' ({}): {} bytes of {} ternary weights on {} of {} "
                           "neurocores ({} bytes of synapse SRAM each){}\n",
                           model_dir, chip.name, chip_path, p.weight_bytes,
                           neurark::arch::to_string(chip.core.weight_encoding), p.cores_used,
                           chip.total_cores(), chip.core.synapse_sram_bytes,
                           p.dram_bytes > 0 ? fmt::format(", {} bytes streamed from DRAM", p.dram_bytes) : "");
  std::cout << fmt::format("{:<28} {:>6} {:>12} {:>10}  {}\n", "bitlinear", "tiles", "rows/tile", "bytes", "cores");
  for (std::size_t b = 0; b < bls.size(); ++b) {
    int64_t n = 0, bytes = 0, rows = 0;
    std::string cores;
    for (const auto& t : p.tiles)
      if (t.bitlinear == b) {
        ++n;
        bytes += t.weight_bytes;
        rows = std::max(rows, t.row_end - t.row_begin);
        cores += (cores.empty() ? "" : ",") + (t.core >= 0 ? std::to_string(t.core) : std::string("DRAM"));
      }
    std::cout << fmt::format("{:<28} {:>6} {:>12} {:>10}  {}\n", bls[b].name, n, rows, bytes, cores);
  }
  std::cout << "synapse SRAM used per neurocore (bytes):";
  for (int64_t u : p.core_bytes_used) std::cout << ' ' << u;
  std::cout << "\n";
  return 0;
}

int cmd_synth(const std::string& config_path, const std::string& out_dir, int64_t seed,
              const std::string& dtype) {
  if (seed < 0) throw Error(fmt::format("--seed: {} is negative, expected 0 to 2^63-1", seed));
  const nm::HGRNBitConfig cfg = nm::HGRNBitConfig::from_file(config_path);
  nm::check_new_output_dir(out_dir);
  nm::SynthOptions opt;
  opt.seed = static_cast<uint64_t>(seed);
  opt.dtype = dtype;
  std::cerr << fmt::format("synth-checkpoint: {} layers, d={}, I={}, vocab={} -> {} ({})\n",
                           cfg.num_hidden_layers, cfg.hidden_size, cfg.intermediate_size,
                           cfg.vocab_size, out_dir, dtype);
  const nm::SynthResult r = nm::synth_checkpoint(cfg, out_dir, opt);
  std::cout << fmt::format("wrote {}: {} parameters, {:.1f} MB in {} shard(s), seed {}\n", out_dir,
                           r.parameters, static_cast<double>(r.bytes) / 1e6, r.shards, seed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"neurark: hardware co-design toolkit for MatMul-free (HGRNBit) language models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "neurark 0.1.0");
  if (argc < 2) {
    std::cerr << app.help();
    return 2;
  }

  std::string model_dir, text_path, backend = "int", prompt;
  int64_t max_bytes = 0, max_new = 64, seed = 0;
  bool json = false, progress = false;
  double temperature = 0.0;

  auto* gen = app.add_subcommand("generate", "Generate text from a prompt with a reference backend");
  gen->add_option("--model", model_dir, "Checkpoint folder (config.json + *.safetensors)")->required();
  gen->add_option("--prompt", prompt, "Prompt text (bytes are tokens)")->required();
  gen->add_option("--max-new-tokens", max_new, "Tokens to generate (0 to 10^7)")->capture_default_str();
  gen->add_option("--backend", backend, "float (fp32 reference) or int (bit-exact integer reference)")
      ->check(CLI::IsMember({"float", "int"}))->capture_default_str();
  gen->add_option("--temperature", temperature, "0 = greedy; > 0 samples from softmax(logits / T)")
      ->capture_default_str();
  gen->add_option("--seed", seed, "Sampling seed, >= 0 (same seed, same text)")->capture_default_str();

  auto* ev = app.add_subcommand("eval", "Bits per byte of a text file, recurrent state carried throughout");
  ev->add_option("--model", model_dir, "Checkpoint folder (config.json + *.safetensors)")->required();
  ev->add_option("--text", text_path, "Text file (bytes are tokens)")->required();
  ev->add_option("--backend", backend, "float or int")->check(CLI::IsMember({"float", "int"}))
      ->capture_default_str();
  ev->add_option("--max-bytes", max_bytes, "Evaluate only the first N bytes (0 = all)")->capture_default_str();
  ev->add_flag("--json", json, "Print one JSON object {bpb, bytes, tokens_per_s, ...}");
  ev->add_flag("--progress", progress, "Show progress on stderr even when it is not a terminal");

  std::string chip_path;
  auto* fit = app.add_subcommand("fit", "Does a model fit a chip? Partition BitLinears into tiles and pack them "
                                        "onto neurocores (exit 1 with what would make it fit)");
  fit->add_option("--model", model_dir, "Checkpoint folder (config.json + *.safetensors)")->required();
  fit->add_option("--chip", chip_path, "Chip description (YAML, e.g. arch/chips/default-4x4.yaml)")->required();
  fit->add_flag("--json", json, "Print the plan as one JSON object");

  std::string config_path, out_dir, dtype = "BF16";
  auto* syn = app.add_subcommand("synth-checkpoint",
                                 "Write an HF checkpoint with random weights of realistic statistics");
  syn->add_option("--config", config_path, "HF config.json (e.g. models/configs/mmfreelm-370m.json)")->required();
  syn->add_option("-o,--out", out_dir, "Output folder (must not exist or be empty)")->required();
  syn->add_option("--seed", seed, "Random seed, >= 0 (same seed, same bytes)")->capture_default_str();
  syn->add_option("--dtype", dtype, "BF16 (as HF releases) or F32")->check(CLI::IsMember({"BF16", "F32"}))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "neurark: error: " << e.what() << "\nRun 'neurark --help' or 'neurark COMMAND --help'.\n";
    // A value the parser rejects (not a number, not one of the choices) is bad input (1); a
    // malformed command line (unknown option, missing argument or subcommand) is syntax (2).
    const bool bad_value = dynamic_cast<const CLI::ConversionError*>(&e) != nullptr ||
                           dynamic_cast<const CLI::ValidationError*>(&e) != nullptr;
    return bad_value ? 1 : 2;
  }
  try {
    if (*gen) return cmd_generate(model_dir, prompt, max_new, backend, temperature, seed);
    if (*ev) return cmd_eval(model_dir, text_path, backend, max_bytes, json, progress);
    if (*syn) return cmd_synth(config_path, out_dir, seed, dtype);
    if (*fit) return cmd_fit(model_dir, chip_path, json);
  } catch (const Error& e) {
    std::cout.flush();
    std::cerr << "neurark: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "neurark: internal error: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
