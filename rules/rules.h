/* SPDX-License-Identifier: Apache-2.0
 *
 * rules.h - srr's decisions, as pure code with no I/O (DESIGN.md section 2):
 *   1. detectors turn a check's query results into signals (threshold on
 *      max/min/avg/last/sum, growth by least-squares slope, log count);
 *   2. the policy (ordered rules, first match wins, then a default) maps each
 *      signal to an action with the rule that won and one human sentence;
 *   3. a candidate is built with a deterministic id and a fingerprint.
 *
 * A ruleset is compiled once from the config (checks' `when` conditions and
 * the `policy` section); it is read-only afterwards and can be shared.
 */
#ifndef SRR_RULES_H
#define SRR_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "candidate.h"
#include "config.h"
#include "signal.h"
#include "srr.h"

typedef struct srr_ruleset srr_ruleset;

/* Compiles the checks' conditions and the policy of `cfg` (which must outlive
 * the ruleset). Errors are SRR_EINVAL with "file:line:col: ..." in err.
 * A config without a policy section gets the default policy: every signal
 * becomes an `investigate` candidate with a 7-day time-box. On success *out
 * must be freed with srr_rules_destroy(). */
srr_rc srr_rules_compile(const srr_config *cfg, srr_ruleset **out, srr_error *err);
/* Same, with the policy taken from `policy` (a `policy:` map that must
 * outlive the ruleset, e.g. from another file) instead of cfg->policy;
 * NULL means the built-in default policy. For `srr policy test`. */
srr_rc srr_rules_compile_policy(const srr_config *cfg, const srr_yaml_node *policy,
                                srr_ruleset **out, srr_error *err);
void srr_rules_destroy(srr_ruleset *rs);

/* A growable list of signals; the list owns them. */
typedef struct srr_signal_list {
    srr_signal *v;
    size_t n, cap;
} srr_signal_list;
/* Appends a slot (zeroed) and returns it. */
srr_signal *srr_signal_list_push(srr_signal_list *l);
void srr_signal_list_clear(srr_signal_list *l);

/* Context of one check run, passed to the detectors. */
typedef struct srr_detect_ctx {
    size_t check_index;      /* index into cfg->checks */
    int64_t window_start;    /* epoch seconds */
    int64_t window_end;
    const char *link;        /* Datadog link for the query and window, may be NULL */
    /* The things of this check the store follows (srr_identity.tags of
     * each, sorted by strcmp; may be NULL): the detectors say of each one
     * whether it is fine now - a clear observation (status RECOVERED) with
     * its measured value - and a thing that sent nothing is clear too (a
     * count of 0, or "no data"). Groups not listed yield only firing
     * observations. */
    const char *const *known;
    size_t nknown;
} srr_detect_ctx;

/* Evaluates a metrics check's condition on every series of `res`; appends one
 * signal per series that meets it (status FIRING), and one clear
 * observation (status RECOVERED, the evidence without points) per series
 * of a known thing that does not. Returns SRR_EINVAL when the check is not
 * a metrics check, or when a series' unit cannot be reconciled with the
 * condition's (the message says how to write it; see srr_unit_reconcile):
 * the check then has no outcome, and the caller discards what was
 * appended. */
srr_rc srr_detect_metrics(const srr_ruleset *rs, const srr_detect_ctx *ctx,
                          const srr_metric_result *res, srr_signal_list *out, srr_error *err);

/* After a metrics check's answers: one clear observation ("no data in the
 * window", evidence {"no_data": true}) per known thing of ctx that none of
 * sigs->v[first ..] (the check's own signals of this window) belongs to. */
void srr_detect_absent(const srr_ruleset *rs, const srr_detect_ctx *ctx, srr_signal_list *sigs,
                       size_t first);

/* The tags of sig's group as srr_identity.tags has them ('\n'-joined),
 * written to out (n bytes); the same thing as srr_rules_identity without
 * hashing. Returns 1 when it is listed in ctx->known. */
int srr_detect_is_known(const srr_ruleset *rs, const srr_detect_ctx *ctx, const srr_signal *sig,
                        char *out, size_t n);

/* Log counting, fed page by page so memory stays flat: counts per group_by
 * value and keeps a few samples per group; known things with no event are
 * counted 0. */
typedef struct srr_log_counter srr_log_counter;
srr_log_counter *srr_log_counter_create(const srr_ruleset *rs, const srr_detect_ctx *ctx);
void srr_log_counter_add(srr_log_counter *lc, const srr_log_event *ev);
/* Appends one signal per group whose count meets the check's condition,
 * and a clear observation per known group whose count does not. */
srr_rc srr_log_counter_finish(srr_log_counter *lc, srr_signal_list *out, srr_error *err);
void srr_log_counter_destroy(srr_log_counter *lc);

/* The outcome of the policy for one signal. Strings and arrays borrow from
 * the ruleset (valid while it lives). */
typedef struct srr_decision {
    srr_action action;
    int rule_index;        /* position of the winning rule; the default is nrules */
    const char *rule;      /* its name ("default" for the default) */
    srr_urgency urgency;
    int64_t timebox_s;     /* investigate only */
    const char *owner;     /* may be NULL */
    const char *impact;    /* "low".."high" when the rule gave impact x likelihood, else NULL */
    const char *likelihood;
    const char *const *labels; /* the rule's labels (nlabels of them) */
    size_t nlabels;
    const char *const *group_by; /* what makes the thing: the group keys declared at
                              the signal's SOURCE (checks[].group_by, or the
                              `monitors:` entry that matches a webhook alert),
                              never the rule's; NULL = every group tag */
    size_t ngroup_by;
    int has_group_by;      /* 1 when the source declares a group (even an empty one) */
    int history_rule;      /* 1 when the winner matched on recurrence or flapping */
    int flapping_rule;     /* 1 when the winner matched on flapping */
    int provisional;       /* 1 when a rule that needs the history (recurrence,
                              flapping) could change this outcome: decided
                              without history, the writer decides again */
    char reason[512];      /* one sentence: why this action */
} srr_decision;

/* Applies the ordered rules to a signal without history (the producer's
 * view); always succeeds (the default matches everything). A rule that
 * needs the history (recurrence, flapping) is treated as not matching, and
 * out->provisional says whether it might have; when the static winner is
 * `ignore` but such a rule with another action comes first, that rule's
 * outcome is proposed instead, so a producer that drops ignored signals
 * drops only what the policy ignores whatever the history. */
void srr_rules_decide(const srr_ruleset *rs, const srr_signal *sig, srr_decision *out);

/* ---- history: the state a final decision needs (DESIGN.md section 3) ---- */

/* One earlier observation of a thing (a "sighting"): firing or clear. */
typedef struct srr_sighting {
    int64_t at;        /* observed_at, epoch seconds: the observation's own time */
    srr_status status; /* FIRING, or RECOVERED: clear */
    double value;      /* NaN when nothing was measured */
} srr_sighting;

typedef enum {
    SRR_REC_NONE = 0,
    SRR_REC_RISK,
    SRR_REC_BACKLOG,
    SRR_REC_INVESTIGATION
} srr_record_kind;

/* How an investigation ended (or that it is still open). */
typedef enum {
    SRR_INV_OPEN = 0,
    SRR_INV_FIXED,    /* an engineer fixed the cause */
    SRR_INV_BACKLOG,  /* sent to the backlog, with a ticket link */
    SRR_INV_NOISE,    /* an engineer judged it noise */
    SRR_INV_STOPPED,  /* the time-box ended with the signal gone */
    SRR_INV_PROMOTED, /* the time-box ended with the signal present */
    SRR_INV__COUNT
} srr_inv_outcome;

/* "open", "fixed", "backlog", "noise", "stopped firing", "promoted". */
const char *srr_inv_outcome_name(srr_inv_outcome o);
/* Parses "fixed", "backlog", "noise" (what an engineer may set). */
srr_rc srr_inv_outcome_parse(const char *s, srr_inv_outcome *out);

/* What the store knows about a fingerprint, filled by the writer from
 * SQLite (all borrowed, nothing owned). A zeroed struct with `now` set is
 * "never seen before". */
typedef struct srr_history {
    int64_t now;                   /* the writer's clock */
    const srr_sighting *sightings; /* earlier sightings, oldest first (not the current one) */
    size_t nsightings;
    srr_record_kind open_kind;     /* the open record of the fingerprint, if any */
    int64_t open_id;
    int64_t inv_deadline;          /* open investigation: its deadline */
    int64_t inv_opened;            /* and when it opened (0: unknown) */
    srr_inv_outcome last_inv;      /* the latest closed investigation (SRR_INV_OPEN = none) */
    int64_t last_inv_id;
    int64_t last_inv_closed_at;
    int64_t resolved_risk_id;      /* the latest risk of the fingerprint is resolved: its id */
} srr_history;

/* After a "noise" verdict, sightings of the fingerprint stay sightings for
 * this long. */
#define SRR_NOISE_QUIET_S (30 * 86400)

/* What the writer does with a candidate. */
typedef enum {
    SRR_EFFECT_SIGHTING = 0, /* nothing beyond the compact sighting */
    SRR_EFFECT_CREATE,       /* a new draft record per final.decision.action */
    SRR_EFFECT_EVIDENCE,     /* attach to the open record */
    SRR_EFFECT_REGRESSION,   /* a draft risk linked to the resolved one */
    SRR_EFFECT_PROMOTE       /* attach, then promote the open investigation */
} srr_effect;

/* "sighting", "create", "evidence", "regression", "promote". */
const char *srr_effect_name(srr_effect e);

typedef struct srr_final {
    srr_decision decision; /* the policy's decision with the history */
    srr_effect effect;
    char why[512];         /* one sentence: what happens to the records and why */
} srr_final;

/* Applies the ordered rules WITH the history (recurrence and flapping are
 * counted from hist->sightings plus `sig` itself). */
void srr_rules_decide_history(const srr_ruleset *rs, const srr_signal *sig,
                              const srr_history *hist, srr_decision *out);

/* The final decision, the same pure code the writer runs: the policy with
 * the history (when rs is NULL, `proposed` - the producer's decision - is
 * kept), then the record semantics: evidence on an open record, promotion
 * of an open investigation whose time-box ended (or that a flapping rule
 * escalates), a regression of a resolved risk, quiet after a noise
 * verdict, recovered signals as sightings unless a flapping rule claims
 * them, else a new draft per the action. Never fails. */
void srr_rules_decide_final(const srr_ruleset *rs, const srr_decision *proposed,
                            const srr_signal *sig, const srr_history *hist, srr_final *out);

/* The time-box verdict for an investigation at `now`. */
typedef enum { SRR_TIMEBOX_KEEP = 0, SRR_TIMEBOX_PROMOTE, SRR_TIMEBOX_CLOSE } srr_timebox_verdict;

/* After its time-box an investigation waits this long for an observation
 * of its thing (a sweep's check failing, a check removed) before it is
 * judged by the last one there is. */
#define SRR_TIMEBOX_GRACE_S (28 * 86400)

/* What an investigation's verdict is judged from (all borrowed). */
typedef struct srr_timebox_facts {
    int64_t opened_at, deadline; /* judged time it opened; opened_at + time-box */
    int64_t now;                 /* the time of the judgement (a window's end) */
    int persistent;              /* the thing's state holds between observations (a
                                    monitor: its alerts are transitions) */
    const srr_sighting *obs;     /* the thing's observations, oldest first, one per
                                    time (srr_sightings_collapse) */
    size_t nobs;
    const char *unit;    /* of the values, may be NULL */
    const char *summary; /* what the deciding observation said, may be NULL (set by
                            the caller once it knows which: see `at` below) */
} srr_timebox_facts;

/* The verdict with what it rests on. */
typedef struct srr_timebox_result {
    srr_timebox_verdict verdict;
    int64_t at;          /* the deciding observation's time (0: none) */
    double value;        /* its value (NaN: none measured) */
    int64_t clear_since; /* CLOSE: the first of the clear observations it ends */
    char why[768];       /* one paragraph: why it becomes a risk / closes / waits */
} srr_timebox_result;

/* Decides an open investigation: KEEP before its deadline. After it, the
 * first observation at or after the deadline (up to now) decides: the
 * thing firing PROMOTEs it (the why states the time-box, the value at the
 * deadline and what the observation said, e.g. the projection to a
 * limit), clear CLOSEs it (the why says since when and the last value).
 * A persistent thing (a monitor) is decided by its last observation up to
 * the deadline; a sweep's thing not observed since the deadline waits
 * (KEEP) until SRR_TIMEBOX_GRACE_S has passed, then its last observation
 * decides. Call it twice to fill f->summary: first without, then with the
 * summary of the observation at r->at. */
void srr_rules_timebox(const srr_timebox_facts *f, srr_timebox_result *r);

/* Sorts nothing: collapses runs of equal `at` in v[0..n) (oldest first)
 * into one observation each - firing when any member fired then, with the
 * worst value (worse > 0: the highest) - and returns the new count. */
size_t srr_sightings_collapse(srr_sighting *v, size_t n, int worse);

/* The explanation of one decision: every rule tried, in order, and why it
 * did (not) match. Built on demand (it formats text), never on the hot path. */
typedef struct srr_rule_trace {
    int index;         /* position; nrules for the default */
    const char *rule;  /* borrowed name */
    int matched;       /* 1 = this rule won */
    int needs_history; /* 1 = it would need the history to decide */
    char why[256];     /* "service is 'api', rule wants 'checkout*'" */
} srr_rule_trace;

typedef struct srr_explanation {
    srr_rule_trace *v; /* owned; free with srr_explanation_clear */
    size_t n;
    srr_decision decision;
} srr_explanation;

/* Explains the decision for sig (hist may be NULL: the producer's view).
 * Fills *out with one trace per rule tried, up to and including the
 * winner. Free with srr_explanation_clear(). */
void srr_rules_explain(const srr_ruleset *rs, const srr_signal *sig, const srr_history *hist,
                       srr_explanation *out);
void srr_explanation_clear(srr_explanation *e);

/* The draft budget of one sweep (DESIGN.md section 1, "Granularity"):
 * orders candidates most urgent first (urgency, then risk > investigate >
 * backlog > ignore, then id) and admits at most `max` (0 = all). Writes the
 * order into order[0..n) (indices into c; caller-allocated, n entries):
 * order[0..*admitted) are queued, the rest are over budget and must be
 * listed, never dropped silently. Returns *admitted. */
size_t srr_rules_budget(const srr_candidate *c, size_t n, size_t max, size_t *order,
                        size_t *admitted);

/* One finding of `srr policy check`. */
typedef struct srr_lint_msg {
    int is_error;     /* 1: the policy is wrong; 0: a warning */
    const char *file; /* borrowed from the config (may be NULL) */
    int line, col;
    char text[1024];
} srr_lint_msg;

/* Lints a compiled policy: rules that can never win (shadowed by an
 * earlier rule that matches everything they match), check names that match
 * no configured check, a source/kind combination no signal has, flapping
 * that is ignored, a missing default. Returns the number of findings;
 * *out (may be NULL when 0) is an array the caller frees with free(). */
size_t srr_rules_lint(const srr_ruleset *rs, srr_lint_msg **out);

/* Number of rules (not counting the default) and the draft budget per sweep
 * (0 = unlimited). */
size_t srr_rules_count(const srr_ruleset *rs);
/* 1 when some rule matches on recurrence or flapping (the writer then
 * loads the fingerprint's sightings). */
int srr_rules_uses_history(const srr_ruleset *rs);
size_t srr_rules_max_new_drafts(const srr_ruleset *rs);

/* Fingerprint of the thing at risk: hex hash of check + service + group
 * tags; when the source declares a group (d != NULL and d->has_group_by,
 * as every srr_rules_decide* fills it), only the tags whose key is listed
 * (and "env" when listed). Written to out (>= 33 bytes). */
void srr_rules_fingerprint(const srr_signal *sig, const srr_decision *d, char out[33]);

/* ---- identity: the thing an observation belongs to --------------------- */

#define SRR_GROUP_MAX 512

/* What thing an observation belongs to (DESIGN.md section 3): the source
 * (check or monitor) + the group declared at the source. Status, history
 * and the winning rule never change it. */
typedef struct srr_identity {
    char fingerprint[33];
    char group[SRR_GROUP_MAX];  /* the group tags naming the thing, "service:worker"
                                   (the service and env labels when listed); "" = none */
    char member[SRR_GROUP_MAX]; /* this observation's other tags, its member of the
                                   thing ("pod:w-1"); "" when the group is all of them */
    char tags[SRR_GROUP_MAX];   /* the group's tags exactly as the signal carries them,
                                   joined by '\n' (no labels): what a detector needs to
                                   observe the thing again (srr_detect_ctx.known) */
} srr_identity;

/* Fills *out for sig (rs may be NULL: every tag is the group). Never fails;
 * texts longer than SRR_GROUP_MAX are cut. */
void srr_rules_identity(const srr_ruleset *rs, const srr_signal *sig, srr_identity *out);
/* The same without the fingerprint (out->fingerprint left empty): what the
 * writer needs of a candidate whose fingerprint it already has. */
void srr_rules_identity_parts(const srr_ruleset *rs, const srr_signal *sig, srr_identity *out);

/* The '\n'-joined tags of sig's group (srr_identity.tags, without the
 * hashing) into out (n bytes). */
void srr_rules_group_tags(const srr_ruleset *rs, const srr_signal *sig, char *out, size_t n);

/* The fingerprints sig may have been stored under before identity came
 * from the source (every group tag; or narrowed by a rule-level group_by),
 * that differ from its identity now: at most `max`, written to out.
 * Returns how many. For the store's one-time carry of old records. */
size_t srr_rules_legacy_fingerprints(const srr_ruleset *rs, const srr_signal *sig, char (*out)[33],
                                     size_t max);

/* A value in `unit` for people ("1.8 GiB", "93.1%", "18.2%/week", a plain
 * number otherwise), into out (n bytes). */
void srr_rules_fmt_value(double v, const char *unit, char *out, size_t n);

/* Which way is worse for sig's measured value: +1 when its condition holds
 * above a threshold ("max > 90%", the default), -1 below ("min < 10"). */
int srr_rules_worse_dir(const srr_signal *sig);

/* Builds a candidate from a signal and its decision. The id is derived from
 * (check, group tags, window end, kind) so the same sweep window yields the
 * same id. The signal is deep-copied into the candidate; clear it with
 * srr_candidate_clear(). `now` fills created_at. */
void srr_rules_candidate(const srr_signal *sig, const srr_decision *d, int64_t now,
                         srr_candidate *out);
/* The same candidate with a given id (a webhook delivery's) and a shallow
 * signal: out->signal borrows every pointer of *sig (which must outlive
 * out), so nothing is copied for a candidate that is only serialised.
 * Release with srr_rules_candidate_unborrow(), never srr_candidate_clear()
 * alone. */
void srr_rules_candidate_borrow(const srr_signal *sig, const srr_decision *d, int64_t now,
                                const char *id, srr_candidate *out);
/* Frees what a borrowing candidate owns (not the signal) and zeroes it. */
void srr_rules_candidate_unborrow(srr_candidate *c);

#endif
