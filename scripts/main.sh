#!/usr/bin/env bash
# The main job on the bundled defaults: set up, build, then generate text and evaluate the
# held-out bits per byte with the bit-exact integer reference.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
model=models/zoo/shakespeare-d256-l4
echo "== neurark generate (bit-exact integer reference, sampled at T = 0.8, seed 1) =="
build/neurark generate --model "$model" --backend int --prompt "ROMEO:" --max-new-tokens 300 \
  --temperature 0.8 --seed 1
echo "== neurark eval on the held-out 10 % of tinyshakespeare (integer reference) =="
build/neurark eval --model "$model" --backend int --text data/tinyshakespeare/heldout.txt --progress
