/* SPDX-License-Identifier: Apache-2.0
 *
 * kafka_conf.c - the librdkafka configurations srr opens its Kafka handles
 * with (kafka_internal.h): srr's defaults, then the passthrough
 * queue.kafka.rdkafka settings, then the settings srr relies on, which a
 * passthrough value may not contradict (idempotence and acks=all for a
 * producer; no automatic offset commit or store, partition EOF for a
 * consumer, whose group is queue.kafka.group). librdkafka's log lines go
 * to srr's log. The producer and consumer of kafka.c and the rewinder of
 * kafka_rewind.c build on it; it calls neither.
 */
#include <librdkafka/rdkafka.h>
#include <string.h>

#include "kafka_internal.h"
#include "log.h"

/* librdkafka's log lines go to srr's log. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 3)
        srr_err("kafka %s: %s", fac, buf);
    else if (level == 4)
        srr_warn("kafka %s: %s", fac, buf);
    else
        srr_debug("kafka %s: %s", fac, buf);
}

/* Settings srr relies on: a passthrough value that contradicts one is an
 * error naming the setting. */
typedef struct forced {
    const char *key, *value, *why;
} forced;

static const forced PRODUCER_FORCED[] = {
    {"enable.idempotence", "true", "no loss and no duplicates on retries"},
    {"acks", "all", "a candidate counts only when every in-sync replica has it"},
    {"request.required.acks", "all", "a candidate counts only when every in-sync replica has it"},
};

static const forced CONSUMER_FORCED[] = {
    {"enable.auto.commit", "false", "offsets are committed only after the SQLite COMMIT"},
    {"enable.auto.offset.store", "false", "offsets are stored only after the SQLite COMMIT"},
    {"enable.partition.eof", "true", "srr drain --once stops at the end of every partition"},
};

static int same_value(const char *key, const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return 1;
    /* acks=all is also spelled -1 */
    if (strstr(key, "acks") && (strcmp(a, "-1") == 0 || strcmp(a, "all") == 0) &&
        (strcmp(b, "-1") == 0 || strcmp(b, "all") == 0))
        return 1;
    return 0;
}

static srr_rc conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, const char *what,
                       srr_error *err)
{
    char es[512];
    if (rd_kafka_conf_set(conf, key, value, es, sizeof(es)) != RD_KAFKA_CONF_OK)
        return srr_error_set(err, SRR_EINVAL, "%s%s: %s", what, key, es);
    return SRR_OK;
}

/* Builds a configuration: srr's defaults, then queue.kafka.rdkafka (each
 * checked against `fixed`), then the fixed settings. Returns SRR_EINVAL
 * naming the setting; on success *out is the caller's (handed to
 * rd_kafka_new, or rd_kafka_conf_destroy). */
static srr_rc conf_build(const srr_kafka_config *kc, const forced *fixed, size_t nfixed,
                         const char *const *defaults, rd_kafka_conf_t **out, srr_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    srr_rc rc = SRR_OK;
    size_t i, j;
    *out = NULL;
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if (!kc->brokers || !*kc->brokers) {
        rc = srr_error_set(err, SRR_EINVAL, "queue.kafka.brokers is empty");
        goto fail;
    }
    rc = conf_set(conf, "bootstrap.servers", kc->brokers, "queue.kafka.brokers: ", err);
    for (i = 0; rc == SRR_OK && defaults && defaults[i]; i += 2)
        rc = conf_set(conf, defaults[i], defaults[i + 1], "", err);
    for (i = 0; rc == SRR_OK && i < kc->nrdkafka; i++) {
        const srr_kv *kv = &kc->rdkafka[i];
        for (j = 0; j < nfixed; j++) {
            if (strcmp(kv->key, fixed[j].key) == 0 &&
                !same_value(kv->key, kv->value, fixed[j].value)) {
                rc = srr_error_set(err, SRR_EINVAL,
                                   "queue.kafka.rdkafka.%s: srr requires %s (%s), not '%s'",
                                   kv->key, fixed[j].value, fixed[j].why, kv->value);
                goto fail;
            }
        }
        rc = conf_set(conf, kv->key, kv->value ? kv->value : "", "queue.kafka.rdkafka.", err);
    }
    for (j = 0; rc == SRR_OK && j < nfixed; j++)
        if (strcmp(fixed[j].key, "request.required.acks") != 0)
            rc = conf_set(conf, fixed[j].key, fixed[j].value, "", err);
    if (rc != SRR_OK)
        goto fail;
    *out = conf;
    return SRR_OK;
fail:
    rd_kafka_conf_destroy(conf);
    return rc;
}

srr_rc srr_kafka_producer_conf(const srr_kafka_config *kc, const char *const *defaults,
                               rd_kafka_conf_t **out, srr_error *err)
{
    return conf_build(kc, PRODUCER_FORCED, sizeof(PRODUCER_FORCED) / sizeof(*PRODUCER_FORCED),
                      defaults, out, err);
}

srr_rc srr_kafka_consumer_conf(const srr_kafka_config *kc, const char *const *defaults,
                               rd_kafka_conf_t **out, srr_error *err)
{
    srr_rc rc = conf_build(kc, CONSUMER_FORCED, sizeof(CONSUMER_FORCED) / sizeof(*CONSUMER_FORCED),
                           defaults, out, err);
    if (rc == SRR_OK)
        rc = conf_set(*out, "group.id", kc->group, "queue.kafka.group: ", err);
    if (rc != SRR_OK && *out) {
        rd_kafka_conf_destroy(*out);
        *out = NULL;
    }
    return rc;
}
