/* SPDX-License-Identifier: Apache-2.0
 *
 * test_truth_e2e.c - the real srr binary sweeps the fake Datadog and stores
 * only what Datadog said (issue 19), end to end into a real SQLite file:
 *   - units: a fraction, a percent, bytes, seconds and nanoseconds against
 *     conditions in other compatible units, printed in the condition's
 *     unit, and an incompatible one failing its check saying how to write
 *     it;
 *   - partial answers (an aggregate that timed out, a search that warned,
 *     the page cap, a v2 per-query error): exit 1 naming the check and why,
 *     nothing stored, and the same window judged again by the next sweep;
 *     sweep.on_partial: keep stores them marked partial;
 *   - a batched 500 answered per member; a failed samples request keeps the
 *     count;
 *   - a log spike, and a new pattern record's title, group, link and
 *     samples (printed by `srr risks show`, and by `srr investigations
 *     show` for an investigation).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_dd.h"
#include "srr.h"
#include "testutil.h"

#define NOW 1795392000LL /* 2026-11-23T00:00:00Z, a multiple of the 1h alignment */
#define WEEK 604800LL
#define START (NOW - WEEK)
#define TS_PATH "/api/v2/query/timeseries"
#define AGG_PATH "/api/v2/logs/analytics/aggregate"
#define LOGS_PATH "/api/v2/logs/events/search"

FAKE_DD_FIXTURE()

TestSuite(truth_e2e, .init = setup, .fini = teardown, .timeout = 120);

/* Writes srr.yaml: the fake Datadog, a store and spool in dir, `extra`
 * settings of the datadog and sweep sections, `checks` and `policy`. */
static char *config(const char *datadog_extra, const char *sweep_extra, const char *checks,
                    const char *policy)
{
    char *text = srr_asprintf(
        "datadog:\n  api_url: \"%s\"\n  max_attempts: 1\n%s"
        "queue:\n  spool_dir: spool\nstore:\n  path: srr.db\n"
        "sweep:\n  window: 7d\n%s"
        "checks:\n%s"
        "policy:\n%s",
        fake_dd_url(dd), datadog_extra ? datadog_extra : "", sweep_extra ? sweep_extra : "", checks,
        policy ? policy : "  default:\n    action: investigate\n    timebox: 7d\n");
    char *path = tu_write_file(dir, "srr.yaml", text);
    free(text);
    return path;
}

static void srr(tu_run *r, long long now, const char *const *args)
{
    char nowenv[64];
    snprintf(nowenv, sizeof nowenv, "SRR_NOW=%lld", now);
    const char *env[] = {nowenv,
                         "DD_API_KEY=test-api-key",
                         "DD_APP_KEY=test-app-key",
                         "DD_SITE=",
                         "SRR_CONFIG=",
                         "SRR_TEST_TIME_SCALE=0.01",
                         NULL};
    tu_srr_args(r, SRR_BIN, args, NULL, env, dir);
}

static void sweep(tu_run *r, const char *cfg, long long now)
{
    const char *args[] = {"sweep", "-c", cfg, NULL};
    srr(r, now, args);
}

/* `srr sweep` at `now`, which must succeed; what it prints is dropped. */
static void sweep_ok(const char *cfg, long long now)
{
    tu_run r;
    sweep(&r, cfg, now);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    tu_run_free(&r);
}

/* `srr <what> show <id>` at `now`, which must succeed; fills *r (free
 * with tu_run_free). */
static void show_ok(tu_run *r, const char *cfg, const char *what, const char *id, long long now)
{
    const char *args[] = {what, "show", "-c", cfg, id, NULL};
    srr(r, now, args);
    cr_assert_eq(r->status, 0, "%s", r->err);
}

/* `srr <what> list --format json` (caller decrefs). */
static json_t *list(const char *cfg, const char *what)
{
    tu_run r;
    const char *args[] = {what, "list", "-c", cfg, "--format", "json", NULL};
    srr(&r, NOW, args);
    cr_assert_eq(r.status, 0, "%s list: %s", what, r.err);
    json_t *j = json_loads(r.out, 0, NULL);
    cr_assert_not_null(j, "not JSON: %s", r.out);
    tu_run_free(&r);
    return j;
}

static const char *field(const json_t *arr, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(arr, i), key));
}

/* 1 when some entry's title contains `part`. */
/* 1 when the record titled with `part` keeps `value` as its latest value
 * (a record's title names its thing; the value it measured is kept beside
 * it, in the condition's unit). */
static int has_value(const json_t *arr, const char *part, double value)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (strstr(field(arr, i, "title"), part)) {
            double v = json_number_value(json_object_get(json_array_get(arr, i), "last_value"));
            return fabs(v - value) <= 1e-6 * (fabs(value) + 1);
        }
    return 0;
}

/* One v2 series answer entry: the query index, its unit JSON and values
 * at the window's start and end. */
static void v2_series(srr_buf *s, srr_buf *v, int qi, const char *unit, double a, double b)
{
    (void)srr_buf_printf(s, "%s{\"group_tags\":[\"host:db-01\"],\"query_index\":%d,\"unit\":%s}",
                         s->len ? "," : "", qi, unit);
    (void)srr_buf_printf(v, "%s[%.17g,%.17g]", v->len ? "," : "", a, b);
}

static char *v2_answer(srr_buf *s, srr_buf *v, const char *errors)
{
    char *out = srr_asprintf("{\"data\":{\"type\":\"timeseries_response\",\"attributes\":{"
                             "\"series\":[%s],\"times\":[%lld,%lld],\"values\":[%s]}}%s%s%s}",
                             s->data ? s->data : "", (START + 3600) * 1000, (NOW - 3600) * 1000,
                             v->data ? v->data : "", errors ? ",\"errors\":\"" : "",
                             errors ? errors : "", errors ? "\"" : "");
    srr_buf_free(s);
    srr_buf_free(v);
    return out;
}

#define UNIT(name, short_name, family, scale)                                                      \
    "[{\"family\":\"" family "\",\"name\":\"" name "\",\"plural\":\"" name "s\","                  \
    "\"scale_factor\":" scale ",\"short_name\":" short_name ",\"id\":1},null]"

Test(truth_e2e, units_of_every_series_against_the_condition)
{
    char *cfg = config(NULL, NULL,
                       "  - {name: disk, source: metrics, query: \"max:system.disk.in_use{*} by "
                       "{host}\", when: \"last > 85%\"}\n"
                       "  - {name: cpu, source: metrics, query: \"avg:system.cpu.user{*} by "
                       "{host}\", when: \"max > 85%\"}\n"
                       "  - {name: rss, source: metrics, query: \"max:process.rss{*} by {host}\", "
                       "when: \"max > 1.5GiB\"}\n"
                       "  - {name: lat, source: metrics, query: \"p95:http.latency{*} by {host}\", "
                       "when: \"max > 500ms\"}\n"
                       "  - {name: lat-ns, source: metrics, query: \"p95:grpc.latency{*} by "
                       "{host}\", when: \"max > 500ms\"}\n"
                       "  - {name: disk-bytes, source: metrics, query: \"max:system.disk.used{*} "
                       "by {host}\", when: \"last > 85%\"}\n",
                       NULL);
    srr_buf s, v;
    srr_buf_init(&s, 0);
    srr_buf_init(&v, 0);
    v2_series(&s, &v, 0, UNIT("fraction", "null", "percentage", "100.0"), 0.80, 0.91);
    v2_series(&s, &v, 1, UNIT("percent", "\"%\"", "percentage", "1.0"), 50, 93.5);
    v2_series(&s, &v, 2, UNIT("byte", "\"B\"", "bytes", "1.0"), 1e9, 1932735283.2); /* 1.8 GiB */
    v2_series(&s, &v, 3, UNIT("second", "\"s\"", "time", "1.0"), 0.2, 0.75);
    v2_series(&s, &v, 4, UNIT("nanosecond", "\"ns\"", "time", "0.000000001"), 1e8, 6e8);
    v2_series(&s, &v, 5, UNIT("byte", "\"B\"", "bytes", "1.0"), 1e9, 2e9);
    char *body = v2_answer(&s, &v, NULL);
    fake_dd_add(dd, "POST", TS_PATH, NULL, 200, NULL, body);
    free(body);

    tu_run r;
    sweep(&r, cfg, NOW);
    cr_assert_eq(r.status, 1, "an incompatible unit fails its check:\n%s\n%s", r.out, r.err);
    cr_assert(strstr(r.out, "disk-bytes") && strstr(r.out, "FAILED") &&
                  strstr(r.out, "cannot be compared") && strstr(r.out, "used / total * 100"),
              "%s", r.out);
    cr_assert(strstr(r.out, "5 new investigation(s)"), "%s", r.out);
    tu_run_free(&r);
    json_t *inv = list(cfg, "investigations");
    cr_assert_eq(json_array_size(inv), 5);
    cr_assert(has_value(inv, "disk last on host:db-01", 91), "fraction 0.91 is 91%");
    cr_assert(has_value(inv, "cpu max", 93.5));
    cr_assert(has_value(inv, "rss max", 1.8));
    cr_assert(has_value(inv, "lat max", 750));
    cr_assert(has_value(inv, "lat-ns max", 600));
    json_decref(inv);
    free(cfg);
}

/* ---- partial answers ------------------------------------------------------- */

static const char *CHECKS_PARTIAL =
    "  - {name: agg-timeout, source: logs, query: \"service:a status:error\", when: \"count > "
    "10\"}\n"
    "  - {name: search-warned, source: logs, query: \"service:b status:error\", when: "
    "\"new_pattern >= 1\"}\n"
    "  - {name: page-cap, source: logs, query: \"service:c status:error\", when: "
    "\"new_pattern >= 1\"}\n"
    "  - {name: v2-error, source: metrics, query: \"avg:m.flaky{*} by {host}\", when: \"max > "
    "1\"}\n"
    "  - {name: fine, source: logs, query: \"service:d status:error\", when: \"count > 10\"}\n";

static const char *AGG_COUNT = "{\"meta\":{\"status\":\"done\"},\"data\":{\"buckets\":[{\"by\":{},"
                               "\"computes\":{\"c0\":50}}]}}";

static char *event_page(const char *msg, const char *cursor, const char *meta_extra)
{
    return srr_asprintf("{\"data\":[{\"id\":\"e1\",\"type\":\"log\",\"attributes\":{\"timestamp\":"
                        "\"2026-11-20T10:00:00Z\",\"status\":\"error\",\"service\":\"x\","
                        "\"message\":\"%s\"}}],\"meta\":{\"status\":\"done\"%s%s%s%s}}",
                        msg, cursor ? ",\"page\":{\"after\":\"" : "", cursor ? cursor : "",
                        cursor ? "\"}" : "", meta_extra ? meta_extra : "");
}

/* Datadog answers every check of CHECKS_PARTIAL; `partial` says whether the
 * four partial shapes answer partially or whole. */
static void serve_partial(int partial)
{
    fake_dd_reset(dd);
    fake_dd_add(dd, "POST", AGG_PATH, "service:a", 200, NULL,
                partial ? "{\"meta\":{\"status\":\"timeout\"},\"data\":{\"buckets\":[{\"by\":{},"
                          "\"computes\":{\"c0\":12}}]}}"
                        : AGG_COUNT);
    fake_dd_add(dd, "POST", AGG_PATH, "service:d", 200, NULL, AGG_COUNT);
    /* new_pattern checks ask the window before, then this one: a message
     * that was there, then one that is new */
    const char *warn = partial ? ",\"warnings\":[{\"code\":\"unknown_index\",\"title\":\"some "
                                 "indexes are missing, results may be partial\"}]"
                               : NULL;
    char *p = event_page("disk is slow", NULL, warn);
    fake_dd_add(dd, "POST", LOGS_PATH, "service:b", 200, NULL, p);
    free(p);
    p = event_page("disk full on sda", NULL, warn);
    fake_dd_add(dd, "POST", LOGS_PATH, "service:b", 200, NULL, p);
    free(p);
    p = event_page("queue slow", partial ? "more-pages" : NULL, NULL);
    fake_dd_add(dd, "POST", LOGS_PATH, "service:c", 200, NULL, p);
    free(p);
    p = event_page("queue stuck", partial ? "more-pages" : NULL, NULL);
    fake_dd_add(dd, "POST", LOGS_PATH, "service:c", 200, NULL, p);
    free(p);
    fake_dd_add(dd, "POST", LOGS_PATH, "service:d", 200, NULL, "{\"data\":[]}");
    srr_buf s, v;
    srr_buf_init(&s, 0);
    srr_buf_init(&v, 0);
    v2_series(&s, &v, 0, "null", 1, 5);
    char *b = v2_answer(&s, &v, partial ? "query q0: some shards did not answer" : NULL);
    fake_dd_add(dd, "POST", TS_PATH, NULL, 200, NULL, b);
    free(b);
}

Test(truth_e2e, partial_answers_store_nothing_and_are_judged_again)
{
    char *cfg = config("  max_log_pages: 1\n", NULL, CHECKS_PARTIAL, NULL);
    tu_run r;
    /* A week of whole answers first: the sweep state knows every check. */
    serve_partial(0);
    sweep_ok(cfg, NOW - WEEK);
    json_t *before = list(cfg, "investigations");
    size_t nbefore = json_array_size(before);
    json_decref(before);

    serve_partial(1);
    sweep(&r, cfg, NOW);
    cr_assert_eq(r.status, 1, "partial answers fail the sweep:\n%s\n%s", r.out, r.err);
    static const char *const why[][2] = {
        {"agg-timeout", "meta.status is \"timeout\""},
        {"search-warned", "unknown_index"},
        {"page-cap", "datadog.max_log_pages"},
        {"v2-error", "some shards did not answer"},
    };
    for (size_t i = 0; i < 4; i++) {
        char line[64];
        snprintf(line, sizeof line, "%s", why[i][0]);
        const char *at = strstr(r.out, line);
        cr_assert(at, "%s is not named:\n%s", why[i][0], r.out);
        const char *eol = strchr(at, '\n');
        char *one = srr_strndup(at, eol ? (size_t)(eol - at) : strlen(at));
        cr_assert(strstr(one, "PARTIAL, not kept") && strstr(one, why[i][1]) &&
                      strstr(one, "judges it again"),
                  "%s", one);
        free(one);
    }
    cr_assert(strstr(r.out, "queued 1 candidate(s)"), "only the whole answer is queued:\n%s",
              r.out);
    tu_run_free(&r);
    json_t *inv = list(cfg, "investigations");
    cr_assert_eq(json_array_size(inv), nbefore, "nothing new is stored from partial answers");
    json_decref(inv);

    /* A week later Datadog answers whole: the window that was partial is
     * judged again (catch-up from the state that did not move), then the
     * new one. */
    serve_partial(0);
    sweep(&r, cfg, NOW + WEEK);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    char win[64], t[32];
    srr_time_iso(NOW, t);
    snprintf(win, sizeof win, "(window to %s)", t);
    for (size_t i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "\n  %s ", why[i][0]);
        const char *at = strstr(r.out, name);
        cr_assert(at, "%s", r.out);
        at++;
        const char *eol = strchr(at, '\n');
        char *one = srr_strndup(at, eol ? (size_t)(eol - at) : strlen(at));
        cr_assert(strstr(one, win), "%s is not judged again for its partial window: %s", why[i][0],
                  one);
        free(one);
    }
    cr_assert(strstr(r.out, "agg-timeout count") && strstr(r.out, "count 50 > ") &&
                  strstr(r.out, "v2-error max") && strstr(r.out, "max 5 > "),
              "the windows that were partial land now:\n%s", r.out);
    tu_run_free(&r);
    free(cfg);
}

Test(truth_e2e, on_partial_keep_stores_them_marked_partial)
{
    char *cfg = config("  max_log_pages: 1\n", "  on_partial: keep\n", CHECKS_PARTIAL, NULL);
    tu_run r;
    serve_partial(1);
    sweep(&r, cfg, NOW);
    cr_assert_eq(r.status, 0, "kept partial answers do not fail the sweep:\n%s\n%s", r.out, r.err);
    cr_assert(strstr(r.out, "PARTIAL answer, kept marked partial"), "%s", r.out);
    cr_assert(strstr(r.err, "kept a partial answer"), "%s", r.err);
    tu_run_free(&r);
    json_t *inv = list(cfg, "investigations");
    cr_assert_eq(json_array_size(inv), 5, "%s", json_dumps(inv, 0));
    json_decref(inv);
    free(cfg);
}

/* ---- neighbours --------------------------------------------------------------- */

Test(truth_e2e, a_batched_500_is_answered_per_member)
{
    char *cfg = config(NULL, NULL,
                       "  - {name: heavy, source: metrics, query: \"avg:m.heavy{*} by {host}\", "
                       "when: \"max > 1\"}\n"
                       "  - {name: light, source: metrics, query: \"avg:m.light{*} by {host}\", "
                       "when: \"max > 1\"}\n",
                       NULL);
    int heavy = fake_dd_add(dd, "POST", TS_PATH, "m.heavy", 500, NULL, "{\"errors\":[\"boom\"]}");
    srr_buf s, v;
    srr_buf_init(&s, 0);
    srr_buf_init(&v, 0);
    v2_series(&s, &v, 0, "null", 1, 5);
    char *b = v2_answer(&s, &v, NULL);
    int light = fake_dd_add(dd, "POST", TS_PATH, NULL, 200, NULL, b);
    free(b);
    tu_run r;
    sweep(&r, cfg, NOW);
    cr_assert_eq(r.status, 1, "%s\n%s", r.out, r.err);
    cr_assert(strstr(r.out, "heavy") && strstr(r.out, "HTTP 500"), "%s", r.out);
    cr_assert(strstr(r.out, "1 new investigation(s)"), "the neighbour lands:\n%s", r.out);
    cr_assert_eq(fake_dd_hits(dd, heavy), 2, "the batch, then heavy alone");
    cr_assert_eq(fake_dd_hits(dd, light), 1);
    tu_run_free(&r);
    free(cfg);
}

Test(truth_e2e, a_failed_samples_request_keeps_the_count)
{
    char *cfg = config(NULL, NULL,
                       "  - {name: checkout-5xx, source: logs, query: \"service:checkout "
                       "status:error\", when: \"count > 100\", group_by: [service]}\n",
                       NULL);
    fake_dd_add(dd, "POST", AGG_PATH, NULL, 200, NULL,
                "{\"meta\":{\"status\":\"done\"},\"data\":{\"buckets\":[{\"by\":{\"service\":"
                "\"checkout\"},\"computes\":{\"c0\":500}}]}}");
    int samples = fake_dd_add(dd, "POST", LOGS_PATH, NULL, 503, NULL, "");
    tu_run r;
    sweep(&r, cfg, NOW);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    cr_assert_eq(fake_dd_hits(dd, samples), 1);
    cr_assert(strstr(r.err, "sample messages could not be fetched"), "%s", r.err);
    cr_assert(strstr(r.out, "1 new investigation(s)"), "%s", r.out);
    tu_run_free(&r);
    json_t *inv = list(cfg, "investigations");
    cr_assert(has_value(inv, "checkout-5xx count on service:checkout", 500), "%s",
              field(inv, 0, "title"));
    json_decref(inv);
    free(cfg);
}

/* ---- logs a team acts on ------------------------------------------------------ */

static const char *POLICY_RISKS = "  rules:\n"
                                  "    - name: log-signals-are-risks\n"
                                  "      match: {source: logs}\n"
                                  "      action: risk\n"
                                  "      urgency: high\n"
                                  "  default:\n    action: investigate\n    timebox: 7d\n";

Test(truth_e2e, a_log_spike_in_a_flat_week)
{
    char *cfg = config(NULL, NULL,
                       "  - {name: pay-errors, source: logs, query: \"status:error\", when: "
                       "\"spike > 1000%\", group_by: [service]}\n",
                       POLICY_RISKS);
    /* Two weeks of hourly counts: payments at 10 an hour, 300 an hour for
     * three hours on Thursday; cart flat. */
    srr_buf b;
    srr_buf_init(&b, 0);
    (void)srr_buf_printf(&b, "{\"meta\":{\"status\":\"done\"},\"data\":{\"buckets\":[");
    for (int g = 0; g < 2; g++) {
        (void)srr_buf_printf(&b, "%s{\"by\":{\"service\":\"%s\"},\"computes\":{\"c0\":[",
                             g ? "," : "", g ? "cart" : "payments");
        for (int h = 0; h < 336; h++) {
            char t[32];
            srr_time_iso(START - WEEK + 3600LL * h, t);
            int v = (!g && h >= 168 + 74 && h < 168 + 77) ? 300 : 10;
            (void)srr_buf_printf(&b, "%s{\"time\":\"%s\",\"value\":%d}", h ? "," : "", t, v);
        }
        (void)srr_buf_printf(&b, "]}}");
    }
    (void)srr_buf_printf(&b, "]}}");
    int agg = fake_dd_add(dd, "POST", AGG_PATH, NULL, 200, NULL, b.data);
    srr_buf_free(&b);
    fake_dd_add(dd, "POST", LOGS_PATH, NULL, 200, NULL,
                "{\"data\":[{\"id\":\"1\",\"type\":\"log\",\"attributes\":{\"timestamp\":"
                "\"2026-11-19T02:10:00Z\",\"service\":\"payments\",\"message\":\"card "
                "processor unreachable\"}}]}");
    tu_run r;
    sweep(&r, cfg, NOW);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    cr_assert_eq(fake_dd_hits(dd, agg), 1);
    char *body = fake_dd_last_body(dd);
    char from[64];
    char t[32];
    srr_time_iso(START + 74 * 3600, t);
    snprintf(from, sizeof from, "\"from\":\"%lld\"", (long long)(START + 74 * 3600) * 1000);
    cr_assert(strstr(body, from), "samples come from the peak hour (%s): %s", t, body);
    free(body);
    tu_run_free(&r);
    json_t *risks = list(cfg, "risks");
    cr_assert_eq(json_array_size(risks), 1, "only payments spiked");
    cr_assert(has_value(risks, "pay-errors spike on service:payments", 2900), "%s: %g",
              field(risks, 0, "title"),
              json_number_value(json_object_get(json_array_get(risks, 0), "last_value")));
    cr_assert_str_eq(field(risks, 0, "service"), "payments");
    show_ok(&r, cfg, "risks", field(risks, 0, "id"), NOW);
    cr_assert(strstr(r.out, "> 2026-11-19T02:10:00Z card processor unreachable"), "%s", r.out);
    tu_run_free(&r);
    json_decref(risks);
    free(cfg);
}

Test(truth_e2e, a_new_pattern_record_title_group_link_and_samples)
{
    char *cfg = config(NULL, NULL,
                       "  - {name: new-errors, source: logs, query: \"env:prod status:error\", "
                       "when: \"new_pattern >= 2\", group_by: [service]}\n",
                       POLICY_RISKS);
    /* The week before: checkout already timed out. This week: payments too. */
    fake_dd_add(dd, "POST", LOGS_PATH, NULL, 200, NULL,
                "{\"data\":[{\"id\":\"p1\",\"type\":\"log\",\"attributes\":{\"timestamp\":"
                "\"2026-11-12T10:00:00Z\",\"service\":\"checkout\",\"message\":\"payment "
                "gateway timeout after 3000ms\"}}]}");
    fake_dd_add(dd, "POST", LOGS_PATH, NULL, 200, NULL,
                "{\"data\":["
                "{\"id\":\"c1\",\"type\":\"log\",\"attributes\":{\"timestamp\":"
                "\"2026-11-19T10:00:00Z\",\"service\":\"checkout\",\"message\":\"payment gateway "
                "timeout after 3100ms\"}},"
                "{\"id\":\"c2\",\"type\":\"log\",\"attributes\":{\"timestamp\":"
                "\"2026-11-19T10:01:00Z\",\"service\":\"payments\",\"message\":\"payment gateway "
                "timeout after 3000ms\"}},"
                "{\"id\":\"c3\",\"type\":\"log\",\"attributes\":{\"timestamp\":"
                "\"2026-11-19T10:02:00Z\",\"service\":\"payments\",\"message\":\"payment gateway "
                "timeout after 2950ms\"}}]}");
    sweep_ok(cfg, NOW);
    tu_run r;
    json_t *risks = list(cfg, "risks");
    cr_assert_eq(json_array_size(risks), 1, "new in payments only");
    cr_assert_str_eq(field(risks, 0, "title"),
                     "new-errors: new log pattern \"payment gateway timeout after <id>\" on "
                     "service:payments");
    cr_assert_str_eq(field(risks, 0, "service"), "payments");
    show_ok(&r, cfg, "risks", field(risks, 0, "id"), NOW);
    /* the link: the log search narrowed to the pattern and its group */
    cr_assert(strstr(r.out, "/logs?query=%28env%3Aprod%20status%3Aerror%29%20service%3Apayments"
                            "%20%22payment%20gateway%20timeout%20after%22"),
              "%s", r.out);
    cr_assert(strstr(r.out, "> 2026-11-19T10:01:00Z payment gateway timeout after 3000ms") &&
                  strstr(r.out, "> 2026-11-19T10:02:00Z payment gateway timeout after 2950ms"),
              "the samples are printed:\n%s", r.out);
    tu_run_free(&r);
    json_decref(risks);
    free(cfg);
}

/* The same new pattern under the default policy is investigated: the
 * samples it kept are printed by `srr investigations show` too, with the
 * weeks of occurrences up to today. */
Test(truth_e2e, an_investigation_shows_its_samples)
{
    char *cfg = config(NULL, NULL,
                       "  - {name: new-errors, source: logs, query: \"env:prod status:error\", "
                       "when: \"new_pattern >= 1\", group_by: [service]}\n",
                       NULL);
    fake_dd_add(dd, "POST", LOGS_PATH, NULL, 200, NULL, "{\"data\":[]}");
    fake_dd_add(dd, "POST", LOGS_PATH, NULL, 200, NULL,
                "{\"data\":["
                "{\"id\":\"c2\",\"type\":\"log\",\"attributes\":{\"timestamp\":"
                "\"2026-11-19T10:01:00Z\",\"service\":\"payments\",\"message\":\"ledger "
                "lock wait exceeded\\non shard 7\"}}]}");
    sweep_ok(cfg, NOW);
    tu_run r;
    json_t *invs = list(cfg, "investigations");
    cr_assert_eq(json_array_size(invs), 1, "one investigation");
    show_ok(&r, cfg, "investigations", field(invs, 0, "id"), NOW + 2 * WEEK);
    cr_assert(strstr(r.out, "> 2026-11-19T10:01:00Z ledger lock wait exceeded on shard 7"),
              "the sample is printed on one line:\n%s", r.out);
    cr_assert(strstr(r.out, "Occurrences per week (last 12 weeks, oldest first): ·········█··"),
              "counted up to today, two weeks after the sighting:\n%s", r.out);
    tu_run_free(&r);
    json_decref(invs);
    free(cfg);
}
