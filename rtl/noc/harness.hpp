// SPDX-License-Identifier: Apache-2.0
// rtl/noc/harness.hpp: the Verilator harnesses of the network-on-chip RTL (rtl/noc/README.md).
//
// Blocks: "router" (one nrk_router: random traffic on random routing tables, edge cases) and
// "mesh" (nrk_mesh: random multicast flows routed on XY trees, edge cases, zero-load latency of
// every (source, destination) pair, saturation throughput). The reference is arch/noc.hpp: flits
// are arch::pack_event packets, a router forwards a flit to every port of its flow's mask
// (arch::PortBit), and a flow reaches exactly its destinations. mesh_image() feeds the `flows`
// and `routing` of a compiled image (docs/image-format.md) into the mesh.
//
// Every run is a BlockResult (vectors = flits injected, mismatches = failed checks) plus the
// latency and throughput it measured.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/rtl/build.hpp"
#include "neurark/rtl/verify.hpp"

namespace neurark::rtl {

// Every harness of rtl/noc/, in a fixed order: "router", then "mesh".
std::vector<BlockHarness> noc_harnesses();

namespace noc {

// The parameters of an RTL variant: mesh size (1 x 1 for the lone router) and the nrk_router
// parameters. The compiled-in variants are set in rtl/noc/CMakeLists.txt (the one place); a chip's
// (router_variant(chip), mesh_variant(chip)) follow neurark/rtl/chip_params.hpp and are built on
// demand unless they equal a compiled-in one.
struct NocVariant {
  std::string name;          // "router", "mesh4x4", "mesh3x2", "mesh16x16"
  int width = 1, height = 1;
  int flit_w = 64;           // noc.link_width_bits
  int flow_w = 8;            // bits of the flow field the table decodes
  int n_flows = 32;          // routing-table entries per router
  int buffer_depth = 4;      // noc.buffer_depth_flits
  int router_latency = 2;    // noc.router_latency_cycles
  int link_latency = 1;      // noc.link_latency_cycles (mesh only)
  bool mesh = false;         // nrk_mesh (else the lone nrk_router)
  std::string block() const { return mesh ? "mesh" : "router"; }
  RtlParams verilog() const;  // the -G overrides
  std::string describe() const;
  // Latency without contention over `hops` links: (hops + 1) router latencies + hops links.
  int64_t zero_load(int64_t hops) const { return (hops + 1) * router_latency + hops * link_latency; }
  // Credit round trip of one link, and what one stream can move over it (flits per cycle).
  int64_t credit_round_trip() const { return router_latency + 2 * link_latency + 1; }
  double link_throughput() const;
};

NocVariant router_variant();              // compiled in: the default chip's router
std::vector<NocVariant> mesh_variants();  // compiled in: the default-4x4 chip's parameters first, tiny-3x2's
// At a chip's parameters (chip_rtl(chip, flows)); throws neurark::Error naming what the RTL cannot
// take.
NocVariant router_variant(const arch::ChipDescription& chip);
NocVariant mesh_variant(const arch::ChipDescription& chip, int64_t flows = 0);

struct Delivery {
  int src = 0, dst = 0;      // input / output port (router) or node (mesh)
  int64_t tag = 0;           // the channel field the bench stamped
  int64_t inject_cycle = 0, cycle = 0;
  int64_t latency() const { return cycle - inject_cycle; }
};

struct NocStats {
  int64_t deliveries = 0;    // (flit, output) pairs delivered
  int64_t latency_min = std::numeric_limits<int64_t>::max();
  double latency_avg = 0;
  int64_t latency_max = 0;
  double deliveries_per_cycle = 0;  // from the first injection to the last delivery
  int64_t cycles = 0;
  int64_t unrouted_drops = 0;
};

struct NocRun {
  BlockResult result;
  NocStats stats;
  std::vector<Delivery> deliveries;
};

// One router (at verify_chip(opts)'s parameters): random tables and traffic with random
// backpressure (seed, vectors from opts).
NocRun router_random(const VerifyOptions& opts);
// One router: the edge cases, one run each (all inputs to one output, multicast to all 5 ports,
// full buffers, back-to-back flits, blocked fork branch, unrouted flits, saturation).
std::vector<NocRun> router_edge_cases(const VerifyOptions& opts);

// A mesh variant: random multicast flows on XY trees, random injection and backpressure.
NocRun mesh_random(const NocVariant& v, const VerifyOptions& opts);
// A mesh variant: broadcast from every node, hotspot (every node to one), corner to corner.
std::vector<NocRun> mesh_edge_cases(const NocVariant& v, const VerifyOptions& opts);

// What the lead calibrates the SystemC NoC model with, measured on a mesh variant. Zero load:
// every (source, destination) pair when the routing tables hold them all (n^2 <= table entries),
// else every destination from the corners (as many sources as the tables hold); uniform traffic:
// every destination when the tables hold all pairs, else table / n random destinations per node.
struct NocCalibration {
  NocVariant variant;
  NocRun zero_load;                 // every (source, destination) pair alone in the mesh
  int64_t local_cycles = 0;         // zero-load latency from a node to itself (0 hops)
  double cycles_per_hop = 0;        // measured: (latency - local) / hops, the same for all pairs
  bool zero_load_exact = false;     // every pair took exactly variant.zero_load(hops)
  NocRun link_stream;               // one stream over one link, offered 1 flit/cycle
  double link_saturation = 0;       // its flits per cycle
  NocRun uniform;                   // every node, uniform random unicast, offered 1 flit/cycle
  double uniform_saturation = 0;    // accepted flits per cycle per node
};
NocCalibration calibrate(const NocVariant& v, const VerifyOptions& opts);

// The flows of a compiled image on the mesh at the image chip's parameters (mesh_variant(chip,
// flows); else, if the RTL cannot take that chip, a compiled-in variant that holds its mesh, flows
// and flits): its `routing` tables are loaded, then
// (1) one event per flow, alone in the mesh: each must reach exactly the flow's `dsts` (the host,
//     -2, is the local port of host.attach_x/attach_y) in exactly the zero-load latency;
// (2) `channels` events of every flow at once, random injection and backpressure.
// Returns the two runs; a result whose first_mismatch explains why when the image cannot run.
std::vector<NocRun> mesh_image(const std::string& image_path, const VerifyOptions& opts);

}  // namespace noc
}  // namespace neurark::rtl
