/* SPDX-License-Identifier: Apache-2.0
 *
 * store_tune.c - process-wide SQLite connection tuning (store_tune.h): an
 * auto-extension that sets the page cache of each new connection.
 */
#include <sqlite3.h>
#include <stdio.h>

#include "store_tune.h"

static long g_cache_kib;

static int tune_conn(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api)
{
    char sql[64];
    (void)errmsg;
    (void)api;
    if (g_cache_kib > 0) {
        snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%ld", g_cache_kib);
        sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    return SQLITE_OK;
}

srr_rc srr_store_tune_cache(long cache_kib)
{
    typedef void (*entry_fn)(void);
    union {
        int (*fn)(sqlite3 *, char **, const sqlite3_api_routines *);
        entry_fn entry;
    } u;
    g_cache_kib = cache_kib;
    u.fn = tune_conn;
    /* Registering the same entry point twice is a no-op in SQLite. */
    return sqlite3_auto_extension(u.entry) == SQLITE_OK ? SRR_OK : SRR_ERR;
}
