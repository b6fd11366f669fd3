/* SPDX-License-Identifier: Apache-2.0
 *
 * spool.c - the local durable spool: the embedded default queue backend
 * (queue_backend.h). A directory of append-only segment files that several
 * producer processes (sweep, webhook server) append to and one consumer
 * (the writer) drains. This file is the producer and the backend's table;
 * the consumer is spool_consumer.c, the rewind of `srr restore`
 * spool_rewind.c, and the frame and files all three use spool_format.c.
 *
 * Layout of the spool directory:
 *   00000000000000000000.seg  segments, named by the global byte offset of
 *                             their first byte (20 digits, so they sort);
 *   spool.lock                flock'ed exclusively by a producer while it
 *                             appends or rotates, shared by the consumer
 *                             while it measures how much is visible;
 *   consumer.lock             held exclusively by the one consumer;
 *   consumer.offset           committed global offset ("123\n"), replaced
 *                             atomically (srr_file_write_atomic) on commit.
 *
 * A record is framed as
 *   magic "\xF5SR1" | u32 body_len | u32 crc | u32 key_len | key | payload
 * (little-endian; body_len = key_len + payload length; crc = CRC-32 of the
 * body_len and key_len fields, the key and the payload, by zlib's crc32()).
 * 0xF5 never occurs in UTF-8, so the magic cannot appear inside a JSON
 * payload or a hex key: after corruption the consumer resynchronises on the
 * next magic whose record checks out.
 *
 * Producers frame records in memory and append them, whole records only,
 * with one write() under the lock at flush (or every SPOOL_WRITE_CHUNK), so
 * records of concurrent processes never interleave; srr_producer_flush()
 * is that write and one fdatasync for everything sent since the last flush
 * (group commit).
 * A segment that reached the size limit is sealed (mode 0440) and a new one
 * starts at base + size; sealing happens before the successor exists, so a
 * consumer that reaches the end of a sealed segment knows nothing more will
 * be appended to it. A segment that already had a successor when the
 * consumer opened it counts as sealed too (a crash may have lost the seal).
 *
 * The consumer may read records before their producer's fdatasync. After a
 * machine crash the active segment can therefore end before the committed
 * offset; the next producer to open it extends it to that offset first, so
 * new records never land where the consumer has already moved past.
 *
 * The consumer reads only what was visible under the shared lock, so it
 * never sees half of a write in progress. A record cut short at the end of
 * the active segment (a producer died mid-write) is waited for; once a
 * later valid record proves it will never complete, or the segment is
 * sealed, it is reported as corrupt. Corrupt bytes are returned once as a
 * message with corrupt_reason set (and at most 64 KiB of them as payload),
 * then reading continues at the next good record: the queue never blocks
 * and never drops silently. Commit writes the offset file and deletes the
 * segments wholly before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "queue_backend.h"
#include "spool_internal.h"
#define SPOOL_WRITE_CHUNK (1024 * 1024) /* pending bytes that trigger a write before flush */
#define SPOOL_SEGMENT_BYTES (64LL * 1024 * 1024)

/* ---- producer ----------------------------------------------------------- */

/* Producer state. seg_fd is the segment last appended to (-1 none);
 * dirty = bytes were written to it since the last fdatasync. */
typedef struct spool_producer {
    char *dir;
    int lock_fd;
    int seg_fd;
    int dirty;
    int64_t limit;   /* rotate at this segment size */
    srr_buf pending; /* framed records sent but not yet written */
    size_t lost;     /* records sent since the last flush that a failed write dropped */
    char lost_why[200];
} spool_producer;

static int64_t segment_limit(void)
{
    const char *s = getenv("SRR_SPOOL_SEGMENT_BYTES"); /* tests and tuning */
    char *end = NULL;
    long long v;
    if (!s || !*s)
        return SPOOL_SEGMENT_BYTES;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v < 64)
        return SPOOL_SEGMENT_BYTES;
    return v;
}

static srr_rc sync_segment(spool_producer *p, srr_error *err)
{
    if (p->dirty && p->seg_fd >= 0) {
        if (fdatasync(p->seg_fd) != 0)
            return srr_error_set(err, SRR_EIO, "spool: fdatasync in %s: %s", p->dir,
                                 strerror(errno));
        p->dirty = 0;
    }
    return SRR_OK;
}

/* With the lock held, on the active segment just opened (its first byte
 * at global offset base): the consumer reads what a producer wrote before
 * that producer's fdatasync, so after a machine crash the segment can end
 * before the consumer's committed offset. Records appended there would
 * fall in a gap the consumer never reads; the segment is first extended
 * to the committed offset (a hole that is never read), and the next flush
 * makes the new size durable with the records. */
static srr_rc cover_committed(spool_producer *p, int64_t base, srr_error *err)
{
    int64_t committed = srr_spool_committed_offset(p->dir);
    struct stat sb;
    if (committed < 0)
        return SRR_OK;
    if (fstat(p->seg_fd, &sb) != 0)
        return srr_error_set(err, SRR_EIO, "spool: fstat in %s: %s", p->dir, strerror(errno));
    if (base + (int64_t)sb.st_size >= committed)
        return SRR_OK;
    srr_warn("spool: %s ends at offset %lld, before the %lld its consumer committed (a crash "
             "lost the tail after it was read); new records start at %lld",
             p->dir, (long long)(base + (int64_t)sb.st_size), (long long)committed,
             (long long)committed);
    if (ftruncate(p->seg_fd, (off_t)(committed - base)) != 0)
        return srr_error_set(err, SRR_EIO, "spool: cannot extend a segment in %s: %s", p->dir,
                             strerror(errno));
    p->dirty = 1;
    return SRR_OK;
}

/* With the lock held: makes p->seg_fd the active segment, opening the
 * latest one or starting a new one when the latest is sealed or full. */
static srr_rc ensure_segment(spool_producer *p, srr_error *err)
{
    struct stat sb;
    int64_t *bases = NULL, base = 0;
    size_t n = 0;
    char *path = NULL;
    srr_rc rc;
    int fd;

    if (p->seg_fd >= 0 && fstat(p->seg_fd, &sb) == 0 && !srr_spool_is_sealed(&sb) &&
        sb.st_size < p->limit)
        return SRR_OK;
    rc = sync_segment(p, err); /* what we wrote to the old one stays durable */
    if (rc != SRR_OK)
        return rc;
    if (p->seg_fd >= 0) {
        close(p->seg_fd);
        p->seg_fd = -1;
    }
    rc = srr_spool_segments(p->dir, &bases, &n, err);
    if (rc != SRR_OK)
        return rc;
    if (n > 0) {
        base = bases[n - 1];
        path = srr_spool_segment_path(p->dir, base);
        if (stat(path, &sb) != 0) {
            rc = srr_error_set(err, SRR_EIO, "spool: cannot stat %s: %s", path, strerror(errno));
            goto out;
        }
        if (!srr_spool_is_sealed(&sb) && sb.st_size < p->limit) {
            fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
            if (fd < 0) {
                rc =
                    srr_error_set(err, SRR_EIO, "spool: cannot open %s: %s", path, strerror(errno));
                goto out;
            }
            p->seg_fd = fd;
            rc = cover_committed(p, base, err);
            goto out;
        }
        /* Rotate: seal the full segment first, then start its successor. */
        if (!srr_spool_is_sealed(&sb) && chmod(path, 0440) != 0) {
            rc = srr_error_set(err, SRR_EIO, "spool: cannot seal %s: %s", path, strerror(errno));
            goto out;
        }
        base += (int64_t)sb.st_size;
        free(path);
    }
    path = srr_spool_segment_path(p->dir, base);
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        rc = srr_error_set(err, SRR_EIO, "spool: cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    srr_spool_fsync_dir(p->dir);
    p->seg_fd = fd;
    rc = cover_committed(p, base, err);
out:
    free(path);
    free(bases);
    return rc;
}

static srr_rc spool_producer_open(const srr_config *cfg, void **impl, srr_error *err)
{
    spool_producer *p;
    char *lockpath;
    srr_rc rc;
    *impl = NULL;
    p = srr_calloc(1, sizeof(*p));
    p->lock_fd = p->seg_fd = -1;
    p->limit = segment_limit();
    srr_buf_init(&p->pending, 0);
    rc = srr_spool_dir_of(cfg, &p->dir, err);
    if (rc != SRR_OK)
        goto fail;
    lockpath = srr_asprintf("%s/spool.lock", p->dir);
    p->lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (p->lock_fd < 0)
        rc = srr_error_set(err, SRR_EIO, "spool: cannot open %s: %s", lockpath, strerror(errno));
    free(lockpath);
    if (rc != SRR_OK)
        goto fail;
    *impl = p;
    return SRR_OK;
fail:
    srr_buf_free(&p->pending);
    free(p->dir);
    free(p);
    return rc;
}

/* Appends all of buf at the end of fd; on a short write puts the file back
 * to `size` so no partial record stays behind. */
static srr_rc append_all(spool_producer *p, const char *buf, size_t n, off_t size, srr_error *err)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(p->seg_fd, buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            if (done > 0 && ftruncate(p->seg_fd, size) != 0)
                srr_warn("spool: cannot undo a partial write in %s: %s", p->dir, strerror(errno));
            return srr_error_set(err, e == ENOSPC ? SRR_RETRY : SRR_EIO, "spool: write in %s: %s",
                                 p->dir, strerror(e));
        }
        done += (size_t)w;
    }
    return SRR_OK;
}

/* Writes the pending records under the lock, whole records only, and
 * starts a new segment where the active one reached its size limit (so a
 * segment exceeds the limit by at most one record, as when records were
 * written one by one). On failure nothing of the unwritten records stays
 * behind (append_all truncates), they are dropped and counted in p->lost,
 * which the next flush reports. */
static srr_rc write_pending(spool_producer *p, srr_error *err)
{
    const char *buf = p->pending.data;
    size_t n = p->pending.len, done = 0;
    srr_rc rc = SRR_OK;

    if (n == 0)
        return SRR_OK;
    if (srr_spool_lock(p->lock_fd, LOCK_EX) != 0) {
        rc = srr_error_set(err, SRR_RETRY, "spool: cannot lock %s: %s", p->dir, strerror(errno));
        goto out;
    }
    while (done < n && rc == SRR_OK) {
        struct stat sb;
        size_t span = 0;
        rc = ensure_segment(p, err);
        if (rc == SRR_OK && fstat(p->seg_fd, &sb) != 0)
            rc = srr_error_set(err, SRR_EIO, "spool: fstat in %s: %s", p->dir, strerror(errno));
        if (rc != SRR_OK)
            break;
        /* Whole records while the segment is below its limit (at least one). */
        do {
            span += SRR_SPOOL_HDR + srr_spool_get32((const unsigned char *)buf + done + span + 4);
        } while (done + span < n && sb.st_size + (off_t)span < p->limit);
        rc = append_all(p, buf + done, span, sb.st_size, err);
        if (rc == SRR_OK) {
            p->dirty = 1;
            done += span;
        }
    }
    srr_spool_lock(p->lock_fd, LOCK_UN);
out:
    if (rc != SRR_OK) {
        size_t off, dropped = 0;
        for (off = done; off < n;
             off += SRR_SPOOL_HDR + srr_spool_get32((const unsigned char *)buf + off + 4))
            dropped++;
        p->lost += dropped;
        snprintf(p->lost_why, sizeof p->lost_why, "%.199s", err ? err->msg : srr_rc_str(rc));
    }
    p->pending.len = 0;
    return rc;
}

/* Frames the record into the pending buffer; the records reach the segment
 * with one write() at the next flush (or once SPOOL_WRITE_CHUNK is
 * pending), so a group commit of N alerts costs one lock, one write and
 * one fdatasync instead of N of each. */
static srr_rc spool_send(void *impl, const char *key, const char *payload, size_t len,
                         srr_error *err)
{
    spool_producer *p = impl;
    size_t klen = key ? strlen(key) : 0, at = p->pending.len;
    unsigned char h[SRR_SPOOL_HDR];

    if (klen + len > SRR_SPOOL_MAX_BODY)
        return srr_error_set(err, SRR_EINVAL, "spool: message of %zu bytes exceeds %d", klen + len,
                             SRR_SPOOL_MAX_BODY);
    memcpy(h, SRR_SPOOL_MAGIC, 4);
    srr_spool_put32(h + 4, (uint32_t)(klen + len));
    srr_spool_put32(h + 12, (uint32_t)klen);
    srr_buf_append(&p->pending, h, SRR_SPOOL_HDR);
    srr_buf_append(&p->pending, key ? key : "", klen);
    srr_buf_append(&p->pending, payload ? payload : "", len);
    srr_spool_put32((unsigned char *)p->pending.data + at + 8,
                    srr_spool_record_crc((const unsigned char *)p->pending.data + at, klen + len));
    if (p->pending.len >= SPOOL_WRITE_CHUNK)
        return write_pending(p, err);
    return SRR_OK;
}

/* Writes what is pending and makes it durable; fails when any record sent
 * since the last flush was dropped, so none of them counts as queued. */
static srr_rc spool_flush(void *impl, srr_error *err)
{
    spool_producer *p = impl;
    srr_rc rc = write_pending(p, err);
    if (rc == SRR_OK)
        rc = sync_segment(p, err);
    if (rc == SRR_OK && p->lost)
        rc = srr_error_set(err, SRR_EIO, "spool: %zu messages sent since the last flush were not "
                           "written: %s", p->lost, p->lost_why);
    p->lost = 0;
    return rc;
}

static void spool_producer_close(void *impl)
{
    spool_producer *p = impl;
    srr_error err = {0};
    if (!p)
        return;
    if (spool_flush(p, &err) != SRR_OK)
        srr_warn("%s", err.msg);
    if (p->seg_fd >= 0)
        close(p->seg_fd);
    if (p->lock_fd >= 0)
        close(p->lock_fd);
    srr_buf_free(&p->pending);
    free(p->dir);
    free(p);
}

const srr_queue_backend srr_spool_backend = {
    .name = "spool",
    .producer_open = spool_producer_open,
    .send = spool_send,
    .flush = spool_flush,
    .producer_close = spool_producer_close,
    .consumer_open = srr_spool_consumer_open,
    .poll = srr_spool_poll,
    .commit = srr_spool_commit,
    .consumer_close = srr_spool_consumer_close,
    .position = srr_spool_position,
    .rewind_open = srr_spool_rewind_open,
    .rewind_check = srr_spool_rewind_check,
    .rewind_apply = srr_spool_rewind_apply,
    .rewind_close = srr_spool_rewind_close,
};
