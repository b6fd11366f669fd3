/* SPDX-License-Identifier: Apache-2.0
 *
 * http.c - the blocking libcurl exchange and the rate gate of http.h. A
 * request uses the caller's kept connection (srr_http_conn: one easy
 * handle, reset between requests so no option leaks from one to the next,
 * its connections kept) or a handle of its own.
 */
#include "http.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HEADERS_MAX (64u * 1024)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct sink {
    srr_buf *buf;
    int overflow;
} sink;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    if (srr_buf_append(s->buf, p, size * n) != SRR_OK) {
        s->overflow = 1;
        return 0;
    }
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    srr_buf *h = ud;
    /* A new status line (after a 100 Continue) starts the headers anew. */
    if (size * n >= 5 && strncmp(p, "HTTP/", 5) == 0)
        h->len = 0;
    (void)srr_buf_append(h, p, size * n); /* past the bound, later lines are dropped */
    return size * n;
}

struct srr_http_conn {
    CURL *curl;
};

srr_http_conn *srr_http_conn_create(void)
{
    srr_http_conn *c;
    pthread_once(&curl_once, curl_init_once);
    c = srr_calloc(1, sizeof(*c));
    c->curl = curl_easy_init();
    if (!c->curl) {
        free(c);
        return NULL;
    }
    return c;
}

void srr_http_conn_destroy(srr_http_conn **pc)
{
    if (!pc || !*pc)
        return;
    curl_easy_cleanup((*pc)->curl);
    free(*pc);
    *pc = NULL;
}

/* Sinks carry credentials (tokens, a webhook URL that is one): plain http
 * only to this machine (tests, a local proxy), never across a network. */
int srr_http_url_allowed(const char *url)
{
    static const char *const loopback[] = {"127.", "localhost", "[::1]", NULL};
    const char *host;
    if (strncasecmp(url, "http://", 7) != 0)
        return 1;
    host = url + 7;
    for (size_t i = 0; loopback[i]; i++) {
        size_t n = strlen(loopback[i]);
        if (strncasecmp(host, loopback[i], n) == 0 &&
            (loopback[i][n - 1] == '.' || host[n] == ':' || host[n] == '/' || host[n] == '\0'))
            return 1;
    }
    return 0;
}

int64_t srr_http_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sets up c for one exchange: the URL, headers hl, srr's timeouts, TLS
 * verified, no redirects, the body and headers into resp (through bs), and
 * the method: GET, a body-less DELETE, or a POST/PATCH/PUT with body. */
static void set_request(CURL *c, const srr_http_opts *opts, const char *method, const char *url,
                        struct curl_slist *hl, const char *body, size_t body_len, sink *bs,
                        srr_http_resp *resp, char *errbuf)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     opts->timeout_ms > 0 ? opts->timeout_ms : SRR_HTTP_DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
                                                  : SRR_HTTP_DEFAULT_CONNECT_MS);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_USERAGENT,
                     opts->user_agent ? opts->user_agent : "srr/" SRR_VERSION);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, bs);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp->headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else if (!body && strcmp(method, "POST") != 0) { /* DELETE: no body at all */
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else {
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
    }
}

/* What the exchange's outcome means to the caller: SRR_EIO for a response
 * over the bound, SRR_EINVAL for an unusable URL, SRR_EAUTH for a TLS
 * refusal, SRR_RETRY for another transport error (resp->status then 0),
 * else SRR_OK with resp->retry_after_ms from Retry-After. Messages never
 * carry the URL's query. */
static srr_rc exchange_result(CURLcode cr, int overflow, const char *method, const char *url,
                              srr_http_resp *resp, srr_error *err)
{
    srr_rc rc = SRR_OK;
    char ra[64];
    if (overflow) {
        rc = srr_error_set(err, SRR_EIO, "%s %.*s: the response is larger than %zu bytes", method,
                           (int)strcspn(url, "?"), url, resp->body.max);
    } else if (cr == CURLE_URL_MALFORMAT || cr == CURLE_UNSUPPORTED_PROTOCOL) {
        rc = srr_error_set(err, SRR_EINVAL, "%.*s: not a usable URL (%s)", (int)strcspn(url, "?"),
                           url, curl_easy_strerror(cr));
    } else if (cr == CURLE_PEER_FAILED_VERIFICATION || cr == CURLE_SSL_CACERT_BADFILE ||
               cr == CURLE_SSL_CERTPROBLEM || cr == CURLE_SSL_ISSUER_ERROR) {
        rc = srr_error_set(err, SRR_EAUTH, "%s %.*s: %s", method, (int)strcspn(url, "?"), url,
                           resp->transport);
        resp->status = 0;
    } else if (cr != CURLE_OK) {
        rc = srr_error_set(err, SRR_RETRY, "%s %.*s: %s", method, (int)strcspn(url, "?"), url,
                           resp->transport);
        resp->status = 0;
    } else if (srr_http_header(resp, "Retry-After", ra, sizeof(ra))) {
        resp->retry_after_ms = srr_http_parse_retry_after(ra, srr_http_now_ms());
    }
    return rc;
}

srr_rc srr_http_request(const srr_http_opts *opts, const char *method, const char *url,
                        const char *const *headers, const char *body, size_t body_len,
                        srr_http_resp *resp, srr_error *err)
{
    static const srr_http_opts none = {0};
    struct curl_slist *hl = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    sink bs;
    CURL *c;
    CURLcode cr;
    srr_rc rc = SRR_OK;

    if (!opts)
        opts = &none;
    memset(resp, 0, sizeof(*resp));
    if (!srr_http_url_allowed(url)) {
        srr_buf_init(&resp->body, 1);
        srr_buf_init(&resp->headers, 1);
        resp->retry_after_ms = -1;
        return srr_error_set(err, SRR_EINVAL,
                             "refusing plain http to a host that is not loopback: credentials "
                             "travel with sink requests (use https)");
    }
    resp->retry_after_ms = -1;
    srr_buf_init(&resp->body,
                 opts->max_response ? opts->max_response : SRR_HTTP_DEFAULT_MAX_RESPONSE);
    srr_buf_init(&resp->headers, HEADERS_MAX);
    pthread_once(&curl_once, curl_init_once);
    if (opts->conn) {
        c = opts->conn->curl;
        curl_easy_reset(c);
    } else {
        c = curl_easy_init();
    }
    if (!c)
        return srr_error_set(err, SRR_ERR, "cannot initialise libcurl");
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    /* No "Expect: 100-continue" round trip on larger bodies. */
    hl = curl_slist_append(hl, "Expect:");
    bs.buf = &resp->body;
    bs.overflow = 0;
    set_request(c, opts, method, url, hl, body, body_len, &bs, resp, errbuf);
    cr = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    if (cr != CURLE_OK)
        snprintf(resp->transport, sizeof(resp->transport), "%s",
                 errbuf[0] ? errbuf : curl_easy_strerror(cr));
    rc = exchange_result(cr, bs.overflow, method, url, resp, err);
    /* A kept handle must not point at this call's list and buffers. */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(hl);
    if (!opts->conn)
        curl_easy_cleanup(c);
    return rc;
}

void srr_http_resp_free(srr_http_resp *resp)
{
    if (!resp)
        return;
    srr_buf_free(&resp->body);
    srr_buf_free(&resp->headers);
}

const char *srr_http_header(const srr_http_resp *resp, const char *name, char *out, size_t cap)
{
    const char *p = resp->headers.data, *found = NULL, *fend = NULL;
    size_t nl = strlen(name);
    if (!p || cap == 0)
        return NULL;
    while (*p) {
        const char *eol = strchr(p, '\n');
        const char *end = eol ? eol : p + strlen(p);
        if ((size_t)(end - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            found = p + nl + 1;
            fend = end;
        }
        p = eol ? eol + 1 : end;
    }
    if (!found)
        return NULL;
    while (found < fend && (*found == ' ' || *found == '\t'))
        found++;
    while (fend > found && (fend[-1] == '\r' || fend[-1] == ' ' || fend[-1] == '\t'))
        fend--;
    snprintf(out, cap, "%.*s", (int)(fend - found), found);
    return out;
}

srr_rc srr_http_status_rc(long status)
{
    if (status >= 200 && status < 300)
        return SRR_OK;
    if (status == 408 || status == 425 || status == 429)
        return SRR_RETRY;
    if (status >= 500 && status < 600)
        return status == 501 || status == 505 ? SRR_EINVAL : SRR_RETRY;
    if (status == 401 || status == 403)
        return SRR_EAUTH;
    if (status == 404 || status == 410)
        return SRR_ENOTFOUND;
    if (status == 409)
        return SRR_ECONFLICT;
    return SRR_EINVAL;
}

int64_t srr_http_parse_retry_after(const char *value, int64_t now_ms)
{
    const char *p = value;
    long long secs = 0;
    time_t when;
    if (!value || !*value)
        return -1;
    while (*p >= '0' && *p <= '9' && secs < 100000000LL)
        secs = secs * 10 + (*p++ - '0');
    if (p != value && *p == '\0')
        return secs * 1000;
    when = curl_getdate(value, NULL);
    if (when < 0)
        return -1;
    return (int64_t)when * 1000 > now_ms ? (int64_t)when * 1000 - now_ms : 0;
}

char *srr_http_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s), j = 0;
    char *out = srr_malloc(n * 3 + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            out[j++] = (char)ch;
        } else {
            out[j++] = '%';
            out[j++] = hex[ch >> 4];
            out[j++] = hex[ch & 15];
        }
    }
    out[j] = '\0';
    return out;
}

char *srr_http_base64(const void *data, size_t n)
{
    char *out = srr_malloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)n);
    return out;
}

/* ---- the gate ------------------------------------------------------------- */

void srr_http_gate_init(srr_http_gate *g, int64_t min_interval_ms, int64_t backoff_base_ms,
                        int64_t backoff_max_ms)
{
    memset(g, 0, sizeof(*g));
    g->min_interval_ms = min_interval_ms;
    g->backoff_base_ms = backoff_base_ms > 0 ? backoff_base_ms : 1000;
    g->backoff_max_ms = backoff_max_ms >= g->backoff_base_ms ? backoff_max_ms : g->backoff_base_ms;
}

int64_t srr_http_gate_ready_at(const srr_http_gate *g, int64_t now_ms)
{
    int64_t at = g->blocked_until_ms;
    if (g->last_sent_ms && g->last_sent_ms + g->min_interval_ms > at)
        at = g->last_sent_ms + g->min_interval_ms;
    return at > now_ms ? at : 0;
}

int64_t srr_http_gate_wait_ms(const srr_http_gate *g, int64_t now_ms)
{
    int64_t at = srr_http_gate_ready_at(g, now_ms);
    return at ? at - now_ms : 0;
}

srr_rc srr_http_gate_enter(srr_http_gate *g, int64_t max_sleep_ms, srr_error *err)
{
    int64_t now = srr_http_now_ms();
    int64_t wait = srr_http_gate_wait_ms(g, now);
    if (wait > 0 && (g->blocked_until_ms > now || wait > max_sleep_ms))
        return srr_error_set(err, SRR_RETRY, "rate limited: the next request may go in %lld ms",
                             (long long)wait);
    if (wait > 0) {
        struct timespec ts = {(time_t)(wait / 1000), (long)(wait % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0) {
        }
        now = srr_http_now_ms();
    }
    g->last_sent_ms = now;
    return SRR_OK;
}

void srr_http_gate_done(srr_http_gate *g, srr_rc rc, int64_t retry_after_ms, int64_t now_ms)
{
    /* The spacing runs from the answer, not from the send: the server counts
     * from when it took the request, which is later than when it left. */
    g->last_sent_ms = now_ms;
    if (rc == SRR_OK) {
        g->failures = 0;
        g->blocked_until_ms = 0;
        return;
    }
    if (rc != SRR_RETRY)
        return;
    g->failures++;
    if (retry_after_ms < 0) {
        int64_t w = g->backoff_base_ms;
        for (unsigned i = 1; i < g->failures && w < g->backoff_max_ms; i++)
            w *= 2;
        retry_after_ms = w < g->backoff_max_ms ? w : g->backoff_max_ms;
    }
    g->blocked_until_ms = now_ms + retry_after_ms;
}
