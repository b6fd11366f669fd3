/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_notion_internal.h - what the parts of the fake Notion share:
 * fake_notion.c (the HTTP side: libmicrohttpd, auth and version headers,
 * the rate limit, faults, routing), fake_notion_model.c (the workspace and
 * its endpoints), fake_notion_values.c (the checks Notion applies to what
 * is written) and fake_notion_access.c (the tests' reads and people's
 * edits). The workspace is jansson values guarded by the one mutex `mu`.
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
    const char *path;    /* after "/v1/" */
    const char *query;   /* raw query string ("" when none) */
    json_t *body;        /* parsed body or NULL */
    const char *version; /* Notion-Version */
    const char *user_id; /* who is calling */
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

/* Checks and stored forms (fake_notion_values.c; mu held). rich_text:
 * validates an array at `where`, *out the stored items. plain: its text
 * (caller frees). insert_blocks: validates `in` and inserts the blocks
 * under parent at pos (new ones appended to added, may be NULL). kids: the
 * child list of a parent (created empty). set_props: validates and sets
 * body.properties on a page's properties (all or nothing). Return 0, or
 * -1 with *err. */
int fn_rich_text(const json_t *in, const char *where, json_t **out, json_t **err);
char *fn_plain(const json_t *rich_text);
int fn_text_block(const char *type);
int fn_insert_blocks(fake_notion *f, const json_t *in, const char *parent, int parent_is_page,
                     size_t pos, const char *user, json_t *added, json_t **err);
json_t *fn_kids(fake_notion *f, const char *parent);
const json_t *fn_option_named(const json_t *conf, const char *type, const char *name,
                              const char *id);
json_t *fn_empty_value(const json_t *conf);
int fn_set_props(fake_notion *f, json_t *page_props, const json_t *schema, const json_t *in,
                 json_t **err);

/* The workspace (fake_notion_model.c; mu held): a page's last edit is
 * `user` at the clock plus offset; a schema update as PATCH data source
 * applies it; a user added. */
void fn_touch_page(fake_notion *f, const char *page_id, const char *user, long offset);
int fn_update_schema(fake_notion *f, json_t *ds, const json_t *props, json_t **err);
void fn_add_user(fake_notion *f, const char *id, const char *type, const char *name,
                 const char *email);

/* Sets up the workspace (mu not needed: called before the server runs). */
void fn_model_init(fake_notion *f);
void fn_model_free(fake_notion *f);

#endif
