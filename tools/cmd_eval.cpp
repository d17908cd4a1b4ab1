// SPDX-License-Identifier: Apache-2.0
// neurark eval (--model DIR [--chip CHIP.yaml] | --image IMAGE) --text FILE [--backend B]
//              [--max-bytes N] [--json] [--progress]: bits per byte, and a chip's activity and energy.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "neurark/reports/report.hpp"
#include "neurark/runs/eval.hpp"

namespace neurark::tools {

namespace {

struct Args {
  runs::EvalOptions eval;
  bool json = false, progress = false;
};

int run_eval(Args& a) {
  // Progress on stderr: redrawn in place on a terminal, one line per 10 % in a log (--progress).
  const bool tty = isatty(STDERR_FILENO) != 0;
  const bool show = a.progress || tty;
  const std::string backend = a.eval.source.backend;
  int64_t last_decile = 0;
  a.eval.progress = [&](int64_t done, int64_t total) {
    if (!show) return;
    if (tty) {
      std::fprintf(stderr, "\reval [%s] %lld/%lld bytes", backend.c_str(), static_cast<long long>(done),
                   static_cast<long long>(total));
    } else if (const int64_t decile = 10 * done / total; decile > last_decile) {
      last_decile = decile;
      std::fprintf(stderr, "eval [%s] %lld/%lld bytes (%lld %%)\n", backend.c_str(), static_cast<long long>(done),
                   static_cast<long long>(total), static_cast<long long>(10 * decile));
    }
  };
  const runs::EvalRun r = runs::eval(a.eval);
  if (show && tty) std::fprintf(stderr, "\n");
  if (a.json) std::cout << reports::eval_json(r).dump() << "\n";
  else std::cout << reports::eval_text(r);
  return 0;
}

}  // namespace

std::function<int()> add_eval(CLI::App& sub) {
  auto a = std::make_shared<Args>();
  add_model_source_options(sub, a->eval.source);
  add_event_options(sub, a->eval.source.events);
  sub.add_option("--text", a->eval.text_path, "Text file (bytes are tokens)")->required();
  sub.add_option("--max-bytes", a->eval.max_bytes, "Evaluate only the first N bytes (0 = all)")->capture_default_str();
  sub.add_flag("--json", a->json, "Print one JSON object {bpb, bytes, tokens_per_s, ...}");
  sub.add_flag("--progress", a->progress, "Show progress on stderr even when it is not a terminal");
  return [a] { return run_eval(*a); };
}

}  // namespace neurark::tools
