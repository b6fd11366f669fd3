/* SPDX-License-Identifier: Apache-2.0
 *
 * sheets_api.h - Google Sheets API v4 for the sheet mirror
 * (google-sheets-api.md §4-§7): values.get, values.batchUpdate and
 * values.append, the tab created when missing (spreadsheets.batchUpdate
 * addSheet), and an upsert of whole rows found by their ID in column A.
 *
 * Values are always written with valueInputOption=RAW: a title such as
 * "=IMPORTXML(...)" is stored as the text it is, never run as a formula.
 * Every call takes the bearer token from a srr_gtoken (refreshed once on a
 * 401) and goes through the client's gate: 429 RESOURCE_EXHAUSTED (the
 * per-minute quotas), 500 and 503 are SRR_RETRY and block the client,
 * for Retry-After when Google sends one, else with exponential backoff
 * (1 s doubling to 64 s, Google's advice); 400 is SRR_EINVAL, 403
 * (the sheet not shared with the service account) SRR_EAUTH, 404
 * SRR_ENOTFOUND. Error messages carry Google's status and message.
 */
#ifndef SRR_SINKS_SHEETS_API_H
#define SRR_SINKS_SHEETS_API_H

#include <jansson.h>
#include <stddef.h>

#include "http.h"
#include "jwt.h"
#include "srr.h"

typedef struct srr_sheets srr_sheets;

typedef struct srr_sheets_opts {
    const char *api_url; /* NULL = "https://sheets.googleapis.com" */
    const char *spreadsheet_id;
    srr_gtoken *token;       /* borrowed; outlives the client */
    int64_t min_interval_ms; /* spacing between requests (0 = none) */
    srr_http_opts http;
} srr_sheets_opts;

srr_rc srr_sheets_create(const srr_sheets_opts *opts, srr_sheets **out, srr_error *err);
void srr_sheets_destroy(srr_sheets **sh);

/* When the next request may be sent (epoch ms), 0 when it may go now. */
int64_t srr_sheets_retry_at_ms(const srr_sheets *sh);

/* An A1 range on `sheet` (always quoted, ' doubled): columns are 0-based
 * (0 = A), rows 1-based; row2 = 0 leaves the end row open ("A2:N").
 * Caller frees. */
char *srr_sheets_range(const char *sheet, int col1, long row1, int col2, long row2);

/* values.get: *rows receives the "values" array (a new reference, an empty
 * array when the range is empty). */
srr_rc srr_sheets_get(srr_sheets *sh, const char *range, json_t **rows, srr_error *err);
/* values.batchUpdate with RAW: `data` is an array of {"range","values"}. */
srr_rc srr_sheets_batch_update(srr_sheets *sh, const json_t *data, srr_error *err);
/* values.append with RAW and INSERT_ROWS after the table found in `range`.
 * *updated_range (may be NULL) receives where the rows went (caller frees). */
srr_rc srr_sheets_append(srr_sheets *sh, const char *range, const json_t *rows,
                         char **updated_range, srr_error *err);
/* Makes sure a tab named `title` exists (one read; one write to add it). */
srr_rc srr_sheets_ensure_sheet(srr_sheets *sh, const char *title, srr_error *err);

/* Reads rows 1.. of the first `ncols` columns of `sheet` (the header and
 * the table under it) into *table (a new array of arrays of strings). */
srr_rc srr_sheets_read_table(srr_sheets *sh, const char *sheet, size_t ncols, json_t **table,
                             srr_error *err);

/* What an upsert did. */
typedef struct srr_sheets_upsert_result {
    size_t updated;     /* rows rewritten in place */
    size_t appended;    /* rows added */
    size_t duplicates;  /* IDs found on more than one row (the first one is used) */
    int header_written; /* the sheet was empty: the header went to row 1 */
} srr_sheets_upsert_result;

/* Writes `rows` (an array of arrays of `ncols` cells, each a string or,
 * past the ID that comes first, a number, so a count sorts as one) to
 * `sheet`: rewrites each row whose ID is found in column A of `table` where
 * it is now (whatever order a person sorted the sheet in), appends the
 * others, and writes `header` to row 1 when the sheet is empty. `table` is
 * what srr_sheets_read_table just returned (the sink reads people's edits
 * from it first), or NULL to read it here. At most three requests: one
 * read (none when `table` is given), one batchUpdate, one append. */
srr_rc srr_sheets_upsert(srr_sheets *sh, const char *sheet, const char *const *header, size_t ncols,
                         const json_t *rows, const json_t *table, srr_sheets_upsert_result *res,
                         srr_error *err);

#endif
