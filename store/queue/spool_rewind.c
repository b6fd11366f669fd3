/* SPDX-License-Identifier: Apache-2.0
 *
 * spool_rewind.c - moving the spool's read position back to where a
 * backup was taken (`srr restore`, queue.h "positions").
 *
 * The rewinder holds consumer.lock exclusively for its lifetime, as a
 * writer does, so it refuses while a writer consumes the spool and no
 * writer starts until it is done. The new position is written to
 * consumer.offset atomically, with the record count that goes with it.
 *
 * What is out of reach: the consumer deletes a segment once it has been
 * consumed and queue.spool_retention has passed since its last write. A
 * position before the oldest segment left points into deleted records;
 * their number is the consumer's record count now, less the backup's,
 * less the records still held between the oldest segment and the
 * consumer's position (all three are known when consumer.offset carries
 * its count).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "queue_backend.h"
#include "spool_internal.h"

typedef struct spool_rewinder {
    char *dir;
    int own_fd; /* consumer.lock, held exclusively */
    /* what the spool holds, read by check */
    int64_t oldest, end;            /* first and past-the-last byte held */
    int64_t committed, committed_n; /* consumer.offset (-1 count: unknown) */
    int have_offset;
} spool_rewinder;

srr_rc srr_spool_rewind_open(const srr_config *cfg, void **impl, const char **key, srr_error *err)
{
    spool_rewinder *r;
    char *path;
    srr_rc rc;
    *impl = NULL;
    *key = "spool";
    if (!cfg->queue.spool_dir || !*cfg->queue.spool_dir)
        return srr_error_set(err, SRR_EINVAL, "queue.spool_dir is not set");
    rc = srr_mkdirs(cfg->queue.spool_dir, err);
    if (rc != SRR_OK)
        return rc;
    r = srr_calloc(1, sizeof *r);
    r->dir = srr_strdup(cfg->queue.spool_dir);
    path = srr_asprintf("%s/consumer.lock", r->dir);
    r->own_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (r->own_fd < 0)
        rc = srr_error_set(err, SRR_EIO, "spool: cannot open %s: %s", path, strerror(errno));
    else if (flock(r->own_fd, LOCK_EX | LOCK_NB) != 0)
        rc = srr_error_set(err, SRR_ECONFLICT,
                           "a writer is consuming the spool %s (srr drain, or srr serve's "
                           "embedded writer): stop it first",
                           r->dir);
    free(path);
    if (rc != SRR_OK) {
        srr_spool_rewind_close(r);
        return rc;
    }
    *impl = r;
    return SRR_OK;
}

void srr_spool_rewind_close(void *impl)
{
    spool_rewinder *r = impl;
    if (!r)
        return;
    if (r->own_fd >= 0)
        close(r->own_fd);
    free(r->dir);
    free(r);
}

/* Counts the records that start in [from, to) by walking the frames of
 * the segments from their first byte. *exact = 0 when a frame could not
 * be read (corruption): the count is then what was walked. */
static long long count_records(const char *dir, int64_t from, int64_t to, int *exact)
{
    int64_t *bases = NULL;
    size_t n = 0, i;
    long long count = 0;
    *exact = 1;
    if (from >= to || srr_spool_segments(dir, &bases, &n, NULL) != SRR_OK)
        return 0;
    for (i = 0; i < n; i++) {
        char *path = srr_spool_segment_path(dir, bases[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat sb;
        int64_t off = 0, size;
        free(path);
        if (fd < 0 || fstat(fd, &sb) != 0) {
            if (fd >= 0)
                close(fd);
            *exact = 0;
            continue;
        }
        size = (int64_t)sb.st_size;
        if (bases[i] + size <= from || bases[i] >= to) {
            close(fd);
            continue;
        }
        while (off < size && bases[i] + off < to) {
            unsigned char h[16];
            size_t total = 0;
            ssize_t got = pread(fd, h, sizeof h, (off_t)off);
            if (got < (ssize_t)sizeof h || !srr_spool_frame(h, (size_t)got, &total)) {
                *exact = 0;
                break;
            }
            if (bases[i] + off >= from)
                count++;
            off += (int64_t)total;
        }
        close(fd);
    }
    free(bases);
    return count;
}

/* Reads what the spool holds now into r. */
static srr_rc survey(spool_rewinder *r, srr_error *err)
{
    int64_t *bases = NULL;
    size_t n = 0;
    char *path = srr_asprintf("%s/consumer.offset", r->dir), *text = NULL;
    srr_rc rc;
    r->have_offset = 0;
    r->committed = 0;
    r->committed_n = -1;
    if (srr_file_read(path, 64, &text, NULL, NULL) == SRR_OK)
        r->have_offset = srr_spool_parse_offset(text, &r->committed, &r->committed_n);
    free(text);
    free(path);
    rc = srr_spool_segments(r->dir, &bases, &n, err);
    if (rc != SRR_OK)
        return rc;
    if (n == 0) {
        r->oldest = r->end = r->have_offset ? r->committed : 0;
    } else {
        struct stat sb;
        char *last = srr_spool_segment_path(r->dir, bases[n - 1]);
        r->oldest = bases[0];
        r->end = bases[n - 1] + (stat(last, &sb) == 0 ? (int64_t)sb.st_size : 0);
        free(last);
    }
    if (!r->have_offset) { /* never committed: the consumer starts at the oldest */
        r->committed = r->oldest;
        r->committed_n = 0;
    }
    free(bases);
    return SRR_OK;
}

srr_rc srr_spool_rewind_check(void *impl, const srr_queue_pos *pos, size_t n, srr_rewind_plan *plan,
                              srr_error *err)
{
    spool_rewinder *r = impl;
    int64_t at = n > 0 ? pos[0].offset : 0, at_n = n > 0 ? pos[0].records : 0;
    int exact = 1, e2 = 1;
    srr_rc rc = survey(r, err);
    if (rc != SRR_OK)
        return rc;
    plan->out_of_reach = 0;
    plan->out_of_reach_bytes = 0;
    if (at < r->oldest) {
        plan->out_of_reach_bytes = r->oldest - at;
        plan->out_of_reach = -1;
        if (at_n >= 0 && r->committed_n >= 0 && r->committed >= r->oldest) {
            long long held = count_records(r->dir, r->oldest, r->committed, &exact);
            long long gone = (long long)(r->committed_n - at_n) - held;
            if (exact && gone > 0)
                plan->out_of_reach = gone;
        }
    }
    plan->replay = at > r->end ? 0 : count_records(r->dir, at, r->end, &e2);
    if (!e2)
        plan->replay = -1;
    if (at > r->end)
        snprintf(plan->detail, sizeof plan->detail,
                 "spool %s: the backup's position %lld is past the spool's end %lld (not the "
                 "spool the backup was taken with, or one cut short by a crash): nothing to "
                 "read again",
                 r->dir, (long long)at, (long long)r->end);
    else
        snprintf(plan->detail, sizeof plan->detail,
                 "spool %s: from offset %lld (the writer is at %lld; the spool holds %lld..%lld)",
                 r->dir, (long long)at, (long long)r->committed, (long long)r->oldest,
                 (long long)r->end);
    return SRR_OK;
}

srr_rc srr_spool_rewind_apply(void *impl, const srr_queue_pos *pos, size_t n, srr_error *err)
{
    spool_rewinder *r = impl;
    srr_rewind_plan plan;
    int64_t at = n > 0 ? pos[0].offset : 0,
            at_n = n > 0 && pos[0].records >= 0 ? pos[0].records : 0;
    char text[48], *path;
    int len;
    srr_rc rc;
    memset(&plan, 0, sizeof plan);
    rc = srr_spool_rewind_check(impl, pos, n, &plan, err);
    if (rc != SRR_OK)
        return rc;
    if (at < r->oldest) { /* what is gone is gone: resume at the oldest record held */
        at_n += plan.out_of_reach > 0 ? plan.out_of_reach : 0;
        at = r->oldest;
    }
    len = snprintf(text, sizeof text, "%lld %lld\n", (long long)at, (long long)at_n);
    path = srr_asprintf("%s/consumer.offset", r->dir);
    rc = srr_file_write_atomic(path, text, (size_t)len, err);
    free(path);
    if (rc == SRR_OK)
        srr_info("spool %s: read position moved back to %lld (was %lld)", r->dir, (long long)at,
                 (long long)r->committed);
    return rc;
}
