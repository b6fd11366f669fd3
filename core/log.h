/* SPDX-License-Identifier: Apache-2.0
 *
 * log.h - one line per event on stderr, as text
 *   "2026-11-28T12:00:00Z info message"
 * or as JSON (--log-format json)
 *   {"ts":"2026-11-28T12:00:00Z","level":"info","msg":"message"}.
 *
 * Every line srr writes on stderr goes through here, so --log-format json
 * holds for all of them: log events (srr_log), and the messages a command
 * writes for the person running it (srr_log_say: errors, usage, "wrote
 * FILE"), which in text format stay the bare "srr: ..." text.
 *
 * Secrets: every secret the process knows (Datadog keys, webhook token) is
 * registered with srr_secret_register() (redact.h); log lines and error
 * messages built with srr_error_set/srr_error_at have every occurrence
 * replaced by "[REDACTED]" before they leave the process.
 */
#ifndef SRR_LOG_H
#define SRR_LOG_H

#include <stddef.h>
#include <stdio.h>

#include "redact.h"

typedef enum { SRR_LOG_DEBUG = 0, SRR_LOG_INFO, SRR_LOG_WARN, SRR_LOG_ERROR } srr_log_level;
typedef enum { SRR_LOG_TEXT = 0, SRR_LOG_JSON } srr_log_format;

/* Sets the minimum level printed (default INFO; $SRR_LOG_LEVEL overrides:
 * debug, info, warn, error). */
void srr_log_set_level(srr_log_level lvl);
/* Parses "debug", "info", "warn", "error"; returns -1 for anything else. */
int srr_log_level_parse(const char *s);
void srr_log_set_format(srr_log_format f);
/* The format set (text unless --log-format json / $SRR_LOG_FORMAT). */
srr_log_format srr_log_get_format(void);
/* 1 when a message at `lvl` would be printed. */
int srr_log_enabled(srr_log_level lvl);

void srr_log(srr_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same with extra JSON fields (e.g. a request id): `kv` is "key", "value",
 * ..., NULL; in text format they print as key=value after the message. */
void srr_log_kv(srr_log_level lvl, const char *const *kv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A message for the person running a command, on stderr, when `lvl` is
 * enabled: in text format exactly the formatted text (the caller writes
 * "srr: ..." or "usage: ..."; several lines are fine), in JSON format one
 * event whose msg is that text. A trailing newline is dropped, then one
 * added. */
void srr_log_say(srr_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define srr_say_error(...) srr_log_say(SRR_LOG_ERROR, __VA_ARGS__)
#define srr_say_info(...) srr_log_say(SRR_LOG_INFO, __VA_ARGS__)

/* One event written to `out` in the chosen format whatever the level
 * threshold: for reports that are a command's output (srr doctor). */
void srr_log_report(FILE *out, srr_log_level lvl, const char *const *kv, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define srr_debug(...) srr_log(SRR_LOG_DEBUG, __VA_ARGS__)
#define srr_info(...) srr_log(SRR_LOG_INFO, __VA_ARGS__)
#define srr_warn(...) srr_log(SRR_LOG_WARN, __VA_ARGS__)
#define srr_err(...) srr_log(SRR_LOG_ERROR, __VA_ARGS__)

#endif
