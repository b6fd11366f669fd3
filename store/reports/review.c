/* SPDX-License-Identifier: Apache-2.0
 *
 * review.c - the data of the monthly review (review.h). Each section is one
 * SQL query over risks, backlog and the audit; rows come back as JSON with
 * human ids, urgency names and ISO times. "Touched" means a change by a
 * person (an audit entry whose actor is not the writer) or the creation;
 * evidence arriving does not count as attention. The status history
 * replays the audit: a record's status at a time is the record status the
 * last audit entry before that time set (draft when none did; the
 * writer's evidence entries carry the *signal* status, which is skipped).
 */
#include "review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"
#include "wf_sql.h"
#include "workflow.h"

#define RV_DAY 86400
#define RV_WRITER "srr-writer"

/* Last human change of a record r of kind K (SQL text fragment). */
#define RV_TOUCHED(K)                                                                              \
    "max(r.created_at, coalesce((SELECT max(a.at) FROM audit a WHERE a.record_kind = '" K "'"      \
    " AND a.record_id = r.id AND a.actor <> '" RV_WRITER "'), 0))"

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
           strcmp(n, "first_seen") == 0 || strcmp(n, "last_touched") == 0;
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
                snprintf(hid, sizeof(hid), "%s%lld",
                         kind && strcmp(kind, "backlog") == 0 ? "BL-" : "SRR-",
                         (long long)json_integer_value(v));
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
        rc = fp ? srr_store_thing_of(st, fp, NULL, 0, 1, &th, err) : SRR_OK;
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

/* Each active record's thing, window by window (the chart, latest, worst,
 * members), for the review. */
static srr_rc things(srr_store *st, json_t *out, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_wf_prep(
        db, err,
        "SELECT 'risk', id, status, title, fingerprint FROM risks WHERE status IN"
        " ('draft', 'open', 'mitigating', 'accepted') UNION ALL SELECT 'investigation', id,"
        " status, title, fingerprint FROM investigations WHERE status = 'open'"
        " UNION ALL SELECT 'backlog', id, status, title, fingerprint FROM backlog"
        " WHERE status IN ('draft', 'accepted') ORDER BY 1 DESC, 2",
        "");
    if (!s)
        return SRR_ERR;
    while (srr_wf_step(db, s, &rc, err) == 1) {
        const char *kind = (const char *)sqlite3_column_text(s, 0);
        int64_t id = sqlite3_column_int64(s, 1);
        json_t *th = NULL;
        char hid[32];
        srr_rc r2 =
            srr_store_thing_of(st, (const char *)sqlite3_column_text(s, 4), kind, id, 12, &th, err);
        if (r2 != SRR_OK) {
            rc = r2;
            break;
        }
        if (!th)
            continue;
        snprintf(hid, sizeof hid, "%s%lld",
                 strcmp(kind, "risk") == 0      ? "SRR-"
                 : strcmp(kind, "backlog") == 0 ? "BL-"
                                                : "INV-",
                 (long long)id);
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:s, s:O, s:O, s:O, s:O, s:O, s:I, s:O}", "id", hid,
                           "status", (const char *)sqlite3_column_text(s, 2), "title",
                           (const char *)sqlite3_column_text(s, 3), "chart",
                           json_object_get(th, "chart"), "latest",
                           json_object_get(th, "latest_text") ? json_object_get(th, "latest_text")
                                                              : json_null(),
                           "worst",
                           json_object_get(th, "worst_text") ? json_object_get(th, "worst_text")
                                                             : json_null(),
                           "last_fired", json_object_get(th, "last_fired"), "group",
                           json_object_get(th, "group"), "members",
                           (json_int_t)json_array_size(json_object_get(th, "members")), "windows",
                           json_object_get(th, "windows")));
        json_decref(th);
    }
    sqlite3_finalize(s);
    return rc;
}

srr_rc srr_review_build(srr_store *st, const srr_team_config *team, const srr_review_opts *o,
                        json_t **out, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    json_t *rep = json_object(), *counts = json_object(), *history = json_array();
    json_t *a_drafts = json_array(), *a_new = json_array(), *a_res = json_array();
    json_t *a_acc = json_array(), *a_stale = json_array(), *a_quiet = json_array();
    json_t *a_due = json_array(), *a_retire = json_array(), *a_svc = json_array();
    json_t *a_unowned = json_array();
    json_t *a_things = json_array();
    json_t *load = NULL;
    int64_t from, to, asof, stale_s, quiet_s, retire_s;
    int months = o->history_months > 0 ? o->history_months : 6, i;
    char label[32];
    srr_rc rc = SRR_OK;

    *out = NULL;
    if (o->month) {
        if (srr_review_month(o->month, &from, &to) != SRR_OK) {
            rc = srr_error_set(err, SRR_EINVAL, "--month '%s' is not YYYY-MM", o->month);
            goto done;
        }
    } else {
        from = month_start(o->now, 0);
        to = month_start(o->now, 1);
    }
    asof = o->now < to ? o->now : to - 1;
    stale_s = team && team->stale_s > 0 ? team->stale_s : 30 * RV_DAY;
    quiet_s = o->quiet_s > 0 ? o->quiet_s : 28 * RV_DAY;
    retire_s = o->retire_s > 0 ? o->retire_s : 90 * RV_DAY;

    rc = collect(db,
                 srr_wf_prep(db, err,
                             "SELECT 'risk' AS kind, id, title, service, urgency, assignee,"
                             " created_at, (?1 - created_at) / 86400 AS age_days FROM risks"
                             " WHERE status = 'draft' AND created_at <= ?1"
                             " UNION ALL SELECT 'backlog', id, title, service, urgency, assignee,"
                             " created_at, (?1 - created_at) / 86400 FROM backlog"
                             " WHERE status = 'draft' AND created_at <= ?1"
                             " ORDER BY created_at, kind DESC, id",
                             "i", asof),
                 a_drafts, err);
    if (rc == SRR_OK)
        rc = collect(db,
                     srr_wf_prep(db, err,
                                 "SELECT 'risk' AS kind, id, status, title, service, urgency,"
                                 " approved_by, approved_at FROM risks"
                                 " WHERE status IN ('open', 'mitigating')"
                                 " AND coalesce(assignee, '') = '' AND created_at <= ?1"
                                 " ORDER BY urgency DESC, id",
                                 "i", asof),
                     a_unowned, err);
    if (rc == SRR_OK)
        rc = collect(db,
                     srr_wf_prep(db, err,
                                 "SELECT 'risk' AS kind, id, status, title, service, urgency,"
                                 " assignee, created_at FROM risks"
                                 " WHERE created_at >= ?1 AND created_at < ?2 ORDER BY id",
                                 "ii", from, to),
                     a_new, err);
    if (rc == SRR_OK)
        rc = collect(
            db,
            srr_wf_prep(db, err,
                        "SELECT 'risk' AS kind, r.id, r.status, r.title, r.service,"
                        " r.urgency, r.assignee, max(a.at) AS resolved_at, a.actor AS resolved_by"
                        " FROM audit a JOIN risks r ON r.id = a.record_id"
                        " WHERE a.record_kind = 'risk' AND a.action = 'resolve'"
                        " AND a.at >= ?1 AND a.at < ?2 GROUP BY r.id ORDER BY r.id",
                        "ii", from, to),
            a_res, err);
    if (rc == SRR_OK)
        rc = collect(db,
                     srr_wf_prep(db, err,
                                 "SELECT 'risk' AS kind, r.id, r.status, r.title, r.service,"
                                 " r.urgency, r.assignee, max(a.at) AS accepted_at,"
                                 " r.next_review_at, a.why FROM audit a JOIN risks r"
                                 " ON r.id = a.record_id WHERE a.record_kind = 'risk'"
                                 " AND a.action = 'accept' AND a.at >= ?1 AND a.at < ?2"
                                 " GROUP BY r.id ORDER BY r.id",
                                 "ii", from, to),
                     a_acc, err);
    if (rc == SRR_OK)
        rc =
            collect(db,
                    srr_wf_prep(db, err,
                                "SELECT * FROM (SELECT 'risk' AS kind, r.id, r.status, r.title,"
                                " r.service, r.urgency, r.assignee, " RV_TOUCHED(
                                    "risk") " AS last_touched FROM risks r WHERE r.status IN"
                                            " ('open', 'mitigating')) WHERE last_touched <= ?1 - ?2"
                                            " ORDER BY last_touched, id",
                                "ii", asof, stale_s),
                    a_stale, err);
    if (rc == SRR_OK)
        rc = collect(db,
                     srr_wf_prep(db, err,
                                 "SELECT 'risk' AS kind, id, status, title, service, urgency,"
                                 " assignee, last_seen, (?1 - coalesce(last_seen, created_at))"
                                 " / 604800 AS quiet_weeks, 'resolve or accept' AS suggest,"
                                 " fingerprint FROM risks WHERE status IN ('open', 'mitigating')"
                                 " AND coalesce(last_seen, created_at) <= ?1 - ?2"
                                 " ORDER BY coalesce(last_seen, created_at), id",
                                 "ii", asof, quiet_s),
                     a_quiet, err);
    if (rc == SRR_OK)
        rc = measure_quiet(st, a_quiet, asof, quiet_s, err);
    if (rc == SRR_OK)
        rc = things(st, a_things, err);
    if (rc == SRR_OK)
        rc = collect(db,
                     srr_wf_prep(db, err,
                                 "SELECT 'risk' AS kind, id, title, service, urgency, assignee,"
                                 " next_review_at, (?1 - next_review_at) / 86400 AS overdue_days"
                                 " FROM risks WHERE status = 'accepted'"
                                 " AND next_review_at IS NOT NULL AND next_review_at <= ?1"
                                 " ORDER BY next_review_at, id",
                                 "i", asof),
                     a_due, err);
    if (rc == SRR_OK)
        rc = collect(
            db,
            srr_wf_prep(db, err,
                        "SELECT * FROM (SELECT 'risk' AS kind, r.id, r.status, r.title,"
                        " r.service, r.urgency, r.assignee, r.created_at,"
                        " " RV_TOUCHED(
                            "risk") " AS last_touched FROM risks r"
                                    " WHERE r.urgency = 0 AND r.status IN ('draft', 'open',"
                                    " 'mitigating')"
                                    " UNION ALL SELECT 'backlog', r.id, r.status, r.title,"
                                    " r.service, r.urgency, r.assignee, r.created_at,"
                                    " " RV_TOUCHED("backlog") " FROM backlog r"
                                                              " WHERE r.urgency = 0 AND r.status "
                                                              "IN ('draft', 'accepted'))"
                                                              " WHERE last_touched <= ?1 - ?2 "
                                                              "ORDER BY created_at, kind DESC, id",
                        "ii", asof, retire_s),
            a_retire, err);
    if (rc == SRR_OK)
        rc = by_service(db, a_svc, err);
    if (rc == SRR_OK)
        rc = srr_wf_team_load(st, team, &load, err);
    for (i = months - 1; rc == SRR_OK && i >= 0; i--) {
        int64_t ms = month_start(from, -i), me = month_start(from, -i + 1);
        json_t *h = json_object();
        struct tm tm;
        time_t tt = (time_t)ms;
        gmtime_r(&tt, &tm);
        snprintf(label, sizeof(label), "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
        json_object_set_new(h, "month", json_string(label));
        rc = status_at(db, me < asof + 1 ? me : asof + 1, h, err);
        json_array_append_new(history, h);
    }
    if (rc != SRR_OK)
        goto done;

    {
        struct tm tm;
        time_t tt = (time_t)from;
        gmtime_r(&tt, &tm);
        snprintf(label, sizeof(label), "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    }
    json_object_set_new(rep, "month", json_string(label));
    json_object_set_new(rep, "from", srr_wf_time(from));
    json_object_set_new(rep, "to", srr_wf_time(to));
    json_object_set_new(rep, "as_of", srr_wf_time(asof));
    json_object_set_new(rep, "stale_after_days", json_integer(stale_s / RV_DAY));
    json_object_set_new(rep, "quiet_weeks", json_integer(quiet_s / (7 * RV_DAY)));
    json_object_set_new(rep, "retire_after_days", json_integer(retire_s / RV_DAY));
    json_object_set_new(counts, "drafts", json_integer((json_int_t)json_array_size(a_drafts)));
    json_object_set_new(counts, "unowned", json_integer((json_int_t)json_array_size(a_unowned)));
    json_object_set_new(counts, "new", json_integer((json_int_t)json_array_size(a_new)));
    json_object_set_new(counts, "resolved", json_integer((json_int_t)json_array_size(a_res)));
    json_object_set_new(counts, "accepted", json_integer((json_int_t)json_array_size(a_acc)));
    json_object_set_new(counts, "stale", json_integer((json_int_t)json_array_size(a_stale)));
    json_object_set_new(counts, "quiet", json_integer((json_int_t)json_array_size(a_quiet)));
    json_object_set_new(counts, "review_due", json_integer((json_int_t)json_array_size(a_due)));
    json_object_set_new(counts, "retire", json_integer((json_int_t)json_array_size(a_retire)));
    json_object_set(rep, "counts", counts);
    json_object_set(rep, "drafts", a_drafts);
    json_object_set(rep, "unowned", a_unowned);
    json_object_set(rep, "new", a_new);
    json_object_set(rep, "resolved", a_res);
    json_object_set(rep, "accepted", a_acc);
    json_object_set(rep, "stale", a_stale);
    json_object_set(rep, "quiet", a_quiet);
    json_object_set(rep, "review_due", a_due);
    json_object_set(rep, "retire", a_retire);
    json_object_set(rep, "load", load);
    json_object_set(rep, "by_service", a_svc);
    json_object_set(rep, "history", history);
    json_object_set(rep, "things", a_things);
    *out = rep;
    rep = NULL;
done:
    json_decref(rep);
    json_decref(counts);
    json_decref(history);
    json_decref(a_drafts);
    json_decref(a_unowned);
    json_decref(a_new);
    json_decref(a_res);
    json_decref(a_acc);
    json_decref(a_stale);
    json_decref(a_quiet);
    json_decref(a_due);
    json_decref(a_retire);
    json_decref(a_svc);
    json_decref(a_things);
    json_decref(load);
    return rc;
}
