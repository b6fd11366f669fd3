/* SPDX-License-Identifier: Apache-2.0
 *
 * reference.h - the reference of srr.yaml beyond its option tables: the
 * top-level sections, every key of `checks:` and of `policy:` (its rules,
 * their matchers, the default), the condition measures a check's `when`
 * may use, units, the matcher grammars, actions and urgency. One table,
 * read by three parties:
 *
 *   - the loaders take the keys they accept from it (srr_ref_section_keys:
 *     core/config.c for the top level and checks, rules/policy.c for the
 *     policy), so a key is accepted exactly when it is documented;
 *   - `srr config reference`, the README's reference and srr.yaml(5) print
 *     it (srr_ref_print_md, srr_ref_print_roff);
 *   - tests hold the rest to it: every measure rules/condition.c parses is
 *     documented and every documented example compiles.
 *
 * Adding a setting: a scalar option of a section with an option table
 * (datadog, queue, sweep, webhook, team...) is a row of that table in
 * config.c; a new section, a key of checks or of the policy, a matcher or
 * a measure is a row in reference.c (see the comment above its tables).
 */
#ifndef SRR_REFERENCE_H
#define SRR_REFERENCE_H

#include <stddef.h>
#include <stdio.h>

/* Row flags. */
#define SRR_REF_REQUIRED 1u     /* the loader refuses the map without it */
#define SRR_REF_ALSO_DEFAULT 2u /* a policy.rules[] key that policy.default takes too */

/* One key of a structured section. `section` is "" (top level),
 * "checks[]", "policy", "policy.rules[]" or "policy.rules[].match". */
typedef struct srr_ref_key {
    const char *section;
    const char *key;
    unsigned flags;
    const char *type;    /* "duration", "glob or list of globs", ... */
    const char *example; /* a YAML value as a user writes it */
    const char *help;    /* what it does, one or two sentences */
} srr_ref_key;

/* One measure of the condition grammar (`checks[].when`). */
typedef struct srr_ref_measure {
    const char *measure; /* "max", "growth", ... (several for one row: "p50..p99") */
    const char *kind;    /* the signal kind it makes: threshold, trend, ... */
    const char *source;  /* "metrics" or "logs" */
    const char *units;   /* what its number is written in */
    const char *example; /* a full condition */
    const char *help;
} srr_ref_measure;

/* The key table, ending with a row whose section is NULL. */
const srr_ref_key *srr_ref_keys(void);
/* The measure table, ending with a row whose measure is NULL. */
const srr_ref_measure *srr_ref_measures(void);

/* A short complete srr.yaml (checks, policy, team), static. */
const char *srr_ref_example(void);

/* The keys the loader accepts in `section` (also "policy.default": the
 * rule keys flagged SRR_REF_ALSO_DEFAULT) into out[0..cap-1], NULL
 * terminated, as srr_yaml_check_keys wants them. Returns the number of
 * keys (cap-1 at most). Pointers are static. */
size_t srr_ref_section_keys(const char *section, const char **out, size_t cap);

/* The reference in markdown (`srr config reference`, the README) and in
 * roff (srr.yaml(5)). Headings are "###" / ".SH" and ".SS". */
void srr_ref_print_md(FILE *out);
void srr_ref_print_roff(FILE *out);

#endif
