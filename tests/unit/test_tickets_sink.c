/* SPDX-License-Identifier: Apache-2.0
 *
 * test_tickets_sink.c - the ticket sink (sinks/tickets.c) through the
 * outbox against the fake GitHub (tests/support/fake_github.c: token,
 * version header, labels, validation, primary and secondary rate limits)
 * and the fake Jira Cloud: an item accepted for a ticket gets one, written
 * from the record, its URL stored as the item's link (audited) and never a
 * second one (again, and after a crash between the create and the mark);
 * a ticket closed in the tracker moves the item to done with the tracker's
 * user as the actor, reopened reopens it; an item done in srr closes its
 * ticket; an outage delays and loses nothing; GitHub's secondary limit
 * (Retry-After) is honoured; a ticket GitHub refuses is parked, visible in
 * the status, and made once the config is fixed.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_github.h"
#include "fake_jira.h"
#include "github_api.h"
#include "outbox.h"
#include "outbox_store.h"
#include "sink_harness.h"
#include "store.h"
#include "store_fixtures.h"
#include "testutil.h"
#include "workflow.h"

static sink_harness g_h;
static fake_github *g_fg;
static fake_jira *g_fj;

static void setup(void)
{
    sh_open(&g_h);
    g_fg = fake_github_start();
    g_fj = fake_jira_start();
    cr_assert(g_fg && g_fj);
    setenv("SRR_TEST_GH_TOKEN", FAKE_GITHUB_TOKEN, 1);
    setenv("SRR_TEST_JIRA_TOKEN", FAKE_JIRA_TOKEN, 1);
}

static void teardown(void)
{
    sh_close(&g_h);
    fake_github_stop(&g_fg);
    fake_jira_stop(&g_fj);
}

TestSuite(tickets_sink, .init = setup, .fini = teardown, .timeout = 120);

static void load(const char *tracker_yaml)
{
    char *yaml = srr_asprintf("store:\n  path: %s/srr.db\n"
                              "sync:\n  interval: 1s\n  max_backoff: 2s\n"
                              "tickets:\n  poll_every: 1s\n"
                              "  people:\n    alice: alice-gh\n    dora: dora-account\n%s",
                              g_h.dir, tracker_yaml);
    sh_load(&g_h, yaml, 1);
    free(yaml);
}

/* GitHub, with `labels` (a YAML list) when given. */
static void configure_github(const char *labels)
{
    char *gh = srr_asprintf("github:\n  api_url: %s\n  repo: " FAKE_GITHUB_REPO
                            "\n  token_env: SRR_TEST_GH_TOKEN\n%s%s%s",
                            fake_github_url(g_fg), labels ? "  labels: " : "", labels ? labels : "",
                            labels ? "\n" : "");
    load(gh);
    free(gh);
}

static void configure_jira(void)
{
    char *j = srr_asprintf("jira:\n  url: %s\n  user: " FAKE_JIRA_EMAIL
                           "\n  token_env: SRR_TEST_JIRA_TOKEN\n  project: " FAKE_JIRA_PROJECT "\n",
                           fake_jira_url(g_fj));
    load(j);
    free(j);
}

static void backlog(const char *cand, const char *fp)
{
    sh_apply(&g_h, cand, fp, SRR_ACTION_BACKLOG, srr_now(), NULL);
}

/* `srr backlog VERB ID` (accept with --ticket unless link is given). */
static srr_rc wf(const char *verb, const char *id, const char *link)
{
    srr_wf_req r;
    srr_error err = {0};
    memset(&r, 0, sizeof(r));
    r.actor = "erin";
    r.now = srr_now();
    r.link = link;
    r.ticket = strcmp(verb, "accept") == 0 && !link;
    return srr_wf_backlog(g_h.st, verb, id, &r, NULL, &err);
}

#define PASS_UNTIL(cond) SH_PASS_UNTIL(&g_h, cond, 100)

/* The item's status is `want`. */
static int status_is(int id, const char *want)
{
    char *sql =
        srr_asprintf("SELECT count(*) FROM backlog WHERE id = %d AND status = '%s'", id, want);
    long long n = sh_q(&g_h, sql);
    free(sql);
    return n == 1;
}

static int gh_field_is(long long number, const char *field, const char *want)
{
    char *v = fake_github_issue_field(g_fg, number, field);
    int eq = v && strcmp(v, want) == 0;
    free(v);
    return eq;
}

static int gh_field_has(long long number, const char *field, const char *needle)
{
    char *v = fake_github_issue_field(g_fg, number, field);
    int has = v && strstr(v, needle) != NULL;
    free(v);
    return has;
}

Test(tickets_sink, an_accepted_item_gets_one_ticket_linked_back)
{
    char *url;
    configure_github(NULL);
    backlog("b1", "fp-disk");
    backlog("b2", "fp-queue");
    backlog("b3", "fp-cert");
    cr_assert_eq(wf("accept", "BL-1", NULL), SRR_OK);
    cr_assert_eq(wf("accept", "BL-3", "https://tracker.example/OPS-3"), SRR_OK); /* by hand */
    sh_pass_at(&g_h, srr_now());
    cr_assert_eq(fake_github_issues(g_fg), 1, "only the item accepted for a ticket");
    cr_assert(gh_field_is(1, "title", "memory growth on fp-disk (BL-1)"));
    cr_assert(gh_field_has(1, "body", "because the test says so"), "why srr drafted it");
    cr_assert(gh_field_has(1, "body", "https://app.datadoghq.com/metric/explorer?q=rss"));
    cr_assert(gh_field_has(1, "body", "<!-- srr:BL-1 -->"), "srr's marker");
    cr_assert(gh_field_is(1, "labels", "srr"));
    cr_assert_eq(fake_github_unversioned(g_fg), 0, "every request carried the API version");
    url = srr_asprintf("SELECT count(*) FROM backlog WHERE id = 1 AND ticket_link LIKE "
                       "'%%/" FAKE_GITHUB_REPO "/issues/1'");
    cr_assert_eq(sh_q(&g_h, url), 1, "the issue's URL is the item's link");
    free(url);
    cr_assert_eq(sh_q(&g_h,
                      "SELECT count(*) FROM audit WHERE record_kind = 'backlog' AND record_id = 1"
                      " AND action = 'link' AND actor = 'srr-tickets'"),
                 1);
    /* The link's audit makes it due again: no second ticket. */
    sh_pass_at(&g_h, srr_now() + 5);
    sh_pass_at(&g_h, srr_now() + 10);
    cr_assert_eq(fake_github_issues(g_fg), 1);
    cr_assert_eq(
        sh_q(&g_h, "SELECT count(*) FROM sync_state WHERE sink = 'tickets' AND remote_id = '1'"),
        1);
}

Test(tickets_sink, a_crash_between_create_and_mark_makes_no_second_ticket)
{
    srr_github *gh = NULL;
    srr_github_opts o;
    srr_github_issue is;
    srr_error err = {0};
    const char *labels[] = {"srr"};
    char *body;
    json_t *rec = NULL;
    configure_github(NULL);
    backlog("b1", "fp-disk");
    cr_assert_eq(wf("accept", "BL-1", NULL), SRR_OK);
    /* srr noted the create, GitHub made the issue, srr died before the mark. */
    cr_assert_eq(srr_outbox_begin_create(g_h.st, "tickets", "backlog", 1, srr_now(), &err), SRR_OK);
    cr_assert_eq(srr_outbox_record(g_h.st, "backlog", 1, 8, &rec, &err), SRR_OK);
    memset(&o, 0, sizeof(o));
    o.api_url = fake_github_url(g_fg);
    o.token = FAKE_GITHUB_TOKEN;
    o.repo = FAKE_GITHUB_REPO;
    cr_assert_eq(srr_github_create(&o, &gh, &err), SRR_OK, "%s", err.msg);
    body = srr_asprintf("made before the crash\n<!-- srr:BL-1 -->\n");
    cr_assert_eq(
        srr_github_issue_create(gh, "memory growth on fp-disk (BL-1)", body, labels, 1, &is, &err),
        SRR_OK, "%s", err.msg);
    srr_github_issue_clear(&is);
    srr_github_destroy(&gh);
    free(body);
    json_decref(rec);
    sh_pass_at(&g_h, srr_now());
    cr_assert_eq(fake_github_issues(g_fg), 1, "found, not made again");
    cr_assert_eq(
        sh_q(&g_h, "SELECT count(*) FROM backlog WHERE id = 1 AND ticket_link LIKE '%/issues/1'"),
        1);
}

Test(tickets_sink, closed_in_the_tracker_is_done_reopened_is_accepted)
{
    configure_github(NULL);
    backlog("b1", "fp-disk");
    backlog("b2", "fp-queue");
    cr_assert_eq(wf("accept", "BL-1", NULL), SRR_OK);
    cr_assert_eq(wf("accept", "BL-2", NULL), SRR_OK);
    PASS_UNTIL(fake_github_issues(g_fg) == 2 &&
               sh_q(&g_h, "SELECT count(*) FROM backlog WHERE ticket_link IS NOT NULL") == 2);
    fake_github_person_close(g_fg, 1, "alice-gh", "completed");
    fake_github_person_close(g_fg, 2, "carol-gh", "not_planned");
    PASS_UNTIL(status_is(1, "done") && status_is(2, "rejected"));
    cr_assert_eq(sh_q(&g_h,
                      "SELECT count(*) FROM audit WHERE record_kind = 'backlog' AND record_id = 1"
                      " AND action = 'done' AND actor = 'alice'"),
                 1, "audited with the tracker's user, mapped through tickets.people");
    cr_assert_eq(sh_q(&g_h,
                      "SELECT count(*) FROM audit WHERE record_kind = 'backlog' AND record_id = 2"
                      " AND action = 'reject' AND actor = 'github:carol-gh'"),
                 1, "an unmapped user keeps the tracker's name");
    fake_github_person_reopen(g_fg, 1, "alice-gh");
    PASS_UNTIL(status_is(1, "accepted"));
    cr_assert_eq(sh_q(&g_h,
                      "SELECT count(*) FROM audit WHERE record_kind = 'backlog' AND record_id = 1"
                      " AND action = 'reopen' AND actor = 'alice'"),
                 1);
    /* Done in srr: the ticket is closed there. */
    cr_assert_eq(wf("done", "BL-1", NULL), SRR_OK);
    PASS_UNTIL(gh_field_is(1, "state", "closed"));
    sh_pass_at(&g_h, srr_now() + 60);
    cr_assert(status_is(1, "done"), "its own close does not come back as a change");
    cr_assert_eq(fake_github_issues(g_fg), 2);
}

Test(tickets_sink, an_outage_delays_and_loses_nothing)
{
    json_t *st = NULL;
    srr_error err = {0};
    configure_github(NULL);
    backlog("b1", "fp-disk");
    backlog("b2", "fp-queue");
    cr_assert_eq(wf("accept", "BL-1", NULL), SRR_OK);
    fake_http_set_outage(fake_github_http(g_fg), 503, "{\"message\":\"Service Unavailable\"}", 0);
    srr_sync_stats s = sh_pass_at(&g_h, srr_now());
    cr_assert_eq(s.delivered, 0);
    cr_assert_eq(srr_sync_status(g_h.sync, g_h.st, &st, &err), SRR_OK);
    {
        const json_t *one = json_array_get(json_object_get(st, "sinks"), 0);
        const char *last = json_string_value(json_object_get(one, "last_error"));
        cr_assert(last && strstr(last, "503"), "the status says why: %s", last ? last : "-");
        cr_assert_eq(json_integer_value(json_object_get(one, "pending")), 2);
    }
    json_decref(st);
    cr_assert_eq(wf("accept", "BL-2", NULL), SRR_OK); /* meanwhile */
    fake_http_set_outage(fake_github_http(g_fg), 0, NULL, 0);
    PASS_UNTIL(sh_q(&g_h, "SELECT count(*) FROM backlog WHERE ticket_link IS NOT NULL") == 2);
    cr_assert_eq(fake_github_issues(g_fg), 2, "each once");
}

Test(tickets_sink, a_secondary_rate_limit_is_honoured)
{
    fake_http *h;
    long long limited_at = 0, next_at = 0;
    configure_github(NULL);
    backlog("b1", "fp-disk");
    cr_assert_eq(wf("accept", "BL-1", NULL), SRR_OK);
    fake_github_secondary(g_fg, 1, 2); /* the next create: 403, Retry-After: 2 */
    PASS_UNTIL(fake_github_issues(g_fg) == 1);
    h = fake_github_http(g_fg);
    for (size_t i = 0; i < fake_http_count(h); i++) {
        fake_http_entry e;
        fake_http_entry_get(h, i, &e);
        if (e.status == 403)
            limited_at = e.at_ms;
        else if (limited_at && !next_at)
            next_at = e.at_ms;
        fake_http_entry_free(&e);
    }
    cr_assert_gt(limited_at, 0, "the limit was hit");
    cr_assert_geq(next_at - limited_at, 1900, "nothing sent for %lld ms", next_at - limited_at);
}

Test(tickets_sink, a_refused_ticket_is_parked_then_made_after_the_fix)
{
    json_t *st = NULL, *parked;
    srr_error err = {0};
    configure_github("[srr, \"\"]"); /* GitHub refuses an empty label: 422 */
    backlog("b1", "fp-disk");
    cr_assert_eq(wf("accept", "BL-1", NULL), SRR_OK);
    srr_sync_stats s = sh_pass_at(&g_h, srr_now());
    cr_assert_eq(s.parked, 1);
    cr_assert_eq(srr_sync_status(g_h.sync, g_h.st, &st, &err), SRR_OK);
    parked = json_object_get(json_array_get(json_object_get(st, "sinks"), 0), "parked");
    cr_assert_eq(json_array_size(parked), 1);
    cr_assert(
        strstr(json_string_value(json_object_get(json_array_get(parked, 0), "reason")), "422"),
        "%s", json_string_value(json_object_get(json_array_get(parked, 0), "reason")));
    json_decref(st);
    cr_assert_eq(fake_github_issues(g_fg), 0);
    configure_github("[srr]"); /* fixed: the record is tried again */
    PASS_UNTIL(fake_github_issues(g_fg) == 1);
}

Test(tickets_sink, jira_ticket_with_its_label_done_by_a_person)
{
    char *labels, *summary;
    configure_jira();
    backlog("b1", "fp-disk");
    cr_assert_eq(wf("accept", "BL-1", NULL), SRR_OK);
    sh_pass_at(&g_h, srr_now());
    cr_assert_eq(fake_jira_issues(g_fj), 1);
    labels = fake_jira_issue_field(g_fj, FAKE_JIRA_PROJECT "-1", "labels");
    summary = fake_jira_issue_field(g_fj, FAKE_JIRA_PROJECT "-1", "summary");
    cr_assert(labels && strstr(labels, "srr-BL-1"), "%s", labels);
    cr_assert_str_eq(summary, "memory growth on fp-disk (BL-1)");
    free(labels);
    free(summary);
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM backlog WHERE id = 1 AND ticket_link LIKE "
                            "'%/browse/" FAKE_JIRA_PROJECT "-1'"),
                 1);
    fake_jira_person_transition(g_fj, FAKE_JIRA_PROJECT "-1", "Done", "Dora", "dora-account");
    PASS_UNTIL(status_is(1, "done"));
    cr_assert_eq(sh_q(&g_h,
                      "SELECT count(*) FROM audit WHERE record_kind = 'backlog' AND action = 'done'"
                      " AND actor = 'dora'"),
                 1);
    cr_assert_eq(fake_jira_issues(g_fj), 1);
}
