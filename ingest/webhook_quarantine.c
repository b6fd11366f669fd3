/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook_quarantine.c - the receiver's bounded quarantine of bodies it
 * could not read (webhook_quarantine.h).
 */
#include "webhook_quarantine.h"

#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define Q_RESCAN_MS 1000     /* the directory is read again at least this often */
#define Q_RESCAN_FULL_MS 100 /* ... and this often while it is full */
#define Q_META_BYTES 512     /* room counted for a .json beside a body */

struct srr_quarantine {
    char *dir;
    size_t max_bodies;
    long long max_bytes;
    pthread_mutex_t mu;
    size_t bodies;      /* .body files, as last read plus what was kept since (under mu) */
    long long bytes;    /* bytes of .body and .json files (under mu) */
    int64_t scanned_ms; /* when the directory was last read (under mu) */
    int full;           /* the last decision found it full (under mu) */
    unsigned long long seq;
    atomic_ullong kept;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t l = strlen(s), k = strlen(suffix);
    return l > k && strcmp(s + l - k, suffix) == 0;
}

/* Reads the directory (under q->mu). */
static void rescan(srr_quarantine *q)
{
    DIR *d = opendir(q->dir);
    struct dirent *e;
    size_t n = 0;
    long long bytes = 0;
    if (d) {
        while ((e = readdir(d)) != NULL) {
            struct stat sb;
            char *p;
            int body = ends_with(e->d_name, ".body");
            if (!body && !ends_with(e->d_name, ".json"))
                continue;
            n += body;
            p = srr_asprintf("%s/%s", q->dir, e->d_name);
            if (stat(p, &sb) == 0)
                bytes += (long long)sb.st_size;
            free(p);
        }
        closedir(d);
    }
    q->bodies = n;
    q->bytes = bytes;
    q->scanned_ms = mono_ms();
}

static void refresh(srr_quarantine *q)
{
    int64_t age = mono_ms() - q->scanned_ms;
    if (age >= Q_RESCAN_MS || (q->full && age >= Q_RESCAN_FULL_MS))
        rescan(q);
}

/* 1 when `len` more bytes (and one more body) do not fit (under q->mu);
 * err says how full. */
static int is_full(srr_quarantine *q, size_t len, srr_error *err)
{
    srr_error why = {0};
    int full =
        q->bodies >= q->max_bodies || q->bytes + (long long)len + Q_META_BYTES > q->max_bytes;
    if (full) {
        srr_error_set(&why, SRR_RETRY,
                      "the quarantine %s is full (%zu bodies, %lld bytes; "
                      "webhook.quarantine_max_bodies %zu, quarantine_max_bytes %lld): read and "
                      "clear it",
                      q->dir, q->bodies, q->bytes, q->max_bodies, q->max_bytes);
        if (err)
            *err = why;
    }
    if (full != q->full) {
        if (full)
            srr_warn("webhook: %s; bad bodies are answered 503 until then", why.msg);
        else
            srr_info("webhook: the quarantine %s has room again (%zu bodies, %lld bytes)", q->dir,
                     q->bodies, q->bytes);
        q->full = full;
    }
    return full;
}

srr_rc srr_quarantine_open(const char *dir, size_t max_bodies, long long max_bytes,
                           srr_quarantine **out, srr_error *err)
{
    srr_quarantine *q;
    srr_rc rc = srr_mkdirs(dir, err);
    *out = NULL;
    if (rc != SRR_OK)
        return rc;
    q = srr_calloc(1, sizeof *q);
    q->dir = srr_strdup(dir);
    q->max_bodies = max_bodies ? max_bodies : 1000;
    q->max_bytes = max_bytes > 0 ? max_bytes : 100LL << 20;
    pthread_mutex_init(&q->mu, NULL);
    rescan(q);
    *out = q;
    return SRR_OK;
}

void srr_quarantine_destroy(srr_quarantine **qp)
{
    srr_quarantine *q;
    if (!qp || !*qp)
        return;
    q = *qp;
    pthread_mutex_destroy(&q->mu);
    free(q->dir);
    free(q);
    *qp = NULL;
}

int srr_quarantine_state(srr_quarantine *q, size_t *bodies, long long *bytes, srr_error *err)
{
    int full;
    pthread_mutex_lock(&q->mu);
    refresh(q);
    full = is_full(q, 0, err);
    if (bodies)
        *bodies = q->bodies;
    if (bytes)
        *bytes = q->bytes;
    pthread_mutex_unlock(&q->mu);
    return full;
}

srr_rc srr_quarantine_keep(srr_quarantine *q, const char *body, size_t len,
                           const char *content_type, const char *reason, srr_error *err)
{
    char iso[32], base[64];
    char *path, *meta_path, *meta = NULL;
    json_t *m;
    int64_t now = srr_now();
    unsigned long long seq;
    srr_error werr = {0};
    srr_rc rc = SRR_OK;

    pthread_mutex_lock(&q->mu);
    refresh(q);
    if (is_full(q, len, err)) {
        pthread_mutex_unlock(&q->mu);
        return SRR_RETRY;
    }
    /* counted now, so concurrent bodies cannot overshoot the bound */
    q->bodies++;
    q->bytes += (long long)len + Q_META_BYTES;
    seq = ++q->seq;
    pthread_mutex_unlock(&q->mu);

    srr_time_iso(now, iso);
    snprintf(base, sizeof base, "%lld-%d-%llu", (long long)now, (int)getpid(), seq);
    path = srr_asprintf("%s/%s.body", q->dir, base);
    meta_path = srr_asprintf("%s/%s.json", q->dir, base);
    if (srr_file_write_atomic(path, body ? body : "", len, &werr) == SRR_OK) {
        m = json_pack("{s:s, s:s, s:s, s:I, s:s}", "time", iso, "reason", reason, "content_type",
                      content_type ? content_type : "", "bytes", (json_int_t)len, "body", base);
        meta = m ? json_dumps(m, JSON_INDENT(2)) : NULL;
        json_decref(m);
        if (!meta)
            srr_error_set(&werr, SRR_ERR, "cannot describe a %zu-byte body", len);
        else if (srr_file_write_atomic(meta_path, meta, strlen(meta), &werr) != SRR_OK)
            unlink(path); /* a body without its reason and time is no trace */
    }
    if (werr.msg[0]) {
        pthread_mutex_lock(&q->mu);
        q->bodies--;
        q->bytes -= (long long)len + Q_META_BYTES;
        pthread_mutex_unlock(&q->mu);
        rc = srr_error_set(err, SRR_EIO, "cannot quarantine a %zu-byte body: %s", len, werr.msg);
    } else {
        atomic_fetch_add(&q->kept, 1);
        srr_warn("webhook: 400 %s; body (%zu bytes) kept as %s/%s.body", reason, len, q->dir, base);
    }
    free(meta);
    free(meta_path);
    free(path);
    return rc;
}

void srr_quarantine_metrics(srr_quarantine *q, srr_buf *b)
{
    size_t bodies = 0;
    long long bytes = 0;
    int full = srr_quarantine_state(q, &bodies, &bytes, NULL);
    srr_buf_printf(b,
                   "# HELP srr_webhook_quarantined_total Bodies kept in quarantine (answered "
                   "400).\n"
                   "# TYPE srr_webhook_quarantined_total counter\n"
                   "srr_webhook_quarantined_total %llu\n"
                   "# HELP srr_webhook_quarantine_bodies Bodies in the quarantine directory.\n"
                   "# TYPE srr_webhook_quarantine_bodies gauge\n"
                   "srr_webhook_quarantine_bodies %zu\n"
                   "# HELP srr_webhook_quarantine_bytes Bytes in the quarantine directory.\n"
                   "# TYPE srr_webhook_quarantine_bytes gauge\n"
                   "srr_webhook_quarantine_bytes %lld\n"
                   "# HELP srr_webhook_quarantine_full 1 while the quarantine is full: bad "
                   "bodies are answered 503 and /readyz fails.\n"
                   "# TYPE srr_webhook_quarantine_full gauge\n"
                   "srr_webhook_quarantine_full %d\n",
                   (unsigned long long)atomic_load(&q->kept), bodies, bytes, full);
}
