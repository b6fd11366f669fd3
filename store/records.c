/* SPDX-License-Identifier: Apache-2.0
 *
 * records.c - writing the records of the writer semantics (DESIGN.md
 * section 3): a draft risk, backlog item or investigation created from a
 * candidate with its first evidence, recognition log and audit entry;
 * evidence appended to an open record; an investigation promoted to a
 * draft risk (its log and evidence carried over) or closed without one;
 * and an engineer's verdict on an investigation. What to write is decided
 * in things.c; this file only writes it (store_priv.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "store_priv.h"

#define SRR_TEXT_MAX (64 * 1024) /* bound on generated overviews */
#define SRR_MERGE_HOPS 8         /* bound on following merged_into */

/* The signal's evidence as bounded compact JSON text, or NULL when it has
 * none (or it is not an object or array, which json_dumps refused). The
 * text is json_dumps(evidence, JSON_COMPACT) byte for byte (or the
 * signal's evidence_json as it is), written into the store's scratch
 * buffer: valid until the next srr_st_scratch(). */
static const char *evidence_text(srr_store *st, const srr_signal *sig)
{
    srr_buf *b;
    if (sig->evidence_json) {
        b = srr_st_scratch(st);
        srr_buf_append(b, sig->evidence_json, strlen(sig->evidence_json));
    } else if (!sig->evidence || !(json_is_object(sig->evidence) || json_is_array(sig->evidence))) {
        return NULL;
    } else {
        b = srr_st_scratch(st);
        srr_jsonw_value(b, sig->evidence);
    }
    if (b->len > SRR_SIGNAL_MAX_EVIDENCE_BYTES) {
        size_t n = b->len;
        srr_st_scratch(st);
        srr_buf_printf(b, "{\"truncated\":true,\"bytes\":%zu}", n);
    }
    return b->data;
}

static srr_rc add_evidence(srr_store *st, rec_kind kind, int64_t id, const srr_candidate *c,
                           srr_error *err)
{
    const srr_signal *sig = &c->signal;
    return ST_EXEC(st, Q_EVIDENCE_INSERT, err, "tititdttt", SRR_ST_REC_NAME[kind], id, c->id,
                   sig->observed_at, srr_status_name(sig->status), sig->value, sig->summary,
                   sig->link, evidence_text(st, sig));
}

/* The overview (or backlog description) prefilled from the signal. */
static char *overview_text(const srr_candidate *c)
{
    const srr_signal *sig = &c->signal;
    char from[32], to[32];
    srr_buf b;
    size_t i;
    srr_buf_init(&b, SRR_TEXT_MAX);
    srr_time_iso(sig->window_start, from);
    srr_time_iso(sig->window_end, to);
    srr_buf_printf(&b, "%s\n\n", sig->summary ? sig->summary : (c->title ? c->title : ""));
    if (sig->condition)
        srr_buf_printf(&b, "Condition: %s\n", sig->condition);
    srr_buf_printf(&b, "Check: %s (%s, %s)\n", sig->check ? sig->check : "?",
                   srr_source_name(sig->source), srr_kind_name(sig->kind));
    srr_buf_printf(&b, "Service: %s", sig->service ? sig->service : "-");
    if (sig->env)
        srr_buf_printf(&b, " (env %s)", sig->env);
    srr_buf_printf(&b, "\n");
    if (sig->ntags) {
        srr_buf_printf(&b, "Tags:");
        for (i = 0; i < sig->ntags; i++)
            srr_buf_printf(&b, " %s", sig->tags[i]);
        srr_buf_printf(&b, "\n");
    }
    if (sig->window_end > 0)
        srr_buf_printf(&b, "Window: %s .. %s\n", from, to);
    if (sig->link)
        srr_buf_printf(&b, "Datadog: %s\n", sig->link);
    /* The reason is kept in its own column and shown on its own. */
    return srr_buf_steal(&b);
}

/* ", 3 pods" (the count of the thing's members and their kind), or ""
 * for a thing without members; `less` counts one fewer. */
static void members_suffix(srr_store *st, const char *fp, int less, char *out, size_t n)
{
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_st_prep(st, Q_MEMBER_STATS, NULL, "t", fp);
    out[0] = '\0';
    if (s && srr_st_next(st, s, &rc, NULL) == 1) {
        int64_t count = sqlite3_column_int64(s, 0) - less;
        const char *m = srr_st_text(s, 1);
        size_t klen = m ? strcspn(m, ":,") : 0;
        if (count > 0 && klen > 0)
            snprintf(out, n, ", %lld %.*s%s", (long long)count, (int)klen, m,
                     count == 1           ? ""
                     : m[klen - 1] == 's' ? "es"
                                          : "s");
        srr_st_done(s);
    }
}

srr_rc srr_rec_retitle(srr_store *st, const char *fp, const char *base, srr_error *err)
{
    static const enum srr_stmt_id retitle[] = {Q_RISK_RETITLE, Q_BL_RETITLE, Q_INV_RETITLE};
    char was[64], now[64], *a, *b;
    srr_rc rc = SRR_OK;
    members_suffix(st, fp, 1, was, sizeof was);
    members_suffix(st, fp, 0, now, sizeof now);
    a = srr_asprintf("%s%s", base, was);
    b = srr_asprintf("%s%s", base, now);
    for (size_t k = 0; rc == SRR_OK && k < 3 && strcmp(a, b) != 0; k++)
        rc = ST_EXEC(st, retitle[k], err, "ttt", fp, a, b);
    free(a);
    free(b);
    return rc;
}

static const char *title_of(const srr_candidate *c)
{
    if (c->title && *c->title)
        return c->title;
    if (c->signal.summary && *c->signal.summary)
        return c->signal.summary;
    return c->signal.check ? c->signal.check : "(untitled)";
}

static json_t *created_json(const srr_candidate *c, const char *status)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s?}", "status", status, "title", title_of(c),
                     "urgency", srr_urgency_name(c->urgency), "fingerprint", c->fingerprint,
                     "candidate", c->id);
}

/* The end every create shares, once the row `id` of `kind` is inserted:
 * the candidate as its first evidence, the record's last seen, and the
 * audit entry "create" with `after` (borrowed; the decision is added to
 * it) and `why`. Sets *out_id on SRR_OK. */
static srr_rc finish_create(srr_store *st, rec_kind kind, int64_t id, const srr_candidate *c,
                            const rec_extra *x, json_t *after, const char *why, int64_t now,
                            int64_t *out_id, srr_error *err)
{
    srr_rc rc = add_evidence(st, kind, id, c, err);
    if (rc == SRR_OK)
        rc = srr_rec_touch(st, kind, id, &c->signal, 0, now, err);
    if (rc != SRR_OK)
        return rc;
    if (x->decision)
        json_object_set(after, "decision", x->decision);
    rc = srr_st_audit(st, now, SRR_ST_REC_NAME[kind], id, "create", NULL, after, why, err);
    if (rc == SRR_OK)
        *out_id = id;
    return rc;
}

/* Creates a draft risk from a candidate; reopened_from > 0 marks a
 * regression of that (resolved) risk. */
srr_rc srr_rec_create_risk(srr_store *st, const srr_candidate *c, const rec_extra *x,
                           int64_t reopened_from, int64_t now, int64_t *out_id, srr_error *err)
{
    const srr_signal *sig = &c->signal;
    char *overview = overview_text(c), *text = NULL, *reason = NULL;
    char prev[32];
    json_t *after = NULL;
    int64_t id;
    srr_rc rc;
    if (reopened_from > 0) {
        srr_st_hid(REC_RISK, reopened_from, prev);
        reason = srr_asprintf("Regression: %s was resolved and the signal fires again. %s", prev,
                              c->reason ? c->reason : "");
    }
    rc = ST_EXEC(st, Q_RISK_INSERT, err, "ittttttttttriiiittt", (int64_t)c->urgency, title_of(c),
                 sig->service, sig->env, c->fingerprint, overview, c->owner, sig->link, c->rule,
                 reason ? reason : c->reason, c->id, reopened_from, sig->observed_at,
                 sig->observed_at, (int64_t)1, now, x->labels, x->impact, x->likelihood);
    if (rc != SRR_OK)
        goto out;
    id = sqlite3_last_insert_rowid(st->db);
    text = srr_asprintf("Detected by %s: %s",
                        sig->source == SRR_SRC_WEBHOOK ? "Datadog monitor webhook" : "srr sweep",
                        sig->summary ? sig->summary : title_of(c));
    rc = srr_st_log(st, REC_RISK, id, "recognition", sig->observed_at, SRR_WRITER_ACTOR, text, err);
    if (rc == SRR_OK && reopened_from > 0) {
        free(text);
        text = srr_asprintf("Reopened: %s was resolved; the same fingerprint fires again", prev);
        rc = srr_st_log(st, REC_RISK, id, "recognition", sig->observed_at, SRR_WRITER_ACTOR, text,
                        err);
    }
    if (rc != SRR_OK)
        goto out;
    after = created_json(c, "draft");
    if (reopened_from > 0)
        json_object_set_new(after, "reopened_from", json_string(prev));
    rc =
        finish_create(st, REC_RISK, id, c, x, after, reason ? reason : c->reason, now, out_id, err);
out:
    json_decref(after);
    free(overview);
    free(text);
    free(reason);
    return rc;
}

srr_rc srr_rec_create_backlog(srr_store *st, const srr_candidate *c, const rec_extra *x,
                              int64_t now, int64_t *out_id, srr_error *err)
{
    const srr_signal *sig = &c->signal;
    char *desc = overview_text(c);
    json_t *after = NULL;
    int64_t id;
    srr_rc rc = ST_EXEC(st, Q_BL_INSERT, err, "ittttttttttiit", (int64_t)c->urgency, title_of(c),
                        sig->service, sig->env, c->fingerprint, desc, c->owner, sig->link, c->rule,
                        c->reason, c->id, sig->observed_at, now, x->labels);
    if (rc != SRR_OK)
        goto out;
    id = sqlite3_last_insert_rowid(st->db);
    after = created_json(c, "draft");
    rc = finish_create(st, REC_BACKLOG, id, c, x, after, c->reason, now, out_id, err);
out:
    json_decref(after);
    free(desc);
    return rc;
}

srr_rc srr_rec_create_investigation(srr_store *st, const srr_candidate *c, const rec_extra *x,
                                    int64_t now, int64_t *out_id, srr_error *err)
{
    const srr_signal *sig = &c->signal;
    int64_t timebox = c->timebox_s > 0 ? c->timebox_s : SRR_DEFAULT_TIMEBOX_S;
    /* Opened in the observation's own time (a window's end, an alert's
     * date), so the deadline does not depend on when the writer ran. */
    int64_t opened = srr_st_judged_at(sig);
    json_t *after = NULL;
    int64_t id;
    srr_rc rc = ST_EXEC(st, Q_INV_INSERT, err, "itttttiitttttiiti", (int64_t)c->urgency,
                        title_of(c), sig->service, sig->env, c->fingerprint, c->owner, opened,
                        opened + timebox, srr_status_name(sig->status), sig->link, c->rule,
                        c->reason, c->id, sig->observed_at, (int64_t)1, x->labels, now);
    if (rc != SRR_OK)
        goto out;
    id = sqlite3_last_insert_rowid(st->db);
    after = created_json(c, "open");
    json_object_set_new(after, "deadline", srr_st_json_time(opened + timebox));
    rc = finish_create(st, REC_INV, id, c, x, after, c->reason, now, out_id, err);
out:
    json_decref(after);
    return rc;
}

/* Appends the signal to an open record: evidence row, last_seen and
 * occurrences (firing sightings only), investigation last_status, audit. */
/* The open-record lookups in order of preference, and the kind each finds. */
static const enum srr_stmt_id OPEN_QUERY[] = {Q_OPEN_RISK, Q_OPEN_INV, Q_OPEN_BL};
static const rec_kind OPEN_KIND[] = {REC_RISK, REC_INV, REC_BACKLOG};

/* Finds where a signal for `fp` belongs: its open record (a risk, an open
 * investigation, a backlog item, in that order of preference), or the open
 * risk a merged risk of that fingerprint was merged into. When there is
 * none and the latest risk of the fingerprint (after merges) is resolved,
 * *resolved gets its id. Returns SRR_OK with *kind = -1 when no record. */
srr_rc srr_rec_find_target(srr_store *st, const char *fp, int *kind, int64_t *id, int64_t *resolved,
                           int *urgency, srr_error *err)
{
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    int r, hops;
    int64_t cur = 0, next = 0;
    char status[16] = "";

    *kind = -1;
    *id = 0;
    *resolved = 0;
    if (urgency)
        *urgency = -1;
    for (size_t i = 0; i < sizeof(OPEN_QUERY) / sizeof(OPEN_QUERY[0]); i++) {
        s = srr_st_prep(st, OPEN_QUERY[i], err, "t", fp);
        r = srr_st_first(st, s, &rc, err);
        if (r < 0)
            return rc;
        if (r == 1) {
            *kind = OPEN_KIND[i];
            *id = sqlite3_column_int64(s, 0);
            if (urgency)
                *urgency = sqlite3_column_int(s, 1);
            srr_st_done(s);
            return SRR_OK;
        }
    }

    s = srr_st_prep(st, Q_RISK_LATEST, err, "t", fp);
    r = srr_st_first(st, s, &rc, err);
    if (r < 0)
        return rc;
    if (r == 0)
        return SRR_OK;
    cur = sqlite3_column_int64(s, 0);
    snprintf(status, sizeof(status), "%s", srr_st_text(s, 1));
    next = sqlite3_column_int64(s, 2);
    srr_st_done(s);

    for (hops = 0; strcmp(status, "merged") == 0 && next > 0 && hops < SRR_MERGE_HOPS; hops++) {
        s = srr_st_prep(st, Q_RISK_STATUS, err, "i", next);
        r = srr_st_first(st, s, &rc, err);
        if (r < 0)
            return rc;
        if (r == 0)
            break;
        cur = next;
        snprintf(status, sizeof(status), "%s", srr_st_text(s, 0));
        next = sqlite3_column_int64(s, 1);
        srr_st_done(s);
    }
    if (strcmp(status, "draft") == 0 || strcmp(status, "open") == 0 ||
        strcmp(status, "mitigating") == 0 || strcmp(status, "accepted") == 0) {
        *kind = REC_RISK;
        *id = cur;
    } else if (strcmp(status, "resolved") == 0) {
        *resolved = cur;
    }
    return SRR_OK;
}

/* Each record table's count of its thing's members, refreshed. */
static const enum srr_stmt_id MEMBERS_OF[] = {Q_RISK_MEMBERS, Q_BL_MEMBERS, Q_INV_MEMBERS};

srr_rc srr_rec_refresh_members(srr_store *st, const char *fp, srr_error *err)
{
    srr_rc rc = SRR_OK;
    for (size_t k = 0; rc == SRR_OK && k < 3; k++)
        rc = ST_EXEC(st, MEMBERS_OF[k], err, "t", fp);
    return rc;
}

srr_rc srr_rec_create(srr_store *st, const srr_candidate *eff, const rec_extra *x,
                      int64_t reopened_from, int64_t now, srr_apply_stats *stats, char hid[32],
                      srr_error *err)
{
    int64_t id = 0;
    srr_rc rc = SRR_OK;
    char suffix[64], *title = NULL;
    srr_candidate named = *eff; /* shallow: the title names the thing with its members */
    hid[0] = '\0';
    members_suffix(st, eff->fingerprint, 0, suffix, sizeof suffix);
    if (suffix[0]) {
        title = srr_asprintf("%s%s", title_of(eff), suffix);
        named.title = title;
    }
    eff = &named;
    if (reopened_from > 0 || eff->action == SRR_ACTION_RISK) {
        rc = srr_rec_create_risk(st, eff, x, reopened_from, now, &id, err);
        srr_st_hid(REC_RISK, id, hid);
        stats->new_risks++;
    } else if (eff->action == SRR_ACTION_BACKLOG) {
        rc = srr_rec_create_backlog(st, eff, x, now, &id, err);
        srr_st_hid(REC_BACKLOG, id, hid);
        stats->new_backlog++;
    } else if (eff->action == SRR_ACTION_INVESTIGATE) {
        rc = srr_rec_create_investigation(st, eff, x, now, &id, err);
        srr_st_hid(REC_INV, id, hid);
        stats->new_investigations++;
    } else {
        stats->ignored++;
        free(title);
        return SRR_OK;
    }
    if (rc == SRR_OK)
        rc = srr_rec_refresh_members(st, eff->fingerprint, err);
    free(title);
    return rc;
}

srr_rc srr_rec_touch(srr_store *st, rec_kind kind, int64_t id, const srr_signal *sig, int count,
                     int64_t now, srr_error *err)
{
    static const enum srr_stmt_id touch[] = {Q_RISK_TOUCH, Q_BL_TOUCH, Q_INV_TOUCH};
    int64_t firing = count && sig->status == SRR_STATUS_FIRING;
    return ST_EXEC(st, touch[kind], err, "iiiitDi", id, sig->observed_at, firing, now,
                   srr_status_name(sig->status), srr_st_obs_value(sig),
                   (int64_t)srr_rules_worse_dir(sig));
}

srr_rc srr_rec_attach(srr_store *st, const srr_candidate *c, rec_kind kind, int64_t id, int64_t now,
                      srr_error *err)
{
    const srr_signal *sig = &c->signal;
    int64_t firing = sig->status == SRR_STATUS_FIRING;
    srr_buf *after;
    srr_rc rc = add_evidence(st, kind, id, c, err);
    if (rc != SRR_OK)
        return rc;
    if ((rc = srr_rec_touch(st, kind, id, sig, 1, now, err)) != SRR_OK)
        return rc;
    /* The audit's `after`, as json_dumps(JSON_COMPACT | JSON_SORT_KEYS)
     * of {candidate, status, summary, value} writes it (keys in order). */
    after = srr_st_scratch(st);
    SRR_JSONW_LIT(after, "{\"candidate\":");
    srr_jsonw_str(after, c->id);
    SRR_JSONW_LIT(after, ",\"status\":");
    srr_jsonw_str(after, srr_status_name(sig->status));
    SRR_JSONW_LIT(after, ",\"summary\":");
    srr_jsonw_str(after, sig->summary);
    SRR_JSONW_LIT(after, ",\"value\":");
    srr_jsonw_real(after, sig->value);
    SRR_JSONW_LIT(after, "}");
    return ST_EXEC(st, Q_AUDIT_INSERT, err, "ittrtttt", now, SRR_WRITER_ACTOR,
                   SRR_ST_REC_NAME[kind], id, "evidence", NULL, after->data,
                   firing ? "signal seen again" : "signal recovered");
}

void srr_rec_inv_clear(srr_inv_row *r)
{
    free(r->title);
    free(r->service);
    free(r->env);
    free(r->fingerprint);
    free(r->assignee);
    free(r->last_status);
    free(r->rule);
    free(r->reason);
    free(r->link);
    free(r->origin);
    free(r->labels);
    free(r->status);
    memset(r, 0, sizeof(*r));
}

srr_rc srr_rec_inv_load(srr_store *st, int64_t id, srr_inv_row *out, srr_error *err)
{
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_st_prep(st, Q_INV_GET, err, "i", id);
    int r = srr_st_first(st, s, &rc, err);
    if (r <= 0)
        return r < 0
                   ? rc
                   : srr_error_set(err, SRR_ENOTFOUND, "no investigation INV-%lld", (long long)id);
    /* Column order of SRR_INV_COLUMNS. */
    out->id = id;
    out->status = srr_strdup(srr_st_text(s, 1));
    out->urgency = sqlite3_column_int64(s, 2);
    out->title = srr_strdup(srr_st_text(s, 3));
    out->service = srr_strdup(srr_st_text(s, 4));
    out->env = srr_strdup(srr_st_text(s, 5));
    out->fingerprint = srr_strdup(srr_st_text(s, 6));
    out->assignee = srr_strdup(srr_st_text(s, 7));
    out->opened_at = sqlite3_column_int64(s, 8);
    out->deadline = sqlite3_column_int64(s, 9);
    out->last_status = srr_strdup(srr_st_text(s, 10));
    out->rule = srr_strdup(srr_st_text(s, 13));
    out->reason = srr_strdup(srr_st_text(s, 14));
    out->link = srr_strdup(srr_st_text(s, 15));
    out->origin = srr_strdup(srr_st_text(s, 16));
    out->first_seen = sqlite3_column_int64(s, 17);
    out->last_seen = sqlite3_column_int64(s, 18);
    out->occurrences = sqlite3_column_int64(s, 19);
    out->labels = srr_strdup(srr_st_text(s, 22));
    srr_st_done(s);
    return SRR_OK;
}

/* Copies the investigation's recognition log and one entry per evidence
 * row into the new risk's recognition log. */
static srr_rc promote_log(srr_store *st, const srr_inv_row *inv, int64_t risk_id, const char *why,
                          int64_t at, srr_error *err)
{
    typedef struct {
        int64_t at;
        char *author, *text;
    } entry;
    entry *e = NULL;
    size_t n = 0, cap = 0, i, nev = 0;
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s;
    int r;
    char inv_hid[32];

    srr_st_hid(REC_INV, inv->id, inv_hid);
    /* Collect first: the inserts below touch the same table being read. */
    s = srr_st_prep(st, Q_LOG_OF, err, "tit", SRR_ST_REC_NAME[REC_INV], inv->id, "recognition");
    while (s && (r = srr_st_next(st, s, &rc, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            e = srr_realloc(e, cap * sizeof(*e));
        }
        e[n].at = sqlite3_column_int64(s, 0);
        e[n].author = srr_strdup(srr_st_text(s, 1));
        e[n].text = srr_strdup(srr_st_text(s, 2));
        n++;
    }
    if (!s)
        rc = err ? err->code : SRR_ERR;
    if (rc != SRR_OK)
        goto out;
    s = srr_st_prep(st, Q_EVIDENCE_OF, err, "ti", SRR_ST_REC_NAME[REC_INV], inv->id);
    while (s && (r = srr_st_next(st, s, &rc, err)) == 1) {
        int first = nev++ == 0;
        const char *status = srr_st_text(s, 2), *summary = srr_st_text(s, 4);
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            e = srr_realloc(e, cap * sizeof(*e));
        }
        e[n].at = sqlite3_column_int64(s, 1);
        e[n].author = srr_strdup(SRR_WRITER_ACTOR);
        e[n].text = srr_asprintf("%s (%s): %s", first ? "Detected" : "Seen again",
                                 status ? status : "?", summary ? summary : "(no summary)");
        n++;
    }
    if (!s)
        rc = err ? err->code : SRR_ERR;
    if (rc != SRR_OK)
        goto out;
    {
        char *opened = srr_asprintf("Investigation %s opened by srr: %s", inv_hid,
                                    inv->reason ? inv->reason : "time-boxed investigation");
        rc = srr_st_log(st, REC_RISK, risk_id, "recognition", inv->opened_at, SRR_WRITER_ACTOR,
                        opened, err);
        free(opened);
    }
    for (i = 0; i < n && rc == SRR_OK; i++)
        rc = srr_st_log(st, REC_RISK, risk_id, "recognition", e[i].at, e[i].author, e[i].text, err);
    if (rc == SRR_OK) {
        char *text = srr_asprintf("%s promoted to a draft risk: %s", inv_hid, why);
        rc = srr_st_log(st, REC_RISK, risk_id, "recognition", at, SRR_WRITER_ACTOR, text, err);
        free(text);
    }
out:
    for (i = 0; i < n; i++) {
        free(e[i].author);
        free(e[i].text);
    }
    free(e);
    return rc;
}

srr_rc srr_rec_promote(srr_store *st, const srr_inv_row *inv, int64_t now, const char *why,
                       const srr_decision *by, srr_error *err)
{
    /* Promoted by a rule (a flapping one): the risk is that rule's, as
     * urgent as the more urgent of the two. */
    const char *rule = by && by->rule ? by->rule : inv->rule;
    int64_t urgency =
        by && (int64_t)by->urgency > inv->urgency ? (int64_t)by->urgency : inv->urgency;
    char inv_hid[32], risk_hid[32], open_s[32], dl_s[32];
    char *overview = NULL, *outcome = NULL;
    json_t *before = NULL, *after = NULL;
    int64_t risk_id;
    srr_rc rc;

    srr_st_hid(REC_INV, inv->id, inv_hid);
    srr_time_iso(inv->opened_at, open_s);
    srr_time_iso(inv->deadline, dl_s);
    overview =
        srr_asprintf("%s\n\nPromoted from the time-boxed investigation %s (opened %s, "
                     "deadline %s): %s\n%s%s%s%s%s",
                     inv->title, inv_hid, open_s, dl_s, why, inv->link ? "Datadog: " : "",
                     inv->link ? inv->link : "", inv->link ? "\n" : "",
                     inv->reason ? "Investigated because: " : "", inv->reason ? inv->reason : "");
    rc = ST_EXEC(st, Q_RISK_INSERT, err, "ittttttttttriiiittt", urgency, inv->title, inv->service,
                 inv->env, inv->fingerprint, overview, inv->assignee, inv->link, rule, why,
                 inv->origin, (int64_t)0, inv->first_seen, inv->last_seen, inv->occurrences, now,
                 inv->labels, (const char *)NULL, (const char *)NULL);
    if (rc != SRR_OK)
        goto out;
    risk_id = sqlite3_last_insert_rowid(st->db);
    /* The thing's values so far go with it; why it became a risk is its
     * reason, the investigation's stays in the log (promote_log). */
    rc = ST_EXEC(st, Q_RISK_VALUES_FROM_INV, err, "ii", risk_id, inv->id);
    if (rc != SRR_OK)
        goto out;
    srr_st_hid(REC_RISK, risk_id, risk_hid);
    rc = ST_EXEC(st, Q_EVIDENCE_COPY, err, "titi", SRR_ST_REC_NAME[REC_INV], inv->id,
                 SRR_ST_REC_NAME[REC_RISK], risk_id);
    if (rc == SRR_OK)
        rc = promote_log(st, inv, risk_id, why,
                         inv->last_seen > inv->deadline ? inv->last_seen : inv->deadline, err);
    if (rc != SRR_OK)
        goto out;
    outcome = srr_asprintf("promoted to %s", risk_hid);
    rc = ST_EXEC(st, Q_INV_FINISH, err, "ittri", inv->id, "promoted", outcome, risk_id, now);
    if (rc != SRR_OK)
        goto out;
    before = json_pack("{s:s}", "status", "open");
    after = json_pack("{s:s, s:s}", "status", "promoted", "risk", risk_hid);
    rc = srr_st_audit(st, now, SRR_ST_REC_NAME[REC_INV], inv->id, "promote", before, after, why,
                      err);
    json_decref(after);
    after = json_pack("{s:s, s:s, s:s, s:s}", "status", "draft", "title", inv->title, "fingerprint",
                      inv->fingerprint, "from", inv_hid);
    if (rc == SRR_OK)
        rc = srr_st_audit(st, now, SRR_ST_REC_NAME[REC_RISK], risk_id, "create", NULL, after, why,
                          err);
out:
    json_decref(before);
    json_decref(after);
    free(overview);
    free(outcome);
    return rc;
}

srr_rc srr_rec_close_inv(srr_store *st, const srr_inv_row *inv, int64_t now, const char *why,
                         const srr_timebox_result *r, srr_error *err)
{
    json_t *before, *after;
    srr_rc rc = ST_EXEC(st, Q_INV_FINISH, err, "ittri", inv->id, "closed", "stopped firing",
                        (int64_t)0, now);
    if (rc != SRR_OK)
        return rc;
    before = json_pack("{s:s}", "status", "open");
    after = json_pack("{s:s, s:s}", "status", "closed", "outcome", "stopped firing");
    if (r && r->clear_since)
        json_object_set_new(after, "clear_since", srr_st_json_time(r->clear_since));
    if (r && r->at)
        json_object_set_new(after, "decided_by", srr_st_json_time(r->at));
    if (r && r->at && isfinite(r->value))
        json_object_set_new(after, "last_value", json_real(r->value));
    rc = srr_st_audit(st, now, SRR_ST_REC_NAME[REC_INV], inv->id, "close", before, after, why, err);
    json_decref(before);
    json_decref(after);
    return rc;
}

/* ---- engineers resolve investigations ------------------------------------ */

srr_rc srr_store_investigation_resolve(srr_store *st, const char *id, const char *outcome,
                                       const char *link, const char *actor, const char *note,
                                       int64_t now, srr_error *err)
{
    srr_inv_row inv = {0};
    srr_inv_outcome oc;
    int64_t iid = 0, bl_id = 0;
    json_t *before = NULL, *after = NULL;
    char *text = NULL, *desc = NULL;
    char inv_hid[32], bl_hid[32] = "";
    srr_rc rc;

    if (srr_inv_outcome_parse(outcome, &oc) != SRR_OK)
        return srr_error_set(err, SRR_EINVAL,
                             "unknown outcome '%s' (expected fixed, backlog or noise)",
                             outcome ? outcome : "");
    if (oc == SRR_INV_BACKLOG && (!link || !*link))
        return srr_error_set(err, SRR_EINVAL,
                             "an investigation sent to the backlog needs the ticket link");
    if (!actor || !*actor)
        return srr_error_set(err, SRR_EINVAL, "who resolves the investigation? (actor)");
    rc = srr_st_parse_id(id, REC_INV, &iid, err);
    if (rc != SRR_OK)
        return rc;
    rc = srr_st_begin(st, err);
    if (rc != SRR_OK)
        return rc;
    rc = srr_rec_inv_load(st, iid, &inv, err);
    if (rc != SRR_OK)
        goto out;
    srr_st_hid(REC_INV, iid, inv_hid);
    if (!inv.status || strcmp(inv.status, "open") != 0) {
        rc = srr_error_set(err, SRR_ECONFLICT, "%s is %s, not open", inv_hid,
                           inv.status ? inv.status : "?");
        goto out;
    }
    if (oc == SRR_INV_BACKLOG) {
        desc = srr_asprintf("Sent to the backlog from %s by %s.%s%s", inv_hid, actor,
                            note ? " " : "", note ? note : "");
        rc = ST_EXEC(st, Q_BL_INSERT_ACCEPTED, err, "itti", iid, desc, link, now);
        if (rc != SRR_OK)
            goto out;
        bl_id = sqlite3_last_insert_rowid(st->db);
        srr_st_hid(REC_BACKLOG, bl_id, bl_hid);
        rc = ST_EXEC(st, Q_EVIDENCE_COPY, err, "titi", SRR_ST_REC_NAME[REC_INV], iid,
                     SRR_ST_REC_NAME[REC_BACKLOG], bl_id);
        if (rc != SRR_OK)
            goto out;
        after = json_pack("{s:s, s:s, s:s}", "status", "accepted", "ticket_link", link, "from",
                          inv_hid);
        rc = srr_st_audit_by(st, now, actor, SRR_ST_REC_NAME[REC_BACKLOG], bl_id, "create", NULL,
                             after, note ? note : "sent to the backlog from an investigation", err);
        json_decref(after);
        after = NULL;
        if (rc != SRR_OK)
            goto out;
    }
    rc = ST_EXEC(st, Q_INV_RESOLVE, err, "itttrri", iid, srr_inv_outcome_name(oc), actor, link,
                 note, bl_id, now);
    if (rc != SRR_OK)
        goto out;
    text = srr_asprintf("Resolved by %s: %s%s%s%s%s%s", actor, srr_inv_outcome_name(oc),
                        bl_hid[0] ? " (" : "", bl_hid, bl_hid[0] ? ")" : "", note ? ". " : "",
                        note ? note : "");
    rc = srr_st_log(st, REC_INV, iid, "recognition", now, actor, text, err);
    if (rc != SRR_OK)
        goto out;
    before = json_pack("{s:s}", "status", "open");
    after = json_pack("{s:s, s:s, s:s?, s:s?}", "status", "closed", "outcome",
                      srr_inv_outcome_name(oc), "link", link, "backlog", bl_hid[0] ? bl_hid : NULL);
    rc = srr_st_audit_by(st, now, actor, SRR_ST_REC_NAME[REC_INV], iid, "resolve", before, after,
                         note ? note : "resolved by an engineer: closed without a risk", err);
out:
    if (rc == SRR_OK)
        rc = srr_st_commit(st, err);
    if (rc != SRR_OK)
        srr_st_rollback(st);
    json_decref(before);
    json_decref(after);
    free(text);
    free(desc);
    srr_rec_inv_clear(&inv);
    return rc;
}
