/* SPDX-License-Identifier: Apache-2.0
 *
 * datadog.c - the Datadog API client: the client itself (a curl multi handle
 * and max_concurrency reusable easy handles), the tasks that speak each
 * endpoint (v1 query, v2 timeseries batch, logs search with cursor paging,
 * logs aggregate), the run API that batches metric checks sharing a window,
 * the one-shot wrappers srr_dd_query_metrics / srr_dd_search_logs, and the
 * links a person clicks.
 *
 * Each exchange is three steps kept apart on purpose (see dd_internal.h):
 * a task builds a dd_request, the engine (engine.c) gets a dd_answer (live,
 * recorded, or replayed) and classifies it (dd_classify), and the task
 * consumes the answer. Retries, rate limits and concurrency live only in
 * the engine, so every caller goes through the same code path.
 *
 * The API and application keys live only in the curl header lists; they are
 * never formatted into an error message or a log line.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "curl_debug.h"
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

/* ---- transport callbacks ------------------------------------------------ */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    dd_answer *a = ud;
    size_t n = size * nmemb;
    if (srr_buf_append(&a->body, ptr, n) != SRR_OK)
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    return n;
}

/* Value of header line `ptr` (n bytes) when its name is `name` (with ':'),
 * trimmed, into out; returns 1 when it matched. */
static int header_value(const char *ptr, size_t n, const char *name, char *out, size_t outsz)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(ptr, name, nl) != 0)
        return 0;
    const char *v = ptr + nl;
    size_t vl = n - nl;
    while (vl && (*v == ' ' || *v == '\t'))
        v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    if (vl >= outsz)
        vl = outsz - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
    return 1;
}

static long long header_num(const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return (end != s && errno == 0 && v >= 0) ? v : -1;
}

static size_t on_header(char *ptr, size_t size, size_t nitems, void *ud)
{
    dd_answer *a = ud;
    size_t n = size * nitems;
    char v[64];
    if (n < 12 || strncasecmp(ptr, "x-ratelimit-", 12) != 0)
        return n;
    if (header_value(ptr, n, "x-ratelimit-reset:", v, sizeof v))
        a->ratelimit_reset_s = header_num(v);
    else if (header_value(ptr, n, "x-ratelimit-remaining:", v, sizeof v))
        a->rl_remaining = header_num(v);
    else if (header_value(ptr, n, "x-ratelimit-limit:", v, sizeof v))
        a->rl_limit = header_num(v);
    else if (header_value(ptr, n, "x-ratelimit-period:", v, sizeof v))
        a->rl_period_s = header_num(v);
    else if (header_value(ptr, n, "x-ratelimit-name:", v, sizeof v))
        snprintf(a->rl_name, sizeof a->rl_name, "%s", v);
    return n;
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

static void apply_timeouts(srr_dd_client *c)
{
    for (int i = 0; c->easy && i < c->max_concurrency; i++) {
        if (c->timeout_ms > 0)
            curl_easy_setopt(c->easy[i], CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
        if (c->connect_timeout_ms > 0)
            curl_easy_setopt(c->easy[i], CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
    }
}

void srr_dd_client_set_timeout_ms(srr_dd_client *c, long long ms)
{
    c->timeout_ms = ms > 0 ? ms : 0;
    apply_timeouts(c);
}

void srr_dd_client_set_progress(srr_dd_client *c, int on)
{
    c->progress = on;
}

const srr_dd_stats *srr_dd_client_stats(const srr_dd_client *c)
{
    return &c->stats;
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
    c->timeout_ms = pos_or(cfg ? cfg->timeout_s : 0, 0) * 1000;
    c->connect_timeout_ms = pos_or(cfg ? cfg->connect_timeout_s : 0, 0) * 1000;
    c->log_page_limit = pos_or(cfg ? cfg->log_page_limit : 0, DD_DEFAULT_PAGE_LIMIT);
    if (c->log_page_limit > DD_MAX_PAGE_LIMIT)
        c->log_page_limit = DD_MAX_PAGE_LIMIT;
    c->max_log_pages = pos_or(cfg ? cfg->max_log_pages : 0, DD_DEFAULT_MAX_PAGES);
    c->max_concurrency = (int)pos_or(cfg ? cfg->max_concurrency : 0, 4);
    if (c->max_concurrency > 64)
        c->max_concurrency = 64;
    c->max_attempts = (int)pos_or(cfg ? cfg->max_attempts : 0, DD_DEFAULT_ATTEMPTS);
    c->backoff_ms = DD_DEFAULT_BACKOFF_MS;
    c->retry_max_ms = pos_or(cfg ? cfg->retry_max_time_s : 0, 120) * 1000;
    c->rl_max_wait_ms = pos_or(cfg ? cfg->rate_limit_max_wait_s : 0, 900) * 1000;
    c->time_scale = 1.0;
    const char *ts = getenv("SRR_TEST_TIME_SCALE");
    if (ts && *ts) {
        char *end;
        double v = strtod(ts, &end);
        if (end != ts && v >= 0 && v <= 1)
            c->time_scale = v;
    }
    c->rng = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)c;
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
    c->multi = curl_multi_init();
    if (!c->multi) {
        rc = srr_error_set(err, SRR_EIO, "libcurl: cannot create a multi handle");
        goto fail;
    }
    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->max_concurrency);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->max_concurrency);
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
    c->easy = srr_calloc((size_t)c->max_concurrency, sizeof(CURL *));
    for (int i = 0; i < c->max_concurrency; i++) {
        CURL *h = curl_easy_init();
        if (!h) {
            rc = srr_error_set(err, SRR_EIO, "libcurl: cannot create a handle");
            goto fail;
        }
        c->easy[i] = h;
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "srr/" SRR_VERSION);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* gzip if offered */
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        srr_curl_debug(h); /* curl's trace at --log-level debug, redacted */
    }
    apply_timeouts(c);
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
    for (int i = 0; c->easy && i < c->max_concurrency; i++)
        if (c->easy[i])
            curl_easy_cleanup(c->easy[i]);
    free(c->easy);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    curl_slist_free_all(c->hdr_get);
    curl_slist_free_all(c->hdr_post);
    while (c->counters) {
        dd_counter *k = c->counters;
        c->counters = k->next;
        free(k->check);
        free(k);
    }
    while (c->buckets) {
        dd_bucket *b = c->buckets;
        c->buckets = b->next;
        free(b->name);
        free(b);
    }
    while (c->routes) {
        dd_route *r = c->routes;
        c->routes = r->next;
        free(r->path);
        free(r);
    }
    free(c->base_url);
    free(c->dir);
    free(c);
    *cp = NULL;
}

/* ---- which metric queries v2 serves ------------------------------------- */

static int is_ident(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

/* Skips "{...}" at *p (no nesting); returns 0 when not there. */
static int skip_braces(const char **p)
{
    if (**p != '{')
        return 0;
    const char *e = strchr(*p, '}');
    if (!e)
        return 0;
    *p = e + 1;
    return 1;
}

int srr_dd_query_is_v2(const char *q)
{
    if (!q)
        return 0;
    const char *p = q;
    while (*p == ' ')
        p++;
    const char *s = p;
    while (is_ident(*p))
        p++;
    if (p == s || *p != ':')
        return 0; /* "aggr:" is required */
    p++;
    s = p;
    while (is_ident(*p) || *p == '.')
        p++;
    if (p == s || !skip_braces(&p))
        return 0;
    while (*p == ' ')
        p++;
    if (strncmp(p, "by", 2) == 0 && !is_ident(p[2])) {
        p += 2;
        while (*p == ' ')
            p++;
        if (!skip_braces(&p))
            return 0;
    }
    while (*p == '.') { /* .rollup(sum, 3600), .as_count(), .fill(null) */
        p++;
        s = p;
        while (is_ident(*p))
            p++;
        if (p == s || *p != '(')
            return 0;
        const char *e = strchr(p, ')');
        if (!e || memchr(p + 1, '(', (size_t)(e - p - 1)))
            return 0;
        p = e + 1;
    }
    while (*p == ' ')
        p++;
    return *p == '\0';
}

/* "process.rss" of "avg:process.rss{...} by {host}". Caller frees. */
static char *metric_of(const char *q)
{
    const char *p = strchr(q, ':');
    p = p ? p + 1 : q;
    size_t n = 0;
    while (p[n] && (is_ident(p[n]) || p[n] == '.'))
        n++;
    return srr_strndup(p, n);
}

/* ---- tasks: the metric queries -------------------------------------------- */

typedef struct metrics_item {
    char *check, *query, *metric;
    int64_t from_s, to_s;
    srr_dd_metrics_cb cb;
    void *ud;
} metrics_item;

static void item_free(metrics_item *it)
{
    free(it->check);
    free(it->query);
    free(it->metric);
}

static void item_deliver(metrics_item *it, srr_rc rc, srr_metric_result *res, const srr_error *err)
{
    srr_metric_result empty;
    memset(&empty, 0, sizeof empty);
    if (it->cb)
        it->cb(it->ud, rc, res ? res : &empty, err);
    if (res)
        srr_metric_result_clear(res);
}

/* GET /api/v1/query: one request. */
typedef struct v1_task {
    dd_task base;
    metrics_item it;
    int sent;
} v1_task;

static int v1_next(dd_task *t)
{
    v1_task *v = (v1_task *)t;
    if (v->sent)
        return 0;
    char num[32];
    json_t *params = json_object();
    snprintf(num, sizeof num, "%lld", (long long)v->it.from_s);
    json_object_set_new(params, "from", json_string(num));
    snprintf(num, sizeof num, "%lld", (long long)v->it.to_s);
    json_object_set_new(params, "to", json_string(num));
    json_object_set_new(params, "query", json_string(v->it.query ? v->it.query : ""));
    t->req.method = "GET";
    t->req.path = "/api/v1/query";
    json_decref(t->req.query);
    t->req.query = params;
    v->sent = 1;
    return 1;
}

static srr_rc v1_answer(dd_task *t, const dd_answer *a, srr_error *err)
{
    v1_task *v = (v1_task *)t;
    srr_metric_result res;
    srr_rc rc = srr_dd_parse_metrics(t->key, a->body.data, a->body.len, &res, err);
    if (rc != SRR_OK)
        return rc;
    if (!res.query)
        res.query = srr_strdup(v->it.query);
    if (!res.from_ms)
        res.from_ms = v->it.from_s * 1000;
    if (!res.to_ms)
        res.to_ms = v->it.to_s * 1000;
    item_deliver(&v->it, SRR_OK, &res, NULL);
    v->it.cb = NULL; /* delivered */
    return SRR_OK;
}

static void v1_done(dd_task *t, srr_rc rc, const srr_error *err)
{
    v1_task *v = (v1_task *)t;
    if (v->it.cb)
        item_deliver(&v->it, rc, NULL, err);
    v->it.cb = NULL;
}

static void v1_destroy(dd_task *t)
{
    v1_task *v = (v1_task *)t;
    item_free(&v->it);
    json_decref(t->req.query);
    json_decref(t->req.body);
    free(t->key);
    free(v);
}

static const dd_task_ops V1_OPS = {v1_next, v1_answer, v1_done, v1_destroy};

static dd_task *v1_task_new(metrics_item *it)
{
    v1_task *v = srr_calloc(1, sizeof *v);
    v->base.ops = &V1_OPS;
    v->base.key = srr_strdup(it->check);
    v->it = *it; /* takes the strings */
    return &v->base;
}

/* POST /api/v2/query/timeseries: several queries sharing one window. */
typedef struct v2_task {
    dd_task base;
    metrics_item *items;
    size_t n;
    int sent, delivered;
} v2_task;

static int v2_next(dd_task *t)
{
    v2_task *v = (v2_task *)t;
    if (v->sent)
        return 0;
    json_t *queries = json_array(), *formulas = json_array();
    for (size_t i = 0; i < v->n; i++) {
        char name[32];
        snprintf(name, sizeof name, "q%zu", i);
        json_array_append_new(queries, json_pack("{s:s, s:s, s:s}", "data_source", "metrics",
                                                 "name", name, "query", v->items[i].query));
        json_array_append_new(formulas, json_pack("{s:s}", "formula", name));
    }
    json_t *body = json_pack("{s:{s:s, s:{s:I, s:I, s:o, s:o}}}", "data", "type",
                             "timeseries_request", "attributes", "from",
                             (json_int_t)(v->items[0].from_s * 1000), "to",
                             (json_int_t)(v->items[0].to_s * 1000), "queries", queries,
                             "formulas", formulas);
    t->req.method = "POST";
    t->req.path = "/api/v2/query/timeseries";
    json_decref(t->req.body);
    t->req.body = body;
    v->sent = 1;
    return 1;
}

static srr_rc v2_answer(dd_task *t, const dd_answer *a, srr_error *err)
{
    v2_task *v = (v2_task *)t;
    const char **metrics = srr_calloc(v->n, sizeof(char *));
    srr_metric_result *outs = srr_calloc(v->n, sizeof(srr_metric_result));
    for (size_t i = 0; i < v->n; i++)
        metrics[i] = v->items[i].metric;
    srr_rc rc = dd_parse_v2(t->key, a->body.data, a->body.len, v->n, metrics, outs, err);
    if (rc == SRR_OK) {
        for (size_t i = 0; i < v->n; i++) {
            outs[i].query = srr_strdup(v->items[i].query);
            outs[i].from_ms = v->items[i].from_s * 1000;
            outs[i].to_ms = v->items[i].to_s * 1000;
            item_deliver(&v->items[i], SRR_OK, &outs[i], NULL);
        }
        v->delivered = 1;
    }
    free(outs);
    free(metrics);
    return rc;
}

static dd_task *v2_task_new(const char *key);

static void v2_done(dd_task *t, srr_rc rc, const srr_error *err)
{
    v2_task *v = (v2_task *)t;
    if (v->delivered)
        return;
    v->delivered = 1;
    if (rc == SRR_EINVAL && v->n > 1) {
        /* One bad query must not sink the checks batched with it: ask each
         * on its own (each recorded under its own check). */
        srr_warn("%s; asking the %zu batched queries one by one", err ? err->msg : "", v->n);
        for (size_t i = 0; i < v->n; i++) {
            v2_task *one = (v2_task *)v2_task_new(v->items[i].check);
            one->items = srr_calloc(1, sizeof(metrics_item));
            one->items[0] = v->items[i];
            memset(&v->items[i], 0, sizeof(metrics_item));
            one->n = 1;
            dd_engine_add(t->eng, &one->base);
        }
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        srr_error e2 = {0};
        if (err && v->n > 1)
            srr_error_set(&e2, rc, "%s (batched with %zu other check(s))", err->msg, v->n - 1);
        item_deliver(&v->items[i], rc, NULL, err && v->n > 1 ? &e2 : err);
    }
}

static void v2_destroy(dd_task *t)
{
    v2_task *v = (v2_task *)t;
    for (size_t i = 0; i < v->n; i++)
        item_free(&v->items[i]);
    free(v->items);
    json_decref(t->req.query);
    json_decref(t->req.body);
    free(t->key);
    free(v);
}

static const dd_task_ops V2_OPS = {v2_next, v2_answer, v2_done, v2_destroy};

static dd_task *v2_task_new(const char *key)
{
    v2_task *v = srr_calloc(1, sizeof *v);
    v->base.ops = &V2_OPS;
    v->base.key = srr_strdup(key);
    return &v->base;
}

/* ---- tasks: logs search --------------------------------------------------- */

static const char *str_at(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

typedef struct logs_task {
    dd_task base;
    json_t *body, *page;
    char *cursor;
    long long npages, max_pages;
    size_t count;
    int finished;
    int warn_cap; /* the cap is datadog.max_log_pages (not the caller's own) */
    srr_dd_log_cb cb;
    srr_dd_done_cb done;
    void *ud;
} logs_task;

/* Delivers the events of one parsed page; sets *stop when the callback
 * asks to stop. SRR_EINVAL when `data` is malformed. */
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

static int logs_next(dd_task *t)
{
    logs_task *l = (logs_task *)t;
    if (l->finished)
        return 0;
    if (l->npages >= l->max_pages) {
        if (l->warn_cap)
            srr_warn("check '%s': stopped after %lld pages and %zu log events; the counts of this "
                 "window are partial (narrow the query or raise datadog.max_log_pages)",
                 t->key, l->max_pages, l->count);
        return 0;
    }
    if (l->cursor)
        json_object_set_new(l->page, "cursor", json_string(l->cursor));
    t->req.method = "POST";
    t->req.path = "/api/v2/logs/events/search";
    t->req.body = l->body;
    return 1;
}

static srr_rc logs_answer(dd_task *t, const dd_answer *a, srr_error *err)
{
    logs_task *l = (logs_task *)t;
    json_error_t je;
    srr_rc rc = SRR_OK;
    l->npages++;
    json_t *root = json_loadb(a->body.data ? a->body.data : "", a->body.len, 0, &je);
    if (!root)
        return dd_not_json(t->key, a->status, &je, err);
    const json_t *data = json_object_get(root, "data");
    char *errs = data ? NULL : dd_errors_of(root);
    if (errs) {
        rc = srr_error_set(err, SRR_EINVAL, "check '%s': Datadog answered HTTP %ld with errors: %s",
                           t->key, a->status, errs);
        free(errs);
        goto out;
    }
    if (!json_is_object(root) || (data && !json_is_array(data) && !json_is_null(data))) {
        rc = srr_error_set(err, SRR_EINVAL,
                           "check '%s': logs search answer is not {\"data\": [...]}", t->key);
        goto out;
    }
    int stop = 0;
    rc = deliver_page(t->key, data, l->cb, l->ud, &l->count, &stop, err);
    if (rc != SRR_OK || stop) {
        l->finished = 1;
        goto out;
    }
    const json_t *meta = json_object_get(root, "meta");
    const char *st = str_at(meta, "status");
    if (st && strcmp(st, "timeout") == 0)
        srr_warn("check '%s': Datadog reports a logs search timeout; results may be partial",
                 t->key);
    const char *after = str_at(json_object_get(meta, "page"), "after");
    free(l->cursor);
    l->cursor = (after && *after) ? srr_strdup(after) : NULL;
    if (!l->cursor || json_array_size(data) == 0)
        l->finished = 1;
out:
    json_decref(root); /* the page is freed before the next is fetched */
    return rc;
}

static void logs_done(dd_task *t, srr_rc rc, const srr_error *err)
{
    logs_task *l = (logs_task *)t;
    if (l->done)
        l->done(l->ud, rc, l->count, err);
}

static void logs_destroy(dd_task *t)
{
    logs_task *l = (logs_task *)t;
    json_decref(l->body);
    json_decref(l->page);
    free(l->cursor);
    free(t->key);
    free(l);
}

static const dd_task_ops LOGS_OPS = {logs_next, logs_answer, logs_done, logs_destroy};

static json_t *logs_filter(const char *query, int64_t from_s, int64_t to_s)
{
    char num[32];
    json_t *filter = json_object();
    json_object_set_new(filter, "query", json_string(query ? query : "*"));
    snprintf(num, sizeof(num), "%lld", (long long)from_s * 1000);
    json_object_set_new(filter, "from", json_string(num));
    snprintf(num, sizeof(num), "%lld", (long long)to_s * 1000);
    json_object_set_new(filter, "to", json_string(num));
    return filter;
}

static dd_task *logs_task_new(srr_dd_client *c, const char *check, const char *query,
                              int64_t from_s, int64_t to_s, long page_limit, long max_pages,
                              int newest_first, srr_dd_log_cb cb, srr_dd_done_cb done, void *ud)
{
    logs_task *l = srr_calloc(1, sizeof *l);
    l->base.ops = &LOGS_OPS;
    l->base.key = srr_strdup(check);
    l->body = json_object();
    l->page = json_object();
    json_object_set_new(l->body, "filter", logs_filter(query, from_s, to_s));
    long lim = page_limit > 0 ? page_limit : (long)c->log_page_limit;
    json_object_set_new(l->page, "limit", json_integer(lim > DD_MAX_PAGE_LIMIT ? DD_MAX_PAGE_LIMIT
                                                                               : lim));
    json_object_set(l->body, "page", l->page);
    json_object_set_new(l->body, "sort", json_string(newest_first ? "-timestamp" : "timestamp"));
    l->max_pages = max_pages > 0 ? max_pages : c->max_log_pages;
    l->warn_cap = max_pages <= 0;
    l->cb = cb;
    l->done = done;
    l->ud = ud;
    return &l->base;
}

/* ---- tasks: logs aggregate -------------------------------------------------- */

typedef struct agg_task {
    dd_task base;
    json_t *body, *page;
    char *cursor;
    char **facets;
    size_t nfacets, nbuckets;
    long long npages;
    int finished;
    srr_dd_bucket_cb cb;
    srr_dd_done_cb done;
    void *ud;
} agg_task;

static int agg_next(dd_task *t)
{
    agg_task *g = (agg_task *)t;
    if (g->finished)
        return 0;
    if (g->cursor)
        json_object_set_new(g->page, "cursor", json_string(g->cursor));
    t->req.method = "POST";
    t->req.path = "/api/v2/logs/analytics/aggregate";
    t->req.body = g->body;
    return 1;
}

static void scalar_text(const json_t *v, char *out, size_t n)
{
    if (json_is_string(v))
        snprintf(out, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, n, "%.15g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(out, n, "%s", json_is_true(v) ? "true" : "false");
    else
        snprintf(out, n, "n/a");
}

static srr_rc agg_answer(dd_task *t, const dd_answer *a, srr_error *err)
{
    agg_task *g = (agg_task *)t;
    json_error_t je;
    srr_rc rc = SRR_OK;
    g->npages++;
    json_t *root = json_loadb(a->body.data ? a->body.data : "", a->body.len, 0, &je);
    if (!root)
        return dd_not_json(t->key, a->status, &je, err);
    const json_t *data = json_object_get(root, "data");
    const json_t *buckets = json_object_get(data, "buckets");
    if (!json_is_object(root) || !json_is_array(buckets)) {
        char *errs = dd_errors_of(root);
        rc = srr_error_set(err, SRR_EINVAL, "check '%s': logs aggregate answer %s%s", t->key,
                           errs ? "has errors: " : "is not {\"data\": {\"buckets\": [...]}}",
                           errs ? errs : "");
        free(errs);
        goto out;
    }
    char(*vals)[256] = srr_calloc(g->nfacets ? g->nfacets : 1, sizeof *vals);
    const char **ptrs = srr_calloc(g->nfacets ? g->nfacets : 1, sizeof(char *));
    size_t i;
    const json_t *b;
    json_array_foreach(buckets, i, b)
    {
        const json_t *by = json_object_get(b, "by");
        const json_t *cnt = json_object_get(json_object_get(b, "computes"), "c0");
        double count = json_is_number(cnt) ? json_number_value(cnt)
                       : json_is_string(cnt) ? strtod(json_string_value(cnt), NULL)
                                             : 0;
        for (size_t k = 0; k < g->nfacets; k++) {
            scalar_text(json_object_get(by, g->facets[k]), vals[k], sizeof vals[k]);
            ptrs[k] = vals[k];
        }
        g->nbuckets++;
        if (g->cb && g->cb(g->ud, ptrs, g->nfacets, count) != 0) {
            g->finished = 1;
            break;
        }
    }
    free(ptrs);
    free(vals);
    const char *after = str_at(json_object_get(json_object_get(root, "meta"), "page"), "after");
    free(g->cursor);
    g->cursor = (after && *after) ? srr_strdup(after) : NULL;
    if (!g->cursor || json_array_size(buckets) == 0 || g->npages >= 100)
        g->finished = 1;
out:
    json_decref(root);
    return rc;
}

static void agg_done(dd_task *t, srr_rc rc, const srr_error *err)
{
    agg_task *g = (agg_task *)t;
    if (g->done)
        g->done(g->ud, rc, g->nbuckets, err);
}

static void agg_destroy(dd_task *t)
{
    agg_task *g = (agg_task *)t;
    json_decref(g->body);
    json_decref(g->page);
    free(g->cursor);
    for (size_t i = 0; i < g->nfacets; i++)
        free(g->facets[i]);
    free(g->facets);
    free(t->key);
    free(g);
}

static const dd_task_ops AGG_OPS = {agg_next, agg_answer, agg_done, agg_destroy};

/* ---- the run API ------------------------------------------------------------ */

struct srr_dd_run {
    srr_dd_client *c;
    dd_engine *eng;
    int going;
    v2_task **open; /* v2 batches not started yet */
    size_t nopen, capopen;
};

srr_dd_run *srr_dd_run_create(srr_dd_client *c)
{
    srr_dd_run *r = srr_calloc(1, sizeof *r);
    r->c = c;
    r->eng = dd_engine_create(c);
    return r;
}

void srr_dd_run_destroy(srr_dd_run **rp)
{
    if (!rp || !*rp)
        return;
    dd_engine_destroy(&(*rp)->eng);
    free((*rp)->open);
    free(*rp);
    *rp = NULL;
}

void srr_dd_run_metrics(srr_dd_run *r, const char *check, const char *query, int64_t from_s,
                        int64_t to_s, srr_dd_metrics_cb cb, void *ud)
{
    srr_error err = {0};
    metrics_item it = {srr_strdup(check), srr_strdup(query ? query : ""), NULL, from_s, to_s,
                       cb, ud};
    if (dd_check_name_ok(check, &err) != SRR_OK) {
        item_deliver(&it, SRR_EINVAL, NULL, &err);
        item_free(&it);
        return;
    }
    if (!srr_dd_query_is_v2(it.query)) {
        dd_engine_add(r->eng, v1_task_new(&it));
        return;
    }
    it.metric = metric_of(it.query);
    v2_task *v = NULL;
    for (size_t i = 0; !r->going && i < r->nopen && !v; i++) {
        v2_task *o = r->open[i];
        if (o->n < SRR_DD_V2_MAX_QUERIES && o->items[0].from_s == from_s &&
            o->items[0].to_s == to_s)
            v = o;
    }
    if (!v) {
        v = (v2_task *)v2_task_new(check);
        v->items = srr_calloc(SRR_DD_V2_MAX_QUERIES, sizeof(metrics_item));
        dd_engine_add(r->eng, &v->base);
        if (!r->going) {
            if (r->nopen == r->capopen) {
                r->capopen = r->capopen ? r->capopen * 2 : 8;
                r->open = srr_realloc(r->open, r->capopen * sizeof(*r->open));
            }
            r->open[r->nopen++] = v;
        }
    }
    v->items[v->n++] = it;
}

void srr_dd_run_logs(srr_dd_run *r, const char *check, const char *query, int64_t from_s,
                     int64_t to_s, long page_limit, long max_pages, int newest_first,
                     srr_dd_log_cb ev_cb, srr_dd_done_cb done, void *ud)
{
    srr_error err = {0};
    if (dd_check_name_ok(check, &err) != SRR_OK) {
        if (done)
            done(ud, SRR_EINVAL, 0, &err);
        return;
    }
    dd_engine_add(r->eng, logs_task_new(r->c, check, query, from_s, to_s, page_limit, max_pages,
                                        newest_first, ev_cb, done, ud));
}

void srr_dd_run_aggregate(srr_dd_run *r, const char *check, const char *query,
                          const char *const *group_by, size_t ngroup_by, int64_t from_s,
                          int64_t to_s, srr_dd_bucket_cb cb, srr_dd_done_cb done, void *ud)
{
    srr_error err = {0};
    if (dd_check_name_ok(check, &err) != SRR_OK) {
        if (done)
            done(ud, SRR_EINVAL, 0, &err);
        return;
    }
    agg_task *g = srr_calloc(1, sizeof *g);
    g->base.ops = &AGG_OPS;
    g->base.key = srr_strdup(check);
    g->cb = cb;
    g->done = done;
    g->ud = ud;
    g->body = json_object();
    g->page = json_object();
    json_object_set_new(g->body, "compute",
                        json_pack("[{s:s, s:s}]", "aggregation", "count", "type", "total"));
    json_object_set_new(g->body, "filter", logs_filter(query, from_s, to_s));
    /* At most 10000 buckets: the product of the facets' limits. */
    long limit = 10000;
    if (ngroup_by > 1) {
        limit = 1;
        while (1) {
            long p = 1;
            for (size_t i = 0; i < ngroup_by && p <= 10000; i++)
                p *= limit + 1;
            if (p > 10000)
                break;
            limit++;
        }
    }
    if (ngroup_by) {
        json_t *gb = json_array();
        g->facets = srr_calloc(ngroup_by, sizeof(char *));
        for (size_t i = 0; i < ngroup_by; i++) {
            g->facets[i] = srr_strdup(group_by[i]);
            json_array_append_new(gb, json_pack("{s:s, s:I, s:s}", "facet", group_by[i], "limit",
                                                (json_int_t)limit, "missing", "n/a"));
        }
        g->nfacets = ngroup_by;
        json_object_set_new(g->body, "group_by", gb);
    }
    json_object_set(g->body, "page", g->page);
    dd_engine_add(r->eng, &g->base);
}

srr_rc srr_dd_run_go(srr_dd_run *r, srr_error *err)
{
    r->going = 1;
    r->nopen = 0;
    return dd_engine_run(r->eng, err);
}

/* ---- one-shot wrappers -------------------------------------------------------- */

typedef struct one_metric {
    srr_rc rc;
    srr_error err;
    srr_metric_result *out;
} one_metric;

static void one_metric_cb(void *ud, srr_rc rc, srr_metric_result *res, const srr_error *err)
{
    one_metric *o = ud;
    o->rc = rc;
    if (rc == SRR_OK) {
        *o->out = *res;
        memset(res, 0, sizeof *res);
    } else if (err) {
        o->err = *err;
    }
}

srr_rc srr_dd_query_metrics(srr_dd_client *c, const char *check, const char *query, int64_t from_s,
                            int64_t to_s, srr_metric_result *out, srr_error *err)
{
    one_metric o = {SRR_ERR, {0}, out};
    memset(out, 0, sizeof(*out));
    srr_rc rc = dd_check_name_ok(check, err);
    if (rc != SRR_OK)
        return rc;
    srr_error_set(&o.err, SRR_ERR, "check '%s': no answer", check);
    metrics_item it = {srr_strdup(check), srr_strdup(query ? query : ""), NULL, from_s, to_s,
                       one_metric_cb, &o};
    dd_engine *e = dd_engine_create(c);
    dd_engine_add(e, v1_task_new(&it));
    rc = dd_engine_run(e, err);
    dd_engine_destroy(&e);
    if (rc == SRR_OK && o.rc != SRR_OK && err)
        *err = o.err;
    return rc == SRR_OK ? o.rc : rc;
}

typedef struct one_logs {
    srr_rc rc;
    size_t n;
    srr_error err;
    srr_dd_log_cb cb;
    void *ud;
} one_logs;

static int one_logs_ev(void *ud, const srr_log_event *ev)
{
    one_logs *o = ud;
    return o->cb ? o->cb(o->ud, ev) : 0;
}

static void one_logs_done(void *ud, srr_rc rc, size_t n, const srr_error *err)
{
    one_logs *o = ud;
    o->rc = rc;
    o->n = n;
    if (rc != SRR_OK && err)
        o->err = *err;
}

srr_rc srr_dd_search_logs(srr_dd_client *c, const char *check, const char *query, int64_t from_s,
                          int64_t to_s, srr_dd_log_cb cb, void *ud, size_t *nevents, srr_error *err)
{
    one_logs o = {SRR_ERR, 0, {0}, cb, ud};
    if (nevents)
        *nevents = 0;
    srr_rc rc = dd_check_name_ok(check, err);
    if (rc != SRR_OK)
        return rc;
    dd_engine *e = dd_engine_create(c);
    dd_engine_add(e, logs_task_new(c, check, query, from_s, to_s, 0, 0, 0, one_logs_ev,
                                   one_logs_done, &o));
    rc = dd_engine_run(e, err);
    dd_engine_destroy(&e);
    if (nevents)
        *nevents = o.n;
    if (rc == SRR_OK && o.rc != SRR_OK && err)
        *err = o.err;
    return rc == SRR_OK ? o.rc : rc;
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
