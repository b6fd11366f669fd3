/* SPDX-License-Identifier: Apache-2.0
 *
 * datadog.h - the Datadog API client used by the sweep: metric queries
 * (GET /api/v1/query) and log search (POST /api/v2/logs/events/search, cursor
 * paging), over libcurl with the DD-API-KEY / DD-APPLICATION-KEY headers,
 * connect and total timeouts and a bounded response size.
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

/* Creates a client. LIVE and RECORD need cfg->api_key and cfg->app_key:
 * without them returns SRR_EAUTH with a message naming DD_API_KEY and
 * DD_APP_KEY. `base_url` is e.g. "https://api.datadoghq.com" (copied).
 * `dir` is the recording directory for RECORD/REPLAY (copied), else NULL.
 * On success *out must be released with srr_dd_client_destroy(). */
srr_rc srr_dd_client_create(const srr_dd_config *cfg, const char *base_url, srr_dd_mode mode,
                            const char *dir, srr_dd_client **out, srr_error *err);
/* Frees the client and sets *c to NULL. NULL-tolerant. */
void srr_dd_client_destroy(srr_dd_client **c);

/* Runs one metric query over [from_s, to_s) for the check named `check`.
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

/* Recording metadata: the sweep's window end, so a replay judges exactly
 * the same window (and yields the same candidate ids). */
srr_rc srr_dd_recording_write_meta(const char *dir, int64_t window_end, srr_error *err);
srr_rc srr_dd_recording_read_meta(const char *dir, int64_t *window_end, srr_error *err);

/* Links a person can click. `site` is the DD site ("datadoghq.com"); the
 * result is "https://app.<site>/..." newly allocated, caller frees. */
char *srr_dd_link_metrics(const char *site, const char *query, int64_t from_s, int64_t to_s);
char *srr_dd_link_logs(const char *site, const char *query, int64_t from_s, int64_t to_s);

/* Parsers, exposed for tests and replay: parse a v1 query body / one logs
 * search page. Same error rules as above (check and status name the
 * source in messages). */
srr_rc srr_dd_parse_metrics(const char *check, const char *body, size_t len,
                            srr_metric_result *out, srr_error *err);

#endif
