#!/usr/bin/env bash
# The whole test suite: set up, build (Release), run every test; then build the C++ libraries
# and their unit tests once more with AddressSanitizer + UndefinedBehaviorSanitizer and run them
# (not the SystemC model: ASan cannot follow its coroutine stacks, see tests/CMakeLists.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
echo "== sanitizer build (ASan + UBSan) =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEURARK_SANITIZE=ON -DNEURARK_BUILD_BENCH=OFF \
  -DNEURARK_BUILD_RTL=OFF  # the RTL harnesses run in the Release pass (Verilated code is not ours to sanitize)
cmake --build build-asan -j"$(nproc)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -LE "slow|systemc"
