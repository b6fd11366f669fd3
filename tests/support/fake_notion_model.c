/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_notion_model.c - the workspace behind the fake Notion API
 * (fake_notion_internal.h): users, one database with its data source,
 * pages, blocks and comments as jansson values, and the endpoints srr's
 * sink uses: databases and data sources (read, schema update, query with
 * filters, sorts, paging and filter_properties), pages (create, read,
 * update, trash), block children (list, append at a position), blocks
 * (update, delete), comments, users. What is written is checked by
 * fake_notion_values.c; the test side is fake_notion_access.c.
 *
 * Reading order: ids and time, the schema, queries, endpoints, the router,
 * setup.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_notion_internal.h"
#include "srr.h"

#define FN_BLOCKS_MAX 100

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* ---- ids and time ------------------------------------------------------- */

void fn_now_iso(long offset, char out[32])
{
    time_t t = time(NULL) + offset;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

void fn_new_id(fake_notion *f, char out[40])
{
    unsigned long n = ++f->next_id;
    snprintf(out, 40, "%08lx-%04lx-4%03lx-8%03lx-%012lx", (n * 2654435761UL) & 0xffffffffUL,
             n & 0xffff, (n >> 4) & 0xfff, (n >> 8) & 0xfff, n);
}

void fn_touch_page(fake_notion *f, const char *page_id, const char *user, long offset)
{
    json_t *p = json_object_get(f->pages, page_id);
    char now[32];
    if (!p)
        return;
    fn_now_iso(offset, now);
    json_object_set_new(p, "last_edited_time", json_string(now));
    json_object_set_new(p, "last_edited_by", json_pack("{s:s, s:s}", "object", "user", "id", user));
}

/* The page a block belongs to (walking up its parents). */
static const char *page_of_block(fake_notion *f, const char *id)
{
    int hops;
    for (hops = 0; id && hops < 16; hops++) {
        json_t *b;
        if (json_object_get(f->pages, id))
            return id;
        b = json_object_get(f->blocks, id);
        if (!b)
            return NULL;
        id = json_string_value(json_object_get(json_object_get(b, "parent"), "page_id"));
        if (!id)
            id = json_string_value(json_object_get(json_object_get(b, "parent"), "block_id"));
    }
    return NULL;
}

/* ---- databases and data sources ----------------------------------------- */

static json_t *source_view(const json_t *ds)
{
    return json_deep_copy(ds);
}

/* Applies a schema update: new properties, options replaced, null removes. */
int fn_update_schema(fake_notion *f, json_t *ds, const json_t *props, json_t **err)
{
    json_t *schema = json_object_get(ds, "properties");
    const char *name;
    json_t *conf;
    json_object_foreach((json_t *)props, name, conf)
    {
        json_t *have = json_object_get(schema, name), *made;
        const char *type = jstr(conf, "type");
        const char *k;
        json_t *v;
        char id[40];
        if (json_is_null(conf)) {
            json_object_del(schema, name);
            continue;
        }
        if (!*type)
            json_object_foreach(conf, k, v) if (strcmp(k, "name") != 0 &&
                                                strcmp(k, "description") != 0 && json_is_object(v))
                type = k;
        if (!*type || !json_is_object(json_object_get(conf, type))) {
            *err = fn_error(400, "validation_error", "body.properties.%s: a type is needed.", name);
            return -1;
        }
        if (strcmp(type, "title") == 0 && (!have || strcmp(jstr(have, "type"), "title") != 0)) {
            *err = fn_error(400, "validation_error", "a data source has one title property.");
            return -1;
        }
        if (have) {
            snprintf(id, sizeof(id), "%s", jstr(have, "id"));
        } else {
            fn_new_id(f, id);
            id[4] = '\0';
        }
        made = json_pack("{s:s, s:s, s:s}", "id", id, "name", name, "type", type);
        if (strcmp(type, "select") == 0 || strcmp(type, "multi_select") == 0 ||
            strcmp(type, "status") == 0) {
            const json_t *in = json_object_get(json_object_get(conf, type), "options");
            json_t *opts = json_array();
            size_t i;
            for (i = 0; i < json_array_size(in); i++) {
                const json_t *o = json_array_get(in, i);
                const json_t *old =
                    have
                        ? fn_option_named(have, type, json_string_value(json_object_get(o, "name")),
                                          json_string_value(json_object_get(o, "id")))
                        : NULL;
                char oid[40];
                if (old) {
                    json_array_append(opts, (json_t *)old);
                    continue;
                }
                if (!json_is_string(json_object_get(o, "name")) || strchr(jstr(o, "name"), ',')) {
                    json_decref(opts);
                    json_decref(made);
                    *err = fn_error(400, "validation_error",
                                    "body.properties.%s.%s.options[%zu]: a name without commas "
                                    "is needed.",
                                    name, type, i);
                    return -1;
                }
                fn_new_id(f, oid);
                json_array_append_new(opts, json_pack("{s:s, s:s, s:s, s:n}", "id", oid, "name",
                                                      jstr(o, "name"), "color", "default",
                                                      "description"));
            }
            json_object_set_new(made, type, json_pack("{s:o}", "options", opts));
        } else {
            json_object_set(made, type, json_object_get(conf, type));
        }
        json_object_set_new(schema, name, made);
    }
    return 0;
}

/* ---- queries ------------------------------------------------------------ */

/* 1 when the page passes `flt` (-1 and *err for a filter Notion refuses). */
static int matches(const json_t *page, const json_t *flt, json_t **err)
{
    const json_t *list;
    size_t i;
    if (!flt)
        return 1;
    if ((list = json_object_get(flt, "and")) || (list = json_object_get(flt, "or"))) {
        int is_and = json_object_get(flt, "and") != NULL, any = 0;
        for (i = 0; i < json_array_size(list); i++) {
            int m = matches(page, json_array_get(list, i), err);
            if (m < 0)
                return -1;
            if (is_and && !m)
                return 0;
            any |= m;
        }
        return is_and ? 1 : any;
    }
    if (json_object_get(flt, "timestamp")) {
        const char *ts = jstr(flt, "timestamp");
        const json_t *cond = json_object_get(flt, ts);
        const char *have = jstr(page, ts), *k;
        json_t *v;
        if (strcmp(ts, "last_edited_time") != 0 && strcmp(ts, "created_time") != 0) {
            *err = fn_error(400, "validation_error", "unknown timestamp filter %s.", ts);
            return -1;
        }
        json_object_foreach((json_t *)cond, k, v)
        {
            int c = strcmp(have, json_string_value(v) ? json_string_value(v) : "");
            if ((strcmp(k, "on_or_after") == 0 && c < 0) || (strcmp(k, "after") == 0 && c <= 0) ||
                (strcmp(k, "before") == 0 && c >= 0) || (strcmp(k, "on_or_before") == 0 && c > 0))
                return 0;
        }
        return 1;
    }
    if (json_object_get(flt, "property")) {
        const json_t *prop =
            json_object_get(json_object_get(page, "properties"), jstr(flt, "property"));
        const char *type = jstr(prop, "type"), *k;
        json_t *v;
        if (!prop) {
            *err = fn_error(400, "validation_error", "Could not find property with name or id: %s",
                            jstr(flt, "property"));
            return -1;
        }
        if (!json_object_get(flt, type)) {
            *err = fn_error(400, "validation_error",
                            "body.filter: the filter for %s should be a %s filter.",
                            jstr(flt, "property"), type);
            return -1;
        }
        json_object_foreach(json_object_get(flt, type), k, v)
        {
            char *have;
            int eq;
            const json_t *val = json_object_get(prop, type);
            if (strcmp(type, "title") == 0 || strcmp(type, "rich_text") == 0)
                have = fn_plain(val);
            else if (strcmp(type, "select") == 0 || strcmp(type, "status") == 0)
                have = srr_strdup(jstr(val, "name"));
            else
                have = srr_strdup(json_string_value(val) ? json_string_value(val) : "");
            eq = strcmp(have, json_string_value(v) ? json_string_value(v) : "") == 0;
            free(have);
            if ((strcmp(k, "equals") == 0 && !eq) || (strcmp(k, "does_not_equal") == 0 && eq))
                return 0;
        }
        return 1;
    }
    *err = fn_error(400, "validation_error", "body.filter is not a filter Notion knows.");
    return -1;
}

/* The query's filter_properties values (property ids or names). */
static json_t *filter_properties(const char *query)
{
    json_t *arr = json_array();
    char *copy = srr_strdup(query), *save = NULL, *kv;
    for (kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        if (strncmp(kv, "filter_properties=", 18) == 0 ||
            strncmp(kv, "filter_properties%5B%5D=", 24) == 0)
            json_array_append_new(arr, json_string(strchr(kv, '=') + 1));
    }
    free(copy);
    return arr;
}

static json_t *page_view(const json_t *page, const json_t *only)
{
    json_t *v = json_deep_copy(page);
    if (json_array_size(only) > 0) {
        json_t *props = json_object_get(v, "properties"), *keep = json_object();
        const char *name;
        json_t *p;
        json_object_foreach(props, name, p)
        {
            for (size_t i = 0; i < json_array_size(only); i++) {
                const char *w = json_string_value(json_array_get(only, i));
                if (strcmp(w, name) == 0 || strcmp(w, jstr(p, "id")) == 0)
                    json_object_set(keep, name, p);
            }
        }
        json_object_set_new(v, "properties", keep);
    }
    return v;
}

static int cmp_edited_asc(const void *a, const void *b)
{
    return strcmp(jstr(*(json_t *const *)a, "last_edited_time"),
                  jstr(*(json_t *const *)b, "last_edited_time"));
}

static int query(fake_notion *f, const char *ds_id, const fn_request *rq, json_t **resp)
{
    const json_t *body = rq->body, *sorts = json_object_get(body, "sorts");
    json_t *only = filter_properties(rq->query), *results = json_array(), *err = NULL;
    json_t **sel;
    size_t i, n = 0, start = 0, size;
    json_int_t ps = json_integer_value(json_object_get(body, "page_size"));
    const char *cursor = json_string_value(json_object_get(body, "start_cursor"));
    int desc = 0, by_edit = 0;
    (void)ds_id;
    if (ps <= 0)
        ps = 100;
    if (ps > 100) {
        json_decref(only);
        json_decref(results);
        *resp = fn_error(400, "validation_error",
                         "body failed validation: body.page_size should be ≤ `100`.");
        return 400;
    }
    sel = srr_calloc(json_array_size(f->page_order) + 1, sizeof(*sel));
    for (i = 0; i < json_array_size(f->page_order); i++) {
        json_t *p = json_object_get(f->pages, json_string_value(json_array_get(f->page_order, i)));
        int m;
        if (json_is_true(json_object_get(p, "in_trash")))
            continue;
        m = matches(p, json_object_get(body, "filter"), &err);
        if (m < 0) {
            free(sel);
            json_decref(only);
            json_decref(results);
            *resp = err;
            return 400;
        }
        if (m)
            sel[n++] = p;
    }
    if (json_array_size(sorts) > 0) {
        const json_t *s = json_array_get(sorts, 0);
        by_edit = strcmp(jstr(s, "timestamp"), "last_edited_time") == 0;
        desc = strcmp(jstr(s, "direction"), "descending") == 0;
    }
    if (by_edit)
        qsort(sel, n, sizeof(*sel), cmp_edited_asc);
    if (desc)
        for (i = 0; i < n / 2; i++) {
            json_t *t = sel[i];
            sel[i] = sel[n - 1 - i];
            sel[n - 1 - i] = t;
        }
    if (cursor)
        for (start = 0; start < n && strcmp(jstr(sel[start], "id"), cursor) != 0; start++)
            ;
    size = (size_t)ps;
    for (i = start; i < n && i < start + size; i++)
        json_array_append_new(results, page_view(sel[i], only));
    *resp = json_pack("{s:s, s:o, s:o, s:b, s:s, s:{}, s:{s:s}}", "object", "list", "results",
                      results, "next_cursor", i < n ? json_string(jstr(sel[i], "id")) : json_null(),
                      "has_more", i < n, "type", "page_or_data_source", "page_or_data_source",
                      "request_status", "type", "complete");
    free(sel);
    json_decref(only);
    return 200;
}

/* ---- endpoints ---------------------------------------------------------- */

static int new_data_sources_version(const char *v)
{
    return strcmp(v, "2025-09-03") >= 0;
}

static int create_page(fake_notion *f, const fn_request *rq, json_t **resp)
{
    const json_t *parent = json_object_get(rq->body, "parent");
    const char *ds_id = json_string_value(json_object_get(parent, "data_source_id"));
    const char *db_id = json_string_value(json_object_get(parent, "database_id"));
    json_t *ds, *page, *props, *err = NULL, *added;
    char id[40], now[32];
    const char *name;
    json_t *conf;
    if (!ds_id && db_id) {
        const json_t *db = json_object_get(f->databases, db_id);
        const json_t *list = json_object_get(db, "data_sources");
        if (db && json_array_size(list) > 1) {
            *resp = fn_error(400, "validation_error",
                             "Database %s has multiple data sources: use a data_source_id parent.",
                             db_id);
            return 400;
        }
        ds_id = db ? jstr(json_array_get(list, 0), "id") : NULL;
    }
    ds = ds_id ? json_object_get(f->sources, ds_id) : NULL;
    if (!ds) {
        *resp = fn_error(404, "object_not_found",
                         "Could not find data source with ID: %s. Make sure the relevant pages "
                         "and databases are shared with your integration.",
                         ds_id ? ds_id : (db_id ? db_id : "?"));
        return 404;
    }
    if (json_array_size(json_object_get(rq->body, "children")) > FN_BLOCKS_MAX) {
        *resp = fn_error(400, "validation_error",
                         "body failed validation: body.children.length should be ≤ `%d`, instead "
                         "was `%zu`.",
                         FN_BLOCKS_MAX, json_array_size(json_object_get(rq->body, "children")));
        return 400;
    }
    props = json_object();
    json_object_foreach(json_object_get(ds, "properties"), name, conf)
        json_object_set_new(props, name, fn_empty_value(conf));
    if (fn_set_props(f, props, json_object_get(ds, "properties"),
                     json_object_get(rq->body, "properties"), &err) != 0) {
        json_decref(props);
        *resp = err;
        return 400;
    }
    fn_new_id(f, id);
    fn_now_iso(0, now);
    page = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:b, s:b, s:b, s:o, s:{s:s, "
                     "s:s, s:s}, s:n, s:n}",
                     "object", "page", "id", id, "created_time", now, "last_edited_time", now,
                     "created_by", "object", "user", "id", rq->user_id, "last_edited_by", "object",
                     "user", "id", rq->user_id, "in_trash", 0, "is_archived", 0, "is_locked", 0,
                     "properties", props, "parent", "type", "data_source_id", "data_source_id",
                     ds_id, "database_id", f->db_id, "icon", "cover");
    json_object_set_new(page, "url", json_sprintf("https://www.notion.so/fake-%s", id));
    json_object_set_new(f->pages, id, page);
    added = json_array();
    if (fn_insert_blocks(f, json_object_get(rq->body, "children"), id, 1, 0, rq->user_id, added,
                         &err) != 0) {
        json_object_del(f->pages, id);
        json_decref(added);
        *resp = err;
        return 400;
    }
    json_decref(added);
    json_array_append_new(f->page_order, json_string(id));
    *resp = json_deep_copy(page);
    return 200;
}

static int update_page(fake_notion *f, const char *id, const fn_request *rq, json_t **resp)
{
    json_t *page = json_object_get(f->pages, id), *err = NULL;
    const json_t *ds;
    if (!page) {
        *resp = fn_error(404, "object_not_found", "Could not find page with ID: %s.", id);
        return 404;
    }
    if (strcmp(rq->method, "GET") == 0) {
        *resp = json_deep_copy(page);
        return 200;
    }
    if (json_object_get(rq->body, "archived") && strcmp(rq->version, "2026-03-11") >= 0) {
        *resp = fn_error(400, "validation_error",
                         "body failed validation: archived is not supported since 2026-03-11: "
                         "use in_trash.");
        return 400;
    }
    if (json_is_true(json_object_get(page, "in_trash")) &&
        !json_is_false(json_object_get(rq->body, "in_trash"))) {
        *resp = fn_error(400, "validation_error",
                         "Can't edit block that is archived. You must "
                         "unarchive the block before editing.");
        return 400;
    }
    ds = json_object_get(f->sources, jstr(json_object_get(page, "parent"), "data_source_id"));
    if (fn_set_props(f, json_object_get(page, "properties"), json_object_get(ds, "properties"),
                     json_object_get(rq->body, "properties"), &err) != 0) {
        *resp = err;
        return 400;
    }
    if (json_is_boolean(json_object_get(rq->body, "in_trash")))
        json_object_set(page, "in_trash", json_object_get(rq->body, "in_trash"));
    fn_touch_page(f, id, rq->user_id, 0);
    *resp = json_deep_copy(page);
    return 200;
}

/* GET|PATCH /v1/blocks/{id}/children */
static int block_children(fake_notion *f, const char *id, const fn_request *rq, json_t **resp)
{
    int is_page = json_object_get(f->pages, id) != NULL;
    json_t *list, *results, *err = NULL;
    size_t i, start = 0, pos;
    if (!is_page && !json_object_get(f->blocks, id)) {
        *resp = fn_error(404, "object_not_found", "Could not find block with ID: %s.", id);
        return 404;
    }
    list = fn_kids(f, id);
    if (strcmp(rq->method, "GET") == 0) {
        long ps = 100;
        const char *q = strstr(rq->query, "page_size="), *c = strstr(rq->query, "start_cursor=");
        json_t *live = json_array();
        if (q)
            ps = strtol(q + 10, NULL, 10);
        if (ps <= 0 || ps > 100) {
            json_decref(live);
            *resp = fn_error(400, "validation_error", "page_size should be ≤ 100.");
            return 400;
        }
        for (i = 0; i < json_array_size(list); i++) {
            json_t *b = json_object_get(f->blocks, json_string_value(json_array_get(list, i)));
            if (b && !json_is_true(json_object_get(b, "in_trash")))
                json_array_append(live, b);
        }
        if (c) {
            char cur[64];
            snprintf(cur, sizeof(cur), "%.*s", (int)strcspn(c + 13, "&"), c + 13);
            for (start = 0; start < json_array_size(live) &&
                            strcmp(jstr(json_array_get(live, start), "id"), cur) != 0;
                 start++)
                ;
        }
        results = json_array();
        for (i = start; i < json_array_size(live) && i < start + (size_t)ps; i++)
            json_array_append_new(results, json_deep_copy(json_array_get(live, i)));
        *resp = json_pack(
            "{s:s, s:o, s:o, s:b, s:s, s:{}}", "object", "list", "results", results, "next_cursor",
            i < json_array_size(live) ? json_string(jstr(json_array_get(live, i), "id"))
                                      : json_null(),
            "has_more", i < json_array_size(live), "type", "block", "block");
        json_decref(live);
        return 200;
    }
    if (json_object_get(rq->body, "after") && strcmp(rq->version, "2026-03-11") >= 0) {
        *resp = fn_error(400, "validation_error",
                         "body failed validation: after is replaced by position since 2026-03-11.");
        return 400;
    }
    {
        const json_t *p = json_object_get(rq->body, "position");
        const char *type = p ? jstr(p, "type") : "end";
        if (strcmp(type, "start") == 0) {
            pos = 0;
        } else if (strcmp(type, "after_block") == 0) {
            const char *after = jstr(json_object_get(p, "after_block"), "id");
            for (pos = 0; pos < json_array_size(list) &&
                          strcmp(json_string_value(json_array_get(list, pos)), after) != 0;
                 pos++)
                ;
            if (pos == json_array_size(list)) {
                *resp =
                    fn_error(400, "validation_error",
                             "body.position.after_block.id: %s is not a child of %s.", after, id);
                return 400;
            }
            pos++;
        } else if (strcmp(type, "end") == 0) {
            pos = json_array_size(list);
        } else {
            *resp = fn_error(400, "validation_error",
                             "body.position.type should be start, end "
                             "or after_block.");
            return 400;
        }
    }
    results = json_array();
    if (fn_insert_blocks(f, json_object_get(rq->body, "children"), id, is_page, pos, rq->user_id,
                         results, &err) != 0) {
        json_decref(results);
        *resp = err;
        return 400;
    }
    fn_touch_page(f, page_of_block(f, id), rq->user_id, 0);
    *resp = json_pack("{s:s, s:o, s:n, s:b, s:s, s:{}}", "object", "list", "results", results,
                      "next_cursor", "has_more", 0, "type", "block", "block");
    return 200;
}

/* GET|PATCH|DELETE /v1/blocks/{id} */
static int one_block(fake_notion *f, const char *id, const fn_request *rq, json_t **resp)
{
    json_t *b = json_object_get(f->blocks, id), *err = NULL;
    const char *type = jstr(b, "type");
    char now[32];
    if (!b) {
        *resp = fn_error(404, "object_not_found", "Could not find block with ID: %s.", id);
        return 404;
    }
    if (strcmp(rq->method, "PATCH") == 0) {
        const json_t *inner = json_object_get(rq->body, type);
        const char *k;
        json_t *v;
        json_object_foreach(rq->body, k, v)
        {
            if (strcmp(k, type) != 0 && strcmp(k, "in_trash") != 0 && strcmp(k, "type") != 0) {
                *resp = fn_error(400, "validation_error",
                                 "body failed validation: the block is a %s, not a %s.", type, k);
                return 400;
            }
        }
        if (json_is_true(json_object_get(b, "in_trash")) &&
            !json_is_false(json_object_get(rq->body, "in_trash"))) {
            *resp = fn_error(400, "validation_error", "Can't edit block that is archived.");
            return 400;
        }
        if (inner && fn_text_block(type)) {
            json_t *rt = NULL;
            char w[64];
            snprintf(w, sizeof(w), "body.%s.rich_text", type);
            if (fn_rich_text(json_object_get(inner, "rich_text"), w, &rt, &err) != 0) {
                *resp = err;
                return 400;
            }
            json_object_set_new(json_object_get(b, type), "rich_text", rt);
        }
        if (json_is_boolean(json_object_get(rq->body, "in_trash")))
            json_object_set(b, "in_trash", json_object_get(rq->body, "in_trash"));
    } else if (strcmp(rq->method, "DELETE") == 0) {
        json_object_set_new(b, "in_trash", json_true());
    }
    if (strcmp(rq->method, "GET") != 0) {
        fn_now_iso(0, now);
        json_object_set_new(b, "last_edited_time", json_string(now));
        fn_touch_page(f, page_of_block(f, id), rq->user_id, 0);
    }
    *resp = json_deep_copy(b);
    return 200;
}

static int comments(fake_notion *f, const fn_request *rq, json_t **resp)
{
    json_t *rt = NULL, *err = NULL, *c;
    const char *page = jstr(json_object_get(rq->body, "parent"), "page_id");
    char id[40], now[32];
    if (strcmp(rq->method, "GET") == 0) {
        *resp = json_pack("{s:s, s:O, s:n, s:b}", "object", "list", "results", f->comments,
                          "next_cursor", "has_more", 0);
        return 200;
    }
    if (!json_object_get(f->pages, page)) {
        *resp = fn_error(404, "object_not_found", "Could not find page with ID: %s.", page);
        return 404;
    }
    if (fn_rich_text(json_object_get(rq->body, "rich_text"), "body.rich_text", &rt, &err) != 0) {
        *resp = err;
        return 400;
    }
    fn_new_id(f, id);
    fn_now_iso(0, now);
    c = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:{s:s, s:s}, s:o}", "object", "comment",
                  "id", id, "parent", "type", "page_id", "page_id", page, "discussion_id", id,
                  "created_time", now, "last_edited_time", now, "created_by", "object", "user",
                  "id", rq->user_id, "rich_text", rt);
    json_array_append(f->comments, c);
    *resp = c;
    return 200;
}

static int users(fake_notion *f, const char *id, const fn_request *rq, json_t **resp)
{
    json_t *list;
    const char *k;
    json_t *u;
    if (id && strcmp(id, "me") == 0)
        id = rq->user_id;
    if (id) {
        u = json_object_get(f->users, id);
        if (!u) {
            *resp = fn_error(404, "object_not_found", "Could not find user with ID: %s.", id);
            return 404;
        }
        *resp = json_deep_copy(u);
        return 200;
    }
    list = json_array();
    json_object_foreach(f->users, k, u) json_array_append(list, u);
    *resp = json_pack("{s:s, s:o, s:n, s:b, s:s, s:{}}", "object", "list", "results", list,
                      "next_cursor", "has_more", 0, "type", "user", "user");
    return 200;
}

int fn_model_handle(fake_notion *f, const fn_request *rq, json_t **resp)
{
    char a[64] = "", b[64] = "", c[64] = "";
    const char *m = rq->method;
    int n = sscanf(rq->path, "%63[^/]/%63[^/]/%63[^/]", a, b, c);
    int ds_version = new_data_sources_version(rq->version);
    if (n >= 1 && strcmp(a, "databases") == 0 && n == 2 && strcmp(m, "GET") == 0) {
        json_t *db = json_object_get(f->databases, b);
        if (!db) {
            *resp = fn_error(404, "object_not_found", "Could not find database with ID: %s.", b);
            return 404;
        }
        *resp = json_deep_copy(db);
        if (!ds_version)
            json_object_set(*resp, "properties",
                            json_object_get(json_object_get(f->sources, f->ds_id), "properties"));
        return 200;
    }
    if (n >= 2 && strcmp(a, "data_sources") == 0) {
        json_t *ds = json_object_get(f->sources, b), *err = NULL;
        if (!ds_version) {
            *resp = fn_error(400, "invalid_request_url",
                             "data_sources endpoints need Notion-Version 2025-09-03 or later.");
            return 400;
        }
        if (!ds) {
            *resp = fn_error(404, "object_not_found", "Could not find data source with ID: %s.", b);
            return 404;
        }
        if (n == 3 && strcmp(c, "query") == 0 && strcmp(m, "POST") == 0)
            return query(f, b, rq, resp);
        if (n == 2 && strcmp(m, "GET") == 0) {
            *resp = source_view(ds);
            return 200;
        }
        if (n == 2 && strcmp(m, "PATCH") == 0) {
            if (fn_update_schema(f, ds, json_object_get(rq->body, "properties"), &err) != 0) {
                *resp = err;
                return 400;
            }
            *resp = source_view(ds);
            return 200;
        }
    }
    if (strcmp(a, "pages") == 0 && n == 1 && strcmp(m, "POST") == 0)
        return create_page(f, rq, resp);
    if (strcmp(a, "pages") == 0 && n == 2 && (strcmp(m, "GET") == 0 || strcmp(m, "PATCH") == 0))
        return update_page(f, b, rq, resp);
    if (strcmp(a, "blocks") == 0 && n == 3 && strcmp(c, "children") == 0 &&
        (strcmp(m, "GET") == 0 || strcmp(m, "PATCH") == 0))
        return block_children(f, b, rq, resp);
    if (strcmp(a, "blocks") == 0 && n == 2)
        return one_block(f, b, rq, resp);
    if (strcmp(a, "comments") == 0 && n == 1)
        return comments(f, rq, resp);
    if (strcmp(a, "users") == 0 && strcmp(m, "GET") == 0)
        return users(f, n == 2 ? b : NULL, rq, resp);
    *resp = fn_error(400, "invalid_request_url", "Invalid request URL: %s /v1/%s.", m, rq->path);
    return 400;
}

/* ---- setup -------------------------------------------------------------- */

void fn_add_user(fake_notion *f, const char *id, const char *type, const char *name,
                 const char *email)
{
    json_t *u =
        json_pack("{s:s, s:s, s:s, s:s}", "object", "user", "id", id, "type", type, "name", name);
    if (strcmp(type, "person") == 0)
        json_object_set_new(u, "person", json_pack("{s:s}", "email", email ? email : ""));
    else
        json_object_set_new(
            u, "bot", json_pack("{s:{s:s, s:b}}", "owner", "type", "workspace", "workspace", 1));
    json_object_set_new(f->users, id, u);
}

void fn_model_init(fake_notion *f)
{
    char now[32];
    f->users = json_object();
    f->tokens = json_object();
    f->databases = json_object();
    f->sources = json_object();
    f->pages = json_object();
    f->page_order = json_array();
    f->blocks = json_object();
    f->children = json_object();
    f->comments = json_array();
    f->route_counts = json_object();
    fn_new_id(f, f->bot_id);
    fn_new_id(f, f->db_id);
    fn_new_id(f, f->ds_id);
    fn_now_iso(0, now);
    fn_add_user(f, f->bot_id, "bot", "srr", NULL);
    json_object_set_new(f->tokens, FAKE_NOTION_TOKEN, json_string(f->bot_id));
    json_object_set_new(f->databases, f->db_id,
                        json_pack("{s:s, s:s, s:[{s:s, s:s}], s:[{s:s, s:{s:s}, s:s}], s:b, s:s}",
                                  "object", "database", "id", f->db_id, "data_sources", "id",
                                  f->ds_id, "name", "System Risk Records", "title", "type", "text",
                                  "text", "content", "System Risk Records", "plain_text",
                                  "System Risk Records", "in_trash", 0, "created_time", now));
    json_object_set_new(f->sources, f->ds_id,
                        json_pack("{s:s, s:s, s:{s:s}, s:b, s:{s:{s:s, s:s, s:s, s:{}}}}", "object",
                                  "data_source", "id", f->ds_id, "parent", "database_id", f->db_id,
                                  "in_trash", 0, "properties", "Name", "id", "title", "name",
                                  "Name", "type", "title", "title"));
}

void fn_model_free(fake_notion *f)
{
    json_decref(f->users);
    json_decref(f->tokens);
    json_decref(f->databases);
    json_decref(f->sources);
    json_decref(f->pages);
    json_decref(f->page_order);
    json_decref(f->blocks);
    json_decref(f->children);
    json_decref(f->comments);
    json_decref(f->route_counts);
}
