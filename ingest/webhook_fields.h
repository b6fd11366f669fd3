/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook_fields.h - internal to ingest/: the table of the fields a Datadog
 * webhook payload may carry, and the readers that fill it (webhook_fields.c):
 * a one-pass reader for the flat shape Datadog sends, jansson for every
 * other body, and the `form` encoding. The mapping (webhook_payload.c) reads
 * only the table, so the two JSON readers cannot map a payload differently
 * once they agree on the table; the tests and the fuzz target hold them to
 * the same alert.
 */
#ifndef SRR_WEBHOOK_FIELDS_H
#define SRR_WEBHOOK_FIELDS_H

#include <jansson.h>
#include <stddef.h>

#include "srr.h"

#define WH_MAX_SHORT 256     /* ids, names, tags, transition */
#define WH_MAX_TEXT 1024     /* title, query, status, link */
#define WH_MAX_MESSAGE 1024  /* message kept in the evidence */
#define WH_MAX_FORM_FIELDS 256

#define WH_TOP_FIELDS(X)                                                                         \
    X(ID, "id") X(EVENT_ID, "event_id") X(ALERT_TRANSITION, "alert_transition")                \
    X(TRANSITION, "transition") X(ALERT_ID, "alert_id") X(MONITOR_ID, "monitor_id")             \
    X(ALERT_CYCLE_KEY, "alert_cycle_key") X(CYCLE_KEY, "cycle_key") X(AGGREG_KEY, "aggreg_key") \
    X(ALERT_TYPE, "alert_type") X(ALERT_PRIORITY, "alert_priority") X(PRIORITY, "priority")     \
    X(ALERT_QUERY, "alert_query") X(QUERY, "query") X(ALERT_SCOPE, "alert_scope")              \
    X(SCOPE, "scope") X(ALERT_METRIC, "alert_metric") X(METRIC, "metric")                       \
    X(ALERT_STATUS, "alert_status") X(TITLE, "title") X(EVENT_TITLE, "event_title")             \
    X(ALERT_TITLE, "alert_title") X(TEXT_ONLY_MSG, "text_only_msg") X(BODY, "body")             \
    X(EVENT_MSG, "event_msg") X(MESSAGE, "message") X(DATE, "date")                             \
    X(EVENT_DATE, "event_date") X(LAST_UPDATED, "last_updated") X(HOSTNAME, "hostname")        \
    X(HOST_NAME, "host_name") X(HOST, "host") X(LINK, "link") X(URL, "url")                     \
    X(EVENT_TYPE, "event_type") X(ORG_ID, "org_id") X(ORG_NAME, "org_name") X(TAGS, "tags")     \
    X(EVENT_TAGS, "event_tags")

typedef enum {
#define WF_ENUM(id, name) WF_##id,
    WH_TOP_FIELDS(WF_ENUM)
#undef WF_ENUM
    WF_NTOP,                    /* the top-level names end here */
    WF_ORG_OBJ_ID = WF_NTOP,    /* "org": {"id": ...} */
    WF_ORG_OBJ_NAME,            /* "org": {"name": ...} */
    WF__COUNT
} wh_field;

/* The table: for each member name the mapping looks at, its value as text
 * (a string's bytes, or a number written out), or nothing (absent, null, a
 * boolean, an object, an array). "tags" and "event_tags" sent as lists are
 * joined with ','. */
typedef struct wh_fields {
    const char *s[WF__COUNT]; /* NULL: no text */
    size_t n[WF__COUNT];
    unsigned long long joined; /* bit per field: a list joined, taken as it is */
    char *own[WF__COUNT];     /* texts written here (numbers, joined lists) */
    char *arena;              /* decoded strings (the fast reader) */
} wh_fields;

static inline int wh_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Frees what the table owns and empties it. */
void wh_fields_clear(wh_fields *f);

/* The text of field i: trimmed; NULL when absent, "", holding a NUL or a
 * variable Datadog left unexpanded ("$ALERT_ID"). At most max bytes, cut
 * on a UTF-8 boundary. Caller frees. */
char *wh_text(const wh_fields *f, wh_field i, size_t max);
/* The text of the first of the fields `ids` that has one. Caller frees. */
char *wh_first_text(const wh_fields *f, size_t max, const wh_field *ids, size_t nids);
#define WH_TEXT(f, max, ...)                                                                     \
    wh_first_text((f), (max), (const wh_field[]){__VA_ARGS__},                                   \
                  sizeof((const wh_field[]){__VA_ARGS__}) / sizeof(wh_field))

/* Fills the table from a payload object; its texts point into root, which
 * must outlive the table's use. */
void wh_fields_from_json(const json_t *root, wh_fields *f);
/* Fills the table straight from a JSON body of the flat shape Datadog
 * sends. Returns 1 when it did; 0 (the table cleared) when jansson must
 * read the body (anything it is not certain jansson reads alike). */
int wh_fields_scan(const char *body, size_t len, wh_fields *f);
/* Turns a form body into a JSON object of its fields. Returns NULL with a
 * reason in err. Caller owns the reference. */
json_t *wh_parse_form(const char *body, size_t len, srr_error *err);

#endif
