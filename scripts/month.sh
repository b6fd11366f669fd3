#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# month.sh - a month of srr (README, "A month of srr"): builds srr and runs
# the month scenario of tests/scenarios/month/ through the real binary
# against the tests' own fake Datadog - five weekly sweeps of a small shop
# with monitor alerts in between, at a draft budget of 5 and of 20 - and
# prints the ground truth (written in scenario.json before srr ran) beside
# what srr drafted. Exits non-zero when they differ. Then the month as the
# team reviews it: `srr review --last 5w` as its HTML page, checked in
# headless chromium and left in build/review-month.html and .png.
#
#   SRR_MONTH_VERBOSE=1  also print the end of each week's sweep
#   SRR_MONTH_KEEP=1     keep each run's store to look around
#                        (srr risks show SRR-3 -c /tmp/srr-test-.../srr.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target srr test_month >/dev/null
./build/tests/test_month --jobs 1
