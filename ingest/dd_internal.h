/* SPDX-License-Identifier: Apache-2.0
 *
 * dd_internal.h - what the files of ingest/ share about the Datadog client
 * and nobody else needs: the client struct, one request and one answer as
 * plain values, the answer classifier, the parsers of error bodies, and the
 * record/replay store.
 *
 * One exchange with Datadog is always: build a dd_request -> obtain a
 * dd_answer (live HTTP, or read back from a recording) -> classify it with
 * dd_classify(). Keeping those three steps apart is what lets the transport
 * change (curl multi, concurrency) without touching parsing or recording.
 *
 * The files and who calls whom (no two call each other):
 *   datadog.c    the client, the run API, the one-shot wrappers
 *                -> engine.c, dd_metrics.c, dd_logs.c
 *   dd_metrics.c v1 query and v2 timeseries batch tasks -> engine.c, parse.c
 *   dd_logs.c    logs search and aggregate tasks -> parse.c
 *   engine.c     runs tasks (through their ops) -> parse.c, recording.c,
 *                dd_links.c
 *   parse.c      answers, errors, classification; recording.c record/replay
 *   dd_links.c   URL text: percent-encoding and the links people click
 *
 * A client is used by one thread at a time (it owns a curl multi handle).
 * Tests may include this header to tune retries (srr_dd_client_set_retry).
 */
#ifndef SRR_INGEST_DD_INTERNAL_H
#define SRR_INGEST_DD_INTERNAL_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "datadog.h"

#define DD_DEFAULT_MAX_RESPONSE (64LL * 1024 * 1024)
#define DD_DEFAULT_PAGE_LIMIT 1000
#define DD_MAX_PAGE_LIMIT 1000
#define DD_DEFAULT_MAX_PAGES 1000
#define DD_DEFAULT_ATTEMPTS 3
#define DD_DEFAULT_BACKOFF_MS 1000
#define DD_MAX_BACKOFF_MS 8000 /* one sleep is never longer than this */
#define DD_MAX_RESET_WAIT_S 10 /* honour X-RateLimit-Reset up to this */

/* Per-check request counter: recordings number requests per check. */
typedef struct dd_counter {
    char *check;
    unsigned n;
    struct dd_counter *next;
} dd_counter;

/* How long the first request on an API path (the "probe", sent alone so
 * that its answer can announce the path's rate limit) holds the others
 * back: a probe that hangs must not serialise every request behind it. */
#define DD_PROBE_HOLD_MS 2000

/* A rate-limit bucket as Datadog announces it (X-RateLimit-Name; answers
 * without a name use their path as the name). Invariant: `inflight` counts
 * requests sent on this bucket and not yet answered; a request may start
 * only while remaining - inflight > 0 or the reset time has passed. */
typedef struct dd_bucket {
    char *name;
    long long limit;      /* X-RateLimit-Limit, 0 when unknown */
    long long period_s;   /* X-RateLimit-Period, 0 when unknown */
    long long remaining;  /* X-RateLimit-Remaining as last seen */
    int64_t reset_at_ms;  /* monotonic ms when the period ends */
    int inflight;
    struct dd_bucket *next;
} dd_bucket;

/* What the client learned about one API path: which bucket it counts
 * against (NULL once `known` and the answers carried no limit). Until the
 * first answer arrives only one request ("probe") may be in flight. */
typedef struct dd_route {
    char *path;
    char *family;        /* "/api/v2/logs": paths of one family may share a bucket */
    int known;
    int probing;
    int64_t probe_since_ms; /* when the probe in flight was sent */
    int probe_gave_up;   /* a probe ended without an answer: stop probing, go on
                            concurrently until an answer tells the bucket */
    dd_bucket *bucket;
    struct dd_route *next;
} dd_route;

/* The client. Invariant: `multi` and the header lists are non-NULL exactly
 * in LIVE and RECORD modes; `dir` is non-NULL in RECORD and REPLAY. */
struct srr_dd_client {
    srr_dd_mode mode;
    char *base_url;              /* without trailing '/', NULL in REPLAY */
    char *site;                  /* datadog.site / $DD_SITE, for messages; may be NULL */
    int api_url_set;             /* base_url came from datadog.api_url, not the site */
    char *dir;                   /* recording directory */
    CURLM *multi;                /* shared connection cache (keep-alive) */
    CURL **easy;                 /* max_concurrency reusable handles */
    struct curl_slist *hdr_get;  /* Accept + keys */
    struct curl_slist *hdr_post; /* hdr_get + Content-Type */
    long long max_response_bytes;
    long long timeout_ms;
    long long connect_timeout_ms;
    long long log_page_limit;
    long long max_log_pages;
    int max_concurrency;     /* >= 1 */
    int max_attempts;        /* >= 1 */
    long backoff_ms;         /* first retry sleep; doubles each time (with jitter) */
    int64_t retry_max_ms;    /* total time one request may spend retrying */
    int64_t rl_max_wait_ms;  /* longest wait for an announced reset */
    double time_scale;       /* $SRR_TEST_TIME_SCALE: scales backoff sleeps only */
    int progress;            /* print progress on stderr */
    unsigned rng;            /* jitter */
    dd_counter *counters;
    dd_bucket *buckets;
    dd_route *routes;
    srr_dd_stats stats;
};
/* One request, as srr asks it. `query` (GET) is an object of string params
 * in order; `body` (POST) the JSON body. Both borrowed. */
typedef struct dd_request {
    const char *check;
    const char *method; /* "GET" or "POST" */
    const char *path;   /* "/api/v1/query" */
    json_t *query;
    json_t *body;
} dd_request;

/* One answer. `body` holds the raw bytes (NUL-terminated). */
typedef struct dd_answer {
    long status;
    srr_buf body;
    long long ratelimit_reset_s; /* X-RateLimit-Reset, -1 when absent */
    long long rl_limit, rl_period_s, rl_remaining; /* -1 when absent */
    char rl_name[64];                              /* X-RateLimit-Name, "" when absent */
} dd_answer;

void dd_answer_init(dd_answer *a, size_t max);
void dd_answer_free(dd_answer *a);

/* Turns an HTTP status and body into a return code and a message naming
 * the check, the status and Datadog's errors[]. 2xx -> SRR_OK. */
srr_rc dd_classify(const char *check, const dd_answer *a, srr_error *err);

/* Joins Datadog's errors[] (strings or {title, detail, status} objects) of a
 * JSON body into "a; b". Returns a new string (caller frees), or NULL when
 * the body is not JSON or has no errors[]. */
char *dd_errors_join(const char *body, size_t len);

/* Same, from a parsed body. */
char *dd_errors_of(const json_t *root);

/* Formats a jansson parse failure of a 200 body as the standard message. */
srr_rc dd_not_json(const char *check, long status, const json_error_t *je, srr_error *err);

/* Returns 0 when `check` can name a recording directory, else SRR_EINVAL. */
srr_rc dd_check_name_ok(const char *check, srr_error *err);

/* Record/replay (recording.c). dd_record saves one answer; dd_replay reads
 * the next answer of `req->check`, failing with SRR_EINVAL naming the file
 * when it is missing or was recorded for another method/path. */
srr_rc dd_record(srr_dd_client *c, const dd_request *req, const dd_answer *a, srr_error *err);
srr_rc dd_replay(srr_dd_client *c, const dd_request *req, dd_answer *a, srr_error *err);

/* Next sequence number (from 1) of `check` in this client. */
unsigned dd_counter_next(srr_dd_client *c, const char *check);

/* Percent-encodes everything but RFC 3986 unreserved characters into b. */
void dd_urlencode(srr_buf *b, const char *s);

/* Tests: sets retry attempts (>= 1) and the first backoff sleep in ms. */
void srr_dd_client_set_retry(srr_dd_client *c, int max_attempts, long backoff_ms);
/* Tests: total time per request in ms (the config has whole seconds). */
void srr_dd_client_set_timeout_ms(srr_dd_client *c, long long ms);

/* ---- the engine (engine.c) ------------------------------------------------
 *
 * A task is one unit of work that talks to Datadog in one or more
 * sequential requests: a v1 query, a v2 batch, a log search (page after
 * page), an aggregate. The engine runs many tasks at once over curl multi,
 * at most max_concurrency requests in flight, honouring rate limits and
 * retrying transient failures; tasks that share a `key` (the check name
 * their requests are recorded under) run one after the other, in the order
 * they were added, so recordings number each check's requests the same way
 * in every run. */
typedef struct dd_task dd_task;
typedef struct dd_task_ops {
    /* Builds the next request into t->req (t owns its query/body). Returns
     * 1 when a request is ready, 0 when the task has nothing more to ask. */
    int (*next)(dd_task *t);
    /* Consumes a 2xx answer. SRR_OK goes on with next(); anything else ends
     * the task with that error. */
    srr_rc (*answer)(dd_task *t, const dd_answer *a, srr_error *err);
    /* Called exactly once when the task ends: rc SRR_OK, or the failure. */
    void (*done)(dd_task *t, srr_rc rc, const srr_error *err);
    /* Frees the task (NULL-tolerant use not needed: called once). */
    void (*destroy)(dd_task *t);
} dd_task_ops;

struct dd_task {
    const dd_task_ops *ops;
    char *key;          /* check name requests are recorded under */
    dd_request req;     /* current request (req.check == key) */
    struct dd_engine *eng;
    /* engine-private */
    int state;          /* 0 new, 1 ready, 2 waiting, 3 running, 4 done */
    int attempt;
    long last_status;   /* HTTP status of the last answer (0: none arrived) */
    int split_on_5xx;   /* set by the task: a 5xx ends it at once, unretried (a
                           batch then asks its members one by one) */
    int waited_rl;      /* this request already counted a rate-limit wait */
    int rl_held;        /* held by a rate limit right now (the wall-time clock) */
    int64_t first_try_ms, not_before_ms;
    dd_task *after;     /* must be done before this one starts */
};

typedef struct dd_engine dd_engine;
/* Creates an engine over the client; destroy with dd_engine_destroy. */
dd_engine *dd_engine_create(srr_dd_client *c);
/* Adds a task (the engine takes ownership; it is destroyed by the engine).
 * Tasks may be added from inside callbacks while the engine runs. */
void dd_engine_add(dd_engine *e, dd_task *t);
/* Runs every task to its end. Returns SRR_OK, or SRR_EIO when curl itself
 * fails (then every unfinished task is ended with that error). */
srr_rc dd_engine_run(dd_engine *e, srr_error *err);
void dd_engine_destroy(dd_engine **e);
srr_dd_client *dd_engine_client(dd_engine *e);
/* Monotonic milliseconds. */
int64_t dd_mono_ms(void);

/* Parsers of the v2 answers (parse.c). dd_parse_v2 splits a v2 timeseries
 * answer into `n` results (outs[i] for formula i, zeroed first); `metrics`
 * names the metric of each (may be NULL entries). When the answer carries
 * series AND Datadog's `errors` (some queries failed, the rest came back),
 * *errors (may be NULL) receives that text (caller frees) and SRR_OK is
 * returned: the caller decides how partial the answer is. */
srr_rc dd_parse_v2(const char *check, const char *body, size_t len, size_t n,
                   const char *const *metrics, srr_metric_result *outs, char **errors,
                   srr_error *err);

/* The unit pair of a v1 or v2 series (`unit`: null, [unit|null, unit|null],
 * or tolerated a bare unit object) into s->unit and its details. */
void dd_parse_unit(const json_t *unit, srr_series *s);

/* What Datadog's logs `meta` says about completeness: NULL when the answer
 * is whole, else a new string (caller frees) naming why it may be partial
 * ("meta.status is timeout", "warning unknown_index: ..."). */
char *dd_logs_meta_partial(const json_t *meta);

/* ---- the metric tasks (dd_metrics.c) ------------------------------------ */

/* One metric query asked for one check. Strings owned. */
typedef struct dd_metrics_item {
    char *check, *query, *metric;
    int64_t from_s, to_s;
    srr_dd_metrics_cb cb; /* NULL once delivered */
    void *ud;
} dd_metrics_item;

/* Frees the item's strings (not the item). */
void dd_metrics_item_free(dd_metrics_item *it);
/* Calls the item's callback once with (rc, res, err) and clears what the
 * callback left in res; a NULL res delivers an empty result. */
void dd_metrics_item_deliver(dd_metrics_item *it, srr_rc rc, srr_metric_result *res,
                             const srr_error *err);
/* A v1 task asking `it` (it is moved into the task). */
dd_task *dd_v1_task_new(dd_metrics_item *it);
/* An empty v2 batch recorded under `key`. */
dd_task *dd_v2_batch_new(const char *key);
/* Moves `it` into the batch when it has room and the same window; returns 1
 * then, 0 when the item does not fit (it is untouched). */
int dd_v2_batch_add(dd_task *batch, dd_metrics_item *it);
/* "process.rss" of "avg:process.rss{...} by {host}" (caller frees). */
char *dd_metric_of(const char *query);

/* ---- the log tasks (dd_logs.c) ------------------------------------------ */

/* A logs search over [from_s, to_s): see srr_dd_run_logs. When max_pages
 * is 0 the cap is datadog.max_log_pages and reaching it with more pages
 * left makes the answer partial; a cap the caller chose (one page of
 * samples) is not. */
dd_task *dd_logs_task_new(srr_dd_client *c, const char *check, const char *query, int64_t from_s,
                          int64_t to_s, long page_limit, long max_pages, int newest_first,
                          srr_dd_log_cb cb, srr_dd_done_cb done, void *ud);
/* A logs count aggregate: totals per group (bucket_cb) or, with
 * interval_s > 0, a count per interval per group (series_cb). */
dd_task *dd_agg_task_new(const char *check, const char *query, const char *const *group_by,
                         size_t ngroup_by, int64_t from_s, int64_t to_s, int64_t interval_s,
                         srr_dd_bucket_cb bucket_cb, srr_dd_series_cb series_cb,
                         srr_dd_done_cb done, void *ud);

#endif
