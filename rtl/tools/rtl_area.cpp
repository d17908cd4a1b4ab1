// SPDX-License-Identifier: Apache-2.0
// neurark_rtl_area --chip CHIP.yaml --md FILE --json FILE: the RTL area table (Yosys cell counts
// of the area-table blocks at the chip's parameters, neurark::rtl::synthesize) as Markdown
// (docs/rtl-area.md) and JSON (rtl/area.json). scripts/rtl-area.sh runs it; the ctest
// rtl_area_table compares its output with the committed files. Each file is written to a
// temporary name and renamed into place.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "neurark/arch/chip.hpp"
#include "neurark/rtl/synth.hpp"

namespace {

namespace fs = std::filesystem;

void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp, std::ios::binary) << text;
  fs::rename(tmp, path);
}

std::string macros_text(const neurark::rtl::BlockArea& a) {
  std::string s;
  for (const neurark::rtl::MacroInstance& m : a.macros)
    s += fmt::format("{}{}: {} x {} bits = {} bits", s.empty() ? "" : "; ", m.what, m.words, m.word_bits, m.bits);
  return s.empty() ? "none" : s;
}

int usage() {
  std::cerr << "usage: neurark_rtl_area --chip CHIP.yaml --md FILE --json FILE\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string chip_path, md_path, json_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--chip") chip_path = argv[i + 1];
    else if (a == "--md") md_path = argv[i + 1];
    else if (a == "--json") json_path = argv[i + 1];
    else return usage();
  }
  if (chip_path.empty() || md_path.empty() || json_path.empty() || argc % 2 == 0) return usage();
  try {
    const neurark::arch::ChipDescription chip = neurark::arch::ChipDescription::from_file(chip_path);
    const neurark::rtl::SynthResult r = neurark::rtl::synthesize(chip);
    // rtl/area.json: one line, the fields runs/ reads, in this order (nlohmann::json would sort them).
    std::string json = "[";
    for (const neurark::rtl::BlockArea& a : r.blocks) {
      if (json.size() > 1) json += ",";
      json += fmt::format(
          R"({{"block":{},"top":{},"params":{},"cells":{},"flip_flops":{},"transistors_estimate":{},"what":{}}})",
          nlohmann::json(a.block).dump(), nlohmann::json(a.top).dump(), nlohmann::json(neurark::rtl::params_text(a.params)).dump(),
          a.cells, a.flip_flops, a.transistors_estimate, nlohmann::json(a.configuration).dump());
    }
    json += "]\n";
    std::string yosys = r.yosys;
    if (const auto p = yosys.find(" (git"); p != std::string::npos) yosys = yosys.substr(0, p);
    std::string md = fmt::format(
        "# RTL area (Yosys cell counts)\n"
        "\n"
        "Produced by `scripts/rtl-area.sh` ({}; generic gates after\n"
        "`synth -flatten`; SRAMs and the sigmoid LUT are black boxes, counted as one cell each, as\n"
        "memory macros would be, with their capacity in the last column). Parameters: chip `{}`\n"
        "(`{}`). \"Transistors\" is Yosys's `stat -tech cmos` estimate for the logic (not the macros).\n"
        "The table is checked against a fresh synthesis by the ctest `rtl_area_table` (label synth);\n"
        "compiled into neurark (`rtl/area.json`), it prices the logic of a chip with these parameters\n"
        "(report `hardware_cost`, [energy-model.md](energy-model.md)); any other chip's blocks are\n"
        "synthesized at its own parameters by `neurark::rtl::synthesize`, cached\n"
        "([rtl.md](rtl.md#synthesis-at-any-chips-parameters)).\n"
        "\n"
        "| block | top | cells | flip-flops | transistors (est.) | configuration | macros (black boxes) |\n"
        "|---|---|---|---|---|---|---|\n",
        yosys, r.chip, chip_path);
    for (const neurark::rtl::BlockArea& a : r.blocks)
      md += fmt::format("| {} | `{}` | {} | {} | {} | {} | {} |\n", a.block, a.top, a.cells, a.flip_flops,
                        a.transistors_estimate, a.configuration, macros_text(a));
    write_atomically(md_path, md);
    write_atomically(json_path, json);
    std::cerr << fmt::format("rtl-area: wrote {} and {}\n", md_path, json_path);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rtl-area: " << e.what() << "\n";
    return 1;
  }
}
