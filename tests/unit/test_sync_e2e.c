/* SPDX-License-Identifier: Apache-2.0
 *
 * test_sync_e2e.c - the outbox and the Notion sink through the srr binary,
 * against the fake Notion API: the recorded demo week swept, the database
 * set up and mirrored (one page per record, the SRR sections, a second
 * sync sending nothing new); `srr drain --once` syncing after it drains;
 * `srr serve` mirroring an alert as it comes and taking an approval made in
 * Notion back;
 * srr killed with SIGKILL between a page's create and its local mark, then
 * run again: still one page per record; the token never printed, even at
 * debug level; a server whose TLS certificate is not trusted never gets a
 * request; a clear-text api_url to a remote host refused.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake_notion.h"
#include "srr.h"
#include "store_fixtures.h"
#include "testutil.h"
#include "webhook_client.h"

static char *g_dir;
static char *g_cfg;
static fake_notion *g_fn;

static void setup(void)
{
    g_dir = tu_mkdtemp();
}

static void teardown(void)
{
    fake_notion_stop(&g_fn);
    tu_rmdir_r(g_dir);
    free(g_dir);
    free(g_cfg);
}

TestSuite(sync_e2e, .init = setup, .fini = teardown, .timeout = 180);

/* The demo config with a notion: section for the fake (`extra` appended). */
static void write_config(const char *api_url, const char *extra)
{
    char *yaml = tu_read_file(SRR_SOURCE_DIR "/examples/srr.yaml"), *all;
    all = srr_asprintf("%s\nsync:\n  interval: 1s\n  max_backoff: 2s\n"
                       "notion:\n  database_id: %s\n  api_url: %s\n  requests_per_second: 200\n"
                       "  max_attempts: 2\n  max_wait: 2s\n%s",
                       yaml, g_fn ? fake_notion_database(g_fn) : "db", api_url, extra ? extra : "");
    free(g_cfg);
    g_cfg = tu_write_file(g_dir, "srr.yaml", all);
    free(all);
    free(yaml);
}

/* Runs srr with the arguments (NULL terminated) and -c g_cfg, in g_dir, as
 * dana with the Notion token. */
#define SRR(r, ...)                                                                                \
    tu_srr((r), SRR_BIN,                                                                           \
           (const char *const[]){"SRR_USER=dana", "NOTION_TOKEN=" FAKE_NOTION_TOKEN, NULL}, g_cfg, \
           g_dir, __VA_ARGS__)

static long long q(const char *sql)
{
    return sf_query_in(g_dir, sql);
}

static void sweep_demo(int drain)
{
    tu_run r;
    char *week = srr_asprintf("%s/examples/demo-week", SRR_SOURCE_DIR);
    if (drain)
        SRR(&r, "sweep", "--replay", week, NULL);
    else
        SRR(&r, "sweep", "--replay", week, "--no-drain", NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    tu_run_free(&r);
    free(week);
}

static void notion_setup(void)
{
    tu_run r;
    SRR(&r, "notion", "setup", NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "added:\n  ID (rich_text)"), "%s", r.out);
    tu_run_free(&r);
}

Test(sync_e2e, the_demo_week_is_mirrored)
{
    tu_run r;
    json_t *pages;
    long long records;
    size_t i;
    g_fn = fake_notion_start(0);
    fake_notion_set_rate(g_fn, 500, 100);
    write_config(fake_notion_url(g_fn), NULL);
    sweep_demo(1);
    notion_setup();
    SRR(&r, "sync", "--once", NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    tu_run_free(&r);
    records = q("SELECT (SELECT count(*) FROM risks) + (SELECT count(*) FROM backlog)"
                " + (SELECT count(*) FROM investigations)");
    cr_assert_geq(records, 3);
    pages = fake_notion_pages(g_fn);
    cr_assert_eq((long long)json_array_size(pages), records);
    for (i = 0; i < json_array_size(pages); i++) {
        const char *id = json_string_value(json_object_get(json_array_get(pages, i), "id"));
        char *hid = fake_notion_prop_text(g_fn, id, "ID"),
             *kind = fake_notion_prop_text(g_fn, id, "Kind");
        char *text = fake_notion_page_text(g_fn, id),
             *status = fake_notion_prop_text(g_fn, id, "Status");
        cr_assert(strncmp(hid, "SRR-", 4) == 0 || strncmp(hid, "BL-", 3) == 0 ||
                      strncmp(hid, "INV-", 4) == 0,
                  "%s", hid);
        cr_assert(*kind && *status);
        cr_assert(strstr(text, "## Overview\n") && strstr(text, "## Why srr drafted it\n") &&
                      strstr(text, "## Evidence summary\nWeek of "),
                  "%s", text);
        free(hid);
        free(kind);
        free(status);
        free(text);
    }
    json_decref(pages);
    cr_assert_eq(fake_notion_rejected(g_fn), 0, "%s", fake_notion_last_rejection(g_fn));
    SRR(&r, "sync", "status", NULL);
    cr_assert(strstr(r.out, "notion: "), "%s", r.out);
    cr_assert(strstr(r.out, " 0 pending, 0 waiting for a retry, 0 parked"), "%s", r.out);
    tu_run_free(&r);
    /* A second sync creates nothing. */
    fake_notion_reset_counters(g_fn);
    SRR(&r, "sync", "--once", NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    tu_run_free(&r);
    cr_assert_eq(fake_notion_count(g_fn, "POST /v1/pages"), 0);
    cr_assert_eq(fake_notion_count(g_fn, "PATCH /v1/pages/{id}"), 0);
    pages = fake_notion_pages(g_fn);
    cr_assert_eq((long long)json_array_size(pages), records);
    json_decref(pages);
}

Test(sync_e2e, drain_once_syncs_after_it_drains_unless_no_sync)
{
    tu_run r;
    json_t *pages;
    g_fn = fake_notion_start(0);
    fake_notion_set_rate(g_fn, 500, 100);
    write_config(fake_notion_url(g_fn), NULL);
    notion_setup();
    sweep_demo(0);
    SRR(&r, "drain", "--once", "--no-sync", NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    tu_run_free(&r);
    pages = fake_notion_pages(g_fn);
    cr_assert_eq(json_array_size(pages), 0);
    json_decref(pages);
    SRR(&r, "drain", "--once", NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "record(s) delivered"), "%s", r.out);
    tu_run_free(&r);
    pages = fake_notion_pages(g_fn);
    cr_assert_gt(json_array_size(pages), 0);
    json_decref(pages);
}

/* Starts srr in the background (stdout/stderr to files in g_dir). */
static pid_t spawn(const char *const *args)
{
    const char *argv[16];
    int n = 0;
    pid_t pid;
    argv[n++] = SRR_BIN;
    while (*args && n < 12)
        argv[n++] = *args++;
    argv[n++] = "-c";
    argv[n++] = g_cfg;
    argv[n] = NULL;
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        char *out = srr_asprintf("%s/bg.out", g_dir);
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fd, 1);
        dup2(fd, 2);
        putenv((char *)"NOTION_TOKEN=" FAKE_NOTION_TOKEN);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

Test(sync_e2e, sigkill_between_a_create_and_its_mark_leaves_one_page)
{
    const char *const args[] = {"sync", "--once", NULL};
    json_t *pages, *seen = json_object();
    struct timespec step = {0, 20 * 1000000L};
    tu_run r;
    pid_t pid;
    int st, i;
    long long records;
    g_fn = fake_notion_start(0);
    fake_notion_set_rate(g_fn, 500, 100);
    write_config(fake_notion_url(g_fn), NULL);
    sweep_demo(1);
    notion_setup();
    records = q("SELECT count(*) FROM outbox");
    /* The first create is applied by Notion; srr is killed before it can
     * note the page. */
    fake_notion_hold_creates(g_fn, 1);
    pid = spawn(args);
    for (i = 0; i < 1500 && fake_notion_held(g_fn) == 0; i++)
        nanosleep(&step, NULL);
    cr_assert_eq(fake_notion_held(g_fn), 1, "no create arrived");
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    cr_assert(WIFSIGNALED(st));
    fake_notion_hold_creates(g_fn, 0);
    fake_notion_release_held(g_fn);
    pages = fake_notion_pages(g_fn);
    cr_assert_eq(json_array_size(pages), 1);
    json_decref(pages);
    cr_assert_eq(q("SELECT count(*) FROM sync_state WHERE creating = 1 AND remote_id IS NULL"), 1);
    /* Run again: the page is found by srr's ID, not created twice. */
    SRR(&r, "sync", "--once", NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    tu_run_free(&r);
    pages = fake_notion_pages(g_fn);
    cr_assert_eq((long long)json_array_size(pages), records, "one page per record");
    for (i = 0; i < (int)json_array_size(pages); i++) {
        char *hid = fake_notion_prop_text(
            g_fn, json_string_value(json_object_get(json_array_get(pages, (size_t)i), "id")), "ID");
        cr_assert_null(json_object_get(seen, hid), "two pages for %s", hid);
        json_object_set_new(seen, hid, json_true());
        free(hid);
    }
    json_decref(pages);
    json_decref(seen);
    cr_assert_eq(q("SELECT count(*) FROM sync_state WHERE creating = 1"), 0);
}

Test(sync_e2e, the_token_is_never_printed)
{
    tu_run r;
    g_fn = fake_notion_start(0);
    fake_notion_set_rate(g_fn, 500, 100);
    write_config(fake_notion_url(g_fn), NULL);
    sweep_demo(1);
    notion_setup();
    SRR(&r, "sync", "--once", "--log-level", "debug", NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "notion: POST /v1/pages"), "debug shows the requests: %s", r.err);
    cr_assert_null(strstr(r.err, FAKE_NOTION_TOKEN));
    cr_assert_null(strstr(r.out, FAKE_NOTION_TOKEN));
    tu_run_free(&r);
    /* A token refused: the error says so, without the token. */
    fake_notion_stop(&g_fn);
    g_fn = fake_notion_start(0);
    write_config(fake_notion_url(g_fn), "  token_env: OTHER_TOKEN\n");
    {
        const char *argv[] = {SRR_BIN, "sync", "--once", "-c", g_cfg, NULL};
        const char *env[] = {"OTHER_TOKEN=secret_wrong_token_1234", NULL};
        tu_exec(argv, env, g_dir, &r);
    }
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "401 unauthorized"), "%s", r.err);
    cr_assert_null(strstr(r.err, "secret_wrong_token_1234"));
    tu_run_free(&r);
}

Test(sync_e2e, tls_is_verified_and_clear_text_refused)
{
    char *cmd, *cert = NULL, *key = NULL, *p;
    size_t len;
    tu_run r;
    if (access("/usr/bin/openssl", X_OK) != 0)
        cr_skip_test("openssl is not installed");
    cmd = srr_asprintf("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                       "-keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
                       g_dir, g_dir);
    cr_assert_eq(system(cmd), 0);
    free(cmd);
    p = srr_asprintf("%s/cert.pem", g_dir);
    cr_assert_eq(srr_file_read(p, 0, &cert, &len, NULL), SRR_OK);
    free(p);
    p = srr_asprintf("%s/key.pem", g_dir);
    cr_assert_eq(srr_file_read(p, 0, &key, &len, NULL), SRR_OK);
    free(p);
    g_fn = fake_notion_start_tls(cert, key);
    cr_assert_not_null(g_fn);
    write_config(fake_notion_url(g_fn), NULL);
    SRR(&r, "notion", "setup", NULL);
    cr_assert_neq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "certificate") || strstr(r.err, "SSL"), "%s", r.err);
    tu_run_free(&r);
    cr_assert_eq(fake_notion_requests(g_fn), 0, "no request reached an untrusted server");
    fake_notion_stop(&g_fn);
    free(cert);
    free(key);
    /* http:// is for loopback test servers only. */
    write_config("http://notion.example.com", NULL);
    SRR(&r, "sync", "--once", NULL);
    cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "must be https"), "%s", r.err);
    tu_run_free(&r);
}

Test(sync_e2e, serve_mirrors_alerts_and_takes_edits_back)
{
    const char *env[] = {"SRR_WEBHOOK_TOKEN=e2e-token-1234", "NOTION_TOKEN=" FAKE_NOTION_TOKEN,
                         NULL};
    const char *hdr[] = {"Content-Type: application/json", "X-SRR-Token: e2e-token-1234", NULL};
    char *yaml, *url, *body, *page = NULL;
    const char *alice;
    struct timespec step = {0, 100 * 1000000L};
    wh_proc p;
    wh_answer a;
    json_t *pg;
    int i;
    g_fn = fake_notion_start(0);
    fake_notion_set_rate(g_fn, 500, 100);
    alice = fake_notion_add_person(g_fn, "Alice", "alice@example.com", NULL);
    yaml = srr_asprintf("queue:\n  spool_dir: spool\nstore:\n  path: srr.db\n"
                        "webhook:\n  listen: 127.0.0.1:0\n  threads: 2\n"
                        "policy:\n  rules:\n    - name: pages\n      match: {source: webhook}\n"
                        "      action: risk\n      urgency: high\n      reason: \"It pages.\"\n"
                        "  default:\n    action: ignore\n"
                        "sync:\n  interval: 1s\n"
                        "notion:\n  database_id: %s\n  api_url: %s\n  requests_per_second: 200\n"
                        "  poll_interval: 1s\n  people:\n    alice: %s\n",
                        fake_notion_database(g_fn), fake_notion_url(g_fn), alice);
    free(g_cfg);
    g_cfg = tu_write_file(g_dir, "srr.yaml", yaml);
    free(yaml);
    notion_setup();
    cr_assert_eq(wh_proc_start(SRR_BIN, g_cfg, NULL, env, &p), 0, "%s", p.log);
    url = srr_asprintf("http://127.0.0.1:%u/v1/webhooks/datadog", (unsigned)p.port);
    body = wh_payload("9001", "Triggered");
    wh_post(url, hdr, body, strlen(body), 0, &a);
    cr_assert_eq(a.code, 202, "%s", a.body ? a.body : a.error);
    wh_answer_free(&a);
    for (i = 0; i < 300 && !(pg = fake_notion_page_of(g_fn, "ID", "SRR-1")); i++)
        nanosleep(&step, NULL);
    cr_assert_not_null(pg, "the alert's record never reached Notion");
    page = srr_strdup(json_string_value(json_object_get(pg, "id")));
    json_decref(pg);
    /* Alice approves it in Notion; serve's sync takes it back. */
    fake_notion_set_edit_offset(g_fn, 5); /* newer than the first poll's mark */
    cr_assert_eq(fake_notion_edit_property(g_fn, page, "Status", "{\"select\":{\"name\":\"open\"}}",
                                           alice),
                 0);
    for (i = 0; i < 300 && q("SELECT count(*) FROM risks WHERE status = 'open' AND"
                             " approved_by = 'alice'") != 1;
         i++)
        nanosleep(&step, NULL);
    cr_assert_eq(q("SELECT count(*) FROM risks WHERE status = 'open' AND approved_by = 'alice'"),
                 1);
    cr_assert_eq(wh_proc_stop(&p), 0, "%s", p.log);
    cr_assert(strstr(p.log, "syncing the outbox"), "%s", p.log);
    wh_proc_free(&p);
    free(url);
    free(body);
    free(page);
}
