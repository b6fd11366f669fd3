/* SPDX-License-Identifier: Apache-2.0
 *
 * review.h - the monthly review (issue 7, DESIGN.md section 1 "Cadence"):
 * one report that runs the monthly meeting. Every open and mitigating risk
 * with its assignee, next action and how long since a person last moved
 * it; drafts waiting and their age; open risks nobody is assigned to;
 * records new, resolved and accepted in the period; investigations
 * opened, promoted and closed in it; open risks nobody touched for
 * team.stale_after; risks whose signal has not recurred for some weeks
 * (suggest resolve or accept); accepted risks past their review date;
 * low-urgency items untouched for 90 days (suggest retire); each active
 * record's value window by window; load per person and skew; counts by
 * service; risks by status at the end of each of the last months (for the
 * chart). Each record it names carries its links: its Notion page when
 * synced, its Datadog link. The period is a calendar month or any range
 * (--from/--to, --last 5w).
 *
 * The report is data (JSON); cmd/review.c renders it as a table, Markdown
 * or a self-contained HTML page with SVG charts (cmd/review_html.c).
 */
#ifndef SRR_REVIEW_H
#define SRR_REVIEW_H

#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "srr.h"
#include "store.h"

/* What the report is for: a calendar month (`month`, or the month of `now`
 * when nothing else is given), or a period not cut by months: the last
 * `last_s` seconds up to now, or [from, to). */
typedef struct srr_review_opts {
    const char *month;  /* "YYYY-MM"; NULL = a period below, else the month of `now` */
    int64_t from, to;   /* [from, to) epoch seconds when from > 0 (to 0 = up to now) */
    int64_t last_s;     /* > 0: the period is (now - last_s, now] */
    int64_t now;        /* the clock; the report is "as of" min(now, end of the period) */
    int64_t quiet_s;    /* no recurrence for this long -> suggest (0 = 4 weeks) */
    int64_t retire_s;   /* low urgency untouched this long -> retire (0 = 90 days) */
    int history_months; /* months (or periods) in the status history (0 = 6) */
} srr_review_opts;

/* Builds the report. *out gets a new object the caller json_decref's:
 * {period: {kind "month"|"range", label, from, to}, month (a month's
 *  review only), from, to, as_of, stale_after_days, quiet_weeks,
 *  retire_after_days;
 *  arrays of records: drafts, unowned, open_risks (every open and
 *  mitigating risk: assignee, next action, when a person last moved it
 *  and how many days ago), new, resolved, accepted, stale, quiet,
 *  review_due, retire, things (each active record's value window by
 *  window), investigations_opened, investigations_promoted,
 *  investigations_closed (in the period);
 *  records: {ID: the detail of every record a section names: title,
 *  status, assignee, next action, datadog_url, notion_url (its page when
 *  the Notion sink synced it), link (notion_url, else "#ID", its detail
 *  in the page) and thing (its value over the last windows up to as_of,
 *  store/values.c)};
 *  load (srr_wf_team_load), by_service, history (risks by status at the
 *  end of each of the last months, or of periods as long as this one),
 *  counts}. Every time is ISO-8601 UTC. Returns SRR_EINVAL for a
 *  malformed month or an empty or reversed period, else a store error. */
srr_rc srr_review_build(srr_store *st, const srr_team_config *team, const srr_review_opts *o,
                        json_t **out, srr_error *err);

/* Parses "YYYY-MM" into [*from, *to) epoch seconds (UTC). SRR_EINVAL. */
srr_rc srr_review_month(const char *month, int64_t *from, int64_t *to);

/* Parses a bound of a period: "YYYY-MM-DD" (midnight UTC; with `end` the
 * day is included, so the bound is the next midnight) or an ISO-8601 time
 * ("2026-11-02T06:00:00Z", taken as it is). SRR_EINVAL otherwise. */
srr_rc srr_review_day(const char *text, int end, int64_t *out);

#endif
