/* SPDX-License-Identifier: Apache-2.0
 *
 * redact.c - the secret registry and redaction of redact.h.
 */
#include "redact.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SECRETS 16

static pthread_mutex_t g_secret_mu = PTHREAD_MUTEX_INITIALIZER;
static char *g_secrets[MAX_SECRETS];
static size_t g_nsecrets;

/* Every run of SECRET_RUN bytes of every registered secret, as a sorted
 * array of 64-bit words, so a line is searched for pieces of a secret (an
 * error body quoting part of a key) with one load and a binary search per
 * position. Rebuilt on registration (under g_secret_mu). */
#define SECRET_RUN 8
static uint64_t *g_grams;
static size_t g_ngrams;

static void *must(void *p)
{
    if (!p) { /* as srr_malloc: srr does not run on without memory */
        fputs("srr: out of memory in the secret registry\n", stderr);
        abort();
    }
    return p;
}

static uint64_t gram_at(const char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static int gram_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Under g_secret_mu. */
static void grams_rebuild(void)
{
    size_t i, j, n = 0;
    for (i = 0; i < g_nsecrets; i++) {
        size_t l = strlen(g_secrets[i]);
        if (l >= SECRET_RUN)
            n += l - SECRET_RUN + 1;
    }
    free(g_grams);
    g_grams = must(calloc(n ? n : 1, sizeof *g_grams));
    g_ngrams = 0;
    for (i = 0; i < g_nsecrets; i++) {
        size_t l = strlen(g_secrets[i]);
        for (j = 0; l >= SECRET_RUN && j + SECRET_RUN <= l; j++)
            g_grams[g_ngrams++] = gram_at(g_secrets[i] + j);
    }
    qsort(g_grams, g_ngrams, sizeof *g_grams, gram_cmp);
}

/* Replaces every run of buf covered by SECRET_RUN-byte pieces of a
 * registered secret with the mask (under g_secret_mu). */
static void redact_pieces(char *buf, size_t cap, const char *mask)
{
    size_t len = strlen(buf), i, o = 0, mlen = strlen(mask);
    unsigned char *hit;
    char *out;
    int any = 0;
    if (g_ngrams == 0 || len < SECRET_RUN)
        return;
    hit = must(calloc(len, 1));
    for (i = 0; i + SECRET_RUN <= len; i++) {
        uint64_t g = gram_at(buf + i);
        if (bsearch(&g, g_grams, g_ngrams, sizeof g, gram_cmp)) {
            memset(hit + i, 1, SECRET_RUN);
            any = 1;
        }
    }
    if (!any) {
        free(hit);
        return;
    }
    out = must(malloc(cap));
    for (i = 0; i < len && o + 1 < cap;) {
        if (hit[i]) {
            while (i < len && hit[i])
                i++;
            if (o + mlen + 1 > cap)
                break;
            memcpy(out + o, mask, mlen);
            o += mlen;
        } else {
            out[o++] = buf[i++];
        }
    }
    out[o] = '\0';
    memcpy(buf, out, o + 1);
    free(out);
    free(hit);
}

void srr_secret_register(const char *secret)
{
    size_t i;
    if (!secret || strlen(secret) < 4)
        return;
    pthread_mutex_lock(&g_secret_mu);
    for (i = 0; i < g_nsecrets; i++)
        if (strcmp(g_secrets[i], secret) == 0)
            break;
    if (i == g_nsecrets && g_nsecrets < MAX_SECRETS) {
        char *copy = strdup(secret);
        if (!copy) { /* as srr_malloc: srr does not run on without memory */
            fputs("srr: out of memory registering a secret\n", stderr);
            abort();
        }
        g_secrets[g_nsecrets++] = copy;
        grams_rebuild();
    }
    pthread_mutex_unlock(&g_secret_mu);
}

void srr_redact(char *buf, size_t cap)
{
    static const char mask[] = "[REDACTED]";
    size_t i, mlen = sizeof(mask) - 1;
    if (!buf || cap == 0)
        return;
    pthread_mutex_lock(&g_secret_mu);
    for (i = 0; i < g_nsecrets; i++) {
        size_t slen = strlen(g_secrets[i]);
        char *p = buf;
        while ((p = strstr(p, g_secrets[i])) != NULL) {
            size_t tail = strlen(p + slen);
            size_t pos = (size_t)(p - buf);
            /* Room for the mask and the tail (truncate the tail if not). */
            if (pos + mlen >= cap) {
                *p = '\0';
                break;
            }
            if (pos + mlen + tail >= cap)
                tail = cap - pos - mlen - 1;
            memmove(p + mlen, p + slen, tail);
            memcpy(p, mask, mlen);
            p[mlen + tail] = '\0';
            p += mlen;
        }
    }
    /* and any piece of one: an error body may quote part of a key */
    redact_pieces(buf, cap, mask);
    pthread_mutex_unlock(&g_secret_mu);
}
