/* SPDX-License-Identifier: Apache-2.0
 *
 * config.h - the srr configuration file (YAML): sections `datadog`, `queue`,
 * `store`, `sweep`, `checks`, `monitors` and `policy`. Every option is declared once in
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
    long long max_attempts;   /* tries per request for 429/5xx/timeouts (1 = no retry) */
    int64_t retry_max_time_s; /* total time one request may spend retrying */
    int64_t rate_limit_max_wait_s; /* longest wait for a rate-limit reset before failing */
} srr_dd_config;

/* A free-form key/value pair (passthrough settings such as rdkafka's). */
typedef struct srr_kv {
    char *key;
    char *value;
} srr_kv;

typedef struct srr_kafka_config {
    char *brokers;   /* bootstrap servers "host:port,..." */
    char *topic;     /* candidates topic (srr.candidates) */
    char *dlq_topic; /* dead-letter topic (srr.candidates.dlq) */
    char *group;     /* consumer group of the writers (srr-writer) */
    srr_kv *rdkafka; /* passthrough librdkafka settings (security.protocol, sasl.*, ...) */
    size_t nrdkafka;
} srr_kafka_config;

typedef struct srr_queue_config {
    char *backend;   /* "spool" (default) or "kafka" */
    char *spool_dir; /* directory of the local durable spool */
    int64_t spool_retention_s; /* consumed segments kept this long (restore replays them) */
    srr_kafka_config kafka;
} srr_queue_config;

/* The webhook receiver (`srr serve`). Secrets are resolved at load time from
 * the environment variable or file named here, never from the YAML itself. */
typedef struct srr_webhook_config {
    char *listen;              /* "127.0.0.1:8080" */
    char *token_header;        /* header carrying the shared secret (X-SRR-Token) */
    char *token_env;           /* env var holding the secret (SRR_WEBHOOK_TOKEN) */
    char *token_file;          /* or a file holding it (first line), may be NULL */
    char *basic_user;          /* basic auth user, may be NULL */
    char *basic_password_env;  /* env var holding the basic auth password */
    char *basic_password_file; /* or a file holding it */
    long long max_body_bytes;  /* 413 past this (256 KiB) */
    int64_t connection_timeout_s; /* 15 s, Datadog's own; also bounds one request's time */
    int64_t queue_timeout_s;   /* no queue confirmation by then: 503 (5 s) */
    long long max_connections;
    long long per_ip_connections;
    long long threads;         /* 0 = one per core */
    char *tls_cert;            /* PEM files for optional TLS, may be NULL */
    char *tls_key;
    char *quarantine_dir;      /* unparseable bodies kept here (relative to the config) */
    long long quarantine_max_bodies; /* bodies kept at most; full: 503 (1000) */
    long long quarantine_max_bytes;  /* bytes kept at most; full: 503 (100 MiB) */
    char *token;               /* resolved secret, NULL when none configured */
    char *basic_password;      /* resolved secret, NULL when none configured */
} srr_webhook_config;

typedef struct srr_store_config {
    char *path; /* SQLite file */
} srr_store_config;

typedef struct srr_sweep_config {
    int64_t window_s;    /* default window of a check (7d) */
    int64_t align_s;     /* window end is aligned down to this (1h) */
    int64_t max_catchup_s; /* after downtime, look back at most this far (28d) */
    char *textfile;      /* Prometheus textfile written after each sweep, may be NULL */
    char *on_partial;    /* "fail" (default) or "keep": what a partial answer is worth */
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
    char *unit;             /* metrics: the series' unit when Datadog sends none
                               ("fraction", "percent", "byte", "ms"), may be NULL */
    const srr_yaml_node *unit_node;
    char *service;          /* default service label, may be NULL */
    char *env;              /* default env label, may be NULL */
    char **group_by;        /* what one thing of this check is (DESIGN.md section 3):
                               logs count per these facets/attributes; metrics keep
                               these tag keys of each series as the thing's group
                               and the rest as its members ("pod:w-1" of
                               "service:worker"). None: every series (or the one
                               log group) is a thing of its own. */
    size_t ngroup_by;
    char *description;      /* free text shown in the record overview, may be NULL */
    const srr_yaml_node *node; /* the check's map, for positions */
} srr_check;

/* The team (issue: fair assignment): who can own records, and which person
 * or team owns which service by default. */
typedef struct srr_team_config {
    char **members;     /* people who take records ("alice", ...) */
    size_t nmembers;
    srr_kv *owners;     /* service -> owner */
    size_t nowners;
    srr_kv *emails;     /* person -> email (exports: the assignee as an email) */
    size_t nemails;
    long long skew_percent; /* flag skew when max load > this % of the mean (200) */
    int64_t stale_s;    /* a record untouched this long is stale (30d) */
} srr_team_config;

/* A declarative option table (Fluent Bit's config maps are the model): one
 * entry per key of a section, with its type, default (as text, NULL for
 * unset), where it lands (offsetof into the section's struct), bounds for
 * integers and durations, and the line the reference prints. The tables of
 * the core sections live in config.c; a sink declares its own (sinks/) and
 * loads its section with srr_config_load_options, so every section is
 * checked, defaulted and documented the same way. Field types: STRING
 * char *, INT long long, DURATION int64_t seconds, KV srr_kv * followed by
 * its size_t count, LIST char ** followed by its size_t count (its default
 * is comma separated), BOOL int 0/1 (default "true" or "false"). */
typedef enum {
    SRR_OPT_STRING,
    SRR_OPT_INT,
    SRR_OPT_DURATION,
    SRR_OPT_KV,
    SRR_OPT_LIST,
    SRR_OPT_BOOL
} srr_opt_type;

typedef struct srr_opt_def {
    const char *key;
    srr_opt_type type;
    const char *def;     /* default as text (NULL: unset) */
    size_t offset;       /* of the field inside the section struct */
    long long min, max;  /* SRR_OPT_INT / SRR_OPT_DURATION bounds */
    const char *help;
} srr_opt_def;

typedef struct srr_config {
    char *path;                  /* file it was loaded from */
    srr_yaml_node *root;         /* whole document (owned) */
    srr_dd_config datadog;
    srr_queue_config queue;
    srr_store_config store;
    srr_sweep_config sweep;
    srr_webhook_config webhook;
    srr_team_config team;
    srr_check *checks;
    size_t nchecks;
    const srr_yaml_node *policy; /* the `policy` section (borrowed from root), may be NULL */
    const srr_yaml_node *monitors; /* the `monitors` section (borrowed from root), may be
                                      NULL: which monitors' alerts make one thing per
                                      which group (compiled by rules/) */
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

/* Fills the struct at `base` from `section` (a map node, or NULL when the
 * section is absent: every default applies) by the table `opts` (ended by
 * a NULL key): defaults, types and bounds, and unknown keys refused with
 * file:line:col naming `name` ("notion"). Returns SRR_OK or SRR_EINVAL. On
 * failure what was filled must still be freed with srr_config_free_options. */
srr_rc srr_config_load_options(const srr_opt_def *opts, const srr_yaml_node *section,
                               const char *name, void *base, srr_error *err);
/* Frees what srr_config_load_options allocated in `base`. */
void srr_config_free_options(const srr_opt_def *opts, void *base);
/* Prints a table's reference rows for section `name`: markdown table rows
 * (as `srr config reference`), or roff .TP items when `roff`. */
void srr_config_print_options(FILE *out, const char *name, const srr_opt_def *opts, int roff);
/* `path` resolved against the directory of cfg's file (absolute paths and
 * a config without a path pass through). A new string the caller frees, or
 * NULL when path is NULL. */
char *srr_config_path(const srr_config *cfg, const char *path);
/* Reads a secret (a token, a webhook URL that holds one): the first line of
 * `file` (relative to the config file) when it is set, else the value of
 * the environment variable `env`. *out is NULL when neither gives one, else
 * a copy the caller frees, registered for redaction (log.h). SRR_EINVAL
 * naming `what` when the file cannot be read. */
srr_rc srr_config_secret(const srr_config *cfg, const char *env, const char *file,
                         const char *what, char **out, srr_error *err);
/* Prints the option reference (markdown) generated from the option tables. */
void srr_config_print_reference(FILE *out);
/* The same reference in roff, for the srr.yaml(5) man page. */
void srr_config_print_reference_roff(FILE *out);

#endif
