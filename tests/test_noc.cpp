// The event packet and routing-table port masks of arch/noc.hpp, checked by hand.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "neurark/arch/noc.hpp"

using namespace neurark;

TEST_CASE("event packets: q in [7:0], channel in [23:8], flow from bit 24; flits by link width", "[noc]") {
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
