/* SPDX-License-Identifier: Apache-2.0
 *
 * policy.c - compiling a config into a ruleset (rules.h's
 * srr_rules_compile*, srr_rules_destroy): the checks' conditions, the
 * policy's rules and default, and the index and prefilters that make
 * deciding fast. Deciding is policy_decide.c, `srr policy explain`'s
 * rule-by-rule account policy_explain.c; all three share the layout in
 * rules_internal.h, and the YAML readers and ruleset lookups of
 * policy_common.c.
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
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"

#define DEFAULT_POLICY_TIMEBOX_S (7 * 86400)

/* ---- freeing ------------------------------------------------------------ */

static void rule_free(srr_rule *r)
{
    free(r->name);
    free(r->owner);
    free(r->reason);
    free(r->impact);
    free(r->likelihood);
    free(r->value_text);
    free(r->recurrence_text);
    free(r->flapping_text);
    srr_strv_free(r->labels, r->nlabels);
    srr_strv_free(r->group_by, r->ngroup_by);
    srr_globset_free(&r->check);
    srr_globset_free(&r->service);
    srr_globset_free(&r->env);
    srr_globset_free(&r->priority);
    srr_globset_free(&r->tags);
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
    free(rs->by_group);
    free(rs->by_group_off);
    free(rs->check_slots);
    srr_rules_free_identity(rs);
    rule_free(&rs->def);
    free(rs->checks);
    free(rs);
}

size_t srr_rules_count(const srr_ruleset *rs)
{
    return rs ? rs->nrules : 0;
}

int srr_rules_uses_history(const srr_ruleset *rs)
{
    return rs ? rs->any_history : 0;
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
    if (c->source == SRR_SRC_LOGS && rt->cond.kind != SRR_KIND_COUNT &&
        rt->cond.measure != SRR_MEASURE_SPIKE)
        return err_at_node(err, wn,
                           "check '%s': when: a logs check counts events, so its condition is "
                           "count, change, spike or new_pattern, not '%s ...'",
                           c->name, srr_measure_name(rt->cond.measure));
    if (c->source == SRR_SRC_METRICS && rt->cond.kind == SRR_KIND_COUNT)
        return err_at_node(err, wn,
                           "check '%s': when: 'count' is for logs checks; a metrics check "
                           "uses max, min, avg, last, sum, p50..p99 or growth%s",
                           c->name, NULL);
    if (c->source != SRR_SRC_METRICS && c->source != SRR_SRC_LOGS)
        return err_at_node(err, c->node, "check '%s': source must be metrics or logs%s",
                           c->name, NULL);
    if (c->unit) {
        const srr_yaml_node *un = c->unit_node ? c->unit_node : c->node;
        srr_unit_class cls;
        double scale;
        if (c->source != SRR_SRC_METRICS)
            return err_at_node(err, un,
                               "check '%s': unit: only a metrics check has series with a "
                               "unit%s",
                               c->name, NULL);
        if (!srr_unit_lookup(c->unit, &cls, &scale))
            return err_at_node(err, un,
                               "check '%s': unit: '%s' is not a unit srr converts (fraction, "
                               "percent, byte, KiB, MiB, GiB, bit, ns, us, ms, second, minute, "
                               "hour, day ...)",
                               c->name, c->unit);
    }
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
    srr_rc rc = srr_rules_scalar_items(n, what, &items, &count, &one, err);
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
    srr_rc rc = srr_rules_check_keys(m, path, "policy.rules[].match", err);
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
            rc = srr_rules_read_globs(v, what, 0, &r->check, err);
        else if (strcmp(k, "service") == 0)
            rc = srr_rules_read_globs(v, what, 0, &r->service, err);
        else if (strcmp(k, "env") == 0)
            rc = srr_rules_read_globs(v, what, 0, &r->env, err);
        else if (strcmp(k, "tags") == 0)
            rc = srr_rules_read_globs(v, what, 0, &r->tags, err);
        else if (strcmp(k, "priority") == 0)
            rc = srr_rules_read_globs(v, what, 1, &r->priority, err);
        else if (strcmp(k, "value") == 0) {
            if ((rc = srr_yaml_string(v, what, &r->value_text, err)) == SRR_OK)
                rc = srr_value_cond_compile_at(r->value_text, v, what, &r->value,
                                               &r->value_has_measure, err);
            r->has_value = rc == SRR_OK;
        } else if (strcmp(k, "recurrence") == 0) {
            if ((rc = srr_yaml_string(v, what, &r->recurrence_text, err)) == SRR_OK)
                rc = srr_recurrence_compile_at(r->recurrence_text, v, what, &r->recurrence, err);
            r->has_recurrence = rc == SRR_OK;
        } else if (strcmp(k, "flapping") == 0) {
            if ((rc = srr_yaml_string(v, what, &r->flapping_text, err)) == SRR_OK)
                rc = srr_flapping_compile_at(r->flapping_text, v, what, &r->flapping, err);
            r->has_flapping = rc == SRR_OK;
        }
        if (strcmp(k, "check") == 0) {
            r->check_line = v->line;
            r->check_col = v->col;
        }
    }
    return rc;
}

static int level_of(const char *s)
{
    return strcmp(s, "low") == 0 ? 1 : strcmp(s, "medium") == 0 ? 2 : strcmp(s, "high") == 0 ? 3 : 0;
}

/* impact x likelihood (each 1..3) -> urgency: 9 critical, 6 high, 3-4
 * medium, 1-2 low. */
static srr_urgency urgency_of(const char *impact, const char *likelihood)
{
    int p = level_of(impact) * level_of(likelihood);
    return p >= 9 ? SRR_URGENCY_CRITICAL : p >= 6 ? SRR_URGENCY_HIGH
           : p >= 3 ? SRR_URGENCY_MEDIUM : SRR_URGENCY_LOW;
}

static srr_rc read_level(const srr_yaml_node *n, const char *what, char **out, srr_error *err)
{
    srr_rc rc = srr_yaml_string(n, what, out, err);
    if (rc != SRR_OK)
        return rc;
    if (!level_of(*out))
        return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                            "%s: unknown level '%s' (expected low, medium or high)", what, *out);
    return SRR_OK;
}

/* Reads a rule's action and, for 'investigate' (only), its time-box. */
static srr_rc read_action(const srr_yaml_node *map, const char *path, srr_rule *r, srr_error *err)
{
    char what[96];
    char *s = NULL;
    srr_rc rc;
    const srr_yaml_node *an = srr_yaml_get(map, "action");
    const srr_yaml_node *tn = srr_yaml_get(map, "timebox");

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
    r->action_line = an->line;
    r->action_col = an->col;
    return SRR_OK;
}

/* Reads impact and likelihood (both or neither, and then no urgency). */
static srr_rc read_levels(const srr_yaml_node *map, const char *path, srr_rule *r, srr_error *err)
{
    char what[96];
    srr_rc rc;
    const srr_yaml_node *in = srr_yaml_get(map, "impact");
    const srr_yaml_node *ln = srr_yaml_get(map, "likelihood");
    const srr_yaml_node *un = srr_yaml_get(map, "urgency");
    if ((in != NULL) != (ln != NULL)) {
        const srr_yaml_node *x = in ? in : ln;
        return srr_error_at(err, SRR_EINVAL, x->file, x->line, x->col,
                            "%s: urgency is computed from impact x likelihood only when both "
                            "are given (add '%s')",
                            path, in ? "likelihood" : "impact");
    }
    if (in && un)
        return srr_error_at(err, SRR_EINVAL, un->file, un->line, un->col,
                            "%s.urgency: give either urgency or impact and likelihood, not "
                            "both",
                            path);
    if (in) {
        snprintf(what, sizeof what, "%s.impact", path);
        if ((rc = read_level(in, what, &r->impact, err)) != SRR_OK)
            return rc;
        snprintf(what, sizeof what, "%s.likelihood", path);
        if ((rc = read_level(ln, what, &r->likelihood, err)) != SRR_OK)
            return rc;
    }
    return SRR_OK;
}

/* Reads the labels a record gets and the rule-level group_by (tag keys). */
static srr_rc read_lists(const srr_yaml_node *map, const char *path, srr_rule *r, srr_error *err)
{
    char what[96];
    srr_rc rc;
    const srr_yaml_node *lb = srr_yaml_get(map, "labels");
    const srr_yaml_node *gb = srr_yaml_get(map, "group_by");
    if (lb) {
        snprintf(what, sizeof what, "%s.labels", path);
        if ((rc = srr_rules_read_strv(lb, what, 1, &r->labels, &r->nlabels, err)) != SRR_OK)
            return rc;
    }
    if (gb) {
        snprintf(what, sizeof what, "%s.group_by", path);
        if ((rc = srr_rules_read_strv(gb, what, 1, &r->group_by, &r->ngroup_by, err)) != SRR_OK)
            return rc;
        r->has_group_by = 1;
        for (size_t i = 0; i < r->ngroup_by; i++)
            if (strchr(r->group_by[i], ':') || strchr(r->group_by[i], '*'))
                return srr_error_at(err, SRR_EINVAL, gb->file, gb->line, gb->col,
                                    "%s: '%s' is not a tag key (write 'host', not 'host:a' or "
                                    "a glob)",
                                    what, r->group_by[i]);
    }
    return SRR_OK;
}

/* Sets the urgency: impact x likelihood when given, else `urgency:`, else
 * medium. */
static srr_rc read_urgency(const srr_yaml_node *map, const char *path, srr_rule *r,
                           srr_error *err)
{
    char what[96];
    char *s = NULL;
    srr_rc rc;
    const srr_yaml_node *un = srr_yaml_get(map, "urgency");
    r->urgency = r->impact ? urgency_of(r->impact, r->likelihood) : SRR_URGENCY_MEDIUM;
    if (!un)
        return SRR_OK;
    snprintf(what, sizeof what, "%s.urgency", path);
    if ((rc = srr_yaml_string(un, what, &s, err)) != SRR_OK)
        return rc;
    if (srr_urgency_parse(s, &r->urgency) != SRR_OK)
        rc = srr_error_at(err, SRR_EINVAL, un->file, un->line, un->col,
                          "%s: unknown urgency '%s' (expected low, medium, high or "
                          "critical)",
                          what, s);
    free(s);
    return rc;
}

/* Reads action/timebox/urgency/owner/reason of a rule or of the default;
 * the first problem found, in that order, is the error. */
static srr_rc compile_outcome(const srr_yaml_node *map, const char *path, srr_rule *r,
                              srr_error *err)
{
    char what[96];
    srr_rc rc;
    const srr_yaml_node *on = srr_yaml_get(map, "owner");
    const srr_yaml_node *rn = srr_yaml_get(map, "reason");

    if ((rc = read_action(map, path, r, err)) != SRR_OK ||
        (rc = read_levels(map, path, r, err)) != SRR_OK ||
        (rc = read_lists(map, path, r, err)) != SRR_OK ||
        (rc = read_urgency(map, path, r, err)) != SRR_OK)
        return rc;
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
    srr_rc rc = srr_rules_check_keys(item, path, "policy.rules[]", err);
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

/* 1 when the prefilters alone decide this matcher exactly: absent, or one
 * glob that is an exact name of at most 7 bytes (its NUL is compared too),
 * a prefix or a '*suffix' of 1..8 literal bytes. */
static int exact_by_prefilter(const srr_globset *gs)
{
    if (gs->n == 0)
        return 1;
    if (gs->n > 1)
        return 0;
    const srr_glob *g = &gs->v[0];
    switch (g->shape) {
    case GLOB_EXACT: return g->litlen <= 7;
    case GLOB_PREFIX:
    case GLOB_SUFFIX: return g->litlen >= 1 && g->litlen <= 8;
    default: return 0;
    }
}

/* The bloom of a list of exact names (0 unless every glob is exact). */
static uint64_t bloom_of(const srr_globset *gs)
{
    uint64_t b = 0;
    for (size_t i = 0; i < gs->n; i++) {
        if (gs->v[i].shape != GLOB_EXACT)
            return 0;
        b |= srr_bloom_bit(srr_fnv1a(gs->v[i].pat));
    }
    return b;
}

#define INDEX_MAX_ENTRIES (4u << 20)

/* Builds the rule index and the check name table (see struct srr_ruleset). */
static void build_check_index(srr_ruleset *rs)
{
    const srr_config *cfg = rs->cfg;
    size_t nc = cfg ? cfg->nchecks : 0, ngroups = (nc + 1) * SRR_RULE_GROUPS_PER_CHECK, total = 0;
    if (rs->nrules == 0 || ngroups * rs->nrules > INDEX_MAX_ENTRIES)
        return;
    /* Per rule and check: can its check matcher match that check? */
    unsigned char *ok = srr_calloc((nc + 1) * rs->nrules, 1);
    for (size_t k = 0; k <= nc; k++)
        for (size_t i = 0; i < rs->nrules; i++) {
            const srr_globset *gs = &rs->rules[i].check;
            ok[k * rs->nrules + i] =
                gs->n == 0 || k == nc || srr_globset_any(gs, cfg->checks[k].name);
        }
    rs->by_group_off = srr_calloc(ngroups + 1, sizeof *rs->by_group_off);
    rs->by_group = srr_calloc(ngroups * rs->nrules, sizeof *rs->by_group);
    for (size_t k = 0; k <= nc; k++)
        for (int src = 0; src < SRR_SRC__COUNT; src++)
            for (int kind = 0; kind < SRR_KIND__COUNT; kind++)
                for (int st = 0; st < 2; st++) {
                    size_t g = srr_rule_group(k, src, kind, st);
                    rs->by_group_off[g] = total;
                    for (size_t i = 0; i < rs->nrules; i++) {
                        const srr_rule *r = &rs->rules[i];
                        if (ok[k * rs->nrules + i] && srr_mask_has(r->source_mask, src) &&
                            srr_mask_has(r->kind_mask, kind) && srr_mask_has(r->status_mask, st))
                            rs->by_group[total++] = (uint32_t)i;
                    }
                }
    rs->by_group_off[ngroups] = total;
    free(ok);
    rs->check_slots_n = 16;
    while (rs->check_slots_n < 2 * nc)
        rs->check_slots_n *= 2;
    rs->check_slots = srr_calloc(rs->check_slots_n, sizeof *rs->check_slots);
    for (size_t k = 0; k < nc; k++) {
        size_t j = srr_fnv1a(cfg->checks[k].name) & (rs->check_slots_n - 1);
        while (rs->check_slots[j])
            j = (j + 1) & (rs->check_slots_n - 1);
        rs->check_slots[j] = (uint32_t)(k + 1);
    }
}

static srr_rc compile_policy(srr_ruleset *rs, const srr_yaml_node *p, srr_error *err)
{
    srr_rc rc;
    rs->def.name = srr_strdup("default");
    rs->policy = p;
    if (!p || is_empty_scalar(p)) {
        rs->def.action = SRR_ACTION_INVESTIGATE;
        rs->def.timebox_s = DEFAULT_POLICY_TIMEBOX_S;
        rs->def.urgency = SRR_URGENCY_MEDIUM;
        rs->def.reason = srr_strdup("No policy is configured, so every signal gets a 7-day "
                                    "investigation");
        return SRR_OK;
    }
    if ((rc = srr_rules_check_keys(p, "policy", "policy", err)) != SRR_OK)
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
        srr_prefilter_suffix_of(&r->check, &h->check_sfx);
        srr_prefilter_suffix_of(&r->service, &h->service_sfx);
        srr_prefilter_suffix_of(&r->env, &h->env_sfx);
        h->check_bloom = bloom_of(&r->check);
        h->service_bloom = bloom_of(&r->service);
        h->env_bloom = bloom_of(&r->env);
        rs->bloom_service |= h->service_bloom != 0;
        rs->bloom_env |= h->env_bloom != 0;
        h->needs_full = (unsigned char)(!exact_by_prefilter(&r->check) ||
                                        !exact_by_prefilter(&r->service) ||
                                        !exact_by_prefilter(&r->env) || r->tags.n ||
                                        r->priority.n || r->has_value);
        if (r->has_recurrence || r->has_flapping)
            rs->any_history = 1;
    }

    build_check_index(rs);
    const srr_yaml_node *d = srr_yaml_get(p, "default");
    if (d) {
        rs->has_default = 1;
        if ((rc = srr_rules_check_keys(d, "policy.default", "policy.default", err)) != SRR_OK)
            return rc;
        rs->def.line = d->line;
        rs->def.col = d->col;
        return compile_outcome(d, "policy.default", &rs->def, err);
    }
    rs->def.action = SRR_ACTION_IGNORE;
    rs->def.urgency = SRR_URGENCY_LOW;
    return SRR_OK;
}

srr_rc srr_rules_compile(const srr_config *cfg, srr_ruleset **out, srr_error *err)
{
    return srr_rules_compile_policy(cfg, cfg ? cfg->policy : NULL, out, err);
}

srr_rc srr_rules_compile_policy(const srr_config *cfg, const srr_yaml_node *policy,
                                srr_ruleset **out, srr_error *err)
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
    if ((rc = compile_policy(rs, policy, err)) != SRR_OK)
        goto fail;
    if ((rc = srr_rules_compile_identity(rs, err)) != SRR_OK)
        goto fail;
    *out = rs;
    return SRR_OK;
fail:
    srr_rules_destroy(rs);
    return rc;
}
