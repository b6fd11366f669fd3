/* SPDX-License-Identifier: Apache-2.0
 *
 * outbox.c - the delivery loop (outbox.h). It knows sinks only through
 * sink.h and the registry: each configured sink is an instance (its
 * plugin, its options filled by its own tables, the context its init
 * built), and a pass asks each instance to poll its remote side for edits,
 * to do what depends on time (tick), then hands it every record due
 * (store/outbox_store.h), one by one or all at once to a sink that sends
 * them together (deliver_batch), storing what came back: delivered (with
 * the remote id and the sink's memory), a transient failure (record and
 * sink back off, Retry-After honoured), or a permanent one (parked with the
 * reason, the others go on).
 *
 * What a sink may ask during a callback (srr_sink_*, remote edits applied
 * through the workflow among them) is in outbox_host.c.
 *
 * Reading order: options and instances, one delivery, a batch, a pass, the
 * run loop, status.
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
#include "outbox_internal.h"

#define SYNC_LEASE_S 300 /* one deliverer per sink: the lease's length */

/* ---- options and instances -------------------------------------------- */

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

/* A section node, NULL when absent. */
static const srr_yaml_node *section_of(const srr_config *cfg, const char *name)
{
    return srr_yaml_get(cfg->root, name);
}

/* 1 when cfg configures the sink: its own section or one it reads. */
static int sink_configured(const srr_config *cfg, const srr_sink_plugin *p)
{
    const srr_sink_section *x;
    if (section_of(cfg, p->name))
        return 1;
    for (x = p->sections; x && x->name; x++)
        if (section_of(cfg, x->name))
            return 1;
    return 0;
}

size_t srr_sync_configured_names(const srr_config *cfg, const char **names, size_t max)
{
    const srr_sink_plugin *const *p;
    size_t n = 0;
    for (p = srr_sinks_all(); *p && n < max; p++)
        if (sink_configured(cfg, *p))
            names[n++] = (*p)->name;
    return n;
}

int srr_sync_configured(const srr_config *cfg)
{
    const srr_sink_plugin *const *p;
    for (p = srr_sinks_all(); *p; p++)
        if (sink_configured(cfg, *p))
            return 1;
    return 0;
}

/* Adds the option values of one table to the hash of the sink's
 * configuration (its "tag"). */
static void options_hash(srr_sha256 *hp, const srr_opt_def *opts, const void *base)
{
    srr_sha256 h = *hp;
    size_t i, j;
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
    *hp = h;
}

/* The tag of an instance: a hash of every option it was loaded with. */
static void inst_tag(sink_inst *si)
{
    srr_sha256 h;
    unsigned char d[32];
    const srr_sink_section *x;
    size_t i;
    srr_sha256_init(&h);
    options_hash(&h, si->p->options, si->opts);
    for (i = 0, x = si->p->sections; x && x->name; x++, i++) {
        srr_sha256_update(&h, x->name, strlen(x->name) + 1);
        options_hash(&h, x->options, si->sec_opts[i]);
    }
    srr_sha256_final(&h, d);
    for (i = 0; i < 8; i++)
        snprintf(si->tag + 2 * i, 3, "%02x", d[i]);
}

/* Frees what inst_load filled. */
static void inst_free_options(sink_inst *si)
{
    const srr_sink_section *x;
    size_t i;
    if (si->opts)
        srr_config_free_options(si->p->options, si->opts);
    free(si->opts);
    si->opts = NULL;
    for (i = 0, x = si->p->sections; si->sec_opts && x && x->name; x++, i++) {
        if (si->sec_opts[i])
            srr_config_free_options(x->options, si->sec_opts[i]);
        free(si->sec_opts[i]);
    }
    free(si->sec_opts);
    free(si->has_sec);
    si->sec_opts = NULL;
    si->has_sec = NULL;
}

/* Loads an instance's options: its section and the ones it reads. */
static srr_rc inst_load(const srr_config *cfg, const srr_sink_plugin *p, sink_inst *si,
                        srr_error *err)
{
    const srr_sink_section *x;
    size_t i, n = 0;
    srr_rc rc;
    memset(si, 0, sizeof(*si));
    si->p = p;
    si->opts = srr_calloc(1, p->options_size);
    rc = srr_config_load_options(p->options, section_of(cfg, p->name), p->name, si->opts, err);
    for (x = p->sections; x && x->name; x++)
        n++;
    if (n) {
        si->sec_opts = srr_calloc(n, sizeof(void *));
        si->has_sec = srr_calloc(n, sizeof(int));
    }
    for (i = 0, x = p->sections; rc == SRR_OK && x && x->name; x++, i++) {
        const srr_yaml_node *sec = section_of(cfg, x->name);
        si->sec_opts[i] = srr_calloc(1, x->options_size);
        si->has_sec[i] = sec != NULL;
        rc = srr_config_load_options(x->options, sec, x->name, si->sec_opts[i], err);
    }
    if (rc == SRR_OK)
        inst_tag(si);
    return rc;
}

static void inst_env(const srr_sync *s, const sink_inst *si, srr_sink_env *env)
{
    env->cfg = s ? s->cfg : NULL;
    env->opts = si->opts;
    env->sections = si->sec_opts;
    env->has_section = si->has_sec;
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
        sink_inst si;
        if (!sink_configured(cfg, *p))
            continue;
        rc = inst_load(cfg, *p, &si, err);
        if (rc == SRR_OK && (*p)->check) {
            srr_sink_env env = {cfg, si.opts, si.sec_opts, si.has_sec};
            rc = (*p)->check(&env, err);
        }
        inst_free_options(&si);
    }
    return rc;
}

void srr_sync_print_reference(FILE *out, int roff)
{
    const srr_sink_plugin *const *p;
    const srr_sink_section *x;
    srr_config_print_options(out, "sync", SYNC_OPTS, roff);
    for (p = srr_sinks_all(); *p; p++) {
        srr_config_print_options(out, (*p)->name, (*p)->options, roff);
        for (x = (*p)->sections; x && x->name; x++)
            srr_config_print_options(out, x->name, x->options, roff);
    }
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
        inst_free_options(&s->sinks[i]);
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
    srr_sink_env env;
    srr_error err = {0};
    srr_rc rc = SRR_OK;
    if (si->ctx)
        return SRR_OK;
    inst_env(s, si, &env);
    if (si->p->check)
        rc = si->p->check(&env, &err);
    if (rc == SRR_OK)
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
        if (!sink_configured(cfg, *p) || (only && strcmp(only, (*p)->name) != 0))
            continue;
        s->sinks = srr_realloc(s->sinks, (s->n + 1) * sizeof(*s->sinks));
        rc = inst_load(cfg, *p, &s->sinks[s->n++], err);
        if (rc != SRR_OK)
            goto fail;
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

/* ---- one delivery ----------------------------------------------------- */

typedef enum { DELIVER_DONE, DELIVER_PARKED, DELIVER_STOP } deliver_next;

/* Stores the outcome `drc` of delivering entry e (res: what the sink left,
 * msg: its error). A transient or sink-wide failure returns DELIVER_STOP
 * and leaves the sink's own wait to the caller (sink_failed). A store
 * error is in *rc. */
static deliver_next settle(srr_sink_host *h, const srr_outbox_entry *e, srr_rc drc,
                           const srr_sink_result *res, const char *msg, srr_rc *rc, srr_error *err)
{
    sink_inst *si = h->si;
    const char *name = si->p->name;
    char *st_text = srr_sync_state_text(res->state);
    deliver_next next = DELIVER_DONE;

    if (drc == SRR_OK && res->partial) { /* what landed is kept; the rest after the poll */
        *rc = srr_outbox_save(h->st, name, e->kind, e->id, res->remote_id, st_text, h->now, err);
    } else if (drc == SRR_OK) {
        *rc = srr_outbox_done(h->st, name, e->kind, e->id, e->seq, res->remote_id, st_text, h->now,
                              err);
        si->failures = 0;
        si->last_error[0] = '\0';
        if (h->stats)
            h->stats->delivered++;
    } else if (drc == SRR_EINVAL || drc == SRR_ENOTFOUND) {
        srr_warn("sync: %s: %s parked: %s", name, e->hid, msg);
        *rc = srr_outbox_save(h->st, name, e->kind, e->id, res->remote_id, st_text, h->now, err);
        if (*rc == SRR_OK)
            *rc = srr_outbox_park(h->st, name, e->kind, e->id, e->seq, si->tag, msg, h->now, err);
        next = DELIVER_PARKED;
        if (h->stats)
            h->stats->parked++;
    } else {
        /* Transient (SRR_RETRY) or the sink as a whole (SRR_EAUTH, ...):
         * the record keeps its place; it and the sink wait. */
        int64_t wait = backoff(h->s, e->attempts + 1, res->retry_after_s);
        *rc = srr_outbox_save(h->st, name, e->kind, e->id, res->remote_id, st_text, h->now, err);
        if (*rc == SRR_OK)
            *rc = srr_outbox_fail(h->st, name, e->kind, e->id,
                                  drc == SRR_RETRY ? h->now + wait : h->now, msg, h->now, err);
        next = DELIVER_STOP;
        if (h->stats)
            h->stats->failed++;
    }
    free(st_text);
    return next;
}

/* The sink failed transiently or as a whole while delivering e: it waits
 * (msg names the record). */
static void sink_failed(srr_sink_host *h, const srr_outbox_entry *e, const char *msg,
                        int64_t retry_after_s)
{
    srr_error derr = {0};
    snprintf(derr.msg, sizeof(derr.msg), "%.900s (%s)", msg, e->hid);
    inst_failed(h->s, h->si, h->now, retry_after_s, &derr);
}

/* Delivers one due record and stores the outcome. Returns what the pass
 * does next (DELIVER_STOP: the sink failed transiently or as a whole), or
 * a store error in *rc. */
static deliver_next deliver_one(srr_sink_host *h, const srr_outbox_entry *e, srr_rc *rc,
                                srr_error *err)
{
    sink_inst *si = h->si;
    srr_sink_item item;
    srr_sink_result res;
    json_t *state = NULL, *record = NULL, *changes = NULL;
    srr_error derr = {0};
    deliver_next next = DELIVER_DONE;
    srr_rc drc;

    memset(&res, 0, sizeof(res));
    *rc = srr_sync_load_item(h, e, &item, &state, &record, &changes, err);
    if (*rc == SRR_ENOTFOUND) { /* the record is gone (cannot happen today) */
        *rc = srr_outbox_done(h->st, si->p->name, e->kind, e->id, e->seq, NULL, NULL, h->now, err);
        goto out;
    }
    if (*rc != SRR_OK)
        goto out;
    h->entry = e;
    drc = si->p->deliver(si->ctx, h, &item, &res, &derr);
    h->entry = NULL;
    next = settle(h, e, drc, &res, derr.msg, rc, err);
    if (next == DELIVER_STOP)
        sink_failed(h, e, derr.msg, res.retry_after_s);
out:
    free(res.remote_id);
    json_decref(res.state);
    json_decref(state);
    json_decref(record);
    json_decref(changes);
    return next;
}

/* ---- a batch ------------------------------------------------------------ */

/* Hands the n due records to the sink's deliver_batch and stores each
 * outcome. Returns a store error in *rc; sets *stopped when the sink
 * failed (transiently or as a whole) or tried none of them (it waits for a
 * Retry-After): then no more is due right now. */
static void deliver_batch(srr_sink_host *h, const srr_outbox_entry *due, size_t n, srr_rc *rc,
                          int *stopped, srr_error *err)
{
    sink_inst *si = h->si;
    srr_sink_item *items = srr_calloc(n ? n : 1, sizeof(*items));
    srr_sink_result *res = srr_calloc(n ? n : 1, sizeof(*res));
    json_t **owned = srr_calloc(3 * (n ? n : 1), sizeof(*owned));
    const srr_outbox_entry **ent = srr_calloc(n ? n : 1, sizeof(*ent));
    size_t i, m = 0, tried = 0;
    srr_error berr = {0};
    srr_rc brc;

    *stopped = 0;
    *rc = SRR_OK;
    for (i = 0; *rc == SRR_OK && i < n; i++) {
        json_t **o = &owned[3 * m];
        *rc = srr_sync_load_item(h, &due[i], &items[m], &o[0], &o[1], &o[2], err);
        if (*rc == SRR_ENOTFOUND) { /* gone: nothing to send */
            json_decref(o[0]);
            json_decref(o[1]);
            json_decref(o[2]);
            o[0] = o[1] = o[2] = NULL;
            *rc = srr_outbox_done(h->st, si->p->name, due[i].kind, due[i].id, due[i].seq, NULL,
                                  NULL, h->now, err);
            continue;
        }
        if (*rc == SRR_OK)
            ent[m++] = &due[i];
    }
    if (*rc != SRR_OK || m == 0)
        goto out;
    brc = si->p->deliver_batch(si->ctx, h, items, m, res, &berr);
    if (brc != SRR_OK) {
        *stopped = 1;
        inst_failed(h->s, si, h->now, 0, &berr);
        if (h->stats)
            h->stats->failed++;
        goto out;
    }
    for (i = 0, tried = 0; *rc == SRR_OK && i < m; i++) {
        if (res[i].skipped)
            continue;
        tried++;
        if (settle(h, ent[i], res[i].rc, &res[i], res[i].error ? res[i].error : "", rc, err) ==
                DELIVER_STOP &&
            !*stopped) {
            *stopped = 1;
            sink_failed(h, ent[i], res[i].error ? res[i].error : "failed", res[i].retry_after_s);
        }
    }
    if (tried == 0) /* the sink waits (a Retry-After): no progress, no more now */
        *stopped = 1;
out:
    for (i = 0; i < n; i++) {
        free(res[i].remote_id);
        free(res[i].error);
        json_decref(res[i].state);
    }
    for (i = 0; i < 3 * n; i++)
        json_decref(owned[i]);
    free(owned);
    free(items);
    free(res);
    free(ent);
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
    srr_sink_host h = {s, si, st, now, stats, NULL, 0};
    srr_outbox_entry *due = NULL;
    srr_error serr = {0};
    size_t n = 0, i, limit;
    int64_t stalled;
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
    stalled = si->next_at;
    limit = si->p->deliver_batch && si->p->batch_max ? si->p->batch_max : (size_t)s->o.batch;
    rc = srr_outbox_due(st, si->p->name, si->tag, now, limit, &due, &n, err);
    if (rc == SRR_OK && si->p->deliver_batch) {
        int stopped = 0;
        if (n > 0)
            deliver_batch(&h, due, n, &rc, &stopped, err);
        i = stopped ? 0 : n;
    } else {
        for (i = 0; rc == SRR_OK && i < n; i++) {
            if (hold_lease(s, si, st, srr_now(), &rc, err) != 0) /* renewed in a long pass */
                break;
            if (deliver_one(&h, &due[i], &rc, err) == DELIVER_STOP)
                break;
        }
    }
    if (rc == SRR_OK && i == n && n == limit)
        *more = 1;
    srr_outbox_entries_free(due, n);
    /* What depends on time, once the changes are told (a reminder comes
     * after the news), unless the sink failed in this pass. */
    if (rc == SRR_OK && si->p->tick && si->next_at == stalled) {
        src = si->p->tick(si->ctx, &h, now, &serr);
        if (src == SRR_EIO || src == SRR_ERR) /* the store */
            rc = srr_error_set(err, src, "%s", serr.msg);
        else if (src != SRR_OK)
            inst_failed(s, si, now, 0, &serr);
    }
    /* An edit taken or refused wrote to the audit: other sinks have a
     * change to deliver right now. */
    if (h.audited)
        *more = 1;
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
