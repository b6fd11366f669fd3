/* SPDX-License-Identifier: Apache-2.0
 *
 * serve.c - `srr serve`: the Datadog webhook receiver (ingest/webhook.h)
 * wired to the policy and the queue. Each alert the receiver accepts is
 * judged by the same rules as a sweep's signals; a candidate (its id from
 * the alert's $ID, so retries dedupe) goes to the group committer
 * (ingest/webhook_commit.h), which sends batches to the queue producer and
 * flushes once per batch; the receiver answers 202 when that flush
 * confirmed it. What the policy ignores is answered 202 and counted, not
 * queued.
 *
 * With the local spool (the embedded default) serve also runs the writer
 * in a thread, so an alert becomes a draft without a separate `srr drain`
 * (--no-drain leaves that to a separate writer), and with sinks configured
 * (`notion:`) a thread delivers the outbox to them (--no-sync leaves that
 * to `srr sync`). SIGTERM/SIGINT: stop
 * accepting, finish in-flight requests, flush the queue, stop the writer
 * after its batch, exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "cli.h"
#include "gauges.h"
#include "log.h"
#include "outbox.h"
#include "queue.h"
#include "rules.h"
#include "store.h"
#include "webhook.h"
#include "webhook_auth.h"
#include "webhook_commit.h"
#include "writer.h"

/* How long a group commit gathers alerts before its flush (see
 * srr_committer_set_linger). None: what arrives while a flush runs shares
 * the next one anyway. On a host where fdatasync takes ~250 us, a 500 us
 * linger made the whole cycle three times the flush and cost 25-35% of
 * the requests/s under a storm (README, Benchmarks); on the slower disk it
 * was tuned for, shorter lingers measured the same. */
#define SERVE_LINGER_US 0

typedef struct serve_ctx {
    const srr_config *cfg;
    srr_ruleset *rs;
    srr_producer *prod;
    srr_committer *com;
    pthread_rwlock_t com_lock; /* on_accept reads com; shutdown clears it */
    int embedded_writer;
    volatile sig_atomic_t writer_stop;
    atomic_int writer_state; /* 0 starting, 1 draining, -1 failing */
    pthread_mutex_t writer_mu;
    char writer_error[sizeof(((srr_error *)0)->msg)];
    atomic_ullong by_action[SRR_ACTION__COUNT];
} serve_ctx;

static const char usage[] =
    "usage: srr serve [-c FILE] [--insecure-no-auth] [--no-drain] [--no-sync]\n"
    "  Receives Datadog monitor webhooks on POST /v1/webhooks/datadog (webhook.listen),\n"
    "  judges each alert with the policy and queues it; answers 202 once it is durable.\n"
    "  --insecure-no-auth  start without a shared secret (anyone may post)\n"
    "  --no-drain          with the spool, leave writing to the store to `srr drain`\n"
    "  --no-sync           leave delivering to the sinks (notion:) to `srr sync`\n";

/* ---- queue sink for the committer ---------------------------------------- */

static srr_rc sink_send(void *ctx, const char *key, const char *payload, size_t len,
                        srr_error *err)
{
    serve_ctx *sc = ctx;
    return srr_producer_send(sc->prod, key, payload, len, err);
}

static srr_rc sink_flush(void *ctx, srr_error *err)
{
    serve_ctx *sc = ctx;
    return srr_producer_flush(sc->prod, err);
}

/* ---- hooks of the receiver ----------------------------------------------- */

static void on_confirmed(void *arg, srr_rc rc, const char *reason)
{
    srr_webhook_done(arg, rc, reason);
}

static void on_accept(void *ctx, const srr_webhook_alert *a, srr_webhook_request *req)
{
    serve_ctx *sc = ctx;
    srr_decision d;
    srr_candidate c;
    char *payload, *key;
    int submitted;

    srr_rules_decide(sc->rs, &a->signal, &d);
    atomic_fetch_add(&sc->by_action[d.action], 1);
    /* Ignored whatever the history: not queued. A recovery is always
     * queued: it is the thing's clear observation (flapping is counted
     * from those, and a late one is ordered by its own date). */
    if (d.action == SRR_ACTION_IGNORE && a->signal.status == SRR_STATUS_FIRING) {
        srr_webhook_done(req, SRR_OK, NULL);
        return;
    }
    /* The id of the delivery, not of a sweep window: Datadog's retries and
     * duplicate deliveries carry the same $ID, so the writer stores them once. */
    srr_rules_candidate_borrow(&a->signal, &d, srr_now(), a->id, &c);
    payload = srr_candidate_dumps(&c);
    key = srr_strdup(c.fingerprint);
    srr_rules_candidate_unborrow(&c);
    if (!payload) {
        free(key);
        srr_webhook_done(req, SRR_EINVAL, "the candidate cannot be serialised");
        return;
    }
    pthread_rwlock_rdlock(&sc->com_lock);
    submitted = sc->com != NULL;
    if (submitted) /* key and payload now belong to the committer; it calls on_confirmed */
        srr_committer_submit(sc->com, key, payload, strlen(payload), on_confirmed, req);
    pthread_rwlock_unlock(&sc->com_lock);
    if (!submitted) { /* only after shutdown began */
        free(key);
        free(payload);
        srr_webhook_done(req, SRR_RETRY, "the server is shutting down");
    }
}

/* Commits what is pending (every verdict is given) and closes the door. */
static void close_committer(serve_ctx *sc)
{
    srr_committer *com;
    pthread_rwlock_wrlock(&sc->com_lock);
    com = sc->com;
    sc->com = NULL;
    pthread_rwlock_unlock(&sc->com_lock);
    srr_committer_destroy(&com);
}

/* Directory part of a path, for write checks. Caller frees. */
static char *dir_of(const char *path)
{
    char *copy = srr_strdup(path), *d = srr_strdup(dirname(copy));
    free(copy);
    return d;
}

static srr_rc on_ready(void *ctx, srr_error *err)
{
    serve_ctx *sc = ctx;
    int healthy;
    pthread_rwlock_rdlock(&sc->com_lock);
    healthy = !sc->com || srr_committer_healthy(sc->com, err);
    pthread_rwlock_unlock(&sc->com_lock);
    if (!healthy)
        return SRR_RETRY;
    if (strcmp(sc->cfg->queue.backend, "spool") == 0 &&
        access(sc->cfg->queue.spool_dir, W_OK) != 0)
        return srr_error_set(err, SRR_RETRY, "spool %s is not writable: %s",
                             sc->cfg->queue.spool_dir, strerror(errno));
    if (access(sc->cfg->webhook.quarantine_dir, W_OK) != 0)
        return srr_error_set(err, SRR_RETRY, "quarantine %s is not writable: %s",
                             sc->cfg->webhook.quarantine_dir, strerror(errno));
    if (sc->embedded_writer) {
        char *dir = dir_of(sc->cfg->store.path);
        int ok = access(dir, W_OK) == 0;
        free(dir);
        if (!ok)
            return srr_error_set(err, SRR_RETRY, "the store's directory is not writable");
        if (atomic_load(&sc->writer_state) < 0) {
            pthread_mutex_lock(&sc->writer_mu);
            srr_error_set(err, SRR_RETRY, "writer: %s", sc->writer_error);
            pthread_mutex_unlock(&sc->writer_mu);
            return SRR_RETRY;
        }
    }
    return SRR_OK;
}

static void on_metrics(void *ctx, srr_buf *out)
{
    serve_ctx *sc = ctx;
    srr_gauges g;
    srr_error err = {0};
    /* The records' gauges, read from the store when it is on this machine
     * (through a read-only connection: a scrape changes nothing). */
    if (srr_gauges_read(sc->cfg->store.path, srr_now(), &g, &err) == SRR_OK)
        srr_gauges_write(&g, srr_now(), out);
    else
        srr_debug("srr serve: /metrics without the record gauges: %s", err.msg);
    srr_cli_sink_gauges(sc->cfg, out); /* the outbox per sink */
    pthread_rwlock_rdlock(&sc->com_lock);
    if (sc->com)
        srr_committer_metrics(sc->com, out);
    pthread_rwlock_unlock(&sc->com_lock);
    srr_buf_printf(out, "# HELP srr_webhook_candidates_total Alerts judged by the policy, by "
                        "proposed action (ignore: answered 202, not queued).\n"
                        "# TYPE srr_webhook_candidates_total counter\n");
    for (int i = 0; i < SRR_ACTION__COUNT; i++)
        srr_buf_printf(out, "srr_webhook_candidates_total{action=\"%s\"} %llu\n",
                       srr_action_name((srr_action)i),
                       (unsigned long long)atomic_load(&sc->by_action[i]));
    if (sc->embedded_writer)
        srr_buf_printf(out,
                       "# HELP srr_serve_writer_up 1 while the embedded writer drains the spool.\n"
                       "# TYPE srr_serve_writer_up gauge\n"
                       "srr_serve_writer_up %d\n",
                       atomic_load(&sc->writer_state) > 0);
}

/* ---- the embedded writer ------------------------------------------------- */

static void writer_failed(serve_ctx *sc, const srr_error *err)
{
    pthread_mutex_lock(&sc->writer_mu);
    if (strcmp(sc->writer_error, err->msg) != 0)
        srr_warn("srr serve: writer: %s (retrying)", err->msg);
    snprintf(sc->writer_error, sizeof sc->writer_error, "%s", err->msg);
    pthread_mutex_unlock(&sc->writer_mu);
    atomic_store(&sc->writer_state, -1);
}

/* Drains the spool into the store until told to stop; reopens and retries
 * after a failure (another writer holding the spool, a locked store). */
static void *writer_main(void *arg)
{
    serve_ctx *sc = arg;
    while (!sc->writer_stop) {
        srr_store *st = NULL;
        srr_consumer *cons = NULL;
        srr_apply_stats stats;
        srr_writer_opts wo = {500, 0, 200, &sc->writer_stop};
        srr_error err = {0};
        memset(&stats, 0, sizeof stats);
        if (srr_store_open(sc->cfg->store.path, &st, &err) == SRR_OK &&
            srr_consumer_open(sc->cfg, &cons, &err) == SRR_OK) {
            /* The writer decides again with the fingerprint's history, as
             * srr drain does: the store needs the policy for that. */
            srr_store_set_rules(st, sc->rs);
            atomic_store(&sc->writer_state, 1);
            if (srr_writer_drain(cons, st, &wo, &stats, &err) != SRR_OK)
                writer_failed(sc, &err);
        } else {
            writer_failed(sc, &err);
        }
        srr_consumer_close(&cons);
        srr_store_close(&st);
        for (int i = 0; i < 20 && !sc->writer_stop; i++) { /* 1 s between attempts */
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

/* ---- the command ---------------------------------------------------------- */

/* The command line of `srr serve`. */
typedef struct serve_args {
    const char *config;
    int insecure, no_drain, no_sync;
} serve_args;

/* Returns 0 with *a filled, 1 after printing --help, or -1 after saying
 * what is wrong with the command line. */
static int parse_args(int argc, char **argv, serve_args *a)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"insecure-no-auth", no_argument, NULL, 'I'},
                                             {"no-drain", no_argument, NULL, 'n'},
                                             {"no-sync", no_argument, NULL, 'S'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': a->config = optarg; break;
        case 'I': a->insecure = 1; break;
        case 'n': a->no_drain = 1; break;
        case 'S': a->no_sync = 1; break;
        case 'h': fputs(usage, stdout); return 1;
        default: srr_say_error("%s", usage); return -1;
        }
    }
    if (optind < argc) {
        srr_say_error("srr serve: unexpected argument '%s'\n%s", argv[optind], usage);
        return -1;
    }
    return 0;
}

/* Opens the queue producer and the group committer in front of it.
 * Returns an exit code, having said what is wrong. */
static int open_queue(serve_ctx *sc)
{
    srr_commit_sink sink;
    srr_error err = {0};
    if (srr_producer_open(sc->cfg, &sc->prod, &err) != SRR_OK) {
        srr_say_error("srr serve: cannot open the queue: %s\n", err.msg);
        return SRR_EXIT_FAIL;
    }
    sink.ctx = sc;
    sink.send = sink_send;
    sink.flush = sink_flush;
    if (srr_committer_create(&sink, 0, &sc->com, &err) != SRR_OK) {
        srr_say_error("srr serve: %s\n", err.msg);
        return SRR_EXIT_FAIL;
    }
    { /* SRR_COMMIT_LINGER_US: a benchmark and tuning knob */
        const char *l = getenv("SRR_COMMIT_LINGER_US");
        unsigned long us = l ? strtoul(l, NULL, 10) : SERVE_LINGER_US;
        srr_committer_set_linger(sc->com, us > 1000000 ? 1000000 : (unsigned)us); /* <= 1 s */
    }
    return SRR_EXIT_OK;
}

/* Starts the webhook receiver with serve's hooks and says where it
 * listens. Returns an exit code, having said what is wrong; *srv is the
 * caller's to stop. */
static int start_receiver(serve_ctx *sc, int insecure, srr_webhook_server **srv)
{
    const srr_config *cfg = sc->cfg;
    srr_webhook_opts wo;
    srr_webhook_hooks hooks;
    srr_error err = {0};
    const char *listen = cfg->webhook.listen;
    const char *colon = strrchr(listen, ':');

    memset(&wo, 0, sizeof wo);
    wo.cfg = &cfg->webhook;
    wo.insecure_no_auth = insecure;
    wo.queue_timeout_ms = cfg->webhook.queue_timeout_s * 1000;
    memset(&hooks, 0, sizeof hooks);
    hooks.ctx = sc;
    hooks.accept = on_accept;
    hooks.ready = on_ready;
    hooks.metrics = on_metrics;
    if (srr_webhook_start(&wo, &hooks, srv, &err) != SRR_OK) {
        srr_say_error("srr serve: %s\n", err.msg);
        return err.code == SRR_EINVAL ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
    }
    srr_info("srr serve: listening on %s://%.*s:%u/v1/webhooks/datadog (queue: %s%s)",
             cfg->webhook.tls_cert ? "https" : "http",
             colon ? (int)(colon - listen) : (int)strlen(listen), listen,
             (unsigned)srr_webhook_port(*srv), cfg->queue.backend,
             sc->embedded_writer ? ", writer embedded"
                                 : (strcmp(cfg->queue.backend, "spool") == 0
                                        ? ", run `srr drain` to write the store"
                                        : ""));
    return SRR_EXIT_OK;
}

/* Waits for SIGTERM or SIGINT (blocked in `set`), then stops: no new
 * connections, the requests in flight finished (or answered 503 past the
 * queue timeout), the committer closed, the queue flushed. Returns an exit
 * code. */
static int serve_until_signal(serve_ctx *sc, srr_webhook_server **srv, const sigset_t *set)
{
    srr_error err = {0};
    int sig = 0, code = SRR_EXIT_OK;
    size_t left;
    while (sigwait(set, &sig) != 0)
        ;
    srr_info("srr serve: %s: no new connections; finishing requests in flight",
             sig == SIGTERM ? "SIGTERM" : "SIGINT");
    srr_webhook_quiesce(*srv);
    left = srr_webhook_wait_idle(*srv, (int)(sc->cfg->webhook.queue_timeout_s * 1000) + 2000);
    if (left)
        srr_warn("srr serve: %zu request(s) still in flight; answering 503", left);
    close_committer(sc);
    srr_webhook_stop(srv);
    if (srr_producer_flush(sc->prod, &err) != SRR_OK) {
        srr_err("srr serve: final queue flush failed: %s", err.msg);
        code = SRR_EXIT_FAIL;
    }
    srr_info("srr serve: stopped");
    return code;
}

int srr_cmd_serve(int argc, char **argv)
{
    serve_args a;
    int code = SRR_EXIT_OK, r;
    srr_cli_sync *sync = NULL;
    srr_config *cfg = NULL;
    serve_ctx sc;
    srr_webhook_server *srv = NULL;
    srr_error err = {0};
    sigset_t set;
    pthread_t writer;
    int writer_started = 0, hold = -1;

    r = parse_args(argc, argv, &a);
    if (r != 0)
        return r > 0 ? SRR_EXIT_OK : SRR_EXIT_USAGE;
    memset(&sc, 0, sizeof sc);
    pthread_mutex_init(&sc.writer_mu, NULL);
    pthread_rwlock_init(&sc.com_lock, NULL);
    cfg = srr_cli_load_config(a.config, &code);
    if (!cfg)
        return code;
    sc.cfg = cfg;
    if (srr_rules_compile(cfg, &sc.rs, &err) != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        code = SRR_EXIT_USAGE;
        goto out;
    }
    {   /* the one decision on credentials (webhook_auth.h): a partly given
         * secret refuses to start, naming the missing piece */
        srr_webhook_auth auth;
        if (srr_webhook_auth_decide(&cfg->webhook, a.insecure, &auth, &err) != SRR_OK) {
            srr_say_error("srr serve: refusing to start: %s\n", err.msg);
            code = SRR_EXIT_USAGE;
            goto out;
        }
    }

    /* Signals are taken by sigwait() below; every thread started from here
     * on inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* With the spool (beside the store), or syncing the store's outbox,
     * srr restore refuses while serve runs (backup.h); a Kafka receiver
     * that does neither does not touch the store (restore checks the
     * writers' group instead). */
    if ((strcmp(cfg->queue.backend, "spool") == 0 || (!a.no_sync && srr_sync_configured(cfg))) &&
        (hold = srr_store_hold(cfg->store.path, &err)) < 0) {
        srr_say_error("srr serve: %s\n", err.msg);
        code = SRR_EXIT_FAIL;
        goto out;
    }
    if ((code = open_queue(&sc)) != SRR_EXIT_OK)
        goto out;
    sc.embedded_writer = strcmp(cfg->queue.backend, "spool") == 0 && !a.no_drain;
    if (sc.embedded_writer) {
        if (pthread_create(&writer, NULL, writer_main, &sc) != 0) {
            srr_say_error("srr serve: cannot start the writer thread\n");
            code = SRR_EXIT_FAIL;
            goto out;
        }
        writer_started = 1;
    }
    if (!a.no_sync) {
        sync = srr_cli_sync_start(cfg, "srr serve", &code);
        if (code != SRR_EXIT_OK)
            goto out;
    }
    if ((code = start_receiver(&sc, a.insecure, &srv)) != SRR_EXIT_OK)
        goto out;
    code = serve_until_signal(&sc, &srv, &set);

out:
    srr_cli_sync_stop(&sync);
    if (writer_started) {
        sc.writer_stop = 1;
        pthread_join(writer, NULL);
    }
    close_committer(&sc); /* its verdicts reach the server: close it first */
    srr_webhook_stop(&srv);
    srr_producer_close(&sc.prod);
    srr_rules_destroy(sc.rs);
    srr_config_destroy(cfg);
    pthread_mutex_destroy(&sc.writer_mu);
    pthread_rwlock_destroy(&sc.com_lock);
    if (hold >= 0)
        close(hold);
    return code;
}
