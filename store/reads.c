/* SPDX-License-Identifier: Apache-2.0
 *
 * reads.c - the JSON reads of the records the CLI prints (store.h): the
 * lists of risks, backlog items and investigations by status, one record
 * with its recognition and countermeasure logs, its evidence and the value
 * of its thing over time (values.c), and the quarantine. Read only: it
 * prepares nothing of its own (the statements of schema.h, through
 * sql.c) and nothing below it calls back into it.
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "store_priv.h"
#include "wf_sql.h"

#define SRR_EVIDENCE_RECENT 10

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
