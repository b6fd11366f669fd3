/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook_payload.c - from a Datadog webhook body to an srr_webhook_alert
 * (webhook.h). Pure code: no I/O, no clock (the caller passes `now`), so
 * the fuzz target in tests/fuzz drives exactly what the server runs.
 *
 * Everything Datadog substitutes arrives as text: $ID has 19 digits (kept a
 * string), $DATE and $LAST_UPDATED are epoch-ms strings, $TAGS is one
 * comma-separated string, $ALERT_TRANSITION may hold values the docs do not
 * list. Numbers are accepted too (a template may leave a variable
 * unquoted), and a variable Datadog left unexpanded ("$ALERT_ID") counts as
 * absent. The `form` encoding is the same template URL-encoded: its fields
 * are the template's top-level keys.
 *
 * Two readers fill one table of the fields the mapping looks at: a one-pass
 * reader for the shape Datadog sends (a flat object of strings, and the
 * default payload's "org" object), built on core/jsonscan.h, and jansson
 * for every other body, which also words every refusal. The one-pass
 * reader declines whatever it is not certain jansson reads alike; the
 * tests and the fuzz target hold the two to the same alert. The evidence
 * (the alert's fields as sent) is written as JSON text once, into the
 * signal's evidence_json, rather than built as a jansson object that the
 * candidate's serialisation would walk again.
 *
 * Mapping (README "Datadog webhook"): check = $ALERT_ID, else the monitor
 * name from the event title; status = recovered for "Recovered" (or, with
 * no transition, alert type "success"), firing for everything else
 * (Triggered, Re-Triggered, Warn, No Data, Renotify and unknown values,
 * which are kept in the evidence); group tags = $TAGS and $ALERT_SCOPE;
 * service and env from those tags. The candidate id hashes $ID, else
 * $ALERT_CYCLE_KEY + $ALERT_TRANSITION + $DATE: a retry or a duplicate
 * delivery carries the same values, hence the same id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hash.h"
#include "jsonscan.h"
#include "jsonw.h"
#include "webhook.h"

#define WH_MAX_SHORT 256     /* ids, names, tags, transition */
#define WH_MAX_TEXT 1024     /* title, query, status, link */
#define WH_MAX_MESSAGE 1024  /* message kept in the evidence */
#define WH_MAX_FORM_FIELDS 256

/* ---- small text helpers ------------------------------------------------- */

/* Copies at most `max` bytes of s[0..n), never cutting a UTF-8 sequence. */
static char *dup_trunc(const char *s, size_t n, size_t max)
{
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return srr_strndup(s, n);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A value Datadog left as the variable itself ("$ALERT_ID") is absent. */
static int unexpanded(const char *s)
{
    if (s[0] != '$' || !s[1])
        return 0;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '[' ||
              *s == ']' || (*s >= 'a' && *s <= 'z') || *s == '.' || *s == '-'))
            return 0;
    return 1;
}

/* ---- the fields a payload may carry ---------------------------------------
 *
 * Both readers below fill one table: for each member name the mapping looks
 * at, its value as text (a string's bytes, or a number written out), or
 * nothing (absent, or null, a boolean, an object, an array). The mapping
 * then reads only the table, so the fast reader and jansson cannot map a
 * payload differently once they agree on the table.
 */

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
    X(HOST, "host") X(LINK, "link") X(URL, "url") X(EVENT_TYPE, "event_type")                   \
    X(ORG_ID, "org_id") X(ORG_NAME, "org_name") X(TAGS, "tags")

typedef enum {
#define WF_ENUM(id, name) WF_##id,
    WH_TOP_FIELDS(WF_ENUM)
#undef WF_ENUM
    WF_NTOP,                    /* the top-level names end here */
    WF_ORG_OBJ_ID = WF_NTOP,    /* "org": {"id": ...} */
    WF_ORG_OBJ_NAME,            /* "org": {"name": ...} */
    WF__COUNT
} wh_field;

static const char *const TOP_NAMES[WF_NTOP] = {
#define WF_NAME(id, name) name,
    WH_TOP_FIELDS(WF_NAME)
#undef WF_NAME
};

static const unsigned char TOP_LENS[WF_NTOP] = { /* strlen of each name */
#define WF_LEN(id, name) sizeof(name) - 1,
    WH_TOP_FIELDS(WF_LEN)
#undef WF_LEN
};

typedef struct wh_fields {
    const char *s[WF__COUNT]; /* NULL: no text */
    size_t n[WF__COUNT];
    int tags_joined;          /* "tags" was a list, joined: taken as it is */
    char *own[WF__COUNT];     /* texts written here (numbers, joined tags) */
    char *arena;              /* decoded strings (the fast reader) */
} wh_fields;

static void fields_clear(wh_fields *f)
{
    for (size_t i = 0; i < WF__COUNT; i++)
        free(f->own[i]);
    free(f->arena);
    memset(f, 0, sizeof *f);
}

/* The text of field i: trimmed; NULL when absent, "", holding a NUL or an
 * unexpanded variable. At most max bytes. Caller frees. */
static char *text(const wh_fields *f, wh_field i, size_t max)
{
    const char *s = f->s[i];
    size_t n = f->n[i];
    char *t;
    if (!s)
        return NULL;
    while (n && is_space(*s)) {
        s++;
        n--;
    }
    while (n && is_space(s[n - 1]))
        n--;
    if (n == 0 || memchr(s, '\0', n))
        return NULL;
    t = dup_trunc(s, n, max);
    if (unexpanded(t)) {
        free(t);
        return NULL;
    }
    return t;
}

/* The text of the first of the fields that has one. */
static char *first_text(const wh_fields *f, size_t max, const wh_field *ids, size_t nids)
{
    for (size_t k = 0; k < nids; k++) {
        char *t = text(f, ids[k], max);
        if (t)
            return t;
    }
    return NULL;
}

#define TEXT(f, max, ...)                                                                        \
    first_text((f), (max), (const wh_field[]){__VA_ARGS__},                                      \
               sizeof((const wh_field[]){__VA_ARGS__}) / sizeof(wh_field))

/* ---- reading the table from a jansson tree -------------------------------- */

/* Field i from a JSON value: strings as they are, numbers written out. */
static void set_from_json(wh_fields *f, wh_field i, const json_t *v)
{
    char num[64];
    if (json_is_string(v)) {
        f->s[i] = json_string_value(v);
        f->n[i] = json_string_length(v);
        return;
    }
    if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d >= -9e15 && d <= 9e15 && d == (double)(long long)d)
            snprintf(num, sizeof num, "%lld", (long long)d);
        else
            snprintf(num, sizeof num, "%.17g", d);
    } else {
        return;
    }
    f->own[i] = srr_strdup(num);
    f->s[i] = f->own[i];
    f->n[i] = strlen(num);
}

/* Fills the table from a payload object. Its texts point into root, which
 * must outlive the table's use. */
static void fields_from_json(const json_t *root, wh_fields *f)
{
    const json_t *org = json_object_get(root, "org"), *t;
    for (size_t i = 0; i < WF_NTOP; i++)
        if (i != WF_TAGS)
            set_from_json(f, (wh_field)i, json_object_get(root, TOP_NAMES[i]));
    if (json_is_object(org)) {
        set_from_json(f, WF_ORG_OBJ_ID, json_object_get(org, "id"));
        set_from_json(f, WF_ORG_OBJ_NAME, json_object_get(org, "name"));
    }
    t = json_object_get(root, "tags");
    if (json_is_array(t)) { /* a template may send a list; join it */
        srr_buf b;
        size_t i;
        json_t *e;
        srr_buf_init(&b, 64 * 1024);
        json_array_foreach(t, i, e)
        {
            if (json_is_string(e) &&
                srr_buf_printf(&b, "%s%s", b.len ? "," : "", json_string_value(e)) != SRR_OK)
                break;
        }
        if (b.len) {
            f->n[WF_TAGS] = b.len;
            f->own[WF_TAGS] = srr_buf_steal(&b);
            f->s[WF_TAGS] = f->own[WF_TAGS];
            f->tags_joined = 1;
        }
        srr_buf_free(&b);
    } else {
        set_from_json(f, WF_TAGS, t);
    }
}

/* ---- reading the table straight from the text ----------------------------- *
 *
 * The payloads Datadog sends are one flat object of strings (and an "org"
 * object of strings in the default payload). This reads that shape in one
 * pass over the text, with the tokens of jsonscan.h, and builds nothing.
 * Its rule: return 0 for anything it is not certain jansson reads the same
 * way - a number, a list, another nested object, an escape it does not
 * decode, a repeated member the mapping looks at (jansson keeps the last),
 * an escaped member name, any syntax error - and jansson decides, with its
 * own words for what is wrong. test_webhook and fuzz_webhook_payload hold
 * it to jansson's table.
 */

typedef struct scan {
    srr_jscan c;
    wh_fields *f;
    size_t len;      /* of the whole body: the arena's size */
    size_t arena_at; /* bytes of the arena used */
} scan;

/* Reads the string next as field i's text (i < 0: checked, not kept). */
static int scan_string(scan *sc, int i)
{
    const char *s;
    size_t n;
    int esc;
    long m;
    if (!srr_jscan_str_raw(&sc->c, &s, &n, &esc))
        return 0;
    if (esc) {
        if (!sc->f->arena)
            sc->f->arena = srr_malloc(sc->len + 1); /* the decoded strings fit */
        if ((m = srr_jscan_decode(s, n, sc->f->arena + sc->arena_at)) < 0)
            return 0;
        s = sc->f->arena + sc->arena_at;
        n = (size_t)m;
        sc->arena_at += n;
    }
    if (i >= 0) {
        sc->f->s[i] = s;
        sc->f->n[i] = n;
    }
    return 1;
}

/* A member name without escapes: 1 with it in *s, *n and the colon read. */
static int scan_name(scan *sc, const char **s, size_t *n)
{
    int esc;
    return srr_jscan_str_raw(&sc->c, s, n, &esc) && !esc && srr_jscan_eat(&sc->c, ':');
}

/* A value that is a string (kept as field i when i >= 0) or a literal (no
 * text). */
static int scan_flat_value(scan *sc, int i)
{
    srr_jscan_ws(&sc->c);
    if (sc->c.p < sc->c.end && *sc->c.p == '"')
        return scan_string(sc, i);
    return srr_jscan_literal(&sc->c, "null") || srr_jscan_literal(&sc->c, "true") ||
           srr_jscan_literal(&sc->c, "false");
}

/* The "org" object: its "id" and "name" texts. */
static int scan_org(scan *sc)
{
    int seen = 0;
    if (srr_jscan_eat(&sc->c, '}'))
        return 1;
    do {
        const char *k;
        size_t n;
        int i = -1;
        if (!scan_name(sc, &k, &n))
            return 0;
        if (n == 2 && memcmp(k, "id", 2) == 0)
            i = WF_ORG_OBJ_ID;
        else if (n == 4 && memcmp(k, "name", 4) == 0)
            i = WF_ORG_OBJ_NAME;
        if (i >= 0) {
            if (seen & (1 << (i - WF_ORG_OBJ_ID)))
                return 0;
            seen |= 1 << (i - WF_ORG_OBJ_ID);
        }
        if (!scan_flat_value(sc, i))
            return 0;
    } while (srr_jscan_eat(&sc->c, ','));
    return srr_jscan_eat(&sc->c, '}');
}

/* The top-level field named s (n bytes), or -1 (the org object: -2). */
static int top_field(const char *s, size_t n)
{
    if (n == 3 && memcmp(s, "org", 3) == 0)
        return -2;
    for (size_t i = 0; i < WF_NTOP; i++)
        if (TOP_LENS[i] == n && memcmp(TOP_NAMES[i], s, n) == 0)
            return (int)i;
    return -1;
}

/* Returns 1 with the table filled from a JSON body; 0 (the table cleared)
 * when jansson must read it. */
static int fields_scan(const char *body, size_t len, wh_fields *f)
{
    scan sc = {{body, body + len}, f, len, 0};
    unsigned long long seen = 0;
    if (!body || !srr_jscan_eat(&sc.c, '{'))
        return 0;
    if (!srr_jscan_eat(&sc.c, '}')) {
        do {
            const char *k;
            size_t n;
            int i;
            if (!scan_name(&sc, &k, &n))
                goto no;
            i = n ? top_field(k, n) : -1;
            if (i != -1) {
                unsigned long long bit = 1ULL << (i == -2 ? WF_NTOP : i);
                if (seen & bit)
                    goto no; /* jansson keeps the last one: let it */
                seen |= bit;
            }
            if (i == -2) {
                srr_jscan_ws(&sc.c);
                if (sc.c.p < sc.c.end && *sc.c.p == '{') {
                    sc.c.p++;
                    if (!scan_org(&sc))
                        goto no;
                    continue;
                }
            }
            if (!scan_flat_value(&sc, i))
                goto no;
        } while (srr_jscan_eat(&sc.c, ','));
        if (!srr_jscan_eat(&sc.c, '}'))
            goto no;
    }
    srr_jscan_ws(&sc.c);
    if (sc.c.p == sc.c.end)
        return 1;
no:
    fields_clear(f);
    return 0;
}

/* ---- the form encoding --------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes one application/x-www-form-urlencoded component ('+' is a
 * space, %XX a byte) into out (at least n+1 bytes). Returns the decoded
 * length, or -1 on a bad escape. */
static long form_decode(const char *s, size_t n, char *out)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1;
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return (long)o;
}

/* Turns a form body into a JSON object of its fields (strings; "org" or a
 * "payload" field holding a JSON object are parsed). Returns NULL with a
 * reason in err. Caller owns the reference. */
static json_t *parse_form(const char *body, size_t len, srr_error *err)
{
    json_t *obj = json_object();
    char *key = srr_malloc(len + 1), *val = srr_malloc(len + 1);
    size_t pos = 0, nfields = 0;
    while (pos < len) {
        const char *start = body + pos;
        const char *amp = memchr(start, '&', len - pos);
        size_t n = amp ? (size_t)(amp - start) : len - pos;
        const char *eq = memchr(start, '=', n);
        size_t kn = eq ? (size_t)(eq - start) : n;
        long kl, vl;
        json_t *jv;
        pos += n + 1;
        if (n == 0)
            continue;
        if (++nfields > WH_MAX_FORM_FIELDS) {
            srr_error_set(err, SRR_EINVAL, "form: more than %d fields", WH_MAX_FORM_FIELDS);
            goto fail;
        }
        kl = form_decode(start, kn, key);
        vl = eq ? form_decode(eq + 1, n - kn - 1, val) : 0;
        if (!eq)
            val[0] = '\0';
        if (kl < 0 || vl < 0) {
            srr_error_set(err, SRR_EINVAL, "form: bad %%-escape");
            goto fail;
        }
        if ((size_t)kl != strlen(key)) {
            srr_error_set(err, SRR_EINVAL, "form: NUL byte in a field name");
            goto fail;
        }
        jv = NULL;
        if (vl > 0 && val[0] == '{')
            jv = json_loadb(val, (size_t)vl, 0, NULL); /* org, or the whole payload */
        if (!jv)
            jv = json_stringn(val, (size_t)vl);
        if (!jv) {
            srr_error_set(err, SRR_EINVAL, "form: field '%.64s' is not UTF-8 text", key);
            goto fail;
        }
        /* org[id], org.id -> org_id (same for name) */
        if (strcmp(key, "org[id]") == 0 || strcmp(key, "org.id") == 0)
            json_object_set_new(obj, "org_id", jv);
        else if (strcmp(key, "org[name]") == 0 || strcmp(key, "org.name") == 0)
            json_object_set_new(obj, "org_name", jv);
        else if (json_object_set_new(obj, key, jv) != 0) {
            srr_error_set(err, SRR_EINVAL, "form: field name is not UTF-8 text");
            goto fail;
        }
    }
    free(key);
    free(val);
    /* A form whose only field holds the JSON template itself. */
    if (json_object_size(obj) == 1) {
        json_t *only = json_object_iter_value(json_object_iter(obj));
        if (json_is_object(only)) {
            json_incref(only);
            json_decref(obj);
            return only;
        }
    }
    return obj;
fail:
    free(key);
    free(val);
    json_decref(obj);
    return NULL;
}

/* ---- mapping ------------------------------------------------------------- */

srr_rc srr_webhook_encoding_of(const char *ct, srr_webhook_encoding *out)
{
    size_t n;
    if (!ct)
        ct = "";
    while (is_space(*ct))
        ct++;
    n = strcspn(ct, ";");
    while (n && is_space(ct[n - 1]))
        n--;
    if (n == 0 || (n == 16 && strncasecmp(ct, "application/json", 16) == 0)) {
        *out = SRR_WEBHOOK_JSON;
        return SRR_OK;
    }
    if (n == 33 && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
        *out = SRR_WEBHOOK_FORM;
        return SRR_OK;
    }
    return SRR_EINVAL;
}

void srr_webhook_alert_clear(srr_webhook_alert *a)
{
    if (!a)
        return;
    srr_signal_clear(&a->signal);
    free(a->event_id);
    free(a->transition);
    memset(a, 0, sizeof *a);
}

char *srr_webhook_alert_dumps(const srr_webhook_alert *a)
{
    /* The signal's text as srr_signal_write_json writes it (what json_dumps
     * would write for the same object, without building the tree). */
    srr_buf b;
    char *out;
    srr_buf_init(&b, 0);
    if (srr_signal_write_json(&b, &a->signal) != SRR_OK)
        b.len = 0;
    out = srr_asprintf("%s|%s|%s|%s", a->id, a->event_id ? a->event_id : "-",
                       a->transition ? a->transition : "-", b.len ? b.data : "?");
    srr_buf_free(&b);
    return out;
}

/* Epoch seconds from an epoch-ms (or, when small, epoch-seconds) string.
 * Returns 0 when it is not a plain number. */
static int64_t epoch_of(const char *s)
{
    char *end = NULL;
    long long v;
    if (!s || !*s)
        return 0;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || !end || (*end && *end != '.') || v <= 0)
        return 0;
    if (v >= 100000000000LL) /* past 1973 in ms: milliseconds */
        v /= 1000;
    return (int64_t)v;
}

/* Adds each comma-separated tag of `list` (trimmed, non-empty). */
static void add_tags(srr_signal *sig, const char *list)
{
    char tag[WH_MAX_SHORT + 1];
    while (list && *list) {
        size_t n = strcspn(list, ",");
        const char *s = list;
        size_t m = n;
        while (m && is_space(*s)) {
            s++;
            m--;
        }
        while (m && is_space(s[m - 1]))
            m--;
        if (m > 0 && m <= WH_MAX_SHORT) {
            memcpy(tag, s, m);
            tag[m] = '\0';
            srr_signal_add_tag(sig, tag);
        }
        list += n;
        if (*list == ',')
            list++;
    }
}

/* The monitor name of an event title: "[P2] [Triggered on {host:a}] CPU
 * high" -> "CPU high". Also returns, in *transition (may stay NULL), the
 * first bracket's word(s) before " on " unless it is a priority. */
static char *title_name(const char *title, char **transition)
{
    const char *s = title;
    *transition = NULL;
    while (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close)
            break;
        size_t n = (size_t)(close - s - 1);
        if (!*transition && !(n == 2 && s[1] == 'P' && s[2] >= '1' && s[2] <= '5') && n > 0) {
            const char *on = strstr(s + 1, " on ");
            size_t tn = on && on < close ? (size_t)(on - s - 1) : n;
            if (tn > 0 && tn <= 64)
                *transition = srr_strndup(s + 1, tn);
        }
        s = close + 1;
        while (is_space(*s))
            s++;
    }
    return *s ? srr_strdup(s) : NULL;
}

static srr_status status_of(const char *transition, const char *alert_type)
{
    if (transition) {
        /* "Recovered" (and a spelling variant a template may carry). */
        if (strcasecmp(transition, "Recovered") == 0 || strcasecmp(transition, "Recovery") == 0 ||
            strcasecmp(transition, "Resolved") == 0)
            return SRR_STATUS_RECOVERED;
        if (strcasecmp(transition, "Null") != 0)
            return SRR_STATUS_FIRING;
    }
    if (alert_type && strcasecmp(alert_type, "success") == 0)
        return SRR_STATUS_RECOVERED;
    return SRR_STATUS_FIRING;
}

/* One member of the evidence object; NULL values are left out. */
typedef struct ev_member {
    const char *key, *value;
} ev_member;

/* The evidence as compact JSON text (what json_dumps writes for an object
 * of these members in this order), kept within
 * SRR_SIGNAL_MAX_EVIDENCE_BYTES by leaving out its longest free-text
 * members first. Written directly: a jansson object of the same members
 * cost some 40% of the parse and of the candidate's serialisation.
 * Returns the text (caller frees). */
static char *evidence_json(ev_member *m, size_t n)
{
    static const char *const drop[] = {"message", "alert_status", "alert_query", "link",
                                       "title", NULL};
    size_t size = 2, i, d, cost[32], len[32]; /* {} */
    int first = 1;
    srr_buf b;
    if (n > 32)
        abort(); /* the caller's fixed list */
    /* each member counts its key, value, ':' and ',' (one too many, as the
     * bound has always been reckoned) */
    for (i = 0; i < n; i++) {
        len[i] = m[i].value ? strlen(m[i].value) : 0;
        cost[i] = m[i].value ? srr_jsonw_strn_len(m[i].key, strlen(m[i].key)) + 2 +
                                   srr_jsonw_strn_len(m[i].value, len[i])
                             : 0;
        size += cost[i];
    }
    for (d = 0; drop[d] && size > SRR_SIGNAL_MAX_EVIDENCE_BYTES - 256; d++)
        for (i = 0; i < n; i++)
            if (m[i].value && strcmp(m[i].key, drop[d]) == 0) {
                size -= cost[i];
                m[i].value = NULL;
            }
    srr_buf_init(&b, 0);
    srr_buf_reserve(&b, size);
    SRR_JSONW_LIT(&b, "{");
    for (i = 0; i < n; i++) {
        if (!m[i].value)
            continue;
        if (!first)
            SRR_JSONW_LIT(&b, ",");
        first = 0;
        srr_jsonw_strn(&b, m[i].key, strlen(m[i].key));
        SRR_JSONW_LIT(&b, ":");
        srr_jsonw_strn(&b, m[i].value, len[i]);
    }
    SRR_JSONW_LIT(&b, "}");
    return srr_buf_steal(&b);
}

/* srr_webhook_parse, with the fast reader tried first when `fast`. */
static srr_rc parse(const char *body, size_t len, srr_webhook_encoding enc, int64_t now,
                    srr_webhook_alert *out, srr_error *err, int fast)
{
    json_t *root = NULL;
    json_error_t jerr;
    wh_fields f;
    srr_signal *sig = &out->signal;
    char *alert_id = NULL, *cycle = NULL, *aggreg = NULL, *type = NULL, *prio = NULL;
    char *query = NULL, *scope = NULL, *metric = NULL, *astatus = NULL, *title = NULL;
    char *msg = NULL, *date = NULL, *updated = NULL, *tags = NULL, *host = NULL, *link = NULL;
    char *org_id = NULL, *org_name = NULL, *event_type = NULL, *name = NULL, *t_trans = NULL;
    srr_rc rc = SRR_OK;

    memset(out, 0, sizeof *out);
    memset(&f, 0, sizeof f);
    if (!body)
        len = 0;
    if (enc == SRR_WEBHOOK_FORM) {
        root = parse_form(body ? body : "", len, err);
        if (!root)
            return SRR_EINVAL;
    } else if (!fast || !fields_scan(body, len, &f)) {
        root = json_loadb(body ? body : "", len, 0, &jerr);
        if (!root)
            return srr_error_set(err, SRR_EINVAL, "not JSON: %s at line %d column %d", jerr.text,
                                 jerr.line, jerr.column);
    }
    if (root) {
        if (!json_is_object(root)) {
            rc = srr_error_set(err, SRR_EINVAL, "the payload is not a JSON object");
            goto out;
        }
        fields_from_json(root, &f);
    }

    out->event_id = TEXT(&f, WH_MAX_SHORT, WF_ID, WF_EVENT_ID);
    out->transition = TEXT(&f, 64, WF_ALERT_TRANSITION, WF_TRANSITION);
    alert_id = TEXT(&f, WH_MAX_SHORT, WF_ALERT_ID, WF_MONITOR_ID);
    cycle = TEXT(&f, WH_MAX_SHORT, WF_ALERT_CYCLE_KEY, WF_CYCLE_KEY);
    aggreg = TEXT(&f, WH_MAX_SHORT, WF_AGGREG_KEY);
    type = TEXT(&f, 64, WF_ALERT_TYPE);
    prio = TEXT(&f, 16, WF_ALERT_PRIORITY, WF_PRIORITY);
    query = TEXT(&f, WH_MAX_TEXT, WF_ALERT_QUERY, WF_QUERY);
    scope = TEXT(&f, WH_MAX_TEXT, WF_ALERT_SCOPE, WF_SCOPE);
    metric = TEXT(&f, WH_MAX_SHORT, WF_ALERT_METRIC, WF_METRIC);
    astatus = TEXT(&f, WH_MAX_TEXT, WF_ALERT_STATUS);
    title = TEXT(&f, WH_MAX_TEXT, WF_TITLE, WF_EVENT_TITLE, WF_ALERT_TITLE);
    msg = TEXT(&f, WH_MAX_MESSAGE, WF_TEXT_ONLY_MSG, WF_BODY, WF_EVENT_MSG, WF_MESSAGE);
    date = TEXT(&f, 32, WF_DATE, WF_EVENT_DATE);
    updated = TEXT(&f, 32, WF_LAST_UPDATED);
    host = TEXT(&f, WH_MAX_SHORT, WF_HOSTNAME, WF_HOST);
    link = TEXT(&f, WH_MAX_TEXT, WF_LINK, WF_URL);
    event_type = TEXT(&f, 64, WF_EVENT_TYPE);
    org_id = TEXT(&f, 64, WF_ORG_OBJ_ID, WF_ORG_ID);
    org_name = TEXT(&f, WH_MAX_SHORT, WF_ORG_OBJ_NAME, WF_ORG_NAME);
    if (f.tags_joined)
        tags = srr_strndup(f.s[WF_TAGS], f.n[WF_TAGS]);
    else
        tags = TEXT(&f, 64 * 1024, WF_TAGS);
    if (title)
        name = title_name(title, &t_trans);
    if (!out->transition && t_trans) {
        out->transition = t_trans;
        t_trans = NULL;
    }

    /* The identity of this delivery. */
    if (out->event_id) {
        const char *parts[] = {"webhook/1", "id", out->event_id};
        srr_hash_id(parts, 3, 32, out->id);
    } else if (cycle && out->transition && (date || updated)) {
        const char *parts[] = {"webhook/1", "cycle", cycle, out->transition, date ? date : updated};
        srr_hash_id(parts, 5, 32, out->id);
    } else {
        rc = srr_error_set(err, SRR_EINVAL,
                           "no $ID, and no $ALERT_CYCLE_KEY + $ALERT_TRANSITION + $DATE to tell "
                           "deliveries apart");
        goto out;
    }
    if (!alert_id && !name) {
        rc = srr_error_set(err, SRR_EINVAL,
                           "no $ALERT_ID and no $EVENT_TITLE to name the monitor");
        goto out;
    }

    sig->source = SRR_SRC_WEBHOOK;
    sig->kind = SRR_KIND_MONITOR_ALERT;
    sig->status = status_of(out->transition, type);
    sig->check = srr_strdup(alert_id ? alert_id : name);
    add_tags(sig, tags);
    add_tags(sig, scope);
    sig->service = srr_strdup(srr_signal_tag(sig, "service"));
    sig->env = srr_strdup(srr_signal_tag(sig, "env"));
    if (name && scope)
        sig->summary = srr_asprintf("%s on %s", name, scope);
    else if (name)
        sig->summary = srr_strdup(name);
    else
        sig->summary = srr_asprintf("monitor %s%s%s", alert_id, scope ? " on " : "",
                                    scope ? scope : "");
    sig->condition = query;
    query = NULL;
    sig->observed_at = epoch_of(date);
    if (!sig->observed_at)
        sig->observed_at = epoch_of(updated);
    if (!sig->observed_at)
        sig->observed_at = now;
    sig->window_start = sig->window_end = sig->observed_at;
    sig->link = link;
    link = NULL;
    if (prio)
        sig->priority = srr_strdup(prio);

    {
        ev_member ev[] = {{"event_id", out->event_id},
                          {"alert_id", alert_id},
                          {"alert_cycle_key", cycle},
                          {"aggreg_key", aggreg},
                          {"transition", out->transition},
                          {"alert_type", type},
                          {"event_type", event_type},
                          {"alert_metric", metric},
                          {"alert_scope", scope},
                          {"hostname", host},
                          {"date", date},
                          {"org_id", org_id},
                          {"org_name", org_name},
                          {"title", title},
                          {"alert_status", astatus},
                          {"alert_query", sig->condition},
                          {"link", sig->link},
                          {"message", msg}};
        sig->evidence_json = evidence_json(ev, sizeof ev / sizeof ev[0]);
    }

out:
    free(alert_id);
    free(cycle);
    free(aggreg);
    free(type);
    free(prio);
    free(query);
    free(scope);
    free(metric);
    free(astatus);
    free(title);
    free(msg);
    free(date);
    free(updated);
    free(tags);
    free(host);
    free(link);
    free(org_id);
    free(org_name);
    free(event_type);
    free(name);
    free(t_trans);
    fields_clear(&f);
    json_decref(root);
    if (rc != SRR_OK)
        srr_webhook_alert_clear(out);
    return rc;
}

srr_rc srr_webhook_parse(const char *body, size_t len, srr_webhook_encoding enc, int64_t now,
                         srr_webhook_alert *out, srr_error *err)
{
    return parse(body, len, enc, now, out, err, 1);
}

int srr_webhook_fast_shape(const char *body, size_t len)
{
    wh_fields f;
    int ok;
    memset(&f, 0, sizeof f);
    ok = fields_scan(body, len, &f);
    fields_clear(&f);
    return ok;
}

srr_rc srr_webhook_parse_full(const char *body, size_t len, srr_webhook_encoding enc,
                              int64_t now, srr_webhook_alert *out, srr_error *err)
{
    return parse(body, len, enc, now, out, err, 0);
}
