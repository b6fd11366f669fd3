#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# sinks-demo.sh - the README's Slack / GitHub / Google Sheets command:
# builds srr and the fakes of tests/support as one program (a fake Slack
# incoming webhook at one message a second, a fake GitHub Issues API with
# its token, version header and rate limits, a fake Google whose token
# endpoint verifies the service account's RS256 JWT and whose Sheets API
# keeps the per-minute quotas), sweeps the recorded demo week into
# ./srr-sinks-demo/srr.db, syncs (a Slack digest of the new drafts and a
# reminder of the drafts waiting, one sheet row per record), accepts the
# backlog item for a ticket and syncs again (a GitHub issue, its link in
# the sheet), shows `srr sync status`, and prints what each fake received.
# No Slack, GitHub or Google account needed.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/demo-fake.sh

DEMO=srr-sinks-demo
demo_fake_start "$DEMO" fake_sinks_server "$DEMO"

cp examples/srr.yaml "$DEMO/srr.yaml"
cat >>"$DEMO/srr.yaml" <<YAML

team:
  members: [alice, bob]
  owners:
    postgres: bob

slack:
  webhook_url_env: SLACK_WEBHOOK_URL
  reminder_min_age: 0s    # the demo's drafts are minutes old

github:
  api_url: $FAKE_GITHUB_URL
  repo: $FAKE_GITHUB_REPO
  labels: [srr, risk-backlog]

sheets:
  credentials_file: $(basename "$FAKE_SHEETS_KEY")
  spreadsheet_id: $FAKE_SHEETS_ID
  api_url: $FAKE_SHEETS_URL
YAML
export SRR_CONFIG="$DEMO/srr.yaml" SLACK_WEBHOOK_URL="$FAKE_SLACK_WEBHOOK" \
       GITHUB_TOKEN="$FAKE_GITHUB_TOKEN" SRR_USER=alice
SRR=./build/cmd/srr

"$SRR" sweep --replay examples/demo-week --no-drain
echo
echo "== srr drain --once (it syncs after the batch) =="
"$SRR" drain --once
echo
echo "== srr backlog accept BL-1 --ticket; srr sync --once =="
"$SRR" backlog accept BL-1 --ticket
"$SRR" sync --once
echo
echo "== srr sync status =="
"$SRR" sync status
echo
demo_fake_stop "$DEMO"
