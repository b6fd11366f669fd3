/* SPDX-License-Identifier: Apache-2.0
 *
 * test_webhook_auth.c - which credentials the webhook receiver requires,
 * decided by one function (ingest/webhook_auth.h) from a real config file
 * and environment: the whole matrix token yes/no x basic_user
 * absent/empty/set x password yes/no, each accepted case checked against a
 * real receiver on 127.0.0.1 (no credentials 401, only part of them 401,
 * all of them 202), each half-configured case refused naming the missing
 * piece, also with --insecure-no-auth; credentials holding a NUL byte
 * (basic "user:secret\0junk", a secret file with a NUL) refused; `srr
 * serve` exits 2 and `srr doctor` fails on a half-configured secret.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "testutil.h"
#include "webhook.h"
#include "webhook_auth.h"
#include "webhook_client.h"

#define TOKEN "tok-for-auth-tests"
#define PASSWORD "pw-for-auth-tests"

static char *dir;

static void setup(void)
{
    dir = tu_mkdtemp();
    curl_global_init(CURL_GLOBAL_ALL);
}

static void teardown(void)
{
    unsetenv("SRR_WEBHOOK_TOKEN");
    unsetenv("SRR_WEBHOOK_PASSWORD");
    tu_rmdir_r(dir);
    free(dir);
}

TestSuite(webhook_auth, .init = setup, .fini = teardown, .timeout = 60);

enum { USER_ABSENT = 0, USER_EMPTY, USER_SET };

/* Loads a config with the given pieces of secret. Caller destroys. */
static srr_config *load(int token, int user, int password, const char *extra)
{
    char *yaml = srr_asprintf("queue:\n  spool_dir: spool\n"
                              "webhook:\n  listen: 127.0.0.1:0\n  quarantine_dir: q\n%s%s",
                              user == USER_SET     ? "  basic_user: datadog\n"
                              : user == USER_EMPTY ? "  basic_user: \"\"\n"
                                                   : "",
                              extra ? extra : "");
    char *path = tu_write_file(dir, "srr.yaml", yaml);
    srr_config *cfg = NULL;
    srr_error err = {0};
    if (token)
        setenv("SRR_WEBHOOK_TOKEN", TOKEN, 1);
    else
        unsetenv("SRR_WEBHOOK_TOKEN");
    if (password)
        setenv("SRR_WEBHOOK_PASSWORD", PASSWORD, 1);
    else
        unsetenv("SRR_WEBHOOK_PASSWORD");
    cr_assert_eq(srr_config_load(path, &cfg, &err), SRR_OK, "%s", err.msg);
    free(yaml);
    free(path);
    return cfg;
}

static void accept_now(void *ctx, const srr_webhook_alert *a, srr_webhook_request *req)
{
    (void)ctx;
    (void)a;
    srr_webhook_done(req, SRR_OK, NULL);
}

static long post(unsigned short port, const char *const *headers)
{
    char url[96], *body = wh_payload("77", "Triggered");
    wh_answer a;
    long code;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/webhooks/datadog", port);
    wh_post(url, headers, body, strlen(body), 10000, &a);
    code = a.code;
    cr_assert_neq(code, 0, "%s", a.error);
    wh_answer_free(&a);
    free(body);
    return code;
}

/* "Authorization: Basic base64(user:password)" for raw bytes. */
static char *basic_header(const char *plain, size_t n)
{
    static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    srr_buf b;
    size_t i;
    srr_buf_init(&b, 0);
    srr_buf_printf(&b, "Authorization: Basic ");
    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)plain[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)plain[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)plain[i + 2];
        srr_buf_printf(&b, "%c%c%c%c", B64[(v >> 18) & 63], B64[(v >> 12) & 63],
                       i + 1 < n ? B64[(v >> 6) & 63] : '=', i + 2 < n ? B64[v & 63] : '=');
    }
    return srr_buf_steal(&b);
}

/* Starts a receiver for cfg and checks that exactly the decided
 * credentials are needed. */
static void check_requests(srr_config *cfg, const srr_webhook_auth *want)
{
    srr_webhook_hooks hooks = {NULL, accept_now, NULL, NULL};
    srr_webhook_opts o = {&cfg->webhook, want->insecure, 2000, 1, 0};
    srr_webhook_server *srv = NULL;
    srr_error err = {0};
    char *basic = basic_header("datadog:" PASSWORD, strlen("datadog:" PASSWORD));
    const char *none[] = {"Content-Type: application/json", NULL};
    const char *tok[] = {"Content-Type: application/json", "X-SRR-Token: " TOKEN, NULL};
    const char *bas[] = {"Content-Type: application/json", basic, NULL};
    const char *both[] = {"Content-Type: application/json", "X-SRR-Token: " TOKEN, basic, NULL};
    unsigned short port;
    cr_assert_eq(srr_webhook_start(&o, &hooks, &srv, &err), SRR_OK, "%s", err.msg);
    port = srr_webhook_port(srv);
    cr_assert_eq(post(port, none), want->insecure ? 202 : 401);
    cr_assert_eq(post(port, tok), want->insecure || (want->token && !want->basic) ? 202 : 401);
    cr_assert_eq(post(port, bas), want->insecure || (want->basic && !want->token) ? 202 : 401);
    cr_assert_eq(post(port, both), 202);
    srr_webhook_stop(&srv);
    free(basic);
}

Test(webhook_auth, the_whole_matrix)
{
    static const char *const USER_NAMES[] = {"absent", "empty", "set"};
    for (int token = 0; token <= 1; token++) {
        for (int user = USER_ABSENT; user <= USER_SET; user++) {
            for (int password = 0; password <= 1; password++) {
                srr_config *cfg = load(token, user, password, NULL);
                srr_webhook_auth a;
                srr_error err = {0};
                int partial = (password && user != USER_SET) || (user == USER_SET && !password);
                int basic = user == USER_SET && password;
                srr_rc rc = srr_webhook_auth_decide(&cfg->webhook, 0, &a, &err);
                cr_log_info("token %d, user %s, password %d: %s", token, USER_NAMES[user], password,
                            rc == SRR_OK ? "accepted" : err.msg);
                if (partial) {
                    cr_assert_eq(rc, SRR_EINVAL, "token %d user %s password %d", token,
                                 USER_NAMES[user], password);
                    if (password)
                        cr_assert(strstr(err.msg, "webhook.basic_user is") &&
                                      strstr(err.msg, user == USER_EMPTY ? "empty" : "missing"),
                                  "%s", err.msg);
                    else
                        cr_assert(strstr(err.msg, "password is missing"), "%s", err.msg);
                    /* a partly given secret is refused even when insecure */
                    cr_assert_eq(srr_webhook_auth_decide(&cfg->webhook, 1, &a, &err), SRR_EINVAL);
                    {
                        srr_webhook_hooks hooks = {NULL, accept_now, NULL, NULL};
                        srr_webhook_opts o = {&cfg->webhook, 1, 2000, 1, 0};
                        srr_webhook_server *srv = NULL;
                        cr_assert_eq(srr_webhook_start(&o, &hooks, &srv, &err), SRR_EINVAL);
                        cr_assert_null(srv);
                    }
                } else if (!token && !basic) {
                    cr_assert_eq(rc, SRR_EINVAL);
                    cr_assert(strstr(err.msg, "no webhook secret"), "%s", err.msg);
                    cr_assert_eq(srr_webhook_auth_decide(&cfg->webhook, 1, &a, &err), SRR_OK);
                    cr_assert(a.insecure);
                    check_requests(cfg, &a);
                } else {
                    cr_assert_eq(rc, SRR_OK, "%s", err.msg);
                    cr_assert_eq(a.token, token);
                    cr_assert_eq(a.basic, basic);
                    cr_assert_not(a.insecure);
                    check_requests(cfg, &a);
                }
                cr_assert_null(strstr(err.msg, TOKEN));
                cr_assert_null(strstr(err.msg, PASSWORD));
                srr_config_destroy(cfg);
            }
        }
    }
}

Test(webhook_auth, nul_bytes_in_credentials_are_refused)
{
    srr_config *cfg = load(0, USER_SET, 1, NULL);
    srr_webhook_auth a;
    srr_error err = {0};
    static const char with_nul[] = "datadog:" PASSWORD "\0junk";
    char *h = basic_header(with_nul, sizeof with_nul - 1);
    char *h2 =
        basic_header("datadog:" PASSWORD, strlen("datadog:" PASSWORD) + 1); /* trailing NUL */
    const char *nul[] = {"Content-Type: application/json", h, NULL};
    const char *nul2[] = {"Content-Type: application/json", h2, NULL};
    cr_assert_eq(srr_webhook_auth_decide(&cfg->webhook, 0, &a, &err), SRR_OK, "%s", err.msg);
    {
        srr_webhook_hooks hooks = {NULL, accept_now, NULL, NULL};
        srr_webhook_opts o = {&cfg->webhook, 0, 2000, 1, 0};
        srr_webhook_server *srv = NULL;
        cr_assert_eq(srr_webhook_start(&o, &hooks, &srv, &err), SRR_OK, "%s", err.msg);
        cr_assert_eq(post(srr_webhook_port(srv), nul), 401, "user:secret\\0junk accepted");
        cr_assert_eq(post(srr_webhook_port(srv), nul2), 401, "user:secret\\0 accepted");
        srr_webhook_stop(&srv);
    }
    /* the checks themselves, on raw bytes */
    cr_assert_not(srr_webhook_token_ok(TOKEN "\0junk", sizeof(TOKEN "\0junk") - 1, TOKEN, 0));
    cr_assert(srr_webhook_token_ok(TOKEN, strlen(TOKEN), TOKEN, 0));
    cr_assert(srr_webhook_token_ok("Bearer " TOKEN, strlen("Bearer " TOKEN), TOKEN, 1));
    cr_assert_not(srr_webhook_token_ok(TOKEN "x", strlen(TOKEN) + 1, TOKEN, 0));
    srr_config_destroy(cfg);
    free(h);
    free(h2);

    /* a secret file whose first line holds a NUL is a configuration error */
    {
        static const char content[] = "secret\0junk\n";
        char *p = srr_asprintf("%s/token", dir), *yaml, *path;
        FILE *f = fopen(p, "wb");
        srr_config *c2 = NULL;
        fwrite(content, 1, sizeof content - 1, f);
        fclose(f);
        yaml = srr_asprintf("webhook:\n  token_file: %s\n", p);
        path = tu_write_file(dir, "srr.yaml", yaml);
        cr_assert_eq(srr_config_load(path, &c2, &err), SRR_EINVAL);
        cr_assert(strstr(err.msg, "NUL"), "%s", err.msg);
        free(p);
        free(yaml);
        free(path);
    }
}

Test(webhook_auth, an_empty_secret_file_is_named)
{
    char *p = tu_write_file(dir, "pw", "\n"),
         *extra = srr_asprintf("  basic_password_file: %s\n", p);
    srr_config *cfg = load(1, USER_SET, 0, extra);
    srr_webhook_auth a;
    srr_error err = {0};
    cr_assert_eq(srr_webhook_auth_decide(&cfg->webhook, 1, &a, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "basic_password_file") && strstr(err.msg, "holds no password"), "%s",
              err.msg);
    srr_config_destroy(cfg);
    free(p);
    free(extra);
}

/* The commands: serve exits 2 naming the missing piece, doctor fails it,
 * /readyz says what requests must carry. */
Test(webhook_auth, serve_and_doctor_use_the_same_decision)
{
    char *yaml = srr_asprintf("queue:\n  spool_dir: spool\nstore:\n  path: srr.db\n"
                              "webhook:\n  listen: 127.0.0.1:0\n  quarantine_dir: q\n");
    char *cfg = tu_write_file(dir, "srr.yaml", yaml);
    const char *serve[] = {SRR_BIN, "serve", "-c", cfg, NULL};
    const char *doctor[] = {SRR_BIN, "doctor", "--offline", "-c", cfg, NULL};
    const char *half[] = {"SRR_WEBHOOK_PASSWORD=" PASSWORD, "SRR_WEBHOOK_TOKEN=", NULL};
    tu_run r;
    tu_exec(serve, half, dir, &r);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "webhook.basic_user is missing"), "%s", r.err);
    cr_assert_null(strstr(r.err, PASSWORD));
    tu_run_free(&r);
    tu_exec(doctor, half, dir, &r);
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert(strstr(r.out, "FAIL  webhook") && strstr(r.out, "webhook.basic_user is missing"),
              "%s", r.out);
    tu_run_free(&r);
    {
        const char *ok[] = {"SRR_WEBHOOK_TOKEN=" TOKEN, "SRR_WEBHOOK_PASSWORD=", NULL};
        wh_proc p;
        wh_answer a;
        char url[96];
        tu_exec(doctor, ok, dir, &r);
        cr_assert(strstr(r.out, "ok    webhook") && strstr(r.out, "shared secret in X-SRR-Token"),
                  "%s", r.out);
        tu_run_free(&r);
        cr_assert_eq(wh_proc_start(SRR_BIN, cfg, NULL, ok, &p), 0, "%s", p.log);
        snprintf(url, sizeof url, "http://127.0.0.1:%u/readyz", p.port);
        wh_get(url, 5000, &a);
        cr_assert(a.body && strstr(a.body, "auth: shared secret in X-SRR-Token"), "%s",
                  a.body ? a.body : a.error);
        wh_answer_free(&a);
        cr_assert_eq(wh_proc_stop(&p), 0, "%s", p.log);
        wh_proc_free(&p);
    }
    free(yaml);
    free(cfg);
}
