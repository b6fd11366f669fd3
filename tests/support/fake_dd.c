/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_dd.c - the fake Datadog server of fake_dd.h: libmicrohttpd with one
 * thread per connection, bound to 127.0.0.1:0, serving canned answers from
 * a route table guarded by one mutex, and remembering the last request.
 *
 * A request goes through three MHD callbacks: the URI logger (allocates the
 * per-request state, fake_http's fake_http_upload, keeping the raw URI with
 * its query string), the access handler (collects the body, then records
 * the request, picks a route or the rate limit's 429, waits the route's
 * delay and sends the answer), and the completion notifier (frees the
 * state).
 */
#include <dirent.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fake_dd.h"
#include "fake_http.h"
#include "srr.h"

#define FAKE_DD_MAX_BODY (16u * 1024 * 1024)

typedef struct fake_answer {
    int status;
    char *headers; /* "Name: value\n..." or NULL */
    char *body;
    size_t len;
    unsigned times; /* served this many times in a row (>= 1) */
} fake_answer;

typedef struct fake_route {
    char *method, *path, *match; /* match may be NULL */
    fake_answer *answers;
    size_t nanswers;
    unsigned hits;
    unsigned delay_ms;
} fake_route;

typedef struct fake_header {
    char *name, *value;
} fake_header;

struct fake_dd {
    struct MHD_Daemon *d;
    unsigned short port;
    char url[64];
    pthread_mutex_t mu;
    int stopping;
    fake_route *routes;
    size_t nroutes;
    unsigned total, unmatched, inflight, max_inflight;
    /* announced rate limit */
    char *rl_name;
    unsigned rl_limit, rl_period_s, rl_count, over_limit;
    long long rl_period_index;
    /* last request */
    char *last_method, *last_path, *last_query, *last_body;
    fake_header *last_headers;
    size_t nlast_headers;
};

/* ---- helpers ------------------------------------------------------------ */

static void clear_last(fake_dd *f)
{
    free(f->last_method);
    free(f->last_path);
    free(f->last_query);
    free(f->last_body);
    for (size_t i = 0; i < f->nlast_headers; i++) {
        free(f->last_headers[i].name);
        free(f->last_headers[i].value);
    }
    free(f->last_headers);
    f->last_method = f->last_path = f->last_query = f->last_body = NULL;
    f->last_headers = NULL;
    f->nlast_headers = 0;
}

static void clear_routes(fake_dd *f)
{
    for (size_t i = 0; i < f->nroutes; i++) {
        fake_route *r = &f->routes[i];
        for (size_t j = 0; j < r->nanswers; j++) {
            free(r->answers[j].headers);
            free(r->answers[j].body);
        }
        free(r->answers);
        free(r->method);
        free(r->path);
        free(r->match);
    }
    free(f->routes);
    f->routes = NULL;
    f->nroutes = 0;
}

static int str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static void sleep_slices(fake_dd *f, unsigned ms)
{
    struct timespec step = {0, 10 * 1000000L};
    for (unsigned waited = 0; waited < ms; waited += 10) {
        pthread_mutex_lock(&f->mu);
        int stop = f->stopping;
        pthread_mutex_unlock(&f->mu);
        if (stop)
            return;
        nanosleep(&step, NULL);
    }
}

/* ---- MHD callbacks -------------------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    return fake_http_upload_new(uri, FAKE_DD_MAX_BODY);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    fake_dd *f = cls;
    (void)conn;
    (void)toe;
    fake_http_upload *r = *con_cls;
    if (!r)
        return;
    if (r->started) {
        pthread_mutex_lock(&f->mu);
        f->inflight--;
        pthread_mutex_unlock(&f->mu);
    }
    fake_http_upload_free(r);
    *con_cls = NULL;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    fake_dd *f = cls; /* called with f->mu held */
    (void)kind;
    f->last_headers = srr_realloc(f->last_headers, (f->nlast_headers + 1) * sizeof(fake_header));
    f->last_headers[f->nlast_headers].name = srr_strdup(key ? key : "");
    f->last_headers[f->nlast_headers].value = srr_strdup(value ? value : "");
    f->nlast_headers++;
    return MHD_YES;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    srr_buf *b = cls;
    (void)kind;
    (void)srr_buf_printf(b, "%s%s=%s", b->len ? "&" : "", key ? key : "", value ? value : "");
    return MHD_YES;
}

static int route_takes(const fake_route *rt, const char *method, const char *path,
                       const char *raw_query, const char *dec_query, const char *body)
{
    if (strcmp(rt->method, method) != 0 || strcmp(rt->path, path) != 0)
        return 0;
    if (!rt->match)
        return 1;
    return strstr(raw_query, rt->match) || strstr(dec_query, rt->match) || strstr(body, rt->match);
}

/* Remembers the request as the last one (f->mu held). */
static void record_last(fake_dd *f, struct MHD_Connection *conn, const char *method,
                        const char *url, const char *raw_query, const char *body)
{
    f->total++;
    clear_last(f);
    f->last_method = srr_strdup(method);
    f->last_path = srr_strdup(url);
    f->last_query = srr_strdup(raw_query);
    f->last_body = srr_strdup(body);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, f);
}

/* The route for the request: one whose match text it holds first, then
 * one without a match text; NULL when none (f->mu held). */
static fake_route *find_route(fake_dd *f, const char *method, const char *url,
                              const char *raw_query, const char *dec_query, const char *body)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < f->nroutes; i++) {
            fake_route *rt = &f->routes[i];
            if ((pass == 0) != (rt->match != NULL))
                continue;
            if (route_takes(rt, method, url, raw_query, dec_query, body))
                return rt;
        }
    }
    return NULL;
}

/* Counts the request in the announced rate limit's period (when there is
 * one) and writes its X-RateLimit-* headers into rl (size n, "" when no
 * limit); returns 1 when the request is over the limit (f->mu held). */
static int count_rate(fake_dd *f, char *rl, size_t n)
{
    struct timespec now;
    long long ms, per, left, reset;
    int limited = 0;
    rl[0] = '\0';
    if (!f->rl_limit)
        return 0;
    clock_gettime(CLOCK_REALTIME, &now);
    ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    per = (long long)f->rl_period_s * 1000;
    if (ms / per != f->rl_period_index) {
        f->rl_period_index = ms / per;
        f->rl_count = 0;
    }
    f->rl_count++;
    left = (long long)f->rl_limit - f->rl_count;
    reset = ((ms / per + 1) * per - ms + 999) / 1000;
    if (left < 0) {
        limited = 1;
        f->over_limit++;
        left = 0;
    }
    snprintf(rl, n,
             "X-RateLimit-Limit: %u\nX-RateLimit-Period: %u\nX-RateLimit-Remaining: "
             "%lld\nX-RateLimit-Reset: %lld\nX-RateLimit-Name: %s",
             f->rl_limit, f->rl_period_s, left, reset, f->rl_name ? f->rl_name : "fake");
    return limited;
}

/* A copy of the route's next answer (the sequence by `times`, the last one
 * repeating) with the rate-limit headers `rl` added; counts the hit and
 * gives the route's delay in *delay (f->mu held). */
static fake_answer route_answer(fake_route *hit, const char *rl, unsigned *delay)
{
    fake_answer ans = {0};
    size_t idx = hit->nanswers - 1;
    unsigned k = hit->hits;
    for (size_t j = 0; j < hit->nanswers; j++) {
        unsigned t = hit->answers[j].times ? hit->answers[j].times : 1;
        if (k < t) {
            idx = j;
            break;
        }
        k -= t;
    }
    const fake_answer *src = &hit->answers[idx];
    hit->hits++;
    ans.status = src->status;
    ans.headers = rl[0] ? srr_asprintf("%s%s%s", src->headers ? src->headers : "",
                                       src->headers ? "\n" : "", rl)
                        : srr_strdup(src->headers);
    ans.body = srr_malloc(src->len + 1);
    memcpy(ans.body, src->body, src->len + 1);
    ans.len = src->len;
    *delay = hit->delay_ms;
    return ans;
}

/* What the request is answered (f->mu held): the rate limit's 429, the
 * route's next answer, or a 404 naming the request. */
static fake_answer choose_answer(fake_dd *f, fake_route *hit, const char *method, const char *url,
                                 unsigned *delay)
{
    fake_answer ans = {0};
    char rl[256];
    if (count_rate(f, rl, sizeof rl)) {
        ans.status = 429;
        ans.headers = srr_strdup(rl);
        ans.body = srr_strdup("");
        ans.len = 0;
    } else if (hit && hit->nanswers) {
        ans = route_answer(hit, rl, delay);
    } else {
        f->unmatched++;
        ans.status = 404;
        ans.body = srr_asprintf("{\"errors\":[\"fake_dd: no route for %s %s\"]}", method, url);
        ans.len = strlen(ans.body);
    }
    return ans;
}

/* Queues the answer (JSON unless its headers name another type); frees it. */
static enum MHD_Result send_answer(struct MHD_Connection *conn, fake_answer *ans)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(ans->len, ans->body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret = MHD_NO;
    if (resp) {
        int has_ct = 0;
        fake_http_add_header_lines(resp, ans->headers, &has_ct);
        if (!has_ct)
            MHD_add_response_header(resp, "Content-Type", "application/json");
        ret = MHD_queue_response(conn, (unsigned)ans->status, resp);
        MHD_destroy_response(resp);
    }
    free(ans->body);
    free(ans->headers);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    fake_dd *f = cls;
    fake_http_upload *r = *con_cls;
    (void)version;
    if (!r)
        return MHD_NO;
    if (!r->started) {
        r->started = 1;
        pthread_mutex_lock(&f->mu);
        f->inflight++;
        if (f->inflight > f->max_inflight)
            f->max_inflight = f->inflight;
        pthread_mutex_unlock(&f->mu);
        return MHD_YES;
    }
    if (fake_http_upload_take(r, upload_data, upload_data_size))
        return MHD_YES;

    const char *q = strchr(r->raw_uri, '?');
    const char *raw_query = q ? q + 1 : "";
    const char *body = r->body.data ? r->body.data : "";
    srr_buf dec;
    srr_buf_init(&dec, 0);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &dec);
    const char *dec_query = dec.data ? dec.data : "";

    unsigned delay = 0;
    pthread_mutex_lock(&f->mu);
    record_last(f, conn, method, url, raw_query, body);
    fake_route *hit = find_route(f, method, url, raw_query, dec_query, body);
    fake_answer ans = choose_answer(f, hit, method, url, &delay);
    pthread_mutex_unlock(&f->mu);
    srr_buf_free(&dec);

    if (r->too_big) {
        free(ans.body);
        free(ans.headers);
        ans = (fake_answer){.status = 413};
        ans.body = srr_strdup("{\"errors\":[\"fake_dd: request body too large\"]}");
        ans.len = strlen(ans.body);
        delay = 0;
    }
    if (delay)
        sleep_slices(f, delay);
    return send_answer(conn, &ans);
}

/* ---- API --------------------------------------------------------------- */

fake_dd *fake_dd_start(void)
{
    fake_dd *f = srr_calloc(1, sizeof(*f));
    pthread_mutex_init(&f->mu, NULL);
    f->d = fake_http_daemon_start("fake_dd", on_request, on_uri, on_completed, f, f->url,
                                  sizeof(f->url), &f->port);
    if (!f->d) {
        fake_dd_stop(&f);
        return NULL;
    }
    return f;
}

void fake_dd_stop(fake_dd **fp)
{
    if (!fp || !*fp)
        return;
    fake_dd *f = *fp;
    pthread_mutex_lock(&f->mu);
    f->stopping = 1;
    pthread_mutex_unlock(&f->mu);
    if (f->d)
        MHD_stop_daemon(f->d);
    clear_routes(f);
    clear_last(f);
    free(f->rl_name);
    pthread_mutex_destroy(&f->mu);
    free(f);
    *fp = NULL;
}

const char *fake_dd_url(const fake_dd *f)
{
    return f->url;
}

unsigned short fake_dd_port(const fake_dd *f)
{
    return f->port;
}

static int add_answer_n(fake_dd *f, const char *method, const char *path, const char *match,
                        int status, const char *headers, char *body_owned, size_t len,
                        unsigned times)
{
    pthread_mutex_lock(&f->mu);
    size_t i;
    for (i = 0; i < f->nroutes; i++) {
        fake_route *rt = &f->routes[i];
        if (strcmp(rt->method, method) == 0 && strcmp(rt->path, path) == 0 &&
            str_eq(rt->match, match))
            break;
    }
    if (i == f->nroutes) {
        f->routes = srr_realloc(f->routes, (f->nroutes + 1) * sizeof(fake_route));
        fake_route *rt = &f->routes[f->nroutes++];
        memset(rt, 0, sizeof(*rt));
        rt->method = srr_strdup(method);
        rt->path = srr_strdup(path);
        rt->match = srr_strdup(match);
    }
    fake_route *rt = &f->routes[i];
    rt->answers = srr_realloc(rt->answers, (rt->nanswers + 1) * sizeof(fake_answer));
    rt->answers[rt->nanswers++] = (fake_answer){
        .status = status,
        .headers = srr_strdup(headers),
        .body = body_owned,
        .len = len,
        .times = times ? times : 1};
    pthread_mutex_unlock(&f->mu);
    return (int)i;
}

static int add_answer(fake_dd *f, const char *method, const char *path, const char *match,
                      int status, const char *headers, char *body_owned, size_t len)
{
    return add_answer_n(f, method, path, match, status, headers, body_owned, len, 1);
}

int fake_dd_add_n(fake_dd *f, const char *method, const char *path, const char *match, int status,
                  const char *headers, const char *body, unsigned times)
{
    return add_answer_n(f, method, path, match, status, headers, srr_strdup(body ? body : ""),
                        body ? strlen(body) : 0, times);
}

void fake_dd_set_ratelimit(fake_dd *f, const char *name, unsigned limit, unsigned period_s)
{
    pthread_mutex_lock(&f->mu);
    free(f->rl_name);
    f->rl_name = srr_strdup(name);
    f->rl_limit = limit;
    f->rl_period_s = period_s ? period_s : 1;
    f->rl_count = 0;
    f->rl_period_index = -1;
    pthread_mutex_unlock(&f->mu);
}

unsigned fake_dd_over_limit(fake_dd *f)
{
    pthread_mutex_lock(&f->mu);
    unsigned n = f->over_limit;
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* The text a recorded request is told apart by, as it appears in the raw
 * request (JSON-escaped for bodies). Caller frees; NULL when none. */
static char *recording_match(const json_t *rq)
{
    const json_t *q = json_object_get(json_object_get(rq, "query"), "query");
    if (json_is_string(q))
        return srr_strdup(json_string_value(q));
    const json_t *body = json_object_get(rq, "body");
    q = json_object_get(json_object_get(body, "filter"), "query");
    if (!json_is_string(q))
        q = json_object_get(
            json_array_get(
                json_object_get(json_object_get(json_object_get(body, "data"), "attributes"),
                                "queries"),
                0),
            "query");
    if (!json_is_string(q))
        return NULL;
    char *enc = json_dumps(q, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!enc)
        return NULL;
    size_t n = strlen(enc);
    char *out = srr_strndup(enc + 1, n >= 2 ? n - 2 : 0);
    free(enc);
    return out;
}

int fake_dd_serve_recording(fake_dd *f, const char *dir, const char *headers)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort), added = 0;
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        const char *check = names[i]->d_name;
        for (unsigned k = 1; check[0] != '.'; k++) {
            char *rqp = srr_asprintf("%s/%s/%03u.request.json", dir, check, k);
            char *rsp = srr_asprintf("%s/%s/%03u.response.json", dir, check, k);
            json_t *rq = json_load_file(rqp, 0, NULL);
            char *body = NULL;
            size_t len = 0;
            srr_error err;
            int ok = rq && srr_file_read(rsp, 0, &body, &len, &err) == SRR_OK;
            if (ok) {
                char *match = recording_match(rq);
                add_answer(f, json_string_value(json_object_get(rq, "method")),
                           json_string_value(json_object_get(rq, "path")), match,
                           (int)json_integer_value(json_object_get(rq, "status")), headers, body,
                           len);
                free(match);
                added++;
            }
            json_decref(rq);
            free(rqp);
            free(rsp);
            if (!ok)
                break;
        }
        free(names[i]);
    }
    free(names);
    return added;
}

int fake_dd_add(fake_dd *f, const char *method, const char *path, const char *match, int status,
                const char *headers, const char *body)
{
    return add_answer(f, method, path, match, status, headers, srr_strdup(body ? body : ""),
                      body ? strlen(body) : 0);
}

int fake_dd_add_file(fake_dd *f, const char *method, const char *path, const char *match,
                     int status, const char *headers, const char *file)
{
    char *data = NULL;
    size_t len = 0;
    srr_error err;
    if (srr_file_read(file, 0, &data, &len, &err) != SRR_OK) {
        fprintf(stderr, "fake_dd: %s\n", err.msg);
        return -1;
    }
    return add_answer(f, method, path, match, status, headers, data, len);
}

void fake_dd_set_delay(fake_dd *f, int route, unsigned ms)
{
    pthread_mutex_lock(&f->mu);
    if (route >= 0 && (size_t)route < f->nroutes)
        f->routes[route].delay_ms = ms;
    pthread_mutex_unlock(&f->mu);
}

unsigned fake_dd_hits(fake_dd *f, int route)
{
    unsigned n = 0;
    pthread_mutex_lock(&f->mu);
    if (route >= 0 && (size_t)route < f->nroutes)
        n = f->routes[route].hits;
    pthread_mutex_unlock(&f->mu);
    return n;
}

#define FAKE_DD_COUNTER(fn, field)                                                                 \
    unsigned fn(fake_dd *f)                                                                        \
    {                                                                                              \
        pthread_mutex_lock(&f->mu);                                                                \
        unsigned n = f->field;                                                                     \
        pthread_mutex_unlock(&f->mu);                                                              \
        return n;                                                                                  \
    }
FAKE_DD_COUNTER(fake_dd_total_hits, total)
FAKE_DD_COUNTER(fake_dd_unmatched, unmatched)
FAKE_DD_COUNTER(fake_dd_max_inflight, max_inflight)

#define FAKE_DD_LAST(fn, field)                                                                    \
    char *fn(fake_dd *f)                                                                           \
    {                                                                                              \
        pthread_mutex_lock(&f->mu);                                                                \
        char *s = srr_strdup(f->field);                                                            \
        pthread_mutex_unlock(&f->mu);                                                              \
        return s;                                                                                  \
    }
FAKE_DD_LAST(fake_dd_last_method, last_method)
FAKE_DD_LAST(fake_dd_last_path, last_path)
FAKE_DD_LAST(fake_dd_last_query, last_query)
FAKE_DD_LAST(fake_dd_last_body, last_body)

char *fake_dd_last_header(fake_dd *f, const char *name)
{
    char *s = NULL;
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->nlast_headers && !s; i++) {
        if (strcasecmp(f->last_headers[i].name, name) == 0)
            s = srr_strdup(f->last_headers[i].value);
    }
    pthread_mutex_unlock(&f->mu);
    return s;
}

void fake_dd_reset(fake_dd *f)
{
    pthread_mutex_lock(&f->mu);
    clear_routes(f);
    clear_last(f);
    f->total = f->unmatched = f->max_inflight = 0;
    f->over_limit = 0;
    f->rl_limit = 0;
    pthread_mutex_unlock(&f->mu);
}
