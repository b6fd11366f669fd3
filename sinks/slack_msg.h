/* SPDX-License-Identifier: Apache-2.0
 *
 * slack_msg.h - the Slack messages srr sends, as Block Kit JSON
 * ({"text": fallback, "blocks": [...]}), built within Slack's limits
 * (slack-api.md §4): at most 50 blocks, section text at most 3,000
 * characters, at most 10 context elements, and always a fallback `text`.
 * Every piece of record text is escaped (& < > only, §4 "Escaping"), so a
 * title such as "<!channel> & co" can neither ping a channel nor break a
 * link. Text cut to fit ends with "…" on a UTF-8 character boundary.
 *
 * Messages:
 *   - a digest of the new drafts of one sweep or drain batch: one message
 *     however many drafts (an alert storm is one message), the first ones
 *     in full and "…and N more" for the rest;
 *   - one event about one record: promoted to a risk, closed, urgency
 *     raised, review date come;
 *   - the weekly reminder of drafts waiting for approval, with their age
 *     and suggested owner.
 * Pure functions: no I/O, no clock (the caller passes "now").
 */
#ifndef SRR_SINKS_SLACK_MSG_H
#define SRR_SINKS_SLACK_MSG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "srr.h"

#define SRR_SLACK_MAX_BLOCKS 50
#define SRR_SLACK_MAX_SECTION_TEXT 3000
#define SRR_SLACK_MAX_CONTEXT_ELEMENTS 10
/* Fallback text is what notifications show: kept short. */
#define SRR_SLACK_MAX_FALLBACK 300

/* What a message says about one record. Every string is borrowed and may be
 * NULL (then left out), except id and title. */
typedef struct srr_slack_item {
    const char *id; /* "SRR-42" */
    const char *title;
    const char *kind;    /* risk | backlog | investigation */
    const char *status;  /* draft, open, ... */
    const char *urgency; /* low | medium | high | critical */
    const char *service;
    const char *why;        /* the reason srr drafted or changed it */
    const char *owner;      /* assignee or suggested owner */
    const char *record_url; /* its Notion page (or other home), when there is one */
    const char *datadog_url;
    int64_t created_at; /* epoch seconds; 0 = unknown (ages are left out) */
} srr_slack_item;

typedef enum {
    SRR_SLACK_EV_PROMOTED = 0, /* an investigation became a risk */
    SRR_SLACK_EV_CLOSED,       /* an investigation closed (detail says how) */
    SRR_SLACK_EV_URGENCY,      /* urgency raised (detail: "medium → high") */
    SRR_SLACK_EV_REVIEW_DUE    /* an accepted risk's review date has come */
} srr_slack_event;

/* The digest of new drafts. `heading` may be NULL ("New SRR drafts").
 * Shows at most `max_items` drafts in full (0 = as many as the block limit
 * allows) and says how many more there are. Returns a new JSON object
 * (caller json_decref's), never NULL. */
json_t *srr_slack_msg_digest(const char *heading, const srr_slack_item *items, size_t n,
                             size_t max_items);

/* One event about one record; `detail` (may be NULL) is a short line added
 * under the heading. Returns a new JSON object (caller decref's). */
json_t *srr_slack_msg_event(srr_slack_event ev, const srr_slack_item *item, const char *detail);

/* The reminder of drafts waiting for approval, oldest first as given, with
 * each one's age in days at `now` (epoch seconds). Returns a new JSON object
 * (caller decref's). */
json_t *srr_slack_msg_reminder(const srr_slack_item *items, size_t n, int64_t now);

/* Escapes & < > for Slack text. Caller frees. */
char *srr_slack_escape(const char *s);

/* Checks a message against the limits above (and the fake's and Slack's
 * rules: `text` present and non-empty, `blocks` an array). Returns SRR_OK or
 * SRR_EINVAL naming what is wrong. */
srr_rc srr_slack_msg_check(const json_t *msg, srr_error *err);

#endif
