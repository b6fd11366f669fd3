/* SPDX-License-Identifier: Apache-2.0
 *
 * record_views.c - a record rendered for Slack, GitHub, Jira and a Google
 * Sheet (record_views.h). Every text comes from the record JSON the outbox
 * gives sinks; nothing here knows the store.
 */
#include "record_views.h"

#include <stdlib.h>
#include <string.h>

#include "github_api.h"
#include "jira_api.h"
#include "sheets_config.h"

#define GITHUB_BODY_MAX 65536
#define TICKET_TITLE_MAX 255

static const char *field(const json_t *r, const char *k)
{
    return json_string_value(json_object_get(r, k));
}

char *srr_ticket_title(const json_t *record)
{
    const char *t = field(record, "title"), *id = field(record, "id");
    char *suffix = srr_asprintf(" (%s)", id ? id : "srr");
    size_t room = TICKET_TITLE_MAX - srr_u8_chars(suffix), keep;
    srr_buf b;
    srr_buf_init(&b, 0);
    for (const char *p = t && *t ? t : "untitled"; *p; p++)
        srr_buf_append(&b, (*p == '\n' || *p == '\r' || *p == '\t') ? " " : p, 1);
    keep = srr_u8_prefix(b.data, room);
    b.len = keep;
    b.data[keep] = '\0';
    srr_buf_append(&b, suffix, strlen(suffix));
    free(suffix);
    return srr_buf_steal(&b);
}

char *srr_ticket_label(const char *id)
{
    char *l = srr_asprintf("srr-%s", id ? id : "");
    for (char *p = l + 4; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            *p = '_';
    return l;
}

/* Appends record text with "<!--" defused. */
static void md_text(srr_buf *b, const char *s)
{
    for (const char *p = s; p && *p; p++) {
        if (strncmp(p, "<!--", 4) == 0) {
            srr_buf_append(b, "&lt;!--", 7);
            p += 3;
        } else {
            srr_buf_append(b, p, 1);
        }
    }
}

static void md_section(srr_buf *b, const char *heading, const char *text)
{
    if (!text || !*text)
        return;
    srr_buf_printf(b, "## %s\n\n", heading);
    md_text(b, text);
    srr_buf_append(b, "\n\n", 2);
}

/* The evidence lines shared by both formats, one per array item. */
static json_t *evidence_lines(const json_t *r)
{
    json_t *lines = json_array(), *w;
    const json_t *occ = json_object_get(r, "occurrences");
    const char *first = field(r, "first_seen"), *last = field(r, "last_seen");
    size_t i;
    if (json_is_integer(occ) || first || last) {
        char *l = srr_asprintf("Seen %lld time%s%s%.10s%s%.10s", (long long)json_integer_value(occ),
                               json_integer_value(occ) == 1 ? "" : "s", first ? ", first on " : "",
                               first ? first : "", last ? ", last on " : "", last ? last : "");
        json_array_append_new(lines, json_string(l));
        free(l);
    }
    json_array_foreach(json_object_get(r, "weeks"), i, w)
    {
        const char *week = field(w, "week");
        json_t *max = json_object_get(w, "max");
        char *l = srr_asprintf("Week of %.10s: %lld firing", week ? week : "?",
                               (long long)json_integer_value(json_object_get(w, "count")));
        if (json_is_number(max)) {
            char *l2 = srr_asprintf("%s, worst %g", l, json_number_value(max));
            free(l);
            l = l2;
        }
        json_array_append_new(lines, json_string(l));
        free(l);
    }
    return lines;
}

static void links_of(const json_t *r, json_t *out)
{
    const char *dd = field(r, "datadog_url");
    const json_t *v;
    size_t i;
    if (dd && *dd)
        json_array_append_new(out, json_string(dd));
    json_array_foreach(json_object_get(r, "links"), i, v)
    {
        const char *u = json_string_value(v);
        if (u && *u && !(dd && strcmp(u, dd) == 0))
            json_array_append_new(out, json_string(u));
    }
}

char *srr_ticket_markdown(const json_t *record)
{
    const char *id = field(record, "id"), *rule = field(record, "rule");
    char *marker = srr_github_marker(id ? id : "");
    char *footer = srr_asprintf("---\nMade by srr from %s. Closing this issue marks the backlog "
                                "item done; reopening it reopens the item.\n%s\n",
                                id ? id : "a record", marker);
    json_t *ev = evidence_lines(record), *links = json_array(), *v;
    srr_buf b;
    size_t i, room = GITHUB_BODY_MAX - srr_u8_chars(footer) - 64, keep;
    srr_buf_init(&b, 0);
    md_section(&b, "Overview", field(record, "overview"));
    if (field(record, "reason") && *field(record, "reason")) {
        srr_buf_append(&b, "## Why srr drafted it\n\n", 23);
        md_text(&b, field(record, "reason"));
        if (rule && *rule && !strstr(field(record, "reason"), rule)) {
            srr_buf_append(&b, " (rule `", 8);
            md_text(&b, rule);
            srr_buf_append(&b, "`)", 2);
        }
        srr_buf_append(&b, "\n\n", 2);
    }
    md_section(&b, "Cause", field(record, "cause"));
    md_section(&b, "Next action", field(record, "next_action"));
    links_of(record, links);
    if (json_array_size(ev) || json_array_size(links)) {
        srr_buf_append(&b, "## Evidence\n\n", 13);
        json_array_foreach(ev, i, v)
        {
            srr_buf_append(&b, "- ", 2);
            md_text(&b, json_string_value(v));
            srr_buf_append(&b, "\n", 1);
        }
        json_array_foreach(links, i, v)
        {
            srr_buf_printf(&b, "- [%s](",
                           i == 0 && field(record, "datadog_url") ? "Datadog" : "Datadog link");
            md_text(&b, json_string_value(v));
            srr_buf_append(&b, ")\n", 2);
        }
        srr_buf_append(&b, "\n", 1);
    }
    if (b.data && srr_u8_chars(b.data) > room) { /* cut the sections, keep the marker */
        keep = srr_u8_prefix(b.data, room);
        b.len = keep;
        b.data[keep] = '\0';
        srr_buf_append(&b, "\n\n(cut to fit GitHub's limit)\n\n", 31);
    }
    srr_buf_append(&b, footer, strlen(footer));
    free(footer);
    free(marker);
    json_decref(ev);
    json_decref(links);
    return srr_buf_steal(&b);
}

json_t *srr_ticket_adf(const json_t *record)
{
    json_t *doc = srr_adf_doc(), *ev = evidence_lines(record), *links = json_array(), *v;
    const char *reason = field(record, "reason"), *rule = field(record, "rule");
    size_t i;
    if (field(record, "overview") && *field(record, "overview")) {
        srr_adf_heading(doc, 2, "Overview");
        srr_adf_paragraph(doc, field(record, "overview"));
    }
    if (reason && *reason) {
        char *why = rule && *rule && !strstr(reason, rule)
                        ? srr_asprintf("%s (rule %s)", reason, rule)
                        : srr_strdup(reason);
        srr_adf_heading(doc, 2, "Why srr drafted it");
        srr_adf_paragraph(doc, why);
        free(why);
    }
    if (field(record, "cause") && *field(record, "cause")) {
        srr_adf_heading(doc, 2, "Cause");
        srr_adf_paragraph(doc, field(record, "cause"));
    }
    if (field(record, "next_action") && *field(record, "next_action")) {
        srr_adf_heading(doc, 2, "Next action");
        srr_adf_paragraph(doc, field(record, "next_action"));
    }
    links_of(record, links);
    if (json_array_size(ev) || json_array_size(links)) {
        srr_adf_heading(doc, 2, "Evidence");
        json_array_foreach(ev, i, v) srr_adf_paragraph(doc, json_string_value(v));
        json_array_foreach(links, i, v) srr_adf_link(doc, "Datadog", json_string_value(v));
    }
    {
        char *foot = srr_asprintf("Made by srr from %s. Moving this issue to a done status marks "
                                  "the backlog item done.",
                                  field(record, "id") ? field(record, "id") : "a record");
        srr_adf_paragraph(doc, foot);
        free(foot);
    }
    json_decref(ev);
    json_decref(links);
    return doc;
}

srr_slack_item srr_slack_item_of(const json_t *record, const char *record_url)
{
    srr_slack_item it;
    int64_t t = 0;
    memset(&it, 0, sizeof(it));
    it.id = field(record, "id") ? field(record, "id") : "?";
    it.title = field(record, "title") ? field(record, "title") : "untitled";
    it.kind = field(record, "kind");
    it.status = field(record, "status");
    it.urgency = field(record, "urgency");
    it.service = field(record, "service");
    it.why = field(record, "reason");
    it.owner = field(record, "assignee");
    it.record_url = record_url;
    it.datadog_url = field(record, "datadog_url");
    if (field(record, "created_at") &&
        srr_time_parse_iso(field(record, "created_at"), &t) == SRR_OK)
        it.created_at = t;
    return it;
}

json_t *srr_sheets_row(const json_t *record)
{
    static const char *const keys[SRR_SHEETS_NCOLS] = {
        "id",        "kind",        "title",       "status",         "urgency",        "assignee",
        "service",   "datadog_url", "backlog_url", "postmortem_url", "next_review_at", "first_seen",
        "last_seen", "occurrences"};
    json_t *row = json_array();
    for (size_t i = 0; i < SRR_SHEETS_NCOLS; i++) {
        const json_t *v = json_object_get(record, keys[i]);
        if (json_is_integer(v)) {
            json_array_append_new(row, json_integer(json_integer_value(v)));
        } else if (i >= 10 && json_is_string(v)) { /* dates: the day */
            char day[11];
            snprintf(day, sizeof(day), "%.10s", json_string_value(v));
            json_array_append_new(row, json_string(day));
        } else {
            json_array_append_new(row, json_string(json_is_string(v) ? json_string_value(v) : ""));
        }
    }
    return row;
}

static const char *cell(const json_t *row, size_t i)
{
    const json_t *v = json_array_get(row, i);
    return json_is_string(v) ? json_string_value(v) : "";
}

size_t srr_sheets_edits(const json_t *table, const json_t *written, const size_t *watch,
                        size_t nwatch, srr_sheets_edit_fn fn, void *ud)
{
    size_t found = 0;
    for (size_t r = 1; r < json_array_size(table); r++) {
        const json_t *row = json_array_get(table, r);
        const char *id = cell(row, 0);
        const json_t *last = *id ? json_object_get(written, id) : NULL;
        if (!json_is_array(last))
            continue; /* a person's own row, or one srr never wrote */
        for (size_t k = 0; k < nwatch; k++) {
            char num[32];
            const json_t *lv = json_array_get(last, watch[k]);
            const char *was = json_is_string(lv) ? json_string_value(lv) : "";
            if (json_is_integer(lv)) {
                snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(lv));
                was = num;
            }
            if (strcmp(was, cell(row, watch[k])) != 0) {
                srr_sheets_edit e = {id, (long)r + 1, watch[k], was, cell(row, watch[k])};
                fn(ud, &e);
                found++;
            }
        }
    }
    return found;
}
