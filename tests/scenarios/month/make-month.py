#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# make-month.py - writes the month scenario that tests/unit/test_month.c runs
# (README, "A month of srr"): five weekly windows of a small shop, as the
# answers Datadog gives to what srr asks (the same shapes as
# examples/make-demo-week.py: a v2 timeseries batch for the metric checks,
# logs aggregates, a page of recent events for samples when a count fires),
# week-N/<check>/NNN.{request,response}.json, plus the monitor alerts
# Datadog's webhook posts between the sweeps (week-N/alerts.json) and
# scenario.json: the timeline and the ground truth - which things are true
# risks, which are backlog, which are noise - written here, before srr runs.
#
# Deterministic (fixed seed): rerunning it rewrites identical files.
import json, os, random, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
WEEK = 7 * 86400
W1 = 1793577600            # 2026-11-02T00:00:00Z, the end of the first window
ENDS = [W1 + i * WEEK for i in range(5)]
STEP = 3600
MB = 1000 ** 2
rnd = random.Random(20261102)

BYTES = [{"family": "bytes", "name": "byte", "plural": "bytes", "scale_factor": 1.0,
          "short_name": "B", "id": 2}, None]
SECONDS = [{"family": "time", "name": "second", "plural": "seconds", "scale_factor": 1.0,
            "short_name": "s", "id": 11}, None]

# The metric checks, in the config's order (one v2 batch per window).
METRICS = [
    ("worker-memory", "avg:process.rss{service:billing-worker} by {pod}"),
    ("disk-usage", "max:postgres.disk.used_pct{service:postgres} by {device}"),
    ("api-latency", "p95:trace.http.request.duration{service:api}"),
    ("queue-depth", "avg:rabbitmq.queue.messages{service:billing-worker}"),
    ("web-cpu", "max:system.cpu.user{service:web} by {host}"),
]
LOGS = {
    "checkout-5xx": ("service:checkout env:prod status:error @http.status_code:>=500", "checkout"),
    "payment-timeouts": ("service:payments env:prod \"timed out\"", "payments"),
    "search-errors": ("service:search env:prod status:error", "search"),
    "staging-errors": ("service:checkout env:staging status:error", "checkout"),
}
# Log counts per week (index 0 = week 1); a count over the check's limit fires.
COUNTS = {
    "checkout-5xx": [240, 310, 280, 350, 300],   # > 100 every week: a standing risk
    "payment-timeouts": [20, 80, 120, 30, 90],   # > 50 from week 2: a risk
    "search-errors": [10, 12, 400, 8, 9],        # one deploy in week 3: noise
    "staging-errors": [25, 30, 28, 40, 33],      # staging: ignored
}


def write(week, check, n, request, body):
    d = os.path.join(HERE, "week-%d" % week, check)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "%03d.request.json" % n), "w") as f:
        json.dump(request, f, indent=2)
        f.write("\n")
    with open(os.path.join(d, "%03d.response.json" % n), "w") as f:
        f.write(json.dumps(body, separators=(",", ":")))


def ramp(a, b, n, jitter):
    return [round(a + (b - a) * i / (n - 1) + rnd.uniform(-jitter, jitter), 3) for i in range(n)]


def metric_series(week, end):
    """The series of each metric check in the window ending at `end`."""
    n = WEEK // STEP
    k = week - 1
    out = {}
    # worker-memory: a leak on every pod, ~20 %/week, all month (true risk).
    mem = []
    for pod, base in (("w-1", 700), ("w-2", 760), ("w-3", 720)):
        start = base * MB * 1.2 ** k
        mem.append((["pod:%s" % pod], BYTES, ramp(start, start * 1.2, n, 2 * MB)))
    out["worker-memory"] = mem
    # disk-usage: sda flat; sdb fills up, over 85% from week 3 (backlog).
    sdb = [78, 82, 86.5, 89, 91.5][k]
    out["disk-usage"] = [(["device:/dev/sda"], None, ramp(60, 60.5, n, 0.2)),
                         (["device:/dev/sdb"], None, ramp(sdb - 1.5, sdb, n, 0.1))]
    # api-latency: one blip of three hours in week 1 (noise).
    lat = ramp(0.2, 0.22, n, 0.02)
    if week == 1:
        for i in (50, 51, 52):
            lat[i] = 0.8
    out["api-latency"] = [([], SECONDS, lat)]
    out["queue-depth"] = [([], None, ramp(100, 120, n, 10))]
    # web-cpu: three hosts spike once in week 1 (noise, one thing per host).
    cpu = []
    for h in range(1, 9):
        v = ramp(40, 42, n, 3)
        if week == 1 and h in (3, 5, 7):
            v[20 * h] = 95
        cpu.append((["host:web-%d" % h], None, v))
    out["web-cpu"] = cpu
    return out


def metrics_week(week, end):
    start = end - WEEK
    series = metric_series(week, end)
    times = list(range(start * 1000, end * 1000, STEP * 1000))
    req = {"method": "POST", "path": "/api/v2/query/timeseries", "body": {"data": {
        "type": "timeseries_request", "attributes": {
            "from": start * 1000, "to": end * 1000,
            "queries": [{"data_source": "metrics", "name": "q%d" % i, "query": q}
                        for i, (_, q) in enumerate(METRICS)],
            "formulas": [{"formula": "q%d" % i} for i in range(len(METRICS))]}}},
        "status": 200}
    ser, vals = [], []
    for i, (name, _) in enumerate(METRICS):
        for tags, unit, v in series[name]:
            ser.append({"group_tags": tags, "query_index": i, "unit": unit})
            vals.append(v)
    body = {"data": {"id": "0", "type": "timeseries_response",
                     "attributes": {"series": ser, "times": times, "values": vals}}}
    write(week, METRICS[0][0], 1, req, body)


def logs_week(week, end):
    start = end - WEEK
    for check, (query, service) in LOGS.items():
        count = COUNTS[check][week - 1]
        req = {"method": "POST", "path": "/api/v2/logs/analytics/aggregate", "body": {
            "compute": [{"aggregation": "count", "type": "total"}],
            "filter": {"query": query, "from": str(start * 1000), "to": str(end * 1000)},
            "group_by": [{"facet": "service", "limit": 10000, "missing": "n/a"}],
            "page": {}}, "status": 200}
        body = {"meta": {"elapsed": 40, "request_id": "month-%d-%s" % (week, check),
                         "status": "done"},
                "data": {"buckets": [{"by": {"service": service}, "computes": {"c0": count}}]}}
        write(week, check, 1, req, body)
        limit = {"checkout-5xx": 100, "payment-timeouts": 50, "search-errors": 100,
                 "staging-errors": 10}[check]
        if count <= limit:
            continue
        # a count that fires: srr asks one page of recent events for samples
        req = {"method": "POST", "path": "/api/v2/logs/events/search", "body": {
            "filter": {"query": query, "from": str(start * 1000), "to": str(end * 1000)},
            "page": {"limit": 10}, "sort": "-timestamp"}, "status": 200}
        events = [{"id": "AQAAAZmonth%d%s%02d" % (week, service, i), "type": "log",
                   "attributes": {"timestamp": "2026-11-01T0%d:00:00.000Z" % (i % 10),
                                  "status": "error", "service": service, "host": "i-%04d" % i,
                                  "message": "%s: upstream timed out after 2000 ms" % service,
                                  "tags": ["env:prod", "service:%s" % service]}}
                  for i in range(3)]
        write(week, check, 2, req, {"data": events, "meta": {"status": "done"}})


def alert(at, monitor, name, transition, scope, tags, n):
    return {"id": "77165482340%08d" % n, "alert_id": monitor, "alert_transition": transition,
            "title": "[%s on {%s}] %s" % (transition, scope, name), "alert_scope": scope,
            "tags": tags, "date": str(at * 1000), "alert_priority": "P2"}


def alerts():
    """Webhook alerts between the sweeps, per week (index 0: before week 1's)."""
    pay = ("48213377", "Payments p99 high", "env:prod,service:payments,team:payments")
    cpu = ("55501234", "Search CPU high", "env:prod,service:search,team:search")
    db = ("60000001", "DB disk almost full", "env:prod,service:postgres")
    weeks = [[] for _ in range(5)]
    n = 0
    # week 2: the payments monitor flaps on two hosts (true risk, flapping)
    t = ENDS[0] + 86400
    for i, (tr, host) in enumerate([("Triggered", "pay-01"), ("Recovered", "pay-01"),
                                    ("Triggered", "pay-02"), ("Recovered", "pay-02"),
                                    ("Triggered", "pay-01"), ("Recovered", "pay-01")]):
        n += 1
        weeks[1].append(alert(t + i * 3 * 3600, pay[0], pay[1], tr, "host:" + host,
                              pay[2] + ",host:" + host, n))
    # week 3: the db disk monitor fires once and recovers (noise)
    t = ENDS[1] + 2 * 86400
    for i, tr in enumerate(["Triggered", "Recovered"]):
        n += 1
        weeks[2].append(alert(t + i * 7200, db[0], db[1], tr, "host:db-1",
                              db[2] + ",host:db-1", n))
    # week 4: the search CPU monitor flaps across hosts: one thing per service
    t = ENDS[2] + 86400
    for i, (tr, host) in enumerate([("Triggered", "s-1"), ("Recovered", "s-1"),
                                    ("Triggered", "s-2"), ("Recovered", "s-2"),
                                    ("Triggered", "s-1"), ("Recovered", "s-1")]):
        n += 1
        weeks[3].append(alert(t + i * 4 * 3600, cpu[0], cpu[1], tr, "host:" + host,
                              cpu[2] + ",host:" + host, n))
    return weeks


def main():
    for w in range(1, 6):
        shutil.rmtree(os.path.join(HERE, "week-%d" % w), ignore_errors=True)
    weeks = alerts()
    for w, end in enumerate(ENDS, start=1):
        metrics_week(w, end)
        logs_week(w, end)
        with open(os.path.join(HERE, "week-%d" % w, "alerts.json"), "w") as f:
            json.dump(weeks[w - 1], f, indent=2)
            f.write("\n")
    scenario = {
        "org": "a small shop: checkout, payments, search, a billing worker, postgres",
        "window_ends": ENDS,
        "truth": [
            {"thing": "worker-memory service:billing-worker", "truth": "risk",
             "why": "a leak on every pod, ~20%/week all month: the investigation cannot "
                    "explain it, so it becomes a risk"},
            {"thing": "checkout-5xx service:checkout", "truth": "risk",
             "why": "customer-facing 5xx every week"},
            {"thing": "payment-timeouts service:payments", "truth": "risk",
             "why": "payment timeouts from week 2"},
            {"thing": "48213377 service:payments", "truth": "risk", "flapping": True,
             "why": "Payments p99 monitor flaps three times in week 2 on two hosts"},
            {"thing": "55501234 service:search", "truth": "risk", "flapping": True,
             "why": "Search CPU monitor flaps three times in week 4 across hosts"},
            {"thing": "disk-usage device:/dev/sdb", "truth": "backlog",
             "why": "a filling volume, over 85% from week 3: a known fix"},
            {"thing": "api-latency", "truth": "noise", "why": "one 3-hour blip in week 1"},
            {"thing": "web-cpu host:web-3", "truth": "noise", "why": "one spike in week 1"},
            {"thing": "web-cpu host:web-5", "truth": "noise", "why": "one spike in week 1"},
            {"thing": "web-cpu host:web-7", "truth": "noise", "why": "one spike in week 1"},
            {"thing": "search-errors service:search", "truth": "noise",
             "why": "one bad deploy in week 3"},
            {"thing": "staging-errors service:checkout", "truth": "noise",
             "why": "staging: ignored"},
            {"thing": "60000001 env:prod,host:db-1,service:postgres", "truth": "noise",
             "why": "DB disk monitor fired once and recovered two hours later"},
        ],
        "budgets": [5, 20],
    }
    with open(os.path.join(HERE, "scenario.json"), "w") as f:
        json.dump(scenario, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
