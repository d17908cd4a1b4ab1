// SPDX-License-Identifier: Apache-2.0
// neurark/models/safetensors.hpp: a validating reader for safetensors checkpoints.
//
// Format (huggingface/safetensors README, "Format"): 8-byte little-endian u64 N, N bytes of
// UTF-8 JSON header {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets":
// [begin, end]}, ...}, then the data section; offsets are relative to the data section.
// Nothing is trusted before it is checked: header length against the file size, JSON
// well-formedness, "__metadata__" (never a tensor; must be a string->string object), known
// dtype, shape entries non-negative integers, byte count = product(shape) x item size with
// overflow checks, offsets inside the data section, tensors contiguous and non-overlapping
// (together they cover the data section exactly). Each violation throws neurark::Error naming
// the file, the tensor or field, the value and what was expected.
//
// Details of the checks (models/src/safetensors.cpp): the header length must be > 0, at most
// 100,000,000 bytes (the reference implementation's MAX_HEADER_SIZE) and fit in the file; no
// JSON object in the header may repeat a key (a tensor listed twice is an error, not "last one
// wins"); a tensor entry has exactly the fields "dtype", "shape", "data_offsets" (an unknown
// field is an error); shape entries and offsets are integers in [0, 2^63); a zero-element
// tensor has begin == end; trailing spaces after the header JSON are allowed (the format pads
// with 0x20).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace neurark::models {

// Tensor element types this reader accepts. F32/F16/BF16/I8 carry weights; I32/I64 carry
// token ids (golden vectors). Any other dtype string is rejected by name.
enum class DType { F32, F16, BF16, I8, I32, I64 };

const char* dtype_name(DType d);
std::size_t dtype_size(DType d);  // bytes per element

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // row-major; {} is a scalar (one element)
  uint64_t begin = 0;          // byte offsets within the data section, [begin, end)
  uint64_t end = 0;
  uint64_t numel() const;      // product of shape (validated not to overflow)
};

// One safetensors file, validated on open and held in memory.
class SafetensorsFile {
 public:
  // Reads and validates `path`. Throws neurark::Error on any violation listed above.
  static SafetensorsFile open(const std::string& path);

  const std::string& path() const { return path_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // in offset order
  const TensorInfo* find(const std::string& name) const;  // nullptr if absent

  // Element values converted to float32 (exact for F32, F16, BF16, I8); row-major.
  // Throws neurark::Error if the tensor is absent or its dtype is an integer id type.
  std::vector<float> read_f32(const std::string& name) const;
  // Elements [first, first + count) of a tensor as float32 into `out`, as read_f32. With
  // `release`, the mapped pages read are dropped from this process afterwards (madvise
  // MADV_DONTNEED; the page cache keeps them), so that streaming a checkpoint larger than memory
  // keeps the resident set small. Throws neurark::Error for a range outside the tensor.
  void read_f32_range(const std::string& name, uint64_t first, uint64_t count, float* out, bool release = true) const;
  // Integer values (I8, I32, I64 that fit in int32). Throws for float dtypes or if absent.
  std::vector<int32_t> read_i32(const std::string& name) const;

 private:
  std::string path_;
  std::map<std::string, std::string> metadata_;
  std::vector<TensorInfo> tensors_;
  std::shared_ptr<const unsigned char> bytes_;  // the whole file, memory-mapped (read-only)
  uint64_t data_start_ = 0;                                  // 8 + N
};

// A checkpoint's tensors: `DIR/model.safetensors`, or the shards listed by
// `DIR/model.safetensors.index.json` ({"metadata": {...}, "weight_map": {tensor: file}}).
// The index is validated too: well-formed JSON, every shard exists and validates, every
// tensor in weight_map is found in the shard it names, no tensor appears in two shards, and
// every tensor of a shard is listed in weight_map. Shard names must stay inside DIR (no
// absolute paths, no ".."); "metadata", if present, must be an object (it is not otherwise
// used). As in transformers' from_pretrained, DIR/model.safetensors is used when it exists,
// and the index only otherwise; neither existing is an error naming both paths.
class TensorStore {
 public:
  static TensorStore open_dir(const std::string& dir);  // throws neurark::Error

  const std::string& dir() const { return dir_; }
  std::vector<std::string> names() const;                 // sorted
  const TensorInfo* find(const std::string& name) const;  // nullptr if absent
  const std::string& file_of(const std::string& name) const;  // shard path holding it
  std::vector<float> read_f32(const std::string& name) const;
  void read_f32_range(const std::string& name, uint64_t first, uint64_t count, float* out, bool release = true) const;

 private:
  std::string dir_;
  std::vector<SafetensorsFile> files_;
  std::map<std::string, std::size_t> where_;  // tensor -> index into files_
};

}  // namespace neurark::models
