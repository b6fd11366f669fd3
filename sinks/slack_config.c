/* SPDX-License-Identifier: Apache-2.0
 *
 * slack_config.c - the `slack:` option table, its checks and its secrets.
 */
#include "slack_config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define OFF(f) offsetof(srr_slack_config, f)
#define DAY (86400LL)

const srr_opt_def srr_slack_options[] = {
    {"webhook_url_env", SRR_OPT_STRING, "SLACK_WEBHOOK_URL", OFF(webhook_url_env), 0, 0,
     "Environment variable holding the incoming webhook URL (it contains a secret)."},
    {"webhook_url_file", SRR_OPT_STRING, NULL, OFF(webhook_url_file), 0, 0,
     "File holding the webhook URL (first line), instead of webhook_url_env."},
    {"bot_token_env", SRR_OPT_STRING, "SLACK_BOT_TOKEN", OFF(bot_token_env), 0, 0,
     "Environment variable holding a bot token (xoxb-...); with channel, chat.postMessage is "
     "used instead of the webhook."},
    {"bot_token_file", SRR_OPT_STRING, NULL, OFF(bot_token_file), 0, 0,
     "File holding the bot token (first line)."},
    {"channel", SRR_OPT_STRING, NULL, OFF(channel), 0, 0,
     "Channel id for chat.postMessage (the bot must be a member)."},
    {"api_url", SRR_OPT_STRING, "https://slack.com/api", OFF(api_url), 0, 0,
     "Base URL of Slack's Web API (tests point it elsewhere)."},
    {"on_new_drafts", SRR_OPT_BOOL, "true", OFF(on_new_drafts), 0, 0,
     "One digest of the new drafts of each sweep or drain batch (never one message per draft)."},
    {"on_promoted", SRR_OPT_BOOL, "true", OFF(on_promoted), 0, 0,
     "A message when an investigation is promoted to a risk."},
    {"on_closed", SRR_OPT_BOOL, "true", OFF(on_closed), 0, 0,
     "A message when an investigation closes without a risk."},
    {"on_urgency_raised", SRR_OPT_BOOL, "true", OFF(on_urgency_raised), 0, 0,
     "A message when a record's urgency is raised."},
    {"on_review_due", SRR_OPT_BOOL, "true", OFF(on_review_due), 0, 0,
     "A message when an accepted risk's review date has come."},
    {"reminder_every", SRR_OPT_DURATION, "7d", OFF(reminder_every_s), 0, 365 * DAY,
     "How often to remind of drafts waiting for approval (0 = never)."},
    {"reminder_min_age", SRR_OPT_DURATION, "2d", OFF(reminder_min_age_s), 0, 365 * DAY,
     "Drafts younger than this are left out of the reminder."},
    {"digest_max_items", SRR_OPT_INT, "20", OFF(digest_max_items), 1, 48,
     "Drafts shown in full in a digest; the rest are listed by id."},
    {"history", SRR_OPT_DURATION, "1d", OFF(history_s), 0, 365 * DAY,
     "When the sink first runs, changes older than this are history, not news (nothing is "
     "announced twice or lost after that, however long Slack is down)."},
    {"record_link", SRR_OPT_STRING, "notion", OFF(record_link), 0, 0,
     "The sink whose page a message links to when the record has one (notion; empty: none)."},
    {"min_interval", SRR_OPT_DURATION, "1s", OFF(min_interval_s), 1, 3600,
     "Least time between two messages (Slack allows about one per second)."},
    {"timeout", SRR_OPT_DURATION, "15s", OFF(timeout_s), 1, 600, "Total time per request."},
    {"connect_timeout", SRR_OPT_DURATION, "5s", OFF(connect_timeout_s), 1, 600,
     "Time allowed to connect."},
    {NULL, SRR_OPT_STRING, NULL, 0, 0, 0, NULL}};

srr_rc srr_slack_config_resolve(const srr_config *cfg, srr_slack_config *c, srr_error *err)
{
    const srr_yaml_node *sec = srr_yaml_get(cfg->root, "slack");
    srr_rc rc;
    srr_slack_config_release(c);
    rc = srr_config_secret(cfg, c->webhook_url_env, c->webhook_url_file, "slack.webhook_url_file",
                           &c->webhook_url, err);
    if (rc == SRR_OK)
        rc = srr_config_secret(cfg, c->bot_token_env, c->bot_token_file, "slack.bot_token_file",
                               &c->bot_token, err);
    if (rc == SRR_OK && c->bot_token && !c->channel && !c->webhook_url && sec)
        rc = srr_error_at(err, SRR_EINVAL, sec->file, sec->line, sec->col,
                          "slack: a bot token needs slack.channel (or use a webhook)");
    if (rc != SRR_OK)
        srr_slack_config_release(c);
    return rc;
}

void srr_slack_config_release(srr_slack_config *c)
{
    free(c->webhook_url);
    free(c->bot_token);
    c->webhook_url = NULL;
    c->bot_token = NULL;
}

srr_rc srr_slack_config_load(const srr_config *cfg, srr_slack_config **out, srr_error *err)
{
    const srr_yaml_node *sec = srr_yaml_get(cfg->root, "slack");
    srr_slack_config *c;
    srr_rc rc;
    *out = NULL;
    if (!sec)
        return SRR_OK;
    c = srr_calloc(1, sizeof(*c));
    rc = srr_config_load_options(srr_slack_options, sec, "slack", c, err);
    if (rc == SRR_OK)
        rc = srr_slack_config_resolve(cfg, c, err);
    if (rc != SRR_OK) {
        srr_slack_config_free(&c);
        return rc;
    }
    *out = c;
    return SRR_OK;
}

void srr_slack_config_free(srr_slack_config **cp)
{
    if (!cp || !*cp)
        return;
    srr_slack_config_release(*cp);
    srr_config_free_options(srr_slack_options, *cp);
    free(*cp);
    *cp = NULL;
}

srr_rc srr_slack_config_opts(const srr_slack_config *c, srr_slack_opts *o, srr_error *err)
{
    memset(o, 0, sizeof(*o));
    if (!c->webhook_url && !(c->bot_token && c->channel))
        return srr_error_set(err, SRR_EAUTH,
                             "slack: no webhook URL: set $%s (or slack.webhook_url_file), or a "
                             "bot token in $%s with slack.channel",
                             c->webhook_url_env ? c->webhook_url_env : "SLACK_WEBHOOK_URL",
                             c->bot_token_env ? c->bot_token_env : "SLACK_BOT_TOKEN");
    o->webhook_url = c->webhook_url;
    o->bot_token = c->bot_token;
    o->channel = c->channel;
    o->api_url = c->api_url;
    o->min_interval_ms = c->min_interval_s * 1000;
    o->http.timeout_ms = (long)c->timeout_s * 1000;
    o->http.connect_timeout_ms = (long)c->connect_timeout_s * 1000;
    return SRR_OK;
}
