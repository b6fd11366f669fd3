/* SPDX-License-Identifier: Apache-2.0
 *
 * spool_consumer.c - the one consumer of the local spool (the writer):
 * it reads what producers appended, segment after segment, returns
 * corrupt bytes once as a message with their reason and reads on at the
 * next good record, commits its position to consumer.offset and deletes
 * the segments wholly before it once their retention has passed. The
 * format and the rules it relies on are described at the top of spool.c;
 * the frame and files are spool_format.c.
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
#include "spool_internal.h"

#define SPOOL_WINDOW (2 * (SRR_SPOOL_MAX_BODY + SRR_SPOOL_HDR)) /* bytes read per poll */
#define SPOOL_CORRUPT_KEEP (64 * 1024)
#define SPOOL_POLL_SLEEP_MS 10

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
    int superseded;      /* a later segment existed when seg_fd was opened: this
                            one is complete, sealed or not (a crash may have
                            lost its seal) */
    int64_t pos;         /* next byte to read (after the last poll) */
    int64_t committed;   /* durable position */
    int64_t records;     /* records returned before pos since the counter started */
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
        if (memcmp(p, SRR_SPOOL_MAGIC, avail) == 0)
            return FRAME_INCOMPLETE;
        *why = "bad magic";
        return FRAME_CORRUPT;
    }
    if (memcmp(p, SRR_SPOOL_MAGIC, 4) != 0) {
        *why = "bad magic";
        return FRAME_CORRUPT;
    }
    if (avail < SRR_SPOOL_HDR)
        return FRAME_INCOMPLETE;
    body = srr_spool_get32(p + 4);
    klen = srr_spool_get32(p + 12);
    if (body > SRR_SPOOL_MAX_BODY || klen > body) {
        *why = "bad length";
        return FRAME_CORRUPT;
    }
    if (avail < SRR_SPOOL_HDR + (size_t)body)
        return FRAME_INCOMPLETE;
    if (srr_spool_record_crc(p, body) != srr_spool_get32(p + 8)) {
        *why = "CRC mismatch";
        return FRAME_CORRUPT;
    }
    *total = SRR_SPOOL_HDR + body;
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
        if (b[i] != SRR_SPOOL_MAGIC[0])
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
    srr_rc rc = srr_spool_segments(c->dir, &bases, &n, err);
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
    path = srr_spool_segment_path(c->dir, pick);
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

/* Opens the segment holding c->pos (moving on past complete ones) and
 * measures how much of it producers have written whole. Returns SRR_OK
 * with *size and *sealed set, or with *size = -1 when there is nothing to
 * read yet (caught up); the error otherwise. */
static srr_rc find_readable(spool_consumer *c, int64_t *size, int *sealed, srr_error *err)
{
    struct stat sb;
    int none;
    srr_rc rc;

    *size = -1;
    for (;;) {
        if (c->seg_fd < 0) {
            rc = open_segment(c, &none, err);
            if (rc != SRR_OK || none)
                return rc;
        }
        /* Everything up to this size was written whole: producers append
         * under the exclusive lock. */
        if (srr_spool_lock(c->lock_fd, LOCK_SH) != 0)
            return srr_error_set(err, SRR_RETRY, "spool: lock %s: %s", c->dir, strerror(errno));
        rc = fstat(c->seg_fd, &sb) == 0 ? SRR_OK : SRR_EIO;
        srr_spool_lock(c->lock_fd, LOCK_UN);
        if (rc != SRR_OK)
            return srr_error_set(err, rc, "spool: fstat in %s: %s", c->dir, strerror(errno));
        *sealed = srr_spool_is_sealed(&sb) || c->superseded;
        if (c->pos - c->seg_base < (int64_t)sb.st_size) {
            *size = (int64_t)sb.st_size;
            return SRR_OK;
        }
        if (!*sealed)
            return SRR_OK; /* caught up */
        /* End of a complete segment: move on to its successor, if it exists. */
        {
            int64_t next_base = c->seg_base + (int64_t)sb.st_size;
            char *next = srr_spool_segment_path(c->dir, next_base);
            int exists = access(next, F_OK) == 0;
            free(next);
            if (!exists)
                return SRR_OK;
            if (!srr_spool_is_sealed(&sb))
                srr_warn("spool: %s: segment %lld is followed by %lld but was not sealed (a "
                         "crash lost the seal); reading on",
                         c->dir, (long long)c->seg_base, (long long)next_base);
            c->pos = next_base;
            close_segment(c);
        }
    }
}

/* Turns the `want` bytes of c->buf, read at `rel` in the open segment
 * (`size` bytes visible, `sealed` or not), into at most max messages after
 * the *n already there. Returns how many bytes they took: a record that
 * continues past the window waits for the next poll, one cut short is
 * waited for or reported as corrupt (see the top of spool.c). */
static size_t frame_window(spool_consumer *c, size_t want, int64_t rel, int64_t size, int sealed,
                           size_t max, size_t *n)
{
    int at_end = rel + (int64_t)want == size;
    size_t off = 0;
    while (*n < max && off < want) {
        size_t total = 0, stop;
        const char *why = NULL;
        frame_state s = classify(c->buf + off, want - off, &total, &why);
        int64_t at = c->seg_base + rel + (int64_t)off;
        if (s == FRAME_OK) {
            srr_message m = {0};
            uint32_t klen = srr_spool_get32(c->buf + off + 12);
            m.key = (const char *)c->buf + off + SRR_SPOOL_HDR;
            m.keylen = klen;
            m.payload = m.key + klen;
            m.len = total - SRR_SPOOL_HDR - klen;
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
    return off;
}

/* Reads up to max messages at c->pos without waiting. */
static srr_rc read_batch(spool_consumer *c, size_t max, size_t *n, srr_error *err)
{
    int64_t rel, size;
    size_t want, off, i;
    ssize_t got;
    int sealed = 0;
    srr_rc rc;

    *n = 0;
    rc = find_readable(c, &size, &sealed, err);
    if (rc != SRR_OK || size < 0)
        return rc;
    rel = c->pos - c->seg_base;
    want = (size_t)(size - rel < SPOOL_WINDOW ? size - rel : SPOOL_WINDOW);
    if (!c->buf)
        c->buf = srr_malloc(SPOOL_WINDOW);
    do
        got = pread(c->seg_fd, c->buf, want, (off_t)rel);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return srr_error_set(err, SRR_EIO, "spool: read in %s: %s", c->dir, strerror(errno));
    off = frame_window(c, (size_t)got, rel, size, sealed, max, n);
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

srr_rc srr_spool_poll(void *impl, size_t max, int timeout_ms, const srr_message **msgs, size_t *n,
                      srr_error *err)
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
    if (srr_spool_segments(c->dir, &bases, &n, NULL) != SRR_OK)
        return;
    for (i = 0; i + 1 < n; i++) {
        char *path;
        struct stat sb;
        if (bases[i + 1] > c->committed)
            break;
        path = srr_spool_segment_path(c->dir, bases[i]);
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

srr_rc srr_spool_commit(void *impl, srr_error *err)
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
        rc = srr_spool_segments(c->dir, &bases, &n, err);
        if (rc == SRR_OK)
            c->committed = n > 0 ? bases[0] : 0;
        free(bases);
        return rc;
    }
    rc = srr_file_read(c->offset_path, 64, &text, &len, err);
    if (rc != SRR_OK)
        return rc;
    if (!srr_spool_parse_offset(text, &c->committed, &c->records))
        rc = srr_error_set(err, SRR_EINVAL, "spool: %s is not an offset", c->offset_path);
    free(text);
    return rc;
}

void srr_spool_consumer_close(void *impl)
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

srr_rc srr_spool_consumer_open(const srr_config *cfg, void **impl, srr_error *err)
{
    spool_consumer *c = srr_calloc(1, sizeof(*c));
    char *path = NULL;
    srr_rc rc;
    *impl = NULL;
    c->lock_fd = c->own_fd = c->seg_fd = -1;
    rc = srr_spool_dir_of(cfg, &c->dir, err);
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
    srr_spool_consumer_close(c);
    return rc;
}

void srr_spool_position(void *impl, const char **key, const srr_queue_pos **pos, size_t *n)
{
    spool_consumer *c = impl;
    c->here.partition = 0;
    c->here.offset = c->pos;
    c->here.records = c->records;
    *key = "spool";
    *pos = &c->here;
    *n = c->pos != c->committed;
}
