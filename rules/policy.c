/* SPDX-License-Identifier: Apache-2.0
 *
 * policy.c - compiling a config into a ruleset and deciding on signals.
 *
 * Compilation checks every check's `when` (and `limit`) and the `policy`
 * section, reporting the first problem as "file:line:col: ..." taken from
 * the YAML tree the config keeps. The policy format:
 *
 *     policy:
 *       max_new_drafts: 10          # per sweep, 0 = unlimited
 *       rules:                      # ordered, first match wins
 *         - name: ...               # required, unique
 *           match: {source, check, kind, service, env, tags, status, priority}
 *           action: ignore | backlog | investigate | risk
 *           timebox: 7d             # investigate only (and required there)
 *           urgency: low | medium | high | critical   (default medium)
 *           owner: ...
 *           reason: "..."
 *       default: {action, timebox, urgency, owner, reason}   # default: ignore
 *
 * Without a policy section every signal is investigated for 7 days.
 *
 * Deciding walks the rules in order with precompiled matchers (bit masks
 * for enums, shaped globs for text) and never allocates, so a 100-rule
 * policy evaluates well over a million signals per second.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"

#define DEFAULT_POLICY_TIMEBOX_S (7 * 86400)

static const char *const POLICY_KEYS[] = {"max_new_drafts", "rules", "default", NULL};
static const char *const RULE_KEYS[] = {"name",    "match", "action", "timebox",
                                        "urgency", "owner", "reason", NULL};
static const char *const MATCH_KEYS[] = {"source", "check",  "kind",     "service", "env",
                                         "tags",   "status", "priority", NULL};
static const char *const DEFAULT_KEYS[] = {"action", "timebox", "urgency", "owner", "reason",
                                           NULL};

/* ---- freeing ------------------------------------------------------------ */

static void globset_free(srr_globset *gs)
{
    for (size_t i = 0; i < gs->n; i++)
        srr_glob_free(&gs->v[i]);
    free(gs->v);
    gs->v = NULL;
    gs->n = 0;
}

static void rule_free(srr_rule *r)
{
    free(r->name);
    free(r->owner);
    free(r->reason);
    globset_free(&r->check);
    globset_free(&r->service);
    globset_free(&r->env);
    globset_free(&r->priority);
    globset_free(&r->tags);
    memset(r, 0, sizeof *r);
}

void srr_rules_destroy(srr_ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->nrules; i++)
        rule_free(&rs->rules[i]);
    free(rs->rules);
    free(rs->hot);
    rule_free(&rs->def);
    free(rs->checks);
    free(rs);
}

size_t srr_rules_count(const srr_ruleset *rs)
{
    return rs ? rs->nrules : 0;
}

size_t srr_rules_max_new_drafts(const srr_ruleset *rs)
{
    return rs ? rs->max_new_drafts : 0;
}

/* ---- compiling checks --------------------------------------------------- */

static srr_rc err_at_node(srr_error *err, const srr_yaml_node *n, const char *fmt, const char *a,
                          const char *b)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a, b ? b : "");
    if (n && n->file)
        return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col, "%s", msg);
    return srr_error_set(err, SRR_EINVAL, "%s", msg);
}

static srr_rc compile_check(const srr_check *c, srr_check_rt *rt, srr_error *err)
{
    const srr_yaml_node *wn = c->when_node ? c->when_node : c->node;
    char *what = srr_asprintf("check '%s': when", c->name ? c->name : "?");
    srr_rc rc = srr_cond_compile_at(c->when, c->when_node, what, &rt->cond, err);
    free(what);
    if (rc != SRR_OK)
        return rc;
    if (c->source == SRR_SRC_LOGS && rt->cond.kind != SRR_KIND_COUNT)
        return err_at_node(err, wn,
                           "check '%s': when: a logs check counts events, so its condition is "
                           "'count <op> <number>', not '%s ...'",
                           c->name, srr_measure_name(rt->cond.measure));
    if (c->source == SRR_SRC_METRICS && rt->cond.kind == SRR_KIND_COUNT)
        return err_at_node(err, wn,
                           "check '%s': when: 'count' is for logs checks; a metrics check "
                           "uses max, min, avg, last, sum, p50..p99 or growth%s",
                           c->name, NULL);
    if (c->source != SRR_SRC_METRICS && c->source != SRR_SRC_LOGS)
        return err_at_node(err, c->node, "check '%s': source must be metrics or logs%s",
                           c->name, NULL);
    if (c->limit) {
        const srr_yaml_node *ln = c->limit_node ? c->limit_node : c->node;
        if (rt->cond.kind != SRR_KIND_TREND)
            return err_at_node(err, ln,
                               "check '%s': limit: only a growth condition projects to a "
                               "limit (this check's condition is '%s')",
                               c->name, c->when);
        what = srr_asprintf("check '%s': limit", c->name);
        rc = srr_quantity_compile_at(c->limit, c->limit_node, what, &rt->limit, err);
        free(what);
        if (rc != SRR_OK)
            return rc;
        rt->has_limit = 1;
    }
    return SRR_OK;
}

/* ---- compiling the policy ----------------------------------------------- */

/* Reads a scalar or a sequence of scalars into a NULL-free list of
 * borrowed node pointers (items). */
static srr_rc scalar_items(const srr_yaml_node *n, const char *what,
                           const srr_yaml_node *const **items, size_t *count,
                           const srr_yaml_node **one, srr_error *err)
{
    if (n->type == SRR_YAML_SCALAR) {
        *one = n;
        *items = one;
        *count = 1;
        return SRR_OK;
    }
    if (n->type == SRR_YAML_SEQ) {
        for (size_t i = 0; i < n->n; i++)
            if (n->items[i]->type != SRR_YAML_SCALAR)
                return srr_error_at(err, SRR_EINVAL, n->items[i]->file, n->items[i]->line,
                                    n->items[i]->col, "%s: expected a string, found a %s", what,
                                    srr_yaml_type_name(n->items[i]->type));
        if (n->n == 0)
            return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                                "%s: expected at least one value", what);
        *items = (const srr_yaml_node *const *)n->items;
        *count = n->n;
        return SRR_OK;
    }
    return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                        "%s: expected a string or a list of strings, found a %s", what,
                        srr_yaml_type_name(n->type));
}

static srr_rc read_globs(const srr_yaml_node *n, const char *what, int upper, srr_globset *gs,
                         srr_error *err)
{
    const srr_yaml_node *const *items;
    const srr_yaml_node *one;
    size_t count;
    srr_rc rc = scalar_items(n, what, &items, &count, &one, err);
    if (rc != SRR_OK)
        return rc;
    gs->v = srr_calloc(count, sizeof *gs->v);
    for (size_t i = 0; i < count; i++) {
        char *s = NULL;
        if ((rc = srr_yaml_string(items[i], what, &s, err)) != SRR_OK)
            return rc;
        for (char *p = s; upper && *p; p++)
            *p = (char)toupper((unsigned char)*p);
        srr_glob_compile(&gs->v[gs->n++], s);
        free(s);
    }
    return SRR_OK;
}

typedef srr_rc (*enum_parse_fn)(const char *s, int *out);

static srr_rc parse_source(const char *s, int *out)
{
    srr_source v;
    srr_rc rc = srr_source_parse(s, &v);
    *out = (int)v;
    return rc;
}

static srr_rc parse_kind(const char *s, int *out)
{
    srr_kind v;
    srr_rc rc = srr_kind_parse(s, &v);
    *out = (int)v;
    return rc;
}

static srr_rc parse_status(const char *s, int *out)
{
    srr_status v;
    srr_rc rc = srr_status_parse(s, &v);
    *out = (int)v;
    return rc;
}

static srr_rc read_mask(const srr_yaml_node *n, const char *what, enum_parse_fn parse,
                        const char *expected, unsigned *mask, srr_error *err)
{
    const srr_yaml_node *const *items;
    const srr_yaml_node *one;
    size_t count;
    srr_rc rc = scalar_items(n, what, &items, &count, &one, err);
    if (rc != SRR_OK)
        return rc;
    for (size_t i = 0; i < count; i++) {
        int v = 0;
        if (parse(items[i]->value, &v) != SRR_OK || v < 0 || v >= 32)
            return srr_error_at(err, SRR_EINVAL, items[i]->file, items[i]->line, items[i]->col,
                                "%s: unknown value '%s' (expected %s)", what, items[i]->value,
                                expected);
        *mask |= 1u << v;
    }
    return SRR_OK;
}

static srr_rc compile_match(const srr_yaml_node *m, const char *path, srr_rule *r,
                            srr_error *err)
{
    char what[96];
    srr_rc rc = srr_yaml_check_keys(m, path, MATCH_KEYS, err);
    if (rc != SRR_OK)
        return rc;
    for (size_t i = 0; i < m->n && rc == SRR_OK; i++) {
        const char *k = m->pairs[i].key;
        const srr_yaml_node *v = m->pairs[i].value;
        snprintf(what, sizeof what, "%s.%s", path, k);
        if (strcmp(k, "source") == 0)
            rc = read_mask(v, what, parse_source, "metrics, logs or webhook", &r->source_mask,
                           err);
        else if (strcmp(k, "kind") == 0)
            rc = read_mask(v, what, parse_kind,
                           "threshold, trend, spike, count, new_pattern or monitor_alert",
                           &r->kind_mask, err);
        else if (strcmp(k, "status") == 0)
            rc = read_mask(v, what, parse_status, "firing or recovered", &r->status_mask, err);
        else if (strcmp(k, "check") == 0)
            rc = read_globs(v, what, 0, &r->check, err);
        else if (strcmp(k, "service") == 0)
            rc = read_globs(v, what, 0, &r->service, err);
        else if (strcmp(k, "env") == 0)
            rc = read_globs(v, what, 0, &r->env, err);
        else if (strcmp(k, "tags") == 0)
            rc = read_globs(v, what, 0, &r->tags, err);
        else if (strcmp(k, "priority") == 0)
            rc = read_globs(v, what, 1, &r->priority, err);
    }
    return rc;
}

/* Reads action/timebox/urgency/owner/reason of a rule or of the default. */
static srr_rc compile_outcome(const srr_yaml_node *map, const char *path, srr_rule *r,
                              srr_error *err)
{
    char what[96];
    char *s = NULL;
    srr_rc rc;
    const srr_yaml_node *an = srr_yaml_get(map, "action");
    const srr_yaml_node *tn = srr_yaml_get(map, "timebox");
    const srr_yaml_node *un = srr_yaml_get(map, "urgency");
    const srr_yaml_node *on = srr_yaml_get(map, "owner");
    const srr_yaml_node *rn = srr_yaml_get(map, "reason");

    if (!an)
        return srr_error_at(err, SRR_EINVAL, map->file, map->line, map->col,
                            "%s: missing required key 'action' (ignore, backlog, investigate "
                            "or risk)",
                            path);
    snprintf(what, sizeof what, "%s.action", path);
    if ((rc = srr_yaml_string(an, what, &s, err)) != SRR_OK)
        return rc;
    if (srr_action_parse(s, &r->action) != SRR_OK) {
        rc = srr_error_at(err, SRR_EINVAL, an->file, an->line, an->col,
                          "%s: unknown action '%s' (expected ignore, backlog, investigate or "
                          "risk)",
                          what, s);
        free(s);
        return rc;
    }
    free(s);
    s = NULL;

    if (tn) {
        snprintf(what, sizeof what, "%s.timebox", path);
        if (r->action != SRR_ACTION_INVESTIGATE)
            return srr_error_at(err, SRR_EINVAL, tn->file, tn->line, tn->col,
                                "%s: only an 'investigate' action has a time-box (this "
                                "action is '%s')",
                                what, srr_action_name(r->action));
        if ((rc = srr_yaml_duration(tn, what, &r->timebox_s, err)) != SRR_OK)
            return rc;
        if (r->timebox_s <= 0)
            return srr_error_at(err, SRR_EINVAL, tn->file, tn->line, tn->col,
                                "%s: expected a positive duration such as 7d", what);
    } else if (r->action == SRR_ACTION_INVESTIGATE) {
        return srr_error_at(err, SRR_EINVAL, an->file, an->line, an->col,
                            "%s: action 'investigate' needs a time-box (add e.g. 'timebox: "
                            "7d')",
                            path);
    }

    r->urgency = SRR_URGENCY_MEDIUM;
    if (un) {
        snprintf(what, sizeof what, "%s.urgency", path);
        if ((rc = srr_yaml_string(un, what, &s, err)) != SRR_OK)
            return rc;
        if (srr_urgency_parse(s, &r->urgency) != SRR_OK) {
            rc = srr_error_at(err, SRR_EINVAL, un->file, un->line, un->col,
                              "%s: unknown urgency '%s' (expected low, medium, high or "
                              "critical)",
                              what, s);
            free(s);
            return rc;
        }
        free(s);
    }
    if (on) {
        snprintf(what, sizeof what, "%s.owner", path);
        if ((rc = srr_yaml_string(on, what, &r->owner, err)) != SRR_OK)
            return rc;
    }
    if (rn) {
        snprintf(what, sizeof what, "%s.reason", path);
        if ((rc = srr_yaml_string(rn, what, &r->reason, err)) != SRR_OK)
            return rc;
        if (!r->reason[0]) {
            free(r->reason);
            r->reason = NULL;
        }
    }
    return SRR_OK;
}

static srr_rc compile_rule(srr_ruleset *rs, const srr_yaml_node *item, size_t idx,
                           srr_error *err)
{
    char path[64], what[80];
    snprintf(path, sizeof path, "policy.rules[%zu]", idx);
    srr_rule *r = &rs->rules[idx];
    srr_rc rc = srr_yaml_check_keys(item, path, RULE_KEYS, err);
    if (rc != SRR_OK)
        return rc;
    r->line = item->line;
    r->col = item->col;

    const srr_yaml_node *nn = srr_yaml_get(item, "name");
    if (!nn)
        return srr_error_at(err, SRR_EINVAL, item->file, item->line, item->col,
                            "%s: missing required key 'name'", path);
    snprintf(what, sizeof what, "%s.name", path);
    if ((rc = srr_yaml_string(nn, what, &r->name, err)) != SRR_OK)
        return rc;
    if (!r->name[0])
        return srr_error_at(err, SRR_EINVAL, nn->file, nn->line, nn->col,
                            "%s: a rule name must not be empty", what);
    if (strcmp(r->name, "default") == 0)
        return srr_error_at(err, SRR_EINVAL, nn->file, nn->line, nn->col,
                            "%s: the name 'default' is reserved for the policy's default", what);
    for (size_t j = 0; j < idx; j++)
        if (strcmp(rs->rules[j].name, r->name) == 0)
            return srr_error_at(err, SRR_EINVAL, nn->file, nn->line, nn->col,
                                "%s: duplicate rule name '%s' (first used by rule #%zu at line "
                                "%d)",
                                what, r->name, j + 1, rs->rules[j].line);

    const srr_yaml_node *mn = srr_yaml_get(item, "match");
    if (mn) {
        snprintf(what, sizeof what, "%s.match", path);
        if (mn->type == SRR_YAML_SCALAR && !mn->quoted && mn->value[0] == '\0') {
            /* "match:" with nothing: matches everything. */
        } else if ((rc = compile_match(mn, what, r, err)) != SRR_OK) {
            return rc;
        }
    }
    return compile_outcome(item, path, r, err);
}

static int is_empty_scalar(const srr_yaml_node *n)
{
    return n->type == SRR_YAML_SCALAR && !n->quoted && n->value[0] == '\0';
}

static srr_rc compile_policy(srr_ruleset *rs, const srr_yaml_node *p, srr_error *err)
{
    srr_rc rc;
    rs->def.name = srr_strdup("default");
    if (!p || is_empty_scalar(p)) {
        rs->def.action = SRR_ACTION_INVESTIGATE;
        rs->def.timebox_s = DEFAULT_POLICY_TIMEBOX_S;
        rs->def.urgency = SRR_URGENCY_MEDIUM;
        rs->def.reason = srr_strdup("No policy is configured, so every signal gets a 7-day "
                                    "investigation");
        return SRR_OK;
    }
    if ((rc = srr_yaml_check_keys(p, "policy", POLICY_KEYS, err)) != SRR_OK)
        return rc;

    const srr_yaml_node *mx = srr_yaml_get(p, "max_new_drafts");
    if (mx) {
        long long v = 0;
        if ((rc = srr_yaml_int(mx, "policy.max_new_drafts", 0, 1000000, &v, err)) != SRR_OK)
            return rc;
        rs->max_new_drafts = (size_t)v;
    }

    const srr_yaml_node *rules = srr_yaml_get(p, "rules");
    if (rules && !is_empty_scalar(rules)) {
        if (rules->type != SRR_YAML_SEQ)
            return srr_error_at(err, SRR_EINVAL, rules->file, rules->line, rules->col,
                                "policy.rules: expected a list of rules, found a %s",
                                srr_yaml_type_name(rules->type));
        rs->rules = srr_calloc(rules->n ? rules->n : 1, sizeof *rs->rules);
        for (size_t i = 0; i < rules->n; i++) {
            rs->nrules = i + 1; /* so that destroy frees the partial rule */
            if ((rc = compile_rule(rs, rules->items[i], i, err)) != SRR_OK)
                return rc;
        }
    }

    rs->hot = srr_calloc(rs->nrules ? rs->nrules : 1, sizeof *rs->hot);
    for (size_t i = 0; i < rs->nrules; i++) {
        const srr_rule *r = &rs->rules[i];
        srr_rule_hot *h = &rs->hot[i];
        h->source_mask = r->source_mask;
        h->kind_mask = r->kind_mask;
        h->status_mask = r->status_mask;
        srr_prefilter_of(&r->check, &h->check);
        srr_prefilter_of(&r->service, &h->service);
        srr_prefilter_of(&r->env, &h->env);
    }

    const srr_yaml_node *d = srr_yaml_get(p, "default");
    if (d) {
        if ((rc = srr_yaml_check_keys(d, "policy.default", DEFAULT_KEYS, err)) != SRR_OK)
            return rc;
        return compile_outcome(d, "policy.default", &rs->def, err);
    }
    rs->def.action = SRR_ACTION_IGNORE;
    rs->def.urgency = SRR_URGENCY_LOW;
    return SRR_OK;
}

srr_rc srr_rules_compile(const srr_config *cfg, srr_ruleset **out, srr_error *err)
{
    if (!cfg || !out)
        return srr_error_set(err, SRR_EINVAL, "rules: no config");
    *out = NULL;
    srr_rc rc;
    srr_ruleset *rs = srr_calloc(1, sizeof *rs);
    rs->cfg = cfg;
    rs->nchecks = cfg->nchecks;
    rs->checks = srr_calloc(cfg->nchecks ? cfg->nchecks : 1, sizeof *rs->checks);
    for (size_t i = 0; i < cfg->nchecks; i++)
        if ((rc = compile_check(&cfg->checks[i], &rs->checks[i], err)) != SRR_OK)
            goto fail;
    if ((rc = compile_policy(rs, cfg->policy, err)) != SRR_OK)
        goto fail;
    *out = rs;
    return SRR_OK;
fail:
    srr_rules_destroy(rs);
    return rc;
}

/* ---- deciding ----------------------------------------------------------- */

static int globset_any(const srr_globset *gs, const char *s)
{
    if (!s)
        return 0;
    for (size_t i = 0; i < gs->n; i++)
        if (srr_glob_match(&gs->v[i], s))
            return 1;
    return 0;
}

/* Priority is compared case-insensitively (patterns are upper-cased). */
static int priority_any(const srr_globset *gs, const char *prio)
{
    char up[16];
    if (!prio)
        return 0;
    size_t i = 0;
    for (; prio[i] && i < sizeof up - 1; i++)
        up[i] = (char)toupper((unsigned char)prio[i]);
    up[i] = '\0';
    return globset_any(gs, up);
}

static int bit_in(unsigned mask, int v)
{
    return mask == 0 || (v >= 0 && v < 32 && (mask & (1u << v)));
}

/* Index of the first tag glob that matches no tag of sig, or -1. */
static long missing_tag(const srr_rule *r, const srr_signal *sig)
{
    for (size_t i = 0; i < r->tags.n; i++) {
        size_t j = 0;
        while (j < sig->ntags && !srr_glob_match(&r->tags.v[i], sig->tags[j]))
            j++;
        if (j == sig->ntags)
            return (long)i;
    }
    return -1;
}

static int rule_matches(const srr_rule *r, const srr_signal *sig)
{
    if (!bit_in(r->source_mask, (int)sig->source) || !bit_in(r->kind_mask, (int)sig->kind) ||
        !bit_in(r->status_mask, (int)sig->status))
        return 0;
    if (r->check.n && !globset_any(&r->check, sig->check))
        return 0;
    if (r->service.n && !globset_any(&r->service, sig->service))
        return 0;
    if (r->env.n && !globset_any(&r->env, sig->env))
        return 0;
    if (r->priority.n && !priority_any(&r->priority, sig->priority))
        return 0;
    return r->tags.n == 0 || missing_tag(r, sig) < 0;
}

static void put_globs(srr_sb *sb, const srr_globset *gs)
{
    for (size_t i = 0; i < gs->n; i++) {
        srr_sb_put(sb, i ? (i + 1 == gs->n ? " or '" : ", '") : "'");
        srr_sb_put(sb, gs->v[i].pat);
        srr_sb_put(sb, "'");
    }
}

static void put_mask(srr_sb *sb, unsigned mask, const char *(*name)(int))
{
    int first = 1;
    for (int v = 0; v < 32; v++)
        if (mask & (1u << v)) {
            srr_sb_put(sb, first ? "" : " or ");
            srr_sb_put(sb, name(v));
            first = 0;
        }
}

static const char *source_name_i(int v) { return srr_source_name((srr_source)v); }
static const char *kind_name_i(int v) { return srr_kind_name((srr_kind)v); }
static const char *status_name_i(int v) { return srr_status_name((srr_status)v); }

/* Writes why rule r does not match sig, one clause for the first matcher
 * that fails ("service is 'payments', rule wants 'checkout*'"); returns 1
 * and writes "matches" when it does match. Kept in step with
 * rule_matches(), which is the fast path of the same logic. */
static int rule_why_not(const srr_rule *r, const srr_signal *sig, srr_sb *sb)
{
    const struct {
        const char *field;
        const srr_globset *gs;
        const char *value;
    } texts[] = {
        {"check", &r->check, sig->check},
        {"service", &r->service, sig->service},
        {"env", &r->env, sig->env},
    };
    if (!bit_in(r->source_mask, (int)sig->source)) {
        srr_sb_printf(sb, "source is %s, rule wants ", srr_source_name(sig->source));
        put_mask(sb, r->source_mask, source_name_i);
        return 0;
    }
    if (!bit_in(r->kind_mask, (int)sig->kind)) {
        srr_sb_printf(sb, "kind is %s, rule wants ", srr_kind_name(sig->kind));
        put_mask(sb, r->kind_mask, kind_name_i);
        return 0;
    }
    if (!bit_in(r->status_mask, (int)sig->status)) {
        srr_sb_printf(sb, "status is %s, rule wants ", srr_status_name(sig->status));
        put_mask(sb, r->status_mask, status_name_i);
        return 0;
    }
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (texts[i].gs->n == 0 || globset_any(texts[i].gs, texts[i].value))
            continue;
        if (texts[i].value)
            srr_sb_printf(sb, "%s is '%s', rule wants ", texts[i].field, texts[i].value);
        else
            srr_sb_printf(sb, "signal has no %s, rule wants ", texts[i].field);
        put_globs(sb, texts[i].gs);
        return 0;
    }
    if (r->priority.n && !priority_any(&r->priority, sig->priority)) {
        if (sig->priority)
            srr_sb_printf(sb, "priority is %s, rule wants ", sig->priority);
        else
            srr_sb_put(sb, "signal has no monitor priority, rule wants ");
        put_globs(sb, &r->priority);
        return 0;
    }
    long t = r->tags.n ? missing_tag(r, sig) : -1;
    if (t >= 0) {
        srr_sb_printf(sb, "no tag matches '%s' (tags: ", r->tags.v[t].pat);
        if (sig->ntags)
            srr_sb_put_tags(sb, sig);
        else
            srr_sb_put(sb, "none");
        srr_sb_put(sb, ")");
        return 0;
    }
    srr_sb_put(sb, "matches");
    return 1;
}

int srr_rules_explain_rule(const srr_ruleset *rs, size_t i, const srr_signal *sig, char *out,
                           size_t n)
{
    srr_sb sb;
    srr_sb_init(&sb, out, n);
    if (i >= rs->nrules) {
        srr_sb_put(&sb, "matches (the default matches every signal)");
        return 1;
    }
    return rule_why_not(&rs->rules[i], sig, &sb);
}

/* Ends a sentence cut short with "…" (on a character boundary). */
static void finish_reason(srr_sb *sb)
{
    static const char ellipsis[] = "\xe2\x80\xa6";
    if (!sb->full)
        return;
    size_t keep = srr_utf8_cut(sb->p, sb->len, sb->cap - 1 - (sizeof ellipsis - 1));
    memcpy(sb->p + keep, ellipsis, sizeof ellipsis);
    sb->len = keep + sizeof ellipsis - 1;
}

/* "<kind> on <check> — <summary>" (the summary when there is one). */
static void put_what(srr_sb *sb, const srr_signal *sig)
{
    srr_sb_put(sb, srr_kind_name(sig->kind));
    srr_sb_put(sb, " on ");
    srr_sb_put(sb, sig->check ? sig->check : "?");
    if (sig->summary && *sig->summary) {
        srr_sb_put(sb, " \xe2\x80\x94 ");
        srr_sb_put(sb, sig->summary);
    }
}

void srr_rules_decide(const srr_ruleset *rs, const srr_signal *sig, srr_decision *out)
{
    size_t i = 0;
    const srr_rule *r = NULL;
    const uint64_t c8 = srr_load8(sig->check), s8 = srr_load8(sig->service),
                   e8 = srr_load8(sig->env);
    const int src = (int)sig->source, kind = (int)sig->kind, st = (int)sig->status;
    for (; i < rs->nrules; i++) {
        const srr_rule_hot *h = &rs->hot[i];
        if ((c8 & h->check.mask) != h->check.bytes ||
            (s8 & h->service.mask) != h->service.bytes || (e8 & h->env.mask) != h->env.bytes ||
            !bit_in(h->source_mask, src) || !bit_in(h->kind_mask, kind) ||
            !bit_in(h->status_mask, st))
            continue;
        if (rule_matches(&rs->rules[i], sig)) {
            r = &rs->rules[i];
            break;
        }
    }
    int is_default = (r == NULL);
    if (is_default)
        r = &rs->def;
    out->action = r->action;
    out->rule_index = (int)i;
    out->rule = r->name;
    out->urgency = r->urgency;
    out->timebox_s = r->action == SRR_ACTION_INVESTIGATE ? r->timebox_s : 0;
    out->owner = r->owner;

    srr_sb sb;
    srr_sb_init(&sb, out->reason, sizeof out->reason);
    if (r->reason) {
        srr_sb_put(&sb, r->reason);
        if (is_default) {
            srr_sb_put(&sb, " (default, no rule matched: ");
        } else {
            srr_sb_put(&sb, " (rule '");
            srr_sb_put(&sb, r->name);
            srr_sb_put(&sb, "', #");
            srr_sb_putu(&sb, i + 1);
            srr_sb_put(&sb, ": ");
        }
        if (sig->summary && *sig->summary)
            srr_sb_put(&sb, sig->summary);
        else
            put_what(&sb, sig);
        srr_sb_put(&sb, ")");
    } else {
        if (is_default) {
            srr_sb_put(&sb, "No rule matched (default): ");
        } else {
            srr_sb_put(&sb, "Matched rule '");
            srr_sb_put(&sb, r->name);
            srr_sb_put(&sb, "' (#");
            srr_sb_putu(&sb, i + 1);
            srr_sb_put(&sb, "): ");
        }
        put_what(&sb, sig);
        srr_sb_put(&sb, " \xe2\x86\x92 ");
        srr_sb_put(&sb, srr_action_name(r->action));
        srr_sb_put(&sb, ".");
    }
    finish_reason(&sb);
}
