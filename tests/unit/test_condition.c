/* SPDX-License-Identifier: Apache-2.0
 *
 * test_condition.c - the `when` grammar of rules/condition.c: measures,
 * operators, numbers, every unit family and its normalisation, conversion
 * into a series' unit, and error messages that say what was expected at
 * which character (and, through a config, at which file:line:col).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "condition.h"
#include "config.h"
#include "rules.h"

static srr_cond parse_ok(const char *text)
{
    srr_cond c;
    srr_error err = {0};
    size_t off = 99;
    srr_rc rc = srr_cond_parse(text, &c, &off, &err);
    cr_assert_eq(rc, SRR_OK, "'%s': %s", text, err.msg);
    return c;
}

static size_t parse_fail(const char *text, const char *needle)
{
    srr_cond c;
    srr_error err = {0};
    size_t off = 999;
    srr_rc rc = srr_cond_parse(text, &c, &off, &err);
    cr_assert_eq(rc, SRR_EINVAL, "'%s' should fail", text);
    cr_assert(strstr(err.msg, needle), "'%s': message '%s' lacks '%s'", text, err.msg, needle);
    return off;
}

static int near(double a, double b)
{
    return fabs(a - b) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

Test(condition, measures_and_kinds)
{
    static const char *const names[] = {"max", "min", "avg", "last", "sum", "p50",
                                        "p75", "p90", "p95", "p99"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char text[32];
        snprintf(text, sizeof text, "%s > 1", names[i]);
        srr_cond c = parse_ok(text);
        cr_assert_eq(c.measure, (srr_measure)i);
        cr_assert_eq(c.kind, SRR_KIND_THRESHOLD);
    }
    cr_assert_eq(parse_ok("growth > 10%/week").kind, SRR_KIND_TREND);
    cr_assert_eq(parse_ok("count >= 100").kind, SRR_KIND_COUNT);
    cr_assert_eq(parse_ok("MAX > 1").measure, SRR_MEASURE_MAX);
}

Test(condition, operators)
{
    cr_assert_eq(parse_ok("max > 1").op, SRR_CMP_GT);
    cr_assert_eq(parse_ok("max >= 1").op, SRR_CMP_GE);
    cr_assert_eq(parse_ok("max < 1").op, SRR_CMP_LT);
    cr_assert_eq(parse_ok("max <= 1").op, SRR_CMP_LE);
    cr_assert_eq(parse_ok("max == 1").op, SRR_CMP_EQ);
    cr_assert_eq(parse_ok("max != 1").op, SRR_CMP_NE);
    cr_assert_eq(parse_ok("max>=1").op, SRR_CMP_GE);
    cr_assert(srr_cmp_holds(SRR_CMP_GE, 1, 1));
    cr_assert(!srr_cmp_holds(SRR_CMP_GT, 1, 1));
    cr_assert(srr_cmp_holds(SRR_CMP_NE, 1, 2));
}

Test(condition, numbers)
{
    cr_assert(near(parse_ok("max > 123").q.base, 123));
    cr_assert(near(parse_ok("max > 1.5").q.base, 1.5));
    cr_assert(near(parse_ok("max > 1e3").q.base, 1000));
    cr_assert(near(parse_ok("max > 2.5E-1").q.base, 0.25));
    cr_assert(near(parse_ok("min < -4").q.base, -4));
    cr_assert(near(parse_ok("max > .5").q.base, 0.5));
    cr_assert_eq(parse_ok("max > 123").q.uclass, SRR_UNIT_NONE);
}

Test(condition, percent_and_bytes)
{
    srr_cond c = parse_ok("max > 90%");
    cr_assert_eq(c.q.uclass, SRR_UNIT_PERCENT);
    cr_assert(near(c.q.base, 90));
    cr_assert(near(parse_ok("max > 2KB").q.base, 2000));
    cr_assert(near(parse_ok("max > 2 MB").q.base, 2e6));
    cr_assert(near(parse_ok("max > 1GB").q.base, 1e9));
    cr_assert(near(parse_ok("max > 1TB").q.base, 1e12));
    cr_assert(near(parse_ok("max > 2KiB").q.base, 2048));
    cr_assert(near(parse_ok("max > 1MiB").q.base, 1048576));
    c = parse_ok("avg >= 2GiB");
    cr_assert_eq(c.q.uclass, SRR_UNIT_BYTES);
    cr_assert(near(c.q.base, 2147483648.0));
    cr_assert_str_eq(c.q.unit, "GiB");
    cr_assert(near(parse_ok("max > 1TiB").q.base, 1099511627776.0));
    cr_assert(near(parse_ok("max > 512B").q.base, 512));
}

Test(condition, time_units_normalise_to_seconds)
{
    cr_assert(near(parse_ok("p99 > 250ms").q.base, 0.25));
    cr_assert(near(parse_ok("p99 > 5us").q.base, 5e-6));
    cr_assert(near(parse_ok("p99 > 5\xc2\xb5s").q.base, 5e-6));
    cr_assert(near(parse_ok("p99 > 40ns").q.base, 40e-9));
    cr_assert(near(parse_ok("max > 3s").q.base, 3));
    cr_assert(near(parse_ok("max > 2m").q.base, 120));
    cr_assert(near(parse_ok("max > 1.5h").q.base, 5400));
    cr_assert(near(parse_ok("max > 1d").q.base, 86400));
    cr_assert_eq(parse_ok("max > 1d").q.uclass, SRR_UNIT_TIME);
}

Test(condition, threshold_converts_into_series_unit)
{
    srr_cond c = parse_ok("p99 > 250ms");
    cr_assert(near(srr_quantity_in(&c.q, "ms"), 250));
    cr_assert(near(srr_quantity_in(&c.q, "s"), 0.25));
    cr_assert(near(srr_quantity_in(&c.q, "\xce\xbcs"), 250000)); /* Datadog's μs */
    cr_assert(near(srr_quantity_in(&c.q, "\xc2\xb5s"), 250000));
    cr_assert(near(srr_quantity_in(&c.q, "ns"), 250e6));
    cr_assert(near(srr_quantity_in(&c.q, NULL), 0.25));
    c = parse_ok("max > 2GiB");
    cr_assert(near(srr_quantity_in(&c.q, "B"), 2147483648.0));
    cr_assert(near(srr_quantity_in(&c.q, "MiB"), 2048));
    cr_assert(near(srr_quantity_in(&c.q, "%"), 2147483648.0)); /* other class: untouched */
}

Test(condition, growth_rates_normalise_to_week)
{
    srr_cond c = parse_ok("growth > 10%/week");
    cr_assert_eq(c.q.uclass, SRR_UNIT_RATE);
    cr_assert(near(c.q.base, 10));
    cr_assert(near(parse_ok("growth > 2%/day").q.base, 14));
    cr_assert(near(parse_ok("growth > 30%/month").q.base, 7));
}

Test(condition, errors_say_what_and_where)
{
    size_t off;
    off = parse_fail("", "expected a measure");
    cr_assert_eq(off, 0);
    off = parse_fail("mx > 90%", "expected a measure (max, min");
    cr_assert_eq(off, 0);
    off = parse_fail("max 90%", "expected an operator (>, >=, <, <=, == or !=) at character 5");
    cr_assert_eq(off, 4);
    off = parse_fail("max => 90", "expected an operator");
    cr_assert_eq(off, 4);
    off = parse_fail("max > abc", "expected a number");
    cr_assert_eq(off, 6);
    off = parse_fail("max > 90 %x", "expected a unit");
    cr_assert_eq(off, 9);
    off = parse_fail("max > 90furlongs", "expected a unit");
    cr_assert_eq(off, 8);
    off = parse_fail("max > 90% and more", "expected the end of the condition at character 11");
    cr_assert_eq(off, 10);
    off = parse_fail("growth > 10%", "growth rate unit");
    cr_assert_eq(off, 11); /* at the wrong unit */
    off = parse_fail("growth > 10", "growth rate unit");
    cr_assert_eq(off, 9);
    off = parse_fail("count > 5MB", "a count has no unit");
    cr_assert_eq(off, 9);
    off = parse_fail("max > 10%/week", "expected a unit");
    cr_assert_eq(off, 8);
}

Test(condition, limit_quantities)
{
    srr_quantity q;
    srr_error err = {0};
    size_t off = 0;
    cr_assert_eq(srr_quantity_parse("2GiB", &q, &off, &err), SRR_OK);
    cr_assert(near(q.base, 2147483648.0));
    cr_assert_eq(srr_quantity_parse("95%", &q, &off, &err), SRR_OK);
    cr_assert_eq(q.uclass, SRR_UNIT_PERCENT);
    cr_assert_eq(srr_quantity_parse("2 gigs", &q, &off, &err), SRR_EINVAL);
    cr_assert_eq(off, 2);
    cr_assert_eq(srr_quantity_parse("10%/week", &q, &off, &err), SRR_EINVAL);
}

/* Compile errors of a check's `when` come back as file:line:col, the column
 * pointing into the plain scalar. */
Test(condition, compile_error_positions)
{
    static const char yaml[] = "checks:\n"
                               "  - name: disk\n"
                               "    source: metrics\n"
                               "    query: \"max:system.disk.in_use{*} by {device}\"\n"
                               "    when: max >> 90%\n";
    srr_config *cfg = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_config_parse("srr.yaml", yaml, strlen(yaml), &cfg, &err), SRR_OK, "%s",
                 err.msg);
    srr_ruleset *rs = NULL;
    cr_assert_eq(srr_rules_compile(cfg, &rs, &err), SRR_EINVAL);
    cr_assert_null(rs);
    /* The value starts at column 11; the first '>' is the operator, and a
     * number is expected at the second '>' (offset 5): column 16. */
    cr_assert(strstr(err.msg, "srr.yaml:5:16: check 'disk': when: expected a number"),
              "%s", err.msg);
    srr_config_destroy(cfg);
}

Test(condition, compile_error_quoted_points_at_scalar)
{
    static const char yaml[] = "checks:\n"
                               "  - {name: mem, source: metrics, query: \"avg:foo{*}\",\n"
                               "     when: \"growth > 10%/fortnight\"}\n";
    srr_config *cfg = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_config_parse("c.yaml", yaml, strlen(yaml), &cfg, &err), SRR_OK, "%s",
                 err.msg);
    srr_ruleset *rs = NULL;
    cr_assert_eq(srr_rules_compile(cfg, &rs, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "c.yaml:3:12: check 'mem': when: expected a unit"), "%s",
              err.msg);
    srr_config_destroy(cfg);
}

Test(condition, kind_must_fit_source)
{
    static const char logs_growth[] =
        "checks:\n"
        "  - {name: errs, source: logs, query: \"status:error\", when: \"growth > 5%/week\"}\n";
    static const char metrics_count[] =
        "checks:\n"
        "  - {name: cpu, source: metrics, query: \"avg:cpu{*}\", when: \"count > 5\"}\n";
    static const char bad_limit[] =
        "checks:\n"
        "  - {name: mem, source: metrics, query: \"avg:m{*}\", when: \"growth > 5%/week\",\n"
        "     limit: 2 gigs}\n";
    const char *texts[] = {logs_growth, metrics_count, bad_limit};
    const char *want[] = {"a logs check counts events", "'count' is for logs checks",
                          "limit: expected a unit"};
    for (int i = 0; i < 3; i++) {
        srr_config *cfg = NULL;
        srr_error err = {0};
        cr_assert_eq(srr_config_parse("k.yaml", texts[i], strlen(texts[i]), &cfg, &err), SRR_OK,
                     "%s", err.msg);
        srr_ruleset *rs = NULL;
        cr_assert_eq(srr_rules_compile(cfg, &rs, &err), SRR_EINVAL, "case %d", i);
        cr_assert(strstr(err.msg, want[i]), "case %d: %s", i, err.msg);
        cr_assert(strncmp(err.msg, "k.yaml:", 7) == 0, "case %d: %s", i, err.msg);
        srr_config_destroy(cfg);
    }
}
