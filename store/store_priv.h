/* SPDX-License-Identifier: Apache-2.0
 *
 * store_priv.h - what the files behind store.h share and nothing else
 * sees: the open store itself (its connection and the statements of
 * schema.h, prepared once), the record kinds, and the small SQL toolkit
 * every one of them uses (bind-step-reset on the prepared statements,
 * transactions, audit and log entries, the JSON of a row).
 *
 * The files: store.c opens, migrates and runs the batch transaction;
 * things.c decides what an observation of a thing does (identity,
 * observations, history, promotion); records.c writes the records
 * (drafts, evidence, promotions and closings, an engineer's verdict);
 * budget.c keeps each sweep window's draft budget; reads.c reads the
 * records back as JSON (with values.c's value of their thing); sql.c is
 * this toolkit. Calls go one way, store.c -> things.c -> budget.c ->
 * records.c -> sql.c (store.c also calls budget.c; reads.c -> values.c
 * -> store.c's srr_store_db): no file calls back into one that calls it.
 */
#ifndef SRR_STORE_PRIV_H
#define SRR_STORE_PRIV_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

#include "rules.h"
#include "schema.h"
#include "store.h"
#include "store_internal.h"

#define SRR_WRITER_ACTOR "srr-writer"
#define SRR_DEFAULT_TIMEBOX_S (7 * 86400) /* investigate without a time-box */
#define SRR_HISTORY_SIGHTINGS 1000        /* most recent sightings a decision sees */

/* A set of strings (the fingerprints of things known to be registered),
 * open addressing; bounded: past SRR_KNOWN_MAX it starts over. */
#define SRR_KNOWN_MAX (1u << 20)
typedef struct srr_strset {
    char **slot;
    size_t n, cap; /* cap: a power of two, or 0 */
} srr_strset;

/* 1 when s is in the set. */
int srr_strset_has(const srr_strset *set, const char *s);
/* Adds a copy of s (no-op when present). */
void srr_strset_add(srr_strset *set, const char *s);
/* Empties the set (keeping nothing). */
void srr_strset_clear(srr_strset *set);

/* An open store. Invariant: every q[i] is prepared and reset (no pending
 * row, no bindings) between calls into the store's files. */
struct srr_store {
    sqlite3 *db;
    sqlite3_stmt *q[Q__COUNT];
    const srr_ruleset *rules; /* borrowed; NULL: keep the producer's action */
    srr_buf text;             /* scratch for the JSON texts of one statement (jsonw.h):
                                 filled, bound SQLITE_STATIC, stepped, then reused */
    srr_apply_stats stream;   /* what the open stream transaction did (store_internal.h) */
    /* Things registered in committed transactions (their row exists), and
     * those the open transaction registered: moved over at COMMIT,
     * forgotten at ROLLBACK. Spares the writer a probe per observation. */
    srr_strset things, things_pending;
    char *pos_key; /* staged queue positions (srr_store_stage_position): written by */
    srr_queue_pos *pos; /* the next srr_st_commit before its COMMIT, then unstaged */
    size_t npos, cappos;
};

typedef enum { REC_RISK = 0, REC_BACKLOG, REC_INV } rec_kind;

extern const char *const SRR_ST_REC_NAME[3];   /* "risk", "backlog", "investigation" */
extern const char *const SRR_ST_REC_PREFIX[3]; /* "SRR-", "BL-", "INV-" */

/* SQLite's result code as srr's: BUSY/LOCKED -> SRR_RETRY, constraint and
 * type errors -> SRR_EINVAL, I/O and corruption -> SRR_EIO, else SRR_ERR. */
srr_rc srr_st_rc(int rc);
/* Sets err from the connection's last error ("store: what: message") and
 * returns its code (srr_st_rc). */
srr_rc srr_st_fail(srr_store *st, int rc, const char *what, srr_error *err);
/* "SRR-12", "BL-3", "INV-7". */
void srr_st_hid(rec_kind k, int64_t id, char out[32]);

/* Returns statement q with its parameters bound from `types`, one letter
 * per parameter: 't' text (NULL -> NULL), 'i' int64_t, 'r' reference id
 * (int64_t, <= 0 -> NULL), 'd' double, 'D' double (NaN -> NULL), 'b' blob
 * (pointer, size_t).
 * Strings are bound SQLITE_STATIC: they must outlive the step. The caller
 * finishes with srr_st_done(). NULL (err set) when binding failed. */
sqlite3_stmt *srr_st_prep(srr_store *st, enum srr_stmt_id q, srr_error *err, const char *types,
                          ...);
/* Resets a statement and clears its bindings. */
void srr_st_done(sqlite3_stmt *s);
/* Steps a statement without result rows to completion and resets it
 * (s NULL: returns err's code, a failed srr_st_prep). */
srr_rc srr_st_exec(srr_store *st, sqlite3_stmt *s, const char *what, srr_error *err);
/* Binds and runs prepared statement q in one go. */
#define ST_EXEC(st, q, err, ...)                                                                   \
    srr_st_exec((st), srr_st_prep((st), (q), (err), __VA_ARGS__), #q, (err))
/* Steps a query: 1 = a row is ready, 0 = done (statement reset), <0 =
 * error (*rc and err set, statement reset). */
int srr_st_next(srr_store *st, sqlite3_stmt *s, srr_rc *rc, srr_error *err);
/* srr_st_next for the first step of a statement fresh from srr_st_prep,
 * which may be NULL (its binding failed): then returns -1 with *rc err's
 * code. The caller finishes a row (1) with srr_st_done(). */
int srr_st_first(srr_store *st, sqlite3_stmt *s, srr_rc *rc, srr_error *err);
/* Column i of the current row as text (borrowed, may be NULL). */
const char *srr_st_text(sqlite3_stmt *s, int i);

/* JSON values for reads, new references: bytes that may not be UTF-8
 * (non-ASCII bytes of invalid input shown as '?'), a C string (NULL ->
 * null), epoch seconds as ISO-8601. */
json_t *srr_st_json_bytes(const char *p, size_t n);
json_t *srr_st_json_text(const char *s);
json_t *srr_st_json_time(int64_t t);
/* The current row as a JSON object keyed by column name: `id` becomes the
 * human id of `kind`, risk references "SRR-n", times ISO-8601, urgency its
 * name, labels an array, NULL null. New reference. */
json_t *srr_st_row_json(sqlite3_stmt *s, rec_kind kind);
/* Parses "SRR-12" / "srr-12" / "12" for the given kind. */
srr_rc srr_st_parse_id(const char *s, rec_kind kind, int64_t *out, srr_error *err);

void srr_st_stats_add(srr_apply_stats *dst, const srr_apply_stats *src);

/* BEGIN IMMEDIATE, COMMIT, and a ROLLBACK that tolerates no transaction. */
srr_rc srr_st_begin(srr_store *st, srr_error *err);
srr_rc srr_st_commit(srr_store *st, srr_error *err);
void srr_st_rollback(srr_store *st);

/* Appends an audit entry; before/after are JSON values (borrowed, may be
 * NULL) stored as compact text with sorted keys. srr_st_audit is the
 * writer's (actor srr-writer). */
srr_rc srr_st_audit_by(srr_store *st, int64_t now, const char *actor, const char *kind, int64_t id,
                       const char *action, json_t *before, json_t *after, const char *why,
                       srr_error *err);
srr_rc srr_st_audit(srr_store *st, int64_t now, const char *kind, int64_t id, const char *action,
                    json_t *before, json_t *after, const char *why, srr_error *err);
/* Appends a dated entry to a record's log section ("recognition" or
 * "countermeasure"). */
srr_rc srr_st_log(srr_store *st, rec_kind kind, int64_t id, const char *section, int64_t at,
                  const char *author, const char *text, srr_error *err);

/* The value an observation measured, or NaN when it measured none (a
 * group that sent no data in the window; a webhook alert without one). */
double srr_st_obs_value(const srr_signal *sig);

/* The time an observation is judged in: its window's end (a sweep), its
 * own date (an alert). */
int64_t srr_st_judged_at(const srr_signal *sig);

/* Starts a JSON text in the store's scratch buffer and returns it. It has
 * no max, so appending to it (jsonw.h) cannot fail; the text is valid
 * until the next srr_st_scratch(). */
srr_buf *srr_st_scratch(srr_store *st);

/* ---- records.c: writing records ------------------------------------------ */

/* What the final decision adds to a record beyond the candidate. */
typedef struct rec_extra {
    const char *labels; /* JSON array text or NULL */
    const char *impact, *likelihood;
    json_t *decision; /* {rule, effect, why, tried...} for the audit (borrowed) */
} rec_extra;

/* Creates a draft risk / a draft backlog item / an open investigation from
 * a candidate (the final decision's view of it), with its first evidence,
 * recognition log and audit entry; *out_id gets the new id. A risk with
 * reopened_from > 0 is the regression of that resolved risk. */
srr_rc srr_rec_create_risk(srr_store *st, const srr_candidate *c, const rec_extra *x,
                           int64_t reopened_from, int64_t now, int64_t *out_id, srr_error *err);
srr_rc srr_rec_create_backlog(srr_store *st, const srr_candidate *c, const rec_extra *x,
                              int64_t now, int64_t *out_id, srr_error *err);
srr_rc srr_rec_create_investigation(srr_store *st, const srr_candidate *c, const rec_extra *x,
                                    int64_t now, int64_t *out_id, srr_error *err);
/* Finds where an observation of thing `fp` belongs: its open record (a
 * risk, an open investigation, a backlog item, in that order), or the
 * open risk a merged risk of it was merged into. When there is none and
 * its latest risk (after merges) is resolved, *resolved gets its id.
 * *urgency (may be NULL) gets the open record's urgency (-1: unknown).
 * SRR_OK with *kind = -1 when no record. */
srr_rc srr_rec_find_target(srr_store *st, const char *fp, int *kind, int64_t *id, int64_t *resolved,
                           int *urgency, srr_error *err);
/* The writer's titles of thing fp's records (`base` + its member count)
 * follow a new member ("..., 2 pods" -> "..., 3 pods"); a title a person
 * changed is kept. */
srr_rc srr_rec_retitle(srr_store *st, const char *fp, const char *base, srr_error *err);
/* Creates the record a new-record effect makes: a regression of
 * reopened_from (> 0), else per eff->action; hid gets its human id ("" and
 * nothing created for `ignore`); counted in *stats; its thing's member
 * count filled in. */
srr_rc srr_rec_create(srr_store *st, const srr_candidate *eff, const rec_extra *x,
                      int64_t reopened_from, int64_t now, srr_apply_stats *stats, char hid[32],
                      srr_error *err);
/* Refreshes the member count of every record of thing fp. */
srr_rc srr_rec_refresh_members(srr_store *st, const char *fp, srr_error *err);
/* Appends the signal to an open record: evidence row, counters, audit. */
srr_rc srr_rec_attach(srr_store *st, const srr_candidate *c, rec_kind kind, int64_t id, int64_t now,
                      srr_error *err);
/* Updates a record with an observation of its thing: its latest and worst
 * value and latest status by the observation's own date, and (count = 1)
 * its occurrences and first/last seen when firing. */
srr_rc srr_rec_touch(srr_store *st, rec_kind kind, int64_t id, const srr_signal *sig, int count,
                     int64_t now, srr_error *err);

/* The fields of an investigation that a promotion needs, copied (owned;
 * release with srr_rec_inv_clear). */
typedef struct srr_inv_row {
    int64_t id, urgency, opened_at, deadline, first_seen, last_seen, occurrences;
    char *title, *service, *env, *fingerprint, *assignee, *last_status, *rule, *reason, *link,
        *origin, *labels, *status;
} srr_inv_row;

void srr_rec_inv_clear(srr_inv_row *r);
/* Reads investigation `id`; SRR_ENOTFOUND when there is none. */
srr_rc srr_rec_inv_load(srr_store *st, int64_t id, srr_inv_row *out, srr_error *err);
/* Promotes an open investigation to a draft risk (its log and evidence
 * carried over), audited with `why`; `by` (may be NULL) is the decision
 * that promoted it at once (a flapping rule): its rule, and its urgency
 * when higher, go to the risk. */
srr_rc srr_rec_promote(srr_store *st, const srr_inv_row *inv, int64_t now, const char *why,
                       const srr_decision *by, srr_error *err);
/* Closes an open investigation without a risk, audited with `why` and
 * (r may be NULL) the observation that decided it: clear since when, the
 * last value. */
srr_rc srr_rec_close_inv(srr_store *st, const srr_inv_row *inv, int64_t now, const char *why,
                         const srr_timebox_result *r, srr_error *err);

/* ---- budget.c: the draft budget of each sweep window -------------------------- */

/* The draft budget that applies to candidate c: the policy's
 * max_new_drafts for a sweep window's candidate, 0 (none) for an alert
 * or without a policy. */
size_t srr_budget_of(const srr_store *st, const srr_candidate *c);
/* A new record (eff, as the final decision has it; effect CREATE or
 * REGRESSION) of a sweep window: *admit = 1 when its window is closed and
 * has room (the caller creates it, then srr_budget_count), else it waits
 * in `pending` (the most urgent decision of the thing is kept) and counts
 * in stats->waiting. */
srr_rc srr_budget_take(srr_store *st, const srr_candidate *eff, const rec_extra *x,
                       srr_effect effect, int64_t resolved, int64_t now, int *admit,
                       srr_apply_stats *stats, srr_error *err);
/* Counts one record drafted in the window ending at window_end. */
srr_rc srr_budget_count(srr_store *st, int64_t window_end, srr_error *err);
/* Closes the window ending at window_end: the waiting drafts of it and of
 * earlier windows are drafted, most urgent first (then the longest
 * waiting), within what is left of its budget; the rest keep waiting. */
srr_rc srr_budget_close(srr_store *st, int64_t window_end, int64_t now, srr_apply_stats *stats,
                        srr_error *err);

/* ---- things.c: what an observation does ------------------------------------ */

/* Applies one candidate inside the caller's transaction: its thing, its
 * history, the final decision (rules/final.c), then the effect; adds to
 * *stats. */
srr_rc srr_things_apply(srr_store *st, const srr_candidate *c, int64_t now, srr_apply_stats *stats,
                        srr_error *err);

#endif
