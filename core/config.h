/* SPDX-License-Identifier: Apache-2.0
 *
 * config.h - the srr configuration file (YAML): sections `datadog`, `queue`,
 * `store`, `sweep`, `checks` and `policy`. Every option is declared once in
 * a table in config.c (name, type, default, description); the loader applies
 * defaults, checks types, rejects unknown keys with file:line:col, and the
 * same table prints the reference (`srr config reference`).
 *
 * The `checks` list is parsed here into plain structs; the condition text of
 * each check and the whole `policy` section are compiled by rules/ (which
 * reports its own errors with positions taken from the kept YAML tree).
 *
 * Secrets (DD_API_KEY, DD_APP_KEY) come only from the environment.
 */
#ifndef SRR_CONFIG_H
#define SRR_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "signal.h"
#include "srr.h"
#include "yaml.h"

typedef struct srr_dd_config {
    char *site;              /* "datadoghq.com"; DD_SITE overrides the file */
    char *api_url;           /* base URL; when set, wins over site */
    char *api_key;           /* from $DD_API_KEY, may be NULL */
    char *app_key;           /* from $DD_APP_KEY, may be NULL */
    int64_t timeout_s;       /* total time per request */
    int64_t connect_timeout_s;
    long long max_response_bytes;
    long long max_concurrency;
    long long log_page_limit; /* page.limit for logs search, <= 1000 */
    long long max_log_pages;  /* safety bound per check and window */
} srr_dd_config;

typedef struct srr_queue_config {
    char *backend;   /* "spool" (default) or "kafka" */
    char *spool_dir; /* directory of the local durable spool */
} srr_queue_config;

typedef struct srr_store_config {
    char *path; /* SQLite file */
} srr_store_config;

typedef struct srr_sweep_config {
    int64_t window_s;    /* default window of a check (7d) */
    int64_t align_s;     /* window end is aligned down to this (1h) */
} srr_sweep_config;

/* One configured check: what the sweep asks Datadog and what counts as a
 * signal. Strings owned by the config. */
typedef struct srr_check {
    char *name;
    srr_source source;      /* SRR_SRC_METRICS or SRR_SRC_LOGS */
    char *query;            /* metric query, or log search query */
    int64_t window_s;       /* length of the window asked for */
    char *when;             /* condition text: "max > 90%", "growth > 10%/week", "count > 100" */
    const srr_yaml_node *when_node; /* position of `when` for error messages */
    char *limit;            /* trend checks: the limit to project to ("2GiB"), may be NULL */
    const srr_yaml_node *limit_node;
    char *service;          /* default service label, may be NULL */
    char *env;              /* default env label, may be NULL */
    char **group_by;        /* logs: facets/attributes to group counts by ("service") */
    size_t ngroup_by;
    char *description;      /* free text shown in the record overview, may be NULL */
    const srr_yaml_node *node; /* the check's map, for positions */
} srr_check;

typedef struct srr_config {
    char *path;                  /* file it was loaded from */
    srr_yaml_node *root;         /* whole document (owned) */
    srr_dd_config datadog;
    srr_queue_config queue;
    srr_store_config store;
    srr_sweep_config sweep;
    srr_check *checks;
    size_t nchecks;
    const srr_yaml_node *policy; /* the `policy` section (borrowed from root), may be NULL */
} srr_config;

/* Finds the config file: `explicit_path` if given, else $SRR_CONFIG, else
 * "./srr.yaml". Returns a pointer to one of those (not allocated). */
const char *srr_config_locate(const char *explicit_path);

/* Loads and validates a config file. On success *out is a new config (free
 * with srr_config_destroy). On failure returns SRR_EINVAL (bad content,
 * message "file:line:col: ...") or SRR_EIO (unreadable). Relative paths in
 * queue.spool_dir and store.path are resolved against the config file's
 * directory. */
srr_rc srr_config_load(const char *path, srr_config **out, srr_error *err);
/* Same, from a string (file names the source for messages). */
srr_rc srr_config_parse(const char *file, const char *text, size_t len, srr_config **out,
                        srr_error *err);
void srr_config_destroy(srr_config *cfg);

/* Base URL the Datadog client talks to: api_url if set, else
 * "https://api.<site>". Newly allocated; caller frees. */
char *srr_config_dd_base_url(const srr_config *cfg);

/* Prints the option reference (markdown) generated from the option tables. */
void srr_config_print_reference(FILE *out);

#endif
