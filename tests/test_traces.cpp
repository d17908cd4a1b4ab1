// SPDX-License-Identifier: Apache-2.0
// Event traces (traces/README.md): the committed sample replays through arch::accumulate_event
// to its own accumulator records, a written trace reads back, and malformed traces are refused
// naming the line and the field.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>

#include "checkpoint_fixtures.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/arch/weight_memory.hpp"
#include "neurark/traces/event_trace.hpp"
#include "test_paths.hpp"

using namespace neurark;
using Catch::Contains;

TEST_CASE("the sample event trace replays to its accumulators through arch::accumulate_event", "[traces]") {
  const traces::EventTrace tr = traces::read_event_trace(test::source_dir() + "/traces/samples/events-core-1-1.jsonl");
  const traces::EventTraceHeader& h = tr.header;
  CHECK(h.core == 5);
  CHECK(h.x == 1);
  CHECK(h.y == 1);
  CHECK(h.lanes == 16);
  REQUIRE(!h.tiles.empty());
  std::map<int, const traces::TraceTile*> tiles;
  for (const auto& t : h.tiles) tiles[t.tile] = &t;
  std::map<int, std::vector<int32_t>> acc;
  int64_t ins = 0, outs = 0, accs = 0;
  for (const traces::EventRecord& r : tr.records) {
    if (r.dir == traces::EventRecord::Dir::kOut) {
      CHECK(r.packet == arch::pack_event(r.flow, r.channel, r.q));
      CHECK(r.q != 0);
      ++outs;
      continue;
    }
    const traces::TraceTile& t = *tiles.at(r.tile);
    std::vector<int32_t>& a = acc[r.tile];
    a.resize(static_cast<std::size_t>(t.r1 - t.r0), 0);
    if (r.dir == traces::EventRecord::Dir::kIn) {
      const arch::EventCost c = arch::accumulate_event(h.weight_encoding, t.memory.data(), static_cast<int64_t>(t.memory.size()),
                                                       t.r1 - t.r0, t.k, h.sparse_index_bits, h.sram_port_bits, r.channel, r.q,
                                                       a.data());
      REQUIRE(c.synaptic_ops == r.synaptic_ops);
      REQUIRE(c.sram_words == r.sram_words);
      REQUIRE(r.lane_cycles == arch::event_accumulate_cycles(h.weight_encoding, t.r1 - t.r0, r.channel, c, h.lanes, h.sram_port_bits));
      ++ins;
    } else {
      REQUIRE(a == r.acc);
      std::fill(a.begin(), a.end(), 0);  // requantization clears the accumulators
      ++accs;
    }
  }
  // 2 tokens x (the tiles of core (1, 1)): every tile's accumulators recorded once per token.
  CHECK(accs == 2 * static_cast<int64_t>(h.tiles.size()));
  CHECK(ins == 509);
  CHECK(outs == 896);
}

TEST_CASE("an event trace written by EventTraceWriter reads back field for field", "[traces]") {
  neurark_test::TempDir tmp;
  traces::EventTraceHeader h;
  h.image = "x.nimg";
  h.image_checksum = "0123456789abcdef";
  h.chip = "t";
  h.core = 1;
  h.x = 1;
  h.y = 0;
  h.lanes = 4;
  h.sram_port_bits = 64;
  h.sparse_index_bits = 16;
  h.flows = 3;
  traces::TraceTile t;
  t.tile = 7;
  t.op = "bl";
  t.r0 = 0;
  t.r1 = 5;
  t.k = 3;
  t.memory = {0x01, 0x03, 0x00, 0xC0, 0x11, 0x00};  // packed2: 3 columns x ceil(5 / 4) = 2 bytes
  h.tiles.push_back(t);
  const std::string path = tmp.file("t.jsonl");
  {
    traces::EventTraceWriter w(path, h);
    traces::EventRecord in;
    in.dir = traces::EventRecord::Dir::kIn;
    in.op = "bl";
    in.tile = 7;
    in.channel = 2;
    in.q = -128;
    in.synaptic_ops = 2;
    in.sram_words = 1;
    in.lane_cycles = 1;
    w.write(in);
    traces::EventRecord out;
    out.dir = traces::EventRecord::Dir::kOut;
    out.token = 3;
    out.op = "bl";
    out.flow = 2;
    out.channel = 65535;
    out.q = -1;
    out.packet = arch::pack_event(2, 65535, -1);
    w.write(out);
    traces::EventRecord acc;
    acc.dir = traces::EventRecord::Dir::kAcc;
    acc.op = "bl";
    acc.tile = 7;
    acc.acc = {INT32_MIN, INT32_MAX, 0, -5, 128};
    w.write(acc);
    CHECK_FALSE(std::ifstream(path).good());  // nothing at the final path before finish()
    w.finish();
  }
  const traces::EventTrace r = traces::read_event_trace(path);
  CHECK(r.header.tiles.at(0).memory == t.memory);
  CHECK(r.header.flows == 3);
  REQUIRE(r.records.size() == 3);
  CHECK(r.records[0].q == -128);
  CHECK(r.records[0].channel == 2);
  CHECK(r.records[1].token == 3);
  CHECK(r.records[1].packet == 0x2ffffffULL);
  CHECK(r.records[2].acc == std::vector<int32_t>{INT32_MIN, INT32_MAX, 0, -5, 128});
}

TEST_CASE("a writer that never finishes leaves no trace file", "[traces]") {
  neurark_test::TempDir tmp;
  const std::string path = tmp.file("t.jsonl");
  { traces::EventTraceWriter w(path, traces::EventTraceHeader{}); }
  CHECK_FALSE(std::ifstream(path).good());
  CHECK_FALSE(std::ifstream(path + ".tmp").good());
}

TEST_CASE("malformed event traces are refused naming the line, the field and the value", "[traces]") {
  neurark_test::TempDir tmp;
  const std::string sample = test::slurp(test::source_dir() + "/traces/samples/events-core-1-1.jsonl");
  const std::string header = sample.substr(0, sample.find('\n') + 1);
  const auto expect = [&](const std::string& text, const std::string& what) {
    const std::string path = tmp.file("bad.jsonl");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    INFO(what);
    CHECK_THROWS_WITH(traces::read_event_trace(path), Contains(path) && Contains(what));
  };
  expect("", "empty file");
  expect("{\"format\":\"other\"}\n", "'other', expected 'neurark-event-trace'");
  std::string v2 = header;
  v2.replace(v2.find("\"version\":1"), 11, "\"version\":2");
  expect(v2, "version: 2 not understood");
  expect(header + "{\"t\":0,\"op\":\"x\",\"dir\":\"in\",\"tile\":99999,\"k\":0,\"q\":1,\"sops\":0,\"sram_words\":0,\"lane_cycles\":0}\n",
         ":2: event trace: tile: tile 99999 is not a tile of the traced core");
  expect(header + "{\"t\":0,\"op\":\"x\",\"dir\":\"sideways\"}\n", "dir: 'sideways', expected in, out or acc");
  expect(header + "{\"t\":0,\"op\":\"x\",\"dir\":\"out\",\"flow\":1,\"k\":2,\"q\":3,\"packet\":\"0x1\"}\n",
         "packet: 0x1, but flow 1 channel 2 q 3 pack to 0x1000203");
  expect(header + "{\"t\":0,\"op\":\"x\",\"dir\":\"out\",\"flow\":1,\"k\":2,\"q\":300,\"packet\":\"0x1\"}\n",
         "q: 300 outside [-128, 127]");
  expect(header + "not json\n", ":2: event trace: line: not JSON");
  expect(header, "no acc records, nothing to compare");
  // A trace cut before a tile's acc record, or with an acc record twice.
  const std::string first_acc = sample.substr(0, sample.find("\"dir\":\"acc\""));
  expect(first_acc.substr(0, first_acc.rfind('\n') + 1), "end without their acc record");
  const std::size_t a0 = sample.find("\"dir\":\"acc\"");
  const std::size_t l0 = sample.rfind('\n', a0) + 1, l1 = sample.find('\n', a0) + 1;
  expect(sample.substr(0, l1) + sample.substr(l0, l1 - l0), "a second acc record for token 0");
  std::string odd = header;
  odd.replace(odd.find("\"memory\":\"") + 10, 1, "");
  expect(odd, "tiles.memory: odd number of hex digits");
  // A line nested a million levels deep never reaches the parser (it overflowed the stack).
  expect(header + std::string(1000000, '[') + std::string(1000000, ']') + "\n",
         ":2: event trace: line: JSON nested 1000000 levels deep, expected at most 8");
  expect(header + "{\"t\":\"[[[\\\"\",\"op\":\"x\",\"dir\":\"in\"}\n", "t: \"[[[\\\"\" is not an integer");
  // Wrong-typed fields are named, not answered with the JSON library's message.
  expect("{\"format\":7}\n", ":1: event trace: format: missing or not a string");
  expect(header + "{\"t\":0,\"op\":[1],\"dir\":\"in\"}\n", ":2: event trace: op: missing or not a string");
}
