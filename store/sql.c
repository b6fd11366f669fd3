/* SPDX-License-Identifier: Apache-2.0
 *
 * sql.c - the store's SQL toolkit (store_priv.h): binding, stepping and
 * resetting the statements prepared once at open, transactions, the audit
 * and log entries every record change leaves, and the JSON of a row for
 * the reads.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "store_priv.h"
#include "wf_sql.h"

const char *const SRR_ST_REC_NAME[3] = {"risk", "backlog", "investigation"};
const char *const SRR_ST_REC_PREFIX[3] = {"SRR-", "BL-", "INV-"};

srr_rc srr_st_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return SRR_RETRY;
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE: return SRR_EINVAL;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return SRR_EIO;
    default: return SRR_ERR;
    }
}

srr_rc srr_st_fail(srr_store *st, int rc, const char *what, srr_error *err)
{
    return srr_error_set(err, srr_st_rc(rc), "store: %s: %s", what, sqlite3_errmsg(st->db));
}

void srr_st_hid(rec_kind k, int64_t id, char out[32])
{
    snprintf(out, 32, "%s%lld", SRR_ST_REC_PREFIX[k], (long long)id);
}

/* Binds parameters 1..n from `types`: 't' text (NULL -> NULL), 'i' int64,
 * 'r' reference id (int64, <= 0 -> NULL), 'd' double, 'b' blob (pointer,
 * size_t). Strings are bound SQLITE_STATIC: they must outlive the step. */
static int vbind(sqlite3_stmt *s, const char *types, va_list ap)
{
    int i, rc = SQLITE_OK;
    for (i = 0; types[i] && rc == SQLITE_OK; i++) {
        int idx = i + 1;
        switch (types[i]) {
        case 't': {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(s, idx, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, idx);
            break;
        }
        case 'i': rc = sqlite3_bind_int64(s, idx, va_arg(ap, int64_t)); break;
        case 'r': {
            int64_t v = va_arg(ap, int64_t);
            rc = v > 0 ? sqlite3_bind_int64(s, idx, v) : sqlite3_bind_null(s, idx);
            break;
        }
        case 'd': rc = sqlite3_bind_double(s, idx, va_arg(ap, double)); break;
        case 'D': {
            double v = va_arg(ap, double);
            rc = isfinite(v) ? sqlite3_bind_double(s, idx, v) : sqlite3_bind_null(s, idx);
            break;
        }
        case 'b': {
            const void *p = va_arg(ap, const void *);
            size_t n = va_arg(ap, size_t);
            rc = sqlite3_bind_blob64(s, idx, p ? p : "", (sqlite3_uint64)n, SQLITE_STATIC);
            break;
        }
        default: rc = SQLITE_MISUSE;
        }
    }
    return rc;
}

void srr_st_done(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

/* Returns statement q with its parameters bound, ready to step; the caller
 * finishes with srr_st_done(). NULL (err set) when binding failed. */
sqlite3_stmt *srr_st_prep(srr_store *st, enum srr_stmt_id q, srr_error *err, const char *types, ...)
{
    sqlite3_stmt *s = st->q[q];
    va_list ap;
    int rc;
    va_start(ap, types);
    rc = vbind(s, types, ap);
    va_end(ap);
    if (rc != SQLITE_OK) {
        srr_st_fail(st, rc, "bind", err);
        srr_st_done(s);
        return NULL;
    }
    return s;
}

/* Steps a statement without result rows to completion and resets it. */
srr_rc srr_st_exec(srr_store *st, sqlite3_stmt *s, const char *what, srr_error *err)
{
    int rc;
    if (!s)
        return err ? err->code : SRR_ERR;
    rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        srr_rc r = srr_st_fail(st, rc, what, err);
        srr_st_done(s);
        return r;
    }
    srr_st_done(s);
    return SRR_OK;
}

/* Steps a query: 1 = a row is ready, 0 = done (statement reset), <0 = error
 * (err set, statement reset). */
int srr_st_next(srr_store *st, sqlite3_stmt *s, srr_rc *rc, srr_error *err)
{
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        return 1;
    if (r == SQLITE_DONE) {
        srr_st_done(s);
        return 0;
    }
    *rc = srr_st_fail(st, r, "query", err);
    srr_st_done(s);
    return -1;
}

int srr_st_first(srr_store *st, sqlite3_stmt *s, srr_rc *rc, srr_error *err)
{
    if (!s) {
        *rc = err ? err->code : SRR_ERR;
        return -1;
    }
    return srr_st_next(st, s, rc, err);
}

const char *srr_st_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

/* A JSON string from bytes that may not be valid UTF-8: invalid input is
 * kept readable with non-ASCII bytes shown as '?'. New reference. */
json_t *srr_st_json_bytes(const char *p, size_t n)
{
    json_t *j;
    char *copy;
    size_t i;
    if (!p)
        return json_string(""); /* SQLite returns NULL for empty blobs */
    j = json_stringn(p, n);
    if (j)
        return j;
    copy = srr_malloc(n + 1);
    for (i = 0; i < n; i++)
        copy[i] = (unsigned char)p[i] < 0x80 ? p[i] : '?';
    copy[n] = '\0';
    j = json_stringn(copy, n);
    free(copy);
    return j ? j : json_null();
}

json_t *srr_st_json_text(const char *s)
{
    return s ? srr_st_json_bytes(s, strlen(s)) : json_null();
}

json_t *srr_st_json_time(int64_t t)
{
    char buf[32];
    srr_time_iso(t, buf);
    return json_string(buf);
}

static const char *urgency_name(int64_t u)
{
    if (u < 0 || u >= SRR_URGENCY__COUNT)
        return "unknown";
    return srr_urgency_name((srr_urgency)u);
}

static int is_time_column(const char *name)
{
    size_t n = strlen(name);
    return strcmp(name, "at") == 0 || (n > 3 && strcmp(name + n - 3, "_at") == 0) ||
           strcmp(name, "first_seen") == 0 || strcmp(name, "last_seen") == 0 ||
           strcmp(name, "deadline") == 0;
}

/* The current row as a JSON object keyed by column name: `id` becomes the
 * human id of `kind`, risk references become "SRR-n", times ISO-8601,
 * urgency its name, labels an array, NULL null. New reference. */
json_t *srr_st_row_json(sqlite3_stmt *s, rec_kind kind)
{
    json_t *o = json_object();
    int i, n = sqlite3_column_count(s);
    for (i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(s, i);
        int type = sqlite3_column_type(s, i);
        json_t *v;
        if (type == SQLITE_NULL) {
            v = json_null();
        } else if (strcmp(name, "id") == 0) {
            char hid[32];
            srr_st_hid(kind, sqlite3_column_int64(s, i), hid);
            v = json_string(hid);
        } else if (strcmp(name, "merged_into") == 0 || strcmp(name, "reopened_from") == 0 ||
                   strcmp(name, "risk_id") == 0) {
            char hid[32];
            srr_st_hid(REC_RISK, sqlite3_column_int64(s, i), hid);
            v = json_string(hid);
        } else if (strcmp(name, "urgency") == 0) {
            v = json_string(urgency_name(sqlite3_column_int64(s, i)));
        } else if (is_time_column(name) && type == SQLITE_INTEGER) {
            v = srr_st_json_time(sqlite3_column_int64(s, i));
        } else if (type == SQLITE_INTEGER) {
            v = json_integer(sqlite3_column_int64(s, i));
        } else if (type == SQLITE_FLOAT) {
            v = json_real(sqlite3_column_double(s, i));
        } else if (strcmp(name, "labels") == 0) { /* stored as a JSON array's text */
            v = json_loadb((const char *)sqlite3_column_blob(s, i),
                           (size_t)sqlite3_column_bytes(s, i), 0, NULL);
            if (!json_is_array(v)) {
                json_decref(v);
                v = json_array();
            }
        } else {
            v = srr_st_json_bytes((const char *)sqlite3_column_blob(s, i),
                                  (size_t)sqlite3_column_bytes(s, i));
        }
        json_object_set_new(o, name, v);
    }
    return o;
}

void srr_st_stats_add(srr_apply_stats *dst, const srr_apply_stats *src)
{
    if (!dst)
        return;
    dst->received += src->received;
    dst->duplicates += src->duplicates;
    dst->new_risks += src->new_risks;
    dst->new_backlog += src->new_backlog;
    dst->new_investigations += src->new_investigations;
    dst->evidence += src->evidence;
    dst->ignored += src->ignored;
    dst->promoted += src->promoted;
    dst->closed += src->closed;
    dst->quarantined += src->quarantined;
    dst->untracked += src->untracked;
    dst->waiting += src->waiting;
}

/* ---- transactions ------------------------------------------------------ */

srr_rc srr_st_begin(srr_store *st, srr_error *err)
{
    return ST_EXEC(st, Q_BEGIN, err, "");
}

srr_rc srr_st_commit(srr_store *st, srr_error *err)
{
    srr_rc rc = SRR_OK;
    /* a batch's staged queue position goes in with it (store_internal.h) */
    if (st->npos)
        rc = srr_positions_write(st->db, st->pos_key, st->pos, st->npos, srr_now(), err);
    if (rc == SRR_OK)
        rc = ST_EXEC(st, Q_COMMIT, err, "");
    if (rc == SRR_OK)
        st->npos = 0;
    if (rc == SRR_OK) { /* the things registered are stored now */
        for (size_t i = 0; i < st->things_pending.cap; i++)
            if (st->things_pending.slot[i])
                srr_strset_add(&st->things, st->things_pending.slot[i]);
    }
    srr_strset_clear(&st->things_pending);
    return rc;
}

void srr_st_rollback(srr_store *st)
{
    srr_strset_clear(&st->things_pending);
    if (!sqlite3_get_autocommit(st->db)) {
        sqlite3_step(st->q[Q_ROLLBACK]);
        srr_st_done(st->q[Q_ROLLBACK]);
    }
}

/* ---- a set of strings ------------------------------------------------ */

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int srr_strset_has(const srr_strset *set, const char *s)
{
    if (!set->cap)
        return 0;
    for (size_t i = str_hash(s) & (set->cap - 1); set->slot[i]; i = (i + 1) & (set->cap - 1))
        if (strcmp(set->slot[i], s) == 0)
            return 1;
    return 0;
}

void srr_strset_add(srr_strset *set, const char *s)
{
    if (srr_strset_has(set, s))
        return;
    if (set->n >= SRR_KNOWN_MAX)
        srr_strset_clear(set);
    if ((set->n + 1) * 4 > set->cap * 3) {
        size_t cap = set->cap ? set->cap * 2 : 256;
        char **slot = srr_calloc(cap, sizeof *slot);
        for (size_t i = 0; i < set->cap; i++) {
            if (!set->slot[i])
                continue;
            size_t j = str_hash(set->slot[i]) & (cap - 1);
            while (slot[j])
                j = (j + 1) & (cap - 1);
            slot[j] = set->slot[i];
        }
        free(set->slot);
        set->slot = slot;
        set->cap = cap;
    }
    size_t j = str_hash(s) & (set->cap - 1);
    while (set->slot[j])
        j = (j + 1) & (set->cap - 1);
    set->slot[j] = srr_strdup(s);
    set->n++;
}

void srr_strset_clear(srr_strset *set)
{
    for (size_t i = 0; i < set->cap; i++)
        free(set->slot[i]);
    free(set->slot);
    memset(set, 0, sizeof *set);
}

/* ---- audit and logs --------------------------------------------------- */

/* Appends an audit entry. before/after are JSON values (borrowed, may be
 * NULL) stored as compact text with sorted keys. */
srr_rc srr_st_audit_by(srr_store *st, int64_t now, const char *actor, const char *kind, int64_t id,
                       const char *action, json_t *before, json_t *after, const char *why,
                       srr_error *err)
{
    char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    srr_rc rc =
        ST_EXEC(st, Q_AUDIT_INSERT, err, "ittrtttt", now, actor, kind, id, action, b, a, why);
    free(b);
    free(a);
    return rc;
}

srr_rc srr_st_audit(srr_store *st, int64_t now, const char *kind, int64_t id, const char *action,
                    json_t *before, json_t *after, const char *why, srr_error *err)
{
    return srr_st_audit_by(st, now, SRR_WRITER_ACTOR, kind, id, action, before, after, why, err);
}

srr_rc srr_st_log(srr_store *st, rec_kind kind, int64_t id, const char *section, int64_t at,
                  const char *author, const char *text, srr_error *err)
{
    return ST_EXEC(st, Q_LOG_INSERT, err, "tititt", SRR_ST_REC_NAME[kind], id, section, at, author,
                   text);
}

/* Starts a JSON text in the store's scratch buffer (see struct srr_store)
 * and returns the buffer. It has no max, so appending to it (jsonw.h)
 * cannot fail. */
srr_buf *srr_st_scratch(srr_store *st)
{
    st->text.len = 0;
    if (st->text.data)
        st->text.data[0] = '\0';
    return &st->text;
}

srr_rc srr_st_parse_id(const char *s, rec_kind kind, int64_t *out, srr_error *err)
{
    /* One parser of human ids for the whole store (wf_sql.c); the kinds are
     * declared in the same order. */
    return srr_wf_parse_id(s, (srr_wf_kind)kind, out, err);
}

double srr_st_obs_value(const srr_signal *sig)
{
    if (sig->evidence && json_is_true(json_object_get(sig->evidence, "no_data")))
        return NAN;
    /* A webhook alert carries no measured value unless its payload gave one
     * (with its unit). */
    if (sig->source == SRR_SRC_WEBHOOK && sig->value == 0 && !sig->unit)
        return NAN;
    return isfinite(sig->value) ? sig->value : NAN;
}

int64_t srr_st_judged_at(const srr_signal *sig)
{
    return sig->window_end > 0 ? sig->window_end : sig->observed_at;
}

void srr_apply_stats_add(srr_apply_stats *dst, const srr_apply_stats *src)
{
    srr_st_stats_add(dst, src);
}

/* ---- queue positions (store_internal.h) -------------------------------- */

void srr_store_stage_position(srr_store *st, const char *key, const srr_queue_pos *pos, size_t n)
{
    st->npos = 0;
    if (n == 0 || !key)
        return;
    if (!st->pos_key || strcmp(st->pos_key, key) != 0) {
        free(st->pos_key);
        st->pos_key = srr_strdup(key);
    }
    if (n > st->cappos) {
        st->pos = srr_realloc(st->pos, n * sizeof(*st->pos));
        st->cappos = n;
    }
    memcpy(st->pos, pos, n * sizeof(*pos));
    st->npos = n;
}

srr_rc srr_store_save_position(srr_store *st, const char *key, const srr_queue_pos *pos, size_t n,
                               srr_error *err)
{
    srr_rc rc;
    if (n == 0)
        return SRR_OK;
    srr_store_stage_position(st, key, pos, n);
    rc = srr_st_begin(st, err);
    if (rc == SRR_OK)
        rc = srr_st_commit(st, err);
    if (rc != SRR_OK)
        srr_st_rollback(st);
    return rc;
}
