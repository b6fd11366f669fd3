/* SPDX-License-Identifier: Apache-2.0
 *
 * test_detect.c - the detectors of rules/detect.c on known series and log
 * events: least-squares growth (linear with noise, flat, step), null points,
 * every threshold aggregate, unit conversion, limit projection, summaries,
 * evidence bounds, and the log counter (grouping by facet, attribute and
 * tag, samples, the group cap, silence).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "config.h"
#include "rules.h"

#define T0 1767225600LL /* 2026-01-01T00:00:00Z */
#define WEEK 604800LL

static srr_config *cfg;
static srr_ruleset *rs;

static const char CHECKS[] =
    "checks:\n"
    "  - {name: disk, source: metrics, query: \"max:system.disk.in_use{*} by {device}\", when: \"max > 90%\"}\n"     /* 0 */
    "  - {name: mem, source: metrics, query: \"avg:process.rss{*} by {host}\", when: \"growth > 5%/week\"}\n"         /* 1 */
    "  - {name: mem-limit, source: metrics, query: \"avg:process.rss{*}\", when: \"growth > 1%/week\", limit: 2GiB}\n" /* 2 */
    "  - {name: any, source: metrics, query: \"avg:x{*}\", when: \"max >= -1e300\"}\n"                              /* 3 */
    "  - {name: lat, source: metrics, query: \"p99:lat{*}\", when: \"p99 > 250ms\"}\n"                               /* 4 */
    "  - {name: lat-s, source: metrics, query: \"p99:lat{*}\", when: \"p99 > 1s\"}\n"                                /* 5 */
    "  - {name: rss, source: metrics, query: \"max:rss{*}\", when: \"max > 1GiB\", service: billing, env: prod}\n"     /* 6 */
    "  - {name: errors, source: logs, query: \"status:error\", when: \"count >= 2\", group_by: [service, \"@http.status_code\", env]}\n" /* 7 */
    "  - {name: silence, source: logs, query: \"service:cron\", when: \"count < 1\"}\n"                               /* 8 */
    "  - {name: by-host, source: logs, query: \"*\", when: \"count >= 1\", group_by: [host]}\n"                         /* 9 */
    "  - {name: flat, source: metrics, query: \"avg:x{*}\", when: \"growth > 1%/week\"}\n";                          /* 10 */

static void setup(void)
{
    srr_error err = {0};
    cr_assert_eq(srr_config_parse("d.yaml", CHECKS, strlen(CHECKS), &cfg, &err), SRR_OK, "%s",
                 err.msg);
    cr_assert_eq(srr_rules_compile(cfg, &rs, &err), SRR_OK, "%s", err.msg);
}

static void teardown(void)
{
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

TestSuite(detect, .init = setup, .fini = teardown);

/* Deterministic noise in [-1, 1]. */
static double noise(unsigned i)
{
    unsigned x = i * 2654435761u;
    x ^= x >> 13;
    return (double)(x % 2001) / 1000.0 - 1.0;
}

/* A series of n points every `step_s` from T0 with values f(i). */
static void series_init(srr_series *s, const char *unit, const char *tag1, const char *tag2,
                        size_t n)
{
    memset(s, 0, sizeof *s);
    s->metric = srr_strdup("process.rss");
    s->unit = srr_strdup(unit);
    s->tags = srr_calloc(2, sizeof(char *));
    if (tag1)
        s->tags[s->ntags++] = srr_strdup(tag1);
    if (tag2)
        s->tags[s->ntags++] = srr_strdup(tag2);
    s->points = srr_calloc(n ? n : 1, sizeof *s->points);
    s->npoints = n;
}

static void result_one(srr_metric_result *r, srr_series *s)
{
    memset(r, 0, sizeof *r);
    r->series = srr_malloc(sizeof *s);
    r->series[0] = *s;
    r->nseries = 1;
}

static srr_rc run(size_t check, srr_metric_result *r, srr_signal_list *out)
{
    srr_detect_ctx ctx = {.check_index = check, .window_start = T0, .window_end = T0 + WEEK,
                          .link = "https://app.datadoghq.com/metric/explorer"};
    srr_error err = {0};
    srr_rc rc = srr_detect_metrics(rs, &ctx, r, out, &err);
    cr_assert(rc == SRR_OK || err.msg[0]);
    return rc;
}

Test(detect, linear_growth_with_noise)
{
    srr_series s;
    size_t n = 169; /* hourly over a week */
    series_init(&s, "B", "host:worker-1", "service:worker", n);
    double start = 1e9, per_s = start * 0.12 / WEEK; /* 12%/week */
    for (size_t i = 0; i < n; i++) {
        s.points[i].ts_ms = (double)(T0 + 3600 * (int64_t)i) * 1000.0;
        s.points[i].value = start + per_s * 3600.0 * (double)i + 0.01 * start * noise(i);
    }
    srr_metric_result r;
    result_one(&r, &s);
    srr_signal_list out = {0};
    cr_assert_eq(run(1, &r, &out), SRR_OK);
    cr_assert_eq(out.n, 1);
    srr_signal *g = &out.v[0];
    cr_assert_eq(g->kind, SRR_KIND_TREND);
    cr_assert_eq(g->source, SRR_SRC_METRICS);
    cr_assert_eq(g->status, SRR_STATUS_FIRING);
    cr_assert(fabs(g->value - 12.0) < 0.5, "growth %f", g->value);
    cr_assert_str_eq(g->unit, "%/week");
    cr_assert_str_eq(g->check, "mem");
    cr_assert_str_eq(g->service, "worker"); /* from the service: tag */
    cr_assert_null(g->env);
    cr_assert_str_eq(g->condition, "growth > 5%/week");
    cr_assert_eq(g->window_start, T0);
    cr_assert_eq(g->window_end, T0 + WEEK);
    cr_assert_eq(g->observed_at, T0 + WEEK);
    cr_assert_str_eq(g->link, "https://app.datadoghq.com/metric/explorer");
    cr_assert_eq(g->ntags, 2);
    cr_assert(strstr(g->summary, "process.rss grows 12"), "%s", g->summary);
    cr_assert(strstr(g->summary, "%/week (> 5%/week) on host:worker-1,service:worker"), "%s",
              g->summary);
    /* Evidence: at most 12 sampled points and the fit, within the bound. */
    json_t *pts = json_object_get(g->evidence, "points");
    cr_assert_eq(json_array_size(pts), 12);
    cr_assert_eq(json_integer_value(json_array_get(json_array_get(pts, 0), 0)), T0 * 1000);
    cr_assert_eq(json_integer_value(json_array_get(json_array_get(pts, 11), 0)),
                 (T0 + 168 * 3600) * 1000);
    cr_assert_not_null(json_object_get(json_object_get(g->evidence, "aggregate"), "slope_per_day"));
    char *dump = json_dumps(g->evidence, JSON_COMPACT);
    cr_assert_leq(strlen(dump), SRR_SIGNAL_MAX_EVIDENCE_BYTES);
    free(dump);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}

Test(detect, flat_series_gives_no_trend)
{
    srr_series s;
    size_t n = 100;
    series_init(&s, NULL, "host:a", NULL, n);
    for (size_t i = 0; i < n; i++) {
        s.points[i].ts_ms = (double)(T0 + 6000 * (int64_t)i) * 1000.0;
        s.points[i].value = 500 + 2 * noise(i);
    }
    srr_metric_result r;
    result_one(&r, &s);
    srr_signal_list out = {0};
    cr_assert_eq(run(10, &r, &out), SRR_OK);
    cr_assert_eq(out.n, 0);
    srr_metric_result_clear(&r);
}

Test(detect, step_series)
{
    srr_series s;
    size_t n = 20;
    series_init(&s, NULL, "host:a", NULL, n);
    for (size_t i = 0; i < n; i++) {
        s.points[i].ts_ms = (double)(T0 + 30000 * (int64_t)i) * 1000.0;
        s.points[i].value = i < 10 ? 100 : 200;
    }
    srr_metric_result r;
    result_one(&r, &s);
    srr_signal_list out = {0};
    cr_assert_eq(run(10, &r, &out), SRR_OK); /* growth > 1%/week */
    cr_assert_eq(out.n, 1);
    cr_assert_gt(out.v[0].value, 100); /* doubles within ~6.6 days */
    srr_signal_list_clear(&out);
    cr_assert_eq(run(3, &r, &out), SRR_OK); /* max */
    cr_assert_eq(out.n, 1);
    cr_assert_float_eq(out.v[0].value, 200, 1e-9);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}

Test(detect, nulls_are_skipped)
{
    srr_series s;
    series_init(&s, "%", "device:/dev/sda1", NULL, 6);
    double vals[] = {50, 99, 93.1, 60, 95, 70};
    for (size_t i = 0; i < 6; i++) {
        s.points[i].ts_ms = (double)(T0 + 60 * (int64_t)i) * 1000.0;
        s.points[i].value = vals[i];
    }
    s.points[1].is_null = 1; /* the 99 is a null slot */
    s.points[4].is_null = 1;
    srr_metric_result r;
    result_one(&r, &s);
    srr_signal_list out = {0};
    cr_assert_eq(run(0, &r, &out), SRR_OK);
    cr_assert_eq(out.n, 1);
    cr_assert_float_eq(out.v[0].value, 93.1, 1e-9);
    cr_assert_str_eq(out.v[0].summary, "max 93.1% > 90% on device:/dev/sda1");
    cr_assert_str_eq(out.v[0].unit, "%");
    cr_assert_eq(json_array_size(json_object_get(out.v[0].evidence, "points")), 4);
    srr_signal_list_clear(&out);

    /* Only two non-null points: no trend can be fitted. */
    for (size_t i = 2; i < 6; i++)
        s.points[i].is_null = 1;
    s.points[1].is_null = 0;
    r.series[0] = s;
    cr_assert_eq(run(10, &r, &out), SRR_OK);
    cr_assert_eq(out.n, 0);
    /* All null: nothing at all. */
    s.points[0].is_null = s.points[1].is_null = 1;
    r.series[0] = s;
    cr_assert_eq(run(3, &r, &out), SRR_OK);
    cr_assert_eq(out.n, 0);
    srr_metric_result_clear(&r);
}

/* Evaluates `when` through a throwaway config on values 1..10 (shuffled). */
static double aggregate_of(const char *when)
{
    char yaml[256];
    snprintf(yaml, sizeof yaml,
             "checks:\n  - {name: a, source: metrics, query: \"avg:x{*}\", when: \"%s\"}\n", when);
    srr_config *c = NULL;
    srr_ruleset *r2 = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_config_parse("a.yaml", yaml, strlen(yaml), &c, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_rules_compile(c, &r2, &err), SRR_OK, "%s", err.msg);
    srr_series s;
    series_init(&s, NULL, NULL, NULL, 10);
    static const int order[] = {3, 7, 1, 10, 5, 2, 9, 4, 8, 6};
    for (size_t i = 0; i < 10; i++) {
        s.points[i].ts_ms = (double)(T0 + order[i]) * 1000.0; /* value i at time i */
        s.points[i].value = order[i];
    }
    srr_metric_result r;
    result_one(&r, &s);
    srr_signal_list out = {0};
    srr_detect_ctx ctx = {.check_index = 0, .window_start = T0, .window_end = T0 + 60};
    cr_assert_eq(srr_detect_metrics(r2, &ctx, &r, &out, &err), SRR_OK);
    double v = out.n == 1 ? out.v[0].value : NAN;
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
    srr_rules_destroy(r2);
    srr_config_destroy(c);
    return v;
}

Test(detect, threshold_aggregates)
{
    cr_assert_float_eq(aggregate_of("max > 0"), 10, 1e-9);
    cr_assert_float_eq(aggregate_of("min > 0"), 1, 1e-9);
    cr_assert_float_eq(aggregate_of("avg > 0"), 5.5, 1e-9);
    cr_assert_float_eq(aggregate_of("sum > 0"), 55, 1e-9);
    cr_assert_float_eq(aggregate_of("last > 0"), 10, 1e-9); /* latest time, not last sent */
    cr_assert_float_eq(aggregate_of("p50 > 0"), 5.5, 1e-9);
    cr_assert_float_eq(aggregate_of("p90 > 0"), 9.1, 1e-9);
    cr_assert_float_eq(aggregate_of("p99 > 0"), 9.91, 1e-9);
    cr_assert(isnan(aggregate_of("max > 10")));
    cr_assert_float_eq(aggregate_of("max >= 10"), 10, 1e-9);
    cr_assert_float_eq(aggregate_of("min < 2"), 1, 1e-9);
    cr_assert(isnan(aggregate_of("avg != 5.5")));
}

Test(detect, time_threshold_in_series_unit)
{
    srr_series s;
    series_init(&s, "ms", "endpoint:/pay", NULL, 3);
    for (size_t i = 0; i < 3; i++) {
        s.points[i].ts_ms = (double)(T0 + (int64_t)i) * 1000.0;
        s.points[i].value = 300; /* ms */
    }
    srr_metric_result r;
    result_one(&r, &s);
    srr_signal_list out = {0};
    cr_assert_eq(run(4, &r, &out), SRR_OK); /* p99 > 250ms */
    cr_assert_eq(out.n, 1);
    cr_assert_str_eq(out.v[0].summary, "p99 300 ms > 250 ms on endpoint:/pay");
    srr_signal_list_clear(&out);
    cr_assert_eq(run(5, &r, &out), SRR_OK); /* p99 > 1s: 300 ms is not */
    cr_assert_eq(out.n, 0);
    srr_metric_result_clear(&r);
}

Test(detect, bytes_summary_and_labels)
{
    srr_series s;
    series_init(&s, "B", "host:a", "env:staging", 2);
    s.points[0].ts_ms = T0 * 1000.0;
    s.points[0].value = 1.8 * 1073741824.0;
    s.points[1].ts_ms = (T0 + 60) * 1000.0;
    s.points[1].value = 1.0;
    srr_metric_result r;
    result_one(&r, &s);
    srr_signal_list out = {0};
    cr_assert_eq(run(6, &r, &out), SRR_OK);
    cr_assert_eq(out.n, 1);
    cr_assert_str_eq(out.v[0].summary, "max 1.8 GiB > 1 GiB on env:staging,host:a");
    cr_assert_str_eq(out.v[0].service, "billing"); /* the check's labels win */
    cr_assert_str_eq(out.v[0].env, "prod");
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}

Test(detect, limit_projection)
{
    srr_series s;
    size_t n = 8; /* daily, 1 GiB growing 0.1 GiB/day */
    series_init(&s, "B", "host:w-1", NULL, n);
    double gib = 1073741824.0;
    for (size_t i = 0; i < n; i++) {
        s.points[i].ts_ms = (double)(T0 + 86400 * (int64_t)i) * 1000.0;
        s.points[i].value = gib + 0.1 * gib * (double)i;
    }
    srr_metric_result r;
    result_one(&r, &s);
    srr_signal_list out = {0};
    cr_assert_eq(run(2, &r, &out), SRR_OK);
    cr_assert_eq(out.n, 1);
    /* 70%/week; fitted end 1.7 GiB, 0.3 GiB to go at 0.1 GiB/day: 3 days. */
    cr_assert_float_eq(out.v[0].value, 70, 1e-6);
    cr_assert_str_eq(out.v[0].summary,
                     "process.rss grows 70%/week (> 1%/week) on host:w-1; reaches 2 GiB in ~3 days");
    srr_signal_list_clear(&out);

    /* Already past the limit. */
    for (size_t i = 0; i < n; i++)
        s.points[i].value = 2 * gib + 0.1 * gib * (double)i;
    r.series[0] = s;
    cr_assert_eq(run(2, &r, &out), SRR_OK);
    cr_assert_eq(out.n, 1);
    cr_assert(strstr(out.v[0].summary, "; already at 2 GiB"), "%s", out.v[0].summary);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}

Test(detect, zero_mean_gives_no_growth)
{
    srr_series s;
    series_init(&s, NULL, NULL, NULL, 3);
    double vals[] = {-1, 0, 1};
    for (size_t i = 0; i < 3; i++) {
        s.points[i].ts_ms = (double)(T0 + 100 * (int64_t)i) * 1000.0;
        s.points[i].value = vals[i];
    }
    srr_metric_result r;
    result_one(&r, &s);
    srr_signal_list out = {0};
    cr_assert_eq(run(10, &r, &out), SRR_OK);
    cr_assert_eq(out.n, 0);
    srr_metric_result_clear(&r);
}

Test(detect, wrong_source_is_refused)
{
    srr_metric_result r = {0};
    srr_signal_list out = {0};
    srr_detect_ctx ctx = {.check_index = 7};
    srr_error err = {0};
    cr_assert_eq(srr_detect_metrics(rs, &ctx, &r, &out, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "'errors'"), "%s", err.msg);
    ctx.check_index = 99;
    cr_assert_eq(srr_detect_metrics(rs, &ctx, &r, &out, &err), SRR_EINVAL);
}

/* ---- logs ---------------------------------------------------------------- */

static void add_event(srr_log_counter *lc, const char *service, const char *env, int code,
                      const char *host, const char *msg)
{
    json_t *tags = json_array();
    if (env) {
        char t[64];
        snprintf(t, sizeof t, "env:%s", env);
        json_array_append_new(tags, json_string(t));
    }
    json_array_append_new(tags, json_string("team:core"));
    json_t *attrs = code ? json_pack("{s:{s:i}}", "http", "status_code", code) : json_object();
    srr_log_event ev = {.id = "AQAA", .timestamp = "2026-01-07T10:00:00Z", .status = "error",
                        .service = service, .host = host, .message = msg, .tags = tags,
                        .attributes = attrs};
    srr_log_counter_add(lc, &ev);
    json_decref(tags);
    json_decref(attrs);
}

static const srr_signal *find_tag(const srr_signal_list *l, const char *tag)
{
    for (size_t i = 0; i < l->n; i++)
        for (size_t j = 0; j < l->v[i].ntags; j++)
            if (strcmp(l->v[i].tags[j], tag) == 0)
                return &l->v[i];
    return NULL;
}

Test(detect, log_counter_groups_by_facet_attribute_and_tag)
{
    srr_detect_ctx ctx = {.check_index = 7, .window_start = T0, .window_end = T0 + 3600,
                          .link = "https://app.datadoghq.com/logs"};
    srr_log_counter *lc = srr_log_counter_create(rs, &ctx);
    char big[400];
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 5; i++)
        add_event(lc, "checkout", "prod", 500, "h1", i == 0 ? big : "upstream timeout");
    add_event(lc, "checkout", "prod", 502, "h1", "bad gateway");   /* alone: count 1 */
    add_event(lc, "search", NULL, 0, "h2", "no code");
    add_event(lc, "search", NULL, 0, "h2", "no code again");
    srr_signal_list out = {0};
    srr_error err = {0};
    cr_assert_eq(srr_log_counter_finish(lc, &out, &err), SRR_OK, "%s", err.msg);
    srr_log_counter_destroy(lc);
    cr_assert_eq(out.n, 2);

    const srr_signal *a = find_tag(&out, "@http.status_code:500");
    cr_assert_not_null(a);
    cr_assert_eq(a->source, SRR_SRC_LOGS);
    cr_assert_eq(a->kind, SRR_KIND_COUNT);
    cr_assert_float_eq(a->value, 5, 1e-9);
    cr_assert_eq(a->ntags, 3);
    cr_assert_str_eq(a->service, "checkout");
    cr_assert_str_eq(a->env, "prod");
    cr_assert_str_eq(a->link, "https://app.datadoghq.com/logs");
    cr_assert_str_eq(a->summary, "count 5 >= 2 on @http.status_code:500,env:prod,service:checkout");
    json_t *samples = json_object_get(a->evidence, "samples");
    cr_assert_eq(json_array_size(samples), 3);
    const char *m0 = json_string_value(json_object_get(json_array_get(samples, 0), "message"));
    cr_assert_eq(strlen(m0), 200);
    cr_assert_eq(json_integer_value(json_object_get(a->evidence, "count")), 5);

    const srr_signal *b = find_tag(&out, "service:search");
    cr_assert_not_null(b);
    cr_assert_not_null(find_tag(&out, "@http.status_code:n/a"));
    cr_assert_str_eq(srr_signal_tag(b, "env"), "n/a");
    srr_signal_list_clear(&out);
}

Test(detect, log_counter_silence_fires_without_events)
{
    srr_detect_ctx ctx = {.check_index = 8, .window_start = T0, .window_end = T0 + 3600};
    srr_log_counter *lc = srr_log_counter_create(rs, &ctx);
    srr_signal_list out = {0};
    cr_assert_eq(srr_log_counter_finish(lc, &out, NULL), SRR_OK);
    srr_log_counter_destroy(lc);
    cr_assert_eq(out.n, 1);
    cr_assert_float_eq(out.v[0].value, 0, 1e-9);
    cr_assert_str_eq(out.v[0].summary, "count 0 < 1");
    srr_signal_list_clear(&out);
}

Test(detect, log_counter_caps_groups)
{
    srr_detect_ctx ctx = {.check_index = 9, .window_start = T0, .window_end = T0 + 3600};
    srr_log_counter *lc = srr_log_counter_create(rs, &ctx);
    char host[32];
    for (int i = 0; i < 10050; i++) {
        snprintf(host, sizeof host, "h-%d", i);
        srr_log_event ev = {.message = "m", .host = host};
        srr_log_counter_add(lc, &ev);
        if (i < 10)
            srr_log_counter_add(lc, &ev); /* repeats land in their own group */
    }
    srr_signal_list out = {0};
    cr_assert_eq(srr_log_counter_finish(lc, &out, NULL), SRR_OK);
    srr_log_counter_destroy(lc);
    cr_assert_eq(out.n, 10001);
    const srr_signal *h0 = find_tag(&out, "host:h-0");
    cr_assert_float_eq(h0->value, 2, 1e-9);
    const srr_signal *other = find_tag(&out, "host:(other)");
    cr_assert_not_null(other);
    cr_assert_float_eq(other->value, 50, 1e-9);
    cr_assert(strstr(other->summary, "beyond the first 10000"), "%s", other->summary);
    srr_signal_list_clear(&out);
}

Test(detect, log_counter_on_metrics_check_fails_at_finish)
{
    srr_detect_ctx ctx = {.check_index = 0};
    srr_log_counter *lc = srr_log_counter_create(rs, &ctx);
    srr_log_event ev = {.message = "m"};
    srr_log_counter_add(lc, &ev);
    srr_signal_list out = {0};
    srr_error err = {0};
    cr_assert_eq(srr_log_counter_finish(lc, &out, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "not a datadog.logs check"), "%s", err.msg);
    srr_log_counter_destroy(lc);
}

/* Every thing the store follows gets an observation each window (DESIGN.md
 * section 3, "Things and observations"): a known series that is fine is a
 * clear observation with what was measured, an unknown one yields nothing,
 * and a known series that sent nothing is clear with no data. */
Test(detect, known_things_are_observed_firing_or_clear)
{
    srr_series a, b, c;
    srr_metric_result r;
    srr_signal_list out = {0};
    const char *known[] = {"device:/dev/sda", "device:/dev/sdb", "device:/dev/sdz"};
    srr_detect_ctx ctx = {
        .check_index = 0, .window_start = T0, .window_end = T0 + WEEK, .known = known, .nknown = 3};
    srr_error err = {0};
    series_init(&a, "%", "device:/dev/sda", NULL, 4);
    series_init(&b, "%", "device:/dev/sdb", NULL, 4);
    series_init(&c, "%", "device:/dev/sdc", NULL, 4);
    for (size_t i = 0; i < 4; i++) {
        a.points[i] = (srr_point){(double)(T0 + i * 3600) * 1000, 95, 0};
        b.points[i] = (srr_point){(double)(T0 + i * 3600) * 1000, 40 + i, 0};
        c.points[i] = (srr_point){(double)(T0 + i * 3600) * 1000, 20, 0};
    }
    memset(&r, 0, sizeof r);
    r.series = srr_calloc(3, sizeof *r.series);
    r.series[0] = a;
    r.series[1] = b;
    r.series[2] = c;
    r.nseries = 3;
    cr_assert_eq(srr_detect_metrics(rs, &ctx, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 2, "sda fires, sdb is clear, sdc is not followed");
    const srr_signal *fa = find_tag(&out, "device:/dev/sda"),
                     *fb = find_tag(&out, "device:/dev/sdb");
    cr_assert_eq(fa->status, SRR_STATUS_FIRING);
    cr_assert_eq(fb->status, SRR_STATUS_RECOVERED);
    cr_assert_float_eq(fb->value, 43, 1e-9);
    cr_assert_str_eq(fb->summary, "max 43% not > 90% on device:/dev/sdb");
    cr_assert_null(json_object_get(fb->evidence, "points"), "a clear one keeps no points");
    cr_assert_not_null(json_object_get(fb->evidence, "aggregate"));
    /* sdz sent nothing: clear, no data. */
    srr_detect_absent(rs, &ctx, &out, 0);
    cr_assert_eq(out.n, 3);
    const srr_signal *fz = find_tag(&out, "device:/dev/sdz");
    cr_assert_not_null(fz);
    cr_assert_eq(fz->status, SRR_STATUS_RECOVERED);
    cr_assert_str_eq(fz->summary, "no data in the window");
    cr_assert(json_is_true(json_object_get(fz->evidence, "no_data")));
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}

/* A known log group with no event this window is counted 0: clear. */
Test(detect, log_counter_known_group_without_events_is_clear)
{
    const char *known[] = {"host:h1", "host:h9"};
    srr_detect_ctx ctx = {
        .check_index = 9, .window_start = T0, .window_end = T0 + 3600, .known = known, .nknown = 2};
    srr_log_counter *lc = srr_log_counter_create(rs, &ctx);
    srr_signal_list out = {0};
    srr_error err = {0};
    add_event(lc, "checkout", "prod", 500, "h2", "boom");
    cr_assert_eq(srr_log_counter_finish(lc, &out, &err), SRR_OK, "%s", err.msg);
    srr_log_counter_destroy(lc);
    cr_assert_eq(out.n, 3, "h2 fires; h1 and h9 are followed and silent");
    cr_assert_eq(find_tag(&out, "host:h2")->status, SRR_STATUS_FIRING);
    const srr_signal *h1 = find_tag(&out, "host:h1");
    cr_assert_eq(h1->status, SRR_STATUS_RECOVERED);
    cr_assert_float_eq(h1->value, 0, 1e-9);
    cr_assert_str_eq(h1->summary, "count 0 not >= 1 on host:h1");
    srr_signal_list_clear(&out);
}
