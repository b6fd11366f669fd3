/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_slack.h - a fake Slack for tests (on fake_http.h), enforcing what
 * slack-api.md says the real one enforces:
 *   - incoming webhook at /services/TFAKE/BFAKE/<secret>: 200 "ok"; errors
 *     as plain-text codes with a status (400 invalid_payload / no_text /
 *     invalid_blocks / missing_text_or_fallback_or_attachments, 404
 *     channel_not_found, 410 channel_is_archived, 403 action_prohibited,
 *     404 no_service for an unknown hook);
 *   - chat.postMessage at /api/chat.postMessage: Bearer token required,
 *     200 {"ok":false,"error":...} for errors (not_authed, invalid_auth,
 *     channel_not_found, not_in_channel, no_text, invalid_blocks), 200
 *     {"ok":true,"channel","ts"} on success;
 *   - Block Kit limits: at most 50 blocks, section text at most 3,000
 *     characters, context at most 10 elements, a fallback text with blocks;
 *   - about one message per second (per hook or channel): a faster one is
 *     429 with Retry-After (webhook body "rate_limited", API body
 *     {"ok":false,"error":"ratelimited"});
 *   - an outage mode (fake_http_set_outage on fake_slack_http()).
 * Accepted messages are recorded in order for tests to read back.
 */
#ifndef SRR_TESTS_FAKE_SLACK_H
#define SRR_TESTS_FAKE_SLACK_H

#include <stddef.h>

#include "fake_http.h"

typedef struct fake_slack fake_slack;

#define FAKE_SLACK_BOT_TOKEN "xoxb-fake-0123456789"
#define FAKE_SLACK_CHANNEL "C0SRRTEST"

/* Starts the fake; NULL when it cannot. Stop with fake_slack_stop. */
fake_slack *fake_slack_start(void);
void fake_slack_stop(fake_slack **fs);

/* The incoming webhook's URL (valid until stop). */
const char *fake_slack_webhook_url(fake_slack *fs);
/* The Web API base for chat.postMessage ("http://127.0.0.1:N/api"). */
const char *fake_slack_api_url(fake_slack *fs);
/* The scaffold underneath (request log, outage, waits). */
fake_http *fake_slack_http(fake_slack *fs);

/* Rate limit: one message per `interval_ms` per hook/channel, else 429 with
 * Retry-After `retry_after_s` (defaults 1000 ms and 1 s). 0 turns it off. */
void fake_slack_set_rate(fake_slack *fs, long interval_ms, int retry_after_s);
/* The channel behind the webhook and FAKE_SLACK_CHANNEL: "ok" (default),
 * "archived", "not_found", "prohibited"; and whether the bot is a member. */
void fake_slack_set_channel(fake_slack *fs, const char *state, int bot_is_member);

/* Messages accepted so far, and a copy of message i's JSON body (caller
 * frees; NULL past the end). */
size_t fake_slack_messages(fake_slack *fs);
char *fake_slack_message(fake_slack *fs, size_t i);

#endif
