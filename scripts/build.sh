#!/usr/bin/env bash
# Configures and builds neurark into build/ (Release). The command line ends up at build/neurark.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
