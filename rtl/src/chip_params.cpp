// SPDX-License-Identifier: Apache-2.0
// The RTL's parameters at a chip's: see neurark/rtl/chip_params.hpp.
#include "neurark/rtl/chip_params.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"

namespace neurark::rtl {

namespace {

bool pow2(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

int64_t next_pow2(int64_t v) {
  int64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

int64_t log2_exact(int64_t v) {
  int64_t b = 0;
  while ((int64_t{1} << b) < v) ++b;
  return b;
}

// The event packet's fixed fields below the flow (arch::pack_event: q [7:0], channel [23:8]).
constexpr int64_t kEventFixedBits = 24;
constexpr int64_t kColumnBits = 16;    // the channel field: nrk_pkg::EventChanWidth
constexpr int64_t kMinFlowBits = 8;    // the RTL's router and mesh decode at least 8 flow bits
constexpr int64_t kMaxLanes = 1024;
constexpr int64_t kMaxAccumulators = 65536;
constexpr int64_t kMaxSramBytes = int64_t{1} << 30;
constexpr int64_t kMaxMeshRouters = 1024;

// Supported-range texts: one place, used by the checks and by rtl_supported_ranges().
const char* const kLanes = "a power of two from 4 to 1024";
const char* const kPort = "a power of two, at least 2 x lanes and at least 8";
const char* const kAcc = "a multiple of lanes, at most 65536";
const char* const kSram = "a power of two, at least sram_port_bits / 8, at most 2^30";
const char* const kFifo = "at least 2";
const char* const kEnc = "packed2 (the lane array decodes 2-bit codes)";
const char* const kAct = "8 (int8 event payload)";
const char* const kFlowCtl = "credit";
const char* const kRouterLat = "at least 1";
const char* const kLink = "at least 24 + the flow field: 32 (8 flow bits, up to 256 flows), more with more flows";
const char* const kChips = "1 x 1 (the RTL mesh has no chip-to-chip link)";
const char* const kMeshSize = "at most 1024 routers (the mesh harness simulates every router)";

}  // namespace

RtlParams NeurocoreRtlParams::verilog() const {
  return {{"NumLanes", lanes},        {"NumAccumulators", accumulators}, {"SramPortBits", sram_port_bits},
          {"SramBytes", synapse_sram_bytes}, {"FifoDepth", input_fifo_depth}, {"NumTileSlots", tile_slots},
          {"ColWidth", column_bits}};
}

RtlParams NeurocoreRtlParams::lane_array_verilog() const {
  return {{"NumLanes", lanes}, {"NumRows", accumulators}, {"SramPortBits", sram_port_bits}, {"SramBytes", synapse_sram_bytes}};
}

std::string NeurocoreRtlParams::describe() const {
  const std::string sram = synapse_sram_bytes % 1024 == 0 ? fmt::format("{} KB", synapse_sram_bytes / 1024)
                                                          : fmt::format("{} bytes", synapse_sram_bytes);
  return fmt::format("{} lanes, {} accumulators, {} synapse SRAM, {}-bit port, {}-event input FIFO, {} tile slots", lanes,
                     accumulators, sram, sram_port_bits, input_fifo_depth, tile_slots);
}

RtlParams RouterRtlParams::verilog() const {
  return {{"FlitWidth", flit_bits}, {"FlowWidth", flow_bits}, {"NumFlows", table_entries}, {"BufferDepth", buffer_depth},
          {"Latency", latency}};
}

RtlParams MeshRtlParams::verilog() const {
  RtlParams p = {{"MeshWidth", width}, {"MeshHeight", height}};
  for (const RtlParam& r : router.verilog()) p.push_back(r);
  p.push_back({"LinkLatency", link_latency});
  return p;
}

std::string RtlLimit::text() const {
  return value.empty() ? fmt::format("{}: the RTL takes {}", parameter, supported)
                       : fmt::format("{} is {}; the RTL takes {}", parameter, value, supported);
}

std::vector<RtlLimit> ChipRtl::limits_of(const std::string& block) const {
  std::vector<RtlLimit> out;
  for (const RtlLimit& l : limits) {
    const bool core = block == "neurocore" || block == "lane_array";
    const bool noc = block == "router" || block == "mesh";
    if ((core && l.block == "neurocore") || (noc && l.block == "router") || (block == "mesh" && l.block == "mesh"))
      out.push_back(l);
  }
  return out;
}

void ChipRtl::require(const std::string& block, const std::string& context) const {
  const std::vector<RtlLimit> l = limits_of(block);
  if (l.empty()) return;
  std::string msg = fmt::format("{}: the RTL {} cannot take chip '{}': ", context, block, chip);
  for (std::size_t i = 0; i < l.size(); ++i) msg += (i ? "; " : "") + l[i].text();
  msg += " (docs/rtl.md, \"RTL at any chip's parameters\")";
  throw Error(msg);
}

ChipRtl chip_rtl(const arch::ChipDescription& chip, int64_t flows) {
  ChipRtl r;
  r.chip = chip.name;
  const arch::NeurocoreParams& c = chip.core;
  const auto limit = [&](const char* block, const char* param, const std::string& value, const char* supported) {
    r.limits.push_back({block, param, value, supported});
  };

  // ---- Neurocore (and lane array) ----
  NeurocoreRtlParams& n = r.neurocore;
  n.lanes = c.lanes;
  n.accumulators = c.accumulators;
  n.sram_port_bits = c.sram_port_bits;
  n.synapse_sram_bytes = c.synapse_sram_bytes;
  n.input_fifo_depth = c.input_fifo_depth;
  // One tile slot per 4 KB of synapse SRAM, a power of two, at least 16 (the default chip's 16).
  n.tile_slots = std::max<int64_t>(16, next_pow2((c.synapse_sram_bytes + 4095) / 4096));
  n.column_bits = kColumnBits;
  if (c.weight_encoding != arch::WeightEncoding::kPacked2)
    limit("neurocore", "neurocore.weight_encoding", arch::to_string(c.weight_encoding), kEnc);
  if (c.activation_bits != 8) limit("neurocore", "neurocore.activation_bits", std::to_string(c.activation_bits), kAct);
  const bool lanes_ok = pow2(c.lanes) && c.lanes >= 4 && c.lanes <= kMaxLanes;
  if (!lanes_ok) limit("neurocore", "neurocore.lanes", std::to_string(c.lanes), kLanes);
  if (!pow2(c.sram_port_bits) || c.sram_port_bits < 8 || c.sram_port_bits < 2 * c.lanes)
    limit("neurocore", "neurocore.sram_port_bits", fmt::format("{} (with {} lanes)", c.sram_port_bits, c.lanes), kPort);
  if (c.lanes < 1 || c.accumulators % c.lanes != 0 || c.accumulators > kMaxAccumulators || c.accumulators < c.lanes)
    limit("neurocore", "neurocore.accumulators", fmt::format("{} (with {} lanes)", c.accumulators, c.lanes), kAcc);
  if (!pow2(c.synapse_sram_bytes) || c.synapse_sram_bytes * 8 < c.sram_port_bits || c.synapse_sram_bytes > kMaxSramBytes)
    limit("neurocore", "neurocore.synapse_sram_bytes",
          fmt::format("{} (with a {}-bit port)", c.synapse_sram_bytes, c.sram_port_bits), kSram);
  if (c.input_fifo_depth < 2) limit("neurocore", "neurocore.input_fifo_depth", std::to_string(c.input_fifo_depth), kFifo);

  // ---- Router and mesh ----
  const arch::NocParams& noc = chip.noc;
  if (noc.flow_control != arch::FlowControl::kCredit)
    limit("router", "noc.flow_control", arch::to_string(noc.flow_control), kFlowCtl);
  if (noc.router_latency_cycles < 1)
    limit("router", "noc.router_latency_cycles", std::to_string(noc.router_latency_cycles), kRouterLat);
  const int64_t flit_flow_bits = noc.link_width_bits - kEventFixedBits;  // what a flit can carry
  const auto router_for = [&](int64_t min_entries, int64_t wanted_entries) {
    RouterRtlParams p;
    p.flit_bits = noc.link_width_bits;
    p.buffer_depth = noc.buffer_depth_flits;
    p.latency = noc.router_latency_cycles;
    p.table_entries = std::max<int64_t>(min_entries, next_pow2(wanted_entries));
    p.flow_bits = std::max<int64_t>(kMinFlowBits, log2_exact(p.table_entries));
    if (p.flow_bits > flit_flow_bits && flit_flow_bits >= kMinFlowBits) {  // as many as the flit holds
      p.flow_bits = flit_flow_bits;
      p.table_entries = std::min<int64_t>(p.table_entries, int64_t{1} << p.flow_bits);
    }
    return p;
  };
  const int64_t nodes = chip.mesh_width * chip.mesh_height;
  // The lone router: 64 entries as the default chip's; the mesh: 256, or the image's flows, or
  // 4 flows per node (the zero-load calibration's pairs: rtl/noc/mesh_harness.cpp).
  r.router = router_for(64, flows);
  r.mesh.width = chip.mesh_width;
  r.mesh.height = chip.mesh_height;
  r.mesh.link_latency = noc.link_latency_cycles;
  r.mesh.router = router_for(256, std::max(flows, std::min(nodes * nodes, 4 * nodes)));
  if (flit_flow_bits < kMinFlowBits)
    limit("router", "noc.link_width_bits", std::to_string(noc.link_width_bits), kLink);
  else if (flows > (int64_t{1} << flit_flow_bits))
    limit("router", "noc.link_width_bits", fmt::format("{} (the image has {} flows)", noc.link_width_bits, flows), kLink);
  if (chip.multichip.chips_x * chip.multichip.chips_y != 1)
    limit("mesh", "multichip", fmt::format("{} x {} chips", chip.multichip.chips_x, chip.multichip.chips_y), kChips);
  if (nodes > kMaxMeshRouters)
    limit("mesh", "mesh_width x mesh_height", fmt::format("{} x {} = {} routers", chip.mesh_width, chip.mesh_height, nodes),
          kMeshSize);
  return r;
}

std::vector<RtlLimit> rtl_supported_ranges() {
  return {{"neurocore", "neurocore.weight_encoding", "", kEnc},
          {"neurocore", "neurocore.activation_bits", "", kAct},
          {"neurocore", "neurocore.lanes", "", kLanes},
          {"neurocore", "neurocore.sram_port_bits", "", kPort},
          {"neurocore", "neurocore.accumulators", "", kAcc},
          {"neurocore", "neurocore.synapse_sram_bytes", "", kSram},
          {"neurocore", "neurocore.input_fifo_depth", "", kFifo},
          {"router", "noc.flow_control", "", kFlowCtl},
          {"router", "noc.router_latency_cycles", "", kRouterLat},
          {"router", "noc.link_width_bits", "", kLink},
          {"mesh", "multichip", "", kChips},
          {"mesh", "mesh_width x mesh_height", "", kMeshSize}};
}

}  // namespace neurark::rtl
