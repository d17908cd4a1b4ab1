#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job on the bundled defaults: set up, build, then `neurark run`: compile the bundled
# model for the default chip, run a held-out prompt and generate through the SystemC chip model
# (checked against the bit-exact integer reference on every token), print tokens/s and J/token
# and write the report folder (reports/runs/<run id>/report.{json,md,html}).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
echo "== neurark run (bundled model, default chip, traces/prompts/heldout-400.txt) =="
build/neurark run
