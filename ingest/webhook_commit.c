/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook_commit.c - the group committer of webhook_commit.h: a FIFO of
 * submitted messages guarded by one mutex, and one thread that swaps the
 * whole FIFO out (up to max_batch), sends each message to the sink, flushes
 * once and completes them all. A message is confirmed only when its send
 * and the batch's flush both succeeded; a failed send writes nothing of that
 * message (the sink's contract), so a failure never leaves half a message.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "webhook_commit.h"

/* Upper bounds (seconds) of the confirmation latency histogram. */
static const double LAT_BUCKETS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                     0.05,   0.1,   0.25,   0.5,   1,    2.5,  5, 10};
#define NBUCKETS (sizeof(LAT_BUCKETS) / sizeof(LAT_BUCKETS[0]))

typedef struct commit_msg {
    struct commit_msg *next;
    char *key, *payload;
    size_t len;
    srr_commit_done_fn done;
    void *arg;
    int64_t submitted_ns;
    srr_rc rc;
} commit_msg;

struct srr_committer {
    srr_commit_sink sink;
    size_t max_batch;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    commit_msg *head, *tail; /* pending, in submission order */
    size_t npending;
    int stopping;
    int64_t linger_ns;       /* a batch waits this long after its first message */
    int healthy;             /* under mu */
    char last_error[256];    /* under mu */
    /* metrics */
    atomic_ullong ok, failed, batches;
    atomic_ullong buckets[NBUCKETS + 1]; /* last = +Inf */
    atomic_ullong lat_sum_ns;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void observe(srr_committer *c, int64_t ns)
{
    double s = (double)ns / 1e9;
    size_t i;
    for (i = 0; i < NBUCKETS && s > LAT_BUCKETS[i]; i++)
        ;
    atomic_fetch_add(&c->buckets[i], 1);
    atomic_fetch_add(&c->lat_sum_ns, (unsigned long long)(ns > 0 ? ns : 0));
}

/* Sends and flushes one batch (a list taken off the FIFO), then completes
 * each message and frees the list. */
static void commit_batch(srr_committer *c, commit_msg *batch)
{
    srr_error err = {0}, ferr = {0};
    commit_msg *m, *next;
    size_t nsent = 0;
    srr_rc frc = SRR_OK;
    char reason[256] = "";

    for (m = batch; m; m = m->next) {
        err.msg[0] = '\0';
        m->rc = c->sink.send(c->sink.ctx, m->key, m->payload, m->len, &err);
        if (m->rc == SRR_OK)
            nsent++;
        else if (!reason[0])
            snprintf(reason, sizeof reason, "queue: %.200s", err.msg[0] ? err.msg : srr_rc_str(m->rc));
    }
    if (nsent) {
        frc = c->sink.flush(c->sink.ctx, &ferr);
        if (frc != SRR_OK)
            snprintf(reason, sizeof reason, "queue did not confirm: %.200s",
                     ferr.msg[0] ? ferr.msg : srr_rc_str(frc));
    }
    pthread_mutex_lock(&c->mu);
    c->healthy = reason[0] == '\0';
    snprintf(c->last_error, sizeof c->last_error, "%s", reason);
    pthread_mutex_unlock(&c->mu);
    atomic_fetch_add(&c->batches, 1);

    for (m = batch; m; m = next) {
        int64_t now = mono_ns();
        next = m->next;
        if (m->rc == SRR_OK && frc != SRR_OK)
            m->rc = frc == SRR_EINVAL ? SRR_RETRY : frc;
        if (m->rc == SRR_OK) {
            atomic_fetch_add(&c->ok, 1);
            observe(c, now - m->submitted_ns);
        } else {
            atomic_fetch_add(&c->failed, 1);
        }
        m->done(m->arg, m->rc, m->rc == SRR_OK ? NULL : reason);
        free(m->key);
        free(m->payload);
        free(m);
    }
}

/* With mu held and a first message pending: lets the batch gather until
 * linger_ns after that message, a full batch, or stop. */
static void linger(srr_committer *c)
{
    int64_t deadline;
    struct timespec ts;
    if (c->linger_ns <= 0)
        return;
    deadline = c->head->submitted_ns + c->linger_ns;
    ts.tv_sec = (time_t)(deadline / 1000000000LL);
    ts.tv_nsec = (long)(deadline % 1000000000LL);
    while (!c->stopping && c->npending < c->max_batch && mono_ns() < deadline)
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
}

static void *committer_main(void *arg)
{
    srr_committer *c = arg;
    for (;;) {
        commit_msg *batch, *last;
        size_t n = 1;
        pthread_mutex_lock(&c->mu);
        while (!c->head && !c->stopping)
            pthread_cond_wait(&c->cv, &c->mu);
        if (!c->head) { /* stopping and nothing left */
            pthread_mutex_unlock(&c->mu);
            return NULL;
        }
        linger(c);
        batch = last = c->head;
        while (last->next && n < c->max_batch) {
            last = last->next;
            n++;
        }
        c->head = last->next;
        if (!c->head)
            c->tail = NULL;
        last->next = NULL;
        c->npending -= n;
        pthread_mutex_unlock(&c->mu);
        commit_batch(c, batch);
    }
}

srr_rc srr_committer_create(const srr_commit_sink *sink, size_t max_batch, srr_committer **out,
                            srr_error *err)
{
    srr_committer *c = srr_calloc(1, sizeof *c);
    *out = NULL;
    c->sink = *sink;
    c->max_batch = max_batch ? max_batch : 1024;
    c->healthy = 1;
    pthread_mutex_init(&c->mu, NULL);
    {   /* timed waits against mono_ns() deadlines */
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&c->cv, &ca);
        pthread_condattr_destroy(&ca);
    }
    if (pthread_create(&c->thread, NULL, committer_main, c) != 0) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return srr_error_set(err, SRR_ERR, "cannot start the committer thread");
    }
    *out = c;
    return SRR_OK;
}

void srr_committer_submit(srr_committer *c, char *key, char *payload, size_t len,
                          srr_commit_done_fn done, void *arg)
{
    commit_msg *m = srr_calloc(1, sizeof *m);
    m->key = key;
    m->payload = payload;
    m->len = len;
    m->done = done;
    m->arg = arg;
    m->submitted_ns = mono_ns();
    pthread_mutex_lock(&c->mu);
    if (c->tail)
        c->tail->next = m;
    else
        c->head = m;
    c->tail = m;
    c->npending++;
    /* The committer needs waking for a first message or a full batch; while
     * a batch lingers, a wake-up per message would cost a context switch. */
    if (c->npending == 1 || c->npending >= c->max_batch || c->linger_ns <= 0)
        pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

void srr_committer_set_linger(srr_committer *c, unsigned linger_us)
{
    pthread_mutex_lock(&c->mu);
    c->linger_ns = (int64_t)linger_us * 1000;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

int srr_committer_healthy(srr_committer *c, srr_error *err)
{
    int ok;
    pthread_mutex_lock(&c->mu);
    ok = c->healthy;
    if (!ok)
        srr_error_set(err, SRR_RETRY, "%s", c->last_error);
    pthread_mutex_unlock(&c->mu);
    return ok;
}

void srr_committer_metrics(srr_committer *c, srr_buf *out)
{
    unsigned long long cum = 0;
    size_t i, pending;
    pthread_mutex_lock(&c->mu);
    pending = c->npending;
    pthread_mutex_unlock(&c->mu);
    srr_buf_printf(out,
                   "# HELP srr_webhook_queue_confirmations_total Alerts the queue confirmed "
                   "durable (ok) or did not (failed).\n"
                   "# TYPE srr_webhook_queue_confirmations_total counter\n"
                   "srr_webhook_queue_confirmations_total{result=\"ok\"} %llu\n"
                   "srr_webhook_queue_confirmations_total{result=\"failed\"} %llu\n"
                   "# HELP srr_webhook_queue_batches_total Group commits (one flush each).\n"
                   "# TYPE srr_webhook_queue_batches_total counter\n"
                   "srr_webhook_queue_batches_total %llu\n"
                   "# HELP srr_webhook_queue_pending Alerts waiting for the next group commit.\n"
                   "# TYPE srr_webhook_queue_pending gauge\n"
                   "srr_webhook_queue_pending %zu\n"
                   "# HELP srr_webhook_queue_confirmation_seconds Time from hand-off to durable "
                   "confirmation.\n"
                   "# TYPE srr_webhook_queue_confirmation_seconds histogram\n",
                   (unsigned long long)atomic_load(&c->ok),
                   (unsigned long long)atomic_load(&c->failed),
                   (unsigned long long)atomic_load(&c->batches), pending);
    for (i = 0; i < NBUCKETS; i++) {
        cum += atomic_load(&c->buckets[i]);
        srr_buf_printf(out, "srr_webhook_queue_confirmation_seconds_bucket{le=\"%g\"} %llu\n",
                       LAT_BUCKETS[i], cum);
    }
    cum += atomic_load(&c->buckets[NBUCKETS]);
    srr_buf_printf(out,
                   "srr_webhook_queue_confirmation_seconds_bucket{le=\"+Inf\"} %llu\n"
                   "srr_webhook_queue_confirmation_seconds_sum %.6f\n"
                   "srr_webhook_queue_confirmation_seconds_count %llu\n",
                   cum, (double)atomic_load(&c->lat_sum_ns) / 1e9, cum);
}

void srr_committer_destroy(srr_committer **cp)
{
    srr_committer *c;
    if (!cp || !*cp)
        return;
    c = *cp;
    pthread_mutex_lock(&c->mu);
    c->stopping = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
    *cp = NULL;
}
