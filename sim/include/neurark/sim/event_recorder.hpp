// SPDX-License-Identifier: Apache-2.0
// neurark/sim/event_recorder.hpp: records the event trace of one neurocore (traces/README.md)
// while a backend built on the functional interpreter runs (func or systemc).
#pragma once

#include <memory>
#include <string>

#include "neurark/arch/image.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/sim/functional.hpp"
#include "neurark/traces/event_trace.hpp"

namespace neurark::sim {

// An EventProbe that writes every event entering or leaving neurocore (x, y) of `image`'s chip,
// and its tiles' accumulators after each token's events, to `path` (renamed into place by
// finish()). `image_label` is written as the header's "image" (default: the image's path);
// `program` is the image's (arch::Program::from_image).
// Throws neurark::Error if (x, y) is outside the mesh, or the file cannot be written.
class CoreEventRecorder final : public EventProbe {
 public:
  CoreEventRecorder(const arch::Image& image, const arch::Program& program, int x, int y, const std::string& path,
                    const std::string& image_label = "");
  void event_out(const PhaseInfo& phase, int core, int flow, int64_t channel, int8_t q, int64_t code_index) override;
  void event_in(const PhaseInfo& phase, int core, int tile, int64_t channel, int8_t q, const arch::EventCost& cost,
                int64_t lane_cycles) override;
  void accumulators(const PhaseInfo& phase, int core, int tile, const int32_t* acc, int64_t rows) override;
  void finish() { writer_->finish(); }
  int core() const { return core_; }
  int64_t records() const { return writer_->records(); }

 private:
  int core_ = -1;
  std::unique_ptr<traces::EventTraceWriter> writer_;
};

}  // namespace neurark::sim
