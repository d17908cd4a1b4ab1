// SPDX-License-Identifier: Apache-2.0
// neurark/compiler/passes.hpp: the pass pipeline that lowers a checkpoint onto a chip.
//
// The pipeline is fixed and printed by `neurark compile`: import, lower, fold, partition, place,
// route, schedule, emit. Each pass lives in its own file (compiler/src/pass_<name>.cpp) whose
// header paragraph says what it reads, what it changes and what it guarantees; docs/compiler.md
// collects them. Passes throw neurark::Error for input the chip cannot take (the model does not
// fit, a tile cannot be indexed) and std::logic_error for a broken invariant (a compiler bug).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "neurark/compiler/ir.hpp"

namespace neurark::compiler {

// import: builds the model-level graph from an opened checkpoint (models::Checkpoint: validated,
// values not read) and a chip (the chip text is carried into the image verbatim).
Graph import_checkpoint(std::shared_ptr<const models::Checkpoint> checkpoint, const arch::ChipDescription& chip,
                        std::string chip_text, uint64_t seed);

void lower(Graph& g);      // pass_lower.cpp
void fold(Graph& g);       // pass_fold.cpp
void partition(Graph& g);  // pass_partition.cpp
void place(Graph& g);      // pass_place.cpp
void route(Graph& g);      // pass_route.cpp
void schedule(Graph& g);   // pass_schedule.cpp
// emit: writes the chip image to `path` atomically; returns its size in bytes (pass_emit.cpp).
uint64_t emit(const Graph& g, const std::string& path);
// The checks on an image's path before any work (`neurark compile -o`): a new or existing regular
// file that is none of the inputs (the chip file, a file of the checkpoint folder). Throws
// neurark::Error naming -o.
void check_image_path(const std::string& out, const std::string& model_dir, const std::string& chip_path);

// The names of the passes in pipeline order (import ... emit).
const std::vector<std::string>& pipeline_names();

struct CompileOptions {
  uint64_t seed = 1;                         // placement seed
  std::string dump_dir;                      // if set: <dir>/<NN>-<pass>.ir after each pass
  std::vector<std::string> dump_after;       // passes whose dump goes to `dump_stream`
  std::function<void(const std::string&)> dump_stream;  // receives dumps for dump_after
  std::function<void(const std::string&)> log;          // progress lines (pass, wall time)
  std::string stop_after;                    // run up to and including this pass ("" = all but emit)
};

// Runs import..schedule (or up to stop_after) on an opened checkpoint and a chip.
// Throws neurark::Error naming a pass for an unknown name in dump_after / stop_after.
Graph compile_graph(std::shared_ptr<const models::Checkpoint> checkpoint, const arch::ChipDescription& chip,
                    const std::string& chip_text, const CompileOptions& options);

// Estimated per-token event traffic (channels x hops) of a placed graph (the image's
// traffic_channel_hops_per_token).
int64_t traffic_cost(const Graph& g);
// What a chip-to-chip link costs beyond an on-chip hop, in on-chip hops: 0 on one chip; else
// max(1, ceil((multichip.link_latency_cycles + beats - 1 - noc.link_latency_cycles) /
// (noc.router_latency_cycles + noc.link_latency_cycles))), beats = arch::link_timing's cycles per
// flit: the extra cycles a flit spends on it, in hop times.
int64_t chip_link_extra_hops(const arch::ChipDescription& chip);
// The objective of place: traffic_cost with every chip-to-chip link an XY route crosses counted
// as 1 + chip_link_extra_hops hops (equal to traffic_cost on one chip), so that placement keeps
// traffic off the slow links where it can.
int64_t placement_cost(const Graph& g);

}  // namespace neurark::compiler
