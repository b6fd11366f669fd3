/* SPDX-License-Identifier: Apache-2.0
 *
 * collect.h - the collection phase of a sweep, shared by `srr sweep` and
 * `srr policy test`: run every configured check against Datadog (live or a
 * recording) over its window and turn the answers into signals.
 *
 * What each check asks, by its condition's measure:
 *   max/min/avg/last/sum/pNN/growth  the window's points (v2 batch or v1);
 *   spike                            the previous window and this one;
 *   count                            an aggregate of this window, then, when
 *                                    a group fires, one page of 10 recent
 *                                    events for sample messages;
 *   change                           aggregates of the previous window and
 *                                    this one (+ samples as for count);
 *   spike (logs)                     counts per interval of the previous
 *                                    window and this one (aggregate
 *                                    timeseries), + samples of the peak;
 *   new_pattern                      every event of the previous window and
 *                                    of this one, page by page.
 */
#ifndef SRR_COLLECT_H
#define SRR_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "datadog.h"
#include "rules.h"

/* What one check's run produced. */
typedef struct srr_check_report {
    const srr_check *check;
    srr_rc rc;              /* SRR_OK, or why the check failed (SRR_EPARTIAL: Datadog's
                               answer was partial and sweep.on_partial is fail) */
    char error[1024];       /* message when rc != SRR_OK, or why it is partial */
    int partial;            /* rc SRR_OK, but kept from a partial answer (on_partial: keep) */
    int64_t window_start;   /* epoch seconds */
    int64_t window_end;
    size_t nresults;        /* series (metrics) or events (logs) received */
    size_t first_signal;    /* its signals are sigs->v[first_signal .. +nsignals) */
    size_t nsignals;
    const char *measure;    /* the condition's measure ("max", "spike", ...); static */
    const char *how;        /* what was asked: "v2 batch", "v1", "aggregate", "search" */
} srr_check_report;

/* One window of one check: cfg->checks[check] over
 * [window_end - window_s, window_end). `known` (borrowed, may be NULL):
 * the check's things the store follows (srr_detect_ctx.known), each of
 * which gets an observation, firing or clear. */
typedef struct srr_collect_job {
    size_t check;
    int64_t window_end;
    const char *const *known;
    size_t nknown;
} srr_collect_job;

/* Runs every check of cfg over the window ending at `end` (each check looks
 * back its own window_s), appending the signals to *sigs and filling
 * reports[0 .. cfg->nchecks) (caller-allocated). A failing check does not stop
 * the others. Returns the number of checks that failed. */
size_t srr_collect_all(const srr_config *cfg, const srr_ruleset *rs, srr_dd_client *dd,
                       int64_t end, srr_signal_list *sigs, srr_check_report *reports);

/* Runs the jobs concurrently (metric checks sharing a window batched into
 * one request; see datadog.h) and fills reports[0 .. njobs) in job order;
 * signals are appended in job order whatever order the answers came in.
 * The jobs of one check run one after the other, in the order given.
 * Returns the number of jobs that failed. */
size_t srr_collect_jobs(const srr_config *cfg, const srr_ruleset *rs, srr_dd_client *dd,
                        const srr_collect_job *jobs, size_t njobs, srr_signal_list *sigs,
                        srr_check_report *reports);

#endif
