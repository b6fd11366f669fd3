/* SPDX-License-Identifier: Apache-2.0
 *
 * outbox_store.c - the SQL of the outbox and of the sinks' progress
 * (outbox_store.h). The outbox rows themselves are written by the trigger
 * of migration 4 whenever an audit entry is appended; this file reads them
 * and keeps sync_state / sync_meta, each call one statement or one short
 * transaction.
 *
 * Reading order: entries, due/get, the progress marks, changes and audit,
 * meta, status. The record as sinks see it is in outbox_record.c.
 */
#include "outbox_store.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "wf_sql.h"

/* ---- entries ---------------------------------------------------------- */

void srr_outbox_entry_clear(srr_outbox_entry *e)
{
    if (!e)
        return;
    free(e->remote_id);
    free(e->state);
    memset(e, 0, sizeof(*e));
}

void srr_outbox_entries_free(srr_outbox_entry *e, size_t n)
{
    size_t i;
    for (i = 0; e && i < n; i++)
        srr_outbox_entry_clear(&e[i]);
    free(e);
}

/* The columns every entry query selects, in this order. */
#define OB_ENTRY_COLUMNS                                                                           \
    "o.record_kind, o.record_id, o.seq, o.created_seq, o.at, coalesce(s.delivered_seq, 0),"        \
    " s.remote_id, s.state, coalesce(s.creating, 0), coalesce(s.attempts, 0),"                     \
    " s.parked_seq IS NOT NULL"

/* A record's human id ("SRR-12"; "?-12" for a kind it does not know). */
static void hid_format(const char *kind, int64_t id, char *out, size_t n)
{
    int k = srr_wf_kind_index(kind);
    snprintf(out, n, "%s%lld", k >= 0 ? SRR_WF_PREFIX[k] : "?-", (long long)id);
}

static void entry_from_row(sqlite3_stmt *s, srr_outbox_entry *e)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->kind, sizeof(e->kind), "%s", srr_wf_text(s, 0) ? srr_wf_text(s, 0) : "");
    e->id = sqlite3_column_int64(s, 1);
    hid_format(e->kind, e->id, e->hid, sizeof(e->hid));
    e->seq = sqlite3_column_int64(s, 2);
    e->created_seq = sqlite3_column_int64(s, 3);
    e->changed_at = sqlite3_column_int64(s, 4);
    e->delivered_seq = sqlite3_column_int64(s, 5);
    e->remote_id = srr_strdup(srr_wf_text(s, 6));
    e->state = srr_strdup(srr_wf_text(s, 7));
    e->creating = sqlite3_column_int(s, 8) != 0;
    e->attempts = sqlite3_column_int(s, 9);
    e->was_parked = sqlite3_column_int(s, 10) != 0;
}

/* ---- due / get -------------------------------------------------------- */

srr_rc srr_outbox_due(srr_store *st, const char *sink, const char *tag, int64_t now, size_t limit,
                      srr_outbox_entry **out, size_t *n, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    s = srr_wf_prep(db, err,
                    "SELECT " OB_ENTRY_COLUMNS " FROM outbox o LEFT JOIN sync_state s"
                    " ON s.sink = ?1 AND s.record_kind = o.record_kind"
                    " AND s.record_id = o.record_id"
                    " WHERE o.seq > coalesce(s.delivered_seq, 0)"
                    " AND coalesce(s.next_at, 0) <= ?2"
                    " AND (s.parked_seq IS NULL OR o.seq > s.parked_seq OR s.parked_tag IS NOT ?3)"
                    " ORDER BY CASE WHEN coalesce(s.delivered_seq, 0) = 0 THEN o.created_seq"
                    " ELSE o.seq END, o.record_kind, o.record_id LIMIT ?4",
                    "titi", sink, now, tag, (int64_t)limit);
    if (!s)
        return SRR_ERR;
    while (srr_wf_step(db, s, &rc, err) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = srr_realloc(*out, cap * sizeof(**out));
        }
        entry_from_row(s, &(*out)[(*n)++]);
    }
    sqlite3_finalize(s);
    if (rc != SRR_OK) {
        srr_outbox_entries_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* One entry by a WHERE clause over o (outbox) and s (sync_state). */
static srr_rc get_where(srr_store *st, const char *where, const char *what, srr_outbox_entry *out,
                        srr_error *err, const char *types, const char *sink, const char *a,
                        int64_t b)
{
    sqlite3 *db = srr_store_db(st);
    char *sql = srr_asprintf("SELECT " OB_ENTRY_COLUMNS " FROM outbox o LEFT JOIN sync_state s"
                             " ON s.sink = ?1 AND s.record_kind = o.record_kind"
                             " AND s.record_id = o.record_id WHERE %s LIMIT 1",
                             where);
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    int r;
    memset(out, 0, sizeof(*out));
    s = types[2] == 'i' ? srr_wf_prep(db, err, sql, types, sink, a, b)
                        : srr_wf_prep(db, err, sql, types, sink, a);
    free(sql);
    if (!s)
        return SRR_ERR;
    r = srr_wf_step(db, s, &rc, err);
    if (r == 1)
        entry_from_row(s, out);
    else if (r == 0)
        rc = srr_error_set(err, SRR_ENOTFOUND, "outbox: no record %s", what);
    sqlite3_finalize(s);
    return rc;
}

srr_rc srr_outbox_get(srr_store *st, const char *sink, const char *kind, int64_t id,
                      srr_outbox_entry *out, srr_error *err)
{
    char what[64];
    snprintf(what, sizeof(what), "%s %lld", kind, (long long)id);
    return get_where(st, "o.record_kind = ?2 AND o.record_id = ?3", what, out, err, "tti", sink,
                     kind, id);
}

srr_rc srr_outbox_find_remote(srr_store *st, const char *sink, const char *remote_id,
                              srr_outbox_entry *out, srr_error *err)
{
    return get_where(st, "s.remote_id = ?2", remote_id, out, err, "tt", sink, remote_id, 0);
}

/* ---- progress --------------------------------------------------------- */

/* Makes sure the sink has a sync_state row for the record. */
static srr_rc ensure_row(sqlite3 *db, const char *sink, const char *kind, int64_t id, int64_t now,
                         srr_error *err)
{
    return srr_wf_exec(db, err,
                       "INSERT INTO sync_state(sink, record_kind, record_id, updated_at)"
                       " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                       "ttii", sink, kind, id, now);
}

/* Runs `sql` (parameters ?1 sink, ?2 kind, ?3 id, then `types` from ?4)
 * on the sink's row of the record, creating the row first, in one
 * transaction. */
static srr_rc update_row(srr_store *st, const char *sink, const char *kind, int64_t id, int64_t now,
                         srr_error *err, const char *sql, const char *types, ...)
{
    sqlite3 *db = srr_store_db(st);
    sqlite3_stmt *s = NULL;
    srr_rc rc;
    va_list ap;
    int r;
    rc = srr_wf_begin(db, err);
    if (rc != SRR_OK)
        return rc;
    rc = ensure_row(db, sink, kind, id, now, err);
    if (rc != SRR_OK)
        goto fail;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        rc = srr_error_set(err, SRR_ERR, "store: %s", sqlite3_errmsg(db));
        goto fail;
    }
    sqlite3_bind_text(s, 1, sink, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, id);
    va_start(ap, types);
    r = srr_wf_vbind(s, 4, types, ap);
    va_end(ap);
    if (r != SQLITE_OK) {
        rc = srr_error_set(err, SRR_ERR, "store: %s", sqlite3_errmsg(db));
        goto fail;
    }
    while (srr_wf_step(db, s, &rc, err) == 1)
        ;
    sqlite3_finalize(s);
    s = NULL;
    if (rc != SRR_OK)
        goto fail;
    return srr_wf_commit(db, err);
fail:
    sqlite3_finalize(s);
    srr_wf_rollback(db);
    return rc;
}

srr_rc srr_outbox_begin_create(srr_store *st, const char *sink, const char *kind, int64_t id,
                               int64_t now, srr_error *err)
{
    return update_row(st, sink, kind, id, now, err,
                      "UPDATE sync_state SET creating = 1, updated_at = ?4"
                      " WHERE sink = ?1 AND record_kind = ?2 AND record_id = ?3",
                      "i", now);
}

srr_rc srr_outbox_save(srr_store *st, const char *sink, const char *kind, int64_t id,
                       const char *remote_id, const char *state, int64_t now, srr_error *err)
{
    return update_row(st, sink, kind, id, now, err,
                      "UPDATE sync_state SET remote_id = coalesce(?4, remote_id),"
                      " state = coalesce(?5, state), updated_at = ?6"
                      " WHERE sink = ?1 AND record_kind = ?2 AND record_id = ?3",
                      "tti", remote_id, state, now);
}

srr_rc srr_outbox_done(srr_store *st, const char *sink, const char *kind, int64_t id, int64_t seq,
                       const char *remote_id, const char *state, int64_t now, srr_error *err)
{
    return update_row(st, sink, kind, id, now, err,
                      "UPDATE sync_state SET delivered_seq = max(delivered_seq, ?4),"
                      " remote_id = coalesce(?5, remote_id), state = coalesce(?6, state),"
                      " creating = 0, attempts = 0, next_at = 0, error = NULL,"
                      " parked_seq = NULL, parked_tag = NULL, parked_at = NULL, updated_at = ?7"
                      " WHERE sink = ?1 AND record_kind = ?2 AND record_id = ?3",
                      "itti", seq, remote_id, state, now);
}

srr_rc srr_outbox_fail(srr_store *st, const char *sink, const char *kind, int64_t id,
                       int64_t next_at, const char *error, int64_t now, srr_error *err)
{
    return update_row(st, sink, kind, id, now, err,
                      "UPDATE sync_state SET attempts = attempts + 1, next_at = ?4, error = ?5,"
                      " updated_at = ?6 WHERE sink = ?1 AND record_kind = ?2 AND record_id = ?3",
                      "iti", next_at, error, now);
}

srr_rc srr_outbox_park(srr_store *st, const char *sink, const char *kind, int64_t id, int64_t seq,
                       const char *tag, const char *reason, int64_t now, srr_error *err)
{
    return update_row(st, sink, kind, id, now, err,
                      "UPDATE sync_state SET parked_seq = ?4, parked_tag = ?5, error = ?6,"
                      " parked_at = ?7, attempts = attempts + 1, next_at = 0, updated_at = ?7"
                      " WHERE sink = ?1 AND record_kind = ?2 AND record_id = ?3",
                      "itti", seq, tag, reason, now);
}

/* The sync_state rows of the sink ?1 (NULL: every sink) and of the record
 * ?2/?3 (kind NULL: every record): the operator's release and resend. */
#define OB_SELECTED                                                                                \
    " WHERE (?1 IS NULL OR sink = ?1) AND (?2 IS NULL OR (record_kind = ?2 AND record_id = ?3))"

/* Runs the UPDATE `sql` (its rows chosen by OB_SELECTED); *n (may be
 * NULL) gets how many rows it changed, 0 on error. */
static srr_rc update_selected(srr_store *st, const char *sql, const char *sink, const char *kind,
                              int64_t id, size_t *n, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    srr_rc rc = srr_wf_exec(db, err, sql, "tti", sink, kind, id);
    if (n)
        *n = rc == SRR_OK ? (size_t)sqlite3_changes(db) : 0;
    return rc;
}

srr_rc srr_outbox_release(srr_store *st, const char *sink, const char *kind, int64_t id, size_t *n,
                          srr_error *err)
{
    return update_selected(st,
                           "UPDATE sync_state SET parked_seq = NULL, parked_tag = NULL,"
                           " parked_at = NULL, next_at = 0" OB_SELECTED
                           " AND (parked_seq IS NOT NULL OR next_at > 0)",
                           sink, kind, id, n, err);
}

srr_rc srr_outbox_resend(srr_store *st, const char *sink, const char *kind, int64_t id, size_t *n,
                         srr_error *err)
{
    return update_selected(st,
                           "UPDATE sync_state SET delivered_seq = 0, state = NULL,"
                           " parked_seq = NULL, parked_tag = NULL, parked_at = NULL,"
                           " next_at = 0, attempts = 0, error = NULL" OB_SELECTED,
                           sink, kind, id, n, err);
}

srr_rc srr_outbox_after_restore(srr_store *st, int64_t now, size_t *n, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    size_t changed = 0;
    srr_rc rc = srr_wf_begin(db, err);
    if (rc == SRR_OK)
        rc = srr_wf_exec(db, err,
                         "INSERT INTO sync_state(sink, record_kind, record_id, creating,"
                         " updated_at) SELECT k.sink, o.record_kind, o.record_id, 1, ?1"
                         " FROM outbox o, (SELECT DISTINCT sink FROM sync_state) k"
                         " WHERE NOT EXISTS (SELECT 1 FROM sync_state x WHERE x.sink = k.sink"
                         " AND x.record_kind = o.record_kind AND x.record_id = o.record_id)",
                         "i", now);
    if (rc == SRR_OK)
        rc = srr_wf_exec(db, err,
                         "UPDATE sync_state SET delivered_seq = 0, state = NULL,"
                         " creating = CASE WHEN remote_id IS NULL THEN 1 ELSE creating END,"
                         " parked_seq = NULL, parked_tag = NULL, parked_at = NULL, next_at = 0,"
                         " attempts = 0, error = NULL, updated_at = ?1",
                         "i", now);
    if (rc == SRR_OK) {
        changed = (size_t)sqlite3_changes(db); /* every row, the new ones included */
        rc = srr_wf_exec(db, err, "DELETE FROM sync_meta WHERE key = 'lease'", "");
    }
    if (rc == SRR_OK)
        rc = srr_wf_commit(db, err);
    else
        srr_wf_rollback(db);
    if (n)
        *n = rc == SRR_OK ? changed : 0;
    return rc;
}

srr_rc srr_outbox_forget(srr_store *st, const char *sink, const char *kind, int64_t id,
                         srr_error *err)
{
    return srr_wf_exec(srr_store_db(st), err,
                       "DELETE FROM sync_state WHERE sink = ?1 AND record_kind = ?2"
                       " AND record_id = ?3",
                       "tti", sink, kind, id);
}

/* ---- changes and audit ------------------------------------------------ */

srr_rc srr_outbox_changes(srr_store *st, const char *kind, int64_t id, int64_t after_seq,
                          int64_t upto_seq, json_t **out, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    json_t *arr = json_array();
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_wf_prep(db, err,
                                  "SELECT id, at, actor, action, before, after, why FROM audit"
                                  " WHERE record_kind = ?1 AND record_id = ?2 AND id > ?3"
                                  " AND id <= ?4 ORDER BY id",
                                  "tiii", kind, id, after_seq, upto_seq);
    *out = NULL;
    if (!s) {
        json_decref(arr);
        return SRR_ERR;
    }
    while (srr_wf_step(db, s, &rc, err) == 1) {
        const char *b = srr_wf_text(s, 4), *a = srr_wf_text(s, 5);
        json_t *bj = b ? json_loads(b, JSON_DECODE_ANY, NULL) : NULL;
        json_t *aj = a ? json_loads(a, JSON_DECODE_ANY, NULL) : NULL;
        json_array_append_new(arr, json_pack("{s:I, s:o, s:s?, s:s?, s:o, s:o, s:s?}", "seq",
                                             (json_int_t)sqlite3_column_int64(s, 0), "at",
                                             srr_wf_time(sqlite3_column_int64(s, 1)), "actor",
                                             srr_wf_text(s, 2), "action", srr_wf_text(s, 3),
                                             "before", bj ? bj : json_null(), "after",
                                             aj ? aj : json_null(), "why", srr_wf_text(s, 6)));
    }
    sqlite3_finalize(s);
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SRR_OK;
}

srr_rc srr_outbox_local_change(srr_store *st, const char *kind, int64_t id, int64_t after_seq,
                               const char *column, int64_t *at, char **actor, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    char *path = srr_asprintf("$.\"%s\"", column);
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_wf_prep(db, err,
                                  "SELECT at, actor FROM audit WHERE record_kind = ?1"
                                  " AND record_id = ?2 AND id > ?3 AND after IS NOT NULL"
                                  " AND json_valid(after) AND json_type(after, ?4) IS NOT NULL"
                                  " ORDER BY id DESC LIMIT 1",
                                  "tiit", kind, id, after_seq, path);
    free(path);
    *at = 0;
    if (actor)
        *actor = NULL;
    if (!s)
        return SRR_ERR;
    if (srr_wf_step(db, s, &rc, err) == 1) {
        *at = sqlite3_column_int64(s, 0);
        if (actor)
            *actor = srr_strdup(srr_wf_text(s, 1));
    }
    sqlite3_finalize(s);
    return rc;
}

srr_rc srr_outbox_audit(srr_store *st, const char *kind, int64_t id, const char *actor,
                        const char *action, const json_t *before, const json_t *after,
                        const char *why, int64_t now, srr_error *err)
{
    char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    srr_rc rc = srr_wf_exec(srr_store_db(st), err,
                            "INSERT INTO audit(at, actor, record_kind, record_id, action, before,"
                            " after, why) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            "ittitttt", now, actor, kind, id, action, b, a, why);
    free(b);
    free(a);
    return rc;
}

/* ---- meta ------------------------------------------------------------- */

srr_rc srr_outbox_meta_get(srr_store *st, const char *sink, const char *key, char **value,
                           srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_wf_prep(
        db, err, "SELECT value FROM sync_meta WHERE sink = ?1 AND key = ?2", "tt", sink, key);
    *value = NULL;
    if (!s)
        return SRR_ERR;
    if (srr_wf_step(db, s, &rc, err) == 1)
        *value = srr_strdup(srr_wf_text(s, 0));
    sqlite3_finalize(s);
    return rc;
}

srr_rc srr_outbox_meta_set(srr_store *st, const char *sink, const char *key, const char *value,
                           srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    if (!value)
        return srr_wf_exec(db, err, "DELETE FROM sync_meta WHERE sink = ?1 AND key = ?2", "tt",
                           sink, key);
    return srr_wf_exec(db, err,
                       "INSERT INTO sync_meta(sink, key, value) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT(sink, key) DO UPDATE SET value = excluded.value",
                       "ttt", sink, key, value);
}

/* ---- the lease -------------------------------------------------------- */

/* The lease is sync_meta (sink, "lease") = "<expires> <owner>". */
srr_rc srr_outbox_lease(srr_store *st, const char *sink, const char *owner, const char *dead,
                        int64_t now, int64_t ttl_s, char **holder, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    char *cur = NULL, *val;
    const char *who = "";
    long long expires = 0;
    srr_rc rc;
    if (holder)
        *holder = NULL;
    rc = srr_wf_begin(db, err);
    if (rc != SRR_OK)
        return rc;
    rc = srr_outbox_meta_get(st, sink, "lease", &cur, err);
    if (rc == SRR_OK && cur) {
        char *sp = strchr(cur, ' ');
        expires = strtoll(cur, NULL, 10);
        who = sp ? sp + 1 : "";
    }
    if (rc == SRR_OK && cur && expires > now && strcmp(who, owner) != 0 &&
        !(dead && strcmp(who, dead) == 0)) {
        if (holder)
            *holder = srr_strdup(who);
        srr_wf_rollback(db);
        srr_error_set(err, SRR_ECONFLICT, "%s is delivered by %s", sink, who);
        free(cur); /* `who` points into it */
        return SRR_ECONFLICT;
    }
    val = srr_asprintf("%lld %s", (long long)(now + ttl_s), owner);
    if (rc == SRR_OK)
        rc = srr_outbox_meta_set(st, sink, "lease", val, err);
    free(val);
    free(cur);
    if (rc == SRR_OK)
        return srr_wf_commit(db, err);
    srr_wf_rollback(db);
    return rc;
}

srr_rc srr_outbox_lease_release(srr_store *st, const char *sink, const char *owner, srr_error *err)
{
    return srr_wf_exec(srr_store_db(st), err,
                       "DELETE FROM sync_meta WHERE sink = ?1 AND key = 'lease'"
                       " AND substr(value, instr(value, ' ') + 1) = ?2",
                       "tt", sink, owner);
}

/* ---- status ----------------------------------------------------------- */

static srr_rc sink_status(sqlite3 *db, const char *sink, int64_t now, json_t **out, srr_error *err)
{
    json_t *o = json_object(), *waiting = json_array(), *parked = json_array();
    int64_t delivered = 0, pending = 0, oldest = 0;
    sqlite3_stmt *s = NULL;
    srr_rc rc;
    rc = srr_wf_int(db, err, &delivered,
                    "SELECT count(*) FROM outbox o JOIN sync_state s ON s.sink = ?1"
                    " AND s.record_kind = o.record_kind AND s.record_id = o.record_id"
                    " WHERE s.delivered_seq >= o.seq",
                    "t", sink);
    if (rc == SRR_OK)
        rc = srr_wf_int(db, err, &pending,
                        "SELECT count(*) FROM outbox o LEFT JOIN sync_state s ON s.sink = ?1"
                        " AND s.record_kind = o.record_kind AND s.record_id = o.record_id"
                        " WHERE o.seq > coalesce(s.delivered_seq, 0) AND s.parked_seq IS NULL",
                        "t", sink);
    /* The first change after each record's delivered position: the
     * audit_record index finds it per record. */
    if (rc == SRR_OK)
        rc = srr_wf_int(db, err, &oldest,
                        "SELECT coalesce(min((SELECT a.at FROM audit a WHERE a.record_kind ="
                        " o.record_kind AND a.record_id = o.record_id AND a.id >"
                        " coalesce(s.delivered_seq, 0) ORDER BY a.id LIMIT 1)), 0)"
                        " FROM outbox o LEFT JOIN sync_state s ON s.sink = ?1"
                        " AND s.record_kind = o.record_kind AND s.record_id = o.record_id"
                        " WHERE o.seq > coalesce(s.delivered_seq, 0)",
                        "t", sink);
    if (rc == SRR_OK)
        s = srr_wf_prep(db, err,
                        "SELECT record_kind, record_id, attempts, next_at, error, parked_seq,"
                        " parked_at FROM sync_state WHERE sink = ?1 AND (parked_seq IS NOT NULL"
                        " OR attempts > 0) ORDER BY record_kind, record_id",
                        "t", sink);
    if (rc == SRR_OK && !s)
        rc = SRR_ERR;
    while (rc == SRR_OK && srr_wf_step(db, s, &rc, err) == 1) {
        char hid[32];
        hid_format(srr_wf_text(s, 0), sqlite3_column_int64(s, 1), hid, sizeof(hid));
        if (sqlite3_column_type(s, 5) != SQLITE_NULL)
            json_array_append_new(parked, json_pack("{s:s, s:o, s:s?}", "record", hid, "at",
                                                    srr_wf_time(sqlite3_column_int64(s, 6)),
                                                    "reason", srr_wf_text(s, 4)));
        else
            json_array_append_new(waiting,
                                  json_pack("{s:s, s:i, s:o, s:s?}", "record", hid, "attempts",
                                            sqlite3_column_int(s, 2), "next_at",
                                            sqlite3_column_int64(s, 3) > now
                                                ? srr_wf_time(sqlite3_column_int64(s, 3))
                                                : json_string("now"),
                                            "error", srr_wf_text(s, 4)));
    }
    sqlite3_finalize(s);
    json_object_set_new(o, "sink", json_string(sink));
    json_object_set_new(o, "delivered", json_integer(delivered));
    json_object_set_new(o, "pending", json_integer(pending));
    json_object_set_new(o, "oldest_pending_s",
                        json_integer(oldest > 0 && now > oldest ? now - oldest : 0));
    json_object_set_new(o, "waiting", waiting);
    json_object_set_new(o, "parked", parked);
    if (rc != SRR_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return SRR_OK;
}

srr_rc srr_outbox_status(srr_store *st, const char *const *sinks, size_t nsinks, int64_t now,
                         json_t **out, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    json_t *o = json_object(), *arr = json_array(), *one = NULL;
    int64_t records = 0;
    srr_rc rc = srr_wf_int(db, err, &records, "SELECT count(*) FROM outbox", "");
    size_t i;
    *out = NULL;
    for (i = 0; rc == SRR_OK && i < nsinks; i++) {
        rc = sink_status(db, sinks[i], now, &one, err);
        if (rc == SRR_OK)
            json_array_append_new(arr, one);
    }
    json_object_set_new(o, "records", json_integer(records));
    json_object_set_new(o, "sinks", arr);
    if (rc != SRR_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return SRR_OK;
}
