/* SPDX-License-Identifier: Apache-2.0
 *
 * test_collectors.c - the Datadog client's run API against the fake Datadog:
 * concurrency bounds, announced rate limits (zero requests past them), 429
 * with and without headers, 5xx then success, a hung connection, broken
 * bodies, 403 with object errors, v2 batching (and splitting a refused
 * batch), logs aggregate, every site's API host, and the sweep state.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "datadog.h"
#include "dd_client_fixture.h"
#include "dd_internal.h"
#include "fake_dd.h"
#include "sweep_state.h"
#include "testutil.h"

#define FROM_S 1767225600LL
#define TO_S 1767229200LL
#define TS_PATH "/api/v2/query/timeseries"
#define V1_PATH "/api/v1/query"
#define AGG_PATH "/api/v2/logs/analytics/aggregate"

static const char *V1_OK = "{\"status\":\"ok\",\"series\":[{\"metric\":\"m\",\"tag_set\":[],"
                           "\"pointlist\":[[1767225600000,1.0]]}]}";

static srr_dd_client *client(fake_dd *f, int conc, int attempts)
{
    return ddf_client(fake_dd_url(f), NULL, conc, attempts);
}

typedef struct got {
    int n, ok, fail;
    size_t series;
    char err[1024];
} got;

static void on_metrics(void *ud, srr_rc rc, srr_metric_result *res, const srr_error *err)
{
    got *g = ud;
    g->n++;
    if (rc == SRR_OK) {
        g->ok++;
        g->series += res->nseries;
    } else {
        g->fail++;
        snprintf(g->err, sizeof g->err, "%s", err ? err->msg : "?");
    }
}

/* Runs `n` v1 queries (distinct checks) through one run. */
static void run_v1(srr_dd_client *c, int n, got *g)
{
    srr_dd_run *r = srr_dd_run_create(c);
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "check-%d", i);
        srr_dd_run_metrics(r, name, "avg:m{*} * 2", FROM_S, TO_S, on_metrics, g);
    }
    srr_error err = {0};
    cr_assert_eq(srr_dd_run_go(r, &err), SRR_OK, "%s", err.msg);
    srr_dd_run_destroy(&r);
}

Test(collectors, concurrency_is_bounded_and_used)
{
    fake_dd *f = fake_dd_start();
    int rt = fake_dd_add(f, "GET", V1_PATH, NULL, 200, NULL, V1_OK);
    fake_dd_set_delay(f, rt, 150);
    srr_dd_client *c = client(f, 4, 1);
    got g = {0};
    run_v1(c, 12, &g);
    cr_assert_eq(g.ok, 12, "%s", g.err);
    cr_assert_eq(fake_dd_max_inflight(f), 4);
    cr_assert_eq(srr_dd_client_stats(c)->requests, 12);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(collectors, announced_limit_is_never_exceeded, .timeout = 30)
{
    fake_dd *f = fake_dd_start();
    fake_dd_add(f, "GET", V1_PATH, NULL, 200, NULL, V1_OK);
    fake_dd_set_ratelimit(f, "metrics_query", 5, 1);
    srr_dd_client *c = client(f, 4, 1);
    got g = {0};
    run_v1(c, 14, &g);
    cr_assert_eq(g.ok, 14, "%s", g.err);
    cr_assert_eq(fake_dd_over_limit(f), 0, "requests sent past the announced limit");
    cr_assert_eq(srr_dd_client_stats(c)->http_429, 0);
    cr_assert(srr_dd_client_stats(c)->rl_waits > 0, "it must have waited for resets");
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(collectors, http_429_with_reset_then_ok, .timeout = 30)
{
    fake_dd *f = fake_dd_start();
    int rt = fake_dd_add(f, "GET", V1_PATH, NULL, 429,
                         "X-RateLimit-Reset: 1\nX-RateLimit-Remaining: 0\nX-RateLimit-Name: q",
                         "<html>Too Many Requests</html>");
    fake_dd_add(f, "GET", V1_PATH, NULL, 200, NULL, V1_OK);
    srr_dd_client *c = client(f, 2, 3);
    got g = {0};
    run_v1(c, 1, &g);
    cr_assert_eq(g.ok, 1, "%s", g.err);
    cr_assert_eq(fake_dd_hits(f, rt), 2);
    cr_assert_eq(srr_dd_client_stats(c)->http_429, 1);
    srr_dd_client_destroy(&c);

    /* Without headers and with an empty body: backoff, then success. */
    fake_dd_reset(f);
    rt = fake_dd_add(f, "GET", V1_PATH, NULL, 429, NULL, "");
    fake_dd_add(f, "GET", V1_PATH, NULL, 200, NULL, V1_OK);
    c = client(f, 2, 3);
    memset(&g, 0, sizeof g);
    run_v1(c, 1, &g);
    cr_assert_eq(g.ok, 1, "%s", g.err);
    cr_assert_eq(fake_dd_hits(f, rt), 2);
    srr_dd_client_destroy(&c);

    /* A reset further than rate_limit_max_wait fails at once. */
    fake_dd_reset(f);
    fake_dd_add(f, "GET", V1_PATH, NULL, 429, "X-RateLimit-Reset: 3600", "");
    c = client(f, 2, 3);
    c->rl_max_wait_ms = 5000;
    memset(&g, 0, sizeof g);
    run_v1(c, 1, &g);
    cr_assert_eq(g.fail, 1);
    cr_assert(strstr(g.err, "rate_limit_max_wait"), "%s", g.err);
    cr_assert_eq(fake_dd_total_hits(f), 1);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(collectors, server_errors_then_ok_and_bounded)
{
    fake_dd *f = fake_dd_start();
    int rt = fake_dd_add(f, "GET", V1_PATH, NULL, 500, NULL, "");
    fake_dd_add(f, "GET", V1_PATH, NULL, 502, "Content-Type: text/html", "<html>Bad Gateway</html>");
    fake_dd_add(f, "GET", V1_PATH, NULL, 503, NULL, "{\"errors\":[\"Unavailable\"]}");
    fake_dd_add(f, "GET", V1_PATH, NULL, 200, NULL, V1_OK);
    srr_dd_client *c = client(f, 2, 4);
    got g = {0};
    run_v1(c, 1, &g);
    cr_assert_eq(g.ok, 1, "%s", g.err);
    cr_assert_eq(fake_dd_hits(f, rt), 4);
    cr_assert_eq(srr_dd_client_stats(c)->retries, 3);
    srr_dd_client_destroy(&c);

    fake_dd_reset(f);
    rt = fake_dd_add(f, "GET", V1_PATH, NULL, 503, NULL, "");
    c = client(f, 2, 3);
    memset(&g, 0, sizeof g);
    run_v1(c, 1, &g);
    cr_assert_eq(g.fail, 1);
    cr_assert_eq(fake_dd_hits(f, rt), 3);
    cr_assert(strstr(g.err, "gave up after 3 attempts") && strstr(g.err, "check-0"), "%s", g.err);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(collectors, hung_connection_times_out, .timeout = 30)
{
    fake_dd *f = fake_dd_start();
    int rt = fake_dd_add(f, "GET", V1_PATH, NULL, 200, NULL, V1_OK);
    fake_dd_set_delay(f, rt, 3000);
    srr_dd_client *c = client(f, 2, 2);
    srr_dd_client_set_timeout_ms(c, 300);
    got g = {0};
    run_v1(c, 1, &g);
    cr_assert_eq(g.fail, 1);
    cr_assert(strstr(g.err, "timed out") || strstr(g.err, "Timeout"), "%s", g.err);
    cr_assert_eq(fake_dd_hits(f, rt), 2, "a timeout is retried");
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

static const char *V2_TWO =
    "{\"data\":{\"id\":\"0\",\"type\":\"timeseries_response\",\"attributes\":{"
    "\"series\":[{\"group_tags\":[\"host:a\"],\"query_index\":0,\"unit\":null},"
    "{\"group_tags\":[\"host:b\"],\"query_index\":0,\"unit\":[{\"short_name\":\"B\"},null]},"
    "{\"group_tags\":[],\"query_index\":2,\"unit\":null}],"
    "\"times\":[1767225600000,1767229200000],"
    "\"values\":[[1,2],[3,null],[5,6]]}}}";

typedef struct per_check {
    got g[4];
} per_check;

Test(collectors, v2_batches_checks_sharing_a_window)
{
    fake_dd *f = fake_dd_start();
    int ts = fake_dd_add(f, "POST", TS_PATH, NULL, 200, NULL, V2_TWO);
    int v1 = fake_dd_add(f, "GET", V1_PATH, NULL, 200, NULL, V1_OK);
    srr_dd_client *c = client(f, 4, 1);
    srr_dd_run *r = srr_dd_run_create(c);
    per_check pc = {0};
    srr_dd_run_metrics(r, "a", "avg:m.one{*} by {host}", FROM_S, TO_S, on_metrics, &pc.g[0]);
    srr_dd_run_metrics(r, "b", "max:m.two{env:prod}.rollup(max, 3600)", FROM_S, TO_S,
                       on_metrics, &pc.g[1]);
    srr_dd_run_metrics(r, "c", "sum:m.three{*}.as_count()", FROM_S, TO_S, on_metrics, &pc.g[2]);
    srr_dd_run_metrics(r, "d", "avg:m.one{*} * 100", FROM_S, TO_S, on_metrics, &pc.g[3]);
    srr_error err = {0};
    cr_assert_eq(srr_dd_run_go(r, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(fake_dd_hits(f, ts), 1, "three plain queries, one request");
    cr_assert_eq(fake_dd_hits(f, v1), 1, "arithmetic goes to v1");
    cr_assert_eq(pc.g[0].series, 2);
    cr_assert_eq(pc.g[1].series, 0);
    cr_assert_eq(pc.g[2].series, 1);
    cr_assert_eq(pc.g[3].ok, 1);
    srr_dd_run_destroy(&r);
    char *body = NULL;
    fake_dd_reset(f);
    /* A refused batch is asked query by query, so one bad query sinks only
     * its own check. */
    fake_dd_add(f, "POST", TS_PATH, "m.bad", 400, NULL, "{\"errors\":[\"bad query m.bad\"]}");
    fake_dd_add(f, "POST", TS_PATH, NULL, 200, NULL, V2_TWO);
    r = srr_dd_run_create(c);
    memset(&pc, 0, sizeof pc);
    srr_dd_run_metrics(r, "a", "avg:m.one{*} by {host}", FROM_S, TO_S, on_metrics, &pc.g[0]);
    srr_dd_run_metrics(r, "b", "avg:m.bad{*}", FROM_S, TO_S, on_metrics, &pc.g[1]);
    cr_assert_eq(srr_dd_run_go(r, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(pc.g[0].ok, 1, "%s", pc.g[0].err);
    cr_assert_eq(pc.g[1].fail, 1);
    cr_assert(strstr(pc.g[1].err, "bad query m.bad") && strstr(pc.g[1].err, "'b'"), "%s",
              pc.g[1].err);
    cr_assert_eq(fake_dd_total_hits(f), 3);
    free(body);
    srr_dd_run_destroy(&r);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(collectors, v2_errors_truncated_html_and_403_objects)
{
    static const struct {
        int status;
        const char *body, *want;
    } cases[] = {
        {200, "{\"data\":{\"attributes\":{\"series\":[],\"times\":[],\"values\":[]}},"
              "\"errors\":\"query parse error: bad metric\"}",
         "query parse error"},
        {200, "{\"data\":{\"attributes\":{\"series\":[{\"group_tags\":[],\"query_in", "not JSON"},
        {200, "<html>maintenance</html>", "not JSON"},
        {403, "{\"errors\":[{\"status\":\"403\",\"title\":\"Forbidden\",\"detail\":\"missing "
              "timeseries_query\"}]}",
         "Forbidden: missing timeseries_query"},
    };
    fake_dd *f = fake_dd_start();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_dd_reset(f);
        int rt = fake_dd_add(f, "POST", TS_PATH, NULL, cases[i].status, NULL, cases[i].body);
        srr_dd_client *c = client(f, 2, 3);
        srr_dd_run *r = srr_dd_run_create(c);
        got g = {0};
        srr_dd_run_metrics(r, "cpu", "avg:cpu{*}", FROM_S, TO_S, on_metrics, &g);
        srr_error err = {0};
        cr_assert_eq(srr_dd_run_go(r, &err), SRR_OK);
        cr_assert_eq(g.fail, 1, "case %zu", i);
        cr_assert(strstr(g.err, cases[i].want) && strstr(g.err, "check 'cpu'"), "case %zu: %s", i,
                  g.err);
        cr_assert_eq(fake_dd_hits(f, rt), 1, "case %zu: no retry", i);
        cr_assert_null(strstr(g.err, "k-test-123"));
        srr_dd_run_destroy(&r);
        srr_dd_client_destroy(&c);
    }
    fake_dd_stop(&f);
}

typedef struct buckets {
    char seen[8][64];
    double counts[8];
    int n;
    srr_rc rc;
} buckets;

static int on_bucket(void *ud, const char *const *v, size_t n, double count)
{
    buckets *b = ud;
    if (b->n < 8) {
        snprintf(b->seen[b->n], sizeof b->seen[0], "%s|%s", n > 0 ? v[0] : "", n > 1 ? v[1] : "");
        b->counts[b->n++] = count;
    }
    return 0;
}

static void on_agg_done(void *ud, srr_rc rc, size_t n, const srr_error *err)
{
    (void)n;
    (void)err;
    ((buckets *)ud)->rc = rc;
}

Test(collectors, aggregate_counts_by_facets_with_paging)
{
    fake_dd *f = fake_dd_start();
    int rt = fake_dd_add(
        f, "POST", AGG_PATH, NULL, 200, NULL,
        "{\"meta\":{\"status\":\"done\",\"page\":{\"after\":\"p2\"}},\"data\":{\"buckets\":["
        "{\"by\":{\"service\":\"checkout\",\"@http.status_code\":503},\"computes\":{\"c0\":240}}]}}");
    fake_dd_add(f, "POST", AGG_PATH, NULL, 200, NULL,
                "{\"meta\":{\"status\":\"done\"},\"data\":{\"buckets\":["
                "{\"by\":{\"service\":\"search\",\"@http.status_code\":\"n/a\"},"
                "\"computes\":{\"c0\":7.0}}]}}");
    srr_dd_client *c = client(f, 2, 1);
    srr_dd_run *r = srr_dd_run_create(c);
    buckets b = {0};
    const char *gb[] = {"service", "@http.status_code"};
    srr_dd_run_aggregate(r, "errs", "status:error", gb, 2, FROM_S, TO_S, on_bucket, on_agg_done,
                         &b);
    srr_error err = {0};
    cr_assert_eq(srr_dd_run_go(r, &err), SRR_OK);
    cr_assert_eq(b.rc, SRR_OK);
    cr_assert_eq(b.n, 2);
    cr_assert_str_eq(b.seen[0], "checkout|503");
    cr_assert_eq(b.counts[0], 240);
    cr_assert_str_eq(b.seen[1], "search|n/a");
    cr_assert_eq(fake_dd_hits(f, rt), 2);
    char *body = fake_dd_last_body(f);
    cr_assert(strstr(body, "\"cursor\":\"p2\"") && strstr(body, "\"limit\":100") &&
                  strstr(body, "\"aggregation\":\"count\""),
              "%s", body);
    free(body);
    srr_dd_run_destroy(&r);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(collectors, which_queries_v2_serves)
{
    cr_assert(srr_dd_query_is_v2("avg:process.rss{service:a,env:prod} by {host}"));
    cr_assert(srr_dd_query_is_v2("sum:trace.hits{*}.as_count()"));
    cr_assert(srr_dd_query_is_v2(" max:x.y{a:b} by {c,d}.rollup(max, 3600) "));
    cr_assert(!srr_dd_query_is_v2("max:system.disk.in_use{*} by {device} * 100"));
    cr_assert(!srr_dd_query_is_v2("anomalies(avg:x{*}, 'basic', 2)"));
    cr_assert(!srr_dd_query_is_v2("avg:a{*}, avg:b{*}"));
    cr_assert(!srr_dd_query_is_v2("system.cpu{*}"));
    cr_assert(!srr_dd_query_is_v2(NULL));
}

Test(collectors, every_site_has_its_api_host)
{
    static const char *sites[] = {"datadoghq.com",     "us3.datadoghq.com", "us5.datadoghq.com",
                                  "datadoghq.eu",      "ap1.datadoghq.com", "ap2.datadoghq.com",
                                  "ddog-gov.com",      "us2.ddog-gov.com",  "uk1.datadoghq.com"};
    static const char *hosts[] = {
        "https://api.datadoghq.com",     "https://api.us3.datadoghq.com",
        "https://api.us5.datadoghq.com", "https://api.datadoghq.eu",
        "https://api.ap1.datadoghq.com", "https://api.ap2.datadoghq.com",
        "https://api.ddog-gov.com",      "https://api.us2.ddog-gov.com",
        "https://api.uk1.datadoghq.com"};
    static const char text[] = "sweep:\n  window: 7d\n";
    for (size_t i = 0; i < 9; i++) {
        setenv("DD_SITE", sites[i], 1);
        srr_config *cfg = NULL;
        srr_error err = {0};
        cr_assert_eq(srr_config_parse("s.yaml", text, strlen(text), &cfg, &err), SRR_OK, "%s",
                     err.msg);
        char *base = srr_config_dd_base_url(cfg);
        cr_assert_str_eq(base, hosts[i]);
        char *link = srr_dd_link_logs(cfg->datadog.site, "*", FROM_S, TO_S);
        cr_assert(strncmp(link, "https://", 8) == 0 && strstr(link, sites[i]), "%s", link);
        free(link);
        free(base);
        srr_config_destroy(cfg);
    }
    unsetenv("DD_SITE");
}

Test(collectors, sweep_state_moves_forward_only)
{
    char *dir = tu_mkdtemp();
    char *path = srr_asprintf("%s/s.db", dir);
    srr_sweep_state *st = NULL;
    srr_error err = {0};
    int64_t v = 0;
    cr_assert_eq(srr_sweep_state_open(path, &st, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_sweep_state_get(st, "mem", &v, &err), SRR_ENOTFOUND);
    cr_assert_eq(srr_sweep_state_set(st, "mem", 2000, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_sweep_state_set(st, "mem", 1000, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_sweep_state_get(st, "mem", &v, &err), SRR_OK);
    cr_assert_eq(v, 2000);
    srr_sweep_state_close(&st);
    cr_assert_null(st);
    cr_assert_eq(srr_sweep_state_open(path, &st, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_sweep_state_get(st, "mem", &v, &err), SRR_OK, "survives a reopen");
    srr_sweep_state_close(&st);
    free(path);
    tu_rmdir_r(dir);
    free(dir);
}
