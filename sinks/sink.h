/* SPDX-License-Identifier: Apache-2.0
 *
 * sink.h - the one interface between the outbox (outbox.c, the delivery
 * loop) and the places records are mirrored to: Notion, Slack, a ticket
 * tracker (GitHub or Jira) and Google Sheets (DESIGN.md section 4b). The model
 * is Fluent Bit's output plugins: each sink is a statically initialised
 * struct of callbacks with its own option table, kept apart from its
 * configured instance (the context `init` builds and every later callback
 * gets back). registry.c lists the sinks; the outbox knows only this
 * header, and no sink knows the outbox.
 *
 * What the outbox guarantees a sink:
 *   - deliver() is called for one record at a time, in order per record,
 *     with the record as it is NOW (consecutive changes coalesced) and the
 *     sink's own memory of what the remote side holds (`state`, whatever
 *     JSON the sink returned last time), never inside a store transaction;
 *   - a sink that sends several records in one request (a chat digest of
 *     a batch's new drafts, one write of a sheet's rows) has
 *     deliver_batch() instead: every record due (at most batch_max) in one
 *     call, each with its own result, stored only once the call returned,
 *     so nothing counts as delivered before the remote side took it;
 *   - the remote object's id is kept per record; `creating` says a create
 *     was sent before and never confirmed (a crash between the remote create
 *     and the local mark): look the object up before creating another;
 *   - a sink that needs to know WHAT changed (a chat digest: new draft,
 *     promoted, closed, urgency raised) sets SRR_SINK_CHANGES and gets the
 *     audit entries since its last delivery in `changes`;
 *   - the return code drives retries: SRR_OK delivered; SRR_RETRY transient
 *     (429, 5xx, timeouts, connection errors: the record and the sink back
 *     off, honouring `retry_after_s`); SRR_EINVAL permanent for this record
 *     (a 400 validation error: the record is parked with err's message,
 *     visible in `srr sync status`, retried when it changes or the sink's
 *     configuration does; other records go on); SRR_EAUTH the sink itself
 *     is misconfigured or refused (bad token, not shared): the pass stops
 *     and is retried later;
 *   - poll() (optional) reads edits made on the remote side and hands each
 *     to srr_sink_apply_edit(), which applies it through the same workflow
 *     code as the CLI, audited with the remote user as actor, or says why
 *     it was refused or lost against a later local change; the sink then
 *     puts its side back (the record is due again) and tells the people
 *     there why;
 *   - tick() (optional) runs once per pass after the deliveries (unless
 *     the sink failed in it), for what depends on time rather than on a
 *     change (a review date coming due, a weekly reminder); it reads
 *     records with srr_sink_records();
 *   - a sink may read more top-level sections than its own (`sections`:
 *     the ticket sink reads github: and jira:); any of them configures it.
 */
#ifndef SRR_SINK_H
#define SRR_SINK_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "srr.h"

/* What the outbox offers a sink during a callback (opaque; see the
 * srr_sink_* functions below). Valid only during that callback. */
typedef struct srr_sink_host srr_sink_host;

/* One record to deliver. Everything is borrowed for the call. */
typedef struct srr_sink_item {
    const char *kind;      /* "risk", "backlog" or "investigation" */
    const char *hid;       /* "SRR-12", "BL-3", "INV-7" */
    int64_t seq;           /* the record's latest change (audit id) */
    int64_t delivered_seq; /* the sink's last delivery (0: never) */
    const char *remote_id; /* the remote object, NULL while there is none */
    int creating;          /* a create was sent and never confirmed */
    const json_t *state;   /* the sink's memory of the remote side, or NULL */
    const json_t *record;  /* the record now (store/outbox_store.h srr_outbox_record) */
    const json_t *changes; /* SRR_SINK_CHANGES: the audit entries after delivered_seq
                              up to seq, oldest first; else NULL */
} srr_sink_item;

/* What deliver() leaves for the outbox to store. Owned by the outbox once
 * deliver returns (it frees them), set by the sink. */
typedef struct srr_sink_result {
    char *remote_id;       /* a remote object created or found (malloc'ed) */
    json_t *state;         /* the sink's new memory (a new reference) */
    int64_t retry_after_s; /* SRR_RETRY: the remote side's Retry-After (0: none) */
    int partial;           /* SRR_OK, but a part was left for poll() to settle (a person
                              changed it meanwhile): the record stays due, so the changes
                              since the last delivery still count when the poll weighs
                              which side changed later */
    /* deliver_batch only: each record's outcome, as deliver's return code
     * and error would say it. */
    srr_rc rc;   /* SRR_OK, SRR_RETRY, SRR_EINVAL (parked), ... */
    char *error; /* its message when rc is not SRR_OK (malloc'ed) */
    int skipped; /* not tried (the batch stopped at an earlier failure): left as
                    it is, due again at the next pass */
} srr_sink_result;

/* Another top-level section a sink reads (the ticket sink: github, jira),
 * with its own option table. */
typedef struct srr_sink_section {
    const char *name;           /* the section's key: "github" */
    const srr_opt_def *options; /* its table (ended by a NULL key) */
    size_t options_size;        /* size of the struct that table fills */
} srr_sink_section;

/* A sink instance's environment at init. */
typedef struct srr_sink_env {
    const srr_config *cfg;  /* the whole config (team members, paths); borrowed */
    void *opts;             /* the sink's options, filled by its table (owned by
                               the outbox: valid until exit) */
    void *const *sections;  /* the plugin's `sections`, filled by their tables, in
                               order (owned by the outbox; NULL without sections) */
    const int *has_section; /* has_section[i]: cfg has sections[i] (else defaults) */
} srr_sink_env;

enum {
    SRR_SINK_CHANGES = 1 << 0 /* deliver() wants item->changes */
};

typedef struct srr_sink_plugin {
    const char *name;                 /* the config section and the sink's id: "notion" */
    const char *description;          /* one line for `srr help sync` and the reference */
    const srr_opt_def *options;       /* its option table (ended by a NULL key) */
    size_t options_size;              /* size of the struct that table fills */
    const srr_sink_section *sections; /* more sections it reads (ended by a NULL name),
                                         or NULL */
    unsigned flags;                   /* SRR_SINK_* */
    size_t batch_max;                 /* deliver_batch: records per call (0: sync.batch) */
    /* Checks the options against the rest of the config without
     * contacting anything (`srr config check`; init runs it too).
     * Optional. SRR_EINVAL with file:line:col. */
    srr_rc (*check)(const srr_sink_env *env, srr_error *err);
    /* Builds the instance from its options (checks them; may talk to the
     * remote side to learn its schema). *ctx is handed to every callback.
     * SRR_EINVAL: bad configuration; SRR_RETRY/SRR_EAUTH: the remote side
     * cannot be reached or refuses, try later. */
    srr_rc (*init)(const srr_sink_env *env, void **ctx, srr_error *err);
    /* Mirrors one record (see the return codes above). */
    srr_rc (*deliver)(void *ctx, srr_sink_host *host, const srr_sink_item *item,
                      srr_sink_result *res, srr_error *err);
    /* Or: mirrors n records at once (items in the order deliver would get
     * them), setting res[i].rc (and .error, .skipped) for each. Returns
     * SRR_OK when every record's outcome is in res; any other code means
     * the sink as a whole failed before sending anything (err says why):
     * no record changes, the sink waits as after a transient failure. A
     * sink has deliver or deliver_batch. */
    srr_rc (*deliver_batch)(void *ctx, srr_sink_host *host, const srr_sink_item *items, size_t n,
                            srr_sink_result *res, srr_error *err);
    /* Reads edits made on the remote side since the last poll (optional). */
    srr_rc (*poll)(void *ctx, srr_sink_host *host, srr_error *err);
    /* Work that depends on time, once per pass (optional). */
    srr_rc (*tick)(void *ctx, srr_sink_host *host, int64_t now, srr_error *err);
    /* `srr <name> setup`: prepares the remote side (optional), printing
     * what it did to `out`. */
    srr_rc (*setup)(void *ctx, FILE *out, srr_error *err);
    /* Frees the instance. */
    void (*exit)(void *ctx);
} srr_sink_plugin;

/* ---- the registry (registry.c) ------------------------------------------ */

/* Every sink srr knows, NULL-terminated. */
const srr_sink_plugin *const *srr_sinks_all(void);
/* The sink called `name`, or NULL. */
const srr_sink_plugin *srr_sinks_find(const char *name);

/* ---- what the outbox offers a sink (outbox.c) --------------------------- */

/* Commits, before a create request goes out, that one is being sent, so a
 * crash before the local mark leaves `creating` set for the next attempt. */
srr_rc srr_sink_creating(srr_sink_host *h, const srr_sink_item *item, srr_error *err);

/* Stores what the sink learned in the middle of a delivery (a remote id
 * found by a lookup, its memory after part of an update) without marking
 * the record delivered. remote_id / state may be NULL (left as they are). */
srr_rc srr_sink_save(srr_sink_host *h, const srr_sink_item *item, const char *remote_id,
                     const json_t *state, srr_error *err);

/* A record known by its remote object, for poll(): the record now, the
 * sink's memory and progress. Free with srr_sink_ref_release. */
typedef struct srr_sink_ref {
    srr_sink_item item; /* kind, hid, seq, delivered_seq, remote_id, state, record */
    void *priv;         /* the outbox's */
} srr_sink_ref;

/* Finds the record whose remote object is `remote_id`. SRR_ENOTFOUND for
 * an object srr did not make (a row a person added): leave it alone. */
srr_rc srr_sink_lookup(srr_sink_host *h, const char *remote_id, srr_sink_ref *out, srr_error *err);
void srr_sink_ref_release(srr_sink_ref *ref);
/* Replaces the sink's memory of the record (after reading its remote side):
 * takes a new reference on `state`. */
srr_rc srr_sink_ref_save(srr_sink_host *h, srr_sink_ref *ref, const json_t *state, srr_error *err);

/* One field a person changed on the remote side. Fields: "status",
 * "assignee", "urgency", "cause", "policy", "next_action", "backlog_url"
 * (a backlog item's ticket: set once it is accepted), "postmortem_url"
 * (value: the new value, NULL or "" clears) and "countermeasure_log",
 * "recognition_log" (value: a new entry's text). */
typedef struct srr_sink_edit {
    const char *field;
    const char *value;
    const char *actor;   /* the srr member (mapped by the sink) or "notion:<user>" */
    int64_t at;          /* when it was made on the remote side */
    const char *where;   /* for messages: "Notion" */
    int64_t review_in_s; /* a risk accepted there is reviewed this long after (0: 90 days) */
    const char *link;    /* a backlog item accepted there: its ticket (may be NULL: the
                            record's own backlog URL) */
} srr_sink_edit;

typedef enum {
    SRR_EDIT_APPLIED = 0, /* applied through the workflow and audited */
    SRR_EDIT_SAME,        /* the record already has that value: nothing to do */
    SRR_EDIT_LOST,        /* a later local change of the same field wins (both audited) */
    SRR_EDIT_REFUSED      /* not allowed (audited as refused; `why` says why) */
} srr_edit_outcome;

/* Applies a remote edit to the record of `ref` through the workflow code
 * (store/workflow.h) with `edit->actor` as the actor: a status is mapped to
 * the transition that reaches it (draft -> open is an approval), a log
 * entry appended, a field set. When the same field was also changed
 * locally since the sink's last delivery, the later change wins. After an
 * applied edit ref->item.record is the record as it is now. *outcome
 * says what happened and `why` (at least 256 bytes) the reason for LOST and
 * REFUSED, fit to show the person on the remote side. The record then is
 * due again, so the sink's next delivery puts back what srr holds.
 * Returns SRR_OK (whatever the outcome) or a store error (SRR_RETRY when
 * the database stayed busy). */
srr_rc srr_sink_apply_edit(srr_sink_host *h, srr_sink_ref *ref, const srr_sink_edit *edit,
                           srr_edit_outcome *outcome, char *why, size_t whylen, srr_error *err);

/* Records of `kind` ("risk", "backlog", "investigation") now in `status`
 * (NULL: any), oldest first, at most `limit`: a new array of record views
 * (as item->record) the caller json_decref's. For tick(): a weekly
 * reminder of drafts, the accepted risks whose review date has come. */
srr_rc srr_sink_records(srr_sink_host *h, const char *kind, const char *status, size_t limit,
                        json_t **out, srr_error *err);

/* What this sink remembers of every record it delivered: a new object
 * {"SRR-12": {"remote_id": .. | null, "state": .. | null}, ...} the caller
 * json_decref's (a sheet compares the rows it reads with what it wrote). */
srr_rc srr_sink_memories(srr_sink_host *h, json_t **out, srr_error *err);

/* Another sink's remote object for a record (kind, "SRR-12"): *remote_id a
 * copy (caller frees) and *state (may be NULL; a new reference) of what
 * that sink stored, both NULL when it has none (a Slack message links the
 * record's Notion page). */
srr_rc srr_sink_remote_of(srr_sink_host *h, const char *sink, const char *kind, const char *hid,
                          char **remote_id, json_t **state, srr_error *err);

/* Who should take record `hid` (store/workflow.h srr_wf_suggest with the
 * config's team): *who a copy the caller frees, NULL when the team names
 * nobody. */
srr_rc srr_sink_suggest(srr_sink_host *h, const char *hid, char **who, srr_error *err);

/* A sink's own small values, kept in the store (an edit poll's high-water
 * mark). get: *value is a copy the caller frees, or NULL. set NULL deletes. */
srr_rc srr_sink_meta_get(srr_sink_host *h, const char *key, char **value, srr_error *err);
srr_rc srr_sink_meta_set(srr_sink_host *h, const char *key, const char *value, srr_error *err);

/* The current time of the pass (srr_now() when it started). */
int64_t srr_sink_now(const srr_sink_host *h);

#endif
