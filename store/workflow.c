/* SPDX-License-Identifier: Apache-2.0
 *
 * workflow.c - the transitions engineers make on risks and backlog items
 * (workflow.h). One engine serves both kinds: a table of verbs with the
 * statuses each is allowed from, a planner that turns a request into a
 * list of column changes (from a fixed set of columns, never from user
 * text), one guarded UPDATE, the side effects (log entries, merge moves)
 * and one audit entry, all inside one BEGIN IMMEDIATE transaction.
 *
 * Reading order: the verb tables, the change list, the planners, the
 * engine. The reads of the same module (workflow.h) are in
 * workflow_reads.c (filtered list, weekly occurrences, audit) and
 * workflow_team.c (the team's load, the suggested owner).
 */
#include "workflow.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_internal.h"
#include "wf_sql.h"

#define WF_MAX_CHANGES 16
#define WF_TEXT_MAX (16 * 1024) /* bound on one field or log entry */

/* ---- verbs --------------------------------------------------------------- */

typedef struct verb_spec {
    const char *verb;
    const char *from; /* space separated statuses it is allowed from */
} verb_spec;

static const verb_spec RISK_VERBS[] = {
    {"approve", "draft"},
    {"reject", "draft"},
    {"merge", "draft open mitigating"},
    {"assign", "draft open mitigating accepted"},
    {"log", "draft open mitigating accepted"},
    {"set", "draft open mitigating accepted"},
    {"resolve", "open mitigating"},
    {"accept", "open mitigating accepted"},
    {"reopen", "resolved accepted rejected"},
    {NULL, NULL},
};

static const verb_spec BACKLOG_VERBS[] = {
    {"accept", "draft"},          {"done", "accepted"},
    {"reject", "draft accepted"}, {"assign", "draft accepted"},
    {"reopen", "done"},           {"link", "accepted done"},
    {NULL, NULL},
};

/* Statuses a risk still needs attention in (a merge target must be one). */
static const char RISK_LIVE[] = "draft open mitigating accepted";

/* 1 when `word` is one of the space separated words of `list`. */
static int in_list(const char *list, const char *word)
{
    size_t n = strlen(word);
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0)
            return 1;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static const verb_spec *verbs_of(const char *kind)
{
    return strcmp(kind, "risk") == 0 ? RISK_VERBS : BACKLOG_VERBS;
}

void srr_wf_allowed(const char *kind, const char *status, char *out, size_t n)
{
    const verb_spec *v;
    size_t len = 0;
    if (n == 0)
        return;
    out[0] = '\0';
    for (v = verbs_of(kind); v->verb; v++) {
        if (!in_list(v->from, status))
            continue;
        len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", len ? ", " : "", v->verb);
        if (len >= n)
            break;
    }
    if (!out[0])
        snprintf(out, n, "none");
}

/* ---- the change list ----------------------------------------------------- */

/* One column change. `col` points at a string literal; `val` is owned. */
typedef struct change {
    const char *col;
    json_t *val; /* integer, string or null */
} change;

/* What a verb does to one record. Invariant: n <= WF_MAX_CHANGES. */
typedef struct plan {
    change ch[WF_MAX_CHANGES];
    size_t n;
    const char *why; /* borrowed */
    /* side effects after the UPDATE */
    const char *log_section; /* NULL: no log entry */
    char *log_text;          /* owned */
    int64_t merge_into;      /* > 0: move evidence and logs there */
    int ticket;              /* backlog accept --ticket: the audit says a ticket is wanted */
} plan;

static void plan_set(plan *p, const char *col, json_t *val)
{
    size_t i;
    for (i = 0; i < p->n; i++) {
        if (strcmp(p->ch[i].col, col) == 0) {
            json_decref(p->ch[i].val);
            p->ch[i].val = val;
            return;
        }
    }
    if (p->n == WF_MAX_CHANGES) { /* cannot happen: the planners set few */
        json_decref(val);
        return;
    }
    p->ch[p->n].col = col;
    p->ch[p->n].val = val;
    p->n++;
}

static void plan_clear(plan *p)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        json_decref(p->ch[i].val);
    free(p->log_text);
    memset(p, 0, sizeof(*p));
}

/* A column's value as people read it in the audit: urgency by name, times
 * ISO-8601, risk references SRR-n. New reference. */
static json_t *display(const char *col, const json_t *v)
{
    if (!v || json_is_null(v))
        return json_null();
    if (json_is_integer(v)) {
        int64_t i = json_integer_value(v);
        size_t n = strlen(col);
        if (strcmp(col, "urgency") == 0)
            return json_string(srr_wf_urgency_name(i));
        if ((n > 3 && strcmp(col + n - 3, "_at") == 0) || strcmp(col, "first_seen") == 0 ||
            strcmp(col, "last_seen") == 0)
            return srr_wf_time(i);
        if (strcmp(col, "merged_into") == 0) {
            char hid[32];
            snprintf(hid, sizeof(hid), "SRR-%lld", (long long)i);
            return json_string(hid);
        }
    }
    return json_deep_copy(v);
}

static int is_url(const char *s)
{
    return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

static srr_rc need_text(const char *what, const char *s, srr_error *err)
{
    if (!s || !*s)
        return srr_error_set(err, SRR_EINVAL, "%s is required", what);
    if (strlen(s) > WF_TEXT_MAX)
        return srr_error_set(err, SRR_EINVAL, "%s is longer than %d bytes", what, WF_TEXT_MAX);
    return SRR_OK;
}

/* ---- planners ------------------------------------------------------------ */

/* `set` keys: what people type -> the column. */
static const struct {
    const char *key, *col;
    int url;
} SET_KEYS[] = {
    {"cause", "cause", 0},
    {"policy", "countermeasure_policy", 0},
    {"next", "next_action", 0},
    {"backlog", "backlog_link", 1},
    {"postmortem", "postmortem_link", 1},
    {"impact", "impact", 0},
    {"likelihood", "likelihood", 0},
    {"title", "title", 0},
    {"urgency", "urgency", 0},
    {NULL, NULL, 0},
};

static srr_rc plan_sets(const srr_wf_req *req, plan *p, srr_error *err)
{
    size_t i;
    if (req->nsets == 0)
        return srr_error_set(err, SRR_EINVAL,
                             "set needs key=value (cause, policy, next, backlog, postmortem, "
                             "impact, likelihood, title, urgency)");
    for (i = 0; i < req->nsets; i++) {
        const char *kv = req->sets[i], *eq = strchr(kv, '=');
        const char *val;
        size_t klen, k;
        if (!eq)
            return srr_error_set(err, SRR_EINVAL, "'%s' is not key=value", kv);
        klen = (size_t)(eq - kv);
        val = eq + 1;
        for (k = 0; SET_KEYS[k].key; k++)
            if (strlen(SET_KEYS[k].key) == klen && strncmp(kv, SET_KEYS[k].key, klen) == 0)
                break;
        if (!SET_KEYS[k].key)
            return srr_error_set(err, SRR_EINVAL,
                                 "unknown field '%.*s' (cause, policy, next, backlog, postmortem, "
                                 "impact, likelihood, title, urgency)",
                                 (int)klen, kv);
        if (strlen(val) > WF_TEXT_MAX)
            return srr_error_set(err, SRR_EINVAL, "%s is longer than %d bytes", SET_KEYS[k].key,
                                 WF_TEXT_MAX);
        if (SET_KEYS[k].url && *val && !is_url(val))
            return srr_error_set(err, SRR_EINVAL, "%s must be an http(s) URL, not '%s'",
                                 SET_KEYS[k].key, val);
        if (strcmp(SET_KEYS[k].col, "urgency") == 0) {
            int u = srr_wf_urgency_parse(val);
            if (u < 0)
                return srr_error_set(err, SRR_EINVAL,
                                     "unknown urgency '%s' (low, medium, high, critical)", val);
            plan_set(p, "urgency", json_integer(u));
        } else if (strcmp(SET_KEYS[k].col, "title") == 0 && !*val) {
            return srr_error_set(err, SRR_EINVAL, "a title cannot be empty");
        } else {
            plan_set(p, SET_KEYS[k].col, srr_wf_text_or_null(val));
        }
    }
    return SRR_OK;
}

static srr_rc plan_urgency(const char *u, plan *p, srr_error *err)
{
    int v;
    if (!u)
        return SRR_OK;
    v = srr_wf_urgency_parse(u);
    if (v < 0)
        return srr_error_set(err, SRR_EINVAL, "unknown urgency '%s' (low, medium, high, critical)",
                             u);
    plan_set(p, "urgency", json_integer(v));
    return SRR_OK;
}

static srr_rc plan_risk(sqlite3 *db, const char *verb, const json_t *row, const srr_wf_req *req,
                        plan *p, srr_error *err)
{
    const char *status = srr_wf_jtext(row, "status");
    srr_rc rc = SRR_OK;
    char day[32];
    p->why = req->note;
    if (strcmp(verb, "approve") == 0) {
        plan_set(p, "status", json_string("open"));
        plan_set(p, "approved_by", json_string(req->actor));
        plan_set(p, "approved_at", json_integer(req->now));
        if (req->assignee && *req->assignee)
            plan_set(p, "assignee", json_string(req->assignee));
        rc = plan_urgency(req->urgency, p, err);
        if (rc == SRR_OK && req->note && *req->note) {
            p->log_section = "recognition";
            p->log_text = srr_asprintf("Approved: %s", req->note);
        }
    } else if (strcmp(verb, "reject") == 0) {
        rc = need_text("reject --reason", req->note, err);
        plan_set(p, "status", json_string("rejected"));
    } else if (strcmp(verb, "merge") == 0) {
        int64_t into = 0;
        json_t *target = NULL;
        rc = need_text("merge --into", req->into, err);
        if (rc == SRR_OK)
            rc = srr_wf_parse_id(req->into, SRR_WF_RISK, &into, err);
        if (rc == SRR_OK && into == srr_wf_jint(row, "id"))
            rc = srr_error_set(err, SRR_EINVAL, "cannot merge SRR-%lld into itself",
                               (long long)into);
        if (rc == SRR_OK) {
            rc = srr_wf_load_row(db, "risks", into, &target, err);
            if (rc == SRR_ENOTFOUND)
                srr_error_set(err, rc, "no risk '%s' to merge into", req->into);
        }
        if (rc == SRR_OK && !in_list(RISK_LIVE, srr_wf_jtext(target, "status")))
            rc = srr_error_set(err, SRR_ECONFLICT,
                               "cannot merge into SRR-%lld: it is %s (a target must be draft, "
                               "open, mitigating or accepted)",
                               (long long)into, srr_wf_jtext(target, "status"));
        json_decref(target);
        if (rc == SRR_OK) {
            plan_set(p, "status", json_string("merged"));
            plan_set(p, "merged_into", json_integer(into));
            plan_set(p, "occurrences", json_integer(0));
            p->merge_into = into;
        }
    } else if (strcmp(verb, "assign") == 0) {
        rc = need_text("assign WHO", req->assignee, err);
        if (rc == SRR_OK)
            plan_set(p, "assignee", json_string(req->assignee));
    } else if (strcmp(verb, "log") == 0) {
        if (!req->section || (strcmp(req->section, "recognition") != 0 &&
                              strcmp(req->section, "countermeasure") != 0))
            return srr_error_set(err, SRR_EINVAL,
                                 "log needs --recognition TEXT or --countermeasure TEXT");
        rc = need_text("the log text", req->text, err);
        p->log_section = req->section;
        p->log_text = srr_strdup(req->text);
        /* The first thing done about an open risk means work has started. */
        if (strcmp(req->section, "countermeasure") == 0 && strcmp(status, "open") == 0)
            plan_set(p, "status", json_string("mitigating"));
    } else if (strcmp(verb, "set") == 0) {
        rc = plan_sets(req, p, err);
    } else if (strcmp(verb, "resolve") == 0) {
        plan_set(p, "status", json_string("resolved"));
        plan_set(p, "next_review_at", json_null());
        if (req->note && *req->note) {
            p->log_section = "countermeasure";
            p->log_text = srr_asprintf("Resolved: %s", req->note);
        }
    } else if (strcmp(verb, "accept") == 0) {
        rc = need_text("accept --reason", req->note, err);
        if (rc == SRR_OK && req->review_in_s <= 0)
            rc = srr_error_set(err, SRR_EINVAL, "accept needs --review-in (e.g. 90d)");
        if (rc == SRR_OK) {
            srr_time_iso(req->now + req->review_in_s, day);
            day[10] = '\0';
            plan_set(p, "status", json_string("accepted"));
            plan_set(p, "next_review_at", json_integer(req->now + req->review_in_s));
            p->log_section = "countermeasure";
            p->log_text = srr_asprintf("Accepted until %s: %s", day, req->note);
        }
    } else if (strcmp(verb, "reopen") == 0) {
        plan_set(p, "status", json_string(strcmp(status, "rejected") == 0 ? "draft" : "open"));
        plan_set(p, "next_review_at", json_null());
        p->log_section = "recognition";
        p->log_text = req->note && *req->note ? srr_asprintf("Reopened: %s", req->note)
                                              : srr_strdup("Reopened.");
    }
    return rc;
}

static srr_rc plan_backlog(const char *verb, const srr_wf_req *req, plan *p, srr_error *err)
{
    srr_rc rc = SRR_OK;
    p->why = req->note;
    if (strcmp(verb, "accept") == 0) {
        if (req->ticket && !(req->link && *req->link)) {
            p->ticket = 1; /* the tracker's sink makes the ticket and sets its link */
        } else {
            rc = need_text("backlog accept --link", req->link, err);
            if (rc == SRR_OK && !is_url(req->link))
                rc = srr_error_set(err, SRR_EINVAL, "--link must be an http(s) URL, not '%s'",
                                   req->link);
        }
        if (rc == SRR_OK) {
            plan_set(p, "status", json_string("accepted"));
            if (!p->ticket)
                plan_set(p, "ticket_link", json_string(req->link));
            if (req->assignee && *req->assignee)
                plan_set(p, "assignee", json_string(req->assignee));
        }
    } else if (strcmp(verb, "link") == 0) {
        rc = need_text("backlog link", req->link, err);
        if (rc == SRR_OK && !is_url(req->link))
            rc = srr_error_set(err, SRR_EINVAL, "a ticket link must be an http(s) URL, not '%s'",
                               req->link);
        if (rc == SRR_OK)
            plan_set(p, "ticket_link", json_string(req->link));
    } else if (strcmp(verb, "reopen") == 0) {
        plan_set(p, "status", json_string("accepted"));
    } else if (strcmp(verb, "done") == 0) {
        plan_set(p, "status", json_string("done"));
    } else if (strcmp(verb, "reject") == 0) {
        plan_set(p, "status", json_string("rejected"));
    } else if (strcmp(verb, "assign") == 0) {
        rc = need_text("assign WHO", req->assignee, err);
        if (rc == SRR_OK)
            plan_set(p, "assignee", json_string(req->assignee));
    }
    return rc;
}

/* ---- the engine ---------------------------------------------------------- */

static srr_rc bind_json(sqlite3_stmt *s, int i, const json_t *v)
{
    int r;
    if (json_is_integer(v))
        r = sqlite3_bind_int64(s, i, json_integer_value(v));
    else if (json_is_string(v))
        r = sqlite3_bind_text(s, i, json_string_value(v), -1, SQLITE_TRANSIENT);
    else
        r = sqlite3_bind_null(s, i);
    return r == SQLITE_OK ? SRR_OK : SRR_ERR;
}

/* UPDATE table SET <changes>, updated_at = now WHERE id AND the status and
 * updated_at that were read still hold. SRR_ECONFLICT when they do not. */
static srr_rc guarded_update(sqlite3 *db, const char *table, const char *hid, const plan *p,
                             const json_t *row, int64_t now, srr_error *err)
{
    srr_buf sql;
    sqlite3_stmt *s = NULL;
    srr_rc rc = SRR_OK;
    size_t i;
    int k;
    srr_buf_init(&sql, 0);
    srr_buf_printf(&sql, "UPDATE %s SET ", table);
    for (i = 0; i < p->n; i++)
        srr_buf_printf(&sql, "%s = ?%zu, ", p->ch[i].col, i + 1);
    srr_buf_printf(&sql,
                   "updated_at = ?%zu WHERE id = ?%zu AND status = ?%zu AND updated_at = ?%zu",
                   p->n + 1, p->n + 2, p->n + 3, p->n + 4);
    if (sqlite3_prepare_v2(db, sql.data, -1, &s, NULL) != SQLITE_OK) {
        rc = srr_error_set(err, SRR_ERR, "store: %s", sqlite3_errmsg(db));
        goto done;
    }
    for (i = 0; i < p->n && rc == SRR_OK; i++)
        rc = bind_json(s, (int)i + 1, p->ch[i].val);
    k = (int)p->n;
    if (rc == SRR_OK && (sqlite3_bind_int64(s, k + 1, now) != SQLITE_OK ||
                         sqlite3_bind_int64(s, k + 2, srr_wf_jint(row, "id")) != SQLITE_OK ||
                         bind_json(s, k + 3, json_object_get(row, "status")) != SRR_OK ||
                         sqlite3_bind_int64(s, k + 4, srr_wf_jint(row, "updated_at")) != SQLITE_OK))
        rc = SRR_ERR;
    if (rc != SRR_OK) {
        srr_error_set(err, rc, "store: cannot bind the update of %s", hid);
        goto done;
    }
    while (srr_wf_step(db, s, &rc, err) == 1)
        ;
    if (rc == SRR_OK && sqlite3_changes(db) != 1)
        rc = srr_error_set(err, SRR_ECONFLICT,
                           "%s changed underneath (another srr edited it); show it again and retry",
                           hid);
done:
    sqlite3_finalize(s);
    srr_buf_free(&sql);
    return rc;
}

static srr_rc add_log(sqlite3 *db, const char *kind, int64_t id, const char *section, int64_t at,
                      const char *author, const char *text, srr_error *err)
{
    return srr_wf_exec(db, err,
                       "INSERT INTO log_entries(record_kind, record_id, section, at, author, text)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                       "tititt", kind, id, section, at, author, text);
}

static srr_rc add_audit(sqlite3 *db, int64_t at, const char *actor, const char *kind, int64_t id,
                        const char *action, const json_t *before, const json_t *after,
                        const char *why, srr_error *err)
{
    char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    srr_rc rc =
        srr_wf_exec(db, err,
                    "INSERT INTO audit(at, actor, record_kind, record_id, action, before,"
                    " after, why) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    "ittitttt", at, actor, kind, id, action, b, a, why && *why ? why : NULL);
    free(b);
    free(a);
    return rc;
}

/* Moves the evidence and the logs of risk `from` to `into`, folds its
 * occurrences and seen-times in, notes the merge in the target's log and
 * audits it on the target too. */
static srr_rc merge_move(sqlite3 *db, const json_t *src, int64_t into, const srr_wf_req *req,
                         srr_error *err)
{
    int64_t from = srr_wf_jint(src, "id");
    json_t *tb = NULL, *ta = NULL, *before = NULL, *after = NULL;
    char *text = NULL;
    srr_rc rc;
    rc = srr_wf_exec(db, err,
                     "UPDATE evidence SET record_id = ?2 WHERE record_kind = 'risk'"
                     " AND record_id = ?1",
                     "ii", from, into);
    if (rc == SRR_OK)
        rc = srr_wf_exec(db, err,
                         "UPDATE log_entries SET record_id = ?2 WHERE record_kind = 'risk'"
                         " AND record_id = ?1",
                         "ii", from, into);
    if (rc == SRR_OK)
        rc = srr_wf_load_row(db, "risks", into, &tb, err);
    if (rc == SRR_OK)
        rc = srr_wf_exec(db, err,
                         "UPDATE risks SET occurrences = occurrences + ?2, updated_at = ?3"
                         " WHERE id = ?1",
                         "iii", into, srr_wf_jint(src, "occurrences"), req->now);
    if (rc == SRR_OK && !json_is_null(json_object_get(src, "first_seen")))
        rc = srr_wf_exec(db, err,
                         "UPDATE risks SET first_seen = min(coalesce(first_seen, ?2), ?2),"
                         " last_seen = max(coalesce(last_seen, ?3), ?3) WHERE id = ?1",
                         "iii", into, srr_wf_jint(src, "first_seen"),
                         json_is_null(json_object_get(src, "last_seen"))
                             ? srr_wf_jint(src, "first_seen")
                             : srr_wf_jint(src, "last_seen"));
    if (rc == SRR_OK)
        rc = srr_wf_load_row(db, "risks", into, &ta, err);
    if (rc == SRR_OK) {
        text = srr_asprintf("Merged SRR-%lld (%s) into this record%s%s", (long long)from,
                            srr_wf_jtext(src, "title"), req->note && *req->note ? ": " : ".",
                            req->note && *req->note ? req->note : "");
        rc = add_log(db, "risk", into, "recognition", req->now, req->actor, text, err);
    }
    if (rc == SRR_OK) {
        static const char *const cols[] = {"occurrences", "first_seen", "last_seen", NULL};
        int i;
        char hid[32];
        before = json_object();
        after = json_object();
        for (i = 0; cols[i]; i++) {
            json_object_set_new(before, cols[i], display(cols[i], json_object_get(tb, cols[i])));
            json_object_set_new(after, cols[i], display(cols[i], json_object_get(ta, cols[i])));
        }
        snprintf(hid, sizeof(hid), "SRR-%lld", (long long)from);
        json_object_set_new(after, "merged_from", json_string(hid));
        rc = add_audit(db, req->now, req->actor, "risk", into, "merge-in", before, after, req->note,
                       err);
    }
    json_decref(tb);
    json_decref(ta);
    json_decref(before);
    json_decref(after);
    free(text);
    return rc;
}

/* The refusal of an edit made on a stale read: names when the record
 * changed and the last change (who, what). Returns SRR_ECONFLICT. */
static srr_rc changed_underneath(sqlite3 *db, const char *kind, const char *hid, const json_t *row,
                                 int64_t expected, srr_error *err)
{
    char now_at[32], exp_at[32], last[160] = "";
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    srr_time_iso(srr_wf_jint(row, "updated_at"), now_at);
    srr_time_iso(expected, exp_at);
    s = srr_wf_prep(db, NULL,
                    "SELECT actor, action FROM audit WHERE record_kind = ?1 AND record_id = ?2"
                    " ORDER BY id DESC LIMIT 1",
                    "ti", kind, srr_wf_jint(row, "id"));
    if (s && srr_wf_step(db, s, &rc, NULL) == 1)
        snprintf(last, sizeof(last), " (last change: %s by %s)", sqlite3_column_text(s, 1),
                 sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return srr_error_set(err, SRR_ECONFLICT,
                         "%s changed underneath: updated %s%s, you read it at %s; show it again "
                         "and retry",
                         hid, now_at, last, exp_at);
}

/* What the audit keeps of a plan applied to row: the changed columns
 * before and after, as people read them, the log entry added and whether a
 * ticket was asked for. *before and *after are new references. */
static void audit_values(const plan *p, const json_t *row, json_t **before, json_t **after)
{
    *before = json_object();
    *after = json_object();
    for (size_t i = 0; i < p->n; i++) {
        json_object_set_new(*before, p->ch[i].col,
                            display(p->ch[i].col, json_object_get(row, p->ch[i].col)));
        json_object_set_new(*after, p->ch[i].col, display(p->ch[i].col, p->ch[i].val));
    }
    if (p->log_section) {
        char *key = srr_asprintf("%s_log", p->log_section);
        json_object_set_new(*after, key, json_string(p->log_text));
        free(key);
    }
    if (p->ticket)
        json_object_set_new(*after, "ticket", json_string("requested"));
}

/* The engine: kind "risk" (table risks) or "backlog" (table backlog). */
static srr_rc apply(srr_store *st, const char *kind, const char *verb, const char *id,
                    const srr_wf_req *req, json_t **result, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    int is_risk = strcmp(kind, "risk") == 0;
    const char *table = is_risk ? "risks" : "backlog";
    srr_wf_kind wk = is_risk ? SRR_WF_RISK : SRR_WF_BACKLOG;
    const verb_spec *v;
    json_t *row = NULL, *before = NULL, *after = NULL;
    plan p;
    char hid[32], allowed[160];
    int64_t rid = 0;
    srr_rc rc;

    memset(&p, 0, sizeof(p));
    if (result)
        *result = NULL;
    for (v = verbs_of(kind); v->verb; v++)
        if (strcmp(v->verb, verb) == 0)
            break;
    if (!v->verb)
        return srr_error_set(err, SRR_EINVAL, "unknown %s action '%s'", kind, verb);
    if (!req || !req->actor || !*req->actor)
        return srr_error_set(err, SRR_EINVAL, "every change needs an actor (--as NAME)");
    rc = srr_wf_parse_id(id, wk, &rid, err);
    if (rc != SRR_OK)
        return rc;
    snprintf(hid, sizeof(hid), "%s%lld", SRR_WF_PREFIX[wk], (long long)rid);

    rc = srr_wf_begin(db, err);
    if (rc != SRR_OK)
        return rc;
    rc = srr_wf_load_row(db, table, rid, &row, err);
    if (rc == SRR_ENOTFOUND)
        srr_error_set(err, rc, "no %s '%s'", kind, id);
    if (rc != SRR_OK)
        goto fail;
    if (req->expect_updated > 0 && srr_wf_jint(row, "updated_at") != req->expect_updated) {
        rc = changed_underneath(db, kind, hid, row, req->expect_updated, err);
        goto fail;
    }
    if (!in_list(v->from, srr_wf_jtext(row, "status"))) {
        srr_wf_allowed(kind, srr_wf_jtext(row, "status"), allowed, sizeof(allowed));
        rc = srr_error_set(err, SRR_ECONFLICT, "cannot %s %s: it is %s; allowed from %s: %s", verb,
                           hid, srr_wf_jtext(row, "status"), srr_wf_jtext(row, "status"), allowed);
        goto fail;
    }
    rc = is_risk ? plan_risk(db, verb, row, req, &p, err) : plan_backlog(verb, req, &p, err);
    if (rc != SRR_OK)
        goto fail;
    rc = guarded_update(db, table, hid, &p, row, req->now, err);
    if (rc != SRR_OK)
        goto fail;
    if (p.log_section) {
        rc = add_log(db, kind, rid, p.log_section, req->now, req->actor, p.log_text, err);
        if (rc != SRR_OK)
            goto fail;
    }
    audit_values(&p, row, &before, &after);
    rc = add_audit(db, req->now, req->actor, kind, rid, verb, before, after, p.why, err);
    if (rc != SRR_OK)
        goto fail;
    if (p.merge_into > 0) {
        rc = merge_move(db, row, p.merge_into, req, err);
        if (rc != SRR_OK)
            goto fail;
    }
    rc = srr_wf_commit(db, err);
    if (rc != SRR_OK)
        goto fail;
    if (result) {
        json_t *stv = json_object_get(after, "status");
        *result =
            json_pack("{s:s, s:s, s:O, s:O, s:O}", "id", hid, "action", verb, "status",
                      stv ? stv : json_object_get(row, "status"), "before", before, "after", after);
    }
    json_decref(row);
    json_decref(before);
    json_decref(after);
    plan_clear(&p);
    return SRR_OK;
fail:
    srr_wf_rollback(db);
    json_decref(row);
    json_decref(before);
    json_decref(after);
    plan_clear(&p);
    return rc;
}

srr_rc srr_wf_risk(srr_store *st, const char *verb, const char *id, const srr_wf_req *req,
                   json_t **result, srr_error *err)
{
    return apply(st, "risk", verb, id, req, result, err);
}

srr_rc srr_wf_backlog(srr_store *st, const char *verb, const char *id, const srr_wf_req *req,
                      json_t **result, srr_error *err)
{
    return apply(st, "backlog", verb, id, req, result, err);
}

const char *srr_wf_actor(const char *as)
{
    const char *u;
    struct passwd *pw;
    if (as && *as)
        return as;
    u = getenv("SRR_USER");
    if (u && *u)
        return u;
    pw = getpwuid(geteuid());
    if (pw && pw->pw_name && *pw->pw_name)
        return pw->pw_name;
    u = getenv("USER");
    if (u && *u)
        return u;
    return "unknown";
}
