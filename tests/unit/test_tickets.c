/* SPDX-License-Identifier: Apache-2.0
 *
 * test_tickets.c - the GitHub Issues and Jira Cloud clients
 * (sinks/github_api.c, sinks/jira_api.c) against their fakes over real
 * HTTP: tickets created with the headers and bodies the APIs require, found
 * again by srr's marker or label after a crash instead of created twice,
 * closed and reopened by a person and polled back with who did it, paging,
 * primary and secondary rate limits and 429 honoured without hammering,
 * outage then recovery, permanent errors classified permanent, and the
 * `github:`, `jira:` and `tickets:` option tables.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "fake_github.h"
#include "fake_jira.h"
#include "github_api.h"
#include "http.h"
#include "jira_api.h"
#include "record_views.h"
#include "sheets_config.h"
#include "slack_config.h"
#include "tickets_config.h"

/* ---- GitHub ----------------------------------------------------------------------- */

static srr_github *gh_client(fake_github *fg, const char *token)
{
    srr_github_opts o = {0};
    srr_github *gh = NULL;
    srr_error err = {0};
    o.api_url = fake_github_url(fg);
    o.token = token;
    o.repo = FAKE_GITHUB_REPO;
    o.http.timeout_ms = 5000;
    cr_assert_eq(srr_github_create(&o, &gh, &err), SRR_OK, "%s", err.msg);
    return gh;
}

static void wait_gate(int64_t (*ready)(const void *), const void *c)
{
    struct timespec step = {0, 10 * 1000000L};
    int64_t deadline = srr_http_now_ms() + 15000;
    while (ready(c) != 0) {
        cr_assert(srr_http_now_ms() < deadline, "the client never became ready");
        nanosleep(&step, NULL);
    }
}

static int64_t gh_ready(const void *c)
{
    return srr_github_retry_at_ms(c);
}

static int64_t jira_ready(const void *c)
{
    return srr_jira_retry_at_ms(c);
}

static srr_rc gh_new(srr_github *gh, const char *id, const char *title, srr_github_issue *is,
                     srr_error *err)
{
    static const char *const labels[] = {"srr", "backlog"};
    char *marker = srr_github_marker(id);
    char *body = srr_asprintf("## Overview\nDisk on db-1 fills in 9 days.\n\n%s", marker);
    srr_rc rc = srr_github_issue_create(gh, title, body, labels, 2, is, err);
    free(body);
    free(marker);
    return rc;
}

Test(github, create_with_the_required_headers, .timeout = 30)
{
    fake_github *fg = fake_github_start();
    srr_github *gh = gh_client(fg, FAKE_GITHUB_TOKEN);
    srr_github_issue is;
    srr_error err = {0};
    cr_assert_eq(gh_new(gh, "SRR-42", "Disk filling on db-1", &is, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(is.number, 1);
    cr_assert_str_eq(is.state, "open");
    cr_assert_str_eq(is.html_url, "https://github.com/" FAKE_GITHUB_REPO "/issues/1");
    cr_assert_eq(fake_github_unversioned(fg), 0, "version and Accept headers sent");
    char *labels = fake_github_issue_field(fg, 1, "labels");
    cr_assert_str_eq(labels, "srr,backlog");
    free(labels);
    fake_http_entry e;
    fake_http_entry_get(fake_github_http(fg), 0, &e);
    cr_assert_str_eq(e.authorization, "Bearer " FAKE_GITHUB_TOKEN);
    cr_assert_str_eq(e.path, "/repos/" FAKE_GITHUB_REPO "/issues");
    fake_http_entry_free(&e);
    srr_github_issue_clear(&is);
    cr_assert_eq(srr_github_issue_get(gh, 1, &is, &err), SRR_OK, "%s", err.msg);
    cr_assert(strstr(is.body, "<!-- srr:SRR-42 -->") != NULL);
    cr_assert_null(is.closed_by);
    srr_github_issue_clear(&is);
    /* without a User-Agent GitHub refuses */
    static const char *const h[] = {"User-Agent:", NULL};
    char *url = srr_asprintf("%s/repos/%s/issues/1", fake_github_url(fg), FAKE_GITHUB_REPO);
    srr_http_resp r;
    srr_http_request(NULL, "GET", url, h, NULL, 0, &r, NULL);
    cr_assert_eq(r.status, 403);
    srr_http_resp_free(&r);
    free(url);
    srr_github_destroy(&gh);
    fake_github_stop(&fg);
}

Test(github, found_by_marker_after_a_crash_never_twice, .timeout = 30)
{
    fake_github *fg = fake_github_start();
    srr_github *gh = gh_client(fg, FAKE_GITHUB_TOKEN);
    srr_github_issue is, found;
    srr_error err = {0};
    cr_assert_eq(gh_new(gh, "SRR-7", "Queue depth growing", &is, &err), SRR_OK);
    srr_github_issue_clear(&is);
    cr_assert_eq(gh_new(gh, "SRR-8", "Another", &is, &err), SRR_OK);
    srr_github_issue_clear(&is);
    fake_github_add_pull(fg, "a pull request");
    /* the process died before storing #1: look it up first */
    char *marker = srr_github_marker("SRR-7");
    cr_assert_eq(srr_github_issue_find(gh, marker, "srr", 0, &found, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(found.number, 1);
    srr_github_issue_clear(&found);
    free(marker);
    marker = srr_github_marker("SRR-70"); /* a prefix of nothing: not found */
    cr_assert_eq(srr_github_issue_find(gh, marker, "srr", 0, &found, &err), SRR_ENOTFOUND);
    free(marker);
    cr_assert_eq(fake_github_issues(fg), 2);
    srr_github_destroy(&gh);
    fake_github_stop(&fg);
}

typedef struct seen {
    long long numbers[256];
    char states[256][8];
    size_t n;
} seen;

static int collect(void *ud, const srr_github_issue *is)
{
    seen *s = ud;
    cr_assert(!is->is_pull_request);
    if (s->n < 256) {
        s->numbers[s->n] = is->number;
        snprintf(s->states[s->n], 8, "%s", is->state);
        s->n++;
    }
    return 0;
}

Test(github, closed_and_reopened_by_a_person_are_polled_back, .timeout = 30)
{
    fake_github *fg = fake_github_start();
    srr_github *gh = gh_client(fg, FAKE_GITHUB_TOKEN);
    srr_github_issue is;
    srr_error err = {0};
    cr_assert_eq(gh_new(gh, "SRR-1", "one", &is, &err), SRR_OK);
    srr_github_issue_clear(&is);
    cr_assert_eq(gh_new(gh, "SRR-2", "two", &is, &err), SRR_OK);
    srr_github_issue_clear(&is);
    int64_t t0 = (int64_t)time(NULL);
    fake_github_add_pull(fg, "a PR updated now");
    fake_github_person_close(fg, 2, "octocat", "completed");
    seen s = {0};
    cr_assert_eq(srr_github_issues_since(gh, t0, "srr", 0, collect, &s, &err), SRR_OK, "%s",
                 err.msg);
    cr_assert_geq(s.n, 1);
    cr_assert_eq(s.numbers[s.n - 1], 2, "oldest update first: the closed one last");
    cr_assert_str_eq(s.states[s.n - 1], "closed");
    cr_assert_eq(srr_github_issue_get(gh, 2, &is, &err), SRR_OK);
    cr_assert_str_eq(is.closed_by, "octocat");
    cr_assert_str_eq(is.state_reason, "completed");
    srr_github_issue_clear(&is);
    char *who = NULL;
    cr_assert_eq(srr_github_issue_last_actor(gh, 2, "closed", &who, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(who, "octocat");
    free(who);
    cr_assert_eq(srr_github_issue_last_actor(gh, 2, "reopened", &who, &err), SRR_ENOTFOUND);
    fake_github_person_reopen(fg, 2, "hubot");
    cr_assert_eq(srr_github_issue_get(gh, 2, &is, &err), SRR_OK);
    cr_assert_str_eq(is.state, "open");
    cr_assert_str_eq(is.state_reason, "reopened");
    srr_github_issue_clear(&is);
    cr_assert_eq(srr_github_issue_last_actor(gh, 2, "reopened", &who, &err), SRR_OK);
    cr_assert_str_eq(who, "hubot");
    free(who);
    /* srr closes a ticket itself */
    cr_assert_eq(srr_github_issue_set_state(gh, 1, "closed", "not_planned", &is, &err), SRR_OK);
    cr_assert_str_eq(is.state, "closed");
    cr_assert_str_eq(is.closed_by, FAKE_GITHUB_BOT);
    srr_github_issue_clear(&is);
    srr_github_destroy(&gh);
    fake_github_stop(&fg);
}

Test(github, listing_follows_link_pages, .timeout = 60)
{
    fake_github *fg = fake_github_start();
    srr_github *gh = gh_client(fg, FAKE_GITHUB_TOKEN);
    srr_error err = {0};
    for (int i = 0; i < 130; i++) {
        srr_github_issue is;
        char id[16];
        snprintf(id, sizeof(id), "SRR-%d", i);
        cr_assert_eq(gh_new(gh, id, "t", &is, &err), SRR_OK, "%s", err.msg);
        srr_github_issue_clear(&is);
    }
    seen s = {0};
    size_t gets = fake_http_count_where(fake_github_http(fg), "GET", NULL, 0);
    cr_assert_eq(srr_github_issues_since(gh, 0, "srr", 0, collect, &s, &err), SRR_OK, "%s",
                 err.msg);
    cr_assert_eq(s.n, 130);
    cr_assert_eq(fake_http_count_where(fake_github_http(fg), "GET", NULL, 0) - gets, 2);
    srr_github_destroy(&gh);
    fake_github_stop(&fg);
}

Test(github, primary_rate_limit_is_honoured_before_and_after_a_403, .timeout = 60)
{
    fake_github *fg = fake_github_start();
    fake_http *h = fake_github_http(fg);
    fake_github_set_limit(fg, 3, 3);
    srr_github *gh = gh_client(fg, FAKE_GITHUB_TOKEN);
    srr_github_issue is;
    srr_error err = {0};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(gh_new(gh, "SRR-1", "t", &is, &err), SRR_OK, "%s", err.msg);
        srr_github_issue_clear(&is);
    }
    /* remaining 0 after the third: the client waits for the reset by itself */
    cr_assert_eq(gh_new(gh, "SRR-1", "t", &is, &err), SRR_RETRY);
    cr_assert_eq(fake_http_count(h), 3);
    cr_assert_eq(fake_http_count_where(h, NULL, NULL, 403), 0);
    /* a second client that does not know the window gets 403 remaining 0 */
    srr_github *other = gh_client(fg, FAKE_GITHUB_TOKEN);
    cr_assert_eq(srr_github_issue_get(other, 1, &is, &err), SRR_RETRY);
    cr_assert(strstr(err.msg, "rate limit exceeded") != NULL, "%s", err.msg);
    cr_assert_gt(srr_github_retry_at_ms(other), srr_http_now_ms());
    wait_gate(gh_ready, gh);
    cr_assert_eq(gh_new(gh, "SRR-1", "t", &is, &err), SRR_OK, "%s", err.msg);
    srr_github_issue_clear(&is);
    cr_assert_eq(fake_http_count_where(h, NULL, NULL, 403), 1);
    srr_github_destroy(&other);
    srr_github_destroy(&gh);
    fake_github_stop(&fg);
}

Test(github, secondary_rate_limit_waits_retry_after_or_a_minute, .timeout = 30)
{
    fake_github *fg = fake_github_start();
    srr_github *gh = gh_client(fg, FAKE_GITHUB_TOKEN);
    srr_github_issue is;
    srr_error err = {0};
    fake_github_secondary(fg, 1, 1);
    cr_assert_eq(gh_new(gh, "SRR-3", "t", &is, &err), SRR_RETRY);
    cr_assert(strstr(err.msg, "secondary rate limit") != NULL, "%s", err.msg);
    int64_t at = srr_github_retry_at_ms(gh);
    cr_assert(at > srr_http_now_ms() + 500 && at < srr_http_now_ms() + 2000);
    wait_gate(gh_ready, gh);
    cr_assert_eq(gh_new(gh, "SRR-3", "t", &is, &err), SRR_OK, "%s", err.msg);
    srr_github_issue_clear(&is);
    fake_github_secondary(fg, 1, 0); /* no Retry-After: at least a minute */
    cr_assert_eq(gh_new(gh, "SRR-4", "t", &is, &err), SRR_RETRY);
    cr_assert_geq(srr_github_retry_at_ms(gh), srr_http_now_ms() + 59000);
    cr_assert_eq(fake_github_issues(fg), 1);
    srr_github_destroy(&gh);
    fake_github_stop(&fg);
}

Test(github, permanent_errors_outage_and_recovery, .timeout = 30)
{
    fake_github *fg = fake_github_start();
    fake_http *h = fake_github_http(fg);
    srr_github *bad = gh_client(fg, "github_pat_wrong");
    srr_github *gh = gh_client(fg, FAKE_GITHUB_TOKEN);
    srr_github_issue is;
    srr_error err = {0};
    cr_assert_eq(gh_new(bad, "SRR-1", "t", &is, &err), SRR_EAUTH);
    cr_assert(strstr(err.msg, "401 Bad credentials") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "wrong") == NULL, "the token leaked: %s", err.msg);
    cr_assert_eq(srr_github_retry_at_ms(bad), 0);
    cr_assert_eq(srr_github_issue_create(gh, "", NULL, NULL, 0, &is, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "422 Validation Failed (Issue.title missing_field)") != NULL, "%s",
              err.msg);
    cr_assert_eq(srr_github_issue_get(gh, 99, &is, &err), SRR_ENOTFOUND);
    fake_github_disable_issues(fg, 1);
    cr_assert_eq(gh_new(gh, "SRR-1", "t", &is, &err), SRR_ENOTFOUND);
    cr_assert(strstr(err.msg, "410") != NULL, "%s", err.msg);
    fake_github_disable_issues(fg, 0);
    srr_github_opts o = {0};
    srr_github *other = NULL;
    o.api_url = fake_github_url(fg);
    o.token = FAKE_GITHUB_TOKEN;
    o.repo = "srr-org/private";
    cr_assert_eq(srr_github_create(&o, &other, &err), SRR_OK);
    cr_assert_eq(gh_new(other, "SRR-1", "t", &is, &err), SRR_ENOTFOUND);
    srr_github_destroy(&other);
    o.repo = "not-a-repo";
    cr_assert_eq(srr_github_create(&o, &other, &err), SRR_EINVAL);
    /* GitHub down, then back: the ticket is made exactly once */
    fake_http_set_outage(h, 502, "{\"message\":\"Server Error\"}", 0);
    cr_assert_eq(gh_new(gh, "SRR-5", "t", &is, &err), SRR_RETRY);
    fake_http_set_outage(h, 0, NULL, 0);
    wait_gate(gh_ready, gh);
    cr_assert_eq(gh_new(gh, "SRR-5", "t", &is, &err), SRR_OK, "%s", err.msg);
    srr_github_issue_clear(&is);
    cr_assert_eq(fake_github_issues(fg), 1);
    srr_github_destroy(&bad);
    srr_github_destroy(&gh);
    fake_github_stop(&fg);
}

/* ---- Jira ------------------------------------------------------------------------- */

static srr_jira *jira_client(fake_jira *fj, const char *token)
{
    srr_jira_opts o = {0};
    srr_jira *j = NULL;
    srr_error err = {0};
    o.url = fake_jira_url(fj);
    o.user = FAKE_JIRA_EMAIL;
    o.token = token;
    o.http.timeout_ms = 5000;
    cr_assert_eq(srr_jira_create(&o, &j, &err), SRR_OK, "%s", err.msg);
    return j;
}

static json_t *description(void)
{
    json_t *d = srr_adf_doc();
    srr_adf_heading(d, 2, "Overview");
    srr_adf_paragraph(d, "Disk on db-1 fills in 9 days.\nSeen 3 times.");
    srr_adf_paragraph(d, ""); /* empty text is left out */
    srr_adf_heading(d, 2, "Why srr drafted it");
    srr_adf_paragraph(d, "rule disk-trend: growth > 10%/week");
    srr_adf_link(d, "Datadog", "https://app.datadoghq.com/dashboard/abc");
    return d;
}

static srr_rc jira_new(srr_jira *j, const char *id, srr_jira_issue *is, srr_error *err)
{
    char label[64];
    snprintf(label, sizeof(label), "srr-%s", id);
    const char *labels[] = {"srr", label};
    json_t *d = description();
    srr_rc rc = srr_jira_issue_create(j, FAKE_JIRA_PROJECT, "Task", "Disk filling on db-1", d,
                                      labels, 2, is, err);
    json_decref(d);
    return rc;
}

Test(jira, create_with_an_adf_description, .timeout = 30)
{
    fake_jira *fj = fake_jira_start();
    srr_jira *j = jira_client(fj, FAKE_JIRA_TOKEN);
    srr_jira_issue is;
    srr_error err = {0};
    cr_assert_eq(jira_new(j, "SRR-42", &is, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(is.key, "OPS-1");
    char *want = srr_asprintf("%s/browse/OPS-1", fake_jira_url(fj));
    cr_assert_str_eq(is.browse_url, want);
    free(want);
    srr_jira_issue_clear(&is);
    json_t *d = description();
    char *dj = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    char *got = fake_jira_issue_field(fj, "OPS-1", "description");
    cr_assert_str_eq(got, dj);
    cr_assert(strstr(got, "\"hardBreak\"") != NULL && strstr(got, "\"link\"") != NULL, "%s", got);
    free(got);
    free(dj);
    json_decref(d);
    char *labels = fake_jira_issue_field(fj, "OPS-1", "labels");
    cr_assert_str_eq(labels, "srr,srr-SRR-42");
    free(labels);
    cr_assert_eq(srr_jira_issue_get(j, "OPS-1", &is, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(is.status, "To Do");
    cr_assert_str_eq(is.status_category, "new");
    cr_assert_gt(is.updated, 1700000000);
    srr_jira_issue_clear(&is);
    fake_http_entry e;
    fake_http_entry_get(fake_jira_http(fj), 0, &e);
    cr_assert(strncmp(e.authorization, "Basic ", 6) == 0);
    fake_http_entry_free(&e);
    srr_jira_destroy(&j);
    fake_jira_stop(&fj);
}

Test(jira, validation_errors_are_permanent_and_readable, .timeout = 30)
{
    fake_jira *fj = fake_jira_start();
    srr_jira *j = jira_client(fj, FAKE_JIRA_TOKEN);
    srr_jira_issue is;
    srr_error err = {0};
    json_t *d = description();
    cr_assert_eq(srr_jira_issue_create(j, FAKE_JIRA_PROJECT, "Task", "", d, NULL, 0, &is, &err),
                 SRR_EINVAL);
    cr_assert(strstr(err.msg, "400 summary: You must specify a summary of the issue.") != NULL,
              "%s", err.msg);
    cr_assert_eq(
        srr_jira_issue_create(j, FAKE_JIRA_PROJECT, "Epic Saga", "s", d, NULL, 0, &is, &err),
        SRR_EINVAL);
    cr_assert(strstr(err.msg, "issuetype") != NULL, "%s", err.msg);
    const char *spaced[] = {"two words"};
    cr_assert_eq(srr_jira_issue_create(j, FAKE_JIRA_PROJECT, "Task", "s", d, spaced, 1, &is, &err),
                 SRR_EINVAL);
    json_decref(d);
    /* v3 wants ADF: a plain string description is refused */
    d = json_string("plain text");
    cr_assert_eq(srr_jira_issue_create(j, FAKE_JIRA_PROJECT, "Task", "s", d, NULL, 0, &is, &err),
                 SRR_EINVAL);
    cr_assert(strstr(err.msg, "Atlassian Document") != NULL, "%s", err.msg);
    json_decref(d);
    cr_assert_eq(srr_jira_retry_at_ms(j), 0);
    cr_assert_eq(fake_jira_issues(fj), 0);
    srr_jira *bad = jira_client(fj, "ATATTwrong");
    cr_assert_eq(srr_jira_issue_get(bad, "OPS-1", &is, &err), SRR_EAUTH);
    cr_assert(strstr(err.msg, "401 Client must be authenticated") != NULL, "%s", err.msg);
    srr_jira_destroy(&bad);
    cr_assert_eq(srr_jira_issue_get(j, "OPS-9", &is, &err), SRR_ENOTFOUND);
    srr_jira_destroy(&j);
    fake_jira_stop(&fj);
}

typedef struct jseen {
    char keys[160][16];
    char cats[160][16];
    size_t n;
} jseen;

static int jcollect(void *ud, const srr_jira_issue *is)
{
    jseen *s = ud;
    if (s->n < 160) {
        snprintf(s->keys[s->n], 16, "%s", is->key);
        snprintf(s->cats[s->n], 16, "%s", is->status_category ? is->status_category : "");
        s->n++;
    }
    return 0;
}

Test(jira, done_and_reopened_by_a_person_are_polled_back, .timeout = 30)
{
    fake_jira *fj = fake_jira_start();
    srr_jira *j = jira_client(fj, FAKE_JIRA_TOKEN);
    srr_jira_issue is;
    srr_error err = {0};
    cr_assert_eq(jira_new(j, "SRR-1", &is, &err), SRR_OK);
    srr_jira_issue_clear(&is);
    cr_assert_eq(jira_new(j, "SRR-2", &is, &err), SRR_OK);
    srr_jira_issue_clear(&is);
    /* a crash before srr stored OPS-2: found by the record's label */
    cr_assert_eq(srr_jira_issue_find_label(j, FAKE_JIRA_PROJECT, "srr-SRR-2", &is, &err), SRR_OK,
                 "%s", err.msg);
    cr_assert_str_eq(is.key, "OPS-2");
    srr_jira_issue_clear(&is);
    cr_assert_eq(srr_jira_issue_find_label(j, FAKE_JIRA_PROJECT, "srr-SRR-3", &is, &err),
                 SRR_ENOTFOUND);
    int64_t t0 = (int64_t)time(NULL);
    fake_jira_person_transition(fj, "OPS-2", "Done", "Dana Ops", "557058:dana");
    char *jql = srr_jira_jql_updated_since(FAKE_JIRA_PROJECT, "srr", t0);
    char *want = srr_asprintf("project = \"OPS\" AND labels = \"srr\" AND updated >= %lld000 "
                              "ORDER BY updated ASC",
                              (long long)t0);
    cr_assert_str_eq(jql, want);
    free(want);
    jseen s = {0};
    cr_assert_eq(srr_jira_search(j, jql, 0, jcollect, &s, &err), SRR_OK, "%s", err.msg);
    cr_assert_geq(s.n, 1);
    cr_assert_str_eq(s.keys[s.n - 1], "OPS-2");
    cr_assert_str_eq(s.cats[s.n - 1], "done");
    char *who = NULL, *acct = NULL, *to = NULL;
    cr_assert_eq(srr_jira_last_status_change(j, "OPS-2", &who, &acct, &to, &err), SRR_OK, "%s",
                 err.msg);
    cr_assert_str_eq(who, "Dana Ops");
    cr_assert_str_eq(acct, "557058:dana");
    cr_assert_str_eq(to, "Done");
    free(who);
    free(acct);
    free(to);
    cr_assert_eq(srr_jira_last_status_change(j, "OPS-1", &who, &acct, &to, &err), SRR_ENOTFOUND);
    fake_jira_person_transition(fj, "OPS-2", "To Do", "Ravi", "557058:ravi");
    cr_assert_eq(srr_jira_issue_get(j, "OPS-2", &is, &err), SRR_OK);
    cr_assert_str_eq(is.status_category, "new");
    srr_jira_issue_clear(&is);
    /* srr moves one to done itself */
    cr_assert_eq(srr_jira_transition_to(j, "OPS-1", "done", NULL, &err), SRR_OK, "%s", err.msg);
    char *st = fake_jira_issue_field(fj, "OPS-1", "status");
    cr_assert_str_eq(st, "Done");
    free(st);
    cr_assert_eq(srr_jira_transition_to(j, "OPS-1", "done", NULL, &err), SRR_ECONFLICT);
    free(jql);
    srr_jira_destroy(&j);
    fake_jira_stop(&fj);
}

Test(jira, search_pages_by_token_and_the_old_endpoint_is_gone, .timeout = 60)
{
    fake_jira *fj = fake_jira_start();
    srr_jira *j = jira_client(fj, FAKE_JIRA_TOKEN);
    srr_error err = {0};
    for (int i = 0; i < 130; i++) {
        srr_jira_issue is;
        char id[16];
        snprintf(id, sizeof(id), "SRR-%d", i);
        cr_assert_eq(jira_new(j, id, &is, &err), SRR_OK, "%s", err.msg);
        srr_jira_issue_clear(&is);
    }
    jseen s = {0};
    char *jql = srr_jira_jql_updated_since(FAKE_JIRA_PROJECT, "srr", 0);
    cr_assert_eq(srr_jira_search(j, jql, 0, jcollect, &s, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(s.n, 130);
    cr_assert_str_eq(s.keys[0], "OPS-1");
    cr_assert_eq(fake_http_count_where(fake_jira_http(fj), "POST", "/rest/api/3/search/jql", 0), 2);
    free(jql);
    /* an unbounded query is refused */
    cr_assert_eq(srr_jira_search(j, "ORDER BY updated ASC", 0, jcollect, &s, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "Unbounded") != NULL, "%s", err.msg);
    srr_jira_destroy(&j);
    fake_jira_stop(&fj);
}

Test(jira, rate_limit_outage_and_recovery, .timeout = 30)
{
    fake_jira *fj = fake_jira_start();
    fake_http *h = fake_jira_http(fj);
    srr_jira *j = jira_client(fj, FAKE_JIRA_TOKEN);
    srr_jira_issue is;
    srr_error err = {0};
    fake_jira_set_rate(fj, 1, 1000, 1);
    cr_assert_eq(jira_new(j, "SRR-1", &is, &err), SRR_OK, "%s", err.msg);
    srr_jira_issue_clear(&is);
    srr_rc rc = jira_new(j, "SRR-2", &is, &err);
    if (rc == SRR_OK) { /* the window turned between the two: once more */
        srr_jira_issue_clear(&is);
        rc = jira_new(j, "SRR-2b", &is, &err);
    }
    cr_assert_eq(rc, SRR_RETRY, "%s", err.msg);
    cr_assert(strstr(err.msg, "429") != NULL, "%s", err.msg);
    cr_assert_gt(srr_jira_retry_at_ms(j), srr_http_now_ms() + 500);
    size_t sent = fake_http_count(h);
    cr_assert_eq(jira_new(j, "SRR-2", &is, &err), SRR_RETRY);
    cr_assert_eq(fake_http_count(h), sent, "nothing sent while Retry-After runs");
    wait_gate(jira_ready, j);
    fake_jira_set_rate(fj, 0, 0, 0);
    fake_http_set_outage(h, 503, "{\"errorMessages\":[\"Service Unavailable\"]}", 1);
    cr_assert_eq(jira_new(j, "SRR-3", &is, &err), SRR_RETRY);
    fake_http_set_outage(h, 0, NULL, 0);
    wait_gate(jira_ready, j);
    size_t before = fake_jira_issues(fj);
    cr_assert_eq(jira_new(j, "SRR-3", &is, &err), SRR_OK, "%s", err.msg);
    srr_jira_issue_clear(&is);
    cr_assert_eq(fake_jira_issues(fj), before + 1);
    srr_jira_destroy(&j);
    fake_jira_stop(&fj);
}

/* ---- option tables ------------------------------------------------------------------ */

static srr_config *parse(const char *yaml)
{
    srr_config *cfg = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_config_parse("t.yaml", yaml, strlen(yaml), &cfg, &err), SRR_OK, "%s", err.msg);
    return cfg;
}

Test(tickets_config, tables_defaults_and_errors)
{
    srr_error err = {0};
    srr_github_config *g = NULL;
    srr_jira_config *jc = NULL;
    srr_tickets_config *t = NULL;
    setenv("SRR_TEST_GH", "github_pat_from_env", 1);
    srr_config *cfg = parse("github:\n  repo: srr-org/ops\n  token_env: SRR_TEST_GH\n"
                            "tickets:\n  auto: true\n");
    cr_assert_eq(srr_github_config_load(cfg, &g, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(g->token, "github_pat_from_env");
    cr_assert_str_eq(g->api_url, "https://api.github.com");
    cr_assert_eq(g->nlabels, 1);
    cr_assert_str_eq(g->labels[0], "srr");
    srr_github_opts go;
    cr_assert_eq(srr_github_config_opts(g, &go, &err), SRR_OK);
    cr_assert_str_eq(go.api_version, "2022-11-28");
    cr_assert_eq(srr_tickets_config_load(cfg, &t, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(t->tracker, "github");
    cr_assert_eq(t->auto_create, 1);
    cr_assert_eq(t->poll_every_s, 300);
    cr_assert_eq(srr_jira_config_load(cfg, &jc, &err), SRR_OK);
    cr_assert_null(jc);
    srr_tickets_config_free(&t);
    srr_github_config_free(&g);
    srr_config_destroy(cfg);

    cfg = parse("jira:\n  url: https://acme.atlassian.net\n  user: ops@acme.test\n"
                "  project: OPS\n  token_env: SRR_TEST_NOPE\n  labels: [srr, risk-backlog]\n");
    cr_assert_eq(srr_jira_config_load(cfg, &jc, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(jc->issue_type, "Task");
    cr_assert_eq(jc->nlabels, 2);
    srr_jira_opts jo;
    cr_assert_eq(srr_jira_config_opts(jc, &jo, &err), SRR_EAUTH);
    cr_assert(strstr(err.msg, "SRR_TEST_NOPE") != NULL, "%s", err.msg);
    cr_assert_eq(srr_tickets_config_load(cfg, &t, &err), SRR_OK);
    cr_assert_str_eq(t->tracker, "jira");
    srr_tickets_config_free(&t);
    srr_jira_config_free(&jc);
    srr_config_destroy(cfg);

    struct {
        const char *yaml, *want;
    } bad[] = {
        {"github:\n  repo: just-a-name\n", "t.yaml:2:9: github.repo: expected owner/name"},
        {"github:\n  repo: a/b\n  label: x\n", "t.yaml:3:3: unknown key 'label' in github"},
        {"jira:\n  url: https://a.atlassian.net\n  user: a@b\n  project: OPS\n  labels: [\"a "
         "b\"]\n",
         "jira.labels: 'a b' has a space"},
        {"jira:\n  url: https://a.atlassian.net\n  user: a@b\n", "jira: project"},
        {"github:\n  repo: a/b\njira:\n  url: https://a.atlassian.net\n  user: a@b\n  project: P\n",
         "both github and jira are configured"},
        {"github:\n  repo: a/b\ntickets:\n  tracker: jira\n",
         "t.yaml:4:12: tickets.tracker: jira, but there is no jira: section"},
        {"tickets:\n  tracker: gitlab\n", "expected github or jira"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg = parse(bad[i].yaml);
        srr_rc rc = srr_github_config_load(cfg, &g, &err);
        if (rc == SRR_OK)
            rc = srr_jira_config_load(cfg, &jc, &err);
        if (rc == SRR_OK)
            rc = srr_tickets_config_load(cfg, &t, &err);
        cr_assert_eq(rc, SRR_EINVAL, "case %zu loaded", i);
        cr_assert(strstr(err.msg, bad[i].want) != NULL, "case %zu: %s", i, err.msg);
        srr_github_config_free(&g);
        srr_jira_config_free(&jc);
        srr_tickets_config_free(&t);
        srr_config_destroy(cfg);
    }
    char *ref = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&ref, &len);
    srr_config_print_options(f, "github", srr_github_options, 0);
    srr_config_print_options(f, "jira", srr_jira_options, 0);
    srr_config_print_options(f, "tickets", srr_tickets_options, 0);
    fclose(f);
    cr_assert(strstr(ref, "| `github.token_env` | string | GITHUB_TOKEN |") != NULL, "%s", ref);
    cr_assert(strstr(ref, "| `jira.issue_type` | string | Task |") != NULL);
    cr_assert(strstr(ref, "| `tickets.auto` | boolean | false |") != NULL);
    free(ref);
}

/* ---- a record rendered as a ticket (sinks/record_views.c) ---------------------------- */

static json_t *sample_record(void)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s,"
        " s:[{s:s, s:i, s:f}, {s:s, s:i, s:f}], s:[s, s]}",
        "kind", "backlog", "id", "BL-3", "status", "accepted", "urgency", "high", "title",
        "Disk filling\non db-1", "service", "db", "assignee", "overview",
        "Disk on db-1 fills in 9 days. <!-- srr:BL-9 --> is not a marker here.", "reason",
        "clearly fixable: rotate the logs", "rule", "disk-trend", "datadog_url",
        "https://app.datadoghq.com/dashboard/abc", "first_seen", "2026-11-01T10:00:00Z",
        "last_seen", "2026-11-28T12:00:00Z", "occurrences", 3, "cause", "", "next_action",
        "alice rotates the logs", "weeks", "week", "2026-11-16", "count", 2, "max", 91.5, "week",
        "2026-11-23", "count", 1, "max", 93.0, "links", "https://app.datadoghq.com/dashboard/abc",
        "https://app.datadoghq.com/logs?q=x");
}

Test(ticket_views, title_body_and_label)
{
    json_t *r = sample_record();
    char *t = srr_ticket_title(r);
    cr_assert_str_eq(t, "Disk filling on db-1 (BL-3)");
    free(t);
    json_t *long_r = json_pack("{s:s, s:s}", "id", "SRR-1", "title", "x");
    char *big = malloc(1001);
    memset(big, 'y', 1000);
    big[1000] = '\0';
    json_object_set_new(long_r, "title", json_string(big));
    t = srr_ticket_title(long_r);
    cr_assert_eq(strlen(t), 255);
    cr_assert(strstr(t, " (SRR-1)") == t + 255 - 8, "%s", t);
    free(t);
    free(big);
    json_decref(long_r);
    char *md = srr_ticket_markdown(r);
    cr_assert(strstr(md, "## Overview\n\nDisk on db-1 fills in 9 days.") != NULL, "%s", md);
    cr_assert(strstr(md, "&lt;!-- srr:BL-9 -->") != NULL, "a marker in text is defused: %s", md);
    cr_assert(strstr(md, "## Why srr drafted it\n\nclearly fixable: rotate the logs (rule "
                         "`disk-trend`)") != NULL,
              "%s", md);
    cr_assert(strstr(md, "- Seen 3 times, first on 2026-11-01, last on 2026-11-28") != NULL, "%s",
              md);
    cr_assert(strstr(md, "- Week of 2026-11-16: 2 firing, worst 91.5") != NULL, "%s", md);
    cr_assert(strstr(md, "- [Datadog](https://app.datadoghq.com/dashboard/abc)") != NULL, "%s", md);
    cr_assert(strstr(md, "https://app.datadoghq.com/logs?q=x") != NULL);
    cr_assert(strstr(md, "## Cause") == NULL, "empty sections are left out");
    const char *end = md + strlen(md) - strlen("<!-- srr:BL-3 -->\n");
    cr_assert_str_eq(end, "<!-- srr:BL-3 -->\n");
    free(md);
    char *l = srr_ticket_label("SRR 12/x");
    cr_assert_str_eq(l, "srr-SRR_12_x");
    free(l);
    json_decref(r);
}

Test(ticket_views, huge_text_keeps_the_marker_within_githubs_limit)
{
    json_t *r = sample_record();
    char *big = malloc(200001);
    for (int i = 0; i < 100000; i++)
        memcpy(big + 2 * i, "\xC3\xA9", 2); /* é: two bytes, one character */
    big[200000] = '\0';
    json_object_set_new(r, "overview", json_string(big));
    char *md = srr_ticket_markdown(r);
    size_t chars = 0;
    for (const char *p = md; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    cr_assert_leq(chars, 65536);
    cr_assert(strstr(md, "<!-- srr:BL-3 -->") != NULL);
    cr_assert(strstr(md, "(cut to fit GitHub's limit)") != NULL);
    free(md);
    free(big);
    json_decref(r);
}

Test(ticket_views, rendered_tickets_are_accepted_by_the_fakes, .timeout = 30)
{
    json_t *r = sample_record();
    srr_error err = {0};
    fake_github *fg = fake_github_start();
    srr_github *gh = gh_client(fg, FAKE_GITHUB_TOKEN);
    char *title = srr_ticket_title(r), *body = srr_ticket_markdown(r),
         *marker = srr_github_marker("BL-3");
    const char *labels[] = {"srr"};
    srr_github_issue is;
    cr_assert_eq(srr_github_issue_create(gh, title, body, labels, 1, &is, &err), SRR_OK, "%s",
                 err.msg);
    srr_github_issue_clear(&is);
    cr_assert_eq(srr_github_issue_find(gh, marker, "srr", 0, &is, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(is.number, 1);
    srr_github_issue_clear(&is);
    char *forged = srr_github_marker("BL-9");
    cr_assert_eq(srr_github_issue_find(gh, forged, "srr", 0, &is, &err), SRR_ENOTFOUND);
    free(forged);
    srr_github_destroy(&gh);
    fake_github_stop(&fg);

    fake_jira *fj = fake_jira_start();
    srr_jira *j = jira_client(fj, FAKE_JIRA_TOKEN);
    json_t *adf = srr_ticket_adf(r);
    char *label = srr_ticket_label("BL-3");
    const char *jl[] = {"srr", label};
    srr_jira_issue ji;
    cr_assert_eq(srr_jira_issue_create(j, FAKE_JIRA_PROJECT, "Task", title, adf, jl, 2, &ji, &err),
                 SRR_OK, "%s", err.msg);
    srr_jira_issue_clear(&ji);
    char *desc = fake_jira_issue_field(fj, "OPS-1", "description");
    cr_assert(strstr(desc, "\"text\":\"Why srr drafted it\"") != NULL, "%s", desc);
    cr_assert(strstr(desc, "\"href\":\"https://app.datadoghq.com/logs?q=x\"") != NULL, "%s", desc);
    free(desc);
    json_decref(adf);
    free(label);
    srr_jira_destroy(&j);
    fake_jira_stop(&fj);
    free(title);
    free(body);
    free(marker);
    json_decref(r);
}
