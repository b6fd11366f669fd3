/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c - the srr command: registers the command table (commands.c) with
 * help.c, takes the global options, finds the subcommand in the table and
 * hands over. Each subcommand lives in its
 * own file of cmd/ and wires the modules together; the work itself is done
 * in ingest/, rules/ and store/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "help.h"
#include "log.h"
#include "srr.h"

/* Takes the global logging options out of argv wherever they stand
 * (--log-format text|json, --log-level debug|info|warn|error; also
 * $SRR_LOG_FORMAT), so each subcommand parses only its own. The format is
 * set first, so even a bad --log-level is reported in it. Returns the new
 * argc, or -1 after printing an error. */
static int take_log_options(int argc, char **argv)
{
    const char *fmt = getenv("SRR_LOG_FORMAT"), *lvl = NULL, *missing = NULL;
    int i, out = 0;
    for (i = 0; i < argc; i++) {
        int is_fmt = strcmp(argv[i], "--log-format") == 0;
        int is_lvl = strcmp(argv[i], "--log-level") == 0;
        if (!is_fmt && !is_lvl) {
            argv[out++] = argv[i];
            continue;
        }
        if (i + 1 >= argc) {
            missing = argv[i];
            break;
        }
        if (is_fmt)
            fmt = argv[++i];
        else
            lvl = argv[++i];
    }
    argv[out] = NULL;
    if (fmt && *fmt) {
        if (strcmp(fmt, "json") == 0) {
            srr_log_set_format(SRR_LOG_JSON);
        } else if (strcmp(fmt, "text") == 0) {
            srr_log_set_format(SRR_LOG_TEXT);
        } else {
            srr_say_error("srr: unknown --log-format '%s' (text, json)", fmt);
            return -1;
        }
    }
    if (missing) {
        srr_say_error("srr: %s needs a value", missing);
        return -1;
    }
    if (lvl) {
        int l = srr_log_level_parse(lvl);
        if (l < 0) {
            srr_say_error("srr: unknown --log-level '%s' (debug, info, warn, error)", lvl);
            return -1;
        }
        srr_log_set_level((srr_log_level)l);
    }
    return out;
}

/* The command list on stderr after a usage error; in JSON one event. */
static void usage_error(const char *what)
{
    if (srr_log_get_format() == SRR_LOG_JSON) {
        srr_say_error("srr: %s (srr help lists the commands)", what);
        return;
    }
    if (*what)
        fprintf(stderr, "srr: %s\n\n", what);
    srr_help_usage(stderr);
}

int main(int argc, char **argv)
{
    const char *cmd;
    const srr_command *c;
    int i;
    /* Line-buffered even into a pipe, so stdout and the log lines on stderr
     * interleave in the order they happened. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The spool, the store, its backups, locks and the quarantine hold
     * alerts and records: none of it is for other users of the machine.
     * Files srr creates are 0640 at most (0600 for backups). */
    umask(027);
    srr_help_set_commands(SRR_COMMANDS);
    argc = take_log_options(argc, argv);
    if (argc < 0)
        return SRR_EXIT_USAGE;
    if (argc < 2) {
        usage_error(srr_log_get_format() == SRR_LOG_JSON ? "no command given" : "");
        return SRR_EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        cmd = "help";
    else if (strcmp(cmd, "--version") == 0)
        cmd = "version";
    c = srr_command_find(cmd);
    if (!c) {
        char what[160];
        snprintf(what, sizeof(what), "unknown command '%s'", cmd);
        usage_error(what);
        return SRR_EXIT_USAGE;
    }
    /* `srr CMD --help` (anywhere after CMD) prints the same help as
     * `srr help CMD`: one source for both and for the man page. */
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            srr_help_command(stdout, c);
            return SRR_EXIT_OK;
        }
    }
    return c->run(argc - 1, argv + 1);
}
