/* SPDX-License-Identifier: Apache-2.0
 *
 * detectors.h - the detectors that need more than one window or more than
 * the events themselves, beside the basic ones of rules.h:
 *   - what a check needs fetched (srr_detect_measure): a spike needs the
 *     previous window's points too, a count change the previous window's
 *     counts, a new pattern the previous window's messages;
 *   - log counts fed as aggregate buckets (one count per group) instead of
 *     event by event, with the previous window's counts for `change`, and
 *     sample messages attached afterwards;
 *   - log spikes: counts per interval (aggregate timeseries) of the
 *     previous window and this one, fed per group;
 *   - new log patterns: messages normalised (numbers, ids, hex, UUIDs,
 *     quoted strings masked) and grouped by the check's group_by; a pattern
 *     of a group in the current window that the previous window never
 *     showed in that group is a signal.
 * Pure code like the rest of rules/: no I/O, time comes from the context.
 * detect_logs.c holds the counters, patterns.c the patterns.
 */
#ifndef SRR_RULES_DETECTORS_H
#define SRR_RULES_DETECTORS_H

#include <stddef.h>

#include "rules.h"

/* The measure of check `check_index`'s condition ("max", "growth",
 * "count", "spike", "change", "new_pattern", ...). Static string; "?" for
 * an index out of range. */
const char *srr_detect_measure(const srr_ruleset *rs, size_t check_index);

/* Adds `count` events to the group whose group_by values are values[0..n)
 * (n must equal the check's group_by length; ignored otherwise). */
void srr_log_counter_add_group(srr_log_counter *lc, const char *const *values, size_t n,
                               double count);
/* Same for the previous window (used by `change`). */
void srr_log_counter_add_prev_group(srr_log_counter *lc, const char *const *values, size_t n,
                                    double count);
/* Keeps `ev` as a sample message of its group when that group exists and
 * has room; counts nothing. Returns 1 when kept. */
int srr_log_counter_add_sample(srr_log_counter *lc, const srr_log_event *ev);
/* Returns 1 when srr_log_counter_finish would emit at least one signal. */
int srr_log_counter_fires(const srr_log_counter *lc);

/* ---- log spikes ------------------------------------------------------------
 *
 * A logs check whose measure is spike asks the counts per interval over the
 * previous window and this one ([window_start - w, window_end)), and feeds
 * them group by group. */

/* The interval a spike check of window `window_s` asks counts per: about
 * 168 per window (hours of a week), whole minutes, at least one. */
int64_t srr_log_spike_interval(int64_t window_s);
/* Sets the interval the counts come per (before adding series). */
void srr_log_counter_set_interval(srr_log_counter *lc, int64_t interval_s);
/* Adds the counts per interval of the group whose group_by values are
 * values[0..n): points before window_start form the baseline, the others
 * the current window. */
void srr_log_counter_add_series(srr_log_counter *lc, const char *const *values, size_t n,
                                const srr_point *pts, size_t npts);
/* The interval [*from_s, *to_s) of the most spiking group that fires (for
 * fetching its sample messages). Returns 0 when none fires. */
int srr_log_counter_peak(const srr_log_counter *lc, int64_t *from_s, int64_t *to_s);

/* Normalises a log message into a pattern: runs of digits -> <num>, tokens
 * mixing letters and digits -> <id>, hex (0x.. or >= 8 hex digits) -> <hex>,
 * UUIDs -> <uuid>, "..." and '...' -> "<str>", whitespace collapsed. Writes
 * at most outsz-1 bytes (cut on a UTF-8 boundary) and returns the length. */
size_t srr_log_pattern(const char *msg, char *out, size_t outsz);

/* New-pattern detection for a logs check whose measure is new_pattern.
 * Memory is O(patterns), capped at SRR_PATTERN_MAX per window. */
#define SRR_PATTERN_MAX 10000
#define SRR_PATTERN_MAX_SIGNALS 20
typedef struct srr_pattern_detector srr_pattern_detector;
/* Creates a detector (ctx is copied; its link too). Free with _destroy. */
srr_pattern_detector *srr_pattern_detector_create(const srr_ruleset *rs,
                                                  const srr_detect_ctx *ctx);
/* Feeds one event of the previous window / of the current window. */
void srr_pattern_add_prev(srr_pattern_detector *pd, const srr_log_event *ev);
void srr_pattern_add(srr_pattern_detector *pd, const srr_log_event *ev);
/* Appends one signal (kind new_pattern, the group's tags and
 * "pattern:<16 hex>") per (group, pattern) of the current window absent
 * from the previous one whose count meets the condition: the most frequent
 * first, at most SRR_PATTERN_MAX_SIGNALS. Its evidence holds "pattern" (the
 * text), "count", "samples" (up to 3 messages) and "query" (the log search
 * narrowed to the pattern and its group). SRR_EINVAL when the check is not
 * a logs check with a new_pattern condition. */
srr_rc srr_pattern_finish(srr_pattern_detector *pd, srr_signal_list *out, srr_error *err);
void srr_pattern_detector_destroy(srr_pattern_detector *pd);

/* The log search that finds a pattern's events: `query` (the check's), the
 * group's facets (facets[i]:values[i], "n/a" left out) and the pattern's
 * literal runs between masks as quoted phrases (at most 4). Returns a new
 * string (caller frees); "*" when nothing narrows it. */
char *srr_log_pattern_query(const char *query, const char *const *facets,
                            const char *const *values, size_t nfacets, const char *pattern);

#endif
