/* SPDX-License-Identifier: Apache-2.0
 *
 * datadog.c - the Datadog API client: metric queries (GET /api/v1/query)
 * and log search (POST /api/v2/logs/events/search with cursor paging) over
 * one reused libcurl easy handle, plus record/replay and the links a person
 * clicks.
 *
 * Each exchange is three steps kept apart on purpose (see dd_internal.h):
 * build a dd_request, get a dd_answer (dd_http_perform, or dd_replay), and
 * classify it (dd_classify). dd_exchange() wraps them in a small retry loop
 * for SRR_RETRY outcomes: at most DD_DEFAULT_ATTEMPTS attempts, exponential
 * backoff from DD_DEFAULT_BACKOFF_MS, each sleep capped by DD_MAX_BACKOFF_MS
 * and by the request timeout; a 429 whose X-RateLimit-Reset is longer than
 * DD_MAX_RESET_WAIT_S is not waited for. Replays never sleep.
 *
 * The API and application keys live only in the curl header lists; they are
 * never formatted into an error message or a log line.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dd_internal.h"
#include "log.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void dd_urlencode(srr_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        unsigned char ch = *p;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            (void)srr_buf_append(b, &ch, 1);
        } else {
            char enc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            (void)srr_buf_append(b, enc, 3);
        }
    }
}

/* ---- transport: one HTTP exchange over the reused easy handle --------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    dd_answer *a = ud;
    size_t n = size * nmemb;
    if (srr_buf_append(&a->body, ptr, n) != SRR_OK)
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nitems, void *ud)
{
    dd_answer *a = ud;
    size_t n = size * nitems;
    static const char name[] = "x-ratelimit-reset:";
    if (n > sizeof(name) - 1 && strncasecmp(ptr, name, sizeof(name) - 1) == 0) {
        char tmp[32];
        size_t vl = n - (sizeof(name) - 1);
        if (vl >= sizeof(tmp))
            vl = sizeof(tmp) - 1;
        memcpy(tmp, ptr + sizeof(name) - 1, vl);
        tmp[vl] = '\0';
        char *end;
        long long v = strtoll(tmp, &end, 10);
        if (end != tmp && v >= 0)
            a->ratelimit_reset_s = v;
    }
    return n;
}

/* Builds "<base><path>?k=v&..." from the request. Caller frees. */
static char *build_url(const srr_dd_client *c, const dd_request *req)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    (void)srr_buf_printf(&b, "%s%s", c->base_url, req->path);
    const char *k;
    json_t *v;
    char sep = '?';
    json_object_foreach(req->query, k, v)
    {
        (void)srr_buf_append(&b, &sep, 1);
        dd_urlencode(&b, k);
        (void)srr_buf_append(&b, "=", 1);
        dd_urlencode(&b, json_string_value(v));
        sep = '&';
    }
    return srr_buf_steal(&b);
}

/* Performs one live request. Fills a->status and a->body. Returns SRR_OK
 * when an answer (any status) arrived; SRR_RETRY for connection failures and
 * timeouts, SRR_EIO when the body exceeds max_response_bytes. */
static srr_rc dd_http_perform(srr_dd_client *c, const dd_request *req, dd_answer *a, srr_error *err)
{
    CURL *h = c->curl;
    char *url = build_url(c, req);
    char *body = NULL;
    srr_rc rc = SRR_OK;

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
    if (req->body) {
        body = json_dumps(req->body, JSON_COMPACT);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdr_post);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdr_get);
    }
    c->curl_err[0] = '\0';
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_WRITE_ERROR) {
        rc = srr_error_set(err, SRR_EIO,
                           "check '%s': Datadog's answer to %s %s is larger than "
                           "datadog.max_response_bytes (%lld bytes); aborted (narrow the query "
                           "or raise the limit)",
                           req->check, req->method, req->path, c->max_response_bytes);
    } else if (cc != CURLE_OK) {
        rc = srr_error_set(err, SRR_RETRY, "check '%s': %s %s%s failed: %s", req->check,
                           req->method, c->base_url, req->path,
                           c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc));
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
    }
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    free(body);
    free(url);
    return rc;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Gets an answer for `req` (live, recorded, or replayed) and classifies it.
 * Retries SRR_RETRY outcomes as described at the top of this file. On
 * SRR_OK `a` holds a 2xx answer; the caller frees `a` in every case. */
static srr_rc dd_exchange(srr_dd_client *c, const dd_request *req, dd_answer *a, srr_error *err_out)
{
    srr_rc rc = SRR_ERR;
    srr_error local;
    srr_error *err = err_out ? err_out : &local;
    long backoff = c->backoff_ms;
    for (int attempt = 1; attempt <= c->max_attempts; attempt++) {
        dd_answer_free(a);
        dd_answer_init(a, (size_t)c->max_response_bytes);
        if (c->mode == SRR_DD_REPLAY) {
            rc = dd_replay(c, req, a, err);
        } else {
            rc = dd_http_perform(c, req, a, err);
            if (rc == SRR_OK && c->mode == SRR_DD_RECORD)
                rc = dd_record(c, req, a, err);
        }
        if (rc == SRR_OK)
            rc = dd_classify(req->check, a, err);
        if (rc != SRR_RETRY || attempt == c->max_attempts)
            break;
        long wait = backoff;
        if (a->status == 429 && a->ratelimit_reset_s >= 0) {
            if (a->ratelimit_reset_s > DD_MAX_RESET_WAIT_S)
                break; /* the caller's next run is the better retry */
            if (a->ratelimit_reset_s * 1000 > wait)
                wait = (long)a->ratelimit_reset_s * 1000;
        }
        if (wait > DD_MAX_BACKOFF_MS)
            wait = DD_MAX_BACKOFF_MS;
        if (c->timeout_s > 0 && wait > c->timeout_s * 1000)
            wait = (long)(c->timeout_s * 1000);
        srr_warn("%s (attempt %d of %d; retrying in %ld ms)", err->msg, attempt, c->max_attempts,
                 c->mode == SRR_DD_REPLAY ? 0L : wait);
        if (c->mode != SRR_DD_REPLAY)
            sleep_ms(wait);
        backoff *= 2;
    }
    return rc;
}

/* ---- client ------------------------------------------------------------ */

static long long pos_or(long long v, long long dflt)
{
    return v > 0 ? v : dflt;
}

void srr_dd_client_set_retry(srr_dd_client *c, int max_attempts, long backoff_ms)
{
    c->max_attempts = max_attempts > 0 ? max_attempts : 1;
    c->backoff_ms = backoff_ms >= 0 ? backoff_ms : 0;
}

srr_rc srr_dd_client_create(const srr_dd_config *cfg, const char *base_url, srr_dd_mode mode,
                            const char *dir, srr_dd_client **out, srr_error *err)
{
    srr_rc rc = SRR_OK;
    srr_dd_client *c = NULL;
    char *hdr = NULL;
    *out = NULL;

    if (mode != SRR_DD_REPLAY &&
        (!cfg || !cfg->api_key || !*cfg->api_key || !cfg->app_key || !*cfg->app_key))
        return srr_error_set(err, SRR_EAUTH,
                             "Datadog API keys missing: set DD_API_KEY and DD_APP_KEY in the "
                             "environment (or use --replay DIR)");
    if (mode != SRR_DD_LIVE && (!dir || !*dir))
        return srr_error_set(err, SRR_EINVAL, "record/replay needs a recording directory");
    if (mode != SRR_DD_REPLAY && (!base_url || !*base_url))
        return srr_error_set(err, SRR_EINVAL, "the Datadog client needs a base URL");

    c = srr_calloc(1, sizeof(*c));
    c->mode = mode;
    c->dir = srr_strdup(dir);
    c->max_response_bytes = pos_or(cfg ? cfg->max_response_bytes : 0, DD_DEFAULT_MAX_RESPONSE);
    c->timeout_s = pos_or(cfg ? cfg->timeout_s : 0, 0);
    c->connect_timeout_s = pos_or(cfg ? cfg->connect_timeout_s : 0, 0);
    c->log_page_limit = pos_or(cfg ? cfg->log_page_limit : 0, DD_DEFAULT_PAGE_LIMIT);
    if (c->log_page_limit > DD_MAX_PAGE_LIMIT)
        c->log_page_limit = DD_MAX_PAGE_LIMIT;
    c->max_log_pages = pos_or(cfg ? cfg->max_log_pages : 0, DD_DEFAULT_MAX_PAGES);
    c->max_attempts = DD_DEFAULT_ATTEMPTS;
    c->backoff_ms = DD_DEFAULT_BACKOFF_MS;
    if (mode == SRR_DD_REPLAY) {
        *out = c;
        return SRR_OK;
    }

    c->base_url = srr_strdup(base_url);
    size_t bl = strlen(c->base_url);
    while (bl > 0 && c->base_url[bl - 1] == '/')
        c->base_url[--bl] = '\0';

    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK) {
        rc = srr_error_set(err, SRR_EIO, "libcurl initialisation failed: %s",
                           curl_easy_strerror(curl_init_rc));
        goto fail;
    }
    c->curl = curl_easy_init();
    if (!c->curl) {
        rc = srr_error_set(err, SRR_EIO, "libcurl: cannot create a handle");
        goto fail;
    }
    /* The keys go into header lists only (never into messages). */
    struct curl_slist **lists[2] = {&c->hdr_get, &c->hdr_post};
    for (int i = 0; i < 2; i++) {
        struct curl_slist **l = lists[i];
        *l = curl_slist_append(*l, "Accept: application/json");
        hdr = srr_asprintf("DD-API-KEY: %s", cfg->api_key);
        *l = curl_slist_append(*l, hdr);
        free(hdr);
        hdr = srr_asprintf("DD-APPLICATION-KEY: %s", cfg->app_key);
        *l = curl_slist_append(*l, hdr);
        free(hdr);
        hdr = NULL;
    }
    c->hdr_post = curl_slist_append(c->hdr_post, "Content-Type: application/json");
    /* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
    c->hdr_post = curl_slist_append(c->hdr_post, "Expect:");
    if (!c->hdr_get || !c->hdr_post) {
        rc = srr_error_set(err, SRR_EIO, "libcurl: cannot build request headers");
        goto fail;
    }
    CURL *h = c->curl;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "srr/" SRR_VERSION);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* gzip if offered */
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->timeout_s > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)c->timeout_s);
    if (c->connect_timeout_s > 0)
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)c->connect_timeout_s);
    *out = c;
    return SRR_OK;
fail:
    srr_dd_client_destroy(&c);
    return rc;
}

void srr_dd_client_destroy(srr_dd_client **cp)
{
    if (!cp || !*cp)
        return;
    srr_dd_client *c = *cp;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->hdr_get);
    curl_slist_free_all(c->hdr_post);
    while (c->counters) {
        dd_counter *k = c->counters;
        c->counters = k->next;
        free(k->check);
        free(k);
    }
    free(c->base_url);
    free(c->dir);
    free(c);
    *cp = NULL;
}

/* ---- metrics ----------------------------------------------------------- */

srr_rc srr_dd_query_metrics(srr_dd_client *c, const char *check, const char *query, int64_t from_s,
                            int64_t to_s, srr_metric_result *out, srr_error *err)
{
    srr_rc rc;
    dd_answer a;
    char num[32];
    json_t *params = json_object();
    memset(out, 0, sizeof(*out));
    dd_answer_init(&a, 0);

    rc = dd_check_name_ok(check, err);
    if (rc != SRR_OK)
        goto out;
    snprintf(num, sizeof(num), "%lld", (long long)from_s);
    json_object_set_new(params, "from", json_string(num));
    snprintf(num, sizeof(num), "%lld", (long long)to_s);
    json_object_set_new(params, "to", json_string(num));
    json_object_set_new(params, "query", json_string(query ? query : ""));

    dd_request req = {.check = check, .method = "GET", .path = "/api/v1/query", .query = params};
    rc = dd_exchange(c, &req, &a, err);
    if (rc != SRR_OK)
        goto out;
    rc = srr_dd_parse_metrics(check, a.body.data, a.body.len, out, err);
    if (rc != SRR_OK)
        goto out;
    if (!out->query)
        out->query = srr_strdup(query);
    if (!out->from_ms)
        out->from_ms = from_s * 1000;
    if (!out->to_ms)
        out->to_ms = to_s * 1000;
out:
    dd_answer_free(&a);
    json_decref(params);
    return rc;
}

/* ---- logs -------------------------------------------------------------- */

static const char *str_at(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Delivers the events of one parsed page. Returns 1 when the callback
 * asked to stop, 0 otherwise; SRR_EINVAL when `data` is malformed. */
static srr_rc deliver_page(const char *check, const json_t *data, srr_dd_log_cb cb, void *ud,
                           size_t *count, int *stop, srr_error *err)
{
    size_t i;
    const json_t *item;
    json_array_foreach(data, i, item)
    {
        if (!json_is_object(item))
            return srr_error_set(err, SRR_EINVAL,
                                 "check '%s': logs search data[%zu] is not an object", check, i);
        const json_t *at = json_object_get(item, "attributes");
        srr_log_event ev = {
            .id = str_at(item, "id"),
            .timestamp = str_at(at, "timestamp"),
            .status = str_at(at, "status"),
            .service = str_at(at, "service"),
            .host = str_at(at, "host"),
            .message = str_at(at, "message"),
            .tags = json_is_array(json_object_get(at, "tags")) ? json_object_get(at, "tags") : NULL,
            .attributes = json_is_object(json_object_get(at, "attributes"))
                              ? json_object_get(at, "attributes")
                              : NULL,
        };
        (*count)++;
        if (cb && cb(ud, &ev) != 0) {
            *stop = 1;
            return SRR_OK;
        }
    }
    return SRR_OK;
}

srr_rc srr_dd_search_logs(srr_dd_client *c, const char *check, const char *query, int64_t from_s,
                          int64_t to_s, srr_dd_log_cb cb, void *ud, size_t *nevents, srr_error *err)
{
    srr_rc rc;
    dd_answer a;
    char num[32];
    char *cursor = NULL;
    size_t count = 0;
    json_t *body = json_object();
    json_t *filter = json_object();
    json_t *page = json_object();
    json_t *root = NULL;
    dd_answer_init(&a, 0);

    rc = dd_check_name_ok(check, err);
    if (rc != SRR_OK)
        goto out;
    json_object_set_new(filter, "query", json_string(query ? query : "*"));
    snprintf(num, sizeof(num), "%lld", (long long)from_s * 1000);
    json_object_set_new(filter, "from", json_string(num));
    snprintf(num, sizeof(num), "%lld", (long long)to_s * 1000);
    json_object_set_new(filter, "to", json_string(num));
    json_object_set(body, "filter", filter);
    json_object_set_new(page, "limit", json_integer(c->log_page_limit));
    json_object_set(body, "page", page);
    json_object_set_new(body, "sort", json_string("timestamp"));

    for (long long npages = 0;; npages++) {
        if (npages >= c->max_log_pages) {
            srr_warn("check '%s': stopped after datadog.max_log_pages (%lld) pages and %zu log "
                     "events; the counts of this window are partial (narrow the query or raise "
                     "the limit)",
                     check, c->max_log_pages, count);
            break;
        }
        if (cursor)
            json_object_set_new(page, "cursor", json_string(cursor));
        dd_request req = {
            .check = check, .method = "POST", .path = "/api/v2/logs/events/search", .body = body};
        rc = dd_exchange(c, &req, &a, err);
        if (rc != SRR_OK)
            goto out;
        json_error_t je;
        root = json_loadb(a.body.data ? a.body.data : "", a.body.len, 0, &je);
        if (!root) {
            rc = dd_not_json(check, a.status, &je, err);
            goto out;
        }
        const json_t *data = json_object_get(root, "data");
        char *errs = data ? NULL : dd_errors_of(root);
        if (errs) {
            rc = srr_error_set(err, SRR_EINVAL,
                               "check '%s': Datadog answered HTTP %ld with errors: %s", check,
                               a.status, errs);
            free(errs);
            goto out;
        }
        if (!json_is_object(root) || (data && !json_is_array(data) && !json_is_null(data))) {
            rc = srr_error_set(err, SRR_EINVAL,
                               "check '%s': logs search answer is not {\"data\": [...]}", check);
            goto out;
        }
        int stop = 0;
        rc = deliver_page(check, data, cb, ud, &count, &stop, err);
        if (rc != SRR_OK || stop)
            goto out;
        const json_t *meta = json_object_get(root, "meta");
        const char *st = str_at(meta, "status");
        if (st && strcmp(st, "timeout") == 0)
            srr_warn("check '%s': Datadog reports a logs search timeout; results may be partial",
                     check);
        const char *after = str_at(json_object_get(meta, "page"), "after");
        free(cursor);
        cursor = (after && *after) ? srr_strdup(after) : NULL;
        size_t got = json_array_size(data);
        json_decref(root); /* the page is freed before the next is fetched */
        root = NULL;
        if (!cursor || got == 0)
            break;
    }
out:
    if (nevents)
        *nevents = count;
    json_decref(root);
    free(cursor);
    json_decref(page);
    json_decref(filter);
    json_decref(body);
    dd_answer_free(&a);
    return rc;
}

/* ---- links ------------------------------------------------------------- */

/* Web host of a site: US1/EU1/US1-FED are app.<site>; the others
 * (us3.datadoghq.com, ap1.datadoghq.com, ...) serve the UI on the site. */
static void app_host(srr_buf *b, const char *site)
{
    if (!site || !*site)
        site = "datadoghq.com";
    int dots = 0;
    for (const char *p = site; *p; p++)
        dots += *p == '.';
    (void)srr_buf_printf(b, "https://%s%s", dots <= 1 ? "app." : "", site);
}

static char *make_link(const char *site, const char *path, const char *param, const char *query,
                       int64_t from_s, int64_t to_s)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    app_host(&b, site);
    (void)srr_buf_printf(&b, "%s?%s=", path, param);
    dd_urlencode(&b, query ? query : "");
    (void)srr_buf_printf(&b, "&from_ts=%lld&to_ts=%lld&live=false", (long long)from_s * 1000,
                         (long long)to_s * 1000);
    return srr_buf_steal(&b);
}

char *srr_dd_link_metrics(const char *site, const char *query, int64_t from_s, int64_t to_s)
{
    return make_link(site, "/metric/explorer", "exp_metric", query, from_s, to_s);
}

char *srr_dd_link_logs(const char *site, const char *query, int64_t from_s, int64_t to_s)
{
    return make_link(site, "/logs", "query", query, from_s, to_s);
}
