/* SPDX-License-Identifier: Apache-2.0
 *
 * store.c - the SQLite system of record (store.h): opens the database in
 * WAL mode, applies the migrations of schema.h, prepares every statement
 * once, runs the batch transaction of the writer (each candidate applied
 * by things.c, poison messages quarantined) and the closing of windows.
 * What an observation does to its thing and its records lives in things.c
 * and records.c, the JSON reads the CLI prints in reads.c (store_priv.h
 * says who calls whom).
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

#define SRR_QUARANTINE_MAX_PAYLOAD (64 * 1024)

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

/* The sqlite3 handle of an open store, for store/workflow.c and friends. */
sqlite3 *srr_store_db(srr_store *st)
{
    return st->db;
}
