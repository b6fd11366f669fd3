/* SPDX-License-Identifier: Apache-2.0
 *
 * slack_api.c - the two ways of posting of slack_api.h. A webhook answers
 * 200 "ok" or a status with a plain-text code; chat.postMessage answers 200
 * with {"ok":true|false,"error":...} except for rate limits (429). Both go
 * through the client's gate, so a 429 blocks every later post until its
 * Retry-After has passed.
 */
#include "slack_api.h"

#include <stdlib.h>
#include <string.h>

#include "slack_msg.h"

struct srr_slack {
    char *webhook_url;
    char *api_url;
    char *bot_token;
    char *channel;
    srr_http_opts http;
    srr_http_gate gate;
};

srr_rc srr_slack_create(const srr_slack_opts *o, srr_slack **out, srr_error *err)
{
    srr_slack *s;
    int bot = o->bot_token && *o->bot_token && o->channel && *o->channel;
    *out = NULL;
    if (!bot && !(o->webhook_url && *o->webhook_url))
        return srr_error_set(err, SRR_EINVAL,
                             "slack: no webhook URL, and no bot token with a channel");
    s = srr_calloc(1, sizeof(*s));
    if (bot) {
        size_t n;
        s->bot_token = srr_strdup(o->bot_token);
        s->channel = srr_strdup(o->channel);
        s->api_url = srr_strdup(o->api_url && *o->api_url ? o->api_url : "https://slack.com/api");
        n = strlen(s->api_url);
        while (n > 0 && s->api_url[n - 1] == '/')
            s->api_url[--n] = '\0';
    } else {
        s->webhook_url = srr_strdup(o->webhook_url);
    }
    s->http = o->http;
    /* Slack: ~1 message/s; without Retry-After, back off 1 s doubling to 5 min. */
    srr_http_gate_init(&s->gate, o->min_interval_ms > 0 ? o->min_interval_ms : 1000, 1000, 300000);
    *out = s;
    return SRR_OK;
}

void srr_slack_destroy(srr_slack **sp)
{
    srr_slack *s;
    if (!sp || !*sp)
        return;
    s = *sp;
    free(s->webhook_url);
    free(s->api_url);
    free(s->bot_token);
    free(s->channel);
    free(s);
    *sp = NULL;
}

int64_t srr_slack_retry_at_ms(const srr_slack *s)
{
    return srr_http_gate_ready_at(&s->gate, srr_http_now_ms());
}

srr_rc srr_slack_error_rc(const char *code)
{
    static const char *const retry[] = {
        "rollup_error", "internal_error",      "fatal_error",     "ratelimited",
        "rate_limited", "service_unavailable", "request_timeout", NULL};
    static const char *const auth[] = {"invalid_auth",  "not_authed",    "account_inactive",
                                       "missing_scope", "access_denied", "action_prohibited",
                                       "invalid_token", "no_service",    "no_active_hooks",
                                       "no_team",       "token_revoked", NULL};
    static const char *const gone[] = {"channel_not_found", "channel_is_archived", "is_archived",
                                       "not_in_channel",    "user_not_found",      NULL};
    if (!code)
        return SRR_EINVAL;
    for (size_t i = 0; retry[i]; i++)
        if (strcmp(code, retry[i]) == 0)
            return SRR_RETRY;
    for (size_t i = 0; auth[i]; i++)
        if (strcmp(code, auth[i]) == 0)
            return SRR_EAUTH;
    for (size_t i = 0; gone[i]; i++)
        if (strcmp(code, gone[i]) == 0)
            return SRR_ENOTFOUND;
    return SRR_EINVAL; /* invalid_payload, invalid_blocks, no_text, msg_too_long, ... */
}

/* A short printable copy of a plain-text error body ("invalid_payload"). */
static void body_code(const srr_http_resp *r, char *out, size_t cap)
{
    size_t n = 0;
    const char *p = r->body.data ? r->body.data : "";
    while (p[n] && p[n] != '\n' && p[n] != '\r' && n + 1 < cap && n < 80)
        n++;
    snprintf(out, cap, "%.*s", (int)n, p);
}

static srr_rc post_webhook(srr_slack *s, const char *payload, srr_http_resp *r, srr_error *err)
{
    static const char *const hdrs[] = {"Content-Type: application/json; charset=utf-8", NULL};
    char code[96];
    srr_rc rc;
    rc = srr_http_request(&s->http, "POST", s->webhook_url, hdrs, payload, strlen(payload), r, err);
    if (rc != SRR_OK) {
        /* The URL holds the credential: say "the webhook", never the URL. */
        return srr_error_set(err, rc, "slack webhook: %s",
                             rc == SRR_RETRY ? "not reachable" : "request failed");
    }
    body_code(r, code, sizeof(code));
    if (r->status == 200)
        return SRR_OK;
    rc = srr_http_status_rc(r->status);
    if (rc != SRR_RETRY && code[0]) {
        srr_rc by_code = srr_slack_error_rc(code);
        if (by_code != SRR_EINVAL || rc == SRR_EINVAL)
            rc = by_code;
    }
    return srr_error_set(err, rc, "slack webhook: HTTP %ld %s", r->status,
                         code[0] ? code : "(no body)");
}

static srr_rc post_api(srr_slack *s, const json_t *msg, srr_http_resp *r, srr_error *err)
{
    json_t *body = json_deep_copy(msg), *ans;
    char *auth = srr_asprintf("Authorization: Bearer %s", s->bot_token);
    char *url = srr_asprintf("%s/chat.postMessage", s->api_url);
    const char *hdrs[] = {"Content-Type: application/json; charset=utf-8", auth, NULL};
    char *payload;
    const char *code;
    srr_rc rc;
    json_object_set_new(body, "channel", json_string(s->channel));
    payload = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    rc = srr_http_request(&s->http, "POST", url, hdrs, payload, strlen(payload), r, err);
    free(payload);
    free(auth);
    if (rc != SRR_OK) {
        srr_error_prefix(err, "slack chat.postMessage");
        free(url);
        return rc;
    }
    free(url);
    if (r->status != 200) {
        rc = srr_http_status_rc(r->status);
        return srr_error_set(err, rc == SRR_OK ? SRR_EINVAL : rc,
                             "slack chat.postMessage: HTTP %ld", r->status);
    }
    ans = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
    if (!ans)
        return srr_error_set(err, SRR_RETRY, "slack chat.postMessage: the answer is not JSON");
    if (json_is_true(json_object_get(ans, "ok"))) {
        json_decref(ans);
        return SRR_OK;
    }
    code = json_string_value(json_object_get(ans, "error"));
    rc = srr_error_set(err, srr_slack_error_rc(code), "slack chat.postMessage: %s",
                       code ? code : "ok:false without an error code");
    json_decref(ans);
    return rc;
}

srr_rc srr_slack_post(srr_slack *s, const json_t *msg, srr_error *err)
{
    srr_http_resp r;
    srr_rc rc = srr_slack_msg_check(msg, err);
    if (rc != SRR_OK) {
        srr_error_prefix(err, "slack: message refused before sending");
        return rc;
    }
    rc = srr_http_gate_enter(&s->gate, s->gate.min_interval_ms, err);
    if (rc != SRR_OK) {
        srr_error_prefix(err, "slack");
        return rc;
    }
    if (s->bot_token) {
        rc = post_api(s, msg, &r, err);
    } else {
        char *payload = json_dumps(msg, JSON_COMPACT);
        rc = post_webhook(s, payload, &r, err);
        free(payload);
    }
    srr_http_gate_done(&s->gate, rc, r.retry_after_ms, srr_http_now_ms());
    srr_http_resp_free(&r);
    return rc;
}
