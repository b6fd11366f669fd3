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
#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_dd.h"
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

/* Runs the month with a draft budget; fills *m. */
static void run_month(const json_t *scn, int budget, month *m)
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
    }
    read_records(db, m);
    fake_dd_stop(&dd);
    if (getenv("SRR_MONTH_KEEP")) /* to look around: srr risks show ... -c DIR/srr.yaml */
        fprintf(stderr, "budget %d: the store is kept in %s (srr.yaml, srr.db)\n", budget, dir);
    else
        tu_rmdir_r(dir);
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
        run_month(scn, (int)json_integer_value(b), m);
        bad += compare(scn, (int)json_integer_value(b), m);
    }
    cr_assert_eq(bad, 0, "srr's drafts differ from the ground truth (table above)");
    free(m);
    json_decref(scn);
}
