// Pricing activity into energy: see neurark/runs/energy.hpp and docs/energy-model.md.
#include "neurark/runs/energy.hpp"

namespace neurark::runs {

arch::EnergyBreakdown price(const sim::Counters& activity, int64_t cycles, const arch::ChipDescription& chip,
                            const arch::EnergyTable* table) {
  if (table == nullptr) return {};
  arch::ActionCounts ac = sim::action_counts(activity, chip);
  ac.core_cycles = static_cast<double>(cycles) * static_cast<double>(chip.total_cores());
  return arch::energy(ac, *table, chip);
}

arch::EnergyBreakdown price_core(const sim::UnitCounters& activity, int64_t cycles, const arch::ChipDescription& chip,
                                 const arch::EnergyTable* table) {
  if (table == nullptr) return {};
  arch::ActionCounts ac = sim::core_action_counts(activity, chip);
  ac.core_cycles = static_cast<double>(cycles);
  return arch::energy(ac, *table, chip);
}

double link_flit_pj(const arch::EnergyTable* table) {
  return table != nullptr ? table->pj("link_flit_hop") + table->pj("router_flit") : 0.0;
}

double injection_flit_pj(const arch::EnergyTable* table) { return table != nullptr ? table->pj("router_flit") : 0.0; }

}  // namespace neurark::runs
