// SPDX-License-Identifier: Apache-2.0
// Chrome / Perfetto traces: see neurark/traces/perfetto.hpp.
#include "neurark/traces/perfetto.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "neurark/arch/error.hpp"

namespace neurark::traces {

int64_t write_perfetto_trace(const std::string& path, const std::map<int, std::string>& track_names,
                             const std::vector<TraceSpan>& spans, double clock_hz,
                             const std::vector<TraceCounter>& counters) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& [track, name] : track_names)
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", track}, {"args", {{"name", name}}}});
  for (const TraceSpan& sp : spans) {
    nlohmann::json args = nlohmann::json::object();
    for (const auto& [k, v] : sp.args) args[k] = v;
    for (const auto& [k, v] : sp.text_args) args[k] = v;
    events.push_back({{"name", sp.name}, {"cat", sp.category}, {"ph", "X"}, {"pid", 1}, {"tid", sp.track},
                      {"ts", static_cast<double>(sp.start_cycle) / clock_hz * 1e6},
                      {"dur", static_cast<double>(sp.end_cycle - sp.start_cycle) / clock_hz * 1e6},
                      {"args", args}});
  }
  for (const TraceCounter& c : counters) {
    nlohmann::json args = nlohmann::json::object();
    for (const auto& [k, v] : c.series) args[k] = v;
    events.push_back({{"name", c.name}, {"ph", "C"}, {"pid", 1}, {"ts", static_cast<double>(c.cycle) / clock_hz * 1e6},
                      {"args", args}});
  }
  const std::string tmp = fmt::format("{}.tmp-{}", path, ::getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    f << nlohmann::json{{"traceEvents", events}, {"displayTimeUnit", "ns"}}.dump() << "\n";
    if (!f) {
      std::remove(tmp.c_str());
      throw Error(fmt::format("{}: cannot write the trace", path));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(fmt::format("{}: cannot move the trace into place", path));
  }
  return static_cast<int64_t>(events.size());
}

}  // namespace neurark::traces
