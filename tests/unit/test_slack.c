/* SPDX-License-Identifier: Apache-2.0
 *
 * test_slack.c - the Slack messages (sinks/slack_msg.c) and the client
 * (sinks/slack_api.c) against the fake Slack over real HTTP: Block Kit
 * within its limits and escaped, one digest for a storm of drafts,
 * delivery by webhook and by chat.postMessage, the one-message-a-second
 * spacing, 429 + Retry-After honoured, an outage that delays messages and
 * loses none, permanent errors classified permanent, and the `slack:`
 * option table.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "fake_slack.h"
#include "http.h"
#include "record_views.h"
#include "slack_api.h"
#include "slack_config.h"
#include "slack_msg.h"

static srr_slack_item item(const char *id, const char *title)
{
    srr_slack_item it = {0};
    it.id = id;
    it.title = title;
    it.kind = "risk";
    it.urgency = "high";
    it.service = "checkout";
    it.why = "p99 latency above 2s for 3 days";
    it.datadog_url = "https://app.datadoghq.com/monitors/42?from=1&to=2";
    it.record_url = "https://www.notion.so/srr-42";
    return it;
}

static srr_slack *client(fake_slack *fs, int64_t min_interval_ms)
{
    srr_slack_opts o = {0};
    srr_slack *s = NULL;
    srr_error err = {0};
    o.webhook_url = fake_slack_webhook_url(fs);
    o.min_interval_ms = min_interval_ms;
    o.http.timeout_ms = 5000;
    cr_assert_eq(srr_slack_create(&o, &s, &err), SRR_OK, "%s", err.msg);
    return s;
}

/* Polls until the client may send again (the gate opens), 10 s at most. */
static void wait_ready(srr_slack *s)
{
    struct timespec step = {0, 10 * 1000000L};
    int64_t deadline = srr_http_now_ms() + 10000;
    while (srr_slack_retry_at_ms(s) != 0) {
        cr_assert(srr_http_now_ms() < deadline, "the gate never opened");
        nanosleep(&step, NULL);
    }
}

static size_t u8len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

Test(slack_msg, escapes_record_text)
{
    srr_slack_item it = item("SRR-7", "<!channel> & <b>loud</b>");
    it.why = "a > b && c < d";
    json_t *m = srr_slack_msg_event(SRR_SLACK_EV_PROMOTED, &it, "time-box of 14d ran out");
    char *txt = json_dumps(m, 0);
    cr_assert(strstr(txt, "&lt;!channel&gt; &amp; &lt;b&gt;loud&lt;/b&gt;") != NULL, "%s", txt);
    cr_assert(strstr(txt, "a &gt; b &amp;&amp; c &lt; d") != NULL, "%s", txt);
    cr_assert(strstr(txt, "<!channel>") == NULL);
    /* the URL's '&' is escaped too, the link markup stays */
    cr_assert(strstr(txt, "<https://app.datadoghq.com/monitors/42?from=1&amp;to=2|Datadog>"), "%s",
              txt);
    cr_assert(strstr(txt, "<https://www.notion.so/srr-42|SRR-7>") != NULL, "%s", txt);
    cr_assert_eq(srr_slack_msg_check(m, NULL), SRR_OK);
    free(txt);
    json_decref(m);
    char *e = srr_slack_escape("it's \"fine\"");
    cr_assert_str_eq(e, "it's \"fine\""); /* only & < > are touched */
    free(e);
}

Test(slack_msg, digest_of_a_storm_stays_within_block_kit_limits)
{
    enum { N = 300 };
    srr_slack_item *items = calloc(N, sizeof(*items));
    char ids[N][16];
    char *longwhy = malloc(12001), *longtitle = malloc(901);
    memset(longwhy, 'w', 12000);
    longwhy[12000] = '\0';
    for (int i = 0; i < 300; i++) /* multi-byte characters near the cut */
        memcpy(longtitle + 3 * i, "\xE3\x81\x82", 3);
    longtitle[900] = '\0';
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof(ids[i]), "SRR-%d", i + 1);
        items[i] = item(ids[i], i == 0 ? longtitle : "disk filling on db-1");
        if (i < 3)
            items[i].why = longwhy;
    }
    json_t *m = srr_slack_msg_digest(NULL, items, N, 0);
    srr_error err = {0};
    cr_assert_eq(srr_slack_msg_check(m, &err), SRR_OK, "%s", err.msg);
    json_t *blocks = json_object_get(m, "blocks");
    cr_assert_eq(json_array_size(blocks), SRR_SLACK_MAX_BLOCKS);
    for (size_t i = 0; i < json_array_size(blocks); i++) {
        json_t *t = json_object_get(json_object_get(json_array_get(blocks, i), "text"), "text");
        if (t)
            cr_assert_leq(u8len(json_string_value(t)), 3000);
    }
    const char *head = json_string_value(
        json_object_get(json_object_get(json_array_get(blocks, 0), "text"), "text"));
    cr_assert_str_eq(head, "*300 new SRR drafts*");
    char *txt = json_dumps(m, 0);
    cr_assert(strstr(txt, "and 252 more") != NULL, "%s", txt + strlen(txt) - 300);
    free(txt);
    const char *fb = json_string_value(json_object_get(m, "text"));
    cr_assert(u8len(fb) <= SRR_SLACK_MAX_FALLBACK);
    cr_assert(strncmp(fb, "300 new SRR drafts: SRR-1 ", 26) == 0, "%s", fb);
    json_decref(m);
    /* a digest shows at most max_items in full */
    m = srr_slack_msg_digest("Sweep of 2026-11-28", items, 30, 5);
    cr_assert_eq(json_array_size(json_object_get(m, "blocks")), 1 + 5 + 1);
    json_decref(m);
    free(items);
    free(longwhy);
    free(longtitle);
}

Test(slack_msg, reminder_names_age_and_owner)
{
    srr_slack_item it = item("SRR-3", "queue depth growing");
    it.created_at = 1767225600 - 9 * 86400;
    it.owner = "alice";
    json_t *m = srr_slack_msg_reminder(&it, 1, 1767225600);
    char *txt = json_dumps(m, 0);
    cr_assert(strstr(txt, "1 SRR draft waiting for approval") != NULL, "%s", txt);
    cr_assert(strstr(txt, "Waiting 9 days") != NULL, "%s", txt);
    cr_assert(strstr(txt, "suggested owner: alice") != NULL, "%s", txt);
    free(txt);
    json_decref(m);
}

Test(slack_msg, check_refuses_what_slack_refuses)
{
    srr_error err = {0};
    json_t *m = json_pack("{s:[{s:s,s:{s:s,s:s}}]}", "blocks", "type", "section", "text", "type",
                          "mrkdwn", "text", "x");
    cr_assert_eq(srr_slack_msg_check(m, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "fallback") != NULL, "%s", err.msg);
    json_decref(m);
    m = json_pack("{s:s,s:[]}", "text", "t", "blocks");
    for (int i = 0; i < 51; i++)
        json_array_append_new(json_object_get(m, "blocks"), json_pack("{s:s}", "type", "divider"));
    cr_assert_eq(srr_slack_msg_check(m, &err), SRR_EINVAL);
    json_decref(m);
}

Test(slack_api, webhook_delivers_and_fake_records, .timeout = 30)
{
    fake_slack *fs = fake_slack_start();
    srr_slack *s = client(fs, 1000);
    srr_slack_item it = item("SRR-9", "checkout 5xx");
    json_t *m = srr_slack_msg_event(SRR_SLACK_EV_URGENCY, &it, "medium \xE2\x86\x92 high");
    srr_error err = {0};
    cr_assert_eq(srr_slack_post(s, m, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(fake_slack_messages(fs), 1);
    char *got = fake_slack_message(fs, 0);
    json_t *back = json_loads(got, 0, NULL);
    cr_assert(json_equal(back, m), "%s", got);
    /* the spacing: a second message waits ~1 s and is not refused */
    cr_assert_eq(srr_slack_post(s, m, &err), SRR_OK, "%s", err.msg);
    fake_http_entry a, b;
    cr_assert_eq(fake_http_entry_get(fake_slack_http(fs), 0, &a), 0);
    cr_assert_eq(fake_http_entry_get(fake_slack_http(fs), 1, &b), 0);
    cr_assert_eq(b.status, 200);
    cr_assert_geq(b.at_ms - a.at_ms, 900);
    fake_http_entry_free(&a);
    fake_http_entry_free(&b);
    json_decref(back);
    free(got);
    json_decref(m);
    srr_slack_destroy(&s);
    fake_slack_stop(&fs);
}

Test(slack_api, a_storm_of_drafts_is_one_message, .timeout = 30)
{
    enum { N = 500 };
    fake_slack *fs = fake_slack_start();
    srr_slack *s = client(fs, 1000);
    srr_slack_item *items = calloc(N, sizeof(*items));
    char(*ids)[16] = calloc(N, 16);
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], 16, "SRR-%d", 1000 + i);
        items[i] = item(ids[i], "5xx on checkout-api");
    }
    json_t *m = srr_slack_msg_digest(NULL, items, N, 20);
    srr_error err = {0};
    cr_assert_eq(srr_slack_post(s, m, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(fake_slack_messages(fs), 1);
    cr_assert_eq(fake_http_count(fake_slack_http(fs)), 1);
    json_decref(m);
    free(items);
    free(ids);
    srr_slack_destroy(&s);
    fake_slack_stop(&fs);
}

Test(slack_api, rate_limit_429_honours_retry_after, .timeout = 30)
{
    fake_slack *fs = fake_slack_start();
    fake_http *h = fake_slack_http(fs);
    srr_slack *s = client(fs, 1); /* the client's own spacing off: the fake must say 429 */
    json_t *m = json_pack("{s:s}", "text", "hello");
    srr_error err = {0};
    size_t oks = 0;
    srr_rc rc;
    /* back to back until the fake says 429 (a stalled machine may space
     * two posts by a second on its own) */
    while ((rc = srr_slack_post(s, m, &err)) == SRR_OK)
        cr_assert_lt(++oks, 10);
    cr_assert_eq(rc, SRR_RETRY, "%s", err.msg);
    cr_assert_geq(oks, 1);
    cr_assert_eq(fake_http_count_where(h, NULL, NULL, 429), 1);
    int64_t at = srr_slack_retry_at_ms(s);
    cr_assert_gt(at, srr_http_now_ms() + 500, "Retry-After: 1 was not honoured");
    /* while blocked nothing reaches Slack */
    cr_assert_eq(srr_slack_post(s, m, &err), SRR_RETRY);
    cr_assert(strstr(err.msg, "rate limited") != NULL, "%s", err.msg);
    cr_assert_eq(fake_http_count(h), oks + 1);
    wait_ready(s);
    cr_assert_eq(srr_slack_post(s, m, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(fake_http_count_where(h, NULL, NULL, 429), 1);
    cr_assert_eq(fake_slack_messages(fs), oks + 1);
    fake_http_entry limited, ok;
    fake_http_entry_get(h, oks, &limited);
    fake_http_entry_get(h, oks + 1, &ok);
    cr_assert_geq(ok.at_ms - limited.at_ms, 1000);
    fake_http_entry_free(&limited);
    fake_http_entry_free(&ok);
    json_decref(m);
    srr_slack_destroy(&s);
    fake_slack_stop(&fs);
}

/* Delivers msgs[from..n) in order, waiting out every retryable failure, as
 * the outbox will. Returns how many RETRY answers it met. */
static int deliver(srr_slack *s, json_t **msgs, size_t n)
{
    int retries = 0;
    srr_error err = {0};
    for (size_t i = 0; i < n;) {
        srr_rc rc = srr_slack_post(s, msgs[i], &err);
        if (rc == SRR_OK) {
            i++;
            continue;
        }
        cr_assert_eq(rc, SRR_RETRY, "permanent: %s", err.msg);
        retries++;
        cr_assert_lt(retries, 50);
        wait_ready(s);
    }
    return retries;
}

Test(slack_api, outage_delays_and_loses_nothing, .timeout = 60)
{
    fake_slack *fs = fake_slack_start();
    fake_http *h = fake_slack_http(fs);
    fake_slack_set_rate(fs, 0, 0);
    srr_slack *s = client(fs, 1);
    json_t *msgs[3];
    for (int i = 0; i < 3; i++)
        msgs[i] = json_pack("{s:s}", "text", i == 0 ? "one" : i == 1 ? "two" : "three");
    srr_error err = {0};
    /* Slack answers 500 rollup_error, then stops answering at all */
    fake_http_set_outage(h, 500, "rollup_error", 1);
    cr_assert_eq(srr_slack_post(s, msgs[0], &err), SRR_RETRY);
    cr_assert(strstr(err.msg, "rollup_error") != NULL, "%s", err.msg);
    wait_ready(s);
    fake_http_set_outage(h, -1, NULL, 0);
    cr_assert_eq(srr_slack_post(s, msgs[0], &err), SRR_RETRY);
    cr_assert_eq(fake_slack_messages(fs), 0);
    fake_http_set_outage(h, 0, NULL, 0);
    deliver(s, msgs, 3);
    cr_assert_eq(fake_slack_messages(fs), 3);
    for (int i = 0; i < 3; i++) {
        char *got = fake_slack_message(fs, (size_t)i);
        json_t *j = json_loads(got, 0, NULL);
        cr_assert(json_equal(j, msgs[i]), "message %d out of order: %s", i, got);
        json_decref(j);
        free(got);
        json_decref(msgs[i]);
    }
    srr_slack_destroy(&s);
    fake_slack_stop(&fs);
}

Test(slack_api, permanent_errors_are_permanent, .timeout = 30)
{
    fake_slack *fs = fake_slack_start();
    fake_slack_set_rate(fs, 0, 0);
    srr_slack *s = client(fs, 1);
    json_t *m = json_pack("{s:s}", "text", "hi");
    srr_error err = {0};
    fake_slack_set_channel(fs, "archived", 1);
    cr_assert_eq(srr_slack_post(s, m, &err), SRR_ENOTFOUND);
    cr_assert(strstr(err.msg, "410 channel_is_archived") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "fakesecret") == NULL, "the hook URL leaked: %s", err.msg);
    cr_assert_lt(srr_slack_retry_at_ms(s), srr_http_now_ms() + 100,
                 "a permanent error must not block the gate beyond the spacing");
    fake_slack_set_channel(fs, "prohibited", 1);
    cr_assert_eq(srr_slack_post(s, m, &err), SRR_EAUTH);
    fake_slack_set_channel(fs, "ok", 1);
    /* a message without fallback text never leaves */
    json_t *bad = json_pack("{s:[{s:s}]}", "blocks", "type", "divider");
    size_t before = fake_http_count(fake_slack_http(fs));
    cr_assert_eq(srr_slack_post(s, bad, &err), SRR_EINVAL);
    cr_assert_eq(fake_http_count(fake_slack_http(fs)), before);
    json_decref(bad);
    /* a removed hook */
    srr_slack_opts o = {0};
    srr_slack *gone = NULL;
    char *url = srr_asprintf("%s/services/TFAKE/BFAKE/revoked", fake_http_url(fake_slack_http(fs)));
    o.webhook_url = url;
    cr_assert_eq(srr_slack_create(&o, &gone, &err), SRR_OK);
    cr_assert_eq(srr_slack_post(gone, m, &err), SRR_EAUTH, "%s", err.msg);
    cr_assert(strstr(err.msg, "no_service") != NULL, "%s", err.msg);
    cr_assert_eq(fake_slack_messages(fs), 0);
    srr_slack_destroy(&gone);
    free(url);
    json_decref(m);
    srr_slack_destroy(&s);
    fake_slack_stop(&fs);
}

/* The fake enforces Block Kit itself, whatever the client checks. */
Test(slack_api, fake_enforces_block_kit, .timeout = 30)
{
    fake_slack *fs = fake_slack_start();
    fake_slack_set_rate(fs, 0, 0);
    static const char *const hdr[] = {"Content-Type: application/json", NULL};
    struct {
        const char *body;
        const char *code;
    } cases[] = {
        {"not json", "invalid_payload"},
        {"{\"blocks\":[{\"type\":\"divider\"}]}", "missing_text_or_fallback_or_attachments"},
        {"{}", "no_text"},
        {"{\"text\":\"t\",\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\","
         "\"text\":\"\"}}]}",
         "invalid_blocks"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        srr_http_resp r;
        cr_assert_eq(srr_http_request(NULL, "POST", fake_slack_webhook_url(fs), hdr, cases[i].body,
                                      strlen(cases[i].body), &r, NULL),
                     SRR_OK);
        cr_assert_eq(r.status, 400);
        cr_assert_str_eq(r.body.data, cases[i].code);
        srr_http_resp_free(&r);
    }
    /* 51 blocks, and a 3,001-character section */
    json_t *m = json_pack("{s:s,s:[]}", "text", "t", "blocks");
    for (int i = 0; i < 51; i++)
        json_array_append_new(json_object_get(m, "blocks"), json_pack("{s:s}", "type", "divider"));
    char *body = json_dumps(m, 0);
    srr_http_resp r;
    srr_http_request(NULL, "POST", fake_slack_webhook_url(fs), hdr, body, strlen(body), &r, NULL);
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(r.body.data, "invalid_blocks");
    srr_http_resp_free(&r);
    free(body);
    json_decref(m);
    cr_assert_eq(fake_slack_messages(fs), 0);
    fake_slack_stop(&fs);
}

Test(slack_api, chat_post_message_with_a_bot_token, .timeout = 30)
{
    fake_slack *fs = fake_slack_start();
    fake_http *h = fake_slack_http(fs);
    srr_slack_opts o = {0};
    srr_slack *s = NULL;
    srr_error err = {0};
    o.api_url = fake_slack_api_url(fs);
    o.bot_token = FAKE_SLACK_BOT_TOKEN;
    o.channel = FAKE_SLACK_CHANNEL;
    o.min_interval_ms = 1;
    fake_slack_set_rate(fs, 60000, 1); /* a second post is surely "too fast" */
    cr_assert_eq(srr_slack_create(&o, &s, &err), SRR_OK);
    json_t *m = json_pack("{s:s}", "text", "via the Web API");
    cr_assert_eq(srr_slack_post(s, m, &err), SRR_OK, "%s", err.msg);
    fake_http_entry e;
    fake_http_entry_get(h, 0, &e);
    cr_assert_str_eq(e.path, "/api/chat.postMessage");
    cr_assert_str_eq(e.authorization, "Bearer " FAKE_SLACK_BOT_TOKEN);
    cr_assert(strstr(e.body, "\"channel\":\"" FAKE_SLACK_CHANNEL "\"") != NULL, "%s", e.body);
    fake_http_entry_free(&e);
    /* one per second per channel: ratelimited is 429 + Retry-After */
    cr_assert_eq(srr_slack_post(s, m, &err), SRR_RETRY);
    cr_assert_gt(srr_slack_retry_at_ms(s), 0);
    wait_ready(s);
    fake_slack_set_channel(fs, "ok", 0);
    cr_assert_eq(srr_slack_post(s, m, &err), SRR_ENOTFOUND);
    cr_assert(strstr(err.msg, "not_in_channel") != NULL, "%s", err.msg);
    srr_slack_destroy(&s);
    o.bot_token = "xoxb-wrong-token";
    cr_assert_eq(srr_slack_create(&o, &s, &err), SRR_OK);
    cr_assert_eq(srr_slack_post(s, m, &err), SRR_EAUTH);
    cr_assert(strstr(err.msg, "invalid_auth") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "xoxb-wrong") == NULL, "%s", err.msg);
    srr_slack_destroy(&s);
    json_decref(m);
    fake_slack_stop(&fs);
}

static srr_config *parse(const char *yaml)
{
    srr_config *cfg = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_config_parse("t.yaml", yaml, strlen(yaml), &cfg, &err), SRR_OK, "%s", err.msg);
    return cfg;
}

Test(slack_config, table_defaults_secrets_and_errors)
{
    srr_error err = {0};
    srr_slack_config *c = NULL;
    srr_config *cfg = parse("store:\n  path: x.db\n");
    cr_assert_eq(srr_slack_config_load(cfg, &c, &err), SRR_OK);
    cr_assert_null(c, "no section, no Slack");
    srr_config_destroy(cfg);

    setenv("SRR_TEST_HOOK", "https://hooks.slack.com/services/T1/B1/sekrit", 1);
    cfg = parse("slack:\n  webhook_url_env: SRR_TEST_HOOK\n  on_closed: false\n"
                "  reminder_every: 14d\n");
    cr_assert_eq(srr_slack_config_load(cfg, &c, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(c->webhook_url, "https://hooks.slack.com/services/T1/B1/sekrit");
    cr_assert_eq(c->on_closed, 0);
    cr_assert_eq(c->on_new_drafts, 1);
    cr_assert_eq(c->reminder_every_s, 14 * 86400);
    cr_assert_eq(c->digest_max_items, 20);
    srr_slack_opts o;
    cr_assert_eq(srr_slack_config_opts(c, &o, &err), SRR_OK);
    cr_assert_eq(o.min_interval_ms, 1000);
    srr_slack_config_free(&c);
    srr_config_destroy(cfg);

    cfg = parse("slack:\n  webhook_url_env: SRR_TEST_NOT_SET\n");
    cr_assert_eq(srr_slack_config_load(cfg, &c, &err), SRR_OK);
    cr_assert_eq(srr_slack_config_opts(c, &o, &err), SRR_EAUTH);
    cr_assert(strstr(err.msg, "SRR_TEST_NOT_SET") != NULL, "%s", err.msg);
    srr_slack_config_free(&c);
    srr_config_destroy(cfg);

    cfg = parse("slack:\n  webhook_url_env: X\n  on_drafts: true\n");
    cr_assert_eq(srr_slack_config_load(cfg, &c, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "t.yaml:3:3: unknown key 'on_drafts' in slack") != NULL, "%s",
              err.msg);
    srr_config_destroy(cfg);
    cfg = parse("slack:\n  digest_max_items: 500\n");
    cr_assert_eq(srr_slack_config_load(cfg, &c, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "slack.digest_max_items") != NULL, "%s", err.msg);
    srr_config_destroy(cfg);

    char *ref = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&ref, &len);
    srr_config_print_options(f, "slack", srr_slack_options, 0);
    fclose(f);
    cr_assert(strstr(ref, "| `slack.webhook_url_env` | string | SLACK_WEBHOOK_URL |") != NULL, "%s",
              ref);
    free(ref);
}

/* ---- the shared HTTP helper (sinks/http.c) -------------------------------------- */

Test(http, classification_retry_after_and_escapes)
{
    cr_assert_eq(srr_http_status_rc(201), SRR_OK);
    cr_assert_eq(srr_http_status_rc(429), SRR_RETRY);
    cr_assert_eq(srr_http_status_rc(503), SRR_RETRY);
    cr_assert_eq(srr_http_status_rc(501), SRR_EINVAL);
    cr_assert_eq(srr_http_status_rc(401), SRR_EAUTH);
    cr_assert_eq(srr_http_status_rc(410), SRR_ENOTFOUND);
    cr_assert_eq(srr_http_status_rc(409), SRR_ECONFLICT);
    cr_assert_eq(srr_http_status_rc(422), SRR_EINVAL);
    cr_assert_eq(srr_http_parse_retry_after("30", 0), 30000);
    cr_assert_eq(srr_http_parse_retry_after("soon", 0), -1);
    /* an HTTP date: Thu, 01 Jan 2026 00:00:10 GMT is 10 s after 1767225600 */
    cr_assert_eq(srr_http_parse_retry_after("Thu, 01 Jan 2026 00:00:10 GMT", 1767225600000LL),
                 10000);
    cr_assert_eq(srr_http_parse_retry_after("Thu, 01 Jan 2026 00:00:10 GMT", 1767225700000LL), 0);
    char *e = srr_http_escape("'SRR list'!A1:N");
    cr_assert_str_eq(e, "%27SRR%20list%27%21A1%3AN");
    free(e);
    char *b = srr_http_base64("a@b:tok", 7);
    cr_assert_str_eq(b, "YUBiOnRvaw==");
    free(b);
}

Test(http, gate_spaces_and_blocks)
{
    srr_http_gate g;
    srr_http_gate_init(&g, 100, 1000, 4000);
    cr_assert_eq(srr_http_gate_wait_ms(&g, 5000), 0);
    srr_http_gate_done(&g, SRR_OK, -1, 5000);
    cr_assert_eq(srr_http_gate_wait_ms(&g, 5050), 50);
    srr_http_gate_done(&g, SRR_RETRY, -1, 6000); /* no Retry-After: 1 s, 2 s, 4 s, 4 s */
    cr_assert_eq(srr_http_gate_ready_at(&g, 6000), 7000);
    srr_http_gate_done(&g, SRR_RETRY, -1, 7000);
    cr_assert_eq(srr_http_gate_ready_at(&g, 7000), 9000);
    srr_http_gate_done(&g, SRR_RETRY, -1, 9000);
    srr_http_gate_done(&g, SRR_RETRY, -1, 9000);
    cr_assert_eq(srr_http_gate_ready_at(&g, 9000), 13000);
    srr_http_gate_done(&g, SRR_RETRY, 30000, 9000); /* Retry-After wins */
    cr_assert_eq(srr_http_gate_ready_at(&g, 9000), 39000);
    srr_http_gate_done(&g, SRR_EINVAL, -1, 10000); /* permanent: no block added */
    cr_assert_eq(srr_http_gate_ready_at(&g, 10000), 39000);
    srr_http_gate_done(&g, SRR_OK, -1, 40000);
    cr_assert_eq(g.failures, 0);
    cr_assert_eq(srr_http_gate_wait_ms(&g, 40100), 0);
}

Test(http, plain_http_only_to_loopback_and_bounded_bodies, .timeout = 30)
{
    srr_http_resp r;
    srr_error err = {0};
    cr_assert_eq(srr_http_request(NULL, "GET", "http://hooks.example.com/services/x", NULL, NULL, 0,
                                  &r, &err),
                 SRR_EINVAL);
    cr_assert(strstr(err.msg, "plain http") != NULL, "%s", err.msg);
    srr_http_resp_free(&r);
    /* loopback is allowed; nothing listens on port 9 here: retryable */
    cr_assert_eq(srr_http_request(NULL, "GET", "http://127.0.0.1:9/", NULL, NULL, 0, &r, &err),
                 SRR_RETRY);
    srr_http_resp_free(&r);
    fake_slack *fs = fake_slack_start();
    srr_http_opts small = {.max_response = 4};
    static const char *const hdr[] = {"Content-Type: application/json", NULL};
    cr_assert_eq(
        srr_http_request(&small, "POST", fake_slack_webhook_url(fs), hdr, "x", 1, &r, &err),
        SRR_EIO, "a 15-byte answer past a 4-byte bound");
    srr_http_resp_free(&r);
    fake_slack_stop(&fs);
}

Test(slack_msg, an_item_from_the_outbox_record)
{
    json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", "SRR-5", "kind", "risk",
                          "title", "5xx & timeouts", "urgency", "high", "reason",
                          "fired 4 weeks running", "assignee", "alice", "created_at",
                          "2025-12-19T00:00:00Z", "datadog_url", "https://app.datadoghq.com/m/1");
    srr_slack_item it = srr_slack_item_of(r, "https://www.notion.so/p5");
    cr_assert_str_eq(it.id, "SRR-5");
    cr_assert_str_eq(it.owner, "alice");
    cr_assert_eq(it.created_at, 1767225600 - 13 * 86400);
    json_t *m = srr_slack_msg_reminder(&it, 1, 1767225600);
    char *txt = json_dumps(m, 0);
    cr_assert(strstr(txt, "<https://www.notion.so/p5|SRR-5>") != NULL, "%s", txt);
    cr_assert(strstr(txt, "5xx &amp; timeouts") != NULL, "%s", txt);
    cr_assert(strstr(txt, "Waiting 13 days") != NULL, "%s", txt);
    free(txt);
    json_decref(m);
    json_decref(r);
}
