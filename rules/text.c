/* SPDX-License-Identifier: Apache-2.0
 *
 * text.c - small text helpers of rules/: the fixed-size string builder used
 * for summaries, titles and decision reasons (it never overflows and cuts
 * only on a UTF-8 character boundary), and the formatting of values for
 * people ("1.8 GiB", "93.1%", "250 ms").
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rules_internal.h"

size_t srr_utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max;
    /* Step back over continuation bytes so that s[cut] starts a character. */
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

void srr_sb_init(srr_sb *sb, char *p, size_t cap)
{
    sb->p = p;
    sb->cap = cap;
    sb->len = 0;
    sb->full = 0;
    if (cap)
        p[0] = '\0';
}

void srr_sb_putn(srr_sb *sb, const char *s, size_t n)
{
    if (sb->full || sb->cap == 0 || !s)
        return;
    size_t room = sb->cap - 1 - sb->len;
    if (n > room) {
        n = srr_utf8_cut(s, n, room);
        sb->full = 1;
    }
    memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

void srr_sb_put(srr_sb *sb, const char *s)
{
    if (s)
        srr_sb_putn(sb, s, strlen(s));
}

void srr_sb_putu(srr_sb *sb, unsigned long long v)
{
    char tmp[20], *d = srr_u64_digits(tmp + sizeof tmp, v);
    srr_sb_putn(sb, d, (size_t)(tmp + sizeof tmp - d));
}

void srr_sb_printf(srr_sb *sb, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    srr_sb_putn(sb, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

/* Drops trailing zeros of a fixed-point rendering: "93.10" -> "93.1". */
static void trim_zeros(char *s)
{
    if (!strchr(s, '.') || strchr(s, 'e'))
        return;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '0')
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == '.')
        s[--n] = '\0';
}

void srr_fmt_number(double v, char *out, size_t n)
{
    double a = fabs(v);
    if (!isfinite(v))
        snprintf(out, n, "%s", isnan(v) ? "NaN" : (v > 0 ? "inf" : "-inf"));
    else if (a >= 1e15 || (a > 0 && a < 1e-4))
        snprintf(out, n, "%.3g", v);
    else if (v == trunc(v))
        snprintf(out, n, "%.0f", v);
    else if (a >= 1)
        snprintf(out, n, "%.1f", v);
    else
        snprintf(out, n, "%.3g", v);
    trim_zeros(out);
}

static void fmt_bytes(double bytes, char *out, size_t n)
{
    static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double a = fabs(bytes);
    int i = 0;
    while (a >= 1024.0 && i < 5) {
        a /= 1024.0;
        bytes /= 1024.0;
        i++;
    }
    char num[32];
    srr_fmt_number(bytes, num, sizeof num);
    snprintf(out, n, "%s %s", num, names[i]);
}

void srr_fmt_value(double v, const char *unit, char *out, size_t n)
{
    srr_unit_class cls;
    double scale;
    char num[32];
    if (unit && srr_unit_lookup(unit, &cls, &scale) && cls == SRR_UNIT_BYTES) {
        fmt_bytes(v * scale, out, n);
        return;
    }
    srr_fmt_number(v, num, sizeof num);
    if (!unit || !*unit)
        snprintf(out, n, "%s", num);
    else if (unit[0] == '%')
        snprintf(out, n, "%s%s", num, unit);
    else
        snprintf(out, n, "%s %s", num, unit);
}

void srr_sb_put_tags(srr_sb *sb, const srr_signal *sig)
{
    for (size_t i = 0; i < sig->ntags; i++) {
        if (i)
            srr_sb_put(sb, ",");
        srr_sb_put(sb, sig->tags[i]);
    }
}

void srr_rules_fmt_value(double v, const char *unit, char *out, size_t n)
{
    srr_fmt_value(v, unit, out, n);
}
