#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite: set up, build (Release), run every test; then build the C++ libraries
# and their unit tests once more with clang, AddressSanitizer + UndefinedBehaviorSanitizer and
# libFuzzer's coverage, run them (not the SystemC model: ASan cannot follow its coroutine stacks,
# see tests/CMakeLists.txt), and run every fuzz target briefly (fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
echo "== sanitizer build (clang: ASan + UBSan, with the libFuzzer targets) =="
# The RTL harnesses run in the Release pass only (Verilated code is not ours to sanitize), and so
# does the Python module (a sanitized extension needs the ASan runtime preloaded into Python).
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DNEURARK_SANITIZE=ON \
  -DNEURARK_BUILD_FUZZ=ON -DNEURARK_BUILD_BENCH=OFF -DNEURARK_BUILD_RTL=OFF -DNEURARK_BUILD_PYTHON=OFF
cmake --build build-asan -j"$(nproc)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -LE "slow|systemc|slurm"
echo "== fuzzing: every reader of outside input for 10 s (scripts/fuzz.sh runs them longer) =="
NEURARK_FUZZ_BUILD=build-asan bash scripts/fuzz.sh 10
