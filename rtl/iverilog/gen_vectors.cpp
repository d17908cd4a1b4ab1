// SPDX-License-Identifier: Apache-2.0
// rtl/iverilog/gen_vectors.cpp: vector files for the Icarus Verilog (4-state) testbenches.
//
//   nrk_iverilog_vectors <block> <out_dir> [--seed S] [--vectors N]
//
// Writes <out_dir>/<block>.vec (stimulus and expected outputs, one record per line), plus
// <out_dir>/nrk_params.svh (the harness parameters of the Verilated models, which the testbenches
// use too); for activation / mlgru <out_dir>/sigmoid_lut.hex (arch::sigmoid_lut()); for
// norm_helper <out_dir>/norm_helper.vec.nb (its second channel).
//
// The vectors are the Verilator harnesses' own: their random generators (same salts, so the same
// seed and count give the same random vectors) and their edge-case lists, from the harness
// headers of rtl/datapath (only their vector functions are used; nothing of Verilator is linked).
// Every expected value comes from an arch/ function, composed as the harnesses compose them:
// there is no arithmetic of our own here.
//
// Record format: decimal tag first, then fields in hex (two's complement at the port's width).
// README.md lists the fields of each block.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness_activation.hpp"
#include "harness_event_out.hpp"
#include "harness_lane_array.hpp"
#include "harness_norm_helper.hpp"
#include "harness_requantize.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/arch/numerics.hpp"
#include "neurark/arch/weight_memory.hpp"

namespace dp = neurark::rtl::datapath;
namespace arch = neurark::arch;

namespace {

// Low `bits` bits of v as hex (bits <= 128).
std::string hx(arch::u128 v, int bits) {
  if (bits < 128) v &= (arch::u128{1} << bits) - 1;
  const int digits = (bits + 3) / 4;
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i) {
    s[static_cast<std::size_t>(i)] = "0123456789abcdef"[static_cast<int>(v & 15)];
    v >>= 4;
  }
  return s;
}
std::string h32(int64_t v) { return hx(static_cast<arch::u128>(static_cast<uint64_t>(v)), 32); }
std::string h64(int64_t v) { return hx(static_cast<arch::u128>(static_cast<uint64_t>(v)), 64); }

struct Out {
  std::ofstream f;
  int64_t random = 0, edge = 0;  // vectors written, per source
  explicit Out(const std::filesystem::path& p) : f(p) {
    if (!f) throw std::runtime_error("cannot write " + p.string());
  }
  void count(bool edge_src) { ++(edge_src ? edge : random); }
};

// ---- requantize: "src acc mant exp y" ------------------------------------------------------
void gen_requantize(Out& o, uint64_t seed, int64_t n) {
  dp::Rng rng(seed, 0x12e9);  // the harness's salt (run_requantize)
  const auto emit = [&](const std::vector<dp::RequantizeVector>& vec, int src) {
    for (const auto& x : vec) {
      const int32_t y = arch::requantize(x.acc, x.s);
      o.f << src << ' ' << h32(x.acc) << ' ' << h32(x.s.mant) << ' ' << h32(x.s.exp) << ' ' << h32(y) << '\n';
      o.count(src == 1);
    }
  };
  emit(dp::requantize_random_vectors(rng, n), 0);
  emit(dp::requantize_edge_vectors(), 1);
}

// ---- activation: "src z sigma silu" --------------------------------------------------------
void gen_activation(Out& o, uint64_t seed, int64_t n) {
  dp::Rng rng(seed, 0xac71);
  const auto emit = [&](const std::vector<int32_t>& vec, int src) {
    for (int32_t z : vec) {
      o.f << src << ' ' << h32(z) << ' ' << h32(arch::sigmoid_q24(z)) << ' ' << h32(arch::silu_q16(z)) << '\n';
      o.count(src == 1);
    }
  };
  emit(dp::activation_random_vectors(rng, n), 0);
  emit(dp::activation_edge_vectors(), 1);
}

// ---- mlgru: "src i fz lb bounded h | h' y f c" -------------------------------------------
void gen_mlgru(Out& o, uint64_t seed, int64_t n) {
  dp::Rng rng(seed, 0x91e1);
  const auto emit = [&](const std::vector<dp::MlgruVector>& vec, int src) {
    for (const auto& x : vec) {
      int32_t h = x.h;
      const int32_t y = arch::mlgru_channel_q16(x.i, x.fz, x.lb, x.bounded, &h);
      // The parts, composed as mlgru_channel_q16 composes them (as the Verilator harness does).
      const int32_t sigma = arch::sigmoid_q24(x.fz);
      const int32_t f = x.bounded ? arch::forget_gate_q24(sigma, x.lb) : sigma;
      const int32_t c = arch::mlgru_candidate_q20(arch::silu_q16(x.i), arch::one_minus_gate_q24(f));
      if (arch::mlgru_state_update_q20(f, x.h, c) != h)
        throw std::logic_error("arch::mlgru_channel_q16 disagrees with its parts");
      o.f << src << ' ' << h32(x.i) << ' ' << h32(x.fz) << ' ' << h32(x.lb) << ' ' << (x.bounded ? 1 : 0) << ' '
          << h32(x.h) << ' ' << h32(h) << ' ' << h32(y) << ' ' << h32(f) << ' ' << h32(c) << '\n';
      o.count(src == 1);
    }
  };
  emit(dp::mlgru_random_vectors(rng, n), 0);
  emit(dp::mlgru_edge_vectors(), 1);
}

// ---- norm_helper: "tag src a b c d" ----------------------------------------------------------
// <block>.vec, the reduction channel:
//   tag 0: an element          a = v (32), b = x (64), c = last, d = 0
//   tag 1: the block's result  a = absmax (64), b = sum of squares (79), c = block_shift, d = elements
// <block>.vec.nb, the normalize channel (every element of every block, with arch's shift of it):
//   tag 2: an element          a = p (64), b = shift, c = expected round_shift(p, shift) (32), d = 0
void gen_norm_helper(Out& o, Out& nb, uint64_t seed, int64_t n) {
  dp::Rng rng(seed, 0x7071);
  const auto emit = [&](const std::vector<dp::NormBlock>& blocks, int src) {
    for (const auto& b : blocks) {
      const auto k = static_cast<int64_t>(b.x.size());
      if (k < 1 || k > (int64_t{1} << 16) || b.v.size() != b.x.size())
        throw std::logic_error("norm_helper block of " + std::to_string(k) + " elements");
      const uint64_t m = arch::absmax(b.x.data(), k);
      const arch::u128 ss = arch::sum_squares(b.v.data(), k);
      std::vector<int32_t> norm(b.x.size());
      const int shift = arch::normalize_block(b.x.data(), k, norm.data());
      if (shift != arch::block_shift(m)) throw std::logic_error("arch::normalize_block and block_shift disagree");
      for (int64_t i = 0; i < k; ++i) {
        const auto ui = static_cast<std::size_t>(i);
        o.f << "0 " << src << ' ' << h32(b.v[ui]) << ' ' << h64(b.x[ui]) << ' ' << (i + 1 == k ? 1 : 0) << " 0\n";
        nb.f << "2 " << src << ' ' << h64(b.x[ui]) << ' ' << hx(static_cast<unsigned>(shift), 8) << ' '
             << h32(norm[ui]) << " 0\n";
        o.count(src == 1);
      }
      o.f << "1 " << src << ' ' << hx(m, 64) << ' ' << hx(ss, dp::kNormSsBits) << ' ' << hx(static_cast<unsigned>(shift), 8)
          << ' ' << hx(static_cast<uint64_t>(k), 32) << '\n';
      o.count(src == 1);
    }
  };
  emit(dp::norm_random_blocks(rng, n), 0);
  emit(dp::norm_edge_blocks(), 1);
}

// ---- event_out: "src m flow u chan has_pkt pkt" ------------------------------------------
void gen_event_out(Out& o, uint64_t seed, int64_t n) {
  dp::Rng rng(seed, 0xe0e1);
  const int pkt_bits = 24 + dp::kEventFlowBits;
  const auto emit = [&](const std::vector<dp::EventToken>& tokens, int src) {
    for (const auto& t : tokens)
      for (std::size_t k = 0; k < t.u.size(); ++k) {
        const int8_t q = arch::quantize_absmax(t.u[k], t.m);
        const uint64_t pkt = q == 0 ? 0 : arch::pack_event(t.flow, t.chan[k], q);
        o.f << src << ' ' << hx(t.m, 64) << ' ' << hx(static_cast<uint64_t>(t.flow), dp::kEventFlowBits) << ' '
            << h64(t.u[k]) << ' ' << hx(static_cast<uint64_t>(t.chan[k]), 16) << ' ' << (q != 0 ? 1 : 0) << ' '
            << hx(pkt, pkt_bits) << '\n';
        o.count(src == 1);
      }
  };
  emit(dp::event_random_tokens(rng, n), 0);
  emit(dp::event_edge_tokens(), 1);
}

// ---- lane_array: "tag a b c d" ---------------------------------------------------------------
//   1 waddr wdata 0 0       write one SRAM word (the load port)
//   2 rows base src tile    configure a tile (src 0 random, 1 edge; tile = its index there)
//   3 0 0 0 0               clear the accumulators (and the reserved-code flag)
//   4 col q sops threw      an event of the next burst; sops = arch's synaptic operations,
//                           threw = arch refused the column (code 10: sops not compared)
//   5 events 0 0 0          run the burst of the events above
//   6 row acc 0 0           after the burst: accumulator `row` must read `acc` (the tile's rows;
//                           every row after the tile's last burst and before an error's clear)
//   7 err 0 0 0             after the burst: the reserved-code flag
// The same sequence as LaneArrayDriver (harness_lane_array.hpp): load, configure, clear, bursts,
// the accumulators (see tag 6) and the flag after each burst, a clear after an error.
class LaneGen {
 public:
  explicit LaneGen(Out& o) : o_(o), image_(dp::kLaneSramBytes, 0), acc_(dp::kLaneRows, 0) {}

  void tile(const dp::LaneTile& t, int src, std::size_t index) {
    load(t);
    o_.f << "2 " << hx(static_cast<uint64_t>(t.rows), 32) << ' ' << hx(static_cast<uint64_t>(t.base), 32) << ' ' << src
         << ' ' << hx(index, 32) << '\n';
    if (t.clear_before) clear();
    for (std::size_t b = 0; b < t.bursts.size(); ++b) run_burst(t, t.bursts[b], src, b + 1 == t.bursts.size());
  }

 private:
  void load(const dp::LaneTile& t) {
    if (t.base < 0 || t.base + static_cast<int64_t>(t.bytes.size()) > dp::kLaneSramBytes)
      throw std::invalid_argument("lane_array: tile '" + t.name + "' does not fit the SRAM");
    std::copy(t.bytes.begin(), t.bytes.end(), image_.begin() + t.base);
    constexpr int64_t kPb = dp::kLanePortBits / 8;
    const int64_t w0 = t.base / kPb, w1 = (t.base + static_cast<int64_t>(t.bytes.size()) - 1) / kPb;
    for (int64_t w = w0; w <= w1; ++w) {
      uint64_t word = 0;
      for (int64_t b = kPb - 1; b >= 0; --b) word = (word << 8) | image_[static_cast<std::size_t>(w * kPb + b)];
      o_.f << "1 " << hx(static_cast<uint64_t>(w), 32) << ' ' << hx(word, dp::kLanePortBits) << " 0 0\n";
    }
  }
  void clear() {
    o_.f << "3 0 0 0 0\n";
    std::fill(acc_.begin(), acc_.end(), 0);
    err_ = false;
  }
  // After a burst: the tile's rows; after the tile's last burst and before the clear that follows
  // an error, every accumulator (a write past the tile persists until a clear, and every clear
  // comes after such a sweep: the harness's check after every burst, at a fraction of the reads).
  void run_burst(const dp::LaneTile& t, const std::vector<dp::LaneEvent>& burst, int src, bool last) {
    for (const auto& e : burst) {
      bool threw = false;
      int64_t sops = 0;
      try {
        sops = arch::accumulate_event(arch::WeightEncoding::kPacked2, t.bytes.data(),
                                      static_cast<int64_t>(t.bytes.size()), t.rows, t.k, dp::kLaneIndexBits,
                                      dp::kLanePortBits, e.col, e.q, acc_.data())
                   .synaptic_ops;
      } catch (const std::invalid_argument&) {
        threw = true;
        err_ = true;
      }
      o_.f << "4 " << hx(static_cast<uint64_t>(e.col), 32) << ' ' << hx(static_cast<uint8_t>(e.q), 8) << ' '
           << hx(static_cast<uint64_t>(sops), 32) << ' ' << (threw ? 1 : 0) << '\n';
      o_.count(src == 1);
    }
    o_.f << "5 " << hx(burst.size(), 32) << " 0 0 0\n";
    const int64_t rows = last || err_ ? dp::kLaneRows : t.rows;
    for (int64_t r = 0; r < rows; ++r)
      o_.f << "6 " << hx(static_cast<uint64_t>(r), 32) << ' ' << h32(acc_[static_cast<std::size_t>(r)]) << " 0 0\n";
    o_.f << "7 " << (err_ ? 1 : 0) << " 0 0 0\n";
    if (err_) clear();
  }

  Out& o_;
  std::vector<uint8_t> image_;
  std::vector<int32_t> acc_;
  bool err_ = false;
};

void gen_lane_array(Out& o, uint64_t seed, int64_t n) {
  LaneGen g(o);
  dp::Rng rng(seed, 0x1a9);
  const auto random = dp::lane_random_tiles(rng, n);
  for (std::size_t i = 0; i < random.size(); ++i) g.tile(random[i], 0, i);
  dp::Rng erng(seed, 0x1a9e);
  const auto edge = dp::lane_edge_tiles(erng);
  for (std::size_t i = 0; i < edge.size(); ++i) g.tile(edge[i], 1, i);
}

// ---- router: "tag a b c d" -------------------------------------------------------------------
//   1 flow mask 0 0         write a routing-table entry (cfg port; flow >= NumFlows is ignored)
//   3 inject stall 0 0      traffic of the next phase: each source offers its next flit with
//                           probability inject %, each sink holds a credit per cycle with stall %
//   2 port flit mask src    a flit of the next phase entering input `port`; mask = the ports it
//                           must leave on (0: unrouted, dropped with err_unrouted_o)
//   4 0 0 0 0               run the phase: inject, deliver, drain (the router is idle after it)
// A flit is arch::pack_event(flow, channel, q) with channel = its index in the phase (the tag the
// testbench identifies it by); its mask is the table's entry for arch::unpack_event(flit).flow
// (noc.hpp: the flow is everything above bit 23), 0 for a flow without an entry.
#ifdef NRK_VARIANT_router
struct RouterVariant {
  int w, h, flit_w, flow_w, n_flows, depth, latency, link;
};
constexpr RouterVariant kRouter{NRK_VARIANT_router};

class RouterGen {
 public:
  explicit RouterGen(Out& o) : o_(o), mask_(static_cast<std::size_t>(kRouter.n_flows), 0),
                               valid_(static_cast<std::size_t>(kRouter.n_flows), false) {}
  void write(int64_t flow, int mask) {
    o_.f << "1 " << hx(static_cast<uint64_t>(flow), 32) << ' ' << hx(static_cast<unsigned>(mask), 8) << " 0 0\n";
    if (flow < kRouter.n_flows) {
      mask_[static_cast<std::size_t>(flow)] = mask;
      valid_[static_cast<std::size_t>(flow)] = true;
    }
  }
  void traffic(int inject, int stall) { o_.f << "3 " << hx(static_cast<unsigned>(inject), 8) << ' ' << hx(static_cast<unsigned>(stall), 8) << " 0 0\n"; }
  void flit(int port, int64_t flow, int8_t q, int src) {
    if (n_ >= 65536) throw std::logic_error("router phase of more than 2^16 flits");
    const uint64_t f = arch::pack_event(flow, n_++, q);
    const arch::EventPacket p = arch::unpack_event(f);
    const bool routed = p.flow >= 0 && p.flow < kRouter.n_flows && valid_[static_cast<std::size_t>(p.flow)];
    const int mask = routed ? mask_[static_cast<std::size_t>(p.flow)] : 0;
    o_.f << "2 " << port << ' ' << hx(f, kRouter.flit_w) << ' ' << hx(static_cast<unsigned>(mask), 8) << ' ' << src << '\n';
    o_.count(src == 1);
  }
  void run() {
    o_.f << "4 0 0 0 0\n";
    n_ = 0;
  }

 private:
  Out& o_;
  std::vector<int> mask_;
  std::vector<bool> valid_;
  int64_t n_ = 0;
};

void gen_router(Out& o, uint64_t seed, int64_t n) {
  static_assert(arch::kPorts == 5 && arch::kPortEast == 1 && arch::kPortWest == 2 && arch::kPortSouth == 4 &&
                    arch::kPortNorth == 8 && arch::kPortLocal == 16,
                "nrk_router port p is the port of arch::PortBit 1 << p");
  if (kRouter.flit_w != 64) throw std::logic_error("the router vectors assume 64-bit flits");
  RouterGen g(o);
  dp::Rng rng(seed, 0x40e7);
  const int64_t nf = kRouter.n_flows, fw = int64_t{1} << kRouter.flow_w;
  auto q = [&] { return static_cast<int8_t>(rng.bits() & 0xFF); };
  // Random: masks mostly unicast, some 2-way forks, some anything; a few entries never written
  // (and a few ignored writes past the table); flows mostly routed, some without entry, some
  // >= NumFlows, some with a bit above the flow field.
  std::vector<int64_t> unwritten;
  for (int64_t f = 0; f < nf; ++f) {
    const int64_t kind = rng.range(0, 19);
    if (kind == 0) {
      unwritten.push_back(f);
      continue;
    }
    g.write(f, kind < 10 ? 1 << rng.range(0, 4)
               : kind < 16 ? (1 << rng.range(0, 4)) | (1 << rng.range(0, 4))
                           : static_cast<int>(rng.range(1, 31)));
  }
  if (nf < fw)
    for (int i = 0; i < 4; ++i) g.write(rng.range(nf, fw - 1), static_cast<int>(rng.range(1, 31)));
  g.traffic(45, 30);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t kind = rng.range(0, 49);
    int64_t flow = rng.range(0, nf - 1);
    if (kind == 0 && !unwritten.empty()) flow = unwritten[static_cast<std::size_t>(rng.range(0, static_cast<int64_t>(unwritten.size()) - 1))];
    else if (kind == 1 && nf < fw) flow = rng.range(nf, fw - 1);
    else if (kind == 2) flow = rng.range(fw, (int64_t{1} << 40) - 1);
    g.flit(static_cast<int>(rng.range(0, 4)), flow, q(), 0);
  }
  g.run();
  // Edge cases (after router_harness.cpp's): flows 0..7 = east, all five ports, east + west,
  // west, south, north, local, and an entry with the empty mask.
  const int masks[] = {arch::kPortEast, 31, arch::kPortEast | arch::kPortWest, arch::kPortWest, arch::kPortSouth,
                       arch::kPortNorth, arch::kPortLocal, 0};
  for (int f = 0; f < 8; ++f) g.write(f, masks[f]);
  // All five inputs to one output, back to back, sinks always ready.
  g.traffic(100, 0);
  for (int i = 0; i < 40; ++i)
    for (int s = 0; s < 5; ++s) g.flit(s, 0, q(), 1);
  g.run();
  // Multicast to all five ports from every input, random backpressure.
  g.traffic(100, 30);
  for (int i = 0; i < 30; ++i)
    for (int s = 0; s < 5; ++s) g.flit(s, 1, q(), 1);
  g.run();
  // Buffers full: sinks return credits rarely while every input pushes east / east + west.
  g.traffic(100, 95);
  for (int i = 0; i < 20; ++i)
    for (int s = 0; s < 5; ++s) g.flit(s, i % 2 == 0 ? 0 : 2, q(), 1);
  g.run();
  // A fork whose branches drain at different rates (local -> east + west).
  g.traffic(100, 60);
  for (int i = 0; i < 30; ++i) g.flit(4, 2, q(), 1);
  g.run();
  // Unrouted flits between routed ones: no entry, flow >= NumFlows, a bit above the flow field.
  g.traffic(80, 20);
  const int64_t bad[] = {7, nf, fw, fw | 4};
  for (int i = 0; i < 40; ++i) g.flit(i % 5, i % 3 == 0 ? bad[(i / 3) % 4] : 3 + i % 4, q(), 1);
  g.run();
  // Back to back, no contention: input p -> output p + 1 mod 5, 5 streams.
  for (int p = 0; p < 5; ++p) g.write(16 + p, 1 << ((p + 1) % 5));
  g.traffic(100, 0);
  for (int i = 0; i < 100; ++i)
    for (int s = 0; s < 5; ++s) g.flit(s, 16 + s, q(), 1);
  g.run();
  // Saturation: every input always has a flit for a uniformly random single output (U-turns too).
  for (int p = 0; p < 5; ++p) g.write(24 + p, 1 << p);
  g.traffic(100, 0);
  for (int i = 0; i < 500; ++i) g.flit(i % 5, 24 + rng.range(0, 4), q(), 1);
  g.run();
}
#endif

void write_params(const std::filesystem::path& dir) {
  std::ofstream f(dir / "nrk_params.svh");
  f << "// Written by nrk_iverilog_vectors: the harness parameters of rtl/datapath/CMakeLists.txt.\n"
    << "`define NRK_LANE_LANES " << dp::kLaneLanes << "\n"
    << "`define NRK_LANE_ROWS " << dp::kLaneRows << "\n"
    << "`define NRK_LANE_PORT_BITS " << dp::kLanePortBits << "\n"
    << "`define NRK_LANE_SRAM_BYTES " << dp::kLaneSramBytes << "\n"
    << "`define NRK_EVENT_FLOW_BITS " << dp::kEventFlowBits << "\n"
    << "`define NRK_NORM_SS_BITS " << dp::kNormSsBits << "\n";
#ifdef NRK_VARIANT_router
  f << "// The 'router' variant of rtl/noc/CMakeLists.txt.\n"
    << "`define NRK_ROUTER_FLIT_WIDTH " << kRouter.flit_w << "\n"
    << "`define NRK_ROUTER_FLOW_WIDTH " << kRouter.flow_w << "\n"
    << "`define NRK_ROUTER_NUM_FLOWS " << kRouter.n_flows << "\n"
    << "`define NRK_ROUTER_BUFFER_DEPTH " << kRouter.depth << "\n"
    << "`define NRK_ROUTER_LATENCY " << kRouter.latency << "\n";
#endif
  if (!f) throw std::runtime_error("cannot write " + (dir / "nrk_params.svh").string());
}

void write_lut(const std::filesystem::path& dir) {
  std::ofstream f(dir / "sigmoid_lut.hex");
  for (uint32_t v : arch::sigmoid_lut()) f << hx(v, 32) << '\n';
  if (!f) throw std::runtime_error("cannot write " + (dir / "sigmoid_lut.hex").string());
}

int usage() {
  std::cerr << "usage: nrk_iverilog_vectors <requantize|activation|mlgru|norm_helper|event_out|lane_array|router> "
               "<out_dir> [--seed S] [--vectors N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string block = argv[1];
  const std::filesystem::path dir = argv[2];
  uint64_t seed = 1;
  int64_t vectors = 1000;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string opt = argv[i];
    if (opt == "--seed") seed = std::stoull(argv[i + 1]);
    else if (opt == "--vectors") vectors = std::stoll(argv[i + 1]);
    else return usage();
  }
  if ((argc - 3) % 2 != 0) return usage();
  try {
    std::filesystem::create_directories(dir);
    write_params(dir);
    Out o(dir / (block + ".vec"));
    if (block == "requantize") gen_requantize(o, seed, vectors);
    else if (block == "activation") gen_activation(o, seed, vectors);
    else if (block == "mlgru") gen_mlgru(o, seed, vectors);
    else if (block == "norm_helper") {
      Out nb(dir / (block + ".vec.nb"));
      gen_norm_helper(o, nb, seed, vectors);
      nb.f.flush();
      if (!nb.f) throw std::runtime_error("write error in " + (dir / (block + ".vec.nb")).string());
    }
    else if (block == "event_out") gen_event_out(o, seed, vectors);
    else if (block == "lane_array") gen_lane_array(o, seed, vectors);
#ifdef NRK_VARIANT_router
    else if (block == "router") gen_router(o, seed, vectors);
#endif
    else return usage();
    if (block == "activation" || block == "mlgru") write_lut(dir);
    o.f.flush();
    if (!o.f) throw std::runtime_error("write error in " + (dir / (block + ".vec")).string());
    std::cout << "nrk_iverilog_vectors " << block << ": seed " << seed << ", " << o.random << " random + " << o.edge
              << " edge-case vectors -> " << (dir / (block + ".vec")).string() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "nrk_iverilog_vectors " << block << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
