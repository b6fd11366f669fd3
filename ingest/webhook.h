/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook.h - the Datadog monitor webhook receiver behind `srr serve`: an
 * HTTP server (libmicrohttpd) that authenticates each POST, bounds what it
 * reads, turns the payload into a signal and hands it to an *accept hook*,
 * then answers 202 only once the hook reports the alert durably queued.
 *
 * Two layers, usable apart:
 *   - payload parsing (webhook_payload.c): a body in Datadog's default
 *     payload, srr's recommended template (README) or the `form` encoding
 *     becomes an srr_webhook_alert: a signal (source webhook, kind
 *     monitor_alert) and the candidate id that makes Datadog's retries and
 *     duplicate deliveries store nothing twice. Pure, no I/O: the fuzz
 *     target drives it.
 *   - the server (webhook.c): routes, limits, auth, quarantine, metrics,
 *     and the asynchronous hand-off to the hook.
 *
 * This module knows nothing of rules or the queue: cmd/serve.c wires the
 * hook to the policy and the queue (through webhook_commit.h).
 */
#ifndef SRR_WEBHOOK_H
#define SRR_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "signal.h"
#include "srr.h"

/* ---- payloads ---------------------------------------------------------- */

typedef enum {
    SRR_WEBHOOK_JSON = 0, /* application/json (Datadog's default encoding) */
    SRR_WEBHOOK_FORM      /* application/x-www-form-urlencoded ("Encode as form") */
} srr_webhook_encoding;

/* Picks the encoding from a Content-Type header value (parameters such as
 * "; charset=utf-8" are ignored, case-insensitive). A missing header (NULL
 * or empty) is taken as JSON, since Datadog's own Content-Type is not
 * documented. Returns SRR_EINVAL for any other media type (the server
 * answers 415). */
srr_rc srr_webhook_encoding_of(const char *content_type, srr_webhook_encoding *out);

/* One alert as the receiver understood it. Strings are owned by the struct
 * and freed by srr_webhook_alert_clear(). */
typedef struct srr_webhook_alert {
    srr_signal signal; /* source WEBHOOK, kind MONITOR_ALERT, status, tags, ... */
    char id[65];       /* candidate id: hash of $ID, else of cycle key +
                          transition + date */
    char *event_id;    /* $ID as sent (a string: 19 digits exceed 2^53), may be NULL */
    char *transition;  /* $ALERT_TRANSITION as sent (unknown values kept), may be NULL */
} srr_webhook_alert;

/* Parses a webhook body into *out. Returns SRR_OK, or SRR_EINVAL with a
 * short reason in err ("not JSON: ...", "no $ID and no $ALERT_CYCLE_KEY +
 * $ALERT_TRANSITION + $DATE") for a body that must be answered 400 and
 * quarantined; *out is then cleared. `now` fills observed_at when the
 * payload carries no date. The body need not be NUL-terminated. On success
 * the caller owns *out and frees it with srr_webhook_alert_clear().
 * A JSON body of the usual shape (a flat object of strings) is read in one
 * pass without jansson; any other body is read by jansson, which also
 * words every refusal. */
srr_rc srr_webhook_parse(const char *body, size_t len, srr_webhook_encoding enc, int64_t now,
                         srr_webhook_alert *out, srr_error *err);

/* srr_webhook_parse with jansson reading every body, for the tests and the
 * fuzz target that hold the one-pass reader to it. Same contract. */
srr_rc srr_webhook_parse_full(const char *body, size_t len, srr_webhook_encoding enc,
                              int64_t now, srr_webhook_alert *out, srr_error *err);

/* 1 when srr_webhook_parse reads this JSON body in one pass, 0 when it
 * hands it to jansson. For the tests that check the fast path is taken. */
int srr_webhook_fast_shape(const char *body, size_t len);

/* Frees what the alert owns and zeroes it. NULL-tolerant. */
void srr_webhook_alert_clear(srr_webhook_alert *a);

/* Everything the alert carries as one line: "ID|EVENT_ID|TRANSITION|" and
 * the signal as compact JSON ("-" for an absent id or transition). For
 * comparing two readings of a payload (the tests, the fuzz target) and for
 * debug logs. Returns a new string; the caller frees it. */
char *srr_webhook_alert_dumps(const srr_webhook_alert *a);

/* ---- the server -------------------------------------------------------- */

typedef struct srr_webhook_server srr_webhook_server;

/* A request waiting for the accept hook's verdict. The hook must call
 * srr_webhook_done() exactly once for every request it is given, from any
 * thread, before or after returning. */
typedef struct srr_webhook_request srr_webhook_request;

/* The verdict on one accepted alert:
 *   SRR_OK     durably queued (or deliberately dropped by the policy): 202;
 *   SRR_RETRY  (or any other failure) the queue did not confirm: 503 with
 *              Retry-After, so Datadog retries;
 *   SRR_EINVAL the alert cannot be queued as it is: 400, body quarantined.
 * `reason` (may be NULL) is copied; it must not contain secrets. */
void srr_webhook_done(srr_webhook_request *req, srr_rc rc, const char *reason);

typedef struct srr_webhook_hooks {
    void *ctx;
    /* Called once per well-formed alert on a server thread; `alert` is
     * borrowed for the duration of the call only. Must not block on the
     * queue: hand the work on and call srr_webhook_done() when it is
     * confirmed. */
    void (*accept)(void *ctx, const srr_webhook_alert *alert, srr_webhook_request *req);
    /* GET /readyz: SRR_OK when ready, else a reason in err. May be NULL. */
    srr_rc (*ready)(void *ctx, srr_error *err);
    /* GET /metrics: appends Prometheus text of the hook's own metrics. May
     * be NULL. */
    void (*metrics)(void *ctx, srr_buf *out);
} srr_webhook_hooks;

typedef struct srr_webhook_opts {
    const srr_webhook_config *cfg; /* listen, limits, secrets, TLS, quarantine (borrowed;
                                      must outlive the server) */
    int insecure_no_auth;     /* start without any secret (logged loudly) */
    int64_t queue_timeout_ms; /* no verdict by then: 503 (0 = 10 s) */
    unsigned retry_after_s;   /* Retry-After of a 503 (0 = 15) */
    size_t quarantine_max_files; /* bodies kept in quarantine at most (0 = the config's
                                    webhook.quarantine_max_bodies) */
} srr_webhook_opts;

/* Starts the server: binds cfg->listen (port 0 picks a free port), starts
 * its thread pool and its watchdog. Refuses (SRR_EINVAL, a message without
 * the secret) when no shared secret or basic password is configured and
 * insecure_no_auth is not set, when basic_user lacks a password, or when TLS
 * files are unreadable. Returns SRR_EIO when the address cannot be bound.
 * On success *out is freed with srr_webhook_stop(). */
srr_rc srr_webhook_start(const srr_webhook_opts *opts, const srr_webhook_hooks *hooks,
                         srr_webhook_server **out, srr_error *err);

/* The port the server is bound to. */
unsigned short srr_webhook_port(const srr_webhook_server *s);

/* Stops accepting new connections (the listening socket is closed);
 * connections already open are still served. */
void srr_webhook_quiesce(srr_webhook_server *s);

/* Waits until no request is in flight or timeout_ms passed. Returns the
 * number of requests still in flight (0 when all finished). */
size_t srr_webhook_wait_idle(srr_webhook_server *s, int timeout_ms);

/* Appends the server's metrics (and the hook's) in the Prometheus text
 * format, as GET /metrics serves them. */
void srr_webhook_metrics(srr_webhook_server *s, srr_buf *out);

/* Stops the server: answers requests still waiting for a verdict with 503,
 * closes every connection, joins its threads and frees it. Sets *s to NULL;
 * NULL-tolerant. Call it only after the hook has no more work in progress
 * or can still call srr_webhook_done() safely (requests are reference
 * counted: a late verdict is ignored). */
void srr_webhook_stop(srr_webhook_server **s);

#endif
