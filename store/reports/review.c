/* SPDX-License-Identifier: Apache-2.0
 *
 * review.c - the data of the monthly review (review.h). The period is a
 * calendar month or any range; each section is one SQL query over risks,
 * backlog, investigations and the audit; rows come back as JSON with human
 * ids, urgency names and ISO times. "Touched" (and "moved") means a change
 * by a person (an audit entry whose actor is not the writer) or the
 * creation; evidence arriving does not count as attention. The status
 * history replays the audit: a record's status at a time is the record
 * status the last audit entry before that time set (draft when none did;
 * the writer's evidence entries carry the *signal* status, which is
 * skipped). The records the sections name, with their links and values,
 * are review_records.c's.
 */
#include "review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "review_priv.h"
#include "store_internal.h"
#include "wf_sql.h"
#include "workflow.h"

/* Last human change of a record r of kind K (SQL text fragment). */
#define RV_TOUCHED(K)                                                                              \
    "max(r.created_at, coalesce((SELECT max(a.at) FROM audit a WHERE a.record_kind = '" K "'"      \
    " AND a.record_id = r.id AND a.actor <> '" RV_WRITER "'), 0))"

/* clang-format off */
/* The last change a person made to record r of kind K up to ?1, as the
 * columns moved_at (its creation when nobody changed it), moved_by and
 * moved_action (SQL text fragment). */
#define RV_LAST_HUMAN(K, COL)                                                                      \
    "(SELECT a." COL " FROM audit a WHERE a.record_kind = '" K "' AND a.record_id = r.id"          \
    " AND a.actor <> '" RV_WRITER "' AND a.at <= ?1 ORDER BY a.at DESC, a.id DESC LIMIT 1)"
#define RV_MOVED(K)                                                                                \
    "coalesce(" RV_LAST_HUMAN(K, "at") ", r.created_at) AS moved_at, " RV_LAST_HUMAN(           \
        K, "actor") " AS moved_by, " RV_LAST_HUMAN(K, "action") " AS moved_action"
/* clang-format on */

static const char *const STATUSES[] = {"draft",    "open",     "mitigating", "accepted",
                                       "resolved", "rejected", "merged",     NULL};

srr_rc srr_review_month(const char *month, int64_t *from, int64_t *to)
{
    struct tm tm;
    int y, m;
    char tail;
    if (!month || sscanf(month, "%4d-%2d%c", &y, &m, &tail) != 2 || strlen(month) != 7 ||
        y < 1970 || y > 9999 || m < 1 || m > 12)
        return SRR_EINVAL;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = 1;
    *from = (int64_t)timegm(&tm);
    tm.tm_mon += 1;
    *to = (int64_t)timegm(&tm);
    return SRR_OK;
}

srr_rc srr_review_day(const char *text, int end, int64_t *out)
{
    struct tm tm;
    const char *p;
    if (!text)
        return SRR_EINVAL;
    if (strlen(text) == 10) {
        memset(&tm, 0, sizeof(tm));
        p = strptime(text, "%Y-%m-%d", &tm);
        if (!p || *p || tm.tm_year < 70)
            return SRR_EINVAL;
        *out = (int64_t)timegm(&tm) + (end ? RV_DAY : 0);
        return SRR_OK;
    }
    return srr_time_parse_iso(text, out);
}

/* Start of the month holding t, shifted by `delta` months. */
static int64_t month_start(int64_t t, int delta)
{
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mon += delta;
    return (int64_t)timegm(&tm);
}

static int is_time_col(const char *n)
{
    size_t l = strlen(n);
    return (l > 3 && strcmp(n + l - 3, "_at") == 0) || strcmp(n, "last_seen") == 0 ||
           strcmp(n, "first_seen") == 0 || strcmp(n, "last_touched") == 0 ||
           strcmp(n, "deadline") == 0;
}

/* Steps s to the end, appending each row to arr with human ids (the row's
 * `kind` column says which), urgency names and ISO times. Finalizes s. */
static srr_rc collect(sqlite3 *db, sqlite3_stmt *s, json_t *arr, srr_error *err)
{
    srr_rc rc = SRR_OK;
    if (!s)
        return SRR_ERR;
    while (srr_wf_step(db, s, &rc, err) == 1) {
        json_t *row = srr_wf_row(s), *v;
        const char *key, *kind = json_string_value(json_object_get(row, "kind"));
        void *tmp;
        json_object_foreach_safe(row, tmp, key, v)
        {
            if (strcmp(key, "id") == 0 && json_is_integer(v)) {
                char hid[32];
                srr_rv_hid(kind, json_integer_value(v), hid);
                json_object_set_new(row, key, json_string(hid));
            } else if (strcmp(key, "urgency") == 0 && json_is_integer(v)) {
                json_object_set_new(row, key,
                                    json_string(srr_wf_urgency_name(json_integer_value(v))));
            } else if (is_time_col(key) && json_is_integer(v)) {
                json_object_set_new(row, key, srr_wf_time(json_integer_value(v)));
            }
        }
        json_array_append_new(arr, row);
    }
    sqlite3_finalize(s);
    return rc;
}

/* Risks by status at time t (records created before t). */
static srr_rc status_at(sqlite3 *db, int64_t t, json_t *counts, srr_error *err)
{
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    int i;
    for (i = 0; STATUSES[i]; i++)
        json_object_set_new(counts, STATUSES[i], json_integer(0));
    s = srr_wf_prep(
        db, err,
        "SELECT st, count(*) FROM (SELECT coalesce((SELECT json_extract(a.after, '$.status')"
        " FROM audit a WHERE a.record_kind = 'risk' AND a.record_id = r.id AND a.at < ?1"
        " AND json_valid(a.after) AND json_extract(a.after, '$.status') IN ('draft', 'open',"
        " 'mitigating', 'accepted', 'resolved', 'rejected', 'merged')"
        " ORDER BY a.id DESC LIMIT 1), 'draft') AS st FROM risks r WHERE r.created_at < ?1)"
        " GROUP BY st",
        "i", t);
    if (!s)
        return SRR_ERR;
    while (srr_wf_step(db, s, &rc, err) == 1) {
        const char *st = (const char *)sqlite3_column_text(s, 0);
        if (st)
            json_object_set_new(counts, st, json_integer(sqlite3_column_int64(s, 1)));
    }
    sqlite3_finalize(s);
    return rc;
}

static srr_rc by_service(sqlite3 *db, json_t *arr, srr_error *err)
{
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    json_t *cur = NULL;
    s = srr_wf_prep(db, err,
                    "SELECT coalesce(nullif(service, ''), '(none)') AS svc, status, count(*)"
                    " FROM risks WHERE status NOT IN ('merged', 'rejected')"
                    " GROUP BY svc, status ORDER BY svc, status",
                    "");
    if (!s)
        return SRR_ERR;
    while (srr_wf_step(db, s, &rc, err) == 1) {
        const char *svc = (const char *)sqlite3_column_text(s, 0);
        const char *st = (const char *)sqlite3_column_text(s, 1);
        int64_t n = sqlite3_column_int64(s, 2);
        int live;
        if (!cur || strcmp(json_string_value(json_object_get(cur, "service")), svc) != 0) {
            cur = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "service", svc, "draft", 0,
                            "open", 0, "mitigating", 0, "accepted", 0, "resolved", 0, "active", 0);
            json_array_append_new(arr, cur);
        }
        json_object_set_new(cur, st, json_integer(n));
        live = strcmp(st, "draft") == 0 || strcmp(st, "open") == 0 ||
               strcmp(st, "mitigating") == 0 || strcmp(st, "accepted") == 0;
        if (live)
            json_object_set_new(
                cur, "active",
                json_integer(json_integer_value(json_object_get(cur, "active")) + n));
    }
    sqlite3_finalize(s);
    return rc;
}

/* "Quiet" measured, not guessed (DESIGN.md section 3): a risk whose thing
 * the store follows is quiet when it has been observed clear since its
 * last firing for the weeks asked (clear_since, clear_windows); one whose
 * thing was not observed at all since is listed as not observed (not
 * quiet: nobody looked). A risk stored before things existed keeps the
 * weeks since it was last seen ("measured": false). */
static srr_rc measure_quiet(srr_store *st, json_t *quiet, int64_t asof, int64_t quiet_s,
                            srr_error *err)
{
    srr_rc rc = SRR_OK;
    for (size_t i = 0; i < json_array_size(quiet) && rc == SRR_OK;) {
        json_t *row = json_array_get(quiet, i), *th = NULL;
        const char *fp = json_string_value(json_object_get(row, "fingerprint"));
        int64_t since = 0;
        rc = fp ? srr_store_thing_until(st, fp, NULL, 0, 1, asof, &th, err) : SRR_OK;
        if (rc != SRR_OK || !th) {
            json_object_set_new(row, "measured", json_false());
            i++;
            continue;
        }
        json_object_set_new(row, "measured", json_true());
        if (srr_time_parse_iso(json_string_value(json_object_get(th, "clear_since")), &since) !=
                SRR_OK ||
            since <= 0) {
            /* fired last, or never observed since: not quiet */
            json_decref(th);
            json_array_remove(quiet, i);
            continue;
        }
        if (asof - since < quiet_s) {
            json_decref(th);
            json_array_remove(quiet, i);
            continue;
        }
        json_object_set_new(row, "quiet_weeks", json_integer((asof - since) / (7 * RV_DAY)));
        json_object_set(row, "clear_since", json_object_get(th, "clear_since"));
        json_object_set(row, "clear_windows", json_object_get(th, "clear_windows"));
        json_object_set(row, "last_fired", json_object_get(th, "last_fired"));
        json_decref(th);
        i++;
    }
    return rc;
}

/* The period of o: [from, to), its label and whether it is a month. */
typedef struct rv_period {
    int64_t from, to;
    int is_month;
    char label[64];
} rv_period;

static srr_rc period_of(const srr_review_opts *o, rv_period *p, srr_error *err)
{
    char a[32], b[32];
    memset(p, 0, sizeof(*p));
    if (o->month) {
        if (srr_review_month(o->month, &p->from, &p->to) != SRR_OK)
            return srr_error_set(err, SRR_EINVAL, "--month '%s' is not YYYY-MM", o->month);
        p->is_month = 1;
    } else if (o->last_s > 0) {
        p->from = o->now - o->last_s;
        p->to = o->now + 1; /* up to now, included */
    } else if (o->from > 0) {
        p->from = o->from;
        p->to = o->to > 0 ? o->to : o->now + 1;
    } else {
        p->from = month_start(o->now, 0);
        p->to = month_start(o->now, 1);
        p->is_month = 1;
    }
    if (p->to <= p->from)
        return srr_error_set(err, SRR_EINVAL, "the period ends before it starts");
    if (p->is_month) {
        struct tm tm;
        time_t tt = (time_t)p->from;
        gmtime_r(&tt, &tm);
        snprintf(p->label, sizeof p->label, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    } else {
        srr_time_iso(p->from, a);
        srr_time_iso(p->to - 1, b);
        snprintf(p->label, sizeof p->label, "%.10s to %.10s", a, b);
    }
    return SRR_OK;
}

/* Risks by status at the end of each of the last n months (a month's
 * review) or of the n periods as long as this one, the last ending with
 * it; a period still running is counted as of asof. */
static srr_rc history_of(sqlite3 *db, const rv_period *p, int n, int64_t asof, json_t *history,
                         srr_error *err)
{
    srr_rc rc = SRR_OK;
    for (int i = n - 1; rc == SRR_OK && i >= 0; i--) {
        int64_t end = p->is_month ? month_start(p->from, -i + 1) : p->to - (p->to - p->from) * i;
        json_t *h = json_object();
        char label[32];
        if (p->is_month) {
            struct tm tm;
            time_t tt = (time_t)month_start(p->from, -i);
            gmtime_r(&tt, &tm);
            snprintf(label, sizeof(label), "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
            json_object_set_new(h, "month", json_string(label));
        } else {
            srr_time_iso(end - 1, label);
            label[10] = '\0';
        }
        json_object_set_new(h, "label", json_string(label));
        json_object_set_new(h, "until", srr_wf_time(end < asof + 1 ? end : asof + 1));
        rc = status_at(db, end < asof + 1 ? end : asof + 1, h, err);
        json_array_append_new(history, h);
    }
    return rc;
}

/* One section of the report: its key and query. The query's parameters
 * are bound by `types` from, in order, the values named by `args`:
 * a = as of, f = from, t = to, s = stale after, q = quiet after,
 * r = retire after. */
typedef struct rv_section {
    const char *key, *args, *sql;
} rv_section;

/* (The SQL keeps its own layout.) */
/* clang-format off */
static const rv_section SECTIONS[] = {
    {"drafts", "a",
     "SELECT 'risk' AS kind, id, title, service, urgency, assignee,"
     " created_at, (?1 - created_at) / 86400 AS age_days FROM risks"
     " WHERE status = 'draft' AND created_at <= ?1"
     " UNION ALL SELECT 'backlog', id, title, service, urgency, assignee,"
     " created_at, (?1 - created_at) / 86400 FROM backlog"
     " WHERE status = 'draft' AND created_at <= ?1"
     " ORDER BY created_at, kind DESC, id"},
    {"unowned", "a",
     "SELECT 'risk' AS kind, id, status, title, service, urgency,"
     " approved_by, approved_at FROM risks"
     " WHERE status IN ('open', 'mitigating')"
     " AND coalesce(assignee, '') = '' AND created_at <= ?1"
     " ORDER BY urgency DESC, id"},
    /* The meeting's agenda: every open and mitigating risk, most urgent
     * first, then the one that has waited longest for a person. */
    {"open_risks", "a",
     "SELECT *, (?1 - moved_at) / 86400 AS moved_days, moved_by || ': ' || moved_action"
     " AS last_move FROM (SELECT 'risk' AS kind, r.id,"
     " r.status, r.urgency, r.service, r.assignee, r.next_action, " RV_MOVED("risk") ","
     " r.title FROM risks r WHERE r.status IN ('open', 'mitigating') AND r.created_at <= ?1)"
     " ORDER BY urgency DESC, moved_at, id"},
    {"new", "ft",
     "SELECT 'risk' AS kind, id, status, title, service, urgency,"
     " assignee, created_at FROM risks"
     " WHERE created_at >= ?1 AND created_at < ?2 ORDER BY id"},
    {"resolved", "ft",
     "SELECT 'risk' AS kind, r.id, r.status, r.title, r.service,"
     " r.urgency, r.assignee, max(a.at) AS resolved_at, a.actor AS resolved_by"
     " FROM audit a JOIN risks r ON r.id = a.record_id"
     " WHERE a.record_kind = 'risk' AND a.action = 'resolve'"
     " AND a.at >= ?1 AND a.at < ?2 GROUP BY r.id ORDER BY r.id"},
    {"accepted", "ft",
     "SELECT 'risk' AS kind, r.id, r.status, r.title, r.service,"
     " r.urgency, r.assignee, max(a.at) AS accepted_at,"
     " r.next_review_at, a.why FROM audit a JOIN risks r"
     " ON r.id = a.record_id WHERE a.record_kind = 'risk'"
     " AND a.action = 'accept' AND a.at >= ?1 AND a.at < ?2"
     " GROUP BY r.id ORDER BY r.id"},
    {"investigations_opened", "ft",
     "SELECT 'investigation' AS kind, id, status, urgency, service, assignee, opened_at,"
     " deadline, outcome, title FROM investigations"
     " WHERE opened_at >= ?1 AND opened_at < ?2 ORDER BY opened_at, id"},
    {"investigations_promoted", "ft",
     "SELECT 'investigation' AS kind, i.id, i.urgency, i.service, a.at AS promoted_at,"
     " 'SRR-' || i.risk_id AS risk, a.why, i.title FROM audit a JOIN investigations i"
     " ON i.id = a.record_id WHERE a.record_kind = 'investigation' AND a.action = 'promote'"
     " AND a.at >= ?1 AND a.at < ?2 ORDER BY a.at, i.id"},
    {"investigations_closed", "ft",
     "SELECT 'investigation' AS kind, i.id, i.urgency, i.service, a.at AS closed_at,"
     " coalesce(i.outcome, json_extract(a.after, '$.outcome')) AS outcome,"
     " a.actor AS closed_by, a.why, i.title FROM audit a JOIN investigations i"
     " ON i.id = a.record_id WHERE a.record_kind = 'investigation'"
     " AND a.action IN ('close', 'resolve') AND json_valid(a.after)"
     " AND a.at >= ?1 AND a.at < ?2 ORDER BY a.at, i.id"},
    {"stale", "as",
     "SELECT * FROM (SELECT 'risk' AS kind, r.id, r.status, r.title,"
     " r.service, r.urgency, r.assignee, " RV_TOUCHED("risk") " AS last_touched"
     " FROM risks r WHERE r.status IN ('open', 'mitigating')) WHERE last_touched <= ?1 - ?2"
     " ORDER BY last_touched, id"},
    {"quiet", "aq",
     "SELECT 'risk' AS kind, id, status, title, service, urgency,"
     " assignee, last_seen, (?1 - coalesce(last_seen, created_at))"
     " / 604800 AS quiet_weeks, 'resolve or accept' AS suggest,"
     " fingerprint FROM risks WHERE status IN ('open', 'mitigating')"
     " AND coalesce(last_seen, created_at) <= ?1 - ?2"
     " ORDER BY coalesce(last_seen, created_at), id"},
    /* Each active record (its thing's values are added with the records). */
    {"things", "",
     "SELECT 'risk' AS kind, id, status, title FROM risks WHERE status IN"
     " ('draft', 'open', 'mitigating', 'accepted') UNION ALL SELECT 'investigation', id,"
     " status, title FROM investigations WHERE status = 'open'"
     " UNION ALL SELECT 'backlog', id, status, title FROM backlog"
     " WHERE status IN ('draft', 'accepted') ORDER BY 1 DESC, 2"},
    {"review_due", "a",
     "SELECT 'risk' AS kind, id, title, service, urgency, assignee,"
     " next_review_at, (?1 - next_review_at) / 86400 AS overdue_days"
     " FROM risks WHERE status = 'accepted'"
     " AND next_review_at IS NOT NULL AND next_review_at <= ?1"
     " ORDER BY next_review_at, id"},
    {"retire", "ar",
     "SELECT * FROM (SELECT 'risk' AS kind, r.id, r.status, r.title,"
     " r.service, r.urgency, r.assignee, r.created_at, " RV_TOUCHED("risk") " AS last_touched"
     " FROM risks r WHERE r.urgency = 0 AND r.status IN ('draft', 'open', 'mitigating')"
     " UNION ALL SELECT 'backlog', r.id, r.status, r.title,"
     " r.service, r.urgency, r.assignee, r.created_at, " RV_TOUCHED("backlog") " FROM backlog r"
     " WHERE r.urgency = 0 AND r.status IN ('draft', 'accepted'))"
     " WHERE last_touched <= ?1 - ?2 ORDER BY created_at, kind DESC, id"},
    {NULL, NULL, NULL},
};
/* clang-format on */

/* Runs one section's query into a new array at rep[sec->key]. */
static srr_rc run_section(sqlite3 *db, const rv_section *sec, const int64_t *vals, json_t *rep,
                          srr_error *err)
{
    static const char NAMES[] = "aftsqr";
    int64_t v[2] = {0, 0};
    json_t *arr = json_array();
    sqlite3_stmt *s;
    size_t n = strlen(sec->args);
    for (size_t i = 0; i < n && i < 2; i++)
        v[i] = vals[strchr(NAMES, sec->args[i]) - NAMES];
    s = srr_wf_prep(db, err, sec->sql, n == 2 ? "ii" : n == 1 ? "i" : "", v[0], v[1]);
    json_object_set_new(rep, sec->key, arr);
    return collect(db, s, arr, err);
}

/* counts: the size of each array section. */
static void count_sections(json_t *rep)
{
    json_t *counts = json_object();
    for (int i = 0; SECTIONS[i].key; i++)
        if (strcmp(SECTIONS[i].key, "things") != 0)
            json_object_set_new(
                counts, SECTIONS[i].key,
                json_integer((json_int_t)json_array_size(json_object_get(rep, SECTIONS[i].key))));
    json_object_set_new(rep, "counts", counts);
}

srr_rc srr_review_build(srr_store *st, const srr_team_config *team, const srr_review_opts *o,
                        json_t **out, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    json_t *rep = json_object(), *history = json_array(), *a_svc = json_array(), *load = NULL;
    int64_t asof, vals[6];
    int months = o->history_months > 0 ? o->history_months : 6;
    rv_period p;
    srr_rc rc;

    *out = NULL;
    rc = period_of(o, &p, err);
    if (rc != SRR_OK)
        goto done;
    asof = o->now < p.to ? o->now : p.to - 1;
    vals[0] = asof;
    vals[1] = p.from;
    vals[2] = p.to;
    vals[3] = team && team->stale_s > 0 ? team->stale_s : 30 * RV_DAY;
    vals[4] = o->quiet_s > 0 ? o->quiet_s : 28 * RV_DAY;
    vals[5] = o->retire_s > 0 ? o->retire_s : 90 * RV_DAY;

    for (int i = 0; rc == SRR_OK && SECTIONS[i].key; i++)
        rc = run_section(db, &SECTIONS[i], vals, rep, err);
    if (rc == SRR_OK)
        rc = measure_quiet(st, json_object_get(rep, "quiet"), asof, vals[4], err);
    /* The records the sections name, with their links and values; the
     * things section and the agenda take their values from there. */
    if (rc == SRR_OK)
        rc = srr_rv_records(st, rep, asof, err);
    if (rc == SRR_OK)
        rc = by_service(db, a_svc, err);
    if (rc == SRR_OK)
        rc = srr_wf_team_load(st, team, &load, err);
    if (rc == SRR_OK)
        rc = history_of(db, &p, months, asof, history, err);
    if (rc != SRR_OK)
        goto done;

    json_object_set_new(rep, "period",
                        json_pack("{s:s, s:s, s:o, s:o}", "kind", p.is_month ? "month" : "range",
                                  "label", p.label, "from", srr_wf_time(p.from), "to",
                                  srr_wf_time(p.to)));
    if (p.is_month)
        json_object_set_new(rep, "month", json_string(p.label));
    json_object_set_new(rep, "from", srr_wf_time(p.from));
    json_object_set_new(rep, "to", srr_wf_time(p.to));
    json_object_set_new(rep, "as_of", srr_wf_time(asof));
    json_object_set_new(rep, "stale_after_days", json_integer(vals[3] / RV_DAY));
    json_object_set_new(rep, "quiet_weeks", json_integer(vals[4] / (7 * RV_DAY)));
    json_object_set_new(rep, "retire_after_days", json_integer(vals[5] / RV_DAY));
    count_sections(rep);
    json_object_set(rep, "load", load);
    json_object_set(rep, "by_service", a_svc);
    json_object_set(rep, "history", history);
    *out = rep;
    rep = NULL;
done:
    json_decref(rep);
    json_decref(history);
    json_decref(a_svc);
    json_decref(load);
    return rc;
}
