/* SPDX-License-Identifier: Apache-2.0
 *
 * notion_blocks.c - a record as a Notion page (notion.h): its properties
 * in the team's names and types, and its body, the SRR sections as
 * headings with their content, then "Why srr drafted it" and the evidence
 * summary. Everything stays inside Notion's limits (notion-api.md section
 * 5): text is split into rich-text items of at most 2,000 characters
 * (counted in UTF-16 code units, as Notion counts them), at most 100 items
 * per array; the caller appends at most 100 blocks per request.
 *
 * Each property and section also has a canonical text, the form in which
 * srr remembers what the page holds (the sink's state): an update sends
 * only what differs from it, and an edit made in Notion is what differs
 * from it when the page is read back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notion.h"

const notion_section NOTION_SECTIONS[NS__COUNT] = {
    [NS_OVERVIEW] = {"overview", "Overview", 0, NULL},
    [NS_RECOGNITION] = {"recognition_log", "Log from recognition to cause", 1, "recognition_log"},
    [NS_CAUSE] = {"cause", "Cause", 0, "cause"},
    [NS_POLICY] = {"policy", "Countermeasure policy", 0, "policy"},
    [NS_COUNTERMEASURE] = {"countermeasure_log", "Countermeasure log", 1, "countermeasure_log"},
    [NS_NEXT] = {"next_action", "Next action", 0, "next_action"},
    [NS_WHY] = {"why", "Why srr drafted it", 0, NULL},
    [NS_EVIDENCE] = {"evidence", "Evidence summary", 0, NULL},
};

/* ---- rich text ---------------------------------------------------------- */

/* Length of the UTF-8 sequence at p (1 for a stray byte) and the UTF-16
 * code units it counts for. */
static size_t u8_step(const unsigned char *p, size_t left, int *units)
{
    size_t n = 1;
    if (p[0] >= 0xF0)
        n = 4;
    else if (p[0] >= 0xE0)
        n = 3;
    else if (p[0] >= 0xC0)
        n = 2;
    if (n > left)
        n = left;
    *units = n == 4 ? 2 : 1;
    return n;
}

static json_t *rt_item(const char *s, size_t n, const char *link)
{
    json_t *text = json_object();
    json_t *content = json_stringn(s, n);
    json_object_set_new(text, "content", content ? content : json_string("?"));
    json_object_set_new(text, "link", link ? json_pack("{s:s}", "url", link) : json_null());
    return json_pack("{s:s, s:o}", "type", "text", "text", text);
}

json_t *notion_rich_text(const char *text, const char *link)
{
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    size_t len = strlen((const char *)p), at = 0;
    json_t *arr = json_array();
    if (link && strlen(link) > SRR_NOTION_URL_MAX)
        link = NULL;
    while (at < len) {
        size_t start = at;
        int units = 0, u;
        while (at < len) {
            size_t n = u8_step(p + at, len - at, &u);
            if (units + u > SRR_NOTION_TEXT_MAX)
                break;
            units += u;
            at += n;
        }
        if (json_array_size(arr) == SRR_NOTION_RT_ITEMS - 1 && at < len) {
            json_array_append_new(arr, rt_item("… (cut here: the whole text is in srr)", 40, NULL));
            break;
        }
        json_array_append_new(arr, rt_item((const char *)p + start, at - start, link));
    }
    return arr;
}

char *notion_plain_text(const json_t *rt)
{
    srr_buf b;
    size_t i;
    srr_buf_init(&b, 0);
    for (i = 0; i < json_array_size(rt); i++) {
        const json_t *it = json_array_get(rt, i);
        const char *s = json_string_value(json_object_get(it, "plain_text"));
        if (!s)
            s = json_string_value(json_object_get(json_object_get(it, "text"), "content"));
        if (s)
            srr_buf_append(&b, s, strlen(s));
    }
    return b.data ? srr_buf_steal(&b) : srr_strdup("");
}

/* ---- properties --------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* A value of a property of `type` holding `text` ("" empties it). */
static json_t *value_of(const char *type, const char *text)
{
    if (strcmp(type, "title") == 0 || strcmp(type, "rich_text") == 0)
        return json_pack("{s:o}", type, notion_rich_text(text, NULL));
    if (strcmp(type, "select") == 0 || strcmp(type, "status") == 0)
        return json_pack("{s:o}", type, *text ? json_pack("{s:s}", "name", text) : json_null());
    if (strcmp(type, "url") == 0)
        return json_pack("{s:o}", "url", *text ? json_string(text) : json_null());
    if (strcmp(type, "date") == 0)
        return json_pack("{s:o}", "date", *text ? json_pack("{s:s}", "start", text) : json_null());
    if (strcmp(type, "number") == 0)
        return json_pack("{s:o}", "number",
                         *text ? json_integer(strtoll(text, NULL, 10)) : json_null());
    return NULL;
}

/* The date part of an ISO-8601 time ("" for null). */
static void day_of(const json_t *rec, const char *key, char out[16])
{
    snprintf(out, 16, "%.10s", jstr(rec, key));
}

/* Adds `name` (a select option) to need[prop]. */
static void need_option(json_t *need, const char *prop, const char *name)
{
    json_t *a = json_object_get(need, prop);
    if (!*name)
        return;
    if (!a) {
        a = json_array();
        json_object_set_new(need, prop, a);
    }
    json_array_append_new(a, json_string(name));
}

void notion_render_props(const notion_ctx *c, const json_t *rec, json_t **props, json_t **canon,
                         json_t **need)
{
    int i;
    *props = json_object();
    *canon = json_object();
    *need = json_object();
    for (i = 0; i < NP__COUNT; i++) {
        const notion_prop *p = &c->prop[i];
        const char *type = p->type[0] ? p->type : p->types;
        char buf[64];
        const char *text = "";
        json_t *v = NULL;
        if (!p->name)
            continue;
        switch (i) {
        case NP_TITLE: text = jstr(rec, "title"); break;
        case NP_ID: text = jstr(rec, "id"); break;
        case NP_KIND: text = jstr(rec, "kind"); break;
        case NP_STATUS: text = jstr(rec, "status"); break;
        case NP_URGENCY: text = jstr(rec, "urgency"); break;
        case NP_SERVICE: text = jstr(rec, "service"); break;
        case NP_DATADOG_URL: text = jstr(rec, "datadog_url"); break;
        case NP_BACKLOG_URL: text = jstr(rec, "backlog_url"); break;
        case NP_POSTMORTEM_URL: text = jstr(rec, "postmortem_url"); break;
        case NP_NEXT_REVIEW:
            day_of(rec,
                   json_is_string(json_object_get(rec, "next_review_at")) ? "next_review_at"
                                                                          : "deadline",
                   buf);
            text = buf;
            break;
        case NP_FIRST_SEEN:
            day_of(rec, "first_seen", buf);
            text = buf;
            break;
        case NP_LAST_SEEN:
            day_of(rec, "last_seen", buf);
            text = buf;
            break;
        case NP_OCCURRENCES:
            snprintf(buf, sizeof(buf), "%lld",
                     (long long)json_integer_value(json_object_get(rec, "occurrences")));
            text = buf;
            break;
        case NP_ASSIGNEE: {
            const char *uid = notion_user_of(c, jstr(rec, "assignee"));
            v = json_pack("{s:o}", "people",
                          uid ? json_pack("[{s:s, s:s}]", "object", "user", "id", uid)
                              : json_array());
            json_object_set_new(*canon, p->name, json_string(uid ? uid : ""));
            break;
        }
        case NP_LABELS: {
            const json_t *labels = json_object_get(rec, "labels");
            json_t *ms = json_array();
            srr_buf b;
            size_t k;
            srr_buf_init(&b, 0);
            for (k = 0; k < json_array_size(labels) && k < 100; k++) {
                /* Notion refuses commas in option names. */
                char *l = srr_strdup(json_string_value(json_array_get(labels, k)));
                for (char *q = l; q && *q; q++)
                    if (*q == ',')
                        *q = ';';
                if (!l || !*l) {
                    free(l);
                    continue;
                }
                json_array_append_new(ms, json_pack("{s:s}", "name", l));
                need_option(*need, p->name, l);
                srr_buf_printf(&b, "%s%s", b.len ? "\n" : "", l);
                free(l);
            }
            v = json_pack("{s:o}", "multi_select", ms);
            json_object_set_new(*canon, p->name, json_string(b.data ? b.data : ""));
            srr_buf_free(&b);
            break;
        }
        }
        if (!v) {
            v = value_of(type, text);
            if (!v)
                continue;
            json_object_set_new(*canon, p->name, json_string(text));
            if (strcmp(type, "select") == 0)
                need_option(*need, p->name, text);
        }
        json_object_set_new(*props, p->name, v);
    }
}

char *notion_canon_value(const notion_ctx *c, const json_t *v)
{
    const char *type = jstr(v, "type");
    const json_t *x = json_object_get(v, type);
    srr_buf b;
    size_t i;
    (void)c;
    if (strcmp(type, "title") == 0 || strcmp(type, "rich_text") == 0)
        return notion_plain_text(x);
    if (strcmp(type, "select") == 0 || strcmp(type, "status") == 0)
        return srr_strdup(jstr(x, "name"));
    if (strcmp(type, "url") == 0 || strcmp(type, "email") == 0)
        return srr_strdup(json_is_string(x) ? json_string_value(x) : "");
    if (strcmp(type, "date") == 0)
        return srr_asprintf("%.10s", jstr(x, "start"));
    if (strcmp(type, "number") == 0) {
        if (json_is_integer(x))
            return srr_asprintf("%lld", (long long)json_integer_value(x));
        if (json_is_real(x))
            return srr_asprintf("%lld", (long long)json_real_value(x));
        return srr_strdup("");
    }
    srr_buf_init(&b, 0);
    for (i = 0; i < json_array_size(x); i++) {
        const json_t *it = json_array_get(x, i);
        const char *s = strcmp(type, "people") == 0 ? jstr(it, "id") : jstr(it, "name");
        srr_buf_printf(&b, "%s%s", b.len ? (strcmp(type, "people") == 0 ? "," : "\n") : "", s);
    }
    return b.data ? srr_buf_steal(&b) : srr_strdup("");
}

/* ---- body --------------------------------------------------------------- */

static json_t *block(const char *type, json_t *rich_text)
{
    json_t *inner = json_pack("{s:o}", "rich_text", rich_text);
    return json_pack("{s:s, s:s, s:o}", "object", "block", "type", type, type, inner);
}

/* "2026-11-24 09:00 alice: text" */
static char *entry_text(const json_t *e)
{
    const char *at = jstr(e, "at");
    return srr_asprintf("%.10s %.5s %s: %s", at, strlen(at) >= 16 ? at + 11 : "", jstr(e, "author"),
                        jstr(e, "text"));
}

static char *why_text(const json_t *rec)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    srr_buf_printf(&b, "%s", *jstr(rec, "reason") ? jstr(rec, "reason") : "(no reason recorded)");
    if (*jstr(rec, "rule"))
        srr_buf_printf(&b, "\nRule: %s", jstr(rec, "rule"));
    if (*jstr(rec, "impact") || *jstr(rec, "likelihood"))
        srr_buf_printf(&b, "\nImpact: %s; likelihood: %s",
                       *jstr(rec, "impact") ? jstr(rec, "impact") : "-",
                       *jstr(rec, "likelihood") ? jstr(rec, "likelihood") : "-");
    if (*jstr(rec, "merged_into"))
        srr_buf_printf(&b, "\nMerged into %s.", jstr(rec, "merged_into"));
    return srr_buf_steal(&b);
}

/* The evidence summary: the worst value of each week, then the Datadog
 * links (linked). Its canonical text goes to *text. */
static json_t *evidence_rt(const json_t *rec, char **text)
{
    const json_t *weeks = json_object_get(rec, "weeks"), *links = json_object_get(rec, "links");
    json_t *rt, *more;
    srr_buf b;
    size_t i;
    srr_buf_init(&b, 0);
    if (json_array_size(weeks) == 0)
        srr_buf_printf(&b, "No firing evidence in the last weeks.");
    for (i = 0; i < json_array_size(weeks); i++) {
        const json_t *w = json_array_get(weeks, i);
        const json_t *max = json_object_get(w, "max");
        if (json_is_number(max))
            srr_buf_printf(&b, "%sWeek of %.10s: worst value %.6g", b.len ? "\n" : "",
                           jstr(w, "week"), json_number_value(max));
        else
            srr_buf_printf(&b, "%sWeek of %.10s: firing", b.len ? "\n" : "", jstr(w, "week"));
    }
    rt = notion_rich_text(b.data, NULL);
    for (i = 0; i < json_array_size(links) && json_array_size(rt) < SRR_NOTION_RT_ITEMS - 2; i++) {
        const char *l = json_string_value(json_array_get(links, i));
        srr_buf_printf(&b, "\nDatadog: %s", l);
        json_array_append_new(rt, rt_item("\nDatadog: ", 10, NULL));
        more = notion_rich_text(l, l);
        json_array_extend(rt, more);
        json_decref(more);
    }
    *text = srr_buf_steal(&b);
    return rt;
}

json_t *notion_render_body(const json_t *rec)
{
    json_t *body = json_object();
    int s;
    for (s = 0; s < NS__COUNT; s++) {
        const notion_section *sec = &NOTION_SECTIONS[s];
        json_t *blocks = json_array(), *one = json_object();
        json_array_append_new(blocks, block("heading_2", notion_rich_text(sec->title, NULL)));
        if (sec->is_log) {
            const json_t *log = json_object_get(rec, sec->key);
            json_t *entries = json_array();
            size_t i;
            for (i = 0; i < json_array_size(log); i++) {
                char *t = entry_text(json_array_get(log, i));
                json_array_append_new(blocks,
                                      block("bulleted_list_item", notion_rich_text(t, NULL)));
                json_array_append_new(entries, json_string(t));
                free(t);
            }
            json_object_set_new(one, "entries", entries);
        } else {
            char *t;
            json_t *rt;
            if (s == NS_WHY) {
                t = why_text(rec);
                rt = notion_rich_text(t, NULL);
            } else if (s == NS_EVIDENCE) {
                rt = evidence_rt(rec, &t);
            } else {
                t = srr_strdup(jstr(rec, sec->key));
                rt = notion_rich_text(t, NULL);
            }
            json_array_append_new(blocks, block("paragraph", rt));
            json_object_set_new(one, "text", json_string(t));
            free(t);
        }
        json_object_set_new(one, "blocks", blocks);
        json_object_set_new(body, sec->key, one);
    }
    return body;
}

json_t *notion_body_blocks(const json_t *body)
{
    json_t *all = json_array();
    int s;
    for (s = 0; s < NS__COUNT; s++)
        json_array_extend(all,
                          json_object_get(json_object_get(body, NOTION_SECTIONS[s].key), "blocks"));
    return all;
}

/* ---- reading a page back ------------------------------------------------- */

char *notion_trimmed(const char *s)
{
    size_t n;
    if (!s)
        return srr_strdup("");
    n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    return srr_strndup(s, n);
}

char *notion_section_text(const json_t *r)
{
    const json_t *texts = json_object_get(r, "texts");
    srr_buf b;
    size_t i;
    char *t;
    srr_buf_init(&b, 0);
    for (i = 0; i < json_array_size(texts); i++)
        srr_buf_printf(&b, "%s%s", i ? "\n" : "", json_string_value(json_array_get(texts, i)));
    t = notion_trimmed(b.data ? b.data : "");
    srr_buf_free(&b);
    return t;
}

static int heading_section(const json_t *blk)
{
    const char *type = jstr(blk, "type");
    char *t;
    int s, found = -1;
    if (strncmp(type, "heading_", 8) != 0)
        return -2; /* not a heading */
    t = notion_plain_text(json_object_get(json_object_get(blk, type), "rich_text"));
    for (s = 0; s < NS__COUNT; s++)
        if (strcmp(t, NOTION_SECTIONS[s].title) == 0)
            found = s;
    free(t);
    return found; /* -1: someone else's heading */
}

srr_rc notion_read_sections(notion_ctx *c, const char *page_id, json_t **out, int64_t *retry_after,
                            srr_error *err)
{
    json_t *secs = json_object(), *cur = NULL;
    char *cursor = NULL;
    srr_rc rc = SRR_OK;
    *out = NULL;
    do {
        json_t *page = NULL, *results;
        char *path =
            cursor ? srr_asprintf("blocks/%s/children?page_size=%d&start_cursor=%s", page_id,
                                  SRR_NOTION_PAGE_SIZE, cursor)
                   : srr_asprintf("blocks/%s/children?page_size=%d", page_id, SRR_NOTION_PAGE_SIZE);
        size_t i;
        rc = notion_http_call(c->http, "GET", path, NULL, 1, &page, retry_after, err);
        free(path);
        free(cursor);
        cursor = NULL;
        if (rc != SRR_OK)
            break;
        results = json_object_get(page, "results");
        for (i = 0; i < json_array_size(results); i++) {
            const json_t *blk = json_array_get(results, i);
            const char *type = jstr(blk, "type");
            int s = heading_section(blk);
            if (s >= 0) {
                cur = json_pack("{s:s, s:[], s:[], s:[]}", "head", jstr(blk, "id"), "ids", "texts",
                                "types");
                json_object_set_new(secs, NOTION_SECTIONS[s].key, cur);
            } else if (s == -1) {
                cur = NULL;
            } else if (cur) {
                char *t =
                    notion_plain_text(json_object_get(json_object_get(blk, type), "rich_text"));
                json_array_append_new(json_object_get(cur, "ids"), json_string(jstr(blk, "id")));
                json_array_append_new(json_object_get(cur, "texts"), json_string(t));
                json_array_append_new(json_object_get(cur, "types"), json_string(type));
                free(t);
            }
        }
        if (json_is_true(json_object_get(page, "has_more")) &&
            json_is_string(json_object_get(page, "next_cursor")))
            cursor = srr_strdup(jstr(page, "next_cursor"));
        json_decref(page);
    } while (cursor);
    if (rc != SRR_OK) {
        json_decref(secs);
        return rc;
    }
    *out = secs;
    return SRR_OK;
}
