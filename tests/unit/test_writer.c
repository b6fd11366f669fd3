/* SPDX-License-Identifier: Apache-2.0
 *
 * test_writer.c - unit tests of the writer: a drain of good candidates
 * mixed with poison (unparseable, unknown schema, corrupt spool bytes)
 * stores each good one once and quarantines the rest with a reason; a
 * second drain changes nothing; a crash between the store commit and the
 * queue commit (redelivery) stores nothing twice; deadlines are checked
 * after a drain; the stop flag is honoured; big batches (parsed by a
 * second thread while they are applied) store exactly what small ones do,
 * with and without poison among them.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue.h"
#include "store.h"
#include "store_fixtures.h"
#include "testutil.h"
#include "writer.h"

#define T0 1764331200

static char *g_dir, *g_spool, *g_db;
static srr_config *g_cfg;
static srr_store *g_st;

static void setup(void)
{
    srr_error err = {0};
    g_dir = tu_mkdtemp();
    g_spool = srr_asprintf("%s/spool", g_dir);
    g_db = srr_asprintf("%s/srr.db", g_dir);
    g_cfg = sf_config(g_spool);
    cr_assert_eq(srr_store_open(g_db, &g_st, &err), SRR_OK, "%s", err.msg);
    setenv("SRR_NOW", "1764331200", 1);
}

static void teardown(void)
{
    srr_store_close(&g_st);
    sf_config_free(g_cfg);
    tu_rmdir_r(g_dir);
    free(g_spool);
    free(g_db);
    free(g_dir);
}

TestSuite(writer, .init = setup, .fini = teardown);

static void send_raw(srr_producer *p, const char *key, const char *payload)
{
    srr_error err = {0};
    cr_assert_eq(srr_producer_send(p, key, payload, strlen(payload), &err), SRR_OK, "%s", err.msg);
}

static void send_cand(srr_producer *p, const char *id, const char *fp, srr_action a, srr_status s,
                      int64_t at)
{
    char *json = sf_candidate_json(id, fp, a, s, at);
    send_raw(p, fp, json);
    free(json);
}

/* Drains the queue of cfg into st in batches of `batch`. */
static srr_apply_stats drain_into(srr_config *cfg, srr_store *store, size_t batch)
{
    srr_consumer *c = NULL;
    srr_writer_opts o = {0};
    srr_apply_stats st = {0};
    srr_error err = {0};
    o.once = 1;
    o.batch_size = batch;
    cr_assert_eq(srr_consumer_open(cfg, &c, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_writer_drain(c, store, &o, &st, &err), SRR_OK, "%s", err.msg);
    srr_consumer_close(&c);
    return st;
}

static srr_apply_stats drain(void)
{
    return drain_into(g_cfg, g_st, 3); /* several batches */
}

static long long q(const char *sql)
{
    return sf_query_int(g_db, sql);
}

/* Queues 4 good candidates and 3 kinds of poison. */
static void queue_mix(void)
{
    srr_producer *p = NULL;
    srr_error err = {0};
    char *seg;
    int fd;
    cr_assert_eq(srr_producer_open(g_cfg, &p, &err), SRR_OK, "%s", err.msg);
    send_cand(p, "c1", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    send_raw(p, "fpz", "{not json");
    send_cand(p, "c2", "fp2", SRR_ACTION_BACKLOG, SRR_STATUS_FIRING, T0);
    send_raw(p, "fpz", "{\"schema\":\"srr.candidate/99\",\"id\":\"x\"}");
    send_cand(p, "c3", "fp1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + 60);
    cr_assert_eq(srr_producer_flush(p, &err), SRR_OK);
    srr_producer_close(&p);
    /* Garbage bytes between records, as a torn disk write would leave. */
    seg = srr_asprintf("%s/00000000000000000000.seg", g_spool);
    fd = open(seg, O_WRONLY | O_APPEND);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "garbage!", 8), 8);
    close(fd);
    free(seg);
    cr_assert_eq(srr_producer_open(g_cfg, &p, &err), SRR_OK, "%s", err.msg);
    send_cand(p, "c4", "fp4", SRR_ACTION_INVESTIGATE, SRR_STATUS_FIRING, T0);
    srr_producer_close(&p);
}

Test(writer, drains_good_and_quarantines_poison)
{
    srr_apply_stats st;
    json_t *list = NULL;
    srr_error err = {0};
    size_t i;
    int saw_json = 0, saw_schema = 0, saw_corrupt = 0;
    queue_mix();
    st = drain();
    cr_assert_eq(st.new_risks, 1);
    cr_assert_eq(st.new_backlog, 1);
    cr_assert_eq(st.new_investigations, 1);
    cr_assert_eq(st.evidence, 1);
    cr_assert_eq(st.quarantined, 3);
    cr_assert_eq(q("SELECT count(*) FROM candidates"), 4);
    cr_assert_eq(srr_store_quarantine_list(g_st, &list, &err), SRR_OK);
    cr_assert_eq(json_array_size(list), 3);
    for (i = 0; i < json_array_size(list); i++) {
        const json_t *e = json_array_get(list, i);
        const char *reason = json_string_value(json_object_get(e, "reason"));
        const char *payload = json_string_value(json_object_get(e, "payload"));
        cr_assert_str_eq(json_string_value(json_object_get(e, "origin")), "spool");
        if (strstr(reason, "not JSON")) {
            saw_json = 1;
            cr_assert_str_eq(payload, "{not json");
        }
        if (strstr(reason, "schema"))
            saw_schema = 1;
        if (strstr(reason, "corrupt spool record")) {
            saw_corrupt = 1;
            cr_assert_str_eq(payload, "garbage!");
        }
    }
    cr_assert(saw_json && saw_schema && saw_corrupt);
    json_decref(list);
}

Test(writer, second_drain_changes_nothing)
{
    srr_apply_stats st;
    queue_mix();
    drain();
    st = drain();
    cr_assert_eq(st.received, 0);
    cr_assert_eq(st.quarantined, 0);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 1);
    cr_assert_eq(q("SELECT count(*) FROM quarantine"), 3);
    cr_assert_eq(q("SELECT count(*) FROM sightings"), 4);
}

Test(writer, redelivery_after_crash_stores_nothing_twice)
{
    srr_consumer *c = NULL;
    const srr_message *m = NULL;
    srr_apply_stats st = {0};
    srr_error err = {0};
    size_t n = 0, i, nc = 0;
    srr_candidate cands[16];
    char *off;
    queue_mix();

    /* Crash 1: the batch was applied to the store, the process died before
     * the queue commit. */
    cr_assert_eq(srr_consumer_open(g_cfg, &c, &err), SRR_OK);
    cr_assert_eq(srr_consumer_poll(c, 16, 0, &m, &n, &err), SRR_OK);
    cr_assert_eq(n, 7, "got %zu", n);
    for (i = 0; i < n; i++)
        if (!m[i].corrupt_reason &&
            srr_candidate_parse(m[i].payload, m[i].len, &cands[nc], NULL) == SRR_OK)
            nc++;
    cr_assert_eq(nc, 4);
    cr_assert_eq(srr_store_apply(g_st, cands, nc, T0, NULL, &err), SRR_OK, "%s", err.msg);
    for (i = 0; i < nc; i++)
        srr_candidate_clear(&cands[i]);
    srr_consumer_close(&c); /* no commit */

    st = drain();
    cr_assert_eq(st.duplicates, 4);
    cr_assert_eq(st.new_risks + st.new_backlog + st.new_investigations + st.evidence, 0);
    cr_assert_eq(st.quarantined, 3);

    /* Crash 2: everything committed in SQLite, the queue offset lost. */
    off = srr_asprintf("%s/consumer.offset", g_spool);
    cr_assert_eq(unlink(off), 0);
    free(off);
    st = drain();
    cr_assert_eq(st.duplicates, 4);
    cr_assert_eq(st.quarantined, 0);
    cr_assert_eq(q("SELECT count(*) FROM quarantine"), 3);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 1);
    cr_assert_eq(q("SELECT count(*) FROM evidence"), 4);
    cr_assert_eq(q("SELECT count(*) FROM sightings"), 4);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'quarantine'"), 3);
}

Test(writer, checks_deadlines_after_draining)
{
    srr_apply_stats st;
    queue_mix();
    st = drain();
    cr_assert_eq(st.promoted, 0);
    /* T0 + 2 days: past the 1-day time-box, but a sweep's thing is judged
     * by its first observation at or after the deadline, and there is none
     * yet: it waits. */
    setenv("SRR_NOW", "1764504000", 1);
    st = drain();
    cr_assert_eq(st.promoted + st.closed, 0);
    /* Not observed for the grace period (its check stopped): its last
     * observation, firing, decides. */
    setenv("SRR_NOW", "1766923200", 1); /* T0 + 30 days */
    st = drain();
    cr_assert_eq(st.promoted, 1);
    cr_assert_eq(q("SELECT count(*) FROM risks"), 2);
    cr_assert_eq(q("SELECT count(*) FROM investigations WHERE status = 'promoted'"), 1);
}

Test(writer, stop_flag_is_honoured)
{
    srr_consumer *c = NULL;
    volatile sig_atomic_t stop = 1;
    srr_writer_opts o = {0};
    srr_apply_stats st = {0};
    srr_error err = {0};
    queue_mix();
    o.stop = &stop; /* not once: would otherwise run forever */
    cr_assert_eq(srr_consumer_open(g_cfg, &c, &err), SRR_OK);
    cr_assert_eq(srr_writer_drain(c, g_st, &o, &st, &err), SRR_OK);
    cr_assert_eq(st.received, 0);
    srr_consumer_close(&c);
    cr_assert_eq(q("SELECT count(*) FROM candidates"), 0);
}

/* The text of a whole query (rows joined by newlines, columns by '|'), to
 * compare two stores. Caller frees. */
static char *dump(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *s = NULL;
    srr_buf b;
    srr_buf_init(&b, 0);
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
    while (sqlite3_step(s) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(s); i++) {
            const char *t = (const char *)sqlite3_column_text(s, i);
            srr_buf_printf(&b, "%s%s", i ? "|" : "", t ? t : "NULL");
        }
        srr_buf_append(&b, "\n", 1);
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
    return srr_buf_steal(&b);
}

/* Queues `n` candidates (ids prefix0000...) over 7 fingerprints (new records, then evidence,
 * recovered signals among them) and, with `poison`, two bad messages in
 * the middle. */
static void queue_many(srr_config *cfg, const char *prefix, int n, int poison)
{
    srr_producer *p = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_producer_open(cfg, &p, &err), SRR_OK, "%s", err.msg);
    for (int i = 0; i < n; i++) {
        char id[32], fp[16];
        snprintf(id, sizeof id, "%s%04d", prefix, i);
        snprintf(fp, sizeof fp, "fp%d", i % 7);
        send_cand(p, id, fp, i % 3 ? SRR_ACTION_RISK : SRR_ACTION_INVESTIGATE,
                  i % 5 == 4 ? SRR_STATUS_RECOVERED : SRR_STATUS_FIRING, T0 + i);
        if (poison && (i == n / 3 || i == n / 2))
            send_raw(p, "fpz", i == n / 3 ? "{not json" : "{\"schema\":\"srr.candidate/9\"}");
    }
    cr_assert_eq(srr_producer_flush(p, &err), SRR_OK, "%s", err.msg);
    srr_producer_close(&p);
}

/* Big batches take the parse pipeline (writer.c); small ones do not. Both
 * must leave the same store, row for row. With poison in a big batch the
 * pipeline gives way to the usual path: same counts, poison kept once. */
Test(writer, big_batches_store_what_small_ones_do)
{
    char *spool2 = srr_asprintf("%s/spool2", g_dir), *db2 = srr_asprintf("%s/small.db", g_dir);
    static const char *const tables[] = {
        "SELECT id, fingerprint, action, outcome FROM candidates ORDER BY id",
        "SELECT id, fingerprint, candidate_id, at, status, value, decision FROM sightings "
        "ORDER BY id",
        "SELECT id, record_kind, record_id, candidate_id, observed_at, status, evidence FROM "
        "evidence ORDER BY id",
        "SELECT id, record_kind, record_id, action, after, why FROM audit ORDER BY id",
        "SELECT id, status, occurrences, first_seen, last_seen FROM risks ORDER BY id",
        "SELECT id, status, occurrences, last_status FROM investigations ORDER BY id"};
    srr_config *cfg2 = sf_config(spool2);
    srr_store *st2 = NULL;
    srr_error err = {0};
    srr_apply_stats big, small;
    cr_assert_eq(srr_store_open(db2, &st2, &err), SRR_OK, "%s", err.msg);
    queue_many(g_cfg, "m", 700, 0);
    queue_many(cfg2, "m", 700, 0);
    big = drain_into(g_cfg, g_st, 500);
    small = drain_into(cfg2, st2, 3);
    cr_assert_eq(big.received, 700);
    cr_assert_eq(memcmp(&big, &small, sizeof big), 0);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char *a = dump(g_db, tables[i]), *b = dump(db2, tables[i]);
        cr_assert_str_eq(a, b, "%s", tables[i]);
        free(a);
        free(b);
    }
    /* a second round with poison inside the big batch */
    queue_many(g_cfg, "p", 300, 1);
    big = drain_into(g_cfg, g_st, 500);
    cr_assert_eq(big.received, 300);
    cr_assert_eq(big.duplicates, 0);
    cr_assert_eq(big.evidence + big.ignored, 300);
    cr_assert_eq(big.quarantined, 2);
    cr_assert_eq(q("SELECT count(*) FROM quarantine"), 2);
    cr_assert_eq(q("SELECT count(*) FROM candidates"), 1000);
    cr_assert_eq(drain_into(g_cfg, g_st, 500).received, 0);
    srr_store_close(&st2);
    sf_config_free(cfg2);
    free(spool2);
    free(db2);
}
