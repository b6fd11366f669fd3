/* SPDX-License-Identifier: Apache-2.0
 *
 * parse.c - reading what Datadog answers: the v1 metric query body into an
 * srr_metric_result, error bodies (errors[] as strings or JSON:API objects)
 * into one human line, and the HTTP status into an srr_rc.
 *
 * The parsers follow /work/shared/datadog-api.md: timestamps may be integer
 * or float, point values may be null, `unit` may be null or a pair whose
 * entries may be null, unknown keys are ignored, and bodies of 429/5xx
 * answers may be empty or HTML (so the status alone decides).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_internal.h"
#include "log.h"

void dd_answer_init(dd_answer *a, size_t max)
{
    a->status = 0;
    a->ratelimit_reset_s = -1;
    a->rl_limit = a->rl_period_s = a->rl_remaining = -1;
    a->rl_name[0] = '\0';
    srr_buf_init(&a->body, max);
}

void dd_answer_free(dd_answer *a)
{
    srr_buf_free(&a->body);
}

srr_rc dd_not_json(const char *check, long status, const json_error_t *je, srr_error *err)
{
    return srr_error_set(err, SRR_EINVAL,
                         "check '%s': Datadog answered HTTP %ld with a body that is not JSON "
                         "(line %d col %d: %s)",
                         check, status, je->line, je->column, je->text);
}

srr_rc dd_check_name_ok(const char *check, srr_error *err)
{
    if (!check || !*check)
        return srr_error_set(err, SRR_EINVAL, "a check needs a non-empty name");
    if (strchr(check, '/') || strchr(check, '\\') || strstr(check, "..") || check[0] == '.')
        return srr_error_set(err, SRR_EINVAL,
                             "check '%s': a check name names its recording directory, so it "
                             "must not contain '/', '\\' or '..' nor start with '.'",
                             check);
    return SRR_OK;
}

/* Appends one errors[] element to b ("; "-separated). */
static void errors_append(srr_buf *b, const json_t *e)
{
    const char *parts[3] = {NULL, NULL, NULL};
    if (json_is_string(e)) {
        parts[0] = json_string_value(e);
    } else if (json_is_object(e)) {
        parts[0] = json_string_value(json_object_get(e, "title"));
        parts[1] = json_string_value(json_object_get(e, "detail"));
        if (!parts[0] && !parts[1])
            parts[2] = json_string_value(json_object_get(e, "status"));
    } else {
        return;
    }
    int first = 1;
    for (int i = 0; i < 3; i++) {
        if (!parts[i] || !*parts[i])
            continue;
        if (first && b->len)
            (void)srr_buf_append(b, "; ", 2);
        else if (!first)
            (void)srr_buf_append(b, ": ", 2);
        (void)srr_buf_append(b, parts[i], strlen(parts[i]));
        first = 0;
    }
}

char *dd_errors_of(const json_t *root)
{
    char *out = NULL;
    srr_buf b;
    srr_buf_init(&b, 900);
    const json_t *errs = json_object_get(root, "errors");
    if (json_is_array(errs)) {
        size_t i;
        const json_t *e;
        json_array_foreach(errs, i, e) errors_append(&b, e);
    } else if (json_is_string(errs)) { /* v2 timeseries: one string */
        errors_append(&b, errs);
    }
    if (b.len)
        out = srr_buf_steal(&b);
    srr_buf_free(&b);
    return out;
}

char *dd_errors_join(const char *body, size_t len)
{
    if (!body || !len)
        return NULL;
    json_t *root = json_loadb(body, len, 0, NULL);
    if (!root)
        return NULL;
    char *out = dd_errors_of(root);
    json_decref(root);
    return out;
}

srr_rc dd_classify(const char *check, const dd_answer *a, srr_error *err)
{
    long st = a->status;
    if (st >= 200 && st < 300)
        return SRR_OK;
    char *why = NULL;
    srr_rc rc;
    if (st == 429) {
        if (a->ratelimit_reset_s >= 0)
            rc = srr_error_set(err, SRR_RETRY,
                               "check '%s': Datadog rate limit reached (HTTP 429); the limit "
                               "resets in %lld s",
                               check, a->ratelimit_reset_s);
        else
            rc = srr_error_set(err, SRR_RETRY, "check '%s': Datadog rate limit reached (HTTP 429)",
                               check);
        return rc;
    }
    why = dd_errors_join(a->body.data, a->body.len);
    if (st >= 500) {
        rc = srr_error_set(err, SRR_RETRY,
                           "check '%s': Datadog answered HTTP %ld%s%s (server error, retryable)",
                           check, st, why ? ": " : "", why ? why : "");
    } else if (st == 401 || st == 403) {
        rc = srr_error_set(err, SRR_EAUTH,
                           "check '%s': Datadog refused the request with HTTP %ld: %s (check "
                           "DD_API_KEY, DD_APP_KEY, the site, and that the application key "
                           "has timeseries_query / logs_read_data)",
                           check, st, why ? why : "no reason given");
    } else if (st >= 400) {
        rc = srr_error_set(err, SRR_EINVAL, "check '%s': Datadog answered HTTP %ld: %s", check, st,
                           why ? why : "no reason given");
    } else {
        rc = srr_error_set(err, SRR_EIO, "check '%s': unexpected HTTP status %ld from Datadog",
                           check, st);
    }
    free(why);
    return rc;
}

/* Copies a JSON string member, or NULL when absent / not a string. */
static char *dup_str(const json_t *obj, const char *key)
{
    return srr_strdup(json_string_value(json_object_get(obj, key)));
}

/* Name of one unit object: its short name, else its name. */
static const char *unit_short(const json_t *u)
{
    const char *v = json_string_value(json_object_get(u, "short_name"));
    if (!v || !*v)
        v = json_string_value(json_object_get(u, "name"));
    return v && *v ? v : NULL;
}

void dd_parse_unit(const json_t *unit, srr_series *s)
{
    const json_t *u = unit, *per = NULL;
    if (json_is_array(unit)) {
        u = json_array_get(unit, 0);
        per = json_array_get(unit, 1);
    }
    if (json_is_object(u)) {
        const json_t *sf = json_object_get(u, "scale_factor");
        s->unit = srr_strdup(unit_short(u));
        s->unit_name = srr_strdup(json_string_value(json_object_get(u, "name")));
        s->unit_family = srr_strdup(json_string_value(json_object_get(u, "family")));
        s->unit_scale = json_is_number(sf) ? json_number_value(sf) : 0;
    }
    if (json_is_object(per))
        s->per_unit = srr_strdup(unit_short(per));
}

char *dd_logs_meta_partial(const json_t *meta)
{
    srr_buf b;
    srr_buf_init(&b, 900);
    const char *st = json_string_value(json_object_get(meta, "status"));
    if (st && strcmp(st, "timeout") == 0)
        (void)srr_buf_printf(&b, "meta.status is \"timeout\" (Datadog ran out of time)");
    const json_t *w = json_object_get(meta, "warnings");
    size_t i;
    const json_t *e;
    json_array_foreach(w, i, e)
    {
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *title = json_string_value(json_object_get(e, "title"));
        const char *detail = json_string_value(json_object_get(e, "detail"));
        (void)srr_buf_printf(&b, "%swarning %s%s%s%s%s", b.len ? "; " : "",
                             code ? code : "(no code)", title ? ": " : "", title ? title : "",
                             detail ? ": " : "", detail ? detail : "");
    }
    if (!b.len) {
        srr_buf_free(&b);
        return NULL;
    }
    return srr_buf_steal(&b);
}

static srr_rc parse_series(const char *check, size_t idx, const json_t *js, srr_series *s,
                           srr_error *err)
{
    if (!json_is_object(js))
        return srr_error_set(err, SRR_EINVAL, "check '%s': series[%zu] is not an object", check,
                             idx);
    s->metric = dup_str(js, "metric");
    s->expression = dup_str(js, "expression");
    s->scope = dup_str(js, "scope");
    dd_parse_unit(json_object_get(js, "unit"), s);

    const json_t *tags = json_object_get(js, "tag_set");
    if (json_is_array(tags) && json_array_size(tags)) {
        s->tags = srr_calloc(json_array_size(tags), sizeof(char *));
        size_t i;
        const json_t *t;
        json_array_foreach(tags, i, t)
        {
            if (json_is_string(t))
                s->tags[s->ntags++] = srr_strdup(json_string_value(t));
        }
    }

    const json_t *pl = json_object_get(js, "pointlist");
    if (pl && !json_is_null(pl) && !json_is_array(pl))
        return srr_error_set(err, SRR_EINVAL, "check '%s': series[%zu].pointlist is not an array",
                             check, idx);
    if (json_array_size(pl)) {
        s->points = srr_calloc(json_array_size(pl), sizeof(srr_point));
        size_t i;
        const json_t *p;
        json_array_foreach(pl, i, p)
        {
            const json_t *ts = json_array_get(p, 0);
            const json_t *v = json_array_get(p, 1);
            if (!json_is_array(p) || json_array_size(p) < 2 ||
                !(json_is_number(ts) || json_is_null(ts)) ||
                !(json_is_number(v) || json_is_null(v)))
                return srr_error_set(err, SRR_EINVAL,
                                     "check '%s': series[%zu].pointlist[%zu] is not a "
                                     "[timestamp, value] pair of numbers",
                                     check, idx, i);
            if (json_is_null(ts))
                continue; /* a point without a time cannot be placed */
            srr_point *pt = &s->points[s->npoints++];
            pt->ts_ms = json_number_value(ts);
            pt->is_null = json_is_null(v);
            pt->value = pt->is_null ? 0.0 : json_number_value(v);
        }
    }
    return SRR_OK;
}

srr_rc srr_dd_parse_metrics(const char *check, const char *body, size_t len, srr_metric_result *out,
                            srr_error *err)
{
    json_error_t je;
    srr_rc rc = SRR_OK;
    memset(out, 0, sizeof(*out));
    if (!check)
        check = "?";
    json_t *root = json_loadb(body ? body : "", body ? len : 0, 0, &je);
    if (!root)
        return dd_not_json(check, 200, &je, err);
    if (!json_is_object(root)) {
        rc = srr_error_set(err, SRR_EINVAL,
                           "check '%s': Datadog answered HTTP 200 with JSON that is not an object",
                           check);
        goto out;
    }
    const char *status = json_string_value(json_object_get(root, "status"));
    if (status && strcmp(status, "ok") != 0) {
        const char *e = json_string_value(json_object_get(root, "error"));
        rc = srr_error_set(err, SRR_EINVAL,
                           "check '%s': Datadog refused the query (status '%s'): %s", check, status,
                           e && *e ? e : "no error message");
        goto out;
    }
    char *errs = json_object_get(root, "series") ? NULL : dd_errors_of(root);
    if (errs) {
        rc = srr_error_set(err, SRR_EINVAL, "check '%s': Datadog answered HTTP 200 with errors: %s",
                           check, errs);
        free(errs);
        goto out;
    }
    out->query = dup_str(root, "query");
    out->from_ms = (int64_t)json_number_value(json_object_get(root, "from_date"));
    out->to_ms = (int64_t)json_number_value(json_object_get(root, "to_date"));

    const json_t *series = json_object_get(root, "series");
    if (series && !json_is_null(series) && !json_is_array(series)) {
        rc = srr_error_set(err, SRR_EINVAL,
                           "check '%s': 'series' in Datadog's answer is not an array", check);
        goto out;
    }
    size_t n = json_array_size(series);
    if (n) {
        out->series = srr_calloc(n, sizeof(srr_series));
        for (size_t i = 0; i < n; i++) {
            out->nseries = i + 1; /* so a clear frees the partial one */
            rc = parse_series(check, i, json_array_get(series, i), &out->series[i], err);
            if (rc != SRR_OK)
                goto out;
        }
    }
out:
    if (rc != SRR_OK)
        srr_metric_result_clear(out);
    json_decref(root);
    return rc;
}

/* ---- v2 timeseries ---------------------------------------------------------- */

/* Appends a zeroed series to r and returns it. */
static srr_series *result_push(srr_metric_result *r)
{
    r->series = srr_realloc(r->series, (r->nseries + 1) * sizeof(srr_series));
    memset(&r->series[r->nseries], 0, sizeof(srr_series));
    return &r->series[r->nseries++];
}

srr_rc dd_parse_v2(const char *check, const char *body, size_t len, size_t n,
                   const char *const *metrics, srr_metric_result *outs, char **errors,
                   srr_error *err)
{
    json_error_t je;
    srr_rc rc = SRR_OK;
    if (errors)
        *errors = NULL;
    for (size_t i = 0; i < n; i++)
        memset(&outs[i], 0, sizeof outs[i]);
    json_t *root = json_loadb(body ? body : "", body ? len : 0, 0, &je);
    if (!root)
        return dd_not_json(check, 200, &je, err);
    const json_t *at = json_object_get(json_object_get(root, "data"), "attributes");
    const json_t *series = json_object_get(at, "series");
    const json_t *times = json_object_get(at, "times");
    const json_t *values = json_object_get(at, "values");
    char *errs = dd_errors_of(root);
    if (!json_is_object(root) || !json_is_object(at)) {
        rc = srr_error_set(err, SRR_EINVAL, "check '%s': Datadog answered HTTP 200 %s%s", check,
                           errs ? "with errors: " : "without data.attributes (not a timeseries "
                                                    "answer)",
                           errs ? errs : "");
        goto out;
    }
    if (errs && json_array_size(series) == 0) {
        rc = srr_error_set(err, SRR_EINVAL, "check '%s': Datadog answered HTTP 200 with errors: %s",
                           check, errs);
        goto out;
    }
    if ((series && !json_is_array(series) && !json_is_null(series)) ||
        (times && !json_is_array(times) && !json_is_null(times)) ||
        (values && !json_is_array(values) && !json_is_null(values))) {
        rc = srr_error_set(err, SRR_EINVAL,
                           "check '%s': series, times and values of a timeseries answer must be "
                           "arrays",
                           check);
        goto out;
    }
    size_t k;
    const json_t *js;
    json_array_foreach(series, k, js)
    {
        const json_t *qi = json_object_get(js, "query_index");
        size_t idx = json_is_integer(qi) ? (size_t)json_integer_value(qi) : 0;
        if (idx >= n)
            continue;
        srr_series *s = result_push(&outs[idx]);
        s->metric = srr_strdup(metrics ? metrics[idx] : NULL);
        dd_parse_unit(json_object_get(js, "unit"), s);
        const json_t *tags = json_object_get(js, "group_tags");
        if (json_array_size(tags)) {
            s->tags = srr_calloc(json_array_size(tags), sizeof(char *));
            size_t i;
            const json_t *t;
            json_array_foreach(tags, i, t)
            {
                if (json_is_string(t))
                    s->tags[s->ntags++] = srr_strdup(json_string_value(t));
            }
        }
        const json_t *vals = json_array_get(values, k);
        if (vals && !json_is_array(vals)) {
            rc = srr_error_set(err, SRR_EINVAL, "check '%s': values[%zu] is not an array", check,
                               k);
            goto out;
        }
        size_t np = json_array_size(times);
        if (json_array_size(vals) < np)
            np = json_array_size(vals);
        if (np)
            s->points = srr_calloc(np, sizeof(srr_point));
        for (size_t i = 0; i < np; i++) {
            const json_t *ts = json_array_get(times, i);
            const json_t *v = json_array_get(vals, i);
            if (!json_is_number(ts) || !(json_is_number(v) || json_is_null(v))) {
                rc = srr_error_set(err, SRR_EINVAL,
                                   "check '%s': times[%zu] / values[%zu][%zu] is not a number",
                                   check, i, k, i);
                goto out;
            }
            srr_point *pt = &s->points[s->npoints++];
            pt->ts_ms = json_number_value(ts);
            pt->is_null = json_is_null(v);
            pt->value = pt->is_null ? 0.0 : json_number_value(v);
        }
    }
out:
    if (rc == SRR_OK && errs && errors) {
        *errors = errs; /* the caller judges what is missing */
        errs = NULL;
    }
    free(errs);
    if (rc != SRR_OK)
        for (size_t i = 0; i < n; i++)
            srr_metric_result_clear(&outs[i]);
    json_decref(root);
    return rc;
}
