#!/usr/bin/env bash
# The RTL area table: synthesizes every block of rtl/ with Yosys (generic gates, `synth -flatten`;
# memories as black boxes, as SRAM macros would be) at the default chip's parameters
# (arch/chips/default-4x4.yaml) and writes the cell counts, flip-flops and Yosys's CMOS transistor
# estimate to docs/rtl-area.md and rtl/area.json (read by `neurark run` for its report's area
# section). `scripts/rtl-area.sh --out DIR` writes both files into DIR instead (the ctest
# rtl_area_table does so and requires them equal to the committed ones).
set -euo pipefail
cd "$(dirname "$0")/.."
md=docs/rtl-area.md
js=rtl/area.json
if [[ "${1:-}" == "--out" ]]; then
  mkdir -p "$2"
  md="$2/rtl-area.md"
  js="$2/area.json"
fi
command -v yosys >/dev/null || { echo "rtl-area: yosys not found (scripts/setup.sh installs it)" >&2; exit 1; }
pkg=rtl/common/nrk_pkg.sv   # read before every block (nrk_pkg: shared types, functions)
dp=rtl/datapath/sv
noc=rtl/noc
# name | top | logic sources | black-box memories | parameters (chparam) | what
blocks=(
  "lane_array|nrk_lane_array|$dp/nrk_lane_array.sv|$dp/nrk_synapse_sram.sv|-set NumLanes 16 -set NumRows 1024 -set SramPortBits 64 -set SramBytes 65536|16 lanes, 1,024 int32 accumulators, 64-bit port (64 KB SRAM as a macro)"
  "requantize|nrk_requantize|$dp/nrk_requantize.sv|||int32 accumulator x Scale -> Q15.16"
  "activation|nrk_activation|$dp/nrk_activation.sv $dp/nrk_round_shift.sv|$dp/nrk_sigmoid_lut.sv||sigmoid (1,025-entry LUT as a macro) and SiLU"
  "mlgru|nrk_mlgru|$dp/nrk_mlgru.sv $dp/nrk_activation.sv $dp/nrk_round_shift.sv|$dp/nrk_sigmoid_lut.sv||MLGRU state update (one shared multiplier)"
  "norm_helper|nrk_norm_helper|$dp/nrk_norm_helper.sv|||sum of squares (79-bit) and absmax, block shift"
  "event_out|nrk_event_out|$dp/nrk_event_out.sv||-set FlowWidth 8|absmax quantizer, non-zero detect, event packets"
  "router|nrk_router|$noc/nrk_noc_pipe.sv $noc/nrk_router.sv||-set FlitWidth 64 -set FlowWidth 8 -set NumFlows 64 -set BufferDepth 4 -set Latency 2|5 ports, 64-bit flits, 4-flit buffers, 64 routing-table entries"
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rows=()
json="["
for b in "${blocks[@]}"; do
  IFS='|' read -r name top logic mem params what <<<"$b"
  script="read_verilog -sv $pkg; "
  [[ -n "$mem" ]] && script+="read_verilog -sv -lib $mem; "
  script+="read_verilog -sv $logic; "
  [[ -n "$params" ]] && script+="chparam $params $top; "
  script+="synth -flatten -top $top; tee -q -o $tmp/$name.stat stat -tech cmos"
  echo "rtl-area: $name ($top) ..." >&2
  yosys -q -p "$script" >/dev/null
  cells=$(awk '/Number of cells:/ {n=$4} END {print n}' "$tmp/$name.stat")
  ffs=$(awk '$1 ~ /^\$_(S)?DFF/ {s+=$2} END {print s+0}' "$tmp/$name.stat")
  tr=$(awk '/Estimated number of transistors:/ {gsub(/\+/,"",$5); print $5}' "$tmp/$name.stat")
  rows+=("| $name | \`$top\` | $cells | $ffs | $tr | $what |")
  [[ "$json" != "[" ]] && json+=","
  json+="{\"block\":\"$name\",\"top\":\"$top\",\"cells\":$cells,\"flip_flops\":$ffs,\"transistors_estimate\":$tr,\"what\":\"$what\"}"
done
json+="]"
{
  echo "# RTL area (Yosys cell counts)"
  echo
  echo "Produced by \`scripts/rtl-area.sh\` ($(yosys -V | awk '{print $1, $2}'); generic gates after"
  echo "\`synth -flatten\`; SRAMs and the sigmoid LUT are black boxes, counted as one cell each, as"
  echo "memory macros would be). Parameters: the default chip (\`arch/chips/default-4x4.yaml\`)."
  echo "\"Transistors\" is Yosys's \`stat -tech cmos\` estimate for the logic (not the macros)."
  echo "The table is checked against a fresh synthesis by the ctest \`rtl_area_table\` (label synth);"
  echo "\`neurark run\` copies it into its report (\`area\`)."
  echo
  echo "| block | top | cells | flip-flops | transistors (est.) | configuration |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} >"$md.tmp"
echo "$json" >"$js.tmp"
mv "$md.tmp" "$md"
mv "$js.tmp" "$js"
echo "rtl-area: wrote $md and $js" >&2
