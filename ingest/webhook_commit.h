/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook_commit.h - group commit for the webhook receiver: many concurrent
 * requests share one durable flush. Requests submit (key, payload) with a
 * completion callback; one committer thread takes everything pending as a
 * batch, sends each message to a *sink* and flushes once (the spool's one
 * fdatasync, or Kafka's delivery reports), then completes every message of
 * the batch with the outcome. While a batch flushes, the next one gathers.
 *
 * The sink is two function pointers (cmd/serve.c plugs srr_producer_send
 * and srr_producer_flush), so this module needs nothing from store/ and
 * tests can plug a sink that fails on demand. It also keeps the metrics of
 * queue confirmations and their latency.
 */
#ifndef SRR_WEBHOOK_COMMIT_H
#define SRR_WEBHOOK_COMMIT_H

#include <stddef.h>

#include "srr.h"

typedef struct srr_commit_sink {
    void *ctx;
    /* Buffers one message; SRR_RETRY (or any failure) fails that message. */
    srr_rc (*send)(void *ctx, const char *key, const char *payload, size_t len, srr_error *err);
    /* Makes every message sent so far durable; a failure fails the batch. */
    srr_rc (*flush)(void *ctx, srr_error *err);
} srr_commit_sink;

/* Completion of one submitted message, called once on the committer
 * thread: rc SRR_OK when durable, else the failure and a short reason
 * (valid during the call only). */
typedef void (*srr_commit_done_fn)(void *arg, srr_rc rc, const char *reason);

typedef struct srr_committer srr_committer;

/* Starts the committer thread over `sink` (copied; its ctx must outlive the
 * committer). `max_batch` bounds the messages per flush (0 = 1024). Returns
 * SRR_OK and *out (free with srr_committer_destroy), or SRR_ERR when the
 * thread cannot start. */
srr_rc srr_committer_create(const srr_commit_sink *sink, size_t max_batch, srr_committer **out,
                            srr_error *err);

/* Hands one message to the committer. Takes ownership of key and payload
 * (allocated with srr_malloc/srr_strdup; freed by the committer). `done`
 * is called exactly once, later, on the committer thread - also when the
 * committer is destroyed with the message still pending (it is then sent
 * and flushed first). */
void srr_committer_submit(srr_committer *c, char *key, char *payload, size_t len,
                          srr_commit_done_fn done, void *arg);

/* Lets each batch gather for linger_us after its first message (or until
 * max_batch are pending) before it is flushed: under load, several times
 * the alerts share a flush, for at most that much added latency. 0 (the
 * default) flushes as soon as the committer is free. */
void srr_committer_set_linger(srr_committer *c, unsigned linger_us);

/* 1 when the last flush succeeded (or none happened yet), else 0 and the
 * reason copied into err (may be NULL). For readiness checks. */
int srr_committer_healthy(srr_committer *c, srr_error *err);

/* Appends the Prometheus text of the committer's metrics:
 * srr_webhook_queue_confirmations_total{result}, srr_webhook_queue_batches_total,
 * srr_webhook_queue_confirmation_seconds (histogram), srr_webhook_queue_pending. */
void srr_committer_metrics(srr_committer *c, srr_buf *out);

/* Commits what is pending, stops and joins the thread, frees it; sets *c to
 * NULL. NULL-tolerant. */
void srr_committer_destroy(srr_committer **c);

#endif
