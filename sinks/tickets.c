/* SPDX-License-Identifier: Apache-2.0
 *
 * tickets.c - the ticket sink (sink.h): a backlog item an engineer accepts
 * with `srr backlog accept ID --ticket` (or any accepted item without a
 * link when tickets.auto is set) becomes a ticket in the team's tracker,
 * GitHub Issues or Jira Cloud, whichever the config has (tickets.tracker
 * when it has both). The ticket is written from the record (title,
 * overview, why srr drafted it, the evidence, the Datadog links:
 * record_views.c) and its URL becomes the item's ticket link, audited, so
 * every other sink shows it too.
 *
 * Never two tickets for one item: the outbox notes that a create is about
 * to go out (srr_sink_creating) before the request leaves, and after a
 * crash between the tracker's answer and the local mark the ticket is
 * found again before another is made (GitHub: srr's marker in the body of
 * an issue updated since the record was made; Jira: the label srr-<ID>).
 *
 * The other way: every tickets.poll_every the tracker is asked for the
 * tickets updated since the last poll (GitHub: every issue, srr knows its
 * own by number, so a label GitHub dropped changes nothing; Jira: srr's
 * label); one closed there moves its item to
 * done (closed as not planned on GitHub: rejected), one reopened reopens
 * it, through the same workflow code as the CLI, audited with the
 * tracker's user as the actor (mapped to an srr member by tickets.people).
 * An item marked done or rejected in srr closes its ticket (tickets.close).
 */
#include <stdlib.h>
#include <string.h>

#include "github_api.h"
#include "jira_api.h"
#include "log.h"
#include "record_views.h"
#include "sink.h"
#include "tickets_config.h"

#define TICKETS_ACTOR "srr-tickets" /* who sets the link of a ticket srr made */
#define TICKETS_SKEW_S 120          /* polls look back this much further */

typedef struct tickets_ctx {
    srr_tickets_config *t; /* borrowed from the outbox */
    srr_github_config *gc; /* env->sections[0] */
    srr_jira_config *jc;   /* env->sections[1] */
    int github;            /* 1: GitHub, 0: Jira */
    srr_github *gh;
    srr_jira *jira;
    int64_t next_poll;
} tickets_ctx;

static const srr_sink_section TICKETS_SECTIONS[] = {
    {"github", srr_github_options, sizeof(srr_github_config)},
    {"jira", srr_jira_options, sizeof(srr_jira_config)},
    {NULL, NULL, 0}};

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static const char *tracker_name(const tickets_ctx *c)
{
    return c->github ? "GitHub" : "Jira";
}

/* ---- the instance ------------------------------------------------------ */

/* Settles the tracker and checks its section (its token read into it). */
static srr_rc resolve(const srr_sink_env *env, srr_error *err)
{
    srr_tickets_config *t = env->opts;
    srr_rc rc = srr_tickets_config_resolve(env->cfg, t, err);
    if (rc != SRR_OK)
        return rc;
    if (strcmp(t->tracker, "github") == 0)
        return srr_github_config_resolve(env->cfg, env->sections[0], err);
    return srr_jira_config_resolve(env->cfg, env->sections[1], err);
}

static srr_rc tickets_check(const srr_sink_env *env, srr_error *err)
{
    srr_rc rc = resolve(env, err);
    srr_github_config_release(env->sections[0]);
    srr_jira_config_release(env->sections[1]);
    return rc;
}

static void tickets_exit(void *ctx)
{
    tickets_ctx *c = ctx;
    if (!c)
        return;
    srr_github_destroy(&c->gh);
    srr_jira_destroy(&c->jira);
    srr_github_config_release(c->gc);
    srr_jira_config_release(c->jc);
    free(c);
}

static srr_rc tickets_init(const srr_sink_env *env, void **out, srr_error *err)
{
    tickets_ctx *c = srr_calloc(1, sizeof(*c));
    srr_rc rc;
    *out = NULL;
    c->t = env->opts;
    c->gc = env->sections[0];
    c->jc = env->sections[1];
    rc = resolve(env, err);
    c->github = rc == SRR_OK && strcmp(c->t->tracker, "github") == 0;
    if (rc == SRR_OK && c->github) {
        srr_github_opts o;
        rc = srr_github_config_opts(c->gc, &o, err);
        if (rc == SRR_OK)
            rc = srr_github_create(&o, &c->gh, err);
    } else if (rc == SRR_OK) {
        srr_jira_opts o;
        rc = srr_jira_config_opts(c->jc, &o, err);
        if (rc == SRR_OK)
            rc = srr_jira_create(&o, &c->jira, err);
    }
    if (rc == SRR_EAUTH) /* no token: the configuration's, said at open */
        rc = SRR_EINVAL;
    if (rc != SRR_OK) {
        tickets_exit(c);
        return rc;
    }
    *out = c;
    return SRR_OK;
}

/* Seconds until the tracker's client may send again (its gate). */
static int64_t wait_s(const tickets_ctx *c)
{
    int64_t at = c->github ? srr_github_retry_at_ms(c->gh) : srr_jira_retry_at_ms(c->jira);
    int64_t now = srr_http_now_ms();
    return at > now ? (at - now + 999) / 1000 : 0;
}

/* A tracker error as the outbox reads it: a repository or project that is
 * not there is the configuration's (the sink stops), not the record's. */
static srr_rc sink_rc(srr_rc rc, srr_error *err)
{
    if (rc == SRR_ENOTFOUND)
        return srr_error_set(err, SRR_EAUTH, "%s", err->msg);
    return rc;
}

/* ---- delivery ----------------------------------------------------------- */

/* The ticket a crashed create may have made: found by srr's marker or
 * label. *id / *url copies, NULL when there is none. */
static srr_rc find_ticket(tickets_ctx *c, const srr_sink_item *it, char **id, char **url,
                          srr_error *err)
{
    srr_rc rc;
    *id = NULL;
    *url = NULL;
    if (c->github) {
        srr_github_issue is;
        char *marker = srr_github_marker(it->hid);
        int64_t since = 0;
        const char *created = jstr(it->record, "created_at");
        if (created)
            srr_time_parse_iso(created, &since);
        /* Not filtered by label: GitHub drops the labels of an author
         * without push access, the marker is always there. */
        rc =
            srr_github_issue_find(c->gh, marker, NULL, since > 86400 ? since - 86400 : 0, &is, err);
        free(marker);
        if (rc == SRR_OK) {
            *id = srr_asprintf("%lld", is.number);
            *url = srr_strdup(is.html_url);
        }
        srr_github_issue_clear(&is);
    } else {
        srr_jira_issue is;
        char *label = srr_ticket_label(it->hid);
        rc = srr_jira_issue_find_label(c->jira, c->jc->project, label, &is, err);
        free(label);
        if (rc == SRR_OK) {
            *id = srr_strdup(is.key);
            *url = srr_strdup(is.browse_url);
        }
        srr_jira_issue_clear(&is);
    }
    return rc == SRR_ENOTFOUND ? SRR_OK : rc;
}

/* Makes the ticket of an item. *id / *url copies. */
static srr_rc create_ticket(tickets_ctx *c, const srr_sink_item *it, char **id, char **url,
                            srr_error *err)
{
    char *title = srr_ticket_title(it->record);
    srr_rc rc;
    *id = NULL;
    *url = NULL;
    if (c->github) {
        srr_github_issue is;
        char *body = srr_ticket_markdown(it->record);
        rc = srr_github_issue_create(c->gh, title, body, (const char *const *)c->gc->labels,
                                     c->gc->nlabels, &is, err);
        free(body);
        if (rc == SRR_OK) {
            *id = srr_asprintf("%lld", is.number);
            *url = srr_strdup(is.html_url);
        }
        srr_github_issue_clear(&is);
    } else {
        srr_jira_issue is;
        json_t *adf = srr_ticket_adf(it->record);
        char *label = srr_ticket_label(it->hid);
        const char **labels = srr_calloc(c->jc->nlabels + 1, sizeof(*labels));
        size_t i;
        for (i = 0; i < c->jc->nlabels; i++)
            labels[i] = c->jc->labels[i];
        labels[i] = label; /* finds it again after a crash */
        rc = srr_jira_issue_create(c->jira, c->jc->project, c->jc->issue_type, title, adf, labels,
                                   c->jc->nlabels + 1, &is, err);
        free(labels);
        free(label);
        json_decref(adf);
        if (rc == SRR_OK) {
            *id = srr_strdup(is.key);
            *url = srr_strdup(is.browse_url);
        }
        srr_jira_issue_clear(&is);
    }
    free(title);
    return rc;
}

/* Opens or closes the ticket (state "open" / "closed"; rejected items close
 * as not planned). */
static srr_rc set_ticket_state(tickets_ctx *c, const char *id, const char *want, const char *status,
                               srr_error *err)
{
    int close = strcmp(want, "closed") == 0;
    if (c->github) {
        srr_github_issue is;
        srr_rc rc = srr_github_issue_set_state(
            c->gh, strtoll(id, NULL, 10), want,
            close ? (strcmp(status, "rejected") == 0 ? "not_planned" : "completed") : NULL, &is,
            err);
        srr_github_issue_clear(&is);
        return rc;
    }
    return srr_jira_transition_to(c->jira, id, close ? "done" : "new",
                                  close ? c->jc->done_transition : NULL, err);
}

/* Sets the item's ticket link to the ticket srr made, through the
 * workflow (audited). The item is due again afterwards: the next delivery
 * finds nothing left to do. */
static srr_rc link_item(srr_sink_host *h, const char *id, const char *url, srr_error *err)
{
    srr_sink_ref ref;
    srr_sink_edit e;
    srr_edit_outcome outcome;
    char why[512];
    srr_rc rc = srr_sink_lookup(h, id, &ref, err);
    if (rc != SRR_OK)
        return rc;
    memset(&e, 0, sizeof(e));
    e.field = "backlog_url";
    e.value = url;
    e.actor = TICKETS_ACTOR;
    e.at = srr_sink_now(h);
    e.where = "the tracker";
    rc = srr_sink_apply_edit(h, &ref, &e, &outcome, why, sizeof(why), err);
    if (rc == SRR_OK && outcome != SRR_EDIT_APPLIED && outcome != SRR_EDIT_SAME)
        srr_warn("tickets: %s: the link of its ticket %s was not set: %s", ref.item.hid, url, why);
    srr_sink_ref_release(&ref);
    return rc;
}

static srr_rc tickets_deliver(void *ctx, srr_sink_host *h, const srr_sink_item *it,
                              srr_sink_result *res, srr_error *err)
{
    tickets_ctx *c = ctx;
    const char *status = jstr(it->record, "status"), *link = jstr(it->record, "backlog_url");
    const char *have = jstr(it->state, "state"), *want = NULL;
    char *id = it->remote_id ? srr_strdup(it->remote_id) : NULL;
    char *url = jstr(it->state, "url") ? srr_strdup(jstr(it->state, "url")) : NULL;
    srr_rc rc = SRR_OK;

    if (strcmp(it->kind, "backlog") != 0 || !status)
        goto out; /* only backlog items have tickets */
    if (!id && strcmp(status, "accepted") == 0 && !(link && *link)) {
        if (it->creating) { /* an earlier create may have gone through */
            rc = find_ticket(c, it, &id, &url, err);
            if (rc == SRR_OK && id)
                srr_info("tickets: %s: found the ticket an interrupted create made (%s)", it->hid,
                         url);
        }
        if (rc == SRR_OK && !id) {
            rc = srr_sink_creating(h, it, err);
            if (rc == SRR_OK)
                rc = create_ticket(c, it, &id, &url, err);
            if (rc == SRR_OK)
                srr_info("tickets: %s -> %s", it->hid, url);
        }
        have = "open";
    }
    if (rc != SRR_OK || !id)
        goto out;
    /* Remembered before the link is set: the link's audit makes the item
     * due again, and that delivery must know the ticket. */
    res->remote_id = srr_strdup(id);
    res->state = json_pack("{s:s, s:s?, s:s}", "id", id, "url", url, "state", have ? have : "open");
    rc = srr_sink_save(h, it, id, res->state, err);
    if (rc == SRR_OK && url && !(link && *link))
        rc = link_item(h, id, url, err);
    if (rc != SRR_OK)
        goto out;
    if (strcmp(status, "done") == 0 || strcmp(status, "rejected") == 0)
        want = "closed";
    else if (strcmp(status, "accepted") == 0)
        want = "open";
    if (c->t->close && want && strcmp(want, have ? have : "open") != 0) {
        rc = set_ticket_state(c, id, want, status, err);
        if (rc == SRR_OK) {
            json_object_set_new(res->state, "state", json_string(want));
            srr_info("tickets: %s: ticket %s %s (the item is %s)", it->hid, id,
                     strcmp(want, "closed") == 0 ? "closed" : "reopened", status);
        }
    }
out:
    if (rc == SRR_RETRY)
        res->retry_after_s = wait_s(c);
    free(id);
    free(url);
    return sink_rc(rc, err);
}

/* ---- the poll: tickets closed and reopened ---------------------------- */

/* One ticket as the poll saw it. */
typedef struct seen {
    char *id;
    int closed;
    int not_planned;
    int64_t at; /* its last update */
} seen;

typedef struct seen_list {
    seen *v;
    size_t n;
} seen_list;

static void seen_add(seen_list *l, const char *id, int closed, int not_planned, int64_t at)
{
    l->v = srr_realloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n].id = srr_strdup(id);
    l->v[l->n].closed = closed;
    l->v[l->n].not_planned = not_planned;
    l->v[l->n++].at = at;
}

static int on_github(void *ud, const srr_github_issue *is)
{
    char num[32];
    snprintf(num, sizeof(num), "%lld", is->number);
    seen_add(ud, num, is->state && strcmp(is->state, "closed") == 0,
             is->state_reason && strcmp(is->state_reason, "not_planned") == 0, is->updated_at);
    return 0;
}

static int on_jira(void *ud, const srr_jira_issue *is)
{
    seen_add(ud, is->key, is->status_category && strcmp(is->status_category, "done") == 0, 0,
             is->updated);
    return 0;
}

/* The srr member behind a tracker user (tickets.people), or
 * "<tracker>:<user>". Caller frees. */
static char *member_of(const tickets_ctx *c, const char *name, const char *account)
{
    for (size_t i = 0; i < c->t->npeople; i++) {
        const char *v = c->t->people[i].value;
        if ((name && strcmp(v, name) == 0) || (account && strcmp(v, account) == 0))
            return srr_strdup(c->t->people[i].key);
    }
    return srr_asprintf("%s:%s", c->github ? "github" : "jira",
                        name      ? name
                        : account ? account
                                  : "unknown");
}

/* Who closed or reopened the ticket. Caller frees. */
static srr_rc actor_of(tickets_ctx *c, const char *id, int closed, char **actor, srr_error *err)
{
    char *a = NULL, *b = NULL, *to = NULL;
    srr_rc rc;
    if (c->github)
        rc = srr_github_issue_last_actor(c->gh, strtoll(id, NULL, 10),
                                         closed ? "closed" : "reopened", &a, err);
    else
        rc = srr_jira_last_status_change(c->jira, id, &a, &b, &to, err);
    if (rc == SRR_ENOTFOUND)
        rc = SRR_OK;
    *actor = rc == SRR_OK ? member_of(c, a, b) : NULL;
    free(a);
    free(b);
    free(to);
    return rc;
}

/* Brings one ticket's state to its item: closed -> done (or rejected),
 * reopened -> accepted. */
static srr_rc settle_ticket(tickets_ctx *c, srr_sink_host *h, const seen *t, srr_error *err)
{
    srr_sink_ref ref;
    const char *status, *was;
    const char *to = NULL;
    char *actor = NULL, why[512];
    srr_rc rc = srr_sink_lookup(h, t->id, &ref, err);
    if (rc == SRR_ENOTFOUND)
        return SRR_OK; /* a ticket srr did not make */
    if (rc != SRR_OK)
        return rc;
    status = jstr(ref.item.record, "status");
    was = jstr(ref.item.state, "state");
    if (t->closed && status && strcmp(status, "accepted") == 0)
        to = t->not_planned ? "rejected" : "done";
    else if (!t->closed && status && strcmp(status, "done") == 0 && c->t->reopen && was &&
             strcmp(was, "closed") == 0)
        to = "accepted";
    if (to) {
        srr_sink_edit e;
        srr_edit_outcome outcome;
        rc = actor_of(c, t->id, t->closed, &actor, err);
        memset(&e, 0, sizeof(e));
        e.field = "status";
        e.value = to;
        e.actor = actor;
        e.at = t->at;
        e.where = tracker_name(c);
        if (rc == SRR_OK)
            rc = srr_sink_apply_edit(h, &ref, &e, &outcome, why, sizeof(why), err);
        if (rc == SRR_OK && outcome == SRR_EDIT_APPLIED)
            srr_info("tickets: %s %s in %s by %s: %s is %s", t->id,
                     t->closed ? "closed" : "reopened", tracker_name(c), actor, ref.item.hid, to);
        else if (rc == SRR_OK && outcome != SRR_EDIT_SAME)
            srr_warn("tickets: %s %s in %s: %s stays %s: %s", t->id,
                     t->closed ? "closed" : "reopened", tracker_name(c), ref.item.hid, status, why);
    }
    if (rc == SRR_OK) { /* what the tracker holds now */
        json_t *st = ref.item.state ? json_deep_copy(ref.item.state) : json_object();
        json_object_set_new(st, "state", json_string(t->closed ? "closed" : "open"));
        rc = srr_sink_ref_save(h, &ref, st, err);
        json_decref(st);
    }
    free(actor);
    srr_sink_ref_release(&ref);
    return rc;
}

static srr_rc tickets_poll(void *ctx, srr_sink_host *h, srr_error *err)
{
    tickets_ctx *c = ctx;
    int64_t now = srr_sink_now(h), since = 0;
    seen_list l = {NULL, 0};
    char *v = NULL, num[32];
    size_t i;
    srr_rc rc;
    if (now < c->next_poll)
        return SRR_OK;
    rc = srr_sink_meta_get(h, "polled_at", &v, err);
    if (rc != SRR_OK)
        return rc;
    if (v)
        since = strtoll(v, NULL, 10) - TICKETS_SKEW_S;
    free(v);
    if (c->github) {
        /* Every issue updated since the last poll, labelled or not: srr
         * knows its tickets by number. The first poll starts now. */
        rc = srr_github_issues_since(c->gh, since > 0 ? since : now - TICKETS_SKEW_S, NULL, 0,
                                     on_github, &l, err);
    } else {
        char *jql =
            srr_jira_jql_updated_since(c->jc->project, c->jc->nlabels ? c->jc->labels[0] : NULL,
                                       since > 0 ? since : now - TICKETS_SKEW_S);
        rc = srr_jira_search(c->jira, jql, 0, on_jira, &l, err);
        free(jql);
    }
    for (i = 0; rc == SRR_OK && i < l.n; i++)
        rc = settle_ticket(c, h, &l.v[i], err);
    for (i = 0; i < l.n; i++)
        free(l.v[i].id);
    free(l.v);
    if (rc == SRR_OK) {
        snprintf(num, sizeof(num), "%lld", (long long)now);
        rc = srr_sink_meta_set(h, "polled_at", num, err);
        c->next_poll = now + c->t->poll_every_s;
    }
    return sink_rc(rc, err);
}

const srr_sink_plugin srr_sink_tickets = {
    .name = "tickets",
    .description = "accepted backlog items as GitHub or Jira tickets, closed ones read back",
    .options = srr_tickets_options,
    .options_size = sizeof(srr_tickets_config),
    .sections = TICKETS_SECTIONS,
    .flags = 0,
    .batch_max = 0,
    .check = tickets_check,
    .init = tickets_init,
    .deliver = tickets_deliver,
    .deliver_batch = NULL,
    .poll = tickets_poll,
    .tick = NULL,
    .setup = NULL,
    .exit = tickets_exit,
};
