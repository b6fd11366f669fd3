/* SPDX-License-Identifier: Apache-2.0
 *
 * review_records.c - the records a review names (review_priv.h): for each
 * one, what the meeting needs beside the row it appears in. Its title,
 * status, assignee and next action; its links: its page in the team's
 * Notion database when the Notion sink made one (the url Notion answered,
 * kept in the sink's state, else the page's address from its id), else an
 * anchor to its detail in the review itself, and its Datadog link; and its
 * value window by window up to the report's "as of" - the windows
 * `srr risks show` prints (srr_store_thing_until, store/values.c), read
 * once per record, never computed again. Also the records' human ids
 * ("SRR-4"), which review.c's sections use too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review_priv.h"
#include "store_internal.h"
#include "wf_sql.h"

void srr_rv_hid(const char *kind, int64_t id, char out[32])
{
    snprintf(out, 32, "%s%lld",
             kind && strcmp(kind, "backlog") == 0         ? "BL-"
             : kind && strcmp(kind, "investigation") == 0 ? "INV-"
                                                          : "SRR-",
             (long long)id);
}

/* The detail of one record, by kind; the same columns for each. */
static const char *const DETAIL_SQL[3] = {
    "SELECT title, status, urgency, service, assignee, next_action, datadog_url, backlog_link,"
    " fingerprint FROM risks WHERE id = ?1",
    "SELECT title, status, urgency, service, assignee, NULL, datadog_url, ticket_link,"
    " fingerprint FROM backlog WHERE id = ?1",
    "SELECT title, status, urgency, service, assignee, NULL, datadog_url, NULL,"
    " fingerprint FROM investigations WHERE id = ?1",
};

/* Order of the kinds in rep.records: risks, then investigations, then
 * backlog items (the meeting's order). */
static const int KIND_ORDER[3] = {0, 2, 1};

typedef struct rv_ref {
    srr_wf_kind kind;
    int64_t id;
} rv_ref;

static int ref_cmp(const void *a, const void *b)
{
    const rv_ref *x = a, *y = b;
    if (x->kind != y->kind)
        return KIND_ORDER[x->kind] - KIND_ORDER[y->kind];
    return x->id < y->id ? -1 : x->id > y->id;
}

/* A Notion page's address from its id (dashes dropped; Notion redirects
 * notion.so/<32 hex> to the page). Caller frees. */
static char *notion_url_of_id(const char *id)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    srr_buf_printf(&b, "https://www.notion.so/");
    for (; *id; id++)
        if ((*id >= '0' && *id <= '9') || (*id >= 'a' && *id <= 'f') || (*id >= 'A' && *id <= 'F'))
            srr_buf_append(&b, id, 1);
    return srr_buf_steal(&b);
}

/* The Notion sink's pages: pages["risk:4"] = its url. */
static srr_rc notion_pages(sqlite3 *db, json_t *pages, srr_error *err)
{
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s =
        srr_wf_prep(db, err,
                    "SELECT record_kind, record_id, remote_id, CASE WHEN json_valid(state) THEN"
                    " json_extract(state, '$.url') END FROM sync_state WHERE sink = 'notion'"
                    " AND coalesce(remote_id, '') <> ''",
                    "");
    if (!s)
        return SRR_ERR;
    while (srr_wf_step(db, s, &rc, err) == 1) {
        const char *url = (const char *)sqlite3_column_text(s, 3);
        char *key = srr_asprintf("%s:%lld", (const char *)sqlite3_column_text(s, 0),
                                 (long long)sqlite3_column_int64(s, 1));
        char *made = url && *url ? NULL : notion_url_of_id((const char *)sqlite3_column_text(s, 2));
        json_object_set_new(pages, key, json_string(made ? made : url));
        free(made);
        free(key);
    }
    sqlite3_finalize(s);
    return rc;
}

static json_t *col_text(sqlite3_stmt *s, int i)
{
    const char *t = (const char *)sqlite3_column_text(s, i);
    return t ? json_string(t) : json_null();
}

/* The detail of record r (review_priv.h); *out NULL when it is gone. */
static srr_rc detail(srr_store *st, const rv_ref *r, const json_t *pages, int64_t asof,
                     json_t **out, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    const char *kname = SRR_WF_KIND_NAME[r->kind];
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_wf_prep(db, err, DETAIL_SQL[r->kind], "i", r->id);
    json_t *o = NULL, *th = NULL;
    char hid[32], key[64];
    char *fp = NULL;
    *out = NULL;
    if (!s)
        return SRR_ERR;
    if (srr_wf_step(db, s, &rc, err) != 1) {
        sqlite3_finalize(s);
        return rc;
    }
    srr_rv_hid(kname, r->id, hid);
    snprintf(key, sizeof key, "%s:%lld", kname, (long long)r->id);
    o = json_pack("{s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "id", hid, "kind", kname,
                  "title", col_text(s, 0), "status", col_text(s, 1), "urgency",
                  srr_wf_urgency_name(sqlite3_column_int64(s, 2)), "service", col_text(s, 3),
                  "assignee", col_text(s, 4), "next_action", col_text(s, 5), "datadog_url",
                  col_text(s, 6), "tracker_url", col_text(s, 7));
    fp = srr_strdup((const char *)sqlite3_column_text(s, 8));
    sqlite3_finalize(s);
    {
        const json_t *page = json_object_get(pages, key);
        char *anchor = srr_asprintf("#%s", hid);
        json_object_set(o, "notion_url", page ? (json_t *)page : json_null());
        json_object_set_new(o, "link", page ? json_incref((json_t *)page) : json_string(anchor));
        free(anchor);
    }
    if (fp)
        rc = srr_store_thing_until(st, fp, kname, r->id, RV_VALUE_WINDOWS, asof, &th, err);
    free(fp);
    if (rc != SRR_OK) {
        json_decref(o);
        return rc;
    }
    if (th)
        json_object_set_new(o, "thing", th);
    *out = o;
    return SRR_OK;
}

/* Adds the record named by row[field] (a human id) to refs. */
static void add_ref(const json_t *row, const char *field, rv_ref **refs, size_t *n, size_t *cap)
{
    const char *id = json_string_value(json_object_get(row, field));
    rv_ref r;
    if (!id || srr_wf_parse_any_id(id, &r.kind, &r.id, NULL) != SRR_OK)
        return;
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        *refs = srr_realloc(*refs, *cap * sizeof **refs);
    }
    (*refs)[(*n)++] = r;
}

/* The records every array section of rep names, sorted, each once. */
static rv_ref *named_records(const json_t *rep, size_t *count)
{
    rv_ref *refs = NULL;
    size_t n = 0, cap = 0, k = 0;
    const char *key;
    const json_t *arr;
    json_object_foreach((json_t *)rep, key, arr)
    {
        size_t i;
        const json_t *row;
        if (!json_is_array(arr))
            continue;
        json_array_foreach(arr, i, row)
        {
            add_ref(row, "id", &refs, &n, &cap);
            add_ref(row, "risk", &refs, &n, &cap);
        }
    }
    if (n)
        qsort(refs, n, sizeof *refs, ref_cmp);
    for (size_t i = 0; i < n; i++)
        if (k == 0 || ref_cmp(&refs[k - 1], &refs[i]) != 0)
            refs[k++] = refs[i];
    *count = k;
    return refs;
}

/* A text member of thing, or JSON null. */
static json_t *thing_text(const json_t *th, const char *key)
{
    json_t *v = json_object_get(th, key);
    return v ? json_incref(v) : json_null();
}

/* The things rows and the agenda's rows take their values from records. */
static void attach_values(json_t *rep, const json_t *records)
{
    json_t *things = json_object_get(rep, "things"), *open = json_object_get(rep, "open_risks");
    size_t i = 0;
    while (i < json_array_size(things)) {
        json_t *row = json_array_get(things, i);
        const json_t *th = json_object_get(
            json_object_get(records, json_string_value(json_object_get(row, "id"))), "thing");
        if (!th) {
            json_array_remove(things, i);
            continue;
        }
        json_object_del(row, "kind");
        json_object_set_new(row, "chart", thing_text(th, "chart"));
        json_object_set_new(row, "latest", thing_text(th, "latest_text"));
        json_object_set_new(row, "worst", thing_text(th, "worst_text"));
        json_object_set_new(row, "last_fired", thing_text(th, "last_fired"));
        json_object_set_new(row, "group", thing_text(th, "group"));
        json_object_set_new(
            row, "members",
            json_integer((json_int_t)json_array_size(json_object_get(th, "members"))));
        json_object_set_new(row, "windows", thing_text(th, "windows"));
        i++;
    }
    json_t *row;
    json_array_foreach(open, i, row)
    {
        const json_t *th = json_object_get(
            json_object_get(records, json_string_value(json_object_get(row, "id"))), "thing");
        json_object_set_new(row, "chart", th ? thing_text(th, "chart") : json_string(""));
        json_object_set_new(row, "latest", th ? thing_text(th, "latest_text") : json_null());
    }
}

srr_rc srr_rv_records(srr_store *st, json_t *rep, int64_t asof, srr_error *err)
{
    json_t *pages = json_object(), *records = json_object();
    size_t n = 0;
    rv_ref *refs = named_records(rep, &n);
    srr_rc rc = notion_pages(srr_store_db(st), pages, err);
    for (size_t i = 0; i < n && rc == SRR_OK; i++) {
        json_t *o = NULL;
        rc = detail(st, &refs[i], pages, asof, &o, err);
        if (rc == SRR_OK && o)
            json_object_set_new(records, json_string_value(json_object_get(o, "id")), o);
    }
    free(refs);
    json_decref(pages);
    if (rc != SRR_OK) {
        json_decref(records);
        return rc;
    }
    attach_values(rep, records);
    json_object_set_new(rep, "records", records);
    return SRR_OK;
}
