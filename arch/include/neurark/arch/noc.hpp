// SPDX-License-Identifier: Apache-2.0
// neurark/arch/noc.hpp: what travels on the mesh network-on-chip, and how a router forwards it.
//
// The one definition of the event packet and the routing-table port masks shared by the
// compiler (which writes routing tables into the image, docs/image-format.md), the functional
// and SystemC backends (which count and time flits) and the RTL router (rtl/noc/, compared with
// these functions in its harness). docs/chip-model.md, "Network-on-chip", describes the flow
// control the SystemC model and the RTL router assume: table-driven multicast (the tables follow
// dimension-ordered XY trees), credit-based backpressure with `noc.buffer_depth_flits` per input
// port, one flit per cycle per output link, `noc.router_latency_cycles` per router.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "neurark/arch/chip.hpp"

namespace neurark::arch {

// The host, where a core index is expected (flow sources and destinations, docs/image-format.md).
constexpr int kHostCore = -2;

// Directions of a router's mesh ports, the order of directed link ids (MeshGrid::link_id).
enum class Direction : uint8_t { kEast, kWest, kSouth, kNorth };  // +x, -x, +y, -y
constexpr int kDirections = 4;
const char* to_string(Direction d);  // "east", "west", "south", "north"

// The mesh every neurocore sits on, over all chips of a system: a grid of width
// mesh_width x chips_x and height mesh_height x chips_y (the one definition of that geometry).
// Cores are numbered row-major over the whole grid, core = y * width + x. Directed links are
// numbered 4 per core by their source and direction: id = 4 * from + Direction (so a router's
// output port i is link 4 * core + i). The host attaches at (host.attach_x, host.attach_y).
struct MeshGrid {
  int64_t width = 1, height = 1;
  int64_t host_x = 0, host_y = 0;
  int64_t chip_width = 0, chip_height = 0;  // one chip's mesh (0: the whole grid is one chip)

  static MeshGrid of(const ChipDescription& chip);
  int64_t cores() const { return width * height; }
  int64_t links() const { return kDirections * cores(); }
  int64_t x(int64_t core) const { return core % width; }
  int64_t y(int64_t core) const { return core / width; }
  int core_at(int64_t cx, int64_t cy) const { return static_cast<int>(cy * width + cx); }
  bool contains(int64_t cx, int64_t cy) const { return cx >= 0 && cy >= 0 && cx < width && cy < height; }
  // The core the host attaches to; `resolve` maps kHostCore to it and leaves cores alone.
  int host_core() const { return core_at(host_x, host_y); }
  int resolve(int core) const { return core == kHostCore ? host_core() : core; }
  // Manhattan distance (XY routing) between two cores; either may be kHostCore.
  int64_t hops(int a, int b) const;
  // The directed link from core a to its mesh neighbour b, or -1 if they are not neighbours.
  int link_id(int a, int b) const;
  // A link's source core, destination core and direction (inverse of link_id for valid ids).
  struct LinkEnds {
    int from = -1, to = -1;
    Direction direction = Direction::kEast;
  };
  LinkEnds link_ends(int id) const;
  // Chips: numbered row-major over the system (chip = cy * chips_x + cx). Every pair of facing
  // border routers of neighbouring chips is joined by a chip-to-chip link (multichip.*), so the
  // system is one mesh whose links across a chip border are chip links.
  int64_t chips_x() const { return chip_width > 0 ? width / chip_width : 1; }
  int64_t chips_y() const { return chip_height > 0 ? height / chip_height : 1; }
  int64_t chips() const { return chips_x() * chips_y(); }
  int chip_of(int core) const;
  // Whether directed link `id` joins two chips (its ends lie on different chips).
  bool chip_link(int id) const;
};

// How one directed link moves flits: the cycles from a flit's last bit entering it to its first
// bit leaving (latency), the cycles one noc.link_width_bits flit occupies it (serialization) and
// the flits the input port at its far end buffers (its sender's credits).
// On a chip: {noc.link_latency_cycles, 1, noc.buffer_depth_flits}. A chip link:
// {multichip.link_latency_cycles, ceil(noc.link_width_bits / multichip.link_width_bits),
// multichip.buffer_depth_flits}: a flit is sent over the narrower link in that many beats
// (docs/chip-model.md, "Chip-to-chip links"). With multichip.ports_per_edge, a chip link also
// names the port its flits go through: (chip x 4 + direction) x ports_per_edge + floor(i x
// ports_per_edge / E) for the i-th of the E border routers of that chip edge (i counted along
// the edge: y within the chip for east and west, x for south and north); the chip links sharing
// a port send one flit at a time between them.
struct LinkTiming {
  int64_t latency_cycles = 0;
  int64_t cycles_per_flit = 1;
  int64_t buffer_depth_flits = 4;
  int port = -1;  // the chip-to-chip port (index < chip_link_ports); -1: an on-chip link, or no ports_per_edge
};
LinkTiming link_timing(const ChipDescription& chip, const MeshGrid& grid, int link_id);
// Port indices link_timing can give: chips x 4 x multichip.ports_per_edge (0 without ports).
int64_t chip_link_ports(const ChipDescription& chip, const MeshGrid& grid);
// A chip link's timing (what link_timing gives for one; also when the chip has a single chip).
LinkTiming chip_link_timing(const ChipDescription& chip);
// The cycles a chip link adds to a flit's head over an on-chip link: its latency minus
// noc.link_latency_cycles, plus its beats minus one (route latencies, placement cost).
int64_t chip_link_extra_cycles(const ChipDescription& chip);

// Dimension-ordered XY routing (X first, then Y; deadlock-free on a mesh), the compiler's route
// pass's: the directed links {from core, to core} of the tree from `src` to every core of `dsts`
// (either may be kHostCore), the union of the XY paths, sorted and unique (a destination equal to
// the source adds no link).
std::vector<std::pair<int, int>> xy_tree(const MeshGrid& grid, int src, const std::vector<int>& dsts);

// The links of a tree from `src` (`links` as xy_tree gives them) in the order a flit walks them:
// parents before children, breadth first from the source, each as {link id, from core, to core}
// (the walks timing::events_phase takes). Links not reachable from `src` are left out.
std::vector<std::array<int, 3>> walk_order(const MeshGrid& grid, int src, const std::vector<std::pair<int, int>>& links);

// Routing-table port mask bits (image `routing[].entries[][1]`): a router forwards a flit of a
// flow to every port whose bit is set.
enum PortBit : uint8_t {
  kPortEast = 1,    // +x
  kPortWest = 2,    // -x
  kPortSouth = 4,   // +y
  kPortNorth = 8,   // -y
  kPortLocal = 16,  // this neurocore (or the host, at its attach point)
};
constexpr int kPorts = 5;  // east, west, south, north, local: index = bit position

// Bits of the flow field: enough for `flows` flow indices (at least 1). Throws
// std::invalid_argument if flows < 1 or flows > 2^24.
int flow_id_bits(int64_t flows);

// The channels an event packet can name: a BitLinear's fan-in is at most this (its 16-bit
// channel field).
constexpr int64_t kEventChannels = int64_t{1} << 16;

// An event packet (one input event of a BitLinear, multicast along its flow's tree), LSB first:
//   [7:0]   q, the int8 activation code (two's complement)
//   [23:8]  channel, the BitLinear input index k (< 2^16)
//   [23 + flow_id_bits : 24]  flow, the index of the flow in the image's `flows`
int64_t event_packet_bits(int64_t flows);
// Packs / unpacks an event packet. pack_event throws std::invalid_argument if channel is
// outside [0, 2^16) or flow outside [0, 2^40).
uint64_t pack_event(int64_t flow, int64_t channel, int8_t q);
struct EventPacket {
  int64_t flow = 0;
  int64_t channel = 0;
  int8_t q = 0;
};
EventPacket unpack_event(uint64_t packet);

// Flits a packet of `bits` takes on links `link_width_bits` wide (>= 1 each).
int64_t packet_flits(int64_t bits, int64_t link_width_bits);

// A value packet (second operands, embeddings, logits): one header flit (flow, first channel,
// count) then `values` int32 values packed into flits: 1 + ceil(32 values / link_width_bits).
int64_t value_packet_flits(int64_t values, int64_t link_width_bits);

// The routing-table port bit of the link from a to its neighbour b (kPortEast ... kPortNorth);
// throws std::invalid_argument if they are not neighbours.
PortBit port_toward(const MeshGrid& grid, int a, int b);

}  // namespace neurark::arch
