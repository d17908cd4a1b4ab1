// Partition BitLinears into row tiles and pack them onto neurocores: see
// neurark/compiler/partition.hpp and docs/compiler.md.
#include "neurark/compiler/partition.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"

namespace neurark::compiler {

namespace {

using arch::ChipDescription;
using arch::WeightEncoding;

int64_t row_nnz(const models::IntBitLinear& w, int64_t r) {
  int64_t n = 0;
  const int8_t* row = w.w_t.data() + r * w.in;
  for (int64_t k = 0; k < w.in; ++k) n += row[k] != 0;
  return n;
}

int64_t row_bytes(const models::IntBitLinear& w, int64_t r, const arch::NeurocoreParams& core,
                  WeightEncoding enc) {
  if (enc == WeightEncoding::kPacked2) return (2 * w.in + 7) / 8;
  return (row_nnz(w, r) * (core.sparse_index_bits + 1) + 7) / 8;
}

// Row tiles of one BitLinear: equal-sized chunks no larger than the accumulators and the SRAM.
std::vector<Tile> tiles_of(std::size_t index, const BitLinearRef& ref, const arch::NeurocoreParams& core,
                           WeightEncoding enc) {
  const models::IntBitLinear& w = *ref.weights;
  int64_t widest = 0;
  for (int64_t r = 0; r < w.out; ++r) widest = std::max(widest, row_bytes(w, r, core, enc));
  if (widest > core.synapse_sram_bytes)
    throw Error(fmt::format("{}: one output row of {} inputs needs {} bytes of synapse SRAM ({}), more "
                            "than a neurocore's {} bytes; a column split of BitLinears is not supported: "
                            "raise neurocore.synapse_sram_bytes to at least {}",
                            ref.name, w.in, widest, arch::to_string(enc), core.synapse_sram_bytes, widest));
  const int64_t cap = std::max<int64_t>(1, std::min(core.accumulators, widest > 0 ? core.synapse_sram_bytes / widest : w.out));
  const int64_t ntiles = (w.out + cap - 1) / cap;
  const int64_t rows = (w.out + ntiles - 1) / ntiles;
  std::vector<Tile> tiles;
  for (int64_t r0 = 0; r0 < w.out; r0 += rows) {
    Tile t;
    t.bitlinear = index;
    t.row_begin = r0;
    t.row_end = std::min(w.out, r0 + rows);
    t.weight_bytes = tile_bytes(w, t.row_begin, t.row_end, core, enc);
    tiles.push_back(t);
  }
  return tiles;
}

// First-fit over `cores` cores of `sram` bytes; returns the index of the first tile that found
// no core (nullopt if all fit). Fills core_used and tile.core.
std::optional<std::size_t> pack(std::vector<Tile>& tiles, int64_t cores, int64_t sram,
                                std::vector<int64_t>& core_used) {
  core_used.assign(static_cast<std::size_t>(cores), 0);
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    tiles[i].core = -1;
    for (int64_t c = 0; c < cores; ++c) {
      if (core_used[static_cast<std::size_t>(c)] + tiles[i].weight_bytes <= sram) {
        core_used[static_cast<std::size_t>(c)] += tiles[i].weight_bytes;
        tiles[i].core = static_cast<int>(c);
        break;
      }
    }
    if (tiles[i].core < 0) return i;
  }
  return std::nullopt;
}

std::vector<Tile> all_tiles(const std::vector<BitLinearRef>& bls, const arch::NeurocoreParams& core,
                            WeightEncoding enc) {
  std::vector<Tile> tiles;
  for (std::size_t i = 0; i < bls.size(); ++i) {
    std::vector<Tile> t = tiles_of(i, bls[i], core, enc);
    tiles.insert(tiles.end(), t.begin(), t.end());
  }
  return tiles;
}

int64_t total_bytes(const std::vector<Tile>& tiles) {
  int64_t s = 0;
  for (const Tile& t : tiles) s += t.weight_bytes;
  return s;
}

}  // namespace

std::vector<BitLinearRef> bitlinears_in_order(const models::IntModel& m) {
  std::vector<BitLinearRef> out;
  for (std::size_t l = 0; l < m.layers.size(); ++l) {
    const models::IntLayer& L = m.layers[l];
    const std::string p = fmt::format("model.layers.{}.", l);
    out.push_back({p + "attn.i_proj", &L.i_proj});
    out.push_back({p + "attn.f_proj", &L.f_proj});
    out.push_back({p + "attn.g_proj", &L.g_proj});
    out.push_back({p + "attn.o_proj", &L.o_proj});
    out.push_back({p + "mlp.gate_proj", &L.gate_proj});
    out.push_back({p + "mlp.down_proj", &L.down_proj});
  }
  out.push_back({"lm_head", &m.lm_head});
  return out;
}

int64_t tile_bytes(const models::IntBitLinear& w, int64_t r0, int64_t r1, const arch::NeurocoreParams& core,
                   WeightEncoding enc) {
  int64_t b = 0;
  for (int64_t r = r0; r < r1; ++r) b += row_bytes(w, r, core, enc);
  return b;
}

Partition partition_and_pack(const models::IntModel& model, const ChipDescription& chip) {
  const std::vector<BitLinearRef> bls = bitlinears_in_order(model);
  const WeightEncoding enc = chip.core.weight_encoding;
  Partition p;
  p.tiles = all_tiles(bls, chip.core, enc);
  p.weight_bytes = total_bytes(p.tiles);
  const int64_t cores = chip.total_cores();
  const int64_t sram = chip.core.synapse_sram_bytes;
  const std::optional<std::size_t> first_miss = pack(p.tiles, cores, sram, p.core_bytes_used);
  if (first_miss) {
    if (chip.dram.present) {
      // Whatever found no core streams from DRAM (timing and energy charge it later).
      for (std::size_t i = *first_miss; i < p.tiles.size(); ++i) {
        Tile& t = p.tiles[i];
        if (t.core >= 0) continue;
        for (int64_t c = 0; c < cores && t.core < 0; ++c)
          if (p.core_bytes_used[static_cast<std::size_t>(c)] + t.weight_bytes <= sram) {
            p.core_bytes_used[static_cast<std::size_t>(c)] += t.weight_bytes;
            t.core = static_cast<int>(c);
          }
        if (t.core < 0) p.dram_bytes += t.weight_bytes;
      }
      if (p.dram_bytes > chip.dram.bytes)
        throw Error(fmt::format("model does not fit chip '{}' ({}): {} bytes of weights spill to DRAM, "
                                "which holds {} bytes; set dram.bytes to at least {}",
                                chip.name, chip.source_path, p.dram_bytes, chip.dram.bytes, p.dram_bytes));
    } else {
      const Tile& miss = p.tiles[*first_miss];
      const int64_t available = cores * sram;
      // What would make it fit: more cores of the same size (packing on an unbounded mesh) ...
      std::vector<Tile> probe = p.tiles;
      std::vector<int64_t> used;
      pack(probe, static_cast<int64_t>(probe.size()), sram, used);
      int64_t need_cores = 0;
      for (int64_t u : used) need_cores += u > 0;
      const auto w = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(need_cores))));
      const int64_t h = (need_cores + w - 1) / w;
      // ... or more SRAM per core on this mesh (smallest multiple of 1 KiB that packs) ...
      int64_t lo = sram, hi = std::max(sram, p.weight_bytes);
      while (hi - lo > 1024) {
        const int64_t mid = lo + (hi - lo) / 2;
        std::vector<Tile> t2 = all_tiles(bls, [&] { auto c = chip.core; c.synapse_sram_bytes = mid; return c; }(), enc);
        if (pack(t2, cores, mid, used)) lo = mid; else hi = mid;
      }
      const int64_t need_sram = (hi + 1023) / 1024 * 1024;
      // ... or the other encoding, where it is smaller.
      const WeightEncoding other = enc == WeightEncoding::kPacked2 ? WeightEncoding::kSparse : WeightEncoding::kPacked2;
      int64_t other_bytes = -1;
      try {
        other_bytes = total_bytes(all_tiles(bls, chip.core, other));
      } catch (const Error&) {
      }
      std::string other_hint;
      if (other_bytes >= 0 && other_bytes < p.weight_bytes)
        other_hint = fmt::format("; or neurocore.weight_encoding: {} ({} bytes in all)", arch::to_string(other), other_bytes);
      throw Error(fmt::format(
          "model does not fit chip '{}' ({}): {} rows {}..{} need {} bytes of synapse SRAM and no neurocore "
          "has that much left; the model's ternary weights need {} bytes ({}), the chip has {} bytes "
          "({} neurocores x {} bytes). To fit: a mesh of at least {} neurocores (e.g. mesh {} x {}); or "
          "neurocore.synapse_sram_bytes: {} on this mesh; or dram.present: true with dram.bytes >= {}{}",
          chip.name, chip.source_path.empty() ? "built-in" : chip.source_path, bls[miss.bitlinear].name,
          miss.row_begin, miss.row_end - 1, miss.weight_bytes, p.weight_bytes, arch::to_string(enc), available,
          cores, sram, need_cores, w, h, need_sram, p.weight_bytes - available, other_hint));
    }
  }
  for (int64_t u : p.core_bytes_used) p.cores_used += u > 0;
  return p;
}

}  // namespace neurark::compiler
