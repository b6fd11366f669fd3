/* SPDX-License-Identifier: Apache-2.0
 *
 * test_store.c - unit tests of the SQLite store: migrations and reopen,
 * idempotent apply, evidence on open records, each action, recovered
 * signals, regressions, investigation deadlines, rollback, quarantine, the
 * append-only audit log, and the JSON reads with human ids. What the store
 * decides with a policy and a fingerprint's history is test_store_decisions.c.
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
    cr_assert_eq(sf_exec_rw(g_db, sql), SQLITE_OK);
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
    sf_apply1(g_st, "c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
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
    cr_assert_eq(sf_exec_rw(g_db, sql), SQLITE_OK);
    free(sql);
    cr_assert_eq(sf_exec_rw(g_db,
                            "INSERT INTO candidates(id, fingerprint, action, applied_at, outcome,"
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
    cr_assert_eq(sf_apply1(g_st, "v2a", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0).duplicates,
                 1);
    sf_apply1(g_st, "v3a", "fp3", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(q("SELECT count(*) FROM sightings WHERE candidate_id = 'v3a' AND decision LIKE "
                   "'%\"effect\":\"create\"%'"),
                 1);
}

Test(store, refuses_newer_schema)
{
    srr_error err = {0};
    srr_store *st2 = NULL;
    srr_store_close(&g_st);
    cr_assert_eq(sf_exec_rw(g_db, "PRAGMA user_version = 99"), SQLITE_OK);
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
    sf_apply1(g_st, "c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    st = sf_apply1(g_st, "c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
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
    sf_apply1(g_st, "c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    st = sf_apply1(g_st, "c2", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + 3600);
    cr_assert_eq(st.evidence, 1);
    cr_assert_eq(st.new_risks, 0);
    /* A backlog proposal for the same fingerprint also lands on the risk. */
    st = sf_apply1(g_st, "c3", "fp1", SRR_ACTION_BACKLOG, SRR_STATUS_FIRING, T0 + 7200);
    cr_assert_eq(st.evidence, 1);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 1);
    cr_assert_eq(q("SELECT count(*) FROM backlog"), 0);
    cr_assert_eq(q("SELECT occurrences FROM risks WHERE id = 1"), 3);
    cr_assert_eq(q("SELECT last_seen FROM risks WHERE id = 1"), T0 + 7200);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'evidence'"), 2);
    r = sf_risk(g_st, "SRR-1");
    ev = json_object_get(r, "evidence");
    cr_assert_eq(json_integer_value(json_object_get(ev, "occurrences")), 3);
    cr_assert_str_eq(sf_str(ev, "first_seen"), "2025-11-28T12:00:00Z");
    cr_assert_str_eq(sf_str(ev, "last_seen"), "2025-11-28T14:00:00Z");
    cr_assert_eq(json_array_size(json_object_get(ev, "recent")), 3);
    cr_assert_str_eq(sf_str(json_array_get(json_object_get(ev, "recent"), 0), "candidate"), "c3");
    json_decref(r);
}

Test(store, risk_action_creates_draft_with_sections)
{
    json_t *r, *log, *e;
    srr_apply_stats st = sf_apply1(g_st, "c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(st.new_risks, 1);
    r = sf_risk(g_st, "SRR-1");
    cr_assert_str_eq(sf_str(r, "id"), "SRR-1");
    cr_assert_str_eq(sf_str(r, "status"), "draft");
    cr_assert_str_eq(sf_str(r, "urgency"), "medium");
    cr_assert_str_eq(sf_str(r, "service"), "worker");
    cr_assert_str_eq(sf_str(r, "rule"), "test-rule");
    cr_assert_str_eq(sf_str(r, "reason"), "because the test says so");
    cr_assert_str_eq(sf_str(r, "origin_candidate"), "c1");
    cr_assert_str_eq(sf_str(r, "created_at"), "2025-11-28T12:00:00Z");
    cr_assert(strstr(sf_str(r, "overview"), "growth > 10%/week") != NULL);
    cr_assert(strstr(sf_str(r, "overview"), "worker-rss") != NULL);
    cr_assert(strstr(sf_str(r, "overview"), "https://app.datadoghq.com") != NULL);
    cr_assert(json_is_null(json_object_get(r, "cause")));
    cr_assert(json_is_null(json_object_get(r, "countermeasure_policy")));
    cr_assert(json_is_null(json_object_get(r, "next_action")));
    cr_assert_eq(json_array_size(json_object_get(r, "countermeasure_log")), 0);
    log = json_object_get(r, "recognition_log");
    cr_assert_eq(json_array_size(log), 1);
    e = json_array_get(log, 0);
    cr_assert_str_eq(sf_str(e, "at"), "2025-11-28T12:00:00Z");
    cr_assert_str_eq(sf_str(e, "author"), "srr-writer");
    cr_assert(strncmp(sf_str(e, "text"), "Detected by srr sweep: growth", 29) == 0, "%s",
              sf_str(e, "text"));
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
    st = sf_apply1(g_st, "c1", "fpb", SRR_ACTION_BACKLOG, SRR_STATUS_FIRING, T0);
    cr_assert_eq(st.new_backlog, 1);
    st = sf_apply1(g_st, "c2", "fpi", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    cr_assert_eq(st.new_investigations, 1);
    st = sf_apply1(g_st, "c3", "fpx", SRR_ACTION_IGNORE, SRR_STATUS_FIRING, T0);
    cr_assert_eq(st.ignored, 1);

    cr_assert_eq(srr_store_backlog_get(g_st, "BL-1", &b, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(sf_str(b, "id"), "BL-1");
    cr_assert_str_eq(sf_str(b, "status"), "draft");
    cr_assert(strstr(sf_str(b, "description"), "worker-rss") != NULL);
    json_decref(b);

    cr_assert_eq(srr_store_investigations_list(g_st, NULL, &list, &err), SRR_OK);
    cr_assert_eq(json_array_size(list), 1);
    cr_assert_str_eq(sf_str(json_array_get(list, 0), "id"), "INV-1");
    cr_assert_str_eq(sf_str(json_array_get(list, 0), "deadline"), "2025-11-29T12:00:00Z");
    cr_assert_str_eq(sf_str(json_array_get(list, 0), "last_status"), "firing");
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
    st = sf_apply1(g_st, "c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_RECOVERED, T0);
    cr_assert_eq(st.new_risks, 0);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 0);
    /* A sweep's clear observation of a thing never seen firing is not kept
     * (its id is, so a redelivery is a duplicate). */
    cr_assert_eq(st.untracked, 1);
    cr_assert_eq(q("SELECT count(*) FROM sightings"), 0);
    cr_assert_eq(sf_apply1(g_st, "c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_RECOVERED, T0).duplicates,
                 1);
    /* Once the thing fired, its clear observations are. */
    sf_apply1(g_st, "c0", "fp1", SRR_ACTION_IGNORE, SRR_STATUS_FIRING, T0 - 60);
    st = sf_apply1(g_st, "c1b", "fp1", SRR_ACTION_RISK, SRR_STATUS_RECOVERED, T0 + 60);
    cr_assert_eq(st.untracked, 0);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 0);
    cr_assert_eq(q("SELECT count(*) FROM sightings WHERE status = 'recovered'"), 1);
    /* With an open investigation it is evidence and flips last_status. */
    sf_apply1(g_st, "c2", "fp2", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    st = sf_apply1(g_st, "c3", "fp2", SRR_ACTION_INVESTIGATE, SRR_STATUS_RECOVERED, T0 + 60);
    cr_assert_eq(st.evidence, 1);
    cr_assert_eq(q("SELECT count(*) FROM investigations WHERE last_status = 'recovered'"), 1);
    cr_assert_eq(q("SELECT occurrences FROM investigations"), 1);
    cr_assert_eq(q("SELECT count(*) FROM evidence WHERE record_kind = 'investigation'"), 2);
}

Test(store, regression_reopens_resolved_risk)
{
    srr_apply_stats st;
    json_t *r;
    sf_apply1(g_st, "c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(sf_exec_rw(g_db, "UPDATE risks SET status = 'resolved' WHERE id = 1"), SQLITE_OK);
    /* A recovered signal of a resolved risk does nothing. */
    st = sf_apply1(g_st, "c2", "fp1", SRR_ACTION_BACKLOG, SRR_STATUS_RECOVERED, T0 + 60);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 1);
    /* Firing again: a new draft linked to it, whatever the proposed action. */
    st = sf_apply1(g_st, "c3", "fp1", SRR_ACTION_BACKLOG, SRR_STATUS_FIRING, T0 + 120);
    cr_assert_eq(st.new_risks, 1);
    cr_assert_eq(q("SELECT count(*) FROM backlog"), 0);
    r = sf_risk(g_st, "SRR-2");
    cr_assert_str_eq(sf_str(r, "status"), "draft");
    cr_assert_str_eq(sf_str(r, "reopened_from"), "SRR-1");
    cr_assert(strstr(sf_str(r, "reason"), "Regression") != NULL);
    json_decref(r);
    /* And the next sighting is evidence on the new draft. */
    st = sf_apply1(g_st, "c4", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + 180);
    cr_assert_eq(st.evidence, 1);
    cr_assert_eq(q("SELECT occurrences FROM risks WHERE id = 2"), 2);
}

Test(store, merged_risk_routes_evidence_to_target)
{
    srr_apply_stats st;
    sf_apply1(g_st, "c1", "fpa", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    sf_apply1(g_st, "c2", "fpb", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(
        sf_exec_rw(g_db, "UPDATE risks SET status = 'merged', merged_into = 2 WHERE id = 1"),
        SQLITE_OK);
    st = sf_apply1(g_st, "c3", "fpa", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + 60);
    cr_assert_eq(st.evidence, 1);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 2);
    cr_assert_eq(q("SELECT occurrences FROM risks WHERE id = 2"), 2);
}

Test(store, deadline_promotes_when_still_firing)
{
    srr_apply_stats st = {0};
    srr_error err = {0};
    json_t *r, *log;
    sf_apply1(g_st, "c1", "fp1", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    sf_apply1(g_st, "c2", "fp1", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 3600);
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
    r = sf_risk(g_st, "SRR-1");
    cr_assert_str_eq(sf_str(r, "status"), "draft");
    log = json_object_get(r, "recognition_log");
    /* opened + 2 evidence entries + time-box ended */
    cr_assert_eq(json_array_size(log), 4, "%zu entries", json_array_size(log));
    cr_assert(strstr(sf_str(json_array_get(log, 0), "text"), "INV-1") != NULL);
    /* Why it became a risk is its reason; why it was investigated stays in
     * the log. */
    cr_assert(strstr(sf_str(r, "reason"), "The 1-day time-box (opened 2025-11-28) ended on "
                                          "2025-11-29 and nobody explained the thing: it was "
                                          "still firing at its last observation") != NULL,
              "%s", sf_str(r, "reason"));
    cr_assert(strstr(sf_str(json_array_get(log, 0), "text"), "because the test says so") != NULL);
    cr_assert(strstr(sf_str(json_array_get(log, 1), "text"), "growth 12.5%/week") != NULL);
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
    st = sf_apply1(g_st, "c3", "fp1", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0 + 90000);
    cr_assert_eq(st.evidence, 1);
    cr_assert_eq(q("SELECT count(*) FROM investigations"), 1);
}

Test(store, deadline_closes_when_recovered)
{
    srr_apply_stats st = {0};
    srr_error err = {0};
    sf_apply1(g_st, "c1", "fp1", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    sf_apply1(g_st, "c2", "fp1", SRR_ACTION_INVESTIGATE, SRR_STATUS_RECOVERED, T0 + 60);
    /* Clear since T0 + 60, but the window judged at the deadline decides. */
    cr_assert_eq(srr_store_check_deadlines(g_st, T0 + 2 * 86400, &st, &err), SRR_OK);
    cr_assert_eq(st.closed + st.promoted, 0);
    sf_apply1(g_st, "c2b", "fp1", SRR_ACTION_INVESTIGATE, SRR_STATUS_RECOVERED, T0 + 86400);
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
    sf_apply1(g_st, "good", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
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
    cr_assert_str_eq(sf_str(e, "origin"), "spool");
    cr_assert_str_eq(sf_str(e, "reason"), "not JSON");
    cr_assert_str_eq(sf_str(e, "payload"), "{oops");
    cr_assert(json_is_false(json_object_get(e, "truncated")));
    e = json_array_get(list, 1);
    cr_assert_eq(strlen(sf_str(e, "payload")), 64 * 1024);
    cr_assert_eq(json_integer_value(json_object_get(e, "payload_bytes")), (json_int_t)big);
    cr_assert(json_is_true(json_object_get(e, "truncated")));
    json_decref(list);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'quarantine'"), 2);
}

Test(store, audit_is_append_only)
{
    sf_apply1(g_st, "c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(q("SELECT count(*) FROM audit"), 1);
    cr_assert_neq(sf_exec_rw(g_db, "UPDATE audit SET actor = 'mallory'"), SQLITE_OK);
    cr_assert_neq(sf_exec_rw(g_db, "DELETE FROM audit"), SQLITE_OK);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE actor = 'srr-writer'"), 1);
    cr_assert_eq(sf_exec_rw(g_db, "INSERT INTO audit(at, actor, record_kind, action) "
                                  "VALUES (1, 'x', 'risk', 'note')"),
                 SQLITE_OK);
}

Test(store, reads_ids_and_ordering)
{
    srr_candidate c;
    srr_error err = {0};
    json_t *r = NULL, *list = NULL;
    sf_apply1(g_st, "c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    sf_candidate(&c, "c2", "fp2", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    c.urgency = SRR_URGENCY_CRITICAL;
    cr_assert_eq(srr_store_apply(g_st, &c, 1, T0, NULL, &err), SRR_OK);
    srr_candidate_clear(&c);
    sf_apply1(g_st, "c3", "fp3", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);

    cr_assert_eq(srr_store_risks_list(g_st, NULL, &list, &err), SRR_OK);
    cr_assert_eq(json_array_size(list), 3);
    cr_assert_str_eq(sf_str(json_array_get(list, 0), "id"), "SRR-2");
    cr_assert_str_eq(sf_str(json_array_get(list, 0), "urgency"), "critical");
    cr_assert_str_eq(sf_str(json_array_get(list, 1), "id"), "SRR-1");
    cr_assert_str_eq(sf_str(json_array_get(list, 2), "id"), "SRR-3");
    json_decref(list);
    cr_assert_eq(srr_store_risks_list(g_st, "open", &list, &err), SRR_OK);
    cr_assert_eq(json_array_size(list), 0);
    json_decref(list);

    r = sf_risk(g_st, "2");
    cr_assert_str_eq(sf_str(r, "id"), "SRR-2");
    json_decref(r);
    r = sf_risk(g_st, "srr-3");
    cr_assert_str_eq(sf_str(r, "id"), "SRR-3");
    json_decref(r);
    r = NULL;
    cr_assert_eq(srr_store_risk_get(g_st, "SRR-99", &r, &err), SRR_ENOTFOUND);
    cr_assert_null(r);
    cr_assert_eq(srr_store_risk_get(g_st, "BL-1", &r, &err), SRR_ENOTFOUND);
    cr_assert_eq(srr_store_risk_get(g_st, "SRR-", &r, &err), SRR_ENOTFOUND);
    cr_assert_eq(srr_store_backlog_get(g_st, "BL-1", &r, &err), SRR_ENOTFOUND);
    cr_assert(strstr(err.msg, "BL-1") != NULL, "%s", err.msg);
}
