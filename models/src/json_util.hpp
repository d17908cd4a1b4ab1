// SPDX-License-Identifier: Apache-2.0
// models/src/json_util.hpp: private helpers shared by the checkpoint importer (safetensors.cpp,
// config.cpp): strict JSON parsing (well-formed, no duplicate keys) and short descriptions of
// JSON values for error messages. Not installed; not part of the public API.
#pragma once

#include <cstddef>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ios>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "neurark/arch/error.hpp"
#include "neurark/arch/json_util.hpp"

namespace neurark::models::detail {

using nlohmann::json;

using arch::json_kind;
using arch::parse_json_strict;
using arch::show_json;

// The whole of `path` as bytes (std::ifstream, binary). Throws neurark::Error naming the path
// if it does not exist, is not a regular file or cannot be read.
inline std::vector<unsigned char> read_whole_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) throw Error(fmt::format("{}: file does not exist", path));
  if (!fs::is_regular_file(st))
    throw Error(fmt::format("{}: not a regular file{}", path,
                            fs::is_directory(st) ? " (a folder; expected a file in it, e.g. config.json)" : ""));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open the file for reading", path));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (!in || size < 0) throw Error(fmt::format("{}: cannot determine the file size", path));
  in.seekg(0, std::ios::beg);
  std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
  if (!bytes.empty()) {
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!in || in.gcount() != static_cast<std::streamsize>(bytes.size())) {
      throw Error(fmt::format("{}: read failed after {} of {} bytes", path, in.gcount(), bytes.size()));
    }
  }
  return bytes;
}

// A read-only memory mapping of a whole file (POSIX mmap): tensors are read in place, so a
// multi-gigabyte checkpoint costs address space, not memory, until its pages are touched.
// Throws neurark::Error naming the path, like read_whole_file.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (!fs::exists(st)) throw Error(fmt::format("{}: file does not exist", path));
    if (!fs::is_regular_file(st)) throw Error(fmt::format("{}: not a regular file", path));
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(fmt::format("{}: cannot open the file for reading", path));
    struct stat sb {};
    if (::fstat(fd, &sb) != 0 || sb.st_size < 0) {
      ::close(fd);
      throw Error(fmt::format("{}: cannot determine the file size", path));
    }
    size_ = static_cast<std::size_t>(sb.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        throw Error(fmt::format("{}: cannot map the file ({} bytes) into memory", path, size_));
      }
      data_ = static_cast<const unsigned char*>(p);
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<unsigned char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const unsigned char* data() const { return data_ != nullptr ? data_ : &empty_; }
  std::size_t size() const { return size_; }

 private:
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
  unsigned char empty_ = 0;
};

}  // namespace neurark::models::detail
