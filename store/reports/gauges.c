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
