/* SPDX-License-Identifier: Apache-2.0
 *
 * test_sheets.c - the Sheets client (sinks/sheets_api.c) against the fake
 * Google over real HTTP, authenticated by a JWT the fake verifies: the tab
 * created once, rows upserted by ID (a header once, never a row twice), a
 * row found by its ID after a person re-sorted the sheet, a person's edit
 * read back, titles starting with '=' kept as text, the per-minute quota
 * (429 RESOURCE_EXHAUSTED) backed off without hammering, an expired token
 * refreshed once, an outage then recovery, permanent errors, and the
 * `sheets:` option table.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "fake_sheets.h"
#include "http.h"
#include "jwt.h"
#include "record_views.h"
#include "sa_key.h"
#include "sheets_api.h"
#include "sheets_config.h"
#include "testutil.h"

typedef struct env {
    fake_sheets *fs;
    fake_http *h;
    srr_gtoken *tok;
    srr_sheets *sh;
    char *dir;
} env;

static env setup(void)
{
    env e = {0};
    srr_error err = {0};
    const tu_sa_key *k = tu_sa_key_get(FAKE_SHEETS_EMAIL, "later");
    e.fs = fake_sheets_start(k->pub_pem);
    cr_assert_not_null(e.fs);
    e.h = fake_sheets_http(e.fs);
    e.dir = tu_mkdtemp();
    char *path = tu_sa_key_write(e.dir, "sa.json", FAKE_SHEETS_EMAIL, fake_sheets_token_url(e.fs));
    srr_sa_key *key = NULL;
    cr_assert_eq(srr_sa_key_load(path, &key, &err), SRR_OK, "%s", err.msg);
    free(path);
    srr_http_opts http = {.timeout_ms = 5000};
    cr_assert_eq(srr_gtoken_create(&key, SRR_SHEETS_SCOPE, NULL, &http, &e.tok, &err), SRR_OK);
    srr_sheets_opts o = {0};
    o.api_url = fake_sheets_url(e.fs);
    o.spreadsheet_id = FAKE_SHEETS_ID;
    o.token = e.tok;
    o.http = http;
    cr_assert_eq(srr_sheets_create(&o, &e.sh, &err), SRR_OK, "%s", err.msg);
    return e;
}

static void teardown(env *e)
{
    srr_sheets_destroy(&e->sh);
    srr_gtoken_destroy(&e->tok);
    fake_sheets_stop(&e->fs);
    tu_rmdir_r(e->dir);
    free(e->dir);
}

/* A record's row in the practice's 14 columns. */
static json_t *record_row(const char *id, const char *title, const char *status)
{
    json_t *r = json_array();
    const char *vals[SRR_SHEETS_NCOLS] = {
        id,           "risk",  title,      status,
        "high",       "alice", "checkout", "https://app.datadoghq.com/x",
        "",           "",      "",         "2026-11-01",
        "2026-11-28", NULL};
    for (int i = 0; i < SRR_SHEETS_NCOLS - 1; i++)
        json_array_append_new(r, json_string(vals[i]));
    json_array_append_new(r, json_integer(3)); /* Occurrences, a number */
    return r;
}

static void wait_ready(srr_sheets *sh)
{
    struct timespec step = {0, 10 * 1000000L};
    int64_t deadline = srr_http_now_ms() + 20000;
    while (srr_sheets_retry_at_ms(sh) != 0) {
        cr_assert(srr_http_now_ms() < deadline, "the client never became ready");
        nanosleep(&step, NULL);
    }
}

/* The 1-based row holding id in column A of tab SRR, 0 when none. */
static size_t row_of(fake_sheets *fs, const char *id)
{
    return fake_sheets_row_with(fs, "SRR", 0, id);
}

static void assert_cell(fake_sheets *fs, size_t r, size_t c, const char *want)
{
    char *v = fake_sheets_cell(fs, "SRR", r, c, NULL);
    cr_assert_str_eq(v, want, "row %zu col %zu", r, c);
    free(v);
}

static srr_rc upsert(env *e, json_t *rows, srr_sheets_upsert_result *res, srr_error *err)
{
    srr_rc rc = srr_sheets_upsert(e->sh, "SRR", (const char *const *)srr_sheets_columns,
                                  SRR_SHEETS_NCOLS, rows, NULL, res, err);
    return rc;
}

/* The tab SRR made by a person, then `rows` upserted into it; returns
 * rows (the caller's still, to decref). */
static json_t *seed(env *e, json_t *rows)
{
    srr_error err = {0};
    srr_sheets_upsert_result res;
    fake_sheets_add_tab(e->fs, "SRR");
    cr_assert_eq(upsert(e, rows, &res, &err), SRR_OK, "%s", err.msg);
    return rows;
}

Test(sheets, tab_created_once_and_rows_upserted_by_id, .timeout = 60)
{
    env e = setup();
    srr_error err = {0};
    srr_sheets_upsert_result res;
    cr_assert_eq(srr_sheets_ensure_sheet(e.sh, "SRR", &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_sheets_ensure_sheet(e.sh, "SRR", &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(fake_http_count_where(e.h, "POST", "/v4/spreadsheets/" FAKE_SHEETS_ID ":", 0), 1,
                 "addSheet once");
    json_t *rows = json_pack("[o,o,o]", record_row("SRR-1", "disk filling", "draft"),
                             record_row("SRR-2", "checkout 5xx", "open"),
                             record_row("SRR-3", "memory growth", "mitigating"));
    size_t before = fake_http_count(e.h);
    cr_assert_eq(upsert(&e, rows, &res, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(res.header_written, 1);
    cr_assert_eq(res.appended, 3);
    cr_assert_eq(res.updated, 0);
    cr_assert_eq(fake_http_count(e.h) - before, 3, "one read, one batchUpdate, one append");
    cr_assert_eq(fake_sheets_rows(e.fs, "SRR"), 4);
    for (int c = 0; c < SRR_SHEETS_NCOLS; c++)
        assert_cell(e.fs, 1, (size_t)c, srr_sheets_columns[c]);
    assert_cell(e.fs, 3, 2, "checkout 5xx");
    assert_cell(e.fs, 3, 13, "3");
    /* the same records again, one changed: rewritten in place, nothing appended */
    json_array_set_new(rows, 1, record_row("SRR-2", "checkout 5xx", "resolved"));
    before = fake_http_count(e.h);
    cr_assert_eq(upsert(&e, rows, &res, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(res.header_written, 0);
    cr_assert_eq(res.updated, 3);
    cr_assert_eq(res.appended, 0);
    cr_assert_eq(fake_http_count(e.h) - before, 2, "one read, one batchUpdate");
    cr_assert_eq(fake_sheets_rows(e.fs, "SRR"), 4);
    assert_cell(e.fs, 3, 3, "resolved");
    /* every request carried the bearer token of the verified JWT */
    cr_assert_eq(fake_http_count_where(e.h, NULL, NULL, 401), 0);
    cr_assert_eq(fake_sheets_tokens_issued(e.fs), 1);
    json_decref(rows);
    teardown(&e);
}

Test(sheets, a_row_is_found_by_id_after_a_person_resorted_the_sheet, .timeout = 60)
{
    env e = setup();
    srr_error err = {0};
    srr_sheets_upsert_result res;
    json_t *rows = seed(&e, json_pack("[o,o,o,o]", record_row("SRR-1", "a disk", "draft"),
                                      record_row("SRR-2", "b checkout", "open"),
                                      record_row("SRR-3", "c memory", "open"),
                                      record_row("SRR-4", "d queue", "draft")));
    cr_assert_eq(row_of(e.fs, "SRR-2"), 3);
    fake_sheets_person_sort(e.fs, "SRR", 2, 1); /* by Title, descending */
    cr_assert_eq(row_of(e.fs, "SRR-2"), 4, "the person's sort moved SRR-2");
    cr_assert_eq(row_of(e.fs, "SRR-4"), 2);
    json_t *one = json_pack("[o]", record_row("SRR-2", "b checkout", "accepted"));
    cr_assert_eq(upsert(&e, one, &res, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(res.updated, 1);
    cr_assert_eq(res.appended, 0);
    cr_assert_eq(fake_sheets_rows(e.fs, "SRR"), 5, "never appended twice");
    assert_cell(e.fs, 4, 0, "SRR-2");
    assert_cell(e.fs, 4, 3, "accepted");
    /* the rows around it are untouched, in the person's order */
    assert_cell(e.fs, 2, 0, "SRR-4");
    assert_cell(e.fs, 2, 3, "draft");
    assert_cell(e.fs, 3, 0, "SRR-3");
    assert_cell(e.fs, 5, 0, "SRR-1");
    json_decref(one);
    json_decref(rows);
    teardown(&e);
}

Test(sheets, a_persons_edit_is_read_back_before_writing, .timeout = 60)
{
    env e = setup();
    srr_error err = {0};
    srr_sheets_upsert_result res;
    json_t *rows = seed(&e, json_pack("[o,o]", record_row("SRR-1", "disk", "draft"),
                                      record_row("SRR-2", "checkout", "draft")));
    fake_sheets_person_sort(e.fs, "SRR", 0, 1);
    fake_sheets_person_edit(e.fs, "SRR", row_of(e.fs, "SRR-2"), 3, "open");
    fake_sheets_person_edit(e.fs, "SRR", row_of(e.fs, "SRR-2"), 5, "bob");
    json_t *table = NULL;
    size_t gets = fake_http_count_where(e.h, "GET", NULL, 0);
    cr_assert_eq(srr_sheets_read_table(e.sh, "SRR", SRR_SHEETS_NCOLS, &table, &err), SRR_OK);
    cr_assert_eq(json_array_size(table), 3);
    json_t *r2 = json_array_get(table, 1); /* sorted descending: SRR-2 first */
    cr_assert_str_eq(json_string_value(json_array_get(r2, 0)), "SRR-2");
    cr_assert_str_eq(json_string_value(json_array_get(r2, 3)), "open");
    cr_assert_str_eq(json_string_value(json_array_get(r2, 5)), "bob");
    /* the sink writes with the table it just read: no second read */
    json_array_set_new(rows, 1, record_row("SRR-2", "checkout", "open"));
    cr_assert_eq(srr_sheets_upsert(e.sh, "SRR", (const char *const *)srr_sheets_columns,
                                   SRR_SHEETS_NCOLS, rows, table, &res, &err),
                 SRR_OK, "%s", err.msg);
    cr_assert_eq(fake_http_count_where(e.h, "GET", NULL, 0), gets + 1);
    cr_assert_eq(res.updated, 2);
    assert_cell(e.fs, 2, 3, "open");
    json_decref(table);
    json_decref(rows);
    teardown(&e);
}

Test(sheets, values_starting_with_equals_are_text, .timeout = 60)
{
    env e = setup();
    srr_error err = {0};
    json_t *rows =
        seed(&e, json_pack("[o,o]", record_row("SRR-1", "=1+2", "draft"),
                           record_row("SRR-2", "=IMPORTXML(\"http://evil\",\"//a\")", "draft")));
    int formula = -1;
    char *v = fake_sheets_cell(e.fs, "SRR", 2, 2, &formula);
    cr_assert_str_eq(v, "=1+2");
    cr_assert_eq(formula, 0, "RAW keeps a leading '=' as text");
    free(v);
    v = fake_sheets_cell(e.fs, "SRR", 3, 2, &formula);
    cr_assert_eq(formula, 0);
    free(v);
    json_t *got = NULL;
    cr_assert_eq(srr_sheets_get(e.sh, "'SRR'!C2", &got, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(json_string_value(json_array_get(json_array_get(got, 0), 0)), "=1+2");
    json_decref(got);
    /* the same value sent USER_ENTERED would have been a formula */
    const char *tok = NULL;
    cr_assert_eq(srr_gtoken_get(e.tok, &tok, &err), SRR_OK);
    char *auth = srr_asprintf("Authorization: Bearer %s", tok);
    const char *hdrs[] = {auth, "Content-Type: application/json", NULL};
    char *url = srr_asprintf("%s/v4/spreadsheets/%s/values:batchUpdate", fake_sheets_url(e.fs),
                             FAKE_SHEETS_ID);
    const char *body = "{\"valueInputOption\":\"USER_ENTERED\",\"data\":[{\"range\":\"'SRR'!C9\","
                       "\"values\":[[\"=1+2\"]]}]}";
    srr_http_resp r;
    cr_assert_eq(srr_http_request(NULL, "POST", url, hdrs, body, strlen(body), &r, &err), SRR_OK);
    cr_assert_eq(r.status, 200, "%s", r.body.data);
    srr_http_resp_free(&r);
    cr_assert_eq(srr_sheets_get(e.sh, "'SRR'!C9", &got, &err), SRR_OK);
    cr_assert_str_eq(json_string_value(json_array_get(json_array_get(got, 0), 0)), "3");
    json_decref(got);
    /* and without valueInputOption the API refuses */
    body = "{\"data\":[{\"range\":\"'SRR'!C9\",\"values\":[[\"x\"]]}]}";
    srr_http_request(NULL, "POST", url, hdrs, body, strlen(body), &r, &err);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(r.body.data, "INVALID_ARGUMENT") != NULL, "%s", r.body.data);
    srr_http_resp_free(&r);
    free(url);
    free(auth);
    json_decref(rows);
    teardown(&e);
}

Test(sheets, quota_429_backs_off_without_hammering, .timeout = 60)
{
    env e = setup();
    srr_error err = {0};
    fake_sheets_add_tab(e.fs, "SRR");
    fake_sheets_set_quota(e.fs, 100, 2, 2000);
    json_t *data = json_pack("[{s:s, s:[[s]]}]", "range", "'SRR'!A1", "values", "x");
    int ok = 0, retried = 0;
    int64_t deadline = srr_http_now_ms() + 40000;
    while (ok < 4 || !retried) { /* until a 429 was met and writes went on after it */
        srr_rc rc = srr_sheets_batch_update(e.sh, data, &err);
        cr_assert(rc == SRR_OK || rc == SRR_RETRY, "%s", err.msg);
        if (rc == SRR_OK) {
            ok++;
            continue;
        }
        retried++;
        cr_assert(srr_http_now_ms() < deadline);
        /* blocked: another call leaves nothing on the wire */
        size_t sent = fake_http_count(e.h);
        cr_assert_eq(srr_sheets_batch_update(e.sh, data, &err), SRR_RETRY);
        cr_assert_eq(fake_http_count(e.h), sent);
        wait_ready(e.sh);
    }
    cr_assert_geq(fake_sheets_over_quota(e.fs), 1);
    /* after every 429 the next request waited at least the first backoff step */
    size_t n = fake_http_count(e.h);
    for (size_t i = 0; i + 1 < n; i++) {
        fake_http_entry a, b;
        fake_http_entry_get(e.h, i, &a);
        fake_http_entry_get(e.h, i + 1, &b);
        if (a.status == 429) {
            cr_assert(strstr(a.path, "values:batchUpdate") != NULL);
            cr_assert_geq(b.at_ms - a.at_ms, 1000, "request %zu came too soon after a 429", i + 1);
        }
        fake_http_entry_free(&a);
        fake_http_entry_free(&b);
    }
    cr_assert_gt(retried, 0);
    json_decref(data);
    teardown(&e);
}

Test(sheets, an_expired_token_is_refreshed_once, .timeout = 60)
{
    env e = setup();
    srr_error err = {0};
    json_t *got = NULL;
    cr_assert_eq(srr_sheets_get(e.sh, "Sheet1!A1:B2", &got, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(json_array_size(got), 0);
    json_decref(got);
    fake_sheets_expire_tokens(e.fs);
    cr_assert_eq(srr_sheets_get(e.sh, "Sheet1!A1:B2", &got, &err), SRR_OK, "%s", err.msg);
    json_decref(got);
    cr_assert_eq(fake_sheets_tokens_issued(e.fs), 2);
    cr_assert_eq(fake_http_count_where(e.h, "GET", NULL, 401), 1);
    teardown(&e);
}

Test(sheets, outage_then_recovery_loses_nothing_and_appends_nothing_twice, .timeout = 60)
{
    env e = setup();
    srr_error err = {0};
    srr_sheets_upsert_result res;
    fake_sheets_add_tab(e.fs, "SRR");
    json_t *rows = json_pack("[o,o]", record_row("SRR-1", "disk", "draft"),
                             record_row("SRR-2", "checkout", "open"));
    cr_assert_eq(srr_gtoken_get(e.tok, &(const char *){NULL}, &err), SRR_OK);
    fake_http_set_outage(e.h, 503,
                         "{\"error\":{\"code\":503,\"message\":\"The service is currently "
                         "unavailable.\",\"status\":\"UNAVAILABLE\"}}",
                         0);
    cr_assert_eq(upsert(&e, rows, &res, &err), SRR_RETRY);
    cr_assert(strstr(err.msg, "UNAVAILABLE") != NULL, "%s", err.msg);
    wait_ready(e.sh);
    fake_http_set_outage(e.h, -1, NULL, 0); /* then connections reset */
    cr_assert_eq(upsert(&e, rows, &res, &err), SRR_RETRY);
    fake_http_set_outage(e.h, 0, NULL, 0);
    for (int i = 0; i < 2; i++) { /* delivered, then delivered again: still two rows */
        wait_ready(e.sh);
        cr_assert_eq(upsert(&e, rows, &res, &err), SRR_OK, "%s", err.msg);
    }
    cr_assert_eq(fake_sheets_rows(e.fs, "SRR"), 3);
    cr_assert_eq(row_of(e.fs, "SRR-1"), 2);
    cr_assert_eq(row_of(e.fs, "SRR-2"), 3);
    json_decref(rows);
    teardown(&e);
}

Test(sheets, permanent_errors_are_permanent, .timeout = 60)
{
    env e = setup();
    srr_error err = {0};
    json_t *got = NULL;
    cr_assert_eq(srr_sheets_get(e.sh, "'No such tab'!A1", &got, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "400 INVALID_ARGUMENT") != NULL, "%s", err.msg);
    cr_assert_eq(srr_sheets_retry_at_ms(e.sh), 0, "a permanent error does not block");
    srr_sheets_opts o = {0};
    srr_sheets *other = NULL;
    o.api_url = fake_sheets_url(e.fs);
    o.spreadsheet_id = "1NotShared";
    o.token = e.tok;
    cr_assert_eq(srr_sheets_create(&o, &other, &err), SRR_OK);
    cr_assert_eq(srr_sheets_get(other, "Sheet1!A1", &got, &err), SRR_ENOTFOUND);
    srr_sheets_destroy(&other);
    /* rows that are not the declared width never leave */
    json_t *bad = json_pack("[[s,s]]", "SRR-1", "x");
    srr_sheets_upsert_result res;
    size_t before = fake_http_count(e.h);
    cr_assert_eq(upsert(&e, bad, &res, &err), SRR_EINVAL);
    cr_assert_eq(fake_http_count(e.h), before);
    json_decref(bad);
    teardown(&e);
}

Test(sheets, ranges_are_quoted)
{
    char *r = srr_sheets_range("SRR", 0, 2, 13, 2);
    cr_assert_str_eq(r, "'SRR'!A2:N2");
    free(r);
    r = srr_sheets_range("Team's list", 0, 1, 27, 0);
    cr_assert_str_eq(r, "'Team''s list'!A1:AB");
    free(r);
}

Test(sheets_config, table_and_open, .timeout = 60)
{
    const tu_sa_key *k = tu_sa_key_get(FAKE_SHEETS_EMAIL, "x");
    fake_sheets *fs = fake_sheets_start(k->pub_pem);
    char *dir = tu_mkdtemp();
    char *keyp = tu_sa_key_write(dir, "sa.json", FAKE_SHEETS_EMAIL, fake_sheets_token_url(fs));
    free(keyp);
    char *yaml = srr_asprintf("sheets:\n  credentials_file: sa.json\n  spreadsheet_id: %s\n"
                              "  api_url: %s\n  min_interval: 0s\n",
                              FAKE_SHEETS_ID, fake_sheets_url(fs));
    char *cfgpath = tu_write_file(dir, "srr.yaml", yaml);
    srr_config *cfg = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_config_load(cfgpath, &cfg, &err), SRR_OK, "%s", err.msg);
    srr_sheets_config *c = NULL;
    cr_assert_eq(srr_sheets_config_load(cfg, &c, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(c->sheet, "SRR");
    cr_assert(strstr(c->credentials_file, dir) == c->credentials_file, "%s", c->credentials_file);
    cr_assert_null(c->token_url);
    srr_gtoken *tok = NULL;
    srr_sheets *sh = NULL;
    cr_assert_eq(srr_sheets_config_open(c, &tok, &sh, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_sheets_ensure_sheet(sh, c->sheet, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(fake_sheets_rows(fs, "SRR"), 0);
    cr_assert_eq(fake_sheets_tokens_issued(fs), 1, "the key file's token_uri was used");
    srr_sheets_destroy(&sh);
    srr_gtoken_destroy(&tok);
    srr_sheets_config_free(&c);
    srr_config_destroy(cfg);
    free(cfgpath);
    free(yaml);

    const char *bad = "sheets:\n  credentials_file: sa.json\n";
    cr_assert_eq(srr_config_parse("t.yaml", bad, strlen(bad), &cfg, &err), SRR_OK);
    cr_assert_eq(srr_sheets_config_load(cfg, &c, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "t.yaml:2:3: sheets: spreadsheet_id is required") != NULL, "%s",
              err.msg);
    srr_config_destroy(cfg);
    tu_rmdir_r(dir);
    free(dir);
    fake_sheets_stop(&fs);
}

/* ---- a record as a row, and a person's edits (sinks/record_views.c) ------------------ */

typedef struct edits {
    char got[8][96];
    size_t n;
} edits;

static void note_edit(void *ud, const srr_sheets_edit *e)
{
    edits *x = ud;
    if (x->n < 8)
        snprintf(x->got[x->n++], 96, "%s row %ld col %zu: %s -> %s", e->id, e->row, e->col, e->was,
                 e->now);
}

Test(sheets, record_rows_and_edits_read_back, .timeout = 60)
{
    env e = setup();
    srr_error err = {0};
    srr_sheets_upsert_result res;
    fake_sheets_add_tab(e.fs, "SRR");
    json_t *recs[2] = {
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:s, s:s, s:s, s:i, s:s}", "id", "SRR-1", "kind",
                  "risk", "title", "=HYPERLINK(\"http://x\")", "status", "draft", "urgency", "high",
                  "assignee", "service", "db", "first_seen", "2026-11-01T10:00:00Z", "last_seen",
                  "2026-11-28T12:00:00Z", "occurrences", 4, "next_review_at",
                  "2027-02-01T00:00:00Z"),
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", "SRR-2", "kind", "risk", "title", "queue",
                  "status", "open", "urgency", "low", "assignee", "alice")};
    json_t *rows = json_array(), *written = json_object();
    for (int i = 0; i < 2; i++) {
        json_t *row = srr_sheets_row(recs[i]);
        cr_assert_eq(json_array_size(row), SRR_SHEETS_NCOLS);
        json_array_append(rows, row);
        json_object_set_new(written, json_string_value(json_array_get(row, 0)), row);
    }
    cr_assert_str_eq(json_string_value(json_array_get(json_array_get(rows, 0), 10)), "2027-02-01");
    cr_assert_eq(json_integer_value(json_array_get(json_array_get(rows, 0), 13)), 4);
    cr_assert_eq(upsert(&e, rows, &res, &err), SRR_OK, "%s", err.msg);
    int formula = 1;
    char *v = fake_sheets_cell(e.fs, "SRR", 2, 2, &formula);
    cr_assert_str_eq(v, "=HYPERLINK(\"http://x\")");
    cr_assert_eq(formula, 0);
    free(v);
    /* a person sorts, approves SRR-1 in the sheet and takes SRR-2 */
    fake_sheets_person_sort(e.fs, "SRR", 0, 1);
    fake_sheets_person_edit(e.fs, "SRR", row_of(e.fs, "SRR-1"), 3, "open");
    fake_sheets_person_edit(e.fs, "SRR", row_of(e.fs, "SRR-2"), 5, "bob");
    fake_sheets_person_edit(e.fs, "SRR", 9, 0, "NOT-SRR"); /* a person's own row */
    fake_sheets_person_edit(e.fs, "SRR", 9, 3, "whatever");
    json_t *table = NULL;
    cr_assert_eq(srr_sheets_read_table(e.sh, "SRR", SRR_SHEETS_NCOLS, &table, &err), SRR_OK);
    const size_t watch[] = {3, 5}; /* Status, Assignee */
    edits x = {0};
    cr_assert_eq(srr_sheets_edits(table, written, watch, 2, note_edit, &x), 2);
    cr_assert_str_eq(x.got[0], "SRR-2 row 2 col 5: alice -> bob");
    cr_assert_str_eq(x.got[1], "SRR-1 row 3 col 3: draft -> open");
    json_decref(table);
    json_decref(written);
    json_decref(rows);
    json_decref(recs[0]);
    json_decref(recs[1]);
    teardown(&e);
}
