/* SPDX-License-Identifier: Apache-2.0
 *
 * notion_ctx.c - what every part of the Notion sink asks of its instance
 * (notion.h): the Notion user of an srr member and back, whether a kind
 * of record is mirrored, and the data source's schema - read and checked
 * against the mapped properties (once, before the first delivery or poll:
 * notion_ready), with the select options the values need added. The
 * plugin (notion.c), the renderer (notion_blocks.c) and the poll of edits
 * (notion_edits.c) build on it; it calls only notion_http.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notion.h"

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
                    json_array_append_new(
                        add, json_pack("{s:s}", "id", jstr(json_array_get(have, k), "id")));
            }
            json_array_append_new(add, json_pack("{s:s}", "name", w));
        }
        if (add)
            json_object_set_new(patch, name, json_pack("{s:{s:o}}", type, "options", add));
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
