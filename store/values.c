/* SPDX-License-Identifier: Apache-2.0
 *
 * values.c - the value of a thing over time (DESIGN.md section 3, "Things
 * and observations"): for `srr risks show`, `srr investigations show`,
 * their JSON and the monthly review. Its observations are grouped per
 * time (one sweep window, or one alert): the status (firing when any
 * member fired), the worst value, how many members fired, and for a trend
 * with a limit the days left to it (from the record's evidence). Also
 * what "quiet" is, measured: the last time it fired, since when it is
 * clear, and in how many windows it was observed clear since. Reads only.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "wf_sql.h"

#define VALUES_MAX_MEMBERS 50 /* members listed per thing */

static const char *const BARS[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};

/* A sparkline of the values (NaN: "·"), scaled from 0 (or a lower
 * negative value) to their max. */
static char *chart(const double *v, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    srr_buf b;
    srr_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i])) {
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
    if (lo > 0)
        lo = 0; /* bars from zero: 20.1 against 20.2 is no step */
    for (size_t i = 0; i < n; i++) {
        int k = isnan(v[i]) ? -1 : hi > lo ? (int)((v[i] - lo) / (hi - lo) * 7 + 0.5) : 3;
        srr_buf_printf(&b, "%s", k < 0 ? "·" : BARS[k]);
    }
    return b.data ? srr_buf_steal(&b) : srr_strdup("");
}

static json_t *value_json(double v, const char *unit, const char *key, json_t *o)
{
    char text[48];
    if (isnan(v))
        return o;
    json_object_set_new(o, key, json_real(v));
    srr_rules_fmt_value(v, unit, text, sizeof text);
    {
        char *k = srr_asprintf("%s_text", key);
        json_object_set_new(o, k, json_string(text));
        free(k);
    }
    return o;
}

/* days_to_limit of the evidence of record (kind, id) observed at `at`
 * (NaN when none says it). */
static double days_at(sqlite3 *db, const char *kind, int64_t id, int64_t at)
{
    srr_error err = {0};
    srr_rc rc = SRR_OK;
    double d = NAN;
    sqlite3_stmt *s;
    if (!kind)
        return NAN;
    s = srr_wf_prep(db, &err,
                    "SELECT json_extract(evidence, '$.aggregate.days_to_limit') FROM evidence"
                    " WHERE record_kind = ?1 AND record_id = ?2 AND observed_at = ?3"
                    " AND json_valid(evidence) ORDER BY status = 'firing' DESC LIMIT 1",
                    "tii", kind, id, at);
    if (s && srr_wf_step(db, s, &rc, &err) == 1 && sqlite3_column_type(s, 0) != SQLITE_NULL)
        d = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return d;
}

srr_rc srr_store_thing_of(srr_store *st, const char *fp, const char *kind, int64_t id, size_t max,
                          json_t **out, srr_error *err)
{
    return srr_store_thing_until(st, fp, kind, id, max, INT64_MAX, out, err);
}

/* The thing's own row: *o gets {fingerprint, source, check, group, title
 * and unit when it has one} (NULL when the store has no such thing: one
 * stored before things existed), *unit its unit (the caller frees it) and
 * *worse 1 when a higher value is worse, -1 when a lower one is. */
static srr_rc thing_row(sqlite3 *db, const char *fp, json_t **o, char **unit, int *worse,
                        srr_error *err)
{
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = srr_wf_prep(db, err,
                                  "SELECT source, check_name, grp, title, unit, worse FROM things"
                                  " WHERE fingerprint = ?1",
                                  "t", fp);
    *o = NULL;
    *unit = NULL;
    *worse = 1;
    if (!s)
        return SRR_ERR;
    if (srr_wf_step(db, s, &rc, err) == 1) {
        *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "fingerprint", fp, "source",
                       (const char *)sqlite3_column_text(s, 0), "check",
                       (const char *)sqlite3_column_text(s, 1), "group",
                       (const char *)sqlite3_column_text(s, 2), "title",
                       (const char *)sqlite3_column_text(s, 3));
        *unit = srr_strdup((const char *)sqlite3_column_text(s, 4));
        *worse = sqlite3_column_int(s, 5) < 0 ? -1 : 1;
        if (*unit)
            json_object_set_new(*o, "unit", json_string(*unit));
    }
    sqlite3_finalize(s);
    return rc;
}

/* Adds o.members: the thing's members by name, the first
 * VALUES_MAX_MEMBERS. A failed step sets *rc. */
static void add_members(sqlite3 *db, const char *fp, json_t *o, srr_rc *rc, srr_error *err)
{
    json_t *members = json_array();
    sqlite3_stmt *s = srr_wf_prep(db, err,
                                  "SELECT member FROM thing_members WHERE fingerprint = ?1"
                                  " ORDER BY member LIMIT ?2",
                                  "ti", fp, (int64_t)VALUES_MAX_MEMBERS);
    while (s && srr_wf_step(db, s, rc, err) == 1)
        json_array_append_new(members, json_string((const char *)sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    json_object_set_new(o, "members", members);
}

/* Adds o.windows, the last `max` times the thing was observed up to
 * `until`, oldest first (status, the worst value, members firing, and
 * days_to_limit from the evidence of record kind/id), o.chart of their
 * values and o.latest. Returns the time of the last observation (0:
 * none). A failed step sets *rc. */
static int64_t add_windows(sqlite3 *db, const char *fp, const char *kind, int64_t id, size_t max,
                           int worse, int64_t until, const char *unit, json_t *o, srr_rc *rc,
                           srr_error *err)
{
    json_t *wins = json_array();
    double *vals = srr_calloc(max ? max : 1, sizeof *vals);
    size_t nw = 0;
    int64_t last_at = 0;
    char *c;
    sqlite3_stmt *s = srr_wf_prep(
        db, err,
        "SELECT at, max(status = 'firing'), CASE WHEN ?3 > 0 THEN max(value) ELSE min(value) END,"
        " sum(status = 'firing'), count(DISTINCT coalesce(member, '')) FROM sightings"
        " WHERE fingerprint = ?1 AND at <= ?4 GROUP BY at ORDER BY at DESC LIMIT ?2",
        "tiii", fp, (int64_t)max, (int64_t)worse, until);
    while (s && srr_wf_step(db, s, rc, err) == 1) {
        int64_t at = sqlite3_column_int64(s, 0);
        double v = srr_wf_real(s, 2);
        json_t *w = json_pack("{s:o, s:s, s:I, s:I}", "at", srr_wf_time(at), "status",
                              sqlite3_column_int(s, 1) ? "firing" : "clear", "firing_members",
                              (json_int_t)sqlite3_column_int64(s, 3), "members",
                              (json_int_t)sqlite3_column_int64(s, 4));
        double days = days_at(db, kind, id, at);
        value_json(v, unit, "value", w);
        if (!isnan(days))
            json_object_set_new(w, "days_to_limit", json_real(days));
        json_array_insert_new(wins, 0, w);
        memmove(vals + 1, vals, nw * sizeof *vals);
        vals[0] = v;
        nw++;
        if (!last_at)
            last_at = at;
    }
    sqlite3_finalize(s);
    json_object_set_new(o, "windows", wins);
    c = chart(vals, nw);
    json_object_set_new(o, "chart", json_string(c));
    free(c);
    if (nw) {
        json_t *l = json_object_get(json_array_get(wins, nw - 1), "value");
        value_json(l ? json_real_value(l) : NAN, unit, "latest", o);
    }
    free(vals);
    return last_at;
}

/* Adds quiet, measured, up to `until`: o.worst (of every observation),
 * o.last_observed (last_at), o.last_fired, and since the last firing
 * o.clear_since and in how many windows it was observed clear
 * (o.clear_windows). A failed step sets *rc. */
static void add_quiet(sqlite3 *db, const char *fp, int worse, int64_t until, int64_t last_at,
                      const char *unit, json_t *o, srr_rc *rc, srr_error *err)
{
    double worst = NAN;
    int64_t last_fired = 0, clear_since = 0, clear_windows = 0;
    sqlite3_stmt *s = srr_wf_prep(db, err,
                                  "SELECT max(CASE WHEN status = 'firing' THEN at END),"
                                  " CASE WHEN ?2 > 0 THEN max(value) ELSE min(value) END"
                                  " FROM sightings WHERE fingerprint = ?1 AND at <= ?3",
                                  "tii", fp, (int64_t)worse, until);
    if (s && srr_wf_step(db, s, rc, err) == 1) {
        last_fired = sqlite3_column_int64(s, 0);
        worst = srr_wf_real(s, 1);
    }
    sqlite3_finalize(s);
    s = srr_wf_prep(db, err,
                    "SELECT min(at), count(DISTINCT at) FROM sightings WHERE fingerprint = ?1"
                    " AND status <> 'firing' AND at > ?2 AND at <= ?3",
                    "tii", fp, last_fired, until);
    if (s && srr_wf_step(db, s, rc, err) == 1) {
        clear_since = sqlite3_column_int64(s, 0);
        clear_windows = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    value_json(worst, unit, "worst", o);
    json_object_set_new(o, "last_observed", srr_wf_time(last_at));
    json_object_set_new(o, "last_fired", srr_wf_time(last_fired));
    json_object_set_new(o, "clear_since", srr_wf_time(clear_since));
    json_object_set_new(o, "clear_windows", json_integer(clear_windows));
}

srr_rc srr_store_thing_until(srr_store *st, const char *fp, const char *kind, int64_t id,
                             size_t max, int64_t until, json_t **out, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    json_t *o;
    char *unit;
    int worse;
    int64_t last_at;
    srr_rc rc = thing_row(db, fp, &o, &unit, &worse, err);
    *out = NULL;
    if (!o)
        return rc; /* stored before things existed: no thing */
    add_members(db, fp, o, &rc, err);
    last_at = add_windows(db, fp, kind, id, max, worse, until, unit, o, &rc, err);
    add_quiet(db, fp, worse, until, last_at, unit, o, &rc, err);
    free(unit);
    if (rc != SRR_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return SRR_OK;
}
