/* SPDX-License-Identifier: Apache-2.0
 *
 * slack.c - the Slack sink (sink.h): tells a channel what is worth
 * knowing, not every change. It reads what changed in each record since
 * its last delivery (SRR_SINK_CHANGES) and, per batch of due records
 * (deliver_batch: a sweep's or a drain's changes arrive together), sends
 *   - the new drafts as ONE digest (an alert storm is one message),
 *   - investigations promoted to a risk, investigations closed, urgencies
 *     raised: one message per kind of event (a single record gets the
 *     event's own message, several a list),
 * and on a timer (tick) an accepted risk whose review date has come and the
 * weekly reminder of drafts waiting for approval, with their age and the
 * owner the team's load suggests (store/workflow.h). Each kind is
 * switched by its own option (slack_config.c).
 *
 * A record counts as delivered only once the message about it was taken
 * (200 "ok"): a Slack outage, a 429 (its Retry-After honoured by the
 * client's gate, slack_api.c) or a restart delays the message, never loses
 * it; a message Slack refuses (invalid_blocks) parks its records, visible
 * in `srr sync status`. Changes older than slack.history when the sink
 * first ran are history, not news: configuring Slack on a store with months
 * of records does not replay them.
 *
 * Messages carry the record's id, title, urgency, the "why", its Notion
 * page when the Notion sink made one (read from the outbox's store), and
 * the Datadog link (slack_msg.c builds them within Block Kit's limits,
 * & < > escaped).
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "record_views.h"
#include "sink.h"
#include "slack_api.h"
#include "slack_config.h"
#include "slack_msg.h"

#define SLACK_LIST_MAX 200    /* drafts a reminder reads */
#define SLACK_REVIEWS_MAX 500 /* accepted risks a review check reads */
#define SLACK_TICK_S 3600     /* dates are looked at hourly, not every pass */

typedef struct slack_ctx {
    srr_slack_config *o; /* borrowed from the outbox; its secrets resolved by init */
    srr_slack *client;
    int64_t since;     /* changes before this are history (0: not known yet) */
    int64_t next_tick; /* no look at reviews and reminders before this */
} slack_ctx;

/* What one record is worth telling, in message order. */
typedef enum { EV_NONE = -1, EV_DIGEST = 0, EV_PROMOTED, EV_CLOSED, EV_URGENCY, EV__COUNT } ev_kind;

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* ---- the instance ------------------------------------------------------ */

static srr_rc slack_check(const srr_sink_env *env, srr_error *err)
{
    srr_slack_config *o = env->opts;
    srr_rc rc = srr_slack_config_resolve(env->cfg, o, err);
    srr_slack_config_release(o);
    return rc;
}

static void slack_exit(void *ctx)
{
    slack_ctx *c = ctx;
    if (!c)
        return;
    srr_slack_destroy(&c->client);
    srr_slack_config_release(c->o);
    free(c);
}

static srr_rc slack_init(const srr_sink_env *env, void **out, srr_error *err)
{
    slack_ctx *c = srr_calloc(1, sizeof(*c));
    srr_slack_opts so;
    srr_rc rc;
    *out = NULL;
    c->o = env->opts;
    rc = srr_slack_config_resolve(env->cfg, c->o, err);
    if (rc == SRR_OK && srr_slack_config_opts(c->o, &so, err) != SRR_OK)
        rc = SRR_EINVAL; /* no webhook: a configuration error, said at open */
    if (rc == SRR_OK)
        rc = srr_slack_create(&so, &c->client, err);
    if (rc != SRR_OK) {
        slack_exit(c);
        return rc;
    }
    *out = c;
    return SRR_OK;
}

/* The time before which changes are history: set the first time the sink
 * runs (now - slack.history), kept in the store. */
static srr_rc load_since(slack_ctx *c, srr_sink_host *h, srr_error *err)
{
    char *v = NULL, num[32];
    srr_rc rc;
    if (c->since)
        return SRR_OK;
    rc = srr_sink_meta_get(h, "since", &v, err);
    if (rc != SRR_OK)
        return rc;
    if (v) {
        c->since = strtoll(v, NULL, 10);
        free(v);
        return SRR_OK;
    }
    c->since = srr_sink_now(h) - c->o->history_s;
    snprintf(num, sizeof(num), "%lld", (long long)c->since);
    return srr_sink_meta_set(h, "since", num, err);
}

/* The record's page in the sink slack.record_link names (its Notion page),
 * or NULL. Caller frees. */
static char *record_url(slack_ctx *c, srr_sink_host *h, const char *kind, const char *hid)
{
    char *rid = NULL, *url = NULL;
    json_t *state = NULL;
    srr_error err = {0};
    const char *sink = c->o->record_link;
    if (!sink || !*sink || srr_sink_remote_of(h, sink, kind, hid, &rid, &state, &err) != SRR_OK)
        return NULL;
    if (jstr(state, "url")) {
        url = srr_strdup(jstr(state, "url"));
    } else if (rid && strcmp(sink, "notion") == 0) { /* a page's URL is its id without dashes */
        srr_buf b;
        srr_buf_init(&b, 0);
        srr_buf_append(&b, "https://www.notion.so/", 22);
        for (const char *p = rid; *p; p++)
            if (*p != '-')
                srr_buf_append(&b, p, 1);
        url = srr_buf_steal(&b);
    }
    free(rid);
    json_decref(state);
    return url;
}

/* 1 while Slack's Retry-After (or the backoff after a failure) lasts:
 * longer than the spacing between two messages, which post() sleeps. */
static int blocked(const slack_ctx *c)
{
    return srr_slack_retry_at_ms(c->client) > srr_http_now_ms() + c->o->min_interval_s * 1000;
}

/* ---- what a change is worth -------------------------------------------- */

static int urgency_rank(const json_t *v)
{
    static const char *const names[] = {"low", "medium", "high", "critical", NULL};
    const char *s = json_string_value(v);
    if (json_is_integer(v))
        return (int)json_integer_value(v);
    for (int i = 0; s && names[i]; i++)
        if (strcmp(s, names[i]) == 0)
            return i + 1;
    return 0;
}

/* Reads the changes of one record (after the history line) and says what
 * they are worth; *detail (caller frees, may stay NULL) is the event's
 * line ("medium → high", "promoted to SRR-9"), *promoted_to the risk an
 * investigation became. */
static ev_kind classify(const slack_ctx *c, const srr_sink_item *it, char **detail,
                        char **promoted_to)
{
    const char *status = jstr(it->record, "status");
    ev_kind ev = EV_NONE;
    int created = 0, raised = 0;
    const json_t *ch;
    size_t i;
    *detail = NULL;
    *promoted_to = NULL;
    json_array_foreach(it->changes, i, ch)
    {
        const char *action = jstr(ch, "action"), *at = jstr(ch, "at");
        const json_t *before = json_object_get(ch, "before"), *after = json_object_get(ch, "after");
        int64_t t = 0;
        if (!action || !at || srr_time_parse_iso(at, &t) != SRR_OK || t < c->since)
            continue;
        if (strcmp(action, "create") == 0) {
            created = 1;
        } else if (strcmp(action, "promote") == 0 && c->o->on_promoted) {
            ev = EV_PROMOTED;
            free(*promoted_to);
            *promoted_to = jstr(after, "risk") ? srr_strdup(jstr(after, "risk")) : NULL;
            free(*detail);
            *detail = srr_asprintf("The time-box ended while it was still firing: now %s, a draft "
                                   "risk.",
                                   *promoted_to ? *promoted_to : "a risk");
        } else if ((strcmp(action, "close") == 0 ||
                    (strcmp(action, "resolve") == 0 && strcmp(it->kind, "investigation") == 0)) &&
                   c->o->on_closed && ev != EV_PROMOTED) {
            ev = EV_CLOSED;
            free(*detail);
            *detail = srr_asprintf("Closed without a risk: %s.",
                                   jstr(after, "outcome") ? jstr(after, "outcome") : "resolved");
        } else if (json_object_get(after, "urgency") && json_object_get(before, "urgency") &&
                   urgency_rank(json_object_get(after, "urgency")) >
                       urgency_rank(json_object_get(before, "urgency"))) {
            raised = 1;
            free(*detail);
            *detail = srr_asprintf("Urgency %s \xE2\x86\x92 %s.",
                                   jstr(before, "urgency") ? jstr(before, "urgency") : "?",
                                   jstr(after, "urgency") ? jstr(after, "urgency") : "?");
        }
    }
    /* A draft still waiting is news once, in the digest, whatever else
     * happened to it since. */
    if (created && status && strcmp(status, "draft") == 0 &&
        strcmp(it->kind, "investigation") != 0) {
        free(*detail);
        *detail = NULL;
        return c->o->on_new_drafts ? EV_DIGEST : EV_NONE;
    }
    if (ev == EV_NONE && raised && c->o->on_urgency_raised)
        ev = EV_URGENCY;
    if (ev == EV_NONE) {
        free(*detail);
        *detail = NULL;
    }
    return ev;
}

/* ---- messages ---------------------------------------------------------- */

/* The message about the records of one kind of event. items[] borrow. */
static json_t *event_message(ev_kind ev, const srr_slack_item *items, size_t n, const char *detail,
                             long long max_items)
{
    static const char *const heading[EV__COUNT] = {NULL, "Investigations promoted to risks",
                                                   "Investigations closed", "Urgency raised"};
    static const srr_slack_event one[EV__COUNT] = {0, SRR_SLACK_EV_PROMOTED, SRR_SLACK_EV_CLOSED,
                                                   SRR_SLACK_EV_URGENCY};
    if (ev == EV_DIGEST)
        return srr_slack_msg_digest(NULL, items, n, (size_t)max_items);
    if (n == 1)
        return srr_slack_msg_event(one[ev], &items[0], detail);
    return srr_slack_msg_digest(heading[ev], items, n, (size_t)max_items);
}

/* Sends a message; on failure fills *retry_after_s from the client's gate.
 * Slack's "channel gone" and auth refusals stop the sink (SRR_EAUTH):
 * they are the configuration's, not the records'. */
static srr_rc post(slack_ctx *c, const json_t *msg, int64_t *retry_after_s, srr_error *err)
{
    srr_rc rc = srr_slack_post(c->client, msg, err);
    if (rc == SRR_ENOTFOUND)
        rc = srr_error_set(err, SRR_EAUTH, "%s (check the webhook's channel)", err->msg);
    if (rc == SRR_RETRY && retry_after_s) {
        int64_t at = srr_slack_retry_at_ms(c->client), now = srr_http_now_ms();
        *retry_after_s = at > now ? (at - now + 999) / 1000 : 0;
    }
    return rc;
}

/* One group of records, their Slack items and the strings those borrow. */
typedef struct group {
    size_t *idx; /* into the batch */
    srr_slack_item *items;
    char **owned; /* urls and details */
    size_t n, nowned;
    char *detail; /* of a single event */
} group;

static void group_add(group *g, size_t i, srr_slack_item it, char *url, char *detail)
{
    g->idx = srr_realloc(g->idx, (g->n + 1) * sizeof(*g->idx));
    g->items = srr_realloc(g->items, (g->n + 1) * sizeof(*g->items));
    g->owned = srr_realloc(g->owned, (g->nowned + 2) * sizeof(*g->owned));
    g->owned[g->nowned++] = url;
    g->owned[g->nowned++] = detail;
    g->idx[g->n] = i;
    g->items[g->n++] = it;
    if (g->n == 1)
        g->detail = detail;
}

static void group_free(group *g)
{
    for (size_t i = 0; i < g->nowned; i++)
        free(g->owned[i]);
    free(g->owned);
    free(g->items);
    free(g->idx);
    memset(g, 0, sizeof(*g));
}

static void set_result(srr_sink_result *r, srr_rc rc, const char *msg, int64_t retry_after_s)
{
    r->rc = rc;
    r->retry_after_s = retry_after_s;
    if (rc != SRR_OK)
        r->error = srr_strdup(msg);
}

/* 1 when `hid` is among the n risks (may be NULL) investigations became. */
static int promoted_in(char *const *promoted, size_t n, const char *hid)
{
    for (size_t i = 0; i < n; i++)
        if (promoted[i] && strcmp(promoted[i], hid) == 0)
            return 1;
    return 0;
}

/* Sorts the batch into groups by what each record is worth (g[EV_*]);
 * records worth nothing are delivered as they are (res[i].rc SRR_OK). */
static void sort_batch(slack_ctx *c, srr_sink_host *h, const srr_sink_item *items, size_t n,
                       srr_sink_result *res, group g[EV__COUNT])
{
    ev_kind *ev = srr_calloc(n ? n : 1, sizeof(*ev));
    char **detail = srr_calloc(n ? n : 1, sizeof(*detail));
    char **promoted = srr_calloc(n ? n : 1, sizeof(*promoted));
    size_t i;
    for (i = 0; i < n; i++) {
        res[i].rc = SRR_OK;
        ev[i] = classify(c, &items[i], &detail[i], &promoted[i]);
    }
    for (i = 0; i < n; i++) {
        char *url;
        srr_slack_item it;
        /* A risk an investigation became in this batch is told by the
         * promotion, not as a new draft too. */
        if (ev[i] == EV_NONE || (ev[i] == EV_DIGEST && promoted_in(promoted, n, items[i].hid))) {
            free(detail[i]);
            continue;
        }
        url = record_url(c, h, items[i].kind, items[i].hid);
        it = srr_slack_item_of(items[i].record, url);
        if (ev[i] != EV_DIGEST && detail[i])
            it.why = detail[i];
        group_add(&g[ev[i]], i, it, url, detail[i]); /* takes url and detail */
    }
    for (i = 0; i < n; i++)
        free(promoted[i]);
    free(promoted);
    free(detail);
    free(ev);
}

static srr_rc slack_deliver_batch(void *ctx, srr_sink_host *h, const srr_sink_item *items, size_t n,
                                  srr_sink_result *res, srr_error *err)
{
    slack_ctx *c = ctx;
    group g[EV__COUNT];
    size_t j, k;
    int stopped = 0;
    srr_rc rc;
    if (blocked(c)) {
        /* Slack said to wait (429 Retry-After) or is backing off: nothing
         * is tried, nothing counts as a failure; due again next pass. */
        for (j = 0; j < n; j++)
            res[j].skipped = 1;
        return SRR_OK;
    }
    rc = load_since(c, h, err);
    if (rc != SRR_OK)
        return rc;
    memset(g, 0, sizeof(g));
    sort_batch(c, h, items, n, res, g);
    for (k = 0; k < EV__COUNT; k++) { /* one message per kind, in order */
        srr_error merr = {0};
        int64_t ra = 0;
        json_t *msg;
        srr_rc mrc;
        if (g[k].n == 0)
            continue;
        if (stopped) { /* the next pass sends it */
            for (j = 0; j < g[k].n; j++)
                res[g[k].idx[j]].skipped = 1;
            continue;
        }
        msg = event_message((ev_kind)k, g[k].items, g[k].n, g[k].detail, c->o->digest_max_items);
        mrc = post(c, msg, &ra, &merr);
        json_decref(msg);
        if (mrc == SRR_OK)
            srr_info("slack: sent %s of %zu record%s", k == EV_DIGEST ? "a digest" : "a message",
                     g[k].n, g[k].n == 1 ? "" : "s");
        for (j = 0; j < g[k].n; j++)
            set_result(&res[g[k].idx[j]], mrc, merr.msg, ra);
        stopped = mrc != SRR_OK && mrc != SRR_EINVAL; /* a refused message parks only its own */
    }
    for (k = 0; k < EV__COUNT; k++)
        group_free(&g[k]);
    return SRR_OK;
}

/* ---- on a timer: reviews come due, the weekly reminder ----------------- */

static int64_t iso_time(const json_t *rec, const char *key)
{
    int64_t t = 0;
    const char *s = jstr(rec, key);
    if (!s || srr_time_parse_iso(s, &t) != SRR_OK)
        return 0;
    return t;
}

/* Accepted risks whose review date has come and was not told yet (one
 * message; each date told once, kept in the sink's meta). */
static srr_rc reviews_due(slack_ctx *c, srr_sink_host *h, int64_t now, srr_error *err)
{
    json_t *risks = NULL, *rec;
    group g;
    char **keys = NULL, **vals = NULL;
    size_t i, nk = 0;
    srr_rc rc = srr_sink_records(h, "risk", "accepted", SLACK_REVIEWS_MAX, &risks, err);
    if (rc != SRR_OK)
        return rc;
    memset(&g, 0, sizeof(g));
    json_array_foreach(risks, i, rec)
    {
        int64_t due = iso_time(rec, "next_review_at");
        char *key, *seen = NULL;
        if (!due || due > now)
            continue;
        key = srr_asprintf("review:%s", jstr(rec, "id"));
        rc = srr_sink_meta_get(h, key, &seen, err);
        if (rc == SRR_OK && !(seen && strcmp(seen, jstr(rec, "next_review_at")) == 0)) {
            char *url = record_url(c, h, "risk", jstr(rec, "id"));
            char *detail = srr_asprintf("Accepted until %.10s: review it (accept it again with "
                                        "a new date, or reopen it).",
                                        jstr(rec, "next_review_at"));
            srr_slack_item it = srr_slack_item_of(rec, url);
            it.why = detail;
            group_add(&g, i, it, url, detail);
            keys = srr_realloc(keys, (nk + 1) * sizeof(*keys));
            vals = srr_realloc(vals, (nk + 1) * sizeof(*vals));
            keys[nk] = key;
            vals[nk++] = srr_strdup(jstr(rec, "next_review_at"));
            key = NULL;
        }
        free(key);
        free(seen);
        if (rc != SRR_OK)
            break;
    }
    if (rc == SRR_OK && g.n > 0) {
        json_t *msg = g.n == 1 ? srr_slack_msg_event(SRR_SLACK_EV_REVIEW_DUE, &g.items[0], g.detail)
                               : srr_slack_msg_digest("Accepted risks due for review", g.items, g.n,
                                                      (size_t)c->o->digest_max_items);
        rc = post(c, msg, NULL, err);
        json_decref(msg);
        for (i = 0; rc == SRR_OK && i < nk; i++) /* told: not again for that date */
            rc = srr_sink_meta_set(h, keys[i], vals[i], err);
    }
    for (i = 0; i < nk; i++) {
        free(keys[i]);
        free(vals[i]);
    }
    free(keys);
    free(vals);
    group_free(&g);
    json_decref(risks);
    return rc;
}

/* Drafts (risks, backlog items) older than reminder_min_age, oldest first,
 * with their suggested owner, once every reminder_every. */
static srr_rc reminder(slack_ctx *c, srr_sink_host *h, int64_t now, srr_error *err)
{
    static const char *const kinds[] = {"risk", "backlog"};
    json_t *lists[2] = {NULL, NULL}, *rec;
    char *last = NULL, num[32];
    group g;
    size_t i, k;
    srr_rc rc;
    if (c->o->reminder_every_s <= 0)
        return SRR_OK;
    rc = srr_sink_meta_get(h, "reminder_at", &last, err);
    if (rc != SRR_OK)
        return rc;
    if (last && now - strtoll(last, NULL, 10) < c->o->reminder_every_s) {
        free(last);
        return SRR_OK;
    }
    free(last);
    memset(&g, 0, sizeof(g));
    for (k = 0; rc == SRR_OK && k < 2; k++)
        rc = srr_sink_records(h, kinds[k], "draft", SLACK_LIST_MAX, &lists[k], err);
    for (k = 0; rc == SRR_OK && k < 2; k++) {
        json_array_foreach(lists[k], i, rec)
        {
            int64_t created = iso_time(rec, "created_at");
            char *url, *who = NULL;
            srr_slack_item it;
            if (!created || now - created < c->o->reminder_min_age_s)
                continue;
            if (!jstr(rec, "assignee")) {
                rc = srr_sink_suggest(h, jstr(rec, "id"), &who, err);
                if (rc != SRR_OK)
                    break;
            }
            url = record_url(c, h, kinds[k], jstr(rec, "id"));
            it = srr_slack_item_of(rec, url);
            if (who)
                it.owner = who;
            group_add(&g, i, it, url, who);
        }
    }
    if (rc == SRR_OK && g.n == 0) { /* nothing waits long enough: look again later */
        group_free(&g);
        json_decref(lists[0]);
        json_decref(lists[1]);
        return SRR_OK;
    }
    if (rc == SRR_OK) {
        /* oldest first, whatever their kind */
        for (i = 1; i < g.n; i++)
            for (size_t j = i; j > 0 && g.items[j].created_at < g.items[j - 1].created_at; j--) {
                srr_slack_item t = g.items[j];
                g.items[j] = g.items[j - 1];
                g.items[j - 1] = t;
            }
        json_t *msg = srr_slack_msg_reminder(g.items, g.n, now);
        rc = post(c, msg, NULL, err);
        json_decref(msg);
    }
    if (rc == SRR_OK) {
        snprintf(num, sizeof(num), "%lld", (long long)now);
        rc = srr_sink_meta_set(h, "reminder_at", num, err);
    }
    group_free(&g);
    json_decref(lists[0]);
    json_decref(lists[1]);
    return rc;
}

static srr_rc slack_tick(void *ctx, srr_sink_host *h, int64_t now, srr_error *err)
{
    slack_ctx *c = ctx;
    srr_rc rc = SRR_OK;
    if (now < c->next_tick || blocked(c))
        return SRR_OK; /* not yet, or rate limited: deliveries say why */
    if (c->o->on_review_due)
        rc = reviews_due(c, h, now, err);
    if (rc == SRR_OK)
        rc = reminder(c, h, now, err);
    if (rc == SRR_OK)
        c->next_tick = now + SLACK_TICK_S;
    return rc;
}

const srr_sink_plugin srr_sink_slack = {
    .name = "slack",
    .description = "a digest of new drafts and the events worth telling, in a Slack channel",
    .options = srr_slack_options,
    .options_size = sizeof(srr_slack_config),
    .sections = NULL,
    .flags = SRR_SINK_CHANGES,
    .batch_max = 1000,
    .check = slack_check,
    .init = slack_init,
    .deliver = NULL,
    .deliver_batch = slack_deliver_batch,
    .poll = NULL,
    .tick = slack_tick,
    .setup = NULL,
    .exit = slack_exit,
};
