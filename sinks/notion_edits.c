/* SPDX-License-Identifier: Apache-2.0
 *
 * notion_edits.c - the edits people make in Notion, read back (notion.h,
 * notion_poll). Every poll_interval the data source is queried for pages
 * edited since the high-water mark (a last_edited_time filter, sorted
 * ascending, paged; the mark re-reads a minute of overlap because Notion
 * may round that time). For each page srr made, what differs from the
 * sink's memory of the page is a person's edit: Status, Assignee, Urgency,
 * Backlog URL and Postmortem URL from the properties (no extra request),
 * and, when someone other than the integration edited the page last, the
 * Cause, Countermeasure policy and Next action sections and new entries of
 * the two logs from its blocks. Each edit goes to srr_sink_apply_edit (the
 * workflow, with the Notion user as actor, mapped through notion.people);
 * one that is refused or loses against a later change in srr gets a
 * comment on the page saying why, and the memory is set to what the page
 * holds, so the next delivery puts srr's value back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "notion.h"

#define NE_OVERLAP_S 60 /* re-read this much before the mark */

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

srr_rc notion_comment(notion_ctx *c, const char *page_id, const char *text, srr_error *err)
{
    json_t *body = json_pack("{s:{s:s}, s:o}", "parent", "page_id", page_id, "rich_text",
                             notion_rich_text(text, NULL));
    json_t *answer = NULL;
    int64_t ra;
    srr_rc rc = notion_http_call(c->http, "POST", "comments", body, 0, &answer, &ra, err);
    json_decref(body);
    json_decref(answer);
    return rc;
}

/* What one page's processing carries. */
typedef struct page_ctx {
    notion_ctx *c;
    srr_sink_host *host;
    srr_sink_ref *ref;
    const char *page_id;
    json_t *state; /* the memory being updated (owned) */
    char actor[160];
    int64_t at;
    srr_buf comments; /* why edits were not taken, for one comment */
} page_ctx;

/* Applies one edit; notes a refusal for the page's comment. */
static srr_rc edit(page_ctx *pc, const char *field, const char *label, const char *value,
                   const char *link, srr_edit_outcome *outcome, srr_error *err)
{
    srr_sink_edit e;
    char why[512];
    srr_rc rc;
    memset(&e, 0, sizeof(e));
    e.field = field;
    e.value = value;
    e.actor = pc->actor;
    e.at = pc->at;
    e.where = "Notion";
    e.review_in_s = pc->c->o->review_in_s;
    e.link = link;
    rc = srr_sink_apply_edit(pc->host, pc->ref, &e, outcome, why, sizeof(why), err);
    if (rc != SRR_OK)
        return rc;
    if (*outcome == SRR_EDIT_APPLIED)
        srr_info("notion: %s: %s set in Notion by %s", pc->ref->item.hid, label, pc->actor);
    if (*outcome == SRR_EDIT_REFUSED || *outcome == SRR_EDIT_LOST) {
        srr_info("notion: %s: %s from Notion not taken: %s", pc->ref->item.hid, label, why);
        srr_buf_printf(&pc->comments, "%s%s: %s.", pc->comments.len ? "\n" : "", label, why);
    }
    return SRR_OK;
}

/* The properties that come back, in the order they are applied: the
 * status first (a backlog item accepted there takes the page's Backlog URL
 * as its ticket, which then is no edit of its own). */
static const struct {
    int prop;
    const char *field;
} BACK[] = {{NP_STATUS, "status"},
            {NP_BACKLOG_URL, "backlog_url"},
            {NP_POSTMORTEM_URL, "postmortem_url"},
            {NP_ASSIGNEE, "assignee"},
            {NP_URGENCY, "urgency"}};

static srr_rc read_props(page_ctx *pc, const json_t *page, srr_error *err)
{
    notion_ctx *c = pc->c;
    const json_t *props = json_object_get(page, "properties");
    json_t *have = json_object_get(pc->state, "props");
    const notion_prop *bl = &c->prop[NP_BACKLOG_URL];
    char *link = bl->name && json_object_get(props, bl->name)
                     ? notion_canon_value(c, json_object_get(props, bl->name))
                     : NULL;
    srr_rc rc = SRR_OK;
    size_t i;
    if (!have) {
        have = json_object();
        json_object_set_new(pc->state, "props", have);
    }
    for (i = 0; rc == SRR_OK && i < sizeof(BACK) / sizeof(BACK[0]); i++) {
        const notion_prop *p = &c->prop[BACK[i].prop];
        const json_t *v = p->name ? json_object_get(props, p->name) : NULL;
        srr_edit_outcome out;
        char *canon;
        if (!v)
            continue;
        canon = notion_canon_value(c, v);
        if (!json_object_get(have, p->name)) {
            /* srr does not know what it wrote there (a page found again
             * after a crash, `srr sync resend`): what the page holds is
             * the baseline, not someone's edit. */
            json_object_set_new(have, p->name, json_string(canon));
        } else if (strcmp(canon, jstr(have, p->name)) != 0) {
            if (BACK[i].prop == NP_ASSIGNEE) {
                char first[64];
                const char *member;
                snprintf(first, sizeof(first), "%.*s", (int)strcspn(canon, ","), canon);
                member = notion_member_of(c, first);
                if (!*first || member) {
                    rc = edit(pc, "assignee", p->name, member, NULL, &out, err);
                } else {
                    srr_buf_printf(&pc->comments,
                                   "%s%s: the Notion user %s is not in srr's notion.people, so "
                                   "srr cannot assign the record to them.",
                                   pc->comments.len ? "\n" : "", p->name, first);
                }
            } else {
                rc = edit(pc, BACK[i].field, p->name, canon, BACK[i].prop == NP_STATUS ? link : NULL,
                          &out, err);
            }
            /* The memory follows the page: a refused value differs from
             * srr's and is written back by the next delivery. */
            if (rc == SRR_OK)
                json_object_set_new(have, p->name, json_string(canon));
        }
        free(canon);
    }
    free(link);
    return rc;
}

/* "2026-11-24 09:00 alice: text", as notion_render_body writes an entry
 * the workflow stored at `at` by `who`. */
static char *entry_as_rendered(int64_t at, const char *who, const char *text)
{
    char iso[32];
    srr_time_iso(at, iso);
    return srr_asprintf("%.10s %.5s %s: %s", iso, iso + 11, who, text);
}

static int contains(const json_t *arr, const char *s)
{
    size_t i;
    for (i = 0; i < json_array_size(arr); i++)
        if (strcmp(json_string_value(json_array_get(arr, i)), s) == 0)
            return 1;
    return 0;
}

/* A log section read back: blocks srr does not know are new entries. When
 * srr never learned the ids (an adopted page), its first entries are
 * srr's. */
static srr_rc read_log(page_ctx *pc, int s, const json_t *r, json_t *mine, srr_error *err)
{
    const notion_section *sec = &NOTION_SECTIONS[s];
    const json_t *ids = json_object_get(r, "ids"), *texts = json_object_get(r, "texts");
    json_t *known = json_object_get(mine, "ids"), *entries = json_object_get(mine, "entries");
    size_t i, assumed = known ? 0 : json_array_size(entries);
    srr_rc rc = SRR_OK;
    if (!known && !entries) { /* no memory of this section: the baseline */
        json_object_set(mine, "entries", (json_t *)texts);
        return SRR_OK;
    }
    if (!entries) {
        entries = json_array();
        json_object_set_new(mine, "entries", entries);
    }
    for (i = 0; rc == SRR_OK && i < json_array_size(ids); i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        char *text = notion_trimmed(json_string_value(json_array_get(texts, i)));
        srr_edit_outcome out = SRR_EDIT_SAME;
        if ((known && contains(known, id)) || i < assumed || !*text || contains(entries, text)) {
            free(text);
            continue;
        }
        rc = edit(pc, sec->field, sec->title, text, NULL, &out, err);
        if (rc == SRR_OK && out == SRR_EDIT_APPLIED) {
            char *r2 = entry_as_rendered(srr_sink_now(pc->host), pc->actor, text);
            json_array_append_new(entries, json_string(r2));
            free(r2);
        }
        free(text);
    }
    return rc;
}

/* Reads the page's blocks and takes the sections people may edit. */
static srr_rc read_body(page_ctx *pc, srr_error *err)
{
    json_t *read = NULL, *secs = json_object_get(pc->state, "sec");
    int64_t ra;
    srr_rc rc = notion_read_sections(pc->c, pc->page_id, &read, &ra, err);
    int s;
    if (rc != SRR_OK)
        return rc;
    if (!secs) {
        secs = json_object();
        json_object_set_new(pc->state, "sec", secs);
    }
    for (s = 0; rc == SRR_OK && s < NS__COUNT; s++) {
        const notion_section *sec = &NOTION_SECTIONS[s];
        const json_t *r = json_object_get(read, sec->key);
        json_t *mine = json_object_get(secs, sec->key);
        if (!mine) {
            mine = json_object();
            json_object_set_new(secs, sec->key, mine);
        }
        if (!r)
            continue;
        if (sec->is_log) {
            rc = read_log(pc, s, r, mine, err);
        } else if (sec->field) {
            char *remote = notion_section_text(r), *was = notion_trimmed(jstr(mine, "text"));
            srr_edit_outcome out;
            if (json_object_get(mine, "text") && strcmp(remote, was) != 0)
                rc = edit(pc, sec->field, sec->title, remote, NULL, &out, err);
            json_object_set_new(mine, "text", json_string(remote));
            free(remote);
            free(was);
        }
        /* The layout as it is now (a person may have added blocks). */
        json_object_set(mine, "head", json_object_get(r, "head"));
        json_object_set(mine, "ids", json_object_get(r, "ids"));
        json_object_set(mine, "types", json_object_get(r, "types"));
    }
    if (rc == SRR_OK) {
        json_object_set_new(pc->state, "known", json_true());
        json_object_del(pc->state, "partial");
        json_object_del(pc->state, "dirty");
    }
    json_decref(read);
    return rc;
}

/* One edited page srr made. */
static srr_rc take_page(notion_ctx *c, srr_sink_host *host, const json_t *page, srr_error *err)
{
    page_ctx pc;
    srr_sink_ref ref;
    const char *editor = jstr(json_object_get(page, "last_edited_by"), "id");
    const char *edited = jstr(page, "last_edited_time");
    const char *member;
    srr_rc rc = srr_sink_lookup(host, jstr(page, "id"), &ref, err);
    if (rc == SRR_ENOTFOUND)
        return SRR_OK; /* a row someone added by hand */
    if (rc != SRR_OK)
        return rc;
    memset(&pc, 0, sizeof(pc));
    pc.c = c;
    pc.host = host;
    pc.ref = &ref;
    pc.page_id = jstr(page, "id");
    pc.state = ref.item.state ? json_deep_copy(ref.item.state) : json_object();
    member = notion_member_of(c, editor);
    if (member)
        snprintf(pc.actor, sizeof(pc.actor), "%s", member);
    else
        snprintf(pc.actor, sizeof(pc.actor), "notion:%s", *editor ? editor : "unknown");
    if (srr_time_parse_iso(edited, &pc.at) != SRR_OK)
        pc.at = srr_sink_now(host);
    srr_buf_init(&pc.comments, 16 * 1024);
    if (!notion_kind_enabled(c, ref.item.kind))
        goto out;
    rc = read_props(&pc, page, err);
    /* The body is read when someone else edited the page last, or when a
     * delivery found a section changed under it (then srr may have been
     * the last to edit the page, through another part of it). */
    if (rc == SRR_OK && ((strcmp(editor, c->bot_id ? c->bot_id : "") != 0 &&
                          strcmp(edited, jstr(pc.state, "seen")) != 0) ||
                         json_is_true(json_object_get(pc.state, "dirty"))))
        rc = read_body(&pc, err);
    if (rc == SRR_OK && pc.comments.len) {
        char *text = srr_asprintf("srr did not take this edit by %s:\n%s\nThe page shows what "
                                  "srr holds again.",
                                  pc.actor, pc.comments.data);
        srr_error cerr = {0};
        if (notion_comment(c, pc.page_id, text, &cerr) != SRR_OK)
            srr_warn("notion: %s: cannot comment on the page: %s", ref.item.hid, cerr.msg);
        free(text);
    }
    if (rc == SRR_OK) {
        json_object_set_new(pc.state, "seen", json_string(edited));
        rc = srr_sink_ref_save(host, &ref, pc.state, err);
    }
out:
    json_decref(pc.state);
    srr_buf_free(&pc.comments);
    srr_sink_ref_release(&ref);
    return rc;
}

/* The query of the poll, whose filter_properties name the properties that
 * come back (so 2026-12-01's "title only by default" changes nothing). */
static char *poll_path(const notion_ctx *c)
{
    srr_buf b;
    size_t i;
    srr_buf_init(&b, 0);
    srr_buf_printf(&b, "data_sources/%s/query?filter_properties=%s", c->ds_id,
                   c->prop[NP_ID].id ? c->prop[NP_ID].id : "title");
    for (i = 0; i < sizeof(BACK) / sizeof(BACK[0]); i++)
        if (c->prop[BACK[i].prop].id)
            srr_buf_printf(&b, "&filter_properties=%s", c->prop[BACK[i].prop].id);
    return srr_buf_steal(&b);
}

srr_rc notion_poll(void *ctx, srr_sink_host *host, srr_error *err)
{
    notion_ctx *c = ctx;
    int64_t now = srr_sink_now(host), since = 0, newest = 0;
    char *mark = NULL, *cursor = NULL, iso[32];
    srr_rc rc;
    if (now < c->next_poll)
        return SRR_OK;
    rc = notion_ready(c, err);
    if (rc == SRR_OK)
        rc = srr_sink_meta_get(host, "edited_since", &mark, err);
    if (rc != SRR_OK)
        return rc;
    if (!mark || srr_time_parse_iso(mark, &since) != SRR_OK) {
        /* The first poll: edits from now on. */
        free(mark);
        srr_time_iso(now, iso);
        c->next_poll = now + c->o->poll_interval_s;
        return srr_sink_meta_set(host, "edited_since", iso, err);
    }
    free(mark);
    newest = since;
    srr_time_iso(since - NE_OVERLAP_S, iso);
    do {
        json_t *body = json_pack("{s:{s:s, s:{s:s}}, s:[{s:s, s:s}], s:i}", "filter", "timestamp",
                                 "last_edited_time", "last_edited_time", "on_or_after", iso,
                                 "sorts", "timestamp", "last_edited_time", "direction", "ascending",
                                 "page_size", SRR_NOTION_PAGE_SIZE);
        json_t *answer = NULL, *results;
        char *path = poll_path(c);
        int64_t ra;
        size_t i;
        if (cursor)
            json_object_set_new(body, "start_cursor", json_string(cursor));
        free(cursor);
        cursor = NULL;
        rc = notion_http_call(c->http, "POST", path, body, 1, &answer, &ra, err);
        free(path);
        json_decref(body);
        if (rc != SRR_OK)
            break;
        results = json_object_get(answer, "results");
        for (i = 0; rc == SRR_OK && i < json_array_size(results); i++) {
            const json_t *page = json_array_get(results, i);
            int64_t t;
            if (strcmp(jstr(page, "object"), "page") != 0)
                continue;
            rc = take_page(c, host, page, err);
            if (rc == SRR_OK && srr_time_parse_iso(jstr(page, "last_edited_time"), &t) == SRR_OK &&
                t > newest)
                newest = t;
        }
        if (rc == SRR_OK && json_is_true(json_object_get(answer, "has_more")))
            cursor = srr_strdup(jstr(answer, "next_cursor"));
        json_decref(answer);
    } while (rc == SRR_OK && cursor);
    free(cursor);
    if (rc != SRR_OK)
        return rc;
    c->next_poll = now + c->o->poll_interval_s;
    srr_time_iso(newest, iso);
    return srr_sink_meta_set(host, "edited_since", iso, err);
}
