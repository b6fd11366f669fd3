/* SPDX-License-Identifier: Apache-2.0
 *
 * test_month.c - a month of srr (README, "A month of srr"): the scenario of
 * tests/scenarios/month/ - five weekly windows of a small shop served by
 * the tests' own fake Datadog, and the monitor alerts Datadog posts
 * between the sweeps - run through the real srr binary exactly as a team
 * runs it: `srr serve` receives the alerts, `srr drain --once` stores
 * them, `srr sweep --at` judges each week. Then what srr drafted is set
 * beside the ground truth written in scenario.json before srr ran (which
 * things are true risks, backlog, noise; which monitors flap), once with
 * a draft budget of 5 and once of 20, and printed as a table.
 *
 * It holds srr to: every true risk drafted; the draft risks are exactly
 * the true risks at both budgets (noise never becomes a risk: a one-off
 * blip's investigation closes when its thing is clear at the deadline);
 * each flapping monitor drafted by the flapping rule; the backlog item
 * drafted as backlog; nothing over budget lost.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "browser.h"
#include "fake_dd.h"
#include "fake_notion.h"
#include "srr.h"
#include "testutil.h"
#include "webhook_client.h"

#define SCN SRR_SOURCE_DIR "/tests/scenarios/month"

/* What srr made of one thing. */
typedef struct drafted {
    char thing[256];
    char records[512]; /* "SRR-3 draft (flapping-monitors); INV-2 closed ..." */
    int draft_risk, flapping_rule, backlog;
} drafted;

typedef struct month {
    drafted v[64];
    size_t n;
    char sweeps[5][4096]; /* the last lines of each week's sweep */
} month;

static json_t *load(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    cr_assert_not_null(j, "%s:%d: %s", path, je.line, je.text);
    return j;
}

static void run(const char *const *argv, long long now, tu_run *r)
{
    char *clock = srr_asprintf("SRR_NOW=%lld", now);
    const char *env[] = {clock,
                         "SRR_CONFIG=",
                         "DD_API_KEY=month-api",
                         "DD_APP_KEY=month-app",
                         "DD_SITE=",
                         "SRR_LOG_LEVEL=warn",
                         "NOTION_TOKEN=" FAKE_NOTION_TOKEN,
                         NULL};
    tu_exec(argv, env, NULL, r);
    free(clock);
}

/* The config of the scenario with the fake Datadog and the budget. */
static char *write_config(const char *dir, const fake_dd *dd, int budget)
{
    char *text = NULL, *patched, *path, *b;
    size_t len;
    cr_assert_eq(srr_file_read(SCN "/srr.yaml", 0, &text, &len, NULL), SRR_OK);
    b = strstr(text, "BUDGET");
    cr_assert_not_null(b);
    char *at = strstr(text, "datadog:\n");
    cr_assert_not_null(at);
    *b = '\0';
    patched = srr_asprintf("%.*sdatadog:\n  api_url: \"%s\"\n%s%d%s", (int)(at - text), text,
                           fake_dd_url(dd), at + strlen("datadog:\n"), budget, b + 6);
    path = tu_write_file(dir, "srr.yaml", patched);
    free(text);
    free(patched);
    return path;
}

/* Posts a week's alerts through `srr serve` and stores them (srr drain). */
static void post_alerts(const char *cfg, const json_t *alerts, long long now)
{
    static const char *const args[] = {"--insecure-no-auth", "--no-drain", NULL};
    const char *const hdr[] = {"Content-Type: application/json", NULL};
    char *clock = srr_asprintf("SRR_NOW=%lld", now);
    const char *const env[] = {clock, NULL};
    wh_proc p;
    char url[128];
    size_t i;
    json_t *a;
    tu_run r;
    if (json_array_size(alerts) == 0) {
        free(clock);
        return;
    }
    cr_assert_eq(wh_proc_start(SRR_BIN, cfg, args, env, &p), 0, "serve: %s", p.log);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/webhooks/datadog", p.port);
    json_array_foreach(alerts, i, a)
    {
        char *body = json_dumps(a, JSON_COMPACT);
        wh_answer ans;
        wh_post(url, hdr, body, strlen(body), 10000, &ans);
        cr_assert_eq(ans.code, 202, "alert %zu: %ld %s", i, ans.code, ans.body ? ans.body : "");
        wh_answer_free(&ans);
        free(body);
    }
    cr_assert_eq(wh_proc_stop(&p), 0, "%s", p.log);
    wh_proc_free(&p);
    const char *drain[] = {SRR_BIN, "drain", "-c", cfg, "--once", NULL};
    run(drain, now, &r);
    cr_assert_eq(r.status, 0, "drain: %s%s", r.out, r.err);
    tu_run_free(&r);
    free(clock);
}

static drafted *thing_of(month *m, const char *thing)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].thing, thing) == 0)
            return &m->v[i];
    cr_assert_lt(m->n, sizeof m->v / sizeof m->v[0]);
    drafted *d = &m->v[m->n++];
    memset(d, 0, sizeof *d);
    snprintf(d->thing, sizeof d->thing, "%s", thing);
    return d;
}

/* Every record srr made, by the thing it follows. */
static void read_records(const char *db, month *m)
{
    static const char sql[] =
        "SELECT 'SRR-' || r.id, r.status, r.rule, t.check_name, t.grp FROM risks r"
        " JOIN things t ON t.fingerprint = r.fingerprint"
        " UNION ALL SELECT 'BL-' || b.id, b.status, b.rule, t.check_name, t.grp FROM backlog b"
        " JOIN things t ON t.fingerprint = b.fingerprint"
        " UNION ALL SELECT 'INV-' || i.id, i.status || coalesce(' (' || i.outcome || ')', ''),"
        " i.rule, t.check_name, t.grp FROM investigations i"
        " JOIN things t ON t.fingerprint = i.fingerprint ORDER BY 4, 5, 1";
    sqlite3 *h = NULL;
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(s, 0);
        const char *status = (const char *)sqlite3_column_text(s, 1);
        const char *rule = (const char *)sqlite3_column_text(s, 2);
        const char *check = (const char *)sqlite3_column_text(s, 3);
        const char *grp = (const char *)sqlite3_column_text(s, 4);
        char thing[256];
        snprintf(thing, sizeof thing, "%s%s%s", check, grp && *grp ? " " : "", grp ? grp : "");
        drafted *d = thing_of(m, thing);
        size_t len = strlen(d->records);
        snprintf(d->records + len, sizeof d->records - len, "%s%s %s [%s]", len ? "; " : "", id,
                 status, rule ? rule : "?");
        if (strncmp(id, "SRR-", 4) == 0 && strcmp(status, "draft") == 0) {
            d->draft_risk = 1;
            d->flapping_rule |= rule && strcmp(rule, "flapping-monitors") == 0;
        }
        if (strncmp(id, "BL-", 3) == 0)
            d->backlog = 1;
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
}

/* Called after each week's sweep (w from 0) with the run's directory and
 * config. */
typedef void (*week_hook)(size_t w, const char *dir, const char *cfg, void *arg);

/* Runs the month with a draft budget; fills *m. With `keep`, the directory
 * stays and *keep gets it (caller removes and frees it). */
static void run_month(const json_t *scn, int budget, month *m, week_hook hook, void *arg,
                      char **keep)
{
    const json_t *ends = json_object_get(scn, "window_ends");
    char *dir = tu_mkdtemp(), *cfg, *db;
    fake_dd *dd = fake_dd_start();
    cr_assert_not_null(dd);
    cfg = write_config(dir, dd, budget);
    db = srr_asprintf("%s/srr.db", dir);
    memset(m, 0, sizeof *m);
    for (size_t w = 0; w < json_array_size(ends); w++) {
        long long end = (long long)json_integer_value(json_array_get(ends, w));
        char *wdir = srr_asprintf("%s/week-%zu", SCN, w + 1);
        char *apath = srr_asprintf("%s/alerts.json", wdir), at[32];
        json_t *alerts = load(apath);
        tu_run r;
        /* the alerts Datadog posted during the week, stored as they came */
        post_alerts(cfg, alerts, end - 3600);
        json_decref(alerts);
        /* the week's sweep, an hour after its window ended */
        fake_dd_reset(dd);
        cr_assert_gt(fake_dd_serve_recording(dd, wdir, NULL), 0, "%s", wdir);
        srr_time_iso(end, at);
        const char *sweep[] = {SRR_BIN, "sweep", "-c", cfg, "--at", at, NULL};
        run(sweep, end + 3600, &r);
        cr_assert_eq(r.status, 0, "week %zu sweep (%d):\n%s\n%s", w + 1, r.status, r.out, r.err);
        cr_assert_eq(fake_dd_unmatched(dd), 0, "week %zu: requests the fake Datadog did not know",
                     w + 1);
        {
            const char *tail = r.out + strlen(r.out);
            int lines = 0;
            while (tail > r.out && lines < 12)
                lines += *--tail == '\n';
            snprintf(m->sweeps[w], sizeof m->sweeps[w], "%s", tail);
        }
        tu_run_free(&r);
        free(apath);
        free(wdir);
        if (hook)
            hook(w, dir, cfg, arg);
    }
    read_records(db, m);
    fake_dd_stop(&dd);
    if (keep) {
        *keep = dir;
        dir = NULL;
    } else if (getenv("SRR_MONTH_KEEP")) { /* to look around: srr risks show ... -c DIR/srr.yaml */
        fprintf(stderr, "budget %d: the store is kept in %s (srr.yaml, srr.db)\n", budget, dir);
    } else {
        tu_rmdir_r(dir);
    }
    free(dir);
    free(cfg);
    free(db);
}

/* Prints ground truth beside what srr drafted; checks the claims. */
static size_t compare(const json_t *scn, int budget, month *m)
{
    const json_t *truth = json_object_get(scn, "truth"), *t;
    size_t i, bad = 0, risks = 0, true_risks = 0;
    fprintf(stderr, "\n== budget %d: ground truth beside what srr drafted ==\n", budget);
    fprintf(stderr, "%-48s %-8s %s\n", "THING", "TRUTH", "SRR (record status [rule])");
    json_array_foreach(truth, i, t)
    {
        const char *thing = json_string_value(json_object_get(t, "thing"));
        const char *what = json_string_value(json_object_get(t, "truth"));
        int flapping = json_is_true(json_object_get(t, "flapping"));
        drafted *d = thing_of(m, thing);
        const char *verdict = "ok";
        if (strcmp(what, "risk") == 0) {
            true_risks++;
            if (!d->draft_risk)
                verdict = "MISSED: no draft risk";
            else if (flapping && !d->flapping_rule)
                verdict = "WRONG: not drafted by the flapping rule";
        } else if (d->draft_risk) {
            verdict = "WRONG: drafted as a risk";
        } else if (strcmp(what, "backlog") == 0 && !d->backlog) {
            verdict = "MISSED: no backlog item";
        }
        if (strcmp(verdict, "ok") != 0)
            bad++;
        fprintf(stderr, "%-48s %-8s %s%s%s\n", thing, what,
                d->records[0] ? d->records : "(nothing)", strcmp(verdict, "ok") ? "  <- " : "",
                strcmp(verdict, "ok") ? verdict : "");
    }
    for (i = 0; i < m->n; i++) {
        risks += (size_t)m->v[i].draft_risk;
        int known = 0;
        size_t k;
        json_array_foreach(truth, k, t) known |=
            strcmp(json_string_value(json_object_get(t, "thing")), m->v[i].thing) == 0;
        if (!known) {
            fprintf(stderr, "%-48s %-8s %s  <- not in the ground truth\n", m->v[i].thing, "?",
                    m->v[i].records);
            bad++;
        }
    }
    fprintf(stderr, "draft risks: %zu, true risks: %zu%s\n", risks, true_risks,
            risks == true_risks && !bad ? " - equal" : "");
    for (i = 0; i < 5 && getenv("SRR_MONTH_VERBOSE"); i++)
        fprintf(stderr, "-- week %zu --\n%s", i + 1, m->sweeps[i]);
    return bad + (risks != true_risks);
}

Test(month, five_weeks_of_a_small_shop_at_budget_5_and_20, .timeout = 600)
{
    json_t *scn = load(SCN "/scenario.json"), *b;
    month *m = srr_calloc(1, sizeof *m);
    size_t i, bad = 0;
    curl_global_init(CURL_GLOBAL_ALL);
    json_array_foreach(json_object_get(scn, "budgets"), i, b)
    {
        run_month(scn, (int)json_integer_value(b), m, NULL, NULL, NULL);
        bad += compare(scn, (int)json_integer_value(b), m);
    }
    cr_assert_eq(bad, 0, "srr's drafts differ from the ground truth (table above)");
    free(m);
    json_decref(scn);
}

/* ---- the monthly meeting ---------------------------------------------------- */

typedef struct meeting {
    const json_t *scn;
    fake_notion *fn;
} meeting;

/* Runs srr ARGS... (NULL terminated, at most 12) at `now`; asserts exit 0
 * and returns the output (caller frees). */
static char *srr_ok(long long now, const char *a0, ...)
{
    const char *argv[16] = {SRR_BIN, a0};
    size_t n = 2;
    va_list ap;
    tu_run r;
    char *out;
    va_start(ap, a0);
    while (n < 14 && (argv[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    run(argv, now, &r);
    cr_assert_eq(r.status, 0, "srr %s %s: %s%s", a0, argv[2], r.out, r.err);
    out = srr_strdup(r.out);
    tu_run_free(&r);
    return out;
}

static long long window_end(const json_t *scn, size_t w)
{
    return (long long)json_integer_value(json_array_get(json_object_get(scn, "window_ends"), w));
}

/* After the third week the team turns the Notion sink on: what exists
 * then gets its page, what comes later has none (nobody synced again). */
static void notion_after_week_3(size_t w, const char *dir, const char *cfg, void *arg)
{
    meeting *mt = arg;
    long long now = window_end(mt->scn, w) + 2 * 3600;
    char *text = NULL, *all, *ncfg, *out;
    size_t len;
    if (w != 2)
        return;
    cr_assert_eq(srr_file_read(cfg, 0, &text, &len, NULL), SRR_OK);
    all = srr_asprintf("%s\nnotion:\n  database_id: %s\n  api_url: %s\n"
                       "  requests_per_second: 200\n  max_attempts: 2\n  max_wait: 2s\n",
                       text, fake_notion_database(mt->fn), fake_notion_url(mt->fn));
    ncfg = tu_write_file(dir, "srr-notion.yaml", all);
    free(srr_ok(now, "notion", "setup", "-c", ncfg, NULL));
    out = srr_ok(now, "sync", "--once", "-c", ncfg, NULL);
    free(out);
    free(ncfg);
    free(all);
    free(text);
}

/* The id of the risk whose title starts with `prefix` (static). */
static const char *risk_titled(const char *cfg, const char *prefix, long long now)
{
    static char id[2][32];
    static int k;
    char *out = srr_ok(now, "risks", "list", "-c", cfg, "--format", "json", NULL);
    json_t *arr = json_loads(out, 0, NULL), *o;
    size_t i;
    k ^= 1;
    id[k][0] = '\0';
    json_array_foreach(arr, i, o) if (strncmp(json_string_value(json_object_get(o, "title")),
                                              prefix, strlen(prefix)) == 0)
        snprintf(id[k], sizeof id[k], "%s", json_string_value(json_object_get(o, "id")));
    cr_assert(id[k][0], "no risk titled %s...", prefix);
    json_decref(arr);
    free(out);
    return id[k];
}

static const char *jtext(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* url as an attribute value in the DOM chromium serialises (& escaped).
 * Caller frees. */
static char *href(const char *url)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    for (const char *c = url; *c; c++)
        srr_buf_printf(&b, "%s", *c == '&' ? "&amp;" : (char[]){*c, 0});
    return b.data ? srr_buf_steal(&b) : srr_strdup("");
}

/* The number of points of the first value line after `from` in dom. */
static int line_points(const char *from)
{
    const char *p = strstr(from, "<polyline class=\"value\"");
    int n = 1;
    cr_assert_not_null(p);
    p = strstr(p, "points=\"");
    cr_assert_not_null(p);
    for (p += 8; *p && *p != '"'; p++)
        n += *p == ' ';
    return n;
}

/* The report of the last five weeks (JSON): the period, the agenda, the
 * month's investigations, five weeks of values, and each record linked to
 * its Notion page when the sink made one (the fake's own url), else to
 * its detail. */
static void check_report(const json_t *rep, fake_notion *fn, const char *checkout,
                         const char *worker)
{
    const json_t *recs = json_object_get(rep, "records"), *rec, *a;
    const char *id;
    int synced = 0, anchored = 0;
    cr_assert_str_eq(jtext(json_object_get(rep, "period"), "label"), "2026-10-26 to 2026-11-30");
    cr_assert_eq(json_array_size(json_object_get(rep, "open_risks")), 2);
    a = json_array_get(json_object_get(rep, "open_risks"), 0);
    cr_assert_str_eq(jtext(a, "id"), worker, "equally urgent: the longer unmoved first");
    cr_assert_str_eq(jtext(a, "status"), "mitigating");
    cr_assert_str_eq(jtext(a, "assignee"), "carol");
    cr_assert_str_eq(jtext(a, "last_move"), "carol: log");
    cr_assert_eq(json_integer_value(json_object_get(a, "moved_days")), 3);
    a = json_array_get(json_object_get(rep, "open_risks"), 1);
    cr_assert_str_eq(jtext(a, "id"), checkout);
    cr_assert_str_eq(jtext(a, "next_action"), "find which endpoint answers 5xx");
    cr_assert_str_eq(jtext(a, "last_move"), "alice: set");
    cr_assert_eq(json_integer_value(json_object_get(a, "moved_days")), 0);
    cr_assert_eq(json_array_size(json_object_get(rep, "investigations_opened")), 9);
    cr_assert_eq(json_array_size(json_object_get(rep, "investigations_promoted")), 3);
    cr_assert_eq(json_array_size(json_object_get(rep, "investigations_closed")), 6);
    cr_assert_eq(json_array_size(json_object_get(
                     json_object_get(json_object_get(recs, checkout), "thing"), "windows")),
                 5, "a value for each week");
    json_object_foreach((json_t *)recs, id, rec)
    {
        json_t *page = fake_notion_page_of(fn, "ID", id);
        if (page) {
            cr_assert_str_eq(jtext(rec, "link"), jtext(page, "url"), "%s", id);
            cr_assert_str_eq(jtext(rec, "notion_url"), jtext(page, "url"), "%s", id);
            synced++;
        } else {
            char *want = srr_asprintf("#%s", id);
            cr_assert_str_eq(jtext(rec, "link"), want, "%s", id);
            free(want);
            anchored++;
        }
        json_decref(page);
    }
    cr_assert_gt(synced, 0, "records of the first three weeks have their Notion page");
    cr_assert_gt(anchored, 0, "records made after the sync have none");
    cr_assert(strncmp(jtext(json_object_get(recs, checkout), "notion_url"), "https://", 8) == 0);
}

/* The page in chromium: every record's id links to its page or detail and
 * its Datadog link is there, the anchors resolve, the agenda's first
 * chart has five points at its size, and the value lines show in the
 * screenshot (left at png). */
static void check_page(const char *html, const char *png, const char *dir, const json_t *recs)
{
    static const char *const colours[] = {"0f766e"};
    const char *agenda, *chart, *id;
    static const char sized[] = "<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\""
                                " viewBox=\"0 0 160 36\" width=\"160\" height=\"36\""
                                " data-windows=\"5\"";
    const json_t *rec;
    char *dom = tb_dump_dom(html, dir), *want;
    long long w = 0, h = 0, teal = 0;
    cr_assert_not_null(strstr(dom, "<h1>Review 2026-10-26 to 2026-11-30</h1>"));
    json_object_foreach((json_t *)recs, id, rec)
    {
        char *link = href(jtext(rec, "link")), *dd = href(jtext(rec, "datadog_url"));
        want = srr_asprintf("<a href=\"%s\" class=\"rec\">%s</a>", link, id);
        cr_assert_not_null(strstr(dom, want), "no %s", want);
        free(want);
        if (*dd) {
            want = srr_asprintf("<a href=\"%s\" class=\"dd\">Datadog</a>", dd);
            cr_assert_not_null(strstr(dom, want), "no %s", want);
            free(want);
        }
        free(link);
        free(dd);
    }
    tb_anchors_resolve(dom);
    agenda = strstr(dom, "<h2 id=\"section-open_risks\">");
    cr_assert_not_null(agenda);
    chart = strstr(agenda, "<svg class=\"trend\"");
    cr_assert_not_null(chart);
    cr_assert_eq(strncmp(chart, sized, strlen(sized)), 0, "%.300s", chart);
    cr_assert_eq(line_points(chart), 5);
    free(dom);
    tb_screenshot(html, dir, png, 1200, 2000);
    tb_png_count(png, colours, 1, &w, &h, &teal);
    cr_assert_eq(w, 1200);
    cr_assert_eq(h, 2000);
    cr_assert_gt(teal, 150, "the value lines (teal): %lld pixels", teal);
    fprintf(stderr, "the review: %s, its screenshot: %s (%lld teal pixels)\n", html, png, teal);
}

/* The month the team lived, reviewed in its meeting: after the five weeks
 * (Notion turned on after the third), two drafts approved and worked on,
 * then `srr review --last 5w` as the page a team opens. Held to: the
 * period is the last five weeks and a --from/--to inside it narrows what
 * it lists; the agenda holds both risks with assignee, next action, days
 * unmoved and five weeks of values; the investigations of the month are
 * listed; each record links to its Notion page when it has one (the url
 * the fake Notion answered) and to its detail in the page otherwise, and
 * to Datadog; in chromium the links resolve, the value charts are drawn at
 * their size with a point per week. The page and its screenshot are left
 * in the build directory (review-month.html, review-month.png). */
Test(month, the_monthly_meeting_in_a_browser, .timeout = 600)
{
    json_t *scn = load(SCN "/scenario.json"), *rep, *narrow, *o;
    month *m = srr_calloc(1, sizeof *m);
    meeting mt = {scn, NULL};
    char *dir = NULL, *cfg, *out;
    const char *html = SRR_BUILD_DIR "/review-month.html", *png = SRR_BUILD_DIR "/review-month.png";
    long long now = window_end(scn, 4) + 2 * 3600;
    char checkout[32], worker[32];
    size_t i, n = 0;
    if (!tb_chromium())
        cr_skip_test("chromium is not installed (apt-get install chromium)");
    curl_global_init(CURL_GLOBAL_ALL);
    mt.fn = fake_notion_start(0);
    cr_assert_not_null(mt.fn);
    fake_notion_set_rate(mt.fn, 500, 100);
    run_month(scn, 5, m, notion_after_week_3, &mt, &dir);
    cfg = srr_asprintf("%s/srr.yaml", dir);

    /* The team approves the checkout errors and the worker's memory. */
    snprintf(checkout, sizeof checkout, "%s", risk_titled(cfg, "checkout-5xx", now));
    snprintf(worker, sizeof worker, "%s", risk_titled(cfg, "worker-memory", now));
    free(srr_ok(now, "risks", "approve", checkout, "--assign", "alice", "--as", "dana", "-c", cfg,
                NULL));
    free(srr_ok(now, "risks", "set", checkout, "next=find which endpoint answers 5xx", "--as",
                "alice", "-c", cfg, NULL));
    free(srr_ok(now - 86400 * 3, "risks", "approve", worker, "--assign", "carol", "--as", "dana",
                "-c", cfg, NULL));
    free(srr_ok(now - 86400 * 3, "risks", "log", worker, "--countermeasure",
                "heap profile on one pod", "--as", "carol", "-c", cfg, NULL));

    /* The report of the last five weeks. */
    out = srr_ok(now, "review", "-c", cfg, "--last", "5w", "--format", "json", NULL);
    rep = json_loads(out, 0, NULL);
    cr_assert_not_null(rep, "%s", out);
    free(out);
    check_report(rep, mt.fn, checkout, worker);

    /* A period inside it lists only what happened then. */
    out = srr_ok(now, "review", "-c", cfg, "--from", "2026-11-16", "--to", "2026-11-29", "--format",
                 "json", NULL);
    narrow = json_loads(out, 0, NULL);
    free(out);
    json_array_foreach(json_object_get(rep, "investigations_opened"), i, o) n +=
        strcmp(jtext(o, "opened_at"), "2026-11-16") >= 0;
    cr_assert_eq(json_array_size(json_object_get(narrow, "investigations_opened")), n);
    cr_assert_lt(n, 9);
    json_array_foreach(json_object_get(narrow, "investigations_opened"), i, o)
        cr_assert_geq(strcmp(jtext(o, "opened_at"), "2026-11-16"), 0, "%s", jtext(o, "id"));
    json_decref(narrow);

    /* The page, in a browser. */
    free(srr_ok(now, "review", "-c", cfg, "--last", "5w", "--format", "html", "-o", html, NULL));
    check_page(html, png, dir, json_object_get(rep, "records"));

    json_decref(rep);
    fake_notion_stop(&mt.fn);
    tu_rmdir_r(dir);
    free(dir);
    free(cfg);
    free(m);
    json_decref(scn);
}
