/* SPDX-License-Identifier: Apache-2.0
 *
 * rules_internal.h - what the files of rules/ share and nobody else sees:
 * the layout of a compiled ruleset (conditions per check, precompiled
 * rules), small text helpers (human number formatting, a fixed-size string
 * builder that truncates on a UTF-8 boundary), and the per-rule "why not"
 * explanation kept for `srr policy explain`.
 */
#ifndef SRR_RULES_INTERNAL_H
#define SRR_RULES_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "condition.h"
#include "rules.h"

/* ---- globs -------------------------------------------------------------- */

/* A precompiled glob: an fnmatch(3) pattern (* ? [..] [!..] [[:class:]] \)
 * sorted into a shape. The shapes feed policy.c's prefilters and lint.c;
 * glob.c matches exact, prefix* and *infix* patterns itself and hands the
 * rest to fnmatch. */
typedef enum {
    GLOB_ANY,
    GLOB_EXACT,
    GLOB_PREFIX,
    GLOB_SUFFIX,
    GLOB_CONTAINS, /* "*literal*" */
    GLOB_GENERAL
} srr_glob_shape;

typedef struct srr_glob {
    char *pat;         /* the pattern as written (owned) */
    const char *lit;   /* EXACT/PREFIX/SUFFIX: the literal part (into pat) */
    size_t litlen;
    char *contains;    /* CONTAINS: the literal, NUL-terminated (owned) */
    char first;        /* the first byte of every match, or 0 when not fixed */
    size_t headlen;    /* GENERAL: literal bytes before the first wildcard */
    srr_glob_shape shape;
} srr_glob;

/* A matcher of one field: any of the globs must match. n == 0: no matcher. */
typedef struct srr_globset {
    srr_glob *v;
    size_t n;
} srr_globset;

/* Frees the globs of a set and empties it (glob.c, as the next). */
void srr_globset_free(srr_globset *gs);
/* 1 when some glob of the set matches s (0 for NULL s or an empty set). */
int srr_globset_any(const srr_globset *gs, const char *s);

/* Compiles a glob; never fails (an unclosed '[' matches itself, as in
 * fnmatch). */
void srr_glob_compile(srr_glob *g, const char *pat);
void srr_glob_free(srr_glob *g);
/* 1 when `s` matches the whole pattern. */
int srr_glob_match(const srr_glob *g, const char *s);
/* 1 when `s` matches the glob `pat`: fnmatch(pat, s, 0), the reference
 * the shapes' shortcuts are tested against. */
int srr_glob_match_str(const char *pat, const char *s);

/* ---- compiled policy ---------------------------------------------------- */

/* One rule. Invariant: all matchers are ANDed; an absent matcher (mask 0,
 * empty globset, has_* 0) holds for every signal. The recurrence and
 * flapping matchers need the fingerprint's history: without it (the
 * producer) they are "unknown". */
typedef struct srr_rule {
    char *name;
    int line, col;          /* of the rule's map, for messages */
    int check_line, check_col; /* of match.check (0 when absent) */
    int action_line, action_col;
    unsigned source_mask;   /* bit per srr_source; 0 = any */
    unsigned kind_mask;     /* bit per srr_kind; 0 = any */
    unsigned status_mask;   /* bit per srr_status; 0 = any */
    srr_globset check, service, env, priority;
    srr_globset tags;       /* every glob must match at least one tag */
    int has_value;          /* match.value */
    int value_has_measure;  /* the value condition names a measure */
    srr_cond value;
    char *value_text;
    int has_recurrence;
    srr_recurrence recurrence;
    char *recurrence_text;
    int has_flapping;
    srr_flapping flapping;
    char *flapping_text;
    srr_action action;
    srr_urgency urgency;
    int64_t timebox_s;      /* investigate only */
    char *owner;            /* may be NULL */
    char *reason;           /* may be NULL */
    char *impact, *likelihood; /* both or neither; then urgency is their product */
    char **labels;          /* nlabels strings */
    size_t nlabels;
    char **group_by;        /* ngroup_by tag keys (has_group_by: set, maybe empty) */
    size_t ngroup_by;
    int has_group_by;
} srr_rule;

/* The hot part of a rule, kept in a dense array beside the rules so that a
 * rule that cannot match is rejected with a few integer compares: the enum
 * masks, and for each text field whose matcher is a single glob, the first
 * bytes before any wildcard (up to 8, little-endian, with the terminating
 * NUL for short exact names) and which of those bytes count. A field with
 * mask 0 is not prefiltered. Passing the prefilter is necessary, not
 * sufficient: the full matchers run afterwards. */
typedef struct srr_prefilter {
    uint64_t bytes, mask;
} srr_prefilter;

typedef struct srr_rule_hot {
    unsigned source_mask, kind_mask, status_mask;
    srr_prefilter check, service, env;
    srr_prefilter check_sfx, service_sfx, env_sfx; /* last bytes of '*suffix' globs */
    uint64_t check_bloom, service_bloom, env_bloom; /* lists of exact names: one bit per
                                                       name (srr_bloom_bit); 0 = unused */
    unsigned char needs_full;  /* 1 when the prefilter alone does not decide */
} srr_rule_hot;

/* FNV-1a of s (0 for NULL) and the bloom bit of a name. */
uint64_t srr_fnv1a(const char *s);
static inline uint64_t srr_bloom_bit(uint64_t h)
{
    return (uint64_t)1 << (h & 63);
}

/* Up to the first 8 bytes of s (stopping at its NUL), little-endian; 0 for
 * NULL. */
uint64_t srr_load8(const char *s);
/* The prefilter of a globset (mask 0 unless it holds exactly one glob). */
void srr_prefilter_of(const srr_globset *gs, srr_prefilter *pf);
/* Up to the LAST 8 bytes of s (len bytes long), little-endian, right-aligned
 * so byte 7 is the last character; 0 for NULL. */
uint64_t srr_load8_tail(const char *s, size_t len);
/* The suffix prefilter of a globset: for a single '*literal' glob, the
 * literal's last (up to 8) bytes right-aligned as srr_load8_tail lays them
 * out; mask 0 otherwise. */
void srr_prefilter_suffix_of(const srr_globset *gs, srr_prefilter *pf);

/* What was compiled for one check. */
typedef struct srr_check_rt {
    srr_cond cond;
    int has_limit;
    srr_quantity limit;
    /* The check's group (identity.c): its own group_by, or the one a
     * rule-level group_by carried to it; borrowed from the config or the
     * rule. has_group 0: every tag of a series is its group. */
    const char *const *group_by;
    size_t ngroup_by;
    int has_group;
    int group_from_rule;  /* index of the rule it was carried from, or -1 */
    char **pattern_group; /* a new_pattern check's group keys + "pattern" (owned) */
} srr_check_rt;

/* One entry of the `monitors:` section (identity.c): the webhook alerts of
 * the monitors it matches (every given matcher must hold) are one thing
 * per the listed group keys. */
typedef struct srr_monitor_src {
    srr_globset id;   /* the monitor id ($ALERT_ID) */
    srr_globset name; /* the monitor name (from the event title) */
    srr_globset tags; /* each glob must match one of the alert's tags */
    char **group_by;  /* owned */
    size_t ngroup_by;
    int line, col;
    int from_rule; /* -1, or the rule whose group_by was carried here */
} srr_monitor_src;

struct srr_ruleset {
    const srr_config *cfg;  /* borrowed; must outlive the ruleset */
    srr_check_rt *checks;   /* cfg->nchecks entries */
    size_t nchecks;
    srr_rule *rules;
    srr_rule_hot *hot;      /* nrules entries, see srr_rule_hot */
    size_t nrules;
    srr_rule def;           /* the default (no matchers), name "default" */
    size_t max_new_drafts;
    const srr_yaml_node *policy; /* the compiled section (borrowed), NULL = built in */
    int has_default;        /* the policy wrote a `default:` */
    /* The rule index: a signal only tries the rules whose source, kind and
     * status masks admit it and whose check matcher can match its check
     * (when the check is a configured one; "unknown" checks - monitor ids -
     * form one more group), in policy order: by_group[by_group_off[g] ..
     * by_group_off[g + 1]) for group g = srr_rule_group(...). NULL when the
     * index would be too big (then every rule is tried). Configured check
     * names are found through an open-addressing table of check_slots
     * entries (check index + 1, 0 = empty) keyed by srr_fnv1a. */
    uint32_t *by_group;
    size_t *by_group_off;
    uint32_t *check_slots;
    size_t check_slots_n;   /* a power of two, or 0 */
    int bloom_service, bloom_env; /* some rule uses that field's bloom */
    int any_history;        /* some rule matches on recurrence or flapping */
    srr_monitor_src *monitors; /* the `monitors:` section, then what rules carried */
    size_t nmonitors;
};

/* The rule index's groups: per check, one per source x kind x status. */
#define SRR_RULE_GROUPS_PER_CHECK (SRR_SRC__COUNT * SRR_KIND__COUNT * 2)

/* The group of a signal of check k (k = nchecks: not a configured check),
 * its source, kind and status (0 firing, 1 recovered). */
static inline size_t srr_rule_group(size_t k, int src, int kind, int st)
{
    return k * SRR_RULE_GROUPS_PER_CHECK + ((size_t)src * SRR_KIND__COUNT + (size_t)kind) * 2 +
           (size_t)st;
}

/* ---- what policy.c, identity.c and policy_decide.c share (policy_common.c) */

/* Frees n strings (each may be NULL) and the array (NULL when n is 0). */
void srr_strv_free(char **v, size_t n);
/* Index of the configured check named `name` (h = srr_fnv1a(name)), or -1
 * (also for a NULL name or a ruleset without checks). */
long srr_rules_check_lookup(const srr_ruleset *rs, const char *name, uint64_t h);
/* The rule whose index a decision names (the default for nrules and
 * beyond). Returns a pointer into rs; rs owns it. */
const srr_rule *srr_rules_rule_at(const srr_ruleset *rs, size_t i);
/* Checks that map (at path) has only the keys core/reference.c lists for
 * section ("policy.rules[]", "monitors[]"). Returns SRR_OK, or SRR_EINVAL
 * naming file:line:col of the first other key. */
srr_rc srr_rules_check_keys(const srr_yaml_node *map, const char *path, const char *section,
                            srr_error *err);
/* Reads a scalar or a non-empty sequence of scalars (n) as a list of node
 * pointers: *items points into n, or at *one for a scalar (so *one must
 * live as long as *items is used); *count is their number. Returns SRR_OK,
 * or SRR_EINVAL naming file:line:col and `what`. Nothing to free. */
srr_rc srr_rules_scalar_items(const srr_yaml_node *n, const char *what,
                              const srr_yaml_node *const **items, size_t *count,
                              const srr_yaml_node **one, srr_error *err);
/* Reads a string or a list of strings (n) as the globs of gs, which must be
 * empty (upper: upper-cased first). Returns SRR_OK or SRR_EINVAL naming
 * file:line:col; the globs compiled so far stay in gs either way, freed by
 * srr_globset_free. */
srr_rc srr_rules_read_globs(const srr_yaml_node *n, const char *what, int upper, srr_globset *gs,
                            srr_error *err);
/* Reads a string or a list of strings (n) into *out, a new array of *count
 * new copies (allow_empty: [] gives NULL and 0; an empty string is refused).
 * Returns SRR_OK or SRR_EINVAL naming file:line:col; on failure *out holds
 * the *count copies made so far. The caller frees with srr_strv_free. */
srr_rc srr_rules_read_strv(const srr_yaml_node *n, const char *what, int allow_empty, char ***out,
                           size_t *count, srr_error *err);

/* ---- identity (identity.c) ------------------------------------------------ */

/* Compiles the config's `monitors:` section and carries every rule-level
 * group_by to the sources it can only mean (see identity.c). Runs after
 * the rules are compiled. Errors name file:line:col. */
srr_rc srr_rules_compile_identity(srr_ruleset *rs, srr_error *err);
void srr_rules_free_identity(srr_ruleset *rs);
/* The group keys of sig's source: a configured check's (k = its index, or
 * -1 when sig->check is none; -2 = look it up) or the matching monitors
 * entry's. Sets d->group_by, d->ngroup_by, d->has_group_by. */
void srr_rules_source_group(const srr_ruleset *rs, const srr_signal *sig, long k, srr_decision *d);
/* The `srr policy check` finding for rule k (k == nrules: the default)
 * when it sets a rule-level group_by: where it was carried and the exact
 * rewrite, into out (n bytes). Returns 0 when the rule sets none. */
int srr_rules_group_lint(const srr_ruleset *rs, size_t k, char *out, size_t n);
/* The group that names sig's thing ("service:worker", the labels first),
 * with d's group keys (NULL or none: every tag), into out. */
void srr_rules_group_text(const srr_signal *sig, const srr_decision *d, char *out, size_t n);
/* Hashes head[0..nhead) then the tags of sig, sorted, then tail (may be
 * NULL) into hexlen hex digits (identity.c; candidate ids use it too). */
void srr_rules_hash_tags(const char **head, size_t nhead, const srr_signal *sig, const char *tail,
                         size_t hexlen, char *out);

/* Writes, for rule `i` (i == nrules: the default), why it does not match
 * `sig` ("source is datadog.logs, rule wants metrics") into out. Returns 1
 * when it matches (out then says "matches"), 0 otherwise. */
int srr_rules_explain_rule(const srr_ruleset *rs, size_t i, const srr_signal *sig, char *out,
                           size_t n);

/* ---- one rule's matchers (policy_decide.c; policy_explain.c words them) -- */

/* 1 when v's bit is in mask, or the mask is 0 (any): the enum matchers. */
static inline int srr_mask_has(unsigned mask, int v)
{
    return mask == 0 || (v >= 0 && v < 32 && (mask & (1u << v)));
}
/* 1 when the rule matches on the fingerprint's history (recurrence or
 * flapping), which only the writer has. */
static inline int srr_rule_needs_history(const srr_rule *r)
{
    return r->has_recurrence || r->has_flapping;
}
/* 1 when some priority glob matches prio, compared case-insensitively (the
 * patterns are upper-cased); 0 for NULL prio. */
int srr_rule_priority_any(const srr_globset *gs, const char *prio);
/* Index of the first tag glob of r that matches no tag of sig, or -1. */
long srr_rule_missing_tag(const srr_rule *r, const srr_signal *sig);
/* The value matcher: 1 when sig's value holds r's condition, else 0 with
 * *bad_measure set when the signal's condition measures something else. */
int srr_rule_value_holds(const srr_rule *r, const srr_signal *sig, int *bad_measure);
/* The history matchers: 1 when they hold for sig given h (or r has none). */
int srr_rule_history_matches(const srr_rule *r, const srr_signal *sig, const srr_history *h);

/* ---- what the detectors share (detect.c, detect_logs.c, patterns.c) ---- */

#define SRR_LOG_SAMPLES 3        /* sample messages kept per group or pattern */
#define SRR_LOG_SAMPLE_BYTES 200 /* of each */
#define SRR_LOG_MISSING "n/a"    /* the value of a facet an event lacks */

/* One sample message (both strings owned, UTF-8). */
typedef struct srr_log_sample {
    char *timestamp;
    char *message;
} srr_log_sample;

/* Validates ctx against the ruleset and the expected source of the check;
 * sets *check and *rt. SRR_EINVAL naming what is wrong. */
/* Index of the group tags g in ctx->known (sorted), or -1. */
long srr_detect_known_index(const srr_detect_ctx *ctx, const char *g);
srr_rc srr_detect_check_for(const srr_ruleset *rs, const srr_detect_ctx *ctx, srr_source want,
                            const srr_check **check, const srr_check_rt **rt, srr_error *err);
/* Fills what every detected signal has in common; tags must be set first
 * (service and env fall back to the "service:" and "env:" tags). */
void srr_detect_fill_common(srr_signal *sig, const srr_check *check, const srr_detect_ctx *ctx,
                            srr_kind kind);
/* Keeps evidence within SRR_SIGNAL_MAX_EVIDENCE_BYTES by dropping elements
 * from the end of the array `key`, then the array itself. */
void srr_detect_bound_evidence(json_t *ev, const char *key);
/* "90%", "2 GiB", "500 ms", "10%/week": a quantity as a person writes it. */
void srr_detect_fmt_quantity(const srr_quantity *q, char *out, size_t n);
/* FNV-1a 64 of s[0..n). */
uint64_t srr_fnv1a_n(const char *s, size_t n);
/* Replaces every byte that is not part of a valid UTF-8 sequence by '?', so
 * that a sample always serialises (JSON strings must be UTF-8). */
void srr_utf8_sanitize(char *s);
/* Keeps ev's message (cut to SRR_LOG_SAMPLE_BYTES on a UTF-8 boundary,
 * sanitised) and timestamp in *smp (which must be empty). */
void srr_log_sample_set(srr_log_sample *smp, const srr_log_event *ev);
void srr_log_sample_free(srr_log_sample *smp);
/* [{"timestamp", "message"}, ...] of n samples (a new reference). */
json_t *srr_log_samples_json(const srr_log_sample *v, size_t n);
/* The value of one group_by facet for an event ("service", "host",
 * "status", "@attr.path", or a tag key), "n/a" when it has none. */
void srr_log_facet_value(const srr_log_event *ev, const char *facet, char *out, size_t n);
/* Writes the key of the event's group under check's group_by (the facet
 * values, joined by '\x1f') into key[cap]; returns its length. */
size_t srr_log_group_key(const srr_check *check, const srr_log_event *ev, char *key, size_t cap);

/* ---- text helpers ------------------------------------------------------- */

/* A string builder over a fixed array: appends never overflow; past the end
 * the text is cut on a UTF-8 character boundary and `full` is set. */
typedef struct srr_sb {
    char *p;
    size_t len, cap; /* cap includes the NUL */
    int full;
} srr_sb;

void srr_sb_init(srr_sb *sb, char *p, size_t cap);
void srr_sb_putn(srr_sb *sb, const char *s, size_t n);
void srr_sb_put(srr_sb *sb, const char *s);
void srr_sb_putu(srr_sb *sb, unsigned long long v);
void srr_sb_printf(srr_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Largest length <= max that does not split a UTF-8 sequence of s (whose
 * length is len). */
size_t srr_utf8_cut(const char *s, size_t len, size_t max);

/* A number for people: "93.1", "1200", "0.0042" (no trailing zeros). */
void srr_fmt_number(double v, char *out, size_t n);
/* A value in `unit` for people: bytes as "1.8 GiB", "93.1%", "250 ms",
 * "18.2%/week", plain numbers otherwise. */
void srr_fmt_value(double v, const char *unit, char *out, size_t n);
/* Appends the signal's tags as "a:1,b:2" (nothing when it has none). */
void srr_sb_put_tags(srr_sb *sb, const srr_signal *sig);
/* Appends what r's history matchers counted for sig given h ("seen in 3 of
 * the last 4 sweeps", "fired and recovered 2 times in 7d";
 * policy_decide.c). */
void srr_rule_put_history_facts(srr_sb *sb, const srr_rule *r, const srr_signal *sig,
                                const srr_history *h);

#endif
