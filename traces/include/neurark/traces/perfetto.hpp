// SPDX-License-Identifier: Apache-2.0
// neurark/traces/perfetto.hpp: Chrome / Perfetto traces (the JSON trace event format: "X"
// complete events on named tracks and "C" counter events, https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU),
// opened in ui.perfetto.dev or chrome://tracing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace neurark::traces {

// A span on one track, in cycles of a clock: integer args, then text args.
struct TraceSpan {
  int track = 0;
  std::string name, category;
  int64_t start_cycle = 0, end_cycle = 0;
  std::vector<std::pair<std::string, int64_t>> args;
  std::vector<std::pair<std::string, std::string>> text_args;
};

// A counter track's value from `cycle` on (a "C" event: one track per name, one line per series).
struct TraceCounter {
  std::string name;
  int64_t cycle = 0;
  std::vector<std::pair<std::string, double>> series;
};

// Writes `spans` (in order) on the tracks named by `track_names` (track id -> name, written first
// as thread_name metadata), then `counters` (in order), times in microseconds at `clock_hz`, to
// `path` through a temporary file renamed into place. Returns the number of trace events written
// (metadata included). Throws neurark::Error naming the path if it cannot be written.
int64_t write_perfetto_trace(const std::string& path, const std::map<int, std::string>& track_names,
                             const std::vector<TraceSpan>& spans, double clock_hz,
                             const std::vector<TraceCounter>& counters = {});

}  // namespace neurark::traces
