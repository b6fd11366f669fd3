/* SPDX-License-Identifier: Apache-2.0
 *
 * dd_logs.c - the tasks that ask Datadog for logs (see the engine's task
 * contract in dd_internal.h):
 *
 *   - search: POST /api/v2/logs/events/search, cursor paging
 *     (meta.page.after), each page delivered event by event and freed
 *     before the next is asked, so memory stays flat;
 *   - aggregate: POST /api/v2/logs/analytics/aggregate, a count per
 *     group_by bucket (compute type total) or per group and interval
 *     (compute type timeseries, for spikes), bucket pages followed the same
 *     way.
 *
 * Partial answers are told, never swallowed: a page whose meta.status is
 * "timeout" or whose meta.warnings say the results may be partial, and a
 * search stopped by datadog.max_log_pages (or an aggregate by its page
 * bound) with pages left, end the task with SRR_EPARTIAL and the reason,
 * after everything that did arrive was delivered. The caller decides what
 * a partial answer is worth (cmd/collect.c: by default, nothing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_internal.h"

#define DD_AGG_MAX_PAGES 100

static const char *str_at(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Remembers the first reason an answer is partial. */
static void note_partial(srr_error *partial, int *is_partial, const char *check, const char *why)
{
    if (*is_partial)
        return;
    *is_partial = 1;
    srr_error_set(partial, SRR_EPARTIAL, "check '%s': partial answer from Datadog: %s", check, why);
}

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

/* ---- search ------------------------------------------------------------------ */

typedef struct logs_task {
    dd_task base;
    json_t *body, *page;
    char *cursor;
    long long npages, max_pages;
    size_t count;
    int finished;
    int cap_is_config; /* the cap is datadog.max_log_pages (not the caller's own) */
    int is_partial;
    srr_error partial;
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
        if (l->cap_is_config) {
            char why[256];
            snprintf(why, sizeof why,
                     "stopped at datadog.max_log_pages (%lld pages, %zu log events) with more "
                     "pages left (narrow the query or raise datadog.max_log_pages)",
                     l->max_pages, l->count);
            note_partial(&l->partial, &l->is_partial, t->key, why);
        }
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
    char *why = dd_logs_meta_partial(meta);
    if (why) {
        note_partial(&l->partial, &l->is_partial, t->key, why);
        free(why);
    }
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
    if (rc == SRR_OK && l->is_partial) {
        rc = SRR_EPARTIAL;
        err = &l->partial;
    }
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

dd_task *dd_logs_task_new(srr_dd_client *c, const char *check, const char *query, int64_t from_s,
                          int64_t to_s, long page_limit, long max_pages, int newest_first,
                          srr_dd_log_cb cb, srr_dd_done_cb done, void *ud)
{
    logs_task *l = srr_calloc(1, sizeof *l);
    l->base.ops = &LOGS_OPS;
    l->base.key = srr_strdup(check);
    l->body = json_object();
    l->page = json_object();
    json_object_set_new(l->body, "filter", logs_filter(query, from_s, to_s));
    long lim = page_limit > 0 ? page_limit : (long)c->log_page_limit;
    json_object_set_new(l->page, "limit",
                        json_integer(lim > DD_MAX_PAGE_LIMIT ? DD_MAX_PAGE_LIMIT : lim));
    json_object_set(l->body, "page", l->page);
    json_object_set_new(l->body, "sort", json_string(newest_first ? "-timestamp" : "timestamp"));
    l->max_pages = max_pages > 0 ? max_pages : c->max_log_pages;
    l->cap_is_config = max_pages <= 0;
    l->cb = cb;
    l->done = done;
    l->ud = ud;
    return &l->base;
}

/* ---- aggregate ---------------------------------------------------------------- */

typedef struct agg_task {
    dd_task base;
    json_t *body, *page;
    char *cursor;
    char **facets;
    size_t nfacets, nbuckets;
    long long npages;
    int finished;
    int timeseries; /* counts per interval (series_cb), else totals (bucket_cb) */
    int is_partial;
    srr_error partial;
    srr_dd_bucket_cb bucket_cb;
    srr_dd_series_cb series_cb;
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

static double number_of(const json_t *v)
{
    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_string(v))
        return strtod(json_string_value(v), NULL);
    return 0;
}

/* The time of one timeseries point: an ISO string or a number (epoch ms, or
 * seconds when small). Returns 0 when there is none. */
static double point_time_ms(const json_t *v)
{
    int64_t s;
    if (json_is_string(v) && srr_time_parse_iso(json_string_value(v), &s) == SRR_OK)
        return (double)s * 1000.0;
    if (json_is_number(v)) {
        double d = json_number_value(v);
        return d < 1e11 ? d * 1000.0 : d;
    }
    return 0;
}

/* Delivers one bucket's timeseries compute (an array of {time, value}).
 * Returns the callback's verdict. */
static int deliver_series(agg_task *g, const json_t *arr, const char *const *ptrs)
{
    size_t np = json_array_size(arr), k = 0, i;
    srr_point *pts = srr_calloc(np ? np : 1, sizeof *pts);
    const json_t *p;
    json_array_foreach(arr, i, p)
    {
        double t = point_time_ms(json_object_get(p, "time"));
        const json_t *v = json_object_get(p, "value");
        if (t <= 0)
            continue;
        pts[k].ts_ms = t;
        pts[k].is_null = json_is_null(v) || !v;
        pts[k].value = pts[k].is_null ? 0 : number_of(v);
        k++;
    }
    int stop = g->series_cb ? g->series_cb(g->ud, ptrs, g->nfacets, pts, k) : 0;
    free(pts);
    return stop;
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
        for (size_t k = 0; k < g->nfacets; k++) {
            scalar_text(json_object_get(by, g->facets[k]), vals[k], sizeof vals[k]);
            ptrs[k] = vals[k];
        }
        g->nbuckets++;
        int stop = g->timeseries
                       ? deliver_series(g, json_is_array(cnt) ? cnt : NULL, ptrs)
                       : (g->bucket_cb && g->bucket_cb(g->ud, ptrs, g->nfacets, number_of(cnt)));
        if (stop) {
            g->finished = 1;
            break;
        }
    }
    free(ptrs);
    free(vals);
    const json_t *meta = json_object_get(root, "meta");
    char *why = dd_logs_meta_partial(meta);
    if (why) {
        note_partial(&g->partial, &g->is_partial, t->key, why);
        free(why);
    }
    const char *after = str_at(json_object_get(meta, "page"), "after");
    free(g->cursor);
    g->cursor = (after && *after) ? srr_strdup(after) : NULL;
    if (g->cursor && json_array_size(buckets) > 0 && g->npages >= DD_AGG_MAX_PAGES &&
        !g->finished) {
        char cap[128];
        snprintf(cap, sizeof cap,
                 "stopped after %d pages of buckets with more left (narrow the query or "
                 "group_by)",
                 DD_AGG_MAX_PAGES);
        note_partial(&g->partial, &g->is_partial, t->key, cap);
    }
    if (!g->cursor || json_array_size(buckets) == 0 || g->npages >= DD_AGG_MAX_PAGES)
        g->finished = 1;
out:
    json_decref(root);
    return rc;
}

static void agg_done(dd_task *t, srr_rc rc, const srr_error *err)
{
    agg_task *g = (agg_task *)t;
    if (rc == SRR_OK && g->is_partial) {
        rc = SRR_EPARTIAL;
        err = &g->partial;
    }
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

/* "1h", "15m", "90s": an interval as the aggregate API takes it. */
static void interval_text(int64_t s, char *out, size_t n)
{
    if (s % 86400 == 0)
        snprintf(out, n, "%lldd", (long long)(s / 86400));
    else if (s % 3600 == 0)
        snprintf(out, n, "%lldh", (long long)(s / 3600));
    else if (s % 60 == 0)
        snprintf(out, n, "%lldm", (long long)(s / 60));
    else
        snprintf(out, n, "%llds", (long long)s);
}

dd_task *dd_agg_task_new(const char *check, const char *query, const char *const *group_by,
                         size_t ngroup_by, int64_t from_s, int64_t to_s, int64_t interval_s,
                         srr_dd_bucket_cb bucket_cb, srr_dd_series_cb series_cb,
                         srr_dd_done_cb done, void *ud)
{
    agg_task *g = srr_calloc(1, sizeof *g);
    g->base.ops = &AGG_OPS;
    g->base.key = srr_strdup(check);
    g->bucket_cb = bucket_cb;
    g->series_cb = series_cb;
    g->done = done;
    g->ud = ud;
    g->timeseries = interval_s > 0;
    g->body = json_object();
    g->page = json_object();
    if (g->timeseries) {
        char iv[32];
        interval_text(interval_s, iv, sizeof iv);
        json_object_set_new(g->body, "compute",
                            json_pack("[{s:s, s:s, s:s}]", "aggregation", "count", "type",
                                      "timeseries", "interval", iv));
    } else {
        json_object_set_new(g->body, "compute",
                            json_pack("[{s:s, s:s}]", "aggregation", "count", "type", "total"));
    }
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
    return &g->base;
}
