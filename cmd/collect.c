/* SPDX-License-Identifier: Apache-2.0
 *
 * collect.c - runs the configured checks through the Datadog client's run
 * API (everything in flight together, bounded by datadog.max_concurrency)
 * and feeds the answers to the rules' detectors; see collect.h.
 *
 * Each job has its own context and its own signal list, filled by callbacks
 * in whatever order the answers arrive; the lists are appended to the
 * caller's in job order at the end, so the output is deterministic.
 */
#include "collect.h"

#include <stdlib.h>
#include <string.h>

#include "detectors.h"
#include "log.h"

#define SAMPLE_EVENTS 10

typedef struct job_ctx {
    const srr_config *cfg;
    const srr_ruleset *rs;
    srr_dd_run *run;
    srr_check_report *r;
    const srr_check *ck;
    srr_detect_ctx ctx;
    char *link;
    const char *measure;
    int pending;
    int finished;
    srr_rc rc;
    srr_error err;
    srr_signal_list sigs;
    srr_log_counter *lc;
    srr_pattern_detector *pd;
} job_ctx;

static void fail_job(job_ctx *j, srr_rc rc, const srr_error *err)
{
    if (j->rc != SRR_OK)
        return; /* keep the first reason */
    j->rc = rc ? rc : SRR_ERR;
    if (err && err->msg[0])
        j->err = *err;
    else
        srr_error_set(&j->err, j->rc, "check '%s' failed", j->ck->name);
}

/* Called when a job's last piece of work ends: runs the final detector. */
static void settle(job_ctx *j)
{
    if (j->pending > 0 || j->finished)
        return;
    j->finished = 1;
    if (j->rc != SRR_OK)
        return;
    srr_error err = {0};
    srr_rc rc = SRR_OK;
    if (j->pd)
        rc = srr_pattern_finish(j->pd, &j->sigs, &err);
    else if (j->lc)
        rc = srr_log_counter_finish(j->lc, &j->sigs, &err);
    if (rc != SRR_OK)
        fail_job(j, rc, &err);
}

/* ---- metrics ---- */

static void on_metrics(void *ud, srr_rc rc, srr_metric_result *res, const srr_error *err)
{
    job_ctx *j = ud;
    j->pending--;
    if (rc != SRR_OK) {
        fail_job(j, rc, err);
    } else {
        srr_error derr = {0};
        j->r->nresults += res->nseries;
        srr_rc d = srr_detect_metrics(j->rs, &j->ctx, res, &j->sigs, &derr);
        if (d != SRR_OK)
            fail_job(j, d, &derr);
    }
    settle(j);
}

/* ---- logs ---- */

static void on_done(void *ud, srr_rc rc, size_t n, const srr_error *err)
{
    job_ctx *j = ud;
    (void)n;
    j->pending--;
    if (rc != SRR_OK)
        fail_job(j, rc, err);
    settle(j);
}

static int on_bucket(void *ud, const char *const *values, size_t n, double count)
{
    job_ctx *j = ud;
    srr_log_counter_add_group(j->lc, values, n, count);
    j->r->nresults += (size_t)(count > 0 ? count : 0);
    return 0;
}

static int on_prev_bucket(void *ud, const char *const *values, size_t n, double count)
{
    job_ctx *j = ud;
    srr_log_counter_add_prev_group(j->lc, values, n, count);
    return 0;
}

static int on_sample(void *ud, const srr_log_event *ev)
{
    job_ctx *j = ud;
    srr_log_counter_add_sample(j->lc, ev);
    return 0;
}

/* The current window's counts are in: fetch a few samples when a group
 * fires, so the record shows what the messages say. */
static void on_counts_done(void *ud, srr_rc rc, size_t n, const srr_error *err)
{
    job_ctx *j = ud;
    if (rc == SRR_OK && j->rc == SRR_OK && srr_log_counter_fires(j->lc)) {
        j->pending++;
        srr_dd_run_logs(j->run, j->ck->name, j->ck->query, j->ctx.window_start,
                        j->ctx.window_end, SAMPLE_EVENTS, 1, 1, on_sample, on_done, j);
    }
    on_done(ud, rc, n, err);
}

static int on_prev_event(void *ud, const srr_log_event *ev)
{
    job_ctx *j = ud;
    srr_pattern_add_prev(j->pd, ev);
    return 0;
}

static int on_event(void *ud, const srr_log_event *ev)
{
    job_ctx *j = ud;
    srr_pattern_add(j->pd, ev);
    j->r->nresults++;
    return 0;
}

/* Adds the work of one job to the run. */
static void plan_job(job_ctx *j)
{
    const srr_check *ck = j->ck;
    int64_t start = j->ctx.window_start, end = j->ctx.window_end, w = end - start;
    const char *m = j->measure;
    if (ck->source == SRR_SRC_METRICS) {
        int64_t from = strcmp(m, "spike") == 0 ? start - w : start;
        j->link = srr_dd_link_metrics(j->cfg->datadog.site, ck->query, from, end);
        j->ctx.link = j->link;
        j->r->how = srr_dd_query_is_v2(ck->query) ? "v2" : "v1";
        j->pending++;
        srr_dd_run_metrics(j->run, ck->name, ck->query, from, end, on_metrics, j);
        return;
    }
    j->link = srr_dd_link_logs(j->cfg->datadog.site, ck->query, start, end);
    j->ctx.link = j->link;
    if (strcmp(m, "new_pattern") == 0) {
        j->r->how = "search";
        j->pd = srr_pattern_detector_create(j->rs, &j->ctx);
        j->pending += 2;
        srr_dd_run_logs(j->run, ck->name, ck->query, start - w, start, 0, 0, 0, on_prev_event,
                        on_done, j);
        srr_dd_run_logs(j->run, ck->name, ck->query, start, end, 0, 0, 0, on_event, on_done, j);
        return;
    }
    j->r->how = "aggregate";
    j->lc = srr_log_counter_create(j->rs, &j->ctx);
    if (strcmp(m, "change") == 0) {
        j->pending++;
        srr_dd_run_aggregate(j->run, ck->name, ck->query, (const char *const *)ck->group_by,
                             ck->ngroup_by, start - w, start, on_prev_bucket, on_done, j);
    }
    j->pending++;
    srr_dd_run_aggregate(j->run, ck->name, ck->query, (const char *const *)ck->group_by,
                         ck->ngroup_by, start, end, on_bucket, on_counts_done, j);
}

size_t srr_collect_jobs(const srr_config *cfg, const srr_ruleset *rs, srr_dd_client *dd,
                        const srr_collect_job *jobs, size_t njobs, srr_signal_list *sigs,
                        srr_check_report *reports)
{
    size_t i, failed = 0;
    job_ctx *js = srr_calloc(njobs ? njobs : 1, sizeof *js);
    srr_dd_run *run = srr_dd_run_create(dd);
    srr_error rerr = {0};

    for (i = 0; i < njobs; i++) {
        job_ctx *j = &js[i];
        srr_check_report *r = &reports[i];
        const srr_check *ck = &cfg->checks[jobs[i].check];
        memset(r, 0, sizeof(*r));
        r->check = ck;
        r->window_end = jobs[i].window_end;
        r->window_start = jobs[i].window_end - ck->window_s;
        j->cfg = cfg;
        j->rs = rs;
        j->run = run;
        j->r = r;
        j->ck = ck;
        j->ctx = (srr_detect_ctx){jobs[i].check, r->window_start, r->window_end, NULL};
        j->measure = srr_detect_measure(rs, jobs[i].check);
        r->measure = j->measure;
        plan_job(j);
    }
    if (srr_dd_run_go(run, &rerr) != SRR_OK)
        srr_err("the Datadog transport failed: %s", rerr.msg);

    for (i = 0; i < njobs; i++) {
        job_ctx *j = &js[i];
        srr_check_report *r = &reports[i];
        if (!j->finished && j->rc == SRR_OK)
            fail_job(j, SRR_ERR, NULL); /* cannot happen: every callback ran */
        r->first_signal = sigs->n;
        r->rc = j->rc;
        if (j->rc != SRR_OK) {
            /* Keep nothing half-detected from a failed check. */
            snprintf(r->error, sizeof(r->error), "%s", j->err.msg);
            srr_err("check %s failed: %s", j->ck->name, j->err.msg);
            failed++;
        } else {
            for (size_t k = 0; k < j->sigs.n; k++) {
                *srr_signal_list_push(sigs) = j->sigs.v[k];
                memset(&j->sigs.v[k], 0, sizeof j->sigs.v[k]);
            }
            r->nsignals = sigs->n - r->first_signal;
        }
        srr_signal_list_clear(&j->sigs);
        srr_log_counter_destroy(j->lc);
        srr_pattern_detector_destroy(j->pd);
        free(j->link);
    }
    srr_dd_run_destroy(&run);
    free(js);
    return failed;
}

size_t srr_collect_all(const srr_config *cfg, const srr_ruleset *rs, srr_dd_client *dd,
                       int64_t end, srr_signal_list *sigs, srr_check_report *reports)
{
    srr_collect_job *jobs = srr_calloc(cfg->nchecks ? cfg->nchecks : 1, sizeof *jobs);
    for (size_t i = 0; i < cfg->nchecks; i++)
        jobs[i] = (srr_collect_job){i, end};
    size_t failed = srr_collect_jobs(cfg, rs, dd, jobs, cfg->nchecks, sigs, reports);
    free(jobs);
    return failed;
}
