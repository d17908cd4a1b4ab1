// SPDX-License-Identifier: Apache-2.0
// neurark fidelity --model DIR --text FILE [--max-bytes N] [--json] [--progress]: the integer
// reference against the float model, int8 code by code at every BitLinear input.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "neurark/reports/report.hpp"
#include "neurark/runs/fidelity.hpp"

namespace neurark::tools {

namespace {

struct Args {
  runs::FidelityOptions options;
  bool json = false, progress = false;
};

int run_fidelity(Args& a) {
  const bool tty = isatty(STDERR_FILENO) != 0;
  if (a.progress || tty)
    a.options.progress = [tty](int64_t done, int64_t total) {
      if (tty) std::fprintf(stderr, "\rfidelity %lld/%lld tokens", static_cast<long long>(done), static_cast<long long>(total));
      else if (done % 64 == 0 || done == total)
        std::fprintf(stderr, "fidelity %lld/%lld tokens\n", static_cast<long long>(done), static_cast<long long>(total));
      if (tty && done == total) std::fprintf(stderr, "\n");
    };
  const runs::FidelityResult r = runs::fidelity(a.options);
  if (a.json) std::cout << reports::fidelity_json(r).dump() << "\n";
  else std::cout << reports::fidelity_text(r);
  return 0;
}

}  // namespace

std::function<int()> add_fidelity(CLI::App& sub) {
  auto a = std::make_shared<Args>();
  sub.add_option("--model", a->options.model_dir, "HF checkpoint folder (config.json + safetensors)")->required();
  sub.add_option("--text", a->options.text_path, "Text file (bytes are tokens)")->required();
  sub.add_option("--max-bytes", a->options.max_bytes, "Use only the first N bytes (0 = all)")->capture_default_str();
  sub.add_flag("--json", a->json, "Print one JSON object instead of the table");
  sub.add_flag("--progress", a->progress, "Show progress on stderr even when it is not a terminal");
  return [a] { return run_fidelity(*a); };
}

}  // namespace neurark::tools
