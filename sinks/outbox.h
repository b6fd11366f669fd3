/* SPDX-License-Identifier: Apache-2.0
 *
 * outbox.h - the delivery loop of the outbox (DESIGN.md section 4b), what
 * `srr sync`, `srr serve` and `srr drain` run: for each sink configured
 * (a top-level section named after it, e.g. `notion:`), read the edits made
 * on its side (poll), then deliver every record changed since its last
 * delivery, in order per record, coalesced, with retries and backoff on
 * transient errors and parking on permanent ones. It never holds a store
 * transaction while a sink talks to its remote side, and it runs on its own
 * store connection, so the writer never waits on a remote API.
 *
 * The `sync` config section (its option table is in outbox.c) sets the
 * loop's pace: sync.interval, sync.max_backoff, sync.batch.
 */
#ifndef SRR_OUTBOX_H
#define SRR_OUTBOX_H

#include <jansson.h>
#include <signal.h>
#include <stdio.h>

#include "config.h"
#include "srr.h"
#include "store.h"

typedef struct srr_sync srr_sync;

/* What a run did (accumulated over its passes). */
typedef struct srr_sync_stats {
    size_t passes;
    size_t delivered;     /* records delivered to a sink */
    size_t failed;        /* transient failures (retried later) */
    size_t parked;        /* records parked on a permanent error */
    size_t edits_applied; /* remote edits applied through the workflow */
    size_t edits_refused; /* remote edits refused (put back with a note) */
    size_t edits_lost;    /* remote edits that lost against a later local change */
    size_t sink_errors;   /* a sink as a whole failed (unreachable, refused, not set up) */
} srr_sync_stats;

/* 1 when cfg configures at least one sink. */
int srr_sync_configured(const srr_config *cfg);

/* The names of the sinks cfg configures (their sections are there), at
 * most `max`, into names (static strings). Returns how many. No sink is
 * loaded or contacted (for the gauges of /metrics and sweep.textfile). */
size_t srr_sync_configured_names(const srr_config *cfg, const char **names, size_t max);

/* Checks the `sync` section and every sink section of cfg against their
 * option tables (for `srr config check`), without contacting anything.
 * Returns SRR_OK or SRR_EINVAL with file:line:col. */
srr_rc srr_sync_check_config(const srr_config *cfg, srr_error *err);

/* The option reference of the `sync` section and of every sink, as rows of
 * the table `srr config reference` prints (markdown), or roff items. */
void srr_sync_print_reference(FILE *out, int roff);

/* Builds the loop for cfg's sinks: loads the `sync` section and each
 * sink's options (SRR_EINVAL with file:line:col). `only` (may be NULL)
 * keeps a single sink by name. With `connect`, each sink is initialised now
 * (credentials, the remote schema): SRR_EINVAL (bad configuration, no
 * token) fails the open, while a sink that cannot reach its remote side
 * (SRR_RETRY, SRR_EAUTH) is kept and initialised again at its next pass.
 * Without, sinks are initialised at their first pass (`srr sync status`
 * needs no network). *out: free with srr_sync_close. */
srr_rc srr_sync_open(const srr_config *cfg, const char *only, int connect, srr_sync **out,
                     srr_error *err);
void srr_sync_close(srr_sync **s);

/* The names of the configured sinks (borrowed, valid until close). */
size_t srr_sync_sinks(const srr_sync *s, const char *const **names);

/* Runs the sink `name`'s setup callback (`srr notion setup`). SRR_ENOTFOUND
 * when that sink is not configured, SRR_EINVAL when it has no setup. */
srr_rc srr_sync_setup(srr_sync *s, const char *name, FILE *out, srr_error *err);

/* One pass at `now` over every sink: init (again) if needed, poll edits
 * when due, deliver what is due. Adds to *stats (may be NULL). *more is set
 * to 1 when records are still due right now (the pass stopped at its batch
 * size). Returns SRR_OK unless the store failed. */
srr_rc srr_sync_pass(srr_sync *s, srr_store *st, int64_t now, srr_sync_stats *stats, int *more,
                     srr_error *err);

/* Runs passes every sync.interval until *stop (may be NULL only with
 * once). With `once`: polls once and delivers until nothing is due now
 * (records waiting for a retry stay for a later run), then returns.
 * Opens its own connection to cfg's store. Returns SRR_OK, or the store's
 * error. */
srr_rc srr_sync_run(srr_sync *s, const srr_config *cfg, int once, volatile sig_atomic_t *stop,
                    srr_sync_stats *stats, srr_error *err);

/* `srr sync status`: srr_outbox_status for the configured sinks, plus each
 * sink's last error. New object, caller owns. */
srr_rc srr_sync_status(srr_sync *s, srr_store *st, json_t **out, srr_error *err);

#endif
