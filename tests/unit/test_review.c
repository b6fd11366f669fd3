/* SPDX-License-Identifier: Apache-2.0
 *
 * test_review.c - the monthly review on a seeded store with known answers:
 * drafts waiting and their age, open risks nobody owns, new / resolved /
 * accepted this month, stale
 * open risks, quiet signals, accepted risks past review, low-urgency items
 * to retire, load and skew, counts by service, the status history; then
 * the same report through the srr binary as Markdown and as HTML (one
 * self-contained file with its SVG charts).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gauges.h"
#include "outbox_store.h"
#include "review.h"
#include "store.h"
#include "sweep_state.h"
#include "store_fixtures.h"
#include "testutil.h"
#include "workflow.h"

#define DAY 86400

SF_STORE_SUITE(review);

static int64_t at(const char *iso)
{
    int64_t t = 0;
    cr_assert_eq(srr_time_parse_iso(iso, &t), SRR_OK, "%s", iso);
    return t;
}

static void seed(const char *id, const char *fp, srr_action a, const char *service, srr_urgency u,
                 int64_t when)
{
    srr_candidate c;
    srr_error err = {0};
    sf_candidate(&c, id, fp, a, SRR_STATUS_FIRING, when);
    free(c.signal.service);
    c.signal.service = srr_strdup(service);
    c.urgency = u;
    cr_assert_eq(srr_store_apply(g_st, &c, 1, when, NULL, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);
}

/* A clear observation of fingerprint fp at `when` (the sweep saw it fine). */
static void clear(const char *id, const char *fp, int64_t when)
{
    srr_candidate c;
    srr_error err = {0};
    sf_candidate(&c, id, fp, SRR_ACTION_RISK, SRR_STATUS_RECOVERED, when);
    cr_assert_eq(srr_store_apply(g_st, &c, 1, when, NULL, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);
}

static void act(const char *verb, const char *id, const char *who, const char *assignee,
                const char *note, int64_t review_in, int64_t when)
{
    srr_wf_req r;
    srr_error err = {0};
    memset(&r, 0, sizeof(r));
    r.actor = who;
    r.now = when;
    r.assignee = assignee;
    r.note = note;
    r.review_in_s = review_in;
    cr_assert_eq(srr_wf_risk(g_st, verb, id, &r, NULL, &err), SRR_OK, "%s %s: %s", verb, id,
                 err.msg);
}

static char *g_members[] = {"alice", "bob", "carol"};

/* The store of the review tests; "now" is 2026-03-20T12:00:00Z.
 *   SRR-1 low, open (alice) since 2025-12-01, never touched or seen firing
 *         again, observed clear on 12-08 and 12-15: stale, quiet (measured:
 *         clear for 14 weeks) and a retire candidate;
 *   SRR-2 accepted in January with a 30-day review: past review;
 *   SRR-3 resolved in March; SRR-4 accepted in March for 90 days;
 *   SRR-5 high, new in March, open (bob), seen again on 03-18;
 *   SRR-6 a March draft (10 days old);
 *   BL-1  a low backlog draft from November: waiting, and to retire. */
static void seed_store(void)
{
    seed("b1", "fp-b1", SRR_ACTION_BACKLOG, "postgres", SRR_URGENCY_LOW,
         at("2025-11-01T12:00:00Z"));
    seed("r1", "fp-r1", SRR_ACTION_RISK, "billing", SRR_URGENCY_LOW, at("2025-12-01T12:00:00Z"));
    act("approve", "SRR-1", "lead", "alice", NULL, 0, at("2025-12-01T12:00:00Z"));
    clear("r1c", "fp-r1", at("2025-12-08T12:00:00Z"));
    clear("r1d", "fp-r1", at("2025-12-15T12:00:00Z"));
    seed("r3", "fp-r3", SRR_ACTION_RISK, "billing", SRR_URGENCY_MEDIUM, at("2026-01-10T12:00:00Z"));
    act("approve", "SRR-2", "lead", "bob", NULL, 0, at("2026-01-10T12:00:00Z"));
    act("accept", "SRR-2", "lead", NULL, "cheap to live with", 30 * DAY,
        at("2026-01-15T12:00:00Z"));
    seed("r4", "fp-r4", SRR_ACTION_RISK, "checkout", SRR_URGENCY_MEDIUM,
         at("2026-02-01T12:00:00Z"));
    act("approve", "SRR-3", "lead", "carol", NULL, 0, at("2026-02-01T12:00:00Z"));
    seed("r6", "fp-r6", SRR_ACTION_RISK, "checkout", SRR_URGENCY_HIGH, at("2026-02-20T12:00:00Z"));
    act("approve", "SRR-4", "lead", "carol", NULL, 0, at("2026-02-20T12:00:00Z"));
    seed("r2", "fp-r2", SRR_ACTION_RISK, "checkout", SRR_URGENCY_HIGH, at("2026-03-02T12:00:00Z"));
    act("approve", "SRR-5", "lead", "bob", NULL, 0, at("2026-03-02T12:00:00Z"));
    act("resolve", "SRR-3", "carol", NULL, "fixed by the retry", 0, at("2026-03-05T12:00:00Z"));
    act("accept", "SRR-4", "carol", NULL, "the vendor owns it", 90 * DAY,
        at("2026-03-06T12:00:00Z"));
    seed("r5", "fp-r5", SRR_ACTION_RISK, "api", SRR_URGENCY_MEDIUM, at("2026-03-10T12:00:00Z"));
    seed("r2b", "fp-r2", SRR_ACTION_RISK, "checkout", SRR_URGENCY_HIGH, at("2026-03-18T12:00:00Z"));
}

static srr_team_config team(void)
{
    srr_team_config t;
    memset(&t, 0, sizeof(t));
    t.members = g_members;
    t.nmembers = 3;
    t.skew_percent = 200;
    t.stale_s = 30 * DAY;
    return t;
}

/* The ids of a report section, joined by spaces (static). */
static const char *ids(const json_t *rep, const char *key)
{
    static char buf[256];
    const json_t *arr = json_object_get(rep, key);
    size_t i, len = 0;
    buf[0] = '\0';
    for (i = 0; i < json_array_size(arr); i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "",
                                json_string_value(json_object_get(json_array_get(arr, i), "id")));
    return buf;
}

static long long num(const json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

Test(review, known_answers_on_a_seeded_store)
{
    srr_team_config t = team();
    srr_review_opts o;
    json_t *rep = NULL, *load, *hist;
    srr_error err = {0};
    seed_store();
    memset(&o, 0, sizeof(o));
    o.now = at("2026-03-20T12:00:00Z");
    cr_assert_eq(srr_review_build(g_st, &t, &o, &rep, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(json_string_value(json_object_get(rep, "month")), "2026-03");
    cr_assert_str_eq(ids(rep, "drafts"), "BL-1 SRR-6");
    cr_assert_eq(num(json_array_get(json_object_get(rep, "drafts"), 1), "age_days"), 10);
    cr_assert_eq(num(json_array_get(json_object_get(rep, "drafts"), 0), "age_days"), 139);
    cr_assert_str_eq(ids(rep, "new"), "SRR-5 SRR-6");
    cr_assert_str_eq(ids(rep, "resolved"), "SRR-3");
    cr_assert_str_eq(ids(rep, "accepted"), "SRR-4");
    cr_assert_str_eq(ids(rep, "stale"), "SRR-1");
    cr_assert_str_eq(ids(rep, "quiet"), "SRR-1");
    cr_assert_eq(num(json_array_get(json_object_get(rep, "quiet"), 0), "quiet_weeks"), 14);
    cr_assert_eq(num(json_array_get(json_object_get(rep, "quiet"), 0), "clear_windows"), 2);
    cr_assert(json_is_true(
        json_object_get(json_array_get(json_object_get(rep, "quiet"), 0), "measured")));
    /* Each active record's thing, window by window. */
    cr_assert(strstr(ids(rep, "things"), "SRR-1") != NULL, "%s", ids(rep, "things"));
    cr_assert_str_eq(ids(rep, "review_due"), "SRR-2");
    cr_assert_eq(num(json_array_get(json_object_get(rep, "review_due"), 0), "overdue_days"), 34);
    cr_assert_str_eq(ids(rep, "retire"), "BL-1 SRR-1");

    load = json_object_get(rep, "load");
    cr_assert(json_is_true(json_object_get(load, "skewed")));
    cr_assert_str_eq(json_string_value(json_object_get(load, "busiest")), "bob");
    cr_assert_float_eq(json_real_value(json_object_get(load, "ratio")), 2.25, 1e-9);

    {
        const json_t *svc = json_object_get(rep, "by_service");
        cr_assert_eq(json_array_size(svc), 3); /* api, billing, checkout */
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(svc, 2), "service")),
                         "checkout");
        cr_assert_eq(num(json_array_get(svc, 2), "open"), 1);
        cr_assert_eq(num(json_array_get(svc, 2), "resolved"), 1);
        cr_assert_eq(num(json_array_get(svc, 2), "accepted"), 1);
        cr_assert_eq(num(json_array_get(svc, 2), "active"), 2);
    }

    hist = json_object_get(rep, "history");
    cr_assert_eq(json_array_size(hist), 6);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(hist, 0), "month")),
                     "2025-10");
    cr_assert_eq(num(json_array_get(hist, 0), "open"), 0);
    cr_assert_eq(num(json_array_get(hist, 2), "open"), 1); /* end of December */
    cr_assert_eq(num(json_array_get(hist, 3), "open"), 1); /* end of January */
    cr_assert_eq(num(json_array_get(hist, 3), "accepted"), 1);
    cr_assert_eq(num(json_array_get(hist, 4), "open"), 3); /* end of February */
    cr_assert_eq(num(json_array_get(hist, 5), "open"), 2); /* March, as of the 20th */
    cr_assert_eq(num(json_array_get(hist, 5), "accepted"), 2);
    cr_assert_eq(num(json_array_get(hist, 5), "resolved"), 1);
    cr_assert_eq(num(json_array_get(hist, 5), "draft"), 1);
    json_decref(rep);

    /* A past month: February as of its end. */
    o.month = "2026-02";
    cr_assert_eq(srr_review_build(g_st, &t, &o, &rep, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(ids(rep, "new"), "SRR-3 SRR-4");
    cr_assert_str_eq(ids(rep, "resolved"), "");
    cr_assert_str_eq(ids(rep, "review_due"), "SRR-2");
    json_decref(rep);
    o.month = "2026-13";
    cr_assert_eq(srr_review_build(g_st, &t, &o, &rep, &err), SRR_EINVAL);
}

/* An approved risk nobody is assigned to is listed (and counted) until
 * someone takes it; drafts and assigned risks are not. */
Test(review, open_risks_nobody_owns)
{
    srr_team_config t = team();
    srr_review_opts o;
    json_t *rep = NULL;
    srr_error err = {0};
    seed("u1", "fp-u1", SRR_ACTION_RISK, "api", SRR_URGENCY_MEDIUM, at("2026-03-01T12:00:00Z"));
    seed("u2", "fp-u2", SRR_ACTION_RISK, "api", SRR_URGENCY_HIGH, at("2026-03-01T12:00:00Z"));
    seed("u3", "fp-u3", SRR_ACTION_RISK, "api", SRR_URGENCY_HIGH, at("2026-03-01T12:00:00Z"));
    act("approve", "SRR-1", "lead", NULL, NULL, 0, at("2026-03-02T12:00:00Z"));
    act("approve", "SRR-2", "lead", NULL, NULL, 0, at("2026-03-02T12:00:00Z"));
    memset(&o, 0, sizeof(o));
    o.now = at("2026-03-20T12:00:00Z");
    cr_assert_eq(srr_review_build(g_st, &t, &o, &rep, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(ids(rep, "unowned"), "SRR-2 SRR-1", "most urgent first");
    cr_assert_eq(num(json_object_get(rep, "counts"), "unowned"), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(rep,
                                                                                      "unowned"),
                                                                      0),
                                                       "approved_by")),
                     "lead");
    json_decref(rep);
    act("assign", "SRR-2", "lead", "bob", NULL, 0, at("2026-03-03T12:00:00Z"));
    cr_assert_eq(srr_review_build(g_st, &t, &o, &rep, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(ids(rep, "unowned"), "SRR-1");
    json_decref(rep);
}

/* The records' gauges (/metrics and sweep.textfile): drafts by kind and the
 * oldest's age, open investigations past their deadline, the last live
 * sweep that succeeded; read without creating a store that is not there. */
Test(review, record_gauges)
{
    srr_gauges g;
    srr_error err = {0};
    srr_sweep_state *ss = NULL;
    srr_buf b;
    int64_t now = at("2026-03-20T12:00:00Z");
    seed("g1", "fp-g1", SRR_ACTION_RISK, "api", SRR_URGENCY_MEDIUM, at("2026-03-10T12:00:00Z"));
    seed("g2", "fp-g2", SRR_ACTION_BACKLOG, "api", SRR_URGENCY_LOW, at("2026-03-05T12:00:00Z"));
    seed("g3", "fp-g3", SRR_ACTION_INVESTIGATE, "api", SRR_URGENCY_LOW,
         at("2026-03-01T12:00:00Z")); /* a 1-day time-box: long past */
    seed("g4", "fp-g4", SRR_ACTION_INVESTIGATE, "api", SRR_URGENCY_LOW, now - 3600);
    cr_assert_eq(srr_gauges_read(g_db, now, &g, &err), SRR_OK, "%s", err.msg);
    cr_assert(g.have_store);
    cr_assert_eq(g.drafts_risk, 1);
    cr_assert_eq(g.drafts_backlog, 1);
    cr_assert_eq(g.oldest_draft_at, at("2026-03-05T12:00:00Z"));
    cr_assert_eq(g.investigations_overdue, 1);
    cr_assert_eq(g.last_sweep_success, 0);
    cr_assert_eq(srr_sweep_state_open(g_db, &ss, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_sweep_state_mark_success(ss, now - 60, &err), SRR_OK, "%s", err.msg);
    srr_sweep_state_close(&ss);
    cr_assert_eq(srr_gauges_read(g_db, now, &g, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(g.last_sweep_success, now - 60);
    srr_buf_init(&b, 0);
    srr_gauges_write(&g, now, &b);
    cr_assert(strstr(b.data, "srr_records_drafts{kind=\"risk\"} 1\n"), "%s", b.data);
    cr_assert(strstr(b.data, "srr_records_oldest_draft_age_seconds 1296000\n"), "%s", b.data);
    cr_assert(strstr(b.data, "srr_records_investigations_overdue 1\n"), "%s", b.data);
    srr_buf_free(&b);
    /* No store: nothing known, nothing created. */
    char *none = srr_asprintf("%s/none.db", g_dir);
    cr_assert_eq(srr_gauges_read(none, now, &g, &err), SRR_OK);
    cr_assert_eq(g.have_store, 0);
    cr_assert_neq(access(none, F_OK), 0);
    srr_buf_init(&b, 0);
    srr_gauges_write(&g, now, &b);
    cr_assert_eq(b.len, 0);
    srr_buf_free(&b);
    free(none);
}

/* The outbox per sink: records a sink has not delivered (parked ones
 * too), the parked ones, the age of the oldest change it has not
 * delivered; a sink nothing was delivered to has everything pending. */
Test(review, outbox_gauges_per_sink)
{
    const char *names[] = {"slack", "sheets"};
    srr_sink_gauge g[2];
    srr_error err = {0};
    srr_buf b;
    int64_t t1 = at("2026-03-10T12:00:00Z"), t2 = at("2026-03-11T12:00:00Z");
    int64_t now = at("2026-03-12T12:00:00Z");
    seed("o1", "fp-o1", SRR_ACTION_RISK, "api", SRR_URGENCY_MEDIUM, t1);
    seed("o2", "fp-o2", SRR_ACTION_BACKLOG, "api", SRR_URGENCY_LOW, t2);
    /* slack delivered SRR-1 and parked BL-1. */
    cr_assert_eq(srr_outbox_done(g_st, "slack", "risk", 1,
                                 sf_query_int(g_db, "SELECT seq FROM outbox WHERE record_kind ="
                                                    " 'risk'"),
                                 NULL, NULL, now, &err),
                 SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_outbox_park(g_st, "slack", "backlog", 1,
                                 sf_query_int(g_db, "SELECT seq FROM outbox WHERE record_kind ="
                                                    " 'backlog'"),
                                 "tag", "refused", now, &err),
                 SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_gauges_read_sinks(g_db, names, 2, g, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(g[0].pending, 1);
    cr_assert_eq(g[0].parked, 1);
    cr_assert_eq(g[0].oldest_at, t2);
    cr_assert_eq(g[1].pending, 2);
    cr_assert_eq(g[1].parked, 0);
    cr_assert_eq(g[1].oldest_at, t1);
    srr_buf_init(&b, 0);
    srr_gauges_write_sinks(g, 2, now, &b);
    cr_assert(strstr(b.data, "srr_outbox_pending{sink=\"slack\"} 1\n"), "%s", b.data);
    cr_assert(strstr(b.data, "srr_outbox_parked{sink=\"slack\"} 1\n"), "%s", b.data);
    cr_assert(strstr(b.data, "srr_outbox_oldest_pending_age_seconds{sink=\"sheets\"} 172800\n"),
              "%s", b.data);
    srr_buf_free(&b);
}

/* Writes a config for the binary: this store and the team. */
static char *config(void)
{
    return tu_write_file(g_dir, "srr.yaml",
                         "store:\n  path: srr.db\nteam:\n  members: [alice, bob, carol]\n"
                         "  skew_percent: 200\n  stale_after: 30d\n");
}

Test(review, markdown_and_html_through_the_binary)
{
    char *cfg, *html_path, *html = NULL;
    const char *env[] = {"SRR_NOW=1774008000", NULL}; /* 2026-03-20T12:00:00Z */
    size_t len = 0;
    tu_run r;
    seed_store();
    srr_store_close(&g_st);
    cfg = config();
    {
        const char *argv[] = {SRR_BIN, "review", "-c", cfg, "--format", "md", NULL};
        tu_exec(argv, env, NULL, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_not_null(strstr(r.out, "# Monthly review 2026-03"));
        cr_assert_not_null(strstr(r.out, "## Open risks with no update"));
        cr_assert_not_null(strstr(r.out, "| SRR-1 | open | alice |"), "%s", r.out);
        cr_assert_not_null(strstr(r.out, "SKEWED, bob carries too much"));
        tu_run_free(&r);
    }
    html_path = srr_asprintf("%s/review.html", g_dir);
    {
        const char *argv[] = {SRR_BIN, "review", "-c",      cfg, "--format",
                              "html",  "-o",     html_path, NULL};
        tu_exec(argv, env, NULL, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        tu_run_free(&r);
    }
    cr_assert_eq(srr_file_read(html_path, 0, &html, &len, NULL), SRR_OK);
    cr_assert_not_null(strstr(html, "<svg id=\"chart-status\""));
    cr_assert_not_null(strstr(html, "<svg id=\"chart-load\""));
    cr_assert_not_null(strstr(html, "data-status=\"resolved\""));
    cr_assert_not_null(strstr(html, "<div class=\"card\" id=\"count-stale\"><b>1</b>"));
    /* self-contained: no external asset, no script */
    cr_assert_null(strstr(html, "src="));
    cr_assert_null(strstr(html, "<link"));
    cr_assert_null(strstr(html, "<script"));
    free(html);
    {
        const char *argv[] = {SRR_BIN, "review", "-c", cfg, "--month", "March", NULL};
        tu_exec(argv, env, NULL, &r);
        cr_assert_eq(r.status, 2);
        tu_run_free(&r);
    }
    free(html_path);
    free(cfg);
}
