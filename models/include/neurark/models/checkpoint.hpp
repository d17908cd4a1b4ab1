// SPDX-License-Identifier: Apache-2.0
// neurark/models/checkpoint.hpp: an HGRNBit checkpoint (config.json + safetensors) in memory.
//
// Parameter names follow HGRNBitForCausalLM (ridgerchu/matmulfreellm, modeling_hgrn_bit.py,
// layers/hgrn_bit.py): model.embeddings.weight [V, d], model.lower_bounds [L, d] (when
// use_lower_bound), model.layers.{l}.attn_norm.weight [d],
// model.layers.{l}.attn.{i,f,g,o}_proj.weight [d, d] and .{i,f,g,o}_proj.norm.weight [d],
// model.layers.{l}.attn.g_norm.weight [d], model.layers.{l}.mlp_norm.weight [d],
// model.layers.{l}.mlp.gate_proj.weight [2I, d] / .norm.weight [d],
// model.layers.{l}.mlp.down_proj.weight [d, I] / .norm.weight [I], model.norm.weight [d],
// lm_head.weight [V, d], lm_head.norm.weight [d].
// All values are converted to float32 on load (bf16/f16/i8 exactly).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "neurark/models/config.hpp"

namespace neurark::models {

// A BitLinear (FusedBitLinear): full-precision weight [out, in] (ternarized by the references
// at load) and its internal RMSNorm weight [in].
struct BitLinearWeights {
  int64_t in = 0;
  int64_t out = 0;
  std::vector<float> weight;  // [out][in], row-major
  std::vector<float> norm;    // [in]
};

struct LayerWeights {
  std::vector<float> attn_norm;  // [d]
  BitLinearWeights i_proj, f_proj, g_proj, o_proj;  // d -> d
  std::vector<float> g_norm;     // [d]
  std::vector<float> mlp_norm;   // [d]
  BitLinearWeights gate_proj;    // d -> 2I (first I rows: gate, last I rows: value)
  BitLinearWeights down_proj;    // I -> d
};

class TensorStore;

// A validated checkpoint whose values have not been read: the config and the tensor index (the
// safetensors files memory-mapped). Everything HGRNBitWeights::load checks before it reads
// values; for readers that stream tensors piece by piece (the compiler) instead of holding a
// model's floats.
struct Checkpoint {
  std::string dir;
  std::string config_path;
  HGRNBitConfig config;
  std::shared_ptr<const TensorStore> store;

  // The checks of HGRNBitWeights::load up to (not including) reading values. Throws neurark::Error.
  static Checkpoint open(const std::string& dir);
  // Elements [first, first + count) of tensor `name` as float32 (exact conversion), each checked
  // finite (neurark::Error naming the file, tensor, flat and multi-dimensional index). The pages
  // read are released afterwards (TensorStore::read_f32_range).
  void read(const std::string& name, uint64_t first, uint64_t count, float* out) const;
  std::vector<float> read_all(const std::string& name) const;
};

// A tensor's values in order, a few at a time, through a bounded buffer of 2^20 floats (the
// first pass of a streamed ternarization: mean |W| by models::sum_abs_pairwise without the
// tensor in memory). Reads with Checkpoint::read (its errors).
class TensorStream {
 public:
  // Streams the first n values of tensor `name` of `ck` (which must outlive the stream).
  TensorStream(const Checkpoint& ck, std::string name, uint64_t n) : ck_(ck), name_(std::move(name)), n_(n) {}
  // The next k values (k <= 2^20; at most n in all).
  const float* next(std::size_t k);

 private:
  void refill();
  const Checkpoint& ck_;
  std::string name_;
  uint64_t n_, read_ = 0;
  std::vector<float> buf_ = std::vector<float>(std::size_t{1} << 20);
  std::size_t pos_ = 0, end_ = 0;
};

struct HGRNBitWeights {
  std::string dir;                  // the checkpoint folder it was loaded from (for messages)
  HGRNBitConfig config;
  std::vector<float> embeddings;    // [V][d]
  std::vector<float> lower_bounds;  // [L][d]; empty when !config.use_lower_bound
  std::vector<LayerWeights> layers;
  std::vector<float> final_norm;    // [d] (model.norm.weight)
  BitLinearWeights lm_head;         // d -> V

  // Loads DIR/config.json and DIR's tensors (single file or sharded index). Every tensor the
  // config implies must be present with the right shape, and no other tensor may be present;
  // float values must be finite. Throws neurark::Error naming the file, the tensor, the value
  // and what was expected. Checks run in this order: DIR is a directory; config.json exists and
  // parses; the tensors (TensorStore::open_dir) validate; every expected tensor is present (the
  // first missing one is named, with its shape and the count of missing ones); every shape
  // matches; no unexpected tensor; then values are read (integer dtypes I32/I64 are rejected)
  // and checked finite, naming the flat and multi-dimensional index of the first bad element.
  static HGRNBitWeights load(const std::string& dir);
};

// The tensor names and shapes a config implies, in a fixed order (used by load and by tests).
struct ExpectedTensor {
  std::string name;
  std::vector<int64_t> shape;
};
std::vector<ExpectedTensor> expected_tensors(const HGRNBitConfig& config);

}  // namespace neurark::models
