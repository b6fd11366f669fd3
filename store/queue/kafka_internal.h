/* SPDX-License-Identifier: Apache-2.0
 *
 * kafka_internal.h - what kafka.c shares with kafka_rewind.c (the rewind
 * that `srr restore` uses), internal to store/queue/.
 */
#ifndef SRR_KAFKA_INTERNAL_H
#define SRR_KAFKA_INTERNAL_H

#include <librdkafka/rdkafka.h>

#include "queue.h"

#define KAFKA_METADATA_MS 10000 /* metadata and watermark queries */

/* A consumer configuration for kc: srr's defaults and forced settings,
 * the passthrough ones, group.id = kc->group. *out is the caller's
 * (rd_kafka_new takes it). Returns SRR_EINVAL naming a bad setting. */
srr_rc srr_kafka_consumer_conf(const srr_kafka_config *kc, rd_kafka_conf_t **out, srr_error *err);

/* Kafka's rewinder (queue_backend.h): the writers' group moved back to
 * the offsets a backup recorded. */
srr_rc srr_kafka_rewind_open(const srr_config *cfg, void **impl, const char **key, srr_error *err);
srr_rc srr_kafka_rewind_check(void *impl, const srr_queue_pos *pos, size_t n, srr_rewind_plan *plan,
                              srr_error *err);
srr_rc srr_kafka_rewind_apply(void *impl, const srr_queue_pos *pos, size_t n, srr_error *err);
void srr_kafka_rewind_close(void *impl);

#endif
