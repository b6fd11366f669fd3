/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook.c - the HTTP side of the webhook receiver (webhook.h), on
 * libmicrohttpd with a thread pool (one epoll loop per core) and
 * suspend/resume, so a request waiting for its group commit holds no
 * thread: the pool keeps serving while the committer flushes.
 *
 * A POST to /v1/webhooks/datadog goes: route and method (404, 405) ->
 * authentication, before any of the body is read (401) -> media type (415)
 * -> announced length (413) -> body, bounded (413) -> payload parsing (400,
 * body kept in quarantine) -> the accept hook; the connection is suspended
 * until srr_webhook_done() gives the verdict (202, 503 with Retry-After,
 * 400) or the queue deadline passes (503).
 *
 * A request is reference counted: one reference for libmicrohttpd (dropped
 * when the request completes) and one for the hook (dropped by
 * srr_webhook_done), so a verdict that arrives after a timeout touches
 * nothing freed. Its state moves under the server mutex; libmicrohttpd is
 * never called with that mutex held.
 *
 * A watchdog thread (every 50 ms) answers 503 to requests whose verdict is
 * overdue, and cuts off connections that have not completed a request
 * within connection_timeout of opening or of their last answer: MHD's own
 * timeout is an *idle* timeout, which a client trickling a byte at a time
 * (slowloris) never trips. It cuts with shutdown(2) on the socket, so
 * libmicrohttpd sees the end of the stream and closes the connection itself.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "webhook.h"
#include "webhook_auth.h"
#include "webhook_quarantine.h"

#define WH_PATH "/v1/webhooks/datadog"
/* Per-connection memory of libmicrohttpd: it holds the request line and
 * headers (so it bounds them: about 14 KB pass, more gets 431) and the
 * answer's headers. libmicrohttpd zeroes the whole pool after every request
 * and the freed part of its read buffer when it shrinks it: at 64 KiB that
 * was 9.4% of srr's CPU samples under the benchmark's load (perf), at
 * 16 KiB 1.4-1.6%. The body goes to srr's own buffer, so it is not bounded
 * by this. */
#define WH_CONN_MEMORY (16 * 1024)
#define WH_WATCHDOG_MS 50
#define WH_BODY_RESERVE (16 * 1024) /* body bytes reserved up front from Content-Length */

/* ---- metrics ------------------------------------------------------------- */

static const unsigned CODES[] = {200, 202, 400, 401, 404, 405, 413, 415, 500, 503};
#define NCODES (sizeof(CODES) / sizeof(CODES[0]))

typedef enum {
    REJ_AUTH = 0,
    REJ_METHOD,
    REJ_NOT_FOUND,
    REJ_MEDIA_TYPE,
    REJ_TOO_LARGE,
    REJ_UNPARSEABLE,
    REJ_UNQUEUEABLE,
    REJ_QUEUE_FAILED,
    REJ_QUEUE_TIMEOUT,
    REJ_SHUTTING_DOWN,
    REJ_QUARANTINE_FAILED,
    REJ_QUARANTINE_FULL,
    REJ__COUNT
} rej_reason;
static const char *const REJ_NAMES[] = {"auth",          "method",       "not_found",
                                        "content_type",  "too_large",    "unparseable",
                                        "unqueueable",   "queue_failed", "queue_timeout",
                                        "shutting_down", "quarantine_failed",
                                        "quarantine_full"};

/* ---- state --------------------------------------------------------------- */

/* One open connection, for the watchdog. Lives from MHD's STARTED to its
 * CLOSED notification; members under the server mutex. */
typedef struct conn_rec {
    struct conn_rec *prev, *next;
    int fd;
    int64_t deadline_ms; /* cut off past this, unless busy */
    int busy;            /* a request of it waits for a verdict */
    int cut;             /* already shut down */
} conn_rec;

typedef enum {
    RQ_BODY = 0,   /* reading the body */
    RQ_WAITING,    /* handed to the hook, not suspended yet */
    RQ_SUSPENDING, /* the handler is suspending the connection */
    RQ_SUSPENDED,  /* suspended, waiting for the verdict (in s->waiting) */
    RQ_LATE,       /* verdict came while suspending: the handler resumes */
    RQ_DONE        /* verdict known: answer on the next handler call */
} rq_state;

struct srr_webhook_request {
    srr_webhook_server *s;
    struct MHD_Connection *conn;
    conn_rec *crec;
    int refs;       /* under s->mu */
    rq_state state; /* under s->mu */
    srr_buf body;
    int too_large;
    size_t discarded;
    srr_webhook_encoding enc;
    char content_type[64];
    srr_rc verdict;
    int timed_out;
    char reason[256];
    char id[65];
    int64_t deadline_ms;
    struct srr_webhook_request *wprev, *wnext; /* in s->waiting while SUSPENDED */
};

struct srr_webhook_server {
    const srr_webhook_config *cfg;
    srr_webhook_hooks h;
    int insecure;
    int64_t queue_timeout_ms, conn_timeout_ms;
    unsigned retry_after_s;
    char retry_after[16];
    srr_webhook_auth auth; /* what every request must carry (webhook_auth.h) */
    char *tls_cert, *tls_key;
    struct MHD_Daemon *d;
    unsigned short port;
    pthread_mutex_t mu;
    pthread_cond_t cv;   /* inflight changes, signalled only while idle_waiters > 0 */
    int idle_waiters;    /* threads in srr_webhook_wait_idle (under mu) */
    pthread_cond_t wdcv; /* wakes the watchdog early: only when stopping */
    conn_rec *conns;
    srr_webhook_request *waiting;
    size_t inflight;
    int stopping;
    atomic_int quiesced; /* no new requests: answer 503 */
    pthread_t watchdog;
    int watchdog_started;
    srr_quarantine *q; /* bodies it could not read (webhook_quarantine.h) */
    /* metrics */
    atomic_ullong by_code[NCODES + 1]; /* last: other codes */
    atomic_ullong rejected[REJ__COUNT];
    atomic_ullong payload_bytes, payloads, cut_off;
    atomic_ullong next_request; /* request ids: id_prefix + counter */
    char id_prefix[16];
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- answering ----------------------------------------------------------- */

static void count_code(srr_webhook_server *s, unsigned code)
{
    size_t i;
    for (i = 0; i < NCODES && CODES[i] != code; i++)
        ;
    atomic_fetch_add(&s->by_code[i], 1);
}

/* Copies the C string src into dst (cap bytes), cut short to fit: what
 * snprintf(dst, cap, "%s", src) writes, on every request's path. */
static void copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

/* Queues an answer. `body` is copied. Extra header (name, value) optional. */
static enum MHD_Result answer(srr_webhook_server *s, struct MHD_Connection *conn, unsigned code,
                              const char *ctype, const char *body, const char *hname,
                              const char *hvalue)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    char rid[48], digits[20], *d;
    size_t plen = strlen(s->id_prefix);
    /* Every answer carries a request id, also in the log line about it, so
     * a sender's report and srr's log can be matched: PREFIX-N. */
    d = srr_u64_digits(digits + sizeof digits,
                       (unsigned long long)atomic_fetch_add(&s->next_request, 1));
    memcpy(rid, s->id_prefix, plen);
    rid[plen] = '-';
    memcpy(rid + plen + 1, d, (size_t)(digits + sizeof digits - d));
    rid[plen + 1 + (size_t)(digits + sizeof digits - d)] = '\0';
    r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, "X-Request-Id", rid);
    if (hname)
        MHD_add_response_header(r, hname, hvalue);
    ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    if (ret == MHD_YES) {
        char codes[8];
        const char *kv[] = {"request_id", rid, "status", codes, NULL};
        codes[7] = '\0';
        kv[3] = srr_u64_digits(codes + 7, code);
        count_code(s, code);
        srr_log_kv(code >= 400 ? SRR_LOG_INFO : SRR_LOG_DEBUG, kv, "webhook: answered %u",
                   code);
    }
    return ret;
}

/* A JSON error answer {"error": reason}, counted as rejected for `why`. */
static enum MHD_Result reject(srr_webhook_server *s, struct MHD_Connection *conn, unsigned code,
                              rej_reason why, const char *reason, const char *hname,
                              const char *hvalue)
{
    json_t *o = json_pack("{s:s}", "error", reason ? reason : "");
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    enum MHD_Result ret;
    atomic_fetch_add(&s->rejected[why], 1);
    ret = answer(s, conn, code, "application/json", text ? text : "{}", hname, hvalue);
    free(text);
    json_decref(o);
    return ret;
}

/* ---- authentication ------------------------------------------------------ */

/* 1 when the request carries every credential s->auth requires (whole
 * values, constant time: webhook_auth.h); in insecure mode always 1. */
static int authorized(srr_webhook_server *s, struct MHD_Connection *conn)
{
    const srr_webhook_config *cfg = s->cfg;
    const char *v = NULL;
    size_t n = 0;
    int ok = 1;
    if (s->auth.token) {
        if (MHD_lookup_connection_value_n(conn, MHD_HEADER_KIND, cfg->token_header,
                                          strlen(cfg->token_header), &v, &n) != MHD_YES)
            v = NULL;
        ok &= srr_webhook_token_ok(v, n, cfg->token,
                                   strcasecmp(cfg->token_header, "Authorization") == 0);
    }
    if (s->auth.basic) {
        if (MHD_lookup_connection_value_n(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION,
                                          strlen(MHD_HTTP_HEADER_AUTHORIZATION), &v,
                                          &n) != MHD_YES)
            v = NULL;
        ok &= srr_webhook_basic_ok(v, n, cfg->basic_user, cfg->basic_password);
    }
    return ok;
}

/* ---- quarantine ---------------------------------------------------------- */

/* The answer to a body that cannot become an alert: 400 with the reason
 * once the body is in quarantine, else (the quarantine full, or not
 * writable) 503 with Retry-After, always. */
static enum MHD_Result reject_body(srr_webhook_server *s, srr_webhook_request *rq, rej_reason why,
                                   const char *reason)
{
    srr_error qerr = {0};
    srr_rc rc = srr_quarantine_keep(s->q, rq->body.data, rq->body.len, rq->content_type, reason,
                                    &qerr);
    if (rc == SRR_RETRY) /* full: Datadog retries a 503, never a 400 */
        return reject(s, rq->conn, MHD_HTTP_SERVICE_UNAVAILABLE, REJ_QUARANTINE_FULL,
                      "the quarantine for bodies srr cannot read is full; retry later",
                      "Retry-After", s->retry_after);
    if (rc != SRR_OK) {
        srr_warn("webhook: %s (%s); answered 503 so the sender retries", qerr.msg, reason);
        return reject(s, rq->conn, MHD_HTTP_SERVICE_UNAVAILABLE, REJ_QUARANTINE_FAILED,
                      "the body cannot be kept in quarantine now; retry later", "Retry-After",
                      s->retry_after);
    }
    return reject(s, rq->conn, MHD_HTTP_BAD_REQUEST, why, reason, NULL, NULL);
}

/* ---- requests ------------------------------------------------------------ */

/* Drops one reference (under s->mu); frees at zero. */
static void req_unref_locked(srr_webhook_request *rq)
{
    if (--rq->refs > 0)
        return;
    srr_buf_free(&rq->body);
    free(rq);
}

static void waiting_remove(srr_webhook_server *s, srr_webhook_request *rq)
{
    if (rq->wprev)
        rq->wprev->wnext = rq->wnext;
    else if (s->waiting == rq)
        s->waiting = rq->wnext;
    if (rq->wnext)
        rq->wnext->wprev = rq->wprev;
    rq->wprev = rq->wnext = NULL;
}

void srr_webhook_done(srr_webhook_request *rq, srr_rc rc, const char *reason)
{
    srr_webhook_server *s = rq->s;
    int resume = 0;
    pthread_mutex_lock(&s->mu);
    if (rq->state == RQ_WAITING || rq->state == RQ_SUSPENDING || rq->state == RQ_SUSPENDED) {
        rq->verdict = rc;
        copy_text(rq->reason, sizeof rq->reason, reason);
        if (rq->state == RQ_SUSPENDED) {
            waiting_remove(s, rq);
            rq->state = RQ_DONE;
            resume = 1;
        } else {
            rq->state = rq->state == RQ_SUSPENDING ? RQ_LATE : RQ_DONE;
        }
    } /* else: already answered (timed out, shutting down): the verdict is moot */
    pthread_mutex_unlock(&s->mu);
    if (resume)
        MHD_resume_connection(rq->conn);
    pthread_mutex_lock(&s->mu);
    req_unref_locked(rq);
    pthread_mutex_unlock(&s->mu);
}

/* The answer for a request whose verdict is known. */
static enum MHD_Result answer_verdict(srr_webhook_server *s, srr_webhook_request *rq)
{
    if (rq->verdict == SRR_OK) { /* {"status":"accepted","id":"ID"} */
        static const char head[] = "{\"status\":\"accepted\",\"id\":\"";
        char ok[sizeof head + sizeof rq->id + 2];
        size_t n = strnlen(rq->id, sizeof rq->id - 1);
        memcpy(ok, head, sizeof head - 1);
        memcpy(ok + sizeof head - 1, rq->id, n);
        memcpy(ok + sizeof head - 1 + n, "\"}", 3);
        return answer(s, rq->conn, MHD_HTTP_ACCEPTED, "application/json", ok, NULL, NULL);
    }
    if (rq->verdict == SRR_EINVAL)
        return reject_body(s, rq, REJ_UNQUEUEABLE,
                           rq->reason[0] ? rq->reason : "the alert cannot be queued");
    if (rq->timed_out)
        srr_warn("webhook: 503 %s", rq->reason);
    return reject(s, rq->conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                  rq->timed_out ? (s->stopping ? REJ_SHUTTING_DOWN : REJ_QUEUE_TIMEOUT)
                                : REJ_QUEUE_FAILED,
                  rq->reason[0] ? rq->reason : "the queue is unavailable", "Retry-After",
                  s->retry_after);
}

/* The whole body is in: parse it and hand the alert to the hook. */
static enum MHD_Result finish_body(srr_webhook_server *s, srr_webhook_request *rq)
{
    srr_webhook_alert alert;
    srr_error err = {0};
    char reason[300];
    int resume = 0;

    if (rq->too_large) {
        snprintf(reason, sizeof reason, "body larger than %lld bytes",
                 (long long)s->cfg->max_body_bytes);
        return reject(s, rq->conn, MHD_HTTP_CONTENT_TOO_LARGE, REJ_TOO_LARGE, reason, NULL, NULL);
    }
    atomic_fetch_add(&s->payload_bytes, rq->body.len);
    atomic_fetch_add(&s->payloads, 1);
    if (srr_webhook_parse(rq->body.data, rq->body.len, rq->enc, srr_now(), &alert, &err) !=
        SRR_OK) {
        return reject_body(s, rq, REJ_UNPARSEABLE, err.msg);
    }
    memcpy(rq->id, alert.id, sizeof rq->id);
    pthread_mutex_lock(&s->mu);
    rq->state = RQ_WAITING;
    rq->refs++; /* the hook's reference, dropped by srr_webhook_done */
    pthread_mutex_unlock(&s->mu);
    s->h.accept(s->h.ctx, &alert, rq);
    srr_webhook_alert_clear(&alert);

    pthread_mutex_lock(&s->mu);
    if (rq->state == RQ_DONE) { /* the hook answered at once */
        pthread_mutex_unlock(&s->mu);
        return answer_verdict(s, rq);
    }
    rq->state = RQ_SUSPENDING;
    if (rq->crec)
        rq->crec->busy = 1;
    pthread_mutex_unlock(&s->mu);
    MHD_suspend_connection(rq->conn);
    pthread_mutex_lock(&s->mu);
    if (rq->state == RQ_LATE) {
        rq->state = RQ_DONE;
        resume = 1;
    } else {
        rq->state = RQ_SUSPENDED;
        rq->deadline_ms = mono_ms() + s->queue_timeout_ms;
        rq->wnext = s->waiting;
        rq->wprev = NULL;
        if (s->waiting)
            s->waiting->wprev = rq;
        s->waiting = rq;
    }
    pthread_mutex_unlock(&s->mu);
    if (resume)
        MHD_resume_connection(rq->conn);
    return MHD_YES;
}

static enum MHD_Result serve_get(srr_webhook_server *s, struct MHD_Connection *conn,
                                 const char *url)
{
    if (strcmp(url, "/healthz") == 0)
        return answer(s, conn, MHD_HTTP_OK, "text/plain", "ok\n", NULL, NULL);
    if (strcmp(url, "/readyz") == 0) {
        srr_error err = {0};
        char *text;
        enum MHD_Result ret;
        if (s->stopping || atomic_load(&s->quiesced))
            return answer(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
                          "not ready: shutting down\n", NULL, NULL);
        char auth[200];
        srr_webhook_auth_describe(s->cfg, &s->auth, auth, sizeof auth);
        if (!srr_quarantine_state(s->q, NULL, NULL, &err) &&
            (!s->h.ready || s->h.ready(s->h.ctx, &err) == SRR_OK)) {
            text = srr_asprintf("ready\nauth: %s\n", auth);
            ret = answer(s, conn, MHD_HTTP_OK, "text/plain", text, NULL, NULL);
            free(text);
            return ret;
        }
        text = srr_asprintf("not ready: %s\nauth: %s\n", err.msg, auth);
        ret = answer(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", text, NULL, NULL);
        free(text);
        return ret;
    }
    /* /metrics */
    srr_buf b;
    enum MHD_Result ret;
    srr_buf_init(&b, 0);
    srr_webhook_metrics(s, &b);
    ret = answer(s, conn, MHD_HTTP_OK, "text/plain; version=0.0.4", b.data ? b.data : "", NULL,
                 NULL);
    srr_buf_free(&b);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    srr_webhook_server *s = cls;
    srr_webhook_request *rq = *con_cls;
    (void)version;

    if (!rq) {
        const union MHD_ConnectionInfo *ci;
        const char *ct, *cl;
        unsigned long long announced = 0;
        srr_webhook_encoding enc;
        if (strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0 ||
            strcmp(url, "/metrics") == 0) {
            if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
                return reject(s, conn, MHD_HTTP_METHOD_NOT_ALLOWED, REJ_METHOD,
                              "use GET", "Allow", "GET, HEAD");
            return serve_get(s, conn, url);
        }
        if (strcmp(url, WH_PATH) != 0)
            return reject(s, conn, MHD_HTTP_NOT_FOUND, REJ_NOT_FOUND, "no such path", NULL, NULL);
        if (strcmp(method, "POST") != 0)
            return reject(s, conn, MHD_HTTP_METHOD_NOT_ALLOWED, REJ_METHOD, "use POST", "Allow",
                          "POST");
        if (atomic_load(&s->quiesced)) /* a kept-alive connection after SIGTERM */
            return reject(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, REJ_SHUTTING_DOWN,
                          "the server is shutting down", "Retry-After", s->retry_after);
        if (!authorized(s, conn))
            return reject(s, conn, MHD_HTTP_UNAUTHORIZED, REJ_AUTH, "authentication required",
                          s->auth.basic ? "WWW-Authenticate" : NULL,
                          "Basic realm=\"srr\", charset=\"UTF-8\"");
        ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (srr_webhook_encoding_of(ct, &enc) != SRR_OK)
            return reject(s, conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, REJ_MEDIA_TYPE,
                          "send application/json or application/x-www-form-urlencoded", NULL,
                          NULL);
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end = NULL;
            unsigned long long n;
            errno = 0;
            n = strtoull(cl, &end, 10);
            if (errno || end == cl || n > (unsigned long long)s->cfg->max_body_bytes) {
                char reason[96];
                snprintf(reason, sizeof reason, "body larger than %lld bytes",
                         (long long)s->cfg->max_body_bytes);
                return reject(s, conn, MHD_HTTP_CONTENT_TOO_LARGE, REJ_TOO_LARGE, reason, NULL,
                              NULL);
            }
            announced = n;
        }
        rq = srr_calloc(1, sizeof *rq);
        rq->s = s;
        rq->conn = conn;
        rq->refs = 1; /* libmicrohttpd's, dropped when the request completes */
        rq->state = RQ_BODY;
        rq->enc = enc;
        copy_text(rq->content_type, sizeof rq->content_type, ct);
        srr_buf_init(&rq->body, (size_t)s->cfg->max_body_bytes);
        /* One allocation for the usual body; capped, so that announcing a
         * large body costs nothing until its bytes arrive. */
        srr_buf_reserve(&rq->body,
                        (size_t)(announced < WH_BODY_RESERVE ? announced : WH_BODY_RESERVE));
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        rq->crec = ci ? ci->socket_context : NULL;
        pthread_mutex_lock(&s->mu);
        s->inflight++;
        pthread_mutex_unlock(&s->mu);
        *con_cls = rq;
        return MHD_YES;
    }

    if (rq->state == RQ_BODY) {
        if (*upload_data_size) {
            if (!rq->too_large &&
                srr_buf_append(&rq->body, upload_data, *upload_data_size) != SRR_OK) {
                rq->too_large = 1;
                srr_buf_free(&rq->body);
            }
            if (rq->too_large) {
                /* Read and drop the rest so the client gets its 413, up to a
                 * bound; past it, close the connection. */
                rq->discarded += *upload_data_size;
                if (rq->discarded > 4 * (size_t)s->cfg->max_body_bytes)
                    return MHD_NO;
            }
            *upload_data_size = 0;
            return MHD_YES;
        }
        return finish_body(s, rq);
    }
    if (rq->state == RQ_DONE)
        return answer_verdict(s, rq);
    return MHD_YES; /* not expected while waiting */
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    srr_webhook_server *s = cls;
    srr_webhook_request *rq = *con_cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn_rec *cr = ci ? ci->socket_context : NULL;
    (void)toe;
    pthread_mutex_lock(&s->mu);
    if (cr) { /* a new request cycle gets a fresh time budget */
        cr->busy = 0;
        cr->deadline_ms = mono_ms() + s->conn_timeout_ms;
    }
    if (rq) {
        if (rq->state == RQ_SUSPENDED) /* closed while waiting (only at shutdown) */
            waiting_remove(s, rq);
        rq->state = RQ_DONE;
        rq->conn = NULL;
        s->inflight--;
        if (s->idle_waiters) /* a wake-up per request would cost a context switch */
            pthread_cond_broadcast(&s->cv);
        req_unref_locked(rq);
        *con_cls = NULL;
    }
    pthread_mutex_unlock(&s->mu);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    srr_webhook_server *s = cls;
    conn_rec *cr;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        cr = srr_calloc(1, sizeof *cr);
        cr->fd = ci ? (int)ci->connect_fd : -1;
        pthread_mutex_lock(&s->mu);
        cr->deadline_ms = mono_ms() + s->conn_timeout_ms;
        cr->next = s->conns;
        if (s->conns)
            s->conns->prev = cr;
        s->conns = cr;
        pthread_mutex_unlock(&s->mu);
        *socket_context = cr;
        return;
    }
    cr = *socket_context;
    if (!cr)
        return;
    pthread_mutex_lock(&s->mu);
    if (cr->prev)
        cr->prev->next = cr->next;
    else
        s->conns = cr->next;
    if (cr->next)
        cr->next->prev = cr->prev;
    pthread_mutex_unlock(&s->mu);
    free(cr);
    *socket_context = NULL;
}

/* ---- watchdog ------------------------------------------------------------ */

/* Answers 503 to every waiting request whose deadline passed (all of them
 * when `all`), and cuts connections past their deadline. */
static void watchdog_pass(srr_webhook_server *s, int all)
{
    srr_webhook_request *due[64];
    size_t n = 0, i;
    int64_t now = mono_ms();
    srr_webhook_request *rq, *next;
    conn_rec *cr;

    pthread_mutex_lock(&s->mu);
    for (rq = s->waiting; rq && n < 64; rq = next) {
        next = rq->wnext;
        if (!all && rq->deadline_ms > now)
            continue;
        waiting_remove(s, rq);
        rq->state = RQ_DONE;
        rq->verdict = SRR_RETRY;
        rq->timed_out = 1;
        copy_text(rq->reason, sizeof rq->reason,
                  all ? "the server is shutting down"
                      : "the queue did not confirm the alert in time");
        rq->refs++; /* held until resumed */
        due[n++] = rq;
    }
    for (cr = s->conns; cr && !all; cr = cr->next) {
        if (!cr->busy && !cr->cut && cr->fd >= 0 && cr->deadline_ms <= now) {
            cr->cut = 1;
            shutdown(cr->fd, SHUT_RDWR); /* MHD sees EOF and closes it */
            atomic_fetch_add(&s->cut_off, 1);
        }
    }
    pthread_mutex_unlock(&s->mu);
    for (i = 0; i < n; i++)
        MHD_resume_connection(due[i]->conn);
    pthread_mutex_lock(&s->mu);
    for (i = 0; i < n; i++)
        req_unref_locked(due[i]);
    pthread_mutex_unlock(&s->mu);
    if (n == 64)
        watchdog_pass(s, all);
}

static void *watchdog_main(void *arg)
{
    srr_webhook_server *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += WH_WATCHDOG_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->wdcv, &s->mu, &ts);
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->mu);
        watchdog_pass(s, 0);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- life cycle ---------------------------------------------------------- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    srr_debug("libmicrohttpd: %s", line);
}

/* Resolves "host:port", "[v6]:port" or ":port" (all addresses). */
static srr_rc parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sl,
                           int *v6, srr_error *err)
{
    char host[256];
    const char *colon, *port;
    struct addrinfo hints, *res = NULL;
    int e;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof host)
            return srr_error_set(err, SRR_EINVAL, "webhook.listen '%s': expected [addr]:port",
                                 listen);
        snprintf(host, sizeof host, "%.*s", (int)(close - listen - 1), listen + 1);
        port = close + 2;
    } else {
        colon = strrchr(listen, ':');
        if (!colon || (size_t)(colon - listen) >= sizeof host)
            return srr_error_set(err, SRR_EINVAL, "webhook.listen '%s': expected host:port",
                                 listen);
        snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
        port = colon + 1;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    e = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (e != 0 || !res)
        return srr_error_set(err, SRR_EINVAL, "webhook.listen '%s': %s", listen,
                             gai_strerror(e));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sl = res->ai_addrlen;
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return SRR_OK;
}

static unsigned pool_size(const srr_webhook_config *cfg)
{
    long n = cfg->threads > 0 ? (long)cfg->threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* Starts libmicrohttpd on the address in ss (v6: an IPv6 one): a thread
 * pool, epoll, suspend/resume, the limits of the config, TLS when
 * webhook.tls_cert is set; sets s->port to the port it bound. Returns
 * SRR_EINVAL (no TLS support) or SRR_EIO (cannot listen, cannot read the
 * certificate); the caller stops s either way. */
static srr_rc start_daemon(srr_webhook_server *s, const struct sockaddr_storage *ss, int v6,
                           srr_error *err)
{
    const srr_webhook_config *cfg = s->cfg;
    unsigned flags;
    size_t len;
    srr_rc rc;

    flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
            MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    if (cfg->tls_cert) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
            return srr_error_set(err, SRR_EINVAL, "this libmicrohttpd has no TLS support");
        rc = srr_file_read(cfg->tls_cert, 1024 * 1024, &s->tls_cert, &len, err);
        if (rc == SRR_OK)
            rc = srr_file_read(cfg->tls_key, 1024 * 1024, &s->tls_key, &len, err);
        if (rc != SRR_OK)
            return rc;
        flags |= MHD_USE_TLS;
    }
    /* The options both variants share; the reference server of
     * tests/bench/bench_webhook.c mirrors them. */
#define WH_COMMON_OPTIONS                                                                          \
    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,           \
        MHD_OPTION_THREAD_POOL_SIZE, pool_size(cfg), MHD_OPTION_CONNECTION_LIMIT,                  \
        (unsigned)cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,                        \
        (unsigned)cfg->per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT,                          \
        (unsigned)(s->conn_timeout_ms / 1000), MHD_OPTION_CONNECTION_MEMORY_LIMIT,                 \
        (size_t)WH_CONN_MEMORY, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,                    \
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, \
        s
    if (cfg->tls_cert)
        s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, WH_COMMON_OPTIONS,
                                MHD_OPTION_HTTPS_MEM_CERT, s->tls_cert, MHD_OPTION_HTTPS_MEM_KEY,
                                s->tls_key, MHD_OPTION_END);
    else
        s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, WH_COMMON_OPTIONS,
                                MHD_OPTION_END);
#undef WH_COMMON_OPTIONS
    if (!s->d)
        return srr_error_set(err, SRR_EIO, "cannot listen on %s (in use, or not an address here?)",
                             cfg->listen);
    {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
        s->port = info ? info->port : 0;
    }
    return SRR_OK;
}

srr_rc srr_webhook_start(const srr_webhook_opts *o, const srr_webhook_hooks *h,
                         srr_webhook_server **out, srr_error *err)
{
    const srr_webhook_config *cfg = o->cfg;
    srr_webhook_server *s;
    struct sockaddr_storage ss;
    socklen_t sl;
    int v6 = 0;
    srr_rc rc;

    srr_webhook_auth auth;

    *out = NULL;
    rc = srr_webhook_auth_decide(cfg, o->insecure_no_auth, &auth, err);
    if (rc != SRR_OK)
        return rc;
    if (!!cfg->tls_cert != !!cfg->tls_key)
        return srr_error_set(err, SRR_EINVAL, "webhook.tls_cert and webhook.tls_key go together");
    rc = parse_listen(cfg->listen ? cfg->listen : "127.0.0.1:8080", &ss, &sl, &v6, err);
    (void)sl;
    if (rc != SRR_OK)
        return rc;
    rc = srr_state_check_owner(cfg->quarantine_dir, "the quarantine", err);
    if (rc != SRR_OK)
        return rc;
    s = srr_calloc(1, sizeof *s);
    rc = srr_quarantine_open(cfg->quarantine_dir,
                             o->quarantine_max_files ? o->quarantine_max_files
                                                     : (size_t)cfg->quarantine_max_bodies,
                             cfg->quarantine_max_bytes, &s->q, err);
    if (rc != SRR_OK) {
        free(s);
        return rc;
    }
    s->cfg = cfg;
    s->h = *h;
    /* Ids unique across restarts of this host's receivers: a per-start
     * prefix, then a counter. */
    snprintf(s->id_prefix, sizeof(s->id_prefix), "%08lx",
             (unsigned long)((unsigned long)time(NULL) * 2654435761u ^ (unsigned long)getpid()) &
                 0xffffffffUL);
    s->auth = auth;
    s->insecure = auth.insecure;
    s->queue_timeout_ms = o->queue_timeout_ms > 0 ? o->queue_timeout_ms : 10000;
    s->conn_timeout_ms = cfg->connection_timeout_s > 0 ? cfg->connection_timeout_s * 1000 : 15000;
    s->retry_after_s = o->retry_after_s ? o->retry_after_s : 15;
    snprintf(s->retry_after, sizeof s->retry_after, "%u", s->retry_after_s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_cond_init(&s->wdcv, NULL);

    rc = start_daemon(s, &ss, v6, err);
    if (rc != SRR_OK)
        goto fail;
    if (pthread_create(&s->watchdog, NULL, watchdog_main, s) != 0) {
        rc = srr_error_set(err, SRR_ERR, "cannot start the watchdog thread");
        goto fail;
    }
    s->watchdog_started = 1;
    if (s->insecure)
        srr_warn("webhook: *** INSECURE: --insecure-no-auth given and no secret configured: "
                 "ANYONE who can reach port %u can post alerts ***",
                 (unsigned)s->port);
    *out = s;
    return SRR_OK;
fail:
    srr_webhook_stop(&s);
    return rc;
}

unsigned short srr_webhook_port(const srr_webhook_server *s)
{
    return s->port;
}

void srr_webhook_quiesce(srr_webhook_server *s)
{
    MHD_socket fd;
    if (!s || !s->d || atomic_exchange(&s->quiesced, 1))
        return;
    fd = MHD_quiesce_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

size_t srr_webhook_wait_idle(srr_webhook_server *s, int timeout_ms)
{
    struct timespec ts;
    size_t n;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    s->idle_waiters++;
    while (s->inflight > 0) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
            break;
    }
    s->idle_waiters--;
    n = s->inflight;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void srr_webhook_metrics(srr_webhook_server *s, srr_buf *b)
{
    size_t i, inflight;
    pthread_mutex_lock(&s->mu);
    inflight = s->inflight;
    pthread_mutex_unlock(&s->mu);
    srr_buf_printf(b, "# HELP srr_webhook_requests_total HTTP answers by status code.\n"
                      "# TYPE srr_webhook_requests_total counter\n");
    for (i = 0; i < NCODES; i++)
        srr_buf_printf(b, "srr_webhook_requests_total{code=\"%u\"} %llu\n", CODES[i],
                       (unsigned long long)atomic_load(&s->by_code[i]));
    srr_buf_printf(b, "srr_webhook_requests_total{code=\"other\"} %llu\n",
                   (unsigned long long)atomic_load(&s->by_code[NCODES]));
    srr_buf_printf(b, "# HELP srr_webhook_rejected_total Requests not accepted, by reason.\n"
                      "# TYPE srr_webhook_rejected_total counter\n");
    for (i = 0; i < REJ__COUNT; i++)
        srr_buf_printf(b, "srr_webhook_rejected_total{reason=\"%s\"} %llu\n", REJ_NAMES[i],
                       (unsigned long long)atomic_load(&s->rejected[i]));
    srr_buf_printf(
        b,
        "# HELP srr_webhook_payload_bytes_total Bytes of authenticated payloads read.\n"
        "# TYPE srr_webhook_payload_bytes_total counter\n"
        "srr_webhook_payload_bytes_total %llu\n"
        "# HELP srr_webhook_payloads_total Authenticated payloads read whole.\n"
        "# TYPE srr_webhook_payloads_total counter\n"
        "srr_webhook_payloads_total %llu\n"
        "# HELP srr_webhook_connections_cut_total Connections cut off for taking longer than "
        "connection_timeout to send a request.\n"
        "# TYPE srr_webhook_connections_cut_total counter\n"
        "srr_webhook_connections_cut_total %llu\n"
        "# HELP srr_webhook_requests_in_flight Requests being read or waiting for the queue.\n"
        "# TYPE srr_webhook_requests_in_flight gauge\n"
        "srr_webhook_requests_in_flight %zu\n",
        (unsigned long long)atomic_load(&s->payload_bytes),
        (unsigned long long)atomic_load(&s->payloads),
        (unsigned long long)atomic_load(&s->cut_off), inflight);
    srr_quarantine_metrics(s->q, b);
    if (s->h.metrics)
        s->h.metrics(s->h.ctx, b);
}

void srr_webhook_stop(srr_webhook_server **sp)
{
    srr_webhook_server *s;
    if (!sp || !*sp)
        return;
    s = *sp;
    if (s->watchdog_started) {
        pthread_mutex_lock(&s->mu);
        s->stopping = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_cond_signal(&s->wdcv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->watchdog, NULL);
    }
    if (s->d) {
        watchdog_pass(s, 1); /* no suspended connection may outlive the daemon */
        srr_webhook_wait_idle(s, 2000);
        MHD_stop_daemon(s->d);
    }
    pthread_cond_destroy(&s->cv);
    pthread_cond_destroy(&s->wdcv);
    srr_quarantine_destroy(&s->q);
    pthread_mutex_destroy(&s->mu);
    free(s->tls_cert);
    free(s->tls_key);
    free(s);
    *sp = NULL;
}
