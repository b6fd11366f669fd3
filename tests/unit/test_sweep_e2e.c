/* SPDX-License-Identifier: Apache-2.0
 *
 * test_sweep_e2e.c - runtime tests of the whole path: the real srr binary
 * sweeps a fake Datadog on 127.0.0.1 (answers taken from the recorded demo
 * week), triages with the demo policy, queues through the local spool and
 * writes drafts into a real SQLite file, which the tests then read back.
 * Also the failure paths a team meets first: a 403, a truncated body, an
 * empty answer, a bad config, missing keys.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_dd.h"
#include "srr.h"
#include "store.h"
#include "testutil.h"

#define DEMO SRR_SOURCE_DIR "/examples/demo-week"
#define WEEK_END "1795392000"

FAKE_DD_FIXTURE()

/* Serves the recorded demo week from the fake Datadog: one route per
 * recorded request, told apart by its query text; pages in order. */
static void serve_demo_week(void)
{
    int n = fake_dd_serve_recording(dd, DEMO, "X-RateLimit-Limit: 100\nX-RateLimit-Remaining: 99");
    cr_assert(n > 0, "cannot serve %s", DEMO);
}

/* Writes a config that is the demo's with datadog.api_url pointing at the
 * fake server; returns its path (caller frees). */
static char *write_config(void)
{
    char *text = NULL, *patched, *path;
    size_t len;
    cr_assert_eq(srr_file_read(SRR_SOURCE_DIR "/examples/srr.yaml", 0, &text, &len, NULL), SRR_OK);
    char *at = strstr(text, "datadog:\n");
    cr_assert_not_null(at);
    patched = srr_asprintf("%.*sdatadog:\n  api_url: \"%s\"\n%s", (int)(at - text), text,
                           fake_dd_url(dd), at + strlen("datadog:\n"));
    /* The sweep writes its Prometheus textfile next to the config. */
    at = strstr(patched, "\nsweep:\n");
    cr_assert_not_null(at);
    char *with_tf = srr_asprintf("%.*s\nsweep:\n  textfile: srr.prom\n%s", (int)(at - patched),
                                 patched, at + strlen("\nsweep:\n"));
    free(patched);
    patched = with_tf;
    path = tu_write_file(dir, "srr.yaml", patched);
    free(text);
    free(patched);
    return path;
}

static void run_srr(tu_run *r, const char *const *args, const char *const *extra_env)
{
    const char *env[16];
    size_t e = 0;
    env[e++] = "SRR_NOW=" WEEK_END "";
    env[e++] = "DD_API_KEY=test-api-key";
    env[e++] = "DD_APP_KEY=test-app-key";
    env[e++] = "DD_SITE=";
    env[e++] = "SRR_CONFIG=";
    for (size_t i = 0; extra_env && extra_env[i]; i++)
        env[e++] = extra_env[i];
    env[e] = NULL;
    tu_srr_args(r, SRR_BIN, args, NULL, env, dir);
}

static json_t *list(const char *what, const char *cfg)
{
    tu_run r;
    json_error_t je;
    const char *args[] = {what, "list", "-c", cfg, "--format", "json", NULL};
    run_srr(&r, args, NULL);
    cr_assert_eq(r.status, 0, "srr %s list failed: %s", what, r.err);
    json_t *j = json_loads(r.out, 0, &je);
    cr_assert_not_null(j, "not JSON: %s", r.out);
    tu_run_free(&r);
    return j;
}

static const char *field(json_t *arr, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(arr, i), key));
}

Test(sweep_e2e, live_sweep_writes_the_drafts_once, .init = setup, .fini = teardown,
     .timeout = 60)
{
    tu_run r;
    serve_demo_week();
    char *cfg = write_config();
    const char *args[] = {"sweep", "-c", cfg, NULL};
    run_srr(&r, args, NULL);
    cr_assert_eq(r.status, 0, "sweep failed (%d):\n%s\n%s", r.status, r.out, r.err);
    cr_assert_eq(fake_dd_unmatched(dd), 0, "requests no route took");
    cr_assert_eq(fake_dd_total_hits(dd), 7,
                 "one v2 batch + one v1 query + 3 aggregates + 2 sample pages");
    char *key = fake_dd_last_header(dd, "DD-API-KEY");
    cr_assert_str_eq(key, "test-api-key");
    free(key);
    key = fake_dd_last_header(dd, "DD-APPLICATION-KEY");
    cr_assert_str_eq(key, "test-app-key");
    free(key);
    cr_assert(strstr(r.out, "1 new draft risk(s), 1 new draft backlog item(s), 1 new "
                            "investigation(s)") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.err, "test-api-key") == NULL && strstr(r.out, "test-api-key") == NULL,
              "the API key leaked into the output");
    tu_run_free(&r);

    json_t *risks = list("risks", cfg);
    cr_assert_eq(json_array_size(risks), 1);
    cr_assert_str_eq(field(risks, 0, "status"), "draft");
    cr_assert_str_eq(field(risks, 0, "service"), "checkout");
    cr_assert(strstr(field(risks, 0, "title"), "checkout-5xx") != NULL);
    json_t *bl = list("backlog", cfg);
    cr_assert_eq(json_array_size(bl), 1);
    cr_assert(strstr(field(bl, 0, "title"), "disk-usage") != NULL);
    cr_assert(strstr(field(bl, 0, "title"), "nvme1n1") != NULL, "the full disk, not root");
    json_t *inv = list("investigations", cfg);
    cr_assert_eq(json_array_size(inv), 1);
    cr_assert(strstr(field(inv, 0, "title"), "billing-worker-1") != NULL,
              "the growing host, not the flat one");

    /* The detail page of the risk carries the SRR sections. */
    const char *show[] = {"risks", "show", "-c", cfg, field(risks, 0, "id"), NULL};
    run_srr(&r, show, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (const char *s = "Overview\0Log from recognition to cause\0Cause\0Countermeasure "
                         "policy\0Countermeasure log\0Next action\0";
         *s; s += strlen(s) + 1)
        cr_assert(strstr(r.out, s) != NULL, "detail page lacks '%s':\n%s", s, r.out);
    cr_assert(strstr(r.out, "app.datadoghq.com/logs") != NULL, "no Datadog link:\n%s", r.out);
    tu_run_free(&r);

    /* The same window again (Datadog answering the same): the same
     * candidate ids, nothing new. */
    fake_dd_reset(dd);
    serve_demo_week();
    run_srr(&r, args, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "0 new draft risk(s), 0 new draft backlog item(s), 0 new "
                            "investigation(s)") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "3 already stored") != NULL, "%s", r.out);
    tu_run_free(&r);
    json_t *risks2 = list("risks", cfg);
    cr_assert_eq(json_array_size(risks2), 1);
    json_decref(risks);
    /* sweep.textfile: what the sweep did and, once it drained, the records'
     * gauges; the live sweep that failed nowhere is the last success. */
    {
        char *tf = srr_asprintf("%s/srr.prom", dir), *text = NULL;
        size_t len = 0;
        cr_assert_eq(srr_file_read(tf, 0, &text, &len, NULL), SRR_OK, "no %s", tf);
        cr_assert(strstr(text, "srr_sweep_checks 7\n"), "%s", text);
        cr_assert(strstr(text, "srr_records_drafts{kind=\"risk\"} 1\n"), "%s", text);
        cr_assert(strstr(text, "srr_records_drafts{kind=\"backlog\"} 1\n"), "%s", text);
        cr_assert(strstr(text, "srr_records_investigations_overdue 0\n"), "%s", text);
        cr_assert(strstr(text, "srr_sweep_last_success_timestamp_seconds " WEEK_END "\n"), "%s",
                  text);
        free(text);
        free(tf);
    }
    json_decref(risks2);
    json_decref(bl);
    json_decref(inv);
    free(cfg);
}

/* Runs `srr sweep -c cfg [more...]` with the clock at `now` (epoch). */
static void sweep_at(tu_run *r, const char *cfg, long long now, const char *a1, const char *a2)
{
    char *clock = srr_asprintf("SRR_NOW=%lld", now);
    const char *args[] = {"sweep", "-c", cfg, a1, a2, NULL};
    const char *env[] = {clock, NULL};
    run_srr(r, args, env);
    free(clock);
}

/* Windows tile: each check's windows end on a grid from its first one, so
 * a sweep 20 hours later judges the same window again (nothing twice),
 * --at judges a past window of the grid and refuses one off it, and
 * catch-up judges the missed windows one by one, each in its own time. */
Test(sweep_e2e, windows_tile_and_each_is_judged_in_its_own_time, .init = setup, .fini = teardown,
     .timeout = 120)
{
    tu_run r;
    const long long w0 = 1795392000LL, week = 7 * 86400LL;
    char *cfg = write_config();
    serve_demo_week();
    sweep_at(&r, cfg, w0, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    cr_assert(strstr(r.out, "1 new investigation(s)") != NULL, "%s", r.out);
    tu_run_free(&r);

    /* 20 hours later: no new window is due; the same one again. */
    sweep_at(&r, cfg, w0 + 20 * 3600, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    cr_assert(strstr(r.out, "no new window is due for 7 check(s)") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "window ending 2026-11-23T00:00:00Z") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "0 attached as evidence, 3 already stored") != NULL, "%s", r.out);
    tu_run_free(&r);

    /* --at off the grid would count events twice: refused. */
    sweep_at(&r, cfg, w0 + 20 * 3600, "--at", "2026-11-20T00:00:00Z");
    cr_assert_eq(r.status, 2, "%s\n%s", r.out, r.err);
    cr_assert(strstr(r.err, "would count its events twice") != NULL, "%s", r.err);
    tu_run_free(&r);

    /* --at a past window of the grid: judged (the things fire there too, as
     * evidence), the state does not move back. */
    sweep_at(&r, cfg, w0 + 20 * 3600, "--at", "2026-11-16T00:00:00Z");
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    cr_assert(strstr(r.out, "window ending 2026-11-16T00:00:00Z") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "3 attached as evidence") != NULL, "%s", r.out);
    tu_run_free(&r);

    /* Three weeks later: two windows were missed, each judged in turn. The
     * investigation opened from the window ending on the 23rd is due on
     * the 30th, whenever the sweep runs: the window ending on the 30th
     * still shows the growth, so it becomes a draft risk there. */
    sweep_at(&r, cfg, w0 + 2 * week + 3600, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    cr_assert(strstr(r.out, "window ending 2026-11-30T00:00:00Z") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "window ending 2026-12-07T00:00:00Z") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "window ending 2026-11-30T00:00:00Z") <
                  strstr(r.out, "window ending 2026-12-07T00:00:00Z"),
              "oldest first:\n%s", r.out);
    cr_assert(strstr(r.out, "1 promoted") != NULL, "%s", r.out);
    tu_run_free(&r);
    json_t *risks = list("risks", cfg);
    cr_assert_eq(json_array_size(risks), 2, "the 5xx risk and the promoted growth");
    json_decref(risks);
    free(cfg);
}

Test(sweep_e2e, replay_needs_no_network_and_matches_live, .init = setup, .fini = teardown,
     .timeout = 60)
{
    tu_run r;
    char *cfg = write_config();
    fake_dd_stop(&dd); /* nothing listens: a replay must not need it */
    dd = fake_dd_start();
    const char *args[] = {"sweep", "-c", cfg, "--replay", DEMO, NULL};
    const char *nokeys[] = {"DD_API_KEY=", "DD_APP_KEY=", NULL};
    run_srr(&r, args, nokeys);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    cr_assert_eq(fake_dd_total_hits(dd), 0);
    cr_assert(strstr(r.out, "1 new draft risk(s), 1 new draft backlog item(s), 1 new "
                            "investigation(s)") != NULL,
              "%s", r.out);
    tu_run_free(&r);
    free(cfg);
}

Test(sweep_e2e, record_then_replay_gives_the_same_records, .init = setup, .fini = teardown,
     .timeout = 60)
{
    tu_run r;
    serve_demo_week();
    char *cfg = write_config();
    char *rec = srr_asprintf("%s/rec", dir);
    const char *args[] = {"sweep", "-c", cfg, "--record", rec, "--no-drain", NULL};
    run_srr(&r, args, NULL);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    tu_run_free(&r);
    fake_dd_stop(&dd);
    dd = fake_dd_start();
    /* The queue already holds the live sweep's candidates; the replay makes
     * the same ones, so the store ends with each record once. */
    const char *replay[] = {"sweep", "-c", cfg, "--replay", rec, NULL};
    const char *nokeys[] = {"DD_API_KEY=", "DD_APP_KEY=", NULL};
    run_srr(&r, replay, nokeys);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    cr_assert(strstr(r.out, "1 new draft risk(s), 1 new draft backlog item(s), 1 new "
                            "investigation(s), 0 attached as evidence, 3 already stored") != NULL,
              "%s", r.out);
    tu_run_free(&r);
    free(rec);
    free(cfg);
}

Test(sweep_e2e, a_403_fails_one_check_and_keeps_the_others, .init = setup, .fini = teardown,
     .timeout = 60)
{
    tu_run r;
    fake_dd_add(dd, "POST", "/api/v2/query/timeseries", "process.rss", 403, NULL,
                "{\"errors\":[{\"status\":\"403\",\"title\":\"Forbidden\","
                "\"detail\":\"missing permission timeseries_query\"}]}");
    serve_demo_week();
    char *cfg = write_config();
    const char *args[] = {"sweep", "-c", cfg, NULL};
    run_srr(&r, args, NULL);
    cr_assert_eq(r.status, 1, "a failed check must fail the sweep:\n%s", r.out);
    cr_assert(strstr(r.out, "worker-memory") && strstr(r.out, "FAILED") &&
                  strstr(r.out, "403") && strstr(r.out, "missing permission timeseries_query"),
              "the error must name the check, the status and Datadog's errors:\n%s", r.out);
    cr_assert(strstr(r.out, "1 new draft risk(s), 1 new draft backlog item(s), 0 new "
                            "investigation(s)") != NULL,
              "the other checks still land:\n%s", r.out);
    tu_run_free(&r);
    free(cfg);
}

Test(sweep_e2e, a_truncated_body_is_an_error_not_an_empty_result, .init = setup,
     .fini = teardown, .timeout = 60)
{
    tu_run r;
    fake_dd_add(dd, "GET", "/api/v1/query", "system.disk.in_use", 200, NULL,
                "{\"status\":\"ok\",\"series\":[{\"metric\":\"system.disk.in_use\",\"pointl");
    serve_demo_week();
    char *cfg = write_config();
    const char *args[] = {"sweep", "-c", cfg, NULL};
    run_srr(&r, args, NULL);
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert(strstr(r.out, "disk-usage") && strstr(r.out, "FAILED") && strstr(r.out, "JSON"),
              "%s", r.out);
    cr_assert(strstr(r.out, "1 new draft risk(s), 0 new draft backlog item(s), 1 new "
                            "investigation(s)") != NULL,
              "%s", r.out);
    tu_run_free(&r);
    free(cfg);
}

Test(sweep_e2e, empty_answers_make_no_drafts, .init = setup, .fini = teardown, .timeout = 60)
{
    tu_run r;
    fake_dd_add(dd, "GET", "/api/v1/query", NULL, 200, NULL,
                "{\"status\":\"ok\",\"res_type\":\"time_series\",\"series\":[],\"times\":[],"
                "\"values\":[]}");
    fake_dd_add(dd, "POST", "/api/v2/logs/events/search", NULL, 200, NULL, "{\"data\":[]}");
    fake_dd_add(dd, "POST", "/api/v2/query/timeseries", NULL, 200, NULL,
                "{\"data\":{\"id\":\"0\",\"type\":\"timeseries_response\",\"attributes\":"
                "{\"series\":[],\"times\":[],\"values\":[]}}}");
    fake_dd_add(dd, "POST", "/api/v2/logs/analytics/aggregate", NULL, 200, NULL,
                "{\"meta\":{\"status\":\"done\"},\"data\":{\"buckets\":[]}}");
    char *cfg = write_config();
    const char *args[] = {"sweep", "-c", cfg, NULL};
    run_srr(&r, args, NULL);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    cr_assert(strstr(r.out, "queued 0 candidate(s)") != NULL, "%s", r.out);
    tu_run_free(&r);
    json_t *risks = list("risks", cfg);
    cr_assert_eq(json_array_size(risks), 0);
    json_decref(risks);
    free(cfg);
}

Test(sweep_e2e, a_wrong_config_key_names_file_line_and_key, .init = setup, .fini = teardown)
{
    tu_run r;
    char *cfg = tu_write_file(dir, "bad.yaml",
                              "datadog:\n  site: datadoghq.com\n  time_out: 30s\nchecks: []\n");
    const char *args[] = {"sweep", "-c", cfg, NULL};
    run_srr(&r, args, NULL);
    cr_assert_eq(r.status, 2);
    char *want = srr_asprintf("%s:3:3: unknown key 'time_out' in datadog", cfg);
    cr_assert(strstr(r.err, want) != NULL, "%s", r.err);
    free(want);
    tu_run_free(&r);
    free(cfg);
}

Test(sweep_e2e, a_bad_policy_is_refused_before_any_request, .init = setup, .fini = teardown)
{
    tu_run r;
    serve_demo_week();
    char *cfg = tu_write_file(dir, "bad.yaml",
                              "checks:\n  - {name: a, source: logs, query: x, when: 'count > 1'}\n"
                              "policy:\n  rules:\n    - name: r\n      action: escalate\n");
    const char *args[] = {"sweep", "-c", cfg, NULL};
    run_srr(&r, args, NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "bad.yaml:6:") != NULL, "%s", r.err);
    cr_assert_eq(fake_dd_total_hits(dd), 0);
    tu_run_free(&r);
    free(cfg);
}

Test(sweep_e2e, missing_keys_name_the_variables, .init = setup, .fini = teardown)
{
    tu_run r;
    char *cfg = write_config();
    const char *args[] = {"sweep", "-c", cfg, NULL};
    const char *nokeys[] = {"DD_API_KEY=", "DD_APP_KEY=", NULL};
    run_srr(&r, args, nokeys);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "DD_API_KEY") && strstr(r.err, "DD_APP_KEY"), "%s", r.err);
    cr_assert_eq(fake_dd_total_hits(dd), 0);
    tu_run_free(&r);
    free(cfg);
}

Test(sweep_e2e, config_found_through_srr_config_and_cwd, .init = setup, .fini = teardown)
{
    tu_run r;
    char *cfg = write_config();
    const char *args[] = {"config", "check", NULL};
    char *env = srr_asprintf("SRR_CONFIG=%s", cfg);
    const char *extra[] = {env, NULL};
    run_srr(&r, args, extra);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "7 check(s), 4 rule(s)") != NULL, "%s", r.out);
    tu_run_free(&r);
    /* Without -c and $SRR_CONFIG: ./srr.yaml in the working directory. */
    run_srr(&r, args, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    free(env);
    free(cfg);
}

Test(sweep_e2e, no_drain_leaves_candidates_queued_for_srr_drain, .init = setup,
     .fini = teardown, .timeout = 60)
{
    tu_run r;
    char *cfg = write_config();
    const char *sweep[] = {"sweep", "-c", cfg, "--replay", DEMO, "--no-drain", NULL};
    run_srr(&r, sweep, NULL);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    cr_assert(strstr(r.out, "queued 3 candidate(s)") != NULL, "%s", r.out);
    tu_run_free(&r);
    json_t *risks = list("risks", cfg);
    cr_assert_eq(json_array_size(risks), 0, "nothing is stored before the writer runs");
    json_decref(risks);
    const char *drain[] = {"drain", "-c", cfg, "--once", NULL};
    run_srr(&r, drain, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "1 new draft risk(s), 1 new draft backlog item(s), 1 new "
                            "investigation(s)") != NULL,
              "%s", r.out);
    tu_run_free(&r);
    /* Drained once: a second drain finds nothing. */
    run_srr(&r, drain, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "0 new draft risk(s)") && strstr(r.out, "0 already stored"), "%s",
              r.out);
    tu_run_free(&r);
    free(cfg);
}

Test(sweep_e2e, unknown_ids_and_bad_arguments_are_usage_errors, .init = setup,
     .fini = teardown)
{
    tu_run r;
    char *cfg = write_config();
    const char *show[] = {"risks", "show", "-c", cfg, "SRR-42", NULL};
    run_srr(&r, show, NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "SRR-42") != NULL, "%s", r.err);
    tu_run_free(&r);
    const char *fmt[] = {"risks", "list", "-c", cfg, "--format", "yaml", NULL};
    run_srr(&r, fmt, NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "table, json or md") != NULL, "%s", r.err);
    tu_run_free(&r);
    const char *both[] = {"sweep", "-c", cfg, "--replay", DEMO, "--record", "/tmp/x", NULL};
    run_srr(&r, both, NULL);
    cr_assert_eq(r.status, 2);
    tu_run_free(&r);
    const char *bogus[] = {"frobnicate", NULL};
    run_srr(&r, bogus, NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "unknown command 'frobnicate'") != NULL, "%s", r.err);
    tu_run_free(&r);
    free(cfg);
}

Test(sweep_e2e, debug_logs_curl_traffic_with_the_keys_redacted, .init = setup,
     .fini = teardown, .timeout = 60)
{
    tu_run r;
    serve_demo_week();
    char *cfg = write_config();
    const char *args[] = {"--log-level", "debug", "--log-format", "text", "sweep", "-c", cfg,
                          "--no-drain", NULL};
    run_srr(&r, args, NULL);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    /* curl's trace is there (request headers going out)... */
    cr_assert(strstr(r.err, "curl > DD-API-KEY: [REDACTED]") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "curl > DD-APPLICATION-KEY: [REDACTED]") != NULL);
    /* ...and no key anywhere, in any line or output. */
    cr_assert(strstr(r.err, "test-api-key") == NULL, "the API key leaked");
    cr_assert(strstr(r.err, "test-app-key") == NULL, "the application key leaked");
    cr_assert(strstr(r.out, "test-api-key") == NULL && strstr(r.out, "test-app-key") == NULL);
    tu_run_free(&r);
    free(cfg);
}

/* A Datadog error body that quotes part of a key (12 characters of
 * DD_API_KEY, not the whole key) and carries terminal control sequences:
 * what the sweep prints and logs names the error, redacts the piece of
 * the key and shows the controls as escapes; a huge body is bounded. */
Test(sweep_e2e, datadog_error_bodies_are_bounded_redacted_and_inert, .init = setup,
     .fini = teardown, .timeout = 60)
{
    tu_run r;
    srr_buf body;
    srr_buf_init(&body, 0);
    srr_buf_printf(&body, "{\"errors\":[{\"status\":\"400\",\"title\":\"Bad Request\","
                          "\"detail\":\"key prefix api-key-9f3a7c21 is not valid here "
                          "\\u001b]0;pwned\\u0007\\u001b[2J\"},\"");
    for (int i = 0; i < 5000; i++)
        srr_buf_printf(&body, "padding ");
    srr_buf_printf(&body, "\"]}");
    fake_dd_add(dd, "POST", "/api/v2/query/timeseries", "process.rss", 400, NULL, body.data);
    serve_demo_week();
    char *cfg = write_config();
    const char *args[] = {"sweep", "-c", cfg, NULL};
    const char *env[] = {"DD_API_KEY=api-key-9f3a7c21d5e0b4", NULL};
    run_srr(&r, args, env);
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert(strstr(r.out, "worker-memory") && strstr(r.out, "Bad Request"), "%s", r.out);
    cr_assert_null(strstr(r.out, "9f3a7c21"), "a piece of the key was printed:\n%s", r.out);
    cr_assert_null(strstr(r.err, "9f3a7c21"), "a piece of the key was logged:\n%s", r.err);
    cr_assert(strstr(r.out, "[REDACTED]"), "%s", r.out);
    cr_assert_null(strchr(r.out, '\x1b'), "a raw ESC reached stdout");
    cr_assert_null(strchr(r.err, '\x1b'), "a raw ESC reached the log");
    cr_assert(strstr(r.out, "\\x1b]0;pwned"), "the escape is not shown: %s", r.out);
    for (char *line = r.out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        size_t len = strcspn(line, "\n");
        cr_assert_lt(len, 2048, "an unbounded line of %zu bytes", len);
    }
    tu_run_free(&r);
    srr_buf_free(&body);
    free(cfg);
}
