/* SPDX-License-Identifier: Apache-2.0
 *
 * tickets_config.h - the sections of the ticket sink (tickets.c): `github:`
 * (a repository's issues), `jira:` (a Jira Cloud project) and `tickets:`
 * (which tracker an accepted backlog item goes to, whether that happens on
 * its own, how often closed and reopened tickets are polled, and who is who
 * in the tracker). The option tables (core's srr_opt_def) live in
 * tickets_config.c; the outbox loads them for the sink (`tickets` is its
 * own section, `github` and `jira` the extra sections it reads). Tokens
 * come from the environment or a file.
 */
#ifndef SRR_SINKS_TICKETS_CONFIG_H
#define SRR_SINKS_TICKETS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "github_api.h"
#include "jira_api.h"
#include "srr.h"

typedef struct srr_github_config {
    char *api_url;   /* https://api.github.com */
    char *token_env; /* GITHUB_TOKEN */
    char *token_file;
    char *repo;    /* owner/name */
    char **labels; /* labels on every issue; the first one selects srr's issues when polling */
    size_t nlabels;
    char *api_version; /* 2022-11-28 */
    int64_t timeout_s;
    int64_t connect_timeout_s;
    char *token; /* not in the table: resolved, NULL when missing */
} srr_github_config;

typedef struct srr_jira_config {
    char *url;       /* https://your-domain.atlassian.net */
    char *user;      /* account email */
    char *token_env; /* JIRA_API_TOKEN */
    char *token_file;
    char *project;    /* project key */
    char *issue_type; /* Task */
    char **labels;    /* labels on every issue; the first one selects srr's issues when polling */
    size_t nlabels;
    char *done_transition; /* preferred transition name into a done status, may be NULL */
    int64_t timeout_s;
    int64_t connect_timeout_s;
    char *token; /* not in the table */
} srr_jira_config;

typedef struct srr_tickets_config {
    char *tracker;   /* "github" or "jira"; NULL = the one configured (set by resolve) */
    int auto_create; /* YAML key `auto`: accepted items get a ticket without --ticket */
    int64_t poll_every_s;
    int reopen;     /* a reopened ticket reopens the item */
    int close;      /* an item done or rejected in srr closes its ticket */
    srr_kv *people; /* srr member -> tracker login (GitHub) or account id / name (Jira) */
    size_t npeople;
} srr_tickets_config;

extern const srr_opt_def srr_github_options[];
extern const srr_opt_def srr_jira_options[];
extern const srr_opt_def srr_tickets_options[];

/* Checks a loaded section against cfg (positions from cfg's tree) and
 * reads its token into c->token (free with the _release function).
 * SRR_EINVAL with file:line:col for bad content (a repo that is not
 * owner/name, a required key missing). A missing token is not an error
 * here (see the _opts functions). */
srr_rc srr_github_config_resolve(const srr_config *cfg, srr_github_config *c, srr_error *err);
srr_rc srr_jira_config_resolve(const srr_config *cfg, srr_jira_config *c, srr_error *err);
void srr_github_config_release(srr_github_config *c);
void srr_jira_config_release(srr_jira_config *c);
/* Settles which tracker gets the tickets (t->tracker, from the sections
 * cfg has); SRR_EINVAL when it names one that is not configured, or both
 * are and it is unset. */
srr_rc srr_tickets_config_resolve(const srr_config *cfg, srr_tickets_config *t, srr_error *err);

/* Each loads its section (table + resolve); *out is NULL when absent
 * (tickets: when none of tickets, github, jira is there). */
srr_rc srr_github_config_load(const srr_config *cfg, srr_github_config **out, srr_error *err);
srr_rc srr_jira_config_load(const srr_config *cfg, srr_jira_config **out, srr_error *err);
srr_rc srr_tickets_config_load(const srr_config *cfg, srr_tickets_config **out, srr_error *err);
void srr_github_config_free(srr_github_config **c);
void srr_jira_config_free(srr_jira_config **c);
void srr_tickets_config_free(srr_tickets_config **c);

/* Client options (pointers borrowed from c); SRR_EAUTH naming the
 * variable when the token is missing. */
srr_rc srr_github_config_opts(const srr_github_config *c, srr_github_opts *o, srr_error *err);
srr_rc srr_jira_config_opts(const srr_jira_config *c, srr_jira_opts *o, srr_error *err);

#endif
