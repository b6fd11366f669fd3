/* SPDX-License-Identifier: Apache-2.0
 *
 * tickets_config.c - the `github:`, `jira:` and `tickets:` option tables,
 * their checks and their tokens.
 */
#include "tickets_config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define GOFF(f) offsetof(srr_github_config, f)
#define JOFF(f) offsetof(srr_jira_config, f)
#define TOFF(f) offsetof(srr_tickets_config, f)

const srr_opt_def srr_github_options[] = {
    {"api_url", SRR_OPT_STRING, "https://api.github.com", GOFF(api_url), 0, 0,
     "Base URL of the REST API (GitHub Enterprise: https://HOST/api/v3; tests: a fake)."},
    {"token_env", SRR_OPT_STRING, "GITHUB_TOKEN", GOFF(token_env), 0, 0,
     "Environment variable holding a fine-grained token with Issues: read and write."},
    {"token_file", SRR_OPT_STRING, NULL, GOFF(token_file), 0, 0,
     "File holding the token (first line), instead of token_env."},
    {"repo", SRR_OPT_STRING, NULL, GOFF(repo), 0, 0, "Repository of the tickets, owner/name."},
    {"labels", SRR_OPT_LIST, "srr", GOFF(labels), 0, 0, "Labels put on every ticket."},
    {"api_version", SRR_OPT_STRING, SRR_GITHUB_API_VERSION, GOFF(api_version), 0, 0,
     "X-GitHub-Api-Version sent with every request."},
    {"timeout", SRR_OPT_DURATION, "30s", GOFF(timeout_s), 1, 600, "Total time per request."},
    {"connect_timeout", SRR_OPT_DURATION, "10s", GOFF(connect_timeout_s), 1, 600,
     "Time allowed to connect."},
    {NULL, SRR_OPT_STRING, NULL, 0, 0, 0, NULL}};

const srr_opt_def srr_jira_options[] = {
    {"url", SRR_OPT_STRING, NULL, JOFF(url), 0, 0, "Site URL, https://your-domain.atlassian.net."},
    {"user", SRR_OPT_STRING, NULL, JOFF(user), 0, 0,
     "Email of the Atlassian account the API token belongs to."},
    {"token_env", SRR_OPT_STRING, "JIRA_API_TOKEN", JOFF(token_env), 0, 0,
     "Environment variable holding the API token."},
    {"token_file", SRR_OPT_STRING, NULL, JOFF(token_file), 0, 0,
     "File holding the API token (first line), instead of token_env."},
    {"project", SRR_OPT_STRING, NULL, JOFF(project), 0, 0, "Project key of the tickets (OPS)."},
    {"issue_type", SRR_OPT_STRING, "Task", JOFF(issue_type), 0, 0, "Issue type of the tickets."},
    {"labels", SRR_OPT_LIST, "srr", JOFF(labels), 0, 0,
     "Labels put on every ticket (no spaces); the first one finds srr's tickets when polling."},
    {"done_transition", SRR_OPT_STRING, NULL, JOFF(done_transition), 0, 0,
     "Name of the transition srr prefers into a done status (else the first one offered)."},
    {"timeout", SRR_OPT_DURATION, "30s", JOFF(timeout_s), 1, 600, "Total time per request."},
    {"connect_timeout", SRR_OPT_DURATION, "10s", JOFF(connect_timeout_s), 1, 600,
     "Time allowed to connect."},
    {NULL, SRR_OPT_STRING, NULL, 0, 0, 0, NULL}};

const srr_opt_def srr_tickets_options[] = {
    {"tracker", SRR_OPT_STRING, NULL, TOFF(tracker), 0, 0,
     "github or jira: where accepted backlog items become tickets (default: the one "
     "configured)."},
    {"auto", SRR_OPT_BOOL, "false", TOFF(auto_create), 0, 0,
     "Create the ticket when an item is accepted, without --ticket."},
    {"poll_every", SRR_OPT_DURATION, "5m", TOFF(poll_every_s), 1, 86400,
     "How often tickets are checked for being closed or reopened."},
    {"reopen", SRR_OPT_BOOL, "true", TOFF(reopen), 0, 0,
     "A ticket reopened in the tracker reopens its backlog item."},
    {"close", SRR_OPT_BOOL, "true", TOFF(close), 0, 0,
     "An item marked done or rejected in srr closes its ticket."},
    {"people", SRR_OPT_KV, NULL, TOFF(people), 0, 0,
     "Map of srr member -> tracker user (GitHub login; Jira account id or display name), for "
     "the actor of a ticket closed or reopened there."},
    {NULL, SRR_OPT_STRING, NULL, 0, 0, 0, NULL}};

static const srr_yaml_node *key_node(const srr_yaml_node *sec, const char *key)
{
    const srr_yaml_node *n = srr_yaml_get(sec, key);
    return n ? n : sec;
}

/* A section of cfg, NULL when absent or empty ("jira:" alone). */
static const srr_yaml_node *section(const srr_config *cfg, const char *name)
{
    const srr_yaml_node *n = srr_yaml_get(cfg->root, name);
    if (n && n->type == SRR_YAML_SCALAR && n->value[0] == '\0')
        return NULL;
    return n;
}

/* An error at `key` of section `sec` (the section itself when the key is
 * absent; no position when the section is). */
static srr_rc bad(srr_error *err, const srr_yaml_node *sec, const char *key, const char *fmt,
                  const char *arg)
{
    const srr_yaml_node *at = sec ? key_node(sec, key) : NULL;
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
    if (!at)
        return srr_error_set(err, SRR_EINVAL, "%s", msg);
    return srr_error_at(err, SRR_EINVAL, at->file, at->line, at->col, "%s", msg);
}

srr_rc srr_github_config_resolve(const srr_config *cfg, srr_github_config *c, srr_error *err)
{
    const srr_yaml_node *sec = section(cfg, "github");
    const char *slash = c->repo ? strchr(c->repo, '/') : NULL;
    srr_github_config_release(c);
    if (!slash || slash == c->repo || !slash[1] || strchr(slash + 1, '/'))
        return bad(err, sec, "repo", "github.repo: expected owner/name, found '%s'", c->repo);
    return srr_config_secret(cfg, c->token_env, c->token_file, "github.token_file", &c->token, err);
}

srr_rc srr_jira_config_resolve(const srr_config *cfg, srr_jira_config *c, srr_error *err)
{
    const srr_yaml_node *sec = section(cfg, "jira");
    srr_jira_config_release(c);
    if (!c->url || strncmp(c->url, "http", 4) != 0)
        return bad(err, sec, "url", "jira.url: expected https://your-domain.atlassian.net%s", "");
    if (!c->user || !strchr(c->user, '@'))
        return bad(err, sec, "user", "jira.user: expected the account's email%s", "");
    if (!c->project || !*c->project)
        return bad(err, sec, "", "jira: project (a project key) is required%s", "");
    for (size_t i = 0; i < c->nlabels; i++)
        if (strchr(c->labels[i], ' '))
            return bad(err, sec, "labels", "jira.labels: '%s' has a space (Jira labels cannot)",
                       c->labels[i]);
    return srr_config_secret(cfg, c->token_env, c->token_file, "jira.token_file", &c->token, err);
}

void srr_github_config_release(srr_github_config *c)
{
    free(c->token);
    c->token = NULL;
}

void srr_jira_config_release(srr_jira_config *c)
{
    free(c->token);
    c->token = NULL;
}

srr_rc srr_tickets_config_resolve(const srr_config *cfg, srr_tickets_config *t, srr_error *err)
{
    const srr_yaml_node *sec = section(cfg, "tickets");
    const srr_yaml_node *gh = section(cfg, "github"), *jr = section(cfg, "jira");
    if (t->tracker && *t->tracker) {
        if (strcmp(t->tracker, "github") != 0 && strcmp(t->tracker, "jira") != 0)
            return bad(err, sec, "tracker", "tickets.tracker: expected github or jira, found '%s'",
                       t->tracker);
        if ((strcmp(t->tracker, "github") == 0 && !gh) || (strcmp(t->tracker, "jira") == 0 && !jr))
            return bad(err, sec, "tracker",
                       strcmp(t->tracker, "github") == 0
                           ? "tickets.tracker: %s, but there is no github: section"
                           : "tickets.tracker: %s, but there is no jira: section",
                       t->tracker);
        return SRR_OK;
    }
    if (gh && jr)
        return bad(err, sec ? sec : jr, "tracker",
                   "tickets.tracker: both github and jira are configured; say which one gets the "
                   "tickets%s",
                   "");
    if (!gh && !jr)
        return bad(err, sec, "tracker", "tickets: no tracker: add a github: or a jira: section%s",
                   "");
    free(t->tracker);
    t->tracker = srr_strdup(gh ? "github" : "jira");
    return SRR_OK;
}

srr_rc srr_github_config_load(const srr_config *cfg, srr_github_config **out, srr_error *err)
{
    const srr_yaml_node *sec = section(cfg, "github");
    srr_github_config *c;
    srr_rc rc;
    *out = NULL;
    if (!sec)
        return SRR_OK;
    c = srr_calloc(1, sizeof(*c));
    rc = srr_config_load_options(srr_github_options, sec, "github", c, err);
    if (rc == SRR_OK)
        rc = srr_github_config_resolve(cfg, c, err);
    if (rc != SRR_OK) {
        srr_github_config_free(&c);
        return rc;
    }
    *out = c;
    return SRR_OK;
}

srr_rc srr_jira_config_load(const srr_config *cfg, srr_jira_config **out, srr_error *err)
{
    const srr_yaml_node *sec = section(cfg, "jira");
    srr_jira_config *c;
    srr_rc rc;
    *out = NULL;
    if (!sec)
        return SRR_OK;
    c = srr_calloc(1, sizeof(*c));
    rc = srr_config_load_options(srr_jira_options, sec, "jira", c, err);
    if (rc == SRR_OK)
        rc = srr_jira_config_resolve(cfg, c, err);
    if (rc != SRR_OK) {
        srr_jira_config_free(&c);
        return rc;
    }
    *out = c;
    return SRR_OK;
}

srr_rc srr_tickets_config_load(const srr_config *cfg, srr_tickets_config **out, srr_error *err)
{
    const srr_yaml_node *sec = section(cfg, "tickets");
    srr_tickets_config *c;
    srr_rc rc;
    *out = NULL;
    if (!sec && !section(cfg, "github") && !section(cfg, "jira"))
        return SRR_OK;
    c = srr_calloc(1, sizeof(*c));
    rc = srr_config_load_options(srr_tickets_options, sec, "tickets", c, err);
    if (rc == SRR_OK)
        rc = srr_tickets_config_resolve(cfg, c, err);
    if (rc != SRR_OK) {
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
    srr_github_config_release(*cp);
    srr_config_free_options(srr_github_options, *cp);
    free(*cp);
    *cp = NULL;
}

void srr_jira_config_free(srr_jira_config **cp)
{
    if (!cp || !*cp)
        return;
    srr_jira_config_release(*cp);
    srr_config_free_options(srr_jira_options, *cp);
    free(*cp);
    *cp = NULL;
}

void srr_tickets_config_free(srr_tickets_config **cp)
{
    if (!cp || !*cp)
        return;
    srr_config_free_options(srr_tickets_options, *cp);
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
