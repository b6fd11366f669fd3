/* SPDX-License-Identifier: Apache-2.0
 *
 * bench_sweep.c - the sweep's collectors against the fake Datadog
 * (DESIGN.md section 7). Run by `./scripts/bench.sh sweep`. Three figures:
 *
 *   1. latency: 200 checks (100 plain metric queries sharing a window, so
 *      batched 10 per v2 request, and 100 log counts, one aggregate each),
 *      every answer delayed 50 ms, datadog.max_concurrency 4, a generous
 *      limit announced on every answer. Printed: wall time / (ceil(requests
 *      / concurrency) x latency), target <= 1.25;
 *   2. rate limit: the same fake announcing 20 requests per second, 120
 *      requests: requests that arrived past the announced limit (target 0);
 *   3. memory: a new-pattern log check paging through 1 000 and then
 *      1 000 000 matching events (pages of 1000), each size in a child
 *      process that reports its peak RSS (VmHWM); target: the difference is
 *      < 20 MB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "datadog.h"
#include "detectors.h"
#include "fake_dd.h"
#include "rules.h"

#define FROM_S 1767225600LL
#define TO_S (FROM_S + 7 * 86400LL)
#define LATENCY_MS 50
#define CONC 4
#define TS_PATH "/api/v2/query/timeseries"
#define AGG_PATH "/api/v2/logs/analytics/aggregate"
#define LOGS_PATH "/api/v2/logs/events/search"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static srr_dd_client *client(fake_dd *f, long long max_pages)
{
    srr_dd_config cfg = {0};
    cfg.api_key = "bench-api";
    cfg.app_key = "bench-app";
    cfg.timeout_s = 30;
    cfg.connect_timeout_s = 5;
    cfg.max_concurrency = CONC;
    cfg.max_attempts = 4;
    cfg.log_page_limit = 1000;
    cfg.max_log_pages = max_pages;
    srr_dd_client *c = NULL;
    srr_error err = {0};
    if (srr_dd_client_create(&cfg, fake_dd_url(f), SRR_DD_LIVE, NULL, &c, &err) != SRR_OK) {
        fprintf(stderr, "bench_sweep: %s\n", err.msg);
        exit(1);
    }
    return c;
}

static int failures;

static void on_metrics(void *ud, srr_rc rc, srr_metric_result *res, const srr_error *err)
{
    (void)ud;
    (void)res;
    if (rc != SRR_OK) {
        failures++;
        fprintf(stderr, "  failed: %s\n", err ? err->msg : "?");
    }
}

static int on_bucket(void *ud, const char *const *v, size_t n, double c)
{
    (void)ud, (void)v, (void)n, (void)c;
    return 0;
}

static void on_done(void *ud, srr_rc rc, size_t n, const srr_error *err)
{
    (void)ud, (void)n;
    if (rc != SRR_OK) {
        failures++;
        fprintf(stderr, "  failed: %s\n", err ? err->msg : "?");
    }
}

/* Queues the 200 checks of figure 1 on a run. */
static void add_200_checks(srr_dd_run *r)
{
    const char *gb[] = {"service"};
    for (int i = 0; i < 100; i++) {
        char name[32], q[96];
        snprintf(name, sizeof name, "metric-%03d", i);
        snprintf(q, sizeof q, "avg:app.metric_%03d{env:prod} by {host}", i);
        srr_dd_run_metrics(r, name, q, FROM_S, TO_S, on_metrics, NULL);
    }
    for (int i = 0; i < 100; i++) {
        char name[32], q[96];
        snprintf(name, sizeof name, "logs-%03d", i);
        snprintf(q, sizeof q, "service:svc-%03d status:error", i);
        srr_dd_run_aggregate(r, name, q, gb, 1, FROM_S, TO_S, on_bucket, on_done, NULL);
    }
}

static void serve_checks(fake_dd *f)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    (void)srr_buf_printf(&b, "{\"data\":{\"id\":\"0\",\"type\":\"timeseries_response\","
                             "\"attributes\":{\"series\":[");
    for (int q = 0; q < 10; q++)
        (void)srr_buf_printf(&b, "%s{\"group_tags\":[\"host:h%d\"],\"query_index\":%d,\"unit\":null}",
                             q ? "," : "", q, q);
    (void)srr_buf_printf(&b, "],\"times\":[");
    for (int t = 0; t < 168; t++)
        (void)srr_buf_printf(&b, "%s%lld", t ? "," : "", (FROM_S + t * 3600LL) * 1000);
    (void)srr_buf_printf(&b, "],\"values\":[");
    for (int q = 0; q < 10; q++) {
        (void)srr_buf_printf(&b, "%s[", q ? "," : "");
        for (int t = 0; t < 168; t++)
            (void)srr_buf_printf(&b, "%s%d.5", t ? "," : "", 100 + t);
        (void)srr_buf_printf(&b, "]");
    }
    (void)srr_buf_printf(&b, "]}}}");
    int r1 = fake_dd_add(f, "POST", TS_PATH, NULL, 200, NULL, b.data);
    int r2 = fake_dd_add(f, "POST", AGG_PATH, NULL, 200, NULL,
                         "{\"meta\":{\"status\":\"done\"},\"data\":{\"buckets\":[{\"by\":"
                         "{\"service\":\"svc\"},\"computes\":{\"c0\":3}}]}}");
    fake_dd_set_delay(f, r1, LATENCY_MS);
    fake_dd_set_delay(f, r2, LATENCY_MS);
    srr_buf_free(&b);
}

static void figure_latency(void)
{
    fake_dd *f = fake_dd_start();
    serve_checks(f);
    fake_dd_set_ratelimit(f, "bench_generous", 100000, 3600);
    srr_dd_client *c = client(f, 1000);
    srr_dd_run *r = srr_dd_run_create(c);
    add_200_checks(r);
    srr_error err = {0};
    double t0 = now_s();
    srr_dd_run_go(r, &err);
    double wall = now_s() - t0;
    unsigned long req = srr_dd_client_stats(c)->requests;
    double floor_s = (double)((req + CONC - 1) / CONC) * LATENCY_MS / 1000.0;
    printf("1. latency: 200 checks (100 metrics batched into v2 requests, 100 log aggregates), "
           "%d ms per answer, max_concurrency %d\n",
           LATENCY_MS, CONC);
    printf("   requests %lu, peak in flight %u, failures %d\n", req, fake_dd_max_inflight(f),
           failures);
    printf("   wall %.3f s / floor ceil(%lu/%d) x %d ms = %.3f s  ->  ratio %.3f  (target <= "
           "1.25)\n",
           wall, req, CONC, LATENCY_MS, floor_s, wall / floor_s);
    srr_dd_run_destroy(&r);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

static void figure_rate_limit(void)
{
    fake_dd *f = fake_dd_start();
    int rt = fake_dd_add(f, "GET", "/api/v1/query", NULL, 200, NULL,
                         "{\"status\":\"ok\",\"series\":[]}");
    fake_dd_set_delay(f, rt, 5);
    fake_dd_set_ratelimit(f, "bench_tight", 20, 1);
    srr_dd_client *c = client(f, 1000);
    srr_dd_run *r = srr_dd_run_create(c);
    for (int i = 0; i < 120; i++) {
        char name[32];
        snprintf(name, sizeof name, "v1-%03d", i);
        srr_dd_run_metrics(r, name, "avg:x{*} * 2", FROM_S, TO_S, on_metrics, NULL);
    }
    srr_error err = {0};
    double t0 = now_s();
    srr_dd_run_go(r, &err);
    double wall = now_s() - t0;
    const srr_dd_stats *st = srr_dd_client_stats(c);
    printf("2. rate limit: 120 requests against an announced 20 per 1 s\n");
    printf("   requests past the announced limit: %u  (target 0); 429s received %lu; waits for "
           "a reset %lu (%.1f s summed over requests); wall %.2f s (floor ~%.0f s)\n",
           fake_dd_over_limit(f), st->http_429, st->rl_waits, (double)st->rl_wait_ms / 1000.0,
           wall, 120.0 / 20 - 1);
    srr_dd_run_destroy(&r);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

/* ---- memory ---- */

static long vm_hwm_kb(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (fp && fgets(line, sizeof line, fp))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (fp)
        fclose(fp);
    return kb;
}

static srr_pattern_detector *g_pd;

static int on_event(void *ud, const srr_log_event *ev)
{
    (*(size_t *)ud)++;
    srr_pattern_add(g_pd, ev);
    return 0;
}

/* In a child: pages through `pages` pages and reports VmHWM (kB) on fd. */
static void child_search(fake_dd *f, long pages, int fd)
{
    static const char yaml[] = "checks:\n  - {name: pat, source: logs, query: \"*\", when: "
                               "\"new_pattern >= 1\"}\n";
    srr_config *cfg = NULL;
    srr_ruleset *rs = NULL;
    srr_error err = {0};
    if (srr_config_parse("b.yaml", yaml, strlen(yaml), &cfg, &err) != SRR_OK ||
        srr_rules_compile(cfg, &rs, &err) != SRR_OK) {
        fprintf(stderr, "%s\n", err.msg);
        _exit(1);
    }
    srr_detect_ctx ctx = {0, FROM_S, TO_S, NULL};
    g_pd = srr_pattern_detector_create(rs, &ctx);
    srr_dd_client *c = client(f, pages + 10);
    size_t n = 0;
    srr_rc rc = srr_dd_search_logs(c, "pat", "*", FROM_S, TO_S, on_event, &n, NULL, &err);
    srr_signal_list out = {0};
    srr_pattern_finish(g_pd, &out, &err);
    long kb = vm_hwm_kb();
    char msg[96];
    int len = snprintf(msg, sizeof msg, "%ld %zu %d\n", kb, n, (int)rc);
    if (write(fd, msg, (size_t)len) != len)
        _exit(1);
    srr_signal_list_clear(&out);
    srr_pattern_detector_destroy(g_pd);
    srr_dd_client_destroy(&c);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
    _exit(0);
}

static long measure(fake_dd *f, long pages, size_t *events)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        child_search(f, pages, p[1]);
    }
    close(p[1]);
    char buf[96] = "";
    ssize_t got = read(p[0], buf, sizeof buf - 1);
    close(p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    long kb = -1;
    int rc = -1;
    if (got > 0)
        sscanf(buf, "%ld %zu %d", &kb, events, &rc);
    return rc == 0 ? kb : -1;
}

static void figure_memory(void)
{
    /* One page of 1000 events (~270 B each), served again and again. */
    srr_buf b;
    srr_buf_init(&b, 0);
    (void)srr_buf_printf(&b, "{\"data\":[");
    for (int i = 0; i < 1000; i++)
        (void)srr_buf_printf(&b,
                             "%s{\"id\":\"AQAAAZ%016d\",\"type\":\"log\",\"attributes\":{"
                             "\"timestamp\":\"2026-01-01T00:00:%02d.%03dZ\",\"status\":\"error\","
                             "\"service\":\"checkout\",\"host\":\"i-0%07d\",\"message\":"
                             "\"payment %d failed for order %d after %d ms (kind %d)\","
                             "\"tags\":[\"env:prod\",\"service:checkout\"]}}",
                             i ? "," : "", i, i % 60, i, i * 7, i * 13, i * 31, i % 500, i % 37);
    (void)srr_buf_printf(&b, "],\"meta\":{\"status\":\"done\",\"page\":{\"after\":\"next\"}}}");
    size_t events[2] = {0, 0};
    long kb[2];
    long pages[2] = {1, 1000};
    for (int k = 0; k < 2; k++) {
        fake_dd *f = fake_dd_start();
        fake_dd_add_n(f, "POST", LOGS_PATH, NULL, 200, NULL, b.data, (unsigned)pages[k]);
        fake_dd_add(f, "POST", LOGS_PATH, NULL, 200, NULL, "{\"data\":[]}");
        double t0 = now_s();
        kb[k] = measure(f, pages[k], &events[k]);
        printf("   %8zu events: peak RSS %.1f MB (%.1f s)\n", events[k], (double)kb[k] / 1024.0,
               now_s() - t0);
        fake_dd_stop(&f);
    }
    printf("3. memory: peak RSS difference 1 000 vs 1 000 000 events: %.1f MB  (target < 20 MB)\n",
           (double)(kb[1] - kb[0]) / 1024.0);
    srr_buf_free(&b);
}

int main(void)
{
    figure_latency();
    figure_rate_limit();
    printf("3. memory (a new_pattern check paging through all events, in a child process):\n");
    fflush(stdout);
    figure_memory();
    return failures ? 1 : 0;
}
