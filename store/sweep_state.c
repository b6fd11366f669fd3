/* SPDX-License-Identifier: Apache-2.0
 *
 * sweep_state.c - the per-check sweep position of sweep_state.h, kept in the
 * store's sweep_state table through a connection of its own (the schema is
 * created by srr_store_open, which this file calls once to migrate).
 */
#include "sweep_state.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

struct srr_sweep_state {
    sqlite3 *db;
    sqlite3_stmt *get, *set, *known;
};

srr_rc srr_sweep_state_open(const char *path, srr_sweep_state **out, srr_error *err)
{
    srr_store *st = NULL;
    srr_sweep_state *s = NULL;
    srr_rc rc = srr_store_open(path, &st, err); /* creates and migrates */
    *out = NULL;
    if (rc != SRR_OK)
        return rc;
    srr_store_close(&st);
    s = srr_calloc(1, sizeof *s);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(s->db, 5000);
    if (sqlite3_prepare_v2(s->db, "SELECT last_window_end FROM sweep_state WHERE check_name = ?1",
                           -1, &s->get, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT INTO sweep_state(check_name, last_window_end) VALUES(?1, ?2) "
                           "ON CONFLICT(check_name) DO UPDATE SET last_window_end = "
                           "MAX(last_window_end, excluded.last_window_end)",
                           -1, &s->set, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(
            s->db,
            "SELECT t.grp_tags FROM things t WHERE t.check_name = ?1 AND t.source <> 'webhook'"
            " AND (EXISTS (SELECT 1 FROM sightings x WHERE x.fingerprint = t.fingerprint"
            "   AND x.at >= ?2 AND x.status = 'firing')"
            " OR EXISTS (SELECT 1 FROM investigations i WHERE i.fingerprint = t.fingerprint"
            "   AND i.status = 'open')"
            " OR EXISTS (SELECT 1 FROM risks r WHERE r.fingerprint = t.fingerprint"
            "   AND r.status IN ('draft', 'open', 'mitigating', 'accepted'))"
            " OR EXISTS (SELECT 1 FROM backlog b WHERE b.fingerprint = t.fingerprint"
            "   AND b.status IN ('draft', 'accepted'))"
            " OR EXISTS (SELECT 1 FROM pending p WHERE p.fingerprint = t.fingerprint"
            "   AND p.state = 'pending'))",
            -1, &s->known, NULL) != SQLITE_OK)
        goto fail;
    *out = s;
    return SRR_OK;
fail:
    rc = srr_error_set(err, SRR_EIO, "%s: sweep state: %s", path,
                       s->db ? sqlite3_errmsg(s->db) : "cannot open");
    srr_sweep_state_close(&s);
    return rc;
}

void srr_sweep_state_close(srr_sweep_state **sp)
{
    if (!sp || !*sp)
        return;
    srr_sweep_state *s = *sp;
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->set);
    sqlite3_finalize(s->known);
    sqlite3_close(s->db);
    free(s);
    *sp = NULL;
}

srr_rc srr_sweep_state_get(srr_sweep_state *s, const char *check, int64_t *last_end,
                           srr_error *err)
{
    srr_rc rc = SRR_ENOTFOUND;
    sqlite3_bind_text(s->get, 1, check, -1, SQLITE_TRANSIENT);
    int r = sqlite3_step(s->get);
    if (r == SQLITE_ROW) {
        *last_end = sqlite3_column_int64(s->get, 0);
        rc = SRR_OK;
    } else if (r != SQLITE_DONE) {
        rc = srr_error_set(err, SRR_EIO, "sweep state of check '%s': %s", check,
                           sqlite3_errmsg(s->db));
    }
    sqlite3_reset(s->get);
    sqlite3_clear_bindings(s->get);
    return rc;
}

srr_rc srr_sweep_state_set(srr_sweep_state *s, const char *check, int64_t end, srr_error *err)
{
    srr_rc rc = SRR_OK;
    sqlite3_bind_text(s->set, 1, check, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s->set, 2, end);
    if (sqlite3_step(s->set) != SQLITE_DONE)
        rc = srr_error_set(err, SRR_EIO, "saving the sweep state of check '%s': %s", check,
                           sqlite3_errmsg(s->db));
    sqlite3_reset(s->set);
    sqlite3_clear_bindings(s->set);
    return rc;
}

srr_rc srr_sweep_state_mark_success(srr_sweep_state *s, int64_t at, srr_error *err)
{
    return srr_sweep_state_set(s, SRR_SWEEP_STATE_LAST_SUCCESS, at, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

srr_rc srr_sweep_state_known(srr_sweep_state *s, const char *check, int64_t since, char ***out,
                             size_t *n, srr_error *err)
{
    size_t cap = 0;
    int r;
    *out = NULL;
    *n = 0;
    sqlite3_bind_text(s->known, 1, check, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s->known, 2, since);
    while ((r = sqlite3_step(s->known)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = srr_realloc(*out, cap * sizeof **out);
        }
        (*out)[(*n)++] = srr_strdup((const char *)sqlite3_column_text(s->known, 0));
    }
    sqlite3_reset(s->known);
    sqlite3_clear_bindings(s->known);
    if (r != SQLITE_DONE) {
        for (size_t i = 0; i < *n; i++)
            free((*out)[i]);
        free(*out);
        *out = NULL;
        *n = 0;
        return srr_error_set(err, SRR_EIO, "the things of check '%s': %s", check,
                             sqlite3_errmsg(s->db));
    }
    if (*n > 1)
        qsort(*out, *n, sizeof **out, cmp_str);
    return SRR_OK;
}

srr_rc srr_sweep_state_waiting(srr_sweep_state *s,
                               void (*fn)(void *ud, const char *action, int urgency,
                                          const char *title, int64_t window_end),
                               void *ud, srr_error *err)
{
    sqlite3_stmt *q = NULL;
    int r;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT action, urgency, title, window_end FROM pending"
                           " WHERE state = 'pending' ORDER BY urgency DESC, window_end, id",
                           -1, &q, NULL) != SQLITE_OK)
        return srr_error_set(err, SRR_EIO, "the waiting drafts: %s", sqlite3_errmsg(s->db));
    while ((r = sqlite3_step(q)) == SQLITE_ROW)
        fn(ud, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int(q, 1),
           (const char *)sqlite3_column_text(q, 2), sqlite3_column_int64(q, 3));
    sqlite3_finalize(q);
    if (r != SQLITE_DONE)
        return srr_error_set(err, SRR_EIO, "the waiting drafts: %s", sqlite3_errmsg(s->db));
    return SRR_OK;
}
