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
 * A client is used by one thread at a time (it owns one curl handle).
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

/* The client. Invariant: `curl` and the header lists are non-NULL exactly
 * in LIVE and RECORD modes; `dir` is non-NULL in RECORD and REPLAY. */
struct srr_dd_client {
    srr_dd_mode mode;
    char *base_url;              /* without trailing '/', NULL in REPLAY */
    char *dir;                   /* recording directory */
    CURL *curl;                  /* reused for every request (keep-alive) */
    struct curl_slist *hdr_get;  /* Accept + keys */
    struct curl_slist *hdr_post; /* hdr_get + Content-Type */
    char curl_err[CURL_ERROR_SIZE];
    long long max_response_bytes;
    long long timeout_s;
    long long connect_timeout_s;
    long long log_page_limit;
    long long max_log_pages;
    int max_attempts; /* >= 1 */
    long backoff_ms;  /* first retry sleep; doubles each time */
    dd_counter *counters;
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

#endif
