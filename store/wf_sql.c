/* SPDX-License-Identifier: Apache-2.0
 *
 * wf_sql.c - the SQL toolkit of workflow*.c, review.c and export.c (see
 * wf_sql.h): prepare with bound parameters, step with error mapping, one
 * shot statements, transactions, rows as JSON, human ids and urgencies.
 */
#include "wf_sql.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "candidate.h"

const char *const SRR_WF_KIND_NAME[3] = {"risk", "backlog", "investigation"};
const char *const SRR_WF_PREFIX[3] = {"SRR-", "BL-", "INV-"};

int srr_wf_vbind(sqlite3_stmt *s, int first, const char *types, va_list ap)
{
    int i, r = SQLITE_OK;
    for (i = 0; types[i] && r == SQLITE_OK; i++) {
        int at = first + i;
        switch (types[i]) {
        case 'i': r = sqlite3_bind_int64(s, at, va_arg(ap, int64_t)); break;
        case 'd': r = sqlite3_bind_double(s, at, va_arg(ap, double)); break;
        case 'n': r = sqlite3_bind_null(s, at); break;
        case 't': {
            const char *t = va_arg(ap, const char *);
            r = t ? sqlite3_bind_text(s, at, t, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, at);
            break;
        }
        default: r = SQLITE_MISUSE; break;
        }
    }
    return r;
}

static sqlite3_stmt *vprep(sqlite3 *db, srr_error *err, const char *sql, const char *types,
                           va_list ap)
{
    sqlite3_stmt *s = NULL;
    int r = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (r == SQLITE_OK)
        r = srr_wf_vbind(s, 1, types, ap);
    if (r != SQLITE_OK) {
        srr_error_set(err, SRR_ERR, "store: %s", sqlite3_errmsg(db));
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

sqlite3_stmt *srr_wf_prep(sqlite3 *db, srr_error *err, const char *sql, const char *types, ...)
{
    va_list ap;
    sqlite3_stmt *s;
    va_start(ap, types);
    s = vprep(db, err, sql, types, ap);
    va_end(ap);
    return s;
}

int srr_wf_step(sqlite3 *db, sqlite3_stmt *s, srr_rc *rc, srr_error *err)
{
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        return 1;
    if (r == SQLITE_DONE)
        return 0;
    r &= 0xff;
    *rc = r == SQLITE_BUSY || r == SQLITE_LOCKED ? SRR_RETRY
          : r == SQLITE_CONSTRAINT               ? SRR_EINVAL
                                                 : SRR_ERR;
    if (*rc == SRR_RETRY)
        srr_error_set(err, *rc, "store: the database is busy (another srr holds it); try again");
    else
        srr_error_set(err, *rc, "store: %s", sqlite3_errmsg(db));
    return -1;
}

srr_rc srr_wf_exec(sqlite3 *db, srr_error *err, const char *sql, const char *types, ...)
{
    va_list ap;
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    va_start(ap, types);
    s = vprep(db, err, sql, types, ap);
    va_end(ap);
    if (!s)
        return SRR_ERR;
    while (srr_wf_step(db, s, &rc, err) == 1)
        ;
    sqlite3_finalize(s);
    return rc;
}

srr_rc srr_wf_int(sqlite3 *db, srr_error *err, int64_t *out, const char *sql, const char *types,
                  ...)
{
    va_list ap;
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    *out = 0;
    va_start(ap, types);
    s = vprep(db, err, sql, types, ap);
    va_end(ap);
    if (!s)
        return SRR_ERR;
    if (srr_wf_step(db, s, &rc, err) == 1)
        *out = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc;
}

srr_rc srr_wf_begin(sqlite3 *db, srr_error *err)
{
    return srr_wf_exec(db, err, "BEGIN IMMEDIATE", "");
}

srr_rc srr_wf_commit(sqlite3 *db, srr_error *err)
{
    return srr_wf_exec(db, err, "COMMIT", "");
}

void srr_wf_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

const char *srr_wf_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

double srr_wf_real(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

json_t *srr_wf_real_or_null(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? json_null()
                                                    : json_real(sqlite3_column_double(s, i));
}

json_t *srr_wf_row(sqlite3_stmt *s)
{
    json_t *o = json_object();
    int i, n = sqlite3_column_count(s);
    for (i = 0; i < n; i++) {
        json_t *v;
        switch (sqlite3_column_type(s, i)) {
        case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(s, i)); break;
        case SQLITE_FLOAT: v = json_real(sqlite3_column_double(s, i)); break;
        case SQLITE_NULL: v = json_null(); break;
        default: {
            const char *t = (const char *)sqlite3_column_text(s, i);
            v = json_stringn(t ? t : "", (size_t)sqlite3_column_bytes(s, i));
            if (!v)
                v = json_string("(not UTF-8)");
            break;
        }
        }
        json_object_set_new(o, sqlite3_column_name(s, i), v);
    }
    return o;
}

json_t *srr_wf_time(int64_t t)
{
    char buf[32];
    if (t <= 0)
        return json_null();
    srr_time_iso(t, buf);
    return json_string(buf);
}

int srr_wf_kind_index(const char *kind)
{
    int k;
    for (k = 0; k < 3; k++)
        if (kind && strcmp(kind, SRR_WF_KIND_NAME[k]) == 0)
            return k;
    return -1;
}

srr_rc srr_wf_parse_id(const char *s, srr_wf_kind kind, int64_t *out, srr_error *err)
{
    const char *p = s ? s : "";
    size_t plen = strlen(SRR_WF_PREFIX[kind]);
    char *end = NULL;
    long long v;
    if (strncasecmp(p, SRR_WF_PREFIX[kind], plen) == 0)
        p += plen;
    if (*p < '0' || *p > '9')
        goto bad;
    errno = 0;
    v = strtoll(p, &end, 10);
    if (errno || *end || v <= 0)
        goto bad;
    *out = v;
    return SRR_OK;
bad:
    return srr_error_set(err, SRR_ENOTFOUND, "no %s '%s' (ids look like %s12)",
                         SRR_WF_KIND_NAME[kind], s ? s : "", SRR_WF_PREFIX[kind]);
}

srr_rc srr_wf_parse_any_id(const char *s, srr_wf_kind *kind, int64_t *out, srr_error *err)
{
    int k;
    for (k = 0; k < 3; k++) {
        if (s && strncasecmp(s, SRR_WF_PREFIX[k], strlen(SRR_WF_PREFIX[k])) == 0) {
            *kind = (srr_wf_kind)k;
            return srr_wf_parse_id(s, (srr_wf_kind)k, out, err);
        }
    }
    *kind = SRR_WF_RISK;
    if (srr_wf_parse_id(s, SRR_WF_RISK, out, NULL) == SRR_OK)
        return SRR_OK;
    return srr_error_set(err, SRR_ENOTFOUND, "no record '%s' (ids look like SRR-1, BL-2, INV-3)",
                         s ? s : "");
}

const char *srr_wf_urgency_name(int64_t u)
{
    if (u < 0 || u >= SRR_URGENCY__COUNT)
        return "unknown";
    return srr_urgency_name((srr_urgency)u);
}

int srr_wf_urgency_parse(const char *s)
{
    int u;
    for (u = 0; s && u < SRR_URGENCY__COUNT; u++)
        if (strcasecmp(s, srr_urgency_name((srr_urgency)u)) == 0)
            return u;
    return -1;
}

json_t *srr_wf_text_or_null(const char *s)
{
    json_t *v;
    if (!s || !*s)
        return json_null();
    v = json_string(s);
    return v ? v : json_null();
}

srr_rc srr_wf_load_row(sqlite3 *db, const char *table, int64_t id, json_t **out, srr_error *err)
{
    char *sql = srr_asprintf("SELECT * FROM %s WHERE id = ?1", table);
    sqlite3_stmt *s = srr_wf_prep(db, err, sql, "i", id);
    srr_rc rc = SRR_OK;
    int r;
    free(sql);
    *out = NULL;
    if (!s)
        return SRR_ERR;
    r = srr_wf_step(db, s, &rc, err);
    if (r == 1)
        *out = srr_wf_row(s);
    else if (r == 0)
        rc = SRR_ENOTFOUND;
    sqlite3_finalize(s);
    return rc;
}

const char *srr_wf_jtext(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

int64_t srr_wf_jint(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}
