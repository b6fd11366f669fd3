/* SPDX-License-Identifier: Apache-2.0
 *
 * sync.c - `srr sync` (deliver the outbox to the configured sinks and read
 * their edits back: until SIGTERM, or --once for timers and cron),
 * `srr sync status` (what is delivered, pending, waiting for a retry,
 * parked and why), `srr sync retry` (release parked records now),
 * `srr sync resend` (deliver again comparing everything, after a restore),
 * `srr notion setup` (prepare the team's Notion database), and the sync
 * thread `srr serve` and `srr drain` run beside their writer unless
 * --no-sync. The work is done by sinks/outbox.h.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "cli.h"
#include "gauges.h"
#include "log.h"
#include "outbox.h"
#include "outbox_store.h"
#include "store.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void print_stats(const char *who, const srr_sync_stats *st)
{
    printf("%s: %zu record(s) delivered, %zu failed (retried later), %zu parked; edits from the "
           "sinks: %zu applied, %zu refused, %zu lost to a later change in srr%s\n",
           who, st->delivered, st->failed, st->parked, st->edits_applied, st->edits_refused,
           st->edits_lost, st->sink_errors ? "; a sink failed (see the log)" : "");
}

/* Loads the config and the sync of its sinks; prints and sets *code on
 * failure. */
static srr_sync *open_sync(const char *config, const char *only, int connect, srr_config **cfg,
                           int *code)
{
    srr_sync *s = NULL;
    srr_error err = {0};
    const char *const *names = NULL;
    *cfg = srr_cli_load_config(config, code);
    if (!*cfg)
        return NULL;
    if (!srr_sync_configured(*cfg)) {
        srr_say_error("srr: %s configures no sink (add a `notion:`, `slack:`, `github:`, `jira:` "
                      "or `sheets:` section, see the README)\n",
                      (*cfg)->path);
        *code = SRR_EXIT_USAGE;
    } else if (srr_sync_open(*cfg, only, connect, &s, &err) != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        *code = err.code == SRR_EINVAL ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
    } else if (only && srr_sync_sinks(s, &names) == 0) {
        srr_say_error("srr: %s has no `%s:` section\n", (*cfg)->path, only);
        *code = SRR_EXIT_USAGE;
        srr_sync_close(&s);
    }
    if (!s) {
        srr_config_destroy(*cfg);
        *cfg = NULL;
    }
    return s;
}

static int sync_run(int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"once", no_argument, NULL, 'o'},
                                             {NULL, 0, NULL, 0}};
    const char *config = NULL;
    srr_config *cfg = NULL;
    srr_sync *s;
    srr_sync_stats stats;
    srr_error err = {0};
    struct sigaction sa;
    int c, once = 0, code = SRR_EXIT_OK, hold;
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
        if (c == 'c')
            config = optarg;
        else if (c == 'o')
            once = 1;
        else
            return SRR_EXIT_USAGE;
    }
    if (optind < argc) {
        srr_say_error("srr sync: unexpected argument '%s'\n", argv[optind]);
        return SRR_EXIT_USAGE;
    }
    s = open_sync(config, NULL, 1, &cfg, &code);
    if (!s)
        return code;
    /* a writer of the store: srr restore refuses while it runs (backup.h) */
    hold = srr_store_hold(cfg->store.path, &err);
    if (hold < 0) {
        srr_say_error("srr sync: %s\n", err.msg);
        srr_sync_close(&s);
        srr_config_destroy(cfg);
        return SRR_EXIT_FAIL;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    memset(&stats, 0, sizeof(stats));
    if (srr_sync_run(s, cfg, once, &g_stop, &stats, &err) != SRR_OK) {
        srr_say_error("srr sync: %s\n", err.msg);
        code = SRR_EXIT_FAIL;
    } else {
        print_stats("srr sync", &stats);
        if (once && (stats.failed || stats.parked || stats.sink_errors))
            code = SRR_EXIT_FAIL;
    }
    srr_sync_close(&s);
    srr_config_destroy(cfg);
    close(hold);
    return code;
}

static void print_status(const json_t *st)
{
    const json_t *sinks = json_object_get(st, "sinks");
    size_t i, j;
    printf("records in the outbox: %lld\n",
           (long long)json_integer_value(json_object_get(st, "records")));
    for (i = 0; i < json_array_size(sinks); i++) {
        const json_t *s = json_array_get(sinks, i);
        const json_t *parked = json_object_get(s, "parked"),
                     *waiting = json_object_get(s, "waiting");
        long long oldest = (long long)json_integer_value(json_object_get(s, "oldest_pending_s"));
        printf("%s: %lld delivered, %lld pending, %zu waiting for a retry, %zu parked",
               srr_cli_text(s, "sink"),
               (long long)json_integer_value(json_object_get(s, "delivered")),
               (long long)json_integer_value(json_object_get(s, "pending")),
               json_array_size(waiting), json_array_size(parked));
        if (oldest > 0)
            printf(" (oldest change waiting %llds)", oldest);
        printf("\n");
        if (json_is_string(json_object_get(s, "last_error")))
            printf("  last error: %s\n", srr_cli_text(s, "last_error"));
        for (j = 0; j < json_array_size(parked); j++) {
            const json_t *p = json_array_get(parked, j);
            printf("  parked  %s since %s: %s\n", srr_cli_text(p, "record"), srr_cli_text(p, "at"),
                   srr_cli_text(p, "reason"));
        }
        for (j = 0; j < json_array_size(waiting); j++) {
            const json_t *w = json_array_get(waiting, j);
            printf("  waiting %s (attempt %lld, next %s): %s\n", srr_cli_text(w, "record"),
                   (long long)json_integer_value(json_object_get(w, "attempts")),
                   srr_cli_text(w, "next_at"), srr_cli_text(w, "error"));
        }
    }
}

static int sync_status(int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"format", required_argument, NULL, 'f'},
                                             {NULL, 0, NULL, 0}};
    const char *config = NULL;
    srr_format fmt = SRR_FMT_TABLE;
    srr_config *cfg = NULL;
    srr_store *st = NULL;
    srr_sync *s;
    json_t *out = NULL;
    srr_error err = {0};
    int c, code = SRR_EXIT_OK;
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
        if (c == 'c')
            config = optarg;
        else if (c == 'f' && srr_cli_format(optarg, &fmt) == 0)
            continue;
        else
            return SRR_EXIT_USAGE;
    }
    s = open_sync(config, NULL, 0, &cfg, &code);
    if (!s)
        return code;
    if (srr_store_open(cfg->store.path, &st, &err) != SRR_OK ||
        srr_sync_status(s, st, &out, &err) != SRR_OK) {
        srr_say_error("srr sync status: %s\n", err.msg);
        code = SRR_EXIT_FAIL;
    } else if (fmt == SRR_FMT_JSON) {
        char *t = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", t);
        free(t);
    } else {
        print_status(out);
    }
    json_decref(out);
    srr_store_close(&st);
    srr_sync_close(&s);
    srr_config_destroy(cfg);
    return code;
}

/* `srr sync retry ID|--all`: parked and waiting records are due now;
 * `srr sync resend ID|--all`: due again from scratch (after a restore). */
static int sync_retry(int argc, char **argv, int resend)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"all", no_argument, NULL, 'a'},
                                             {NULL, 0, NULL, 0}};
    const char *config = NULL, *kind = NULL;
    srr_config *cfg = NULL;
    srr_store *st = NULL;
    srr_error err = {0};
    int c, all = 0, code = SRR_EXIT_OK;
    int64_t id = 0;
    size_t n = 0;
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
        if (c == 'c')
            config = optarg;
        else if (c == 'a')
            all = 1;
        else
            return SRR_EXIT_USAGE;
    }
    if (all == (optind < argc)) {
        srr_say_error("usage: srr sync %s [-c FILE] ID|--all\n", resend ? "resend" : "retry");
        return SRR_EXIT_USAGE;
    }
    if (!all) {
        static const char *const pre[] = {"SRR-", "BL-", "INV-"};
        static const char *const kinds[] = {"risk", "backlog", "investigation"};
        for (int k = 0; k < 3 && !kind; k++)
            if (strncasecmp(argv[optind], pre[k], strlen(pre[k])) == 0) {
                kind = kinds[k];
                id = strtoll(argv[optind] + strlen(pre[k]), NULL, 10);
            }
        if (!kind || id <= 0) {
            srr_say_error("srr sync %s: '%s' is not a record id (SRR-1, BL-2, INV-3)\n",
                    resend ? "resend" : "retry", argv[optind]);
            return SRR_EXIT_USAGE;
        }
    }
    cfg = srr_cli_load_config(config, &code);
    if (!cfg)
        return code;
    if (srr_store_open(cfg->store.path, &st, &err) != SRR_OK ||
        (resend ? srr_outbox_resend(st, NULL, kind, id, &n, &err)
                : srr_outbox_release(st, NULL, kind, id, &n, &err)) != SRR_OK) {
        srr_say_error("srr sync %s: %s\n", resend ? "resend" : "retry", err.msg);
        code = SRR_EXIT_FAIL;
    } else {
        printf("%zu record(s) due again; the next sync delivers them\n", n);
    }
    srr_store_close(&st);
    srr_config_destroy(cfg);
    return code;
}

int srr_cmd_sync(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "status") == 0)
        return sync_status(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "retry") == 0)
        return sync_retry(argc - 1, argv + 1, 0);
    if (argc >= 2 && strcmp(argv[1], "resend") == 0)
        return sync_retry(argc - 1, argv + 1, 1);
    return sync_run(argc, argv);
}

int srr_cmd_notion(int argc, char **argv)
{
    const char *config = NULL;
    srr_config *cfg = NULL;
    srr_sync *s;
    srr_error err = {0};
    int code = SRR_EXIT_OK;
    if (argc < 2 || strcmp(argv[1], "setup") != 0) {
        srr_say_error("usage: srr notion setup [-c FILE]\n");
        return SRR_EXIT_USAGE;
    }
    if ((code = srr_cli_sub_config(argc, argv, &config)) != SRR_EXIT_OK)
        return code;
    s = open_sync(config, "notion", 0, &cfg, &code);
    if (!s)
        return code;
    if (srr_sync_setup(s, "notion", stdout, &err) != SRR_OK) {
        srr_say_error("srr notion setup: %s\n", err.msg);
        code = err.code == SRR_EINVAL ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
    }
    srr_sync_close(&s);
    srr_config_destroy(cfg);
    return code;
}

/* ---- the sync thread of serve and drain ------------------------------- */

struct srr_cli_sync {
    srr_sync *s;
    const srr_config *cfg;
    pthread_t thread;
    volatile sig_atomic_t stop;
    srr_sync_stats stats;
    const char *who;
};

static void *sync_thread(void *arg)
{
    srr_cli_sync *cs = arg;
    srr_error err = {0};
    while (!cs->stop) {
        if (srr_sync_run(cs->s, cs->cfg, 0, &cs->stop, &cs->stats, &err) == SRR_OK)
            break;
        srr_err("%s: sync: %s (starting again in 5s)", cs->who, err.msg);
        for (int i = 0; i < 100 && !cs->stop; i++) {
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

srr_cli_sync *srr_cli_sync_start(const srr_config *cfg, const char *who, int *code)
{
    srr_cli_sync *cs;
    srr_error err = {0};
    *code = SRR_EXIT_OK;
    if (!srr_sync_configured(cfg))
        return NULL;
    cs = srr_calloc(1, sizeof(*cs));
    cs->cfg = cfg;
    cs->who = who;
    if (srr_sync_open(cfg, NULL, 1, &cs->s, &err) != SRR_OK) {
        srr_say_error("%s: %s (or pass --no-sync)\n", who, err.msg);
        *code = err.code == SRR_EINVAL ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
        free(cs);
        return NULL;
    }
    if (pthread_create(&cs->thread, NULL, sync_thread, cs) != 0) {
        srr_say_error("%s: cannot start the sync thread\n", who);
        *code = SRR_EXIT_FAIL;
        srr_sync_close(&cs->s);
        free(cs);
        return NULL;
    }
    srr_info("%s: syncing the outbox to the configured sinks", who);
    return cs;
}

void srr_cli_sync_stop(srr_cli_sync **pcs)
{
    srr_cli_sync *cs;
    if (!pcs || !*pcs)
        return;
    cs = *pcs;
    cs->stop = 1;
    pthread_join(cs->thread, NULL);
    srr_sync_close(&cs->s);
    free(cs);
    *pcs = NULL;
}

int srr_cli_sync_once(const srr_config *cfg, const char *who)
{
    srr_sync *s = NULL;
    srr_sync_stats stats;
    srr_error err = {0};
    if (!srr_sync_configured(cfg))
        return SRR_EXIT_OK;
    memset(&stats, 0, sizeof(stats));
    if (srr_sync_open(cfg, NULL, 1, &s, &err) != SRR_OK ||
        srr_sync_run(s, cfg, 1, NULL, &stats, &err) != SRR_OK) {
        srr_say_error("%s: sync: %s\n", who, err.msg);
        srr_sync_close(&s);
        return err.code == SRR_EINVAL ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
    }
    print_stats(who, &stats);
    srr_sync_close(&s);
    return stats.failed || stats.parked || stats.sink_errors ? SRR_EXIT_FAIL : SRR_EXIT_OK;
}

void srr_cli_sink_gauges(const srr_config *cfg, srr_buf *out)
{
    const char *names[16];
    srr_sink_gauge g[16];
    srr_error err = {0};
    size_t n = srr_sync_configured_names(cfg, names, 16);
    if (n == 0)
        return;
    if (srr_gauges_read_sinks(cfg->store.path, names, n, g, &err) == SRR_OK)
        srr_gauges_write_sinks(g, n, srr_now(), out);
    else
        srr_debug("the outbox gauges are left out: %s", err.msg);
}
