// SPDX-License-Identifier: Apache-2.0
// Chip image container (arch/image.hpp): round trips with exact bytes, layout (alignment, header
// fields, checksum recomputed here), byte-identical output for identical input, atomic writing,
// and one case per malformed file asserting that the neurark::Error message names the file, what
// was wrong, the value found and what was expected. Malformed manifests are written with the
// checksum fixed up, so the check under test fires rather than the checksum.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#define XXH_INLINE_ALL  // the test's own copy of XXH3, independent of what neurark_arch links
#include <xxhash.h>

#include "checkpoint_fixtures.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"

using Catch::Contains;
using Catch::Equals;
using neurark::arch::Image;
using neurark::arch::ImageWriter;
using nlohmann::json;
using namespace neurark_test;

namespace {

// Header field offsets, spelled out independently of image.cpp (docs/image-format.md).
constexpr std::size_t kVersionAt = 8;
constexpr std::size_t kHeaderBytesAt = 12;
constexpr std::size_t kFileBytesAt = 16;
constexpr std::size_t kManifestOffsetAt = 24;
constexpr std::size_t kManifestBytesAt = 32;
constexpr std::size_t kChecksumAt = 40;

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

uint64_t get_le(const Bytes& b, std::size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | b.at(at + static_cast<std::size_t>(i));
  return v;
}

void put_le(Bytes& b, std::size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b.at(at + static_cast<std::size_t>(i)) = static_cast<unsigned char>(v >> (8 * i));
}

uint64_t xxh3_body(const Bytes& b) { return XXH3_64bits(b.data() + 64, b.size() - 64); }

void fix_checksum(Bytes& b) { put_le(b, kChecksumAt, xxh3_body(b), 8); }

// Replaces the manifest with `text` at the same offset; updates manifest_bytes, file_bytes and
// the checksum, so the file is well-formed except for what `text` says.
void replace_manifest(Bytes& b, const std::string& text) {
  b.resize(get_le(b, kManifestOffsetAt, 8));
  b.insert(b.end(), text.begin(), text.end());
  put_le(b, kManifestBytesAt, text.size(), 8);
  put_le(b, kFileBytesAt, b.size(), 8);
  fix_checksum(b);
}

json manifest_of(const Bytes& b) {
  const auto at = static_cast<std::ptrdiff_t>(get_le(b, kManifestOffsetAt, 8));
  const auto n = static_cast<std::ptrdiff_t>(get_le(b, kManifestBytesAt, 8));
  return json::parse(b.begin() + at, b.begin() + at + n);
}

// The sample image: four blobs (one empty, one streamed in pieces) and a nested manifest.
struct Sample {
  Bytes weights;              // 1001 bytes: not a whole number of int16 values
  Bytes streamed;             // 300 bytes, written as 100 + 0 + 200
  std::vector<int32_t> ints;  // 6 values, some negative
  json manifest;
};

Sample make_sample() {
  Sample s;
  for (int i = 0; i < 1001; ++i) s.weights.push_back(static_cast<unsigned char>((i * 37 + 11) & 0xFF));
  for (int i = 0; i < 300; ++i) s.streamed.push_back(static_cast<unsigned char>(255 - (i % 256)));
  s.ints = {0, 1, -1, 2147483647, -2147483647 - 1, 123456};
  s.manifest = {{"format", "neurark-image-test"},
                {"model", {{"hidden_size", 256}, {"layers", 4}}},
                {"list", {1, 2, 3}},
                {"note", "caf\xc3\xa9"}};
  return s;
}

uint64_t write_sample(const std::string& path, const Sample& s) {
  ImageWriter w(path);
  w.add_blob("weights", s.weights.data(), s.weights.size());
  w.add_blob("empty", nullptr, 0);
  w.begin_blob("streamed");
  w.append(s.streamed.data(), 100);
  w.append(s.streamed.data() + 100, 0);
  w.append(s.streamed.data() + 100, 200);
  w.end_blob();
  w.add_blob("ints", s.ints.data(), s.ints.size() * sizeof(int32_t));
  return w.finish(s.manifest);
}

Bytes sample_bytes(const TempDir& dir) {
  const std::string path = dir.file("sample.nimg");
  write_sample(path, make_sample());
  return read_bytes(path);
}

// Writes `bytes` as DIR/bad.nimg and returns the message Image::open throws ("" if none).
struct Attempt {
  TempDir dir;
  std::string path = dir.file("bad.nimg");
  std::string message;
  explicit Attempt(const Bytes& bytes) {
    write_bytes(path, bytes);
    message = error_message([&] { Image::open(path); });
  }
};

std::size_t files_in(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST_CASE("image: blobs and manifest round trip with exact bytes", "[image]") {
  TempDir dir;
  const std::string path = dir.file("a.nimg");
  const Sample s = make_sample();
  const uint64_t size = write_sample(path, s);
  CHECK(size == std::filesystem::file_size(path));

  const Image img = Image::open(path);
  CHECK(img.path() == path);
  CHECK(img.file_bytes() == size);
  CHECK(img.manifest()["format"] == "neurark-image-test");
  CHECK(img.manifest()["model"]["hidden_size"] == 256);
  CHECK(img.manifest()["model"]["layers"] == 4);
  CHECK(img.manifest()["list"] == json({1, 2, 3}));
  CHECK(img.manifest()["note"] == "caf\xc3\xa9");

  const auto [wp, wn] = img.blob("weights");
  REQUIRE(wn == s.weights.size());
  CHECK(Bytes(wp, wp + wn) == s.weights);
  CHECK(img.blob("empty").second == 0);
  CHECK(img.blob_as<uint8_t>("empty", 0).empty());
  const auto [sp, sn] = img.blob("streamed");
  REQUIRE(sn == 300);
  CHECK(Bytes(sp, sp + sn) == s.streamed);
  CHECK(img.blob_as<int32_t>("ints", 6) == s.ints);
  CHECK(img.blob_as<uint8_t>("weights") == std::vector<uint8_t>(s.weights.begin(), s.weights.end()));
  CHECK(img.has_blob("streamed"));
  CHECK_FALSE(img.has_blob("nope"));

  // Other element types read the same bytes little-endian.
  const std::vector<uint16_t> u16 = img.blob_as<uint16_t>("streamed", 150);
  CHECK(u16[0] == (0xFF | (0xFE << 8)));
  const std::vector<int64_t> i64 = img.blob_as<int64_t>("ints", 3);
  CHECK(i64[0] == int64_t{1} << 32);                   // {0, 1}
  CHECK(i64[1] == ((int64_t{2147483647} << 32) | 0xFFFFFFFF));  // {-1, INT32_MAX}
  CHECK(img.blob_as<uint32_t>("ints")[2] == 0xFFFFFFFFu);
  CHECK(img.blob_as<int8_t>("streamed")[0] == -1);
  CHECK(img.blob_as<int16_t>("streamed", 150)[0] == -257);  // 0xFEFF
  CHECK(img.blob_as<uint64_t>("ints", 3)[2] == ((uint64_t{123456} << 32) | 0x80000000u));

  // "blobs" lists every blob in the order added.
  const json& blobs = img.manifest()["blobs"];
  REQUIRE(blobs.size() == 4);
  const std::vector<std::pair<std::string, uint64_t>> want = {
      {"weights", 1001}, {"empty", 0}, {"streamed", 300}, {"ints", 24}};
  for (std::size_t i = 0; i < want.size(); ++i) {
    CHECK(blobs[i]["name"] == want[i].first);
    CHECK(blobs[i]["bytes"] == want[i].second);
  }

  // Moving an Image keeps the mapping (and blob pointers) alive.
  Image moved = Image::open(path);
  const uint8_t* before = moved.blob("weights").first;
  Image other = std::move(moved);
  CHECK(other.blob("weights").first == before);
  CHECK(Bytes(before, before + 1001) == s.weights);
}

TEST_CASE("image: layout: 64-byte header, aligned blobs, zero padding, manifest last", "[image]") {
  TempDir dir;
  const Bytes b = sample_bytes(dir);
  CHECK(std::string(b.begin(), b.begin() + 8) == "NRKIMAGE");
  CHECK(get_le(b, kVersionAt, 4) == 1);
  CHECK(get_le(b, kHeaderBytesAt, 4) == 64);
  CHECK(get_le(b, kFileBytesAt, 8) == b.size());
  for (std::size_t i = 48; i < 64; ++i) CHECK(b[i] == 0);

  const uint64_t moff = get_le(b, kManifestOffsetAt, 8);
  CHECK(moff % 64 == 0);
  CHECK(moff + get_le(b, kManifestBytesAt, 8) == b.size());
  const json m = manifest_of(b);
  CHECK(m == json::parse(m.dump(1)));
  CHECK(std::string(b.begin() + static_cast<std::ptrdiff_t>(moff), b.end()) == m.dump(1));

  // Blobs follow one another from offset 64, each at the next multiple of 64; the gaps are zero.
  uint64_t expect = 64;
  std::vector<bool> covered(b.size(), false);
  for (const json& e : m["blobs"]) {
    const uint64_t off = e["offset"].get<uint64_t>();
    const uint64_t n = e["bytes"].get<uint64_t>();
    CHECK(off % 64 == 0);
    CHECK(off == expect);
    for (uint64_t i = off; i < off + n; ++i) covered[i] = true;
    expect = (off + n + 63) / 64 * 64;
  }
  CHECK(expect == moff);
  CHECK(m["blobs"][0]["offset"] == 64);
  CHECK(m["blobs"][1]["offset"] == 1088);  // the empty blob sits where the next one starts
  CHECK(m["blobs"][2]["offset"] == 1088);
  for (uint64_t i = 64; i < moff; ++i)
    if (!covered[i]) REQUIRE(b[i] == 0);
}

TEST_CASE("image: the stored checksum is XXH3-64 (seed 0) of the bytes from offset 64 to the end", "[image]") {
  TempDir dir;
  const std::string path = dir.file("c.nimg");
  write_sample(path, make_sample());
  const Bytes b = read_bytes(path);
  const uint64_t computed = XXH3_64bits_withSeed(b.data() + 64, b.size() - 64, 0);
  CHECK(get_le(b, kChecksumAt, 8) == computed);
  CHECK(Image::open(path).checksum() == computed);
}

TEST_CASE("image: the same content gives byte-identical files", "[image]") {
  TempDir dir;
  write_sample(dir.file("one.nimg"), make_sample());
  write_sample(dir.file("two.nimg"), make_sample());
  const Bytes one = read_bytes(dir.file("one.nimg"));
  const Bytes two = read_bytes(dir.file("two.nimg"));
  CHECK(one.size() > 1400);
  CHECK(one == two);
}

TEST_CASE("image: an image without blobs, null manifest, replacing an existing file", "[image]") {
  TempDir dir;
  const std::string path = dir.file("x.nimg");
  write_text(path, "an older file in the way");
  {
    ImageWriter w(path);
    CHECK(w.finish(json()) == 64 + json({{"blobs", json::array()}}).dump(1).size());
  }
  const Image img = Image::open(path);
  CHECK(img.manifest() == json({{"blobs", json::array()}}));
  CHECK(files_in(dir.path()) == 1);  // no temporary file left behind
}

TEST_CASE("image writer: misuse is rejected and leaves the writer usable", "[image]") {
  TempDir dir;
  const std::string path = dir.file("w.nimg");
  ImageWriter w(path);
  const uint8_t data[3] = {1, 2, 3};
  w.add_blob("a", data, 3);
  CHECK_THROWS_AS(w.add_blob("a", data, 3), std::invalid_argument);
  CHECK_THROWS_AS(w.add_blob("", data, 3), std::invalid_argument);
  CHECK_THROWS_AS(w.append(data, 3), std::logic_error);
  CHECK_THROWS_AS(w.end_blob(), std::logic_error);
  w.begin_blob("b");
  CHECK_THROWS_AS(w.begin_blob("c"), std::logic_error);
  CHECK_THROWS_AS(w.finish(json::object()), std::logic_error);
  w.append(data, 2);
  w.end_blob();
  CHECK_THROWS_WITH(w.finish({{"blobs", 1}}), Contains("\"blobs\""));
  CHECK_THROWS_AS(w.finish({{"blobs", 1}}), std::invalid_argument);
  CHECK_THROWS_AS(w.finish(json::array({1})), std::invalid_argument);
  CHECK_FALSE(std::filesystem::exists(path));
  w.finish({{"k", "v"}});
  CHECK_THROWS_AS(w.add_blob("d", data, 1), std::logic_error);
  CHECK_THROWS_AS(w.finish(json::object()), std::logic_error);
  const Image img = Image::open(path);
  CHECK(img.blob_as<uint8_t>("b") == (std::vector<uint8_t>{1, 2}));
  CHECK(img.manifest()["k"] == "v");
}

TEST_CASE("image writer: destroyed without finish() leaves no file behind", "[image]") {
  TempDir dir;
  const std::string path = dir.file("abandoned.nimg");
  {
    ImageWriter w(path);
    const Bytes data(5000, 7);
    w.add_blob("weights", data.data(), data.size());
    w.begin_blob("half");
    w.append(data.data(), 10);
    CHECK(files_in(dir.path()) == 1);  // the temporary file, while writing
  }
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(files_in(dir.path()) == 0);
  {
    ImageWriter w(path);
    CHECK_THROWS_AS(w.finish({{"blobs", json::array()}}), std::invalid_argument);
  }
  CHECK(files_in(dir.path()) == 0);
}

TEST_CASE("remove_unfinished_images removes the temporary files of unfinished writers only", "[image]") {
  // What the command line's SIGINT / SIGTERM handler calls: an interrupted compile leaves nothing.
  TempDir dir;
  const Bytes data(100, 1);
  ImageWriter done(dir.file("done.nimg"));
  done.add_blob("a", data.data(), data.size());
  done.finish(json::object());
  {
    ImageWriter open1(dir.file("one.nimg")), open2(dir.file("two.nimg"));
    open1.add_blob("a", data.data(), data.size());
    CHECK(files_in(dir.path()) == 3);  // done.nimg + two temporary files
    neurark::arch::remove_unfinished_images();
    CHECK(files_in(dir.path()) == 1);
    CHECK(std::filesystem::exists(dir.file("done.nimg")));
  }
  CHECK(files_in(dir.path()) == 1);
  neurark::arch::remove_unfinished_images();  // nothing registered any more: the finished image stays
  CHECK(std::filesystem::exists(dir.file("done.nimg")));
}

TEST_CASE("image writer: a directory that does not exist is a clear error", "[image]") {
  TempDir dir;
  const std::string missing = dir.file("no/such");
  const std::string path = missing + "/x.nimg";
  CHECK_THROWS_AS(ImageWriter(path), neurark::Error);
  CHECK_THROWS_WITH(ImageWriter(path), Contains(path) && Contains("cannot write the image") &&
                                           Contains("directory '" + missing + "' does not exist"));
}

TEST_CASE("image reader: every malformed file is an Error naming file, value and expectation", "[image]") {
  TempDir src;
  const Bytes good = sample_bytes(src);
  const uint64_t size = good.size();
  const json m = manifest_of(good);
  const uint64_t moff = get_le(good, kManifestOffsetAt, 8);

  SECTION("missing file") {
    TempDir dir;
    const std::string path = dir.file("none.nimg");
    CHECK_THROWS_WITH(Image::open(path), Contains(path) && Contains("cannot open the image") &&
                                             Contains("No such file or directory"));
  }
  SECTION("a directory") {
    TempDir dir;
    CHECK_THROWS_WITH(Image::open(dir.path()), Contains("not a regular file"));
  }
  SECTION("empty file") {
    Attempt a{Bytes()};
    CHECK_THAT(a.message, Contains(a.path + ": empty file") && Contains("at least 64 bytes"));
  }
  SECTION("short header") {
    Attempt a{Bytes(good.begin(), good.begin() + 40)};
    CHECK_THAT(a.message, Contains(a.path + ": file is 40 bytes, too short") && Contains("64-byte header"));
  }
  SECTION("wrong magic") {
    Bytes b = good;
    const char zip[] = "PK\x03\x04";
    std::copy(zip, zip + 4, b.begin());
    Attempt a{b};
    CHECK_THAT(a.message, Equals(a.path + ": not a neurark chip image: magic is \"PK\\x03\\x04MAGE\", "
                                          "expected \"NRKIMAGE\""));
  }
  SECTION("wrong version") {
    Bytes b = good;
    put_le(b, kVersionAt, 7, 4);
    Attempt a{b};
    CHECK_THAT(a.message,
               Equals(a.path + ": image format version 7 is not supported (this build reads version 1)"));
  }
  SECTION("wrong header_bytes") {
    Bytes b = good;
    put_le(b, kHeaderBytesAt, 128, 4);
    Attempt a{b};
    CHECK_THAT(a.message, Contains(a.path + ": header_bytes is 128, expected 64"));
  }
  SECTION("reserved header bytes not zero") {
    Bytes b = good;
    b[60] = 0x5A;
    Attempt a{b};
    CHECK_THAT(a.message, Contains("reserved header byte 60 is 0x5A, expected 0"));
  }
  SECTION("truncated") {
    Attempt a{Bytes(good.begin(), good.end() - 10)};
    CHECK_THAT(a.message, Equals(fmt::format("{}: truncated: header says {} bytes, file has {}", a.path, size,
                                             size - 10)));
  }
  SECTION("trailing bytes") {
    Bytes b = good;
    b.insert(b.end(), 5, 0);
    Attempt a{b};
    CHECK_THAT(a.message, Contains(fmt::format("{}: trailing bytes: header says {} bytes, file has {}", a.path,
                                               size, size + 5)));
  }
  SECTION("manifest range outside the file") {
    Bytes b = good;
    put_le(b, kManifestBytesAt, size, 8);
    Attempt a{b};
    CHECK_THAT(a.message, Contains(a.path + ": manifest range") && Contains(std::to_string(moff)) &&
                              Contains(fmt::format("expected a range inside [64, {})", size)));
  }
  SECTION("one flipped byte in a blob") {
    Bytes b = good;
    b[64 + 17] ^= 0x01;
    const uint64_t stored = get_le(b, kChecksumAt, 8);
    Attempt a{b};
    CHECK_THAT(a.message, Equals(fmt::format("{}: checksum mismatch: stored 0x{:016x}, computed 0x{:016x} "
                                             "(the file is corrupted)",
                                             a.path, stored, xxh3_body(b))));
    CHECK(stored != xxh3_body(b));
  }
  SECTION("manifest not JSON") {
    Bytes b = good;
    replace_manifest(b, "{\"blobs\": [");
    Attempt a{b};
    CHECK_THAT(a.message, Contains(a.path + ": manifest: not well-formed JSON"));
  }
  SECTION("manifest not an object") {
    Bytes b = good;
    replace_manifest(b, "[1, 2]");
    Attempt a{b};
    CHECK_THAT(a.message, Contains("manifest is an array ([1, 2]), expected a JSON object"));
  }
  SECTION("manifest with a duplicate key") {
    Bytes b = good;
    replace_manifest(b, R"({"blobs": [], "k": 1, "k": 2})");
    Attempt a{b};
    CHECK_THAT(a.message, Contains("key \"k\" appears more than once"));
  }
  SECTION("manifest without blobs, or blobs not an array") {
    Bytes b = good;
    replace_manifest(b, R"({"format": "x"})");
    CHECK_THAT(Attempt{b}.message, Contains("manifest has no \"blobs\" key"));
    replace_manifest(b, R"({"blobs": {}})");
    CHECK_THAT(Attempt{b}.message, Contains("manifest \"blobs\" is an object ({}), expected an array"));
  }
  SECTION("blob entry fields") {
    json bad = m;
    bad["blobs"][2]["offset"] = -64;
    Bytes b = good;
    replace_manifest(b, bad.dump());
    CHECK_THAT(Attempt{b}.message, Contains("manifest blobs[2].offset is an integer (-64), expected an unsigned integer"));
    bad = m;
    bad["blobs"][0].erase("bytes");
    replace_manifest(b, bad.dump());
    CHECK_THAT(Attempt{b}.message, Contains("manifest blobs[0]: missing key \"bytes\""));
    bad = m;
    bad["blobs"][1]["dtype"] = "int8";
    replace_manifest(b, bad.dump());
    CHECK_THAT(Attempt{b}.message, Contains("manifest blobs[1]: unknown key \"dtype\""));
    bad = m;
    bad["blobs"][3]["name"] = 5;
    replace_manifest(b, bad.dump());
    CHECK_THAT(Attempt{b}.message, Contains("manifest blobs[3].name is an integer (5), expected a non-empty string"));
  }
  SECTION("blob outside the file") {
    json bad = m;
    bad["blobs"][3]["offset"] = moff;  // ints: 24 bytes starting where the manifest starts
    Bytes b = good;
    replace_manifest(b, bad.dump());
    Attempt a{b};
    CHECK_THAT(a.message, Contains(a.path + ": blob 'ints' [offset " + std::to_string(moff) + ", + 24 bytes) "
                                            "lies outside the blob area") &&
                              Contains(fmt::format("inside [64, {})", moff)));
    bad["blobs"][3]["offset"] = uint64_t{1} << 63;
    replace_manifest(b, bad.dump());
    CHECK_THAT(Attempt{b}.message, Contains("blob 'ints'") && Contains("lies outside the blob area"));
  }
  SECTION("blob not aligned") {
    json bad = m;
    bad["blobs"][0]["offset"] = 65;
    Bytes b = good;
    replace_manifest(b, bad.dump());
    CHECK_THAT(Attempt{b}.message, Contains("blob 'weights' offset 65 is not a multiple of 64"));
  }
  SECTION("overlapping blobs") {
    json bad = m;
    bad["blobs"][2]["offset"] = 1024;  // streamed, inside weights [64, 1065)
    Bytes b = good;
    replace_manifest(b, bad.dump());
    Attempt a{b};
    CHECK_THAT(a.message, Equals(a.path + ": blobs 'weights' [64, 1065) and 'streamed' [1024, 1324) overlap, "
                                          "expected disjoint ranges"));
  }
  SECTION("duplicate blob names") {
    json bad = m;
    bad["blobs"][2]["name"] = "weights";
    Bytes b = good;
    replace_manifest(b, bad.dump());
    Attempt a{b};
    CHECK_THAT(a.message, Contains(a.path + ": manifest: blob name 'weights' appears twice (blobs[0] and "
                                            "blobs[2]), expected unique names"));
  }
  SECTION("the fix-ups themselves leave a valid image") {
    Bytes b = good;
    replace_manifest(b, m.dump());
    CHECK(Attempt{b}.message.empty());
  }
}

TEST_CASE("image reader: missing blob and blob_as size mismatch", "[image]") {
  TempDir dir;
  const std::string path = dir.file("s.nimg");
  write_sample(path, make_sample());
  const Image img = Image::open(path);
  CHECK_THROWS_WITH(img.blob("nope"), Contains(path + ": blob 'nope' is missing"));
  CHECK_THROWS_WITH(img.blob_as<int32_t>("nope"), Contains(path + ": blob 'nope' is missing"));
  CHECK_THROWS_AS(img.blob("nope"), neurark::Error);
  CHECK_THROWS_WITH(img.blob_as<int16_t>("weights"),
                    Equals(path + ": blob 'weights' holds 1001 bytes, not a whole number of int16 values "
                                  "(2 bytes each)"));
  CHECK_THROWS_WITH(img.blob_as<int32_t>("ints", 7), Equals(path + ": blob 'ints' holds 6 int32 values, expected 7"));
  CHECK_THROWS_WITH(img.blob_as<uint64_t>("ints", 4), Contains("holds 3 uint64 values, expected 4"));
  CHECK_THROWS_WITH(img.blob_as<uint8_t>("empty", 1), Contains("blob 'empty' holds 0 uint8 values, expected 1"));
}

TEST_CASE("remove_stale_temporaries removes what dead neurark processes left, nothing else", "[image]") {
  TempDir tmp;
  // A process id that is certainly dead: a child that has exited and been waited for.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  REQUIRE(child > 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  const std::string dead = std::to_string(child), alive = std::to_string(::getppid());
  const std::vector<std::string> stale = {"out.nimg.tmp-" + dead + "-0", "trace.json.tmp-" + dead, ".report.tmp-" + dead,
                                          "neurark-run-" + dead, "neurark-" + dead + "-12345.nimg"};
  const std::vector<std::string> kept = {"out.nimg.tmp-" + alive + "-0", "neurark-run-" + alive, "notes.tmp-abc",
                                         "neurark-run-x", "model.safetensors", "neurark-" + dead + ".nimg"};
  for (const std::string& n : stale) std::ofstream(tmp.file(n)) << "x";
  std::filesystem::remove(tmp.file("neurark-run-" + dead));
  std::filesystem::create_directories(tmp.file("neurark-run-" + dead));  // a side folder, with a file in it
  std::ofstream(tmp.file("neurark-run-" + dead + "/events.jsonl.tmp")) << "x";
  for (const std::string& n : kept) std::ofstream(tmp.file(n)) << "x";
  CHECK(neurark::arch::remove_stale_temporaries(tmp.path()) == static_cast<int>(stale.size()));
  for (const std::string& n : stale) CHECK_FALSE(std::filesystem::exists(tmp.file(n)));
  for (const std::string& n : kept) CHECK(std::filesystem::exists(tmp.file(n)));
}
