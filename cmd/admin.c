/* SPDX-License-Identifier: Apache-2.0
 *
 * admin.c - operating commands: `srr backup FILE` (online, consistent while
 * the writer runs), `srr restore FILE` (checked before and after), and
 * `srr doctor`, which checks what the deployment's roles (sweep, serve,
 * drain, sync) need, end to end, and names what to fix.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backup.h"
#include "cli.h"
#include "dd_validate.h"
#include "outbox.h"
#include "outbox_store.h"
#include "queue.h"
#include "rules.h"
#include "store.h"
#include "webhook_auth.h"

/* Parses [-c FILE] [--accept-loss] FILE for backup and restore
 * (accept_loss may be NULL: the option is then refused). Returns 0 or
 * exit code + 1. */
static int parse_file_cmd(int argc, char **argv, const char *usage, const char **config,
                          const char **file, int *accept_loss)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"accept-loss", no_argument, NULL, 'L'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    *config = NULL;
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        if (c == 'c') {
            *config = optarg;
        } else if (c == 'L' && accept_loss) {
            *accept_loss = 1;
        } else if (c == 'h') {
            printf("usage: %s\n", usage);
            return SRR_EXIT_OK + 1;
        } else {
            srr_say_error("usage: %s\n", usage);
            return SRR_EXIT_USAGE + 1;
        }
    }
    if (optind + 1 != argc) {
        srr_say_error("usage: %s\n", usage);
        return SRR_EXIT_USAGE + 1;
    }
    *file = argv[optind];
    return 0;
}

/* The key of cfg's queue in the store's queue_positions. */
static const char *queue_key(const srr_config *cfg, char *buf, size_t cap)
{
    if (strcmp(cfg->queue.backend, "kafka") == 0)
        snprintf(buf, cap, "kafka:%s", cfg->queue.kafka.topic);
    else
        snprintf(buf, cap, "spool");
    return buf;
}

int srr_cmd_backup(int argc, char **argv)
{
    const char *config, *file;
    srr_config *cfg;
    srr_error err = {0};
    int code = parse_file_cmd(argc, argv, "srr backup [-c FILE] BACKUP_FILE", &config, &file,
                              NULL);
    if (code)
        return code - 1;
    cfg = srr_cli_load_config(config, &code);
    if (!cfg)
        return code;
    if (srr_store_backup(cfg->store.path, file, &err) != SRR_OK) {
        srr_say_error("srr backup: %s\n", err.msg);
        code = err.code == SRR_EINVAL ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
    } else {
        srr_queue_pos *pos = NULL;
        size_t n = 0, i;
        char key[160];
        printf("backed up %s to %s (integrity check ok)\n", cfg->store.path, file);
        if (srr_store_positions(file, queue_key(cfg, key, sizeof key), &pos, &n, &err) ==
                SRR_OK &&
            n > 0) {
            printf("queue position recorded with it (%s):", key);
            for (i = 0; i < n; i++)
                printf(" [%d] %lld", pos[i].partition, (long long)pos[i].offset);
            printf("\n");
        } else {
            printf("queue position recorded with it (%s): the beginning (nothing applied from "
                   "it yet)\n",
                   key);
        }
        free(pos);
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
        srr_say_error(
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
    srr_restore_report rep;
    int accept_loss = 0;
    int code = parse_file_cmd(argc, argv, "srr restore [-c FILE] [--accept-loss] BACKUP_FILE",
                              &config, &file, &accept_loss);
    if (code)
        return code - 1;
    cfg = srr_cli_load_config(config, &code);
    if (!cfg)
        return code;
    /* A restore into a store that is not there yet creates it. */
    if (access(cfg->store.path, F_OK) != 0 &&
        srr_state_check_owner(cfg->store.path, "the store", &err) != SRR_OK) {
        srr_say_error("srr restore: %s", err.msg);
        srr_config_destroy(cfg);
        return SRR_EXIT_FAIL;
    }
    if (srr_store_restore_queued(cfg, file, accept_loss, &rep, &err) != SRR_OK) {
        srr_say_error("srr restore: %s\n", err.msg);
        code = err.code == SRR_EINVAL ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
    } else {
        printf("restored %s into %s (schema version %d, integrity check ok)\n", file,
               cfg->store.path, rep.schema_version);
        if (rep.rewound) {
            printf("queue read position moved back to the backup's: %s\n", rep.plan.detail);
            if (rep.plan.replay >= 0)
                printf("%lld record(s) queued since the backup will be applied again by the "
                       "writer (idempotent: nothing is stored twice)\n",
                       rep.plan.replay);
            if (rep.plan.out_of_reach > 0 || rep.plan.out_of_reach_bytes > 0)
                printf("LOST (--accept-loss): %lld record(s), %lld byte(s) were out of reach\n",
                       rep.plan.out_of_reach, rep.plan.out_of_reach_bytes);
        } else {
            printf("queue position left as it was (--accept-loss: the backup recorded none)\n");
        }
        code = restore_sinks(cfg);
    }
    srr_config_destroy(cfg);
    return code;
}

/* ---- doctor ------------------------------------------------------------------
 *
 * What each role needs, checked in this order, one line per part:
 *   config   every role: the config loads and its policy compiles;
 *   datadog  sweep: the keys are set and Datadog accepts them (--offline skips);
 *   queue    sweep, serve, drain: the spool directory or the brokers;
 *   store    drain and sync, and sweep/serve with the local spool (they
 *            drain it themselves): the SQLite file opens, migrated, writable;
 *   webhook  serve: a shared secret (or basic auth), TLS files readable;
 *   sinks    sync: the sinks' sections check out and (online) each sink
 *            initialises: its token is there, its remote side answers.
 * Without --role the roles are what the config uses: sweep when it has
 * checks, serve when a webhook secret or a webhook setting other than the
 * quarantine directory is given, drain with Kafka (with the spool, sweep
 * and serve drain), sync when a sink is configured (notion:, slack:, github:,
 * jira:, tickets:, sheets:); sweep when none of
 * those. */

enum { ROLE_SWEEP = 1, ROLE_SERVE = 2, ROLE_DRAIN = 4, ROLE_SYNC = 8 };

static const struct {
    const char *name;
    unsigned bit;
} ROLES[] = {{"sweep", ROLE_SWEEP}, {"serve", ROLE_SERVE}, {"drain", ROLE_DRAIN},
             {"sync", ROLE_SYNC},   {NULL, 0}};

/* Parses "sweep,serve" into bits; returns 0 for an unknown name. */
static unsigned parse_roles(const char *s)
{
    unsigned bits = 0;
    char buf[128], *save = NULL, *r;
    snprintf(buf, sizeof(buf), "%s", s);
    for (r = strtok_r(buf, ", ", &save); r; r = strtok_r(NULL, ", ", &save)) {
        size_t i;
        for (i = 0; ROLES[i].name && strcmp(ROLES[i].name, r) != 0; i++)
            ;
        if (!ROLES[i].name)
            return 0;
        bits |= ROLES[i].bit;
    }
    return bits;
}

/* The roles the config uses (see above); *why says how they were chosen. */
static unsigned config_roles(const srr_config *cfg, char *why, size_t n)
{
    const srr_yaml_node *wh = srr_yaml_get(cfg->root, "webhook");
    unsigned bits = 0;
    size_t i, wkeys = 0;
    for (i = 0; wh && wh->type == SRR_YAML_MAP && i < wh->n; i++)
        wkeys += strcmp(wh->pairs[i].key, "quarantine_dir") != 0;
    if (cfg->nchecks)
        bits |= ROLE_SWEEP;
    if (cfg->webhook.token || cfg->webhook.basic_password || wkeys)
        bits |= ROLE_SERVE;
    if (strcmp(cfg->queue.backend, "kafka") == 0)
        bits |= ROLE_DRAIN;
    if (srr_sync_configured(cfg))
        bits |= ROLE_SYNC;
    snprintf(why, n, "%zu check(s), %s, queue %s", cfg->nchecks,
             cfg->webhook.token || cfg->webhook.basic_password ? "a webhook secret"
             : wkeys                                           ? "webhook settings"
                                                               : "no webhook secret",
             cfg->queue.backend);
    return bits ? bits : ROLE_SWEEP;
}

/* One line of the doctor's report on stdout: "ok    store     detail", or
 * with --log-format json an event {"ts", "level": "info"|"error", "msg":
 * detail, "check": what, "result": "ok"|"FAIL"}. */
static void report(int ok, const char *what, const char *detail)
{
    const char *kv[] = {"check", what, "result", ok ? "ok" : "FAIL", NULL};
    if (srr_log_get_format() == SRR_LOG_JSON)
        srr_log_report(stdout, ok ? SRR_LOG_INFO : SRR_LOG_ERROR, kv, "%s", detail);
    else
        printf("%-5s %-9s %s\n", ok ? "ok" : "FAIL", what, detail);
}

static void verdict(int ok, const char *what, const char *detail, int *failed)
{
    report(ok, what, detail);
    if (!ok)
        (*failed)++;
}

static void check_datadog(const srr_config *cfg, int offline, int *failed)
{
    srr_error err = {0};
    char msg[1200];
    if (offline) {
        verdict(1, "datadog", "skipped (--offline)", failed);
    } else if (srr_dd_validate(cfg, &err) != SRR_OK) {
        verdict(0, "datadog", err.msg, failed);
    } else {
        char *base = srr_config_dd_base_url(cfg);
        snprintf(msg, sizeof(msg), "%s accepted the keys", base);
        verdict(1, "datadog", msg, failed);
        free(base);
    }
}

static void check_queue(const srr_config *cfg, int *failed)
{
    srr_producer *prod = NULL;
    srr_error err = {0};
    char msg[1200];
    if (srr_producer_open(cfg, &prod, &err) != SRR_OK || srr_producer_flush(prod, &err) != SRR_OK) {
        verdict(0, "queue", err.msg, failed);
    } else {
        snprintf(msg, sizeof(msg), "%s backend reachable (%s)", cfg->queue.backend,
                 strcmp(cfg->queue.backend, "spool") == 0 ? cfg->queue.spool_dir
                                                          : cfg->queue.kafka.brokers);
        verdict(1, "queue", msg, failed);
    }
    srr_producer_close(&prod);
}

static void check_store(const srr_config *cfg, int *failed)
{
    srr_store *st = NULL;
    srr_error err = {0};
    char msg[1200];
    if (srr_store_open(cfg->store.path, &st, &err) != SRR_OK) {
        verdict(0, "store", err.msg, failed);
    } else if (access(cfg->store.path, W_OK) != 0) {
        snprintf(msg, sizeof(msg), "%s is not writable by this user", cfg->store.path);
        verdict(0, "store", msg, failed);
    } else {
        snprintf(msg, sizeof(msg), "%s writable, schema version %d", cfg->store.path,
                 srr_store_schema_version(st));
        verdict(1, "store", msg, failed);
    }
    srr_store_close(&st);
}

/* The sinks of the sync role: their sections, and online their
 * initialisation (a token, the remote schema). */
static void check_sinks(const srr_config *cfg, int offline, int *failed)
{
    srr_error err = {0};
    srr_sync *sync = NULL;
    const char *const *names = NULL;
    char msg[1200] = "";
    size_t i, n;
    if (!srr_sync_configured(cfg)) {
        verdict(0, "sinks",
                "none configured: add a sink's section (notion:, slack:, github:, jira:, "
                "sheets:) or drop --role sync",
                failed);
        return;
    }
    if (srr_sync_check_config(cfg, &err) != SRR_OK ||
        srr_sync_open(cfg, NULL, !offline, &sync, &err) != SRR_OK) {
        verdict(0, "sinks", err.msg, failed);
        return;
    }
    n = srr_sync_sinks(sync, &names);
    for (i = 0; i < n; i++)
        snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "%s%s", i ? ", " : "", names[i]);
    snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "%s",
             offline ? " configured (--offline: not contacted)"
                     : " configured; token and options accepted");
    verdict(1, "sinks", msg, failed);
    srr_sync_close(&sync);
}

static void check_webhook(const srr_config *cfg, int *failed)
{
    char msg[1200];
    const srr_webhook_config *w = &cfg->webhook;
    srr_webhook_auth auth;
    srr_error err = {0};
    char how[200];
    /* the same decision srr serve makes (webhook_auth.h) */
    if (srr_webhook_auth_decide(w, 0, &auth, &err) != SRR_OK) {
        snprintf(msg, sizeof(msg), "%s; srr serve refuses to start", err.msg);
        verdict(0, "webhook", msg, failed);
        return;
    }
    if ((w->tls_cert && access(w->tls_cert, R_OK) != 0) ||
        (w->tls_key && access(w->tls_key, R_OK) != 0)) {
        snprintf(msg, sizeof(msg), "cannot read webhook.%s %s",
                 w->tls_cert && access(w->tls_cert, R_OK) != 0 ? "tls_cert" : "tls_key",
                 w->tls_cert && access(w->tls_cert, R_OK) != 0 ? w->tls_cert : w->tls_key);
        verdict(0, "webhook", msg, failed);
        return;
    }
    snprintf(msg, sizeof(msg), "requests must carry: %s; listening on %s%s",
             srr_webhook_auth_describe(w, &auth, how, sizeof how), w->listen,
             w->tls_cert ? " with TLS" : "");
    verdict(1, "webhook", msg, failed);
}

int srr_cmd_doctor(int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"offline", no_argument, NULL, 'o'},
                                             {"role", required_argument, NULL, 'r'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    static const char usage[] =
        "usage: srr doctor [-c FILE] [--offline] [--role sweep|serve|drain|sync]\n";
    const char *config = NULL;
    srr_config *cfg;
    srr_ruleset *rs = NULL;
    srr_error err = {0};
    char msg[1200], why[160], names[64] = "";
    unsigned roles = 0;
    int c, offline = 0, failed = 0, code = SRR_EXIT_OK, spool;
    size_t i;

    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'o': offline = 1; break;
        case 'r': {
            unsigned r = parse_roles(optarg);
            if (!r) {
                srr_say_error("srr doctor: unknown --role '%s' (sweep, serve, drain, sync)\n",
                        optarg);
                return SRR_EXIT_USAGE;
            }
            roles |= r;
            break;
        }
        case 'h': fputs(usage, stdout); return SRR_EXIT_OK;
        default: srr_say_error("%s", usage); return SRR_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        srr_say_error("srr doctor: unexpected argument '%s'\n%s", argv[optind], usage);
        return SRR_EXIT_USAGE;
    }
    cfg = srr_cli_load_config(config, &code);
    if (!cfg) {
        report(0, "config", "see the error above");
        report(0, "doctor", "doctor found problems");
        return SRR_EXIT_FAIL;
    }
    if (!roles) {
        roles = config_roles(cfg, why, sizeof(why));
        snprintf(msg, sizeof(msg), "from the config: %s (--role to choose)", why);
    } else {
        snprintf(msg, sizeof(msg), "as asked");
    }
    for (i = 0; ROLES[i].name; i++)
        if (roles & ROLES[i].bit)
            snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                     names[0] ? "," : "", ROLES[i].name);
    if (srr_log_get_format() == SRR_LOG_JSON) {
        const char *kv[] = {"check", "role", "roles", names, NULL};
        srr_log_report(stdout, SRR_LOG_INFO, kv, "%s", msg);
    } else {
        printf("%-5s %-9s %s, %s\n", "role", "", names, msg);
    }
    spool = strcmp(cfg->queue.backend, "spool") == 0;
    if (srr_rules_compile(cfg, &rs, &err) != SRR_OK) {
        verdict(0, "config", err.msg, &failed);
    } else {
        snprintf(msg, sizeof(msg), "%s: %zu check(s), %zu rule(s)", cfg->path, cfg->nchecks,
                 srr_rules_count(rs));
        verdict(1, "config", msg, &failed);
    }
    if (roles & ROLE_SWEEP)
        check_datadog(cfg, offline, &failed);
    if (roles & (ROLE_SWEEP | ROLE_SERVE | ROLE_DRAIN))
        check_queue(cfg, &failed);
    if ((roles & (ROLE_DRAIN | ROLE_SYNC)) || (spool && (roles & (ROLE_SWEEP | ROLE_SERVE))))
        check_store(cfg, &failed);
    if (roles & ROLE_SERVE)
        check_webhook(cfg, &failed);
    if (roles & ROLE_SYNC)
        check_sinks(cfg, offline, &failed);
    /* Secrets in memory stay out of core dumps (srr_cli_load_config). */
    {
        struct rlimit core = {1, 1};
        getrlimit(RLIMIT_CORE, &core);
        if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 && core.rlim_cur == 0)
            verdict(1, "process", "core dumps off (not dumpable, core size limit 0)", &failed);
        else
            verdict(0, "process",
                    "core dumps are possible: the secrets could be written to disk", &failed);
    }
    if (srr_log_get_format() == SRR_LOG_JSON)
        report(!failed, "doctor", failed ? "doctor found problems" : "all checks passed");
    else
        printf("%s\n", failed ? "doctor found problems" : "all checks passed");
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
    return failed ? SRR_EXIT_FAIL : SRR_EXIT_OK;
}
