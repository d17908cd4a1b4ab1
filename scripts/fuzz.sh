#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The libFuzzer targets (fuzz/README.md): builds them with clang (ASan + UBSan, coverage) into
# build-fuzz/ (or $NEURARK_FUZZ_BUILD, a build already configured with -DNEURARK_BUILD_FUZZ=ON:
# scripts/test.sh uses its sanitizer build) and runs each on a copy of its committed seed corpus
# for SECONDS (default 60),
# printing the executions each ran. Exit 1 if any target finds a crash, a leak or a sanitizer
# report (the reproducer is left in build-fuzz/findings/).
#   scripts/fuzz.sh [SECONDS] [TARGET ...]     e.g. scripts/fuzz.sh 10 (CI), scripts/fuzz.sh 3600 fuzz_image
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(fuzz_chip fuzz_energy fuzz_config fuzz_safetensors fuzz_event_trace fuzz_image fuzz_space)
command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (scripts/setup.sh installs clang)" >&2; exit 1; }
build=${NEURARK_FUZZ_BUILD:-build-fuzz}
if [[ -z "${NEURARK_FUZZ_BUILD:-}" ]]; then
  cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DNEURARK_BUILD_FUZZ=ON \
    -DNEURARK_BUILD_TESTS=OFF -DNEURARK_BUILD_BENCH=OFF -DNEURARK_BUILD_RTL=OFF >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target fuzz_all
mkdir -p "$build"/findings
status=0
for t in "${targets[@]}"; do
  corpus=${t#fuzz_}
  work=$build/corpus/$corpus
  rm -rf "$work" && mkdir -p "$work" && cp fuzz/corpus/"$corpus"/* "$work"/
  dict=fuzz/dict/json.dict
  [[ $corpus == chip || $corpus == energy || $corpus == space ]] && dict=fuzz/dict/yaml.dict
  log=$build/$t.log
  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$build"/fuzz/"$t" "$work" -dict="$dict" \
      -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=262144 -timeout=30 \
      -artifact_prefix="$build"/findings/"$t"- -print_final_stats=1 >"$log" 2>&1; then
    echo "fuzz: $t: $(awk '/stat::number_of_executed_units/ {print $2}' "$log") executions in ${seconds} s, no finding"
  else
    echo "fuzz: $t: FOUND a problem (log $log, reproducer in $build/findings/):" >&2
    grep -m5 -E "ERROR|SUMMARY|==[0-9]+==" "$log" >&2 || tail -20 "$log" >&2
    status=1
  fi
done
exit $status
