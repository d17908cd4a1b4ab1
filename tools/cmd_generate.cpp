// SPDX-License-Identifier: Apache-2.0
// neurark generate (--model DIR [--chip CHIP.yaml] | --image IMAGE) --prompt TEXT [--max-new-tokens N]
//                  [--backend B] [--temperature T] [--seed S]: text from a prompt, streamed.
#include <cmath>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/runs/model_source.hpp"

namespace neurark::tools {

namespace {

constexpr int64_t kMaxNewTokens = 10'000'000;

struct Args {
  runs::ModelSource src;
  std::string prompt;
  int64_t max_new = 64, seed = 0;
  double temperature = 0.0;
};

int run_generate(const Args& a) {
  if (a.prompt.empty()) throw Error("--prompt: empty, expected at least one byte of text");
  if (a.max_new < 0 || a.max_new > kMaxNewTokens)
    throw Error(fmt::format("--max-new-tokens: {} is out of range, expected 0 to {}", a.max_new, kMaxNewTokens));
  if (!std::isfinite(a.temperature) || a.temperature < 0.0)
    throw Error(fmt::format("--temperature: {} is not valid, expected a finite number >= 0 (0 = greedy)", a.temperature));
  if (a.seed < 0) throw Error(fmt::format("--seed: {} is negative, expected 0 to 2^63-1", a.seed));
  runs::OpenedModel m = runs::open_model(a.src);
  if (m.lm->vocab_size() < 256)
    throw Error(fmt::format("{}: vocab_size is {}, expected at least 256 (prompts are bytes)", m.label, m.lm->vocab_size()));
  std::vector<int32_t> toks;
  for (unsigned char c : a.prompt) toks.push_back(c);
  models::GenerateOptions opt;
  opt.max_new_tokens = a.max_new;
  opt.temperature = a.temperature;
  opt.seed = static_cast<uint64_t>(a.seed);
  std::cout << a.prompt << std::flush;
  opt.on_token = [](int32_t t) {  // stream: tokens >= 256 (non-byte models) print as '?'
    std::cout.put(static_cast<char>(t < 256 ? t : '?'));
    std::cout.flush();
  };
  models::generate(*m.lm, toks, opt);
  std::cout << std::endl;
  return 0;
}

}  // namespace

std::function<int()> add_generate(CLI::App& sub) {
  auto a = std::make_shared<Args>();
  add_model_source_options(sub, a->src);
  sub.add_option("--prompt", a->prompt, "Prompt text (bytes are tokens)")->required();
  sub.add_option("--max-new-tokens", a->max_new, "Tokens to generate (0 to 10^7)")->capture_default_str();
  sub.add_option("--temperature", a->temperature, "0 = greedy; > 0 samples from softmax(logits / T)")->capture_default_str();
  sub.add_option("--seed", a->seed, "Sampling seed, 0 to 2^63-1 (same seed, same text)")->check(kSeedText)->capture_default_str();
  return [a] { return run_generate(*a); };
}

}  // namespace neurark::tools
