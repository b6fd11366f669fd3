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
 * The queue position the batch ends at is written in the same transaction
 * (queue_positions), so a backup of the store knows exactly where the
 * queue must be read again from after a restore.
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
 *
 * Pipeline: a batch of WRITER_PIPE_MIN messages or more is parsed by a
 * second thread while this one applies the candidates already parsed, in
 * the batch's one transaction (the store's stream API); the same thread
 * then frees the previous batch. Nothing else changes: no poll or queue
 * commit happens before the parser is joined, so the messages stay valid
 * (queue.h) and the queue commit still follows the store's COMMIT. A batch
 * with poison in it, or any failure, ends the attempt: the transaction is
 * rolled back, the parser joined, and the batch applied as above (poison
 * first, retries, isolation).
 */
#include <pthread.h>
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
#define WRITER_PIPE_MIN 64      /* smaller batches are parsed, then applied */
#define WRITER_PIPE_STEP 16     /* candidates the parser publishes at a time */

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
    const char *pkey;           /* the queue position the batch ends at (queue.h), */
    const srr_queue_pos *pos;   /* borrowed from the consumer until its next poll */
    size_t npos;
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
    unsigned char d[32];
    char hex[17];
    size_t i;
    srr_store_poison *p = &b->poison[b->npoison++];
    srr_sha256_of(payload, len, d);
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

/* Parses message m into the batch: a candidate, or poison. */
static void parse_one(batch *b, const srr_message *m)
{
    srr_error perr = {0};
    if (m->corrupt_reason) {
        add_poison(b, m, m->corrupt_reason);
        return;
    }
    if (srr_candidate_parse(m->payload, m->len, &b->cands[b->ncands], &perr) != SRR_OK) {
        char *why = srr_asprintf("unparseable candidate: %s", perr.msg);
        add_poison(b, m, why);
        free(why);
        return;
    }
    b->cmsg[b->ncands] = m;
    b->ncands++;
}

static void parse_batch(batch *b, const srr_message *msgs, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        parse_one(b, &msgs[i]);
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
    srr_rc rc;
    size_t i;
    /* Several transactions: the batch's queue position goes in only after
     * the last, so no backup ever holds a position past what it holds. */
    srr_store_stage_position(st, NULL, NULL, 0);
    rc = srr_store_apply_batch(st, NULL, 0, b->poison, b->npoison, now, stats, err);
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
    if (rc == SRR_OK)
        rc = srr_store_save_position(st, b->pkey, b->pos, b->npos, err);
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
        srr_store_stage_position(st, b->pkey, b->pos, b->npos);
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

/* ---- the parse pipeline (see the top of this file) ---------------------- */

typedef struct parse_pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batch *b;                /* being parsed; b->cands[< ready] are the applier's */
    const srr_message *msgs; /* the poll's messages */
    size_t n;
    batch *old;   /* the previous batch, freed by the parser when done */
    size_t ready; /* candidates published (under mu) */
    int poison;   /* a poison message was found (under mu) */
    int done;     /* every message parsed (under mu) */
} parse_pipe;

static void pipe_publish(parse_pipe *p, int done)
{
    pthread_mutex_lock(&p->mu);
    p->ready = p->b->ncands;
    p->poison = p->b->npoison > 0;
    p->done = done;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void *pipe_parser(void *arg)
{
    parse_pipe *p = arg;
    size_t i;
    for (i = 0; i < p->n; i++) {
        parse_one(p->b, &p->msgs[i]);
        if ((i + 1) % WRITER_PIPE_STEP == 0 || p->b->npoison)
            pipe_publish(p, 0);
    }
    p->b->ndead_parsed = p->b->ndead;
    pipe_publish(p, 1);
    batch_free(p->old);
    return NULL;
}

/* Applies the candidates as the parser publishes them, in one stream
 * transaction. Returns SRR_OK when the batch is committed; otherwise the
 * transaction is rolled back (SRR_EINVAL, no message, when the batch has
 * poison: the caller applies it the usual way). */
static srr_rc apply_streamed(srr_store *st, parse_pipe *p, srr_apply_stats *stats, srr_error *err)
{
    int64_t now = srr_now();
    size_t i = 0, ready;
    int poison, done;
    srr_rc rc = srr_store_stream_begin(st, err);
    while (rc == SRR_OK) {
        pthread_mutex_lock(&p->mu);
        while (p->ready == i && !p->done && !p->poison)
            pthread_cond_wait(&p->cv, &p->mu);
        ready = p->ready;
        poison = p->poison;
        done = p->done;
        pthread_mutex_unlock(&p->mu);
        if (poison)
            rc = SRR_EINVAL;
        else if (i < ready)
            rc = srr_store_stream_add(st, &p->b->cands[i], ready - i, now, err);
        else if (done)
            break;
        i = ready;
    }
    if (rc == SRR_OK)
        return srr_store_stream_commit(st, stats, err);
    srr_store_stream_abort(st);
    return rc;
}

/* Parses and applies batch b (n messages) with the pipeline when it is big
 * enough, freeing `old` on the way; falls back to parse-then-apply. */
static srr_rc parse_and_apply(srr_store *st, batch *b, batch *old, const srr_message *msgs,
                              size_t n, const srr_writer_opts *o, srr_apply_stats *stats,
                              srr_error *err)
{
    parse_pipe p;
    pthread_t th;
    srr_rc rc;
    if (n >= WRITER_PIPE_MIN) {
        memset(&p, 0, sizeof(p));
        p.b = b;
        p.msgs = msgs;
        p.n = n;
        p.old = old;
        pthread_mutex_init(&p.mu, NULL);
        pthread_cond_init(&p.cv, NULL);
        if (pthread_create(&th, NULL, pipe_parser, &p) == 0) {
            srr_error one = {0};
            rc = apply_streamed(st, &p, stats, &one);
            pthread_join(th, NULL);
            pthread_cond_destroy(&p.cv);
            pthread_mutex_destroy(&p.mu);
            if (rc == SRR_OK)
                return SRR_OK;
            /* poison or a failure: the usual way, from the start */
            return apply_batch(st, b, o, stats, err);
        }
        pthread_cond_destroy(&p.cv);
        pthread_mutex_destroy(&p.mu);
    }
    batch_free(old);
    parse_batch(b, msgs, n);
    return apply_batch(st, b, o, stats, err);
}

srr_rc srr_writer_drain(srr_consumer *c, srr_store *st, const srr_writer_opts *opts,
                        srr_apply_stats *stats, srr_error *err)
{
    srr_writer_opts o = {0};
    int64_t next_deadline_check;
    srr_rc rc = SRR_OK;
    int idle = 0, turn = 0;
    batch slot[2]; /* the batch in hand and the previous one, which the next parse frees */
    if (opts)
        o = *opts;
    if (o.batch_size == 0)
        o.batch_size = WRITER_DEFAULT_BATCH;
    if (o.poll_timeout_ms <= 0)
        o.poll_timeout_ms = WRITER_DEFAULT_POLL_MS;
    next_deadline_check = srr_now() + WRITER_DEADLINE_EVERY_S;
    memset(slot, 0, sizeof(slot));

    while (!stopped(&o)) {
        const srr_message *msgs = NULL;
        size_t n = 0, i;
        /* --once: no wait while messages flow; a short one while the queue
         * reaches its end (Kafka: an assignment, partition EOFs). */
        rc = srr_consumer_poll(c, o.batch_size,
                               o.once ? (idle ? WRITER_ONCE_IDLE_MS : 0) : o.poll_timeout_ms,
                               &msgs, &n, err);
        if (rc != SRR_OK)
            goto out;
        idle = n == 0;
        if (n > 0) {
            batch *b = &slot[turn];
            turn = !turn;
            batch_init(b, n, srr_consumer_origin(c));
            /* the position the batch ends at goes into its own transaction */
            srr_consumer_position(c, &b->pkey, &b->pos, &b->npos);
            srr_store_stage_position(st, b->pkey, b->pos, b->npos);
            rc = parse_and_apply(st, b, &slot[turn], msgs, n, &o, stats, err);
            for (i = 0; rc == SRR_OK && i < b->ndead; i++)
                rc = srr_consumer_dead_letter(c, b->dmsg[i], b->dreason[i], err);
            if (rc != SRR_OK)
                goto out; /* not committed: the batch is redelivered */
            rc = srr_consumer_commit(c, err);
            if (rc == SRR_RETRY) {
                srr_warn("writer: %s", err ? err->msg : "queue commit failed; will retry");
                rc = SRR_OK;
            }
            if (rc != SRR_OK)
                goto out;
        } else if (o.once) {
            int end = srr_consumer_at_end(c, err);
            if (end < 0) {
                rc = (srr_rc)end;
                goto out;
            }
            if (end)
                break;
        }
        if (!o.once && srr_now() >= next_deadline_check) {
            rc = srr_store_check_deadlines(st, srr_now(), stats, err);
            if (rc == SRR_OK) /* a sweep that did not drain: its windows, once quiet */
                rc = srr_store_close_waiting(st, srr_now(), WRITER_DEADLINE_EVERY_S, stats, err);
            if (rc != SRR_OK && rc != SRR_RETRY)
                goto out;
            rc = SRR_OK;
            next_deadline_check = srr_now() + WRITER_DEADLINE_EVERY_S;
        }
    }
    rc = SRR_OK;
    if (o.once && !stopped(&o)) {
        rc = o.window_end ? srr_store_close_window(st, o.window_end, stats, err)
                          : srr_store_check_deadlines(st, srr_now(), stats, err);
        if (rc == SRR_OK && !o.window_end) /* what a sweep left without draining */
            rc = srr_store_close_waiting(st, srr_now(), 0, stats, err);
    }
out:
    srr_store_stage_position(st, NULL, NULL, 0); /* nothing half-done is recorded later */
    batch_free(&slot[0]);
    batch_free(&slot[1]);
    return rc;
}
