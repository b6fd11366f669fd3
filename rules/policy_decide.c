/* SPDX-License-Identifier: Apache-2.0
 *
 * policy_decide.c - deciding on a signal with a compiled ruleset
 * (srr_rules_decide, srr_rules_decide_history): the rules in order, first
 * match wins, then the default, and the one sentence that says why.
 *
 * Deciding walks only the rules the index admits for the signal's check,
 * source, kind and status, rejects most of them by their prefilters (a few
 * integer compares), runs the full matchers (bit masks for enums, shaped
 * globs for text) on the rest and never allocates, so a 100-rule policy
 * evaluates well over a million signals per second. The matchers of one
 * rule are shared with policy_explain.c (rules_internal.h), which words
 * the same logic rule by rule.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "rules_internal.h"

int srr_rule_priority_any(const srr_globset *gs, const char *prio)
{
    char up[16];
    if (!prio)
        return 0;
    size_t i = 0;
    for (; prio[i] && i < sizeof up - 1; i++)
        up[i] = (char)toupper((unsigned char)prio[i]);
    up[i] = '\0';
    return srr_globset_any(gs, up);
}

long srr_rule_missing_tag(const srr_rule *r, const srr_signal *sig)
{
    for (size_t i = 0; i < r->tags.n; i++) {
        const srr_glob *g = &r->tags.v[i];
        size_t j = 0;
        while (j < sig->ntags &&
               ((g->first && sig->tags[j][0] != g->first) || !srr_glob_match(g, sig->tags[j])))
            j++;
        if (j == sig->ntags)
            return (long)i;
    }
    return -1;
}

/* 1 when the signal's condition uses measure m ("p95 > 300ms" -> p95). */
static int measure_is(const srr_signal *sig, srr_measure m)
{
    const char *name = srr_measure_name(m), *c = sig->condition;
    if (!c)
        return 0;
    while (*c == ' ')
        c++;
    size_t n = strlen(name), i = 0;
    while (i < n && (c[i] | 0x20) == name[i])
        i++;
    return i == n && (c[n] == '\0' || c[n] == ' ' || c[n] == '<' || c[n] == '>' || c[n] == '=' ||
                      c[n] == '!');
}

int srr_rule_value_holds(const srr_rule *r, const srr_signal *sig, int *bad_measure)
{
    *bad_measure = 0;
    if (r->value_has_measure && !measure_is(sig, r->value.measure)) {
        *bad_measure = 1;
        return 0;
    }
    return srr_cmp_holds(r->value.op, sig->value, srr_quantity_in(&r->value.q, sig->unit));
}

/* The matchers that need no history. */
static int static_matches(const srr_rule *r, const srr_signal *sig)
{
    int bad;
    if (!srr_mask_has(r->source_mask, (int)sig->source) ||
        !srr_mask_has(r->kind_mask, (int)sig->kind) ||
        !srr_mask_has(r->status_mask, (int)sig->status))
        return 0;
    if (r->check.n && !srr_globset_any(&r->check, sig->check))
        return 0;
    if (r->service.n && !srr_globset_any(&r->service, sig->service))
        return 0;
    if (r->env.n && !srr_globset_any(&r->env, sig->env))
        return 0;
    if (r->priority.n && !srr_rule_priority_any(&r->priority, sig->priority))
        return 0;
    if (r->has_value && !srr_rule_value_holds(r, sig, &bad))
        return 0;
    return r->tags.n == 0 || srr_rule_missing_tag(r, sig) < 0;
}

#define WEEK_S (7 * 86400)

static int64_t recurrence_period(const srr_recurrence *rc, const srr_signal *sig)
{
    if (rc->period_s > 0)
        return rc->period_s;
    if (sig->window_end > sig->window_start && sig->window_start > 0)
        return sig->window_end - sig->window_start;
    return WEEK_S;
}

/* In how many of the last `of` periods (ending with the signal's window)
 * the fingerprint fired: a sighting belongs to the period its distance
 * from the signal's window end rounds to, so sightings taken at each
 * sweep's window end land one per period. */
static long recurrence_count(const srr_recurrence *rc, const srr_signal *sig, const srr_history *h)
{
    unsigned char seen[1000];
    int64_t period = recurrence_period(rc, sig);
    int64_t ref = sig->window_end > 0 ? sig->window_end : sig->observed_at;
    long of = rc->of < 1000 ? rc->of : 1000, n = 0;
    memset(seen, 0, (size_t)of);
    if (sig->status == SRR_STATUS_FIRING)
        seen[0] = 1;
    for (size_t i = 0; i < h->nsightings; i++) {
        const srr_sighting *s = &h->sightings[i];
        if (s->status != SRR_STATUS_FIRING)
            continue;
        double k = floor((double)(ref - s->at) / (double)period + 0.5);
        if (k >= 0 && k < (double)of)
            seen[(long)k] = 1;
    }
    for (long i = 0; i < of; i++)
        n += seen[i];
    return n;
}

/* How many times the thing fired and then went clear within the window
 * ending at the signal's observation: its observations (the signal
 * among them, in order of their own time, merged with any observation of
 * the same time: a thing with a firing member is firing) counted as
 * firing -> clear transitions, whichever rule matched each. */
static long flap_count(const srr_flapping *f, const srr_signal *sig, const srr_history *h)
{
    int64_t ref = sig->observed_at, from = ref - f->window_s, cur_at = INT64_MIN;
    int prev = -1, cur = -1, placed = 0;
    long n = 0;
    for (size_t i = 0; i <= h->nsightings; i++) {
        int64_t at;
        int st;
        if (i < h->nsightings && !placed && h->sightings[i].at > ref) {
            at = ref; /* the signal goes before this later one */
            st = (int)sig->status;
            placed = 1;
            i--;
        } else if (i < h->nsightings) {
            at = h->sightings[i].at;
            st = (int)h->sightings[i].status;
        } else if (!placed) {
            at = ref;
            st = (int)sig->status;
            placed = 1;
        } else {
            break;
        }
        if (at < from || at > ref)
            continue;
        if (at == cur_at) { /* one time, one status: firing when any member fired */
            if (st == SRR_STATUS_FIRING)
                cur = SRR_STATUS_FIRING;
            continue;
        }
        if (prev == SRR_STATUS_FIRING && cur == SRR_STATUS_RECOVERED)
            n++;
        if (cur >= 0)
            prev = cur;
        cur = st;
        cur_at = at;
    }
    if (prev == SRR_STATUS_FIRING && cur == SRR_STATUS_RECOVERED)
        n++;
    return n;
}

int srr_rule_history_matches(const srr_rule *r, const srr_signal *sig, const srr_history *h)
{
    if (r->has_recurrence &&
        !srr_cmp_holds(r->recurrence.op, (double)recurrence_count(&r->recurrence, sig, h),
                       (double)r->recurrence.n))
        return 0;
    if (r->has_flapping && !srr_cmp_holds(r->flapping.op, (double)flap_count(&r->flapping, sig, h),
                                          (double)r->flapping.n))
        return 0;
    return 1;
}

void srr_rule_put_history_facts(srr_sb *sb, const srr_rule *r, const srr_signal *sig,
                                const srr_history *h)
{
    if (r->has_recurrence) {
        srr_sb_printf(sb, "seen in %ld of the last %ld %s",
                      recurrence_count(&r->recurrence, sig, h), r->recurrence.of,
                      r->recurrence.period_s == 0 ? "sweeps" : "periods");
        if (r->recurrence.period_s)
            srr_sb_printf(sb, " of %lldh", (long long)(r->recurrence.period_s / 3600));
    }
    if (r->has_flapping) {
        char d[24];
        srr_fmt_number((double)r->flapping.window_s / 86400.0, d, sizeof d);
        srr_sb_printf(sb, "%sfired and recovered %ld time%s in %sd", r->has_recurrence ? ", " : "",
                      flap_count(&r->flapping, sig, h),
                      flap_count(&r->flapping, sig, h) == 1 ? "" : "s", d);
    }
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

/* Fills the outcome fields of *out from rule r (index i). */
static void fill_outcome(const srr_ruleset *rs, const srr_rule *r, size_t i, srr_decision *out)
{
    (void)rs;
    out->action = r->action;
    out->rule_index = (int)i;
    out->rule = r->name;
    out->urgency = r->urgency;
    out->timebox_s = r->action == SRR_ACTION_INVESTIGATE ? r->timebox_s : 0;
    out->owner = r->owner;
    out->impact = r->impact;
    out->likelihood = r->likelihood;
    out->labels = (const char *const *)r->labels;
    out->nlabels = r->nlabels;
    out->history_rule = srr_rule_needs_history(r);
    out->flapping_rule = r->has_flapping;
}

/* The one human sentence of a decision. */
static void build_reason(const srr_rule *r, size_t i, int is_default, const srr_signal *sig,
                         const srr_history *hist, int proposed_for_history, srr_decision *out)
{
    srr_sb sb;
    srr_sb_init(&sb, out->reason, sizeof out->reason);
    if (proposed_for_history) {
        srr_sb_printf(&sb,
                      "Rule '%s' (#%zu) may apply once the writer counts this "
                      "fingerprint's history, so %s is proposed: ",
                      r->name, i + 1, srr_action_name(r->action));
        put_what(&sb, sig);
        srr_sb_put(&sb, ".");
        finish_reason(&sb);
        return;
    }
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
        if (hist && srr_rule_needs_history(r)) {
            srr_sb_put(&sb, "; ");
            srr_rule_put_history_facts(&sb, r, sig, hist);
        }
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
        if (hist && srr_rule_needs_history(r)) {
            srr_sb_put(&sb, ", ");
            srr_rule_put_history_facts(&sb, r, sig, hist);
        }
        srr_sb_put(&sb, " \xe2\x86\x92 ");
        srr_sb_put(&sb, srr_action_name(r->action));
        srr_sb_put(&sb, ".");
    }
    finish_reason(&sb);
}

/* One pass over a signal's text field: its first and last 8 bytes (as
 * srr_load8 and srr_load8_tail lay them out) and, when `hash` is set, its
 * FNV-1a. NULL gives zeros. */
static void scan_field(const char *s, int hash, uint64_t *head, uint64_t *tail, uint64_t *h)
{
    uint64_t fnv = 1469598103934665603ULL;
    size_t n = 0;
    *head = *tail = 0;
    if (!s) {
        *h = 0;
        return;
    }
    if (hash) {
        for (; s[n]; n++) {
            fnv ^= (unsigned char)s[n];
            fnv *= 1099511628211ULL;
        }
        *h = fnv;
    } else {
        n = strlen(s);
    }
    *head = srr_load8(s);
    *tail = srr_load8_tail(s, n);
}

/* The walk shared by both views. hist NULL: the producer's view. */
static void decide(const srr_ruleset *rs, const srr_signal *sig, const srr_history *hist,
                   srr_decision *out)
{
    size_t i = rs->nrules, j, n = rs->nrules;
    const srr_rule *r = NULL;
    long unknown = -1, unknown_act = -1; /* first rules that need the history */
    uint64_t hc, hs = 0, he = 0, c8, s8, e8, ct, stl, et;
    scan_field(sig->check, 1, &c8, &ct, &hc);
    scan_field(sig->service, rs->bloom_service, &s8, &stl, &hs);
    scan_field(sig->env, rs->bloom_env, &e8, &et, &he);
    const uint64_t bc = srr_bloom_bit(hc), bs = rs->bloom_service ? srr_bloom_bit(hs) : 0,
                   be = rs->bloom_env ? srr_bloom_bit(he) : 0;
    const int src = (int)sig->source, kind = (int)sig->kind, st = (int)sig->status;
    /* Only the rules the index admits for this check, source, kind and
     * status (their masks then hold: not tested again below). */
    const uint32_t *idx = NULL;
    int masks_known = 0;
    long k = -2; /* the configured check, once looked up */
    if (rs->by_group && src >= 0 && src < SRR_SRC__COUNT && kind >= 0 && kind < SRR_KIND__COUNT &&
        st >= 0 && st < 2) {
        k = srr_rules_check_lookup(rs, sig->check, hc);
        size_t g = srr_rule_group(k >= 0 ? (size_t)k : rs->cfg->nchecks, src, kind, st);
        idx = rs->by_group + rs->by_group_off[g];
        n = rs->by_group_off[g + 1] - rs->by_group_off[g];
        masks_known = 1;
    }
    for (j = 0; j < n; j++) {
        size_t ri = idx ? idx[j] : j;
        const srr_rule_hot *h = &rs->hot[ri];
        if ((!masks_known &&
             (!srr_mask_has(h->source_mask, src) || !srr_mask_has(h->kind_mask, kind) ||
              !srr_mask_has(h->status_mask, st))) ||
            (c8 & h->check.mask) != h->check.bytes || (s8 & h->service.mask) != h->service.bytes ||
            (e8 & h->env.mask) != h->env.bytes || (ct & h->check_sfx.mask) != h->check_sfx.bytes ||
            (stl & h->service_sfx.mask) != h->service_sfx.bytes ||
            (et & h->env_sfx.mask) != h->env_sfx.bytes ||
            (h->check_bloom && !(h->check_bloom & bc)) ||
            (h->service_bloom && !(h->service_bloom & bs)) ||
            (h->env_bloom && !(h->env_bloom & be)))
            continue;
        const srr_rule *cand = &rs->rules[ri];
        if (h->needs_full && !static_matches(cand, sig))
            continue;
        if (srr_rule_needs_history(cand)) {
            if (!hist) {
                if (unknown < 0)
                    unknown = (long)ri;
                if (unknown_act < 0 && cand->action != SRR_ACTION_IGNORE)
                    unknown_act = (long)ri;
                continue;
            }
            if (!srr_rule_history_matches(cand, sig, hist))
                continue;
        }
        r = cand;
        i = ri;
        break;
    }
    int is_default = (r == NULL);
    if (is_default)
        r = &rs->def;
    if (r->action == SRR_ACTION_IGNORE && unknown_act >= 0) {
        const srr_rule *u = &rs->rules[unknown_act];
        fill_outcome(rs, u, (size_t)unknown_act, out);
        out->provisional = 1;
        build_reason(u, (size_t)unknown_act, 0, sig, NULL, 1, out);
    } else {
        fill_outcome(rs, r, i, out);
        out->provisional = unknown >= 0;
        build_reason(r, i, is_default, sig, hist, 0, out);
    }
    /* What thing it is comes from its source, whichever rule won. */
    srr_rules_source_group(rs, sig, k, out);
}

void srr_rules_decide(const srr_ruleset *rs, const srr_signal *sig, srr_decision *out)
{
    decide(rs, sig, NULL, out);
}

void srr_rules_decide_history(const srr_ruleset *rs, const srr_signal *sig, const srr_history *hist,
                              srr_decision *out)
{
    static const srr_history none;
    decide(rs, sig, hist ? hist : &none, out);
}
