/* SPDX-License-Identifier: Apache-2.0
 *
 * help.c - the printers built on the table of srr's commands (commands.c,
 * registered by main()): the usage list, per-command help and the srr(1) /
 * srr.yaml(5) man pages and the srr.yaml reference (see help.h); also the
 * option groups synopsis lines end with.
 */
#include "help.h"

#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "outbox.h"
#include "reference.h"
#include "srr.h"

/* The command table (commands.c), registered by main(). */
static const srr_command *commands;

/* Option groups a synopsis line may end with, spelled out once here and
 * under each command's help. */
static const srr_option_group groups[] = {
    {"READ OPTIONS", "[-c FILE] [--format table|json|md]"},
    {"CHANGE OPTIONS", "[-c FILE] [--as NAME] [--expect-updated TIME] [--format table|json|md]"},
    {NULL, NULL}};

void srr_help_set_commands(const srr_command *table)
{
    commands = table;
}

const srr_command *srr_commands(void)
{
    return commands;
}

const srr_option_group *srr_option_groups(void)
{
    return groups;
}

const srr_command *srr_command_find(const char *name)
{
    const srr_command *c;
    for (c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

void srr_help_reference(FILE *out, int roff)
{
    if (roff) {
        srr_config_print_reference_roff(out);
        srr_sync_print_reference(out, 1); /* the sinks' sections, same form */
        srr_ref_print_roff(out);
    } else {
        srr_config_print_reference(out);
        srr_sync_print_reference(out, 0); /* rows of the same table */
        srr_ref_print_md(out);
    }
}

/* Prints each line of `lines` with a prefix. */
static void print_lines(FILE *out, const char *prefix, const char *lines)
{
    const char *p = lines;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(out, "%s%.*s\n", prefix, (int)n, p);
        p += n + (nl ? 1 : 0);
    }
}

void srr_help_usage(FILE *out)
{
    const srr_command *c;
    fprintf(out, "usage: srr <command> [options]     (srr help COMMAND for more)\n\n");
    for (c = commands; c->name; c++)
        fprintf(out, "  %-16s %s\n", c->name, c->summary);
    fprintf(out, "\nGlobal options: --log-format text|json, --log-level debug|info|warn|error.\n"
                 "The config is -c FILE, else $SRR_CONFIG, else ./srr.yaml.\n"
                 "Datadog keys come from $DD_API_KEY and $DD_APP_KEY, the site from $DD_SITE.\n");
}

/* Wraps a paragraph at 78 columns with a two-space indent. */
static void print_wrapped(FILE *out, const char *text, size_t n)
{
    size_t col = 2, i = 0;
    fputs("  ", out);
    while (i < n) {
        size_t w = 0;
        while (i + w < n && text[i + w] != ' ')
            w++;
        if (col > 2 && col + 1 + w > 78) {
            fputs("\n  ", out);
            col = 2;
        } else if (col > 2) {
            fputc(' ', out);
            col++;
        }
        fwrite(text + i, 1, w, out);
        col += w;
        i += w;
        while (i < n && text[i] == ' ')
            i++;
    }
    fputc('\n', out);
}

void srr_help_command(FILE *out, const srr_command *c)
{
    const char *p;
    const srr_option_group *g;
    print_lines(out, "usage: srr ", c->synopsis);
    for (g = groups; g->name; g++)
        if (strstr(c->synopsis, g->name))
            fprintf(out, "  %s: %s\n", g->name, g->options);
    fprintf(out, "\n  %s\n", c->summary);
    for (p = c->details; p && *p;) {
        const char *end = strstr(p, "\n\n");
        size_t n = end ? (size_t)(end - p) : strlen(p);
        fputc('\n', out);
        print_wrapped(out, p, n);
        p += n + (end ? 2 : 0);
    }
}

/* Writes text for roff: escapes backslashes and leading dots/quotes. */
static void roff_text(FILE *out, const char *s, size_t n)
{
    size_t i;
    int bol = 1;
    for (i = 0; i < n; i++) {
        char ch = s[i];
        if (bol && (ch == '.' || ch == '\''))
            fputs("\\&", out);
        if (ch == '\\')
            fputs("\\e", out);
        else if (ch == '-')
            fputs("\\-", out);
        else
            fputc(ch, out);
        bol = ch == '\n';
    }
}

static void man_header(FILE *out, const char *name, int section)
{
    char date[32];
    time_t t = time(NULL);
    strftime(date, sizeof(date), "%Y-%m", gmtime(&t));
    fprintf(out, ".TH %s %d \"%s\" \"srr %s\" \"srr\"\n", name, section, date, SRR_VERSION);
}

/* srr.yaml(5): the reference of every option, then the demo config. */
static void man_config(FILE *out)
{
    man_header(out, "SRR.YAML", 5);
    fputs(".SH NAME\nsrr.yaml \\- configuration of srr\n.SH DESCRIPTION\n", out);
    fputs("One YAML file with the sections datadog, queue, store, sweep, webhook, team, "
          "checks, policy, sync and notion. Unknown keys and wrong types are errors naming "
          "the file, line and column. Relative paths are resolved against the file's "
          "directory. Secrets never go in the file: DD_API_KEY, DD_APP_KEY and DD_SITE come "
          "from the environment, the webhook secret and the Notion token from the variable "
          "or file their section names.\n.SH REFERENCE\n",
          out);
    srr_help_reference(out, 1);
    fputs(".SH EXAMPLE\n.nf\n", out);
    roff_text(out, srr_ref_example(), strlen(srr_ref_example()));
    fputs(".fi\n.SH SEE ALSO\n.BR srr (1),\n.BR fnmatch (3)\n", out);
}

/* srr(1)'s COMMANDS: each command's synopsis lines, summary and details,
 * from the same table as `srr help`. */
static void man_commands(FILE *out)
{
    const srr_command *c;
    for (c = commands; c->name; c++) {
        const char *p = c->synopsis;
        fputs(".TP\n", out);
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            fputs(".B srr ", out);
            roff_text(out, p, n);
            fputs("\n", out);
            if (nl)
                fputs(".br\n", out);
            p += n + (nl ? 1 : 0);
        }
        roff_text(out, c->summary, strlen(c->summary));
        fputs(".\n", out);
        for (p = c->details; p && *p;) {
            const char *end = strstr(p, "\n\n");
            size_t n = end ? (size_t)(end - p) : strlen(p);
            fputs("\n", out);
            roff_text(out, p, n);
            fputs("\n", out);
            p += n + (end ? 2 : 0);
        }
    }
}

/* srr(1)'s options: those several commands share, and the global ones. */
static void man_options(FILE *out)
{
    const srr_option_group *g;
    fputs(".SH OPTIONS SHARED BY COMMANDS\n", out);
    for (g = groups; g->name; g++) {
        fputs(".TP\n.B ", out);
        roff_text(out, g->name, strlen(g->name));
        fputs("\n", out);
        roff_text(out, g->options, strlen(g->options));
        fputs("\n", out);
    }
    fputs(".TP\n.B \\-c FILE\nThe config file (srr.yaml(5)); else $SRR_CONFIG, else ./srr.yaml.\n"
          ".TP\n.B \\-\\-as NAME\nWho makes a change, for the audit log; else $SRR_USER, else the "
          "login name (never root silently). With team.members set, NAME must be a member.\n"
          ".TP\n.B \\-\\-format table|json|md\nHow results print; json for scripts.\n"
          ".TP\n.B \\-\\-expect\\-updated TIME\nRefuse the change unless the record still has the "
          "Updated time that srr risks show printed (no edit on a stale read).\n"
          ".SH GLOBAL OPTIONS\n.TP\n.B \\-\\-log\\-format text|json\nOne line per event on "
          "standard error, as text or as JSON objects (ts, level, msg); in json every line on "
          "standard error - errors, usage, bad options - and doctor's report are JSON objects. "
          "Also $SRR_LOG_FORMAT.\n.TP\n"
          ".B \\-\\-log\\-level debug|info|warn|error\nThe least severe level printed. Also "
          "$SRR_LOG_LEVEL.\n",
          out);
}

/* srr(1)'s ENVIRONMENT, FILES and EXIT STATUS (fixed text). */
static void man_environment(FILE *out)
{
    fputs(".SH ENVIRONMENT\n"
          ".TP\n.B SRR_CONFIG\nThe config file when \\-c is not given (else ./srr.yaml).\n"
          ".TP\n.B DD_API_KEY, DD_APP_KEY\nDatadog's API and application keys (sweep, doctor). "
          "Never in the config file; redacted from every log line and error.\n"
          ".TP\n.B DD_SITE\nThe Datadog site; wins over datadog.site.\n"
          ".TP\n.B NOTION_TOKEN\nThe Notion integration's token (notion.token_env).\n"
          ".TP\n.B SRR_WEBHOOK_TOKEN, SRR_WEBHOOK_PASSWORD\nThe webhook's shared secret and basic "
          "auth password (the variables webhook.token_env and webhook.basic_password_env name; "
          "or files, webhook.token_file and basic_password_file).\n"
          ".TP\n.B SRR_USER\nThe actor recorded in the audit log when \\-\\-as is not given.\n"
          ".TP\n.B SRR_LOG_FORMAT, SRR_LOG_LEVEL\nDefaults of \\-\\-log\\-format and "
          "\\-\\-log\\-level.\n"
          ".TP\n.B SRR_NOW\nEpoch seconds to use as now (replays and tests).\n"
          ".TP\n.B SRR_KAFKA_ASSIGN\nall: a single writer reads every partition by manual "
          "assignment instead of joining the consumer group.\n"
          ".TP\n.B SRR_COMMIT_LINGER_US\nHow long serve's group commit waits for more alerts "
          "after the first (default 500).\n",
          out);
    fputs(".SH FILES\n"
          ".TP\n.B /etc/srr/srr.yaml\nThe packaged config (srr.yaml(5)); the systemd units run "
          "with \\-c /etc/srr/srr.yaml. Without a package, ./srr.yaml.\n"
          ".TP\n.B /etc/srr/srr.env\nThe units' environment: DD_API_KEY, DD_APP_KEY, the webhook "
          "secret (mode 0600, root).\n"
          ".TP\n.B /var/lib/srr/\nState, owned by the srr user: the store (store.path, "
          "srr.db), the spool (queue.spool_dir), the quarantine (webhook.quarantine_dir). As root, "
          "srr refuses to create state in a directory that belongs to another user (the files "
          "would lock that user out): run it as srr, runuser \\-u srr \\-\\- srr ....\n"
          ".TP\n.B sweep.textfile\nThe Prometheus textfile written after each sweep, when "
          "set.\n"
          ".TP\n.B /lib/systemd/system/srr\\-sweep.timer\nThe weekly sweep; with "
          "srr\\-sweep.service, srr\\-drain.service and srr\\-serve.service.\n"
          ".TP\n.B /usr/share/bash\\-completion/completions/srr\nThe bash completion (srr "
          "completion bash).\n",
          out);
    fputs(".SH EXIT STATUS\n"
          ".TP\n.B 0\nSuccess.\n"
          ".TP\n.B 1\nThe job ran and something failed: a check, the queue, the store, a "
          "candidate not confirmed; a change refused because the record's status does not allow "
          "it or it changed underneath; doctor found a problem.\n"
          ".TP\n.B 2\nBad arguments or configuration (the message names file:line:column), or "
          "an unknown record id.\n"
          ".SH SEE ALSO\n.BR srr.yaml (5)\n",
          out);
}

int srr_help_man(FILE *out, int section)
{
    if (section == 5) {
        man_config(out);
        return 0;
    }
    if (section != 1)
        return -1;
    man_header(out, "SRR", 1);
    fputs(".SH NAME\nsrr \\- System Risk Records from what Datadog sees\n.SH SYNOPSIS\n"
          ".B srr\n.I command\n[options]\n.SH DESCRIPTION\n"
          "srr sweeps Datadog metrics and logs weekly and receives monitor webhooks, applies "
          "the team's triage policy (backlog now, investigate with a time-box, risk when still "
          "unexplained), queues the candidates durably and keeps draft System Risk Records in "
          "SQLite for engineers to approve, mirrored to the team's Notion database.\n"
          ".SH COMMANDS\n",
          out);
    man_commands(out);
    man_options(out);
    man_environment(out);
    return 0;
}
