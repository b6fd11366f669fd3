/* SPDX-License-Identifier: Apache-2.0
 *
 * backup.c - `srr backup` and `srr restore`: SQLite's online backup API
 * copies every page of the store inside one read transaction, so the copy
 * is the state of one committed batch even while the writer keeps going.
 * Both directions end with PRAGMA integrity_check on the result.
 *
 * The store holds the queue position of the last batch it applied
 * (queue_positions, written in that batch's transaction), so a backup
 * carries, atomically with its data, where the queue must be read again
 * from. srr_store_restore_queued moves the queue back there (queue.h
 * rewinder) before it copies the store back.
 */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "schema.h"
#include "store_internal.h"

/* Runs PRAGMA integrity_check; SRR_OK when it answers "ok". */
static srr_rc check_integrity(sqlite3 *db, const char *what, srr_error *err)
{
    sqlite3_stmt *s = NULL;
    srr_rc rc = SRR_OK;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
        return srr_error_set(err, SRR_EIO, "%s: %s", what, sqlite3_errmsg(db));
    if (sqlite3_step(s) != SQLITE_ROW)
        rc =
            srr_error_set(err, SRR_EIO, "%s: integrity check failed: %s", what, sqlite3_errmsg(db));
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
        return srr_error_set(err, SRR_EINVAL, "backup: %s already exists; choose a new file", dest);
    if (stat(db_path, &sb) != 0)
        return srr_error_set(err, SRR_EIO, "backup: no store at %s", db_path);
    { /* owner-only from the start: a backup is the whole store */
        int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            return srr_error_set(err, SRR_EIO, "backup: cannot create %s: %s", dest,
                                 strerror(errno));
        close(fd);
    }
    if (sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc =
            srr_error_set(err, SRR_EIO, "backup: cannot open %s: %s", db_path, sqlite3_errmsg(src));
        goto out;
    }
    sqlite3_busy_timeout(src, 5000);
    if (sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = srr_error_set(err, SRR_EIO, "backup: cannot create %s: %s", dest, sqlite3_errmsg(dst));
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

/* Opens the backup at src_path read-only into *src (the caller closes it,
 * also on an error) and checks it is whole and of a schema this version
 * can use. Returns SRR_OK, SRR_EIO or SRR_EINVAL (err set). */
static srr_rc open_backup(const char *src_path, sqlite3 **src, srr_error *err)
{
    srr_rc rc;
    int v;
    if (sqlite3_open_v2(src_path, src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return srr_error_set(err, SRR_EIO, "restore: cannot open %s: %s", src_path,
                             sqlite3_errmsg(*src));
    rc = check_integrity(*src, src_path, err);
    if (rc != SRR_OK)
        return rc;
    v = user_version(*src);
    if (v < 1 || v > SRR_SCHEMA_VERSION)
        return srr_error_set(err, SRR_EINVAL,
                             "restore: %s is not an srr store this version can use (schema %d, "
                             "known 1..%d)",
                             src_path, v, SRR_SCHEMA_VERSION);
    return SRR_OK;
}

srr_rc srr_store_restore(const char *src_path, const char *db_path, int *schema_version,
                         srr_error *err)
{
    sqlite3 *src = NULL, *dst = NULL;
    srr_rc rc = open_backup(src_path, &src, err);
    if (rc != SRR_OK)
        goto out;
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

int srr_store_hold(const char *db_path, srr_error *err)
{
    char *path = srr_asprintf("%s.lock", db_path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        srr_error_set(err, SRR_EIO, "cannot open %s: %s", path, strerror(errno));
    else if (flock(fd, LOCK_SH) != 0) {
        srr_error_set(err, SRR_EIO, "cannot lock %s: %s", path, strerror(errno));
        close(fd);
        fd = -1;
    }
    free(path);
    return fd;
}

srr_rc srr_store_positions(const char *db_path, const char *key, srr_queue_pos **out, size_t *n,
                           srr_error *err)
{
    sqlite3 *db = NULL;
    int has_table = 0;
    srr_rc rc;
    *out = NULL;
    *n = 0;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = srr_error_set(err, SRR_EIO, "cannot open %s: %s", db_path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 5000);
    rc = srr_positions_read(db, key, out, n, &has_table, err);
    sqlite3_close(db);
    return rc;
}

/* 1 when the store at db holds applied candidates. */
static int holds_candidates(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    int any = 0;
    if (sqlite3_prepare_v2(db, "SELECT EXISTS (SELECT 1 FROM candidates)", -1, &s, NULL) ==
            SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        any = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return any;
}

/* Opens and checks the backup; reads its positions for `key`. *known = 0
 * when the backup holds data but no position for this queue. */
static srr_rc read_backup(const char *src_path, const char *key, srr_queue_pos **pos, size_t *n,
                          int *known, srr_error *err)
{
    sqlite3 *src = NULL;
    int has_table = 0;
    srr_rc rc;
    *known = 0;
    rc = open_backup(src_path, &src, err);
    if (rc != SRR_OK)
        goto out;
    rc = srr_positions_read(src, key, pos, n, &has_table, err);
    if (rc == SRR_OK)
        *known = *n > 0 || !holds_candidates(src);
out:
    sqlite3_close(src);
    return rc;
}

/* Takes "<db>.lock" exclusively: nobody holds the store. Returns the fd or
 * -1 (err: who to stop). */
static int lock_store(const char *db_path, srr_error *err)
{
    char *path = srr_asprintf("%s.lock", db_path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        srr_error_set(err, SRR_EIO, "restore: cannot open %s: %s", path, strerror(errno));
    else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        srr_error_set(err, SRR_ECONFLICT,
                      "restore: the store %s is in use by a running srr (srr serve, srr drain, "
                      "srr sync, or a sweep writing to it): stop them first (systemctl stop "
                      "srr-serve srr-drain srr-sweep.timer), then restore",
                      db_path);
        close(fd);
        fd = -1;
    }
    free(path);
    return fd;
}

srr_rc srr_store_restore_queued(const srr_config *cfg, const char *src, int accept_loss,
                                srr_restore_report *rep, srr_error *err)
{
    srr_restore_report local;
    srr_rewinder *rw = NULL;
    srr_queue_pos *pos = NULL;
    const char *key = NULL;
    size_t n = 0;
    int known = 0, lockfd;
    srr_rc rc;
    if (!rep)
        rep = &local;
    memset(rep, 0, sizeof(*rep));
    lockfd = lock_store(cfg->store.path, err);
    if (lockfd < 0)
        return err ? err->code : SRR_ECONFLICT;
    rc = srr_rewinder_open(cfg, &rw, &key, err);
    if (rc != SRR_OK) {
        srr_error_prefix(err, "restore");
        goto out;
    }
    rc = read_backup(src, key, &pos, &n, &known, err);
    if (rc != SRR_OK)
        goto out;
    rep->npositions = n;
    if (!known) {
        if (!accept_loss) {
            rc = srr_error_set(err, SRR_ECONFLICT,
                               "restore: %s records no position of the %s queue (taken by an "
                               "srr that did not record it): what was queued after it cannot "
                               "be applied again. Nothing was changed; --accept-loss restores "
                               "it anyway and leaves the queue's position as it is",
                               src, key);
            goto out;
        }
        srr_warn("restore: %s records no queue position; the queue's position is left as it is "
                 "(--accept-loss)",
                 src);
    } else {
        rc = srr_rewinder_check(rw, pos, n, &rep->plan, err);
        if (rc != SRR_OK)
            goto out;
        if (rep->plan.out_of_reach_bytes > 0 || rep->plan.out_of_reach > 0) {
            char count[64];
            if (rep->plan.out_of_reach >= 0)
                snprintf(count, sizeof count, "%lld record(s)", rep->plan.out_of_reach);
            else
                snprintf(count, sizeof count, "%lld bytes of records (their number is unknown)",
                         rep->plan.out_of_reach_bytes);
            if (!accept_loss) {
                rc = srr_error_set(err, SRR_ECONFLICT,
                                   "restore: the queue no longer holds the backup's position: "
                                   "%s queued after the backup are out of reach (%s). Nothing "
                                   "was changed; --accept-loss restores anyway and loses them",
                                   count, rep->plan.detail);
                goto out;
            }
            srr_warn("restore: %s queued after the backup are out of reach and LOST "
                     "(--accept-loss): %s",
                     count, rep->plan.detail);
        }
        /* The queue first: with the old store still there, a rewound
         * queue only re-applies what it holds. */
        rc = srr_rewinder_apply(rw, pos, n, err);
        if (rc != SRR_OK)
            goto out;
        rep->rewound = 1;
    }
    rc = srr_store_restore(src, cfg->store.path, &rep->schema_version, err);
out:
    srr_rewinder_close(&rw);
    free(pos);
    close(lockfd);
    return rc;
}
