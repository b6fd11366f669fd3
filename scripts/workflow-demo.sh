#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# workflow-demo.sh - the human side of srr on the recorded demo week: sweep
# it with the demo checks at lower thresholds and a policy that drafts
# whatever it does not send to the backlog (so five draft risks exist), then
# approve one draft with the suggested assignee, reject one with a reason,
# merge two, show the audit trail and the team's load, and write the
# monthly review as one HTML page (screenshot too, when chromium is there).
# Everything lives in ./srr-demo/workflow; run it again to start afresh.
set -euo pipefail
cd "$(dirname "$0")/.."

# $SRR_BIN: use an srr that is already built instead of building one.
SRR=${SRR_BIN:-}
if [ -z "$SRR" ]; then
  ./scripts/install-deps.sh >/dev/null
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)" --target srr >/dev/null
  SRR=./build/cmd/srr
fi

DEMO=srr-demo/workflow
rm -rf "$DEMO"
mkdir -p "$DEMO"
# The demo config with lower thresholds (more signals) and a drafting policy.
sed -e 's/when: "max > 500ms"/when: "max > 100ms"/' \
    -e 's/when: "max > 10000"/when: "max > 10"/' \
    -e '/^policy:/,$d' examples/srr.yaml > "$DEMO/srr.yaml"
cat >> "$DEMO/srr.yaml" <<'EOF'
policy:
  rules:
    - name: disk-filling-is-a-known-fix
      match: {check: "disk-*", kind: threshold}
      action: backlog
      urgency: medium
      reason: "A filling disk has a known fix, so it goes to the backlog."
    - name: customer-facing
      match: {service: "checkout*"}
      action: risk
      urgency: high
      reason: "Customer-facing errors with no known cause are a risk."
  default:
    action: risk
    urgency: medium
    reason: "Everything else is drafted for the team to triage."

team:
  members: [alice, bob, carol, dana, erin]   # who takes and makes changes
  owners:
    checkout: "alice, bob"
    billing-worker: carol
  skew_percent: 200
  stale_after: 30d
EOF

export SRR_CONFIG="$DEMO/srr.yaml" SRR_USER=dana
step() { printf '\n\033[1m$ srr %s\033[0m\n' "$*"; "$SRR" "$@"; }
id_of() { "$SRR" risks list | awk -v t="$1" '$0 ~ t {print $1; exit}'; }

"$SRR" sweep --replay examples/demo-week --log-level warn
step risks list --status draft
CHECKOUT=$(id_of checkout-5xx)
STAGING=$(id_of staging-errors)
QUEUE=$(id_of queue-depth)
WORKER=$(id_of worker-memory)

step risks assign "$CHECKOUT" --suggest
step risks approve "$CHECKOUT" --suggest --note "customers see these errors"
step risks reject "$STAGING" --reason "staging is not production"
step risks approve "$STAGING" || echo "(refused, as it should be)"
step risks merge "$QUEUE" --into "$WORKER" --note "the queue grows when the worker swaps"
step risks approve "$WORKER"        # nobody assigned: takes the suggestion (carol owns it)
step risks assign "$WORKER" zed || echo "(refused: zed is not in team.members)"
step risks log "$WORKER" --countermeasure "heap profiling on one host" --as erin
step risks set "$WORKER" "cause=invoice cache never evicts" "next=cap the cache"
step risks show "$WORKER"
step risks list
step audit
step team load
step review --format html -o "$DEMO/review.html"

if command -v chromium >/dev/null; then
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d)" --screenshot="$PWD/$DEMO/review.png" \
    --window-size=1200,1600 "file://$PWD/$DEMO/review.html" 2>/dev/null
  echo "screenshot of the review: $DEMO/review.png"
fi
echo "monthly review: $DEMO/review.html"
