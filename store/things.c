/* SPDX-License-Identifier: Apache-2.0
 *
 * things.c - what an observation does to the thing it belongs to (DESIGN.md
 * section 3, "Things and observations", "Writer semantics"): where a
 * candidate's fingerprint has an open record, what the store knows of its
 * history, the final decision by the same pure rules code the producer ran
 * (rules/final.c), and its effect (a sighting, evidence, a new record
 * through records.c, a promotion); and the investigation deadlines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "store_priv.h"
#include "wf_sql.h"

/* Reads what the final decision needs to know about fingerprint fp into
 * *h; the sightings go to *sv (caller frees), read only when
 * `with_sightings` (a policy with recurrence or flapping rules).
 * `kind`/`id`/`resolved` come from find_target. */
static srr_rc load_history(srr_store *st, const char *fp, int kind, int64_t id, int64_t resolved,
                           int64_t now, int with_sightings, srr_history *h, srr_sighting **sv,
                           srr_error *err)
{
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    size_t n = 0, cap = 0;
    int r;
    memset(h, 0, sizeof(*h));
    *sv = NULL;
    h->now = now;
    h->open_kind = kind == REC_RISK      ? SRR_REC_RISK
                   : kind == REC_BACKLOG ? SRR_REC_BACKLOG
                   : kind == REC_INV     ? SRR_REC_INVESTIGATION
                                         : SRR_REC_NONE;
    h->open_id = id;
    h->resolved_risk_id = resolved;
    if (kind == REC_INV) {
        s = srr_st_prep(st, Q_INV_DEADLINE, err, "i", id);
        if ((r = srr_st_first(st, s, &rc, err)) < 0)
            return rc;
        if (r == 1) {
            h->inv_deadline = sqlite3_column_int64(s, 0);
            h->inv_opened = sqlite3_column_int64(s, 1);
            srr_st_done(s);
        }
    } else if (kind < 0) {
        s = srr_st_prep(st, Q_INV_LAST_CLOSED, err, "t", fp);
        if ((r = srr_st_first(st, s, &rc, err)) < 0)
            return rc;
        if (r == 1) {
            const char *o = srr_st_text(s, 1);
            srr_inv_outcome oc = SRR_INV_STOPPED;
            if (o && srr_inv_outcome_parse(o, &oc) != SRR_OK)
                oc = strncmp(o, "promoted", 8) == 0 ? SRR_INV_PROMOTED : SRR_INV_STOPPED;
            h->last_inv = oc;
            h->last_inv_id = sqlite3_column_int64(s, 0);
            h->last_inv_closed_at = sqlite3_column_int64(s, 2);
            srr_st_done(s);
        }
    }
    if (!with_sightings)
        return SRR_OK;
    s = srr_st_prep(st, Q_SIGHTINGS_RECENT, err, "ti", fp, (int64_t)SRR_HISTORY_SIGHTINGS);
    while (s && (r = srr_st_next(st, s, &rc, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            *sv = srr_realloc(*sv, cap * sizeof(**sv));
        }
        (*sv)[n].at = sqlite3_column_int64(s, 0);
        (*sv)[n].status =
            strcmp(srr_st_text(s, 1), "recovered") == 0 ? SRR_STATUS_RECOVERED : SRR_STATUS_FIRING;
        (*sv)[n].value = srr_wf_real(s, 2);
        n++;
    }
    if (!s)
        rc = err ? err->code : SRR_ERR;
    /* Newest first from SQL; the rules want oldest first. */
    for (size_t i = 0; i < n / 2; i++) {
        srr_sighting t = (*sv)[i];
        (*sv)[i] = (*sv)[n - 1 - i];
        (*sv)[n - 1 - i] = t;
    }
    /* One observation per time: the members of a thing observed at one
     * time are one observation of the thing (firing when any fired). */
    h->sightings = *sv;
    h->nsightings = srr_sightings_collapse(*sv, n, 1);
    return rc;
}

srr_rc srr_store_history(srr_store *st, const char *fingerprint, int64_t now, srr_history *h,
                         srr_sighting **sightings, srr_error *err)
{
    int kind;
    int64_t id, resolved;
    srr_rc rc;
    memset(h, 0, sizeof(*h));
    *sightings = NULL;
    rc = srr_rec_find_target(st, fingerprint, &kind, &id, &resolved, NULL, err);
    if (rc != SRR_OK)
        return rc;
    rc = load_history(st, fingerprint, kind, id, resolved, now, 1, h, sightings, err);
    if (rc != SRR_OK) {
        free(*sightings);
        *sightings = NULL;
        memset(h, 0, sizeof(*h));
    }
    return rc;
}

/* The decision as JSON for the sightings table and the audit of a record
 * created: rule, action, reason, effect, why, and (full = 1) every rule
 * tried with why it did not match. New reference. decision_text() writes
 * the same members when not full: keep the two alike. */
static json_t *decision_json(srr_store *st, const srr_candidate *c, const srr_final *f,
                             const srr_history *h, int full)
{
    const srr_decision *d = &f->decision;
    json_t *o = json_pack("{s:s?, s:i, s:s, s:s, s:s, s:s}", "rule", d->rule, "rule_index",
                          d->rule_index, "action", srr_action_name(d->action), "reason", d->reason,
                          "effect", srr_effect_name(f->effect), "why", f->why);
    if (c->action != d->action)
        json_object_set_new(o, "proposed", json_string(srr_action_name(c->action)));
    if (full && st->rules) {
        srr_explanation e;
        json_t *tried = json_array();
        srr_rules_explain(st->rules, &c->signal, h, &e);
        for (size_t i = 0; i < e.n; i++)
            json_array_append_new(tried,
                                  json_pack("{s:s, s:s}", "rule", e.v[i].rule, "why", e.v[i].why));
        srr_explanation_clear(&e);
        json_object_set_new(o, "tried", tried);
    }
    return o;
}

/* The text of decision_json(..., full = 0), as json_dumps(JSON_COMPACT)
 * writes it (members in the same order), built without a json_t: this
 * runs for every candidate that only adds evidence or a sighting. Written
 * into the store's scratch buffer: valid until the next srr_st_scratch(). */
static const char *decision_text(srr_store *st, const srr_candidate *c, const srr_final *f)
{
    const srr_decision *d = &f->decision;
    srr_buf *b = srr_st_scratch(st);
    SRR_JSONW_LIT(b, "{\"rule\":");
    srr_jsonw_str(b, d->rule);
    SRR_JSONW_LIT(b, ",\"rule_index\":");
    srr_jsonw_int(b, d->rule_index);
    SRR_JSONW_LIT(b, ",\"action\":");
    srr_jsonw_str(b, srr_action_name(d->action));
    SRR_JSONW_LIT(b, ",\"reason\":");
    srr_jsonw_str(b, d->reason);
    SRR_JSONW_LIT(b, ",\"effect\":");
    srr_jsonw_str(b, srr_effect_name(f->effect));
    SRR_JSONW_LIT(b, ",\"why\":");
    srr_jsonw_str(b, f->why);
    if (c->action != d->action) {
        SRR_JSONW_LIT(b, ",\"proposed\":");
        srr_jsonw_str(b, srr_action_name(c->action));
    }
    SRR_JSONW_LIT(b, "}");
    return b->data;
}

/* The labels of a decision as a JSON array text (caller frees), or NULL. */
static char *labels_text(const srr_decision *d)
{
    json_t *a;
    char *s;
    if (!d->nlabels)
        return NULL;
    a = json_array();
    for (size_t i = 0; i < d->nlabels; i++)
        json_array_append_new(a, json_string(d->labels[i]));
    s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

/* Applies one candidate inside the caller's transaction: the history of
 * its fingerprint, the final decision (rules/final.c), then the effect. */
/* ---- the thing registry ----------------------------------------------------- */

static const char *source_word(srr_source s)
{
    return s == SRR_SRC_METRICS ? "metrics" : s == SRR_SRC_LOGS ? "logs" : "webhook";
}

/* Carries what was stored under the fingerprints sig had before identity
 * came from its source (every group tag, or a rule-level group_by's
 * narrowing) to the thing `fp`: its records, sightings and waiting drafts,
 * once per old fingerprint (thing_aliases remembers), audited. Adds the
 * number of rows moved to *moved. */
static srr_rc carry_legacy(srr_store *st, const srr_signal *sig, const srr_identity *id,
                           int64_t now, int *moved, srr_error *err)
{
    static const enum srr_stmt_id carry[] = {Q_CARRY_RISKS, Q_CARRY_BACKLOG, Q_CARRY_INV,
                                             Q_CARRY_PENDING};
    char old[8][33], every[33];
    size_t n = srr_rules_legacy_fingerprints(st->rules, sig, old, 8);
    srr_rc rc = SRR_OK;
    srr_rules_fingerprint(sig, NULL, every);
    for (size_t i = 0; i < n && rc == SRR_OK; i++) {
        sqlite3_stmt *s = srr_st_prep(st, Q_ALIAS_HAS, err, "t", old[i]);
        int r, changes = 0;
        if ((r = srr_st_first(st, s, &rc, err)) < 0)
            return rc;
        if (r == 1) {
            srr_st_done(s);
            continue;
        }
        for (size_t k = 0; k < sizeof carry / sizeof carry[0] && rc == SRR_OK; k++) {
            rc = ST_EXEC(st, carry[k], err, "tt", old[i], id->fingerprint);
            changes += sqlite3_changes(st->db);
        }
        if (rc == SRR_OK) {
            /* Sightings under every tag were one member's. */
            rc = ST_EXEC(st, Q_CARRY_SIGHTINGS, err, "ttt", old[i], id->fingerprint,
                         strcmp(old[i], every) == 0 && id->member[0] ? id->member : NULL);
            changes += sqlite3_changes(st->db);
        }
        if (rc == SRR_OK)
            rc = ST_EXEC(st, Q_ALIAS_INSERT, err, "tti", old[i], id->fingerprint, now);
        if (rc == SRR_OK && changes) {
            json_t *before = json_pack("{s:s}", "fingerprint", old[i]);
            json_t *after =
                json_pack("{s:s, s:s, s:s, s:i}", "fingerprint", id->fingerprint, "check",
                          sig->check ? sig->check : "", "group", id->group, "rows", changes);
            rc = srr_st_audit(st, now, "thing", 0, "carry", before, after,
                              "a thing is its source + the group declared there now (store "
                              "migration 5): what was stored under its old fingerprint moves "
                              "to it",
                              err);
            json_decref(before);
            json_decref(after);
            *moved += changes;
        }
    }
    return rc;
}

/* Registers the thing of an observation, and its member when it fires;
 * the first time either is seen, what was stored under its old
 * fingerprints is carried to it (*moved counts the rows). */
static srr_rc register_thing(srr_store *st, const srr_candidate *c, const srr_identity *id,
                             int64_t now, int *moved, srr_error *err)
{
    const srr_signal *sig = &c->signal;
    srr_rc rc = SRR_OK;
    if (srr_strset_has(&st->things, c->fingerprint) ||
        srr_strset_has(&st->things_pending, c->fingerprint))
        goto member; /* registered already: no probe */
    rc = ST_EXEC(st, Q_THING_INSERT, err, "ttttttttiiit", c->fingerprint, source_word(sig->source),
                 sig->check ? sig->check : "", sig->service, sig->env, id->group,
                 c->title ? c->title : "", sig->unit, (int64_t)srr_rules_worse_dir(sig),
                 sig->observed_at, now, id->tags);
    if (rc == SRR_OK && sqlite3_changes(st->db) > 0)
        rc = carry_legacy(st, sig, id, now, moved, err);
    if (rc == SRR_OK)
        srr_strset_add(&st->things_pending, c->fingerprint);
member:
    if (rc != SRR_OK || sig->status != SRR_STATUS_FIRING || !id->member[0])
        return rc;
    rc = ST_EXEC(st, Q_MEMBER_INSERT, err, "tti", c->fingerprint, id->member, sig->observed_at);
    if (rc != SRR_OK || sqlite3_changes(st->db) == 0)
        return rc;
    rc = carry_legacy(st, sig, id, now, moved, err);
    if (rc == SRR_OK)
        rc = srr_rec_refresh_members(st, c->fingerprint, err);
    if (rc == SRR_OK) { /* "..., 2 pods" -> "..., 3 pods" */
        sqlite3_stmt *s = srr_st_prep(st, Q_THING_GET, err, "t", c->fingerprint);
        char *base = NULL;
        if (s && srr_st_next(st, s, &rc, err) == 1) {
            base = srr_strdup(srr_st_text(s, 5));
            srr_st_done(s);
        }
        if (rc == SRR_OK && base && *base)
            rc = srr_rec_retitle(st, c->fingerprint, base, err);
        free(base);
    }
    return rc;
}

/* 1 when the store keeps no thing of fingerprint fp (and no record:
 * a record from before things existed makes it kept). */
static srr_rc thing_untracked(srr_store *st, const char *fp, int *untracked, srr_error *err)
{
    srr_rc rc = SRR_OK;
    int kind, r;
    int64_t id, resolved;
    sqlite3_stmt *s;
    *untracked = 0;
    if (srr_strset_has(&st->things, fp) || srr_strset_has(&st->things_pending, fp))
        return SRR_OK;
    s = srr_st_prep(st, Q_THING_HAS, err, "t", fp);
    if ((r = srr_st_first(st, s, &rc, err)) < 0)
        return rc;
    if (r == 1) {
        srr_st_done(s);
        return SRR_OK;
    }
    rc = srr_rec_find_target(st, fp, &kind, &id, &resolved, NULL, err);
    *untracked = rc == SRR_OK && kind < 0 && resolved == 0;
    return rc;
}

/* A record is alive: a later observation matching a more urgent rule
 * raises its urgency (audited); nothing lowers it automatically. Only a
 * firing observation (or a flapping rule) and not an ignore rule may. */
static srr_rc raise_urgency(srr_store *st, const srr_signal *sig, const srr_decision *d,
                            rec_kind kind, int64_t id, int cur, int64_t now, srr_error *err)
{
    static const enum srr_stmt_id raise[] = {Q_RISK_RAISE, Q_BL_RAISE, Q_INV_RAISE};
    json_t *before, *after;
    char why[640];
    srr_rc rc;
    if (d->action == SRR_ACTION_IGNORE || (sig->status != SRR_STATUS_FIRING && !d->flapping_rule))
        return SRR_OK;
    if (cur < 0 && kind == REC_RISK) { /* reached through a merge */
        sqlite3_stmt *s = srr_st_prep(st, Q_RISK_URGENCY, err, "i", id);
        if (s && srr_st_next(st, s, &rc, err) == 1) {
            cur = sqlite3_column_int(s, 0);
            srr_st_done(s);
        }
    }
    if (cur < 0 || (int)d->urgency <= cur)
        return SRR_OK;
    rc = ST_EXEC(st, raise[kind], err, "iii", id, (int64_t)d->urgency, now);
    if (rc != SRR_OK || sqlite3_changes(st->db) == 0)
        return rc;
    before = json_pack("{s:s}", "urgency", srr_urgency_name((srr_urgency)cur));
    after = json_pack("{s:s, s:s?}", "urgency", srr_urgency_name(d->urgency), "rule", d->rule);
    snprintf(why, sizeof why,
             "A later observation matched rule '%s' (urgency %s): raised from %s, never "
             "lowered automatically. %s",
             d->rule ? d->rule : "?", srr_urgency_name(d->urgency),
             srr_urgency_name((srr_urgency)cur), sig->summary ? sig->summary : "");
    rc = srr_st_audit(st, now, SRR_ST_REC_NAME[kind], id, "urgency", before, after, why, err);
    json_decref(before);
    json_decref(after);
    return rc;
}

/* A sweep's clear observation of a thing never seen firing says nothing
 * worth keeping (the sweep sends those only for things it follows): only
 * its id is claimed (*skipped = 1). */
static srr_rc skip_untracked(srr_store *st, const srr_candidate *c, int64_t now,
                             srr_apply_stats *stats, int *skipped, srr_error *err)
{
    int untracked = 0;
    srr_rc rc;
    *skipped = 0;
    if (c->signal.status == SRR_STATUS_FIRING || c->signal.source == SRR_SRC_WEBHOOK)
        return SRR_OK;
    if ((rc = thing_untracked(st, c->fingerprint, &untracked, err)) != SRR_OK || !untracked)
        return rc;
    *skipped = 1;
    rc = ST_EXEC(st, Q_CAND_INSERT, err, "tttit", c->id, c->fingerprint, srr_action_name(c->action),
                 now, "clear, thing never seen firing: not kept");
    if (rc == SRR_OK && sqlite3_changes(st->db) == 0)
        stats->duplicates++;
    else if (rc == SRR_OK)
        stats->untracked++;
    return rc;
}

/* A new record (CREATE or REGRESSION effect): a sweep window's waits for
 * the window's budget (budget.c), an alert's is created at once; writes
 * what happened to outcome. */
static srr_rc new_record(srr_store *st, const srr_candidate *c, const srr_candidate *eff,
                         const rec_extra *x, srr_effect effect, int64_t resolved, int64_t now,
                         srr_apply_stats *stats, char *outcome, size_t n, srr_error *err)
{
    char hid[32] = "";
    int admit = 1;
    srr_rc rc = SRR_OK;
    if (srr_budget_of(st, c) > 0)
        rc = srr_budget_take(st, eff, x, effect, resolved, now, &admit, stats, err);
    if (rc == SRR_OK && admit)
        rc = srr_rec_create(st, eff, x, effect == SRR_EFFECT_REGRESSION ? resolved : 0, now, stats,
                            hid, err);
    if (rc == SRR_OK && admit && srr_budget_of(st, c) > 0 && hid[0])
        rc = srr_budget_count(st, srr_st_judged_at(&c->signal), err);
    if (!admit)
        snprintf(outcome, n, "waiting for the window's draft budget");
    else if (!hid[0])
        snprintf(outcome, n, "ignored: sighting only");
    else if (effect == SRR_EFFECT_REGRESSION)
        snprintf(outcome, n, "regression: draft %s reopens SRR-%lld", hid, (long long)resolved);
    else
        snprintf(outcome, n, "%s %s",
                 eff->action == SRR_ACTION_INVESTIGATE ? "opened" : "created draft", hid);
    return rc;
}

/* The record an observation's thing has open (srr_rec_find_target): its
 * kind and id (0: none), when a resolved risk it regresses was resolved,
 * and its urgency. */
typedef struct rec_target {
    int kind;
    int64_t id, resolved;
    int urgency;
} rec_target;

/* The final decision on c with its thing's history (the producer's
 * proposal, used when the store has no policy of its own, decided again)
 * and *eff, c as that decision has it: a shallow view sharing c's and
 * fin's strings. */
static void final_decision(srr_store *st, const srr_candidate *c, const srr_history *hist,
                           srr_final *fin, srr_candidate *eff)
{
    srr_decision proposed;
    memset(&proposed, 0, sizeof(proposed));
    proposed.action = c->action;
    proposed.rule_index = c->rule_index;
    proposed.rule = c->rule;
    proposed.urgency = c->urgency;
    proposed.timebox_s = c->timebox_s;
    proposed.owner = c->owner;
    snprintf(proposed.reason, sizeof(proposed.reason), "%s", c->reason ? c->reason : "");
    srr_rules_decide_final(st->rules, &proposed, &c->signal, hist, fin);

    *eff = *c;
    eff->action = fin->decision.action;
    eff->rule = (char *)fin->decision.rule;
    eff->reason = fin->decision.reason;
    eff->urgency = fin->decision.urgency;
    eff->owner = (char *)fin->decision.owner;
    eff->timebox_s = fin->decision.timebox_s;
}

/* The outcome the candidate id is claimed with: final for evidence and a
 * sighting, "pending" for an effect that creates a record (filled in once
 * it is known). */
static void claim_outcome(const srr_final *fin, const srr_signal *sig, const rec_target *t,
                          char *outcome, size_t n)
{
    char hid[32] = "";
    if (fin->effect == SRR_EFFECT_EVIDENCE || fin->effect == SRR_EFFECT_PROMOTE) {
        srr_st_hid(fin->effect == SRR_EFFECT_PROMOTE ? REC_INV : (rec_kind)t->kind, t->id, hid);
        snprintf(outcome, n,
                 fin->effect == SRR_EFFECT_PROMOTE ? "evidence %s, promoted to a draft risk"
                                                   : "evidence %s",
                 hid);
    } else if (fin->effect == SRR_EFFECT_REGRESSION || fin->effect == SRR_EFFECT_CREATE) {
        snprintf(outcome, n, "pending");
    } else if (fin->decision.action == SRR_ACTION_IGNORE || sig->status == SRR_STATUS_FIRING) {
        snprintf(outcome, n, "ignored: sighting only");
    } else {
        snprintf(outcome, n, "recovered, no open record: sighting only");
    }
}

/* What the final decision does to the records: evidence on the open one
 * (its urgency maybe raised), an investigation promoted to a draft risk, a
 * new record (the outcome then says which), or nothing but the sighting. */
static srr_rc apply_effect(srr_store *st, const srr_candidate *c, const srr_final *fin,
                           const srr_candidate *eff, const rec_extra *x, const rec_target *t,
                           int64_t now, srr_apply_stats *stats, char *outcome, size_t n,
                           srr_error *err)
{
    const srr_signal *sig = &c->signal;
    srr_rc rc = SRR_OK;
    switch (fin->effect) {
    case SRR_EFFECT_EVIDENCE:
        rc = srr_rec_attach(st, c, (rec_kind)t->kind, t->id, now, err);
        if (rc == SRR_OK)
            rc = raise_urgency(st, sig, &fin->decision, (rec_kind)t->kind, t->id, t->urgency, now,
                               err);
        stats->evidence++;
        break;
    case SRR_EFFECT_PROMOTE: {
        srr_inv_row inv = {0};
        rc = srr_rec_attach(st, c, REC_INV, t->id, now, err);
        if (rc == SRR_OK)
            rc = srr_rec_inv_load(st, t->id, &inv, err);
        if (rc == SRR_OK)
            rc = srr_rec_promote(st, &inv, now, fin->why,
                                 fin->decision.flapping_rule ? &fin->decision : NULL, err);
        srr_rec_inv_clear(&inv);
        stats->evidence++;
        stats->promoted++;
        break;
    }
    case SRR_EFFECT_REGRESSION:
    case SRR_EFFECT_CREATE:
        rc = new_record(st, c, eff, x, fin->effect, t->resolved, now, stats, outcome, n, err);
        break;
    default:
        if (fin->decision.action == SRR_ACTION_IGNORE || sig->status == SRR_STATUS_FIRING)
            stats->ignored++;
        break;
    }
    return rc;
}

srr_rc srr_things_apply(srr_store *st, const srr_candidate *c, int64_t now, srr_apply_stats *stats,
                        srr_error *err)
{
    const srr_signal *sig = &c->signal;
    char outcome[96];
    srr_rc rc = SRR_OK;
    rec_target t = {0, 0, 0, -1};
    srr_history hist;
    srr_sighting *sv = NULL;
    srr_final fin;
    srr_candidate eff;
    rec_extra x = {0};
    char *labels = NULL;
    const char *dtext;
    json_t *dj = NULL;
    srr_identity ident;
    int moved = 0, skipped = 0;

    if (!c->id[0] || !c->fingerprint || !*c->fingerprint)
        return srr_error_set(err, SRR_EINVAL, "store: candidate '%s' has no %s", c->id,
                             c->id[0] ? "fingerprint" : "id");
    stats->received++;
    if ((rc = skip_untracked(st, c, now, stats, &skipped, err)) != SRR_OK || skipped)
        return rc;
    srr_rules_identity_parts(st->rules, sig, &ident);
    memcpy(ident.fingerprint, c->fingerprint, strnlen(c->fingerprint, 32));
    if ((rc = register_thing(st, c, &ident, now, &moved, err)) != SRR_OK)
        return rc;
    rc = srr_rec_find_target(st, c->fingerprint, &t.kind, &t.id, &t.resolved, &t.urgency, err);
    /* Judged in the observation's own time: a sweep window's end, an
     * alert's date; not when the writer happens to run. */
    if (rc == SRR_OK)
        rc = load_history(st, c->fingerprint, t.kind, t.id, t.resolved, srr_st_judged_at(sig),
                          st->rules && srr_rules_uses_history(st->rules), &hist, &sv, err);
    if (rc != SRR_OK)
        goto out;
    final_decision(st, c, &hist, &fin, &eff);
    labels = labels_text(&fin.decision);
    x.labels = labels;
    x.impact = fin.decision.impact;
    x.likelihood = fin.decision.likelihood;
    /* A record created (or promoted) keeps the full decision, every rule
     * tried, in its audit entry: a json_t. Evidence and sightings, the
     * bulk, only need the decision's text. */
    if (fin.effect == SRR_EFFECT_CREATE || fin.effect == SRR_EFFECT_REGRESSION ||
        fin.effect == SRR_EFFECT_PROMOTE)
        dj = decision_json(st, c, &fin, &hist, 1);
    x.decision = dj;

    /* Claim the candidate id first: one index probe tells a redelivery
     * (nothing changed, nothing more to do) from a new candidate. */
    claim_outcome(&fin, sig, &t, outcome, sizeof outcome);
    rc = ST_EXEC(st, Q_CAND_INSERT, err, "tttit", c->id, c->fingerprint,
                 srr_action_name(fin.decision.action), now, outcome);
    if (rc != SRR_OK)
        goto out;
    if (sqlite3_changes(st->db) == 0) {
        stats->duplicates++;
        goto out;
    }

    /* The decision is kept with the sighting, not the candidate id
     * (schema.h, migration 3). */
    if (dj) {
        srr_buf *b = srr_st_scratch(st);
        srr_jsonw_value(b, dj);
        dtext = b->data;
    } else {
        dtext = decision_text(st, c, &fin);
    }
    rc = ST_EXEC(st, Q_SIGHTING_INSERT, err, "ttitDtt", c->fingerprint, c->id, sig->observed_at,
                 srr_status_name(sig->status), srr_st_obs_value(sig), dtext,
                 ident.member[0] ? ident.member : NULL);
    if (rc != SRR_OK)
        goto out;
    rc = apply_effect(st, c, &fin, &eff, &x, &t, now, stats, outcome, sizeof outcome, err);
    if (rc == SRR_OK && (fin.effect == SRR_EFFECT_REGRESSION || fin.effect == SRR_EFFECT_CREATE))
        rc = ST_EXEC(st, Q_CAND_OUTCOME, err, "tt", c->id, outcome);
out:
    free(sv);
    free(labels);
    json_decref(dj);
    return rc;
}

/* ---- investigation deadlines ------------------------------------------ */

/* Decides one open investigation at `now` from its thing's observations
 * (srr_rules_timebox): promoted, closed, or kept. */
static srr_rc judge_investigation(srr_store *st, int64_t id, int64_t now, srr_apply_stats *stats,
                                  srr_error *err)
{
    srr_inv_row inv = {0};
    srr_timebox_facts f;
    srr_timebox_result r;
    srr_sighting *obs = NULL;
    size_t n = 0, cap = 0;
    char *unit = NULL, *summary = NULL;
    int worse = 1, r2;
    int64_t wall = srr_now();
    sqlite3_stmt *s;
    srr_rc rc = srr_rec_inv_load(st, id, &inv, err);
    memset(&f, 0, sizeof f);
    if (rc != SRR_OK)
        goto out;
    s = srr_st_prep(st, Q_THING_GET, err, "t", inv.fingerprint);
    if (!s || (r2 = srr_st_next(st, s, &rc, err)) < 0) {
        rc = s ? rc : err ? err->code : SRR_ERR;
        goto out;
    }
    if (r2 == 1) {
        const char *src = srr_st_text(s, 0);
        f.persistent = src && strcmp(src, "webhook") == 0;
        unit = srr_strdup(srr_st_text(s, 1));
        worse = sqlite3_column_int(s, 2) < 0 ? -1 : 1;
        srr_st_done(s);
    }
    s = srr_st_prep(st, Q_SIGHTINGS_ASC, err, "ti", inv.fingerprint,
                    (int64_t)SRR_HISTORY_SIGHTINGS);
    while (s && (r2 = srr_st_next(st, s, &rc, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            obs = srr_realloc(obs, cap * sizeof *obs);
        }
        obs[n].at = sqlite3_column_int64(s, 0);
        obs[n].status =
            strcmp(srr_st_text(s, 1), "firing") == 0 ? SRR_STATUS_FIRING : SRR_STATUS_RECOVERED;
        obs[n].value = srr_wf_real(s, 2);
        n++;
    }
    if (!s)
        rc = err ? err->code : SRR_ERR;
    if (rc != SRR_OK)
        goto out;
    f.opened_at = inv.opened_at;
    f.deadline = inv.deadline;
    f.now = now;
    f.obs = obs;
    f.nobs = srr_sightings_collapse(obs, n, worse);
    f.unit = unit;
    srr_rules_timebox(&f, &r);
    if (r.verdict == SRR_TIMEBOX_KEEP)
        goto out;
    /* What the deciding observation said (its projection, its count). */
    s = srr_st_prep(st, Q_EVIDENCE_AT, err, "tiii", SRR_ST_REC_NAME[REC_INV], id, r.at,
                    (int64_t)worse);
    if (s && (r2 = srr_st_next(st, s, &rc, err)) == 1) {
        summary = srr_strdup(srr_st_text(s, 0));
        srr_st_done(s);
    }
    if (rc != SRR_OK)
        goto out;
    f.summary = summary;
    srr_rules_timebox(&f, &r);
    if (r.verdict == SRR_TIMEBOX_PROMOTE) {
        rc = srr_rec_promote(st, &inv, wall, r.why, NULL, err);
        stats->promoted++;
    } else {
        rc = srr_rec_close_inv(st, &inv, wall, r.why, &r, err);
        stats->closed++;
    }
out:
    srr_rec_inv_clear(&inv);
    free(obs);
    free(unit);
    free(summary);
    return rc;
}

srr_rc srr_store_check_deadlines(srr_store *st, int64_t now, srr_apply_stats *stats, srr_error *err)
{
    srr_apply_stats local = {0};
    int64_t *ids = NULL;
    size_t n = 0, cap = 0, i;
    sqlite3_stmt *s;
    srr_rc rc;
    int r;

    rc = srr_st_begin(st, err);
    if (rc != SRR_OK)
        return rc;
    s = srr_st_prep(st, Q_INV_DUE, err, "i", now);
    while (s && (r = srr_st_next(st, s, &rc, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            ids = srr_realloc(ids, cap * sizeof(*ids));
        }
        ids[n++] = sqlite3_column_int64(s, 0);
    }
    if (!s)
        rc = err ? err->code : SRR_ERR;
    for (i = 0; i < n && rc == SRR_OK; i++)
        rc = judge_investigation(st, ids[i], now, &local, err);
    if (rc == SRR_OK)
        rc = srr_st_commit(st, err);
    free(ids);
    if (rc != SRR_OK) {
        srr_st_rollback(st);
        return rc;
    }
    srr_st_stats_add(stats, &local);
    return SRR_OK;
}
