/* SPDX-License-Identifier: Apache-2.0
 *
 * test_policy.c - the triage policy of rules/policy.c and the candidates of
 * rules/candidate.c: compile errors with file:line:col, first match wins,
 * globs, lists, tag matchers, priority and status, the default (configured
 * or built in), the reason sentence and its bound, the per-rule "why not"
 * explanation, fingerprints (stable, independent of tag order) and
 * candidate ids (deterministic, different per window end).
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "config.h"
#include "rules.h"
#include "rules_internal.h"

#define CHECKS                                                                              \
    "checks:\n"                                                                             \
    "  - {name: disk-usage, source: metrics, query: \"max:d{*}\", when: \"max > 90%\"}\n"

/* Compiles CHECKS + `policy`; returns the rc and fills cfg, rs and err. */
static srr_rc compile(const char *policy, srr_config **cfg, srr_ruleset **rs, srr_error *err)
{
    char *text = srr_asprintf("%s%s", CHECKS, policy);
    *rs = NULL;
    srr_rc rc = srr_config_parse("p.yaml", text, strlen(text), cfg, err);
    free(text);
    cr_assert_eq(rc, SRR_OK, "config: %s", err->msg);
    return srr_rules_compile(*cfg, rs, err);
}

/* Asserts that `policy` fails to compile with `want` in the message. */
static void compile_fails(const char *policy, const char *want)
{
    srr_config *cfg = NULL;
    srr_ruleset *rs = NULL;
    srr_error err = {0};
    cr_assert_eq(compile(policy, &cfg, &rs, &err), SRR_EINVAL, "should fail: %s", want);
    cr_assert_null(rs);
    cr_assert(strstr(err.msg, want), "message '%s' lacks '%s'", err.msg, want);
    srr_config_destroy(cfg);
}

/* Lines 1-2 are CHECKS; the policy starts on line 3. */

Test(policy_compile, unknown_key)
{
    compile_fails("policy:\n"
                  "  rules:\n"
                  "    - name: a\n"
                  "      action: backlog\n"
                  "      colour: red\n",
                  "p.yaml:7:7: unknown key 'colour' in policy.rules[0]");
    compile_fails("policy:\n"
                  "  rules:\n"
                  "    - name: a\n"
                  "      match: {sevice: x}\n"
                  "      action: backlog\n",
                  "p.yaml:6:15: unknown key 'sevice' in policy.rules[0].match");
    compile_fails("policy:\n"
                  "  budget: 3\n",
                  "p.yaml:4:3: unknown key 'budget' in policy");
}

Test(policy_compile, bad_action_and_enums)
{
    compile_fails("policy:\n"
                  "  rules:\n"
                  "    - name: a\n"
                  "      action: later\n",
                  "p.yaml:6:15: policy.rules[0].action: unknown action 'later' (expected ignore, "
                  "backlog, investigate or risk)");
    compile_fails("policy:\n"
                  "  rules:\n"
                  "    - name: a\n"
                  "      match: {source: [metrics, traces]}\n"
                  "      action: risk\n",
                  "p.yaml:6:33: policy.rules[0].match.source: unknown value 'traces'");
    compile_fails("policy:\n"
                  "  rules:\n"
                  "    - name: a\n"
                  "      action: risk\n"
                  "      urgency: asap\n",
                  "p.yaml:7:16: policy.rules[0].urgency: unknown urgency 'asap'");
    compile_fails("policy:\n"
                  "  rules:\n"
                  "    - name: a\n",
                  "p.yaml:5:7: policy.rules[0]: missing required key 'action'");
    compile_fails("policy:\n"
                  "  rules:\n"
                  "    - action: risk\n",
                  "p.yaml:5:7: policy.rules[0]: missing required key 'name'");
    compile_fails("policy:\n"
                  "  rules: {name: a}\n",
                  "p.yaml:4:10: policy.rules: expected a list of rules, found a map");
    compile_fails("policy:\n"
                  "  rules:\n"
                  "    - name: a\n"
                  "      match: {check: {x: 1}}\n"
                  "      action: risk\n",
                  "p.yaml:6:22: policy.rules[0].match.check: expected a string or a list of "
                  "strings, found a map");
}

Test(policy_compile, timebox_rules)
{
    compile_fails("policy:\n"
                  "  rules:\n"
                  "    - name: slow-leak\n"
                  "      action: investigate\n",
                  "p.yaml:6:15: policy.rules[0]: action 'investigate' needs a time-box");
    compile_fails("policy:\n"
                  "  rules:\n"
                  "    - name: a\n"
                  "      action: backlog\n"
                  "      timebox: 7d\n",
                  "p.yaml:7:16: policy.rules[0].timebox: only an 'investigate' action has a "
                  "time-box (this action is 'backlog')");
    compile_fails("policy:\n"
                  "  default: {action: investigate}\n",
                  "p.yaml:4:21: policy.default: action 'investigate' needs a time-box");
}

Test(policy_compile, duplicate_name)
{
    compile_fails("policy:\n"
                  "  rules:\n"
                  "    - name: a\n"
                  "      action: backlog\n"
                  "    - name: b\n"
                  "      action: backlog\n"
                  "    - name: a\n"
                  "      action: risk\n",
                  "p.yaml:9:13: policy.rules[2].name: duplicate rule name 'a' (first used by "
                  "rule #1 at line 5)");
}

/* ---- deciding -------------------------------------------------------------- */

static const char POLICY[] =
    "policy:\n"
    "  max_new_drafts: 10\n"
    "  rules:\n"
    "    - name: recovered-noise\n"
    "      match: {status: recovered}\n"
    "      action: ignore\n"
    "    - name: disk-filling-is-a-known-fix\n"
    "      match:\n"
    "        source: metrics\n"
    "        check: \"disk-*\"\n"
    "        kind: [threshold, trend]\n"
    "        tags: [\"device:/dev/*\"]\n"
    "      action: backlog\n"
    "      urgency: medium\n"
    "      owner: storage-team\n"
    "      reason: \"Disk growth has a known fix: extend the volume or add retention.\"\n"
    "    - name: checkout-paging\n"
    "      match: {source: webhook, priority: [p1, P2], service: [\"checkout*\", payments]}\n"
    "      action: risk\n"
    "      urgency: critical\n"
    "    - name: prod-leaks\n"
    "      match: {kind: trend, env: \"prod*\", tags: [\"host:worker-?\", \"team:[a-c]*\"]}\n"
    "      action: investigate\n"
    "      timebox: 14d\n"
    "      urgency: high\n"
    "  default:\n"
    "    action: ignore\n"
    "    reason: \"Nothing in the policy asks for this signal.\"\n";

static srr_config *cfg;
static srr_ruleset *rs;

static void setup(void)
{
    srr_error err = {0};
    cr_assert_eq(compile(POLICY, &cfg, &rs, &err), SRR_OK, "%s", err.msg);
}

static void teardown(void)
{
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

/* A signal with the given fields and NULL-terminated tags. */
static void sig_make(srr_signal *s, srr_source src, const char *check, srr_kind kind,
                     const char *service, const char *env, ...)
{
    memset(s, 0, sizeof *s);
    s->source = src;
    s->check = srr_strdup(check);
    s->kind = kind;
    s->status = SRR_STATUS_FIRING;
    s->service = srr_strdup(service);
    s->env = srr_strdup(env);
    s->summary = srr_strdup("max 93.1% > 90% on device:/dev/sda1");
    s->condition = srr_strdup("max > 90%");
    s->value = 93.1;
    s->unit = srr_strdup("%");
    s->window_start = 1767225600;
    s->window_end = 1767830400;
    va_list ap;
    va_start(ap, env);
    for (const char *t; (t = va_arg(ap, const char *)) != NULL;)
        srr_signal_add_tag(s, t);
    va_end(ap);
}

TestSuite(policy, .init = setup, .fini = teardown);

Test(policy, counts)
{
    cr_assert_eq(srr_rules_count(rs), 4);
    cr_assert_eq(srr_rules_max_new_drafts(rs), 10);
}

Test(policy, first_match_wins_with_rule_reason)
{
    srr_signal s;
    srr_decision d;
    sig_make(&s, SRR_SRC_METRICS, "disk-usage", SRR_KIND_THRESHOLD, "db", "prod",
             "device:/dev/sda1", "host:db-1", NULL);
    srr_rules_decide(rs, &s, &d);
    cr_assert_eq(d.action, SRR_ACTION_BACKLOG);
    cr_assert_eq(d.rule_index, 1);
    cr_assert_str_eq(d.rule, "disk-filling-is-a-known-fix");
    cr_assert_eq(d.urgency, SRR_URGENCY_MEDIUM);
    cr_assert_str_eq(d.owner, "storage-team");
    cr_assert_eq(d.timebox_s, 0);
    cr_assert_str_eq(d.reason, "Disk growth has a known fix: extend the volume or add retention. "
                               "(rule 'disk-filling-is-a-known-fix', #2: max 93.1% > 90% on "
                               "device:/dev/sda1)");

    /* The same signal recovered: the earlier rule wins. */
    s.status = SRR_STATUS_RECOVERED;
    srr_rules_decide(rs, &s, &d);
    cr_assert_eq(d.rule_index, 0);
    cr_assert_eq(d.action, SRR_ACTION_IGNORE);
    cr_assert_str_eq(d.reason, "Matched rule 'recovered-noise' (#1): threshold on disk-usage "
                               "\xe2\x80\x94 max 93.1% > 90% on device:/dev/sda1 \xe2\x86\x92 "
                               "ignore.");
    srr_signal_clear(&s);
}

Test(policy, globs_lists_and_tags)
{
    srr_signal s;
    srr_decision d;
    /* check glob fails: "disk-*" vs "mem" */
    sig_make(&s, SRR_SRC_METRICS, "mem", SRR_KIND_THRESHOLD, NULL, NULL, "device:/dev/sda1",
             NULL);
    srr_rules_decide(rs, &s, &d);
    cr_assert_eq(d.rule_index, 4);
    cr_assert_str_eq(d.rule, "default");
    cr_assert_eq(d.action, SRR_ACTION_IGNORE);
    cr_assert(strncmp(d.reason, "Nothing in the policy asks for this signal. (default, no rule "
                                "matched: ", 67) == 0, "%s", d.reason);
    srr_signal_clear(&s);

    /* tag glob fails: no device tag */
    sig_make(&s, SRR_SRC_METRICS, "disk-usage", SRR_KIND_TREND, NULL, NULL, "host:db-1", NULL);
    srr_rules_decide(rs, &s, &d);
    cr_assert_eq(d.rule_index, 4);
    srr_signal_clear(&s);

    /* every tag glob must match some tag; kind list; env glob */
    sig_make(&s, SRR_SRC_METRICS, "mem", SRR_KIND_TREND, "worker", "production",
             "host:worker-7", "team:billing", NULL);
    srr_rules_decide(rs, &s, &d);
    cr_assert_eq(d.rule_index, 3);
    cr_assert_eq(d.action, SRR_ACTION_INVESTIGATE);
    cr_assert_eq(d.timebox_s, 14 * 86400);
    cr_assert_eq(d.urgency, SRR_URGENCY_HIGH);
    cr_assert_null(d.owner);
    srr_signal_clear(&s);

    sig_make(&s, SRR_SRC_METRICS, "mem", SRR_KIND_TREND, "worker", "production",
             "host:worker-17", "team:billing", NULL); /* '?' is one character */
    srr_rules_decide(rs, &s, &d);
    cr_assert_eq(d.rule_index, 4);
    srr_signal_clear(&s);

    sig_make(&s, SRR_SRC_METRICS, "mem", SRR_KIND_TREND, "worker", "production",
             "host:worker-7", "team:ops", NULL); /* [a-c]* fails */
    srr_rules_decide(rs, &s, &d);
    cr_assert_eq(d.rule_index, 4);
    srr_signal_clear(&s);

    /* webhook: service list of globs, priority case-insensitive */
    sig_make(&s, SRR_SRC_WEBHOOK, "12345", SRR_KIND_MONITOR_ALERT, "checkout-api", "prod", NULL);
    s.priority = srr_strdup("P1");
    srr_rules_decide(rs, &s, &d);
    cr_assert_eq(d.rule_index, 2);
    cr_assert_eq(d.action, SRR_ACTION_RISK);
    cr_assert_eq(d.urgency, SRR_URGENCY_CRITICAL);
    free(s.priority);
    s.priority = srr_strdup("P3");
    srr_rules_decide(rs, &s, &d);
    cr_assert_eq(d.rule_index, 4);
    free(s.priority);
    s.priority = NULL; /* no priority: a priority matcher cannot hold */
    srr_rules_decide(rs, &s, &d);
    cr_assert_eq(d.rule_index, 4);
    srr_signal_clear(&s);
}

Test(policy, explain_says_why_not)
{
    srr_signal s;
    char why[256];
    sig_make(&s, SRR_SRC_LOGS, "errors", SRR_KIND_COUNT, "search", NULL, "host:h", NULL);
    cr_assert_eq(srr_rules_explain_rule(rs, 0, &s, why, sizeof why), 0);
    cr_assert_str_eq(why, "status is firing, rule wants recovered");
    cr_assert_eq(srr_rules_explain_rule(rs, 1, &s, why, sizeof why), 0);
    cr_assert_str_eq(why, "source is datadog.logs, rule wants datadog.metrics");
    cr_assert_eq(srr_rules_explain_rule(rs, 2, &s, why, sizeof why), 0);
    cr_assert_str_eq(why, "source is datadog.logs, rule wants datadog.webhook");
    cr_assert_eq(srr_rules_explain_rule(rs, 3, &s, why, sizeof why), 0);
    cr_assert_str_eq(why, "kind is count, rule wants trend");
    cr_assert_eq(srr_rules_explain_rule(rs, 4, &s, why, sizeof why), 1);
    srr_signal_clear(&s);

    sig_make(&s, SRR_SRC_METRICS, "mem", SRR_KIND_TREND, "w", NULL, "host:worker-1", NULL);
    srr_rules_explain_rule(rs, 1, &s, why, sizeof why);
    cr_assert_str_eq(why, "check is 'mem', rule wants 'disk-*'");
    srr_rules_explain_rule(rs, 3, &s, why, sizeof why);
    cr_assert_str_eq(why, "signal has no env, rule wants 'prod*'");
    free(s.env);
    s.env = srr_strdup("prod");
    srr_rules_explain_rule(rs, 3, &s, why, sizeof why);
    cr_assert_str_eq(why, "no tag matches 'team:[a-c]*' (tags: host:worker-1)");
    srr_signal_clear(&s);
}

Test(policy, reason_is_bounded_on_a_character_boundary)
{
    srr_signal s;
    srr_decision d;
    sig_make(&s, SRR_SRC_METRICS, "mem", SRR_KIND_THRESHOLD, NULL, NULL, NULL);
    free(s.summary);
    size_t n = 700;
    s.summary = srr_malloc(n * 2 + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(s.summary + 2 * i, "\xc3\xa9", 2); /* é */
    s.summary[2 * n] = '\0';
    srr_rules_decide(rs, &s, &d);
    size_t len = strlen(d.reason);
    cr_assert_lt(len, sizeof d.reason);
    cr_assert_geq(len, sizeof d.reason - 8);
    cr_assert_str_eq(d.reason + len - 3, "\xe2\x80\xa6"); /* ends with an ellipsis */
    /* Valid UTF-8 throughout: no lone continuation byte after an ASCII one. */
    for (size_t i = 1; i < len; i++)
        if (((unsigned char)d.reason[i] & 0xC0) == 0x80)
            cr_assert((unsigned char)d.reason[i - 1] >= 0x80, "broken at %zu", i);
    srr_signal_clear(&s);
}

Test(policy_default, built_in_default_investigates_for_a_week)
{
    srr_config *c = NULL;
    srr_ruleset *r = NULL;
    srr_error err = {0};
    cr_assert_eq(compile("", &c, &r, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_rules_count(r), 0);
    cr_assert_eq(srr_rules_max_new_drafts(r), 0);
    srr_signal s;
    srr_decision d;
    sig_make(&s, SRR_SRC_METRICS, "disk-usage", SRR_KIND_THRESHOLD, NULL, NULL, NULL);
    srr_rules_decide(r, &s, &d);
    cr_assert_eq(d.action, SRR_ACTION_INVESTIGATE);
    cr_assert_eq(d.timebox_s, 7 * 86400);
    cr_assert_eq(d.rule_index, 0);
    cr_assert_str_eq(d.rule, "default");
    srr_signal_clear(&s);
    srr_rules_destroy(r);
    srr_config_destroy(c);

    /* A policy without `default` ignores what no rule matched. */
    cr_assert_eq(compile("policy:\n  rules:\n    - {name: a, match: {check: x}, action: risk}\n",
                         &c, &r, &err),
                 SRR_OK, "%s", err.msg);
    sig_make(&s, SRR_SRC_METRICS, "disk-usage", SRR_KIND_THRESHOLD, NULL, NULL, NULL);
    srr_rules_decide(r, &s, &d);
    cr_assert_eq(d.action, SRR_ACTION_IGNORE);
    cr_assert_eq(d.rule_index, 1);
    cr_assert(strncmp(d.reason, "No rule matched (default): threshold on disk-usage", 50) == 0,
              "%s", d.reason);
    srr_signal_clear(&s);
    srr_rules_destroy(r);
    srr_config_destroy(c);
}

/* ---- candidates ------------------------------------------------------------ */

TestSuite(candidate, .init = setup, .fini = teardown);

Test(candidate, fingerprint_stable_and_order_independent)
{
    srr_signal a, b;
    char fa[33], fb[33];
    sig_make(&a, SRR_SRC_METRICS, "mem", SRR_KIND_TREND, "worker", "prod", "host:w-1",
             "region:eu", NULL);
    sig_make(&b, SRR_SRC_METRICS, "mem", SRR_KIND_THRESHOLD, "worker", "staging", "region:eu",
             "host:w-1", NULL);
    /* Scramble b's tag order behind add_tag's back: the hash must sort. */
    char *t = b.tags[0];
    b.tags[0] = b.tags[1];
    b.tags[1] = t;
    b.window_end += 3600;
    srr_rules_fingerprint(&a, NULL, fa);
    srr_rules_fingerprint(&b, NULL, fb);
    cr_assert_eq(strlen(fa), 32);
    cr_assert_str_eq(fa, fb); /* kind, env, window do not change the thing at risk */
    free(b.service);
    b.service = NULL;
    srr_rules_fingerprint(&b, NULL, fb);
    cr_assert_str_neq(fa, fb);
    srr_signal_clear(&a);
    srr_signal_clear(&b);
}

Test(candidate, id_deterministic_and_per_window)
{
    srr_signal s;
    srr_decision d;
    srr_candidate c1, c2, c3;
    sig_make(&s, SRR_SRC_METRICS, "worker-memory", SRR_KIND_TREND, "worker", "prod",
             "host:worker-1", NULL);
    free(s.condition);
    s.condition = srr_strdup("growth > 10%/week");
    free(s.unit);
    s.unit = srr_strdup("%/week");
    s.value = 18.24;
    srr_rules_decide(rs, &s, &d);
    srr_rules_candidate(&s, &d, 1767830500, &c1);
    srr_rules_candidate(&s, &d, 1767830999, &c2);
    cr_assert_str_eq(c1.id, c2.id);
    cr_assert_eq(strlen(c1.id), 32);
    s.window_end += 604800;
    srr_rules_candidate(&s, &d, 1767830500, &c3);
    cr_assert_str_neq(c1.id, c3.id);
    cr_assert_str_eq(c1.fingerprint, c3.fingerprint);

    cr_assert_str_eq(c1.title, "worker-memory growth on host:worker-1");
    cr_assert_eq(c1.action, d.action);
    cr_assert_str_eq(c1.rule, d.rule);
    cr_assert_eq(c1.rule_index, d.rule_index);
    cr_assert_str_eq(c1.reason, d.reason);
    cr_assert_eq(c1.urgency, d.urgency);
    cr_assert_eq(c1.timebox_s, d.timebox_s);
    cr_assert_eq(c1.created_at, 1767830500);
    cr_assert_str_eq(c1.signal.check, "worker-memory");
    cr_assert_neq(c1.signal.check, s.check); /* deep copy */
    srr_candidate_clear(&c1);
    srr_candidate_clear(&c2);
    srr_candidate_clear(&c3);
    srr_signal_clear(&s);
}

Test(candidate, borrowed_serialises_like_the_copy_with_the_delivery_id)
{
    /* The webhook's candidate borrows the alert's signal and carries the
     * delivery id; its text must be the copying candidate's, id aside, and
     * releasing it must leave the signal intact (ASan checks the rest). */
    srr_signal s;
    srr_decision d;
    srr_candidate copy, view;
    char *a, *b;
    sig_make(&s, SRR_SRC_WEBHOOK, "48213377", SRR_KIND_MONITOR_ALERT, "web", "prod",
             "host:web-01", NULL);
    s.evidence = json_pack("{s:s}", "event_id", "7716548234011234567");
    srr_rules_decide(rs, &s, &d);
    srr_rules_candidate(&s, &d, 1767830500, &copy);
    memcpy(copy.id, "delivery-id", sizeof "delivery-id");
    srr_rules_candidate_borrow(&s, &d, 1767830500, "delivery-id", &view);
    cr_assert_eq(view.signal.check, s.check); /* borrowed, not copied */
    a = srr_candidate_dumps(&copy);
    b = srr_candidate_dumps(&view);
    cr_assert_str_eq(b, a);
    srr_rules_candidate_unborrow(&view);
    cr_assert_str_eq(s.check, "48213377");
    cr_assert_not_null(json_object_get(s.evidence, "event_id"));
    free(a);
    free(b);
    srr_candidate_clear(&copy);
    srr_signal_clear(&s);
}

Test(candidate, signal_list)
{
    srr_signal_list l = {0};
    for (int i = 0; i < 20; i++) {
        srr_signal *s = srr_signal_list_push(&l);
        cr_assert_null(s->check);
        s->check = srr_asprintf("c%d", i);
    }
    cr_assert_eq(l.n, 20);
    cr_assert_str_eq(l.v[19].check, "c19");
    srr_signal_list_clear(&l);
    cr_assert_eq(l.n, 0);
    cr_assert_null(l.v);
}

/* Not a timed test: prints the decision rate of a 100-rule policy so that a
 * regression is visible in the log (the benchmark proper lives in
 * tests/bench). */
Test(policy_speed, hundred_rules)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    srr_buf_printf(&b, "policy:\n  rules:\n");
    for (int i = 0; i < 100; i++)
        srr_buf_printf(&b,
                       "    - {name: r%d, match: {source: [metrics, logs], check: \"chk-%d-*\", "
                       "service: \"svc%d*\", tags: [\"team:t%d\"]}, action: backlog}\n",
                       i, i, i, i);
    srr_config *c = NULL;
    srr_ruleset *r = NULL;
    srr_error err = {0};
    cr_assert_eq(compile(b.data, &c, &r, &err), SRR_OK, "%s", err.msg);
    srr_buf_free(&b);
    srr_signal s;
    sig_make(&s, SRR_SRC_METRICS, "chk-99-disk", SRR_KIND_THRESHOLD, "svc99-api", NULL,
             "team:t99", "host:a", NULL);
    srr_decision d;
    struct timespec t0, t1;
    long n = 200000;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++)
        srr_rules_decide(r, &s, &d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cr_assert_eq(d.rule_index, 99);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_log_info("%.0f decisions/s with 100 rules (last rule wins)", (double)n / secs);
    srr_signal_clear(&s);
    srr_rules_destroy(r);
    srr_config_destroy(c);
}

/* ---- globs ------------------------------------------------------------------ */

static int glob1(const char *pat, const char *s)
{
    srr_glob g;
    srr_glob_compile(&g, pat);
    int r = srr_glob_match(&g, s);
    /* The prefilter must never reject what the glob accepts. */
    srr_globset gs = {&g, 1};
    srr_prefilter pf;
    srr_prefilter_of(&gs, &pf);
    if (r)
        cr_assert_eq(srr_load8(s) & pf.mask, pf.bytes, "prefilter rejects '%s' for '%s'", s, pat);
    cr_assert_eq(r, srr_glob_match_str(pat, s), "shapes disagree on '%s' '%s'", pat, s);
    srr_glob_free(&g);
    return r;
}

Test(glob, shapes_and_wildcards)
{
    cr_assert(glob1("*", ""));
    cr_assert(glob1("*", "anything"));
    cr_assert(glob1("api", "api"));
    cr_assert(!glob1("api", "api-2"));
    cr_assert(!glob1("api", "ap"));
    cr_assert(glob1("", ""));
    cr_assert(!glob1("", "x"));
    cr_assert(glob1("disk-*", "disk-"));
    cr_assert(glob1("disk-*", "disk-usage"));
    cr_assert(!glob1("disk-*", "disk"));
    cr_assert(glob1("*-usage", "disk-usage"));
    cr_assert(!glob1("*-usage", "usage"));
    cr_assert(glob1("checkout-service-*", "checkout-service-eu"));
    cr_assert(!glob1("checkout-service-*", "checkout-servic"));
    cr_assert(glob1("device:/dev/sd?1", "device:/dev/sda1"));
    cr_assert(!glob1("device:/dev/sd?1", "device:/dev/sd1"));
    cr_assert(glob1("team:[a-c]*", "team:billing"));
    cr_assert(!glob1("team:[a-c]*", "team:ops"));
    cr_assert(glob1("team:[!a-c]*", "team:ops"));
    cr_assert(glob1("x[^0-9]", "xa"));
    cr_assert(glob1("a*b*c", "a-b-b-c"));
    cr_assert(!glob1("a*b*c", "a-b-b-d"));
    cr_assert(glob1("a\\*", "a*"));
    cr_assert(!glob1("a\\*", "ab"));
    cr_assert(glob1("[", "["));       /* unclosed bracket: a literal */
    cr_assert(glob1("**x", "abx"));
    /* fnmatch(3) without flags: classes, '/' and a leading '.' are plain. */
    cr_assert(glob1("host:web-[[:digit:]]*", "host:web-7a"));
    cr_assert(!glob1("host:web-[[:digit:]]*", "host:web-a7"));
    cr_assert(glob1("*/sda?", "device:/dev/sda1"));
    cr_assert(glob1("*", ".hidden"));
    cr_assert(glob1("[\\]]", "]"));  /* a backslash escapes inside a bracket too */
    cr_assert(!glob1("ab\\", "ab\\")); /* a trailing backslash matches nothing */
}

/* ---- issue 4: the fast paths agree with the plain rule-by-rule logic -------- */

Test(glob, contains_and_first_byte)
{
    cr_assert(glob1("*eck*", "checkout"));
    cr_assert(glob1("*eck*", "eck"));
    cr_assert(!glob1("*eck*", "ec"));
    cr_assert(glob1("device:/dev/sd?1", "device:/dev/sdb1"));
    cr_assert(!glob1("device:/dev/sd?1", "host:/dev/sdb1"));
    cr_assert(glob1("*-usage", "disk-usage"));
}

/* The index by check, the prefilters (head, tail, bloom) and the skipping
 * of history rules must pick the same rule as trying every rule in order
 * with the explanation logic, which has none of them. */
Test(policy_speed, fast_paths_agree_with_explanations)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    srr_buf_printf(&b, "policy:\n  rules:\n");
    const char *shapes[] = {
        "check: \"disk-*\"",           "check: \"*-usage\"",
        "check: [disk-usage, other]",  "service: \"*eck*\"",
        "service: [api, checkout]",    "env: prod, kind: threshold",
        "tags: [\"device:/dev/sd?1\"]", "check: \"d?sk-usage\", value: \"> 95%\"",
        "source: [logs, webhook]",     "check: disk-usage, recurrence: \"3 of 4 sweeps\"",
        "service: \"pay*\"",           "check: \"*\"",
    };
    for (int i = 0; i < 12; i++)
        srr_buf_printf(&b, "    - {name: r%d, match: {%s}, action: %s}\n", i, shapes[i],
                       i % 2 ? "backlog" : "risk");
    srr_config *c = NULL;
    srr_ruleset *r = NULL;
    srr_error err = {0};
    cr_assert_eq(compile(b.data, &c, &r, &err), SRR_OK, "%s", err.msg);
    srr_buf_free(&b);
    const char *checks[] = {"disk-usage", "api-usage", "x", "other"};
    const char *services[] = {"checkout", "api", "payments", NULL};
    const char *envs[] = {"prod", "staging", NULL};
    const char *tags[] = {"device:/dev/sda1", "host:a", NULL};
    for (int i = 0; i < 4 * 4 * 3 * 3 * 3; i++) {
        srr_signal s;
        memset(&s, 0, sizeof s);
        s.check = srr_strdup(checks[i % 4]);
        s.service = srr_strdup(services[(i / 4) % 4]);
        s.env = srr_strdup(envs[(i / 16) % 3]);
        if (tags[(i / 48) % 3])
            srr_signal_add_tag(&s, tags[(i / 48) % 3]);
        s.source = (srr_source)((i / 144) % 3);
        s.value = 90 + (i % 10);
        s.unit = srr_strdup("%");
        srr_decision d;
        srr_explanation e;
        srr_rules_decide(r, &s, &d);
        srr_rules_explain(r, &s, NULL, &e);
        int first = (int)srr_rules_count(r);
        for (size_t k = 0; k < e.n; k++)
            if (e.v[k].matched) {
                first = e.v[k].index;
                break;
            }
        /* No rule ignores, so no proposal ever replaces the static winner. */
        cr_assert_eq(d.rule_index, first, "signal %d: decide picked #%d, explanations #%d", i,
                     d.rule_index, first);
        srr_explanation_clear(&e);
        srr_signal_clear(&s);
    }
    srr_rules_destroy(r);
    srr_config_destroy(c);
}

/* ---- issue 4: srr policy check (lint) ----------------------------------------- */

/* Lints CHECKS + policy; returns the findings joined by newlines (caller
 * frees) and their count in *n. */
static char *lint(const char *policy, size_t *n)
{
    srr_config *c = NULL;
    srr_ruleset *r = NULL;
    srr_error err = {0};
    srr_lint_msg *m = NULL;
    srr_buf b;
    cr_assert_eq(compile(policy, &c, &r, &err), SRR_OK, "%s", err.msg);
    *n = srr_rules_lint(r, &m);
    srr_buf_init(&b, 0);
    srr_buf_append(&b, "", 0);
    for (size_t i = 0; i < *n; i++)
        srr_buf_printf(&b, "%s:%d:%d: %s\n", m[i].file, m[i].line, m[i].col, m[i].text);
    free(m);
    srr_rules_destroy(r);
    srr_config_destroy(c);
    return srr_buf_steal(&b);
}

Test(policy_lint, clean_policy_has_no_findings)
{
    size_t n;
    char *t = lint("policy:\n"
                   "  rules:\n"
                   "    - {name: a, match: {check: disk-usage, env: prod}, action: risk}\n"
                   "    - {name: b, match: {check: \"disk-*\"}, action: backlog}\n"
                   "  default: {action: ignore}\n",
                   &n);
    cr_assert_eq(n, 0, "%s", t);
    free(t);
}

Test(policy_lint, shadowed_unknown_check_kinds_flapping_default)
{
    size_t n;
    char *t = lint("policy:\n"
                   "  rules:\n"
                   "    - {name: disks, match: {check: \"disk-*\"}, action: backlog}\n"
                   "    - {name: prod-disk, match: {check: disk-usage, env: prod}, action: risk}\n"
                   "    - {name: typo, match: {check: dsk-usage}, action: risk}\n"
                   "    - {name: odd, match: {source: logs, kind: trend}, action: risk}\n"
                   "    - {name: quiet, match: {flapping: \"3 times in 1d\"}, action: ignore}\n"
                   "    - {name: all, action: investigate, timebox: 7d}\n"
                   "    - {name: after-all, match: {env: prod}, action: risk}\n",
                   &n);
    cr_assert_eq(n, 6, "%s", t);
    cr_assert(strstr(t, "p.yaml:6:7: rule 'prod-disk' (#2) can never win: rule 'disks' (#1, "
                        "line 5) comes first"),
              "%s", t);
    cr_assert(strstr(t, "p.yaml:7:35: rule 'typo' (#3): match.check 'dsk-usage' matches no "
                        "configured check (disk-usage)"),
              "%s", t);
    cr_assert(strstr(t, "rule 'odd' (#4) can never match"), "%s", t);
    cr_assert(strstr(t, "rule 'quiet' (#5) ignores flapping signals"), "%s", t);
    cr_assert(strstr(t, "rule 'after-all' (#7) can never win: rule 'all' (#6"), "%s", t);
    cr_assert(strstr(t, "p.yaml:4:3: the policy has no 'default'"), "%s", t);
    free(t);
}

Test(policy_lint, logs_spikes_are_a_kind_logs_can_have)
{
    size_t n;
    char *t = lint("policy:\n"
                   "  rules:\n"
                   "    - {name: bursts, match: {source: logs, kind: spike}, action: risk}\n"
                   "  default: {action: ignore}\n",
                   &n);
    cr_assert_eq(n, 0, "%s", t);
    free(t);
}

Test(policy_lint, monitor_ids_are_not_unknown_checks)
{
    size_t n;
    char *t = lint("policy:\n"
                   "  rules:\n"
                   "    - {name: m, match: {check: \"12345\"}, action: risk}\n"
                   "    - {name: w, match: {source: webhook, check: \"pay-*\"}, action: risk}\n"
                   "  default: {action: ignore}\n",
                   &n);
    cr_assert_eq(n, 0, "%s", t);
    free(t);
}

/* ---- issue 4: history, final decisions, budget -------------------------------- */

Test(policy_history, producer_never_drops_what_history_could_claim)
{
    srr_config *c = NULL;
    srr_ruleset *r = NULL;
    srr_error err = {0};
    cr_assert_eq(compile("policy:\n"
                         "  rules:\n"
                         "    - {name: rec, match: {recurrence: \"3 of 4 sweeps\"}, action: risk}\n"
                         "    - {name: quiet, action: ignore}\n",
                         &c, &r, &err),
                 SRR_OK, "%s", err.msg);
    srr_signal s;
    sig_make(&s, SRR_SRC_METRICS, "disk-usage", SRR_KIND_THRESHOLD, "db", "prod", NULL);
    s.window_end = 1795392000;
    s.window_start = s.window_end - 7 * 86400;
    s.observed_at = s.window_end;
    srr_decision d;
    srr_rules_decide(r, &s, &d);
    cr_assert_eq(d.action, SRR_ACTION_RISK, "proposed for the writer");
    cr_assert(d.provisional);
    srr_sighting sv[2] = {{s.window_end - 7 * 86400, SRR_STATUS_FIRING, 1},
                          {s.window_end - 14 * 86400, SRR_STATUS_FIRING, 1}};
    srr_history h = {0};
    h.now = s.window_end;
    h.sightings = sv;
    h.nsightings = 1;
    srr_final f;
    srr_rules_decide_final(r, NULL, &s, &h, &f);
    cr_assert_eq(f.decision.action, SRR_ACTION_IGNORE, "2 of 4: %s", f.decision.reason);
    cr_assert_eq(f.effect, SRR_EFFECT_SIGHTING);
    h.nsightings = 2;
    srr_rules_decide_final(r, NULL, &s, &h, &f);
    cr_assert_eq(f.decision.action, SRR_ACTION_RISK, "3 of 4: %s", f.decision.reason);
    cr_assert_eq(f.effect, SRR_EFFECT_CREATE);
    cr_assert(strstr(f.decision.reason, "seen in 3 of the last 4 sweeps"), "%s", f.decision.reason);
    srr_signal_clear(&s);
    srr_rules_destroy(r);
    srr_config_destroy(c);
}

Test(policy_history, budget_orders_and_counts)
{
    srr_candidate c[4];
    memset(c, 0, sizeof c);
    const srr_urgency u[] = {SRR_URGENCY_LOW, SRR_URGENCY_HIGH, SRR_URGENCY_HIGH,
                             SRR_URGENCY_CRITICAL};
    const srr_action a[] = {SRR_ACTION_RISK, SRR_ACTION_BACKLOG, SRR_ACTION_RISK,
                            SRR_ACTION_INVESTIGATE};
    for (int i = 0; i < 4; i++) {
        c[i].urgency = u[i];
        c[i].action = a[i];
        snprintf(c[i].id, sizeof c[i].id, "id%d", i);
    }
    size_t order[4], admitted = 0;
    srr_rules_budget(c, 4, 2, order, &admitted);
    cr_assert_eq(admitted, 2);
    cr_assert_eq(order[0], 3); /* critical */
    cr_assert_eq(order[1], 2); /* high risk before high backlog */
    cr_assert_eq(order[2], 1);
    cr_assert_eq(order[3], 0);
    srr_rules_budget(c, 4, 0, order, &admitted);
    cr_assert_eq(admitted, 4, "0 = unlimited");
}

/* ---- issue 4: the srr policy commands on the demo week ------------------------- */

#include "testutil.h"

#define EX SRR_SOURCE_DIR "/examples/"

static void run(tu_run *r, const char *a1, const char *a2, const char *a3, const char *a4,
                const char *a5, const char *a6, const char *a7)
{
    const char *argv[] = {SRR_BIN, "policy", a1, a2, a3, a4, a5, a6, a7, NULL};
    const char *env[] = {"SRR_LOG_LEVEL=warn", NULL};
    tu_exec(argv, env, NULL, r);
}

Test(policy_cmd, explain_test_and_check_on_the_demo)
{
    tu_run r;
    run(&r, "explain", "-c", EX "srr.yaml", "--signal", EX "policy-signal-disk.json", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "#1       staging-is-not-production        no        env is 'prod', "
                            "rule wants 'staging'"),
              "%s", r.out);
    cr_assert(strstr(r.out, "disk-filling-is-a-known-fix      MATCH"), "%s", r.out);
    cr_assert(strstr(r.out, "decision: backlog, urgency medium, owner platform"), "%s", r.out);
    tu_run_free(&r);

    run(&r, "test", "-c", EX "srr.yaml", "--replay", EX "demo-week", "--policy",
        EX "policy-strict.yaml");
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "draft risks"), "%s", r.out);
    cr_assert(strstr(r.out, "backlog (disk-filling-is-a-known-fix, medium) -> risk "
                            "(disk-almost-full, critical)"),
              "%s", r.out);
    cr_assert(strstr(r.out, "over budget"), "%s", r.out);
    tu_run_free(&r);

    run(&r, "check", "-c", EX "srr.yaml", EX "policy-strict.yaml", NULL, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "0 finding(s)"), "%s", r.out);
    tu_run_free(&r);

    run(&r, "check", "-c", SRR_SOURCE_DIR "/tests/golden/bad-recurrence/policy.yaml", NULL, NULL,
        NULL, NULL);
    cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "bad-recurrence/policy.yaml:9:27: policy.rules[0].match.recurrence"),
              "%s", r.out);
    tu_run_free(&r);

    /* A signal on stdin that is not JSON: a usage error with its position. */
    run(&r, "explain", "-c", EX "srr.yaml", "--signal", "-", NULL, NULL);
    cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
    tu_run_free(&r);
}

Test(policy_cmd, explain_with_the_history_in_the_store)
{
    /* After the demo week is stored, the disk signal's fingerprint has one
     * sighting and an open backlog item, and --history says so. */
    char *dir = tu_mkdtemp(), *yaml = NULL, *cfgfile, *sigfile = EX "policy-signal-disk.json";
    size_t len;
    srr_error err = {0};
    tu_run r;
    cr_assert_eq(srr_file_read(EX "srr.yaml", 1 << 20, &yaml, &len, &err), SRR_OK, "%s", err.msg);
    cfgfile = tu_write_file(dir, "srr.yaml", yaml); /* its store and spool land in dir */
    {
        const char *argv[] = {SRR_BIN, "sweep", "-c", cfgfile, "--replay", EX "demo-week", NULL};
        const char *env[] = {"SRR_LOG_LEVEL=warn", NULL};
        tu_exec(argv, env, NULL, &r);
        cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
        tu_run_free(&r);
    }
    run(&r, "explain", "-c", cfgfile, "--signal", sigfile, "--history", NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "1 earlier sighting(s), open backlog item BL-1"), "%s", r.out);
    cr_assert(strstr(r.out, "decision: backlog"), "%s", r.out);
    tu_run_free(&r);

    /* Without a store to read, it says why and fails, and creates none. */
    free(cfgfile);
    cfgfile = tu_write_file(dir, "bad.yaml", "store:\n  path: empty.db\n");
    run(&r, "explain", "-c", cfgfile, "--signal", sigfile, "--history", NULL);
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "--history: no store at"), "%s", r.err);
    {
        char *made = srr_asprintf("%s/empty.db", dir);
        cr_assert_neq(access(made, F_OK), 0, "explain --history created %s", made);
        free(made);
    }
    tu_run_free(&r);
    free(cfgfile);
    free(yaml);
    tu_rmdir_r(dir);
    free(dir);
}

