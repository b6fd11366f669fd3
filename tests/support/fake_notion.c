/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_notion.c - the HTTP side of the fake Notion API (fake_notion.h):
 * libmicrohttpd with a thread per connection on 127.0.0.1, the body
 * collected, then under the one mutex: the counters, the auth and version
 * headers, the rate limit (a token bucket; 429 with Retry-After, and
 * requests that ignore it counted), the faults, and the model
 * (fake_notion_model.c). A held create waits for release outside the
 * mutex.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_http.h"
#include "fake_notion_internal.h"
#include "srr.h"

#define FN_MAX_BODY (2u << 20)

static const char *const KNOWN_VERSIONS[] = {"2021-05-13", "2021-08-16", "2022-02-22", "2022-06-28",
                                             "2025-09-03", "2026-03-11", NULL};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

json_t *fn_error(int status, const char *code, const char *fmt, ...)
{
    char msg[512], rid[40];
    va_list ap;
    static unsigned long n;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(rid, sizeof(rid), "req-%08lu", ++n);
    return json_pack("{s:s, s:i, s:s, s:s, s:s}", "object", "error", "status", status, "code", code,
                     "message", msg, "request_id", rid);
}

/* The route of a path: ids replaced by {id}. */
static void route_of(const char *method, const char *path, char *out, size_t n)
{
    char copy[512], *seg, *save = NULL;
    size_t len = (size_t)snprintf(out, n, "%s /v1", method);
    int prev_named = 0;
    snprintf(copy, sizeof(copy), "%s", path);
    for (seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
        int is_id = prev_named && strcmp(seg, "me") != 0 && strcmp(seg, "children") != 0 &&
                    strcmp(seg, "query") != 0;
        len += (size_t)snprintf(out + len, len < n ? n - len : 0, "/%s", is_id ? "{id}" : seg);
        prev_named = !is_id && (strcmp(seg, "pages") == 0 || strcmp(seg, "blocks") == 0 ||
                                strcmp(seg, "databases") == 0 || strcmp(seg, "data_sources") == 0 ||
                                strcmp(seg, "users") == 0);
    }
}

static void count_route(fake_notion *f, const char *route)
{
    json_t *c = json_object_get(f->route_counts, route);
    json_object_set_new(f->route_counts, route, json_integer(c ? json_integer_value(c) + 1 : 1));
}

static enum MHD_Result send_json(struct MHD_Connection *conn, int status, json_t *body,
                                 long retry_after)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : srr_strdup("");
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    enum MHD_Result ret;
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (retry_after > 0) {
        char ra[32];
        snprintf(ra, sizeof(ra), "%ld", retry_after);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    json_decref(body);
    return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    enum MHD_Result ret;
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    ret = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* Token bucket; 0 when the request may go, else the Retry-After to send. */
static long rate_check(fake_notion *f)
{
    double now = mono();
    if (now < f->retry_until)
        f->violations++;
    if (f->rate <= 0)
        return 0;
    f->bucket += (now - f->refilled_at) * f->rate;
    if (f->bucket > (double)f->burst)
        f->bucket = (double)f->burst;
    f->refilled_at = now;
    if (f->bucket >= 1.0) {
        f->bucket -= 1.0;
        return 0;
    }
    {
        long wait = (long)ceil((1.0 - f->bucket) / f->rate);
        if (wait < 1)
            wait = 1;
        if (now + (double)wait > f->retry_until)
            f->retry_until = now + (double)wait;
        f->rate_limited++;
        return wait;
    }
}

static int known_version(const char *v)
{
    for (size_t i = 0; KNOWN_VERSIONS[i]; i++)
        if (strcmp(KNOWN_VERSIONS[i], v) == 0)
            return 1;
    return 0;
}

static const char *down_code(int status)
{
    return status == 503   ? "service_unavailable"
           : status == 504 ? "gateway_timeout"
           : status == 409 ? "conflict_error"
                           : "internal_server_error";
}

static void note_rejection(fake_notion *f, int status, const json_t *resp)
{
    if (status < 400 || status >= 500 || status == 429 || status == 409)
        return;
    f->rejected++;
    free(f->last_rejection);
    f->last_rejection = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
}

/* Handles a complete request. */
static enum MHD_Result serve(fake_notion *f, struct MHD_Connection *conn, const char *method,
                             const char *url, fake_http_upload *c)
{
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    const char *version = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Notion-Version");
    const char *qmark = strchr(url, '?');
    char path[512], route[600];
    const char *query = "";
    json_t *resp = NULL, *body = NULL, *uid;
    fn_request rq;
    long wait;
    int status;

    if (strcmp(url, "/_fake/dump") == 0) {
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        fake_notion_dump(f, m);
        fclose(m);
        return send_text(conn, text);
    }
    snprintf(path, sizeof(path), "%.*s", (int)(qmark ? (size_t)(qmark - url) : strlen(url)), url);
    if (qmark)
        query = qmark + 1;
    pthread_mutex_lock(&f->mu);
    f->requests++;
    if (strncmp(path, "/v1/", 4) != 0) {
        status = 404;
        resp = fn_error(404, "invalid_request_url", "Invalid request URL.");
        goto answer;
    }
    route_of(method, path + 4, route, sizeof(route));
    count_route(f, route);
    uid = auth && strncmp(auth, "Bearer ", 7) == 0 ? json_object_get(f->tokens, auth + 7) : NULL;
    if (!uid) {
        status = 401;
        resp = fn_error(401, "unauthorized", "API token is invalid.");
        goto answer;
    }
    if (!version) {
        status = 400;
        resp = fn_error(400, "missing_version",
                        "Notion-Version header failed validation: "
                        "Notion-Version header should be defined.");
        goto answer;
    }
    if (!known_version(version)) {
        status = 400;
        resp =
            fn_error(400, "invalid_request", "Notion-Version %s is not a valid version.", version);
        goto answer;
    }
    if ((wait = rate_check(f)) > 0) {
        pthread_mutex_unlock(&f->mu);
        return send_json(conn, 429,
                         fn_error(429, "rate_limited",
                                  "You have been rate limited. Please try again in a few "
                                  "minutes."),
                         wait);
    }
    if (f->down) {
        status = f->down;
        resp = fn_error(status, down_code(status), "Notion is unavailable (fake: down).");
        goto answer;
    }
    if (f->fail_n > 0) {
        f->fail_n--;
        status = f->fail_status;
        resp = fn_error(status, down_code(status), "Notion failed this request (fake).");
        goto answer;
    }
    if (f->conflict_n > 0 && strcmp(method, "GET") != 0) {
        f->conflict_n--;
        status = 409;
        resp = fn_error(409, "conflict_error", "Conflict occurred while saving. Please try again.");
        goto answer;
    }
    if (c->too_big) {
        status = 413;
        resp = fn_error(413, "payload_too_large", "The request body is too large.");
        goto answer;
    }
    if (c->body.len) {
        body = json_loads(c->body.data, 0, NULL);
        if (!body) {
            status = 400;
            resp = fn_error(400, "invalid_json", "Error parsing JSON body.");
            goto answer;
        }
    }
    rq.method = method;
    rq.path = path + 4;
    rq.query = query;
    rq.body = body;
    rq.version = version;
    rq.user_id = json_string_value(uid);
    status = fn_model_handle(f, &rq, &resp);
    if (status == 200 && strcmp(route, "POST /v1/pages") == 0) {
        if (f->lose_create) {
            f->lose_create = 0;
            json_decref(resp);
            status = 504;
            resp = fn_error(504, "gateway_timeout", "Gateway timed out (fake: after the create).");
        } else if (f->hold) {
            unsigned long gen = f->release_gen;
            f->held++;
            while (f->release_gen == gen && !f->stopping)
                pthread_cond_wait(&f->cv, &f->mu);
            f->held--;
        }
    }
answer:
    note_rejection(f, status, resp);
    pthread_mutex_unlock(&f->mu);
    json_decref(body);
    return send_json(conn, status, resp, 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    fake_notion *f = cls;
    fake_http_upload *c = *con_cls;
    (void)version;
    if (!c) {
        *con_cls = fake_http_upload_new(url, FN_MAX_BODY);
        return MHD_YES;
    }
    if (fake_http_upload_take(c, upload, upload_size))
        return MHD_YES;
    return serve(f, conn, method, url, c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    fake_http_upload_free(*con_cls);
    *con_cls = NULL;
}

static fake_notion *start(unsigned short port, const char *cert_pem, const char *key_pem)
{
    fake_notion *f = srr_calloc(1, sizeof(*f));
    struct sockaddr_in sa;
    const union MHD_DaemonInfo *info;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    fn_model_init(f);
    f->rate = 3;
    f->burst = 3;
    f->bucket = 3;
    f->refilled_at = mono();
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (cert_pem)
        f->d = MHD_start_daemon(
            MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL,
            NULL, on_request, f, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
            on_completed, f, MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_HTTPS_MEM_KEY, key_pem,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    else
        f->d = MHD_start_daemon(
            MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
            NULL, NULL, on_request, f, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
            on_completed, f, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!f->d) {
        fprintf(stderr, "fake_notion: cannot start the server\n");
        fn_model_free(f);
        free(f);
        return NULL;
    }
    info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
    f->port = info ? info->port : port;
    snprintf(f->url, sizeof(f->url), "%s://127.0.0.1:%u", cert_pem ? "https" : "http",
             (unsigned)f->port);
    return f;
}

fake_notion *fake_notion_start(unsigned short port)
{
    return start(port, NULL, NULL);
}

fake_notion *fake_notion_start_tls(const char *cert_pem, const char *key_pem)
{
    return start(0, cert_pem, key_pem);
}

void fake_notion_stop(fake_notion **pf)
{
    fake_notion *f;
    if (!pf || !*pf)
        return;
    f = *pf;
    pthread_mutex_lock(&f->mu);
    f->stopping = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    MHD_stop_daemon(f->d);
    fn_model_free(f);
    free(f->last_rejection);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
    *pf = NULL;
}

const char *fake_notion_url(const fake_notion *f)
{
    return f->url;
}
const char *fake_notion_database(const fake_notion *f)
{
    return f->db_id;
}
const char *fake_notion_data_source(const fake_notion *f)
{
    return f->ds_id;
}
const char *fake_notion_bot(const fake_notion *f)
{
    return f->bot_id;
}

void fake_notion_set_rate(fake_notion *f, double rate, unsigned burst)
{
    pthread_mutex_lock(&f->mu);
    f->rate = rate;
    f->burst = burst ? burst : 1;
    f->bucket = (double)f->burst;
    f->refilled_at = mono();
    pthread_mutex_unlock(&f->mu);
}

void fake_notion_set_down(fake_notion *f, int status)
{
    pthread_mutex_lock(&f->mu);
    f->down = status;
    pthread_mutex_unlock(&f->mu);
}

void fake_notion_fail_next(fake_notion *f, int status, unsigned n)
{
    pthread_mutex_lock(&f->mu);
    f->fail_status = status;
    f->fail_n = n;
    pthread_mutex_unlock(&f->mu);
}

void fake_notion_conflict_next(fake_notion *f, unsigned n)
{
    pthread_mutex_lock(&f->mu);
    f->conflict_n = n;
    pthread_mutex_unlock(&f->mu);
}

void fake_notion_lose_next_create(fake_notion *f)
{
    pthread_mutex_lock(&f->mu);
    f->lose_create = 1;
    pthread_mutex_unlock(&f->mu);
}

void fake_notion_hold_creates(fake_notion *f, int on)
{
    pthread_mutex_lock(&f->mu);
    f->hold = on;
    pthread_mutex_unlock(&f->mu);
}

unsigned fake_notion_held(fake_notion *f)
{
    unsigned n;
    pthread_mutex_lock(&f->mu);
    n = f->held;
    pthread_mutex_unlock(&f->mu);
    return n;
}

void fake_notion_release_held(fake_notion *f)
{
    pthread_mutex_lock(&f->mu);
    f->release_gen++;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

void fake_notion_set_edit_offset(fake_notion *f, long seconds)
{
    pthread_mutex_lock(&f->mu);
    f->edit_offset = seconds;
    pthread_mutex_unlock(&f->mu);
}

#define FN_COUNTER(name, field)                                                                    \
    unsigned fake_notion_##name(fake_notion *f)                                                    \
    {                                                                                              \
        unsigned n;                                                                                \
        pthread_mutex_lock(&f->mu);                                                                \
        n = f->field;                                                                              \
        pthread_mutex_unlock(&f->mu);                                                              \
        return n;                                                                                  \
    }
FN_COUNTER(requests, requests)
FN_COUNTER(rate_limited, rate_limited)
FN_COUNTER(violations, violations)
FN_COUNTER(rejected, rejected)

unsigned fake_notion_count(fake_notion *f, const char *route)
{
    unsigned n;
    pthread_mutex_lock(&f->mu);
    n = (unsigned)json_integer_value(json_object_get(f->route_counts, route));
    pthread_mutex_unlock(&f->mu);
    return n;
}

char *fake_notion_last_rejection(fake_notion *f)
{
    char *s;
    pthread_mutex_lock(&f->mu);
    s = srr_strdup(f->last_rejection);
    pthread_mutex_unlock(&f->mu);
    return s;
}

void fake_notion_reset_counters(fake_notion *f)
{
    pthread_mutex_lock(&f->mu);
    f->requests = f->rate_limited = f->violations = f->rejected = 0;
    json_object_clear(f->route_counts);
    pthread_mutex_unlock(&f->mu);
}
