/* SPDX-License-Identifier: Apache-2.0
 *
 * test_webhook_commit.c - the group committer (ingest/webhook_commit.h) on
 * its own, with a counting sink: a lingering batch gathers what arrives in
 * its window into one flush; a full batch does not wait out the linger;
 * destroying the committer flushes what lingers and completes it.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "webhook_commit.h"

static atomic_int g_sent, g_flushes, g_done, g_ok;

static srr_rc count_send(void *ctx, const char *key, const char *payload, size_t len,
                         srr_error *err)
{
    (void)ctx, (void)key, (void)payload, (void)len, (void)err;
    atomic_fetch_add(&g_sent, 1);
    return SRR_OK;
}

static srr_rc count_flush(void *ctx, srr_error *err)
{
    (void)ctx, (void)err;
    atomic_fetch_add(&g_flushes, 1);
    return SRR_OK;
}

static void done(void *arg, srr_rc rc, const char *reason)
{
    (void)arg, (void)reason;
    if (rc == SRR_OK)
        atomic_fetch_add(&g_ok, 1);
    atomic_fetch_add(&g_done, 1);
}

static srr_committer *start(size_t max_batch, unsigned linger_us)
{
    srr_commit_sink sink = {NULL, count_send, count_flush};
    srr_committer *c = NULL;
    srr_error err = {0};
    atomic_store(&g_sent, 0);
    atomic_store(&g_flushes, 0);
    atomic_store(&g_done, 0);
    atomic_store(&g_ok, 0);
    cr_assert_eq(srr_committer_create(&sink, max_batch, &c, &err), SRR_OK, "%s", err.msg);
    srr_committer_set_linger(c, linger_us);
    return c;
}

static void submit(srr_committer *c, int i)
{
    char key[16];
    snprintf(key, sizeof key, "k%d", i);
    srr_committer_submit(c, srr_strdup(key), srr_strdup("{}"), 2, done, NULL);
}

/* Waits (up to 5 s) until n messages are completed; returns the ms taken. */
static long wait_done(int n)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        long ms;
        clock_gettime(CLOCK_MONOTONIC, &t);
        ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (atomic_load(&g_done) >= n || ms > 5000)
            return ms;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
}

Test(webhook_commit, a_lingering_batch_shares_one_flush)
{
    srr_committer *c = start(0, 300 * 1000); /* 300 ms: the five arrive well inside */
    for (int i = 0; i < 5; i++)
        submit(c, i);
    wait_done(5);
    cr_assert_eq(atomic_load(&g_ok), 5);
    cr_assert_eq(atomic_load(&g_sent), 5);
    cr_assert_eq(atomic_load(&g_flushes), 1, "%d flushes for one lingering batch",
                 atomic_load(&g_flushes));
    srr_committer_destroy(&c);
}

Test(webhook_commit, a_full_batch_does_not_wait_out_the_linger)
{
    srr_committer *c = start(3, 60u * 1000 * 1000); /* a minute: only a full batch goes */
    long ms;
    for (int i = 0; i < 3; i++)
        submit(c, i);
    ms = wait_done(3);
    cr_assert_eq(atomic_load(&g_ok), 3, "a full batch waited %ld ms", ms);
    cr_assert_eq(atomic_load(&g_flushes), 1);
    srr_committer_destroy(&c);
}

Test(webhook_commit, destroy_flushes_what_lingers)
{
    srr_committer *c = start(0, 60u * 1000 * 1000);
    submit(c, 1);
    submit(c, 2);
    srr_committer_destroy(&c); /* must not wait out the minute */
    cr_assert_null(c);
    cr_assert_eq(atomic_load(&g_done), 2);
    cr_assert_eq(atomic_load(&g_ok), 2);
    cr_assert_eq(atomic_load(&g_flushes), 1);
}
