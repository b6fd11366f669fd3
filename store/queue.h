/* SPDX-License-Identifier: Apache-2.0
 *
 * queue.h - the candidate queue between producers (sweep, webhook) and the
 * writer. One interface, two backends: the local durable spool (embedded
 * default, store/spool.c) and Kafka (a later issue).
 *
 * Producer contract: srr_producer_send() buffers; a message counts as queued
 * only once srr_producer_flush() has returned SRR_OK (spool: written and
 * fsync'ed; Kafka: delivery report with acks=all).
 *
 * Consumer contract: srr_consumer_poll() returns a batch; after the caller
 * has durably applied it, srr_consumer_commit() records that the batch is
 * done. A crash between the two redelivers the batch (at-least-once); the
 * store's idempotence makes that harmless.
 */
#ifndef SRR_QUEUE_H
#define SRR_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "srr.h"

typedef struct srr_producer srr_producer;
typedef struct srr_consumer srr_consumer;

/* One queued message, as the consumer sees it. Memory belongs to the
 * consumer and stays valid until the next poll, commit or close. */
typedef struct srr_message {
    const char *key;
    size_t keylen;
    const char *payload;
    size_t len;
    int64_t offset;             /* position in the queue (spool: byte offset) */
    int partition;              /* spool: 0 */
    const char *corrupt_reason; /* NULL normally; set when the record was
                                   corrupt: payload then holds the raw bytes
                                   that could be read (bounded), key is NULL,
                                   and the caller quarantines it */
} srr_message;

/* Opens the producer for cfg->queue (backend "spool"; "kafka" returns
 * SRR_EINVAL until that backend exists). *out is closed with
 * srr_producer_close(), which flushes first. */
srr_rc srr_producer_open(const srr_config *cfg, srr_producer **out, srr_error *err);
/* Queues one message (key = fingerprint, payload = candidate JSON). Both are
 * copied. Returns SRR_RETRY when the queue is full or unavailable. */
srr_rc srr_producer_send(srr_producer *p, const char *key, const char *payload, size_t len,
                         srr_error *err);
/* Makes every message sent so far durable. SRR_OK means all are confirmed. */
srr_rc srr_producer_flush(srr_producer *p, srr_error *err);
void srr_producer_close(srr_producer **p);

srr_rc srr_consumer_open(const srr_config *cfg, srr_consumer **out, srr_error *err);
/* Returns up to `max` messages (possibly 0 after waiting up to timeout_ms).
 * *msgs points into the consumer's memory. A corrupt record in the spool is
 * returned as a message with payload of what could be read and is the
 * caller's to quarantine; it never stops the queue. */
srr_rc srr_consumer_poll(srr_consumer *c, size_t max, int timeout_ms, const srr_message **msgs,
                         size_t *n, srr_error *err);
/* Marks everything returned by the last poll as done (durably). */
srr_rc srr_consumer_commit(srr_consumer *c, srr_error *err);
void srr_consumer_close(srr_consumer **c);

#endif
