// SPDX-License-Identifier: Apache-2.0
// neurark: the command line of the neurark toolkit — the command table (commands.cpp), CLI11
// parsing, exit codes and signal handling. Each command is one file, cmd_<name>.cpp.
#include <csignal>
#include <iostream>
#include <map>

#include "command.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/arch/version.hpp"
#include "neurark/sim/systemc.hpp"
#include "neurark/sweeps/runner.hpp"
#ifdef NEURARK_HAVE_RTL
#include "neurark/rtl/build.hpp"
#endif

namespace {

// SIGINT / SIGTERM / SIGHUP: remove unfinished images and a run's side files, stop a sweep's
// point processes, then die of the signal as usual.
extern "C" void on_fatal_signal(int sig) {
  neurark::arch::remove_unfinished_images();
  neurark::tools::remove_run_side_files();
  neurark::sweeps::stop_running_points();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// `neurark --version`: what made this binary and what it simulates with.
std::string version_text() {
  std::string v = std::string("neurark ") + neurark::arch::version() + " (commit " + neurark::arch::git_commit() + ")\n" +
                  "SystemC " + neurark::sim::systemc_version() + "\n";
#ifdef NEURARK_HAVE_RTL
  v += "Verilator " + neurark::rtl::verilator_version() + "\n";
#else
  v += "Verilator: not in this build (configured with -DNEURARK_BUILD_RTL=OFF: no verify-rtl, no --rtl-cores)\n";
#endif
  v.pop_back();  // CLI11 ends the text with its own newline
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, on_fatal_signal);
  ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);  // here, before any thread (the SystemC model reads it)
  try {
    neurark::arch::installed_data_dir();  // a bad $NEURARK_DATA_DIR, before the commands' defaults read it
  } catch (const neurark::Error& e) {
    std::cerr << "neurark: error: " << e.what() << "\n";
    return 1;
  }
  CLI::App app{"neurark: hardware co-design toolkit for MatMul-free (HGRNBit) language models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] { return version_text(); }, "Print the version, the git commit and the SystemC and Verilator versions");
  std::map<CLI::App*, std::function<int()>> runners;
  for (const neurark::tools::Command& c : neurark::tools::commands()) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    runners[sub] = c.add(*sub);
  }
  if (argc < 2) {
    std::cerr << app.help();
    return 2;
  }
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
    for (const auto& [sub, run] : runners)
      if (sub->parsed()) return run();
  } catch (const neurark::Error& e) {
    std::cout.flush();
    std::cerr << "neurark: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "neurark: internal error: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
