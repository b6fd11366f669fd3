/* SPDX-License-Identifier: Apache-2.0
 *
 * test_workflow.c - unit tests of store/workflow.h on a seeded store: every
 * risk and backlog transition, allowed and refused (with the allowed ones
 * named), the audit trail they leave, merge (evidence and logs move, the
 * merged record points at its target, later sightings follow it), set,
 * the filtered list, the weekly sparkline, load per person with skew, the
 * assignment suggestion with known loads, and two processes editing the
 * same record at once.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "store_fixtures.h"
#include "testutil.h"
#include "workflow.h"

#define T0 1764331200 /* 2025-11-28T12:00:00Z */
#define DAY 86400

SF_STORE_SUITE(workflow);

static long long q(const char *sql)
{
    return sf_query_int(g_db, sql);
}

/* Applies one candidate (a draft risk unless the fingerprint has a record)
 * with the given service and urgency. */
static void seed(const char *id, const char *fp, srr_action a, const char *service, srr_urgency u,
                 int64_t at)
{
    srr_candidate c;
    srr_error err = {0};
    sf_candidate(&c, id, fp, a, SRR_STATUS_FIRING, at);
    free(c.signal.service);
    c.signal.service = srr_strdup(service);
    c.urgency = u;
    cr_assert_eq(srr_store_apply(g_st, &c, 1, at, NULL, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);
}

static srr_wf_req req_by(const char *actor, int64_t now)
{
    srr_wf_req r;
    memset(&r, 0, sizeof(r));
    r.actor = actor;
    r.now = now;
    return r;
}

/* Runs a risk verb that must succeed; returns the new status (static). */
static const char *ok(const char *verb, const char *id, const srr_wf_req *r)
{
    static char status[32];
    json_t *res = NULL;
    srr_error err = {0};
    srr_rc rc = srr_wf_risk(g_st, verb, id, r, &res, &err);
    cr_assert_eq(rc, SRR_OK, "%s %s: %s", verb, id, err.msg);
    snprintf(status, sizeof(status), "%s", json_string_value(json_object_get(res, "status")));
    json_decref(res);
    return status;
}

/* Runs a risk verb that must fail with `want`; returns the message. */
static const char *refused(const char *verb, const char *id, const srr_wf_req *r, srr_rc want)
{
    static srr_error err;
    json_t *res = NULL;
    srr_rc rc;
    memset(&err, 0, sizeof(err));
    rc = srr_wf_risk(g_st, verb, id, r, &res, &err);
    cr_assert_eq(rc, want, "%s %s: got %d (%s), want %d", verb, id, rc, err.msg, want);
    cr_assert_null(res);
    return err.msg;
}

static const char *field(json_t *r, const char *k)
{
    const char *s = json_string_value(json_object_get(r, k));
    return s ? s : "";
}

Test(workflow, approve_sets_status_assignee_urgency_and_audits)
{
    srr_wf_req r = req_by("alice", T0 + 100);
    json_t *risk, *audit = NULL;
    srr_error err = {0};
    seed("c1", "fp-1", SRR_ACTION_RISK, "checkout", SRR_URGENCY_MEDIUM, T0);
    r.assignee = "bob";
    r.urgency = "high";
    r.note = "customers see it";
    cr_assert_str_eq(ok("approve", "SRR-1", &r), "open");
    risk = sf_risk(g_st, "SRR-1");
    cr_assert_str_eq(field(risk, "status"), "open");
    cr_assert_str_eq(field(risk, "assignee"), "bob");
    cr_assert_str_eq(field(risk, "urgency"), "high");
    cr_assert_str_eq(field(risk, "approved_by"), "alice");
    cr_assert_str_eq(field(risk, "approved_at"), "2025-11-28T12:01:40Z");
    cr_assert_str_eq(field(risk, "updated_at"), "2025-11-28T12:01:40Z");
    cr_assert_str_eq(
        field(json_array_get(json_object_get(risk, "recognition_log"),
                             json_array_size(json_object_get(risk, "recognition_log")) - 1),
              "text"),
        "Approved: customers see it");
    json_decref(risk);

    cr_assert_eq(srr_wf_audit(g_st, "SRR-1", 0, &audit, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(json_array_size(audit), 2); /* create (writer) + approve */
    {
        json_t *e = json_array_get(audit, 1);
        cr_assert_str_eq(field(e, "actor"), "alice");
        cr_assert_str_eq(field(e, "action"), "approve");
        cr_assert_str_eq(field(e, "record"), "SRR-1");
        cr_assert_str_eq(field(e, "at"), "2025-11-28T12:01:40Z");
        cr_assert_str_eq(field(e, "why"), "customers see it");
        cr_assert_str_eq(field(json_object_get(e, "before"), "status"), "draft");
        cr_assert_str_eq(field(json_object_get(e, "after"), "status"), "open");
        cr_assert_str_eq(field(json_object_get(e, "before"), "urgency"), "medium");
        cr_assert_str_eq(field(json_object_get(e, "after"), "urgency"), "high");
        cr_assert(json_is_null(json_object_get(json_object_get(e, "before"), "assignee")));
        cr_assert_not_null(strstr(field(e, "change"), "status: draft → open"), "%s",
                           field(e, "change"));
        cr_assert_not_null(strstr(field(e, "change"), "assignee: — → bob"));
    }
    json_decref(audit);
}

Test(workflow, every_risk_transition_allowed_and_refused)
{
    srr_wf_req r = req_by("alice", T0 + 10);
    const char *msg;
    long long audits;
    seed("c1", "fp-1", SRR_ACTION_RISK, "checkout", SRR_URGENCY_MEDIUM, T0);
    seed("c2", "fp-2", SRR_ACTION_RISK, "checkout", SRR_URGENCY_MEDIUM, T0);

    /* From draft: resolve, accept, reopen make no sense. */
    msg = refused("resolve", "SRR-1", &r, SRR_ECONFLICT);
    cr_assert_str_eq(msg, "cannot resolve SRR-1: it is draft; allowed from draft: approve, "
                          "reject, merge, assign, log, set");
    refused("accept", "SRR-1", &r, SRR_ECONFLICT);
    refused("reopen", "SRR-1", &r, SRR_ECONFLICT);

    /* draft -> open -> mitigating (first countermeasure) -> resolved. */
    cr_assert_str_eq(ok("approve", "SRR-1", &r), "open");
    refused("approve", "SRR-1", &r, SRR_ECONFLICT);
    refused("reject", "SRR-1", &r, SRR_ECONFLICT);
    r.section = "recognition";
    r.text = "checked the deploy log";
    cr_assert_str_eq(ok("log", "SRR-1", &r), "open");
    r.section = "countermeasure";
    r.text = "added a retry";
    cr_assert_str_eq(ok("log", "SRR-1", &r), "mitigating");
    r.text = "second step";
    cr_assert_str_eq(ok("log", "SRR-1", &r), "mitigating");
    r.section = r.text = NULL;
    cr_assert_str_eq(ok("resolve", "SRR-1", &r), "resolved");
    msg = refused("resolve", "SRR-1", &r, SRR_ECONFLICT);
    cr_assert_str_eq(msg, "cannot resolve SRR-1: it is resolved; allowed from resolved: reopen");
    refused("log", "SRR-1", &r, SRR_ECONFLICT);
    refused("assign", "SRR-1", &r, SRR_ECONFLICT);

    /* resolved -> open (reopen) -> accepted -> accepted (renewed) -> open. */
    cr_assert_str_eq(ok("reopen", "SRR-1", &r), "open");
    r.note = "cheap to live with";
    refused("accept", "SRR-1", &r, SRR_EINVAL); /* no --review-in */
    r.review_in_s = 90 * DAY;
    r.note = NULL;
    refused("accept", "SRR-1", &r, SRR_EINVAL); /* no --reason */
    r.note = "cheap to live with";
    cr_assert_str_eq(ok("accept", "SRR-1", &r), "accepted");
    cr_assert_eq(q("SELECT next_review_at FROM risks WHERE id = 1"), T0 + 10 + 90 * DAY);
    r.now += DAY;
    cr_assert_str_eq(ok("accept", "SRR-1", &r), "accepted");
    cr_assert_eq(q("SELECT next_review_at FROM risks WHERE id = 1"), T0 + 10 + 91 * DAY);
    refused("approve", "SRR-1", &r, SRR_ECONFLICT);
    cr_assert_str_eq(ok("reopen", "SRR-1", &r), "open");
    cr_assert_eq(q("SELECT count(*) FROM risks WHERE id = 1 AND next_review_at IS NULL"), 1);
    cr_assert_str_eq(ok("resolve", "SRR-1", &r), "resolved");

    /* draft -> rejected -> draft (reopen). */
    r.note = NULL;
    refused("reject", "SRR-2", &r, SRR_EINVAL); /* needs a reason */
    r.note = "a test host";
    cr_assert_str_eq(ok("reject", "SRR-2", &r), "rejected");
    msg = refused("approve", "SRR-2", &r, SRR_ECONFLICT);
    cr_assert_str_eq(msg, "cannot approve SRR-2: it is rejected; allowed from rejected: reopen");
    cr_assert_str_eq(ok("reopen", "SRR-2", &r), "draft");

    /* Unknown ids, verbs, actors; nothing is written for a refusal. */
    audits = q("SELECT count(*) FROM audit");
    refused("approve", "SRR-99", &r, SRR_ENOTFOUND);
    refused("approve", "BL-1", &r, SRR_ENOTFOUND);
    refused("fly", "SRR-2", &r, SRR_EINVAL);
    r.actor = "";
    refused("approve", "SRR-2", &r, SRR_EINVAL);
    cr_assert_eq(q("SELECT count(*) FROM audit"), audits);
    /* Every successful change left exactly one audit entry by alice. */
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE actor = 'alice'"), 12);
    cr_assert_eq(q("SELECT count(*) FROM log_entries WHERE author = 'alice'"
                   " AND section = 'countermeasure'"),
                 5); /* 2 logs, 2 accepts, the resolve with a note */
}

Test(workflow, set_fields_and_refuse_bad_ones)
{
    srr_wf_req r = req_by("carol", T0 + 5);
    const char *sets[] = {"cause=a leak in the cache",
                          "policy=cap the cache",
                          "next=ship the cap",
                          "backlog=https://jira.example/B-1",
                          "postmortem=https://wiki.example/pm/7",
                          "urgency=critical"};
    const char *bad_key[] = {"colour=red"};
    const char *bad_url[] = {"backlog=jira B-1"};
    const char *clear[] = {"cause="};
    json_t *risk;
    seed("c1", "fp-1", SRR_ACTION_RISK, "billing", SRR_URGENCY_LOW, T0);
    r.sets = sets;
    r.nsets = 6;
    ok("set", "SRR-1", &r);
    risk = sf_risk(g_st, "SRR-1");
    cr_assert_str_eq(field(risk, "cause"), "a leak in the cache");
    cr_assert_str_eq(field(risk, "countermeasure_policy"), "cap the cache");
    cr_assert_str_eq(field(risk, "next_action"), "ship the cap");
    cr_assert_str_eq(field(risk, "backlog_link"), "https://jira.example/B-1");
    cr_assert_str_eq(field(risk, "postmortem_link"), "https://wiki.example/pm/7");
    cr_assert_str_eq(field(risk, "urgency"), "critical");
    cr_assert_str_eq(field(risk, "status"), "draft");
    json_decref(risk);
    r.sets = bad_key;
    r.nsets = 1;
    cr_assert_not_null(strstr(refused("set", "SRR-1", &r, SRR_EINVAL), "unknown field 'colour'"));
    r.sets = bad_url;
    cr_assert_not_null(strstr(refused("set", "SRR-1", &r, SRR_EINVAL), "http(s) URL"));
    r.nsets = 0;
    refused("set", "SRR-1", &r, SRR_EINVAL);
    r.sets = clear;
    r.nsets = 1;
    ok("set", "SRR-1", &r);
    cr_assert_eq(q("SELECT count(*) FROM risks WHERE cause IS NULL"), 1);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'set'"), 2);
}

Test(workflow, merge_moves_evidence_and_logs_and_points_at_target)
{
    srr_wf_req r = req_by("dave", T0 + 3 * DAY);
    json_t *src, *dst;
    srr_error err = {0};
    srr_apply_stats stats;
    srr_candidate c;
    seed("a1", "fp-a", SRR_ACTION_RISK, "billing", SRR_URGENCY_MEDIUM, T0);
    seed("a2", "fp-a", SRR_ACTION_RISK, "billing", SRR_URGENCY_MEDIUM, T0 + DAY); /* evidence */
    seed("b1", "fp-b", SRR_ACTION_RISK, "billing", SRR_URGENCY_MEDIUM, T0 - DAY);
    cr_assert_eq(q("SELECT count(*) FROM evidence WHERE record_kind = 'risk' AND record_id = 1"),
                 2);
    cr_assert_eq(q("SELECT count(*) FROM evidence WHERE record_kind = 'risk' AND record_id = 2"),
                 1);

    refused("merge", "SRR-1", &r, SRR_EINVAL); /* no --into */
    r.into = "SRR-1";
    refused("merge", "SRR-1", &r, SRR_EINVAL); /* itself */
    r.into = "SRR-9";
    refused("merge", "SRR-1", &r, SRR_ENOTFOUND);
    r.into = "SRR-2";
    r.note = "same queue";
    cr_assert_str_eq(ok("merge", "SRR-1", &r), "merged");

    src = sf_risk(g_st, "SRR-1");
    dst = sf_risk(g_st, "SRR-2");
    cr_assert_str_eq(field(src, "status"), "merged");
    cr_assert_str_eq(field(src, "merged_into"), "SRR-2");
    cr_assert_eq(json_array_size(json_object_get(src, "recognition_log")), 0);
    cr_assert_eq(json_integer_value(json_object_get(dst, "occurrences")), 3);
    cr_assert_str_eq(field(dst, "first_seen"), "2025-11-27T12:00:00Z");
    cr_assert_str_eq(field(dst, "last_seen"), "2025-11-29T12:00:00Z");
    /* the target's log holds both drafts' entries and the merge note */
    cr_assert_eq(json_array_size(json_object_get(dst, "recognition_log")),
                 q("SELECT count(*) FROM log_entries WHERE record_kind = 'risk'"
                   " AND record_id = 2 AND section = 'recognition'"));
    cr_assert_eq(q("SELECT count(*) FROM log_entries WHERE record_id = 2 AND author = 'dave'"
                   " AND text LIKE 'Merged SRR-1 %same queue'"),
                 1);
    cr_assert_eq(q("SELECT count(*) FROM evidence WHERE record_kind = 'risk' AND record_id = 1"),
                 0);
    cr_assert_eq(q("SELECT count(*) FROM evidence WHERE record_kind = 'risk' AND record_id = 2"),
                 3);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE record_id = 2 AND action = 'merge-in'"), 1);
    json_decref(src);
    json_decref(dst);

    /* A merged record is final; nothing merges into it either. */
    cr_assert_str_eq(refused("approve", "SRR-1", &r, SRR_ECONFLICT),
                     "cannot approve SRR-1: it is merged; allowed from merged: none");
    seed("x1", "fp-x", SRR_ACTION_RISK, "billing", SRR_URGENCY_MEDIUM, T0);
    r.into = "SRR-1";
    cr_assert_not_null(strstr(refused("merge", "SRR-3", &r, SRR_ECONFLICT), "it is merged"));

    /* The merged fingerprint fires again: the sighting lands on the target. */
    memset(&stats, 0, sizeof(stats));
    sf_candidate(&c, "a3", "fp-a", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + 4 * DAY);
    cr_assert_eq(srr_store_apply(g_st, &c, 1, T0 + 4 * DAY, &stats, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);
    cr_assert_eq(stats.evidence, 1);
    cr_assert_eq(stats.new_risks, 0);
    cr_assert_eq(q("SELECT occurrences FROM risks WHERE id = 2"), 4);
}

Test(workflow, backlog_transitions)
{
    srr_wf_req r = req_by("erin", T0 + 60);
    json_t *res = NULL;
    srr_error err = {0};
    seed("b1", "fp-disk", SRR_ACTION_BACKLOG, "postgres", SRR_URGENCY_MEDIUM, T0);
    seed("b2", "fp-disk2", SRR_ACTION_BACKLOG, "postgres", SRR_URGENCY_MEDIUM, T0);
    cr_assert_eq(srr_wf_backlog(g_st, "done", "BL-1", &r, &res, &err), SRR_ECONFLICT);
    cr_assert_str_eq(err.msg, "cannot done BL-1: it is draft; allowed from draft: accept, reject, "
                              "assign");
    cr_assert_eq(srr_wf_backlog(g_st, "accept", "BL-1", &r, &res, &err), SRR_EINVAL);
    r.link = "not a url";
    cr_assert_eq(srr_wf_backlog(g_st, "accept", "BL-1", &r, &res, &err), SRR_EINVAL);
    r.link = "https://jira.example/OPS-9";
    r.assignee = "frank";
    cr_assert_eq(srr_wf_backlog(g_st, "accept", "BL-1", &r, &res, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(field(res, "status"), "accepted");
    json_decref(res);
    cr_assert_eq(q("SELECT count(*) FROM backlog WHERE id = 1 AND ticket_link ="
                   " 'https://jira.example/OPS-9' AND assignee = 'frank'"),
                 1);
    cr_assert_eq(srr_wf_backlog(g_st, "done", "BL-1", &r, &res, &err), SRR_OK, "%s", err.msg);
    json_decref(res);
    cr_assert_eq(srr_wf_backlog(g_st, "reject", "BL-1", &r, &res, &err), SRR_ECONFLICT);
    cr_assert_str_eq(err.msg, "cannot reject BL-1: it is done; allowed from done: reopen, link");
    cr_assert_eq(srr_wf_backlog(g_st, "reject", "BL-2", &r, &res, &err), SRR_OK, "%s", err.msg);
    json_decref(res);
    cr_assert_eq(srr_wf_backlog(g_st, "accept", "SRR-2", &r, &res, &err), SRR_ENOTFOUND);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE record_kind = 'backlog' AND actor = 'erin'"),
                 3);
    /* Its ticket was reopened: the item is accepted again, audited. */
    r.note = "reopened in GitHub";
    cr_assert_eq(srr_wf_backlog(g_st, "reopen", "BL-1", &r, &res, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(field(res, "status"), "accepted");
    json_decref(res);
    cr_assert_eq(srr_wf_backlog(g_st, "reopen", "BL-2", &r, &res, &err), SRR_ECONFLICT);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE record_kind = 'backlog' AND record_id = 1"
                   " AND action = 'reopen' AND why = 'reopened in GitHub'"),
                 1);
}

/* accept --ticket: no link yet, the tracker's sink makes the ticket and
 * sets it with `link` (an http(s) URL), audited. */
Test(workflow, backlog_accept_for_a_ticket_then_link)
{
    srr_wf_req r = req_by("erin", T0 + 60);
    json_t *res = NULL;
    srr_error err = {0};
    seed("b1", "fp-disk", SRR_ACTION_BACKLOG, "postgres", SRR_URGENCY_MEDIUM, T0);
    r.ticket = 1;
    cr_assert_eq(srr_wf_backlog(g_st, "accept", "BL-1", &r, &res, &err), SRR_OK, "%s", err.msg);
    json_decref(res);
    cr_assert_eq(q("SELECT count(*) FROM backlog WHERE id = 1 AND status = 'accepted'"
                   " AND ticket_link IS NULL"),
                 1);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE record_id = 1 AND action = 'accept'"
                   " AND json_extract(after, '$.ticket') = 'requested'"),
                 1);
    r.ticket = 0;
    r.actor = "srr-tickets";
    r.link = "ftp://x";
    cr_assert_eq(srr_wf_backlog(g_st, "link", "BL-1", &r, &res, &err), SRR_EINVAL);
    r.link = "https://github.com/acme/ops/issues/7";
    cr_assert_eq(srr_wf_backlog(g_st, "link", "BL-1", &r, &res, &err), SRR_OK, "%s", err.msg);
    json_decref(res);
    cr_assert_eq(q("SELECT count(*) FROM backlog WHERE id = 1 AND ticket_link ="
                   " 'https://github.com/acme/ops/issues/7'"),
                 1);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE record_id = 1 AND action = 'link'"
                   " AND actor = 'srr-tickets'"),
                 1);
}

Test(workflow, filtered_list_and_stale)
{
    srr_wf_req r = req_by("alice", T0 + DAY);
    srr_wf_filter f;
    json_t *arr = NULL;
    srr_error err = {0};
    seed("c1", "fp-1", SRR_ACTION_RISK, "checkout", SRR_URGENCY_HIGH, T0);
    seed("c2", "fp-2", SRR_ACTION_RISK, "billing", SRR_URGENCY_LOW, T0);
    seed("c3", "fp-3", SRR_ACTION_RISK, "billing", SRR_URGENCY_LOW, T0);
    r.assignee = "bob";
    ok("approve", "SRR-1", &r);
    r.assignee = "carol";
    ok("approve", "SRR-2", &r);
    r.now = T0 + 40 * DAY;
    r.section = "recognition";
    r.text = "still looking";
    ok("log", "SRR-2", &r);

    memset(&f, 0, sizeof(f));
    f.now = T0 + 45 * DAY;
    f.service = "billing";
    cr_assert_eq(srr_wf_risks_list(g_st, &f, &arr, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(json_array_size(arr), 2);
    json_decref(arr);
    f.service = NULL;
    f.assignee = "bob";
    cr_assert_eq(srr_wf_risks_list(g_st, &f, &arr, &err), SRR_OK);
    cr_assert_eq(json_array_size(arr), 1);
    cr_assert_str_eq(field(json_array_get(arr, 0), "id"), "SRR-1");
    json_decref(arr);
    f.assignee = NULL;
    f.urgency = "low";
    f.status = "draft";
    cr_assert_eq(srr_wf_risks_list(g_st, &f, &arr, &err), SRR_OK);
    cr_assert_eq(json_array_size(arr), 1);
    cr_assert_str_eq(field(json_array_get(arr, 0), "id"), "SRR-3");
    json_decref(arr);
    /* stale 30d at day 45: SRR-1 untouched since day 1; SRR-2 touched day 40 */
    memset(&f, 0, sizeof(f));
    f.now = T0 + 45 * DAY;
    f.stale_s = 30 * DAY;
    cr_assert_eq(srr_wf_risks_list(g_st, &f, &arr, &err), SRR_OK);
    cr_assert_eq(json_array_size(arr), 1);
    cr_assert_str_eq(field(json_array_get(arr, 0), "id"), "SRR-1");
    cr_assert_str_eq(field(json_array_get(arr, 0), "last_touched"), "2025-11-29T12:00:00Z");
    json_decref(arr);
    f.urgency = "urgent";
    cr_assert_eq(srr_wf_risks_list(g_st, &f, &arr, &err), SRR_EINVAL);
}

Test(workflow, weekly_occurrences_and_sparkline)
{
    int counts[6];
    srr_error err = {0};
    char *spark;
    int i;
    /* 2025-11-28 is a Friday; weeks start on Monday. */
    seed("w0", "fp-w", SRR_ACTION_RISK, "billing", SRR_URGENCY_MEDIUM, T0 - 21 * DAY);
    for (i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof(id), "w1-%d", i);
        seed(id, "fp-w", SRR_ACTION_RISK, "billing", SRR_URGENCY_MEDIUM, T0 - 7 * DAY + i * 3600);
    }
    seed("w2", "fp-w", SRR_ACTION_RISK, "billing", SRR_URGENCY_MEDIUM, T0);
    seed("w3", "fp-w", SRR_ACTION_RISK, "billing", SRR_URGENCY_MEDIUM, T0 + 2 * DAY); /* Sunday */
    cr_assert_eq(srr_wf_weekly(g_st, "SRR-1", 6, T0 + 2 * DAY, counts, &err), SRR_OK, "%s",
                 err.msg);
    cr_assert_eq(counts[0], 0);
    cr_assert_eq(counts[1], 0);
    cr_assert_eq(counts[2], 1);
    cr_assert_eq(counts[3], 0);
    cr_assert_eq(counts[4], 4);
    cr_assert_eq(counts[5], 2);
    spark = srr_wf_sparkline(counts, 6);
    cr_assert_str_eq(spark, "··▃·█▅");
    free(spark);
}

/* The team of the load and suggestion tests. */
static char *g_members[] = {"alice", "bob", "carol"};
static srr_kv g_owners[] = {{"checkout", "alice, bob"}, {"billing", "carol"}};

static srr_team_config team(void)
{
    srr_team_config t;
    memset(&t, 0, sizeof(t));
    t.members = g_members;
    t.nmembers = 3;
    t.owners = g_owners;
    t.nowners = 2;
    t.skew_percent = 200;
    t.stale_s = 30 * DAY;
    return t;
}

/* alice: 2 open high (load 6); bob: 1 open medium (2); carol: none. */
static void known_loads(void)
{
    srr_wf_req r = req_by("lead", T0 + 60);
    seed("l1", "fp-l1", SRR_ACTION_RISK, "api", SRR_URGENCY_HIGH, T0);
    seed("l2", "fp-l2", SRR_ACTION_RISK, "api", SRR_URGENCY_HIGH, T0);
    seed("l3", "fp-l3", SRR_ACTION_RISK, "api", SRR_URGENCY_MEDIUM, T0);
    seed("l4", "fp-l4", SRR_ACTION_RISK, "checkout", SRR_URGENCY_MEDIUM, T0); /* SRR-4 */
    seed("l5", "fp-l5", SRR_ACTION_RISK, "api", SRR_URGENCY_LOW, T0);         /* SRR-5 */
    seed("l6", "fp-l6", SRR_ACTION_RISK, "api", SRR_URGENCY_CRITICAL, T0);    /* SRR-6 draft */
    r.assignee = "alice";
    ok("approve", "SRR-1", &r);
    ok("approve", "SRR-2", &r);
    r.assignee = "bob";
    ok("approve", "SRR-3", &r);
    r.assignee = "alice"; /* a draft with an assignee carries no load yet */
    ok("assign", "SRR-6", &r);
}

Test(workflow, team_load_flags_skew)
{
    srr_team_config t = team();
    json_t *load = NULL, *people;
    srr_error err = {0};
    known_loads();
    cr_assert_eq(srr_wf_team_load(g_st, &t, &load, &err), SRR_OK, "%s", err.msg);
    people = json_object_get(load, "people");
    cr_assert_eq(json_array_size(people), 3);
    cr_assert_str_eq(field(json_array_get(people, 0), "name"), "alice");
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(people, 0), "high")), 2);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(people, 0), "load")), 6);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(people, 1), "load")), 2);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(people, 2), "load")), 0);
    cr_assert_float_eq(json_real_value(json_object_get(load, "mean")), 8.0 / 3.0, 1e-9);
    cr_assert_float_eq(json_real_value(json_object_get(load, "ratio")), 2.25, 1e-9);
    cr_assert(json_is_true(json_object_get(load, "skewed")));
    cr_assert_str_eq(field(load, "busiest"), "alice");
    json_decref(load);
    t.skew_percent = 250; /* 2.25 is under 2.5 */
    cr_assert_eq(srr_wf_team_load(g_st, &t, &load, &err), SRR_OK);
    cr_assert(json_is_false(json_object_get(load, "skewed")));
    json_decref(load);
}

Test(workflow, suggestion_with_known_loads)
{
    srr_team_config t = team();
    json_t *sug = NULL;
    srr_error err = {0};
    known_loads();
    /* service api has no owner: least load among all members -> carol */
    cr_assert_eq(srr_wf_suggest(g_st, &t, "SRR-5", &sug, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(field(sug, "assignee"), "carol");
    cr_assert_not_null(strstr(field(sug, "why"), "alice 6, bob 2, carol 0"), "%s",
                       field(sug, "why"));
    json_decref(sug);
    /* checkout is owned by alice and bob: bob has less */
    cr_assert_eq(srr_wf_suggest(g_st, &t, "SRR-4", &sug, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(field(sug, "assignee"), "bob");
    cr_assert_not_null(strstr(field(sug, "why"), "owners of checkout"));
    json_decref(sug);
    /* no team at all: nobody to suggest */
    memset(&t, 0, sizeof(t));
    cr_assert_eq(srr_wf_suggest(g_st, &t, "SRR-5", &sug, &err), SRR_EINVAL);
    cr_assert_eq(srr_wf_suggest(g_st, &t, "SRR-77", &sug, &err), SRR_ENOTFOUND);
}

/* Child process: opens its own store and makes `n` changes on SRR-1 as
 * `actor`; exits 0 when all succeeded. */
static void writer_child(const char *actor, int n)
{
    srr_store *st = NULL;
    srr_error err = {0};
    int i, failed = 0;
    if (srr_store_open(g_db, &st, &err) != SRR_OK)
        _exit(3);
    for (i = 0; i < n; i++) {
        srr_wf_req r = req_by(actor, T0 + i);
        char text[64];
        const char *sets[1];
        char kv[64];
        snprintf(text, sizeof(text), "%s step %d", actor, i);
        r.section = "recognition";
        r.text = text;
        if (srr_wf_risk(st, "log", "SRR-1", &r, NULL, &err) != SRR_OK)
            failed++;
        snprintf(kv, sizeof(kv), "%s=%s %d", strcmp(actor, "p1") == 0 ? "cause" : "next", actor, i);
        sets[0] = kv;
        r.sets = sets;
        r.nsets = 1;
        r.section = r.text = NULL;
        if (srr_wf_risk(st, "set", "SRR-1", &r, NULL, &err) != SRR_OK)
            failed++;
    }
    srr_store_close(&st);
    _exit(failed ? 1 : 0);
}

Test(workflow, two_concurrent_writers_lose_nothing)
{
    pid_t a, b;
    int sa = -1, sb = -1;
    seed("c1", "fp-1", SRR_ACTION_RISK, "checkout", SRR_URGENCY_MEDIUM, T0);
    srr_store_close(&g_st); /* the children hold the only connections */
    a = fork();
    cr_assert_neq(a, -1);
    if (a == 0)
        writer_child("p1", 40);
    b = fork();
    cr_assert_neq(b, -1);
    if (b == 0)
        writer_child("p2", 40);
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    cr_assert(WIFEXITED(sa) && WEXITSTATUS(sa) == 0, "p1 status %d", sa);
    cr_assert(WIFEXITED(sb) && WEXITSTATUS(sb) == 0, "p2 status %d", sb);
    cr_assert_eq(q("SELECT count(*) FROM log_entries WHERE author = 'p1'"), 40);
    cr_assert_eq(q("SELECT count(*) FROM log_entries WHERE author = 'p2'"), 40);
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE actor IN ('p1', 'p2')"), 160);
    /* both fields carry their writer's last value: neither change was lost */
    cr_assert_eq(q("SELECT count(*) FROM risks WHERE cause = 'p1 39' AND next_action = 'p2 39'"),
                 1);
}

/* Child: tries to approve SRR-1 (exit 0), or reports the refusal (exit 1). */
static void approver_child(const char *actor)
{
    srr_store *st = NULL;
    srr_error err = {0};
    srr_wf_req r = req_by(actor, T0 + 1);
    srr_rc rc;
    if (srr_store_open(g_db, &st, &err) != SRR_OK)
        _exit(3);
    r.assignee = actor;
    rc = srr_wf_risk(st, "approve", "SRR-1", &r, NULL, &err);
    srr_store_close(&st);
    if (rc == SRR_ECONFLICT && strstr(err.msg, "it is open; allowed from open"))
        _exit(1);
    _exit(rc == SRR_OK ? 0 : 2);
}

Test(workflow, two_concurrent_approvals_one_wins_one_is_told)
{
    pid_t a, b;
    int sa = -1, sb = -1;
    seed("c1", "fp-1", SRR_ACTION_RISK, "checkout", SRR_URGENCY_MEDIUM, T0);
    srr_store_close(&g_st);
    a = fork();
    if (a == 0)
        approver_child("p1");
    b = fork();
    if (b == 0)
        approver_child("p2");
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    cr_assert(WIFEXITED(sa) && WIFEXITED(sb));
    cr_assert_eq(WEXITSTATUS(sa) + WEXITSTATUS(sb), 1, "exits %d %d", WEXITSTATUS(sa),
                 WEXITSTATUS(sb));
    cr_assert_eq(q("SELECT count(*) FROM audit WHERE action = 'approve'"), 1);
}

Test(workflow, an_edit_on_a_stale_read_is_refused)
{
    srr_wf_req r = req_by("bob", T0 + 50);
    const char *sets[] = {"cause=the cache"};
    const char *msg;
    seed("c1", "fp-1", SRR_ACTION_RISK, "checkout", SRR_URGENCY_MEDIUM, T0);
    /* alice reads SRR-1 (updated_at T0); bob assigns it meanwhile */
    r.assignee = "carol";
    ok("assign", "SRR-1", &r);
    r = req_by("alice", T0 + 60);
    r.sets = sets;
    r.nsets = 1;
    r.expect_updated = T0;
    msg = refused("set", "SRR-1", &r, SRR_ECONFLICT);
    cr_assert_str_eq(msg, "SRR-1 changed underneath: updated 2025-11-28T12:00:50Z (last change: "
                          "assign by bob), you read it at 2025-11-28T12:00:00Z; show it again "
                          "and retry");
    cr_assert_eq(q("SELECT count(*) FROM risks WHERE cause IS NOT NULL"), 0);
    r.expect_updated = T0 + 50; /* read again */
    ok("set", "SRR-1", &r);
    cr_assert_eq(q("SELECT count(*) FROM risks WHERE cause = 'the cache' AND assignee = 'carol'"),
                 1);
}
