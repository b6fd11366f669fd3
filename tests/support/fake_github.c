/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_github.c - the fake GitHub of fake_github.h. State under one mutex:
 * the issues (pull requests among them), their events, the rate-limit
 * window. Answers are built as jansson objects in GitHub's shapes.
 */
#include "fake_github.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srr.h"
#include "testutil.h"

#define REPO_PATH "/repos/" FAKE_GITHUB_REPO
#define DOCS "https://docs.github.com/rest"

typedef struct gh_event {
    char *event, *actor;
    long long at;
} gh_event;

typedef struct gh_issue {
    long long number;
    int pull;
    char *title, *body, *state, *reason, *closed_by;
    char **labels;
    size_t nlabels;
    long long created, updated, closed;
    gh_event *events;
    size_t nevents;
} gh_issue;

struct fake_github {
    fake_http *http;
    pthread_mutex_t mu;
    gh_issue *issues;
    size_t nissues, created_by_api;
    unsigned limit, reset_in_s, used;
    long long window_reset;
    unsigned secondary_n;
    int secondary_retry;
    int disabled;
    unsigned unversioned;
    long long clock_s; /* strictly increasing "now" for updated_at */
};

static long long now_s(fake_github *fg)
{
    long long t = (long long)time(NULL);
    if (t <= fg->clock_s)
        t = fg->clock_s; /* never goes back */
    fg->clock_s = t;
    return t;
}

static json_t *iso(long long t)
{
    char buf[32];
    if (!t)
        return json_null();
    srr_time_iso(t, buf);
    return json_string(buf);
}

static void add_event(gh_issue *is, const char *ev, const char *actor, long long at)
{
    is->events = srr_realloc(is->events, (is->nevents + 1) * sizeof(gh_event));
    is->events[is->nevents].event = srr_strdup(ev);
    is->events[is->nevents].actor = srr_strdup(actor);
    is->events[is->nevents].at = at;
    is->nevents++;
}

static gh_issue *find(fake_github *fg, long long number)
{
    for (size_t i = 0; i < fg->nissues; i++)
        if (fg->issues[i].number == number)
            return &fg->issues[i];
    return NULL;
}

static gh_issue *new_issue(fake_github *fg, const char *title, const char *body, int pull)
{
    gh_issue *is;
    fg->issues = srr_realloc(fg->issues, (fg->nissues + 1) * sizeof(gh_issue));
    is = &fg->issues[fg->nissues];
    memset(is, 0, sizeof(*is));
    is->number = (long long)++fg->nissues;
    is->pull = pull;
    is->title = srr_strdup(title);
    is->body = srr_strdup(body);
    is->state = srr_strdup("open");
    is->created = is->updated = now_s(fg);
    return is;
}

static void set_state(fake_github *fg, gh_issue *is, const char *state, const char *reason,
                      const char *actor)
{
    int closing = strcmp(state, "closed") == 0;
    if (strcmp(is->state, state) == 0 && !(closing && reason))
        return;
    free(is->state);
    free(is->reason);
    is->state = srr_strdup(state);
    is->reason = srr_strdup(closing ? (reason ? reason : "completed") : "reopened");
    is->updated = now_s(fg);
    free(is->closed_by);
    is->closed_by = closing ? srr_strdup(actor) : NULL;
    is->closed = closing ? is->updated : 0;
    add_event(is, closing ? "closed" : "reopened", actor, is->updated);
}

static json_t *user(const char *login)
{
    return login ? json_pack("{s:s, s:s}", "login", login, "type", "User") : json_null();
}

/* The issue as GitHub shows it; `full` adds closed_by (the single-issue GET). */
static json_t *issue_json(fake_github *fg, const gh_issue *is, int full)
{
    const char *base = fake_http_url(fg->http);
    json_t *labels = json_array();
    json_t *j;
    for (size_t i = 0; i < is->nlabels; i++)
        json_array_append_new(labels, json_pack("{s:s}", "name", is->labels[i]));
    j = json_pack("{s:I, s:I, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s}", "id",
                  (json_int_t)(1000 + is->number), "number", (json_int_t)is->number, "title",
                  is->title, "state", is->state, "state_reason",
                  is->reason ? json_string(is->reason) : json_null(), "body",
                  is->body ? is->body : "", "labels", labels, "user", user(FAKE_GITHUB_BOT),
                  "created_at", iso(is->created), "updated_at", iso(is->updated), "closed_at",
                  iso(is->closed), "assignees", json_array(), "html_url", "", "url", "");
    {
        char *h = srr_asprintf("https://github.com/%s/%s/%lld", FAKE_GITHUB_REPO,
                               is->pull ? "pull" : "issues", is->number);
        char *u = srr_asprintf("%s%s/issues/%lld", base, REPO_PATH, is->number);
        json_object_set_new(j, "html_url", json_string(h));
        json_object_set_new(j, "url", json_string(u));
        free(h);
        free(u);
    }
    if (is->pull)
        json_object_set_new(j, "pull_request", json_pack("{s:s}", "url", "pulls"));
    if (full)
        json_object_set_new(j, "closed_by", user(is->closed_by));
    return j;
}

static void reply(fake_http_resp *resp, int status, json_t *j)
{
    fake_http_reply_json(resp, status, "application/json; charset=utf-8", j);
}

static void message(fake_http_resp *resp, int status, const char *msg, const char *doc)
{
    reply(resp, status,
          json_pack("{s:s, s:s, s:s}", "message", msg, "documentation_url", doc, "status",
                    status == 401   ? "401"
                    : status == 403 ? "403"
                                    : "4xx"));
}

static void validation(fake_http_resp *resp, const char *field, const char *code)
{
    reply(resp, 422,
          json_pack("{s:s, s:[{s:s, s:s, s:s}], s:s, s:s}", "message", "Validation Failed",
                    "errors", "resource", "Issue", "code", code, "field", field,
                    "documentation_url", DOCS "/issues/issues#create-an-issue", "status", "422"));
}

/* Counts the request in the primary window; adds the headers; 1 when over. */
static int rate(fake_github *fg, fake_http_resp *resp)
{
    long long now = (long long)time(NULL);
    unsigned remaining;
    if (!fg->window_reset || now >= fg->window_reset) {
        fg->window_reset = now + fg->reset_in_s;
        fg->used = 0;
    }
    fg->used++;
    remaining = fg->used > fg->limit ? 0 : fg->limit - fg->used;
    fake_http_header(resp, "x-ratelimit-limit", "%u", fg->limit);
    fake_http_header(resp, "x-ratelimit-remaining", "%u", remaining);
    fake_http_header(resp, "x-ratelimit-used", "%u", fg->used);
    fake_http_header(resp, "x-ratelimit-reset", "%lld", fg->window_reset);
    fake_http_header(resp, "x-ratelimit-resource", "core");
    return fg->used > fg->limit;
}

static int label_ok(const gh_issue *is, const char *labels)
{
    for (const char *p = labels; p && *p;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        int has = 0;
        for (size_t i = 0; i < is->nlabels; i++)
            has |= strlen(is->labels[i]) == n && strncmp(is->labels[i], p, n) == 0;
        if (!has)
            return 0;
        p = c ? c + 1 : NULL;
    }
    return 1;
}

static const gh_issue *g_sort_base;
static int g_sort_updated, g_sort_desc;

static int cmp_idx(const void *a, const void *b)
{
    const gh_issue *x = &g_sort_base[*(const size_t *)a], *y = &g_sort_base[*(const size_t *)b];
    long long kx = g_sort_updated ? x->updated : x->created;
    long long ky = g_sort_updated ? y->updated : y->created;
    int r = kx < ky ? -1 : kx > ky ? 1 : (x->number < y->number ? -1 : 1);
    return g_sort_desc ? -r : r;
}

static void list_issues(fake_github *fg, const fake_http_req *req, fake_http_resp *resp)
{
    const char *state = fake_http_req_arg(req, "state");
    const char *labels = fake_http_req_arg(req, "labels");
    const char *since = fake_http_req_arg(req, "since");
    const char *sort = fake_http_req_arg(req, "sort");
    const char *dir = fake_http_req_arg(req, "direction");
    const char *pp = fake_http_req_arg(req, "per_page"), *pg = fake_http_req_arg(req, "page");
    long per = pp ? strtol(pp, NULL, 10) : 30, page = pg ? strtol(pg, NULL, 10) : 1, last;
    int64_t since_t = 0;
    size_t *idx = srr_calloc(fg->nissues + 1, sizeof(size_t)), n = 0;
    json_t *arr = json_array();
    if (since && srr_time_parse_iso(since, &since_t) != SRR_OK) {
        validation(resp, "since", "invalid");
        free(idx);
        json_decref(arr);
        return;
    }
    if (!state)
        state = "open";
    per = per < 1 ? 30 : per > 100 ? 100 : per;
    for (size_t i = 0; i < fg->nissues; i++) {
        const gh_issue *is = &fg->issues[i];
        if (strcmp(state, "all") != 0 && strcmp(state, is->state) != 0)
            continue;
        if (!label_ok(is, labels) || (since && is->updated < since_t))
            continue;
        idx[n++] = i;
    }
    g_sort_base = fg->issues; /* under the fake's mutex */
    g_sort_updated = sort && strcmp(sort, "updated") == 0;
    g_sort_desc = !dir || strcmp(dir, "asc") != 0;
    qsort(idx, n, sizeof(size_t), cmp_idx);
    for (long i = (page - 1) * per; i >= 0 && i < page * per && (size_t)i < n; i++)
        json_array_append_new(arr, issue_json(fg, &fg->issues[idx[i]], 0));
    last = n ? (long)((n + (size_t)per - 1) / (size_t)per) : 1;
    if (page < last) {
        /* the same query with the next page, as GitHub writes it */
        srr_buf q;
        srr_buf_init(&q, 0);
        for (const char *p = req->query; *p;) {
            const char *amp = strchr(p, '&');
            size_t l = amp ? (size_t)(amp - p) : strlen(p);
            if (strncmp(p, "page=", 5) != 0)
                srr_buf_printf(&q, "%.*s&", (int)l, p);
            p = amp ? amp + 1 : p + l;
        }
        fake_http_header(resp, "Link",
                         "<%s%s?%spage=%ld>; rel=\"next\", <%s%s?%spage=%ld>; "
                         "rel=\"last\"",
                         fake_http_url(fg->http), req->path, q.data ? q.data : "", page + 1,
                         fake_http_url(fg->http), req->path, q.data ? q.data : "", last);
        srr_buf_free(&q);
    }
    free(idx);
    reply(resp, 200, arr);
}

static void create_issue(fake_github *fg, const fake_http_req *req, fake_http_resp *resp)
{
    json_t *b = json_loadb(req->body, req->body_len, 0, NULL), *l, *v;
    const char *title = json_string_value(json_object_get(b, "title"));
    const char *body = json_string_value(json_object_get(b, "body"));
    gh_issue *is;
    size_t i;
    if (!json_is_object(b)) {
        message(resp, 400, "Problems parsing JSON", DOCS);
        json_decref(b);
        return;
    }
    l = json_object_get(b, "labels");
    if (!title || !*title)
        validation(resp, "title", "missing_field");
    else if (body && tu_u8_chars(body) > 65536)
        validation(resp, "body", "custom");
    else if (l && !json_is_array(l))
        validation(resp, "labels", "invalid");
    else {
        int bad = 0;
        json_array_foreach(l, i, v) bad |= !json_is_string(v) || !*json_string_value(v);
        if (bad) {
            validation(resp, "labels", "invalid");
        } else {
            is = new_issue(fg, title, body, 0);
            fg->created_by_api++;
            json_array_foreach(l, i, v)
            {
                is->labels = srr_realloc(is->labels, (is->nlabels + 1) * sizeof(char *));
                is->labels[is->nlabels++] = srr_strdup(json_string_value(v));
            }
            reply(resp, 201, issue_json(fg, is, 1));
        }
    }
    json_decref(b);
}

static void update_issue(fake_github *fg, gh_issue *is, const fake_http_req *req,
                         fake_http_resp *resp)
{
    json_t *b = json_loadb(req->body, req->body_len, 0, NULL);
    const char *state = json_string_value(json_object_get(b, "state"));
    const char *reason = json_string_value(json_object_get(b, "state_reason"));
    if (state && strcmp(state, "open") != 0 && strcmp(state, "closed") != 0)
        validation(resp, "state", "invalid");
    else if (reason && strcmp(reason, "completed") != 0 && strcmp(reason, "not_planned") != 0 &&
             strcmp(reason, "reopened") != 0)
        validation(resp, "state_reason", "invalid");
    else {
        if (state)
            set_state(fg, is, state, reason, FAKE_GITHUB_BOT);
        reply(resp, 200, issue_json(fg, is, 1));
    }
    json_decref(b);
}

static void issue_events(fake_github *fg, gh_issue *is, fake_http_resp *resp)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < is->nevents; i++)
        json_array_append_new(arr,
                              json_pack("{s:I, s:s, s:o, s:o}", "id",
                                        (json_int_t)(is->number * 1000 + (long long)i), "event",
                                        is->events[i].event, "actor", user(is->events[i].actor),
                                        "created_at", iso(is->events[i].at)));
    (void)fg;
    reply(resp, 200, arr);
}

static int headers_ok(fake_github *fg, const fake_http_req *req, fake_http_resp *resp)
{
    const char *auth = fake_http_req_header(req, "Authorization");
    const char *ver = fake_http_req_header(req, "X-GitHub-Api-Version");
    const char *accept = fake_http_req_header(req, "Accept");
    const char *ua = fake_http_req_header(req, "User-Agent");
    if (!ua || !*ua) {
        message(resp, 403,
                "Request forbidden by administrative rules. Please make sure your "
                "request has a User-Agent header",
                DOCS);
        return 0;
    }
    if (ver && strcmp(ver, "2022-11-28") != 0 && strcmp(ver, "2026-03-10") != 0) {
        message(resp, 400, "Unsupported 'X-GitHub-Api-Version' header",
                DOCS "/about-the-rest-api/api-versions");
        return 0;
    }
    if (!ver || !accept || !strstr(accept, "application/vnd.github+json"))
        fg->unversioned++;
    if (!auth) {
        message(resp, 401, "Requires authentication", DOCS);
        return 0;
    }
    if (strcmp(auth, "Bearer " FAKE_GITHUB_TOKEN) != 0 &&
        strcmp(auth, "token " FAKE_GITHUB_TOKEN) != 0) {
        message(resp, 401, "Bad credentials", DOCS);
        return 0;
    }
    return 1;
}

static void handle(void *ud, const fake_http_req *req, fake_http_resp *resp)
{
    fake_github *fg = ud;
    const char *m = req->method, *rest;
    int writes = strcmp(m, "POST") == 0 || strcmp(m, "PATCH") == 0;
    pthread_mutex_lock(&fg->mu);
    if (!headers_ok(fg, req, resp))
        goto done;
    if (rate(fg, resp)) {
        message(resp, 403, "API rate limit exceeded for user ID 1.",
                DOCS "/overview/rate-limits-for-the-rest-api#about-rate-limits");
        goto done;
    }
    if (writes && fg->secondary_n) {
        fg->secondary_n--;
        if (fg->secondary_retry)
            fake_http_header(resp, "Retry-After", "%d", fg->secondary_retry);
        message(resp, 403,
                "You have exceeded a secondary rate limit. Please wait a few minutes "
                "before you try again.",
                DOCS "/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits");
        goto done;
    }
    if (strncmp(req->path, REPO_PATH "/issues", sizeof(REPO_PATH "/issues") - 1) != 0) {
        message(resp, 404, "Not Found", DOCS);
        goto done;
    }
    if (fg->disabled) {
        message(resp, 410, "Issues are disabled for this repo", DOCS);
        goto done;
    }
    rest = req->path + sizeof(REPO_PATH "/issues") - 1;
    if (!*rest && strcmp(m, "GET") == 0) {
        list_issues(fg, req, resp);
    } else if (!*rest && strcmp(m, "POST") == 0) {
        create_issue(fg, req, resp);
    } else if (*rest == '/') {
        char *end;
        long long n = strtoll(rest + 1, &end, 10);
        gh_issue *is = find(fg, n);
        if (!is || end == rest + 1)
            message(resp, 404, "Not Found", DOCS);
        else if (!*end && strcmp(m, "GET") == 0)
            reply(resp, 200, issue_json(fg, is, 1));
        else if (!*end && strcmp(m, "PATCH") == 0)
            update_issue(fg, is, req, resp);
        else if (strcmp(end, "/events") == 0 && strcmp(m, "GET") == 0)
            issue_events(fg, is, resp);
        else
            message(resp, 404, "Not Found", DOCS);
    } else {
        message(resp, 404, "Not Found", DOCS);
    }
done:
    pthread_mutex_unlock(&fg->mu);
}

fake_github *fake_github_start(void)
{
    fake_github *fg = srr_calloc(1, sizeof(*fg));
    pthread_mutex_init(&fg->mu, NULL);
    fg->limit = 5000;
    fg->reset_in_s = 3600;
    fg->http = fake_http_start(handle, fg);
    if (!fg->http) {
        fake_github_stop(&fg);
        return NULL;
    }
    return fg;
}

void fake_github_stop(fake_github **fgp)
{
    fake_github *fg;
    if (!fgp || !*fgp)
        return;
    fg = *fgp;
    fake_http_stop(&fg->http);
    for (size_t i = 0; i < fg->nissues; i++) {
        gh_issue *is = &fg->issues[i];
        free(is->title);
        free(is->body);
        free(is->state);
        free(is->reason);
        free(is->closed_by);
        tu_strv_free(is->labels, is->nlabels);
        for (size_t j = 0; j < is->nevents; j++) {
            free(is->events[j].event);
            free(is->events[j].actor);
        }
        free(is->events);
    }
    free(fg->issues);
    pthread_mutex_destroy(&fg->mu);
    free(fg);
    *fgp = NULL;
}

const char *fake_github_url(fake_github *fg)
{
    return fake_http_url(fg->http);
}

fake_http *fake_github_http(fake_github *fg)
{
    return fg->http;
}

void fake_github_set_limit(fake_github *fg, unsigned limit, unsigned reset_in_s)
{
    pthread_mutex_lock(&fg->mu);
    fg->limit = limit;
    fg->reset_in_s = reset_in_s;
    fg->window_reset = 0;
    pthread_mutex_unlock(&fg->mu);
}

void fake_github_secondary(fake_github *fg, unsigned n, int retry_after_s)
{
    pthread_mutex_lock(&fg->mu);
    fg->secondary_n = n;
    fg->secondary_retry = retry_after_s;
    pthread_mutex_unlock(&fg->mu);
}

void fake_github_disable_issues(fake_github *fg, int disabled)
{
    pthread_mutex_lock(&fg->mu);
    fg->disabled = disabled;
    pthread_mutex_unlock(&fg->mu);
}

long long fake_github_add_pull(fake_github *fg, const char *title)
{
    long long n;
    pthread_mutex_lock(&fg->mu);
    n = new_issue(fg, title, "", 1)->number;
    pthread_mutex_unlock(&fg->mu);
    return n;
}

void fake_github_person_close(fake_github *fg, long long number, const char *login,
                              const char *reason)
{
    pthread_mutex_lock(&fg->mu);
    if (find(fg, number))
        set_state(fg, find(fg, number), "closed", reason, login);
    pthread_mutex_unlock(&fg->mu);
}

void fake_github_person_reopen(fake_github *fg, long long number, const char *login)
{
    pthread_mutex_lock(&fg->mu);
    if (find(fg, number))
        set_state(fg, find(fg, number), "open", NULL, login);
    pthread_mutex_unlock(&fg->mu);
}

size_t fake_github_issues(fake_github *fg)
{
    size_t n;
    pthread_mutex_lock(&fg->mu);
    n = fg->created_by_api;
    pthread_mutex_unlock(&fg->mu);
    return n;
}

unsigned fake_github_unversioned(fake_github *fg)
{
    unsigned n;
    pthread_mutex_lock(&fg->mu);
    n = fg->unversioned;
    pthread_mutex_unlock(&fg->mu);
    return n;
}

char *fake_github_issue_field(fake_github *fg, long long number, const char *field)
{
    char *out = NULL;
    gh_issue *is;
    pthread_mutex_lock(&fg->mu);
    is = find(fg, number);
    if (is && strcmp(field, "title") == 0)
        out = srr_strdup(is->title);
    else if (is && strcmp(field, "body") == 0)
        out = srr_strdup(is->body ? is->body : "");
    else if (is && strcmp(field, "state") == 0)
        out = srr_strdup(is->state);
    else if (is && strcmp(field, "labels") == 0)
        out = tu_strv_join(is->labels, is->nlabels, ",");
    pthread_mutex_unlock(&fg->mu);
    return out;
}
