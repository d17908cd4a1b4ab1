// SPDX-License-Identifier: Apache-2.0
// neurark/traces/event_trace.hpp: the event trace of one neurocore (traces/README.md).
//
// traces/ owns the run-time trace formats. An event trace records, for one chosen neurocore of a
// chip image, every event entering it (delivered to one of its tiles, with what the accumulate
// cost), every event leaving it (quantized there, with its packet, arch/noc.hpp) and each tile's
// accumulators after a token's events, plus the tiles' weight memories: enough to replay the
// core's synaptic work into the RTL lane array (rtl/) and compare with arch::accumulate_event.
// Format: JSON Lines, a header object then one record per line; version 1.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "neurark/arch/chip.hpp"

namespace neurark::traces {

// A tile held by the traced core: rows [r0, r1) of BitLinear `op` (fan-in k), its weight memory.
struct TraceTile {
  int tile = -1;
  std::string op;
  int64_t r0 = 0, r1 = 0, k = 0;
  std::vector<uint8_t> memory;  // arch/weight_memory.hpp layout
};

struct EventTraceHeader {
  std::string image;            // the chip image's path when recorded
  std::string image_checksum;   // its XXH3-64, 16 hex digits
  std::string chip;
  int core = -1, x = -1, y = -1;
  int64_t lanes = 0, sram_port_bits = 0, sparse_index_bits = 0;
  arch::WeightEncoding weight_encoding = arch::WeightEncoding::kPacked2;
  int64_t flows = 0;            // flows in the image (sets the packet's flow field width)
  std::vector<TraceTile> tiles;
};

// One line after the header.
struct EventRecord {
  enum class Dir { kIn, kOut, kAcc };
  Dir dir = Dir::kIn;
  int64_t token = 0;            // token index in the run
  std::string op;               // the BitLinear
  int tile = -1;                // in, acc
  int64_t channel = 0;          // in, out: input channel k of the BitLinear
  int8_t q = 0;                 // in, out
  int64_t synaptic_ops = 0, sram_words = 0, lane_cycles = 0;  // in
  int flow = -1;                // out
  uint64_t packet = 0;          // out: arch::pack_event(flow, channel, q)
  std::vector<int32_t> acc;     // acc: the tile's accumulators [r1 - r0]
};

// Writes a trace to `path` through `path + ".tmp"`, renamed by finish() (a run that stops
// early leaves no trace file). Throws neurark::Error if the file cannot be written.
class EventTraceWriter {
 public:
  EventTraceWriter(std::string path, const EventTraceHeader& header);
  ~EventTraceWriter();  // removes the temporary file unless finish() ran
  void write(const EventRecord& r);
  void finish();
  int64_t records() const { return records_; }

 private:
  std::string path_, tmp_;
  std::ofstream out_;
  int64_t records_ = 0;
  bool done_ = false;
};

struct EventTrace {
  EventTraceHeader header;
  std::vector<EventRecord> records;
};

// Reads and validates a trace: format and version, every field's type and range (tiles'
// memory sizes match the encoding, records name a tile of the header, acc has r1 - r0 values,
// packets equal arch::pack_event of their fields) and completeness (every token / op / tile
// group of `in` records ends with its one `acc` record; at least one `acc` record). Throws
// neurark::Error naming the file, the line, the field, the value and what was expected.
EventTrace read_event_trace(const std::string& path);

}  // namespace neurark::traces
