// SPDX-License-Identifier: Apache-2.0
// models/src/safetensors.cpp: the validating safetensors reader (see safetensors.hpp).
#include "neurark/models/safetensors.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "json_util.hpp"
#include "neurark/arch/error.hpp"

namespace neurark::models {

namespace {

using detail::json;
using detail::json_kind;
using detail::show_json;

// The safetensors reference implementation refuses headers above 100 MB (MAX_HEADER_SIZE);
// no legitimate header comes anywhere near it.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit
constexpr const char* kMaxHeaderEnv = "NEURARK_SAFETENSORS_MAX_HEADER_BYTES";

// The header size limit: 100 MB (as the safetensors reference implementation), or the value of
// NEURARK_SAFETENSORS_MAX_HEADER_BYTES (a positive integer; anything else is refused).
uint64_t max_header_bytes() {
  const char* env = std::getenv(kMaxHeaderEnv);
  if (env == nullptr || *env == '\0') return kMaxHeaderBytes;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(env, &end, 10);
  if (errno != 0 || *end != '\0' || v == 0 || env[0] == '-')
    throw Error(fmt::format("{}={}: expected a positive integer (bytes)", kMaxHeaderEnv, env));
  return static_cast<uint64_t>(v);
}

constexpr const char* kAcceptedDtypes = "F32, F16, BF16, I8, I32 or I64";

bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return false;
  *out = a * b;
  return true;
}

uint64_t load_le(const unsigned char* p, std::size_t n) {
  uint64_t v = 0;
  for (std::size_t i = n; i > 0; --i) v = (v << 8) | p[i - 1];
  return v;
}

float float_from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// IEEE binary16 -> binary32, exact for every input: normals rebias the exponent, subnormals
// (m * 2^-24) are renormalized, +-0 keeps its sign, inf stays inf, NaN keeps sign and payload.
float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0x1Fu) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {
      uint32_t shift = 0;
      while ((mant & 0x400u) == 0) {
        mant <<= 1;
        ++shift;
      }
      mant &= 0x3FFu;
      bits = sign | ((127u - 14u - shift) << 23) | (mant << 13);
    }
  } else {
    bits = sign | ((exp + (127u - 15u)) << 23) | (mant << 13);
  }
  return float_from_bits(bits);
}

// bfloat16 is the top half of a binary32: exact by construction.
float bf16_to_f32(uint16_t b) { return float_from_bits(static_cast<uint32_t>(b) << 16); }

bool parse_dtype(const std::string& s, DType* out) {
  static const std::pair<const char*, DType> kTable[] = {
      {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16},
      {"I8", DType::I8},   {"I32", DType::I32}, {"I64", DType::I64}};
  for (const auto& [name, d] : kTable) {
    if (s == name) {
      *out = d;
      return true;
    }
  }
  return false;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

// A JSON integer that fits in [0, 2^63): the range both int64 shapes and uint64 offsets share.
bool json_nonneg_int64(const json& v, int64_t* out) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<int64_t>(u);
    return true;
  }
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i < 0) return false;
    *out = i;
    return true;
  }
  return false;
}

std::string join_path(const std::string& dir, const std::string& name) {
  return (std::filesystem::path(dir) / name).string();
}

}  // namespace

const char* dtype_name(DType d) {
  switch (d) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::I8: return "I8";
    case DType::I32: return "I32";
    case DType::I64: return "I64";
  }
  return "?";
}

std::size_t dtype_size(DType d) {
  switch (d) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::BF16: return 2;
    case DType::I8: return 1;
    case DType::I32: return 4;
    case DType::I64: return 8;
  }
  return 0;
}

uint64_t TensorInfo::numel() const {
  uint64_t n = 1;
  for (int64_t dim : shape) {
    if (dim < 0 || !checked_mul(n, static_cast<uint64_t>(dim), &n)) {
      throw Error(fmt::format("tensor '{}': shape {} is not a valid shape (negative or overflowing)",
                              name, shape_str(shape)));
    }
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// SafetensorsFile

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  auto bytes = std::make_shared<const detail::MappedFile>(path);
  const uint64_t file_size = bytes->size();

  if (file_size < 8) {
    throw Error(fmt::format(
        "{}: file is {} bytes, expected at least 8 (a safetensors file begins with an 8-byte "
        "little-endian header length)",
        path, file_size));
  }
  // A Git LFS pointer in place of the weights (a clone without `git lfs pull`) is text.
  static constexpr char kLfs[] = "version https://git-lfs.github.com/spec/";
  if (file_size >= sizeof kLfs - 1 && std::memcmp(bytes->data(), kLfs, sizeof kLfs - 1) == 0) {
    throw Error(fmt::format("{}: a Git LFS pointer file, not the weights ({} bytes of text); fetch the weights with "
                            "`git lfs pull` (or download the file itself)", path, file_size));
  }
  const uint64_t n = load_le(bytes->data(), 8);
  if (n == 0) {
    throw Error(fmt::format("{}: header length is 0, expected a JSON header of at least 2 bytes", path));
  }
  const uint64_t max_header = max_header_bytes();
  if (n > max_header) {
    throw Error(fmt::format("{}: header length {} is absurd, expected at most {} bytes "
                            "(not a safetensors file? a genuine larger header: set {} to a higher limit)",
                            path, n, max_header, kMaxHeaderEnv));
  }
  if (n > file_size - 8) {
    throw Error(fmt::format("{}: header length {} exceeds the file size: the file is {} bytes, so "
                            "at most {} header bytes follow the 8-byte length",
                            path, n, file_size, file_size - 8));
  }
  const uint64_t data_start = 8 + n;
  const uint64_t data_size = file_size - data_start;

  const unsigned char* hbegin = bytes->data() + 8;
  const json header =
      detail::parse_json_strict(hbegin, hbegin + n, fmt::format("{}: header", path));
  if (!header.is_object()) {
    throw Error(fmt::format("{}: header JSON is {} ({}), expected an object mapping tensor names "
                            "to {{\"dtype\", \"shape\", \"data_offsets\"}}",
                            path, json_kind(header), show_json(header)));
  }

  SafetensorsFile f;
  f.path_ = path;
  f.bytes_ = std::shared_ptr<const unsigned char>(bytes, bytes->data());  // keeps the mapping alive
  f.data_start_ = data_start;

  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (value.is_null()) continue;  // no metadata (the reference loader accepts null)
      if (!value.is_object()) {
        throw Error(fmt::format("{}: '__metadata__' is {} ({}), expected an object of string values",
                                path, json_kind(value), show_json(value)));
      }
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string()) {
          throw Error(fmt::format("{}: '__metadata__' entry '{}' is {} ({}), expected a string", path,
                                  mk, json_kind(mv), show_json(mv)));
        }
        f.metadata_.emplace(mk, mv.get<std::string>());
      }
      continue;
    }

    const std::string where = fmt::format("{}: tensor '{}'", path, key);
    if (!value.is_object()) {
      throw Error(fmt::format("{}: entry is {} ({}), expected an object with \"dtype\", \"shape\" "
                              "and \"data_offsets\"",
                              where, json_kind(value), show_json(value)));
    }
    for (const auto& [field, fv] : value.items()) {
      (void)fv;
      if (field != "dtype" && field != "shape" && field != "data_offsets") {
        throw Error(fmt::format("{}: unknown field '{}', expected only \"dtype\", \"shape\" and "
                                "\"data_offsets\"",
                                where, field));
      }
    }
    for (const char* field : {"dtype", "shape", "data_offsets"}) {
      if (!value.contains(field)) throw Error(fmt::format("{}: missing field '{}'", where, field));
    }

    TensorInfo t;
    t.name = key;

    const json& jd = value.at("dtype");
    if (!jd.is_string()) {
      throw Error(fmt::format("{}: dtype is {} ({}), expected a string: one of {}", where,
                              json_kind(jd), show_json(jd), kAcceptedDtypes));
    }
    if (!parse_dtype(jd.get<std::string>(), &t.dtype)) {
      throw Error(fmt::format("{}: dtype {} is not supported, expected one of {}", where,
                              show_json(jd), kAcceptedDtypes));
    }

    const json& js = value.at("shape");
    if (!js.is_array()) {
      throw Error(fmt::format("{}: shape is {} ({}), expected a list of non-negative integers", where,
                              json_kind(js), show_json(js)));
    }
    for (std::size_t i = 0; i < js.size(); ++i) {
      int64_t dim = 0;
      if (!json_nonneg_int64(js[i], &dim)) {
        throw Error(fmt::format("{}: shape {} entry {} is {}, expected a non-negative integer "
                                "(below 2^63)",
                                where, show_json(js), i, show_json(js[i])));
      }
      t.shape.push_back(dim);
    }
    uint64_t numel = 1;
    for (int64_t dim : t.shape) {
      if (!checked_mul(numel, static_cast<uint64_t>(dim), &numel)) {
        throw Error(fmt::format("{}: shape {} has more elements than fit in 64 bits", where,
                                shape_str(t.shape)));
      }
    }
    uint64_t nbytes = 0;
    if (!checked_mul(numel, dtype_size(t.dtype), &nbytes)) {
      throw Error(fmt::format("{}: shape {} x {} bytes for {} is more bytes than fit in 64 bits",
                              where, shape_str(t.shape), dtype_size(t.dtype), dtype_name(t.dtype)));
    }

    const json& jo = value.at("data_offsets");
    int64_t b = 0;
    int64_t e = 0;
    if (!jo.is_array() || jo.size() != 2 || !json_nonneg_int64(jo[0], &b) ||
        !json_nonneg_int64(jo[1], &e)) {
      throw Error(fmt::format("{}: data_offsets is {}, expected a list [begin, end] of two "
                              "non-negative integers",
                              where, show_json(jo)));
    }
    t.begin = static_cast<uint64_t>(b);
    t.end = static_cast<uint64_t>(e);
    if (t.begin > t.end) {
      throw Error(fmt::format("{}: data_offsets [{}, {}] begin after they end, expected begin <= end",
                              where, t.begin, t.end));
    }
    if (t.end > data_size) {
      throw Error(fmt::format("{}: data_offsets [{}, {}] reach beyond the data section, which holds "
                              "only {} bytes (file of {} bytes = 8 + {} header + {} data; "
                              "truncated file?)",
                              where, t.begin, t.end, data_size, file_size, n, data_size));
    }
    if (t.end - t.begin != nbytes) {
      throw Error(fmt::format("{}: data_offsets [{}, {}] hold {} bytes, expected {} (shape {} x {} "
                              "bytes for {})",
                              where, t.begin, t.end, t.end - t.begin, nbytes, shape_str(t.shape),
                              dtype_size(t.dtype), dtype_name(t.dtype)));
    }
    f.tensors_.push_back(std::move(t));
  }

  // Contiguity: sorted by offset, the tensors must tile [0, data_size) exactly.
  std::sort(f.tensors_.begin(), f.tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  uint64_t pos = 0;
  const TensorInfo* prev = nullptr;
  for (const TensorInfo& t : f.tensors_) {
    if (t.begin < pos && prev != nullptr) {
      throw Error(fmt::format("{}: tensor '{}' data_offsets [{}, {}] overlap tensor '{}' data_offsets "
                              "[{}, {}], expected non-overlapping tensors",
                              path, t.name, t.begin, t.end, prev->name, prev->begin, prev->end));
    }
    if (t.begin > pos) {
      if (prev == nullptr) {
        throw Error(fmt::format("{}: data section bytes [0, {}) belong to no tensor: the first tensor "
                                "'{}' begins at {}, expected 0",
                                path, t.begin, t.name, t.begin));
      }
      throw Error(fmt::format("{}: data section bytes [{}, {}) belong to no tensor: tensor '{}' "
                              "begins at {}, expected {} where tensor '{}' ends",
                              path, pos, t.begin, t.name, t.begin, pos, prev->name));
    }
    pos = t.end;
    prev = &t;
  }
  if (pos != data_size) {
    throw Error(fmt::format("{}: data section is {} bytes but the tensors cover only [0, {}): bytes "
                            "[{}, {}) belong to no tensor",
                            path, data_size, pos, pos, data_size));
  }
  return f;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  for (const TensorInfo& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

namespace {

const TensorInfo& require(const SafetensorsFile& f, const std::string& name) {
  const TensorInfo* t = f.find(name);
  if (t == nullptr) {
    throw Error(fmt::format("{}: no tensor '{}' in this file ({} tensors)", f.path(), name,
                            f.tensors().size()));
  }
  return *t;
}

}  // namespace

std::vector<float> SafetensorsFile::read_f32(const std::string& name) const {
  const TensorInfo& t = require(*this, name);
  std::vector<float> out(static_cast<std::size_t>(t.numel()));  // <= data size: validated on open
  read_f32_range(name, 0, out.size(), out.data(), false);
  return out;
}

void SafetensorsFile::read_f32_range(const std::string& name, uint64_t first, uint64_t count, float* out,
                                     bool release) const {
  const TensorInfo& t = require(*this, name);
  if (first > t.numel() || count > t.numel() - first)
    throw Error(fmt::format("{}: tensor '{}': elements [{}, {}) requested, it has {}", path_, name, first,
                            first + count, t.numel()));
  const std::size_t n = static_cast<std::size_t>(count);
  const std::size_t es = dtype_size(t.dtype);
  const unsigned char* p = bytes_.get() + data_start_ + t.begin + first * es;
  switch (t.dtype) {
    case DType::F32:
      for (std::size_t i = 0; i < n; ++i) out[i] = float_from_bits(static_cast<uint32_t>(load_le(p + 4 * i, 4)));
      break;
    case DType::F16:
      for (std::size_t i = 0; i < n; ++i) out[i] = f16_to_f32(static_cast<uint16_t>(load_le(p + 2 * i, 2)));
      break;
    case DType::BF16:
      for (std::size_t i = 0; i < n; ++i) out[i] = bf16_to_f32(static_cast<uint16_t>(load_le(p + 2 * i, 2)));
      break;
    case DType::I8:
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(static_cast<int8_t>(p[i]));
      break;
    case DType::I32:
    case DType::I64:
      throw Error(fmt::format("{}: tensor '{}' has dtype {} (token ids), expected a weight dtype "
                              "(F32, F16, BF16 or I8)",
                              path_, name, dtype_name(t.dtype)));
  }
  if (release && n > 0) {
    // Drop the mapped pages just read from this process (the page cache keeps them): a reader
    // streaming a large checkpoint stays small.
    const long page = ::sysconf(_SC_PAGESIZE);
    const auto lo = (reinterpret_cast<uintptr_t>(p) + static_cast<uintptr_t>(page) - 1) / static_cast<uintptr_t>(page) *
                    static_cast<uintptr_t>(page);
    const auto hi = (reinterpret_cast<uintptr_t>(p) + n * es) / static_cast<uintptr_t>(page) * static_cast<uintptr_t>(page);
    if (hi > lo) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
  }
}

std::vector<int32_t> SafetensorsFile::read_i32(const std::string& name) const {
  const TensorInfo& t = require(*this, name);
  const std::size_t n = static_cast<std::size_t>(t.numel());
  const unsigned char* p = bytes_.get() + data_start_ + t.begin;
  std::vector<int32_t> out(n);
  switch (t.dtype) {
    case DType::I8:
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<int8_t>(p[i]);
      break;
    case DType::I32:
      for (std::size_t i = 0; i < n; ++i) {
        out[i] = static_cast<int32_t>(static_cast<uint32_t>(load_le(p + 4 * i, 4)));
      }
      break;
    case DType::I64:
      for (std::size_t i = 0; i < n; ++i) {
        const int64_t v = static_cast<int64_t>(load_le(p + 8 * i, 8));
        if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
          throw Error(fmt::format("{}: tensor '{}' element {} is {}, expected a value that fits in "
                                  "int32",
                                  path_, name, i, v));
        }
        out[i] = static_cast<int32_t>(v);
      }
      break;
    case DType::F32:
    case DType::F16:
    case DType::BF16:
      throw Error(fmt::format("{}: tensor '{}' has dtype {}, expected an integer dtype (I8, I32 or "
                              "I64)",
                              path_, name, dtype_name(t.dtype)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// TensorStore

TensorStore TensorStore::open_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(fmt::format("{}: not a directory, expected a checkpoint directory", dir));
  }
  const std::string single = join_path(dir, "model.safetensors");
  const std::string index_path = join_path(dir, "model.safetensors.index.json");

  TensorStore store;
  store.dir_ = dir;

  // Like transformers' from_pretrained: a single model.safetensors wins over an index.
  if (fs::exists(single, ec)) {
    store.files_.push_back(SafetensorsFile::open(single));
    for (const TensorInfo& t : store.files_[0].tensors()) store.where_.emplace(t.name, 0);
    return store;
  }
  if (!fs::exists(index_path, ec)) {
    throw Error(fmt::format("{}: no checkpoint tensors: neither {} nor {} exists", dir, single,
                            index_path));
  }

  const std::vector<unsigned char> text = detail::read_whole_file(index_path);
  const json index = detail::parse_json_strict(text.begin(), text.end(), index_path);
  if (!index.is_object()) {
    throw Error(fmt::format("{}: index is {} ({}), expected an object with \"weight_map\"", index_path,
                            json_kind(index), show_json(index)));
  }
  if (index.contains("metadata") && !index.at("metadata").is_object() && !index.at("metadata").is_null()) {
    throw Error(fmt::format("{}: 'metadata' is {} ({}), expected an object", index_path,
                            json_kind(index.at("metadata")), show_json(index.at("metadata"))));
  }
  if (!index.contains("weight_map")) {
    throw Error(fmt::format("{}: missing 'weight_map', expected an object mapping tensor names to "
                            "shard files",
                            index_path));
  }
  const json& wm = index.at("weight_map");
  if (!wm.is_object()) {
    throw Error(fmt::format("{}: 'weight_map' is {} ({}), expected an object mapping tensor names to "
                            "shard files",
                            index_path, json_kind(wm), show_json(wm)));
  }

  // weight_map: tensor -> shard name; shards in name order.
  std::map<std::string, std::string> weight_map;
  std::map<std::string, std::size_t> shard_index;
  for (const auto& [tensor, shard] : wm.items()) {
    if (!shard.is_string()) {
      throw Error(fmt::format("{}: weight_map entry '{}' is {} ({}), expected a shard file name",
                              index_path, tensor, json_kind(shard), show_json(shard)));
    }
    const std::string s = shard.get<std::string>();
    const fs::path sp(s);
    bool escapes = s.empty() || sp.is_absolute();
    for (const fs::path& part : sp) escapes = escapes || part == "..";
    if (escapes) {
      throw Error(fmt::format("{}: weight_map entry '{}' names shard {}, expected a file name "
                              "inside {}",
                              index_path, tensor, show_json(shard), dir));
    }
    const std::string shard_path = join_path(dir, s);
    if (!fs::is_regular_file(shard_path, ec)) {
      throw Error(fmt::format("{}: weight_map puts tensor '{}' in shard '{}', but {} does not exist",
                              index_path, tensor, s, shard_path));
    }
    weight_map.emplace(tensor, s);
    shard_index.emplace(s, 0);
  }
  for (auto& [s, i] : shard_index) {
    i = store.files_.size();
    store.files_.push_back(SafetensorsFile::open(join_path(dir, s)));
  }

  // Every tensor of every shard: in exactly one shard, and the one weight_map names.
  for (std::size_t fi = 0; fi < store.files_.size(); ++fi) {
    const SafetensorsFile& f = store.files_[fi];
    for (const TensorInfo& t : f.tensors()) {
      const auto [it, inserted] = store.where_.emplace(t.name, fi);
      if (!inserted) {
        throw Error(fmt::format("{}: tensor '{}' appears in two shards, {} and {}, expected exactly one",
                                index_path, t.name, store.files_[it->second].path(), f.path()));
      }
      if (weight_map.count(t.name) == 0) {
        throw Error(fmt::format("{}: tensor '{}' is not listed in {} weight_map, expected every "
                                "tensor of every shard to be listed",
                                f.path(), t.name, index_path));
      }
    }
  }
  for (const auto& [tensor, s] : weight_map) {
    const SafetensorsFile& named = store.files_[shard_index.at(s)];
    const auto it = store.where_.find(tensor);
    if (it == store.where_.end()) {
      throw Error(fmt::format("{}: weight_map puts tensor '{}' in {}, but no shard holds it", index_path,
                              tensor, named.path()));
    }
    if (store.files_[it->second].path() != named.path()) {
      throw Error(fmt::format("{}: weight_map puts tensor '{}' in {}, but it is in {}", index_path,
                              tensor, named.path(), store.files_[it->second].path()));
    }
  }
  return store;
}

std::vector<std::string> TensorStore::names() const {
  std::vector<std::string> out;
  out.reserve(where_.size());
  for (const auto& kv : where_) out.push_back(kv.first);
  return out;
}

const TensorInfo* TensorStore::find(const std::string& name) const {
  const auto it = where_.find(name);
  return it == where_.end() ? nullptr : files_[it->second].find(name);
}

const std::string& TensorStore::file_of(const std::string& name) const {
  const auto it = where_.find(name);
  if (it == where_.end()) {
    throw Error(fmt::format("{}: no tensor '{}' in this checkpoint", dir_, name));
  }
  return files_[it->second].path();
}

void TensorStore::read_f32_range(const std::string& name, uint64_t first, uint64_t count, float* out,
                                 bool release) const {
  auto it = where_.find(name);
  if (it == where_.end()) throw Error(fmt::format("{}: no tensor '{}' in this checkpoint", dir_, name));
  files_[it->second].read_f32_range(name, first, count, out, release);
}

std::vector<float> TensorStore::read_f32(const std::string& name) const {
  const auto it = where_.find(name);
  if (it == where_.end()) {
    throw Error(fmt::format("{}: no tensor '{}' in this checkpoint", dir_, name));
  }
  return files_[it->second].read_f32(name);
}

}  // namespace neurark::models
