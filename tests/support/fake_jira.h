/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_jira.h - a fake Jira Cloud REST API v3 for tests (on fake_http.h),
 * enforcing what docs/jira-api.md records:
 *   - basic auth with the account's email and API token (401 otherwise);
 *   - one project (FAKE_JIRA_PROJECT) with issue types Task and Bug, and a
 *     workflow To Do (new) → In Progress (indeterminate) → Done (done) with
 *     a global transition to each status (ids 11, 21, 31);
 *   - create issue: 201 {id,key,self}; 400 {"errorMessages","errors"} for a
 *     missing or over-255-character summary, an unknown project or issue
 *     type, a description that is not an ADF document (a plain string, an
 *     unknown node type, an empty text node), labels with spaces;
 *   - get issue (fields summary, status with statusCategory, updated,
 *     labels), transitions (GET list, POST by id → 204), the changelog
 *     (paged by startAt), and JQL search at POST /rest/api/3/search/jql
 *     (nextPageToken paging, a bounded query required) for the clauses srr
 *     uses: project =, labels =, updated >= <epoch ms or "-Nm">, ORDER BY
 *     updated. The old /rest/api/3/search answers 410 Gone;
 *   - a burst limit answered 429 with Retry-After, X-RateLimit-Reset and
 *     RateLimit-Reason; an outage mode (fake_http_set_outage);
 *   - a person who moves issues through the workflow under their own name.
 */
#ifndef SRR_TESTS_FAKE_JIRA_H
#define SRR_TESTS_FAKE_JIRA_H

#include <stddef.h>

#include "fake_http.h"

typedef struct fake_jira fake_jira;

#define FAKE_JIRA_EMAIL "srr-bot@example.com"
#define FAKE_JIRA_TOKEN "ATATTfake0123456789"
#define FAKE_JIRA_PROJECT "OPS"

fake_jira *fake_jira_start(void);
void fake_jira_stop(fake_jira **fj);
const char *fake_jira_url(fake_jira *fj);
fake_http *fake_jira_http(fake_jira *fj);

/* At most `n` requests per `window_ms`; past it 429 with Retry-After
 * `retry_after_s`. n = 0 turns it off (the default). */
void fake_jira_set_rate(fake_jira *fj, unsigned n, long window_ms, int retry_after_s);

/* The person (display name, account id) moves an issue to a status
 * ("To Do", "In Progress", "Done"). */
void fake_jira_person_transition(fake_jira *fj, const char *key, const char *status,
                                 const char *name, const char *account_id);

/* Issues created, and a copy of an issue's field ("summary", "status",
 * "labels" as "a,b", "description" as JSON). Caller frees; NULL when none. */
size_t fake_jira_issues(fake_jira *fj);
char *fake_jira_issue_field(fake_jira *fj, const char *key, const char *field);

#endif
