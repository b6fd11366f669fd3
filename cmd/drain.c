/* SPDX-License-Identifier: Apache-2.0
 *
 * drain.c - `srr drain`: the writer. Reads candidates from the queue and
 * applies them to the SQLite store in batches, one transaction per batch,
 * until stopped (SIGINT/SIGTERM finish the current batch) or, with --once,
 * until the queue is empty.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "queue.h"
#include "store.h"
#include "writer.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

int srr_cmd_drain(int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"once", no_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *config = NULL;
    srr_config *cfg;
    srr_store *st = NULL;
    srr_consumer *cons = NULL;
    srr_apply_stats stats;
    srr_writer_opts wo = {500, 0, 500, &g_stop};
    srr_error err = {0};
    struct sigaction sa;
    int c, code = SRR_EXIT_OK;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'o': wo.once = 1; break;
        case 'h': printf("usage: srr drain [-c FILE] [--once]\n"); return SRR_EXIT_OK;
        default: return SRR_EXIT_USAGE;
        }
    }
    cfg = srr_cli_load_config(config, &code);
    if (!cfg)
        return code;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    memset(&stats, 0, sizeof(stats));
    if (srr_store_open(cfg->store.path, &st, &err) != SRR_OK ||
        srr_consumer_open(cfg, &cons, &err) != SRR_OK ||
        srr_writer_drain(cons, st, &wo, &stats, &err) != SRR_OK) {
        fprintf(stderr, "srr drain: %s\n", err.msg);
        code = SRR_EXIT_FAIL;
    } else {
        printf("drained %zu candidate(s): %zu new draft risk(s), %zu new draft backlog item(s), "
               "%zu new investigation(s), %zu attached as evidence, %zu already stored, "
               "%zu ignored, %zu promoted, %zu closed, %zu quarantined\n",
               stats.received, stats.new_risks, stats.new_backlog, stats.new_investigations,
               stats.evidence, stats.duplicates, stats.ignored, stats.promoted, stats.closed,
               stats.quarantined);
    }
    srr_consumer_close(&cons);
    srr_store_close(&st);
    srr_config_destroy(cfg);
    return code;
}
