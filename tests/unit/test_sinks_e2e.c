/* SPDX-License-Identifier: Apache-2.0
 *
 * test_sinks_e2e.c - Slack, GitHub tickets and the Google Sheet mirror
 * through the srr binary against their fakes, as scripts/sinks-demo.sh
 * runs them: the recorded demo week swept and drained (the drain syncs):
 * one Slack digest of the new drafts, one sheet row per record; `srr
 * backlog accept BL-1 --ticket` and `srr sync --once`: one GitHub issue,
 * its link on the item and in the sheet, and nothing twice on a second
 * sync; a ticket closed on GitHub and a Status edited in the sheet come
 * back; `srr sync status` names every sink; `srr config check` and `srr
 * config reference` know the sections; --ticket without a tracker is
 * refused.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_github.h"
#include "fake_sheets.h"
#include "fake_slack.h"
#include "sa_key.h"
#include "srr.h"
#include "store_fixtures.h"
#include "testutil.h"

static char *g_dir;
static char *g_cfg;
static fake_slack *g_slack;
static fake_github *g_gh;
static fake_sheets *g_sheets;
static char *g_hook_env;

static void setup(void)
{
    char *key;
    g_dir = tu_mkdtemp();
    g_slack = fake_slack_start();
    g_gh = fake_github_start();
    g_sheets = fake_sheets_start(tu_sa_key_get(FAKE_SHEETS_EMAIL, "later")->pub_pem);
    cr_assert(g_slack && g_gh && g_sheets);
    key = tu_sa_key_write(g_dir, "sa.json", FAKE_SHEETS_EMAIL, fake_sheets_token_url(g_sheets));
    free(key);
    g_hook_env = srr_asprintf("SLACK_WEBHOOK_URL=%s", fake_slack_webhook_url(g_slack));
}

static void teardown(void)
{
    fake_slack_stop(&g_slack);
    fake_github_stop(&g_gh);
    fake_sheets_stop(&g_sheets);
    tu_rmdir_r(g_dir);
    free(g_dir);
    free(g_cfg);
    free(g_hook_env);
}

TestSuite(sinks_e2e, .init = setup, .fini = teardown, .timeout = 180);

/* The demo config and the three sinks' sections (`sinks` 0: none). */
static void write_config(int sinks)
{
    char *yaml = tu_read_file(SRR_SOURCE_DIR "/examples/srr.yaml"), *all;
    if (sinks) {
        char *at = strstr(yaml, "sweep:\n");
        cr_assert_not_null(at, "the demo config has a sweep: section");
        char *with = srr_asprintf("%.*ssweep:\n  textfile: metrics.prom\n%s", (int)(at - yaml),
                                  yaml, at + 7);
        free(yaml);
        yaml = with;
    }
    if (sinks)
        all = srr_asprintf("%s\nteam:\n  members: [alice, bob]\n"
                           "sync:\n  interval: 1s\n  max_backoff: 2s\n"
                           "slack:\n  webhook_url_env: SLACK_WEBHOOK_URL\n"
                           "github:\n  api_url: %s\n  repo: " FAKE_GITHUB_REPO "\n"
                           "tickets:\n  poll_every: 1s\n  people:\n    alice: alice-gh\n"
                           "sheets:\n  credentials_file: sa.json\n  spreadsheet_id: %s\n"
                           "  api_url: %s\n  min_interval: 0s\n  poll_every: 1s\n",
                           yaml, fake_github_url(g_gh), FAKE_SHEETS_ID, fake_sheets_url(g_sheets));
    else
        all = srr_strdup(yaml);
    free(g_cfg);
    g_cfg = tu_write_file(g_dir, "srr.yaml", all);
    free(all);
    free(yaml);
}

/* Runs srr with the arguments (NULL terminated) and -c g_cfg, in g_dir, as
 * alice with the GitHub token and the Slack hook. */
#define SRR(r, ...)                                                                                \
    tu_srr((r), SRR_BIN,                                                                           \
           (const char *const[]){"SRR_USER=alice", "GITHUB_TOKEN=" FAKE_GITHUB_TOKEN, g_hook_env,  \
                                 NULL},                                                            \
           g_cfg, g_dir, __VA_ARGS__)

static void ok(const char *a0, const char *a1, const char *a2, const char *a3)
{
    tu_run r;
    SRR(&r, a0, a1, a2, a3, NULL);
    cr_assert_eq(r.status, 0, "srr %s %s: %s%s", a0, a1 ? a1 : "", r.out, r.err);
    tu_run_free(&r);
}

static long long q(const char *sql)
{
    return sf_query_in(g_dir, sql);
}

/* The sheet row (1-based) of `id`, 0 when none. */
static size_t row_of(const char *id)
{
    return fake_sheets_row_with(g_sheets, "SRR", 0, id);
}

static int cell_has(const char *id, size_t col, const char *needle)
{
    size_t r = row_of(id);
    char *v = r ? fake_sheets_cell(g_sheets, "SRR", r, col, NULL) : NULL;
    int has = v && strstr(v, needle);
    free(v);
    return has;
}

Test(sinks_e2e, the_demo_week_reaches_slack_github_and_the_sheet)
{
    char *week = srr_asprintf("%s/examples/demo-week", SRR_SOURCE_DIR), *m;
    long long records;
    tu_run r;
    write_config(1);
    ok("config", "check", NULL, NULL);
    ok("sweep", "--replay", week, "--no-drain");
    free(week);
    ok("drain", "--once", NULL, NULL);
    records = q("SELECT (SELECT count(*) FROM risks) + (SELECT count(*) FROM backlog)"
                " + (SELECT count(*) FROM investigations)");
    cr_assert_geq(records, 3);
    cr_assert_eq(fake_slack_messages(g_slack), 1, "one digest");
    m = fake_slack_message(g_slack, 0);
    cr_assert(strstr(m, "SRR-1") && strstr(m, "BL-1"), "%s", m);
    free(m);
    cr_assert_eq((long long)fake_sheets_rows(g_sheets, "SRR"), records + 1, "header + a row each");
    cr_assert_eq(fake_github_issues(g_gh), 0, "nothing accepted yet");

    ok("backlog", "accept", "BL-1", "--ticket");
    ok("sync", "--once", NULL, NULL);
    cr_assert_eq(fake_github_issues(g_gh), 1);
    cr_assert_eq(q("SELECT count(*) FROM backlog WHERE id = 1 AND ticket_link LIKE '%/issues/1'"),
                 1);
    cr_assert(cell_has("BL-1", 8, "/issues/1"), "the sheet shows the ticket");
    cr_assert(cell_has("BL-1", 3, "accepted"));
    ok("sync", "--once", NULL, NULL);
    cr_assert_eq(fake_github_issues(g_gh), 1, "nothing twice");
    cr_assert_eq(fake_slack_messages(g_slack), 1, "the accept is not news for Slack");

    /* The tracker and the sheet speak back. */
    fake_github_person_close(g_gh, 1, "alice-gh", "completed");
    fake_sheets_person_edit(g_sheets, "SRR", row_of("SRR-1"), 3, "open");
    ok("sync", "--once", NULL, NULL);
    cr_assert_eq(q("SELECT count(*) FROM backlog WHERE id = 1 AND status = 'done'"), 1);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE record_kind = 'backlog' AND action = 'done'"
                   " AND actor = 'alice'"),
                 1);
    cr_assert_eq(q("SELECT count(*) FROM risks WHERE id = 1 AND status = 'open'"), 1);
    cr_assert(cell_has("BL-1", 3, "done"), "the sheet follows the tracker");

    SRR(&r, "sync", "status", NULL);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "slack: ") && strstr(r.out, "tickets: ") && strstr(r.out, "sheets: "),
              "%s", r.out);
    tu_run_free(&r);
    /* The outbox gauges in the sweep's textfile (and /metrics): nothing waits. */
    {
        char *week2 = srr_asprintf("%s/examples/demo-week", SRR_SOURCE_DIR), *prom = NULL,
             *path = srr_asprintf("%s/metrics.prom", g_dir);
        size_t plen;
        ok("sweep", "--replay", week2, NULL);
        cr_assert_eq(srr_file_read(path, 0, &prom, &plen, NULL), SRR_OK);
        cr_assert(strstr(prom, "srr_outbox_pending{sink=\"slack\"} 0\n") &&
                      strstr(prom, "srr_outbox_pending{sink=\"tickets\"} 0\n") &&
                      strstr(prom, "srr_outbox_oldest_pending_age_seconds{sink=\"sheets\"} 0\n"),
                  "%s", prom);
        free(prom);
        free(path);
        free(week2);
    }
    SRR(&r, "config", "reference", NULL);
    cr_assert(strstr(r.out, "| `slack.webhook_url_env` |") && strstr(r.out, "| `github.repo` |") &&
                  strstr(r.out, "| `jira.project` |") && strstr(r.out, "| `tickets.auto` |") &&
                  strstr(r.out, "| `sheets.spreadsheet_id` |"),
              "%s", r.out);
    tu_run_free(&r);
}

Test(sinks_e2e, a_ticket_needs_a_tracker_and_a_bad_section_is_named)
{
    char *week = srr_asprintf("%s/examples/demo-week", SRR_SOURCE_DIR), *yaml, *bad;
    tu_run r;
    size_t len;
    write_config(0);
    ok("sweep", "--replay", week, NULL);
    free(week);
    SRR(&r, "backlog", "accept", "BL-1", "--ticket", NULL);
    cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "--ticket needs a tracker"), "%s", r.err);
    tu_run_free(&r);
    cr_assert_eq(q("SELECT count(*) FROM backlog WHERE id = 1 AND status = 'draft'"), 1);
    cr_assert_eq(srr_file_read(g_cfg, 0, &yaml, &len, NULL), SRR_OK);
    bad = srr_asprintf("%s\ngithub:\n  repo: not-a-repo\n", yaml);
    free(yaml);
    free(g_cfg);
    g_cfg = tu_write_file(g_dir, "srr.yaml", bad);
    free(bad);
    SRR(&r, "config", "check", NULL);
    cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, "github.repo: expected owner/name"), "%s", r.err);
    tu_run_free(&r);
}
