/* SPDX-License-Identifier: Apache-2.0
 *
 * sa_key.c - the test service-account key of sa_key.h: EVP_PKEY_Q_keygen for
 * RSA-2048, PEM_write_bio_PrivateKey (PKCS#8, as Google's keys are) and
 * PEM_write_bio_PUBKEY, wrapped in the JSON layout of a downloaded key.
 */
#include "sa_key.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srr.h"

static EVP_PKEY *g_key;
static tu_sa_key g_out;

static char *bio_text(BIO *b)
{
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    return srr_strndup(p, (size_t)n);
}

const tu_sa_key *tu_sa_key_get(const char *email, const char *token_uri)
{
    BIO *priv, *pub;
    char *priv_pem;
    json_t *j;
    if (!g_key) {
        g_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        if (!g_key) {
            fprintf(stderr, "sa_key: RSA key generation failed\n");
            abort();
        }
    }
    priv = BIO_new(BIO_s_mem());
    pub = BIO_new(BIO_s_mem());
    if (!priv || !pub || PEM_write_bio_PrivateKey(priv, g_key, NULL, NULL, 0, NULL, NULL) != 1 ||
        PEM_write_bio_PUBKEY(pub, g_key) != 1) {
        fprintf(stderr, "sa_key: cannot write the key as PEM\n");
        abort();
    }
    priv_pem = bio_text(priv);
    free(g_out.json);
    free(g_out.pub_pem);
    g_out.pub_pem = bio_text(pub);
    j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "service_account",
                  "project_id", "srr-test", "private_key_id", "0123456789abcdef0123456789abcdef",
                  "private_key", priv_pem, "client_email", email, "client_id",
                  "100000000000000000001", "auth_uri", "https://accounts.google.com/o/oauth2/auth",
                  "token_uri", token_uri);
    g_out.json = json_dumps(j, JSON_INDENT(2));
    json_decref(j);
    free(priv_pem);
    BIO_free(priv);
    BIO_free(pub);
    return &g_out;
}

char *tu_sa_key_write(const char *dir, const char *name, const char *email, const char *token_uri)
{
    const tu_sa_key *k = tu_sa_key_get(email, token_uri);
    char *path = srr_asprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(k->json, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "sa_key: cannot write %s\n", path);
        abort();
    }
    return path;
}
