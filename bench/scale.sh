#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Scale: the published model sizes through the SystemC chip model (issue 13's benchmarks). For a
# checkpoint MODEL (e.g. `neurark synth-checkpoint --config models/configs/mmfreelm-370m.json`) on
# CHIP, the same prompt three ways, each a separate process (wall time and peak resident set from
# /usr/bin/time):
#   run --check-every 1   the SystemC model checked against the integer reference on every token
#   run --check-every 0   the SystemC model alone
#   eval --backend int / --backend float on the same bytes (the references side by side)
# and prints the ratios, all measured in this run: simulated tokens per wall-second (checked and
# alone; whole process, and the run's own split of setup and tokens from its log), the check's
# cost (wall x), the SystemC model's time per token as a multiple of the integer reference's,
# synaptic operations simulated per wall-second, int / float speed, peak RSS /
# packed bytes (ternary weights at 2 bits, Q15.16 embeddings at 4 bytes).
#   bench/scale.sh MODEL [CHIP] [PROMPT_BYTES] [NEW_TOKENS]   (from the repository root; NEURARK=path overrides build/neurark)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: bench/scale.sh MODEL [CHIP] [PROMPT_BYTES] [NEW_TOKENS]}
chip=${2:-arch/chips/loihi2-board-8.yaml}
prompt_bytes=${3:-16}
new_tokens=${4:-16}
nrk=${NEURARK:-build/neurark}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -c "$prompt_bytes" data/tinyshakespeare/heldout.txt >"$work/prompt.txt"
head -c $((prompt_bytes + new_tokens)) data/tinyshakespeare/heldout.txt >"$work/text.txt"
timed() {  # timed NAME CMD...: runs CMD, leaves "wall_s rss_kb" in $work/NAME.time
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" ||
    { echo "scale: $name failed:" >&2; tail -5 "$work/$name.err" >&2; exit 1; }
}
for every in 1 0; do
  timed "run$every" "$nrk" run --model "$model" --chip "$chip" --trace "$work/prompt.txt" --max-new-tokens "$new_tokens" \
    --check-every "$every" --no-synthesis --out "$work/report$every"
done
timed int "$nrk" eval --backend int --model "$model" --text "$work/text.txt" --json
timed float "$nrk" eval --backend float --model "$model" --text "$work/text.txt" --json
python3 - "$work" "$model" "$chip" <<'EOF'
import json, os, sys
work, model, chip = sys.argv[1:4]
t = {n: tuple(float(v) for v in open(f"{work}/{n}.time").read().split()) for n in ("run1", "run0", "int", "float")}
rep = json.load(open(f"{work}/report1/report.json"))
cfg = json.load(open(f"{model}/config.json"))
d, L, V = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
i = cfg.get("intermediate_size") or (d * cfg.get("hidden_ratio", 4) * 2 // 3 + 255) // 256 * 256
ternary = L * (4 * d * d + 3 * d * i) + d * V          # i, f, g, o projections; gate (2I) and down; lm_head
packed = ternary // 4 + V * d * 4                       # 2-bit weights, Q15.16 embeddings
tokens = rep["tokens"]
ev = {n: json.load(open(f"{work}/{n}.out")) for n in ("int", "float")}
sops = rep["sops_per_token"] * tokens
print(f"scale: {model} on {chip}: {tokens} tokens fed ({rep['prompt_tokens']} prompt)")
print(f"scale: chip: prefill {rep['prefill']['tokens_per_s']:.1f} tokens/s, generation {rep['tokens_per_s']:.1f} tokens/s, "
      f"{rep['energy_per_token_j'] * 1e6:.2f} uJ/token")
for every, name in ((1, "run1"), (0, "run0")):
    wall, rss = t[name]
    print(f"scale: run --check-every {every}: {wall:.1f} s wall ({tokens / wall:.2f} simulated tokens per wall-second incl. compile), "
          f"peak RSS {rss / 1024:.0f} MB = {rss * 1024 / packed:.2f} x the packed weights ({packed / 1e6:.1f} MB)")
for every, name in ((1, "run1"), (0, "run0")):  # the run's own split: setup, then the tokens (its log's wall-time line)
    line = [l for l in open(f"{work}/{name}.err").read().replace("\r", "\n").splitlines() if l.startswith("run: wall time")]
    if line:
        print(f"scale: run --check-every {every}: {line[-1][len('run: '):]}")
print(f"scale: checking every token costs {t['run1'][0] / t['run0'][0]:.2f} x the wall time, "
      f"{t['run1'][1] / t['run0'][1]:.2f} x the peak RSS of the unchecked run")
print(f"scale: synaptic operations simulated per wall-second (checked run, compile included): {sops / t['run1'][0] / 1e6:.1f} M")
for every, name in ((1, "run1"), (0, "run0")):  # the SystemC model's token time against the integer reference's
    line = [l for l in open(f"{work}/{name}.err").read().replace("\r", "\n").splitlines() if l.startswith("run: wall time")]
    if line and every == 0:
        per_wall_s = float(line[-1].split(" tokens (")[1].split(" simulated")[0])
        ms_run, ms_int = 1e3 / per_wall_s, 1e3 / ev['int']['tokens_per_s']
        print(f"scale: SystemC model alone {ms_run:.1f} ms per token, integer reference {ms_int:.1f} ms per token on the same "
              f"bytes: {ms_run / ms_int:.2f} x")
print(f"scale: references on {ev['int']['bytes']} bytes: int {ev['int']['tokens_per_s']:.1f} tokens/s, float "
      f"{ev['float']['tokens_per_s']:.1f} tokens/s, int / float = {ev['int']['tokens_per_s'] / ev['float']['tokens_per_s']:.2f}; "
      f"peak RSS int {t['int'][1] / 1024:.0f} MB, float {t['float'][1] / 1024:.0f} MB")
EOF
