/* SPDX-License-Identifier: Apache-2.0
 *
 * slack_config.h - the `slack:` section: where messages go (an incoming
 * webhook, or a bot token and a channel for chat.postMessage), which
 * events are worth a message, and the transport's timeouts. The option
 * table lives in slack_config.c; secrets (the webhook URL holds one) come
 * from the environment or a file, never from the YAML itself.
 */
#ifndef SRR_SINKS_SLACK_CONFIG_H
#define SRR_SINKS_SLACK_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "slack_api.h"
#include "srr.h"

typedef struct srr_slack_config {
    char *webhook_url_env; /* SLACK_WEBHOOK_URL */
    char *webhook_url_file;
    char *bot_token_env; /* SLACK_BOT_TOKEN */
    char *bot_token_file;
    char *channel;     /* channel id for chat.postMessage */
    char *api_url;     /* https://slack.com/api */
    int on_new_drafts; /* one digest per sweep or drain batch */
    int on_promoted;
    int on_closed;
    int on_urgency_raised;
    int on_review_due;
    int64_t reminder_every_s;   /* drafts-waiting reminder period (0 = off) */
    int64_t reminder_min_age_s; /* drafts younger than this are not in it */
    long long digest_max_items;
    int64_t min_interval_s; /* spacing between messages */
    int64_t timeout_s;
    int64_t connect_timeout_s;
    /* resolved secrets, NULL when not configured */
    char *webhook_url;
    char *bot_token;
} srr_slack_config;

/* Loads `slack:` from a loaded config. *out is NULL (and SRR_OK) when the
 * section is absent; else a new config (free with srr_slack_config_free).
 * SRR_EINVAL with file:line:col for bad content. A missing secret is not an
 * error here (commands that never post need not have it): see
 * srr_slack_config_opts. */
srr_rc srr_slack_config_load(const srr_config *cfg, srr_slack_config **out, srr_error *err);
void srr_slack_config_free(srr_slack_config **c);

/* Fills client options from the config (pointers borrowed from it).
 * SRR_EAUTH naming the variable when no webhook URL or bot token is set. */
srr_rc srr_slack_config_opts(const srr_slack_config *c, srr_slack_opts *o, srr_error *err);

/* The option rows for `srr config reference`. */
void srr_slack_config_print_reference(FILE *out);

#endif
