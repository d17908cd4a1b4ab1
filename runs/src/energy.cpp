// SPDX-License-Identifier: Apache-2.0
// Pricing activity into energy: see neurark/runs/energy.hpp and docs/energy-model.md.
#include "neurark/runs/energy.hpp"

namespace neurark::runs {

namespace {

// Leakage over `cycles` of the chip's clock; an untimed run (no cycles) has no time to leak over
// and gets no leakage entry.
void add_leakage(arch::EnergyBreakdown& e, double watts, int64_t cycles, const arch::ChipDescription& chip) {
  if (cycles <= 0) return;
  const double pj = watts * static_cast<double>(cycles) / chip.clock_hz * 1e12;
  e.pj["leakage"] += pj;
  e.total_pj += pj;
}

}  // namespace

arch::EnergyBreakdown price(const sim::Counters& activity, int64_t cycles, const arch::ChipDescription& chip,
                            const arch::EnergyTable* table, const HardwareCost* cost) {
  if (table == nullptr) return {};
  arch::EnergyBreakdown e = arch::energy(sim::action_counts(activity, chip), *table, chip);
  add_leakage(e, cost != nullptr ? cost->chip_leakage_w : 0.0, cycles, chip);
  return e;
}

arch::EnergyBreakdown price_core(const sim::UnitCounters& activity, int64_t cycles, const arch::ChipDescription& chip,
                                 const arch::EnergyTable* table, double leakage_w) {
  if (table == nullptr) return {};
  arch::EnergyBreakdown e = arch::energy(sim::core_action_counts(activity, chip), *table, chip);
  add_leakage(e, leakage_w, cycles, chip);
  return e;
}

double link_flit_pj(const arch::EnergyTable* table, const arch::ChipDescription& chip, bool chip_link) {
  if (table == nullptr) return 0.0;
  return (chip_link ? static_cast<double>(chip.noc.link_width_bits) * table->pj("chip_link_bit") : table->pj("link_flit_hop")) +
         table->pj("router_flit");
}

double injection_flit_pj(const arch::EnergyTable* table) { return table != nullptr ? table->pj("router_flit") : 0.0; }

}  // namespace neurark::runs
