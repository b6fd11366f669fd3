/* SPDX-License-Identifier: Apache-2.0
 *
 * engine.c - runs the Datadog client's tasks (see dd_internal.h) to their
 * end: concurrently over the libcurl multi interface in LIVE and RECORD
 * modes, one answer file after the other in REPLAY mode.
 *
 * The loop, in order of concern:
 *   - a task starts only after the task before it with the same key (check)
 *     has ended, so each check's requests keep their order and recordings
 *     number them the same way in every run;
 *   - at most max_concurrency requests are in flight (one easy handle per
 *     slot, all attached to one multi handle whose connection cache keeps
 *     connections alive between requests);
 *   - rate limits: every answer's X-RateLimit-Limit/-Period/-Remaining/
 *     -Reset/-Name updates the bucket of its name; a request starts only
 *     while the bucket has requests left after those in flight, else it
 *     waits until the announced reset (+ DD_RESET_MARGIN_MS). A path whose
 *     bucket is not known yet gets one request at a time (the probe) until
 *     an answer says which bucket it counts against (or that it has none);
 *     meanwhile it is held by the bucket of a known path of its family
 *     (/api/v2/logs/...: search and aggregate may share one limit), and no
 *     two unknown paths of one family probe at once. So against a server
 *     that announces its limit, no request is sent past it. A probe that
 *     has not been answered within DD_PROBE_HOLD_MS stops holding the
 *     others, and one that ends without an answer (a timeout) ends probing
 *     on its path: hung requests must not run one at a time;
 *   - failures: 429 waits the announced Reset (or backs off when the header
 *     is missing; the body is never read); 5xx, timeouts and connection
 *     errors back off exponentially from backoff_ms with full jitter in
 *     [d/2, d]; both bounded by max_attempts and retry_max_time, and a reset
 *     further away than rate_limit_max_wait fails the task at once. 4xx
 *     other than 429 end the task with Datadog's errors[]. A host name
 *     that does not resolve fails at once (SRR_EIO naming the host and the
 *     site): a wrong datadog.site does not heal with retries. A task may
 *     ask that a 5xx end it unretried (a v2 batch asks its members alone);
 *   - the time requests were held by rate limits is counted as wall time
 *     (while at least one request is held), not summed over requests.
 *
 * $SRR_TEST_TIME_SCALE (a factor, e.g. 0.01) shrinks backoff sleeps so tests
 * run fast; announced resets are never scaled (that would send requests
 * past the limit). Everything runs on the caller's thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dd_internal.h"
#include "log.h"

#define DD_RESET_MARGIN_MS 100
#define DD_BACKOFF_CAP_MS 60000
#define DD_POLL_MAX_MS 1000

enum { T_NEW = 0, T_READY, T_WAITING, T_RUNNING, T_DONE };

typedef struct dd_slot {
    CURL *h;
    dd_task *t; /* NULL when the slot is free */
    dd_answer a;
    char *url;
    char *body;
    dd_route *route;
    dd_bucket *bucket; /* counted in bucket->inflight */
    int probe;
    char errbuf[CURL_ERROR_SIZE];
} dd_slot;

struct dd_engine {
    srr_dd_client *c;
    dd_task **tasks;
    size_t n, cap, ndone;
    dd_slot *slots;
    int nslots, running;
    int64_t last_progress_ms;
    int rl_holding;            /* tasks held by a rate limit right now */
    int64_t rl_hold_since_ms;  /* since when at least one is */
};

int64_t dd_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

srr_dd_client *dd_engine_client(dd_engine *e)
{
    return e->c;
}

dd_engine *dd_engine_create(srr_dd_client *c)
{
    dd_engine *e = srr_calloc(1, sizeof(*e));
    e->c = c;
    if (c->mode != SRR_DD_REPLAY) {
        e->nslots = c->max_concurrency;
        e->slots = srr_calloc((size_t)e->nslots, sizeof(dd_slot));
        for (int i = 0; i < e->nslots; i++)
            e->slots[i].h = c->easy[i];
    }
    return e;
}

void dd_engine_add(dd_engine *e, dd_task *t)
{
    t->eng = e;
    t->state = T_NEW;
    t->req.check = t->key;
    /* Chain behind the last task of the same key. */
    for (size_t i = e->n; i-- > 0;) {
        if (strcmp(e->tasks[i]->key, t->key) == 0) {
            t->after = e->tasks[i];
            break;
        }
    }
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        e->tasks = srr_realloc(e->tasks, e->cap * sizeof(*e->tasks));
    }
    e->tasks[e->n++] = t;
}

void dd_engine_destroy(dd_engine **ep)
{
    if (!ep || !*ep)
        return;
    dd_engine *e = *ep;
    for (int i = 0; i < e->nslots; i++) {
        dd_slot *s = &e->slots[i];
        if (s->t && e->c->multi)
            curl_multi_remove_handle(e->c->multi, s->h);
        dd_answer_free(&s->a);
        free(s->url);
        free(s->body);
    }
    for (size_t i = 0; i < e->n; i++)
        e->tasks[i]->ops->destroy(e->tasks[i]);
    free(e->tasks);
    free(e->slots);
    free(e);
    *ep = NULL;
}

/* ---- rate-limit bookkeeping ------------------------------------------------ */

/* The family of a path: its first three segments ("/api/v2/logs" of
 * "/api/v2/logs/events/search"). */
static char *family_of(const char *path)
{
    const char *p = path;
    for (int seg = 0; seg < 3 && *p; seg++) {
        p++; /* the '/' */
        while (*p && *p != '/')
            p++;
    }
    return srr_strndup(path, (size_t)(p - path));
}

static dd_route *route_get(srr_dd_client *c, const char *path)
{
    for (dd_route *r = c->routes; r; r = r->next)
        if (strcmp(r->path, path) == 0)
            return r;
    dd_route *r = srr_calloc(1, sizeof(*r));
    r->path = srr_strdup(path);
    r->family = family_of(path);
    r->next = c->routes;
    c->routes = r;
    return r;
}

/* For a route whose bucket is not known yet: the bucket of a known route of
 * its family (the request is held by it and counted in it), or NULL. */
static dd_bucket *family_bucket(srr_dd_client *c, const dd_route *route)
{
    for (dd_route *r = c->routes; r; r = r->next)
        if (r != route && r->known && r->bucket && strcmp(r->family, route->family) == 0)
            return r->bucket;
    return NULL;
}

/* 1 when an unknown route of route's family (route itself included) has a
 * probe in flight that still holds the others back. */
static int family_probing(srr_dd_client *c, const dd_route *route, int64_t now)
{
    for (dd_route *r = c->routes; r; r = r->next)
        if (!r->known && r->probing && now - r->probe_since_ms < DD_PROBE_HOLD_MS &&
            strcmp(r->family, route->family) == 0)
            return 1;
    return 0;
}

static dd_bucket *bucket_get(srr_dd_client *c, const char *name)
{
    for (dd_bucket *b = c->buckets; b; b = b->next)
        if (strcmp(b->name, name) == 0)
            return b;
    dd_bucket *b = srr_calloc(1, sizeof(*b));
    b->name = srr_strdup(name);
    b->remaining = -1;
    b->next = c->buckets;
    c->buckets = b;
    return b;
}

/* Learns from one answer's headers which bucket `route` counts against and
 * how much of it is left. Answers of one period may arrive out of order, so
 * within a period the lowest Remaining wins. */
static void learn_limits(srr_dd_client *c, dd_route *route, const dd_answer *a, int64_t now)
{
    int has = a->rl_remaining >= 0 || a->rl_limit >= 0 || a->rl_name[0];
    route->known = 1;
    if (!has) {
        return; /* this answer says nothing: keep what an earlier one said */
    }
    dd_bucket *b = bucket_get(c, a->rl_name[0] ? a->rl_name : route->path);
    route->bucket = b;
    if (a->rl_limit > 0)
        b->limit = a->rl_limit;
    if (a->rl_period_s > 0)
        b->period_s = a->rl_period_s;
    if (a->rl_remaining < 0)
        return;
    int64_t reset_at = now + (a->ratelimit_reset_s >= 0 ? a->ratelimit_reset_s * 1000
                                                        : (b->period_s > 0 ? b->period_s : 1) * 1000);
    int64_t half = (b->period_s > 0 ? b->period_s * 1000 : 1000) / 2;
    if (b->remaining < 0 || reset_at > b->reset_at_ms + half) {
        b->remaining = a->rl_remaining; /* first news, or a new period */
        b->reset_at_ms = reset_at;
    } else if (reset_at >= b->reset_at_ms - half) {
        if (a->rl_remaining < b->remaining)
            b->remaining = a->rl_remaining;
    } /* else: an answer of an older period arriving late */
}

/* Returns 0 when a request on `b` may start now, else the monotonic time to
 * wait for. */
static int64_t bucket_gate(dd_bucket *b, int64_t now)
{
    if (!b || b->remaining < 0)
        return b && b->inflight > 0 ? now + 10 : 0; /* no count yet: one at a time */
    if (b->remaining - b->inflight > 0)
        return 0;
    if (now >= b->reset_at_ms + DD_RESET_MARGIN_MS) {
        if (b->inflight > 0)
            return now + 10; /* let the answers in flight tell the new count */
        /* A new period has begun: assume the full limit until told. */
        b->remaining = b->limit > 0 ? b->limit : 1;
        b->reset_at_ms = now + (b->period_s > 0 ? b->period_s : 1) * 1000;
        return 0;
    }
    return b->reset_at_ms + DD_RESET_MARGIN_MS;
}

/* ---- progress ---------------------------------------------------------------- */

static void progress(dd_engine *e, int force)
{
    srr_dd_client *c = e->c;
    if (!c->progress)
        return;
    int64_t now = dd_mono_ms();
    if (!force && now - e->last_progress_ms < 200)
        return;
    e->last_progress_ms = now;
    char waitbuf[160] = "";
    for (dd_bucket *b = c->buckets; b; b = b->next) {
        if (b->remaining >= 0 && b->remaining - b->inflight <= 0 && b->reset_at_ms > now) {
            snprintf(waitbuf, sizeof waitbuf, "; waiting %.1f s for rate limit '%s'",
                     (double)(b->reset_at_ms - now) / 1000.0, b->name);
            break;
        }
    }
    fprintf(stderr, "\r\033[Ksrr: requests %lu done, %d in flight; tasks %zu/%zu done%s",
            c->stats.requests, e->running, e->ndone, e->n, waitbuf);
    fflush(stderr);
}

/* ---- rate-limit wall time ------------------------------------------------------ */

/* A request begins / stops being held by a rate limit. The client's
 * rl_wait_ms grows by the time during which at least one request is held. */
static void rl_hold(dd_engine *e, dd_task *t, int64_t now)
{
    if (t->rl_held)
        return;
    t->rl_held = 1;
    if (e->rl_holding++ == 0)
        e->rl_hold_since_ms = now;
}

static void rl_release(dd_engine *e, dd_task *t, int64_t now)
{
    if (!t->rl_held)
        return;
    t->rl_held = 0;
    if (--e->rl_holding == 0)
        e->c->stats.rl_wait_ms += now - e->rl_hold_since_ms;
}

/* ---- task outcomes ------------------------------------------------------------ */

static void finish(dd_engine *e, dd_task *t, srr_rc rc, const srr_error *err)
{
    rl_release(e, t, dd_mono_ms());
    t->state = T_DONE;
    e->ndone++;
    if (rc != SRR_OK)
        e->c->stats.failed_tasks++;
    t->ops->done(t, rc, err);
}

static long backoff_for(srr_dd_client *c, int attempt)
{
    double d = (double)c->backoff_ms;
    for (int i = 1; i < attempt && d < DD_BACKOFF_CAP_MS; i++)
        d *= 2;
    if (d > DD_BACKOFF_CAP_MS)
        d = DD_BACKOFF_CAP_MS;
    /* full jitter in [d/2, d] */
    c->rng = c->rng * 1103515245u + 12345u;
    double j = d / 2 + (d / 2) * (double)((c->rng >> 8) & 0xffff) / 65535.0;
    return (long)(j * c->time_scale);
}

/* Decides what follows an attempt of t's current request whose outcome is
 * rc (with the answer `a`, status 0 when none arrived). */
static void outcome(dd_engine *e, dd_task *t, srr_rc rc, const dd_answer *a, srr_error *err)
{
    srr_dd_client *c = e->c;
    int64_t now = dd_mono_ms();
    if (rc == SRR_OK) {
        rc = t->ops->answer(t, a, err);
        if (rc != SRR_OK) {
            finish(e, t, rc, err);
            return;
        }
        t->state = T_NEW; /* next() tells whether more follows */
        return;
    }
    if (rc == SRR_RETRY && t->split_on_5xx && a->status >= 500) {
        finish(e, t, rc, err); /* the task asks its parts alone instead */
        return;
    }
    if (rc != SRR_RETRY || t->attempt >= c->max_attempts) {
        if (rc == SRR_RETRY && c->max_attempts > 1)
            srr_error_prefix(err, "gave up after %d attempts", t->attempt);
        finish(e, t, rc, err);
        return;
    }
    int64_t wait;
    if (a->status == 429 && a->ratelimit_reset_s >= 0) {
        wait = (a->ratelimit_reset_s > 0 ? a->ratelimit_reset_s : 1) * 1000 + DD_RESET_MARGIN_MS;
        if (wait > c->rl_max_wait_ms) {
            srr_error_set(err, SRR_RETRY,
                          "check '%s': Datadog rate limit reached (HTTP 429) and it resets in "
                          "%lld s, longer than datadog.rate_limit_max_wait (%lld s)",
                          t->key, a->ratelimit_reset_s, (long long)(c->rl_max_wait_ms / 1000));
            finish(e, t, SRR_RETRY, err);
            return;
        }
        /* Hold every request of that limit, not only this one. */
        dd_route *r = route_get(c, t->req.path);
        if (r->bucket) {
            r->bucket->remaining = 0;
            if (r->bucket->reset_at_ms < now + wait - DD_RESET_MARGIN_MS)
                r->bucket->reset_at_ms = now + wait - DD_RESET_MARGIN_MS;
        }
        if (c->mode != SRR_DD_REPLAY) {
            if (!t->waited_rl) {
                t->waited_rl = 1;
                c->stats.rl_waits++;
            }
            rl_hold(e, t, now);
        }
    } else {
        wait = backoff_for(c, t->attempt);
    }
    if (c->mode == SRR_DD_REPLAY)
        wait = 0;
    if (now + wait - t->first_try_ms > c->retry_max_ms) {
        srr_error_prefix(err, "gave up after %d attempts (datadog.retry_max_time is %lld s)",
                         t->attempt, (long long)(c->retry_max_ms / 1000));
        finish(e, t, SRR_RETRY, err);
        return;
    }
    srr_warn("%s (attempt %d of %d; retrying in %lld ms)", err->msg, t->attempt, c->max_attempts,
             (long long)wait);
    c->stats.retries++;
    t->not_before_ms = now + wait;
    t->state = T_READY;
}

/* Moves a NEW task to READY (asking it for its next request) or DONE. */
static int prepare(dd_engine *e, dd_task *t)
{
    if (t->state != T_NEW)
        return 1;
    if (!t->ops->next(t)) {
        finish(e, t, SRR_OK, NULL);
        return 0;
    }
    t->req.check = t->key;
    t->state = T_READY;
    t->attempt = 0;
    t->last_status = 0;
    t->waited_rl = 0;
    t->first_try_ms = dd_mono_ms();
    t->not_before_ms = 0;
    return 1;
}

static int runnable(const dd_task *t)
{
    return t->state != T_DONE && t->state != T_RUNNING && (!t->after || t->after->state == T_DONE);
}

/* ---- replay ------------------------------------------------------------------- */

static srr_rc run_replay(dd_engine *e)
{
    srr_dd_client *c = e->c;
    while (e->ndone < e->n) {
        int moved = 0;
        for (size_t i = 0; i < e->n; i++) {
            dd_task *t = e->tasks[i];
            if (!runnable(t) || !prepare(e, t)) {
                moved |= t->state == T_DONE;
                continue;
            }
            dd_answer a;
            srr_error err = {0};
            dd_answer_init(&a, (size_t)c->max_response_bytes);
            t->attempt++;
            c->stats.requests++;
            srr_rc rc = dd_replay(c, &t->req, &a, &err);
            if (rc == SRR_OK) {
                if (a.status == 429)
                    c->stats.http_429++;
                t->last_status = a.status;
                rc = dd_classify(t->key, &a, &err);
                outcome(e, t, rc, &a, &err);
            } else {
                finish(e, t, rc, &err); /* the recording itself is at fault */
            }
            dd_answer_free(&a);
            moved = 1;
        }
        if (!moved)
            break; /* cannot happen: chains always end */
    }
    return SRR_OK;
}

/* ---- live --------------------------------------------------------------------- */

static char *build_url(const srr_dd_client *c, const dd_request *req)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    (void)srr_buf_printf(&b, "%s%s", c->base_url, req->path);
    const char *k;
    json_t *v;
    char sep = '?';
    json_object_foreach(req->query, k, v)
    {
        (void)srr_buf_append(&b, &sep, 1);
        dd_urlencode(&b, k);
        (void)srr_buf_append(&b, "=", 1);
        dd_urlencode(&b, json_string_value(v));
        sep = '&';
    }
    return srr_buf_steal(&b);
}

/* Sends t's request on slot s. `bucket` (may be NULL) is the bucket the
 * request counts against while in flight (the route's, or for a route not
 * known yet, its family's); `probe` marks the request that will tell which
 * bucket the route counts against. */
static srr_rc start(dd_engine *e, dd_slot *s, dd_task *t, dd_route *route, dd_bucket *bucket,
                    int probe, srr_error *err)
{
    srr_dd_client *c = e->c;
    CURL *h = s->h;
    dd_answer_free(&s->a);
    dd_answer_init(&s->a, (size_t)c->max_response_bytes);
    free(s->url);
    free(s->body);
    s->body = NULL;
    s->url = build_url(c, &t->req);
    s->errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, s->url);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s->a);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &s->a);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(h, CURLOPT_PRIVATE, s);
    if (t->req.body) {
        s->body = json_dumps(t->req.body, JSON_COMPACT);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, s->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(s->body));
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdr_post);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdr_get);
    }
    CURLMcode mc = curl_multi_add_handle(c->multi, h);
    if (mc != CURLM_OK)
        return srr_error_set(err, SRR_EIO, "libcurl: cannot start a transfer: %s",
                             curl_multi_strerror(mc));
    s->t = t;
    s->route = route;
    s->probe = probe;
    if (probe) {
        route->probing = 1;
        route->probe_since_ms = dd_mono_ms();
    }
    s->bucket = bucket;
    if (s->bucket)
        s->bucket->inflight++;
    rl_release(e, t, dd_mono_ms());
    t->state = T_RUNNING;
    t->attempt++;
    c->stats.requests++;
    e->running++;
    if (e->running > c->stats.peak_inflight)
        c->stats.peak_inflight = e->running;
    return SRR_OK;
}

/* The host name of a base URL ("api.datadoghq.eu" of
 * "https://api.datadoghq.eu:443/x") into out. */
static void host_of(const char *url, char *out, size_t n)
{
    const char *p = strstr(url ? url : "", "://");
    p = p ? p + 3 : (url ? url : "");
    size_t len = strcspn(p, ":/?#");
    snprintf(out, n, "%.*s", (int)len, p);
}

static void complete(dd_engine *e, dd_slot *s, CURLcode cc)
{
    srr_dd_client *c = e->c;
    dd_task *t = s->t;
    srr_error err = {0};
    srr_rc rc = SRR_OK;
    int64_t now = dd_mono_ms();
    curl_multi_remove_handle(c->multi, s->h);
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, NULL);
    s->t = NULL;
    e->running--;
    if (s->probe) {
        s->route->probing = 0;
        if (cc != CURLE_OK)
            s->route->probe_gave_up = 1; /* a hung path must not serialise the run */
    }
    if (s->bucket)
        s->bucket->inflight--;
    if (cc == CURLE_WRITE_ERROR) {
        rc = srr_error_set(&err, SRR_EIO,
                           "check '%s': Datadog's answer to %s %s is larger than "
                           "datadog.max_response_bytes (%lld bytes); aborted (narrow the query "
                           "or raise the limit)",
                           t->key, t->req.method, t->req.path, c->max_response_bytes);
        s->a.status = 0;
    } else if (cc == CURLE_COULDNT_RESOLVE_HOST) {
        /* A wrong site does not heal with retries: say which host and why. */
        char host[256];
        host_of(c->base_url, host, sizeof host);
        if (c->api_url_set || !c->site)
            rc = srr_error_set(&err, SRR_EIO,
                               "check '%s': cannot resolve the Datadog host '%s' of "
                               "datadog.api_url (%s): %s",
                               t->key, host, c->base_url,
                               s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc));
        else
            rc = srr_error_set(&err, SRR_EIO,
                               "check '%s': cannot resolve the Datadog host '%s' of site '%s' "
                               "(datadog.site or $DD_SITE; sites: datadoghq.com, "
                               "us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu, "
                               "ap1.datadoghq.com, ap2.datadoghq.com, ddog-gov.com, ...): %s",
                               t->key, host, c->site,
                               s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc));
        s->a.status = 0;
    } else if (cc != CURLE_OK) {
        rc = srr_error_set(&err, SRR_RETRY, "check '%s': %s %s%s failed: %s", t->key,
                           t->req.method, c->base_url, t->req.path,
                           s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc));
        s->a.status = 0;
    } else {
        curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->a.status);
        t->last_status = s->a.status;
        learn_limits(c, s->route, &s->a, now);
        if (s->a.status == 429)
            c->stats.http_429++;
        if (c->mode == SRR_DD_RECORD)
            rc = dd_record(c, &t->req, &s->a, &err);
        if (rc == SRR_OK)
            rc = dd_classify(t->key, &s->a, &err);
        else
            t->attempt = c->max_attempts; /* a recording failure is not retried */
    }
    outcome(e, t, rc, &s->a, &err);
}

/* Starts every task that may go now, in order, while slots are free: a
 * task whose route's rate limit is used up waits (or fails when the wait
 * is longer than datadog.rate_limit_max_wait), an unknown route of a
 * family being probed waits for the probe. Lowers *wake to when a waiting
 * task may go. Returns SRR_OK, or the error of a request that could not
 * be started. */
static srr_rc start_due(dd_engine *e, int64_t now, int64_t *wake, srr_error *err)
{
    srr_dd_client *c = e->c;
    for (size_t i = 0; i < e->n && e->running < e->nslots; i++) {
        dd_task *t = e->tasks[i];
        if (!runnable(t) || !prepare(e, t))
            continue;
        if (t->not_before_ms > now) {
            *wake = t->not_before_ms < *wake ? t->not_before_ms : *wake;
            continue;
        }
        dd_route *route = route_get(c, t->req.path);
        dd_bucket *gate = route->bucket;
        int probe = 0;
        if (!route->known) {
            if (!route->probe_gave_up && family_probing(c, route, now)) {
                *wake = now + 50 < *wake ? now + 50 : *wake;
                continue;
            }
            gate = family_bucket(c, route);
            probe = !route->probing && !route->probe_gave_up;
        }
        int64_t until = bucket_gate(gate, now);
        if (until) {
            if (until - now > c->rl_max_wait_ms) {
                srr_error ferr;
                srr_error_set(&ferr, SRR_RETRY,
                              "check '%s': Datadog rate limit '%s' is used up and resets "
                              "in %lld s, longer than datadog.rate_limit_max_wait (%lld s)",
                              t->key, gate->name, (long long)((until - now) / 1000),
                              (long long)(c->rl_max_wait_ms / 1000));
                finish(e, t, SRR_RETRY, &ferr);
                continue;
            }
            if (until - now > 10) {
                if (!t->waited_rl) {
                    t->waited_rl = 1;
                    c->stats.rl_waits++;
                }
                rl_hold(e, t, now);
            }
            *wake = until < *wake ? until : *wake;
            continue;
        }
        dd_slot *s = NULL;
        for (int k = 0; k < e->nslots && !s; k++)
            if (!e->slots[k].t)
                s = &e->slots[k];
        if (!s)
            break;
        srr_rc rc = start(e, s, t, route, gate, probe, err);
        if (rc != SRR_OK)
            return rc;
    }
    return SRR_OK;
}

/* Waits until `wake` or a transfer's progress (a plain sleep when nothing
 * runs), then completes every transfer that finished. Returns SRR_EIO when
 * libcurl fails. */
static srr_rc wait_and_collect(dd_engine *e, int64_t wake, srr_error *err)
{
    srr_dd_client *c = e->c;
    int still = 0;
    int timeout = (int)(wake - dd_mono_ms());
    if (timeout < 0)
        timeout = 0;
    if (e->running == 0) {
        if (timeout > 0) {
            struct timespec ts = {timeout / 1000, (long)(timeout % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        return SRR_OK;
    }
    CURLMcode mc = curl_multi_poll(c->multi, NULL, 0, timeout, NULL);
    if (mc == CURLM_OK)
        mc = curl_multi_perform(c->multi, &still);
    if (mc != CURLM_OK)
        return srr_error_set(err, SRR_EIO, "libcurl: %s", curl_multi_strerror(mc));
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        dd_slot *s = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        CURLcode cc = m->data.result;
        if (s && s->t)
            complete(e, s, cc);
    }
    return SRR_OK;
}

static srr_rc run_live(dd_engine *e, srr_error *err)
{
    srr_dd_client *c = e->c;
    srr_rc rc = SRR_OK;
    while (e->ndone < e->n) {
        int64_t now = dd_mono_ms(), wake = now + DD_POLL_MAX_MS;
        if ((rc = start_due(e, now, &wake, err)) != SRR_OK)
            goto fail;
        progress(e, 0);
        if (e->ndone >= e->n)
            break;
        if ((rc = wait_and_collect(e, wake, err)) != SRR_OK)
            goto fail;
    }
    progress(e, 1);
    if (c->progress)
        fputc('\n', stderr);
    return SRR_OK;
fail:
    for (int k = 0; k < e->nslots; k++) {
        dd_slot *s = &e->slots[k];
        if (s->t) {
            curl_multi_remove_handle(c->multi, s->h);
            s->t->state = T_READY;
            s->t = NULL;
        }
    }
    for (size_t i = 0; i < e->n; i++)
        if (e->tasks[i]->state != T_DONE)
            finish(e, e->tasks[i], rc, err);
    return rc;
}

srr_rc dd_engine_run(dd_engine *e, srr_error *err)
{
    srr_error local;
    if (!err)
        err = &local;
    if (e->c->mode == SRR_DD_REPLAY)
        return run_replay(e);
    return run_live(e, err);
}
