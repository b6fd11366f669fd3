/* SPDX-License-Identifier: Apache-2.0
 *
 * drain.c - `srr drain`: the writer. Reads candidates from the queue and
 * applies them to the SQLite store in batches, one transaction per batch,
 * until stopped (SIGINT/SIGTERM finish the current batch) or, with --once,
 * until the queue is empty. When the config has sinks (`notion:`), the
 * outbox is delivered to them beside the writer (after it, with --once),
 * unless --no-sync leaves that to `srr sync`.
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
                                             {"no-sync", no_argument, NULL, 'S'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *config = NULL;
    srr_config *cfg;
    struct sigaction sa;
    srr_cli_sync *sync = NULL;
    int c, once = 0, no_sync = 0, code = SRR_EXIT_OK;

    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'o': once = 1; break;
        case 'S': no_sync = 1; break;
        case 'h': printf("usage: srr drain [-c FILE] [--once] [--no-sync]\n"); return SRR_EXIT_OK;
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
    if (!no_sync && !once) {
        sync = srr_cli_sync_start(cfg, "srr drain", &code);
        if (code != SRR_EXIT_OK) {
            srr_config_destroy(cfg);
            return code;
        }
    }
    code = srr_cli_drain(cfg, once, &g_stop, "srr drain");
    srr_cli_sync_stop(&sync);
    if (!no_sync && once && code == SRR_EXIT_OK)
        code = srr_cli_sync_once(cfg, "srr drain");
    srr_config_destroy(cfg);
    return code;
}
