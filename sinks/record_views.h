/* SPDX-License-Identifier: Apache-2.0
 *
 * record_views.h - what a record looks like in each tool: a Slack item, a
 * ticket (title, GitHub markdown body with srr's marker, Jira ADF
 * description, labels), a row of the practice's list in a Google Sheet, and
 * the edits a person made to that row since srr last wrote it.
 *
 * The input is the record as the outbox hands it to sinks (issue 20's
 * srr_outbox_record: {kind, id, status, urgency, title, service, assignee,
 * overview, cause, policy, next_action, datadog_url, backlog_url,
 * postmortem_url, rule, reason, next_review_at, first_seen, last_seen,
 * created_at, occurrences, weeks [{week, count, max}], links [...]}, any
 * field may be null). Pure functions: no I/O.
 */
#ifndef SRR_SINKS_RECORD_VIEWS_H
#define SRR_SINKS_RECORD_VIEWS_H

#include <jansson.h>
#include <stddef.h>

#include "slack_msg.h"
#include "srr.h"

/* A ticket title: the record's title on one line (newlines and tabs become
 * spaces), then " (SRR-12)", cut to 255 characters (Jira's summary limit)
 * on a character boundary. Caller frees. */
char *srr_ticket_title(const json_t *record);

/* The GitHub issue body (markdown): Overview, Why srr drafted it, Evidence
 * (occurrences, first and last seen, the weekly counts, Datadog links),
 * then a footer and srr's marker (github_api.h srr_github_marker). Kept
 * under GitHub's 65,536 characters by cutting the sections, never the
 * marker. "<!--" in record text is defused so no text can forge a marker.
 * Caller frees. */
char *srr_ticket_markdown(const json_t *record);

/* The same content as a Jira ADF document (caller decref's). */
json_t *srr_ticket_adf(const json_t *record);

/* The label srr puts on a record's Jira issue to find it again: "srr-" and
 * the id with anything but letters, digits, '-' and '_' replaced by '_'.
 * Caller frees. */
char *srr_ticket_label(const char *id);

/* A Slack item borrowing the record's strings (valid while the record is):
 * `why` is the reason, `owner` the assignee, `record_url` may be given (a
 * Notion page) or NULL. created_at is parsed from the record. */
srr_slack_item srr_slack_item_of(const json_t *record, const char *record_url);

/* The record as a row of the practice's list (sheets_config.h columns):
 * strings, Occurrences a number, dates as YYYY-MM-DD, "" for null. A new
 * array (caller decref's). */
json_t *srr_sheets_row(const json_t *record);

/* A cell a person changed. */
typedef struct srr_sheets_edit {
    const char *id;  /* the record's ID (column A) */
    long row;        /* 1-based row where it was found */
    size_t col;      /* 0-based column */
    const char *was; /* what srr last wrote there */
    const char *now; /* what the sheet holds */
} srr_sheets_edit;

typedef void (*srr_sheets_edit_fn)(void *ud, const srr_sheets_edit *e);

/* Compares a table just read (sheets_api.h srr_sheets_read_table) with the
 * rows srr last wrote (`written`: an object ID → row array) in the columns
 * `watch` (e.g. Status and Assignee), and calls fn for each cell that
 * differs. Rows srr never wrote (a person's own) and records missing from
 * the sheet are left alone. Returns how many edits were found. */
size_t srr_sheets_edits(const json_t *table, const json_t *written, const size_t *watch,
                        size_t nwatch, srr_sheets_edit_fn fn, void *ud);

#endif
