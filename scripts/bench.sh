#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# bench.sh - builds an optimised srr and runs the benchmarks of tests/bench
# (all of them, or those whose name contains the first argument). Each prints
# its figures as ratios against a reference measured side by side in the same
# run, so a busy machine shifts both sides alike. Not part of the test suite.
#   ./scripts/bench.sh            # every benchmark
#   ./scripts/bench.sh rules      # only bench_rules
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh >/dev/null
# Load generators and reference servers the benchmarks compare against.
extra=()
for p in wrk nginx-light; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || extra+=("$p")
done
if [ ${#extra[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${extra[@]}" >/dev/null
fi

cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSRR_BUILD_TESTS=ON >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
filter="${1:-}"
found=0
for b in build-bench/bench/bench_*; do
  [ -x "$b" ] || continue
  case "$(basename "$b")" in *"$filter"*) ;; *) continue ;; esac
  found=1
  echo "== $(basename "$b") =="
  "$b"
  echo
done
[ "$found" -eq 1 ] || { echo "no benchmark matches '$filter'"; exit 1; }
