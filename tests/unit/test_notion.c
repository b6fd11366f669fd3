/* SPDX-License-Identifier: Apache-2.0
 *
 * test_notion.c - the Notion sink and the delivery loop in process, against
 * the fake Notion API of tests/support (real HTTP on 127.0.0.1, the
 * headers, schema, limits and rate limit enforced there): setup on an
 * empty database and on one with the team's own properties, records
 * mirrored (properties, the SRR sections, limits) and updated by what
 * changed only, edits made in Notion coming back (an approval, a refused
 * transition put back with a comment, sections and a log entry, both sides
 * changed: the later wins), 429 with Retry-After, 5xx, 409, a create whose
 * answer was lost, the API down then back, a parked validation error
 * released by a config fix.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake_notion.h"
#include "outbox.h"
#include "outbox_store.h"
#include "sink_harness.h"
#include "store.h"
#include "store_fixtures.h"
#include "testutil.h"
#include "workflow.h"

#define T0 1764331200
#define DAY 86400

static sink_harness g_h;
static fake_notion *g_fn;
static const char *g_alice;
static const char *g_bob;

static void setup(void)
{
    sh_open(&g_h);
    g_fn = fake_notion_start(0);
    cr_assert_not_null(g_fn);
    fake_notion_set_rate(g_fn, 500, 100);
    g_alice = fake_notion_add_person(g_fn, "Alice", "alice@example.com", NULL);
    g_bob = fake_notion_add_person(g_fn, "Bob", "bob@example.com", NULL);
    /* People's edits are stamped a little ahead, so each is newer than the
     * poll's mark without the test waiting for the clock. */
    fake_notion_set_edit_offset(g_fn, 5);
    setenv("NOTION_TOKEN", FAKE_NOTION_TOKEN, 1);
}

static void teardown(void)
{
    sh_close(&g_h);
    fake_notion_stop(&g_fn);
}

TestSuite(notion, .init = setup, .fini = teardown, .timeout = 120);

/* Loads a config for the fake with `extra` lines appended to notion:
 * (with `rps` requests per second, 500 when 0), and opens the sync without
 * contacting Notion when !connect. */
static void configure_with(const char *extra, int rps, int connect)
{
    char *yaml = srr_asprintf("store:\n  path: %s/srr.db\n"
                              "sync:\n  interval: 1s\n  max_backoff: 2s\n"
                              "notion:\n  database_id: %s\n  api_url: %s\n"
                              "  requests_per_second: %d\n  poll_interval: 1s\n"
                              "  max_attempts: 3\n  max_wait: 3s\n"
                              "  people:\n    alice: %s\n    bob: bob@example.com\n%s",
                              g_h.dir, fake_notion_database(g_fn), fake_notion_url(g_fn),
                              rps ? rps : 500, g_alice, extra ? extra : "");
    sh_load(&g_h, yaml, connect);
    free(yaml);
}

static void configure(const char *extra)
{
    configure_with(extra, 0, 1);
}

static void setup_db(void)
{
    srr_error err = {0};
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    cr_assert_eq(srr_sync_setup(g_h.sync, "notion", m, &err), SRR_OK, "%s", err.msg);
    fclose(m);
    free(out);
}

static void risk(const char *cand, const char *fp, int64_t at)
{
    sh_apply(&g_h, cand, fp, SRR_ACTION_RISK, at, NULL);
}

/* The page id of record `hid` (static buffer), "" when there is none. */
static const char *page_of(const char *hid)
{
    static char id[64];
    json_t *p = fake_notion_page_of(g_fn, "ID", hid);
    snprintf(id, sizeof(id), "%s", p ? json_string_value(json_object_get(p, "id")) : "");
    json_decref(p);
    return id;
}

static char *prop(const char *hid, const char *name)
{
    return fake_notion_prop_text(g_fn, page_of(hid), name);
}

static size_t npages(void)
{
    json_t *p = fake_notion_pages(g_fn);
    size_t n = json_array_size(p);
    json_decref(p);
    return n;
}

static size_t ncomments(const char *hid)
{
    json_t *c = fake_notion_comments(g_fn, page_of(hid));
    size_t n = json_array_size(c);
    json_decref(c);
    return n;
}

/* 1 when record hid's page property `name` reads `want`. */
static int prop_is(const char *hid, const char *name, const char *want)
{
    char *t = prop(hid, name);
    int eq = t && strcmp(t, want) == 0;
    free(t);
    return eq;
}

/* 1 when record hid's page body contains `needle`. */
static int page_has(const char *hid, const char *needle)
{
    char *t = fake_notion_page_text(g_fn, page_of(hid));
    int has = strstr(t, needle) != NULL;
    free(t);
    return has;
}

/* Syncs until `cond` holds (polls happen every second): at most 20 s. */
#define SYNC_UNTIL(cond) SH_SYNC_UNTIL(&g_h, cond, 100)

static srr_rc change(const char *verb, const char *id, srr_wf_req *r, const char *actor)
{
    srr_error err = {0};
    r->actor = actor;
    r->now = srr_now();
    return srr_wf_risk(g_h.st, verb, id, r, NULL, &err);
}

/* ---- setup --------------------------------------------------------------- */

Test(notion, setup_adds_what_is_missing_on_an_empty_database)
{
    json_t *schema;
    configure(NULL);
    setup_db();
    schema = fake_notion_schema(g_fn);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(schema, "ID"), "type")),
                     "rich_text");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(schema, "Status"), "type")),
                     "select");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(schema, "Assignee"), "type")), "people");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(schema, "Next review"), "type")), "date");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(schema, "Occurrences"), "type")),
        "number");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(schema, "Labels"), "type")),
                     "multi_select");
    cr_assert_eq(json_array_size(json_object_get(
                     json_object_get(json_object_get(schema, "Status"), "select"), "options")),
                 10);
    cr_assert_eq(json_object_size(schema), 15);
    json_decref(schema);
    /* A second setup adds nothing and changes nothing. */
    fake_notion_reset_counters(g_fn);
    setup_db();
    cr_assert_eq(fake_notion_count(g_fn, "PATCH /v1/data_sources/{id}"), 0);
}

Test(notion, setup_keeps_the_teams_own_properties_and_names_a_wrong_type)
{
    json_t *schema;
    srr_error err = {0};
    char *out = NULL;
    size_t len = 0;
    FILE *m;
    fake_notion_add_property(g_fn, "Sprint", "{\"select\":{\"options\":[{\"name\":\"S1\"}]}}");
    fake_notion_add_property(g_fn, "Notes", "{\"rich_text\":{}}");
    fake_notion_add_property(g_fn, "Datadog", "{\"url\":{}}");
    configure("  properties:\n    datadog_url: Datadog\n");
    setup_db();
    schema = fake_notion_schema(g_fn);
    cr_assert_not_null(json_object_get(schema, "Sprint"));
    cr_assert_eq(json_array_size(json_object_get(
                     json_object_get(json_object_get(schema, "Sprint"), "select"), "options")),
                 1);
    cr_assert_not_null(json_object_get(schema, "Notes"));
    cr_assert_null(json_object_get(schema, "Datadog URL"), "the team's own name is used");
    cr_assert_eq(json_object_size(schema), 3 + 14);
    json_decref(schema);

    /* A property of the wrong type is an error naming it. */
    fake_notion_add_property(g_fn, "Urgency", "{\"number\":{}}");
    configure_with("  properties:\n    datadog_url: Datadog\n", 0, 0);
    m = open_memstream(&out, &len);
    cr_assert_eq(srr_sync_setup(g_h.sync, "notion", m, &err), SRR_EINVAL);
    fclose(m);
    free(out);
    cr_assert(strstr(err.msg, "'Urgency' is a number") != NULL, "%s", err.msg);
}

Test(notion, nothing_is_sent_before_setup_and_the_error_says_so)
{
    srr_sync_stats st;
    json_t *status = NULL;
    srr_error err = {0};
    configure(NULL);
    risk("c1", "fp-a", T0);
    st = sh_sync_once(&g_h);
    cr_assert_eq(st.delivered, 0);
    cr_assert_eq(st.parked, 0);
    cr_assert_eq(srr_sync_status(g_h.sync, g_h.st, &status, &err), SRR_OK);
    cr_assert(strstr(json_string_value(json_object_get(
                         json_array_get(json_object_get(status, "sinks"), 0), "last_error")),
                     "srr notion setup") != NULL);
    json_decref(status);
}

/* ---- mirroring ------------------------------------------------------------ */

Test(notion, records_become_pages_and_updates_send_what_changed)
{
    srr_sync_stats st;
    srr_wf_req r;
    char *t, *text;
    configure(NULL);
    setup_db();
    risk("c1", "fp-a", T0);
    risk("c2", "fp-b", T0);
    risk("c3", "fp-a", T0 + 3600); /* evidence on SRR-1 */
    st = sh_sync_once(&g_h);
    cr_assert_eq(st.delivered, 2);
    cr_assert_eq(fake_notion_count(g_fn, "POST /v1/pages"), 2);
    cr_assert_eq(fake_notion_rejected(g_fn), 0, "%s", fake_notion_last_rejection(g_fn));
    t = prop("SRR-1", "Status");
    cr_assert_str_eq(t, "draft");
    free(t);
    t = prop("SRR-1", "Occurrences");
    cr_assert_str_eq(t, "2");
    free(t);
    t = prop("SRR-1", "Kind");
    cr_assert_str_eq(t, "risk");
    free(t);
    text = fake_notion_page_text(g_fn, page_of("SRR-1"));
    cr_assert(strstr(text, "## Overview\n") &&
                  strstr(text, "## Log from recognition to cause\n- ") &&
                  strstr(text, "## Cause\n") && strstr(text, "## Countermeasure policy\n") &&
                  strstr(text, "## Countermeasure log\n") && strstr(text, "## Next action\n") &&
                  strstr(text, "## Why srr drafted it\nbecause the test says so") &&
                  strstr(text, "## Evidence summary\nWeek of"),
              "%s", text);
    free(text);

    /* Nothing changed: nothing sent but the poll. */
    fake_notion_reset_counters(g_fn);
    sh_sync_once(&g_h);
    cr_assert_eq(fake_notion_count(g_fn, "POST /v1/pages"), 0);
    cr_assert_eq(fake_notion_count(g_fn, "PATCH /v1/pages/{id}"), 0);

    /* An approval and a cause: one property update, one block update
     * (and the page's blocks read once to learn their ids). */
    memset(&r, 0, sizeof(r));
    r.assignee = "alice";
    cr_assert_eq(change("approve", "SRR-1", &r, "dana"), SRR_OK);
    memset(&r, 0, sizeof(r));
    r.sets = (const char *const[]){"cause=A connection pool that never shrinks."};
    r.nsets = 1;
    cr_assert_eq(change("set", "SRR-1", &r, "dana"), SRR_OK);
    fake_notion_reset_counters(g_fn);
    st = sh_sync_once(&g_h);
    cr_assert_eq(st.delivered, 1);
    cr_assert_eq(fake_notion_count(g_fn, "PATCH /v1/pages/{id}"), 1);
    cr_assert_eq(fake_notion_count(g_fn, "GET /v1/blocks/{id}/children"), 1);
    cr_assert_eq(fake_notion_count(g_fn, "PATCH /v1/blocks/{id}"), 1);
    cr_assert_eq(fake_notion_count(g_fn, "POST /v1/pages"), 0);
    t = prop("SRR-1", "Status");
    cr_assert_str_eq(t, "open");
    free(t);
    t = prop("SRR-1", "Assignee");
    cr_assert_str_eq(t, g_alice);
    free(t);
    text = fake_notion_page_text(g_fn, page_of("SRR-1"));
    cr_assert(strstr(text, "## Cause\nA connection pool that never shrinks.\n"), "%s", text);
    free(text);

    /* A log entry is appended after the section's last entry. */
    memset(&r, 0, sizeof(r));
    r.section = "countermeasure";
    r.text = "Capped the pool at 50.";
    cr_assert_eq(change("log", "SRR-1", &r, "bob"), SRR_OK);
    fake_notion_reset_counters(g_fn);
    sh_sync_once(&g_h);
    cr_assert_eq(fake_notion_count(g_fn, "PATCH /v1/blocks/{id}/children"), 1);
    cr_assert_eq(fake_notion_count(g_fn, "GET /v1/blocks/{id}/children"), 0);
    text = fake_notion_page_text(g_fn, page_of("SRR-1"));
    cr_assert(strstr(text, "## Countermeasure log\n- ") &&
                  strstr(text, "bob: Capped the pool at 50.\n## Next action"),
              "%s", text);
    free(text);
    t = prop("SRR-1", "Status");
    cr_assert_str_eq(t, "mitigating");
    free(t);
    cr_assert_eq(fake_notion_rejected(g_fn), 0);
    cr_assert_eq(npages(), 2);
}

Test(notion, long_text_and_many_entries_stay_within_the_limits)
{
    srr_wf_req r;
    char *cause = srr_malloc(5001), *text;
    json_t *pages;
    int i;
    for (i = 0; i < 5000; i++)
        cause[i] = (char)('a' + i % 26);
    cause[5000] = '\0';
    configure(NULL);
    setup_db();
    risk("c1", "fp-a", T0);
    {
        char *kv = srr_asprintf("cause=%s", cause);
        memset(&r, 0, sizeof(r));
        r.sets = (const char *const *)&kv;
        r.nsets = 1;
        cr_assert_eq(change("set", "SRR-1", &r, "dana"), SRR_OK);
        free(kv);
    }
    for (i = 0; i < 120; i++) {
        char entry[64];
        snprintf(entry, sizeof(entry), "check number %d", i);
        memset(&r, 0, sizeof(r));
        r.section = "recognition";
        r.text = entry;
        cr_assert_eq(change("log", "SRR-1", &r, "dana"), SRR_OK);
    }
    sh_sync_once(&g_h);
    cr_assert_eq(fake_notion_rejected(g_fn), 0, "%s", fake_notion_last_rejection(g_fn));
    pages = fake_notion_pages(g_fn);
    cr_assert_eq(json_array_size(pages), 1);
    json_decref(pages);
    cr_assert_eq(fake_notion_count(g_fn, "POST /v1/pages"), 1);
    cr_assert_geq(fake_notion_count(g_fn, "PATCH /v1/blocks/{id}/children"), 1);
    text = fake_notion_page_text(g_fn, page_of("SRR-1"));
    cr_assert(strstr(text, cause) != NULL, "the cause is whole (three items of <= 2,000)");
    cr_assert(strstr(text, "check number 119\n## Cause") != NULL);
    free(text);
    free(cause);
}

/* ---- edits coming back ----------------------------------------------------- */

Test(notion, an_approval_made_in_notion_is_applied_as_the_notion_user)
{
    json_t *audit = NULL;
    srr_error err = {0};
    char *t;
    configure(NULL);
    setup_db();
    risk("c1", "fp-a", T0);
    sh_sync_once(&g_h);
    cr_assert_str_neq(page_of("SRR-1"), "");
    cr_assert_eq(fake_notion_edit_property(g_fn, page_of("SRR-1"), "Status",
                                           "{\"select\":{\"name\":\"open\"}}", g_alice),
                 0);
    SYNC_UNTIL(sh_q(&g_h, "SELECT count(*) FROM risks WHERE status = 'open'") == 1);
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM risks WHERE approved_by = 'alice'"), 1);
    cr_assert_eq(srr_wf_audit(g_h.st, "SRR-1", 0, &audit, &err), SRR_OK);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(audit, json_array_size(audit) - 1), "actor")),
                     "alice");
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(audit, json_array_size(audit) - 1), "action")),
                     "approve");
    json_decref(audit);
    t = prop("SRR-1", "Status");
    cr_assert_str_eq(t, "open");
    free(t);
    /* An assignment to Bob (mapped by email) and an urgency. */
    {
        char *v = srr_asprintf("{\"people\":[{\"id\":\"%s\"}]}", g_bob);
        fake_notion_edit_property(g_fn, page_of("SRR-1"), "Assignee", v, g_alice);
        free(v);
    }
    fake_notion_edit_property(g_fn, page_of("SRR-1"), "Urgency",
                              "{\"select\":{\"name\":\"critical\"}}", g_alice);
    SYNC_UNTIL(sh_q(&g_h, "SELECT count(*) FROM risks WHERE assignee = 'bob' AND urgency = 3") ==
               1);
    cr_assert_eq(ncomments("SRR-1"), 0);
}

Test(notion, a_refused_transition_is_put_back_with_a_comment)
{
    json_t *comments;
    configure(NULL);
    setup_db();
    risk("c1", "fp-a", T0);
    sh_sync_once(&g_h);
    fake_notion_edit_property(g_fn, page_of("SRR-1"), "Status",
                              "{\"select\":{\"name\":\"resolved\"}}", g_alice);
    SYNC_UNTIL(ncomments("SRR-1") == 1);
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM risks WHERE status = 'draft'"), 1);
    SYNC_UNTIL(prop_is("SRR-1", "Status", "draft"));
    comments = fake_notion_comments(g_fn, page_of("SRR-1"));
    cr_assert(strstr(json_string_value(json_array_get(comments, 0)),
                     "cannot go from draft to resolved") != NULL,
              "%s", json_string_value(json_array_get(comments, 0)));
    cr_assert(strstr(json_string_value(json_array_get(comments, 0)), "open") != NULL);
    json_decref(comments);
    cr_assert_eq(
        sh_q(&g_h, "SELECT count(*) FROM audit WHERE action = 'sync-refused' AND actor = 'alice'"),
        1);
}

Test(notion, a_backlog_item_is_accepted_in_notion_with_its_ticket)
{
    srr_candidate c;
    srr_error err = {0};
    configure(NULL);
    setup_db();
    sf_candidate(&c, "b1", "fp-disk", SRR_ACTION_BACKLOG, SRR_STATUS_FIRING, T0);
    cr_assert_eq(srr_store_apply(g_h.st, &c, 1, T0, NULL, &err), SRR_OK);
    srr_candidate_clear(&c);
    sh_sync_once(&g_h);
    cr_assert_str_neq(page_of("BL-1"), "");
    /* Accepted without a ticket: refused, said so on the page. */
    fake_notion_edit_property(g_fn, page_of("BL-1"), "Status",
                              "{\"select\":{\"name\":\"accepted\"}}", g_alice);
    SYNC_UNTIL(ncomments("BL-1") == 1);
    SYNC_UNTIL(prop_is("BL-1", "Status", "draft"));
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM backlog WHERE status = 'draft'"), 1);
    /* With the ticket's link: accepted, the link kept as the ticket. */
    fake_notion_edit_property(g_fn, page_of("BL-1"), "Backlog URL",
                              "{\"url\":\"https://tracker.example/T-7\"}", g_alice);
    fake_notion_edit_property(g_fn, page_of("BL-1"), "Status",
                              "{\"select\":{\"name\":\"accepted\"}}", g_alice);
    SYNC_UNTIL(sh_q(&g_h, "SELECT count(*) FROM backlog WHERE status = 'accepted'"
                          " AND ticket_link = 'https://tracker.example/T-7'") == 1);
    cr_assert_eq(ncomments("BL-1"), 1, "no second comment: the link came with the status");
    fake_notion_edit_property(g_fn, page_of("BL-1"), "Status",
                              "{\"select\":{\"name\":\"done\"}}", g_alice);
    SYNC_UNTIL(sh_q(&g_h, "SELECT count(*) FROM backlog WHERE status = 'done'") == 1);
}

Test(notion, sections_and_a_countermeasure_entry_come_back)
{
    char *text;
    srr_wf_req r;
    configure(NULL);
    setup_db();
    risk("c1", "fp-a", T0);
    memset(&r, 0, sizeof(r));
    cr_assert_eq(change("approve", "SRR-1", &r, "dana"), SRR_OK);
    sh_sync_once(&g_h);
    cr_assert_eq(fake_notion_edit_section(g_fn, page_of("SRR-1"), "Cause",
                                          "GC pauses under memory pressure.", g_alice),
                 0);
    cr_assert_eq(fake_notion_edit_section(g_fn, page_of("SRR-1"), "Next action",
                                          "Profile the heap on Monday (alice).", g_alice),
                 0);
    cr_assert_eq(fake_notion_append_entry(g_fn, page_of("SRR-1"), "Countermeasure log",
                                          "Raised the heap limit to 4 GiB.", g_alice),
                 0);
    SYNC_UNTIL(sh_q(&g_h, "SELECT count(*) FROM log_entries WHERE section = 'countermeasure'") ==
               1);
    cr_assert_eq(sh_q(&g_h,
                      "SELECT count(*) FROM risks WHERE cause = 'GC pauses under memory pressure.'"
                      " AND next_action = 'Profile the heap on Monday (alice).'"
                      " AND status = 'mitigating'"),
                 1);
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM log_entries WHERE author = 'alice'"
                            " AND text = 'Raised the heap limit to 4 GiB.'"),
                 1);
    /* Back on the page: the status moved, the entry is not duplicated. */
    SYNC_UNTIL(sh_q(&g_h,
                    "SELECT count(*) FROM sync_state s JOIN outbox o ON o.record_id = s.record_id"
                    " WHERE s.delivered_seq >= o.seq") == 1);
    text = fake_notion_page_text(g_fn, page_of("SRR-1"));
    cr_assert(strstr(text, "Raised the heap limit to 4 GiB.") ==
                  strstr(text, "- Raised the heap limit to 4 GiB.") + 2,
              "%s", text);
    cr_assert_null(strstr(strstr(text, "Raised the heap") + 5, "Raised the heap"), "%s", text);
    free(text);
    text = prop("SRR-1", "Status");
    cr_assert_str_eq(text, "mitigating");
    free(text);
}

Test(notion, both_sides_changed_the_later_change_wins_and_both_are_audited)
{
    srr_wf_req r;
    configure(NULL);
    setup_db();
    risk("c1", "fp-a", T0);
    sh_sync_once(&g_h);
    /* srr changes the cause now; Notion's edit is an hour older: srr wins. */
    memset(&r, 0, sizeof(r));
    r.sets = (const char *const[]){"cause=Told by srr."};
    r.nsets = 1;
    cr_assert_eq(change("set", "SRR-1", &r, "dana"), SRR_OK);
    fake_notion_set_edit_offset(g_fn, -3600);
    fake_notion_edit_section(g_fn, page_of("SRR-1"), "Cause", "Told by Notion.", g_alice);
    /* The edit is older than the poll's mark minus its overlap: make the
     * mark older instead, as a long pause between polls would. */
    cr_assert_eq(
        srr_outbox_meta_set(g_h.st, "notion", "edited_since", "2020-01-01T00:00:00Z", NULL),
        SRR_OK);
    SYNC_UNTIL(sh_q(&g_h, "SELECT count(*) FROM audit WHERE action = 'sync-conflict'") == 1);
    SYNC_UNTIL(page_has("SRR-1", "## Cause\nTold by srr.\n"));
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM risks WHERE cause = 'Told by srr.'"), 1);

    /* Now Notion's edit is the later one: it wins. */
    fake_notion_set_edit_offset(g_fn, 3600);
    memset(&r, 0, sizeof(r));
    r.sets = (const char *const[]){"cause=Second word from srr."};
    r.nsets = 1;
    cr_assert_eq(change("set", "SRR-1", &r, "dana"), SRR_OK);
    fake_notion_edit_section(g_fn, page_of("SRR-1"), "Cause", "Last word from Notion.", g_alice);
    SYNC_UNTIL(sh_q(&g_h, "SELECT count(*) FROM risks WHERE cause = 'Last word from Notion.'") ==
               1);
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM audit WHERE action = 'set' AND actor = 'dana'"
                            " AND after LIKE '%Second word%'"),
                 1);
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM audit WHERE action = 'set' AND actor = 'alice'"
                            " AND after LIKE '%Last word%'"),
                 1);
}

/* ---- failures -------------------------------------------------------------- */

Test(notion, rate_limit_429_retry_after_is_honoured)
{
    int i;
    configure_with(NULL, 20, 1);
    setup_db();
    fake_notion_set_rate(g_fn, 3, 1);
    for (i = 0; i < 6; i++) {
        char c[16], fp[16];
        snprintf(c, sizeof(c), "c%d", i);
        snprintf(fp, sizeof(fp), "fp-%d", i);
        risk(c, fp, T0);
    }
    SYNC_UNTIL(npages() == 6);
    cr_assert_gt(fake_notion_rate_limited(g_fn), 0, "the client went faster than 3/s");
    cr_assert_eq(fake_notion_violations(g_fn), 0, "a request came before Retry-After passed");
}

Test(notion, transient_errors_are_retried_and_a_lost_create_makes_no_second_page)
{
    json_t *pages;
    srr_sync_stats st;
    configure(NULL);
    setup_db();
    risk("c1", "fp-a", T0);
    risk("c2", "fp-b", T0);
    /* SRR-1's create meets a 503: a create is not sent twice blindly, so
     * the pass stops and SRR-1 waits; it is looked up before the next. */
    fake_notion_fail_next(g_fn, 503, 1);
    st = sh_sync_once(&g_h);
    cr_assert_eq(st.failed, 1);
    cr_assert_eq(st.delivered, 0);
    pages = fake_notion_pages(g_fn);
    cr_assert_eq(json_array_size(pages), 0);
    json_decref(pages);
    /* Then SRR-1's create lands but its answer is lost (504). */
    fake_notion_lose_next_create(g_fn);
    SYNC_UNTIL(npages() >= 1);
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM sync_state WHERE creating = 1 AND record_id = 1"
                            " AND remote_id IS NULL"),
                 1);
    /* And a 409 on the next write, retried in place. */
    fake_notion_conflict_next(g_fn, 1);
    SYNC_UNTIL(sh_q(&g_h, "SELECT count(*) FROM sync_state WHERE remote_id IS NOT NULL"
                          " AND delivered_seq > 0 AND creating = 0") == 2);
    pages = fake_notion_pages(g_fn);
    cr_assert_eq(json_array_size(pages), 2, "one page per record");
    json_decref(pages);
    cr_assert_eq(fake_notion_rejected(g_fn), 0, "%s", fake_notion_last_rejection(g_fn));
}

Test(notion, the_api_down_then_everything_arrives_in_order)
{
    unsigned before;
    srr_sync_stats st;
    srr_wf_req r;
    json_t *pages, *status = NULL;
    srr_error err = {0};
    char *t;
    int i;
    configure(NULL);
    setup_db();
    fake_notion_set_down(g_fn, 503);
    for (i = 0; i < 5; i++) {
        char c[16], fp[16];
        snprintf(c, sizeof(c), "c%d", i);
        snprintf(fp, sizeof(fp), "fp-%d", i);
        risk(c, fp, T0 + i);
    }
    memset(&r, 0, sizeof(r));
    cr_assert_eq(change("approve", "SRR-2", &r, "dana"), SRR_OK);
    memset(&r, 0, sizeof(r));
    r.section = "countermeasure";
    r.text = "first";
    cr_assert_eq(change("log", "SRR-2", &r, "dana"), SRR_OK);
    r.text = "second";
    cr_assert_eq(change("log", "SRR-2", &r, "dana"), SRR_OK);
    st = sh_sync_once(&g_h);
    cr_assert_eq(st.delivered, 0);
    cr_assert_eq(srr_sync_status(g_h.sync, g_h.st, &status, &err), SRR_OK);
    cr_assert_eq(json_integer_value(json_object_get(
                     json_array_get(json_object_get(status, "sinks"), 0), "pending")),
                 5);
    json_decref(status);
    fake_notion_set_down(g_fn, 504); /* tried again after the backoff: still down */
    before = fake_notion_requests(g_fn);
    SYNC_UNTIL(fake_notion_requests(g_fn) > before);
    fake_notion_set_down(g_fn, 500);
    before = fake_notion_requests(g_fn);
    SYNC_UNTIL(fake_notion_requests(g_fn) > before);
    cr_assert_eq(npages(), 0);
    fake_notion_set_down(g_fn, 0);
    SYNC_UNTIL(npages() == 5);
    pages = fake_notion_pages(g_fn);
    for (i = 0; i < 5; i++) {
        char hid[16];
        char *id;
        snprintf(hid, sizeof(hid), "SRR-%d", i + 1);
        id = fake_notion_prop_text(
            g_fn, json_string_value(json_object_get(json_array_get(pages, i), "id")), "ID");
        cr_assert_str_eq(id, hid, "created in the order the records were");
        free(id);
    }
    json_decref(pages);
    t = prop("SRR-2", "Status");
    cr_assert_str_eq(t, "mitigating");
    free(t);
    t = fake_notion_page_text(g_fn, page_of("SRR-2"));
    cr_assert(strstr(t, "dana: first\n- ") && strstr(t, "dana: second\n## Next action"), "%s", t);
    free(t);
}

Test(notion, a_validation_error_parks_the_record_until_the_config_is_fixed)
{
    srr_candidate c;
    srr_error err = {0};
    srr_sync_stats st;
    json_t *status = NULL, *parked;
    char *longurl = srr_malloc(2101);
    configure(NULL);
    setup_db();
    memset(longurl, 'q', 2100);
    memcpy(longurl, "https://app.datadoghq.com/x?", 28);
    longurl[2100] = '\0';
    sf_candidate(&c, "c1", "fp-long", SRR_ACTION_RISK, SRR_STATUS_FIRING, T0);
    free(c.signal.link);
    c.signal.link = longurl;
    cr_assert_eq(srr_store_apply(g_h.st, &c, 1, T0, NULL, &err), SRR_OK);
    srr_candidate_clear(&c);
    risk("c2", "fp-b", T0);
    st = sh_sync_once(&g_h);
    cr_assert_eq(st.parked, 1);
    cr_assert_eq(st.delivered, 1, "the other record is not blocked");
    cr_assert_eq(srr_sync_status(g_h.sync, g_h.st, &status, &err), SRR_OK);
    parked = json_object_get(json_array_get(json_object_get(status, "sinks"), 0), "parked");
    cr_assert_eq(json_array_size(parked), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(parked, 0), "record")),
                     "SRR-1");
    cr_assert(strstr(json_string_value(json_object_get(json_array_get(parked, 0), "reason")),
                     "2000") != NULL);
    json_decref(status);
    /* Not retried on its own... */
    st = sh_sync_once(&g_h);
    cr_assert_eq(st.parked + st.delivered, 0);
    /* ... until the config changes: Datadog URL is no longer mirrored. */
    configure("  properties:\n    datadog_url: \"\"\n");
    st = sh_sync_once(&g_h);
    cr_assert_eq(st.delivered, 1);
    cr_assert_str_neq(page_of("SRR-1"), "");
}

static void copy_file(const char *from, const char *to)
{
    char *data = NULL;
    size_t len = 0;
    srr_error err = {0};
    cr_assert_eq(srr_file_read(from, 0, &data, &len, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_file_write_atomic(to, data, len, &err), SRR_OK, "%s", err.msg);
    free(data);
}

Test(notion, a_restore_puts_the_restored_records_back_and_makes_no_second_page)
{
    char *backup = srr_asprintf("%s/backup.db", g_h.dir), *t;
    srr_wf_req r;
    srr_error err = {0};
    size_t n = 0;
    configure(NULL);
    setup_db();
    risk("c1", "fp-a", T0);
    sh_sync_once(&g_h);
    risk("c2", "fp-b", T0); /* in the backup, not yet delivered */
    srr_store_close(&g_h.st);
    copy_file(g_h.cfg->store.path, backup);
    cr_assert_eq(srr_store_open(g_h.cfg->store.path, &g_h.st, &err), SRR_OK);
    memset(&r, 0, sizeof(r));
    cr_assert_eq(change("approve", "SRR-1", &r, "dana"), SRR_OK);
    memset(&r, 0, sizeof(r));
    r.sets = (const char *const[]){"cause=Found after the backup."};
    r.nsets = 1;
    cr_assert_eq(change("set", "SRR-1", &r, "dana"), SRR_OK);
    sh_sync_once(&g_h);
    cr_assert(prop_is("SRR-1", "Status", "open"));
    cr_assert_eq(npages(), 2);
    /* Restore the backup (what `srr restore` does): the pages are ahead
     * of the store, and SRR-2's page exists though the backup does not
     * know it. */
    srr_store_close(&g_h.st);
    copy_file(backup, g_h.cfg->store.path);
    cr_assert_eq(srr_store_open(g_h.cfg->store.path, &g_h.st, &err), SRR_OK);
    cr_assert_eq(srr_outbox_after_restore(g_h.st, srr_now(), &n, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    /* The poll sees the pages (recently edited) before the delivery: what
     * they hold is nobody's edit, only what srr no longer knows. A poll
     * must happen for this to be tested: srr's clock moves past the poll
     * interval (SRR_NOW; each test is its own process) instead of the test
     * sleeping it out. */
    {
        char later[32];
        snprintf(later, sizeof later, "%lld", (long long)srr_now() + 2);
        cr_assert_eq(setenv("SRR_NOW", later, 1), 0);
    }
    cr_assert_eq(
        srr_outbox_meta_set(g_h.st, "notion", "edited_since", "2020-01-01T00:00:00Z", NULL),
        SRR_OK);
    sh_sync_once(&g_h);
    { /* the poll ran: its mark moved from 2020 to the pages' edits */
        char *mark = NULL;
        cr_assert_eq(srr_outbox_meta_get(g_h.st, "notion", "edited_since", &mark, NULL), SRR_OK);
        cr_assert(mark && strcmp(mark, "2020-01-01T00:00:00Z") > 0, "no poll: %s", mark);
        free(mark);
    }
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM risks WHERE status = 'draft' AND cause IS NULL"),
                 2);
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM audit WHERE actor LIKE 'notion:%'"), 0);
    cr_assert(prop_is("SRR-1", "Status", "draft"));
    t = fake_notion_page_text(g_fn, page_of("SRR-1"));
    cr_assert(strstr(t, "## Cause\n\n## Countermeasure policy"), "%s", t);
    cr_assert_null(strstr(t, "Found after the backup."));
    free(t);
    cr_assert_eq(npages(), 2, "SRR-2's page was found, not made again");
    /* `srr sync resend` compares again: the properties are written in one
     * request (srr no longer knows them), the sections are read and, being
     * equal, left alone. */
    cr_assert_eq(srr_outbox_resend(g_h.st, NULL, "risk", 1, &n, &err), SRR_OK);
    cr_assert_eq(n, 1);
    fake_notion_reset_counters(g_fn);
    sh_sync_once(&g_h);
    cr_assert_eq(fake_notion_count(g_fn, "PATCH /v1/pages/{id}"), 1);
    cr_assert_eq(fake_notion_count(g_fn, "GET /v1/blocks/{id}/children"), 1);
    cr_assert_eq(fake_notion_count(g_fn, "PATCH /v1/blocks/{id}"), 0);
    cr_assert_eq(fake_notion_count(g_fn, "PATCH /v1/blocks/{id}/children"), 0);
    free(backup);
}

Test(notion, one_deliverer_per_sink)
{
    srr_sync_stats st;
    srr_error err = {0};
    char host[64] = "", *dead;
    pid_t pid;
    configure(NULL);
    setup_db();
    risk("c1", "fp-a", T0);
    /* Another machine's srr holds the lease: this one waits. */
    cr_assert_eq(
        srr_outbox_lease(g_h.st, "notion", "elsewhere:42", NULL, srr_now(), 300, NULL, &err),
        SRR_OK);
    st = sh_sync_once(&g_h);
    cr_assert_eq(st.delivered, 0);
    cr_assert_geq(st.sink_errors, 1);
    cr_assert_eq(npages(), 0);
    /* A process of this host that is gone: its lease is taken over. */
    pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    gethostname(host, sizeof(host) - 1);
    dead = srr_asprintf("%s:%ld", host, (long)pid);
    cr_assert_eq(
        srr_outbox_lease(g_h.st, "notion", dead, "elsewhere:42", srr_now(), 300, NULL, &err),
        SRR_OK);
    st = sh_sync_once(&g_h);
    cr_assert_eq(st.delivered, 1);
    cr_assert_eq(npages(), 1);
    /* The run gave it up when it ended. */
    cr_assert_eq(sh_q(&g_h, "SELECT count(*) FROM sync_meta WHERE key = 'lease'"), 0);
    free(dead);
}

/* ---- configuration ------------------------------------------------------- */

/* The README's reference holds the sync and sink rows `srr config
 * reference` prints after the core's. */
Test(notion_config, readme_reference_is_current)
{
    char *readme = NULL, *buf = NULL;
    size_t len = 0, blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    srr_sync_print_reference(f, 0);
    fclose(f);
    cr_assert_eq(srr_file_read(SRR_SOURCE_DIR "/README.md", 0, &readme, &len, NULL), SRR_OK);
    cr_assert(strstr(readme, buf) != NULL, "README.md lacks `srr config reference`'s rows:\n%s",
              buf);
    free(readme);
    free(buf);
}

static srr_rc check(const char *yaml, srr_error *err)
{
    srr_config *cfg = NULL;
    srr_rc rc = srr_config_parse("c.yaml", yaml, strlen(yaml), &cfg, err);
    if (rc == SRR_OK)
        rc = srr_sync_check_config(cfg, err);
    srr_config_destroy(cfg);
    return rc;
}

Test(notion_config, sections_are_checked_with_positions)
{
    srr_error err = {0};
    srr_config *cfg = NULL;
    srr_sync *s = NULL;
    cr_assert_eq(check("notion:\n  database_id: x\n  databse: y\n", &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "c.yaml:3:3: unknown key 'databse' in notion"), "%s", err.msg);
    cr_assert_eq(check("sync:\n  interval: soon\n", &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "c.yaml:2:13") && strstr(err.msg, "sync.interval"), "%s", err.msg);
    cr_assert_eq(check("notion:\n  requests_per_second: 0\n", &err), SRR_EINVAL);
    cr_assert_eq(check("notion:\n  database_id: x\n  properties:\n    status: State\n", &err),
                 SRR_OK);
    /* No database, no token, an unknown field: configuration errors. */
    unsetenv("NOTION_TOKEN");
    {
        const char *y = "notion:\n  database_id: db\n  api_url: http://127.0.0.1:1\n";
        cr_assert_eq(srr_config_parse("c.yaml", y, strlen(y), &cfg, &err), SRR_OK);
        cr_assert_eq(srr_sync_open(cfg, NULL, 1, &s, &err), SRR_EINVAL);
        cr_assert(strstr(err.msg, "$NOTION_TOKEN"), "%s", err.msg);
        srr_config_destroy(cfg);
    }
    setenv("NOTION_TOKEN", "x-token", 1);
    {
        const char *y = "notion:\n  database_id: db\n  properties:\n    colour: C\n";
        cr_assert_eq(srr_config_parse("c.yaml", y, strlen(y), &cfg, &err), SRR_OK);
        cr_assert_eq(srr_sync_open(cfg, NULL, 1, &s, &err), SRR_EINVAL);
        cr_assert(strstr(err.msg, "unknown field 'colour'"), "%s", err.msg);
        srr_config_destroy(cfg);
    }
    {
        const char *y = "store:\n  path: x.db\n";
        cr_assert_eq(srr_config_parse("c.yaml", y, strlen(y), &cfg, &err), SRR_OK);
        cr_assert_eq(srr_sync_configured(cfg), 0);
        srr_config_destroy(cfg);
    }
    unsetenv("NOTION_TOKEN");
}
