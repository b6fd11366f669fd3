/* SPDX-License-Identifier: Apache-2.0
 *
 * test_webhook_e2e.c - the real `srr serve` process on 127.0.0.1 (port 0):
 * a Datadog-shaped alert posted with libcurl becomes a draft in
 * `srr risks list` (judged by the policy, queued through the spool, written
 * by the embedded writer); Datadog's retry of it and its recovery attach to
 * that record instead of opening new ones; SIGTERM exits 0; SIGKILL in the
 * middle of a storm loses no alert it had answered 202; no secret, no start
 * (unless --insecure-no-auth, said loudly).
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "srr.h"
#include "store_fixtures.h"
#include "testutil.h"
#include "webhook_client.h"

#define TOKEN "e2e-secret-token"

static char *dir, *cfg;

static const char CONFIG[] = "queue:\n  spool_dir: spool\n"
                             "store:\n  path: srr.db\n"
                             "webhook:\n  listen: 127.0.0.1:0\n  threads: 2\n"
                             "policy:\n  rules:\n"
                             "    - name: monitor-alerts-are-risks\n"
                             "      match: {source: webhook}\n"
                             "      action: risk\n      urgency: high\n"
                             "      reason: \"A monitor that pages is a risk to track.\"\n"
                             "  default:\n    action: investigate\n    timebox: 7d\n";

static void setup(void)
{
    dir = tu_mkdtemp();
    cfg = tu_write_file(dir, "srr.yaml", CONFIG);
    curl_global_init(CURL_GLOBAL_ALL);
}

static void teardown(void)
{
    tu_rmdir_r(dir);
    free(dir);
    free(cfg);
}

TestSuite(webhook_e2e, .init = setup, .fini = teardown, .timeout = 120);

/* `srr risks list --format json` as parsed JSON (caller decrefs). */
static json_t *risks(void)
{
    const char *argv[] = {SRR_BIN, "risks", "list", "-c", cfg, "--format", "json", NULL};
    tu_run r;
    json_t *j;
    tu_exec(argv, NULL, dir, &r);
    cr_assert_eq(r.status, 0, "risks list: %s", r.err);
    j = json_loads(r.out, 0, NULL);
    cr_assert_not_null(j, "not JSON: %s", r.out);
    tu_run_free(&r);
    return j;
}

/* Waits (up to 10 s) until the risk list has n entries. */
static json_t *wait_risks(size_t n)
{
    for (int i = 0; i < 100; i++) {
        json_t *j = risks();
        if (json_array_size(j) >= n)
            return j;
        json_decref(j);
        usleep(100 * 1000);
    }
    cr_assert_fail("the risk list never reached %zu entries", n);
    return NULL;
}

Test(webhook_e2e, alert_posted_with_curl_becomes_a_draft)
{
    const char *const env[] = {"SRR_WEBHOOK_TOKEN=" TOKEN, NULL};
    const char *const hdr[] = {"Content-Type: application/json", "X-SRR-Token: " TOKEN, NULL};
    wh_proc p;
    wh_answer a;
    char url[128];
    char *fire = wh_payload("7716548234011234567", "Triggered");
    char *recover = wh_payload("7716548234011239999", "Recovered");

    cr_assert_eq(wh_proc_start(SRR_BIN, cfg, NULL, env, &p), 0, "serve did not start: %s", p.log);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/webhooks/datadog", p.port);

    wh_post(url, hdr, fire, strlen(fire), 10000, &a);
    cr_assert_eq(a.code, 202, "%ld %s %s", a.code, a.body ? a.body : "", a.error);
    wh_answer_free(&a);
    json_t *list = wait_risks(1);
    json_t *r = json_array_get(list, 0);
    cr_assert_str_eq(json_string_value(json_object_get(r, "status")), "draft");
    cr_assert(strstr(json_string_value(json_object_get(r, "title")), "CPU high on web tier"),
              "title: %s", json_string_value(json_object_get(r, "title")));
    json_decref(list);

    /* Datadog's retry of the same delivery, then the recovery */
    wh_post(url, hdr, fire, strlen(fire), 10000, &a);
    cr_assert_eq(a.code, 202);
    wh_answer_free(&a);
    wh_post(url, hdr, recover, strlen(recover), 10000, &a);
    cr_assert_eq(a.code, 202);
    wh_answer_free(&a);
    /* The writer applies the spool in order: once the recovery (posted
     * last) is in the record's evidence, the retry before it was applied
     * too. Wait for that event, then count. */
    {
        const char *argv[] = {SRR_BIN, "risks", "show", "SRR-1", "-c", cfg, "--format", "json",
                              NULL};
        int seen = 0;
        for (int i = 0; i < 300 && !seen; i++) {
            tu_run rr;
            tu_exec(argv, NULL, dir, &rr);
            cr_assert_eq(rr.status, 0, "%s", rr.err);
            seen = strstr(rr.out, "Recovered") || strstr(rr.out, "recovered");
            tu_run_free(&rr);
            if (!seen)
                usleep(100 * 1000);
        }
        cr_assert(seen, "the recovery never reached the record's evidence (30 s)");
    }
    list = risks();
    cr_assert_eq(json_array_size(list), 1, "stored twice: %zu risks", json_array_size(list));
    json_decref(list);

    /* /metrics carries the records' gauges: the draft waits. */
    {
        char murl[128];
        snprintf(murl, sizeof murl, "http://127.0.0.1:%u/metrics", p.port);
        wh_get(murl, 10000, &a);
        cr_assert_eq(a.code, 200);
        cr_assert(a.body && strstr(a.body, "srr_records_drafts{kind=\"risk\"} 1\n"), "%s",
                  a.body ? a.body : "");
        cr_assert(strstr(a.body, "srr_records_investigations_overdue 0\n"), "%s", a.body);
        cr_assert(strstr(a.body, "srr_sweep_last_success_timestamp_seconds 0\n"), "%s", a.body);
        cr_assert(strstr(a.body, "# TYPE srr_records_oldest_draft_age_seconds gauge\n"), "%s",
                  a.body);
        wh_answer_free(&a);
    }

    cr_assert_eq(wh_proc_stop(&p), 0, "%s", p.log);
    cr_assert(strstr(p.log, "stopped"), "%s", p.log);
    cr_assert_null(strstr(p.log, TOKEN), "the secret appeared in the log");
    wh_proc_free(&p);
    free(fire);
    free(recover);
}

Test(webhook_e2e, sigkill_mid_storm_loses_no_accepted_alert)
{
    /* serve with its embedded writer is killed while 8 clients post; what
     * it answered 202 must all reach the store once the spool is drained,
     * whatever the writer was doing when it died. */
    enum { CLIENTS = 8, PER_CLIENT = 60, KILL_AFTER = 150 };
    const char *argv[] = {SRR_BIN, "drain", "--once", "-c", cfg, NULL};
    char *db = srr_asprintf("%s/srr.db", dir), **ids;
    tu_run r;
    size_t n, missing;

    ids = wh_storm_kill_serve(SRR_BIN, cfg, TOKEN, CLIENTS, PER_CLIENT, KILL_AFTER, 6000, &n);
    tu_exec(argv, NULL, dir, &r); /* what the killed writer left in the spool */
    cr_assert_eq(r.status, 0, "drain: %s", r.err);
    tu_run_free(&r);
    missing = wh_ids_missing_from_store(db, ids, n);
    cr_log_info("SIGKILL after %d accepted alerts: %zu answered 202 in all, %zu missing",
                KILL_AFTER, n, missing);
    cr_assert_eq(missing, 0, "%zu of %zu alerts answered 202 are not in the store", missing, n);
    wh_ids_free(ids, n);
    free(db);
}

Test(webhook_e2e, no_secret_no_start)
{
    const char *argv[] = {SRR_BIN, "serve", "-c", cfg, NULL};
    tu_run r;
    wh_proc p;
    unsetenv("SRR_WEBHOOK_TOKEN");
    unsetenv("SRR_WEBHOOK_PASSWORD");
    tu_exec(argv, NULL, dir, &r);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "--insecure-no-auth"), "%s", r.err);
    tu_run_free(&r);

    const char *const args[] = {"--insecure-no-auth", "--no-drain", NULL};
    cr_assert_eq(wh_proc_start(SRR_BIN, cfg, args, NULL, &p), 0, "%s", p.log);
    cr_assert(strstr(p.log, "INSECURE"), "%s", p.log);
    cr_assert(strstr(p.log, "srr drain"), "%s", p.log);
    cr_assert_eq(wh_proc_stop(&p), 0, "%s", p.log);
    wh_proc_free(&p);
}

static void exec_srr(tu_run *r, const char *const *args)
{
    const char *argv[12];
    size_t n = 0;
    argv[n++] = SRR_BIN;
    for (size_t i = 0; args[i] && n < 11; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    tu_exec(argv, NULL, dir, r);
}

/* A backup taken in the middle of a storm, restored after it: the restore
 * moves the spool's read position back to where the backup was taken, so
 * `srr drain` applies again everything queued since, and every alert
 * answered 202 is in the store exactly once. While serve runs, restore
 * refuses. */
Test(webhook_e2e, restore_of_a_mid_storm_backup_loses_no_accepted_alert)
{
    enum { CLIENTS = 8, PER_CLIENT = 80, BACKUP_AFTER = 160 };
    const char *const env[] = {"SRR_WEBHOOK_TOKEN=" TOKEN, NULL};
    const char *backup[] = {"backup", "-c", cfg, "mid-storm.db", NULL};
    const char *restore[] = {"restore", "-c", cfg, "mid-storm.db", NULL};
    const char *drain[] = {"drain", "--once", "-c", cfg, NULL};
    char *db = srr_asprintf("%s/srr.db", dir), *copy = srr_asprintf("%s/mid-storm.db", dir);
    char url[128], **ids;
    wh_storm *storm;
    wh_proc p;
    tu_run r;
    size_t n, bad;
    long long at_backup, total;
    int waited;

    cr_assert_eq(wh_proc_start(SRR_BIN, cfg, NULL, env, &p), 0, "serve did not start: %s", p.log);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/webhooks/datadog", p.port);
    storm = wh_storm_start(url, TOKEN, CLIENTS, PER_CLIENT);
    /* the backup must hold some of the storm: wait for the embedded writer
     * to have created the store (its tables, not just the file) and to have
     * committed; under load the spool accepts long before that */
    for (waited = 0; (wh_storm_accepted(storm) < BACKUP_AFTER || access(db, F_OK) != 0 ||
                      sf_query_int(db, "SELECT count(*) FROM sqlite_master"
                                       " WHERE name = 'candidates'") == 0 ||
                      sf_query_int(db, "SELECT count(*) FROM candidates") == 0) &&
                     waited < 60000;
         waited += 5)
        usleep(5000);
    cr_assert_geq(wh_storm_accepted(storm), BACKUP_AFTER, "the storm stalled");
    cr_assert_gt(sf_query_int(db, "SELECT count(*) FROM candidates"), 0, "the writer stalled");
    exec_srr(&r, backup);
    cr_assert_eq(r.status, 0, "backup: %s", r.err);
    cr_assert(strstr(r.out, "queue position recorded with it (spool)"), "%s", r.out);
    tu_run_free(&r);
    /* serve holds the store and the spool: restore refuses and changes nothing */
    exec_srr(&r, restore);
    cr_assert_eq(r.status, 1, "restore while serve runs: %s%s", r.out, r.err);
    cr_assert(strstr(r.err, "in use") && strstr(r.err, "srr serve"), "%s", r.err);
    tu_run_free(&r);
    ids = wh_storm_finish(storm, &n);
    cr_assert_eq(wh_proc_stop(&p), 0, "%s", p.log);
    wh_proc_free(&p);

    at_backup = sf_query_int(copy, "SELECT count(*) FROM candidates");
    cr_assert_lt(at_backup, (long long)n, "the backup was not taken mid-storm");
    exec_srr(&r, restore);
    cr_assert_eq(r.status, 0, "restore: %s%s", r.out, r.err);
    cr_assert(strstr(r.out, "queue read position moved back"), "%s", r.out);
    cr_log_info("%s", r.out);
    tu_run_free(&r);
    cr_assert_eq(sf_query_int(db, "SELECT count(*) FROM candidates"), at_backup);

    exec_srr(&r, drain);
    cr_assert_eq(r.status, 0, "drain: %s", r.err);
    tu_run_free(&r);
    bad = wh_ids_not_once_in_store(db, ids, n);
    total = sf_query_int(db, "SELECT count(*) FROM candidates");
    cr_log_info("storm: %zu answered 202, %lld in the mid-storm backup, %lld after restore and "
                "drain, %zu not exactly once",
                n, at_backup, total, bad);
    cr_assert_eq(bad, 0, "%zu of %zu alerts answered 202 are not in the store exactly once", bad,
                 n);
    cr_assert_eq(total, (long long)n);
    wh_ids_free(ids, n);
    free(db);
    free(copy);
}
