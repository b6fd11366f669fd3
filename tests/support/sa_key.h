/* SPDX-License-Identifier: Apache-2.0
 *
 * sa_key.h - a Google service-account key made at test time: an RSA-2048
 * key generated with libcrypto (no private key is ever committed), written
 * as the JSON key file Google hands out, with its public half in PEM for
 * the fake token endpoint to verify signatures with.
 */
#ifndef SRR_TESTS_SA_KEY_H
#define SRR_TESTS_SA_KEY_H

/* A generated key (once per process; tests fork, so once per test). */
typedef struct tu_sa_key {
    char *json;    /* the key file's text: type, project_id, private_key_id,
                      private_key (PKCS#8 PEM), client_email, token_uri, ... */
    char *pub_pem; /* the public key, "-----BEGIN PUBLIC KEY-----" */
} tu_sa_key;

/* Returns the process's key for `email` and `token_uri` (both copied into
 * the JSON). Aborts the test when libcrypto fails. Do not free. */
const tu_sa_key *tu_sa_key_get(const char *email, const char *token_uri);

/* Writes the key file to dir/name and returns its path (caller frees). */
char *tu_sa_key_write(const char *dir, const char *name, const char *email, const char *token_uri);

#endif
