/* SPDX-License-Identifier: Apache-2.0
 *
 * review.h - the monthly review (issue 7, DESIGN.md section 1 "Cadence"):
 * one report that answers what the monthly meeting asks. Drafts waiting and
 * their age; open risks nobody is assigned to; records new, resolved and
 * accepted in the month; open risks nobody touched for team.stale_after; risks whose signal has not recurred
 * for some weeks (suggest resolve or accept); accepted risks past their
 * review date; low-urgency items untouched for 90 days (suggest retire);
 * load per person and skew; counts by service; risks by status at the end
 * of each of the last months (for the chart).
 *
 * The report is data (JSON); cmd/review.c renders it as a table, Markdown
 * or a self-contained HTML page with SVG charts.
 */
#ifndef SRR_REVIEW_H
#define SRR_REVIEW_H

#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "srr.h"
#include "store.h"

/* What the report is for. */
typedef struct srr_review_opts {
    const char *month;  /* "YYYY-MM"; NULL = the month of `now` */
    int64_t now;        /* the clock; the report is "as of" min(now, month end) */
    int64_t quiet_s;    /* no recurrence for this long -> suggest (0 = 4 weeks) */
    int64_t retire_s;   /* low urgency untouched this long -> retire (0 = 90 days) */
    int history_months; /* months in the status history (0 = 6) */
} srr_review_opts;

/* Builds the report. *out gets a new object the caller json_decref's:
 * {month, from, to, as_of, stale_after_days, quiet_weeks, retire_after_days,
 *  drafts, unowned, new, resolved, accepted, stale, quiet, review_due, retire
 *  (arrays of records), load (srr_wf_team_load), by_service, history,
 *  counts}. Returns SRR_EINVAL for a malformed month, else a store error. */
srr_rc srr_review_build(srr_store *st, const srr_team_config *team, const srr_review_opts *o,
                        json_t **out, srr_error *err);

/* Parses "YYYY-MM" into [*from, *to) epoch seconds (UTC). SRR_EINVAL. */
srr_rc srr_review_month(const char *month, int64_t *from, int64_t *to);

#endif
