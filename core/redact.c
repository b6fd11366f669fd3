/* SPDX-License-Identifier: Apache-2.0
 *
 * redact.c - the secret registry and redaction of redact.h.
 */
#include "redact.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SECRETS 16

static pthread_mutex_t g_secret_mu = PTHREAD_MUTEX_INITIALIZER;
static char *g_secrets[MAX_SECRETS];
static size_t g_nsecrets;

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
    pthread_mutex_unlock(&g_secret_mu);
}
