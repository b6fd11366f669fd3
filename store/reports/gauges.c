/* SPDX-License-Identifier: Apache-2.0
 *
 * gauges.c - the record gauges of gauges.h: four small queries on a
 * read-only connection, and their Prometheus text.
 */
#include "gauges.h"

#include <string.h>

#include "store_internal.h"
#include "sweep_state.h"

/* Runs a one-row query of up to two integer columns binding `now` as ?1;
 * a query that does not prepare (an older schema) leaves the zeros. */
static srr_rc one_row(sqlite3 *db, const char *sql, int64_t now, int64_t *a, int64_t *b,
                      srr_error *err)
{
    sqlite3_stmt *s = NULL;
    int r;
    *a = 0;
    if (b)
        *b = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return SRR_OK;
    if (sqlite3_bind_parameter_count(s) >= 1)
        sqlite3_bind_int64(s, 1, now);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *a = sqlite3_column_int64(s, 0);
        if (b)
            *b = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        return srr_error_set(err, SRR_EIO, "reading the record gauges: %s", sqlite3_errmsg(db));
    return SRR_OK;
}

srr_rc srr_gauges_read(const char *db_path, int64_t now, srr_gauges *g, srr_error *err)
{
    sqlite3 *db = NULL;
    int64_t a, b, c, d;
    srr_rc rc;
    memset(g, 0, sizeof(*g));
    if ((rc = srr_store_open_ro(db_path, &db, err)) != SRR_OK || !db)
        return rc;
    g->have_store = 1;
    rc = one_row(db,
                 "SELECT count(*), coalesce(min(created_at), 0) FROM risks WHERE status = 'draft'",
                 now, &a, &b, err);
    if (rc == SRR_OK)
        rc = one_row(db,
                     "SELECT count(*), coalesce(min(created_at), 0) FROM backlog"
                     " WHERE status = 'draft'",
                     now, &c, &d, err);
    if (rc == SRR_OK) {
        g->drafts_risk = a;
        g->drafts_backlog = c;
        g->oldest_draft_at = !b ? d : !d ? b : (b < d ? b : d);
        rc = one_row(db,
                     "SELECT count(*) FROM investigations WHERE status = 'open'"
                     " AND deadline <= ?1",
                     now, &a, NULL, err);
        g->investigations_overdue = a;
    }
    if (rc == SRR_OK) {
        rc = one_row(db,
                     "SELECT last_window_end FROM sweep_state WHERE check_name = '"
                     SRR_SWEEP_STATE_LAST_SUCCESS "'",
                     now, &a, NULL, err);
        g->last_sweep_success = a;
    }
    sqlite3_close(db);
    return rc;
}

void srr_gauges_write(const srr_gauges *g, int64_t now, srr_buf *out)
{
    if (!g->have_store)
        return;
    srr_buf_printf(out,
                   "# HELP srr_records_drafts Drafts waiting for a decision (approve, reject, "
                   "merge), by kind.\n"
                   "# TYPE srr_records_drafts gauge\n"
                   "srr_records_drafts{kind=\"risk\"} %lld\n"
                   "srr_records_drafts{kind=\"backlog\"} %lld\n"
                   "# HELP srr_records_oldest_draft_age_seconds Age of the oldest draft (0 when "
                   "none waits).\n"
                   "# TYPE srr_records_oldest_draft_age_seconds gauge\n"
                   "srr_records_oldest_draft_age_seconds %lld\n"
                   "# HELP srr_records_investigations_overdue Open investigations past their "
                   "deadline (promoted or closed by the writer's deadline check when it runs).\n"
                   "# TYPE srr_records_investigations_overdue gauge\n"
                   "srr_records_investigations_overdue %lld\n"
                   "# HELP srr_sweep_last_success_timestamp_seconds When the last live sweep "
                   "without a failure ended (0: none yet).\n"
                   "# TYPE srr_sweep_last_success_timestamp_seconds gauge\n"
                   "srr_sweep_last_success_timestamp_seconds %lld\n",
                   g->drafts_risk, g->drafts_backlog,
                   (long long)(g->oldest_draft_at && now > g->oldest_draft_at
                                   ? now - g->oldest_draft_at
                                   : 0),
                   g->investigations_overdue, (long long)g->last_sweep_success);
}

/* A count or a time of one sink: one row, one integer column, the sink's
 * name as ?1. A query that does not prepare (a store from before the
 * outbox) leaves 0. */
static srr_rc sink_value(sqlite3 *db, const char *sql, const char *sink, int64_t *v, srr_error *err)
{
    sqlite3_stmt *s = NULL;
    int r;
    *v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return SRR_OK;
    sqlite3_bind_text(s, 1, sink, -1, SQLITE_STATIC);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        *v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        return srr_error_set(err, SRR_EIO, "reading the outbox gauges: %s", sqlite3_errmsg(db));
    return SRR_OK;
}

srr_rc srr_gauges_read_sinks(const char *db_path, const char *const *names, size_t n,
                             srr_sink_gauge *out, srr_error *err)
{
    /* Records whose latest change the sink has not delivered. */
#define SINK_UNDELIVERED                                                                           \
    " FROM outbox o LEFT JOIN sync_state s ON s.sink = ?1 AND s.record_kind = o.record_kind"       \
    " AND s.record_id = o.record_id WHERE o.seq > coalesce(s.delivered_seq, 0)"
    static const char *const q_pending = "SELECT count(*)" SINK_UNDELIVERED;
    static const char *const q_parked =
        "SELECT count(*)" SINK_UNDELIVERED " AND s.parked_seq IS NOT NULL";
    /* The first change after each record's delivered position (the
     * audit_record index finds it per record). */
    static const char *const q_oldest =
        "SELECT coalesce(min((SELECT a.at FROM audit a WHERE a.record_kind = o.record_kind"
        " AND a.record_id = o.record_id AND a.id > coalesce(s.delivered_seq, 0)"
        " ORDER BY a.id LIMIT 1)), 0)" SINK_UNDELIVERED;
#undef SINK_UNDELIVERED
    sqlite3 *db = NULL;
    srr_rc rc;
    size_t i;
    memset(out, 0, n * sizeof(*out));
    for (i = 0; i < n; i++)
        out[i].sink = names[i];
    if (n == 0 || (rc = srr_store_open_ro(db_path, &db, err)) != SRR_OK || !db)
        return n == 0 ? SRR_OK : rc;
    for (i = 0, rc = SRR_OK; rc == SRR_OK && i < n; i++) {
        int64_t v;
        rc = sink_value(db, q_pending, names[i], &v, err);
        out[i].pending = v;
        if (rc == SRR_OK)
            rc = sink_value(db, q_parked, names[i], &v, err);
        out[i].parked = v;
        if (rc == SRR_OK)
            rc = sink_value(db, q_oldest, names[i], &out[i].oldest_at, err);
    }
    sqlite3_close(db);
    return rc;
}

void srr_gauges_write_sinks(const srr_sink_gauge *g, size_t n, int64_t now, srr_buf *out)
{
    size_t i;
    if (n == 0)
        return;
    srr_buf_printf(out, "# HELP srr_outbox_pending Records with a change the sink has not "
                        "delivered (parked ones included).\n"
                        "# TYPE srr_outbox_pending gauge\n");
    for (i = 0; i < n; i++)
        srr_buf_printf(out, "srr_outbox_pending{sink=\"%s\"} %lld\n", g[i].sink, g[i].pending);
    srr_buf_printf(out, "# HELP srr_outbox_parked Records parked on a permanent error of the sink "
                        "(srr sync status says why).\n"
                        "# TYPE srr_outbox_parked gauge\n");
    for (i = 0; i < n; i++)
        srr_buf_printf(out, "srr_outbox_parked{sink=\"%s\"} %lld\n", g[i].sink, g[i].parked);
    srr_buf_printf(out, "# HELP srr_outbox_oldest_pending_age_seconds Age of the oldest change "
                        "the sink has not delivered (0 when none waits).\n"
                        "# TYPE srr_outbox_oldest_pending_age_seconds gauge\n");
    for (i = 0; i < n; i++)
        srr_buf_printf(
            out, "srr_outbox_oldest_pending_age_seconds{sink=\"%s\"} %lld\n", g[i].sink,
            (long long)(g[i].oldest_at && now > g[i].oldest_at ? now - g[i].oldest_at : 0));
}
