/* SPDX-License-Identifier: Apache-2.0
 *
 * notion.h - what the files of the Notion sink share (internal to sinks/):
 * its options and instance (notion.c: the plugin, setup, delivery;
 * notion_ctx.c: what the other files ask of the instance - people, kinds,
 * the schema checked - so none of them calls back into notion.c), the
 * HTTP client (notion_http.c: libcurl, auth and version headers, pacing to
 * the rate limit, retries), the page as srr renders it (notion_blocks.c:
 * properties, the SRR sections as blocks within Notion's limits, reading
 * a page's blocks back into sections), writing it (notion_page.c: create
 * once, update what changed) and the edits coming back (notion_edits.c:
 * the poll).
 *
 * Facts about the API are in /shared/notion-api.md (DESIGN.md 4b).
 */
#ifndef SRR_NOTION_H
#define SRR_NOTION_H

#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "sink.h"
#include "srr.h"

/* The Notion-Version srr pins. 2026-03-11 because it is the newest version
 * the official SDK knows and it has everything srr relies on: the
 * data-source endpoints (2025-09-03: a database may hold several data
 * sources, and a client on 2022-06-28 breaks as soon as a team adds a
 * second one), `in_trash` instead of `archived`, and `position` for
 * appending after a block (the log entries go in the middle of a page).
 * Every list call sends filter_properties, which 2026-12-01 will require. */
#define SRR_NOTION_VERSION "2026-03-11"
#define SRR_NOTION_TEXT_MAX 2000  /* characters per rich-text item */
#define SRR_NOTION_RT_ITEMS 100   /* rich-text items per array */
#define SRR_NOTION_APPEND_MAX 100 /* blocks per append (and per create) */
#define SRR_NOTION_PAGE_SIZE 100  /* items per list page */
#define SRR_NOTION_URL_MAX 2000

/* The notion: section, filled by the option table in notion.c. */
typedef struct notion_opts {
    char *database_id;
    char *data_source_id;
    char *api_url;
    char *token_env;
    char *token_file;
    srr_kv *properties; /* srr field -> property name ("" leaves it out) */
    size_t nproperties;
    srr_kv *people; /* srr member -> Notion user id or email */
    size_t npeople;
    char **kinds; /* record kinds mirrored; all when unset */
    size_t nkinds;
    long long requests_per_second;
    long long max_attempts;
    int64_t timeout_s;
    int64_t connect_timeout_s;
    int64_t max_wait_s;
    int64_t poll_interval_s;
    int64_t review_in_s;
} notion_opts;

/* ---- HTTP (notion_http.c) ---------------------------------------------- */

typedef struct notion_http notion_http;

/* A client for base_url (no trailing slash) with the integration token
 * (registered as a secret: never logged). Paces requests to
 * o->requests_per_second. NULL-safe destroy. */
notion_http *notion_http_create(const char *base_url, const char *token, const notion_opts *o);
void notion_http_destroy(notion_http **h);

/* Sends METHOD base/v1/<path> with `body` (may be NULL) and the auth,
 * version and content-type headers. Waits as the rate limit requires;
 * retries a 429 / 529 after its Retry-After (bounded by max_wait), and,
 * when `idempotent` (a GET, or a PATCH that sets absolute values), 409,
 * 5xx, timeouts and connection errors with backoff, up to max_attempts.
 * Returns SRR_OK with *out the answer (caller decrefs; may be NULL);
 * SRR_RETRY when it should be tried later (*retry_after gets the server's
 * advice in seconds, 0 if none); SRR_EINVAL for 400 (Notion's message in
 * err), SRR_EAUTH for 401 / 403, SRR_ENOTFOUND for 404. */
srr_rc notion_http_call(notion_http *h, const char *method, const char *path, const json_t *body,
                        int idempotent, json_t **out, int64_t *retry_after, srr_error *err);
/* Requests sent so far (every attempt counts). */
unsigned long notion_http_requests(const notion_http *h);

/* ---- the instance (notion.c) ------------------------------------------- */

/* The properties srr writes, in this order (index into notion_ctx.prop). */
enum {
    NP_TITLE = 0,
    NP_ID,
    NP_KIND,
    NP_STATUS,
    NP_URGENCY,
    NP_SERVICE,
    NP_ASSIGNEE,
    NP_DATADOG_URL,
    NP_BACKLOG_URL,
    NP_POSTMORTEM_URL,
    NP_NEXT_REVIEW,
    NP_FIRST_SEEN,
    NP_LAST_SEEN,
    NP_OCCURRENCES,
    NP_LABELS,
    NP__COUNT
};

/* One property srr writes: its field, the team's name for it (NULL: left
 * out), the types it may have and, once the schema is read, the one it has
 * and its id. */
typedef struct notion_prop {
    const char *field; /* "status" */
    const char *deflt; /* default name: "Status" */
    const char *types; /* accepted types, the first is what setup creates */
    const char *name;  /* configured name, NULL when left out */
    char type[24];     /* the schema's type ("" until read) */
    char *id;          /* the schema's property id */
} notion_prop;

typedef struct notion_person {
    char *member;  /* srr member */
    char *user_id; /* Notion user id (resolved from an email when needed) */
} notion_person;

typedef struct notion_ctx {
    notion_opts *o;        /* borrowed from the outbox */
    const srr_config *cfg; /* borrowed */
    char *token;           /* the integration token (secret) */
    notion_http *http;
    char *ds_id;  /* the data source */
    char *bot_id; /* the integration's own user (GET /v1/users/me) */
    notion_prop prop[NP__COUNT];
    json_t *schema; /* the data source's properties map (name -> config) */
    notion_person *people;
    size_t npeople;
    const char *o_title; /* notion.properties.title, NULL: whatever the title is */
    char *title_name;    /* the title property's name in the schema */
    int schema_ok;       /* the schema was checked for delivery */
    int64_t next_poll;
} notion_ctx;

/* ---- what the files ask of the instance (notion_ctx.c) ------------------ */

/* Reads the database and its data source (schema, property ids) and checks
 * that every mapped property exists with an accepted type. `for_setup`
 * only reads. SRR_EINVAL names a missing or mistyped property (run
 * `srr notion setup`). */
srr_rc notion_load_schema(notion_ctx *c, int for_setup, srr_error *err);
/* Checks, once, that the schema has every mapped property with an accepted
 * type (notion_load_schema for delivery). SRR_EAUTH (the sink is not ready:
 * the pass stops and nothing is parked) naming what is wrong. */
srr_rc notion_ready(notion_ctx *c, srr_error *err);
/* Adds options the schema lacks to select / multi-select properties (the
 * names in `need`: {property name: [option names]}); nothing when none is
 * missing. Returns SRR_OK (c->schema then holds the new options) or
 * notion_http_call's error, *retry_after its advice. */
srr_rc notion_ensure_options(notion_ctx *c, const json_t *need, int64_t *retry_after,
                             srr_error *err);
/* The Notion user id of srr member `who` (NULL if unmapped), and the member
 * of a user id (NULL if unmapped). Both borrowed from c. */
const char *notion_user_of(const notion_ctx *c, const char *who);
const char *notion_member_of(const notion_ctx *c, const char *user_id);
/* 1 when records of `kind` are mirrored. */
int notion_kind_enabled(const notion_ctx *c, const char *kind);

/* ---- the page (notion_blocks.c) ---------------------------------------- */

/* The SRR sections of a page body, in order. */
enum {
    NS_OVERVIEW = 0,
    NS_RECOGNITION,
    NS_CAUSE,
    NS_POLICY,
    NS_COUNTERMEASURE,
    NS_NEXT,
    NS_WHY,
    NS_EVIDENCE,
    NS__COUNT
};

typedef struct notion_section {
    const char *key;   /* state key: "cause" */
    const char *title; /* the heading: "Cause" */
    int is_log;        /* one block per entry, appended */
    const char *field; /* the record field an edit sets ("cause"), NULL: srr's only */
} notion_section;

extern const notion_section NOTION_SECTIONS[NS__COUNT];

/* A rich-text array for `text`: items of at most 2,000 characters (UTF-16
 * code units, as Notion counts), at most 100 items (the rest is cut with a
 * note). `link` (may be NULL) links every item. New reference. */
json_t *notion_rich_text(const char *text, const char *link);
/* The plain text of a rich-text array (the items' plain_text or
 * text.content joined). Caller frees. */
char *notion_plain_text(const json_t *rich_text);

/* The properties of a record: *props gets the request JSON (name -> value)
 * and *canon the canonical text of each (name -> string) that srr compares
 * with what the page holds. *need gets the select options the values use
 * ({name: [option]}). New references. */
void notion_render_props(const notion_ctx *c, const json_t *rec, json_t **props, json_t **canon,
                         json_t **need);
/* The canonical text of a property value as Notion returns it (same form
 * as notion_render_props' canon). Caller frees. */
char *notion_canon_value(const notion_ctx *c, const json_t *value);

/* The body of a record: per section, its blocks (request JSON) and its
 * canonical content ({key: {"blocks": [..], "text": ".." | "entries":
 * [".."]}}). New reference. */
json_t *notion_render_body(const json_t *rec);
/* Every block of a rendered body in page order (headings included): new
 * reference. */
json_t *notion_body_blocks(const json_t *body);

/* The text of a section read back (its blocks' texts joined by newlines,
 * trailing blank lines dropped), and a text so trimmed. Caller frees. */
char *notion_section_text(const json_t *read_section);
char *notion_trimmed(const char *text);

/* Reads a page's top-level blocks (GET children, paginated) and splits
 * them by srr's headings: {key: {"head": id, "ids": [..], "texts": [..]}}
 * for every section found. New reference in *out. */
srr_rc notion_read_sections(notion_ctx *c, const char *page_id, json_t **out, int64_t *retry_after,
                            srr_error *err);

/* ---- writing a page (notion_page.c) ------------------------------------ */

/* The page whose ID property is `hid` (a copy the caller frees), or NULL
 * with *rc SRR_OK when there is none; *rc the error otherwise. */
char *notion_page_find(notion_ctx *c, const char *hid, int64_t *retry_after, srr_rc *rc,
                       srr_error *err);
/* Creates the page of `it` (props / canon: notion_render_props; body:
 * notion_render_body), noting the create with srr_sink_creating first.
 * res gets the page id and the memory. */
srr_rc notion_page_create(notion_ctx *c, srr_sink_host *host, const srr_sink_item *it,
                          const json_t *props, const json_t *canon, const json_t *body,
                          srr_sink_result *res, srr_error *err);
/* Updates `page` from the memory `state` (changed in place as the parts
 * land) to what props / canon / body say. *left is set to 1 when a section
 * a person changed meanwhile was left for the poll to settle. */
srr_rc notion_page_update(notion_ctx *c, const char *page, json_t *state, const json_t *props,
                          const json_t *canon, const json_t *body, int *left, int64_t *ra,
                          srr_error *err);

/* ---- edits (notion_edits.c) -------------------------------------------- */

/* The sink's poll: pages edited since the high-water mark, their changes
 * applied through srr_sink_apply_edit, refused ones commented on. */
srr_rc notion_poll(void *ctx, srr_sink_host *host, srr_error *err);

/* Posts a comment on a page (why an edit was refused or lost). */
srr_rc notion_comment(notion_ctx *c, const char *page_id, const char *text, srr_error *err);

#endif
