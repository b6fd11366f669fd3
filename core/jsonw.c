/* SPDX-License-Identifier: Apache-2.0
 *
 * jsonw.c - the JSON text writer of jsonw.h.
 */
#include "jsonw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

size_t srr_utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len, i;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0; /* overlong, a surrogate, or past Unicode */
    return len;
}

/* The escape of control character or quote c into out; returns its length. */
static size_t escape_of(unsigned char c, char out[7])
{
    switch (c) {
    case '"': memcpy(out, "\\\"", 2); return 2;
    case '\\': memcpy(out, "\\\\", 2); return 2;
    case '\b': memcpy(out, "\\b", 2); return 2;
    case '\f': memcpy(out, "\\f", 2); return 2;
    case '\n': memcpy(out, "\\n", 2); return 2;
    case '\r': memcpy(out, "\\r", 2); return 2;
    case '\t': memcpy(out, "\\t", 2); return 2;
    default: snprintf(out, 7, "\\u%04X", (unsigned)c); return 6;
    }
}

static const char REPLACEMENT[] = "\xef\xbf\xbd"; /* U+FFFD */

size_t srr_json_plain_len(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    /* A word is plain when none of its bytes is below 0x20, a quote, a
     * backslash or 0x80 and up: (v - ones) & ~v & high is non-zero exactly
     * when some byte of v is zero, and with 0x20 in place of ones, when
     * some byte is below 0x20 (bytes from 0x80 are caught by v & high). */
    while (n - i >= 8) {
        uint64_t v, q, b;
        memcpy(&v, p + i, 8);
        q = v ^ (ones * '"');
        b = v ^ (ones * '\\');
        if ((((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b) | v) & high)
            break;
        i += 8;
    }
    while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
        i++;
    return i;
}

size_t srr_jsonw_strn_len(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, len = 2;
    char esc[7];
    while (i < n) {
        size_t r = srr_json_plain_len(s + i, n - i);
        len += r;
        i += r;
        if (i >= n)
            break;
        if (p[i] < 0x80) { /* the plain run stopped here: it needs escaping */
            len += escape_of(p[i], esc);
            i++;
        } else {
            size_t k = srr_utf8_seq_len(p + i, n - i);
            len += k ? k : sizeof REPLACEMENT - 1;
            i += k ? k : 1;
        }
    }
    return len;
}

srr_rc srr_jsonw_strn(srr_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0, start = b->len;
    srr_rc rc = srr_buf_append(b, "\"", 1);
    char esc[7];
    while (rc == SRR_OK && i < n) {
        /* A run of bytes written as they are, then one that is not. */
        run = i;
        i += srr_json_plain_len(s + i, n - i);
        while (i < n && p[i] >= 0x80) {
            size_t k = srr_utf8_seq_len(p + i, n - i);
            if (!k)
                break;
            i += k;
            i += srr_json_plain_len(s + i, n - i);
        }
        if (i > run)
            rc = srr_buf_append(b, s + run, i - run);
        if (rc != SRR_OK || i >= n)
            break;
        if (p[i] < 0x80) {
            rc = srr_buf_append(b, esc, escape_of(p[i], esc));
        } else { /* not UTF-8 */
            rc = srr_buf_append(b, REPLACEMENT, sizeof REPLACEMENT - 1);
        }
        i++;
    }
    if (rc == SRR_OK)
        rc = srr_buf_append(b, "\"", 1);
    if (rc != SRR_OK) { /* nothing of it stays */
        b->len = start;
        if (b->data)
            b->data[start] = '\0';
    }
    return rc;
}

srr_rc srr_jsonw_str(srr_buf *b, const char *s)
{
    return s ? srr_jsonw_strn(b, s, strlen(s)) : srr_buf_append(b, "null", 4);
}

srr_rc srr_jsonw_key(srr_buf *b, const char *key)
{
    srr_rc rc = srr_jsonw_str(b, key);
    return rc == SRR_OK ? srr_buf_append(b, ":", 1) : rc;
}

srr_rc srr_jsonw_int(srr_buf *b, int64_t v)
{
    /* the "%lld" text, without printf: a candidate has half a dozen */
    char t[24], *p;
    p = srr_u64_digits(t + sizeof t, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
    if (v < 0)
        *--p = '-';
    return srr_buf_append(b, p, (size_t)(t + sizeof t - p));
}

/* The "%.17g" text of v, worked out without printf when v is a binary
 * fraction with few digits (counts, 12.5, 0.25, 3.0: most values srr
 * writes): v * 2^k is an integer below 2^53 for some k <= 10, so its
 * decimal expansion is exact, and with at most 17 significant digits
 * printf prints exactly those digits, trailing zeros dropped. |v| is then
 * below 2^53 (< 1e17) and at least 2^-10 (> 1e-4) or 0, so "%g" uses no
 * exponent. Writes into t (>= 40 bytes) what jansson writes (".0" added);
 * returns its length, or 0 when v is not such a value. */
static size_t real_exact(double v, char *t)
{
    static const uint64_t pow5[] = {1, 5, 25, 125, 625, 3125, 15625, 78125, 390625,
                                    1953125, 9765625};
    double a = fabs(v), m = a;
    uint64_t um, ip, frac;
    char digits[24];
    int k = 0, nint = 0, nfrac = 0, sig, i;
    size_t n = 0;
    while (m != floor(m)) {
        if (++k > 10)
            return 0;
        m = ldexp(a, k);
    }
    if (m >= 9007199254740992.0) /* 2^53 */
        return 0;
    um = (uint64_t)m;
    ip = um >> k;
    frac = (um & ((UINT64_C(1) << k) - 1)) * pow5[k]; /* the k decimals */
    for (i = k - 1; i >= 0; i--, frac /= 10)
        digits[i] = (char)('0' + frac % 10);
    nfrac = k;
    while (nfrac > 0 && digits[nfrac - 1] == '0')
        nfrac--;
    for (uint64_t x = ip; x; x /= 10)
        nint++;
    sig = nint + nfrac;
    if (!ip)
        for (i = 0; i < nfrac && digits[i] == '0'; i++)
            sig--;
    if (sig > 17)
        return 0;
    if (signbit(v))
        t[n++] = '-';
    if (!nint) {
        t[n++] = '0';
    } else {
        for (i = nint - 1; i >= 0; i--, ip /= 10)
            t[n + (size_t)i] = (char)('0' + ip % 10);
        n += (size_t)nint;
    }
    t[n++] = '.';
    if (!nfrac) {
        t[n++] = '0';
    } else {
        memcpy(t + n, digits, (size_t)nfrac);
        n += (size_t)nfrac;
    }
    t[n] = '\0';
    return n;
}

srr_rc srr_jsonw_real(srr_buf *b, double v)
{
    char t[40], *e;
    size_t n;
    if (!isfinite(v))
        return srr_buf_append(b, "null", 4);
    n = real_exact(v, t);
    if (n)
        return srr_buf_append(b, t, n);
    n = (size_t)snprintf(t, sizeof t - 2, "%.17g", v);
    if (!strchr(t, '.') && !strchr(t, 'e')) {
        memcpy(t + n, ".0", 3);
        n += 2;
    }
    e = strchr(t, 'e');
    if (e) { /* "1e+300" -> "1e300", "1e-05" -> "1e-5" */
        char *from = e + 1, *to = e + 1;
        if (*from == '+')
            from++;
        else if (*from == '-')
            from++, to++;
        while (*from == '0' && from[1])
            from++;
        memmove(to, from, strlen(from) + 1);
        n = strlen(t);
    }
    return srr_buf_append(b, t, n);
}

srr_rc srr_jsonw_value(srr_buf *b, const json_t *v)
{
    srr_rc rc = SRR_OK;
    if (!v)
        return srr_buf_append(b, "null", 4);
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *m;
        int first = 1;
        rc = srr_buf_append(b, "{", 1);
        json_object_foreach((json_t *)v, key, m) {
            if (rc == SRR_OK && !first)
                rc = srr_buf_append(b, ",", 1);
            if (rc == SRR_OK)
                rc = srr_jsonw_key(b, key);
            if (rc == SRR_OK)
                rc = srr_jsonw_value(b, m);
            first = 0;
        }
        return rc == SRR_OK ? srr_buf_append(b, "}", 1) : rc;
    }
    case JSON_ARRAY: {
        size_t i;
        rc = srr_buf_append(b, "[", 1);
        for (i = 0; rc == SRR_OK && i < json_array_size(v); i++) {
            if (i)
                rc = srr_buf_append(b, ",", 1);
            if (rc == SRR_OK)
                rc = srr_jsonw_value(b, json_array_get(v, i));
        }
        return rc == SRR_OK ? srr_buf_append(b, "]", 1) : rc;
    }
    case JSON_STRING:
        return srr_jsonw_strn(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return srr_jsonw_int(b, (int64_t)json_integer_value(v));
    case JSON_REAL:
        return srr_jsonw_real(b, json_real_value(v));
    case JSON_TRUE:
        return srr_buf_append(b, "true", 4);
    case JSON_FALSE:
        return srr_buf_append(b, "false", 5);
    default:
        return srr_buf_append(b, "null", 4);
    }
}
