/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_notion.h - a fake Notion API for tests (and the README's demo), on
 * libmicrohttpd bound to 127.0.0.1 on a free port, that enforces what the
 * real one enforces (see /shared/notion-api.md):
 *   - `Authorization: Bearer <token>` of a known integration or person
 *     (else 401 unauthorized) and a `Notion-Version` header (else 400
 *     missing_version; data-source endpoints need 2025-09-03 or later;
 *     `archived` is refused from 2026-03-11);
 *   - property values whose type matches the data source's schema, select
 *     options that exist (no commas), known people, URLs of at most 2,000
 *     characters (400 validation_error naming the property);
 *   - rich-text items of at most 2,000 characters (UTF-16 units), at most
 *     100 items, at most 100 blocks per create or append;
 *   - a rate limit (default 3 requests/s, burst 3): past it 429 rate_limited
 *     with Retry-After in seconds; requests that arrive before that time
 *     has passed are counted as violations;
 *   - error bodies {"object":"error","status","code","message","request_id"}.
 * It keeps one database with one data source (whose schema starts with a
 * title property "Name" only), pages, blocks and comments, and offers the
 * endpoints srr's Notion sink uses: databases, data sources (get, update,
 * query with property / last_edited_time filters, sorts, paging and
 * filter_properties), pages, block children (list, append with position),
 * blocks (update, delete), comments, users.
 *
 * Faults for tests: the API down (every request answered 503 or 500/504),
 * the next N requests failing, 409 conflicts, a create applied but answered
 * 504 (the answer lost), and creates held after being applied until
 * released (to SIGKILL the client between a create and its local mark).
 * People's edits are made through accessors that stamp last_edited_by
 * with a person and last_edited_time with the clock (plus an offset).
 * GET /_fake/dump (no auth) answers a text rendering of every page.
 * Every function is thread-safe.
 */
#ifndef SRR_TESTS_FAKE_NOTION_H
#define SRR_TESTS_FAKE_NOTION_H

#include <jansson.h>
#include <stdio.h>

typedef struct fake_notion fake_notion;

#define FAKE_NOTION_TOKEN "secret_fake_integration_token_42"

/* Starts the server with the integration token FAKE_NOTION_TOKEN, a bot
 * user, one database and one data source. NULL (message on stderr) when it
 * cannot start. `port` 0: the kernel chooses. */
fake_notion *fake_notion_start(unsigned short port);
/* The same over HTTPS with the given PEM certificate and key, which must
 * stay valid until stop: its URL starts with https://. */
fake_notion *fake_notion_start_tls(const char *cert_pem, const char *key_pem);
void fake_notion_stop(fake_notion **f);

const char *fake_notion_url(const fake_notion *f);      /* "http://127.0.0.1:<port>" */
const char *fake_notion_database(const fake_notion *f); /* the database id */
const char *fake_notion_data_source(const fake_notion *f);
const char *fake_notion_bot(const fake_notion *f); /* the integration's user id */

/* A person (user id returned, static until stop) with an email; `token`
 * (may be NULL) lets them call the API too. */
const char *fake_notion_add_person(fake_notion *f, const char *name, const char *email,
                                   const char *token);
/* Adds a property to the schema as a team would (config: {"type":
 * {...}}, e.g. {"select":{"options":[{"name":"a"}]}}). */
void fake_notion_add_property(fake_notion *f, const char *name, const char *config_json);
/* Adds a second data source to the database. */
void fake_notion_add_data_source(fake_notion *f, const char *name);

/* Rate limit: `rate` requests/s with a burst of `burst` (0 rate: off). */
void fake_notion_set_rate(fake_notion *f, double rate, unsigned burst);

/* Faults. set_down: every request is answered `status` (0: up again).
 * fail_next: the next n requests are answered `status` without effect.
 * conflict_next: the next n writes are answered 409 conflict_error.
 * lose_next_create: the next create is applied and answered 504.
 * hold_creates: creates are applied, then their answer waits until
 * release_held (or stop); held counts creates waiting. */
void fake_notion_set_down(fake_notion *f, int status);
void fake_notion_fail_next(fake_notion *f, int status, unsigned n);
void fake_notion_conflict_next(fake_notion *f, unsigned n);
void fake_notion_lose_next_create(fake_notion *f);
void fake_notion_hold_creates(fake_notion *f, int on);
unsigned fake_notion_held(fake_notion *f);
void fake_notion_release_held(fake_notion *f);

/* Seconds added to the clock that stamps people's edits (accessors below). */
void fake_notion_set_edit_offset(fake_notion *f, long seconds);

/* Counters. requests: every request; count: those of "METHOD /v1/<route>"
 * where route names the endpoint with its ids as "{id}", e.g.
 * "POST /v1/pages", "PATCH /v1/pages/{id}", "PATCH /v1/blocks/{id}/children",
 * "POST /v1/data_sources/{id}/query"; rate_limited: 429s sent; violations:
 * requests that came before an announced Retry-After had passed; rejected:
 * 4xx other than 409 and 429. */
unsigned fake_notion_requests(fake_notion *f);
unsigned fake_notion_count(fake_notion *f, const char *route);
unsigned fake_notion_rate_limited(fake_notion *f);
unsigned fake_notion_violations(fake_notion *f);
unsigned fake_notion_rejected(fake_notion *f);
/* The last 4xx answer's body other than 429 (caller frees), or NULL. */
char *fake_notion_last_rejection(fake_notion *f);
void fake_notion_reset_counters(fake_notion *f);

/* Reads (new references / strings the caller frees). pages: every page not
 * in the trash, in creation order. page_of: the page whose property `prop`
 * (rich_text or title) is `value`, or NULL. prop_text: a property's value
 * as text (select name, plain text, url, people ids joined by ','),
 * NULL if absent. page_text: the page's blocks as lines ("## Heading",
 * "- item", paragraphs). comments: the texts of the page's comments. */
json_t *fake_notion_pages(fake_notion *f);
json_t *fake_notion_page_of(fake_notion *f, const char *prop, const char *value);
char *fake_notion_prop_text(fake_notion *f, const char *page_id, const char *prop);
char *fake_notion_page_text(fake_notion *f, const char *page_id);
json_t *fake_notion_comments(fake_notion *f, const char *page_id);
json_t *fake_notion_schema(fake_notion *f);
/* Writes every page (properties and body) as text. */
void fake_notion_dump(fake_notion *f, FILE *out);

/* People's edits, stamped with `user_id` and the clock. edit_property sets
 * a property's value (request JSON, e.g. {"select":{"name":"open"}});
 * edit_section replaces the text of the blocks under the heading `title`
 * by one paragraph; append_entry adds a bulleted item at the end of that
 * section. Return 0, or -1 when the page or heading is not there. */
int fake_notion_edit_property(fake_notion *f, const char *page_id, const char *prop,
                              const char *value_json, const char *user_id);
int fake_notion_edit_section(fake_notion *f, const char *page_id, const char *title,
                             const char *text, const char *user_id);
int fake_notion_append_entry(fake_notion *f, const char *page_id, const char *title,
                             const char *text, const char *user_id);

#endif
