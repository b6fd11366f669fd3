/* SPDX-License-Identifier: Apache-2.0
 *
 * store_internal.h - store entry points shared inside store/ only (the
 * writer), not part of the pinned store.h API: applying a batch of good
 * candidates and the poison messages of the same batch in ONE transaction,
 * so a crash can neither lose a poison message nor keep half a batch.
 */
#ifndef SRR_STORE_INTERNAL_H
#define SRR_STORE_INTERNAL_H

#include <sqlite3.h>

#include "queue.h"
#include "store.h"

/* One poison message of a batch. All pointers are borrowed. */
typedef struct srr_store_poison {
    const char *origin;  /* "spool", "webhook" ... */
    const char *payload; /* raw bytes (may contain NULs), kept bounded */
    size_t len;
    const char *reason;    /* why it is poison */
    const char *dedup_key; /* e.g. queue position + payload hash; a second
                              quarantine with the same key is a no-op. May be
                              NULL (always inserted). */
} srr_store_poison;

/* Applies `n` candidates and quarantines `npoison` messages in one
 * transaction (semantics of srr_store_apply and srr_store_quarantine).
 * Adds to *stats (may be NULL) only when the transaction committed. On
 * failure rolls back and returns the error: SRR_RETRY when the database
 * was busy, SRR_EINVAL when the data itself was refused (a constraint), so
 * the caller can retry the candidates one at a time and isolate the bad
 * one, SRR_EIO/SRR_ERR otherwise. */
srr_rc srr_store_apply_batch(srr_store *st, const srr_candidate *c, size_t n,
                             const srr_store_poison *poison, size_t npoison, int64_t now,
                             srr_apply_stats *stats, srr_error *err);

/* The same transaction, fed as the candidates become ready (the writer's
 * parse pipeline, writer.c): stream_begin opens it, stream_add applies
 * candidates in order (semantics of srr_store_apply), stream_commit
 * commits and only then adds what was done to *stats (may be NULL), or
 * rolls back and returns the error; stream_abort rolls back. After an
 * error from stream_add the caller must abort. Errors as for
 * srr_store_apply_batch. */
srr_rc srr_store_stream_begin(srr_store *st, srr_error *err);
srr_rc srr_store_stream_add(srr_store *st, const srr_candidate *c, size_t n, int64_t now,
                            srr_error *err);
srr_rc srr_store_stream_commit(srr_store *st, srr_apply_stats *stats, srr_error *err);
void srr_store_stream_abort(srr_store *st);

/* Queue positions (queue.h, migration 6). srr_store_stage_position copies
 * the positions of the batch about to be applied (key "spool" or
 * "kafka:<topic>"); the next transaction that commits a batch
 * (srr_store_apply_batch, srr_store_stream_commit) writes them before its
 * COMMIT, so they are durable exactly with the batch, and unstages them.
 * n = 0 unstages. srr_store_save_position writes them in a transaction of
 * their own (after a batch applied in several, as when isolating a bad
 * candidate). */
void srr_store_stage_position(srr_store *st, const char *key, const srr_queue_pos *pos, size_t n);
srr_rc srr_store_save_position(srr_store *st, const char *key, const srr_queue_pos *pos, size_t n,
                               srr_error *err);
/* Upserts positions into queue_positions of db (inside the caller's
 * transaction). */
srr_rc srr_positions_write(sqlite3 *db, const char *key, const srr_queue_pos *p, size_t n,
                           int64_t now, srr_error *err);
/* Reads the positions stored for `key` (*out: the caller frees). A store
 * without the table (older than migration 4) gives none and *has_table 0. */
srr_rc srr_positions_read(sqlite3 *db, const char *key, srr_queue_pos **out, size_t *n,
                          int *has_table, srr_error *err);

/* The sqlite3 handle of an open store (borrowed: valid until
 * srr_store_close). For the human-side modules of store/ (workflow.c,
 * review.c, export.c), which keep their SQL in their own files; they must
 * leave no transaction open and no statement unfinalized between calls. */
sqlite3 *srr_store_db(srr_store *st);

/* Opens db_path read-only (no creation, no migration, a 200 ms busy
 * timeout) into *db, for readers that must leave no state behind (shell
 * completion, metrics scrapes); *db stays NULL when the file does not
 * exist. Returns SRR_OK or SRR_EIO. Close with sqlite3_close. (names.c) */
srr_rc srr_store_open_ro(const char *db_path, sqlite3 **db, srr_error *err);

#endif
