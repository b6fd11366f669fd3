/* SPDX-License-Identifier: Apache-2.0
 *
 * dd_metrics.c - the tasks that ask Datadog for metric series (see the
 * engine's task contract in dd_internal.h):
 *
 *   - v1: GET /api/v1/query, one query, one request;
 *   - v2: POST /api/v2/query/timeseries, a batch of up to
 *     SRR_DD_V2_MAX_QUERIES plain queries sharing one window, one request.
 *
 * One bad member must not sink the checks batched with it. A batch is asked
 * again member by member (each recorded under its own check) when Datadog
 * refuses it (a 4xx, a body that is not the expected JSON, a soft error),
 * when it answers 5xx (the batch itself is not retried: its members are,
 * each with the full retries), and when its answer carries Datadog's
 * per-query `errors` beside series (only a member asked alone can tell whose
 * query failed). A member asked alone whose answer still carries `errors`
 * is delivered as SRR_EPARTIAL: what came back, and what did not.
 *
 * Also which queries v2 serves (srr_dd_query_is_v2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_internal.h"
#include "log.h"

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

char *dd_metric_of(const char *q)
{
    const char *p = strchr(q, ':');
    p = p ? p + 1 : q;
    size_t n = 0;
    while (p[n] && (is_ident(p[n]) || p[n] == '.'))
        n++;
    return srr_strndup(p, n);
}

/* ---- items ---------------------------------------------------------------- */

void dd_metrics_item_free(dd_metrics_item *it)
{
    free(it->check);
    free(it->query);
    free(it->metric);
}

void dd_metrics_item_deliver(dd_metrics_item *it, srr_rc rc, srr_metric_result *res,
                             const srr_error *err)
{
    srr_metric_result empty;
    memset(&empty, 0, sizeof empty);
    srr_dd_metrics_cb cb = it->cb;
    it->cb = NULL; /* delivered: exactly once */
    if (cb)
        cb(it->ud, rc, res ? res : &empty, err);
    if (res)
        srr_metric_result_clear(res);
}

/* ---- v1: GET /api/v1/query ------------------------------------------------- */

typedef struct v1_task {
    dd_task base;
    dd_metrics_item it;
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
    dd_metrics_item_deliver(&v->it, SRR_OK, &res, NULL);
    return SRR_OK;
}

static void v1_done(dd_task *t, srr_rc rc, const srr_error *err)
{
    v1_task *v = (v1_task *)t;
    dd_metrics_item_deliver(&v->it, rc, NULL, err); /* a no-op once delivered */
}

static void v1_destroy(dd_task *t)
{
    v1_task *v = (v1_task *)t;
    dd_metrics_item_free(&v->it);
    json_decref(t->req.query);
    json_decref(t->req.body);
    free(t->key);
    free(v);
}

static const dd_task_ops V1_OPS = {v1_next, v1_answer, v1_done, v1_destroy};

dd_task *dd_v1_task_new(dd_metrics_item *it)
{
    v1_task *v = srr_calloc(1, sizeof *v);
    v->base.ops = &V1_OPS;
    v->base.key = srr_strdup(it->check);
    v->it = *it; /* takes the strings */
    memset(it, 0, sizeof *it);
    return &v->base;
}

/* ---- v2: POST /api/v2/query/timeseries -------------------------------------- */

typedef struct v2_task {
    dd_task base;
    dd_metrics_item items[SRR_DD_V2_MAX_QUERIES];
    size_t n;
    int sent;
    int settled; /* every item delivered, or handed to tasks of its own */
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
    json_t *body =
        json_pack("{s:{s:s, s:{s:I, s:I, s:o, s:o}}}", "data", "type", "timeseries_request",
                  "attributes", "from", (json_int_t)(v->items[0].from_s * 1000), "to",
                  (json_int_t)(v->items[0].to_s * 1000), "queries", queries, "formulas", formulas);
    t->req.method = "POST";
    t->req.path = "/api/v2/query/timeseries";
    json_decref(t->req.body);
    t->req.body = body;
    t->split_on_5xx = v->n > 1;
    v->sent = 1;
    return 1;
}

/* Hands every member to a task of its own (each recorded under its own
 * check, each with the full retries). */
static void v2_split(v2_task *v, const char *why)
{
    srr_warn("%s; asking the %zu batched queries one by one", why, v->n);
    for (size_t i = 0; i < v->n; i++) {
        dd_task *one = dd_v2_batch_new(v->items[i].check);
        dd_v2_batch_add(one, &v->items[i]);
        dd_engine_add(v->base.eng, one);
    }
    v->n = 0;
    v->settled = 1;
}

static srr_rc v2_answer(dd_task *t, const dd_answer *a, srr_error *err)
{
    v2_task *v = (v2_task *)t;
    const char *metrics[SRR_DD_V2_MAX_QUERIES];
    srr_metric_result outs[SRR_DD_V2_MAX_QUERIES];
    char *errors = NULL;
    for (size_t i = 0; i < v->n; i++)
        metrics[i] = v->items[i].metric;
    srr_rc rc = dd_parse_v2(t->key, a->body.data, a->body.len, v->n, metrics, outs, &errors, err);
    if (rc != SRR_OK)
        return rc;
    if (errors && v->n > 1) {
        /* Which query failed is not said: ask each alone. */
        char why[1100];
        snprintf(why, sizeof why, "check '%s': Datadog answered the batch with errors: %s", t->key,
                 errors);
        for (size_t i = 0; i < v->n; i++)
            srr_metric_result_clear(&outs[i]);
        v2_split(v, why);
        free(errors);
        return SRR_OK;
    }
    srr_error perr = {0};
    if (errors)
        srr_error_set(&perr, SRR_EPARTIAL,
                      "check '%s': Datadog answered with series and errors (some of the query "
                      "failed): %s",
                      v->items[0].check, errors);
    for (size_t i = 0; i < v->n; i++) {
        outs[i].query = srr_strdup(v->items[i].query);
        outs[i].from_ms = v->items[i].from_s * 1000;
        outs[i].to_ms = v->items[i].to_s * 1000;
        dd_metrics_item_deliver(&v->items[i], errors ? SRR_EPARTIAL : SRR_OK, &outs[i],
                                errors ? &perr : NULL);
    }
    v->settled = 1;
    free(errors);
    return SRR_OK;
}

static void v2_done(dd_task *t, srr_rc rc, const srr_error *err)
{
    v2_task *v = (v2_task *)t;
    if (v->settled)
        return;
    v->settled = 1;
    if (v->n > 1 && (rc == SRR_EINVAL || (rc == SRR_RETRY && t->last_status >= 500))) {
        v2_split(v, err ? err->msg : "the batch failed");
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        srr_error e2 = {0};
        if (err && v->n > 1)
            srr_error_set(&e2, rc, "%s (batched with %zu other check(s))", err->msg, v->n - 1);
        dd_metrics_item_deliver(&v->items[i], rc, NULL, err && v->n > 1 ? &e2 : err);
    }
}

static void v2_destroy(dd_task *t)
{
    v2_task *v = (v2_task *)t;
    for (size_t i = 0; i < v->n; i++)
        dd_metrics_item_free(&v->items[i]);
    json_decref(t->req.query);
    json_decref(t->req.body);
    free(t->key);
    free(v);
}

static const dd_task_ops V2_OPS = {v2_next, v2_answer, v2_done, v2_destroy};

dd_task *dd_v2_batch_new(const char *key)
{
    v2_task *v = srr_calloc(1, sizeof *v);
    v->base.ops = &V2_OPS;
    v->base.key = srr_strdup(key);
    return &v->base;
}

int dd_v2_batch_add(dd_task *batch, dd_metrics_item *it)
{
    v2_task *v = (v2_task *)batch;
    if (v->sent || v->n >= SRR_DD_V2_MAX_QUERIES)
        return 0;
    if (v->n && (v->items[0].from_s != it->from_s || v->items[0].to_s != it->to_s))
        return 0;
    v->items[v->n++] = *it; /* takes the strings */
    memset(it, 0, sizeof *it);
    return 1;
}
