/* SPDX-License-Identifier: Apache-2.0
 *
 * positions.c - the queue positions kept in the store (migration 6,
 * table queue_positions): written by the writer inside the transaction of
 * the batch they cover, read back from a backup by `srr restore`
 * (store_internal.h).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

srr_rc srr_positions_write(sqlite3 *db, const char *key, const srr_queue_pos *p, size_t n,
                           int64_t now, srr_error *err)
{
    static const char sql[] =
        "INSERT INTO queue_positions(backend, partition, next_offset, records, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(backend, partition) DO UPDATE SET"
        " next_offset = excluded.next_offset, records = excluded.records,"
        " updated_at = excluded.updated_at";
    sqlite3_stmt *s = NULL;
    srr_rc rc = SRR_OK;
    size_t i;
    if (n == 0)
        return SRR_OK;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return srr_error_set(err, SRR_ERR, "store: queue position: %s", sqlite3_errmsg(db));
    for (i = 0; i < n && rc == SRR_OK; i++) {
        int r;
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, p[i].partition);
        sqlite3_bind_int64(s, 3, p[i].offset);
        sqlite3_bind_int64(s, 4, p[i].records);
        sqlite3_bind_int64(s, 5, now);
        r = sqlite3_step(s);
        if (r != SQLITE_DONE)
            rc = srr_error_set(err, r == SQLITE_BUSY ? SRR_RETRY : SRR_EIO,
                               "store: queue position: %s", sqlite3_errmsg(db));
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
    sqlite3_finalize(s);
    return rc;
}

srr_rc srr_positions_read(sqlite3 *db, const char *key, srr_queue_pos **out, size_t *n,
                          int *has_table, srr_error *err)
{
    sqlite3_stmt *s = NULL;
    size_t cap = 0;
    int r;
    *out = NULL;
    *n = 0;
    *has_table = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT partition, next_offset, records FROM queue_positions"
                           " WHERE backend = ?1 ORDER BY partition",
                           -1, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return SRR_OK; /* a store from before migration 6: no positions */
    }
    *has_table = 1;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            *out = srr_realloc(*out, cap * sizeof(**out));
        }
        (*out)[*n].partition = sqlite3_column_int(s, 0);
        (*out)[*n].offset = sqlite3_column_int64(s, 1);
        (*out)[*n].records = sqlite3_column_int64(s, 2);
        (*n)++;
    }
    sqlite3_finalize(s);
    if (r != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return srr_error_set(err, SRR_EIO, "reading the queue positions: %s", sqlite3_errmsg(db));
    }
    return SRR_OK;
}
