/* SPDX-License-Identifier: Apache-2.0
 *
 * store_fixtures.c - helpers for the store, spool and writer tests (see
 * store_fixtures.h).
 */
#include "store_fixtures.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

void sf_candidate(srr_candidate *c, const char *id, const char *fp, srr_action action,
                  srr_status status, int64_t at)
{
    srr_signal *s = &c->signal;
    memset(c, 0, sizeof(*c));
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->fingerprint = srr_strdup(fp);
    c->action = action;
    c->rule = srr_strdup("test-rule");
    c->rule_index = 0;
    c->reason = srr_strdup("because the test says so");
    c->urgency = SRR_URGENCY_MEDIUM;
    c->title = srr_asprintf("memory growth on %s", fp);
    c->timebox_s = 86400;
    c->created_at = at;
    s->source = SRR_SRC_METRICS;
    s->check = srr_strdup("worker-rss");
    s->kind = SRR_KIND_TREND;
    s->status = status;
    s->service = srr_strdup("worker");
    s->env = srr_strdup("prod");
    srr_signal_add_tag(s, "host:w-1");
    s->value = 12.5;
    s->condition = srr_strdup("growth > 10%/week");
    s->summary = srr_asprintf("growth 12.5%%/week > 10%%/week (%s)",
                              status == SRR_STATUS_FIRING ? "firing" : "recovered");
    s->window_start = at - 7 * 86400;
    s->window_end = at;
    s->observed_at = at;
    s->link = srr_strdup("https://app.datadoghq.com/metric/explorer?q=rss");
    s->evidence = json_pack("{s:[[i,f],[i,f]]}", "points", 1, 1.0, 2, 2.0);
}

char *sf_candidate_json(const char *id, const char *fp, srr_action action, srr_status status,
                        int64_t at)
{
    srr_candidate c;
    char *s;
    sf_candidate(&c, id, fp, action, status, at);
    s = srr_candidate_dumps(&c);
    srr_candidate_clear(&c);
    return s;
}

srr_config *sf_config(const char *spool_dir)
{
    srr_config *cfg = srr_calloc(1, sizeof(*cfg));
    cfg->queue.backend = srr_strdup("spool");
    cfg->queue.spool_dir = srr_strdup(spool_dir);
    return cfg;
}

void sf_config_free(srr_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->queue.backend);
    free(cfg->queue.spool_dir);
    free(cfg);
}

long long sf_query_int(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *s = NULL;
    long long v = -1;
    /* Read-write, though it only reads: after a writer was killed the WAL
     * may need recovery, which a read-only connection cannot do ("attempt
     * to write a readonly database", seen in test_kafka under ASan). */
    int rc = sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL);
    cr_assert_eq(rc, SQLITE_OK, "open %s: %s", db, sqlite3_errstr(rc));
    sqlite3_busy_timeout(h, 5000);
    rc = sqlite3_prepare_v2(h, sql, -1, &s, NULL);
    cr_assert_eq(rc, SQLITE_OK, "prepare %s: %s", sql, sqlite3_errmsg(h));
    rc = sqlite3_step(s);
    cr_assert_eq(rc, SQLITE_ROW, "no row for %s: %s", sql, sqlite3_errmsg(h));
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return v;
}

void sf_store_setup(char **dir, char **db, srr_store **st)
{
    srr_error err = {0};
    *dir = tu_mkdtemp();
    *db = srr_asprintf("%s/srr.db", *dir);
    cr_assert_eq(srr_store_open(*db, st, &err), SRR_OK, "%s", err.msg);
}

void sf_store_teardown(char **dir, char **db, srr_store **st)
{
    srr_store_close(st);
    tu_rmdir_r(*dir);
    free(*db);
    free(*dir);
    *db = *dir = NULL;
}

int sf_exec_rw(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    int rc = sqlite3_open(db, &h);
    cr_assert_eq(rc, SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    sqlite3_close(h);
    return rc;
}

srr_apply_stats sf_apply1(srr_store *st, const char *id, const char *fp, srr_action a, srr_status s,
                          int64_t at)
{
    srr_candidate c;
    srr_apply_stats stats = {0};
    srr_error err = {0};
    sf_candidate(&c, id, fp, a, s, at);
    cr_assert_eq(srr_store_apply(st, &c, 1, at, &stats, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);
    return stats;
}

json_t *sf_risk(srr_store *st, const char *id)
{
    json_t *r = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_store_risk_get(st, id, &r, &err), SRR_OK, "%s", err.msg);
    return r;
}

const char *sf_str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    cr_assert_not_null(s, "field %s missing or not a string", k);
    return s;
}

long long sf_query_in(const char *dir, const char *sql)
{
    char *db = srr_asprintf("%s/srr.db", dir);
    long long v = sf_query_int(db, sql);
    free(db);
    return v;
}
