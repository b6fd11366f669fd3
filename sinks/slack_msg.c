/* SPDX-License-Identifier: Apache-2.0
 *
 * slack_msg.c - Block Kit messages of slack_msg.h. Text is assembled in a
 * bounded buffer: every record field is escaped and cut to its own budget
 * first (a title to 200 characters, the "why" to 1,500), so one long field
 * cannot crowd out the others, and the whole section is cut to Slack's
 * 3,000 as a last guard. Lengths are counted in characters (UTF-8 code
 * points), as Slack counts them.
 */
#include "slack_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TITLE_CHARS 200
#define WHY_CHARS 1500
#define FIELD_CHARS 120
#define URL_MAX_BYTES 1000 /* longer links are left out rather than cut */
#define ELLIPSIS "\xE2\x80\xA6"

char *srr_slack_escape(const char *s)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    srr_buf_reserve(&b, strlen(s ? s : "") + 1);
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '&')
            srr_buf_append(&b, "&amp;", 5);
        else if (*p == '<')
            srr_buf_append(&b, "&lt;", 4);
        else if (*p == '>')
            srr_buf_append(&b, "&gt;", 4);
        else
            srr_buf_append(&b, p, 1);
    }
    if (!b.data)
        return srr_strdup("");
    return srr_buf_steal(&b);
}

/* Appends raw text escaped, cut to `chars` characters before escaping (so
 * an entity is never split) with an ellipsis when cut. */
static void put_text(srr_buf *b, const char *raw, size_t chars)
{
    size_t cut;
    char *part, *esc;
    if (!raw)
        return;
    cut = srr_u8_prefix(raw, chars);
    part = srr_strndup(raw, cut);
    esc = srr_slack_escape(part);
    srr_buf_append(b, esc, strlen(esc));
    if (raw[cut])
        srr_buf_append(b, ELLIPSIS, strlen(ELLIPSIS));
    free(esc);
    free(part);
}

/* Appends <url|label> (label escaped), or just the label when the URL is
 * missing or too long to be useful. */
static void put_link(srr_buf *b, const char *url, const char *label, size_t label_chars)
{
    if (!url || !*url || strlen(url) > URL_MAX_BYTES) {
        put_text(b, label, label_chars);
        return;
    }
    srr_buf_append(b, "<", 1);
    for (const char *p = url; *p; p++) {
        if (*p == '|')
            srr_buf_append(b, "%7C", 3);
        else if (*p == '&')
            srr_buf_append(b, "&amp;", 5);
        else if (*p == '<')
            srr_buf_append(b, "&lt;", 4);
        else if (*p == '>')
            srr_buf_append(b, "&gt;", 4);
        else
            srr_buf_append(b, p, 1);
    }
    srr_buf_append(b, "|", 1);
    put_text(b, label, label_chars);
    srr_buf_append(b, ">", 1);
}

/* A mrkdwn section block with the buffer's text, cut to the section limit. */
static json_t *section(srr_buf *b)
{
    const char *t = b->data ? b->data : " ";
    json_t *blk;
    if (srr_u8_chars(t) > SRR_SLACK_MAX_SECTION_TEXT) {
        size_t keep = srr_u8_prefix(t, SRR_SLACK_MAX_SECTION_TEXT - 1);
        b->len = keep;
        b->data[keep] = '\0';
        srr_buf_append(b, ELLIPSIS, strlen(ELLIPSIS));
        t = b->data;
    }
    blk = json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text", "type", "mrkdwn", "text", t);
    srr_buf_free(b);
    return blk;
}

static json_t *context(srr_buf *b)
{
    json_t *blk = json_pack("{s:s, s:[{s:s, s:s}]}", "type", "context", "elements", "type",
                            "mrkdwn", "text", b->data ? b->data : " ");
    srr_buf_free(b);
    return blk;
}

/* "*<url|SRR-42>* Title\nUrgency: *high* · Service: x · Owner: y · <dd|Datadog>" */
static void put_item_head(srr_buf *b, const srr_slack_item *it)
{
    int sep = 0;
    srr_buf_append(b, "*", 1);
    put_link(b, it->record_url, it->id, FIELD_CHARS);
    srr_buf_append(b, "* ", 2);
    put_text(b, it->title, TITLE_CHARS);
    srr_buf_append(b, "\n", 1);
    if (it->kind) {
        put_text(b, it->kind, FIELD_CHARS);
        sep = 1;
    }
    if (it->urgency) {
        srr_buf_printf(b, "%sUrgency: *", sep ? " \xC2\xB7 " : "");
        put_text(b, it->urgency, FIELD_CHARS);
        srr_buf_append(b, "*", 1);
        sep = 1;
    }
    if (it->service) {
        srr_buf_printf(b, "%sService: ", sep ? " \xC2\xB7 " : "");
        put_text(b, it->service, FIELD_CHARS);
        sep = 1;
    }
    if (it->datadog_url && *it->datadog_url && strlen(it->datadog_url) <= URL_MAX_BYTES) {
        srr_buf_printf(b, "%s", sep ? " \xC2\xB7 " : "");
        put_link(b, it->datadog_url, "Datadog", FIELD_CHARS);
    }
}

static json_t *item_section(const srr_slack_item *it, int with_owner, int64_t age_days)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    put_item_head(&b, it);
    if (age_days >= 0)
        srr_buf_printf(&b, "\nWaiting %lld day%s", (long long)age_days, age_days == 1 ? "" : "s");
    if (with_owner && it->owner) {
        srr_buf_printf(&b, "%s", age_days >= 0 ? " \xC2\xB7 suggested owner: " : "\nOwner: ");
        put_text(&b, it->owner, FIELD_CHARS);
    }
    if (it->why && *it->why) {
        srr_buf_append(&b, "\n_Why:_ ", 8);
        put_text(&b, it->why, WHY_CHARS);
    }
    return section(&b);
}

/* Fallback text: "<lead>: SRR-1 Title, SRR-2 Title, ..." within the cap. */
static char *fallback(const char *lead, const srr_slack_item *items, size_t n)
{
    srr_buf b;
    char *out;
    size_t keep;
    srr_buf_init(&b, 0);
    srr_buf_append(&b, lead, strlen(lead));
    for (size_t i = 0; i < n && b.len < SRR_SLACK_MAX_FALLBACK * 2; i++) {
        srr_buf_append(&b, i ? ", " : ": ", 2);
        put_text(&b, items[i].id, FIELD_CHARS);
        srr_buf_append(&b, " ", 1);
        put_text(&b, items[i].title, 60);
    }
    keep = srr_u8_prefix(b.data, SRR_SLACK_MAX_FALLBACK - 1);
    out = srr_strndup(b.data, keep);
    if (b.data[keep]) {
        char *o2 = srr_asprintf("%s" ELLIPSIS, out);
        free(out);
        out = o2;
    }
    srr_buf_free(&b);
    return out;
}

/* "…and N more: SRR-7, SRR-9, ..." as a context block (ids until ~2,500 chars). */
static json_t *more_block(const srr_slack_item *items, size_t from, size_t n)
{
    srr_buf b;
    size_t i;
    srr_buf_init(&b, 0);
    srr_buf_printf(&b, ELLIPSIS "and %zu more: ", n - from);
    for (i = from; i < n && b.len < 2500; i++) {
        if (i > from)
            srr_buf_append(&b, ", ", 2);
        put_link(&b, items[i].record_url, items[i].id, FIELD_CHARS);
    }
    if (i < n)
        srr_buf_append(&b, ", " ELLIPSIS, strlen(", " ELLIPSIS));
    return context(&b);
}

/* Builds {"text", "blocks"} with a heading, the items (at most `max_items`,
 * within the block limit) and a "more" line. */
static json_t *list_message(const char *heading, const char *lead, const srr_slack_item *items,
                            size_t n, size_t max_items, int64_t now)
{
    json_t *blocks = json_array(), *msg;
    size_t room = SRR_SLACK_MAX_BLOCKS - 2, shown;
    srr_buf b;
    char *fb = fallback(lead, items, n);
    if (max_items && max_items < room)
        room = max_items;
    shown = n < room ? n : room;
    srr_buf_init(&b, 0);
    srr_buf_append(&b, "*", 1);
    put_text(&b, heading, FIELD_CHARS);
    srr_buf_append(&b, "*", 1);
    json_array_append_new(blocks, section(&b));
    for (size_t i = 0; i < shown; i++) {
        int64_t age = -1;
        if (now > 0 && items[i].created_at > 0 && items[i].created_at <= now)
            age = (now - items[i].created_at) / 86400;
        json_array_append_new(blocks, item_section(&items[i], now > 0, age));
    }
    if (shown < n)
        json_array_append_new(blocks, more_block(items, shown, n));
    msg = json_pack("{s:s, s:o}", "text", fb, "blocks", blocks);
    free(fb);
    return msg;
}

json_t *srr_slack_msg_digest(const char *heading, const srr_slack_item *items, size_t n,
                             size_t max_items)
{
    char head[96], lead[96];
    snprintf(head, sizeof(head), "%zu new SRR draft%s", n, n == 1 ? "" : "s");
    snprintf(lead, sizeof(lead), "%s", heading ? heading : head);
    return list_message(heading ? heading : head, lead, items, n, max_items, 0);
}

json_t *srr_slack_msg_reminder(const srr_slack_item *items, size_t n, int64_t now)
{
    char head[96];
    snprintf(head, sizeof(head), "%zu SRR draft%s waiting for approval", n, n == 1 ? "" : "s");
    return list_message(head, head, items, n, 0, now > 0 ? now : 1);
}

json_t *srr_slack_msg_event(srr_slack_event ev, const srr_slack_item *item, const char *detail)
{
    static const char *const what[] = {"promoted to a risk", "closed", "urgency raised",
                                       "review date has come"};
    const char *w = what[(unsigned)ev < 4 ? ev : 0];
    json_t *blocks = json_array(), *msg;
    srr_buf b;
    char *fb, *lead;
    srr_buf_init(&b, 0);
    srr_buf_append(&b, "*", 1);
    put_text(&b, item->id, FIELD_CHARS);
    srr_buf_printf(&b, " %s*", w);
    if (detail && *detail) {
        srr_buf_append(&b, "\n", 1);
        put_text(&b, detail, WHY_CHARS);
    }
    json_array_append_new(blocks, section(&b));
    json_array_append_new(blocks, item_section(item, 1, -1));
    lead = srr_asprintf("%s %s", item->id, w);
    fb = fallback(lead, item, 1);
    msg = json_pack("{s:s, s:o}", "text", fb, "blocks", blocks);
    free(fb);
    free(lead);
    return msg;
}

/* ---- limits ----------------------------------------------------------------- */

static srr_rc check_text_obj(const json_t *t, size_t max, const char *where, srr_error *err)
{
    const char *type = json_string_value(json_object_get(t, "type"));
    const char *s = json_string_value(json_object_get(t, "text"));
    if (!type || (strcmp(type, "mrkdwn") != 0 && strcmp(type, "plain_text") != 0) || !s)
        return srr_error_set(err, SRR_EINVAL, "%s: not a text object", where);
    if (!*s)
        return srr_error_set(err, SRR_EINVAL, "%s: empty text", where);
    if (srr_u8_chars(s) > max)
        return srr_error_set(err, SRR_EINVAL, "%s: %zu characters, more than %zu", where,
                             srr_u8_chars(s), max);
    return SRR_OK;
}

srr_rc srr_slack_msg_check(const json_t *msg, srr_error *err)
{
    const json_t *blocks, *blk;
    const char *text = json_string_value(json_object_get(msg, "text"));
    size_t i;
    if (!json_is_object(msg))
        return srr_error_set(err, SRR_EINVAL, "a Slack message is a JSON object");
    if (!text || !*text)
        return srr_error_set(err, SRR_EINVAL, "a Slack message needs a fallback \"text\"");
    blocks = json_object_get(msg, "blocks");
    if (!blocks)
        return SRR_OK;
    if (!json_is_array(blocks))
        return srr_error_set(err, SRR_EINVAL, "\"blocks\" is not an array");
    if (json_array_size(blocks) > SRR_SLACK_MAX_BLOCKS)
        return srr_error_set(err, SRR_EINVAL, "%zu blocks, more than %d", json_array_size(blocks),
                             SRR_SLACK_MAX_BLOCKS);
    json_array_foreach(blocks, i, blk)
    {
        const char *type = json_string_value(json_object_get(blk, "type"));
        const char *bid = json_string_value(json_object_get(blk, "block_id"));
        char where[64];
        srr_rc rc = SRR_OK;
        snprintf(where, sizeof(where), "blocks[%zu]", i);
        if (!type)
            return srr_error_set(err, SRR_EINVAL, "%s: no type", where);
        if (bid && strlen(bid) > 255)
            return srr_error_set(err, SRR_EINVAL, "%s: block_id longer than 255", where);
        if (strcmp(type, "section") == 0) {
            const json_t *fields = json_object_get(blk, "fields");
            if (json_object_get(blk, "text"))
                rc = check_text_obj(json_object_get(blk, "text"), SRR_SLACK_MAX_SECTION_TEXT, where,
                                    err);
            else if (!fields)
                rc = srr_error_set(err, SRR_EINVAL, "%s: a section needs text or fields", where);
            if (rc == SRR_OK && fields && json_array_size(fields) > 10)
                rc = srr_error_set(err, SRR_EINVAL, "%s: more than 10 fields", where);
        } else if (strcmp(type, "context") == 0) {
            const json_t *el = json_object_get(blk, "elements");
            if (!json_is_array(el) || json_array_size(el) == 0 ||
                json_array_size(el) > SRR_SLACK_MAX_CONTEXT_ELEMENTS)
                rc = srr_error_set(err, SRR_EINVAL, "%s: a context holds 1 to %d elements", where,
                                   SRR_SLACK_MAX_CONTEXT_ELEMENTS);
        }
        if (rc != SRR_OK)
            return rc;
    }
    return SRR_OK;
}
