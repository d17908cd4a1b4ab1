// SPDX-License-Identifier: Apache-2.0
// Pass `partition` — reads the folded graph and the chip; cuts every bitlinear into row tiles,
// gives every tensor its segments, and decides whether the model fits (docs/compiler.md).
//   Tiles: output rows [r0, r1) with all K inputs, so an input event (k, q) is multicast to every
//   tile of its BitLinear and each tile accumulates complete sums (no partial-sum traffic). A
//   tile has at most neurocore.accumulators rows (sparse: at most 2^sparse_index_bits) and its
//   weight memory (arch/weight_memory.hpp) must fit the synapse SRAM; a BitLinear is cut into
//   the fewest equal tiles that satisfy both.
//   Segments: a bitlinear's output channels live on its tiles; an element-wise op's output lives
//   where its first operand lives (lower put the BitLinear output first); the embedding lives
//   where the residual it is added to lives. So element-wise work runs on the neurocore that
//   produced the data, and only second operands travel.
//   Neuron memory: each tile's segments need state memory: 4 B per MLGRU channel (Q11.20 h),
//   4 B per lower bound, 2 B per norm-weight mantissa of a norm_scale and of every BitLinear
//   that reads the segment (its input is quantized where it is produced), 8 B per tile (C).
//   Fit: tiles are packed first fit in execution order over neurocores in index order, both
//   memories checked; on a chip with DRAM, tiles whose weights find no SRAM stream from DRAM.
// Guarantees: tiles cover every bitlinear's rows exactly once; segments of every tensor are
// disjoint, ordered and cover it; every tile has a core (the initial placement, which `place`
// improves); or neurark::Error naming the first tile that found no room, the bytes needed and
// available and what would make the model fit. Deterministic, no seed.
#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/arch/numerics.hpp"
#include "neurark/arch/weight_memory.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/compiler/passes.hpp"

namespace neurark::compiler {

namespace {

using arch::WeightEncoding;

struct RowNnz {
  std::vector<int64_t> prefix;  // prefix[r] = non-zeros in rows [0, r)
};

RowNnz row_nnz(const Op& op) {
  if (static_cast<int64_t>(op.row_nnz.size()) != op.out) throw std::logic_error("partition: " + op.name + " is not folded");
  RowNnz r;
  r.prefix.assign(static_cast<std::size_t>(op.out + 1), 0);
  for (int64_t o = 0; o < op.out; ++o)
    r.prefix[static_cast<std::size_t>(o + 1)] = r.prefix[static_cast<std::size_t>(o)] + op.row_nnz[static_cast<std::size_t>(o)];
  return r;
}

int64_t bytes_of(WeightEncoding enc, const arch::NeurocoreParams& core, const RowNnz& nz, int64_t in, int64_t r0,
                 int64_t r1) {
  if (enc == WeightEncoding::kPacked2) return arch::packed2_tile_bytes(r1 - r0, in);
  return arch::sparse_tile_bytes(in, nz.prefix[static_cast<std::size_t>(r1)] - nz.prefix[static_cast<std::size_t>(r0)],
                                 core.sparse_index_bits);
}

// Row ranges of the fewest equal tiles of a BitLinear that fit `core`; nullopt if one row does not.
std::optional<std::vector<std::pair<int64_t, int64_t>>> cut(WeightEncoding enc, const arch::NeurocoreParams& core,
                                                            const RowNnz& nz, int64_t in, int64_t out) {
  int64_t max_rows = core.accumulators;
  if (enc == WeightEncoding::kSparse) max_rows = std::min<int64_t>(max_rows, int64_t{1} << std::min<int64_t>(core.sparse_index_bits, 40));
  for (int64_t n = (out + max_rows - 1) / max_rows; n <= out; ++n) {
    const int64_t rows = (out + n - 1) / n;
    std::vector<std::pair<int64_t, int64_t>> t;
    bool ok = true;
    for (int64_t r0 = 0; r0 < out && ok; r0 += rows) {
      const int64_t r1 = std::min(out, r0 + rows);
      ok = bytes_of(enc, core, nz, in, r0, r1) <= core.synapse_sram_bytes;
      t.emplace_back(r0, r1);
    }
    if (ok) return t;
    if (rows == 1) break;
    // Skip ahead: at least as many tiles as the byte total demands.
    const int64_t need = (bytes_of(enc, core, nz, in, 0, out) + core.synapse_sram_bytes - 1) / core.synapse_sram_bytes;
    if (need > n + 1) n = need - 1;
  }
  return std::nullopt;
}

struct Cut {
  std::vector<Tile> tiles;
  int64_t weight_bytes = 0;
};

// Tiles of every bitlinear for a given neurocore; throws if one row cannot fit.
Cut cut_all(const Graph& g, const arch::NeurocoreParams& core, WeightEncoding enc,
            const std::vector<RowNnz>& nnz) {
  Cut c;
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    if (op.kind != arch::OpKind::kBitLinear) continue;
    if (op.in > arch::kEventChannels)
      throw Error(fmt::format("{}: fan-in {} exceeds the {} input channels an event packet can name (its 16-bit channel "
                              "field, arch/noc.hpp); a column split of BitLinears is not supported",
                              op.name, op.in, arch::kEventChannels));
    const RowNnz& nz = nnz[i];
    const auto ranges = cut(enc, core, nz, op.in, op.out);
    if (!ranges) {
      int64_t widest = 0;
      for (int64_t r = 0; r < op.out; ++r) widest = std::max(widest, bytes_of(enc, core, nz, op.in, r, r + 1));
      throw Error(fmt::format("{}: one output row of {} inputs needs {} bytes of synapse SRAM ({}), more than a "
                              "neurocore's {} bytes; a column split of BitLinears is not supported: raise "
                              "neurocore.synapse_sram_bytes to at least {}",
                              op.name, op.in, widest, arch::to_string(enc), core.synapse_sram_bytes, widest));
    }
    for (const auto& [r0, r1] : *ranges) {
      Tile t;
      t.op = static_cast<int>(i);
      t.row_begin = r0;
      t.row_end = r1;
      t.weight_bytes = bytes_of(enc, core, nz, op.in, r0, r1);
      c.weight_bytes += t.weight_bytes;
      c.tiles.push_back(t);
    }
  }
  return c;
}

// First fit of tiles over `cores` neurocores; returns the first tile that found no room.
// With `dram`, a tile whose weights find no SRAM is marked in_dram and only needs neuron memory.
std::optional<std::size_t> pack(std::vector<Tile>& tiles, int64_t cores, const arch::NeurocoreParams& core, bool dram,
                                int64_t* dram_bytes = nullptr) {
  std::vector<int64_t> sram(static_cast<std::size_t>(cores), 0), neuron(static_cast<std::size_t>(cores), 0);
  if (dram_bytes != nullptr) *dram_bytes = 0;
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    Tile& t = tiles[i];
    t.core = -1;
    t.in_dram = false;
    for (int64_t c = 0; c < cores; ++c) {
      const auto ci = static_cast<std::size_t>(c);
      if (sram[ci] + t.weight_bytes <= core.synapse_sram_bytes && neuron[ci] + t.neuron_bytes <= core.state_memory_bytes) {
        sram[ci] += t.weight_bytes;
        neuron[ci] += t.neuron_bytes;
        t.core = static_cast<int>(c);
        break;
      }
    }
    if (t.core < 0 && dram) {
      for (int64_t c = 0; c < cores && t.core < 0; ++c)
        if (neuron[static_cast<std::size_t>(c)] + t.neuron_bytes <= core.state_memory_bytes) {
          neuron[static_cast<std::size_t>(c)] += t.neuron_bytes;
          t.core = static_cast<int>(c);
          t.in_dram = true;
          if (dram_bytes != nullptr) *dram_bytes += t.weight_bytes;
        }
    }
    if (t.core < 0) return i;
  }
  return std::nullopt;
}

void segment_like(Graph& g, int out, const Operand& src) {
  Tensor& t = g.tensors[static_cast<std::size_t>(out)];
  t.segments.clear();
  for (const Segment& s : g.tensors[static_cast<std::size_t>(src.tensor)].segments) {
    const int64_t b = std::max(s.begin, src.offset), e = std::min(s.end, src.offset + src.length);
    if (b < e) t.segments.push_back({b - src.offset, e - src.offset, s.tile});
  }
}

// Segments of every tensor and neuron bytes of every tile (from g.tiles and op.tiles).
void assign_segments(Graph& g) {
  for (Tensor& t : g.tensors) t.segments.clear();
  for (Tile& t : g.tiles) t.neuron_bytes = 8;
  int embed_out = -1;
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    Op& op = g.ops[i];
    if (op.kind == arch::OpKind::kEmbed) {
      embed_out = op.output;
    } else if (op.kind == arch::OpKind::kBitLinear) {
      for (int ti : op.tiles) {
        const Tile& tl = g.tiles[static_cast<std::size_t>(ti)];
        g.tensors[static_cast<std::size_t>(op.output)].segments.push_back({tl.row_begin, tl.row_end, ti});
      }
    } else {
      segment_like(g, op.output, op.inputs[0]);
    }
    // The embedding lives where the residual it joins lives.
    if (op.kind == arch::OpKind::kAddSat && embed_out >= 0 && op.inputs[1].tensor == embed_out)
      segment_like(g, embed_out, {op.output, 0, g.tensors[static_cast<std::size_t>(op.output)].length});
  }
  // Ops before the first residual add read the embedding: re-derive their segments now that it has some.
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    Op& op = g.ops[i];
    if (op.kind != arch::OpKind::kBitLinear && op.kind != arch::OpKind::kEmbed && g.tensors[static_cast<std::size_t>(op.output)].segments.empty())
      segment_like(g, op.output, op.inputs[0]);
  }
  for (const Tensor& t : g.tensors) {
    if (t.format == Format::kToken) continue;
    int64_t at = 0;
    for (const Segment& s : t.segments) {
      if (s.begin != at || s.end <= s.begin) throw std::logic_error("partition: segments of " + t.name + " do not tile it");
      at = s.end;
    }
    if (at != t.length) throw std::logic_error("partition: segments of " + t.name + " do not cover it");
  }
  // Neuron memory.
  const auto charge = [&](int tensor, int64_t bytes_per_channel) {
    for (const Segment& s : g.tensors[static_cast<std::size_t>(tensor)].segments)
      g.tiles[static_cast<std::size_t>(s.tile)].neuron_bytes += bytes_per_channel * (s.end - s.begin);
  };
  for (const Op& op : g.ops) {
    constexpr int64_t kNormMantBytes = arch::kNormWeightBits / 8;  // int32 norm-weight mantissas
    if (op.kind == arch::OpKind::kNormScale) charge(op.output, kNormMantBytes);
    if (op.kind == arch::OpKind::kMlgru) charge(op.output, op.bounded ? 8 : 4);
    if (op.kind == arch::OpKind::kBitLinear) charge(op.inputs[0].tensor, kNormMantBytes);
    // Sigma-delta events (docs/numerics.md §5b): each input's last sent code (int8) where the
    // input lives, and each row's accumulator (int32), kept from token to token.
    if (op.kind == arch::OpKind::kBitLinear && g.chip.core.events.sigma_delta()) {
      charge(op.inputs[0].tensor, arch::kSigmaDeltaSentCodeBytes);
      charge(op.output, arch::kSigmaDeltaAccumulatorBytes);
    }
  }
}

}  // namespace

void partition(Graph& g) {
  const arch::ChipDescription& chip = g.chip;
  const WeightEncoding enc = chip.core.weight_encoding;
  std::vector<RowNnz> nnz(g.ops.size());
  for (std::size_t i = 0; i < g.ops.size(); ++i)
    if (g.ops[i].kind == arch::OpKind::kBitLinear)
      nnz[i] = row_nnz(g.ops[i]);
  Cut c = cut_all(g, chip.core, enc, nnz);
  g.tiles = std::move(c.tiles);
  for (Op& op : g.ops) op.tiles.clear();
  for (std::size_t t = 0; t < g.tiles.size(); ++t)
    g.ops[static_cast<std::size_t>(g.tiles[t].op)].tiles.push_back(static_cast<int>(t));
  assign_segments(g);

  const int64_t cores = chip.total_cores();
  const int64_t sram = chip.core.synapse_sram_bytes;
  int64_t dram_bytes = 0;
  const std::optional<std::size_t> miss = pack(g.tiles, cores, chip.core, chip.dram.present, &dram_bytes);
  const std::string chip_where = chip.source_path.empty() ? "built-in" : chip.source_path;
  if (!miss && dram_bytes > chip.dram.bytes)
    throw Error(fmt::format("model does not fit chip '{}' ({}): {} bytes of weights spill to DRAM, which holds {} "
                            "bytes; set dram.bytes to at least {}", chip.name, chip_where, dram_bytes,
                            chip.dram.bytes, dram_bytes));
  if (miss) {
    const Tile& m = g.tiles[*miss];
    const Op& op = g.ops[static_cast<std::size_t>(m.op)];
    const int64_t available = cores * sram;
    int64_t neuron_total = 0, neuron_widest = 0;
    for (const Tile& t : g.tiles) {
      neuron_total += t.neuron_bytes;
      neuron_widest = std::max(neuron_widest, t.neuron_bytes);
    }
    // Which memory binds? Pack again with unlimited state memory: if that fits, only the state
    // memory is short, and the smallest state memory that packs is found by bisection.
    const auto packs_with = [&](int64_t sram_bytes, int64_t state_bytes) {
      arch::NeurocoreParams p = chip.core;
      p.synapse_sram_bytes = sram_bytes;
      p.state_memory_bytes = state_bytes;
      std::vector<Tile> t = g.tiles;
      return !pack(t, cores, p, chip.dram.present);
    };
    const int64_t unlimited = int64_t{1} << 50;
    const auto min_state = [&](int64_t sram_bytes) {
      int64_t lo_s = chip.core.state_memory_bytes, hi_s = std::max(neuron_total, neuron_widest);
      while (hi_s - lo_s > 1) {
        const int64_t mid = lo_s + (hi_s - lo_s) / 2;
        if (packs_with(sram_bytes, mid)) hi_s = mid; else lo_s = mid;
      }
      return hi_s;
    };
    const bool state_short = !packs_with(unlimited, chip.core.state_memory_bytes);
    const std::string state_msg = [&] {
      if (!state_short) return std::string();
      const int64_t need = min_state(unlimited);
      return fmt::format("its channels need {} bytes of neuron state memory in all (MLGRU state and norm constants{}; "
                         "the largest tile's channels {} bytes), the chip has {} neurocores x {} bytes: "
                         "neurocore.state_memory_bytes: {} packs it{}",
                         neuron_total,
                         chip.core.events.sigma_delta() ? ", and sigma-delta events' sent codes and accumulators" : "",
                         neuron_widest, cores, chip.core.state_memory_bytes, need,
                         need > chip.core.state_memory_bytes * 4 ? ", or use a larger mesh" : "");
    }();
    if (packs_with(sram, unlimited))  // SRAM (with DRAM, if any) is not what binds
      throw Error(fmt::format("model does not fit chip '{}' ({}): {}", chip.name, chip_where, state_msg));
    const std::string also_state = state_short ? "; and " + state_msg + " once the weights fit" : "";
    // What would make it fit: more cores of the same size ...
    std::vector<Tile> probe = g.tiles;
    pack(probe, static_cast<int64_t>(probe.size()), chip.core, false);
    int64_t need_cores = 0;
    for (const Tile& t : probe) need_cores = std::max<int64_t>(need_cores, t.core + 1);
    const auto w = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(need_cores))));
    const int64_t h = (need_cores + w - 1) / w;
    // ... or more SRAM per core on this mesh (the smallest multiple of 1 KiB that packs) ...
    int64_t lo = sram, hi = std::max(sram, c.weight_bytes + 4096);
    while (hi - lo > 1024) {
      const int64_t mid = lo + (hi - lo) / 2;
      arch::NeurocoreParams big = chip.core;
      big.synapse_sram_bytes = mid;
      big.state_memory_bytes = std::max<int64_t>(big.state_memory_bytes, 1) << 20;  // SRAM only
      std::vector<Tile> t2 = cut_all(g, big, enc, nnz).tiles;
      if (pack(t2, cores, big, false)) lo = mid; else hi = mid;
    }
    const int64_t need_sram = (hi + 1023) / 1024 * 1024;
    // ... or the other encoding, where it is smaller.
    const WeightEncoding other = enc == WeightEncoding::kPacked2 ? WeightEncoding::kSparse : WeightEncoding::kPacked2;
    std::string other_hint;
    try {
      const int64_t other_bytes = cut_all(g, chip.core, other, nnz).weight_bytes;
      if (other_bytes < c.weight_bytes)
        other_hint = fmt::format("; or neurocore.weight_encoding: {} ({} bytes in all)", arch::to_string(other), other_bytes);
    } catch (const Error&) {
    }
    throw Error(fmt::format(
        "model does not fit chip '{}' ({}): {} rows {}..{} need {} bytes of synapse SRAM and no neurocore has that "
        "much left; the model's ternary weights need {} bytes ({}), the chip has {} bytes ({} neurocore{} x {} "
        "bytes). To fit: a mesh of at least {} neurocores (e.g. mesh {} x {}); or neurocore.synapse_sram_bytes: {} "
        "(rounded up to a KiB) on this mesh; or dram.present: true with dram.bytes >= {}{}{}",
        chip.name, chip_where, op.name, m.row_begin, m.row_end - 1, m.weight_bytes, c.weight_bytes,
        arch::to_string(enc), available, cores, cores == 1 ? "" : "s", sram, need_cores, w, h, need_sram,
        std::max<int64_t>(c.weight_bytes - available, m.weight_bytes), other_hint, also_state));
  }
  g.passes_run.push_back("partition");
}

}  // namespace neurark::compiler
