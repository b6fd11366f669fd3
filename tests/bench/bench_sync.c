/* SPDX-License-Identifier: Apache-2.0
 *
 * bench_sync.c - the sync's figure (DESIGN.md section 7): a storm of
 * 10,000 alerts on 50 things lands in the store (the writer's semantics:
 * 50 draft risks, the rest evidence on them), then the outbox is delivered
 * to the fake Notion API of tests/support running at Notion's own rate
 * limit (3 requests/s, burst 3, 429 past it). Printed: remote requests per
 * changed record (target <= 1.2) and the time until Notion matches the
 * store against the floor that limit sets (one request per changed record
 * at 3 requests/s; target <= 1.2 x the floor). A second storm of 2,000
 * alerts on the same things then measures updates the same way. Notion
 * "matches" when every record's page exists with the record's status and
 * occurrence count.
 *
 * Run: ./scripts/bench.sh sync
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_notion.h"
#include "outbox.h"
#include "store.h"
#include "store_fixtures.h"
#include "testutil.h"

#define THINGS 50
#define STORM 10000
#define STORM2 2000
#define RATE 3.0
#define T0 1764331200

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_sync: %s: %s\n", what, msg);
    exit(1);
}

/* Applies `n` alerts round-robin on THINGS fingerprints, 500 per
 * transaction (as the writer batches). */
static void storm(srr_store *st, int first, int n)
{
    srr_candidate *batch = srr_calloc(500, sizeof(*batch));
    srr_error err = {0};
    int i, k = 0;
    for (i = first; i < first + n; i++) {
        char id[32], fp[32];
        snprintf(id, sizeof(id), "alert-%d", i);
        snprintf(fp, sizeof(fp), "thing-%02d", i % THINGS);
        sf_candidate(&batch[k], id, fp, SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + i);
        batch[k].signal.value = (double)(i % 97);
        if (++k == 500 || i == first + n - 1) {
            if (srr_store_apply(st, batch, (size_t)k, T0 + i, NULL, &err) != SRR_OK)
                die("apply", err.msg);
            while (k > 0)
                srr_candidate_clear(&batch[--k]);
        }
    }
    free(batch);
}

/* 1 when every record's page shows its status and occurrences. */
static int notion_matches(fake_notion *fn, const char *db)
{
    int i;
    for (i = 1; i <= THINGS; i++) {
        char hid[16], *occ, *status, sql[128];
        json_t *p;
        long long want;
        snprintf(hid, sizeof(hid), "SRR-%d", i);
        p = fake_notion_page_of(fn, "ID", hid);
        if (!p)
            return 0;
        occ = fake_notion_prop_text(fn, json_string_value(json_object_get(p, "id")), "Occurrences");
        status = fake_notion_prop_text(fn, json_string_value(json_object_get(p, "id")), "Status");
        snprintf(sql, sizeof(sql), "SELECT occurrences FROM risks WHERE id = %d", i);
        want = sf_query_int(db, sql);
        json_decref(p);
        if (!occ || atoll(occ) != want || !status || strcmp(status, "draft") != 0) {
            free(occ);
            free(status);
            return 0;
        }
        free(occ);
        free(status);
    }
    return 1;
}

/* Delivers what is due as `srr sync --once` does, from its start (the
 * sink's init: its user, the database and its schema, counted too);
 * prints the figures. */
static int run_sync(const char *label, const srr_config *cfg, fake_notion *fn, const char *db,
                    long long changed)
{
    srr_sync_stats stats;
    srr_sync *s = NULL;
    srr_error err = {0};
    unsigned before = fake_notion_requests(fn), limited = fake_notion_rate_limited(fn), reqs;
    double t = now_s(), wall, floor_s = (double)changed / RATE, per;
    memset(&stats, 0, sizeof(stats));
    if (srr_sync_open(cfg, NULL, 1, &s, &err) != SRR_OK ||
        srr_sync_run(s, cfg, 1, NULL, &stats, &err) != SRR_OK)
        die("sync", err.msg);
    srr_sync_close(&s);
    wall = now_s() - t;
    reqs = fake_notion_requests(fn) - before;
    per = (double)reqs / (double)changed;
    printf("%s: %lld changed records, %u requests (%u answered 429), %zu delivered\n", label,
           changed, reqs, fake_notion_rate_limited(fn) - limited, stats.delivered);
    printf("  requests per changed record: %.2f (target <= 1.2) %s\n", per,
           per <= 1.2 ? "ok" : "ABOVE TARGET");
    printf("  until Notion matches: %.1f s, floor %.1f s at %.0f requests/s: %.2f x the floor "
           "(target <= 1.2) %s\n",
           wall, floor_s, RATE, wall / floor_s, wall / floor_s <= 1.2 ? "ok" : "ABOVE TARGET");
    if (!notion_matches(fn, db)) {
        printf("  NOTION DOES NOT MATCH THE STORE\n");
        return 1;
    }
    return 0;
}

int main(void)
{
    char *dir = tu_mkdtemp(), *db = srr_asprintf("%s/srr.db", dir), *yaml, *out = NULL;
    fake_notion *fn = fake_notion_start(0);
    srr_config *cfg = NULL;
    srr_store *st = NULL;
    srr_sync *s = NULL;
    srr_error err = {0};
    double t;
    size_t len = 0;
    FILE *m;
    int bad = 0;

    if (!fn)
        die("fake", "cannot start");
    fake_notion_set_rate(fn, RATE, 3);
    setenv("NOTION_TOKEN", FAKE_NOTION_TOKEN, 1);
    yaml = srr_asprintf("store:\n  path: %s\nnotion:\n  database_id: %s\n  api_url: %s\n", db,
                        fake_notion_database(fn), fake_notion_url(fn));
    if (srr_config_parse("bench.yaml", yaml, strlen(yaml), &cfg, &err) != SRR_OK)
        die("config", err.msg);
    free(yaml);
    if (srr_store_open(db, &st, &err) != SRR_OK)
        die("store", err.msg);
    t = now_s();
    storm(st, 0, STORM);
    printf("storm: %d alerts on %d things applied in %.2f s\n", STORM, THINGS, now_s() - t);

    if (srr_sync_open(cfg, NULL, 0, &s, &err) != SRR_OK)
        die("sync", err.msg);
    m = open_memstream(&out, &len);
    if (srr_sync_setup(s, "notion", m, &err) != SRR_OK)
        die("setup", err.msg);
    fclose(m);
    free(out);
    printf("(srr notion setup: %u requests, not counted below)\n", fake_notion_requests(fn));

    srr_sync_close(&s);
    bad |= run_sync("first sync after the storm", cfg, fn, db,
                    sf_query_int(db, "SELECT count(*) FROM outbox"));
    storm(st, STORM, STORM2);
    bad |= run_sync("after 2,000 more alerts", cfg, fn, db,
                    sf_query_int(db, "SELECT count(*) FROM outbox o JOIN sync_state s"
                                     " ON s.record_id = o.record_id AND s.record_kind ="
                                     " o.record_kind WHERE o.seq > s.delivered_seq"));
    printf("requests past the rate limit's Retry-After: %u (target 0)\n",
           fake_notion_violations(fn));

    srr_store_close(&st);
    srr_config_destroy(cfg);
    fake_notion_stop(&fn);
    tu_rmdir_r(dir);
    free(dir);
    free(db);
    return bad;
}
