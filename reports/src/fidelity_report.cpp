// SPDX-License-Identifier: Apache-2.0
// `neurark fidelity`'s JSON and table: see neurark/reports/report.hpp.
#include <fmt/format.h>

#include "neurark/arch/version.hpp"
#include "neurark/reports/report.hpp"

namespace neurark::reports {

using nlohmann::json;

json fidelity_json(const runs::FidelityResult& r) {
  json bls = json::array();
  for (const runs::CodeAgreement& c : r.bitlinears)
    bls.push_back({{"name", c.name}, {"layer", c.layer}, {"codes", c.codes}, {"equal", c.equal},
                   {"equal_share", c.equal_share()}, {"max_abs_diff", c.max_abs_diff}, {"diff_counts", c.diff_counts},
                   {"float64_equal", c.float64_equal}, {"float64_equal_share", c.float64_equal_share()},
                   {"float64_max_abs_diff", c.float64_max_abs_diff}});
  return {{"model", r.model_dir}, {"text", r.text_path}, {"tokens", r.tokens}, {"float_bpb", r.float_bpb},
          {"float64_bpb", r.float64_bpb}, {"int_bpb", r.int_bpb}, {"max_logit_abs_diff", r.max_logit_abs_diff},
          {"float64_max_logit_abs_diff", r.float64_max_logit_abs_diff}, {"max_logit_abs", r.max_logit_abs},
          {"min_equal_share", r.min_equal_share()}, {"max_code_diff", r.max_abs_diff()}, {"bitlinears", bls},
          {"producer", arch::producer_json()}};
}

std::string fidelity_text(const runs::FidelityResult& r) {
  const auto rel = [&](double bpb) { return r.float_bpb > 0 ? 100.0 * (bpb - r.float_bpb) / r.float_bpb : 0.0; };
  std::string o = fmt::format("model     {}\ntext      {} ({} tokens through each reference, each from a zero state)\n"
                              "bpb       float32 {:.6f}, float64 {:.6f} ({:+.4f} %), int {:.6f} ({:+.4f} %)\n"
                              "logits    max |int - float32| {:.3g}, max |float64 - float32| {:.3g} (max |float32| {:.3g})\n\n",
                              r.model_dir, r.text_path, r.tokens, r.float_bpb, r.float64_bpb, rel(r.float64_bpb),
                              r.int_bpb, rel(r.int_bpb), r.max_logit_abs_diff, r.float64_max_logit_abs_diff,
                              r.max_logit_abs);
  o += "int8 activation codes entering each BitLinear, equal to the float32 model's: the int reference (with how\n"
       "far the others are) and, as the yardstick, the same model in float64:\n";
  o += fmt::format("{:<30} {:>10} {:>8} {:>8} {:>7} {:>7} {:>7} {:>6} | {:>9} {:>6}\n", "BitLinear", "codes", "int =%",
                   "|d|=1", "|d|=2", "|d|=3", "|d|>=4", "max|d|", "float64=%", "max|d|");
  for (const runs::CodeAgreement& c : r.bitlinears)
    o += fmt::format("{:<30} {:>10} {:>8.3f} {:>8} {:>7} {:>7} {:>7} {:>6} | {:>9.3f} {:>6}\n", c.name, c.codes,
                     100.0 * c.equal_share(), c.diff_counts[0], c.diff_counts[1], c.diff_counts[2], c.diff_counts[3],
                     c.max_abs_diff, 100.0 * c.float64_equal_share(), c.float64_max_abs_diff);
  o += fmt::format("\nworst BitLinear {:.3f} % equal; largest code difference {}\n", 100.0 * r.min_equal_share(),
                   r.max_abs_diff());
  return o;
}

}  // namespace neurark::reports
