/* SPDX-License-Identifier: Apache-2.0
 *
 * test_units.c - a check's condition against the unit Datadog says a series
 * is in (rules/condition.c srr_series_unit_of / srr_unit_reconcile, and the
 * metric detector that uses them): a fraction, a percent, bytes, seconds
 * and nanoseconds against conditions in other compatible units, Datadog's
 * unit names and its family + scale_factor, a unit the check declares, and
 * what cannot be reconciled (a % on bytes, a unit against a series without
 * one), which fails the check saying how to write it.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "condition.h"
#include "config.h"
#include "rules.h"

#define T0 1767225600LL
#define WEEK 604800LL

static srr_config *cfg;
static srr_ruleset *rs;

/* clang-format off */
static const char CHECKS[] =
    "checks:\n"
    "  - {name: disk, source: metrics, query: \"max:system.disk.in_use{*} by {host,device}\", "
    "when: \"last > 85%\"}\n"                                                              /* 0 */
    "  - {name: mem, source: metrics, query: \"max:process.rss{*}\", when: \"max > 1.5GiB\"}\n" /* 1 */
    "  - {name: lat, source: metrics, query: \"p95:lat{*}\", when: \"max > 500ms\"}\n"      /* 2 */
    "  - {name: disk-fill, source: metrics, query: \"max:system.disk.in_use{*}\", "
    "when: \"growth > 1%/week\", limit: 95%}\n"                                            /* 3 */
    "  - {name: plain, source: metrics, query: \"max:system.disk.in_use{*}\", "
    "when: \"last > 0.85\"}\n"                                                             /* 4 */
    "  - {name: declared, source: metrics, query: \"max:custom.ratio{*}\", "
    "when: \"last > 85%\", unit: fraction}\n"                                              /* 5 */
    "  - {name: logs-spike, source: logs, query: \"status:error\", when: \"spike > 1000%\"}\n" /* 6 */
    "  - {name: times-100, source: metrics, query: \"max:system.disk.in_use{*} * 100\", "
    "when: \"last > 85%\"}\n"                                                              /* 7 */
    "  - {name: times-100-said, source: metrics, query: \"max:system.disk.in_use{*} * 100\", "
    "when: \"last > 85%\", unit: percent}\n";                                              /* 8 */
/* clang-format on */

static void setup(void)
{
    srr_error err = {0};
    cr_assert_eq(srr_config_parse("u.yaml", CHECKS, strlen(CHECKS), &cfg, &err), SRR_OK, "%s",
                 err.msg);
    cr_assert_eq(srr_rules_compile(cfg, &rs, &err), SRR_OK, "%s", err.msg);
}

static void teardown(void)
{
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

TestSuite(units, .init = setup, .fini = teardown);

/* A one-series result whose unit is (name, short name, family, scale) and
 * whose points are v[0..n), hourly from T0. */
static void one_series(srr_metric_result *r, const char *name, const char *short_name,
                       const char *family, double scale, const double *v, size_t n)
{
    memset(r, 0, sizeof *r);
    r->series = srr_calloc(1, sizeof(srr_series));
    r->nseries = 1;
    srr_series *s = &r->series[0];
    s->metric = srr_strdup("m");
    s->unit = srr_strdup(short_name);
    s->unit_name = srr_strdup(name);
    s->unit_family = srr_strdup(family);
    s->unit_scale = scale;
    s->tags = srr_calloc(1, sizeof(char *));
    s->tags[s->ntags++] = srr_strdup("host:db-01");
    s->points = srr_calloc(n, sizeof(srr_point));
    s->npoints = n;
    for (size_t i = 0; i < n; i++) {
        s->points[i].ts_ms = (double)(T0 + 3600 * (int64_t)i) * 1000.0;
        s->points[i].value = v[i];
    }
}

static srr_rc detect(size_t check, srr_metric_result *r, srr_signal_list *out, srr_error *err)
{
    srr_detect_ctx ctx = {.check_index = check, .window_start = T0, .window_end = T0 + WEEK};
    return srr_detect_metrics(rs, &ctx, r, out, err);
}

Test(units, fraction_series_against_a_percent_condition)
{
    /* system.disk.in_use comes as a fraction: last 0.91 is 91% > 85%. */
    double v[] = {0.80, 0.88, 0.91};
    srr_metric_result r;
    one_series(&r, "fraction", NULL, "percentage", 0, v, 3);
    srr_signal_list out = {0};
    srr_error err = {0};
    cr_assert_eq(detect(0, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1);
    cr_assert(fabs(out.v[0].value - 91.0) < 1e-9, "%f", out.v[0].value);
    cr_assert_str_eq(out.v[0].unit, "%");
    cr_assert(strstr(out.v[0].summary, "last 91% > 85%"), "%s", out.v[0].summary);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
    /* 0.84 is 84%: nothing fires. */
    double quiet[] = {0.80, 0.84};
    one_series(&r, "fraction", "fr", "percentage", 0, quiet, 2);
    cr_assert_eq(detect(0, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 0);
    srr_metric_result_clear(&r);
}

Test(units, percent_and_family_scale_factor)
{
    double v[] = {91.0};
    srr_metric_result r;
    srr_signal_list out = {0};
    srr_error err = {0};
    one_series(&r, "percent", "%", "percentage", 1.0, v, 1);
    cr_assert_eq(detect(0, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1);
    cr_assert(strstr(out.v[0].summary, "last 91% > 85%"), "%s", out.v[0].summary);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
    /* A unit this table does not know, told by its family and scale_factor
     * (per mille: 0.1 percent). */
    double pm[] = {910.0};
    one_series(&r, "permille", "\xe2\x80\xb0", "percentage", 0.1, pm, 1);
    cr_assert_eq(detect(0, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1);
    cr_assert(fabs(out.v[0].value - 91.0) < 1e-9, "%f", out.v[0].value);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}

Test(units, bytes_seconds_and_nanoseconds)
{
    srr_metric_result r;
    srr_signal_list out = {0};
    srr_error err = {0};
    /* 1.8 GiB in bytes > 1.5 GiB */
    double b[] = {1.8 * 1073741824.0};
    one_series(&r, "byte", "B", "bytes", 1.0, b, 1);
    cr_assert_eq(detect(1, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1);
    cr_assert_str_eq(out.v[0].unit, "GiB");
    cr_assert(strstr(out.v[0].summary, "max 1.8 GiB > 1.5 GiB"), "%s", out.v[0].summary);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
    /* the same in KiB */
    double k[] = {1.8 * 1048576.0};
    one_series(&r, "kibibyte", "KiB", "bytes", 1024.0, k, 1);
    cr_assert_eq(detect(1, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
    /* 0.6 s > 500 ms */
    double s[] = {0.2, 0.6};
    one_series(&r, "second", "s", "time", 1.0, s, 2);
    cr_assert_eq(detect(2, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1);
    cr_assert(fabs(out.v[0].value - 600.0) < 1e-6, "%f", out.v[0].value);
    cr_assert(strstr(out.v[0].summary, "max 600 ms > 500 ms"), "%s", out.v[0].summary);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
    /* 4e8 ns = 400 ms: quiet; 6e8 ns fires */
    double ns[] = {4e8};
    one_series(&r, "nanosecond", "ns", "time", 1e-9, ns, 1);
    cr_assert_eq(detect(2, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 0);
    srr_metric_result_clear(&r);
    double ns2[] = {6e8};
    one_series(&r, "nanosecond", "ns", "time", 1e-9, ns2, 1);
    cr_assert_eq(detect(2, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1);
    cr_assert(strstr(out.v[0].summary, "max 600 ms > 500 ms"), "%s", out.v[0].summary);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}

Test(units, limit_in_percent_against_a_fraction)
{
    /* growing 0.60 -> 0.90 over a week: 95% is 0.95, days away, not
     * "more than 10000 days". */
    double v[8];
    for (int i = 0; i < 8; i++)
        v[i] = 0.60 + 0.30 * i / 7.0;
    srr_metric_result r;
    one_series(&r, "fraction", NULL, "percentage", 0, v, 8);
    /* hourly points: make them daily so the fit spans the week */
    for (int i = 0; i < 8; i++)
        r.series[0].points[i].ts_ms = (double)(T0 + 86400 * (int64_t)i) * 1000.0;
    srr_signal_list out = {0};
    srr_error err = {0};
    cr_assert_eq(detect(3, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1);
    cr_assert(strstr(out.v[0].summary, "reaches 95% in ~"), "%s", out.v[0].summary);
    cr_assert(!strstr(out.v[0].summary, "10000"), "%s", out.v[0].summary);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}

Test(units, plain_numbers_are_in_the_series_own_unit)
{
    double v[] = {0.91};
    srr_metric_result r;
    one_series(&r, "fraction", NULL, "percentage", 0, v, 1);
    srr_signal_list out = {0};
    srr_error err = {0};
    cr_assert_eq(detect(4, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1);
    cr_assert(fabs(out.v[0].value - 0.91) < 1e-9);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}

Test(units, what_cannot_be_reconciled_fails_saying_how_to_write_it)
{
    srr_metric_result r;
    srr_signal_list out = {0};
    srr_error err = {0};
    /* a % condition on bytes */
    double b[] = {1e9};
    one_series(&r, "byte", "B", "bytes", 1.0, b, 1);
    cr_assert_eq(detect(0, &r, &out, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "check 'disk'") && strstr(err.msg, "cannot be compared") &&
                  strstr(err.msg, "used / total * 100"),
              "%s", err.msg);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
    /* a % condition on a series Datadog sent without a unit, quiet or not:
     * the check fails on its first sweep, not silently */
    double v[] = {0.5};
    one_series(&r, NULL, NULL, NULL, 0, v, 1);
    memset(&err, 0, sizeof err);
    cr_assert_eq(detect(0, &r, &out, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "no unit") && strstr(err.msg, "'last > 0.85'") &&
                  strstr(err.msg, "'last > 85'") && strstr(err.msg, "unit: fraction"),
              "%s", err.msg);
    srr_signal_list_clear(&out);
    /* a time condition on a unitless series */
    memset(&err, 0, sizeof err);
    cr_assert_eq(detect(2, &r, &out, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "'max > 0.5' if it is in seconds"), "%s", err.msg);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
    /* a unit of its own (requests) */
    one_series(&r, "request", "req", "network", 1.0, v, 1);
    memset(&err, 0, sizeof err);
    cr_assert_eq(detect(1, &r, &out, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "req"), "%s", err.msg);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}

Test(units, a_declared_unit_speaks_for_a_series_without_one)
{
    double v[] = {0.91};
    srr_metric_result r;
    one_series(&r, NULL, NULL, NULL, 0, v, 1);
    srr_signal_list out = {0};
    srr_error err = {0};
    cr_assert_eq(detect(5, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1);
    cr_assert(strstr(out.v[0].summary, "last 91% > 85%"), "%s", out.v[0].summary);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}

Test(units, reconcile_and_unit_of)
{
    srr_cond c;
    srr_error err = {0};
    size_t off;
    cr_assert_eq(srr_cond_parse("last > 85%", &c, &off, &err), SRR_OK);
    srr_series s = {0};
    srr_series_unit u;
    double thr, to_q;
    s.unit_name = "fraction";
    srr_series_unit_of(&s, NULL, 0, &u);
    cr_assert_eq(u.cls, SRR_UNIT_PERCENT);
    cr_assert_eq(srr_unit_reconcile(&c.q, &u, "x", "last", &thr, &to_q, &err), SRR_OK);
    cr_assert(fabs(thr - 0.85) < 1e-12 && fabs(to_q - 100) < 1e-12);
    s.unit_name = NULL;
    s.unit = "\xce\xbcs"; /* Datadog's μs */
    cr_assert_eq(srr_cond_parse("max > 1ms", &c, &off, &err), SRR_OK);
    srr_series_unit_of(&s, NULL, 0, &u);
    cr_assert_eq(srr_unit_reconcile(&c.q, &u, "x", "max", &thr, &to_q, &err), SRR_OK);
    cr_assert(fabs(thr - 1000) < 1e-9, "%f", thr);
    /* a per unit keeps the numerator's class: B/s against MB */
    s.unit = "B";
    s.per_unit = "s";
    cr_assert_eq(srr_cond_parse("max > 100MB", &c, &off, &err), SRR_OK);
    srr_series_unit_of(&s, NULL, 0, &u);
    cr_assert_str_eq(u.label, "B/s");
    cr_assert_eq(srr_unit_reconcile(&c.q, &u, "x", "max", &thr, &to_q, &err), SRR_OK);
    cr_assert(fabs(thr - 1e8) < 1e-3);
}

Test(units, config_refuses_an_unknown_declared_unit)
{
    static const char bad[] = "checks:\n  - {name: x, source: metrics, query: \"avg:m{*}\", "
                              "when: \"max > 1\", unit: furlongs}\n";
    srr_config *c2 = NULL;
    srr_ruleset *r2 = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_config_parse("b.yaml", bad, strlen(bad), &c2, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_rules_compile(c2, &r2, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "b.yaml:2:") && strstr(err.msg, "'furlongs'"), "%s", err.msg);
    srr_config_destroy(c2);
}

Test(units, arithmetic_sets_datadogs_unit_aside)
{
    /* "... * 100": Datadog's unit names the metric (a fraction), not the
     * result; a % condition needs the check to say what the result is in. */
    cr_assert(srr_query_has_arithmetic("max:system.disk.in_use{*} * 100"));
    cr_assert(srr_query_has_arithmetic("sum:a{x} / sum:b{x}"));
    cr_assert(!srr_query_has_arithmetic("max:system.disk.in_use{device:/dev/sda-1} by {host}"));
    cr_assert(!srr_query_has_arithmetic("anomalies(avg:x{*}, 'basic-x', 2)"));
    double v[] = {91.0};
    srr_metric_result r;
    srr_signal_list out = {0};
    srr_error err = {0};
    one_series(&r, "fraction", NULL, "percentage", 100.0, v, 1);
    cr_assert_eq(detect(7, &r, &out, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "computes on the metric") && strstr(err.msg, "unit: fraction"),
              "%s", err.msg);
    srr_signal_list_clear(&out);
    memset(&err, 0, sizeof err);
    cr_assert_eq(detect(8, &r, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1);
    cr_assert(strstr(out.v[0].summary, "last 91% > 85%"), "%s", out.v[0].summary);
    srr_signal_list_clear(&out);
    srr_metric_result_clear(&r);
}
