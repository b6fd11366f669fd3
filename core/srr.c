/* SPDX-License-Identifier: Apache-2.0
 *
 * srr.c - the small foundation every module uses: error values (made
 * safe to show by textsafe.c), time and duration helpers, and file helpers
 * (bounded reads, atomic writes). Allocation and buffers, which the text
 * sanitiser itself needs, are one floor below in mem.c.
 */
#include "srr.h"

#include "redact.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "textsafe.h"

srr_rc srr_error_set(srr_error *err, srr_rc code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        srr_redact(err->msg, sizeof(err->msg));
        /* messages quote outside text (Datadog's errors, payloads): they
         * reach a person's terminal */
        srr_text_safe_inplace(err->msg, sizeof(err->msg), SRR_TEXT_MULTILINE);
    }
    return code;
}

srr_rc srr_error_at(srr_error *err, srr_rc code, const char *file, int line, int col,
                    const char *fmt, ...)
{
    if (err) {
        va_list ap;
        int n = snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: ", file ? file : "<input>",
                         line, col);
        if (n < 0 || (size_t)n >= sizeof(err->msg))
            n = 0;
        va_start(ap, fmt);
        vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
        va_end(ap);
        srr_redact(err->msg, sizeof(err->msg));
        srr_text_safe_inplace(err->msg, sizeof(err->msg), SRR_TEXT_MULTILINE);
        err->code = code;
    }
    return code;
}

void srr_error_prefix(srr_error *err, const char *fmt, ...)
{
    char prefix[512];
    size_t plen, olen;
    va_list ap;
    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    plen = strlen(prefix);
    if (plen + 2 >= sizeof(err->msg))
        return;
    olen = strlen(err->msg);
    if (plen + 2 + olen >= sizeof(err->msg))
        olen = sizeof(err->msg) - plen - 3;
    memmove(err->msg + plen + 2, err->msg, olen);
    err->msg[plen + 2 + olen] = '\0';
    memcpy(err->msg, prefix, plen);
    err->msg[plen] = ':';
    err->msg[plen + 1] = ' ';
}

const char *srr_rc_str(srr_rc rc)
{
    switch (rc) {
    case SRR_OK: return "ok";
    case SRR_ERR: return "error";
    case SRR_RETRY: return "retry";
    case SRR_EINVAL: return "invalid";
    case SRR_ENOTFOUND: return "not found";
    case SRR_EIO: return "i/o error";
    case SRR_EAUTH: return "auth";
    case SRR_ECONFLICT: return "conflict";
    case SRR_EPARTIAL: return "partial";
    }
    return "unknown";
}

int64_t srr_now(void)
{
    const char *pin = getenv("SRR_NOW");
    if (pin && *pin) {
        char *end = NULL;
        long long v = strtoll(pin, &end, 10);
        if (end && *end == '\0' && v > 0)
            return (int64_t)v;
    }
    return (int64_t)time(NULL);
}

void srr_time_iso(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

srr_rc srr_time_parse_iso(const char *s, int64_t *out_s)
{
    struct tm tm;
    const char *p;
    memset(&tm, 0, sizeof(tm));
    if (!s)
        return SRR_EINVAL;
    p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return SRR_EINVAL;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'Z')
        p++;
    else if (p[0] == '+' && strcmp(p, "+00:00") == 0)
        p += 6;
    if (*p != '\0')
        return SRR_EINVAL;
    *out_s = (int64_t)timegm(&tm);
    return SRR_OK;
}

srr_rc srr_duration_parse(const char *s, int64_t *out_s)
{
    char *end = NULL;
    long long v;
    int64_t mult = 1;
    if (!s || !*s || *s == '-' || *s == '+')
        return SRR_EINVAL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s)
        return SRR_EINVAL;
    if (*end != '\0') {
        switch (*end) {
        case 's': mult = 1; break;
        case 'm': mult = 60; break;
        case 'h': mult = 3600; break;
        case 'd': mult = 86400; break;
        case 'w': mult = 7 * 86400; break;
        default: return SRR_EINVAL;
        }
        if (end[1] != '\0')
            return SRR_EINVAL;
    }
    if (v > INT64_MAX / mult || (int64_t)v * mult > SRR_DURATION_MAX_S)
        return SRR_EINVAL;
    *out_s = (int64_t)v * mult;
    return SRR_OK;
}

srr_rc srr_file_read(const char *path, size_t max, char **out, size_t *len, srr_error *err)
{
    FILE *f;
    srr_buf b;
    char chunk[65536];
    size_t n;
    if (!max)
        max = 64u << 20;
    f = fopen(path, "rb");
    if (!f)
        return srr_error_set(err, errno == ENOENT ? SRR_ENOTFOUND : SRR_EIO,
                             "cannot open %s: %s", path, strerror(errno));
    srr_buf_init(&b, max);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (srr_buf_append(&b, chunk, n) != SRR_OK) {
            fclose(f);
            srr_buf_free(&b);
            return srr_error_set(err, SRR_EINVAL, "%s is larger than %zu bytes", path, max);
        }
    }
    if (ferror(f)) {
        fclose(f);
        srr_buf_free(&b);
        return srr_error_set(err, SRR_EIO, "cannot read %s", path);
    }
    fclose(f);
    if (len)
        *len = b.len;
    *out = srr_buf_steal(&b);
    return SRR_OK;
}

static void fsync_parent(const char *path)
{
    char *dir = srr_strdup(path);
    char *slash = strrchr(dir, '/');
    int fd;
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else {
        free(dir);
        dir = srr_strdup(".");
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

srr_rc srr_file_write_atomic(const char *path, const void *data, size_t len, srr_error *err)
{
    char *tmp = srr_asprintf("%s.tmp.%ld", path, (long)getpid());
    const char *p = data;
    size_t left = len;
    srr_rc rc = SRR_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        rc = srr_error_set(err, SRR_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = srr_error_set(err, SRR_EIO, "cannot write %s: %s", tmp, strerror(errno));
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (rc == SRR_OK && fsync(fd) != 0)
        rc = srr_error_set(err, SRR_EIO, "cannot fsync %s: %s", tmp, strerror(errno));
    close(fd);
    if (rc == SRR_OK && rename(tmp, path) != 0)
        rc = srr_error_set(err, SRR_EIO, "cannot rename %s to %s: %s", tmp, path,
                           strerror(errno));
    if (rc == SRR_OK)
        fsync_parent(path);
    else
        unlink(tmp);
out:
    free(tmp);
    return rc;
}

srr_rc srr_mkdirs(const char *path, srr_error *err)
{
    char *p = srr_strdup(path);
    size_t i, n = strlen(p);
    srr_rc rc = SRR_OK;
    for (i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == '\0') {
            char c = p[i];
            p[i] = '\0';
            if (mkdir(p, 0750) != 0 && errno != EEXIST) {
                rc = srr_error_set(err, SRR_EIO, "cannot create directory %s: %s", p,
                                   strerror(errno));
                break;
            }
            p[i] = c;
        }
    }
    free(p);
    return rc;
}

srr_rc srr_state_check_owner(const char *path, const char *what, srr_error *err)
{
    char *p;
    struct stat sb;
    srr_rc rc = SRR_OK;
    if (geteuid() != 0 || !path || !*path)
        return SRR_OK;
    p = srr_strdup(path);
    /* The path itself, else its nearest existing parent. */
    while (stat(p, &sb) != 0) {
        char *slash = strrchr(p, '/');
        if (!slash) {
            free(p);
            p = srr_strdup(".");
            if (stat(p, &sb) != 0)
                goto out;
            break;
        }
        if (slash == p)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    if (sb.st_uid != 0) {
        struct passwd *pw = getpwuid(sb.st_uid);
        char name[64];
        if (pw)
            snprintf(name, sizeof(name), "%s", pw->pw_name);
        else
            snprintf(name, sizeof(name), "%u", (unsigned)sb.st_uid);
        rc = srr_error_set(err, SRR_EAUTH,
                           "refusing to write %s (%s) as root: %s belongs to %s, and files "
                           "root creates there would lock %s out; run srr as %s: runuser -u "
                           "%s -- srr ...",
                           what, path, p, name, name, name, name);
    }
out:
    free(p);
    return rc;
}

int srr_secure_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    /* Compare over the longer length so timing does not reveal where the
     * strings differ; the length difference is folded into the result. */
    size_t i, n = alen > blen ? alen : blen;
    unsigned char diff = (unsigned char)(alen != blen);
    for (i = 0; i < n; i++) {
        unsigned char x = i < alen ? (unsigned char)a[i] : 0;
        unsigned char y = i < blen ? (unsigned char)b[i] : 0;
        diff |= (unsigned char)(x ^ y);
    }
    return diff == 0;
}
