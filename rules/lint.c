/* SPDX-License-Identifier: Apache-2.0
 *
 * lint.c - `srr policy check`: findings about a policy that compiles but
 * will not do what its author thinks. A rule is reported unreachable when
 * an earlier rule matches every signal it matches (decided conservatively
 * from the compiled matchers: a finding is always true, though not every
 * unreachable rule is found); check names are compared with the configured
 * checks; a source/kind pair that no signal can have, flapping sent to
 * `ignore`, a rule-level group_by (with where it was carried and the exact
 * rewrite, identity.c) and a missing default are reported too. Pure: no I/O.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"

typedef struct lint_list {
    srr_lint_msg *v;
    size_t n, cap;
} lint_list;

static void add(lint_list *l, int is_error, const char *file, int line, int col, const char *fmt,
                ...) __attribute__((format(printf, 6, 7)));

static void add(lint_list *l, int is_error, const char *file, int line, int col, const char *fmt,
                ...)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = srr_realloc(l->v, l->cap * sizeof *l->v);
    }
    srr_lint_msg *m = &l->v[l->n++];
    m->is_error = is_error;
    m->file = file;
    m->line = line;
    m->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->text, sizeof m->text, fmt, ap);
    va_end(ap);
}

/* 1 when every string glob b matches is matched by glob a. */
static int glob_covers(const srr_glob *a, const srr_glob *b)
{
    if (a->shape == GLOB_ANY || strcmp(a->pat, b->pat) == 0)
        return 1;
    if (b->shape == GLOB_EXACT)
        return srr_glob_match(a, b->lit);
    if (a->shape == GLOB_PREFIX && b->shape == GLOB_PREFIX)
        return b->litlen >= a->litlen && memcmp(b->lit, a->lit, a->litlen) == 0;
    if (a->shape == GLOB_SUFFIX && b->shape == GLOB_SUFFIX)
        return b->litlen >= a->litlen &&
               memcmp(b->lit + b->litlen - a->litlen, a->lit, a->litlen) == 0;
    return 0;
}

/* Field matcher: every value b accepts, a accepts too. */
static int set_covers(const srr_globset *a, const srr_globset *b)
{
    if (a->n == 0)
        return 1;
    if (b->n == 0)
        return 0;
    for (size_t j = 0; j < b->n; j++) {
        size_t i = 0;
        while (i < a->n && !glob_covers(&a->v[i], &b->v[j]))
            i++;
        if (i == a->n)
            return 0;
    }
    return 1;
}

/* Tags: a wants each of its globs matched by some tag; b guarantees a tag
 * matching each of b's globs. */
static int tags_cover(const srr_globset *a, const srr_globset *b)
{
    for (size_t i = 0; i < a->n; i++) {
        size_t j = 0;
        while (j < b->n && !glob_covers(&a->v[i], &b->v[j]))
            j++;
        if (j == b->n)
            return 0;
    }
    return 1;
}

static int mask_covers(unsigned a, unsigned b)
{
    return a == 0 || (b != 0 && (b & ~a) == 0);
}

static int same_text(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* 1 when rule a matches every signal rule b matches. */
static int rule_covers(const srr_rule *a, const srr_rule *b)
{
    if (a->has_value && !(b->has_value && same_text(a->value_text, b->value_text)))
        return 0;
    if (a->has_recurrence &&
        !(b->has_recurrence && same_text(a->recurrence_text, b->recurrence_text)))
        return 0;
    if (a->has_flapping && !(b->has_flapping && same_text(a->flapping_text, b->flapping_text)))
        return 0;
    return mask_covers(a->source_mask, b->source_mask) && mask_covers(a->kind_mask, b->kind_mask) &&
           mask_covers(a->status_mask, b->status_mask) && set_covers(&a->check, &b->check) &&
           set_covers(&a->service, &b->service) && set_covers(&a->env, &b->env) &&
           set_covers(&a->priority, &b->priority) && tags_cover(&a->tags, &b->tags);
}

/* The kinds each source can produce. */
static unsigned kinds_of_source(int src)
{
    switch (src) {
    case SRR_SRC_METRICS:
        return 1u << SRR_KIND_THRESHOLD | 1u << SRR_KIND_TREND | 1u << SRR_KIND_SPIKE;
    case SRR_SRC_LOGS:
        return 1u << SRR_KIND_COUNT | 1u << SRR_KIND_SPIKE | 1u << SRR_KIND_NEW_PATTERN;
    case SRR_SRC_WEBHOOK: return 1u << SRR_KIND_MONITOR_ALERT;
    default: return 0;
    }
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static void lint_checks(const srr_ruleset *rs, const srr_rule *r, size_t idx, const char *file,
                        lint_list *l)
{
    const srr_config *cfg = rs->cfg;
    int webhook_ok = r->source_mask == 0 || (r->source_mask & (1u << SRR_SRC_WEBHOOK));
    if (r->source_mask == (1u << SRR_SRC_WEBHOOK))
        return; /* monitor ids, not configured checks */
    for (size_t p = 0; p < r->check.n; p++) {
        const srr_glob *g = &r->check.v[p];
        if (webhook_ok && all_digits(g->pat))
            continue; /* a monitor id */
        size_t c = 0;
        while (c < cfg->nchecks && !srr_glob_match(g, cfg->checks[c].name))
            c++;
        if (c < cfg->nchecks)
            continue;
        srr_buf names;
        srr_buf_init(&names, 300);
        for (size_t k = 0; k < cfg->nchecks; k++)
            if (srr_buf_printf(&names, "%s%s", k ? ", " : "", cfg->checks[k].name) != SRR_OK)
                break;
        add(l, 0, file, r->check_line ? r->check_line : r->line,
            r->check_col ? r->check_col : r->col,
            "rule '%s' (#%zu): match.check '%s' matches no configured check (%s)%s", r->name,
            idx + 1, g->pat, cfg->nchecks ? names.data : "none configured",
            webhook_ok ? "; a monitor id is a number" : "");
        srr_buf_free(&names);
    }
}

size_t srr_rules_lint(const srr_ruleset *rs, srr_lint_msg **out)
{
    lint_list l = {0};
    const char *file = rs->policy ? rs->policy->file : NULL;
    for (size_t j = 0; j < rs->nrules; j++) {
        const srr_rule *b = &rs->rules[j];
        for (size_t i = 0; i < j; i++) {
            if (!rule_covers(&rs->rules[i], b))
                continue;
            add(&l, 0, file, b->line, b->col,
                "rule '%s' (#%zu) can never win: rule '%s' (#%zu, line %d) comes first and "
                "matches every signal it matches",
                b->name, j + 1, rs->rules[i].name, i + 1, rs->rules[i].line);
            break;
        }
        lint_checks(rs, b, j, file, &l);
        if (b->kind_mask) {
            unsigned possible = 0;
            for (int s = 0; s < SRR_SRC__COUNT; s++)
                if (b->source_mask == 0 || (b->source_mask & (1u << s)))
                    possible |= kinds_of_source(s);
            if ((possible & b->kind_mask) == 0)
                add(&l, 0, file, b->line, b->col,
                    "rule '%s' (#%zu) can never match: no signal of its source(s) has its "
                    "kind(s)",
                    b->name, j + 1);
        }
        if (b->has_flapping && b->action == SRR_ACTION_IGNORE)
            add(&l, 0, file, b->action_line, b->action_col,
                "rule '%s' (#%zu) ignores flapping signals: flapping is evidence of an "
                "unstable system (consider investigate or risk)",
                b->name, j + 1);
    }
    for (size_t k = 0; k <= rs->nrules; k++) {
        char text[sizeof l.v->text];
        const srr_rule *r = srr_rules_rule_at(rs, k);
        if (srr_rules_group_lint(rs, k, text, sizeof text))
            add(&l, 0, file, r->line, r->col, "%s", text);
    }
    if (rs->policy && !rs->has_default)
        add(&l, 0, file, rs->policy->line, rs->policy->col,
            "the policy has no 'default': signals no rule matches are ignored silently (add "
            "e.g. 'default: {action: investigate, timebox: 7d}')");
    *out = l.v;
    return l.n;
}
