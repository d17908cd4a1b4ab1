// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: chip images, through everything that reads one: the container
// (arch::Image::open), the program (arch::Program::from_image), `neurark inspect`'s summary and
// the functional backend stepping two tokens. A valid-but-hostile program must be refused with
// neurark::Error or run; nothing else.
//
// The custom mutator keeps inputs reaching the program: half the time it parses the image,
// replaces one number of its manifest by an edge value (0, -1, 1, 2^31 - 1, 2^31, 2^63 - 1, a
// neighbour of the old value) and writes the image again (a correct checksum); otherwise it
// mutates bytes with libFuzzer's mutator and then repairs the header (file size, checksum), so
// that mutations of the manifest's text are not all stopped by the checksum.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <xxhash.h>

#include "fuzz_common.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/compiler/inspect.hpp"
#include "neurark/sim/functional.hpp"

extern "C" std::size_t LLVMFuzzerMutate(uint8_t* data, std::size_t size, std::size_t max_size);

// libsystemc (linked through neurark_sim) refers to sc_main; this target never starts SystemC.
extern "C" int sc_main(int, char*[]) { return 0; }

namespace {

void collect_numbers(nlohmann::json& j, std::vector<nlohmann::json*>& out) {
  if (j.is_number()) out.push_back(&j);
  else if (j.is_object() || j.is_array())
    for (auto& v : j) collect_numbers(v, out);
}

// Header fields (docs/image-format.md): file_bytes at 16, checksum at 40.
void repair_header(uint8_t* data, std::size_t size) {
  if (size < 64) return;
  const uint64_t n = size;
  std::memcpy(data + 16, &n, 8);
  const uint64_t sum = XXH3_64bits(data + 64, size - 64);
  std::memcpy(data + 40, &sum, 8);
}

std::size_t mutate_manifest_number(uint8_t* data, std::size_t size, std::size_t max_size, std::mt19937_64& rng) {
  const std::string in = neurark::fuzz::as_file(data, size, ".in.nimg");
  try {
    const neurark::arch::Image img = neurark::arch::Image::open(in);
    nlohmann::json m = img.manifest();
    const nlohmann::json blobs = m["blobs"];
    m.erase("blobs");
    std::vector<nlohmann::json*> nums;
    collect_numbers(m, nums);
    if (nums.empty()) return 0;
    nlohmann::json& v = *nums[rng() % nums.size()];
    const int64_t old = v.is_number_integer() ? v.get<int64_t>() : 0;
    // Neighbours, negation and double wrap around (two's complement, computed unsigned: the
    // harness itself must not overflow; a value it already set can be 2^63 - 1).
    const auto wrap = [](uint64_t u) { return static_cast<int64_t>(u); };
    const auto u = static_cast<uint64_t>(old);
    const int64_t edges[] = {0, -1, 1, 2147483647, 2147483648LL, 9223372036854775807LL, wrap(u + 1), wrap(u - 1), wrap(0 - u),
                             wrap(u * 2)};
    v = edges[rng() % (sizeof edges / sizeof edges[0])];
    const std::string out = in + ".out";
    {
      neurark::arch::ImageWriter w(out);
      for (const auto& b : blobs) {
        const auto [p, n] = img.blob(b["name"].get<std::string>());
        w.add_blob(b["name"].get<std::string>(), p, n);
      }
      w.finish(m);
    }
    std::ifstream f(out, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::remove(out.c_str());
    if (bytes.size() > max_size) return 0;
    std::memcpy(data, bytes.data(), bytes.size());
    return bytes.size();
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(uint8_t* data, std::size_t size, std::size_t max_size, unsigned int seed) {
  std::mt19937_64 rng(seed);
  if (rng() % 2 == 0)
    if (const std::size_t n = mutate_manifest_number(data, size, max_size, rng); n > 0) return n;
  const std::size_t n = LLVMFuzzerMutate(data, size, max_size);
  repair_header(data, n);
  return n;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string path = neurark::fuzz::as_file(data, size, ".nimg");
  try {
    const neurark::arch::Image img = neurark::arch::Image::open(path);
    const neurark::arch::Program program = neurark::arch::Program::from_image(img);
    (void)neurark::compiler::inspect_summary(img);
    auto func = neurark::sim::make_functional_backend(img, program);
    std::vector<int32_t> logits;
    for (int32_t t = 0; t < 2 && t < func->vocab_size(); ++t) func->step_q16(t, logits, nullptr);
  } catch (const neurark::Error&) {
  }
  return 0;
}
