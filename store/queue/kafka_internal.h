/* SPDX-License-Identifier: Apache-2.0
 *
 * kafka_internal.h - what the Kafka files of store/queue/ share, internal
 * to it: the configurations of kafka_conf.c, which the backend (kafka.c)
 * and the rewind that `srr restore` uses (kafka_rewind.c) both open their
 * handles with, and that rewind, which kafka.c's backend table names.
 */
#ifndef SRR_KAFKA_INTERNAL_H
#define SRR_KAFKA_INTERNAL_H

#include <librdkafka/rdkafka.h>

#include "queue.h"

#define KAFKA_METADATA_MS 10000 /* metadata and watermark queries */

/* A producer configuration for kc: bootstrap.servers, then defaults (NULL
 * or key, value, ..., NULL), then the passthrough settings, then the
 * forced ones (idempotence, acks=all), librdkafka's log sent to srr's.
 * Returns SRR_OK with *out the caller's (rd_kafka_new takes it, else
 * rd_kafka_conf_destroy), or SRR_EINVAL naming a bad or contradicting
 * setting with *out NULL. (kafka_conf.c, as the next.) */
srr_rc srr_kafka_producer_conf(const srr_kafka_config *kc, const char *const *defaults,
                               rd_kafka_conf_t **out, srr_error *err);
/* A consumer configuration for kc, built the same way with the consumer's
 * forced settings (no automatic offset commit or store, partition EOF)
 * and group.id = kc->group. Returns as srr_kafka_producer_conf. */
srr_rc srr_kafka_consumer_conf(const srr_kafka_config *kc, const char *const *defaults,
                               rd_kafka_conf_t **out, srr_error *err);

/* Kafka's rewinder (queue_backend.h): the writers' group moved back to
 * the offsets a backup recorded. */
srr_rc srr_kafka_rewind_open(const srr_config *cfg, void **impl, const char **key, srr_error *err);
srr_rc srr_kafka_rewind_check(void *impl, const srr_queue_pos *pos, size_t n, srr_rewind_plan *plan,
                              srr_error *err);
srr_rc srr_kafka_rewind_apply(void *impl, const srr_queue_pos *pos, size_t n, srr_error *err);
void srr_kafka_rewind_close(void *impl);

#endif
