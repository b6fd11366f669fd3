/* SPDX-License-Identifier: Apache-2.0
 *
 * http.h - the one HTTP exchange every sink makes (srr_http_*): a blocking
 * libcurl request with explicit connect and total timeouts, TLS verified,
 * no redirects, http/https only, a response body bounded in size, and the
 * response headers kept so a client can read Retry-After or its API's
 * rate-limit headers. The outcome is classified the srr way: SRR_OK for
 * 2xx, SRR_RETRY for what may work later (429, 408, 5xx, timeouts, refused
 * connections), a permanent code for the rest.
 *
 * It also holds the small "gate" every client keeps in front of its API: a
 * minimum spacing between requests (Slack: about one message a second), and
 * after a retryable failure the time before which no request is sent at all
 * (Retry-After when the server said so, else exponential backoff), so a
 * rate-limited API is never hammered (Slack and GitHub both warn that an
 * integration that keeps posting while limited may be disabled).
 *
 * Every sink's client uses it: the Notion client (notion_http.c) adds its
 * headers, pacing and retry policy on top, the Slack, GitHub, Jira and
 * Google clients theirs. A client that sends many requests to one host
 * keeps a connection (srr_http_conn) so TLS is negotiated once.
 * Secrets travel only in the `headers` given by the caller and never appear
 * in error messages.
 */
#ifndef SRR_SINKS_HTTP_H
#define SRR_SINKS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "srr.h"

/* A connection kept alive across requests (a libcurl handle and its
 * connection cache). Used by one thread at a time. */
typedef struct srr_http_conn srr_http_conn;

/* A new connection (NULL when libcurl cannot make a handle). */
srr_http_conn *srr_http_conn_create(void);
/* Closes it; NULL-tolerant, sets *c to NULL. */
void srr_http_conn_destroy(srr_http_conn **c);

/* Per-client transport settings. Zero fields take the defaults below. */
typedef struct srr_http_opts {
    long timeout_ms;         /* total time per request (30 s) */
    long connect_timeout_ms; /* time to connect (10 s) */
    size_t max_response;     /* largest body accepted (4 MiB) */
    const char *user_agent;  /* "srr/<version>" */
    srr_http_conn *conn;     /* reuse this connection (borrowed); NULL: one per request */
} srr_http_opts;

#define SRR_HTTP_DEFAULT_TIMEOUT_MS 30000L
#define SRR_HTTP_DEFAULT_CONNECT_MS 10000L
#define SRR_HTTP_DEFAULT_MAX_RESPONSE (4u << 20)

/* One response. `body` is NUL-terminated; `headers` holds the raw header
 * lines of the final response ("Name: value\r\n..."). */
typedef struct srr_http_resp {
    long status; /* 0 when no response arrived */
    srr_buf body;
    srr_buf headers;
    int64_t retry_after_ms; /* Retry-After (seconds or HTTP date) in ms; -1 when absent */
    char transport[256];    /* why no response arrived (curl's words, no URL); "" otherwise */
} srr_http_resp;

/* Sends one request. `method` is "GET", "POST", "PUT", "PATCH" or "DELETE";
 * `headers` is a NULL-terminated list of "Name: value" lines (may be NULL);
 * `body`/`body_len` may be NULL/0. On return *resp owns what arrived (free
 * with srr_http_resp_free, also after a failure).
 * Returns SRR_OK when a response arrived, whatever its status (classify it
 * with srr_http_status_rc); SRR_RETRY when none did (timeout, refused or
 * reset connection, DNS failure); SRR_EAUTH when the server's TLS
 * certificate is not trusted (nothing was sent: not a thing to retry
 * blindly); SRR_EIO when the body exceeded opts->max_response; SRR_EINVAL
 * for a URL curl refuses, and for plain http:// to anything but a loopback
 * address (sink requests carry credentials: https only across a network).
 * Error messages name the method and the URL without its query. */
srr_rc srr_http_request(const srr_http_opts *opts, const char *method, const char *url,
                        const char *const *headers, const char *body, size_t body_len,
                        srr_http_resp *resp, srr_error *err);
void srr_http_resp_free(srr_http_resp *resp);

/* 1 when a sink may send credentials to `url`: https, or http to a
 * loopback address (127.x, localhost, [::1]). */
int srr_http_url_allowed(const char *url);

/* Copies the value of response header `name` (case-insensitive, the last
 * occurrence, trimmed) into out (cap bytes, truncated). Returns out, or NULL
 * when the header is absent. */
const char *srr_http_header(const srr_http_resp *resp, const char *name, char *out, size_t cap);

/* The srr class of an HTTP status: 2xx SRR_OK; 408, 425, 429 and 5xx (but
 * 501/505) SRR_RETRY; 401/403 SRR_EAUTH; 404/410 SRR_ENOTFOUND;
 * 409 SRR_ECONFLICT; any other status SRR_EINVAL. */
srr_rc srr_http_status_rc(long status);

/* Parses a Retry-After value: delta seconds ("30") or an HTTP date. Returns
 * the wait in ms (0 for a date in the past), -1 when unparseable. */
int64_t srr_http_parse_retry_after(const char *value, int64_t now_ms);

/* Percent-encodes everything but RFC 3986 unreserved characters, for one
 * path segment or query value. Caller frees. */
char *srr_http_escape(const char *s);

/* Standard base64 of n bytes (for Basic auth). Caller frees. */
char *srr_http_base64(const void *data, size_t n);

/* Wall clock in milliseconds since the epoch. */
int64_t srr_http_now_ms(void);

/* The gate in front of one API (see the file comment). Plain struct, no
 * resources; not thread-safe (one client is used by one thread). */
typedef struct srr_http_gate {
    int64_t min_interval_ms;  /* spacing between two requests (0 = none) */
    int64_t backoff_base_ms;  /* first wait after a retryable failure without Retry-After */
    int64_t backoff_max_ms;   /* cap of the doubling */
    int64_t last_sent_ms;     /* when the last exchange ended (0 = never) */
    int64_t blocked_until_ms; /* nothing is sent before this */
    unsigned failures;        /* consecutive retryable failures */
} srr_http_gate;

void srr_http_gate_init(srr_http_gate *g, int64_t min_interval_ms, int64_t backoff_base_ms,
                        int64_t backoff_max_ms);
/* Milliseconds until a request may be sent (0 = now), counting both the
 * spacing and a block after a failure. */
int64_t srr_http_gate_wait_ms(const srr_http_gate *g, int64_t now_ms);
/* Returns SRR_OK when a request may go now, sleeping first for the spacing
 * if that is at most `max_sleep_ms`; SRR_RETRY (with a message giving the
 * wait) while blocked after a failure or when the spacing is longer. */
srr_rc srr_http_gate_enter(srr_http_gate *g, int64_t max_sleep_ms, srr_error *err);
/* Records the outcome of a request that left (the spacing counts from now,
 * when its answer came back): SRR_OK clears the failure
 * count; SRR_RETRY blocks the gate for `retry_after_ms` when >= 0, else for
 * the next backoff step. Other codes change nothing. */
void srr_http_gate_done(srr_http_gate *g, srr_rc rc, int64_t retry_after_ms, int64_t now_ms);
/* When the next request may be sent (epoch ms); 0 when it may go now. */
int64_t srr_http_gate_ready_at(const srr_http_gate *g, int64_t now_ms);

#endif
