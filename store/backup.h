/* SPDX-License-Identifier: Apache-2.0
 *
 * backup.h - online backup and checked restore of the SQLite store, through
 * SQLite's backup API: a backup is a consistent snapshot even while the
 * writer is committing batches (WAL readers do not block it).
 */
#ifndef SRR_BACKUP_H
#define SRR_BACKUP_H

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

#endif
