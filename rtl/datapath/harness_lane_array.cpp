// SPDX-License-Identifier: Apache-2.0
// The harness of nrk_lane_array (harness_lane_array.hpp): the model at the chip's lane array
// parameters (compiled in for the default chip, else built on demand: neurark/rtl/model.hpp),
// driven through its ports by name.
#include "harness_lane_array.hpp"

#include "harness.hpp"
#include "neurark/rtl/chip_params.hpp"

namespace neurark::rtl::datapath {

namespace {

RtlParams lane_verilog(const LaneParams& lp) {
  return {{"NumLanes", lp.lanes}, {"NumRows", lp.rows}, {"SramPortBits", lp.port_bits}, {"SramBytes", lp.sram_bytes}};
}

// The ports of nrk_lane_array, by name.
struct LanePorts {
  Port sram_we_i, sram_waddr_i, sram_wdata_i, rows_i, tile_base_i, ev_valid_i, ev_ready_o, ev_col_i, ev_q_i,
      done_valid_o, done_sops_o, acc_clear_i, acc_rd_row_i, acc_rd_data_o, err_invalid_o;
  explicit LanePorts(const ModelSim& s)
      : sram_we_i(s.port("sram_we_i")),
        sram_waddr_i(s.port("sram_waddr_i")),
        sram_wdata_i(s.port("sram_wdata_i")),
        rows_i(s.port("rows_i")),
        tile_base_i(s.port("tile_base_i")),
        ev_valid_i(s.port("ev_valid_i")),
        ev_ready_o(s.port("ev_ready_o")),
        ev_col_i(s.port("ev_col_i")),
        ev_q_i(s.port("ev_q_i")),
        done_valid_o(s.port("done_valid_o")),
        done_sops_o(s.port("done_sops_o")),
        acc_clear_i(s.port("acc_clear_i")),
        acc_rd_row_i(s.port("acc_rd_row_i")),
        acc_rd_data_o(s.port("acc_rd_data_o")),
        err_invalid_o(s.port("err_invalid_o")) {}
};

class LaneArrayDriver {
 public:
  LaneArrayDriver(ModelSim& sim, const LaneParams& lp, Checker& chk, uint64_t seed)
      : sim_(sim), m(sim), lp_(lp), chk_(chk), rng_(seed, 0x1a9e), image_(static_cast<std::size_t>(lp.sram_bytes), 0),
        acc_(static_cast<std::size_t>(lp.rows), 0) {}

  // Loads the tile's memory (unless load_memory is false: already resident at t.base), sets the
  // tile configuration and runs its bursts.
  void run_tile(const LaneTile& t, bool load_memory = true) {
    if (load_memory) load(t);
    configure(t);
    if (t.clear_before) clear();
    for (std::size_t b = 0; b < t.bursts.size(); ++b)
      run_burst(t, t.bursts[b], b < t.recorded.size() ? &t.recorded[b] : nullptr);
  }

  void load(const LaneTile& t) {
    if (t.base < 0 || t.base + static_cast<int64_t>(t.bytes.size()) > lp_.sram_bytes)
      throw std::invalid_argument("lane_array harness: tile '" + t.name + "' does not fit the SRAM");
    std::copy(t.bytes.begin(), t.bytes.end(), image_.begin() + t.base);
    const int64_t pb = lp_.port_bits / 8;
    const int64_t w0 = t.base / pb, w1 = (t.base + static_cast<int64_t>(t.bytes.size()) - 1) / pb;
    for (int64_t w = w0; w <= w1; ++w) {
      m.sram_we_i = 1;
      m.sram_waddr_i = static_cast<uint64_t>(w);
      m.sram_wdata_i.set_bytes(&image_[static_cast<std::size_t>(w * pb)], static_cast<std::size_t>(pb));
      sim_.tick();
    }
    m.sram_we_i = 0;
    sim_.settle();
  }

 private:
  void configure(const LaneTile& t) {
    m.rows_i = static_cast<uint64_t>(t.rows);
    m.tile_base_i = static_cast<uint64_t>(t.base);
    sim_.settle();
  }

  void clear() {
    m.acc_clear_i = 1;
    sim_.tick();
    m.acc_clear_i = 0;
    sim_.settle();
    std::fill(acc_.begin(), acc_.end(), 0);
    err_ = false;
  }

  struct Expected {
    bool threw;
    int64_t sops;
  };

  void run_burst(const LaneTile& t, const std::vector<LaneEvent>& burst, const LaneRecorded* rec) {
    // Expected values, event by event (arch updates acc in place; it throws after updating the
    // valid rows when it meets code 10).
    std::vector<Expected> want;
    for (const LaneEvent& e : burst) {
      Expected x{false, 0};
      try {
        const arch::EventCost c =
            arch::accumulate_event(arch::WeightEncoding::kPacked2, t.bytes.data(), static_cast<int64_t>(t.bytes.size()),
                                   t.rows, t.k, kLaneIndexBits, lp_.port_bits, e.col, e.q, acc_.data());
        x.sops = c.synaptic_ops;
      } catch (const std::invalid_argument&) {
        x.threw = true;
        err_ = true;
      }
      want.push_back(x);
    }
    std::vector<int64_t> got_sops;
    std::size_t sent = 0;
    int64_t quiet = 0;
    while (got_sops.size() < burst.size()) {
      const bool offer = sent < burst.size() && !rng_.chance(0.1);
      m.ev_valid_i = offer;
      if (sent < burst.size()) {
        m.ev_col_i = static_cast<uint64_t>(burst[sent].col);
        m.ev_q_i = static_cast<uint8_t>(burst[sent].q);
      }
      sim_.settle();
      if (m.done_valid_o) {
        got_sops.push_back(static_cast<int64_t>(m.done_sops_o.get()));
        quiet = 0;
      }
      if (offer && m.ev_ready_o) ++sent;
      sim_.tick();
      if (++quiet > 10000) {
        chk_.fail(t.name + ": timeout, " + std::to_string(got_sops.size()) + " of " + std::to_string(burst.size()) +
                  " events finished");
        m.ev_valid_i = 0;
        return;
      }
    }
    m.ev_valid_i = 0;
    sim_.settle();
    // After the burst: every accumulator (rows past the tile's must not change) and the
    // reserved-code flag.
    std::string acc_diff;
    for (int64_t r = 0; r < lp_.rows && acc_diff.empty(); ++r) {
      m.acc_rd_row_i = static_cast<uint64_t>(r);
      sim_.settle();
      const auto got = static_cast<int32_t>(static_cast<uint32_t>(m.acc_rd_data_o.get()));
      const auto ri = static_cast<std::size_t>(r);
      if (got != acc_[ri])
        acc_diff = "accumulator " + std::to_string(r) + ": expected " + std::to_string(acc_[ri]) + ", got " +
                   std::to_string(got);
      else if (rec != nullptr && ri < rec->acc.size() && got != rec->acc[ri])
        acc_diff = "accumulator " + std::to_string(r) + ": the trace recorded " + std::to_string(rec->acc[ri]) +
                   ", arch::accumulate_event and the RTL give " + std::to_string(got);
    }
    const bool got_err = m.err_invalid_o != 0;
    if (acc_diff.empty() && got_err != err_)
      acc_diff = std::string("reserved-code flag: expected ") + (err_ ? "set" : "clear") + ", got " +
                 (got_err ? "set" : "clear");
    // One vector per event: its synaptic operations (unless arch refused the column); the last
    // event of the burst also carries the accumulator and flag comparison.
    for (std::size_t i = 0; i < burst.size(); ++i) {
      const bool last = i + 1 == burst.size();
      const bool rec_ok = rec == nullptr || i >= rec->sops.size() || rec->sops[i] == got_sops[i];
      const bool sops_ok = (want[i].threw || got_sops[i] == want[i].sops) && rec_ok;
      chk_.check(sops_ok && (!last || acc_diff.empty()), [&] {
        std::string what = sops_ok ? acc_diff
                                   : "expected " + std::to_string(want[i].sops) + " synaptic operations" +
                                         (rec_ok ? "" : " (trace: " + std::to_string(rec->sops[i]) + ")") +
                                         ", got " + std::to_string(got_sops[i]);
        return t.name + " (rows " + std::to_string(t.rows) + ", K " + std::to_string(t.k) + ", base " +
               std::to_string(t.base) + "), event " + std::to_string(i) + " of a burst of " +
               std::to_string(burst.size()) + " (k " + std::to_string(burst[i].col) + ", q " +
               std::to_string(burst[i].q) + "): " + what;
      });
    }
    if (err_) clear();  // start clean after an error (the flag is sticky)
  }

  ModelSim& sim_;
  LanePorts m;
  LaneParams lp_;
  Checker& chk_;
  Rng rng_;
  std::vector<uint8_t> image_;  // the SRAM's bytes as loaded
  std::vector<int32_t> acc_;    // expected, every physical row
  bool err_ = false;            // expected reserved-code flag
};

BlockResult run_lane_tiles(const LaneParams& lp, const std::string& block, const std::string& source,
                           const std::vector<LaneTile>& tiles, uint64_t seed, const std::string& fst) {
  ModelSim sim("lane_array", lane_verilog(lp), fst);
  sim.reset();
  Checker chk(block, source);
  LaneArrayDriver drv(sim, lp, chk, seed);
  for (const LaneTile& t : tiles) drv.run_tile(t);
  return chk.finish(sim.cycles());
}

// Replays an event trace (traces/README.md): every tile's `in` events of one token and one
// BitLinear form a burst, from cleared accumulators (the trace's accumulators start each token
// at 0); the RTL's synaptic operations and accumulators are compared with
// arch::accumulate_event and with the trace's `sops` and `acc` records. `out` records are not
// the lane array's. Throws std::invalid_argument for a sparse-encoded trace (the RTL implements
// packed2 only) or a tile with more rows than the model's accumulators.
BlockResult run_lane_trace(const LaneParams& lp, const std::string& chip, const std::string& block,
                           const std::string& path, uint64_t seed, const std::string& fst) {
  const traces::EventTrace tr = traces::read_event_trace(path);
  // A trace recorded on a chip with other lanes or another SRAM port has other cycles and words
  // per event: say so, rather than compare against the wrong lane array.
  if (tr.header.lanes != lp.lanes || tr.header.sram_port_bits != lp.port_bits)
    throw std::invalid_argument("lane_array: trace " + path + " was recorded on chip '" + tr.header.chip + "' (" +
                                std::to_string(tr.header.lanes) + " lanes, " + std::to_string(tr.header.sram_port_bits) +
                                "-bit SRAM port); this Verilated lane array has " + std::to_string(lp.lanes) + " lanes and a " +
                                std::to_string(lp.port_bits) + "-bit port (chip '" + chip + "'s): record the trace on a chip "
                                "with those parameters, or give verify-rtl the trace's chip (--chip)");
  if (tr.header.weight_encoding != arch::WeightEncoding::kPacked2)
    throw std::invalid_argument("lane_array: trace " + path + " holds " +
                                arch::to_string(tr.header.weight_encoding) +
                                " tiles; the RTL lane array reads packed2 tiles only");
  std::map<int, LaneTile> tiles;
  int64_t total = 0;
  for (const traces::TraceTile& tt : tr.header.tiles) {
    LaneTile t;
    t.name = "trace tile " + std::to_string(tt.tile) + " (" + tt.op + ")";
    t.rows = tt.r1 - tt.r0;
    t.k = tt.k;
    t.bytes = tt.memory;
    if (t.rows > lp.rows)
      throw std::invalid_argument("lane_array: trace " + path + ": tile " + std::to_string(tt.tile) + " has " +
                                  std::to_string(t.rows) + " rows, the model has " + std::to_string(lp.rows) +
                                  " accumulators");
    t.base = total;
    total += static_cast<int64_t>(t.bytes.size());
    tiles[tt.tile] = std::move(t);
  }
  const bool resident = total <= lp.sram_bytes;  // else each burst reloads its tile at 0
  if (!resident)
    for (auto& [id, t] : tiles) t.base = 0;

  struct Group {
    int tile;
    std::vector<LaneEvent> events;
    LaneRecorded rec;
  };
  std::vector<Group> groups;
  std::map<std::pair<int64_t, int>, std::size_t> open;  // (token, tile) -> group
  for (const traces::EventRecord& r : tr.records) {
    if (r.dir == traces::EventRecord::Dir::kOut) continue;
    const auto key = std::make_pair(r.token, r.tile);
    auto it = open.find(key);
    if (it == open.end()) {
      it = open.emplace(key, groups.size()).first;
      groups.push_back({r.tile, {}, {}});
    }
    Group& g = groups[it->second];
    if (r.dir == traces::EventRecord::Dir::kIn) {
      g.events.push_back({r.channel, r.q});
      g.rec.sops.push_back(r.synaptic_ops);
    } else {
      g.rec.acc = r.acc;
      open.erase(it);  // the tile's events of this token and BitLinear are complete
    }
  }

  ModelSim sim("lane_array", lane_verilog(lp), fst);
  sim.reset();
  Checker chk(block, "trace " + path);
  LaneArrayDriver drv(sim, lp, chk, seed);
  if (resident)
    for (const auto& [id, t] : tiles) drv.load(t);
  for (Group& g : groups) {
    if (g.events.empty()) continue;  // an acc record of a tile no event reached: all zero
    LaneTile t = tiles.at(g.tile);
    t.bursts = {std::move(g.events)};
    t.recorded = {std::move(g.rec)};
    t.clear_before = true;
    drv.run_tile(t, !resident);
  }
  return chk.finish(sim.cycles());
}

}  // namespace

std::vector<BlockResult> run_lane_array(const VerifyOptions& o, const LaneParams& lp, const std::string& block) {
  const std::string chip = verify_chip(o).name;
  Rng rng(o.seed, 0x1a9);
  std::vector<BlockResult> out;
  out.push_back(run_lane_tiles(lp, block, "random seed " + std::to_string(o.seed), lane_random_tiles(rng, o.vectors, lp),
                               o.seed, fst_path_for(o.fst_path, block, "random")));
  Rng erng(o.seed, 0x1a9e);
  out.push_back(run_lane_tiles(lp, block, "edge cases", lane_edge_tiles(erng, lp), o.seed,
                               fst_path_for(o.fst_path, block, "edge")));
  if (!o.trace_path.empty())
    out.push_back(run_lane_trace(lp, chip, block, o.trace_path, o.seed, fst_path_for(o.fst_path, block, "trace")));
  return out;
}

BlockHarness lane_array_harness() {
  return {"lane_array",
          "nrk_lane_array + nrk_synapse_sram: packed2 ternary accumulate of one event over the lanes vs "
          "arch::accumulate_event",
          [](const VerifyOptions& o) {
            const ChipRtl rtl = chip_rtl(verify_chip(o));
            rtl.require("lane_array", "verify-rtl lane_array");
            LaneParams lp;
            lp.lanes = rtl.neurocore.lanes;
            lp.rows = rtl.neurocore.accumulators;
            lp.port_bits = rtl.neurocore.sram_port_bits;
            lp.sram_bytes = rtl.neurocore.synapse_sram_bytes;
            return run_lane_array(o, lp);
          }};
}

}  // namespace neurark::rtl::datapath
