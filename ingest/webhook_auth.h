/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook_auth.h - which credentials a webhook request must carry, decided
 * once from the configuration by one function that `srr serve`, the
 * receiver itself, `srr doctor` and GET /readyz all use; and the checks of
 * the credentials a request carries (whole values, constant time, no NUL).
 *
 * A configuration in which a secret is only partly given (a basic auth
 * password without a user, a user without a password, a token or password
 * file that is empty) is refused, naming the missing piece: it never
 * quietly turns authentication off.
 */
#ifndef SRR_WEBHOOK_AUTH_H
#define SRR_WEBHOOK_AUTH_H

#include <stddef.h>

#include "config.h"
#include "srr.h"

/* What every request must carry. */
typedef struct srr_webhook_auth {
    int token;    /* the shared secret in cfg->token_header */
    int basic;    /* basic auth basic_user:basic_password */
    int insecure; /* nothing: no secret configured and --insecure-no-auth given */
} srr_webhook_auth;

/* Decides from cfg (secrets already resolved by the config loader) which
 * credentials are required. Returns SRR_OK and fills *out, or SRR_EINVAL
 * with a message naming the missing piece (never a secret): a password
 * without basic_user (or with an empty one), basic_user without a
 * password, a token_file or basic_password_file that holds nothing, or no
 * secret at all without `insecure_no_auth`. A partly given secret is
 * refused even with insecure_no_auth. */
srr_rc srr_webhook_auth_decide(const srr_webhook_config *cfg, int insecure_no_auth,
                               srr_webhook_auth *out, srr_error *err);

/* One line for people: "shared secret in X-SRR-Token", "basic auth (user
 * datadog)", both joined by " and ", or "NONE (--insecure-no-auth)".
 * Writes into buf (NUL-terminated, truncated to cap) and returns it. */
const char *srr_webhook_auth_describe(const srr_webhook_config *cfg, const srr_webhook_auth *a,
                                      char *buf, size_t cap);

/* 1 when `value` (len bytes, as received) equals the token exactly: the
 * whole value, compared in constant time; a value holding a NUL byte is
 * refused. With `bearer`, a leading "Bearer " is skipped first. */
int srr_webhook_token_ok(const char *value, size_t len, const char *token, int bearer);

/* 1 when the Authorization header value `value` is "Basic " + base64 of
 * exactly user ":" password. The whole decoded value is compared in
 * constant time; malformed base64 or a decoded NUL byte is refused. */
int srr_webhook_basic_ok(const char *value, size_t len, const char *user, const char *password);

#endif
