/* SPDX-License-Identifier: Apache-2.0
 *
 * queue.c - the public queue API (queue.h) as thin wrappers that pick a
 * backend from cfg->queue.backend and dispatch through its vtable
 * (queue_backend.h). "spool" is the local durable spool; "kafka" is
 * librdkafka (kafka.c).
 */
#include <stdlib.h>
#include <string.h>

#include "queue.h"
#include "queue_backend.h"

struct srr_producer {
    const srr_queue_backend *be;
    void *impl;
};

struct srr_consumer {
    const srr_queue_backend *be;
    void *impl;
    size_t last_n; /* messages returned by the last poll (default at_end) */
    int polled;    /* a poll has happened */
};

static const srr_queue_backend *const BACKENDS[] = {&srr_spool_backend, &srr_kafka_backend};

/* Finds the backend configured in cfg; SRR_EINVAL names what is known. */
static srr_rc pick_backend(const srr_config *cfg, const srr_queue_backend **out, srr_error *err)
{
    const char *name =
        cfg && cfg->queue.backend && *cfg->queue.backend ? cfg->queue.backend : "spool";
    size_t i;
    for (i = 0; i < sizeof(BACKENDS) / sizeof(BACKENDS[0]); i++) {
        if (strcmp(BACKENDS[i]->name, name) == 0) {
            *out = BACKENDS[i];
            return SRR_OK;
        }
    }
    return srr_error_set(err, SRR_EINVAL, "unknown queue.backend '%s' (expected spool or kafka)",
                         name);
}

srr_rc srr_producer_open(const srr_config *cfg, srr_producer **out, srr_error *err)
{
    const srr_queue_backend *be = NULL;
    void *impl = NULL;
    srr_rc rc;
    *out = NULL;
    rc = pick_backend(cfg, &be, err);
    if (rc == SRR_OK)
        rc = be->producer_open(cfg, &impl, err);
    if (rc != SRR_OK)
        return rc;
    *out = srr_malloc(sizeof(**out));
    (*out)->be = be;
    (*out)->impl = impl;
    return SRR_OK;
}

srr_rc srr_producer_send(srr_producer *p, const char *key, const char *payload, size_t len,
                         srr_error *err)
{
    return p->be->send(p->impl, key, payload, len, err);
}

srr_rc srr_producer_flush(srr_producer *p, srr_error *err)
{
    return p->be->flush(p->impl, err);
}

void srr_producer_close(srr_producer **p)
{
    if (!p || !*p)
        return;
    (*p)->be->producer_close((*p)->impl);
    free(*p);
    *p = NULL;
}

srr_rc srr_consumer_open(const srr_config *cfg, srr_consumer **out, srr_error *err)
{
    const srr_queue_backend *be = NULL;
    void *impl = NULL;
    srr_rc rc;
    *out = NULL;
    rc = pick_backend(cfg, &be, err);
    if (rc == SRR_OK)
        rc = be->consumer_open(cfg, &impl, err);
    if (rc != SRR_OK)
        return rc;
    *out = srr_calloc(1, sizeof(**out));
    (*out)->be = be;
    (*out)->impl = impl;
    return SRR_OK;
}

srr_rc srr_consumer_poll(srr_consumer *c, size_t max, int timeout_ms, const srr_message **msgs,
                         size_t *n, srr_error *err)
{
    srr_rc rc = c->be->poll(c->impl, max, timeout_ms, msgs, n, err);
    c->polled = 1;
    c->last_n = rc == SRR_OK ? *n : 1;
    return rc;
}

srr_rc srr_consumer_dead_letter(srr_consumer *c, const srr_message *m, const char *reason,
                                srr_error *err)
{
    return c->be->dead_letter ? c->be->dead_letter(c->impl, m, reason, err) : SRR_OK;
}

int srr_consumer_at_end(srr_consumer *c, srr_error *err)
{
    if (c->be->at_end)
        return c->be->at_end(c->impl, err);
    return c->polled && c->last_n == 0;
}

const char *srr_consumer_origin(const srr_consumer *c)
{
    return c->be->name;
}

srr_rc srr_consumer_commit(srr_consumer *c, srr_error *err)
{
    return c->be->commit(c->impl, err);
}

void srr_consumer_close(srr_consumer **c)
{
    if (!c || !*c)
        return;
    (*c)->be->consumer_close((*c)->impl);
    free(*c);
    *c = NULL;
}

void srr_consumer_position(srr_consumer *c, const char **key, const srr_queue_pos **pos,
                           size_t *n)
{
    *key = c->be->name;
    *pos = NULL;
    *n = 0;
    if (c->be->position)
        c->be->position(c->impl, key, pos, n);
}

struct srr_rewinder {
    const srr_queue_backend *be;
    void *impl;
};

srr_rc srr_rewinder_open(const srr_config *cfg, srr_rewinder **out, const char **key,
                         srr_error *err)
{
    const srr_queue_backend *be = NULL;
    void *impl = NULL;
    srr_rc rc = pick_backend(cfg, &be, err);
    *out = NULL;
    if (rc == SRR_OK && !be->rewind_open)
        rc = srr_error_set(err, SRR_EINVAL, "the %s queue cannot be rewound", be->name);
    if (rc == SRR_OK)
        rc = be->rewind_open(cfg, &impl, key, err);
    if (rc != SRR_OK)
        return rc;
    *out = srr_malloc(sizeof(**out));
    (*out)->be = be;
    (*out)->impl = impl;
    return SRR_OK;
}

srr_rc srr_rewinder_check(srr_rewinder *r, const srr_queue_pos *pos, size_t n,
                          srr_rewind_plan *plan, srr_error *err)
{
    memset(plan, 0, sizeof(*plan));
    return r->be->rewind_check(r->impl, pos, n, plan, err);
}

srr_rc srr_rewinder_apply(srr_rewinder *r, const srr_queue_pos *pos, size_t n, srr_error *err)
{
    return r->be->rewind_apply(r->impl, pos, n, err);
}

void srr_rewinder_close(srr_rewinder **r)
{
    if (!r || !*r)
        return;
    (*r)->be->rewind_close((*r)->impl);
    free(*r);
    *r = NULL;
}
