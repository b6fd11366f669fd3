/* SPDX-License-Identifier: Apache-2.0
 *
 * sweep.c - `srr sweep`: the weekly job. For every configured check it asks
 * Datadog (or a recording) for the window, lets the detectors turn answers
 * into signals and the policy into candidates, queues them durably, and -
 * with the embedded local spool - drains the queue into the store so one
 * command goes end to end.
 *
 * Windows (DESIGN.md section 3, "Time"): each check's windows end on a
 * grid anchored at the end of the last window it judged (store/
 * sweep_state.h): last + w, last + 2w, ... Windows never overlap, so no
 * event is counted twice, whenever and however often the sweep runs. A
 * live sweep judges the windows due up to now (aligned to sweep.align),
 * oldest first, at most sweep.max_catchup back; when none is due it
 * judges the last one again (same candidate ids: the writer stores
 * nothing twice). A check never judged starts its grid at now. `--since
 * DUR` judges every window of the grid within the last DUR (not capped);
 * `--at TIME` judges the windows ending at TIME (on the check's grid when
 * it has one) and moves the state only when TIME is the next window.
 * The state moves forward only over windows that succeeded, in order, so
 * a failed or crashed window is asked again next time. A replay never
 * reads or writes the state: it re-judges a recorded past (the windows
 * listed in the recording) and must not move the live schedule; a
 * recording run is a live run and does.
 *
 * Each window is judged in its own time, one after the other, oldest
 * first, as that many weekly sweeps would have: its checks are asked, each
 * thing the store follows gets an observation (firing or clear), the
 * candidates are queued, and - with the embedded spool - the writer
 * drains them and closes the window (investigations judged with the
 * window's end as "now") before the next window is asked.
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
    const char *at;
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
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"replay", required_argument, NULL, 'R'},
        {"record", required_argument, NULL, 'W'}, {"no-drain", no_argument, NULL, 'n'},
        {"since", required_argument, NULL, 'S'},  {"at", required_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
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
        case 'A': o->at = optarg; break;
        case 'h':
            printf("usage: srr sweep [-c FILE] [--replay DIR | --record DIR] [--since DUR | --at "
                   "TIME] [--no-drain]\n");
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
    if (o->at && (o->replay || o->since)) {
        srr_say_error("srr sweep: --at judges one window: not with --%s\n",
                      o->replay ? "replay" : "since");
        return -1;
    }
    if (o->replay && o->record) {
        srr_say_error("srr sweep: --replay and --record cannot be used together\n");
        return -1;
    }
    return 0;
}

/* Job list of a sweep; advance[i]: whether the state of the job's check
 * may move to its window end once it succeeded. */
typedef struct job_list {
    srr_collect_job *v;
    unsigned char *advance;
    size_t n, cap;
} job_list;

static void job_push(job_list *l, size_t check, int64_t end, int advance)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = srr_realloc(l->v, l->cap * sizeof(*l->v));
        l->advance = srr_realloc(l->advance, l->cap);
    }
    l->advance[l->n] = (unsigned char)advance;
    l->v[l->n++] = (srr_collect_job){check, end, NULL, 0};
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Plans the windows of every check up to `end` on its grid (see the top
 * of this file). since_s > 0: every grid window within the last since_s;
 * at > 0: the windows ending at `at`. *rejudged counts checks with no new
 * window due. */
static srr_rc plan_live(const srr_config *cfg, srr_sweep_state *st, int64_t end, int64_t since_s,
                        int64_t at, job_list *jobs, size_t *rejudged, srr_error *err)
{
    for (size_t i = 0; i < cfg->nchecks; i++) {
        const srr_check *ck = &cfg->checks[i];
        int64_t w = ck->window_s > 0 ? ck->window_s : cfg->sweep.window_s, last = 0;
        srr_rc rc = SRR_ENOTFOUND;
        if (st) {
            rc = srr_sweep_state_get(st, ck->name, &last, err);
            if (rc != SRR_OK && rc != SRR_ENOTFOUND)
                return rc;
        }
        int have = rc == SRR_OK;
        if (at > 0) {
            if (have && (at - last) % w != 0) {
                char l1[32], l2[32];
                srr_time_iso(last, l1);
                srr_time_iso(last + w * (floor_div(at - last, w) + 1), l2);
                return srr_error_set(err, SRR_EINVAL,
                                     "--at: check %s judges windows of %llds ending at %s plus "
                                     "whole windows (e.g. %s): a window ending elsewhere would "
                                     "count its events twice",
                                     ck->name, (long long)w, l1, l2);
            }
            job_push(jobs, i, at, !have || at == last + w);
            continue;
        }
        if (!have) { /* the grid starts here */
            int64_t k = since_s > 0 ? (since_s + w - 1) / w : 1;
            for (int64_t j = k - 1; j >= 0; j--)
                job_push(jobs, i, end - j * w, 1);
            continue;
        }
        int64_t k1 = floor_div(end - last, w), k0 = 1;
        if (since_s > 0) {
            k0 = floor_div(end - since_s - last, w) + 1;
        } else if (k1 > cfg->sweep.max_catchup_s / w && cfg->sweep.max_catchup_s / w >= 1) {
            int64_t kmax = cfg->sweep.max_catchup_s / w;
            char t0[32];
            srr_time_iso(last, t0);
            srr_warn("check %s: last judged window ended %s; catching up only the last %lld "
                     "window(s) (sweep.max_catchup), %lld older window(s) skipped",
                     ck->name, t0, (long long)kmax, (long long)(k1 - kmax));
            k0 = k1 - kmax + 1;
        }
        if (k1 < k0) { /* nothing due: the last window again (nothing is stored twice) */
            (*rejudged)++;
            job_push(jobs, i, last, 0);
            continue;
        }
        for (int64_t k = k0; k <= k1; k++)
            job_push(jobs, i, last + k * w, k >= 1);
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
            job_push(jobs, i, end, 0);
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
        job_push(jobs, i, (int64_t)json_integer_value(we), 0);
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
    size_t checks, jobs, failed, signals, ignored, deferred, queued, clear, windows;
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
    srr_cli_sink_gauges(cfg, &b); /* the outbox per sink */
    srr_rc rc = srr_file_write_atomic(path, b.data, b.len, err);
    srr_buf_free(&b);
    return rc;
}

/* The group tags of the things each check fired for during this run, so
 * that later windows of the run observe them too even before the writer
 * stored them (a queue drained elsewhere). */
typedef struct fired_set {
    char **v;
    size_t n, cap;
} fired_set;

static void fired_add(fired_set *f, const char *g)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i], g) == 0)
            return;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->v = srr_realloc(f->v, f->cap * sizeof *f->v);
    }
    f->v[f->n++] = srr_strdup(g);
}

static void strv_clear(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The things of check `ck` to observe in the window ending at `end`: what
 * the store follows, and what fired earlier in this run; sorted, unique.
 * Caller frees with strv_clear. */
#define SWEEP_TRACK_S (91 * 86400) /* a thing not firing for 13 weeks is no longer followed */
static char **known_of(srr_sweep_state *state, const srr_check *ck, const fired_set *fired,
                       int64_t end, size_t *n)
{
    char **v = NULL;
    size_t m = 0, w = 0;
    srr_error err = {0};
    if (state &&
        srr_sweep_state_known(state, ck->name, end - SWEEP_TRACK_S, &v, &m, &err) != SRR_OK)
        srr_warn("check %s: %s; only its firing groups are judged", ck->name, err.msg);
    v = srr_realloc(v, (m + fired->n + 1) * sizeof *v);
    for (size_t i = 0; i < fired->n; i++)
        v[m++] = srr_strdup(fired->v[i]);
    if (m > 1)
        qsort(v, m, sizeof *v, cmp_str);
    for (size_t i = 0; i < m; i++) {
        if (w > 0 && strcmp(v[w - 1], v[i]) == 0) {
            free(v[i]);
            continue;
        }
        v[w++] = v[i];
    }
    *n = w;
    return v;
}

/* What one sweep run carries from window to window. */
typedef struct sweep_run {
    const sweep_opts *o;
    const srr_config *cfg;
    const srr_ruleset *rs;
    srr_dd_client *dd;
    srr_sweep_state *state;
    srr_producer *prod;
    fired_set *fired;      /* per check */
    unsigned char *broken; /* per check: a window failed, its state moves no further */
    sweep_summary *sum;
    srr_apply_stats stored;
    int64_t now;
    int64_t end;      /* the sweep's last window end */
    int drain;        /* the embedded writer drains and closes each window */
    srr_buf failures; /* "  check: why" of each window that failed */
} sweep_run;

/* Prints what one check's run found; a window that ends before the
 * sweep's (catch-up) says so. */
static void print_report(const srr_check_report *rep, int64_t sweep_end)
{
    char wbuf[48] = "";
    if (rep->window_end != sweep_end) {
        char t2[32];
        srr_time_iso(rep->window_end, t2);
        snprintf(wbuf, sizeof wbuf, " (window to %s)", t2);
    }
    if (rep->rc != SRR_OK) {
        printf("  %-24s %s%s: %s\n", rep->check->name,
               rep->rc == SRR_EPARTIAL ? "PARTIAL, not kept" : "FAILED", wbuf, rep->error);
        return;
    }
    printf("  %-24s %-7s %6zu %s, %zu signal(s)%s%s\n", rep->check->name,
           rep->check->source == SRR_SRC_METRICS ? "metrics" : "logs", rep->nresults,
           rep->check->source == SRR_SRC_METRICS ? "series" : "events", rep->nsignals, wbuf,
           rep->partial ? " (PARTIAL answer, kept marked partial)" : "");
}

/* Prints what each check of the window found and turns the signals of the
 * checks that succeeded into candidates (what the policy ignores while
 * firing is counted, not queued); a failed check is noted in
 * run->failures. */
static void judge_signals(sweep_run *run, const srr_collect_job *jobs,
                          const srr_check_report *reports, size_t n, srr_signal_list *sigs,
                          int64_t end, cand_list *cands)
{
    for (size_t i = 0; i < n; i++) {
        const srr_check_report *rep = &reports[i];
        print_report(rep, run->end);
        if (rep->rc != SRR_OK) {
            char at[32];
            srr_time_iso(end, at);
            srr_buf_printf(&run->failures, "  %s (window ending %s): %s\n", rep->check->name, at,
                           rep->error);
            continue;
        }
        for (size_t j = rep->first_signal; j < rep->first_signal + rep->nsignals; j++) {
            srr_signal *sig = &sigs->v[j];
            srr_decision d;
            srr_rules_decide(run->rs, sig, &d);
            if (sig->status == SRR_STATUS_FIRING) {
                char g[SRR_GROUP_MAX];
                if (d.action == SRR_ACTION_IGNORE) {
                    /* The policy ignores it whatever the history: dropped
                     * here, counted, rather than queued. */
                    run->sum->ignored++;
                    continue;
                }
                srr_rules_group_tags(run->rs, sig, g, sizeof g);
                fired_add(&run->fired[jobs[i].check], g);
            } else {
                run->sum->clear++; /* a followed thing, fine now: always recorded */
            }
            srr_rules_candidate(sig, &d, run->now, cand_push(cands));
        }
    }
}

/* Each check's state moves over its windows that succeeded, in order: a
 * failed window stops it there. */
static void advance_state(sweep_run *run, const srr_collect_job *jobs, const unsigned char *advance,
                          const srr_check_report *reports, size_t n, int64_t end)
{
    srr_error err = {0};
    for (size_t i = 0; run->state && i < n; i++) {
        size_t c = jobs[i].check;
        if (reports[i].rc != SRR_OK)
            run->broken[c] = 1;
        else if (advance[i] && !run->broken[c] &&
                 srr_sweep_state_set(run->state, run->cfg->checks[c].name, end, &err) != SRR_OK)
            srr_err("%s", err.msg);
    }
}

/* Most urgent first, as they will be read. The draft budget is the
 * writer's: it counts new records only, once the window's observations
 * are grouped into things (store/budget.c). */
static void sort_by_urgency(cand_list *cands)
{
    size_t *order, admitted = 0;
    srr_candidate *sorted;
    if (!cands->n)
        return;
    order = srr_calloc(cands->n, sizeof(*order));
    sorted = srr_calloc(cands->n, sizeof(*sorted));
    srr_rules_budget(cands->v, cands->n, 0, order, &admitted);
    for (size_t i = 0; i < cands->n; i++)
        sorted[i] = cands->v[order[i]]; /* moves: cands->v's slots are not cleared */
    free(cands->v);
    free(order);
    cands->v = sorted;
    cands->cap = cands->n;
}

/* Queues the window's candidates in order (the queue opened on first
 * use), printing the firing ones, then flushes: they are queued only once
 * the queue confirmed them. Returns an exit code. */
static int queue_candidates(sweep_run *run, const cand_list *cands)
{
    srr_error err = {0};
    if (cands->n > run->sum->clear)
        printf("  proposed (the writer decides with each thing's history: a repeat is "
               "evidence):\n");
    for (size_t i = 0; i < cands->n; i++) {
        const srr_candidate *c = &cands->v[i];
        int firing = c->signal.status == SRR_STATUS_FIRING;
        char *payload;
        srr_rc rc;
        if (!run->prod && srr_producer_open(run->cfg, &run->prod, &err) != SRR_OK) {
            srr_say_error("srr sweep: cannot open the queue: %s\n", err.msg);
            return SRR_EXIT_FAIL;
        }
        payload = srr_candidate_dumps(c);
        rc = srr_producer_send(run->prod, c->fingerprint, payload, strlen(payload), &err);
        free(payload);
        if (rc != SRR_OK) {
            srr_say_error("srr sweep: queueing %s failed: %s\n", c->id, err.msg);
            return SRR_EXIT_FAIL;
        }
        run->sum->queued++;
        if (!firing)
            continue;
        if ((unsigned)c->action < 4)
            run->sum->by_action[c->action]++;
        printf("  %-11s %-8s %s\n      why: %s\n", srr_action_name(c->action),
               srr_urgency_name(c->urgency), srr_cli_safe(c->title, SRR_FMT_TABLE, 0),
               srr_cli_safe(c->reason, SRR_FMT_TABLE, 0));
    }
    if (run->prod && srr_producer_flush(run->prod, &err) != SRR_OK) {
        srr_say_error("srr sweep: the queue did not confirm the candidates: %s\n", err.msg);
        return SRR_EXIT_FAIL;
    }
    return SRR_EXIT_OK;
}

/* Judges the window ending at `end`: the jobs[0..n) of that window. */
static int sweep_window(sweep_run *run, srr_collect_job *jobs, const unsigned char *advance,
                        size_t n, int64_t end)
{
    const srr_config *cfg = run->cfg;
    srr_check_report *reports = srr_calloc(n ? n : 1, sizeof *reports);
    char ***known = srr_calloc(n ? n : 1, sizeof *known);
    srr_signal_list sigs = {0};
    cand_list cands = {0};
    size_t failed, budget = srr_rules_max_new_drafts(run->rs), i;
    int code;
    char t1[32];

    srr_time_iso(end, t1);
    printf("window ending %s:\n", t1);
    for (i = 0; i < n; i++) {
        known[i] = known_of(run->state, &cfg->checks[jobs[i].check], &run->fired[jobs[i].check],
                            end, &jobs[i].nknown);
        jobs[i].known = (const char *const *)known[i];
    }
    failed = srr_collect_jobs(cfg, run->rs, run->dd, jobs, n, &sigs, reports);
    run->sum->jobs += n;
    run->sum->failed += failed;
    run->sum->signals += sigs.n;
    run->sum->windows++;
    judge_signals(run, jobs, reports, n, &sigs, end, &cands);
    advance_state(run, jobs, advance, reports, n, end);
    sort_by_urgency(&cands);
    code = queue_candidates(run, &cands);
    if (code == SRR_EXIT_OK && run->drain) {
        /* The writer applies this window and closes it (its investigations
         * judged at its end, its budget spent most urgent first) before the
         * next window is asked. */
        srr_apply_stats w = {0};
        srr_producer_close(&run->prod);
        code = srr_cli_drain_window(cfg, end, 1, "srr sweep", &w);
        srr_apply_stats_add(&run->stored, &w);
        if (code == SRR_EXIT_OK && budget)
            printf("  drafted %zu new record(s) within the budget of %zu\n",
                   w.new_risks + w.new_backlog + w.new_investigations, budget);
    }
    for (i = 0; i < n; i++)
        strv_clear(known[i], jobs[i].nknown);
    free(known);
    cand_list_clear(&cands);
    srr_signal_list_clear(&sigs);
    free(reports);
    return code;
}

typedef struct waiting_list {
    size_t n;
} waiting_list;

static void print_waiting(void *ud, const char *action, int urgency, const char *title,
                          int64_t window_end)
{
    waiting_list *wl = ud;
    char w[32];
    srr_time_iso(window_end, w);
    if (wl->n++ == 0)
        printf("over the draft budget (kept; drafted by a later window, most urgent first):\n");
    printf("  waiting      %-11s %-8s %s (since the window ending %s)\n", action,
           srr_urgency_name((srr_urgency)urgency), title, w);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Reads --since (a duration) and --at (an ISO time or epoch seconds in the
 * past) into *since_s and *at (0 when not given). Returns an exit code,
 * having said what is wrong. */
static int parse_times(const sweep_opts *o, int64_t now, int64_t *since_s, int64_t *at)
{
    if (o->since && (srr_duration_parse(o->since, since_s) != SRR_OK || *since_s <= 0)) {
        srr_say_error("srr sweep: --since wants a duration such as 7d or 36h, not '%s'\n",
                      o->since);
        return SRR_EXIT_USAGE;
    }
    if (o->at) {
        char *e = NULL;
        long long v = strtoll(o->at, &e, 10);
        if (e && *e == '\0' && v > 0)
            *at = v;
        else if (srr_time_parse_iso(o->at, at) != SRR_OK)
            *at = 0;
        if (*at <= 0 || *at > now) {
            srr_say_error(
                "srr sweep: --at wants the end of a past window, as 2026-11-23T06:00:00Z or "
                "epoch seconds, not '%s'%s\n",
                o->at, *at > now ? " (it is in the future)" : "");
            return SRR_EXIT_USAGE;
        }
    }
    return SRR_EXIT_OK;
}

/* The sweep's last window end (*end: the recording's, --at, or now on
 * the alignment grid) and its Datadog client (*dd: live, recording or
 * replaying; the caller destroys it); says where it asks. Returns an exit
 * code, having said what is wrong. */
static int open_datadog(const sweep_opts *o, const srr_config *cfg, int64_t now, int64_t at,
                        int64_t *end, srr_dd_client **dd)
{
    srr_error err = {0};
    srr_dd_mode mode;
    char *base;
    char t1[32];
    if (o->replay) {
        mode = SRR_DD_REPLAY;
        if (srr_dd_recording_read_meta(o->replay, end, &err) != SRR_OK) {
            srr_say_error("srr sweep: %s\n", err.msg);
            return SRR_EXIT_USAGE;
        }
    } else {
        mode = o->record ? SRR_DD_RECORD : SRR_DD_LIVE;
        *end = at ? at : now - now % cfg->sweep.align_s;
    }
    base = srr_config_dd_base_url(cfg);
    if (srr_dd_client_create(&cfg->datadog, base, mode, o->replay ? o->replay : o->record, dd,
                             &err) != SRR_OK) {
        srr_say_error("srr sweep: %s\n", err.msg);
        free(base);
        return err.code == SRR_EAUTH ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
    }
    srr_dd_client_set_progress(*dd, isatty(2) && srr_log_get_format() == SRR_LOG_TEXT);
    srr_time_iso(*end, t1);
    printf("sweep up to %s (%s) with %zu check(s)\n", t1,
           o->replay ? o->replay : (o->record ? "live, recording" : base), cfg->nchecks);
    free(base);
    return SRR_EXIT_OK;
}

/* The jobs of this sweep: the windows a recording lists, or those due on
 * each check's grid; a recording run writes the plan beside its answers.
 * Returns an exit code, having said what is wrong. */
static int plan_jobs(const sweep_opts *o, const srr_config *cfg, srr_sweep_state *state,
                     int64_t end, int64_t since_s, int64_t at, job_list *jobs)
{
    srr_error err = {0};
    size_t rejudged = 0;
    if (o->replay) {
        if (plan_replay(cfg, o->replay, end, jobs, &err) != SRR_OK) {
            srr_say_error("srr sweep: %s\n", err.msg);
            return SRR_EXIT_USAGE;
        }
    } else if (plan_live(cfg, state, end, since_s, at, jobs, &rejudged, &err) != SRR_OK) {
        srr_say_error("srr sweep: %s\n", err.msg);
        return err.code == SRR_EINVAL ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
    }
    if (rejudged)
        printf("no new window is due for %zu check(s): their last window is judged again "
               "(nothing is stored twice)\n",
               rejudged);
    if (o->record) {
        json_t *pj = plan_json(cfg, jobs);
        srr_rc wrc = srr_dd_recording_write_plan(o->record, end, pj, &err);
        json_decref(pj);
        if (wrc != SRR_OK) {
            srr_say_error("srr sweep: %s\n", err.msg);
            return SRR_EXIT_FAIL;
        }
    }
    return SRR_EXIT_OK;
}

/* Judges the windows of the jobs, oldest first, each in its own time; stops
 * at the first window that fails to queue or drain. Returns an exit code. */
static int run_windows(sweep_run *run, const job_list *jobs)
{
    int64_t *ends = srr_calloc(jobs->n ? jobs->n : 1, sizeof *ends);
    size_t i, nends = 0;
    int code = SRR_EXIT_OK;
    for (i = 0; i < jobs->n; i++)
        ends[nends++] = jobs->v[i].window_end;
    qsort(ends, nends, sizeof *ends, cmp_i64);
    for (i = 0; i < nends && code == SRR_EXIT_OK; i++) {
        srr_collect_job *wj;
        unsigned char *adv;
        size_t nw = 0;
        if (i > 0 && ends[i] == ends[i - 1])
            continue;
        wj = srr_calloc(jobs->n, sizeof *wj);
        adv = srr_calloc(jobs->n, 1);
        for (size_t j = 0; j < jobs->n; j++)
            if (jobs->v[j].window_end == ends[i]) {
                adv[nw] = jobs->advance[j]; /* 0 for every window of a replay */
                wj[nw++] = jobs->v[j];
            }
        code = sweep_window(run, wj, adv, nw, ends[i]);
        free(wj);
        free(adv);
    }
    free(ends);
    return code;
}

/* Prints what the sweep queued and stored and logs its summary. */
static void print_totals(const sweep_run *run, const sweep_summary *sum)
{
    const srr_config *cfg = run->cfg;
    printf("queued %zu candidate(s) on the %s queue (%zu clear observation(s) of followed "
           "things); %zu ignored by the policy; %zu waiting for a later window's draft "
           "budget; %zu check window(s) failed\n",
           sum->queued, cfg->queue.backend, sum->clear, sum->ignored, sum->deferred, sum->failed);
    if (run->drain)
        printf("store %s: %zu new draft risk(s), %zu new draft backlog item(s), "
               "%zu new investigation(s), %zu attached as evidence, %zu already stored, "
               "%zu ignored, %zu promoted, %zu closed, %zu quarantined\n",
               cfg->store.path, run->stored.new_risks, run->stored.new_backlog,
               run->stored.new_investigations, run->stored.evidence, run->stored.duplicates,
               run->stored.ignored, run->stored.promoted, run->stored.closed,
               run->stored.quarantined);
    srr_info("sweep summary: %zu check(s), %zu window(s), %zu signal(s), candidates: %zu risk, "
             "%zu investigate, %zu backlog, %zu clear, %zu ignored, %zu over budget; %lu "
             "Datadog request(s), %lu retried, %lu answered 429, %lu rate-limit wait(s) (%.1f "
             "s); %zu failed",
             sum->checks, sum->jobs, sum->signals, sum->by_action[SRR_ACTION_RISK],
             sum->by_action[SRR_ACTION_INVESTIGATE], sum->by_action[SRR_ACTION_BACKLOG], sum->clear,
             sum->ignored, sum->deferred, sum->dd.requests, sum->dd.retries, sum->dd.http_429,
             sum->dd.rl_waits, (double)sum->dd.rl_wait_ms / 1000.0, sum->failed);
    if (run->failures.len)
        printf("failed:\n%s", run->failures.data);
}

int srr_cmd_sweep(int argc, char **argv)
{
    sweep_opts o;
    srr_config *cfg = NULL;
    srr_ruleset *rs = NULL;
    srr_dd_client *dd = NULL;
    srr_error err = {0};
    srr_sweep_state *state = NULL;
    job_list jobs = {0};
    sweep_summary sum = {0};
    sweep_run run;
    int64_t since_s = 0, at = 0;
    int64_t end = 0, now = srr_now();
    size_t i;
    int code = SRR_EXIT_OK, r;

    memset(&run, 0, sizeof run);
    r = parse_args(argc, argv, &o);
    if (r == -2)
        return SRR_EXIT_OK;
    if (r < 0)
        return SRR_EXIT_USAGE;
    cfg = srr_cli_load_policy(o.config, &rs, &code);
    if (!cfg)
        return code;
    if (cfg->nchecks == 0)
        srr_log_say(SRR_LOG_WARN, "srr sweep: the config has no checks; nothing to ask Datadog\n");
    if ((code = parse_times(&o, now, &since_s, &at)) != SRR_EXIT_OK)
        goto out;
    sum.started = now;
    sum.checks = cfg->nchecks;

    if ((code = open_datadog(&o, cfg, now, at, &end, &dd)) != SRR_EXIT_OK)
        goto out;
    /* The store: the state of the grid and the things it follows. */
    if (srr_sweep_state_open(cfg->store.path, &state, &err) != SRR_OK) {
        srr_say_error("srr sweep: %s\n", err.msg);
        code = SRR_EXIT_FAIL;
        goto out;
    }
    if ((code = plan_jobs(&o, cfg, state, end, since_s, at, &jobs)) != SRR_EXIT_OK)
        goto out;

    run.o = &o;
    run.cfg = cfg;
    run.rs = rs;
    run.dd = dd;
    run.state = state; /* a replay reads the things it follows, never moves the grid */
    run.fired = srr_calloc(cfg->nchecks ? cfg->nchecks : 1, sizeof *run.fired);
    run.broken = srr_calloc(cfg->nchecks ? cfg->nchecks : 1, 1);
    run.sum = &sum;
    run.now = now;
    run.end = end;
    run.drain = strcmp(cfg->queue.backend, "spool") == 0 && !o.no_drain;
    code = run_windows(&run, &jobs);
    if (run.drain && state) { /* what waits for a later window's budget: listed, kept */
        srr_error werr = {0};
        waiting_list wl = {0};
        if (srr_sweep_state_waiting(state, print_waiting, &wl, &werr) != SRR_OK)
            srr_warn("%s", werr.msg);
        sum.deferred = wl.n;
    }
    sum.dd = *srr_dd_client_stats(dd);
    sum.finished = srr_now();
    print_totals(&run, &sum);
    if (sum.failed && code == SRR_EXIT_OK)
        code = SRR_EXIT_FAIL;
    /* A live sweep that failed nowhere (replays keep no state) is the
     * srr_sweep_last_success_timestamp_seconds gauge's time. */
    if (state && !o.replay && code == SRR_EXIT_OK &&
        srr_sweep_state_mark_success(state, sum.finished, &err) != SRR_OK)
        srr_warn("srr sweep: %s", err.msg);
    if (cfg->sweep.textfile && write_textfile(cfg, &sum, &err) != SRR_OK) {
        srr_say_error("srr sweep: writing sweep.textfile: %s\n", err.msg);
        code = SRR_EXIT_FAIL;
    }
out:
    for (i = 0; run.fired && i < cfg->nchecks; i++)
        strv_clear(run.fired[i].v, run.fired[i].n);
    free(run.fired);
    free(run.broken);
    srr_buf_free(&run.failures);
    free(jobs.v);
    free(jobs.advance);
    srr_sweep_state_close(&state);
    srr_producer_close(&run.prod);
    srr_dd_client_destroy(&dd);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
    return code;
}
