/* SPDX-License-Identifier: Apache-2.0
 *
 * budget.c - the draft budget of each sweep window (DESIGN.md section 4,
 * "A draft budget per window"). It limits new records only: repeats,
 * evidence, promotions and updates never touch it. A new record a sweep
 * window's observation would make waits in `pending` (one per thing: a
 * later observation keeps the more urgent decision) until its window is
 * closed - after all of the window's candidates were applied, so its
 * observations were grouped into things first - and then the most urgent
 * of the waiting drafts (then risk > investigate > backlog, then the
 * longest waiting) are drafted within max_new_drafts; the rest keep
 * waiting, listed, for the budget of a later window. A candidate of a
 * window already closed is drafted at once when the window has room left.
 * Alerts (webhooks) are not budgeted.
 *
 * Windows are keyed by their end; `windows` counts what each drafted and
 * when it was closed. Runs inside the caller's transaction.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_priv.h"

size_t srr_budget_of(const srr_store *st, const srr_candidate *c)
{
    if (!st->rules || c->signal.source == SRR_SRC_WEBHOOK)
        return 0;
    return srr_rules_max_new_drafts(st->rules);
}

/* What a record's creation needs beyond the candidate, as JSON text
 * (caller frees). */
static char *extra_text(const rec_extra *x)
{
    json_t *o = json_object();
    json_t *labels = x->labels ? json_loads(x->labels, 0, NULL) : NULL;
    char *s;
    if (labels)
        json_object_set_new(o, "labels", labels);
    if (x->impact)
        json_object_set_new(o, "impact", json_string(x->impact));
    if (x->likelihood)
        json_object_set_new(o, "likelihood", json_string(x->likelihood));
    if (x->decision)
        json_object_set(o, "decision", x->decision);
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* The rec_extra of extra_text's text; *keep holds what it borrows from
 * (json_decref it) and *labels the labels text (free it). */
static void extra_read(const char *text, rec_extra *x, json_t **keep, char **labels)
{
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    memset(x, 0, sizeof *x);
    *labels = NULL;
    *keep = o;
    if (!o)
        return;
    if (json_object_get(o, "labels"))
        *labels = json_dumps(json_object_get(o, "labels"), JSON_COMPACT);
    x->labels = *labels;
    x->impact = json_string_value(json_object_get(o, "impact"));
    x->likelihood = json_string_value(json_object_get(o, "likelihood"));
    x->decision = json_object_get(o, "decision");
}

/* The window's drafted count and whether it was closed. */
static srr_rc window_get(srr_store *st, int64_t w, int64_t *drafted, int *closed, srr_error *err)
{
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_st_prep(st, Q_WINDOW_GET, err, "i", w);
    int r;
    *drafted = 0;
    *closed = 0;
    if ((r = srr_st_first(st, s, &rc, err)) < 0)
        return rc;
    if (r == 1) {
        *drafted = sqlite3_column_int64(s, 0);
        *closed = sqlite3_column_type(s, 1) != SQLITE_NULL;
        srr_st_done(s);
    }
    return SRR_OK;
}

srr_rc srr_budget_take(srr_store *st, const srr_candidate *eff, const rec_extra *x,
                       srr_effect effect, int64_t resolved, int64_t now, int *admit,
                       srr_apply_stats *stats, srr_error *err)
{
    int64_t w = srr_st_judged_at(&eff->signal), drafted;
    int closed;
    char *cand, *extra;
    srr_rc rc = window_get(st, w, &drafted, &closed, err);
    *admit = 0;
    if (rc != SRR_OK)
        return rc;
    if (closed && (size_t)drafted < srr_budget_of(st, eff)) {
        *admit = 1;
        return SRR_OK;
    }
    cand = srr_candidate_dumps(eff);
    extra = extra_text(x);
    if (!cand) {
        free(extra);
        return srr_error_set(err, SRR_EINVAL, "store: candidate %s cannot be kept waiting",
                             eff->id);
    }
    rc = ST_EXEC(st, Q_PENDING_PUT, err, "tittitrttti", eff->fingerprint, w, eff->id,
                 srr_action_name(eff->action), (int64_t)eff->urgency, srr_effect_name(effect),
                 resolved, eff->title ? eff->title : "", cand, extra, now);
    free(cand);
    free(extra);
    if (rc == SRR_OK)
        stats->waiting++;
    return rc;
}

srr_rc srr_budget_count(srr_store *st, int64_t window_end, srr_error *err)
{
    return ST_EXEC(st, Q_WINDOW_COUNT, err, "i", window_end);
}

/* One waiting draft, read before any is drafted (drafting writes the
 * table being read). */
typedef struct waiting {
    int64_t id, resolved, window_end;
    char *fp, *cand, *extra, *effect;
} waiting;

static srr_rc read_waiting(srr_store *st, int64_t upto, waiting **out, size_t *n, srr_error *err)
{
    size_t cap = 0;
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_st_prep(st, Q_PENDING_DUE, err, "i", upto);
    *out = NULL;
    *n = 0;
    while (s && srr_st_next(st, s, &rc, err) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = srr_realloc(*out, cap * sizeof **out);
        }
        waiting *p = &(*out)[(*n)++];
        p->id = sqlite3_column_int64(s, 0);
        p->fp = srr_strdup(srr_st_text(s, 1));
        p->cand = srr_strdup(srr_st_text(s, 2));
        p->extra = srr_strdup(srr_st_text(s, 3));
        p->effect = srr_strdup(srr_st_text(s, 4));
        p->resolved = sqlite3_column_int64(s, 5);
        p->window_end = sqlite3_column_int64(s, 6);
    }
    return s ? rc : err ? err->code : SRR_ERR;
}

static void waiting_free(waiting *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].fp);
        free(v[i].cand);
        free(v[i].extra);
        free(v[i].effect);
    }
    free(v);
}

/* Drafts one waiting record in the window ending at w. *used = 1 when it
 * took a place of the budget (0: its thing got a record meanwhile). */
static srr_rc draft_one(srr_store *st, const waiting *p, int64_t w, int64_t now, int *used,
                        srr_apply_stats *stats, srr_error *err)
{
    srr_candidate c;
    rec_extra x;
    json_t *keep = NULL;
    char *labels = NULL, hid[32] = "", waited[32], in[32], *text;
    int kind;
    int64_t id, resolved;
    srr_rc rc = srr_candidate_parse(p->cand, strlen(p->cand), &c, err);
    *used = 0;
    if (rc != SRR_OK)
        return rc;
    rc = srr_rec_find_target(st, p->fp, &kind, &id, &resolved, NULL, err);
    if (rc == SRR_OK && kind >= 0) { /* its observations went to that record */
        srr_st_hid((rec_kind)kind, id, hid);
        rc = ST_EXEC(st, Q_PENDING_DONE, err, "ittii", p->id, "obsolete", hid, w, now);
        goto out;
    }
    extra_read(p->extra, &x, &keep, &labels);
    /* Drafted in this window: an investigation opens at its end. */
    c.signal.window_end = w;
    if (rc == SRR_OK)
        rc = srr_rec_create(st, &c, &x,
                            strcmp(p->effect, "regression") == 0 && resolved > 0 ? resolved : 0,
                            now, stats, hid, err);
    if (rc != SRR_OK || !hid[0])
        goto out;
    *used = 1;
    if (p->window_end >= w)
        goto done; /* drafted by its own window */
    srr_time_iso(p->window_end, waited);
    srr_time_iso(w, in);
    text = srr_asprintf("Over the draft budget of the window ending %s, it waited; drafted "
                        "with the window ending %s (most urgent first).",
                        waited, in);
    rc = srr_st_log(st,
                    hid[0] == 'S'   ? REC_RISK
                    : hid[0] == 'B' ? REC_BACKLOG
                                    : REC_INV,
                    strtoll(strchr(hid, '-') + 1, NULL, 10), "recognition", now, SRR_WRITER_ACTOR,
                    text, err);
    free(text);
done:
    if (rc == SRR_OK)
        rc = ST_EXEC(st, Q_PENDING_DONE, err, "ittii", p->id, "drafted", hid, w, now);
    if (rc == SRR_OK)
        rc = srr_budget_count(st, w, err);
out:
    json_decref(keep);
    free(labels);
    srr_candidate_clear(&c);
    return rc;
}

srr_rc srr_budget_close(srr_store *st, int64_t window_end, int64_t now, srr_apply_stats *stats,
                        srr_error *err)
{
    size_t budget = st->rules ? srr_rules_max_new_drafts(st->rules) : 0, n = 0, left;
    int64_t drafted;
    int closed;
    waiting *v = NULL;
    srr_rc rc = ST_EXEC(st, Q_WINDOW_CLOSE, err, "ii", window_end, now);
    if (rc == SRR_OK)
        rc = window_get(st, window_end, &drafted, &closed, err);
    if (rc == SRR_OK)
        rc = read_waiting(st, window_end, &v, &n, err);
    left = budget == 0 ? SIZE_MAX : (size_t)drafted < budget ? budget - (size_t)drafted : 0;
    for (size_t i = 0; i < n && rc == SRR_OK && left > 0; i++) {
        int used = 0;
        rc = draft_one(st, &v[i], window_end, now, &used, stats, err);
        left -= (size_t)used;
    }
    waiting_free(v, n);
    return rc;
}
