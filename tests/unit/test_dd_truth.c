/* SPDX-License-Identifier: Apache-2.0
 *
 * test_dd_truth.c - the Datadog client reads Datadog truthfully (issue 19),
 * against the fake Datadog on 127.0.0.1: partial answers are told as
 * SRR_EPARTIAL (aggregate meta.status timeout, search warnings, v2
 * per-query errors), one bad answer does not sink its neighbours (a
 * batched 500 asked member by member), a host that does not resolve fails
 * at once naming the site, hung aggregates still use max_concurrency, a
 * limit shared by logs search and aggregate is never overrun, the
 * rate-limit wait is wall time, and the aggregate's timeseries compute
 * comes back as points.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datadog.h"
#include "dd_client_fixture.h"
#include "dd_internal.h"
#include "fake_dd.h"

#define FROM_S 1767225600LL
#define TO_S 1767229200LL
#define TS_PATH "/api/v2/query/timeseries"
#define AGG_PATH "/api/v2/logs/analytics/aggregate"
#define LOGS_PATH "/api/v2/logs/events/search"

static srr_dd_client *client(fake_dd *f, int conc, int attempts)
{
    return ddf_client(fake_dd_url(f), NULL, conc, attempts);
}

/* ---- what one piece of work got back ---- */

typedef struct got {
    int n, ok, partial, fail;
    size_t series, buckets, events, points;
    srr_rc last;
    char err[1024];
} got;

static void note(got *g, srr_rc rc, const srr_error *err)
{
    g->n++;
    g->last = rc;
    if (rc == SRR_OK)
        g->ok++;
    else if (rc == SRR_EPARTIAL)
        g->partial++;
    else
        g->fail++;
    if (rc != SRR_OK)
        snprintf(g->err, sizeof g->err, "%s", err ? err->msg : "?");
}

static void on_metrics(void *ud, srr_rc rc, srr_metric_result *res, const srr_error *err)
{
    got *g = ud;
    note(g, rc, err);
    if (rc == SRR_OK || rc == SRR_EPARTIAL)
        g->series += res->nseries;
}

static void on_done(void *ud, srr_rc rc, size_t n, const srr_error *err)
{
    (void)n;
    note(ud, rc, err);
}

static int on_bucket(void *ud, const char *const *v, size_t nv, double count)
{
    (void)v;
    (void)nv;
    (void)count;
    ((got *)ud)->buckets++;
    return 0;
}

static int on_event(void *ud, const srr_log_event *ev)
{
    (void)ev;
    ((got *)ud)->events++;
    return 0;
}

static int on_series(void *ud, const char *const *v, size_t nv, const srr_point *pts, size_t np)
{
    (void)v;
    (void)nv;
    got *g = ud;
    g->buckets++;
    g->points += np;
    for (size_t i = 1; i < np; i++)
        cr_assert(pts[i].ts_ms > pts[i - 1].ts_ms, "points in time order");
    return 0;
}

static void go(srr_dd_run *r)
{
    srr_error err = {0};
    cr_assert_eq(srr_dd_run_go(r, &err), SRR_OK, "%s", err.msg);
}

/* Adds checks i = from..to-1, named "<prefix>-<i>", each reporting to
 * g[i]: log searches when `logs`, aggregates otherwise. */
static void add_checks(srr_dd_run *r, const char *prefix, int logs, got *g, int from, int to)
{
    for (int i = from; i < to; i++) {
        char name[16];
        snprintf(name, sizeof name, "%s-%d", prefix, i);
        if (logs)
            srr_dd_run_logs(r, name, "*", FROM_S, TO_S, 0, 0, 0, on_event, on_done, &g[i]);
        else
            srr_dd_run_aggregate(r, name, "*", NULL, 0, FROM_S, TO_S, on_bucket, on_done, &g[i]);
    }
}

/* Destroys the run, the client and the fake of a test. */
static void finish(srr_dd_run **r, srr_dd_client **c, fake_dd **f)
{
    srr_dd_run_destroy(r);
    srr_dd_client_destroy(c);
    fake_dd_stop(f);
}

static const char *AGG_OK = "{\"meta\":{\"status\":\"done\"},\"data\":{\"buckets\":["
                            "{\"by\":{\"service\":\"checkout\"},\"computes\":{\"c0\":240}}]}}";

/* ---- partial answers ------------------------------------------------------ */

Test(truth, aggregate_timeout_and_warnings_are_partial)
{
    fake_dd *f = fake_dd_start();
    fake_dd_add(f, "POST", AGG_PATH, "timeout-q", 200, NULL,
                "{\"meta\":{\"status\":\"timeout\",\"elapsed\":30000},\"data\":{\"buckets\":["
                "{\"by\":{\"service\":\"checkout\"},\"computes\":{\"c0\":12}}]}}");
    fake_dd_add(f, "POST", AGG_PATH, "warn-q", 200, NULL,
                "{\"meta\":{\"status\":\"done\",\"warnings\":[{\"code\":\"unknown_index\","
                "\"title\":\"One or several indexes are missing or invalid, results hold data "
                "from the other indexes\",\"detail\":\"archive\"}]},\"data\":{\"buckets\":[]}}");
    fake_dd_add(f, "POST", AGG_PATH, "fine-q", 200, NULL, AGG_OK);
    srr_dd_client *c = client(f, 2, 1);
    srr_dd_run *r = srr_dd_run_create(c);
    got t = {0}, w = {0}, ok = {0};
    const char *gb[] = {"service"};
    srr_dd_run_aggregate(r, "t", "timeout-q", gb, 1, FROM_S, TO_S, on_bucket, on_done, &t);
    srr_dd_run_aggregate(r, "w", "warn-q", gb, 1, FROM_S, TO_S, on_bucket, on_done, &w);
    srr_dd_run_aggregate(r, "ok", "fine-q", gb, 1, FROM_S, TO_S, on_bucket, on_done, &ok);
    go(r);
    cr_assert_eq(t.last, SRR_EPARTIAL, "%s", srr_rc_str(t.last));
    cr_assert_eq(t.buckets, 1, "what arrived is still delivered");
    cr_assert(strstr(t.err, "check 't'") && strstr(t.err, "timeout"), "%s", t.err);
    cr_assert_eq(w.last, SRR_EPARTIAL);
    cr_assert(strstr(w.err, "unknown_index"), "%s", w.err);
    cr_assert_eq(ok.last, SRR_OK);
    finish(&r, &c, &f);
}

Test(truth, search_timeout_and_warnings_are_partial)
{
    fake_dd *f = fake_dd_start();
    fake_dd_add(f, "POST", LOGS_PATH, NULL, 200, NULL,
                "{\"data\":[{\"id\":\"a\",\"type\":\"log\",\"attributes\":{\"message\":\"m\"}}],"
                "\"meta\":{\"status\":\"done\",\"page\":{\"after\":\"c2\"}}}");
    fake_dd_add(f, "POST", LOGS_PATH, NULL, 200, NULL,
                "{\"data\":[{\"id\":\"b\",\"type\":\"log\",\"attributes\":{\"message\":\"m\"}}],"
                "\"meta\":{\"status\":\"timeout\",\"warnings\":[{\"code\":\"timeout\","
                "\"title\":\"query timed out\"}]}}");
    srr_dd_client *c = client(f, 2, 1);
    srr_dd_run *r = srr_dd_run_create(c);
    got g = {0};
    srr_dd_run_logs(r, "s", "*", FROM_S, TO_S, 0, 0, 0, on_event, on_done, &g);
    go(r);
    cr_assert_eq(g.last, SRR_EPARTIAL);
    cr_assert_eq(g.events, 2);
    cr_assert(strstr(g.err, "meta.status is \"timeout\"") && strstr(g.err, "query timed out"), "%s",
              g.err);
    finish(&r, &c, &f);
}

static const char *V2_ONE = "{\"data\":{\"type\":\"timeseries_response\",\"attributes\":{"
                            "\"series\":[{\"group_tags\":[\"host:a\"],\"query_index\":0,"
                            "\"unit\":null}],\"times\":[1767225600000],\"values\":[[1]]}}}";

Test(truth, v2_per_query_errors_are_asked_alone_then_partial)
{
    /* The batch's answer carries series and `errors`: nobody can tell whose
     * query failed, so each is asked alone; the one whose answer still
     * carries errors is partial, the other whole. */
    fake_dd *f = fake_dd_start();
    const char *with_errors =
        "{\"data\":{\"type\":\"timeseries_response\",\"attributes\":{\"series\":[{\"group_tags\""
        ":[\"host:a\"],\"query_index\":0,\"unit\":null}],\"times\":[1767225600000],\"values\":[["
        "1]]}},\"errors\":\"query q1: metric not found in some regions\"}";
    int bad = fake_dd_add(f, "POST", TS_PATH, "m.flaky", 200, NULL, with_errors);
    int good = fake_dd_add(f, "POST", TS_PATH, NULL, 200, NULL, V2_ONE);
    srr_dd_client *c = client(f, 2, 1);
    srr_dd_run *r = srr_dd_run_create(c);
    got a = {0}, b = {0};
    srr_dd_run_metrics(r, "a", "avg:m.good{*} by {host}", FROM_S, TO_S, on_metrics, &a);
    srr_dd_run_metrics(r, "b", "avg:m.flaky{*} by {host}", FROM_S, TO_S, on_metrics, &b);
    go(r);
    cr_assert_eq(fake_dd_hits(f, bad), 2, "the batch, then b alone");
    cr_assert_eq(fake_dd_hits(f, good), 1, "a alone");
    cr_assert_eq(a.last, SRR_OK, "%s", a.err);
    cr_assert_eq(b.last, SRR_EPARTIAL, "%s", srr_rc_str(b.last));
    cr_assert_eq(b.series, 1, "what came back is delivered with it");
    cr_assert(strstr(b.err, "metric not found") && strstr(b.err, "'b'"), "%s", b.err);
    finish(&r, &c, &f);
}

/* ---- neighbours ----------------------------------------------------------- */

Test(truth, batched_500_is_asked_member_by_member)
{
    /* Datadog answers 500 to any request holding m.heavy: the batch fails
     * once (not retried as a batch), its members are asked alone, and only
     * m.heavy's check fails - after its own retries. */
    fake_dd *f = fake_dd_start();
    int heavy = fake_dd_add(f, "POST", TS_PATH, "m.heavy", 500, NULL, "{\"errors\":[\"oops\"]}");
    int fine = fake_dd_add(f, "POST", TS_PATH, NULL, 200, NULL, V2_ONE);
    srr_dd_client *c = client(f, 2, 3);
    srr_dd_run *r = srr_dd_run_create(c);
    got g[3] = {{0}};
    srr_dd_run_metrics(r, "one", "avg:m.one{*}", FROM_S, TO_S, on_metrics, &g[0]);
    srr_dd_run_metrics(r, "heavy", "avg:m.heavy{*}", FROM_S, TO_S, on_metrics, &g[1]);
    srr_dd_run_metrics(r, "two", "avg:m.two{*}", FROM_S, TO_S, on_metrics, &g[2]);
    go(r);
    cr_assert_eq(g[0].last, SRR_OK, "%s", g[0].err);
    cr_assert_eq(g[2].last, SRR_OK, "%s", g[2].err);
    cr_assert_eq(g[1].last, SRR_RETRY);
    cr_assert(strstr(g[1].err, "'heavy'") && strstr(g[1].err, "500"), "%s", g[1].err);
    cr_assert_eq(fake_dd_hits(f, heavy), 1 + 3, "the batch once, then heavy's three attempts");
    cr_assert_eq(fake_dd_hits(f, fine), 2);
    finish(&r, &c, &f);
}

Test(truth, dns_failure_fails_at_once_naming_the_site)
{
    srr_dd_client *c = ddf_client("https://api.srr-test.invalid", "srr-test.invalid", 2, 4);
    srr_dd_run *r = srr_dd_run_create(c);
    got g = {0};
    srr_dd_run_metrics(r, "cpu", "avg:m{*} * 2", FROM_S, TO_S, on_metrics, &g);
    go(r);
    cr_assert_eq(g.last, SRR_EIO, "%s: %s", srr_rc_str(g.last), g.err);
    cr_assert(strstr(g.err, "api.srr-test.invalid") && strstr(g.err, "site 'srr-test.invalid'") &&
                  strstr(g.err, "DD_SITE"),
              "%s", g.err);
    cr_assert_eq(srr_dd_client_stats(c)->retries, 0, "a name that does not resolve is not retried");
    srr_dd_run_destroy(&r);
    srr_dd_client_destroy(&c);
}

Test(truth, hung_aggregates_use_max_concurrency, .timeout = 60)
{
    /* Every aggregate hangs past the client's timeout. The first request of
     * the path (the probe) gets no answer, so the others must not wait for
     * one another: max_concurrency of them are in flight at once. */
    fake_dd *f = fake_dd_start();
    int rt = fake_dd_add(f, "POST", AGG_PATH, NULL, 200, NULL, AGG_OK);
    fake_dd_set_delay(f, rt, 4000);
    srr_dd_client *c = client(f, 4, 1);
    srr_dd_client_set_timeout_ms(c, 400);
    srr_dd_run *r = srr_dd_run_create(c);
    got g[9] = {{0}};
    add_checks(r, "agg", 0, g, 0, 9);
    go(r);
    for (int i = 0; i < 9; i++)
        cr_assert_eq(g[i].last, SRR_RETRY, "%d: %s", i, g[i].err);
    cr_assert_eq(fake_dd_hits(f, rt), 9);
    cr_assert_eq(srr_dd_client_stats(c)->peak_inflight, 4,
                 "hung requests ran one at a time (%d at most)",
                 srr_dd_client_stats(c)->peak_inflight);
    finish(&r, &c, &f);
}

Test(truth, a_limit_shared_by_search_and_aggregate_is_never_overrun, .timeout = 60)
{
    /* One announced limit (as logs_public_search_api) counts both paths: a
     * path not known yet is held by its family's bucket, so the first
     * aggregate does not go past the Remaining: 0 searches announced. */
    fake_dd *f = fake_dd_start();
    fake_dd_add(f, "POST", AGG_PATH, NULL, 200, NULL, AGG_OK);
    fake_dd_add(f, "POST", LOGS_PATH, NULL, 200, NULL, "{\"data\":[]}");
    fake_dd_set_ratelimit(f, "logs_public_search_api", 2, 1);
    srr_dd_client *c = client(f, 4, 1);
    srr_dd_run *r = srr_dd_run_create(c);
    got g[10] = {{0}};
    add_checks(r, "c", 1, g, 0, 5);
    add_checks(r, "c", 0, g, 5, 10);
    go(r);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(g[i].last, SRR_OK, "%d: %s", i, g[i].err);
    cr_assert_eq(fake_dd_over_limit(f), 0, "%u request(s) past the announced limit",
                 fake_dd_over_limit(f));
    finish(&r, &c, &f);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(truth, rate_limit_wait_is_wall_time, .timeout = 60)
{
    /* Many requests held together by one reset count the wait once. */
    fake_dd *f = fake_dd_start();
    fake_dd_add(f, "POST", AGG_PATH, NULL, 200, NULL, AGG_OK);
    fake_dd_set_ratelimit(f, "logs_public_search_api", 2, 1);
    srr_dd_client *c = client(f, 4, 1);
    srr_dd_run *r = srr_dd_run_create(c);
    got g[8] = {{0}};
    add_checks(r, "c", 0, g, 0, 8);
    int64_t t0 = mono_ms();
    go(r);
    int64_t wall = mono_ms() - t0;
    const srr_dd_stats *st = srr_dd_client_stats(c);
    cr_assert(st->rl_waits >= 2, "several requests waited (%lu)", st->rl_waits);
    cr_assert(st->rl_wait_ms > 0);
    cr_assert(st->rl_wait_ms <= wall, "a wait of %lld ms in a run of %lld ms",
              (long long)st->rl_wait_ms, (long long)wall);
    cr_assert_eq(fake_dd_over_limit(f), 0);
    finish(&r, &c, &f);
}

Test(truth, aggregate_timeseries_comes_back_as_points)
{
    fake_dd *f = fake_dd_start();
    int rt = fake_dd_add(
        f, "POST", AGG_PATH, NULL, 200, NULL,
        "{\"meta\":{\"status\":\"done\"},\"data\":{\"buckets\":[{\"by\":{\"service\":\"pay\"},"
        "\"computes\":{\"c0\":[{\"time\":\"2026-01-01T00:00:00.000Z\",\"value\":3},"
        "{\"time\":\"2026-01-01T01:00:00.000Z\",\"value\":90}]}}]}}");
    srr_dd_client *c = client(f, 2, 1);
    srr_dd_run *r = srr_dd_run_create(c);
    got g = {0};
    const char *gb[] = {"service"};
    srr_dd_run_aggregate_series(r, "spiky", "status:error", gb, 1, FROM_S, TO_S, 3600, on_series,
                                on_done, &g);
    go(r);
    cr_assert_eq(g.last, SRR_OK, "%s", g.err);
    cr_assert_eq(g.buckets, 1);
    cr_assert_eq(g.points, 2);
    char *body = fake_dd_last_body(f);
    cr_assert(strstr(body, "\"type\":\"timeseries\"") && strstr(body, "\"interval\":\"1h\""), "%s",
              body);
    free(body);
    cr_assert_eq(fake_dd_hits(f, rt), 1);
    finish(&r, &c, &f);
}
