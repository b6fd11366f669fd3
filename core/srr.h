/* SPDX-License-Identifier: Apache-2.0
 *
 * srr.h - the shared foundation every srr module includes: return codes,
 * the error value that carries a human message (with file:line:col where a
 * parsed input is at fault), and a few small helpers (allocation that
 * aborts on OOM, bounded string building, time). Implemented by srr.c
 * (errors, time, files) and mem.c (allocation, strings, srr_buf).
 *
 * Conventions used across srr:
 *   - functions return srr_rc; SRR_OK is 0, failures are negative;
 *   - SRR_RETRY marks a failure that may succeed if tried again later
 *     (Datadog 429/5xx, a full queue); every other failure is permanent;
 *   - an `srr_error *err` out-parameter (may be NULL) receives the message;
 *   - `_create/_destroy` pairs for heap objects; destroy takes NULL.
 */
#ifndef SRR_SRR_H
#define SRR_SRR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define SRR_VERSION "0.1.0"

typedef enum {
    SRR_OK = 0,
    SRR_ERR = -1,      /* generic permanent failure */
    SRR_RETRY = -2,    /* transient: try again later */
    SRR_EINVAL = -3,   /* bad input (config, payload, argument) */
    SRR_ENOTFOUND = -4,/* no such record / file */
    SRR_EIO = -5,      /* file system or network I/O failed */
    SRR_EAUTH = -6,    /* credentials missing or refused */
    SRR_ECONFLICT = -7,/* state changed underneath / not allowed */
    SRR_EPARTIAL = -8  /* an answer came back incomplete (Datadog said its
                          results may be partial); what arrived is not the
                          whole truth */
} srr_rc;

/* An error message. `msg` is always NUL-terminated (empty when unset). */
typedef struct srr_error {
    srr_rc code;
    char msg[1024];
} srr_error;

/* Sets err->code and formats err->msg (printf style). Tolerates err == NULL.
 * Returns `code` so callers can write `return srr_error_set(err, ...)`. */
srr_rc srr_error_set(srr_error *err, srr_rc code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like srr_error_set, but prefixes "file:line:col: " (line/col 1-based). */
srr_rc srr_error_at(srr_error *err, srr_rc code, const char *file, int line,
                    int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Prepends "prefix: " to an existing message (for adding context). */
void srr_error_prefix(srr_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Short name of a return code ("ok", "retry", ...). Static string. */
const char *srr_rc_str(srr_rc rc);

/* Allocation helpers: abort with a message on out-of-memory, so callers never
 * see NULL. Free with free(). srr_strdup(NULL) returns NULL. */
void *srr_malloc(size_t n);
void *srr_calloc(size_t nmemb, size_t size);
void *srr_realloc(void *p, size_t n);
char *srr_strdup(const char *s);
char *srr_strndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; caller frees. */
char *srr_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes v's decimal digits (at most 20, no NUL) so that they end just
 * before `end`; returns where they start. The "%llu" text without printf,
 * for the hot paths that write numbers. */
char *srr_u64_digits(char *end, unsigned long long v);
/* The number of UTF-8 code points in s (the bytes that do not continue a
 * sequence). */
size_t srr_u8_chars(const char *s);
/* The byte length of the longest prefix of s holding at most `chars` code
 * points: a cut there never splits a sequence. */
size_t srr_u8_prefix(const char *s, size_t chars);

/* Growable byte buffer with a hard maximum. `max == 0` means unbounded.
 * Contents stay NUL-terminated. Free with srr_buf_free(). */
typedef struct srr_buf {
    char *data;
    size_t len, cap, max;
} srr_buf;
void srr_buf_init(srr_buf *b, size_t max);
/* Appends; returns SRR_EINVAL (and appends nothing) past `max`. */
srr_rc srr_buf_append(srr_buf *b, const void *p, size_t n);
/* Makes room for n more bytes, so appends up to that size do not
 * reallocate. Contents unchanged; `max` still applies to appends. */
void srr_buf_reserve(srr_buf *b, size_t n);
srr_rc srr_buf_printf(srr_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Returns the data (caller frees) and resets the buffer. */
char *srr_buf_steal(srr_buf *b);
void srr_buf_free(srr_buf *b);

/* Wall clock, seconds since the epoch. Honours $SRR_NOW (epoch seconds) so
 * tests and replays can pin "now". */
int64_t srr_now(void);
/* Formats epoch seconds as "2026-11-28T12:00:00Z" into out (>= 21 bytes). */
void srr_time_iso(int64_t t, char out[32]);
/* Parses "2026-11-28T12:00:00Z" or "...T12:00:00.123Z"; returns SRR_EINVAL. */
srr_rc srr_time_parse_iso(const char *s, int64_t *out_s);

/* Parses a duration: "90s", "15m", "6h", "7d", "2w" (or plain seconds).
 * Returns SRR_EINVAL on anything else, and for a value that overflows or
 * exceeds SRR_DURATION_MAX_S (each caller bounds it further). */
#define SRR_DURATION_MAX_S (100LL * 366 * 86400) /* a century */
srr_rc srr_duration_parse(const char *s, int64_t *out_s);

/* Reads a whole file (bounded by max bytes, 0 = 64 MiB). Caller frees *out. */
srr_rc srr_file_read(const char *path, size_t max, char **out, size_t *len,
                     srr_error *err);
/* Writes a file atomically (tmp + fsync + rename + fsync dir). */
srr_rc srr_file_write_atomic(const char *path, const void *data, size_t len,
                             srr_error *err);
/* mkdir -p. */
srr_rc srr_mkdirs(const char *path, srr_error *err);

/* srr's state (the store, the spool, the quarantine) belongs to the user
 * the services run as. Running as root, srr must not create state there:
 * the files would be root's and that user could no longer open them.
 * Returns SRR_OK when not running as root, or when `path` - or, when it
 * does not exist, its nearest existing parent - belongs to root; otherwise
 * SRR_EAUTH with a message naming the owner and how to run as them
 * (runuser -u USER -- srr ...). `what` names the state ("the store"). */
srr_rc srr_state_check_owner(const char *path, const char *what, srr_error *err);

/* Constant-time comparison of two byte strings; returns 1 when equal. */
int srr_secure_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
