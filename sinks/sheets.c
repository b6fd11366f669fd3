/* SPDX-License-Identifier: Apache-2.0
 *
 * sheets.c - the Google Sheet mirror (sink.h): one row per record in the
 * columns of the practice's list (sheets_config.h), under a header row srr
 * writes once, plus an "srr note" column where srr says why it put a cell
 * back. A pass is one read of the tab and at most two writes (one
 * values.batchUpdate of the rows that are there, one values.append of the
 * new ones: deliver_batch hands every due record at once), so a storm of
 * changes stays within Google's per-minute quotas; a 429
 * RESOURCE_EXHAUSTED blocks the client for Retry-After or an exponential
 * backoff (sheets_api.c) and the records wait, none lost.
 *
 * Rows are found by the ID in column A wherever a person sorted them, so a
 * record never gets two rows; values are written RAW, so a title starting
 * with '=' stays text. Status and Assignee edited in the sheet come back:
 * a cell that differs from what srr last wrote there (the sink's memory of
 * each row) is applied through the workflow like an edit made in Notion,
 * audited; a refused one (or one that lost against a later change in srr)
 * is put back at the next write with the reason in the row's note.
 * Sheets does not say who edited a cell, so the actor is "sheets".
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"
#include "log.h"
#include "record_views.h"
#include "sheets_api.h"
#include "sheets_config.h"
#include "sink.h"

#define NCOLS (SRR_SHEETS_NCOLS + 1) /* the practice's columns and srr's note */
#define COL_STATUS 3
#define COL_ASSIGNEE 5
#define COL_NOTE SRR_SHEETS_NCOLS
#define SHEETS_ACTOR "sheets"

typedef struct sheets_ctx {
    srr_sheets_config *o; /* borrowed from the outbox */
    srr_gtoken *token;
    srr_sheets *sh;
    int tab_ok;        /* the tab exists */
    int64_t next_poll; /* no read for edits before this */
    json_t *table;     /* the tab as read in the pass `table_at` (NULL: not read) */
    int64_t table_at;
    json_t *fixed; /* hid -> the record as this pass's edits left it */
    json_t *notes; /* hid -> why an edit of this pass was not taken */
} sheets_ctx;

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* ---- the instance ------------------------------------------------------ */

static srr_rc sheets_check(const srr_sink_env *env, srr_error *err)
{
    return srr_sheets_config_resolve(env->cfg, env->opts, err);
}

static void sheets_exit(void *ctx)
{
    sheets_ctx *c = ctx;
    if (!c)
        return;
    srr_sheets_destroy(&c->sh);
    srr_gtoken_destroy(&c->token);
    json_decref(c->table);
    json_decref(c->fixed);
    json_decref(c->notes);
    free(c);
}

static srr_rc sheets_init(const srr_sink_env *env, void **out, srr_error *err)
{
    sheets_ctx *c = srr_calloc(1, sizeof(*c));
    srr_rc rc;
    *out = NULL;
    c->o = env->opts;
    rc = srr_sheets_config_open(c->o, &c->token, &c->sh, err);
    if (rc == SRR_EIO) /* the key file cannot be read: the configuration's */
        rc = SRR_EINVAL;
    if (rc != SRR_OK) {
        sheets_exit(c);
        return rc;
    }
    c->fixed = json_object();
    c->notes = json_object();
    *out = c;
    return SRR_OK;
}

/* Seconds until the client may send again. */
static int64_t wait_s(const sheets_ctx *c)
{
    int64_t at = srr_sheets_retry_at_ms(c->sh), now = srr_http_now_ms();
    return at > now ? (at - now + 999) / 1000 : 0;
}

/* ---- edits made in the sheet ------------------------------------------- */

/* What a person typed, as srr's value: trimmed; a status lowercased. */
static char *typed(const char *s, int lower)
{
    size_t n;
    char *v;
    while (*s && isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    v = srr_strndup(s, n);
    for (char *p = v; lower && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return v;
}

typedef struct found_edit {
    char *id, *now;
    size_t col;
} found_edit;

typedef struct edit_list {
    found_edit *v;
    size_t n;
} edit_list;

static void on_edit(void *ud, const srr_sheets_edit *e)
{
    edit_list *l = ud;
    l->v = srr_realloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n].id = srr_strdup(e->id);
    l->v[l->n].now = srr_strdup(e->now);
    l->v[l->n++].col = e->col;
}

/* Applies one cell a person changed; a refusal is noted for the row. */
static srr_rc take_edit(sheets_ctx *c, srr_sink_host *h, const found_edit *fe, srr_error *err)
{
    srr_sink_ref ref;
    srr_sink_edit e;
    srr_edit_outcome outcome;
    const char *field = fe->col == COL_STATUS ? "status" : "assignee";
    const json_t *seen;
    char why[512], *value, day[32];
    int64_t written_at;
    srr_rc rc = srr_sink_lookup(h, fe->id, &ref, err);
    if (rc == SRR_ENOTFOUND)
        return SRR_OK; /* a row srr did not write */
    if (rc != SRR_OK)
        return rc;
    /* Already refused and noted: it waits for the row to be put back. */
    seen = json_object_get(json_object_get(ref.item.state, "seen"), field);
    if (json_is_string(seen) && strcmp(json_string_value(seen), fe->now) == 0) {
        srr_sink_ref_release(&ref);
        return SRR_OK;
    }
    value = typed(fe->now, fe->col == COL_STATUS);
    written_at = json_integer_value(json_object_get(ref.item.state, "at"));
    memset(&e, 0, sizeof(e));
    e.field = field;
    e.value = value;
    e.actor = SHEETS_ACTOR;
    /* Sheets does not say when a cell changed: after srr last wrote the
     * row is all that is known, so a change made in srr since wins. */
    e.at = written_at > 0 ? written_at : srr_sink_now(h);
    e.where = "the sheet";
    rc = srr_sink_apply_edit(h, &ref, &e, &outcome, why, sizeof(why), err);
    if (rc == SRR_OK && outcome == SRR_EDIT_APPLIED) {
        srr_info("sheets: %s %s set to %s in the sheet", ref.item.hid, field, value);
        json_object_set(c->fixed, ref.item.hid, (json_t *)ref.item.record);
    } else if (rc == SRR_OK && (outcome == SRR_EDIT_REFUSED || outcome == SRR_EDIT_LOST)) {
        json_t *st = ref.item.state ? json_deep_copy(ref.item.state) : json_object();
        json_t *seen_o = json_object_get(st, "seen");
        char *note;
        srr_time_iso(srr_sink_now(h), day);
        note = srr_asprintf("%.10s: %s '%s' was not taken: %s", day,
                            fe->col == COL_STATUS ? "Status" : "Assignee", fe->now, why);
        srr_warn("sheets: %s: %s", ref.item.hid, note);
        if (!json_is_object(seen_o)) {
            seen_o = json_object();
            json_object_set_new(st, "seen", seen_o);
        }
        json_object_set_new(seen_o, field, json_string(fe->now));
        json_object_set_new(st, "note", json_string(note));
        json_object_set_new(c->notes, ref.item.hid, json_string(note));
        rc = srr_sink_ref_save(h, &ref, st, err);
        json_decref(st);
        free(note);
    }
    free(value);
    srr_sink_ref_release(&ref);
    return rc;
}

/* Reads the tab (one request) and takes the edits people made in it. The
 * table is kept for this pass's write. */
static srr_rc read_sheet(sheets_ctx *c, srr_sink_host *h, srr_error *err)
{
    static const size_t watch[] = {COL_STATUS, COL_ASSIGNEE};
    json_t *mem = NULL, *written = json_object(), *m;
    const char *hid;
    edit_list l = {NULL, 0};
    size_t i;
    srr_rc rc = SRR_OK;
    if (!c->tab_ok) {
        rc = srr_sheets_ensure_sheet(c->sh, c->o->sheet, err);
        c->tab_ok = rc == SRR_OK;
    }
    json_decref(c->table);
    c->table = NULL;
    c->table_at = 0;
    if (rc == SRR_OK)
        rc = srr_sheets_read_table(c->sh, c->o->sheet, NCOLS, &c->table, err);
    if (rc == SRR_OK)
        rc = srr_sink_memories(h, &mem, err);
    if (rc != SRR_OK) {
        json_decref(written);
        return rc;
    }
    c->table_at = srr_sink_now(h);
    json_object_foreach(mem, hid, m)
    {
        const json_t *row = json_object_get(json_object_get(m, "state"), "row");
        if (json_is_array(row))
            json_object_set(written, hid, (json_t *)row);
    }
    srr_sheets_edits(c->table, written, watch, 2, on_edit, &l);
    for (i = 0; rc == SRR_OK && i < l.n; i++)
        rc = take_edit(c, h, &l.v[i], err);
    for (i = 0; i < l.n; i++) {
        free(l.v[i].id);
        free(l.v[i].now);
    }
    free(l.v);
    json_decref(mem);
    json_decref(written);
    return rc;
}

static srr_rc sheets_poll(void *ctx, srr_sink_host *h, srr_error *err)
{
    sheets_ctx *c = ctx;
    srr_rc rc;
    if (srr_sink_now(h) < c->next_poll)
        return SRR_OK;
    json_object_clear(c->fixed);
    json_object_clear(c->notes);
    rc = read_sheet(c, h, err);
    if (rc == SRR_OK)
        c->next_poll = srr_sink_now(h) + c->o->poll_every_s;
    return rc;
}

/* ---- delivery ----------------------------------------------------------- */

/* The row of a record: the practice's columns and srr's note. */
static json_t *row_of(const sheets_ctx *c, const srr_sink_item *it)
{
    const json_t *rec = json_object_get(c->fixed, it->hid);
    const char *note = jstr(c->notes, it->hid);
    json_t *row = srr_sheets_row(rec ? rec : it->record);
    if (!note)
        note = jstr(it->state, "note");
    json_array_append_new(row, json_string(note ? note : ""));
    return row;
}

static srr_rc write_rows(sheets_ctx *c, json_t *rows, srr_error *err)
{
    const char *header[NCOLS];
    srr_sheets_upsert_result up;
    srr_rc rc;
    for (size_t i = 0; i < SRR_SHEETS_NCOLS; i++)
        header[i] = srr_sheets_columns[i];
    header[COL_NOTE] = "srr note";
    rc = srr_sheets_upsert(c->sh, c->o->sheet, header, NCOLS, rows, c->table, &up, err);
    if (rc == SRR_OK && up.duplicates)
        srr_warn("sheets: %zu ID%s on more than one row; srr writes the first", up.duplicates,
                 up.duplicates == 1 ? " is" : "s are");
    /* The tab changed: the next write reads it again. */
    json_decref(c->table);
    c->table = NULL;
    c->table_at = 0;
    return rc;
}

static void set_done(srr_sink_result *r, const srr_sink_item *it, json_t *row, int64_t now)
{
    r->rc = SRR_OK;
    r->remote_id = srr_strdup(it->hid);
    r->state = json_pack("{s:O, s:I}", "row", row, "at", (json_int_t)now);
}

static srr_rc sheets_deliver_batch(void *ctx, srr_sink_host *h, const srr_sink_item *items,
                                   size_t n, srr_sink_result *res, srr_error *err)
{
    sheets_ctx *c = ctx;
    json_t *rows = json_array();
    srr_error werr = {0};
    size_t i;
    srr_rc rc = SRR_OK;
    if (c->table_at != srr_sink_now(h)) { /* edits first: never write over one */
        json_object_clear(c->fixed);
        json_object_clear(c->notes);
        rc = read_sheet(c, h, err);
    }
    if (rc != SRR_OK) {
        json_decref(rows);
        if (rc == SRR_RETRY)
            srr_error_prefix(err, "sheets (retry in %llds)", (long long)wait_s(c));
        return rc;
    }
    for (i = 0; i < n; i++)
        json_array_append_new(rows, row_of(c, &items[i]));
    rc = write_rows(c, rows, &werr);
    if (rc == SRR_EINVAL && n > 1) {
        /* Google refused the batch: each row alone, so only the row it
         * refuses is parked. */
        int stopped = 0;
        for (i = 0; i < n; i++) {
            json_t *one;
            srr_error oerr = {0};
            srr_rc orc;
            if (stopped) {
                res[i].skipped = 1;
                continue;
            }
            one = json_pack("[O]", json_array_get(rows, i));
            orc = write_rows(c, one, &oerr);
            json_decref(one);
            if (orc == SRR_OK) {
                set_done(&res[i], &items[i], json_array_get(rows, i), srr_sink_now(h));
                continue;
            }
            res[i].rc = orc;
            res[i].error = srr_strdup(oerr.msg);
            res[i].retry_after_s = wait_s(c);
            stopped = orc != SRR_EINVAL;
        }
    } else if (rc == SRR_OK) {
        for (i = 0; i < n; i++)
            set_done(&res[i], &items[i], json_array_get(rows, i), srr_sink_now(h));
        srr_info("sheets: %zu row%s written", n, n == 1 ? "" : "s");
    } else if (rc == SRR_EAUTH || rc == SRR_ENOTFOUND) {
        json_decref(rows); /* not shared with the service account, or no such sheet */
        return srr_error_set(err, SRR_EAUTH, "%s", werr.msg);
    } else {
        for (i = 0; i < n; i++) {
            res[i].rc = rc;
            res[i].error = srr_strdup(werr.msg);
            res[i].retry_after_s = wait_s(c);
        }
    }
    json_decref(rows);
    return SRR_OK;
}

const srr_sink_plugin srr_sink_sheets = {
    .name = "sheets",
    .description = "one row per record in a Google Sheet, Status and Assignee read back",
    .options = srr_sheets_options,
    .options_size = sizeof(srr_sheets_config),
    .sections = NULL,
    .flags = 0,
    .batch_max = 500,
    .check = sheets_check,
    .init = sheets_init,
    .deliver = NULL,
    .deliver_batch = sheets_deliver_batch,
    .poll = sheets_poll,
    .tick = NULL,
    .setup = NULL,
    .exit = sheets_exit,
};
