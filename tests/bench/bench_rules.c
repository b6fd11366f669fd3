/* SPDX-License-Identifier: Apache-2.0
 *
 * bench_rules.c - signal evaluations per second of the triage policy on one
 * core (DESIGN.md section 7: >= 1,000,000/s with a 100-rule policy), with
 * the cost of 1,000 rules beside it. Run by `./scripts/bench.sh rules`.
 *
 * Policies (generated): "mixed" rules use every kind of matcher - enum
 * lists, exact names, prefix*, *suffix and general globs for check and
 * service, env, tags, monitor priority, value conditions with units - and
 * history matchers (recurrence) that the producer skips; "star" rules are
 * the colleague's worst case, every text pattern starting with '*'. The
 * signals (64, varied) mostly reach the end of the policy: most match no
 * rule and take the default, so every rule is tried.
 *
 * The reference, measured in the same run: the cheapest possible policy
 * walk - one strcmp of the signal's check against one literal per rule, no
 * other matcher, no reason sentence. Both are timed in alternating short
 * slices, and figures are printed as rates and as ratios to that reference,
 * so a busy machine shifts both alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "rules.h"

#define NSIG 64
#define MIN_SECONDS 0.5
#define SLICE 2048 /* evaluations per alternating slice */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char CHECKS[] =
    "checks:\n"
    "  - {name: disk-usage, source: metrics, query: \"max:d{*}\", when: \"last > 85%\"}\n"
    "  - {name: worker-memory, source: metrics, query: \"avg:m{*}\", when: \"growth > "
    "10%/week\"}\n"
    "  - {name: api-latency, source: metrics, query: \"p95:l{*}\", when: \"max > 500ms\"}\n"
    "  - {name: checkout-5xx, source: logs, query: \"service:checkout\", when: \"count > "
    "100\"}\n";

/* One generated rule of the "mixed" family (i picks the shape). */
static void mixed_rule(srr_buf *b, int i)
{
    static const char *const actions[] = {"ignore", "backlog", "risk"};
    srr_buf_printf(b, "    - name: r%d\n      match: {", i);
    switch (i % 10) {
    case 0: srr_buf_printf(b, "check: \"chk-%d-*\", source: [metrics, logs]", i); break;
    case 1: srr_buf_printf(b, "check: \"*-usage-%d\", kind: threshold", i); break;
    case 2: srr_buf_printf(b, "service: \"svc%d\", env: prod", i); break;
    case 3: srr_buf_printf(b, "service: \"*-team%d\", tags: [\"team:t%d\"]", i, i); break;
    case 4: srr_buf_printf(b, "check: \"api-[a-c]*-%d\", value: \"> 900ms\"", i); break;
    case 5: srr_buf_printf(b, "tags: [\"device:/dev/sd?%d\"], env: \"p*\"", i); break;
    case 6: srr_buf_printf(b, "source: webhook, priority: [P1, P2], service: \"pay%d*\"", i); break;
    case 7: srr_buf_printf(b, "check: [\"x%d\", \"y%d\", \"z%d\"], status: firing", i, i, i); break;
    case 8:
        srr_buf_printf(b, "check: \"disk-usage\", value: \"> 99%%\", recurrence: \">= 3 of the "
                          "last 4 sweeps\"");
        break;
    default: srr_buf_printf(b, "kind: [count, spike], service: \"*checkout%d*\"", i); break;
    }
    srr_buf_printf(b, "}\n      action: %s\n", actions[i % 3]);
}

/* The worst realistic case: every pattern starts with '*'. */
static void star_rule(srr_buf *b, int i)
{
    srr_buf_printf(b,
                   "    - name: s%d\n      match: {check: \"*-x%d\", service: \"*-svc%d\"}\n"
                   "      action: backlog\n",
                   i, i, i);
}

static srr_ruleset *make_policy(int nrules, int star, srr_config **cfg)
{
    srr_buf b;
    srr_error err = {0};
    srr_ruleset *rs = NULL;
    srr_buf_init(&b, 0);
    srr_buf_printf(&b, "%spolicy:\n  rules:\n", CHECKS);
    for (int i = 0; i < nrules; i++) {
        if (star)
            star_rule(&b, i);
        else
            mixed_rule(&b, i);
    }
    srr_buf_printf(&b, "  default: {action: investigate, timebox: 7d}\n");
    if (srr_config_parse("bench.yaml", b.data, b.len, cfg, &err) != SRR_OK ||
        srr_rules_compile(*cfg, &rs, &err) != SRR_OK) {
        fprintf(stderr, "bench_rules: %s\n", err.msg);
        exit(1);
    }
    srr_buf_free(&b);
    return rs;
}

static void make_signals(srr_signal *s)
{
    static const char *const checks[] = {"disk-usage",   "worker-memory", "api-latency",
                                         "checkout-5xx", "chk-990-x",     "queue-depth"};
    static const char *const services[] = {"postgres", "billing-worker", "api",
                                           "checkout", "payments",       "search-team"};
    memset(s, 0, NSIG * sizeof(*s));
    for (int i = 0; i < NSIG; i++) {
        s[i].source = (srr_source)(i % 3);
        s[i].check = srr_strdup(checks[i % 6]);
        s[i].kind = (srr_kind)(i % 4);
        s[i].status = SRR_STATUS_FIRING;
        s[i].service = srr_strdup(services[(i / 2) % 6]);
        s[i].env = srr_strdup(i % 5 ? "prod" : "staging");
        srr_signal_add_tag(&s[i], i % 2 ? "host:w-1" : "device:/dev/nvme0n1");
        srr_signal_add_tag(&s[i], "team:core");
        s[i].value = 91.0 + i;
        s[i].unit = srr_strdup(i % 3 ? "%" : "ms");
        s[i].condition = srr_strdup("max > 90%");
        s[i].summary = srr_strdup("max 93.1% > 90%");
        s[i].priority = i % 7 ? NULL : srr_strdup("P3");
    }
}

/* One slice of srr_rules_decide over the signals: evaluations done, and
 * the seconds they took through *secs. */
static long slice_decide(const srr_ruleset *rs, const srr_signal *s, double *secs)
{
    srr_decision d;
    volatile int sink = 0;
    double t0 = now_s();
    for (int k = 0; k < SLICE; k++) {
        srr_rules_decide(rs, &s[k % NSIG], &d);
        sink += d.rule_index;
    }
    *secs += now_s() - t0;
    (void)sink;
    return SLICE;
}

/* One slice of the reference: one strcmp per rule against a literal. */
static long slice_reference(char *const *lit, int nrules, const srr_signal *s, double *secs)
{
    volatile int sink = 0;
    double t0 = now_s();
    for (int k = 0; k < SLICE; k++) {
        const char *c = s[k % NSIG].check;
        int i = 0;
        while (i < nrules && strcmp(c, lit[i]) != 0)
            i++;
        sink += i;
    }
    *secs += now_s() - t0;
    (void)sink;
    return SLICE;
}

/* Measures both side by side, alternating short slices until each has run
 * MIN_SECONDS, so a neighbour's load falls on both alike. */
static void rates(const srr_ruleset *rs, int nrules, const srr_signal *s, double *got, double *ref)
{
    char **lit = malloc((size_t)nrules * sizeof(*lit));
    long n_got = 0, n_ref = 0;
    double t_got = 0, t_ref = 0;
    for (int i = 0; i < nrules; i++)
        lit[i] = srr_asprintf("chk-%d-x", i);
    while (t_got < MIN_SECONDS || t_ref < MIN_SECONDS) {
        n_ref += slice_reference(lit, nrules, s, &t_ref);
        n_got += slice_decide(rs, s, &t_got);
    }
    for (int i = 0; i < nrules; i++)
        free(lit[i]);
    free(lit);
    *got = (double)n_got / t_got;
    *ref = (double)n_ref / t_ref;
}

static int report(const char *what, int nrules, int star, const srr_signal *s, int gate)
{
    srr_config *cfg = NULL;
    srr_ruleset *rs = make_policy(nrules, star, &cfg);
    double ref = 0, got = 0;
    rates(rs, nrules, s, &got, &ref);
    int ok = !gate || got >= 1e6;
    printf("  %-34s %5d rules  %10.0f eval/s  = %5.2f x reference (%10.0f/s)%s\n", what, nrules,
           got, got / ref, ref, gate ? (ok ? "  >= 1M/s: PASS" : "  >= 1M/s: FAIL") : "");
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
    return ok;
}

int main(void)
{
    srr_signal s[NSIG];
    int ok = 1;
    make_signals(s);
    printf("bench_rules: policy evaluations per second on one core (producer view,\n"
           "reason sentence included). Reference = a strcmp of the check name against one\n"
           "literal per rule, the cheapest walk a policy can do.\n");
    ok &= report("mixed matchers and conditions", 100, 0, s, 1);
    ok &= report("every pattern starts with '*'", 100, 1, s, 1);
    report("mixed matchers and conditions", 1000, 0, s, 0);
    report("every pattern starts with '*'", 1000, 1, s, 0);
    for (int i = 0; i < NSIG; i++)
        srr_signal_clear(&s[i]);
    return ok ? 0 : 1;
}
