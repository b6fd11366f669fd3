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
    struct sigaction sa;
    int c, once = 0, code = SRR_EXIT_OK;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'o': once = 1; break;
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
    code = srr_cli_drain(cfg, once, &g_stop, "srr drain");
    srr_config_destroy(cfg);
    return code;
}
