/* SPDX-License-Identifier: Apache-2.0
 *
 * tickets_config.c - the `github:`, `jira:` and `tickets:` option tables
 * and their loading.
 */
#include "tickets_config.h"

#include <stdlib.h>
#include <string.h>

#include "sink_opts.h"

#define GOFF(f) offsetof(srr_github_config, f)
#define JOFF(f) offsetof(srr_jira_config, f)
#define TOFF(f) offsetof(srr_tickets_config, f)

static const srr_sink_opt github_opts[] = {
    {"api_url", SRR_SOPT_STRING, "https://api.github.com", GOFF(api_url), 0, 0,
     "Base URL of the REST API (GitHub Enterprise: https://HOST/api/v3; tests: a fake)."},
    {"token_env", SRR_SOPT_STRING, "GITHUB_TOKEN", GOFF(token_env), 0, 0,
     "Environment variable holding a fine-grained token with Issues: read and write."},
    {"token_file", SRR_SOPT_STRING, NULL, GOFF(token_file), 0, 0,
     "File holding the token (first line), instead of token_env."},
    {"repo", SRR_SOPT_STRING, NULL, GOFF(repo), 0, 0, "Repository of the tickets, owner/name."},
    {"labels", SRR_SOPT_LIST, "srr", GOFF(labels), 0, 0,
     "Labels put on every ticket; the first one finds srr's tickets when polling."},
    {"api_version", SRR_SOPT_STRING, SRR_GITHUB_API_VERSION, GOFF(api_version), 0, 0,
     "X-GitHub-Api-Version sent with every request."},
    {"timeout", SRR_SOPT_DURATION, "30s", GOFF(timeout_s), 1, 600, "Total time per request."},
    {"connect_timeout", SRR_SOPT_DURATION, "10s", GOFF(connect_timeout_s), 1, 600,
     "Time allowed to connect."},
    {NULL, SRR_SOPT_STRING, NULL, 0, 0, 0, NULL}};

static const srr_sink_opt jira_opts[] = {
    {"url", SRR_SOPT_STRING, NULL, JOFF(url), 0, 0, "Site URL, https://your-domain.atlassian.net."},
    {"user", SRR_SOPT_STRING, NULL, JOFF(user), 0, 0,
     "Email of the Atlassian account the API token belongs to."},
    {"token_env", SRR_SOPT_STRING, "JIRA_API_TOKEN", JOFF(token_env), 0, 0,
     "Environment variable holding the API token."},
    {"token_file", SRR_SOPT_STRING, NULL, JOFF(token_file), 0, 0,
     "File holding the API token (first line), instead of token_env."},
    {"project", SRR_SOPT_STRING, NULL, JOFF(project), 0, 0, "Project key of the tickets (OPS)."},
    {"issue_type", SRR_SOPT_STRING, "Task", JOFF(issue_type), 0, 0, "Issue type of the tickets."},
    {"labels", SRR_SOPT_LIST, "srr", JOFF(labels), 0, 0,
     "Labels put on every ticket (no spaces); the first one finds srr's tickets when polling."},
    {"done_transition", SRR_SOPT_STRING, NULL, JOFF(done_transition), 0, 0,
     "Name of the transition srr prefers into a done status (else the first one offered)."},
    {"timeout", SRR_SOPT_DURATION, "30s", JOFF(timeout_s), 1, 600, "Total time per request."},
    {"connect_timeout", SRR_SOPT_DURATION, "10s", JOFF(connect_timeout_s), 1, 600,
     "Time allowed to connect."},
    {NULL, SRR_SOPT_STRING, NULL, 0, 0, 0, NULL}};

static const srr_sink_opt tickets_opts[] = {
    {"tracker", SRR_SOPT_STRING, NULL, TOFF(tracker), 0, 0,
     "github or jira: where accepted backlog items become tickets (default: the one "
     "configured)."},
    {"auto", SRR_SOPT_BOOL, "false", TOFF(auto_create), 0, 0,
     "Create the ticket when an item is accepted, without --ticket."},
    {"poll_every", SRR_SOPT_DURATION, "5m", TOFF(poll_every_s), 30, 86400,
     "How often tickets are checked for being closed or reopened."},
    {"reopen", SRR_SOPT_BOOL, "true", TOFF(reopen), 0, 0,
     "A ticket reopened in the tracker reopens its backlog item."},
    {NULL, SRR_SOPT_STRING, NULL, 0, 0, 0, NULL}};

static const srr_yaml_node *key_node(const srr_yaml_node *sec, const char *key)
{
    const srr_yaml_node *n = srr_yaml_get(sec, key);
    return n ? n : sec;
}

srr_rc srr_github_config_load(const srr_config *cfg, srr_github_config **out, srr_error *err)
{
    const srr_yaml_node *sec = srr_sink_section(cfg, "github"), *at;
    srr_github_config *c;
    srr_rc rc;
    *out = NULL;
    if (!sec)
        return SRR_OK;
    c = srr_calloc(1, sizeof(*c));
    rc = srr_sink_opts_load(github_opts, sec, "github", c, err);
    if (rc == SRR_OK) {
        const char *slash = c->repo ? strchr(c->repo, '/') : NULL;
        at = key_node(sec, "repo");
        if (!slash || slash == c->repo || !slash[1] || strchr(slash + 1, '/'))
            rc = srr_error_at(err, SRR_EINVAL, at->file, at->line, at->col,
                              "github.repo: expected owner/name, found '%s'",
                              c->repo ? c->repo : "");
    }
    if (rc == SRR_OK)
        rc = srr_sink_secret(cfg, c->token_env, c->token_file, "github.token_file", &c->token, err);
    if (rc != SRR_OK) {
        srr_github_config_free(&c);
        return rc;
    }
    *out = c;
    return SRR_OK;
}

srr_rc srr_jira_config_load(const srr_config *cfg, srr_jira_config **out, srr_error *err)
{
    const srr_yaml_node *sec = srr_sink_section(cfg, "jira");
    srr_jira_config *c;
    srr_rc rc;
    *out = NULL;
    if (!sec)
        return SRR_OK;
    c = srr_calloc(1, sizeof(*c));
    rc = srr_sink_opts_load(jira_opts, sec, "jira", c, err);
    if (rc == SRR_OK && (!c->url || strncmp(c->url, "http", 4) != 0))
        rc = srr_error_at(err, SRR_EINVAL, key_node(sec, "url")->file, key_node(sec, "url")->line,
                          key_node(sec, "url")->col,
                          "jira.url: expected https://your-domain.atlassian.net");
    if (rc == SRR_OK && (!c->user || !strchr(c->user, '@')))
        rc = srr_error_at(err, SRR_EINVAL, key_node(sec, "user")->file, key_node(sec, "user")->line,
                          key_node(sec, "user")->col, "jira.user: expected the account's email");
    if (rc == SRR_OK && (!c->project || !*c->project))
        rc = srr_error_at(err, SRR_EINVAL, sec->file, sec->line, sec->col,
                          "jira: project (a project key) is required");
    for (size_t i = 0; rc == SRR_OK && i < c->nlabels; i++)
        if (strchr(c->labels[i], ' '))
            rc = srr_error_at(err, SRR_EINVAL, key_node(sec, "labels")->file,
                              key_node(sec, "labels")->line, key_node(sec, "labels")->col,
                              "jira.labels: '%s' has a space (Jira labels cannot)", c->labels[i]);
    if (rc == SRR_OK)
        rc = srr_sink_secret(cfg, c->token_env, c->token_file, "jira.token_file", &c->token, err);
    if (rc != SRR_OK) {
        srr_jira_config_free(&c);
        return rc;
    }
    *out = c;
    return SRR_OK;
}

srr_rc srr_tickets_config_load(const srr_config *cfg, srr_tickets_config **out, srr_error *err)
{
    const srr_yaml_node *sec = srr_sink_section(cfg, "tickets");
    const srr_yaml_node *gh = srr_sink_section(cfg, "github"), *jr = srr_sink_section(cfg, "jira");
    srr_tickets_config *c = srr_calloc(1, sizeof(*c));
    srr_rc rc;
    *out = NULL;
    rc = srr_sink_opts_load(tickets_opts, sec, "tickets", c, err);
    if (rc == SRR_OK && c->tracker) {
        const srr_yaml_node *at = key_node(sec, "tracker");
        if (strcmp(c->tracker, "github") != 0 && strcmp(c->tracker, "jira") != 0)
            rc = srr_error_at(err, SRR_EINVAL, at->file, at->line, at->col,
                              "tickets.tracker: expected github or jira, found '%s'", c->tracker);
        else if ((strcmp(c->tracker, "github") == 0 && !gh) ||
                 (strcmp(c->tracker, "jira") == 0 && !jr))
            rc = srr_error_at(err, SRR_EINVAL, at->file, at->line, at->col,
                              "tickets.tracker: %s, but there is no %s: section", c->tracker,
                              c->tracker);
    } else if (rc == SRR_OK && gh && jr) {
        rc = srr_error_at(err, SRR_EINVAL, (sec ? sec : jr)->file, (sec ? sec : jr)->line,
                          (sec ? sec : jr)->col,
                          "tickets.tracker: both github and jira are configured; say which one "
                          "gets the tickets");
    } else if (rc == SRR_OK && (gh || jr)) {
        c->tracker = srr_strdup(gh ? "github" : "jira");
    }
    if (rc != SRR_OK || (!sec && !gh && !jr)) {
        srr_tickets_config_free(&c);
        return rc;
    }
    *out = c;
    return SRR_OK;
}

void srr_github_config_free(srr_github_config **cp)
{
    if (!cp || !*cp)
        return;
    srr_sink_opts_free(github_opts, *cp);
    free((*cp)->token);
    free(*cp);
    *cp = NULL;
}

void srr_jira_config_free(srr_jira_config **cp)
{
    if (!cp || !*cp)
        return;
    srr_sink_opts_free(jira_opts, *cp);
    free((*cp)->token);
    free(*cp);
    *cp = NULL;
}

void srr_tickets_config_free(srr_tickets_config **cp)
{
    if (!cp || !*cp)
        return;
    srr_sink_opts_free(tickets_opts, *cp);
    free(*cp);
    *cp = NULL;
}

srr_rc srr_github_config_opts(const srr_github_config *c, srr_github_opts *o, srr_error *err)
{
    memset(o, 0, sizeof(*o));
    if (!c->token)
        return srr_error_set(err, SRR_EAUTH, "github: no token: set $%s (or github.token_file)",
                             c->token_env ? c->token_env : "GITHUB_TOKEN");
    o->api_url = c->api_url;
    o->token = c->token;
    o->repo = c->repo;
    o->api_version = c->api_version;
    o->http.timeout_ms = (long)c->timeout_s * 1000;
    o->http.connect_timeout_ms = (long)c->connect_timeout_s * 1000;
    return SRR_OK;
}

srr_rc srr_jira_config_opts(const srr_jira_config *c, srr_jira_opts *o, srr_error *err)
{
    memset(o, 0, sizeof(*o));
    if (!c->token)
        return srr_error_set(err, SRR_EAUTH, "jira: no API token: set $%s (or jira.token_file)",
                             c->token_env ? c->token_env : "JIRA_API_TOKEN");
    o->url = c->url;
    o->user = c->user;
    o->token = c->token;
    o->http.timeout_ms = (long)c->timeout_s * 1000;
    o->http.connect_timeout_ms = (long)c->connect_timeout_s * 1000;
    return SRR_OK;
}

void srr_tickets_config_print_reference(FILE *out)
{
    srr_sink_opts_print_reference(out, "github", github_opts);
    srr_sink_opts_print_reference(out, "jira", jira_opts);
    srr_sink_opts_print_reference(out, "tickets", tickets_opts);
}
