// SPDX-License-Identifier: Apache-2.0
// Chip image container: writer and validating reader. See neurark/arch/image.hpp and
// docs/image-format.md.
#include "neurark/arch/image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <xxhash.h>

#include "neurark/arch/error.hpp"
#include "neurark/arch/json_util.hpp"

namespace neurark::arch {

// Blobs are handed out as raw little-endian bytes and copied into host integers with memcpy.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "neurark chip images are little-endian and this build assumes a little-endian host");

namespace {

using nlohmann::json;

constexpr char kMagic[8] = {'N', 'R', 'K', 'I', 'M', 'A', 'G', 'E'};

// Header field offsets (docs/image-format.md, "Header").
constexpr std::size_t kOffMagic = 0;
constexpr std::size_t kOffVersion = 8;
constexpr std::size_t kOffHeaderBytes = 12;
constexpr std::size_t kOffFileBytes = 16;
constexpr std::size_t kOffManifestOffset = 24;
constexpr std::size_t kOffManifestBytes = 32;
constexpr std::size_t kOffChecksum = 40;
constexpr std::size_t kOffReserved = 48;
static_assert(kOffReserved + 16 == kImageHeaderBytes, "the header is 64 bytes");

constexpr uint8_t kZeros[kImageAlignment] = {};

uint64_t load_le(const uint8_t* p, std::size_t n) {
  uint64_t v = 0;
  for (std::size_t i = n; i > 0; --i) v = (v << 8) | p[i - 1];
  return v;
}

void store_le(uint8_t* p, uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>((v >> (8 * i)) & 0xFFu);
}

uint64_t padding_to_alignment(uint64_t pos) {
  return (kImageAlignment - pos % kImageAlignment) % kImageAlignment;
}

std::string errno_text(int err) { return std::strerror(err); }

// Bytes as a quoted C-style literal for messages: printable ASCII as is, the rest as \xNN.
std::string quote_bytes(const uint8_t* p, std::size_t n) {
  std::string out = "\"";
  for (std::size_t i = 0; i < n; ++i) {
    const uint8_t c = p[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02X}", c);
    }
  }
  return out + "\"";
}

// True if `s` dumps as JSON, i.e. is valid UTF-8.
bool is_utf8(const std::string& s) {
  try {
    (void)json(s).dump();
  } catch (const json::exception&) {
    return false;
  }
  return true;
}

// Parses the manifest text, rejecting malformed JSON and a key repeated in one object (nlohmann
// would silently keep the last one). Throws neurark::Error prefixed with `file`.
json parse_manifest(const uint8_t* first, const uint8_t* last, const std::string& file) {
  return parse_json_strict(first, last, file + ": manifest");
}

// A read-only mapping of a whole file; closes the descriptor once mapped.
struct Mapping {
  const uint8_t* data = nullptr;
  std::size_t bytes = 0;
};

Mapping map_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    throw Error(fmt::format("{}: cannot open the image: {}", path, errno_text(err)));
  }
  struct stat sb {};
  if (::fstat(fd, &sb) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(fmt::format("{}: cannot determine the file size: {}", path, errno_text(err)));
  }
  if (!S_ISREG(sb.st_mode)) {
    ::close(fd);
    throw Error(fmt::format("{}: not a regular file{}, expected a neurark chip image", path,
                            S_ISDIR(sb.st_mode) ? " (a directory)" : ""));
  }
  Mapping m;
  m.bytes = static_cast<std::size_t>(sb.st_size);
  if (m.bytes > 0) {
    void* p = ::mmap(nullptr, m.bytes, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw Error(fmt::format("{}: cannot map the image ({} bytes) into memory: {}", path, m.bytes,
                              errno_text(err)));
    }
    m.data = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return m;
}

template <class T>
const char* type_name() {
  if constexpr (std::is_same_v<T, int8_t>) return "int8";
  if constexpr (std::is_same_v<T, uint8_t>) return "uint8";
  if constexpr (std::is_same_v<T, int16_t>) return "int16";
  if constexpr (std::is_same_v<T, uint16_t>) return "uint16";
  if constexpr (std::is_same_v<T, int32_t>) return "int32";
  if constexpr (std::is_same_v<T, uint32_t>) return "uint32";
  if constexpr (std::is_same_v<T, int64_t>) return "int64";
  if constexpr (std::is_same_v<T, uint64_t>) return "uint64";
  return "?";
}

// Unique temporary names within this process; the pid separates processes.
std::atomic<uint64_t> g_temp_counter{0};

}  // namespace

// ---------------------------------------------------------------------------------------------
// ImageWriter

namespace {

// Temporary files of writers that have not finished, for remove_unfinished_images() (called from
// signal handlers: fixed storage, atomics, unlink only).
constexpr int kMaxPending = 16;
constexpr std::size_t kPendingPathMax = 4096;
char g_pending_path[kMaxPending][kPendingPathMax];
std::atomic<int> g_pending_state[kMaxPending];  // 0 free, 1 being filled, 2 ready

int register_pending(const std::string& path) {
  if (path.size() >= kPendingPathMax) return -1;
  for (int i = 0; i < kMaxPending; ++i) {
    int expected = 0;
    if (g_pending_state[i].compare_exchange_strong(expected, 1)) {
      std::memcpy(g_pending_path[i], path.c_str(), path.size() + 1);
      g_pending_state[i].store(2);
      return i;
    }
  }
  return -1;  // more than 16 writers at once: only the exception path cleans up
}

void unregister_pending(int slot) {
  if (slot >= 0) g_pending_state[slot].store(0);
}

}  // namespace

struct ImageWriter::Impl {
  std::string path;       // final name
  int pending_slot = -1;  // registration for remove_unfinished_images()
  std::string temp_path;  // where the bytes go until finish()
  std::FILE* file = nullptr;
  std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> hash{nullptr, XXH3_freeState};
  uint64_t pos = 0;  // bytes written so far (= offset of the next byte)
  json blobs = json::array();
  std::set<std::string> names;
  bool blob_open = false;
  std::string open_name;
  uint64_t open_offset = 0;
  bool finished = false;
  bool failed = false;  // a write failed: the temporary file is unusable

  [[noreturn]] void write_failed(int err) {
    failed = true;
    throw Error(fmt::format("{}: cannot write the image: writing '{}' failed at byte {}: {}", path,
                            temp_path, pos, errno_text(err)));
  }

  // Writes and checksums `n` bytes at the current position.
  void write(const void* data, std::size_t n) {
    if (n == 0) return;
    if (std::fwrite(data, 1, n, file) != n) write_failed(errno);
    if (XXH3_64bits_update(hash.get(), data, n) != XXH_OK) {
      failed = true;
      throw Error(fmt::format("{}: cannot write the image: XXH3 update failed", path));
    }
    pos += n;
  }

  void pad() {
    const uint64_t n = padding_to_alignment(pos);
    write(kZeros, static_cast<std::size_t>(n));
  }

  void check_usable(const char* call) const {
    if (finished)
      throw std::logic_error(fmt::format("ImageWriter::{}: '{}' is already finished", call, path));
    if (failed)
      throw std::logic_error(fmt::format("ImageWriter::{}: an earlier write to '{}' failed", call, path));
  }
};

ImageWriter::ImageWriter(std::string path) : impl_(std::make_unique<Impl>()) {
  Impl& w = *impl_;
  w.path = std::move(path);
  const std::filesystem::path parent = std::filesystem::path(w.path).parent_path();
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    w.temp_path = fmt::format("{}.tmp-{}-{}", w.path, ::getpid(), g_temp_counter.fetch_add(1));
    fd = ::open(w.temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    const int err = errno;
    std::error_code ec;
    if (err == ENOENT && !parent.empty() && !std::filesystem::is_directory(parent, ec))
      throw Error(fmt::format("{}: cannot write the image: directory '{}' does not exist", w.path,
                              parent.string()));
    throw Error(fmt::format("{}: cannot write the image: cannot create the temporary file '{}': {}",
                            w.path, w.temp_path, errno_text(err)));
  }
  w.file = ::fdopen(fd, "wb");
  if (w.file == nullptr) {
    const int err = errno;
    ::close(fd);
    ::unlink(w.temp_path.c_str());
    throw Error(fmt::format("{}: cannot write the image: cannot open '{}': {}", w.path, w.temp_path,
                            errno_text(err)));
  }
  w.hash.reset(XXH3_createState());
  if (!w.hash || XXH3_64bits_reset(w.hash.get()) != XXH_OK) {
    std::fclose(w.file);
    ::unlink(w.temp_path.c_str());
    throw Error(fmt::format("{}: cannot write the image: cannot set up the XXH3 checksum", w.path));
  }
  // The header is written last, by finish(); reserve its 64 bytes (not checksummed).
  if (std::fwrite(kZeros, 1, kImageHeaderBytes, w.file) != kImageHeaderBytes) {
    const int err = errno;
    std::fclose(w.file);
    ::unlink(w.temp_path.c_str());
    throw Error(fmt::format("{}: cannot write the image: writing '{}' failed: {}", w.path,
                            w.temp_path, errno_text(err)));
  }
  w.pos = kImageHeaderBytes;
  w.pending_slot = register_pending(w.temp_path);
}

void remove_unfinished_images() noexcept {
  for (int i = 0; i < kMaxPending; ++i)
    if (g_pending_state[i].load() == 2) ::unlink(g_pending_path[i]);
}

ImageWriter::~ImageWriter() {
  if (!impl_ || impl_->finished) return;
  if (impl_->file != nullptr) std::fclose(impl_->file);
  ::unlink(impl_->temp_path.c_str());
  unregister_pending(impl_->pending_slot);
}

void ImageWriter::add_blob(const std::string& name, const void* data, std::size_t bytes) {
  begin_blob(name);
  append(data, bytes);
  end_blob();
}

void ImageWriter::begin_blob(const std::string& name) {
  Impl& w = *impl_;
  w.check_usable("begin_blob");
  if (w.blob_open)
    throw std::logic_error(fmt::format("ImageWriter::begin_blob('{}'): blob '{}' is still open "
                                       "(call end_blob first)",
                                       name, w.open_name));
  if (name.empty()) throw std::invalid_argument("ImageWriter::begin_blob: blob name is empty");
  if (!is_utf8(name))
    throw std::invalid_argument(fmt::format("ImageWriter::begin_blob: blob name {} is not valid UTF-8",
                                            show_json(json(name))));
  if (w.names.count(name) != 0)
    throw std::invalid_argument(fmt::format("ImageWriter::begin_blob: blob '{}' was already added "
                                            "to '{}' (names must be unique)",
                                            name, w.path));
  w.pad();
  w.blob_open = true;
  w.open_name = name;
  w.open_offset = w.pos;
  w.names.insert(name);
}

void ImageWriter::append(const void* data, std::size_t bytes) {
  Impl& w = *impl_;
  w.check_usable("append");
  if (!w.blob_open) throw std::logic_error("ImageWriter::append: no blob is open (call begin_blob first)");
  if (bytes > 0 && data == nullptr) throw std::invalid_argument("ImageWriter::append: data is null");
  w.write(data, bytes);
}

void ImageWriter::end_blob() {
  Impl& w = *impl_;
  w.check_usable("end_blob");
  if (!w.blob_open) throw std::logic_error("ImageWriter::end_blob: no blob is open");
  w.blobs.push_back({{"name", w.open_name}, {"offset", w.open_offset}, {"bytes", w.pos - w.open_offset}});
  w.blob_open = false;
  w.open_name.clear();
}

uint64_t ImageWriter::finish(json manifest) {
  Impl& w = *impl_;
  w.check_usable("finish");
  if (w.blob_open)
    throw std::logic_error(fmt::format("ImageWriter::finish: blob '{}' is still open (call end_blob first)",
                                       w.open_name));
  if (manifest.is_null()) manifest = json::object();
  if (!manifest.is_object())
    throw std::invalid_argument(fmt::format("ImageWriter::finish: the manifest is {}, expected a JSON object",
                                            json_kind(manifest)));
  if (manifest.contains("blobs"))
    throw std::invalid_argument("ImageWriter::finish: the manifest has a \"blobs\" key; the writer "
                                "adds \"blobs\" itself, so the caller must not supply it");
  manifest["blobs"] = w.blobs;
  std::string text;
  try {
    text = manifest.dump(1);
  } catch (const json::exception& e) {
    throw std::invalid_argument(fmt::format("ImageWriter::finish: the manifest cannot be written as "
                                            "JSON: {}",
                                            e.what()));
  }

  w.pad();
  const uint64_t manifest_offset = w.pos;
  w.write(text.data(), text.size());
  const uint64_t file_bytes = w.pos;

  uint8_t header[kImageHeaderBytes] = {};
  std::memcpy(header + kOffMagic, kMagic, sizeof kMagic);
  store_le(header + kOffVersion, kImageVersion, 4);
  store_le(header + kOffHeaderBytes, kImageHeaderBytes, 4);
  store_le(header + kOffFileBytes, file_bytes, 8);
  store_le(header + kOffManifestOffset, manifest_offset, 8);
  store_le(header + kOffManifestBytes, text.size(), 8);
  store_le(header + kOffChecksum, XXH3_64bits_digest(w.hash.get()), 8);

  if (std::fflush(w.file) != 0) w.write_failed(errno);
  const int fd = ::fileno(w.file);
  std::size_t done = 0;
  while (done < sizeof header) {
    const ssize_t n = ::pwrite(fd, header + done, sizeof header - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) w.write_failed(errno);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) w.write_failed(errno);
  const int close_rc = std::fclose(w.file);
  w.file = nullptr;
  if (close_rc != 0) w.write_failed(errno);
  if (std::rename(w.temp_path.c_str(), w.path.c_str()) != 0) {
    const int err = errno;
    throw Error(fmt::format("{}: cannot write the image: renaming '{}' to it failed: {}", w.path,
                            w.temp_path, errno_text(err)));
  }
  w.finished = true;
  unregister_pending(w.pending_slot);
  return file_bytes;
}

// ---------------------------------------------------------------------------------------------
// Image

Image::Image(Image&& other) noexcept
    : path_(std::move(other.path_)),
      manifest_(std::move(other.manifest_)),
      checksum_(other.checksum_),
      file_bytes_(other.file_bytes_),
      blobs_(std::move(other.blobs_)),
      data_(other.data_),
      mapping_(std::move(other.mapping_)) {
  other.data_ = nullptr;
}

Image& Image::operator=(Image&& other) noexcept {
  if (this != &other) {
    path_ = std::move(other.path_);
    manifest_ = std::move(other.manifest_);
    checksum_ = other.checksum_;
    file_bytes_ = other.file_bytes_;
    blobs_ = std::move(other.blobs_);
    data_ = other.data_;
    mapping_ = std::move(other.mapping_);
    other.data_ = nullptr;
  }
  return *this;
}

Image::~Image() = default;

Image Image::open(const std::string& path) {
  Image img;  // owns the mapping from here on, so every throw below unmaps it
  img.path_ = path;
  const Mapping m = map_file(path);
  img.data_ = m.data;
  if (m.data != nullptr) {  // unmapped when the last holder (this Image, or a mapping() handle) lets go
    const std::size_t bytes = m.bytes;
    img.mapping_ = std::shared_ptr<const void>(m.data, [bytes](const void* p) { ::munmap(const_cast<void*>(p), bytes); });
  }
  const uint8_t* d = m.data;
  const uint64_t size = m.bytes;

  // Header.
  if (size == 0)
    throw Error(fmt::format("{}: empty file, expected a neurark chip image (at least {} bytes)", path,
                            kImageHeaderBytes));
  if (size < kImageHeaderBytes)
    throw Error(fmt::format("{}: file is {} bytes, too short for a neurark chip image: expected at "
                            "least the {}-byte header",
                            path, size, kImageHeaderBytes));
  if (std::memcmp(d + kOffMagic, kMagic, sizeof kMagic) != 0)
    throw Error(fmt::format("{}: not a neurark chip image: magic is {}, expected \"NRKIMAGE\"", path,
                            quote_bytes(d + kOffMagic, sizeof kMagic)));
  const uint64_t version = load_le(d + kOffVersion, 4);
  if (version != kImageVersion)
    throw Error(fmt::format("{}: image format version {} is not supported (this build reads version {})",
                            path, version, kImageVersion));
  const uint64_t header_bytes = load_le(d + kOffHeaderBytes, 4);
  if (header_bytes != kImageHeaderBytes)
    throw Error(fmt::format("{}: header_bytes is {}, expected {} (version {} images have a {}-byte header)",
                            path, header_bytes, kImageHeaderBytes, kImageVersion, kImageHeaderBytes));
  for (std::size_t i = kOffReserved; i < kImageHeaderBytes; ++i)
    if (d[i] != 0)
      throw Error(fmt::format("{}: reserved header byte {} is 0x{:02X}, expected 0 (a corrupted header?)",
                              path, i, d[i]));
  const uint64_t file_bytes = load_le(d + kOffFileBytes, 8);
  if (file_bytes > size)
    throw Error(fmt::format("{}: truncated: header says {} bytes, file has {}", path, file_bytes, size));
  if (file_bytes < size)
    throw Error(fmt::format("{}: trailing bytes: header says {} bytes, file has {} ({} bytes after the "
                            "end of the image)",
                            path, file_bytes, size, size - file_bytes));
  const uint64_t manifest_offset = load_le(d + kOffManifestOffset, 8);
  const uint64_t manifest_bytes = load_le(d + kOffManifestBytes, 8);
  if (manifest_offset < kImageHeaderBytes || manifest_offset > file_bytes ||
      manifest_bytes > file_bytes - manifest_offset)
    throw Error(fmt::format("{}: manifest range: manifest_offset {} + manifest_bytes {} lies outside the "
                            "file, expected a range inside [{}, {})",
                            path, manifest_offset, manifest_bytes, kImageHeaderBytes, file_bytes));
  if (manifest_offset % kImageAlignment != 0)
    throw Error(fmt::format("{}: manifest_offset {} is not a multiple of {}", path, manifest_offset,
                            kImageAlignment));

  // Checksum, before anything in the body is believed.
  const uint64_t stored = load_le(d + kOffChecksum, 8);
  const uint64_t computed = XXH3_64bits(d + kImageHeaderBytes, file_bytes - kImageHeaderBytes);
  if (stored != computed)
    throw Error(fmt::format("{}: checksum mismatch: stored 0x{:016x}, computed 0x{:016x} (the file is "
                            "corrupted)",
                            path, stored, computed));
  img.checksum_ = stored;
  img.file_bytes_ = file_bytes;

  // Manifest.
  json manifest = parse_manifest(d + manifest_offset, d + manifest_offset + manifest_bytes, path);
  if (!manifest.is_object())
    throw Error(fmt::format("{}: manifest is {} ({}), expected a JSON object", path, json_kind(manifest),
                            show_json(manifest)));
  if (!manifest.contains("blobs"))
    throw Error(fmt::format("{}: manifest has no \"blobs\" key, expected an array of "
                            "{{\"name\", \"offset\", \"bytes\"}}",
                            path));
  const json& blobs = std::as_const(manifest).at("blobs");
  if (!blobs.is_array())
    throw Error(fmt::format("{}: manifest \"blobs\" is {} ({}), expected an array of "
                            "{{\"name\", \"offset\", \"bytes\"}}",
                            path, json_kind(blobs), show_json(blobs)));

  struct Entry {
    std::string name;
    uint64_t offset;
    uint64_t bytes;
    std::size_t index;
  };
  std::vector<Entry> entries;
  std::map<std::string, std::size_t> index_of;
  for (std::size_t i = 0; i < blobs.size(); ++i) {
    const json& e = blobs[i];
    const std::string where = fmt::format("{}: manifest blobs[{}]", path, i);
    if (!e.is_object())
      throw Error(fmt::format("{} is {} ({}), expected an object {{\"name\", \"offset\", \"bytes\"}}", where,
                              json_kind(e), show_json(e)));
    for (const auto& kv : e.items())
      if (kv.key() != "name" && kv.key() != "offset" && kv.key() != "bytes")
        throw Error(fmt::format("{}: unknown key {}, expected only \"name\", \"offset\" and \"bytes\"", where,
                                show_json(json(kv.key()))));
    for (const char* field : {"name", "offset", "bytes"})
      if (!e.contains(field)) throw Error(fmt::format("{}: missing key \"{}\"", where, field));
    const json& name = e["name"];
    if (!name.is_string() || name.get_ref<const std::string&>().empty())
      throw Error(fmt::format("{}.name is {} ({}), expected a non-empty string", where, json_kind(name),
                              show_json(name)));
    for (const char* field : {"offset", "bytes"})
      if (!e[field].is_number_unsigned())
        throw Error(fmt::format("{}.{} is {} ({}), expected an unsigned integer", where, field,
                                json_kind(e[field]), show_json(e[field])));
    Entry entry{name.get<std::string>(), e["offset"].get<uint64_t>(), e["bytes"].get<uint64_t>(), i};
    const auto [it, inserted] = index_of.emplace(entry.name, i);
    if (!inserted)
      throw Error(fmt::format("{}: manifest: blob name '{}' appears twice (blobs[{}] and blobs[{}]), "
                              "expected unique names",
                              path, entry.name, it->second, i));
    if (entry.offset % kImageAlignment != 0)
      throw Error(fmt::format("{}: blob '{}' offset {} is not a multiple of {}", path, entry.name,
                              entry.offset, kImageAlignment));
    if (entry.offset < kImageHeaderBytes || entry.offset > manifest_offset ||
        entry.bytes > manifest_offset - entry.offset)
      throw Error(fmt::format("{}: blob '{}' [offset {}, + {} bytes) lies outside the blob area: expected "
                              "a range inside [{}, {}) (between the header and the manifest)",
                              path, entry.name, entry.offset, entry.bytes, kImageHeaderBytes,
                              manifest_offset));
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.bytes < b.bytes;
  });
  for (std::size_t i = 1; i < entries.size(); ++i) {
    const Entry& a = entries[i - 1];
    const Entry& b = entries[i];
    if (a.offset + a.bytes > b.offset)
      throw Error(fmt::format("{}: blobs '{}' [{}, {}) and '{}' [{}, {}) overlap, expected disjoint ranges",
                              path, a.name, a.offset, a.offset + a.bytes, b.name, b.offset,
                              b.offset + b.bytes));
  }
  for (const Entry& e : entries) img.blobs_[e.name] = BlobRange{e.offset, e.bytes};
  img.manifest_ = std::move(manifest);
  return img;
}

std::pair<const uint8_t*, std::size_t> Image::blob(const std::string& name) const {
  const auto it = blobs_.find(name);
  if (it == blobs_.end())
    throw Error(fmt::format("{}: blob '{}' is missing (the image has {} blobs)", path_, name, blobs_.size()));
  return {data_ + it->second.offset, static_cast<std::size_t>(it->second.bytes)};
}

template <class T>
const T* Image::blob_view(const std::string& name, int64_t expected_count) const {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool> && sizeof(T) <= 8,
                "blob_view reads int8/uint8/int16/uint16/int32/uint32/int64/uint64");
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "images are little-endian: read in place on a little-endian host");
  const auto [p, bytes] = blob(name);
  if (bytes % sizeof(T) != 0)
    throw Error(fmt::format("{}: blob '{}' holds {} bytes, not a whole number of {} values ({} bytes each)",
                            path_, name, bytes, type_name<T>(), sizeof(T)));
  const std::size_t count = bytes / sizeof(T);
  if (expected_count >= 0 && static_cast<uint64_t>(expected_count) != count)
    throw Error(fmt::format("{}: blob '{}' holds {} {} values, expected {}", path_, name, count,
                            type_name<T>(), expected_count));
  return reinterpret_cast<const T*>(p);  // 64-byte aligned in a page-aligned mapping
}

template <class T>
std::vector<T> Image::blob_as(const std::string& name, int64_t expected_count) const {
  const T* p = blob_view<T>(name, expected_count);
  return std::vector<T>(p, p + blob(name).second / sizeof(T));
}

template std::vector<int8_t> Image::blob_as<int8_t>(const std::string&, int64_t) const;
template std::vector<uint8_t> Image::blob_as<uint8_t>(const std::string&, int64_t) const;
template std::vector<int16_t> Image::blob_as<int16_t>(const std::string&, int64_t) const;
template std::vector<uint16_t> Image::blob_as<uint16_t>(const std::string&, int64_t) const;
template std::vector<int32_t> Image::blob_as<int32_t>(const std::string&, int64_t) const;
template std::vector<uint32_t> Image::blob_as<uint32_t>(const std::string&, int64_t) const;
template std::vector<int64_t> Image::blob_as<int64_t>(const std::string&, int64_t) const;
template std::vector<uint64_t> Image::blob_as<uint64_t>(const std::string&, int64_t) const;
template const int8_t* Image::blob_view<int8_t>(const std::string&, int64_t) const;
template const uint8_t* Image::blob_view<uint8_t>(const std::string&, int64_t) const;
template const int16_t* Image::blob_view<int16_t>(const std::string&, int64_t) const;
template const uint16_t* Image::blob_view<uint16_t>(const std::string&, int64_t) const;
template const int32_t* Image::blob_view<int32_t>(const std::string&, int64_t) const;
template const uint32_t* Image::blob_view<uint32_t>(const std::string&, int64_t) const;
template const int64_t* Image::blob_view<int64_t>(const std::string&, int64_t) const;
template const uint64_t* Image::blob_view<uint64_t>(const std::string&, int64_t) const;

namespace {

// The process id in a temporary name neurark writes, or -1 if `name` is not one.
long temp_owner(const std::string& name) {
  const auto digits = [](const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; };
  const auto to_pid = [](const std::string& s) {
    errno = 0;
    const long v = std::strtol(s.c_str(), nullptr, 10);
    return errno == 0 && v > 0 ? v : -1L;
  };
  if (name.rfind("neurark-run-", 0) == 0 && digits(name.substr(12))) return to_pid(name.substr(12));
  if (name.rfind("neurark-", 0) == 0 && name.size() > 13 && name.compare(name.size() - 5, 5, ".nimg") == 0) {
    const std::string mid = name.substr(8, name.size() - 13);  // "<pid>-<n>"
    const std::size_t dash = mid.find('-');
    if (dash != std::string::npos && digits(mid.substr(0, dash)) && digits(mid.substr(dash + 1))) return to_pid(mid.substr(0, dash));
  }
  const std::size_t at = name.rfind(".tmp-");
  if (at == std::string::npos || at == 0) return -1;
  const std::string tail = name.substr(at + 5);  // "<pid>" or "<pid>-<n>"
  const std::size_t dash = tail.find('-');
  const std::string pid = tail.substr(0, dash);
  if (!digits(pid) || (dash != std::string::npos && !digits(tail.substr(dash + 1)))) return -1;
  return to_pid(pid);
}

}  // namespace

int remove_stale_temporaries(const std::string& dir) noexcept {
  namespace fs = std::filesystem;
  int removed = 0;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir.empty() ? "." : dir, ec)) {
    const long pid = temp_owner(e.path().filename().string());
    if (pid <= 0 || pid == static_cast<long>(::getpid())) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to know)
    std::error_code rm;
    if (fs::remove_all(e.path(), rm) > 0 && !rm) ++removed;
  }
  return removed;
}

}  // namespace neurark::arch
