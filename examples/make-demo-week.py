#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# make-demo-week.py - writes examples/demo-week/, the recorded Datadog week
# that `srr sweep --replay` reads in the README's first command. The answers
# follow Datadog's real response shapes (see shared notes: v1 query with ms
# timestamps, some as floats, null points, unit objects; v2 log search with
# cursor paging whose last page is {"data":[]} with no meta; v2 timeseries
# batching the plain metric queries that share the window; logs aggregate
# for counts, then one page of recent events for samples when a count fires).
# The requests are exactly the ones srr makes (a replay compares them).
#
# The week, for a plausible "shop" system:
#   worker-memory   billing-worker RSS grows slowly all week on one host
#   disk-usage      the postgres data volume is filling up (a known fix)
#   checkout-5xx    checkout's 5xx errors spike on one day
#   staging-errors  errors on staging (the policy ignores staging)
#   api-latency, queue-depth, payment-timeouts: quiet
#
# Deterministic (fixed seed): rerunning it rewrites identical files.
import json, math, os, random, shutil

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo-week")
END = 1795392000          # 2026-11-23T00:00:00Z, the end of the recorded window
START = END - 7 * 86400
STEP = 3600
GIB = 1024 ** 3
rnd = random.Random(20261123)


def write(check, n, request, body):
    d = os.path.join(OUT, check)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "%03d.request.json" % n), "w") as f:
        json.dump(request, f, indent=2)
        f.write("\n")
    with open(os.path.join(d, "%03d.response.json" % n), "w") as f:
        f.write(body)


def metric_answer(query, series):
    out = {"status": "ok", "res_type": "time_series", "resp_version": 1, "query": query,
           "from_date": START * 1000, "to_date": END * 1000,
           "group_by": sorted({t.split(":")[0] for s in series for t in s["tags"]}),
           "message": "", "times": [], "values": [], "series": []}
    for s in series:
        pts = []
        for i, v in enumerate(s["values"]):
            ts = (START + i * STEP) * 1000
            # Datadog sends timestamps as floats in some answers: mix both.
            pts.append([float(ts) if i % 2 else ts, v])
        scope = ",".join(s["scope"])
        out["series"].append({
            "metric": s["metric"], "display_name": s["metric"],
            "expression": "%s{%s}" % (s["metric"], scope), "scope": scope,
            "tag_set": s["tags"], "aggr": s.get("aggr"), "query_index": 0, "attributes": {},
            "start": START * 1000, "end": (END - STEP) * 1000, "interval": STEP,
            "length": len(pts), "unit": s["unit"], "pointlist": pts})
    return json.dumps(out, separators=(",", ":"))


V2_BATCH = []   # (query, series) of the plain queries, in config order


def v2_check(query, series):
    V2_BATCH.append((query, series))


def write_v2_batch(check):
    # One POST /api/v2/query/timeseries for every plain query of the window,
    # recorded under the first check of the batch.
    queries = [{"data_source": "metrics", "name": "q%d" % i, "query": q}
               for i, (q, _) in enumerate(V2_BATCH)]
    formulas = [{"formula": "q%d" % i} for i in range(len(V2_BATCH))]
    body = {"data": {"type": "timeseries_request",
                     "attributes": {"from": START * 1000, "to": END * 1000,
                                    "queries": queries, "formulas": formulas}}}
    times = [(START + i * STEP) * 1000 for i in range(N)]
    series, values = [], []
    for qi, (_, ss) in enumerate(V2_BATCH):
        for s in ss:
            series.append({"group_tags": s["tags"], "query_index": qi, "unit": s["unit"]})
            values.append(s["values"])
    ans = {"data": {"id": "0", "type": "timeseries_response",
                    "attributes": {"series": series, "times": times, "values": values}}}
    write(check, 1, {"method": "POST", "path": "/api/v2/query/timeseries", "body": body,
                     "status": 200}, json.dumps(ans, separators=(",", ":")))


def metric_check(check, query, series):
    write(check, 1, {"method": "GET", "path": "/api/v1/query",
                     "query": {"from": str(START), "to": str(END), "query": query},
                     "status": 200}, metric_answer(query, series))


N = 7 * 24
BYTE = {"family": "bytes", "name": "byte", "plural": "bytes", "scale_factor": 1.0,
        "short_name": "B", "id": 2}
PCT = {"family": "percentage", "name": "percent", "plural": "percent", "scale_factor": 1.0,
       "short_name": "%", "id": 17}
SEC = {"family": "time", "name": "second", "plural": "seconds", "scale_factor": 1.0,
       "short_name": "s", "id": 11}


def with_gaps(values, every):
    # Agents miss a flush now and then: Datadog answers null for that point.
    return [None if i % every == every - 1 else v for i, v in enumerate(values)]


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    with open(os.path.join(OUT, "sweep.json"), "w") as f:
        json.dump({"window_end": END, "recorded_at": "2026-11-23T00:05:12Z"}, f, indent=2)
        f.write("\n")

    # worker-memory: w-1 grows ~3.3%/day (a slow leak nobody explained), w-2 is flat.
    grow = [1.20 * GIB * (1 + 0.0014 * i) + rnd.gauss(0, 0.01 * GIB) for i in range(N)]
    flat = [0.90 * GIB + rnd.gauss(0, 0.01 * GIB) for _ in range(N)]
    q = "avg:process.rss{service:billing-worker,env:prod} by {host}"
    v2_check(q, [
        {"metric": "process.rss", "scope": ["env:prod", "host:billing-worker-1",
                                            "service:billing-worker"],
         "tags": ["host:billing-worker-1"], "unit": [BYTE, None],
         "values": with_gaps(grow, 41)},
        {"metric": "process.rss", "scope": ["env:prod", "host:billing-worker-2",
                                            "service:billing-worker"],
         "tags": ["host:billing-worker-2"], "unit": [BYTE, None], "values": flat}])

    # disk-usage: the postgres data volume fills from 78% to 91%; root is quiet.
    data = [78 + 13 * i / (N - 1) + rnd.gauss(0, 0.2) for i in range(N)]
    root = [41 + rnd.gauss(0, 0.3) for _ in range(N)]
    q = "max:system.disk.in_use{service:postgres,env:prod} by {device} * 100"
    metric_check("disk-usage", q, [
        {"metric": "system.disk.in_use", "scope": ["device:/dev/nvme1n1", "env:prod",
                                                   "service:postgres"],
         "tags": ["device:/dev/nvme1n1"], "unit": [PCT, None], "values": data},
        {"metric": "system.disk.in_use", "scope": ["device:/dev/root", "env:prod",
                                                   "service:postgres"],
         "tags": ["device:/dev/root"], "unit": [PCT, None], "values": with_gaps(root, 29)}])

    # api-latency: quiet, p95 around 180 ms (the answer is in seconds).
    lat = [0.18 + 0.02 * math.sin(i / 4.0) + rnd.gauss(0, 0.01) for i in range(N)]
    q = "p95:trace.http.request.duration{service:api,env:prod}"
    v2_check(q, [
        {"metric": "trace.http.request.duration", "scope": ["env:prod", "service:api"],
         "tags": [], "unit": [SEC, None], "values": lat}])

    # queue-depth: quiet; unit is null, as Datadog sends for unitless metrics.
    depth = [max(0.0, 120 + 40 * math.sin(i / 3.0) + rnd.gauss(0, 10)) for i in range(N)]
    q = "avg:rabbitmq.queue.messages{service:billing-worker,env:prod}"
    v2_check(q, [{"metric": "rabbitmq.queue.messages", "tags": [], "unit": None,
                  "values": depth}])
    write_v2_batch("worker-memory")

    # checkout-5xx: 240 errors, most of them on Thursday between 14:00 and 16:00.
    def log_event(i, ts, service, env, status_code, msg):
        iso = "%s.%03dZ" % (__import__("time").strftime("%Y-%m-%dT%H:%M:%S",
                                                       __import__("time").gmtime(ts)),
                            rnd.randrange(1000))
        return {"id": "AQAAAZ%016x" % (ts * 1000 + i), "type": "log", "attributes": {
            "timestamp": iso, "status": "error", "service": service,
            "host": "i-0%07x" % rnd.randrange(16 ** 7), "message": msg,
            "tags": ["env:%s" % env, "service:%s" % service, "source:python"],
            "attributes": {"http": {"status_code": status_code, "method": "POST",
                                    "url_details": {"path": "/api/v1/checkout"}},
                           "duration": rnd.randrange(2, 4) * 1000000000}}}

    spike_start = START + 3 * 86400 + 14 * 3600
    times = sorted([spike_start + rnd.randrange(7200) for _ in range(214)] +
                   [START + rnd.randrange(7 * 86400) for _ in range(26)])
    msgs = ["payment gateway timeout after 3000ms", "upstream connect error: inventory-svc",
            "POST /api/v1/checkout returned 503: circuit open"]
    events = [log_event(i, t, "checkout", "prod", rnd.choice([502, 503, 504]),
                        rnd.choice(msgs)) for i, t in enumerate(times)]
    counted_logs("checkout-5xx",
                 "service:checkout env:prod status:error @http.status_code:>=500", events, 100)

    # payment-timeouts: quiet, three events, one page, no cursor at all.
    events = [log_event(i, START + rnd.randrange(7 * 86400), "payments", "prod", 504,
                        "card authorisation timed out after 10s") for i in range(3)]
    counted_logs("payment-timeouts", "service:payments env:prod \"timed out\"", events, 50)

    # staging-errors: noisy but only staging.
    events = [log_event(i, START + rnd.randrange(7 * 86400), "checkout", "staging", 500,
                        "NullPointerException in CartMapper") for i in range(25)]
    counted_logs("staging-errors", "service:checkout env:staging status:error", events, 10)


def counted_logs(check, query, events, threshold, facet="service"):
    # POST /api/v2/logs/analytics/aggregate: count by the check's group_by.
    filt = {"query": query, "from": str(START * 1000), "to": str(END * 1000)}
    body = {"compute": [{"aggregation": "count", "type": "total"}], "filter": filt,
            "group_by": [{"facet": facet, "limit": 10000, "missing": "n/a"}], "page": {}}
    counts = {}
    for e in events:
        v = e["attributes"][facet]
        counts[v] = counts.get(v, 0) + 1
    buckets = [{"by": {facet: k}, "computes": {"c0": n}} for k, n in sorted(counts.items())]
    ans = {"meta": {"elapsed": rnd.randrange(40, 140), "request_id": "pddv1Ch%012x" %
                    rnd.randrange(16 ** 12), "status": "done"}, "data": {"buckets": buckets}}
    write(check, 1, {"method": "POST", "path": "/api/v2/logs/analytics/aggregate",
                     "body": body, "status": 200}, json.dumps(ans, separators=(",", ":")))
    if not any(n > threshold for n in counts.values()):
        return
    # A group fired: one page of the 10 most recent events, for samples.
    recent = sorted(events, key=lambda e: e["attributes"]["timestamp"], reverse=True)[:10]
    body = {"filter": filt, "page": {"limit": 10}, "sort": "-timestamp"}
    ans = {"data": recent, "meta": {"elapsed": rnd.randrange(40, 140), "status": "done",
                                    "request_id": "pddv1Ch%012x" % rnd.randrange(16 ** 12),
                                    "page": {"after": "eyJhZnRlciI6IkFRQUFBWl%08x" %
                                             rnd.randrange(16 ** 8)}}}
    write(check, 2, {"method": "POST", "path": "/api/v2/logs/events/search", "body": body,
                     "status": 200}, json.dumps(ans, separators=(",", ":")))


def paged_logs(check, query, events, limit, final_cursor=True):
    pages = [events[i:i + limit] for i in range(0, len(events), limit)] or [[]]
    n = 1
    cursor = None
    for p, page in enumerate(pages):
        body = {"filter": {"query": query, "from": str(START * 1000), "to": str(END * 1000)},
                "page": {"limit": limit}, "sort": "timestamp"}
        if cursor:
            body["page"]["cursor"] = cursor
        last = p == len(pages) - 1
        ans = {"data": page, "links": {}, "meta": {"elapsed": rnd.randrange(40, 140),
                                                   "request_id": "pddv1Ch%012x" % rnd.randrange(16 ** 12),
                                                   "status": "done", "page": {}, "warnings": []}}
        cursor = None
        if not last or final_cursor:
            cursor = "eyJhZnRlciI6IkFRQUFBWl%08x" % rnd.randrange(16 ** 8)
            ans["meta"]["page"]["after"] = cursor
            ans["links"]["next"] = ("https://api.datadoghq.com/api/v2/logs/events?"
                                    "page%%5Bcursor%%5D=%s&page%%5Blimit%%5D=%d" % (cursor, limit))
        else:
            del ans["meta"]["page"]
            del ans["links"]
        write(check, n, {"method": "POST", "path": "/api/v2/logs/events/search", "body": body,
                         "status": 200}, json.dumps(ans, separators=(",", ":")))
        n += 1
    if final_cursor:
        body = {"filter": {"query": query, "from": str(START * 1000), "to": str(END * 1000)},
                "page": {"limit": limit, "cursor": cursor}, "sort": "timestamp"}
        # Datadog's real last page: exactly {"data":[]}, no meta, no links.
        write(check, n, {"method": "POST", "path": "/api/v2/logs/events/search", "body": body,
                         "status": 200}, '{"data":[]}')


if __name__ == "__main__":
    main()
