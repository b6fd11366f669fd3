/* SPDX-License-Identifier: Apache-2.0
 *
 * github_api.c - the GitHub Issues calls of github_api.h. One function
 * sends a request with GitHub's headers, reads the rate-limit headers of
 * every answer into the client's gate, and turns an error answer
 * ({"message","errors","documentation_url"}) into an srr code and text.
 */
#include "github_api.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define GH_MAX_PAGES 50
#define SECONDARY_WAIT_MS 60000

struct srr_github {
    char *api;  /* base URL without trailing slash */
    char *repo; /* "/repos/<owner>/<name>", escaped */
    char *auth; /* "Authorization: Bearer ..." */
    char *version;
    srr_http_opts http;
    srr_http_gate gate;
};

srr_rc srr_github_create(const srr_github_opts *o, srr_github **out, srr_error *err)
{
    const char *slash = o->repo ? strchr(o->repo, '/') : NULL;
    srr_github *gh;
    char *owner, *name;
    size_t n;
    *out = NULL;
    if (!o->token || !*o->token)
        return srr_error_set(err, SRR_EINVAL, "github: no token");
    if (!slash || slash == o->repo || !slash[1] || strchr(slash + 1, '/'))
        return srr_error_set(err, SRR_EINVAL, "github: repo '%s' is not owner/name",
                             o->repo ? o->repo : "");
    gh = srr_calloc(1, sizeof(*gh));
    gh->api = srr_strdup(o->api_url && *o->api_url ? o->api_url : "https://api.github.com");
    n = strlen(gh->api);
    while (n > 0 && gh->api[n - 1] == '/')
        gh->api[--n] = '\0';
    owner = srr_strndup(o->repo, (size_t)(slash - o->repo));
    {
        char *eo = srr_http_escape(owner);
        name = srr_http_escape(slash + 1);
        gh->repo = srr_asprintf("/repos/%s/%s", eo, name);
        free(eo);
    }
    free(owner);
    free(name);
    gh->auth = srr_asprintf("Authorization: Bearer %s", o->token);
    gh->version =
        srr_asprintf("X-GitHub-Api-Version: %s",
                     o->api_version && *o->api_version ? o->api_version : SRR_GITHUB_API_VERSION);
    gh->http = o->http;
    srr_http_gate_init(&gh->gate, o->min_interval_ms, 1000, 15 * 60000);
    *out = gh;
    return SRR_OK;
}

void srr_github_destroy(srr_github **ghp)
{
    srr_github *gh;
    if (!ghp || !*ghp)
        return;
    gh = *ghp;
    free(gh->api);
    free(gh->repo);
    free(gh->auth);
    free(gh->version);
    free(gh);
    *ghp = NULL;
}

int64_t srr_github_retry_at_ms(const srr_github *gh)
{
    return srr_http_gate_ready_at(&gh->gate, srr_http_now_ms());
}

char *srr_github_marker(const char *id)
{
    return srr_asprintf("<!-- srr:%s -->", id);
}

void srr_github_issue_clear(srr_github_issue *is)
{
    if (!is)
        return;
    free(is->state);
    free(is->state_reason);
    free(is->title);
    free(is->body);
    free(is->html_url);
    free(is->closed_by);
    memset(is, 0, sizeof(*is));
}

static int64_t ts(const json_t *v)
{
    int64_t t = 0;
    const char *s = json_string_value(v);
    return s && srr_time_parse_iso(s, &t) == SRR_OK ? t : 0;
}

static char *str(const json_t *v)
{
    return srr_strdup(json_string_value(v));
}

static void issue_from_json(const json_t *j, srr_github_issue *is)
{
    memset(is, 0, sizeof(*is));
    is->number = json_integer_value(json_object_get(j, "number"));
    is->state = str(json_object_get(j, "state"));
    is->state_reason = str(json_object_get(j, "state_reason"));
    is->title = str(json_object_get(j, "title"));
    is->body = str(json_object_get(j, "body"));
    is->html_url = str(json_object_get(j, "html_url"));
    is->closed_by = str(json_object_get(json_object_get(j, "closed_by"), "login"));
    is->updated_at = ts(json_object_get(j, "updated_at"));
    is->closed_at = ts(json_object_get(j, "closed_at"));
    is->is_pull_request = json_object_get(j, "pull_request") != NULL;
}

/* Rate-limit headers → how long to wait (ms, -1 none); *limited is set when
 * the answer says a limit was hit. */
static int64_t rate_wait(const srr_http_resp *r, const json_t *body, int *limited)
{
    char rem[32], reset[32];
    const char *msg = json_string_value(json_object_get(body, "message"));
    const char *doc = json_string_value(json_object_get(body, "documentation_url"));
    int64_t now = srr_http_now_ms();
    int exhausted =
        srr_http_header(r, "x-ratelimit-remaining", rem, sizeof(rem)) && strcmp(rem, "0") == 0;
    int64_t until_reset = -1;
    if (srr_http_header(r, "x-ratelimit-reset", reset, sizeof(reset)))
        until_reset = strtoll(reset, NULL, 10) * 1000 - now;
    if (until_reset < 0 && exhausted)
        until_reset = 0;
    *limited = 0;
    if (r->status == 403 || r->status == 429) {
        int secondary = (msg && strstr(msg, "secondary rate limit")) ||
                        (doc && strstr(doc, "secondary-rate-limits"));
        if (r->status == 429 || exhausted || secondary || r->retry_after_ms >= 0)
            *limited = 1;
        if (r->retry_after_ms >= 0)
            return r->retry_after_ms;
        if (exhausted)
            return until_reset + 1000; /* the reset second itself, plus one */
        if (*limited)
            return SECONDARY_WAIT_MS;
        return -1;
    }
    /* A success that used the last request of the window. */
    return exhausted ? until_reset + 1000 : -1;
}

static srr_rc error_of(const srr_http_resp *r, const json_t *body, int limited, const char *what,
                       srr_error *err)
{
    const char *msg = json_string_value(json_object_get(body, "message"));
    json_t *errs = json_object_get(body, "errors"), *e;
    srr_rc rc = limited ? SRR_RETRY : srr_http_status_rc(r->status);
    srr_buf detail;
    size_t i;
    srr_buf_init(&detail, 600);
    json_array_foreach(errs, i, e)
    {
        const char *res = json_string_value(json_object_get(e, "resource"));
        const char *field = json_string_value(json_object_get(e, "field"));
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *m = json_string_value(json_object_get(e, "message"));
        srr_buf_printf(&detail, "%s%s%s%s %s", i ? "; " : " (", res ? res : "", field ? "." : "",
                       field ? field : "", code ? code : (m ? m : ""));
    }
    if (detail.len)
        srr_buf_append(&detail, ")", 1);
    rc = srr_error_set(err, rc, "github %s: HTTP %ld %.200s%s", what, r->status, msg ? msg : "",
                       detail.data ? detail.data : "");
    srr_buf_free(&detail);
    return rc;
}

/* One request to `url` (absolute). On success *ans holds the JSON answer
 * and, when `next` is not NULL, *next the Link rel="next" URL or NULL. */
static srr_rc call(srr_github *gh, const char *what, const char *method, const char *url,
                   const json_t *body, json_t **ans, char **next, srr_error *err)
{
    const char *hdrs[] = {gh->auth, "Accept: application/vnd.github+json", gh->version,
                          "Content-Type: application/json; charset=utf-8", NULL};
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    srr_http_resp r;
    json_t *j;
    int limited = 0;
    int64_t wait;
    srr_rc rc;
    *ans = NULL;
    if (next)
        *next = NULL;
    rc = srr_http_gate_enter(&gh->gate, gh->gate.min_interval_ms, err);
    if (rc != SRR_OK) {
        srr_error_prefix(err, "github %s", what);
        free(payload);
        return rc;
    }
    rc = srr_http_request(&gh->http, method, url, hdrs, payload, payload ? strlen(payload) : 0, &r,
                          err);
    free(payload);
    if (rc != SRR_OK) {
        srr_error_prefix(err, "github %s", what);
        srr_http_gate_done(&gh->gate, rc, -1, srr_http_now_ms());
        srr_http_resp_free(&r);
        return rc;
    }
    j = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
    wait = rate_wait(&r, j, &limited);
    if (r.status >= 200 && r.status < 300) {
        *ans = j;
        j = NULL;
        if (next) {
            char link[2048];
            const char *p = srr_http_header(&r, "Link", link, sizeof(link));
            const char *rel = p ? strstr(p, "rel=\"next\"") : NULL;
            if (rel) {
                const char *lt = rel;
                while (lt > p && *lt != '<')
                    lt--;
                const char *gt = strchr(lt, '>');
                if (*lt == '<' && gt && gt < rel)
                    *next = srr_strndup(lt + 1, (size_t)(gt - lt - 1));
            }
        }
    } else {
        rc = error_of(&r, j, limited, what, err);
    }
    srr_http_gate_done(&gh->gate, rc, rc == SRR_RETRY ? wait : -1, srr_http_now_ms());
    if (rc == SRR_OK && wait >= 0) /* the window is used up: wait for its reset */
        gh->gate.blocked_until_ms = srr_http_now_ms() + wait;
    json_decref(j);
    srr_http_resp_free(&r);
    return rc;
}

/* Sends req (NULL: none) to url and reads the issue of the answer into
 * *out: zeroed, then filled on SRR_OK (the caller clears it with
 * srr_github_issue_clear). */
static srr_rc issue_call(srr_github *gh, const char *what, const char *method, const char *url,
                         const json_t *req, srr_github_issue *out, srr_error *err)
{
    json_t *ans = NULL;
    srr_rc rc = call(gh, what, method, url, req, &ans, NULL, err);
    memset(out, 0, sizeof(*out));
    if (rc == SRR_OK)
        issue_from_json(ans, out);
    json_decref(ans);
    return rc;
}

srr_rc srr_github_issue_create(srr_github *gh, const char *title, const char *body,
                               const char *const *labels, size_t nlabels, srr_github_issue *out,
                               srr_error *err)
{
    char *url = srr_asprintf("%s%s/issues", gh->api, gh->repo);
    json_t *req = json_pack("{s:s}", "title", title ? title : "");
    srr_rc rc;
    if (body)
        json_object_set_new(req, "body", json_string(body));
    if (nlabels) {
        json_t *l = json_array();
        for (size_t i = 0; i < nlabels; i++)
            json_array_append_new(l, json_string(labels[i]));
        json_object_set_new(req, "labels", l);
    }
    rc = issue_call(gh, "create issue", "POST", url, req, out, err);
    json_decref(req);
    free(url);
    return rc;
}

srr_rc srr_github_issue_get(srr_github *gh, long long number, srr_github_issue *out, srr_error *err)
{
    char *url = srr_asprintf("%s%s/issues/%lld", gh->api, gh->repo, number);
    srr_rc rc = issue_call(gh, "get issue", "GET", url, NULL, out, err);
    free(url);
    return rc;
}

srr_rc srr_github_issue_set_state(srr_github *gh, long long number, const char *state,
                                  const char *reason, srr_github_issue *out, srr_error *err)
{
    char *url = srr_asprintf("%s%s/issues/%lld", gh->api, gh->repo, number);
    json_t *req = json_pack("{s:s}", "state", state);
    srr_rc rc;
    if (reason)
        json_object_set_new(req, "state_reason", json_string(reason));
    rc = issue_call(gh, "update issue", "PATCH", url, req, out, err);
    json_decref(req);
    free(url);
    return rc;
}

/* Calls fn(ud, item) on each item of each page of the list at url (taken:
 * freed here), following the pages' next links up to max_pages, until fn
 * returns nonzero. Returns SRR_OK or the first call's error (what names it). */
static srr_rc each_item(srr_github *gh, const char *what, char *url, unsigned max_pages,
                        int (*fn)(void *ud, const json_t *item), void *ud, srr_error *err)
{
    srr_rc rc = SRR_OK;
    int stop = 0;
    for (unsigned page = 0; url && !stop && page < max_pages; page++) {
        json_t *ans = NULL, *it;
        char *next = NULL;
        size_t i;
        rc = call(gh, what, "GET", url, NULL, &ans, &next, err);
        free(url);
        url = next;
        if (rc != SRR_OK)
            break;
        json_array_foreach(ans, i, it)
        {
            if (!stop)
                stop = fn(ud, it);
        }
        json_decref(ans);
    }
    free(url);
    return rc;
}

/* srr_github_issues_since's callback and its data, for each_item. */
typedef struct issue_fn {
    srr_github_issue_fn fn;
    void *ud;
} issue_fn;

/* An issue, not a pull request, to the caller's callback. */
static int issue_item(void *ud, const json_t *item)
{
    issue_fn *f = ud;
    srr_github_issue is;
    int stop = 0;
    issue_from_json(item, &is);
    if (!is.is_pull_request)
        stop = f->fn(f->ud, &is);
    srr_github_issue_clear(&is);
    return stop;
}

srr_rc srr_github_issues_since(srr_github *gh, int64_t since, const char *label, unsigned max_pages,
                               srr_github_issue_fn fn, void *ud, srr_error *err)
{
    char iso[32] = "";
    char *el = label ? srr_http_escape(label) : NULL;
    char *url;
    issue_fn f = {fn, ud};
    if (since > 0)
        srr_time_iso(since, iso);
    url = srr_asprintf("%s%s/issues?state=all&sort=updated&direction=asc&per_page=100%s%s%s%s",
                       gh->api, gh->repo, since > 0 ? "&since=" : "", iso, el ? "&labels=" : "",
                       el ? el : "");
    free(el);
    return each_item(gh, "list issues", url, max_pages ? max_pages : GH_MAX_PAGES, issue_item, &f,
                     err);
}

typedef struct find_ctx {
    const char *marker;
    srr_github_issue *out;
    int found;
} find_ctx;

static int find_one(void *ud, const srr_github_issue *is)
{
    find_ctx *f = ud;
    if (f->found || !is->body || !strstr(is->body, f->marker))
        return 0;
    f->found = 1;
    f->out->number = is->number;
    f->out->state = srr_strdup(is->state);
    f->out->state_reason = srr_strdup(is->state_reason);
    f->out->title = srr_strdup(is->title);
    f->out->body = srr_strdup(is->body);
    f->out->html_url = srr_strdup(is->html_url);
    f->out->updated_at = is->updated_at;
    f->out->closed_at = is->closed_at;
    return 1;
}

srr_rc srr_github_issue_find(srr_github *gh, const char *marker, const char *label, int64_t since,
                             srr_github_issue *out, srr_error *err)
{
    find_ctx f = {marker, out, 0};
    srr_rc rc;
    memset(out, 0, sizeof(*out));
    rc = srr_github_issues_since(gh, since, label, 0, find_one, &f, err);
    if (rc != SRR_OK)
        return rc;
    if (!f.found)
        return srr_error_set(err, SRR_ENOTFOUND, "github: no issue holds %s", marker);
    return SRR_OK;
}

/* The last actor of an event of one name, for srr_github_issue_last_actor. */
typedef struct actor_find {
    const char *event;
    char *login;
} actor_find;

static int actor_item(void *ud, const json_t *ev)
{
    actor_find *f = ud;
    const char *name = json_string_value(json_object_get(ev, "event"));
    const char *who = json_string_value(json_object_get(json_object_get(ev, "actor"), "login"));
    if (name && who && strcmp(name, f->event) == 0) {
        free(f->login); /* events come oldest first: keep the last */
        f->login = srr_strdup(who);
    }
    return 0;
}

srr_rc srr_github_issue_last_actor(srr_github *gh, long long number, const char *event,
                                   char **login, srr_error *err)
{
    char *url = srr_asprintf("%s%s/issues/%lld/events?per_page=100", gh->api, gh->repo, number);
    actor_find f = {event, NULL};
    srr_rc rc = each_item(gh, "issue events", url, GH_MAX_PAGES, actor_item, &f, err);
    *login = f.login;
    if (rc == SRR_OK && !*login)
        rc = srr_error_set(err, SRR_ENOTFOUND, "github: issue #%lld was never %s", number, event);
    return rc;
}
