/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_dd.h - a fake Datadog API server for tests, on libmicrohttpd, bound
 * to 127.0.0.1 on a free port. Tests declare routes (method + path + an
 * optional substring the request must contain) with canned answers, point
 * the client (or the srr binary, via datadog.api_url) at fake_dd_url(), and
 * afterwards assert on hit counters and on the last request seen.
 *
 * Behaviour:
 *   - each route holds a list of answers served in order; once the list is
 *     exhausted the last answer repeats (so "500 then 200" and paging work);
 *   - a route whose `match` is non-NULL only takes requests whose raw query
 *     string, decoded query ("k=v&k=v"), or body contains `match`; routes
 *     with a match are tried before routes without, each group in the order
 *     the routes were added;
 *   - a request no route takes gets 404 {"errors":["fake_dd: no route ..."]};
 *   - answers default to Content-Type: application/json;
 *   - each connection has its own thread, so delayed routes do not hold up
 *     other requests (concurrency can be measured with fake_dd_max_inflight).
 * Every function is thread-safe.
 */
#ifndef SRR_TESTS_FAKE_DD_H
#define SRR_TESTS_FAKE_DD_H

#include <stddef.h>

typedef struct fake_dd fake_dd;

/* Starts a server on 127.0.0.1, port chosen by the kernel. Returns NULL
 * (with a message on stderr) when it cannot start. Stop with fake_dd_stop. */
fake_dd *fake_dd_start(void);
/* Stops the server, frees everything, sets *f to NULL. NULL-tolerant. */
void fake_dd_stop(fake_dd **f);

/* "http://127.0.0.1:<port>" (no trailing slash); valid until stop. */
const char *fake_dd_url(const fake_dd *f);
unsigned short fake_dd_port(const fake_dd *f);

/* Adds one answer to the route (method, path, match); the route is created
 * on first use, later calls with the same triple append answers to it.
 * `headers` is NULL or "Name: value" lines separated by '\n'; `body` may be
 * NULL (empty body). Strings are copied. Returns the route id (>= 0). */
int fake_dd_add(fake_dd *f, const char *method, const char *path, const char *match, int status,
                const char *headers, const char *body);
/* Same, with the body read from a file. Returns -1 if it cannot be read. */
int fake_dd_add_file(fake_dd *f, const char *method, const char *path, const char *match,
                     int status, const char *headers, const char *file);
/* Serves a recording directory (datadog.h's layout): for every check
 * directory, each NNN.request.json's answer is added in order to the route
 * (method, path, match) where match is the request's query text (the
 * "query" parameter, the logs filter.query, or the first v2 query, as it
 * appears in the raw request). `headers` go with every answer. Returns the
 * number of answers added, -1 when the directory cannot be read. */
int fake_dd_serve_recording(fake_dd *f, const char *dir, const char *headers);

/* Adds one answer served `times` times in a row (then the route moves on to
 * its next answer, or repeats this one if it is the last). Returns the route
 * id. For long paging runs without holding every page in memory. */
int fake_dd_add_n(fake_dd *f, const char *method, const char *path, const char *match, int status,
                  const char *headers, const char *body, unsigned times);

/* Announces a rate limit on every answer: X-RateLimit-Limit/-Period/
 * -Remaining/-Reset/-Name for a bucket of `limit` requests per `period_s`
 * seconds (periods aligned on the server's clock); a request past the limit
 * is answered 429 (with the headers) and counted. limit 0 turns it off. */
void fake_dd_set_ratelimit(fake_dd *f, const char *name, unsigned limit, unsigned period_s);
/* Requests that arrived past the announced limit (each got a 429). */
unsigned fake_dd_over_limit(fake_dd *f);

/* Every answer of `route` waits `ms` milliseconds before being sent. */
void fake_dd_set_delay(fake_dd *f, int route, unsigned ms);

/* Requests served by `route` so far. */
unsigned fake_dd_hits(fake_dd *f, int route);
/* All requests received, and those no route took. */
unsigned fake_dd_total_hits(fake_dd *f);
unsigned fake_dd_unmatched(fake_dd *f);
/* Highest number of requests being handled at the same time. */
unsigned fake_dd_max_inflight(fake_dd *f);

/* The last request received. Each returns a new string (caller frees), or
 * NULL when there was no request (or no such header; names are matched
 * case-insensitively). fake_dd_last_query is the raw query string without
 * '?' ("" when none); fake_dd_last_body "" for a body-less request. */
char *fake_dd_last_method(fake_dd *f);
char *fake_dd_last_path(fake_dd *f);
char *fake_dd_last_query(fake_dd *f);
char *fake_dd_last_body(fake_dd *f);
char *fake_dd_last_header(fake_dd *f, const char *name);

/* Forgets all routes, counters and the last request (the port stays). */
void fake_dd_reset(fake_dd *f);

/* For suites whose every test runs srr against one fake Datadog in a
 * temporary directory: declares `dd` and `dir`, and setup() and teardown()
 * that start them and stop and remove them (give them to .init/.fini).
 * Needs <criterion/criterion.h>, <stdlib.h> and "testutil.h". */
#define FAKE_DD_FIXTURE()                                                                          \
    static fake_dd *dd;                                                                            \
    static char *dir;                                                                              \
    static void setup(void)                                                                        \
    {                                                                                              \
        dd = fake_dd_start();                                                                      \
        cr_assert_not_null(dd);                                                                    \
        dir = tu_mkdtemp();                                                                        \
    }                                                                                              \
    static void teardown(void)                                                                     \
    {                                                                                              \
        fake_dd_stop(&dd);                                                                         \
        tu_rmdir_r(dir);                                                                           \
        free(dir);                                                                                 \
    }

#endif
