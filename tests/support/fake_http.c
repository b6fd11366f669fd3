/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_http.c - the libmicrohttpd scaffold of fake_http.h. A request goes
 * through the URI logger (per-request state, raw URI kept for the query
 * string), the access handler (collects the bounded body, then calls the
 * fake's handler outside any lock of ours and queues its answer) and the
 * completion notifier (frees the state). The exchange log is guarded by one
 * mutex.
 */
#include "fake_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "srr.h"

#define FAKE_HTTP_MAX_BODY (8u * 1024 * 1024)

struct fake_http {
    struct MHD_Daemon *d;
    char url[64];
    fake_http_handler handler;
    void *ud;
    pthread_mutex_t mu;
    int outage_status;
    char *outage_body;
    int outage_retry_after;
    fake_http_entry *log;
    size_t nlog, caplog;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *fake_http_req_header(const fake_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *fake_http_req_arg(const fake_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void fake_http_reply(fake_http_resp *resp, int status, const char *content_type, const char *body)
{
    free(resp->content_type);
    free(resp->body);
    resp->status = status;
    resp->content_type = srr_strdup(content_type);
    resp->body = srr_strdup(body ? body : "");
}

void fake_http_replyf(fake_http_resp *resp, int status, const char *content_type, const char *fmt,
                      ...)
{
    va_list ap, ap2;
    char *body;
    int n;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    body = srr_malloc(n > 0 ? (size_t)n + 1 : 1);
    body[0] = '\0';
    if (n > 0)
        vsnprintf(body, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    va_end(ap);
    fake_http_reply(resp, status, content_type, body);
    free(body);
}

void fake_http_reply_json(fake_http_resp *resp, int status, const char *content_type, json_t *j)
{
    char *b = json_dumps(j, JSON_COMPACT);
    fake_http_reply(resp, status, content_type, b);
    free(b);
    json_decref(j);
}

void fake_http_header(fake_http_resp *resp, const char *name, const char *fmt, ...)
{
    va_list ap;
    size_t n = strlen(resp->headers);
    int w = snprintf(resp->headers + n, sizeof(resp->headers) - n, "%s: ", name);
    if (w < 0 || (size_t)w >= sizeof(resp->headers) - n)
        return;
    n += (size_t)w;
    va_start(ap, fmt);
    w = vsnprintf(resp->headers + n, sizeof(resp->headers) - n, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= sizeof(resp->headers) - n - 1)
        return;
    n += (size_t)w;
    resp->headers[n] = '\n';
    resp->headers[n + 1] = '\0';
}

fake_http_upload *fake_http_upload_new(const char *uri, size_t max_body)
{
    fake_http_upload *u = srr_calloc(1, sizeof(*u));
    u->raw_uri = srr_strdup(uri ? uri : "");
    srr_buf_init(&u->body, max_body);
    return u;
}

void fake_http_upload_free(fake_http_upload *u)
{
    if (!u)
        return;
    free(u->raw_uri);
    srr_buf_free(&u->body);
    free(u);
}

int fake_http_upload_take(fake_http_upload *u, const char *data, size_t *size)
{
    if (!*size)
        return 0;
    if (srr_buf_append(&u->body, data, *size) != SRR_OK)
        u->too_big = 1;
    *size = 0;
    return 1;
}

void fake_http_add_header_lines(struct MHD_Response *r, const char *lines, int *has_content_type)
{
    const char *p = lines;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        char *line = srr_strndup(p, n);
        char *colon = strchr(line, ':');
        if (colon) {
            char *v = colon + 1;
            size_t vl;
            *colon = '\0';
            while (*v == ' ')
                v++;
            vl = strlen(v);
            while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                v[--vl] = '\0';
            if (has_content_type && strcasecmp(line, "Content-Type") == 0)
                *has_content_type = 1;
            MHD_add_response_header(r, line, v);
        }
        free(line);
        p = eol ? eol + 1 : NULL;
    }
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    return fake_http_upload_new(uri, FAKE_HTTP_MAX_BODY);
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

static void log_exchange(fake_http *f, const fake_http_req *req, int status)
{
    const char *auth = fake_http_req_header(req, "Authorization");
    fake_http_entry *e;
    pthread_mutex_lock(&f->mu);
    if (f->nlog == f->caplog) {
        f->caplog = f->caplog ? f->caplog * 2 : 64;
        f->log = srr_realloc(f->log, f->caplog * sizeof(*f->log));
    }
    e = &f->log[f->nlog++];
    e->method = srr_strdup(req->method);
    e->path = srr_strdup(req->path);
    e->query = srr_strdup(req->query);
    e->body = srr_strdup(req->body);
    e->authorization = srr_strdup(auth);
    e->status = status;
    e->at_ms = now_ms();
    pthread_mutex_unlock(&f->mu);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    fake_http *f = cls;
    fake_http_upload *s = *con_cls;
    fake_http_resp out;
    fake_http_req req;
    struct MHD_Response *r;
    enum MHD_Result ret = MHD_NO;
    const char *q;
    int outage;
    (void)version;
    if (!s)
        return MHD_NO;
    if (!s->started) {
        s->started = 1;
        return MHD_YES;
    }
    if (fake_http_upload_take(s, upload_data, upload_data_size))
        return MHD_YES;
    q = strchr(s->raw_uri, '?');
    req.method = method;
    req.path = url;
    req.query = q ? q + 1 : "";
    req.body = s->body.data ? s->body.data : "";
    req.body_len = s->body.len;
    req.conn = conn;
    memset(&out, 0, sizeof(out));

    pthread_mutex_lock(&f->mu);
    outage = f->outage_status;
    if (outage > 0) {
        const char *b = f->outage_body ? f->outage_body : "";
        fake_http_reply(&out, outage, b[0] == '{' ? "application/json" : "text/plain", b);
        if (f->outage_retry_after > 0)
            fake_http_header(&out, "Retry-After", "%d", f->outage_retry_after);
    }
    pthread_mutex_unlock(&f->mu);
    if (outage < 0) {
        log_exchange(f, &req, -1);
        return MHD_NO; /* the connection is closed without an answer */
    }
    if (!outage) {
        if (s->too_big)
            fake_http_reply(&out, 413, "text/plain", "request body too large");
        else
            f->handler(f->ud, &req, &out);
    }
    if (out.status < 0) {
        log_exchange(f, &req, -1);
        ret = MHD_NO;
        goto done;
    }
    if (out.status == 0)
        fake_http_reply(&out, 500, "text/plain", "fake: the handler gave no answer");
    log_exchange(f, &req, out.status);
    r = MHD_create_response_from_buffer(strlen(out.body), out.body, MHD_RESPMEM_MUST_COPY);
    if (r) {
        if (out.content_type && *out.content_type)
            MHD_add_response_header(r, "Content-Type", out.content_type);
        fake_http_add_header_lines(r, out.headers, NULL);
        ret = MHD_queue_response(conn, (unsigned)out.status, r);
        MHD_destroy_response(r);
    }
done:
    free(out.body);
    free(out.content_type);
    return ret;
}

struct MHD_Daemon *fake_http_daemon_start(const char *who, MHD_AccessHandlerCallback access,
                                          void *(*uri_log)(void *cls, const char *uri,
                                                           struct MHD_Connection *conn),
                                          MHD_RequestCompletedCallback completed, void *cls,
                                          char *url, size_t n, unsigned short *port)
{
    struct sockaddr_in sin;
    const union MHD_DaemonInfo *info;
    struct MHD_Daemon *d;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                         NULL, access, cls, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
                         MHD_OPTION_URI_LOG_CALLBACK, uri_log, cls, MHD_OPTION_NOTIFY_COMPLETED,
                         completed, cls, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                         MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "%s: cannot start libmicrohttpd on 127.0.0.1\n", who);
        return NULL;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (!info || !info->port) {
        fprintf(stderr, "%s: cannot read the bound port\n", who);
        MHD_stop_daemon(d);
        return NULL;
    }
    snprintf(url, n, "http://127.0.0.1:%u", (unsigned)info->port);
    if (port)
        *port = info->port;
    return d;
}

fake_http *fake_http_start(fake_http_handler handler, void *ud)
{
    fake_http *f = srr_calloc(1, sizeof(*f));
    f->handler = handler;
    f->ud = ud;
    pthread_mutex_init(&f->mu, NULL);
    f->d = fake_http_daemon_start("fake_http", on_request, on_uri, on_completed, f, f->url,
                                  sizeof(f->url), NULL);
    if (!f->d) {
        fake_http_stop(&f);
        return NULL;
    }
    return f;
}

void fake_http_entry_free(fake_http_entry *e)
{
    if (!e)
        return;
    free(e->method);
    free(e->path);
    free(e->query);
    free(e->body);
    free(e->authorization);
    memset(e, 0, sizeof(*e));
}

void fake_http_stop(fake_http **fp)
{
    fake_http *f;
    if (!fp || !*fp)
        return;
    f = *fp;
    if (f->d)
        MHD_stop_daemon(f->d);
    for (size_t i = 0; i < f->nlog; i++)
        fake_http_entry_free(&f->log[i]);
    free(f->log);
    free(f->outage_body);
    pthread_mutex_destroy(&f->mu);
    free(f);
    *fp = NULL;
}

const char *fake_http_url(const fake_http *f)
{
    return f->url;
}

void fake_http_set_outage(fake_http *f, int status, const char *body, int retry_after_s)
{
    pthread_mutex_lock(&f->mu);
    f->outage_status = status;
    free(f->outage_body);
    f->outage_body = srr_strdup(body);
    f->outage_retry_after = retry_after_s;
    pthread_mutex_unlock(&f->mu);
}

size_t fake_http_count(fake_http *f)
{
    size_t n;
    pthread_mutex_lock(&f->mu);
    n = f->nlog;
    pthread_mutex_unlock(&f->mu);
    return n;
}

size_t fake_http_count_where(fake_http *f, const char *method, const char *prefix, int status)
{
    size_t n = 0;
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < f->nlog; i++) {
        const fake_http_entry *e = &f->log[i];
        if (method && strcmp(e->method, method) != 0)
            continue;
        if (prefix && strncmp(e->path, prefix, strlen(prefix)) != 0)
            continue;
        if (status && e->status != status)
            continue;
        n++;
    }
    pthread_mutex_unlock(&f->mu);
    return n;
}

int fake_http_entry_get(fake_http *f, size_t i, fake_http_entry *out)
{
    int rc = -1;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&f->mu);
    if (i < f->nlog) {
        const fake_http_entry *e = &f->log[i];
        out->method = srr_strdup(e->method);
        out->path = srr_strdup(e->path);
        out->query = srr_strdup(e->query);
        out->body = srr_strdup(e->body);
        out->authorization = srr_strdup(e->authorization);
        out->status = e->status;
        out->at_ms = e->at_ms;
        rc = 0;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

int fake_http_wait_count(fake_http *f, const char *method, const char *prefix, int status, size_t n,
                         long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    struct timespec step = {0, 5 * 1000000L};
    for (;;) {
        if (fake_http_count_where(f, method, prefix, status) >= n)
            return 1;
        if (now_ms() > deadline)
            return 0;
        nanosleep(&step, NULL);
    }
}
