#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Soak: TOKENS (default 100,000) bytes of text through the SystemC chip model, checked against the
# integer reference on every token (neurark eval --backend systemc), with the process's resident
# set sampled every 5 s. Memory must stay flat: the script prints the samples and the growth from
# the first sample after start-up to the last, and exits 1 if it exceeds 10 %.
#   bench/soak.sh [TOKENS] [CHIP]        (from the repository root, after scripts/build.sh; NEURARK=path overrides build/neurark)
set -euo pipefail
cd "$(dirname "$0")/.."
tokens=${1:-100000}
chip=${2:-arch/chips/default-4x4.yaml}
text=$(mktemp)
trap 'rm -f "$text"' EXIT
while [[ $(stat -c %s "$text") -le $tokens ]]; do cat data/tinyshakespeare/heldout.txt >>"$text"; done
"${NEURARK:-build/neurark}" eval --backend systemc --model models/zoo/shakespeare-d256-l4 --chip "$chip" --text "$text" \
  --max-bytes $((tokens + 1)) --json >/tmp/neurark-soak-$$.json 2>/dev/null &
pid=$!
samples=()
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status 2>/dev/null || true)
  [[ -n "$rss" ]] && samples+=("$rss") && echo "soak: $(date +%s) rss ${rss} kB"
  sleep 5
done
wait "$pid"
cat /tmp/neurark-soak-$$.json && rm -f /tmp/neurark-soak-$$.json
(( ${#samples[@]} >= 3 )) || { echo "soak: too few samples"; exit 0; }
first=${samples[1]} last=${samples[-1]}
echo "soak: rss ${first} kB after start-up, ${last} kB at the end over ${tokens} tokens"
awk -v a="$first" -v b="$last" 'BEGIN { g = (b - a) / a * 100; printf "soak: growth %.1f %%\n", g; exit (g > 10) }'
