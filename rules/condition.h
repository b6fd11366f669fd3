/* SPDX-License-Identifier: Apache-2.0
 *
 * condition.h - internal to rules/: the grammar of a check's `when` text and
 * of its `limit`, written the way a person says it:
 *
 *     condition := measure op quantity
 *     measure   := max | min | avg | last | sum | p50 | p75 | p90 | p95 | p99
 *                | growth | count | spike | change | new_pattern
 *     op        := > | >= | < | <= | == | !=
 *     quantity  := number [unit]          (spaces allowed around tokens)
 *     number    := [+-] digits [. digits] [(e|E) [+-] digits]
 *     unit      := %                      percent
 *                | B KB MB GB TB           bytes, 1000-based
 *                | KiB MiB GiB TiB         bytes, 1024-based
 *                | ns us µs ms s m h d     time, normalised to seconds
 *                | %/week %/day %/month    growth rates (growth only),
 *                                          normalised to %/week (month = 30d)
 *
 * The max..p99 measures make a threshold condition, growth a trend
 * condition, count a (log) count condition; spike (in %) a spike condition,
 * change (in %) a count condition on the change against the previous
 * window, new_pattern (a plain number of events) a new-pattern condition. A parse error gives a message
 * that says what was expected and the 0-based byte offset inside the text,
 * so the caller can turn it into file:line:col.
 */
#ifndef SRR_RULES_CONDITION_H
#define SRR_RULES_CONDITION_H

#include <stddef.h>

#include "signal.h"
#include "srr.h"
#include "yaml.h"

typedef enum {
    SRR_MEASURE_MAX = 0,
    SRR_MEASURE_MIN,
    SRR_MEASURE_AVG,
    SRR_MEASURE_LAST,
    SRR_MEASURE_SUM,
    SRR_MEASURE_P50,
    SRR_MEASURE_P75,
    SRR_MEASURE_P90,
    SRR_MEASURE_P95,
    SRR_MEASURE_P99,
    SRR_MEASURE_GROWTH,
    SRR_MEASURE_COUNT,
    SRR_MEASURE_SPIKE,       /* % of the current max over the previous window's mean */
    SRR_MEASURE_CHANGE,      /* % change of a log count vs the previous window */
    SRR_MEASURE_NEW_PATTERN, /* events of a log pattern absent from the previous window */
    SRR_MEASURE__COUNT
} srr_measure;

typedef enum { SRR_CMP_GT = 0, SRR_CMP_GE, SRR_CMP_LT, SRR_CMP_LE, SRR_CMP_EQ, SRR_CMP_NE } srr_cmp;

/* The family of a unit; values of one class convert into each other. */
typedef enum {
    SRR_UNIT_NONE = 0, /* plain number */
    SRR_UNIT_PERCENT,
    SRR_UNIT_BYTES,    /* base: byte */
    SRR_UNIT_TIME,     /* base: second */
    SRR_UNIT_RATE      /* base: percent per week */
} srr_unit_class;

/* A number with its unit: `base` is the value in the base unit of its class
 * (bytes, seconds, %/week); `unit` is the unit as written ("GiB", "" when
 * none). */
typedef struct srr_quantity {
    double number;        /* as written: 2 for "2GiB" */
    double base;          /* in the class's base unit: 2147483648 */
    srr_unit_class uclass;
    char unit[12];
} srr_quantity;

/* A compiled condition. Plain value, no heap. */
typedef struct srr_cond {
    srr_measure measure;
    srr_kind kind;        /* THRESHOLD, TREND or COUNT */
    srr_cmp op;
    srr_quantity q;       /* the threshold */
} srr_cond;

/* Parses a `when` text. On failure returns SRR_EINVAL, sets *err_off to the
 * 0-based byte offset of the offending character and puts a message without
 * position ("expected an operator (>, >=, <, <=, ==, !=) at character 5,
 * found '9'") in err. */
srr_rc srr_cond_parse(const char *text, srr_cond *out, size_t *err_off, srr_error *err);

/* Parses a quantity alone (a check's `limit`: "2GiB", "90%", "1.5e3").
 * Rate units are refused. Errors as srr_cond_parse. */
srr_rc srr_quantity_parse(const char *text, srr_quantity *out, size_t *err_off, srr_error *err);

/* Compile helpers that report errors as "file:line:col: what: message".
 * `node` (may be NULL) is the YAML scalar the text came from; when it was a
 * plain scalar on one line the column points at the offending character. */
srr_rc srr_cond_compile_at(const char *text, const srr_yaml_node *node, const char *what,
                           srr_cond *out, srr_error *err);
srr_rc srr_quantity_compile_at(const char *text, const srr_yaml_node *node, const char *what,
                               srr_quantity *out, srr_error *err);

/* Short names: "max", ..., "growth", "count"; ">", ">=", ... Static strings. */
const char *srr_measure_name(srr_measure m);
const char *srr_cmp_name(srr_cmp op);

/* Applies `op`: returns 1 when `value op threshold` holds. */
int srr_cmp_holds(srr_cmp op, double value, double threshold);

/* Recognises a unit short name as Datadog sends it in a series ("B", "KiB",
 * "%", "ms", "μs", "min", ...). Returns 1 and sets *cls and *scale (size of
 * one such unit in the base unit of the class) when known, else 0. NULL and
 * "" are not known. */
int srr_unit_lookup(const char *name, srr_unit_class *cls, double *scale);

/* The quantity expressed in the unit of a series whose unit short name is
 * `series_unit`: converted when both are of the same class (percent, bytes
 * or time), otherwise the base value. For the policy's value matchers, on a
 * signal whose unit is already the condition's; a check's condition goes
 * through srr_unit_reconcile instead. */
double srr_quantity_in(const srr_quantity *q, const char *series_unit);

/* The unit of a series, as far as conditions are concerned. */
typedef struct srr_series_unit {
    srr_unit_class cls; /* SRR_UNIT_NONE when the series carries no unit (and other == 0) */
    int other;          /* 1: a unit conditions do not convert (requests, hits, apdex) */
    int declared;       /* 1: the check's `unit:` said so (Datadog sent none, or the query's
                           arithmetic made Datadog's unit not the values') */
    int arithmetic;     /* 1: Datadog's unit was set aside for the query's arithmetic */
    double scale;       /* one series unit in the base unit of cls */
    char label[40];     /* as people read it: "fraction", "%", "B/s" */
} srr_series_unit;

/* Tells the unit of a series from what Datadog sent: its unit name
 * ("fraction", "kibibyte"), else its short name, else its family and
 * scale_factor (a scale_factor counts in the family's base: percent, byte,
 * second). When Datadog sent no unit, or `arithmetic` says the query
 * computes on the metric ("... * 100": Datadog's unit names the metric, not
 * the result), `declared` (the check's `unit:`, may be NULL) is used. */
void srr_series_unit_of(const srr_series *s, const char *declared, int arithmetic,
                        srr_series_unit *out);

/* 1 when a metric query does arithmetic on its series (+ - * / outside
 * braces and quotes: "max:system.disk.in_use{*} * 100", "a{*} / b{*}"). */
int srr_query_has_arithmetic(const char *query);

/* Converts the condition's quantity q into the unit of a series (the
 * unit rule, README "Units"):
 *   - a plain number is in the series' own unit, whatever it is;
 *   - a quantity with a unit converts into a series of the same class
 *     (85% into a fraction is 0.85; 500ms into seconds is 0.5; 2GiB into
 *     bytes); *to_q then turns a series value into q's unit, so values are
 *     printed the way the condition was written ("last 91% > 85%");
 *   - against a series without a unit, or in another class (a % on bytes),
 *     SRR_EINVAL with a message naming `what` ("check 'disk': when 'last >
 *     85%'") that says how to write it (`measure` shapes the example).
 * *thr receives the threshold in the series' unit. */
srr_rc srr_unit_reconcile(const srr_quantity *q, const srr_series_unit *u, const char *what,
                          const char *measure, double *thr, double *to_q, srr_error *err);

/* ---- policy matchers ------------------------------------------------------
 *
 *     value      := [measure] op quantity      "> 500", "p95 > 300ms"
 *     recurrence := [seen in] [op] N of [the] [last] M [sweeps|weeks|days|hours]
 *     flapping   := [op] N [times] in duration   ">= 3 times in 7d"
 *
 * A value without a measure compares the signal's value whatever its
 * measure (measure = SRR_MEASURE__COUNT); with one, the signal's condition
 * must use that measure. A count without an operator means ">=".
 * Recurrence in "sweeps" uses the signal's own window as the period. */

/* "N of the last M": periods of period_s seconds (0 = the signal's window). */
typedef struct srr_recurrence {
    srr_cmp op;
    long n, of;
    int64_t period_s;
} srr_recurrence;

/* "fired and recovered N times in window_s". */
typedef struct srr_flapping {
    srr_cmp op;
    long n;
    int64_t window_s;
} srr_flapping;

/* Parsers; errors as srr_cond_parse (message + 0-based offset). */
srr_rc srr_value_cond_parse(const char *text, srr_cond *out, int *has_measure, size_t *err_off,
                            srr_error *err);
srr_rc srr_recurrence_parse(const char *text, srr_recurrence *out, size_t *err_off,
                            srr_error *err);
srr_rc srr_flapping_parse(const char *text, srr_flapping *out, size_t *err_off, srr_error *err);
/* The same, reporting "file:line:col: what: message in 'text'". */
srr_rc srr_value_cond_compile_at(const char *text, const srr_yaml_node *node, const char *what,
                                 srr_cond *out, int *has_measure, srr_error *err);
srr_rc srr_recurrence_compile_at(const char *text, const srr_yaml_node *node, const char *what,
                                 srr_recurrence *out, srr_error *err);
srr_rc srr_flapping_compile_at(const char *text, const srr_yaml_node *node, const char *what,
                               srr_flapping *out, srr_error *err);

#endif
