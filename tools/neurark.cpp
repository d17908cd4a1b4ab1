// neurark: command line of the neurark toolkit (thin wiring of models/, compiler/, sim/, arch/).
//
//   neurark generate --model DIR --prompt TEXT [--max-new-tokens N] [--backend float|int]
//                    [--temperature T] [--seed S]
//   neurark eval --model DIR --text FILE [--backend float|int] [--max-bytes N] [--json]
//   neurark synth-checkpoint --config CONFIG.json -o DIR [--seed N] [--dtype BF16|F32]
//   neurark fit --model DIR --chip CHIP.yaml [--json]
//   neurark compile --model DIR --chip CHIP.yaml -o IMAGE [--dump-dir DIR] [--dump-after PASS] [--seed N]
//   neurark inspect IMAGE [--json]
//   neurark run [--model DIR] [--chip CHIP.yaml] [--prompt TEXT | --trace FILE] [--max-new-tokens N] [--out DIR]
//   eval / generate also take --backend func with --image IMAGE, or --chip CHIP.yaml (compile on the fly)
//
// Exit codes: 0 success; 1 bad input (checkpoint, chip, text file, option value; a model that
// does not fit), with "neurark: error: ..." naming the file or option, the value and what was
// expected; 2 command-line syntax (unknown option or command, missing argument); 3 internal
// error (a bug: please report).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/compiler/inspect.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/int_ref.hpp"
#include "neurark/models/lm.hpp"
#include "neurark/models/synth.hpp"
#include "neurark/sim/backend.hpp"
#include "neurark/sim/event_recorder.hpp"
#include "neurark/sim/functional.hpp"
#include "neurark/reports/report.hpp"
#include "neurark/sim/systemc.hpp"
#ifdef NEURARK_HAVE_RTL
#include "neurark/rtl/neurocore.hpp"
#include "neurark/rtl/verify.hpp"
#endif

namespace {

using neurark::Error;
namespace nm = neurark::models;
namespace nc = neurark::arch;
namespace ncc = neurark::compiler;
namespace ns = neurark::sim;
using ncc::inspect_summary;
using ncc::inspect_text;

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
void warn_if_not_byte_level(const nm::HGRNBitConfig& config, const std::string& model_dir) {
  if (config.vocab_size != 256)
    std::cerr << fmt::format("neurark: warning: {} has vocab_size {}; bytes are fed as token ids 0-255 "
                             "and tokens >= 256 print as '?', so text and bits per byte are not "
                             "meaningful for a non-byte tokenizer\n",
                             model_dir, config.vocab_size);
}

std::shared_ptr<const nm::Checkpoint> open_checkpoint(const std::string& model_dir) {
  return std::make_shared<const nm::Checkpoint>(nm::Checkpoint::open(model_dir));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Where a model comes from: a checkpoint run by a reference backend, or a chip image run by the
// functional backend (an image given with --image, or compiled on the fly for --chip).
struct ModelSource {
  std::string model_dir, backend, chip_path, image_path;
  // run only: an event probe built once the image is open (--record-core), SystemC options (--vcd).
  std::function<ns::EventProbe*(const nc::Image&)> probe_for = {};
  ns::SystemCOptions systemc = {};
  bool check_func = false;  // also check --backend func compiled from --model against int (run)
  std::function<void(const nc::Image&)> on_image = {};  // sees the image before it runs (run)
};

// The chip backends (func, systemc) run an image; the systemc model compiled from --model is
// checked against the integer reference on every token (a mismatch stops the run).
bool chip_backend(const std::string& b) { return b == "func" || b == "systemc"; }

std::unique_ptr<ns::Backend> chip_backend_from(const nc::Image& img, const ModelSource& src,
                                               ns::SystemCBackend** timing) {
  if (src.on_image) src.on_image(img);
  ns::EventProbe* probe = src.probe_for ? src.probe_for(img) : nullptr;
  if (src.backend == "func") return ns::make_functional_backend(img, {}, probe);
  auto sc = ns::make_systemc_backend(img, probe, src.systemc);
  if (timing != nullptr) *timing = sc.get();
  return sc;
}

std::unique_ptr<nm::LanguageModel> open_model(const ModelSource& src, ns::SystemCBackend** timing = nullptr) {
  if (!chip_backend(src.backend)) {
    if (!src.image_path.empty())
      throw Error(fmt::format("--image: the {} backend runs a checkpoint; images run on --backend func or systemc", src.backend));
    if (!src.chip_path.empty())
      throw Error(fmt::format("--chip: the {} backend does not model a chip; use --backend func or systemc", src.backend));
    if (src.model_dir.empty()) throw Error(fmt::format("--model: required for --backend {}", src.backend));
    const nm::HGRNBitWeights w = nm::HGRNBitWeights::load(src.model_dir);
    warn_if_not_byte_level(w.config, src.model_dir);
    return nm::make_reference(src.backend, w);
  }
  if (src.image_path.empty() == src.chip_path.empty())
    throw Error(fmt::format("--backend {}: give exactly one of --image IMAGE (a compiled chip image) or --chip FILE "
                            "(with --model: compile on the fly)", src.backend));
  if (!src.image_path.empty()) {
    const nc::Image img = nc::Image::open(src.image_path);
    // With --model, the checkpoint the image was compiled from is the reference: every token is
    // checked against the integer reference (NVDLA-style cross-check mode); alone, the image runs
    // unchecked. The checkpoint is checked against the image before any model is built.
    std::unique_ptr<nm::HGRNBitWeights> ref;
    if (!src.model_dir.empty()) {
      ref = std::make_unique<nm::HGRNBitWeights>(nm::HGRNBitWeights::load(src.model_dir));
      const nm::HGRNBitWeights& w = *ref;
      const nlohmann::json& ic = img.manifest().at("model").at("config");
      for (const auto& [key, value] : {std::pair<const char*, int64_t>{"vocab_size", w.config.vocab_size},
                                       {"hidden_size", w.config.hidden_size},
                                       {"num_hidden_layers", w.config.num_hidden_layers},
                                       {"intermediate_size", w.config.intermediate_size}})
        if (ic.at(key).get<int64_t>() != value)
          throw Error(fmt::format("--model {}: {} is {}, but the image {} was compiled for {} = {}; give the checkpoint the "
                                  "image was compiled from", src.model_dir, key, value, src.image_path, key,
                                  ic.at(key).get<int64_t>()));
    }
    std::unique_ptr<ns::Backend> lm = chip_backend_from(img, src, timing);
    if (lm->vocab_size() != 256) {
      nm::HGRNBitConfig c;
      c.vocab_size = lm->vocab_size();
      warn_if_not_byte_level(c, src.image_path);
    }
    if (ref) lm = ns::cross_checked(std::move(lm), ns::make_int_backend(*ref));
    return lm;
  }
  if (src.model_dir.empty()) throw Error("--model: required with --chip (the model to compile)");
  const nc::ChipDescription chip = nc::ChipDescription::from_file(src.chip_path);
  const auto ck = open_checkpoint(src.model_dir);
  warn_if_not_byte_level(ck->config, src.model_dir);
  ncc::CompileOptions opt;  // placement seed 1, as `neurark compile`
  const ncc::Graph g = ncc::compile_graph(ck, chip, read_file(src.chip_path), opt);
  // The image goes to a private temporary file, removed as soon as it is mapped.
  namespace fs = std::filesystem;
  const fs::path tmp = fs::temp_directory_path() / fmt::format("neurark-{}-{}.nimg", ::getpid(),
      std::chrono::steady_clock::now().time_since_epoch().count());
  ncc::emit(g, tmp.string());
  std::unique_ptr<ns::Backend> lm;
  try {
    const nc::Image img = nc::Image::open(tmp.string());
    fs::remove(tmp);
    lm = chip_backend_from(img, src, timing);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  if (src.backend == "systemc" || src.check_func)
    lm = ns::cross_checked(std::move(lm), ns::make_int_backend(nm::HGRNBitWeights::load(src.model_dir)));
  return lm;
}

int cmd_eval(const ModelSource& src, const std::string& text_path, int64_t max_bytes, bool json, bool progress) {
  if (max_bytes < 0) throw Error(fmt::format("--max-bytes: {} is negative, expected 0 (all) or a byte count", max_bytes));
  const std::string text = read_text(text_path, max_bytes);  // cheap checks before the model
  const std::string& backend = src.backend;
  const std::string model_dir = src.image_path.empty() ? src.model_dir : src.image_path;
  ns::SystemCBackend* timing = nullptr;
  auto lm = open_model(src, &timing);
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
  const auto* sback = dynamic_cast<const ns::Backend*>(lm.get());
  nlohmann::json activity;
  if (sback != nullptr && sback->counters().tokens > 0) {
    const ns::Counters& c = sback->counters();
    const double t = static_cast<double>(c.tokens);
    activity = {{"events_per_token", static_cast<double>(c.total.events_out) / t},
                {"sops_per_token", static_cast<double>(c.total.synaptic_ops) / t},
                {"activation_sparsity", 1.0 - static_cast<double>(c.total.events_out) / static_cast<double>(c.activation_codes)},
                {"tile_deliveries_per_token", static_cast<double>(c.total.events_in) / t},
                {"sram_words_per_token", static_cast<double>(c.total.sram_words) / t},
                {"neuron_ops_per_token", static_cast<double>(c.total.neuron_ops) / t},
                {"values_moved_per_token", static_cast<double>(c.total.values_out) / t},
                {"flit_hops_per_token", static_cast<double>(c.flit_hops) / t},
                {"tokens_cross_checked", sback->tokens_cross_checked()}};
    if (sback->energy_table() != nullptr && sback->chip() != nullptr) {
      // Dynamic energy from the action counts (Accelergy style); no leakage without time.
      const nc::EnergyBreakdown e =
          nc::energy(ns::action_counts(c, *sback->chip()), *sback->energy_table(), *sback->chip());
      nlohmann::json by = nlohmann::json::object();
      for (const auto& [action, pj] : e.pj) by[action] = pj / t;
      activity["dynamic_energy_per_token_pj"] = e.total_pj / t;
      activity["dynamic_energy_breakdown_pj_per_token"] = by;
      activity["energy_table"] = sback->energy_table()->name + " at " + std::to_string(sback->energy_table()->node_nm) + " nm";
    }
    if (timing != nullptr && timing->timing().cycles > 0) {
      const double cyc = static_cast<double>(timing->timing().cycles) / t;
      activity["cycles_per_token"] = cyc;
      activity["tokens_per_s_chip"] = timing->timing().clock_hz / cyc;
      if (sback->energy_table() != nullptr) {
        const double leak_pj = cyc * static_cast<double>(sback->chip()->total_cores()) * sback->energy_table()->pj("leakage_core_cycle");
        activity["leakage_energy_per_token_pj"] = leak_pj;
        activity["energy_per_token_j"] = (activity["dynamic_energy_per_token_pj"].get<double>() + leak_pj) * 1e-12;
      }
    }
  }
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
    std::cout << fmt::format("{}     {}\ntext      {}\nbackend   {}\nbpb       {:.4f} bits/byte\n"
                             "bytes     {} predicted (every byte after the first; state carried "
                             "across the whole text)\n"
                             "speed     {:.0f} tokens/s ({:.1f} s)\n",
                             src.image_path.empty() ? "model" : "image", model_dir, text_path, backend, r.bits_per_byte, r.bytes,
                             r.tokens_per_s, r.seconds);
    if (activity.contains("weight_sparsity"))
      std::cout << fmt::format("activity  {:.0f} events/token, {:.0f} synaptic ops/token, activation "
                               "sparsity {:.1f} %, weight sparsity {:.1f} %\n",
                               activity["events_per_token"].get<double>(), activity["sops_per_token"].get<double>(),
                               100 * activity["activation_sparsity"].get<double>(),
                               100 * activity["weight_sparsity"].get<double>());
    else if (activity.contains("flit_hops_per_token"))
      std::cout << fmt::format("activity  {:.0f} events/token ({:.0f} tile deliveries), {:.0f} synaptic ops/token, "
                               "activation sparsity {:.1f} %\n"
                               "chip      {:.0f} SRAM words, {:.0f} neuron-unit ops, {:.0f} values moved, "
                               "{:.0f} NoC flit-hops (events, values, host) per token\n",
                               activity["events_per_token"].get<double>(), activity["tile_deliveries_per_token"].get<double>(),
                               activity["sops_per_token"].get<double>(), 100 * activity["activation_sparsity"].get<double>(),
                               activity["sram_words_per_token"].get<double>(), activity["neuron_ops_per_token"].get<double>(),
                               activity["values_moved_per_token"].get<double>(), activity["flit_hops_per_token"].get<double>());
    if (activity.contains("cycles_per_token"))
      std::cout << fmt::format("timing    {:.0f} cycles/token = {:.3g} tokens/s at {:.0f} MHz (SystemC model, tokens one "
                               "after the other){}\n",
                               activity["cycles_per_token"].get<double>(), activity["tokens_per_s_chip"].get<double>(),
                               sback->chip()->clock_hz / 1e6,
                               src.image_path.empty() || !src.model_dir.empty() ? "; cross-checked against int on every token"
                                                                                 : "; not cross-checked (add --model to check)");
    if (activity.contains("dynamic_energy_per_token_pj")) {
      std::vector<std::pair<double, std::string>> parts;
      for (const auto& [action, pj] : activity["dynamic_energy_breakdown_pj_per_token"].items())
        parts.emplace_back(-pj.get<double>(), action);
      std::sort(parts.begin(), parts.end());
      const double total = activity["dynamic_energy_per_token_pj"].get<double>();
      std::string top;
      for (std::size_t i = 0; i < parts.size() && i < 4; ++i)
        top += fmt::format("{}{} {:.0f} %", i ? ", " : "", parts[i].second, -100.0 * parts[i].first / total);
      if (activity.contains("energy_per_token_j"))
        std::cout << fmt::format("energy    {:.1f} nJ/token ({:.1f} dynamic + {:.1f} leakage; {}): {}\n",
                                 activity["energy_per_token_j"].get<double>() * 1e9, total / 1000.0,
                                 activity["leakage_energy_per_token_pj"].get<double>() / 1000.0,
                                 activity["energy_table"].get<std::string>(), top);
      else
        std::cout << fmt::format("energy    {:.1f} nJ/token dynamic ({}; no leakage: the func backend has no time): {}\n",
                                 total / 1000.0, activity["energy_table"].get<std::string>(), top);
    }
  }
  return 0;
}

int cmd_generate(const ModelSource& src, const std::string& prompt, int64_t n, double temperature, int64_t seed) {
  if (prompt.empty()) throw Error("--prompt: empty, expected at least one byte of text");
  if (n < 0 || n > kMaxNewTokens)
    throw Error(fmt::format("--max-new-tokens: {} is out of range, expected 0 to {}", n, kMaxNewTokens));
  if (!std::isfinite(temperature) || temperature < 0.0)
    throw Error(fmt::format("--temperature: {} is not valid, expected a finite number >= 0 (0 = greedy)", temperature));
  if (seed < 0) throw Error(fmt::format("--seed: {} is negative, expected 0 to 2^63-1", seed));
  auto lm = open_model(src);
  if (lm->vocab_size() < 256)
    throw Error(fmt::format("{}: vocab_size is {}, expected at least 256 (prompts are bytes)",
                            src.image_path.empty() ? src.model_dir : src.image_path, lm->vocab_size()));
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
  const nc::ChipDescription chip = nc::ChipDescription::from_file(chip_path);
  ncc::CompileOptions opt;
  opt.stop_after = "place";
  ncc::Graph g;
  try {
    g = ncc::compile_graph(open_checkpoint(model_dir), chip, read_file(chip_path), opt);
  } catch (const Error& e) {
    // With --json, a refusal is a result too: {"fits": false, "error": ...} (and exit 1).
    if (json && std::string(e.what()).find("does not fit") != std::string::npos)
      std::cout << nlohmann::json{{"model", model_dir}, {"chip", chip.name}, {"fits", false}, {"error", e.what()}}.dump()
                << "\n";
    throw;
  }
  int64_t weight_bytes = 0, dram_bytes = 0;
  std::vector<int64_t> core_bytes(static_cast<std::size_t>(chip.total_cores()), 0);
  for (const ncc::Tile& t : g.tiles) {
    weight_bytes += t.weight_bytes;
    if (t.in_dram) dram_bytes += t.weight_bytes;
    else core_bytes[static_cast<std::size_t>(t.core)] += t.weight_bytes;
  }
  int64_t cores_used = 0;
  for (int64_t u : core_bytes) cores_used += u > 0;
  if (json) {
    nlohmann::json tiles = nlohmann::json::array();
    for (const ncc::Tile& t : g.tiles)
      tiles.push_back({{"bitlinear", g.ops[static_cast<std::size_t>(t.op)].name}, {"rows", {t.row_begin, t.row_end}},
                       {"bytes", t.weight_bytes}, {"core", t.core}, {"in_dram", t.in_dram}});
    std::cout << nlohmann::json{{"model", model_dir}, {"chip", chip.name}, {"fits", true},
                                {"weight_bytes", weight_bytes}, {"dram_bytes", dram_bytes},
                                {"cores_used", cores_used}, {"cores", chip.total_cores()},
                                {"core_bytes_used", core_bytes}, {"tiles", tiles}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << fmt::format("model {} fits chip '{}' ({}): {} bytes of {} ternary weights on {} of {} "
                           "neurocores ({} bytes of synapse SRAM each){}\n",
                           model_dir, chip.name, chip_path, weight_bytes,
                           nc::to_string(chip.core.weight_encoding), cores_used, chip.total_cores(),
                           chip.core.synapse_sram_bytes,
                           dram_bytes > 0 ? fmt::format(", {} bytes streamed from DRAM", dram_bytes) : "");
  std::cout << fmt::format("{:<28} {:>6} {:>12} {:>10}  {}\n", "bitlinear", "tiles", "rows/tile", "bytes", "cores");
  for (const ncc::Op& op : g.ops) {
    if (op.kind != nc::OpKind::kBitLinear) continue;
    int64_t bytes = 0, rows = 0;
    std::string cores;
    for (int ti : op.tiles) {
      const ncc::Tile& t = g.tiles[static_cast<std::size_t>(ti)];
      bytes += t.weight_bytes;
      rows = std::max(rows, t.row_end - t.row_begin);
      cores += (cores.empty() ? "" : ",") + std::to_string(t.core) + (t.in_dram ? "(DRAM)" : "");
    }
    std::cout << fmt::format("{:<28} {:>6} {:>12} {:>10}  {}\n", op.name, op.tiles.size(), rows, bytes, cores);
  }
  std::cout << "synapse SRAM used per neurocore (bytes):";
  for (int64_t u : core_bytes) std::cout << ' ' << u;
  std::cout << "\n";
  return 0;
}

// -o must name a new or existing regular file that is none of the inputs.
void check_output_path(const std::string& out, const std::string& model_dir, const std::string& chip_path) {
  namespace fs = std::filesystem;
  if (out.empty()) throw Error("-o: empty path, expected the image file to write");
  std::error_code ec;
  if (fs::is_directory(out, ec)) throw Error(fmt::format("-o {}: is a directory, expected a file path", out));
  if (!fs::exists(out, ec)) return;
  if (!fs::is_regular_file(out, ec)) throw Error(fmt::format("-o {}: exists and is not a regular file", out));
  std::vector<fs::path> inputs = {chip_path};
  for (const auto& e : fs::directory_iterator(model_dir, ec)) inputs.push_back(e.path());
  for (const fs::path& in : inputs)
    if (fs::equivalent(out, in, ec))
      throw Error(fmt::format("-o {}: is an input ({}); the image must go to another file", out, in.string()));
}

int cmd_compile(const std::string& model_dir, const std::string& chip_path, const std::string& out,
                const std::string& dump_dir, const std::vector<std::string>& dump_after, int64_t seed) {
  if (seed < 0) throw Error(fmt::format("--seed: {} is negative, expected 0 to 2^63-1", seed));
  check_output_path(out, model_dir, chip_path);
  const nc::ChipDescription chip = nc::ChipDescription::from_file(chip_path);
  ncc::CompileOptions opt;
  opt.seed = static_cast<uint64_t>(seed);
  opt.dump_dir = dump_dir;
  opt.dump_after = dump_after;
  opt.dump_stream = [](const std::string& text) { std::cout << text << std::flush; };
  opt.log = [](const std::string& line) { std::cerr << line << "\n"; };
  std::string names;
  for (const std::string& n : ncc::pipeline_names()) names += (names.empty() ? "" : " -> ") + n;
  std::cerr << "pipeline: " << names << "\n";
  const auto t0 = std::chrono::steady_clock::now();
  const ncc::Graph g = ncc::compile_graph(open_checkpoint(model_dir), chip, read_file(chip_path), opt);
  const auto t1 = std::chrono::steady_clock::now();
  const uint64_t bytes = ncc::emit(g, out);
  const auto t2 = std::chrono::steady_clock::now();
  std::cerr << fmt::format("  {:<10} {:7.2f} s\n", "emit", std::chrono::duration<double>(t2 - t1).count());
  const bool dump_emit = std::find(dump_after.begin(), dump_after.end(), "emit") != dump_after.end();
  if (!dump_dir.empty() || dump_emit) {
    const std::string summary = inspect_text(nc::Image::open(out));
    if (dump_emit) std::cout << summary;
    if (!dump_dir.empty()) {
      std::ofstream f(fmt::format("{}/{:02d}-emit.txt", dump_dir, ncc::pipeline_names().size() - 1), std::ios::binary);
      f << summary;
    }
  }
  int64_t cores_used = 0;
  std::vector<bool> used(static_cast<std::size_t>(chip.total_cores()), false);
  for (const ncc::Tile& t : g.tiles) used[static_cast<std::size_t>(t.core)] = true;
  for (bool u : used) cores_used += u;
  std::cerr << fmt::format("wrote {}: {} bytes, {} tiles on {} of {} neurocores, {} flows, {} phases per token ({:.1f} s)\n",
                           out, bytes, g.tiles.size(), cores_used, chip.total_cores(), g.flows.size(),
                           g.schedule.size(), std::chrono::duration<double>(t2 - t0).count());
  return 0;
}

int cmd_inspect(const std::string& image_path, bool json) {
  const nc::Image img = nc::Image::open(image_path);
  if (json) {
    nlohmann::json m = img.manifest();
    m["chip"].erase("text");
    std::cout << nlohmann::json{{"image", image_path}, {"bytes", img.file_bytes()}, {"checksum", fmt::format("{:016x}", img.checksum())},
                                {"summary", inspect_summary(img)}}.dump() << "\n";
    return 0;
  }
  std::cout << inspect_text(img);
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

#ifdef NEURARK_HAVE_RTL
// The Verilated RTL neurocore behind the SystemC model's co-simulation hook (--rtl-cores).
class RtlCoreCosim final : public ns::CoreCosim {
 public:
  explicit RtlCoreCosim(const nc::ChipDescription& chip) : core_(chip) {}
  std::string name() const override { return core_.name(); }
  void load_tile(int tile, const std::vector<uint8_t>& memory, int64_t rows, int64_t k) override {
    core_.load_tile(tile, memory, rows, k);
  }
  std::vector<int64_t> run_events(int tile, const std::vector<std::pair<int64_t, int8_t>>& events) override {
    return core_.run_events(tile, events);
  }
  std::vector<int32_t> take_accumulators(int tile) override { return core_.take_accumulators(tile); }

 private:
  neurark::rtl::NeurocoreSim core_;
};
#endif

extern const char* const kNeurarkAreaJson;  // rtl/area.json, compiled in (tools/CMakeLists.txt)

// The report's area section: the RTL blocks' Yosys cell counts (docs/rtl-area.md), and what a
// chip of `cores` neurocores (datapath blocks + router each) adds up to.
nlohmann::json area_section(const nc::ChipDescription& chip) {
  nlohmann::json blocks = nlohmann::json::parse(kNeurarkAreaJson, nullptr, false);
  if (blocks.is_discarded() || !blocks.is_array() || blocks.empty()) return nullptr;
  int64_t per_core = 0, per_core_tr = 0;
  for (const auto& b : blocks)
    if (b.at("block") != "neurocore") {  // the top is the sum of its parts, counted once
      per_core += b.at("cells").get<int64_t>();
      per_core_tr += b.at("transistors_estimate").get<int64_t>();
    }
  const int64_t cores = chip.total_cores();
  return {{"source", "scripts/rtl-area.sh: Yosys synth -flatten, generic gates, SRAM and LUT macros as black boxes"},
          {"parameters", "the default chip's (arch/chips/default-4x4.yaml), not necessarily this chip's"},
          {"blocks", blocks},
          {"cells_per_neurocore", per_core},
          {"transistors_per_neurocore_estimate", per_core_tr},
          {"neurocores", cores},
          {"chip_cells", per_core * cores},
          {"chip_transistors_estimate", per_core_tr * cores}};
}

// Side files of a run in progress (event trace, waveform) and their folder, removed by the
// signal handler (async-signal-safe: fixed buffers, unlink and rmdir only).
constexpr int kSideFiles = 4;
char g_side_file[kSideFiles][1024] = {};
char g_side_dir[1024] = {};
void register_side_file(int i, const std::string& path) {
  if (path.size() < sizeof g_side_file[i]) std::memcpy(g_side_file[i], path.c_str(), path.size() + 1);
}
void remove_run_side_files() noexcept {
  for (auto& f : g_side_file)
    if (f[0] != '\0') ::unlink(f);
  if (g_side_dir[0] != '\0') ::rmdir(g_side_dir);
}

// The main job: a prompt through the chip model, then generation, with a report folder.
int cmd_run(const std::string& model_dir, const std::string& chip_path, const std::string& prompt_arg, bool prompt_given,
            const std::string& trace_path, int64_t max_new, const std::string& out_arg, const std::string& backend,
            const std::string& trace_out, const std::string& record_core, const std::string& vcd_core,
            const std::vector<std::string>& rtl_cores, bool trace_given, bool out_given, bool record_given) {
  namespace fs = std::filesystem;
  if (prompt_given && trace_given) throw Error("--prompt and --trace: give one of them (the prompt's text, or a file holding it)");
  if (out_given && out_arg.empty()) throw Error("--out: empty, expected a folder path");
  if (record_given && record_core.empty()) throw Error("--record-core: empty, expected X,Y");
  // "X,Y": a neurocore by its mesh coordinates (checked against the chip once it is read).
  const auto parse_xy = [](const std::string& opt, const std::string& v) {
    int x = -1, y = -1;
    char extra = 0;
    if (std::sscanf(v.c_str(), "%d,%d%c", &x, &y, &extra) != 2 || x < 0 || y < 0)
      throw Error(fmt::format("{} {}: expected X,Y (a neurocore's mesh coordinates, e.g. 1,2)", opt, v));
    return std::pair<int, int>{x, y};
  };
  std::pair<int, int> rec_xy{-1, -1}, vcd_xy{-1, -1};
  if (!record_core.empty()) rec_xy = parse_xy("--record-core", record_core);
  if (!vcd_core.empty()) vcd_xy = parse_xy("--vcd", vcd_core);
  for (const auto& [opt, path] : {std::pair<std::string, std::string>{"--model", model_dir}, {"--chip", chip_path}})
    if (!fs::exists(path))
      throw Error(fmt::format("{} {}: does not exist (the defaults are relative to the repository root: run from there, "
                              "or pass {})", opt, path, opt));
  if (max_new < 2 || max_new > 100000)
    throw Error(fmt::format("--max-new-tokens: {} is out of range, expected 2 to 100000 (the first generated token comes "
                            "from the prompt's logits; generation is timed on the tokens fed back)", max_new));
  std::string prompt = prompt_arg;
  if (prompt_given && prompt.empty()) throw Error("--prompt: empty, expected at least one byte of text");
  if (!prompt_given) {
    if (!fs::is_regular_file(trace_path)) throw Error(fmt::format("--trace {}: not a readable file", trace_path));
    prompt = read_file(trace_path);
    if (prompt.empty()) throw Error(fmt::format("--trace {}: empty, expected at least one byte of text", trace_path));
  }
  const std::string run_id = [] {
    const std::time_t now = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&now));
    return fmt::format("{}-{}", buf, ::getpid());
  }();
  // The folder's own path, without a trailing separator ("DIR/" names DIR).
  std::string out_trim = out_arg;
  while (out_trim.size() > 1 && out_trim.back() == '/') out_trim.pop_back();
  const std::string out = out_arg.empty() ? "reports/runs/" + run_id : fs::path(out_trim).lexically_normal().string();
  if (out.empty() || out == "/" || fs::path(out).filename().empty() || fs::path(out).filename() == "." ||
      fs::path(out).filename() == "..")
    throw Error(fmt::format("--out {}: expected a folder path (a new or empty folder)", out_arg));
  std::error_code ec;
  if (fs::exists(out, ec) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec)))
    throw Error(fmt::format("--out {}: exists and is not an empty folder; each run writes its own folder", out));
  // Where the report (and the trace) will go must be writable before any work is done.
  const auto check_writable_parent = [&](const std::string& opt, const std::string& path, bool mkdirs) {
    fs::path parent = fs::path(path).parent_path();
    if (parent.empty()) parent = ".";
    while (mkdirs && !fs::exists(parent, ec) && parent.has_parent_path() && parent != parent.parent_path())
      parent = parent.parent_path();  // run creates missing folders of --out
    if (!fs::is_directory(parent, ec) || ::access(parent.c_str(), W_OK) != 0)
      throw Error(fmt::format("{} {}: cannot write into {} (not a writable folder)", opt, path, parent.string()));
  };
  check_writable_parent("--out", out, true);
  if (!trace_out.empty()) {
    if (fs::is_directory(trace_out, ec))
      throw Error(fmt::format("--trace-out {}: is a folder, expected a file path for the JSON trace", trace_out));
    check_writable_parent("--trace-out", trace_out, false);
  }
  std::cerr << fmt::format("run: compiling {} for {} ...\n", model_dir, chip_path);
  ns::SystemCBackend* timing = nullptr;
  ModelSource src{model_dir, backend, chip_path, ""};
  src.check_func = true;
  int64_t flows = 0;
  std::vector<std::pair<int, int>> rtl_xy;  // --rtl-cores X,Y ...; empty with "all"
  const bool rtl_all = rtl_cores.size() == 1 && rtl_cores[0] == "all";
  if (!rtl_cores.empty()) {
#ifndef NEURARK_HAVE_RTL
    throw Error("--rtl-cores: this build has no RTL (configure with -DNEURARK_BUILD_RTL=ON; needs Verilator)");
#endif
    if (backend != "systemc") throw Error("--rtl-cores: needs --backend systemc (the RTL runs inside the SystemC model)");
    if (!rtl_all)
      for (const std::string& v : rtl_cores) rtl_xy.push_back(parse_xy("--rtl-cores", v));
  }
  src.on_image = [&](const nc::Image& img) {
    flows = static_cast<int64_t>(img.manifest().at("flows").size());
    if (rec_xy.first >= 0) {
      const int64_t gw = nc::ChipDescription::from_yaml_text(img.manifest().at("chip").at("text").get<std::string>(), chip_path)
                             .mesh_width;
      bool holds = false;
      for (const auto& e : img.manifest().at("cores")) holds |= e.at("core").get<int64_t>() == rec_xy.second * gw + rec_xy.first;
      if (!holds && rec_xy.first < gw)
        std::cerr << fmt::format("run: warning: --record-core {}: this neurocore holds no tiles; its trace will have no "
                                 "events (`neurark inspect` shows which cores hold tiles)\n", record_core);
    }
    if (rtl_cores.empty()) return;
#ifdef NEURARK_HAVE_RTL
    const nc::ChipDescription c =
        nc::ChipDescription::from_yaml_text(img.manifest().at("chip").at("text").get<std::string>(), chip_path);
    const int64_t gw = c.mesh_width * c.multichip.chips_x, gh = c.mesh_height * c.multichip.chips_y;
    std::vector<int> cores, used;
    for (const auto& e : img.manifest().at("cores")) used.push_back(e.at("core").get<int>());
    if (rtl_all) cores = used;
    for (const auto& [x, y] : rtl_xy) {
      if (x >= gw || y >= gh)
        throw Error(fmt::format("--rtl-cores {},{}: outside the {} x {} mesh of chip '{}'", x, y, gw, gh, c.name));
      const int core = static_cast<int>(y * gw + x);
      if (std::find(used.begin(), used.end(), core) == used.end())
        throw Error(fmt::format("--rtl-cores {},{}: neurocore {} holds no tiles on this chip (nothing to co-simulate); "
                                "`neurark inspect` shows which cores hold tiles", x, y, core));
      cores.push_back(core);
    }
    for (int core : cores) src.systemc.cosim_cores[core] = std::make_shared<RtlCoreCosim>(c);
#endif
  };
  const bool timed = backend == "systemc";
  if (!timed && !trace_out.empty()) throw Error("--trace-out: needs --backend systemc (the func backend has no time)");
  if (!timed && !vcd_core.empty()) throw Error("--vcd: needs --backend systemc (the func backend has no time)");
  // Side files (event trace, waveform) are written next to the report's temporary folder and
  // moved into the report folder with it.
  const fs::path side = fs::temp_directory_path() / fmt::format("neurark-run-{}", ::getpid());
  std::vector<std::pair<std::string, std::string>> extra_files;
  std::unique_ptr<ns::CoreEventRecorder> recorder;
  struct SideCleanup {
    fs::path dir;
    ~SideCleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } side_cleanup{side};
  if (rec_xy.first >= 0 || vcd_xy.first >= 0) {
    fs::create_directories(side);
    if (side.string().size() < sizeof g_side_dir) std::memcpy(g_side_dir, side.c_str(), side.string().size() + 1);
  }
  if (rec_xy.first >= 0) {
    const std::string name = fmt::format("events-core-{}-{}.jsonl", rec_xy.first, rec_xy.second);
    src.probe_for = [&, name](const nc::Image& img) -> ns::EventProbe* {
      recorder = std::make_unique<ns::CoreEventRecorder>(img, nc::Program::from_image(img), rec_xy.first, rec_xy.second, (side / name).string(),
                                                         fmt::format("compiled from {} for {}", model_dir, chip_path));
      return recorder.get();
    };
    extra_files.emplace_back((side / name).string(), name);
    register_side_file(0, (side / name).string());
    register_side_file(1, (side / name).string() + ".tmp");
  }
  if (vcd_xy.first >= 0) {
    const nc::ChipDescription c = nc::ChipDescription::from_file(chip_path);
    const int64_t gw = c.mesh_width * c.multichip.chips_x, gh = c.mesh_height * c.multichip.chips_y;
    if (vcd_xy.first >= gw || vcd_xy.second >= gh)
      throw Error(fmt::format("--vcd {}: outside the {} x {} mesh of chip '{}'", vcd_core, gw, gh, c.name));
    const std::string name = fmt::format("core-{}-{}.vcd", vcd_xy.first, vcd_xy.second);
    src.systemc.vcd_core = static_cast<int>(vcd_xy.second * gw + vcd_xy.first);
    src.systemc.vcd_path = (side / name).string();
    extra_files.emplace_back((side / name).string(), name);
    register_side_file(2, (side / name).string());
  }
  auto lm = open_model(src, &timing);
  auto* be = dynamic_cast<ns::Backend*>(lm.get());
  if (be == nullptr || be->chip() == nullptr || (timed && timing == nullptr)) throw std::logic_error("run: not a chip backend");
  const nc::ChipDescription& chip = *be->chip();
  std::vector<int32_t> toks;
  for (unsigned char c : prompt) toks.push_back(c);
  for (std::size_t i = 0; i < toks.size(); ++i)
    if (toks[i] >= lm->vocab_size())
      throw Error(fmt::format("{}: byte {} (value {}) is outside the model's vocabulary of {} tokens (vocab_size in {}/config.json); "
                              "this model reads bytes below {}", prompt_given ? "--prompt" : "--trace " + trace_path, i, toks[i],
                              lm->vocab_size(), model_dir, lm->vocab_size()));
  for (std::size_t i = 0; i < toks.size(); ++i)
    if (toks[i] >= lm->vocab_size())
      throw Error(fmt::format("{}: byte {} (value {}) is outside the model's vocabulary of {} tokens (vocab_size in {}/config.json); "
                              "this model reads bytes below {}", prompt_given ? "--prompt" : "--trace " + trace_path, i, toks[i],
                              lm->vocab_size(), model_dir, lm->vocab_size()));
  std::cerr << fmt::format("run: {} prompt tokens through the {} model (checked against int on every token)\n", toks.size(), backend);
  // The prompt is known: it flows through the layer pipeline with several tokens in flight.
  std::vector<float> logits;
  if (!trace_out.empty()) timing->record_spans(true);
  if (timed) timing->begin_prefill();
  for (std::size_t i = 0; i < toks.size(); ++i) {
    lm->step(toks[i], logits);
    if ((i + 1) % 100 == 0 || i + 1 == toks.size())
      std::cerr << fmt::format("\rrun: {}/{} prompt tokens computed and checked", i + 1, toks.size()) << std::flush;
  }
  std::cerr << (timed ? ", timing the pipeline ...\n" : "\n");
  if (timed) timing->end_prefill();
  const ns::Counters at_prefill = be->counters();
  // Generation: greedy (argmax, lowest index on ties), each token fed back when chosen.
  std::string generated;
  for (int64_t i = 0; i < max_new; ++i) {
    const auto next = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    generated.push_back(static_cast<char>(next < 256 ? next : '?'));
    std::cerr << fmt::format("\rrun: {} prompt tokens, {}/{} generated", toks.size(), generated.size(), max_new) << std::flush;
    if (i + 1 < max_new) lm->step(next, logits);
  }
  std::cerr << "\n";
  // The last generated token was chosen but not fed: counters and cycles cover prompt + (N - 1).
  const ns::Counters& end = be->counters();
  if (timed && static_cast<int64_t>(timing->timing().token_cycles.size()) != end.tokens)
    throw std::logic_error(fmt::format("run: {} tokens fed but {} timed", end.tokens, timing->timing().token_cycles.size()));
  const auto np = static_cast<int64_t>(toks.size());
  const int64_t ng = end.tokens - np;  // generated tokens fed back through the model
  const double clock = chip.clock_hz;
  std::vector<int64_t> cyc = timing != nullptr ? timing->timing().token_cycles : std::vector<int64_t>{};
  int64_t prefill_cycles = 0, gen_cycles = 0;
  for (std::size_t i = 0; i < cyc.size(); ++i) (static_cast<int64_t>(i) < np ? prefill_cycles : gen_cycles) += cyc[i];
  const nc::EnergyTable* table = be->energy_table();
  const auto energy_of = [&](const ns::Counters& a, const ns::Counters& b, int64_t cycles) {
    nc::ActionCounts ac = ns::action_counts(ns::counters_delta(a, b), chip);
    ac.core_cycles = static_cast<double>(cycles) * static_cast<double>(chip.total_cores());
    return table != nullptr ? nc::energy(ac, *table, chip) : nc::EnergyBreakdown{};
  };
  const nc::EnergyBreakdown e_pre = energy_of(at_prefill, ns::Counters{}, prefill_cycles);
  const nc::EnergyBreakdown e_gen = energy_of(end, at_prefill, gen_cycles);
  const double gen_tokens = static_cast<double>(std::max<int64_t>(ng, 1));
  nlohmann::json breakdown = nlohmann::json::object();
  for (const auto& [k, pj] : e_gen.pj) breakdown[k] = pj * 1e-12 / gen_tokens;
  const double t = static_cast<double>(end.tokens);
  const int64_t all_cycles = prefill_cycles + gen_cycles;
  // Per neurocore: its own actions (and its leakage over the whole run) priced by the table;
  // per link: its flits x (link flit-hop + the router flit that sends it).
  nlohmann::json per_core = nlohmann::json::array();
  const int64_t gw = chip.mesh_width * chip.multichip.chips_x;
  for (std::size_t c = 0; c < end.per_core.size(); ++c) {
    const int64_t busy = timing != nullptr ? timing->timing().core_busy_cycles[c] : 0;
    nc::ActionCounts ac = ns::core_action_counts(end.per_core[c], chip);
    ac.core_cycles = static_cast<double>(all_cycles);
    const double core_j = table != nullptr ? nc::energy(ac, *table, chip).total_pj * 1e-12 : 0.0;
    per_core.push_back({{"core", c}, {"x", static_cast<int64_t>(c) % gw}, {"y", static_cast<int64_t>(c) / gw},
                        {"busy_cycles", busy}, {"utilization", all_cycles > 0 ? static_cast<double>(busy) / static_cast<double>(all_cycles) : 0.0},
                        {"synaptic_ops", end.per_core[c].synaptic_ops}, {"events_in", end.per_core[c].events_in},
                        {"events_out", end.per_core[c].events_out}, {"sram_words", end.per_core[c].sram_words},
                        {"dram_words", end.per_core[c].dram_words}, {"neuron_ops", end.per_core[c].neuron_ops},
                        {"energy_j", core_j}, {"energy_per_token_j", core_j / t}});
  }
  nlohmann::json per_link = nlohmann::json::array();
  static const char* const kDir[] = {"east", "west", "south", "north"};
  const double flit_hop_pj = table != nullptr ? table->pj("link_flit_hop") + table->pj("router_flit") : 0.0;
  for (std::size_t l = 0; l < end.link_flits.size(); ++l)
    if (end.link_flits[l] > 0) {
      const int64_t from = static_cast<int64_t>(l / 4);
      const int64_t dx = l % 4 == 0 ? 1 : l % 4 == 1 ? -1 : 0, dy = l % 4 == 2 ? 1 : l % 4 == 3 ? -1 : 0;
      per_link.push_back({{"from_core", from}, {"to_core", from + dy * gw + dx}, {"direction", kDir[l % 4]},
                          {"flits", end.link_flits[l]}, {"flits_per_token", static_cast<double>(end.link_flits[l]) / t},
                          {"load", all_cycles > 0 ? static_cast<double>(end.link_flits[l]) / static_cast<double>(all_cycles) : 0.0},
                          {"energy_j", static_cast<double>(end.link_flits[l]) * flit_hop_pj * 1e-12}});
    }
  double links_j = 0.0;
  for (const auto& l : per_link) links_j += l.at("energy_j").get<double>();
  const double injection_j = table != nullptr ? static_cast<double>(end.flits) * table->pj("router_flit") * 1e-12 : 0.0;
  std::vector<double> latency;
  for (int64_t c : cyc) latency.push_back(static_cast<double>(c) / clock);
  const double gen_cpt = ng > 0 ? static_cast<double>(gen_cycles) / static_cast<double>(ng) : 0.0;
  const double pre_cpt = np > 0 ? static_cast<double>(prefill_cycles) / static_cast<double>(np) : 0.0;
  // Co-simulated neurocores: the RTL's cycles next to the cycle-approximate model's.
  nlohmann::json rtl_cosim = nullptr;
  if (timed && !timing->timing().cosim.empty()) {
    nlohmann::json cores = nlohmann::json::array();
    int64_t rtl_total = 0, model_total = 0, events_total = 0;
    for (const ns::CosimCycles& c : timing->timing().cosim) {
      rtl_total += c.cosim_cycles;
      model_total += c.model_cycles;
      events_total += c.events;
      cores.push_back({{"core", c.core}, {"x", c.core % gw}, {"y", c.core / gw}, {"implementation", c.implementation},
                       {"events", c.events}, {"rtl_cycles", c.cosim_cycles}, {"model_cycles", c.model_cycles},
                       {"difference_pct", c.model_cycles > 0 ? 100.0 * static_cast<double>(c.model_cycles - c.cosim_cycles) /
                                                                   static_cast<double>(c.cosim_cycles > 0 ? c.cosim_cycles : 1)
                                                             : 0.0},
                       {"accumulator_checks", c.accumulator_checks}});
    }
    rtl_cosim = {{"what", "the neurocores' events phases (lane array) run on the Verilated RTL; cycles summed over events"},
                 {"cores", cores}, {"events", events_total}, {"rtl_cycles", rtl_total}, {"model_cycles", model_total},
                 {"difference_pct", rtl_total > 0 ? 100.0 * static_cast<double>(model_total - rtl_total) / static_cast<double>(rtl_total) : 0.0}};
  }
  // Time figures exist only for the timed (SystemC) backend: null otherwise.
  const auto when_timed = [&](double v) { return timed ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json report = {
      {"format", "neurark-run-report"}, {"version", 1}, {"run_id", run_id}, {"backend", backend},
      {"model", model_dir}, {"prompt_tokens", np}, {"generated_text", generated},
      {"chip", {{"name", chip.name}, {"file", chip_path}, {"mesh", {gw, chip.mesh_height * chip.multichip.chips_y}},
                {"clock_hz", clock}, {"technology_node_nm", chip.technology_node_nm},
                {"energy_table", table != nullptr ? table->name : ""}}},
      {"tokens", end.tokens},
      {"timed", timed},
      {"cycles_per_token", when_timed(gen_cpt)},
      {"tokens_per_s", when_timed(gen_cpt > 0 ? clock / gen_cpt : 0.0)},
      {"energy_per_token_j", e_gen.total_pj * 1e-12 / gen_tokens},
      {"prefill_tokens_per_s", when_timed(pre_cpt > 0 ? clock / pre_cpt : 0.0)},
      {"prefill_energy_per_token_j", np > 0 ? e_pre.total_pj * 1e-12 / static_cast<double>(np) : 0.0},
      {"time_to_first_token_s", when_timed(static_cast<double>(prefill_cycles) / clock)},
      {"latency_per_token_s", when_timed(gen_cpt / clock)},
      {"power_w", when_timed(all_cycles > 0 ? (e_pre.total_pj + e_gen.total_pj) * 1e-12 / (static_cast<double>(all_cycles) / clock) : 0.0)},
      {"sops_per_token", static_cast<double>(end.total.synaptic_ops) / t},
      {"events_per_token", static_cast<double>(end.total.events_out) / t},
      {"activation_sparsity", 1.0 - static_cast<double>(end.total.events_out) / static_cast<double>(end.activation_codes)},
      {"weight_sparsity", static_cast<double>(end.total.synaptic_skips) /
                              static_cast<double>(std::max<int64_t>(1, end.total.synaptic_skips + end.total.synaptic_ops))},
      {"energy_breakdown_j", breakdown},
      {"prefill", {{"tokens", np}, {"cycles", when_timed(static_cast<double>(prefill_cycles))},
                   {"tokens_per_s", when_timed(pre_cpt > 0 ? clock / pre_cpt : 0.0)},
                   {"energy_per_token_j", np > 0 ? e_pre.total_pj * 1e-12 / static_cast<double>(np) : 0.0},
                   {"pipelined", timed}}},
      {"generation", {{"tokens", ng}, {"cycles", when_timed(static_cast<double>(gen_cycles))},
                      {"tokens_per_s", when_timed(gen_cpt > 0 ? clock / gen_cpt : 0.0)},
                      {"energy_per_token_j", e_gen.total_pj * 1e-12 / gen_tokens}}},
      {"per_core", per_core},
      {"per_link", per_link},
      {"network", {{"event_flits", nc::packet_flits(nc::event_packet_bits(std::max<int64_t>(1, flows)), chip.noc.link_width_bits)},
                   {"link_queue_cycles", timed ? nlohmann::json(timing->timing().link_queue_cycles) : nlohmann::json(nullptr)},
                   {"fifo_stall_cycles", timed ? nlohmann::json(timing->timing().fifo_stall_cycles) : nlohmann::json(nullptr)},
                   {"cross_stage_link_wait_cycles", timed ? nlohmann::json(timing->timing().link_wait_cycles) : nlohmann::json(nullptr)},
                   // the router each flit enters the mesh through (per_link prices the routers it crosses)
                   {"injection_energy_j", injection_j},
                   {"energy_j", injection_j + links_j}}},
      {"energy_j", (e_pre.total_pj + e_gen.total_pj) * 1e-12},
      {"token_latency_s", latency},
      {"area", area_section(chip)},
      {"rtl_cosim", rtl_cosim},
      {"cross_check", {{"reference", "int"}, {"tokens_compared", be->tokens_cross_checked()},
                       {"mismatches", 0}}}};  // a mismatch stops the run before any report is written
  if (recorder) recorder->finish();
  if (timed) timing->close_waveform();
  neurark::reports::write_run_report(out, report, extra_files);
  if (!trace_out.empty()) {
    // Chrome / Perfetto trace (JSON "X" events, microseconds at the chip clock): one track per
    // pipeline stage, one span per phase of each token.
    nlohmann::json events = nlohmann::json::array();
    int last_stage = 0;
    for (const ns::PhaseSpan& sp : timing->timing().spans) last_stage = std::max(last_stage, sp.stage);
    for (int st = 0; st <= last_stage; ++st)  // track names: the embedding, each layer, the output head
      events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", st},
                        {"args", {{"name", st == 0 ? std::string("embedding")
                                           : st == last_stage ? std::string("head (norm, lm_head, readback)")
                                                              : fmt::format("layer {}", st - 1)}}}});
    for (const ns::PhaseSpan& sp : timing->timing().spans)
      events.push_back({{"name", std::string(nc::to_string(sp.kind)) + " " + sp.op}, {"cat", nc::to_string(sp.kind)}, {"ph", "X"}, {"pid", 1}, {"tid", sp.stage},
                        {"ts", static_cast<double>(sp.start_cycle) / clock * 1e6},
                        {"dur", static_cast<double>(sp.end_cycle - sp.start_cycle) / clock * 1e6},
                        {"args", {{"token", sp.token}, {"cycles", sp.end_cycle - sp.start_cycle}}}});
    const std::string tmp = trace_out + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary);
      f << nlohmann::json{{"traceEvents", events}, {"displayTimeUnit", "ns"}}.dump() << "\n";
      if (!f) throw Error(fmt::format("--trace-out {}: cannot write the trace", trace_out));
    }
    fs::rename(tmp, trace_out);
    std::cerr << fmt::format("run: trace of {} phase spans in {} (open in ui.perfetto.dev or chrome://tracing)\n",
                             events.size(), trace_out);
  }
  std::cout << prompt << generated << "\n\n";
  if (!timed) {
    std::cout << fmt::format(
        "chip        {} ({} x {} neurocores, {} nm); func backend: untimed, dynamic energy only\n"
        "prefill     {} tokens: {:.3f} µJ/token dynamic\n"
        "generation  {} tokens: {:.3f} µJ/token dynamic\n"
        "per token   {:.0f} synaptic ops, {:.0f} events; activation sparsity {:.1f} %, weight sparsity {:.1f} %\n"
        "checked     {} tokens against the integer reference, 0 mismatches\n"
        "report      {}/report.html (and report.json, report.md)\n",
        chip.name, gw, chip.mesh_height * chip.multichip.chips_y, chip.technology_node_nm, np,
        report["prefill_energy_per_token_j"].get<double>() * 1e6, ng, report["energy_per_token_j"].get<double>() * 1e6,
        report["sops_per_token"].get<double>(), report["events_per_token"].get<double>(),
        100 * report["activation_sparsity"].get<double>(), 100 * report["weight_sparsity"].get<double>(),
        report["cross_check"]["tokens_compared"].get<int64_t>(), out);
    return 0;
  }
  std::cout << fmt::format(
      "chip        {} ({} x {} neurocores, {:.0f} MHz, {} nm)\n"
      "prefill     {} tokens: {:.1f} tokens/s, {:.3f} µJ/token, time to first token {:.3f} ms (layers pipelined)\n"
      "generation  {} tokens: {:.1f} tokens/s, {:.2f} µs/token, {:.3f} µJ/token\n"
      "power       {:.2f} mW average\n"
      "per token   {:.0f} synaptic ops, {:.0f} events; activation sparsity {:.1f} %, weight sparsity {:.1f} %\n"
      "checked     {} tokens against the integer reference, 0 mismatches\n"
      "{}"
      "report      {}/report.html (and report.json, report.md)\n",
      chip.name, gw, chip.mesh_height * chip.multichip.chips_y, clock / 1e6, chip.technology_node_nm, np,
      report["prefill_tokens_per_s"].get<double>(), report["prefill_energy_per_token_j"].get<double>() * 1e6,
      report["time_to_first_token_s"].get<double>() * 1e3, ng, report["tokens_per_s"].get<double>(),
      report["latency_per_token_s"].get<double>() * 1e6, report["energy_per_token_j"].get<double>() * 1e6,
      report["power_w"].get<double>() * 1e3, report["sops_per_token"].get<double>(), report["events_per_token"].get<double>(),
      100 * report["activation_sparsity"].get<double>(), 100 * report["weight_sparsity"].get<double>(),
      report["cross_check"]["tokens_compared"].get<int64_t>(),
      rtl_cosim.is_null() ? std::string()
                          : fmt::format("rtl         {} neurocores on the Verilated RTL, accumulators checked: {} RTL cycles, model "
                                        "{} ({:+.2f} %)\n", rtl_cosim["cores"].size(), rtl_cosim["rtl_cycles"].get<int64_t>(),
                                        rtl_cosim["model_cycles"].get<int64_t>(), rtl_cosim["difference_pct"].get<double>()),
      out);
  return 0;
}

// verify-rtl: every RTL block harness (or one), with its vector sources; exit 1 on a mismatch.
int cmd_verify_rtl(const std::string& block, const std::string& trace, int64_t vectors, uint64_t seed, bool json,
                   const std::string& fst, bool block_given) {
#ifndef NEURARK_HAVE_RTL
  (void)block, (void)trace, (void)vectors, (void)seed, (void)json, (void)fst, (void)block_given;
  throw Error("verify-rtl: this build has no RTL harnesses (configure with -DNEURARK_BUILD_RTL=ON; needs Verilator)");
#else
  namespace nr = neurark::rtl;
  if (vectors < 1 || vectors > 100000000) throw Error(fmt::format("--vectors: {} is out of range, expected 1 to 10^8", vectors));
  if (!trace.empty() && !std::filesystem::is_regular_file(trace))
    throw Error(fmt::format("--trace {}: not a readable file (an event trace: neurark run --record-core X,Y)", trace));
  const auto& all = nr::block_harnesses();
  std::string names;
  for (const auto& h : all) names += (names.empty() ? "" : ", ") + h.name;
  if (block_given && block.empty()) throw Error(fmt::format("--block: empty, expected one of {}", names));
  if (!block.empty() && std::none_of(all.begin(), all.end(), [&](const nr::BlockHarness& h) { return h.name == block; }))
    throw Error(fmt::format("--block {}: no such block; the blocks are {}", block, names));
  nr::VerifyOptions opt;
  opt.seed = seed;
  opt.vectors = vectors;
  opt.trace_path = trace;
  opt.fst_path = fst;
  nlohmann::json out = nlohmann::json::array();
  int64_t bad = 0;
  if (!json) std::cout << fmt::format("{:<16} {:<44} {:>10} {:>10} {:>12}\n", "block", "source", "vectors", "mismatches", "cycles");
  for (const auto& h : all) {
    if (!block.empty() && h.name != block) continue;
    std::cerr << fmt::format("verify-rtl: {} ...\n", h.name);
    std::vector<nr::BlockResult> results;
    try {
      results = h.run(opt);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {  // a harness refusing its options (e.g. --fst without FST support)
      throw Error(fmt::format("verify-rtl {}: {}", h.name, e.what()));
    }
    if (!trace.empty() && std::none_of(results.begin(), results.end(), [](const nr::BlockResult& r) {
          return r.source.rfind("trace", 0) == 0;
        }))
      std::cerr << fmt::format("verify-rtl: {} does not replay event traces (lane_array and neurocore do)\n", h.name);
    for (const nr::BlockResult& r : results) {
      bad += r.mismatches;
      out.push_back({{"block", r.block}, {"source", r.source}, {"vectors", r.vectors}, {"mismatches", r.mismatches},
                     {"cycles", r.cycles}, {"first_mismatch", r.first_mismatch}});
      if (!json) {
        std::cout << fmt::format("{:<16} {:<44} {:>10} {:>10} {:>12}\n", r.block, r.source, r.vectors, r.mismatches, r.cycles);
        if (!r.first_mismatch.empty()) std::cout << "  first mismatch: " << r.first_mismatch << "\n";
      }
    }
  }
  if (json) std::cout << nlohmann::json{{"seed", seed}, {"vectors_per_block", vectors}, {"results", out}, {"mismatches", bad}}.dump(2) << "\n";
  else std::cout << fmt::format("{} mismatches (seed {})\n", bad, seed);
  return bad == 0 ? 0 : 1;
#endif
}

// Seeds are integers from 0 to 2^63 - 1, checked on the text (the parser would clamp larger ones).
const CLI::Validator kSeedText(
    [](std::string& s) -> std::string {
      if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
        return "'" + s + "' is not a seed, expected an integer from 0 to 2^63-1 = 9223372036854775807";
      const std::string digits = s.substr(std::min(s.find_first_not_of('0'), s.size()));
      if (digits.size() > 19 || (digits.size() == 19 && digits > "9223372036854775807"))
        return "'" + s + "' is out of range, expected an integer from 0 to 2^63-1 = 9223372036854775807";
      return "";
    },
    "0..2^63-1", "seed");

// SIGINT / SIGTERM / SIGHUP: remove unfinished images, then die of the signal as usual.
extern "C" void on_fatal_signal(int sig) {
  nc::remove_unfinished_images();
  remove_run_side_files();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

int main(int argc, char** argv) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, on_fatal_signal);
  CLI::App app{"neurark: hardware co-design toolkit for MatMul-free (HGRNBit) language models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "neurark 0.1.0");
  if (argc < 2) {
    std::cerr << app.help();
    return 2;
  }

  std::string model_dir, text_path, backend = "int", prompt, chip_path, image_path;
  int64_t max_bytes = 0, max_new = 64, seed = 0;
  bool json = false, progress = false;
  double temperature = 0.0;

  const char* backend_help =
      "float (fp32 reference), int (bit-exact integer reference), func (functional chip backend) or systemc "
      "(cycle-approximate SystemC chip model): the chip backends run --image, or compile --model for --chip on the "
      "fly (systemc is then checked against int on every token)";
  auto* gen = app.add_subcommand("generate", "Generate text from a prompt");
  gen->add_option("--model", model_dir, "Checkpoint folder (config.json + *.safetensors); with --image, the reference "
                                        "every token is checked against");
  gen->add_option("--prompt", prompt, "Prompt text (bytes are tokens)")->required();
  gen->add_option("--max-new-tokens", max_new, "Tokens to generate (0 to 10^7)")->capture_default_str();
  gen->add_option("--backend", backend, backend_help)
      ->check(CLI::IsMember({"float", "int", "func", "systemc"}))->capture_default_str();
  gen->add_option("--chip", chip_path, "func: chip description to compile the model for");
  gen->add_option("--image", image_path, "func, systemc: chip image to run (from neurark compile)");
  gen->add_option("--temperature", temperature, "0 = greedy; > 0 samples from softmax(logits / T)")
      ->capture_default_str();
  gen->add_option("--seed", seed, "Sampling seed, 0 to 2^63-1 (same seed, same text)")->check(kSeedText)->capture_default_str();

  auto* ev = app.add_subcommand("eval", "Bits per byte of a text file, recurrent state carried throughout");
  ev->add_option("--model", model_dir, "Checkpoint folder (config.json + *.safetensors); with --image, the reference "
                                        "every token is checked against");
  ev->add_option("--text", text_path, "Text file (bytes are tokens)")->required();
  ev->add_option("--backend", backend, backend_help)->check(CLI::IsMember({"float", "int", "func", "systemc"}))
      ->capture_default_str();
  ev->add_option("--chip", chip_path, "func: chip description to compile the model for");
  ev->add_option("--image", image_path, "func, systemc: chip image to run (from neurark compile)");
  ev->add_option("--max-bytes", max_bytes, "Evaluate only the first N bytes (0 = all)")->capture_default_str();
  ev->add_flag("--json", json, "Print one JSON object {bpb, bytes, tokens_per_s, ...}");
  ev->add_flag("--progress", progress, "Show progress on stderr even when it is not a terminal");

  auto* fit = app.add_subcommand("fit", "Does a model fit a chip? Partition BitLinears into tiles and pack them "
                                        "onto neurocores (exit 1 with what would make it fit)");
  fit->add_option("--model", model_dir, "Checkpoint folder (config.json + *.safetensors)")->required();
  fit->add_option("--chip", chip_path, "Chip description (YAML, e.g. arch/chips/default-4x4.yaml)")->required();
  fit->add_flag("--json", json, "Print the plan as one JSON object ({\"fits\": false, \"error\": ...} and exit 1 if it does not fit)");

  std::string image_out, dump_dir;
  std::vector<std::string> dump_after;
  int64_t place_seed = 1;
  auto* comp = app.add_subcommand("compile", "Compile a model for a chip into a chip image (pipeline: import -> "
                                             "lower -> fold -> partition -> place -> route -> schedule -> emit)");
  comp->add_option("--model", model_dir, "Checkpoint folder (config.json + *.safetensors)")->required();
  comp->add_option("--chip", chip_path, "Chip description (YAML, e.g. arch/chips/default-4x4.yaml)")->required();
  comp->add_option("-o,--out", image_out, "Image file to write (written atomically)")->required();
  comp->add_option("--dump-dir", dump_dir, "Write the IR after every pass to DIR/NN-PASS.ir");
  comp->add_option("--dump-after", dump_after, "Print the IR after PASS on stdout (repeatable)");
  comp->add_option("--seed", place_seed, "Placement seed, 0 to 2^63-1 (same seed, same image)")->check(kSeedText)->capture_default_str();

  std::string inspect_path;
  auto* insp = app.add_subcommand("inspect", "Summarize a chip image: cores, SRAM per core, routes, events per token");
  insp->add_option("image", inspect_path, "Chip image (from neurark compile)")->required();
  insp->add_flag("--json", json, "Print the summary as one JSON object");

  std::string run_model = "models/zoo/shakespeare-d256-l4", run_chip = "arch/chips/default-4x4.yaml",
              run_trace = "traces/prompts/heldout-400.txt", run_prompt, run_out, run_backend = "systemc";
  int64_t run_new = 32;
  auto* run = app.add_subcommand("run", "The main job: a prompt through the SystemC chip model, then generation; "
                                        "prints tokens/s and J/token and writes a report folder");
  run->add_option("--model", run_model, "Checkpoint folder")->capture_default_str();
  run->add_option("--chip", run_chip, "Chip description")->capture_default_str();
  run->add_option("--prompt", run_prompt, "Prompt text (instead of --trace)");
  run->add_option("--trace", run_trace, "Prompt file (bytes are tokens)")->capture_default_str();
  run->add_option("--max-new-tokens", run_new, "Tokens to generate (greedy)")->capture_default_str();
  run->add_option("--out", run_out, "Report folder (default reports/runs/<run id>)");
  std::string run_trace_out, run_record_core, run_vcd;
  std::vector<std::string> run_rtl_cores;
  run->add_option("--trace-out", run_trace_out, "Also write a Perfetto / Chrome trace (JSON) of every phase on every pipeline stage");
  run->add_option("--record-core", run_record_core,
                  "X,Y: record every event entering and leaving that neurocore into the report folder "
                  "(events-core-X-Y.jsonl, traces/README.md)");
  run->add_option("--rtl-cores", run_rtl_cores, "all | X,Y ...: run these neurocores' synaptic work on the Verilated RTL "
                                                 "neurocore inside the SystemC model (accumulators checked; RTL vs model cycles "
                                                 "in the report)");
  run->add_option("--vcd", run_vcd, "X,Y: write a VCD waveform of that neurocore's interfaces into the report folder (core-X-Y.vcd)");
  run->add_option("--backend", run_backend, "systemc (timed) or func (untimed: counts and dynamic energy); both checked "
                                             "against int on every token")
      ->check(CLI::IsMember({"systemc", "func"}))->capture_default_str();

  std::string vr_block, vr_trace, vr_fst;
  int64_t vr_vectors = 10000;
  uint64_t vr_seed = 1;
  auto* vrtl = app.add_subcommand("verify-rtl", "Run the RTL block harnesses (Verilator) against arch/: per block, vectors "
                                                "compared, mismatches, cycles; exit 1 on any mismatch");
  vrtl->add_option("--block", vr_block, "Only this block (default: all)");
  vrtl->add_option("--trace", vr_trace, "Also replay this event trace (neurark run --record-core; traces/README.md)");
  vrtl->add_option("--vectors", vr_vectors, "Random vectors per block")->capture_default_str();
  vrtl->add_option("--seed", vr_seed, "Seed of the random vectors, 0 to 2^63-1")->check(kSeedText)->capture_default_str();
  vrtl->add_option("--fst", vr_fst, "Write an FST waveform of the block(s) here");
  vrtl->add_flag("--json", json, "Print the results as one JSON object");

  std::string config_path, out_dir, dtype = "BF16";
  auto* syn = app.add_subcommand("synth-checkpoint",
                                 "Write an HF checkpoint with random weights of realistic statistics");
  syn->add_option("--config", config_path, "HF config.json (e.g. models/configs/mmfreelm-370m.json)")->required();
  syn->add_option("-o,--out", out_dir, "Output folder (must not exist or be empty)")->required();
  syn->add_option("--seed", seed, "Random seed, 0 to 2^63-1 (same seed, same bytes)")->check(kSeedText)->capture_default_str();
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
    const ModelSource src{model_dir, backend, chip_path, image_path};
    if (*gen) return cmd_generate(src, prompt, max_new, temperature, seed);
    if (*ev) return cmd_eval(src, text_path, max_bytes, json, progress);
    if (*comp) return cmd_compile(model_dir, chip_path, image_out, dump_dir, dump_after, place_seed);
    if (*insp) return cmd_inspect(inspect_path, json);
    if (*run)
      return cmd_run(run_model, run_chip, run_prompt, run->count("--prompt") > 0, run_trace, run_new, run_out, run_backend,
                     run_trace_out, run_record_core, run_vcd, run_rtl_cores, run->count("--trace") > 0,
                     run->count("--out") > 0, run->count("--record-core") > 0);
    if (*syn) return cmd_synth(config_path, out_dir, seed, dtype);
    if (*vrtl) return cmd_verify_rtl(vr_block, vr_trace, vr_vectors, vr_seed, json, vr_fst, vrtl->count("--block") > 0);
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
