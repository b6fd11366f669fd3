/* SPDX-License-Identifier: Apache-2.0
 *
 * signal.c - names of sources/kinds/statuses, ownership helpers for query
 * results and signals, and the signal's JSON form (as carried inside a
 * candidate on the queue).
 */
#include "signal.h"

#include "jsonw.h"

#include <stdlib.h>
#include <string.h>

void srr_series_clear(srr_series *s)
{
    size_t i;
    if (!s)
        return;
    free(s->metric);
    free(s->expression);
    free(s->scope);
    for (i = 0; i < s->ntags; i++)
        free(s->tags[i]);
    free(s->tags);
    free(s->unit);
    free(s->unit_name);
    free(s->unit_family);
    free(s->per_unit);
    free(s->points);
    memset(s, 0, sizeof(*s));
}

void srr_metric_result_clear(srr_metric_result *r)
{
    size_t i;
    if (!r)
        return;
    for (i = 0; i < r->nseries; i++)
        srr_series_clear(&r->series[i]);
    free(r->series);
    free(r->query);
    memset(r, 0, sizeof(*r));
}

static const char *const source_names[SRR_SRC__COUNT] = {"datadog.metrics", "datadog.logs",
                                                         "datadog.webhook"};
static const char *const kind_names[SRR_KIND__COUNT] = {
    "threshold", "trend", "spike", "count", "new_pattern", "monitor_alert"};

const char *srr_source_name(srr_source s)
{
    return (unsigned)s < SRR_SRC__COUNT ? source_names[s] : "unknown";
}

const char *srr_kind_name(srr_kind k)
{
    return (unsigned)k < SRR_KIND__COUNT ? kind_names[k] : "unknown";
}

const char *srr_status_name(srr_status s)
{
    return s == SRR_STATUS_RECOVERED ? "recovered" : "firing";
}

srr_rc srr_source_parse(const char *s, srr_source *out)
{
    int i;
    if (!s)
        return SRR_EINVAL;
    for (i = 0; i < SRR_SRC__COUNT; i++) {
        if (strcmp(s, source_names[i]) == 0 || strcmp(s, source_names[i] + 8) == 0) {
            *out = (srr_source)i;
            return SRR_OK;
        }
    }
    return SRR_EINVAL;
}

srr_rc srr_kind_parse(const char *s, srr_kind *out)
{
    int i;
    if (!s)
        return SRR_EINVAL;
    for (i = 0; i < SRR_KIND__COUNT; i++) {
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (srr_kind)i;
            return SRR_OK;
        }
    }
    return SRR_EINVAL;
}

srr_rc srr_status_parse(const char *s, srr_status *out)
{
    if (s && strcmp(s, "firing") == 0)
        *out = SRR_STATUS_FIRING;
    else if (s && strcmp(s, "recovered") == 0)
        *out = SRR_STATUS_RECOVERED;
    else
        return SRR_EINVAL;
    return SRR_OK;
}

void srr_signal_clear(srr_signal *s)
{
    size_t i;
    if (!s)
        return;
    free(s->check);
    free(s->service);
    free(s->env);
    for (i = 0; i < s->ntags; i++)
        free(s->tags[i]);
    free(s->tags);
    free(s->condition);
    free(s->summary);
    free(s->unit);
    free(s->link);
    free(s->priority);
    json_decref(s->evidence);
    free(s->evidence_json);
    memset(s, 0, sizeof(*s));
}

void srr_signal_copy(srr_signal *dst, const srr_signal *src)
{
    size_t i;
    *dst = *src;
    dst->check = srr_strdup(src->check);
    dst->service = srr_strdup(src->service);
    dst->env = srr_strdup(src->env);
    dst->tags = src->ntags ? srr_malloc(src->ntags * sizeof(char *)) : NULL;
    for (i = 0; i < src->ntags; i++)
        dst->tags[i] = srr_strdup(src->tags[i]);
    dst->condition = srr_strdup(src->condition);
    dst->summary = srr_strdup(src->summary);
    dst->unit = srr_strdup(src->unit);
    dst->link = srr_strdup(src->link);
    dst->priority = srr_strdup(src->priority);
    dst->evidence = src->evidence ? json_deep_copy(src->evidence) : NULL;
    dst->evidence_json = srr_strdup(src->evidence_json);
}

void srr_signal_add_tag(srr_signal *s, const char *tag)
{
    size_t i, pos;
    if (!tag || s->ntags >= SRR_SIGNAL_MAX_TAGS)
        return;
    for (pos = 0; pos < s->ntags; pos++) {
        int c = strcmp(s->tags[pos], tag);
        if (c == 0)
            return;
        if (c > 0)
            break;
    }
    s->tags = srr_realloc(s->tags, (s->ntags + 1) * sizeof(char *));
    for (i = s->ntags; i > pos; i--)
        s->tags[i] = s->tags[i - 1];
    s->tags[pos] = srr_strdup(tag);
    s->ntags++;
}

const char *srr_signal_tag(const srr_signal *s, const char *key)
{
    size_t i, kl = strlen(key);
    for (i = 0; i < s->ntags; i++)
        if (strncmp(s->tags[i], key, kl) == 0 && s->tags[i][kl] == ':')
            return s->tags[i] + kl + 1;
    return NULL;
}

json_t *srr_signal_to_json(const srr_signal *s)
{
    /* One field list: the tree is read back from srr_signal_write_json. */
    srr_buf b;
    json_t *o = NULL;
    srr_buf_init(&b, 0);
    if (srr_signal_write_json(&b, s) == SRR_OK)
        o = json_loadb(b.data, b.len, 0, NULL);
    srr_buf_free(&b);
    return o;
}

/* Appends ,"k":"v" when v is set. */
static srr_rc w_str(srr_buf *b, const char *k, const char *v)
{
    srr_rc rc = SRR_OK;
    if (!v)
        return SRR_OK;
    rc = SRR_JSONW_LIT(b, ",");
    if (rc == SRR_OK)
        rc = srr_jsonw_key(b, k);
    return rc == SRR_OK ? srr_jsonw_str(b, v) : rc;
}

static srr_rc w_int(srr_buf *b, const char *k, int64_t v)
{
    srr_rc rc = SRR_JSONW_LIT(b, ",");
    if (rc == SRR_OK)
        rc = srr_jsonw_key(b, k);
    return rc == SRR_OK ? srr_jsonw_int(b, v) : rc;
}

srr_rc srr_signal_write_json(srr_buf *b, const srr_signal *s)
{
    srr_rc rc = SRR_JSONW_LIT(b, "{\"source\":");
    size_t i;
    if (rc == SRR_OK)
        rc = srr_jsonw_str(b, srr_source_name(s->source));
    if (rc == SRR_OK)
        rc = w_str(b, "check", s->check);
    if (rc == SRR_OK)
        rc = w_str(b, "kind", srr_kind_name(s->kind));
    if (rc == SRR_OK)
        rc = w_str(b, "status", srr_status_name(s->status));
    if (rc == SRR_OK)
        rc = w_str(b, "service", s->service);
    if (rc == SRR_OK)
        rc = w_str(b, "env", s->env);
    if (rc == SRR_OK)
        rc = SRR_JSONW_LIT(b, ",\"tags\":[");
    for (i = 0; rc == SRR_OK && i < s->ntags; i++) {
        if (i)
            rc = SRR_JSONW_LIT(b, ",");
        if (rc == SRR_OK)
            rc = srr_jsonw_str(b, s->tags[i]);
    }
    if (rc == SRR_OK)
        rc = SRR_JSONW_LIT(b, "],\"value\":");
    if (rc == SRR_OK)
        rc = srr_jsonw_real(b, s->value);
    if (rc == SRR_OK)
        rc = w_str(b, "unit", s->unit);
    if (rc == SRR_OK)
        rc = w_str(b, "condition", s->condition);
    if (rc == SRR_OK)
        rc = w_str(b, "summary", s->summary);
    if (rc == SRR_OK)
        rc = w_int(b, "window_start", s->window_start);
    if (rc == SRR_OK)
        rc = w_int(b, "window_end", s->window_end);
    if (rc == SRR_OK)
        rc = w_int(b, "observed_at", s->observed_at);
    if (rc == SRR_OK)
        rc = w_str(b, "link", s->link);
    if (rc == SRR_OK)
        rc = w_str(b, "priority", s->priority);
    if (rc == SRR_OK && (s->evidence || s->evidence_json)) {
        rc = SRR_JSONW_LIT(b, ",\"evidence\":");
        if (rc == SRR_OK && s->evidence_json)
            rc = srr_buf_append(b, s->evidence_json, strlen(s->evidence_json));
        else if (rc == SRR_OK)
            rc = srr_jsonw_value(b, s->evidence);
    }
    return rc == SRR_OK ? SRR_JSONW_LIT(b, "}") : rc;
}

/* Reads an optional string member; a present non-string is an error. */
static srr_rc opt_str(const json_t *j, const char *key, char **out, srr_error *err)
{
    json_t *v = json_object_get(j, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return SRR_OK;
    if (!json_is_string(v))
        return srr_error_set(err, SRR_EINVAL, "signal field '%s' must be a string", key);
    *out = srr_strdup(json_string_value(v));
    return SRR_OK;
}

static srr_rc opt_int(const json_t *j, const char *key, int64_t *out, srr_error *err)
{
    json_t *v = json_object_get(j, key);
    *out = 0;
    if (!v || json_is_null(v))
        return SRR_OK;
    if (!json_is_number(v))
        return srr_error_set(err, SRR_EINVAL, "signal field '%s' must be a number", key);
    *out = json_is_integer(v) ? (int64_t)json_integer_value(v) : (int64_t)json_real_value(v);
    return SRR_OK;
}

srr_rc srr_signal_from_json(const json_t *j, srr_signal *out, srr_error *err)
{
    json_t *v, *tags;
    size_t i;
    srr_rc rc;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j))
        return srr_error_set(err, SRR_EINVAL, "signal must be a JSON object");
    v = json_object_get(j, "source");
    if (!json_is_string(v) || srr_source_parse(json_string_value(v), &out->source) != SRR_OK)
        return srr_error_set(err, SRR_EINVAL, "signal field 'source' missing or unknown");
    v = json_object_get(j, "kind");
    if (!json_is_string(v) || srr_kind_parse(json_string_value(v), &out->kind) != SRR_OK)
        return srr_error_set(err, SRR_EINVAL, "signal field 'kind' missing or unknown");
    v = json_object_get(j, "status");
    if (v && (!json_is_string(v) || srr_status_parse(json_string_value(v), &out->status) != SRR_OK))
        return srr_error_set(err, SRR_EINVAL, "signal field 'status' must be firing or recovered");
    if ((rc = opt_str(j, "check", &out->check, err)) != SRR_OK ||
        (rc = opt_str(j, "service", &out->service, err)) != SRR_OK ||
        (rc = opt_str(j, "env", &out->env, err)) != SRR_OK ||
        (rc = opt_str(j, "unit", &out->unit, err)) != SRR_OK ||
        (rc = opt_str(j, "condition", &out->condition, err)) != SRR_OK ||
        (rc = opt_str(j, "summary", &out->summary, err)) != SRR_OK ||
        (rc = opt_str(j, "link", &out->link, err)) != SRR_OK ||
        (rc = opt_str(j, "priority", &out->priority, err)) != SRR_OK ||
        (rc = opt_int(j, "window_start", &out->window_start, err)) != SRR_OK ||
        (rc = opt_int(j, "window_end", &out->window_end, err)) != SRR_OK ||
        (rc = opt_int(j, "observed_at", &out->observed_at, err)) != SRR_OK)
        goto fail;
    if (!out->check) {
        rc = srr_error_set(err, SRR_EINVAL, "signal field 'check' is missing");
        goto fail;
    }
    v = json_object_get(j, "value");
    if (v && !json_is_number(v) && !json_is_null(v)) {
        rc = srr_error_set(err, SRR_EINVAL, "signal field 'value' must be a number");
        goto fail;
    }
    out->value = v && json_is_number(v) ? json_number_value(v) : 0.0;
    tags = json_object_get(j, "tags");
    if (tags && !json_is_array(tags)) {
        rc = srr_error_set(err, SRR_EINVAL, "signal field 'tags' must be an array");
        goto fail;
    }
    for (i = 0; tags && i < json_array_size(tags); i++) {
        json_t *t = json_array_get(tags, i);
        if (!json_is_string(t)) {
            rc = srr_error_set(err, SRR_EINVAL, "signal tags must be strings");
            goto fail;
        }
        srr_signal_add_tag(out, json_string_value(t));
    }
    v = json_object_get(j, "evidence");
    if (v && !json_is_null(v))
        out->evidence = json_deep_copy(v);
    return SRR_OK;
fail:
    srr_signal_clear(out);
    return rc;
}
