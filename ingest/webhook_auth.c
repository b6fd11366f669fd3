/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook_auth.c - the one decision on which webhook credentials are
 * required, and the credential checks (webhook_auth.h).
 */
#include "webhook_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

srr_rc srr_webhook_auth_decide(const srr_webhook_config *cfg, int insecure_no_auth,
                               srr_webhook_auth *out, srr_error *err)
{
    const char *pw_from =
        cfg->basic_password_file && *cfg->basic_password_file ? cfg->basic_password_file : NULL;
    const char *pw_env = cfg->basic_password_env ? cfg->basic_password_env : "SRR_WEBHOOK_PASSWORD";
    const char *tok_env = cfg->token_env ? cfg->token_env : "SRR_WEBHOOK_TOKEN";
    int user = cfg->basic_user && *cfg->basic_user;
    memset(out, 0, sizeof *out);
    if (cfg->token_file && *cfg->token_file && !cfg->token)
        return srr_error_set(err, SRR_EINVAL,
                             "webhook.token_file %s holds no secret (its first line is empty); "
                             "put the shared secret in it, or remove webhook.token_file",
                             cfg->token_file);
    if (pw_from && !cfg->basic_password)
        return srr_error_set(err, SRR_EINVAL,
                             "webhook.basic_password_file %s holds no password (its first line "
                             "is empty); put the password in it, or remove the setting",
                             pw_from);
    if (cfg->basic_password && !user)
        return srr_error_set(err, SRR_EINVAL,
                             "a basic auth password is set (%s%s) but webhook.basic_user is %s: "
                             "set webhook.basic_user, or remove the password",
                             pw_from ? "webhook.basic_password_file " : "$",
                             pw_from ? pw_from : pw_env, cfg->basic_user ? "empty" : "missing");
    if (user && !cfg->basic_password)
        return srr_error_set(err, SRR_EINVAL,
                             "webhook.basic_user is set but its password is missing: set $%s or "
                             "webhook.basic_password_file",
                             pw_env);
    out->token = cfg->token != NULL;
    out->basic = user && cfg->basic_password;
    if (!out->token && !out->basic) {
        if (!insecure_no_auth)
            return srr_error_set(err, SRR_EINVAL,
                                 "no webhook secret: set $%s (or webhook.token_file), or basic "
                                 "auth (webhook.basic_user with $%s); --insecure-no-auth "
                                 "accepts anyone",
                                 tok_env, pw_env);
        out->insecure = 1;
    }
    return SRR_OK;
}

const char *srr_webhook_auth_describe(const srr_webhook_config *cfg, const srr_webhook_auth *a,
                                      char *buf, size_t cap)
{
    if (a->insecure) {
        snprintf(buf, cap, "NONE (--insecure-no-auth)");
    } else if (a->token && a->basic) {
        snprintf(buf, cap, "shared secret in %s and basic auth (user %s)",
                 cfg->token_header ? cfg->token_header : "X-SRR-Token", cfg->basic_user);
    } else if (a->token) {
        snprintf(buf, cap, "shared secret in %s",
                 cfg->token_header ? cfg->token_header : "X-SRR-Token");
    } else {
        snprintf(buf, cap, "basic auth (user %s)", cfg->basic_user);
    }
    return buf;
}

int srr_webhook_token_ok(const char *value, size_t len, const char *token, int bearer)
{
    if (!value || !token)
        return 0;
    if (bearer && len >= 7 && strncasecmp(value, "Bearer ", 7) == 0) {
        value += 7;
        len -= 7;
    }
    if (memchr(value, '\0', len))
        return 0;
    return srr_secure_equal(value, len, token, strlen(token));
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes standard base64 (padding optional) into a new buffer of *outlen
 * bytes (NUL-terminated for convenience; it may hold NULs). NULL when
 * malformed. Caller frees. */
static char *b64_decode(const char *in, size_t n, size_t *outlen)
{
    char *out = srr_malloc(n / 4 * 3 + 4);
    size_t o = 0, i;
    unsigned acc = 0;
    int bits = 0;
    while (n && in[n - 1] == '=')
        n--;
    for (i = 0; i < n; i++) {
        int v = b64val(in[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xFF);
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

int srr_webhook_basic_ok(const char *value, size_t len, const char *user, const char *password)
{
    char *plain, *expected;
    size_t plen = 0, elen;
    int ok;
    if (!value || !user || !password || len < 6 || strncasecmp(value, "Basic ", 6) != 0)
        return 0;
    value += 6;
    len -= 6;
    while (len && *value == ' ') {
        value++;
        len--;
    }
    if (memchr(value, '\0', len))
        return 0;
    plain = b64_decode(value, len, &plen);
    if (!plain)
        return 0;
    expected = srr_asprintf("%s:%s", user, password);
    elen = strlen(expected);
    /* the whole decoded value, NULs included: "user:secret\0junk" is not
     * "user:secret" */
    ok = srr_secure_equal(plain, plen, expected, elen) && !memchr(plain, '\0', plen);
    memset(plain, 0, plen);
    memset(expected, 0, elen);
    free(plain);
    free(expected);
    return ok;
}
