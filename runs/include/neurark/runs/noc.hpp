// SPDX-License-Identifier: Apache-2.0
// neurark/runs/noc.hpp: the network on its own (`neurark noc`): the chip model's mesh under
// synthetic traffic, and its calibration against the RTL mesh harness's experiments.
//
// The network rules are the SystemC model's, not a copy: every packet is timed by
// sim::timing::events_phase, the function the SystemC model's events phases call (router and
// link latency, one flit per cycle per link, credits over noc.buffer_depth_flits, the
// destination's input FIFO), with the engine the chip's noc.engine or NocOptions::engine selects
// (analytic or flit), here driven by a plain C++ traffic generator; no SystemC kernel runs.
// Routes are the compiler's XY routes (arch::xy_tree, arch::walk_order). docs/noc.md has the
// definitions (patterns, windows, saturation) and the comparison with the RTL mesh.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurark/arch/chip.hpp"

namespace neurark::runs {

// Synthetic traffic patterns (Dally & Towles, "Principles and Practices of Interconnection
// Networks", ch. 3 and 23) on a width x height mesh, node (x, y) = core y * width + x:
//   uniform         every packet to a node drawn uniformly from the other nodes
//   transpose       (x, y) -> (y, x); square meshes only; the diagonal sends to itself (local port)
//   bit-complement  node s -> node (cores - 1 - s), i.e. (width-1-x, height-1-y); width and height
//                   powers of two
//   hotspot         with probability hotspot_fraction to the hotspot node, else uniform (the
//                   hotspot node itself sends uniform only)
//   neighbor        (x, y) -> ((x+1) mod width, y): one hop east, the last column back to column 0
//                   over the westward links (which nothing else uses); every link carries one stream
enum class TrafficPattern { kUniform, kTranspose, kBitComplement, kHotspot, kNeighbor };
const char* to_string(TrafficPattern p);  // "uniform", "transpose", "bit-complement", "hotspot", "neighbor"
// The pattern named `name`; throws neurark::Error naming `option`, the value and the choices.
TrafficPattern traffic_pattern(const std::string& name, const std::string& option = "--pattern");
std::vector<TrafficPattern> all_traffic_patterns();

struct NocOptions {
  std::string chip_path;                 // chip description (YAML); its mesh and noc parameters
  std::vector<TrafficPattern> patterns{TrafficPattern::kUniform};
  std::vector<double> rates;             // offered load, flits/cycle/node, each in (0, 1]
  int64_t warmup_cycles = 1000;          // packets generated before are not measured (>= 0)
  int64_t measure_cycles = 5000;         // the measurement window (>= 1)
  int64_t measure_packets = 0;           // > 0: instead, the window lasts until this many packets were generated in it
  uint64_t seed = 1;                     // std::mt19937_64 per (pattern, rate)
  double hotspot_fraction = 0.2;         // hotspot: share of packets to the hotspot node, [0, 1]
  std::optional<std::pair<int, int>> hotspot_xy;  // hotspot node; default the mesh centre (width/2, height/2)
  std::optional<arch::NocEngine> engine;  // the network engine; default the chip file's noc.engine (analytic)
};

// Throws neurark::Error (option, value, what was expected) for: no pattern, no rate, a rate
// outside (0, 1] or not finite, warmup < 0, measure < 1, packets outside [0, 10^8], a fraction outside [0, 1], a hotspot
// off the mesh. Chip-dependent checks (transpose on a non-square mesh, ...) are in noc_sweep.
void check_noc_options(const NocOptions& o);

// One offered load of one pattern: packets generated in the measurement window
// [warmup, warmup + measure) are measured, from generation (Bernoulli, so including source
// queueing) to the cycle the tail enters the destination's input FIFO.
struct NocPoint {
  double offered_flits = 0;      // flits/cycle/node asked for (the option's rate)
  int64_t window_cycles = 0;     // the measurement window's length (measure_cycles, or what measure_packets took)
  double generated_flits = 0;    // flits/cycle/node the generator produced in the window
  double accepted_flits = 0;     // flits/cycle/node delivered in the window
  int64_t packets = 0;           // measured packets
  double latency_mean_cycles = 0;
  int64_t latency_p50_cycles = 0, latency_p99_cycles = 0, latency_max_cycles = 0;
  bool saturated = false;        // accepted < 0.95 x offered
};

struct NocPatternResult {
  TrafficPattern pattern = TrafficPattern::kUniform;
  double zero_load_latency_cycles = 0;   // the pattern's mean zero-load latency (route_latency + flits - 1, per pair)
  std::vector<NocPoint> points;          // by the options' rates
  // The lowest offered load with accepted < 0.95 x offered (throughput criterion), and the
  // lowest with mean latency > 3 x zero load (latency criterion); nullopt: not reached.
  std::optional<double> saturation_offered_flits;
  std::optional<double> latency_knee_offered_flits;
  double saturation_throughput_flits = 0;  // the highest accepted load over the sweep
};

// The RTL mesh harness's experiments, run on the model (rtl/noc/mesh_harness.cpp, calibrate()):
// every (source, destination) pair alone (zero load; above 1,024 nodes the pairs from the four
// corners), 1,000 packets over one link (node 0 -> 1),
// 400 uniform random packets per node all offered at cycle 0 (destinations seeded).
struct NocCalibration {
  int64_t local_cycles = 0;         // zero-load latency of a packet to its own node (local port)
  double cycles_per_hop = 0;        // (farthest pair's latency - local) / its hops
  bool zero_load_exact = false;     // every pair's latency = route_latency_cycles(hops) + flits - 1 (+ each chip
                                    // link's extra latency and beats on the way, several chips)
  double link_flits_per_cycle = 0;  // one stream over one link: flits / (last delivery - first injection + 1)
  double link_bound_flits = 0;      // the credit bound: min(1, buffer packets x flits / (router + 2 link + flits))
  double uniform_accepted_flits = 0;  // flits/cycle/node: deliveries / span / nodes, as the harness counts
};

// What the RTL mesh harness measured on a chip's mesh (rtl/noc/README.md, "Measured"), when the
// chip's mesh and noc parameters are those of a documented variant; nullopt otherwise.
struct NocRtlFigures {
  std::string variant;              // "mesh4x4", "mesh3x2"
  int64_t local_cycles = 0;
  double cycles_per_hop = 0;
  double link_flits_per_cycle = 0;
  double uniform_accepted_flits = 0;
};
std::optional<NocRtlFigures> rtl_mesh_figures(const arch::ChipDescription& chip);

struct NocResult {
  std::string chip_path, chip_name;
  int64_t mesh_width = 0, mesh_height = 0;
  arch::NocEngine engine = arch::NocEngine::kAnalytic;  // the engine that timed the packets
  int64_t packet_flits = 1;          // flits of one event packet (arch::event_packet_bits over width x height
                                     // unicast flows, at noc.link_width_bits)
  NocOptions options;
  std::vector<NocPatternResult> patterns;
  NocCalibration calibration;
  std::optional<NocRtlFigures> rtl;
};

// Runs every pattern at every rate (and the calibration). Throws neurark::Error for bad options
// (check_noc_options), a chip file that does not load, a mesh of more than 4,096 neurocores (over
// all its chips), more than 2^24 packets at one rate (warm-up and window), or a
// pattern the mesh cannot take (transpose: width != height; bit-complement: a side not a power of
// two), naming the chip file, the field, its value and what was expected. Deterministic: the
// same options give the same numbers, bit for bit.
NocResult noc_sweep(const NocOptions& options);

// The calibration alone on a chip, with its noc.engine.
NocCalibration noc_calibrate(const arch::ChipDescription& chip);

// noc.json (docs/noc.md), the table `neurark noc` prints, and noc.md.
nlohmann::json noc_json(const NocResult& r);
std::string noc_table_text(const NocResult& r);
std::string noc_markdown(const NocResult& r);

}  // namespace neurark::runs
