/* SPDX-License-Identifier: Apache-2.0
 *
 * outbox_store.h - the store's side of the outbox (DESIGN.md section 4b;
 * schema.h, migration 4). Every change to a record is an audit entry, and a
 * trigger on the audit table keeps one outbox row per record (the audit id
 * of its latest change) in the same transaction as the change. This module
 * is what the delivery loop (sinks/outbox.c) asks of the store: which
 * records a sink has not delivered yet, the record as a sink sees it, the
 * changes since the sink's last delivery, and the sink's progress per
 * record (delivered position, the remote object's id, the sink's memory of
 * the remote side, retries, parking) and its cursors.
 *
 * Nothing here talks to a remote API, and every call is its own short
 * transaction (or a single statement): the caller never holds the write
 * lock while it waits on the network.
 */
#ifndef SRR_OUTBOX_STORE_H
#define SRR_OUTBOX_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "srr.h"
#include "store.h"

/* One record a sink has to look at, with that sink's progress on it.
 * Strings are owned by the entry (srr_outbox_entry_clear). */
typedef struct srr_outbox_entry {
    char kind[16];         /* "risk", "backlog" or "investigation" */
    int64_t id;            /* the record's id in its table */
    char hid[32];          /* "SRR-12", "BL-3", "INV-7" */
    int64_t seq;           /* audit id of the record's latest change */
    int64_t created_seq;   /* audit id of its first change (creation order) */
    int64_t delivered_seq; /* what this sink delivered last (0: never) */
    int64_t changed_at;    /* time of the latest change */
    char *remote_id;       /* the remote object, NULL while there is none */
    char *state;           /* the sink's memory of the remote side (JSON text), or NULL */
    int creating;          /* a create was sent and never confirmed: look before creating */
    int attempts;          /* failed attempts since the last delivery */
    int was_parked;        /* parked before, due again (new change or config changed) */
} srr_outbox_entry;

void srr_outbox_entry_clear(srr_outbox_entry *e);
void srr_outbox_entries_free(srr_outbox_entry *e, size_t n);

/* The records `sink` has to deliver at `now`, at most `limit`: those whose
 * latest change is past what the sink delivered, not waiting for a retry
 * (next attempt later than now), and not parked -- unless the record
 * changed since it was parked or the sink's configuration `tag` differs
 * from the one it was parked with (the config was fixed). Records the sink
 * never delivered come first in creation order, then the others in the
 * order of their latest change. *out is a new array of *n entries (free
 * with srr_outbox_entries_free; NULL when none). */
srr_rc srr_outbox_due(srr_store *st, const char *sink, const char *tag, int64_t now, size_t limit,
                      srr_outbox_entry **out, size_t *n, srr_error *err);

/* The sink's progress on one record (kind + id), or on the record whose
 * remote object is `remote_id` (srr_outbox_find_remote). The entry's seq
 * is the record's current one. SRR_ENOTFOUND when there is none. */
srr_rc srr_outbox_get(srr_store *st, const char *sink, const char *kind, int64_t id,
                      srr_outbox_entry *out, srr_error *err);
srr_rc srr_outbox_find_remote(srr_store *st, const char *sink, const char *remote_id,
                              srr_outbox_entry *out, srr_error *err);

/* Marks that a create for the record is about to be sent (committed before
 * the request goes out): after a crash between the remote create and
 * srr_outbox_done, the next attempt sees `creating` and looks the object up
 * before creating another. */
srr_rc srr_outbox_begin_create(srr_store *st, const char *sink, const char *kind, int64_t id,
                               int64_t now, srr_error *err);
/* Saves what the sink learned without marking anything delivered (the
 * remote id found by a lookup, its memory after part of an update).
 * remote_id / state NULL leave the stored values. */
srr_rc srr_outbox_save(srr_store *st, const char *sink, const char *kind, int64_t id,
                       const char *remote_id, const char *state, int64_t now, srr_error *err);
/* The record is delivered up to `seq`: stores the remote id and the sink's
 * memory (NULL leaves the stored value), clears retries, parking and the
 * create mark. */
srr_rc srr_outbox_done(srr_store *st, const char *sink, const char *kind, int64_t id, int64_t seq,
                       const char *remote_id, const char *state, int64_t now, srr_error *err);
/* A transient failure: one more attempt, the next one not before next_at,
 * the error kept for `srr sync status`. */
srr_rc srr_outbox_fail(srr_store *st, const char *sink, const char *kind, int64_t id,
                       int64_t next_at, const char *error, int64_t now, srr_error *err);
/* A permanent failure: the record's entries up to `seq` are parked with
 * the reason and the sink configuration's `tag`; other records go on. */
srr_rc srr_outbox_park(srr_store *st, const char *sink, const char *kind, int64_t id, int64_t seq,
                       const char *tag, const char *reason, int64_t now, srr_error *err);
/* Makes parked and waiting records of `sink` (NULL: every sink) due now:
 * one record (kind + id) or, with kind NULL, all of them. *n (may be NULL)
 * gets how many were released. */
srr_rc srr_outbox_release(srr_store *st, const char *sink, const char *kind, int64_t id, size_t *n,
                          srr_error *err);
/* Makes records of `sink` (NULL: every sink) due again from scratch: the
 * sink's memory of their remote objects is dropped (the remote ids are
 * kept), so the next delivery compares everything with what the remote
 * side holds and writes what differs (after restoring a backup). One
 * record (kind + id) or, with kind NULL, all; *n (may be NULL) gets how
 * many. */
srr_rc srr_outbox_resend(srr_store *st, const char *sink, const char *kind, int64_t id, size_t *n,
                         srr_error *err);
/* After a restore the store is behind the remote side: pages may hold what
 * srr wrote after the backup, and pages may exist for records the backup
 * knew undelivered. For every sink that delivered before: its memories are
 * dropped (everything is compared again, as srr_outbox_resend) and every
 * record without a remote id is looked up before it is created. *n (may be
 * NULL) gets the records touched. */
srr_rc srr_outbox_after_restore(srr_store *st, int64_t now, size_t *n, srr_error *err);
/* Forgets the sink's progress on a record (its remote object was deleted
 * on the remote side): the next delivery creates it again. */
srr_rc srr_outbox_forget(srr_store *st, const char *sink, const char *kind, int64_t id,
                         srr_error *err);

/* The record as sinks render it (a new object the caller owns):
 * {kind, id ("SRR-12"), status, urgency (name), title, service, env,
 *  assignee, overview, cause, policy, next_action, datadog_url, backlog_url,
 *  postmortem_url, labels [..], rule, reason, approved_by, merged_into,
 *  next_review_at, first_seen, last_seen, created_at, updated_at (ISO-8601
 *  or null), occurrences, recognition_log and countermeasure_log
 *  [{at, author, text}], weeks [{week, count, max}] (firing evidence per
 *  week, Monday to Monday UTC, of the `weeks` weeks up to the record's last
 *  sighting, oldest first; weeks without any are left out), links [..]
 *  (distinct Datadog links of the recent evidence, newest first, at most
 *  5)}. It depends only on the stored record, never on the clock. Fields a
 *  kind does not have are null (backlog: overview is its description,
 *  backlog_url its ticket; investigation: the overview is written from its
 *  time-box). SRR_ENOTFOUND for an unknown record. */
srr_rc srr_outbox_record(srr_store *st, const char *kind, int64_t id, int weeks, json_t **out,
                         srr_error *err);

/* The records of `kind` in `status` (NULL: any), in id order, at most
 * `limit` (0: all), each as srr_outbox_record shows it with `weeks` weeks
 * of evidence: a new array the caller owns. */
srr_rc srr_outbox_records(srr_store *st, const char *kind, const char *status, int weeks,
                          size_t limit, json_t **out, srr_error *err);

/* What `sink` remembers of the records it delivered: a new object
 * {"SRR-12": {"remote_id": .. | null, "state": <its memory> | null}, ...}
 * for every record with a remote id or a memory. */
srr_rc srr_outbox_memories(srr_store *st, const char *sink, json_t **out, srr_error *err);

/* The audit entries of a record after `after_seq` up to `upto_seq`
 * (inclusive), oldest first: a new array of {seq, at, actor, action,
 * before, after, why}. What a sink that reports changes (a chat digest)
 * reads instead of the coalesced state. */
srr_rc srr_outbox_changes(srr_store *st, const char *kind, int64_t id, int64_t after_seq,
                          int64_t upto_seq, json_t **out, srr_error *err);

/* The latest change of `column` (a key of the audit's `after`: "status",
 * "cause", "assignee" ...) of a record after audit id `after_seq`: *at gets
 * its time (0 when there was none) and *actor (may be NULL) a copy of who
 * made it (caller frees). */
srr_rc srr_outbox_local_change(srr_store *st, const char *kind, int64_t id, int64_t after_seq,
                               const char *column, int64_t *at, char **actor, srr_error *err);

/* Appends an audit entry about a record made by the sync itself (a remote
 * edit that lost against a later local one, a refused remote edit): the
 * same audit table, so the record is due again for every sink. before and
 * after are borrowed (may be NULL). */
srr_rc srr_outbox_audit(srr_store *st, const char *kind, int64_t id, const char *actor,
                        const char *action, const json_t *before, const json_t *after,
                        const char *why, int64_t now, srr_error *err);

/* A sink's own small values (its edit poll's high-water mark ...). get sets
 * *value to a copy (caller frees) or NULL; set with NULL deletes. */
srr_rc srr_outbox_meta_get(srr_store *st, const char *sink, const char *key, char **value,
                           srr_error *err);
srr_rc srr_outbox_meta_set(srr_store *st, const char *sink, const char *key, const char *value,
                           srr_error *err);

/* One deliverer per sink: takes (or renews) the lease of `sink` for
 * `owner` until now + ttl_s when it is free, expired, already `owner`'s,
 * or held by `dead` (a holder the caller knows is gone; may be NULL).
 * SRR_OK when `owner` holds it; SRR_ECONFLICT when someone else does
 * (*holder, may be NULL, gets a copy the caller frees). release gives it
 * up if `owner` holds it. Two processes delivering the same record at once
 * could each create its page; the lease keeps them one at a time. */
srr_rc srr_outbox_lease(srr_store *st, const char *sink, const char *owner, const char *dead,
                        int64_t now, int64_t ttl_s, char **holder, srr_error *err);
srr_rc srr_outbox_lease_release(srr_store *st, const char *sink, const char *owner, srr_error *err);

/* What `srr sync status` prints, for the sinks named in `sinks`: a new
 * object {records, sinks: [{sink, delivered, pending, oldest_pending_s,
 * waiting: [{record, attempts, next_at, error}], parked: [{record, at,
 * reason}]}]}. oldest_pending_s is the age at `now` of the oldest change a
 * sink has not delivered (parked ones included; 0 when none). */
srr_rc srr_outbox_status(srr_store *st, const char *const *sinks, size_t nsinks, int64_t now,
                         json_t **out, srr_error *err);

#endif
