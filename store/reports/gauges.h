/* SPDX-License-Identifier: Apache-2.0
 *
 * gauges.h - the state of the records as Prometheus gauges, for the alerts
 * a team sets on srr itself: drafts waiting for a decision (and how old the
 * oldest is), investigations past their deadline (the deadline check is
 * not running), and when a live sweep last succeeded. `srr serve` appends
 * them to GET /metrics; `srr sweep` writes them to sweep.textfile, so a
 * sweep-only install has them too. With sinks configured, the outbox per
 * sink too: what waits to be delivered and since when. Read through a
 * read-only connection: a scrape never creates or migrates the store.
 */
#ifndef SRR_GAUGES_H
#define SRR_GAUGES_H

#include <stdint.h>

#include "srr.h"

typedef struct srr_gauges {
    int have_store;                  /* 0: no store file; nothing below is known */
    long long drafts_risk;           /* risks in draft */
    long long drafts_backlog;        /* backlog items in draft */
    int64_t oldest_draft_at;         /* creation of the oldest draft, 0 when none */
    long long investigations_overdue; /* open investigations past their deadline */
    int64_t last_sweep_success;      /* end of the last live sweep without a failure, 0: never */
} srr_gauges;

/* Reads the gauges from the store at db_path as of `now`. A missing file
 * is not an error (have_store 0). Returns SRR_OK or SRR_EIO. */
srr_rc srr_gauges_read(const char *db_path, int64_t now, srr_gauges *g, srr_error *err);

/* Appends the gauges in the Prometheus text format (HELP and TYPE lines,
 * one sample each; nothing when have_store is 0). */
void srr_gauges_write(const srr_gauges *g, int64_t now, srr_buf *out);

/* The outbox as one sink sees it: records whose latest change it has not
 * delivered (parked ones included), the parked ones, and when the oldest
 * change it has not delivered was made (0: none). */
typedef struct srr_sink_gauge {
    const char *sink; /* borrowed from the caller's names */
    long long pending;
    long long parked;
    int64_t oldest_at;
} srr_sink_gauge;

/* Reads out[i] for each of the n sink names from the store at db_path (a
 * read-only connection; a store without an outbox leaves zeros). A
 * missing file is not an error. Returns SRR_OK or SRR_EIO. */
srr_rc srr_gauges_read_sinks(const char *db_path, const char *const *names, size_t n,
                             srr_sink_gauge *out, srr_error *err);

/* Appends srr_outbox_pending{sink}, srr_outbox_parked{sink} and
 * srr_outbox_oldest_pending_age_seconds{sink} (nothing when n is 0). */
void srr_gauges_write_sinks(const srr_sink_gauge *g, size_t n, int64_t now, srr_buf *out);

#endif
