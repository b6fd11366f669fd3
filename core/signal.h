/* SPDX-License-Identifier: Apache-2.0
 *
 * signal.h - the data that flows from ingest to rules: query results as
 * Datadog returned them (metric series, log events), and the *signal*, one
 * observation worth judging (DESIGN.md section 3).
 *
 * All structs here are plain values. Strings and arrays inside are owned by
 * the struct and freed by its _clear() function.
 */
#ifndef SRR_SIGNAL_H
#define SRR_SIGNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "srr.h"

/* ---- query results (ingest -> rules) ---------------------------------- */

/* One point of a metric series. Datadog sends [ts_ms, value] where value may
 * be null; ts may arrive as integer or float. */
typedef struct srr_point {
    double ts_ms;
    double value;
    int is_null;
} srr_point;

/* One series of a metric query answer (v1 `series[]`). */
typedef struct srr_series {
    char *metric;      /* "process.rss" */
    char *expression;  /* "avg:process.rss{service:worker,host:w-1}" */
    char *scope;       /* "service:worker,host:w-1" or "*" */
    char **tags;       /* tag_set: "host:w-1", ... */
    size_t ntags;
    char *unit;        /* unit short name ("B", "%", "μs") or NULL */
    char *unit_name;   /* Datadog's unit name ("fraction", "kibibyte") or NULL */
    char *unit_family; /* its family ("percentage", "bytes", "time") or NULL */
    double unit_scale; /* its scale_factor within the family; 0 when not sent */
    char *per_unit;    /* short name of the "per" unit ("s" of B/s), or NULL */
    srr_point *points;
    size_t npoints;
} srr_series;

/* A whole metric answer: the series of one query over one window. */
typedef struct srr_metric_result {
    char *query;
    int64_t from_ms, to_ms;
    srr_series *series;
    size_t nseries;
} srr_metric_result;

void srr_series_clear(srr_series *s);
void srr_metric_result_clear(srr_metric_result *r);

/* One log event (v2 logs search `data[]`). Pointers borrow from the parsed
 * page and are only valid during the callback that receives the event. */
typedef struct srr_log_event {
    const char *id;
    const char *timestamp; /* ISO-8601 as sent */
    const char *status;
    const char *service;
    const char *host;
    const char *message;
    const json_t *tags;       /* array of "k:v" strings (may be NULL) */
    const json_t *attributes; /* custom attributes object (may be NULL) */
} srr_log_event;

/* ---- signals (ingest/rules -> rules policy) --------------------------- */

typedef enum {
    SRR_SRC_METRICS = 0,
    SRR_SRC_LOGS,
    SRR_SRC_WEBHOOK,
    SRR_SRC__COUNT
} srr_source;

typedef enum {
    SRR_KIND_THRESHOLD = 0,
    SRR_KIND_TREND,
    SRR_KIND_SPIKE,
    SRR_KIND_COUNT,
    SRR_KIND_NEW_PATTERN,
    SRR_KIND_MONITOR_ALERT,
    SRR_KIND__COUNT
} srr_kind;

typedef enum { SRR_STATUS_FIRING = 0, SRR_STATUS_RECOVERED } srr_status;

/* "datadog.metrics", "datadog.logs", "datadog.webhook". */
const char *srr_source_name(srr_source s);
/* "threshold", "trend", ... */
const char *srr_kind_name(srr_kind k);
const char *srr_status_name(srr_status s);
/* Parse the names above (source also accepts "metrics", "logs", "webhook").
 * Return SRR_EINVAL for unknown names. */
srr_rc srr_source_parse(const char *s, srr_source *out);
srr_rc srr_kind_parse(const char *s, srr_kind *out);
srr_rc srr_status_parse(const char *s, srr_status *out);

#define SRR_SIGNAL_MAX_TAGS 32
#define SRR_SIGNAL_MAX_EVIDENCE_BYTES 4096

typedef struct srr_signal {
    srr_source source;
    char *check;      /* configured check name, or monitor id */
    srr_kind kind;
    srr_status status;
    char *service;    /* may be NULL */
    char *env;        /* may be NULL */
    char **tags;      /* group tags "key:value", sorted, at most MAX_TAGS */
    size_t ntags;
    double value;     /* the measured value (max, slope %/week, count ...) */
    char *condition;  /* the condition it was held against: "max > 90%" */
    char *summary;    /* one line a person reads: "max 93.1% > 90%" */
    char *unit;       /* unit of value, may be NULL */
    int64_t window_start, window_end; /* epoch seconds */
    int64_t observed_at;              /* epoch seconds */
    char *link;       /* Datadog URL a person can click, may be NULL */
    char *priority;   /* monitor priority "P1".."P5", may be NULL */
    json_t *evidence; /* small JSON (points or log samples), owned, may be NULL;
                         bounded by SRR_SIGNAL_MAX_EVIDENCE_BYTES when serialised */
    char *evidence_json; /* or the evidence already as compact JSON text (an
                            object), owned, may be NULL: what the webhook
                            receiver builds, written out as it is. A signal
                            has at most one of the two. */
} srr_signal;

/* Frees everything the signal owns and zeroes it. */
void srr_signal_clear(srr_signal *s);
/* Deep copy. dst must be uninitialised or cleared. */
void srr_signal_copy(srr_signal *dst, const srr_signal *src);
/* Adds a tag (copied); keeps tags sorted and unique; ignores past MAX_TAGS. */
void srr_signal_add_tag(srr_signal *s, const char *tag);
/* Value of tag `key` ("key:value" -> "value"), or NULL. Borrowed pointer. */
const char *srr_signal_tag(const srr_signal *s, const char *key);

/* Appends the signal as compact JSON text to b (the text json_dumps
 * writes for the same object). Returns SRR_EINVAL past b's max. */
srr_rc srr_signal_write_json(srr_buf *b, const srr_signal *s);
/* The same object as a jansson tree, read back from that text (caller
 * owns the reference; NULL only if it cannot be built). */
json_t *srr_signal_to_json(const srr_signal *s);
/* Parses the object produced above. On failure returns SRR_EINVAL with a
 * message naming the field; *out is left cleared. */
srr_rc srr_signal_from_json(const json_t *j, srr_signal *out, srr_error *err);

#endif
