// SPDX-License-Identifier: Apache-2.0
// Forged chip images for tests: a well-formed container holding a program the loader refuses
// (tests/test_functional.cpp checks the refusals, tests/test_flit_network.cpp what a deadlocking
// one would do to the flit engine).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurark/arch/image.hpp"

namespace neurark::test {

// Rewrites image `src` into `dst` with its manifest changed by `edit_manifest` and, optionally,
// blob `blob_to_corrupt` changed by `corrupt`. Returns dst.
inline std::string rewrite(const std::string& src, const std::string& dst, const std::function<void(nlohmann::json&)>& edit_manifest,
                           const std::string& blob_to_corrupt = "",
                           const std::function<void(std::vector<uint8_t>&)>& corrupt = [](std::vector<uint8_t>& b) { b[0] ^= 1; }) {
  const arch::Image in = arch::Image::open(src);
  nlohmann::json m = in.manifest();
  const nlohmann::json blobs = m["blobs"];
  m.erase("blobs");
  edit_manifest(m);
  arch::ImageWriter w(dst);
  for (const auto& b : blobs) {
    const std::string name = b["name"].get<std::string>();
    auto [data, bytes] = in.blob(name);
    std::vector<uint8_t> copy(data, data + bytes);
    if (name == blob_to_corrupt && !copy.empty()) corrupt(copy);
    w.add_blob(name, copy.data(), copy.size());
  }
  w.finish(m);
  return dst;
}

// Adds to a 3 x 2 mesh image's manifest four flows around the square of cores 0, 1, 4, 3, each
// turning the same way over two links (0 -> 1 -> 4, 1 -> 4 -> 3, 4 -> 3 -> 0, 3 -> 0 -> 1), with
// routing tables that follow them: every route is consistent with its tables, but together their
// links wait on each other in a cycle (a deadlock XY routing never builds). Returns the index of
// the first of the four flows.
inline int add_deadlocking_ring(nlohmann::json& m) {
  const int first = static_cast<int>(m["flows"].size());
  const int ring[4][3] = {{0, 1, 4}, {1, 4, 3}, {4, 3, 0}, {3, 0, 1}};
  const auto port = [](int a, int c) { return c == a + 1 ? 1 : c == a - 1 ? 2 : c == a + 3 ? 4 : 8; };
  for (int i = 0; i < 4; ++i) {
    const auto& r = ring[i];
    m["flows"].push_back({{"kind", "values"}, {"op", 1}, {"src", r[0]}, {"dsts", {r[2]}}, {"channels", 1},
                          {"links", {{r[0], r[1]}, {r[1], r[2]}}}});
    m["routing"].push_back({{"core", r[0]}, {"entries", {{first + i, port(r[0], r[1])}}}});
    m["routing"].push_back({{"core", r[1]}, {"entries", {{first + i, port(r[1], r[2])}}}});
    m["routing"].push_back({{"core", r[2]}, {"entries", {{first + i, 16}}}});
  }
  return first;
}

}  // namespace neurark::test
