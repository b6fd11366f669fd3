/* SPDX-License-Identifier: Apache-2.0
 *
 * datadog.c - the Datadog API client: the client itself (a curl multi handle
 * and max_concurrency reusable easy handles, the transport callbacks), the
 * run API that batches metric checks sharing a window, and the one-shot
 * wrappers srr_dd_query_metrics / srr_dd_search_logs. The tasks that speak
 * each endpoint live in dd_metrics.c (v1 query, v2 timeseries batch) and
 * dd_logs.c (logs search with cursor paging, logs aggregate); the links a
 * person clicks in dd_links.c.
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

/* The client's limits from the config (cfg may be NULL: the defaults),
 * each bounded, and the test clock's scale (SRR_TEST_TIME_SCALE). */
static void apply_limits(srr_dd_client *c, const srr_dd_config *cfg)
{
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
}

/* The live client's libcurl side: the multi handle, the header lists that
 * carry the keys (and only they do), and max_concurrency easy handles with
 * srr's defaults. Returns SRR_EIO when libcurl cannot provide them; the
 * caller destroys c either way. */
static srr_rc open_curl(srr_dd_client *c, const srr_dd_config *cfg, srr_error *err)
{
    char *hdr;
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return srr_error_set(err, SRR_EIO, "libcurl initialisation failed: %s",
                             curl_easy_strerror(curl_init_rc));
    c->multi = curl_multi_init();
    if (!c->multi)
        return srr_error_set(err, SRR_EIO, "libcurl: cannot create a multi handle");
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
    }
    c->hdr_post = curl_slist_append(c->hdr_post, "Content-Type: application/json");
    /* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
    c->hdr_post = curl_slist_append(c->hdr_post, "Expect:");
    if (!c->hdr_get || !c->hdr_post)
        return srr_error_set(err, SRR_EIO, "libcurl: cannot build request headers");
    c->easy = srr_calloc((size_t)c->max_concurrency, sizeof(CURL *));
    for (int i = 0; i < c->max_concurrency; i++) {
        CURL *h = curl_easy_init();
        if (!h)
            return srr_error_set(err, SRR_EIO, "libcurl: cannot create a handle");
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
    return SRR_OK;
}

srr_rc srr_dd_client_create(const srr_dd_config *cfg, const char *base_url, srr_dd_mode mode,
                            const char *dir, srr_dd_client **out, srr_error *err)
{
    srr_rc rc;
    srr_dd_client *c = NULL;
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
    c->site = srr_strdup(cfg && cfg->site && *cfg->site ? cfg->site : NULL);
    c->api_url_set = cfg && cfg->api_url && *cfg->api_url;
    apply_limits(c, cfg);
    c->rng = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)c;
    if (mode == SRR_DD_REPLAY) {
        *out = c;
        return SRR_OK;
    }

    c->base_url = srr_strdup(base_url);
    size_t bl = strlen(c->base_url);
    while (bl > 0 && c->base_url[bl - 1] == '/')
        c->base_url[--bl] = '\0';
    if ((rc = open_curl(c, cfg, err)) != SRR_OK) {
        srr_dd_client_destroy(&c);
        return rc;
    }
    *out = c;
    return SRR_OK;
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
        free(r->family);
        free(r);
    }
    free(c->base_url);
    free(c->site);
    free(c->dir);
    free(c);
    *cp = NULL;
}

/* ---- the run API ------------------------------------------------------------ */

struct srr_dd_run {
    srr_dd_client *c;
    dd_engine *eng;
    int going;
    dd_task **open; /* v2 batches not started yet */
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
    dd_metrics_item it = {srr_strdup(check), srr_strdup(query ? query : ""), NULL, from_s, to_s,
                          cb, ud};
    if (dd_check_name_ok(check, &err) != SRR_OK) {
        dd_metrics_item_deliver(&it, SRR_EINVAL, NULL, &err);
        dd_metrics_item_free(&it);
        return;
    }
    if (!srr_dd_query_is_v2(it.query)) {
        dd_engine_add(r->eng, dd_v1_task_new(&it));
        return;
    }
    it.metric = dd_metric_of(it.query);
    for (size_t i = 0; !r->going && i < r->nopen; i++)
        if (dd_v2_batch_add(r->open[i], &it))
            return;
    dd_task *v = dd_v2_batch_new(check);
    dd_v2_batch_add(v, &it);
    dd_engine_add(r->eng, v);
    if (!r->going) {
        if (r->nopen == r->capopen) {
            r->capopen = r->capopen ? r->capopen * 2 : 8;
            r->open = srr_realloc(r->open, r->capopen * sizeof(*r->open));
        }
        r->open[r->nopen++] = v;
    }
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
    dd_engine_add(r->eng, dd_logs_task_new(r->c, check, query, from_s, to_s, page_limit,
                                           max_pages, newest_first, ev_cb, done, ud));
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
    dd_engine_add(r->eng, dd_agg_task_new(check, query, group_by, ngroup_by, from_s, to_s, 0, cb,
                                          NULL, done, ud));
}

void srr_dd_run_aggregate_series(srr_dd_run *r, const char *check, const char *query,
                                 const char *const *group_by, size_t ngroup_by, int64_t from_s,
                                 int64_t to_s, int64_t interval_s, srr_dd_series_cb cb,
                                 srr_dd_done_cb done, void *ud)
{
    srr_error err = {0};
    if (dd_check_name_ok(check, &err) != SRR_OK ||
        (interval_s <= 0 &&
         srr_error_set(&err, SRR_EINVAL, "check '%s': a timeseries aggregate needs an interval",
                       check) != SRR_OK)) {
        if (done)
            done(ud, SRR_EINVAL, 0, &err);
        return;
    }
    dd_engine_add(r->eng, dd_agg_task_new(check, query, group_by, ngroup_by, from_s, to_s,
                                          interval_s, NULL, cb, done, ud));
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
    dd_metrics_item it = {srr_strdup(check), srr_strdup(query ? query : ""), NULL, from_s, to_s,
                          one_metric_cb, &o};
    dd_engine *e = dd_engine_create(c);
    dd_engine_add(e, dd_v1_task_new(&it));
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
    dd_engine_add(e, dd_logs_task_new(c, check, query, from_s, to_s, 0, 0, 0, one_logs_ev,
                                      one_logs_done, &o));
    rc = dd_engine_run(e, err);
    dd_engine_destroy(&e);
    if (nevents)
        *nevents = o.n;
    if (rc == SRR_OK && o.rc != SRR_OK && err)
        *err = o.err;
    return rc == SRR_OK ? o.rc : rc;
}
