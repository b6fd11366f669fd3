#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# test.sh - README command 2: install what srr needs, then build and run the
# whole test suite twice: a normal build, and one under AddressSanitizer and
# UndefinedBehaviorSanitizer (any sanitizer report fails the run).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
jobs=$(nproc)

echo "== build and test =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" | tee build/ctest.log

echo "== build and test under ASan + UBSan =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSRR_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" | tee build-asan/ctest.log

echo "== package, units and manifests =="
if [ "$(id -u)" -eq 0 ]; then
  ./scripts/check-deploy.sh
else
  echo "skipped: installing the .deb needs root"
fi

echo "== fuzz the webhook payload parser and the candidate reader (libFuzzer, bounded) =="
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DSRR_SANITIZE=ON \
      -DSRR_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzz_webhook_payload fuzz_candidate_parse
mkdir -p build-fuzz/corpus-webhook build-fuzz/corpus-candidate
build-fuzz/tests/fuzz/fuzz_webhook_payload -max_total_time=20 -max_len=8192 -print_final_stats=1 \
  build-fuzz/corpus-webhook tests/fuzz/corpus/webhook
build-fuzz/tests/fuzz/fuzz_candidate_parse -max_total_time=20 -max_len=8192 -print_final_stats=1 \
  build-fuzz/corpus-candidate tests/fuzz/corpus/candidate

# One closing line for both runs (CTest suites; each suite is a Criterion
# executable with many tests). set -o pipefail above already failed the
# script if any suite failed.
total=$(grep -ho 'out of [0-9]*' build/ctest.log build-asan/ctest.log | awk '{s += $3} END {print s}')
failed=$(grep -ho 'tests passed, [0-9]* tests failed' build/ctest.log build-asan/ctest.log |
         awk '{s += $3} END {print s}')
echo "suites: $((total - failed)) passed, ${failed} failed"
