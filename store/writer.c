/* SPDX-License-Identifier: Apache-2.0
 *
 * writer.c - drains the candidate queue into the store (writer.h).
 *
 * One loop iteration: poll a batch; parse each message as a candidate
 * (corrupt spool records and unparseable documents become poison); apply
 * the good candidates AND quarantine the poison of the batch in one SQLite
 * transaction (srr_store_apply_batch); only then commit the queue position.
 * A crash before the queue commit redelivers the batch, and the store's
 * idempotence (candidate ids, quarantine dedup keys) makes that harmless.
 *
 * Poison is also handed to the queue's dead-letter channel
 * (srr_consumer_dead_letter: Kafka produces it to the dead-letter topic
 * with the reason in a header) after the store COMMIT and before the queue
 * commit, so a crash in between quarantines nothing twice (dedup key) and
 * at worst dead-letters a message twice. A queue commit that fails with
 * SRR_RETRY (a Kafka rebalance) is not fatal: the batch is in SQLite, its
 * offsets go with the next commit or it is redelivered and changes nothing.
 *
 * A batch the store refuses as data (a constraint, SRR_EINVAL) is retried
 * one candidate at a time so the one bad candidate is quarantined with the
 * store's reason instead of blocking the queue forever. A busy database
 * (SRR_RETRY) is retried with backoff while not stopped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"
#include "log.h"
#include "store_internal.h"
#include "writer.h"

#define WRITER_DEFAULT_BATCH 500
#define WRITER_DEFAULT_POLL_MS 500
#define WRITER_DEADLINE_EVERY_S 60 /* continuous mode: deadline timer */
#define WRITER_RETRIES 20
#define WRITER_ONCE_IDLE_MS 100 /* --once: wait per poll while reaching the end */

/* One batch being processed. Strings owned here. */
typedef struct batch {
    srr_candidate *cands;
    size_t ncands;
    srr_store_poison *poison;
    char **owned; /* reasons and dedup keys of poison entries */
    size_t npoison, nowned;
    const srr_message **cmsg; /* the message of each candidate (for isolating a bad one) */
    const srr_message **dmsg; /* messages to dead-letter, with their reasons */
    const char **dreason;
    char **iso; /* per candidate: the store's reason when isolation refused it */
    size_t ndead, ndead_parsed; /* all / those found by parsing */
    const char *origin;         /* queue backend name, origin of quarantine rows */
} batch;

static void batch_init(batch *b, size_t n, const char *origin)
{
    memset(b, 0, sizeof(*b));
    b->origin = origin;
    b->cands = srr_calloc(n ? n : 1, sizeof(*b->cands));
    b->poison = srr_calloc(n ? n : 1, sizeof(*b->poison));
    b->owned = srr_calloc(2 * (n ? n : 1), sizeof(*b->owned));
    b->cmsg = srr_calloc(n ? n : 1, sizeof(*b->cmsg));
    b->dmsg = srr_calloc(n ? n : 1, sizeof(*b->dmsg));
    b->dreason = srr_calloc(n ? n : 1, sizeof(*b->dreason));
    b->iso = srr_calloc(n ? n : 1, sizeof(*b->iso));
}

static void batch_free(batch *b)
{
    size_t i;
    for (i = 0; i < b->ncands; i++) {
        srr_candidate_clear(&b->cands[i]);
        free(b->iso[i]);
    }
    for (i = 0; i < b->nowned; i++)
        free(b->owned[i]);
    free(b->cands);
    free(b->poison);
    free(b->owned);
    free(b->cmsg);
    free(b->dmsg);
    free(b->dreason);
    free(b->iso);
    memset(b, 0, sizeof(*b));
}

/* Adds a poison entry for message m; the dedup key (queue position +
 * payload hash) makes a redelivered poison message land once in the
 * quarantine table. The message is also queued for the dead-letter
 * channel. */
static void add_poison(batch *b, const srr_message *m, const char *reason)
{
    const char *payload = m->payload;
    size_t len = m->len;
    srr_sha256 h;
    unsigned char d[32];
    char hex[17];
    size_t i;
    srr_store_poison *p = &b->poison[b->npoison++];
    srr_sha256_init(&h);
    srr_sha256_update(&h, payload, len);
    srr_sha256_final(&h, d);
    for (i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    p->origin = b->origin;
    p->payload = payload;
    p->len = len;
    p->reason = b->owned[b->nowned++] = srr_strdup(reason);
    if (strcmp(b->origin, "spool") == 0) /* the spool's keys predate partitions */
        p->dedup_key = b->owned[b->nowned++] =
            srr_asprintf("spool:%lld:%s", (long long)m->offset, hex);
    else
        p->dedup_key = b->owned[b->nowned++] = srr_asprintf(
            "%s:%d:%lld:%s", b->origin, m->partition, (long long)m->offset, hex);
    b->dmsg[b->ndead] = m;
    b->dreason[b->ndead++] = p->reason;
}

static void parse_batch(batch *b, const srr_message *msgs, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        const srr_message *m = &msgs[i];
        srr_error perr = {0};
        if (m->corrupt_reason) {
            add_poison(b, m, m->corrupt_reason);
            continue;
        }
        if (srr_candidate_parse(m->payload, m->len, &b->cands[b->ncands], &perr) != SRR_OK) {
            char *why = srr_asprintf("unparseable candidate: %s", perr.msg);
            add_poison(b, m, why);
            free(why);
            continue;
        }
        b->cmsg[b->ncands] = m;
        b->ncands++;
    }
    b->ndead_parsed = b->ndead;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int stopped(const srr_writer_opts *o)
{
    return o->stop && *o->stop;
}

/* Applies a batch whose transaction the store refused as data: the poison
 * first, then each candidate alone; one the store refuses is quarantined
 * with the store's reason. */
static srr_rc apply_isolating(srr_store *st, batch *b, int64_t now, srr_apply_stats *stats,
                              srr_error *err)
{
    srr_rc rc = srr_store_apply_batch(st, NULL, 0, b->poison, b->npoison, now, stats, err);
    size_t i;
    b->ndead = b->ndead_parsed; /* a retried isolation starts over */
    for (i = 0; i < b->ncands && rc == SRR_OK; i++) {
        srr_error one = {0};
        rc = srr_store_apply_batch(st, &b->cands[i], 1, NULL, 0, now, stats, &one);
        if (rc == SRR_EINVAL) {
            batch q = {0};
            char *why = srr_asprintf("store refused the candidate: %s", one.msg);
            batch_init(&q, 1, b->origin);
            add_poison(&q, b->cmsg[i], why);
            free(why);
            srr_warn("writer: %s", q.poison[0].reason);
            rc = srr_store_apply_batch(st, NULL, 0, q.poison, 1, now, stats, err);
            if (rc == SRR_OK) { /* dead-letter it too; the reason outlives q */
                free(b->iso[i]);
                b->iso[i] = srr_strdup(q.poison[0].reason);
                b->dmsg[b->ndead] = b->cmsg[i];
                b->dreason[b->ndead++] = b->iso[i];
            }
            batch_free(&q);
        } else if (rc != SRR_OK && err) {
            *err = one;
        }
    }
    return rc;
}

/* Applies one parsed batch, retrying a busy database with backoff. */
static srr_rc apply_batch(srr_store *st, batch *b, const srr_writer_opts *o, srr_apply_stats *stats,
                          srr_error *err)
{
    long backoff = 50;
    int attempt;
    srr_rc rc = SRR_OK;
    for (attempt = 0; attempt < WRITER_RETRIES; attempt++) {
        int64_t now = srr_now();
        rc = srr_store_apply_batch(st, b->cands, b->ncands, b->poison, b->npoison, now, stats, err);
        if (rc == SRR_EINVAL && b->ncands > 0) {
            srr_warn("writer: batch refused (%s); applying one by one", err ? err->msg : "");
            rc = apply_isolating(st, b, now, stats, err);
        }
        if (rc != SRR_RETRY || stopped(o))
            break;
        srr_warn("writer: store busy, retrying in %ld ms", backoff);
        sleep_ms(backoff);
        if (backoff < 2000)
            backoff *= 2;
    }
    return rc;
}

srr_rc srr_writer_drain(srr_consumer *c, srr_store *st, const srr_writer_opts *opts,
                        srr_apply_stats *stats, srr_error *err)
{
    srr_writer_opts o = {0};
    int64_t next_deadline_check;
    srr_rc rc = SRR_OK;
    int idle = 0;
    if (opts)
        o = *opts;
    if (o.batch_size == 0)
        o.batch_size = WRITER_DEFAULT_BATCH;
    if (o.poll_timeout_ms <= 0)
        o.poll_timeout_ms = WRITER_DEFAULT_POLL_MS;
    next_deadline_check = srr_now() + WRITER_DEADLINE_EVERY_S;

    while (!stopped(&o)) {
        const srr_message *msgs = NULL;
        size_t n = 0, i;
        batch b;
        /* --once: no wait while messages flow; a short one while the queue
         * reaches its end (Kafka: an assignment, partition EOFs). */
        rc = srr_consumer_poll(c, o.batch_size,
                               o.once ? (idle ? WRITER_ONCE_IDLE_MS : 0) : o.poll_timeout_ms,
                               &msgs, &n, err);
        if (rc != SRR_OK)
            return rc;
        idle = n == 0;
        if (n > 0) {
            batch_init(&b, n, srr_consumer_origin(c));
            parse_batch(&b, msgs, n);
            rc = apply_batch(st, &b, &o, stats, err);
            for (i = 0; rc == SRR_OK && i < b.ndead; i++)
                rc = srr_consumer_dead_letter(c, b.dmsg[i], b.dreason[i], err);
            batch_free(&b);
            if (rc != SRR_OK)
                return rc; /* not committed: the batch is redelivered */
            rc = srr_consumer_commit(c, err);
            if (rc == SRR_RETRY) {
                srr_warn("writer: %s", err ? err->msg : "queue commit failed; will retry");
                rc = SRR_OK;
            }
            if (rc != SRR_OK)
                return rc;
        } else if (o.once) {
            int end = srr_consumer_at_end(c, err);
            if (end < 0)
                return (srr_rc)end;
            if (end)
                break;
        }
        if (!o.once && srr_now() >= next_deadline_check) {
            rc = srr_store_check_deadlines(st, srr_now(), stats, err);
            if (rc != SRR_OK && rc != SRR_RETRY)
                return rc;
            next_deadline_check = srr_now() + WRITER_DEADLINE_EVERY_S;
        }
    }
    if (o.once && !stopped(&o))
        return srr_store_check_deadlines(st, srr_now(), stats, err);
    return SRR_OK;
}
