/* SPDX-License-Identifier: Apache-2.0
 *
 * redact.h - the registry of secrets the process knows (Datadog keys,
 * webhook token and password) and their redaction: every log line
 * (log.c) and every error message (srr_error_set in srr.c) has each
 * registered secret replaced by "[REDACTED]" before it leaves the process,
 * and every run of 8 or more characters of one.
 * Depends on nothing but libc, so both log.c and srr.c can use it without
 * depending on each other.
 */
#ifndef SRR_REDACT_H
#define SRR_REDACT_H

#include <stddef.h>

/* Registers a secret (copied; strings shorter than 4 bytes are ignored, they
 * would redact ordinary words; at most 16 secrets). Thread-safe. */
void srr_secret_register(const char *secret);
/* Replaces every registered secret in buf (NUL-terminated, capacity cap) by
 * "[REDACTED]", in place, truncating if needed, and every run of 8 or more
 * bytes that is a piece of a registered secret (a Datadog error body may
 * quote part of a key). Thread-safe. */
void srr_redact(char *buf, size_t cap);

#endif
