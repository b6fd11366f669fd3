/* SPDX-License-Identifier: Apache-2.0
 *
 * final.c - the writer's side of the triage, still pure: given a signal,
 * the policy and the fingerprint's history (DESIGN.md section 3, "Writer
 * semantics"), what happens to the records - a sighting only, a new draft,
 * evidence on the open record, a regression of a resolved risk, or the
 * promotion of an open investigation - and one sentence saying why. Also
 * the investigation time-box verdict and the per-sweep draft budget. The
 * store fills an srr_history from SQLite and calls these; the golden tests
 * call them with hand-written history; nothing here reads a clock or a file.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"

static const char *const OUTCOME_NAMES[SRR_INV__COUNT] = {
    "open", "fixed", "backlog", "noise", "stopped firing", "promoted",
};

const char *srr_inv_outcome_name(srr_inv_outcome o)
{
    return (unsigned)o < SRR_INV__COUNT ? OUTCOME_NAMES[o] : "?";
}

srr_rc srr_inv_outcome_parse(const char *s, srr_inv_outcome *out)
{
    if (!s)
        return SRR_EINVAL;
    if (strcmp(s, "fixed") == 0)
        *out = SRR_INV_FIXED;
    else if (strcmp(s, "backlog") == 0)
        *out = SRR_INV_BACKLOG;
    else if (strcmp(s, "noise") == 0)
        *out = SRR_INV_NOISE;
    else
        return SRR_EINVAL;
    return SRR_OK;
}

static const char *const EFFECT_NAMES[] = {"sighting", "create", "evidence", "regression",
                                           "promote"};

const char *srr_effect_name(srr_effect e)
{
    return (unsigned)e <= SRR_EFFECT_PROMOTE ? EFFECT_NAMES[e] : "?";
}

static void record_id(srr_record_kind k, int64_t id, char *out, size_t n)
{
    const char *p = k == SRR_REC_RISK ? "SRR-" : k == SRR_REC_BACKLOG ? "BL-" : "INV-";
    snprintf(out, n, "%s%lld", p, (long long)id);
}

static const char *record_word(srr_action a)
{
    switch (a) {
    case SRR_ACTION_RISK: return "a draft risk";
    case SRR_ACTION_BACKLOG: return "a draft backlog item";
    case SRR_ACTION_INVESTIGATE: return "a time-boxed investigation";
    default: return "nothing";
    }
}

/* "2026-11-28" of an epoch time (UTC). */
static void day_of(int64_t t, char out[16])
{
    char iso[32];
    srr_time_iso(t, iso);
    snprintf(out, 16, "%.10s", iso);
}

void srr_rules_decide_final(const srr_ruleset *rs, const srr_decision *proposed,
                            const srr_signal *sig, const srr_history *hist, srr_final *out)
{
    static const srr_history none;
    const srr_history *h = hist ? hist : &none;
    srr_decision *d = &out->decision;
    char hid[32], day[16];
    int firing = sig->status == SRR_STATUS_FIRING;
    srr_sb sb;

    memset(out, 0, sizeof *out);
    if (rs) {
        srr_rules_decide_history(rs, sig, h, d);
    } else if (proposed) {
        *d = *proposed;
    } else {
        d->action = SRR_ACTION_INVESTIGATE;
        d->rule = "default";
        d->urgency = SRR_URGENCY_MEDIUM;
        d->timebox_s = 7 * 86400;
        snprintf(d->reason, sizeof d->reason, "No policy was given, so it is investigated.");
    }
    srr_sb_init(&sb, out->why, sizeof out->why);

    if (h->open_kind != SRR_REC_NONE) {
        record_id(h->open_kind, h->open_id, hid, sizeof hid);
        if (h->open_kind == SRR_REC_INVESTIGATION && firing && h->inv_deadline > 0 &&
            h->now >= h->inv_deadline) {
            /* Judged at the deadline by this observation: the same words
             * as the deadline check (srr_rules_timebox). */
            srr_sighting o = {sig->observed_at, SRR_STATUS_FIRING, sig->value};
            srr_timebox_facts f = {.opened_at = h->inv_opened,
                                   .deadline = h->inv_deadline,
                                   .now = h->now,
                                   .obs = &o,
                                   .nobs = 1,
                                   .unit = sig->unit,
                                   .summary = sig->summary};
            srr_timebox_result r;
            if (o.at < f.deadline)
                o.at = f.deadline;
            srr_rules_timebox(&f, &r);
            out->effect = SRR_EFFECT_PROMOTE;
            srr_sb_printf(&sb, "%s: %s", hid, r.why);
        } else if (h->open_kind == SRR_REC_INVESTIGATION && d->flapping_rule &&
                   d->action == SRR_ACTION_RISK) {
            out->effect = SRR_EFFECT_PROMOTE;
            srr_sb_printf(&sb,
                          "The signal of %s flaps (rule '%s'): an unstable system is a risk, "
                          "so the investigation becomes a draft risk now.",
                          hid, d->rule);
        } else {
            out->effect = SRR_EFFECT_EVIDENCE;
            srr_sb_printf(&sb,
                          "%s is open for this fingerprint, so the %s signal is attached "
                          "to it as evidence; no new record.",
                          hid, firing ? "firing" : "recovered");
        }
        return;
    }
    if (d->action == SRR_ACTION_IGNORE) {
        out->effect = SRR_EFFECT_SIGHTING;
        srr_sb_printf(&sb, "The policy ignores it (rule '%s'): kept as a sighting only.",
                      d->rule ? d->rule : "?");
        return;
    }
    if (h->last_inv == SRR_INV_NOISE && h->now - h->last_inv_closed_at < SRR_NOISE_QUIET_S) {
        record_id(SRR_REC_INVESTIGATION, h->last_inv_id, hid, sizeof hid);
        day_of(h->last_inv_closed_at + SRR_NOISE_QUIET_S, day);
        out->effect = SRR_EFFECT_SIGHTING;
        srr_sb_printf(&sb,
                      "An engineer judged %s noise, so sightings of this fingerprint stay "
                      "sightings until %s.",
                      hid, day);
        return;
    }
    if (!firing && !d->flapping_rule) {
        out->effect = SRR_EFFECT_SIGHTING;
        srr_sb_put(&sb, "A recovered signal with no open record closes nothing and opens "
                        "nothing: kept as a sighting.");
        return;
    }
    if (firing && h->resolved_risk_id > 0) {
        record_id(SRR_REC_RISK, h->resolved_risk_id, hid, sizeof hid);
        out->effect = SRR_EFFECT_REGRESSION;
        srr_sb_printf(&sb,
                      "%s was resolved and the signal fires again: a regression, so a new "
                      "draft risk linked to it.",
                      hid);
        return;
    }
    out->effect = SRR_EFFECT_CREATE;
    if (d->flapping_rule && d->action == SRR_ACTION_RISK)
        srr_sb_printf(&sb,
                      "The signal flaps (rule '%s'): an unstable system is itself a "
                      "risk, so %s.",
                      d->rule, record_word(d->action));
    else
        srr_sb_printf(&sb, "No open record for this fingerprint, so %s (rule '%s').",
                      record_word(d->action), d->rule ? d->rule : "?");
}

size_t srr_sightings_collapse(srr_sighting *v, size_t n, int worse)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w > 0 && v[w - 1].at == v[i].at) {
            srr_sighting *o = &v[w - 1];
            if (v[i].status == SRR_STATUS_FIRING)
                o->status = SRR_STATUS_FIRING;
            if (isnan(o->value) ||
                (!isnan(v[i].value) && (worse > 0 ? v[i].value > o->value : v[i].value < o->value)))
                o->value = v[i].value;
            continue;
        }
        v[w++] = v[i];
    }
    return w;
}

/* "18.2%/week", "no value" */
static void value_text(double v, const char *unit, char *out, size_t n)
{
    if (isnan(v))
        snprintf(out, n, "no value measured");
    else
        srr_fmt_value(v, unit, out, n);
}

void srr_rules_timebox(const srr_timebox_facts *f, srr_timebox_result *r)
{
    char dl[16], op[16], at[16], since[16], val[48], box[64];
    const srr_sighting *d = NULL;
    long first_after = -1, last_before = -1;
    int waited = 0;
    srr_sb sb;

    memset(r, 0, sizeof *r);
    r->value = NAN;
    srr_sb_init(&sb, r->why, sizeof r->why);
    day_of(f->deadline, dl);
    day_of(f->opened_at, op);
    if (f->now < f->deadline) {
        srr_sb_printf(&sb, "The time-box runs until %s.", dl);
        return;
    }
    for (size_t i = 0; i < f->nobs; i++) {
        if (f->obs[i].at >= f->deadline && f->obs[i].at <= f->now && first_after < 0)
            first_after = (long)i;
        if (f->obs[i].at <= f->deadline)
            last_before = (long)i;
    }
    if (first_after >= 0 && !f->persistent) {
        d = &f->obs[first_after];
    } else if (f->persistent && last_before >= 0) {
        d = &f->obs[last_before];
    } else if (f->now >= f->deadline + SRR_TIMEBOX_GRACE_S && f->nobs) {
        for (size_t i = 0; i < f->nobs; i++)
            if (f->obs[i].at <= f->now)
                d = &f->obs[i];
        waited = 1;
    }
    if (!d) {
        srr_sb_printf(&sb,
                      "The time-box ended on %s; it is decided by the first observation of "
                      "the thing judged after it.",
                      dl);
        return;
    }
    r->at = d->at;
    r->value = d->value;
    day_of(d->at, at);
    value_text(d->value, f->unit, val, sizeof val);
    if (f->opened_at > 0) { /* "The 7-day time-box (opened 2026-11-16)" */
        int64_t days = (f->deadline - f->opened_at + 43200) / 86400;
        snprintf(box, sizeof box, "%lld-day time-box (opened %s)", (long long)(days > 0 ? days : 1),
                 op);
    } else {
        snprintf(box, sizeof box, "time-box");
    }
    if (d->status == SRR_STATUS_FIRING) {
        r->verdict = SRR_TIMEBOX_PROMOTE;
        srr_sb_printf(&sb,
                      "The %s ended on %s and nobody explained the thing: it was still "
                      "firing %s %s",
                      box, dl,
                      waited          ? "at its last observation,"
                      : f->persistent ? "at its last alert before the deadline,"
                                      : "in the window judged at the deadline,",
                      at);
        if (!isnan(d->value))
            srr_sb_printf(&sb, ", at %s", val);
        if (f->summary && *f->summary)
            srr_sb_printf(&sb, " (%s)", f->summary);
        srr_sb_put(&sb, waited ? "; it has not been observed since. So it becomes a draft risk."
                               : ". So it becomes a draft risk.");
        return;
    }
    r->verdict = SRR_TIMEBOX_CLOSE;
    /* clear since: the first of the clear observations that end at d */
    r->clear_since = d->at;
    for (const srr_sighting *p = d; p >= f->obs && p->status != SRR_STATUS_FIRING; p--)
        r->clear_since = p->at;
    day_of(r->clear_since, since);
    srr_sb_printf(&sb, "The %s ended on %s with the thing clear since %s ", box, dl, since);
    if (isnan(d->value))
        srr_sb_printf(&sb, "(last observed %s)", at);
    else
        srr_sb_printf(&sb, "(last value %s on %s)", val, at);
    if (f->summary && *f->summary)
        srr_sb_printf(&sb, ": %s", f->summary);
    srr_sb_put(&sb, waited ? "; not observed since. Closed without a risk."
                           : ". Closed without a risk.");
}

/* ---- the draft budget ---------------------------------------------------- */

typedef struct budget_key {
    int urgency, rank;
    const char *id;
    size_t idx;
} budget_key;

static int action_rank(srr_action a)
{
    switch (a) {
    case SRR_ACTION_RISK: return 3;
    case SRR_ACTION_INVESTIGATE: return 2;
    case SRR_ACTION_BACKLOG: return 1;
    default: return 0;
    }
}

static int by_priority(const void *a, const void *b)
{
    const budget_key *x = a, *y = b;
    if (x->urgency != y->urgency)
        return y->urgency - x->urgency;
    if (x->rank != y->rank)
        return y->rank - x->rank;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

size_t srr_rules_budget(const srr_candidate *c, size_t n, size_t max, size_t *order,
                        size_t *admitted)
{
    budget_key *k = srr_calloc(n ? n : 1, sizeof *k);
    for (size_t i = 0; i < n; i++) {
        k[i].urgency = (int)c[i].urgency;
        k[i].rank = action_rank(c[i].action);
        k[i].id = c[i].id;
        k[i].idx = i;
    }
    if (n)
        qsort(k, n, sizeof *k, by_priority);
    for (size_t i = 0; i < n; i++)
        order[i] = k[i].idx;
    free(k);
    *admitted = (max == 0 || n < max) ? n : max;
    return *admitted;
}
