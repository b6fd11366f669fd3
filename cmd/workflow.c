/* SPDX-License-Identifier: Apache-2.0
 *
 * workflow.c - the write side an engineer uses: `srr risks approve|reject|
 * merge|assign|log|set|resolve|accept|reopen`, `srr backlog accept|done|
 * reject|assign`, `srr investigations resolve`, plus `srr audit [ID]` and
 * `srr team load`. Every change names its actor (--as NAME, else
 * $SRR_USER, else the login name) and goes through store/workflow.h, which
 * checks the transition, writes it in one transaction and audits it.
 *
 * Exit codes: 0 done; 1 refused (the transition is not allowed from the
 * record's status, or it changed underneath) or the store failed; 2 bad
 * arguments or an unknown record.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store.h"
#include "tickets_config.h"
#include "workflow.h"

/* Everything a change command may be given. */
typedef struct change_opts {
    const char *config, *as, *assign, *urgency, *note, *into, *section, *text, *link;
    const char *outcome, *review_in, *limit, *expect;
    int suggest, yes, ticket;
    srr_format fmt;
    const char *pos[16]; /* positional arguments */
    int npos;
} change_opts;

enum {
    O_AS = 256,
    O_ASSIGN,
    O_URGENCY,
    O_NOTE,
    O_REASON,
    O_INTO,
    O_RECOG,
    O_COUNTER,
    O_REVIEW,
    O_LINK,
    O_OUTCOME,
    O_SUGGEST,
    O_YES,
    O_LIMIT,
    O_EXPECT,
    O_TICKET
};

/* Parses the options of a change command. `usage` is printed on errors.
 * Returns 0, or an exit code + 1. */
static int parse_change(int argc, char **argv, const char *usage, change_opts *o)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"as", required_argument, NULL, O_AS},
                                             {"assign", required_argument, NULL, O_ASSIGN},
                                             {"urgency", required_argument, NULL, O_URGENCY},
                                             {"note", required_argument, NULL, O_NOTE},
                                             {"reason", required_argument, NULL, O_REASON},
                                             {"into", required_argument, NULL, O_INTO},
                                             {"recognition", required_argument, NULL, O_RECOG},
                                             {"countermeasure", required_argument, NULL, O_COUNTER},
                                             {"review-in", required_argument, NULL, O_REVIEW},
                                             {"link", required_argument, NULL, O_LINK},
                                             {"outcome", required_argument, NULL, O_OUTCOME},
                                             {"suggest", no_argument, NULL, O_SUGGEST},
                                             {"yes", no_argument, NULL, O_YES},
                                             {"limit", required_argument, NULL, O_LIMIT},
                                             {"expect-updated", required_argument, NULL, O_EXPECT},
                                             {"ticket", no_argument, NULL, O_TICKET},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    memset(o, 0, sizeof(*o));
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'f':
            if (srr_cli_format(optarg, &o->fmt) != 0)
                return SRR_EXIT_USAGE + 1;
            break;
        case O_AS: o->as = optarg; break;
        case O_ASSIGN: o->assign = optarg; break;
        case O_URGENCY: o->urgency = optarg; break;
        case O_NOTE:
        case O_REASON: o->note = optarg; break;
        case O_INTO: o->into = optarg; break;
        case O_RECOG:
        case O_COUNTER:
            if (o->section) {
                srr_say_error("srr: give one of --recognition or --countermeasure\n");
                return SRR_EXIT_USAGE + 1;
            }
            o->section = c == O_RECOG ? "recognition" : "countermeasure";
            o->text = optarg;
            break;
        case O_REVIEW: o->review_in = optarg; break;
        case O_LINK: o->link = optarg; break;
        case O_OUTCOME: o->outcome = optarg; break;
        case O_SUGGEST: o->suggest = 1; break;
        case O_YES: o->yes = 1; break;
        case O_LIMIT: o->limit = optarg; break;
        case O_EXPECT: o->expect = optarg; break;
        case O_TICKET: o->ticket = 1; break;
        case 'h': printf("usage: %s\n", usage); return SRR_EXIT_OK + 1;
        default: srr_say_error("usage: %s\n", usage); return SRR_EXIT_USAGE + 1;
        }
    }
    while (optind < argc) {
        if (o->npos == (int)(sizeof(o->pos) / sizeof(o->pos[0]))) {
            srr_say_error("srr: too many arguments\nusage: %s\n", usage);
            return SRR_EXIT_USAGE + 1;
        }
        o->pos[o->npos++] = argv[optind++];
    }
    return 0;
}

srr_store *srr_cli_open_store(const char *config, srr_config **cfg, int *code)
{
    srr_store *st = NULL;
    srr_error err = {0};
    *cfg = srr_cli_load_config(config, code);
    if (!*cfg)
        return NULL;
    if (srr_store_open((*cfg)->store.path, &st, &err) != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        *code = SRR_EXIT_FAIL;
        srr_config_destroy(*cfg);
        *cfg = NULL;
        return NULL;
    }
    return st;
}

int srr_cli_exit_of(srr_rc rc)
{
    if (rc == SRR_OK)
        return SRR_EXIT_OK;
    return rc == SRR_EINVAL || rc == SRR_ENOTFOUND ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
}

/* ---- people ----------------------------------------------------------------
 *
 * With team.members set, only members make and take changes: a name given
 * with --as, $SRR_USER, --assign or as WHO that is not one is refused, the
 * members listed. The actor is never silently the login name root: as root
 * (or when the login name is not a member) a change needs --as or
 * $SRR_USER. */

static int is_member(const srr_team_config *t, const char *name)
{
    size_t i;
    for (i = 0; i < t->nmembers; i++)
        if (strcmp(t->members[i], name) == 0)
            return 1;
    return 0;
}

static void members_text(const srr_team_config *t, char *buf, size_t n)
{
    size_t i, len = 0;
    buf[0] = '\0';
    for (i = 0; i < t->nmembers && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", t->members[i]);
}

/* 1 when `name` (given with option `opt`, or NULL: as an argument) may
 * take or make a change; else prints why and returns 0. */
static int person_ok(const srr_config *cfg, const char *name, const char *opt)
{
    char members[512];
    if (!name || !cfg->team.nmembers || is_member(&cfg->team, name))
        return 1;
    members_text(&cfg->team, members, sizeof(members));
    if (opt)
        srr_say_error("srr: %s %s: not in team.members (%s)", opt, name, members);
    else
        srr_say_error("srr: %s is not in team.members (%s)", name, members);
    return 0;
}

/* Who makes the change (--as, else $SRR_USER, else the login name), or
 * NULL after saying why it cannot be recorded. */
static const char *actor_of(const srr_config *cfg, const char *as)
{
    const char *env = getenv("SRR_USER"), *login;
    char members[512];
    if (as && *as)
        return person_ok(cfg, as, "--as") ? as : NULL;
    if (env && *env)
        return person_ok(cfg, env, "$SRR_USER") ? env : NULL;
    login = srr_wf_actor(NULL);
    if (cfg->team.nmembers && !is_member(&cfg->team, login)) {
        members_text(&cfg->team, members, sizeof(members));
        srr_say_error("srr: who makes this change? The login name %s is not in team.members "
                      "(%s): give --as NAME or set $SRR_USER",
                      login, members);
        return NULL;
    }
    if (strcmp(login, "root") == 0 || strcmp(login, "unknown") == 0) {
        srr_say_error("srr: this change would be recorded as '%s': say who makes it with "
                      "--as NAME or $SRR_USER",
                      login);
        return NULL;
    }
    return login;
}

/* Prints what a change did: "SRR-1 approve (by alice): status: draft → open". */
static void print_result(const json_t *res, const char *actor, srr_format fmt)
{
    const char *key;
    json_t *v;
    const json_t *before = json_object_get(res, "before");
    if (fmt == SRR_FMT_JSON) {
        char *s = json_dumps(res, JSON_INDENT(2));
        printf("%s\n", s);
        free(s);
        return;
    }
    printf("%s%s %s (by %s)%s\n", fmt == SRR_FMT_MD ? "**" : "", srr_cli_field(res, "id", fmt),
           srr_cli_field(res, "action", fmt), srr_cli_safe(actor, fmt, 0),
           fmt == SRR_FMT_MD ? "**" : "");
    if (fmt == SRR_FMT_MD)
        printf("\n");
    json_object_foreach(json_object_get(res, "after"), key, v)
    {
        const char *a = srr_cli_field(json_object_get(res, "after"), key, fmt);
        const char *b = srr_cli_field(before, key, fmt);
        if (json_object_get(before, key))
            printf("%s%s: %s → %s\n", fmt == SRR_FMT_MD ? "- " : "  ", key, *b ? b : "—",
                   *a ? a : "—");
        else
            printf("%s%s: %s\n", fmt == SRR_FMT_MD ? "- " : "  ", key, a);
    }
}

static void print_suggestion(const json_t *sug, srr_format fmt)
{
    if (fmt == SRR_FMT_JSON) {
        char *s = json_dumps(sug, JSON_INDENT(2));
        printf("%s\n", s);
        free(s);
        return;
    }
    printf("suggested assignee for %s: %s\n  why: %s\n", srr_cli_field(sug, "id", fmt),
           srr_cli_field(sug, "assignee", fmt), srr_cli_field(sug, "why", fmt));
}

/* Each verb: its usage and the positional arguments it takes after ID. */
static const struct {
    const char *verb, *usage;
    int min_pos, max_pos;
} RISK_USAGE[] = {
    {"approve", "srr risks approve ID [--assign WHO | --suggest] [--urgency U] [--note TEXT]", 1,
     1},
    {"reject", "srr risks reject ID --reason TEXT", 1, 1},
    {"merge", "srr risks merge ID --into ID [--note TEXT]", 1, 1},
    {"assign", "srr risks assign ID WHO | srr risks assign ID --suggest [--yes]", 1, 2},
    {"log", "srr risks log ID --recognition TEXT | --countermeasure TEXT", 1, 1},
    {"set", "srr risks set ID cause=... policy=... next=... backlog=URL postmortem=URL", 2, 16},
    {"resolve", "srr risks resolve ID [--note TEXT]", 1, 1},
    {"accept", "srr risks accept ID --review-in 90d --reason TEXT", 1, 1},
    {"reopen", "srr risks reopen ID [--note TEXT]", 1, 1},
    {NULL, NULL, 0, 0},
};

/* Fair assignment before a risk change: assign --suggest proposes (and
 * with --yes takes); approve --suggest takes the proposal, and so does
 * approve of a draft nobody is assigned to (with no one to suggest, it
 * stays unowned and the review lists it). Sets req->assignee when a
 * suggestion is taken, *sug to the suggestion (the caller decrefs; the
 * assignee string points into it), *took when approve took it and
 * *unowned when approve leaves nobody assigned. Returns -1 to go on with
 * the change, or the exit code to stop with (an error, or a proposal
 * without --yes). */
static int fair_assignment(srr_store *st, const srr_config *cfg, const char *verb,
                           const change_opts *o, srr_wf_req *req, json_t **sug, int *took,
                           int *unowned)
{
    int approve = strcmp(verb, "approve") == 0;
    srr_error serr = {0};
    srr_rc rc;
    if (o->suggest && (approve || strcmp(verb, "assign") == 0)) {
        rc = srr_wf_suggest(st, &cfg->team, o->pos[0], sug, &serr);
        if (rc != SRR_OK) {
            srr_say_error("srr: %s", serr.msg);
            return srr_cli_exit_of(rc);
        }
        if (!approve) {
            print_suggestion(*sug, o->fmt);
            if (!o->yes) {
                if (o->fmt != SRR_FMT_JSON)
                    printf("take it with: srr risks assign %s %s (or add --yes)\n", o->pos[0],
                           srr_cli_text(*sug, "assignee"));
                return SRR_EXIT_OK;
            }
        }
        req->assignee = json_string_value(json_object_get(*sug, "assignee"));
    } else if (approve && !o->assign) {
        json_t *cur = NULL;
        rc = srr_store_risk_get(st, o->pos[0], &cur, &serr);
        if (rc != SRR_OK) {
            srr_say_error("srr: %s", serr.msg);
            return srr_cli_exit_of(rc);
        }
        *unowned = !*srr_cli_text(cur, "assignee");
        json_decref(cur);
        if (*unowned && srr_wf_suggest(st, &cfg->team, o->pos[0], sug, &serr) == SRR_OK) {
            req->assignee = json_string_value(json_object_get(*sug, "assignee"));
            *took = 1;
            *unowned = 0;
        }
    }
    return -1;
}

int srr_cmd_risk_change(int argc, char **argv)
{
    change_opts o;
    srr_config *cfg = NULL;
    srr_store *st = NULL;
    json_t *res = NULL, *sug = NULL;
    srr_error err = {0};
    srr_wf_req req;
    const char *usage = NULL, *actor;
    char full[512];
    int i, code, unowned = 0, took_suggestion = 0;
    srr_rc rc = SRR_OK;

    for (i = 0; RISK_USAGE[i].verb; i++)
        if (strcmp(RISK_USAGE[i].verb, argv[0]) == 0)
            usage = RISK_USAGE[i].usage;
    if (!usage)
        return SRR_EXIT_USAGE;
    snprintf(full, sizeof(full),
             "%s [-c FILE] [--as NAME] [--expect-updated TIME] [--format table|json|md]", usage);
    code = parse_change(argc, argv, full, &o);
    if (code)
        return code - 1;
    for (i = 0; RISK_USAGE[i].verb && strcmp(RISK_USAGE[i].verb, argv[0]) != 0; i++)
        ;
    if (o.npos < RISK_USAGE[i].min_pos || o.npos > RISK_USAGE[i].max_pos ||
        (strcmp(argv[0], "assign") == 0 && o.npos == 1 && !o.suggest)) {
        srr_say_error("usage: %s\n", full);
        return SRR_EXIT_USAGE;
    }
    if (o.suggest && o.assign) {
        srr_say_error("srr: give --assign WHO or --suggest, not both\nusage: %s\n", full);
        return SRR_EXIT_USAGE;
    }
    if (o.review_in && strcmp(argv[0], "accept") != 0) {
        srr_say_error("srr: --review-in belongs to accept\nusage: %s", full);
        return SRR_EXIT_USAGE;
    }
    memset(&req, 0, sizeof(req));
    req.now = srr_now();
    req.note = o.note;
    req.assignee = o.assign;
    req.urgency = o.urgency;
    req.into = o.into;
    req.section = o.section;
    req.text = o.text;
    req.link = o.link;
    if (strcmp(argv[0], "set") == 0) {
        req.sets = (const char *const *)&o.pos[1];
        req.nsets = (size_t)(o.npos - 1);
    }
    if (strcmp(argv[0], "assign") == 0 && o.npos == 2)
        req.assignee = o.pos[1];
    if (o.expect && srr_time_parse_iso(o.expect, &req.expect_updated) != SRR_OK) {
        srr_say_error("srr: --expect-updated '%s' is not a time like 2026-11-28T12:00:00Z",
                      o.expect);
        return SRR_EXIT_USAGE;
    }
    /* a next review within ten years: a person's horizon, not year 273792727 */
    if (o.review_in &&
        srr_cli_duration("--review-in", o.review_in, 86400, 3650 * 86400LL, &req.review_in_s) != 0)
        return SRR_EXIT_USAGE;
    st = srr_cli_open_store(o.config, &cfg, &code);
    if (!st)
        return code;
    actor = actor_of(cfg, o.as);
    if (!actor || !person_ok(cfg, req.assignee, o.npos == 2 ? NULL : "--assign")) {
        code = SRR_EXIT_USAGE;
        goto done;
    }
    req.actor = actor;

    code = fair_assignment(st, cfg, argv[0], &o, &req, &sug, &took_suggestion, &unowned);
    if (code >= 0)
        goto done;
    rc = srr_wf_risk(st, argv[0], o.pos[0], &req, &res, &err);
    if (rc != SRR_OK) {
        srr_say_error("srr: %s", err.msg);
        code = srr_cli_exit_of(rc);
        goto done;
    }
    print_result(res, actor, o.fmt);
    if (took_suggestion && o.fmt != SRR_FMT_JSON)
        printf("assigned the suggested %s (%s); another: srr risks assign %s WHO\n",
               srr_cli_field(sug, "assignee", o.fmt), srr_cli_field(sug, "why", o.fmt),
               srr_cli_safe(o.pos[0], o.fmt, 0));
    else if (unowned && o.fmt != SRR_FMT_JSON)
        printf("nobody is assigned (team.members and team.owners let srr suggest someone): "
               "srr risks assign %s WHO\n",
               srr_cli_safe(o.pos[0], o.fmt, 0));
    code = SRR_EXIT_OK;
done:
    json_decref(res);
    json_decref(sug);
    srr_store_close(&st);
    srr_config_destroy(cfg);
    return code;
}

/* Whether accepting without --link asks the tracker's sink for a ticket
 * (--ticket, or tickets.auto). Returns 0, or an exit code after saying
 * why: --ticket without a tracker configured. */
static int ticket_wanted(const srr_config *cfg, int flag, int *want)
{
    srr_tickets_config *t = NULL;
    srr_error err = {0};
    srr_rc rc = srr_tickets_config_load(cfg, &t, &err);
    *want = 0;
    if (rc != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        return SRR_EXIT_USAGE;
    }
    if (flag && !t) {
        srr_say_error("srr: --ticket needs a tracker: a github: or jira: section in the config "
                      "(see `srr help sync`)\n");
        srr_tickets_config_free(&t);
        return SRR_EXIT_USAGE;
    }
    *want = flag || (t && t->auto_create);
    srr_tickets_config_free(&t);
    return 0;
}

int srr_cmd_backlog_change(int argc, char **argv)
{
    change_opts o;
    srr_config *cfg = NULL;
    srr_store *st = NULL;
    json_t *res = NULL;
    srr_error err = {0};
    srr_wf_req req;
    const char *usage;
    char full[512];
    int code;
    srr_rc rc;
    if (strcmp(argv[0], "accept") == 0)
        usage = "srr backlog accept ID --link URL|--ticket [--assign WHO] [--note TEXT]";
    else if (strcmp(argv[0], "assign") == 0)
        usage = "srr backlog assign ID WHO";
    else
        usage = strcmp(argv[0], "done") == 0 ? "srr backlog done ID [--note TEXT]"
                                             : "srr backlog reject ID [--reason TEXT]";
    snprintf(full, sizeof(full), "%s [-c FILE] [--as NAME] [--format table|json|md]", usage);
    code = parse_change(argc, argv, full, &o);
    if (code)
        return code - 1;
    if (o.npos != (strcmp(argv[0], "assign") == 0 ? 2 : 1)) {
        srr_say_error("usage: %s\n", full);
        return SRR_EXIT_USAGE;
    }
    memset(&req, 0, sizeof(req));
    if (o.expect && srr_time_parse_iso(o.expect, &req.expect_updated) != SRR_OK) {
        srr_say_error("srr: --expect-updated '%s' is not a time like 2026-11-28T12:00:00Z\n",
                o.expect);
        return SRR_EXIT_USAGE;
    }
    req.now = srr_now();
    req.note = o.note;
    req.link = o.link;
    req.assignee = o.npos == 2 ? o.pos[1] : o.assign;
    if (o.ticket && (o.link || strcmp(argv[0], "accept") != 0)) {
        srr_say_error("srr: --ticket belongs to accept, instead of --link\nusage: %s\n", full);
        return SRR_EXIT_USAGE;
    }
    st = srr_cli_open_store(o.config, &cfg, &code);
    if (!st)
        return code;
    req.actor = actor_of(cfg, o.as);
    if (!req.actor || !person_ok(cfg, req.assignee, o.npos == 2 ? NULL : "--assign")) {
        srr_store_close(&st);
        srr_config_destroy(cfg);
        return SRR_EXIT_USAGE;
    }
    if (strcmp(argv[0], "accept") == 0 && !o.link) {
        /* --ticket, or tickets.auto: the tracker's sink makes the ticket. */
        code = ticket_wanted(cfg, o.ticket, &req.ticket);
        if (code) {
            srr_store_close(&st);
            srr_config_destroy(cfg);
            return code;
        }
    }
    rc = srr_wf_backlog(st, argv[0], o.pos[0], &req, &res, &err);
    if (rc == SRR_OK && req.ticket)
        srr_say_info("srr: the ticket is made by the next sync (srr sync, or serve/drain); its "
                     "link then becomes the item's\n");
    if (rc != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        code = srr_cli_exit_of(rc);
    } else {
        print_result(res, req.actor, o.fmt);
    }
    json_decref(res);
    srr_store_close(&st);
    srr_config_destroy(cfg);
    return code;
}

int srr_cmd_investigation_resolve(int argc, char **argv)
{
    static const char usage[] =
        "srr investigations resolve ID --outcome fixed|backlog|noise [--link URL] [--note TEXT]"
        " [-c FILE] [--as NAME] [--format table|json|md]";
    change_opts o;
    srr_config *cfg = NULL;
    srr_store *st = NULL;
    srr_error err = {0};
    const char *actor;
    int code;
    srr_rc rc;
    code = parse_change(argc, argv, usage, &o);
    if (code)
        return code - 1;
    if (o.npos != 1 || !o.outcome) {
        srr_say_error("usage: %s\n", usage);
        return SRR_EXIT_USAGE;
    }
    st = srr_cli_open_store(o.config, &cfg, &code);
    if (!st)
        return code;
    actor = actor_of(cfg, o.as);
    if (!actor) {
        srr_store_close(&st);
        srr_config_destroy(cfg);
        return SRR_EXIT_USAGE;
    }
    rc = srr_store_investigation_resolve(st, o.pos[0], o.outcome, o.link, actor, o.note, srr_now(),
                                         &err);
    if (rc != SRR_OK) {
        srr_say_error("srr: %s%s\n", err.msg,
                rc == SRR_ECONFLICT ? " (only an open investigation can be resolved)" : "");
        code = srr_cli_exit_of(rc);
    } else if (o.fmt == SRR_FMT_JSON) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "id", o.pos[0], "action", "resolve",
                              "outcome", o.outcome, "actor", actor, "note", o.note);
        char *s = json_dumps(j, JSON_INDENT(2));
        printf("%s\n", s);
        free(s);
        json_decref(j);
    } else {
        printf("%s resolve (by %s)\n  status: open → closed\n  outcome: %s\n", o.pos[0], actor,
               o.outcome);
    }
    srr_store_close(&st);
    srr_config_destroy(cfg);
    return code;
}

int srr_cmd_audit(int argc, char **argv)
{
    static const char usage[] = "srr audit [ID] [--limit N] [-c FILE] [--format table|json|md]";
    static const srr_column cols[] = {{"AT", "at", 0},          {"ACTOR", "actor", 16},
                                      {"RECORD", "record", 0},  {"ACTION", "action", 0},
                                      {"CHANGE", "change", 80}, {"WHY", "why", 60},
                                      {NULL, NULL, 0}};
    change_opts o;
    srr_config *cfg = NULL;
    srr_store *st = NULL;
    json_t *arr = NULL;
    srr_error err = {0};
    long long limit = 0;
    int code;
    srr_rc rc;
    code = parse_change(argc, argv, usage, &o);
    if (code)
        return code - 1;
    if (o.npos > 1) {
        srr_say_error("usage: %s\n", usage);
        return SRR_EXIT_USAGE;
    }
    if (o.limit && srr_cli_count("--limit", o.limit, 0, 10000000, &limit) != 0)
        return SRR_EXIT_USAGE;
    st = srr_cli_open_store(o.config, &cfg, &code);
    if (!st)
        return code;
    rc = srr_wf_audit(st, o.npos ? o.pos[0] : NULL, (size_t)limit, &arr, &err);
    if (rc != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        code = srr_cli_exit_of(rc);
    } else {
        srr_cli_print_list(stdout, arr, cols, o.fmt, "no audit entries");
    }
    json_decref(arr);
    srr_store_close(&st);
    srr_config_destroy(cfg);
    return code;
}

void srr_cli_print_load(FILE *out, const json_t *load, srr_format fmt)
{
    static const srr_column cols[] = {{"PERSON", "name", 24}, {"CRITICAL", "critical", 0},
                                      {"HIGH", "high", 0},    {"MEDIUM", "medium", 0},
                                      {"LOW", "low", 0},      {"OPEN", "records", 0},
                                      {"LOAD", "load", 0},    {NULL, NULL, 0}};
    double mean = json_real_value(json_object_get(load, "mean"));
    double ratio = json_real_value(json_object_get(load, "ratio"));
    long long pct = (long long)json_integer_value(json_object_get(load, "skew_percent"));
    if (fmt == SRR_FMT_JSON) {
        char *s = json_dumps(load, JSON_INDENT(2));
        fprintf(out, "%s\n", s);
        free(s);
        return;
    }
    srr_cli_print_list(out, json_object_get(load, "people"), cols, fmt,
                       "nobody carries open records");
    fprintf(out,
            "\n%sload = open records weighted low 1, medium 2, high 3, critical 5; mean %.1f, "
            "max/mean %.2f",
            fmt == SRR_FMT_MD ? "" : "", mean, ratio);
    if (json_is_true(json_object_get(load, "skewed")))
        fprintf(out, " > %.2f: SKEWED, %s carries too much\n", (double)pct / 100.0,
                srr_cli_field(load, "busiest", fmt));
    else
        fprintf(out, " (flagged above %.2f)\n", (double)pct / 100.0);
}

int srr_cmd_team(int argc, char **argv)
{
    static const char usage[] = "srr team load [-c FILE] [--format table|json|md]";
    change_opts o;
    srr_config *cfg = NULL;
    srr_store *st = NULL;
    json_t *load = NULL;
    srr_error err = {0};
    int code;
    srr_rc rc;
    if (argc < 2 || strcmp(argv[1], "load") != 0) {
        srr_say_error("usage: %s\n", usage);
        return SRR_EXIT_USAGE;
    }
    code = parse_change(argc - 1, argv + 1, usage, &o);
    if (code)
        return code - 1;
    if (o.npos) {
        srr_say_error("usage: %s\n", usage);
        return SRR_EXIT_USAGE;
    }
    st = srr_cli_open_store(o.config, &cfg, &code);
    if (!st)
        return code;
    rc = srr_wf_team_load(st, &cfg->team, &load, &err);
    if (rc != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        code = srr_cli_exit_of(rc);
    } else {
        srr_cli_print_load(stdout, load, o.fmt);
    }
    json_decref(load);
    srr_store_close(&st);
    srr_config_destroy(cfg);
    return code;
}
