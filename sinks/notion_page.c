/* SPDX-License-Identifier: Apache-2.0
 *
 * notion_page.c - writing a record's page (notion.h): creating it once
 * (properties and the first 100 blocks in one request, the rest appended
 * 100 at a time), finding it by srr's ID property when an earlier create
 * may have gone through, and updating only what differs from the sink's
 * memory of the page: the changed properties in one request, a changed
 * section's block in place (after checking nobody changed it meanwhile),
 * new log entries appended after the section's last block. The memory
 * (the sink's state) holds each property's canonical text, each section's
 * text or entries, the block ids once they were read, and the page's url
 * as Notion answered the create (the review links each record to it).
 */
#include <stdlib.h>
#include <string.h>

#include "notion.h"

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The page whose ID property is `hid`, or NULL (*rc SRR_OK) when none. */
char *notion_page_find(notion_ctx *c, const char *hid, int64_t *retry_after, srr_rc *rc,
                       srr_error *err)
{
    json_t *body, *answer = NULL;
    char *path, *id = NULL;
    const notion_prop *p = &c->prop[NP_ID];
    body = json_pack("{s:{s:s, s:{s:s}}, s:i}", "filter", "property", p->name,
                     p->type[0] ? p->type : "rich_text", "equals", hid, "page_size", 10);
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
            json_object_set_new(
                body, "position",
                json_pack("{s:s, s:{s:s}}", "type", "after_block", "after_block", "id", last));
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
            json_object_set_new(secs, sec->key,
                                json_pack("{s:O}", "text", json_object_get(b, "text")));
    }
    return json_pack("{s:O, s:o}", "props", canon, "sec", secs);
}

srr_rc notion_page_create(notion_ctx *c, srr_sink_host *host, const srr_sink_item *it,
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
        /* The page's address, for links to it (srr review reads it). */
        if (*jstr(answer, "url"))
            json_object_set_new(res->state, "url", json_string(jstr(answer, "url")));
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
                strcmp(t, json_string_value(json_array_get(have, j))
                              ? json_string_value(json_array_get(have, j))
                              : "") != 0)
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
                              int *left, int64_t *ra, srr_error *err)
{
    int diff[NS__COUNT], s, texts = 0, any = 0, retried = 0;
    /* Left once already and the poll did not settle it (it never saw the
     * page's edit): srr's value goes in rather than waiting forever. */
    int settled = !json_is_true(json_object_get(state, "dirty"));
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
            if (foreign && settled) { /* edited in Notion meanwhile: the poll decides */
                json_object_set_new(state, "dirty", json_true());
                c->next_poll = 0;
                *left = 1;
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
srr_rc notion_page_update(notion_ctx *c, const char *page, json_t *state, const json_t *props,
                          const json_t *canon, const json_t *body, int *left, int64_t *ra,
                          srr_error *err)
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
            json_object_foreach(changed, name, v)
                json_object_set(have, name, json_object_get(canon, name));
    }
    json_decref(changed);
    if (rc == SRR_OK)
        rc = update_sections(c, page, state, body, left, ra, err);
    return rc;
}
