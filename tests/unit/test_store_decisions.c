/* SPDX-License-Identifier: Apache-2.0
 *
 * test_store_decisions.c - unit tests of what the SQLite store decides
 * with a policy and a fingerprint's history (split from test_store.c, which
 * keeps the schema, apply, actions, deadlines, audit and reads): repeats
 * that become a risk, flapping as evidence, an investigation resolved by an
 * engineer, the stored JSON texts as jansson writes them, the draft budget
 * of a window, a record kept alive by later observations, and a late
 * recovery that does not clear a newer alert.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "rules.h"
#include "store.h"
#include "store_fixtures.h"
#include "testutil.h"

#define T0 1764331200 /* 2025-11-28T12:00:00Z */

SF_STORE_SUITE(store_decisions);

static long long q(const char *sql)
{
    return sf_query_int(g_db, sql);
}

/* ---- issue 4: the writer decides with the fingerprint's history ------------- */

#define WEEK (7 * 86400)

/* A policy for the store under test (signals of sf_candidate: check
 * worker-rss, service worker, kind trend). Returns the ruleset; *cfg must
 * be destroyed after it. */
static srr_ruleset *store_policy(const char *policy, srr_config **cfg)
{
    srr_error err = {0};
    srr_ruleset *rs = NULL;
    cr_assert_eq(srr_config_parse("p.yaml", policy, strlen(policy), cfg, &err), SRR_OK, "%s",
                 err.msg);
    cr_assert_eq(srr_rules_compile(*cfg, &rs, &err), SRR_OK, "%s", err.msg);
    srr_store_set_rules(g_st, rs);
    return rs;
}

Test(store_decisions, recurrence_turns_repeats_into_a_risk)
{
    srr_config *cfg = NULL;
    srr_ruleset *rs = store_policy("policy:\n"
                                   "  rules:\n"
                                   "    - name: recurring\n"
                                   "      match: {recurrence: \">= 3 of the last 4 sweeps\"}\n"
                                   "      action: risk\n"
                                   "      labels: [recurring]\n"
                                   "      impact: high\n"
                                   "      likelihood: medium\n"
                                   "    - name: blips\n"
                                   "      match: {check: worker-rss}\n"
                                   "      action: ignore\n"
                                   "  default: {action: backlog}\n",
                                   &cfg);
    srr_apply_stats s1 = sf_apply1(g_st, "w1", "fpR", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    srr_apply_stats s2 =
        sf_apply1(g_st, "w2", "fpR", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + WEEK);
    cr_assert_eq(s1.ignored + s2.ignored, 2, "seen in 1 and 2 of 4 sweeps: the blip rule");
    cr_assert_eq(q("SELECT count(*) FROM risks"), 0);
    srr_apply_stats s3 =
        sf_apply1(g_st, "w3", "fpR", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + 2 * WEEK);
    cr_assert_eq(s3.new_risks, 1);
    cr_assert_eq(q("SELECT count(*) FROM risks WHERE labels = '[\"recurring\"]' AND impact = "
                   "'high' AND likelihood = 'medium' AND urgency = 2 AND rule = 'recurring'"),
                 1);
    cr_assert_eq(q("SELECT count(*) FROM sightings WHERE fingerprint = 'fpR'"), 3);
    /* The audit keeps the decision with every rule tried. */
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE record_kind = 'risk' AND action = 'create'"
                   " AND after LIKE '%\"tried\"%' AND after LIKE '%seen in 3 of the last 4%'"),
                 1);
    cr_assert_eq(q("SELECT count(*) FROM sightings WHERE candidate_id = 'w1' AND decision LIKE "
                   "'%\"effect\":\"sighting\"%'"),
                 1);
    cr_assert_eq(q("SELECT count(*) FROM sightings WHERE decision IS NULL"), 0);
    srr_store_set_rules(g_st, NULL);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

/* Asserts that every non-NULL text of `sql` (one column) is what jansson
 * writes for its own parse (json_dumps with `flags`): the writer builds
 * these texts without jansson (core/jsonw.h) and they must not change.
 * Returns the number of texts checked. */
static int texts_as_jansson_writes(const char *sql, size_t flags)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *s = NULL;
    int n = 0;
    cr_assert_eq(sqlite3_open_v2(g_db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(s, 0);
        json_error_t je;
        json_t *j;
        char *again;
        if (!text)
            continue;
        j = json_loads(text, 0, &je);
        cr_assert_not_null(j, "%s: %s", text, je.text);
        again = json_dumps(j, flags);
        cr_assert_str_eq(text, again);
        free(again);
        json_decref(j);
        n++;
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
    return n;
}

Test(store_decisions, stored_json_texts_are_what_jansson_writes)
{
    srr_config *cfg = NULL;
    srr_ruleset *rs = store_policy("policy:\n"
                                   "  rules:\n"
                                   "    - name: \"quiet \\\"canary\\\"\"\n"
                                   "      match: {service: canary}\n"
                                   "      action: ignore\n"
                                   "  default: {action: risk}\n",
                                   &cfg);
    srr_candidate c;
    srr_apply_stats stats = {0};
    srr_error err = {0};
    json_t *want;
    char *want_text;
    sf_apply1(g_st, "j1", "fpJ", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    /* evidence with a summary and a value that need care */
    sf_candidate(&c, "j2", "fpJ", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + 60);
    free(c.signal.summary);
    c.signal.summary = srr_strdup("rss \"high\" \\ caf\xc3\xa9 \xe2\x82\xac\ttab\x01");
    c.signal.value = 0.1;
    json_decref(c.signal.evidence);
    c.signal.evidence =
        json_pack("{s:[f,f,f], s:s, s:{}}", "v", 1e300, -0.0, 3.0, "note", "\"q\"\n", "empty");
    cr_assert_eq(srr_store_apply(g_st, &c, 1, T0 + 60, &stats, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(stats.evidence, 1);
    /* the audit's after, as the writer built it with json_pack before */
    want = json_pack("{s:s, s:s, s:s?, s:f}", "candidate", c.id, "status", "firing", "summary",
                     c.signal.summary, "value", c.signal.value);
    want_text = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'evidence'"), 1);
    {
        char *sql = srr_asprintf("SELECT count(*) FROM audit WHERE action = 'evidence' AND "
                                 "after = '%s'",
                                 want_text);
        cr_assert_eq(q(sql), 1, "want %s", want_text);
        free(sql);
    }
    free(want_text);
    json_decref(want);
    srr_candidate_clear(&c);
    /* a decision that overrides the proposal (carries "proposed") */
    sf_candidate(&c, "j3", "fpC", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    free(c.signal.service);
    c.signal.service = srr_strdup("canary");
    cr_assert_eq(srr_store_apply(g_st, &c, 1, T0, &stats, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);
    cr_assert_eq(q("SELECT count(*) FROM sightings WHERE candidate_id = 'j3' AND decision LIKE "
                   "'%\"proposed\":\"risk\"}'"),
                 1);
    cr_assert_eq(texts_as_jansson_writes("SELECT decision FROM sightings", JSON_COMPACT), 3);
    cr_assert_eq(texts_as_jansson_writes("SELECT evidence FROM evidence", JSON_COMPACT), 2);
    cr_assert_eq(texts_as_jansson_writes("SELECT after FROM audit", JSON_COMPACT | JSON_SORT_KEYS),
                 2);
    srr_store_set_rules(g_st, NULL);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

Test(store_decisions, flapping_is_evidence_of_a_risk)
{
    srr_config *cfg = NULL;
    srr_ruleset *rs = store_policy("policy:\n"
                                   "  rules:\n"
                                   "    - name: flapping\n"
                                   "      match: {flapping: \">= 2 times in 7d\"}\n"
                                   "      action: risk\n"
                                   "  default: {action: investigate, timebox: 7d}\n",
                                   &cfg);
    sf_apply1(g_st, "f1", "fpF", SRR_ACTION_INVESTIGATE, SRR_STATUS_RECOVERED, T0);
    sf_apply1(g_st, "f2", "fpF", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 3600);
    cr_assert_eq(q("SELECT count(*) FROM investigations WHERE status = 'open'"), 1);
    sf_apply1(g_st, "f3", "fpF", SRR_ACTION_INVESTIGATE, SRR_STATUS_RECOVERED, T0 + 7200);
    sf_apply1(g_st, "f4", "fpF", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 9000);
    srr_apply_stats s =
        sf_apply1(g_st, "f5", "fpF", SRR_ACTION_INVESTIGATE, SRR_STATUS_RECOVERED, T0 + 10800);
    cr_assert_eq(s.promoted, 1, "two flaps: the open investigation becomes a draft risk");
    cr_assert_eq(q("SELECT count(*) FROM investigations WHERE status = 'promoted'"), 1);
    cr_assert_eq(q("SELECT count(*) FROM risks WHERE status = 'draft'"), 1);
    srr_store_set_rules(g_st, NULL);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

Test(store_decisions, engineer_resolves_an_investigation)
{
    srr_error err = {0};
    sf_apply1(g_st, "i1", "fpA", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    sf_apply1(g_st, "i2", "fpB", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    sf_apply1(g_st, "i3", "fpC", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    cr_assert_eq(srr_store_investigation_resolve(g_st, "INV-1", "backlog", NULL, "alice", NULL,
                                                 T0 + 60, &err),
                 SRR_EINVAL, "backlog needs the ticket link");
    cr_assert_eq(
        srr_store_investigation_resolve(g_st, "INV-1", "later", "x", "alice", NULL, T0 + 60, &err),
        SRR_EINVAL);
    cr_assert_eq(srr_store_investigation_resolve(g_st, "INV-1", "backlog", "https://tickets/OPS-1",
                                                 "alice", "a known leak in the parser", T0 + 60,
                                                 &err),
                 SRR_OK, "%s", err.msg);
    cr_assert_eq(
        srr_store_investigation_resolve(g_st, "INV-2", "noise", NULL, "bob", NULL, T0 + 60, &err),
        SRR_OK, "%s", err.msg);
    cr_assert_eq(
        srr_store_investigation_resolve(g_st, "INV-3", "fixed", NULL, "carol", NULL, T0 + 60, &err),
        SRR_OK, "%s", err.msg);
    cr_assert_eq(
        srr_store_investigation_resolve(g_st, "INV-3", "fixed", NULL, "carol", NULL, T0 + 60, &err),
        SRR_ECONFLICT);
    cr_assert_eq(
        srr_store_investigation_resolve(g_st, "INV-9", "fixed", NULL, "carol", NULL, T0 + 60, &err),
        SRR_ENOTFOUND);
    cr_assert_eq(q("SELECT count(*) FROM investigations WHERE status = 'closed' AND risk_id IS "
                   "NULL"),
                 3, "resolved investigations close without a risk");
    cr_assert_eq(q("SELECT count(*) FROM backlog WHERE status = 'accepted' AND ticket_link = "
                   "'https://tickets/OPS-1' AND fingerprint = 'fpA'"),
                 1);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE actor = 'alice' AND action = 'resolve'"), 1);
    /* Later sightings: fpA attaches to the backlog item, fpB (noise) stays a
     * sighting, fpC (fixed) fires again and is investigated anew. */
    srr_apply_stats a =
        sf_apply1(g_st, "i4", "fpA", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 120);
    srr_apply_stats b =
        sf_apply1(g_st, "i5", "fpB", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 120);
    srr_apply_stats c =
        sf_apply1(g_st, "i6", "fpC", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 120);
    cr_assert_eq(a.evidence, 1);
    cr_assert_eq(b.ignored, 1);
    cr_assert_eq(c.new_investigations, 1);
    /* The deadline check leaves resolved investigations alone. */
    srr_apply_stats d = {0};
    cr_assert_eq(srr_store_check_deadlines(g_st, T0 + 30 * 86400, &d, &err), SRR_OK);
    cr_assert_eq(d.promoted + d.closed, 1, "only INV-4 was still open");
}

/* ---- the draft budget of a window (store/budget.c) ------------------------ */

static const char BUDGET_YAML[] =
    "checks:\n"
    "  - {name: mem, source: metrics, query: \"avg:rss{*} by {pod}\", when: \"growth > 10%/week\","
    " service: worker, group_by: [service]}\n"
    "  - {name: disk, source: metrics, query: \"max:disk{*} by {device}\", when: \"max > 90%\"}\n"
    "  - {name: lat, source: metrics, query: \"p99:lat{*} by {service}\", when: \"p99 > 1s\"}\n"
    "  - {name: errors, source: logs, query: \"status:error\", when: \"count > 10\","
    " group_by: [service]}\n"
    "policy:\n  max_new_drafts: 2\n  rules:\n"
    "    - {name: growth, match: {check: mem}, action: investigate, timebox: 14d, urgency: high}\n"
    "    - {name: disk, match: {check: disk}, action: backlog, urgency: medium}\n"
    "    - {name: lat, match: {check: lat}, action: risk, urgency: critical}\n"
    "    - {name: errors, match: {check: errors}, action: risk, urgency: low}\n"
    "  default: {action: ignore}\n";

static srr_apply_stats observe_v(srr_ruleset *rs, const char *check, const char *tag,
                                 srr_status status, double value, int64_t w);

/* Applies one firing observation of `check` on `tag` in the window ending
 * at w (decided and keyed as the sweep does). */
static srr_apply_stats observe(srr_ruleset *rs, const char *check, const char *tag, int64_t w)
{
    return observe_v(rs, check, tag, SRR_STATUS_FIRING, 42, w);
}

static srr_apply_stats observe_v(srr_ruleset *rs, const char *check, const char *tag,
                                 srr_status status, double value, int64_t w)
{
    srr_signal s;
    srr_decision d;
    srr_candidate c;
    srr_apply_stats stats = {0};
    srr_error err = {0};
    memset(&s, 0, sizeof s);
    s.source = strcmp(check, "errors") == 0 ? SRR_SRC_LOGS : SRR_SRC_METRICS;
    s.check = srr_strdup(check);
    s.kind = s.source == SRR_SRC_LOGS ? SRR_KIND_COUNT : SRR_KIND_THRESHOLD;
    s.status = status;
    if (strcmp(check, "mem") == 0) {
        s.kind = SRR_KIND_TREND;
        s.service = srr_strdup("worker");
        s.unit = srr_strdup("%/week");
    }
    srr_signal_add_tag(&s, tag);
    s.value = value;
    s.condition = srr_strdup(strcmp(check, "mem") == 0 ? "growth > 10%/week" : "max > 1");
    s.summary = srr_strdup(tag);
    s.window_start = w - 7 * 86400;
    s.window_end = s.observed_at = w;
    srr_rules_decide(rs, &s, &d);
    srr_rules_candidate(&s, &d, w, &c);
    cr_assert_eq(srr_store_apply(g_st, &c, 1, w, &stats, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);
    srr_signal_clear(&s);
    return stats;
}

Test(store_decisions, the_budget_limits_new_records_per_window_after_grouping)
{
    srr_config *cfg = NULL;
    srr_ruleset *rs = NULL;
    srr_error err = {0};
    srr_apply_stats st = {0};
    const int64_t w1 = T0, w2 = T0 + 7 * 86400, w3 = T0 + 14 * 86400;
    cr_assert_eq(srr_config_parse("b.yaml", BUDGET_YAML, strlen(BUDGET_YAML), &cfg, &err), SRR_OK,
                 "%s", err.msg);
    cr_assert_eq(srr_rules_compile(cfg, &rs, &err), SRR_OK, "%s", err.msg);
    srr_store_set_rules(g_st, rs);

    /* Window 1: three pods of one memory growth, a full disk, a slow
     * service, an error count: four things. Nothing is drafted before the
     * window is closed. */
    observe(rs, "mem", "pod:w-1", w1);
    observe(rs, "mem", "pod:w-2", w1);
    observe(rs, "mem", "pod:w-3", w1);
    observe(rs, "disk", "device:/dev/sda", w1);
    observe(rs, "lat", "service:api", w1);
    observe(rs, "errors", "service:checkout", w1);
    cr_assert_eq(q("SELECT count(*) FROM risks") + q("SELECT count(*) FROM backlog") +
                     q("SELECT count(*) FROM investigations"),
                 0);
    cr_assert_eq(q("SELECT count(*) FROM pending WHERE state = 'pending'"), 4,
                 "one waiting draft per thing, not per pod");
    cr_assert_eq(srr_store_close_window(g_st, w1, &st, &err), SRR_OK, "%s", err.msg);
    /* The two most urgent: the critical slow service and the high growth. */
    cr_assert_eq(st.new_risks, 1);
    cr_assert_eq(st.new_investigations, 1);
    cr_assert_eq(q("SELECT count(*) FROM risks WHERE title LIKE 'lat%'"), 1);
    cr_assert_eq(q("SELECT members FROM investigations"), 3, "the pods are its members");
    cr_assert_eq(q("SELECT count(*) FROM pending WHERE state = 'pending'"), 2);
    /* A late candidate of the closed, full window waits too. */
    observe(rs, "disk", "device:/dev/sdb", w1);
    cr_assert_eq(q("SELECT count(*) FROM pending WHERE state = 'pending'"), 3);

    /* Window 2: the growth again is evidence (free); the errors again stay
     * one waiting draft; a new critical thing competes with the waiting
     * ones, most urgent first. */
    memset(&st, 0, sizeof st);
    cr_assert_eq(observe(rs, "mem", "pod:w-1", w2).evidence, 1);
    observe(rs, "errors", "service:checkout", w2);
    observe(rs, "lat", "service:db", w2);
    cr_assert_eq(q("SELECT count(*) FROM pending WHERE state = 'pending'"), 4);
    cr_assert_eq(srr_store_close_window(g_st, w2, &st, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(st.new_risks, 1, "the critical db latency");
    cr_assert_eq(st.new_backlog, 1, "the disk waiting since window 1, before the later sdb");
    cr_assert_eq(q("SELECT count(*) FROM backlog WHERE title LIKE '%sda%'"), 1);
    cr_assert_eq(q("SELECT count(*) FROM pending WHERE state = 'pending'"), 2);
    cr_assert_eq(q("SELECT count(*) FROM log_entries WHERE text LIKE 'Over the draft budget%'"), 1);

    /* Window 3 drafts what still waits: never lost. */
    memset(&st, 0, sizeof st);
    cr_assert_eq(srr_store_close_window(g_st, w3, &st, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(st.new_risks + st.new_backlog, 2);
    cr_assert_eq(q("SELECT count(*) FROM pending WHERE state = 'pending'"), 0);
    cr_assert_eq(q("SELECT drafted FROM windows WHERE window_end = "
                   "1764331200"),
                 2);
    srr_store_set_rules(g_st, NULL);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

/* A record is alive: its title names the thing with its members, it keeps
 * the latest value (by the observations' own time) and the worst, and its
 * urgency rises - audited - when a later observation matches a more
 * urgent rule, never falls. */
Test(store_decisions, a_record_is_alive)
{
    static const char yaml[] =
        "checks:\n"
        "  - {name: mem, source: metrics, query: \"avg:rss{*} by {pod}\","
        " when: \"growth > 10%/week\", service: worker, group_by: [service]}\n"
        "policy:\n  rules:\n"
        "    - {name: runaway, match: {check: mem, value: \"> 30\"}, action: risk,"
        " urgency: critical}\n"
        "    - {name: growth, match: {check: mem}, action: risk, urgency: medium}\n";
    srr_config *cfg = NULL;
    srr_ruleset *rs = NULL;
    srr_error err = {0};
    json_t *r;
    const int64_t w1 = T0, w2 = T0 + 7 * 86400, w3 = T0 + 14 * 86400;
    cr_assert_eq(srr_config_parse("a.yaml", yaml, strlen(yaml), &cfg, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_rules_compile(cfg, &rs, &err), SRR_OK, "%s", err.msg);
    srr_store_set_rules(g_st, rs);

    cr_assert_eq(observe_v(rs, "mem", "pod:w-1", SRR_STATUS_FIRING, 15, w1).new_risks, 1);
    r = sf_risk(g_st, "SRR-1");
    cr_assert_str_eq(sf_str(r, "title"), "mem growth on service:worker, 1 pod");
    json_decref(r);
    observe_v(rs, "mem", "pod:w-2", SRR_STATUS_FIRING, 12, w1);
    r = sf_risk(g_st, "SRR-1");
    cr_assert_str_eq(sf_str(r, "title"), "mem growth on service:worker, 2 pods");
    cr_assert_str_eq(sf_str(r, "urgency"), "medium");
    json_decref(r);
    cr_assert_eq(q("SELECT members FROM risks"), 2);

    /* Window 2: one pod runs away; a more urgent rule matches. */
    observe_v(rs, "mem", "pod:w-1", SRR_STATUS_FIRING, 35, w2);
    r = sf_risk(g_st, "SRR-1");
    cr_assert_str_eq(sf_str(r, "urgency"), "critical");
    json_decref(r);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'urgency' AND"
                   " json_extract(before, '$.urgency') = 'medium' AND"
                   " json_extract(after, '$.urgency') = 'critical'"),
                 1);
    /* Window 3: clear again; the urgency stays. */
    observe_v(rs, "mem", "pod:w-1", SRR_STATUS_RECOVERED, 2, w3);
    cr_assert_eq(q("SELECT urgency FROM risks"), 3);
    cr_assert_eq(q("SELECT last_value FROM risks"), 2);
    cr_assert_eq(q("SELECT worst_value FROM risks"), 35);
    cr_assert_eq(q("SELECT last_obs_status = 'clear' FROM risks"), 1);
    /* A late observation of window 2 (delivered after window 3's) changes
     * the worst value, not the latest nor the status. */
    observe_v(rs, "mem", "pod:w-2", SRR_STATUS_FIRING, 40, w2);
    cr_assert_eq(q("SELECT last_value FROM risks"), 2);
    cr_assert_eq(q("SELECT worst_value FROM risks"), 40);
    cr_assert_eq(q("SELECT last_obs_status = 'clear' FROM risks"), 1);
    /* A title a person set stays theirs when a member joins. */
    cr_assert_eq(sf_exec_rw(g_db, "UPDATE risks SET title = 'Worker leak (JIRA-7)'"), SQLITE_OK);
    observe_v(rs, "mem", "pod:w-3", SRR_STATUS_FIRING, 11, w3);
    r = sf_risk(g_st, "SRR-1");
    cr_assert_str_eq(sf_str(r, "title"), "Worker leak (JIRA-7)");
    json_decref(r);
    cr_assert_eq(q("SELECT members FROM risks"), 3);
    srr_store_set_rules(g_st, NULL);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

/* Datadog reorders its retries: a Recovered delivered after a newer
 * Triggered is stored in its own time and does not make the thing clear. */
Test(store_decisions, a_late_recovery_does_not_clear_a_newer_alert)
{
    srr_candidate c;
    srr_apply_stats stats = {0};
    srr_error err = {0};
    const char *ids[] = {"t1", "t2", "r1"};
    const srr_status st[] = {SRR_STATUS_FIRING, SRR_STATUS_FIRING, SRR_STATUS_RECOVERED};
    const int64_t at[] = {T0, T0 + 7200, T0 + 3600}; /* r1 (dated 01:00) arrives last */
    for (int i = 0; i < 3; i++) {
        sf_candidate(&c, ids[i], "fp-mon", SRR_ACTION_INVESTIGATE, st[i], at[i]);
        c.signal.source = SRR_SRC_WEBHOOK;
        c.signal.kind = SRR_KIND_MONITOR_ALERT;
        c.signal.window_start = c.signal.window_end = at[i];
        cr_assert_eq(srr_store_apply(g_st, &c, 1, T0 + 9000, &stats, &err), SRR_OK, "%s", err.msg);
        srr_candidate_clear(&c);
    }
    cr_assert_eq(q("SELECT count(*) FROM investigations"), 1);
    cr_assert_eq(q("SELECT last_status = 'firing' FROM investigations"), 1,
                 "the late recovery is older than the last trigger");
    cr_assert_eq(q("SELECT last_obs_at FROM investigations"), T0 + 7200);
    /* Its deadline (1 day) judged by the alerts in their own order: the
     * last before the deadline fires, so it becomes a risk. */
    cr_assert_eq(srr_store_check_deadlines(g_st, T0 + 2 * 86400, &stats, &err), SRR_OK);
    cr_assert_eq(stats.promoted, 1);
}
