/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_slack.c - the fake Slack of fake_slack.h: one handler for both the
 * incoming webhook and chat.postMessage, sharing the channel state, the
 * per-target rate limit and the record of accepted messages under one
 * mutex.
 */
#include "fake_slack.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srr.h"
#include "testutil.h"

#define HOOK_PATH "/services/TFAKE/BFAKE/fakesecret0123"

struct fake_slack {
    fake_http *http;
    char hook_url[128], api_url[96];
    pthread_mutex_t mu;
    long interval_ms;
    int retry_after_s;
    long long last_hook_ms, last_chan_ms;
    char state[16];
    int bot_member;
    char **msgs;
    size_t nmsgs;
    unsigned long long ts_seq;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Block Kit as Slack checks it; returns NULL or the error code. */
static const char *check_blocks(const json_t *msg)
{
    const json_t *blocks = json_object_get(msg, "blocks"), *b;
    const char *text = json_string_value(json_object_get(msg, "text"));
    size_t i;
    if (!blocks)
        return text && *text ? NULL : "no_text";
    if (!text || !*text)
        return "missing_text_or_fallback_or_attachments";
    if (!json_is_array(blocks) || json_array_size(blocks) > 50)
        return "invalid_blocks";
    json_array_foreach(blocks, i, b)
    {
        const char *type = json_string_value(json_object_get(b, "type"));
        if (!type)
            return "invalid_blocks";
        if (strcmp(type, "section") == 0) {
            const char *t = json_string_value(json_object_get(json_object_get(b, "text"), "text"));
            if (!t || !*t || tu_u8_chars(t) > 3000)
                return "invalid_blocks";
        } else if (strcmp(type, "context") == 0) {
            size_t n = json_array_size(json_object_get(b, "elements"));
            if (n == 0 || n > 10)
                return "invalid_blocks";
        } else if (strcmp(type, "divider") != 0 && strcmp(type, "actions") != 0 &&
                   strcmp(type, "header") != 0) {
            return "invalid_blocks";
        }
    }
    return NULL;
}

/* Checks the rate of one target; returns 1 (and answers 429) when too fast. */
static int too_fast(fake_slack *fs, long long *last, int api, fake_http_resp *resp)
{
    long long now = now_ms();
    if (fs->interval_ms > 0 && *last && now - *last < fs->interval_ms) {
        if (api)
            fake_http_reply(resp, 429, "application/json",
                            "{\"ok\":false,\"error\":\"ratelimited\"}");
        else
            fake_http_reply(resp, 429, "text/plain", "rate_limited");
        fake_http_header(resp, "Retry-After", "%d", fs->retry_after_s);
        return 1;
    }
    return 0;
}

static void accept_msg(fake_slack *fs, const char *body, long long *last)
{
    fs->msgs = srr_realloc(fs->msgs, (fs->nmsgs + 1) * sizeof(char *));
    fs->msgs[fs->nmsgs++] = srr_strdup(body);
    *last = now_ms();
}

static void on_webhook(fake_slack *fs, const fake_http_req *req, fake_http_resp *resp)
{
    const char *ct = fake_http_req_header(req, "Content-Type");
    json_t *msg;
    const char *bad;
    if (strcmp(req->path, HOOK_PATH) != 0) {
        fake_http_reply(resp, 404, "text/plain", "no_service");
        return;
    }
    if (!ct || strncmp(ct, "application/json", 16) != 0 ||
        !(msg = json_loadb(req->body, req->body_len, 0, NULL)) || !json_is_object(msg)) {
        fake_http_reply(resp, 400, "text/plain", "invalid_payload");
        return;
    }
    bad = check_blocks(msg);
    json_decref(msg);
    if (bad) {
        fake_http_reply(resp, 400, "text/plain", bad);
        return;
    }
    if (strcmp(fs->state, "archived") == 0)
        fake_http_reply(resp, 410, "text/plain", "channel_is_archived");
    else if (strcmp(fs->state, "not_found") == 0)
        fake_http_reply(resp, 404, "text/plain", "channel_not_found");
    else if (strcmp(fs->state, "prohibited") == 0)
        fake_http_reply(resp, 403, "text/plain", "action_prohibited");
    else if (!too_fast(fs, &fs->last_hook_ms, 0, resp)) {
        accept_msg(fs, req->body, &fs->last_hook_ms);
        fake_http_reply(resp, 200, "text/plain", "ok");
    }
}

static void api_error(fake_http_resp *resp, const char *code)
{
    fake_http_replyf(resp, 200, "application/json", "{\"ok\":false,\"error\":\"%s\"}", code);
}

static void on_post_message(fake_slack *fs, const fake_http_req *req, fake_http_resp *resp)
{
    const char *auth = fake_http_req_header(req, "Authorization");
    const char *channel, *bad;
    json_t *msg;
    if (!auth || strncmp(auth, "Bearer ", 7) != 0) {
        api_error(resp, "not_authed");
        return;
    }
    if (strcmp(auth + 7, FAKE_SLACK_BOT_TOKEN) != 0) {
        api_error(resp, "invalid_auth");
        return;
    }
    msg = json_loadb(req->body, req->body_len, 0, NULL);
    if (!json_is_object(msg)) {
        json_decref(msg);
        api_error(resp, "invalid_json");
        return;
    }
    channel = json_string_value(json_object_get(msg, "channel"));
    bad = check_blocks(msg);
    if (!channel || strcmp(channel, FAKE_SLACK_CHANNEL) != 0 || strcmp(fs->state, "not_found") == 0)
        api_error(resp, "channel_not_found");
    else if (strcmp(fs->state, "archived") == 0)
        api_error(resp, "is_archived");
    else if (!fs->bot_member)
        api_error(resp, "not_in_channel");
    else if (bad)
        api_error(resp, strcmp(bad, "invalid_blocks") == 0 ? "invalid_blocks" : "no_text");
    else if (!too_fast(fs, &fs->last_chan_ms, 1, resp)) {
        accept_msg(fs, req->body, &fs->last_chan_ms);
        fs->ts_seq++;
        fake_http_replyf(resp, 200, "application/json",
                         "{\"ok\":true,\"channel\":\"%s\",\"ts\":\"1767225600.%06llu\"}", channel,
                         fs->ts_seq);
    }
    json_decref(msg);
}

static void handle(void *ud, const fake_http_req *req, fake_http_resp *resp)
{
    fake_slack *fs = ud;
    pthread_mutex_lock(&fs->mu);
    if (strcmp(req->method, "POST") != 0)
        fake_http_reply(resp, 405, "text/plain", "method_not_allowed");
    else if (strncmp(req->path, "/services/", 10) == 0)
        on_webhook(fs, req, resp);
    else if (strcmp(req->path, "/api/chat.postMessage") == 0)
        on_post_message(fs, req, resp);
    else
        fake_http_replyf(resp, 404, "application/json",
                         "{\"ok\":false,\"error\":\"unknown_method\"}");
    pthread_mutex_unlock(&fs->mu);
}

fake_slack *fake_slack_start(void)
{
    fake_slack *fs = srr_calloc(1, sizeof(*fs));
    pthread_mutex_init(&fs->mu, NULL);
    fs->interval_ms = 1000;
    fs->retry_after_s = 1;
    fs->bot_member = 1;
    snprintf(fs->state, sizeof(fs->state), "ok");
    fs->http = fake_http_start(handle, fs);
    if (!fs->http) {
        fake_slack_stop(&fs);
        return NULL;
    }
    snprintf(fs->hook_url, sizeof(fs->hook_url), "%s%s", fake_http_url(fs->http), HOOK_PATH);
    snprintf(fs->api_url, sizeof(fs->api_url), "%s/api", fake_http_url(fs->http));
    return fs;
}

void fake_slack_stop(fake_slack **fsp)
{
    fake_slack *fs;
    if (!fsp || !*fsp)
        return;
    fs = *fsp;
    fake_http_stop(&fs->http);
    for (size_t i = 0; i < fs->nmsgs; i++)
        free(fs->msgs[i]);
    free(fs->msgs);
    pthread_mutex_destroy(&fs->mu);
    free(fs);
    *fsp = NULL;
}

const char *fake_slack_webhook_url(fake_slack *fs)
{
    return fs->hook_url;
}

const char *fake_slack_api_url(fake_slack *fs)
{
    return fs->api_url;
}

fake_http *fake_slack_http(fake_slack *fs)
{
    return fs->http;
}

void fake_slack_set_rate(fake_slack *fs, long interval_ms, int retry_after_s)
{
    pthread_mutex_lock(&fs->mu);
    fs->interval_ms = interval_ms;
    fs->retry_after_s = retry_after_s;
    pthread_mutex_unlock(&fs->mu);
}

void fake_slack_set_channel(fake_slack *fs, const char *state, int bot_is_member)
{
    pthread_mutex_lock(&fs->mu);
    snprintf(fs->state, sizeof(fs->state), "%s", state ? state : "ok");
    fs->bot_member = bot_is_member;
    pthread_mutex_unlock(&fs->mu);
}

size_t fake_slack_messages(fake_slack *fs)
{
    size_t n;
    pthread_mutex_lock(&fs->mu);
    n = fs->nmsgs;
    pthread_mutex_unlock(&fs->mu);
    return n;
}

char *fake_slack_message(fake_slack *fs, size_t i)
{
    char *m = NULL;
    pthread_mutex_lock(&fs->mu);
    if (i < fs->nmsgs)
        m = srr_strdup(fs->msgs[i]);
    pthread_mutex_unlock(&fs->mu);
    return m;
}
