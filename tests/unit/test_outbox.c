/* SPDX-License-Identifier: Apache-2.0
 *
 * test_outbox.c - the store's side of the outbox (store/outbox_store.h,
 * migration 4): every change to a record writes its outbox row in the same
 * transaction (writer, workflow, promotion, merge; nothing when the
 * transaction rolls back), one row per record (coalesced), the due list in
 * creation order, delivered / failed / parked / released, a parked record
 * due again when it changes or the sink's config does, the changes a sink
 * reads from the audit, the record as sinks see it, and the migration of an
 * existing store (its records get their rows from their history).
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "outbox_store.h"
#include "schema.h"
#include "store.h"
#include "store_fixtures.h"
#include "store_internal.h"
#include "testutil.h"
#include "workflow.h"

#define T0 1764331200
#define DAY 86400

SF_STORE_SUITE(outbox);

static long long q(const char *sql)
{
    return sf_query_int(g_db, sql);
}

static void apply(const char *id, const char *fp, srr_action a, int64_t at)
{
    sf_apply1(g_st, id, fp, a, SRR_STATUS_FIRING, at);
}

static srr_rc wf(const char *verb, const char *id, const char *actor, srr_wf_req *r)
{
    srr_error err = {0};
    r->actor = actor;
    r->now = T0 + DAY;
    return srr_wf_risk(g_st, verb, id, r, NULL, &err);
}

static size_t due(const char *sink, const char *tag, int64_t now, srr_outbox_entry **e)
{
    size_t n = 0;
    srr_error err = {0};
    cr_assert_eq(srr_outbox_due(g_st, sink, tag, now, 100, e, &n, &err), SRR_OK, "%s", err.msg);
    return n;
}

Test(outbox, every_change_writes_one_row_per_record_in_its_transaction)
{
    srr_wf_req r;
    long long seq1, seq2;
    apply("c1", "fp-a", SRR_ACTION_RISK, T0);
    apply("c2", "fp-b", SRR_ACTION_BACKLOG, T0);
    apply("c3", "fp-c", SRR_ACTION_INVESTIGATE, T0);
    cr_assert_eq(q("SELECT count(*) FROM outbox"), 3);
    cr_assert_eq(q("SELECT seq FROM outbox WHERE record_kind = 'risk' AND record_id = 1"),
                 q("SELECT max(id) FROM audit WHERE record_kind = 'risk' AND record_id = 1"));
    seq1 = q("SELECT seq FROM outbox WHERE record_kind = 'risk'");
    /* Evidence, a transition, a field, a log entry: still one row. */
    apply("c4", "fp-a", SRR_ACTION_RISK, T0 + 60);
    memset(&r, 0, sizeof(r));
    cr_assert_eq(wf("approve", "SRR-1", "alice", &r), SRR_OK);
    memset(&r, 0, sizeof(r));
    r.sets = (const char *const[]){"cause=a leak"};
    r.nsets = 1;
    cr_assert_eq(wf("set", "SRR-1", "alice", &r), SRR_OK);
    memset(&r, 0, sizeof(r));
    r.section = "countermeasure";
    r.text = "restarted the worker";
    cr_assert_eq(wf("log", "SRR-1", "bob", &r), SRR_OK);
    seq2 = q("SELECT seq FROM outbox WHERE record_kind = 'risk'");
    cr_assert_gt(seq2, seq1);
    cr_assert_eq(q("SELECT count(*) FROM outbox"), 3);
    cr_assert_eq(seq2, q("SELECT max(id) FROM audit"));
    cr_assert_eq(q("SELECT created_seq FROM outbox WHERE record_kind = 'risk'"),
                 q("SELECT min(id) FROM audit WHERE record_kind = 'risk'"));
    /* A refused change changes nothing, the outbox included. */
    memset(&r, 0, sizeof(r));
    cr_assert_eq(wf("approve", "SRR-1", "carol", &r), SRR_ECONFLICT);
    cr_assert_eq(q("SELECT seq FROM outbox WHERE record_kind = 'risk'"), seq2);
}

Test(outbox, a_rolled_back_batch_leaves_no_outbox_row)
{
    srr_candidate c;
    srr_error err = {0};
    sf_candidate(&c, "c1", "fp-a", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(srr_store_stream_begin(g_st, &err), SRR_OK);
    cr_assert_eq(srr_store_stream_add(g_st, &c, 1, T0, &err), SRR_OK, "%s", err.msg);
    srr_store_stream_abort(g_st);
    srr_candidate_clear(&c);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 0);
    cr_assert_eq(q("SELECT count(*) FROM outbox"), 0);
    /* Quarantine is audited too, but it is not a record. */
    cr_assert_eq(srr_store_quarantine(g_st, "test", "x", 1, "bad", T0, &err), SRR_OK);
    cr_assert_eq(q("SELECT count(*) FROM outbox"), 0);
}

Test(outbox, merge_and_promotion_reach_every_record_they_change)
{
    srr_wf_req r;
    srr_apply_stats st = {0};
    srr_error err = {0};
    apply("c1", "fp-a", SRR_ACTION_RISK, T0);
    apply("c2", "fp-b", SRR_ACTION_RISK, T0);
    cr_assert_eq(srr_outbox_done(g_st, "t", "risk", 2,
                                 q("SELECT seq FROM outbox WHERE record_id = 2"
                                   " AND record_kind = 'risk'"),
                                 "page-2", NULL, T0, &err),
                 SRR_OK);
    memset(&r, 0, sizeof(r));
    r.into = "SRR-2";
    cr_assert_eq(wf("merge", "SRR-1", "alice", &r), SRR_OK);
    /* The target changed too (evidence, logs, occurrences): due again. */
    cr_assert_gt(q("SELECT seq FROM outbox WHERE record_kind = 'risk' AND record_id = 2"),
                 q("SELECT delivered_seq FROM sync_state WHERE record_id = 2"));
    /* An investigation promoted at its deadline: both records. (A sweep's
     * thing not observed since is decided by its last observation, firing,
     * once the grace after the deadline has passed.) */
    apply("c3", "fp-c", SRR_ACTION_INVESTIGATE, T0);
    cr_assert_eq(srr_store_check_deadlines(g_st, T0 + DAY + SRR_TIMEBOX_GRACE_S, &st, &err), SRR_OK,
                 "%s", err.msg);
    cr_assert_eq(st.promoted, 1);
    cr_assert_eq(q("SELECT count(*) FROM outbox WHERE record_kind = 'risk'"), 3);
    cr_assert_eq(q("SELECT seq FROM outbox WHERE record_kind = 'investigation'"),
                 q("SELECT max(id) FROM audit WHERE record_kind = 'investigation'"));
}

Test(outbox, due_delivered_failed_parked_released)
{
    srr_outbox_entry *e = NULL;
    srr_error err = {0};
    srr_wf_req r;
    size_t n, released = 0;
    apply("c1", "fp-a", SRR_ACTION_RISK, T0);
    apply("c2", "fp-b", SRR_ACTION_RISK, T0);
    apply("c3", "fp-c", SRR_ACTION_RISK, T0);
    n = due("notion", "tag1", T0, &e);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(e[0].hid, "SRR-1");
    cr_assert_str_eq(e[2].hid, "SRR-3");
    cr_assert_null(e[0].remote_id);
    /* SRR-1 delivered, SRR-2 waits for a retry, SRR-3 parked. */
    cr_assert_eq(srr_outbox_begin_create(g_st, "notion", "risk", 1, T0, &err), SRR_OK);
    cr_assert_eq(
        srr_outbox_done(g_st, "notion", "risk", 1, e[0].seq, "page-1", "{\"a\":1}", T0, &err),
        SRR_OK);
    cr_assert_eq(srr_outbox_fail(g_st, "notion", "risk", 2, T0 + 30, "HTTP 503", T0, &err), SRR_OK);
    cr_assert_eq(
        srr_outbox_park(g_st, "notion", "risk", 3, e[2].seq, "tag1", "HTTP 400 bad", T0, &err),
        SRR_OK);
    srr_outbox_entries_free(e, n);
    cr_assert_eq(due("notion", "tag1", T0, &e), 0);
    srr_outbox_entries_free(e, 0);
    /* Another sink has its own progress. */
    n = due("sheets", "x", T0, &e);
    cr_assert_eq(n, 3);
    srr_outbox_entries_free(e, n);
    /* The retry time comes. */
    n = due("notion", "tag1", T0 + 30, &e);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(e[0].hid, "SRR-2");
    cr_assert_eq(e[0].attempts, 1);
    srr_outbox_entries_free(e, n);
    /* The config is fixed: the parked record is due again. */
    n = due("notion", "tag2", T0, &e);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(e[0].hid, "SRR-3");
    cr_assert(e[0].was_parked);
    srr_outbox_entries_free(e, n);
    /* ... or it changes ... */
    memset(&r, 0, sizeof(r));
    cr_assert_eq(wf("approve", "SRR-3", "alice", &r), SRR_OK);
    n = due("notion", "tag1", T0, &e);
    cr_assert_eq(n, 1);
    srr_outbox_entries_free(e, n);
    /* ... or someone releases it. */
    cr_assert_eq(srr_outbox_release(g_st, NULL, NULL, 0, &released, &err), SRR_OK);
    cr_assert_eq(released, 2);
    n = due("notion", "tag1", T0, &e);
    cr_assert_eq(n, 2);
    srr_outbox_entries_free(e, n);
    /* SRR-1 changes: due, with its remote id and memory. */
    {
        srr_outbox_entry one;
        memset(&r, 0, sizeof(r));
        cr_assert_eq(wf("approve", "SRR-1", "alice", &r), SRR_OK);
        cr_assert_eq(srr_outbox_get(g_st, "notion", "risk", 1, &one, &err), SRR_OK);
        cr_assert_str_eq(one.remote_id, "page-1");
        cr_assert_str_eq(one.state, "{\"a\":1}");
        cr_assert_eq(one.creating, 0);
        cr_assert_gt(one.seq, one.delivered_seq);
        srr_outbox_entry_clear(&one);
        cr_assert_eq(srr_outbox_find_remote(g_st, "notion", "page-1", &one, &err), SRR_OK);
        cr_assert_str_eq(one.hid, "SRR-1");
        srr_outbox_entry_clear(&one);
        cr_assert_eq(srr_outbox_find_remote(g_st, "notion", "nope", &one, &err), SRR_ENOTFOUND);
    }
}

Test(outbox, status_lists_pending_waiting_and_parked_with_reasons)
{
    const char *sinks[] = {"notion"};
    json_t *st = NULL, *one;
    srr_error err = {0};
    apply("c1", "fp-a", SRR_ACTION_RISK, T0);
    apply("c2", "fp-b", SRR_ACTION_RISK, T0);
    apply("c3", "fp-c", SRR_ACTION_RISK, T0);
    cr_assert_eq(srr_outbox_done(g_st, "notion", "risk", 1, 999999, "p1", NULL, T0, &err), SRR_OK);
    cr_assert_eq(srr_outbox_fail(g_st, "notion", "risk", 2, T0 + 60, "HTTP 503", T0, &err), SRR_OK);
    cr_assert_eq(srr_outbox_park(g_st, "notion", "risk", 3, 5, "t", "HTTP 400 too long", T0, &err),
                 SRR_OK);
    cr_assert_eq(srr_outbox_status(g_st, sinks, 1, T0, &st, &err), SRR_OK);
    one = json_array_get(json_object_get(st, "sinks"), 0);
    cr_assert_eq(json_integer_value(json_object_get(st, "records")), 3);
    cr_assert_eq(json_integer_value(json_object_get(one, "delivered")), 1);
    cr_assert_eq(json_integer_value(json_object_get(one, "pending")), 1);
    cr_assert_eq(json_array_size(json_object_get(one, "waiting")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(one, "parked"), 0), "reason")),
                     "HTTP 400 too long");
    json_decref(st);
}

Test(outbox, changes_record_view_and_local_change)
{
    json_t *ch = NULL, *rec = NULL;
    srr_wf_req r;
    srr_error err = {0};
    int64_t at = 0;
    char *actor = NULL;
    apply("c1", "fp-a", SRR_ACTION_RISK, T0);
    apply("c2", "fp-a", SRR_ACTION_RISK, T0 + 3600);
    memset(&r, 0, sizeof(r));
    r.sets = (const char *const[]){"cause=a leak", "backlog=https://t.example/1"};
    r.nsets = 2;
    cr_assert_eq(wf("set", "SRR-1", "alice", &r), SRR_OK);
    cr_assert_eq(srr_outbox_changes(g_st, "risk", 1, 0, 1000, &ch, &err), SRR_OK);
    cr_assert_eq(json_array_size(ch), 3);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ch, 0), "action")), "create");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ch, 1), "action")),
                     "evidence");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ch, 2), "actor")), "alice");
    cr_assert_eq(srr_outbox_local_change(g_st, "risk", 1, 0, "cause", &at, &actor, &err), SRR_OK);
    cr_assert_eq(at, T0 + DAY);
    cr_assert_str_eq(actor, "alice");
    free(actor);
    cr_assert_eq(srr_outbox_local_change(g_st, "risk", 1, 0, "assignee", &at, NULL, &err), SRR_OK);
    cr_assert_eq(at, 0);
    cr_assert_eq(srr_outbox_record(g_st, "risk", 1, 8, &rec, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(json_string_value(json_object_get(rec, "id")), "SRR-1");
    cr_assert_str_eq(json_string_value(json_object_get(rec, "cause")), "a leak");
    cr_assert_str_eq(json_string_value(json_object_get(rec, "backlog_url")), "https://t.example/1");
    cr_assert_str_eq(json_string_value(json_object_get(rec, "urgency")), "medium");
    cr_assert_eq(json_integer_value(json_object_get(rec, "occurrences")), 2);
    cr_assert_eq(json_array_size(json_object_get(rec, "recognition_log")), 1);
    cr_assert_eq(json_array_size(json_object_get(rec, "weeks")), 1);
    cr_assert_eq(json_integer_value(
                     json_object_get(json_array_get(json_object_get(rec, "weeks"), 0), "count")),
                 2);
    cr_assert_eq(json_array_size(json_object_get(rec, "links")), 1);
    json_decref(rec);
    json_decref(ch);
    cr_assert_eq(srr_outbox_record(g_st, "risk", 99, 8, &rec, &err), SRR_ENOTFOUND);
}

/* A store made before migration 4 gets outbox rows from its audit. */
Test(outbox_migration, existing_records_get_their_rows)
{
    char *dir = tu_mkdtemp(), *db = srr_asprintf("%s/old.db", dir);
    sqlite3 *h = NULL;
    srr_store *st = NULL;
    srr_error err = {0};
    int i;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    for (i = 0; i < 3; i++)
        cr_assert_eq(sqlite3_exec(h, SRR_MIGRATIONS[i], NULL, NULL, NULL), SQLITE_OK);
    cr_assert_eq(
        sqlite3_exec(h,
                     "PRAGMA user_version = 3;"
                     "INSERT INTO risks(title, fingerprint, created_at, updated_at)"
                     " VALUES ('t', 'fp', 1, 1);"
                     "INSERT INTO audit(at, actor, record_kind, record_id, action)"
                     " VALUES (1, 'w', 'risk', 1, 'create'), (2, 'a', 'risk', 1, 'approve'),"
                     " (3, 'w', 'quarantine', 1, 'quarantine');",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(h);
    cr_assert_eq(srr_store_open(db, &st, &err), SRR_OK, "%s", err.msg);
    srr_store_close(&st);
    cr_assert_eq(sf_query_int(db, "SELECT count(*) FROM outbox"), 1);
    cr_assert_eq(sf_query_int(db, "SELECT seq FROM outbox"), 2);
    cr_assert_eq(sf_query_int(db, "SELECT created_seq FROM outbox"), 1);
    tu_rmdir_r(dir);
    free(dir);
    free(db);
}
