// SPDX-License-Identifier: Apache-2.0
// neurark/runs/energy.hpp: the one pricing of a chip backend's activity into energy, used by the
// run, by eval and by the per-neurocore and per-link figures (docs/energy-model.md): energy =
// sum over actions of count x energy per action (sim::action_counts, arch::energy) + leakage:
// the design's leakage power (runs/hardware_cost.hpp) x the time simulated.
#pragma once

#include <cstdint>

#include "neurark/arch/energy.hpp"
#include "neurark/runs/hardware_cost.hpp"
#include "neurark/sim/backend.hpp"

namespace neurark::runs {

// Energy of `activity` (counters, or a delta of two snapshots) over `cycles` simulated cycles at
// the chip's clock, in pJ by action plus "leakage" (the chip's leakage power x cycles / clock;
// 0 without a hardware cost or cycles). No table: an empty breakdown.
arch::EnergyBreakdown price(const sim::Counters& activity, int64_t cycles, const arch::ChipDescription& chip,
                            const arch::EnergyTable* table, const HardwareCost* cost);
// One neurocore's own actions (sim::core_action_counts: no network) and its leakage
// (`leakage_w`, its share of the chip's) over `cycles`.
arch::EnergyBreakdown price_core(const sim::UnitCounters& activity, int64_t cycles, const arch::ChipDescription& chip,
                                 const arch::EnergyTable* table, double leakage_w);
// pJ per flit crossing a link: the link flit-hop and the router that sends it; over a
// chip-to-chip link (`chip_link`), its bits (noc.link_width_bits x chip_link_bit) instead of the hop.
double link_flit_pj(const arch::EnergyTable* table, const arch::ChipDescription& chip, bool chip_link);
// pJ per flit entering the mesh: the first router it crosses.
double injection_flit_pj(const arch::EnergyTable* table);

}  // namespace neurark::runs
