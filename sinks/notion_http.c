/* SPDX-License-Identifier: Apache-2.0
 *
 * notion_http.c - the Notion sink's HTTP client (notion.h), on the sinks'
 * shared exchange (http.h: a connection kept alive across requests, TLS
 * verified, bounded bodies, Retry-After read): the Authorization / Notion-
 * Version / Content-Type headers, requests paced to the integration's rate
 * limit (3 requests/s on average, notion-api.md section 6) so that a burst
 * of changes does not run into 429s, and the retry policy of section 7:
 * 429 and 529 are retried after their Retry-After (seconds or an HTTP
 * date, at most max_wait); 409, 5xx, timeouts and connection errors only
 * when the request is idempotent (a POST that creates a page or a comment,
 * or an append, may have been applied: those return SRR_RETRY and the
 * caller re-reads before trying again).
 *
 * The token is registered as a secret so no log line or error message can
 * carry it, and it is sent only over https or to a loopback address
 * (http.h refuses anything else).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "log.h"
#include "notion.h"

#define NH_MAX_BODY (32u << 20) /* largest answer accepted */
#define NH_ERROR_TEXT 300       /* of Notion's message kept in errors */

struct notion_http {
    srr_http_conn *conn;
    srr_http_opts opts;
    char *base;
    char *auth;        /* "Authorization: Bearer ..." */
    double min_gap;    /* seconds between request starts */
    double next_start; /* monotonic time the next request may start */
    long long max_attempts;
    int64_t max_wait_s;
    unsigned long requests;
};

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

notion_http *notion_http_create(const char *base_url, const char *token, const notion_opts *o)
{
    notion_http *h;
    if (!srr_http_url_allowed(base_url) ||
        (strncmp(base_url, "https://", 8) != 0 && strncmp(base_url, "http://", 7) != 0))
        return NULL;
    h = srr_calloc(1, sizeof(*h));
    h->conn = srr_http_conn_create();
    if (!h->conn) {
        free(h);
        return NULL;
    }
    h->base = srr_strdup(base_url);
    srr_secret_register(token);
    h->auth = srr_asprintf("Authorization: Bearer %s", token);
    h->min_gap = 1.0 / (double)(o->requests_per_second > 0 ? o->requests_per_second : 3);
    h->max_attempts = o->max_attempts > 0 ? o->max_attempts : 1;
    h->max_wait_s = o->max_wait_s;
    h->opts.timeout_ms = (long)o->timeout_s * 1000;
    h->opts.connect_timeout_ms = (long)o->connect_timeout_s * 1000;
    h->opts.max_response = NH_MAX_BODY;
    h->opts.conn = h->conn;
    return h;
}

void notion_http_destroy(notion_http **ph)
{
    notion_http *h;
    if (!ph || !*ph)
        return;
    h = *ph;
    srr_http_conn_destroy(&h->conn);
    free(h->auth);
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

/* One attempt through the shared exchange: *a gets the answer (free it). */
static srr_rc attempt(notion_http *h, const char *method, const char *url, const char *body,
                      srr_http_resp *a, srr_error *err)
{
    const char *hdrs[] = {h->auth, "Notion-Version: " SRR_NOTION_VERSION,
                          "Content-Type: application/json", "Accept: application/json", NULL};
    pace(h);
    h->requests++;
    return srr_http_request(&h->opts, method, url, hdrs, body, body ? strlen(body) : 0, a, err);
}

srr_rc notion_http_call(notion_http *h, const char *method, const char *path, const json_t *body,
                        int idempotent, json_t **out, int64_t *retry_after, srr_error *err)
{
    char *url = srr_asprintf("%s/v1/%s", h->base, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    char what[sizeof(((srr_error *)0)->msg) + 64];
    long long n;
    int64_t wait_total = 0;
    srr_rc rc = SRR_RETRY;

    *out = NULL;
    *retry_after = 0;
    for (n = 1;; n++) {
        double t0 = mono_now();
        srr_http_resp a;
        srr_error terr = {0};
        srr_rc trc = attempt(h, method, url, text, &a, &terr);
        long status = a.status;
        int64_t ra = a.retry_after_ms >= 0 ? (a.retry_after_ms + 999) / 1000 : -1, wait;
        srr_debug("notion: %s /v1/%.*s -> %ld (%.0f ms)", method, (int)strcspn(path, "?"), path,
                  status, (mono_now() - t0) * 1000);
        if (trc == SRR_OK && status >= 200 && status < 300) {
            *out = a.body.len ? json_loads(a.body.data, 0, NULL) : NULL;
            srr_http_resp_free(&a);
            rc = SRR_OK;
            break;
        }
        if (trc != SRR_OK) {
            snprintf(what, sizeof(what), "%s", a.transport[0] ? a.transport : terr.msg);
            if (trc == SRR_EAUTH || trc == SRR_EINVAL || trc == SRR_EIO) {
                rc = trc == SRR_EIO ? SRR_RETRY : SRR_EAUTH; /* TLS or URL refused */
                srr_http_resp_free(&a);
                break;
            }
        } else {
            error_text(a.body.data, status, what, sizeof(what));
        }
        srr_http_resp_free(&a);
        if (trc == SRR_OK && (status == 400 || status == 413 || status == 414)) {
            rc = SRR_EINVAL;
            break;
        }
        if (trc == SRR_OK && (status == 401 || status == 403)) {
            rc = SRR_EAUTH;
            break;
        }
        if (trc == SRR_OK && status == 404) {
            rc = SRR_ENOTFOUND;
            break;
        }
        /* Retryable: 429 / 529 always (not processed); 409, 5xx and
         * transport errors only when sending it again cannot do harm. */
        {
            int throttled = trc == SRR_OK && (status == 429 || status == 529);
            int retryable = throttled || idempotent;
            wait = ra >= 0 ? ra : (int64_t)1 << (n - 1 < 5 ? n - 1 : 5);
            if (!retryable || n >= h->max_attempts || wait > h->max_wait_s ||
                wait_total + wait > h->max_wait_s * 2) {
                *retry_after = ra > 0 ? ra : 0;
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
    free(text);
    free(url);
    return rc;
}
