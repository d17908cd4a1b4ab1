// SPDX-License-Identifier: Apache-2.0
// neurark/rtl/neurocore.hpp: one Verilated RTL neurocore (rtl/neurocore/nrk_neurocore.sv: input
// event FIFO, tile table, lane array + synapse SRAM, accumulator readout through the
// requantizer), driven cycle by cycle as a neurocore's synaptic datapath.
//
// At any chip's parameters the RTL takes (neurark/rtl/chip_params.hpp): the model is the one
// compiled into neurark for the default chip, or built on demand and cached for any other
// (neurark/rtl/build.hpp, neurark/rtl/model.hpp); both are driven by the same code here.
//
// NeurocoreSim loads tiles (packed2 images, arch/weight_memory.hpp) word-aligned into the
// synapse SRAM, one tile-table slot each; runs a tile's input events back to back through the
// input FIFO and reports each event's cycles; reads a tile's accumulators out and clears them;
// restores a tile's saved accumulators into the RTL through the preload port.
// Values follow arch::accumulate_event (the harness "neurocore" checks them against it).
//
// Accumulators: the RTL has one accumulator set (nrk_lane_array has no row offset), owned by
// one tile slot at a time. When a tile's events start while another tile's accumulators are
// live, NeurocoreSim reads the other tile's accumulators out through the readout port (the
// hardware clears them: a spill) and keeps them in C++, as a state memory would. When a tile
// with saved accumulators (spilled, or kept by take_accumulators(tile, true)) gets events again,
// NeurocoreSim first writes them back into the RTL through nrk_neurocore's preload port (one row
// per cycle, the tile's slot becomes the owner), so its events add to them in RTL and
// take_accumulators() returns what the RTL read out: the sum is formed in RTL, never in C++.
// Spill readouts and preloads take clock cycles (counted in cycles() and stats(): readouts,
// spills, readout_cycles, preloads, preload_cycles), not in the per-event cycles run_events()
// returns.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/numerics.hpp"
#include "neurark/rtl/build.hpp"
#include "neurark/rtl/chip_params.hpp"

namespace neurark::rtl {

// The cycles nrk_neurocore spends on one input event, from the cycle it leaves the input FIFO
// into the lane array to the cycle the next one does (events back to back; for the last event,
// to the cycle of its last lane step, one before its done pulse). With
//   steps = ceil(rows / lanes)                        lane steps (the lanes are dense)
//   b     = tile_base + col * ceil(rows / 4)          the column's first byte in the SRAM
//   words = ceil((b mod PB + ceil(rows / 4)) / PB)    SRAM words the column spans, PB = port_bits / 8
//   cycles = 2 + steps           if b mod (lanes / 4) == 0 (the column starts on a lane-step boundary)
//   cycles = 1 + steps + words   otherwise (nrk_lane_array's stream buffer then waits one cycle
//                                per SRAM word after the first: rtl/neurocore/README.md)
// Exact for lanes and port_bits powers of two, lanes >= 4, port_bits >= 2 lanes (every chip
// preset: port_bits = 4 lanes); throws std::invalid_argument otherwise or for a tile_base that is not word-aligned; computed by arch::event_accumulate_cycles (the one definition). NeurocoreSim places tiles
// word-aligned (tile_base mod PB = 0): on the default chip a tile whose rows are a multiple of 16
// costs 2 + rows / 16 cycles per event.
int64_t neurocore_event_cycles(int64_t rows, int64_t col, int64_t lanes, int64_t port_bits, int64_t tile_base = 0);

class NeurocoreSim {  // one Verilated nrk_neurocore
 public:
  // The neurocore of `chip` (chip_rtl(chip).neurocore). Throws neurark::Error naming every chip
  // parameter the RTL cannot take (parameter, value, supported range), or if the model cannot be
  // built or loaded. The first NeurocoreSim at new parameters builds the model (tens of seconds,
  // progress on stderr or options.progress); later ones, in this or another process, reuse it.
  explicit NeurocoreSim(const arch::ChipDescription& chip = arch::ChipDescription{}, const BuildOptions& options = {});
  explicit NeurocoreSim(const arch::NeurocoreParams& core, const BuildOptions& options = {});
  ~NeurocoreSim();
  NeurocoreSim(const NeurocoreSim&) = delete;
  NeurocoreSim& operator=(const NeurocoreSim&) = delete;

  // Tile `tile` (any id, once) of rows x fan-in k with its packed2 memory: placed at the next
  // word-aligned SRAM byte address through the load port (one word per cycle), given a
  // tile-table slot. Throws neurark::Error if the id is loaded already, the memory size is not
  // packed2_tile_bytes(rows, k), rows is outside [1, accumulators], k outside [1, 2^16], the
  // SRAM is full or every tile slot is used (params().tile_slots).
  void load_tile(int tile, const std::vector<uint8_t>& memory, int64_t rows, int64_t k);
  // Applies events {column, q} to the tile's accumulators, in order, fed to the input FIFO
  // back to back; returns each event's cycles (neurocore_event_cycles). Before them, another
  // tile's live accumulators are spilled and the tile's saved ones (if any) preloaded (rows
  // cycles, stats().preloads). Throws neurark::Error
  // for an unknown tile or a column outside [0, k) (before any event runs), and after the run if
  // a reserved weight code 10 was met (the RTL's err flag; the tile's accumulators are cleared).
  std::vector<int64_t> run_events(int tile, const std::vector<std::pair<int64_t, int8_t>>& events);
  // The tile's accumulators [rows] after its events, then cleared (a hardware readout when the
  // tile's accumulators are in the RTL; the saved ones as they are when the tile had no events
  // since they were saved). keep: they persist instead (sigma-delta events, docs/numerics.md
  // §5b): read out the same way (the hardware clears them) and kept in C++ as a spill is (the
  // state-memory swap), then preloaded into the RTL before the tile's next events, which the
  // RTL adds to them. Throws neurark::Error for an unknown tile.
  std::vector<int32_t> take_accumulators(int tile, bool keep = false);
  // Sets the tile's saved accumulators to `acc` [rows] (a state memory's copy, any int32 values):
  // preloaded into the RTL before the tile's next events, which add to them; a take before any
  // event returns them as they are. Accumulators of the tile live in the RTL are discarded first
  // (a readout clears them). Throws neurark::Error for an unknown tile or acc.size() != rows.
  void set_accumulators(int tile, const std::vector<int32_t>& acc);
  int64_t cycles() const;  // clock cycles simulated so far
  std::string name() const;  // "rtl nrk_neurocore (16 lanes, 1024 accumulators, ...)"
  const NeurocoreRtlParams& params() const;  // the Verilated parameters
  const ModelBuild& model() const;           // compiled in, or the cache entry it was loaded from

  // ---- For harnesses and reports ----
  struct Stats {
    int64_t events = 0;            // events run
    int64_t event_cycles = 0;      // sum of the per-event cycles returned
    int64_t load_cycles = 0;       // SRAM words and tile-table writes
    int64_t readouts = 0;          // hardware readouts (take_accumulators and spills)
    int64_t spills = 0;            // of which spills (another tile's events came)
    int64_t readout_cycles = 0;    // cycles of all readouts, command to last row
    int64_t preloads = 0;          // preloads of saved accumulators (kept or spilled) into the RTL
    int64_t preload_cycles = 0;    // their cycles, first row offered to last row written (rows each)
    int64_t fifo_full_cycles = 0;  // cycles an event waited because the input FIFO was full
    int64_t fifo_max = 0;          // largest input FIFO occupancy seen
  };
  const Stats& stats() const;
  // Per event of the last run_events(): the lane array's synaptic operations (done_sops_o) and
  // SRAM words read (done_words_o).
  const std::vector<int64_t>& last_sops() const;
  const std::vector<int64_t>& last_words() const;
  int64_t tile_base(int tile) const;  // SRAM byte address of the tile's column 0
  // Every hardware readout: the tile, whether it was a spill, the raw accumulators read and
  // the requantizer's outputs for them (nrk_requantize with `scale`).
  using ReadoutObserver = std::function<void(int tile, bool spill, const std::vector<int32_t>& acc,
                                             const std::vector<int32_t>& y)>;
  void set_readout(arch::Scale scale, ReadoutObserver observer);
  // Holds the readout stream's acc_ready_i low with probability p per cycle (exercises the
  // requantizer's backpressure); 0 by default.
  void set_readout_stall(double p, uint64_t seed);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace neurark::rtl
