/* SPDX-License-Identifier: Apache-2.0
 *
 * store.c - the SQLite system of record (store.h). Opens the database in WAL
 * mode, applies the migrations of schema.h, prepares every statement once,
 * and implements the writer semantics of DESIGN.md section 3: idempotent
 * apply by candidate id, evidence on the open record of a fingerprint,
 * draft risks / backlog items / investigations per action, regressions of
 * resolved risks, investigation deadlines, quarantine, the append-only
 * audit log, and the JSON reads the CLI prints.
 *
 * Reading order: helpers (bind/step/JSON), open/close/migrate, apply (one
 * candidate, then the batch transaction), deadlines, quarantine, reads.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "jsonw.h"
#include "log.h"
#include "rules.h"
#include "schema.h"
#include "store.h"
#include "store_internal.h"
#include "wf_sql.h"

#define SRR_WRITER_ACTOR "srr-writer"
#define SRR_QUARANTINE_MAX_PAYLOAD (64 * 1024)
#define SRR_EVIDENCE_RECENT 10
#define SRR_DEFAULT_TIMEBOX_S (7 * 86400) /* investigate without a time-box */
#define SRR_MERGE_HOPS 8                  /* bound on following merged_into */
#define SRR_TEXT_MAX (64 * 1024)          /* bound on generated overviews */

/* An open store. Invariant: every q[i] is prepared and reset (no pending
 * row, no bindings) between calls into this file. */
struct srr_store {
    sqlite3 *db;
    sqlite3_stmt *q[Q__COUNT];
    const srr_ruleset *rules; /* borrowed; NULL: keep the producer's action */
    srr_buf text;             /* scratch for the JSON texts of one statement (jsonw.h):
                                 filled, bound SQLITE_STATIC, stepped, then reused */
    srr_apply_stats stream;   /* what the open stream transaction did (store_internal.h) */
};

/* What the final decision adds to a record beyond the candidate. */
typedef struct rec_extra {
    const char *labels;     /* JSON array text or NULL */
    const char *impact, *likelihood;
    json_t *decision;       /* {rule, effect, why, tried...} for the audit (borrowed) */
} rec_extra;

#define SRR_HISTORY_SIGHTINGS 1000 /* most recent sightings a decision sees */

typedef enum { REC_RISK = 0, REC_BACKLOG, REC_INV } rec_kind;

static const char *const REC_NAME[] = {"risk", "backlog", "investigation"};
static const char *const REC_PREFIX[] = {"SRR-", "BL-", "INV-"};

/* ---- small helpers ---------------------------------------------------- */

static srr_rc rc_from_sqlite(int rc)
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

static srr_rc db_fail(srr_store *st, int rc, const char *what, srr_error *err)
{
    return srr_error_set(err, rc_from_sqlite(rc), "store: %s: %s", what, sqlite3_errmsg(st->db));
}

static void human_id(rec_kind k, int64_t id, char out[32])
{
    snprintf(out, 32, "%s%lld", REC_PREFIX[k], (long long)id);
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

static void stmt_done(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

/* Returns statement q with its parameters bound, ready to step; the caller
 * finishes with stmt_done(). NULL (err set) when binding failed. */
static sqlite3_stmt *prep(srr_store *st, enum srr_stmt_id q, srr_error *err, const char *types, ...)
{
    sqlite3_stmt *s = st->q[q];
    va_list ap;
    int rc;
    va_start(ap, types);
    rc = vbind(s, types, ap);
    va_end(ap);
    if (rc != SQLITE_OK) {
        db_fail(st, rc, "bind", err);
        stmt_done(s);
        return NULL;
    }
    return s;
}

/* Steps a statement without result rows to completion and resets it. */
static srr_rc exec_stmt(srr_store *st, sqlite3_stmt *s, const char *what, srr_error *err)
{
    int rc;
    if (!s)
        return err ? err->code : SRR_ERR;
    rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        srr_rc r = db_fail(st, rc, what, err);
        stmt_done(s);
        return r;
    }
    stmt_done(s);
    return SRR_OK;
}

#define EXEC(st, q, err, ...) exec_stmt((st), prep((st), (q), (err), __VA_ARGS__), #q, (err))

/* Steps a query: 1 = a row is ready, 0 = done (statement reset), <0 = error
 * (err set, statement reset). */
static int next_row(srr_store *st, sqlite3_stmt *s, srr_rc *rc, srr_error *err)
{
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        return 1;
    if (r == SQLITE_DONE) {
        stmt_done(s);
        return 0;
    }
    *rc = db_fail(st, r, "query", err);
    stmt_done(s);
    return -1;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

/* A JSON string from bytes that may not be valid UTF-8: invalid input is
 * kept readable with non-ASCII bytes shown as '?'. New reference. */
static json_t *json_bytes(const char *p, size_t n)
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

static json_t *json_text(const char *s)
{
    return s ? json_bytes(s, strlen(s)) : json_null();
}

static json_t *json_time(int64_t t)
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
static json_t *row_to_json(sqlite3_stmt *s, rec_kind kind)
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
            human_id(kind, sqlite3_column_int64(s, i), hid);
            v = json_string(hid);
        } else if (strcmp(name, "merged_into") == 0 || strcmp(name, "reopened_from") == 0 ||
                   strcmp(name, "risk_id") == 0) {
            char hid[32];
            human_id(REC_RISK, sqlite3_column_int64(s, i), hid);
            v = json_string(hid);
        } else if (strcmp(name, "urgency") == 0) {
            v = json_string(urgency_name(sqlite3_column_int64(s, i)));
        } else if (is_time_column(name) && type == SQLITE_INTEGER) {
            v = json_time(sqlite3_column_int64(s, i));
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
            v = json_bytes((const char *)sqlite3_column_blob(s, i),
                           (size_t)sqlite3_column_bytes(s, i));
        }
        json_object_set_new(o, name, v);
    }
    return o;
}

static void stats_add(srr_apply_stats *dst, const srr_apply_stats *src)
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
}

/* ---- transactions ------------------------------------------------------ */

static srr_rc tx_begin(srr_store *st, srr_error *err)
{
    return EXEC(st, Q_BEGIN, err, "");
}

static srr_rc tx_commit(srr_store *st, srr_error *err)
{
    return EXEC(st, Q_COMMIT, err, "");
}

static void tx_rollback(srr_store *st)
{
    if (!sqlite3_get_autocommit(st->db)) {
        sqlite3_step(st->q[Q_ROLLBACK]);
        stmt_done(st->q[Q_ROLLBACK]);
    }
}

/* ---- open / close / migrations ---------------------------------------- */

static srr_rc exec_sql(srr_store *st, const char *sql, srr_error *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        srr_rc r =
            srr_error_set(err, rc_from_sqlite(rc), "store: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return r;
    }
    return SRR_OK;
}

static int read_user_version(srr_store *st)
{
    sqlite3_stmt *s = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Applies pending migrations in one IMMEDIATE transaction, reading the
 * version inside it so two processes opening a new file at once do not
 * both migrate. */
static srr_rc migrate(srr_store *st, const char *path, srr_error *err)
{
    srr_rc rc;
    int v;
    rc = exec_sql(st, "BEGIN IMMEDIATE", err);
    if (rc != SRR_OK)
        return rc;
    v = read_user_version(st);
    if (v < 0) {
        rc = srr_error_set(err, SRR_EIO, "store: %s: cannot read the schema version: %s", path,
                           sqlite3_errmsg(st->db));
        goto fail;
    }
    if (v > SRR_SCHEMA_VERSION) {
        rc = srr_error_set(err, SRR_EINVAL,
                           "store: %s has schema version %d, newer than this srr knows (%d); "
                           "upgrade srr",
                           path, v, SRR_SCHEMA_VERSION);
        goto fail;
    }
    for (; v < SRR_SCHEMA_VERSION; v++) {
        char *set;
        rc = exec_sql(st, SRR_MIGRATIONS[v], err);
        if (rc != SRR_OK) {
            srr_error_prefix(err, "migration %d", v + 1);
            goto fail;
        }
        set = srr_asprintf("PRAGMA user_version = %d", v + 1);
        rc = exec_sql(st, set, err);
        free(set);
        if (rc != SRR_OK)
            goto fail;
        srr_info("store: %s migrated to schema version %d", path, v + 1);
    }
    return exec_sql(st, "COMMIT", err);
fail:
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

srr_rc srr_store_open(const char *path, srr_store **out, srr_error *err)
{
    srr_store *st;
    srr_rc rc;
    int i, r;
    *out = NULL;
    if (!path || !*path)
        return srr_error_set(err, SRR_EINVAL, "store: no database path configured");
    /* A store that exists keeps its owner (SQLite gives its -wal and -shm
     * the database's owner even when root opens it); one root would create
     * in the service user's directory would not. */
    if (access(path, F_OK) != 0 && (rc = srr_state_check_owner(path, "the store", err)) != SRR_OK)
        return rc;
    st = srr_calloc(1, sizeof(*st));
    r = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (r != SQLITE_OK) {
        rc = srr_error_set(err, SRR_EIO, "store: cannot open %s: %s", path,
                           st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(r));
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, 5000);
    /* WAL: readers (CLI, review page) never block the writer.
     * synchronous=FULL: every COMMIT fsyncs the WAL before it returns. The
     * writer commits the queue position (fsync'ed) right after the store's
     * COMMIT, so with NORMAL a power cut could keep the moved position and
     * lose the batch it covered. FULL costs one fsync per batch, not per
     * candidate, which the batching makes cheap. */
    rc = exec_sql(st,
                  "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                  " PRAGMA foreign_keys = ON;",
                  err);
    if (rc != SRR_OK) {
        srr_error_prefix(err, "%s", path);
        rc = rc == SRR_RETRY ? rc : SRR_EIO;
        if (err)
            err->code = rc;
        goto fail;
    }
    rc = migrate(st, path, err);
    if (rc != SRR_OK)
        goto fail;
    for (i = 0; i < Q__COUNT; i++) {
        r = sqlite3_prepare_v3(st->db, SRR_STMT_SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &st->q[i],
                               NULL);
        if (r != SQLITE_OK) {
            rc = srr_error_set(err, SRR_ERR, "store: cannot prepare statement %d: %s", i,
                               sqlite3_errmsg(st->db));
            goto fail;
        }
    }
    *out = st;
    return SRR_OK;
fail:
    srr_store_close(&st);
    return rc;
}

void srr_store_close(srr_store **pst)
{
    srr_store *st;
    int i;
    if (!pst || !*pst)
        return;
    st = *pst;
    for (i = 0; i < Q__COUNT; i++)
        sqlite3_finalize(st->q[i]);
    if (st->db && sqlite3_close(st->db) != SQLITE_OK)
        srr_warn("store: close: %s", sqlite3_errmsg(st->db));
    srr_buf_free(&st->text);
    free(st);
    *pst = NULL;
}

void srr_store_set_rules(srr_store *st, const srr_ruleset *rs)
{
    if (st)
        st->rules = rs;
}

int srr_store_schema_version(srr_store *st)
{
    return read_user_version(st);
}

/* ---- audit and logs --------------------------------------------------- */

/* Appends an audit entry. before/after are JSON values (borrowed, may be
 * NULL) stored as compact text with sorted keys. */
static srr_rc audit_by(srr_store *st, int64_t now, const char *actor, const char *kind,
                       int64_t id, const char *action, json_t *before, json_t *after,
                       const char *why, srr_error *err)
{
    char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    srr_rc rc = EXEC(st, Q_AUDIT_INSERT, err, "ittrtttt", now, actor, kind, id, action, b, a, why);
    free(b);
    free(a);
    return rc;
}

static srr_rc audit(srr_store *st, int64_t now, const char *kind, int64_t id, const char *action,
                    json_t *before, json_t *after, const char *why, srr_error *err)
{
    return audit_by(st, now, SRR_WRITER_ACTOR, kind, id, action, before, after, why, err);
}

static srr_rc log_entry(srr_store *st, rec_kind kind, int64_t id, const char *section, int64_t at,
                        const char *author, const char *text, srr_error *err)
{
    return EXEC(st, Q_LOG_INSERT, err, "tititt", REC_NAME[kind], id, section, at, author, text);
}

/* ---- apply ------------------------------------------------------------- */

/* Starts a JSON text in the store's scratch buffer (see struct srr_store)
 * and returns the buffer. It has no max, so appending to it (jsonw.h)
 * cannot fail. */
static srr_buf *text_begin(srr_store *st)
{
    st->text.len = 0;
    if (st->text.data)
        st->text.data[0] = '\0';
    return &st->text;
}

/* The signal's evidence as bounded compact JSON text, or NULL when it has
 * none (or it is not an object or array, which json_dumps refused). The
 * text is json_dumps(evidence, JSON_COMPACT) byte for byte (or the
 * signal's evidence_json as it is), written into the store's scratch
 * buffer: valid until the next text_begin(). */
static const char *evidence_text(srr_store *st, const srr_signal *sig)
{
    srr_buf *b;
    if (sig->evidence_json) {
        b = text_begin(st);
        srr_buf_append(b, sig->evidence_json, strlen(sig->evidence_json));
    } else if (!sig->evidence ||
               !(json_is_object(sig->evidence) || json_is_array(sig->evidence))) {
        return NULL;
    } else {
        b = text_begin(st);
        srr_jsonw_value(b, sig->evidence);
    }
    if (b->len > SRR_SIGNAL_MAX_EVIDENCE_BYTES) {
        size_t n = b->len;
        text_begin(st);
        srr_buf_printf(b, "{\"truncated\":true,\"bytes\":%zu}", n);
    }
    return b->data;
}

static srr_rc add_evidence(srr_store *st, rec_kind kind, int64_t id, const srr_candidate *c,
                           srr_error *err)
{
    const srr_signal *sig = &c->signal;
    return EXEC(st, Q_EVIDENCE_INSERT, err, "tititdttt", REC_NAME[kind], id, c->id,
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

/* Creates a draft risk from a candidate; reopened_from > 0 marks a
 * regression of that (resolved) risk. */
static srr_rc create_risk(srr_store *st, const srr_candidate *c, const rec_extra *x,
                          int64_t reopened_from, int64_t now, int64_t *out_id, srr_error *err)
{
    const srr_signal *sig = &c->signal;
    char *overview = overview_text(c), *text = NULL, *reason = NULL;
    char prev[32];
    json_t *after = NULL;
    int64_t id;
    srr_rc rc;
    if (reopened_from > 0) {
        human_id(REC_RISK, reopened_from, prev);
        reason = srr_asprintf("Regression: %s was resolved and the signal fires again. %s", prev,
                              c->reason ? c->reason : "");
    }
    rc = EXEC(st, Q_RISK_INSERT, err, "ittttttttttriiiittt", (int64_t)c->urgency, title_of(c),
              sig->service, sig->env, c->fingerprint, overview, c->owner, sig->link, c->rule,
              reason ? reason : c->reason, c->id, reopened_from, sig->observed_at, sig->observed_at,
              (int64_t)1, now, x->labels, x->impact, x->likelihood);
    if (rc != SRR_OK)
        goto out;
    id = sqlite3_last_insert_rowid(st->db);
    text = srr_asprintf("Detected by %s: %s",
                        sig->source == SRR_SRC_WEBHOOK ? "Datadog monitor webhook" : "srr sweep",
                        sig->summary ? sig->summary : title_of(c));
    rc = log_entry(st, REC_RISK, id, "recognition", sig->observed_at, SRR_WRITER_ACTOR, text, err);
    if (rc == SRR_OK && reopened_from > 0) {
        free(text);
        text = srr_asprintf("Reopened: %s was resolved; the same fingerprint fires again", prev);
        rc = log_entry(st, REC_RISK, id, "recognition", sig->observed_at, SRR_WRITER_ACTOR, text,
                       err);
    }
    if (rc == SRR_OK)
        rc = add_evidence(st, REC_RISK, id, c, err);
    if (rc != SRR_OK)
        goto out;
    after = created_json(c, "draft");
    if (reopened_from > 0)
        json_object_set_new(after, "reopened_from", json_string(prev));
    if (x->decision)
        json_object_set(after, "decision", x->decision);
    rc = audit(st, now, REC_NAME[REC_RISK], id, "create", NULL, after, reason ? reason : c->reason,
               err);
    if (rc == SRR_OK)
        *out_id = id;
out:
    json_decref(after);
    free(overview);
    free(text);
    free(reason);
    return rc;
}

static srr_rc create_backlog(srr_store *st, const srr_candidate *c, const rec_extra *x,
                             int64_t now, int64_t *out_id, srr_error *err)
{
    const srr_signal *sig = &c->signal;
    char *desc = overview_text(c);
    json_t *after = NULL;
    int64_t id;
    srr_rc rc = EXEC(st, Q_BL_INSERT, err, "ittttttttttiit", (int64_t)c->urgency, title_of(c),
                     sig->service, sig->env, c->fingerprint, desc, c->owner, sig->link, c->rule,
                     c->reason, c->id, sig->observed_at, now, x->labels);
    if (rc != SRR_OK)
        goto out;
    id = sqlite3_last_insert_rowid(st->db);
    rc = add_evidence(st, REC_BACKLOG, id, c, err);
    if (rc != SRR_OK)
        goto out;
    after = created_json(c, "draft");
    if (x->decision)
        json_object_set(after, "decision", x->decision);
    rc = audit(st, now, REC_NAME[REC_BACKLOG], id, "create", NULL, after, c->reason, err);
    if (rc == SRR_OK)
        *out_id = id;
out:
    json_decref(after);
    free(desc);
    return rc;
}

static srr_rc create_investigation(srr_store *st, const srr_candidate *c, const rec_extra *x,
                                   int64_t now, int64_t *out_id, srr_error *err)
{
    const srr_signal *sig = &c->signal;
    int64_t timebox = c->timebox_s > 0 ? c->timebox_s : SRR_DEFAULT_TIMEBOX_S;
    json_t *after = NULL;
    int64_t id;
    srr_rc rc = EXEC(st, Q_INV_INSERT, err, "itttttiitttttiit", (int64_t)c->urgency,
                     title_of(c), sig->service, sig->env, c->fingerprint, c->owner, now,
                     now + timebox, srr_status_name(sig->status), sig->link, c->rule, c->reason,
                     c->id, sig->observed_at, (int64_t)1, x->labels);
    if (rc != SRR_OK)
        goto out;
    id = sqlite3_last_insert_rowid(st->db);
    rc = add_evidence(st, REC_INV, id, c, err);
    if (rc != SRR_OK)
        goto out;
    after = created_json(c, "open");
    json_object_set_new(after, "deadline", json_time(now + timebox));
    if (x->decision)
        json_object_set(after, "decision", x->decision);
    rc = audit(st, now, REC_NAME[REC_INV], id, "create", NULL, after, c->reason, err);
    if (rc == SRR_OK)
        *out_id = id;
out:
    json_decref(after);
    return rc;
}

/* Appends the signal to an open record: evidence row, last_seen and
 * occurrences (firing sightings only), investigation last_status, audit. */
static srr_rc attach_evidence(srr_store *st, const srr_candidate *c, rec_kind kind, int64_t id,
                              int64_t now, srr_error *err)
{
    const srr_signal *sig = &c->signal;
    int64_t firing = sig->status == SRR_STATUS_FIRING;
    srr_buf *after;
    srr_rc rc = add_evidence(st, kind, id, c, err);
    if (rc != SRR_OK)
        return rc;
    if (kind == REC_RISK)
        rc = EXEC(st, Q_RISK_TOUCH, err, "iiii", id, sig->observed_at, firing, now);
    else if (kind == REC_BACKLOG)
        rc = EXEC(st, Q_BL_TOUCH, err, "iiii", id, sig->observed_at, firing, now);
    else
        rc = EXEC(st, Q_INV_TOUCH, err, "iiiit", id, sig->observed_at, firing, now,
                  srr_status_name(sig->status));
    if (rc != SRR_OK)
        return rc;
    /* The audit's `after`, as json_dumps(JSON_COMPACT | JSON_SORT_KEYS)
     * of {candidate, status, summary, value} writes it (keys in order). */
    after = text_begin(st);
    SRR_JSONW_LIT(after, "{\"candidate\":");
    srr_jsonw_str(after, c->id);
    SRR_JSONW_LIT(after, ",\"status\":");
    srr_jsonw_str(after, srr_status_name(sig->status));
    SRR_JSONW_LIT(after, ",\"summary\":");
    srr_jsonw_str(after, sig->summary);
    SRR_JSONW_LIT(after, ",\"value\":");
    srr_jsonw_real(after, sig->value);
    SRR_JSONW_LIT(after, "}");
    return EXEC(st, Q_AUDIT_INSERT, err, "ittrtttt", now, SRR_WRITER_ACTOR, REC_NAME[kind], id,
                "evidence", NULL, after->data, firing ? "signal seen again" : "signal recovered");
}

/* The open-record lookups in order of preference, and the kind each finds. */
static const enum srr_stmt_id OPEN_QUERY[] = {Q_OPEN_RISK, Q_OPEN_INV, Q_OPEN_BL};
static const rec_kind OPEN_KIND[] = {REC_RISK, REC_INV, REC_BACKLOG};

/* Finds where a signal for `fp` belongs: its open record (a risk, an open
 * investigation, a backlog item, in that order of preference), or the open
 * risk a merged risk of that fingerprint was merged into. When there is
 * none and the latest risk of the fingerprint (after merges) is resolved,
 * *resolved gets its id. Returns SRR_OK with *kind = -1 when no record. */
static srr_rc find_target(srr_store *st, const char *fp, int *kind, int64_t *id, int64_t *resolved,
                          srr_error *err)
{
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    int r, hops;
    int64_t cur = 0, next = 0;
    char status[16] = "";

    *kind = -1;
    *id = 0;
    *resolved = 0;
    for (size_t i = 0; i < sizeof(OPEN_QUERY) / sizeof(OPEN_QUERY[0]); i++) {
        s = prep(st, OPEN_QUERY[i], err, "t", fp);
        if (!s)
            return err ? err->code : SRR_ERR;
        r = next_row(st, s, &rc, err);
        if (r < 0)
            return rc;
        if (r == 1) {
            *kind = OPEN_KIND[i];
            *id = sqlite3_column_int64(s, 0);
            stmt_done(s);
            return SRR_OK;
        }
    }

    s = prep(st, Q_RISK_LATEST, err, "t", fp);
    if (!s)
        return err ? err->code : SRR_ERR;
    r = next_row(st, s, &rc, err);
    if (r < 0)
        return rc;
    if (r == 0)
        return SRR_OK;
    cur = sqlite3_column_int64(s, 0);
    snprintf(status, sizeof(status), "%s", col_text(s, 1));
    next = sqlite3_column_int64(s, 2);
    stmt_done(s);

    for (hops = 0; strcmp(status, "merged") == 0 && next > 0 && hops < SRR_MERGE_HOPS; hops++) {
        s = prep(st, Q_RISK_STATUS, err, "i", next);
        if (!s)
            return err ? err->code : SRR_ERR;
        r = next_row(st, s, &rc, err);
        if (r < 0)
            return rc;
        if (r == 0)
            break;
        cur = next;
        snprintf(status, sizeof(status), "%s", col_text(s, 0));
        next = sqlite3_column_int64(s, 1);
        stmt_done(s);
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

/* The fields of an investigation that a promotion needs, copied. */
typedef struct inv_row {
    int64_t id, urgency, opened_at, deadline, first_seen, last_seen, occurrences;
    char *title, *service, *env, *fingerprint, *assignee, *last_status, *rule, *reason, *link,
        *origin, *labels, *status;
} inv_row;

static void inv_row_clear(inv_row *r)
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

static srr_rc inv_load(srr_store *st, int64_t id, inv_row *out, srr_error *err)
{
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = prep(st, Q_INV_GET, err, "i", id);
    int r;
    if (!s)
        return err ? err->code : SRR_ERR;
    r = next_row(st, s, &rc, err);
    if (r <= 0)
        return r < 0
                   ? rc
                   : srr_error_set(err, SRR_ENOTFOUND, "no investigation INV-%lld", (long long)id);
    /* Column order of SRR_INV_COLUMNS. */
    out->id = id;
    out->status = srr_strdup(col_text(s, 1));
    out->urgency = sqlite3_column_int64(s, 2);
    out->title = srr_strdup(col_text(s, 3));
    out->service = srr_strdup(col_text(s, 4));
    out->env = srr_strdup(col_text(s, 5));
    out->fingerprint = srr_strdup(col_text(s, 6));
    out->assignee = srr_strdup(col_text(s, 7));
    out->opened_at = sqlite3_column_int64(s, 8);
    out->deadline = sqlite3_column_int64(s, 9);
    out->last_status = srr_strdup(col_text(s, 10));
    out->rule = srr_strdup(col_text(s, 13));
    out->reason = srr_strdup(col_text(s, 14));
    out->link = srr_strdup(col_text(s, 15));
    out->origin = srr_strdup(col_text(s, 16));
    out->first_seen = sqlite3_column_int64(s, 17);
    out->last_seen = sqlite3_column_int64(s, 18);
    out->occurrences = sqlite3_column_int64(s, 19);
    out->labels = srr_strdup(col_text(s, 22));
    stmt_done(s);
    return SRR_OK;
}

/* Copies the investigation's recognition log and one entry per evidence
 * row into the new risk's recognition log. */
static srr_rc promote_log(srr_store *st, const inv_row *inv, int64_t risk_id, srr_error *err)
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

    human_id(REC_INV, inv->id, inv_hid);
    /* Collect first: the inserts below touch the same table being read. */
    s = prep(st, Q_LOG_OF, err, "tit", REC_NAME[REC_INV], inv->id, "recognition");
    while (s && (r = next_row(st, s, &rc, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            e = srr_realloc(e, cap * sizeof(*e));
        }
        e[n].at = sqlite3_column_int64(s, 0);
        e[n].author = srr_strdup(col_text(s, 1));
        e[n].text = srr_strdup(col_text(s, 2));
        n++;
    }
    if (!s)
        rc = err ? err->code : SRR_ERR;
    if (rc != SRR_OK)
        goto out;
    s = prep(st, Q_EVIDENCE_OF, err, "ti", REC_NAME[REC_INV], inv->id);
    while (s && (r = next_row(st, s, &rc, err)) == 1) {
        int first = nev++ == 0;
        const char *status = col_text(s, 2), *summary = col_text(s, 4);
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
        rc = log_entry(st, REC_RISK, risk_id, "recognition", inv->opened_at, SRR_WRITER_ACTOR,
                       opened, err);
        free(opened);
    }
    for (i = 0; i < n && rc == SRR_OK; i++)
        rc = log_entry(st, REC_RISK, risk_id, "recognition", e[i].at, e[i].author, e[i].text, err);
    if (rc == SRR_OK) {
        char dl[32], *text;
        srr_time_iso(inv->deadline, dl);
        text = srr_asprintf("Time-box of %s ended at %s with the signal still firing; promoted "
                            "to a draft risk",
                            inv_hid, dl);
        rc = log_entry(st, REC_RISK, risk_id, "recognition", inv->deadline, SRR_WRITER_ACTOR, text,
                       err);
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

static srr_rc promote(srr_store *st, const inv_row *inv, int64_t now, const char *why,
                      srr_error *err)
{
    char inv_hid[32], risk_hid[32], open_s[32], dl_s[32], last_s[32];
    char *overview = NULL, *outcome = NULL;
    json_t *before = NULL, *after = NULL;
    int64_t risk_id;
    srr_rc rc;

    human_id(REC_INV, inv->id, inv_hid);
    srr_time_iso(inv->opened_at, open_s);
    srr_time_iso(inv->deadline, dl_s);
    srr_time_iso(inv->last_seen, last_s);
    overview = srr_asprintf("%s\n\nThe time-boxed investigation %s (opened %s, deadline %s) "
                            "could not explain this signal; it was still firing at its last "
                            "sighting (%s).\n%s%s%s%s%s",
                            inv->title, inv_hid, open_s, dl_s, last_s, inv->link ? "Datadog: " : "",
                            inv->link ? inv->link : "", inv->link ? "\n" : "",
                            inv->reason ? "Why: " : "", inv->reason ? inv->reason : "");
    rc = EXEC(st, Q_RISK_INSERT, err, "ittttttttttriiiittt", inv->urgency, inv->title,
              inv->service, inv->env, inv->fingerprint, overview, inv->assignee, inv->link,
              inv->rule, inv->reason, inv->origin, (int64_t)0, inv->first_seen, inv->last_seen,
              inv->occurrences, now, inv->labels, (const char *)NULL, (const char *)NULL);
    if (rc != SRR_OK)
        goto out;
    risk_id = sqlite3_last_insert_rowid(st->db);
    human_id(REC_RISK, risk_id, risk_hid);
    rc = EXEC(st, Q_EVIDENCE_COPY, err, "titi", REC_NAME[REC_INV], inv->id, REC_NAME[REC_RISK],
              risk_id);
    if (rc == SRR_OK)
        rc = promote_log(st, inv, risk_id, err);
    if (rc != SRR_OK)
        goto out;
    outcome = srr_asprintf("promoted to %s", risk_hid);
    rc = EXEC(st, Q_INV_FINISH, err, "ittri", inv->id, "promoted", outcome, risk_id, now);
    if (rc != SRR_OK)
        goto out;
    before = json_pack("{s:s}", "status", "open");
    after = json_pack("{s:s, s:s}", "status", "promoted", "risk", risk_hid);
    rc = audit(st, now, REC_NAME[REC_INV], inv->id, "promote", before, after, why, err);
    json_decref(after);
    after = json_pack("{s:s, s:s, s:s, s:s}", "status", "draft", "title", inv->title, "fingerprint",
                      inv->fingerprint, "from", inv_hid);
    if (rc == SRR_OK)
        rc = audit(st, now, REC_NAME[REC_RISK], risk_id, "create", NULL, after, why, err);
out:
    json_decref(before);
    json_decref(after);
    free(overview);
    free(outcome);
    return rc;
}

static srr_rc close_inv(srr_store *st, const inv_row *inv, int64_t now, const char *why,
                        srr_error *err)
{
    json_t *before, *after;
    srr_rc rc =
        EXEC(st, Q_INV_FINISH, err, "ittri", inv->id, "closed", "stopped firing", (int64_t)0, now);
    if (rc != SRR_OK)
        return rc;
    before = json_pack("{s:s}", "status", "open");
    after = json_pack("{s:s, s:s}", "status", "closed", "outcome", "stopped firing");
    rc = audit(st, now, REC_NAME[REC_INV], inv->id, "close", before, after, why, err);
    json_decref(before);
    json_decref(after);
    return rc;
}

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
        s = prep(st, Q_INV_DEADLINE, err, "i", id);
        if (!s)
            return err ? err->code : SRR_ERR;
        if ((r = next_row(st, s, &rc, err)) < 0)
            return rc;
        if (r == 1) {
            h->inv_deadline = sqlite3_column_int64(s, 0);
            stmt_done(s);
        }
    } else if (kind < 0) {
        s = prep(st, Q_INV_LAST_CLOSED, err, "t", fp);
        if (!s)
            return err ? err->code : SRR_ERR;
        if ((r = next_row(st, s, &rc, err)) < 0)
            return rc;
        if (r == 1) {
            const char *o = col_text(s, 1);
            srr_inv_outcome oc = SRR_INV_STOPPED;
            if (o && srr_inv_outcome_parse(o, &oc) != SRR_OK)
                oc = strncmp(o, "promoted", 8) == 0 ? SRR_INV_PROMOTED : SRR_INV_STOPPED;
            h->last_inv = oc;
            h->last_inv_id = sqlite3_column_int64(s, 0);
            h->last_inv_closed_at = sqlite3_column_int64(s, 2);
            stmt_done(s);
        }
    }
    if (!with_sightings)
        return SRR_OK;
    s = prep(st, Q_SIGHTINGS_RECENT, err, "ti", fp, (int64_t)SRR_HISTORY_SIGHTINGS);
    while (s && (r = next_row(st, s, &rc, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            *sv = srr_realloc(*sv, cap * sizeof(**sv));
        }
        (*sv)[n].at = sqlite3_column_int64(s, 0);
        (*sv)[n].status = strcmp(col_text(s, 1), "recovered") == 0 ? SRR_STATUS_RECOVERED
                                                                     : SRR_STATUS_FIRING;
        (*sv)[n].value = sqlite3_column_double(s, 2);
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
    h->sightings = *sv;
    h->nsightings = n;
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
    rc = find_target(st, fingerprint, &kind, &id, &resolved, err);
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
                          d->rule_index, "action", srr_action_name(d->action), "reason",
                          d->reason, "effect", srr_effect_name(f->effect), "why", f->why);
    if (c->action != d->action)
        json_object_set_new(o, "proposed", json_string(srr_action_name(c->action)));
    if (full && st->rules) {
        srr_explanation e;
        json_t *tried = json_array();
        srr_rules_explain(st->rules, &c->signal, h, &e);
        for (size_t i = 0; i < e.n; i++)
            json_array_append_new(tried, json_pack("{s:s, s:s}", "rule", e.v[i].rule, "why",
                                                   e.v[i].why));
        srr_explanation_clear(&e);
        json_object_set_new(o, "tried", tried);
    }
    return o;
}

/* The text of decision_json(..., full = 0), as json_dumps(JSON_COMPACT)
 * writes it (members in the same order), built without a json_t: this
 * runs for every candidate that only adds evidence or a sighting. Written
 * into the store's scratch buffer: valid until the next text_begin(). */
static const char *decision_text(srr_store *st, const srr_candidate *c, const srr_final *f)
{
    const srr_decision *d = &f->decision;
    srr_buf *b = text_begin(st);
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
static srr_rc apply_one(srr_store *st, const srr_candidate *c, int64_t now, srr_apply_stats *stats,
                        srr_error *err)
{
    const srr_signal *sig = &c->signal;
    char outcome[96], hid[32];
    srr_rc rc = SRR_OK;
    int kind;
    int64_t id = 0, resolved = 0;
    srr_history hist;
    srr_sighting *sv = NULL;
    srr_decision proposed;
    srr_final fin;
    srr_candidate eff;
    rec_extra x = {0};
    char *labels = NULL;
    const char *dtext;
    json_t *dj = NULL;

    if (!c->id[0] || !c->fingerprint || !*c->fingerprint)
        return srr_error_set(err, SRR_EINVAL, "store: candidate '%s' has no %s", c->id,
                             c->id[0] ? "fingerprint" : "id");
    stats->received++;
    rc = find_target(st, c->fingerprint, &kind, &id, &resolved, err);
    if (rc == SRR_OK)
        rc = load_history(st, c->fingerprint, kind, id, resolved, now,
                          st->rules && srr_rules_uses_history(st->rules), &hist, &sv, err);
    if (rc != SRR_OK)
        goto out;
    /* The producer's proposal, as a decision (used when the store has no
     * policy of its own). */
    memset(&proposed, 0, sizeof(proposed));
    proposed.action = c->action;
    proposed.rule_index = c->rule_index;
    proposed.rule = c->rule;
    proposed.urgency = c->urgency;
    proposed.timebox_s = c->timebox_s;
    proposed.owner = c->owner;
    snprintf(proposed.reason, sizeof(proposed.reason), "%s", c->reason ? c->reason : "");
    srr_rules_decide_final(st->rules, &proposed, sig, &hist, &fin);

    /* The candidate as the final decision has it (a shallow view). */
    eff = *c;
    eff.action = fin.decision.action;
    eff.rule = (char *)fin.decision.rule;
    eff.reason = fin.decision.reason;
    eff.urgency = fin.decision.urgency;
    eff.owner = (char *)fin.decision.owner;
    eff.timebox_s = fin.decision.timebox_s;
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
     * (nothing changed, nothing more to do) from a new candidate. The
     * outcome of an effect that creates a record is filled in after. */
    if (fin.effect == SRR_EFFECT_EVIDENCE || fin.effect == SRR_EFFECT_PROMOTE) {
        human_id(fin.effect == SRR_EFFECT_PROMOTE ? REC_INV : (rec_kind)kind, id, hid);
        snprintf(outcome, sizeof(outcome),
                 fin.effect == SRR_EFFECT_PROMOTE ? "evidence %s, promoted to a draft risk"
                                                  : "evidence %s",
                 hid);
    } else if (fin.effect == SRR_EFFECT_REGRESSION || fin.effect == SRR_EFFECT_CREATE) {
        snprintf(outcome, sizeof(outcome), "pending");
    } else if (fin.decision.action == SRR_ACTION_IGNORE || sig->status == SRR_STATUS_FIRING) {
        snprintf(outcome, sizeof(outcome), "ignored: sighting only");
    } else {
        snprintf(outcome, sizeof(outcome), "recovered, no open record: sighting only");
    }
    rc = EXEC(st, Q_CAND_INSERT, err, "tttit", c->id, c->fingerprint,
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
        srr_buf *b = text_begin(st);
        srr_jsonw_value(b, dj);
        dtext = b->data;
    } else {
        dtext = decision_text(st, c, &fin);
    }
    rc = EXEC(st, Q_SIGHTING_INSERT, err, "ttitdt", c->fingerprint, c->id, sig->observed_at,
              srr_status_name(sig->status), sig->value, dtext);
    if (rc != SRR_OK)
        goto out;

    switch (fin.effect) {
    case SRR_EFFECT_EVIDENCE:
        rc = attach_evidence(st, c, (rec_kind)kind, id, now, err);
        stats->evidence++;
        break;
    case SRR_EFFECT_PROMOTE: {
        inv_row inv = {0};
        rc = attach_evidence(st, c, REC_INV, id, now, err);
        if (rc == SRR_OK)
            rc = inv_load(st, id, &inv, err);
        if (rc == SRR_OK)
            rc = promote(st, &inv, now, fin.why, err);
        inv_row_clear(&inv);
        stats->evidence++;
        stats->promoted++;
        break;
    }
    case SRR_EFFECT_REGRESSION:
        rc = create_risk(st, &eff, &x, resolved, now, &id, err);
        human_id(REC_RISK, id, hid);
        snprintf(outcome, sizeof(outcome), "regression: draft %s reopens SRR-%lld", hid,
                 (long long)resolved);
        stats->new_risks++;
        break;
    case SRR_EFFECT_CREATE:
        switch (eff.action) {
        case SRR_ACTION_RISK:
            rc = create_risk(st, &eff, &x, 0, now, &id, err);
            human_id(REC_RISK, id, hid);
            snprintf(outcome, sizeof(outcome), "created draft %s", hid);
            stats->new_risks++;
            break;
        case SRR_ACTION_BACKLOG:
            rc = create_backlog(st, &eff, &x, now, &id, err);
            human_id(REC_BACKLOG, id, hid);
            snprintf(outcome, sizeof(outcome), "created draft %s", hid);
            stats->new_backlog++;
            break;
        case SRR_ACTION_INVESTIGATE:
            rc = create_investigation(st, &eff, &x, now, &id, err);
            human_id(REC_INV, id, hid);
            snprintf(outcome, sizeof(outcome), "opened %s", hid);
            stats->new_investigations++;
            break;
        default:
            snprintf(outcome, sizeof(outcome), "ignored: sighting only");
            stats->ignored++;
            break;
        }
        break;
    default:
        if (fin.decision.action == SRR_ACTION_IGNORE || sig->status == SRR_STATUS_FIRING)
            stats->ignored++;
        break;
    }
    if (rc == SRR_OK && (fin.effect == SRR_EFFECT_REGRESSION || fin.effect == SRR_EFFECT_CREATE))
        rc = EXEC(st, Q_CAND_OUTCOME, err, "tt", c->id, outcome);
out:
    free(sv);
    free(labels);
    json_decref(dj);
    return rc;
}

static srr_rc quarantine_one(srr_store *st, const srr_store_poison *p, int64_t now,
                             srr_apply_stats *stats, srr_error *err)
{
    size_t keep = p->len > SRR_QUARANTINE_MAX_PAYLOAD ? SRR_QUARANTINE_MAX_PAYLOAD : p->len;
    json_t *after;
    srr_rc rc = EXEC(st, Q_QUAR_INSERT, err, "ittbit", now, p->origin ? p->origin : "unknown",
                     p->reason ? p->reason : "unknown reason", (const void *)p->payload, keep,
                     (int64_t)p->len, p->dedup_key);
    if (rc != SRR_OK || sqlite3_changes(st->db) == 0)
        return rc; /* a redelivered poison message already kept */
    stats->quarantined++;
    after = json_pack("{s:s, s:s, s:I}", "origin", p->origin ? p->origin : "unknown", "reason",
                      p->reason ? p->reason : "unknown reason", "bytes", (json_int_t)p->len);
    rc = audit(st, now, "quarantine", sqlite3_last_insert_rowid(st->db), "quarantine", NULL, after,
               p->reason, err);
    json_decref(after);
    return rc;
}

/* Applies candidates inside the open transaction; the error names the
 * candidate that failed. */
static srr_rc apply_many(srr_store *st, const srr_candidate *c, size_t n, int64_t now,
                         srr_apply_stats *local, srr_error *err)
{
    srr_rc rc = SRR_OK;
    size_t i;
    for (i = 0; i < n && rc == SRR_OK; i++) {
        rc = apply_one(st, &c[i], now, local, err);
        if (rc != SRR_OK)
            srr_error_prefix(err, "candidate %s", c[i].id[0] ? c[i].id : "(no id)");
    }
    return rc;
}

srr_rc srr_store_apply_batch(srr_store *st, const srr_candidate *c, size_t n,
                             const srr_store_poison *poison, size_t npoison, int64_t now,
                             srr_apply_stats *stats, srr_error *err)
{
    srr_apply_stats local = {0};
    srr_rc rc;
    size_t i;
    if (n == 0 && npoison == 0)
        return SRR_OK;
    rc = tx_begin(st, err);
    if (rc != SRR_OK)
        return rc;
    for (i = 0; i < npoison && rc == SRR_OK; i++)
        rc = quarantine_one(st, &poison[i], now, &local, err);
    if (rc == SRR_OK)
        rc = apply_many(st, c, n, now, &local, err);
    if (rc == SRR_OK)
        rc = tx_commit(st, err);
    if (rc != SRR_OK) {
        tx_rollback(st);
        return rc;
    }
    stats_add(stats, &local);
    return SRR_OK;
}

srr_rc srr_store_stream_begin(srr_store *st, srr_error *err)
{
    memset(&st->stream, 0, sizeof(st->stream));
    return tx_begin(st, err);
}

srr_rc srr_store_stream_add(srr_store *st, const srr_candidate *c, size_t n, int64_t now,
                            srr_error *err)
{
    return apply_many(st, c, n, now, &st->stream, err);
}

srr_rc srr_store_stream_commit(srr_store *st, srr_apply_stats *stats, srr_error *err)
{
    srr_rc rc = tx_commit(st, err);
    if (rc != SRR_OK) {
        tx_rollback(st);
        return rc;
    }
    stats_add(stats, &st->stream);
    return SRR_OK;
}

void srr_store_stream_abort(srr_store *st)
{
    tx_rollback(st);
}

srr_rc srr_store_apply(srr_store *st, const srr_candidate *c, size_t n, int64_t now,
                       srr_apply_stats *stats, srr_error *err)
{
    return srr_store_apply_batch(st, c, n, NULL, 0, now, stats, err);
}

srr_rc srr_store_quarantine(srr_store *st, const char *origin, const char *payload, size_t len,
                            const char *reason, int64_t now, srr_error *err)
{
    srr_store_poison p = {origin, payload, len, reason, NULL};
    return srr_store_apply_batch(st, NULL, 0, &p, 1, now, NULL, err);
}

/* ---- investigation deadlines ------------------------------------------ */

srr_rc srr_store_check_deadlines(srr_store *st, int64_t now, srr_apply_stats *stats, srr_error *err)
{
    srr_apply_stats local = {0};
    int64_t *ids = NULL;
    size_t n = 0, cap = 0, i;
    sqlite3_stmt *s;
    srr_rc rc;
    int r;

    rc = tx_begin(st, err);
    if (rc != SRR_OK)
        return rc;
    s = prep(st, Q_INV_DUE, err, "i", now);
    while (s && (r = next_row(st, s, &rc, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            ids = srr_realloc(ids, cap * sizeof(*ids));
        }
        ids[n++] = sqlite3_column_int64(s, 0);
    }
    if (!s)
        rc = err ? err->code : SRR_ERR;
    for (i = 0; i < n && rc == SRR_OK; i++) {
        inv_row inv = {0};
        char why[512];
        srr_timebox_verdict v = SRR_TIMEBOX_KEEP;
        rc = inv_load(st, ids[i], &inv, err);
        if (rc == SRR_OK)
            v = srr_rules_timebox(inv.deadline, now,
                                  inv.last_status && strcmp(inv.last_status, "firing") == 0
                                      ? SRR_STATUS_FIRING
                                      : SRR_STATUS_RECOVERED,
                                  inv.last_seen, why, sizeof why);
        if (rc == SRR_OK && v == SRR_TIMEBOX_PROMOTE) {
            rc = promote(st, &inv, now, why, err);
            local.promoted++;
        } else if (rc == SRR_OK && v == SRR_TIMEBOX_CLOSE) {
            rc = close_inv(st, &inv, now, why, err);
            local.closed++;
        }
        inv_row_clear(&inv);
    }
    if (rc == SRR_OK)
        rc = tx_commit(st, err);
    free(ids);
    if (rc != SRR_OK) {
        tx_rollback(st);
        return rc;
    }
    stats_add(stats, &local);
    return SRR_OK;
}

static srr_rc parse_id(const char *s, rec_kind kind, int64_t *out, srr_error *err);

/* ---- engineers resolve investigations ------------------------------------ */

srr_rc srr_store_investigation_resolve(srr_store *st, const char *id, const char *outcome,
                                       const char *link, const char *actor, const char *note,
                                       int64_t now, srr_error *err)
{
    inv_row inv = {0};
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
    rc = parse_id(id, REC_INV, &iid, err);
    if (rc != SRR_OK)
        return rc;
    rc = tx_begin(st, err);
    if (rc != SRR_OK)
        return rc;
    rc = inv_load(st, iid, &inv, err);
    if (rc != SRR_OK)
        goto out;
    human_id(REC_INV, iid, inv_hid);
    if (!inv.status || strcmp(inv.status, "open") != 0) {
        rc = srr_error_set(err, SRR_ECONFLICT, "%s is %s, not open", inv_hid,
                           inv.status ? inv.status : "?");
        goto out;
    }
    if (oc == SRR_INV_BACKLOG) {
        desc = srr_asprintf("Sent to the backlog from %s by %s.%s%s", inv_hid, actor,
                            note ? " " : "", note ? note : "");
        rc = EXEC(st, Q_BL_INSERT_ACCEPTED, err, "itti", iid, desc, link, now);
        if (rc != SRR_OK)
            goto out;
        bl_id = sqlite3_last_insert_rowid(st->db);
        human_id(REC_BACKLOG, bl_id, bl_hid);
        rc = EXEC(st, Q_EVIDENCE_COPY, err, "titi", REC_NAME[REC_INV], iid, REC_NAME[REC_BACKLOG],
                  bl_id);
        if (rc != SRR_OK)
            goto out;
        after = json_pack("{s:s, s:s, s:s}", "status", "accepted", "ticket_link", link, "from",
                          inv_hid);
        rc = audit_by(st, now, actor, REC_NAME[REC_BACKLOG], bl_id, "create", NULL, after,
                      note ? note : "sent to the backlog from an investigation", err);
        json_decref(after);
        after = NULL;
        if (rc != SRR_OK)
            goto out;
    }
    rc = EXEC(st, Q_INV_RESOLVE, err, "itttrri", iid, srr_inv_outcome_name(oc), actor, link, note,
              bl_id, now);
    if (rc != SRR_OK)
        goto out;
    text = srr_asprintf("Resolved by %s: %s%s%s%s%s%s", actor, srr_inv_outcome_name(oc),
                        bl_hid[0] ? " (" : "", bl_hid, bl_hid[0] ? ")" : "", note ? ". " : "",
                        note ? note : "");
    rc = log_entry(st, REC_INV, iid, "recognition", now, actor, text, err);
    if (rc != SRR_OK)
        goto out;
    before = json_pack("{s:s}", "status", "open");
    after = json_pack("{s:s, s:s, s:s?, s:s?}", "status", "closed", "outcome",
                      srr_inv_outcome_name(oc), "link", link, "backlog",
                      bl_hid[0] ? bl_hid : NULL);
    rc = audit_by(st, now, actor, REC_NAME[REC_INV], iid, "resolve", before, after,
                  note ? note : "resolved by an engineer: closed without a risk", err);
out:
    if (rc == SRR_OK)
        rc = tx_commit(st, err);
    if (rc != SRR_OK)
        tx_rollback(st);
    json_decref(before);
    json_decref(after);
    free(text);
    free(desc);
    inv_row_clear(&inv);
    return rc;
}

/* ---- reads ------------------------------------------------------------- */

/* Parses "SRR-12" / "srr-12" / "12" for the given prefix. */
static srr_rc parse_id(const char *s, rec_kind kind, int64_t *out, srr_error *err)
{
    /* One parser of human ids for the whole store (wf_sql.c); the kinds are
     * declared in the same order. */
    return srr_wf_parse_id(s, (srr_wf_kind)kind, out, err);
}

static srr_rc list_query(srr_store *st, enum srr_stmt_id q, rec_kind kind, const char *status,
                         json_t **out, srr_error *err)
{
    json_t *arr = json_array();
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = prep(st, q, err, "t", status);
    int r;
    *out = NULL;
    while (s && (r = next_row(st, s, &rc, err)) == 1)
        json_array_append_new(arr, row_to_json(s, kind));
    if (!s)
        rc = err ? err->code : SRR_ERR;
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SRR_OK;
}

srr_rc srr_store_risks_list(srr_store *st, const char *status, json_t **out, srr_error *err)
{
    return list_query(st, Q_RISK_LIST, REC_RISK, status, out, err);
}

srr_rc srr_store_backlog_list(srr_store *st, const char *status, json_t **out, srr_error *err)
{
    return list_query(st, Q_BL_LIST, REC_BACKLOG, status, out, err);
}

srr_rc srr_store_investigations_list(srr_store *st, const char *status, json_t **out,
                                     srr_error *err)
{
    return list_query(st, Q_INV_LIST, REC_INV, status, out, err);
}

/* Array of {at, author, text} of one log section. */
static srr_rc read_log(srr_store *st, rec_kind kind, int64_t id, const char *section, json_t **out,
                       srr_error *err)
{
    json_t *arr = json_array();
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = prep(st, Q_LOG_OF, err, "tit", REC_NAME[kind], id, section);
    int r;
    while (s && (r = next_row(st, s, &rc, err)) == 1)
        json_array_append_new(
            arr, json_pack("{s:o, s:o, s:o}", "at", json_time(sqlite3_column_int64(s, 0)), "author",
                           json_text(col_text(s, 1)), "text", json_text(col_text(s, 2))));
    if (!s)
        rc = err ? err->code : SRR_ERR;
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SRR_OK;
}

/* Adds "evidence": {first_seen, last_seen, occurrences, recent: [...]} to
 * a record object that already holds those three fields. */
static srr_rc read_evidence(srr_store *st, rec_kind kind, int64_t id, json_t *rec, srr_error *err)
{
    json_t *ev = json_object(), *recent = json_array();
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s =
        prep(st, Q_EVIDENCE_RECENT, err, "tii", REC_NAME[kind], id, (int64_t)SRR_EVIDENCE_RECENT);
    int r;
    while (s && (r = next_row(st, s, &rc, err)) == 1) {
        const char *raw = col_text(s, 6);
        json_t *parsed = raw ? json_loads(raw, 0, NULL) : NULL;
        json_t *row = json_object();
        json_object_set_new(row, "candidate", json_text(col_text(s, 0)));
        json_object_set_new(row, "observed_at", json_time(sqlite3_column_int64(s, 1)));
        json_object_set_new(row, "status", json_text(col_text(s, 2)));
        json_object_set_new(row, "value",
                            sqlite3_column_type(s, 3) == SQLITE_NULL
                                ? json_null()
                                : json_real(sqlite3_column_double(s, 3)));
        json_object_set_new(row, "summary", json_text(col_text(s, 4)));
        json_object_set_new(row, "link", json_text(col_text(s, 5)));
        json_object_set_new(row, "evidence", parsed ? parsed : json_text(raw));
        json_array_append_new(recent, row);
    }
    if (!s)
        rc = err ? err->code : SRR_ERR;
    if (rc != SRR_OK) {
        json_decref(ev);
        json_decref(recent);
        return rc;
    }
    json_object_set(ev, "first_seen", json_object_get(rec, "first_seen"));
    json_object_set(ev, "last_seen", json_object_get(rec, "last_seen"));
    json_object_set(ev, "occurrences", json_object_get(rec, "occurrences"));
    json_object_set_new(ev, "recent", recent);
    json_object_set_new(rec, "evidence", ev);
    return SRR_OK;
}

/* Reads one row by id into a JSON object (NULL + SRR_ENOTFOUND if absent). */
static srr_rc get_row(srr_store *st, enum srr_stmt_id q, rec_kind kind, int64_t id,
                      const char *asked, json_t **out, srr_error *err)
{
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = prep(st, q, err, "i", id);
    int r;
    *out = NULL;
    if (!s)
        return err ? err->code : SRR_ERR;
    r = next_row(st, s, &rc, err);
    if (r < 0)
        return rc;
    if (r == 0)
        return srr_error_set(err, SRR_ENOTFOUND, "no %s '%s'", REC_NAME[kind], asked);
    *out = row_to_json(s, kind);
    stmt_done(s);
    return SRR_OK;
}

srr_rc srr_store_risk_get(srr_store *st, const char *id, json_t **out, srr_error *err)
{
    json_t *o = NULL, *rlog = NULL, *clog = NULL;
    int64_t rid;
    srr_rc rc;
    *out = NULL;
    rc = parse_id(id, REC_RISK, &rid, err);
    if (rc == SRR_OK)
        rc = get_row(st, Q_RISK_GET, REC_RISK, rid, id, &o, err);
    if (rc == SRR_OK)
        rc = read_log(st, REC_RISK, rid, "recognition", &rlog, err);
    if (rc == SRR_OK)
        rc = read_log(st, REC_RISK, rid, "countermeasure", &clog, err);
    if (rc == SRR_OK)
        rc = read_evidence(st, REC_RISK, rid, o, err);
    if (rc != SRR_OK) {
        json_decref(o);
        json_decref(rlog);
        json_decref(clog);
        return rc;
    }
    json_object_set_new(o, "recognition_log", rlog);
    json_object_set_new(o, "countermeasure_log", clog);
    *out = o;
    return SRR_OK;
}

srr_rc srr_store_backlog_get(srr_store *st, const char *id, json_t **out, srr_error *err)
{
    json_t *o = NULL;
    int64_t bid = 0;
    srr_rc rc;
    *out = NULL;
    rc = parse_id(id, REC_BACKLOG, &bid, err);
    if (rc == SRR_OK)
        rc = get_row(st, Q_BL_GET, REC_BACKLOG, bid, id, &o, err);
    if (rc == SRR_OK)
        rc = read_evidence(st, REC_BACKLOG, bid, o, err);
    if (rc != SRR_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return SRR_OK;
}

srr_rc srr_store_quarantine_list(srr_store *st, json_t **out, srr_error *err)
{
    json_t *arr = json_array();
    srr_rc rc = SRR_OK;
    sqlite3_stmt *s = prep(st, Q_QUAR_LIST, err, "");
    int r;
    *out = NULL;
    while (s && (r = next_row(st, s, &rc, err)) == 1) {
        size_t kept = (size_t)sqlite3_column_bytes(s, 4);
        int64_t bytes = sqlite3_column_int64(s, 5);
        json_t *row = json_object();
        json_object_set_new(row, "id", json_integer(sqlite3_column_int64(s, 0)));
        json_object_set_new(row, "at", json_time(sqlite3_column_int64(s, 1)));
        json_object_set_new(row, "origin", json_text(col_text(s, 2)));
        json_object_set_new(row, "reason", json_text(col_text(s, 3)));
        json_object_set_new(row, "payload",
                            json_bytes((const char *)sqlite3_column_blob(s, 4), kept));
        json_object_set_new(row, "payload_bytes", json_integer(bytes));
        json_object_set_new(row, "truncated", json_boolean((int64_t)kept < bytes));
        json_array_append_new(arr, row);
    }
    if (!s)
        rc = err ? err->code : SRR_ERR;
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return SRR_OK;
}

/* The sqlite3 handle of an open store, for store/workflow.c and friends. */
sqlite3 *srr_store_db(srr_store *st)
{
    return st->db;
}
