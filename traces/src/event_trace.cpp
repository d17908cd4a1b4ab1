// SPDX-License-Identifier: Apache-2.0
// Event traces of one neurocore: see neurark/traces/event_trace.hpp and traces/README.md.
#include "neurark/traces/event_trace.hpp"

#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "neurark/arch/error.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/arch/weight_memory.hpp"

namespace neurark::traces {

namespace {

using nlohmann::json;

constexpr const char* kFormat = "neurark-event-trace";
constexpr int kVersion = 1;

std::string to_hex(const std::vector<uint8_t>& b) {
  static const char* const d = "0123456789abcdef";
  std::string s(b.size() * 2, '0');
  for (std::size_t i = 0; i < b.size(); ++i) {
    s[2 * i] = d[b[i] >> 4];
    s[2 * i + 1] = d[b[i] & 15];
  }
  return s;
}

const char* dir_name(EventRecord::Dir d) {
  return d == EventRecord::Dir::kIn ? "in" : d == EventRecord::Dir::kOut ? "out" : "acc";
}

}  // namespace

EventTraceWriter::EventTraceWriter(std::string path, const EventTraceHeader& h)
    : path_(std::move(path)), tmp_(path_ + ".tmp"), out_(tmp_, std::ios::binary | std::ios::trunc) {
  if (!out_) throw Error(fmt::format("{}: cannot write the event trace", tmp_));
  json tiles = json::array();
  for (const TraceTile& t : h.tiles)
    tiles.push_back({{"tile", t.tile}, {"op", t.op}, {"rows", {t.r0, t.r1}}, {"k", t.k}, {"memory", to_hex(t.memory)}});
  const json head = {{"format", kFormat},
                     {"version", kVersion},
                     {"image", h.image},
                     {"image_checksum", h.image_checksum},
                     {"chip", h.chip},
                     {"core", h.core},
                     {"x", h.x},
                     {"y", h.y},
                     {"lanes", h.lanes},
                     {"sram_port_bits", h.sram_port_bits},
                     {"sparse_index_bits", h.sparse_index_bits},
                     {"weight_encoding", arch::to_string(h.weight_encoding)},
                     {"flows", h.flows},
                     {"tiles", tiles}};
  out_ << head.dump() << '\n';
}

EventTraceWriter::~EventTraceWriter() {
  if (!done_) {
    out_.close();
    std::remove(tmp_.c_str());
  }
}

void EventTraceWriter::write(const EventRecord& r) {
  json j = {{"t", r.token}, {"op", r.op}, {"dir", dir_name(r.dir)}};
  switch (r.dir) {
    case EventRecord::Dir::kIn:
      j["tile"] = r.tile;
      j["k"] = r.channel;
      j["q"] = r.q;
      j["sops"] = r.synaptic_ops;
      j["sram_words"] = r.sram_words;
      j["lane_cycles"] = r.lane_cycles;
      break;
    case EventRecord::Dir::kOut:
      j["flow"] = r.flow;
      j["k"] = r.channel;
      j["q"] = r.q;
      j["packet"] = fmt::format("{:#x}", r.packet);
      break;
    case EventRecord::Dir::kAcc:
      j["tile"] = r.tile;
      j["acc"] = r.acc;
      break;
  }
  out_ << j.dump() << '\n';
  ++records_;
}

void EventTraceWriter::finish() {
  out_.close();
  if (!out_ || std::rename(tmp_.c_str(), path_.c_str()) != 0)
    throw Error(fmt::format("{}: cannot write the event trace", path_));
  done_ = true;
}

namespace {

// How deep arrays and objects nest in one JSON text (strings skipped), without parsing it: a
// hostile line nested a million levels deep must not reach the parser.
int json_nesting(const std::string& text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

constexpr int kMaxNesting = 8;  // the format nests 3 levels (header, tiles, rows)

}  // namespace

EventTrace read_event_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open the event trace", path));
  EventTrace tr;
  std::string line;
  int64_t ln = 0;
  std::map<int, std::size_t> tile_index;
  std::set<std::tuple<int64_t, std::string, int>> open_groups, closed_groups;
  int64_t acc_records = 0;
  const auto bad = [&](const std::string& field, const std::string& what) -> Error {
    return Error(fmt::format("{}:{}: event trace: {}: {}", path, ln, field, what));
  };
  const auto get_int = [&](const json& j, const char* key, int64_t lo, int64_t hi) {
    if (!j.contains(key)) throw bad(key, "missing");
    const json& v = j.at(key);
    if (!v.is_number_integer()) throw bad(key, fmt::format("{} is not an integer", v.dump()));
    const int64_t x = v.get<int64_t>();
    if (x < lo || x > hi) throw bad(key, fmt::format("{} outside [{}, {}]", x, lo, hi));
    return x;
  };
  const auto get_str = [&](const json& j, const char* key) {
    if (!j.contains(key) || !j.at(key).is_string()) throw bad(key, "missing or not a string");
    return j.at(key).get<std::string>();
  };
  while (std::getline(in, line)) {
    ++ln;
    json j;
    if (const int nest = json_nesting(line); nest > kMaxNesting)
      throw bad("line", fmt::format("JSON nested {} levels deep, expected at most {} (traces/README.md)", nest, kMaxNesting));
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      throw bad("line", fmt::format("not JSON: {}", e.what()));
    }
    if (!j.is_object()) throw bad("line", "not a JSON object");
    if (ln == 1) {
      if (get_str(j, "format") != kFormat) throw bad("format", fmt::format("'{}', expected '{}'", get_str(j, "format"), kFormat));
      if (get_int(j, "version", 0, 1 << 30) != kVersion)
        throw bad("version", fmt::format("{} not understood (this build reads version {})", j.at("version").dump(), kVersion));
      EventTraceHeader& h = tr.header;
      h.image = get_str(j, "image");
      h.image_checksum = get_str(j, "image_checksum");
      h.chip = get_str(j, "chip");
      h.core = static_cast<int>(get_int(j, "core", 0, 1 << 24));
      h.x = static_cast<int>(get_int(j, "x", 0, 1 << 24));
      h.y = static_cast<int>(get_int(j, "y", 0, 1 << 24));
      h.lanes = get_int(j, "lanes", 1, 1 << 20);
      h.sram_port_bits = get_int(j, "sram_port_bits", 8, 1 << 20);
      h.sparse_index_bits = get_int(j, "sparse_index_bits", 1, 32);
      h.flows = get_int(j, "flows", 0, int64_t{1} << 24);
      const std::string enc = get_str(j, "weight_encoding");
      if (enc == "packed2") h.weight_encoding = arch::WeightEncoding::kPacked2;
      else if (enc == "sparse") h.weight_encoding = arch::WeightEncoding::kSparse;
      else throw bad("weight_encoding", fmt::format("'{}', expected packed2 or sparse", enc));
      if (!j.contains("tiles") || !j.at("tiles").is_array()) throw bad("tiles", "missing or not an array");
      for (const json& t : j.at("tiles")) {
        TraceTile tt;
        tt.tile = static_cast<int>(get_int(t, "tile", 0, 1 << 30));
        tt.op = get_str(t, "op");
        tt.k = get_int(t, "k", 1, 1 << 16);
        if (!t.contains("rows") || !t.at("rows").is_array() || t.at("rows").size() != 2 || !t.at("rows")[0].is_number_integer() ||
            !t.at("rows")[1].is_number_integer())
          throw bad("tiles.rows", "expected [r0, r1]");
        tt.r0 = t.at("rows")[0].get<int64_t>();
        tt.r1 = t.at("rows")[1].get<int64_t>();
        if (tt.r0 < 0 || tt.r1 <= tt.r0) throw bad("tiles.rows", fmt::format("[{}, {}] is empty or negative", tt.r0, tt.r1));
        const std::string hex = get_str(t, "memory");
        if (hex.size() % 2 != 0) throw bad("tiles.memory", "odd number of hex digits");
        tt.memory.resize(hex.size() / 2);
        for (std::size_t i = 0; i < tt.memory.size(); ++i) {
          unsigned v = 0;
          for (int d = 0; d < 2; ++d) {
            const char c = hex[2 * i + static_cast<std::size_t>(d)];
            const int nib = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (nib < 0) throw bad("tiles.memory", fmt::format("'{}' is not a lower-case hex digit", c));
            v = v * 16 + static_cast<unsigned>(nib);
          }
          tt.memory[i] = static_cast<uint8_t>(v);
        }
        if (h.weight_encoding == arch::WeightEncoding::kPacked2 &&
            static_cast<int64_t>(tt.memory.size()) != arch::packed2_tile_bytes(tt.r1 - tt.r0, tt.k))
          throw bad("tiles.memory", fmt::format("tile {}: {} bytes, a packed2 {} x {} tile has {}", tt.tile, tt.memory.size(),
                                                tt.r1 - tt.r0, tt.k, arch::packed2_tile_bytes(tt.r1 - tt.r0, tt.k)));
        if (!tile_index.emplace(tt.tile, h.tiles.size()).second) throw bad("tiles.tile", fmt::format("tile {} listed twice", tt.tile));
        h.tiles.push_back(std::move(tt));
      }
      continue;
    }
    EventRecord r;
    r.token = get_int(j, "t", 0, INT64_MAX);
    r.op = get_str(j, "op");
    const std::string dir = get_str(j, "dir");
    const auto tile_of = [&]() -> const TraceTile& {
      r.tile = static_cast<int>(get_int(j, "tile", 0, 1 << 30));
      auto it = tile_index.find(r.tile);
      if (it == tile_index.end()) throw bad("tile", fmt::format("tile {} is not a tile of the traced core", r.tile));
      const TraceTile& t = tr.header.tiles[it->second];
      if (t.op != r.op) throw bad("op", fmt::format("'{}', but tile {} belongs to '{}'", r.op, r.tile, t.op));
      return t;
    };
    if (dir == "in") {
      r.dir = EventRecord::Dir::kIn;
      const TraceTile& t = tile_of();
      r.channel = get_int(j, "k", 0, t.k - 1);
      r.q = static_cast<int8_t>(get_int(j, "q", -128, 127));
      r.synaptic_ops = get_int(j, "sops", 0, t.r1 - t.r0);
      r.sram_words = get_int(j, "sram_words", 0, INT64_MAX);
      r.lane_cycles = get_int(j, "lane_cycles", 0, INT64_MAX);
    } else if (dir == "out") {
      r.dir = EventRecord::Dir::kOut;
      r.flow = static_cast<int>(get_int(j, "flow", -1, tr.header.flows - 1));
      r.channel = get_int(j, "k", 0, (1 << 16) - 1);
      r.q = static_cast<int8_t>(get_int(j, "q", -128, 127));
      const std::string p = get_str(j, "packet");
      try {
        std::size_t used = 0;
        r.packet = std::stoull(p, &used, 16);
        if (used != p.size()) throw std::invalid_argument(p);
      } catch (const std::exception&) {
        throw bad("packet", fmt::format("'{}' is not a hex number", p));
      }
      const uint64_t expect = arch::pack_event(std::max(r.flow, 0), r.channel, r.q);
      if (r.packet != expect) throw bad("packet", fmt::format("{:#x}, but flow {} channel {} q {} pack to {:#x}", r.packet, r.flow, r.channel, r.q, expect));
    } else if (dir == "acc") {
      r.dir = EventRecord::Dir::kAcc;
      const TraceTile& t = tile_of();
      if (!j.contains("acc") || !j.at("acc").is_array() || static_cast<int64_t>(j.at("acc").size()) != t.r1 - t.r0)
        throw bad("acc", fmt::format("expected an array of {} int32 accumulators", t.r1 - t.r0));
      for (const json& v : j.at("acc")) {
        if (!v.is_number_integer() || v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX)
          throw bad("acc", fmt::format("{} is not an int32", v.dump()));
        r.acc.push_back(static_cast<int32_t>(v.get<int64_t>()));
      }
    } else {
      throw bad("dir", fmt::format("'{}', expected in, out or acc", dir));
    }
    // Completeness: the events of a (token, op, tile) end with that tile's acc record, which
    // comes once.
    const auto key = std::make_tuple(r.token, r.op, r.tile);
    if (r.dir == EventRecord::Dir::kIn) {
      open_groups.insert(key);
    } else if (r.dir == EventRecord::Dir::kAcc) {
      if (!closed_groups.insert(key).second)
        throw bad("acc", fmt::format("a second acc record for token {}, {}, tile {}", r.token, r.op, r.tile));
      open_groups.erase(key);
      ++acc_records;
    }
    tr.records.push_back(std::move(r));
  }
  if (ln == 0) throw Error(fmt::format("{}: event trace: empty file (expected a header line)", path));
  if (!open_groups.empty()) {
    const auto& [t, op, tile] = *open_groups.begin();
    throw Error(fmt::format("{}: event trace: {} group(s) of input events end without their acc record, the first token {}, "
                            "{}, tile {} (a truncated trace?)", path, open_groups.size(), t, op, tile));
  }
  if (tr.records.empty() || acc_records == 0)
    throw Error(fmt::format("{}: event trace: no acc records, nothing to compare (expected the records after the header: "
                            "traces/README.md)", path));
  return tr;
}

}  // namespace neurark::traces
