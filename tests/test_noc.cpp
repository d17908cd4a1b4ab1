// SPDX-License-Identifier: Apache-2.0
// The event packet and routing-table port masks of arch/noc.hpp, checked by hand.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "neurark/arch/noc.hpp"

using namespace neurark;

TEST_CASE("event packets: q in [7:0], channel in [23:8], flow from bit 24, flits by link width", "[noc]") {
  CHECK(arch::pack_event(0, 0, 1) == 0x1);
  CHECK(arch::pack_event(0, 0, -1) == 0xff);
  CHECK(arch::pack_event(0, 0, -128) == 0x80);
  CHECK(arch::pack_event(3, 0x1234, 5) == 0x3123405ULL);
  CHECK(arch::pack_event(34, 65535, 127) == ((34ULL << 24) | (0xffffULL << 8) | 0x7f));
  const arch::EventPacket e = arch::unpack_event(arch::pack_event(1000, 6911, -77));
  CHECK(e.flow == 1000);
  CHECK(e.channel == 6911);
  CHECK(e.q == -77);
  CHECK_THROWS_AS(arch::pack_event(0, 65536, 1), std::invalid_argument);
  CHECK_THROWS_AS(arch::pack_event(-1, 0, 1), std::invalid_argument);
  // Flow field widths: 1 flow needs 1 bit, 35 flows 6 bits, 256 flows 8 bits, 257 flows 9.
  CHECK(arch::flow_id_bits(1) == 1);
  CHECK(arch::flow_id_bits(2) == 1);
  CHECK(arch::flow_id_bits(35) == 6);
  CHECK(arch::flow_id_bits(256) == 8);
  CHECK(arch::flow_id_bits(257) == 9);
  CHECK_THROWS_AS(arch::flow_id_bits(0), std::invalid_argument);
  CHECK(arch::event_packet_bits(35) == 30);
  CHECK(arch::packet_flits(30, 64) == 1);
  CHECK(arch::packet_flits(32, 32) == 1);
  CHECK(arch::packet_flits(33, 32) == 2);
  CHECK(arch::packet_flits(30, 8) == 4);
  // Value packets: a header flit, then 32 bits per value.
  CHECK(arch::value_packet_flits(0, 64) == 1);
  CHECK(arch::value_packet_flits(1, 64) == 2);
  CHECK(arch::value_packet_flits(2, 64) == 2);
  CHECK(arch::value_packet_flits(3, 64) == 3);
  CHECK(arch::value_packet_flits(64, 32) == 65);
}

TEST_CASE("port mask bits are the image's routing-table bits", "[noc]") {
  CHECK(arch::kPortEast == 1);
  CHECK(arch::kPortWest == 2);
  CHECK(arch::kPortSouth == 4);
  CHECK(arch::kPortNorth == 8);
  CHECK(arch::kPortLocal == 16);
  CHECK(arch::kPorts == 5);
}

TEST_CASE("mesh grid: cores row-major over all chips, link ids 4 x core + direction, host hops", "[noc]") {
  arch::ChipDescription chip;
  chip.mesh_width = 3;
  chip.mesh_height = 2;
  chip.multichip.chips_x = 2;  // a 6 x 2 grid
  chip.host.attach_x = 1;
  chip.host.attach_y = 0;
  const arch::MeshGrid g = arch::MeshGrid::of(chip);
  CHECK(g.width == 6);
  CHECK(g.height == 2);
  CHECK(g.cores() == 12);
  CHECK(g.links() == 48);
  CHECK(g.core_at(4, 1) == 10);
  CHECK(g.x(10) == 4);
  CHECK(g.y(10) == 1);
  CHECK(g.contains(5, 1));
  CHECK_FALSE(g.contains(6, 0));
  CHECK(g.host_core() == 1);
  CHECK(g.resolve(arch::kHostCore) == 1);
  CHECK(g.resolve(7) == 7);
  CHECK(g.hops(0, 11) == 5 + 1);
  CHECK(g.hops(arch::kHostCore, 11) == 4 + 1);
  // Directed links from core 7 (x 1, y 1): east 8, west 6, north 1; no south (edge), no diagonal.
  CHECK(g.link_id(7, 8) == 28);
  CHECK(g.link_id(7, 6) == 29);
  CHECK(g.link_id(7, 1) == 31);
  CHECK(g.link_id(1, 7) == 6);  // core 1 south
  CHECK(g.link_id(7, 2) == -1);
  CHECK(g.link_id(5, 6) == -1);  // x 5 and x 0 of the next row are not neighbours
  for (int id : {28, 29, 31, 6}) {
    const arch::MeshGrid::LinkEnds e = g.link_ends(id);
    CHECK(g.link_id(e.from, e.to) == id);
  }
  CHECK(g.link_ends(29).direction == arch::Direction::kWest);
  CHECK(std::string(arch::to_string(g.link_ends(6).direction)) == "south");
  CHECK(arch::port_toward(g, 7, 8) == arch::kPortEast);
  CHECK(arch::port_toward(g, 1, 7) == arch::kPortSouth);
  CHECK_THROWS_AS(arch::port_toward(g, 7, 2), std::invalid_argument);
}
