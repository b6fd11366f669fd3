/* SPDX-License-Identifier: Apache-2.0
 *
 * kafka_mock.h - librdkafka's mock cluster for the Kafka tests and the
 * writer benchmark: start a cluster with a candidates topic and its
 * dead-letter topic, build srr configs (in memory or as a YAML file for the
 * srr binary) pointing at it, read the dead-letter topic back, and dump a
 * store canonically to compare two runs. The cluster's bootstraps are real
 * TCP listeners on 127.0.0.1, so child processes can use them too.
 */
#ifndef SRR_KAFKA_MOCK_H
#define SRR_KAFKA_MOCK_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stddef.h>

#include "config.h"

typedef struct km_cluster {
    rd_kafka_t *owner;          /* the handle owning the cluster */
    rd_kafka_mock_cluster_t *mc;
    char *bootstraps;           /* "127.0.0.1:p1,..." */
    char *topic, *dlq_topic;
    int partitions;
} km_cluster;

/* Starts `brokers` mock brokers with `topic` (`partitions` partitions,
 * replication min(3, brokers)) and "<topic>.dlq" (1 partition). Aborts the
 * test on failure. Stop with km_stop(). */
km_cluster *km_start(int brokers, const char *topic, int partitions);
/* Stops the cluster and frees it; sets *km to NULL. NULL-tolerant. */
void km_stop(km_cluster **km);

/* A config using the cluster: backend kafka, group `group`, store.path `db`
 * (may be NULL), short session timeouts for tests, plus the extra rdkafka
 * settings given as "key", "value", ..., NULL. Free with km_config_free(). */
srr_config *km_config(const km_cluster *km, const char *group, const char *db, ...);
void km_config_free(srr_config *cfg);

/* Writes dir/srr.yaml for the srr binary with the same settings as
 * km_config (store.path = `db`). Returns the path (caller frees). */
char *km_write_yaml(const km_cluster *km, const char *dir, const char *group, const char *db);

/* Reads every message of the dead-letter topic (manual assignment, no
 * group). Returns the count; when reasons != NULL, *reasons is a new array
 * of the srr.dlq.reason headers (each and the array freed by the caller
 * with km_strings_free). */
size_t km_read_dlq(const km_cluster *km, char ***reasons);
void km_strings_free(char **v, size_t n);

/* Sum over the partitions of `topic` of the committed offsets of `group`
 * (a partition without a commit counts 0). */
long long km_committed(const km_cluster *km, const char *group);

/* A canonical text dump of every table of the store at `db`, to compare
 * two stores: every column except a table's own INTEGER `id` (which only
 * records the insertion order inside one transaction), rows sorted.
 * References to ids (record_id, risk_id, ...) are kept. Caller frees. */
char *km_store_dump(const char *db);

#endif
