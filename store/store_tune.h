/* SPDX-License-Identifier: Apache-2.0
 *
 * store_tune.h - process-wide SQLite tuning applied to every connection the
 * process opens afterwards (through sqlite3_auto_extension), so the writer
 * can size the page cache without touching store.c. Candidate ids are
 * random hashes: their b-tree inserts touch pages all over the index, and at
 * SQLite's default 2 MB cache the writer spends its time re-reading pages.
 */
#ifndef SRR_STORE_TUNE_H
#define SRR_STORE_TUNE_H

#include "srr.h"

/* Default page cache of the writer's connections, in KiB. */
#define SRR_STORE_WRITER_CACHE_KIB (64 * 1024)

/* Makes every SQLite connection opened from now on in this process run
 * "PRAGMA cache_size = -cache_kib" (KiB). Calling it again replaces the
 * size; 0 stops tuning new connections. Returns SRR_OK, or SRR_ERR when
 * SQLite refuses to register the hook. Nothing to free. */
srr_rc srr_store_tune_cache(long cache_kib);

#endif
