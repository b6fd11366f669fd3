/* SPDX-License-Identifier: Apache-2.0
 *
 * candidate.h - the unit on the queue (DESIGN.md section 3): a signal plus
 * the action the policy proposes for it, serialised as the versioned JSON
 * document "srr.candidate/1". Producers (sweep, webhook) build candidates
 * with the rules module; the writer parses them back and applies them.
 */
#ifndef SRR_CANDIDATE_H
#define SRR_CANDIDATE_H

#include <jansson.h>
#include <stdint.h>

#include "signal.h"
#include "srr.h"

#define SRR_CANDIDATE_SCHEMA "srr.candidate/1"

typedef enum {
    SRR_ACTION_IGNORE = 0,
    SRR_ACTION_BACKLOG,
    SRR_ACTION_INVESTIGATE,
    SRR_ACTION_RISK,
    SRR_ACTION__COUNT
} srr_action;

typedef enum {
    SRR_URGENCY_LOW = 0,
    SRR_URGENCY_MEDIUM,
    SRR_URGENCY_HIGH,
    SRR_URGENCY_CRITICAL,
    SRR_URGENCY__COUNT
} srr_urgency;

const char *srr_action_name(srr_action a);   /* "ignore", "backlog", ... */
const char *srr_urgency_name(srr_urgency u); /* "low", ..., "critical" */
srr_rc srr_action_parse(const char *s, srr_action *out);
srr_rc srr_urgency_parse(const char *s, srr_urgency *out);

typedef struct srr_candidate {
    char id[65];        /* deterministic hex id (see srr_hash_id) */
    char *fingerprint;  /* what is at risk: hex of check+service+group tags */
    srr_action action;  /* proposed action */
    char *rule;         /* name of the rule that matched */
    int rule_index;     /* its 0-based position in the policy */
    char *reason;       /* one human sentence: why this action */
    srr_urgency urgency;
    char *title;        /* short title for the record */
    char *owner;        /* proposed owner, may be NULL */
    int64_t timebox_s;  /* investigate: length of the time-box (0 otherwise) */
    int64_t created_at; /* epoch seconds */
    srr_signal signal;  /* the signal that produced it (owned) */
} srr_candidate;

/* Frees what the candidate owns and zeroes it. */
void srr_candidate_clear(srr_candidate *c);

/* Serialises to compact JSON text with "schema": "srr.candidate/1",
 * written directly (this runs once per webhook alert): the text
 * json_dumps writes for the same object. Caller frees; NULL only if the
 * text cannot be built. */
char *srr_candidate_dumps(const srr_candidate *c);
/* The same object as a jansson tree, read back from that text. Caller owns
 * the reference. */
json_t *srr_candidate_to_json(const srr_candidate *c);

/* Parses a candidate document (defined in candidate_fast.c: the fast read,
 * then this file's full path). Returns SRR_OK with *out filled (the caller
 * frees it with srr_candidate_clear), or SRR_EINVAL with a reason ("not
 * JSON: ...", "unknown schema 'x'", "missing field 'id'") for anything that
 * must go to the dead-letter table; *out is then cleared. */
srr_rc srr_candidate_parse(const char *buf, size_t len, srr_candidate *out, srr_error *err);
/* The same from a jansson tree the caller keeps owning: SRR_OK with *out
 * filled (caller frees with srr_candidate_clear), or SRR_EINVAL with the
 * reason and *out cleared. */
srr_rc srr_candidate_from_json(const json_t *j, srr_candidate *out, srr_error *err);

#endif
