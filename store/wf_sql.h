/* SPDX-License-Identifier: Apache-2.0
 *
 * wf_sql.h - the small SQL toolkit the human side of the store shares
 * (workflow.c and its reads, review.c, export.c): prepare-bind-step on the sqlite3 handle
 * of an open srr_store, with every value bound as a parameter, and the
 * JSON conversions of a row. Internal to store/.
 *
 * Bind types, one letter per parameter: 'i' int64_t, 't' const char *
 * (NULL binds SQL NULL), 'd' double, 'n' SQL NULL (no argument).
 */
#ifndef SRR_WF_SQL_H
#define SRR_WF_SQL_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>

#include "srr.h"
#include "store.h"

/* Prepares `sql` on db and binds the arguments described by `types`.
 * Returns the statement (finalize with sqlite3_finalize) or NULL with *err
 * set (SRR_ERR). */
sqlite3_stmt *srr_wf_prep(sqlite3 *db, srr_error *err, const char *sql, const char *types, ...);
/* Binds the arguments in ap by `types` (as srr_wf_prep) to parameters
 * ?first, ?first+1, ...: for a statement whose first parameters the caller
 * binds itself. Returns SQLITE_OK or the first bind's error code. */
int srr_wf_vbind(sqlite3_stmt *s, int first, const char *types, va_list ap);

/* Steps s: returns 1 on a row, 0 when done, -1 on error (*rc and *err set:
 * SRR_RETRY when the database stayed busy, SRR_EINVAL for a constraint,
 * SRR_ERR otherwise). */
int srr_wf_step(sqlite3 *db, sqlite3_stmt *s, srr_rc *rc, srr_error *err);

/* Prepares, binds, runs to completion and finalizes a statement that
 * returns no rows. Returns SRR_OK or the error of srr_wf_step. */
srr_rc srr_wf_exec(sqlite3 *db, srr_error *err, const char *sql, const char *types, ...);

/* Runs a single-value integer query; *out = 0 when it returns no row or NULL. */
srr_rc srr_wf_int(sqlite3 *db, srr_error *err, int64_t *out, const char *sql, const char *types,
                  ...);

/* BEGIN IMMEDIATE (the write lock up front, so a read-check-write cannot
 * interleave with another writer), COMMIT, and ROLLBACK (tolerates no open
 * transaction). */
srr_rc srr_wf_begin(sqlite3 *db, srr_error *err);
srr_rc srr_wf_commit(sqlite3 *db, srr_error *err);
void srr_wf_rollback(sqlite3 *db);

/* The current row as a JSON object keyed by column name with raw values
 * (integers, reals, text, null). New reference. */
json_t *srr_wf_row(sqlite3_stmt *s);
/* Column i of the current row as text (borrowed from s until its next
 * step, NULL for SQL NULL). */
const char *srr_wf_text(sqlite3_stmt *s, int i);
/* Column i of the current row as a double, NaN for SQL NULL. */
double srr_wf_real(sqlite3_stmt *s, int i);
/* Column i as a JSON real, JSON null for SQL NULL (a new reference). */
json_t *srr_wf_real_or_null(sqlite3_stmt *s, int i);

/* Epoch seconds as ISO-8601 JSON string (json_null() for t <= 0). New ref. */
json_t *srr_wf_time(int64_t t);

/* Loads one row of `table` (a table name, never user text) by id as raw
 * JSON (srr_wf_row): SRR_OK with *out a new reference the caller
 * releases, SRR_ENOTFOUND with *out NULL when there is no such row, or the
 * error of srr_wf_step. */
srr_rc srr_wf_load_row(sqlite3 *db, const char *table, int64_t id, json_t **out, srr_error *err);

/* s as a JSON string, or JSON null for NULL or "" (a new reference). */
json_t *srr_wf_text_or_null(const char *s);
/* The string member `key` of o, "" when absent or not a string (borrowed
 * from o). */
const char *srr_wf_jtext(const json_t *o, const char *key);
/* The integer member `key` of o, 0 when absent or not an integer. */
int64_t srr_wf_jint(const json_t *o, const char *key);

/* Record kinds and their human ids. */
typedef enum { SRR_WF_RISK = 0, SRR_WF_BACKLOG, SRR_WF_INV } srr_wf_kind;
extern const char *const SRR_WF_KIND_NAME[3]; /* "risk", "backlog", "investigation" */
extern const char *const SRR_WF_PREFIX[3];    /* "SRR-", "BL-", "INV-" */
/* The srr_wf_kind named by `kind` ("risk", ...), -1 for NULL or another. */
int srr_wf_kind_index(const char *kind);

/* Parses "SRR-12" / "srr-12" / "12" (kind's prefix or none). Returns
 * SRR_ENOTFOUND with a message naming the expected form. */
srr_rc srr_wf_parse_id(const char *s, srr_wf_kind kind, int64_t *out, srr_error *err);
/* Parses any human id ("SRR-1", "BL-2", "INV-3"; a bare number is a risk). */
srr_rc srr_wf_parse_any_id(const char *s, srr_wf_kind *kind, int64_t *out, srr_error *err);

/* Urgency name <-> 0..3; srr_wf_urgency_parse returns -1 for unknown. */
const char *srr_wf_urgency_name(int64_t u);
int srr_wf_urgency_parse(const char *s);

#endif
