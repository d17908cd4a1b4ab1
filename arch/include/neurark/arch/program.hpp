// SPDX-License-Identifier: Apache-2.0
// neurark/arch/program.hpp: the program a chip image carries, typed — the one vocabulary of op
// kinds, phase kinds, flow kinds, operands, tensors and their segments, tiles, flows, routing
// tables and the per-token schedule (docs/image-format.md, "Manifest: the program").
//
// The compiler builds a Program and writes it into an image (to_manifest, compiler pass emit);
// every reader (the functional interpreter, the SystemC model, `neurark inspect`, the event
// recorder, the RTL mesh harness) parses and validates it once with Program::from_image and then
// works on the typed fields, never on raw manifest keys. The compiler's IR uses the same enums,
// Operand, Flow and Phase (compiler/ir.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/energy.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/arch/numerics.hpp"
#include "neurark/arch/technology.hpp"

namespace neurark::arch {

// The integer ops a program runs, each one arch/ operation per channel or per block
// (docs/numerics.md §6): embed (host lookup of a Q15.16 row), norm_scale (x * norm weight,
// block-normalized), bitlinear (absmax events, ternary accumulate, requantize), mlgru (the MLGRU
// state update, emits SiLU(h)), product (a * b, block-normalized), silu, add_sat.
enum class OpKind : uint8_t { kEmbed, kNormScale, kBitLinear, kMlgru, kProduct, kSilu, kAddSat };
constexpr int kOpKinds = 7;
const char* to_string(OpKind k);                             // "embed", "norm_scale", ...
std::optional<OpKind> op_kind_from_string(std::string_view s);

// The phases of a token's schedule; a barrier follows each (docs/compiler.md, "schedule").
enum class PhaseKind : uint8_t { kInject, kReduce, kNormalize, kEvents, kRequantize, kElementwise, kReadback };
constexpr int kPhaseKinds = 7;
const char* to_string(PhaseKind k);                          // "inject", "reduce", ...
std::optional<PhaseKind> phase_kind_from_string(std::string_view s);

// What a NoC flow carries: a BitLinear's input events, second operands (values), the embedding
// row from the host (inject) or the logits to the host (readback).
enum class FlowKind : uint8_t { kEvents, kValues, kInject, kReadback };
const char* to_string(FlowKind k);                           // "events", "values", "inject", "readback"
std::optional<FlowKind> flow_kind_from_string(std::string_view s);

// An operand: channels [offset, offset + length) of a tensor (by id).
struct Operand {
  int tensor = -1;
  int64_t offset = 0, length = 0;
};

// A NoC flow: one source neurocore (or the host, kHostCore) sending to a set of destinations,
// along its multicast tree (directed mesh links (from core, to core), XY routes).
struct Flow {
  FlowKind kind = FlowKind::kEvents;
  int op = -1;                      // consuming op (events, values) or embed / last op
  int src_core = -1;                // kHostCore: the host
  std::vector<int> dst_cores;       // sorted, unique; kHostCore: the host
  int64_t channels = 0;             // channels carried per token (upper bound for events)
  std::vector<std::pair<int, int>> links;
};

// One step of the per-token schedule: a phase of one op on the neurocores it lists.
struct Phase {
  PhaseKind kind = PhaseKind::kInject;
  int op = -1;
  std::vector<int> cores;           // neurocores active in the phase (sorted)
};

// A contiguous range of a tensor's channels held by one neurocore (the core of tile `tile`).
struct ProgramSegment {
  int64_t begin = 0, end = 0;
  int tile = -1, core = -1;
};

struct ProgramTensor {
  std::string name;
  int64_t length = 0;
  std::string format;                      // "token", "q15.16", "block30"
  std::vector<ProgramSegment> segments;    // ordered, disjoint, covering [0, length) (none: the token)
};

struct ProgramOp {
  OpKind kind = OpKind::kEmbed;
  std::string name;                        // HF module path, e.g. "model.layers.0.attn.i_proj"
  int layer = -1;                          // -1 outside the layers
  std::vector<Operand> inputs;
  int output = -1;                         // tensor id
  std::map<std::string, std::string> consts;  // role -> blob name
  std::vector<int> tiles;                  // bitlinear: its row tiles
  int64_t in = 0, out = 0;                 // bitlinear: fan-in and rows
  Scale layer_c;                           // bitlinear: the layer scale (docs/numerics.md §5)
  int norm_exp = 0;                        // norm_scale: exponent of the norm-weight mantissas, [0, 62]
  Scale eps;                               // norm_scale: the RMSNorm's eps (§4a), a Scale in [2^-80, 1]
  bool bounded = false;                    // mlgru: the forget gate's lower bound applies
};

// A BitLinear row tile: rows [row_begin, row_end) of op `op`, its weight memory in blob `blob`
// (arch/weight_memory.hpp layout), held in `core`'s synapse SRAM or streamed from DRAM.
struct ProgramTile {
  int op = -1;
  int64_t row_begin = 0, row_end = 0;
  int core = -1;
  bool in_dram = false;
  int64_t weight_bytes = 0, neuron_bytes = 0;
  std::string blob;
  int64_t rows() const { return row_end - row_begin; }
};

// A router's table: flow index -> port mask (PortBit bits).
struct RoutingTable {
  int core = -1;
  std::vector<std::pair<int, int>> entries;
};

// A neurocore that holds tiles, and what it holds.
struct CoreUse {
  int core = -1;
  std::vector<int> tiles;
  int64_t synapse_bytes = 0, neuron_bytes = 0;
};

// The model an image was compiled from (HF config fields).
struct ProgramModel {
  std::string name;
  int64_t vocab_size = 0, hidden_size = 0, num_hidden_layers = 0, intermediate_size = 0;
  bool use_lower_bound = true;
};

// Checks Program::from_image can be told to skip. For tests only (no command or library user sets
// them): a test forges an image the loader refuses, to exercise what would happen downstream, e.g.
// the flit engine's watchdog on routes that deadlock (tests/test_flit_network.cpp).
struct ProgramChecks {
  bool routes = true;  // routing tables against the flows, and no cycle in the channel dependency graph
};

struct Program {
  ProgramModel model;
  std::string chip_name, chip_text, energy_table_text, cost_table_text;  // the chip's files verbatim
  ChipDescription chip;                    // chip_text, parsed and validated
  std::optional<EnergyTable> energy_table; // energy_table_text at the chip's node and supply (none if "")
  std::optional<TechnologyTable> cost_table;  // cost_table_text (none if "")
  uint64_t seed = 0;                       // placement seed
  nlohmann::json producer;                 // {"tool", "version"} of the neurark that compiled it
                                           // (arch::image_producer_json); null for an image made before it was recorded
  std::vector<std::string> passes;         // the pipeline that built it
  WeightEncoding weight_encoding = WeightEncoding::kPacked2;
  std::vector<ProgramTensor> tensors;
  std::vector<ProgramOp> ops;              // execution order
  std::vector<ProgramTile> tiles;
  std::vector<Flow> flows;
  std::vector<RoutingTable> routing;
  std::vector<Phase> schedule;
  std::vector<CoreUse> cores;
  std::string sigmoid_lut_blob = "lut.sigmoid_q32";
  int logits = -1;                         // tensor id of the logits
  int64_t traffic_channel_hops_per_token = 0;  // the placement objective (estimates)

  // Reads the program of an opened image and validates it: format, chip and energy table (with
  // their own validation), every id and range (tensors, ops, tiles, cores inside the chip,
  // segments tiling their tensors, operands inside their tensors, tiles belonging to their op,
  // BitLinear shapes agreeing with their tensors), flow links joining mesh neighbours and
  // forming a tree rooted at the flow's source, known op / phase / flow kinds, weight memories
  // of their tile's size in the chip's encoding (packed2: no invalid code 10), the sigmoid LUT
  // equal to this build's, an embed op. Throws neurark::Error "<image>: image program: <field>:
  // <what was wrong>" (or "malformed manifest: ..." for a missing key or a wrong JSON type).
  static Program from_image(const Image& image);
  // The same, with `checks` off (tests only, ProgramChecks).
  static Program from_image(const Image& image, const ProgramChecks& checks);
  // The manifest keys of the program (everything but "blobs"), as emit writes them.
  nlohmann::json to_manifest() const;

  MeshGrid grid() const { return MeshGrid::of(chip); }
  // Flits of one event packet on this chip's links (arch::event_packet_bits over the flows).
  int64_t event_flits() const;
  int bitlinear_count() const;
  // The links of flow `f` in the order a flit walks them (parents before children, breadth
  // first from the source): {link id, from core, to core}.
  std::vector<std::array<int, 3>> walk_order(int f) const;
};

}  // namespace neurark::arch
