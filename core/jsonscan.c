/* SPDX-License-Identifier: Apache-2.0
 *
 * jsonscan.c - JSON tokens read the way jansson reads them, or refused
 * (jsonscan.h). Shared by the fast candidate and webhook payload readers.
 */
#include "jsonscan.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

void srr_jscan_ws(srr_jscan *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

int srr_jscan_eat(srr_jscan *c, char ch)
{
    srr_jscan_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

int srr_jscan_str_raw(srr_jscan *c, const char **s, size_t *n, int *esc)
{
    const unsigned char *p, *end = (const unsigned char *)c->end;
    srr_jscan_ws(c);
    if (c->p >= c->end || *c->p != '"')
        return 0;
    p = (const unsigned char *)c->p + 1;
    *s = (const char *)p;
    *esc = 0;
    for (;;) {
        /* The plain ASCII run first: most of a payload's text. */
        p += srr_json_plain_len((const char *)p, (size_t)(end - p));
        if (p >= end)
            return 0;
        if (*p == '"')
            break;
        if (*p < 0x20)
            return 0;
        if (*p == '\\') {
            *esc = 1;
            if (p + 1 >= end)
                return 0;
            p += 2; /* the escape is checked when decoded */
        } else {
            size_t k = srr_utf8_seq_len(p, (size_t)(end - p));
            if (!k)
                return 0;
            p += k;
        }
    }
    *n = (size_t)(p - (const unsigned char *)*s);
    c->p = (const char *)p + 1;
    return 1;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        char h = p[i];
        v <<= 4;
        if (h >= '0' && h <= '9')
            v |= (unsigned)(h - '0');
        else if (h >= 'a' && h <= 'f')
            v |= (unsigned)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F')
            v |= (unsigned)(h - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

long srr_jscan_decode(const char *s, size_t n, char *out)
{
    char *o = out;
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned cp;
        if (s[i] != '\\') {
            *o++ = s[i];
            continue;
        }
        switch (s[++i]) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
            if (i + 4 >= n || !hex4(s + i + 1, &cp) || cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
                return -1; /* surrogate pairs and U+0000: jansson decides */
            i += 4;
            if (cp < 0x80) {
                *o++ = (char)cp;
            } else if (cp < 0x800) {
                *o++ = (char)(0xc0 | (cp >> 6));
                *o++ = (char)(0x80 | (cp & 0x3f));
            } else {
                *o++ = (char)(0xe0 | (cp >> 12));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
                *o++ = (char)(0x80 | (cp & 0x3f));
            }
            break;
        default: return -1;
        }
    }
    return (long)(o - out);
}

int srr_jscan_number(srr_jscan *c, int *is_int, long long *iv, double *dv)
{
    const char *p, *start;
    char tmp[64];
    size_t n;
    int real = 0;
    srr_jscan_ws(c);
    p = start = c->p;
    if (p < c->end && *p == '-')
        p++;
    if (p >= c->end)
        return 0;
    if (*p == '0') {
        p++;
        if (p < c->end && *p >= '0' && *p <= '9')
            return 0;
    } else if (*p >= '1' && *p <= '9') {
        while (p < c->end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return 0;
    }
    if (p < c->end && *p == '.') {
        real = 1;
        p++;
        if (p >= c->end || *p < '0' || *p > '9')
            return 0;
        while (p < c->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < c->end && (*p == 'e' || *p == 'E')) {
        real = 1;
        p++;
        if (p < c->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= c->end || *p < '0' || *p > '9')
            return 0;
        while (p < c->end && *p >= '0' && *p <= '9')
            p++;
    }
    n = (size_t)(p - start);
    if (n >= sizeof tmp)
        return 0;
    memcpy(tmp, start, n);
    tmp[n] = '\0';
    errno = 0;
    if (real) {
        *dv = strtod(tmp, NULL);
        if ((*dv == HUGE_VAL || *dv == -HUGE_VAL) && errno == ERANGE)
            return 0;
    } else {
        *iv = strtoll(tmp, NULL, 10);
        if (errno == ERANGE)
            return 0;
    }
    *is_int = !real;
    c->p = p;
    return 1;
}

int srr_jscan_literal(srr_jscan *c, const char *lit)
{
    size_t n = strlen(lit);
    srr_jscan_ws(c);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, lit, n) == 0) {
        c->p += n;
        return 1;
    }
    return 0;
}

int srr_jscan_c_locale(void)
{
    const char *dp = localeconv()->decimal_point;
    return dp && dp[0] == '.' && dp[1] == '\0';
}
