/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_notion_internal.h - what the two halves of the fake Notion share:
 * fake_notion.c (the HTTP side: libmicrohttpd, auth and version headers,
 * the rate limit, faults, routing) and fake_notion_model.c (the workspace:
 * users, the database and its data source, pages, blocks, comments, the
 * validation Notion applies, queries, and the test accessors). The model
 * is jansson values guarded by the one mutex `mu`.
 */
#ifndef SRR_TESTS_FAKE_NOTION_INTERNAL_H
#define SRR_TESTS_FAKE_NOTION_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>

#include "fake_notion.h"

struct fake_notion {
    struct MHD_Daemon *d;
    unsigned short port;
    char url[64];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping;
    /* the workspace */
    char bot_id[40], db_id[40], ds_id[40];
    json_t *users;      /* id -> user */
    json_t *tokens;     /* token -> user id */
    json_t *databases;  /* id -> database */
    json_t *sources;    /* id -> data source */
    json_t *pages;      /* id -> page */
    json_t *page_order; /* [id] in creation order */
    json_t *blocks;     /* id -> block */
    json_t *children;   /* parent id -> [block id] */
    json_t *comments;   /* [comment] */
    unsigned long next_id;
    long edit_offset;
    /* rate limit */
    double rate, bucket, refilled_at, retry_until;
    unsigned burst;
    /* faults */
    int down, fail_status, lose_create, hold;
    unsigned fail_n, conflict_n, held;
    unsigned long release_gen;
    /* counters */
    unsigned requests, rate_limited, violations, rejected;
    json_t *route_counts; /* route -> count */
    char *last_rejection;
};

/* A request as the model sees it. */
typedef struct fn_request {
    const char *method;
    const char *path;     /* after "/v1/" */
    const char *query;    /* raw query string ("" when none) */
    json_t *body;         /* parsed body or NULL */
    const char *version;  /* Notion-Version */
    const char *user_id;  /* who is calling */
} fn_request;

/* Handles one API request (mu held). Returns the HTTP status and sets
 * *resp (new reference). */
int fn_model_handle(fake_notion *f, const fn_request *rq, json_t **resp);

/* Builds an error body (new reference). */
json_t *fn_error(int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The clock as Notion writes it, "2026-12-07T20:36:22.000Z", plus offset. */
void fn_now_iso(long offset, char out[32]);
/* A new id "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx" (mu held). */
void fn_new_id(fake_notion *f, char out[40]);

/* Sets up the workspace (mu not needed: called before the server runs). */
void fn_model_init(fake_notion *f);
void fn_model_free(fake_notion *f);

#endif
