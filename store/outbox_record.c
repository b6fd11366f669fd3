/* SPDX-License-Identifier: Apache-2.0
 *
 * outbox_record.c - the records as sinks see them (outbox_store.h): one
 * record as a JSON view (srr_outbox_record: the SRR sections, logs, the
 * weekly evidence, the Datadog links), the records of a kind in a status
 * (a reminder of drafts, the reviews come due), and what a sink remembers
 * of every record it delivered. Reads only.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbox_store.h"
#include "store_internal.h"
#include "wf_sql.h"

#define OB_LINKS 5        /* Datadog links listed per record */
#define OB_LINK_WINDOW 50 /* of the newest evidence rows */

static const char *const TABLE[] = {"risks", "backlog", "investigations"};

/* ---- the record as sinks see it --------------------------------------- */

static json_t *text_of(const json_t *row, const char *col)
{
    const json_t *v = json_object_get(row, col);
    return json_is_string(v) && *json_string_value(v) ? json_deep_copy(v) : json_null();
}

static json_t *time_of(const json_t *row, const char *col)
{
    const json_t *v = json_object_get(row, col);
    return json_is_integer(v) ? srr_wf_time(json_integer_value(v)) : json_null();
}

static json_t *labels_of(const json_t *row)
{
    const char *t = json_string_value(json_object_get(row, "labels"));
    json_t *a = t ? json_loads(t, 0, NULL) : NULL;
    if (!json_is_array(a)) {
        json_decref(a);
        return json_array();
    }
    return a;
}

static srr_rc read_log(sqlite3 *db, const char *kind, int64_t id, const char *section, json_t **out,
                       srr_error *err)
{
    json_t *arr = json_array();
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_wf_prep(db, err,
                                  "SELECT at, author, text FROM log_entries WHERE record_kind = ?1"
                                  " AND record_id = ?2 AND section = ?3 ORDER BY at, id",
                                  "tit", kind, id, section);
    if (!s) {
        json_decref(arr);
        return SRR_ERR;
    }
    while (srr_wf_step(db, s, &rc, err) == 1)
        json_array_append_new(arr, json_pack("{s:o, s:s?, s:s?}", "at",
                                             srr_wf_time(sqlite3_column_int64(s, 0)), "author",
                                             srr_wf_text(s, 1), "text", srr_wf_text(s, 2)));
    sqlite3_finalize(s);
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SRR_OK;
}

/* Firing evidence per Monday-based UTC week (week index (day + 3) / 7,
 * 1970-01-01 being a Thursday) over the `weeks` weeks up to `until`. */
static srr_rc read_weeks(sqlite3 *db, const char *kind, int64_t id, int weeks, int64_t until,
                         json_t **out, srr_error *err)
{
    json_t *arr = json_array();
    int64_t last = (until / 86400 + 3) / 7;
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_wf_prep(
        db, err,
        "SELECT (observed_at / 86400 + 3) / 7 AS w, count(*), max(value) FROM evidence"
        " WHERE record_kind = ?1 AND record_id = ?2 AND status = 'firing'"
        " AND (observed_at / 86400 + 3) / 7 > ?3 AND (observed_at / 86400 + 3) / 7 <= ?4"
        " GROUP BY w ORDER BY w",
        "tiii", kind, id, last - weeks, last);
    if (!s) {
        json_decref(arr);
        return SRR_ERR;
    }
    while (srr_wf_step(db, s, &rc, err) == 1) {
        json_t *w = json_object();
        json_object_set_new(w, "week", srr_wf_time((sqlite3_column_int64(s, 0) * 7 - 3) * 86400));
        json_object_set_new(w, "count", json_integer(sqlite3_column_int64(s, 1)));
        json_object_set_new(w, "max", srr_wf_real_or_null(s, 2));
        json_array_append_new(arr, w);
    }
    sqlite3_finalize(s);
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SRR_OK;
}

static srr_rc read_links(sqlite3 *db, const char *kind, int64_t id, json_t **out, srr_error *err)
{
    json_t *arr = json_array();
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_wf_prep(db, err,
                                  "SELECT link, max(id) AS newest FROM (SELECT id, link FROM"
                                  " evidence WHERE record_kind = ?1 AND record_id = ?2"
                                  " AND link IS NOT NULL AND link <> '' ORDER BY id DESC"
                                  " LIMIT ?3) GROUP BY link ORDER BY newest DESC LIMIT ?4",
                                  "tiii", kind, id, (int64_t)OB_LINK_WINDOW, (int64_t)OB_LINKS);
    if (!s) {
        json_decref(arr);
        return SRR_ERR;
    }
    while (srr_wf_step(db, s, &rc, err) == 1)
        json_array_append_new(arr, json_string(srr_wf_text(s, 0)));
    sqlite3_finalize(s);
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SRR_OK;
}

/* The overview of an investigation, which has none of its own. */
static json_t *inv_overview(const json_t *row)
{
    char opened[32], deadline[32];
    const char *reason = json_string_value(json_object_get(row, "reason"));
    const char *outcome = json_string_value(json_object_get(row, "outcome"));
    const char *note = json_string_value(json_object_get(row, "resolution_note"));
    char *t;
    json_t *v;
    srr_time_iso(json_integer_value(json_object_get(row, "opened_at")), opened);
    srr_time_iso(json_integer_value(json_object_get(row, "deadline")), deadline);
    t = srr_asprintf("%s\n\nTime-boxed investigation opened %s, deadline %s; last observation: "
                     "%s.%s%s%s%s",
                     json_string_value(json_object_get(row, "title")), opened, deadline,
                     json_string_value(json_object_get(row, "last_status")),
                     outcome ? " Outcome: " : "", outcome ? outcome : "", note ? ". " : "",
                     note ? note : "");
    (void)reason;
    v = json_string(t);
    free(t);
    return v ? v : json_null();
}

/* The kind-specific columns, mapped to the names sinks use. */
static json_t *record_base(const json_t *row, int k)
{
    json_t *o = json_object();
    static const char *const same[] = {"status", "title",  "service",     "env", "assignee",
                                       "rule",   "reason", "datadog_url", NULL};
    char hid[32];
    int i;
    snprintf(hid, sizeof(hid), "%s%lld", SRR_WF_PREFIX[k],
             (long long)json_integer_value(json_object_get(row, "id")));
    json_object_set_new(o, "kind", json_string(SRR_WF_KIND_NAME[k]));
    json_object_set_new(o, "id", json_string(hid));
    for (i = 0; same[i]; i++)
        json_object_set_new(o, same[i], text_of(row, same[i]));
    json_object_set_new(
        o, "urgency",
        json_string(srr_wf_urgency_name(json_integer_value(json_object_get(row, "urgency")))));
    json_object_set_new(o, "overview",
                        k == SRR_WF_RISK      ? text_of(row, "overview")
                        : k == SRR_WF_BACKLOG ? text_of(row, "description")
                                              : inv_overview(row));
    json_object_set_new(o, "cause", k == SRR_WF_RISK ? text_of(row, "cause") : json_null());
    json_object_set_new(o, "policy",
                        k == SRR_WF_RISK ? text_of(row, "countermeasure_policy") : json_null());
    json_object_set_new(o, "next_action",
                        k == SRR_WF_RISK ? text_of(row, "next_action") : json_null());
    json_object_set_new(o, "backlog_url",
                        k == SRR_WF_RISK      ? text_of(row, "backlog_link")
                        : k == SRR_WF_BACKLOG ? text_of(row, "ticket_link")
                                              : text_of(row, "resolution_link"));
    json_object_set_new(o, "postmortem_url",
                        k == SRR_WF_RISK ? text_of(row, "postmortem_link") : json_null());
    json_object_set_new(o, "approved_by",
                        k == SRR_WF_RISK ? text_of(row, "approved_by") : json_null());
    json_object_set_new(o, "impact", k == SRR_WF_RISK ? text_of(row, "impact") : json_null());
    json_object_set_new(o, "likelihood",
                        k == SRR_WF_RISK ? text_of(row, "likelihood") : json_null());
    if (k == SRR_WF_RISK && json_is_integer(json_object_get(row, "merged_into"))) {
        snprintf(hid, sizeof(hid), "SRR-%lld",
                 (long long)json_integer_value(json_object_get(row, "merged_into")));
        json_object_set_new(o, "merged_into", json_string(hid));
    } else {
        json_object_set_new(o, "merged_into", json_null());
    }
    json_object_set_new(o, "next_review_at",
                        k == SRR_WF_RISK ? time_of(row, "next_review_at") : json_null());
    json_object_set_new(o, "deadline", k == SRR_WF_INV ? time_of(row, "deadline") : json_null());
    json_object_set_new(o, "first_seen", time_of(row, "first_seen"));
    json_object_set_new(o, "last_seen", time_of(row, "last_seen"));
    json_object_set_new(o, "created_at", time_of(row, "created_at"));
    json_object_set_new(o, "updated_at", time_of(row, "updated_at"));
    json_object_set_new(o, "occurrences",
                        json_integer(json_integer_value(json_object_get(row, "occurrences"))));
    json_object_set_new(o, "labels", labels_of(row));
    return o;
}

srr_rc srr_outbox_record(srr_store *st, const char *kind, int64_t id, int weeks, json_t **out,
                         srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    int k = srr_wf_kind_index(kind);
    json_t *row = NULL, *o = NULL, *v = NULL;
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    char *sql;
    int64_t until;
    int r;
    *out = NULL;
    if (k < 0)
        return srr_error_set(err, SRR_EINVAL, "outbox: unknown record kind '%s'", kind);
    sql = srr_asprintf("SELECT * FROM %s WHERE id = ?1", TABLE[k]);
    s = srr_wf_prep(db, err, sql, "i", id);
    free(sql);
    if (!s)
        return SRR_ERR;
    r = srr_wf_step(db, s, &rc, err);
    if (r == 1)
        row = srr_wf_row(s);
    sqlite3_finalize(s);
    if (r == 0)
        return srr_error_set(err, SRR_ENOTFOUND, "no %s %s%lld", kind, SRR_WF_PREFIX[k],
                             (long long)id);
    if (r < 0)
        return rc;
    o = record_base(row, k);
    rc = read_log(db, kind, id, "recognition", &v, err);
    if (rc == SRR_OK) {
        json_object_set_new(o, "recognition_log", v);
        rc = read_log(db, kind, id, "countermeasure", &v, err);
    }
    if (rc == SRR_OK) {
        json_object_set_new(o, "countermeasure_log", v);
        until = json_integer_value(json_object_get(row, "last_seen"));
        if (until <= 0)
            until = json_integer_value(json_object_get(row, "created_at"));
        rc = read_weeks(db, kind, id, weeks > 0 ? weeks : 8, until, &v, err);
    }
    if (rc == SRR_OK) {
        json_object_set_new(o, "weeks", v);
        rc = read_links(db, kind, id, &v, err);
    }
    if (rc == SRR_OK)
        json_object_set_new(o, "links", v);
    json_decref(row);
    if (rc != SRR_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return SRR_OK;
}

srr_rc srr_outbox_records(srr_store *st, const char *kind, const char *status, int weeks,
                          size_t limit, json_t **out, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    int k = srr_wf_kind_index(kind);
    json_t *arr = json_array();
    int64_t *ids = NULL;
    size_t n = 0, cap = 0, i;
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    char *sql;
    *out = NULL;
    if (k < 0) {
        json_decref(arr);
        return srr_error_set(err, SRR_EINVAL, "outbox: unknown record kind '%s'", kind);
    }
    sql = srr_asprintf("SELECT id FROM %s WHERE ?1 IS NULL OR status = ?1 ORDER BY id LIMIT ?2",
                       TABLE[k]);
    s = srr_wf_prep(db, err, sql, "ti", status, (int64_t)(limit ? limit : (size_t)1 << 30));
    free(sql);
    if (!s) {
        json_decref(arr);
        return SRR_ERR;
    }
    while (srr_wf_step(db, s, &rc, err) == 1) { /* ids first: no statement open below */
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            ids = srr_realloc(ids, cap * sizeof(*ids));
        }
        ids[n++] = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    for (i = 0; rc == SRR_OK && i < n; i++) {
        json_t *one = NULL;
        rc = srr_outbox_record(st, kind, ids[i], weeks, &one, err);
        if (rc == SRR_OK)
            json_array_append_new(arr, one);
    }
    free(ids);
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SRR_OK;
}

srr_rc srr_outbox_memories(srr_store *st, const char *sink, json_t **out, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    json_t *o = json_object();
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_wf_prep(db, err,
                                  "SELECT record_kind, record_id, remote_id, state FROM sync_state"
                                  " WHERE sink = ?1 AND (remote_id IS NOT NULL OR state IS NOT"
                                  " NULL) ORDER BY record_kind, record_id",
                                  "t", sink);
    *out = NULL;
    if (!s) {
        json_decref(o);
        return SRR_ERR;
    }
    while (srr_wf_step(db, s, &rc, err) == 1) {
        int k = srr_wf_kind_index(srr_wf_text(s, 0));
        const char *state = srr_wf_text(s, 3);
        json_t *sj = state ? json_loads(state, 0, NULL) : NULL;
        char hid[32];
        if (k < 0) {
            json_decref(sj);
            continue;
        }
        snprintf(hid, sizeof(hid), "%s%lld", SRR_WF_PREFIX[k],
                 (long long)sqlite3_column_int64(s, 1));
        json_object_set_new(o, hid,
                            json_pack("{s:s?, s:o}", "remote_id", srr_wf_text(s, 2), "state",
                                      sj ? sj : json_null()));
    }
    sqlite3_finalize(s);
    if (rc != SRR_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return SRR_OK;
}
