/* SPDX-License-Identifier: Apache-2.0
 *
 * review_render.h - what the two renderers of `srr review` share (cmd/review.c:
 * the command, table, Markdown and JSON; cmd/review_html.c: the HTML
 * page): the sections of the report in the order the meeting walks
 * through them, each with its title and columns, so every format shows
 * the same sections with the same data. Defined in review_render.c.
 */
#ifndef SRR_REVIEW_RENDER_H
#define SRR_REVIEW_RENDER_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "cli.h"

/* One section: its title ("%s" stands for "this month" or "in the
 * period"), the report's array key, a hint shown when it is not empty,
 * its columns. A column keyed "chart" is a record's value over the
 * windows (a sparkline in text, an SVG chart in HTML). */
typedef struct srr_review_section {
    const char *title, *key, *hint;
    srr_column cols[12];
} srr_review_section;

/* The sections, ended by one whose title is NULL. */
extern const srr_review_section SRR_REVIEW_SECTIONS[];

/* 1 when the report covers a calendar month (--month), 0 for another
 * period. */
int srr_review_is_month(const json_t *rep);

/* The section's title for the report's period into buf (size n); returns
 * buf. */
const char *srr_review_title(const srr_review_section *sec, const json_t *rep, char *buf, size_t n);

/* The report's heading: "Monthly review 2026-03" or "Review 2026-11-02
 * to 2026-12-06", into buf (size n); returns buf. */
const char *srr_review_heading(const json_t *rep, char *buf, size_t n);

/* Writes the report as one self-contained HTML page (inline CSS and SVG;
 * no script, nothing fetched): cards, the status history and load charts,
 * every section with each record linked - its Notion page when synced,
 * else its detail further down the page - with its Datadog link and its
 * value as a small chart, then the detail of every record named. All text
 * from the store is escaped; a link that is not http(s) is shown as text,
 * never followed. */
void srr_review_print_html(FILE *out, const json_t *rep);

#endif
