/* SPDX-License-Identifier: Apache-2.0
 *
 * sink_harness.c - the set-up, teardown and delivery steps the in-process
 * sink suites share (see sink_harness.h): one place that knows how a test
 * loads a config, opens the store and the sync, and drives the outbox.
 */
#include "sink_harness.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_fixtures.h"
#include "testutil.h"

void sh_open(sink_harness *h)
{
    memset(h, 0, sizeof(*h));
    h->dir = tu_mkdtemp();
}

void sh_close(sink_harness *h)
{
    srr_sync_close(&h->sync);
    srr_store_close(&h->st);
    srr_config_destroy(h->cfg);
    h->cfg = NULL;
    if (h->dir)
        tu_rmdir_r(h->dir);
    free(h->dir);
    h->dir = NULL;
}

/* Opens the store (the first time) and the sync for the config just loaded. */
static void open_for_config(sink_harness *h, int connect)
{
    srr_error err = {0};
    if (!h->st)
        cr_assert_eq(srr_store_open(h->cfg->store.path, &h->st, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_sync_open(h->cfg, NULL, connect, &h->sync, &err), SRR_OK, "%s", err.msg);
}

void sh_load(sink_harness *h, const char *yaml, int connect)
{
    srr_error err = {0};
    srr_sync_close(&h->sync);
    srr_config_destroy(h->cfg);
    h->cfg = NULL;
    cr_assert_eq(srr_config_parse("t.yaml", yaml, strlen(yaml), &h->cfg, &err), SRR_OK, "%s",
                 err.msg);
    open_for_config(h, connect);
}

void sh_load_file(sink_harness *h, const char *yaml)
{
    char *path = tu_write_file(h->dir, "srr.yaml", yaml);
    srr_error err = {0};
    srr_sync_close(&h->sync);
    srr_config_destroy(h->cfg);
    h->cfg = NULL;
    cr_assert_eq(srr_config_load(path, &h->cfg, &err), SRR_OK, "%s", err.msg);
    free(path);
    open_for_config(h, 1);
}

void sh_apply(sink_harness *h, const char *cand, const char *fp, srr_action a, int64_t at,
              const char *title)
{
    srr_candidate c;
    srr_error err = {0};
    sf_candidate(&c, cand, fp, a, SRR_STATUS_FIRING, at);
    if (title) {
        free(c.title);
        c.title = srr_strdup(title);
    }
    cr_assert_eq(srr_store_apply(h->st, &c, 1, at, NULL, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);
}

srr_sync_stats sh_pass_at(sink_harness *h, int64_t now)
{
    srr_sync_stats st;
    srr_error err = {0};
    int more = 0;
    memset(&st, 0, sizeof(st));
    cr_assert_eq(srr_sync_pass(h->sync, h->st, now, &st, &more, &err), SRR_OK, "%s", err.msg);
    return st;
}

srr_sync_stats sh_sync_once(sink_harness *h)
{
    srr_sync_stats st;
    srr_error err = {0};
    memset(&st, 0, sizeof(st));
    cr_assert_eq(srr_sync_run(h->sync, h->cfg, 1, NULL, &st, &err), SRR_OK, "%s", err.msg);
    return st;
}

json_t *sh_status(sink_harness *h)
{
    json_t *out = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_sync_status(h->sync, h->st, &out, &err), SRR_OK, "%s", err.msg);
    return out;
}

long long sh_q(sink_harness *h, const char *sql)
{
    return sf_query_int(h->cfg->store.path, sql);
}

void sh_wait_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}
