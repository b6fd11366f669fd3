/* SPDX-License-Identifier: Apache-2.0
 *
 * test_webhook_groups_e2e.c - the real `srr serve` (issue 19): Datadog's
 * default payload for a three-host monitor makes three things, and a
 * recovery on one host leaves the other two firing; a team template whose
 * "id" repeats ($ALERT_ID) keeps Triggered -> Re-Triggered -> Recovered
 * instead of dropping two of them as duplicates; a Recovered that Datadog
 * delivers after a newer Re-Triggered keeps its own date.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "srr.h"
#include "testutil.h"
#include "webhook_client.h"

#define TOKEN "groups-secret-token"

static char *dir, *cfg;

static void setup_with(const char *action)
{
    dir = tu_mkdtemp();
    char *text =
        srr_asprintf("queue:\n  spool_dir: spool\n"
                     "store:\n  path: srr.db\n"
                     "webhook:\n  listen: 127.0.0.1:0\n  threads: 2\n"
                     "policy:\n  default:\n    action: %s\n%s",
                     action, strcmp(action, "investigate") == 0 ? "    timebox: 7d\n" : "");
    cfg = tu_write_file(dir, "srr.yaml", text);
    free(text);
    curl_global_init(CURL_GLOBAL_ALL);
}

static void setup_inv(void)
{
    setup_with("investigate");
}

static void setup_risk(void)
{
    setup_with("risk");
}

static void teardown(void)
{
    tu_rmdir_r(dir);
    free(dir);
    free(cfg);
}

static json_t *list(const char *what)
{
    const char *argv[] = {SRR_BIN, what, "list", "-c", cfg, "--format", "json", NULL};
    tu_run r;
    tu_exec(argv, NULL, dir, &r);
    cr_assert_eq(r.status, 0, "%s list: %s", what, r.err);
    json_t *j = json_loads(r.out, 0, NULL);
    cr_assert_not_null(j, "not JSON: %s", r.out);
    tu_run_free(&r);
    return j;
}

/* Waits (up to 10 s) until `what` lists n entries whose occurrences and
 * evidence add up to `sightings` applied candidates (the writer runs
 * asynchronously); returns the list. */
static json_t *wait_list(const char *what, size_t n, const char *key, long long total)
{
    json_t *j = NULL;
    for (int i = 0; i < 100; i++) {
        j = list(what);
        long long sum = 0;
        for (size_t k = 0; k < json_array_size(j); k++)
            sum += json_integer_value(json_object_get(json_array_get(j, k), key));
        if (json_array_size(j) == n && (total < 0 || sum == total))
            return j;
        json_decref(j);
        usleep(100 * 1000);
    }
    j = list(what);
    cr_assert_fail("%s never reached %zu entries with %s %lld: %s", what, n, key, total,
                   json_dumps(j, 0));
    return NULL;
}

static const json_t *by_title(const json_t *arr, const char *part)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *e = json_array_get(arr, i);
        if (strstr(json_string_value(json_object_get(e, "title")), part))
            return e;
    }
    cr_assert_fail("no entry titled with '%s'", part);
    return NULL;
}

static void post(const char *url, const char *body)
{
    const char *const hdr[] = {"Content-Type: application/json", "X-SRR-Token: " TOKEN, NULL};
    wh_answer a;
    wh_post(url, hdr, body, strlen(body), 10000, &a);
    cr_assert_eq(a.code, 202, "%ld %s %s", a.code, a.body ? a.body : "", a.error);
    wh_answer_free(&a);
}

/* Datadog's default payload ($EVENT_TITLE carries the group). */
static char *default_payload(const char *id, const char *transition, const char *host,
                             long long date_ms)
{
    return srr_asprintf("{\"body\":\"%%%%%%\\nDisk above 95%% on %s\\n%%%%%%\",\"last_updated\":"
                        "\"%lld\",\"event_type\":\"query_alert_monitor\",\"title\":\"[%s on "
                        "{host:%s}] Disk full\",\"date\":\"%lld\",\"org\":{\"id\":\"11023\","
                        "\"name\":\"Acme\"},\"id\":\"%s\"}",
                        host, date_ms, transition, host, date_ms, id);
}

static void start(wh_proc *p, char *url, size_t n)
{
    const char *const env[] = {"SRR_WEBHOOK_TOKEN=" TOKEN, NULL};
    cr_assert_eq(wh_proc_start(SRR_BIN, cfg, NULL, env, p), 0, "serve did not start: %s", p->log);
    snprintf(url, n, "http://127.0.0.1:%u/v1/webhooks/datadog", p->port);
}

Test(webhook_groups_e2e, default_payload_three_hosts_three_things, .init = setup_inv,
     .fini = teardown, .timeout = 120)
{
    wh_proc p;
    char url[128];
    start(&p, url, sizeof url);
    const char *hosts[] = {"db-01", "db-02", "db-03"};
    for (int i = 0; i < 3; i++) {
        char id[32];
        snprintf(id, sizeof id, "705027823529337090%d", i);
        char *b = default_payload(id, "Triggered", hosts[i], 1767226200000LL + i);
        post(url, b);
        free(b);
    }
    json_t *inv = wait_list("investigations", 3, "occurrences", 3);
    for (int i = 0; i < 3; i++) {
        char t[64];
        snprintf(t, sizeof t, "Disk full on host:%s", hosts[i]);
        cr_assert_str_eq(json_string_value(json_object_get(by_title(inv, t), "last_status")),
                         "firing");
    }
    json_decref(inv);
    /* db-02 recovers: its own thing clears, the other two keep firing. */
    char *rec = default_payload("7050278235293370999", "Recovered", "db-02", 1767229800000LL);
    post(url, rec);
    free(rec);
    json_t *after = NULL;
    for (int i = 0; i < 100; i++) {
        after = wait_list("investigations", 3, "occurrences", 3);
        const char *st = json_string_value(
            json_object_get(by_title(after, "Disk full on host:db-02"), "last_status"));
        if (st && strcmp(st, "recovered") == 0)
            break;
        json_decref(after);
        after = NULL;
        usleep(100 * 1000);
    }
    cr_assert_not_null(after, "db-02's recovery never reached its own record");
    cr_assert_str_eq(json_string_value(json_object_get(by_title(after, "Disk full on host:db-01"),
                                                       "last_status")),
                     "firing");
    cr_assert_str_eq(json_string_value(json_object_get(by_title(after, "Disk full on host:db-03"),
                                                       "last_status")),
                     "firing");
    json_decref(after);
    cr_assert_eq(wh_proc_stop(&p), 0, "%s", p.log);
    wh_proc_free(&p);
}

Test(webhook_groups_e2e, a_repeating_id_keeps_every_transition, .init = setup_inv, .fini = teardown,
     .timeout = 120)
{
    /* The team's template sends "id": "$ALERT_ID": every transition of the
     * monitor carries the same id. */
    wh_proc p;
    char url[128];
    start(&p, url, sizeof url);
    static const char *const tr[] = {"Triggered", "Re-Triggered", "Recovered"};
    for (int i = 0; i < 3; i++) {
        char *b = srr_asprintf("{\"id\":\"48213377\",\"alert_id\":\"48213377\","
                               "\"alert_transition\":\"%s\",\"date\":\"%lld\","
                               "\"title\":\"[%s on {host:web-01}] CPU high\","
                               "\"alert_scope\":\"host:web-01\"}",
                               tr[i], 1767226200000LL + 3600000LL * i, tr[i]);
        post(url, b);
        post(url, b); /* Datadog's retry of the same delivery */
        free(b);
    }
    /* One thing; the Triggered and the Re-Triggered counted, the Recovered
     * recorded: nothing was dropped as a duplicate but the retries. */
    json_t *inv = NULL;
    for (int i = 0; i < 100; i++) {
        inv = wait_list("investigations", 1, "occurrences", 2);
        const char *st = json_string_value(json_object_get(json_array_get(inv, 0), "last_status"));
        if (st && strcmp(st, "recovered") == 0)
            break;
        json_decref(inv);
        inv = NULL;
        usleep(100 * 1000);
    }
    cr_assert_not_null(inv, "the Recovered was dropped");
    json_decref(inv);
    cr_assert_eq(wh_proc_stop(&p), 0, "%s", p.log);
    wh_proc_free(&p);
}

Test(webhook_groups_e2e, a_late_recovered_keeps_its_own_date, .init = setup_risk, .fini = teardown,
     .timeout = 120)
{
    /* Triggered at 10:00, Re-Triggered at 12:00, and the Recovered of 11:00
     * delivered last (a Datadog retry): the record carries each alert's own
     * date, so the newest observation is the Re-Triggered. */
    wh_proc p;
    char url[128];
    start(&p, url, sizeof url);
    char *t1 = default_payload("1", "Triggered", "db-01", 1767261600000LL);    /* 10:00 */
    char *t3 = default_payload("3", "Re-Triggered", "db-01", 1767268800000LL); /* 12:00 */
    char *t2 = default_payload("2", "Recovered", "db-01", 1767265200000LL);    /* 11:00 */
    post(url, t1);
    post(url, t3);
    post(url, t2);
    free(t1);
    free(t2);
    free(t3);
    json_t *risks = wait_list("risks", 1, "occurrences", 2);
    const char *id = json_string_value(json_object_get(json_array_get(risks, 0), "id"));
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(risks, 0), "last_seen")),
                     "2026-01-01T12:00:00Z", "the newest firing date, not the last arrival");
    json_t *show = NULL;
    for (int i = 0; i < 100 && !show; i++) {
        const char *argv[] = {SRR_BIN, "risks", "show", id, "-c", cfg, "--format", "json", NULL};
        tu_run r;
        tu_exec(argv, NULL, dir, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        json_t *j = json_loads(r.out, 0, NULL);
        tu_run_free(&r);
        if (json_array_size(json_object_get(json_object_get(j, "evidence"), "recent")) == 3)
            show = j;
        else {
            json_decref(j);
            usleep(100 * 1000);
        }
    }
    cr_assert_not_null(show, "the three alerts never reached the record");
    const json_t *recent = json_object_get(json_object_get(show, "evidence"), "recent");
    int seen_recovered = 0;
    for (size_t i = 0; i < json_array_size(recent); i++) {
        const json_t *e = json_array_get(recent, i);
        if (strcmp(json_string_value(json_object_get(e, "status")), "recovered") == 0) {
            seen_recovered = 1;
            cr_assert_str_eq(json_string_value(json_object_get(e, "observed_at")),
                             "2026-01-01T11:00:00Z", "the Recovered keeps its own date");
        }
    }
    cr_assert(seen_recovered);
    json_decref(show);
    json_decref(risks);
    cr_assert_eq(wh_proc_stop(&p), 0, "%s", p.log);
    wh_proc_free(&p);
}
