/* SPDX-License-Identifier: Apache-2.0
 *
 * queue_backend.h - the small vtable behind queue.h (internal to store/).
 * queue.c owns the public handles and dispatches every call to the backend
 * named by cfg->queue.backend; a backend only fills this table: the local
 * durable spool (spool.c) and Kafka (kafka.c). Optional entries may be NULL
 * (queue.c supplies the default behaviour).
 */
#ifndef SRR_QUEUE_BACKEND_H
#define SRR_QUEUE_BACKEND_H

#include "queue.h"

typedef struct srr_queue_backend {
    const char *name; /* value of queue.backend */
    /* Producer side. `impl` is the backend's private state. */
    srr_rc (*producer_open)(const srr_config *cfg, void **impl, srr_error *err);
    srr_rc (*send)(void *impl, const char *key, const char *payload, size_t len, srr_error *err);
    srr_rc (*flush)(void *impl, srr_error *err);
    void (*producer_close)(void *impl); /* flushes first; NULL-tolerant */
    /* Consumer side. */
    srr_rc (*consumer_open)(const srr_config *cfg, void **impl, srr_error *err);
    srr_rc (*poll)(void *impl, size_t max, int timeout_ms, const srr_message **msgs, size_t *n,
                   srr_error *err);
    srr_rc (*commit)(void *impl, srr_error *err);
    void (*consumer_close)(void *impl); /* NULL-tolerant */
    /* Optional. NULL: dead letters are a no-op. */
    srr_rc (*dead_letter)(void *impl, const srr_message *m, const char *reason, srr_error *err);
    /* Optional. NULL: at the end when the last poll returned nothing. */
    int (*at_end)(void *impl, srr_error *err);
    /* Backup and restore (queue.h). position: of the last poll's batch. */
    void (*position)(void *impl, const char **key, const srr_queue_pos **pos, size_t *n);
    srr_rc (*rewind_open)(const srr_config *cfg, void **impl, const char **key, srr_error *err);
    srr_rc (*rewind_check)(void *impl, const srr_queue_pos *pos, size_t n, srr_rewind_plan *plan,
                           srr_error *err);
    srr_rc (*rewind_apply)(void *impl, const srr_queue_pos *pos, size_t n, srr_error *err);
    void (*rewind_close)(void *impl);
} srr_queue_backend;

extern const srr_queue_backend srr_spool_backend;
extern const srr_queue_backend srr_kafka_backend;

#endif
