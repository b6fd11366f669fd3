/* SPDX-License-Identifier: Apache-2.0
 *
 * test_detectors.c - the detectors with known answers: a trend that one
 * outlier point must neither fake nor hide, a step, nulls, a spike against
 * the previous window's baseline, log count change from aggregate buckets,
 * new log patterns and the message normaliser.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "config.h"
#include "detectors.h"
#include "rules.h"

#define T0 1767225600LL /* 2026-01-01T00:00:00Z */
#define WEEK (7 * 86400LL)

static srr_config *cfg;
static srr_ruleset *rs;

static const char CHECKS[] =
    "checks:\n"
    "  - {name: mem, source: metrics, query: \"avg:rss{*}\", when: \"growth > 5%/week\"}\n"   /* 0 */
    "  - {name: lat, source: metrics, query: \"avg:lat{*}\", when: \"spike > 200%\"}\n"        /* 1 */
    "  - {name: errs, source: logs, query: \"status:error\", when: \"change > 50%\", group_by: [service]}\n" /* 2 */
    "  - {name: pat, source: logs, query: \"*\", when: \"new_pattern >= 2\"}\n"                /* 3 */
    "  - {name: cnt, source: logs, query: \"*\", when: \"count > 10\", group_by: [service, env]}\n"; /* 4 */

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

TestSuite(detectors, .init = setup, .fini = teardown);

static double noise(unsigned i)
{
    unsigned x = i * 2654435761u;
    x ^= x >> 13;
    return (double)(x % 2001) / 1000.0 - 1.0;
}

/* One series of n hourly points from `start`, values v[i] (NAN = null). */
static void one_series(srr_metric_result *r, int64_t start, const double *v, size_t n)
{
    memset(r, 0, sizeof *r);
    r->series = calloc(1, sizeof(srr_series));
    r->nseries = 1;
    srr_series *s = &r->series[0];
    s->metric = strdup("m");
    s->points = calloc(n, sizeof(srr_point));
    s->npoints = n;
    for (size_t i = 0; i < n; i++) {
        s->points[i].ts_ms = (double)(start + (int64_t)i * 3600) * 1000.0;
        s->points[i].is_null = isnan(v[i]);
        s->points[i].value = isnan(v[i]) ? 0 : v[i];
    }
}

static size_t detect(size_t check, const srr_metric_result *r, int64_t wstart, int64_t wend,
                     srr_signal_list *out)
{
    srr_detect_ctx ctx = {check, wstart, wend, "https://app.datadoghq.com/x"};
    srr_error err = {0};
    cr_assert_eq(srr_detect_metrics(rs, &ctx, r, out, &err), SRR_OK, "%s", err.msg);
    return out->n;
}

#define N 168

Test(detectors, growth_with_noise_and_one_outlier)
{
    /* 1000 growing by 1/hour (16.8%/week from the start) with +-5 noise. */
    double v[N];
    for (unsigned i = 0; i < N; i++)
        v[i] = 1000 + i + 5 * noise(i);
    srr_metric_result r;
    srr_signal_list out = {0};
    one_series(&r, T0, v, N);
    cr_assert_eq(detect(0, &r, T0, T0 + WEEK, &out), 1);
    double clean = out.v[0].value;
    cr_assert(fabs(clean - 16.8) < 0.5, "growth %.2f", clean);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);

    /* One huge glitch at the end must not change the answer much... */
    v[N - 1] = 50000;
    one_series(&r, T0, v, N);
    cr_assert_eq(detect(0, &r, T0, T0 + WEEK, &out), 1);
    cr_assert(fabs(out.v[0].value - clean) < 0.5, "outlier moved growth to %.2f", out.v[0].value);
    cr_assert(strstr(out.v[0].summary, "outlier"), "%s", out.v[0].summary);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);

    /* ...nor fake a trend on a flat series. */
    for (unsigned i = 0; i < N; i++)
        v[i] = 1000 + 5 * noise(i);
    v[N - 1] = 50000;
    one_series(&r, T0, v, N);
    cr_assert_eq(detect(0, &r, T0, T0 + WEEK, &out), 0, "a single spike faked a trend");
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}

Test(detectors, step_is_growth_and_nulls_are_skipped)
{
    double v[N];
    for (unsigned i = 0; i < N; i++)
        v[i] = i < N / 2 ? 1000 : 1500;
    for (unsigned i = 0; i < N; i += 7)
        v[i] = NAN;
    srr_metric_result r;
    srr_signal_list out = {0};
    one_series(&r, T0, v, N);
    cr_assert_eq(detect(0, &r, T0, T0 + WEEK, &out), 1, "a step up is growth (no point dropped)");
    cr_assert(out.v[0].value > 50, "%.2f", out.v[0].value);
    cr_assert_null(strstr(out.v[0].summary, "outlier"), "%s", out.v[0].summary);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}

Test(detectors, spike_against_previous_window)
{
    /* Two weeks: baseline 100 the first week, then 100 with one hour at 450
     * (+350%). */
    double v[2 * N];
    for (unsigned i = 0; i < 2 * N; i++)
        v[i] = 100 + noise(i);
    v[N + 30] = 450;
    srr_metric_result r;
    srr_signal_list out = {0};
    one_series(&r, T0 - WEEK, v, 2 * N);
    cr_assert_eq(detect(1, &r, T0, T0 + WEEK, &out), 1);
    cr_assert_eq(out.v[0].kind, SRR_KIND_SPIKE);
    cr_assert(fabs(out.v[0].value - 350) < 3, "spike %.2f%%", out.v[0].value);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);

    /* 2.9x the baseline is +190%: not above 200%. Nothing without a baseline. */
    v[N + 30] = 290;
    one_series(&r, T0 - WEEK, v, 2 * N);
    cr_assert_eq(detect(1, &r, T0, T0 + WEEK, &out), 0);
    srr_metric_result_clear(&r);
    one_series(&r, T0, v + N, N);
    cr_assert_eq(detect(1, &r, T0, T0 + WEEK, &out), 0, "no baseline, no spike");
    srr_metric_result_clear(&r);
}

Test(detectors, count_change_from_buckets)
{
    srr_detect_ctx ctx = {2, T0, T0 + WEEK, NULL};
    srr_log_counter *lc = srr_log_counter_create(rs, &ctx);
    const char *a[] = {"checkout"}, *b[] = {"payments"}, *c[] = {"search"};
    srr_log_counter_add_prev_group(lc, a, 1, 100);
    srr_log_counter_add_group(lc, a, 1, 160); /* +60% */
    srr_log_counter_add_prev_group(lc, b, 1, 100);
    srr_log_counter_add_group(lc, b, 1, 120); /* +20% */
    srr_log_counter_add_group(lc, c, 1, 5);   /* new: +400% (as if 1 before) */
    cr_assert(srr_log_counter_fires(lc));
    srr_signal_list out = {0};
    srr_error err = {0};
    cr_assert_eq(srr_log_counter_finish(lc, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 2);
    cr_assert_str_eq(srr_signal_tag(&out.v[0], "service"), "checkout");
    cr_assert(fabs(out.v[0].value - 60) < 1e-9);
    cr_assert(strstr(out.v[0].summary, "was 100"), "%s", out.v[0].summary);
    cr_assert_str_eq(srr_signal_tag(&out.v[1], "service"), "search");
    cr_assert(fabs(out.v[1].value - 400) < 1e-9);
    srr_signal_list_clear(&out);
    srr_log_counter_destroy(lc);
}

Test(detectors, count_buckets_and_samples)
{
    srr_detect_ctx ctx = {4, T0, T0 + WEEK, NULL};
    srr_log_counter *lc = srr_log_counter_create(rs, &ctx);
    const char *g1[] = {"checkout", "prod"}, *g2[] = {"checkout", "staging"};
    srr_log_counter_add_group(lc, g1, 2, 40);
    srr_log_counter_add_group(lc, g2, 2, 3);
    srr_log_counter_add_group(lc, g2, 1, 3); /* wrong arity: ignored */
    json_t *tags = json_pack("[s]", "env:prod");
    srr_log_event ev = {.service = "checkout", .message = "boom", .timestamp = "t", .tags = tags};
    cr_assert_eq(srr_log_counter_add_sample(lc, &ev), 1);
    srr_signal_list out = {0};
    cr_assert_eq(srr_log_counter_finish(lc, &out, NULL), SRR_OK);
    cr_assert_eq(out.n, 1);
    cr_assert_eq(out.v[0].value, 40);
    json_t *smp = json_object_get(out.v[0].evidence, "samples");
    cr_assert_eq(json_array_size(smp), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(smp, 0), "message")), "boom");
    json_decref(tags);
    srr_signal_list_clear(&out);
    srr_log_counter_destroy(lc);
}

Test(detectors, pattern_normaliser)
{
    char out[256];
    srr_log_pattern("payment 12345 failed for user42 after 3000ms", out, sizeof out);
    cr_assert_str_eq(out, "payment <num> failed for <id> after <id>");
    srr_log_pattern("req 550e8400-e29b-41d4-a716-446655440000 addr 0x7ffd1234 sha deadbeef1234",
                    out, sizeof out);
    cr_assert_str_eq(out, "req <uuid> addr <hex> sha <hex>");
    srr_log_pattern("user \"bob smith\" said 'hi there'  at 12:30:01.5", out, sizeof out);
    cr_assert_str_eq(out, "user \"<str>\" said '<str>' at <num>");
    srr_log_pattern("can't connect to db-7 (10.0.0.12:5432)", out, sizeof out);
    cr_assert_str_eq(out, "can't connect to <id> (<num>)");
    cr_assert_eq(srr_log_pattern(NULL, out, sizeof out), 0);
}

Test(detectors, new_pattern_against_previous_window)
{
    srr_detect_ctx ctx = {3, T0, T0 + WEEK, "https://app.datadoghq.com/logs?x"};
    srr_pattern_detector *pd = srr_pattern_detector_create(rs, &ctx);
    srr_log_event ev = {.timestamp = "2026-01-01T00:00:00Z"};
    const char *before[] = {"conn 1 reset", "conn 22 reset", "cache miss key=abc123"};
    for (size_t i = 0; i < 3; i++) {
        ev.message = before[i];
        srr_pattern_add_prev(pd, &ev);
    }
    const char *now[] = {"conn 7 reset", "cache miss key=zz9", "disk /dev/sda1 full",
                         "disk /dev/sdb1 full", "disk /dev/sdc1 full", "oom killed pid 42"};
    for (size_t i = 0; i < 6; i++) {
        ev.message = now[i];
        srr_pattern_add(pd, &ev);
    }
    srr_signal_list out = {0};
    srr_error err = {0};
    cr_assert_eq(srr_pattern_finish(pd, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1, "only the disk pattern is new and seen >= 2 times");
    cr_assert_eq(out.v[0].kind, SRR_KIND_NEW_PATTERN);
    cr_assert_eq(out.v[0].value, 3);
    cr_assert(strstr(out.v[0].summary, "disk /dev/<id> full"), "%s", out.v[0].summary);
    cr_assert_not_null(srr_signal_tag(&out.v[0], "pattern"));
    cr_assert_not_null(out.v[0].link);
    srr_signal_list_clear(&out);
    srr_pattern_detector_destroy(pd);

    /* A detector on a check without new_pattern refuses at finish. */
    srr_detect_ctx other = {4, T0, T0 + WEEK, NULL};
    pd = srr_pattern_detector_create(rs, &other);
    cr_assert_eq(srr_pattern_finish(pd, &out, &err), SRR_EINVAL);
    srr_pattern_detector_destroy(pd);
}

Test(detectors, measures_and_their_grammar)
{
    cr_assert_str_eq(srr_detect_measure(rs, 1), "spike");
    cr_assert_str_eq(srr_detect_measure(rs, 2), "change");
    cr_assert_str_eq(srr_detect_measure(rs, 3), "new_pattern");
    cr_assert_str_eq(srr_detect_measure(rs, 99), "?");
    srr_config *c2 = NULL;
    srr_ruleset *r2 = NULL;
    srr_error err = {0};
    static const char bad[] =
        "checks:\n  - {name: s, source: metrics, query: \"avg:x{*}\", when: \"spike > 3\"}\n";
    cr_assert_eq(srr_config_parse("b.yaml", bad, strlen(bad), &c2, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_rules_compile(c2, &r2, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "percentage"), "%s", err.msg);
    srr_config_destroy(c2);
}

/* A pattern the store follows is observed every window: seen again it
 * fires (it is no longer new), absent it is clear; a new one still fires
 * as new. */
Test(detectors, known_pattern_seen_again_fires_and_absent_is_clear)
{
    char tag_a[64], tag_b[64], text[256];
    srr_log_event ev = {.timestamp = "2026-01-01T00:00:00Z"};
    srr_log_pattern("disk /dev/sda1 full", text, sizeof text);
    /* the tags the detector gives a pattern: its FNV-1a (see detect.c) */
    srr_detect_ctx first = {3, T0, T0 + WEEK, NULL, NULL, 0};
    srr_pattern_detector *pd = srr_pattern_detector_create(rs, &first);
    srr_signal_list out = {0};
    srr_error err = {0};
    ev.message = "disk /dev/sda1 full";
    srr_pattern_add(pd, &ev);
    srr_pattern_add(pd, &ev);
    ev.message = "oom killed pid 42";
    srr_pattern_add(pd, &ev);
    srr_pattern_add(pd, &ev);
    cr_assert_eq(srr_pattern_finish(pd, &out, &err), SRR_OK, "%s", err.msg);
    srr_pattern_detector_destroy(pd);
    cr_assert_eq(out.n, 2);
    snprintf(tag_a, sizeof tag_a, "pattern:%s", srr_signal_tag(&out.v[0], "pattern"));
    snprintf(tag_b, sizeof tag_b, "pattern:%s", srr_signal_tag(&out.v[1], "pattern"));
    srr_signal_list_clear(&out);

    /* Next window: the disk pattern again (seen the window before, so not
     * new), the oom one absent. Both are followed. */
    const char *known[2];
    known[0] = strcmp(tag_a, tag_b) < 0 ? tag_a : tag_b;
    known[1] = strcmp(tag_a, tag_b) < 0 ? tag_b : tag_a;
    srr_detect_ctx next = {3, T0 + WEEK, T0 + 2 * WEEK, NULL, known, 2};
    pd = srr_pattern_detector_create(rs, &next);
    ev.message = "disk /dev/sdb1 full";
    srr_pattern_add_prev(pd, &ev);
    srr_pattern_add(pd, &ev);
    srr_pattern_add(pd, &ev);
    srr_pattern_add(pd, &ev);
    cr_assert_eq(srr_pattern_finish(pd, &out, &err), SRR_OK, "%s", err.msg);
    srr_pattern_detector_destroy(pd);
    cr_assert_eq(out.n, 2);
    size_t firing = 0, clear = 0;
    for (size_t i = 0; i < out.n; i++) {
        cr_assert_eq(out.v[i].kind, SRR_KIND_NEW_PATTERN);
        if (out.v[i].status == SRR_STATUS_FIRING) {
            firing++;
            cr_assert_float_eq(out.v[i].value, 3, 1e-9);
            cr_assert(strstr(out.v[i].summary, "known log pattern, 3 event(s)"), "%s",
                      out.v[i].summary);
        } else {
            clear++;
            cr_assert_float_eq(out.v[i].value, 0, 1e-9);
        }
    }
    cr_assert_eq(firing, 1);
    cr_assert_eq(clear, 1);
    srr_signal_list_clear(&out);
}
