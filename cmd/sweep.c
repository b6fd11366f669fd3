/* SPDX-License-Identifier: Apache-2.0
 *
 * sweep.c - `srr sweep`: the weekly job. For every configured check it asks
 * Datadog (or a recording) for the window, lets the detectors turn answers
 * into signals and the policy into candidates, queues them durably, and -
 * with the embedded local spool - drains the queue into the store so one
 * command goes end to end.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "collect.h"
#include "datadog.h"
#include "log.h"
#include "queue.h"
#include "rules.h"

typedef struct sweep_opts {
    const char *config;
    const char *replay;
    const char *record;
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

/* Most urgent first; stable on the order the checks produced them. */
static int by_urgency(const void *a, const void *b)
{
    const srr_candidate *x = a, *y = b;
    if (x->urgency != y->urgency)
        return (int)y->urgency - (int)x->urgency;
    return strcmp(x->id, y->id);
}

static int parse_args(int argc, char **argv, sweep_opts *o)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                              {"replay", required_argument, NULL, 'R'},
                                              {"record", required_argument, NULL, 'W'},
                                              {"no-drain", no_argument, NULL, 'n'},
                                              {"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    int c;
    memset(o, 0, sizeof(*o));
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'R': o->replay = optarg; break;
        case 'W': o->record = optarg; break;
        case 'n': o->no_drain = 1; break;
        case 'h':
            printf("usage: srr sweep [-c FILE] [--replay DIR | --record DIR] [--no-drain]\n");
            return -2;
        default: return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "srr sweep: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (o->replay && o->record) {
        fprintf(stderr, "srr sweep: --replay and --record cannot be used together\n");
        return -1;
    }
    return 0;
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
        fprintf(stderr, "srr: %s\n", err.msg);
        code = SRR_EXIT_USAGE;
        goto out;
    }
    if (cfg->nchecks == 0)
        fprintf(stderr, "srr sweep: the config has no checks; nothing to ask Datadog\n");

    if (o.replay) {
        mode = SRR_DD_REPLAY;
        if (srr_dd_recording_read_meta(o.replay, &end, &err) != SRR_OK) {
            fprintf(stderr, "srr sweep: %s\n", err.msg);
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
        fprintf(stderr, "srr sweep: %s\n", err.msg);
        code = err.code == SRR_EAUTH ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
        goto out;
    }
    if (o.record && srr_dd_recording_write_meta(o.record, end, &err) != SRR_OK) {
        fprintf(stderr, "srr sweep: %s\n", err.msg);
        code = SRR_EXIT_FAIL;
        goto out;
    }

    srr_time_iso(end, t1);
    printf("sweep up to %s (%s) with %zu check(s)\n", t1,
           o.replay ? o.replay : (o.record ? "live, recording" : base), cfg->nchecks);
    reports = srr_calloc(cfg->nchecks ? cfg->nchecks : 1, sizeof(*reports));
    failed = srr_collect_all(cfg, rs, dd, end, &sigs, reports);
    for (i = 0; i < cfg->nchecks; i++) {
        const srr_check_report *rep = &reports[i];
        size_t j;
        if (rep->rc != SRR_OK) {
            printf("  %-24s FAILED: %s\n", rep->check->name, rep->error);
            continue;
        }
        printf("  %-24s %-7s %6zu %s, %zu signal(s)\n", rep->check->name,
               rep->check->source == SRR_SRC_METRICS ? "metrics" : "logs", rep->nresults,
               rep->check->source == SRR_SRC_METRICS ? "series" : "events", rep->nsignals);
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

    /* The draft budget: most urgent first; the rest are listed, not queued. */
    budget = srr_rules_max_new_drafts(rs);
    if (cands.n)
        qsort(cands.v, cands.n, sizeof(*cands.v), by_urgency);
    if (cands.n)
        printf("candidates:\n");
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
            fprintf(stderr, "srr sweep: cannot open the queue: %s\n", err.msg);
            code = SRR_EXIT_FAIL;
            goto out;
        }
        payload = srr_candidate_dumps(c);
        rc = srr_producer_send(prod, c->fingerprint, payload, strlen(payload), &err);
        free(payload);
        if (rc != SRR_OK) {
            fprintf(stderr, "srr sweep: queueing %s failed: %s\n", c->id, err.msg);
            code = SRR_EXIT_FAIL;
            goto out;
        }
        drafts++;
        printf("  %-11s %-8s %s\n      why: %s\n", srr_action_name(c->action),
               srr_urgency_name(c->urgency), c->title, c->reason);
    }
    if (prod && srr_producer_flush(prod, &err) != SRR_OK) {
        fprintf(stderr, "srr sweep: the queue did not confirm the candidates: %s\n", err.msg);
        code = SRR_EXIT_FAIL;
        goto out;
    }
    printf("queued %zu candidate(s) on the %s queue; %zu ignored by the policy; %zu over the "
           "draft budget; %zu check(s) failed\n",
           drafts, cfg->queue.backend, ignored, deferred, failed);

    if (strcmp(cfg->queue.backend, "spool") == 0 && !o.no_drain) {
        srr_producer_close(&prod);
        code = srr_cli_drain(cfg, 1, NULL, "srr sweep");
    }
    if (failed && code == SRR_EXIT_OK)
        code = SRR_EXIT_FAIL;
out:
    cand_list_clear(&cands);
    srr_signal_list_clear(&sigs);
    free(reports);
    srr_producer_close(&prod);
    srr_dd_client_destroy(&dd);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
    free(base);
    return code;
}
