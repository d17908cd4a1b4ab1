// SPDX-License-Identifier: Apache-2.0
// The graph IR: see neurark/compiler/ir.hpp.
#include "neurark/compiler/ir.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>
#include <xxhash.h>

#include "neurark/arch/error.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/int_ref.hpp"

namespace neurark::compiler {

const char* to_string(ModelOpKind k) {
  switch (k) {
    case ModelOpKind::kEmbedding: return "embedding";
    case ModelOpKind::kRmsNorm: return "rms_norm";
    case ModelOpKind::kBitLinear: return "bit_linear";
    case ModelOpKind::kHgrnRecurrence: return "hgrn_recurrence";
    case ModelOpKind::kRmsNormSwishGate: return "rms_norm_swish_gate";
    case ModelOpKind::kSwiGlu: return "swiglu";
    case ModelOpKind::kAdd: return "add";
  }
  return "?";
}

ModelOpKind OpKind::model() const {
  if (integer_) throw std::logic_error(fmt::format("op kind {} is an integer op, not a model-level op", arch::to_string(program_)));
  return model_;
}

arch::OpKind OpKind::program() const {
  if (!integer_) throw std::logic_error(fmt::format("op kind {} is a model-level op, not yet lowered", to_string(model_)));
  return program_;
}

const char* to_string(OpKind k) { return k.is_integer() ? arch::to_string(k.program()) : to_string(k.model()); }

const char* to_string(Format f) {
  switch (f) {
    case Format::kFloat: return "f32";
    case Format::kQ16: return "q15.16";
    case Format::kBlock30: return "block30";
    case Format::kToken: return "token";
  }
  return "?";
}

int64_t Constant::count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

uint64_t Constant::hash() const {
  static_assert(sizeof(int32_t) == 4, "");
  if (lazy) return lazy_hash;
  if (dtype == "i8") return XXH3_64bits(i8.data(), i8.size());
  return XXH3_64bits(i32.data(), i32.size() * 4);
}

int Graph::add_tensor(std::string name, int64_t length, Format format) {
  Tensor t;
  t.name = std::move(name);
  t.length = length;
  t.format = format;
  tensors.push_back(std::move(t));
  return static_cast<int>(tensors.size()) - 1;
}

int Graph::add_constant(Constant c) {
  constants.push_back(std::move(c));
  return static_cast<int>(constants.size()) - 1;
}

const Segment& Graph::segment_of(int t, int64_t ch) const {
  const std::vector<Segment>& s = tensors.at(static_cast<std::size_t>(t)).segments;
  auto it = std::upper_bound(s.begin(), s.end(), ch, [](int64_t c, const Segment& x) { return c < x.end; });
  if (it == s.end() || ch < it->begin)
    throw std::logic_error(fmt::format("tensor {} channel {} has no segment", tensors[static_cast<std::size_t>(t)].name, ch));
  return *it;
}

int Graph::core_of(int t, int64_t ch) const {
  return tiles.at(static_cast<std::size_t>(segment_of(t, ch).tile)).core;
}

std::vector<int> Graph::consumers(int t) const {
  std::vector<int> out;
  for (std::size_t i = 0; i < ops.size(); ++i)
    for (const Operand& o : ops[i].inputs)
      if (o.tensor == t) {
        out.push_back(static_cast<int>(i));
        break;
      }
  return out;
}

void ternary_rows(const Graph& g, const Op& op, int64_t r0, int64_t r1, std::vector<int8_t>& out) {
  if (!g.checkpoint) throw std::logic_error("ternary_rows: the graph has no checkpoint");
  if (r0 < 0 || r1 > op.out || r1 < r0) throw std::logic_error("ternary_rows: rows outside " + op.name);
  const std::string& name = op.source.at("weight");
  out.resize(static_cast<std::size_t>((r1 - r0) * op.in));
  thread_local std::vector<float> buf;  // reused: no zero-fill per call
  buf.resize(static_cast<std::size_t>(std::min<int64_t>(int64_t{1} << 20, std::max<int64_t>(1, (r1 - r0) * op.in))));
  const int64_t total = (r1 - r0) * op.in;
  for (int64_t done = 0; done < total;) {
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(buf.size()), total - done);
    g.checkpoint->read(name, static_cast<uint64_t>(r0 * op.in + done), static_cast<uint64_t>(n), buf.data());
    for (int64_t i = 0; i < n; ++i) out[static_cast<std::size_t>(done + i)] = arch::ternarize(buf[static_cast<std::size_t>(i)], op.s_w);
    done += n;
  }
}

void embedding_rows(const Graph& g, int64_t r0, int64_t r1, std::vector<int32_t>& out) {
  if (!g.checkpoint) throw std::logic_error("embedding_rows: the graph has no checkpoint");
  const int64_t d = g.config.hidden_size;
  out.resize(static_cast<std::size_t>((r1 - r0) * d));
  std::vector<float> row(static_cast<std::size_t>(d));
  for (int64_t t = r0; t < r1; ++t) {
    g.checkpoint->read("model.embeddings.weight", static_cast<uint64_t>(t * d), static_cast<uint64_t>(d), row.data());
    for (int64_t k = 0; k < d; ++k)
      if (!models::try_fixed(row[static_cast<std::size_t>(k)], arch::kActFrac, &out[static_cast<std::size_t>((t - r0) * d + k)]))
        models::prepare_fixed(row[static_cast<std::size_t>(k)], arch::kActFrac,  // throws, naming the element
                              fmt::format("{}: tensor 'model.embeddings.weight' [{}, {}]", g.model_dir, t, k));
  }
}

namespace {

std::string operand_str(const Graph& g, const Operand& o) {
  const Tensor& t = g.tensors[static_cast<std::size_t>(o.tensor)];
  if (o.offset == 0 && o.length == t.length) return fmt::format("%{}", o.tensor);
  return fmt::format("%{}[{}:{}]", o.tensor, o.offset, o.offset + o.length);
}

std::string core_str(int c) { return c == kHostCore ? "host" : c < 0 ? "-" : fmt::format("c{}", c); }

}  // namespace

std::string dump(const Graph& g) {
  std::string s;
  const models::HGRNBitConfig& c = g.config;
  s += fmt::format("graph \"{}\" hidden={} intermediate={} vocab={} layers={} chip=\"{}\" mesh={}x{} seed={}\n",
                   g.model_name, c.hidden_size, c.intermediate_size, c.vocab_size, c.num_hidden_layers,
                   g.chip.name, arch::MeshGrid::of(g.chip).width, arch::MeshGrid::of(g.chip).height, g.seed);
  s += "passes:";
  for (const std::string& p : g.passes_run) s += " " + p;
  s += "\n";
  for (std::size_t i = 0; i < g.constants.size(); ++i) {
    const Constant& k = g.constants[i];
    std::string shape;
    for (std::size_t d = 0; d < k.shape.size(); ++d) shape += (d ? "x" : "") + std::to_string(k.shape[d]);
    s += fmt::format("const #{} \"{}\" {}[{}] xxh3={:016x}\n", i, k.name, k.dtype, shape, k.hash());
  }
  for (std::size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor& t = g.tensors[i];
    s += fmt::format("tensor %{} \"{}\" [{}] {}", i, t.name, t.length, to_string(t.format));
    if (!t.segments.empty()) {
      s += " segments";
      for (const Segment& seg : t.segments) {
        const int core = seg.tile >= 0 ? g.tiles[static_cast<std::size_t>(seg.tile)].core : -1;
        s += fmt::format(" [{},{})@t{}", seg.begin, seg.end, seg.tile);
        if (core >= 0) s += ":" + core_str(core);
      }
    }
    s += "\n";
  }
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    std::string ins;
    for (std::size_t k = 0; k < op.inputs.size(); ++k) ins += (k ? ", " : "") + operand_str(g, op.inputs[k]);
    s += fmt::format("%{} = {} \"{}\"({})", op.output, to_string(op.kind), op.name, ins);
    if (op.kind == ModelOpKind::kBitLinear || op.kind == arch::OpKind::kBitLinear) s += fmt::format(" in={} out={}", op.in, op.out);
    if (op.kind == arch::OpKind::kBitLinear && op.layer_c.mant != 0)
      s += fmt::format(" C={}*2^{} norm_exp={}", op.layer_c.mant, op.layer_c.exp, op.norm_exp);
    if (op.kind == arch::OpKind::kNormScale && op.eps.mant != 0)
      s += fmt::format(" norm_exp={} eps={}*2^{}", op.norm_exp, op.eps.mant, op.eps.exp);
    if (op.kind == arch::OpKind::kMlgru || op.kind == ModelOpKind::kHgrnRecurrence) s += op.bounded ? " bounded" : " unbounded";
    for (const auto& [role, name] : op.source) s += fmt::format(" src.{}=\"{}\"", role, name);
    for (const auto& [role, id] : op.consts) s += fmt::format(" {}=#{}", role, id);
    if (!op.tiles.empty()) {
      s += " tiles=";
      for (std::size_t k = 0; k < op.tiles.size(); ++k) s += fmt::format("{}t{}", k ? "," : "", op.tiles[k]);
    }
    s += "\n";
  }
  for (std::size_t i = 0; i < g.tiles.size(); ++i) {
    const Tile& t = g.tiles[i];
    s += fmt::format("tile t{} op=%{} rows=[{},{}) weight_bytes={} neuron_bytes={} core={}{}\n", i,
                     g.ops[static_cast<std::size_t>(t.op)].output, t.row_begin, t.row_end, t.weight_bytes,
                     t.neuron_bytes, core_str(t.core), t.in_dram ? " dram" : "");
  }
  for (std::size_t i = 0; i < g.flows.size(); ++i) {
    const Flow& f = g.flows[i];
    std::string dsts;
    for (std::size_t k = 0; k < f.dst_cores.size(); ++k) dsts += (k ? "," : "") + core_str(f.dst_cores[k]);
    s += fmt::format("flow f{} {} op=%{} {} -> {} channels={} links={}\n", i, to_string(f.kind),
                     g.ops[static_cast<std::size_t>(f.op)].output, core_str(f.src_core), dsts, f.channels,
                     f.links.size());
  }
  for (std::size_t i = 0; i < g.schedule.size(); ++i) {
    const Phase& p = g.schedule[i];
    std::string cores;
    for (std::size_t k = 0; k < p.cores.size(); ++k) cores += (k ? "," : "") + core_str(p.cores[k]);
    s += fmt::format("phase {} {} op=%{} cores={}\n", i, to_string(p.kind),
                     g.ops[static_cast<std::size_t>(p.op)].output, cores);
  }
  return s;
}

}  // namespace neurark::compiler
