/* SPDX-License-Identifier: Apache-2.0
 *
 * store_fixtures.h - helpers for the store, spool and writer tests:
 * candidates built by hand with the core API, a queue config pointing at a
 * temporary spool directory, and direct SQL counts on a store file.
 */
#ifndef SRR_STORE_FIXTURES_H
#define SRR_STORE_FIXTURES_H

#include <stdint.h>

#include <jansson.h>

#include "candidate.h"
#include "config.h"
#include "store.h"

/* Fills *c (cleared first by the caller or zeroed) with a candidate:
 * id and fingerprint as given, the action, a firing or recovered metric
 * signal observed at `at`, a 1-day time-box. Free with
 * srr_candidate_clear(). */
void sf_candidate(srr_candidate *c, const char *id, const char *fp, srr_action action,
                  srr_status status, int64_t at);

/* The candidate as JSON text (caller frees). */
char *sf_candidate_json(const char *id, const char *fp, srr_action action, srr_status status,
                        int64_t at);

/* A config whose queue is the spool in `spool_dir` (copied). Free with
 * sf_config_free(). */
srr_config *sf_config(const char *spool_dir);
void sf_config_free(srr_config *cfg);

/* Runs a single-value integer query (e.g. "SELECT count(*) FROM risks") on
 * the SQLite file at `db` through its own connection; aborts the test on
 * error. */
long long sf_query_int(const char *db, const char *sql);
/* The same on dir/srr.db, the store of the demo configs. */
long long sf_query_in(const char *dir, const char *sql);

/* Runs `sql` on the SQLite file at `db` through its own read-write
 * connection (to change what the store wrote behind its back); returns the
 * SQLite result code. */
int sf_exec_rw(const char *db, const char *sql);

/* Applies one candidate (sf_candidate's) to `st` at `at`; returns the stats.
 * Aborts the test on error. */
srr_apply_stats sf_apply1(srr_store *st, const char *id, const char *fp, srr_action a, srr_status s,
                          int64_t at);

/* The record `id` ("SRR-1", ...) as JSON (srr_store_risk_get); aborts the
 * test on error. Caller json_decrefs. */
json_t *sf_risk(srr_store *st, const char *id);

/* The string field `k` of `o` (owned by `o`); aborts the test when it is
 * missing or not a string. */
const char *sf_str(const json_t *o, const char *k);

/* A fresh store in a new temporary directory, as most store suites start:
 * fills *dir, *db (the SQLite path) and *st; aborts the test on failure.
 * sf_store_teardown closes the store, removes the directory and frees both
 * strings. */
void sf_store_setup(char **dir, char **db, srr_store **st);
void sf_store_teardown(char **dir, char **db, srr_store **st);

/* Declares g_dir, g_db and g_st and the Criterion suite `name`, whose
 * every test gets a fresh store through the two functions above. Needs
 * <criterion/criterion.h>. */
#define SF_STORE_SUITE(name)                                                                       \
    static char *g_dir __attribute__((unused));                                                    \
    static char *g_db __attribute__((unused));                                                     \
    static srr_store *g_st __attribute__((unused));                                                \
    static void sf_suite_setup(void)                                                               \
    {                                                                                              \
        sf_store_setup(&g_dir, &g_db, &g_st);                                                      \
    }                                                                                              \
    static void sf_suite_teardown(void)                                                            \
    {                                                                                              \
        sf_store_teardown(&g_dir, &g_db, &g_st);                                                   \
    }                                                                                              \
    TestSuite(name, .init = sf_suite_setup, .fini = sf_suite_teardown)

#endif
