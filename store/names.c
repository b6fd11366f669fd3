/* SPDX-License-Identifier: Apache-2.0
 *
 * names.c - record ids and distinct values for shell completion (names.h),
 * read through their own read-only SQLite connection (srr_store_open_ro,
 * shared with the gauges of reports/gauges.c).
 */
#include "names.h"

#include "store_internal.h"

#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#define NAMES_BUSY_MS 200 /* a shell or a scrape gives up rather than wait on the writer */

srr_rc srr_store_open_ro(const char *db_path, sqlite3 **db, srr_error *err)
{
    *db = NULL;
    if (access(db_path, F_OK) != 0)
        return SRR_OK;
    if (sqlite3_open_v2(db_path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        srr_error_set(err, SRR_EIO, "cannot open %s read-only: %s", db_path,
                      *db ? sqlite3_errmsg(*db) : "out of memory");
        sqlite3_close(*db);
        *db = NULL;
        return SRR_EIO;
    }
    sqlite3_busy_timeout(*db, NAMES_BUSY_MS);
    return SRR_OK;
}

/* Runs `sql` and appends what each row's columns make to arr: one string
 * (ncols 1) or {id, status} built from a prefix, an integer and a text. A
 * statement that does not prepare (a store older than the column) adds
 * nothing. */
static srr_rc collect(sqlite3 *db, const char *sql, const char *prefix, json_t *arr,
                      srr_error *err)
{
    sqlite3_stmt *s = NULL;
    int r;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return SRR_OK;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (!prefix) {
            const char *v = (const char *)sqlite3_column_text(s, 0);
            if (v && *v)
                json_array_append_new(arr, json_string(v));
            continue;
        }
        char id[48];
        snprintf(id, sizeof(id), "%s%lld", prefix, (long long)sqlite3_column_int64(s, 0));
        json_array_append_new(arr, json_pack("{s:s, s:s}", "id", id, "status",
                                             (const char *)sqlite3_column_text(s, 1)
                                                 ? (const char *)sqlite3_column_text(s, 1)
                                                 : ""));
    }
    sqlite3_finalize(s);
    if (r != SQLITE_DONE)
        return srr_error_set(err, SRR_EIO, "reading names: %s", sqlite3_errmsg(db));
    return SRR_OK;
}

srr_rc srr_names_records(const char *db_path, const char *kind, size_t limit, json_t **out,
                         srr_error *err)
{
    static const struct {
        const char *kind, *table, *prefix;
    } KINDS[] = {{"risk", "risks", "SRR-"},
                 {"backlog", "backlog", "BL-"},
                 {"investigation", "investigations", "INV-"}};
    sqlite3 *db;
    srr_rc rc = SRR_OK;
    size_t i, any = 0;
    *out = json_array();
    for (i = 0; i < 3; i++)
        any += !kind || strcmp(kind, KINDS[i].kind) == 0;
    if (!any)
        return srr_error_set(err, SRR_EINVAL, "unknown record kind '%s'", kind);
    if ((rc = srr_store_open_ro(db_path, &db, err)) != SRR_OK || !db)
        return rc;
    for (i = 0; i < 3 && rc == SRR_OK; i++) {
        char sql[160];
        if (kind && strcmp(kind, KINDS[i].kind) != 0)
            continue;
        snprintf(sql, sizeof(sql), "SELECT id, status FROM %s ORDER BY id DESC LIMIT %zu",
                 KINDS[i].table, limit);
        rc = collect(db, sql, KINDS[i].prefix, *out, err);
    }
    sqlite3_close(db);
    return rc;
}

srr_rc srr_names_values(const char *db_path, const char *what, json_t **out, srr_error *err)
{
    /* One UNION per value: UNION also sorts and removes duplicates. */
    static const struct {
        const char *what, *sql;
    } QUERIES[] = {
        {"assignees", "SELECT assignee FROM risks UNION SELECT assignee FROM backlog"
                      " UNION SELECT assignee FROM investigations"},
        {"services", "SELECT service FROM risks UNION SELECT service FROM backlog"
                     " UNION SELECT service FROM investigations"},
        {"labels", "SELECT j.value FROM risks, json_each(risks.labels) j"
                   " WHERE json_valid(risks.labels) UNION"
                   " SELECT j.value FROM backlog, json_each(backlog.labels) j"
                   " WHERE json_valid(backlog.labels) UNION"
                   " SELECT j.value FROM investigations, json_each(investigations.labels) j"
                   " WHERE json_valid(investigations.labels)"},
    };
    sqlite3 *db;
    srr_rc rc;
    size_t i;
    *out = json_array();
    for (i = 0; i < sizeof(QUERIES) / sizeof(QUERIES[0]); i++)
        if (strcmp(QUERIES[i].what, what) == 0)
            break;
    if (i == sizeof(QUERIES) / sizeof(QUERIES[0]))
        return srr_error_set(err, SRR_EINVAL, "unknown name list '%s'", what);
    if ((rc = srr_store_open_ro(db_path, &db, err)) != SRR_OK || !db)
        return rc;
    rc = collect(db, QUERIES[i].sql, NULL, *out, err);
    sqlite3_close(db);
    return rc;
}
