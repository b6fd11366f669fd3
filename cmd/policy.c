/* SPDX-License-Identifier: Apache-2.0
 *
 * policy.c - `srr policy`: the triage policy, made readable and testable
 * before it goes live (DESIGN.md section 4).
 *
 *   srr policy check [-c FILE] [POLICY]   lint (unreachable rules, unknown
 *                                         checks, missing default, ...)
 *   srr policy explain [-c FILE] --signal FILE|-
 *                                         one signal: every rule tried,
 *                                         why it did (not) match, the winner
 *   srr policy test [-c FILE] --replay DIR [--policy NEW]
 *                                         replay a recorded sweep through the
 *                                         current and a changed policy and
 *                                         print the difference
 *
 * A POLICY/NEW file is either a whole config (its `policy:` section is
 * used, and its `checks:` when it has some) or a file holding just a
 * `policy:` map or the map itself (`rules:`, `default:`, ...). The work is
 * done by rules/ (srr_rules_lint, srr_rules_explain, srr_rules_decide);
 * this file only loads, wires and prints.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "collect.h"
#include "datadog.h"
#include "rules.h"
#include "store.h"
#include "yaml.h"

typedef struct policy_opts {
    const char *config;
    const char *signal;
    const char *replay;
    const char *policy;
    const char *file; /* positional POLICY of `check` */
    int history;      /* explain: with the fingerprint's history from the store */
} policy_opts;

static const char usage_text[] = "usage: srr policy check [-c FILE] [POLICY]\n"
                                 "       srr policy explain [-c FILE] --signal FILE|- [--history]\n"
                                 "       srr policy test [-c FILE] --replay DIR [--policy NEW]\n";

static int parse_args(int argc, char **argv, policy_opts *o, const char *sub)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"signal", required_argument, NULL, 's'},
        {"replay", required_argument, NULL, 'R'}, {"policy", required_argument, NULL, 'p'},
        {"history", no_argument, NULL, 'H'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    memset(o, 0, sizeof(*o));
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 's': o->signal = optarg; break;
        case 'R': o->replay = optarg; break;
        case 'p': o->policy = optarg; break;
        case 'H': o->history = 1; break;
        case 'h': fputs(usage_text, stdout); return -2;
        default: return -1;
        }
    }
    if (strcmp(sub, "check") == 0 && optind < argc)
        o->file = argv[optind++];
    if (optind < argc) {
        srr_say_error("srr policy %s: unexpected argument '%s'\n", sub, argv[optind]);
        return -1;
    }
    return 0;
}

/* The policy map of a loaded YAML file: its `policy:` section, or the
 * document itself when it is the map (has rules/default/max_new_drafts). */
static const srr_yaml_node *policy_node_of(const srr_yaml_node *root)
{
    const srr_yaml_node *p = srr_yaml_get(root, "policy");
    if (p)
        return p;
    if (srr_yaml_get(root, "rules") || srr_yaml_get(root, "default") ||
        srr_yaml_get(root, "max_new_drafts"))
        return root;
    return NULL;
}

/* Loads the YAML of a policy file; prints errors. NULL on failure. */
static srr_yaml_node *load_policy_file(const char *path, const char *who)
{
    srr_yaml_node *root = NULL;
    srr_error err = {0};
    if (srr_yaml_load_file(path, &root, &err) != SRR_OK) {
        srr_say_error("%s: %s\n", who, err.msg);
        return NULL;
    }
    if (!policy_node_of(root)) {
        srr_say_error(
                "%s: %s has no policy (expected a 'policy:' section, or 'rules:' and "
                "'default:' at the top)\n",
                who, path);
        srr_yaml_free(root);
        return NULL;
    }
    return root;
}

static const char *file_of(const srr_lint_msg *m)
{
    return m->file ? m->file : "policy";
}

/* ---- check ---------------------------------------------------------------- */

static int cmd_check(const policy_opts *o)
{
    srr_config *cfg = NULL;
    srr_yaml_node *other = NULL;
    const srr_yaml_node *pnode = NULL;
    srr_ruleset *rs = NULL;
    srr_lint_msg *msgs = NULL;
    srr_error err = {0};
    int code = SRR_EXIT_OK;
    size_t n, i;

    if (o->file) {
        other = load_policy_file(o->file, "srr policy check");
        if (!other)
            return SRR_EXIT_USAGE;
        if (srr_yaml_get(other, "checks")) {
            /* A whole config: its own checks and policy. */
            srr_yaml_free(other);
            other = NULL;
            cfg = srr_cli_load_config(o->file, &code);
        } else {
            cfg = srr_cli_load_config(o->config, &code);
            pnode = policy_node_of(other);
        }
    } else {
        cfg = srr_cli_load_config(o->config, &code);
    }
    if (!cfg)
        goto out;
    if (!pnode)
        pnode = cfg->policy;
    if (srr_rules_compile_policy(cfg, pnode, &rs, &err) != SRR_OK) {
        printf("%s\n", err.msg);
        code = SRR_EXIT_USAGE;
        goto out;
    }
    n = srr_rules_lint(rs, &msgs);
    for (i = 0; i < n; i++)
        printf("%s:%d:%d: %s: %s\n", file_of(&msgs[i]), msgs[i].line, msgs[i].col,
               msgs[i].is_error ? "error" : "warning", msgs[i].text);
    printf("%s: %zu rule(s) over %zu check(s), draft budget %zu per sweep%s; %zu "
           "finding(s)\n",
           pnode && pnode->file ? pnode->file : "built-in policy", srr_rules_count(rs),
           cfg->nchecks, srr_rules_max_new_drafts(rs),
           srr_rules_max_new_drafts(rs) ? "" : " (unlimited)", n);
    code = n ? SRR_EXIT_FAIL : SRR_EXIT_OK;
out:
    free(msgs);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
    srr_yaml_free(other);
    return code;
}

/* ---- explain -------------------------------------------------------------- */

/* Reads a whole file, or stdin for "-". Caller frees. */
static char *read_input(const char *path, srr_error *err)
{
    char *text = NULL;
    size_t len = 0;
    if (strcmp(path, "-") != 0)
        return srr_file_read(path, 16 << 20, &text, &len, err) == SRR_OK ? text : NULL;
    srr_buf b;
    char chunk[4096];
    size_t k;
    srr_buf_init(&b, 16 << 20);
    while ((k = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        if (srr_buf_append(&b, chunk, k) != SRR_OK) {
            srr_buf_free(&b);
            srr_error_set(err, SRR_EINVAL, "stdin: more than 16 MiB");
            return NULL;
        }
    if (!b.data)
        srr_buf_append(&b, "", 0);
    return srr_buf_steal(&b);
}

static void print_signal(const srr_signal *s)
{
    char tags[512] = "";
    size_t off = 0, i;
    for (i = 0; i < s->ntags && off < sizeof tags - 1; i++) {
        int k = snprintf(tags + off, sizeof tags - off, "%s%s", i ? "," : "", s->tags[i]);
        if (k < 0)
            break;
        off += (size_t)k;
    }
    /* the signal's text comes from outside (a recording, Datadog) */
    printf("signal: %s %s on %s (%s", srr_status_name(s->status), srr_kind_name(s->kind),
           s->check ? srr_cli_safe(s->check, SRR_FMT_TABLE, 0) : "?", srr_source_name(s->source));
    if (s->service)
        printf(", service %s", srr_cli_safe(s->service, SRR_FMT_TABLE, 0));
    if (s->env)
        printf(", env %s", srr_cli_safe(s->env, SRR_FMT_TABLE, 0));
    if (s->priority)
        printf(", priority %s", srr_cli_safe(s->priority, SRR_FMT_TABLE, 0));
    if (s->ntags)
        printf(", tags %s", srr_cli_safe(tags, SRR_FMT_TABLE, 0));
    printf(")\n");
    if (s->summary)
        printf("  %s\n", srr_cli_safe(s->summary, SRR_FMT_TABLE, 0));
}

/* Reads the signal of --signal (a file or "-"): a signal, or a candidate
 * (or anything) holding one under "signal". Returns an exit code, having
 * said what is wrong; on success the caller clears *sig. */
static int read_signal(const char *path, srr_signal *sig)
{
    srr_error err = {0};
    json_error_t jerr;
    json_t *j, *sj;
    int code = SRR_EXIT_OK;
    char *text = read_input(path, &err);
    if (!text) {
        srr_say_error("srr policy explain: %s\n", err.msg);
        return SRR_EXIT_USAGE;
    }
    j = json_loads(text, 0, &jerr);
    free(text);
    if (!j) {
        srr_say_error("srr policy explain: %s:%d:%d: not JSON: %s\n",
                      strcmp(path, "-") == 0 ? "stdin" : path, jerr.line, jerr.column, jerr.text);
        return SRR_EXIT_USAGE;
    }
    sj = json_object_get(j, "signal");
    if (!json_is_object(sj))
        sj = j;
    if (srr_signal_from_json(sj, sig, &err) != SRR_OK) {
        srr_say_error("srr policy explain: not a signal: %s\n", err.msg);
        code = SRR_EXIT_USAGE;
    }
    json_decref(j); /* the signal holds copies */
    return code;
}

/* --history: judges sig again as the writer would now, with what the store
 * holds for the fingerprint the first decision (in *ex) gives, and
 * replaces *ex with that explanation. Returns an exit code, having said
 * what is wrong. */
static int explain_with_history(const srr_config *cfg, const srr_ruleset *rs, const srr_signal *sig,
                                srr_explanation *ex)
{
    srr_history hist;
    srr_sighting *sv = NULL;
    srr_store *st = NULL;
    srr_error err = {0};
    char fp[33];
    srr_rules_fingerprint(sig, &ex->decision, fp);
    if (access(cfg->store.path, F_OK) != 0) { /* read it; never create one */
        srr_say_error("srr policy explain: --history: no store at %s (nothing stored yet?)\n",
                      cfg->store.path);
        return SRR_EXIT_FAIL;
    }
    if (srr_store_open(cfg->store.path, &st, &err) != SRR_OK ||
        srr_store_history(st, fp, srr_now(), &hist, &sv, &err) != SRR_OK) {
        srr_say_error("srr policy explain: --history: %s\n", err.msg);
        srr_store_close(&st);
        return SRR_EXIT_FAIL;
    }
    srr_store_close(&st);
    printf("history of %.8s in %s: %zu earlier sighting(s)", fp, cfg->store.path, hist.nsightings);
    if (hist.open_kind != SRR_REC_NONE)
        printf(", open %s %s%lld",
               hist.open_kind == SRR_REC_RISK      ? "risk"
               : hist.open_kind == SRR_REC_BACKLOG ? "backlog item"
                                                   : "investigation",
               hist.open_kind == SRR_REC_RISK      ? "SRR-"
               : hist.open_kind == SRR_REC_BACKLOG ? "BL-"
                                                   : "INV-",
               (long long)hist.open_id);
    if (hist.resolved_risk_id)
        printf(", resolved risk SRR-%lld", (long long)hist.resolved_risk_id);
    printf("\n");
    srr_explanation_clear(ex);
    srr_rules_explain(rs, sig, &hist, ex);
    free(sv); /* ex copied what it reports */
    return SRR_EXIT_OK;
}

/* Prints every rule tried, then the decision, why, and the fingerprint. */
static void print_explanation(const srr_config *cfg, const srr_ruleset *rs, const srr_signal *sig,
                              const srr_explanation *ex)
{
    const srr_decision *d = &ex->decision;
    char fp[33];
    size_t i;
    printf("rules tried (%s):\n",
           cfg->policy && cfg->policy->file ? cfg->policy->file : "built-in policy");
    for (i = 0; i < ex->n; i++) {
        const srr_rule_trace *t = &ex->v[i];
        char num[16];
        if ((size_t)t->index == srr_rules_count(rs))
            snprintf(num, sizeof num, "default");
        else
            snprintf(num, sizeof num, "#%d", t->index + 1);
        printf("  %-8s %-32s %-9s %s\n", num, t->rule,
               t->matched         ? "MATCH"
               : t->needs_history ? "history?"
                                  : "no",
               t->why);
    }
    printf("decision: %s", srr_action_name(d->action));
    if (d->timebox_s)
        printf(" (time-box %lldd)", (long long)(d->timebox_s / 86400));
    printf(", urgency %s", srr_urgency_name(d->urgency));
    if (d->impact)
        printf(" (impact %s x likelihood %s)", d->impact, d->likelihood);
    if (d->owner)
        printf(", owner %s", d->owner);
    for (i = 0; i < d->nlabels; i++)
        printf("%s%s", i ? ", " : ", labels ", d->labels[i]);
    printf("\nwhy: %s\n", d->reason);
    if (d->provisional)
        printf("note: a rule that needs this fingerprint's history (recurrence, flapping) "
               "comes first; the writer decides again with the stored sightings\n");
    srr_rules_fingerprint(sig, d, fp);
    printf("fingerprint: %s%s\n", fp, d->has_group_by ? " (the rule's group_by)" : "");
}

static int cmd_explain(const policy_opts *o)
{
    srr_config *cfg = NULL;
    srr_ruleset *rs = NULL;
    srr_signal sig;
    srr_explanation ex;
    int code = SRR_EXIT_OK;

    memset(&sig, 0, sizeof(sig));
    memset(&ex, 0, sizeof(ex));
    if (!o->signal) {
        srr_say_error("srr policy explain: --signal FILE|- is required\n%s", usage_text);
        return SRR_EXIT_USAGE;
    }
    cfg = srr_cli_load_policy(o->config, &rs, &code);
    if (!cfg)
        return code;
    if ((code = read_signal(o->signal, &sig)) != SRR_EXIT_OK)
        goto out;
    srr_rules_explain(rs, &sig, NULL, &ex);
    print_signal(&sig);
    if (o->history && (code = explain_with_history(cfg, rs, &sig, &ex)) != SRR_EXIT_OK)
        goto out;
    print_explanation(cfg, rs, &sig, &ex);
out:
    srr_explanation_clear(&ex);
    srr_signal_clear(&sig);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
    return code;
}

/* ---- test ----------------------------------------------------------------- */

/* Counts of one policy's outcomes over the replayed signals. */
typedef struct tally {
    size_t by_action[SRR_ACTION__COUNT];
    size_t over_budget;
} tally;

/* Decides every signal with rs; fills decisions/fingerprints and the tally
 * (the budget applied as the writer applies it: to new things, most urgent
 * first, with no history). */
static void run_policy(const srr_ruleset *rs, const srr_signal_list *sigs, srr_decision *d,
                       char (*fp)[33], tally *t)
{
    size_t i, queued = 0, admitted = 0, *order;
    srr_candidate *c = srr_calloc(sigs->n ? sigs->n : 1, sizeof(*c));
    memset(t, 0, sizeof(*t));
    for (i = 0; i < sigs->n; i++) {
        size_t k;
        srr_rules_decide(rs, &sigs->v[i], &d[i]);
        srr_rules_fingerprint(&sigs->v[i], &d[i], fp[i]);
        t->by_action[d[i].action]++;
        if (d[i].action == SRR_ACTION_IGNORE)
            continue;
        /* The budget counts new things: observations of one thing are one. */
        for (k = 0; k < queued && strcmp(c[k].id, fp[i]) != 0; k++)
            ;
        if (k < queued) {
            if (d[i].urgency > c[k].urgency)
                c[k].urgency = d[i].urgency;
            continue;
        }
        c[queued].urgency = d[i].urgency;
        c[queued].action = d[i].action;
        snprintf(c[queued].id, sizeof(c[queued].id), "%s", fp[i]);
        queued++;
    }
    order = srr_calloc(queued ? queued : 1, sizeof(*order));
    srr_rules_budget(c, queued, srr_rules_max_new_drafts(rs), order, &admitted);
    t->over_budget = queued - admitted;
    free(order);
    free(c);
}

static void print_row(const char *what, size_t a, size_t b, int two)
{
    if (!two) {
        printf("  %-16s %7zu\n", what, a);
        return;
    }
    long diff = (long)b - (long)a;
    printf("  %-16s %7zu %7zu %+7ld\n", what, a, b, diff);
}

/* The counts of both policies side by side (the current one alone without
 * --policy). */
static void print_tallies(const tally *ta, const tally *tb, int two)
{
    if (two)
        printf("  %-16s %7s %7s %7s\n", "", "current", "new", "change");
    else
        printf("  %-16s %7s\n", "", "current");
    print_row("draft risks", ta->by_action[SRR_ACTION_RISK], tb->by_action[SRR_ACTION_RISK], two);
    print_row("backlog items", ta->by_action[SRR_ACTION_BACKLOG], tb->by_action[SRR_ACTION_BACKLOG],
              two);
    print_row("investigations", ta->by_action[SRR_ACTION_INVESTIGATE],
              tb->by_action[SRR_ACTION_INVESTIGATE], two);
    print_row("ignored", ta->by_action[SRR_ACTION_IGNORE], tb->by_action[SRR_ACTION_IGNORE], two);
    print_row("over budget", ta->over_budget, tb->over_budget, two);
}

/* Without a new policy (db NULL): every signal's decision. With one: the
 * signals whose action, rule, urgency or fingerprint moved, and how many. */
static void print_signals(const srr_signal_list *sigs, const srr_decision *da,
                          const srr_decision *db, char (*fa)[33], char (*fb)[33])
{
    size_t i, moved = 0;
    for (i = 0; i < sigs->n; i++) {
        srr_candidate c;
        const srr_decision *a = &da[i], *b = db ? &db[i] : &da[i];
        int fp_moved = db && strcmp(fa[i], fb[i]) != 0;
        srr_rules_candidate(&sigs->v[i], a, 0, &c);
        if (!db) {
            printf("  %-11s %-34s %.8s  %s\n", srr_action_name(a->action), a->rule, fa[i],
                   srr_cli_safe(c.title, SRR_FMT_TABLE, 0));
        } else if (a->action != b->action || strcmp(a->rule, b->rule) != 0 || fp_moved ||
                   a->urgency != b->urgency) {
            if (moved++ == 0)
                printf("moved:\n");
            printf("  %.8s  %s\n      %s (%s, %s) -> %s (%s, %s)", fa[i],
                   srr_cli_safe(c.title, SRR_FMT_TABLE, 0), srr_action_name(a->action), a->rule,
                   srr_urgency_name(a->urgency), srr_action_name(b->action), b->rule,
                   srr_urgency_name(b->urgency));
            if (fp_moved)
                printf("; fingerprint %.8s -> %.8s", fa[i], fb[i]);
            printf("\n");
        }
        srr_candidate_clear(&c);
    }
    if (db)
        printf("%zu of %zu signal(s) moved\n", moved, sigs->n);
}

/* --policy NEW compiled against the config's checks (*neu NULL without
 * it; *other holds its YAML, which *neu borrows). Returns an exit code,
 * having said what is wrong. */
static int load_new_policy(const policy_opts *o, const srr_config *cfg, srr_yaml_node **other,
                           srr_ruleset **neu)
{
    srr_error err = {0};
    if (!o->policy)
        return SRR_EXIT_OK;
    *other = load_policy_file(o->policy, "srr policy test");
    if (!*other)
        return SRR_EXIT_USAGE;
    if (srr_rules_compile_policy(cfg, policy_node_of(*other), neu, &err) != SRR_OK) {
        srr_say_error("srr policy test: %s\n", err.msg);
        return SRR_EXIT_USAGE;
    }
    return SRR_EXIT_OK;
}

static int cmd_test(const policy_opts *o)
{
    srr_config *cfg = NULL;
    srr_ruleset *cur = NULL, *neu = NULL;
    srr_yaml_node *other = NULL;
    srr_dd_client *dd = NULL;
    srr_signal_list sigs = {0};
    srr_check_report *reports = NULL;
    srr_decision *da = NULL, *db = NULL;
    char(*fa)[33] = NULL, (*fb)[33] = NULL;
    srr_error err = {0};
    char *base = NULL;
    int64_t end = 0;
    size_t failed, i;
    tally ta, tb;
    int code = SRR_EXIT_OK;

    if (!o->replay) {
        srr_say_error("srr policy test: --replay DIR is required\n%s", usage_text);
        return SRR_EXIT_USAGE;
    }
    cfg = srr_cli_load_config(o->config, &code);
    if (!cfg)
        return code;
    if (srr_rules_compile(cfg, &cur, &err) != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        code = SRR_EXIT_USAGE;
        goto out;
    }
    if ((code = load_new_policy(o, cfg, &other, &neu)) != SRR_EXIT_OK)
        goto out;
    if (srr_dd_recording_read_meta(o->replay, &end, &err) != SRR_OK) {
        srr_say_error("srr policy test: %s\n", err.msg);
        code = SRR_EXIT_USAGE;
        goto out;
    }
    base = srr_config_dd_base_url(cfg);
    if (srr_dd_client_create(&cfg->datadog, base, SRR_DD_REPLAY, o->replay, &dd, &err) != SRR_OK) {
        srr_say_error("srr policy test: %s\n", err.msg);
        code = SRR_EXIT_FAIL;
        goto out;
    }
    reports = srr_calloc(cfg->nchecks ? cfg->nchecks : 1, sizeof(*reports));
    failed = srr_collect_all(cfg, cur, dd, end, &sigs, reports);
    for (i = 0; i < cfg->nchecks; i++)
        if (reports[i].rc != SRR_OK)
            printf("check %s FAILED: %s\n", reports[i].check->name, reports[i].error);

    da = srr_calloc(sigs.n ? sigs.n : 1, sizeof(*da));
    db = srr_calloc(sigs.n ? sigs.n : 1, sizeof(*db));
    fa = srr_calloc(sigs.n ? sigs.n : 1, sizeof(*fa));
    fb = srr_calloc(sigs.n ? sigs.n : 1, sizeof(*fb));
    run_policy(cur, &sigs, da, fa, &ta);
    if (neu)
        run_policy(neu, &sigs, db, fb, &tb);

    printf("replayed %s: %zu signal(s) from %zu check(s)%s\n", o->replay, sigs.n, cfg->nchecks,
           failed ? " (some checks failed)" : "");
    print_tallies(&ta, &tb, neu != NULL);
    print_signals(&sigs, da, neu ? db : NULL, fa, fb);
    if (failed)
        code = SRR_EXIT_FAIL;
out:
    free(da);
    free(db);
    free(fa);
    free(fb);
    free(reports);
    free(base);
    srr_signal_list_clear(&sigs);
    srr_dd_client_destroy(&dd);
    srr_rules_destroy(neu);
    srr_rules_destroy(cur);
    srr_yaml_free(other);
    srr_config_destroy(cfg);
    return code;
}

int srr_cmd_policy(int argc, char **argv)
{
    policy_opts o;
    const char *sub = argc > 1 ? argv[1] : "";
    int r;
    if (strcmp(sub, "check") != 0 && strcmp(sub, "explain") != 0 && strcmp(sub, "test") != 0) {
        if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
            fputs(usage_text, stdout);
            return SRR_EXIT_OK;
        }
        srr_say_error("srr policy: unknown subcommand '%s'\n%s", sub, usage_text);
        return SRR_EXIT_USAGE;
    }
    r = parse_args(argc - 1, argv + 1, &o, sub);
    if (r == -2)
        return SRR_EXIT_OK;
    if (r < 0)
        return SRR_EXIT_USAGE;
    if (strcmp(sub, "check") == 0)
        return cmd_check(&o);
    if (strcmp(sub, "explain") == 0)
        return cmd_explain(&o);
    return cmd_test(&o);
}
