/* SPDX-License-Identifier: Apache-2.0
 *
 * sink_opts.h - option tables for the sections of the sinks (`slack:`,
 * `github:`, `jira:`, `tickets:`, `sheets:`), in the shape of core/config.c's
 * tables ({key, type, default, offset, bounds, help}) plus a boolean type
 * that core's loader lacks. Each sink declares its table as a static array
 * next to its code (Fluent Bit's x_config.c); one loader applies defaults
 * and types, rejects unknown keys with file:line:col, and prints the same
 * table as reference rows.
 *
 * Meant to merge with core/config.c's loader (and the `notion:` table of
 * issue 20) once both exist on main: the table layout is the same on
 * purpose.
 */
#ifndef SRR_SINKS_SINK_OPTS_H
#define SRR_SINKS_SINK_OPTS_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "srr.h"
#include "yaml.h"

typedef enum {
    SRR_SOPT_STRING,   /* char*, NULL when unset and no default */
    SRR_SOPT_INT,      /* long long within [min, max] */
    SRR_SOPT_DURATION, /* int64_t seconds within [min, max] */
    SRR_SOPT_BOOL,     /* int 0/1 */
    SRR_SOPT_LIST      /* char** followed by its size_t count */
} srr_sink_opt_type;

typedef struct srr_sink_opt {
    const char *key;
    srr_sink_opt_type type;
    const char *def; /* default as text (NULL = unset; a LIST default is comma separated) */
    size_t offset;   /* of the field in the section's struct */
    long long min, max;
    const char *help;
} srr_sink_opt;

/* Fills `base` from the map `sec` (NULL = section absent: defaults only)
 * following the NULL-key-terminated table. `section` names it in messages.
 * Returns SRR_OK or SRR_EINVAL with "file:line:col: section.key: ...".
 * Whatever was set is freed by srr_sink_opts_free, also after a failure. */
srr_rc srr_sink_opts_load(const srr_sink_opt *opts, const srr_yaml_node *sec, const char *section,
                          void *base, srr_error *err);
void srr_sink_opts_free(const srr_sink_opt *opts, void *base);

/* Prints one markdown row per option ("| `section.key` | type | default |
 * help |"), the format of core's `srr config reference`. */
void srr_sink_opts_print_reference(FILE *out, const char *section, const srr_sink_opt *opts);

/* The section's node in a loaded config, NULL when absent or empty. */
const srr_yaml_node *srr_sink_section(const srr_config *cfg, const char *name);

/* Reads a secret: the first line of `file` when set, else $`env`. *out is
 * NULL when neither gives one. `file` relative paths are resolved against
 * the config file's directory. SRR_EINVAL when the file cannot be read.
 * The secret is registered for redaction (log.h). Caller frees *out. */
srr_rc srr_sink_secret(const srr_config *cfg, const char *env, const char *file, const char *what,
                       char **out, srr_error *err);

/* `path` resolved against the config file's directory (absolute paths and
 * NULL pass through). Returns a new string (caller frees) or NULL. */
char *srr_sink_path(const srr_config *cfg, const char *path);

#endif
