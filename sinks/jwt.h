/* SPDX-License-Identifier: Apache-2.0
 *
 * jwt.h - Google service-account authentication (google-sheets-api.md §1-§2):
 * the JSON key file a Google Cloud service account downloads, an RS256 JWT
 * signed with its private key (OpenSSL EVP, PKCS#1 v1.5 + SHA-256), the
 * JWT-bearer token exchange over HTTP, and the access token cached until
 * shortly before it expires.
 *
 * The private key and the access token are registered as secrets (log.h):
 * they never appear in a log line or an error message.
 */
#ifndef SRR_SINKS_JWT_H
#define SRR_SINKS_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "srr.h"

#define SRR_SHEETS_SCOPE "https://www.googleapis.com/auth/spreadsheets"
#define SRR_GOOGLE_TOKEN_URL "https://oauth2.googleapis.com/token"

typedef struct srr_sa_key srr_sa_key;

/* Parses a service-account key (JSON text). Requires `client_email` and a
 * PEM RSA `private_key`; `token_uri` defaults to SRR_GOOGLE_TOKEN_URL and
 * `private_key_id` (the JWT's "kid") is optional. SRR_EINVAL naming what is
 * missing or unreadable. Free with srr_sa_key_destroy. */
srr_rc srr_sa_key_parse(const char *json, size_t len, srr_sa_key **out, srr_error *err);
/* Same from a file (SRR_EIO when it cannot be read). */
srr_rc srr_sa_key_load(const char *path, srr_sa_key **out, srr_error *err);
void srr_sa_key_destroy(srr_sa_key **k);
const char *srr_sa_key_email(const srr_sa_key *k);
const char *srr_sa_key_token_uri(const srr_sa_key *k);

/* Signs the JWT-bearer assertion: header {"alg":"RS256","typ":"JWT"[,"kid"]},
 * claims {iss, scope, aud, iat, exp = iat + lifetime_s}. Returns a new
 * string "header.claims.signature" (base64url, no padding) in *jwt (caller
 * frees). */
srr_rc srr_jwt_sign(const srr_sa_key *k, const char *scope, const char *aud, int64_t iat,
                    int64_t lifetime_s, char **jwt, srr_error *err);

/* base64url without padding; caller frees. */
char *srr_b64url(const unsigned char *data, size_t n);

/* An access-token source for one key and scope. Not thread-safe. */
typedef struct srr_gtoken srr_gtoken;

/* Takes over *key (sets it to NULL). `token_url` NULL = the key's token_uri;
 * the JWT's audience is the URL the assertion is posted to. */
srr_rc srr_gtoken_create(srr_sa_key **key, const char *scope, const char *token_url,
                         const srr_http_opts *http, srr_gtoken **out, srr_error *err);
void srr_gtoken_destroy(srr_gtoken **t);

/* The current access token (borrowed; valid until the next call on t):
 * the cached one while it has not expired (less a margin of
 * min(60 s, a tenth of its life)), else a new one from the token endpoint.
 * Returns SRR_OK; SRR_EAUTH when Google refuses the key (invalid_grant,
 * unauthorized_client...: permanent until the key or its sharing changes);
 * SRR_RETRY for 429/5xx/timeouts. */
srr_rc srr_gtoken_get(srr_gtoken *t, const char **token, srr_error *err);
/* Forgets the cached token (after a 401 from the API). */
void srr_gtoken_invalidate(srr_gtoken *t);
/* Token requests made so far (for the sink's metrics and tests). */
unsigned srr_gtoken_fetches(const srr_gtoken *t);

#endif
