/* SPDX-License-Identifier: Apache-2.0
 *
 * outbox_host.c - what the outbox offers a sink during a callback (sink.h,
 * srr_sink_*): notes that a create is about to go out, the sink's memory
 * and cursors, the records a sink looks up (by its remote object, by
 * status, another sink's object for the same record), the team's
 * suggestion of an owner, and the edits people make on the remote side,
 * applied through the same workflow code as the CLI (store/workflow.h) with
 * the remote user as the actor, or refused with a reason the sink shows
 * them.
 *
 * Reading order: host services, records, edits coming back.
 */
#include <stdlib.h>
#include <string.h>

#include "outbox_internal.h"
#include "workflow.h"

/* ---- host services ---------------------------------------------------- */

int64_t srr_sink_now(const srr_sink_host *h)
{
    return h->now;
}

/* kind + id of an item, from the entry behind it. */
static srr_rc item_key(const srr_sink_item *item, int64_t *id, srr_error *err)
{
    const char *dash = strrchr(item->hid, '-');
    long long v = dash ? strtoll(dash + 1, NULL, 10) : 0;
    if (v <= 0)
        return srr_error_set(err, SRR_EINVAL, "sync: bad record id '%s'", item->hid);
    *id = v;
    return SRR_OK;
}

srr_rc srr_sink_creating(srr_sink_host *h, const srr_sink_item *item, srr_error *err)
{
    int64_t id = 0;
    srr_rc rc = item_key(item, &id, err);
    if (rc == SRR_OK)
        rc = srr_outbox_begin_create(h->st, h->si->p->name, item->kind, id, h->now, err);
    return rc;
}

char *srr_sync_state_text(const json_t *state)
{
    return state ? json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
}

srr_rc srr_sink_save(srr_sink_host *h, const srr_sink_item *item, const char *remote_id,
                     const json_t *state, srr_error *err)
{
    int64_t id = 0;
    char *t = srr_sync_state_text(state);
    srr_rc rc = item_key(item, &id, err);
    if (rc == SRR_OK)
        rc = srr_outbox_save(h->st, h->si->p->name, item->kind, id, remote_id, t, h->now, err);
    free(t);
    return rc;
}

srr_rc srr_sink_meta_get(srr_sink_host *h, const char *key, char **value, srr_error *err)
{
    return srr_outbox_meta_get(h->st, h->si->p->name, key, value, err);
}

srr_rc srr_sink_meta_set(srr_sink_host *h, const char *key, const char *value, srr_error *err)
{
    return srr_outbox_meta_set(h->st, h->si->p->name, key, value, err);
}

/* What a ref owns. */
typedef struct ref_priv {
    srr_outbox_entry e;
    json_t *state, *record;
} ref_priv;

/* Fills item from an entry: loads the record and parses the memory. */
srr_rc srr_sync_load_item(srr_sink_host *h, const srr_outbox_entry *e, srr_sink_item *item,
                          json_t **state, json_t **record, json_t **changes, srr_error *err)
{
    srr_rc rc;
    *state = e->state ? json_loads(e->state, 0, NULL) : NULL;
    *record = NULL;
    if (changes)
        *changes = NULL;
    rc = srr_outbox_record(h->st, e->kind, e->id, SYNC_WEEKS, record, err);
    if (rc == SRR_OK && changes && (h->si->p->flags & SRR_SINK_CHANGES))
        rc = srr_outbox_changes(h->st, e->kind, e->id, e->delivered_seq, e->seq, changes, err);
    memset(item, 0, sizeof(*item));
    item->kind = e->kind;
    item->hid = e->hid;
    item->seq = e->seq;
    item->delivered_seq = e->delivered_seq;
    item->remote_id = e->remote_id;
    item->creating = e->creating;
    item->state = *state;
    item->record = *record;
    item->changes = changes ? *changes : NULL;
    return rc;
}

srr_rc srr_sink_lookup(srr_sink_host *h, const char *remote_id, srr_sink_ref *out, srr_error *err)
{
    ref_priv *p = srr_calloc(1, sizeof(*p));
    srr_rc rc;
    memset(out, 0, sizeof(*out));
    rc = srr_outbox_find_remote(h->st, h->si->p->name, remote_id, &p->e, err);
    if (rc == SRR_OK)
        rc = srr_sync_load_item(h, &p->e, &out->item, &p->state, &p->record, NULL, err);
    out->priv = p;
    if (rc != SRR_OK)
        srr_sink_ref_release(out);
    return rc;
}

void srr_sink_ref_release(srr_sink_ref *ref)
{
    ref_priv *p;
    if (!ref || !ref->priv)
        return;
    p = ref->priv;
    srr_outbox_entry_clear(&p->e);
    json_decref(p->state);
    json_decref(p->record);
    free(p);
    memset(ref, 0, sizeof(*ref));
}

srr_rc srr_sink_ref_save(srr_sink_host *h, srr_sink_ref *ref, const json_t *state, srr_error *err)
{
    ref_priv *p = ref->priv;
    srr_rc rc = srr_sink_save(h, &ref->item, NULL, state, err);
    if (rc == SRR_OK && state != p->state) {
        json_t *old = p->state;
        p->state = json_incref((json_t *)state);
        json_decref(old);
        ref->item.state = p->state;
    }
    return rc;
}

/* ---- records ----------------------------------------------------------- */

srr_rc srr_sink_records(srr_sink_host *h, const char *kind, const char *status, size_t limit,
                        json_t **out, srr_error *err)
{
    return srr_outbox_records(h->st, kind, status, SYNC_WEEKS, limit, out, err);
}

srr_rc srr_sink_memories(srr_sink_host *h, json_t **out, srr_error *err)
{
    return srr_outbox_memories(h->st, h->si->p->name, out, err);
}

srr_rc srr_sink_remote_of(srr_sink_host *h, const char *sink, const char *kind, const char *hid,
                          char **remote_id, json_t **state, srr_error *err)
{
    srr_sink_item key;
    srr_outbox_entry e;
    int64_t id = 0;
    srr_rc rc;
    *remote_id = NULL;
    if (state)
        *state = NULL;
    memset(&key, 0, sizeof(key));
    key.hid = hid;
    rc = item_key(&key, &id, err);
    if (rc != SRR_OK)
        return rc;
    rc = srr_outbox_get(h->st, sink, kind, id, &e, err);
    if (rc == SRR_ENOTFOUND)
        return SRR_OK;
    if (rc != SRR_OK)
        return rc;
    *remote_id = e.remote_id ? srr_strdup(e.remote_id) : NULL;
    if (state && e.state)
        *state = json_loads(e.state, 0, NULL);
    srr_outbox_entry_clear(&e);
    return SRR_OK;
}

srr_rc srr_sink_suggest(srr_sink_host *h, const char *hid, char **who, srr_error *err)
{
    json_t *sug = NULL;
    srr_error serr = {0};
    srr_rc rc;
    *who = NULL;
    if (strncmp(hid, "SRR-", 4) != 0) /* the team suggests owners of risks */
        return SRR_OK;
    rc = srr_wf_suggest(h->st, &h->s->cfg->team, hid, &sug, &serr);
    if (rc == SRR_OK) {
        const char *a = json_string_value(json_object_get(sug, "assignee"));
        *who = a ? srr_strdup(a) : NULL;
    }
    json_decref(sug);
    if (rc == SRR_EINVAL || rc == SRR_ENOTFOUND) /* nobody to suggest */
        return SRR_OK;
    if (rc != SRR_OK)
        return srr_error_set(err, rc, "%s", serr.msg);
    return SRR_OK;
}

/* ---- edits coming back ------------------------------------------------ */

/* An edit's field: the key its changes carry in the audit (the column the
 * workflow writes) and the key of the record view. */
typedef struct edit_field {
    const char *field, *view, *risk_col, *backlog_col;
} edit_field;

static const edit_field EDIT_FIELDS[] = {
    {"status", "status", "status", "status"},
    {"assignee", "assignee", "assignee", "assignee"},
    {"urgency", "urgency", "urgency", NULL},
    {"cause", "cause", "cause", NULL},
    {"policy", "policy", "countermeasure_policy", NULL},
    {"next_action", "next_action", "next_action", NULL},
    {"backlog_url", "backlog_url", "backlog_link", "ticket_link"},
    {"postmortem_url", "postmortem_url", "postmortem_link", NULL},
    {"countermeasure_log", NULL, "countermeasure_log", NULL},
    {"recognition_log", NULL, "recognition_log", NULL},
    {NULL, NULL, NULL, NULL}};

/* "" and NULL are the same value. */
static int same_value(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The verb that moves a record of `kind` from `from` to `to` in the
 * workflow, or NULL (then `why` says what is possible). */
static const char *status_verb(const char *kind, const char *from, const char *to, char *why,
                               size_t whylen)
{
    static const struct {
        const char *kind, *from, *to, *verb;
    } T[] = {{"risk", "draft", "open", "approve"},
             {"risk", "draft", "rejected", "reject"},
             {"risk", "open", "resolved", "resolve"},
             {"risk", "mitigating", "resolved", "resolve"},
             {"risk", "open", "accepted", "accept"},
             {"risk", "mitigating", "accepted", "accept"},
             {"risk", "resolved", "open", "reopen"},
             {"risk", "accepted", "open", "reopen"},
             {"risk", "rejected", "draft", "reopen"},
             {"backlog", "draft", "accepted", "accept"},
             {"backlog", "accepted", "done", "done"},
             {"backlog", "done", "accepted", "reopen"},
             {"backlog", "draft", "rejected", "reject"},
             {"backlog", "accepted", "rejected", "reject"},
             {NULL, NULL, NULL, NULL}};
    size_t i, len = 0;
    for (i = 0; T[i].kind; i++)
        if (strcmp(T[i].kind, kind) == 0 && strcmp(T[i].from, from) == 0 &&
            strcmp(T[i].to, to) == 0)
            return T[i].verb;
    len = (size_t)snprintf(why, whylen, "a %s cannot go from %s to %s", kind, from, to);
    if (strcmp(kind, "investigation") == 0) {
        snprintf(why + len, len < whylen ? whylen - len : 0,
                 " here: an investigation is resolved with `srr investigations resolve`");
        return NULL;
    }
    if (strcmp(to, "merged") == 0) {
        snprintf(why + len, len < whylen ? whylen - len : 0,
                 ": a merge needs its target, use `srr risks merge`");
        return NULL;
    }
    if (strcmp(to, "mitigating") == 0) {
        snprintf(why + len, len < whylen ? whylen - len : 0,
                 ": it becomes mitigating with its first countermeasure log entry");
        return NULL;
    }
    for (i = 0; T[i].kind; i++) {
        if (strcmp(T[i].kind, kind) != 0 || strcmp(T[i].from, from) != 0)
            continue;
        len +=
            (size_t)snprintf(why + len, len < whylen ? whylen - len : 0, "%s%s",
                             strstr(why, "; from ") ? ", " : "; from here it can go to ", T[i].to);
        if (len >= whylen)
            break;
    }
    if (!strstr(why, "; from "))
        snprintf(why + len, len < whylen ? whylen - len : 0, "; it cannot change from there");
    return NULL;
}

/* Audits what the sync did with a remote edit it did not apply. The keys
 * never name a column, so later conflict checks do not take it for a
 * local change. */
static srr_rc audit_unapplied(srr_sink_host *h, const srr_sink_ref *ref, const char *action,
                              const srr_sink_edit *e, const char *kept, const char *why,
                              srr_error *err)
{
    ref_priv *p = ref->priv;
    json_t *before = json_pack("{s:s, s:s?}", "remote_field", e->field, "remote_value", e->value);
    json_t *after = json_pack("{s:s?}", "kept", kept);
    srr_rc rc = srr_outbox_audit(h->st, p->e.kind, p->e.id, e->actor, action, before, after, why,
                                 h->now, err);
    if (rc == SRR_OK)
        h->audited++;
    json_decref(before);
    json_decref(after);
    return rc;
}

/* Fills the workflow request for an edit; returns the verb (NULL: refused,
 * `why` set). `sets` holds the "key=value" of a set. */
static const char *edit_verb(const srr_sink_ref *ref, const srr_sink_edit *e, srr_wf_req *req,
                             char **sets, char *why, size_t whylen)
{
    const char *kind = ref->item.kind;
    const char *cur = json_string_value(json_object_get(ref->item.record, "status"));
    int risk = strcmp(kind, "risk") == 0;
    static const struct {
        const char *field, *key;
    } SET[] = {{"urgency", "urgency"},
               {"cause", "cause"},
               {"policy", "policy"},
               {"next_action", "next"},
               {"backlog_url", "backlog"},
               {"postmortem_url", "postmortem"},
               {NULL, NULL}};
    size_t i;
    if (strcmp(e->field, "status") == 0) {
        const char *verb =
            status_verb(kind, cur ? cur : "?", e->value ? e->value : "", why, whylen);
        if (!verb)
            return NULL;
        if (strcmp(verb, "reject") == 0 || strcmp(verb, "accept") == 0 ||
            strcmp(verb, "resolve") == 0 || strcmp(verb, "reopen") == 0 ||
            strcmp(verb, "approve") == 0)
            req->note = NULL; /* set by the caller: "<verb> in Notion by <actor>" */
        if (strcmp(verb, "accept") == 0 && !risk) {
            req->link = e->link && *e->link
                            ? e->link
                            : json_string_value(json_object_get(ref->item.record, "backlog_url"));
            if (!req->link || !*req->link) {
                snprintf(why, whylen,
                         "accepting a backlog item needs the link of its ticket: fill in its "
                         "backlog URL with the status");
                return NULL;
            }
        }
        return verb;
    }
    if (strcmp(e->field, "assignee") == 0) {
        if (strcmp(kind, "investigation") == 0) {
            snprintf(why, whylen, "an investigation's assignee is set by the policy");
            return NULL;
        }
        if (!e->value || !*e->value) {
            snprintf(why, whylen, "srr does not unassign a record; assign it to someone else");
            return NULL;
        }
        req->assignee = e->value;
        return "assign";
    }
    if (strcmp(e->field, "countermeasure_log") == 0 || strcmp(e->field, "recognition_log") == 0) {
        if (!risk) {
            snprintf(why, whylen, "only risks keep a log in srr");
            return NULL;
        }
        req->section = e->field[0] == 'c' ? "countermeasure" : "recognition";
        req->text = e->value;
        return "log";
    }
    if (strcmp(kind, "backlog") == 0 && strcmp(e->field, "backlog_url") == 0 &&
        (same_value(cur, "accepted") || same_value(cur, "done"))) {
        if (!e->value || !*e->value) {
            snprintf(why, whylen, "an accepted backlog item keeps a link to its ticket");
            return NULL;
        }
        req->link = e->value; /* the ticket a tracker made for it */
        return "link";
    }
    for (i = 0; SET[i].field; i++) {
        if (strcmp(e->field, SET[i].field) != 0)
            continue;
        if (!risk) {
            snprintf(why, whylen,
                     strcmp(SET[i].key, "backlog") == 0
                         ? "a %s's ticket link is set when it is accepted: set the status to "
                           "accepted with it"
                         : "a %s's %s is kept by srr",
                     kind, SET[i].key);
            return NULL;
        }
        *sets = srr_asprintf("%s=%s", SET[i].key, e->value ? e->value : "");
        req->sets = (const char *const *)sets;
        req->nsets = 1;
        return "set";
    }
    snprintf(why, whylen, "srr does not take %s from here", e->field);
    return NULL;
}

srr_rc srr_sink_apply_edit(srr_sink_host *h, srr_sink_ref *ref, const srr_sink_edit *e,
                           srr_edit_outcome *outcome, char *why, size_t whylen, srr_error *err)
{
    ref_priv *p = ref->priv;
    const edit_field *f;
    const char *col, *verb, *where = e->where ? e->where : h->si->p->name;
    const json_t *rec = ref->item.record;
    srr_wf_req req;
    srr_error werr = {0};
    char *sets = NULL, *note = NULL, *lactor = NULL, at_remote[32], at_local[32];
    int64_t lat = 0;
    srr_rc rc = SRR_OK, wrc;

    why[0] = '\0';
    *outcome = SRR_EDIT_REFUSED;
    for (f = EDIT_FIELDS; f->field; f++)
        if (strcmp(f->field, e->field) == 0)
            break;
    if (!f->field) {
        snprintf(why, whylen, "srr does not take %s from %s", e->field, where);
        return audit_unapplied(h, ref, "sync-refused", e, NULL, why, err);
    }
    col = strcmp(p->e.kind, "backlog") == 0 ? f->backlog_col : f->risk_col;
    if (f->view && same_value(json_string_value(json_object_get(rec, f->view)), e->value)) {
        *outcome = SRR_EDIT_SAME;
        return SRR_OK;
    }
    /* Both sides changed the field since the last delivery: the later one
     * wins. A log entry is an addition, never a conflict. */
    if (f->view && col) {
        rc = srr_outbox_local_change(h->st, p->e.kind, p->e.id, p->e.delivered_seq, col, &lat,
                                     &lactor, err);
        if (rc != SRR_OK)
            return rc;
        if (lat > e->at) {
            const char *kept = json_string_value(json_object_get(rec, f->view));
            srr_time_iso(e->at, at_remote);
            srr_time_iso(lat, at_local);
            snprintf(why, whylen,
                     "%s was also changed in srr by %s at %s, after this edit in %s (%s); the "
                     "later change wins",
                     e->field, lactor ? lactor : "?", at_local, where, at_remote);
            free(lactor);
            *outcome = SRR_EDIT_LOST;
            if (h->stats)
                h->stats->edits_lost++;
            return audit_unapplied(h, ref, "sync-conflict", e, kept, why, err);
        }
        free(lactor);
    }
    memset(&req, 0, sizeof(req));
    req.actor = e->actor;
    req.now = h->now;
    req.review_in_s = e->review_in_s > 0 ? e->review_in_s : SYNC_REVIEW_IN_S;
    verb = edit_verb(ref, e, &req, &sets, why, whylen);
    if (!verb) {
        rc = audit_unapplied(h, ref, "sync-refused", e,
                             f->view ? json_string_value(json_object_get(rec, f->view)) : NULL, why,
                             err);
        goto out;
    }
    if (strcmp(verb, "reject") == 0 || strcmp(verb, "accept") == 0 ||
        strcmp(verb, "resolve") == 0 || strcmp(verb, "reopen") == 0) {
        note = srr_asprintf("set to %s in %s by %s", e->value, where, e->actor);
        req.note = note;
    }
    wrc = strcmp(p->e.kind, "backlog") == 0
              ? srr_wf_backlog(h->st, verb, p->e.hid, &req, NULL, &werr)
              : srr_wf_risk(h->st, verb, p->e.hid, &req, NULL, &werr);
    if (wrc == SRR_OK) {
        json_t *now = NULL;
        *outcome = SRR_EDIT_APPLIED;
        /* The next edit of the same page compares with the record as it is now. */
        if (srr_outbox_record(h->st, p->e.kind, p->e.id, SYNC_WEEKS, &now, err) == SRR_OK) {
            json_decref(p->record);
            p->record = now;
            ref->item.record = now;
        }
    } else if (wrc == SRR_RETRY || wrc == SRR_EIO || wrc == SRR_ERR) {
        rc = srr_error_set(err, wrc, "%s", werr.msg);
    } else {
        snprintf(why, whylen, "%s", werr.msg);
        rc = audit_unapplied(h, ref, "sync-refused", e,
                             f->view ? json_string_value(json_object_get(rec, f->view)) : NULL, why,
                             err);
    }
out:
    free(sets);
    free(note);
    if (rc == SRR_OK && *outcome == SRR_EDIT_APPLIED)
        h->audited++;
    if (rc == SRR_OK && h->stats) {
        if (*outcome == SRR_EDIT_APPLIED)
            h->stats->edits_applied++;
        else if (*outcome == SRR_EDIT_REFUSED)
            h->stats->edits_refused++;
    }
    return rc;
}
