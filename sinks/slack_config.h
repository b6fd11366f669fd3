/* SPDX-License-Identifier: Apache-2.0
 *
 * slack_config.h - the `slack:` section: where messages go (an incoming
 * webhook, or a bot token and a channel for chat.postMessage), which
 * events are worth a message, and the transport's pace and timeouts. The
 * option table (srr_slack_options, core's srr_opt_def) lives in
 * slack_config.c; the outbox loads it for the Slack sink (slack.c) like
 * every sink's. Secrets (the webhook URL holds one) come from the
 * environment or a file, never from the YAML itself.
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
    int64_t history_s;      /* changes older than this when the sink first ran are not news */
    char *record_link;      /* the sink whose page a message links to ("notion"; "" none) */
    int64_t min_interval_s; /* spacing between messages */
    int64_t timeout_s;
    int64_t connect_timeout_s;
    /* Not in the table: resolved by srr_slack_config_resolve, freed by
     * srr_slack_config_release (NULL when not configured). */
    char *webhook_url;
    char *bot_token;
} srr_slack_config;

/* The option table (ended by a NULL key). */
extern const srr_opt_def srr_slack_options[];

/* Checks a loaded section against the rest of cfg and reads its secrets
 * into c->webhook_url / c->bot_token (release them with
 * srr_slack_config_release). SRR_EINVAL with file:line:col. A missing
 * secret is not an error here (srr_slack_config_opts says so). */
srr_rc srr_slack_config_resolve(const srr_config *cfg, srr_slack_config *c, srr_error *err);
void srr_slack_config_release(srr_slack_config *c);

/* Loads `slack:` from a loaded config (table + resolve). *out is NULL (and
 * SRR_OK) when the section is absent; else a new config (free with
 * srr_slack_config_free). */
srr_rc srr_slack_config_load(const srr_config *cfg, srr_slack_config **out, srr_error *err);
void srr_slack_config_free(srr_slack_config **c);

/* Fills client options from the config (pointers borrowed from it).
 * SRR_EAUTH naming the variable when no webhook URL or bot token is set. */
srr_rc srr_slack_config_opts(const srr_slack_config *c, srr_slack_opts *o, srr_error *err);

#endif
