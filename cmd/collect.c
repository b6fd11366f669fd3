/* SPDX-License-Identifier: Apache-2.0
 *
 * collect.c - runs the configured checks through the Datadog client's run
 * API (everything in flight together, bounded by datadog.max_concurrency)
 * and feeds the answers to the rules' detectors; see collect.h.
 *
 * Each job has its own context and its own signal list, filled by callbacks
 * in whatever order the answers arrive; the lists are appended to the
 * caller's in job order at the end, so the output is deterministic.
 *
 * A partial answer (the client's SRR_EPARTIAL: a logs query that timed out
 * or warned, the page cap reached, a v2 query error) makes the job partial:
 * with sweep.on_partial fail (the default) the job fails with the reason
 * and keeps nothing, so the window is judged again next sweep; with keep
 * its signals are kept, each marked partial (the reason in its evidence and
 * its summary). Sample messages are optional evidence: when fetching them
 * fails, the count stands without them.
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
    int partial;       /* some answer was partial: perr says which first */
    srr_error perr;
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

static void note_partial(job_ctx *j, const srr_error *err)
{
    if (j->partial)
        return;
    j->partial = 1;
    if (err && err->msg[0])
        j->perr = *err;
    else
        srr_error_set(&j->perr, SRR_EPARTIAL, "check '%s': partial answer from Datadog",
                      j->ck->name);
}

/* Marks every signal of a partial job that keeps them (sweep.on_partial:
 * keep): the reason goes into the evidence and the summary. */
static void mark_partial(job_ctx *j)
{
    for (size_t i = 0; i < j->sigs.n; i++) {
        srr_signal *sig = &j->sigs.v[i];
        if (!sig->evidence)
            sig->evidence = json_object();
        json_object_set_new(sig->evidence, "partial", json_string(j->perr.msg));
        char *sum = srr_asprintf("%s [partial answer from Datadog]",
                                 sig->summary ? sig->summary : "");
        free(sig->summary);
        sig->summary = sum;
    }
}

/* New-pattern signals link to the log search narrowed to their pattern
 * and group (their evidence's "query"), not the check's broad one. */
static void narrow_pattern_links(job_ctx *j)
{
    for (size_t i = 0; i < j->sigs.n; i++) {
        srr_signal *sig = &j->sigs.v[i];
        const char *q = json_string_value(json_object_get(sig->evidence, "query"));
        if (sig->kind != SRR_KIND_NEW_PATTERN || !q)
            continue;
        free(sig->link);
        sig->link = srr_dd_link_logs(j->cfg->datadog.site, q, j->ctx.window_start,
                                     j->ctx.window_end);
    }
}

/* Called when a job's last piece of work ends: runs the final detector,
 * then decides what a partial answer is worth. */
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
    else /* a known thing no series answered for: clear, no data */
        srr_detect_absent(j->rs, &j->ctx, &j->sigs, 0);
    if (rc != SRR_OK) {
        fail_job(j, rc, &err);
        return;
    }
    narrow_pattern_links(j);
    if (!j->partial)
        return;
    if (strcmp(j->cfg->sweep.on_partial, "keep") == 0) {
        mark_partial(j);
        return;
    }
    srr_error_set(&err, SRR_EPARTIAL,
                  "%s; nothing of this window is kept, and the next sweep judges it again "
                  "(sweep.on_partial: keep would keep it marked partial)",
                  j->perr.msg);
    fail_job(j, SRR_EPARTIAL, &err);
}

/* ---- metrics ---- */

static void on_metrics(void *ud, srr_rc rc, srr_metric_result *res, const srr_error *err)
{
    job_ctx *j = ud;
    j->pending--;
    if (rc == SRR_EPARTIAL)
        note_partial(j, err); /* judge what came back; settle decides its worth */
    if (rc != SRR_OK && rc != SRR_EPARTIAL) {
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
    if (rc == SRR_EPARTIAL)
        note_partial(j, err);
    else if (rc != SRR_OK)
        fail_job(j, rc, err);
    settle(j);
}

/* The sample messages of a count are optional evidence: a failure to fetch
 * them leaves the count standing. */
static void on_samples_done(void *ud, srr_rc rc, size_t n, const srr_error *err)
{
    job_ctx *j = ud;
    (void)n;
    j->pending--;
    if (rc != SRR_OK && rc != SRR_EPARTIAL)
        srr_warn("check %s: the sample messages could not be fetched (%s); the count stands "
                 "without them",
                 j->ck->name, err && err->msg[0] ? err->msg : srr_rc_str(rc));
    settle(j);
}

static int on_series(void *ud, const char *const *values, size_t n, const srr_point *pts,
                     size_t npts)
{
    job_ctx *j = ud;
    srr_log_counter_add_series(j->lc, values, n, pts, npts);
    for (size_t i = 0; i < npts; i++)
        if (pts[i].ts_ms >= (double)j->ctx.window_start * 1000.0 && !pts[i].is_null &&
            pts[i].value > 0)
            j->r->nresults += (size_t)pts[i].value;
    return 0;
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
 * fires (for a spike, from its fullest interval), so the record shows what
 * the messages say. */
static void on_counts_done(void *ud, srr_rc rc, size_t n, const srr_error *err)
{
    job_ctx *j = ud;
    int64_t from = j->ctx.window_start, to = j->ctx.window_end;
    if ((rc == SRR_OK || rc == SRR_EPARTIAL) && j->rc == SRR_OK &&
        srr_log_counter_fires(j->lc)) {
        srr_log_counter_peak(j->lc, &from, &to); /* a spike: its peak interval */
        j->pending++;
        srr_dd_run_logs(j->run, j->ck->name, j->ck->query, from, to, SAMPLE_EVENTS, 1, 1,
                        on_sample, on_samples_done, j);
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
    j->lc = srr_log_counter_create(j->rs, &j->ctx);
    if (strcmp(m, "spike") == 0) {
        /* Counts per interval of the previous window and this one. */
        int64_t iv = srr_log_spike_interval(w);
        j->r->how = "aggregate timeseries";
        srr_log_counter_set_interval(j->lc, iv);
        j->pending++;
        srr_dd_run_aggregate_series(j->run, ck->name, ck->query,
                                    (const char *const *)ck->group_by, ck->ngroup_by, start - w,
                                    end, iv, on_series, on_counts_done, j);
        return;
    }
    j->r->how = "aggregate";
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
        j->ctx = (srr_detect_ctx){.check_index = jobs[i].check,
                                  .window_start = r->window_start,
                                  .window_end = r->window_end,
                                  .known = jobs[i].known,
                                  .nknown = jobs[i].nknown};
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
        if (j->rc == SRR_OK && j->partial) {
            r->partial = 1;
            snprintf(r->error, sizeof(r->error), "%s", j->perr.msg);
            srr_warn("check %s: kept a partial answer (sweep.on_partial: keep): %s",
                     j->ck->name, j->perr.msg);
        }
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
        jobs[i] = (srr_collect_job){i, end, NULL, 0};
    size_t failed = srr_collect_jobs(cfg, rs, dd, jobs, cfg->nchecks, sigs, reports);
    free(jobs);
    return failed;
}
