// SPDX-License-Identifier: Apache-2.0
// Event packets and routing-table port masks: see neurark/arch/noc.hpp.
#include "neurark/arch/noc.hpp"

#include <cstdlib>
#include <set>
#include <stdexcept>

#include "neurark/arch/numerics.hpp"

namespace neurark::arch {

int flow_id_bits(int64_t flows) {
  if (flows < 1 || flows > (int64_t{1} << 24)) throw std::invalid_argument("flow_id_bits: flows must be in [1, 2^24]");
  return flows == 1 ? 1 : bit_length(static_cast<uint64_t>(flows - 1));
}

int64_t event_packet_bits(int64_t flows) { return 24 + flow_id_bits(flows); }

uint64_t pack_event(int64_t flow, int64_t channel, int8_t q) {
  if (channel < 0 || channel >= kEventChannels) throw std::invalid_argument("pack_event: channel outside [0, 2^16)");
  if (flow < 0 || flow >= (int64_t{1} << 40)) throw std::invalid_argument("pack_event: flow outside [0, 2^40)");
  return (static_cast<uint64_t>(flow) << 24) | (static_cast<uint64_t>(channel) << 8) | static_cast<uint8_t>(q);
}

EventPacket unpack_event(uint64_t packet) {
  EventPacket e;
  e.q = static_cast<int8_t>(static_cast<uint8_t>(packet & 0xFF));
  e.channel = static_cast<int64_t>((packet >> 8) & 0xFFFF);
  e.flow = static_cast<int64_t>(packet >> 24);
  return e;
}

int64_t packet_flits(int64_t bits, int64_t link_width_bits) {
  if (bits < 1 || link_width_bits < 1) throw std::invalid_argument("packet_flits: bits and link width must be >= 1");
  return (bits + link_width_bits - 1) / link_width_bits;
}

int64_t value_packet_flits(int64_t values, int64_t link_width_bits) {
  if (values < 0 || link_width_bits < 1) throw std::invalid_argument("value_packet_flits: bad arguments");
  return 1 + (values * 32 + link_width_bits - 1) / link_width_bits;
}

std::vector<std::pair<int, int>> xy_tree(const MeshGrid& grid, int src, const std::vector<int>& dsts) {
  const int s = grid.resolve(src);
  std::set<std::pair<int, int>> links;
  for (int d0 : dsts) {
    const int d = grid.resolve(d0);
    int64_t x = grid.x(s), y = grid.y(s);
    const int64_t tx = grid.x(d), ty = grid.y(d);
    while (x != tx) {
      const int a = grid.core_at(x, y);
      x += tx > x ? 1 : -1;
      links.insert({a, grid.core_at(x, y)});
    }
    while (y != ty) {
      const int a = grid.core_at(x, y);
      y += ty > y ? 1 : -1;
      links.insert({a, grid.core_at(x, y)});
    }
  }
  return {links.begin(), links.end()};
}

std::vector<std::array<int, 3>> walk_order(const MeshGrid& grid, int src, const std::vector<std::pair<int, int>>& links) {
  std::vector<std::array<int, 3>> order;
  std::vector<std::pair<int, int>> pending = links;
  std::vector<int> frontier{grid.resolve(src)};
  while (!pending.empty() && !frontier.empty()) {
    std::vector<int> next;
    for (int u : frontier)
      for (auto it = pending.begin(); it != pending.end();) {
        if (it->first != u) {
          ++it;
          continue;
        }
        order.push_back({grid.link_id(it->first, it->second), it->first, it->second});
        next.push_back(it->second);
        it = pending.erase(it);
      }
    frontier = std::move(next);
  }
  return order;
}

const char* to_string(Direction d) {
  switch (d) {
    case Direction::kEast: return "east";
    case Direction::kWest: return "west";
    case Direction::kSouth: return "south";
    case Direction::kNorth: return "north";
  }
  return "?";
}

MeshGrid MeshGrid::of(const ChipDescription& chip) {
  MeshGrid g;
  g.width = chip.mesh_width * chip.multichip.chips_x;
  g.height = chip.mesh_height * chip.multichip.chips_y;
  g.host_x = chip.host.attach_x;
  g.host_y = chip.host.attach_y;
  g.chip_width = chip.mesh_width;
  g.chip_height = chip.mesh_height;
  return g;
}

int MeshGrid::chip_of(int core) const {
  const int64_t c = resolve(core);
  if (chip_width <= 0 || chip_height <= 0) return 0;
  return static_cast<int>((y(c) / chip_height) * chips_x() + x(c) / chip_width);
}

bool MeshGrid::chip_link(int id) const {
  const LinkEnds e = link_ends(id);
  return chip_of(e.from) != chip_of(e.to);
}

LinkTiming chip_link_timing(const ChipDescription& chip) {
  const int64_t w = chip.multichip.link_width_bits;
  return {chip.multichip.link_latency_cycles, (chip.noc.link_width_bits + w - 1) / w, chip.multichip.buffer_depth_flits};
}

LinkTiming link_timing(const ChipDescription& chip, const MeshGrid& grid, int link_id) {
  if (!grid.chip_link(link_id)) return {chip.noc.link_latency_cycles, 1, chip.noc.buffer_depth_flits};
  LinkTiming t = chip_link_timing(chip);
  const int64_t ports = chip.multichip.ports_per_edge;
  if (ports > 0) {
    const MeshGrid::LinkEnds e = grid.link_ends(link_id);
    const bool across_x = e.direction == Direction::kEast || e.direction == Direction::kWest;
    const int64_t along = across_x ? grid.y(e.from) % grid.chip_height : grid.x(e.from) % grid.chip_width;
    const int64_t edge = across_x ? grid.chip_height : grid.chip_width;
    const int64_t edge_id = grid.chip_of(e.from) * int64_t{kDirections} + static_cast<int64_t>(e.direction);
    t.port = static_cast<int>(edge_id * ports + along * ports / edge);
  }
  return t;
}

int64_t chip_link_ports(const ChipDescription& chip, const MeshGrid& grid) {
  return grid.chips() > 1 ? grid.chips() * kDirections * chip.multichip.ports_per_edge : 0;
}

int64_t chip_link_extra_cycles(const ChipDescription& chip) {
  const LinkTiming lt = chip_link_timing(chip);
  return lt.latency_cycles - chip.noc.link_latency_cycles + lt.cycles_per_flit - 1;
}

int64_t MeshGrid::hops(int a, int b) const {
  const int64_t ra = resolve(a), rb = resolve(b);
  return std::llabs(x(ra) - x(rb)) + std::llabs(y(ra) - y(rb));
}

int MeshGrid::link_id(int a, int b) const {
  const int64_t ax = x(a), ay = y(a), bx = x(b), by = y(b);
  Direction d;
  if (by == ay && bx == ax + 1) d = Direction::kEast;
  else if (by == ay && bx == ax - 1) d = Direction::kWest;
  else if (bx == ax && by == ay + 1) d = Direction::kSouth;
  else if (bx == ax && by == ay - 1) d = Direction::kNorth;
  else return -1;
  return kDirections * a + static_cast<int>(d);
}

MeshGrid::LinkEnds MeshGrid::link_ends(int id) const {
  LinkEnds e;
  e.from = id / kDirections;
  e.direction = static_cast<Direction>(id % kDirections);
  const int64_t dx = e.direction == Direction::kEast ? 1 : e.direction == Direction::kWest ? -1 : 0;
  const int64_t dy = e.direction == Direction::kSouth ? 1 : e.direction == Direction::kNorth ? -1 : 0;
  e.to = static_cast<int>(e.from + dy * width + dx);
  return e;
}

PortBit port_toward(const MeshGrid& grid, int a, int b) {
  const int id = grid.link_id(a, b);
  if (id < 0) throw std::invalid_argument("port_toward: the cores are not mesh neighbours");
  static constexpr PortBit kBits[kDirections] = {kPortEast, kPortWest, kPortSouth, kPortNorth};
  return kBits[id % kDirections];
}

}  // namespace neurark::arch
