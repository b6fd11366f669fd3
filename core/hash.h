/* SPDX-License-Identifier: Apache-2.0
 *
 * hash.h - SHA-256 (FIPS 180-4) for deterministic ids and fingerprints.
 * Not used for anything secret.
 */
#ifndef SRR_HASH_H
#define SRR_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct srr_sha256 {
    uint32_t h[8];
    uint64_t total;
    unsigned char block[64];
    size_t used;
} srr_sha256;

void srr_sha256_init(srr_sha256 *c);
void srr_sha256_update(srr_sha256 *c, const void *data, size_t len);
void srr_sha256_final(srr_sha256 *c, unsigned char out[32]);

/* Hex SHA-256 of the NUL-separated parts (parts[0] "\0" parts[1] ...), cut
 * to `hexlen` characters (<= 64) and NUL-terminated in out (hexlen+1 bytes).
 * NULL parts hash as empty strings. */
void srr_hash_id(const char *const *parts, size_t nparts, size_t hexlen, char *out);

#endif
