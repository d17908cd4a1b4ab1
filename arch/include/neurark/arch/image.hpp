// SPDX-License-Identifier: Apache-2.0
// neurark/arch/image.hpp: the chip image container — one file holding everything a chip (or a
// backend standing in for it) is loaded with.
//
// An image is a 64-byte header, named blobs (raw bytes, each at a 64-byte aligned offset) and a
// JSON manifest at the end that says what the blobs mean and lists them under "blobs"
// (docs/image-format.md). This header is the file I/O layer only: it knows blobs and a manifest,
// not what a compiled program puts in them (compiler/emit does).
//
//   ImageWriter w("out.nimg");              // writes "out.nimg.tmp-<pid>-<n>" next to it
//   w.add_blob("weights", data, n);         // streamed to disk now, checksummed as it goes
//   w.finish({{"format", "..."}});          // manifest + header, fsync, rename -> out.nimg
//   Image img = Image::open("out.nimg");    // mmap'ed, every field and the checksum checked
//   auto codes = img.blob_as<int8_t>("weights", n);
//
// A reader never sees a half-written image: the writer renames the complete file into place, and
// a writer destroyed without finish() removes its temporary file. Image::open trusts nothing: a
// failed check throws neurark::Error naming the file, what was wrong, the value found and the
// value expected. All integers are little-endian; neurark assumes a little-endian host.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace neurark::arch {

constexpr uint32_t kImageVersion = 1;      // the container version this build writes and reads
constexpr uint64_t kImageHeaderBytes = 64;  // the fixed header, before the first blob
constexpr uint64_t kImageAlignment = 64;    // every blob and the manifest start at a multiple

// Streams an image to `path` atomically: everything goes to a temporary file in the same
// directory, which finish() renames to `path`.
class ImageWriter {
 public:
  // Creates the temporary file `path.tmp-<pid>-<n>` next to `path`. Throws neurark::Error if it
  // cannot (the directory does not exist, no permission, ...).
  explicit ImageWriter(std::string path);
  // If finish() has not succeeded: closes and removes the temporary file; `path` is untouched.
  ~ImageWriter();
  ImageWriter(const ImageWriter&) = delete;
  ImageWriter& operator=(const ImageWriter&) = delete;

  // Appends blob `name` holding `bytes` bytes from `data` (begin_blob + append + end_blob).
  // Throws std::invalid_argument if `name` is empty, not UTF-8 or already used, std::logic_error
  // if a streamed blob is open or finish() was called, neurark::Error if the write fails.
  void add_blob(const std::string& name, const void* data, std::size_t bytes);

  // Streams one blob in pieces: begin_blob(name); append(data, n) ...; end_blob(). Same errors as
  // add_blob; append and end_blob throw std::logic_error when no blob is open.
  void begin_blob(const std::string& name);
  void append(const void* data, std::size_t bytes);
  void end_blob();

  // Writes `manifest` with "blobs" added ([{"name", "offset", "bytes"}] in the order added), then
  // the header; flushes, fsyncs and renames the temporary file to `path`. Returns the final file
  // size. `manifest` must be a JSON object (null counts as {}) without a "blobs" key, and its
  // strings must be UTF-8 (std::invalid_argument otherwise, nothing written: finish may be called
  // again). Throws std::logic_error if a blob is open or finish already succeeded,
  // neurark::Error if writing or renaming fails.
  uint64_t finish(nlohmann::json manifest);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A validated, read-only image, memory-mapped: blob() points into the mapping, which lives as
// long as the Image or a mapping() handle (moving an Image keeps the pointers valid).
// Removes the temporary files of every ImageWriter that has not finished. Async-signal-safe (it
// only calls unlink): the command line calls it from its SIGINT / SIGTERM / SIGHUP handler, so an
// interrupted compile leaves no partial file behind.
void remove_unfinished_images() noexcept;

// Removes, in folder `dir`, the temporary files and folders that neurark processes which no longer
// run left behind (a SIGKILL leaves no chance to clean up): names carrying a dead process's id in
// the forms neurark writes — "<file>.tmp-<pid>-<n>" (ImageWriter), "<file>.tmp-<pid>" (traces),
// ".<folder>.tmp-<pid>" (report folders), "neurark-run-<pid>" (a run's side files) and
// "neurark-<pid>-<n>.nimg" (images compiled on the fly). Entries of live processes and anything
// else are left alone; errors are ignored. Returns the number of entries removed.
int remove_stale_temporaries(const std::string& dir) noexcept;

class Image {
 public:
  // Opens and validates `path`: a readable regular file of at least 64 bytes; magic "NRKIMAGE";
  // version kImageVersion; header_bytes 64; reserved bytes zero; file_bytes equal to the actual
  // size ("truncated" / "trailing bytes"); the manifest range 64-aligned and inside the file;
  // the XXH3-64 checksum of bytes [64, file_bytes); the manifest a JSON object without duplicate
  // keys, whose "blobs" array holds {"name", "offset", "bytes"} entries with unique non-empty
  // names, 64-aligned offsets, ranges inside [64, manifest_offset) and no two ranges overlapping.
  // Every failure throws neurark::Error naming the file, what was wrong, the value found and what
  // was expected, e.g. "x.nimg: truncated: header says 1234 bytes, file has 1000".
  static Image open(const std::string& path);

  Image(Image&& other) noexcept;
  Image& operator=(Image&& other) noexcept;
  ~Image();
  Image(const Image&) = delete;
  Image& operator=(const Image&) = delete;

  const std::string& path() const { return path_; }
  const nlohmann::json& manifest() const { return manifest_; }  // includes "blobs"
  uint64_t checksum() const { return checksum_; }                // XXH3-64 of [64, file_bytes)
  uint64_t file_bytes() const { return file_bytes_; }
  bool has_blob(const std::string& name) const { return blobs_.count(name) != 0; }

  // The raw bytes of blob `name`: a pointer into the mapping (64-byte aligned in the file) and
  // the byte count. Throws neurark::Error("<file>: blob '<name>' is missing ...") if absent.
  std::pair<const uint8_t*, std::size_t> blob(const std::string& name) const;

  // A copy of blob `name` as little-endian values of T (int8_t, uint8_t, int16_t, uint16_t,
  // int32_t, uint32_t, int64_t or uint64_t). Throws neurark::Error naming the file, the blob,
  // the count found and the count expected if the blob is missing, its size is not a multiple
  // of sizeof(T), or `expected_count` >= 0 and the number of values differs.
  template <class T>
  std::vector<T> blob_as(const std::string& name, int64_t expected_count = -1) const;
  // The same values read in place: a pointer into the mapping (blob_as's checks and errors; the
  // file is little-endian, so is the host: checked at compile time). Valid while the mapping lives.
  template <class T>
  const T* blob_view(const std::string& name, int64_t expected_count = -1) const;

  // Keeps the mapping alive: blob() and blob_view() pointers stay valid while any copy of this
  // handle lives, after the Image is gone (the functional backend reads its tile memories and
  // embedding table in place and holds one). Null for a moved-from Image.
  std::shared_ptr<const void> mapping() const { return mapping_; }

 private:
  struct BlobRange {
    uint64_t offset = 0;
    uint64_t bytes = 0;
  };
  Image() = default;

  std::string path_;
  nlohmann::json manifest_;
  uint64_t checksum_ = 0;
  uint64_t file_bytes_ = 0;
  std::map<std::string, BlobRange> blobs_;
  const uint8_t* data_ = nullptr;  // the whole file, mmap'ed read-only (nullptr once moved from)
  std::shared_ptr<const void> mapping_;  // owns data_: munmap when the last holder goes
};

// blob_as is instantiated (in image.cpp) for exactly these element types.
extern template std::vector<int8_t> Image::blob_as<int8_t>(const std::string&, int64_t) const;
extern template std::vector<uint8_t> Image::blob_as<uint8_t>(const std::string&, int64_t) const;
extern template std::vector<int16_t> Image::blob_as<int16_t>(const std::string&, int64_t) const;
extern template std::vector<uint16_t> Image::blob_as<uint16_t>(const std::string&, int64_t) const;
extern template std::vector<int32_t> Image::blob_as<int32_t>(const std::string&, int64_t) const;
extern template std::vector<uint32_t> Image::blob_as<uint32_t>(const std::string&, int64_t) const;
extern template std::vector<int64_t> Image::blob_as<int64_t>(const std::string&, int64_t) const;
extern template std::vector<uint64_t> Image::blob_as<uint64_t>(const std::string&, int64_t) const;
extern template const int8_t* Image::blob_view<int8_t>(const std::string&, int64_t) const;
extern template const uint8_t* Image::blob_view<uint8_t>(const std::string&, int64_t) const;
extern template const int16_t* Image::blob_view<int16_t>(const std::string&, int64_t) const;
extern template const uint16_t* Image::blob_view<uint16_t>(const std::string&, int64_t) const;
extern template const int32_t* Image::blob_view<int32_t>(const std::string&, int64_t) const;
extern template const uint32_t* Image::blob_view<uint32_t>(const std::string&, int64_t) const;
extern template const int64_t* Image::blob_view<int64_t>(const std::string&, int64_t) const;
extern template const uint64_t* Image::blob_view<uint64_t>(const std::string&, int64_t) const;

}  // namespace neurark::arch
