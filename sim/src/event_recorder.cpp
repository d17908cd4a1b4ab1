// Recording one neurocore's event trace: see neurark/sim/event_recorder.hpp.
#include "neurark/sim/event_recorder.hpp"

#include <fmt/format.h>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/noc.hpp"

namespace neurark::sim {

CoreEventRecorder::CoreEventRecorder(const arch::Image& image, int x, int y, const std::string& path,
                                     const std::string& image_label) {
  const nlohmann::json& m = image.manifest();
  const arch::ChipDescription chip =
      arch::ChipDescription::from_yaml_text(m.at("chip").at("text").get<std::string>(), image.path() + " (chip.text)");
  const int gw = static_cast<int>(chip.mesh_width * chip.multichip.chips_x);
  const int gh = static_cast<int>(chip.mesh_height * chip.multichip.chips_y);
  if (x < 0 || y < 0 || x >= gw || y >= gh)
    throw Error(fmt::format("--record-core {},{}: outside the {} x {} mesh of chip '{}'", x, y, gw, gh, chip.name));
  core_ = y * gw + x;
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
  h.flows = static_cast<int64_t>(m.at("flows").size());
  const nlohmann::json& ops = m.at("ops");
  const nlohmann::json& tiles = m.at("tiles");
  for (std::size_t t = 0; t < tiles.size(); ++t) {
    const nlohmann::json& j = tiles[t];
    if (j.at("core").get<int>() != core_) continue;
    traces::TraceTile tt;
    tt.tile = static_cast<int>(t);
    const nlohmann::json& op = ops.at(j.at("op").get<std::size_t>());
    tt.op = op.at("name").get<std::string>();
    tt.k = op.at("in").get<int64_t>();
    tt.r0 = j.at("rows").at(0).get<int64_t>();
    tt.r1 = j.at("rows").at(1).get<int64_t>();
    const auto [data, bytes] = image.blob(j.at("blob").get<std::string>());
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
