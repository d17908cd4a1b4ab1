// neurark/compiler/partition.hpp: partition every BitLinear into core-sized tiles and pack the
// tiles onto the chip's neurocores — the first two steps of lowering a model onto a chip, and the
// place where "does the model fit?" is decided.
//
// Execution model (docs/compiler.md): a BitLinear W [N x K] is cut into row tiles — tile t holds
// output rows [r0, r1) for all K inputs — so every input event (k, q) is multicast to the tiles
// of its BitLinear and each tile accumulates complete sums (no partial-sum traffic). A tile needs
// r1 - r0 <= neurocore.accumulators and its weights must fit in synapse SRAM: packed2 stores
// ceil(2K / 8) bytes per row; sparse stores ceil(nnz_row * (sparse_index_bits + 1) / 8) bytes
// per row (index plus sign). A neurocore may hold tiles of several BitLinears (they run in
// different phases of a token, so accumulators are time-shared). Tiles are packed first-fit in
// execution order over cores in row-major mesh order: deterministic, no seed involved.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/models/int_ref.hpp"

namespace neurark::compiler {

// One BitLinear of the model, in execution order, with what placement needs.
struct BitLinearRef {
  std::string name;                       // HF prefix, e.g. "model.layers.0.attn.i_proj"
  const models::IntBitLinear* weights = nullptr;
};
std::vector<BitLinearRef> bitlinears_in_order(const models::IntModel& model);

struct Tile {
  std::size_t bitlinear = 0;  // index into the BitLinearRef list
  int64_t row_begin = 0, row_end = 0;
  int64_t weight_bytes = 0;   // synapse SRAM bytes in the chip's encoding
  int core = -1;              // neurocore index (y * width + x over all chips), -1 = DRAM
};

struct Partition {
  std::vector<Tile> tiles;
  std::vector<int64_t> core_bytes_used;  // per neurocore
  int64_t weight_bytes = 0;              // all tiles, chip's encoding
  int64_t dram_bytes = 0;                // tiles placed in DRAM
  int cores_used = 0;
};

// Bytes of one BitLinear's rows [r0, r1) in `encoding` (see above).
int64_t tile_bytes(const models::IntBitLinear& w, int64_t r0, int64_t r1, const arch::NeurocoreParams& core,
                   arch::WeightEncoding encoding);

// Partitions and packs. Tiles that find no neurocore go to DRAM when the chip has it (up to
// dram.bytes). Otherwise throws neurark::Error: the model does not fit, naming the BitLinear and
// tile, the bytes needed and available, and what would make it fit (a larger mesh, more SRAM
// per core, DRAM, or the other weight encoding where it is smaller).
Partition partition_and_pack(const models::IntModel& model, const arch::ChipDescription& chip);

}  // namespace neurark::compiler
