// SPDX-License-Identifier: Apache-2.0
// neurark noc [--chip CHIP.yaml] [--pattern uniform|transpose|bit-complement|hotspot|neighbor|all]
//             [--rates R,R,... | --rate-steps N] [--warmup-cycles N] [--cycles N | --packets N] [--seed S]
//             [--hotspot X,Y] [--hotspot-fraction F] [--engine analytic|flit] [--out DIR] [--json]:
// the chip model's network on its own under synthetic traffic (runs::noc_sweep, docs/noc.md).
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/version.hpp"
#include "neurark/reports/report.hpp"
#include "neurark/runs/noc.hpp"

namespace neurark::tools {

namespace {

struct Args {
  runs::NocOptions noc;
  std::string chip = arch::bundled_path(runs::kDefaultChip), patterns = "uniform", rates, hotspot, out, engine;
  int64_t rate_steps = 20;
  uint64_t seed = 1;
  bool json = false;
  CLI::Option *rates_opt = nullptr, *steps_opt = nullptr, *out_opt = nullptr, *cycles_opt = nullptr, *packets_opt = nullptr;
};

// "0.05,0.1,0.2": offered loads; every item a number (the range is checked by check_noc_options).
std::vector<double> parse_rates(const std::string& text) {
  std::vector<double> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string item = text.substr(at, comma - at);
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size())
      throw Error(fmt::format("--rates {}: '{}' is not a number, expected offered loads in (0, 1] flits/cycle/node separated "
                              "by commas (e.g. 0.05,0.1,0.2)",
                              text, item));
    out.push_back(v);
    at = comma + 1;
  }
  return out;
}

int run_noc(Args& a) {
  namespace fs = std::filesystem;
  runs::NocOptions& o = a.noc;
  o.chip_path = a.chip;
  o.seed = a.seed;
  o.patterns.clear();
  if (a.patterns == "all") o.patterns = runs::all_traffic_patterns();
  else o.patterns.push_back(runs::traffic_pattern(a.patterns));
  if (a.rates_opt->count() > 0 && a.steps_opt->count() > 0)
    throw Error("--rates and --rate-steps: give one of them (the offered loads, or how many evenly spaced ones)");
  if (a.rates_opt->count() > 0) {
    o.rates = parse_rates(a.rates);
  } else {
    if (a.rate_steps < 1 || a.rate_steps > 1000)
      throw Error(fmt::format("--rate-steps: {} is outside [1, 1000], expected how many offered loads (1/N, 2/N, ..., 1)", a.rate_steps));
    for (int64_t i = 1; i <= a.rate_steps; ++i) o.rates.push_back(static_cast<double>(i) / static_cast<double>(a.rate_steps));
  }
  if (a.cycles_opt->count() > 0 && a.packets_opt->count() > 0)
    throw Error("--cycles and --packets: give one of them (the measurement window in cycles, or in packets)");
  if (a.packets_opt->count() > 0 && o.measure_packets < 1)
    throw Error(fmt::format("--packets: {}, expected at least 1 packet to measure per rate", o.measure_packets));
  if (!a.hotspot.empty()) {
    const runs::CoreXY xy = parse_core_xy("--hotspot", a.hotspot);
    o.hotspot_xy = std::make_pair(xy.x, xy.y);
  }
  if (!a.engine.empty()) {
    if (a.engine != "analytic" && a.engine != "flit")
      throw Error(fmt::format("--engine {}: unknown network engine, expected analytic or flit", a.engine));
    o.engine = a.engine == "flit" ? arch::NocEngine::kFlit : arch::NocEngine::kAnalytic;
  }
  runs::check_noc_options(o);
  // The report folder: as `neurark run --out`, a new or empty folder, checked before any work.
  const std::string out = a.out_opt->count() > 0 ? report_folder(a.out, "each noc run writes its own folder") : std::string();
  if (!fs::is_regular_file(o.chip_path)) throw Error(fmt::format("--chip {}: not a readable file", o.chip_path));
  const runs::NocResult r = runs::noc_sweep(o);
  if (!out.empty()) reports::write_noc_report(out, r);
  if (a.json) std::cout << runs::noc_json(r).dump() << "\n";
  else std::cout << runs::noc_table_text(r) << (out.empty() ? "" : fmt::format("report      {}/noc.md (and noc.json, noc.svg)\n", out));
  return 0;
}

}  // namespace

std::function<int()> add_noc(CLI::App& sub) {
  auto a = std::make_shared<Args>();
  sub.footer("The network rules are the SystemC model's (sim::timing::events_phase, called from a plain C++ traffic "
             "driver); a multi-chip system is one mesh whose border-crossing links are chip links (multichip.*). "
             "docs/noc.md.");
  sub.add_option("--chip", a->chip, "Chip description (its mesh and noc parameters)")->capture_default_str();
  sub.add_option("--pattern", a->patterns,
                 "uniform | transpose (square mesh) | bit-complement (sides powers of two) | hotspot | neighbor | all")
      ->capture_default_str();
  a->rates_opt = sub.add_option("--rates", a->rates, "Offered loads in flits/cycle/node, each in (0, 1], e.g. 0.05,0.1,0.2");
  a->steps_opt = sub.add_option("--rate-steps", a->rate_steps, "Without --rates: offered loads 1/N, 2/N, ..., 1 flits/cycle/node")
                     ->capture_default_str();
  sub.add_option("--warmup-cycles", a->noc.warmup_cycles, "Cycles of traffic before the measurement window (packets "
                                                          "generated then are not measured)")
      ->capture_default_str();
  a->cycles_opt = sub.add_option("--cycles", a->noc.measure_cycles, "The measurement window (cycles): packets generated in it are measured, "
                                                    "deliveries in it make the accepted throughput")
      ->capture_default_str();
  sub.add_option("--seed", a->seed, "Seed of the Bernoulli injection and the destinations (std::mt19937_64)")
      ->check(kSeedText)->capture_default_str();
  sub.add_option("--hotspot", a->hotspot, "X,Y: the hotspot node (default the mesh centre, width/2,height/2)");
  sub.add_option("--hotspot-fraction", a->noc.hotspot_fraction, "hotspot: share of packets sent to the hotspot node")
      ->capture_default_str();
  a->packets_opt = sub.add_option("--packets", a->noc.measure_packets, "Instead of --cycles: the window lasts until this many "
                                                                     "packets were generated in it (per rate)");
  sub.add_option("--engine", a->engine, "analytic | flit: the network engine (default the chip file's noc.engine, analytic "
                                        "unless it says flit; docs/noc.md)");
  a->out_opt = sub.add_option("--out", a->out, "Also write noc.json, noc.md and noc.svg into this new folder");
  sub.add_flag("--json", a->json, "Print noc.json on stdout instead of the table");
  return [a] { return run_noc(*a); };
}

}  // namespace neurark::tools
