/* SPDX-License-Identifier: Apache-2.0
 *
 * textsafe.c - outside text made safe to show a person (textsafe.h).
 */
#include "textsafe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (n bytes left) and its code
 * point, or 0 when s does not start one (overlong forms, surrogates and
 * values past U+10FFFF are not valid). */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0], v;
    size_t len, i;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, v = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
        (len == 4 && (v < 0x10000 || v > 0x10FFFF)))
        return 0;
    *cp = v;
    return len;
}

static int hidden_cp(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

void srr_text_safe_append(srr_buf *out, const char *str, size_t n, unsigned flags)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, plain = 0;
    char esc[16];
    while (i < n) {
        unsigned char c = s[i];
        unsigned cp = 0;
        size_t len;
        const char *rep = NULL;
        if (c >= 0x20 && c < 0x7F) {
            if ((flags & SRR_TEXT_MARKDOWN) && (c == '&' || c == '<' || c == '>'))
                rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : "&gt;";
            len = 1;
        } else if (c == '\t' || (c == '\n' && (flags & SRR_TEXT_MULTILINE))) {
            len = 1;
        } else if (c == '\r' && (flags & SRR_TEXT_MULTILINE) && i + 1 < n && s[i + 1] == '\n') {
            len = 2;           /* a CRLF line end */
        } else if (c < 0x80) { /* C0 or DEL */
            snprintf(esc, sizeof esc, "\\x%02x", c);
            rep = esc;
            len = 1;
        } else if ((len = utf8_seq(s + i, n - i, &cp)) == 0) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            rep = esc;
            len = 1;
        } else if (hidden_cp(cp)) {
            snprintf(esc, sizeof esc, "\\u%04x", cp);
            rep = esc;
        }
        if (rep) {
            if (i > plain)
                srr_buf_append(out, s + plain, i - plain);
            srr_buf_append(out, rep, strlen(rep));
            plain = i + len;
        }
        i += len;
    }
    if (n > plain)
        srr_buf_append(out, s + plain, n - plain);
}

char *srr_text_safe(const char *s, unsigned flags)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    if (s)
        srr_text_safe_append(&b, s, strlen(s), flags);
    return b.data ? srr_buf_steal(&b) : srr_strdup("");
}

void srr_text_safe_inplace(char *s, size_t cap, unsigned flags)
{
    srr_buf b;
    size_t n, cut;
    if (!s || cap == 0)
        return;
    srr_buf_init(&b, 0);
    srr_text_safe_append(&b, s, strlen(s), flags);
    n = b.len;
    if (n >= cap) { /* cut on a character boundary, never inside an escape */
        size_t k;
        cut = cap - 1;
        while (cut > 0 && ((unsigned char)b.data[cut] & 0xC0) == 0x80)
            cut--;
        for (k = cut > 6 ? cut - 6 : 0; k < cut; k++)
            if (b.data[k] == '\\' && k + 1 < n && (b.data[k + 1] == 'x' || b.data[k + 1] == 'u') &&
                cut - k < (b.data[k + 1] == 'x' ? 4u : 6u))
                cut = k;
        n = cut;
    }
    if (n)
        memcpy(s, b.data, n);
    s[n] = '\0';
    srr_buf_free(&b);
}
