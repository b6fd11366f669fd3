/* SPDX-License-Identifier: Apache-2.0
 *
 * queue.h - the candidate queue between producers (sweep, webhook) and the
 * writer. One interface, two backends: the local durable spool (embedded
 * default, store/queue/spool.c) and Kafka (store/queue/kafka.c), chosen by
 * cfg->queue.backend.
 *
 * Producer contract: srr_producer_send() buffers; a message counts as queued
 * only once srr_producer_flush() has returned SRR_OK (spool: written and
 * fsync'ed; Kafka: delivery report with acks=all).
 *
 * Consumer contract: srr_consumer_poll() returns a batch; after the caller
 * has durably applied it, srr_consumer_commit() records that the batch is
 * done. A crash between the two redelivers the batch (at-least-once); the
 * store's idempotence makes that harmless. Poison messages are quarantined
 * by the writer and handed to srr_consumer_dead_letter() (Kafka: produced to
 * the dead-letter topic; spool: the quarantine table is the dead letter).
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

/* Opens the producer for cfg->queue (backend "spool" or "kafka"). Returns
 * SRR_EINVAL for a bad queue configuration (the message names the
 * setting). *out is closed with srr_producer_close(), which flushes first. */
srr_rc srr_producer_open(const srr_config *cfg, srr_producer **out, srr_error *err);
/* Queues one message (key = fingerprint, payload = candidate JSON). Both are
 * copied. Returns SRR_RETRY when the queue is full or unavailable. */
srr_rc srr_producer_send(srr_producer *p, const char *key, const char *payload, size_t len,
                         srr_error *err);
/* Makes every message sent so far durable. SRR_OK means all are confirmed
 * (spool: fsync'ed; Kafka: every delivery report arrived without error).
 * Otherwise the message counts what was not confirmed; Kafka says how many
 * were NOT_PERSISTED (safe to send again) and how many POSSIBLY_PERSISTED
 * (not re-sent by srr; a resend is harmless only because the writer is
 * idempotent by candidate id). SRR_RETRY for transient failures. */
srr_rc srr_producer_flush(srr_producer *p, srr_error *err);
void srr_producer_close(srr_producer **p);

srr_rc srr_consumer_open(const srr_config *cfg, srr_consumer **out, srr_error *err);
/* Returns up to `max` messages (possibly 0 after waiting up to timeout_ms).
 * *msgs points into the consumer's memory. A corrupt record in the spool is
 * returned as a message with payload of what could be read and is the
 * caller's to quarantine; it never stops the queue. */
srr_rc srr_consumer_poll(srr_consumer *c, size_t max, int timeout_ms, const srr_message **msgs,
                         size_t *n, srr_error *err);
/* Marks everything returned by the last poll as done (durably). Kafka: first
 * waits for the dead letters of the batch to be confirmed, then stores the
 * batch's offsets and commits them synchronously. SRR_RETRY when the group
 * was rebalancing (the offsets stay stored and go with the next commit; a
 * redelivery is harmless); any other failure is permanent. */
srr_rc srr_consumer_commit(srr_consumer *c, srr_error *err);
/* Hands a poison message of the current batch (m points into the last
 * poll's array) to the backend's dead-letter channel with its reason.
 * Kafka: produced to queue.kafka.dlq_topic with the reason and source
 * position in headers, confirmed before the next commit returns. Spool: a
 * no-op (the quarantine table is its dead-letter store). Returns SRR_OK or
 * the produce error. */
srr_rc srr_consumer_dead_letter(srr_consumer *c, const srr_message *m, const char *reason,
                                srr_error *err);
/* For --once: returns 1 when everything that was in the queue has been
 * returned (spool: the last poll returned nothing; Kafka: every assigned
 * partition reached its end), 0 when not yet, or a negative srr_rc (with
 * err set) when the end cannot be reached (Kafka: no partition assigned, or
 * no progress, for a bounded time). */
int srr_consumer_at_end(srr_consumer *c, srr_error *err);
/* Name of the backend ("spool", "kafka"): the origin of quarantine rows.
 * Static string. */
const char *srr_consumer_origin(const srr_consumer *c);
void srr_consumer_close(srr_consumer **c);

/* ---- positions, for backup and restore ----------------------------------- */

/* Where the writer resumes in one partition: the first record the store
 * does not hold yet. */
typedef struct srr_queue_pos {
    int partition;   /* spool: 0 */
    int64_t offset;  /* spool: byte offset; Kafka: the partition's offset */
    int64_t records; /* spool: records consumed before offset since the spool's counter
                        started (-1 unknown); Kafka: -1 */
} srr_queue_pos;

/* The position a commit of the last poll's batch records, one entry per
 * partition the batch touched (none when the poll returned nothing).
 * *key names the queue the positions belong to ("spool", or
 * "kafka:<topic>"); the array and key stay valid until the next poll,
 * commit or close. The writer stores them in the batch's own SQLite
 * transaction. */
void srr_consumer_position(srr_consumer *c, const char **key, const srr_queue_pos **pos,
                           size_t *n);

/* Moving the queue's read position back (srr restore). A rewinder holds
 * the consumer side of the queue while it exists (spool: the consumer
 * lock; Kafka: refuses a group with active members), so no writer can
 * start in between. */
typedef struct srr_rewinder srr_rewinder;

/* What a rewind to a set of positions would do. */
typedef struct srr_rewind_plan {
    long long out_of_reach;       /* records queued after the position that the queue no
                                     longer holds; -1 when it holds too little to count them */
    long long out_of_reach_bytes; /* spool: bytes no longer held; Kafka: 0 */
    long long replay;             /* records the writer will read again (-1 unknown) */
    char detail[512];             /* per-partition account for people */
} srr_rewind_plan;

/* Opens the rewinder for cfg's queue. *key (static or owned by the
 * rewinder) is the position key of this queue (see srr_consumer_position).
 * Returns SRR_ECONFLICT, naming who, while a writer consumes the queue. */
srr_rc srr_rewinder_open(const srr_config *cfg, srr_rewinder **out, const char **key,
                         srr_error *err);
/* Fills *plan for rewinding to pos[0..n) (partitions not listed: their
 * beginning). Changes nothing. */
srr_rc srr_rewinder_check(srr_rewinder *r, const srr_queue_pos *pos, size_t n,
                          srr_rewind_plan *plan, srr_error *err);
/* Moves the read position to pos[0..n) (partitions not listed: their
 * beginning; a position the queue no longer holds: the oldest record it
 * holds). Returns SRR_OK once it is durable. */
srr_rc srr_rewinder_apply(srr_rewinder *r, const srr_queue_pos *pos, size_t n, srr_error *err);
void srr_rewinder_close(srr_rewinder **r);

#endif
