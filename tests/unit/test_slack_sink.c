/* SPDX-License-Identifier: Apache-2.0
 *
 * test_slack_sink.c - the Slack sink (sinks/slack.c) through the outbox
 * against the fake Slack (tests/support/fake_slack.c: the incoming
 * webhook, Block Kit's limits, one message a second with 429 and
 * Retry-After): a storm's new drafts as ONE digest and nothing twice,
 * evidence-only changes silent, the events worth telling (promotion,
 * closing, urgency raised) one message per kind, the Notion page linked,
 * an outage that delays and loses nothing, a 429 honoured (nothing sent
 * before its Retry-After), a refused message parked and visible in the
 * status then delivered after `sync retry`, and on the timer the review
 * that came due and the weekly reminder with ages and suggested owners.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_slack.h"
#include "outbox.h"
#include "outbox_store.h"
#include "sink_harness.h"
#include "store.h"
#include "store_fixtures.h"
#include "testutil.h"
#include "workflow.h"

#define DAY 86400

static sink_harness g_h;
static fake_slack *g_fs;

static void setup(void)
{
    sh_open(&g_h);
    g_fs = fake_slack_start();
    cr_assert_not_null(g_fs);
    setenv("SRR_TEST_SLACK_HOOK", fake_slack_webhook_url(g_fs), 1);
}

static void teardown(void)
{
    sh_close(&g_h);
    fake_slack_stop(&g_fs);
}

TestSuite(slack_sink, .init = setup, .fini = teardown, .timeout = 120);

/* A config with the fake's webhook and `extra` lines under slack:. */
static void configure(const char *extra)
{
    char *yaml = srr_asprintf("store:\n  path: %s/srr.db\n"
                              "team:\n  members: [alice, bob]\n"
                              "sync:\n  interval: 1s\n  max_backoff: 2s\n"
                              "slack:\n  webhook_url_env: SRR_TEST_SLACK_HOOK\n%s",
                              g_h.dir, extra ? extra : "");
    sh_load(&g_h, yaml, 1);
    free(yaml);
}

static void apply(const char *cand, const char *fp, srr_action a, int64_t at)
{
    sh_apply(&g_h, cand, fp, a, at, NULL);
}

/* Passes (the sink's own backoff skipped by stepping the pass time) until
 * `cond` holds; at most 20 s of real time (a Retry-After is real time). */
#define PASS_UNTIL(cond) SH_PASS_UNTIL(&g_h, cond, 100)

static size_t nmsgs(void)
{
    return fake_slack_messages(g_fs);
}

/* 1 when message i contains `needle`. */
static int msg_has(size_t i, const char *needle)
{
    char *m = fake_slack_message(g_fs, i);
    int has = m && strstr(m, needle) != NULL;
    free(m);
    return has;
}

static json_t *sink_status(json_t *st)
{
    return json_array_get(json_object_get(st, "sinks"), 0);
}

Test(slack_sink, a_storm_is_one_digest_and_nothing_twice)
{
    int64_t now = srr_now();
    char cand[32], fp[32];
    configure("  digest_max_items: 5\n");
    for (int i = 0; i < 30; i++) {
        snprintf(cand, sizeof(cand), "c%d", i);
        snprintf(fp, sizeof(fp), "fp-%02d", i);
        apply(cand, fp, SRR_ACTION_RISK, now);
    }
    apply("b1", "fp-disk", SRR_ACTION_BACKLOG, now);
    srr_sync_stats st = sh_pass_at(&g_h, now);
    cr_assert_eq(st.delivered, 31, "%zu delivered", st.delivered);
    cr_assert_eq(nmsgs(), 1, "one digest for the whole batch, %zu messages", nmsgs());
    cr_assert(msg_has(0, "31 new drafts") || msg_has(0, "31 "), "the count is told");
    cr_assert(msg_has(0, "SRR-1"));
    cr_assert(msg_has(0, "and 26 more"), "five in full, the rest by id");
    cr_assert(msg_has(0, "https://app.datadoghq.com/metric/explorer?q=rss"), "the Datadog link");
    cr_assert(msg_has(0, "because the test says so"), "the why");
    /* Again: nothing new. Evidence on a known record: nothing to tell. */
    sh_pass_at(&g_h, now + 1);
    apply("c99", "fp-03", SRR_ACTION_RISK, now + 1);
    st = sh_pass_at(&g_h, now + 2);
    cr_assert_eq(st.delivered, 1, "the record changed and was delivered");
    cr_assert_eq(nmsgs(), 1, "evidence is not news");
}

Test(slack_sink, events_one_message_per_kind_with_escaping_and_the_notion_page)
{
    int64_t now = srr_now();
    srr_wf_req r;
    srr_error err = {0};
    srr_apply_stats ast = {0};
    configure(NULL);
    apply("c1", "<!channel> & co", SRR_ACTION_RISK, now);
    apply("i1", "fp-inv", SRR_ACTION_INVESTIGATE, now - 2 * DAY);
    apply("i2", "fp-inv2", SRR_ACTION_INVESTIGATE, now - 2 * DAY);
    /* The Notion sink made SRR-1's page. */
    cr_assert_eq(srr_outbox_save(g_h.st, "notion", "risk", 1,
                                 "1a2b3c4d-0000-4000-8000-00000000abcd", NULL, now, &err),
                 SRR_OK, "%s", err.msg);
    sh_pass_at(&g_h, now);
    cr_assert_eq(nmsgs(), 1, "the draft's digest");
    cr_assert(msg_has(0, "&lt;!channel&gt; &amp; co"), "escaped: no @channel ping");
    cr_assert(!msg_has(0, "<!channel>"));
    cr_assert(msg_has(0, "https://www.notion.so/1a2b3c4d00004000800000000000abcd"),
              "linked to its Notion page");
    /* Urgency raised; one investigation promoted at its deadline. */
    memset(&r, 0, sizeof(r));
    r.actor = "alice";
    r.now = now;
    r.sets = (const char *const[]){"urgency=critical"};
    r.nsets = 1;
    cr_assert_eq(srr_wf_risk(g_h.st, "set", "SRR-1", &r, NULL, &err), SRR_OK, "%s", err.msg);
    apply("i1b", "fp-inv", SRR_ACTION_INVESTIGATE, now - DAY / 2); /* still firing */
    cr_assert_eq(srr_store_check_deadlines(g_h.st, now, &ast, &err), SRR_OK, "%s", err.msg);
    cr_assert_geq(sh_q(&g_h, "SELECT count(*) FROM investigations WHERE status = 'promoted'"), 1);
    PASS_UNTIL(nmsgs() >= 3);
    cr_assert_eq(nmsgs(), 3, "%zu messages", nmsgs());
    {
        int urg = 0, prom = 0;
        for (size_t i = 1; i < 3; i++) {
            urg += msg_has(i, "urgency raised") && msg_has(i, "medium") && msg_has(i, "critical");
            prom += msg_has(i, "promoted");
        }
        cr_assert_eq(urg, 1, "one urgency message");
        cr_assert_eq(prom, 1, "one promotion message");
    }
    sh_pass_at(&g_h, now + 30);
    cr_assert_eq(nmsgs(), 3, "nothing twice");
}

Test(slack_sink, an_outage_delays_and_loses_nothing)
{
    int64_t now = srr_now();
    json_t *st;
    configure(NULL);
    apply("c1", "fp-a", SRR_ACTION_RISK, now);
    apply("c2", "fp-b", SRR_ACTION_RISK, now);
    fake_http_set_outage(fake_slack_http(g_fs), 503, "service_unavailable", 0);
    srr_sync_stats s = sh_pass_at(&g_h, now);
    cr_assert_eq(s.delivered, 0);
    cr_assert_geq(s.failed, 1);
    st = sh_status(&g_h);
    cr_assert_eq(json_integer_value(json_object_get(sink_status(st), "pending")), 2);
    cr_assert_eq(json_array_size(json_object_get(sink_status(st), "waiting")), 2);
    json_decref(st);
    apply("c3", "fp-c", SRR_ACTION_RISK, now + 1); /* more arrives during the outage */
    fake_http_set_outage(fake_slack_http(g_fs), 0, NULL, 0);
    PASS_UNTIL(nmsgs() >= 1);
    cr_assert_eq(nmsgs(), 1, "one digest after the outage");
    cr_assert(msg_has(0, "SRR-1") && msg_has(0, "SRR-2") && msg_has(0, "SRR-3"),
              "every draft of the outage");
    sh_pass_at(&g_h, srr_now() + 100);
    cr_assert_eq(nmsgs(), 1, "nothing twice");
    st = sh_status(&g_h);
    cr_assert_eq(json_integer_value(json_object_get(sink_status(st), "pending")), 0);
    json_decref(st);
}

Test(slack_sink, a_429_is_honoured)
{
    int64_t now = srr_now();
    srr_wf_req r;
    srr_error err = {0};
    configure(NULL);
    /* Slack answers a second message within 3 s with 429, Retry-After: 2. */
    fake_slack_set_rate(g_fs, 3000, 2);
    apply("c1", "fp-a", SRR_ACTION_RISK, now);
    sh_pass_at(&g_h, now);
    cr_assert_eq(nmsgs(), 1);
    memset(&r, 0, sizeof(r));
    r.actor = "alice";
    r.now = now;
    r.sets = (const char *const[]){"urgency=high"};
    r.nsets = 1;
    cr_assert_eq(srr_wf_risk(g_h.st, "set", "SRR-1", &r, NULL, &err), SRR_OK, "%s", err.msg);
    PASS_UNTIL(nmsgs() >= 2);
    {
        fake_http *h = fake_slack_http(g_fs);
        size_t n = fake_http_count(h), i;
        long long limited_at = 0, next_at = 0;
        cr_assert_eq(fake_http_count_where(h, "POST", NULL, 429), 1,
                     "one 429, then srr waited: %zu", fake_http_count_where(h, "POST", NULL, 429));
        for (i = 0; i < n; i++) {
            fake_http_entry e;
            fake_http_entry_get(h, i, &e);
            if (e.status == 429)
                limited_at = e.at_ms;
            else if (limited_at && !next_at)
                next_at = e.at_ms;
            fake_http_entry_free(&e);
        }
        cr_assert_geq(next_at - limited_at, 1900, "the next request came %lld ms after the 429",
                      next_at - limited_at);
    }
    cr_assert(msg_has(1, "urgency raised"));
}

Test(slack_sink, a_refused_message_is_parked_visible_and_retried)
{
    int64_t now = srr_now();
    json_t *st;
    size_t n = 0;
    srr_error err = {0};
    configure(NULL);
    apply("c1", "fp-a", SRR_ACTION_RISK, now);
    fake_http_set_outage(fake_slack_http(g_fs), 400, "invalid_blocks", 0);
    srr_sync_stats s = sh_pass_at(&g_h, now);
    cr_assert_eq(s.parked, 1);
    st = sh_status(&g_h);
    cr_assert_eq(json_array_size(json_object_get(sink_status(st), "parked")), 1);
    cr_assert(strstr(json_string_value(json_object_get(
                         json_array_get(json_object_get(sink_status(st), "parked"), 0), "reason")),
                     "invalid_blocks"));
    json_decref(st);
    /* Parked: other records go on, this one waits for a fix. */
    fake_http_set_outage(fake_slack_http(g_fs), 0, NULL, 0);
    apply("c2", "fp-b", SRR_ACTION_RISK, now + 1);
    PASS_UNTIL(nmsgs() >= 1);
    cr_assert(msg_has(0, "SRR-2") && !msg_has(0, "SRR-1"));
    cr_assert_eq(srr_outbox_release(g_h.st, "slack", NULL, 0, &n, &err), SRR_OK); /* sync retry */
    cr_assert_eq(n, 1);
    PASS_UNTIL(nmsgs() >= 2);
    cr_assert(msg_has(1, "SRR-1"));
}

Test(slack_sink, reviews_due_and_the_weekly_reminder)
{
    int64_t now = srr_now();
    srr_wf_req r;
    srr_error err = {0};
    configure("  reminder_every: 7d\n  reminder_min_age: 2d\n");
    apply("c1", "fp-a", SRR_ACTION_RISK, now);
    apply("c2", "fp-b", SRR_ACTION_RISK, now);
    apply("b1", "fp-disk", SRR_ACTION_BACKLOG, now);
    memset(&r, 0, sizeof(r));
    r.actor = "alice";
    r.now = now;
    cr_assert_eq(srr_wf_risk(g_h.st, "approve", "SRR-2", &r, NULL, &err), SRR_OK, "%s", err.msg);
    r.review_in_s = DAY;
    r.note = "cheaper to watch than to fix";
    cr_assert_eq(srr_wf_risk(g_h.st, "accept", "SRR-2", &r, NULL, &err), SRR_OK, "%s", err.msg);
    sh_pass_at(&g_h, now); /* the digest; no reminder (nothing 2 days old), no review yet */
    cr_assert_eq(nmsgs(), 1, "%zu", nmsgs());
    /* Three days later: SRR-2's review has come; SRR-1 and BL-1 have waited 3 days. */
    sh_pass_at(&g_h, now + 3 * DAY);
    cr_assert_eq(nmsgs(), 3, "%zu", nmsgs());
    {
        int review = 0, remind = 0;
        for (size_t i = 1; i < nmsgs(); i++) {
            review += msg_has(i, "SRR-2") && msg_has(i, "review");
            remind += msg_has(i, "SRR-1") && msg_has(i, "BL-1") && msg_has(i, "Waiting 3 days");
        }
        cr_assert_eq(review, 1, "the review that came due");
        cr_assert_eq(remind, 1, "the reminder");
    }
    cr_assert(msg_has(2, "suggested owner: alice") || msg_has(2, "suggested owner: bob"),
              "a suggested owner from the team");
    /* A day later: nothing again; a week after the reminder: the next one. */
    sh_pass_at(&g_h, now + 4 * DAY + 2 * 3600);
    cr_assert_eq(nmsgs(), 3, "%zu", nmsgs());
    sh_pass_at(&g_h, now + 10 * DAY + 4 * 3600);
    cr_assert_eq(nmsgs(), 4, "%zu", nmsgs());
    cr_assert(msg_has(3, "Waiting 10 days"));
    cr_assert(!msg_has(3, "SRR-2"), "told once per review date");
}
