/* SPDX-License-Identifier: Apache-2.0
 *
 * export.h - the records leaving srr (issue 7, "Exports"): every risk and
 * backlog item as full JSON (for scripts), and as CSV that imports cleanly
 * into a Notion database or a Google Sheet: RFC 4180 (fields with a comma,
 * quote, CR or LF quoted, quotes doubled, CRLF line ends), UTF-8, one
 * header row, dates as "YYYY-MM-DD HH:MM:SS" (UTC) that both tools read as
 * dates, logs as one multi-line cell. The title is the first column (Notion
 * makes it the page title); labels are one comma-separated cell (a
 * multi-select); the assignee, the approver and the owner (team.owners of
 * the record's service) are written as emails where team.emails has them,
 * so both tools match people. A text cell a spreadsheet would read as a
 * formula ("=...", "-2+3", "@SUM(..)", not "-12" or "- a bullet") gets a
 * leading ' (CSV injection), and control characters are shown as visible
 * escapes (core/textsafe.h: a CSV is read in terminals too); those are the
 * only changes made to a value.
 */
#ifndef SRR_EXPORT_H
#define SRR_EXPORT_H

#include <jansson.h>

#include "config.h"
#include "srr.h"
#include "store.h"

/* Collects full records: kind "risks", "backlog" or "all" (NULL = risks),
 * `status` filters (NULL = every status). Each element is the object of
 * srr_store_risk_get / srr_store_backlog_get plus "kind" ("risk" or
 * "backlog"). *out is a new array the caller owns. Returns SRR_EINVAL for
 * an unknown kind, else a store error. */
srr_rc srr_export_collect(srr_store *st, const char *kind, const char *status, json_t **out,
                          srr_error *err);

/* The CSV text of records from srr_export_collect (header row first);
 * `team` (may be NULL) gives the emails and the owners. Caller frees. */
char *srr_export_csv(const json_t *records, const srr_team_config *team);

/* The header of CSV column i (0-based), or NULL past the last. Static. */
const char *srr_export_csv_header(size_t i);

#endif
