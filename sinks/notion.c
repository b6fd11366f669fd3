/* SPDX-License-Identifier: Apache-2.0
 *
 * notion.c - the Notion sink (sink.h): one page per record in the team's
 * Notion database, kept in step in both directions. This file holds the
 * plugin and its option table, the instance (token, client, the data
 * source's schema, people), `srr notion setup` (adds what srr needs to the
 * database, never touching the team's own properties), and delivery:
 * create a page once (looking it up by srr's ID property first when an
 * earlier create may have gone through), or update only what changed
 * since the last delivery (properties in one request, a section's block
 * in place, new log entries appended after the last one).
 *
 * A page is rendered by notion_blocks.c and written by notion_page.c, the
 * edits coming back are read by notion_edits.c, requests go through
 * notion_http.c; the people, kinds and schema all of them ask about are
 * notion_ctx.c.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "notion.h"

/* ---- options ----------------------------------------------------------- */

#define OFF(f) offsetof(notion_opts, f)

static const srr_opt_def NOTION_OPTS[] = {
    {"database_id", SRR_OPT_STRING, NULL, OFF(database_id), 0, 0,
     "The Notion database the records are mirrored to (its id, from its URL). Required."},
    {"data_source_id", SRR_OPT_STRING, NULL, OFF(data_source_id), 0, 0,
     "The data source in that database, when it has several (else its only one)."},
    {"api_url", SRR_OPT_STRING, "https://api.notion.com", OFF(api_url), 0, 0,
     "Base URL of the Notion API (https, or http to a loopback test server)."},
    {"token_env", SRR_OPT_STRING, "NOTION_TOKEN", OFF(token_env), 0, 0,
     "Environment variable holding the integration's token."},
    {"token_file", SRR_OPT_STRING, NULL, OFF(token_file), 0, 0,
     "File holding the integration's token (first line), instead of token_env."},
    {"properties", SRR_OPT_KV, NULL, OFF(properties), 0, 0,
     "Map of srr field -> the database's property name, where the team's names differ from "
     "srr's template (title, id, kind, status, urgency, service, assignee, datadog_url, "
     "backlog_url, postmortem_url, next_review, first_seen, last_seen, occurrences, labels); "
     "an empty name leaves a field out."},
    {"people", SRR_OPT_KV, NULL, OFF(people), 0, 0,
     "Map of srr member -> Notion user id or email, for Assignee and for the actor of edits "
     "made in Notion."},
    {"kinds", SRR_OPT_LIST, NULL, OFF(kinds), 0, 0,
     "Record kinds mirrored (risk, backlog, investigation); all when unset."},
    {"requests_per_second", SRR_OPT_INT, "3", OFF(requests_per_second), 1, 1000,
     "Requests sent per second at most (Notion's average limit per integration is 3)."},
    {"max_attempts", SRR_OPT_INT, "4", OFF(max_attempts), 1, 20,
     "Tries per request on 429, 5xx, timeouts and connection errors (1 = no retry)."},
    {"timeout", SRR_OPT_DURATION, "60s", OFF(timeout_s), 1, 600, "Total time allowed per request."},
    {"connect_timeout", SRR_OPT_DURATION, "10s", OFF(connect_timeout_s), 1, 600,
     "Time allowed to connect."},
    {"max_wait", SRR_OPT_DURATION, "60s", OFF(max_wait_s), 1, 3600,
     "Longest Retry-After waited for inside one delivery; a longer one ends the pass."},
    {"poll_interval", SRR_OPT_DURATION, "15s", OFF(poll_interval_s), 1, 86400,
     "How often the database is asked for pages people edited."},
    {"review_in", SRR_OPT_DURATION, "90d", OFF(review_in_s), 86400, 3650 * 86400LL,
     "The review date of a risk accepted in Notion: this long after the acceptance."},
    {NULL, SRR_OPT_STRING, NULL, 0, 0, 0, NULL}};

/* The template srr documents: field, default property name, types
 * accepted (the first is what setup creates). */
static const struct {
    const char *field, *name, *types;
} PROPS[NP__COUNT] = {
    [NP_TITLE] = {"title", NULL, "title"},
    [NP_ID] = {"id", "ID", "rich_text"},
    [NP_KIND] = {"kind", "Kind", "select"},
    [NP_STATUS] = {"status", "Status", "select status"},
    [NP_URGENCY] = {"urgency", "Urgency", "select"},
    [NP_SERVICE] = {"service", "Service", "rich_text select"},
    [NP_ASSIGNEE] = {"assignee", "Assignee", "people"},
    [NP_DATADOG_URL] = {"datadog_url", "Datadog URL", "url"},
    [NP_BACKLOG_URL] = {"backlog_url", "Backlog URL", "url"},
    [NP_POSTMORTEM_URL] = {"postmortem_url", "Postmortem URL", "url"},
    [NP_NEXT_REVIEW] = {"next_review", "Next review", "date"},
    [NP_FIRST_SEEN] = {"first_seen", "First seen", "date"},
    [NP_LAST_SEEN] = {"last_seen", "Last seen", "date"},
    [NP_OCCURRENCES] = {"occurrences", "Occurrences", "number"},
    [NP_LABELS] = {"labels", "Labels", "multi_select"},
};

/* The options setup gives the select properties srr fills. */
static const char *const STATUS_OPTIONS[] = {"draft",    "open",     "mitigating", "resolved",
                                             "accepted", "rejected", "merged",     "done",
                                             "promoted", "closed",   NULL};
static const char *const KIND_OPTIONS[] = {"risk", "backlog", "investigation", NULL};
static const char *const URGENCY_OPTIONS[] = {"low", "medium", "high", "critical", NULL};

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* ---- the instance ------------------------------------------------------ */

static void ctx_free(notion_ctx *c)
{
    size_t i;
    if (!c)
        return;
    notion_http_destroy(&c->http);
    free(c->token);
    free(c->ds_id);
    free(c->bot_id);
    free(c->title_name);
    for (i = 0; i < NP__COUNT; i++)
        free(c->prop[i].id);
    json_decref(c->schema);
    for (i = 0; i < c->npeople; i++) {
        free(c->people[i].member);
        free(c->people[i].user_id);
    }
    free(c->people);
    free(c);
}

static void notion_exit(void *ctx)
{
    ctx_free(ctx);
}

/* The token, from token_file or the token_env variable. */
static srr_rc load_token(notion_ctx *c, srr_error *err)
{
    const notion_opts *o = c->o;
    if (o->token_file && *o->token_file) {
        char *text = NULL;
        size_t len = 0, n = 0;
        if (srr_file_read(o->token_file, 64 * 1024, &text, &len, NULL) != SRR_OK)
            return srr_error_set(err, SRR_EINVAL, "notion.token_file: cannot read %s",
                                 o->token_file);
        while (n < len && text[n] != '\n' && text[n] != '\r')
            n++;
        c->token = n ? srr_strndup(text, n) : NULL;
        free(text);
    } else if (o->token_env && getenv(o->token_env) && *getenv(o->token_env)) {
        c->token = srr_strdup(getenv(o->token_env));
    }
    if (!c->token)
        return srr_error_set(err, SRR_EINVAL,
                             "notion: no token: set $%s to the integration's token (or "
                             "notion.token_file)",
                             o->token_env ? o->token_env : "NOTION_TOKEN");
    srr_secret_register(c->token);
    return SRR_OK;
}

/* The property names: the template's, overridden by notion.properties. */
static srr_rc map_properties(notion_ctx *c, srr_error *err)
{
    size_t i, k;
    for (k = 0; k < NP__COUNT; k++) {
        c->prop[k].field = PROPS[k].field;
        c->prop[k].deflt = PROPS[k].name;
        c->prop[k].types = PROPS[k].types;
        c->prop[k].name = PROPS[k].name;
    }
    for (i = 0; i < c->o->nproperties; i++) {
        const srr_kv *kv = &c->o->properties[i];
        for (k = 0; k < NP__COUNT; k++)
            if (strcmp(kv->key, PROPS[k].field) == 0)
                break;
        if (k == NP__COUNT)
            return srr_error_set(err, SRR_EINVAL,
                                 "notion.properties: unknown field '%s' (title, id, kind, status, "
                                 "urgency, service, assignee, datadog_url, backlog_url, "
                                 "postmortem_url, next_review, first_seen, last_seen, "
                                 "occurrences, labels)",
                                 kv->key);
        c->prop[k].name = *kv->value ? kv->value : NULL;
        if (k == NP_TITLE)
            c->o_title = c->prop[k].name;
    }
    if (!c->prop[NP_ID].name)
        return srr_error_set(err, SRR_EINVAL,
                             "notion.properties.id cannot be empty: srr finds its pages by it");
    return SRR_OK;
}

/* Resolves notion.people: ids as they are, emails through GET /v1/users. */
static srr_rc map_people(notion_ctx *c, srr_error *err)
{
    size_t i, emails = 0;
    char *cursor = NULL;
    int64_t ra;
    srr_rc rc = SRR_OK;
    c->people = srr_calloc(c->o->npeople ? c->o->npeople : 1, sizeof(*c->people));
    for (i = 0; i < c->o->npeople; i++) {
        c->people[i].member = srr_strdup(c->o->people[i].key);
        if (strchr(c->o->people[i].value, '@'))
            emails++;
        else
            c->people[i].user_id = srr_strdup(c->o->people[i].value);
    }
    c->npeople = c->o->npeople;
    while (emails > 0) {
        json_t *page = NULL, *results;
        char *path = cursor ? srr_asprintf("users?page_size=100&start_cursor=%s", cursor)
                            : srr_strdup("users?page_size=100");
        free(cursor);
        cursor = NULL;
        rc = notion_http_call(c->http, "GET", path, NULL, 1, &page, &ra, err);
        free(path);
        if (rc != SRR_OK) {
            srr_error_prefix(err, "notion.people has emails, which need the users list (the "
                                  "integration's user information capability with emails)");
            return rc;
        }
        results = json_object_get(page, "results");
        for (size_t u = 0; u < json_array_size(results); u++) {
            const json_t *user = json_array_get(results, u);
            const char *email = jstr(json_object_get(user, "person"), "email");
            for (i = 0; *email && i < c->npeople; i++)
                if (!c->people[i].user_id && strcasecmp(c->o->people[i].value, email) == 0)
                    c->people[i].user_id = srr_strdup(jstr(user, "id"));
        }
        if (json_is_true(json_object_get(page, "has_more")))
            cursor = srr_strdup(jstr(page, "next_cursor"));
        json_decref(page);
        if (!cursor)
            break;
    }
    for (i = 0; i < c->npeople; i++)
        if (!c->people[i].user_id)
            srr_warn("notion.people: %s: no Notion user with the email %s", c->people[i].member,
                     c->o->people[i].value);
    return SRR_OK;
}

static srr_rc notion_init(const srr_sink_env *env, void **out, srr_error *err)
{
    notion_ctx *c = srr_calloc(1, sizeof(*c));
    json_t *me = NULL;
    int64_t ra;
    srr_rc rc;
    size_t i;
    char *base;
    *out = NULL;
    c->o = env->opts;
    c->cfg = env->cfg;
    if (!c->o->database_id || !*c->o->database_id) {
        rc = srr_error_set(err, SRR_EINVAL, "notion.database_id is required");
        goto fail;
    }
    for (i = 0; i < c->o->nkinds; i++)
        if (strcmp(c->o->kinds[i], "risk") != 0 && strcmp(c->o->kinds[i], "backlog") != 0 &&
            strcmp(c->o->kinds[i], "investigation") != 0) {
            rc = srr_error_set(err, SRR_EINVAL,
                               "notion.kinds: '%s' is not risk, backlog or investigation",
                               c->o->kinds[i]);
            goto fail;
        }
    rc = map_properties(c, err);
    if (rc == SRR_OK)
        rc = load_token(c, err);
    if (rc != SRR_OK)
        goto fail;
    base = srr_strndup(
        c->o->api_url,
        strlen(c->o->api_url) -
            (c->o->api_url[0] && c->o->api_url[strlen(c->o->api_url) - 1] == '/' ? 1 : 0));
    c->http = notion_http_create(base, c->token, c->o);
    free(base);
    if (!c->http) {
        rc = srr_error_set(err, SRR_EINVAL,
                           "notion.api_url: '%s' must be https (http only to 127.0.0.1 or "
                           "localhost): the token must not travel in clear",
                           c->o->api_url);
        goto fail;
    }
    rc = notion_http_call(c->http, "GET", "users/me", NULL, 1, &me, &ra, err);
    if (rc != SRR_OK)
        goto fail;
    c->bot_id = srr_strdup(jstr(me, "id"));
    json_decref(me);
    /* The schema is checked at the first delivery or poll (notion_ready),
     * so a database that needs `srr notion setup` stops the sync, not the
     * process that runs it. */
    rc = map_people(c, err);
    if (rc != SRR_OK)
        goto fail;
    *out = c;
    return SRR_OK;
fail:
    ctx_free(c);
    return rc;
}

/* ---- setup ------------------------------------------------------------- */

/* The schema config setup adds for property k. */
static json_t *new_property(int k)
{
    const char *const *opts = k == NP_STATUS    ? STATUS_OPTIONS
                              : k == NP_KIND    ? KIND_OPTIONS
                              : k == NP_URGENCY ? URGENCY_OPTIONS
                                                : NULL;
    char type[24];
    json_t *conf = json_object();
    snprintf(type, sizeof(type), "%.*s", (int)strcspn(PROPS[k].types, " "), PROPS[k].types);
    if (opts || strcmp(type, "select") == 0 || strcmp(type, "multi_select") == 0) {
        json_t *o = json_array();
        for (size_t i = 0; opts && opts[i]; i++)
            json_array_append_new(o, json_pack("{s:s}", "name", opts[i]));
        json_object_set_new(conf, type, json_pack("{s:o}", "options", o));
    } else if (strcmp(type, "number") == 0) {
        json_object_set_new(conf, type, json_pack("{s:s}", "format", "number"));
    } else {
        json_object_set_new(conf, type, json_object());
    }
    return conf;
}

/* A team's own `status` property must already have srr's statuses. */
static srr_rc status_has(const notion_ctx *c, const char *name, const char *const *want,
                         srr_error *err)
{
    const json_t *have =
        json_object_get(json_object_get(json_object_get(c->schema, name), "status"), "options");
    for (size_t i = 0; want[i]; i++) {
        int found = 0;
        for (size_t j = 0; j < json_array_size(have); j++)
            found |= strcmp(jstr(json_array_get(have, j), "name"), want[i]) == 0;
        if (!found)
            return srr_error_set(err, SRR_EINVAL,
                                 "notion: the status property '%s' has no option '%s'; add "
                                 "srr's statuses to it in Notion or use a select",
                                 name, want[i]);
    }
    return SRR_OK;
}

static srr_rc notion_setup(void *ctx, FILE *out, srr_error *err)
{
    notion_ctx *c = ctx;
    json_t *patch = json_object(), *need = json_object(), *answer = NULL;
    srr_buf added, kept;
    const char *key;
    json_t *v;
    int64_t ra;
    srr_rc rc;
    int k;
    srr_buf_init(&added, 0);
    srr_buf_init(&kept, 0);
    rc = notion_load_schema(c, 1, err);
    if (rc != SRR_OK)
        goto out;
    for (k = 0; k < NP__COUNT; k++) {
        const notion_prop *p = &c->prop[k];
        if (!p->name)
            continue;
        if (!p->type[0]) {
            if (k == NP_TITLE) {
                rc = srr_error_set(err, SRR_EINVAL, "notion: the database has no title property");
                goto out;
            }
            json_object_set_new(patch, p->name, new_property(k));
            srr_buf_printf(&added, "  %s (%.*s)\n", p->name, (int)strcspn(p->types, " "), p->types);
            continue;
        }
        srr_buf_printf(&kept, "  %s (%s)\n", p->name, p->type);
        if (k == NP_STATUS || k == NP_KIND || k == NP_URGENCY) {
            const char *const *o = k == NP_STATUS ? STATUS_OPTIONS
                                   : k == NP_KIND ? KIND_OPTIONS
                                                  : URGENCY_OPTIONS;
            json_t *names = json_array();
            for (size_t i = 0; o[i]; i++)
                json_array_append_new(names, json_string(o[i]));
            if (strcmp(p->type, "status") == 0) { /* options of a status cannot be added here */
                json_decref(names);
                rc = status_has(c, p->name, o, err);
                if (rc != SRR_OK)
                    goto out;
            } else {
                json_object_set_new(need, p->name, names);
            }
        }
    }
    if (json_object_size(patch) > 0) {
        json_t *body = json_pack("{s:O}", "properties", patch);
        char *path = srr_asprintf("data_sources/%s", c->ds_id);
        rc = notion_http_call(c->http, "PATCH", path, body, 1, &answer, &ra, err);
        free(path);
        json_decref(body);
        json_decref(answer);
        if (rc != SRR_OK)
            goto out;
    }
    c->schema_ok = 0;
    rc = notion_ready(c, err);
    if (rc == SRR_OK)
        rc = notion_ensure_options(c, need, &ra, err);
    if (rc != SRR_OK)
        goto out;
    fprintf(out, "notion: database %s, data source %s\n", c->o->database_id, c->ds_id);
    fprintf(out, "added:\n%s", added.len ? added.data : "  (nothing: every property was there)\n");
    if (kept.len)
        fprintf(out, "already there:\n%s", kept.data);
    fprintf(out, "the team's own (left as they are):\n");
    k = 0;
    json_object_foreach(c->schema, key, v)
    {
        int ours = 0;
        for (int i = 0; i < NP__COUNT; i++)
            ours |= c->prop[i].name && strcmp(c->prop[i].name, key) == 0;
        if (!ours) {
            fprintf(out, "  %s (%s)\n", key, jstr(v, "type"));
            k++;
        }
    }
    if (!k)
        fprintf(out, "  (none)\n");
out:
    json_decref(patch);
    json_decref(need);
    srr_buf_free(&added);
    srr_buf_free(&kept);
    return rc;
}

/* ---- delivery ----------------------------------------------------------- */

static srr_rc notion_deliver(void *ctx, srr_sink_host *host, const srr_sink_item *it,
                             srr_sink_result *res, srr_error *err)
{
    notion_ctx *c = ctx;
    json_t *props = NULL, *canon = NULL, *need = NULL, *body = NULL, *state = NULL;
    char *page = NULL;
    srr_rc rc = SRR_OK;
    if (!notion_kind_enabled(c, it->kind))
        return SRR_OK;
    rc = notion_ready(c, err);
    if (rc != SRR_OK)
        return rc;
    notion_render_props(c, it->record, &props, &canon, &need);
    body = notion_render_body(it->record);
    rc = notion_ensure_options(c, need, &res->retry_after_s, err);
    if (rc != SRR_OK)
        goto out;
    page = it->remote_id ? srr_strdup(it->remote_id) : NULL;
    if (!page && it->creating) {
        /* An earlier create may have gone through before srr could note it. */
        page = notion_page_find(c, it->hid, &res->retry_after_s, &rc, err);
        if (rc != SRR_OK)
            goto out;
        if (page) {
            srr_info("notion: %s: found the page an interrupted create made (%s)", it->hid, page);
            res->remote_id = srr_strdup(page);
            state = json_object(); /* what it holds is unknown: compare everything */
        }
    }
    if (!page) {
        rc = notion_page_create(c, host, it, props, canon, body, res, err);
        goto out;
    }
    if (!state)
        state = it->state ? json_deep_copy(it->state) : json_object();
    rc = notion_page_update(c, page, state, props, canon, body, &res->partial,
                            &res->retry_after_s, err);
    if (rc == SRR_ENOTFOUND)
        srr_error_prefix(err,
                         "the page of %s is gone from Notion (deleted, or no longer shared "
                         "with the integration)",
                         it->hid);
    /* Whatever landed is remembered, even when the rest failed. */
    res->state = state;
    state = NULL;
out:
    json_decref(props);
    json_decref(canon);
    json_decref(need);
    json_decref(body);
    json_decref(state);
    free(page);
    return rc;
}

const srr_sink_plugin srr_sink_notion = {
    .name = "notion",
    .description = "one page per record in a Notion database, edits read back",
    .options = NOTION_OPTS,
    .options_size = sizeof(notion_opts),
    .flags = 0,
    .init = notion_init,
    .deliver = notion_deliver,
    .poll = notion_poll,
    .tick = NULL,
    .setup = notion_setup,
    .exit = notion_exit,
};
