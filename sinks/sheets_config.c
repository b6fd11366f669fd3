/* SPDX-License-Identifier: Apache-2.0
 *
 * sheets_config.c - the `sheets:` option table, its checks, the client
 * made from it, and the columns of the mirrored list.
 */
#include "sheets_config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define OFF(f) offsetof(srr_sheets_config, f)

const char *const srr_sheets_columns[SRR_SHEETS_NCOLS + 1] = {
    "ID",          "Kind",       "Title",       "Status",      "Urgency",
    "Assignee",    "Service",    "Datadog URL", "Backlog",     "Postmortem",
    "Next review", "First seen", "Last seen",   "Occurrences", NULL};

const srr_opt_def srr_sheets_options[] = {
    {"credentials_file", SRR_OPT_STRING, NULL, OFF(credentials_file), 0, 0,
     "Service-account JSON key file (relative to the config file); share the sheet with its "
     "client_email."},
    {"spreadsheet_id", SRR_OPT_STRING, NULL, OFF(spreadsheet_id), 0, 0,
     "The spreadsheet's id (the part of its URL after /d/)."},
    {"sheet", SRR_OPT_STRING, "SRR", OFF(sheet), 0, 0,
     "Tab holding one row per record (created when missing)."},
    {"api_url", SRR_OPT_STRING, "https://sheets.googleapis.com", OFF(api_url), 0, 0,
     "Base URL of the Sheets API (tests point it elsewhere)."},
    {"token_url", SRR_OPT_STRING, NULL, OFF(token_url), 0, 0,
     "OAuth token endpoint; default: the key file's token_uri."},
    {"poll_every", SRR_OPT_DURATION, "1m", OFF(poll_every_s), 1, 86400,
     "How often the sheet is read for Status and Assignee edits."},
    {"min_interval", SRR_OPT_DURATION, "1s", OFF(min_interval_s), 0, 60,
     "Least time between two requests (60 writes a minute per user is Google's quota)."},
    {"timeout", SRR_OPT_DURATION, "30s", OFF(timeout_s), 1, 600, "Total time per request."},
    {"connect_timeout", SRR_OPT_DURATION, "10s", OFF(connect_timeout_s), 1, 600,
     "Time allowed to connect."},
    {NULL, SRR_OPT_STRING, NULL, 0, 0, 0, NULL}};

srr_rc srr_sheets_config_resolve(const srr_config *cfg, srr_sheets_config *c, srr_error *err)
{
    const srr_yaml_node *sec = srr_yaml_get(cfg->root, "sheets");
    char *abs;
    if (!c->credentials_file || !*c->credentials_file)
        return sec ? srr_error_at(err, SRR_EINVAL, sec->file, sec->line, sec->col,
                                  "sheets: credentials_file (a service-account JSON key) is "
                                  "required")
                   : srr_error_set(err, SRR_EINVAL, "sheets: credentials_file is required");
    if (!c->spreadsheet_id || !*c->spreadsheet_id)
        return sec ? srr_error_at(err, SRR_EINVAL, sec->file, sec->line, sec->col,
                                  "sheets: spreadsheet_id is required")
                   : srr_error_set(err, SRR_EINVAL, "sheets: spreadsheet_id is required");
    abs = srr_config_path(cfg, c->credentials_file);
    free(c->credentials_file);
    c->credentials_file = abs;
    return SRR_OK;
}

srr_rc srr_sheets_config_load(const srr_config *cfg, srr_sheets_config **out, srr_error *err)
{
    const srr_yaml_node *sec = srr_yaml_get(cfg->root, "sheets");
    srr_sheets_config *c;
    srr_rc rc;
    *out = NULL;
    if (!sec)
        return SRR_OK;
    c = srr_calloc(1, sizeof(*c));
    rc = srr_config_load_options(srr_sheets_options, sec, "sheets", c, err);
    if (rc == SRR_OK)
        rc = srr_sheets_config_resolve(cfg, c, err);
    if (rc != SRR_OK) {
        srr_sheets_config_free(&c);
        return rc;
    }
    *out = c;
    return SRR_OK;
}

void srr_sheets_config_free(srr_sheets_config **cp)
{
    if (!cp || !*cp)
        return;
    srr_config_free_options(srr_sheets_options, *cp);
    free(*cp);
    *cp = NULL;
}

srr_rc srr_sheets_config_open(const srr_sheets_config *c, srr_gtoken **token, srr_sheets **sh,
                              srr_error *err)
{
    srr_sa_key *key = NULL;
    srr_http_opts http = {0};
    srr_sheets_opts o = {0};
    srr_rc rc;
    *token = NULL;
    *sh = NULL;
    rc = srr_sa_key_load(c->credentials_file, &key, err);
    if (rc != SRR_OK) {
        srr_error_prefix(err, "sheets.credentials_file");
        return rc;
    }
    http.timeout_ms = (long)c->timeout_s * 1000;
    http.connect_timeout_ms = (long)c->connect_timeout_s * 1000;
    rc = srr_gtoken_create(&key, SRR_SHEETS_SCOPE, c->token_url, &http, token, err);
    srr_sa_key_destroy(&key);
    if (rc != SRR_OK)
        return rc;
    o.api_url = c->api_url;
    o.spreadsheet_id = c->spreadsheet_id;
    o.token = *token;
    o.min_interval_ms = c->min_interval_s * 1000;
    o.http = http;
    rc = srr_sheets_create(&o, sh, err);
    if (rc != SRR_OK)
        srr_gtoken_destroy(token);
    return rc;
}
