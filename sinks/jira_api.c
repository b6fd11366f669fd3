/* SPDX-License-Identifier: Apache-2.0
 *
 * jira_api.c - the Jira Cloud calls of jira_api.h and the ADF builders.
 * One function sends a request with basic auth, feeds Retry-After or
 * X-RateLimit-Reset into the client's gate and turns Jira's error
 * collection ({"errorMessages":[...],"errors":{field:message}}) into an
 * srr code and text.
 */
#include "jira_api.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JIRA_MAX_PAGES 50

struct srr_jira {
    char *base;
    char *auth; /* "Authorization: Basic ..." */
    srr_http_opts http;
    srr_http_gate gate;
};

srr_rc srr_jira_create(const srr_jira_opts *o, srr_jira **out, srr_error *err)
{
    srr_jira *j;
    char *pair, *b64;
    size_t n;
    *out = NULL;
    if (!o->url || !*o->url || !o->user || !*o->user || !o->token || !*o->token)
        return srr_error_set(err, SRR_EINVAL, "jira: url, user and token are all needed");
    j = srr_calloc(1, sizeof(*j));
    j->base = srr_strdup(o->url);
    n = strlen(j->base);
    while (n > 0 && j->base[n - 1] == '/')
        j->base[--n] = '\0';
    pair = srr_asprintf("%s:%s", o->user, o->token);
    b64 = srr_http_base64(pair, strlen(pair));
    j->auth = srr_asprintf("Authorization: Basic %s", b64);
    free(b64);
    free(pair);
    j->http = o->http;
    srr_http_gate_init(&j->gate, o->min_interval_ms, 1000, 5 * 60000);
    *out = j;
    return SRR_OK;
}

void srr_jira_destroy(srr_jira **jp)
{
    if (!jp || !*jp)
        return;
    free((*jp)->base);
    free((*jp)->auth);
    free(*jp);
    *jp = NULL;
}

int64_t srr_jira_retry_at_ms(const srr_jira *j)
{
    return srr_http_gate_ready_at(&j->gate, srr_http_now_ms());
}

void srr_jira_issue_clear(srr_jira_issue *is)
{
    if (!is)
        return;
    free(is->id);
    free(is->key);
    free(is->browse_url);
    free(is->summary);
    free(is->status);
    free(is->status_category);
    memset(is, 0, sizeof(*is));
}

/* "2026-11-28T12:00:00.000+0900" (Jira) or "...Z" → epoch seconds; 0 when bad. */
static int64_t jira_time(const char *s)
{
    struct tm tm;
    int y, mo, d, h, mi, sec, n = 0;
    const char *p;
    int64_t t;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
        return 0;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    t = (int64_t)timegm(&tm);
    p = s + n;
    if (*p == '.')
        while (*++p >= '0' && *p <= '9') {
        }
    if ((*p == '+' || *p == '-') && strlen(p) >= 5) {
        int oh = (p[1] - '0') * 10 + (p[2] - '0');
        int om = p[3] == ':' ? (p[4] - '0') * 10 + (p[5] - '0') : (p[3] - '0') * 10 + (p[4] - '0');
        int64_t off = (int64_t)(oh * 3600 + om * 60);
        t += *p == '+' ? -off : off;
    }
    return t;
}

static srr_rc error_of(const srr_http_resp *r, const char *what, srr_error *err)
{
    json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL), *v;
    srr_buf b;
    const char *k;
    size_t i;
    srr_rc rc = srr_http_status_rc(r->status);
    srr_buf_init(&b, 700);
    json_array_foreach(json_object_get(j, "errorMessages"), i, v) srr_buf_printf(
        &b, "%s%s", b.len ? "; " : "", json_string_value(v) ? json_string_value(v) : "");
    json_object_foreach(json_object_get(j, "errors"), k, v) srr_buf_printf(
        &b, "%s%s: %s", b.len ? "; " : "", k, json_string_value(v) ? json_string_value(v) : "");
    if (!b.len && !j && r->body.len) /* Jira answers some auth failures in plain text */
        srr_buf_printf(&b, "%.200s", r->body.data);
    rc = srr_error_set(err, rc, "jira %s: HTTP %ld %s", what, r->status, b.data ? b.data : "");
    srr_buf_free(&b);
    json_decref(j);
    return rc;
}

/* One request to base + path; on success *ans holds the JSON answer (NULL
 * for 204). */
static srr_rc call(srr_jira *j, const char *what, const char *method, const char *path,
                   const json_t *body, json_t **ans, srr_error *err)
{
    const char *hdrs[] = {j->auth, "Accept: application/json",
                          "Content-Type: application/json; charset=utf-8", NULL};
    char *url = srr_asprintf("%s%s", j->base, path);
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    srr_http_resp r;
    int64_t wait = -1;
    srr_rc rc;
    if (ans)
        *ans = NULL;
    rc = srr_http_gate_enter(&j->gate, j->gate.min_interval_ms, err);
    if (rc != SRR_OK) {
        srr_error_prefix(err, "jira %s", what);
        free(payload);
        free(url);
        return rc;
    }
    rc = srr_http_request(&j->http, method, url, hdrs, payload, payload ? strlen(payload) : 0, &r,
                          err);
    free(payload);
    free(url);
    if (rc != SRR_OK) {
        srr_error_prefix(err, "jira %s", what);
    } else if (r.status >= 200 && r.status < 300) {
        if (ans && r.body.len)
            *ans = json_loadb(r.body.data, r.body.len, 0, NULL);
    } else {
        char reset[64];
        rc = error_of(&r, what, err);
        wait = r.retry_after_ms;
        if (wait < 0 && srr_http_header(&r, "X-RateLimit-Reset", reset, sizeof(reset))) {
            int64_t at = jira_time(reset);
            if (at > 0)
                wait = at * 1000 > srr_http_now_ms() ? at * 1000 - srr_http_now_ms() : 0;
        }
    }
    srr_http_gate_done(&j->gate, rc, wait, srr_http_now_ms());
    srr_http_resp_free(&r);
    return rc;
}

static void issue_from_json(srr_jira *j, const json_t *v, srr_jira_issue *is)
{
    const json_t *f = json_object_get(v, "fields");
    const json_t *st = json_object_get(f, "status");
    memset(is, 0, sizeof(*is));
    is->id = srr_strdup(json_string_value(json_object_get(v, "id")));
    is->key = srr_strdup(json_string_value(json_object_get(v, "key")));
    if (is->key)
        is->browse_url = srr_asprintf("%s/browse/%s", j->base, is->key);
    is->summary = srr_strdup(json_string_value(json_object_get(f, "summary")));
    is->status = srr_strdup(json_string_value(json_object_get(st, "name")));
    is->status_category = srr_strdup(
        json_string_value(json_object_get(json_object_get(st, "statusCategory"), "key")));
    is->updated = jira_time(json_string_value(json_object_get(f, "updated")));
}

srr_rc srr_jira_issue_create(srr_jira *j, const char *project, const char *issue_type,
                             const char *summary, const json_t *description,
                             const char *const *labels, size_t nlabels, srr_jira_issue *out,
                             srr_error *err)
{
    json_t *fields = json_pack("{s:{s:s}, s:{s:s}, s:s}", "project", "key", project, "issuetype",
                               "name", issue_type, "summary", summary ? summary : "");
    json_t *req, *ans = NULL;
    srr_rc rc;
    memset(out, 0, sizeof(*out));
    if (description)
        json_object_set(fields, "description", (json_t *)description);
    if (nlabels) {
        json_t *l = json_array();
        for (size_t i = 0; i < nlabels; i++)
            json_array_append_new(l, json_string(labels[i]));
        json_object_set_new(fields, "labels", l);
    }
    req = json_pack("{s:o}", "fields", fields);
    rc = call(j, "create issue", "POST", "/rest/api/3/issue", req, &ans, err);
    if (rc == SRR_OK) {
        const char *key = json_string_value(json_object_get(ans, "key"));
        out->id = srr_strdup(json_string_value(json_object_get(ans, "id")));
        out->key = srr_strdup(key);
        out->browse_url = key ? srr_asprintf("%s/browse/%s", j->base, key) : NULL;
        out->summary = srr_strdup(summary);
        if (!key)
            rc = srr_error_set(err, SRR_RETRY, "jira create issue: 201 without a key");
    }
    json_decref(ans);
    json_decref(req);
    return rc;
}

srr_rc srr_jira_issue_get(srr_jira *j, const char *key, srr_jira_issue *out, srr_error *err)
{
    char *ek = srr_http_escape(key);
    char *path = srr_asprintf("/rest/api/3/issue/%s?fields=summary,status,updated", ek);
    json_t *ans = NULL;
    srr_rc rc = call(j, "get issue", "GET", path, NULL, &ans, err);
    memset(out, 0, sizeof(*out));
    if (rc == SRR_OK)
        issue_from_json(j, ans, out);
    json_decref(ans);
    free(path);
    free(ek);
    return rc;
}

srr_rc srr_jira_transition_to(srr_jira *j, const char *key, const char *category,
                              const char *prefer, srr_error *err)
{
    char *ek = srr_http_escape(key);
    char *path = srr_asprintf("/rest/api/3/issue/%s/transitions", ek);
    json_t *ans = NULL, *t, *req;
    const char *pick = NULL;
    size_t i;
    srr_rc rc = call(j, "transitions", "GET", path, NULL, &ans, err);
    if (rc != SRR_OK)
        goto out;
    json_array_foreach(json_object_get(ans, "transitions"), i, t)
    {
        const char *id = json_string_value(json_object_get(t, "id"));
        const char *name = json_string_value(json_object_get(t, "name"));
        const char *cat = json_string_value(
            json_object_get(json_object_get(json_object_get(t, "to"), "statusCategory"), "key"));
        if (!id || !cat || strcmp(cat, category) != 0)
            continue;
        if (!pick || (prefer && name && strcmp(name, prefer) == 0))
            pick = id;
    }
    if (!pick) {
        rc = srr_error_set(err, SRR_ECONFLICT,
                           "jira %s: the workflow offers no transition to a '%s' status from here",
                           key, category);
        goto out;
    }
    req = json_pack("{s:{s:s}}", "transition", "id", pick);
    rc = call(j, "transition", "POST", path, req, NULL, err);
    json_decref(req);
out:
    json_decref(ans);
    free(path);
    free(ek);
    return rc;
}

srr_rc srr_jira_search(srr_jira *j, const char *jql, unsigned max_pages, srr_jira_issue_fn fn,
                       void *ud, srr_error *err)
{
    char *token = NULL;
    srr_rc rc = SRR_OK;
    int stop = 0;
    for (unsigned page = 0; !stop && page < (max_pages ? max_pages : JIRA_MAX_PAGES); page++) {
        json_t *req = json_pack("{s:s, s:[s,s,s], s:i}", "jql", jql, "fields", "summary", "status",
                                "updated", "maxResults", 100);
        json_t *ans = NULL, *it;
        const char *next;
        size_t i;
        if (token)
            json_object_set_new(req, "nextPageToken", json_string(token));
        rc = call(j, "search", "POST", "/rest/api/3/search/jql", req, &ans, err);
        json_decref(req);
        free(token);
        token = NULL;
        if (rc != SRR_OK)
            break;
        json_array_foreach(json_object_get(ans, "issues"), i, it)
        {
            srr_jira_issue is;
            issue_from_json(j, it, &is);
            if (!stop)
                stop = fn(ud, &is);
            srr_jira_issue_clear(&is);
        }
        next = json_string_value(json_object_get(ans, "nextPageToken"));
        if (!json_is_true(json_object_get(ans, "isLast")) && next && *next)
            token = srr_strdup(next);
        else
            stop = 1;
        json_decref(ans);
    }
    free(token);
    return rc;
}

/* Appends s as a JQL string literal, quotes and backslashes escaped. */
static void jql_quote(srr_buf *b, const char *s)
{
    srr_buf_append(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            srr_buf_append(b, "\\", 1);
        srr_buf_append(b, s, 1);
    }
    srr_buf_append(b, "\"", 1);
}

char *srr_jira_jql_updated_since(const char *project, const char *label, int64_t since)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    srr_buf_append(&b, "project = ", 10);
    jql_quote(&b, project);
    if (label) {
        srr_buf_append(&b, " AND labels = ", 14);
        jql_quote(&b, label);
    }
    if (since > 0)
        srr_buf_printf(&b, " AND updated >= %lld", (long long)since * 1000);
    srr_buf_append(&b, " ORDER BY updated ASC", 21);
    return srr_buf_steal(&b);
}

static int take_first(void *ud, const srr_jira_issue *is)
{
    srr_jira_issue *out = ud;
    out->id = srr_strdup(is->id);
    out->key = srr_strdup(is->key);
    out->browse_url = srr_strdup(is->browse_url);
    out->summary = srr_strdup(is->summary);
    out->status = srr_strdup(is->status);
    out->status_category = srr_strdup(is->status_category);
    out->updated = is->updated;
    return 1;
}

srr_rc srr_jira_issue_find_label(srr_jira *j, const char *project, const char *label,
                                 srr_jira_issue *out, srr_error *err)
{
    char *jql = srr_jira_jql_updated_since(project, label, 0);
    srr_rc rc;
    memset(out, 0, sizeof(*out));
    rc = srr_jira_search(j, jql, 1, take_first, out, err);
    free(jql);
    if (rc == SRR_OK && !out->key)
        rc = srr_error_set(err, SRR_ENOTFOUND, "jira: no issue in %s has the label %s", project,
                           label);
    return rc;
}

srr_rc srr_jira_last_status_change(srr_jira *j, const char *key, char **who_name,
                                   char **who_account, char **to_status, srr_error *err)
{
    char *ek = srr_http_escape(key);
    long start = 0;
    srr_rc rc = SRR_OK;
    *who_name = *who_account = *to_status = NULL;
    for (unsigned page = 0; page < JIRA_MAX_PAGES; page++) {
        char *path =
            srr_asprintf("/rest/api/3/issue/%s/changelog?startAt=%ld&maxResults=100", ek, start);
        json_t *ans = NULL, *h, *it;
        size_t i, k, n;
        rc = call(j, "changelog", "GET", path, NULL, &ans, err);
        free(path);
        if (rc != SRR_OK)
            break;
        n = json_array_size(json_object_get(ans, "values"));
        json_array_foreach(json_object_get(ans, "values"), i, h)
        {
            json_array_foreach(json_object_get(h, "items"), k, it)
            {
                const char *field = json_string_value(json_object_get(it, "field"));
                if (!field || strcmp(field, "status") != 0)
                    continue;
                free(*who_name);
                free(*who_account);
                free(*to_status);
                *who_name = srr_strdup(json_string_value(
                    json_object_get(json_object_get(h, "author"), "displayName")));
                *who_account = srr_strdup(
                    json_string_value(json_object_get(json_object_get(h, "author"), "accountId")));
                *to_status = srr_strdup(json_string_value(json_object_get(it, "toString")));
            }
        }
        start += (long)n;
        if (json_is_true(json_object_get(ans, "isLast")) || n == 0 ||
            start >= (long)json_integer_value(json_object_get(ans, "total"))) {
            json_decref(ans);
            break;
        }
        json_decref(ans);
    }
    free(ek);
    if (rc == SRR_OK && !*to_status)
        rc = srr_error_set(err, SRR_ENOTFOUND, "jira %s: the status never changed", key);
    return rc;
}

/* ---- Atlassian Document Format ------------------------------------------------ */

json_t *srr_adf_doc(void)
{
    return json_pack("{s:s, s:i, s:[]}", "type", "doc", "version", 1, "content");
}

static void add_block(json_t *doc, json_t *block)
{
    json_array_append_new(json_object_get(doc, "content"), block);
}

void srr_adf_heading(json_t *doc, int level, const char *text)
{
    if (!text || !*text)
        return;
    add_block(doc, json_pack("{s:s, s:{s:i}, s:[{s:s, s:s}]}", "type", "heading", "attrs", "level",
                             level < 1   ? 1
                             : level > 6 ? 6
                                         : level,
                             "content", "type", "text", "text", text));
}

void srr_adf_paragraph(json_t *doc, const char *text)
{
    json_t *content;
    if (!text || !*text)
        return;
    content = json_array();
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n) {
            char *line = srr_strndup(p, n);
            json_array_append_new(content, json_pack("{s:s, s:s}", "type", "text", "text", line));
            free(line);
        }
        if (nl && nl[1])
            json_array_append_new(content, json_pack("{s:s}", "type", "hardBreak"));
        p = nl ? nl + 1 : NULL;
    }
    if (json_array_size(content))
        add_block(doc, json_pack("{s:s, s:o}", "type", "paragraph", "content", content));
    else
        json_decref(content);
}

void srr_adf_link(json_t *doc, const char *label, const char *href)
{
    if (!href || !*href)
        return;
    add_block(doc, json_pack("{s:s, s:[{s:s, s:s, s:[{s:s, s:{s:s}}]}]}", "type", "paragraph",
                             "content", "type", "text", "text", label && *label ? label : href,
                             "marks", "type", "link", "attrs", "href", href));
}
