/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_http.h - the scaffold under the fake Slack, GitHub, Jira and Sheets
 * servers: libmicrohttpd on 127.0.0.1, port chosen by the kernel, one thread
 * per connection. It collects each request (method, path, raw query,
 * headers, bounded body), hands it to the fake's handler, sends what the
 * handler answered, and logs every exchange so tests can assert on what a
 * client sent and what it got.
 *
 * Two switches every fake shares:
 *   - an outage: every request is answered with a fixed status and body
 *     (e.g. 503) before the handler sees it, or its connection is dropped
 *     without an answer (status -1);
 *   - a wait: fake_http_wait_count() polls the log until a condition holds
 *     or a deadline passes (tests wait on events, never fixed sleeps).
 * Every function is thread-safe.
 */
#ifndef SRR_TESTS_FAKE_HTTP_H
#define SRR_TESTS_FAKE_HTTP_H

#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

#include "srr.h"

typedef struct fake_http fake_http;

/* A request as the handler sees it (valid during the call only). */
typedef struct fake_http_req {
    const char *method;
    const char *path;  /* decoded path, no query */
    const char *query; /* raw query string without '?', "" when none */
    const char *body;  /* NUL-terminated, "" when none */
    size_t body_len;
    void *conn; /* the MHD connection, for the accessors below */
} fake_http_req;

/* Header value (case-insensitive name) or NULL. */
const char *fake_http_req_header(const fake_http_req *r, const char *name);
/* Decoded query argument or NULL. */
const char *fake_http_req_arg(const fake_http_req *r, const char *name);

/* The answer a handler fills. Set with the helpers; the scaffold frees. */
typedef struct fake_http_resp {
    int status; /* 0 = not answered: 500 "no handler answer"; -1 = drop the connection */
    char *content_type;
    char *body;
    char headers[1024]; /* extra "Name: value\n" lines */
} fake_http_resp;

/* Sets status, content type and a copy of body. */
void fake_http_reply(fake_http_resp *resp, int status, const char *content_type, const char *body);
/* Same with a printf-formatted body. */
void fake_http_replyf(fake_http_resp *resp, int status, const char *content_type, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));
/* Sets status, content type and j as compact JSON text; takes j (decrefs it). */
void fake_http_reply_json(fake_http_resp *resp, int status, const char *content_type, json_t *j);
/* Adds a response header. */
void fake_http_header(fake_http_resp *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef void (*fake_http_handler)(void *ud, const fake_http_req *req, fake_http_resp *resp);

/* Starts a server calling handler(ud, ...) for every request (from many
 * threads: the handler locks what it shares). NULL when it cannot start. */
fake_http *fake_http_start(fake_http_handler handler, void *ud);
/* Stops the server and frees everything; sets *f to NULL. NULL-tolerant. */
void fake_http_stop(fake_http **f);
/* "http://127.0.0.1:<port>" without a trailing slash. */
const char *fake_http_url(const fake_http *f);

/* Outage: status > 0 answers every request with it (and `body` as
 * text/plain or JSON when it starts with '{'); -1 drops every connection;
 * 0 ends the outage. `retry_after_s` > 0 adds a Retry-After header. */
void fake_http_set_outage(fake_http *f, int status, const char *body, int retry_after_s);

/* One logged exchange (copies; free with fake_http_entry_free). */
typedef struct fake_http_entry {
    char *method, *path, *query, *body;
    char *authorization; /* the Authorization header, NULL when absent */
    int status;          /* what was answered (-1 dropped) */
    long long at_ms;     /* wall clock when it arrived */
} fake_http_entry;

/* Requests received so far. */
size_t fake_http_count(fake_http *f);
/* Requests with this method (NULL = any) whose path starts with `prefix`
 * (NULL = any) and that were answered `status` (0 = any). */
size_t fake_http_count_where(fake_http *f, const char *method, const char *prefix, int status);
/* Copies entry i (0 = first) into *out; returns 0, or -1 when i is past the end. */
int fake_http_entry_get(fake_http *f, size_t i, fake_http_entry *out);
void fake_http_entry_free(fake_http_entry *e);
/* Polls until fake_http_count_where(...) >= n or `timeout_ms` passes;
 * returns 1 when reached. */
int fake_http_wait_count(fake_http *f, const char *method, const char *prefix, int status, size_t n,
                         long timeout_ms);

/* ---- for fakes that run their own libmicrohttpd daemon -----------------
 * fake_dd (binary answers, in-flight counts, delays) and fake_notion (TLS)
 * drive libmicrohttpd themselves; these are the pieces of a request's life
 * they share with the scaffold above. */
/* Starts libmicrohttpd on 127.0.0.1 at a port the kernel picks, one thread
 * per connection, 30 s connection timeout, with the access handler, the
 * URI logger (returning the request's state, e.g. a fake_http_upload) and
 * the completion notifier, each called with `cls`. Returns the daemon (stop
 * it with MHD_stop_daemon), its URL "http://127.0.0.1:<port>" written to
 * url (size n) and its port to *port (may be NULL); NULL after saying why
 * on stderr, named by `who`. */
struct MHD_Daemon *fake_http_daemon_start(const char *who, MHD_AccessHandlerCallback access,
                                          void *(*uri_log)(void *cls, const char *uri,
                                                           struct MHD_Connection *conn),
                                          MHD_RequestCompletedCallback completed, void *cls,
                                          char *url, size_t n, unsigned short *port);

/* One request's state between libmicrohttpd's calls. */
typedef struct fake_http_upload {
    char *raw_uri; /* the URI as sent, with its query; "" when not given */
    srr_buf body;  /* the request body, at most the bound given */
    int started;   /* the access handler's first call has been seen */
    int too_big;   /* the body passed its bound (the rest was dropped) */
} fake_http_upload;

/* A new request state (uri may be NULL); free with fake_http_upload_free. */
fake_http_upload *fake_http_upload_new(const char *uri, size_t max_body);
/* Frees u and what it holds. NULL-tolerant. */
void fake_http_upload_free(fake_http_upload *u);
/* Takes the chunk of the body libmicrohttpd passes (setting *size to 0);
 * returns 1 when there was one (the access handler then returns MHD_YES),
 * 0 when the body is complete and the request is to be answered. */
int fake_http_upload_take(fake_http_upload *u, const char *data, size_t *size);
/* Adds "Name: value" lines (separated by '\n', values trimmed) to r; sets
 * *has_content_type (when not NULL) if one of them is Content-Type. */
void fake_http_add_header_lines(struct MHD_Response *r, const char *lines, int *has_content_type);

#endif
