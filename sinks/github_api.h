/* SPDX-License-Identifier: Apache-2.0
 *
 * github_api.h - GitHub Issues over the REST API (docs/github-api.md): an
 * issue created for an accepted backlog item, read back, closed or
 * reopened, the issues updated since a time (to poll for closed and
 * reopened tickets), who closed or reopened one (its events), and the
 * lookup of an issue by the marker srr writes into its body, so a crash
 * between the create and the local mark never makes a second issue.
 *
 * Every request carries `Authorization: Bearer <token>`, `Accept:
 * application/vnd.github+json`, `X-GitHub-Api-Version` (2022-11-28 unless
 * configured) and a User-Agent. Rate limits are honoured as GitHub asks:
 * 403/429 with x-ratelimit-remaining 0 waits until x-ratelimit-reset; a
 * secondary limit waits Retry-After, or a minute when GitHub gives no time;
 * a 2xx that leaves no request in the window blocks until the reset too.
 * Classification: SRR_RETRY for those and 5xx; SRR_EAUTH for 401 (bad
 * token) and 403 (no permission); SRR_ENOTFOUND for 404 (also a private
 * repo the token cannot see) and 410 (issues disabled); SRR_EINVAL for 422
 * (validation) and 400. The token never appears in messages.
 */
#ifndef SRR_SINKS_GITHUB_API_H
#define SRR_SINKS_GITHUB_API_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "srr.h"

#define SRR_GITHUB_API_VERSION "2022-11-28"

typedef struct srr_github srr_github;

typedef struct srr_github_opts {
    const char *api_url;     /* NULL = "https://api.github.com" */
    const char *token;       /* fine-grained token with Issues: read and write */
    const char *repo;        /* "owner/name" */
    const char *api_version; /* NULL = SRR_GITHUB_API_VERSION */
    int64_t min_interval_ms; /* spacing between requests (0 = none) */
    srr_http_opts http;
} srr_github_opts;

/* An issue as srr needs it. Strings owned (srr_github_issue_clear). */
typedef struct srr_github_issue {
    long long number;
    char *state;        /* "open" or "closed" */
    char *state_reason; /* "completed", "not_planned", "reopened" or NULL */
    char *title;
    char *body; /* may be NULL */
    char *html_url;
    char *closed_by;    /* login; set by srr_github_issue_get when closed */
    int64_t updated_at; /* epoch seconds */
    int64_t closed_at;  /* 0 while open */
    int is_pull_request;
} srr_github_issue;

void srr_github_issue_clear(srr_github_issue *is);

/* SRR_EINVAL without a token or an "owner/name" repo. */
srr_rc srr_github_create(const srr_github_opts *opts, srr_github **out, srr_error *err);
void srr_github_destroy(srr_github **gh);
/* When the next request may be sent (epoch ms), 0 when now. */
int64_t srr_github_retry_at_ms(const srr_github *gh);

/* The marker srr puts in an issue body for record `id`: "<!-- srr:ID -->".
 * Caller frees. */
char *srr_github_marker(const char *id);

/* POST /repos/{owner}/{repo}/issues. `labels` may be NULL. On success *out
 * is filled (clear it). */
srr_rc srr_github_issue_create(srr_github *gh, const char *title, const char *body,
                               const char *const *labels, size_t nlabels, srr_github_issue *out,
                               srr_error *err);
/* GET /repos/{owner}/{repo}/issues/{number}. */
srr_rc srr_github_issue_get(srr_github *gh, long long number, srr_github_issue *out,
                            srr_error *err);
/* PATCH the state: "closed" (reason "completed" or "not_planned") or "open". */
srr_rc srr_github_issue_set_state(srr_github *gh, long long number, const char *state,
                                  const char *reason, srr_github_issue *out, srr_error *err);

/* Called for each issue (never a pull request); return non-zero to stop. */
typedef int (*srr_github_issue_fn)(void *ud, const srr_github_issue *is);

/* Every issue (open and closed) with `label` (NULL = any) updated at or
 * after `since` (epoch seconds; 0 = all), oldest update first, following
 * the Link header's rel="next" for at most `max_pages` pages of 100
 * (0 = 50). */
srr_rc srr_github_issues_since(srr_github *gh, int64_t since, const char *label, unsigned max_pages,
                               srr_github_issue_fn fn, void *ud, srr_error *err);

/* The issue whose body holds `marker` among those with `label` (NULL =
 * any) updated since `since`; SRR_ENOTFOUND when none. */
srr_rc srr_github_issue_find(srr_github *gh, const char *marker, const char *label, int64_t since,
                             srr_github_issue *out, srr_error *err);

/* The login of who last did `event` ("closed", "reopened") to the issue,
 * from its events; SRR_ENOTFOUND when it never happened. Caller frees. */
srr_rc srr_github_issue_last_actor(srr_github *gh, long long number, const char *event,
                                   char **login, srr_error *err);

#endif
