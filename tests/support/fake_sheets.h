/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_sheets.h - a fake Google (on fake_http.h) for the sheet mirror,
 * enforcing what google-sheets-api.md says the real one enforces:
 *   - POST /token: the JWT-bearer grant. The assertion's RS256 signature is
 *     verified with the public key of the test service account, and its
 *     claims checked (iss = the account, aud = this endpoint, a scope that
 *     allows writing sheets, iat not in the future, exp after now and at
 *     most an hour after iat). Refusals are 400 {"error":"invalid_grant",
 *     "error_description":...}. Tokens expire after a settable life;
 *   - Sheets v4 under /v4/spreadsheets/{id}: spreadsheets.get (tab titles),
 *     spreadsheets.batchUpdate (addSheet), values.get, values.batchUpdate,
 *     values.append; a valid, unexpired Bearer token on every call (else 401
 *     UNAUTHENTICATED), valueInputOption required: RAW stores text as sent,
 *     USER_ENTERED parses it (a leading '=' makes a formula, a leading '''
 *     forces text, digits make a number); A1 ranges with quoted names;
 *   - a write with a cell over 50,000 characters is 400 INVALID_ARGUMENT
 *     (nothing of it is written);
 *   - per-window read and write quotas (60 a minute by default) answered
 *     429 RESOURCE_EXHAUSTED past the limit; errors in Google's shape
 *     {"error":{"code","message","status"}};
 *   - a "person" who edits cells and re-sorts the rows of a tab.
 */
#ifndef SRR_TESTS_FAKE_SHEETS_H
#define SRR_TESTS_FAKE_SHEETS_H

#include <stddef.h>

#include "fake_http.h"

typedef struct fake_sheets fake_sheets;

#define FAKE_SHEETS_ID "1FakeSpreadsheetId_srr"
#define FAKE_SHEETS_EMAIL "srr-mirror@srr-test.iam.gserviceaccount.com"

/* Starts the fake with one empty spreadsheet (FAKE_SHEETS_ID) holding a tab
 * "Sheet1". `pub_pem` is the public key of the service account
 * FAKE_SHEETS_EMAIL, in PEM. NULL when it cannot start. */
fake_sheets *fake_sheets_start(const char *pub_pem);
void fake_sheets_stop(fake_sheets **fs);

/* The API base ("http://127.0.0.1:N") and the token endpoint (".../token"). */
const char *fake_sheets_url(fake_sheets *fs);
const char *fake_sheets_token_url(fake_sheets *fs);
fake_http *fake_sheets_http(fake_sheets *fs);

/* Life of the tokens handed out from now on (default 3600 s). */
void fake_sheets_set_token_life(fake_sheets *fs, int seconds);
/* Makes every token handed out so far expired. */
void fake_sheets_expire_tokens(fake_sheets *fs);
/* Tokens handed out, and grants refused. */
unsigned fake_sheets_tokens_issued(fake_sheets *fs);
unsigned fake_sheets_grants_refused(fake_sheets *fs);

/* Quotas: `reads` and `writes` per `window_ms` (defaults 60, 60, 60000). */
void fake_sheets_set_quota(fake_sheets *fs, unsigned reads, unsigned writes, long window_ms);
/* Requests answered 429 for a quota. */
unsigned fake_sheets_over_quota(fake_sheets *fs);

/* Adds a tab (as a person would). */
void fake_sheets_add_tab(fake_sheets *fs, const char *title);
/* Rows of a tab up to the last non-empty one (0 when the tab is missing). */
size_t fake_sheets_rows(fake_sheets *fs, const char *tab);
/* A copy of a cell's text (row 1-based, col 0-based; "" when empty, NULL
 * when the tab is missing); *is_formula (may be NULL) says whether it
 * holds a formula. Caller frees. */
char *fake_sheets_cell(fake_sheets *fs, const char *tab, size_t row, size_t col, int *is_formula);
/* The 1-based row (below the header) whose column `col` reads `text`,
 * the first one from the top; 0 when none. */
size_t fake_sheets_row_with(fake_sheets *fs, const char *tab, size_t col, const char *text);
/* How many rows below the header have `text` in column `col`. */
size_t fake_sheets_count_with(fake_sheets *fs, const char *tab, size_t col, const char *text);
/* The person: sets a cell to text, and sorts rows 2..last of a tab by a
 * column (text order, descending when `desc`). */
void fake_sheets_person_edit(fake_sheets *fs, const char *tab, size_t row, size_t col,
                             const char *text);
void fake_sheets_person_sort(fake_sheets *fs, const char *tab, size_t col, int desc);

#endif
