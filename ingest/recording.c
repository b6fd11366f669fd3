/* SPDX-License-Identifier: Apache-2.0
 *
 * recording.c - record and replay of Datadog answers, so a sweep can be run
 * again with no network and no keys (demos, `srr policy test`, tests).
 *
 * Layout (see datadog.h): DIR/sweep.json, and per check
 * DIR/<check>/<NNN>.request.json + DIR/<check>/<NNN>.response.json, where NNN
 * counts that check's requests from 001 in the order they were made. Every
 * answer is recorded, whatever its status, so a replay walks through the
 * same retries and errors the live run saw.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dd_internal.h"

#define DD_MAX_RECORDED_REQUEST (1024 * 1024)

unsigned dd_counter_next(srr_dd_client *c, const char *check)
{
    for (dd_counter *k = c->counters; k; k = k->next) {
        if (strcmp(k->check, check) == 0)
            return ++k->n;
    }
    dd_counter *k = srr_calloc(1, sizeof(*k));
    k->check = srr_strdup(check);
    k->n = 1;
    k->next = c->counters;
    c->counters = k;
    return 1;
}

srr_rc dd_record(srr_dd_client *c, const dd_request *req, const dd_answer *a, srr_error *err)
{
    srr_rc rc;
    unsigned n = dd_counter_next(c, req->check);
    char *cdir = srr_asprintf("%s/%s", c->dir, req->check);
    char *resp_path = srr_asprintf("%s/%03u.response.json", cdir, n);
    char *req_path = srr_asprintf("%s/%03u.request.json", cdir, n);
    char *req_text = NULL;
    json_t *doc = json_object();

    rc = srr_mkdirs(cdir, err);
    if (rc != SRR_OK)
        goto out;
    rc = srr_file_write_atomic(resp_path, a->body.data ? a->body.data : "", a->body.len, err);
    if (rc != SRR_OK)
        goto out;
    json_object_set_new(doc, "method", json_string(req->method));
    json_object_set_new(doc, "path", json_string(req->path));
    if (req->query)
        json_object_set(doc, "query", req->query);
    if (req->body)
        json_object_set(doc, "body", req->body);
    json_object_set_new(doc, "status", json_integer(a->status));
    req_text = json_dumps(doc, JSON_INDENT(2));
    if (!req_text) {
        rc = srr_error_set(err, SRR_ERR, "cannot serialise %s", req_path);
        goto out;
    }
    size_t tl = strlen(req_text);
    char *with_nl = srr_asprintf("%s\n", req_text);
    rc = srr_file_write_atomic(req_path, with_nl, tl + 1, err);
    free(with_nl);
out:
    if (rc != SRR_OK)
        srr_error_prefix(err, "recording check '%s'", req->check);
    free(req_text);
    json_decref(doc);
    free(req_path);
    free(resp_path);
    free(cdir);
    return rc;
}

/* SRR_EINVAL naming `path` when it does not exist. */
static srr_rc need_file(const char *path, const char *check, srr_error *err)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        return SRR_OK;
    return srr_error_set(err, SRR_EINVAL,
                         "replay: %s is missing: the recording has no answer for request of "
                         "check '%s' (was it recorded with the same checks and windows?)",
                         path, check);
}

/* Bodies match when equal but for "page" (its limit may differ with the
 * replaying config; the cursor follows from the recorded answers). */
static int same_body(const json_t *a, const json_t *b)
{
    json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
    json_object_del(x, "page");
    json_object_del(y, "page");
    int eq = json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return eq;
}

srr_rc dd_replay(srr_dd_client *c, const dd_request *req, dd_answer *a, srr_error *err)
{
    srr_rc rc;
    unsigned n = dd_counter_next(c, req->check);
    char *req_path = srr_asprintf("%s/%s/%03u.request.json", c->dir, req->check, n);
    char *resp_path = srr_asprintf("%s/%s/%03u.response.json", c->dir, req->check, n);
    char *text = NULL, *body = NULL;
    size_t len = 0, blen = 0;
    json_t *doc = NULL;
    json_error_t je;

    rc = need_file(req_path, req->check, err);
    if (rc != SRR_OK)
        goto out;
    rc = need_file(resp_path, req->check, err);
    if (rc != SRR_OK)
        goto out;
    rc = srr_file_read(req_path, DD_MAX_RECORDED_REQUEST, &text, &len, err);
    if (rc != SRR_OK)
        goto out;
    doc = json_loadb(text, len, 0, &je);
    if (!json_is_object(doc)) {
        rc = srr_error_set(err, SRR_EINVAL, "replay: %s:%d:%d: not a recorded request (%s)",
                           req_path, je.line, je.column, doc ? "not an object" : je.text);
        goto out;
    }
    const char *method = json_string_value(json_object_get(doc, "method"));
    const char *path = json_string_value(json_object_get(doc, "path"));
    const json_t *status = json_object_get(doc, "status");
    if (!method || !path || !json_is_integer(status)) {
        rc = srr_error_set(err, SRR_EINVAL,
                           "replay: %s: a recorded request needs \"method\", \"path\" and an "
                           "integer \"status\"",
                           req_path);
        goto out;
    }
    if (strcmp(method, req->method) != 0 || strcmp(path, req->path) != 0) {
        rc = srr_error_set(err, SRR_EINVAL,
                           "replay: %s recorded %s %s but check '%s' now asks %s %s; the "
                           "recording does not match this configuration",
                           req_path, method, path, req->check, req->method, req->path);
        goto out;
    }
    /* Byte-for-byte replay: the request must be the one recorded (same
     * queries, window, page cursor), not merely the same endpoint. */
    const json_t *rq = json_object_get(doc, "query"), *rb = json_object_get(doc, "body");
    if ((req->query && !(rq && json_equal(rq, req->query))) ||
        (req->body && !(rb && same_body(rb, req->body)))) {
        char *now = json_dumps(req->body ? req->body : req->query, JSON_COMPACT);
        rc = srr_error_set(err, SRR_EINVAL,
                           "replay: %s recorded another request than check '%s' now makes "
                           "(%s %s %.300s); the recording does not match this configuration",
                           req_path, req->check, req->method, req->path, now ? now : "");
        free(now);
        goto out;
    }
    a->status = (long)json_integer_value(status);
    size_t max = a->body.max;
    struct stat st;
    if (stat(resp_path, &st) != 0) {
        rc = need_file(resp_path, req->check, err);
        goto out;
    }
    if (max && (size_t)st.st_size > max) {
        rc = srr_error_set(err, SRR_EIO,
                           "check '%s': recorded answer %s is larger than "
                           "datadog.max_response_bytes (%zu bytes)",
                           req->check, resp_path, max);
        goto out;
    }
    rc = srr_file_read(resp_path, (size_t)st.st_size + 1, &body, &blen, err);
    if (rc != SRR_OK)
        goto out;
    srr_buf_free(&a->body);
    srr_buf_init(&a->body, max);
    rc = srr_buf_append(&a->body, body, blen);
out:
    json_decref(doc);
    free(body);
    free(text);
    free(resp_path);
    free(req_path);
    return rc;
}

srr_rc srr_dd_recording_write_meta(const char *dir, int64_t window_end, srr_error *err)
{
    char iso[32];
    srr_time_iso(srr_now(), iso);
    srr_rc rc = srr_mkdirs(dir, err);
    if (rc != SRR_OK)
        return rc;
    char *path = srr_asprintf("%s/sweep.json", dir);
    char *text = srr_asprintf("{\"window_end\": %lld, \"recorded_at\": \"%s\"}\n",
                              (long long)window_end, iso);
    rc = srr_file_write_atomic(path, text, strlen(text), err);
    free(text);
    free(path);
    return rc;
}

srr_rc srr_dd_recording_write_plan(const char *dir, int64_t window_end, const json_t *plan,
                                   srr_error *err)
{
    char iso[32];
    srr_time_iso(srr_now(), iso);
    srr_rc rc = srr_mkdirs(dir, err);
    if (rc != SRR_OK)
        return rc;
    json_t *doc = json_pack("{s:I, s:s, s:O}", "window_end", (json_int_t)window_end,
                            "recorded_at", iso, "plan", plan);
    char *text = json_dumps(doc, JSON_INDENT(2));
    char *path = srr_asprintf("%s/sweep.json", dir);
    char *nl = srr_asprintf("%s\n", text ? text : "{}");
    rc = srr_file_write_atomic(path, nl, strlen(nl), err);
    free(nl);
    free(path);
    free(text);
    json_decref(doc);
    return rc;
}

json_t *srr_dd_recording_read_plan(const char *dir)
{
    char *path = srr_asprintf("%s/sweep.json", dir);
    json_t *doc = json_load_file(path, 0, NULL);
    free(path);
    json_t *plan = json_incref(json_object_get(doc, "plan"));
    json_decref(doc);
    if (plan && !json_is_array(plan)) {
        json_decref(plan);
        return NULL;
    }
    return plan;
}

srr_rc srr_dd_recording_read_meta(const char *dir, int64_t *window_end, srr_error *err)
{
    char *path = srr_asprintf("%s/sweep.json", dir);
    char *text = NULL;
    size_t len = 0;
    json_t *doc = NULL;
    json_error_t je;
    srr_rc rc;

    if (access(path, F_OK) != 0) {
        rc = srr_error_set(err, SRR_ENOTFOUND,
                           "replay: %s is missing (%s): not a recording directory?", path,
                           strerror(errno));
        goto out;
    }
    rc = srr_file_read(path, 64 * 1024, &text, &len, err);
    if (rc != SRR_OK)
        goto out;
    doc = json_loadb(text, len, 0, &je);
    if (!doc) {
        rc = srr_error_at(err, SRR_EINVAL, path, je.line, je.column, "%s", je.text);
        goto out;
    }
    const json_t *we = json_object_get(doc, "window_end");
    if (!json_is_integer(we)) {
        rc = srr_error_set(err, SRR_EINVAL, "%s: \"window_end\" (epoch seconds) is missing", path);
        goto out;
    }
    *window_end = (int64_t)json_integer_value(we);
out:
    json_decref(doc);
    free(text);
    free(path);
    return rc;
}
