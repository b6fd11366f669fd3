/* SPDX-License-Identifier: Apache-2.0
 *
 * test_fake_notion.c - the fake Notion API of tests/support refuses what
 * Notion refuses, checked with raw requests (no srr code in between): the
 * auth and version headers, data sources before 2025-09-03, property types
 * and options against the schema, 2,001-character text items, 101 blocks
 * in one request, `archived` in 2026-03-11, and 429 past 3 requests/s. The
 * sink's tests (test_notion.c) rely on it to enforce these.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_notion.h"
#include "srr.h"

static fake_notion *g_fn;

static void setup(void)
{
    g_fn = fake_notion_start(0);
    cr_assert_not_null(g_fn);
    fake_notion_set_rate(g_fn, 500, 100);
    /* The schema `srr notion setup` would leave: enough for these checks. */
    fake_notion_add_property(g_fn, "ID", "{\"rich_text\":{}}");
    fake_notion_add_property(g_fn, "Status", "{\"select\":{\"options\":[{\"name\":\"draft\"}]}}");
}

static void teardown(void)
{
    fake_notion_stop(&g_fn);
}

TestSuite(fake_notion, .init = setup, .fini = teardown, .timeout = 60);

static size_t sink_body(char *p, size_t size, size_t n, void *arg)
{
    srr_buf_append(arg, p, size * n);
    return size * n;
}

/* One raw request to the fake; returns the status, *code Notion's code. */
static long raw(fake_notion *f, const char *method, const char *path, const char *token,
                const char *version, const char *body, char code[64])
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char *url = srr_asprintf("%s/v1/%s", fake_notion_url(f), path), line[256];
    srr_buf out;
    long status = 0;
    json_t *j;
    srr_buf_init(&out, 0);
    if (token) {
        snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
        h = curl_slist_append(h, line);
    }
    if (version) {
        snprintf(line, sizeof(line), "Notion-Version: %s", version);
        h = curl_slist_append(h, line);
    }
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    cr_assert_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    j = out.data ? json_loads(out.data, 0, NULL) : NULL;
    snprintf(code, 64, "%s",
             json_string_value(json_object_get(j, "code"))
                 ? json_string_value(json_object_get(j, "code"))
                 : "");
    json_decref(j);
    srr_buf_free(&out);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(url);
    return status;
}

Test(fake_notion, refuses_what_notion_refuses)
{
    const char *v = "2026-03-11", *tok = FAKE_NOTION_TOKEN;
    char code[64], *path, *body, *big;
    json_t *kids = json_array();
    int i;
    path = srr_asprintf("data_sources/%s", fake_notion_data_source(g_fn));
    cr_assert_eq(raw(g_fn, "GET", path, NULL, v, NULL, code), 401);
    cr_assert_str_eq(code, "unauthorized");
    cr_assert_eq(raw(g_fn, "GET", path, "secret_not_ours", v, NULL, code), 401);
    cr_assert_eq(raw(g_fn, "GET", path, tok, NULL, NULL, code), 400);
    cr_assert_str_eq(code, "missing_version");
    cr_assert_eq(raw(g_fn, "GET", path, tok, "2022-06-28", NULL, code), 400,
                 "data sources need 2025-09-03 or later");
    cr_assert_eq(raw(g_fn, "GET", path, tok, v, NULL, code), 200);
    free(path);
    /* Property types against the schema. */
    body = srr_asprintf("{\"parent\":{\"data_source_id\":\"%s\"},\"properties\":"
                        "{\"Status\":{\"rich_text\":[]}}}",
                        fake_notion_data_source(g_fn));
    cr_assert_eq(raw(g_fn, "POST", "pages", tok, v, body, code), 400);
    cr_assert_str_eq(code, "validation_error");
    free(body);
    body = srr_asprintf("{\"parent\":{\"data_source_id\":\"%s\"},\"properties\":"
                        "{\"Nope\":{\"rich_text\":[]}}}",
                        fake_notion_data_source(g_fn));
    cr_assert_eq(raw(g_fn, "POST", "pages", tok, v, body, code), 400);
    free(body);
    body = srr_asprintf("{\"parent\":{\"data_source_id\":\"%s\"},\"properties\":"
                        "{\"Status\":{\"select\":{\"name\":\"no such option\"}}}}",
                        fake_notion_data_source(g_fn));
    cr_assert_eq(raw(g_fn, "POST", "pages", tok, v, body, code), 400);
    free(body);
    /* 2,001 characters in one item; 101 blocks in one request. */
    big = srr_malloc(2002);
    memset(big, 'x', 2001);
    big[2001] = '\0';
    body = srr_asprintf("{\"parent\":{\"data_source_id\":\"%s\"},\"properties\":{\"ID\":"
                        "{\"rich_text\":[{\"text\":{\"content\":\"%s\"}}]}}}",
                        fake_notion_data_source(g_fn), big);
    cr_assert_eq(raw(g_fn, "POST", "pages", tok, v, body, code), 400);
    free(body);
    big[2000] = '\0';
    body = srr_asprintf("{\"parent\":{\"data_source_id\":\"%s\"},\"properties\":{\"ID\":"
                        "{\"rich_text\":[{\"text\":{\"content\":\"%s\"}}]}}}",
                        fake_notion_data_source(g_fn), big);
    cr_assert_eq(raw(g_fn, "POST", "pages", tok, v, body, code), 200, "%s",
                 fake_notion_last_rejection(g_fn));
    free(body);
    free(big);
    for (i = 0; i < 101; i++)
        json_array_append_new(kids, json_pack("{s:{s:[]}}", "paragraph", "rich_text"));
    {
        char *k = json_dumps(kids, JSON_COMPACT);
        body = srr_asprintf("{\"parent\":{\"data_source_id\":\"%s\"},\"children\":%s}",
                            fake_notion_data_source(g_fn), k);
        cr_assert_eq(raw(g_fn, "POST", "pages", tok, v, body, code), 400);
        free(body);
        free(k);
    }
    json_decref(kids);
    /* `archived` is gone in 2026-03-11. */
    {
        json_t *pages = fake_notion_pages(g_fn);
        char *p = srr_asprintf("pages/%s",
                               json_string_value(json_object_get(json_array_get(pages, 0), "id")));
        cr_assert_eq(raw(g_fn, "PATCH", p, tok, v, "{\"archived\":true}", code), 400);
        cr_assert_eq(raw(g_fn, "PATCH", p, tok, v, "{\"in_trash\":true}", code), 200);
        free(p);
        json_decref(pages);
    }
    /* Past 3 requests/s: 429 with Retry-After. */
    fake_notion_set_rate(g_fn, 3, 3);
    for (i = 0; i < 5; i++)
        raw(g_fn, "GET", "users/me", tok, v, NULL, code);
    cr_assert_str_eq(code, "rate_limited");
    cr_assert_geq(fake_notion_rate_limited(g_fn), 1);
}
