/* SPDX-License-Identifier: Apache-2.0
 *
 * workflow.h - the human side of the records (issue 7): the transitions an
 * engineer makes on risks and backlog items (approve, reject, merge,
 * assign, log, set, resolve, accept, reopen; accept, done, reject), the
 * filtered risk list, the audit trail they leave, the per-person load and
 * the fair assignment suggestion. workflow.c makes the transitions,
 * workflow_reads.c serves the list, weekly counts and audit, and
 * workflow_team.c the load and the suggestion.
 *
 * Every change runs in one BEGIN IMMEDIATE transaction: the record is read,
 * the transition checked against the status it has *now*, the row updated
 * only if it still has the status and updated_at that were read, and one
 * audit entry (actor, time, action, before -> after, why) appended. So two
 * terminals editing the same record both keep their change, and a change
 * that no longer makes sense (the record moved on underneath) is refused
 * with SRR_ECONFLICT and a message naming the status and what is allowed.
 *
 * Risk statuses (DESIGN.md section 3):
 *   draft -> open (approve) | rejected (reject) | merged (merge)
 *   open -> mitigating (first countermeasure log entry) | resolved | accepted
 *   mitigating -> resolved | accepted; accepted -> accepted (renew review)
 *   resolved | accepted -> open, rejected -> draft (reopen)
 * Backlog statuses: draft -> accepted (with a ticket link, or --ticket: the
 *   tracker's sink makes the ticket and links it) -> done -> accepted
 *   (reopen: its ticket was reopened); draft | accepted -> rejected; the
 *   link of an accepted or done item may be set (link).
 */
#ifndef SRR_WORKFLOW_H
#define SRR_WORKFLOW_H

#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "srr.h"
#include "store.h"

/* One change request. All pointers are borrowed; unused fields NULL/0. */
typedef struct srr_wf_req {
    const char *actor;       /* who (required) */
    int64_t now;             /* when (epoch seconds) */
    const char *note;        /* why: approve/resolve/reopen note, reject/accept reason */
    const char *assignee;    /* approve --assign, assign WHO */
    const char *urgency;     /* approve --urgency */
    const char *into;        /* merge --into */
    const char *section;     /* log: "recognition" or "countermeasure" */
    const char *text;        /* log text */
    const char *const *sets; /* set: "key=value" items */
    size_t nsets;
    const char *link;       /* backlog accept --link, backlog link */
    int ticket;             /* backlog accept --ticket: no link yet, the tracker's sink
                               makes the ticket and sets it (audited "ticket": "requested") */
    int64_t review_in_s;    /* accept --review-in */
    int64_t expect_updated; /* > 0: refuse (SRR_ECONFLICT) unless the record's
                               updated_at is still this (--expect-updated) */
} srr_wf_req;

/* Applies `verb` ("approve", "reject", "merge", "assign", "log", "set",
 * "resolve", "accept", "reopen") to risk `id` ("SRR-3" or "3").
 * On success *result (may be NULL) gets a new object {id, action, status,
 * before, after} the caller json_decref's. Returns SRR_ENOTFOUND for an
 * unknown id, SRR_EINVAL for a bad or missing argument, SRR_ECONFLICT when
 * the transition is not allowed from the record's current status (the
 * message names the allowed ones) or the record changed underneath,
 * SRR_RETRY when the database stayed locked. Nothing is changed on error. */
srr_rc srr_wf_risk(srr_store *st, const char *verb, const char *id, const srr_wf_req *req,
                   json_t **result, srr_error *err);

/* Same for a backlog item ("BL-7"): verbs "accept" (req->link required
 * unless req->ticket), "done", "reject", "assign", "reopen" (done ->
 * accepted), "link" (sets the ticket link: req->link). */
srr_rc srr_wf_backlog(srr_store *st, const char *verb, const char *id, const srr_wf_req *req,
                      json_t **result, srr_error *err);

/* Writes the verbs allowed on a record of kind "risk" or "backlog" in
 * `status` into out (comma separated, "none" when nothing is). */
void srr_wf_allowed(const char *kind, const char *status, char *out, size_t n);

/* Filter of srr_wf_risks_list; NULL fields do not filter. */
typedef struct srr_wf_filter {
    const char *status, *urgency, *assignee, *service;
    const char *label; /* one of the record's labels (the policy's `labels`) */
    int64_t stale_s; /* > 0: only open risks with no human change for this long */
    int64_t now;
} srr_wf_filter;

/* The risk list with filters. Each row: id, status, urgency, title,
 * service, env, assignee, occurrences, last_seen, updated_at, last_touched
 * (the last human change), labels (an array). *out is a new array the
 * caller owns. */
srr_rc srr_wf_risks_list(srr_store *st, const srr_wf_filter *f, json_t **out, srr_error *err);

/* Occurrences (firing evidence) per week of record `id` ("SRR-1", "BL-2",
 * "INV-3") for the `weeks` weeks ending with the week of `until` (oldest
 * first) into counts[weeks]. Returns SRR_OK, SRR_EINVAL for a malformed
 * id, or a database error. */
srr_rc srr_wf_weekly(srr_store *st, const char *id, int weeks, int64_t until, int *counts,
                     srr_error *err);

/* A sparkline of counts ("▁▃█", "·" for zero weeks). Caller frees. */
char *srr_wf_sparkline(const int *counts, int n);

/* The audit trail of one record (`id` "SRR-1", "BL-2", "INV-3") or of all
 * records (id NULL), oldest first, at most `limit` entries (0 = all; the
 * newest ones are kept). Each row: at, actor, record, action, change
 * ("status: draft → open; assignee: — → alice"), before, after, why.
 * *out is a new array the caller owns. */
srr_rc srr_wf_audit(srr_store *st, const char *id, size_t limit, json_t **out, srr_error *err);

/* Open load per person: risks open/mitigating, backlog items accepted and
 * open investigations, by urgency, weighted low 1, medium 2, high 3,
 * critical 5. Everyone in team->members appears (even with no load), plus
 * any other assignee. *out is a new object the caller owns:
 * {people: [{name, member, critical, high, medium, low, records, load}],
 *  mean, max, ratio, skew_percent, skewed, busiest}; the mean is over the
 * members when there are any, else over the people listed. */
srr_rc srr_wf_team_load(srr_store *st, const srr_team_config *team, json_t **out, srr_error *err);

/* Suggests who should take risk `id`: among the owners of its service
 * (team.owners, a name or a comma separated list, kept to members when
 * there are members) or else all members, the one with the least weighted
 * load; ties go to fewer records, then to the order of team.members.
 * *out gets {id, assignee, why, pool: [...]} (caller owns). Returns
 * SRR_EINVAL when the team has no members and the service no owner. */
srr_rc srr_wf_suggest(srr_store *st, const srr_team_config *team, const char *id, json_t **out,
                      srr_error *err);

/* The actor of a change: `as` when given, else $SRR_USER, else the login
 * name, else "unknown". Returns a static or borrowed string. */
const char *srr_wf_actor(const char *as);

#endif
