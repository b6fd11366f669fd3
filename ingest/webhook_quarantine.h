/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook_quarantine.h - the webhook receiver's quarantine (internal to
 * ingest/): the raw bodies it could not turn into alerts, kept for
 * inspection as NAME.body (the bytes as received) and NAME.json (time,
 * reason, content type, size), bounded by webhook.quarantine_max_bodies
 * and webhook.quarantine_max_bytes.
 *
 * The count and size follow the directory, not a number kept since start:
 * they are read again from it at most once a second (every 100 ms while
 * full), so an operator who clears it is obeyed without a restart, and two
 * receivers sharing it both respect the bound.
 */
#ifndef SRR_WEBHOOK_QUARANTINE_H
#define SRR_WEBHOOK_QUARANTINE_H

#include <stddef.h>

#include "srr.h"

typedef struct srr_quarantine srr_quarantine;

/* Creates the directory if needed and reads what it holds. Returns SRR_OK
 * (*out freed with srr_quarantine_destroy) or the mkdir error. */
srr_rc srr_quarantine_open(const char *dir, size_t max_bodies, long long max_bytes,
                           srr_quarantine **out, srr_error *err);
void srr_quarantine_destroy(srr_quarantine **q);

/* Keeps one body. Returns SRR_OK when both files are written (the caller
 * may answer 400), SRR_RETRY when the quarantine is full (nothing
 * written; err says how full), SRR_EIO when the files cannot be written
 * (nothing of them is left). `reason` and `content_type` are copied into
 * the .json file. */
srr_rc srr_quarantine_keep(srr_quarantine *q, const char *body, size_t len,
                           const char *content_type, const char *reason, srr_error *err);

/* What the directory holds (re-read when stale) and whether it is full.
 * Returns 1 when full (err then says why), else 0. */
int srr_quarantine_state(srr_quarantine *q, size_t *bodies, long long *bytes, srr_error *err);

/* Appends the quarantine's Prometheus metrics (bodies, bytes, full, kept). */
void srr_quarantine_metrics(srr_quarantine *q, srr_buf *out);

#endif
