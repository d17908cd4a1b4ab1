// SPDX-License-Identifier: Apache-2.0
// neurark/compiler/ir.hpp: the compiler's graph IR — one token's dataflow through an HGRNBit
// model, from the model-level ops of a checkpoint down to the integer ops of arch/ placed on a
// chip (docs/compiler.md).
//
// A Graph is a list of ops in execution order over vector tensors (one value per channel per
// token; the batch is one token, the recurrent state lives inside the ops that own it). Passes
// (passes.hpp) rewrite it in a fixed order; each level adds facts:
//   import     model-level ops (embedding, rms_norm, bit_linear, hgrn_recurrence,
//              rms_norm_swish_gate, swiglu, add) naming their checkpoint tensors;
//   lower      integer ops of arch/ (embed, norm_scale, bitlinear, mlgru, product, silu,
//              add_sat) with operand ranges;
//   fold       integer constants in the constant pool (ternary weights, int16 norm mantissas,
//              BitLinear layer scales, Q15.16 embeddings, UQ7.24 lower bounds);
//   partition  BitLinear row tiles and the segments of every tensor (which tile owns which
//              channels);
//   place      a neurocore per tile;  route  NoC flows and multicast trees;
//   schedule   the per-token phases;  emit  the chip image.
// Every id is an index into the owning vector; -1 means "none".
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/numerics.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/models/config.hpp"

namespace neurark::models {
struct Checkpoint;
}

namespace neurark::compiler {

// Model-level ops (import): what the checkpoint's modules compute.
enum class ModelOpKind { kEmbedding, kRmsNorm, kBitLinear, kHgrnRecurrence, kRmsNormSwishGate, kSwiGlu, kAdd };
const char* to_string(ModelOpKind k);

// An op's kind: a model-level op after import; after lower, one of the program's integer ops
// (arch::OpKind, the one list of what an image runs: neurark/arch/program.hpp). Compares equal
// to either enum: `op.kind == arch::OpKind::kBitLinear`, `op.kind == ModelOpKind::kAdd`.
class OpKind {
 public:
  constexpr OpKind(ModelOpKind k) : model_(k) {}                    // NOLINT(google-explicit-constructor)
  constexpr OpKind(arch::OpKind k) : integer_(true), program_(k) {}  // NOLINT(google-explicit-constructor)
  constexpr bool is_integer() const { return integer_; }
  // The kind at its level; throws std::logic_error when asked for the other level.
  ModelOpKind model() const;
  arch::OpKind program() const;
  friend constexpr bool operator==(OpKind a, OpKind b) {
    return a.integer_ == b.integer_ && (a.integer_ ? a.program_ == b.program_ : a.model_ == b.model_);
  }
  friend constexpr bool operator!=(OpKind a, OpKind b) { return !(a == b); }

 private:
  bool integer_ = false;
  ModelOpKind model_ = ModelOpKind::kEmbedding;
  arch::OpKind program_ = arch::OpKind::kEmbed;
};
const char* to_string(OpKind k);  // the model-level name, or arch::to_string of the integer op

// Number formats of tensors (docs/numerics.md §1).
enum class Format { kFloat, kQ16, kBlock30, kToken };
const char* to_string(Format f);

// A contiguous range of channels of a tensor owned by one tile (and so one neurocore).
struct Segment {
  int64_t begin = 0, end = 0;
  int tile = -1;  // home tile: the channels are produced and held where this tile is placed
};

struct Tensor {
  std::string name;
  int64_t length = 0;
  Format format = Format::kFloat;
  int producer = -1;               // op id
  std::vector<Segment> segments;   // after partition: disjoint, cover [0, length), ordered
};

// Operands, flows and phases are the program's (arch/program.hpp): the IR builds them, emit
// writes them into the image unchanged.
using arch::FlowKind;
using arch::Operand;
using arch::PhaseKind;
using Flow = arch::Flow;
using Phase = arch::Phase;
using arch::kHostCore;

// A BitLinear row tile: output rows [row_begin, row_end), its synapse SRAM bytes.
struct Tile {
  int op = -1;
  int64_t row_begin = 0, row_end = 0;
  int64_t weight_bytes = 0;   // in the chip's weight encoding
  int64_t neuron_bytes = 0;   // state memory of the segments homed here (state + constants)
  int core = -1;              // neurocore (global index over chips), -1: unplaced / DRAM
  bool in_dram = false;
};

// A constant: integer data with a dtype tag. Only one of the vectors is used. Large constants
// (ternary weights, the embedding table) are lazy: fold checks them and records their hash, and
// whoever needs the values recomputes them from the checkpoint piece by piece (ternary_rows,
// embedding_rows), so that compiling a large model never holds its weights.
struct Constant {
  std::string name;
  std::string dtype;             // "i8" | "i32"
  std::vector<int64_t> shape;
  std::vector<int8_t> i8;
  std::vector<int32_t> i32;
  bool lazy = false;             // values not held: see above
  uint64_t lazy_hash = 0;        // XXH3-64 of the values, computed by fold
  int64_t count() const;         // elements (product of shape)
  uint64_t hash() const;         // XXH3-64 of the little-endian bytes (dumps and tests)
};

struct Op {
  OpKind kind = ModelOpKind::kEmbedding;
  std::string name;               // HF module path, e.g. "model.layers.0.attn.i_proj"
  int layer = -1;                 // -1 outside the layers
  std::vector<Operand> inputs;
  int output = -1;                // tensor id
  std::map<std::string, std::string> source;  // role -> checkpoint tensor (model level)
  std::map<std::string, int> consts;          // role -> constant id (after fold)
  // BitLinear / bitlinear: shape and constants.
  int64_t in = 0, out = 0;
  arch::Scale layer_c;            // bitlinear: arch::bitlinear_layer_scale
  int norm_exp = 0;               // bitlinear: exponent of the internal norm mantissas; norm_scale: of its own
  arch::Scale eps;                // norm_scale: the RMSNorm's eps (scale_from_double(rms_norm_eps))
  float s_w = 0.0f;               // bitlinear: ternary weight scale (absmean), for ternary_rows
  std::vector<int32_t> row_nnz;   // bitlinear: non-zero ternary weights per output row
  bool bounded = false;           // mlgru: lower bound applied (every layer but the first)
  int state_bytes = 0;            // per channel state (mlgru: Q11.20 h)
  std::vector<int> tiles;         // bitlinear: tile ids (after partition)
};

struct Graph {
  models::HGRNBitConfig config;
  std::string model_dir;
  std::string model_name;          // folder name of the checkpoint
  arch::ChipDescription chip;
  std::string chip_text;           // the chip file as read (carried into the image)
  std::string energy_table_text;   // the chip's energy table file as read ("" if it names none)
  std::string cost_table_text;     // the chip's technology cost table file as read ("" if it names none)
  uint64_t seed = 0;               // placement seed
  std::vector<Tensor> tensors;
  std::vector<Op> ops;
  std::vector<Constant> constants;
  std::vector<Tile> tiles;
  std::vector<Flow> flows;
  std::vector<Phase> schedule;
  int logits = -1;                 // tensor id of the logits
  std::shared_ptr<const models::Checkpoint> checkpoint;  // source of lazy constants
  std::vector<std::string> passes_run;

  int add_tensor(std::string name, int64_t length, Format format);
  int add_constant(Constant c);
  // The core that holds channel `ch` of tensor `t` (after place); throws if not covered.
  int core_of(int t, int64_t ch) const;
  const Segment& segment_of(int t, int64_t ch) const;
  // Ops that read tensor t.
  std::vector<int> consumers(int t) const;
};

// Ternary weights of rows [r0, r1) of a folded bitlinear, recomputed from the checkpoint with the
// op's s_w (arch::ternarize): out[(r - r0) * op.in + k], values in {-1, 0, 1}.
void ternary_rows(const Graph& g, const Op& op, int64_t r0, int64_t r1, std::vector<int8_t>& out);
// Q15.16 embedding rows [r0, r1) (models::prepare_fixed): out[(t - r0) * d + k].
void embedding_rows(const Graph& g, int64_t r0, int64_t r1, std::vector<int32_t>& out);

// A readable, deterministic text dump of the graph (what --dump-after writes), MLIR-like: one
// line per tensor and op, then tiles, flows and the schedule when present.
std::string dump(const Graph& g);

}  // namespace neurark::compiler
