/* SPDX-License-Identifier: Apache-2.0
 *
 * hash.h - SHA-256 for deterministic ids and fingerprints, computed by
 * OpenSSL's libcrypto (EVP). Not used for anything secret.
 */
#ifndef SRR_HASH_H
#define SRR_HASH_H

#include <stddef.h>

/* SHA-256 of len bytes at data into out. Thread-safe. Aborts with a message
 * if libcrypto has no SHA-256 (a build without its default provider), as
 * srr_malloc does on out-of-memory: no id could be derived without it. */
void srr_sha256_of(const void *data, size_t len, unsigned char out[32]);

/* The same digest over pieces: init, update any number of times, final.
 * init takes a libcrypto context that final releases, so every init must
 * be followed by a final. Failures abort, as srr_sha256_of's. */
typedef struct srr_sha256 {
    void *ctx; /* EVP_MD_CTX, owned between init and final */
} srr_sha256;
void srr_sha256_init(srr_sha256 *c);
void srr_sha256_update(srr_sha256 *c, const void *data, size_t len);
void srr_sha256_final(srr_sha256 *c, unsigned char out[32]);

/* Hex SHA-256 of the NUL-separated parts (parts[0] "\0" parts[1] ...), cut
 * to `hexlen` characters (<= 64) and NUL-terminated in out (hexlen+1 bytes).
 * NULL parts hash as empty strings. Thread-safe. */
void srr_hash_id(const char *const *parts, size_t nparts, size_t hexlen, char *out);

#endif
