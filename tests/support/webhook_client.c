/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook_client.c - payloads, a libcurl poster, an `srr serve` child
 * process and a storm that kills it (with the store check that follows)
 * for the webhook tests and benchmark (webhook_client.h).
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "srr.h"
#include "store_fixtures.h"
#include "webhook_client.h"

static const char TEMPLATE[] =
    "{\"id\":\"%s\",\"alert_id\":\"48213377\",\"alert_cycle_key\":\"7716548234011230000\","
    "\"aggreg_key\":\"9bd4ac313a4d1e8fae2482df7b77628\",\"alert_transition\":\"%s\","
    "\"alert_type\":\"error\",\"alert_priority\":\"P2\","
    "\"alert_query\":\"avg(last_5m):avg:system.cpu.user{env:prod} by {host} > 90\","
    "\"alert_scope\":\"host:web-01\",\"alert_metric\":\"system.cpu.user\","
    "\"alert_status\":\"avg:system.cpu.user{host:web-01} was > 90.0 on average during the last "
    "5m.\",\"title\":\"[%s on {host:web-01}] CPU high on web tier\","
    "\"text_only_msg\":\"CPU above 90%% on web-01%s\",\"date\":\"1767226200000\","
    "\"last_updated\":\"1767226200000\",\"tags\":\"env:prod,host:web-01,monitor,service:web\","
    "\"hostname\":\"web-01\","
    "\"link\":\"https://app.datadoghq.com/event/jump_to?event_id=%s\","
    "\"org_id\":\"11023\",\"org_name\":\"Acme\"}";

char *wh_payload(const char *event_id, const char *transition)
{
    return srr_asprintf(TEMPLATE, event_id, transition, transition, "", event_id);
}

char *wh_payload_sized(const char *event_id, const char *transition, size_t size)
{
    char *base = wh_payload(event_id, transition), *pad, *out;
    size_t n = strlen(base);
    if (n >= size)
        return base;
    pad = srr_malloc(size - n + 1);
    memset(pad, '.', size - n);
    pad[size - n] = '\0';
    out = srr_asprintf(TEMPLATE, event_id, transition, transition, pad, event_id);
    free(pad);
    free(base);
    return out;
}

typedef struct grow {
    char *p;
    size_t n;
} grow;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    grow *g = ud;
    size_t n = size * nmemb;
    if (g->n + n > 1024 * 1024)
        return 0;
    g->p = srr_realloc(g->p, g->n + n + 1);
    memcpy(g->p + g->n, ptr, n);
    g->n += n;
    g->p[g->n] = '\0';
    return n;
}

/* The value of header `name` ("Name:") if this header line is it, else NULL
 * (caller frees). */
static char *header_value(const char *line, size_t n, const char *name)
{
    size_t k = strlen(name);
    const char *v;
    size_t l;
    if (n <= k || strncasecmp(line, name, k) != 0)
        return NULL;
    v = line + k;
    l = n - k;
    while (l && *v == ' ') {
        v++;
        l--;
    }
    while (l && (v[l - 1] == '\r' || v[l - 1] == '\n'))
        l--;
    return srr_strndup(v, l);
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    wh_answer *a = ud;
    size_t n = size * nmemb;
    char *v;
    if ((v = header_value(ptr, n, "Retry-After:")) != NULL) {
        free(a->retry_after);
        a->retry_after = v;
    } else if ((v = header_value(ptr, n, "X-Request-Id:")) != NULL) {
        free(a->request_id);
        a->request_id = v;
    }
    return n;
}

static void perform(CURL *h, long timeout_ms, wh_answer *a)
{
    grow g = {NULL, 0};
    char ebuf[CURL_ERROR_SIZE] = "";
    CURLcode rc;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms ? timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &g);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->code);
    else
        snprintf(a->error, sizeof a->error, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
    a->body = g.p;
}

void wh_post(const char *url, const char *const *headers, const char *body, size_t len,
             long timeout_ms, wh_answer *a)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hl = NULL;
    memset(a, 0, sizeof *a);
    for (; headers && *headers; headers++)
        hl = curl_slist_append(hl, *headers);
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    perform(h, timeout_ms, a);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
}

void wh_get(const char *url, long timeout_ms, wh_answer *a)
{
    CURL *h = curl_easy_init();
    memset(a, 0, sizeof *a);
    curl_easy_setopt(h, CURLOPT_URL, url);
    perform(h, timeout_ms, a);
    curl_easy_cleanup(h);
}

void wh_answer_free(wh_answer *a)
{
    free(a->body);
    free(a->retry_after);
    free(a->request_id);
    a->body = a->retry_after = a->request_id = NULL;
}

/* Appends what can be read from fd within wait_ms to p->log. */
static void read_log(wh_proc *p, int wait_ms)
{
    struct pollfd pfd = {p->err_fd, POLLIN, 0};
    char buf[4096];
    size_t len = p->log ? strlen(p->log) : 0;
    if (p->err_fd < 0)
        return;
    while (poll(&pfd, 1, wait_ms) > 0) {
        ssize_t n = read(p->err_fd, buf, sizeof buf);
        if (n <= 0) {
            close(p->err_fd);
            p->err_fd = -1;
            return;
        }
        p->log = srr_realloc(p->log, len + (size_t)n + 1);
        memcpy(p->log + len, buf, (size_t)n);
        len += (size_t)n;
        p->log[len] = '\0';
        wait_ms = 0;
    }
}

int wh_proc_start(const char *srr_bin, const char *config, const char *const *args,
                  const char *const *env, wh_proc *p)
{
    int fds[2];
    struct timespec t0, t;
    memset(p, 0, sizeof *p);
    p->err_fd = -1;
    if (pipe(fds) != 0)
        return -1;
    p->pid = fork();
    if (p->pid < 0)
        return -1;
    if (p->pid == 0) {
        const char *argv[32];
        int n = 0, devnull = open("/dev/null", O_RDWR);
        /* If the test dies (a timeout), its server must not live on. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        argv[n++] = srr_bin;
        argv[n++] = "serve";
        argv[n++] = "-c";
        argv[n++] = config;
        for (; args && *args && n < 30; args++)
            argv[n++] = *args;
        argv[n] = NULL;
        for (; env && *env; env++)
            putenv((char *)*env);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execv(srr_bin, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    p->err_fd = fds[0];
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        const char *at;
        read_log(p, 100);
        at = p->log ? strstr(p->log, "listening on http") : NULL;
        if (at) {
            const char *colon = strchr(strstr(at, "://") + 3, ':');
            if (colon && strchr(colon, '/')) {
                p->port = (unsigned short)strtoul(colon + 1, NULL, 10);
                return 0;
            }
        }
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            read_log(p, 100);
            p->pid = 0;
            return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 10) {
            wh_proc_stop(p);
            return -1;
        }
    }
}

int wh_proc_stop(wh_proc *p)
{
    int status = 0, i;
    if (p->pid <= 0)
        return -1;
    kill(p->pid, SIGTERM);
    for (i = 0; i < 150; i++) {
        read_log(p, 100);
        if (waitpid(p->pid, &status, WNOHANG) == p->pid)
            break;
    }
    if (i == 150) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &status, 0);
    }
    read_log(p, 50);
    p->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void wh_proc_free(wh_proc *p)
{
    if (p->err_fd >= 0)
        close(p->err_fd);
    free(p->log);
    memset(p, 0, sizeof *p);
    p->err_fd = -1;
}

/* ---- storm ---------------------------------------------------------------- */

typedef struct storm_client {
    wh_storm *s;
    int first, n;
    char **ids; /* candidate ids answered 202 */
    size_t accepted;
    pthread_t th;
} storm_client;

struct wh_storm {
    char *url, *token_header;
    int nclients;
    storm_client *clients;
    atomic_int accepted;
};

static void *storm_main(void *arg)
{
    storm_client *c = arg;
    const char *const hdr[] = {"Content-Type: application/json", c->s->token_header, NULL};
    for (int i = 0; i < c->n; i++) {
        char event_id[24];
        char *body;
        wh_answer a;
        snprintf(event_id, sizeof event_id, "8800000000%09d", c->first + i); /* 19 digits */
        body = wh_payload(event_id, "Triggered");
        wh_post(c->s->url, hdr, body, strlen(body), 5000, &a);
        if (a.code == 202) {
            json_t *j = json_loads(a.body ? a.body : "", 0, NULL);
            const char *id = json_string_value(json_object_get(j, "id"));
            if (id) {
                c->ids[c->accepted++] = srr_strdup(id);
                atomic_fetch_add(&c->s->accepted, 1);
            }
            json_decref(j);
        }
        wh_answer_free(&a);
        free(body);
    }
    return NULL;
}

wh_storm *wh_storm_start(const char *url, const char *token, int clients, int per_client)
{
    wh_storm *s = srr_calloc(1, sizeof *s);
    s->url = srr_strdup(url);
    s->token_header = srr_asprintf("X-SRR-Token: %s", token);
    s->nclients = clients;
    s->clients = srr_calloc((size_t)clients, sizeof *s->clients);
    for (int i = 0; i < clients; i++) {
        storm_client *c = &s->clients[i];
        c->s = s;
        c->first = i * per_client;
        c->n = per_client;
        c->ids = srr_calloc((size_t)per_client, sizeof *c->ids);
        if (pthread_create(&c->th, NULL, storm_main, c) != 0)
            abort();
    }
    return s;
}

int wh_storm_accepted(wh_storm *s)
{
    return atomic_load(&s->accepted);
}

/* Joins the clients; returns the ids answered 202 and frees the storm. */
char **wh_storm_finish(wh_storm *s, size_t *n)
{
    char **all;
    size_t k = 0;
    for (int i = 0; i < s->nclients; i++)
        pthread_join(s->clients[i].th, NULL);
    all = srr_calloc((size_t)atomic_load(&s->accepted) + 1, sizeof *all);
    for (int i = 0; i < s->nclients; i++) {
        storm_client *c = &s->clients[i];
        for (size_t j = 0; j < c->accepted; j++)
            all[k++] = c->ids[j];
        free(c->ids);
    }
    free(s->clients);
    free(s->url);
    free(s->token_header);
    free(s);
    *n = k;
    return all;
}

char **wh_storm_kill_serve(const char *srr_bin, const char *config, const char *token,
                           int clients, int per_client, int kill_after, int timeout_ms,
                           size_t *n)
{
    char *env_token = srr_asprintf("SRR_WEBHOOK_TOKEN=%s", token), url[128], **ids;
    const char *const env[] = {env_token, NULL};
    wh_storm *storm;
    wh_proc p;
    int status = 0, waited;

    cr_assert_eq(wh_proc_start(srr_bin, config, NULL, env, &p), 0, "serve did not start: %s",
                 p.log);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/webhooks/datadog", p.port);
    storm = wh_storm_start(url, token, clients, per_client);
    for (waited = 0; atomic_load(&storm->accepted) < kill_after && waited < timeout_ms;
         waited += 2)
        usleep(2000);
    kill(p.pid, SIGKILL);
    cr_assert_eq(waitpid(p.pid, &status, 0), p.pid);
    p.pid = 0;
    ids = wh_storm_finish(storm, n);
    cr_assert_geq(*n, (size_t)kill_after, "only %zu alerts accepted in %d ms", *n, timeout_ms);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "serve ended before the kill");
    cr_assert_lt(*n, (size_t)(clients * per_client), "the kill came after the storm");
    wh_proc_free(&p);
    free(env_token);
    return ids;
}

void wh_ids_free(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

size_t wh_ids_missing_from_store(const char *db, char *const *ids, size_t n)
{
    size_t missing = 0;
    for (size_t i = 0; i < n; i++) {
        char *sql = srr_asprintf("SELECT count(*) FROM candidates WHERE id = '%s'", ids[i]);
        if (sf_query_int(db, sql) != 1)
            missing++;
        free(sql);
    }
    return missing;
}

size_t wh_ids_not_once_in_store(const char *db, char *const *ids, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        char *a = srr_asprintf("SELECT count(*) FROM candidates WHERE id = '%s'", ids[i]);
        char *b = srr_asprintf("SELECT count(*) FROM sightings WHERE candidate_id = '%s'", ids[i]);
        if (sf_query_int(db, a) != 1 || sf_query_int(db, b) != 1)
            bad++;
        free(a);
        free(b);
    }
    return bad;
}
