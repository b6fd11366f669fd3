#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# demo.sh - README command 1: on a fresh Debian machine, install what srr
# needs, build it, and run the main job on the embedded default: a sweep of
# the recorded demo week (no Kafka, no Datadog keys) through the local spool
# into a SQLite file, then list the drafts it made. Run it twice: the second
# run creates nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target srr >/dev/null

# The demo's state lives in ./srr-demo (config copy, spool, SQLite file).
mkdir -p srr-demo
cp examples/srr.yaml srr-demo/srr.yaml
SRR=./build/cmd/srr
export SRR_CONFIG=srr-demo/srr.yaml

"$SRR" sweep --replay examples/demo-week
echo
echo "== draft risks =="
"$SRR" risks list --status draft
echo
echo "== draft backlog items =="
"$SRR" backlog list --status draft
echo
echo "== open investigations =="
"$SRR" investigations list --status open
