/* SPDX-License-Identifier: Apache-2.0
 *
 * log.c - one line per event on stderr with an ISO time and a level.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srr.h"

static int g_level = -1;

void srr_log_set_level(srr_log_level lvl)
{
    g_level = (int)lvl;
}

static int current_level(void)
{
    if (g_level < 0) {
        const char *e = getenv("SRR_LOG_LEVEL");
        g_level = SRR_LOG_INFO;
        if (e && strcmp(e, "debug") == 0)
            g_level = SRR_LOG_DEBUG;
        else if (e && strcmp(e, "warn") == 0)
            g_level = SRR_LOG_WARN;
        else if (e && strcmp(e, "error") == 0)
            g_level = SRR_LOG_ERROR;
    }
    return g_level;
}

void srr_log(srr_log_level lvl, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    char ts[32], line[2048];
    va_list ap;
    if ((int)lvl < current_level())
        return;
    srr_time_iso((int64_t)time(NULL), ts);
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s %s\n", ts, names[lvl], line);
}
