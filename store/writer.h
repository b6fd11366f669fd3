/* SPDX-License-Identifier: Apache-2.0
 *
 * writer.h - drains the candidate queue into the store: poll a batch, parse
 * each candidate (poison -> quarantine), apply the batch in one SQLite
 * transaction, hand the poison to the queue's dead-letter channel, then
 * commit the queue position. Checks investigation deadlines after
 * draining. The same loop serves the spool and Kafka.
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
    int64_t window_end;          /* once: the sweep window the queue held, closed when drained
                                    (srr_store_close_window); 0: deadlines by the clock */
} srr_writer_opts;

/* Runs the writer. Returns SRR_OK when stopped (the batch in hand is
 * finished and committed first) or, with once, when srr_consumer_at_end()
 * says the queue is drained; stats accumulate into *stats (may be NULL).
 * `now` is taken from srr_now(). A queue commit failing with SRR_RETRY
 * (Kafka rebalance) is logged and the loop goes on; any other failure is
 * returned with err set, the batch uncommitted (it is redelivered). */
srr_rc srr_writer_drain(srr_consumer *c, srr_store *st, const srr_writer_opts *opts,
                        srr_apply_stats *stats, srr_error *err);

#endif
