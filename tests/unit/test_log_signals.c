/* SPDX-License-Identifier: Apache-2.0
 *
 * test_log_signals.c - the logs detectors a team acts on (rules/
 * detect_logs.c and rules/patterns.c): a spike of log counts over time
 * buckets (a burst of a few hours at thirty times the usual error rate in an
 * otherwise flat week, per group), and new patterns kept per group_by group
 * with their text, samples and a log search narrowed to them, titled with
 * the pattern's text (rules/candidate.c).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "config.h"
#include "detectors.h"
#include "rules.h"

#define T0 1767225600LL /* window start: 2026-01-01T00:00:00Z */
#define WEEK 604800LL

static srr_config *cfg;
static srr_ruleset *rs;

/* clang-format off */
static const char CHECKS[] =
    "checks:\n"
    "  - {name: burst, source: logs, query: \"status:error\", when: \"spike > 1000%\", "
    "group_by: [service]}\n"                                                             /* 0 */
    "  - {name: fresh, source: logs, query: \"env:prod status:error\", "
    "when: \"new_pattern >= 2\", group_by: [service]}\n"                                /* 1 */
    "  - {name: burst-all, source: logs, query: \"status:error\", when: \"spike > 1000%\"}\n"; /* 2 */
/* clang-format on */

static void setup(void)
{
    srr_error err = {0};
    cr_assert_eq(srr_config_parse("l.yaml", CHECKS, strlen(CHECKS), &cfg, &err), SRR_OK, "%s",
                 err.msg);
    cr_assert_eq(srr_rules_compile(cfg, &rs, &err), SRR_OK, "%s", err.msg);
}

static void teardown(void)
{
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

TestSuite(log_signals, .init = setup, .fini = teardown);

/* Hourly counts over the previous week and this one: `base` an hour, and
 * from hour `at` of this week, `burst` an hour for `hours` hours. */
static size_t week_counts(srr_point *p, double base, int at, int hours, double burst)
{
    size_t n = 0;
    for (int h = -168; h < 168; h++) {
        p[n].ts_ms = (double)(T0 + 3600LL * h) * 1000.0;
        p[n].value = h >= at && h < at + hours ? burst : base;
        p[n].is_null = 0;
        n++;
    }
    return n;
}

Test(log_signals, spike_of_log_counts_per_interval)
{
    cr_assert_eq(srr_log_spike_interval(WEEK), 3600);
    cr_assert_eq(srr_log_spike_interval(3600), 60);
    srr_detect_ctx ctx = {.check_index = 0,
                          .window_start = T0,
                          .window_end = T0 + WEEK,
                          .link = "https://app.datadoghq.com/logs"};
    srr_log_counter *lc = srr_log_counter_create(rs, &ctx);
    srr_log_counter_set_interval(lc, 3600);
    srr_point pts[400];
    const char *pay[] = {"payments"}, *cart[] = {"cart"}, *quiet[] = {"search"};
    /* payments: 10 errors an hour, then 300 an hour for 3 hours */
    size_t n = week_counts(pts, 10, 50, 3, 300);
    srr_log_counter_add_series(lc, pay, 1, pts, n);
    /* cart: flat at 10 an hour */
    n = week_counts(pts, 10, 0, 0, 10);
    srr_log_counter_add_series(lc, cart, 1, pts, n);
    /* search: silent the week before (Datadog leaves empty intervals out),
     * 5 errors once this week: not a spike against one event per hour */
    srr_point one = {(double)(T0 + 7200) * 1000.0, 5, 0};
    srr_log_counter_add_series(lc, quiet, 1, &one, 1);
    cr_assert(srr_log_counter_fires(lc));
    int64_t from = 0, to = 0;
    cr_assert(srr_log_counter_peak(lc, &from, &to));
    cr_assert_eq(from, T0 + 50 * 3600);
    cr_assert_eq(to, T0 + 51 * 3600);
    srr_signal_list out = {0};
    srr_error err = {0};
    cr_assert_eq(srr_log_counter_finish(lc, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1, "only the burst fires");
    srr_signal *s = &out.v[0];
    cr_assert_eq(s->kind, SRR_KIND_SPIKE);
    cr_assert_str_eq(s->service, "payments");
    cr_assert_str_eq(srr_signal_tag(s, "service"), "payments");
    cr_assert(fabs(s->value - 2900.0) < 1e-6, "spike %f", s->value);
    cr_assert_str_eq(s->unit, "%");
    cr_assert(strstr(s->summary, "spike 2900% (> 1000%): 300 events in the 1h from "
                                 "2026-01-03T02:00:00Z, against 10 per 1h the window before"),
              "%s", s->summary);
    cr_assert_eq(json_integer_value(json_object_get(s->evidence, "interval_s")), 3600);
    srr_signal_list_clear(&out);
    srr_log_counter_destroy(lc);
}

Test(log_signals, spike_without_group_by_and_a_silent_baseline)
{
    /* No events at all the week before: a baseline of one event per hour,
     * so 40 errors in one hour read as +3900%. */
    srr_detect_ctx ctx = {.check_index = 2, .window_start = T0, .window_end = T0 + WEEK};
    srr_log_counter *lc = srr_log_counter_create(rs, &ctx);
    srr_log_counter_set_interval(lc, 3600);
    srr_point p = {(double)(T0 + 3600) * 1000.0, 40, 0};
    srr_log_counter_add_series(lc, NULL, 0, &p, 1);
    srr_signal_list out = {0};
    srr_error err = {0};
    cr_assert_eq(srr_log_counter_finish(lc, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1);
    cr_assert(fabs(out.v[0].value - 3900.0) < 1e-6, "%f", out.v[0].value);
    srr_signal_list_clear(&out);
    srr_log_counter_destroy(lc);
}

static srr_log_event event(const char *service, const char *msg, const char *ts)
{
    srr_log_event ev = {
        .id = "x", .timestamp = ts, .status = "error", .service = service, .message = msg};
    return ev;
}

Test(log_signals, new_pattern_keeps_its_group_text_samples_and_search)
{
    srr_detect_ctx ctx = {.check_index = 1,
                          .window_start = T0,
                          .window_end = T0 + WEEK,
                          .link = "https://app.datadoghq.com/logs?query=broad"};
    srr_pattern_detector *pd = srr_pattern_detector_create(rs, &ctx);
    /* The week before: checkout already timed out; payments did not. */
    srr_log_event prev = event("checkout", "payment gateway timeout after 3000ms", NULL);
    srr_pattern_add_prev(pd, &prev);
    const char *ts[] = {"2026-01-02T10:00:00Z", "2026-01-02T11:00:00Z", "2026-01-02T12:00:00Z",
                        "2026-01-02T13:00:00Z"};
    const char *ms[] = {
        "payment gateway timeout after 3000ms", "payment gateway timeout after 3100ms",
        "payment gateway timeout after 2900ms", "payment gateway timeout after 3050ms"};
    for (int i = 0; i < 4; i++) {
        srr_log_event a = event("checkout", ms[i], ts[i]), b = event("payments", ms[i], ts[i]);
        srr_pattern_add(pd, &a);
        srr_pattern_add(pd, &b);
    }
    srr_signal_list out = {0};
    srr_error err = {0};
    cr_assert_eq(srr_pattern_finish(pd, &out, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(out.n, 1, "new in payments only; checkout had it the week before");
    srr_signal *s = &out.v[0];
    cr_assert_eq(s->kind, SRR_KIND_NEW_PATTERN);
    cr_assert_str_eq(s->service, "payments");
    cr_assert_str_eq(srr_signal_tag(s, "service"), "payments");
    cr_assert_not_null(srr_signal_tag(s, "pattern"));
    cr_assert_eq(s->value, 4);
    const char *pattern = json_string_value(json_object_get(s->evidence, "pattern"));
    cr_assert_str_eq(pattern, "payment gateway timeout after <id>");
    cr_assert_eq(json_array_size(json_object_get(s->evidence, "samples")), 3);
    const char *q = json_string_value(json_object_get(s->evidence, "query"));
    cr_assert_str_eq(q, "(env:prod status:error) service:payments \"payment gateway timeout "
                        "after\"");
    cr_assert(strstr(s->summary, "on service:payments: payment gateway timeout after <id>"), "%s",
              s->summary);

    /* The candidate: titled with the pattern's text and its group, not a
     * hash. */
    srr_decision d;
    srr_rules_decide(rs, s, &d);
    srr_candidate c;
    srr_rules_candidate(s, &d, T0 + WEEK, &c);
    cr_assert_str_eq(c.title, "fresh: new log pattern \"payment gateway timeout after <id>\" on "
                              "service:payments");
    srr_candidate_clear(&c);
    srr_signal_list_clear(&out);
    srr_pattern_detector_destroy(pd);
}

Test(log_signals, pattern_search_quotes_and_skips_what_narrows_nothing)
{
    const char *facets[] = {"service", "@http.path", "env"};
    const char *values[] = {"my svc", "/pay", "n/a"};
    char *q = srr_log_pattern_query("*", facets, values, 3,
                                    "user \"<str>\" failed <num> times: \"card \\ declined\"");
    cr_assert_str_eq(q,
                     "service:\"my svc\" @http.path:/pay \"user\" \"failed\" \"times: "
                     "\\\"card \\\\ declined\\\"\"",
                     "%s", q);
    free(q);
    q = srr_log_pattern_query(NULL, NULL, NULL, 0, "<num> <id>");
    cr_assert_str_eq(q, "*");
    free(q);
}
