/* SPDX-License-Identifier: Apache-2.0
 *
 * collect.c - runs the configured checks (metric queries and log searches)
 * through the Datadog client and the rules' detectors; see collect.h.
 */
#include "collect.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

static int log_cb(void *ud, const srr_log_event *ev)
{
    srr_log_counter_add(ud, ev);
    return 0;
}

/* Runs one check over [start, end) and appends its signals. */
static srr_rc run_check(const srr_config *cfg, const srr_ruleset *rs, srr_dd_client *dd,
                        size_t idx, int64_t start, int64_t end, srr_signal_list *sigs,
                        size_t *nresults, srr_error *err)
{
    const srr_check *ck = &cfg->checks[idx];
    srr_detect_ctx ctx = {idx, start, end, NULL};
    char *link;
    srr_rc rc;
    if (ck->source == SRR_SRC_METRICS) {
        srr_metric_result res;
        memset(&res, 0, sizeof(res));
        link = srr_dd_link_metrics(cfg->datadog.site, ck->query, start, end);
        ctx.link = link;
        rc = srr_dd_query_metrics(dd, ck->name, ck->query, start, end, &res, err);
        if (rc == SRR_OK) {
            *nresults = res.nseries;
            rc = srr_detect_metrics(rs, &ctx, &res, sigs, err);
        }
        srr_metric_result_clear(&res);
    } else {
        srr_log_counter *lc;
        link = srr_dd_link_logs(cfg->datadog.site, ck->query, start, end);
        ctx.link = link;
        lc = srr_log_counter_create(rs, &ctx);
        rc = srr_dd_search_logs(dd, ck->name, ck->query, start, end, log_cb, lc, nresults, err);
        if (rc == SRR_OK)
            rc = srr_log_counter_finish(lc, sigs, err);
        srr_log_counter_destroy(lc);
    }
    free(link);
    return rc;
}

size_t srr_collect_all(const srr_config *cfg, const srr_ruleset *rs, srr_dd_client *dd,
                       int64_t end, srr_signal_list *sigs, srr_check_report *reports)
{
    size_t i, failed = 0;
    for (i = 0; i < cfg->nchecks; i++) {
        srr_check_report *r = &reports[i];
        srr_error cerr = {0};
        memset(r, 0, sizeof(*r));
        r->check = &cfg->checks[i];
        r->window_end = end;
        r->window_start = end - cfg->checks[i].window_s;
        r->first_signal = sigs->n;
        r->rc = run_check(cfg, rs, dd, i, r->window_start, end, sigs, &r->nresults, &cerr);
        if (r->rc != SRR_OK) {
            /* Keep nothing half-detected from a failed check. */
            while (sigs->n > r->first_signal)
                srr_signal_clear(&sigs->v[--sigs->n]);
            snprintf(r->error, sizeof(r->error), "%s", cerr.msg);
            srr_err("check %s failed: %s", cfg->checks[i].name, cerr.msg);
            failed++;
            continue;
        }
        r->nsignals = sigs->n - r->first_signal;
    }
    return failed;
}
