/* SPDX-License-Identifier: Apache-2.0
 *
 * admin.c - operating commands: `srr backup FILE` (online, consistent while
 * the writer runs), `srr restore FILE` (checked before and after), and
 * `srr doctor`, which checks a deployment end to end and names what to fix.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup.h"
#include "cli.h"
#include "dd_validate.h"
#include "outbox_store.h"
#include "queue.h"
#include "rules.h"
#include "store.h"

/* Parses [-c FILE] FILE for backup and restore. Returns 0 or exit code + 1. */
static int parse_file_cmd(int argc, char **argv, const char *usage, const char **config,
                          const char **file)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    *config = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        if (c == 'c') {
            *config = optarg;
        } else if (c == 'h') {
            printf("usage: %s\n", usage);
            return SRR_EXIT_OK + 1;
        } else {
            fprintf(stderr, "usage: %s\n", usage);
            return SRR_EXIT_USAGE + 1;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "usage: %s\n", usage);
        return SRR_EXIT_USAGE + 1;
    }
    *file = argv[optind];
    return 0;
}

int srr_cmd_backup(int argc, char **argv)
{
    const char *config, *file;
    srr_config *cfg;
    srr_error err = {0};
    int code = parse_file_cmd(argc, argv, "srr backup [-c FILE] BACKUP_FILE", &config, &file);
    if (code)
        return code - 1;
    cfg = srr_cli_load_config(config, &code);
    if (!cfg)
        return code;
    if (srr_store_backup(cfg->store.path, file, &err) != SRR_OK) {
        fprintf(stderr, "srr backup: %s\n", err.msg);
        code = err.code == SRR_EINVAL ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
    } else {
        printf("backed up %s to %s (integrity check ok)\n", cfg->store.path, file);
    }
    srr_config_destroy(cfg);
    return code;
}

/* The restored store is behind what its sinks hold (Notion pages written
 * after the backup): the next sync compares everything again and looks a
 * page up before creating it (outbox_store.h). Opening the store also
 * migrates an older backup. */
static int restore_sinks(const srr_config *cfg)
{
    srr_store *st = NULL;
    srr_error err = {0};
    size_t n = 0;
    if (srr_store_open(cfg->store.path, &st, &err) != SRR_OK ||
        srr_outbox_after_restore(st, srr_now(), &n, &err) != SRR_OK) {
        fprintf(stderr,
                "srr restore: the store is restored, but its sinks' progress could not "
                "be reset: %s; run `srr sync resend --all` before syncing\n",
                err.msg);
        srr_store_close(&st);
        return SRR_EXIT_FAIL;
    }
    srr_store_close(&st);
    if (n)
        printf("sinks: %zu record(s) will be compared with what the sinks hold at the next "
               "sync\n",
               n);
    return SRR_EXIT_OK;
}

int srr_cmd_restore(int argc, char **argv)
{
    const char *config, *file;
    srr_config *cfg;
    srr_error err = {0};
    int version = 0;
    int code = parse_file_cmd(argc, argv, "srr restore [-c FILE] BACKUP_FILE", &config, &file);
    if (code)
        return code - 1;
    cfg = srr_cli_load_config(config, &code);
    if (!cfg)
        return code;
    if (srr_store_restore(file, cfg->store.path, &version, &err) != SRR_OK) {
        fprintf(stderr, "srr restore: %s\n", err.msg);
        code = err.code == SRR_EINVAL ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
    } else {
        printf("restored %s into %s (schema version %d, integrity check ok)\n", file,
               cfg->store.path, version);
        code = restore_sinks(cfg);
    }
    srr_config_destroy(cfg);
    return code;
}

/* One line of the doctor's report. */
static void verdict(int ok, const char *what, const char *detail, int *failed)
{
    printf("%-5s %-9s %s\n", ok ? "ok" : "FAIL", what, detail);
    if (!ok)
        (*failed)++;
}

int srr_cmd_doctor(int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"offline", no_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *config = NULL;
    srr_config *cfg;
    srr_ruleset *rs = NULL;
    srr_store *st = NULL;
    srr_producer *prod = NULL;
    srr_error err = {0};
    char msg[1200];
    int c, offline = 0, failed = 0, code = SRR_EXIT_OK;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'o': offline = 1; break;
        case 'h': printf("usage: srr doctor [-c FILE] [--offline]\n"); return SRR_EXIT_OK;
        default: return SRR_EXIT_USAGE;
        }
    }
    cfg = srr_cli_load_config(config, &code);
    if (!cfg) {
        printf("FAIL  config    see the error above\n");
        return SRR_EXIT_FAIL;
    }
    /* Config and policy. */
    if (srr_rules_compile(cfg, &rs, &err) != SRR_OK) {
        verdict(0, "config", err.msg, &failed);
    } else {
        snprintf(msg, sizeof(msg), "%s: %zu check(s), %zu rule(s)", cfg->path, cfg->nchecks,
                 srr_rules_count(rs));
        verdict(1, "config", msg, &failed);
    }
    /* Datadog reachable and keys accepted. */
    if (offline) {
        verdict(1, "datadog", "skipped (--offline)", &failed);
    } else if (srr_dd_validate(cfg, &err) != SRR_OK) {
        verdict(0, "datadog", err.msg, &failed);
    } else {
        char *base = srr_config_dd_base_url(cfg);
        snprintf(msg, sizeof(msg), "%s accepted the keys", base);
        verdict(1, "datadog", msg, &failed);
        free(base);
    }
    /* Queue reachable. */
    if (srr_producer_open(cfg, &prod, &err) != SRR_OK || srr_producer_flush(prod, &err) != SRR_OK) {
        verdict(0, "queue", err.msg, &failed);
    } else {
        snprintf(msg, sizeof(msg), "%s backend reachable (%s)", cfg->queue.backend,
                 strcmp(cfg->queue.backend, "spool") == 0 ? cfg->queue.spool_dir
                                                          : cfg->queue.kafka.brokers);
        verdict(1, "queue", msg, &failed);
    }
    srr_producer_close(&prod);
    /* Store writable and migrated. */
    if (srr_store_open(cfg->store.path, &st, &err) != SRR_OK) {
        verdict(0, "store", err.msg, &failed);
    } else if (access(cfg->store.path, W_OK) != 0) {
        snprintf(msg, sizeof(msg), "%s is not writable by this user", cfg->store.path);
        verdict(0, "store", msg, &failed);
    } else {
        snprintf(msg, sizeof(msg), "%s writable, schema version %d", cfg->store.path,
                 srr_store_schema_version(st));
        verdict(1, "store", msg, &failed);
    }
    srr_store_close(&st);
    /* Webhook secret. */
    if (cfg->webhook.token || cfg->webhook.basic_password) {
        verdict(1, "webhook", cfg->webhook.token ? "shared secret set" : "basic auth set",
                &failed);
    } else {
        snprintf(msg, sizeof(msg),
                 "no secret: set $%s (or webhook.token_file), or basic auth; srr serve refuses "
                 "to start without one",
                 cfg->webhook.token_env ? cfg->webhook.token_env : "SRR_WEBHOOK_TOKEN");
        verdict(0, "webhook", msg, &failed);
    }
    printf("%s\n", failed ? "doctor found problems" : "all checks passed");
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
    return failed ? SRR_EXIT_FAIL : SRR_EXIT_OK;
}
