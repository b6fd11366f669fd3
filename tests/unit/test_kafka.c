/* SPDX-License-Identifier: Apache-2.0
 *
 * test_kafka.c - the Kafka queue backend against librdkafka's mock cluster
 * (one cluster per test; Criterion runs each Test() in its own process):
 * 100 000 candidates drained while produced, a broker down and a leader
 * moved mid-produce, injected produce/fetch/commit errors, a fatal
 * idempotence error, poison in the middle of a partition (dead-letter topic
 * and quarantine), two writers sharing a group, SIGTERM, the writer
 * killed with SIGKILL at random points then restarted (the store ends
 * identical to a clean run), and srr serve on Kafka killed with SIGKILL in
 * the middle of a webhook storm (every alert it answered 202 is stored). Most tests use SRR_KAFKA_ASSIGN=all (manual
 * assignment) so no group join slows them; the group tests use 3 s session
 * timeouts (see ../shared/kafka-mock-notes.md).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "backup.h"
#include "kafka_mock.h"
#include "queue.h"
#include "store.h"
#include "store_fixtures.h"
#include "testutil.h"
#include "webhook_client.h"
#include "writer.h"

#define T0 1764331200
#define T0_STR "1764331200"

/* Mock ApiKeys (rdkafka_protocol.h is not installed). */
#define API_PRODUCE 0
#define API_FETCH 1
#define API_OFFSET_COMMIT 8

static char *g_dir, *g_db;

static void setup(void)
{
    g_dir = tu_mkdtemp();
    g_db = srr_asprintf("%s/srr.db", g_dir);
    setenv("SRR_NOW", T0_STR, 1);
    setenv("SRR_KAFKA_ASSIGN", "all", 1);
}

static void teardown(void)
{
    tu_rmdir_r(g_dir);
    free(g_db);
    free(g_dir);
}

TestSuite(kafka, .init = setup, .fini = teardown, .timeout = 240);

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const srr_action ACTIONS[] = {SRR_ACTION_RISK, SRR_ACTION_BACKLOG,
                                     SRR_ACTION_INVESTIGATE};

/* Sends candidates c<from>..c<to-1>, fingerprint fp<i % nfp>, without
 * flushing. */
static void send_range(srr_producer *p, int from, int to, int nfp)
{
    int i;
    for (i = from; i < to; i++) {
        char id[32], fp[32];
        char *json;
        srr_error err = {0};
        srr_rc rc;
        snprintf(id, sizeof(id), "c%06d", i);
        snprintf(fp, sizeof(fp), "fp%d", i % nfp);
        json = sf_candidate_json(id, fp, ACTIONS[(i % nfp) % 3], SRR_STATUS_FIRING, T0 + i);
        rc = srr_producer_send(p, fp, json, strlen(json), &err);
        free(json);
        cr_assert_eq(rc, SRR_OK, "send %d: %s", i, err.msg);
    }
}

/* A producer opened on cfg that has sent c<from>..c<to-1> (send_range)
 * and flushed them; close with srr_producer_close. */
static srr_producer *open_and_send(const srr_config *cfg, int from, int to, int nfp)
{
    srr_producer *p = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_producer_open(cfg, &p, &err), SRR_OK, "%s", err.msg);
    send_range(p, from, to, nfp);
    cr_assert_eq(srr_producer_flush(p, &err), SRR_OK, "%s", err.msg);
    return p;
}

static void produce_range(const srr_config *cfg, int from, int to, int nfp)
{
    srr_producer *p = open_and_send(cfg, from, to, nfp);
    srr_producer_close(&p);
}

static void send_raw(srr_producer *p, const char *key, const char *payload)
{
    srr_error err = {0};
    cr_assert_eq(srr_producer_send(p, key, payload, strlen(payload), &err), SRR_OK, "%s",
                 err.msg);
}

/* srr drain --once in-process. */
static srr_apply_stats drain_once(const srr_config *cfg)
{
    srr_store *st = NULL;
    srr_consumer *c = NULL;
    srr_writer_opts o = {0};
    srr_apply_stats stats = {0};
    srr_error err = {0};
    o.once = 1;
    cr_assert_eq(srr_store_open(g_db, &st, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_consumer_open(cfg, &c, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_writer_drain(c, st, &o, &stats, &err), SRR_OK, "%s", err.msg);
    srr_consumer_close(&c);
    srr_store_close(&st);
    return stats;
}

static long long q(const char *sql)
{
    return sf_query_int(g_db, sql);
}

/* Every id c000000..c<n-1> exactly once: the primary key forbids twice, the
 * count and range forbid missing ones. */
static void assert_exactly_once(int n)
{
    char *sql = srr_asprintf("SELECT count(*) FROM candidates WHERE id >= 'c000000' AND id <= "
                             "'c%06d' AND length(id) = 7",
                             n - 1);
    cr_assert_eq(q("SELECT count(*) FROM candidates"), n, "candidates: %lld, expected %d",
                 q("SELECT count(*) FROM candidates"), n);
    cr_assert_eq(q(sql), n);
    cr_assert_eq(q("SELECT count(*) FROM sightings"), n, "every sighting once");
    free(sql);
}

/* ---- a writer running in a thread until stopped ---- */

typedef struct bg_writer {
    const srr_config *cfg;
    pthread_t th;
    volatile sig_atomic_t stop;
    srr_apply_stats stats;
    srr_rc rc;
    srr_error err;
} bg_writer;

static void *bg_run(void *arg)
{
    bg_writer *w = arg;
    srr_store *st = NULL;
    srr_consumer *c = NULL;
    srr_writer_opts o = {0};
    o.stop = &w->stop;
    o.poll_timeout_ms = 100;
    w->rc = srr_store_open(g_db, &st, &w->err);
    if (w->rc == SRR_OK)
        w->rc = srr_consumer_open(w->cfg, &c, &w->err);
    if (w->rc == SRR_OK)
        w->rc = srr_writer_drain(c, st, &o, &w->stats, &w->err);
    srr_consumer_close(&c);
    srr_store_close(&st);
    return NULL;
}

static void bg_start(bg_writer *w, const srr_config *cfg)
{
    memset(w, 0, sizeof(*w));
    w->cfg = cfg;
    cr_assert_eq(pthread_create(&w->th, NULL, bg_run, w), 0);
}

static void bg_stop(bg_writer *w)
{
    w->stop = 1;
    pthread_join(w->th, NULL);
    cr_assert_eq(w->rc, SRR_OK, "writer: %s", w->err.msg);
}

/* Waits until the store holds `n` candidates (at most `secs`). */
static void wait_stored(long long n, double secs)
{
    double end = now_s() + secs;
    while (now_s() < end) {
        if (access(g_db, F_OK) == 0 && q("SELECT count(*) FROM candidates") >= n)
            return;
        sleep_ms(100);
    }
    cr_assert_fail("timed out waiting for %lld candidates (have %lld)", n,
                   access(g_db, F_OK) == 0 ? q("SELECT count(*) FROM candidates") : -1);
}

Test(kafka, hundred_thousand_drained_while_produced)
{
    const int total = 100000, chunk = 5000, max_lag = 12000;
    km_cluster *km = km_start(3, "srr.candidates", 3);
    srr_config *cfg = km_config(km, "w-100k", g_db, NULL);
    srr_producer *p = NULL;
    srr_error err = {0};
    bg_writer w;
    int sent = 0;
    double t0 = now_s();
    /* the writer's store exists before the producer starts */
    {
        srr_store *st = NULL;
        cr_assert_eq(srr_store_open(g_db, &st, &err), SRR_OK, "%s", err.msg);
        srr_store_close(&st);
    }
    bg_start(&w, cfg);
    cr_assert_eq(srr_producer_open(cfg, &p, &err), SRR_OK, "%s", err.msg);
    while (sent < total) {
        /* ~5 MiB per mock partition: never run further ahead of the writer
         * than the partitions keep. */
        while (sent - q("SELECT count(*) FROM candidates") > max_lag)
            sleep_ms(20);
        send_range(p, sent, sent + chunk, 5000);
        cr_assert_eq(srr_producer_flush(p, &err), SRR_OK, "%s", err.msg);
        sent += chunk;
    }
    srr_producer_close(&p);
    wait_stored(total, 120);
    bg_stop(&w);
    cr_log_info("100k: %.1f s", now_s() - t0);
    assert_exactly_once(total);
    cr_assert_eq(w.stats.duplicates, 0);
    cr_assert_eq(w.stats.quarantined, 0);
    cr_assert_eq(km_committed(km, "w-100k"), total);
    km_config_free(cfg);
    km_stop(&km);
}

Test(kafka, broker_down_and_leader_moved_lose_nothing)
{
    km_cluster *km = km_start(3, "srr.candidates", 3);
    srr_config *cfg = km_config(km, "w-down", g_db, NULL);
    srr_producer *p = NULL;
    srr_error err = {0};
    srr_apply_stats st;
    cr_assert_eq(srr_producer_open(cfg, &p, &err), SRR_OK, "%s", err.msg);
    send_range(p, 0, 4000, 300);
    cr_assert_eq(rd_kafka_mock_broker_set_down(km->mc, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    send_range(p, 4000, 8000, 300);
    sleep_ms(3000);
    cr_assert_eq(rd_kafka_mock_broker_set_up(km->mc, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    cr_assert_eq(rd_kafka_mock_partition_set_leader(km->mc, km->topic, 0, 3),
                 RD_KAFKA_RESP_ERR_NO_ERROR);
    send_range(p, 8000, 12000, 300);
    cr_assert_eq(srr_producer_flush(p, &err), SRR_OK, "%s", err.msg);
    srr_producer_close(&p);
    /* and a leader moved while draining */
    cr_assert_eq(rd_kafka_mock_partition_set_leader(km->mc, km->topic, 1, 2),
                 RD_KAFKA_RESP_ERR_NO_ERROR);
    st = drain_once(cfg);
    assert_exactly_once(12000);
    /* Not asserted: no duplicate in the topic. A broker set down with
     * requests in flight makes librdkafka resend batches the mock had
     * already appended, and the 2.0.2 mock checks the idempotent sequence
     * only for transactional producers (see retriable_produce_errors...),
     * so its log sometimes holds a few copies (12,008 messages for 12,000
     * in 1 of 16 ASan runs); a broker refuses them. The store holding each
     * candidate once is what srr promises, and is asserted above. */
    cr_log_info("broker down: %zu duplicate(s) in the mock's log, stored once",
                st.duplicates);
    km_config_free(cfg);
    km_stop(&km);
}

Test(kafka, retriable_produce_errors_deliver_once)
{
    km_cluster *km = km_start(3, "srr.candidates", 3);
    srr_config *cfg = km_config(km, "w-perr", g_db, NULL);
    srr_producer *p = open_and_send(cfg, 0, 30, 10); /* warm up: ids and connections */
    srr_error err = {0};
    rd_kafka_mock_push_request_errors(
        km->mc, API_PRODUCE, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR__TRANSPORT);
    /* Each error once. Repeated (4 x REQUEST_TIMED_OUT, or 4 x
     * LEADER_NOT_AVAILABLE) the 2.0.2 mock ends with 3-4 of 3000 messages
     * missing from its log although every delivery report was OK (3 and 2
     * runs of 16 under ASan). That is the mock, not the client: when a
     * request R1 fails and a later in-flight R2 succeeds, librdkafka takes
     * R1's messages as persisted (rd_kafka_dr_implicit_ack), because a real
     * broker would have refused R2 with OUT_OF_ORDER_SEQUENCE_NUMBER; the
     * mock checks sequences only for transactional producers
     * (rd_kafka_mock_validate_records) and never appends a request it
     * answers with an injected error. */
    send_range(p, 30, 3000, 100);
    cr_assert_eq(srr_producer_flush(p, &err), SRR_OK, "%s", err.msg);
    srr_producer_close(&p);
    drain_once(cfg);
    assert_exactly_once(3000);
    km_config_free(cfg);
    km_stop(&km);
}

Test(kafka, fetch_error_injected)
{
    km_cluster *km = km_start(3, "srr.candidates", 3);
    srr_config *cfg = km_config(km, "w-ferr", g_db, NULL);
    produce_range(cfg, 0, 3000, 100);
    rd_kafka_mock_push_request_errors(km->mc, API_FETCH, 3,
                                      RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                      RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR);
    drain_once(cfg);
    assert_exactly_once(3000);
    cr_assert_eq(km_committed(km, "w-ferr"), 3000);
    km_config_free(cfg);
    km_stop(&km);
}

Test(kafka, commit_rebalance_in_progress_is_not_fatal)
{
    km_cluster *km = km_start(3, "srr.candidates", 3);
    srr_config *cfg = km_config(km, "w-cerr", g_db, NULL);
    srr_apply_stats st;
    produce_range(cfg, 0, 3000, 100);
    rd_kafka_mock_push_request_errors(km->mc, API_OFFSET_COMMIT, 2,
                                      RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
                                      RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS);
    st = drain_once(cfg);
    assert_exactly_once(3000);
    cr_assert_eq(st.duplicates, 0);
    /* the failed commits' offsets went with a later commit */
    cr_assert_eq(km_committed(km, "w-cerr"), 3000);
    st = drain_once(cfg);
    cr_assert_eq(st.received, 0, "a restarted writer re-reads nothing");
    km_config_free(cfg);
    km_stop(&km);
}

/* Sends after an injected OUT_OF_ORDER_SEQUENCE_NUMBER: the producer turns
 * fatal as soon as the broker's answer arrives, which on a busy machine can
 * be before the last of these sends. A send is then refused at once as
 * fatal, and so is every later one; what the test holds is that the error
 * surfaces (as fatal, never as success) and that nothing loops on it. */
static void send_until_fatal(srr_producer *p, int from, int to)
{
    int i, refused = 0;
    for (i = from; i < to; i++) {
        char id[32];
        char *json;
        srr_error err = {0};
        srr_rc rc;
        snprintf(id, sizeof(id), "c%06d", i);
        json = sf_candidate_json(id, "fp", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + i);
        rc = srr_producer_send(p, "fp", json, strlen(json), &err);
        free(json);
        if (refused)
            cr_assert_eq(rc, SRR_ERR, "send %d after a fatal refusal: rc %d %s", i, rc, err.msg);
        if (rc != SRR_OK) {
            cr_assert_eq(rc, SRR_ERR, "send %d: rc %d %s", i, rc, err.msg);
            cr_assert(strstr(err.msg, "fatal"), "send %d: %s", i, err.msg);
            refused = 1;
        }
    }
}

/* The next send fails at once: the handle is never looped on. */
static void next_send_fails_at_once(srr_producer *p)
{
    char *json = sf_candidate_json("x", "fp", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    srr_error err = {0};
    double t = now_s();
    srr_rc rc = srr_producer_send(p, "fp", json, strlen(json), &err);
    free(json);
    cr_assert_eq(rc, SRR_ERR, "%s", err.msg);
    cr_assert(strstr(err.msg, "fatal"), "%s", err.msg);
    cr_assert_lt(now_s() - t, 1.0);
}

Test(kafka, fatal_idempotence_error_surfaces)
{
    km_cluster *km = km_start(3, "srr.candidates", 1);
    srr_config *cfg = km_config(km, "w-fatal", g_db, NULL);
    srr_producer *p = open_and_send(cfg, 0, 10, 10);
    srr_error err = {0};
    srr_rc rc;
    rd_kafka_mock_push_request_errors(km->mc, API_PRODUCE, 1,
                                      RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    send_until_fatal(p, 10, 20);
    rc = srr_producer_flush(p, &err);
    cr_assert_neq(rc, SRR_OK);
    cr_assert(strstr(err.msg, "fatal"), "%s", err.msg);
    next_send_fails_at_once(p);
    srr_producer_close(&p);
    km_config_free(cfg);
    km_stop(&km);
}

/* The case a busy machine produced: the producer turned fatal before the
 * later sends (here made certain by waiting for the flush to see it).
 * Those sends are refused as fatal, not counted as queued. */
Test(kafka, sends_after_a_fatal_error_are_refused_as_fatal)
{
    km_cluster *km = km_start(3, "srr.candidates", 1);
    srr_config *cfg = km_config(km, "w-fatal2", g_db, NULL);
    srr_producer *p = open_and_send(cfg, 0, 10, 10);
    srr_error err = {0};
    rd_kafka_mock_push_request_errors(km->mc, API_PRODUCE, 1,
                                      RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    send_until_fatal(p, 10, 11);
    cr_assert_neq(srr_producer_flush(p, &err), SRR_OK);
    cr_assert(strstr(err.msg, "fatal"), "%s", err.msg);
    send_until_fatal(p, 11, 20); /* every one refused: the old test sent these expecting OK */
    next_send_fails_at_once(p);
    srr_producer_close(&p);
    km_config_free(cfg);
    km_stop(&km);
}

Test(kafka, queue_full_is_retry_after_a_bounded_wait)
{
    km_cluster *km = km_start(1, "srr.candidates", 1);
    srr_config *cfg =
        km_config(km, "w-full", g_db, "queue.buffering.max.messages", "5", NULL);
    srr_producer *p = NULL;
    srr_error err = {0};
    srr_rc rc = SRR_OK;
    int i;
    double t;
    cr_assert_eq(srr_producer_open(cfg, &p, &err), SRR_OK, "%s", err.msg);
    rd_kafka_mock_broker_set_down(km->mc, 1);
    t = now_s();
    for (i = 0; i < 6 && rc == SRR_OK; i++) {
        char *json = sf_candidate_json("qf", "fp", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
        rc = srr_producer_send(p, "fp", json, strlen(json), &err);
        free(json);
    }
    cr_assert_eq(rc, SRR_RETRY, "rc %d: %s", rc, err.msg);
    cr_assert_eq(i, 6);
    cr_assert_lt(now_s() - t, 20.0, "bounded");
    rd_kafka_mock_broker_set_up(km->mc, 1);
    cr_assert_eq(srr_producer_flush(p, &err), SRR_OK, "%s", err.msg);
    srr_producer_close(&p);
    km_config_free(cfg);
    km_stop(&km);
}

Test(kafka, settings_are_checked_and_named)
{
    srr_config *cfg;
    km_cluster fake = {0};
    srr_producer *p = NULL;
    srr_consumer *c = NULL;
    srr_error err = {0};
    fake.bootstraps = "127.0.0.1:1";
    fake.topic = "t";
    fake.dlq_topic = "t.dlq";
    cfg = km_config(&fake, "g", g_db, "acks", "1", NULL);
    cr_assert_eq(srr_producer_open(cfg, &p, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "queue.kafka.rdkafka.acks"), "%s", err.msg);
    km_config_free(cfg);
    cfg = km_config(&fake, "g", g_db, "no.such.setting", "x", NULL);
    cr_assert_eq(srr_producer_open(cfg, &p, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "queue.kafka.rdkafka.no.such.setting"), "%s", err.msg);
    km_config_free(cfg);
    cfg = km_config(&fake, "g", g_db, "enable.auto.commit", "true", NULL);
    cr_assert_eq(srr_consumer_open(cfg, &c, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "queue.kafka.rdkafka.enable.auto.commit"), "%s", err.msg);
    km_config_free(cfg);
}

Test(kafka, poison_mid_partition_goes_to_dlq_and_quarantine)
{
    km_cluster *km = km_start(3, "srr.candidates", 1);
    srr_config *cfg = km_config(km, "w-poison", g_db, NULL);
    srr_producer *p = NULL;
    srr_error err = {0};
    srr_apply_stats st;
    char **reasons = NULL;
    size_t n, i;
    int saw_json = 0, saw_schema = 0;
    cr_assert_eq(srr_producer_open(cfg, &p, &err), SRR_OK, "%s", err.msg);
    send_range(p, 0, 50, 10);
    send_raw(p, "fpz", "{not json");
    send_raw(p, "fpz", "{\"schema\":\"srr.candidate/99\",\"id\":\"x\"}");
    send_range(p, 50, 100, 10);
    cr_assert_eq(srr_producer_flush(p, &err), SRR_OK, "%s", err.msg);
    srr_producer_close(&p);

    st = drain_once(cfg);
    assert_exactly_once(100);
    cr_assert_eq(st.quarantined, 2);
    cr_assert_eq(q("SELECT count(*) FROM quarantine WHERE origin = 'kafka'"), 2);
    cr_assert_eq(km_committed(km, "w-poison"), 102, "the partition moved past the poison");
    n = km_read_dlq(km, &reasons);
    cr_assert_eq(n, 2);
    for (i = 0; i < n; i++) {
        if (strstr(reasons[i], "not JSON"))
            saw_json = 1;
        if (strstr(reasons[i], "schema"))
            saw_schema = 1;
    }
    cr_assert(saw_json && saw_schema, "reasons: %s / %s", reasons[0], reasons[1]);
    km_strings_free(reasons, n);
    st = drain_once(cfg);
    cr_assert_eq(st.received + st.quarantined, 0);
    km_config_free(cfg);
    km_stop(&km);
}

Test(kafka, two_writers_in_one_group_share_partitions)
{
    km_cluster *km = km_start(3, "srr.candidates", 4);
    srr_config *cfg = km_config(km, "w-two", g_db, NULL);
    srr_producer *p = NULL;
    srr_error err = {0};
    bg_writer a, b;
    int i;
    unsetenv("SRR_KAFKA_ASSIGN"); /* a real consumer group */
    {
        srr_store *st = NULL;
        cr_assert_eq(srr_store_open(g_db, &st, &err), SRR_OK, "%s", err.msg);
        srr_store_close(&st);
    }
    bg_start(&a, cfg);
    bg_start(&b, cfg);
    cr_assert_eq(srr_producer_open(cfg, &p, &err), SRR_OK, "%s", err.msg);
    for (i = 0; i < 30; i++) { /* over ~9 s: both members join meanwhile */
        send_range(p, i * 200, (i + 1) * 200, 400);
        cr_assert_eq(srr_producer_flush(p, &err), SRR_OK, "%s", err.msg);
        sleep_ms(300);
    }
    srr_producer_close(&p);
    wait_stored(6000, 60);
    bg_stop(&a);
    bg_stop(&b);
    assert_exactly_once(6000);
    cr_assert_gt(a.stats.received, 0, "writer a got partitions");
    cr_assert_gt(b.stats.received, 0, "writer b got partitions");
    cr_assert_eq(a.stats.received - a.stats.duplicates + b.stats.received - b.stats.duplicates,
                 6000);
    cr_assert_eq(km_committed(km, "w-two"), 6000);
    km_config_free(cfg);
    km_stop(&km);
}

/* ---- the srr binary ---- */

static pid_t spawn_drain(const char *yaml, int once)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        /* If the test dies (a timeout), its writer must not live on. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (once)
            execl(SRR_BIN, "srr", "drain", "-c", yaml, "--once", (char *)NULL);
        else
            execl(SRR_BIN, "srr", "drain", "-c", yaml, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid)
{
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void run_once_cli(const char *yaml)
{
    const char *argv[] = {SRR_BIN, "drain", "-c", yaml, "--once", NULL};
    tu_run r;
    tu_exec(argv, NULL, NULL, &r);
    cr_assert_eq(r.status, 0, "srr drain --once: %d\n%s%s", r.status, r.out, r.err);
    tu_run_free(&r);
}

static void assert_integrity(const char *db)
{
    cr_assert_eq(sf_query_int(db, "SELECT count(*) FROM pragma_integrity_check WHERE "
                                  "integrity_check <> 'ok'"),
                 0, "integrity_check of %s", db);
}

Test(kafka, sigterm_finishes_commits_and_exits_zero)
{
    km_cluster *km = km_start(3, "srr.candidates", 3);
    srr_config *cfg = km_config(km, "w-term", g_db, NULL);
    char *yaml = km_write_yaml(km, g_dir, "w-term", g_db);
    pid_t pid;
    produce_range(cfg, 0, 3000, 100);
    {
        srr_store *st = NULL; /* the tables exist before wait_stored reads them */
        srr_error err = {0};
        cr_assert_eq(srr_store_open(g_db, &st, &err), SRR_OK, "%s", err.msg);
        srr_store_close(&st);
    }
    pid = spawn_drain(yaml, 0);
    wait_stored(3000, 60);
    cr_assert_eq(kill(pid, SIGTERM), 0);
    cr_assert_eq(wait_exit(pid), 0);
    assert_exactly_once(3000);
    cr_assert_eq(km_committed(km, "w-term"), 3000);
    free(yaml);
    km_config_free(cfg);
    km_stop(&km);
}

Test(kafka, sigkill_at_random_points_then_restart_matches_a_clean_run, .timeout = 600)
{
    const int runs = 20, total = 3000;
    km_cluster *km = km_start(3, "srr.candidates", 1); /* one order: identical ids */
    srr_config *cfg = km_config(km, "producer", g_db, NULL);
    srr_producer *p = NULL;
    srr_error err = {0};
    char *ref_db = srr_asprintf("%s/ref.db", g_dir), *ref_yaml, *ref_dump;
    double t, clean_s;
    int run, killed_mid = 0;
    cr_assert_eq(srr_producer_open(cfg, &p, &err), SRR_OK, "%s", err.msg);
    send_range(p, 0, total / 2, 150);
    send_raw(p, "fpz", "{not json");
    send_range(p, total / 2, total, 150);
    cr_assert_eq(srr_producer_flush(p, &err), SRR_OK, "%s", err.msg);
    srr_producer_close(&p);

    /* the clean run */
    {
        char *d = srr_asprintf("%s/ref", g_dir);
        mkdir(d, 0700);
        ref_yaml = km_write_yaml(km, d, "ref", ref_db);
        free(d);
    }
    t = now_s();
    run_once_cli(ref_yaml);
    clean_s = now_s() - t;
    ref_dump = km_store_dump(ref_db);
    assert_integrity(ref_db);
    cr_assert_eq(sf_query_int(ref_db, "SELECT count(*) FROM candidates"), total);
    srand((unsigned)time(NULL));
    for (run = 0; run < runs; run++) {
        char *d = srr_asprintf("%s/run%d", g_dir, run), *db, *group, *yaml, *dump;
        long delay = (long)(rand() % (int)(clean_s * 1000 + 1));
        pid_t pid;
        int code;
        mkdir(d, 0700);
        db = srr_asprintf("%s/srr.db", d);
        group = srr_asprintf("kill-%d", run);
        yaml = km_write_yaml(km, d, group, db);
        pid = spawn_drain(yaml, 0);
        sleep_ms(delay);
        kill(pid, SIGKILL);
        code = wait_exit(pid);
        /* A kill can land before the store's first migration committed:
         * then the file may exist without tables, which is mid-drain too. */
        if (code == 128 + SIGKILL &&
            (access(db, F_OK) != 0 ||
             sf_query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'candidates'") ==
                 0 ||
             sf_query_int(db, "SELECT count(*) FROM candidates") < total))
            killed_mid++;
        run_once_cli(yaml); /* the restart */
        dump = km_store_dump(db);
        assert_integrity(db);
        if (strcmp(dump, ref_dump) != 0) { /* keep both for a diff */
            FILE *f = fopen("/tmp/srr-kill-ref.dump", "w");
            if (f) {
                fputs(ref_dump, f);
                fclose(f);
            }
            f = fopen("/tmp/srr-kill-run.dump", "w");
            if (f) {
                fputs(dump, f);
                fclose(f);
            }
        }
        cr_assert_str_eq(dump, ref_dump, "run %d (killed after %ld ms) differs (dumps in /tmp)",
                         run, delay);
        free(dump);
        free(yaml);
        free(group);
        free(db);
        free(d);
    }
    cr_log_info("SIGKILL: %d of %d runs were killed mid-drain (clean drain %.2f s)", killed_mid,
                runs, clean_s);
    cr_assert_gt(killed_mid, 0, "some kills landed mid-drain");
    free(ref_dump);
    free(ref_yaml);
    free(ref_db);
    km_config_free(cfg);
    km_stop(&km);
}

Test(kafka, serve_killed_mid_storm_loses_no_accepted_alert)
{
    /* On Kafka, serve answers 202 only after the delivery report (acks=all,
     * idempotent). Killed with SIGKILL while 8 clients post, every alert it
     * answered 202 must be on the topic, and so reach the store. */
    enum { CLIENTS = 8, PER_CLIENT = 60, KILL_AFTER = 150 };
    km_cluster *km = km_start(3, "srr.candidates", 3);
    srr_config *cfg = km_config(km, "w-serve", g_db, NULL);
    char *yaml = km_write_yaml(km, g_dir, "w-serve", g_db), **ids;
    size_t n, missing;
    FILE *f = fopen(yaml, "a");
    cr_assert_not_null(f);
    fputs("webhook:\n  listen: 127.0.0.1:0\n", f);
    fclose(f);

    ids = wh_storm_kill_serve(SRR_BIN, yaml, "kafka-storm-token", CLIENTS, PER_CLIENT, KILL_AFTER,
                              20000, &n);
    drain_once(cfg);
    missing = wh_ids_missing_from_store(g_db, ids, n);
    cr_log_info("serve on Kafka, SIGKILL after %d accepted alerts: %zu answered 202 in all, %zu "
                "missing", KILL_AFTER, n, missing);
    cr_assert_eq(missing, 0, "%zu of %zu alerts answered 202 are not in the store", missing, n);
    wh_ids_free(ids, n);
    free(yaml);
    km_config_free(cfg);
    km_stop(&km);
}

/* The storm through srr serve on Kafka with a backup in the middle: the
 * restore moves the writers' group back to the offsets the backup
 * recorded, so the drain that follows applies again what was queued since,
 * and every alert answered 202 is in the store exactly once. */
Test(kafka, restore_of_a_mid_storm_backup_loses_no_accepted_alert)
{
    enum { CLIENTS = 8, PER_CLIENT = 60, BACKUP_AFTER = 150 };
    km_cluster *km = km_start(3, "srr.candidates", 3);
    char *yaml = km_write_yaml(km, g_dir, "w-restore", g_db), **ids;
    char *copy = srr_asprintf("%s/mid-storm.db", g_dir), url[128];
    const char *const env[] = {"SRR_WEBHOOK_TOKEN=kafka-restore-token", NULL};
    const char *backup[] = {SRR_BIN, "backup", "-c", yaml, copy, NULL};
    const char *restore[] = {SRR_BIN, "restore", "-c", yaml, copy, NULL};
    wh_storm *storm;
    wh_proc p;
    tu_run r;
    pid_t writer;
    size_t n, bad;
    long long at_backup;
    int waited;
    FILE *f = fopen(yaml, "a");
    cr_assert_not_null(f);
    fputs("webhook:\n  listen: 127.0.0.1:0\n", f);
    fclose(f);

    writer = spawn_drain(yaml, 0);
    cr_assert_eq(wh_proc_start(SRR_BIN, yaml, NULL, env, &p), 0, "serve: %s", p.log);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/webhooks/datadog", p.port);
    storm = wh_storm_start(url, "kafka-restore-token", CLIENTS, PER_CLIENT);
    /* the backup must hold some of the storm: wait for the writer to have
     * created the store (its tables, not just the file) and committed */
    for (waited = 0; (wh_storm_accepted(storm) < BACKUP_AFTER || access(g_db, F_OK) != 0 ||
                      q("SELECT count(*) FROM sqlite_master WHERE name = 'candidates'") == 0 ||
                      q("SELECT count(*) FROM candidates") == 0) &&
                     waited < 60000;
         waited += 5)
        usleep(5000);
    cr_assert_lt(waited, 60000, "the storm or the writer stalled");
    tu_exec(backup, NULL, g_dir, &r);
    cr_assert_eq(r.status, 0, "backup: %s", r.err);
    cr_assert(strstr(r.out, "kafka:srr.candidates"), "%s", r.out);
    tu_run_free(&r);
    ids = wh_storm_finish(storm, &n);
    cr_assert_eq(wh_proc_stop(&p), 0, "%s", p.log);
    wh_proc_free(&p);
    kill(writer, SIGTERM);
    cr_assert_eq(wait_exit(writer), 0);

    at_backup = sf_query_int(copy, "SELECT count(*) FROM candidates");
    cr_assert_lt(at_backup, (long long)n, "the backup was not taken mid-storm");
    tu_exec(restore, NULL, g_dir, &r);
    cr_assert_eq(r.status, 0, "restore: %s%s", r.out, r.err);
    cr_assert(strstr(r.out, "queue read position moved back"), "%s", r.out);
    cr_log_info("%s", r.out);
    tu_run_free(&r);
    cr_assert_eq(q("SELECT count(*) FROM candidates"), at_backup);
    run_once_cli(yaml);
    bad = wh_ids_not_once_in_store(g_db, ids, n);
    cr_log_info("kafka storm: %zu answered 202, %lld in the mid-storm backup, %lld after restore "
                "and drain, %zu not exactly once",
                n, at_backup, q("SELECT count(*) FROM candidates"), bad);
    cr_assert_eq(bad, 0, "%zu of %zu alerts answered 202 are not in the store exactly once", bad,
                 n);
    cr_assert_eq(q("SELECT count(*) FROM candidates"), (long long)n);
    wh_ids_free(ids, n);
    free(copy);
    free(yaml);
    km_stop(&km);
}

/* Kafka's retention passed the backup's position (the mock keeps about
 * 5 MiB per partition; older messages fall off its log): restore names how
 * many records are out of reach (the log start less the backup's offset)
 * and changes nothing; --accept-loss restores and the drain reads what
 * the topic still holds. */
Test(kafka, restore_names_records_past_retention, .timeout = 300)
{
    km_cluster *km = km_start(1, "srr.candidates", 1);
    srr_config *cfg = km_config(km, "w-retention", g_db, NULL);
    char *copy = srr_asprintf("%s/early.db", g_dir);
    srr_restore_report rep;
    srr_error err = {0};
    int64_t lo = 0, hi = 0;
    produce_range(cfg, 0, 50, 50);
    drain_once(cfg);
    cr_assert_eq(srr_store_backup(g_db, copy, &err), SRR_OK, "%s", err.msg);
    produce_range(cfg, 50, 25050, 5000);
    {   /* the log's start and end as a client sees them */
        char es[256];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;
        cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", km->bootstraps, es, sizeof es),
                     RD_KAFKA_CONF_OK);
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, es, sizeof es);
        cr_assert_not_null(rk, "%s", es);
        cr_assert_eq(rd_kafka_query_watermark_offsets(rk, km->topic, 0, &lo, &hi, 10000),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_destroy(rk);
    }
    cr_assert_gt(lo, 50, "the mock kept everything (log start %lld): no retention to test",
                 (long long)lo);

    cr_assert_eq(srr_store_restore_queued(cfg, copy, 0, &rep, &err), SRR_ECONFLICT);
    cr_assert(strstr(err.msg, "out of reach"), "%s", err.msg);
    cr_assert_eq(rep.plan.out_of_reach, lo - 50, "%s", err.msg);
    cr_assert_eq(srr_store_restore_queued(cfg, copy, 1, &rep, &err), SRR_OK, "%s", err.msg);
    cr_assert(rep.rewound);
    cr_assert_eq(rep.plan.out_of_reach, lo - 50);
    cr_assert_eq(q("SELECT count(*) FROM candidates"), 50);
    drain_once(cfg);
    cr_assert_eq(q("SELECT count(*) FROM candidates"), 50 + (hi - lo),
                 "not what the topic still holds");
    free(copy);
    km_config_free(cfg);
    km_stop(&km);
}
