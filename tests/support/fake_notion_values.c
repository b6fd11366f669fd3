/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_notion_values.c - what the fake Notion checks in what is written
 * (fake_notion_internal.h): rich text (at most 2,000 characters per item,
 * counted in UTF-16 units as Notion counts them, at most 100 items), blocks
 * (at most 100 per request, a known type), and property values against the
 * data source's schema (the type, existing select options without commas,
 * known people, URLs of at most 2,000 characters), each refusal a 400
 * validation_error naming what is wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_notion_internal.h"
#include "srr.h"

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

#define FN_TEXT_MAX 2000
#define FN_ITEMS_MAX 100
#define FN_BLOCKS_MAX 100
#define FN_URL_MAX 2000

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
int fn_rich_text(const json_t *in, const char *where, json_t **out, json_t **err)
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
                            "bold", 0, "italic", 0, "strikethrough", 0, "underline", 0, "code", 0,
                            "color", "default", "plain_text", content, "href",
                            url ? json_string(url) : json_null()));
    }
    return 0;
}

char *fn_plain(const json_t *rt)
{
    srr_buf b;
    size_t i;
    srr_buf_init(&b, 0);
    for (i = 0; i < json_array_size(rt); i++)
        srr_buf_printf(&b, "%s", jstr(json_array_get(rt, i), "plain_text"));
    return b.data ? srr_buf_steal(&b) : srr_strdup("");
}

static const char *const TEXT_BLOCKS[] = {"paragraph",
                                          "heading_1",
                                          "heading_2",
                                          "heading_3",
                                          "bulleted_list_item",
                                          "numbered_list_item",
                                          "to_do",
                                          "toggle",
                                          "quote",
                                          "callout",
                                          NULL};

int fn_text_block(const char *type)
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
            if (fn_text_block(k) || strcmp(k, "divider") == 0 || strcmp(k, "bookmark") == 0)
                type = k;
        }
    }
    inner = json_object_get(in, type);
    if (!*type || !json_is_object(inner)) {
        *err = fn_error(400, "validation_error",
                        "body failed validation: %s should define a block type.", where);
        return NULL;
    }
    if (fn_text_block(type)) {
        char w[256];
        snprintf(w, sizeof(w), "%s.%s.rich_text", where, type);
        if (fn_rich_text(json_object_get(inner, "rich_text"), w, &rt, err) != 0)
            return NULL;
    } else if (strcmp(type, "divider") != 0 && strcmp(type, "bookmark") != 0) {
        *err = fn_error(400, "validation_error",
                        "body failed validation: %s: unsupported block "
                        "type %s (fake).",
                        where, type);
        return NULL;
    }
    fn_new_id(f, id);
    fn_now_iso(0, now);
    b = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:b, s:b}", "object",
                  "block", "id", id, "type", type, "created_time", now, "last_edited_time", now,
                  "created_by", "object", "user", "id", user, "last_edited_by", "object", "user",
                  "id", user, "has_children", 0, "in_trash", 0);
    json_object_set_new(b, "parent",
                        parent_is_page
                            ? json_pack("{s:s, s:s}", "type", "page_id", "page_id", parent)
                            : json_pack("{s:s, s:s}", "type", "block_id", "block_id", parent));
    if (rt)
        json_object_set_new(b, type, json_pack("{s:o, s:s}", "rich_text", rt, "color", "default"));
    else
        json_object_set(b, type, (json_t *)inner);
    return b;
}

json_t *fn_kids(fake_notion *f, const char *parent)
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
int fn_insert_blocks(fake_notion *f, const json_t *in, const char *parent, int parent_is_page,
                     size_t pos, const char *user, json_t *added, json_t **err)
{
    json_t *made, *list;
    size_t i;
    if (!in)
        return 0; /* no children */
    made = json_array();
    list = fn_kids(f, parent);
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

const json_t *fn_option_named(const json_t *conf, const char *type, const char *name,
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
        if (fn_rich_text(v, where, &stored, err) != 0)
            return -1;
    } else if (strcmp(type, "select") == 0 || strcmp(type, "status") == 0) {
        if (json_is_null(v)) {
            stored = json_null();
        } else {
            const char *n = json_string_value(json_object_get(v, "name"));
            const char *id = json_string_value(json_object_get(v, "id"));
            const json_t *o = fn_option_named(conf, type, n, id);
            if (n && strchr(n, ',')) {
                *err = fn_error(400, "validation_error",
                                "Invalid select option, commas not allowed: %s", n);
                return -1;
            }
            if (!o) {
                *err =
                    fn_error(400, "validation_error", "Invalid %s option \"%s\" for property %s.",
                             type, n ? n : (id ? id : "?"), name);
                return -1;
            }
            stored = json_pack("{s:s, s:s, s:s}", "id", jstr(o, "id"), "name", jstr(o, "name"),
                               "color", "default");
        }
    } else if (strcmp(type, "multi_select") == 0) {
        size_t i;
        if (!json_is_array(v) || json_array_size(v) > 100) {
            *err =
                fn_error(400, "validation_error", "%s should be an array of at most 100.", where);
            return -1;
        }
        stored = json_array();
        for (i = 0; i < json_array_size(v); i++) {
            const char *n = jstr(json_array_get(v, i), "name");
            const json_t *o = fn_option_named(conf, type, n, NULL);
            if (strchr(n, ',') || !o) {
                *err = fn_error(400, "validation_error",
                                strchr(n, ',') ? "Invalid multi_select option, commas not "
                                                 "allowed: %s"
                                               : "Invalid multi_select option \"%s\".",
                                n);
                json_decref(stored);
                return -1;
            }
            json_array_append_new(stored, json_pack("{s:s, s:s, s:s}", "id", jstr(o, "id"), "name",
                                                    n, "color", "default"));
        }
    } else if (strcmp(type, "people") == 0) {
        size_t i;
        if (!json_is_array(v) || json_array_size(v) > 100) {
            *err =
                fn_error(400, "validation_error", "%s should be an array of at most 100.", where);
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
        stored = json_is_null(v)
                     ? json_null()
                     : json_pack("{s:s, s:n, s:n}", "start", jstr(v, "start"), "end", "time_zone");
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

json_t *fn_empty_value(const json_t *conf)
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
int fn_set_props(fake_notion *f, json_t *page_props, const json_t *schema, const json_t *in,
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
