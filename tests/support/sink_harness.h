/* SPDX-License-Identifier: Apache-2.0
 *
 * sink_harness.h - the scaffolding every in-process sink suite shares
 * (test_slack_sink, test_tickets_sink, test_sheets_sink, test_notion): a
 * temporary directory, a config loaded from YAML text, the store opened
 * once and the outbox's sync opened again on every (re)configuration, a
 * candidate applied to the store, one delivery pass or one sync run, and
 * the loops that repeat a pass until a condition holds (polling the
 * condition with a generous deadline, never a fixed sleep in its place).
 * Each suite keeps its fake server; the harness knows none of them.
 */
#ifndef SRR_SINK_HARNESS_H
#define SRR_SINK_HARNESS_H

#include <stdint.h>

#include <jansson.h>

#include "candidate.h"
#include "config.h"
#include "outbox.h"
#include "srr.h"
#include "store.h"

/* What a sink suite holds: all owned by the harness (sh_close frees them). */
typedef struct sink_harness {
    char *dir;       /* the test's temporary directory */
    srr_config *cfg; /* the config last loaded, NULL before */
    srr_store *st;   /* the store at cfg->store.path, opened by the first load */
    srr_sync *sync;  /* the outbox's sync for cfg */
} sink_harness;

/* Clears *h and makes its temporary directory; aborts the test on failure. */
void sh_open(sink_harness *h);
/* Closes the sync and the store, frees the config, removes the directory and
 * frees its path; *h is left cleared. Safe on a half-opened harness. */
void sh_close(sink_harness *h);

/* Parses `yaml` (as the file "t.yaml"), replacing the config and the sync
 * held before, opens the store the first time, and opens the sync (without
 * contacting the sinks when !connect). Aborts the test on any error. */
void sh_load(sink_harness *h, const char *yaml, int connect);
/* The same from a real file: writes `yaml` to dir/srr.yaml and loads it, so
 * relative paths in it (the store, a credentials file) are the directory's. */
void sh_load_file(sink_harness *h, const char *yaml);

/* Applies one firing candidate (sf_candidate: id, fingerprint, action,
 * observed at `at`) to the store at `at`; `title` replaces its title when
 * not NULL. Aborts the test on error. */
void sh_apply(sink_harness *h, const char *cand, const char *fp, srr_action a, int64_t at,
              const char *title);

/* One delivery pass at `now` (srr_sync_pass); returns its stats. */
srr_sync_stats sh_pass_at(sink_harness *h, int64_t now);
/* One `srr sync --once` run (srr_sync_run); returns its stats. */
srr_sync_stats sh_sync_once(sink_harness *h);
/* The store's status of the sinks (srr_sync_status); caller json_decrefs. */
json_t *sh_status(sink_harness *h);
/* A single-value integer query on the store file (sf_query_int). */
long long sh_q(sink_harness *h, const char *sql);

/* Sleeps `ms` milliseconds: only between polls of a condition. */
void sh_wait_ms(long ms);

/* Runs `step` until `cond` holds, at most `max` times, 200 ms apart (a real
 * Retry-After or poll interval is real time); asserts `cond` at the end.
 * `what` names the step in the failure message ("passes", "syncs"). The
 * step may use sh_try_, the number of steps made before it. */
#define SH_STEP_UNTIL(step, cond, max, what)                                                       \
    do {                                                                                           \
        int sh_try_;                                                                               \
        for (sh_try_ = 0; sh_try_ < (max) && !(cond); sh_try_++) {                                 \
            (void)(step);                                                                          \
            if (!(cond))                                                                           \
                sh_wait_ms(200);                                                                   \
        }                                                                                          \
        cr_assert(cond, "not reached after %d " what ": %s", sh_try_, #cond);                      \
    } while (0)

/* Passes until `cond`, each pass 10 s later than the one before on the
 * sink's clock (its own backoff skipped) and 200 ms later in real time. */
#define SH_PASS_UNTIL(h, cond, max)                                                                \
    SH_STEP_UNTIL(sh_pass_at((h), srr_now() + sh_try_ * 10), cond, max, "passes")
/* Sync runs until `cond` (a sink polls on its own interval). */
#define SH_SYNC_UNTIL(h, cond, max) SH_STEP_UNTIL(sh_sync_once(h), cond, max, "syncs")

#endif
