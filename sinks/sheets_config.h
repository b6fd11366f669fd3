/* SPDX-License-Identifier: Apache-2.0
 *
 * sheets_config.h - the `sheets:` section (the Google Sheet mirror, sheets.c;
 * core's srr_opt_def table, loaded by the outbox): the service-account key
 * file, the spreadsheet and tab, the endpoints (tests
 * point api_url and token_url at a fake), the polling period for people's
 * edits and the spacing that keeps within Google's per-minute quotas. Also
 * the columns of the practice's list, in the order srr writes them.
 */
#ifndef SRR_SINKS_SHEETS_CONFIG_H
#define SRR_SINKS_SHEETS_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "jwt.h"
#include "sheets_api.h"
#include "srr.h"

/* ID, Kind, Title, Status, Urgency, Assignee, Service, Datadog URL, Backlog,
 * Postmortem, Next review, First seen, Last seen, Occurrences. */
#define SRR_SHEETS_NCOLS 14
extern const char *const srr_sheets_columns[SRR_SHEETS_NCOLS + 1];

typedef struct srr_sheets_config {
    char *credentials_file; /* resolved against the config file's directory */
    char *spreadsheet_id;
    char *sheet; /* tab name, "SRR" */
    char *api_url;
    char *token_url; /* NULL = the key's token_uri */
    int64_t poll_every_s;
    int64_t min_interval_s;
    int64_t timeout_s;
    int64_t connect_timeout_s;
} srr_sheets_config;

extern const srr_opt_def srr_sheets_options[];

/* Checks a loaded section (credentials_file and spreadsheet_id are
 * required: SRR_EINVAL with the section's position) and resolves
 * credentials_file against the config file's directory. */
srr_rc srr_sheets_config_resolve(const srr_config *cfg, srr_sheets_config *c, srr_error *err);

/* Loads `sheets:` (table + resolve); *out NULL when the section is absent.
 * Free with srr_sheets_config_free. */
srr_rc srr_sheets_config_load(const srr_config *cfg, srr_sheets_config **out, srr_error *err);
void srr_sheets_config_free(srr_sheets_config **c);

/* Reads the key file and makes the token source and the client (free both
 * with their destroy functions, the client first). */
srr_rc srr_sheets_config_open(const srr_sheets_config *c, srr_gtoken **token, srr_sheets **sh,
                              srr_error *err);

#endif
