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
} srr_detect_ctx;

/* Evaluates a metrics check's condition on every series of `res`; appends one
 * signal per series that meets it (status FIRING). Series that do not meet
 * it produce nothing. Returns SRR_EINVAL when the check is not a metrics
 * check. */
srr_rc srr_detect_metrics(const srr_ruleset *rs, const srr_detect_ctx *ctx,
                          const srr_metric_result *res, srr_signal_list *out, srr_error *err);

/* Log counting, fed page by page so memory stays flat: counts per group_by
 * value and keeps a few samples per group. */
typedef struct srr_log_counter srr_log_counter;
srr_log_counter *srr_log_counter_create(const srr_ruleset *rs, const srr_detect_ctx *ctx);
void srr_log_counter_add(srr_log_counter *lc, const srr_log_event *ev);
/* Appends one signal per group whose count meets the check's condition. */
srr_rc srr_log_counter_finish(srr_log_counter *lc, srr_signal_list *out, srr_error *err);
void srr_log_counter_destroy(srr_log_counter *lc);

/* The outcome of the policy for one signal. Strings borrow from the ruleset. */
typedef struct srr_decision {
    srr_action action;
    int rule_index;        /* position of the winning rule; the default is nrules */
    const char *rule;      /* its name ("default" for the default) */
    srr_urgency urgency;
    int64_t timebox_s;     /* investigate only */
    const char *owner;     /* may be NULL */
    char reason[512];      /* one sentence: why this action */
} srr_decision;

/* Applies the ordered rules to a signal; always succeeds (the default
 * matches everything). */
void srr_rules_decide(const srr_ruleset *rs, const srr_signal *sig, srr_decision *out);

/* Number of rules (not counting the default) and the draft budget per sweep
 * (0 = unlimited). */
size_t srr_rules_count(const srr_ruleset *rs);
size_t srr_rules_max_new_drafts(const srr_ruleset *rs);

/* Fingerprint of the thing at risk: hex hash of check + service + group tags
 * (or the rule's group_by tags). Written to out (>= 33 bytes). */
void srr_rules_fingerprint(const srr_signal *sig, char out[33]);

/* Builds a candidate from a signal and its decision. The id is derived from
 * (check, group tags, window end, kind) so the same sweep window yields the
 * same id. The signal is deep-copied into the candidate; clear it with
 * srr_candidate_clear(). `now` fills created_at. */
void srr_rules_candidate(const srr_signal *sig, const srr_decision *d, int64_t now,
                         srr_candidate *out);

#endif
