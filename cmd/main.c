/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c - the srr command: finds the subcommand and hands over. Each
 * subcommand lives in its own file of cmd/ and wires the modules together;
 * the work itself is done in ingest/, rules/ and store/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <microhttpd.h>
#include <sqlite3.h>

#include "cli.h"
#include "log.h"
#include "srr.h"

static const char usage[] =
    "usage: srr <command> [options]\n"
    "\n"
    "  sweep [-c FILE] [--replay DIR | --record DIR] [--no-drain]\n"
    "                          ask Datadog (or a recording), triage, queue candidates;\n"
    "                          with the local spool, also write them to the store\n"
    "  drain [-c FILE] [--once]\n"
    "                          write queued candidates into the SQLite store\n"
    "  serve [-c FILE] [--insecure-no-auth] [--no-drain]\n"
    "                          receive Datadog monitor webhooks; 202 once durably queued\n"
    "  risks list [--status S] [--urgency U] [--assignee A] [--service S] [--stale 30d]\n"
    "  risks show ID           read the risk list and one record's detail page\n"
    "  risks approve ID [--assign WHO | --suggest] [--urgency U] [--note TEXT]\n"
    "  risks reject ID --reason TEXT | merge ID --into ID | assign ID WHO|--suggest\n"
    "  risks log ID --recognition|--countermeasure TEXT | set ID key=value...\n"
    "  risks resolve ID [--note] | accept ID --review-in 90d --reason TEXT | reopen ID\n"
    "                          the SRR workflow (actor: --as NAME, $SRR_USER, login name)\n"
    "  backlog list|show|accept ID --link URL|done ID|reject ID\n"
    "  investigations list|resolve ID --outcome fixed|backlog|noise [--note TEXT]\n"
    "  audit [ID]              who changed what, when, before -> after, why\n"
    "  team load               open records per person by urgency; flags skew\n"
    "  review [--month YYYY-MM] [--format table|md|html|json] [-o FILE]\n"
    "                          the monthly review report\n"
    "  export --format csv|json|md [--status S] [-o FILE|DIR]\n"
    "                          records for Notion / Google Sheets, scripts, a wiki\n"
    "                          (every command that prints takes --format table|json|md)\n"
    "  policy check [-c FILE] [POLICY]\n"
    "                          lint the triage policy (unreachable rules, unknown checks, ...)\n"
    "  policy explain [-c FILE] --signal FILE|-\n"
    "                          every rule one signal was tested against, the winner and why\n"
    "  policy test [-c FILE] --replay DIR [--policy NEW]\n"
    "                          replay a recorded sweep through the current and a new policy\n"
    "  config check [-c FILE]  validate the config and the policy\n"
    "  config reference        print every config option with its default\n"
    "  backup FILE             online copy of the store (consistent while the writer runs)\n"
    "  restore FILE            checked restore of such a copy (stop the writer first)\n"
    "  doctor [--offline]      check config, Datadog keys, queue, store and webhook secret\n"
    "  version                 print versions\n"
    "\n"
    "Global options: --log-format text|json, --log-level debug|info|warn|error.\n"
    "The config is -c FILE, else $SRR_CONFIG, else ./srr.yaml.\n"
    "Datadog keys come from $DD_API_KEY and $DD_APP_KEY, the site from $DD_SITE.\n";

static int cmd_version(void)
{
    curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    printf("srr %s\n", SRR_VERSION);
    printf("libcurl %s, librdkafka %s, SQLite %s, jansson %s, libmicrohttpd %s\n", cv->version,
           rd_kafka_version_str(), sqlite3_libversion(), jansson_version_str(),
           MHD_get_version());
    return SRR_EXIT_OK;
}

/* Takes the global logging options out of argv wherever they stand
 * (--log-format text|json, --log-level debug|info|warn|error; also
 * $SRR_LOG_FORMAT), so each subcommand parses only its own. Returns the new
 * argc, or -1 after printing an error. */
static int take_log_options(int argc, char **argv)
{
    const char *fmt = getenv("SRR_LOG_FORMAT");
    int i, out = 0;
    for (i = 0; i < argc; i++) {
        int is_fmt = strcmp(argv[i], "--log-format") == 0;
        int is_lvl = strcmp(argv[i], "--log-level") == 0;
        if (!is_fmt && !is_lvl) {
            argv[out++] = argv[i];
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "srr: %s needs a value\n", argv[i]);
            return -1;
        }
        if (is_fmt) {
            fmt = argv[++i];
        } else {
            int l = srr_log_level_parse(argv[++i]);
            if (l < 0) {
                fprintf(stderr, "srr: unknown --log-level '%s' (debug, info, warn, error)\n",
                        argv[i]);
                return -1;
            }
            srr_log_set_level((srr_log_level)l);
        }
    }
    argv[out] = NULL;
    if (fmt && *fmt) {
        if (strcmp(fmt, "json") == 0) {
            srr_log_set_format(SRR_LOG_JSON);
        } else if (strcmp(fmt, "text") == 0) {
            srr_log_set_format(SRR_LOG_TEXT);
        } else {
            fprintf(stderr, "srr: unknown --log-format '%s' (text, json)\n", fmt);
            return -1;
        }
    }
    return out;
}

int main(int argc, char **argv)
{
    const char *cmd;
    /* Line-buffered even into a pipe, so stdout and the log lines on stderr
     * interleave in the order they happened. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    argc = take_log_options(argc, argv);
    if (argc < 0)
        return SRR_EXIT_USAGE;
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
    if (strcmp(cmd, "serve") == 0)
        return srr_cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "risks") == 0)
        return srr_cmd_risks(argc - 1, argv + 1);
    if (strcmp(cmd, "backlog") == 0)
        return srr_cmd_backlog(argc - 1, argv + 1);
    if (strcmp(cmd, "investigations") == 0)
        return srr_cmd_investigations(argc - 1, argv + 1);
    if (strcmp(cmd, "config") == 0)
        return srr_cmd_config(argc - 1, argv + 1);
    if (strcmp(cmd, "audit") == 0)
        return srr_cmd_audit(argc - 1, argv + 1);
    if (strcmp(cmd, "team") == 0)
        return srr_cmd_team(argc - 1, argv + 1);
    if (strcmp(cmd, "review") == 0)
        return srr_cmd_review(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0)
        return srr_cmd_export(argc - 1, argv + 1);
    if (strcmp(cmd, "policy") == 0)
        return srr_cmd_policy(argc - 1, argv + 1);
    if (strcmp(cmd, "backup") == 0)
        return srr_cmd_backup(argc - 1, argv + 1);
    if (strcmp(cmd, "restore") == 0)
        return srr_cmd_restore(argc - 1, argv + 1);
    if (strcmp(cmd, "doctor") == 0)
        return srr_cmd_doctor(argc - 1, argv + 1);
    fprintf(stderr, "srr: unknown command '%s'\n\n%s", cmd, usage);
    return SRR_EXIT_USAGE;
}
