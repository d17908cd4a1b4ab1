// SPDX-License-Identifier: Apache-2.0
// neurark run [--model DIR] [--chip CHIP.yaml] [--prompt TEXT | --trace FILE] [--max-new-tokens N]
//             [--out DIR] [--trace-out FILE] [--record-core X,Y] [--vcd X,Y] [--rtl-cores all|X,Y ...]
//             [--backend systemc|func] [--streams N] [--check-every N]: the main job (runs::run) with its report folder.
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/arch/version.hpp"
#include "neurark/reports/report.hpp"
#include "neurark/runs/run.hpp"

namespace neurark::tools {

namespace {

struct Args {
  runs::RunOptions run;
  std::string prompt, trace = arch::bundled_path(runs::kDefaultPromptFile), out, trace_out, record_core, vcd;
  std::vector<std::string> rtl_cores;
  CLI::Option *prompt_opt = nullptr, *trace_opt = nullptr, *out_opt = nullptr, *record_opt = nullptr;
};

int run_run(Args& a) {
  namespace fs = std::filesystem;
  runs::RunOptions& o = a.run;
  if (a.prompt_opt->count() > 0 && a.trace_opt->count() > 0)
    throw Error("--prompt and --trace: give one of them (the prompt's text, or a file holding it)");
  if (a.out_opt->count() > 0 && a.out.empty()) throw Error("--out: empty, expected a folder path");
  if (a.record_opt->count() > 0 && a.record_core.empty()) throw Error("--record-core: empty, expected X,Y");
  if (!a.record_core.empty()) o.record_core = parse_core_xy("--record-core", a.record_core);
  if (!a.vcd.empty()) o.vcd_core = parse_core_xy("--vcd", a.vcd);
  o.rtl_all_cores = a.rtl_cores.size() == 1 && a.rtl_cores[0] == "all";
  if (!o.rtl_all_cores)
    for (const std::string& v : a.rtl_cores) o.rtl_cores.push_back(parse_core_xy("--rtl-cores", v));
  o.record_spans = !a.trace_out.empty();
  runs::check_run_options(o);
  if (a.prompt_opt->count() > 0) {
    if (a.prompt.empty()) throw Error("--prompt: empty, expected at least one byte of text");
    o.prompt = a.prompt;
    o.prompt_source = "--prompt";
  } else {
    if (!fs::is_regular_file(a.trace)) throw Error(fmt::format("--trace {}: not a readable file", a.trace));
    o.prompt = read_file(a.trace);
    o.prompt_source = "--trace " + a.trace;
    if (o.prompt.empty()) throw Error(fmt::format("--trace {}: empty, expected at least one byte of text", a.trace));
  }
  o.run_id = [] {
    const std::time_t now = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&now));
    return fmt::format("{}-{}", buf, ::getpid());
  }();
  // The report folder: its own path, without a trailing separator ("DIR/" names DIR).
  const std::string out = report_folder(a.out.empty() ? "reports/runs/" + o.run_id : a.out, "each run writes its own folder");
  std::error_code ec;
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
  if (!a.trace_out.empty()) {
    if (fs::is_directory(a.trace_out, ec))
      throw Error(fmt::format("--trace-out {}: is a folder, expected a file path for the JSON trace", a.trace_out));
    check_writable_parent("--trace-out", a.trace_out, true);  // may lie inside --out, or in folders run creates
  }
  // What killed runs left behind (their side folders, report and trace temporaries) goes first.
  arch::remove_stale_temporaries(fs::temp_directory_path().string());
  arch::remove_stale_temporaries(fs::path(out).parent_path().string());
  if (!a.trace_out.empty()) arch::remove_stale_temporaries(fs::path(a.trace_out).parent_path().string());
  // Side files (event trace, waveform) are written next to the report's temporary folder and
  // moved into the report folder with it; a signal removes them.
  const fs::path side = fs::temp_directory_path() / fmt::format("neurark-run-{}", ::getpid());
  struct SideCleanup {
    fs::path dir;
    ~SideCleanup() {
      std::error_code e;
      fs::remove_all(dir, e);
    }
  } side_cleanup{side};
  std::vector<std::pair<std::string, std::string>> extra_files;
  if (o.record_core || o.vcd_core) {
    fs::create_directories(side);
    register_side_dir(side.string());
  }
  if (o.record_core) {
    const std::string name = fmt::format("events-core-{}-{}.jsonl", o.record_core->x, o.record_core->y);
    o.event_trace_path = (side / name).string();
    extra_files.emplace_back(o.event_trace_path, name);
    register_side_file(0, o.event_trace_path);
    register_side_file(1, o.event_trace_path + ".tmp");
  }
  if (o.vcd_core) {
    const std::string name = fmt::format("core-{}-{}.vcd", o.vcd_core->x, o.vcd_core->y);
    o.vcd_path = (side / name).string();
    extra_files.emplace_back(o.vcd_path, name);
    register_side_file(2, o.vcd_path);
  }
  o.log = progress;
  const runs::RunResult r = runs::run(o);
  reports::write_run_report(out, r, extra_files);
  if (!a.trace_out.empty()) {
    int64_t events = 0;
    try {
      if (const fs::path parent = fs::path(a.trace_out).parent_path(); !parent.empty()) fs::create_directories(parent);
      events = reports::write_run_perfetto_trace(a.trace_out, r);
    } catch (...) {  // a run is its report and its trace: without the trace, no report either
      std::error_code e;
      fs::remove_all(out, e);
      throw;
    }
    std::cerr << fmt::format("run: trace of {} phase spans in {} (open in ui.perfetto.dev or chrome://tracing)\n", events,
                             a.trace_out);
  }
  std::cout << o.prompt << r.generated_text << "\n\n" << reports::run_summary_text(r, out);
  return 0;
}

}  // namespace

std::function<int()> add_run(CLI::App& sub) {
  auto a = std::make_shared<Args>();
  runs::RunOptions& o = a->run;
  sub.add_option("--model", o.model_dir, "Checkpoint folder")->capture_default_str();
  sub.add_option("--chip", o.chip_path, "Chip description")->capture_default_str();
  a->prompt_opt = sub.add_option("--prompt", a->prompt, "Prompt text (instead of --trace)");
  a->trace_opt = sub.add_option("--trace", a->trace, "Prompt file (bytes are tokens)")->capture_default_str();
  sub.add_option("--max-new-tokens", o.max_new_tokens, "Tokens to generate (greedy)")->capture_default_str();
  a->out_opt = sub.add_option("--out", a->out, "Report folder (default reports/runs/<run id>)");
  sub.add_option("--trace-out", a->trace_out, "Also write a Perfetto / Chrome trace (JSON) of every phase on every pipeline stage");
  a->record_opt = sub.add_option("--record-core", a->record_core,
                                 "X,Y: record every event entering and leaving that neurocore into the report folder "
                                 "(events-core-X-Y.jsonl, traces/README.md)");
  sub.add_option("--rtl-cores", a->rtl_cores, "all | X,Y ...: run these neurocores' synaptic work on the Verilated RTL "
                                              "neurocore inside the SystemC model (accumulators checked; RTL vs model cycles "
                                              "in the report)");
  sub.add_option("--vcd", a->vcd, "X,Y: write a VCD waveform of that neurocore's interfaces into the report folder (core-X-Y.vcd)");
  sub.add_option("--streams", o.streams,
                 "N independent sequences through the chip: the prompt is cut into N consecutive pieces, each stream "
                 "generates --max-new-tokens, round robin, several in flight in the pipeline (1 to 4096; the chip keeps "
                 "every stream's MLGRU state); per-stream and aggregate tokens/s in the report")
      ->capture_default_str();
  add_event_options(sub, o.events);
  sub.add_option("--check-every", o.check_every,
                 "N: check the chip against the integer reference on every token (1), on tokens 0, N, 2N, ... each "
                 "computed by the reference from the chip's own state (N > 1: the reference runs one token in N), or "
                 "not at all (0: the reference is not even built); the report says which")
      ->capture_default_str();
  sub.add_option("--backend", o.backend, "systemc (timed) or func (untimed: counts and dynamic energy); both checked "
                                         "against int (--check-every)")
      ->check(CLI::IsMember({"systemc", "func"}))->capture_default_str();
  sub.add_flag("--no-synthesis{false}", o.synthesize_logic,
               "Do not run Yosys for the area's logic: a chip whose RTL parameters differ from the default chip's is "
               "priced with the default chip's logic (said in the report). Default: synthesized at the chip's parameters, "
               "cached (docs/energy-model.md)");
  return [a] { return run_run(*a); };
}

}  // namespace neurark::tools
