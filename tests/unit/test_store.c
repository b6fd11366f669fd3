/* SPDX-License-Identifier: Apache-2.0
 *
 * test_store.c - unit tests of the SQLite store: migrations and reopen,
 * idempotent apply, evidence on open records, each action, recovered
 * signals, regressions, investigation deadlines, rollback, quarantine, the
 * append-only audit log, and the JSON reads with human ids.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"
#include "schema.h" /* the shipped migrations, to build an older database */
#include "store.h"
#include "store_fixtures.h"
#include "testutil.h"

#define T0 1764331200 /* 2025-11-28T12:00:00Z */

SF_STORE_SUITE(store);

static long long q(const char *sql)
{
    return sf_query_int(g_db, sql);
}

/* Runs SQL on its own read-write connection; returns the SQLite code. */
static int exec_rw(const char *sql)
{
    sqlite3 *h = NULL;
    int rc = sqlite3_open(g_db, &h);
    cr_assert_eq(rc, SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    sqlite3_close(h);
    return rc;
}

/* Applies one candidate; returns the stats. */
static srr_apply_stats apply1(const char *id, const char *fp, srr_action a, srr_status s,
                              int64_t at)
{
    srr_candidate c;
    srr_apply_stats stats = {0};
    srr_error err = {0};
    sf_candidate(&c, id, fp, a, s, at);
    cr_assert_eq(srr_store_apply(g_st, &c, 1, at, &stats, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);
    return stats;
}

static json_t *risk(const char *id)
{
    json_t *r = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_store_risk_get(g_st, id, &r, &err), SRR_OK, "%s", err.msg);
    return r;
}

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    cr_assert_not_null(s, "field %s missing or not a string", k);
    return s;
}

Test(store, migrations_from_empty)
{
    /* every migration applied (3: the decision in sightings, 4: the outbox, 5: things,
     * 6: queue positions) */
    cr_assert_eq(srr_store_schema_version(g_st), SRR_SCHEMA_VERSION);
    cr_assert_geq(SRR_SCHEMA_VERSION, 6);
    cr_assert_eq(q("SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
                   "('risks','backlog','investigations','evidence','sightings','candidates',"
                   "'quarantine','audit','log_entries','sweep_state')"),
                 10);
    {
        char *wal = srr_asprintf("%s-wal", g_db); /* WAL mode leaves its file */
        cr_assert_eq(access(wal, F_OK), 0, "%s missing", wal);
        free(wal);
    }
}

/* A metric signal of worker-memory on `host`, observed at `at`. */
static void worker_signal(srr_signal *s, const char *host, srr_status status, int64_t at)
{
    char tag[64];
    memset(s, 0, sizeof *s);
    s->source = SRR_SRC_METRICS;
    s->check = srr_strdup("worker-memory");
    s->kind = SRR_KIND_TREND;
    s->status = status;
    s->service = srr_strdup("billing-worker");
    s->env = srr_strdup("prod");
    snprintf(tag, sizeof tag, "host:%s", host);
    srr_signal_add_tag(s, tag);
    s->value = status == SRR_STATUS_FIRING ? 23.7 : 2.0;
    s->condition = srr_strdup("growth > 10%/week");
    s->summary = srr_strdup("growth");
    s->window_start = at - 7 * 86400;
    s->window_end = s->observed_at = at;
}

/* Migration 5 on a store written when the rule decided the fingerprint:
 * the firing growth was keyed per service (the rule's group_by), its
 * recovery per host (the default had none). The first observation under
 * the identity from the source carries the per-host sightings to the
 * thing, once, audited; and a redelivery changes nothing. */
Test(store, migration_5_carries_old_fingerprints_to_the_thing)
{
    static const char yaml[] =
        "checks:\n"
        "  - {name: worker-memory, source: metrics, query: \"avg:process.rss{*} by {host}\","
        " when: \"growth > 10%/week\", service: billing-worker, env: prod}\n"
        "policy:\n  rules:\n"
        "    - {name: per-service, match: {check: worker-memory, status: firing},"
        " action: investigate, timebox: 7d, group_by: [service]}\n"
        "  default: {action: ignore}\n";
    srr_config *cfg = NULL;
    srr_ruleset *rs = NULL;
    srr_error err = {0};
    srr_signal s;
    srr_decision d;
    srr_candidate c;
    srr_apply_stats stats = {0};
    char fp_host[33], *sql;
    cr_assert_eq(srr_config_parse("srr.yaml", yaml, strlen(yaml), &cfg, &err), SRR_OK, "%s",
                 err.msg);
    cr_assert_eq(srr_rules_compile(cfg, &rs, &err), SRR_OK, "%s", err.msg);
    worker_signal(&s, "w-1", SRR_STATUS_RECOVERED, T0);
    srr_rules_fingerprint(&s, NULL, fp_host); /* what the default gave it */
    srr_signal_clear(&s);

    srr_store_close(&g_st);
    unlink(g_db);
    sql = srr_asprintf("%s%s%sPRAGMA user_version = 3;"
                       "INSERT INTO sightings(fingerprint, candidate_id, at, status, value)"
                       " VALUES ('%s', 'old1', %d, 'recovered', 2.0),"
                       " ('%s', 'old2', %d, 'recovered', 1.0);",
                       SRR_MIGRATIONS[0], SRR_MIGRATIONS[1], SRR_MIGRATIONS[2], fp_host, T0 - 86400,
                       fp_host, T0 - 3600);
    cr_assert_eq(exec_rw(sql), SQLITE_OK);
    free(sql);
    cr_assert_eq(srr_store_open(g_db, &g_st, &err), SRR_OK, "%s", err.msg);
    srr_store_set_rules(g_st, rs);

    worker_signal(&s, "w-1", SRR_STATUS_FIRING, T0);
    srr_rules_decide(rs, &s, &d);
    srr_rules_candidate(&s, &d, T0, &c);
    cr_assert_neq(strcmp(c.fingerprint, fp_host), 0);
    cr_assert_eq(srr_store_apply(g_st, &c, 1, T0, &stats, &err), SRR_OK, "%s", err.msg);
    sql = srr_asprintf("SELECT count(*) FROM sightings WHERE fingerprint = '%s'", c.fingerprint);
    cr_assert_eq(q(sql), 3, "the two old sightings and the new one are the thing's");
    free(sql);
    cr_assert_eq(q("SELECT count(*) FROM sightings WHERE member = 'host:w-1'"), 3);
    cr_assert_eq(q("SELECT count(*) FROM thing_aliases"), 1);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'carry' AND record_kind = 'thing'"),
                 1);
    cr_assert_eq(q("SELECT count(*) FROM things WHERE grp = 'service:billing-worker'"), 1);
    cr_assert_eq(q("SELECT count(*) FROM thing_members"), 1);
    cr_assert_eq(q("SELECT members FROM investigations"), 1);
    memset(&stats, 0, sizeof stats);
    cr_assert_eq(srr_store_apply(g_st, &c, 1, T0, &stats, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(stats.duplicates, 1);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'carry'"), 1);
    srr_candidate_clear(&c);
    srr_signal_clear(&s);
    srr_store_set_rules(g_st, NULL);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

Test(store, reopen_keeps_data_and_version)
{
    srr_error err = {0};
    apply1("c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    srr_store_close(&g_st);
    cr_assert_null(g_st);
    cr_assert_eq(srr_store_open(g_db, &g_st, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_store_schema_version(g_st), SRR_SCHEMA_VERSION);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 1);
}

/* Migration 3 on a database a v2 srr wrote: the decision moves from the
 * candidate row to its sighting, and the candidates table loses the
 * column. The v2 schema is built with the shipped migrations 1 and 2. */
Test(store, migration_3_moves_the_decision_to_sightings)
{
    srr_error err = {0};
    char *sql;
    srr_store_close(&g_st);
    unlink(g_db); /* closing the last connection removed the WAL files */
    sql = srr_asprintf("%s%sPRAGMA user_version = 2;", SRR_MIGRATIONS[0], SRR_MIGRATIONS[1]);
    cr_assert_eq(exec_rw(sql), SQLITE_OK);
    free(sql);
    cr_assert_eq(exec_rw("INSERT INTO candidates(id, fingerprint, action, applied_at, outcome,"
                         " decision) VALUES ('v2a', 'fp1', 'risk', 1, 'created draft SRR-1',"
                         " '{\"effect\":\"create\",\"rule\":\"r1\"}'),"
                         " ('v2b', 'fp1', 'risk', 2, 'evidence SRR-1', NULL);"
                         "INSERT INTO sightings(fingerprint, candidate_id, at, status, value)"
                         " VALUES ('fp1', 'v2a', 1, 'firing', 1.5),"
                         " ('fp1', 'v2b', 2, 'firing', 2.5);"),
                 SQLITE_OK);
    cr_assert_eq(srr_store_open(g_db, &g_st, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_store_schema_version(g_st), SRR_SCHEMA_VERSION); /* 3 and on */
    cr_assert_eq(q("SELECT count(*) FROM sightings WHERE candidate_id = 'v2a' AND decision ="
                   " '{\"effect\":\"create\",\"rule\":\"r1\"}'"),
                 1);
    cr_assert_eq(
        q("SELECT count(*) FROM sightings WHERE candidate_id = 'v2b' AND decision IS NULL"), 1);
    cr_assert_eq(q("SELECT count(*) FROM pragma_table_info('candidates') WHERE name = 'decision'"),
                 0);
    cr_assert_eq(q("SELECT count(*) FROM candidates"), 2);
    /* The migrated store keeps working: a redelivery changes nothing, a new
     * candidate stores its decision with its sighting. */
    cr_assert_eq(apply1("v2a", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0).duplicates, 1);
    apply1("v3a", "fp3", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(q("SELECT count(*) FROM sightings WHERE candidate_id = 'v3a' AND decision LIKE "
                   "'%\"effect\":\"create\"%'"),
                 1);
}

Test(store, refuses_newer_schema)
{
    srr_error err = {0};
    srr_store *st2 = NULL;
    srr_store_close(&g_st);
    cr_assert_eq(exec_rw("PRAGMA user_version = 99"), SQLITE_OK);
    cr_assert_eq(srr_store_open(g_db, &st2, &err), SRR_EINVAL);
    cr_assert_null(st2);
    cr_assert(strstr(err.msg, "newer") != NULL, "%s", err.msg);
}

Test(store, unopenable_path_is_eio)
{
    srr_error err = {0};
    srr_store *st2 = NULL;
    cr_assert_eq(srr_store_open("/nonexistent-dir/x/srr.db", &st2, &err), SRR_EIO);
    cr_assert_null(st2);
}

Test(store, same_candidate_twice_is_idempotent)
{
    srr_candidate c[2];
    srr_apply_stats st = {0};
    srr_error err = {0};
    apply1("c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    st = apply1("c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(st.duplicates, 1);
    cr_assert_eq(st.new_risks, 0);
    /* Twice inside one batch, too. */
    memset(&st, 0, sizeof(st));
    sf_candidate(&c[0], "c2", "fp2", SRR_ACTION_BACKLOG, SRR_STATUS_FIRING, T0);
    sf_candidate(&c[1], "c2", "fp2", SRR_ACTION_BACKLOG, SRR_STATUS_FIRING, T0);
    cr_assert_eq(srr_store_apply(g_st, c, 2, T0, &st, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(st.received, 2);
    cr_assert_eq(st.duplicates, 1);
    cr_assert_eq(st.new_backlog, 1);
    srr_candidate_clear(&c[0]);
    srr_candidate_clear(&c[1]);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 1);
    cr_assert_eq(q("SELECT count(*) FROM backlog"), 1);
    cr_assert_eq(q("SELECT count(*) FROM sightings"), 2);
    cr_assert_eq(q("SELECT count(*) FROM evidence"), 2);
    cr_assert_eq(q("SELECT count(*) FROM candidates"), 2);
}

Test(store, repeat_attaches_evidence)
{
    srr_apply_stats st;
    json_t *r, *ev;
    apply1("c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    st = apply1("c2", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + 3600);
    cr_assert_eq(st.evidence, 1);
    cr_assert_eq(st.new_risks, 0);
    /* A backlog proposal for the same fingerprint also lands on the risk. */
    st = apply1("c3", "fp1", SRR_ACTION_BACKLOG, SRR_STATUS_FIRING, T0 + 7200);
    cr_assert_eq(st.evidence, 1);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 1);
    cr_assert_eq(q("SELECT count(*) FROM backlog"), 0);
    cr_assert_eq(q("SELECT occurrences FROM risks WHERE id = 1"), 3);
    cr_assert_eq(q("SELECT last_seen FROM risks WHERE id = 1"), T0 + 7200);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'evidence'"), 2);
    r = risk("SRR-1");
    ev = json_object_get(r, "evidence");
    cr_assert_eq(json_integer_value(json_object_get(ev, "occurrences")), 3);
    cr_assert_str_eq(str(ev, "first_seen"), "2025-11-28T12:00:00Z");
    cr_assert_str_eq(str(ev, "last_seen"), "2025-11-28T14:00:00Z");
    cr_assert_eq(json_array_size(json_object_get(ev, "recent")), 3);
    cr_assert_str_eq(str(json_array_get(json_object_get(ev, "recent"), 0), "candidate"), "c3");
    json_decref(r);
}

Test(store, risk_action_creates_draft_with_sections)
{
    json_t *r, *log, *e;
    srr_apply_stats st = apply1("c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(st.new_risks, 1);
    r = risk("SRR-1");
    cr_assert_str_eq(str(r, "id"), "SRR-1");
    cr_assert_str_eq(str(r, "status"), "draft");
    cr_assert_str_eq(str(r, "urgency"), "medium");
    cr_assert_str_eq(str(r, "service"), "worker");
    cr_assert_str_eq(str(r, "rule"), "test-rule");
    cr_assert_str_eq(str(r, "reason"), "because the test says so");
    cr_assert_str_eq(str(r, "origin_candidate"), "c1");
    cr_assert_str_eq(str(r, "created_at"), "2025-11-28T12:00:00Z");
    cr_assert(strstr(str(r, "overview"), "growth > 10%/week") != NULL);
    cr_assert(strstr(str(r, "overview"), "worker-rss") != NULL);
    cr_assert(strstr(str(r, "overview"), "https://app.datadoghq.com") != NULL);
    cr_assert(json_is_null(json_object_get(r, "cause")));
    cr_assert(json_is_null(json_object_get(r, "countermeasure_policy")));
    cr_assert(json_is_null(json_object_get(r, "next_action")));
    cr_assert_eq(json_array_size(json_object_get(r, "countermeasure_log")), 0);
    log = json_object_get(r, "recognition_log");
    cr_assert_eq(json_array_size(log), 1);
    e = json_array_get(log, 0);
    cr_assert_str_eq(str(e, "at"), "2025-11-28T12:00:00Z");
    cr_assert_str_eq(str(e, "author"), "srr-writer");
    cr_assert(strncmp(str(e, "text"), "Detected by srr sweep: growth", 29) == 0, "%s",
              str(e, "text"));
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'create' AND record_kind = 'risk'"
                   " AND actor = 'srr-writer'"),
                 1);
    json_decref(r);
}

Test(store, backlog_investigate_ignore)
{
    srr_apply_stats st;
    json_t *b = NULL, *list = NULL;
    srr_error err = {0};
    st = apply1("c1", "fpb", SRR_ACTION_BACKLOG, SRR_STATUS_FIRING, T0);
    cr_assert_eq(st.new_backlog, 1);
    st = apply1("c2", "fpi", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    cr_assert_eq(st.new_investigations, 1);
    st = apply1("c3", "fpx", SRR_ACTION_IGNORE, SRR_STATUS_FIRING, T0);
    cr_assert_eq(st.ignored, 1);

    cr_assert_eq(srr_store_backlog_get(g_st, "BL-1", &b, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(str(b, "id"), "BL-1");
    cr_assert_str_eq(str(b, "status"), "draft");
    cr_assert(strstr(str(b, "description"), "worker-rss") != NULL);
    json_decref(b);

    cr_assert_eq(srr_store_investigations_list(g_st, NULL, &list, &err), SRR_OK);
    cr_assert_eq(json_array_size(list), 1);
    cr_assert_str_eq(str(json_array_get(list, 0), "id"), "INV-1");
    cr_assert_str_eq(str(json_array_get(list, 0), "deadline"), "2025-11-29T12:00:00Z");
    cr_assert_str_eq(str(json_array_get(list, 0), "last_status"), "firing");
    json_decref(list);

    /* ignore: a sighting, no record, no evidence. */
    cr_assert_eq(q("SELECT count(*) FROM sightings WHERE fingerprint = 'fpx'"), 1);
    cr_assert_eq(q("SELECT count(*) FROM risks") + q("SELECT count(*) FROM backlog"), 1);
    cr_assert_eq(q("SELECT count(*) FROM evidence"), 2);
    cr_assert_eq(q("SELECT count(*) FROM candidates WHERE outcome LIKE 'ignored%'"), 1);
}

Test(store, recovered_never_creates_a_record)
{
    srr_apply_stats st;
    st = apply1("c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_RECOVERED, T0);
    cr_assert_eq(st.new_risks, 0);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 0);
    /* A sweep's clear observation of a thing never seen firing is not kept
     * (its id is, so a redelivery is a duplicate). */
    cr_assert_eq(st.untracked, 1);
    cr_assert_eq(q("SELECT count(*) FROM sightings"), 0);
    cr_assert_eq(apply1("c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_RECOVERED, T0).duplicates, 1);
    /* Once the thing fired, its clear observations are. */
    apply1("c0", "fp1", SRR_ACTION_IGNORE, SRR_STATUS_FIRING, T0 - 60);
    st = apply1("c1b", "fp1", SRR_ACTION_RISK, SRR_STATUS_RECOVERED, T0 + 60);
    cr_assert_eq(st.untracked, 0);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 0);
    cr_assert_eq(q("SELECT count(*) FROM sightings WHERE status = 'recovered'"), 1);
    /* With an open investigation it is evidence and flips last_status. */
    apply1("c2", "fp2", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    st = apply1("c3", "fp2", SRR_ACTION_INVESTIGATE, SRR_STATUS_RECOVERED, T0 + 60);
    cr_assert_eq(st.evidence, 1);
    cr_assert_eq(q("SELECT count(*) FROM investigations WHERE last_status = 'recovered'"), 1);
    cr_assert_eq(q("SELECT occurrences FROM investigations"), 1);
    cr_assert_eq(q("SELECT count(*) FROM evidence WHERE record_kind = 'investigation'"), 2);
}

Test(store, regression_reopens_resolved_risk)
{
    srr_apply_stats st;
    json_t *r;
    apply1("c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(exec_rw("UPDATE risks SET status = 'resolved' WHERE id = 1"), SQLITE_OK);
    /* A recovered signal of a resolved risk does nothing. */
    st = apply1("c2", "fp1", SRR_ACTION_BACKLOG, SRR_STATUS_RECOVERED, T0 + 60);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 1);
    /* Firing again: a new draft linked to it, whatever the proposed action. */
    st = apply1("c3", "fp1", SRR_ACTION_BACKLOG, SRR_STATUS_FIRING, T0 + 120);
    cr_assert_eq(st.new_risks, 1);
    cr_assert_eq(q("SELECT count(*) FROM backlog"), 0);
    r = risk("SRR-2");
    cr_assert_str_eq(str(r, "status"), "draft");
    cr_assert_str_eq(str(r, "reopened_from"), "SRR-1");
    cr_assert(strstr(str(r, "reason"), "Regression") != NULL);
    json_decref(r);
    /* And the next sighting is evidence on the new draft. */
    st = apply1("c4", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + 180);
    cr_assert_eq(st.evidence, 1);
    cr_assert_eq(q("SELECT occurrences FROM risks WHERE id = 2"), 2);
}

Test(store, merged_risk_routes_evidence_to_target)
{
    srr_apply_stats st;
    apply1("c1", "fpa", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    apply1("c2", "fpb", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(exec_rw("UPDATE risks SET status = 'merged', merged_into = 2 WHERE id = 1"),
                 SQLITE_OK);
    st = apply1("c3", "fpa", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + 60);
    cr_assert_eq(st.evidence, 1);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 2);
    cr_assert_eq(q("SELECT occurrences FROM risks WHERE id = 2"), 2);
}

Test(store, deadline_promotes_when_still_firing)
{
    srr_apply_stats st = {0};
    srr_error err = {0};
    json_t *r, *log;
    apply1("c1", "fp1", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    apply1("c2", "fp1", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 3600);
    /* Before the deadline: nothing. */
    cr_assert_eq(srr_store_check_deadlines(g_st, T0 + 86399, &st, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(st.promoted + st.closed, 0);
    /* At the deadline the thing has no observation judged at or after it:
     * it waits for one (a sweep's window), whatever its last status. */
    cr_assert_eq(srr_store_check_deadlines(g_st, T0 + 86400, &st, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(st.promoted + st.closed, 0);
    /* Not observed for the grace period after it: the last observation,
     * firing, decides. */
    cr_assert_eq(srr_store_check_deadlines(g_st, T0 + 86400 + SRR_TIMEBOX_GRACE_S, &st, &err),
                 SRR_OK, "%s", err.msg);
    cr_assert_eq(st.promoted, 1);
    cr_assert_eq(q("SELECT count(*) FROM investigations WHERE status = 'promoted' AND "
                   "risk_id = 1 AND outcome = 'promoted to SRR-1'"),
                 1);
    r = risk("SRR-1");
    cr_assert_str_eq(str(r, "status"), "draft");
    log = json_object_get(r, "recognition_log");
    /* opened + 2 evidence entries + time-box ended */
    cr_assert_eq(json_array_size(log), 4, "%zu entries", json_array_size(log));
    cr_assert(strstr(str(json_array_get(log, 0), "text"), "INV-1") != NULL);
    /* Why it became a risk is its reason; why it was investigated stays in
     * the log. */
    cr_assert(strstr(str(r, "reason"), "The 1-day time-box (opened 2025-11-28) ended on "
                                       "2025-11-29 and nobody explained the thing: it was "
                                       "still firing at its last observation") != NULL,
              "%s", str(r, "reason"));
    cr_assert(strstr(str(json_array_get(log, 0), "text"), "because the test says so") != NULL);
    cr_assert(strstr(str(json_array_get(log, 1), "text"), "growth 12.5%/week") != NULL);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(r, "evidence"), "occurrences")),
                 2);
    cr_assert_eq(json_array_size(json_object_get(json_object_get(r, "evidence"), "recent")), 2);
    json_decref(r);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'promote'"), 1);
    /* Checking again changes nothing; a new sighting lands on the risk. */
    memset(&st, 0, sizeof(st));
    cr_assert_eq(srr_store_check_deadlines(g_st, T0 + 90000 + SRR_TIMEBOX_GRACE_S, &st, &err),
                 SRR_OK);
    cr_assert_eq(st.promoted, 0);
    st = apply1("c3", "fp1", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 90000);
    cr_assert_eq(st.evidence, 1);
    cr_assert_eq(q("SELECT count(*) FROM investigations"), 1);
}

Test(store, deadline_closes_when_recovered)
{
    srr_apply_stats st = {0};
    srr_error err = {0};
    apply1("c1", "fp1", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    apply1("c2", "fp1", SRR_ACTION_INVESTIGATE, SRR_STATUS_RECOVERED, T0 + 60);
    /* Clear since T0 + 60, but the window judged at the deadline decides. */
    cr_assert_eq(srr_store_check_deadlines(g_st, T0 + 2 * 86400, &st, &err), SRR_OK);
    cr_assert_eq(st.closed + st.promoted, 0);
    apply1("c2b", "fp1", SRR_ACTION_INVESTIGATE, SRR_STATUS_RECOVERED, T0 + 86400);
    cr_assert_eq(srr_store_check_deadlines(g_st, T0 + 2 * 86400, &st, &err), SRR_OK);
    cr_assert_eq(st.closed, 1);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'close' AND"
                   " json_extract(after, '$.clear_since') = '2025-11-28T12:01:00Z'"
                   " AND json_extract(after, '$.last_value') = 12.5"),
                 1);
    cr_assert_eq(st.promoted, 0);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 0);
    cr_assert_eq(q("SELECT count(*) FROM investigations WHERE status = 'closed' AND "
                   "outcome = 'stopped firing'"),
                 1);
}

Test(store, failure_rolls_back_the_whole_batch)
{
    srr_candidate c[2];
    srr_apply_stats st = {0};
    srr_error err = {0};
    sf_candidate(&c[0], "good", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    sf_candidate(&c[1], "bad", "fp2", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    free(c[1].fingerprint);
    c[1].fingerprint = NULL;
    cr_assert_neq(srr_store_apply(g_st, c, 2, T0, &st, &err), SRR_OK);
    cr_assert(strstr(err.msg, "bad") != NULL, "%s", err.msg);
    cr_assert_eq(st.received, 0);
    srr_candidate_clear(&c[0]);
    srr_candidate_clear(&c[1]);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 0);
    cr_assert_eq(q("SELECT count(*) FROM candidates"), 0);
    cr_assert_eq(q("SELECT count(*) FROM sightings"), 0);
    cr_assert_eq(q("SELECT count(*) FROM audit"), 0);
    /* The store stays usable. */
    apply1("good", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 1);
}

Test(store, quarantine_keeps_reason_and_bounded_payload)
{
    srr_error err = {0};
    json_t *list = NULL, *e;
    size_t big = 100 * 1024;
    char *payload = srr_malloc(big);
    memset(payload, 'x', big);
    cr_assert_eq(srr_store_quarantine(g_st, "spool", "{oops", 5, "not JSON", T0, &err), SRR_OK);
    cr_assert_eq(srr_store_quarantine(g_st, "webhook", payload, big, "too big", T0, &err), SRR_OK);
    free(payload);
    cr_assert_eq(srr_store_quarantine_list(g_st, &list, &err), SRR_OK);
    cr_assert_eq(json_array_size(list), 2);
    e = json_array_get(list, 0);
    cr_assert_str_eq(str(e, "origin"), "spool");
    cr_assert_str_eq(str(e, "reason"), "not JSON");
    cr_assert_str_eq(str(e, "payload"), "{oops");
    cr_assert(json_is_false(json_object_get(e, "truncated")));
    e = json_array_get(list, 1);
    cr_assert_eq(strlen(str(e, "payload")), 64 * 1024);
    cr_assert_eq(json_integer_value(json_object_get(e, "payload_bytes")), (json_int_t)big);
    cr_assert(json_is_true(json_object_get(e, "truncated")));
    json_decref(list);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'quarantine'"), 2);
}

Test(store, audit_is_append_only)
{
    apply1("c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(q("SELECT count(*) FROM audit"), 1);
    cr_assert_neq(exec_rw("UPDATE audit SET actor = 'mallory'"), SQLITE_OK);
    cr_assert_neq(exec_rw("DELETE FROM audit"), SQLITE_OK);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE actor = 'srr-writer'"), 1);
    cr_assert_eq(exec_rw("INSERT INTO audit(at, actor, record_kind, action) "
                         "VALUES (1, 'x', 'risk', 'note')"),
                 SQLITE_OK);
}

Test(store, reads_ids_and_ordering)
{
    srr_candidate c;
    srr_error err = {0};
    json_t *r = NULL, *list = NULL;
    apply1("c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    sf_candidate(&c, "c2", "fp2", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    c.urgency = SRR_URGENCY_CRITICAL;
    cr_assert_eq(srr_store_apply(g_st, &c, 1, T0, NULL, &err), SRR_OK);
    srr_candidate_clear(&c);
    apply1("c3", "fp3", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);

    cr_assert_eq(srr_store_risks_list(g_st, NULL, &list, &err), SRR_OK);
    cr_assert_eq(json_array_size(list), 3);
    cr_assert_str_eq(str(json_array_get(list, 0), "id"), "SRR-2");
    cr_assert_str_eq(str(json_array_get(list, 0), "urgency"), "critical");
    cr_assert_str_eq(str(json_array_get(list, 1), "id"), "SRR-1");
    cr_assert_str_eq(str(json_array_get(list, 2), "id"), "SRR-3");
    json_decref(list);
    cr_assert_eq(srr_store_risks_list(g_st, "open", &list, &err), SRR_OK);
    cr_assert_eq(json_array_size(list), 0);
    json_decref(list);

    r = risk("2");
    cr_assert_str_eq(str(r, "id"), "SRR-2");
    json_decref(r);
    r = risk("srr-3");
    cr_assert_str_eq(str(r, "id"), "SRR-3");
    json_decref(r);
    r = NULL;
    cr_assert_eq(srr_store_risk_get(g_st, "SRR-99", &r, &err), SRR_ENOTFOUND);
    cr_assert_null(r);
    cr_assert_eq(srr_store_risk_get(g_st, "BL-1", &r, &err), SRR_ENOTFOUND);
    cr_assert_eq(srr_store_risk_get(g_st, "SRR-", &r, &err), SRR_ENOTFOUND);
    cr_assert_eq(srr_store_backlog_get(g_st, "BL-1", &r, &err), SRR_ENOTFOUND);
    cr_assert(strstr(err.msg, "BL-1") != NULL, "%s", err.msg);
}

/* ---- issue 4: the writer decides with the fingerprint's history ------------- */

#include "config.h"
#include "rules.h"

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

Test(store, recurrence_turns_repeats_into_a_risk)
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
    srr_apply_stats s1 = apply1("w1", "fpR", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    srr_apply_stats s2 = apply1("w2", "fpR", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + WEEK);
    cr_assert_eq(s1.ignored + s2.ignored, 2, "seen in 1 and 2 of 4 sweeps: the blip rule");
    cr_assert_eq(q("SELECT count(*) FROM risks"), 0);
    srr_apply_stats s3 = apply1("w3", "fpR", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + 2 * WEEK);
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

Test(store, stored_json_texts_are_what_jansson_writes)
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
    apply1("j1", "fpJ", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    /* evidence with a summary and a value that need care */
    sf_candidate(&c, "j2", "fpJ", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + 60);
    free(c.signal.summary);
    c.signal.summary = srr_strdup("rss \"high\" \\ caf\xc3\xa9 \xe2\x82\xac\ttab\x01");
    c.signal.value = 0.1;
    json_decref(c.signal.evidence);
    c.signal.evidence = json_pack("{s:[f,f,f], s:s, s:{}}", "v", 1e300, -0.0, 3.0, "note",
                                  "\"q\"\n", "empty");
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
    cr_assert_eq(texts_as_jansson_writes("SELECT after FROM audit",
                                         JSON_COMPACT | JSON_SORT_KEYS),
                 2);
    srr_store_set_rules(g_st, NULL);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

Test(store, flapping_is_evidence_of_a_risk)
{
    srr_config *cfg = NULL;
    srr_ruleset *rs = store_policy("policy:\n"
                                   "  rules:\n"
                                   "    - name: flapping\n"
                                   "      match: {flapping: \">= 2 times in 7d\"}\n"
                                   "      action: risk\n"
                                   "  default: {action: investigate, timebox: 7d}\n",
                                   &cfg);
    apply1("f1", "fpF", SRR_ACTION_INVESTIGATE, SRR_STATUS_RECOVERED, T0);
    apply1("f2", "fpF", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 3600);
    cr_assert_eq(q("SELECT count(*) FROM investigations WHERE status = 'open'"), 1);
    apply1("f3", "fpF", SRR_ACTION_INVESTIGATE, SRR_STATUS_RECOVERED, T0 + 7200);
    apply1("f4", "fpF", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 9000);
    srr_apply_stats s = apply1("f5", "fpF", SRR_ACTION_INVESTIGATE, SRR_STATUS_RECOVERED,
                               T0 + 10800);
    cr_assert_eq(s.promoted, 1, "two flaps: the open investigation becomes a draft risk");
    cr_assert_eq(q("SELECT count(*) FROM investigations WHERE status = 'promoted'"), 1);
    cr_assert_eq(q("SELECT count(*) FROM risks WHERE status = 'draft'"), 1);
    srr_store_set_rules(g_st, NULL);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

Test(store, engineer_resolves_an_investigation)
{
    srr_error err = {0};
    apply1("i1", "fpA", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    apply1("i2", "fpB", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    apply1("i3", "fpC", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    cr_assert_eq(srr_store_investigation_resolve(g_st, "INV-1", "backlog", NULL, "alice", NULL,
                                                 T0 + 60, &err),
                 SRR_EINVAL, "backlog needs the ticket link");
    cr_assert_eq(srr_store_investigation_resolve(g_st, "INV-1", "later", "x", "alice", NULL,
                                                 T0 + 60, &err),
                 SRR_EINVAL);
    cr_assert_eq(srr_store_investigation_resolve(g_st, "INV-1", "backlog",
                                                 "https://tickets/OPS-1", "alice",
                                                 "a known leak in the parser", T0 + 60, &err),
                 SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_store_investigation_resolve(g_st, "INV-2", "noise", NULL, "bob", NULL,
                                                 T0 + 60, &err),
                 SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_store_investigation_resolve(g_st, "INV-3", "fixed", NULL, "carol", NULL,
                                                 T0 + 60, &err),
                 SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_store_investigation_resolve(g_st, "INV-3", "fixed", NULL, "carol", NULL,
                                                 T0 + 60, &err),
                 SRR_ECONFLICT);
    cr_assert_eq(srr_store_investigation_resolve(g_st, "INV-9", "fixed", NULL, "carol", NULL,
                                                 T0 + 60, &err),
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
    srr_apply_stats a = apply1("i4", "fpA", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 120);
    srr_apply_stats b = apply1("i5", "fpB", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 120);
    srr_apply_stats c = apply1("i6", "fpC", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 120);
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

Test(store, the_budget_limits_new_records_per_window_after_grouping)
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
Test(store, a_record_is_alive)
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
    r = risk("SRR-1");
    cr_assert_str_eq(str(r, "title"), "mem growth on service:worker, 1 pod");
    json_decref(r);
    observe_v(rs, "mem", "pod:w-2", SRR_STATUS_FIRING, 12, w1);
    r = risk("SRR-1");
    cr_assert_str_eq(str(r, "title"), "mem growth on service:worker, 2 pods");
    cr_assert_str_eq(str(r, "urgency"), "medium");
    json_decref(r);
    cr_assert_eq(q("SELECT members FROM risks"), 2);

    /* Window 2: one pod runs away; a more urgent rule matches. */
    observe_v(rs, "mem", "pod:w-1", SRR_STATUS_FIRING, 35, w2);
    r = risk("SRR-1");
    cr_assert_str_eq(str(r, "urgency"), "critical");
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
    cr_assert_eq(exec_rw("UPDATE risks SET title = 'Worker leak (JIRA-7)'"), SQLITE_OK);
    observe_v(rs, "mem", "pod:w-3", SRR_STATUS_FIRING, 11, w3);
    r = risk("SRR-1");
    cr_assert_str_eq(str(r, "title"), "Worker leak (JIRA-7)");
    json_decref(r);
    cr_assert_eq(q("SELECT members FROM risks"), 3);
    srr_store_set_rules(g_st, NULL);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

/* Datadog reorders its retries: a Recovered delivered after a newer
 * Triggered is stored in its own time and does not make the thing clear. */
Test(store, a_late_recovery_does_not_clear_a_newer_alert)
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
