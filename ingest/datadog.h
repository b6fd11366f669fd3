/* SPDX-License-Identifier: Apache-2.0
 *
 * datadog.h - the Datadog API client used by the sweep: metric queries
 * (POST /api/v2/query/timeseries, several checks per request, and
 * GET /api/v1/query where v2 cannot serve), log search
 * (POST /api/v2/logs/events/search, cursor paging, page by page) and log
 * aggregation (POST /api/v2/logs/analytics/aggregate: totals, or counts
 * per interval for spikes), over the libcurl
 * multi interface with the DD-API-KEY / DD-APPLICATION-KEY headers, connect
 * and total timeouts, a bounded response size, rate limits read from every
 * answer (X-RateLimit-*) and bounded retries with backoff and jitter.
 * HTTPS_PROXY / NO_PROXY are honoured (libcurl reads them).
 *
 * Which endpoint serves a metrics check: v2 when the query is one plain
 * metric query ("avg:m{scope} by {tags}", optionally with .rollup(...),
 * .as_count() and the like); checks sharing a window go in one v2 request
 * (up to SRR_DD_V2_MAX_QUERIES queries). v1 serves everything v2 takes only
 * as formulas: arithmetic ("... * 100"), functions around a query
 * ("anomalies(...)", "top(...)"), several comma-separated queries.
 * Which serves a logs check: aggregate for counts (measure count or
 * change; one request whatever the volume, buckets per group_by facet;
 * spike asks the counts per interval),
 * search for what needs the events themselves (new_pattern, and the few
 * sample messages of a count check that fired).
 *
 * The client runs in one of three modes:
 *   LIVE   - real HTTP to the configured base URL;
 *   RECORD - LIVE, and every answer is saved under a directory;
 *   REPLAY - answers are read back from such a directory, no network, no keys.
 *
 * Recording layout (also what examples/demo-week holds):
 *   DIR/sweep.json                      {"window_end": <epoch s>, "recorded_at": ...}
 *   DIR/<check>/<NNN>.request.json      {"method","path","query"|"body","status"}
 *   DIR/<check>/<NNN>.response.json     the raw body Datadog returned, byte for byte
 * NNN counts requests of that check from 001 in the order they were made.
 */
#ifndef SRR_INGEST_DATADOG_H
#define SRR_INGEST_DATADOG_H

#include <stdint.h>

#include "config.h"
#include "signal.h"
#include "srr.h"

typedef enum { SRR_DD_LIVE = 0, SRR_DD_RECORD, SRR_DD_REPLAY } srr_dd_mode;

typedef struct srr_dd_client srr_dd_client;

#define SRR_DD_V2_MAX_QUERIES 10

/* What a client did so far (all runs added up). */
typedef struct srr_dd_stats {
    unsigned long requests;       /* HTTP requests sent (or answers replayed) */
    unsigned long retries;        /* requests repeated after 429/5xx/timeout/connection error */
    unsigned long http_429;       /* answers 429 received */
    unsigned long rl_waits;       /* times a request waited for an announced reset */
    int64_t rl_wait_ms;           /* wall time during which at least one request was
                                     held for a reset (not the sum over requests) */
    unsigned long failed_tasks;   /* tasks that ended in an error */
    int peak_inflight;            /* most requests in flight at once */
} srr_dd_stats;

/* Creates a client. LIVE and RECORD need cfg->api_key and cfg->app_key:
 * without them returns SRR_EAUTH with a message naming DD_API_KEY and
 * DD_APP_KEY. `base_url` is e.g. "https://api.datadoghq.com" (copied).
 * `dir` is the recording directory for RECORD/REPLAY (copied), else NULL.
 * On success *out must be released with srr_dd_client_destroy(). */
srr_rc srr_dd_client_create(const srr_dd_config *cfg, const char *base_url, srr_dd_mode mode,
                            const char *dir, srr_dd_client **out, srr_error *err);
/* Frees the client and sets *c to NULL. NULL-tolerant. */
void srr_dd_client_destroy(srr_dd_client **c);

/* Runs one metric query over [from_s, to_s) for the check named `check`
 * through GET /api/v1/query (one request, with the run's retries).
 * On success fills *out (clear it with srr_metric_result_clear). Errors:
 * SRR_EINVAL for a 400/403-style refusal or a body that is not the expected
 * JSON (message names the check, the HTTP status and Datadog's errors[]),
 * SRR_EAUTH for 401/403, SRR_RETRY for 429/5xx/timeouts, SRR_EIO otherwise. */
srr_rc srr_dd_query_metrics(srr_dd_client *c, const char *check, const char *query,
                            int64_t from_s, int64_t to_s, srr_metric_result *out,
                            srr_error *err);

/* Called once per log event, page by page. Return 0 to go on, non-zero to
 * stop early (the search then returns SRR_OK). */
typedef int (*srr_dd_log_cb)(void *ud, const srr_log_event *ev);

/* Searches logs over [from_s, to_s), following meta.page.after until it is
 * absent or a page is empty (bounded by max_log_pages). Each page is freed
 * before the next is fetched, so memory stays flat. *nevents (may be NULL)
 * receives the number of events delivered. Errors as srr_dd_query_metrics. */
srr_rc srr_dd_search_logs(srr_dd_client *c, const char *check, const char *query,
                          int64_t from_s, int64_t to_s, srr_dd_log_cb cb, void *ud,
                          size_t *nevents, srr_error *err);

/* ---- running many queries at once ------------------------------------------
 *
 * A run collects work, then srr_dd_run_go() performs all of it concurrently
 * (bounded by datadog.max_concurrency). Results come back through callbacks,
 * called on the caller's thread during srr_dd_run_go(); callbacks may add
 * more work to the same run. Each piece of work is recorded (and replayed)
 * under its check's name; the pieces of one check run in the order added. */
typedef struct srr_dd_run srr_dd_run;

/* Creates an empty run over the client (which must outlive it). */
srr_dd_run *srr_dd_run_create(srr_dd_client *c);
/* Frees the run and sets *r to NULL. NULL-tolerant. */
void srr_dd_run_destroy(srr_dd_run **r);

/* Receives one metrics query's outcome: on SRR_OK `res` holds the series
 * (the callback may take them: it must leave *res cleared or clear it
 * itself; the run clears whatever is left), else `err` says why. On
 * SRR_EPARTIAL `res` holds the series that came back and `err` says what
 * Datadog reported missing (its per-query `errors`). */
typedef void (*srr_dd_metrics_cb)(void *ud, srr_rc rc, srr_metric_result *res,
                                  const srr_error *err);
/* Receives the end of a logs search or aggregate: rc and the number of
 * events (search) or buckets (aggregate) delivered. SRR_EPARTIAL means
 * everything that arrived was delivered but is not the whole answer
 * (meta.status "timeout", warnings that results may be partial, the page
 * cap reached with more pages left); `err` says which. */
typedef void (*srr_dd_done_cb)(void *ud, srr_rc rc, size_t n, const srr_error *err);
/* One aggregate bucket: the values of the group_by facets (in order) and
 * the count. Return non-zero to stop. */
typedef int (*srr_dd_bucket_cb)(void *ud, const char *const *values, size_t nvalues,
                                double count);

/* One group of a timeseries aggregate: the values of the group_by facets
 * and its counts per interval (points in time order; an interval Datadog
 * left out had no events). Return non-zero to stop. */
typedef int (*srr_dd_series_cb)(void *ud, const char *const *values, size_t nvalues,
                                const srr_point *points, size_t npoints);

/* Adds a metric query over [from_s, to_s). Strings are copied. */
void srr_dd_run_metrics(srr_dd_run *r, const char *check, const char *query, int64_t from_s,
                        int64_t to_s, srr_dd_metrics_cb cb, void *ud);
/* Adds a log search: events are delivered page by page to ev_cb (the page
 * is freed before the next is fetched). `page_limit` 0 means
 * datadog.log_page_limit; `max_pages` 0 means datadog.max_log_pages;
 * `newest_first` sorts by -timestamp. */
void srr_dd_run_logs(srr_dd_run *r, const char *check, const char *query, int64_t from_s,
                     int64_t to_s, long page_limit, long max_pages, int newest_first,
                     srr_dd_log_cb ev_cb, srr_dd_done_cb done, void *ud);
/* Adds a log count aggregate grouped by `group_by` (may be empty: one
 * bucket with the total). Logs missing a facet are counted under "n/a". */
void srr_dd_run_aggregate(srr_dd_run *r, const char *check, const char *query,
                          const char *const *group_by, size_t ngroup_by, int64_t from_s,
                          int64_t to_s, srr_dd_bucket_cb cb, srr_dd_done_cb done, void *ud);
/* Adds a log count aggregate over time (compute type timeseries): the
 * count per `interval_s` interval of each group, for spikes. */
void srr_dd_run_aggregate_series(srr_dd_run *r, const char *check, const char *query,
                                 const char *const *group_by, size_t ngroup_by, int64_t from_s,
                                 int64_t to_s, int64_t interval_s, srr_dd_series_cb cb,
                                 srr_dd_done_cb done, void *ud);
/* Performs everything added (and added meanwhile by callbacks). Every
 * callback has been called when it returns. Returns SRR_OK, or SRR_EIO
 * when the transport itself failed (the callbacks then got the error). */
srr_rc srr_dd_run_go(srr_dd_run *r, srr_error *err);

/* Returns 1 when `query` can be asked through v2 timeseries (see top). */
int srr_dd_query_is_v2(const char *query);

/* Counters of the client so far (borrowed). */
const srr_dd_stats *srr_dd_client_stats(const srr_dd_client *c);
/* Turns progress lines on stderr on or off (the sweep turns them on when
 * stderr is a terminal). */
void srr_dd_client_set_progress(srr_dd_client *c, int on);

/* Recording metadata: the sweep's window end, so a replay judges exactly
 * the same window (and yields the same candidate ids). */
srr_rc srr_dd_recording_write_meta(const char *dir, int64_t window_end, srr_error *err);
srr_rc srr_dd_recording_read_meta(const char *dir, int64_t *window_end, srr_error *err);
/* The windows a recorded sweep judged, when it judged more than one per
 * check (catch-up): `plan` is a JSON array of {"check", "window_end"} kept
 * in sweep.json. write_plan rewrites sweep.json with it; read_plan returns
 * a new reference (caller decrefs) or NULL when the recording has none. */
srr_rc srr_dd_recording_write_plan(const char *dir, int64_t window_end, const json_t *plan,
                                   srr_error *err);
json_t *srr_dd_recording_read_plan(const char *dir);

/* Links a person can click (dd_links.c). `site` is the DD site
 * ("datadoghq.com"); the result is "https://app.<site>/..." newly
 * allocated, caller frees. */
char *srr_dd_link_metrics(const char *site, const char *query, int64_t from_s, int64_t to_s);
char *srr_dd_link_logs(const char *site, const char *query, int64_t from_s, int64_t to_s);

/* Parsers, exposed for tests and replay: parse a v1 query body / one logs
 * search page. Same error rules as above (check and status name the
 * source in messages). */
srr_rc srr_dd_parse_metrics(const char *check, const char *body, size_t len,
                            srr_metric_result *out, srr_error *err);

#endif
