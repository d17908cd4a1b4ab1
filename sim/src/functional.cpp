// SPDX-License-Identifier: Apache-2.0
// The functional image interpreter: see neurark/sim/functional.hpp and docs/image-format.md.
#include "neurark/sim/functional.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/arch/numerics.hpp"
#include "neurark/arch/weight_memory.hpp"

namespace neurark::sim {

namespace {

using arch::kHostCore;
using arch::OpKind;
using arch::Operand;
using arch::Phase;
using arch::PhaseKind;
using arch::u128;

struct Seg {
  int64_t begin = 0, end = 0;
  int tile = -1, core = -1;
  std::vector<int32_t> val;     // the channels' values, held by `core`
  std::vector<int64_t> wide;    // norm_scale / product: p before normalization; bitlinear input: u
};

struct TensorRT {
  std::string name;
  int64_t length = 0;
  std::vector<Seg> segs;
  arch::BlockScale block;       // per token: what its values stand for (Q15.16 unless a norm_scale or product wrote it)
};

struct TileRT {
  int op = -1;
  int64_t r0 = 0, r1 = 0;
  int core = -1;
  bool in_dram = false;
  const uint8_t* mem = nullptr;  // the tile's weight memory, read in place in the image's mapping
  int64_t mem_bytes = 0;
  std::vector<int32_t> acc;
  // packed2: what an event on each column costs (its column scanned on the first event to it,
  // that scan's checks included; synaptic_ops < 0: not yet). A column's cost depends only on the
  // tile's codes and the chip, so later events read it here instead of scanning again.
  struct ColumnCost {
    int32_t synaptic_ops = -1;
    int32_t sram_words = 0;
    int32_t lane_cycles = 0;
    bool sram_port_bound = false;
  };
  std::vector<ColumnCost> column_costs;
};

struct OpRT {
  OpKind kind = OpKind::kEmbed;
  std::string name;
  int layer = -1;
  std::vector<Operand> inputs;
  int output = -1;
  std::vector<int> tiles;
  std::vector<int32_t> norm;          // norm_scale: norm_weight; bitlinear: internal norm
  std::vector<int32_t> lower_bound;   // mlgru (bounded)
  bool bounded = false;
  arch::Scale layer_c;
  int norm_exp = 0;                   // norm_scale
  arch::Scale eps;                    // norm_scale
  int64_t in = 0, out = 0;
  int bitlinear_index = -1;
  std::vector<int8_t> sent;           // bitlinear, sigma-delta events: the code each input last sent
  // Per token.
  uint64_t max_abs = 0;
  u128 sum_sq = 0;
  std::vector<std::vector<int32_t>> state;  // mlgru: h (Q11.20) per output segment
};

class FunctionalBackend final : public Backend {
 public:
  FunctionalBackend(const arch::Image& image, const arch::Program& program, PhaseObserver observer, EventProbe* probe);
  std::string name() const override { return "func"; }
  int64_t vocab_size() const override { return vocab_; }
  void reset() override;
  void step_q16(int32_t token, std::vector<int32_t>& logits_q16, StepObservation* obs) override;
  const Counters& counters() const override { return counters_; }
  const arch::ChipDescription* chip() const override { return &chip_; }
  const arch::EnergyTable* energy_table() const override { return has_energy_ ? &energy_ : nullptr; }
  const arch::TechnologyTable* cost_table() const override { return cost_ ? &*cost_ : nullptr; }
  std::vector<int> cores_with_tiles() const override { return cores_with_tiles_; }
  RecurrentState recurrent_state() const override;
  void load_recurrent_state(const RecurrentState& state) override;

 private:
  [[noreturn]] void bad(const std::string& field, const std::string& what) const {
    throw Error(fmt::format("{}: image program: {}: {}", path_, field, what));
  }
  void fetch(const Operand& o, int64_t b, int64_t e, int dst_core, int op, int32_t* out);
  void send(int op, int src, int dst, int64_t flits);  // counts flits over the flow's tree
  int64_t value_flits(int64_t values) const { return arch::value_packet_flits(values, chip_.noc.link_width_bits); }
  void run_phase(const Phase& ph, int32_t token, StepObservation* obs);
  // Core c's counters, the core noted as changed in this phase (info_.cores).
  UnitCounters& core_ctr(int c) {
    if (core_mark_[static_cast<std::size_t>(c)] != phase_mark_) {
      core_mark_[static_cast<std::size_t>(c)] = phase_mark_;
      info_.cores.push_back(c);
    }
    return counters_.per_core[static_cast<std::size_t>(c)];
  }
  // Adds flits to link l's count, the link noted as changed in this phase (info_.links).
  void add_link_flits(int l, int64_t flits) {
    if (link_mark_[static_cast<std::size_t>(l)] != phase_mark_) {
      link_mark_[static_cast<std::size_t>(l)] = phase_mark_;
      info_.links.push_back(l);
    }
    counters_.link_flits[static_cast<std::size_t>(l)] += flits;
  }
  // Tile t's accumulators set to W_tile times op's sent codes (sigma-delta state loaded).
  void rebuild_accumulators(const OpRT& op, int t);

  std::string path_;
  PhaseObserver observer_;
  EventProbe* probe_ = nullptr;
  PhaseInfo info_;                              // the running phase (for the probe)
  std::vector<int64_t> phase_codes_;            // per core: codes quantized in this events phase
  std::vector<int64_t> event_cols_;             // packed2: the events phase's events (input channel, code)
  std::vector<int8_t> event_codes_;
  arch::ChipDescription chip_;
  arch::EventMode events_;                      // chip_.core.events
  arch::EnergyTable energy_;
  bool has_energy_ = false;
  std::optional<arch::TechnologyTable> cost_;
  std::vector<int> cores_with_tiles_;
  int64_t vocab_ = 0, cores_ = 0;
  std::vector<TensorRT> tensors_;
  std::vector<OpRT> ops_;
  std::vector<TileRT> tiles_;
  std::vector<Phase> schedule_;
  const int32_t* embeddings_ = nullptr;         // [vocab][hidden] Q15.16, read in place in the image's mapping
  std::shared_ptr<const void> mapping_;         // keeps the image's mapping (tile memories, embeddings) alive
  int64_t hidden_ = 0;
  int logits_ = -1;
  std::vector<int> layer_out_;                 // tensor id of each layer's output
  std::map<std::pair<int, int>, std::vector<int>> event_tree_;       // (op, src) -> link ids
  std::map<std::pair<int, int>, int> event_flow_;                     // (op, src) -> flow index
  std::map<std::tuple<int, int, int>, std::vector<int>> value_tree_;  // (op, src, dst) -> link ids
  int64_t event_flits_ = 1;
  Counters counters_;
  std::vector<uint64_t> core_mark_, link_mark_;  // the phase that last changed a core's / link's counters
  uint64_t phase_mark_ = 0;                       // phases run so far
  std::vector<int32_t> logits_buf_;
};

FunctionalBackend::FunctionalBackend(const arch::Image& image, const arch::Program& program, PhaseObserver observer,
                                     EventProbe* probe)
    : path_(image.path()), observer_(std::move(observer)), probe_(probe), mapping_(image.mapping()) {
  // The program is validated (arch::Program::from_image); this copies what the interpreter
  // needs and reads the constants it computes with from the blobs.
  const arch::Program& p = program;
  chip_ = p.chip;
  events_ = chip_.core.events;
  cores_ = chip_.total_cores();
  if (p.energy_table) {
    energy_ = *p.energy_table;
    has_energy_ = true;
  }
  cost_ = p.cost_table;
  for (const arch::CoreUse& u : p.cores) cores_with_tiles_.push_back(u.core);
  vocab_ = p.model.vocab_size;
  hidden_ = p.model.hidden_size;
  logits_ = p.logits;
  event_flits_ = p.event_flits();
  for (const arch::ProgramTile& pt : p.tiles) {
    TileRT tl;
    tl.op = pt.op;
    tl.r0 = pt.row_begin;
    tl.r1 = pt.row_end;
    tl.core = pt.core;
    tl.in_dram = pt.in_dram;
    const auto [data, bytes] = image.blob(pt.blob);
    tl.mem = data;
    tl.mem_bytes = static_cast<int64_t>(bytes);
    tl.acc.assign(static_cast<std::size_t>(pt.rows()), 0);
    tiles_.push_back(std::move(tl));
  }
  for (const arch::ProgramTensor& pt : p.tensors) {
    TensorRT t;
    t.name = pt.name;
    t.length = pt.length;
    for (const arch::ProgramSegment& ps : pt.segments) {
      Seg seg;
      seg.begin = ps.begin;
      seg.end = ps.end;
      seg.tile = ps.tile;
      seg.core = ps.core;
      seg.val.assign(static_cast<std::size_t>(ps.end - ps.begin), 0);
      t.segs.push_back(std::move(seg));
    }
    tensors_.push_back(std::move(t));
  }
  int bitlinears = 0;
  for (const arch::ProgramOp& po : p.ops) {
    OpRT op;
    op.kind = po.kind;
    op.name = po.name;
    op.layer = po.layer;
    op.output = po.output;
    op.inputs = po.inputs;
    op.tiles = po.tiles;
    const auto n_out = tensors_[static_cast<std::size_t>(op.output)].length;
    if (op.kind == OpKind::kEmbed) {
      embeddings_ = image.blob_view<int32_t>(po.consts.at("table"), vocab_ * hidden_);
    } else if (op.kind == OpKind::kNormScale) {
      op.norm = image.blob_as<int32_t>(po.consts.at("norm_weight"), n_out);
      op.norm_exp = po.norm_exp;
      op.eps = po.eps;
    } else if (op.kind == OpKind::kBitLinear) {
      op.in = po.in;
      op.out = po.out;
      op.layer_c = po.layer_c;
      op.norm = image.blob_as<int32_t>(po.consts.at("norm"), op.in);
      op.bitlinear_index = bitlinears++;
    } else if (op.kind == OpKind::kMlgru) {
      op.bounded = po.bounded;
      if (op.bounded) op.lower_bound = image.blob_as<int32_t>(po.consts.at("lower_bound"), n_out);
    }
    if (op.layer >= 0) {
      if (static_cast<std::size_t>(op.layer) >= layer_out_.size()) layer_out_.resize(static_cast<std::size_t>(op.layer) + 1, -1);
      layer_out_[static_cast<std::size_t>(op.layer)] = op.output;
    }
    ops_.push_back(std::move(op));
  }
  // Flows: multicast trees as directed link ids.
  const arch::MeshGrid grid = p.grid();
  for (std::size_t f = 0; f < p.flows.size(); ++f) {
    const arch::Flow& flow = p.flows[f];
    std::vector<int> links;
    for (const auto& [a, b] : flow.links) links.push_back(grid.link_id(a, b));
    if (flow.kind == arch::FlowKind::kEvents) {
      event_tree_[{flow.op, flow.src_core}] = links;
      event_flow_[{flow.op, flow.src_core}] = static_cast<int>(f);
    } else if (!flow.dst_cores.empty()) {
      value_tree_[{flow.op, flow.src_core, flow.dst_cores[0]}] = links;
    }
  }
  schedule_ = p.schedule;
  counters_.per_core.assign(static_cast<std::size_t>(cores_), {});
  counters_.link_flits.assign(static_cast<std::size_t>(grid.links()), 0);
  core_mark_.assign(counters_.per_core.size(), 0);
  link_mark_.assign(counters_.link_flits.size(), 0);
  reset();
}

void FunctionalBackend::reset() {
  for (TileRT& tl : tiles_) std::fill(tl.acc.begin(), tl.acc.end(), 0);
  for (OpRT& op : ops_) {
    if (op.kind == OpKind::kBitLinear && events_.sigma_delta()) op.sent.assign(static_cast<std::size_t>(op.in), 0);
    if (op.kind != OpKind::kMlgru) continue;
    op.state.clear();
    for (const Seg& s : tensors_[static_cast<std::size_t>(op.output)].segs)
      op.state.emplace_back(static_cast<std::size_t>(s.end - s.begin), 0);
  }
}

RecurrentState FunctionalBackend::recurrent_state() const {
  // Each layer's MLGRU state, gathered from the neurocores that hold its channels' segments; under
  // sigma-delta events each BitLinear's sent codes (held where its input's segments live).
  std::map<int, std::vector<int32_t>> by_layer;
  RecurrentState out;
  for (const OpRT& op : ops_) {
    if (op.kind == OpKind::kBitLinear && events_.sigma_delta()) out.sent_codes.push_back(op.sent);
    if (op.kind != OpKind::kMlgru) continue;
    const TensorRT& t = tensors_[static_cast<std::size_t>(op.output)];
    std::vector<int32_t>& h = by_layer[op.layer];
    h.assign(static_cast<std::size_t>(t.length), 0);
    for (std::size_t si = 0; si < t.segs.size(); ++si)
      std::copy(op.state[si].begin(), op.state[si].end(), h.begin() + t.segs[si].begin);
  }
  for (auto& [layer, h] : by_layer) out.h_q20.push_back(std::move(h));
  return out;
}

void FunctionalBackend::load_recurrent_state(const RecurrentState& state) {
  // The inverse of recurrent_state(): each layer's h scattered to the segments that hold it; the
  // sent codes to their BitLinears, whose persistent accumulators are rebuilt from them.
  std::map<int, OpRT*> by_layer;
  std::vector<OpRT*> bitlinears;
  for (OpRT& op : ops_) {
    if (op.kind == OpKind::kMlgru) by_layer[op.layer] = &op;
    if (op.kind == OpKind::kBitLinear && events_.sigma_delta()) bitlinears.push_back(&op);
  }
  if (state.h_q20.size() != by_layer.size())
    throw std::invalid_argument(fmt::format("func: load_recurrent_state: {} layers given, the image has {}", state.h_q20.size(),
                                            by_layer.size()));
  if (state.sent_codes.size() != bitlinears.size())
    throw std::invalid_argument(fmt::format("func: load_recurrent_state: sent codes of {} BitLinears given, the image's "
                                            "{} events need {}", state.sent_codes.size(), arch::to_string(events_.encoding),
                                            bitlinears.size()));
  for (std::size_t b = 0; b < bitlinears.size(); ++b)
    if (static_cast<int64_t>(state.sent_codes[b].size()) != bitlinears[b]->in)
      throw std::invalid_argument(fmt::format("func: load_recurrent_state: BitLinear {} has {} inputs, {} sent codes given", b,
                                              bitlinears[b]->in, state.sent_codes[b].size()));
  std::size_t l = 0;
  for (auto& [layer, op] : by_layer) {
    const TensorRT& t = tensors_[static_cast<std::size_t>(op->output)];
    const std::vector<int32_t>& h = state.h_q20[l++];
    if (static_cast<int64_t>(h.size()) != t.length)
      throw std::invalid_argument(fmt::format("func: load_recurrent_state: layer {} has {} channels, {} given", layer, t.length,
                                              h.size()));
    for (std::size_t si = 0; si < t.segs.size(); ++si)
      std::copy(h.begin() + t.segs[si].begin, h.begin() + t.segs[si].end, op->state[si].begin());
  }
  for (std::size_t b = 0; b < bitlinears.size(); ++b) {
    bitlinears[b]->sent = state.sent_codes[b];
    for (int t : bitlinears[b]->tiles) rebuild_accumulators(*bitlinears[b], t);
  }
}

void FunctionalBackend::rebuild_accumulators(const OpRT& op, int t) {
  TileRT& tl = tiles_[static_cast<std::size_t>(t)];
  std::fill(tl.acc.begin(), tl.acc.end(), 0);
  const arch::NeurocoreParams& cp = chip_.core;
  for (int64_t k = 0; k < op.in; ++k) {
    const int8_t q = op.sent[static_cast<std::size_t>(k)];
    if (q == 0) continue;
    try {
      arch::accumulate_event(cp.weight_encoding, tl.mem, tl.mem_bytes, tl.r1 - tl.r0, op.in,
                             cp.sparse_index_bits, cp.sram_port_bits, k, q, tl.acc.data());
    } catch (const std::invalid_argument& e) {
      bad(fmt::format("tiles[{}]", t), fmt::format("malformed weight memory: {}", e.what()));
    }
  }
}

void FunctionalBackend::send(int op, int src, int dst, int64_t flits) {
  auto it = value_tree_.find({op, src, dst});
  counters_.flits += flits;
  if (it == value_tree_.end()) return;
  for (int l : it->second) add_link_flits(l, flits);
  counters_.flit_hops += flits * static_cast<int64_t>(it->second.size());
}

// Copies channels [b, e) of operand `o` into out; values held by another core travel to dst_core.
void FunctionalBackend::fetch(const Operand& o, int64_t b, int64_t e, int dst_core, int op, int32_t* out) {
  const TensorRT& t = tensors_[static_cast<std::size_t>(o.tensor)];
  const int64_t lo = o.offset + b, hi = o.offset + e;
  for (const Seg& s : t.segs) {
    const int64_t x0 = std::max(lo, s.begin), x1 = std::min(hi, s.end);
    if (x0 >= x1) continue;
    std::memcpy(out + (x0 - lo), s.val.data() + (x0 - s.begin), static_cast<std::size_t>(x1 - x0) * sizeof(int32_t));
    if (s.core != dst_core) {
      core_ctr(s.core).values_out += x1 - x0;
      counters_.total.values_out += x1 - x0;
      send(op, s.core, dst_core, value_flits(x1 - x0));
    }
  }
}

void FunctionalBackend::run_phase(const Phase& ph, int32_t token, StepObservation* obs) {
  OpRT& op = ops_[static_cast<std::size_t>(ph.op)];
  TensorRT& out = tensors_[static_cast<std::size_t>(op.output)];
  UnitCounters& tot = counters_.total;
  std::vector<int32_t> a, b;
  switch (ph.kind) {
    case PhaseKind::kInject:
      for (Seg& s : out.segs) {
        const int32_t* row = embeddings_ + static_cast<int64_t>(token) * hidden_;
        std::copy(row + s.begin, row + s.end, s.val.begin());
        send(ph.op, kHostCore, s.core, value_flits(s.end - s.begin));
      }
      return;
    case PhaseKind::kReduce:
      if (op.kind == OpKind::kBitLinear) {
        // Where the input lives: u = v * norm mantissas, partial max |u| and sum v^2.
        op.max_abs = 0;
        op.sum_sq = 0;
        const Operand& in = op.inputs[0];
        for (Seg& s : tensors_[static_cast<std::size_t>(in.tensor)].segs) {
          const int64_t x0 = std::max(in.offset, s.begin), x1 = std::min(in.offset + in.length, s.end);
          if (x0 >= x1) continue;
          s.wide.resize(static_cast<std::size_t>(x1 - x0));
          for (int64_t c = x0; c < x1; ++c)
            s.wide[static_cast<std::size_t>(c - x0)] =
                static_cast<int64_t>(s.val[static_cast<std::size_t>(c - s.begin)]) * op.norm[static_cast<std::size_t>(c - in.offset)];
          op.max_abs = std::max(op.max_abs, arch::absmax(s.wide.data(), x1 - x0));
          op.sum_sq += arch::sum_squares(s.val.data() + (x0 - s.begin), x1 - x0);
          ++core_ctr(s.core).reductions;
          ++tot.reductions;
          core_ctr(s.core).neuron_ops += 2 * (x1 - x0);  // v * norm and v^2 per channel
          tot.neuron_ops += 2 * (x1 - x0);
        }
        return;
      }
      // norm_scale / product: p = a * b where the output lives; partial max |p| (and, for
      // norm_scale, sum x^2 of its input, for the RMSNorm eps: docs/numerics.md §4a).
      op.max_abs = 0;
      op.sum_sq = 0;
      for (Seg& s : out.segs) {
        const int64_t n = s.end - s.begin;
        a.resize(static_cast<std::size_t>(n));
        fetch(op.inputs[0], s.begin, s.end, s.core, ph.op, a.data());
        s.wide.resize(static_cast<std::size_t>(n));
        if (op.kind == OpKind::kNormScale) {
          for (int64_t k = 0; k < n; ++k)
            s.wide[static_cast<std::size_t>(k)] = static_cast<int64_t>(a[static_cast<std::size_t>(k)]) * op.norm[static_cast<std::size_t>(s.begin + k)];
          op.sum_sq += arch::sum_squares(a.data(), n);
          core_ctr(s.core).neuron_ops += n;  // x^2 per channel
          tot.neuron_ops += n;
        } else {
          b.resize(static_cast<std::size_t>(n));
          fetch(op.inputs[1], s.begin, s.end, s.core, ph.op, b.data());
          for (int64_t k = 0; k < n; ++k)
            s.wide[static_cast<std::size_t>(k)] = static_cast<int64_t>(a[static_cast<std::size_t>(k)]) * b[static_cast<std::size_t>(k)];
        }
        op.max_abs = std::max(op.max_abs, arch::absmax(s.wide.data(), n));
        core_ctr(s.core).neuron_ops += n;
        tot.neuron_ops += n;
        ++core_ctr(s.core).reductions;
        ++tot.reductions;
      }
      return;
    case PhaseKind::kNormalize: {
      const int shift = arch::block_shift(op.max_abs);
      if (op.kind == OpKind::kNormScale) {
        out.block = arch::BlockScale{arch::kActFrac + op.norm_exp - shift, true, op.sum_sq, out.length, op.eps};
      } else {
        const arch::BlockScale& sa = tensors_[static_cast<std::size_t>(op.inputs[0].tensor)].block;
        const arch::BlockScale& sb = tensors_[static_cast<std::size_t>(op.inputs[1].tensor)].block;
        if (sa.normed && sb.normed) bad(op.name, "a product of two RMSNorm outputs (docs/numerics.md §4a)");
        out.block = sa.normed ? sa : sb;
        out.block.j = sa.j + sb.j - shift;
      }
      for (Seg& s : out.segs) {
        for (std::size_t k = 0; k < s.val.size(); ++k) s.val[k] = static_cast<int32_t>(arch::round_shift(s.wide[k], shift));
        core_ctr(s.core).neuron_ops += static_cast<int64_t>(s.val.size());
        tot.neuron_ops += static_cast<int64_t>(s.val.size());
      }
      return;
    }
    case PhaseKind::kEvents: {
      const Operand& in = op.inputs[0];
      std::vector<Event>* rec = obs != nullptr ? &obs->bitlinear_events[static_cast<std::size_t>(op.bitlinear_index)] : nullptr;
      if (rec != nullptr) rec->clear();
      const arch::NeurocoreParams& cp = chip_.core;
      if (probe_ != nullptr) phase_codes_.assign(static_cast<std::size_t>(cores_), 0);
      const bool packed2 = cp.weight_encoding == arch::WeightEncoding::kPacked2;
      event_cols_.clear();  // packed2: the phase's events (every tile of the BitLinear gets each)
      event_codes_.clear();
      for (Seg& s : tensors_[static_cast<std::size_t>(in.tensor)].segs) {
        const int64_t x0 = std::max(in.offset, s.begin), x1 = std::min(in.offset + in.length, s.end);
        if (x0 >= x1) continue;
        const auto tree = event_tree_.find({ph.op, s.core});
        const auto flow = event_flow_.find({ph.op, s.core});
        int8_t split[2];
        for (int64_t c = x0; c < x1; ++c) {
          const int8_t q = arch::quantize_absmax(s.wide[static_cast<std::size_t>(c - x0)], op.max_abs);
          ++counters_.activation_codes;
          ++core_ctr(s.core).codes;
          const int64_t code_index = probe_ != nullptr ? phase_codes_[static_cast<std::size_t>(s.core)]++ : 0;
          const int64_t k = c - in.offset;
          // What the input sends (numerics.md §5b); sigma-delta: its sent code read, compared and
          // (on an event) written where the input lives, one neuron-unit op.
          int8_t* sent = events_.sigma_delta() ? &op.sent[static_cast<std::size_t>(k)] : nullptr;
          if (sent != nullptr) {
            ++core_ctr(s.core).neuron_ops;
            ++tot.neuron_ops;
          }
          const int n_events = arch::split_event_value(arch::event_value(events_, q, sent), split);
          for (int ei = 0; ei < n_events; ++ei) {
            const int8_t ev = split[ei];
            if (rec != nullptr) rec->push_back({static_cast<int32_t>(k), ev});
            if (packed2) {
              event_cols_.push_back(k);
              event_codes_.push_back(ev);
            }
            if (probe_ != nullptr) probe_->event_out(info_, s.core, flow == event_flow_.end() ? -1 : flow->second, k, ev, code_index);
            ++core_ctr(s.core).events_out;
            ++tot.events_out;
            counters_.flits += event_flits_;
            if (tree != event_tree_.end()) {
              for (int l : tree->second) add_link_flits(l, event_flits_);
              counters_.flit_hops += event_flits_ * static_cast<int64_t>(tree->second.size());
            }
            for (int t : op.tiles) {
              TileRT& tl = tiles_[static_cast<std::size_t>(t)];
              arch::EventCost cost;
              int64_t lc = 0;
              bool port_bound = false;
              TileRT::ColumnCost* cc_cached = nullptr;
              if (packed2) {  // packed2: the cost and the check now, the sums for all the phase's events at its end
                if (tl.column_costs.empty()) tl.column_costs.resize(static_cast<std::size_t>(op.in));
                cc_cached = &tl.column_costs[static_cast<std::size_t>(k)];
              }
              if (cc_cached != nullptr && cc_cached->synaptic_ops >= 0) {
                cost = {cc_cached->synaptic_ops, cc_cached->sram_words};
                lc = cc_cached->lane_cycles;
                port_bound = cc_cached->sram_port_bound;
              } else {
                try {
                  cost = packed2 ? arch::packed2_event_cost(tl.mem, tl.mem_bytes, tl.r1 - tl.r0, op.in, cp.sram_port_bits, k)
                                 : arch::accumulate_event(cp.weight_encoding, tl.mem, tl.mem_bytes, tl.r1 - tl.r0, op.in,
                                                          cp.sparse_index_bits, cp.sram_port_bits, k, ev, tl.acc.data());
                } catch (const std::invalid_argument& e) {
                  bad(fmt::format("tiles[{}]", t), fmt::format("malformed weight memory: {}", e.what()));
                }
                lc = arch::event_accumulate_cycles(cp.weight_encoding, tl.r1 - tl.r0, k, cost, cp.lanes, cp.sram_port_bits);
                port_bound = arch::event_sram_port_bound(cp.weight_encoding, tl.r1 - tl.r0, cost, cp.lanes, cp.sram_port_bits);
                constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
                if (cc_cached != nullptr && cost.synaptic_ops <= kMax && cost.sram_words <= kMax && lc <= kMax)
                  *cc_cached = {static_cast<int32_t>(cost.synaptic_ops), static_cast<int32_t>(cost.sram_words),
                                static_cast<int32_t>(lc), port_bound};
              }
              UnitCounters& cc = core_ctr(tl.core);
              if (probe_ != nullptr) probe_->event_in(info_, tl.core, t, k, ev, cost, lc);
              ++cc.events_in;
              ++tot.events_in;
              cc.synaptic_ops += cost.synaptic_ops;
              tot.synaptic_ops += cost.synaptic_ops;
              cc.lane_cycles += lc;
              tot.lane_cycles += lc;
              if (port_bound) {
                cc.sram_port_cycles += lc;
                tot.sram_port_cycles += lc;
              }
              if (cp.weight_encoding == arch::WeightEncoding::kPacked2) {
                cc.synaptic_skips += (tl.r1 - tl.r0) - cost.synaptic_ops;
                tot.synaptic_skips += (tl.r1 - tl.r0) - cost.synaptic_ops;
              }
              (tl.in_dram ? cc.dram_words : cc.sram_words) += cost.sram_words;
              (tl.in_dram ? tot.dram_words : tot.sram_words) += cost.sram_words;
            }
          }
        }
      }
      // The sums: every tile's accumulators after all the phase's events (integer adds: the
      // order does not change them; a probe reads them at the requantize phase).
      if (packed2)
        for (int t : op.tiles) {
          TileRT& tl = tiles_[static_cast<std::size_t>(t)];
          arch::accumulate_packed2_events(tl.mem, tl.r1 - tl.r0, event_cols_.data(), event_codes_.data(),
                                          static_cast<int64_t>(event_cols_.size()), tl.acc.data());
        }
      return;
    }
    case PhaseKind::kRequantize: {
      const arch::BlockScale& in_block = tensors_[static_cast<std::size_t>(op.inputs[0].tensor)].block;
      if (in_block.normed && (op.inputs[0].offset != 0 || in_block.norm_n != op.in))
        bad(op.name, "its input is a slice of an RMSNorm's output (the eps needs the whole vector, docs/numerics.md §4a)");
      const arch::Scale S =
          arch::bitlinear_token_scale(op.layer_c, op.max_abs, op.sum_sq, arch::rmsnorm_eps_term(in_block, op.in));
      for (int t : op.tiles) {
        TileRT& tl = tiles_[static_cast<std::size_t>(t)];
        // The tile's rows are exactly one output segment (partition guarantees it).
        Seg* seg = nullptr;
        for (Seg& s : out.segs)
          if (s.tile == t) seg = &s;
        if (seg == nullptr || seg->begin != tl.r0 || seg->end != tl.r1) bad(op.name, "tile rows are not an output segment");
        if (probe_ != nullptr) probe_->accumulators(info_, tl.core, t, tl.acc.data(), tl.r1 - tl.r0);
        for (int64_t r = 0; r < tl.r1 - tl.r0; ++r) {
          seg->val[static_cast<std::size_t>(r)] = arch::requantize(tl.acc[static_cast<std::size_t>(r)], S);
          if (!events_.sigma_delta()) tl.acc[static_cast<std::size_t>(r)] = 0;  // sigma-delta: they persist (§5b)
        }
        // Sigma-delta: the tile's accumulators kept for the next token (one more neuron-unit
        // access per row: they are swapped through the state memory with the tile).
        const int64_t per_row = events_.sigma_delta() ? 2 : 1;
        core_ctr(tl.core).neuron_ops += per_row * (tl.r1 - tl.r0);
        tot.neuron_ops += per_row * (tl.r1 - tl.r0);
      }
      return;
    }
    case PhaseKind::kElementwise:
      for (std::size_t si = 0; si < out.segs.size(); ++si) {
        Seg& s = out.segs[si];
        const int64_t n = s.end - s.begin;
        a.resize(static_cast<std::size_t>(n));
        fetch(op.inputs[0], s.begin, s.end, s.core, ph.op, a.data());
        if (op.inputs.size() > 1) {
          b.resize(static_cast<std::size_t>(n));
          fetch(op.inputs[1], s.begin, s.end, s.core, ph.op, b.data());
        }
        for (int64_t k = 0; k < n; ++k) {
          const auto kk = static_cast<std::size_t>(k);
          switch (op.kind) {
            case OpKind::kMlgru:
              s.val[kk] = arch::mlgru_channel_q16(a[kk], b[kk],
                                                  op.bounded ? op.lower_bound[static_cast<std::size_t>(s.begin + k)] : 0,
                                                  op.bounded, &op.state[si][kk]);
              break;
            case OpKind::kSilu: s.val[kk] = arch::silu_q16(a[kk]); break;
            case OpKind::kAddSat: s.val[kk] = arch::add_sat_i32(a[kk], b[kk]); break;
            default: bad(op.name, "not an element-wise op");
          }
        }
        core_ctr(s.core).neuron_ops += n;
        tot.neuron_ops += n;
        const int64_t luts = op.kind == OpKind::kMlgru ? 3 * n : op.kind == OpKind::kSilu ? n : 0;
        core_ctr(s.core).lut_reads += luts;
        tot.lut_reads += luts;
      }
      return;
    case PhaseKind::kReadback:
      logits_buf_.assign(static_cast<std::size_t>(out.length), 0);
      for (const Seg& s : out.segs) {
        std::copy(s.val.begin(), s.val.end(), logits_buf_.begin() + s.begin);
        send(ph.op, s.core, kHostCore, value_flits(s.end - s.begin));
      }
      return;
  }
}

void FunctionalBackend::step_q16(int32_t token, std::vector<int32_t>& logits_q16, StepObservation* obs) {
  if (token < 0 || token >= vocab_)
    throw Error(fmt::format("func backend ({}): token {} outside [0, {})", path_, token, vocab_));
  if (obs != nullptr) {
    int n = 0;
    for (const OpRT& op : ops_) n += op.kind == OpKind::kBitLinear;
    obs->bitlinear_events.assign(static_cast<std::size_t>(n), {});
  }
  for (std::size_t i = 0; i < schedule_.size(); ++i) {
    ++phase_mark_;
    info_.cores.clear();
    info_.links.clear();
    if (observer_ || probe_ != nullptr) {
      const OpRT& op = ops_[static_cast<std::size_t>(schedule_[i].op)];
      info_.index = static_cast<int>(i);
      info_.kind = schedule_[i].kind;
      info_.op = schedule_[i].op;
      info_.op_name = op.name;
      info_.layer = op.layer;
      info_.token = counters_.tokens;
    }
    run_phase(schedule_[i], token, obs);
    if (observer_) {
      std::sort(info_.cores.begin(), info_.cores.end());
      std::sort(info_.links.begin(), info_.links.end());
      observer_(info_, counters_);
    }
  }
  ++counters_.tokens;
  logits_q16 = logits_buf_;
  if (static_cast<int64_t>(logits_q16.size()) != vocab_) bad("schedule", "no readback of the logits");
  if (obs != nullptr) {
    const auto gather = [&](int t) {
      const TensorRT& x = tensors_[static_cast<std::size_t>(t)];
      std::vector<int32_t> v(static_cast<std::size_t>(x.length));
      for (const Seg& s : x.segs) std::copy(s.val.begin(), s.val.end(), v.begin() + s.begin);
      return v;
    };
    obs->layer_out_q16.clear();
    for (int t : layer_out_) obs->layer_out_q16.push_back(gather(t));
    obs->tensors.clear();
    for (const OpRT& op : ops_)
      obs->tensors.push_back({tensors_[static_cast<std::size_t>(op.output)].name, op.name, arch::to_string(op.kind), gather(op.output)});
  }
}

}  // namespace

std::unique_ptr<Backend> make_functional_backend(const arch::Image& image, PhaseObserver observer, EventProbe* probe) {
  return make_functional_backend(image, arch::Program::from_image(image), std::move(observer), probe);
}

std::unique_ptr<Backend> make_functional_backend(const arch::Image& image, const arch::Program& program,
                                                 PhaseObserver observer, EventProbe* probe) {
  return std::make_unique<FunctionalBackend>(image, program, std::move(observer), probe);
}

}  // namespace neurark::sim
