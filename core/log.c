/* SPDX-License-Identifier: Apache-2.0
 *
 * log.c - one line per event on stderr (text or JSON), and the registry of
 * secrets that are redacted from every log line and error message.
 */
#include "log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srr.h"

#define MAX_SECRETS 16

static int g_level = -1;
static srr_log_format g_format = SRR_LOG_TEXT;
static pthread_mutex_t g_secret_mu = PTHREAD_MUTEX_INITIALIZER;
static char *g_secrets[MAX_SECRETS];
static size_t g_nsecrets;

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

void srr_secret_register(const char *secret)
{
    size_t i;
    if (!secret || strlen(secret) < 4)
        return;
    pthread_mutex_lock(&g_secret_mu);
    for (i = 0; i < g_nsecrets; i++)
        if (strcmp(g_secrets[i], secret) == 0)
            break;
    if (i == g_nsecrets && g_nsecrets < MAX_SECRETS)
        g_secrets[g_nsecrets++] = srr_strdup(secret);
    pthread_mutex_unlock(&g_secret_mu);
}

void srr_redact(char *buf, size_t cap)
{
    static const char mask[] = "[REDACTED]";
    size_t i, mlen = sizeof(mask) - 1;
    if (!buf || cap == 0)
        return;
    pthread_mutex_lock(&g_secret_mu);
    for (i = 0; i < g_nsecrets; i++) {
        size_t slen = strlen(g_secrets[i]);
        char *p = buf;
        while ((p = strstr(p, g_secrets[i])) != NULL) {
            size_t tail = strlen(p + slen);
            size_t pos = (size_t)(p - buf);
            /* Room for the mask and the tail (truncate the tail if not). */
            if (pos + mlen >= cap) {
                *p = '\0';
                break;
            }
            if (pos + mlen + tail >= cap)
                tail = cap - pos - mlen - 1;
            memmove(p + mlen, p + slen, tail);
            memcpy(p, mask, mlen);
            p[mlen + tail] = '\0';
            p += mlen;
        }
    }
    pthread_mutex_unlock(&g_secret_mu);
}

static void emit(srr_log_level lvl, const char *const *kv, const char *fmt, va_list ap)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    char ts[32], line[4096];
    size_t i;
    if ((int)lvl < current_level())
        return;
    srr_time_iso((int64_t)time(NULL), ts);
    vsnprintf(line, sizeof(line), fmt, ap);
    srr_redact(line, sizeof(line));
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
        fprintf(stderr, "%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
        return;
    }
    /* Text: one line per event, so newlines inside a message are escaped. */
    for (i = 0; line[i]; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    flockfile(stderr);
    fprintf(stderr, "%s %s %s", ts, names[lvl], line);
    for (i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
        char v[1024];
        snprintf(v, sizeof(v), "%s", kv[i + 1]);
        srr_redact(v, sizeof(v));
        fprintf(stderr, " %s=%s", kv[i], v);
    }
    fputc('\n', stderr);
    funlockfile(stderr);
}

void srr_log(srr_log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, NULL, fmt, ap);
    va_end(ap);
}

void srr_log_kv(srr_log_level lvl, const char *const *kv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, kv, fmt, ap);
    va_end(ap);
}
