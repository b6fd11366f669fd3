/* SPDX-License-Identifier: Apache-2.0
 *
 * test_workflow_e2e.c - the SRR workflow through the srr binary on the
 * recorded demo week (the "must show"). The week is swept with the
 * workflow demo's config (scripts/workflow-demo.sh builds the same one):
 * the demo checks with lower thresholds and a policy that drafts what it
 * does not send to the backlog, so five draft risks exist. Then: approve
 * one with the suggested assignee, reject one with a reason, merge two,
 * the audit trail, team load, exit codes and formats, the review's
 * period (a month, --from/--to, --last) and its agenda, and the monthly
 * review as HTML opened in a real headless browser (Debian's chromium):
 * every record linked to its detail in the page and to Datadog, the value
 * charts there and sized, and a screenshot that shows the charts' colours
 * (test_month has the Notion links and five weeks of values). A second
 * test runs the backlog and investigation commands on the plain demo
 * config.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "browser.h"
#include "srr.h"
#include "testutil.h"

static char *g_dir;
static char *g_cfg;

static void setup(void)
{
    g_dir = tu_mkdtemp();
}

static void teardown(void)
{
    tu_rmdir_r(g_dir);
    free(g_dir);
    free(g_cfg);
}

TestSuite(workflow_e2e, .init = setup, .fini = teardown, .timeout = 240);

/* Replaces the first `from` in *s by `to`. */
static void replace(char **s, const char *from, const char *to)
{
    char *p = strstr(*s, from), *n;
    cr_assert_not_null(p, "no '%s' in the demo config", from);
    n = srr_asprintf("%.*s%s%s", (int)(p - *s), *s, to, p + strlen(from));
    free(*s);
    *s = n;
}

/* The workflow demo config (see scripts/workflow-demo.sh). */
static void write_config(int workflow)
{
    char *yaml = tu_read_file(SRR_SOURCE_DIR "/examples/srr.yaml"), *cut;
    if (workflow) {
        replace(&yaml, "when: \"max > 500ms\"", "when: \"max > 100ms\"");
        replace(&yaml, "when: \"max > 10000\"", "when: \"max > 10\"");
        cut = strstr(yaml, "\npolicy:");
        cr_assert_not_null(cut);
        cut[1] = '\0';
        cut = srr_asprintf(
            "%s"
            "policy:\n"
            "  rules:\n"
            "    - name: disk-filling-is-a-known-fix\n"
            "      match: {check: \"disk-*\", kind: threshold}\n"
            "      action: backlog\n"
            "      urgency: medium\n"
            "      reason: \"A filling disk has a known fix, so it goes to the backlog.\"\n"
            "    - name: customer-facing\n"
            "      match: {service: \"checkout*\"}\n"
            "      action: risk\n"
            "      urgency: high\n"
            "      reason: \"Customer-facing errors with no known cause are a risk.\"\n"
            "  default:\n"
            "    action: risk\n"
            "    urgency: medium\n"
            "    reason: \"Everything else is drafted for the team to triage.\"\n",
            yaml);
        free(yaml);
        yaml = cut;
    }
    cut = srr_asprintf("%s\nteam:\n  members: [alice, bob, carol, dana, erin]\n"
                       "  owners:\n    checkout: \"alice, bob\"\n    billing-worker: carol\n"
                       "  skew_percent: 200\n  stale_after: 30d\n",
                       yaml);
    g_cfg = tu_write_file(g_dir, "srr.yaml", cut);
    free(cut);
    free(yaml);
}

/* "Now" for every run: 2026-12-07T12:00:00Z, two weeks after the demo
 * week (window end 2026-11-23), so what counts up to today shows it. */
#define E2E_NOW "SRR_NOW=1796644800"

/* Runs srr with the given arguments (NULL terminated) and -c g_cfg, in
 * g_dir, as $SRR_USER dana. */
#define SRR(r, ...)                                                                                \
    tu_srr((r), SRR_BIN, (const char *const[]){"SRR_USER=dana", E2E_NOW, NULL}, g_cfg, g_dir,      \
           __VA_ARGS__)

/* The id of the risk whose title starts with `prefix` (static). */
static const char *risk_id(const char *prefix)
{
    static char id[32];
    tu_run r;
    json_t *arr;
    size_t i;
    SRR(&r, "risks", "list", "--format", "json", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    arr = json_loads(r.out, 0, NULL);
    cr_assert(json_is_array(arr), "%s", r.out);
    id[0] = '\0';
    for (i = 0; i < json_array_size(arr); i++) {
        const json_t *o = json_array_get(arr, i);
        if (strncmp(json_string_value(json_object_get(o, "title")), prefix, strlen(prefix)) == 0)
            snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(o, "id")));
    }
    json_decref(arr);
    tu_run_free(&r);
    cr_assert(id[0], "no risk titled %s...", prefix);
    return id;
}

static json_t *show(const char *id)
{
    tu_run r;
    json_t *j;
    SRR(&r, "risks", "show", id, "--format", "json", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    j = json_loads(r.out, 0, NULL);
    cr_assert_not_null(j, "%s", r.out);
    tu_run_free(&r);
    return j;
}

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The record's own Datadog link, as an href in the DOM (& escaped). */
static void links_to_datadog(const char *dom, const char *id)
{
    json_t *j = show(id);
    const char *url = str(j, "datadog_url");
    srr_buf b;
    cr_assert(strncmp(url, "https://", 8) == 0, "%s: %s", id, url);
    srr_buf_init(&b, 0);
    srr_buf_printf(&b, "href=\"");
    for (const char *c = url; *c; c++)
        srr_buf_printf(&b, "%s", *c == '&' ? "&amp;" : (char[]){*c, 0});
    srr_buf_printf(&b, "\" class=\"dd\">Datadog</a>");
    cr_assert_not_null(strstr(dom, b.data), "no %s in the page", b.data);
    srr_buf_free(&b);
    json_decref(j);
}

/* Opens the review page in headless chromium: the rendered DOM holds both
 * charts and their bars, every record linked to its detail (no Notion
 * here) and to Datadog, each risk's value chart at its size; the
 * screenshot shows the charts' colours. */
static void browser_check(const char *html_path, const char *checkout, const char *worker)
{
    static const char *const colours[] = {"d64545", "9aa5b1", "4098d7", "7e57c2"};
    char *png = srr_asprintf("%s/review.png", g_dir), *dom, *want;
    long long w = 0, h = 0, n[4];
    if (!tb_chromium()) {
        free(png);
        cr_skip_test("chromium is not installed (apt-get install chromium)");
    }
    dom = tb_dump_dom(html_path, g_dir);
    cr_assert_not_null(strstr(dom, "<svg id=\"chart-status\""), "%s", dom);
    cr_assert_not_null(strstr(dom, "<svg id=\"chart-load\""));
    cr_assert_not_null(strstr(dom, "data-status=\"open\""));
    cr_assert_not_null(strstr(dom, "data-person="));
    /* The agenda: the open and the mitigating risk, linked to their detail
     * (not synced to Notion), with their value charts, small and sized. */
    cr_assert_not_null(strstr(dom, "<h2 id=\"section-open_risks\">Open and mitigating risks"));
    want = srr_asprintf("<a href=\"#%s\" class=\"rec\">%s</a>", checkout, checkout);
    cr_assert_not_null(strstr(dom, want), "%s", want);
    free(want);
    want = srr_asprintf("<section class=\"record\" id=\"%s\">", worker);
    cr_assert_not_null(strstr(dom, want), "%s", want);
    free(want);
    tb_anchors_resolve(dom);
    links_to_datadog(dom, checkout);
    links_to_datadog(dom, worker);
    cr_assert_not_null(strstr(dom, "<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\""
                                   " viewBox=\"0 0 160 36\" width=\"160\" height=\"36\""
                                   " data-windows=\"1\""));
    cr_assert_not_null(strstr(dom, "viewBox=\"0 0 480 120\" width=\"480\" height=\"120\""));
    cr_assert_not_null(strstr(dom, "<circle class=\"w firing\""));
    cr_assert_null(strstr(dom, "<script"));
    free(dom);

    tb_screenshot(html_path, g_dir, png, 1200, 1600);
    tb_png_count(png, colours, 4, &w, &h, n);
    cr_assert_eq(w, 1200);
    cr_assert_eq(h, 1600);
    /* open = red, draft = grey, load bars = blue, accepted = purple */
    cr_assert_gt(n[0], 500, "open (red) bars: %lld pixels", n[0]);
    cr_assert_gt(n[1], 500, "draft (grey) bars: %lld pixels", n[1]);
    cr_assert_gt(n[2], 2000, "load bars (blue): %lld pixels", n[2]);
    cr_assert_gt(n[3], 100, "legend/accepted (purple): %lld pixels", n[3]);
    free(png);
}

/* `srr review ARGS --format json` (caller decrefs). */
static json_t *review_json(const char *a1, const char *a2, const char *a3, const char *a4)
{
    tu_run r;
    json_t *j;
    SRR(&r, "review", "--format", "json", a1, a2, a3, a4, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    j = json_loads(r.out, 0, NULL);
    cr_assert_not_null(j, "%s", r.out);
    tu_run_free(&r);
    return j;
}

static const char *ids_of(const json_t *rep, const char *key)
{
    static char buf[256];
    size_t i, len = 0;
    buf[0] = '\0';
    for (i = 0; i < json_array_size(json_object_get(rep, key)); i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? " " : "",
                                str(json_array_get(json_object_get(rep, key), i), "id"));
    return buf;
}

/* The four drafts the workflow test moves, by what their titles start with. */
typedef struct demo_ids {
    char checkout[32], staging[32], queue[32], worker[32];
} demo_ids;

/* Approve one draft with the suggested assignee. */
static void approve_with_the_suggestion(const demo_ids *d)
{
    json_t *j;
    tu_run r;
    SRR(&r, "risks", "assign", d->checkout, "--suggest", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "suggested assignee for"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, ": alice\n"), "%s", r.out);
    tu_run_free(&r);
    SRR(&r, "risks", "approve", d->checkout, "--suggest", "--assign", "bob", NULL);
    cr_assert_eq(r.status, 2, "--suggest and --assign together are a usage error");
    tu_run_free(&r);
    SRR(&r, "risks", "approve", d->checkout, "--suggest", "--note", "customers see these", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "status: draft → open"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "assignee: — → alice"), "%s", r.out);
    tu_run_free(&r);
    j = show(d->checkout);
    cr_assert_str_eq(str(j, "status"), "open");
    cr_assert_str_eq(str(j, "assignee"), "alice");
    cr_assert_str_eq(str(j, "approved_by"), "dana");
    json_decref(j);
}

/* Reject one with a reason; approving it afterwards is refused. */
static void reject_then_approval_is_refused(const demo_ids *d)
{
    tu_run r;
    SRR(&r, "risks", "reject", d->staging, NULL);
    cr_assert_eq(r.status, 2, "reject without --reason must be a usage error");
    tu_run_free(&r);
    SRR(&r, "risks", "reject", d->staging, "--reason", "staging is not production", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    SRR(&r, "risks", "approve", d->staging, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert_not_null(strstr(r.err, "it is rejected; allowed from rejected: reopen"), "%s", r.err);
    tu_run_free(&r);
}

/* Merge two: the queue grows because the worker swaps. */
static void merge_the_queue_into_the_worker(const demo_ids *d)
{
    json_t *j;
    tu_run r;
    SRR(&r, "risks", "merge", d->queue, "--into", d->worker, "--note",
        "queue grows when the worker swaps", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    j = show(d->queue);
    cr_assert_str_eq(str(j, "status"), "merged");
    cr_assert_str_eq(str(j, "merged_into"), d->worker);
    json_decref(j);
    j = show(d->worker);
    cr_assert_eq(json_integer_value(json_object_get(j, "occurrences")), 2);
    /* Occurrences per week up to today, not up to the last sighting: the
     * demo week, then two quiet weeks. */
    cr_assert_str_eq(str(json_object_get(j, "evidence"), "sparkline"), "·········█··");
    cr_assert_eq(json_integer_value(
                     json_array_get(json_object_get(json_object_get(j, "evidence"), "weekly"), 9)),
                 2);
    json_decref(j);
}

/* The worker risk goes on: approved with nobody assigned, it takes the
 * suggestion (its owner carol); people outside team.members are
 * refused, the members named; then log as someone else, set fields. */
static void the_worker_risk_goes_on(const demo_ids *d)
{
    tu_run r;
    SRR(&r, "risks", "approve", d->worker, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "assignee: — → carol"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "assigned the suggested carol"), "%s", r.out);
    tu_run_free(&r);
    SRR(&r, "risks", "assign", d->worker, "zed", NULL);
    cr_assert_eq(r.status, 2);
    cr_assert_not_null(strstr(r.err, "srr: zed is not in team.members (alice, bob, carol, dana, erin)"),
                       "%s", r.err);
    tu_run_free(&r);
    SRR(&r, "risks", "set", d->worker, "next=x", "--as", "zed", NULL);
    cr_assert_eq(r.status, 2);
    cr_assert_not_null(strstr(r.err, "--as zed: not in team.members"), "%s", r.err);
    tu_run_free(&r);
    {
        /* Nobody named: the login name (root here) is no member either. */
        const char *argv[] = {SRR_BIN, "risks", "set", d->worker, "next=x", "-c", g_cfg, NULL};
        const char *env[] = {"SRR_USER=", E2E_NOW, NULL};
        tu_exec(argv, env, g_dir, &r);
        cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
        cr_assert_not_null(strstr(r.err, "give --as NAME or set $SRR_USER"), "%s", r.err);
        tu_run_free(&r);
    }
    SRR(&r, "risks", "log", d->worker, "--countermeasure", "heap profiling on one host", "--as",
        "erin", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "(by erin)"));
    cr_assert_not_null(strstr(r.out, "status: open → mitigating"), "%s", r.out);
    tu_run_free(&r);
    SRR(&r, "risks", "set", d->worker, "cause=invoice cache never evicts", "next=cap it",
        "backlog=https://jira.example/BILL-7", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    SRR(&r, "risks", "set", d->worker, "next=stale edit", "--expect-updated",
        "2000-01-01T00:00:00Z", NULL);
    cr_assert_eq(r.status, 1);
    cr_assert_not_null(strstr(r.err, "changed underneath"), "%s", r.err);
    tu_run_free(&r);
    SRR(&r, "risks", "set", d->worker, "colour=blue", NULL);
    cr_assert_eq(r.status, 2);
    tu_run_free(&r);
    SRR(&r, "risks", "show", d->worker, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "## Cause\ninvoice cache never evicts"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "Occurrences per week (last 12 weeks"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "(erin) heap profiling on one host"));
    tu_run_free(&r);
}

/* Accept one for 90 days; resolve a draft is refused. */
static void accept_one_for_90_days(void)
{
    tu_run r;
    {
        char latency[32];
        snprintf(latency, sizeof(latency), "%s", risk_id("api-latency"));
        SRR(&r, "risks", "resolve", latency, NULL);
        cr_assert_eq(r.status, 1);
        cr_assert_not_null(strstr(r.err, "allowed from draft: approve, reject, merge"), "%s",
                           r.err);
        tu_run_free(&r);
        SRR(&r, "risks", "approve", latency, "--assign", "bob", "--urgency", "low", NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        tu_run_free(&r);
        SRR(&r, "risks", "accept", latency, "--review-in", "90d", "--reason",
            "p95 spikes only during the nightly batch", NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        tu_run_free(&r);
    }
}

/* The audit trail, lists with filters, team load. */
static void audit_lists_and_team_load(const demo_ids *d)
{
    json_t *j;
    tu_run r;
    SRR(&r, "audit", d->worker, "--format", "json", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    j = json_loads(r.out, 0, NULL);
    cr_assert_eq(json_array_size(j), 5, "%s", r.out); /* create merge-in approve log set */
    cr_assert_str_eq(str(json_array_get(j, 1), "action"), "merge-in");
    cr_assert_str_eq(str(json_array_get(j, 1), "why"), "queue grows when the worker swaps");
    cr_assert_str_eq(str(json_array_get(j, 3), "actor"), "erin");
    json_decref(j);
    tu_run_free(&r);
    SRR(&r, "audit", "--format", "md", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "| dana | "), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "staging is not production"));
    tu_run_free(&r);
    SRR(&r, "risks", "list", "--assignee", "alice", "--format", "md", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "| ID | STATUS |"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, d->checkout));
    tu_run_free(&r);
    SRR(&r, "team", "load", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "PERSON"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "max/mean"), "%s", r.out);
    tu_run_free(&r);
}

/* The period: the month of now holds the five drafts made today; a
 * range before it none, but the window it saw; the last five weeks
 * all. */
static void review_periods_and_agenda(const demo_ids *d)
{
    json_t *j;
    tu_run r;
    j = review_json("--from", "2026-11-01", "--to", "2026-11-30");
    cr_assert_str_eq(str(json_object_get(j, "period"), "label"), "2026-11-01 to 2026-11-30");
    cr_assert_str_eq(str(j, "to"), "2026-12-01T00:00:00Z", "--to includes its day");
    cr_assert_str_eq(ids_of(j, "new"), "");
    cr_assert_eq(
        json_array_size(json_object_get(
            json_object_get(json_object_get(json_object_get(j, "records"), d->worker), "thing"),
            "windows")),
        1, "the demo week's window is in the period");
    json_decref(j);
    j = review_json("--last", "5w", NULL, NULL);
    cr_assert_str_eq(str(json_object_get(j, "period"), "label"), "2026-11-02 to 2026-12-07");
    cr_assert_eq(json_array_size(json_object_get(j, "new")), 5);
    /* The agenda: every open and mitigating risk, its assignee, next
     * action and the days since a person moved it. */
    {
        char want[64];
        snprintf(want, sizeof want, "%s %s", d->checkout, d->worker); /* high first */
        cr_assert_str_eq(ids_of(j, "open_risks"), want);
    }
    {
        const json_t *row = json_array_get(json_object_get(j, "open_risks"), 1);
        cr_assert_str_eq(str(row, "id"), d->worker);
        cr_assert_str_eq(str(row, "assignee"), "carol");
        cr_assert_str_eq(str(row, "next_action"), "cap it");
        cr_assert_str_eq(str(row, "last_move"), "dana: set");
        cr_assert_eq(json_integer_value(json_object_get(row, "moved_days")), 0);
    }
    json_decref(j);
    SRR(&r, "review", "--last", "5w", "--month", "2026-11", NULL);
    cr_assert_eq(r.status, 2, "two periods at once are refused");
    tu_run_free(&r);
    SRR(&r, "review", "--to", "2026-11-30", NULL);
    cr_assert_eq(r.status, 2, "--to alone is refused");
    tu_run_free(&r);
}

/* The monthly review as one self-contained HTML page, in a browser. */
static void review_html_in_a_browser(const demo_ids *d)
{
    char *html_path;
    tu_run r;
    html_path = srr_asprintf("%s/review.html", g_dir);
    SRR(&r, "review", "--format", "html", "-o", html_path, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    browser_check(html_path, d->checkout, d->worker);
    free(html_path);
}

Test(workflow_e2e, demo_week_approve_reject_merge_review_in_a_browser)
{
    demo_ids d;
    tu_run r;

    write_config(1);
    {
        char *demo = srr_asprintf("%s/examples/demo-week", SRR_SOURCE_DIR);
        SRR(&r, "sweep", "--replay", demo, NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_not_null(strstr(r.out, "5 new draft risk(s)"), "%s", r.out);
        tu_run_free(&r);
        free(demo);
    }
    snprintf(d.checkout, sizeof(d.checkout), "%s", risk_id("checkout-5xx"));
    snprintf(d.staging, sizeof(d.staging), "%s", risk_id("staging-errors"));
    snprintf(d.queue, sizeof(d.queue), "%s", risk_id("queue-depth"));
    snprintf(d.worker, sizeof(d.worker), "%s", risk_id("worker-memory"));
    approve_with_the_suggestion(&d);
    reject_then_approval_is_refused(&d);
    merge_the_queue_into_the_worker(&d);
    the_worker_risk_goes_on(&d);
    accept_one_for_90_days();
    audit_lists_and_team_load(&d);
    review_periods_and_agenda(&d);
    review_html_in_a_browser(&d);
}

Test(workflow_e2e, backlog_and_investigations_on_the_plain_demo)
{
    tu_run r;
    write_config(0);
    {
        char *demo = srr_asprintf("%s/examples/demo-week", SRR_SOURCE_DIR);
        SRR(&r, "sweep", "--replay", demo, NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        tu_run_free(&r);
        free(demo);
    }
    SRR(&r, "backlog", "done", "BL-1", NULL);
    cr_assert_eq(r.status, 1);
    cr_assert_not_null(strstr(r.err, "allowed from draft: accept, reject, assign"), "%s", r.err);
    tu_run_free(&r);
    SRR(&r, "backlog", "accept", "BL-1", NULL);
    cr_assert_eq(r.status, 2);
    tu_run_free(&r);
    SRR(&r, "backlog", "accept", "BL-1", "--link", "https://jira.example/OPS-1", "--format", "json",
        NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "\"status\": \"accepted\""), "%s", r.out);
    tu_run_free(&r);
    SRR(&r, "backlog", "done", "BL-1", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    SRR(&r, "backlog", "list", "--status", "done", NULL);
    cr_assert_not_null(strstr(r.out, "BL-1"), "%s", r.out);
    tu_run_free(&r);

    SRR(&r, "investigations", "resolve", "INV-1", "--outcome", "noise", "--note",
        "a batch import, expected", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    SRR(&r, "investigations", "resolve", "INV-1", "--outcome", "noise", NULL);
    cr_assert_eq(r.status, 1, "resolving a closed investigation must be refused");
    tu_run_free(&r);
    SRR(&r, "investigations", "resolve", "INV-1", NULL);
    cr_assert_eq(r.status, 2);
    tu_run_free(&r);
    SRR(&r, "investigations", "list", "--status", "closed", "--format", "json", NULL);
    cr_assert_not_null(strstr(r.out, "INV-1"), "%s", r.out);
    tu_run_free(&r);
    SRR(&r, "audit", "INV-1", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "dana"), "%s", r.out);
    tu_run_free(&r);
    SRR(&r, "audit", "BL-1", "--format", "json", NULL);
    cr_assert_not_null(strstr(r.out, "\"action\": \"done\""), "%s", r.out);
    tu_run_free(&r);
}
