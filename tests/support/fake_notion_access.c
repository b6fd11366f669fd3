/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_notion_access.c - the test side of the fake Notion
 * (fake_notion.h): people and properties added as a team would, reads of
 * what srr wrote (pages, properties as text, a page's blocks as lines,
 * comments, the schema, the dump), and people's edits stamped with a
 * person and the clock.
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

/* ---- accessors ------------------------------------------------------------ */

const char *fake_notion_add_person(fake_notion *f, const char *name, const char *email,
                                   const char *token)
{
    char id[40];
    const char *out;
    pthread_mutex_lock(&f->mu);
    fn_new_id(f, id);
    fn_add_user(f, id, "person", name, email);
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
    if (fn_update_schema(f, json_object_get(f->sources, f->ds_id), props, &err) != 0) {
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
        return fn_plain(x);
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
        char *t = fn_plain(json_object_get(json_object_get(b, type), "rich_text"));
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
            char *t = fn_plain(json_object_get(c, "rich_text"));
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
        const json_t *schema = json_object_get(json_object_get(f->sources, f->ds_id), "properties");
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
    if (page && fn_set_props(f, json_object_get(page, "properties"),
                             json_object_get(json_object_get(f->sources, f->ds_id), "properties"),
                             props, &err) == 0) {
        fn_touch_page(f, page_id, user_id, f->edit_offset);
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
        t = fn_plain(json_object_get(json_object_get(b, type), "rich_text"));
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
            json_object_set_new(
                json_object_get(f->blocks, json_string_value(json_array_get(list, i))), "in_trash",
                json_true());
        in = json_pack("[{s:{s:[{s:{s:s}}]}}]", "paragraph", "rich_text", "text", "content", text);
        blk = json_array();
        if (fn_insert_blocks(f, in, page_id, 1, from, user_id, blk, &err) == 0) {
            fn_touch_page(f, page_id, user_id, f->edit_offset);
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
        if (fn_insert_blocks(f, in, page_id, 1, to, user_id, blk, &err) == 0) {
            fn_touch_page(f, page_id, user_id, f->edit_offset);
            rc = 0;
        }
        json_decref(blk);
        json_decref(in);
    }
    json_decref(err);
    pthread_mutex_unlock(&f->mu);
    return rc;
}
