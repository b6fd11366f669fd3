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
 * The page itself is written by notion_blocks.c, the edits coming back are
 * read by notion_edits.c, requests go through notion_http.c.
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
    {"timeout", SRR_OPT_DURATION, "60s", OFF(timeout_s), 1, 600,
     "Total time allowed per request."},
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
static const char *const STATUS_OPTIONS[] = {"draft",    "open",   "mitigating", "resolved",
                                             "accepted", "rejected", "merged",   "done",
                                             "promoted", "closed", NULL};
static const char *const KIND_OPTIONS[] = {"risk", "backlog", "investigation", NULL};
static const char *const URGENCY_OPTIONS[] = {"low", "medium", "high", "critical", NULL};

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* 1 when `word` is one of the space separated words of `list`. */
static int in_words(const char *list, const char *word)
{
    size_t n = strlen(word);
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, word, n) == 0)
            return 1;
        p += len;
        p += strspn(p, " ");
    }
    return 0;
}

/* ---- the instance ------------------------------------------------------ */

const char *notion_user_of(const notion_ctx *c, const char *who)
{
    size_t i;
    for (i = 0; who && *who && i < c->npeople; i++)
        if (strcmp(c->people[i].member, who) == 0)
            return c->people[i].user_id;
    return NULL;
}

const char *notion_member_of(const notion_ctx *c, const char *user_id)
{
    size_t i;
    for (i = 0; user_id && i < c->npeople; i++)
        if (c->people[i].user_id && strcmp(c->people[i].user_id, user_id) == 0)
            return c->people[i].member;
    return NULL;
}

int notion_kind_enabled(const notion_ctx *c, const char *kind)
{
    size_t i;
    if (c->o->nkinds == 0)
        return 1;
    for (i = 0; i < c->o->nkinds; i++)
        if (strcmp(c->o->kinds[i], kind) == 0)
            return 1;
    return 0;
}

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

srr_rc notion_load_schema(notion_ctx *c, int for_setup, srr_error *err)
{
    json_t *db = NULL, *ds = NULL, *props;
    char *path;
    int64_t ra;
    srr_rc rc;
    size_t k;
    if (!c->ds_id) {
        path = srr_asprintf("databases/%s", c->o->database_id);
        rc = notion_http_call(c->http, "GET", path, NULL, 1, &db, &ra, err);
        free(path);
        if (rc == SRR_ENOTFOUND)
            return srr_error_set(err, SRR_EAUTH,
                                 "notion: database %s not found: share it with the integration "
                                 "(database menu -> Connections)",
                                 c->o->database_id);
        if (rc != SRR_OK)
            return rc;
        if (c->o->data_source_id && *c->o->data_source_id) {
            c->ds_id = srr_strdup(c->o->data_source_id);
        } else {
            const json_t *list = json_object_get(db, "data_sources");
            if (json_array_size(list) != 1) {
                json_decref(db);
                return srr_error_set(err, SRR_EINVAL,
                                     "notion: database %s has %zu data sources: set "
                                     "notion.data_source_id to the one srr writes to",
                                     c->o->database_id, json_array_size(list));
            }
            c->ds_id = srr_strdup(jstr(json_array_get(list, 0), "id"));
        }
        json_decref(db);
    }
    path = srr_asprintf("data_sources/%s", c->ds_id);
    rc = notion_http_call(c->http, "GET", path, NULL, 1, &ds, &ra, err);
    free(path);
    if (rc != SRR_OK)
        return rc;
    props = json_object_get(ds, "properties");
    json_decref(c->schema);
    c->schema = json_incref(props);
    json_decref(ds);
    for (k = 0; k < NP__COUNT; k++) {
        notion_prop *p = &c->prop[k];
        const json_t *have = NULL;
        const char *key;
        json_t *v;
        free(p->id);
        p->id = NULL;
        p->type[0] = '\0';
        if (k == NP_TITLE) { /* the database's title property, whatever its name */
            const char *title_key = NULL;
            json_object_foreach(props, key, v)
            {
                if (strcmp(jstr(v, "type"), "title") == 0) {
                    have = v;
                    title_key = key;
                }
            }
            if (have && c->o_title && strcmp(c->o_title, title_key) != 0)
                return srr_error_set(err, SRR_EINVAL,
                                     "notion: the title property is '%s', not '%s' "
                                     "(notion.properties.title); srr renames nothing",
                                     title_key, c->o_title);
            free(c->title_name);
            c->title_name = have ? srr_strdup(title_key) : NULL;
            p->name = c->title_name;
        } else if (p->name) {
            have = json_object_get(props, p->name);
        }
        if (!p->name)
            continue;
        if (!have) {
            if (for_setup)
                continue;
            return srr_error_set(err, SRR_EINVAL,
                                 "notion: the database has no property '%s' (%s); run `srr "
                                 "notion setup`",
                                 p->name, p->field);
        }
        if (!in_words(p->types, jstr(have, "type")))
            return srr_error_set(err, SRR_EINVAL,
                                 "notion: property '%s' is a %s, srr needs a %s there (%s): "
                                 "change its type, or map %s to another property in "
                                 "notion.properties",
                                 p->name, jstr(have, "type"), p->types, p->field, p->field);
        snprintf(p->type, sizeof(p->type), "%s", jstr(have, "type"));
        p->id = srr_strdup(jstr(have, "id"));
    }
    return SRR_OK;
}

srr_rc notion_ensure_options(notion_ctx *c, const json_t *need, int64_t *retry_after,
                             srr_error *err)
{
    json_t *patch = json_object(), *answer = NULL;
    const char *name;
    json_t *wanted;
    srr_rc rc = SRR_OK;
    json_object_foreach((json_t *)need, name, wanted)
    {
        const json_t *conf = json_object_get(c->schema, name);
        const char *type = jstr(conf, "type");
        const json_t *have = json_object_get(json_object_get(conf, type), "options");
        json_t *add = NULL;
        size_t i, j;
        if (strcmp(type, "select") != 0 && strcmp(type, "multi_select") != 0)
            continue;
        for (i = 0; i < json_array_size(wanted); i++) {
            const char *w = json_string_value(json_array_get(wanted, i));
            int found = 0;
            for (j = 0; !found && j < json_array_size(have); j++)
                found = strcmp(jstr(json_array_get(have, j), "name"), w) == 0;
            for (j = 0; !found && add && j < json_array_size(add); j++)
                found = strcmp(jstr(json_array_get(add, j), "name"), w) == 0;
            if (found)
                continue;
            if (!add) {
                size_t k;
                add = json_array();
                for (k = 0; k < json_array_size(have); k++) /* keep every existing option */
                    json_array_append_new(add, json_pack("{s:s}", "id",
                                                         jstr(json_array_get(have, k), "id")));
            }
            json_array_append_new(add, json_pack("{s:s}", "name", w));
        }
        if (add)
            json_object_set_new(patch, name,
                                json_pack("{s:{s:o}}", type, "options", add));
    }
    if (json_object_size(patch) > 0) {
        json_t *body = json_pack("{s:O}", "properties", patch);
        char *path = srr_asprintf("data_sources/%s", c->ds_id);
        rc = notion_http_call(c->http, "PATCH", path, body, 1, &answer, retry_after, err);
        free(path);
        json_decref(body);
        if (rc == SRR_OK && json_is_object(json_object_get(answer, "properties"))) {
            json_decref(c->schema);
            c->schema = json_incref(json_object_get(answer, "properties"));
        }
        json_decref(answer);
    }
    json_decref(patch);
    return rc;
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
    base = srr_strndup(c->o->api_url, strlen(c->o->api_url) -
                                          (c->o->api_url[0] &&
                                                   c->o->api_url[strlen(c->o->api_url) - 1] == '/'
                                               ? 1
                                               : 0));
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

srr_rc notion_ready(notion_ctx *c, srr_error *err)
{
    srr_rc rc;
    if (c->schema_ok)
        return SRR_OK;
    rc = notion_load_schema(c, 0, err);
    if (rc == SRR_EINVAL)
        rc = SRR_EAUTH; /* the database is not ready: the pass stops, nothing is parked */
    c->schema_ok = rc == SRR_OK;
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
            srr_buf_printf(&added, "  %s (%.*s)\n", p->name, (int)strcspn(p->types, " "),
                           p->types);
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
                const json_t *have =
                    json_object_get(json_object_get(json_object_get(c->schema, p->name), "status"),
                                    "options");
                for (size_t i = 0; o[i]; i++) {
                    int found = 0;
                    for (size_t j = 0; j < json_array_size(have); j++)
                        found |= strcmp(jstr(json_array_get(have, j), "name"), o[i]) == 0;
                    if (!found) {
                        json_decref(names);
                        rc = srr_error_set(err, SRR_EINVAL,
                                           "notion: the status property '%s' has no option "
                                           "'%s'; add srr's statuses to it in Notion or use a "
                                           "select",
                                           p->name, o[i]);
                        goto out;
                    }
                }
                json_decref(names);
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

/* The page whose ID property is `hid`, or NULL (*rc SRR_OK) when none. */
static char *find_page(notion_ctx *c, const char *hid, int64_t *retry_after, srr_rc *rc,
                       srr_error *err)
{
    json_t *body, *answer = NULL;
    char *path, *id = NULL;
    const notion_prop *p = &c->prop[NP_ID];
    body = json_pack("{s:{s:s, s:{s:s}}, s:i}", "filter", "property", p->name, p->type[0] ? p->type : "rich_text",
                     "equals", hid, "page_size", 10);
    path = srr_asprintf("data_sources/%s/query?filter_properties=%s", c->ds_id,
                        p->id ? p->id : "title");
    *rc = notion_http_call(c->http, "POST", path, body, 1, &answer, retry_after, err);
    free(path);
    json_decref(body);
    if (*rc == SRR_OK) {
        const json_t *results = json_object_get(answer, "results");
        size_t i;
        for (i = 0; !id && i < json_array_size(results); i++) {
            const json_t *pg = json_array_get(results, i);
            if (!json_is_true(json_object_get(pg, "in_trash")))
                id = srr_strdup(jstr(pg, "id"));
        }
    }
    json_decref(answer);
    return id;
}

/* Appends blocks[from..] (at most 100 per request) after block `after`
 * (NULL: at the end) of `parent`; the new blocks' ids go to `ids` (may be
 * NULL). */
static srr_rc append_blocks(notion_ctx *c, const char *parent, const char *after,
                            const json_t *blocks, size_t from, json_t *ids, int64_t *ra,
                            srr_error *err)
{
    char *last = after ? srr_strdup(after) : NULL;
    srr_rc rc = SRR_OK;
    while (rc == SRR_OK && from < json_array_size(blocks)) {
        json_t *chunk = json_array(), *body, *answer = NULL;
        char *path = srr_asprintf("blocks/%s/children", parent);
        size_t i;
        for (i = from; i < json_array_size(blocks) && i < from + SRR_NOTION_APPEND_MAX; i++)
            json_array_append(chunk, json_array_get(blocks, i));
        from = i;
        body = json_pack("{s:o}", "children", chunk);
        if (last)
            json_object_set_new(body, "position",
                                json_pack("{s:s, s:{s:s}}", "type", "after_block", "after_block",
                                          "id", last));
        rc = notion_http_call(c->http, "PATCH", path, body, 0, &answer, ra, err);
        free(path);
        json_decref(body);
        if (rc == SRR_OK) {
            const json_t *res = json_object_get(answer, "results");
            for (i = 0; i < json_array_size(res); i++) {
                const char *id = jstr(json_array_get(res, i), "id");
                if (ids)
                    json_array_append_new(ids, json_string(id));
                if (last || from < json_array_size(blocks)) {
                    free(last);
                    last = srr_strdup(id);
                }
            }
        }
        json_decref(answer);
    }
    free(last);
    return rc;
}

/* The memory of a page just written from `body` and `canon`: the
 * properties' canonical texts and each section's text or entry count.
 * Block ids are learned when first needed. */
static json_t *fresh_state(const json_t *canon, const json_t *body)
{
    json_t *secs = json_object();
    int s;
    for (s = 0; s < NS__COUNT; s++) {
        const notion_section *sec = &NOTION_SECTIONS[s];
        const json_t *b = json_object_get(body, sec->key);
        if (sec->is_log)
            json_object_set_new(secs, sec->key,
                                json_pack("{s:O}", "entries", json_object_get(b, "entries")));
        else
            json_object_set_new(secs, sec->key, json_pack("{s:O}", "text", json_object_get(b, "text")));
    }
    return json_pack("{s:O, s:o}", "props", canon, "sec", secs);
}

static srr_rc create_page(notion_ctx *c, srr_sink_host *host, const srr_sink_item *it,
                          const json_t *props, const json_t *canon, const json_t *body,
                          srr_sink_result *res, srr_error *err)
{
    json_t *blocks = notion_body_blocks(body), *first = json_array(), *req, *answer = NULL;
    size_t i;
    srr_rc rc;
    for (i = 0; i < json_array_size(blocks) && i < SRR_NOTION_APPEND_MAX; i++)
        json_array_append(first, json_array_get(blocks, i));
    req = json_pack("{s:{s:s}, s:O, s:o}", "parent", "data_source_id", c->ds_id, "properties",
                    props, "children", first);
    /* Committed before the request: if srr dies before the local mark, the
     * next attempt looks the page up instead of creating a second one. */
    rc = srr_sink_creating(host, it, err);
    if (rc == SRR_OK)
        rc = notion_http_call(c->http, "POST", "pages", req, 0, &answer, &res->retry_after_s, err);
    json_decref(req);
    if (rc == SRR_OK) {
        res->remote_id = srr_strdup(jstr(answer, "id"));
        res->state = fresh_state(canon, body);
        if (json_array_size(blocks) > SRR_NOTION_APPEND_MAX) {
            /* The rest goes at the end; from now on the page exists. */
            rc = srr_sink_save(host, it, res->remote_id, NULL, err);
            if (rc == SRR_OK)
                rc = append_blocks(c, res->remote_id, NULL, blocks, SRR_NOTION_APPEND_MAX, NULL,
                                   &res->retry_after_s, err);
            if (rc != SRR_OK) { /* the body is not whole: read it back next time */
                json_object_set_new(res->state, "partial", json_true());
            }
        }
    }
    json_decref(answer);
    json_decref(blocks);
    return rc;
}

/* Makes sure state.sec has the block ids of the page: read when unknown,
 * or always with `force`. *read (may be NULL) gets what was read, or NULL
 * when the ids were known already. A section srr never wrote gets its
 * text / entries from the page (an adopted page). */
static srr_rc read_layout(notion_ctx *c, const char *page, json_t *state, int force,
                          json_t **read_out, int64_t *ra, srr_error *err)
{
    json_t *read = NULL, *secs = json_object_get(state, "sec");
    srr_rc rc;
    int s;
    if (read_out)
        *read_out = NULL;
    if (!force && json_is_true(json_object_get(state, "known")))
        return SRR_OK;
    rc = notion_read_sections(c, page, &read, ra, err);
    if (rc != SRR_OK)
        return rc;
    if (!secs) {
        secs = json_object();
        json_object_set_new(state, "sec", secs);
    }
    for (s = 0; s < NS__COUNT; s++) {
        const char *key = NOTION_SECTIONS[s].key;
        json_t *r = json_object_get(read, key), *mine = json_object_get(secs, key);
        if (!mine) {
            mine = json_object();
            json_object_set_new(secs, key, mine);
        }
        if (!r) {
            json_object_del(mine, "head");
            json_object_set_new(mine, "ids", json_array());
            json_object_set_new(mine, "types", json_array());
            continue;
        }
        json_object_set(mine, "head", json_object_get(r, "head"));
        json_object_set(mine, "ids", json_object_get(r, "ids"));
        json_object_set(mine, "types", json_object_get(r, "types"));
        if (NOTION_SECTIONS[s].is_log && !json_object_get(mine, "entries"))
            json_object_set(mine, "entries", json_object_get(r, "texts"));
        if (!NOTION_SECTIONS[s].is_log && !json_object_get(mine, "text")) {
            char *t = notion_section_text(r);
            json_object_set_new(mine, "text", json_string(t));
            free(t);
        }
    }
    json_object_set_new(state, "known", json_true());
    json_object_del(state, "partial");
    if (read_out)
        *read_out = read;
    else
        json_decref(read);
    return SRR_OK;
}

/* Rewrites a text section: its first block gets the new text, further
 * blocks of the section are removed; a section missing on the page is
 * appended at the end with its heading. */
static srr_rc update_text(notion_ctx *c, const char *page, json_t *mine, const json_t *want,
                          int64_t *ra, srr_error *err)
{
    json_t *ids = json_object_get(mine, "ids"), *types = json_object_get(mine, "types");
    const json_t *blocks = json_object_get(want, "blocks");
    srr_rc rc = SRR_OK;
    size_t i;
    if (!json_object_get(mine, "head")) {
        json_t *new_ids = json_array();
        rc = append_blocks(c, page, NULL, blocks, 0, new_ids, ra, err);
        if (rc == SRR_OK && json_array_size(new_ids) >= 2) {
            json_object_set(mine, "head", json_array_get(new_ids, 0));
            json_array_remove(new_ids, 0);
            json_object_set(mine, "ids", new_ids);
            json_object_set_new(mine, "types", json_pack("[s]", "paragraph"));
        }
        json_decref(new_ids);
    } else if (json_array_size(ids) == 0) {
        json_t *new_ids = json_array();
        rc = append_blocks(c, page, json_string_value(json_object_get(mine, "head")), blocks, 1,
                           new_ids, ra, err);
        if (rc == SRR_OK) {
            json_object_set(mine, "ids", new_ids);
            json_object_set_new(mine, "types", json_pack("[s]", "paragraph"));
        }
        json_decref(new_ids);
    } else {
        const char *type = json_string_value(json_array_get(types, 0));
        const json_t *para = json_array_get(blocks, 1);
        json_t *rt = json_object_get(json_object_get(para, "paragraph"), "rich_text");
        json_t *body;
        char *path = srr_asprintf("blocks/%s", json_string_value(json_array_get(ids, 0)));
        json_t *answer = NULL;
        if (!type || !*type)
            type = "paragraph";
        body = json_pack("{s:{s:O}}", type, "rich_text", rt);
        rc = notion_http_call(c->http, "PATCH", path, body, 1, &answer, ra, err);
        free(path);
        json_decref(body);
        json_decref(answer);
        for (i = json_array_size(ids); rc == SRR_OK && i > 1; i--) {
            path = srr_asprintf("blocks/%s", json_string_value(json_array_get(ids, i - 1)));
            rc = notion_http_call(c->http, "DELETE", path, NULL, 1, &answer, ra, err);
            if (rc == SRR_ENOTFOUND)
                rc = SRR_OK; /* already gone */
            free(path);
            json_decref(answer);
            answer = NULL;
            if (rc == SRR_OK) {
                json_array_remove(ids, i - 1);
                json_array_remove(types, i - 1);
            }
        }
    }
    if (rc == SRR_OK)
        json_object_set(mine, "text", json_object_get(want, "text"));
    return rc;
}

/* The entries of `want` the page lacks: each rendered entry not matched
 * (in order, one for one) by an entry srr knows the page holds. New
 * array of the blocks to append, their texts into *texts. */
static json_t *missing_entries(const json_t *have, const json_t *want, json_t **texts)
{
    const json_t *entries = json_object_get(want, "entries"),
                 *blocks = json_object_get(want, "blocks");
    json_t *used = json_array(), *out = json_array();
    size_t i, j;
    *texts = json_array();
    for (j = 0; j < json_array_size(have); j++)
        json_array_append_new(used, json_false());
    for (i = 0; i < json_array_size(entries); i++) {
        const char *t = json_string_value(json_array_get(entries, i));
        int found = 0;
        for (j = 0; !found && j < json_array_size(have); j++) {
            if (json_is_true(json_array_get(used, j)) ||
                strcmp(t, json_string_value(json_array_get(have, j)) ? json_string_value(json_array_get(have, j)) : "") != 0)
                continue;
            json_array_set_new(used, j, json_true());
            found = 1;
        }
        if (!found) {
            json_array_append(out, json_array_get(blocks, i + 1)); /* [0] is the heading */
            json_array_append_new(*texts, json_string(t));
        }
    }
    json_decref(used);
    return out;
}

/* Appends the log entries the page lacks after the section's last block
 * (the heading when it has none). */
static srr_rc update_log(notion_ctx *c, const char *page, json_t *mine, const json_t *want,
                         int64_t *ra, srr_error *err)
{
    json_t *ids = json_object_get(mine, "ids"), *new_ids = json_array(), *texts = NULL;
    json_t *have = json_object_get(mine, "entries");
    json_t *add = missing_entries(have, want, &texts);
    const char *after = json_array_size(ids)
                            ? json_string_value(json_array_get(ids, json_array_size(ids) - 1))
                            : json_string_value(json_object_get(mine, "head"));
    srr_rc rc = SRR_OK;
    if (!after) { /* the heading is gone: the whole section at the end */
        json_t *all = json_array();
        json_array_append(all, json_array_get(json_object_get(want, "blocks"), 0));
        json_array_extend(all, add);
        rc = append_blocks(c, page, NULL, all, 0, new_ids, ra, err);
        json_decref(all);
        if (rc == SRR_OK && json_array_size(new_ids) > 0) {
            json_object_set(mine, "head", json_array_get(new_ids, 0));
            json_array_remove(new_ids, 0);
        }
    } else if (json_array_size(add) > 0) {
        rc = append_blocks(c, page, after, add, 0, new_ids, ra, err);
    }
    if (rc == SRR_OK) {
        if (!ids) {
            ids = json_array();
            json_object_set_new(mine, "ids", ids);
        }
        if (!have) {
            have = json_array();
            json_object_set_new(mine, "entries", have);
        }
        json_array_extend(ids, new_ids);
        json_array_extend(have, texts);
    }
    json_decref(new_ids);
    json_decref(texts);
    json_decref(add);
    return rc;
}

/* Whether section s of `state` differs from what the record wants. */
static int section_differs(int s, const json_t *state, const json_t *body)
{
    const notion_section *sec = &NOTION_SECTIONS[s];
    const json_t *want = json_object_get(body, sec->key);
    const json_t *mine = json_object_get(json_object_get(state, "sec"), sec->key);
    json_t *texts = NULL, *add;
    int differs;
    if (!mine)
        return 1;
    if (!sec->is_log) {
        char *a = notion_trimmed(json_string_value(json_object_get(mine, "text")));
        char *b = notion_trimmed(json_string_value(json_object_get(want, "text")));
        differs = strcmp(a, b) != 0;
        free(a);
        free(b);
        return differs;
    }
    add = missing_entries(json_object_get(mine, "entries"), want, &texts);
    differs = json_array_size(add) > 0;
    json_decref(add);
    json_decref(texts);
    return differs;
}

/* Updates the sections that differ. A text section is read first: when a
 * person changed it since srr's last look, it is left for the poll to
 * settle (the later change wins there) instead of being overwritten. A
 * block that vanished under srr (a person removed it) makes srr read the
 * page again and try once more. */
static srr_rc update_sections(notion_ctx *c, const char *page, json_t *state, const json_t *body,
                              int64_t *ra, srr_error *err)
{
    int diff[NS__COUNT], s, texts = 0, any = 0, retried = 0;
    json_t *read = NULL;
    srr_rc rc;
    if (json_is_true(json_object_get(state, "partial")))
        json_object_del(state, "known");
    for (s = 0; s < NS__COUNT; s++) {
        diff[s] = section_differs(s, state, body);
        any |= diff[s];
        texts |= diff[s] && !NOTION_SECTIONS[s].is_log;
    }
    if (!any)
        return SRR_OK;
    rc = read_layout(c, page, state, texts, &read, ra, err);
    for (s = 0; rc == SRR_OK && read && s < NS__COUNT; s++) /* a memory learned from the page */
        diff[s] = section_differs(s, state, body);
    for (s = 0; rc == SRR_OK && s < NS__COUNT; s++) {
        const notion_section *sec = &NOTION_SECTIONS[s];
        const json_t *want = json_object_get(body, sec->key);
        json_t *mine = json_object_get(json_object_get(state, "sec"), sec->key);
        if (!diff[s])
            continue;
        if (!sec->is_log && read && json_object_get(read, sec->key)) {
            char *now = notion_section_text(json_object_get(read, sec->key));
            char *was = notion_trimmed(json_string_value(json_object_get(mine, "text")));
            int foreign = strcmp(now, was) != 0;
            free(now);
            free(was);
            if (foreign) { /* edited in Notion meanwhile: the poll decides */
                json_object_set_new(state, "dirty", json_true());
                c->next_poll = 0;
                continue;
            }
        }
        rc = sec->is_log ? update_log(c, page, mine, want, ra, err)
                         : update_text(c, page, mine, want, ra, err);
        if ((rc == SRR_EINVAL || rc == SRR_ENOTFOUND) && !retried) {
            retried = 1;
            json_decref(read);
            rc = read_layout(c, page, state, 1, &read, ra, err);
            s--; /* this section again, on what the page holds now */
        }
    }
    json_decref(read);
    return rc;
}

/* Updates an existing page: the properties that differ in one request, then
 * each section that differs. `state` is updated as the parts land. */
static srr_rc update_page(notion_ctx *c, const char *page, json_t *state, const json_t *props,
                          const json_t *canon, const json_t *body, int64_t *ra, srr_error *err)
{
    json_t *have = json_object_get(state, "props"), *changed = json_object();
    const char *name;
    json_t *v;
    srr_rc rc = SRR_OK;
    if (!have) {
        have = json_object();
        json_object_set_new(state, "props", have);
    }
    json_object_foreach((json_t *)canon, name, v)
    {
        if (!json_equal(v, json_object_get(have, name)))
            json_object_set(changed, name, json_object_get(props, name));
    }
    if (json_object_size(changed) > 0) {
        json_t *req = json_pack("{s:O}", "properties", changed), *answer = NULL;
        char *path = srr_asprintf("pages/%s", page);
        rc = notion_http_call(c->http, "PATCH", path, req, 1, &answer, ra, err);
        free(path);
        json_decref(req);
        json_decref(answer);
        if (rc == SRR_OK)
            json_object_foreach(changed, name, v) json_object_set(have, name,
                                                                  json_object_get(canon, name));
    }
    json_decref(changed);
    if (rc == SRR_OK)
        rc = update_sections(c, page, state, body, ra, err);
    return rc;
}

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
        page = find_page(c, it->hid, &res->retry_after_s, &rc, err);
        if (rc != SRR_OK)
            goto out;
        if (page) {
            srr_info("notion: %s: found the page an interrupted create made (%s)", it->hid, page);
            res->remote_id = srr_strdup(page);
            state = json_object(); /* what it holds is unknown: compare everything */
        }
    }
    if (!page) {
        rc = create_page(c, host, it, props, canon, body, res, err);
        goto out;
    }
    if (!state)
        state = it->state ? json_deep_copy(it->state) : json_object();
    rc = update_page(c, page, state, props, canon, body, &res->retry_after_s, err);
    if (rc == SRR_ENOTFOUND)
        srr_error_prefix(err, "the page of %s is gone from Notion (deleted, or no longer shared "
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
