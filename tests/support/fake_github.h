/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_github.h - a fake GitHub REST API for tests (on fake_http.h),
 * enforcing what docs/github-api.md records:
 *   - a token (`Authorization: Bearer` or `token`): none 401 "Requires
 *     authentication", a wrong one 401 "Bad credentials"; a User-Agent
 *     (403 without); an unknown X-GitHub-Api-Version is 400; requests
 *     without the version or the vnd.github+json Accept are counted;
 *   - one repository (FAKE_GITHUB_REPO); others are 404 "Not Found"; an
 *     issues-disabled switch answers 410;
 *   - create (201; 422 "Validation Failed" with errors[] for a missing
 *     title, bad labels, a body over 65,536 characters), get, update
 *     (state/state_reason), list (state, labels, since, sort, direction,
 *     per_page ≤ 100, page, Link rel="next"/"last"; pull requests are in the
 *     list, as on GitHub), and the issue's events;
 *   - x-ratelimit-limit/-remaining/-used/-reset/-resource on every answer;
 *     past the primary limit 403 with remaining 0; a secondary limit answers
 *     content-creating requests 403 with Retry-After and GitHub's message;
 *   - a person who closes and reopens issues under their own login.
 */
#ifndef SRR_TESTS_FAKE_GITHUB_H
#define SRR_TESTS_FAKE_GITHUB_H

#include <stddef.h>

#include "fake_http.h"

typedef struct fake_github fake_github;

#define FAKE_GITHUB_TOKEN "github_pat_fake_0123456789"
#define FAKE_GITHUB_REPO "srr-org/ops"
#define FAKE_GITHUB_BOT "srr-bot" /* the token's owner */

fake_github *fake_github_start(void);
void fake_github_stop(fake_github **fg);
const char *fake_github_url(fake_github *fg);
fake_http *fake_github_http(fake_github *fg);

/* Primary limit: `limit` requests per window, the window resetting
 * `reset_in_s` after its first request (defaults 5000 and 3600). */
void fake_github_set_limit(fake_github *fg, unsigned limit, unsigned reset_in_s);
/* The next `n` POST/PATCH requests hit a secondary limit (Retry-After
 * `retry_after_s`, or no header when 0). */
void fake_github_secondary(fake_github *fg, unsigned n, int retry_after_s);
void fake_github_disable_issues(fake_github *fg, int disabled);

/* A pull request (it takes an issue number, as on GitHub). Returns it. */
long long fake_github_add_pull(fake_github *fg, const char *title);
/* The person `login` closes (reason "completed"/"not_planned") or reopens. */
void fake_github_person_close(fake_github *fg, long long number, const char *login,
                              const char *reason);
void fake_github_person_reopen(fake_github *fg, long long number, const char *login);

/* Issues created through the API, and requests that came without the
 * version header or the vnd.github+json Accept. */
size_t fake_github_issues(fake_github *fg);
unsigned fake_github_unversioned(fake_github *fg);
/* A copy of an issue's field ("title", "body", "state", "labels" as
 * "a,b"); NULL when there is no such issue. Caller frees. */
char *fake_github_issue_field(fake_github *fg, long long number, const char *field);

#endif
