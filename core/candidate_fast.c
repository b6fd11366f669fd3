/* SPDX-License-Identifier: Apache-2.0
 *
 * candidate_fast.c - reads a candidate document straight into an
 * srr_candidate (candidate_fast.h). jansson's loader builds a tree of
 * allocated values and hash tables and was a quarter of the writer's drain;
 * this reads the members it knows in one pass over the text.
 *
 * The rule of this file: return 0 (the full jansson path decides) for
 * anything that is not certainly read the way jansson would read it. The
 * tokens are read by jsonscan.h, which follows jansson 2.14's lexical
 * rules and refuses what it does not decode; here, escaped member names
 * of the candidate and the signal go to the full path too, and objects
 * refuse repeated member names (JSON_REJECT_DUPLICATES).
 *
 * srr_candidate_parse (candidate.h), the one entry point the writer uses,
 * lives here too: it tries the fast read and falls back to the full path
 * (candidate.c's srr_candidate_from_json). Calls go one way only, from
 * this file to candidate.c.
 */
#include "candidate_fast.h"

#include "jsonscan.h"

#include <stdlib.h>
#include <string.h>

#define FAST_EVIDENCE_DEPTH 256 /* deeper evidence: the full path (jansson's own limit) */

/* The string's value as a new NUL-terminated string (caller frees), or
 * NULL when an escape in it is left to the full path. */
static char *str_value(const char *s, size_t n, int esc)
{
    char *out;
    long m;
    if (!esc)
        return srr_strndup(s, n);
    out = srr_malloc(n + 1); /* decoding never lengthens */
    if ((m = srr_jscan_decode(s, n, out)) < 0) {
        free(out);
        return NULL;
    }
    out[m] = '\0';
    return out;
}

/* Reads a string member value into a new string; NULL when it is not a
 * string this file reads. */
static char *str_dup(srr_jscan *c)
{
    const char *s;
    size_t n;
    int esc;
    return srr_jscan_str_raw(c, &s, &n, &esc) ? str_value(s, n, esc) : NULL;
}

/* An integer member value (null reads as 0 where `null_ok`). */
static int int_value(srr_jscan *c, int null_ok, int64_t *out)
{
    int is_int;
    long long iv;
    double dv;
    if (null_ok && srr_jscan_literal(c, "null")) {
        *out = 0;
        return 1;
    }
    if (!srr_jscan_number(c, &is_int, &iv, &dv) || !is_int)
        return 0;
    *out = (int64_t)iv;
    return 1;
}

/* Reads one JSON value (the signal's evidence) into a new jansson value,
 * the one json_loadb(JSON_REJECT_DUPLICATES) builds from the same text:
 * members in text order, integers and reals told apart as jansson does.
 * NULL when any of it is left to jansson (a repeated member, an escape
 * not decoded here, nesting deeper than FAST_EVIDENCE_DEPTH, bad syntax). */
static json_t *value_tree(srr_jscan *c, int depth)
{
    json_t *v = NULL;
    int is_int;
    long long iv;
    double dv;
    srr_jscan_ws(c);
    if (c->p >= c->end)
        return NULL;
    switch (*c->p) {
    case '{':
        if (depth >= FAST_EVIDENCE_DEPTH)
            return NULL;
        c->p++;
        v = json_object();
        if (srr_jscan_eat(c, '}'))
            return v;
        do {
            const char *k;
            size_t kn;
            int esc;
            char *key;
            json_t *m;
            if (!srr_jscan_str_raw(c, &k, &kn, &esc) || !srr_jscan_eat(c, ':') || !(key = str_value(k, kn, esc)))
                goto bad;
            m = json_object_get(v, key) ? NULL : value_tree(c, depth + 1);
            if (m)
                json_object_set_new_nocheck(v, key, m);
            free(key);
            if (!m)
                goto bad;
        } while (srr_jscan_eat(c, ','));
        if (srr_jscan_eat(c, '}'))
            return v;
        goto bad;
    case '[':
        if (depth >= FAST_EVIDENCE_DEPTH)
            return NULL;
        c->p++;
        v = json_array();
        if (srr_jscan_eat(c, ']'))
            return v;
        do {
            json_t *m = value_tree(c, depth + 1);
            if (!m)
                goto bad;
            json_array_append_new(v, m);
        } while (srr_jscan_eat(c, ','));
        if (srr_jscan_eat(c, ']'))
            return v;
        goto bad;
    case '"': {
        char *str = str_dup(c);
        if (!str)
            return NULL;
        v = json_string_nocheck(str); /* UTF-8 checked by srr_jscan_str_raw, no NUL */
        free(str);
        return v;
    }
    case 't':
    case 'f':
    case 'n': {
        static const char *const lit[] = {"true", "false", "null"};
        int i = *c->p == 't' ? 0 : *c->p == 'f' ? 1 : 2;
        if (!srr_jscan_literal(c, lit[i]))
            return NULL;
        return i == 0 ? json_true() : i == 1 ? json_false() : json_null();
    }
    default:
        if (!srr_jscan_number(c, &is_int, &iv, &dv))
            return NULL;
        return is_int ? json_integer(iv) : json_real(dv);
    }
bad:
    json_decref(v);
    return NULL;
}

/* Member names are matched without decoding: a name with an escape in it
 * goes to the full path. */
static int name_is(const char *s, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(s, want, n) == 0;
}

/* Reads "member": with a plain name; 1 with the name in *s, *n. */
static int member_name(srr_jscan *c, const char **s, size_t *n)
{
    int esc;
    return srr_jscan_str_raw(c, s, n, &esc) && !esc && srr_jscan_eat(c, ':');
}

enum {
    S_SOURCE = 1 << 0,
    S_CHECK = 1 << 1,
    S_KIND = 1 << 2,
    S_STATUS = 1 << 3,
    S_SERVICE = 1 << 4,
    S_ENV = 1 << 5,
    S_TAGS = 1 << 6,
    S_VALUE = 1 << 7,
    S_UNIT = 1 << 8,
    S_CONDITION = 1 << 9,
    S_SUMMARY = 1 << 10,
    S_WSTART = 1 << 11,
    S_WEND = 1 << 12,
    S_OBSERVED = 1 << 13,
    S_LINK = 1 << 14,
    S_PRIORITY = 1 << 15,
    S_EVIDENCE = 1 << 16
};

/* An optional string member of the signal: a string, or null for absent. */
static int opt_str(srr_jscan *c, char **out)
{
    if (srr_jscan_literal(c, "null"))
        return 1;
    return (*out = str_dup(c)) != NULL;
}

/* A name member (source, kind, status) parsed by `parse`. */
static int name_value(srr_jscan *c, srr_rc (*parse)(const char *, void *), void *out)
{
    const char *s;
    size_t n;
    int esc;
    char tmp[32];
    if (!srr_jscan_str_raw(c, &s, &n, &esc) || esc || n >= sizeof tmp)
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return parse(tmp, out) == SRR_OK;
}

static srr_rc parse_source(const char *s, void *out)
{
    return srr_source_parse(s, out);
}
static srr_rc parse_kind(const char *s, void *out)
{
    return srr_kind_parse(s, out);
}
static srr_rc parse_status(const char *s, void *out)
{
    return srr_status_parse(s, out);
}
static srr_rc parse_action(const char *s, void *out)
{
    return srr_action_parse(s, out);
}
static srr_rc parse_urgency(const char *s, void *out)
{
    return srr_urgency_parse(s, out);
}

static int tags_value(srr_jscan *c, srr_signal *sig)
{
    if (!srr_jscan_eat(c, '['))
        return 0;
    if (srr_jscan_eat(c, ']'))
        return 1;
    do {
        char *t = str_dup(c);
        if (!t)
            return 0;
        srr_signal_add_tag(sig, t);
        free(t);
    } while (srr_jscan_eat(c, ','));
    return srr_jscan_eat(c, ']');
}

static int evidence_value(srr_jscan *c, srr_signal *sig)
{
    if (srr_jscan_literal(c, "null"))
        return 1;
    sig->evidence = value_tree(c, 1);
    return sig->evidence != NULL;
}

/* Member names and their bit, in the order producers write them. */
typedef struct field {
    const char *name;
    unsigned bit;
} field;

static const field SIGNAL_FIELDS[] = {
    {"source", S_SOURCE},       {"check", S_CHECK},          {"kind", S_KIND},
    {"status", S_STATUS},       {"service", S_SERVICE},      {"env", S_ENV},
    {"tags", S_TAGS},           {"value", S_VALUE},          {"unit", S_UNIT},
    {"condition", S_CONDITION}, {"summary", S_SUMMARY},      {"window_start", S_WSTART},
    {"window_end", S_WEND},     {"observed_at", S_OBSERVED}, {"link", S_LINK},
    {"priority", S_PRIORITY},   {"evidence", S_EVIDENCE}};

/* The next member's name looked up in fields[]: its bit, or 0 when the
 * name is unknown, escaped or already seen (*seen gets the bit). */
static unsigned next_member(srr_jscan *c, const field *fields, size_t nfields, unsigned *seen)
{
    const char *k;
    size_t n, i;
    if (!member_name(c, &k, &n))
        return 0;
    for (i = 0; i < nfields; i++) {
        if (name_is(k, n, fields[i].name)) {
            if (*seen & fields[i].bit)
                return 0; /* jansson refuses duplicates */
            *seen |= fields[i].bit;
            return fields[i].bit;
        }
    }
    return 0; /* unknown: the full path (it ignores it, after checking it) */
}

/* The signal object: what srr_signal_from_json reads, of the types it
 * takes without a word (windows and times as integers only). */
static int signal_value(srr_jscan *c, srr_signal *sig)
{
    unsigned seen = 0;
    if (!srr_jscan_eat(c, '{') || srr_jscan_eat(c, '}'))
        return 0;
    do {
        int ok, is_int;
        long long iv;
        double dv;
        switch (
            next_member(c, SIGNAL_FIELDS, sizeof SIGNAL_FIELDS / sizeof *SIGNAL_FIELDS, &seen)) {
        case S_SOURCE: ok = name_value(c, parse_source, &sig->source); break;
        case S_CHECK: ok = opt_str(c, &sig->check); break;
        case S_KIND: ok = name_value(c, parse_kind, &sig->kind); break;
        case S_STATUS: ok = name_value(c, parse_status, &sig->status); break;
        case S_SERVICE: ok = opt_str(c, &sig->service); break;
        case S_ENV: ok = opt_str(c, &sig->env); break;
        case S_TAGS: ok = tags_value(c, sig); break;
        case S_VALUE:
            if (srr_jscan_literal(c, "null")) {
                ok = 1;
                sig->value = 0.0;
            } else if ((ok = srr_jscan_number(c, &is_int, &iv, &dv))) {
                sig->value = is_int ? (double)iv : dv; /* json_number_value */
            }
            break;
        case S_UNIT: ok = opt_str(c, &sig->unit); break;
        case S_CONDITION: ok = opt_str(c, &sig->condition); break;
        case S_SUMMARY: ok = opt_str(c, &sig->summary); break;
        case S_WSTART: ok = int_value(c, 1, &sig->window_start); break;
        case S_WEND: ok = int_value(c, 1, &sig->window_end); break;
        case S_OBSERVED: ok = int_value(c, 1, &sig->observed_at); break;
        case S_LINK: ok = opt_str(c, &sig->link); break;
        case S_PRIORITY: ok = opt_str(c, &sig->priority); break;
        case S_EVIDENCE: ok = evidence_value(c, sig); break;
        default: ok = 0;
        }
        if (!ok)
            return 0;
    } while (srr_jscan_eat(c, ','));
    return srr_jscan_eat(c, '}') && (seen & S_SOURCE) && (seen & S_KIND) && sig->check;
}

enum {
    C_SCHEMA = 1 << 0,
    C_ID = 1 << 1,
    C_FINGERPRINT = 1 << 2,
    C_ACTION = 1 << 3,
    C_RULE = 1 << 4,
    C_REASON = 1 << 5,
    C_URGENCY = 1 << 6,
    C_TITLE = 1 << 7,
    C_OWNER = 1 << 8,
    C_TIMEBOX = 1 << 9,
    C_CREATED = 1 << 10,
    C_SIGNAL = 1 << 11
};

/* {"name": string, "index": integer} in either order, index optional. */
static int rule_value(srr_jscan *c, srr_candidate *out)
{
    int seen = 0;
    if (!srr_jscan_eat(c, '{') || srr_jscan_eat(c, '}'))
        return 0;
    do {
        const char *k;
        size_t n;
        if (!member_name(c, &k, &n))
            return 0;
        if (name_is(k, n, "name") && !(seen & 1)) {
            if (!(out->rule = str_dup(c)))
                return 0;
            seen |= 1;
        } else if (name_is(k, n, "index") && !(seen & 2)) {
            int64_t v;
            if (!int_value(c, 0, &v))
                return 0;
            out->rule_index = (int)v;
            seen |= 2;
        } else {
            return 0;
        }
    } while (srr_jscan_eat(c, ','));
    return srr_jscan_eat(c, '}') && (seen & 1);
}

static int id_value(srr_jscan *c, srr_candidate *out)
{
    const char *s;
    size_t n;
    int esc;
    if (!srr_jscan_str_raw(c, &s, &n, &esc) || esc || n == 0 || n >= sizeof(out->id))
        return 0;
    memcpy(out->id, s, n);
    out->id[n] = '\0';
    return 1;
}

static int schema_value(srr_jscan *c)
{
    const char *s;
    size_t n;
    int esc;
    return srr_jscan_str_raw(c, &s, &n, &esc) && !esc && name_is(s, n, SRR_CANDIDATE_SCHEMA);
}

static const field CANDIDATE_FIELDS[] = {{"schema", C_SCHEMA},
                                         {"id", C_ID},
                                         {"fingerprint", C_FINGERPRINT},
                                         {"action", C_ACTION},
                                         {"rule", C_RULE},
                                         {"reason", C_REASON},
                                         {"urgency", C_URGENCY},
                                         {"title", C_TITLE},
                                         {"owner", C_OWNER},
                                         {"timebox_s", C_TIMEBOX},
                                         {"created_at", C_CREATED},
                                         {"signal", C_SIGNAL}};

#define C_REQUIRED (C_SCHEMA | C_ID | C_FINGERPRINT | C_ACTION | C_RULE | C_URGENCY | C_SIGNAL)

int srr_candidate_parse_fast(const char *buf, size_t len, srr_candidate *out)
{
    srr_jscan c = {buf, buf + len};
    unsigned seen = 0;
    memset(out, 0, sizeof(*out));
    if (!buf || !srr_jscan_c_locale() || !srr_jscan_eat(&c, '{') || srr_jscan_eat(&c, '}'))
        return 0;
    do {
        int ok;
        switch (next_member(&c, CANDIDATE_FIELDS,
                            sizeof CANDIDATE_FIELDS / sizeof *CANDIDATE_FIELDS, &seen)) {
        case C_SCHEMA: ok = schema_value(&c); break;
        case C_ID: ok = id_value(&c, out); break;
        case C_FINGERPRINT:
            ok = (out->fingerprint = str_dup(&c)) != NULL && *out->fingerprint;
            break;
        case C_ACTION: ok = name_value(&c, parse_action, &out->action); break;
        case C_RULE: ok = rule_value(&c, out); break;
        case C_REASON: ok = (out->reason = str_dup(&c)) != NULL; break;
        case C_URGENCY: ok = name_value(&c, parse_urgency, &out->urgency); break;
        case C_TITLE: ok = (out->title = str_dup(&c)) != NULL; break;
        case C_OWNER: ok = (out->owner = str_dup(&c)) != NULL; break;
        case C_TIMEBOX: ok = int_value(&c, 0, &out->timebox_s); break;
        case C_CREATED: ok = int_value(&c, 0, &out->created_at); break;
        case C_SIGNAL: ok = signal_value(&c, &out->signal); break;
        default: ok = 0;
        }
        if (!ok)
            goto no;
    } while (srr_jscan_eat(&c, ','));
    if (!srr_jscan_eat(&c, '}'))
        goto no;
    srr_jscan_ws(&c);
    if (c.p != c.end || (seen & C_REQUIRED) != C_REQUIRED)
        goto no;
    if (!out->reason)
        out->reason = srr_strdup("");
    if (!out->title)
        out->title = srr_strdup("");
    return 1;
no:
    srr_candidate_clear(out);
    return 0;
}

srr_rc srr_candidate_parse(const char *buf, size_t len, srr_candidate *out, srr_error *err)
{
    json_error_t je;
    json_t *j;
    srr_rc rc;
    /* The producers' own shape is read without a jansson tree; anything
     * else (and every error) takes the full path below: jansson's loader
     * and candidate.c's srr_candidate_from_json. */
    if (srr_candidate_parse_fast(buf, len, out))
        return SRR_OK;
    j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    memset(out, 0, sizeof(*out));
    if (!j)
        return srr_error_set(err, SRR_EINVAL, "not JSON: %s (line %d column %d)", je.text,
                             je.line, je.column);
    rc = srr_candidate_from_json(j, out, err);
    json_decref(j);
    return rc;
}
