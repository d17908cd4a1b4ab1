#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Measures the validation figures of a checkpoint (docs/validation.md): held-out bits per byte
# with the float and integer references, the float reference against the PyTorch golden logits,
# the integer reference against the independent Python implementation of docs/numerics.md, the
# functional chip backend on the default chip, and the references' speed. Needs a build (scripts/build.sh) and, for the spec comparison, python3-torch.
#   scripts/validate-model.sh [MODEL_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/zoo/shakespeare-d256-l4}
name=$(basename "$model")
heldout=data/tinyshakespeare/heldout.txt
echo "== held-out bits per byte ($heldout, state carried over the whole text) =="
for b in float int; do build/neurark eval --model "$model" --text "$heldout" --backend "$b" --json; done
echo "== the functional chip backend on the default chip (compiled on the fly): the int bpb, bit for bit =="
build/neurark eval --model "$model" --chip arch/chips/default-4x4.yaml --backend func --text "$heldout" --json
echo "== float reference vs PyTorch golden logits; int reference vs the independent spec =="
golden=tests/golden/$name.golden.safetensors
spec=tests/golden/$name.int.safetensors
if [[ ! -f "$spec" || "$model/model.safetensors" -nt "$spec" ]]; then
  /usr/bin/python3 models/train/int_spec.py --model "$model" --golden "$golden" --out "$spec"
fi
NEURARK_TEST_MODEL="$model" NEURARK_TEST_GOLDEN="$golden" build/tests/neurark_tests "[golden],[spec]" -s \
  | grep -E -A1 "float reference vs|int reference vs|passed|failed" | grep -v "^--" || true
echo "== reference speed (same bytes, same process) =="
build/bench/bench_references "$model" "$heldout" 3000
