// SPDX-License-Identifier: Apache-2.0
// Bits per byte with a chip's activity and energy: see neurark/runs/eval.hpp.
#include "neurark/runs/eval.hpp"

#include <sys/stat.h>

#include <fstream>

#include <fmt/format.h>

#include "neurark/arch/error.hpp"
#include "neurark/runs/energy.hpp"
#include "neurark/runs/hardware_cost.hpp"

namespace neurark::runs {

std::string read_text(const std::string& path, int64_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(fmt::format("{}: cannot open the text file (does it exist?)", path));
  if (!S_ISREG(st.st_mode)) throw Error(fmt::format("{}: not a regular file, expected a text file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open the text file (permissions?)", path));
  const auto size = static_cast<int64_t>(st.st_size);
  const int64_t n = max_bytes > 0 ? std::min(size, max_bytes) : size;
  std::string s(static_cast<std::size_t>(n), '\0');
  in.read(s.data(), n);
  if (in.gcount() != n) throw Error(fmt::format("{}: read {} of {} bytes", path, in.gcount(), n));
  if (s.size() < 2)
    throw Error(fmt::format("{}: {} byte(s) to evaluate (file size {}{}), expected at least 2", path,
                            s.size(), size, max_bytes > 0 ? fmt::format(", --max-bytes {}", max_bytes) : ""));
  return s;
}

EvalRun eval(const EvalOptions& o) {
  if (o.max_bytes < 0) throw Error(fmt::format("--max-bytes: {} is negative, expected 0 (all) or a byte count", o.max_bytes));
  const std::string text = read_text(o.text_path, o.max_bytes);  // cheap checks before the model
  OpenedModel m = open_model(o.source);
  EvalRun r;
  r.label = m.label;
  r.image = !o.source.image_path.empty();
  r.text_path = o.text_path;
  r.backend = o.source.backend;
  r.checked = m.checked;
  r.result = models::evaluate(*m.lm, text, o.progress);
  const sim::Backend* be = m.backend;
  if (be != nullptr) r.events = be->chip() != nullptr ? be->chip()->core.events : o.source.events.over(arch::EventMode{});
  if (be == nullptr || be->counters().tokens == 0) return r;
  const sim::Counters& c = be->counters();
  const double t = static_cast<double>(c.tokens);
  EvalActivity a;
  a.events = static_cast<double>(c.total.events_out) / t;
  a.synaptic_ops = static_cast<double>(c.total.synaptic_ops) / t;
  a.activation_sparsity = 1.0 - static_cast<double>(c.total.events_out) / static_cast<double>(c.activation_codes);
  a.weight_sparsity = be->weight_sparsity();
  if (be->chip() != nullptr) {
    const arch::ChipDescription& chip = *be->chip();
    a.chip = true;
    a.tile_deliveries = static_cast<double>(c.total.events_in) / t;
    a.sram_words = static_cast<double>(c.total.sram_words) / t;
    a.neuron_ops = static_cast<double>(c.total.neuron_ops) / t;
    a.values_moved = static_cast<double>(c.total.values_out) / t;
    a.flit_hops = static_cast<double>(c.flit_hops) / t;
    a.tokens_cross_checked = be->tokens_cross_checked();
    const arch::EnergyTable* table = be->energy_table();
    if (table != nullptr) {
      // Dynamic energy from the action counts (Accelergy style); leakage needs time.
      const arch::EnergyBreakdown e = price(c, 0, chip, table, nullptr);
      for (const auto& [action, pj] : e.pj)
        if (action != "leakage") a.dynamic_energy_breakdown_pj[action] = pj / t;
      a.dynamic_energy_pj = e.total_pj / t;
      a.energy_table = fmt::format("{} at {} nm, {:g} V", table->name, table->node_nm, table->voltage_v);
    }
    if (m.timing != nullptr && m.timing->timing().cycles > 0) {
      const int64_t cycles = m.timing->timing().cycles;
      a.cycles = static_cast<double>(cycles) / t;
      a.tokens_per_s_chip = m.timing->timing().clock_hz / *a.cycles;
      r.clock_hz = chip.clock_hz;
      if (table != nullptr && be->cost_table() != nullptr) {
        if (const std::optional<LogicTable> logic = logic_table(chip)) {
          const HardwareCost hw = hardware_cost(chip, *be->cost_table(), table->voltage_v, be->cores_with_tiles(), *logic);
          a.leakage_energy_pj = price(sim::Counters{}, cycles, chip, table, &hw).pj.at("leakage") / t;
          a.energy_j = (*a.dynamic_energy_pj + *a.leakage_energy_pj) * 1e-12;
        }
      }
    }
  }
  r.activity = a;
  return r;
}

}  // namespace neurark::runs
