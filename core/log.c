/* SPDX-License-Identifier: Apache-2.0
 *
 * log.c - one line per event (log.h), text or JSON, with the secrets of
 * redact.h redacted. Uses srr.c's time formatting; srr.c does not use this
 * file (its error messages are redacted through redact.h), so the two do
 * not depend on each other.
 */
#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redact.h"
#include "srr.h"
#include "textsafe.h"

static int g_level = -1;
static srr_log_format g_format = SRR_LOG_TEXT;

void srr_log_set_level(srr_log_level lvl)
{
    g_level = (int)lvl;
}

int srr_log_level_parse(const char *s)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    int i;
    for (i = 0; s && i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

void srr_log_set_format(srr_log_format f)
{
    g_format = f;
}

static int current_level(void)
{
    if (g_level < 0) {
        int l = srr_log_level_parse(getenv("SRR_LOG_LEVEL"));
        g_level = l >= 0 ? l : SRR_LOG_INFO;
    }
    return g_level;
}

int srr_log_enabled(srr_log_level lvl)
{
    return (int)lvl >= current_level();
}

/* Writes one event to `out`: "say" mode is a message for the person at the
 * terminal, in text format the bare message (no time, no level). */
static void emit(FILE *out, int say, srr_log_level lvl, const char *const *kv, const char *fmt,
                 va_list ap)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    char ts[32], line[4096];
    size_t i, n;
    srr_time_iso((int64_t)time(NULL), ts);
    vsnprintf(line, sizeof(line), fmt, ap);
    srr_redact(line, sizeof(line));
    n = strlen(line);
    while (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    if (say && g_format == SRR_LOG_TEXT) {
        fprintf(out, "%s\n", line); /* as written: may span lines (usage) */
        return;
    }
    if (g_format == SRR_LOG_JSON) {
        json_t *o = json_object();
        char *s;
        json_object_set_new(o, "ts", json_string(ts));
        json_object_set_new(o, "level", json_string(names[lvl]));
        json_object_set_new(o, "msg", json_string(line));
        for (i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
            char v[1024];
            snprintf(v, sizeof(v), "%s", kv[i + 1]);
            srr_redact(v, sizeof(v));
            json_object_set_new(o, kv[i], json_string(v));
        }
        s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        fprintf(out, "%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
        return;
    }
    /* Text: one line per event, so newlines inside a message are escaped;
     * control sequences from outside text never reach the terminal. */
    for (i = 0; line[i]; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    srr_text_safe_inplace(line, sizeof(line), 0);
    flockfile(out);
    fprintf(out, "%s %s %s", ts, names[lvl], line);
    for (i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
        char v[1024];
        snprintf(v, sizeof(v), "%s", kv[i + 1]);
        srr_redact(v, sizeof(v));
        srr_text_safe_inplace(v, sizeof(v), 0);
        fprintf(out, " %s=%s", kv[i], v);
    }
    fputc('\n', out);
    funlockfile(out);
}

void srr_log(srr_log_level lvl, const char *fmt, ...)
{
    va_list ap;
    if ((int)lvl < current_level())
        return;
    va_start(ap, fmt);
    emit(stderr, 0, lvl, NULL, fmt, ap);
    va_end(ap);
}

void srr_log_kv(srr_log_level lvl, const char *const *kv, const char *fmt, ...)
{
    va_list ap;
    if ((int)lvl < current_level())
        return;
    va_start(ap, fmt);
    emit(stderr, 0, lvl, kv, fmt, ap);
    va_end(ap);
}

void srr_log_say(srr_log_level lvl, const char *fmt, ...)
{
    va_list ap;
    if ((int)lvl < current_level())
        return;
    va_start(ap, fmt);
    emit(stderr, 1, lvl, NULL, fmt, ap);
    va_end(ap);
}

void srr_log_report(FILE *out, srr_log_level lvl, const char *const *kv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(out, 0, lvl, kv, fmt, ap);
    va_end(ap);
}

srr_log_format srr_log_get_format(void)
{
    return g_format;
}
