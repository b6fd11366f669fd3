/* SPDX-License-Identifier: Apache-2.0
 *
 * workflow_reads.c - what engineers read of the records they keep
 * (workflow.h): the filtered list of risks (with the last human touch, for
 * --stale), the weekly occurrences behind a record's sparkline, and the
 * audit log with each change worded "status: draft → open". Reads only;
 * the transitions are workflow.c.
 */
#include "workflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "wf_sql.h"

#define WF_WRITER_ACTOR "srr-writer" /* the writer's changes are not a human touch */
#define WF_WEEK_S (7 * 86400)

/* Last human change of a risk: its creation or the newest audit entry by
 * someone other than the writer. */
#define WF_LAST_TOUCHED                                                                            \
    "max(r.created_at, coalesce((SELECT max(a.at) FROM audit a WHERE a.record_kind = 'risk'"       \
    " AND a.record_id = r.id AND a.actor <> '" WF_WRITER_ACTOR "'), 0))"

srr_rc srr_wf_risks_list(srr_store *st, const srr_wf_filter *f, json_t **out, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    json_t *arr = json_array();
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    int u = -1;
    *out = NULL;
    if (f->urgency) {
        u = srr_wf_urgency_parse(f->urgency);
        if (u < 0) {
            json_decref(arr);
            return srr_error_set(err, SRR_EINVAL,
                                 "unknown urgency '%s' (low, medium, high, critical)", f->urgency);
        }
    }
    s = srr_wf_prep(
        db, err,
        "SELECT * FROM (SELECT r.id, r.status, r.urgency, r.title, r.service, r.env,"
        " r.assignee, r.occurrences, r.last_seen, r.updated_at, r.last_value, r.worst_value,"
        " r.last_obs_status, r.members, " WF_LAST_TOUCHED " AS last_touched, r.labels FROM risks r"
        " WHERE (?1 IS NULL OR r.status = ?1) AND (?2 < 0 OR r.urgency = ?2)"
        " AND (?3 IS NULL OR r.assignee = ?3) AND (?4 IS NULL OR r.service = ?4)"
        " AND (?7 IS NULL OR CASE WHEN json_valid(r.labels) THEN EXISTS (SELECT 1 FROM"
        " json_each(r.labels) j WHERE j.value = ?7) ELSE 0 END))"
        " WHERE ?5 <= 0 OR (status IN ('open','mitigating') AND last_touched <= ?6 - ?5)"
        " ORDER BY urgency DESC, id",
        "tittiit", f->status, (int64_t)u, f->assignee, f->service, f->stale_s, f->now, f->label);
    if (!s) {
        json_decref(arr);
        return SRR_ERR;
    }
    while (srr_wf_step(db, s, &rc, err) == 1) {
        json_t *row = json_object();
        char hid[32];
        snprintf(hid, sizeof(hid), "SRR-%lld", (long long)sqlite3_column_int64(s, 0));
        json_object_set_new(row, "id", json_string(hid));
        json_object_set_new(row, "status", json_string((const char *)sqlite3_column_text(s, 1)));
        json_object_set_new(row, "urgency",
                            json_string(srr_wf_urgency_name(sqlite3_column_int64(s, 2))));
        json_object_set_new(row, "title",
                            srr_wf_text_or_null((const char *)sqlite3_column_text(s, 3)));
        json_object_set_new(row, "service",
                            srr_wf_text_or_null((const char *)sqlite3_column_text(s, 4)));
        json_object_set_new(row, "env",
                            srr_wf_text_or_null((const char *)sqlite3_column_text(s, 5)));
        json_object_set_new(row, "assignee",
                            srr_wf_text_or_null((const char *)sqlite3_column_text(s, 6)));
        json_object_set_new(row, "occurrences", json_integer(sqlite3_column_int64(s, 7)));
        json_object_set_new(row, "last_seen", srr_wf_time(sqlite3_column_int64(s, 8)));
        json_object_set_new(row, "updated_at", srr_wf_time(sqlite3_column_int64(s, 9)));
        json_object_set_new(row, "last_value", srr_wf_real_or_null(s, 10));
        json_object_set_new(row, "worst_value", srr_wf_real_or_null(s, 11));
        json_object_set_new(row, "last_obs_status",
                            srr_wf_text_or_null((const char *)sqlite3_column_text(s, 12)));
        json_object_set_new(row, "members", json_integer(sqlite3_column_int64(s, 13)));
        json_object_set_new(row, "last_touched", srr_wf_time(sqlite3_column_int64(s, 14)));
        {
            const char *lt = (const char *)sqlite3_column_text(s, 15);
            json_t *labels = lt ? json_loads(lt, 0, NULL) : NULL;
            if (!json_is_array(labels)) {
                json_decref(labels);
                labels = json_array();
            }
            json_object_set_new(row, "labels", labels);
        }
        json_array_append_new(arr, row);
    }
    sqlite3_finalize(s);
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SRR_OK;
}

/* Monday 00:00 UTC of the week holding t (1970-01-01 was a Thursday). */
static int64_t week_start(int64_t t)
{
    int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t dow = ((day + 3) % 7 + 7) % 7; /* 0 = Monday */
    return (day - dow) * 86400;
}

srr_rc srr_wf_weekly(srr_store *st, const char *id, int weeks, int64_t until, int *counts,
                     srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    sqlite3_stmt *s;
    int64_t rid, last = week_start(until);
    srr_wf_kind kind;
    srr_rc rc;
    int i;
    for (i = 0; i < weeks; i++)
        counts[i] = 0;
    rc = srr_wf_parse_any_id(id, &kind, &rid, err);
    if (rc != SRR_OK)
        return rc;
    s = srr_wf_prep(db, err,
                    "SELECT observed_at FROM evidence WHERE record_kind = ?1"
                    " AND record_id = ?2 AND status = 'firing' AND observed_at >= ?3"
                    " AND observed_at < ?4",
                    "tiii", SRR_WF_KIND_NAME[kind], rid, last - (int64_t)(weeks - 1) * WF_WEEK_S,
                    last + WF_WEEK_S);
    if (!s)
        return SRR_ERR;
    while (srr_wf_step(db, s, &rc, err) == 1) {
        int64_t k = (last - week_start(sqlite3_column_int64(s, 0))) / WF_WEEK_S;
        if (k >= 0 && k < weeks)
            counts[weeks - 1 - k]++;
    }
    sqlite3_finalize(s);
    return rc;
}

char *srr_wf_sparkline(const int *counts, int n)
{
    static const char *const bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    srr_buf b;
    int i, max = 0;
    srr_buf_init(&b, 0);
    for (i = 0; i < n; i++)
        if (counts[i] > max)
            max = counts[i];
    for (i = 0; i < n; i++) {
        if (counts[i] <= 0)
            srr_buf_printf(&b, "·");
        else
            srr_buf_printf(&b, "%s", bars[(counts[i] * 7 + max - 1) / max]);
    }
    if (!b.data)
        return srr_strdup("");
    return srr_buf_steal(&b);
}

/* One value of the audit, short: text cut to 60 code points, null "—". */
static char *short_value(const json_t *v)
{
    char *s;
    size_t i = 0, cp = 0;
    if (!v || json_is_null(v))
        return srr_strdup("—");
    if (json_is_string(v))
        s = srr_strdup(json_string_value(v));
    else
        s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!s)
        return srr_strdup("?");
    while (s[i]) {
        if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
            s[i] = ' ';
        if (((unsigned char)s[i] & 0xC0) != 0x80 && ++cp > 60) {
            char *t = srr_asprintf("%.*s…", (int)i, s);
            free(s);
            return t;
        }
        i++;
    }
    return s;
}

/* Appends "key: before → after" (or "key: after" when before lacks it). */
static void change_item(srr_buf *b, const json_t *before, const char *key, const json_t *v)
{
    char *a = short_value(v);
    if (json_is_object(before) && json_object_get(before, key)) {
        char *bv = short_value(json_object_get(before, key));
        srr_buf_printf(b, "%s%s: %s → %s", b->len ? "; " : "", key, bv, a);
        free(bv);
    } else {
        srr_buf_printf(b, "%s%s: %s", b->len ? "; " : "", key, a);
    }
    free(a);
}

/* "status: draft → open; assignee: — → alice" from before/after objects;
 * the status leads, the writer's bulky decision goes last. */
static char *change_text(const json_t *before, const json_t *after)
{
    srr_buf b;
    const char *key;
    json_t *v;
    srr_buf_init(&b, 0);
    if (json_object_get(after, "status"))
        change_item(&b, before, "status", json_object_get(after, "status"));
    json_object_foreach((json_t *)after, key, v)
    {
        if (strcmp(key, "status") != 0 && strcmp(key, "decision") != 0)
            change_item(&b, before, key, v);
    }
    if (json_object_get(after, "decision"))
        change_item(&b, before, "decision", json_object_get(after, "decision"));
    if (!b.data)
        return srr_strdup("");
    return srr_buf_steal(&b);
}

srr_rc srr_wf_audit(srr_store *st, const char *id, size_t limit, json_t **out, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    json_t *arr = json_array();
    sqlite3_stmt *s;
    srr_wf_kind k = SRR_WF_RISK;
    int64_t rid = 0;
    srr_rc rc = SRR_OK;
    *out = NULL;
    if (id) {
        rc = srr_wf_parse_any_id(id, &k, &rid, err);
        if (rc != SRR_OK) {
            json_decref(arr);
            return rc;
        }
    }
    s = srr_wf_prep(db, err,
                    "SELECT * FROM (SELECT id, at, actor, record_kind, record_id, action, before,"
                    " after, why FROM audit WHERE ?1 IS NULL OR (record_kind = ?1 AND"
                    " record_id = ?2) ORDER BY id DESC LIMIT ?3) ORDER BY id",
                    "tii", id ? SRR_WF_KIND_NAME[k] : NULL, rid,
                    limit ? (int64_t)limit : (int64_t)-1);
    if (!s) {
        json_decref(arr);
        return SRR_ERR;
    }
    while (srr_wf_step(db, s, &rc, err) == 1) {
        const char *kind = (const char *)sqlite3_column_text(s, 3);
        const char *bt = (const char *)sqlite3_column_text(s, 6);
        const char *at = (const char *)sqlite3_column_text(s, 7);
        json_t *before = bt ? json_loads(bt, JSON_DECODE_ANY, NULL) : NULL;
        json_t *after = at ? json_loads(at, JSON_DECODE_ANY, NULL) : NULL;
        json_t *row = json_object();
        char rec[64], *chg;
        int kk = srr_wf_kind_index(kind);
        if (kk >= 0)
            snprintf(rec, sizeof(rec), "%s%lld", SRR_WF_PREFIX[kk],
                     (long long)sqlite3_column_int64(s, 4));
        else
            snprintf(rec, sizeof(rec), "%s-%lld", kind ? kind : "?",
                     (long long)sqlite3_column_int64(s, 4));
        chg = change_text(before, after);
        json_object_set_new(row, "seq", json_integer(sqlite3_column_int64(s, 0)));
        json_object_set_new(row, "at", srr_wf_time(sqlite3_column_int64(s, 1)));
        json_object_set_new(row, "actor",
                            srr_wf_text_or_null((const char *)sqlite3_column_text(s, 2)));
        json_object_set_new(row, "record", json_string(rec));
        json_object_set_new(row, "action",
                            srr_wf_text_or_null((const char *)sqlite3_column_text(s, 5)));
        json_object_set_new(row, "change", json_string(chg));
        json_object_set_new(row, "before", before ? before : json_null());
        json_object_set_new(row, "after", after ? after : json_null());
        json_object_set_new(row, "why",
                            srr_wf_text_or_null((const char *)sqlite3_column_text(s, 8)));
        json_array_append_new(arr, row);
        free(chg);
    }
    sqlite3_finalize(s);
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SRR_OK;
}
