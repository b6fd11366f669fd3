/* SPDX-License-Identifier: Apache-2.0
 *
 * help.h - the one table of srr's commands (commands.c). main() registers
 * it and dispatches through it, `srr help [CMD]` and `srr CMD --help`
 * print from it, and `srr man 1|5` writes the srr(1) and srr.yaml(5) man
 * pages from it and from the config option tables, so help, man pages and
 * the README reference cannot drift. The printers are help.c.
 */
#ifndef SRR_HELP_H
#define SRR_HELP_H

#include <stdio.h>

typedef struct srr_command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    const char *synopsis; /* usage lines, '\n'-separated, without "srr " */
    const char *summary;  /* one line */
    const char *details;  /* paragraphs, '\n\n'-separated */
} srr_command;

/* A named group of options ("READ OPTIONS") that synopsis lines end with
 * instead of repeating them; `options` is the group in synopsis syntax. */
typedef struct srr_option_group {
    const char *name;
    const char *options;
} srr_option_group;

/* The command table (commands.c), ending with an entry whose name is NULL.
 * main() registers it before anything reads it; every command file is
 * reachable from it, so nothing but main.c refers to it by name. */
extern const srr_command SRR_COMMANDS[];
/* Makes table (borrowed: static data) the one the functions below read. */
void srr_help_set_commands(const srr_command *table);
/* The registered command table (NULL before srr_help_set_commands). Synopsis
 * lines follow one grammar that cmd/completion.c reads: `[..]` optional,
 * `a | b` alternatives, `--opt VALUE`, lower-case `x|y|z` an enumeration,
 * UPPER-CASE placeholders (ID, FILE, WHO, STATUS ...) whose completion
 * completion.c's placeholder table says, `...` repeats, and a group name
 * from srr_option_groups(). */
const srr_command *srr_commands(void);
/* The option groups, ending with a NULL name. */
const srr_option_group *srr_option_groups(void);
/* The command called `name`, or NULL. */
const srr_command *srr_command_find(const char *name);
/* `srr help`: every command's synopsis and summary. */
void srr_help_usage(FILE *out);
/* `srr help CMD` / `srr CMD --help`. */
void srr_help_command(FILE *out, const srr_command *c);
/* The whole srr.yaml reference: every option of the core sections and of
 * the sinks (sync, notion), then the keys of checks and policy, the
 * conditions and the notes of core/reference.c - in markdown (`srr config
 * reference`, the README) or roff (srr.yaml(5)). */
void srr_help_reference(FILE *out, int roff);
/* `srr man 1` (srr(1)) or `srr man 5` (srr.yaml(5)) in roff. Returns 0, or
 * -1 for another section. */
int srr_help_man(FILE *out, int section);

#endif
