/* SPDX-License-Identifier: Apache-2.0
 *
 * writer.h - drains the candidate queue into the store: poll a batch, parse
 * each candidate (poison -> quarantine), apply the batch in one SQLite
 * transaction, then commit the queue position. Checks investigation
 * deadlines after draining.
 */
#ifndef SRR_WRITER_H
#define SRR_WRITER_H

#include <signal.h>

#include "queue.h"
#include "store.h"

typedef struct srr_writer_opts {
    size_t batch_size;   /* messages per transaction (default 500) */
    int once;            /* drain what is there, then return */
    int poll_timeout_ms; /* wait per poll when the queue is empty (default 500) */
    volatile sig_atomic_t *stop; /* set non-zero to stop after the current batch; may be NULL */
} srr_writer_opts;

/* Runs the writer. Returns SRR_OK when stopped or (once) drained; stats
 * accumulate into *stats (may be NULL). `now` is taken from srr_now(). */
srr_rc srr_writer_drain(srr_consumer *c, srr_store *st, const srr_writer_opts *opts,
                        srr_apply_stats *stats, srr_error *err);

#endif
