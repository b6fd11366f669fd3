/* SPDX-License-Identifier: Apache-2.0
 *
 * test_webhook_server.c - the webhook receiver over real sockets on
 * 127.0.0.1 (port 0), in-process: the server (ingest/webhook.h) with the
 * group committer (ingest/webhook_commit.h) in front of a real local spool,
 * through a sink that can fail or stall on demand. Every status the
 * receiver answers, auth by header and by basic auth, the refusal to start
 * without a secret, TLS, duplicate delivery, a slowloris client cut off
 * while others are served, the per-address connection limit, 1000
 * concurrent posts all accounted for, the queue failing mid-load (503s,
 * nothing half-stored) and a queue too slow to confirm (503).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "queue.h"
#include "testutil.h"
#include "webhook.h"
#include "webhook_client.h"
#include "webhook_commit.h"

#define TOKEN "t0ken-for-tests"

typedef struct fixture {
    char *dir;
    srr_config *cfg;
    srr_producer *prod;
    srr_committer *com;
    srr_webhook_server *srv;
    atomic_int failing;       /* the sink refuses every send */
    atomic_int fail_after;    /* > 0: start failing after this many sends */
    atomic_int sends;
    atomic_int flush_delay_ms;
    atomic_int not_ready;
    char url[128];
    char base[96];
} fixture;

static fixture fx;

static srr_rc sink_send(void *ctx, const char *key, const char *payload, size_t len,
                        srr_error *err)
{
    fixture *f = ctx;
    int n = atomic_fetch_add(&f->sends, 1) + 1;
    int after = atomic_load(&f->fail_after);
    if (after > 0 && n > after)
        atomic_store(&f->failing, 1);
    if (atomic_load(&f->failing))
        return srr_error_set(err, SRR_RETRY, "injected queue outage");
    return srr_producer_send(f->prod, key, payload, len, err);
}

static srr_rc sink_flush(void *ctx, srr_error *err)
{
    fixture *f = ctx;
    int ms = atomic_load(&f->flush_delay_ms);
    if (ms > 0) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return srr_producer_flush(f->prod, err);
}

static void confirmed(void *arg, srr_rc rc, const char *reason)
{
    srr_webhook_done(arg, rc, reason);
}

/* The test's accept hook: queue {"id", "transition", "status"} keyed by id. */
static void accept_alert(void *ctx, const srr_webhook_alert *a, srr_webhook_request *req)
{
    fixture *f = ctx;
    json_t *o = json_pack("{s:s, s:s?, s:s}", "id", a->id, "transition", a->transition, "status",
                          srr_status_name(a->signal.status));
    char *payload = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    srr_committer_submit(f->com, srr_strdup(a->id), payload, strlen(payload), confirmed, req);
}

static srr_rc ready(void *ctx, srr_error *err)
{
    fixture *f = ctx;
    if (atomic_load(&f->not_ready))
        return srr_error_set(err, SRR_RETRY, "the queue is away");
    return srr_committer_healthy(f->com, err) ? SRR_OK : SRR_RETRY;
}

static void metrics(void *ctx, srr_buf *out)
{
    fixture *f = ctx;
    srr_committer_metrics(f->com, out);
}

static void load_config(const char *extra)
{
    char *yaml = srr_asprintf("queue:\n  spool_dir: spool\n"
                              "webhook:\n  listen: 127.0.0.1:0\n  connection_timeout: 2s\n"
                              "  max_body_bytes: 4096\n  max_connections: 512\n"
                              "  per_ip_connections: 512\n  quarantine_dir: quarantine\n%s",
                              extra ? extra : "");
    char *path = tu_write_file(fx.dir, "srr.yaml", yaml);
    srr_error err = {0};
    unsetenv("SRR_WEBHOOK_TOKEN");
    unsetenv("SRR_WEBHOOK_PASSWORD");
    cr_assert_eq(srr_config_load(path, &fx.cfg, &err), SRR_OK, "%s", err.msg);
    free(yaml);
    free(path);
}

/* Starts the receiver with the given auth; returns its start rc. */
static srr_rc start_server(int insecure, int64_t queue_timeout_ms, srr_error *err)
{
    srr_commit_sink sink = {&fx, sink_send, sink_flush};
    srr_webhook_hooks hooks = {&fx, accept_alert, ready, metrics};
    srr_webhook_opts o = {&fx.cfg->webhook, insecure, queue_timeout_ms, 7, 20};
    srr_error e2 = {0};
    srr_rc rc;
    if (!fx.prod)
        cr_assert_eq(srr_producer_open(fx.cfg, &fx.prod, &e2), SRR_OK, "%s", e2.msg);
    if (!fx.com)
        cr_assert_eq(srr_committer_create(&sink, 0, &fx.com, &e2), SRR_OK);
    rc = srr_webhook_start(&o, &hooks, &fx.srv, err);
    if (rc == SRR_OK) {
        snprintf(fx.base, sizeof fx.base, "%s://127.0.0.1:%u",
                 fx.cfg->webhook.tls_cert ? "https" : "http", srr_webhook_port(fx.srv));
        snprintf(fx.url, sizeof fx.url, "%s/v1/webhooks/datadog", fx.base);
    }
    return rc;
}

static void start_with_token(void)
{
    srr_error err = {0};
    fx.cfg->webhook.token = srr_strdup(TOKEN);
    cr_assert_eq(start_server(0, 1000, &err), SRR_OK, "%s", err.msg);
}

static void setup(void)
{
    memset(&fx, 0, sizeof fx);
    fx.dir = tu_mkdtemp();
    curl_global_init(CURL_GLOBAL_ALL);
}

static void teardown(void)
{
    /* order matters: every verdict is given before the server goes */
    srr_webhook_quiesce(fx.srv);
    srr_committer_destroy(&fx.com);
    srr_webhook_stop(&fx.srv);
    srr_producer_close(&fx.prod);
    srr_config_destroy(fx.cfg);
    tu_rmdir_r(fx.dir);
    free(fx.dir);
}

static const char *const JSON_AUTH[] = {"Content-Type: application/json",
                                        "X-SRR-Token: " TOKEN, NULL};

static long post_code(const char *const *headers, const char *body, wh_answer *keep)
{
    wh_answer a;
    long code;
    wh_post(fx.url, headers, body, strlen(body), 10000, &a);
    code = a.code;
    if (keep)
        *keep = a;
    else
        wh_answer_free(&a);
    return code;
}

/* Reads every record of the spool: their ids, in order. Returns the count;
 * every payload must parse as JSON (nothing half-stored). */
static size_t spool_ids(char ***ids)
{
    srr_consumer *c = NULL;
    srr_error err = {0};
    size_t total = 0;
    *ids = NULL;
    cr_assert_eq(srr_consumer_open(fx.cfg, &c, &err), SRR_OK, "%s", err.msg);
    for (;;) {
        const srr_message *m;
        size_t n = 0;
        cr_assert_eq(srr_consumer_poll(c, 500, 0, &m, &n, &err), SRR_OK, "%s", err.msg);
        if (n == 0)
            break;
        *ids = srr_realloc(*ids, (total + n) * sizeof(char *));
        for (size_t i = 0; i < n; i++) {
            json_t *j;
            cr_assert_null(m[i].corrupt_reason, "corrupt record: %s", m[i].corrupt_reason);
            j = json_loadb(m[i].payload, m[i].len, 0, NULL);
            cr_assert_not_null(j, "a record that is not whole JSON");
            (*ids)[total++] = srr_strdup(json_string_value(json_object_get(j, "id")));
            json_decref(j);
        }
        cr_assert_eq(srr_consumer_commit(c, &err), SRR_OK);
    }
    srr_consumer_close(&c);
    return total;
}

static void free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

static size_t count_files(const char *dir, const char *suffix)
{
    char *cmd = srr_asprintf("ls %s/%s/ 2>/dev/null | grep -c '%s$'", fx.dir, dir, suffix);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    cr_assert_not_null(p);
    if (fscanf(p, "%zu", &n) != 1)
        n = 0;
    pclose(p);
    free(cmd);
    return n;
}

TestSuite(webhook_server, .init = setup, .fini = teardown, .timeout = 120);

Test(webhook_server, every_status)
{
    char *body = wh_payload("7716548234011234567", "Triggered");
    char big[6000];
    wh_answer a;
    load_config(NULL);
    start_with_token();

    /* 202, with the candidate id; every answer has its own request id */
    cr_assert_eq(post_code(JSON_AUTH, body, &a), 202, "%s", a.body ? a.body : a.error);
    {   /* {"status":"accepted","id":<the candidate id of this delivery>} */
        json_t *j = json_loads(a.body, 0, NULL);
        srr_webhook_alert al;
        srr_error perr = {0};
        cr_assert_not_null(j, "202 body is not JSON: %s", a.body);
        cr_assert_eq(srr_webhook_parse(body, strlen(body), SRR_WEBHOOK_JSON, 0, &al, &perr),
                     SRR_OK);
        cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "accepted");
        cr_assert_str_eq(json_string_value(json_object_get(j, "id")), al.id);
        cr_assert_eq(json_object_size(j), 2);
        srr_webhook_alert_clear(&al);
        json_decref(j);
    }
    cr_assert_not_null(a.request_id, "no X-Request-Id");
    char *first_id = srr_strdup(a.request_id);
    wh_answer_free(&a);
    cr_assert_eq(post_code(JSON_AUTH, body, &a), 202);
    cr_assert_not_null(a.request_id);
    cr_assert_str_neq(a.request_id, first_id);
    free(first_id);
    wh_answer_free(&a);

    /* 401: no token, a wrong one, a prefix of the right one */
    const char *const none[] = {"Content-Type: application/json", NULL};
    const char *const wrong[] = {"Content-Type: application/json", "X-SRR-Token: nope", NULL};
    const char *const prefix[] = {"Content-Type: application/json", "X-SRR-Token: t0ken", NULL};
    cr_assert_eq(post_code(none, body, &a), 401);
    cr_assert_null(strstr(a.body, TOKEN)); /* never echoes the secret */
    wh_answer_free(&a);
    cr_assert_eq(post_code(wrong, body, NULL), 401);
    cr_assert_eq(post_code(prefix, body, NULL), 401);

    /* 415: a media type that is neither JSON nor form */
    const char *const text[] = {"Content-Type: text/plain", "X-SRR-Token: " TOKEN, NULL};
    cr_assert_eq(post_code(text, body, NULL), 415);

    /* 413: announced too large, and sent too large without a length */
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_assert_eq(post_code(JSON_AUTH, big, NULL), 413);
    const char *const chunked[] = {"Content-Type: application/json", "X-SRR-Token: " TOKEN,
                                   "Transfer-Encoding: chunked", NULL};
    cr_assert_eq(post_code(chunked, big, NULL), 413);

    /* 400 with a reason, and the raw body in quarantine with its reason */
    cr_assert_eq(post_code(JSON_AUTH, "{\"title\": \"half", &a), 400);
    cr_assert(strstr(a.body, "not JSON"), "%s", a.body);
    wh_answer_free(&a);
    cr_assert_eq(post_code(JSON_AUTH, "{\"alert_id\": \"1\"}", &a), 400);
    cr_assert(strstr(a.body, "no $ID"), "%s", a.body);
    wh_answer_free(&a);
    cr_assert_eq(count_files("quarantine", ".body"), 2);
    cr_assert_eq(count_files("quarantine", ".json"), 2);

    /* 405 and 404 */
    wh_get(fx.url, 5000, &a);
    cr_assert_eq(a.code, 405);
    wh_answer_free(&a);
    {
        char *u = srr_asprintf("%s/v1/other", fx.base);
        wh_post(u, JSON_AUTH, body, strlen(body), 5000, &a);
        cr_assert_eq(a.code, 404);
        wh_answer_free(&a);
        free(u);
    }

    /* healthz, readyz (200, then 503 with its reason), metrics */
    char u[160];
    snprintf(u, sizeof u, "%s/healthz", fx.base);
    wh_get(u, 5000, &a);
    cr_assert_eq(a.code, 200);
    wh_answer_free(&a);
    snprintf(u, sizeof u, "%s/readyz", fx.base);
    wh_get(u, 5000, &a);
    cr_assert_eq(a.code, 200);
    wh_answer_free(&a);
    atomic_store(&fx.not_ready, 1);
    wh_get(u, 5000, &a);
    cr_assert_eq(a.code, 503);
    cr_assert(strstr(a.body, "the queue is away"));
    wh_answer_free(&a);
    snprintf(u, sizeof u, "%s/metrics", fx.base);
    wh_get(u, 5000, &a);
    cr_assert_eq(a.code, 200);
    cr_assert(strstr(a.body, "srr_webhook_requests_total{code=\"202\"} 2\n"), "%s", a.body);
    cr_assert(strstr(a.body, "srr_webhook_requests_total{code=\"401\"} 3\n"));
    cr_assert(strstr(a.body, "srr_webhook_rejected_total{reason=\"too_large\"} 2\n"));
    cr_assert(strstr(a.body, "srr_webhook_rejected_total{reason=\"unparseable\"} 2\n"));
    cr_assert(strstr(a.body, "srr_webhook_queue_confirmations_total{result=\"ok\"} 2\n"));
    cr_assert(strstr(a.body, "srr_webhook_queue_confirmation_seconds_count 2\n"));
    cr_assert(strstr(a.body, "srr_webhook_payload_bytes_total"));
    wh_answer_free(&a);
    free(body);
}

Test(webhook_server, a_bad_body_that_cannot_be_kept_is_503_not_400)
{
    /* 400 is final for Datadog (it retries only 5xx), so a body srr cannot
     * read is answered 400 only once it is in quarantine. While the
     * quarantine cannot be written (a file stands where its directory
     * should be) the answer is 503 with Retry-After and nothing is left
     * half-written; once the directory is back, the retry gets its 400 and
     * the body is kept. */
    char *qdir = srr_asprintf("%s/quarantine", fx.dir);
    const char *bad = "{\"title\": \"half";
    wh_answer a;
    char u[160];
    load_config(NULL);
    start_with_token();
    tu_rmdir_r(qdir);
    free(tu_write_file(fx.dir, "quarantine", "not a directory"));

    cr_assert_eq(post_code(JSON_AUTH, bad, &a), 503, "%s", a.body ? a.body : a.error);
    cr_assert_not_null(a.retry_after, "503 without Retry-After");
    cr_assert(strstr(a.body, "quarantine"), "%s", a.body);
    wh_answer_free(&a);

    cr_assert_eq(unlink(qdir), 0);
    cr_assert_eq(mkdir(qdir, 0755), 0);
    cr_assert_eq(post_code(JSON_AUTH, bad, &a), 400);
    cr_assert(strstr(a.body, "not JSON"), "%s", a.body);
    wh_answer_free(&a);
    cr_assert_eq(count_files("quarantine", ".body"), 1);
    cr_assert_eq(count_files("quarantine", ".json"), 1);

    snprintf(u, sizeof u, "%s/metrics", fx.base);
    wh_get(u, 5000, &a);
    cr_assert(strstr(a.body, "srr_webhook_rejected_total{reason=\"quarantine_failed\"} 1\n"),
              "%s", a.body);
    cr_assert(strstr(a.body, "srr_webhook_rejected_total{reason=\"unparseable\"} 1\n"));
    wh_answer_free(&a);
    free(qdir);
}

/* GET path; returns the answer (free with wh_answer_free). */
static void get(const char *path, wh_answer *a)
{
    char u[160];
    snprintf(u, sizeof u, "%s%s", fx.base, path);
    wh_get(u, 5000, a);
}

/* A full quarantine never turns a bad body into a 400 that Datadog would
 * not retry: it is 503 with Retry-After, /readyz says it is full, a metric
 * says so; the bound follows the directory, so clearing it is obeyed
 * without a restart, and the byte bound holds too. */
Test(webhook_server, a_full_quarantine_is_503_and_clearing_it_is_obeyed)
{
    char *qdir = srr_asprintf("%s/quarantine", fx.dir);
    const char *bad = "{\"title\": \"half";
    wh_answer a;
    srr_error err = {0};
    srr_webhook_hooks hooks;
    int i;
    load_config("  quarantine_max_bodies: 2\n  quarantine_max_bytes: 65536\n");
    fx.cfg->webhook.token = srr_strdup(TOKEN);
    {   /* the config's bound, not the test override */
        srr_commit_sink sink = {&fx, sink_send, sink_flush};
        srr_webhook_opts o = {&fx.cfg->webhook, 0, 1000, 7, 0};
        memset(&hooks, 0, sizeof hooks);
        hooks.ctx = &fx;
        hooks.accept = accept_alert;
        hooks.ready = ready;
        hooks.metrics = metrics;
        cr_assert_eq(srr_producer_open(fx.cfg, &fx.prod, &err), SRR_OK, "%s", err.msg);
        cr_assert_eq(srr_committer_create(&sink, 0, &fx.com, &err), SRR_OK);
        cr_assert_eq(srr_webhook_start(&o, &hooks, &fx.srv, &err), SRR_OK, "%s", err.msg);
        snprintf(fx.base, sizeof fx.base, "http://127.0.0.1:%u", srr_webhook_port(fx.srv));
        snprintf(fx.url, sizeof fx.url, "%s/v1/webhooks/datadog", fx.base);
    }
    cr_assert_eq(post_code(JSON_AUTH, bad, NULL), 400);
    cr_assert_eq(post_code(JSON_AUTH, bad, NULL), 400);
    for (i = 0; i < 3; i++) { /* full: 503 every time, nothing more kept */
        cr_assert_eq(post_code(JSON_AUTH, bad, &a), 503, "%s", a.body ? a.body : a.error);
        cr_assert_not_null(a.retry_after, "503 without Retry-After");
        cr_assert(strstr(a.body, "quarantine") && strstr(a.body, "full"), "%s", a.body);
        wh_answer_free(&a);
    }
    cr_assert_eq(count_files("quarantine", ".body"), 2);
    get("/readyz", &a);
    cr_assert_eq(a.code, 503, "%s", a.body);
    cr_assert(strstr(a.body, "quarantine") && strstr(a.body, "full"), "%s", a.body);
    wh_answer_free(&a);
    get("/metrics", &a);
    cr_assert(strstr(a.body, "srr_webhook_quarantine_full 1\n"), "%s", a.body);
    cr_assert(strstr(a.body, "srr_webhook_quarantine_bodies 2\n"), "%s", a.body);
    cr_assert(strstr(a.body, "srr_webhook_rejected_total{reason=\"quarantine_full\"} 3\n"), "%s",
              a.body);
    wh_answer_free(&a);

    /* the operator reads and clears it: obeyed without a restart */
    tu_rmdir_r(qdir);
    cr_assert_eq(mkdir(qdir, 0750), 0);
    for (i = 0; i < 200; i++) { /* the directory is read again within a second */
        get("/readyz", &a);
        long code = a.code;
        wh_answer_free(&a);
        if (code == 200)
            break;
        usleep(50 * 1000);
    }
    cr_assert_lt(i, 200, "/readyz still failing 10 s after the quarantine was cleared");
    cr_assert_eq(post_code(JSON_AUTH, bad, NULL), 400);
    cr_assert_eq(count_files("quarantine", ".body"), 1);
    get("/metrics", &a);
    cr_assert(strstr(a.body, "srr_webhook_quarantine_full 0\n"), "%s", a.body);
    wh_answer_free(&a);

    /* the byte bound: a body that would pass it is not kept either */
    {
        char *big = srr_malloc(4000);
        memset(big, 'x', 3999);
        big[0] = '{';
        big[3999] = '\0';
        srr_webhook_stop(&fx.srv);
        fx.cfg->webhook.quarantine_max_bodies = 100;
        fx.cfg->webhook.quarantine_max_bytes = 65536 + 4000; /* tiny: what is there plus little */
        {
            srr_webhook_opts o = {&fx.cfg->webhook, 0, 1000, 7, 0};
            cr_assert_eq(srr_webhook_start(&o, &hooks, &fx.srv, &err), SRR_OK, "%s", err.msg);
            snprintf(fx.base, sizeof fx.base, "http://127.0.0.1:%u", srr_webhook_port(fx.srv));
            snprintf(fx.url, sizeof fx.url, "%s/v1/webhooks/datadog", fx.base);
        }
        for (i = 0; i < 40; i++) {
            long code = post_code(JSON_AUTH, big, &a);
            wh_answer_free(&a);
            if (code == 503)
                break;
            cr_assert_eq(code, 400);
        }
        cr_assert_lt(i, 40, "the byte bound never held");
        free(big);
    }
    free(qdir);
}

Test(webhook_server, form_encoding_and_basic_auth)
{
    srr_error err = {0};
    wh_answer a;
    load_config("  basic_user: datadog\n");
    fx.cfg->webhook.basic_password = srr_strdup("pa:ss");
    cr_assert_eq(start_server(0, 1000, &err), SRR_OK, "%s", err.msg);
    const char *form = "id=1&alert_id=9&alert_transition=Triggered&title=%5BTriggered%5D+Disk";
    /* "datadog:pa:ss" */
    const char *const good[] = {"Content-Type: application/x-www-form-urlencoded",
                                "Authorization: Basic ZGF0YWRvZzpwYTpzcw==", NULL};
    const char *const bad[] = {"Content-Type: application/x-www-form-urlencoded",
                               "Authorization: Basic ZGF0YWRvZzp3cm9uZw==", NULL};
    cr_assert_eq(post_code(good, form, &a), 202, "%s", a.body ? a.body : a.error);
    wh_answer_free(&a);
    cr_assert_eq(post_code(bad, form, NULL), 401);
    cr_assert_eq(post_code(JSON_AUTH, form, NULL), 401);
}

Test(webhook_server, refuses_to_start_without_a_secret)
{
    srr_error err = {0};
    load_config(NULL);
    cr_assert_eq(start_server(0, 1000, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "--insecure-no-auth"), "%s", err.msg);
    cr_assert_null(fx.srv);
    /* a basic user without a password is refused too */
    fx.cfg->webhook.basic_user = srr_strdup("dd");
    cr_assert_eq(start_server(1, 1000, &err), SRR_EINVAL);
    free(fx.cfg->webhook.basic_user);
    fx.cfg->webhook.basic_user = NULL;
    /* --insecure-no-auth: starts, and anyone may post */
    cr_assert_eq(start_server(1, 1000, &err), SRR_OK, "%s", err.msg);
    const char *const none[] = {"Content-Type: application/json", NULL};
    char *body = wh_payload("5", "Triggered");
    cr_assert_eq(post_code(none, body, NULL), 202);
    free(body);
}

/* The per-connection memory (16 KiB) bounds a request's headers: 12 KB of
 * them (a proxy's or Datadog's custom headers) still pass, a 20 KB header
 * gets 431 and queues nothing, and the next post is served. */
Test(webhook_server, header_size_is_bounded)
{
    char *body = wh_payload("7716548234011234999", "Triggered"), *h;
    const char *headers[4] = {JSON_AUTH[0], JSON_AUTH[1], NULL, NULL};
    wh_answer a;
    char **ids;
    size_t n;
    load_config(NULL);
    start_with_token();
    h = srr_calloc(1, 20 * 1024 + 16);
    memcpy(h, "X-Custom: ", 10);
    memset(h + 10, 'a', 12 * 1024);
    headers[2] = h;
    cr_assert_eq(post_code(headers, body, &a), 202, "%s", a.body ? a.body : a.error);
    wh_answer_free(&a);
    memset(h + 10, 'a', 20 * 1024);
    cr_assert_eq(post_code(headers, body, NULL), 431);
    cr_assert_eq(post_code(JSON_AUTH, body, NULL), 202);
    n = spool_ids(&ids);
    cr_assert_eq(n, 2); /* the two 202s, nothing of the 431 */
    free_ids(ids, n);
    free(h);
    free(body);
}

Test(webhook_server, duplicate_delivery_has_one_id)
{
    char *body = wh_payload("7050278235293370890", "Triggered");
    wh_answer a, b;
    char **ids;
    load_config(NULL);
    start_with_token();
    cr_assert_eq(post_code(JSON_AUTH, body, &a), 202);
    cr_assert_eq(post_code(JSON_AUTH, body, &b), 202); /* Datadog's retry */
    cr_assert_str_eq(a.body, b.body);                  /* same candidate id */
    size_t n = spool_ids(&ids);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(ids[0], ids[1]); /* the writer stores it once (test_webhook_e2e) */
    free_ids(ids, n);
    wh_answer_free(&a);
    wh_answer_free(&b);
    free(body);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_local(unsigned short port)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    return fd;
}

/* 1 when the server closed the socket (EOF or reset). */
static int closed_by_peer(int fd, int wait_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    char buf[512];
    if (poll(&p, 1, wait_ms) <= 0)
        return 0;
    return recv(fd, buf, sizeof buf, MSG_DONTWAIT) <= 0;
}

Test(webhook_server, slowloris_is_cut_off_while_others_are_served)
{
    char *body = wh_payload("11", "Triggered");
    unsigned short port;
    load_config(NULL);
    start_with_token();
    port = srr_webhook_port(fx.srv);
    /* Two slow clients: one trickling its headers, one its body, each a
     * byte every 200 ms - never idle long enough for an idle timeout. */
    static const char *const starts[] = {
        "POST /v1/webhooks/datadog HTTP/1.1\r\nHost: x\r\n",
        "POST /v1/webhooks/datadog HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "X-SRR-Token: " TOKEN "\r\nContent-Length: 400\r\n\r\n"};
    for (int k = 0; k < 2; k++) {
        int fd = connect_local(port), served = 0, cut = 0;
        int64_t t0 = now_ms();
        cr_assert_gt(send(fd, starts[k], strlen(starts[k]), MSG_NOSIGNAL), 0);
        while (now_ms() - t0 < 6000) {
            if (send(fd, "X", 1, MSG_NOSIGNAL) != 1 || closed_by_peer(fd, 200)) {
                cut = 1;
                break;
            }
            if (post_code(JSON_AUTH, body, NULL) == 202) /* others are served meanwhile */
                served++;
        }
        int64_t took = now_ms() - t0;
        close(fd);
        cr_assert(cut, "slow client %d was never cut off", k);
        cr_assert(took >= 1500 && took <= 4500, "cut after %lld ms (timeout 2 s)",
                  (long long)took);
        cr_assert_geq(served, 3, "only %d normal posts served meanwhile", served);
    }
    srr_buf b;
    srr_buf_init(&b, 0);
    srr_webhook_metrics(fx.srv, &b);
    cr_assert(strstr(b.data, "srr_webhook_connections_cut_total 2\n"), "%s", b.data);
    srr_buf_free(&b);
    free(body);
}

Test(webhook_server, per_address_connection_limit)
{
    int fds[3];
    char *body = wh_payload("12", "Triggered");
    load_config(NULL);
    fx.cfg->webhook.per_ip_connections = 2;
    start_with_token();
    for (int i = 0; i < 3; i++)
        fds[i] = connect_local(srr_webhook_port(fx.srv));
    /* an event with a deadline, not a wait: under ASan on a loaded machine
     * the worker took over 2 s to accept and refuse it once */
    cr_assert(closed_by_peer(fds[2], 15000), "a third connection from one address was kept");
    cr_assert_not(closed_by_peer(fds[0], 100));
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    {   /* the slots free again once the server has seen the closes: wait for
         * that (a refused connection meanwhile), never for a fixed time */
        long code = 0;
        for (int i = 0; i < 200 && code != 202; i++) {
            wh_answer a;
            wh_post(fx.url, JSON_AUTH, body, strlen(body), 10000, &a);
            code = a.code;
            wh_answer_free(&a);
            cr_assert(code == 202 || code == 0, "%ld while the slots free up", code);
            if (code != 202)
                usleep(50 * 1000);
        }
        cr_assert_eq(code, 202, "the per-address slots never freed up (10 s)");
    }
    free(body);
}

static size_t discard(char *p, size_t size, size_t nmemb, void *ud)
{
    (void)p;
    (void)ud;
    return size * nmemb;
}

/* Posts n alerts with distinct $IDs concurrently (up to `conns` connections
 * at once); codes[i] gets the status of alert i (0: no answer). */
static void post_many(int n, int conns, long *codes, char **bodies)
{
    CURLM *m = curl_multi_init();
    CURL **hs = srr_calloc((size_t)n, sizeof(CURL *));
    struct curl_slist *hl = NULL;
    int running = 0;
    hl = curl_slist_append(hl, "Content-Type: application/json");
    hl = curl_slist_append(hl, "X-SRR-Token: " TOKEN);
    hl = curl_slist_append(hl, "Expect:");
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)conns);
    for (int i = 0; i < n; i++) {
        hs[i] = curl_easy_init();
        curl_easy_setopt(hs[i], CURLOPT_URL, fx.url);
        curl_easy_setopt(hs[i], CURLOPT_POSTFIELDS, bodies[i]);
        curl_easy_setopt(hs[i], CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(hs[i], CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(hs[i], CURLOPT_TIMEOUT, 60L);
        curl_easy_setopt(hs[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(hs[i], CURLOPT_PRIVATE, (void *)(intptr_t)i);
        curl_multi_add_handle(m, hs[i]);
    }
    do {
        CURLMsg *msg;
        int left;
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg == CURLMSG_DONE) {
                void *pv;
                long code = 0;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &pv);
                if (msg->data.result == CURLE_OK)
                    curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
                codes[(intptr_t)pv] = code;
            }
        }
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    } while (running);
    for (int i = 0; i < n; i++) {
        curl_multi_remove_handle(m, hs[i]);
        curl_easy_cleanup(hs[i]);
    }
    curl_slist_free_all(hl);
    curl_multi_cleanup(m);
    free(hs);
}

static char **make_bodies(int n, char (*ids)[33])
{
    char **bodies = srr_calloc((size_t)n, sizeof(char *));
    for (int i = 0; i < n; i++) {
        char eid[32];
        srr_webhook_alert a;
        snprintf(eid, sizeof eid, "90000000000%08d", i);
        bodies[i] = wh_payload(eid, "Triggered");
        cr_assert_eq(srr_webhook_parse(bodies[i], strlen(bodies[i]), SRR_WEBHOOK_JSON, 0, &a, NULL),
                     SRR_OK);
        memcpy(ids[i], a.id, 33);
        srr_webhook_alert_clear(&a);
    }
    return bodies;
}

static int has_id(char **ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return 1;
    return 0;
}

Test(webhook_server, thousand_concurrent_posts_all_accounted_for)
{
    enum { N = 1000 };
    static long codes[N];
    static char ids[N][33];
    char **bodies, **queued;
    size_t nq, accepted = 0, other = 0;
    load_config(NULL);
    start_with_token();
    bodies = make_bodies(N, ids);
    post_many(N, 200, codes, bodies);
    nq = spool_ids(&queued);
    for (int i = 0; i < N; i++) {
        if (codes[i] == 202) {
            accepted++;
            cr_assert(has_id(queued, nq, ids[i]), "alert %d answered 202 but not queued", i);
        } else {
            other++;
            cr_assert(codes[i] == 0 || codes[i] >= 500, "alert %d: status %ld", i, codes[i]);
        }
        free(bodies[i]);
    }
    free(bodies);
    cr_assert_eq(accepted + other, N);
    cr_assert_eq(accepted, N, "%zu of %d accepted", accepted, N);
    cr_assert_eq(nq, N);
    /* group commit: far fewer flushes than alerts */
    srr_buf b;
    srr_buf_init(&b, 0);
    srr_committer_metrics(fx.com, &b);
    const char *at = strstr(b.data, "srr_webhook_queue_batches_total ");
    cr_assert_not_null(at);
    cr_assert_lt(strtoul(at + strlen("srr_webhook_queue_batches_total "), NULL, 10), N / 2,
                 "%s", b.data);
    srr_buf_free(&b);
    free_ids(queued, nq);
}

Test(webhook_server, queue_failing_mid_load)
{
    enum { N = 300 };
    static long codes[N];
    static char ids[N][33];
    char **bodies, **queued;
    size_t nq, accepted = 0, refused = 0;
    load_config(NULL);
    start_with_token();
    atomic_store(&fx.fail_after, 100);
    bodies = make_bodies(N, ids);
    post_many(N, 64, codes, bodies);
    nq = spool_ids(&queued);
    for (int i = 0; i < N; i++) {
        if (codes[i] == 202) {
            accepted++;
            cr_assert(has_id(queued, nq, ids[i]), "alert %d answered 202 but not queued", i);
        } else {
            cr_assert_eq(codes[i], 503, "alert %d: %ld (never a 4xx for an outage)", i, codes[i]);
            cr_assert_not(has_id(queued, nq, ids[i]), "a refused alert was stored");
            refused++;
        }
    }
    cr_assert_eq(accepted, 100);
    cr_assert_eq(refused, N - 100);
    cr_assert_eq(nq, 100); /* every record whole (spool_ids parses each) */
    free_ids(queued, nq);

    /* Retry-After on the 503; once the queue is back, Datadog's retry lands */
    wh_answer a;
    cr_assert_eq(post_code(JSON_AUTH, bodies[N - 1], &a), 503);
    cr_assert_str_eq(a.retry_after, "7");
    wh_answer_free(&a);
    atomic_store(&fx.fail_after, 0);
    atomic_store(&fx.failing, 0);
    cr_assert_eq(post_code(JSON_AUTH, bodies[N - 1], NULL), 202);
    for (int i = 0; i < N; i++)
        free(bodies[i]);
    free(bodies);
}

Test(webhook_server, queue_too_slow_is_503)
{
    wh_answer a;
    char *body = wh_payload("77", "Triggered");
    load_config(NULL);
    start_with_token();
    atomic_store(&fx.flush_delay_ms, 2500); /* queue deadline is 1 s */
    int64_t t0 = now_ms();
    cr_assert_eq(post_code(JSON_AUTH, body, &a), 503);
    cr_assert_lt(now_ms() - t0, 2200);
    cr_assert_not_null(a.retry_after);
    cr_assert(strstr(a.body, "in time"), "%s", a.body);
    wh_answer_free(&a);
    atomic_store(&fx.flush_delay_ms, 0);
    {   /* the late confirmation arrives (the committer counts it) and the
         * request it was for, already answered 503, ignores it */
        int seen = 0;
        for (int i = 0; i < 300 && !seen; i++) {
            get("/metrics", &a);
            seen = a.body && strstr(a.body,
                                    "srr_webhook_queue_confirmations_total{result=\"ok\"} 1\n");
            wh_answer_free(&a);
            if (!seen)
                usleep(50 * 1000);
        }
        cr_assert(seen, "the late confirmation never came (15 s)");
    }
    cr_assert_eq(post_code(JSON_AUTH, body, NULL), 202);
    free(body);
}

Test(webhook_server, tls)
{
    char *cmd, *body = wh_payload("88", "Triggered");
    if (access("/usr/bin/openssl", X_OK) != 0) {
        free(body);
        cr_skip_test("openssl is not installed");
    }
    cmd = srr_asprintf("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                       "-keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
                       fx.dir, fx.dir);
    cr_assert_eq(system(cmd), 0);
    free(cmd);
    load_config(NULL);
    fx.cfg->webhook.tls_cert = srr_asprintf("%s/cert.pem", fx.dir);
    fx.cfg->webhook.tls_key = srr_asprintf("%s/key.pem", fx.dir);
    start_with_token();
    cr_assert(strncmp(fx.url, "https://", 8) == 0);
    wh_answer a;
    cr_assert_eq(post_code(JSON_AUTH, body, &a), 202, "%s", a.body ? a.body : a.error);
    wh_answer_free(&a);
    const char *const none[] = {"Content-Type: application/json", NULL};
    cr_assert_eq(post_code(none, body, NULL), 401);
    free(body);
}
