/* SPDX-License-Identifier: Apache-2.0
 *
 * test_review.c - the review on a seeded store with known answers:
 * drafts waiting and their age, open risks nobody owns, new / resolved /
 * accepted this month, stale
 * open risks, quiet signals, accepted risks past review, low-urgency items
 * to retire, load and skew, counts by service, the status history; a
 * period not cut by months (--from/--to, --last); the agenda of open
 * risks (assignee, next action, days since a person moved it) and the
 * investigations opened, promoted and closed in the period; each record's
 * links (its Notion page from the sink's state, else an anchor; Datadog)
 * and its values up to the report's as-of; then the same report through
 * the srr binary as Markdown, a table and HTML (one self-contained file
 * with its SVG charts, outside text escaped).
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
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

/* A period not cut by calendar months: --from/--to and --last. */
Test(review, a_period_not_cut_by_months)
{
    srr_team_config t = team();
    srr_review_opts o;
    json_t *rep = NULL, *hist;
    srr_error err = {0};
    seed_store();
    memset(&o, 0, sizeof(o));
    o.now = at("2026-03-20T12:00:00Z");
    cr_assert_eq(srr_review_day("2026-02-15", 0, &o.from), SRR_OK);
    cr_assert_eq(srr_review_day("2026-03-05", 1, &o.to), SRR_OK);
    cr_assert_eq(o.to, at("2026-03-06T00:00:00Z"), "--to includes its day");
    cr_assert_eq(srr_review_build(g_st, &t, &o, &rep, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(rep, "period"), "label")),
                     "2026-02-15 to 2026-03-05");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(rep, "period"), "kind")),
                     "range");
    cr_assert_null(json_object_get(rep, "month"));
    cr_assert_str_eq(json_string_value(json_object_get(rep, "as_of")), "2026-03-05T23:59:59Z");
    cr_assert_str_eq(ids(rep, "new"), "SRR-4 SRR-5");
    cr_assert_str_eq(ids(rep, "resolved"), "SRR-3");
    cr_assert_str_eq(ids(rep, "accepted"), "", "accepted on 03-06, after the period");
    /* the history counts periods as long as this one, the last ending with it */
    hist = json_object_get(rep, "history");
    cr_assert_eq(json_array_size(hist), 6);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(hist, 5), "label")),
                     "2026-03-05");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(hist, 4), "label")),
                     "2026-02-14");
    cr_assert_eq(num(json_array_get(hist, 5), "open"), 3); /* SRR-3 resolved: SRR-1, 4, 5 */
    json_decref(rep);

    /* The last two weeks up to now. */
    memset(&o, 0, sizeof(o));
    o.now = at("2026-03-20T12:00:00Z");
    o.last_s = 14 * DAY;
    cr_assert_eq(srr_review_build(g_st, &t, &o, &rep, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(rep, "period"), "label")),
                     "2026-03-06 to 2026-03-20");
    cr_assert_str_eq(json_string_value(json_object_get(rep, "as_of")), "2026-03-20T12:00:00Z");
    cr_assert_str_eq(ids(rep, "new"), "SRR-6");
    cr_assert_str_eq(ids(rep, "accepted"), "SRR-4");
    cr_assert_str_eq(ids(rep, "resolved"), "");
    json_decref(rep);

    /* Reversed or malformed bounds are refused. */
    memset(&o, 0, sizeof(o));
    o.now = at("2026-03-20T12:00:00Z");
    o.from = at("2026-03-10T00:00:00Z");
    o.to = at("2026-03-01T00:00:00Z");
    cr_assert_eq(srr_review_build(g_st, &t, &o, &rep, &err), SRR_EINVAL);
    cr_assert_null(rep);
    cr_assert_eq(srr_review_day("2026-02-30x", 0, &o.from), SRR_EINVAL);
    cr_assert_eq(srr_review_day("March", 0, &o.from), SRR_EINVAL);
    cr_assert_eq(srr_review_day("2026-03-01T06:00:00Z", 1, &o.to), SRR_OK);
    cr_assert_eq(o.to, at("2026-03-01T06:00:00Z"), "a time is taken as it is");
}

/* The meeting's agenda: every open and mitigating risk, most urgent first,
 * with its assignee, next action and the days since a person moved it;
 * the investigations opened, promoted and closed in the period. */
Test(review, the_agenda_and_the_investigations_of_the_period)
{
    srr_team_config t = team();
    srr_review_opts o;
    json_t *rep = NULL, *row;
    srr_error err = {0};
    srr_apply_stats stats = {0};
    seed_store();
    {
        const char *const sets[] = {"next=cap the retries"};
        srr_wf_req r;
        memset(&r, 0, sizeof(r));
        r.actor = "bob";
        r.now = at("2026-03-12T12:00:00Z");
        r.sets = sets;
        r.nsets = 1;
        cr_assert_eq(srr_wf_risk(g_st, "set", "SRR-5", &r, NULL, &err), SRR_OK, "%s", err.msg);
    }
    /* INV-1 fires past its 1-day time-box: promoted; INV-2 is clear at its
     * deadline: closed; INV-3 an engineer resolves; INV-4 opened in
     * February, promoted in March. */
    seed("i1", "fp-i1", SRR_ACTION_INVESTIGATE, "api", SRR_URGENCY_MEDIUM,
         at("2026-03-11T12:00:00Z"));
    seed("i2", "fp-i2", SRR_ACTION_INVESTIGATE, "api", SRR_URGENCY_LOW, at("2026-03-11T12:00:00Z"));
    seed("i3", "fp-i3", SRR_ACTION_INVESTIGATE, "api", SRR_URGENCY_LOW, at("2026-03-11T12:00:00Z"));
    seed("i4", "fp-i4", SRR_ACTION_INVESTIGATE, "api", SRR_URGENCY_LOW, at("2026-02-11T12:00:00Z"));
    seed("i1b", "fp-i1", SRR_ACTION_INVESTIGATE, "api", SRR_URGENCY_MEDIUM,
         at("2026-03-12T18:00:00Z"));
    clear("i2b", "fp-i2", at("2026-03-12T18:00:00Z"));
    /* the closing is audited at the clock's time: the deadline check runs
     * on 03-13 */
    setenv("SRR_NOW", "1773360000", 1); /* 2026-03-13T00:00:00Z */
    cr_assert_eq(srr_store_check_deadlines(g_st, at("2026-03-13T00:00:00Z"), &stats, &err), SRR_OK,
                 "%s", err.msg);
    unsetenv("SRR_NOW");
    cr_assert_eq(srr_store_investigation_resolve(g_st, "INV-3", "noise", NULL, "alice", "a test",
                                                 at("2026-03-11T18:00:00Z"), &err),
                 SRR_OK, "%s", err.msg);

    memset(&o, 0, sizeof(o));
    o.now = at("2026-03-20T12:00:00Z");
    cr_assert_eq(srr_review_build(g_st, &t, &o, &rep, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(ids(rep, "open_risks"), "SRR-5 SRR-1", "most urgent first");
    cr_assert_eq(num(json_object_get(rep, "counts"), "open_risks"), 2);
    row = json_array_get(json_object_get(rep, "open_risks"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(row, "assignee")), "bob");
    cr_assert_str_eq(json_string_value(json_object_get(row, "next_action")), "cap the retries");
    cr_assert_str_eq(json_string_value(json_object_get(row, "moved_at")), "2026-03-12T12:00:00Z");
    cr_assert_str_eq(json_string_value(json_object_get(row, "last_move")), "bob: set");
    cr_assert_eq(num(row, "moved_days"), 8);
    row = json_array_get(json_object_get(rep, "open_risks"), 1);
    cr_assert_str_eq(json_string_value(json_object_get(row, "last_move")), "lead: approve");
    cr_assert_eq(num(row, "moved_days"), 109, "the writer's evidence is no move");

    cr_assert_str_eq(ids(rep, "investigations_opened"), "INV-1 INV-2 INV-3");
    /* INV-4, opened in February, fired last: promoted by the 03-13 check */
    cr_assert_str_eq(ids(rep, "investigations_promoted"), "INV-1 INV-4");
    row = json_array_get(json_object_get(rep, "investigations_promoted"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(row, "risk")), "SRR-7");
    cr_assert_str_eq(ids(rep, "investigations_closed"), "INV-3 INV-2");
    row = json_array_get(json_object_get(rep, "investigations_closed"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(row, "outcome")), "noise");
    cr_assert_str_eq(json_string_value(json_object_get(row, "closed_by")), "alice");
    row = json_array_get(json_object_get(rep, "investigations_closed"), 1);
    cr_assert_str_eq(json_string_value(json_object_get(row, "outcome")), "stopped firing");
    /* every record named has its detail, the promoted risk too */
    cr_assert_not_null(json_object_get(json_object_get(rep, "records"), "SRR-7"));
    cr_assert_not_null(json_object_get(json_object_get(rep, "records"), "INV-2"));
    cr_assert_null(json_object_get(json_object_get(rep, "records"), "BL-2"), "no such record");
    json_decref(rep);

    o.month = "2026-02";
    cr_assert_eq(srr_review_build(g_st, &t, &o, &rep, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(ids(rep, "investigations_opened"), "INV-4");
    cr_assert_str_eq(ids(rep, "investigations_closed"), "");
    json_decref(rep);
}

/* Each record's links: its Notion page when the Notion sink made one (the
 * url it kept, else the page's address from its id), else an anchor to
 * its detail; its Datadog link; and its values up to the report's as-of. */
Test(review, records_linked_and_their_values_up_to_as_of)
{
    srr_team_config t = team();
    srr_review_opts o;
    json_t *rep = NULL, *recs;
    srr_error err = {0};
    sqlite3 *db = NULL;
    seed_store();
    cr_assert_eq(sqlite3_open(g_db, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "INSERT INTO sync_state(sink, record_kind, record_id, remote_id,"
                              " state, updated_at) VALUES"
                              " ('notion', 'risk', 5, 'p5', '{\"url\":"
                              "\"https://www.notion.so/Checkout-5xx-0a1b\"}', 1),"
                              " ('notion', 'risk', 1, '0a1b2c3d-4e5f-6789-abcd-ef0123456789',"
                              " '{}', 1),"
                              " ('slack', 'risk', 6, 'C1:1.2', NULL, 1)",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
    memset(&o, 0, sizeof(o));
    o.now = at("2026-03-20T12:00:00Z");
    cr_assert_eq(srr_review_build(g_st, &t, &o, &rep, &err), SRR_OK, "%s", err.msg);
    recs = json_object_get(rep, "records");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(recs, "SRR-5"), "link")),
                     "https://www.notion.so/Checkout-5xx-0a1b");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(recs, "SRR-1"), "link")),
                     "https://www.notion.so/0a1b2c3d4e5f6789abcdef0123456789");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(recs, "SRR-6"), "link")),
                     "#SRR-6", "another sink's object is no page to link");
    cr_assert(json_is_null(json_object_get(json_object_get(recs, "SRR-6"), "notion_url")));
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(recs, "BL-1"), "link")),
                     "#BL-1");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(recs, "SRR-5"), "datadog_url")),
        "https://app.datadoghq.com/metric/explorer?q=rss");
    /* SRR-5 was observed on 03-02 and 03-18: both windows in March ... */
    cr_assert_eq(json_array_size(json_object_get(
                     json_object_get(json_object_get(recs, "SRR-5"), "thing"), "windows")),
                 2);
    json_decref(rep);
    /* ... and only the first in a review of the first ten days. */
    o.from = at("2026-03-01T00:00:00Z");
    o.to = at("2026-03-11T00:00:00Z");
    cr_assert_eq(srr_review_build(g_st, &t, &o, &rep, &err), SRR_OK, "%s", err.msg);
    recs = json_object_get(rep, "records");
    cr_assert_eq(json_array_size(json_object_get(
                     json_object_get(json_object_get(recs, "SRR-5"), "thing"), "windows")),
                 1);
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
    {
        /* Outside text: a title with markup, a link that is no web page. */
        sqlite3 *db = NULL;
        cr_assert_eq(sqlite3_open(g_db, &db), SQLITE_OK);
        cr_assert_eq(sqlite3_exec(db,
                                  "UPDATE risks SET title = '<script>alert(1)</script> \"q\"',"
                                  " datadog_url = 'javascript:alert(1)' WHERE id = 5",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
        sqlite3_close(db);
    }
    cfg = config();
    {
        const char *argv[] = {SRR_BIN, "review", "-c", cfg, "--format", "md", NULL};
        tu_exec(argv, env, NULL, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_not_null(strstr(r.out, "# Monthly review 2026-03"));
        cr_assert_not_null(strstr(r.out, "## Open and mitigating risks"));
        cr_assert_not_null(strstr(r.out, "| SRR-1 | low | open | alice |"), "%s", r.out);
        cr_assert_not_null(strstr(r.out, "## Open risks with no update"));
        cr_assert_not_null(strstr(r.out, "| SRR-1 | open | alice |"), "%s", r.out);
        cr_assert_not_null(strstr(r.out, "## Investigations opened this month"));
        cr_assert_not_null(strstr(r.out, "SKEWED, bob carries too much"));
        /* every record named, with its Datadog link */
        cr_assert_not_null(strstr(r.out, "## Records in this review"));
        cr_assert_not_null(strstr(r.out, "[Datadog](https://app.datadoghq.com/metric/explorer?q=rss)"),
                           "%s", r.out);
        cr_assert_null(strstr(r.out, "](javascript:"), "only web links are links");
        cr_assert_null(strstr(r.out, "<script>"), "outside text is no HTML in Markdown");
        tu_run_free(&r);
    }
    {
        const char *argv[] = {SRR_BIN, "review",   "-c",    cfg, "--last",
                              "3w",    "--format", "table", NULL};
        tu_exec(argv, env, NULL, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_not_null(strstr(r.out, "Review 2026-02-27 to 2026-03-20\n"), "%s", r.out);
        cr_assert_not_null(strstr(r.out, "== New in the period =="), "%s", r.out);
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
    /* escaped wherever it goes; a javascript: link is text, never an href */
    cr_assert_not_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot;"));
    cr_assert_null(strstr(html, "<script>alert"));
    cr_assert_null(strstr(html, "href=\"javascript:"));
    cr_assert_not_null(strstr(html, "<a href=\"#SRR-5\" class=\"rec\">SRR-5</a>"));
    cr_assert_not_null(strstr(html, "<section class=\"record\" id=\"SRR-5\">"));
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
