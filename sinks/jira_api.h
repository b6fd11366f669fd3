/* SPDX-License-Identifier: Apache-2.0
 *
 * jira_api.h - Jira Cloud over REST API v3 (docs/jira-api.md): an issue
 * created for an accepted backlog item with an Atlassian Document Format
 * description, read back, moved by a workflow transition chosen by its
 * target status category, the issues updated since a time found with JQL
 * (POST /rest/api/3/search/jql, paged by nextPageToken), who last changed
 * an issue's status (its changelog), and the lookup of the issue srr made
 * for a record by the record's label, so a crash between the create and
 * the local mark never makes a second issue.
 *
 * Auth is basic with the account's email and an API token. 429 (and a 503
 * with Retry-After) wait Retry-After, or X-RateLimit-Reset when only that
 * is given; 5xx and timeouts are SRR_RETRY with backoff. 401 is SRR_EAUTH,
 * 403 SRR_EAUTH, 404 SRR_ENOTFOUND, 400 SRR_EINVAL with Jira's
 * errorMessages and field errors in the message. The token never appears
 * in messages.
 */
#ifndef SRR_SINKS_JIRA_API_H
#define SRR_SINKS_JIRA_API_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "srr.h"

typedef struct srr_jira srr_jira;

typedef struct srr_jira_opts {
    const char *url;         /* "https://your-domain.atlassian.net" */
    const char *user;        /* the Atlassian account's email */
    const char *token;       /* its API token */
    int64_t min_interval_ms; /* spacing between requests (0 = none) */
    srr_http_opts http;
} srr_jira_opts;

/* An issue as srr needs it. Strings owned (srr_jira_issue_clear). */
typedef struct srr_jira_issue {
    char *id;
    char *key;        /* "OPS-12" */
    char *browse_url; /* "<url>/browse/OPS-12" */
    char *summary;
    char *status;          /* the workflow's own name ("Done", "Erledigt") */
    char *status_category; /* "new", "indeterminate" or "done" */
    int64_t updated;       /* epoch seconds */
} srr_jira_issue;

void srr_jira_issue_clear(srr_jira_issue *is);

srr_rc srr_jira_create(const srr_jira_opts *opts, srr_jira **out, srr_error *err);
void srr_jira_destroy(srr_jira **j);
int64_t srr_jira_retry_at_ms(const srr_jira *j);

/* POST /rest/api/3/issue. `description` is an ADF document (borrowed);
 * `labels` may be NULL. On success out->id, key and browse_url are set. */
srr_rc srr_jira_issue_create(srr_jira *j, const char *project, const char *issue_type,
                             const char *summary, const json_t *description,
                             const char *const *labels, size_t nlabels, srr_jira_issue *out,
                             srr_error *err);
/* GET /rest/api/3/issue/{key} (summary, status, updated). */
srr_rc srr_jira_issue_get(srr_jira *j, const char *key, srr_jira_issue *out, srr_error *err);

/* Moves the issue to a status of `category` ("done", "new",
 * "indeterminate") with the first available transition there (one whose
 * name is `prefer` wins, when given). SRR_ECONFLICT when the workflow
 * offers none from the current status. */
srr_rc srr_jira_transition_to(srr_jira *j, const char *key, const char *category,
                              const char *prefer, srr_error *err);

typedef int (*srr_jira_issue_fn)(void *ud, const srr_jira_issue *is);

/* Runs `jql` (which must be bounded, e.g. by project) and calls fn for each
 * issue (summary, status, updated), at most `max_pages` pages of 100
 * (0 = 50). fn returns non-zero to stop. */
srr_rc srr_jira_search(srr_jira *j, const char *jql, unsigned max_pages, srr_jira_issue_fn fn,
                       void *ud, srr_error *err);

/* JQL for the issues of `project` with `label` (NULL = any) updated at or
 * after `since` (epoch seconds), oldest first. The time is given as epoch
 * milliseconds, which JQL reads without the account's time zone. Values
 * are quoted. Caller frees. */
char *srr_jira_jql_updated_since(const char *project, const char *label, int64_t since);

/* The issue of `project` carrying `label` (srr gives each record's issue
 * the label "srr-<ID>"); SRR_ENOTFOUND when none. */
srr_rc srr_jira_issue_find_label(srr_jira *j, const char *project, const char *label,
                                 srr_jira_issue *out, srr_error *err);

/* Who last changed the status, from the changelog: their display name and
 * account id (either may be NULL) and the status it went to. Callers free
 * each. SRR_ENOTFOUND when the status never changed. */
srr_rc srr_jira_last_status_change(srr_jira *j, const char *key, char **who_name,
                                   char **who_account, char **to_status, srr_error *err);

/* Atlassian Document Format: an empty document {"type":"doc","version":1,
 * "content":[]} (caller decref's) and blocks appended to it. Empty text is
 * left out (ADF refuses empty text nodes); a paragraph's newlines become
 * hardBreaks; a link paragraph carries a link mark. */
json_t *srr_adf_doc(void);
void srr_adf_heading(json_t *doc, int level, const char *text);
void srr_adf_paragraph(json_t *doc, const char *text);
void srr_adf_link(json_t *doc, const char *label, const char *href);

#endif
