// SPDX-License-Identifier: Apache-2.0
// The `neurark` command line: one file per command (cmd_<name>.cpp), one table (commands.cpp).
//
// A command adds its options to its CLI11 subcommand and returns the function that runs it with
// the parsed values (its exit code). Commands only wire the libraries together: what a command
// computes lives in runs/, compiler/, sim/, reports/ and traces/.
//
// Exit codes: 0 success; 1 bad input (checkpoint, chip, text file, option value; a model that
// does not fit), with "neurark: error: ..." naming the file or option, the value and what was
// expected; 2 command-line syntax (unknown option or command, missing argument); 3 internal
// error (a bug: please report).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "neurark/runs/model_source.hpp"
#include "neurark/runs/run.hpp"

namespace neurark::tools {

struct Command {
  const char* name;
  const char* summary;
  std::function<int()> (*add)(CLI::App& sub);
};

// Every command, in the order `neurark --help` lists them.
const std::vector<Command>& commands();

// Shared option helpers.
// Seeds are integers from 0 to 2^63 - 1, checked on the text (the parser would clamp larger ones).
extern const CLI::Validator kSeedText;
// --model, --backend, --chip, --image of generate and eval into `src`.
void add_model_source_options(CLI::App& sub, runs::ModelSource& src);
// --event-encoding, --event-threshold of run and eval (docs/numerics.md §5b) into `events`.
void add_event_options(CLI::App& sub, arch::EventOverride& events);
// "X,Y": a neurocore by its mesh coordinates; throws neurark::Error naming `option`.
runs::CoreXY parse_core_xy(const std::string& option, const std::string& value);
// An --out report folder: `value` without trailing separators ("DIR/" names DIR), normalized;
// it must name a folder that is new or empty. Throws neurark::Error "--out VALUE: ..." (`what`
// ends the not-empty message, e.g. "each run writes its own folder").
std::string report_folder(const std::string& value, const std::string& what);
// The whole file (a chip description, a prompt); "" if it cannot be read.
std::string read_file(const std::string& path);
// Prints a progress update to stderr ("\r" lines redraw in place).
void progress(const std::string& text);

// Side files of a run in progress (event trace, waveform) and their folder, removed by the
// signal handler (async-signal-safe: fixed buffers, unlink and rmdir only).
void register_side_file(int slot, const std::string& path);  // slot 0..3
void register_side_dir(const std::string& path);
void remove_run_side_files() noexcept;

}  // namespace neurark::tools
