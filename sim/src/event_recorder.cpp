// SPDX-License-Identifier: Apache-2.0
// Recording one neurocore's event trace: see neurark/sim/event_recorder.hpp.
#include "neurark/sim/event_recorder.hpp"

#include <fmt/format.h>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/noc.hpp"

namespace neurark::sim {

CoreEventRecorder::CoreEventRecorder(const arch::Image& image, const arch::Program& program, int x, int y,
                                     const std::string& path, const std::string& image_label) {
  const arch::ChipDescription& chip = program.chip;
  const arch::MeshGrid grid = program.grid();
  if (!grid.contains(x, y))
    throw Error(fmt::format("--record-core {},{}: outside the {} x {} mesh of chip '{}'", x, y, grid.width, grid.height, chip.name));
  core_ = grid.core_at(x, y);
  traces::EventTraceHeader h;
  h.image = image_label.empty() ? image.path() : image_label;
  h.image_checksum = fmt::format("{:016x}", image.checksum());
  h.chip = chip.name;
  h.core = core_;
  h.x = x;
  h.y = y;
  h.lanes = chip.core.lanes;
  h.sram_port_bits = chip.core.sram_port_bits;
  h.sparse_index_bits = chip.core.sparse_index_bits;
  h.weight_encoding = chip.core.weight_encoding;
  h.flows = static_cast<int64_t>(program.flows.size());
  for (std::size_t t = 0; t < program.tiles.size(); ++t) {
    const arch::ProgramTile& tile = program.tiles[t];
    if (tile.core != core_) continue;
    traces::TraceTile tt;
    tt.tile = static_cast<int>(t);
    const arch::ProgramOp& op = program.ops[static_cast<std::size_t>(tile.op)];
    tt.op = op.name;
    tt.k = op.in;
    tt.r0 = tile.row_begin;
    tt.r1 = tile.row_end;
    const auto [data, bytes] = image.blob(tile.blob);
    tt.memory.assign(data, data + bytes);
    h.tiles.push_back(std::move(tt));
  }
  writer_ = std::make_unique<traces::EventTraceWriter>(path, h);
}

void CoreEventRecorder::event_out(const PhaseInfo& phase, int core, int flow, int64_t channel, int8_t q, int64_t) {
  if (core != core_) return;
  traces::EventRecord r;
  r.dir = traces::EventRecord::Dir::kOut;
  r.token = phase.token;
  r.op = phase.op_name;
  r.flow = flow;
  r.channel = channel;
  r.q = q;
  r.packet = arch::pack_event(std::max(flow, 0), channel, q);
  writer_->write(r);
}

void CoreEventRecorder::event_in(const PhaseInfo& phase, int core, int tile, int64_t channel, int8_t q,
                                 const arch::EventCost& cost, int64_t lane_cycles) {
  if (core != core_) return;
  traces::EventRecord r;
  r.dir = traces::EventRecord::Dir::kIn;
  r.token = phase.token;
  r.op = phase.op_name;
  r.tile = tile;
  r.channel = channel;
  r.q = q;
  r.synaptic_ops = cost.synaptic_ops;
  r.sram_words = cost.sram_words;
  r.lane_cycles = lane_cycles;
  writer_->write(r);
}

void CoreEventRecorder::accumulators(const PhaseInfo& phase, int core, int tile, const int32_t* acc, int64_t rows) {
  if (core != core_) return;
  traces::EventRecord r;
  r.dir = traces::EventRecord::Dir::kAcc;
  r.token = phase.token;
  r.op = phase.op_name;
  r.tile = tile;
  r.acc.assign(acc, acc + rows);
  writer_->write(r);
}

}  // namespace neurark::sim
