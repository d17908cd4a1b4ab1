// SPDX-License-Identifier: Apache-2.0
// neurark/arch/chip.hpp: the chip description — every parameter a chip architect trades.
//
// A chip is a W x H mesh of neurocores joined by a 2-D mesh network-on-chip (optionally several
// such chips joined by chip-to-chip links), a host/controller that injects tokens and reads
// results, and optional DRAM for weights that do not fit in synapse SRAM. Files are YAML
// (docs/chip-format.md), `format: neurark-chip`, `version: 1`. Presets live in arch/chips/.
//
// Validation is strict: an unknown key, a wrong type, a missing required key or an
// out-of-range value throws neurark::Error naming the file, the key path (e.g.
// `neurocore.lanes`), the line, the value found and what was expected.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "neurark/arch/numerics.hpp"

namespace neurark::arch {

enum class WeightEncoding { kPacked2, kSparse };  // 2-bit packed ternary | sparse index list
enum class FlowControl { kCredit, kOnOff };       // credit-based | on/off backpressure
// How the SystemC model and `neurark noc` time events phases (docs/noc.md): packets one at a time
// in injection order against reserved link and buffer slots (sim::timing::analytic_events_phase),
// or every router cycle by cycle with all packets in flight (sim::timing::flit_events_phase).
enum class NocEngine { kAnalytic, kFlit };

const char* to_string(WeightEncoding e);
const char* to_string(FlowControl f);
const char* to_string(NocEngine e);  // "analytic", "flit"

struct NeurocoreParams {
  int64_t lanes = 16;                    // parallel accumulate lanes (synaptic ops per cycle)
  int64_t synapse_sram_bytes = 65536;    // weight memory per core
  int64_t sram_port_bits = 64;           // synapse SRAM read width per cycle
  int64_t accumulators = 1024;           // int32 accumulators (output neurons per tile)
  int64_t state_memory_bytes = 4096;     // MLGRU state and neuron-unit constants
  int64_t input_fifo_depth = 64;         // events
  int64_t output_fifo_depth = 64;        // events
  WeightEncoding weight_encoding = WeightEncoding::kPacked2;
  int64_t sparse_index_bits = 16;        // bits per non-zero weight in sparse encoding (+1 sign)
  int64_t activation_bits = 8;           // event payload width (int8 codes)
  EventMode events;                      // which codes send events: event_encoding (absolute |
                                         // sigma_delta) and event_threshold (0 to 254), numerics.md §5b
};

struct NocParams {
  int64_t link_width_bits = 64;          // flit width
  int64_t router_latency_cycles = 2;     // per hop
  int64_t link_latency_cycles = 1;       // per hop, wire
  FlowControl flow_control = FlowControl::kCredit;
  int64_t buffer_depth_flits = 4;        // per input port
  NocEngine engine = NocEngine::kAnalytic;  // how events phases are timed
  int64_t watchdog_cycles = 10000;       // flit engine: cycles without a flit moving before a deadlock error
};

struct MultiChipParams {
  int64_t chips_x = 1;                   // chips in a 2-D arrangement
  int64_t chips_y = 1;
  int64_t link_width_bits = 32;          // chip-to-chip link
  int64_t link_latency_cycles = 20;
  // Flits the input port at the far end of a chip link buffers (its upstream output's credits);
  // when the chip file does not give it, noc.buffer_depth_flits. A link of latency L and depth B
  // moves at most B flits per credit round trip (about 2 L cycles): deep buffers hide long links.
  int64_t buffer_depth_flits = 4;
  // Chip-to-chip ports per chip edge that faces another chip, each way: the border routers of that
  // edge share them, router i of the edge's E sending through port floor(i x ports_per_edge / E),
  // one flit at a time in its beats (docs/chip-model.md, "Chip-to-chip links"). 0 (the chip file
  // does not give it): every border router has its own chip link.
  int64_t ports_per_edge = 0;
};

struct HostParams {
  int64_t injection_bits_per_cycle = 64;  // host -> mesh (tokens, embeddings)
  int64_t readback_bits_per_cycle = 64;   // mesh -> host (logits)
  int64_t attach_x = 0;                   // mesh coordinate where the host attaches
  int64_t attach_y = 0;
};

struct PowerParams {
  bool gate_unused_cores = false;        // neurocores that hold no tiles are power-gated
};

struct DramParams {
  bool present = false;
  int64_t bytes = 0;
  int64_t bandwidth_bits_per_cycle = 128;
  int64_t latency_cycles = 100;
};

// `path` as written in file `from` (a chip file's energy_table): itself if absolute, else relative
// to the folder holding `from`.
std::string resolve_relative(const std::string& from, const std::string& path);

// The most neurocores a system may have (all chips): a 1,024 x 1,024 mesh.
constexpr int64_t kMaxCores = int64_t{1} << 20;

struct ChipDescription {
  std::string name;
  std::string description;
  std::string source_path;                // file it was read from ("" for built-in)
  double clock_hz = 500e6;
  int64_t technology_node_nm = 22;
  std::string energy_table;               // path of the energy table, relative to the chip file
  std::string cost_table;                 // path of the technology cost table (area, leakage), relative
  double voltage_v = 0.0;                 // operating supply (V); 0: the energy table's nominal at the node
  std::map<double, double> operating_points;  // supply (V) -> the highest clock (Hz) it allows (DVFS)
  int64_t mesh_width = 4;
  int64_t mesh_height = 4;
  NeurocoreParams core;
  NocParams noc;
  MultiChipParams multichip;
  HostParams host;
  DramParams dram;
  PowerParams power;

  int64_t cores_per_chip() const { return mesh_width * mesh_height; }
  int64_t total_cores() const { return cores_per_chip() * multichip.chips_x * multichip.chips_y; }
  int64_t total_synapse_sram_bytes() const { return total_cores() * core.synapse_sram_bytes; }

  // Reads and validates a chip file. Throws neurark::Error (file, key path, line, value,
  // expected) on any violation; never returns a partially valid description.
  static ChipDescription from_file(const std::string& path);
  static ChipDescription from_yaml_text(const std::string& text, const std::string& path);
  // The text of a chip file, unparsed. Throws neurark::Error for a folder, a non-regular file or
  // one that cannot be opened.
  static std::string read_text(const std::string& path);
};

// A change to a chip's events (`run` / `eval` --event-encoding, --event-threshold): the fields
// given replace the chip's, the others stay.
struct EventOverride {
  std::optional<EventEncoding> encoding;
  std::optional<int32_t> threshold;
  bool any() const { return encoding.has_value() || threshold.has_value(); }
  // Throws neurark::Error "--event-threshold: V is out of range, expected 0 to 254" for a
  // threshold outside [0, kEventThresholdMax] (option names: what run and eval call them).
  void check() const;
  EventMode over(EventMode base) const {
    if (encoding) base.encoding = *encoding;
    if (threshold) base.threshold = *threshold;
    return base;
  }
};

// The chip description `text` (read as if from file `path`) with its neurocore's events changed
// by `events` (neurocore.event_encoding, neurocore.event_threshold): what `run` and `eval` compile
// for. The text is re-emitted by yaml-cpp (comments are not kept); unchanged if !events.any().
// Throws neurark::Error as from_yaml_text does, for the text given or for the values set.
std::string chip_text_with_events(const std::string& text, const std::string& path, const EventOverride& events);
// The chip description `text` (read as if from `path`) with keys set: each {key path, value},
// e.g. {"neurocore.weight_encoding", "sparse"}, the value read as a YAML scalar; re-emitted by
// yaml-cpp. Throws neurark::Error as from_yaml_text does, for the text given or the result.
std::string chip_text_with(const std::string& text, const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace neurark::arch
