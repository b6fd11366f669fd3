/* SPDX-License-Identifier: Apache-2.0
 *
 * cli.h - what the subcommands of the srr binary share: exit codes, loading
 * the config with the right exit code on failure, and printing JSON results
 * as tables, JSON or markdown.
 */
#ifndef SRR_CLI_H
#define SRR_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>

#include <stdint.h>

#include "config.h"
#include "log.h" /* srr_say_error: every message on stderr follows --log-format */
#include "rules.h"
#include "store.h"

/* Exit codes of every subcommand. */
enum {
    SRR_EXIT_OK = 0,
    SRR_EXIT_FAIL = 1,   /* the job ran and something failed */
    SRR_EXIT_USAGE = 2   /* bad arguments or bad configuration */
};

typedef enum { SRR_FMT_TABLE = 0, SRR_FMT_JSON, SRR_FMT_MD } srr_format;

/* getopt_long, except that a bad option is reported through srr_say_error
 * ("srr: unrecognized option '--x'", "srr: option '--c' requires an
 * argument"), so it follows --log-format too; returns '?' for both, as
 * getopt_long does. */
int srr_getopt_long(int argc, char *const *argv, const char *optstring,
                    const struct option *longopts, int *longindex);

/* Reads the options that follow a subcommand word (argv[1], as in "srr
 * config check -c FILE"): -c/--config FILE only, into *config (borrowed
 * from argv). Returns SRR_EXIT_OK, or SRR_EXIT_USAGE for any other option
 * (srr_getopt_long said which). */
int srr_cli_sub_config(int argc, char **argv, const char **config);

/* Parses "table", "json" or "md"; prints an error and returns -1 otherwise. */
int srr_cli_format(const char *s, srr_format *out);

/* Loads the config found by srr_config_locate(path), then turns core
 * dumps off (the secrets are loaded). On failure prints the error to
 * stderr and returns NULL; *exit_code is then 2 for bad content and 1 when
 * the file could not be read. Free with srr_config_destroy. */
srr_config *srr_cli_load_config(const char *path, int *exit_code);
/* srr_cli_load_config, then its policy compiled into *rs (free with
 * srr_rules_destroy). A policy that does not compile is said on stderr,
 * the config freed: NULL with *exit_code 2. */
srr_config *srr_cli_load_policy(const char *path, srr_ruleset **rs, int *exit_code);

/* Turns core dumps off for this process (PR_SET_DUMPABLE 0, RLIMIT_CORE
 * 0): done by srr_cli_load_config, once the secrets are loaded. Returns 0,
 * or -1 when the kernel refused. */
int srr_cli_no_core_dumps(void);

/* One column of a table: header text and the JSON key it shows. */
typedef struct srr_column {
    const char *header;
    const char *key;
    int max_width; /* cut longer cells with "…" (0 = no limit) */
} srr_column;

/* Prints an array of objects as an aligned table (or JSON / markdown).
 * `empty` is printed instead of a table when the array is empty. */
void srr_cli_print_list(FILE *out, const json_t *arr, const srr_column *cols, srr_format fmt,
                        const char *empty);

/* Keeps only the records of arr (objects with a "labels" array) that carry
 * `label`; the others are removed in place. */
void srr_cli_keep_label(json_t *arr, const char *label);

/* The value of key in obj as text ("" for null/absent); numbers formatted,
 * arrays of strings joined by ", ".
 * Returns a pointer to a static buffer or into obj: copy before the next call. */
const char *srr_cli_text(const json_t *obj, const char *key);

/* The values a list or export filter accepts. */
extern const char *const SRR_CLI_RISK_STATUSES[];    /* draft, open, ... merged */
extern const char *const SRR_CLI_BACKLOG_STATUSES[]; /* draft, accepted, done, rejected */
extern const char *const SRR_CLI_INV_STATUSES[];     /* open, promoted, closed */
extern const char *const SRR_CLI_URGENCIES[];        /* low, medium, high, critical */

/* 0 when value is one of allowed (NULL-terminated; a NULL value passes),
 * else prints "srr: unknown OPTION 'value' (expected one of: ...)" and
 * returns -1: the caller exits 2. */
int srr_cli_choice(const char *option, const char *value, const char *const *allowed);

/* Parses a duration option ("90d") bounded to [min_s, max_s]; prints a
 * clear error naming the option and the bounds and returns -1 (exit 2)
 * when it is not a duration, overflows or is out of range. */
int srr_cli_duration(const char *option, const char *text, int64_t min_s, int64_t max_s,
                     int64_t *out);
/* The same for a whole number in [min, max]. */
int srr_cli_count(const char *option, const char *text, long long min, long long max,
                  long long *out);

/* Outside text made safe for a person (core/textsafe.h): control
 * characters shown as escapes; with SRR_FMT_MD also what Markdown would
 * read as HTML; newlines kept when `multiline`. JSON output must not go
 * through it. Returns text valid until SRR_CLI_SAFE_RING more calls (so
 * one printf may show several); copy it to keep it. */
#define SRR_CLI_SAFE_RING 16
const char *srr_cli_safe(const char *s, srr_format fmt, int multiline);
/* srr_cli_safe(srr_cli_text(obj, key), fmt, 0): one single-line field. */
const char *srr_cli_field(const json_t *obj, const char *key, srr_format fmt);

/* The writer, as both `srr drain` and the embedded `srr sweep` run it: opens
 * the store and the queue consumer of cfg, drains (once: until the queue is
 * empty; else until *stop), and prints one line of what it did. Returns an
 * exit code; errors are printed prefixed by `who`. */
int srr_cli_drain(const srr_config *cfg, int once, volatile sig_atomic_t *stop, const char *who);
/* The same, once, for `srr sweep`: drains what the sweep queued for the
 * window ending at window_end and closes that window (its investigations
 * judged with its end as "now"). Prints nothing when `quiet`. */
int srr_cli_drain_window(const srr_config *cfg, int64_t window_end, int quiet, const char *who,
                         srr_apply_stats *stats);

/* Subcommands, each `int cmd_x(int argc, char **argv)` with argv[0] = name. */
int srr_cmd_sweep(int argc, char **argv);
int srr_cmd_drain(int argc, char **argv);
int srr_cmd_serve(int argc, char **argv); /* cmd/serve.c */
int srr_cmd_risks(int argc, char **argv);
int srr_cmd_backlog(int argc, char **argv);
int srr_cmd_investigations(int argc, char **argv);
int srr_cmd_config(int argc, char **argv);
int srr_cmd_policy(int argc, char **argv); /* cmd/policy.c */
int srr_cmd_backup(int argc, char **argv);
int srr_cmd_restore(int argc, char **argv);
int srr_cmd_doctor(int argc, char **argv);
int srr_cmd_completion(int argc, char **argv); /* cmd/completion.c */
int srr_cmd_sync(int argc, char **argv);   /* cmd/sync.c: sync [status|retry] */
int srr_cmd_notion(int argc, char **argv); /* cmd/sync.c: notion setup */

/* The sync thread serve and drain run beside their writer (cmd/sync.c):
 * delivers the outbox to the configured sinks until stopped. start returns
 * NULL when no sink is configured (*code 0) or when the sinks' config is
 * wrong (printed, *code the exit code). */
typedef struct srr_cli_sync srr_cli_sync;
srr_cli_sync *srr_cli_sync_start(const srr_config *cfg, const char *who, int *code);
void srr_cli_sync_stop(srr_cli_sync **cs);
/* One sync run until nothing is due (drain --once). Returns an exit code
 * (0 also when no sink is configured); prints what it did. */
int srr_cli_sync_once(const srr_config *cfg, const char *who);
/* Appends the outbox gauges of the sinks cfg configures (pending, parked,
 * the oldest undelivered change's age; store/reports/gauges.h) to `out`,
 * for /metrics and sweep.textfile; nothing without sinks. Read-only. */
void srr_cli_sink_gauges(const srr_config *cfg, srr_buf *out);

/* The human side (issue 7): cmd/workflow.c, cmd/review.c, cmd/export.c. */
typedef struct srr_store srr_store;
/* Loads the config (-c FILE or the default) and opens its store; on
 * failure prints the error, sets *code and returns NULL. Close the store
 * with srr_store_close and the config with srr_config_destroy. */
srr_store *srr_cli_open_store(const char *config, srr_config **cfg, int *code);
/* Exit code of a store result: 0 ok, 2 bad argument or unknown id, 1 else. */
int srr_cli_exit_of(srr_rc rc);
/* `argv[0]` is the verb: risks approve|reject|merge|assign|log|set|resolve|
 * accept|reopen, backlog accept|done|reject|assign, investigations resolve. */
int srr_cmd_risk_change(int argc, char **argv);
int srr_cmd_backlog_change(int argc, char **argv);
int srr_cmd_investigation_resolve(int argc, char **argv);
int srr_cmd_audit(int argc, char **argv);
int srr_cmd_team(int argc, char **argv);
int srr_cmd_review(int argc, char **argv);
int srr_cmd_export(int argc, char **argv);
/* Printers shared by show, review and export (markdown, readable as text;
 * fmt SRR_FMT_MD for a Markdown file, else for a terminal). */
void srr_cli_print_risk_page(FILE *out, const json_t *risk, srr_format fmt);
void srr_cli_print_backlog_page(FILE *out, const json_t *item, srr_format fmt);
/* Prints the sample log messages an evidence object keeps ("samples":
 * [{timestamp, message}]), one line each, after `indent`, made safe for
 * fmt (outside text: srr_cli_safe); nothing when it has none. */
void srr_cli_print_samples(FILE *out, const json_t *evidence, const char *indent,
                           srr_format fmt);
void srr_cli_print_load(FILE *out, const json_t *load, srr_format fmt);

#endif
