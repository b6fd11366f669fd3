/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_notion_model.c - the workspace behind the fake Notion API
 * (fake_notion_internal.h): users, one database with its data source,
 * pages, blocks and comments as jansson values, the endpoints srr's sink
 * uses, and the validation Notion applies to what is written (property
 * types against the schema, select options, people, the 2,000-character
 * rich-text items, 100 items per array, 100 blocks per request). Also the
 * test accessors: reads, people's edits, the text dump.
 *
 * Reading order: ids and time, rich text and blocks, property values,
 * endpoints (databases and data sources, pages, blocks, comments, users),
 * the router, then the accessors.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_notion_internal.h"
#include "srr.h"

#define FN_TEXT_MAX 2000
#define FN_ITEMS_MAX 100
#define FN_BLOCKS_MAX 100
#define FN_URL_MAX 2000

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

static void touch_page(fake_notion *f, const char *page_id, const char *user, long offset)
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

/* ---- rich text and blocks ----------------------------------------------- */

static size_t utf16_len(const char *s)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;
        n += *p >= 0xF0 ? 2 : 1;
    }
    return n;
}

/* Validates a rich-text array at `where`; *out gets the stored form. */
static int rich_text(const json_t *in, const char *where, json_t **out, json_t **err)
{
    size_t i;
    if (!json_is_array(in)) {
        *err = fn_error(400, "validation_error", "body failed validation: %s should be an array.",
                        where);
        return -1;
    }
    if (json_array_size(in) > FN_ITEMS_MAX) {
        *err = fn_error(400, "validation_error",
                        "body failed validation: %s.length should be ≤ `%d`, instead was `%zu`.",
                        where, FN_ITEMS_MAX, json_array_size(in));
        return -1;
    }
    *out = json_array();
    for (i = 0; i < json_array_size(in); i++) {
        const json_t *it = json_array_get(in, i), *text = json_object_get(it, "text");
        const char *content = json_string_value(json_object_get(text, "content"));
        const json_t *link = json_object_get(text, "link");
        const char *url = json_string_value(json_object_get(link, "url"));
        if (!content) {
            *err = fn_error(400, "validation_error",
                            "body failed validation: %s[%zu].text.content should be defined.",
                            where, i);
            json_decref(*out);
            return -1;
        }
        if (utf16_len(content) > FN_TEXT_MAX) {
            *err = fn_error(400, "validation_error",
                            "body failed validation: %s[%zu].text.content.length should be ≤ "
                            "`%d`, instead was `%zu`.",
                            where, i, FN_TEXT_MAX, utf16_len(content));
            json_decref(*out);
            return -1;
        }
        if (url && strlen(url) > FN_URL_MAX) {
            *err = fn_error(400, "validation_error",
                            "body failed validation: %s[%zu].text.link.url.length should be ≤ "
                            "`%d`.",
                            where, i, FN_URL_MAX);
            json_decref(*out);
            return -1;
        }
        json_array_append_new(
            *out, json_pack("{s:s, s:{s:s, s:o}, s:{s:b, s:b, s:b, s:b, s:b, s:s}, s:s, s:o}",
                            "type", "text", "text", "content", content, "link",
                            url ? json_pack("{s:s}", "url", url) : json_null(), "annotations",
                            "bold", 0, "italic", 0, "strikethrough", 0, "underline", 0, "code",
                            0, "color", "default", "plain_text", content, "href",
                            url ? json_string(url) : json_null()));
    }
    return 0;
}

static char *plain(const json_t *rt)
{
    srr_buf b;
    size_t i;
    srr_buf_init(&b, 0);
    for (i = 0; i < json_array_size(rt); i++)
        srr_buf_printf(&b, "%s", jstr(json_array_get(rt, i), "plain_text"));
    return b.data ? srr_buf_steal(&b) : srr_strdup("");
}

static const char *const TEXT_BLOCKS[] = {"paragraph", "heading_1", "heading_2",
                                          "heading_3", "bulleted_list_item",
                                          "numbered_list_item", "to_do", "toggle",
                                          "quote", "callout", NULL};

static int text_block(const char *type)
{
    for (size_t i = 0; TEXT_BLOCKS[i]; i++)
        if (strcmp(TEXT_BLOCKS[i], type) == 0)
            return 1;
    return 0;
}

/* Validates a block of a request and makes the stored block (parent set). */
static json_t *new_block(fake_notion *f, const json_t *in, const char *where, const char *parent,
                         int parent_is_page, const char *user, json_t **err)
{
    const char *type = jstr(in, "type");
    const json_t *inner;
    json_t *b, *rt = NULL;
    char id[40], now[32];
    if (!*type) { /* `type` is optional: the one key naming a block type */
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)in, k, v)
        {
            if (text_block(k) || strcmp(k, "divider") == 0 || strcmp(k, "bookmark") == 0)
                type = k;
        }
    }
    inner = json_object_get(in, type);
    if (!*type || !json_is_object(inner)) {
        *err = fn_error(400, "validation_error",
                        "body failed validation: %s should define a block type.", where);
        return NULL;
    }
    if (text_block(type)) {
        char w[256];
        snprintf(w, sizeof(w), "%s.%s.rich_text", where, type);
        if (rich_text(json_object_get(inner, "rich_text"), w, &rt, err) != 0)
            return NULL;
    } else if (strcmp(type, "divider") != 0 && strcmp(type, "bookmark") != 0) {
        *err = fn_error(400, "validation_error", "body failed validation: %s: unsupported block "
                                                 "type %s (fake).", where, type);
        return NULL;
    }
    fn_new_id(f, id);
    fn_now_iso(0, now);
    b = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:b, s:b}", "object",
                  "block", "id", id, "type", type, "created_time", now, "last_edited_time", now,
                  "created_by", "object", "user", "id", user, "last_edited_by", "object", "user",
                  "id", user, "has_children", 0, "in_trash", 0);
    json_object_set_new(b, "parent", parent_is_page
                                         ? json_pack("{s:s, s:s}", "type", "page_id", "page_id",
                                                     parent)
                                         : json_pack("{s:s, s:s}", "type", "block_id",
                                                     "block_id", parent));
    if (rt)
        json_object_set_new(b, type, json_pack("{s:o, s:s}", "rich_text", rt, "color", "default"));
    else
        json_object_set(b, type, (json_t *)inner);
    return b;
}

static json_t *kids(fake_notion *f, const char *parent)
{
    json_t *k = json_object_get(f->children, parent);
    if (!k) {
        k = json_array();
        json_object_set_new(f->children, parent, k);
    }
    return k;
}

/* Validates then inserts `in` blocks under parent at `pos`; new blocks
 * go to *added. Returns 0 or -1 (*err). */
static int insert_blocks(fake_notion *f, const json_t *in, const char *parent, int parent_is_page,
                         size_t pos, const char *user, json_t *added, json_t **err)
{
    json_t *made, *list;
    size_t i;
    if (!in)
        return 0; /* no children */
    made = json_array();
    list = kids(f, parent);
    if (!json_is_array(in) || json_array_size(in) > FN_BLOCKS_MAX) {
        *err = fn_error(400, "validation_error",
                        "body failed validation: body.children.length should be ≤ `%d`, instead "
                        "was `%zu`.",
                        FN_BLOCKS_MAX, json_array_size(in));
        json_decref(made);
        return -1;
    }
    for (i = 0; i < json_array_size(in); i++) {
        char where[64];
        json_t *b;
        snprintf(where, sizeof(where), "body.children[%zu]", i);
        b = new_block(f, json_array_get(in, i), where, parent, parent_is_page, user, err);
        if (!b) {
            json_decref(made);
            return -1;
        }
        json_array_append_new(made, b);
    }
    for (i = 0; i < json_array_size(made); i++) {
        json_t *b = json_array_get(made, i);
        json_object_set(f->blocks, jstr(b, "id"), b);
        json_array_insert_new(list, pos + i, json_string(jstr(b, "id")));
        if (added)
            json_array_append(added, b);
    }
    json_decref(made);
    return 0;
}

/* ---- property values ---------------------------------------------------- */

static const json_t *option_named(const json_t *conf, const char *type, const char *name,
                                  const char *id)
{
    const json_t *opts = json_object_get(json_object_get(conf, type), "options");
    size_t i;
    for (i = 0; i < json_array_size(opts); i++) {
        const json_t *o = json_array_get(opts, i);
        if ((name && strcmp(jstr(o, "name"), name) == 0) || (id && strcmp(jstr(o, "id"), id) == 0))
            return o;
    }
    return NULL;
}

/* Validates the value of property `name` (schema `conf`); *out gets the
 * stored value. */
static int prop_value(fake_notion *f, const char *name, const json_t *conf, const json_t *in,
                      json_t **out, json_t **err)
{
    const char *type = jstr(conf, "type");
    const json_t *v = json_object_get(in, type);
    char where[300];
    json_t *stored = NULL;
    snprintf(where, sizeof(where), "body.properties.%s.%s", name, type);
    if (!json_is_object(in) || (json_object_get(in, "type") && strcmp(jstr(in, "type"), type)) ||
        !v) {
        *err = fn_error(400, "validation_error", "%s is expected to be %s.", name, type);
        return -1;
    }
    if (strcmp(type, "title") == 0 || strcmp(type, "rich_text") == 0) {
        if (rich_text(v, where, &stored, err) != 0)
            return -1;
    } else if (strcmp(type, "select") == 0 || strcmp(type, "status") == 0) {
        if (json_is_null(v)) {
            stored = json_null();
        } else {
            const char *n = json_string_value(json_object_get(v, "name"));
            const char *id = json_string_value(json_object_get(v, "id"));
            const json_t *o = option_named(conf, type, n, id);
            if (n && strchr(n, ',')) {
                *err = fn_error(400, "validation_error",
                                "Invalid select option, commas not allowed: %s", n);
                return -1;
            }
            if (!o) {
                *err = fn_error(400, "validation_error",
                                "Invalid %s option \"%s\" for property %s.", type,
                                n ? n : (id ? id : "?"), name);
                return -1;
            }
            stored = json_pack("{s:s, s:s, s:s}", "id", jstr(o, "id"), "name", jstr(o, "name"),
                               "color", "default");
        }
    } else if (strcmp(type, "multi_select") == 0) {
        size_t i;
        if (!json_is_array(v) || json_array_size(v) > 100) {
            *err = fn_error(400, "validation_error", "%s should be an array of at most 100.",
                            where);
            return -1;
        }
        stored = json_array();
        for (i = 0; i < json_array_size(v); i++) {
            const char *n = jstr(json_array_get(v, i), "name");
            const json_t *o = option_named(conf, type, n, NULL);
            if (strchr(n, ',') || !o) {
                *err = fn_error(400, "validation_error",
                                strchr(n, ',') ? "Invalid multi_select option, commas not "
                                                 "allowed: %s"
                                               : "Invalid multi_select option \"%s\".",
                                n);
                json_decref(stored);
                return -1;
            }
            json_array_append_new(stored, json_pack("{s:s, s:s, s:s}", "id", jstr(o, "id"),
                                                    "name", n, "color", "default"));
        }
    } else if (strcmp(type, "people") == 0) {
        size_t i;
        if (!json_is_array(v) || json_array_size(v) > 100) {
            *err = fn_error(400, "validation_error", "%s should be an array of at most 100.",
                            where);
            return -1;
        }
        stored = json_array();
        for (i = 0; i < json_array_size(v); i++) {
            const char *id = jstr(json_array_get(v, i), "id");
            if (!json_object_get(f->users, id)) {
                *err = fn_error(400, "validation_error", "%s[%zu].id: no user %s.", where, i, id);
                json_decref(stored);
                return -1;
            }
            json_array_append_new(stored, json_pack("{s:s, s:s}", "object", "user", "id", id));
        }
    } else if (strcmp(type, "url") == 0) {
        if (!json_is_null(v) && (!json_is_string(v) || strlen(json_string_value(v)) > FN_URL_MAX)) {
            *err = fn_error(400, "validation_error",
                            "body failed validation: %s.length should be ≤ `%d`, instead was "
                            "`%zu`.",
                            where, FN_URL_MAX, json_string_length(v));
            return -1;
        }
        stored = json_deep_copy(v);
    } else if (strcmp(type, "date") == 0) {
        if (!json_is_null(v) && !json_is_string(json_object_get(v, "start"))) {
            *err = fn_error(400, "validation_error", "%s.start should be defined.", where);
            return -1;
        }
        stored = json_is_null(v) ? json_null()
                                 : json_pack("{s:s, s:n, s:n}", "start", jstr(v, "start"), "end",
                                             "time_zone");
    } else if (strcmp(type, "number") == 0) {
        if (!json_is_null(v) && !json_is_number(v)) {
            *err = fn_error(400, "validation_error", "%s should be a number.", where);
            return -1;
        }
        stored = json_deep_copy(v);
    } else {
        stored = json_deep_copy(v);
    }
    *out = json_pack("{s:s, s:s, s:o}", "id", jstr(conf, "id"), "type", type, type, stored);
    return 0;
}

static json_t *empty_value(const json_t *conf)
{
    const char *type = jstr(conf, "type");
    json_t *v;
    if (strcmp(type, "title") == 0 || strcmp(type, "rich_text") == 0 ||
        strcmp(type, "multi_select") == 0 || strcmp(type, "people") == 0)
        v = json_array();
    else
        v = json_null();
    return json_pack("{s:s, s:s, s:o}", "id", jstr(conf, "id"), "type", type, type, v);
}

/* Applies body.properties to a page's properties (all or nothing). */
static int set_props(fake_notion *f, json_t *page_props, const json_t *schema, const json_t *in,
                     json_t **err)
{
    json_t *staged = json_object();
    const char *name;
    json_t *v;
    if (in && !json_is_object(in)) {
        *err = fn_error(400, "validation_error", "body.properties should be an object.");
        json_decref(staged);
        return -1;
    }
    json_object_foreach((json_t *)in, name, v)
    {
        const json_t *conf = json_object_get(schema, name);
        json_t *out = NULL;
        if (!conf) { /* by id */
            const char *k;
            json_t *c;
            json_object_foreach((json_t *)schema, k, c)
            {
                if (strcmp(jstr(c, "id"), name) == 0) {
                    conf = c;
                    name = k;
                }
            }
        }
        if (!conf) {
            *err = fn_error(400, "validation_error", "%s is not a property that exists.", name);
            json_decref(staged);
            return -1;
        }
        if (prop_value(f, name, conf, v, &out, err) != 0) {
            json_decref(staged);
            return -1;
        }
        json_object_set_new(staged, name, out);
    }
    json_object_update(page_props, staged);
    json_decref(staged);
    return 0;
}

/* ---- databases and data sources ----------------------------------------- */

static json_t *source_view(const json_t *ds)
{
    return json_deep_copy(ds);
}

/* Applies a schema update: new properties, options replaced, null removes. */
static int update_schema(fake_notion *f, json_t *ds, const json_t *props, json_t **err)
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
                const json_t *old = have ? option_named(have, type, json_string_value(json_object_get(o, "name")),
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
        const json_t *prop = json_object_get(json_object_get(page, "properties"),
                                             jstr(flt, "property"));
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
                have = plain(val);
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
                      results, "next_cursor",
                      i < n ? json_string(jstr(sel[i], "id")) : json_null(), "has_more", i < n,
                      "type", "page_or_data_source", "page_or_data_source", "request_status",
                      "type", "complete");
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
        json_object_set_new(props, name, empty_value(conf));
    if (set_props(f, props, json_object_get(ds, "properties"), json_object_get(rq->body, "properties"),
                  &err) != 0) {
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
    if (insert_blocks(f, json_object_get(rq->body, "children"), id, 1, 0, rq->user_id, added,
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
        *resp = fn_error(400, "validation_error", "Can't edit block that is archived. You must "
                                                  "unarchive the block before editing.");
        return 400;
    }
    ds = json_object_get(f->sources, jstr(json_object_get(page, "parent"), "data_source_id"));
    if (set_props(f, json_object_get(page, "properties"), json_object_get(ds, "properties"),
                  json_object_get(rq->body, "properties"), &err) != 0) {
        *resp = err;
        return 400;
    }
    if (json_is_boolean(json_object_get(rq->body, "in_trash")))
        json_object_set(page, "in_trash", json_object_get(rq->body, "in_trash"));
    touch_page(f, id, rq->user_id, 0);
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
    list = kids(f, id);
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
        *resp = json_pack("{s:s, s:o, s:o, s:b, s:s, s:{}}", "object", "list", "results", results,
                          "next_cursor",
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
                *resp = fn_error(400, "validation_error",
                                 "body.position.after_block.id: %s is not a child of %s.", after,
                                 id);
                return 400;
            }
            pos++;
        } else if (strcmp(type, "end") == 0) {
            pos = json_array_size(list);
        } else {
            *resp = fn_error(400, "validation_error", "body.position.type should be start, end "
                                                      "or after_block.");
            return 400;
        }
    }
    results = json_array();
    if (insert_blocks(f, json_object_get(rq->body, "children"), id, is_page, pos, rq->user_id,
                      results, &err) != 0) {
        json_decref(results);
        *resp = err;
        return 400;
    }
    touch_page(f, page_of_block(f, id), rq->user_id, 0);
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
        if (inner && text_block(type)) {
            json_t *rt = NULL;
            char w[64];
            snprintf(w, sizeof(w), "body.%s.rich_text", type);
            if (rich_text(json_object_get(inner, "rich_text"), w, &rt, &err) != 0) {
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
        touch_page(f, page_of_block(f, id), rq->user_id, 0);
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
    if (rich_text(json_object_get(rq->body, "rich_text"), "body.rich_text", &rt, &err) != 0) {
        *resp = err;
        return 400;
    }
    fn_new_id(f, id);
    fn_now_iso(0, now);
    c = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:{s:s, s:s}, s:o}", "object",
                  "comment", "id", id, "parent", "type", "page_id", "page_id", page,
                  "discussion_id", id, "created_time", now, "last_edited_time", now,
                  "created_by", "object", "user", "id", rq->user_id, "rich_text", rt);
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
            *resp = fn_error(404, "object_not_found", "Could not find data source with ID: %s.",
                             b);
            return 404;
        }
        if (n == 3 && strcmp(c, "query") == 0 && strcmp(m, "POST") == 0)
            return query(f, b, rq, resp);
        if (n == 2 && strcmp(m, "GET") == 0) {
            *resp = source_view(ds);
            return 200;
        }
        if (n == 2 && strcmp(m, "PATCH") == 0) {
            if (update_schema(f, ds, json_object_get(rq->body, "properties"), &err) != 0) {
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

static void add_user(fake_notion *f, const char *id, const char *type, const char *name,
                     const char *email)
{
    json_t *u = json_pack("{s:s, s:s, s:s, s:s}", "object", "user", "id", id, "type", type, "name",
                          name);
    if (strcmp(type, "person") == 0)
        json_object_set_new(u, "person", json_pack("{s:s}", "email", email ? email : ""));
    else
        json_object_set_new(u, "bot", json_pack("{s:{s:s, s:b}}", "owner", "type", "workspace",
                                                "workspace", 1));
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
    add_user(f, f->bot_id, "bot", "srr", NULL);
    json_object_set_new(f->tokens, FAKE_NOTION_TOKEN, json_string(f->bot_id));
    json_object_set_new(f->databases, f->db_id,
                        json_pack("{s:s, s:s, s:[{s:s, s:s}], s:[{s:s, s:{s:s}, s:s}], s:b, s:s}",
                                  "object", "database", "id", f->db_id, "data_sources", "id",
                                  f->ds_id, "name", "System Risk Records", "title", "type",
                                  "text", "text", "content", "System Risk Records", "plain_text",
                                  "System Risk Records", "in_trash", 0, "created_time", now));
    json_object_set_new(f->sources, f->ds_id,
                        json_pack("{s:s, s:s, s:{s:s}, s:b, s:{s:{s:s, s:s, s:s, s:{}}}}",
                                  "object", "data_source", "id", f->ds_id, "parent", "database_id",
                                  f->db_id, "in_trash", 0, "properties", "Name", "id", "title",
                                  "name", "Name", "type", "title", "title"));
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

/* ---- accessors ------------------------------------------------------------ */

const char *fake_notion_add_person(fake_notion *f, const char *name, const char *email,
                                   const char *token)
{
    char id[40];
    const char *out;
    pthread_mutex_lock(&f->mu);
    fn_new_id(f, id);
    add_user(f, id, "person", name, email);
    if (token)
        json_object_set_new(f->tokens, token, json_string(id));
    out = jstr(json_object_get(f->users, id), "id");
    pthread_mutex_unlock(&f->mu);
    return out;
}

void fake_notion_add_property(fake_notion *f, const char *name, const char *config_json)
{
    json_t *conf = json_loads(config_json, 0, NULL), *props = json_object(), *err = NULL;
    pthread_mutex_lock(&f->mu);
    json_object_set_new(props, name, conf);
    if (update_schema(f, json_object_get(f->sources, f->ds_id), props, &err) != 0) {
        char *t = json_dumps(err, 0);
        fprintf(stderr, "fake_notion_add_property: %s\n", t);
        free(t);
        json_decref(err);
    }
    pthread_mutex_unlock(&f->mu);
    json_decref(props);
}

void fake_notion_add_data_source(fake_notion *f, const char *name)
{
    char id[40];
    pthread_mutex_lock(&f->mu);
    fn_new_id(f, id);
    json_array_append_new(json_object_get(json_object_get(f->databases, f->db_id), "data_sources"),
                          json_pack("{s:s, s:s}", "id", id, "name", name));
    json_object_set_new(f->sources, id,
                        json_pack("{s:s, s:s, s:{s:{s:s, s:s, s:s, s:{}}}}", "object",
                                  "data_source", "id", id, "properties", "Title", "id", "title",
                                  "name", "Title", "type", "title", "title"));
    pthread_mutex_unlock(&f->mu);
}

json_t *fake_notion_pages(fake_notion *f)
{
    json_t *arr = json_array();
    size_t i;
    pthread_mutex_lock(&f->mu);
    for (i = 0; i < json_array_size(f->page_order); i++) {
        json_t *p = json_object_get(f->pages, json_string_value(json_array_get(f->page_order, i)));
        if (!json_is_true(json_object_get(p, "in_trash")))
            json_array_append_new(arr, json_deep_copy(p));
    }
    pthread_mutex_unlock(&f->mu);
    return arr;
}

json_t *fake_notion_schema(fake_notion *f)
{
    json_t *s;
    pthread_mutex_lock(&f->mu);
    s = json_deep_copy(json_object_get(json_object_get(f->sources, f->ds_id), "properties"));
    pthread_mutex_unlock(&f->mu);
    return s;
}

/* A property value as text (mu held). Caller frees. */
static char *value_text(const json_t *v)
{
    const char *type = jstr(v, "type");
    const json_t *x = json_object_get(v, type);
    srr_buf b;
    size_t i;
    if (strcmp(type, "title") == 0 || strcmp(type, "rich_text") == 0)
        return plain(x);
    if (strcmp(type, "select") == 0 || strcmp(type, "status") == 0)
        return srr_strdup(jstr(x, "name"));
    if (strcmp(type, "date") == 0)
        return srr_strdup(jstr(x, "start"));
    if (strcmp(type, "number") == 0)
        return json_is_number(x) ? srr_asprintf("%g", json_number_value(x)) : srr_strdup("");
    if (json_is_string(x))
        return srr_strdup(json_string_value(x));
    srr_buf_init(&b, 0);
    for (i = 0; i < json_array_size(x); i++) {
        const json_t *it = json_array_get(x, i);
        srr_buf_printf(&b, "%s%s", i ? "," : "",
                       strcmp(type, "people") == 0 ? jstr(it, "id") : jstr(it, "name"));
    }
    return b.data ? srr_buf_steal(&b) : srr_strdup("");
}

json_t *fake_notion_page_of(fake_notion *f, const char *prop, const char *value)
{
    json_t *found = NULL;
    size_t i;
    pthread_mutex_lock(&f->mu);
    for (i = 0; !found && i < json_array_size(f->page_order); i++) {
        json_t *p = json_object_get(f->pages, json_string_value(json_array_get(f->page_order, i)));
        char *t = value_text(json_object_get(json_object_get(p, "properties"), prop));
        if (!json_is_true(json_object_get(p, "in_trash")) && strcmp(t, value) == 0)
            found = json_deep_copy(p);
        free(t);
    }
    pthread_mutex_unlock(&f->mu);
    return found;
}

char *fake_notion_prop_text(fake_notion *f, const char *page_id, const char *prop)
{
    char *t = NULL;
    json_t *v;
    pthread_mutex_lock(&f->mu);
    v = json_object_get(json_object_get(json_object_get(f->pages, page_id), "properties"), prop);
    if (v)
        t = value_text(v);
    pthread_mutex_unlock(&f->mu);
    return t;
}

/* The page's live top-level blocks (borrowed, mu held): new array. */
static json_t *live_blocks(fake_notion *f, const char *page_id)
{
    json_t *list = json_object_get(f->children, page_id), *out = json_array();
    size_t i;
    for (i = 0; i < json_array_size(list); i++) {
        json_t *b = json_object_get(f->blocks, json_string_value(json_array_get(list, i)));
        if (b && !json_is_true(json_object_get(b, "in_trash")))
            json_array_append(out, b);
    }
    return out;
}

static void page_text_locked(fake_notion *f, const char *page_id, srr_buf *out)
{
    json_t *live = live_blocks(f, page_id);
    size_t i;
    for (i = 0; i < json_array_size(live); i++) {
        const json_t *b = json_array_get(live, i);
        const char *type = jstr(b, "type");
        char *t = plain(json_object_get(json_object_get(b, type), "rich_text"));
        if (strncmp(type, "heading_", 8) == 0)
            srr_buf_printf(out, "## %s\n", t);
        else if (strcmp(type, "bulleted_list_item") == 0)
            srr_buf_printf(out, "- %s\n", t);
        else
            srr_buf_printf(out, "%s\n", t);
        free(t);
    }
    json_decref(live);
}

char *fake_notion_page_text(fake_notion *f, const char *page_id)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    pthread_mutex_lock(&f->mu);
    page_text_locked(f, page_id, &b);
    pthread_mutex_unlock(&f->mu);
    return b.data ? srr_buf_steal(&b) : srr_strdup("");
}

json_t *fake_notion_comments(fake_notion *f, const char *page_id)
{
    json_t *arr = json_array();
    size_t i;
    pthread_mutex_lock(&f->mu);
    for (i = 0; i < json_array_size(f->comments); i++) {
        const json_t *c = json_array_get(f->comments, i);
        if (strcmp(jstr(json_object_get(c, "parent"), "page_id"), page_id) == 0) {
            char *t = plain(json_object_get(c, "rich_text"));
            json_array_append_new(arr, json_string(t));
            free(t);
        }
    }
    pthread_mutex_unlock(&f->mu);
    return arr;
}

void fake_notion_dump(fake_notion *f, FILE *out)
{
    size_t i;
    pthread_mutex_lock(&f->mu);
    for (i = 0; i < json_array_size(f->page_order); i++) {
        const char *id = json_string_value(json_array_get(f->page_order, i));
        json_t *p = json_object_get(f->pages, id);
        const json_t *schema =
            json_object_get(json_object_get(f->sources, f->ds_id), "properties");
        const char *name;
        json_t *conf;
        srr_buf b;
        if (json_is_true(json_object_get(p, "in_trash")))
            continue;
        fprintf(out, "==== page %s ====\n", id);
        json_object_foreach((json_t *)schema, name, conf)
        {
            char *t = value_text(json_object_get(json_object_get(p, "properties"), name));
            if (*t)
                fprintf(out, "%s: %s\n", name, t);
            free(t);
        }
        srr_buf_init(&b, 0);
        page_text_locked(f, id, &b);
        fprintf(out, "%s\n", b.data ? b.data : "");
        srr_buf_free(&b);
    }
    pthread_mutex_unlock(&f->mu);
}

int fake_notion_edit_property(fake_notion *f, const char *page_id, const char *prop,
                              const char *value_json, const char *user_id)
{
    json_t *in = json_loads(value_json, 0, NULL), *props = json_object(), *err = NULL, *page;
    int rc = -1;
    pthread_mutex_lock(&f->mu);
    page = json_object_get(f->pages, page_id);
    json_object_set(props, prop, in);
    if (page &&
        set_props(f, json_object_get(page, "properties"),
                  json_object_get(json_object_get(f->sources, f->ds_id), "properties"), props,
                  &err) == 0) {
        touch_page(f, page_id, user_id, f->edit_offset);
        rc = 0;
    }
    pthread_mutex_unlock(&f->mu);
    json_decref(err);
    json_decref(props);
    json_decref(in);
    return rc;
}

/* Index range (in the page's children list) of the section under the
 * heading `title`: [*from, *to). -1 when there is no such heading. */
static int section_range(fake_notion *f, const char *page_id, const char *title, size_t *from,
                         size_t *to)
{
    json_t *list = json_object_get(f->children, page_id);
    size_t i;
    int found = 0;
    for (i = 0; i < json_array_size(list); i++) {
        json_t *b = json_object_get(f->blocks, json_string_value(json_array_get(list, i)));
        const char *type = jstr(b, "type");
        char *t;
        if (json_is_true(json_object_get(b, "in_trash")) || strncmp(type, "heading_", 8) != 0)
            continue;
        if (found) {
            *to = i;
            return 0;
        }
        t = plain(json_object_get(json_object_get(b, type), "rich_text"));
        if (strcmp(t, title) == 0) {
            found = 1;
            *from = i + 1;
        }
        free(t);
    }
    *to = json_array_size(list);
    return found ? 0 : -1;
}

int fake_notion_edit_section(fake_notion *f, const char *page_id, const char *title,
                             const char *text, const char *user_id)
{
    size_t from, to, i;
    json_t *list, *blk, *err = NULL, *in;
    int rc = -1;
    pthread_mutex_lock(&f->mu);
    list = json_object_get(f->children, page_id);
    if (section_range(f, page_id, title, &from, &to) == 0) {
        for (i = from; i < to; i++)
            json_object_set_new(json_object_get(f->blocks,
                                                json_string_value(json_array_get(list, i))),
                                "in_trash", json_true());
        in = json_pack("[{s:{s:[{s:{s:s}}]}}]", "paragraph", "rich_text", "text", "content", text);
        blk = json_array();
        if (insert_blocks(f, in, page_id, 1, from, user_id, blk, &err) == 0) {
            touch_page(f, page_id, user_id, f->edit_offset);
            rc = 0;
        }
        json_decref(blk);
        json_decref(in);
    }
    json_decref(err);
    pthread_mutex_unlock(&f->mu);
    return rc;
}

int fake_notion_append_entry(fake_notion *f, const char *page_id, const char *title,
                             const char *text, const char *user_id)
{
    size_t from, to;
    json_t *blk, *err = NULL, *in;
    int rc = -1;
    pthread_mutex_lock(&f->mu);
    if (section_range(f, page_id, title, &from, &to) == 0) {
        in = json_pack("[{s:{s:[{s:{s:s}}]}}]", "bulleted_list_item", "rich_text", "text",
                       "content", text);
        blk = json_array();
        if (insert_blocks(f, in, page_id, 1, to, user_id, blk, &err) == 0) {
            touch_page(f, page_id, user_id, f->edit_offset);
            rc = 0;
        }
        json_decref(blk);
        json_decref(in);
    }
    json_decref(err);
    pthread_mutex_unlock(&f->mu);
    return rc;
}
