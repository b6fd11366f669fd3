/* SPDX-License-Identifier: Apache-2.0
 *
 * policy_explain.c - `srr policy explain`: for a signal, every rule up to
 * the one that wins, each with the clause that keeps it from matching
 * ("service is 'payments', rule wants 'checkout*'") or "matches"
 * (srr_rules_explain, srr_rules_explain_rule). The wording follows the
 * matchers of policy_decide.c one by one, calling the same functions, so
 * the explanation and the decision cannot disagree.
 */
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"

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

static const char *source_name_i(int v)
{
    return srr_source_name((srr_source)v);
}
static const char *kind_name_i(int v)
{
    return srr_kind_name((srr_kind)v);
}
static const char *status_name_i(int v)
{
    return srr_status_name((srr_status)v);
}

/* Writes why rule r does not match sig, one clause for the first matcher
 * that fails ("service is 'payments', rule wants 'checkout*'"); returns 1
 * and writes "matches" when it does match, 2 when it matches except for
 * history matchers that cannot be judged without the history (hist NULL).
 * Kept in step with policy_decide.c's static_matches() and
 * srr_rule_history_matches(), the fast path of the same logic. */
static int rule_why_not(const srr_rule *r, const srr_signal *sig, const srr_history *hist,
                        srr_sb *sb)
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
    if (!srr_mask_has(r->source_mask, (int)sig->source)) {
        srr_sb_printf(sb, "source is %s, rule wants ", srr_source_name(sig->source));
        put_mask(sb, r->source_mask, source_name_i);
        return 0;
    }
    if (!srr_mask_has(r->kind_mask, (int)sig->kind)) {
        srr_sb_printf(sb, "kind is %s, rule wants ", srr_kind_name(sig->kind));
        put_mask(sb, r->kind_mask, kind_name_i);
        return 0;
    }
    if (!srr_mask_has(r->status_mask, (int)sig->status)) {
        srr_sb_printf(sb, "status is %s, rule wants ", srr_status_name(sig->status));
        put_mask(sb, r->status_mask, status_name_i);
        return 0;
    }
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (texts[i].gs->n == 0 || srr_globset_any(texts[i].gs, texts[i].value))
            continue;
        if (texts[i].value)
            srr_sb_printf(sb, "%s is '%s', rule wants ", texts[i].field, texts[i].value);
        else
            srr_sb_printf(sb, "signal has no %s, rule wants ", texts[i].field);
        put_globs(sb, texts[i].gs);
        return 0;
    }
    if (r->priority.n && !srr_rule_priority_any(&r->priority, sig->priority)) {
        if (sig->priority)
            srr_sb_printf(sb, "priority is %s, rule wants ", sig->priority);
        else
            srr_sb_put(sb, "signal has no monitor priority, rule wants ");
        put_globs(sb, &r->priority);
        return 0;
    }
    long t = r->tags.n ? srr_rule_missing_tag(r, sig) : -1;
    if (t >= 0) {
        srr_sb_printf(sb, "no tag matches '%s' (tags: ", r->tags.v[t].pat);
        if (sig->ntags)
            srr_sb_put_tags(sb, sig);
        else
            srr_sb_put(sb, "none");
        srr_sb_put(sb, ")");
        return 0;
    }
    int bad = 0;
    if (r->has_value && !srr_rule_value_holds(r, sig, &bad)) {
        char v[48];
        srr_fmt_value(sig->value, sig->unit, v, sizeof v);
        if (bad)
            srr_sb_printf(sb, "condition is '%s', rule wants the measure of '%s'",
                          sig->condition ? sig->condition : "none", r->value_text);
        else
            srr_sb_printf(sb, "value %s does not hold '%s'", v, r->value_text);
        return 0;
    }
    if (srr_rule_needs_history(r)) {
        if (!hist) {
            srr_sb_put(sb, "needs the history (");
            if (r->has_recurrence)
                srr_sb_printf(sb, "recurrence '%s'", r->recurrence_text);
            if (r->has_flapping)
                srr_sb_printf(sb, "%sflapping '%s'", r->has_recurrence ? ", " : "",
                              r->flapping_text);
            srr_sb_put(sb, "): the writer decides");
            return 2;
        }
        if (!srr_rule_history_matches(r, sig, hist)) {
            srr_rule_put_history_facts(sb, r, sig, hist);
            srr_sb_put(sb, ", rule wants ");
            if (r->has_recurrence)
                srr_sb_printf(sb, "recurrence '%s'", r->recurrence_text);
            if (r->has_flapping)
                srr_sb_printf(sb, "%sflapping '%s'", r->has_recurrence ? " and " : "",
                              r->flapping_text);
            return 0;
        }
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
    return rule_why_not(&rs->rules[i], sig, NULL, &sb) == 1;
}

void srr_rules_explain(const srr_ruleset *rs, const srr_signal *sig, const srr_history *hist,
                       srr_explanation *out)
{
    memset(out, 0, sizeof *out);
    if (hist)
        srr_rules_decide_history(rs, sig, hist, &out->decision);
    else
        srr_rules_decide(rs, sig, &out->decision);
    size_t last = (size_t)out->decision.rule_index;
    /* A proposal made for a history rule still shows every rule up to the
     * static winner. */
    size_t upto = rs->nrules;
    out->v = srr_calloc(rs->nrules + 1, sizeof *out->v);
    for (size_t i = 0; i <= upto; i++) {
        srr_rule_trace *t = &out->v[out->n++];
        const srr_rule *r = srr_rules_rule_at(rs, i);
        srr_sb sb;
        srr_sb_init(&sb, t->why, sizeof t->why);
        t->index = (int)i;
        t->rule = r->name;
        int m = i == rs->nrules ? 1 : rule_why_not(r, sig, hist, &sb);
        if (i == rs->nrules)
            srr_sb_put(&sb, "matches (the default matches every signal)");
        t->needs_history = m == 2;
        t->matched = m == 1;
        if (m == 1)
            break;
    }
    (void)last;
}

void srr_explanation_clear(srr_explanation *e)
{
    if (!e)
        return;
    free(e->v);
    memset(e, 0, sizeof *e);
}
