/* SPDX-License-Identifier: Apache-2.0
 *
 * test_sheets_sink.c - the Google Sheet mirror (sinks/sheets.c) through
 * the outbox against the fake Google (tests/support/fake_sheets.c: a token
 * endpoint that verifies the JWT's RS256 signature with the service
 * account's public key, Sheets v4 with RAW/USER_ENTERED, per-minute read
 * and write quotas answered 429 RESOURCE_EXHAUSTED, a person who edits
 * cells and sorts rows): one row per record under a header written once, a
 * pass that is one read and at most two writes, a title starting with '='
 * stored as text, rows updated in place wherever a person sorted them,
 * Status and Assignee edited in the sheet applied through the workflow and
 * a refused one put back with a note, the quota honoured, an outage that
 * delays and loses nothing, and a refused row parked and visible in the
 * status.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_sheets.h"
#include "outbox.h"
#include "outbox_store.h"
#include "sink_harness.h"
#include "sa_key.h"
#include "store.h"
#include "store_fixtures.h"
#include "testutil.h"
#include "workflow.h"

#define TAB "SRR"
#define C_ID 0
#define C_TITLE 2
#define C_STATUS 3
#define C_ASSIGNEE 5
#define C_NOTE 14

static sink_harness g_h;
static fake_sheets *g_fs;

static void setup(void)
{
    const tu_sa_key *k;
    char *p;
    sh_open(&g_h);
    k = tu_sa_key_get(FAKE_SHEETS_EMAIL, "later");
    g_fs = fake_sheets_start(k->pub_pem);
    cr_assert_not_null(g_fs);
    p = tu_sa_key_write(g_h.dir, "sa.json", FAKE_SHEETS_EMAIL, fake_sheets_token_url(g_fs));
    free(p);
}

static void teardown(void)
{
    sh_close(&g_h);
    fake_sheets_stop(&g_fs);
}

TestSuite(sheets_sink, .init = setup, .fini = teardown, .timeout = 120);

static void configure(void)
{
    char *yaml = srr_asprintf("store:\n  path: srr.db\n"
                              "team:\n  members: [alice, bob]\n"
                              "sync:\n  interval: 1s\n  max_backoff: 2s\n"
                              "sheets:\n  credentials_file: sa.json\n  spreadsheet_id: %s\n"
                              "  api_url: %s\n  min_interval: 0s\n  poll_every: 1s\n",
                              FAKE_SHEETS_ID, fake_sheets_url(g_fs));
    sh_load_file(&g_h, yaml);
    free(yaml);
}

static void apply_titled(const char *cand, const char *fp, srr_action a, const char *title)
{
    sh_apply(&g_h, cand, fp, a, srr_now(), title);
}

static void apply(const char *cand, const char *fp, srr_action a)
{
    apply_titled(cand, fp, a, NULL);
}

#define PASS_UNTIL(cond) SH_PASS_UNTIL(&g_h, cond, 150)

/* The sheet row (1-based) whose ID is `id`, 0 when none. */
static size_t row_of(const char *id)
{
    return fake_sheets_row_with(g_fs, TAB, C_ID, id);
}

static int cell_is(const char *id, size_t col, const char *want)
{
    size_t r = row_of(id);
    char *v = r ? fake_sheets_cell(g_fs, TAB, r, col, NULL) : NULL;
    int eq = v && strcmp(v, want) == 0;
    free(v);
    return eq;
}

static int cell_has(const char *id, size_t col, const char *needle)
{
    size_t r = row_of(id);
    char *v = r ? fake_sheets_cell(g_fs, TAB, r, col, NULL) : NULL;
    int has = v && strstr(v, needle) != NULL;
    free(v);
    return has;
}

/* Rows holding `id` (never more than one). */
static size_t rows_with(const char *id)
{
    return fake_sheets_count_with(g_fs, TAB, C_ID, id);
}

Test(sheets_sink, one_row_per_record_under_a_header_written_once)
{
    char *h;
    int formula = -1;
    size_t writes;
    fake_http *http;
    configure();
    apply("c1", "fp-a", SRR_ACTION_RISK);
    apply_titled("c2", "fp-b", SRR_ACTION_RISK, "=HYPERLINK(\"http://evil.example\",\"x\")");
    apply("b1", "fp-disk", SRR_ACTION_BACKLOG);
    apply("i1", "fp-inv", SRR_ACTION_INVESTIGATE);
    srr_sync_stats st = sh_pass_at(&g_h, srr_now());
    cr_assert_eq(st.delivered, 4);
    cr_assert_eq(fake_sheets_tokens_issued(g_fs), 1, "a JWT the fake verified");
    cr_assert_eq(fake_sheets_grants_refused(g_fs), 0);
    cr_assert_eq(fake_sheets_rows(g_fs, TAB), 5, "the header and four records");
    h = fake_sheets_cell(g_fs, TAB, 1, 0, NULL);
    cr_assert_str_eq(h, "ID");
    free(h);
    h = fake_sheets_cell(g_fs, TAB, 1, C_NOTE, NULL);
    cr_assert_str_eq(h, "srr note");
    free(h);
    cr_assert(cell_is("SRR-1", C_STATUS, "draft"));
    cr_assert(cell_is("BL-1", 1, "backlog"));
    cr_assert(cell_is("INV-1", 1, "investigation"));
    {
        size_t r = row_of("SRR-2");
        char *t = fake_sheets_cell(g_fs, TAB, r, C_TITLE, &formula);
        cr_assert_str_eq(t, "=HYPERLINK(\"http://evil.example\",\"x\")");
        cr_assert_eq(formula, 0, "RAW: a leading '=' is text, not a formula");
        free(t);
    }
    /* A change: rewritten in place, one read and at most two writes. */
    http = fake_sheets_http(g_fs);
    writes =
        fake_http_count_where(http, "POST", NULL, 0) + fake_http_count_where(http, "PUT", NULL, 0);
    {
        srr_wf_req r;
        srr_error err = {0};
        memset(&r, 0, sizeof(r));
        r.actor = "alice";
        r.now = srr_now();
        cr_assert_eq(srr_wf_risk(g_h.st, "approve", "SRR-1", &r, NULL, &err), SRR_OK, "%s",
                     err.msg);
    }
    size_t gets = fake_http_count_where(http, "GET", NULL, 0);
    sh_pass_at(&g_h, srr_now() + 1);
    cr_assert(cell_is("SRR-1", C_STATUS, "open"));
    cr_assert_eq(fake_sheets_rows(g_fs, TAB), 5);
    cr_assert_leq(fake_http_count_where(http, "GET", NULL, 0) - gets, 1, "one read");
    cr_assert_leq(fake_http_count_where(http, "POST", NULL, 0) +
                      fake_http_count_where(http, "PUT", NULL, 0) - writes,
                  2, "at most two writes");
    h = fake_sheets_cell(g_fs, TAB, 1, 0, NULL);
    cr_assert_str_eq(h, "ID", "the header stays, written once");
    free(h);
}

Test(sheets_sink, rows_are_found_by_id_whatever_the_sort)
{
    srr_wf_req r;
    srr_error err = {0};
    configure();
    apply("c1", "fp-a", SRR_ACTION_RISK);
    apply("c2", "fp-b", SRR_ACTION_RISK);
    apply("c3", "fp-c", SRR_ACTION_RISK);
    sh_pass_at(&g_h, srr_now());
    cr_assert_eq(row_of("SRR-1"), 2);
    fake_sheets_person_sort(g_fs, TAB, C_TITLE, 1); /* a person sorts by title, descending */
    cr_assert_eq(row_of("SRR-1"), 4);
    memset(&r, 0, sizeof(r));
    r.actor = "alice";
    r.now = srr_now();
    cr_assert_eq(srr_wf_risk(g_h.st, "approve", "SRR-1", &r, NULL, &err), SRR_OK, "%s", err.msg);
    apply("c4", "fp-d", SRR_ACTION_RISK);
    sh_pass_at(&g_h, srr_now() + 2);
    cr_assert_eq(row_of("SRR-1"), 4, "updated where it is now");
    cr_assert(cell_is("SRR-1", C_STATUS, "open"));
    cr_assert(cell_is("SRR-3", C_STATUS, "draft"), "the others untouched");
    cr_assert_eq(rows_with("SRR-1"), 1);
    cr_assert_eq(row_of("SRR-4"), 5, "a new record is appended");
    cr_assert_eq(fake_sheets_rows(g_fs, TAB), 5);
}

Test(sheets_sink, status_and_assignee_edited_in_the_sheet_come_back)
{
    configure();
    apply("c1", "fp-a", SRR_ACTION_RISK);
    apply("c2", "fp-b", SRR_ACTION_RISK);
    apply("c3", "fp-c", SRR_ACTION_RISK);
    sh_pass_at(&g_h, srr_now());
    fake_sheets_person_edit(g_fs, TAB, row_of("SRR-1"), C_STATUS, "Open");     /* approves */
    fake_sheets_person_edit(g_fs, TAB, row_of("SRR-2"), C_ASSIGNEE, "bob");    /* assigns */
    fake_sheets_person_edit(g_fs, TAB, row_of("SRR-3"), C_STATUS, "resolved"); /* not allowed */
    PASS_UNTIL(sh_q(&g_h, "SELECT count(*) FROM risks WHERE id = 1 AND status = 'open'") == 1 &&
               sh_q(&g_h, "SELECT count(*) FROM risks WHERE id = 2 AND assignee = 'bob'") == 1 &&
               cell_is("SRR-3", C_STATUS, "draft"));
    cr_assert_eq(sh_q(&g_h,
                      "SELECT count(*) FROM audit WHERE record_kind = 'risk' AND record_id = 1"
                      " AND action = 'approve' AND actor = 'sheets'"),
                 1, "audited");
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM risks WHERE id = 3 AND status = 'draft'"), 1);
    cr_assert_eq(sh_q(&g_h,
                      "SELECT count(*) FROM audit WHERE record_kind = 'risk' AND record_id = 3"
                      " AND action = 'sync-refused'"),
                 1, "the refusal is audited");
    cr_assert(cell_has("SRR-3", C_NOTE, "'resolved' was not taken"), "the row says why");
    cr_assert(cell_is("SRR-1", C_STATUS, "open"), "srr's own spelling written back");
    /* Later passes neither apply nor refuse them again. */
    sh_pass_at(&g_h, srr_now() + 30);
    sh_pass_at(&g_h, srr_now() + 60);
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM audit WHERE action = 'sync-refused'"), 1);
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM audit WHERE action = 'approve'"), 1);
}

Test(sheets_sink, the_quota_is_honoured_and_nothing_is_written_twice)
{
    char cand[16], fp[16];
    configure();
    fake_sheets_set_quota(g_fs, 3, 3, 2000); /* three reads and three writes per 2 s */
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 5; i++) {
            snprintf(cand, sizeof(cand), "c%d-%d", round, i);
            snprintf(fp, sizeof(fp), "fp-%d", round * 5 + i);
            apply(cand, fp, SRR_ACTION_RISK);
        }
        sh_pass_at(&g_h, srr_now() + round);
    }
    PASS_UNTIL(
        sh_q(&g_h, "SELECT count(*) FROM sync_state WHERE sink = 'sheets' AND delivered_seq > 0") ==
        20);
    cr_assert_gt(fake_sheets_over_quota(g_fs), 0, "the quota was reached");
    cr_assert_eq(fake_sheets_rows(g_fs, TAB), 21, "every record once");
    for (int i = 1; i <= 20; i++) {
        char id[16];
        snprintf(id, sizeof(id), "SRR-%d", i);
        cr_assert_eq(rows_with(id), 1, "%s", id);
    }
}

Test(sheets_sink, an_outage_delays_and_loses_nothing_and_a_refusal_is_parked)
{
    json_t *st = NULL, *parked;
    srr_error err = {0};
    configure();
    apply("c1", "fp-a", SRR_ACTION_RISK);
    fake_http_set_outage(
        fake_sheets_http(g_fs), 503,
        "{\"error\":{\"code\":503,\"message\":\"down\",\"status\":\"UNAVAILABLE\"}}", 0);
    sh_pass_at(&g_h, srr_now());
    cr_assert_eq(fake_sheets_rows(g_fs, TAB), 0);
    apply("c2", "fp-b", SRR_ACTION_RISK);
    fake_http_set_outage(fake_sheets_http(g_fs), 0, NULL, 0);
    PASS_UNTIL(row_of("SRR-1") && row_of("SRR-2"));
    cr_assert_eq(fake_sheets_rows(g_fs, TAB), 3);
    /* Google refuses a row (a cell over 50,000 characters): that record is
     * parked, visible, and the others of its batch are written. */
    {
        char *huge = malloc(60001);
        memset(huge, 'x', 60000);
        huge[60000] = '\0';
        apply_titled("c3", "fp-c", SRR_ACTION_RISK, huge);
        free(huge);
    }
    apply("c4", "fp-d", SRR_ACTION_RISK);
    PASS_UNTIL(row_of("SRR-4"));
    cr_assert_eq(sh_q(&g_h,
                      "SELECT count(*) FROM sync_state WHERE sink = 'sheets' AND record_id = 3"
                      " AND parked_seq IS NOT NULL"),
                 1);
    cr_assert_eq(srr_sync_status(g_h.sync, g_h.st, &st, &err), SRR_OK);
    parked = json_object_get(json_array_get(json_object_get(st, "sinks"), 0), "parked");
    cr_assert_eq(json_array_size(parked), 1);
    cr_assert(strstr(json_string_value(json_object_get(json_array_get(parked, 0), "reason")),
                     "50000 characters"));
    json_decref(st);
    cr_assert_eq(row_of("SRR-3"), 0);
    cr_assert_eq(rows_with("SRR-1") + rows_with("SRR-2") + rows_with("SRR-4"), 3);
}
