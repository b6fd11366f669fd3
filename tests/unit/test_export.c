/* SPDX-License-Identifier: Apache-2.0
 *
 * test_export.c - exports: the CSV goes through a strict RFC 4180 parser
 * written here (quoted fields, doubled quotes, CRLF records, the same
 * number of fields on every row) and every value comes back as stored,
 * commas, quotes, line breaks and UTF-8 included, with the one documented
 * change (a leading ' on a cell a spreadsheet would read as a formula); the
 * columns Notion and Sheets need (title first, labels, people as emails,
 * owner); then the binary writes CSV, JSON and one Markdown page per
 * record, and shows and filters labels.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "rules.h"
#include "store.h"
#include "store_fixtures.h"
#include "testutil.h"
#include "workflow.h"

#define T0 1764331200 /* 2025-11-28T12:00:00Z */

SF_STORE_SUITE(export);

/* ---- a strict RFC 4180 parser ------------------------------------------- */

typedef struct csv {
    char ***rows; /* rows[i][j], NUL-terminated fields */
    size_t *nfields;
    size_t nrows;
} csv;

static void csv_free(csv *c)
{
    size_t i, j;
    for (i = 0; i < c->nrows; i++) {
        for (j = 0; j < c->nfields[i]; j++)
            free(c->rows[i][j]);
        free(c->rows[i]);
    }
    free(c->rows);
    free(c->nfields);
}

/* Parses text; fails the test on anything RFC 4180 does not allow
 * (a quote inside an unquoted field, text after a closing quote, a bare
 * CR or LF as a record end, a missing final CRLF). */
static void csv_parse(const char *s, csv *out)
{
    size_t i = 0, n = strlen(s);
    memset(out, 0, sizeof(*out));
    while (i < n) {
        char **fields = NULL;
        size_t nf = 0;
        for (;;) {
            srr_buf f;
            srr_buf_init(&f, 0);
            srr_buf_append(&f, "", 0);
            if (s[i] == '"') {
                i++;
                for (;;) {
                    cr_assert(i < n, "unterminated quoted field");
                    if (s[i] == '"' && s[i + 1] == '"') {
                        srr_buf_append(&f, "\"", 1);
                        i += 2;
                    } else if (s[i] == '"') {
                        i++;
                        break;
                    } else {
                        srr_buf_append(&f, &s[i], 1);
                        i++;
                    }
                }
            } else {
                while (i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
                    cr_assert(s[i] != '"', "quote inside an unquoted field at %zu", i);
                    srr_buf_append(&f, &s[i], 1);
                    i++;
                }
            }
            fields = srr_realloc(fields, (nf + 1) * sizeof(*fields));
            fields[nf++] = srr_buf_steal(&f);
            srr_buf_free(&f);
            if (s[i] == ',') {
                i++;
                continue;
            }
            cr_assert(s[i] == '\r' && s[i + 1] == '\n', "record must end with CRLF at %zu", i);
            i += 2;
            break;
        }
        out->rows = srr_realloc(out->rows, (out->nrows + 1) * sizeof(*out->rows));
        out->nfields = srr_realloc(out->nfields, (out->nrows + 1) * sizeof(*out->nfields));
        out->rows[out->nrows] = fields;
        out->nfields[out->nrows] = nf;
        out->nrows++;
    }
}

static size_t col(const csv *c, const char *header)
{
    size_t j;
    for (j = 0; j < c->nfields[0]; j++)
        if (strcmp(c->rows[0][j], header) == 0)
            return j;
    cr_assert_fail("no column %s", header);
    return 0;
}

/* ---- tests ---------------------------------------------------------------- */

static const char *TITLE_TRICKY = "5xx, \"bad gateway\" on checkout — 日本語 ✓";
static const char *CAUSE_TRICKY = "line one, with a comma\r\nline \"two\"\nline three";
static const char *POLICY_FORMULA = "=HYPERLINK(\"http://evil\")";

static void seed_tricky(void)
{
    srr_candidate c;
    srr_error err = {0};
    srr_wf_req r;
    const char *sets[3];
    char *cause = srr_asprintf("cause=%s", CAUSE_TRICKY);
    char *policy = srr_asprintf("policy=%s", POLICY_FORMULA);
    sf_candidate(&c, "c1", "fp-1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    free(c.title);
    c.title = srr_strdup(TITLE_TRICKY);
    cr_assert_eq(srr_store_apply(g_st, &c, 1, T0, NULL, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);
    sf_candidate(&c, "c2", "fp-2", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0 + 60);
    cr_assert_eq(srr_store_apply(g_st, &c, 1, T0 + 60, NULL, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);
    sf_candidate(&c, "c3", "fp-3", SRR_ACTION_BACKLOG, SRR_STATUS_FIRING, T0 + 120);
    cr_assert_eq(srr_store_apply(g_st, &c, 1, T0 + 120, NULL, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);

    memset(&r, 0, sizeof(r));
    r.actor = "zoë";
    r.now = T0 + 3600;
    r.assignee = "bob";
    cr_assert_eq(srr_wf_risk(g_st, "approve", "SRR-1", &r, NULL, &err), SRR_OK, "%s", err.msg);
    sets[0] = cause;
    sets[1] = policy;
    sets[2] = "backlog=https://jira.example/B-1?a=1,2";
    r.sets = sets;
    r.nsets = 3;
    cr_assert_eq(srr_wf_risk(g_st, "set", "SRR-1", &r, NULL, &err), SRR_OK, "%s", err.msg);
    r.sets = NULL;
    r.nsets = 0;
    r.section = "countermeasure";
    r.text = "first, \"quoted\" step";
    cr_assert_eq(srr_wf_risk(g_st, "log", "SRR-1", &r, NULL, &err), SRR_OK, "%s", err.msg);
    r.text = "second step";
    cr_assert_eq(srr_wf_risk(g_st, "log", "SRR-1", &r, NULL, &err), SRR_OK, "%s", err.msg);
    free(cause);
    free(policy);
}

Test(export, csv_round_trips_through_an_rfc4180_parser)
{
    json_t *recs = NULL;
    srr_error err = {0};
    char *text;
    csv c;
    size_t i, j;
    seed_tricky();
    cr_assert_eq(srr_export_collect(g_st, "all", NULL, &recs, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(json_array_size(recs), 3);
    text = srr_export_csv(recs, NULL);
    csv_parse(text, &c);
    cr_assert_eq(c.nrows, 4); /* header + 3 records */
    for (j = 0; srr_export_csv_header(j); j++)
        cr_assert_str_eq(c.rows[0][j], srr_export_csv_header(j));
    cr_assert_str_eq(c.rows[0][0], "Title", "Notion makes the first column the page title");
    for (i = 0; i < c.nrows; i++)
        cr_assert_eq(c.nfields[i], j, "row %zu has %zu fields, want %zu", i, c.nfields[i], j);

    cr_assert_str_eq(c.rows[1][col(&c, "ID")], "SRR-1");
    cr_assert_str_eq(c.rows[2][col(&c, "ID")], "SRR-2");
    cr_assert_str_eq(c.rows[3][col(&c, "ID")], "BL-1");
    cr_assert_str_eq(c.rows[3][col(&c, "Kind")], "backlog");
    cr_assert_str_eq(c.rows[1][col(&c, "Title")], TITLE_TRICKY);
    cr_assert_str_eq(c.rows[1][col(&c, "Cause")], CAUSE_TRICKY);
    cr_assert_str_eq(c.rows[1][col(&c, "Backlog link")], "https://jira.example/B-1?a=1,2");
    cr_assert_str_eq(c.rows[1][col(&c, "Status")], "mitigating"); /* a countermeasure */
    cr_assert_str_eq(c.rows[1][col(&c, "Assignee")], "bob");
    cr_assert_str_eq(c.rows[1][col(&c, "Approved by")], "zoë");
    cr_assert_str_eq(c.rows[1][col(&c, "Approved at")], "2025-11-28 13:00:00");
    cr_assert_str_eq(c.rows[1][col(&c, "Created")], "2025-11-28 12:00:00");
    cr_assert_str_eq(c.rows[1][col(&c, "Occurrences")], "1");
    cr_assert_str_eq(c.rows[1][col(&c, "Countermeasure log")],
                     "2025-11-28 13:00:00 (zoë) first, \"quoted\" step\n"
                     "2025-11-28 13:00:00 (zoë) second step");
    /* the one documented change: no formula can run in a spreadsheet */
    cr_assert_eq(c.rows[1][col(&c, "Countermeasure policy")][0], '\'');
    cr_assert_str_eq(c.rows[1][col(&c, "Countermeasure policy")] + 1, POLICY_FORMULA);
    /* every other text cell equals the stored value */
    for (i = 0; i < json_array_size(recs); i++) {
        const json_t *r = json_array_get(recs, i);
        cr_assert_str_eq(c.rows[i + 1][col(&c, "Overview")],
                         json_string_value(json_object_get(r, "overview")));
        cr_assert_str_eq(c.rows[i + 1][col(&c, "Datadog URL")],
                         json_string_value(json_object_get(r, "datadog_url")));
    }
    csv_free(&c);
    free(text);
    json_decref(recs);

    cr_assert_eq(srr_export_collect(g_st, "risks", "mitigating", &recs, &err), SRR_OK);
    cr_assert_eq(json_array_size(recs), 1);
    json_decref(recs);
    cr_assert_eq(srr_export_collect(g_st, "people", NULL, &recs, &err), SRR_EINVAL);
}

/* What a Notion database or a Google Sheet needs from the CSV: the title
 * first, the policy's labels in one cell, people as emails where the team
 * config has them (the assignee, the approver, the service's owners), and
 * the formula guard only on cells a spreadsheet would evaluate. The labels
 * come from a policy the store decides with; the binary shows and filters
 * them. */
Test(export, notion_and_sheets_columns)
{
    const char *yaml = "checks:\n  - {name: worker-rss, source: metrics, query: q,"
                       " when: 'growth > 10%/week'}\n"
                       "policy:\n  rules:\n    - name: leaks\n      match: {check: worker-rss}\n"
                       "      action: risk\n      labels: [capacity, memory leak]\n"
                       "  default: {action: risk}\n"
                       "team:\n  members: [alice, bob]\n  owners: {worker: 'alice, bob'}\n"
                       "  emails: {alice: alice@example.com}\n";
    const char *sets[] = {"cause=-12", "next=- first step\n- second step", "policy=-2+3",
                          "title=@SUM(1+1)"};
    srr_config *cfg = NULL;
    srr_ruleset *rs = NULL;
    srr_error err = {0};
    srr_candidate c;
    srr_wf_req r;
    json_t *recs = NULL;
    char *text;
    csv t;
    cr_assert_eq(srr_config_parse("t.yaml", yaml, strlen(yaml), &cfg, &err), SRR_OK, "%s",
                 err.msg);
    cr_assert_eq(srr_rules_compile(cfg, &rs, &err), SRR_OK, "%s", err.msg);
    srr_store_set_rules(g_st, rs);
    sf_candidate(&c, "c1", "fp-1", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    cr_assert_eq(srr_store_apply(g_st, &c, 1, T0, NULL, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);
    srr_store_set_rules(g_st, NULL);
    memset(&r, 0, sizeof(r));
    r.actor = "bob";
    r.now = T0 + 60;
    r.assignee = "alice";
    cr_assert_eq(srr_wf_risk(g_st, "approve", "SRR-1", &r, NULL, &err), SRR_OK, "%s", err.msg);
    r.assignee = NULL;
    r.sets = sets;
    r.nsets = 4;
    cr_assert_eq(srr_wf_risk(g_st, "set", "SRR-1", &r, NULL, &err), SRR_OK, "%s", err.msg);

    cr_assert_eq(srr_export_collect(g_st, "risks", NULL, &recs, &err), SRR_OK, "%s", err.msg);
    text = srr_export_csv(recs, &cfg->team);
    csv_parse(text, &t);
    cr_assert_str_eq(t.rows[0][0], "Title");
    cr_assert_str_eq(t.rows[1][col(&t, "Labels")], "capacity, memory leak");
    cr_assert_str_eq(t.rows[1][col(&t, "Assignee")], "alice@example.com");
    cr_assert_str_eq(t.rows[1][col(&t, "Owner")], "alice@example.com, bob");
    cr_assert_str_eq(t.rows[1][col(&t, "Approved by")], "bob");
    /* guarded: what a spreadsheet would evaluate */
    cr_assert_str_eq(t.rows[1][col(&t, "Title")], "'@SUM(1+1)");
    cr_assert_str_eq(t.rows[1][col(&t, "Countermeasure policy")], "'-2+3");
    /* left alone: numbers and bullet lists */
    cr_assert_str_eq(t.rows[1][col(&t, "Cause")], "-12");
    cr_assert_str_eq(t.rows[1][col(&t, "Next action")], "- first step\n- second step");
    csv_free(&t);
    free(text);
    /* Without the team config, people stay names and nobody owns it. */
    text = srr_export_csv(recs, NULL);
    csv_parse(text, &t);
    cr_assert_str_eq(t.rows[1][col(&t, "Assignee")], "alice");
    cr_assert_str_eq(t.rows[1][col(&t, "Owner")], "");
    csv_free(&t);
    free(text);
    cr_assert_eq(json_array_size(json_object_get(json_array_get(recs, 0), "labels")), 2);
    json_decref(recs);
    srr_rules_destroy(rs);

    /* The binary shows the labels and filters by them. */
    srr_store_close(&g_st);
    {
        char *cpath = tu_write_file(g_dir, "srr.yaml", "store:\n  path: srr.db\n");
        const char *show[] = {SRR_BIN, "risks", "show", "SRR-1", "-c", cpath, NULL};
        const char *list[] = {SRR_BIN, "risks", "list", "--label", "capacity", "-c", cpath, NULL};
        const char *none[] = {SRR_BIN, "export", "--format", "json", "--label", "nope",
                              "-c", cpath, NULL};
        tu_run x;
        tu_exec(show, NULL, NULL, &x);
        cr_assert_eq(x.status, 0, "%s", x.err);
        cr_assert_not_null(strstr(x.out, "| Labels | capacity, memory leak |"), "%s", x.out);
        tu_run_free(&x);
        tu_exec(list, NULL, NULL, &x);
        cr_assert_eq(x.status, 0, "%s", x.err);
        cr_assert_not_null(strstr(x.out, "LABELS"), "%s", x.out);
        cr_assert_not_null(strstr(x.out, "SRR-1"), "%s", x.out);
        tu_run_free(&x);
        list[4] = "other";
        tu_exec(list, NULL, NULL, &x);
        cr_assert_eq(x.status, 0, "%s", x.err);
        cr_assert_not_null(strstr(x.out, "no risks"), "%s", x.out);
        tu_run_free(&x);
        tu_exec(none, NULL, NULL, &x);
        cr_assert_eq(x.status, 0, "%s", x.err);
        cr_assert_str_eq(x.out, "[]\n");
        tu_run_free(&x);
        free(cpath);
    }
    srr_config_destroy(cfg);
}

Test(export, binary_writes_csv_json_and_markdown_pages)
{
    char *cfg, *csv_path, *md_dir, *page = NULL, *p;
    size_t len = 0;
    tu_run r;
    csv c;
    seed_tricky();
    srr_store_close(&g_st);
    cfg = tu_write_file(g_dir, "srr.yaml", "store:\n  path: srr.db\n");
    csv_path = srr_asprintf("%s/records.csv", g_dir);
    md_dir = srr_asprintf("%s/wiki", g_dir);
    {
        const char *argv[] = {SRR_BIN,  "export", "-c", cfg,      "--format", "csv",
                              "--kind", "all",    "-o", csv_path, NULL};
        tu_exec(argv, NULL, NULL, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        tu_run_free(&r);
    }
    cr_assert_eq(srr_file_read(csv_path, 0, &p, &len, NULL), SRR_OK);
    csv_parse(p, &c);
    cr_assert_eq(c.nrows, 4);
    cr_assert_str_eq(c.rows[1][col(&c, "Title")], TITLE_TRICKY);
    csv_free(&c);
    free(p);
    {
        const char *argv[] = {SRR_BIN, "export",   "-c",    cfg, "--format",
                              "json",  "--status", "draft", NULL};
        json_t *j;
        tu_exec(argv, NULL, NULL, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        j = json_loads(r.out, 0, NULL);
        cr_assert(json_is_array(j), "%s", r.out);
        cr_assert_eq(json_array_size(j), 1);
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "id")), "SRR-2");
        json_decref(j);
        tu_run_free(&r);
    }
    {
        const char *argv[] = {SRR_BIN,  "export", "-c", cfg,    "--format", "md",
                              "--kind", "all",    "-o", md_dir, NULL};
        tu_exec(argv, NULL, NULL, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        tu_run_free(&r);
    }
    p = srr_asprintf("%s/SRR-1.md", md_dir);
    cr_assert_eq(srr_file_read(p, 0, &page, &len, NULL), SRR_OK);
    cr_assert_not_null(strstr(page, "# SRR-1: 5xx, \"bad gateway\""));
    cr_assert_not_null(strstr(page, "## Countermeasure log"));
    cr_assert_not_null(strstr(page, "second step"));
    free(page);
    free(p);
    p = srr_asprintf("%s/BL-1.md", md_dir);
    cr_assert_eq(access(p, R_OK), 0);
    free(p);
    p = srr_asprintf("%s/index.md", md_dir);
    cr_assert_eq(srr_file_read(p, 0, &page, &len, NULL), SRR_OK);
    cr_assert_not_null(strstr(page, "[SRR-2](SRR-2.md)"));
    free(page);
    free(p);
    {
        const char *argv[] = {SRR_BIN, "export", "-c", cfg, "--format", "xml", NULL};
        tu_exec(argv, NULL, NULL, &r);
        cr_assert_eq(r.status, 2);
        tu_run_free(&r);
    }
    free(csv_path);
    free(md_dir);
    free(cfg);
}
