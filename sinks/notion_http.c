/* SPDX-License-Identifier: Apache-2.0
 *
 * notion_http.c - the Notion sink's HTTP client (notion.h): one libcurl
 * easy handle kept alive across requests, the Authorization / Notion-
 * Version / Content-Type headers, requests paced to the integration's rate
 * limit (3 requests/s on average, notion-api.md section 6) so that a burst
 * of changes does not run into 429s, and the retry policy of section 7:
 * 429 and 529 are retried after their Retry-After (seconds or an HTTP
 * date, at most max_wait); 409, 5xx, timeouts and connection errors only
 * when the request is idempotent (a POST that creates a page or a comment,
 * or an append, may have been applied: those return SRR_RETRY and the
 * caller re-reads before trying again).
 *
 * TLS is verified (peer and host); the token is registered as a secret so
 * no log line or error message can carry it, and it is sent only over
 * https or to a loopback address.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "notion.h"

#define NH_MAX_BODY (32u << 20) /* largest answer accepted */
#define NH_ERROR_TEXT 300       /* of Notion's message kept in errors */

struct notion_http {
    CURL *curl;
    char *base;
    struct curl_slist *hdr;
    double min_gap;    /* seconds between request starts */
    double next_start; /* monotonic time the next request may start */
    long long max_attempts;
    int64_t max_wait_s;
    long timeout_ms, connect_timeout_ms;
    unsigned long requests;
};

/* What one attempt collected. */
typedef struct nh_answer {
    srr_buf body;
    int64_t retry_after; /* -1: none */
} nh_answer;

/* libcurl's global init is not thread-safe: once per process, before the
 * first handle (the sync thread of serve may be the first to want one). */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts;
    if (s <= 0)
        return;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    nh_answer *a = arg;
    return srr_buf_append(&a->body, p, size * n) == SRR_OK ? size * n : 0;
}

/* Retry-After: delta-seconds, or an HTTP date (as the SDK accepts). */
static int64_t parse_retry_after(const char *v)
{
    struct tm tm;
    char *end;
    long long n;
    while (*v == ' ')
        v++;
    n = strtoll(v, &end, 10);
    if (end != v && (*end == '\0' || *end == '\r' || *end == '\n' || *end == ' '))
        return n < 0 ? 0 : n;
    memset(&tm, 0, sizeof(tm));
    if (strptime(v, "%a, %d %b %Y %H:%M:%S", &tm)) {
        int64_t t = (int64_t)timegm(&tm) - (int64_t)time(NULL);
        return t < 0 ? 0 : t;
    }
    return -1;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    nh_answer *a = arg;
    size_t len = size * n;
    if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
        char v[64];
        snprintf(v, sizeof(v), "%.*s", (int)(len - 12 < 63 ? len - 12 : 63), p + 12);
        a->retry_after = parse_retry_after(v);
    }
    return len;
}

/* 1 for http:// to a loopback host (a test server, a local proxy). */
static int loopback_http(const char *url)
{
    static const char *const ok[] = {"http://127.0.0.1", "http://localhost", "http://[::1]", NULL};
    size_t i;
    for (i = 0; ok[i]; i++) {
        size_t n = strlen(ok[i]);
        if (strncmp(url, ok[i], n) == 0 && (url[n] == ':' || url[n] == '/' || url[n] == '\0'))
            return 1;
    }
    return 0;
}

notion_http *notion_http_create(const char *base_url, const char *token, const notion_opts *o)
{
    notion_http *h;
    char *auth;
    if (strncmp(base_url, "https://", 8) != 0 && !loopback_http(base_url))
        return NULL;
    pthread_once(&curl_once, curl_init_once);
    h = srr_calloc(1, sizeof(*h));
    h->curl = curl_easy_init();
    if (!h->curl) {
        free(h);
        return NULL;
    }
    h->base = srr_strdup(base_url);
    srr_secret_register(token);
    auth = srr_asprintf("Authorization: Bearer %s", token);
    h->hdr = curl_slist_append(h->hdr, auth);
    free(auth);
    h->hdr = curl_slist_append(h->hdr, "Notion-Version: " SRR_NOTION_VERSION);
    h->hdr = curl_slist_append(h->hdr, "Content-Type: application/json");
    h->hdr = curl_slist_append(h->hdr, "Accept: application/json");
    h->min_gap = 1.0 / (double)(o->requests_per_second > 0 ? o->requests_per_second : 3);
    h->max_attempts = o->max_attempts > 0 ? o->max_attempts : 1;
    h->max_wait_s = o->max_wait_s;
    h->timeout_ms = (long)o->timeout_s * 1000;
    h->connect_timeout_ms = (long)o->connect_timeout_s * 1000;
    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "srr/" SRR_VERSION);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->hdr);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
    return h;
}

void notion_http_destroy(notion_http **ph)
{
    notion_http *h;
    if (!ph || !*ph)
        return;
    h = *ph;
    curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->hdr);
    free(h->base);
    free(h);
    *ph = NULL;
}

unsigned long notion_http_requests(const notion_http *h)
{
    return h ? h->requests : 0;
}

/* Waits for the rate limit's next slot and takes it. */
static void pace(notion_http *h)
{
    double now = mono_now();
    if (h->next_start > now)
        sleep_s(h->next_start - now);
    now = mono_now();
    h->next_start = (h->next_start > now ? h->next_start : now) + h->min_gap;
}

/* Notion's error object, as "code: message" (bounded). */
static void error_text(const char *body, long status, char *out, size_t n)
{
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    const char *code = json_string_value(json_object_get(j, "code"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    if (code || msg)
        snprintf(out, n, "HTTP %ld %s: %.*s", status, code ? code : "", NH_ERROR_TEXT,
                 msg ? msg : "");
    else
        snprintf(out, n, "HTTP %ld", status);
    json_decref(j);
}

/* One attempt. *status 0 for a transport failure (text in curl_err). */
static CURLcode attempt(notion_http *h, const char *method, const char *url, const char *body,
                        nh_answer *a, long *status, char *curl_err)
{
    CURLcode cc;
    a->body.len = 0;
    if (a->body.data)
        a->body.data[0] = '\0';
    a->retry_after = -1;
    curl_err[0] = '\0';
    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, curl_err);
    if (body) {
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    } else {
        curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
    }
    pace(h);
    h->requests++;
    cc = curl_easy_perform(h->curl);
    *status = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
    return cc;
}

srr_rc notion_http_call(notion_http *h, const char *method, const char *path, const json_t *body,
                        int idempotent, json_t **out, int64_t *retry_after, srr_error *err)
{
    char *url = srr_asprintf("%s/v1/%s", h->base, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    char curl_err[CURL_ERROR_SIZE], what[NH_ERROR_TEXT + 64];
    nh_answer a;
    long status = 0;
    long long n;
    int64_t wait_total = 0;
    srr_rc rc = SRR_RETRY;

    *out = NULL;
    *retry_after = 0;
    srr_buf_init(&a.body, NH_MAX_BODY);
    for (n = 1;; n++) {
        double t0 = mono_now();
        CURLcode cc = attempt(h, method, url, text, &a, &status, curl_err);
        int64_t wait;
        srr_debug("notion: %s /v1/%.*s -> %ld (%.0f ms)", method, (int)strcspn(path, "?"), path,
                  status, (mono_now() - t0) * 1000);
        if (cc == CURLE_OK && status >= 200 && status < 300) {
            *out = a.body.len ? json_loads(a.body.data, 0, NULL) : NULL;
            rc = SRR_OK;
            break;
        }
        if (cc != CURLE_OK) {
            snprintf(what, sizeof(what), "%s", curl_err[0] ? curl_err : curl_easy_strerror(cc));
            if (cc == CURLE_SSL_CACERT || cc == CURLE_PEER_FAILED_VERIFICATION ||
                cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_UNSUPPORTED_PROTOCOL) {
                rc = SRR_EAUTH; /* TLS refused: not a thing to retry blindly */
                break;
            }
        } else {
            error_text(a.body.data, status, what, sizeof(what));
        }
        if (cc == CURLE_OK && (status == 400 || status == 413 || status == 414)) {
            rc = SRR_EINVAL;
            break;
        }
        if (cc == CURLE_OK && (status == 401 || status == 403)) {
            rc = SRR_EAUTH;
            break;
        }
        if (cc == CURLE_OK && status == 404) {
            rc = SRR_ENOTFOUND;
            break;
        }
        /* Retryable: 429 / 529 always (not processed); 409, 5xx and
         * transport errors only when sending it again cannot do harm. */
        {
            int throttled = cc == CURLE_OK && (status == 429 || status == 529);
            int retryable = throttled || idempotent;
            wait = a.retry_after >= 0 ? a.retry_after : (int64_t)1 << (n - 1 < 5 ? n - 1 : 5);
            if (!retryable || n >= h->max_attempts || wait > h->max_wait_s ||
                wait_total + wait > h->max_wait_s * 2) {
                *retry_after = a.retry_after > 0 ? a.retry_after : 0;
                rc = SRR_RETRY;
                break;
            }
            srr_debug("notion: %s /v1/%.*s: %s; again in %llds", method, (int)strcspn(path, "?"),
                      path, what, (long long)wait);
            if (throttled) /* the limit applies to the next requests too */
                h->next_start = mono_now() + (double)wait;
            else
                sleep_s((double)wait);
            wait_total += wait;
        }
    }
    if (rc != SRR_OK) /* the path without its query: ids stay, parameters go */
        srr_error_set(err, rc, "Notion %s /v1/%.*s: %s", method, (int)strcspn(path, "?"), path,
                      what);
    srr_buf_free(&a.body);
    free(text);
    free(url);
    return rc;
}
