/* SPDX-License-Identifier: Apache-2.0
 *
 * outbox.c - the delivery loop (outbox.h) and what it offers sinks
 * (sink.h: srr_sink_*). It knows sinks only through sink.h and the
 * registry: each configured sink is an instance (its plugin, its options
 * filled by its own table, the context its init built), and a pass asks
 * each instance to poll its remote side for edits, then hands it every
 * record due (store/outbox_store.h) one by one, storing what came back:
 * delivered (with the remote id and the sink's memory), a transient failure
 * (record and sink back off, Retry-After honoured), or a permanent one
 * (parked with the reason, the others go on).
 *
 * Remote edits come back through srr_sink_apply_edit: the same workflow
 * code as the CLI (store/workflow.h), with the remote user as the actor.
 *
 * Reading order: options and instances, the host services for sinks, edits,
 * one delivery, a pass, the run loop, status.
 */
#include "outbox.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "log.h"
#include "outbox_store.h"
#include "sink.h"
#include "workflow.h"

#define SYNC_WEEKS 8     /* weeks of evidence in a record's view */
#define SYNC_LEASE_S 300 /* one deliverer per sink: the lease's length */
#define SYNC_REVIEW_IN_S (90 * 86400)

/* ---- options and instances -------------------------------------------- */

typedef struct sync_opts {
    int64_t interval_s;
    int64_t max_backoff_s;
    long long batch;
} sync_opts;

static const srr_opt_def SYNC_OPTS[] = {
    {"interval", SRR_OPT_DURATION, "2s", offsetof(sync_opts, interval_s), 1, 3600,
     "How often srr serve, srr drain and srr sync look for changed records to deliver to the "
     "sinks."},
    {"max_backoff", SRR_OPT_DURATION, "5m", offsetof(sync_opts, max_backoff_s), 1, 86400,
     "Longest wait before retrying a record or a sink after transient errors (429, 5xx, "
     "timeouts; a longer Retry-After is honoured)."},
    {"batch", SRR_OPT_INT, "100", offsetof(sync_opts, batch), 1, 100000,
     "Records one pass delivers to a sink at most before it looks for edits again."},
    {NULL, SRR_OPT_STRING, NULL, 0, 0, 0, NULL}};

typedef struct sink_inst {
    const srr_sink_plugin *p;
    void *opts;        /* filled by p->options; owned */
    void *ctx;         /* NULL until init succeeded */
    char tag[17];      /* hash of the options: parked records retry when it changes */
    int failures;      /* consecutive failed passes */
    int64_t next_at;   /* no pass before this time */
    int64_t leased_at; /* when this process last took or renewed the lease */
    char other[128];   /* who else held the lease when last seen (logged once) */
    char last_error[sizeof(((srr_error *)0)->msg)];
} sink_inst;

struct srr_sync {
    const srr_config *cfg; /* borrowed */
    size_t errors;         /* sink-wide failures since open */
    char owner[128];       /* "host:pid": this deliverer, for the lease */
    sync_opts o;
    sink_inst *sinks;
    size_t n;
    const char **names;
};

struct srr_sink_host {
    srr_sync *s;
    sink_inst *si;
    srr_store *st;
    int64_t now;
    srr_sync_stats *stats;
    const srr_outbox_entry *entry; /* the record being delivered, if any */
};

/* A section node, NULL when absent. */
static const srr_yaml_node *section_of(const srr_config *cfg, const char *name)
{
    return srr_yaml_get(cfg->root, name);
}

int srr_sync_configured(const srr_config *cfg)
{
    const srr_sink_plugin *const *p;
    for (p = srr_sinks_all(); *p; p++)
        if (section_of(cfg, (*p)->name))
            return 1;
    return 0;
}

/* A hash of the option values: the sink's configuration "tag". */
static void options_tag(const srr_opt_def *opts, const void *base, char out[17])
{
    srr_sha256 h;
    unsigned char d[32];
    size_t i, j;
    srr_sha256_init(&h);
    for (i = 0; opts[i].key; i++) {
        const char *field = (const char *)base + opts[i].offset;
        char num[32];
        srr_sha256_update(&h, opts[i].key, strlen(opts[i].key) + 1);
        switch (opts[i].type) {
        case SRR_OPT_STRING: {
            const char *v = *(char *const *)field;
            srr_sha256_update(&h, v ? v : "\1", strlen(v ? v : "\1") + 1);
            break;
        }
        case SRR_OPT_BOOL:
            snprintf(num, sizeof(num), "%d", *(const int *)field);
            srr_sha256_update(&h, num, strlen(num) + 1);
            break;
        case SRR_OPT_INT:
            snprintf(num, sizeof(num), "%lld", *(const long long *)field);
            srr_sha256_update(&h, num, strlen(num) + 1);
            break;
        case SRR_OPT_DURATION:
            snprintf(num, sizeof(num), "%lld", (long long)*(const int64_t *)field);
            srr_sha256_update(&h, num, strlen(num) + 1);
            break;
        case SRR_OPT_KV: {
            const srr_kv *kv = *(srr_kv *const *)field;
            size_t n = *(const size_t *)(field + sizeof(srr_kv *));
            for (j = 0; j < n; j++) {
                srr_sha256_update(&h, kv[j].key, strlen(kv[j].key) + 1);
                srr_sha256_update(&h, kv[j].value, strlen(kv[j].value) + 1);
            }
            break;
        }
        case SRR_OPT_LIST: {
            char *const *l = *(char **const *)field;
            size_t n = *(const size_t *)(field + sizeof(char **));
            for (j = 0; j < n; j++)
                srr_sha256_update(&h, l[j], strlen(l[j]) + 1);
            break;
        }
        }
    }
    srr_sha256_final(&h, d);
    for (i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

srr_rc srr_sync_check_config(const srr_config *cfg, srr_error *err)
{
    const srr_sink_plugin *const *p;
    sync_opts o;
    srr_rc rc;
    memset(&o, 0, sizeof(o));
    rc = srr_config_load_options(SYNC_OPTS, section_of(cfg, "sync"), "sync", &o, err);
    srr_config_free_options(SYNC_OPTS, &o);
    for (p = srr_sinks_all(); rc == SRR_OK && *p; p++) {
        const srr_yaml_node *sec = section_of(cfg, (*p)->name);
        void *opts;
        if (!sec)
            continue;
        opts = srr_calloc(1, (*p)->options_size);
        rc = srr_config_load_options((*p)->options, sec, (*p)->name, opts, err);
        srr_config_free_options((*p)->options, opts);
        free(opts);
    }
    return rc;
}

void srr_sync_print_reference(FILE *out, int roff)
{
    const srr_sink_plugin *const *p;
    srr_config_print_options(out, "sync", SYNC_OPTS, roff);
    for (p = srr_sinks_all(); *p; p++)
        srr_config_print_options(out, (*p)->name, (*p)->options, roff);
}

static void inst_exit(sink_inst *si)
{
    if (si->ctx && si->p->exit)
        si->p->exit(si->ctx);
    si->ctx = NULL;
}

void srr_sync_close(srr_sync **ps)
{
    srr_sync *s;
    size_t i;
    if (!ps || !*ps)
        return;
    s = *ps;
    for (i = 0; i < s->n; i++) {
        inst_exit(&s->sinks[i]);
        srr_config_free_options(s->sinks[i].p->options, s->sinks[i].opts);
        free(s->sinks[i].opts);
    }
    srr_config_free_options(SYNC_OPTS, &s->o);
    free(s->sinks);
    free(s->names);
    free(s);
    *ps = NULL;
}

/* The wait after `failures` consecutive transient failures: 1 s doubling,
 * at most max; a longer Retry-After wins. */
static int64_t backoff(const srr_sync *s, int failures, int64_t retry_after)
{
    int64_t b = 1;
    int i;
    for (i = 1; i < failures && b < s->o.max_backoff_s; i++)
        b *= 2;
    if (b > s->o.max_backoff_s)
        b = s->o.max_backoff_s;
    return retry_after > b ? retry_after : b;
}

/* A sink-wide failure: the instance waits before its next pass. */
static void inst_failed(srr_sync *s, sink_inst *si, int64_t now, int64_t retry_after,
                        const srr_error *err)
{
    s->errors++;
    si->failures++;
    si->next_at = now + backoff(s, si->failures, retry_after);
    if (strcmp(si->last_error, err->msg) != 0)
        srr_err("sync: %s: %s (retrying in %llds)", si->p->name, err->msg,
                (long long)(si->next_at - now));
    snprintf(si->last_error, sizeof(si->last_error), "%s", err->msg);
}

static srr_rc inst_init(srr_sync *s, sink_inst *si, int64_t now)
{
    srr_sink_env env = {s->cfg, si->opts};
    srr_error err = {0};
    srr_rc rc;
    if (si->ctx)
        return SRR_OK;
    rc = si->p->init(&env, &si->ctx, &err);
    if (rc != SRR_OK) {
        si->ctx = NULL;
        if (rc == SRR_EINVAL) {
            snprintf(si->last_error, sizeof(si->last_error), "%s", err.msg);
            return rc;
        }
        inst_failed(s, si, now, 0, &err);
        return rc;
    }
    return SRR_OK;
}

srr_rc srr_sync_open(const srr_config *cfg, const char *only, int connect, srr_sync **out,
                     srr_error *err)
{
    const srr_sink_plugin *const *p;
    srr_sync *s = srr_calloc(1, sizeof(*s));
    srr_rc rc;
    size_t i;
    *out = NULL;
    s->cfg = cfg;
    {
        char host[64] = "";
        gethostname(host, sizeof(host) - 1);
        snprintf(s->owner, sizeof(s->owner), "%s:%ld", host, (long)getpid());
    }
    rc = srr_config_load_options(SYNC_OPTS, section_of(cfg, "sync"), "sync", &s->o, err);
    if (rc != SRR_OK)
        goto fail;
    for (p = srr_sinks_all(); *p; p++) {
        const srr_yaml_node *sec = section_of(cfg, (*p)->name);
        sink_inst *si;
        if (!sec || (only && strcmp(only, (*p)->name) != 0))
            continue;
        s->sinks = srr_realloc(s->sinks, (s->n + 1) * sizeof(*s->sinks));
        si = &s->sinks[s->n++];
        memset(si, 0, sizeof(*si));
        si->p = *p;
        si->opts = srr_calloc(1, (*p)->options_size);
        rc = srr_config_load_options((*p)->options, sec, (*p)->name, si->opts, err);
        if (rc != SRR_OK)
            goto fail;
        options_tag((*p)->options, si->opts, si->tag);
    }
    s->names = srr_calloc(s->n + 1, sizeof(*s->names));
    for (i = 0; i < s->n; i++) {
        s->names[i] = s->sinks[i].p->name;
        if (!connect)
            continue;
        rc = inst_init(s, &s->sinks[i], srr_now());
        if (rc == SRR_EINVAL) {
            srr_error_set(err, rc, "%s", s->sinks[i].last_error);
            goto fail;
        }
        rc = SRR_OK; /* unreachable now: retried at its first pass */
    }
    *out = s;
    return SRR_OK;
fail:
    srr_sync_close(&s);
    return rc;
}

size_t srr_sync_sinks(const srr_sync *s, const char *const **names)
{
    *names = s->names;
    return s->n;
}

static sink_inst *inst_named(srr_sync *s, const char *name)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        if (strcmp(s->sinks[i].p->name, name) == 0)
            return &s->sinks[i];
    return NULL;
}

srr_rc srr_sync_setup(srr_sync *s, const char *name, FILE *out, srr_error *err)
{
    sink_inst *si = inst_named(s, name);
    if (!si)
        return srr_error_set(err, SRR_ENOTFOUND, "no `%s:` section in the config", name);
    if (!si->p->setup)
        return srr_error_set(err, SRR_EINVAL, "the %s sink has no setup", name);
    if (!si->ctx) {
        srr_rc rc = inst_init(s, si, srr_now());
        if (rc != SRR_OK)
            return srr_error_set(err, rc, "%s", si->last_error);
    }
    return si->p->setup(si->ctx, out, err);
}

/* ---- host services ---------------------------------------------------- */

int64_t srr_sink_now(const srr_sink_host *h)
{
    return h->now;
}

/* kind + id of an item, from the entry behind it. */
static srr_rc item_key(const srr_sink_item *item, int64_t *id, srr_error *err)
{
    const char *dash = strrchr(item->hid, '-');
    long long v = dash ? strtoll(dash + 1, NULL, 10) : 0;
    if (v <= 0)
        return srr_error_set(err, SRR_EINVAL, "sync: bad record id '%s'", item->hid);
    *id = v;
    return SRR_OK;
}

srr_rc srr_sink_creating(srr_sink_host *h, const srr_sink_item *item, srr_error *err)
{
    int64_t id = 0;
    srr_rc rc = item_key(item, &id, err);
    if (rc == SRR_OK)
        rc = srr_outbox_begin_create(h->st, h->si->p->name, item->kind, id, h->now, err);
    return rc;
}

static char *state_text(const json_t *state)
{
    return state ? json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
}

srr_rc srr_sink_save(srr_sink_host *h, const srr_sink_item *item, const char *remote_id,
                     const json_t *state, srr_error *err)
{
    int64_t id = 0;
    char *t = state_text(state);
    srr_rc rc = item_key(item, &id, err);
    if (rc == SRR_OK)
        rc = srr_outbox_save(h->st, h->si->p->name, item->kind, id, remote_id, t, h->now, err);
    free(t);
    return rc;
}

srr_rc srr_sink_meta_get(srr_sink_host *h, const char *key, char **value, srr_error *err)
{
    return srr_outbox_meta_get(h->st, h->si->p->name, key, value, err);
}

srr_rc srr_sink_meta_set(srr_sink_host *h, const char *key, const char *value, srr_error *err)
{
    return srr_outbox_meta_set(h->st, h->si->p->name, key, value, err);
}

/* What a ref owns. */
typedef struct ref_priv {
    srr_outbox_entry e;
    json_t *state, *record;
} ref_priv;

/* Fills item from an entry: loads the record and parses the memory. */
static srr_rc load_item(srr_sink_host *h, const srr_outbox_entry *e, srr_sink_item *item,
                        json_t **state, json_t **record, json_t **changes, srr_error *err)
{
    srr_rc rc;
    *state = e->state ? json_loads(e->state, 0, NULL) : NULL;
    *record = NULL;
    if (changes)
        *changes = NULL;
    rc = srr_outbox_record(h->st, e->kind, e->id, SYNC_WEEKS, record, err);
    if (rc == SRR_OK && changes && (h->si->p->flags & SRR_SINK_CHANGES))
        rc = srr_outbox_changes(h->st, e->kind, e->id, e->delivered_seq, e->seq, changes, err);
    memset(item, 0, sizeof(*item));
    item->kind = e->kind;
    item->hid = e->hid;
    item->seq = e->seq;
    item->delivered_seq = e->delivered_seq;
    item->remote_id = e->remote_id;
    item->creating = e->creating;
    item->state = *state;
    item->record = *record;
    item->changes = changes ? *changes : NULL;
    return rc;
}

srr_rc srr_sink_lookup(srr_sink_host *h, const char *remote_id, srr_sink_ref *out, srr_error *err)
{
    ref_priv *p = srr_calloc(1, sizeof(*p));
    srr_rc rc;
    memset(out, 0, sizeof(*out));
    rc = srr_outbox_find_remote(h->st, h->si->p->name, remote_id, &p->e, err);
    if (rc == SRR_OK)
        rc = load_item(h, &p->e, &out->item, &p->state, &p->record, NULL, err);
    out->priv = p;
    if (rc != SRR_OK)
        srr_sink_ref_release(out);
    return rc;
}

void srr_sink_ref_release(srr_sink_ref *ref)
{
    ref_priv *p;
    if (!ref || !ref->priv)
        return;
    p = ref->priv;
    srr_outbox_entry_clear(&p->e);
    json_decref(p->state);
    json_decref(p->record);
    free(p);
    memset(ref, 0, sizeof(*ref));
}

srr_rc srr_sink_ref_save(srr_sink_host *h, srr_sink_ref *ref, const json_t *state, srr_error *err)
{
    ref_priv *p = ref->priv;
    srr_rc rc = srr_sink_save(h, &ref->item, NULL, state, err);
    if (rc == SRR_OK && state != p->state) {
        json_t *old = p->state;
        p->state = json_incref((json_t *)state);
        json_decref(old);
        ref->item.state = p->state;
    }
    return rc;
}

/* ---- edits coming back ------------------------------------------------ */

/* An edit's field: the key its changes carry in the audit (the column the
 * workflow writes) and the key of the record view. */
typedef struct edit_field {
    const char *field, *view, *risk_col, *backlog_col;
} edit_field;

static const edit_field EDIT_FIELDS[] = {
    {"status", "status", "status", "status"},
    {"assignee", "assignee", "assignee", "assignee"},
    {"urgency", "urgency", "urgency", NULL},
    {"cause", "cause", "cause", NULL},
    {"policy", "policy", "countermeasure_policy", NULL},
    {"next_action", "next_action", "next_action", NULL},
    {"backlog_url", "backlog_url", "backlog_link", "ticket_link"},
    {"postmortem_url", "postmortem_url", "postmortem_link", NULL},
    {"countermeasure_log", NULL, "countermeasure_log", NULL},
    {"recognition_log", NULL, "recognition_log", NULL},
    {NULL, NULL, NULL, NULL}};

/* "" and NULL are the same value. */
static int same_value(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The verb that moves a record of `kind` from `from` to `to` in the
 * workflow, or NULL (then `why` says what is possible). */
static const char *status_verb(const char *kind, const char *from, const char *to, char *why,
                               size_t whylen)
{
    static const struct {
        const char *kind, *from, *to, *verb;
    } T[] = {{"risk", "draft", "open", "approve"},
             {"risk", "draft", "rejected", "reject"},
             {"risk", "open", "resolved", "resolve"},
             {"risk", "mitigating", "resolved", "resolve"},
             {"risk", "open", "accepted", "accept"},
             {"risk", "mitigating", "accepted", "accept"},
             {"risk", "resolved", "open", "reopen"},
             {"risk", "accepted", "open", "reopen"},
             {"risk", "rejected", "draft", "reopen"},
             {"backlog", "draft", "accepted", "accept"},
             {"backlog", "accepted", "done", "done"},
             {"backlog", "draft", "rejected", "reject"},
             {"backlog", "accepted", "rejected", "reject"},
             {NULL, NULL, NULL, NULL}};
    size_t i, len = 0;
    for (i = 0; T[i].kind; i++)
        if (strcmp(T[i].kind, kind) == 0 && strcmp(T[i].from, from) == 0 &&
            strcmp(T[i].to, to) == 0)
            return T[i].verb;
    len = (size_t)snprintf(why, whylen, "a %s cannot go from %s to %s", kind, from, to);
    if (strcmp(kind, "investigation") == 0) {
        snprintf(why + len, len < whylen ? whylen - len : 0,
                 " here: an investigation is resolved with `srr investigations resolve`");
        return NULL;
    }
    if (strcmp(to, "merged") == 0) {
        snprintf(why + len, len < whylen ? whylen - len : 0,
                 ": a merge needs its target, use `srr risks merge`");
        return NULL;
    }
    if (strcmp(to, "mitigating") == 0) {
        snprintf(why + len, len < whylen ? whylen - len : 0,
                 ": it becomes mitigating with its first countermeasure log entry");
        return NULL;
    }
    for (i = 0; T[i].kind; i++) {
        if (strcmp(T[i].kind, kind) != 0 || strcmp(T[i].from, from) != 0)
            continue;
        len +=
            (size_t)snprintf(why + len, len < whylen ? whylen - len : 0, "%s%s",
                             strstr(why, "; from ") ? ", " : "; from here it can go to ", T[i].to);
        if (len >= whylen)
            break;
    }
    if (!strstr(why, "; from "))
        snprintf(why + len, len < whylen ? whylen - len : 0, "; it cannot change from there");
    return NULL;
}

/* Audits what the sync did with a remote edit it did not apply. The keys
 * never name a column, so later conflict checks do not take it for a
 * local change. */
static srr_rc audit_unapplied(srr_sink_host *h, const srr_sink_ref *ref, const char *action,
                              const srr_sink_edit *e, const char *kept, const char *why,
                              srr_error *err)
{
    ref_priv *p = ref->priv;
    json_t *before = json_pack("{s:s, s:s?}", "remote_field", e->field, "remote_value", e->value);
    json_t *after = json_pack("{s:s?}", "kept", kept);
    srr_rc rc = srr_outbox_audit(h->st, p->e.kind, p->e.id, e->actor, action, before, after, why,
                                 h->now, err);
    json_decref(before);
    json_decref(after);
    return rc;
}

/* Fills the workflow request for an edit; returns the verb (NULL: refused,
 * `why` set). `sets` holds the "key=value" of a set. */
static const char *edit_verb(const srr_sink_ref *ref, const srr_sink_edit *e, srr_wf_req *req,
                             char **sets, char *why, size_t whylen)
{
    const char *kind = ref->item.kind;
    const char *cur = json_string_value(json_object_get(ref->item.record, "status"));
    int risk = strcmp(kind, "risk") == 0;
    static const struct {
        const char *field, *key;
    } SET[] = {{"urgency", "urgency"},
               {"cause", "cause"},
               {"policy", "policy"},
               {"next_action", "next"},
               {"backlog_url", "backlog"},
               {"postmortem_url", "postmortem"},
               {NULL, NULL}};
    size_t i;
    if (strcmp(e->field, "status") == 0) {
        const char *verb =
            status_verb(kind, cur ? cur : "?", e->value ? e->value : "", why, whylen);
        if (!verb)
            return NULL;
        if (strcmp(verb, "reject") == 0 || strcmp(verb, "accept") == 0 ||
            strcmp(verb, "resolve") == 0 || strcmp(verb, "reopen") == 0 ||
            strcmp(verb, "approve") == 0)
            req->note = NULL; /* set by the caller: "<verb> in Notion by <actor>" */
        if (strcmp(verb, "accept") == 0 && !risk) {
            req->link = e->link && *e->link
                            ? e->link
                            : json_string_value(json_object_get(ref->item.record, "backlog_url"));
            if (!req->link || !*req->link) {
                snprintf(why, whylen,
                         "accepting a backlog item needs the link of its ticket: fill in its "
                         "backlog URL with the status");
                return NULL;
            }
        }
        return verb;
    }
    if (strcmp(e->field, "assignee") == 0) {
        if (strcmp(kind, "investigation") == 0) {
            snprintf(why, whylen, "an investigation's assignee is set by the policy");
            return NULL;
        }
        if (!e->value || !*e->value) {
            snprintf(why, whylen, "srr does not unassign a record; assign it to someone else");
            return NULL;
        }
        req->assignee = e->value;
        return "assign";
    }
    if (strcmp(e->field, "countermeasure_log") == 0 || strcmp(e->field, "recognition_log") == 0) {
        if (!risk) {
            snprintf(why, whylen, "only risks keep a log in srr");
            return NULL;
        }
        req->section = e->field[0] == 'c' ? "countermeasure" : "recognition";
        req->text = e->value;
        return "log";
    }
    for (i = 0; SET[i].field; i++) {
        if (strcmp(e->field, SET[i].field) != 0)
            continue;
        if (!risk) {
            snprintf(why, whylen,
                     strcmp(SET[i].key, "backlog") == 0
                         ? "a %s's ticket link is set when it is accepted: set the status to "
                           "accepted with it"
                         : "a %s's %s is kept by srr",
                     kind, SET[i].key);
            return NULL;
        }
        *sets = srr_asprintf("%s=%s", SET[i].key, e->value ? e->value : "");
        req->sets = (const char *const *)sets;
        req->nsets = 1;
        return "set";
    }
    snprintf(why, whylen, "srr does not take %s from here", e->field);
    return NULL;
}

srr_rc srr_sink_apply_edit(srr_sink_host *h, srr_sink_ref *ref, const srr_sink_edit *e,
                           srr_edit_outcome *outcome, char *why, size_t whylen, srr_error *err)
{
    ref_priv *p = ref->priv;
    const edit_field *f;
    const char *col, *verb, *where = e->where ? e->where : h->si->p->name;
    const json_t *rec = ref->item.record;
    srr_wf_req req;
    srr_error werr = {0};
    char *sets = NULL, *note = NULL, *lactor = NULL, at_remote[32], at_local[32];
    int64_t lat = 0;
    srr_rc rc = SRR_OK, wrc;

    why[0] = '\0';
    *outcome = SRR_EDIT_REFUSED;
    for (f = EDIT_FIELDS; f->field; f++)
        if (strcmp(f->field, e->field) == 0)
            break;
    if (!f->field) {
        snprintf(why, whylen, "srr does not take %s from %s", e->field, where);
        return audit_unapplied(h, ref, "sync-refused", e, NULL, why, err);
    }
    col = strcmp(p->e.kind, "backlog") == 0 ? f->backlog_col : f->risk_col;
    if (f->view && same_value(json_string_value(json_object_get(rec, f->view)), e->value)) {
        *outcome = SRR_EDIT_SAME;
        return SRR_OK;
    }
    /* Both sides changed the field since the last delivery: the later one
     * wins. A log entry is an addition, never a conflict. */
    if (f->view && col) {
        rc = srr_outbox_local_change(h->st, p->e.kind, p->e.id, p->e.delivered_seq, col, &lat,
                                     &lactor, err);
        if (rc != SRR_OK)
            return rc;
        if (lat > e->at) {
            const char *kept = json_string_value(json_object_get(rec, f->view));
            srr_time_iso(e->at, at_remote);
            srr_time_iso(lat, at_local);
            snprintf(why, whylen,
                     "%s was also changed in srr by %s at %s, after this edit in %s (%s); the "
                     "later change wins",
                     e->field, lactor ? lactor : "?", at_local, where, at_remote);
            free(lactor);
            *outcome = SRR_EDIT_LOST;
            if (h->stats)
                h->stats->edits_lost++;
            return audit_unapplied(h, ref, "sync-conflict", e, kept, why, err);
        }
        free(lactor);
    }
    memset(&req, 0, sizeof(req));
    req.actor = e->actor;
    req.now = h->now;
    req.review_in_s = e->review_in_s > 0 ? e->review_in_s : SYNC_REVIEW_IN_S;
    verb = edit_verb(ref, e, &req, &sets, why, whylen);
    if (!verb) {
        rc = audit_unapplied(h, ref, "sync-refused", e,
                             f->view ? json_string_value(json_object_get(rec, f->view)) : NULL, why,
                             err);
        goto out;
    }
    if (strcmp(verb, "reject") == 0 || strcmp(verb, "accept") == 0 ||
        strcmp(verb, "resolve") == 0 || strcmp(verb, "reopen") == 0) {
        note = srr_asprintf("set to %s in %s by %s", e->value, where, e->actor);
        req.note = note;
    }
    wrc = strcmp(p->e.kind, "backlog") == 0
              ? srr_wf_backlog(h->st, verb, p->e.hid, &req, NULL, &werr)
              : srr_wf_risk(h->st, verb, p->e.hid, &req, NULL, &werr);
    if (wrc == SRR_OK) {
        json_t *now = NULL;
        *outcome = SRR_EDIT_APPLIED;
        /* The next edit of the same page compares with the record as it is now. */
        if (srr_outbox_record(h->st, p->e.kind, p->e.id, SYNC_WEEKS, &now, err) == SRR_OK) {
            json_decref(p->record);
            p->record = now;
            ref->item.record = now;
        }
    } else if (wrc == SRR_RETRY || wrc == SRR_EIO || wrc == SRR_ERR) {
        rc = srr_error_set(err, wrc, "%s", werr.msg);
    } else {
        snprintf(why, whylen, "%s", werr.msg);
        rc = audit_unapplied(h, ref, "sync-refused", e,
                             f->view ? json_string_value(json_object_get(rec, f->view)) : NULL, why,
                             err);
    }
out:
    free(sets);
    free(note);
    if (rc == SRR_OK && h->stats) {
        if (*outcome == SRR_EDIT_APPLIED)
            h->stats->edits_applied++;
        else if (*outcome == SRR_EDIT_REFUSED)
            h->stats->edits_refused++;
    }
    return rc;
}

/* ---- one delivery ----------------------------------------------------- */

typedef enum { DELIVER_DONE, DELIVER_PARKED, DELIVER_STOP } deliver_next;

/* Delivers one due record and stores the outcome. Returns what the pass
 * does next (DELIVER_STOP: the sink failed transiently or as a whole), or
 * a store error in *rc. */
static deliver_next deliver_one(srr_sink_host *h, const srr_outbox_entry *e, srr_rc *rc,
                                srr_error *err)
{
    sink_inst *si = h->si;
    const char *name = si->p->name;
    srr_sink_item item;
    srr_sink_result res;
    json_t *state = NULL, *record = NULL, *changes = NULL;
    srr_error derr = {0};
    char *st_text = NULL;
    deliver_next next = DELIVER_DONE;
    srr_rc drc;

    memset(&res, 0, sizeof(res));
    *rc = load_item(h, e, &item, &state, &record, &changes, err);
    if (*rc == SRR_ENOTFOUND) { /* the record is gone (cannot happen today) */
        *rc = srr_outbox_done(h->st, name, e->kind, e->id, e->seq, NULL, NULL, h->now, err);
        goto out;
    }
    if (*rc != SRR_OK)
        goto out;
    h->entry = e;
    drc = si->p->deliver(si->ctx, h, &item, &res, &derr);
    h->entry = NULL;
    st_text = state_text(res.state);
    if (drc == SRR_OK && res.partial) { /* what landed is kept; the rest after the poll */
        *rc = srr_outbox_save(h->st, name, e->kind, e->id, res.remote_id, st_text, h->now, err);
    } else if (drc == SRR_OK) {
        *rc = srr_outbox_done(h->st, name, e->kind, e->id, e->seq, res.remote_id, st_text, h->now,
                              err);
        si->failures = 0;
        si->last_error[0] = '\0';
        if (h->stats)
            h->stats->delivered++;
    } else if (drc == SRR_EINVAL || drc == SRR_ENOTFOUND) {
        srr_warn("sync: %s: %s parked: %s", name, e->hid, derr.msg);
        *rc = srr_outbox_save(h->st, name, e->kind, e->id, res.remote_id, st_text, h->now, err);
        if (*rc == SRR_OK)
            *rc = srr_outbox_park(h->st, name, e->kind, e->id, e->seq, si->tag, derr.msg, h->now,
                                  err);
        next = DELIVER_PARKED;
        if (h->stats)
            h->stats->parked++;
    } else {
        /* Transient (SRR_RETRY) or the sink as a whole (SRR_EAUTH, ...):
         * the record keeps its place and the pass stops; both wait. */
        int64_t wait = backoff(h->s, e->attempts + 1, res.retry_after_s);
        *rc = srr_outbox_save(h->st, name, e->kind, e->id, res.remote_id, st_text, h->now, err);
        if (*rc == SRR_OK)
            *rc = srr_outbox_fail(h->st, name, e->kind, e->id,
                                  drc == SRR_RETRY ? h->now + wait : h->now, derr.msg, h->now, err);
        snprintf(derr.msg + strlen(derr.msg), sizeof(derr.msg) - strlen(derr.msg), " (%s)", e->hid);
        inst_failed(h->s, si, h->now, res.retry_after_s, &derr);
        next = DELIVER_STOP;
        if (h->stats)
            h->stats->failed++;
    }
out:
    free(st_text);
    free(res.remote_id);
    json_decref(res.state);
    json_decref(state);
    json_decref(record);
    json_decref(changes);
    return next;
}

/* ---- a pass ------------------------------------------------------------ */

/* 1 when the lease holder `who` ("host:pid") is a process of this host
 * that no longer exists. */
static int holder_dead(const srr_sync *s, const char *who)
{
    const char *colon = strrchr(who, ':');
    size_t hostlen = strcspn(s->owner, ":");
    long pid;
    if (!colon || (size_t)(colon - who) != hostlen || strncmp(who, s->owner, hostlen) != 0)
        return 0;
    pid = strtol(colon + 1, NULL, 10);
    return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Takes or renews the sink's lease (renewed when a third of it is gone).
 * 0 when this process may deliver; -1 when another one does (or the store
 * failed: *rc). */
static int hold_lease(srr_sync *s, sink_inst *si, srr_store *st, int64_t now, srr_rc *rc,
                      srr_error *err)
{
    char *holder = NULL;
    srr_error lerr = {0};
    srr_rc r;
    if (si->leased_at && now - si->leased_at < SYNC_LEASE_S / 3)
        return 0;
    r = srr_outbox_lease(st, si->p->name, s->owner, NULL, now, SYNC_LEASE_S, &holder, &lerr);
    if (r == SRR_ECONFLICT && holder && holder_dead(s, holder))
        r = srr_outbox_lease(st, si->p->name, s->owner, holder, now, SYNC_LEASE_S, NULL, &lerr);
    if (r == SRR_OK) {
        si->leased_at = now;
        si->other[0] = '\0';
    } else if (r == SRR_ECONFLICT) {
        if (strcmp(si->other, holder ? holder : "") != 0)
            srr_warn("sync: %s: another srr (%s) delivers to it; this one waits", si->p->name,
                     holder ? holder : "?");
        snprintf(si->other, sizeof(si->other), "%s", holder ? holder : "");
        s->errors++;
        si->leased_at = 0;
    } else if (r != SRR_RETRY) {
        *rc = srr_error_set(err, r, "%s", lerr.msg);
    }
    free(holder);
    return r == SRR_OK ? 0 : -1;
}

/* One sink's pass. *more: records are still due now. */
static srr_rc sink_pass(srr_sync *s, sink_inst *si, srr_store *st, int64_t now,
                        srr_sync_stats *stats, int *more, srr_error *err)
{
    srr_sink_host h = {s, si, st, now, stats, NULL};
    srr_outbox_entry *due = NULL;
    srr_error serr = {0};
    size_t n = 0, i;
    srr_rc rc = SRR_OK, src;

    if (now < si->next_at)
        return SRR_OK;
    if (hold_lease(s, si, st, now, &rc, err) != 0)
        return rc;
    if (inst_init(s, si, now) != SRR_OK) {
        if (!si->ctx && si->next_at <= now) /* a configuration error: keep saying it */
            si->next_at = now + s->o.max_backoff_s;
        return SRR_OK;
    }
    if (si->p->poll) {
        src = si->p->poll(si->ctx, &h, &serr);
        if (src != SRR_OK) {
            if (src == SRR_EIO || src == SRR_ERR) /* the store */
                return srr_error_set(err, src, "%s", serr.msg);
            inst_failed(s, si, now, 0, &serr);
            return SRR_OK;
        }
    }
    if (si->p->tick) {
        src = si->p->tick(si->ctx, &h, now, &serr);
        if (src != SRR_OK) {
            inst_failed(s, si, now, 0, &serr);
            return SRR_OK;
        }
    }
    rc = srr_outbox_due(st, si->p->name, si->tag, now, (size_t)s->o.batch, &due, &n, err);
    for (i = 0; rc == SRR_OK && i < n; i++) {
        if (hold_lease(s, si, st, srr_now(), &rc, err) != 0) /* renewed in a long pass */
            break;
        if (deliver_one(&h, &due[i], &rc, err) == DELIVER_STOP)
            break;
    }
    if (rc == SRR_OK && i == n && n == (size_t)s->o.batch)
        *more = 1;
    srr_outbox_entries_free(due, n);
    return rc;
}

srr_rc srr_sync_pass(srr_sync *s, srr_store *st, int64_t now, srr_sync_stats *stats, int *more,
                     srr_error *err)
{
    size_t i;
    srr_rc rc = SRR_OK;
    *more = 0;
    for (i = 0; rc == SRR_OK && i < s->n; i++)
        rc = sink_pass(s, &s->sinks[i], st, now, stats, more, err);
    if (stats)
        stats->passes++;
    return rc;
}

/* Sleeps up to `ms`, waking early when *stop is set. */
static void nap(int64_t ms, volatile sig_atomic_t *stop)
{
    struct timespec step = {0, 50 * 1000000L};
    for (int64_t t = 0; t < ms && !(stop && *stop); t += 50)
        nanosleep(&step, NULL);
}

srr_rc srr_sync_run(srr_sync *s, const srr_config *cfg, int once, volatile sig_atomic_t *stop,
                    srr_sync_stats *stats, srr_error *err)
{
    srr_store *st = NULL;
    srr_rc rc = srr_store_open(cfg->store.path, &st, err);
    int more = 0, rounds = 0;
    size_t errors = s->errors;
    if (rc != SRR_OK)
        return rc;
    if (once) /* what failed while opening counts for this run */
        errors = 0;
    while (!(stop && *stop)) {
        rc = srr_sync_pass(s, st, srr_now(), stats, &more, err);
        if (rc == SRR_RETRY) { /* the writer held the database too long: next pass */
            srr_warn("sync: %s", err->msg);
            rc = SRR_OK;
        }
        if (rc != SRR_OK)
            break;
        /* --once: until nothing is due now; a bound keeps a record that
         * changes on every pass from holding it forever. */
        if (once && (!more || ++rounds >= 1000))
            break;
        if (!more)
            nap(s->o.interval_s * 1000, stop);
    }
    for (size_t i = 0; i < s->n; i++) { /* the next deliverer need not wait */
        if (s->sinks[i].leased_at)
            srr_outbox_lease_release(st, s->sinks[i].p->name, s->owner, NULL);
        s->sinks[i].leased_at = 0;
    }
    srr_store_close(&st);
    if (stats)
        stats->sink_errors += s->errors - errors;
    return rc;
}

/* ---- status ------------------------------------------------------------ */

srr_rc srr_sync_status(srr_sync *s, srr_store *st, json_t **out, srr_error *err)
{
    srr_rc rc = srr_outbox_status(st, s->names, s->n, srr_now(), out, err);
    size_t i;
    for (i = 0; rc == SRR_OK && i < s->n; i++) {
        json_t *one = json_array_get(json_object_get(*out, "sinks"), i);
        json_object_set_new(one, "tag", json_string(s->sinks[i].tag));
        json_object_set_new(one, "last_error",
                            s->sinks[i].last_error[0] ? json_string(s->sinks[i].last_error)
                                                      : json_null());
    }
    return rc;
}
