/* SPDX-License-Identifier: Apache-2.0
 *
 * log.h - one line per event on stderr: "2026-11-28T12:00:00Z level msg".
 * Messages must never contain secrets; callers redact before logging.
 */
#ifndef SRR_LOG_H
#define SRR_LOG_H

typedef enum { SRR_LOG_DEBUG = 0, SRR_LOG_INFO, SRR_LOG_WARN, SRR_LOG_ERROR } srr_log_level;

/* Sets the minimum level printed (default INFO; $SRR_LOG_LEVEL overrides). */
void srr_log_set_level(srr_log_level lvl);
void srr_log(srr_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define srr_debug(...) srr_log(SRR_LOG_DEBUG, __VA_ARGS__)
#define srr_info(...) srr_log(SRR_LOG_INFO, __VA_ARGS__)
#define srr_warn(...) srr_log(SRR_LOG_WARN, __VA_ARGS__)
#define srr_err(...) srr_log(SRR_LOG_ERROR, __VA_ARGS__)

#endif
