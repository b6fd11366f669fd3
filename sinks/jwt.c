/* SPDX-License-Identifier: Apache-2.0
 *
 * jwt.c - service-account keys, RS256 JWTs and the cached access token of
 * jwt.h. Signing uses the EVP one-shot digest-sign interface: an RSA key's
 * default padding is PKCS#1 v1.5, which is what RS256 means.
 */
#include "jwt.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct srr_sa_key {
    char *email;
    char *key_id;
    char *token_uri;
    EVP_PKEY *pkey;
};

struct srr_gtoken {
    srr_sa_key *key;
    char *scope;
    char *url;
    srr_http_opts http;
    char *token;
    int64_t valid_until_ms;
    unsigned fetches;
};

char *srr_b64url(const unsigned char *data, size_t n)
{
    char *out = srr_malloc(4 * ((n + 2) / 3) + 1);
    int len = EVP_EncodeBlock((unsigned char *)out, data, (int)n);
    while (len > 0 && out[len - 1] == '=')
        len--;
    out[len] = '\0';
    for (int i = 0; i < len; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    }
    return out;
}

srr_rc srr_sa_key_parse(const char *json, size_t len, srr_sa_key **out, srr_error *err)
{
    json_error_t jerr;
    json_t *j = json_loadb(json, len, 0, &jerr);
    const char *email, *pem, *kid, *uri, *type;
    srr_sa_key *k;
    BIO *bio;
    *out = NULL;
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return srr_error_set(err, SRR_EINVAL, "service-account key: not a JSON object (line %d)",
                             jerr.line);
    }
    type = json_string_value(json_object_get(j, "type"));
    email = json_string_value(json_object_get(j, "client_email"));
    pem = json_string_value(json_object_get(j, "private_key"));
    kid = json_string_value(json_object_get(j, "private_key_id"));
    uri = json_string_value(json_object_get(j, "token_uri"));
    if (type && strcmp(type, "service_account") != 0) {
        /* the message first: `type` lives in j */
        srr_error_set(err, SRR_EINVAL,
                      "service-account key: \"type\" is \"%.40s\", not service_account", type);
        json_decref(j);
        return SRR_EINVAL;
    }
    if (!email || !*email || !pem || !*pem) {
        srr_error_set(err, SRR_EINVAL, "service-account key: \"%s\" is missing",
                      !email || !*email ? "client_email" : "private_key");
        json_decref(j);
        return SRR_EINVAL;
    }
    k = srr_calloc(1, sizeof(*k));
    bio = BIO_new_mem_buf(pem, (int)strlen(pem));
    k->pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!k->pkey || EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_RSA) {
        json_decref(j);
        srr_sa_key_destroy(&k);
        return srr_error_set(err, SRR_EINVAL,
                             "service-account key: private_key is not a PEM RSA private key");
    }
    k->email = srr_strdup(email);
    k->key_id = kid && *kid ? srr_strdup(kid) : NULL;
    k->token_uri = srr_strdup(uri && *uri ? uri : SRR_GOOGLE_TOKEN_URL);
    srr_secret_register(pem);
    json_decref(j);
    *out = k;
    return SRR_OK;
}

srr_rc srr_sa_key_load(const char *path, srr_sa_key **out, srr_error *err)
{
    char *text = NULL;
    size_t len = 0;
    srr_rc rc = srr_file_read(path, 1u << 20, &text, &len, err);
    *out = NULL;
    if (rc != SRR_OK)
        return srr_error_set(err, SRR_EIO, "service-account key %s: cannot be read", path);
    rc = srr_sa_key_parse(text, len, out, err);
    if (rc != SRR_OK)
        srr_error_prefix(err, "%s", path);
    free(text);
    return rc;
}

void srr_sa_key_destroy(srr_sa_key **kp)
{
    srr_sa_key *k;
    if (!kp || !*kp)
        return;
    k = *kp;
    EVP_PKEY_free(k->pkey);
    free(k->email);
    free(k->key_id);
    free(k->token_uri);
    free(k);
    *kp = NULL;
}

const char *srr_sa_key_email(const srr_sa_key *k)
{
    return k->email;
}

const char *srr_sa_key_token_uri(const srr_sa_key *k)
{
    return k->token_uri;
}

static char *b64url_json(json_t *j)
{
    char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *out = srr_b64url((const unsigned char *)txt, strlen(txt));
    free(txt);
    json_decref(j);
    return out;
}

srr_rc srr_jwt_sign(const srr_sa_key *k, const char *scope, const char *aud, int64_t iat,
                    int64_t lifetime_s, char **jwt, srr_error *err)
{
    json_t *hdr = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
    char *h64, *c64, *input, *s64;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    EVP_MD_CTX *ctx;
    int ok;
    *jwt = NULL;
    if (k->key_id)
        json_object_set_new(hdr, "kid", json_string(k->key_id));
    h64 = b64url_json(hdr);
    c64 =
        b64url_json(json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", k->email, "scope", scope, "aud",
                              aud, "iat", (json_int_t)iat, "exp", (json_int_t)(iat + lifetime_s)));
    input = srr_asprintf("%s.%s", h64, c64);
    free(h64);
    free(c64);
    ctx = EVP_MD_CTX_new();
    ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
         EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input, strlen(input)) == 1;
    if (ok) {
        sig = srr_malloc(siglen);
        ok = EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, strlen(input)) == 1;
    }
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        free(sig);
        free(input);
        return srr_error_set(err, SRR_ERR, "cannot sign the JWT with the service-account key");
    }
    s64 = srr_b64url(sig, siglen);
    *jwt = srr_asprintf("%s.%s", input, s64);
    free(s64);
    free(sig);
    free(input);
    return SRR_OK;
}

srr_rc srr_gtoken_create(srr_sa_key **key, const char *scope, const char *token_url,
                         const srr_http_opts *http, srr_gtoken **out, srr_error *err)
{
    srr_gtoken *t;
    *out = NULL;
    if (!key || !*key)
        return srr_error_set(err, SRR_EINVAL, "no service-account key");
    t = srr_calloc(1, sizeof(*t));
    t->key = *key;
    *key = NULL;
    t->scope = srr_strdup(scope ? scope : SRR_SHEETS_SCOPE);
    t->url = srr_strdup(token_url && *token_url ? token_url : t->key->token_uri);
    if (http)
        t->http = *http;
    *out = t;
    return SRR_OK;
}

void srr_gtoken_destroy(srr_gtoken **tp)
{
    srr_gtoken *t;
    if (!tp || !*tp)
        return;
    t = *tp;
    srr_sa_key_destroy(&t->key);
    free(t->scope);
    free(t->url);
    free(t->token);
    free(t);
    *tp = NULL;
}

void srr_gtoken_invalidate(srr_gtoken *t)
{
    t->valid_until_ms = 0;
}

unsigned srr_gtoken_fetches(const srr_gtoken *t)
{
    return t->fetches;
}

/* Reads the token endpoint's answer into t. */
static srr_rc take_answer(srr_gtoken *t, const srr_http_resp *r, int64_t sent_ms, srr_error *err)
{
    json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
    const char *tok = json_string_value(json_object_get(j, "access_token"));
    json_t *exp = json_object_get(j, "expires_in");
    srr_rc rc = srr_http_status_rc(r->status);
    if (rc == SRR_OK && (!tok || !*tok || !json_is_integer(exp))) {
        rc = srr_error_set(err, SRR_RETRY, "token endpoint: 200 without access_token/expires_in");
    } else if (rc == SRR_OK) {
        int64_t life = json_integer_value(exp) * 1000;
        int64_t margin = life / 10 < 60000 ? life / 10 : 60000;
        free(t->token);
        t->token = srr_strdup(tok);
        srr_secret_register(t->token);
        t->valid_until_ms = sent_ms + life - margin;
    } else {
        const char *code = json_string_value(json_object_get(j, "error"));
        const char *desc = json_string_value(json_object_get(j, "error_description"));
        /* OAuth errors (400 invalid_grant, 401 invalid_client...) are about the key. */
        if (rc != SRR_RETRY)
            rc = SRR_EAUTH;
        rc = srr_error_set(
            err, rc, "token endpoint refused the service account %s: HTTP %ld %s%s%s",
            t->key->email, r->status, code ? code : "", desc ? ": " : "", desc ? desc : "");
    }
    json_decref(j);
    return rc;
}

srr_rc srr_gtoken_get(srr_gtoken *t, const char **token, srr_error *err)
{
    static const char *const hdrs[] = {"Content-Type: application/x-www-form-urlencoded",
                                       "Accept: application/json", NULL};
    int64_t now = srr_http_now_ms();
    char *jwt = NULL, *body;
    srr_http_resp r;
    srr_rc rc;
    *token = NULL;
    if (t->token && now < t->valid_until_ms) {
        *token = t->token;
        return SRR_OK;
    }
    rc = srr_jwt_sign(t->key, t->scope, t->url, now / 1000, 3600, &jwt, err);
    if (rc != SRR_OK)
        return rc;
    body = srr_asprintf("grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer"
                        "&assertion=%s",
                        jwt);
    free(jwt);
    t->fetches++;
    rc = srr_http_request(&t->http, "POST", t->url, hdrs, body, strlen(body), &r, err);
    free(body);
    if (rc == SRR_OK)
        rc = take_answer(t, &r, now, err);
    else
        srr_error_prefix(err, "token endpoint");
    srr_http_resp_free(&r);
    if (rc == SRR_OK)
        *token = t->token;
    return rc;
}
