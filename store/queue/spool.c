/* SPDX-License-Identifier: Apache-2.0
 *
 * spool.c - the local durable spool: the embedded default queue backend
 * (queue_backend.h). A directory of append-only segment files that several
 * producer processes (sweep, webhook server) append to and one consumer
 * (the writer) drains.
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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "queue_backend.h"
#include "spool_internal.h"

#define SPOOL_HDR 16
#define SPOOL_MAX_BODY (1024 * 1024)                    /* key + payload */
#define SPOOL_WINDOW (2 * (SPOOL_MAX_BODY + SPOOL_HDR)) /* bytes read per poll */
#define SPOOL_WRITE_CHUNK (1024 * 1024) /* pending bytes that trigger a write before flush */
#define SPOOL_SEGMENT_BYTES (64LL * 1024 * 1024)
#define SPOOL_CORRUPT_KEEP (64 * 1024)
#define SPOOL_POLL_SLEEP_MS 10

static const unsigned char MAGIC[4] = {0xF5, 'S', 'R', '1'};

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* CRC-32 (zlib's, the IEEE polynomial of gzip and PNG) of a record whose
 * header starts at h, the body following the header: the body_len and
 * key_len fields, then the key and payload. crc32() continues a running
 * value, so the three pieces give the CRC of their concatenation - the
 * value srr has written since the spool's first version. */
static uint32_t record_crc(const unsigned char *h, size_t body_len)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, h + 4, 4);  /* body_len */
    crc = crc32(crc, h + 12, 4); /* key_len */
    crc = crc32_z(crc, h + SPOOL_HDR, body_len);
    return (uint32_t)crc;
}

static char *segment_path(const char *dir, int64_t base)
{
    return srr_asprintf("%s/%020lld.seg", dir, (long long)base);
}

/* Lists the segment bases in `dir`, ascending. Caller frees *out. */
static srr_rc list_segments(const char *dir, int64_t **out, size_t *n, srr_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int64_t *v = NULL;
    size_t cap = 0, i, j;
    *out = NULL;
    *n = 0;
    if (!d)
        return srr_error_set(err, SRR_EIO, "spool: cannot read %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        long long base = 0;
        if (strlen(name) != 24 || strcmp(name + 20, ".seg") != 0)
            continue;
        for (i = 0; i < 20 && name[i] >= '0' && name[i] <= '9'; i++)
            base = base * 10 + (name[i] - '0');
        if (i != 20)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            v = srr_realloc(v, cap * sizeof(*v));
        }
        v[(*n)++] = base;
    }
    closedir(d);
    for (i = 1; i < *n; i++) /* few files: insertion sort */
        for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
            int64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    *out = v;
    return SRR_OK;
}

static int lock_fd(int fd, int op)
{
    int r;
    do
        r = flock(fd, op);
    while (r != 0 && errno == EINTR);
    return r;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int is_sealed(const struct stat *sb)
{
    return (sb->st_mode & 0222) == 0;
}

static srr_rc spool_dir_of(const srr_config *cfg, char **out, srr_error *err)
{
    const char *dir = cfg ? cfg->queue.spool_dir : NULL;
    srr_rc rc;
    if (!dir || !*dir)
        return srr_error_set(err, SRR_EINVAL, "queue.spool_dir is not set");
    /* Producers and the consumer create segments and offset files: as root,
     * not in a spool that belongs to the service user. */
    rc = srr_state_check_owner(dir, "the spool", err);
    if (rc == SRR_OK)
        rc = srr_mkdirs(dir, err);
    if (rc != SRR_OK)
        return rc;
    *out = srr_strdup(dir);
    return SRR_OK;
}

/* Parses the text of consumer.offset: "OFFSET RECORDS\n" (RECORDS: how
 * many records were consumed before OFFSET since the counter started), or
 * "OFFSET\n" as written before the count existed (*records = -1 then).
 * Returns 0 when it is neither. records may be NULL. */
static int parse_offset2(const char *text, int64_t *out, int64_t *records)
{
    char *end = NULL;
    long long v, r = -1;
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno || end == text || v < 0)
        return 0;
    if (*end == ' ') {
        const char *at = end + 1;
        r = strtoll(at, &end, 10);
        if (errno || end == at || r < 0)
            return 0;
    }
    if (*end && *end != '\n')
        return 0;
    *out = v;
    if (records)
        *records = r;
    return 1;
}

static int parse_offset(const char *text, int64_t *out)
{
    return parse_offset2(text, out, NULL);
}

/* The consumer's committed global offset, or -1 when none is recorded or
 * it cannot be read (the consumer reports that itself when it opens). */
static int64_t committed_offset(const char *dir)
{
    char *path = srr_asprintf("%s/consumer.offset", dir), *text = NULL;
    size_t len = 0;
    int64_t v = -1;
    if (srr_file_read(path, 64, &text, &len, NULL) == SRR_OK && !parse_offset(text, &v))
        v = -1;
    free(text);
    free(path);
    return v;
}

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
    int64_t committed = committed_offset(p->dir);
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

    if (p->seg_fd >= 0 && fstat(p->seg_fd, &sb) == 0 && !is_sealed(&sb) && sb.st_size < p->limit)
        return SRR_OK;
    rc = sync_segment(p, err); /* what we wrote to the old one stays durable */
    if (rc != SRR_OK)
        return rc;
    if (p->seg_fd >= 0) {
        close(p->seg_fd);
        p->seg_fd = -1;
    }
    rc = list_segments(p->dir, &bases, &n, err);
    if (rc != SRR_OK)
        return rc;
    if (n > 0) {
        base = bases[n - 1];
        path = segment_path(p->dir, base);
        if (stat(path, &sb) != 0) {
            rc = srr_error_set(err, SRR_EIO, "spool: cannot stat %s: %s", path, strerror(errno));
            goto out;
        }
        if (!is_sealed(&sb) && sb.st_size < p->limit) {
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
        if (!is_sealed(&sb) && chmod(path, 0440) != 0) {
            rc = srr_error_set(err, SRR_EIO, "spool: cannot seal %s: %s", path, strerror(errno));
            goto out;
        }
        base += (int64_t)sb.st_size;
        free(path);
    }
    path = segment_path(p->dir, base);
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        rc = srr_error_set(err, SRR_EIO, "spool: cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    fsync_dir(p->dir);
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
    rc = spool_dir_of(cfg, &p->dir, err);
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
    if (lock_fd(p->lock_fd, LOCK_EX) != 0) {
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
            span += SPOOL_HDR + get32((const unsigned char *)buf + done + span + 4);
        } while (done + span < n && sb.st_size + (off_t)span < p->limit);
        rc = append_all(p, buf + done, span, sb.st_size, err);
        if (rc == SRR_OK) {
            p->dirty = 1;
            done += span;
        }
    }
    lock_fd(p->lock_fd, LOCK_UN);
out:
    if (rc != SRR_OK) {
        size_t off, dropped = 0;
        for (off = done; off < n; off += SPOOL_HDR + get32((const unsigned char *)buf + off + 4))
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
    unsigned char h[SPOOL_HDR];

    if (klen + len > SPOOL_MAX_BODY)
        return srr_error_set(err, SRR_EINVAL, "spool: message of %zu bytes exceeds %d", klen + len,
                             SPOOL_MAX_BODY);
    memcpy(h, MAGIC, 4);
    put32(h + 4, (uint32_t)(klen + len));
    put32(h + 12, (uint32_t)klen);
    srr_buf_append(&p->pending, h, SPOOL_HDR);
    srr_buf_append(&p->pending, key ? key : "", klen);
    srr_buf_append(&p->pending, payload ? payload : "", len);
    put32((unsigned char *)p->pending.data + at + 8,
          record_crc((const unsigned char *)p->pending.data + at, klen + len));
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

/* ---- consumer ----------------------------------------------------------- */

/* Consumer state. Invariant: seg_base <= pos <= seg_base + size of the
 * open segment; committed <= pos. Messages and their corrupt reasons point
 * into buf / reasons until the next poll. */
typedef struct spool_consumer {
    char *dir;
    char *offset_path;
    int lock_fd; /* spool.lock, shared while measuring */
    int own_fd;  /* consumer.lock, exclusive for our lifetime */
    int seg_fd;  /* segment holding pos, -1 when not open */
    int64_t seg_base;
    int superseded;    /* a later segment existed when seg_fd was opened: this
                          one is complete, sealed or not (a crash may have
                          lost its seal) */
    int64_t pos;       /* next byte to read (after the last poll) */
    int64_t committed; /* durable position */
    int64_t records;   /* records returned before pos since the counter started */
    int64_t retention_s; /* consumed segments are kept this long after their last write */
    srr_queue_pos here;  /* srr_consumer_position: {0, pos, records} of the last poll */
    unsigned char *buf;
    srr_message *msgs;
    char (*reasons)[192];
    size_t cap;
} spool_consumer;

typedef enum { FRAME_OK, FRAME_INCOMPLETE, FRAME_CORRUPT } frame_state;

/* Classifies the bytes at p (avail of them): a complete valid record
 * (*total = its size), a record that continues past avail, or corrupt
 * (*why = static reason). */
static frame_state classify(const unsigned char *p, size_t avail, size_t *total, const char **why)
{
    uint32_t body, klen;
    if (avail < 4) {
        if (memcmp(p, MAGIC, avail) == 0)
            return FRAME_INCOMPLETE;
        *why = "bad magic";
        return FRAME_CORRUPT;
    }
    if (memcmp(p, MAGIC, 4) != 0) {
        *why = "bad magic";
        return FRAME_CORRUPT;
    }
    if (avail < SPOOL_HDR)
        return FRAME_INCOMPLETE;
    body = get32(p + 4);
    klen = get32(p + 12);
    if (body > SPOOL_MAX_BODY || klen > body) {
        *why = "bad length";
        return FRAME_CORRUPT;
    }
    if (avail < SPOOL_HDR + (size_t)body)
        return FRAME_INCOMPLETE;
    if (record_crc(p, body) != get32(p + 8)) {
        *why = "CRC mismatch";
        return FRAME_CORRUPT;
    }
    *total = SPOOL_HDR + body;
    return FRAME_OK;
}

/* First position after `from` (< end) where a record starts: a valid one,
 * or (when `tail_ok`) one cut short by the end of the data. Returns end if
 * none. */
static size_t resync(const unsigned char *b, size_t from, size_t end, int tail_ok)
{
    size_t i, total;
    const char *why;
    for (i = from; i < end; i++) {
        frame_state s;
        if (b[i] != MAGIC[0])
            continue;
        s = classify(b + i, end - i, &total, &why);
        if (s == FRAME_OK || (s == FRAME_INCOMPLETE && tail_ok))
            return i;
    }
    return end;
}

static void close_segment(spool_consumer *c)
{
    if (c->seg_fd >= 0)
        close(c->seg_fd);
    c->seg_fd = -1;
}

/* Opens the segment holding c->pos. *none = 1 when there is nothing to
 * read yet (no segment, or the successor of a sealed one not created). */
static srr_rc open_segment(spool_consumer *c, int *none, srr_error *err)
{
    int64_t *bases = NULL;
    size_t n = 0, i;
    char *path;
    srr_rc rc = list_segments(c->dir, &bases, &n, err);
    int64_t pick = -1;
    *none = 0;
    if (rc != SRR_OK)
        return rc;
    for (i = 0; i < n; i++)
        if (bases[i] <= c->pos)
            pick = bases[i];
    if (pick < 0 && n > 0) {
        srr_warn("spool: %s: position %lld is before the oldest segment %lld; resuming there",
                 c->dir, (long long)c->pos, (long long)bases[0]);
        pick = bases[0];
        c->pos = pick;
    }
    c->superseded = n > 0 && bases[n - 1] > pick;
    free(bases);
    if (pick < 0) {
        *none = 1;
        return SRR_OK;
    }
    path = segment_path(c->dir, pick);
    c->seg_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (c->seg_fd < 0)
        rc = srr_error_set(err, SRR_EIO, "spool: cannot open %s: %s", path, strerror(errno));
    else
        c->seg_base = pick;
    free(path);
    return rc;
}

static void add_message(spool_consumer *c, size_t *n, const srr_message *m)
{
    if (*n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->msgs = srr_realloc(c->msgs, c->cap * sizeof(*c->msgs));
        c->reasons = srr_realloc(c->reasons, c->cap * sizeof(*c->reasons));
    }
    c->msgs[*n] = *m;
    (*n)++;
}

static void add_corrupt(spool_consumer *c, size_t *n, const unsigned char *p, size_t len,
                        int64_t offset, const char *why)
{
    srr_message m = {0};
    m.payload = (const char *)p;
    m.len = len > SPOOL_CORRUPT_KEEP ? SPOOL_CORRUPT_KEEP : len;
    m.offset = offset;
    add_message(c, n, &m);
    snprintf(c->reasons[*n - 1], sizeof(c->reasons[0]),
             "corrupt spool record at offset %lld (%s): %s; %zu bytes skipped", (long long)offset,
             c->dir, why, len);
    /* corrupt_reason is set in read_batch once the arrays stop moving. */
}

/* Reads up to max messages at c->pos without waiting. */
static srr_rc read_batch(spool_consumer *c, size_t max, size_t *n, srr_error *err)
{
    struct stat sb;
    int64_t rel, size;
    size_t want, off = 0, i;
    ssize_t got;
    int sealed, none;
    srr_rc rc;

    *n = 0;
    for (;;) {
        if (c->seg_fd < 0) {
            rc = open_segment(c, &none, err);
            if (rc != SRR_OK || none)
                return rc;
        }
        /* Everything up to this size was written whole: producers append
         * under the exclusive lock. */
        if (lock_fd(c->lock_fd, LOCK_SH) != 0)
            return srr_error_set(err, SRR_RETRY, "spool: lock %s: %s", c->dir, strerror(errno));
        rc = fstat(c->seg_fd, &sb) == 0 ? SRR_OK : SRR_EIO;
        lock_fd(c->lock_fd, LOCK_UN);
        if (rc != SRR_OK)
            return srr_error_set(err, rc, "spool: fstat in %s: %s", c->dir, strerror(errno));
        size = (int64_t)sb.st_size;
        sealed = is_sealed(&sb) || c->superseded;
        rel = c->pos - c->seg_base;
        if (rel < size)
            break;
        if (!sealed)
            return SRR_OK; /* caught up */
        /* End of a complete segment: move on to its successor, if it exists. */
        {
            char *next = segment_path(c->dir, c->seg_base + size);
            int exists = access(next, F_OK) == 0;
            free(next);
            if (!exists)
                return SRR_OK;
            if (!is_sealed(&sb))
                srr_warn("spool: %s: segment %lld is followed by %lld but was not sealed (a "
                         "crash lost the seal); reading on", c->dir, (long long)c->seg_base,
                         (long long)(c->seg_base + size));
            c->pos = c->seg_base + size;
            close_segment(c);
        }
    }

    want = (size_t)(size - rel < SPOOL_WINDOW ? size - rel : SPOOL_WINDOW);
    if (!c->buf)
        c->buf = srr_malloc(SPOOL_WINDOW);
    do
        got = pread(c->seg_fd, c->buf, want, (off_t)rel);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return srr_error_set(err, SRR_EIO, "spool: read in %s: %s", c->dir, strerror(errno));
    want = (size_t)got;
    {
        int at_end = rel + (int64_t)want == size;
        while (*n < max && off < want) {
            size_t total = 0, stop;
            const char *why = NULL;
            frame_state s = classify(c->buf + off, want - off, &total, &why);
            int64_t at = c->seg_base + rel + (int64_t)off;
            if (s == FRAME_OK) {
                srr_message m = {0};
                uint32_t klen = get32(c->buf + off + 12);
                m.key = (const char *)c->buf + off + SPOOL_HDR;
                m.keylen = klen;
                m.payload = m.key + klen;
                m.len = total - SPOOL_HDR - klen;
                m.offset = at;
                add_message(c, n, &m);
                off += total;
                continue;
            }
            if (s == FRAME_INCOMPLETE) {
                if (!at_end)
                    break; /* next poll reads a window starting here */
                if (!sealed) {
                    /* A cut-short tail is waited for, unless a later valid
                     * record shows it can never complete. */
                    stop = resync(c->buf, off + 1, want, 0);
                    if (stop == want)
                        break;
                    why = "record cut short (a producer died mid-write)";
                } else {
                    stop = want;
                    why = "record cut short at the end of a sealed segment";
                }
            } else {
                stop = resync(c->buf, off + 1, want, at_end && !sealed);
            }
            add_corrupt(c, n, c->buf + off, stop - off, at, why);
            srr_warn("%s", c->reasons[*n - 1]);
            off = stop;
        }
    }
    c->pos += (int64_t)off;
    /* add_message may have moved `reasons`: point at them only now. Good
     * records always have a key pointer (into buf), corrupt ones never. */
    for (i = 0; i < *n; i++)
        c->msgs[i].corrupt_reason = c->msgs[i].key ? NULL : c->reasons[i];
    return SRR_OK;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static srr_rc spool_poll(void *impl, size_t max, int timeout_ms, const srr_message **msgs,
                         size_t *n, srr_error *err)
{
    spool_consumer *c = impl;
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    srr_rc rc;
    *msgs = NULL;
    *n = 0;
    if (max == 0)
        return SRR_OK;
    for (;;) {
        int64_t left;
        rc = read_batch(c, max, n, err);
        c->records += (int64_t)*n;
        if (rc != SRR_OK || *n > 0)
            break;
        left = deadline - now_ms();
        if (left <= 0)
            break;
        {
            struct timespec ts = {0, (left < SPOOL_POLL_SLEEP_MS ? left : SPOOL_POLL_SLEEP_MS) *
                                         1000000L};
            nanosleep(&ts, NULL);
        }
    }
    *msgs = c->msgs;
    return rc;
}

/* Deletes the segments that lie wholly before the committed offset. Each
 * has a successor, so no producer appends to it any more, sealed or not
 * (a crash may have lost its seal). */
static void delete_consumed(spool_consumer *c)
{
    int64_t *bases = NULL;
    size_t n = 0, i;
    if (list_segments(c->dir, &bases, &n, NULL) != SRR_OK)
        return;
    for (i = 0; i + 1 < n; i++) {
        char *path;
        struct stat sb;
        if (bases[i + 1] > c->committed)
            break;
        path = segment_path(c->dir, bases[i]);
        /* kept for queue.spool_retention after its last write, so a
         * restore of a recent backup can read it again */
        if (c->retention_s > 0 && stat(path, &sb) == 0 &&
            (int64_t)sb.st_mtime + c->retention_s > (int64_t)time(NULL)) {
            free(path);
            break;
        }
        if (unlink(path) != 0 && errno != ENOENT)
            srr_warn("spool: cannot delete %s: %s", path, strerror(errno));
        free(path);
    }
    free(bases);
}

static srr_rc spool_commit(void *impl, srr_error *err)
{
    spool_consumer *c = impl;
    char text[48];
    int len;
    srr_rc rc;
    if (c->pos == c->committed)
        return SRR_OK;
    len = snprintf(text, sizeof(text), "%lld %lld\n", (long long)c->pos, (long long)c->records);
    rc = srr_file_write_atomic(c->offset_path, text, (size_t)len, err);
    if (rc != SRR_OK)
        return rc;
    c->committed = c->pos;
    delete_consumed(c);
    return SRR_OK;
}

static srr_rc read_offset(spool_consumer *c, srr_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int64_t *bases = NULL;
    size_t n = 0;
    srr_rc rc;
    if (access(c->offset_path, F_OK) != 0) {
        /* Never committed: start at the oldest segment. */
        rc = list_segments(c->dir, &bases, &n, err);
        if (rc == SRR_OK)
            c->committed = n > 0 ? bases[0] : 0;
        free(bases);
        return rc;
    }
    rc = srr_file_read(c->offset_path, 64, &text, &len, err);
    if (rc != SRR_OK)
        return rc;
    if (!parse_offset2(text, &c->committed, &c->records))
        rc = srr_error_set(err, SRR_EINVAL, "spool: %s is not an offset", c->offset_path);
    free(text);
    return rc;
}

static void spool_consumer_close(void *impl)
{
    spool_consumer *c = impl;
    if (!c)
        return;
    close_segment(c);
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    if (c->own_fd >= 0)
        close(c->own_fd);
    free(c->buf);
    free(c->msgs);
    free(c->reasons);
    free(c->offset_path);
    free(c->dir);
    free(c);
}

static srr_rc spool_consumer_open(const srr_config *cfg, void **impl, srr_error *err)
{
    spool_consumer *c = srr_calloc(1, sizeof(*c));
    char *path = NULL;
    srr_rc rc;
    *impl = NULL;
    c->lock_fd = c->own_fd = c->seg_fd = -1;
    rc = spool_dir_of(cfg, &c->dir, err);
    if (rc != SRR_OK)
        goto fail;
    path = srr_asprintf("%s/spool.lock", c->dir);
    c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (c->lock_fd < 0) {
        rc = srr_error_set(err, SRR_EIO, "spool: cannot open %s: %s", path, strerror(errno));
        goto fail;
    }
    free(path);
    path = srr_asprintf("%s/consumer.lock", c->dir);
    c->own_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (c->own_fd < 0) {
        rc = srr_error_set(err, SRR_EIO, "spool: cannot open %s: %s", path, strerror(errno));
        goto fail;
    }
    if (flock(c->own_fd, LOCK_EX | LOCK_NB) != 0) {
        rc = srr_error_set(err, SRR_ECONFLICT, "spool: another writer is already consuming %s",
                           c->dir);
        goto fail;
    }
    c->offset_path = srr_asprintf("%s/consumer.offset", c->dir);
    rc = read_offset(c, err);
    if (rc != SRR_OK)
        goto fail;
    if (c->records < 0) /* an offset file from before the count: it starts now */
        c->records = 0;
    c->pos = c->committed;
    c->retention_s = cfg->queue.spool_retention_s;
    free(path);
    *impl = c;
    return SRR_OK;
fail:
    free(path);
    spool_consumer_close(c);
    return rc;
}

static void spool_position(void *impl, const char **key, const srr_queue_pos **pos, size_t *n)
{
    spool_consumer *c = impl;
    c->here.partition = 0;
    c->here.offset = c->pos;
    c->here.records = c->records;
    *key = "spool";
    *pos = &c->here;
    *n = c->pos != c->committed;
}

/* ---- for spool_rewind.c (spool_internal.h) ------------------------------ */

srr_rc srr_spool_segments(const char *dir, int64_t **out, size_t *n, srr_error *err)
{
    return list_segments(dir, out, n, err);
}

char *srr_spool_segment_path(const char *dir, int64_t base)
{
    return segment_path(dir, base);
}

int srr_spool_parse_offset(const char *text, int64_t *offset, int64_t *records)
{
    return parse_offset2(text, offset, records);
}

int srr_spool_frame(const unsigned char *h, size_t avail, size_t *total)
{
    uint32_t body;
    if (avail < SPOOL_HDR || memcmp(h, MAGIC, 4) != 0)
        return 0;
    body = get32(h + 4);
    if (body > SPOOL_MAX_BODY || get32(h + 12) > body)
        return 0;
    *total = SPOOL_HDR + body;
    return 1;
}

const srr_queue_backend srr_spool_backend = {
    .name = "spool",
    .producer_open = spool_producer_open,
    .send = spool_send,
    .flush = spool_flush,
    .producer_close = spool_producer_close,
    .consumer_open = spool_consumer_open,
    .poll = spool_poll,
    .commit = spool_commit,
    .consumer_close = spool_consumer_close,
    .position = spool_position,
    .rewind_open = srr_spool_rewind_open,
    .rewind_check = srr_spool_rewind_check,
    .rewind_apply = srr_spool_rewind_apply,
    .rewind_close = srr_spool_rewind_close,
};
