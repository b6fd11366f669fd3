#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# loaded-suite.sh [RUNS] - the whole suite RUNS times in a row (default 5),
# the normal build and then the ASan+UBSan build each time, while
# stress-ng loads the machine (--cpu 2 --io 1), as the developer's machine
# often is when CI runs on it. Prints one line per suite run and exits 1 if
# any failed; each run's CTest log stays in build*/loaded-N.log. A test
# that passes only on an idle machine fails here: fix it by waiting on an
# event, never by sleeping longer or retrying it.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}

./scripts/install-deps.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSRR_SANITIZE=ON >/dev/null
cmake --build build-asan -j2 >/dev/null

stress-ng --cpu 2 --io 1 --timeout 6h --quiet &
load=$!
trap 'kill "$load" 2>/dev/null; wait "$load" 2>/dev/null' EXIT

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
for i in $(seq 1 "$runs"); do
  for b in build build-asan; do
    start=$(date +%s)
    if ctest --test-dir "$b" -j2 --output-on-failure >"$b/loaded-$i.log" 2>&1; then
      result=pass
    else
      result=FAIL
      failed=$((failed + 1))
    fi
    summary=$(grep -o '[0-9]*% tests passed, [0-9]* tests failed out of [0-9]*' "$b/loaded-$i.log")
    echo "run $i $b: $result in $(($(date +%s) - start)) s, load $(cut -d' ' -f1 /proc/loadavg): $summary"
    grep -E '\*\*\*Failed|\(Failed\)|Timeout' "$b/loaded-$i.log" | sed 's/^/    /'
  done
done
echo "loaded-suite: $failed failed suite run(s) of $((2 * runs))"
[ "$failed" -eq 0 ]
