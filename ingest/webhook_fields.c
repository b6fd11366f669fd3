/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook_fields.c - the readers of a Datadog webhook body into the table
 * of fields of webhook_fields.h.
 *
 * Everything Datadog substitutes arrives as text: $ID has 19 digits (kept a
 * string), $DATE and $LAST_UPDATED are epoch-ms strings, $TAGS is one
 * comma-separated string. Numbers are accepted too (a template may leave a
 * variable unquoted), and a variable Datadog left unexpanded ("$ALERT_ID")
 * counts as absent. The `form` encoding is the same template URL-encoded:
 * its fields are the template's top-level keys.
 *
 * Two readers fill the table: a one-pass reader for the shape Datadog sends
 * (a flat object of strings, and the default payload's "org" object),
 * built on core/jsonscan.h, and jansson for every other body. The one-pass
 * reader declines whatever it is not certain jansson reads alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "webhook_fields.h"

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

static const char *const TOP_NAMES[WF_NTOP] = {
#define WF_NAME(id, name) name,
    WH_TOP_FIELDS(WF_NAME)
#undef WF_NAME
};

static const unsigned char TOP_LENS[WF_NTOP] = {/* strlen of each name */
#define WF_LEN(id, name) sizeof(name) - 1,
                                                WH_TOP_FIELDS(WF_LEN)
#undef WF_LEN
};

void wh_fields_clear(wh_fields *f)
{
    for (size_t i = 0; i < WF__COUNT; i++)
        free(f->own[i]);
    free(f->arena);
    memset(f, 0, sizeof *f);
}

char *wh_text(const wh_fields *f, wh_field i, size_t max)
{
    const char *s = f->s[i];
    size_t n = f->n[i];
    char *t;
    if (!s)
        return NULL;
    while (n && wh_is_space(*s)) {
        s++;
        n--;
    }
    while (n && wh_is_space(s[n - 1]))
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

char *wh_first_text(const wh_fields *f, size_t max, const wh_field *ids, size_t nids)
{
    for (size_t k = 0; k < nids; k++) {
        char *t = wh_text(f, ids[k], max);
        if (t)
            return t;
    }
    return NULL;
}

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

/* A list ("tags": ["a:1", "b:2"], as a template may send) joined with ','
 * into field i. */
static void join_list(wh_fields *f, wh_field i, const json_t *list)
{
    srr_buf b;
    size_t k;
    json_t *e;
    srr_buf_init(&b, 64 * 1024);
    json_array_foreach(list, k, e)
    {
        if (json_is_string(e) &&
            srr_buf_printf(&b, "%s%s", b.len ? "," : "", json_string_value(e)) != SRR_OK)
            break;
    }
    if (b.len) {
        f->n[i] = b.len;
        f->own[i] = srr_buf_steal(&b);
        f->s[i] = f->own[i];
        f->joined |= 1ULL << i;
    }
    srr_buf_free(&b);
}

void wh_fields_from_json(const json_t *root, wh_fields *f)
{
    const json_t *org = json_object_get(root, "org"), *t;
    for (size_t i = 0; i < WF_NTOP; i++) {
        t = json_object_get(root, TOP_NAMES[i]);
        if ((i == WF_TAGS || i == WF_EVENT_TAGS) && json_is_array(t))
            join_list(f, (wh_field)i, t);
        else
            set_from_json(f, (wh_field)i, t);
    }
    if (json_is_object(org)) {
        set_from_json(f, WF_ORG_OBJ_ID, json_object_get(org, "id"));
        set_from_json(f, WF_ORG_OBJ_NAME, json_object_get(org, "name"));
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

int wh_fields_scan(const char *body, size_t len, wh_fields *f)
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
    wh_fields_clear(f);
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

/* Strings; "org" or a "payload" field holding a JSON object are parsed. */
json_t *wh_parse_form(const char *body, size_t len, srr_error *err)
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
