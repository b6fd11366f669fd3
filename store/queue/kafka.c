/* SPDX-License-Identifier: Apache-2.0
 *
 * kafka.c - the Kafka queue backend (queue_backend.h) on librdkafka: the
 * idempotent producer that sweepers and webhook receivers queue candidates
 * with, and the consumer-group reader the writer drains the topic with.
 *
 * Producer. enable.idempotence=true and acks=all are forced (a passthrough
 * setting that contradicts them is a configuration error). Key = the
 * candidate's fingerprint, so everything about one fingerprint is ordered on
 * one partition; value = the candidate JSON; headers srr.schema (the
 * document's "schema", e.g. srr.candidate/1) and srr.source (the signal's
 * source, e.g. datadog.metrics). A message counts only once its delivery
 * report arrived without error: srr_producer_flush() waits for every report
 * and fails when any message was not confirmed, telling NOT_PERSISTED (the
 * broker surely does not have it: safe to send again) from
 * POSSIBLY_PERSISTED (it may be in the log). srr never re-produces either by
 * itself: librdkafka already retried within message.timeout.ms, and the
 * caller (the sweep exits non-zero, the webhook answers 5xx) decides; a
 * later resend of a possibly persisted candidate is harmless only because
 * the writer is idempotent by candidate id. QUEUE_FULL is answered by
 * serving delivery reports for a bounded time, then SRR_RETRY. A fatal
 * idempotence error (rd_kafka_fatal_error) makes every later call fail at
 * once: the handle is unusable and must be closed, never looped on.
 *
 * Consumer. A member of queue.kafka.group with enable.auto.commit=false and
 * enable.auto.offset.store=false: a poll returns a batch of messages that
 * the consumer keeps alive until the next poll, commit or close; commit
 * first waits for the batch's dead letters, then stores the offsets of the
 * batch (last + 1 per partition) and commits them synchronously - the
 * writer calls it only after the SQLite COMMIT, so a committed offset is
 * never past what is stored. Rebalances happen inside rd_kafka_consumer_poll
 * only: on revoke the messages of the revoked partitions that were gathered
 * for the batch being built are dropped (not stored, not committed: the new
 * owner reads them again from the committed offset), any offsets still
 * pending from a commit that failed are committed while the generation is
 * still valid, then the partitions are released. Works with the eager and
 * the cooperative protocols.
 *
 * Dead letters go through a second idempotent producer opened with the
 * consumer (when queue.kafka.dlq_topic is set).
 *
 * For tests and single-writer deployments, SRR_KAFKA_ASSIGN=all (environment)
 * replaces the group subscription by a manual assignment of every partition
 * of the topic from the group's committed offsets: no join, no rebalance
 * delay, commits still go to queue.kafka.group.
 *
 * --once: enable.partition.eof is on; srr_consumer_at_end() is true once
 * every assigned partition reported its end and nothing arrived since.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "kafka_internal.h"
#include "queue_backend.h"

#define KAFKA_QUEUE_FULL_WAIT_MS 5000 /* bounded wait on a full producer queue */
#define KAFKA_CLOSE_FLUSH_MS 30000    /* producer close: longest wait for reports */
#define KAFKA_ASSIGN_WAIT_MS 60000    /* --once: longest wait for an assignment */
#define KAFKA_ONCE_IDLE_MS 60000      /* --once: longest time without progress */
#define KAFKA_REASON_MAX 1000         /* bytes of a dead letter's reason header */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* Producer                                                            */

/* Delivery outcome counters since the last flush. Delivery reports are
 * served by rd_kafka_poll/rd_kafka_flush on the caller's thread, so no lock
 * is needed. */
typedef struct kdelivery {
    size_t sent, confirmed, not_persisted, possibly_persisted;
    rd_kafka_resp_err_t first_err;
    int all_retriable; /* every failure so far was a transient one */
} kdelivery;

typedef struct kproducer {
    rd_kafka_t *rk;
    char *topic;
    kdelivery d;
} kproducer;

static int err_is_transient(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        return 1;
    default: return 0;
    }
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    kdelivery *d = opaque;
    (void)rk;
    if (!m->err) {
        d->confirmed++;
        return;
    }
    if (rd_kafka_message_status(m) == RD_KAFKA_MSG_STATUS_NOT_PERSISTED)
        d->not_persisted++;
    else
        d->possibly_persisted++;
    if (!d->first_err)
        d->first_err = m->err;
    if (!err_is_transient(m->err))
        d->all_retriable = 0;
}

/* Returns SRR_ERR (message set) when the handle hit a fatal error. */
static srr_rc check_fatal(rd_kafka_t *rk, const char *what, srr_error *err)
{
    char es[512];
    rd_kafka_resp_err_t fe = rd_kafka_fatal_error(rk, es, sizeof(es));
    if (!fe)
        return SRR_OK;
    return srr_error_set(err, SRR_ERR,
                         "kafka %s: fatal error %s: %s (the handle is unusable; restart)", what,
                         rd_kafka_err2name(fe), es);
}

/* Opens an idempotent producer for `topic`, delivery reports counted into
 * *d. Returns SRR_EINVAL naming a bad setting. */
static srr_rc producer_new(const srr_kafka_config *kc, kdelivery *d, rd_kafka_t **out,
                           srr_error *err)
{
    static const char *const defaults[] = {"linger.ms", "1", "client.id", "srr", NULL};
    rd_kafka_conf_t *conf = NULL;
    char es[512];
    srr_rc rc = srr_kafka_producer_conf(kc, defaults, &conf, err);
    if (rc != SRR_OK)
        return rc;
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, d);
    *out = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof(es));
    if (!*out) {
        rd_kafka_conf_destroy(conf); /* not taken over on failure */
        return srr_error_set(err, SRR_EINVAL, "kafka producer: %s", es);
    }
    d->all_retriable = 1;
    return SRR_OK;
}

static srr_rc kafka_producer_open(const srr_config *cfg, void **impl, srr_error *err)
{
    const srr_kafka_config *kc = &cfg->queue.kafka;
    kproducer *p;
    srr_rc rc;
    if (!kc->topic || !*kc->topic)
        return srr_error_set(err, SRR_EINVAL, "queue.kafka.topic is empty");
    p = srr_calloc(1, sizeof(*p));
    rc = producer_new(kc, &p->d, &p->rk, err);
    if (rc != SRR_OK) {
        free(p);
        return rc;
    }
    p->topic = srr_strdup(kc->topic);
    *impl = p;
    return SRR_OK;
}

/* Copies the string value of the first "name":"..." in a compact JSON
 * document into out (bounded). srr's own candidate JSON is compact and has
 * "schema" first; a quote inside a string is escaped, so "\"name\":\"" can
 * only be a key. Informational headers only: the writer reads the JSON. */
static void json_peek(const char *doc, size_t len, const char *name, char *out, size_t cap)
{
    char pat[64];
    size_t pl, i;
    snprintf(out, cap, "unknown");
    pl = (size_t)snprintf(pat, sizeof(pat), "\"%s\":\"", name);
    if (len < pl)
        return;
    for (i = 0; i + pl <= len; i++) {
        if (doc[i] == '"' && memcmp(doc + i, pat, pl) == 0) {
            size_t s = i + pl, e = s;
            while (e < len && doc[e] != '"' && doc[e] != '\\' && e - s + 1 < cap)
                e++;
            if (e < len && doc[e] == '"') {
                memcpy(out, doc + s, e - s);
                out[e - s] = '\0';
            }
            return;
        }
    }
}

/* Produces one message, answering QUEUE_FULL by serving delivery reports for
 * at most KAFKA_QUEUE_FULL_WAIT_MS. `hdrs` is taken over in every case. */
static srr_rc produce(rd_kafka_t *rk, const char *topic, const char *key, size_t keylen,
                      const void *payload, size_t len, rd_kafka_headers_t *hdrs, srr_error *err)
{
    int64_t start = mono_ms();
    rd_kafka_resp_err_t e;
    srr_rc rc = check_fatal(rk, "producer", err);
    if (rc != SRR_OK) {
        rd_kafka_headers_destroy(hdrs);
        return rc;
    }
    for (;;) {
        e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, keylen),
                              RD_KAFKA_V_VALUE((void *)payload, len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs),
                              RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || mono_ms() - start >= KAFKA_QUEUE_FULL_WAIT_MS)
            break;
        rd_kafka_poll(rk, 50); /* delivery reports free room in the queue */
    }
    if (!e) {
        rd_kafka_poll(rk, 0); /* serve reports as we go; hdrs now librdkafka's */
        return SRR_OK;
    }
    rd_kafka_headers_destroy(hdrs); /* not taken over on failure */
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        return srr_error_set(err, SRR_RETRY,
                             "kafka: the producer queue stayed full for %d ms "
                             "(queue.buffering.max.messages/kbytes); try again later",
                             KAFKA_QUEUE_FULL_WAIT_MS);
    if (e == RD_KAFKA_RESP_ERR__FATAL)
        return check_fatal(rk, "producer", err);
    if (e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        return srr_error_set(err, SRR_EINVAL,
                             "kafka: message of %zu bytes is larger than message.max.bytes", len);
    return srr_error_set(err, err_is_transient(e) ? SRR_RETRY : SRR_EIO, "kafka produce to %s: %s",
                         topic, rd_kafka_err2str(e));
}

static srr_rc kafka_send(void *impl, const char *key, const char *payload, size_t len,
                         srr_error *err)
{
    kproducer *p = impl;
    char schema[64], source[64];
    rd_kafka_headers_t *h = rd_kafka_headers_new(2);
    srr_rc rc;
    json_peek(payload, len, "schema", schema, sizeof(schema));
    json_peek(payload, len, "source", source, sizeof(source));
    rd_kafka_header_add(h, "srr.schema", -1, schema, -1);
    rd_kafka_header_add(h, "srr.source", -1, source, -1);
    rc = produce(p->rk, p->topic, key, key ? strlen(key) : 0, payload, len, h, err);
    if (rc == SRR_OK)
        p->d.sent++;
    return rc;
}

/* Waits until every message handed to rk has its delivery report (bounded by
 * message.timeout.ms inside librdkafka), stopping early on a fatal error. */
static srr_rc wait_reports(rd_kafka_t *rk, const char *what, srr_error *err)
{
    while (rd_kafka_outq_len(rk) > 0) {
        srr_rc rc = check_fatal(rk, what, err);
        if (rc != SRR_OK)
            return rc;
        rd_kafka_flush(rk, 200);
    }
    return check_fatal(rk, what, err);
}

/* Turns the delivery counters since the last flush into a result; resets
 * them. */
static srr_rc delivery_result(kdelivery *d, const char *what, srr_error *err)
{
    size_t failed = d->not_persisted + d->possibly_persisted;
    srr_rc rc = SRR_OK;
    if (failed > 0)
        rc = srr_error_set(
            err, d->all_retriable ? SRR_RETRY : SRR_EIO,
            "kafka %s: %zu of %zu message(s) not confirmed (%s): %zu NOT_PERSISTED (safe to "
            "send again), %zu POSSIBLY_PERSISTED (may be in the log; not re-sent - a resend is "
            "harmless only because the writer is idempotent by candidate id)",
            what, failed, d->sent, rd_kafka_err2name(d->first_err), d->not_persisted,
            d->possibly_persisted);
    d->sent = d->confirmed = d->not_persisted = d->possibly_persisted = 0;
    d->first_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    d->all_retriable = 1;
    return rc;
}

static srr_rc kafka_flush(void *impl, srr_error *err)
{
    kproducer *p = impl;
    srr_rc rc = wait_reports(p->rk, "producer", err);
    srr_error derr = {0};
    srr_rc drc = delivery_result(&p->d, "producer", &derr);
    if (rc != SRR_OK)
        return rc;
    if (drc != SRR_OK && err)
        *err = derr;
    return drc;
}

static void kafka_producer_close(void *impl)
{
    kproducer *p = impl;
    if (!p)
        return;
    if (rd_kafka_flush(p->rk, KAFKA_CLOSE_FLUSH_MS) != RD_KAFKA_RESP_ERR_NO_ERROR)
        srr_warn("kafka producer: %d message(s) still unconfirmed at close",
                 rd_kafka_outq_len(p->rk));
    if (p->d.not_persisted + p->d.possibly_persisted > 0)
        srr_warn("kafka producer: %zu message(s) failed since the last flush",
                 p->d.not_persisted + p->d.possibly_persisted);
    rd_kafka_destroy(p->rk);
    free(p->topic);
    free(p);
}

/* ------------------------------------------------------------------ */
/* Consumer                                                            */

typedef struct kpart {
    int assigned;
    int eof; /* reached the end and nothing arrived since */
} kpart;

typedef struct kconsumer {
    rd_kafka_t *rk;
    rd_kafka_t *dlq; /* idempotent producer for dead letters, opened lazily */
    kdelivery dlq_d;
    char *topic, *dlq_topic, *brokers, *group;
    rd_kafka_message_t **held; /* the current batch, owned until the next poll */
    size_t nheld, cap;
    srr_message *msgs;
    kpart *parts;
    int nparts;
    int manual;          /* SRR_KAFKA_ASSIGN: manual assignment */
    int have_assignment; /* something was assigned at least once */
    int commit_pending;  /* offsets stored but the last commit failed */
    int64_t opened_ms, progress_ms;
    char *poskey;        /* "kafka:<topic>", the key of srr_consumer_position */
    srr_queue_pos *pos;  /* the last batch's next offsets, per partition */
    size_t npos, cappos;
} kconsumer;

static kpart *part_get(kconsumer *k, int p)
{
    if (p < 0)
        return NULL;
    if (p >= k->nparts) {
        int n = p + 1;
        k->parts = srr_realloc(k->parts, (size_t)n * sizeof(*k->parts));
        memset(k->parts + k->nparts, 0, (size_t)(n - k->nparts) * sizeof(*k->parts));
        k->nparts = n;
    }
    return &k->parts[p];
}

static void release_batch(kconsumer *k)
{
    size_t i;
    for (i = 0; i < k->nheld; i++)
        rd_kafka_message_destroy(k->held[i]);
    k->nheld = 0;
}

/* Marks partitions of our topic (un)assigned. */
static void mark_parts(kconsumer *k, const rd_kafka_topic_partition_list_t *l, int assigned)
{
    int i;
    for (i = 0; l && i < l->cnt; i++) {
        kpart *p;
        if (strcmp(l->elems[i].topic, k->topic) != 0)
            continue;
        p = part_get(k, l->elems[i].partition);
        if (p) {
            p->assigned = assigned;
            p->eof = 0;
        }
    }
    if (assigned && l && l->cnt > 0)
        k->have_assignment = 1;
    k->progress_ms = mono_ms();
}

/* Commits the stored offsets synchronously. Returns SRR_OK (also when there
 * was nothing to commit), SRR_RETRY for a rebalance or coordinator change
 * (the offsets stay stored), SRR_EIO otherwise. */
static srr_rc commit_stored(kconsumer *k, srr_error *err)
{
    rd_kafka_resp_err_t e = rd_kafka_commit(k->rk, NULL, 0);
    switch (e) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
    case RD_KAFKA_RESP_ERR__NO_OFFSET:
        k->commit_pending = 0;
        return SRR_OK;
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
        k->commit_pending = 1;
        return srr_error_set(err, SRR_RETRY,
                             "kafka commit: %s (stored in SQLite; the offsets go with the next "
                             "commit, or the batch is redelivered and changes nothing)",
                             rd_kafka_err2name(e));
    default:
        k->commit_pending = 1;
        return srr_error_set(err, SRR_EIO, "kafka commit: %s", rd_kafka_err2str(e));
    }
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    kconsumer *k = opaque;
    int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        srr_info("kafka: %d partition(s) assigned", parts->cnt);
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        mark_parts(k, parts, 1);
        return;
    }
    /* Revoked (or lost): abandon the gathered messages of these partitions;
     * they are neither stored nor committed, the next owner reads them. */
    {
        size_t i, kept = 0;
        for (i = 0; i < k->nheld; i++) {
            rd_kafka_message_t *m = k->held[i];
            if (rd_kafka_topic_partition_list_find(parts, rd_kafka_topic_name(m->rkt),
                                                   m->partition))
                rd_kafka_message_destroy(m);
            else
                k->held[kept++] = m;
        }
        if (kept != k->nheld)
            srr_info("kafka: rebalance: %zu gathered message(s) abandoned, not stored",
                     k->nheld - kept);
        k->nheld = kept;
    }
    if (k->commit_pending && e == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS &&
        !rd_kafka_assignment_lost(rk)) {
        srr_error cerr = {0};
        if (commit_stored(k, &cerr) != SRR_OK)
            srr_warn("kafka: commit on revoke: %s", cerr.msg);
    }
    srr_info("kafka: %d partition(s) revoked", parts->cnt);
    if (cooperative)
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
    mark_parts(k, parts, 0);
}

/* Manual assignment of every partition of the topic, from the committed
 * offsets (earliest when none). */
static srr_rc assign_all(kconsumer *k, srr_error *err)
{
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(k->rk, k->topic, NULL);
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_resp_err_t e;
    int i;
    e = rd_kafka_metadata(k->rk, 0, rkt, &md, KAFKA_METADATA_MS);
    rd_kafka_topic_destroy(rkt);
    if (e)
        return srr_error_set(err, SRR_RETRY, "kafka: metadata of %s: %s", k->topic,
                             rd_kafka_err2str(e));
    if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt == 0) {
        rd_kafka_resp_err_t te = md->topic_cnt ? md->topics[0].err : RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_metadata_destroy(md);
        return srr_error_set(err, SRR_RETRY, "kafka: topic %s has no partitions (%s)", k->topic,
                             rd_kafka_err2str(te));
    }
    l = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(l, k->topic, md->topics[0].partitions[i].id)->offset =
            RD_KAFKA_OFFSET_STORED;
    rd_kafka_metadata_destroy(md);
    e = rd_kafka_assign(k->rk, l);
    if (!e)
        mark_parts(k, l, 1);
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        return srr_error_set(err, SRR_EIO, "kafka: assign: %s", rd_kafka_err2str(e));
    return SRR_OK;
}

static void kafka_consumer_close(void *impl);

static srr_rc kafka_consumer_open(const srr_config *cfg, void **impl, srr_error *err)
{
    static const char *const defaults[] = {"auto.offset.reset", "earliest", "client.id", "srr",
                                           NULL};
    const srr_kafka_config *kc = &cfg->queue.kafka;
    const char *assign = getenv("SRR_KAFKA_ASSIGN");
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_topic_partition_list_t *sub;
    kconsumer *k;
    char es[512];
    srr_rc rc;
    if (!kc->topic || !*kc->topic)
        return srr_error_set(err, SRR_EINVAL, "queue.kafka.topic is empty");
    if (!kc->group || !*kc->group)
        return srr_error_set(err, SRR_EINVAL, "queue.kafka.group is empty");
    rc = srr_kafka_consumer_conf(kc, defaults, &conf, err);
    if (rc != SRR_OK)
        return rc;
    k = srr_calloc(1, sizeof(*k));
    k->brokers = srr_strdup(kc->brokers);
    k->group = srr_strdup(kc->group);
    k->topic = srr_strdup(kc->topic);
    k->poskey = srr_asprintf("kafka:%s", kc->topic);
    k->dlq_topic = srr_strdup(kc->dlq_topic && *kc->dlq_topic ? kc->dlq_topic : NULL);
    k->manual = assign && strcmp(assign, "all") == 0;
    k->opened_ms = k->progress_ms = mono_ms();
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, es, sizeof(es));
    if (!k->rk) {
        rd_kafka_conf_destroy(conf); /* not taken over on failure */
        kafka_consumer_close(k);
        return srr_error_set(err, SRR_EINVAL, "kafka consumer: %s", es);
    }
    rd_kafka_poll_set_consumer(k->rk);
    if (k->dlq_topic)
        rc = producer_new(kc, &k->dlq_d, &k->dlq, err);
    if (rc != SRR_OK) {
        kafka_consumer_close(k);
        return rc;
    }
    if (k->manual) {
        rc = assign_all(k, err);
    } else {
        rd_kafka_resp_err_t e;
        sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, k->topic, RD_KAFKA_PARTITION_UA);
        e = rd_kafka_subscribe(k->rk, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        if (e)
            rc = srr_error_set(err, SRR_EIO, "kafka: subscribe to %s: %s", k->topic,
                               rd_kafka_err2str(e));
    }
    if (rc != SRR_OK) {
        kafka_consumer_close(k);
        return rc;
    }
    *impl = k;
    return SRR_OK;
}

/* 1 when every assigned partition has reported its end (and at least one
 * is assigned). */
static int all_assigned_eof(const kconsumer *k)
{
    int i, any = 0;
    for (i = 0; i < k->nparts; i++) {
        if (!k->parts[i].assigned)
            continue;
        if (!k->parts[i].eof)
            return 0;
        any = 1;
    }
    return any;
}

static srr_rc kafka_poll(void *impl, size_t max, int timeout_ms, const srr_message **msgs,
                         size_t *n, srr_error *err)
{
    kconsumer *k = impl;
    int64_t deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    size_t i;
    *msgs = NULL;
    *n = 0;
    release_batch(k);
    if (k->cap < max) {
        k->held = srr_realloc(k->held, max * sizeof(*k->held));
        k->msgs = srr_realloc(k->msgs, max * sizeof(*k->msgs));
        k->cap = max;
    }
    while (k->nheld < max) {
        int64_t left = deadline - mono_ms();
        rd_kafka_message_t *m;
        kpart *p;
        /* Once something was gathered, take only what is already fetched. */
        m = rd_kafka_consumer_poll(k->rk, k->nheld > 0 || left < 0 ? 0 : (int)left);
        if (!m) {
            if (k->nheld > 0 || mono_ms() >= deadline)
                break;
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            p = part_get(k, m->partition);
            if (p && !p->eof) {
                p->eof = 1;
                k->progress_ms = mono_ms();
            }
            rd_kafka_message_destroy(m);
            if (k->nheld == 0 && all_assigned_eof(k))
                break; /* --once: the end is reached; no need to wait out the timeout */
            continue;
        }
        if (m->err) {
            rd_kafka_resp_err_t e = m->err;
            char *what = srr_strdup(rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            if (e == RD_KAFKA_RESP_ERR__FATAL) {
                free(what);
                return check_fatal(k->rk, "consumer", err);
            }
            srr_warn("kafka consumer: %s: %s", rd_kafka_err2name(e), what);
            free(what);
            continue;
        }
        p = part_get(k, m->partition);
        if (p)
            p->eof = 0;
        k->progress_ms = mono_ms();
        k->held[k->nheld++] = m;
    }
    for (i = 0; i < k->nheld; i++) {
        rd_kafka_message_t *m = k->held[i];
        srr_message *o = &k->msgs[i];
        memset(o, 0, sizeof(*o));
        o->key = m->key;
        o->keylen = m->key ? m->key_len : 0;
        o->payload = m->payload ? m->payload : "";
        o->len = m->payload ? m->len : 0;
        o->offset = m->offset;
        o->partition = m->partition;
    }
    /* A commit that failed during a rebalance: retry it when idle. */
    if (k->nheld == 0 && k->commit_pending) {
        srr_error cerr = {0};
        if (commit_stored(k, &cerr) == SRR_OK)
            srr_info("kafka: pending offsets committed");
    }
    *msgs = k->msgs;
    *n = k->nheld;
    return SRR_OK;
}

/* Waits for the dead letters produced so far. */
static srr_rc dlq_wait(kconsumer *k, srr_error *err)
{
    srr_rc rc;
    if (!k->dlq)
        return SRR_OK;
    rc = wait_reports(k->dlq, "dead-letter producer", err);
    if (rc == SRR_OK)
        rc = delivery_result(&k->dlq_d, "dead-letter topic", err);
    return rc;
}

static srr_rc kafka_commit(void *impl, srr_error *err)
{
    kconsumer *k = impl;
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_resp_err_t e;
    size_t i;
    srr_rc rc = dlq_wait(k, err);
    if (rc != SRR_OK) {
        /* Not committing: a restart redelivers the batch, the quarantine
         * table dedups and the dead letter is produced again. */
        release_batch(k);
        return rc == SRR_RETRY ? SRR_EIO : rc;
    }
    if (k->nheld == 0)
        return SRR_OK;
    l = rd_kafka_topic_partition_list_new((int)k->nheld);
    for (i = 0; i < k->nheld; i++) {
        const rd_kafka_message_t *m = k->held[i];
        const char *t = rd_kafka_topic_name(m->rkt);
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(l, t, m->partition);
        if (!tp)
            tp = rd_kafka_topic_partition_list_add(l, t, m->partition);
        if (m->offset + 1 > tp->offset)
            tp->offset = m->offset + 1;
    }
    release_batch(k);
    e = rd_kafka_offsets_store(k->rk, l);
    if (e) {
        /* A partition no longer assigned: its next owner redelivers. */
        srr_warn("kafka: storing offsets: %s", rd_kafka_err2str(e));
    }
    rd_kafka_topic_partition_list_destroy(l);
    k->commit_pending = 1;
    return commit_stored(k, err);
}

static srr_rc kafka_dead_letter(void *impl, const srr_message *m, const char *reason,
                                srr_error *err)
{
    kconsumer *k = impl;
    const rd_kafka_message_t *km;
    const rd_kafka_headers_t *orig = NULL;
    rd_kafka_headers_t *h;
    char num[32];
    size_t idx, rlen = strlen(reason);
    srr_rc rc;
    if (!k->dlq)
        return SRR_OK;
    if (m < k->msgs || m >= k->msgs + k->nheld)
        return srr_error_set(err, SRR_EINVAL, "kafka dead letter: not a message of this batch");
    idx = (size_t)(m - k->msgs);
    km = k->held[idx];
    if (rd_kafka_message_headers(km, (rd_kafka_headers_t **)&orig) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        orig)
        h = rd_kafka_headers_copy(orig);
    else
        h = rd_kafka_headers_new(4);
    rd_kafka_header_add(h, "srr.dlq.reason", -1, reason,
                        (ssize_t)(rlen > KAFKA_REASON_MAX ? KAFKA_REASON_MAX : rlen));
    rd_kafka_header_add(h, "srr.dlq.topic", -1, rd_kafka_topic_name(km->rkt), -1);
    snprintf(num, sizeof(num), "%d", (int)km->partition);
    rd_kafka_header_add(h, "srr.dlq.partition", -1, num, -1);
    snprintf(num, sizeof(num), "%lld", (long long)km->offset);
    rd_kafka_header_add(h, "srr.dlq.offset", -1, num, -1);
    rc = produce(k->dlq, k->dlq_topic, km->key, km->key ? km->key_len : 0, km->payload,
                 km->payload ? km->len : 0, h, err);
    if (rc == SRR_OK)
        k->dlq_d.sent++;
    return rc;
}

/* Partition EOF events say the fetcher reached the end it knew of; before
 * --once stops, check each assigned partition's position against the
 * broker's high watermark. Returns 1 when every partition is at its end,
 * else clears the EOF flags of those that are not (and returns 0). */
static int confirm_end(kconsumer *k)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(k->nparts);
    int i, done = 1;
    for (i = 0; i < k->nparts; i++)
        if (k->parts[i].assigned)
            rd_kafka_topic_partition_list_add(l, k->topic, i);
    if (rd_kafka_position(k->rk, l) != RD_KAFKA_RESP_ERR_NO_ERROR)
        done = 0;
    for (i = 0; done && i < l->cnt; i++) {
        int64_t lo = 0, hi = 0;
        rd_kafka_topic_partition_t *tp = &l->elems[i];
        if (rd_kafka_query_watermark_offsets(k->rk, k->topic, tp->partition, &lo, &hi,
                                             KAFKA_METADATA_MS) != RD_KAFKA_RESP_ERR_NO_ERROR)
            done = 0;
        else if (tp->offset >= 0 && tp->offset < hi) {
            /* more to read: not the end yet. (No position yet means nothing
             * was consumed since the assignment: the EOF stands.) */
            k->parts[tp->partition].eof = 0;
            done = 0;
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    return done;
}

static int kafka_at_end(void *impl, srr_error *err)
{
    kconsumer *k = impl;
    int i, any = 0;
    int64_t now = mono_ms();
    if (!k->have_assignment) {
        if (now - k->opened_ms > KAFKA_ASSIGN_WAIT_MS)
            return srr_error_set(err, SRR_RETRY,
                                 "kafka: no partition of %s assigned after %d s (brokers %s "
                                 "reachable? other members of group %s holding them?)",
                                 k->topic, KAFKA_ASSIGN_WAIT_MS / 1000, k->brokers, k->group);
        return 0;
    }
    for (i = 0; i < k->nparts; i++) {
        if (!k->parts[i].assigned)
            continue;
        any = 1;
        if (!k->parts[i].eof)
            break;
    }
    if (any && i == k->nparts)
        return confirm_end(k);
    if (!any && k->have_assignment && !k->manual)
        return 1; /* all our partitions went to other members */
    if (now - k->progress_ms > KAFKA_ONCE_IDLE_MS)
        return srr_error_set(err, SRR_RETRY,
                             "kafka: no progress towards the end of %s for %d s", k->topic,
                             KAFKA_ONCE_IDLE_MS / 1000);
    return 0;
}

static void kafka_consumer_close(void *impl)
{
    kconsumer *k = impl;
    if (!k)
        return;
    release_batch(k);
    if (k->rk) {
        rd_kafka_resp_err_t e;
        if (k->commit_pending) {
            srr_error cerr = {0};
            if (commit_stored(k, &cerr) != SRR_OK)
                srr_warn("kafka: final commit: %s", cerr.msg);
        }
        e = rd_kafka_consumer_close(k->rk); /* leaves the group */
        if (e)
            srr_warn("kafka: closing the consumer: %s", rd_kafka_err2str(e));
        rd_kafka_destroy(k->rk);
    }
    if (k->dlq) {
        if (rd_kafka_flush(k->dlq, KAFKA_CLOSE_FLUSH_MS) != RD_KAFKA_RESP_ERR_NO_ERROR)
            srr_warn("kafka: dead letters unconfirmed at close (they are in the quarantine "
                     "table and are produced again on redelivery)");
        rd_kafka_destroy(k->dlq);
    }
    free(k->held);
    free(k->msgs);
    free(k->parts);
    free(k->topic);
    free(k->dlq_topic);
    free(k->brokers);
    free(k->group);
    free(k->poskey);
    free(k->pos);
    free(k);
}

/* The next offset per partition of the batch in hand (what kafka_commit
 * stores). */
static void kafka_position(void *impl, const char **key, const srr_queue_pos **pos, size_t *n)
{
    kconsumer *k = impl;
    size_t i, j;
    k->npos = 0;
    for (i = 0; i < k->nheld; i++) {
        const rd_kafka_message_t *m = k->held[i];
        for (j = 0; j < k->npos && k->pos[j].partition != m->partition; j++)
            ;
        if (j == k->npos) {
            if (k->npos == k->cappos) {
                k->cappos = k->cappos ? 2 * k->cappos : 8;
                k->pos = srr_realloc(k->pos, k->cappos * sizeof(*k->pos));
            }
            k->pos[j].partition = m->partition;
            k->pos[j].offset = -1;
            k->pos[j].records = -1;
            k->npos++;
        }
        if (m->offset + 1 > k->pos[j].offset)
            k->pos[j].offset = m->offset + 1;
    }
    *key = k->poskey;
    *pos = k->pos;
    *n = k->npos;
}

const srr_queue_backend srr_kafka_backend = {
    .name = "kafka",
    .producer_open = kafka_producer_open,
    .send = kafka_send,
    .flush = kafka_flush,
    .producer_close = kafka_producer_close,
    .consumer_open = kafka_consumer_open,
    .poll = kafka_poll,
    .commit = kafka_commit,
    .consumer_close = kafka_consumer_close,
    .dead_letter = kafka_dead_letter,
    .at_end = kafka_at_end,
    .position = kafka_position,
    .rewind_open = srr_kafka_rewind_open,
    .rewind_check = srr_kafka_rewind_check,
    .rewind_apply = srr_kafka_rewind_apply,
    .rewind_close = srr_kafka_rewind_close,
};
