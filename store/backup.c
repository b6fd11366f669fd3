/* SPDX-License-Identifier: Apache-2.0
 *
 * backup.c - `srr backup` and `srr restore`: SQLite's online backup API
 * copies every page of the store inside one read transaction, so the copy
 * is the state of one committed batch even while the writer keeps going.
 * Both directions end with PRAGMA integrity_check on the result.
 */
#include "backup.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema.h"

/* Runs PRAGMA integrity_check; SRR_OK when it answers "ok". */
static srr_rc check_integrity(sqlite3 *db, const char *what, srr_error *err)
{
    sqlite3_stmt *s = NULL;
    srr_rc rc = SRR_OK;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
        return srr_error_set(err, SRR_EIO, "%s: %s", what, sqlite3_errmsg(db));
    if (sqlite3_step(s) != SQLITE_ROW)
        rc = srr_error_set(err, SRR_EIO, "%s: integrity check failed: %s", what,
                           sqlite3_errmsg(db));
    else if (strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0)
        rc = srr_error_set(err, SRR_EINVAL, "%s: integrity check failed: %s", what,
                           (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return rc;
}

static int user_version(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Copies every page of `from` into `to` in one step (one read transaction
 * on the source: a consistent snapshot). */
static srr_rc copy_db(sqlite3 *from, sqlite3 *to, const char *what, srr_error *err)
{
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    int r;
    if (!b)
        return srr_error_set(err, SRR_EIO, "%s: %s", what, sqlite3_errmsg(to));
    r = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (r == SQLITE_BUSY || r == SQLITE_LOCKED)
        return srr_error_set(err, SRR_RETRY, "%s: the store is busy; stop the writer and retry",
                             what);
    if (r != SQLITE_DONE)
        return srr_error_set(err, SRR_EIO, "%s: %s", what, sqlite3_errstr(r));
    return SRR_OK;
}

srr_rc srr_store_backup(const char *db_path, const char *dest, srr_error *err)
{
    sqlite3 *src = NULL, *dst = NULL;
    struct stat sb;
    srr_rc rc;
    if (stat(dest, &sb) == 0)
        return srr_error_set(err, SRR_EINVAL, "backup: %s already exists; choose a new file",
                             dest);
    if (stat(db_path, &sb) != 0)
        return srr_error_set(err, SRR_EIO, "backup: no store at %s", db_path);
    if (sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = srr_error_set(err, SRR_EIO, "backup: cannot open %s: %s", db_path,
                           sqlite3_errmsg(src));
        goto out;
    }
    sqlite3_busy_timeout(src, 5000);
    if (sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = srr_error_set(err, SRR_EIO, "backup: cannot create %s: %s", dest,
                           sqlite3_errmsg(dst));
        goto out;
    }
    rc = copy_db(src, dst, "backup", err);
    if (rc == SRR_OK)
        rc = check_integrity(dst, dest, err);
out:
    sqlite3_close(src);
    sqlite3_close(dst);
    if (rc != SRR_OK)
        unlink(dest);
    return rc;
}

srr_rc srr_store_restore(const char *src_path, const char *db_path, int *schema_version,
                         srr_error *err)
{
    sqlite3 *src = NULL, *dst = NULL;
    int v;
    srr_rc rc;
    if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = srr_error_set(err, SRR_EIO, "restore: cannot open %s: %s", src_path,
                           sqlite3_errmsg(src));
        goto out;
    }
    rc = check_integrity(src, src_path, err);
    if (rc != SRR_OK)
        goto out;
    v = user_version(src);
    if (v < 1 || v > SRR_SCHEMA_VERSION) {
        rc = srr_error_set(err, SRR_EINVAL,
                           "restore: %s is not an srr store this version can use (schema %d, "
                           "known 1..%d)",
                           src_path, v, SRR_SCHEMA_VERSION);
        goto out;
    }
    if (sqlite3_open_v2(db_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = srr_error_set(err, SRR_EIO, "restore: cannot open %s: %s", db_path,
                           sqlite3_errmsg(dst));
        goto out;
    }
    sqlite3_busy_timeout(dst, 2000);
    rc = copy_db(src, dst, "restore", err);
    if (rc == SRR_OK)
        rc = check_integrity(dst, db_path, err);
    if (rc == SRR_OK && schema_version)
        *schema_version = user_version(dst);
out:
    sqlite3_close(src);
    sqlite3_close(dst);
    return rc;
}
