/* SPDX-License-Identifier: Apache-2.0
 *
 * bench_writer.c - the writer's figure (DESIGN.md section 7): candidates per
 * second from a Kafka topic (librdkafka's mock cluster, 3 brokers, 3
 * partitions) into the SQLite store, with the writer's batched
 * transactions, WAL, synchronous=FULL and the full dedup/evidence logic,
 * divided by raw batched SQLite inserts of the same rows (each candidate's
 * candidates key, its sighting, its evidence row and its audit entry, whose
 * trigger keeps the record's outbox row: same keys, same tables, indexes and
 * triggers, same batch size, same pragmas and page cache)
 * measured in the same run. Target: >= 0.5. Also prints the idempotent
 * producer's confirmed candidates per second, and, for context, the raw
 * inserts without the outbox's trigger (migration 4): what one outbox row
 * per change costs.
 *
 * Ids are random-looking SHA-256 hex, as in production: at SQLite's default
 * 2 MB page cache their b-tree inserts re-read pages constantly, so both
 * sides run with the writer's page cache (store_tune.h,
 * SRR_STORE_WRITER_CACHE_KIB). The mock cluster keeps ~5 MiB per partition,
 * so the candidates are produced and drained in rounds that fit; only the
 * drains are timed for the writer's rate.
 *
 * Last measured (2026-11-28, Release build, 2 cores shared with another
 * benchmark, 14 runs): writer 11,900-15,800 candidates/s (median ~13,600),
 * raw 20,200-29,000/s (median ~25,000), ratio 0.49-0.64 (median 0.53; 12
 * of 14 runs >= 0.50). It was 0.24-0.28 (writer ~6,300-7,100/s) before the
 * decision moved out of the random-keyed candidates table (migration 3),
 * the per-candidate JSON texts went to jsonw, the open-record lookup
 * stopped building a temporary b-tree per call, candidates were read
 * without jansson's loader (core/candidate_fast.c) and parsed on a second
 * thread while the batch is applied (writer.c).
 *
 * What the writer still pays beyond the reference: two more statements per
 * candidate (the open-record lookup and the record's update) and the
 * decision's text in its sighting, which dirty ~18% more pages per batch
 * (736 WAL frames per commit against 622), so more commit and checkpoint
 * I/O: SQLite is ~85% of the applying thread. And the timed drains include
 * the Kafka consumer's end-of-topic confirmation (watermark queries, ~80 ms
 * per drain, ~7% of the drain time here) and offset commits.
 *
 * Run: ./scripts/bench.sh writer
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "candidate.h"
#include "hash.h"
#include "kafka_mock.h"
#include "queue.h"
#include "store.h"
#include "store_fixtures.h"
#include "store_tune.h"
#include "testutil.h"
#include "writer.h"

#define ROUNDS 4
#define PER_ROUND 15000 /* ~9 MB over 3 partitions: inside the mock's window */
#define FINGERPRINTS 3000
#define BATCH 500
#define T0 1764331200

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hex_id(int i, char out[65])
{
    unsigned char d[32];
    char in[32];
    int k;
    snprintf(in, sizeof(in), "bench-%d", i);
    srr_sha256_of(in, strlen(in), d);
    for (k = 0; k < 32; k++)
        snprintf(out + 2 * k, 3, "%02x", d[k]);
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_writer: %s: %s\n", what, msg);
    exit(1);
}

/* The reference: the same rows inserted raw, BATCH per transaction (the
 * audit row's trigger writes the record's outbox row, as in the writer);
 * with `no_outbox` the trigger is dropped first, to show what the outbox
 * costs. */
static double raw_inserts(const char *db, char **ids, char **fps, int n, int no_outbox)
{
    srr_store *st = NULL;
    srr_error err = {0};
    sqlite3 *h = NULL;
    sqlite3_stmt *ic = NULL, *is = NULL, *ie = NULL, *ia = NULL;
    double t;
    int i;
    /* the store's own schema, indexes and migrations */
    if (srr_store_open(db, &st, &err) != SRR_OK)
        die("store", err.msg);
    srr_store_close(&st);
    if (sqlite3_open(db, &h) != SQLITE_OK)
        die("sqlite", sqlite3_errmsg(h));
    sqlite3_exec(h, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", NULL, NULL, NULL);
    if (no_outbox && sqlite3_exec(h, "DROP TRIGGER audit_outbox", NULL, NULL, NULL) != SQLITE_OK)
        die("drop trigger", sqlite3_errmsg(h));
    if (sqlite3_prepare_v2(h,
                           "INSERT INTO candidates (id, fingerprint, action, applied_at, outcome)"
                           " VALUES (?, ?, 'risk', ?, 'evidence SRR-1')",
                           -1, &ic, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h,
                           "INSERT INTO sightings (fingerprint, candidate_id, at, status, value)"
                           " VALUES (?, ?, ?, 'firing', 12.5)",
                           -1, &is, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h,
                           "INSERT INTO evidence (record_kind, record_id, candidate_id,"
                           " observed_at, status, value, summary, link, evidence)"
                           " VALUES ('risk', ?, ?, ?, 'firing', 12.5,"
                           " 'growth 12.5%/week > 10%/week (firing)',"
                           " 'https://app.datadoghq.com/metric/explorer?q=rss',"
                           " '{\"points\":[[1,1.0],[2,2.0]]}')",
                           -1, &ie, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h,
                           "INSERT INTO audit (at, actor, record_kind, record_id, action, after,"
                           " why) VALUES (?, 'srr-writer', 'risk', ?, 'evidence', ?,"
                           " 'signal seen again')",
                           -1, &ia, NULL) != SQLITE_OK)
        die("prepare", sqlite3_errmsg(h));
    t = now_s();
    for (i = 0; i < n; i++) {
        if (i % BATCH == 0)
            sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        sqlite3_bind_text(ic, 1, ids[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(ic, 2, fps[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(ic, 3, T0);
        sqlite3_bind_text(is, 1, fps[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(is, 2, ids[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(is, 3, T0 + i);
        sqlite3_bind_int64(ie, 1, 1 + i % FINGERPRINTS);
        sqlite3_bind_text(ie, 2, ids[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(ie, 3, T0 + i);
        sqlite3_bind_int64(ia, 1, T0);
        sqlite3_bind_int64(ia, 2, 1 + i % FINGERPRINTS);
        sqlite3_bind_text(ia, 3,
                          "{\"status\":\"firing\",\"summary\":\"growth 12.5%/week > 10%/week "
                          "(firing)\",\"value\":12.5}",
                          -1, SQLITE_STATIC);
        if (sqlite3_step(ic) != SQLITE_DONE || sqlite3_step(is) != SQLITE_DONE ||
            sqlite3_step(ie) != SQLITE_DONE || sqlite3_step(ia) != SQLITE_DONE)
            die("insert", sqlite3_errmsg(h));
        sqlite3_reset(ic);
        sqlite3_reset(is);
        sqlite3_reset(ie);
        sqlite3_reset(ia);
        if (i % BATCH == BATCH - 1 || i == n - 1)
            if (sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                die("commit", sqlite3_errmsg(h));
    }
    t = now_s() - t;
    sqlite3_finalize(ic);
    sqlite3_finalize(is);
    sqlite3_finalize(ie);
    sqlite3_finalize(ia);
    sqlite3_close(h);
    return n / t;
}

int main(void)
{
    const int n = ROUNDS * PER_ROUND;
    char *dir = tu_mkdtemp(), *db = srr_asprintf("%s/writer.db", dir),
         *rawdb = srr_asprintf("%s/raw.db", dir), *bare = srr_asprintf("%s/bare.db", dir);
    char **ids = srr_calloc((size_t)n, sizeof(*ids)), **fps = srr_calloc((size_t)n, sizeof(*fps));
    char **json = srr_calloc((size_t)n, sizeof(*json));
    km_cluster *km;
    srr_config *cfg;
    srr_producer *p = NULL;
    srr_consumer *c = NULL;
    srr_store *st = NULL;
    srr_error err = {0};
    srr_apply_stats stats = {0};
    srr_writer_opts o = {0};
    double t_prod = 0, t_drain = 0, raw_rate, bare_rate, writer_rate, t;
    int r, i;

    setenv("SRR_KAFKA_ASSIGN", "all", 1);
    setenv("SRR_NOW", "1764331200", 1);
    srr_store_tune_cache(SRR_STORE_WRITER_CACHE_KIB);
    for (i = 0; i < n; i++) {
        char id[65];
        hex_id(i, id);
        ids[i] = srr_strdup(id);
        fps[i] = srr_asprintf("fp-%d", i % FINGERPRINTS);
        json[i] = sf_candidate_json(ids[i], fps[i], SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + i);
    }

    km = km_start(3, "srr.candidates", 3);
    cfg = km_config(km, "bench", db, NULL);
    if (srr_producer_open(cfg, &p, &err) != SRR_OK || srr_store_open(db, &st, &err) != SRR_OK ||
        srr_consumer_open(cfg, &c, &err) != SRR_OK)
        die("open", err.msg);
    o.once = 1;
    o.batch_size = BATCH;
    for (r = 0; r < ROUNDS; r++) {
        t = now_s();
        for (i = r * PER_ROUND; i < (r + 1) * PER_ROUND; i++)
            if (srr_producer_send(p, fps[i], json[i], strlen(json[i]), &err) != SRR_OK)
                die("send", err.msg);
        if (srr_producer_flush(p, &err) != SRR_OK)
            die("flush", err.msg);
        t_prod += now_s() - t;
        t = now_s();
        if (srr_writer_drain(c, st, &o, &stats, &err) != SRR_OK)
            die("drain", err.msg);
        t_drain += now_s() - t;
    }
    srr_consumer_close(&c);
    srr_store_close(&st);
    srr_producer_close(&p);
    if ((int)(stats.received - stats.duplicates) != n)
        fprintf(stderr, "bench_writer: WARNING: %zu of %d candidates stored\n",
                stats.received - stats.duplicates, n);
    bare_rate = raw_inserts(bare, ids, fps, n, 1);
    raw_rate = raw_inserts(rawdb, ids, fps, n, 0);
    writer_rate = n / t_drain;

    printf("candidates:          %d (%d fingerprints: %zu new drafts, %zu as evidence), "
           "batches of %d, page cache %d MiB\n",
           n, FINGERPRINTS, stats.new_risks, stats.evidence, BATCH,
           SRR_STORE_WRITER_CACHE_KIB / 1024);
    printf("producer confirmed:  %.0f candidates/s (idempotent, acks=all, mock cluster)\n",
           n / t_prod);
    printf("writer topic->store: %.0f candidates/s\n", writer_rate);
    printf("raw SQLite inserts:  %.0f candidates/s (4 rows each, same keys and indexes)\n",
           raw_rate);
    printf("ratio writer/raw:    %.2f (target >= 0.50) %s\n", writer_rate / raw_rate,
           writer_rate / raw_rate >= 0.5 ? "ok" : "BELOW TARGET");
    printf("raw without outbox:  %.0f candidates/s (the outbox trigger costs raw inserts "
           "%.0f%%; context)\n",
           bare_rate, 100.0 * (1.0 - raw_rate / bare_rate));

    km_config_free(cfg);
    km_stop(&km);
    for (i = 0; i < n; i++) {
        free(ids[i]);
        free(fps[i]);
        free(json[i]);
    }
    free(ids);
    free(fps);
    free(json);
    tu_rmdir_r(dir);
    free(dir);
    free(db);
    free(rawdb);
    free(bare);
    return 0;
}
