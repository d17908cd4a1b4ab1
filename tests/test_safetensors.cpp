// SPDX-License-Identifier: Apache-2.0
// Tests of the validating safetensors reader (models/safetensors.hpp): valid files built byte by
// byte, exact half-precision conversions, and one test per malformed-file case asserting that the
// neurark::Error message names the file, the tensor or field, the value and what was expected.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "checkpoint_fixtures.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/models/safetensors.hpp"

using Catch::Contains;
using neurark::models::DType;
using neurark::models::SafetensorsFile;
using neurark::models::TensorStore;
using namespace neurark_test;

namespace {

uint32_t bits_of(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// Writes `bytes` as DIR/model.safetensors and returns the message SafetensorsFile::open throws.
struct Attempt {
  TempDir dir;
  std::string path = dir.file("model.safetensors");
  std::string message;
  explicit Attempt(const Bytes& bytes) {
    write_bytes(path, bytes);
    message = error_message([&] { SafetensorsFile::open(path); });
  }
};

// One F32 tensor entry as header JSON text.
std::string entry(const std::string& name, const std::string& shape, uint64_t b, uint64_t e,
                  const std::string& dtype = "F32") {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
         std::to_string(b) + "," + std::to_string(e) + "]}";
}

// Reads back one F16 (or BF16) tensor holding `patterns`.
std::vector<float> read_half(const std::string& dtype, const std::vector<uint16_t>& patterns) {
  TempDir dir;
  const std::string path = dir.file("h.safetensors");
  write_bytes(path, build_safetensors({{"h", dtype, {static_cast<int64_t>(patterns.size())},
                                        u16_bytes(patterns)}}));
  return SafetensorsFile::open(path).read_f32("h");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Valid files

TEST_CASE("safetensors: a valid file with every dtype reads back exactly", "[safetensors]") {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  // Offsets follow this order; the header JSON lists keys alphabetically, so the file's order
  // differs from the header's.
  write_bytes(path, build_safetensors(
                        {
                            {"z.f32", "F32", {2, 3}, f32_bytes({1.0f, -2.5f, 0.0f, 3.25f, 1e-3f, -0.0f})},
                            {"y.f16", "F16", {2}, u16_bytes({0x3C00, 0xC000})},
                            {"x.bf16", "BF16", {2}, u16_bytes({0x3F80, 0x4049})},
                            {"w.i8", "I8", {3}, i8_bytes({-128, 0, 127})},
                            {"v.ids", "I32", {2}, i32_bytes({7, -1})},
                            {"u.ids64", "I64", {1, 2}, i64_bytes({5, 2147483647})},
                            {"t.scalar", "F32", {}, f32_bytes({42.0f})},
                            {"s.empty", "F32", {0, 4}, {}},
                        },
                        {{"format", "pt"}}));
  const SafetensorsFile f = SafetensorsFile::open(path);

  CHECK(f.path() == path);
  REQUIRE(f.metadata().size() == 1);
  CHECK(f.metadata().at("format") == "pt");
  REQUIRE(f.tensors().size() == 8);
  CHECK(f.tensors().front().name == "z.f32");  // offset order, not name order
  for (std::size_t i = 1; i < f.tensors().size(); ++i) {
    CHECK(f.tensors()[i - 1].end <= f.tensors()[i].begin);
  }

  const auto* a = f.find("z.f32");
  REQUIRE(a != nullptr);
  CHECK(a->dtype == DType::F32);
  CHECK(a->shape == std::vector<int64_t>{2, 3});
  CHECK(a->numel() == 6);
  CHECK(a->begin == 0);
  CHECK(a->end == 24);
  const std::vector<float> av = f.read_f32("z.f32");
  REQUIRE(av.size() == 6);
  CHECK(av[0] == 1.0f);
  CHECK(av[1] == -2.5f);
  CHECK(av[3] == 3.25f);
  CHECK(bits_of(av[4]) == bits_of(1e-3f));
  CHECK(bits_of(av[5]) == 0x80000000u);  // -0 keeps its sign

  CHECK(f.read_f32("y.f16") == std::vector<float>{1.0f, -2.0f});
  CHECK(f.read_f32("x.bf16") == std::vector<float>{1.0f, 3.140625f});
  CHECK(f.read_f32("w.i8") == std::vector<float>{-128.0f, 0.0f, 127.0f});
  CHECK(f.read_i32("w.i8") == std::vector<int32_t>{-128, 0, 127});
  CHECK(f.read_i32("v.ids") == std::vector<int32_t>{7, -1});
  CHECK(f.read_i32("u.ids64") == std::vector<int32_t>{5, 2147483647});
  CHECK(f.find("u.ids64")->dtype == DType::I64);

  const auto* s = f.find("t.scalar");
  REQUIRE(s != nullptr);
  CHECK(s->shape.empty());
  CHECK(s->numel() == 1);
  CHECK(f.read_f32("t.scalar") == std::vector<float>{42.0f});

  const auto* e = f.find("s.empty");
  REQUIRE(e != nullptr);
  CHECK(e->numel() == 0);
  CHECK(e->begin == e->end);
  CHECK(f.read_f32("s.empty").empty());

  CHECK(f.find("absent") == nullptr);
  CHECK(f.find("__metadata__") == nullptr);
}

TEST_CASE("safetensors: dtype names and sizes", "[safetensors]") {
  using neurark::models::dtype_name;
  using neurark::models::dtype_size;
  CHECK(std::string(dtype_name(DType::F32)) == "F32");
  CHECK(std::string(dtype_name(DType::F16)) == "F16");
  CHECK(std::string(dtype_name(DType::BF16)) == "BF16");
  CHECK(std::string(dtype_name(DType::I8)) == "I8");
  CHECK(std::string(dtype_name(DType::I32)) == "I32");
  CHECK(std::string(dtype_name(DType::I64)) == "I64");
  CHECK(dtype_size(DType::F32) == 4);
  CHECK(dtype_size(DType::F16) == 2);
  CHECK(dtype_size(DType::BF16) == 2);
  CHECK(dtype_size(DType::I8) == 1);
  CHECK(dtype_size(DType::I32) == 4);
  CHECK(dtype_size(DType::I64) == 8);
}

TEST_CASE("safetensors: header padded with trailing spaces is accepted", "[safetensors]") {
  TempDir dir;
  const std::string path = dir.file("p.safetensors");
  const std::string header = "{" + entry("w", "[2]", 0, 8) + "}       ";
  write_bytes(path, raw_safetensors(header, f32_bytes({0.5f, -4.0f})));
  CHECK(SafetensorsFile::open(path).read_f32("w") == std::vector<float>{0.5f, -4.0f});
}

TEST_CASE("safetensors: F16 conversion is exact on chosen bit patterns", "[safetensors]") {
  const std::vector<float> v = read_half(
      "F16", {0x3C00, 0xC000, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0x3555, 0x8000, 0x8001, 0x7C00, 0xFC00,
              0x7E00, 0x7D01, 0xFE00});
  REQUIRE(v.size() == 14);
  CHECK(v[0] == 1.0f);
  CHECK(v[1] == -2.0f);
  CHECK(v[2] == std::ldexp(1.0f, -24));             // smallest subnormal
  CHECK(v[3] == std::ldexp(1023.0f, -24));          // largest subnormal
  CHECK(v[4] == std::ldexp(1.0f, -14));             // smallest normal
  CHECK(v[5] == 65504.0f);                          // largest finite
  CHECK(v[6] == 0.333251953125f);                   // 0x3555 = 1365/4096
  CHECK(bits_of(v[7]) == 0x80000000u);              // -0
  CHECK(v[8] == -std::ldexp(1.0f, -24));            // negative subnormal
  CHECK(v[9] == std::numeric_limits<float>::infinity());
  CHECK(v[10] == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(v[11]));
  CHECK(bits_of(v[11]) == 0x7FC00000u);             // quiet NaN, payload kept
  CHECK(std::isnan(v[12]));
  CHECK(bits_of(v[12]) == (0x7F800000u | (0x101u << 13)));  // signalling payload kept, not quieted
  CHECK(bits_of(v[13]) == 0xFFC00000u);             // negative NaN keeps its sign
}

TEST_CASE("safetensors: F16 conversion is exact for all 65536 bit patterns", "[safetensors]") {
  std::vector<uint16_t> all(65536);
  for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
  const std::vector<float> v = read_half("F16", all);
  REQUIRE(v.size() == 65536);
  int mismatches = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const bool neg = (h & 0x8000u) != 0;
    const int exp = static_cast<int>((h >> 10) & 0x1Fu);
    const int mant = static_cast<int>(h & 0x3FFu);
    const float got = v[h];
    bool ok;
    if (exp == 31) {
      ok = mant == 0 ? std::isinf(got) && std::signbit(got) == neg
                     : std::isnan(got) && std::signbit(got) == neg &&
                           (bits_of(got) & 0x007FFFFFu) == static_cast<uint32_t>(mant) << 13;
    } else {
      // Independent of the bit manipulation under test: (-1)^s * m * 2^(e - 25), subnormals
      // m * 2^-24. Every such value is exact in float.
      const double mag = exp == 0 ? std::ldexp(static_cast<double>(mant), -24)
                                  : std::ldexp(static_cast<double>(1024 + mant), exp - 25);
      ok = static_cast<double>(got) == (neg ? -mag : mag) && std::signbit(got) == neg;
    }
    if (!ok && ++mismatches <= 5) FAIL_CHECK("F16 pattern " << h << " read as " << got);
  }
  CHECK(mismatches == 0);
}

TEST_CASE("safetensors: BF16 conversion is exact", "[safetensors]") {
  SECTION("chosen bit patterns") {
    const std::vector<float> v =
        read_half("BF16", {0x3F80, 0xC000, 0x0001, 0x8000, 0x7F80, 0xFF80, 0x7FC0, 0x4049, 0x7F7F});
    REQUIRE(v.size() == 9);
    CHECK(v[0] == 1.0f);
    CHECK(v[1] == -2.0f);
    CHECK(v[2] == std::ldexp(1.0f, -133));  // a float32 subnormal
    CHECK(bits_of(v[3]) == 0x80000000u);
    CHECK(v[4] == std::numeric_limits<float>::infinity());
    CHECK(v[5] == -std::numeric_limits<float>::infinity());
    CHECK(std::isnan(v[6]));
    CHECK(v[7] == 3.140625f);
    CHECK(bits_of(v[8]) == 0x7F7F0000u);  // the largest finite bf16
  }
  SECTION("all 65536 bit patterns are the top half of the float32") {
    std::vector<uint16_t> all(65536);
    for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
    const std::vector<float> v = read_half("BF16", all);
    REQUIRE(v.size() == 65536);
    int mismatches = 0;
    for (uint32_t b = 0; b < 65536; ++b) mismatches += bits_of(v[b]) != (b << 16) ? 1 : 0;
    CHECK(mismatches == 0);
  }
}

TEST_CASE("safetensors: integer reads and dtype mismatches", "[safetensors]") {
  TempDir dir;
  const std::string path = dir.file("ids.safetensors");
  write_bytes(path, build_safetensors({
                        {"big", "I64", {3}, i64_bytes({0, -5, int64_t{1} << 31})},
                        {"ids", "I32", {2}, i32_bytes({1, 2})},
                        {"w", "F16", {1}, u16_bytes({0x3C00})},
                    }));
  const SafetensorsFile f = SafetensorsFile::open(path);

  const std::string too_big = error_message([&] { f.read_i32("big"); });
  CHECK_THAT(too_big, Contains(path) && Contains("'big'") && Contains("element 2") &&
                          Contains("2147483648") && Contains("int32"));
  CHECK_THAT(error_message([&] { f.read_i32("w"); }),
             Contains(path) && Contains("'w'") && Contains("F16") && Contains("integer dtype"));
  CHECK_THAT(error_message([&] { f.read_f32("ids"); }),
             Contains(path) && Contains("'ids'") && Contains("I32") && Contains("F32, F16, BF16 or I8"));
  CHECK_THAT(error_message([&] { f.read_f32("nope"); }), Contains(path) && Contains("no tensor 'nope'"));
  CHECK_THAT(error_message([&] { f.read_i32("nope"); }), Contains(path) && Contains("no tensor 'nope'"));
}

// ---------------------------------------------------------------------------------------------
// Malformed files: one case each

TEST_CASE("safetensors: missing file names the path", "[safetensors]") {
  TempDir dir;
  const std::string path = dir.file("nothing.safetensors");
  CHECK_THAT(error_message([&] { SafetensorsFile::open(path); }),
             Contains(path) && Contains("does not exist"));
}

TEST_CASE("safetensors: file shorter than 8 bytes", "[safetensors]") {
  Attempt a(Bytes{1, 0, 0});
  CHECK_THAT(a.message, Contains(a.path) && Contains("3 bytes") && Contains("at least 8"));
}

TEST_CASE("safetensors: header length 0", "[safetensors]") {
  Attempt a(raw_safetensors("", {}));
  CHECK_THAT(a.message, Contains(a.path) && Contains("header length is 0"));
}

TEST_CASE("safetensors: header length larger than the file", "[safetensors]") {
  Attempt a(raw_safetensors("{}", Bytes(10, 0), /*header_len=*/1000));  // file is 20 bytes
  CHECK_THAT(a.message, Contains(a.path) && Contains("header length 1000") && Contains("20 bytes") &&
                            Contains("at most 12"));
}

TEST_CASE("safetensors: absurd header length", "[safetensors]") {
  Attempt a(raw_safetensors("{}", {}, /*header_len=*/uint64_t{1} << 62));
  CHECK_THAT(a.message, Contains(a.path) && Contains(std::to_string(uint64_t{1} << 62)) &&
                            Contains("at most 100000000"));
}

TEST_CASE("safetensors: the header limit can be raised for a genuine large header", "[safetensors]") {
  // A 200-byte header against a 100-byte limit, then with the limit raised.
  const std::string header = "{\"__metadata__\": {\"note\": \"" + std::string(170, 'x') + "\"}}";
  ::setenv("NEURARK_SAFETENSORS_MAX_HEADER_BYTES", "100", 1);
  Attempt small(raw_safetensors(header, {}));
  CHECK_THAT(small.message, Contains("at most 100 bytes") && Contains("NEURARK_SAFETENSORS_MAX_HEADER_BYTES"));
  ::setenv("NEURARK_SAFETENSORS_MAX_HEADER_BYTES", "1000", 1);
  Attempt large(raw_safetensors(header, {}));
  CHECK(large.message.empty());
  ::setenv("NEURARK_SAFETENSORS_MAX_HEADER_BYTES", "-5", 1);
  Attempt bad(raw_safetensors(header, {}));
  CHECK_THAT(bad.message, Contains("NEURARK_SAFETENSORS_MAX_HEADER_BYTES=-5: expected a positive integer"));
  ::unsetenv("NEURARK_SAFETENSORS_MAX_HEADER_BYTES");
}

TEST_CASE("safetensors: a Git LFS pointer in place of the weights gets a hint", "[safetensors]") {
  const std::string pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 137022\n";
  Attempt a(Bytes(pointer.begin(), pointer.end()));
  CHECK_THAT(a.message, Contains(a.path) && Contains("a Git LFS pointer file, not the weights") && Contains("git lfs pull"));
}

TEST_CASE("safetensors: \"__metadata__\": null means no metadata, as in the reference loader", "[safetensors]") {
  TempDir dir;
  const std::string path = dir.file("m.safetensors");
  write_bytes(path, raw_safetensors("{\"__metadata__\": null, " + entry("w", "[1]", 0, 4) + "}", f32_bytes({2.5f})));
  const SafetensorsFile f = SafetensorsFile::open(path);
  CHECK(f.metadata().empty());
  CHECK(f.read_f32("w") == std::vector<float>{2.5f});
}

TEST_CASE("safetensors: header not JSON", "[safetensors]") {
  Attempt a(raw_safetensors("{\"w\": {dtype: F32}", {}));
  CHECK_THAT(a.message, Contains(a.path) && Contains("header") && Contains("not well-formed JSON"));
}

TEST_CASE("safetensors: header JSON not an object", "[safetensors]") {
  Attempt a(raw_safetensors("[1, 2, 3]", {}));
  CHECK_THAT(a.message, Contains(a.path) && Contains("an array") && Contains("[1, 2, 3]") &&
                            Contains("expected an object"));
}

TEST_CASE("safetensors: __metadata__ not an object", "[safetensors]") {
  Attempt a(raw_safetensors("{\"__metadata__\": [\"pt\"]}", {}));
  CHECK_THAT(a.message, Contains(a.path) && Contains("'__metadata__'") && Contains("[\"pt\"]") &&
                            Contains("expected an object of string values"));
}

TEST_CASE("safetensors: __metadata__ with a non-string value", "[safetensors]") {
  Attempt a(raw_safetensors("{\"__metadata__\": {\"format\": \"pt\", \"step\": 100}}", {}));
  CHECK_THAT(a.message, Contains(a.path) && Contains("'__metadata__' entry 'step'") && Contains("100") &&
                            Contains("expected a string"));
}

TEST_CASE("safetensors: __metadata__ is never a tensor", "[safetensors]") {
  // Shaped like a tensor entry, but it is the metadata: a tensor-shaped object value is not a
  // string, so the file is rejected rather than the entry being read as a tensor.
  Attempt bad(raw_safetensors(
      "{\"__metadata__\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}",
      f32_bytes({1.0f})));
  CHECK_THAT(bad.message, Contains("'__metadata__' entry") && Contains("expected a string"));

  // A valid file with string metadata: the metadata is exposed, never listed as a tensor.
  TempDir dir;
  const std::string path = dir.file("m.safetensors");
  write_bytes(path, build_safetensors({{"w", "F32", {1}, f32_bytes({2.0f})}},
                                      {{"dtype", "F32"}, {"shape", "[1]"}}));
  const SafetensorsFile f = SafetensorsFile::open(path);
  REQUIRE(f.tensors().size() == 1);
  CHECK(f.tensors()[0].name == "w");
  CHECK(f.find("__metadata__") == nullptr);
  CHECK(f.metadata().at("dtype") == "F32");
}

TEST_CASE("safetensors: unknown dtype lists the accepted ones", "[safetensors]") {
  Attempt a(raw_safetensors("{" + entry("w", "[1]", 0, 8, "F64") + "}", Bytes(8, 0)));
  CHECK_THAT(a.message, Contains(a.path) && Contains("tensor 'w'") && Contains("\"F64\"") &&
                            Contains("F32, F16, BF16, I8, I32 or I64"));
}

TEST_CASE("safetensors: dtype not a string", "[safetensors]") {
  Attempt a(raw_safetensors("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", Bytes(4, 0)));
  CHECK_THAT(a.message, Contains("tensor 'w'") && Contains("dtype is an integer (4)") &&
                            Contains("expected a string"));
}

TEST_CASE("safetensors: negative shape entry", "[safetensors]") {
  Attempt a(raw_safetensors("{" + entry("w", "[2, -1]", 0, 8) + "}", Bytes(8, 0)));
  CHECK_THAT(a.message, Contains(a.path) && Contains("tensor 'w'") && Contains("shape [2, -1]") &&
                            Contains("entry 1 is -1") && Contains("non-negative integer"));
}

TEST_CASE("safetensors: non-integer shape entry", "[safetensors]") {
  Attempt a(raw_safetensors("{" + entry("w", "[2.5]", 0, 8) + "}", Bytes(8, 0)));
  CHECK_THAT(a.message, Contains("tensor 'w'") && Contains("entry 0 is 2.5") &&
                            Contains("non-negative integer"));
}

TEST_CASE("safetensors: shape not a list", "[safetensors]") {
  Attempt a(raw_safetensors("{" + entry("w", "\"2x4\"", 0, 32) + "}", Bytes(32, 0)));
  CHECK_THAT(a.message, Contains("tensor 'w'") && Contains("shape is a string (\"2x4\")") &&
                            Contains("expected a list of non-negative integers"));
}

TEST_CASE("safetensors: shape element count overflows 64 bits", "[safetensors]") {
  Attempt a(raw_safetensors("{" + entry("w", "[1099511627776, 1099511627776]", 0, 8) + "}", Bytes(8, 0)));
  CHECK_THAT(a.message, Contains(a.path) && Contains("tensor 'w'") &&
                            Contains("[1099511627776, 1099511627776]") && Contains("64 bits"));
}

TEST_CASE("safetensors: shape byte count overflows 64 bits", "[safetensors]") {
  // 2^62 elements fit in 64 bits, 2^62 x 4 bytes do not.
  Attempt a(raw_safetensors("{" + entry("w", "[4611686018427387904]", 0, 8) + "}", Bytes(8, 0)));
  CHECK_THAT(a.message, Contains("tensor 'w'") && Contains("x 4 bytes for F32") && Contains("64 bits"));
}

TEST_CASE("safetensors: data_offsets malformed", "[safetensors]") {
  Attempt a(raw_safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", Bytes(4, 0)));
  CHECK_THAT(a.message, Contains("tensor 'w'") && Contains("data_offsets is [0]") &&
                            Contains("[begin, end]"));
}

TEST_CASE("safetensors: data_offsets begin after end", "[safetensors]") {
  Attempt a(raw_safetensors("{" + entry("w", "[1]", 8, 4) + "}", Bytes(8, 0)));
  CHECK_THAT(a.message, Contains("tensor 'w'") && Contains("[8, 4]") && Contains("begin <= end"));
}

TEST_CASE("safetensors: data_offsets beyond the data section", "[safetensors]") {
  Attempt a(raw_safetensors("{" + entry("a", "[2]", 0, 8) + "," + entry("b", "[4]", 8, 24) + "}",
                            Bytes(16, 0)));
  CHECK_THAT(a.message, Contains(a.path) && Contains("tensor 'b'") && Contains("[8, 24]") &&
                            Contains("holds only 16 bytes"));
}

TEST_CASE("safetensors: truncated file (data shorter than the offsets)", "[safetensors]") {
  // A valid file with its last 3 bytes cut off.
  Bytes bytes = build_safetensors({{"w", "F32", {4}, f32_bytes({1, 2, 3, 4})}});
  bytes.resize(bytes.size() - 3);
  Attempt a(bytes);
  CHECK_THAT(a.message, Contains(a.path) && Contains("tensor 'w'") && Contains("[0, 16]") &&
                            Contains("only 13 bytes") && Contains("truncated"));
}

TEST_CASE("safetensors: byte count mismatch", "[safetensors]") {
  Attempt a(raw_safetensors("{" + entry("lm_head.weight", "[4, 8]", 0, 96) + "}", Bytes(96, 0)));
  CHECK_THAT(a.message, Contains(a.path + ": tensor 'lm_head.weight': data_offsets [0, 96] hold 96 "
                                          "bytes, expected 128 (shape [4, 8] x 4 bytes for F32)"));
}

TEST_CASE("safetensors: overlapping tensors", "[safetensors]") {
  Attempt a(raw_safetensors("{" + entry("a", "[2]", 0, 8) + "," + entry("b", "[2]", 4, 12) + "}",
                            Bytes(12, 0)));
  CHECK_THAT(a.message, Contains(a.path) && Contains("'b' data_offsets [4, 12] overlap") &&
                            Contains("'a' data_offsets [0, 8]"));
}

TEST_CASE("safetensors: gap between tensors", "[safetensors]") {
  Attempt a(raw_safetensors("{" + entry("a", "[1]", 0, 4) + "," + entry("b", "[1]", 8, 12) + "}",
                            Bytes(12, 0)));
  CHECK_THAT(a.message, Contains(a.path) && Contains("bytes [4, 8) belong to no tensor") &&
                            Contains("'b' begins at 8, expected 4"));
}

TEST_CASE("safetensors: first tensor not at offset 0", "[safetensors]") {
  Attempt a(raw_safetensors("{" + entry("a", "[1]", 4, 8) + "}", Bytes(8, 0)));
  CHECK_THAT(a.message, Contains("bytes [0, 4) belong to no tensor") && Contains("'a' begins at 4"));
}

TEST_CASE("safetensors: trailing data not covered by any tensor", "[safetensors]") {
  Attempt a(raw_safetensors("{" + entry("a", "[1]", 0, 4) + "}", Bytes(10, 0)));
  CHECK_THAT(a.message, Contains(a.path) && Contains("data section is 10 bytes") &&
                            Contains("bytes [4, 10) belong to no tensor"));
}

TEST_CASE("safetensors: tensor listed twice in the header", "[safetensors]") {
  Attempt a(raw_safetensors("{" + entry("a", "[1]", 0, 4) + "," + entry("a", "[1]", 4, 8) + "}",
                            Bytes(8, 0)));
  CHECK_THAT(a.message, Contains(a.path) && Contains("\"a\" appears more than once"));
}

TEST_CASE("safetensors: tensor entry missing data_offsets", "[safetensors]") {
  Attempt a(raw_safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", Bytes(4, 0)));
  CHECK_THAT(a.message, Contains("tensor 'w'") && Contains("missing field 'data_offsets'"));
}

TEST_CASE("safetensors: tensor entry not an object", "[safetensors]") {
  Attempt a(raw_safetensors("{\"w\": \"F32\"}", {}));
  CHECK_THAT(a.message, Contains("tensor 'w'") && Contains("a string (\"F32\")") &&
                            Contains("expected an object"));
}

TEST_CASE("safetensors: unknown field in a tensor entry", "[safetensors]") {
  Attempt a(raw_safetensors(
      "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"stride\":[1]}}", Bytes(4, 0)));
  CHECK_THAT(a.message, Contains("tensor 'w'") && Contains("unknown field 'stride'"));
}

// ---------------------------------------------------------------------------------------------
// Checkpoint directories: single file and sharded index

namespace {

// Two shards: a.safetensors {w1, w2}, b.safetensors {w3}; `weight_map` is written as given.
void write_sharded(const TempDir& dir, const std::string& weight_map) {
  write_bytes(dir.file("a.safetensors"), build_safetensors({{"w1", "F32", {2}, f32_bytes({1, 2})},
                                                            {"w2", "BF16", {1}, u16_bytes({0x4000})}}));
  write_bytes(dir.file("b.safetensors"), build_safetensors({{"w3", "F16", {1}, u16_bytes({0xC400})}}));
  write_text(dir.file("model.safetensors.index.json"),
             "{\"metadata\": {\"total_size\": 14}, \"weight_map\": " + weight_map + "}");
}

}  // namespace

TEST_CASE("safetensors: directory with a single model.safetensors", "[safetensors]") {
  TempDir dir;
  write_bytes(dir.file("model.safetensors"),
              build_safetensors({{"b", "F32", {1}, f32_bytes({3})}, {"a", "F32", {1}, f32_bytes({4})}}));
  const TensorStore s = TensorStore::open_dir(dir.path());
  CHECK(s.dir() == dir.path());
  CHECK(s.names() == std::vector<std::string>{"a", "b"});
  CHECK(s.file_of("a") == dir.file("model.safetensors"));
  CHECK(s.read_f32("a") == std::vector<float>{4});
  CHECK(s.find("c") == nullptr);
  CHECK_THAT(error_message([&] { s.read_f32("c"); }), Contains(dir.path()) && Contains("'c'"));
  CHECK_THAT(error_message([&] { s.file_of("c"); }), Contains(dir.path()) && Contains("'c'"));
}

TEST_CASE("safetensors: valid sharded checkpoint", "[safetensors]") {
  TempDir dir;
  write_sharded(dir, R"({"w1": "a.safetensors", "w2": "a.safetensors", "w3": "b.safetensors"})");
  const TensorStore s = TensorStore::open_dir(dir.path());
  CHECK(s.names() == std::vector<std::string>{"w1", "w2", "w3"});
  CHECK(s.file_of("w1") == dir.file("a.safetensors"));
  CHECK(s.file_of("w3") == dir.file("b.safetensors"));
  REQUIRE(s.find("w3") != nullptr);
  CHECK(s.find("w3")->dtype == DType::F16);
  CHECK(s.read_f32("w1") == std::vector<float>{1, 2});
  CHECK(s.read_f32("w2") == std::vector<float>{2});
  CHECK(s.read_f32("w3") == std::vector<float>{-4});
}

TEST_CASE("safetensors: no model.safetensors and no index", "[safetensors]") {
  TempDir dir;
  CHECK_THAT(error_message([&] { TensorStore::open_dir(dir.path()); }),
             Contains(dir.file("model.safetensors")) && Contains(dir.file("model.safetensors.index.json")) &&
                 Contains("neither"));
}

TEST_CASE("safetensors: sharded index with a missing shard", "[safetensors]") {
  TempDir dir;
  write_sharded(dir, R"({"w1": "a.safetensors", "w2": "a.safetensors", "w3": "b.safetensors",
                         "w4": "c.safetensors"})");
  CHECK_THAT(error_message([&] { TensorStore::open_dir(dir.path()); }),
             Contains(dir.file("model.safetensors.index.json")) && Contains("'w4'") &&
                 Contains(dir.file("c.safetensors") + " does not exist"));
}

TEST_CASE("safetensors: sharded index naming the wrong shard for a tensor", "[safetensors]") {
  TempDir dir;
  write_sharded(dir, R"({"w1": "a.safetensors", "w2": "b.safetensors", "w3": "b.safetensors"})");
  CHECK_THAT(error_message([&] { TensorStore::open_dir(dir.path()); }),
             Contains("tensor 'w2' in " + dir.file("b.safetensors")) &&
                 Contains("it is in " + dir.file("a.safetensors")));
}

TEST_CASE("safetensors: sharded index with a tensor no shard holds", "[safetensors]") {
  TempDir dir;
  write_sharded(dir, R"({"w1": "a.safetensors", "w2": "a.safetensors", "w3": "b.safetensors",
                         "w9": "b.safetensors"})");
  CHECK_THAT(error_message([&] { TensorStore::open_dir(dir.path()); }),
             Contains("tensor 'w9'") && Contains("no shard holds it"));
}

TEST_CASE("safetensors: tensor present in two shards", "[safetensors]") {
  TempDir dir;
  write_sharded(dir, R"({"w1": "a.safetensors", "w2": "a.safetensors", "w3": "b.safetensors"})");
  write_bytes(dir.file("b.safetensors"), build_safetensors({{"w3", "F16", {1}, u16_bytes({0xC400})},
                                                            {"w1", "F32", {2}, f32_bytes({5, 6})}}));
  CHECK_THAT(error_message([&] { TensorStore::open_dir(dir.path()); }),
             Contains("tensor 'w1' appears in two shards") && Contains(dir.file("a.safetensors")) &&
                 Contains(dir.file("b.safetensors")));
}

TEST_CASE("safetensors: shard tensor missing from weight_map", "[safetensors]") {
  TempDir dir;
  write_sharded(dir, R"({"w1": "a.safetensors", "w3": "b.safetensors"})");
  CHECK_THAT(error_message([&] { TensorStore::open_dir(dir.path()); }),
             Contains(dir.file("a.safetensors")) && Contains("tensor 'w2' is not listed") &&
                 Contains("weight_map"));
}

TEST_CASE("safetensors: sharded index malformed", "[safetensors]") {
  TempDir dir;
  const std::string index = dir.file("model.safetensors.index.json");
  SECTION("not JSON") {
    write_sharded(dir, R"({"w1": "a.safetensors",)");
    CHECK_THAT(error_message([&] { TensorStore::open_dir(dir.path()); }),
               Contains(index) && Contains("not well-formed JSON"));
  }
  SECTION("no weight_map") {
    write_text(index, R"({"metadata": {}})");
    CHECK_THAT(error_message([&] { TensorStore::open_dir(dir.path()); }),
               Contains(index) && Contains("missing 'weight_map'"));
  }
  SECTION("weight_map value not a string") {
    write_sharded(dir, R"({"w1": 3})");
    CHECK_THAT(error_message([&] { TensorStore::open_dir(dir.path()); }),
               Contains(index) && Contains("entry 'w1' is an integer (3)") && Contains("shard file name"));
  }
  SECTION("shard outside the directory") {
    write_sharded(dir, R"({"w1": "../a.safetensors"})");
    CHECK_THAT(error_message([&] { TensorStore::open_dir(dir.path()); }),
               Contains(index) && Contains("\"../a.safetensors\"") && Contains("inside"));
  }
}

TEST_CASE("safetensors: invalid shard is reported with its own path", "[safetensors]") {
  TempDir dir;
  write_sharded(dir, R"({"w1": "a.safetensors", "w2": "a.safetensors", "w3": "b.safetensors"})");
  write_bytes(dir.file("b.safetensors"), Bytes{1, 2, 3});
  CHECK_THAT(error_message([&] { TensorStore::open_dir(dir.path()); }),
             Contains(dir.file("b.safetensors")) && Contains("at least 8"));
}

// ---------------------------------------------------------------------------------------------
// Robustness: corrupted and truncated files are rejected with neurark::Error, never crash
// (this test is most useful under -DNEURARK_SANITIZE=ON).

TEST_CASE("safetensors: every truncation and random corruption is an Error or a valid file",
          "[safetensors]") {
  const Bytes good = build_safetensors({{"a", "F16", {2, 2}, u16_bytes({0x3C00, 0, 0x8001, 0x7BFF})},
                                        {"b", "I64", {1}, i64_bytes({-7})},
                                        {"c", "F32", {}, f32_bytes({0.25f})}},
                                       {{"format", "pt"}});
  TempDir dir;
  const std::string path = dir.file("x.safetensors");
  auto try_open = [&](const Bytes& bytes) {
    write_bytes(path, bytes);
    try {
      const SafetensorsFile f = SafetensorsFile::open(path);
      for (const auto& t : f.tensors()) {  // whatever validated must be readable
        if (t.dtype == DType::I32 || t.dtype == DType::I64) {
          (void)f.read_i32(t.name);
        } else {
          CHECK(f.read_f32(t.name).size() == t.numel());
        }
      }
      return true;
    } catch (const neurark::Error& e) {
      CHECK_THAT(e.what(), Contains(path));
      return false;
    }
  };
  REQUIRE(try_open(good));
  int accepted = 0;
  for (std::size_t len = 0; len < good.size(); ++len) {
    accepted += try_open(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len))) ? 1 : 0;
  }
  CHECK(accepted == 0);  // every proper prefix is invalid

  uint64_t state = 0x9E3779B97F4A7C15u;  // xorshift64: deterministic
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 1500; ++round) {
    Bytes bad = good;
    const int flips = 1 + static_cast<int>(next() % 3);
    for (int k = 0; k < flips; ++k) {
      bad[next() % bad.size()] = static_cast<unsigned char>(next() & 0xFFu);
    }
    try_open(bad);
  }
}
