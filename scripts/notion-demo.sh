#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# notion-demo.sh - the README's Notion command: builds srr and the fake
# Notion API of tests/support (a local server that checks what Notion
# checks: token, Notion-Version, the schema's property types, the
# 2,000-character and 100-block limits, 3 requests/s), sweeps the recorded
# demo week into ./srr-notion-demo/srr.db, sets the fake database up with
# `srr notion setup`, mirrors the records with `srr sync --once`, and
# prints the pages the fake now holds. No Notion account or token needed.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/demo-fake.sh

DEMO=srr-notion-demo
demo_fake_start "$DEMO" fake_notion_server

cp examples/srr.yaml "$DEMO/srr.yaml"
cat >>"$DEMO/srr.yaml" <<YAML

notion:
  database_id: $FAKE_NOTION_DATABASE
  api_url: $FAKE_NOTION_URL
YAML
export SRR_CONFIG="$DEMO/srr.yaml" NOTION_TOKEN="$FAKE_NOTION_TOKEN"
SRR=./build/cmd/srr

"$SRR" sweep --replay examples/demo-week
echo
echo "== srr notion setup =="
"$SRR" notion setup
echo
echo "== srr sync --once =="
"$SRR" sync --once
"$SRR" sync status
echo
echo "== the pages in (fake) Notion =="
demo_fake_stop "$DEMO"
