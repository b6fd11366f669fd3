/* SPDX-License-Identifier: Apache-2.0
 *
 * kafka_mock.c - the mock Kafka cluster and helpers shared by the Kafka
 * tests and the writer benchmark (see kafka_mock.h).
 */
#include "kafka_mock.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Settings that keep group joins and end-of-partition detection short. */
static const char *const TEST_RDKAFKA[] = {"session.timeout.ms",  "3000",
                                           "heartbeat.interval.ms", "300",
                                           "fetch.wait.max.ms",   "50",
                                           "log_level",           "3",
                                           NULL};

km_cluster *km_start(int brokers, const char *topic, int partitions)
{
    km_cluster *km = srr_calloc(1, sizeof(*km));
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char es[512];
    rd_kafka_resp_err_t e;
    rd_kafka_conf_set(conf, "log_level", "3", es, sizeof(es));
    km->owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof(es));
    cr_assert_not_null(km->owner, "mock owner: %s", es);
    km->mc = rd_kafka_mock_cluster_new(km->owner, brokers);
    cr_assert_not_null(km->mc, "mock cluster");
    km->bootstraps = srr_strdup(rd_kafka_mock_cluster_bootstraps(km->mc));
    km->topic = srr_strdup(topic);
    km->dlq_topic = srr_asprintf("%s.dlq", topic);
    km->partitions = partitions;
    e = rd_kafka_mock_topic_create(km->mc, topic, partitions, brokers < 3 ? brokers : 3);
    cr_assert_eq(e, RD_KAFKA_RESP_ERR_NO_ERROR, "topic: %s", rd_kafka_err2str(e));
    e = rd_kafka_mock_topic_create(km->mc, km->dlq_topic, 1, brokers < 3 ? brokers : 3);
    cr_assert_eq(e, RD_KAFKA_RESP_ERR_NO_ERROR, "dlq topic: %s", rd_kafka_err2str(e));
    return km;
}

void km_stop(km_cluster **pkm)
{
    km_cluster *km = pkm ? *pkm : NULL;
    if (!km)
        return;
    rd_kafka_mock_cluster_destroy(km->mc);
    rd_kafka_destroy(km->owner);
    free(km->bootstraps);
    free(km->topic);
    free(km->dlq_topic);
    free(km);
    *pkm = NULL;
}

srr_config *km_config(const km_cluster *km, const char *group, const char *db, ...)
{
    srr_config *cfg = srr_calloc(1, sizeof(*cfg));
    srr_kafka_config *kc = &cfg->queue.kafka;
    size_t n = 0, i;
    const char *k;
    va_list ap;
    va_start(ap, db);
    while (va_arg(ap, const char *))
        n++;
    va_end(ap);
    for (i = 0; TEST_RDKAFKA[i]; i++)
        n++;
    cfg->queue.backend = srr_strdup("kafka");
    kc->brokers = srr_strdup(km->bootstraps);
    kc->topic = srr_strdup(km->topic);
    kc->dlq_topic = srr_strdup(km->dlq_topic);
    kc->group = srr_strdup(group);
    cfg->store.path = srr_strdup(db);
    kc->rdkafka = srr_calloc(n / 2 + 1, sizeof(*kc->rdkafka));
    for (i = 0; TEST_RDKAFKA[i]; i += 2) {
        kc->rdkafka[kc->nrdkafka].key = srr_strdup(TEST_RDKAFKA[i]);
        kc->rdkafka[kc->nrdkafka++].value = srr_strdup(TEST_RDKAFKA[i + 1]);
    }
    va_start(ap, db);
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        kc->rdkafka[kc->nrdkafka].key = srr_strdup(k);
        kc->rdkafka[kc->nrdkafka++].value = srr_strdup(v);
    }
    va_end(ap);
    return cfg;
}

void km_config_free(srr_config *cfg)
{
    size_t i;
    if (!cfg)
        return;
    for (i = 0; i < cfg->queue.kafka.nrdkafka; i++) {
        free(cfg->queue.kafka.rdkafka[i].key);
        free(cfg->queue.kafka.rdkafka[i].value);
    }
    free(cfg->queue.kafka.rdkafka);
    free(cfg->queue.kafka.brokers);
    free(cfg->queue.kafka.topic);
    free(cfg->queue.kafka.dlq_topic);
    free(cfg->queue.kafka.group);
    free(cfg->queue.backend);
    free(cfg->store.path);
    free(cfg);
}

char *km_write_yaml(const km_cluster *km, const char *dir, const char *group, const char *db)
{
    srr_buf b;
    char *text, *path;
    size_t i;
    srr_buf_init(&b, 0);
    srr_buf_printf(&b,
                   "queue:\n  backend: kafka\n  kafka:\n    brokers: \"%s\"\n    topic: \"%s\"\n"
                   "    dlq_topic: \"%s\"\n    group: \"%s\"\n    rdkafka:\n",
                   km->bootstraps, km->topic, km->dlq_topic, group);
    for (i = 0; TEST_RDKAFKA[i]; i += 2)
        srr_buf_printf(&b, "      %s: \"%s\"\n", TEST_RDKAFKA[i], TEST_RDKAFKA[i + 1]);
    srr_buf_printf(&b, "store:\n  path: \"%s\"\n", db);
    text = srr_buf_steal(&b);
    path = tu_write_file(dir, "srr.yaml", text);
    free(text);
    return path;
}

static rd_kafka_t *plain_consumer(const km_cluster *km, const char *group)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char es[512];
    rd_kafka_t *rk;
    cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", km->bootstraps, es, sizeof(es)),
                 RD_KAFKA_CONF_OK, "%s", es);
    rd_kafka_conf_set(conf, "group.id", group, es, sizeof(es));
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", es, sizeof(es));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", es, sizeof(es));
    rd_kafka_conf_set(conf, "log_level", "3", es, sizeof(es));
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, es, sizeof(es));
    cr_assert_not_null(rk, "%s", es);
    return rk;
}

size_t km_read_dlq(const km_cluster *km, char ***reasons)
{
    rd_kafka_t *rk = plain_consumer(km, "km-dlq-reader");
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    size_t n = 0, cap = 0;
    int tries = 0;
    rd_kafka_topic_partition_list_add(l, km->dlq_topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    cr_assert_eq(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
    if (reasons)
        *reasons = NULL;
    while (tries < 100) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            tries++;
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(m);
            break;
        }
        if (!m->err) {
            rd_kafka_headers_t *h = NULL;
            const void *v = NULL;
            size_t vl = 0;
            if (reasons) {
                if (n == cap) {
                    cap = cap ? 2 * cap : 8;
                    *reasons = srr_realloc(*reasons, cap * sizeof(**reasons));
                }
                (*reasons)[n] = NULL;
                if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                    rd_kafka_header_get_last(h, "srr.dlq.reason", &v, &vl) ==
                        RD_KAFKA_RESP_ERR_NO_ERROR)
                    (*reasons)[n] = srr_strndup(v, vl);
                else
                    (*reasons)[n] = srr_strdup("");
            }
            n++;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return n;
}

void km_strings_free(char **v, size_t n)
{
    size_t i;
    for (i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

long long km_committed(const km_cluster *km, const char *group)
{
    rd_kafka_t *rk = plain_consumer(km, group);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(km->partitions);
    long long sum = 0;
    rd_kafka_resp_err_t e;
    int i;
    for (i = 0; i < km->partitions; i++)
        rd_kafka_topic_partition_list_add(l, km->topic, i);
    e = rd_kafka_committed(rk, l, 10000);
    cr_assert_eq(e, RD_KAFKA_RESP_ERR_NO_ERROR, "committed: %s", rd_kafka_err2str(e));
    for (i = 0; i < l->cnt; i++)
        if (l->elems[i].offset > 0)
            sum += l->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return sum;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *km_store_dump(const char *db)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *t = NULL;
    srr_buf out;
    int rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL);
    cr_assert_eq(rc, SQLITE_OK, "open %s", db);
    srr_buf_init(&out, 0);
    rc = sqlite3_prepare_v2(h,
                            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                            "LIKE 'sqlite_%' ORDER BY name",
                            -1, &t, NULL);
    cr_assert_eq(rc, SQLITE_OK);
    while (sqlite3_step(t) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(t, 0);
        char *sql = srr_asprintf("SELECT * FROM \"%s\"", name);
        sqlite3_stmt *s = NULL;
        char **lines = NULL;
        size_t n = 0, cap = 0, i;
        cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK, "%s", sql);
        while (sqlite3_step(s) == SQLITE_ROW) {
            srr_buf line;
            int c;
            srr_buf_init(&line, 0);
            for (c = 0; c < sqlite3_column_count(s); c++) {
                const unsigned char *v;
                const char *type = sqlite3_column_decltype(s, c);
                /* a row's own INTEGER id only says in which order rows of
                 * one transaction were inserted (good candidates and poison
                 * of a batch); references to ids are kept */
                if (strcmp(sqlite3_column_name(s, c), "id") == 0 && type &&
                    strcmp(type, "INTEGER") == 0)
                    continue;
                v = sqlite3_column_text(s, c);
                srr_buf_printf(&line, "%s|", v ? (const char *)v : "NULL");
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                lines = srr_realloc(lines, cap * sizeof(*lines));
            }
            lines[n++] = srr_buf_steal(&line);
        }
        sqlite3_finalize(s);
        if (n)
            qsort(lines, n, sizeof(*lines), cmp_str);
        srr_buf_printf(&out, "== %s (%zu rows)\n", name, n);
        for (i = 0; i < n; i++) {
            srr_buf_printf(&out, "%s\n", lines[i]);
            free(lines[i]);
        }
        free(lines);
        free(sql);
    }
    sqlite3_finalize(t);
    sqlite3_close(h);
    return srr_buf_steal(&out);
}
