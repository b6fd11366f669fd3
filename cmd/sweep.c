/* SPDX-License-Identifier: Apache-2.0
 *
 * sweep.c - `srr sweep`: the weekly job. For every configured check it asks
 * Datadog (or a recording) for the window, lets the detectors turn answers
 * into signals and the policy into candidates, queues them durably, and -
 * with the embedded local spool - drains the queue into the store so one
 * command goes end to end.
 *
 * Windows and catch-up: the store keeps, per check, the end of the last
 * window that completed (store/sweep_state.h). A live sweep ending at E runs,
 * for each check, the windows ending at E, E - w, E - 2w, ... that end after
 * that point, oldest first, at most sweep.max_catchup back (so a week of
 * downtime is caught up, a year is not replayed); the window ending at E is
 * always judged, so a rerun in the same hour asks again and - candidate ids
 * being derived from the window - stores nothing twice. The state
 * moves forward only over windows that succeeded, in order, so a failed or
 * crashed window is asked again next time. `--since DUR` ignores the state
 * for one run and judges the windows of the last DUR (not capped).
 * A replay never reads or writes the state: it re-judges a recorded past
 * (the windows listed in the recording) and must not move the live
 * schedule; a recording run is a live run and does.
 *
 * A check whose answer was partial (cmd/collect.c) fails its window unless
 * sweep.on_partial is keep: the state stays before it, the sweep exits 1
 * naming the check and why, and the next sweep asks that window again.
 *
 * After the sweep a summary (checks, signals, candidates per action,
 * requests, rate-limit waits as wall time, failures) goes to the log and, when
 * sweep.textfile is set, to a Prometheus textfile written atomically.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "collect.h"
#include "datadog.h"
#include "log.h"
#include "queue.h"
#include "rules.h"
#include "gauges.h"
#include "sweep_state.h"

typedef struct sweep_opts {
    const char *config;
    const char *replay;
    const char *record;
    const char *since;
    int no_drain;
} sweep_opts;

/* Candidates gathered over the whole sweep, queued at the end. */
typedef struct cand_list {
    srr_candidate *v;
    size_t n, cap;
} cand_list;

static srr_candidate *cand_push(cand_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = srr_realloc(l->v, l->cap * sizeof(*l->v));
    }
    memset(&l->v[l->n], 0, sizeof(l->v[0]));
    return &l->v[l->n++];
}

static void cand_list_clear(cand_list *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        srr_candidate_clear(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int parse_args(int argc, char **argv, sweep_opts *o)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                              {"replay", required_argument, NULL, 'R'},
                                              {"record", required_argument, NULL, 'W'},
                                              {"no-drain", no_argument, NULL, 'n'},
                                              {"since", required_argument, NULL, 'S'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    int c;
    memset(o, 0, sizeof(*o));
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'R': o->replay = optarg; break;
        case 'W': o->record = optarg; break;
        case 'n': o->no_drain = 1; break;
        case 'S': o->since = optarg; break;
        case 'h':
            printf("usage: srr sweep [-c FILE] [--replay DIR | --record DIR] [--since DUR] "
                   "[--no-drain]\n");
            return -2;
        default: return -1;
        }
    }
    if (optind < argc) {
        srr_say_error("srr sweep: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (o->since && o->replay) {
        srr_say_error("srr sweep: --since does not apply to --replay (a recording names its "
                        "windows)\n");
        return -1;
    }
    if (o->replay && o->record) {
        srr_say_error("srr sweep: --replay and --record cannot be used together\n");
        return -1;
    }
    return 0;
}

/* Job list of a sweep. */
typedef struct job_list {
    srr_collect_job *v;
    size_t n, cap;
} job_list;

static void job_push(job_list *l, size_t check, int64_t end)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = srr_realloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = (srr_collect_job){check, end};
}

/* Plans the windows of every check up to `end` from the stored state (see
 * the top of this file). since_s > 0 overrides the state. */
static srr_rc plan_live(const srr_config *cfg, srr_sweep_state *st, int64_t end, int64_t since_s,
                        job_list *jobs, srr_error *err)
{
    for (size_t i = 0; i < cfg->nchecks; i++) {
        const srr_check *ck = &cfg->checks[i];
        int64_t w = ck->window_s > 0 ? ck->window_s : cfg->sweep.window_s, last = 0;
        srr_rc rc = SRR_ENOTFOUND;
        if (since_s > 0) {
            last = end - since_s;
            rc = SRR_OK;
        } else if (st) {
            rc = srr_sweep_state_get(st, ck->name, &last, err);
            if (rc != SRR_OK && rc != SRR_ENOTFOUND)
                return rc;
        }
        int64_t k = 1;
        if (rc == SRR_OK && last < end) {
            k = (end - last + w - 1) / w;
            int64_t kmax = cfg->sweep.max_catchup_s / w;
            if (kmax < 1)
                kmax = 1;
            if (since_s <= 0 && k > kmax) {
                char t[32];
                srr_time_iso(last, t);
                srr_warn("check %s: last judged window ended %s; catching up only the last %lld "
                         "window(s) (sweep.max_catchup), %lld older window(s) skipped",
                         ck->name, t, (long long)kmax, (long long)(k - kmax));
                k = kmax;
            }
        }
        for (int64_t j = k - 1; j >= 0; j--)
            job_push(jobs, i, end - j * w);
    }
    return SRR_OK;
}

/* Plans a replay: the recording's plan when it has one, else one window per
 * check ending at `end`. */
static srr_rc plan_replay(const srr_config *cfg, const char *dir, int64_t end, job_list *jobs,
                          srr_error *err)
{
    json_t *plan = srr_dd_recording_read_plan(dir);
    if (!plan) {
        for (size_t i = 0; i < cfg->nchecks; i++)
            job_push(jobs, i, end);
        return SRR_OK;
    }
    size_t k;
    json_t *e;
    srr_rc rc = SRR_OK;
    json_array_foreach(plan, k, e)
    {
        const char *name = json_string_value(json_object_get(e, "check"));
        json_t *we = json_object_get(e, "window_end");
        size_t i;
        for (i = 0; name && i < cfg->nchecks; i++)
            if (strcmp(cfg->checks[i].name, name) == 0)
                break;
        if (!name || !json_is_integer(we) || i == cfg->nchecks) {
            rc = srr_error_set(err, SRR_EINVAL,
                               "replay: %s/sweep.json: plan[%zu] names no check of this "
                               "configuration",
                               dir, k);
            break;
        }
        job_push(jobs, i, (int64_t)json_integer_value(we));
    }
    json_decref(plan);
    return rc;
}

static json_t *plan_json(const srr_config *cfg, const job_list *jobs)
{
    json_t *a = json_array();
    for (size_t i = 0; i < jobs->n; i++)
        json_array_append_new(a, json_pack("{s:s, s:I}", "check", cfg->checks[jobs->v[i].check].name,
                                           "window_end", (json_int_t)jobs->v[i].window_end));
    return a;
}

/* What a sweep did, for the log and the textfile. */
typedef struct sweep_summary {
    size_t checks, jobs, failed, signals, ignored, deferred, queued;
    size_t by_action[4];
    srr_dd_stats dd;
    int64_t started, finished;
} sweep_summary;

/* Writes sweep.textfile: what this sweep did, then the record gauges of the
 * store (store/reports/gauges.h) as they are once it has drained. */
static srr_rc write_textfile(const srr_config *cfg, const sweep_summary *s, srr_error *err)
{
    static const char *const actions[] = {"ignore", "backlog", "investigate", "risk"};
    const char *path = cfg->sweep.textfile;
    srr_gauges g;
    srr_buf b;
    srr_buf_init(&b, 0);
    (void)srr_buf_printf(&b,
                         "# HELP srr_sweep_last_run_timestamp_seconds When the last sweep ended.\n"
                         "# TYPE srr_sweep_last_run_timestamp_seconds gauge\n"
                         "srr_sweep_last_run_timestamp_seconds %lld\n"
                         "# HELP srr_sweep_duration_seconds How long the last sweep took.\n"
                         "# TYPE srr_sweep_duration_seconds gauge\n"
                         "srr_sweep_duration_seconds %lld\n"
                         "# HELP srr_sweep_checks Checks configured.\n"
                         "# TYPE srr_sweep_checks gauge\nsrr_sweep_checks %zu\n"
                         "# HELP srr_sweep_windows Check windows judged (catch-up adds more).\n"
                         "# TYPE srr_sweep_windows gauge\nsrr_sweep_windows %zu\n"
                         "# HELP srr_sweep_failed_windows Check windows that failed.\n"
                         "# TYPE srr_sweep_failed_windows gauge\nsrr_sweep_failed_windows %zu\n"
                         "# HELP srr_sweep_signals Signals detected.\n"
                         "# TYPE srr_sweep_signals gauge\nsrr_sweep_signals %zu\n"
                         "# HELP srr_sweep_candidates Candidates by proposed action.\n"
                         "# TYPE srr_sweep_candidates gauge\n",
                         (long long)s->finished, (long long)(s->finished - s->started), s->checks,
                         s->jobs, s->failed, s->signals);
    for (int i = 0; i < 4; i++)
        (void)srr_buf_printf(&b, "srr_sweep_candidates{action=\"%s\"} %zu\n", actions[i],
                             i == 0 ? s->ignored : s->by_action[i]);
    (void)srr_buf_printf(&b,
                         "# HELP srr_sweep_over_budget Candidates left out by the draft budget.\n"
                         "# TYPE srr_sweep_over_budget gauge\nsrr_sweep_over_budget %zu\n"
                         "# HELP srr_sweep_datadog_requests Requests sent to Datadog.\n"
                         "# TYPE srr_sweep_datadog_requests gauge\nsrr_sweep_datadog_requests %lu\n"
                         "# HELP srr_sweep_datadog_retries Requests repeated after a failure.\n"
                         "# TYPE srr_sweep_datadog_retries gauge\nsrr_sweep_datadog_retries %lu\n"
                         "# HELP srr_sweep_datadog_429 Answers 429 received.\n"
                         "# TYPE srr_sweep_datadog_429 gauge\nsrr_sweep_datadog_429 %lu\n"
                         "# HELP srr_sweep_rate_limit_waits Requests held for a rate-limit reset.\n"
                         "# TYPE srr_sweep_rate_limit_waits gauge\nsrr_sweep_rate_limit_waits %lu\n"
                         "# HELP srr_sweep_rate_limit_wait_seconds Wall time during which requests "
                         "were held by a rate limit.\n"
                         "# TYPE srr_sweep_rate_limit_wait_seconds gauge\n"
                         "srr_sweep_rate_limit_wait_seconds %.3f\n",
                         s->deferred, s->dd.requests, s->dd.retries, s->dd.http_429, s->dd.rl_waits,
                         (double)s->dd.rl_wait_ms / 1000.0);
    if (srr_gauges_read(cfg->store.path, srr_now(), &g, err) == SRR_OK)
        srr_gauges_write(&g, srr_now(), &b);
    else
        srr_warn("srr sweep: sweep.textfile without the record gauges: %s", err->msg);
    srr_rc rc = srr_file_write_atomic(path, b.data, b.len, err);
    srr_buf_free(&b);
    return rc;
}

int srr_cmd_sweep(int argc, char **argv)
{
    sweep_opts o;
    srr_config *cfg = NULL;
    srr_ruleset *rs = NULL;
    srr_dd_client *dd = NULL;
    srr_producer *prod = NULL;
    srr_error err = {0};
    cand_list cands = {0};
    srr_signal_list sigs = {0};
    srr_check_report *reports = NULL;
    srr_sweep_state *state = NULL;
    job_list jobs = {0};
    sweep_summary sum = {0};
    int64_t since_s = 0;
    srr_dd_mode mode = SRR_DD_LIVE;
    int64_t end = 0, now = srr_now();
    size_t i, failed = 0, ignored = 0, deferred = 0, budget, drafts = 0;
    char *base = NULL;
    char t1[32];
    int code = SRR_EXIT_OK, r;

    r = parse_args(argc, argv, &o);
    if (r == -2)
        return SRR_EXIT_OK;
    if (r < 0)
        return SRR_EXIT_USAGE;
    cfg = srr_cli_load_config(o.config, &code);
    if (!cfg)
        return code;
    if (srr_rules_compile(cfg, &rs, &err) != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        code = SRR_EXIT_USAGE;
        goto out;
    }
    if (cfg->nchecks == 0)
        srr_log_say(SRR_LOG_WARN, "srr sweep: the config has no checks; nothing to ask Datadog\n");
    if (o.since && (srr_duration_parse(o.since, &since_s) != SRR_OK || since_s <= 0)) {
        srr_say_error("srr sweep: --since wants a duration such as 7d or 36h, not '%s'\n",
                o.since);
        code = SRR_EXIT_USAGE;
        goto out;
    }
    sum.started = now;
    sum.checks = cfg->nchecks;

    if (o.replay) {
        mode = SRR_DD_REPLAY;
        if (srr_dd_recording_read_meta(o.replay, &end, &err) != SRR_OK) {
            srr_say_error("srr sweep: %s\n", err.msg);
            code = SRR_EXIT_USAGE;
            goto out;
        }
    } else {
        mode = o.record ? SRR_DD_RECORD : SRR_DD_LIVE;
        end = now - now % cfg->sweep.align_s;
    }
    base = srr_config_dd_base_url(cfg);
    if (srr_dd_client_create(&cfg->datadog, base, mode, o.replay ? o.replay : o.record, &dd,
                             &err) != SRR_OK) {
        srr_say_error("srr sweep: %s\n", err.msg);
        code = err.code == SRR_EAUTH ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
        goto out;
    }
    srr_dd_client_set_progress(dd, isatty(2) && srr_log_get_format() == SRR_LOG_TEXT);

    srr_time_iso(end, t1);
    printf("sweep up to %s (%s) with %zu check(s)\n", t1,
           o.replay ? o.replay : (o.record ? "live, recording" : base), cfg->nchecks);
    if (o.replay) {
        if (plan_replay(cfg, o.replay, end, &jobs, &err) != SRR_OK) {
            srr_say_error("srr sweep: %s\n", err.msg);
            code = SRR_EXIT_USAGE;
            goto out;
        }
    } else {
        if (srr_sweep_state_open(cfg->store.path, &state, &err) != SRR_OK ||
            plan_live(cfg, state, end, since_s, &jobs, &err) != SRR_OK) {
            srr_say_error("srr sweep: %s\n", err.msg);
            code = SRR_EXIT_FAIL;
            goto out;
        }
    }
    if (o.record) {
        json_t *pj = plan_json(cfg, &jobs);
        srr_rc wrc = srr_dd_recording_write_plan(o.record, end, pj, &err);
        json_decref(pj);
        if (wrc != SRR_OK) {
            srr_say_error("srr sweep: %s\n", err.msg);
            code = SRR_EXIT_FAIL;
            goto out;
        }
    }
    reports = srr_calloc(jobs.n ? jobs.n : 1, sizeof(*reports));
    failed = srr_collect_jobs(cfg, rs, dd, jobs.v, jobs.n, &sigs, reports);
    sum.jobs = jobs.n;
    sum.failed = failed;
    sum.signals = sigs.n;
    for (i = 0; i < jobs.n; i++) {
        const srr_check_report *rep = &reports[i];
        size_t j;
        char wbuf[48] = "";
        if (rep->window_end != end) {
            char t2[32];
            srr_time_iso(rep->window_end, t2);
            snprintf(wbuf, sizeof wbuf, " (window to %s)", t2);
        }
        if (rep->rc != SRR_OK) {
            printf("  %-24s %s%s: %s\n", rep->check->name,
                   rep->rc == SRR_EPARTIAL ? "PARTIAL, not kept" : "FAILED", wbuf, rep->error);
            continue;
        }
        printf("  %-24s %-7s %6zu %s, %zu signal(s)%s%s\n", rep->check->name,
               rep->check->source == SRR_SRC_METRICS ? "metrics" : "logs", rep->nresults,
               rep->check->source == SRR_SRC_METRICS ? "series" : "events", rep->nsignals, wbuf,
               rep->partial ? " (PARTIAL answer, kept marked partial)" : "");
        for (j = rep->first_signal; j < rep->first_signal + rep->nsignals; j++) {
            srr_decision d;
            srr_rules_decide(rs, &sigs.v[j], &d);
            if (d.action == SRR_ACTION_IGNORE) {
                /* The policy ignores it whatever the history: drop it here,
                 * counted, rather than queue it. */
                ignored++;
                continue;
            }
            srr_rules_candidate(&sigs.v[j], &d, now, cand_push(&cands));
        }
    }
    /* The sweep state moves forward over each check's windows that
     * succeeded, in order: a failed window stops it there. */
    for (i = 0; state && i < cfg->nchecks; i++) {
        int64_t upto = 0;
        for (size_t j = 0; j < jobs.n; j++) {
            if (jobs.v[j].check != i)
                continue;
            if (reports[j].rc != SRR_OK)
                break;
            upto = jobs.v[j].window_end;
        }
        if (upto && srr_sweep_state_set(state, cfg->checks[i].name, upto, &err) != SRR_OK)
            srr_err("%s", err.msg);
    }

    /* The draft budget (srr_rules_budget): most urgent first (urgency, then
     * risk > investigate > backlog); the rest are counted and listed below,
     * not queued. */
    budget = srr_rules_max_new_drafts(rs);
    if (cands.n) {
        size_t *order = srr_calloc(cands.n, sizeof(*order)), admitted = 0;
        srr_candidate *sorted = srr_calloc(cands.n, sizeof(*sorted));
        srr_rules_budget(cands.v, cands.n, budget, order, &admitted);
        for (i = 0; i < cands.n; i++)
            sorted[i] = cands.v[order[i]]; /* moves: cands.v's slots are not cleared */
        free(cands.v);
        free(order);
        cands.v = sorted;
        cands.cap = cands.n;
        printf("candidates:\n");
    }
    for (i = 0; i < cands.n; i++) {
        srr_candidate *c = &cands.v[i];
        char *payload;
        srr_rc rc;
        if (budget && drafts >= budget) {
            printf("  over budget  %-11s %-8s %s\n", srr_action_name(c->action),
                   srr_urgency_name(c->urgency), c->title);
            deferred++;
            continue;
        }
        if (!prod && srr_producer_open(cfg, &prod, &err) != SRR_OK) {
            srr_say_error("srr sweep: cannot open the queue: %s\n", err.msg);
            code = SRR_EXIT_FAIL;
            goto out;
        }
        payload = srr_candidate_dumps(c);
        rc = srr_producer_send(prod, c->fingerprint, payload, strlen(payload), &err);
        free(payload);
        if (rc != SRR_OK) {
            srr_say_error("srr sweep: queueing %s failed: %s\n", c->id, err.msg);
            code = SRR_EXIT_FAIL;
            goto out;
        }
        drafts++;
        if ((unsigned)c->action < 4)
            sum.by_action[c->action]++;
        printf("  %-11s %-8s %s\n      why: %s\n", srr_action_name(c->action),
               srr_urgency_name(c->urgency), c->title, c->reason);
    }
    if (prod && srr_producer_flush(prod, &err) != SRR_OK) {
        srr_say_error("srr sweep: the queue did not confirm the candidates: %s\n", err.msg);
        code = SRR_EXIT_FAIL;
        goto out;
    }
    printf("queued %zu candidate(s) on the %s queue; %zu ignored by the policy; %zu over the "
           "draft budget; %zu check(s) failed\n",
           drafts, cfg->queue.backend, ignored, deferred, failed);
    sum.ignored = ignored;
    sum.deferred = deferred;
    sum.queued = drafts;
    sum.dd = *srr_dd_client_stats(dd);
    sum.finished = srr_now();
    srr_info("sweep summary: %zu check(s), %zu window(s), %zu signal(s), candidates: %zu risk, "
             "%zu investigate, %zu backlog, %zu ignored, %zu over budget; %lu Datadog "
             "request(s), %lu retried, %lu answered 429, %lu rate-limit wait(s) (%.1f s); %zu "
             "failed",
             sum.checks, sum.jobs, sum.signals, sum.by_action[SRR_ACTION_RISK],
             sum.by_action[SRR_ACTION_INVESTIGATE], sum.by_action[SRR_ACTION_BACKLOG],
             sum.ignored, sum.deferred, sum.dd.requests, sum.dd.retries, sum.dd.http_429,
             sum.dd.rl_waits, (double)sum.dd.rl_wait_ms / 1000.0, sum.failed);
    if (failed) {
        printf("failed:\n");
        for (i = 0; i < jobs.n; i++)
            if (reports[i].rc != SRR_OK)
                printf("  %s: %s\n", reports[i].check->name, reports[i].error);
    }
    if (strcmp(cfg->queue.backend, "spool") == 0 && !o.no_drain) {
        srr_producer_close(&prod);
        code = srr_cli_drain(cfg, 1, NULL, "srr sweep");
    }
    if (failed && code == SRR_EXIT_OK)
        code = SRR_EXIT_FAIL;
    /* A live sweep that failed nowhere (replays keep no state) is the
     * srr_sweep_last_success_timestamp_seconds gauge's time. */
    if (state && code == SRR_EXIT_OK &&
        srr_sweep_state_mark_success(state, sum.finished, &err) != SRR_OK)
        srr_warn("srr sweep: %s", err.msg);
    if (cfg->sweep.textfile && write_textfile(cfg, &sum, &err) != SRR_OK) {
        srr_say_error("srr sweep: writing sweep.textfile: %s\n", err.msg);
        code = SRR_EXIT_FAIL;
    }
out:
    cand_list_clear(&cands);
    srr_signal_list_clear(&sigs);
    free(reports);
    free(jobs.v);
    srr_sweep_state_close(&state);
    srr_producer_close(&prod);
    srr_dd_client_destroy(&dd);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
    free(base);
    return code;
}
