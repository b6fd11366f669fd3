/* SPDX-License-Identifier: Apache-2.0
 *
 * sweep_state.h - how far the sweep got, per check: the end of the last
 * window that completed (table sweep_state of the SQLite store). The sweep
 * reads it to plan catch-up after downtime and writes it after each check's
 * windows succeed, so a crash or a restart neither skips a window nor
 * floods with catch-up. It also lists the things of a check the store
 * follows, so the sweep can say of each whether it is fine now.
 */
#ifndef SRR_STORE_SWEEP_STATE_H
#define SRR_STORE_SWEEP_STATE_H

#include <stdint.h>

#include "srr.h"

typedef struct srr_sweep_state srr_sweep_state;

/* The row of sweep_state that holds when the last live sweep without a
 * failure ended (a name no check can have: check names have no '('). */
#define SRR_SWEEP_STATE_LAST_SUCCESS "(last-success)"

/* Opens the store at `path` (creating and migrating it like srr_store_open)
 * and keeps one connection for the state. On success *out must be closed
 * with srr_sweep_state_close(). Errors: SRR_EIO with the path and SQLite's
 * message. */
srr_rc srr_sweep_state_open(const char *path, srr_sweep_state **out, srr_error *err);
/* Closes and sets *s to NULL. NULL-tolerant. */
void srr_sweep_state_close(srr_sweep_state **s);

/* Reads the last completed window end (epoch seconds) of `check`.
 * Returns SRR_OK, SRR_ENOTFOUND when the check never completed a window,
 * SRR_EIO on a database error. */
srr_rc srr_sweep_state_get(srr_sweep_state *s, const char *check, int64_t *last_end,
                           srr_error *err);
/* Records that `check` completed the window ending at `end`; the stored
 * value never moves backwards. Returns SRR_OK or SRR_EIO. */
srr_rc srr_sweep_state_set(srr_sweep_state *s, const char *check, int64_t end, srr_error *err);
/* Records that a live sweep ended at `at` without a failure (read back by
 * the srr_sweep_last_success_timestamp_seconds gauge). SRR_OK or SRR_EIO. */
srr_rc srr_sweep_state_mark_success(srr_sweep_state *s, int64_t at, srr_error *err);

/* The things of `check` the store follows (srr_detect_ctx.known): those
 * that fired since `since` or have an open record or a waiting draft,
 * as their group tags (srr_identity.tags), sorted by strcmp. On SRR_OK
 * *out is an array of *n strings (NULL when none): free each and the
 * array. SRR_EIO on a database error. */
srr_rc srr_sweep_state_known(srr_sweep_state *s, const char *check, int64_t since, char ***out,
                             size_t *n, srr_error *err);

/* The new records waiting for a window's draft budget (over budget: kept,
 * drafted by a later window), most urgent first: calls fn(ud, action,
 * urgency, title, window_end) for each. SRR_EIO on a database error. */
srr_rc srr_sweep_state_waiting(srr_sweep_state *s,
                               void (*fn)(void *ud, const char *action, int urgency,
                                          const char *title, int64_t window_end),
                               void *ud, srr_error *err);

#endif
