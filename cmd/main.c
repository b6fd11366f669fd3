/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c - the srr command: finds the subcommand and hands over. Each
 * subcommand lives in its own file of cmd/ and wires the modules together;
 * the work itself is done in ingest/, rules/ and store/.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "cli.h"
#include "srr.h"

static const char usage[] =
    "usage: srr <command> [options]\n"
    "\n"
    "  sweep [-c FILE] [--replay DIR | --record DIR] [--no-drain]\n"
    "                          ask Datadog (or a recording), triage, queue candidates;\n"
    "                          with the local spool, also write them to the store\n"
    "  drain [-c FILE] [--once]\n"
    "                          write queued candidates into the SQLite store\n"
    "  risks list [--status S] [--format table|json|md]\n"
    "  risks show ID [--format table|json|md]\n"
    "                          read the risk list and one record's detail page\n"
    "  backlog list|show ...   the same for backlog items\n"
    "  investigations list     time-boxed investigations and their deadlines\n"
    "  config check [-c FILE]  validate the config and the policy\n"
    "  config reference        print every config option with its default\n"
    "  version                 print versions\n"
    "\n"
    "The config is -c FILE, else $SRR_CONFIG, else ./srr.yaml.\n"
    "Datadog keys come from $DD_API_KEY and $DD_APP_KEY, the site from $DD_SITE.\n";

static int cmd_version(void)
{
    curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    printf("srr %s\n", SRR_VERSION);
    printf("libcurl %s, jansson %s, SQLite %s\n", cv->version, jansson_version_str(),
           sqlite3_libversion());
    return SRR_EXIT_OK;
}

int main(int argc, char **argv)
{
    const char *cmd;
    /* Line-buffered even into a pipe, so stdout and the log lines on stderr
     * interleave in the order they happened. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        fputs(usage, stderr);
        return SRR_EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, stdout);
        return SRR_EXIT_OK;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        return cmd_version();
    if (strcmp(cmd, "sweep") == 0)
        return srr_cmd_sweep(argc - 1, argv + 1);
    if (strcmp(cmd, "drain") == 0)
        return srr_cmd_drain(argc - 1, argv + 1);
    if (strcmp(cmd, "risks") == 0)
        return srr_cmd_risks(argc - 1, argv + 1);
    if (strcmp(cmd, "backlog") == 0)
        return srr_cmd_backlog(argc - 1, argv + 1);
    if (strcmp(cmd, "investigations") == 0)
        return srr_cmd_investigations(argc - 1, argv + 1);
    if (strcmp(cmd, "config") == 0)
        return srr_cmd_config(argc - 1, argv + 1);
    fprintf(stderr, "srr: unknown command '%s'\n\n%s", cmd, usage);
    return SRR_EXIT_USAGE;
}
