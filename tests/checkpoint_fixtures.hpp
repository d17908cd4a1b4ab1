// SPDX-License-Identifier: Apache-2.0
// tests/checkpoint_fixtures.hpp: helpers for the checkpoint-importer tests (test_safetensors,
// test_config, test_checkpoint): a self-deleting temporary directory, little-endian byte
// encoders, and a byte-by-byte safetensors assembler (8-byte length + header JSON + data).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurark/arch/error.hpp"

namespace neurark_test {

using Bytes = std::vector<unsigned char>;

// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "neurark_test_XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }

 private:
  std::string path_;
};

inline void write_bytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline void write_text(const std::string& path, const std::string& text) {
  write_bytes(path, Bytes(text.begin(), text.end()));
}

inline void append_le(Bytes& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<unsigned char>((v >> (8 * i)) & 0xFFu));
}

inline Bytes f32_bytes(const std::vector<float>& v) {
  Bytes out;
  for (float f : v) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    append_le(out, bits, 4);
  }
  return out;
}
inline Bytes u16_bytes(const std::vector<uint16_t>& v) {  // raw F16 / BF16 bit patterns
  Bytes out;
  for (uint16_t x : v) append_le(out, x, 2);
  return out;
}
inline Bytes i8_bytes(const std::vector<int8_t>& v) {
  Bytes out;
  for (int8_t x : v) out.push_back(static_cast<unsigned char>(x));
  return out;
}
inline Bytes i32_bytes(const std::vector<int32_t>& v) {
  Bytes out;
  for (int32_t x : v) append_le(out, static_cast<uint32_t>(x), 4);
  return out;
}
inline Bytes i64_bytes(const std::vector<int64_t>& v) {
  Bytes out;
  for (int64_t x : v) append_le(out, static_cast<uint64_t>(x), 8);
  return out;
}

// Exactly the bytes of a safetensors file: u64 LE `header_len`, `header`, `data`. `header_len`
// defaults to the true header size; pass another value to forge a lying length.
inline Bytes raw_safetensors(const std::string& header, const Bytes& data,
                             uint64_t header_len = UINT64_MAX) {
  Bytes out;
  append_le(out, header_len == UINT64_MAX ? header.size() : header_len, 8);
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

struct TensorSpec {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  Bytes data;
};

// The header JSON of a valid file holding `tensors` back to back, in the given order.
inline std::string header_json(const std::vector<TensorSpec>& tensors,
                               const std::map<std::string, std::string>& metadata = {}) {
  nlohmann::json h = nlohmann::json::object();
  if (!metadata.empty()) h["__metadata__"] = metadata;
  uint64_t pos = 0;
  for (const TensorSpec& t : tensors) {
    h[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {pos, pos + t.data.size()}}};
    pos += t.data.size();
  }
  return h.dump();
}

inline Bytes build_safetensors(const std::vector<TensorSpec>& tensors,
                               const std::map<std::string, std::string>& metadata = {}) {
  Bytes data;
  for (const TensorSpec& t : tensors) data.insert(data.end(), t.data.begin(), t.data.end());
  return raw_safetensors(header_json(tensors, metadata), data);
}

// The message of the neurark::Error `f` throws; "" (and a failed check) if it throws none.
template <typename F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const neurark::Error& e) {
    return e.what();
  }
  return std::string();
}

}  // namespace neurark_test
