/* SPDX-License-Identifier: Apache-2.0
 *
 * identity.c - what thing an observation belongs to (DESIGN.md section 3,
 * "Things and observations"): its source (a configured check, or a Datadog
 * monitor) plus the group declared AT THE SOURCE. A check's `group_by`
 * names the tag keys of a series (or the log facets) that make one thing;
 * the other tags of a series are its members ("pod:w-1" of the thing
 * "service:worker"). For webhook alerts the group is the alert's tags and
 * scope, narrowed by the first entry of the `monitors:` section that
 * matches the monitor (by id, name or tags). Status, history and the rule
 * that wins never change the thing, so a firing alert and its recovery
 * are one thing, and flapping can be counted. The thing's fingerprint is
 * the hash of check + service + its group tags, independent of tag order
 * (srr_rules_fingerprint; candidate.c hashes candidate ids the same way).
 *
 * Configs written when `group_by` was a rule setting keep loading: each
 * rule-level group_by is carried to the sources it can only mean - every
 * configured check without a group of its own whose name, source, kind,
 * service and env the rule's matchers admit for certain (the first such
 * rule in policy order wins), and, when the rule admits webhook alerts, a
 * monitors entry matching what the rule's check and tags matchers match.
 * `srr policy check` (lint.c) prints where each one went and the exact
 * rewrite. Pure code: no I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "rules_internal.h"

/* The signal kind a check's signals have. */
static srr_kind check_kind(const srr_check_rt *rt)
{
    if (rt->cond.measure == SRR_MEASURE_SPIKE)
        return SRR_KIND_SPIKE;
    if (rt->cond.measure == SRR_MEASURE_NEW_PATTERN)
        return SRR_KIND_NEW_PATTERN;
    return rt->cond.kind;
}

/* A group key must be a tag key: no value, no glob. */
static srr_rc check_keys_are_keys(const srr_yaml_node *n, const char *what, char **keys,
                                  size_t nkeys, srr_error *err)
{
    for (size_t i = 0; i < nkeys; i++)
        if (strchr(keys[i], ':') || strchr(keys[i], '*'))
            return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                                "%s: '%s' is not a tag key (write 'host', not 'host:a' or a glob)",
                                what, keys[i]);
    return SRR_OK;
}

static srr_rc compile_monitor(const srr_yaml_node *n, size_t idx, srr_monitor_src *m,
                              srr_error *err)
{
    char what[64], sub[80];
    srr_rc rc;
    snprintf(what, sizeof what, "monitors[%zu]", idx);
    m->from_rule = -1;
    m->line = n->line;
    m->col = n->col;
    if (n->type != SRR_YAML_MAP)
        return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                            "%s: expected a map with 'match' and 'group_by'", what);
    if ((rc = srr_rules_check_keys(n, what, "monitors[]", err)) != SRR_OK)
        return rc;
    const srr_yaml_node *mt = srr_yaml_get(n, "match"), *gb = srr_yaml_get(n, "group_by");
    if (mt) {
        snprintf(sub, sizeof sub, "%s.match", what);
        if (mt->type != SRR_YAML_MAP)
            return srr_error_at(err, SRR_EINVAL, mt->file, mt->line, mt->col,
                                "%s: expected a map of id, name and tags", sub);
        if ((rc = srr_rules_check_keys(mt, sub, "monitors[].match", err)) != SRR_OK)
            return rc;
        const srr_yaml_node *v;
        if ((v = srr_yaml_get(mt, "id")) &&
            (rc = srr_rules_read_globs(v, "monitors match.id", 0, &m->id, err)) != SRR_OK)
            return rc;
        if ((v = srr_yaml_get(mt, "name")) &&
            (rc = srr_rules_read_globs(v, "monitors match.name", 0, &m->name, err)) != SRR_OK)
            return rc;
        if ((v = srr_yaml_get(mt, "tags")) &&
            (rc = srr_rules_read_globs(v, "monitors match.tags", 0, &m->tags, err)) != SRR_OK)
            return rc;
    }
    if (!gb)
        return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                            "%s: missing 'group_by' (the tag keys that make one thing of "
                            "these monitors' alerts, e.g. [service])",
                            what);
    snprintf(sub, sizeof sub, "%s.group_by", what);
    if ((rc = srr_rules_read_strv(gb, sub, 1, &m->group_by, &m->ngroup_by, err)) != SRR_OK)
        return rc;
    return check_keys_are_keys(gb, sub, m->group_by, m->ngroup_by, err);
}

static void copy_globs(srr_globset *dst, const srr_globset *src)
{
    dst->n = 0;
    dst->v = srr_calloc(src->n ? src->n : 1, sizeof *dst->v);
    for (size_t i = 0; i < src->n; i++)
        srr_glob_compile(&dst->v[dst->n++], src->v[i].pat);
}

/* 1 when rule r certainly admits every signal of check i as far as its
 * static matchers go (name, source, kind, service, env); 0 when it admits
 * none; 2 when it depends on the series (a service or env matcher on a
 * check that does not fix them). The observation-dependent matchers
 * (status, value, tags, priority, history) are what must NOT decide the
 * thing, so they are not looked at. */
static int rule_admits_check(const srr_rule *r, const srr_check *c, const srr_check_rt *rt)
{
    if (!srr_mask_has(r->source_mask, (int)c->source) ||
        !srr_mask_has(r->kind_mask, (int)check_kind(rt)))
        return 0;
    if (r->check.n && !srr_globset_any(&r->check, c->name))
        return 0;
    int maybe = 0;
    if (r->service.n) {
        if (!c->service)
            maybe = 1;
        else if (!srr_globset_any(&r->service, c->service))
            return 0;
    }
    if (r->env.n) {
        if (!c->env)
            maybe = 1;
        else if (!srr_globset_any(&r->env, c->env))
            return 0;
    }
    return maybe ? 2 : 1;
}

/* 1 when rule r means webhook alerts: its source and kind admit them,
 * and its check matcher (if any) is not only about configured checks. */
static int rule_admits_webhook(const srr_ruleset *rs, const srr_rule *r)
{
    if (!srr_mask_has(r->source_mask, SRR_SRC_WEBHOOK) ||
        !srr_mask_has(r->kind_mask, SRR_KIND_MONITOR_ALERT))
        return 0;
    if (r->source_mask || !r->check.n)
        return 1;
    for (size_t i = 0; i < r->check.n; i++) {
        size_t c = 0;
        while (c < rs->nchecks && !srr_glob_match(&r->check.v[i], rs->cfg->checks[c].name))
            c++;
        if (c == rs->nchecks)
            return 1; /* names no configured check: a monitor */
    }
    return 0;
}

/* Adds "key:<glob>" to tags for each glob of gs (a rule's service or env
 * matcher, which a webhook alert meets through its tags). */
static void add_key_globs(srr_globset *tags, const char *key, const srr_globset *gs)
{
    if (!gs->n)
        return;
    tags->v = srr_realloc(tags->v, (tags->n + gs->n) * sizeof *tags->v);
    for (size_t i = 0; i < gs->n; i++) {
        char *p = srr_asprintf("%s:%s", key, gs->v[i].pat);
        srr_glob_compile(&tags->v[tags->n++], p);
        free(p);
    }
}

/* Carries the rule-level group_by settings to the sources (see the top of
 * this file). */
static void carry_rule_groups(srr_ruleset *rs)
{
    for (size_t i = 0; i < rs->nchecks; i++) {
        srr_check_rt *rt = &rs->checks[i];
        const srr_check *c = &rs->cfg->checks[i];
        rt->group_from_rule = -1;
        if (c->group_by || c->ngroup_by) {
            rt->group_by = (const char *const *)c->group_by;
            rt->ngroup_by = c->ngroup_by;
            rt->has_group = 1;
        }
        for (size_t k = 0; !rt->has_group && k <= rs->nrules; k++) { /* the default last */
            const srr_rule *r = srr_rules_rule_at(rs, k);
            if (!r->has_group_by)
                continue;
            int a = rule_admits_check(r, c, rt);
            if (a == 0)
                continue;
            if (a == 1) {
                rt->group_by = (const char *const *)r->group_by;
                rt->ngroup_by = r->ngroup_by;
                rt->has_group = 1;
                rt->group_from_rule = (int)k;
            }
            break; /* a rule that only may apply leaves the check as it is */
        }
        /* A log pattern is a thing of its own in its group: the pattern
         * is always part of the group of a new_pattern check. */
        if (rt->has_group && rt->cond.measure == SRR_MEASURE_NEW_PATTERN) {
            rt->pattern_group = srr_calloc(rt->ngroup_by + 1, sizeof *rt->pattern_group);
            for (size_t k = 0; k < rt->ngroup_by; k++)
                rt->pattern_group[k] = srr_strdup(rt->group_by[k]);
            rt->pattern_group[rt->ngroup_by] = srr_strdup("pattern");
            rt->group_by = (const char *const *)rt->pattern_group;
            rt->ngroup_by++;
        }
    }
    size_t extra = 0;
    for (size_t k = 0; k <= rs->nrules; k++)
        extra += srr_rules_rule_at(rs, k)->has_group_by &&
                 rule_admits_webhook(rs, srr_rules_rule_at(rs, k));
    if (!extra)
        return;
    rs->monitors = srr_realloc(rs->monitors, (rs->nmonitors + extra) * sizeof *rs->monitors);
    for (size_t k = 0; k <= rs->nrules; k++) {
        const srr_rule *r = srr_rules_rule_at(rs, k);
        if (!r->has_group_by || !rule_admits_webhook(rs, r))
            continue;
        srr_monitor_src *m = &rs->monitors[rs->nmonitors++];
        memset(m, 0, sizeof *m);
        copy_globs(&m->id, &r->check);
        copy_globs(&m->tags, &r->tags);
        add_key_globs(&m->tags, "service", &r->service);
        add_key_globs(&m->tags, "env", &r->env);
        m->group_by = srr_calloc(r->ngroup_by ? r->ngroup_by : 1, sizeof *m->group_by);
        for (size_t j = 0; j < r->ngroup_by; j++)
            m->group_by[m->ngroup_by++] = srr_strdup(r->group_by[j]);
        m->line = r->line;
        m->col = r->col;
        m->from_rule = (int)k;
    }
}

srr_rc srr_rules_compile_identity(srr_ruleset *rs, srr_error *err)
{
    const srr_yaml_node *m = rs->cfg ? rs->cfg->monitors : NULL;
    srr_rc rc;
    if (m && !(m->type == SRR_YAML_SCALAR && (!m->value || !*m->value))) {
        if (m->type != SRR_YAML_SEQ)
            return srr_error_at(err, SRR_EINVAL, m->file, m->line, m->col,
                                "monitors: expected a list of {match: {id, name, tags}, "
                                "group_by: [...]}");
        rs->monitors = srr_calloc(m->n ? m->n : 1, sizeof *rs->monitors);
        for (size_t i = 0; i < m->n; i++) {
            rc = compile_monitor(m->items[i], i, &rs->monitors[rs->nmonitors++], err);
            if (rc != SRR_OK)
                return rc;
        }
    }
    carry_rule_groups(rs);
    return SRR_OK;
}

void srr_rules_free_identity(srr_ruleset *rs)
{
    for (size_t i = 0; i < rs->nchecks; i++)
        if (rs->checks[i].pattern_group) {
            srr_strv_free(rs->checks[i].pattern_group, rs->checks[i].ngroup_by);
            rs->checks[i].pattern_group = NULL;
        }
    for (size_t i = 0; i < rs->nmonitors; i++) {
        srr_globset_free(&rs->monitors[i].id);
        srr_globset_free(&rs->monitors[i].name);
        srr_globset_free(&rs->monitors[i].tags);
        srr_strv_free(rs->monitors[i].group_by, rs->monitors[i].ngroup_by);
    }
    free(rs->monitors);
    rs->monitors = NULL;
    rs->nmonitors = 0;
}

/* ---- which source, which group -------------------------------------------- */

static int all_digits(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* The monitor's name is the check when the alert had no $ALERT_ID, else
 * the summary ("<name> on <scope>" or "<name>"): tried whole and cut
 * before each " on ". */
static int name_matches(const srr_globset *gs, const srr_signal *sig)
{
    char buf[512];
    if (sig->check && !all_digits(sig->check) && srr_globset_any(gs, sig->check))
        return 1;
    if (!sig->summary)
        return 0;
    if (srr_globset_any(gs, sig->summary))
        return 1;
    for (const char *p = strstr(sig->summary, " on "); p; p = strstr(p + 1, " on ")) {
        size_t n = (size_t)(p - sig->summary);
        if (n >= sizeof buf)
            break;
        memcpy(buf, sig->summary, n);
        buf[n] = '\0';
        if (srr_globset_any(gs, buf))
            return 1;
    }
    return 0;
}

static int monitor_matches(const srr_monitor_src *m, const srr_signal *sig)
{
    if (m->id.n && !srr_globset_any(&m->id, sig->check))
        return 0;
    if (m->name.n && !name_matches(&m->name, sig))
        return 0;
    for (size_t i = 0; i < m->tags.n; i++) {
        size_t j = 0;
        while (j < sig->ntags && !srr_glob_match(&m->tags.v[i], sig->tags[j]))
            j++;
        if (j == sig->ntags)
            return 0;
    }
    return 1;
}

void srr_rules_source_group(const srr_ruleset *rs, const srr_signal *sig, long k, srr_decision *d)
{
    d->group_by = NULL;
    d->ngroup_by = 0;
    d->has_group_by = 0;
    if (!rs || !sig)
        return;
    if (sig->source == SRR_SRC_WEBHOOK) {
        for (size_t i = 0; i < rs->nmonitors; i++)
            if (monitor_matches(&rs->monitors[i], sig)) {
                d->group_by = (const char *const *)rs->monitors[i].group_by;
                d->ngroup_by = rs->monitors[i].ngroup_by;
                d->has_group_by = 1;
                return;
            }
        return;
    }
    if (k == -2)
        k = srr_rules_check_lookup(rs, sig->check, srr_fnv1a(sig->check));
    if (k < 0 || (size_t)k >= rs->nchecks || !rs->checks[k].has_group)
        return;
    d->group_by = rs->checks[k].group_by;
    d->ngroup_by = rs->checks[k].ngroup_by;
    d->has_group_by = 1;
}

/* ---- identity ------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Hashes `head` parts, then the signal's tags sorted, then `tail`. Tags
 * beyond SRR_SIGNAL_MAX_TAGS cannot exist (srr_signal_add_tag caps them). */
void srr_rules_hash_tags(const char **head, size_t nhead, const srr_signal *sig, const char *tail,
                         size_t hexlen, char *out)
{
    const char *parts[4 + SRR_SIGNAL_MAX_TAGS + 1];
    size_t n = 0, ntags = sig->ntags < SRR_SIGNAL_MAX_TAGS ? sig->ntags : SRR_SIGNAL_MAX_TAGS;
    for (size_t i = 0; i < nhead && i < 4; i++)
        parts[n++] = head[i];
    for (size_t i = 0; i < ntags; i++)
        parts[n + i] = sig->tags[i];
    qsort(parts + n, ntags, sizeof parts[0], cmp_str);
    n += ntags;
    if (tail)
        parts[n++] = tail;
    srr_hash_id(parts, n, hexlen, out);
}

/* 1 when tag "key:value" has a key listed in group_by. */
static int tag_selected(const char *tag, const srr_decision *d)
{
    const char *colon = strchr(tag, ':');
    size_t klen = colon ? (size_t)(colon - tag) : strlen(tag);
    for (size_t i = 0; i < d->ngroup_by; i++)
        if (strlen(d->group_by[i]) == klen && memcmp(d->group_by[i], tag, klen) == 0)
            return 1;
    return 0;
}

void srr_rules_fingerprint(const srr_signal *sig, const srr_decision *d, char out[33])
{
    const char *head[] = {"fp/1", sig->check, sig->service ? sig->service : ""};
    if (!d || !d->has_group_by) {
        srr_rules_hash_tags(head, 3, sig, NULL, 32, out);
        return;
    }
    /* The rule says what makes two signals the same thing: only the listed
     * tag keys (and env when listed) count. The same hashing as above, so
     * a group_by naming every group tag gives the default fingerprint. */
    srr_signal view;
    char *tags[SRR_SIGNAL_MAX_TAGS + 1];
    char *env_tag = NULL;
    size_t n = 0;
    memset(&view, 0, sizeof view);
    for (size_t i = 0; i < sig->ntags && n < SRR_SIGNAL_MAX_TAGS; i++)
        if (tag_selected(sig->tags[i], d))
            tags[n++] = sig->tags[i];
    for (size_t i = 0; i < d->ngroup_by && n < SRR_SIGNAL_MAX_TAGS; i++)
        if (strcmp(d->group_by[i], "env") == 0 && sig->env && !srr_signal_tag(sig, "env")) {
            env_tag = srr_asprintf("env:%s", sig->env);
            tags[n++] = env_tag;
        }
    view.tags = tags;
    view.ntags = n;
    srr_rules_hash_tags(head, 3, &view, NULL, 32, out);
    free(env_tag);
}

/* 1 when tag "key:value" has a key among keys[0..n). */
static int key_listed(const char *tag, const char *const *keys, size_t n)
{
    const char *colon = strchr(tag, ':');
    size_t klen = colon ? (size_t)(colon - tag) : strlen(tag);
    for (size_t i = 0; i < n; i++)
        if (strlen(keys[i]) == klen && memcmp(keys[i], tag, klen) == 0)
            return 1;
    return 0;
}

static void put_tag(srr_sb *sb, const char *tag)
{
    if (sb->len)
        srr_sb_put(sb, ",");
    srr_sb_put(sb, tag);
}

static void put_line(srr_sb *sb, const char *tag)
{
    if (sb->len)
        srr_sb_put(sb, "\n");
    srr_sb_put(sb, tag);
}

void srr_rules_group_tags(const srr_ruleset *rs, const srr_signal *sig, char *out, size_t n)
{
    srr_decision d;
    srr_sb sb;
    memset(&d, 0, sizeof d);
    srr_rules_source_group(rs, sig, -2, &d);
    srr_sb_init(&sb, out, n);
    for (size_t i = 0; i < sig->ntags; i++)
        if (!d.has_group_by || key_listed(sig->tags[i], d.group_by, d.ngroup_by))
            put_line(&sb, sig->tags[i]);
}

void srr_rules_group_text(const srr_signal *sig, const srr_decision *d, char *out, size_t n)
{
    srr_sb g;
    char lbl[256];
    srr_sb_init(&g, out, n);
    if (!d || !d->has_group_by) {
        for (size_t i = 0; i < sig->ntags; i++)
            put_tag(&g, sig->tags[i]);
        return;
    }
    if (key_listed("service", d->group_by, d->ngroup_by) && sig->service &&
        !srr_signal_tag(sig, "service")) {
        snprintf(lbl, sizeof lbl, "service:%s", sig->service);
        put_tag(&g, lbl);
    }
    if (key_listed("env", d->group_by, d->ngroup_by) && sig->env && !srr_signal_tag(sig, "env")) {
        snprintf(lbl, sizeof lbl, "env:%s", sig->env);
        put_tag(&g, lbl);
    }
    for (size_t i = 0; i < sig->ntags; i++)
        if (key_listed(sig->tags[i], d->group_by, d->ngroup_by))
            put_tag(&g, sig->tags[i]);
}

void srr_rules_identity(const srr_ruleset *rs, const srr_signal *sig, srr_identity *out)
{
    srr_decision d;
    memset(&d, 0, sizeof d);
    srr_rules_identity_parts(rs, sig, out);
    srr_rules_source_group(rs, sig, -2, &d);
    srr_rules_fingerprint(sig, &d, out->fingerprint);
}

void srr_rules_identity_parts(const srr_ruleset *rs, const srr_signal *sig, srr_identity *out)
{
    srr_decision d;
    srr_sb m, x;
    memset(&d, 0, sizeof d);
    memset(out, 0, sizeof *out);
    srr_rules_source_group(rs, sig, -2, &d);
    srr_rules_group_text(sig, &d, out->group, sizeof out->group);
    srr_sb_init(&m, out->member, sizeof out->member);
    srr_sb_init(&x, out->tags, sizeof out->tags);
    for (size_t i = 0; i < sig->ntags; i++) {
        int in = !d.has_group_by || key_listed(sig->tags[i], d.group_by, d.ngroup_by);
        if (in)
            put_line(&x, sig->tags[i]);
        else
            put_tag(&m, sig->tags[i]);
    }
}

size_t srr_rules_legacy_fingerprints(const srr_ruleset *rs, const srr_signal *sig, char (*out)[33],
                                     size_t max)
{
    srr_identity now;
    srr_decision d;
    char fp[33];
    size_t n = 0;
    srr_rules_identity(rs, sig, &now);
    /* Every tag (what a rule without group_by gave), then each narrowing a
     * rule-level group_by gave (the default's too). */
    for (size_t k = 0; k <= (rs ? rs->nrules + 1 : 0); k++) {
        const srr_rule *r = k == 0 ? NULL : srr_rules_rule_at(rs, k - 1);
        if (r && !r->has_group_by)
            continue;
        memset(&d, 0, sizeof d);
        if (r) {
            d.group_by = (const char *const *)r->group_by;
            d.ngroup_by = r->ngroup_by;
            d.has_group_by = 1;
        }
        srr_rules_fingerprint(sig, r ? &d : NULL, fp);
        int seen = strcmp(fp, now.fingerprint) == 0;
        for (size_t i = 0; i < n && !seen; i++)
            seen = strcmp(out[i], fp) == 0;
        if (!seen && n < max)
            memcpy(out[n++], fp, sizeof fp);
    }
    return n;
}

int srr_rules_worse_dir(const srr_signal *sig)
{
    const char *c = sig ? sig->condition : NULL;
    for (; c && *c; c++) {
        if (*c == '<')
            return -1;
        if (*c == '>')
            return 1;
    }
    return 1;
}

/* ---- the rewrite of a rule-level group_by (srr policy check) ------------ */

static void put_keys(srr_sb *sb, char *const *keys, size_t n)
{
    srr_sb_put(sb, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            srr_sb_put(sb, ", ");
        srr_sb_put(sb, keys[i]);
    }
    srr_sb_put(sb, "]");
}

/* The monitors entry a rule's group_by becomes, as YAML. */
static void put_monitor_yaml(srr_sb *sb, const srr_monitor_src *m)
{
    srr_sb_put(sb, "- {");
    if (m->id.n || m->tags.n)
        srr_sb_put(sb, "match: {");
    if (m->id.n) {
        srr_sb_put(sb, "id: ");
        if (m->id.n > 1)
            srr_sb_put(sb, "[");
        for (size_t j = 0; j < m->id.n; j++)
            srr_sb_printf(sb, "%s\"%s\"", j ? ", " : "", m->id.v[j].pat);
        if (m->id.n > 1)
            srr_sb_put(sb, "]");
    }
    if (m->tags.n) {
        srr_sb_put(sb, m->id.n ? ", tags: [" : "tags: [");
        for (size_t j = 0; j < m->tags.n; j++)
            srr_sb_printf(sb, "%s\"%s\"", j ? ", " : "", m->tags.v[j].pat);
        srr_sb_put(sb, "]");
    }
    if (m->id.n || m->tags.n)
        srr_sb_put(sb, "}, ");
    srr_sb_put(sb, "group_by: ");
    put_keys(sb, m->group_by, m->ngroup_by);
    srr_sb_put(sb, "}");
}

int srr_rules_group_lint(const srr_ruleset *rs, size_t k, char *out, size_t n)
{
    const srr_rule *r = srr_rules_rule_at(rs, k);
    srr_sb sb;
    size_t carried = 0, skipped = 0;
    if (!r->has_group_by)
        return 0;
    srr_sb_init(&sb, out, n);
    if (k < rs->nrules)
        srr_sb_printf(&sb, "rule '%s' (#%zu)", r->name, k + 1);
    else
        srr_sb_put(&sb, "the default");
    srr_sb_put(&sb, " sets group_by: a thing is its check or monitor + the group declared "
                    "there, whichever rule matches, so it was read as ");
    for (size_t i = 0; i < rs->nchecks; i++)
        if (rs->checks[i].group_from_rule == (int)k)
            srr_sb_printf(&sb, "%scheck '%s''s", carried++ ? ", " : "", rs->cfg->checks[i].name);
    for (size_t i = 0; i < rs->nmonitors; i++)
        if (rs->monitors[i].from_rule == (int)k)
            srr_sb_printf(&sb, "%sthe group of the webhook alerts it matches",
                          carried++ ? " and " : "");
    if (!carried) {
        srr_sb_put(&sb, "nothing's (it applies to no check or monitor): remove it");
    } else {
        srr_sb_put(&sb, ". Rewrite:");
        for (size_t i = 0; i < rs->nchecks; i++)
            if (rs->checks[i].group_from_rule == (int)k) {
                srr_sb_put(&sb, " add 'group_by: ");
                put_keys(&sb, r->group_by, r->ngroup_by);
                srr_sb_printf(&sb, "' to check '%s';", rs->cfg->checks[i].name);
            }
        for (size_t i = 0; i < rs->nmonitors; i++)
            if (rs->monitors[i].from_rule == (int)k) {
                srr_sb_put(&sb, " add to 'monitors:' '");
                put_monitor_yaml(&sb, &rs->monitors[i]);
                srr_sb_put(&sb, "';");
            }
        srr_sb_put(&sb, " then remove group_by from ");
        srr_sb_put(&sb, k < rs->nrules ? "the rule" : "the default");
    }
    for (size_t i = 0; i < rs->nchecks; i++) {
        const srr_check_rt *rt = &rs->checks[i];
        const srr_check *c = &rs->cfg->checks[i];
        int a = rule_admits_check(r, c, rt);
        if (a == 0 || rt->group_from_rule == (int)k)
            continue;
        if (c->group_by || c->ngroup_by)
            srr_sb_printf(&sb, "%s check '%s' (it declares its own group_by)",
                          skipped++ ? "," : ". Not applied to", c->name);
        else if (rt->group_from_rule >= 0 || a == 1)
            srr_sb_printf(&sb, "%s check '%s' (an earlier rule's group_by %s it)",
                          skipped++ ? "," : ". Not applied to", c->name,
                          rt->group_from_rule >= 0 ? "applies to" : "may apply to");
        else if (a == 2)
            srr_sb_printf(&sb,
                          "%s check '%s' (its %s is known per series only: declare "
                          "group_by on the check if you meant it)",
                          skipped++ ? "," : ". Not applied to", c->name,
                          r->service.n ? "service" : "env");
    }
    return 1;
}
