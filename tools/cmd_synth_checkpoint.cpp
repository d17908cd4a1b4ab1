// SPDX-License-Identifier: Apache-2.0
// neurark synth-checkpoint --config CONFIG.json -o DIR [--seed N] [--dtype BF16|F32] [--init trained|hf]: an HF
// checkpoint of a published shape with random weights of realistic statistics.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/models/config.hpp"
#include "neurark/models/synth.hpp"

namespace neurark::tools {

namespace {

struct Args {
  std::string config_path, out_dir, dtype = "BF16", init = "trained";
  int64_t seed = 0;
};

int run_synth(const Args& a) {
  if (a.seed < 0) throw Error(fmt::format("--seed: {} is negative, expected 0 to 2^63-1", a.seed));
  const models::HGRNBitConfig cfg = models::HGRNBitConfig::from_file(a.config_path);
  models::check_new_output_dir(a.out_dir);
  models::SynthOptions opt;
  opt.seed = static_cast<uint64_t>(a.seed);
  opt.dtype = a.dtype;
  opt.init = a.init;
  std::cerr << fmt::format("synth-checkpoint: {} layers, d={}, I={}, vocab={} -> {} ({})\n", cfg.num_hidden_layers,
                           cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size, a.out_dir, a.dtype);
  const models::SynthResult r = models::synth_checkpoint(cfg, a.out_dir, opt);
  std::cout << fmt::format("wrote {}: {} parameters, {:.1f} MB in {} shard(s), seed {}\n", a.out_dir, r.parameters,
                           static_cast<double>(r.bytes) / 1e6, r.shards, a.seed);
  return 0;
}

}  // namespace

std::function<int()> add_synth_checkpoint(CLI::App& sub) {
  auto a = std::make_shared<Args>();
  sub.add_option("--config", a->config_path, "HF config.json (e.g. models/configs/mmfreelm-370m.json)")->required();
  sub.add_option("-o,--out", a->out_dir, "Output folder (must not exist or be empty)")->required();
  sub.add_option("--seed", a->seed, "Random seed, 0 to 2^63-1 (same seed, same bytes)")->check(kSeedText)->capture_default_str();
  sub.add_option("--dtype", a->dtype, "BF16 (as HF releases) or F32")->check(CLI::IsMember({"BF16", "F32"}))->capture_default_str();
  sub.add_option("--init", a->init,
                 "trained (the statistics of the trained MMfreeLM-370M) or hf (the official initialization: xavier "
                 "BitLinears, N(0, 0.02) embeddings)")
      ->check(CLI::IsMember({"trained", "hf"}))
      ->capture_default_str();
  return [a] { return run_synth(*a); };
}

}  // namespace neurark::tools
