/* SPDX-License-Identifier: Apache-2.0
 *
 * store.c - the SQLite system of record (store.h): opens the database in
 * WAL mode, applies the migrations of schema.h, prepares every statement
 * once, runs the batch transaction of the writer (each candidate applied
 * by things.c, poison messages quarantined), and the JSON reads the CLI
 * prints. What an observation does to its thing and its records lives in
 * things.c and records.c (store_priv.h says who calls whom).
 */
#include <errno.h>
#include <stdint.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonw.h"
#include "log.h"
#include "rules.h"
#include "store_priv.h"
#include "wf_sql.h"

#define SRR_QUARANTINE_MAX_PAYLOAD (64 * 1024)
#define SRR_EVIDENCE_RECENT 10

/* ---- open / close / migrations ---------------------------------------- */

static srr_rc exec_sql(srr_store *st, const char *sql, srr_error *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        srr_rc r = srr_error_set(err, srr_st_rc(rc), "store: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return r;
    }
    return SRR_OK;
}

static int read_user_version(srr_store *st)
{
    sqlite3_stmt *s = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Applies pending migrations in one IMMEDIATE transaction, reading the
 * version inside it so two processes opening a new file at once do not
 * both migrate. */
static srr_rc migrate(srr_store *st, const char *path, srr_error *err)
{
    srr_rc rc;
    int v;
    rc = exec_sql(st, "BEGIN IMMEDIATE", err);
    if (rc != SRR_OK)
        return rc;
    v = read_user_version(st);
    if (v < 0) {
        rc = srr_error_set(err, SRR_EIO, "store: %s: cannot read the schema version: %s", path,
                           sqlite3_errmsg(st->db));
        goto fail;
    }
    if (v > SRR_SCHEMA_VERSION) {
        rc = srr_error_set(err, SRR_EINVAL,
                           "store: %s has schema version %d, newer than this srr knows (%d); "
                           "upgrade srr",
                           path, v, SRR_SCHEMA_VERSION);
        goto fail;
    }
    for (; v < SRR_SCHEMA_VERSION; v++) {
        char *set;
        rc = exec_sql(st, SRR_MIGRATIONS[v], err);
        if (rc != SRR_OK) {
            srr_error_prefix(err, "migration %d", v + 1);
            goto fail;
        }
        set = srr_asprintf("PRAGMA user_version = %d", v + 1);
        rc = exec_sql(st, set, err);
        free(set);
        if (rc != SRR_OK)
            goto fail;
        srr_info("store: %s migrated to schema version %d", path, v + 1);
    }
    return exec_sql(st, "COMMIT", err);
fail:
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

srr_rc srr_store_open(const char *path, srr_store **out, srr_error *err)
{
    srr_store *st;
    srr_rc rc;
    int i, r;
    *out = NULL;
    if (!path || !*path)
        return srr_error_set(err, SRR_EINVAL, "store: no database path configured");
    /* A store that exists keeps its owner (SQLite gives its -wal and -shm
     * the database's owner even when root opens it); one root would create
     * in the service user's directory would not. */
    if (access(path, F_OK) != 0 && (rc = srr_state_check_owner(path, "the store", err)) != SRR_OK)
        return rc;
    st = srr_calloc(1, sizeof(*st));
    r = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (r != SQLITE_OK) {
        rc = srr_error_set(err, SRR_EIO, "store: cannot open %s: %s", path,
                           st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(r));
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, 5000);
    /* WAL: readers (CLI, review page) never block the writer.
     * synchronous=FULL: every COMMIT fsyncs the WAL before it returns. The
     * writer commits the queue position (fsync'ed) right after the store's
     * COMMIT, so with NORMAL a power cut could keep the moved position and
     * lose the batch it covered. FULL costs one fsync per batch, not per
     * candidate, which the batching makes cheap. */
    rc = exec_sql(st,
                  "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                  " PRAGMA foreign_keys = ON;",
                  err);
    if (rc != SRR_OK) {
        srr_error_prefix(err, "%s", path);
        rc = rc == SRR_RETRY ? rc : SRR_EIO;
        if (err)
            err->code = rc;
        goto fail;
    }
    rc = migrate(st, path, err);
    if (rc != SRR_OK)
        goto fail;
    for (i = 0; i < Q__COUNT; i++) {
        r = sqlite3_prepare_v3(st->db, SRR_STMT_SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &st->q[i],
                               NULL);
        if (r != SQLITE_OK) {
            rc = srr_error_set(err, SRR_ERR, "store: cannot prepare statement %d: %s", i,
                               sqlite3_errmsg(st->db));
            goto fail;
        }
    }
    *out = st;
    return SRR_OK;
fail:
    srr_store_close(&st);
    return rc;
}

void srr_store_close(srr_store **pst)
{
    srr_store *st;
    int i;
    if (!pst || !*pst)
        return;
    st = *pst;
    for (i = 0; i < Q__COUNT; i++)
        sqlite3_finalize(st->q[i]);
    if (st->db && sqlite3_close(st->db) != SQLITE_OK)
        srr_warn("store: close: %s", sqlite3_errmsg(st->db));
    srr_buf_free(&st->text);
    free(st->pos_key);
    free(st->pos);
    srr_strset_clear(&st->things);
    srr_strset_clear(&st->things_pending);
    free(st);
    *pst = NULL;
}

void srr_store_set_rules(srr_store *st, const srr_ruleset *rs)
{
    if (st)
        st->rules = rs;
}

int srr_store_schema_version(srr_store *st)
{
    return read_user_version(st);
}
static srr_rc quarantine_one(srr_store *st, const srr_store_poison *p, int64_t now,
                             srr_apply_stats *stats, srr_error *err)
{
    size_t keep = p->len > SRR_QUARANTINE_MAX_PAYLOAD ? SRR_QUARANTINE_MAX_PAYLOAD : p->len;
    json_t *after;
    srr_rc rc = ST_EXEC(st, Q_QUAR_INSERT, err, "ittbit", now, p->origin ? p->origin : "unknown",
                        p->reason ? p->reason : "unknown reason", (const void *)p->payload, keep,
                        (int64_t)p->len, p->dedup_key);
    if (rc != SRR_OK || sqlite3_changes(st->db) == 0)
        return rc; /* a redelivered poison message already kept */
    stats->quarantined++;
    after = json_pack("{s:s, s:s, s:I}", "origin", p->origin ? p->origin : "unknown", "reason",
                      p->reason ? p->reason : "unknown reason", "bytes", (json_int_t)p->len);
    rc = srr_st_audit(st, now, "quarantine", sqlite3_last_insert_rowid(st->db), "quarantine", NULL,
                      after, p->reason, err);
    json_decref(after);
    return rc;
}

/* Applies candidates inside the open transaction; the error names the
 * candidate that failed. */
static srr_rc apply_many(srr_store *st, const srr_candidate *c, size_t n, int64_t now,
                         srr_apply_stats *local, srr_error *err)
{
    srr_rc rc = SRR_OK;
    size_t i;
    for (i = 0; i < n && rc == SRR_OK; i++) {
        rc = srr_things_apply(st, &c[i], now, local, err);
        if (rc != SRR_OK)
            srr_error_prefix(err, "candidate %s", c[i].id[0] ? c[i].id : "(no id)");
    }
    return rc;
}

srr_rc srr_store_apply_batch(srr_store *st, const srr_candidate *c, size_t n,
                             const srr_store_poison *poison, size_t npoison, int64_t now,
                             srr_apply_stats *stats, srr_error *err)
{
    srr_apply_stats local = {0};
    srr_rc rc;
    size_t i;
    if (n == 0 && npoison == 0)
        return SRR_OK;
    rc = srr_st_begin(st, err);
    if (rc != SRR_OK)
        return rc;
    for (i = 0; i < npoison && rc == SRR_OK; i++)
        rc = quarantine_one(st, &poison[i], now, &local, err);
    if (rc == SRR_OK)
        rc = apply_many(st, c, n, now, &local, err);
    if (rc == SRR_OK)
        rc = srr_st_commit(st, err);
    if (rc != SRR_OK) {
        srr_st_rollback(st);
        return rc;
    }
    srr_st_stats_add(stats, &local);
    return SRR_OK;
}

srr_rc srr_store_stream_begin(srr_store *st, srr_error *err)
{
    memset(&st->stream, 0, sizeof(st->stream));
    return srr_st_begin(st, err);
}

srr_rc srr_store_stream_add(srr_store *st, const srr_candidate *c, size_t n, int64_t now,
                            srr_error *err)
{
    return apply_many(st, c, n, now, &st->stream, err);
}

srr_rc srr_store_stream_commit(srr_store *st, srr_apply_stats *stats, srr_error *err)
{
    srr_rc rc = srr_st_commit(st, err);
    if (rc != SRR_OK) {
        srr_st_rollback(st);
        return rc;
    }
    srr_st_stats_add(stats, &st->stream);
    return SRR_OK;
}

void srr_store_stream_abort(srr_store *st)
{
    srr_st_rollback(st);
}

srr_rc srr_store_apply(srr_store *st, const srr_candidate *c, size_t n, int64_t now,
                       srr_apply_stats *stats, srr_error *err)
{
    return srr_store_apply_batch(st, c, n, NULL, 0, now, stats, err);
}

srr_rc srr_store_quarantine(srr_store *st, const char *origin, const char *payload, size_t len,
                            const char *reason, int64_t now, srr_error *err)
{
    srr_store_poison p = {origin, payload, len, reason, NULL};
    return srr_store_apply_batch(st, NULL, 0, &p, 1, now, NULL, err);
}

/* ---- closing windows ------------------------------------------------------ */

/* Closes one window: its investigations judged at its end, then its
 * budget (budget.c), each in its own transaction. */
static srr_rc close_one(srr_store *st, int64_t w, srr_apply_stats *stats, srr_error *err)
{
    srr_apply_stats local = {0};
    srr_rc rc = srr_store_check_deadlines(st, w, stats, err);
    if (rc != SRR_OK)
        return rc;
    rc = srr_st_begin(st, err);
    if (rc == SRR_OK)
        rc = srr_budget_close(st, w, srr_now(), &local, err);
    if (rc == SRR_OK)
        rc = srr_st_commit(st, err);
    if (rc != SRR_OK) {
        srr_st_rollback(st);
        return rc;
    }
    srr_st_stats_add(stats, &local);
    return SRR_OK;
}

/* The windows ending at or before `upto` that have drafts waiting, were
 * never closed, and saw no candidate since `quiet_since`. */
static srr_rc unclosed(srr_store *st, int64_t upto, int64_t quiet_since, int64_t **out, size_t *n,
                       srr_error *err)
{
    size_t cap = 0;
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_st_prep(st, Q_PENDING_WINDOWS, err, "ii", upto, quiet_since);
    *out = NULL;
    *n = 0;
    while (s && srr_st_next(st, s, &rc, err) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = srr_realloc(*out, cap * sizeof **out);
        }
        (*out)[(*n)++] = sqlite3_column_int64(s, 0);
    }
    return s ? rc : err ? err->code : SRR_ERR;
}

srr_rc srr_store_close_window(srr_store *st, int64_t window_end, srr_apply_stats *stats,
                              srr_error *err)
{
    int64_t *w = NULL;
    size_t n = 0;
    /* An earlier window never closed (its sweep stopped short) goes first. */
    srr_rc rc = unclosed(st, window_end - 1, INT64_MAX, &w, &n, err);
    for (size_t i = 0; i < n && rc == SRR_OK; i++)
        rc = close_one(st, w[i], stats, err);
    free(w);
    return rc == SRR_OK ? close_one(st, window_end, stats, err) : rc;
}

srr_rc srr_store_close_waiting(srr_store *st, int64_t now, int64_t quiet_s, srr_apply_stats *stats,
                               srr_error *err)
{
    int64_t *w = NULL;
    size_t n = 0;
    srr_rc rc = unclosed(st, now, now - quiet_s, &w, &n, err);
    for (size_t i = 0; i < n && rc == SRR_OK; i++)
        rc = close_one(st, w[i], stats, err);
    free(w);
    return rc;
}

/* ---- reads ------------------------------------------------------------- */

static srr_rc list_query(srr_store *st, enum srr_stmt_id q, rec_kind kind, const char *status,
                         json_t **out, srr_error *err)
{
    json_t *arr = json_array();
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_st_prep(st, q, err, "t", status);
    int r;
    *out = NULL;
    while (s && (r = srr_st_next(st, s, &rc, err)) == 1)
        json_array_append_new(arr, srr_st_row_json(s, kind));
    if (!s)
        rc = err ? err->code : SRR_ERR;
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SRR_OK;
}

srr_rc srr_store_risks_list(srr_store *st, const char *status, json_t **out, srr_error *err)
{
    return list_query(st, Q_RISK_LIST, REC_RISK, status, out, err);
}

srr_rc srr_store_backlog_list(srr_store *st, const char *status, json_t **out, srr_error *err)
{
    return list_query(st, Q_BL_LIST, REC_BACKLOG, status, out, err);
}

srr_rc srr_store_investigations_list(srr_store *st, const char *status, json_t **out,
                                     srr_error *err)
{
    return list_query(st, Q_INV_LIST, REC_INV, status, out, err);
}

/* Array of {at, author, text} of one log section. */
static srr_rc read_log(srr_store *st, rec_kind kind, int64_t id, const char *section, json_t **out,
                       srr_error *err)
{
    json_t *arr = json_array();
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_st_prep(st, Q_LOG_OF, err, "tit", SRR_ST_REC_NAME[kind], id, section);
    int r;
    while (s && (r = srr_st_next(st, s, &rc, err)) == 1)
        json_array_append_new(arr, json_pack("{s:o, s:o, s:o}", "at",
                                             srr_st_json_time(sqlite3_column_int64(s, 0)), "author",
                                             srr_st_json_text(srr_st_text(s, 1)), "text",
                                             srr_st_json_text(srr_st_text(s, 2))));
    if (!s)
        rc = err ? err->code : SRR_ERR;
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SRR_OK;
}

/* Adds "evidence": {first_seen, last_seen, occurrences, recent: [...]} to
 * a record object that already holds those three fields. */
static srr_rc read_evidence(srr_store *st, rec_kind kind, int64_t id, json_t *rec, srr_error *err)
{
    json_t *ev = json_object(), *recent = json_array();
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_st_prep(st, Q_EVIDENCE_RECENT, err, "tii", SRR_ST_REC_NAME[kind], id,
                                  (int64_t)SRR_EVIDENCE_RECENT);
    int r;
    while (s && (r = srr_st_next(st, s, &rc, err)) == 1) {
        const char *raw = srr_st_text(s, 6);
        json_t *parsed = raw ? json_loads(raw, 0, NULL) : NULL;
        json_t *row = json_object();
        json_object_set_new(row, "candidate", srr_st_json_text(srr_st_text(s, 0)));
        json_object_set_new(row, "observed_at", srr_st_json_time(sqlite3_column_int64(s, 1)));
        json_object_set_new(row, "status", srr_st_json_text(srr_st_text(s, 2)));
        json_object_set_new(row, "value", srr_wf_real_or_null(s, 3));
        json_object_set_new(row, "summary", srr_st_json_text(srr_st_text(s, 4)));
        json_object_set_new(row, "link", srr_st_json_text(srr_st_text(s, 5)));
        json_object_set_new(row, "evidence", parsed ? parsed : srr_st_json_text(raw));
        json_array_append_new(recent, row);
    }
    if (!s)
        rc = err ? err->code : SRR_ERR;
    if (rc != SRR_OK) {
        json_decref(ev);
        json_decref(recent);
        return rc;
    }
    json_object_set(ev, "first_seen", json_object_get(rec, "first_seen"));
    json_object_set(ev, "last_seen", json_object_get(rec, "last_seen"));
    json_object_set(ev, "occurrences", json_object_get(rec, "occurrences"));
    json_object_set_new(ev, "recent", recent);
    json_object_set_new(rec, "evidence", ev);
    return SRR_OK;
}

/* Reads one row by id into a JSON object (NULL + SRR_ENOTFOUND if absent). */
static srr_rc get_row(srr_store *st, enum srr_stmt_id q, rec_kind kind, int64_t id,
                      const char *asked, json_t **out, srr_error *err)
{
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_st_prep(st, q, err, "i", id);
    int r;
    *out = NULL;
    r = srr_st_first(st, s, &rc, err);
    if (r < 0)
        return rc;
    if (r == 0)
        return srr_error_set(err, SRR_ENOTFOUND, "no %s '%s'", SRR_ST_REC_NAME[kind], asked);
    *out = srr_st_row_json(s, kind);
    srr_st_done(s);
    return SRR_OK;
}

#define SRR_VALUE_WINDOWS 12 /* windows a record shows its thing's value for */

/* Adds "thing": its value over time (values.c), when the record has one. */
static srr_rc add_thing(srr_store *st, json_t *rec, rec_kind kind, int64_t id, srr_error *err)
{
    json_t *thing = NULL;
    const char *fp = json_string_value(json_object_get(rec, "fingerprint"));
    srr_rc rc =
        fp ? srr_store_thing_of(st, fp, SRR_ST_REC_NAME[kind], id, SRR_VALUE_WINDOWS, &thing, err)
           : SRR_OK;
    if (rc == SRR_OK && thing)
        json_object_set_new(rec, "thing", thing);
    return rc;
}

#define REC_MAX_LOGS 2 /* log sections a record page shows */

/* One record by its human id `id` (a `kind` read by get_row with q),
 * with its evidence, its thing and each log section of `logs` (up to
 * REC_MAX_LOGS, the list ending with NULL) under "<section>_log", added
 * last. *out is a new reference (SRR_OK) or NULL. */
static srr_rc record_get(srr_store *st, rec_kind kind, enum srr_stmt_id q, const char *const *logs,
                         const char *id, json_t **out, srr_error *err)
{
    json_t *o = NULL, *got[REC_MAX_LOGS] = {NULL};
    int64_t rid = 0;
    size_t i, n = 0;
    srr_rc rc;
    *out = NULL;
    rc = srr_st_parse_id(id, kind, &rid, err);
    if (rc == SRR_OK)
        rc = get_row(st, q, kind, rid, id, &o, err);
    for (; rc == SRR_OK && n < REC_MAX_LOGS && logs[n]; n++)
        rc = read_log(st, kind, rid, logs[n], &got[n], err);
    if (rc == SRR_OK)
        rc = read_evidence(st, kind, rid, o, err);
    if (rc == SRR_OK)
        rc = add_thing(st, o, kind, rid, err);
    if (rc != SRR_OK) {
        json_decref(o);
        for (i = 0; i < REC_MAX_LOGS; i++)
            json_decref(got[i]);
        return rc;
    }
    for (i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s_log", logs[i]);
        json_object_set_new(o, key, got[i]);
    }
    *out = o;
    return SRR_OK;
}

srr_rc srr_store_investigation_get(srr_store *st, const char *id, json_t **out, srr_error *err)
{
    static const char *const logs[] = {"recognition", NULL};
    return record_get(st, REC_INV, Q_INV_GET, logs, id, out, err);
}

srr_rc srr_store_risk_get(srr_store *st, const char *id, json_t **out, srr_error *err)
{
    static const char *const logs[] = {"recognition", "countermeasure", NULL};
    return record_get(st, REC_RISK, Q_RISK_GET, logs, id, out, err);
}

srr_rc srr_store_backlog_get(srr_store *st, const char *id, json_t **out, srr_error *err)
{
    static const char *const logs[] = {NULL};
    return record_get(st, REC_BACKLOG, Q_BL_GET, logs, id, out, err);
}

srr_rc srr_store_quarantine_list(srr_store *st, json_t **out, srr_error *err)
{
    json_t *arr = json_array();
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_st_prep(st, Q_QUAR_LIST, err, "");
    int r;
    *out = NULL;
    while (s && (r = srr_st_next(st, s, &rc, err)) == 1) {
        size_t kept = (size_t)sqlite3_column_bytes(s, 4);
        int64_t bytes = sqlite3_column_int64(s, 5);
        json_t *row = json_object();
        json_object_set_new(row, "id", json_integer(sqlite3_column_int64(s, 0)));
        json_object_set_new(row, "at", srr_st_json_time(sqlite3_column_int64(s, 1)));
        json_object_set_new(row, "origin", srr_st_json_text(srr_st_text(s, 2)));
        json_object_set_new(row, "reason", srr_st_json_text(srr_st_text(s, 3)));
        json_object_set_new(row, "payload",
                            srr_st_json_bytes((const char *)sqlite3_column_blob(s, 4), kept));
        json_object_set_new(row, "payload_bytes", json_integer(bytes));
        json_object_set_new(row, "truncated", json_boolean((int64_t)kept < bytes));
        json_array_append_new(arr, row);
    }
    if (!s)
        rc = err ? err->code : SRR_ERR;
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SRR_OK;
}

/* The sqlite3 handle of an open store, for store/workflow.c and friends. */
sqlite3 *srr_store_db(srr_store *st)
{
    return st->db;
}
