/* SPDX-License-Identifier: Apache-2.0
 *
 * backup.h - online backup and checked restore of the SQLite store, through
 * SQLite's backup API: a backup is a consistent snapshot even while the
 * writer is committing batches (WAL readers do not block it).
 */
#ifndef SRR_BACKUP_H
#define SRR_BACKUP_H

#include "config.h"
#include "queue.h"
#include "srr.h"

/* Copies the store at `db_path` into a new file `dest` (which must not
 * exist), then runs PRAGMA integrity_check on the copy. Returns SRR_OK,
 * SRR_EIO (cannot read/write), SRR_EINVAL (dest exists, or the copy fails
 * its check; the bad copy is removed). */
srr_rc srr_store_backup(const char *db_path, const char *dest, srr_error *err);

/* Checks that `src` is an srr store (integrity_check ok, schema version
 * known to this binary) and copies it over the store at `db_path`, then
 * checks the result. The writer must be stopped; a busy store returns
 * SRR_RETRY. *schema_version (may be NULL) receives the restored version. */
srr_rc srr_store_restore(const char *src, const char *db_path, int *schema_version,
                         srr_error *err);

/* Marks the store at db_path as in use by this process (a writer, srr
 * serve): a shared lock on "<db_path>.lock", held until the returned fd is
 * closed. srr restore takes it exclusively and refuses while anyone holds
 * it. Returns the fd, or -1 with err set (the lock file cannot be made). */
int srr_store_hold(const char *db_path, srr_error *err);

/* What a restore did (srr_store_restore_queued). */
typedef struct srr_restore_report {
    int schema_version;   /* of the restored store */
    int rewound;          /* the queue's read position was moved back */
    size_t npositions;    /* positions the backup recorded for this queue */
    srr_rewind_plan plan; /* what the rewind found (replay, out of reach) */
} srr_restore_report;

/* srr restore: puts the backup `src` back as the store of cfg AND moves
 * cfg's queue read position back to where the backup was taken (the
 * positions the writer stored with the data, migration 6), so the
 * idempotent writer applies again everything queued since. In order:
 * refuses (SRR_ECONFLICT, naming who) while the store is held
 * (srr_store_hold: serve, drain, sync, a sweep writing) or a writer consumes the
 * queue; checks the backup (SRR_EINVAL when it is no srr store this binary
 * knows); when the queue no longer holds the backup's position (spool
 * segments deleted, Kafka retention passed) or the backup records none,
 * refuses with SRR_ECONFLICT saying how many records are out of reach,
 * changing nothing, unless accept_loss; then rewinds the queue, and only
 * then copies the store (a rewind with the old store still in place only
 * re-applies what it holds). Fills *rep (may be NULL). */
srr_rc srr_store_restore_queued(const srr_config *cfg, const char *src, int accept_loss,
                                srr_restore_report *rep, srr_error *err);

/* The queue positions recorded in the store file at db_path for `key`
 * ("spool", "kafka:<topic>"). *out is the caller's to free. */
srr_rc srr_store_positions(const char *db_path, const char *key, srr_queue_pos **out, size_t *n,
                           srr_error *err);

#endif
