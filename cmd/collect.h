/* SPDX-License-Identifier: Apache-2.0
 *
 * collect.h - the collection phase of a sweep, shared by `srr sweep` and
 * `srr policy test`: run every configured check against Datadog (live or a
 * recording) over its window and turn the answers into signals.
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
    srr_rc rc;              /* SRR_OK, or why the check failed */
    char error[1024];       /* message when rc != SRR_OK */
    int64_t window_start;   /* epoch seconds */
    int64_t window_end;
    size_t nresults;        /* series (metrics) or events (logs) received */
    size_t first_signal;    /* its signals are sigs->v[first_signal .. +nsignals) */
    size_t nsignals;
} srr_check_report;

/* Runs every check of cfg over the window ending at `end` (each check looks
 * back its own window_s), appending the signals to *sigs and filling
 * reports[0 .. cfg->nchecks) (caller-allocated). A failing check does not stop
 * the others. Returns the number of checks that failed. */
size_t srr_collect_all(const srr_config *cfg, const srr_ruleset *rs, srr_dd_client *dd,
                       int64_t end, srr_signal_list *sigs, srr_check_report *reports);

#endif
