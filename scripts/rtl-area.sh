#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The RTL area table: synthesizes every block of the area table (rtl/blocks.json, "area_table")
# with Yosys (generic gates, `synth -flatten`; memories as black boxes, as SRAM macros would be) at
# a chip's parameters (default: arch/chips/default-4x4.yaml) and writes the cell counts,
# flip-flops, Yosys's CMOS transistor estimate and the macros' capacity to docs/rtl-area.md and
# rtl/area.json (read by `neurark run` for its report's area section).
#   scripts/rtl-area.sh [--chip CHIP.yaml] [--out DIR] [--tool PATH]
# --out DIR writes both files into DIR instead (the ctest rtl_area_table does so and requires them
# equal to the committed ones). The synthesis is neurark::rtl::synthesize (neurark/rtl/synth.hpp,
# the one description of the blocks and the Yosys script), run by the small command
# neurark_rtl_area of the build (--tool, default build/rtl/neurark_rtl_area: build it with
# `cmake --build build --target neurark_rtl_area`). Results are cached by a hash of the parameters,
# the sources and Yosys ($NEURARK_RTL_CACHE, else ~/.cache/neurark/rtl): a second run is immediate.
set -euo pipefail
cd "$(dirname "$0")/.."
md=docs/rtl-area.md
js=rtl/area.json
chip=arch/chips/default-4x4.yaml
tool=build/rtl/neurark_rtl_area
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) mkdir -p "$2"; md="$2/rtl-area.md"; js="$2/area.json"; shift 2 ;;
    --chip) chip="$2"; shift 2 ;;
    --tool) tool="$2"; shift 2 ;;
    *) echo "usage: scripts/rtl-area.sh [--chip CHIP.yaml] [--out DIR] [--tool PATH]" >&2; exit 2 ;;
  esac
done
command -v yosys >/dev/null || { echo "rtl-area: yosys not found (scripts/setup.sh installs it)" >&2; exit 1; }
[[ -x "$tool" ]] || { echo "rtl-area: $tool not found: build it (cmake --build build --target neurark_rtl_area) or pass --tool" >&2; exit 1; }
exec "$tool" --chip "$chip" --md "$md" --json "$js"
