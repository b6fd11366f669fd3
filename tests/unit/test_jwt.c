/* SPDX-License-Identifier: Apache-2.0
 *
 * test_jwt.c - service-account authentication (sinks/jwt.c): base64url,
 * key files good and bad, the RS256 JWT checked with the public key here
 * and by the fake token endpoint over real HTTP, the token cached until it
 * expires, and refusals (a key the fake does not know, a wrong audience)
 * classified permanent while an outage is retryable. The RSA key is made at
 * test time; no private key is committed.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_sheets.h"
#include "http.h"
#include "jwt.h"
#include "sa_key.h"

static srr_sa_key *load_key(const char *token_uri)
{
    const tu_sa_key *k = tu_sa_key_get(FAKE_SHEETS_EMAIL, token_uri);
    srr_sa_key *key = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_sa_key_parse(k->json, strlen(k->json), &key, &err), SRR_OK, "%s", err.msg);
    return key;
}

static unsigned char *unb64url(const char *s, size_t n, size_t *len)
{
    char *tmp = malloc(n + 4);
    unsigned char *out = malloc(n + 4);
    size_t pad = (4 - n % 4) % 4;
    for (size_t i = 0; i < n; i++)
        tmp[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    memset(tmp + n, '=', pad);
    int l = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)(n + pad));
    cr_assert_geq(l, 0);
    *len = (size_t)l - pad;
    out[*len] = 0;
    free(tmp);
    return out;
}

Test(jwt, base64url_without_padding)
{
    struct {
        const char *in;
        size_t n;
        const char *out;
    } v[] = {{"", 0, ""},        {"f", 1, "Zg"},         {"fo", 2, "Zm8"},
             {"foo", 3, "Zm9v"}, {"\xfb\xff", 2, "-_8"}, {"\xff\xfe\xfd", 3, "__79"}};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char *o = srr_b64url((const unsigned char *)v[i].in, v[i].n);
        cr_assert_str_eq(o, v[i].out);
        free(o);
    }
}

Test(jwt, key_files_good_and_bad)
{
    srr_sa_key *key = load_key("https://oauth2.googleapis.com/token");
    cr_assert_str_eq(srr_sa_key_email(key), FAKE_SHEETS_EMAIL);
    cr_assert_str_eq(srr_sa_key_token_uri(key), "https://oauth2.googleapis.com/token");
    srr_sa_key_destroy(&key);
    cr_assert_null(key);
    srr_error err = {0};
    const char *bad[][2] = {
        {"{\"private_key\":\"x\"}", "client_email"},
        {"{\"client_email\":\"a@b\"}", "private_key"},
        {"{\"client_email\":\"a@b\",\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nAAAA\\n"
         "-----END PRIVATE KEY-----\\n\"}",
         "not a PEM RSA private key"},
        {"{\"type\":\"authorized_user\",\"client_email\":\"a@b\",\"private_key\":\"x\"}",
         "not service_account"},
        {"[1,2]", "not a JSON object"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(srr_sa_key_parse(bad[i][0], strlen(bad[i][0]), &key, &err), SRR_EINVAL);
        cr_assert(strstr(err.msg, bad[i][1]) != NULL, "%s: %s", bad[i][0], err.msg);
        cr_assert_null(key);
    }
    cr_assert_eq(srr_sa_key_load("/nonexistent/key.json", &key, &err), SRR_EIO);
    /* no token_uri: Google's */
    const tu_sa_key *k = tu_sa_key_get(FAKE_SHEETS_EMAIL, "x");
    json_t *j = json_loads(k->json, 0, NULL);
    json_object_del(j, "token_uri");
    char *txt = json_dumps(j, 0);
    cr_assert_eq(srr_sa_key_parse(txt, strlen(txt), &key, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(srr_sa_key_token_uri(key), SRR_GOOGLE_TOKEN_URL);
    srr_sa_key_destroy(&key);
    free(txt);
    json_decref(j);
}

Test(jwt, rs256_signature_verifies_with_the_public_key)
{
    const tu_sa_key *k = tu_sa_key_get(FAKE_SHEETS_EMAIL, SRR_GOOGLE_TOKEN_URL);
    srr_sa_key *key = load_key(SRR_GOOGLE_TOKEN_URL);
    char *jwt = NULL;
    srr_error err = {0};
    cr_assert_eq(
        srr_jwt_sign(key, SRR_SHEETS_SCOPE, SRR_GOOGLE_TOKEN_URL, 1767225600, 3600, &jwt, &err),
        SRR_OK, "%s", err.msg);
    cr_assert(strchr(jwt, '=') == NULL && strchr(jwt, '+') == NULL && strchr(jwt, '/') == NULL);
    const char *d1 = strchr(jwt, '.'), *d2 = strchr(d1 + 1, '.');
    size_t hl, cl, sl;
    unsigned char *h = unb64url(jwt, (size_t)(d1 - jwt), &hl);
    unsigned char *c = unb64url(d1 + 1, (size_t)(d2 - d1 - 1), &cl);
    unsigned char *sig = unb64url(d2 + 1, strlen(d2 + 1), &sl);
    json_t *hj = json_loads((char *)h, 0, NULL), *cj = json_loads((char *)c, 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(hj, "alg")), "RS256");
    cr_assert_str_eq(json_string_value(json_object_get(hj, "typ")), "JWT");
    cr_assert_str_eq(json_string_value(json_object_get(hj, "kid")),
                     "0123456789abcdef0123456789abcdef");
    cr_assert_str_eq(json_string_value(json_object_get(cj, "iss")), FAKE_SHEETS_EMAIL);
    cr_assert_str_eq(json_string_value(json_object_get(cj, "scope")), SRR_SHEETS_SCOPE);
    cr_assert_str_eq(json_string_value(json_object_get(cj, "aud")), SRR_GOOGLE_TOKEN_URL);
    cr_assert_eq(json_integer_value(json_object_get(cj, "iat")), 1767225600);
    cr_assert_eq(json_integer_value(json_object_get(cj, "exp")), 1767225600 + 3600);
    cr_assert_eq(sl, 256, "RSA-2048 signs 256 bytes");
    BIO *bio = BIO_new_mem_buf(k->pub_pem, -1);
    EVP_PKEY *pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    cr_assert_eq(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub), 1);
    cr_assert_eq(EVP_DigestVerify(ctx, sig, sl, (unsigned char *)jwt, (size_t)(d2 - jwt)), 1);
    /* one flipped bit in the claims and it no longer verifies */
    jwt[d1 - jwt + 3] ^= 1;
    cr_assert_eq(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub), 1);
    cr_assert_neq(EVP_DigestVerify(ctx, sig, sl, (unsigned char *)jwt, (size_t)(d2 - jwt)), 1);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pub);
    BIO_free(bio);
    json_decref(hj);
    json_decref(cj);
    free(h);
    free(c);
    free(sig);
    free(jwt);
    srr_sa_key_destroy(&key);
}

static srr_gtoken *token_for(fake_sheets *fs, const char *url_override)
{
    srr_sa_key *key = load_key(fake_sheets_token_url(fs));
    srr_gtoken *t = NULL;
    srr_http_opts http = {.timeout_ms = 5000};
    srr_error err = {0};
    cr_assert_eq(srr_gtoken_create(&key, SRR_SHEETS_SCOPE, url_override, &http, &t, &err), SRR_OK);
    cr_assert_null(key, "the token source takes the key over");
    return t;
}

Test(jwt, token_exchange_verified_by_the_fake_and_cached, .timeout = 30)
{
    const tu_sa_key *k = tu_sa_key_get(FAKE_SHEETS_EMAIL, "x");
    fake_sheets *fs = fake_sheets_start(k->pub_pem);
    srr_gtoken *t = token_for(fs, NULL);
    const char *tok = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_gtoken_get(t, &tok, &err), SRR_OK, "%s", err.msg);
    cr_assert(strncmp(tok, "ya29.fake-1-", 12) == 0, "%s", tok);
    cr_assert_eq(fake_sheets_tokens_issued(fs), 1);
    cr_assert_eq(fake_sheets_grants_refused(fs), 0);
    fake_http_entry e;
    fake_http_entry_get(fake_sheets_http(fs), 0, &e);
    cr_assert_str_eq(e.path, "/token");
    cr_assert(strncmp(e.body,
                      "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
                      "&assertion=",
                      75) == 0,
              "%s", e.body);
    fake_http_entry_free(&e);
    for (int i = 0; i < 5; i++) {
        const char *again = NULL;
        cr_assert_eq(srr_gtoken_get(t, &again, &err), SRR_OK);
        cr_assert_str_eq(again, tok);
    }
    cr_assert_eq(fake_sheets_tokens_issued(fs), 1, "the token is cached until it expires");
    cr_assert_eq(srr_gtoken_fetches(t), 1);
    srr_gtoken_invalidate(t);
    cr_assert_eq(srr_gtoken_get(t, &tok, &err), SRR_OK);
    cr_assert_eq(fake_sheets_tokens_issued(fs), 2);
    srr_gtoken_destroy(&t);
    fake_sheets_stop(&fs);
}

Test(jwt, an_expired_token_is_replaced, .timeout = 30)
{
    const tu_sa_key *k = tu_sa_key_get(FAKE_SHEETS_EMAIL, "x");
    fake_sheets *fs = fake_sheets_start(k->pub_pem);
    fake_sheets_set_token_life(fs, 1);
    srr_gtoken *t = token_for(fs, NULL);
    const char *tok = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_gtoken_get(t, &tok, &err), SRR_OK, "%s", err.msg);
    char *first = srr_strdup(tok);
    struct timespec step = {0, 20 * 1000000L};
    int64_t deadline = srr_http_now_ms() + 10000;
    while (srr_gtoken_fetches(t) < 2) {
        cr_assert(srr_http_now_ms() < deadline, "the token was never renewed");
        cr_assert_eq(srr_gtoken_get(t, &tok, &err), SRR_OK, "%s", err.msg);
        nanosleep(&step, NULL);
    }
    cr_assert_str_neq(tok, first);
    cr_assert_eq(fake_sheets_tokens_issued(fs), 2);
    free(first);
    srr_gtoken_destroy(&t);
    fake_sheets_stop(&fs);
}

Test(jwt, refusals_are_permanent_and_outages_retryable, .timeout = 60)
{
    const tu_sa_key *k = tu_sa_key_get(FAKE_SHEETS_EMAIL, "x");
    char *pub = srr_strdup(k->pub_pem);
    /* the fake knows another key: the signature does not verify */
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    PEM_write_bio_PUBKEY(b, other);
    long n = BIO_get_mem_data(b, &p);
    char *other_pem = srr_strndup(p, (size_t)n);
    fake_sheets *fs = fake_sheets_start(other_pem);
    srr_gtoken *t = token_for(fs, NULL);
    const char *tok = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_gtoken_get(t, &tok, &err), SRR_EAUTH);
    cr_assert(strstr(err.msg, "invalid_grant: Invalid JWT Signature.") != NULL, "%s", err.msg);
    cr_assert_eq(fake_sheets_grants_refused(fs), 1);
    srr_gtoken_destroy(&t);
    fake_sheets_stop(&fs);

    fs = fake_sheets_start(pub);
    /* an audience the endpoint does not take as its own */
    char *url = srr_asprintf("%s?via=proxy", fake_sheets_token_url(fs));
    srr_sa_key *key = load_key("x");
    cr_assert_eq(srr_gtoken_create(&key, SRR_SHEETS_SCOPE, url, NULL, &t, &err), SRR_OK);
    cr_assert_eq(srr_gtoken_get(t, &tok, &err), SRR_EAUTH);
    cr_assert(strstr(err.msg, "Failed audience check") != NULL, "%s", err.msg);
    srr_gtoken_destroy(&t);
    free(url);
    url = srr_asprintf("%s/token", fake_sheets_url(fs));
    key = load_key("x");
    cr_assert_eq(
        srr_gtoken_create(&key, "https://www.googleapis.com/auth/calendar", url, NULL, &t, &err),
        SRR_OK);
    cr_assert_eq(srr_gtoken_get(t, &tok, &err), SRR_EAUTH);
    cr_assert(strstr(err.msg, "invalid_scope") != NULL, "%s", err.msg);
    srr_gtoken_destroy(&t);
    free(url);
    /* the token endpoint down: retryable */
    t = token_for(fs, NULL);
    fake_http_set_outage(fake_sheets_http(fs), 503, "{\"error\":\"temporarily_unavailable\"}", 0);
    cr_assert_eq(srr_gtoken_get(t, &tok, &err), SRR_RETRY, "%s", err.msg);
    fake_http_set_outage(fake_sheets_http(fs), 0, NULL, 0);
    cr_assert_eq(srr_gtoken_get(t, &tok, &err), SRR_OK, "%s", err.msg);
    srr_gtoken_destroy(&t);
    fake_sheets_stop(&fs);
    free(other_pem);
    BIO_free(b);
    EVP_PKEY_free(other);
    free(pub);
}
