/* SPDX-License-Identifier: Apache-2.0
 *
 * slack_api.h - posting a Slack message (slack_msg.h builds them) through
 * an incoming webhook or, with a bot token and a channel, chat.postMessage
 * (slack-api.md §1-§3). The client keeps to about one message a second
 * (it waits up to that long itself), honours 429 + Retry-After by sending
 * nothing until then, and classifies every failure:
 *   - SRR_RETRY: 429, 5xx (`rollup_error`), `internal_error`/`fatal_error`/
 *     `ratelimited`, timeouts and refused connections: the message must be
 *     sent again later (srr_slack_retry_at_ms says when);
 *   - SRR_EINVAL (invalid_payload, invalid_blocks, no_text, msg_too_long...),
 *     SRR_EAUTH (invalid_auth, not_authed, action_prohibited, no_service...),
 *     SRR_ENOTFOUND (channel_not_found, channel_is_archived, not_in_channel):
 *     permanent until the config or the message changes.
 * The error message carries Slack's error code; the webhook URL (which
 * holds the credential) and the token never appear in it.
 */
#ifndef SRR_SINKS_SLACK_API_H
#define SRR_SINKS_SLACK_API_H

#include <jansson.h>

#include "http.h"
#include "srr.h"

typedef struct srr_slack srr_slack;

typedef struct srr_slack_opts {
    const char *webhook_url; /* incoming webhook; used unless bot_token and channel are set */
    const char *api_url;     /* Web API base, NULL = "https://slack.com/api" */
    const char *bot_token;   /* "xoxb-..." for chat.postMessage, may be NULL */
    const char *channel;     /* channel id for chat.postMessage, may be NULL */
    int64_t min_interval_ms; /* spacing between messages, 0 = 1000 */
    srr_http_opts http;
} srr_slack_opts;

/* Creates a client (strings are copied). SRR_EINVAL when neither a webhook
 * URL nor a bot token with a channel is given. Free with srr_slack_destroy. */
srr_rc srr_slack_create(const srr_slack_opts *opts, srr_slack **out, srr_error *err);
void srr_slack_destroy(srr_slack **s);

/* Posts one message ({"text", "blocks"}; checked against Block Kit's limits
 * first, a violation is SRR_EINVAL without a request). Returns SRR_OK once
 * Slack accepted it, else a code as in the file comment. */
srr_rc srr_slack_post(srr_slack *s, const json_t *msg, srr_error *err);

/* When the next message may be sent (epoch ms), 0 when it may go now. */
int64_t srr_slack_retry_at_ms(const srr_slack *s);

/* The srr code of a Slack error string (webhook body or Web API "error"). */
srr_rc srr_slack_error_rc(const char *code);

#endif
