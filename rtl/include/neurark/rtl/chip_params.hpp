// SPDX-License-Identifier: Apache-2.0
// neurark/rtl/chip_params.hpp: the RTL's parameters at a chip's parameters, and which chip
// parameters the RTL cannot take.
//
// chip_rtl(chip) maps a chip description (arch/chip.hpp) onto the Verilog parameters of the
// blocks that follow a chip:
//   neurocore (nrk_neurocore) and lane_array (nrk_lane_array): lanes, accumulators, SRAM port
//     width, synapse SRAM bytes, input FIFO depth, tile-table slots, event column width;
//   router (nrk_router) and mesh (nrk_mesh): flit width, flow field width, routing-table
//     entries, buffer depth, router latency; the mesh's width, height and link latency.
// The other blocks (requantize, activation, mlgru, norm_helper, event_out) have no chip
// parameter. Every chip parameter the RTL cannot take is listed in ChipRtl::limits with the
// value found and what the RTL supports (rtl_supported_ranges() lists the rules):
//   neurocore.weight_encoding    packed2 (the lane array decodes 2-bit codes only)
//   neurocore.activation_bits    8 (int8 event payload)
//   neurocore.lanes              a power of two, 4 .. 1024
//   neurocore.sram_port_bits     a power of two, >= 2 x lanes (the stream buffer's and
//                                arch::event_accumulate_cycles' exact rule need it)
//   neurocore.accumulators       a multiple of lanes, <= 65536
//   neurocore.synapse_sram_bytes a power of two, >= sram_port_bits / 8, <= 2^30
//   neurocore.input_fifo_depth   >= 2
//   noc.flow_control             credit
//   noc.router_latency_cycles    >= 1
//   noc.link_width_bits          >= 32 (a flit holds the 24-bit event and an 8-bit flow field;
//                                more flow bits when the image has more than 256 flows)
//   multichip (mesh only)        one chip (the RTL mesh has no chip-to-chip link)
//   mesh_width x mesh_height     <= 1024 routers (mesh only: the harness simulates every router)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/rtl/build.hpp"

namespace neurark::rtl {

struct NeurocoreRtlParams {
  int64_t lanes = 0;
  int64_t accumulators = 0;
  int64_t sram_port_bits = 0;
  int64_t synapse_sram_bytes = 0;
  int64_t input_fifo_depth = 0;
  int64_t tile_slots = 0;   // tile-table slots: tiles one core can hold
  int64_t column_bits = 0;  // event column field: fan-in up to 2^column_bits
  RtlParams verilog() const;             // nrk_neurocore's -G overrides
  RtlParams lane_array_verilog() const;  // nrk_lane_array's
  std::string describe() const;          // "16 lanes, 1024 accumulators, 64 KB synapse SRAM, ..."
};

struct RouterRtlParams {
  int64_t flit_bits = 0;      // noc.link_width_bits
  int64_t flow_bits = 0;      // flow field the routing table decodes
  int64_t table_entries = 0;  // routing-table entries (<= 2^flow_bits)
  int64_t buffer_depth = 0;   // noc.buffer_depth_flits
  int64_t latency = 0;        // noc.router_latency_cycles
  RtlParams verilog() const;  // nrk_router's
};

struct MeshRtlParams {
  int64_t width = 0, height = 0;
  RouterRtlParams router;     // of every router (its own table size: see chip_rtl)
  int64_t link_latency = 0;   // noc.link_latency_cycles
  RtlParams verilog() const;  // nrk_mesh's
};

// One chip parameter the RTL cannot take.
struct RtlLimit {
  std::string block;      // "neurocore" (the neurocore and the lane array), "router" (router and mesh), "mesh"
  std::string parameter;  // the chip file's key, e.g. "neurocore.lanes"
  std::string value;      // the value found, e.g. "24"
  std::string supported;  // what the RTL takes, e.g. "a power of two from 4 to 1024"
  std::string text() const;  // "neurocore.lanes is 24; the RTL takes a power of two from 4 to 1024"
};

struct ChipRtl {
  std::string chip;  // its name
  NeurocoreRtlParams neurocore;
  RouterRtlParams router;  // the lone router the "router" harness drives
  MeshRtlParams mesh;
  std::vector<RtlLimit> limits;  // every chip parameter the RTL cannot take

  // The limits that concern `block` (a harness or model name: neurocore, lane_array, router,
  // mesh; other blocks have none).
  std::vector<RtlLimit> limits_of(const std::string& block) const;
  // Throws neurark::Error "<context>: the RTL cannot take chip '<name>': <limit>; <limit>" if
  // `block` has limits.
  void require(const std::string& block, const std::string& context) const;
};

// The RTL's parameters at `chip`'s. flows: the image's flow count (0: none given), which sizes the
// routing tables (at least 64 entries for the router, 256 for the mesh).
ChipRtl chip_rtl(const arch::ChipDescription& chip, int64_t flows = 0);

// The rules above, one per chip parameter: {block, parameter, "", supported}.
std::vector<RtlLimit> rtl_supported_ranges();

}  // namespace neurark::rtl
