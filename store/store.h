/* SPDX-License-Identifier: Apache-2.0
 *
 * store.h - the SQLite system of record: risks (every SRR section and
 * property), backlog items, investigations, evidence, compact sightings,
 * processed candidate ids, quarantine (dead letters) and the append-only
 * audit log. Schema changes are migrations keyed by PRAGMA user_version.
 *
 * All SQL uses bound parameters. One srr_store is used by one thread.
 */
#ifndef SRR_STORE_H
#define SRR_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "candidate.h"
#include "rules.h"
#include "srr.h"

typedef struct srr_store srr_store;

/* Opens (creating if needed) the SQLite file at `path`, sets WAL mode and a
 * busy timeout, and applies pending migrations. Returns SRR_EIO when the
 * file cannot be opened, SRR_EINVAL when its schema is newer than this
 * binary knows. On success *out must be closed with srr_store_close(). */
srr_rc srr_store_open(const char *path, srr_store **out, srr_error *err);
/* Closes and sets *st to NULL. NULL-tolerant. */
void srr_store_close(srr_store **st);
/* Current schema version (PRAGMA user_version). */
int srr_store_schema_version(srr_store *st);

/* What applying candidates did. */
typedef struct srr_apply_stats {
    size_t received;       /* candidates given */
    size_t duplicates;     /* id already stored: nothing changed */
    size_t new_risks;      /* draft risks created */
    size_t new_backlog;    /* draft backlog items created */
    size_t new_investigations;
    size_t evidence;       /* attached to an open record */
    size_t ignored;        /* action ignore: sighting kept, no record */
    size_t promoted;       /* investigations promoted to draft risks */
    size_t closed;         /* investigations closed without a risk */
    size_t quarantined;    /* poison messages */
    size_t untracked;      /* clear observations of things never seen firing: not kept */
    size_t waiting;        /* new records of a sweep window waiting for its draft budget */
} srr_apply_stats;

/* Adds the counts of src to dst (dst may be NULL). */
void srr_apply_stats_add(srr_apply_stats *dst, const srr_apply_stats *src);

/* Applies candidates in ONE transaction (DESIGN.md "Writer semantics"):
 * a known id changes nothing; a fingerprint with an open record gets the
 * signal as evidence; otherwise a record is created per the action (risk ->
 * draft risk, backlog -> draft backlog item, investigate -> investigation
 * with deadline = now + timebox, ignore -> only a sighting). Every sighting is
 * kept compactly. Adds to *stats (may be NULL). On failure the transaction is
 * rolled back and nothing is applied. */
srr_rc srr_store_apply(srr_store *st, const srr_candidate *c, size_t n, int64_t now,
                       srr_apply_stats *stats, srr_error *err);

/* The policy the writer decides with (DESIGN.md section 3): with it, every
 * candidate is decided again with the fingerprint's history (recurrence,
 * flapping, open records, investigation outcomes) by the same pure rules
 * code the producer ran; without it (NULL, the default) the producer's
 * proposed action is kept and only the record semantics apply. The store
 * borrows `rs`, which must outlive it (or be unset first). */
void srr_store_set_rules(srr_store *st, const srr_ruleset *rs);

/* The history the writer would decide a candidate of `fingerprint` with at
 * time `now`: its open record, investigation outcomes, a resolved risk and
 * its latest sightings (up to 1000, oldest first, in *sightings: the
 * caller frees it; h->sightings points into it). For `srr policy explain
 * --history`. Returns SRR_OK (an unknown fingerprint has an empty history)
 * or the store's error. */
srr_rc srr_store_history(srr_store *st, const char *fingerprint, int64_t now, srr_history *h,
                         srr_sighting **sightings, srr_error *err);

/* An engineer resolves an open investigation (id "INV-3" or "3") before or
 * after its time-box: outcome "fixed", "backlog" (needs `link`, the ticket:
 * an accepted backlog item is created with the investigation's evidence, so
 * later sightings attach to it) or "noise" (later sightings stay sightings
 * for SRR_NOISE_QUIET_S). It closes without a risk; `actor` and `note`
 * (may be NULL) go to the investigation's log and the audit. Returns
 * SRR_ENOTFOUND for an unknown id, SRR_ECONFLICT when it is not open,
 * SRR_EINVAL for a bad outcome or a backlog outcome without a link. */
srr_rc srr_store_investigation_resolve(srr_store *st, const char *id, const char *outcome,
                                       const char *link, const char *actor, const char *note,
                                       int64_t now, srr_error *err);

/* Records a poison message (payload kept verbatim, bounded) with its reason. */
srr_rc srr_store_quarantine(srr_store *st, const char *origin, const char *payload, size_t len,
                            const char *reason, int64_t now, srr_error *err);

/* Judges the open investigations whose deadline <= now by their thing's
 * observations (srr_rules_timebox): promoted to a draft risk when the
 * first observation judged at or after the deadline fires (the
 * investigation's log becomes the risk's recognition log, the verdict its
 * "why"), closed without a risk when it is clear (audited: clear since
 * when, the last value); a monitor's by its last alert up to the
 * deadline; one not observed since waits (SRR_TIMEBOX_GRACE_S). Safe to
 * call with the clock's time. */
srr_rc srr_store_check_deadlines(srr_store *st, int64_t now, srr_apply_stats *stats,
                                 srr_error *err);

/* Closes the sweep window ending at `window_end`, once its candidates are
 * applied (DESIGN.md section 3, "Time"): investigations are judged with
 * the window's end as "now" (srr_store_check_deadlines), then the new
 * records waiting for its draft budget are drafted, most urgent first,
 * within max_new_drafts (the rest keep waiting for a later window; see
 * store/budget.c). An earlier window with drafts waiting that was never
 * closed is closed first. Adds what it did to *stats. */
srr_rc srr_store_close_window(srr_store *st, int64_t window_end, srr_apply_stats *stats,
                              srr_error *err);
/* Closes, oldest first, every window up to `now` with drafts waiting that
 * was never closed and received no candidate for quiet_s seconds (the
 * writer's, when the sweep did not drain: --no-drain, Kafka). */
srr_rc srr_store_close_waiting(srr_store *st, int64_t now, int64_t quiet_s, srr_apply_stats *stats,
                               srr_error *err);

/* The thing behind fingerprint `fp` with its value over time (values.c):
 * {fingerprint, source, check, group, title, unit, members: [...],
 * windows: [{at, status, value, value_text, firing_members, members,
 * days_to_limit}] (the last `max` times it was observed, oldest first),
 * chart (a sparkline of those values), latest, worst (with _text), and
 * quiet measured: last_observed, last_fired, clear_since, clear_windows}.
 * days_to_limit comes from the evidence of record (kind "risk",
 * "backlog", "investigation"; NULL: none). *out is NULL (SRR_OK) for a
 * fingerprint stored before things existed. Caller owns *out. */
srr_rc srr_store_thing_of(srr_store *st, const char *fp, const char *kind, int64_t id, size_t max,
                          json_t **out, srr_error *err);
/* The same as observed up to `until` (epoch seconds, inclusive): what a
 * report for a past period shows. */
srr_rc srr_store_thing_until(srr_store *st, const char *fp, const char *kind, int64_t id,
                             size_t max, int64_t until, json_t **out, srr_error *err);

/* Reads. Each returns a new JSON value the caller owns (json_decref).
 * A record's read carries its "thing" (srr_store_thing_of) when it has
 * one. `status` filters by status (NULL = all). Ids accept "SRR-12" or "12"
 * (resp. "BL-7", "INV-3"); an unknown id returns SRR_ENOTFOUND. */
srr_rc srr_store_risks_list(srr_store *st, const char *status, json_t **out, srr_error *err);
srr_rc srr_store_risk_get(srr_store *st, const char *id, json_t **out, srr_error *err);
srr_rc srr_store_backlog_list(srr_store *st, const char *status, json_t **out, srr_error *err);
srr_rc srr_store_backlog_get(srr_store *st, const char *id, json_t **out, srr_error *err);
srr_rc srr_store_investigations_list(srr_store *st, const char *status, json_t **out,
                                     srr_error *err);
/* One investigation with its log, evidence and thing ("INV-3" or "3"). */
srr_rc srr_store_investigation_get(srr_store *st, const char *id, json_t **out, srr_error *err);
srr_rc srr_store_quarantine_list(srr_store *st, json_t **out, srr_error *err);

#endif
