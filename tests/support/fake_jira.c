/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_jira.c - the fake Jira Cloud of fake_jira.h. State under one mutex:
 * the issues with their ADF descriptions and changelogs, the burst window.
 * JQL is parsed for the few clauses srr sends and refused otherwise, so a
 * client that drifts from them fails loudly.
 */
#include "fake_jira.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "srr.h"
#include "testutil.h"

static const struct {
    const char *name, *cat, *id;
} STATUSES[3] = {
    {"To Do", "new", "11"}, {"In Progress", "indeterminate", "21"}, {"Done", "done", "31"}};

typedef struct jr_issue {
    char *key, *id, *summary, *type;
    json_t *description;
    char **labels;
    size_t nlabels;
    int status;
    long long updated_ms;
    json_t *changelog; /* array of histories */
} jr_issue;

struct fake_jira {
    fake_http *http;
    pthread_mutex_t mu;
    char auth[256];
    jr_issue *issues;
    size_t n;
    unsigned rate_n, rate_used;
    long rate_window_ms;
    int rate_retry_s;
    long long rate_index, last_ms;
};

static long long now_ms(fake_jira *fj)
{
    struct timespec ts;
    long long t;
    clock_gettime(CLOCK_REALTIME, &ts);
    t = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (t <= fj->last_ms)
        t = fj->last_ms + 1; /* strictly increasing: "updated" orders changes */
    fj->last_ms = t;
    return t;
}

static json_t *jtime(long long ms)
{
    char buf[48], iso[32];
    srr_time_iso(ms / 1000, iso);
    iso[19] = '\0'; /* drop the Z */
    snprintf(buf, sizeof(buf), "%s.%03lld+0000", iso, ms % 1000);
    return json_string(buf);
}

static void reply(fake_http_resp *resp, int status, json_t *j)
{
    fake_http_reply_json(resp, status, "application/json;charset=UTF-8", j);
}

static void err_msg(fake_http_resp *resp, int status, const char *msg)
{
    reply(resp, status, json_pack("{s:[s], s:{}}", "errorMessages", msg, "errors"));
}

static void err_field(fake_http_resp *resp, const char *field, const char *msg)
{
    reply(resp, 400, json_pack("{s:[], s:{s:s}}", "errorMessages", "errors", field, msg));
}

static jr_issue *find(fake_jira *fj, const char *key)
{
    for (size_t i = 0; i < fj->n; i++)
        if (strcmp(fj->issues[i].key, key) == 0 || strcmp(fj->issues[i].id, key) == 0)
            return &fj->issues[i];
    return NULL;
}

static json_t *issue_json(fake_jira *fj, const jr_issue *is)
{
    json_t *labels = json_array();
    char *self = srr_asprintf("%s/rest/api/3/issue/%s", fake_http_url(fj->http), is->id);
    json_t *j;
    for (size_t i = 0; i < is->nlabels; i++)
        json_array_append_new(labels, json_string(is->labels[i]));
    j = json_pack("{s:s, s:s, s:s, s:{s:s, s:{s:s, s:{s:s, s:s}}, s:o, s:o, s:{s:s}}}", "id",
                  is->id, "key", is->key, "self", self, "fields", "summary", is->summary, "status",
                  "name", STATUSES[is->status].name, "statusCategory", "key",
                  STATUSES[is->status].cat, "name", STATUSES[is->status].name, "updated",
                  jtime(is->updated_ms), "labels", labels, "issuetype", "name", is->type);
    free(self);
    return j;
}

/* ---- ADF ----------------------------------------------------------------------- */

static int adf_node_ok(const json_t *n, int depth)
{
    const char *type = json_string_value(json_object_get(n, "type"));
    const json_t *content = json_object_get(n, "content"), *c, *m;
    size_t i;
    if (!type || depth > 20)
        return 0;
    if (strcmp(type, "text") == 0) {
        const char *t = json_string_value(json_object_get(n, "text"));
        if (!t || !*t)
            return 0;
        json_array_foreach(json_object_get(n, "marks"), i, m)
        {
            const char *mt = json_string_value(json_object_get(m, "type"));
            if (!mt || (strcmp(mt, "link") == 0 &&
                        !json_is_string(json_object_get(json_object_get(m, "attrs"), "href"))))
                return 0;
        }
        return 1;
    }
    if (strcmp(type, "hardBreak") == 0 || strcmp(type, "rule") == 0)
        return 1;
    if (strcmp(type, "heading") == 0) {
        json_int_t l = json_integer_value(json_object_get(json_object_get(n, "attrs"), "level"));
        if (l < 1 || l > 6)
            return 0;
    } else if (strcmp(type, "paragraph") != 0 && strcmp(type, "bulletList") != 0 &&
               strcmp(type, "listItem") != 0 && strcmp(type, "codeBlock") != 0) {
        return 0;
    }
    if (content && !json_is_array(content))
        return 0;
    json_array_foreach(content, i, c) if (!adf_node_ok(c, depth + 1)) return 0;
    return 1;
}

static int adf_ok(const json_t *doc)
{
    const json_t *c;
    size_t i;
    if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "type")) ||
        strcmp(json_string_value(json_object_get(doc, "type")), "doc") != 0 ||
        json_integer_value(json_object_get(doc, "version")) != 1 ||
        !json_is_array(json_object_get(doc, "content")))
        return 0;
    json_array_foreach(json_object_get(doc, "content"), i, c) if (!adf_node_ok(c, 1)) return 0;
    return 1;
}

/* ---- handlers -------------------------------------------------------------------- */

static void create_issue(fake_jira *fj, const fake_http_req *req, fake_http_resp *resp)
{
    json_t *b = json_loadb(req->body, req->body_len, 0, NULL);
    json_t *f = json_object_get(b, "fields"), *labels = json_object_get(f, "labels"), *v;
    const char *proj = json_string_value(json_object_get(json_object_get(f, "project"), "key"));
    const char *type = json_string_value(json_object_get(json_object_get(f, "issuetype"), "name"));
    const char *summary = json_string_value(json_object_get(f, "summary"));
    json_t *desc = json_object_get(f, "description");
    jr_issue *is;
    size_t i;
    if (!json_is_object(f))
        err_msg(resp, 400, "Unexpected character: the request body is not JSON with fields");
    else if (!proj || strcmp(proj, FAKE_JIRA_PROJECT) != 0)
        err_field(resp, "project", "valid project is required");
    else if (!type || (strcmp(type, "Task") != 0 && strcmp(type, "Bug") != 0))
        err_field(resp, "issuetype", "Specify a valid issue type");
    else if (!summary || !*summary)
        err_field(resp, "summary", "You must specify a summary of the issue.");
    else if (strlen(summary) > 255 || strchr(summary, '\n'))
        err_field(resp, "summary", "Summary must be less than 255 characters.");
    else if (desc && !adf_ok(desc))
        err_field(resp, "description",
                  "Operation value must be an Atlassian Document (see the "
                  "Atlassian Document Format)");
    else {
        int bad = 0;
        json_array_foreach(labels, i, v) bad |=
            !json_is_string(v) || strchr(json_string_value(v), ' ');
        if (bad || (labels && !json_is_array(labels))) {
            err_field(resp, "labels", "The label contains spaces which is invalid.");
            json_decref(b);
            return;
        }
        fj->issues = srr_realloc(fj->issues, (fj->n + 1) * sizeof(jr_issue));
        is = &fj->issues[fj->n++];
        memset(is, 0, sizeof(*is));
        is->key = srr_asprintf("%s-%zu", FAKE_JIRA_PROJECT, fj->n);
        is->id = srr_asprintf("%zu", 10000 + fj->n);
        is->summary = srr_strdup(summary);
        is->type = srr_strdup(type);
        is->description = desc ? json_incref(desc) : NULL;
        is->changelog = json_array();
        is->updated_ms = now_ms(fj);
        json_array_foreach(labels, i, v)
        {
            is->labels = srr_realloc(is->labels, (is->nlabels + 1) * sizeof(char *));
            is->labels[is->nlabels++] = srr_strdup(json_string_value(v));
        }
        {
            char *self = srr_asprintf("%s/rest/api/3/issue/%s", fake_http_url(fj->http), is->id);
            reply(resp, 201,
                  json_pack("{s:s, s:s, s:s}", "id", is->id, "key", is->key, "self", self));
            free(self);
        }
    }
    json_decref(b);
}

static void move(fake_jira *fj, jr_issue *is, int to, const char *name, const char *account)
{
    long long t = now_ms(fj);
    json_array_append_new(is->changelog,
                          json_pack("{s:s, s:{s:s, s:s}, s:o, s:[{s:s, s:s, s:s, s:s}]}", "id", "h",
                                    "author", "accountId", account, "displayName", name, "created",
                                    jtime(t), "items", "field", "status", "fieldtype", "jira",
                                    "fromString", STATUSES[is->status].name, "toString",
                                    STATUSES[to].name));
    {
        char id[32];
        snprintf(id, sizeof(id), "%zu", json_array_size(is->changelog) + 100);
        json_object_set_new(json_array_get(is->changelog, json_array_size(is->changelog) - 1), "id",
                            json_string(id));
    }
    is->status = to;
    is->updated_ms = t;
}

static void transitions(fake_jira *fj, jr_issue *is, const fake_http_req *req, fake_http_resp *resp)
{
    if (strcmp(req->method, "GET") == 0) {
        json_t *arr = json_array();
        for (int s = 0; s < 3; s++)
            if (s != is->status)
                json_array_append_new(arr, json_pack("{s:s, s:s, s:{s:s, s:{s:s}}}", "id",
                                                     STATUSES[s].id, "name", STATUSES[s].name, "to",
                                                     "name", STATUSES[s].name, "statusCategory",
                                                     "key", STATUSES[s].cat));
        reply(resp, 200, json_pack("{s:s, s:o}", "expand", "transitions", "transitions", arr));
        return;
    }
    {
        json_t *b = json_loadb(req->body, req->body_len, 0, NULL);
        const char *id = json_string_value(json_object_get(json_object_get(b, "transition"), "id"));
        int to = -1;
        for (int s = 0; s < 3; s++)
            if (id && strcmp(id, STATUSES[s].id) == 0 && s != is->status)
                to = s;
        if (to < 0) {
            char *m = srr_asprintf("Transition id '%s' is not valid for this issue.", id ? id : "");
            err_msg(resp, 400, m);
            free(m);
        } else {
            move(fj, is, to, "srr bot", "bot-account-id");
            fake_http_reply(resp, 204, NULL, "");
        }
        json_decref(b);
    }
}

static void changelog(jr_issue *is, const fake_http_req *req, fake_http_resp *resp)
{
    const char *sa = fake_http_req_arg(req, "startAt"), *mr = fake_http_req_arg(req, "maxResults");
    long start = sa ? strtol(sa, NULL, 10) : 0, max = mr ? strtol(mr, NULL, 10) : 100;
    long total = (long)json_array_size(is->changelog);
    json_t *vals = json_array();
    if (max < 1 || max > 100)
        max = 100;
    for (long i = start; i >= 0 && i < total && i < start + max; i++)
        json_array_append(vals, json_array_get(is->changelog, (size_t)i));
    reply(resp, 200,
          json_pack("{s:i, s:i, s:i, s:b, s:o}", "startAt", (int)start, "maxResults", (int)max,
                    "total", (int)total, "isLast", start + max >= total, "values", vals));
}

/* Reads one JQL value: "quoted \"text\"" or a bare word. Returns the end. */
static const char *jql_value(const char *p, char *out, size_t cap)
{
    size_t n = 0;
    while (*p == ' ')
        p++;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            if (n + 1 < cap)
                out[n++] = *p;
        }
        if (*p != '"')
            return NULL;
        p++;
    } else {
        while (*p && *p != ' ' && n + 1 < cap)
            out[n++] = *p++;
    }
    out[n] = '\0';
    return n || p[-1] == '"' ? p : NULL;
}

typedef struct jql {
    char project[160], label[160];
    long long since_ms;
    int desc;
} jql;

/* Parses the clauses srr sends; returns NULL or the error text. */
static const char *jql_parse(fake_jira *fj, const char *q, jql *out)
{
    const char *p = q;
    memset(out, 0, sizeof(*out));
    out->since_ms = -1;
    while (p && *p) {
        char field[32], op[4], val[160];
        int n = 0;
        while (*p == ' ')
            p++;
        if (strncasecmp(p, "ORDER BY updated", 16) == 0) {
            p += 16;
            while (*p == ' ')
                p++;
            out->desc = strncasecmp(p, "DESC", 4) == 0;
            break;
        }
        if (sscanf(p, "%31[a-z] %3[=>] %n", field, op, &n) != 2 || !n)
            return "Error in the JQL Query: expecting a field, an operator and a value";
        p = jql_value(p + n, val, sizeof(val));
        if (!p)
            return "Error in the JQL Query: a value is not closed";
        if (strcmp(field, "project") == 0 && strcmp(op, "=") == 0) {
            snprintf(out->project, sizeof(out->project), "%s", val);
        } else if (strcmp(field, "labels") == 0 && strcmp(op, "=") == 0) {
            snprintf(out->label, sizeof(out->label), "%s", val);
        } else if (strcmp(field, "updated") == 0 && strcmp(op, ">=") == 0) {
            long long v = strtoll(val, NULL, 10);
            if (val[0] == '-') /* "-15m": relative minutes */
                out->since_ms = now_ms(fj) + v * 60000;
            else
                out->since_ms = v;
        } else {
            return "Error in the JQL Query: the fake knows project =, labels =, updated >=";
        }
        while (*p == ' ')
            p++;
        if (strncasecmp(p, "AND ", 4) == 0)
            p += 4;
    }
    if (!out->project[0])
        return "Unbounded JQL queries are not allowed here. Please add a search restriction to "
               "your query.";
    return NULL;
}

static int has_label(const jr_issue *is, const char *l)
{
    for (size_t i = 0; i < is->nlabels; i++)
        if (strcmp(is->labels[i], l) == 0)
            return 1;
    return !*l;
}

static int g_desc;

static int cmp_updated(const void *a, const void *b)
{
    const jr_issue *x = *(jr_issue *const *)a, *y = *(jr_issue *const *)b;
    int r = x->updated_ms < y->updated_ms ? -1 : x->updated_ms > y->updated_ms;
    return g_desc ? -r : r;
}

static void search(fake_jira *fj, const fake_http_req *req, fake_http_resp *resp)
{
    json_t *b = json_loadb(req->body, req->body_len, 0, NULL), *arr;
    const char *q = json_string_value(json_object_get(b, "jql"));
    const char *tok = json_string_value(json_object_get(b, "nextPageToken"));
    long max = json_is_integer(json_object_get(b, "maxResults"))
                   ? (long)json_integer_value(json_object_get(b, "maxResults"))
                   : 50;
    long start = tok && strncmp(tok, "p-", 2) == 0 ? strtol(tok + 2, NULL, 10) : 0;
    jr_issue **hits = srr_calloc(fj->n + 1, sizeof(jr_issue *));
    size_t n = 0;
    jql j;
    const char *bad = q ? jql_parse(fj, q, &j) : "jql is required";
    if (bad) {
        err_msg(resp, 400, bad);
        goto out;
    }
    if (max < 1 || max > 100)
        max = 100;
    for (size_t i = 0; i < fj->n; i++)
        if (strcmp(j.project, FAKE_JIRA_PROJECT) == 0 && has_label(&fj->issues[i], j.label) &&
            fj->issues[i].updated_ms >= j.since_ms)
            hits[n++] = &fj->issues[i];

    g_desc = j.desc;
    qsort(hits, n, sizeof(*hits), cmp_updated);
    arr = json_array();
    for (long i = start; i < (long)n && i < start + max; i++)
        json_array_append_new(arr, issue_json(fj, hits[i]));
    {
        json_t *ans = json_pack("{s:o, s:b}", "issues", arr, "isLast", start + max >= (long)n);
        if (start + max < (long)n) {
            char t[32];
            snprintf(t, sizeof(t), "p-%ld", start + max);
            json_object_set_new(ans, "nextPageToken", json_string(t));
        }
        reply(resp, 200, ans);
    }
out:
    free(hits);
    json_decref(b);
}

/* The burst limit; answers 429 and returns 1 past it. */
static int limited(fake_jira *fj, fake_http_resp *resp)
{
    struct timespec ts;
    long long ms, idx;
    if (!fj->rate_n)
        return 0;
    clock_gettime(CLOCK_REALTIME, &ts);
    ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    idx = ms / fj->rate_window_ms;
    if (idx != fj->rate_index) {
        fj->rate_index = idx;
        fj->rate_used = 0;
    }
    if (++fj->rate_used <= fj->rate_n)
        return 0;
    {
        char reset[32];
        srr_time_iso(ms / 1000 + fj->rate_retry_s, reset);
        reset[16] = '\0'; /* yyyy-MM-ddTHH:mm */
        fake_http_header(resp, "Retry-After", "%d", fj->rate_retry_s);
        fake_http_header(resp, "X-RateLimit-Reset", "%sZ", reset);
        fake_http_header(resp, "RateLimit-Reason", "jira-burst-based");
        fake_http_header(resp, "X-RateLimit-Limit", "%u", fj->rate_n);
        fake_http_header(resp, "X-RateLimit-Remaining", "0");
    }
    err_msg(resp, 429, "Rate limit exceeded.");
    return 1;
}

static void handle(void *ud, const fake_http_req *req, fake_http_resp *resp)
{
    static const char issue_prefix[] = "/rest/api/3/issue/";
    fake_jira *fj = ud;
    const char *auth = fake_http_req_header(req, "Authorization");
    pthread_mutex_lock(&fj->mu);
    if (!auth || strcmp(auth, fj->auth) != 0) {
        fake_http_reply(resp, 401, "text/plain",
                        "Client must be authenticated to access this "
                        "resource.");
    } else if (limited(fj, resp)) {
    } else if (strcmp(req->path, "/rest/api/3/issue") == 0 && strcmp(req->method, "POST") == 0) {
        create_issue(fj, req, resp);
    } else if (strcmp(req->path, "/rest/api/3/search/jql") == 0 &&
               strcmp(req->method, "POST") == 0) {
        search(fj, req, resp);
    } else if (strcmp(req->path, "/rest/api/3/search") == 0) {
        err_msg(resp, 410,
                "The requested API has been removed. Please migrate to the "
                "/rest/api/3/search/jql API.");
    } else if (strncmp(req->path, issue_prefix, sizeof(issue_prefix) - 1) == 0) {
        char key[64];
        const char *rest = req->path + sizeof(issue_prefix) - 1;
        size_t kl = strcspn(rest, "/");
        jr_issue *is;
        snprintf(key, sizeof(key), "%.*s", (int)kl, rest);
        is = find(fj, key);
        rest += kl;
        if (!is)
            err_msg(resp, 404, "Issue does not exist or you do not have permission to see it.");
        else if (!*rest && strcmp(req->method, "GET") == 0)
            reply(resp, 200, issue_json(fj, is));
        else if (strcmp(rest, "/transitions") == 0)
            transitions(fj, is, req, resp);
        else if (strcmp(rest, "/changelog") == 0 && strcmp(req->method, "GET") == 0)
            changelog(is, req, resp);
        else
            err_msg(resp, 404, "Null Not Found");
    } else {
        err_msg(resp, 404, "Null Not Found");
    }
    pthread_mutex_unlock(&fj->mu);
}

fake_jira *fake_jira_start(void)
{
    fake_jira *fj = srr_calloc(1, sizeof(*fj));
    const char *pair = FAKE_JIRA_EMAIL ":" FAKE_JIRA_TOKEN;
    unsigned char b64[128];
    pthread_mutex_init(&fj->mu, NULL);
    EVP_EncodeBlock(b64, (const unsigned char *)pair, (int)strlen(pair));
    snprintf(fj->auth, sizeof(fj->auth), "Basic %s", (char *)b64);
    fj->rate_window_ms = 1000;
    fj->http = fake_http_start(handle, fj);
    if (!fj->http) {
        fake_jira_stop(&fj);
        return NULL;
    }
    return fj;
}

void fake_jira_stop(fake_jira **fjp)
{
    fake_jira *fj;
    if (!fjp || !*fjp)
        return;
    fj = *fjp;
    fake_http_stop(&fj->http);
    for (size_t i = 0; i < fj->n; i++) {
        jr_issue *is = &fj->issues[i];
        free(is->key);
        free(is->id);
        free(is->summary);
        free(is->type);
        json_decref(is->description);
        json_decref(is->changelog);
        tu_strv_free(is->labels, is->nlabels);
    }
    free(fj->issues);
    pthread_mutex_destroy(&fj->mu);
    free(fj);
    *fjp = NULL;
}

const char *fake_jira_url(fake_jira *fj)
{
    return fake_http_url(fj->http);
}

fake_http *fake_jira_http(fake_jira *fj)
{
    return fj->http;
}

void fake_jira_set_rate(fake_jira *fj, unsigned n, long window_ms, int retry_after_s)
{
    pthread_mutex_lock(&fj->mu);
    fj->rate_n = n;
    fj->rate_window_ms = window_ms > 0 ? window_ms : 1000;
    fj->rate_retry_s = retry_after_s;
    fj->rate_index = 0;
    pthread_mutex_unlock(&fj->mu);
}

void fake_jira_person_transition(fake_jira *fj, const char *key, const char *status,
                                 const char *name, const char *account_id)
{
    jr_issue *is;
    pthread_mutex_lock(&fj->mu);
    is = find(fj, key);
    for (int s = 0; is && s < 3; s++)
        if (strcmp(STATUSES[s].name, status) == 0 && s != is->status)
            move(fj, is, s, name, account_id);
    pthread_mutex_unlock(&fj->mu);
}

size_t fake_jira_issues(fake_jira *fj)
{
    size_t n;
    pthread_mutex_lock(&fj->mu);
    n = fj->n;
    pthread_mutex_unlock(&fj->mu);
    return n;
}

char *fake_jira_issue_field(fake_jira *fj, const char *key, const char *field)
{
    char *out = NULL;
    jr_issue *is;
    pthread_mutex_lock(&fj->mu);
    is = find(fj, key);
    if (is && strcmp(field, "summary") == 0)
        out = srr_strdup(is->summary);
    else if (is && strcmp(field, "status") == 0)
        out = srr_strdup(STATUSES[is->status].name);
    else if (is && strcmp(field, "description") == 0)
        out = is->description ? json_dumps(is->description, JSON_COMPACT | JSON_SORT_KEYS)
                              : srr_strdup("");
    else if (is && strcmp(field, "labels") == 0)
        out = tu_strv_join(is->labels, is->nlabels, ",");
    pthread_mutex_unlock(&fj->mu);
    return out;
}
