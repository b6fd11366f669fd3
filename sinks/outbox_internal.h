/* SPDX-License-Identifier: Apache-2.0
 *
 * outbox_internal.h - what the two files of the delivery loop share
 * (internal to sinks/): outbox.c (instances, delivery, passes, the run
 * loop, status) and outbox_host.c (what the outbox offers sinks during a
 * callback, sink.h's srr_sink_*, the remote edits applied through the
 * workflow among them). No sink includes it.
 */
#ifndef SRR_OUTBOX_INTERNAL_H
#define SRR_OUTBOX_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "outbox.h"
#include "outbox_store.h"
#include "sink.h"

#define SYNC_WEEKS 8 /* weeks of evidence in a record's view */
#define SYNC_REVIEW_IN_S (90 * 86400)

typedef struct sync_opts {
    int64_t interval_s;
    int64_t max_backoff_s;
    long long batch;
} sync_opts;

typedef struct sink_inst {
    const srr_sink_plugin *p;
    void *opts;        /* filled by p->options; owned */
    void **sec_opts;   /* filled by p->sections' tables; owned (NULL without sections) */
    int *has_sec;      /* cfg has p->sections[i] */
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
    size_t audited;                /* remote edits that wrote to the audit in this pass */
};

/* The record of an entry as a sink sees it: fills item (borrowing from e
 * and from the new references *state, *record, *changes the caller
 * json_decref's; changes may be NULL: not wanted). SRR_ENOTFOUND when the
 * record is gone. */
srr_rc srr_sync_load_item(srr_sink_host *h, const srr_outbox_entry *e, srr_sink_item *item,
                          json_t **state, json_t **record, json_t **changes, srr_error *err);

/* A sink's memory as stored (compact JSON, keys sorted), or NULL. Caller
 * frees. */
char *srr_sync_state_text(const json_t *state);

#endif
