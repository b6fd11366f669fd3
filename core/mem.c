/* SPDX-License-Identifier: Apache-2.0
 *
 * mem.c - the lowest floor of core (declared in srr.h): allocation that
 * never returns NULL (out of memory aborts with a message), string copies,
 * UTF-8 counts and formatting into new strings, and the bounded growing
 * buffer (srr_buf). It calls nothing else of srr, so every other file, the
 * text sanitiser and the error helpers included, can build on it without
 * a cycle.
 */
#include "srr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "srr: out of memory allocating %zu bytes\n", n);
    abort();
}

void *srr_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *srr_calloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        oom(nmemb * size);
    return p;
}

void *srr_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *srr_strdup(const char *s)
{
    return s ? srr_strndup(s, strlen(s)) : NULL;
}

char *srr_strndup(const char *s, size_t n)
{
    char *d;
    if (!s)
        return NULL;
    d = srr_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

size_t srr_u8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

size_t srr_u8_prefix(const char *s, size_t chars)
{
    size_t i = 0, n = 0;
    while (s[i]) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (n == chars)
                break;
            n++;
        }
        i++;
    }
    return i;
}

char *srr_u64_digits(char *end, unsigned long long v)
{
    do
        *--end = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return end;
}

char *srr_asprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    int n;
    char *s;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    s = srr_malloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

void srr_buf_init(srr_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void srr_buf_reserve(srr_buf *b, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = srr_realloc(b->data, cap);
        b->cap = cap;
        b->data[b->len] = '\0';
    }
}

srr_rc srr_buf_append(srr_buf *b, const void *p, size_t n)
{
    if (b->max && b->len + n > b->max)
        return SRR_EINVAL;
    srr_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SRR_OK;
}

srr_rc srr_buf_printf(srr_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    int n;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return SRR_EINVAL;
    if ((size_t)n < sizeof(small))
        return srr_buf_append(b, small, (size_t)n);
    {
        char *big = srr_malloc((size_t)n + 1);
        srr_rc rc;
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        rc = srr_buf_append(b, big, (size_t)n);
        free(big);
        return rc;
    }
}

char *srr_buf_steal(srr_buf *b)
{
    char *d = b->data;
    if (!d)
        d = srr_strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void srr_buf_free(srr_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
