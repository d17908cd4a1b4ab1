#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds neurark into build/ (Release). The command line ends up at build/neurark.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
