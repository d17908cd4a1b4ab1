// SPDX-License-Identifier: Apache-2.0
// models/src/checkpoint.cpp: loading an HGRNBit checkpoint (see checkpoint.hpp).
#include "neurark/models/checkpoint.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/models/safetensors.hpp"

namespace neurark::models {

namespace {

std::string shape_str(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

// Flat row-major index -> "[i, j, ...]".
std::string index_str(std::size_t flat, const std::vector<int64_t>& shape) {
  std::vector<uint64_t> idx(shape.size(), 0);
  uint64_t rest = flat;
  for (std::size_t k = shape.size(); k > 0; --k) {
    const auto dim = static_cast<uint64_t>(shape[k - 1]);
    if (dim == 0) break;
    idx[k - 1] = rest % dim;
    rest /= dim;
  }
  return fmt::format("[{}]", fmt::join(idx, ", "));
}

std::string config_summary(const HGRNBitConfig& c) {
  return fmt::format("vocab_size {}, hidden_size {}, num_hidden_layers {}, intermediate_size {}{}",
                     c.vocab_size, c.hidden_size, c.num_hidden_layers, c.intermediate_size,
                     c.intermediate_size_derived ? " (derived)" : "");
}

class Loader {
 public:
  explicit Loader(const Checkpoint& ck) : ck_(ck) {}

  std::vector<float> values(const std::string& name) const { return ck_.read_all(name); }

  BitLinearWeights bitlinear(const std::string& prefix, int64_t in, int64_t out) const {
    BitLinearWeights w;
    w.in = in;
    w.out = out;
    w.weight = values(prefix + ".weight");
    w.norm = values(prefix + ".norm.weight");
    return w;
  }

 private:
  const Checkpoint& ck_;
};

}  // namespace

std::vector<ExpectedTensor> expected_tensors(const HGRNBitConfig& c) {
  const int64_t V = c.vocab_size;
  const int64_t d = c.hidden_size;
  const int64_t L = c.num_hidden_layers;
  const int64_t I = c.intermediate_size;
  std::vector<ExpectedTensor> out;
  out.push_back({"model.embeddings.weight", {V, d}});
  if (c.use_lower_bound) out.push_back({"model.lower_bounds", {L, d}});
  for (int64_t l = 0; l < L; ++l) {
    const std::string p = fmt::format("model.layers.{}.", l);
    out.push_back({p + "attn_norm.weight", {d}});
    for (const char* proj : {"i_proj", "f_proj", "g_proj", "o_proj"}) {
      out.push_back({p + "attn." + proj + ".weight", {d, d}});
      out.push_back({p + "attn." + proj + ".norm.weight", {d}});
    }
    out.push_back({p + "attn.g_norm.weight", {d}});
    out.push_back({p + "mlp_norm.weight", {d}});
    out.push_back({p + "mlp.gate_proj.weight", {2 * I, d}});
    out.push_back({p + "mlp.gate_proj.norm.weight", {d}});
    out.push_back({p + "mlp.down_proj.weight", {d, I}});
    out.push_back({p + "mlp.down_proj.norm.weight", {I}});
  }
  out.push_back({"model.norm.weight", {d}});
  out.push_back({"lm_head.weight", {V, d}});
  out.push_back({"lm_head.norm.weight", {d}});
  return out;
}

Checkpoint Checkpoint::open(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    throw Error(fmt::format("{}: does not exist, expected a checkpoint folder holding config.json and "
                            "model.safetensors",
                            dir));
  }
  if (!fs::is_directory(dir, ec)) {
    const fs::path p(dir);
    std::string hint;
    const std::string ext = p.extension().string();
    if (p.filename() == "config.json" || ext == ".safetensors" || p.filename() == "model.safetensors.index.json")
      hint = fmt::format(" (did you mean its folder '{}'?)", p.parent_path().empty() ? "." : p.parent_path().string());
    else if (ext == ".yaml" || ext == ".yml")
      hint = " (this looks like a chip description: pass it with --chip)";
    throw Error(fmt::format("{}: is a file, expected a checkpoint folder holding config.json and "
                            "model.safetensors{}",
                            dir, hint));
  }
  const std::string config_path = (fs::path(dir) / "config.json").string();
  if (!fs::exists(config_path, ec)) {
    throw Error(fmt::format("{}: file does not exist, expected the checkpoint's config.json", config_path));
  }
  Checkpoint ck;
  ck.dir = dir;
  ck.config_path = config_path;
  ck.config = HGRNBitConfig::from_file(config_path);
  const HGRNBitConfig& c = ck.config;
  ck.store = std::make_shared<const TensorStore>(TensorStore::open_dir(dir));
  const TensorStore& store = *ck.store;

  // Presence and shapes against the config, before any value is read.
  const std::vector<ExpectedTensor> expected = expected_tensors(c);
  std::vector<const ExpectedTensor*> missing;
  for (const ExpectedTensor& e : expected) {
    if (store.find(e.name) == nullptr) missing.push_back(&e);
  }
  if (!missing.empty()) {
    const ExpectedTensor& e = *missing.front();
    throw Error(fmt::format("{}: tensor '{}' is missing, expected shape {} (from {}: {}){}", dir, e.name,
                            shape_str(e.shape), config_path, config_summary(c),
                            missing.size() > 1
                                ? fmt::format("; {} of {} expected tensors are missing", missing.size(),
                                              expected.size())
                                : std::string()));
  }
  std::set<std::string> expected_names;
  for (const ExpectedTensor& e : expected) {
    const TensorInfo* t = store.find(e.name);
    if (t != nullptr && t->shape != e.shape) {
      throw Error(fmt::format("{}: tensor '{}' has shape {}, expected {} (from {}: {})", store.file_of(e.name),
                              e.name, shape_str(t->shape), shape_str(e.shape), config_path,
                              config_summary(c)));
    }
    expected_names.insert(e.name);
  }
  for (const std::string& name : store.names()) {
    if (expected_names.count(name) != 0) continue;
    const TensorInfo* t = store.find(name);
    const bool lower = name == "model.lower_bounds" && !c.use_lower_bound;
    throw Error(fmt::format("{}: unexpected tensor '{}' (shape {}), expected only the tensors of an "
                            "hgrn_bit model with {} ({}){}",
                            store.file_of(name), name, t != nullptr ? shape_str(t->shape) : "?",
                            config_path, config_summary(c),
                            lower ? "; config.json has use_lower_bound false" : ""));
  }

  return ck;
}

void Checkpoint::read(const std::string& name, uint64_t first, uint64_t count, float* out) const {
  store->read_f32_range(name, first, count, out, true);
  for (uint64_t i = 0; i < count; ++i) {
    if (!std::isfinite(out[i])) {
      const TensorInfo* t = store->find(name);
      throw Error(fmt::format("{}: tensor '{}' element {} (index {}) is {}, expected a finite value",
                              store->file_of(name), name, first + i,
                              t != nullptr ? index_str(static_cast<std::size_t>(first + i), t->shape) : std::string("?"),
                              out[i]));
    }
  }
}

const float* TensorStream::next(std::size_t k) {
  if (pos_ + k > end_) refill();
  const float* p = buf_.data() + pos_;
  pos_ += k;
  return p;
}

void TensorStream::refill() {
  const std::size_t keep = end_ - pos_;
  std::copy(buf_.begin() + static_cast<std::ptrdiff_t>(pos_), buf_.begin() + static_cast<std::ptrdiff_t>(end_), buf_.begin());
  const uint64_t n = std::min<uint64_t>(buf_.size() - keep, n_ - read_);
  ck_.read(name_, read_, n, buf_.data() + keep);
  read_ += n;
  pos_ = 0;
  end_ = keep + static_cast<std::size_t>(n);
}

std::vector<float> Checkpoint::read_all(const std::string& name) const {
  const TensorInfo* t = store->find(name);
  if (t == nullptr) throw Error(fmt::format("{}: no tensor '{}' in this checkpoint", dir, name));
  std::vector<float> v(static_cast<std::size_t>(t->numel()));
  read(name, 0, v.size(), v.data());
  return v;
}

HGRNBitWeights HGRNBitWeights::load(const std::string& dir) {
  const Checkpoint ck = Checkpoint::open(dir);
  HGRNBitWeights w;
  w.dir = dir;
  w.config = ck.config;
  const HGRNBitConfig& c = w.config;
  const Loader ld(ck);
  const int64_t d = c.hidden_size;
  const int64_t I = c.intermediate_size;
  w.embeddings = ld.values("model.embeddings.weight");
  if (c.use_lower_bound) w.lower_bounds = ld.values("model.lower_bounds");
  w.layers.resize(static_cast<std::size_t>(c.num_hidden_layers));
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    LayerWeights& lw = w.layers[static_cast<std::size_t>(l)];
    const std::string p = fmt::format("model.layers.{}.", l);
    lw.attn_norm = ld.values(p + "attn_norm.weight");
    lw.i_proj = ld.bitlinear(p + "attn.i_proj", d, d);
    lw.f_proj = ld.bitlinear(p + "attn.f_proj", d, d);
    lw.g_proj = ld.bitlinear(p + "attn.g_proj", d, d);
    lw.o_proj = ld.bitlinear(p + "attn.o_proj", d, d);
    lw.g_norm = ld.values(p + "attn.g_norm.weight");
    lw.mlp_norm = ld.values(p + "mlp_norm.weight");
    lw.gate_proj = ld.bitlinear(p + "mlp.gate_proj", d, 2 * I);
    lw.down_proj = ld.bitlinear(p + "mlp.down_proj", I, d);
  }
  w.final_norm = ld.values("model.norm.weight");
  w.lm_head = ld.bitlinear("lm_head", d, c.vocab_size);
  return w;
}

}  // namespace neurark::models
