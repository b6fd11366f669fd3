/* SPDX-License-Identifier: Apache-2.0
 *
 * test_spool.c - unit tests of the local durable spool (queue.h, backend
 * "spool"): round trip, restart at the committed offset, redelivery of an
 * uncommitted batch, a cut-short tail record, corrupt bytes in the middle,
 * segment rotation and deletion, two producer processes at once, a batch
 * written at one flush across segments, a failed write that must fail
 * the flush and leave no partial record, and crash leftovers: a tail lost
 * after the consumer committed past it, a lost seal, and 40 random crash
 * points past the last sync; and a segment written before the CRC came
 * from zlib.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "queue.h"
#include "store_fixtures.h"
#include "testutil.h"

static char *g_dir;
static srr_config *g_cfg;

static void setup(void)
{
    g_dir = tu_mkdtemp();
    g_cfg = sf_config(g_dir);
}

static void teardown(void)
{
    sf_config_free(g_cfg);
    tu_rmdir_r(g_dir);
    free(g_dir);
}

TestSuite(spool, .init = setup, .fini = teardown);

static void produce(const srr_config *cfg, const char *key, int from, int to)
{
    srr_producer *p = NULL;
    srr_error err = {0};
    int i;
    cr_assert_eq(srr_producer_open(cfg, &p, &err), SRR_OK, "%s", err.msg);
    for (i = from; i < to; i++) {
        char payload[64];
        int n = snprintf(payload, sizeof(payload), "{\"n\":%d}", i);
        cr_assert_eq(srr_producer_send(p, key, payload, (size_t)n, &err), SRR_OK, "%s", err.msg);
    }
    cr_assert_eq(srr_producer_flush(p, &err), SRR_OK, "%s", err.msg);
    srr_producer_close(&p);
    cr_assert_null(p);
}

static srr_consumer *consumer(void)
{
    srr_consumer *c = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_consumer_open(g_cfg, &c, &err), SRR_OK, "%s", err.msg);
    return c;
}

static size_t poll_n(srr_consumer *c, size_t max, const srr_message **m)
{
    size_t n = 0;
    srr_error err = {0};
    cr_assert_eq(srr_consumer_poll(c, max, 0, m, &n, &err), SRR_OK, "%s", err.msg);
    return n;
}

static void expect_payload(const srr_message *m, int n)
{
    char want[64];
    snprintf(want, sizeof(want), "{\"n\":%d}", n);
    cr_assert_null(m->corrupt_reason, "unexpected corrupt: %s", m->corrupt_reason);
    cr_assert_eq(m->len, strlen(want));
    cr_assert(memcmp(m->payload, want, m->len) == 0, "got %.*s want %s", (int)m->len, m->payload,
              want);
}

static char *seg0(const char *dir)
{
    return srr_asprintf("%s/00000000000000000000.seg", dir);
}

static size_t count_segments(void)
{
    DIR *d = opendir(g_dir);
    struct dirent *e;
    size_t n = 0;
    cr_assert_not_null(d);
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".seg"))
            n++;
    closedir(d);
    return n;
}

Test(spool, send_flush_poll_commit)
{
    srr_consumer *c;
    const srr_message *m;
    srr_error err = {0};
    size_t n;
    produce(g_cfg, "fp-a", 0, 3);
    c = consumer();
    n = poll_n(c, 10, &m);
    cr_assert_eq(n, 3);
    cr_assert_eq(m[0].keylen, 4);
    cr_assert(memcmp(m[0].key, "fp-a", 4) == 0);
    cr_assert_eq(m[0].offset, 0);
    cr_assert_eq(m[0].partition, 0);
    expect_payload(&m[0], 0);
    expect_payload(&m[2], 2);
    cr_assert_gt(m[1].offset, m[0].offset);
    cr_assert_eq(srr_consumer_commit(c, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(poll_n(c, 10, &m), 0);
    srr_consumer_close(&c);
    cr_assert_null(c);
}

/* tests/fixtures/spool-v1 holds a segment written by srr's own CRC-32 code
 * before the spool used zlib's crc32(): three records (a 1-byte key, a hex
 * key with UTF-8 in the payload, a 3000-byte payload). They read back whole,
 * none reported corrupt, and records appended now follow them. */
Test(spool, segments_written_before_zlib_still_read)
{
    const char *fixture = SRR_SOURCE_DIR "/tests/fixtures/spool-v1/00000000000000000000.seg";
    char *bytes = NULL, *dst;
    size_t len = 0, n;
    srr_error err = {0};
    const srr_message *m;
    srr_consumer *c;
    cr_assert_eq(srr_file_read(fixture, 0, &bytes, &len, &err), SRR_OK, "%s", err.msg);
    dst = srr_asprintf("%s/00000000000000000000.seg", g_dir);
    cr_assert_eq(srr_file_write_atomic(dst, bytes, len, &err), SRR_OK, "%s", err.msg);
    free(dst);
    free(bytes);
    produce(g_cfg, "fp-new", 0, 1); /* appended after the old records */
    c = consumer();
    n = poll_n(c, 10, &m);
    cr_assert_eq(n, 4);
    for (size_t i = 0; i < n; i++)
        cr_assert_null(m[i].corrupt_reason, "record %zu: %s", i, m[i].corrupt_reason);
    cr_assert_eq(m[0].keylen, 1);
    cr_assert(m[0].len == 7 && memcmp(m[0].payload, "{\"n\":1}", 7) == 0);
    cr_assert_eq(m[1].keylen, 64);
    cr_assert(memcmp(m[1].key, "9b9b4bc7", 8) == 0);
    cr_assert(m[1].len > 7 && memcmp(m[1].payload + m[1].len - 7, "\xc3\xa9t\xc3\xa9\"}", 7) == 0);
    cr_assert_eq(m[2].len, 3000);
    cr_assert(memcmp(m[2].payload + 100, "\xe2\x9c\x93", 3) == 0);
    cr_assert_eq(m[3].offset, (int64_t)len);
    expect_payload(&m[3], 0);
    srr_consumer_close(&c);
}

Test(spool, poll_waits_up_to_timeout)
{
    srr_consumer *c = consumer();
    const srr_message *m;
    srr_error err = {0};
    size_t n = 1;
    cr_assert_eq(srr_consumer_poll(c, 10, 50, &m, &n, &err), SRR_OK);
    cr_assert_eq(n, 0);
    srr_consumer_close(&c);
}

Test(spool, restart_resumes_and_redelivers_uncommitted)
{
    srr_consumer *c;
    const srr_message *m;
    srr_error err = {0};
    produce(g_cfg, "k", 0, 5);
    c = consumer();
    cr_assert_eq(poll_n(c, 2, &m), 2);
    expect_payload(&m[1], 1);
    cr_assert_eq(srr_consumer_commit(c, &err), SRR_OK);
    cr_assert_eq(poll_n(c, 2, &m), 2); /* 2 and 3, not committed */
    expect_payload(&m[0], 2);
    srr_consumer_close(&c);

    c = consumer();
    cr_assert_eq(poll_n(c, 10, &m), 3);
    expect_payload(&m[0], 2);
    expect_payload(&m[2], 4);
    cr_assert_eq(srr_consumer_commit(c, &err), SRR_OK);
    srr_consumer_close(&c);

    c = consumer();
    cr_assert_eq(poll_n(c, 10, &m), 0);
    srr_consumer_close(&c);
}

Test(spool, second_consumer_and_bad_backends_are_refused)
{
    srr_consumer *c = consumer(), *c2 = NULL;
    srr_producer *p = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_consumer_open(g_cfg, &c2, &err), SRR_ECONFLICT);
    cr_assert_null(c2);
    srr_consumer_close(&c);
    free(g_cfg->queue.backend);
    g_cfg->queue.backend = srr_strdup("kafka");
    /* kafka unconfigured: the error names the setting */
    cr_assert_eq(srr_producer_open(g_cfg, &p, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "queue.kafka.") != NULL, "%s", err.msg);
    cr_assert_eq(srr_consumer_open(g_cfg, &c2, &err), SRR_EINVAL);
    free(g_cfg->queue.backend);
    g_cfg->queue.backend = srr_strdup("carrier-pigeon");
    cr_assert_eq(srr_producer_open(g_cfg, &p, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "unknown queue.backend") != NULL, "%s", err.msg);
}

/* The bytes of one framed record, produced into a scratch spool. */
static char *one_frame(int n, size_t *len)
{
    char *dir = tu_mkdtemp(), *path = seg0(dir), *data = NULL;
    srr_config *cfg = sf_config(dir);
    srr_error err = {0};
    produce(cfg, "k", n, n + 1);
    cr_assert_eq(srr_file_read(path, 0, &data, len, &err), SRR_OK, "%s", err.msg);
    sf_config_free(cfg);
    tu_rmdir_r(dir);
    free(dir);
    free(path);
    return data;
}

static void append_bytes(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, p, n), (ssize_t)n);
    close(fd);
}

Test(spool, cut_short_tail_waits_until_complete)
{
    char *path = seg0(g_dir);
    size_t flen = 0;
    char *frame = one_frame(1, &flen);
    srr_consumer *c;
    const srr_message *m;
    srr_error err = {0};
    produce(g_cfg, "k", 0, 1);
    append_bytes(path, frame, flen / 2);
    c = consumer();
    cr_assert_eq(poll_n(c, 10, &m), 1);
    expect_payload(&m[0], 0);
    cr_assert_eq(srr_consumer_commit(c, &err), SRR_OK);
    cr_assert_eq(poll_n(c, 10, &m), 0);
    cr_assert_eq(poll_n(c, 10, &m), 0);
    append_bytes(path, frame + flen / 2, flen - flen / 2);
    cr_assert_eq(poll_n(c, 10, &m), 1);
    expect_payload(&m[0], 1);
    srr_consumer_close(&c);
    free(frame);
    free(path);
}

Test(spool, cut_short_record_followed_by_good_ones_is_reported)
{
    /* A producer died mid-write, then others appended: the stump must not
     * block the queue. */
    char *path = seg0(g_dir);
    size_t flen = 0;
    char *frame = one_frame(7, &flen);
    srr_consumer *c;
    const srr_message *m;
    size_t n;
    produce(g_cfg, "k", 0, 1);
    append_bytes(path, frame, flen - 3);
    produce(g_cfg, "k", 1, 3);
    c = consumer();
    n = poll_n(c, 10, &m);
    cr_assert_eq(n, 4, "got %zu", n);
    expect_payload(&m[0], 0);
    cr_assert_not_null(m[1].corrupt_reason);
    expect_payload(&m[2], 1);
    expect_payload(&m[3], 2);
    srr_consumer_close(&c);
    free(frame);
    free(path);
}

static void corrupt_at(const char *path, long off, const char *bytes, size_t n)
{
    int fd = open(path, O_WRONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(pwrite(fd, bytes, n, off), (ssize_t)n);
    close(fd);
}

Test(spool, corrupt_record_reported_once_then_next_delivered)
{
    char *path = seg0(g_dir);
    srr_consumer *c;
    const srr_message *m;
    srr_error err = {0};
    size_t n, flen = 0;
    char *frame = one_frame(0, &flen);
    free(frame);
    produce(g_cfg, "k", 0, 4);                             /* same-size records: n = 0..3 */
    corrupt_at(path, (long)flen + (long)flen - 2, "!", 1); /* payload of #1 */
    corrupt_at(path, 2 * (long)flen, "XXXX", 4);           /* magic of #2 */
    c = consumer();
    n = poll_n(c, 10, &m);
    cr_assert_eq(n, 3, "got %zu", n);
    expect_payload(&m[0], 0);
    cr_assert_not_null(m[1].corrupt_reason);
    cr_assert(strstr(m[1].corrupt_reason, "CRC") != NULL, "%s", m[1].corrupt_reason);
    cr_assert_null(m[1].key);
    cr_assert_eq(m[1].offset, (int64_t)flen);
    cr_assert_eq(m[1].len, 2 * flen, "corrupt span %zu", m[1].len);
    expect_payload(&m[2], 3);
    cr_assert_eq(srr_consumer_commit(c, &err), SRR_OK);
    srr_consumer_close(&c);
    c = consumer();
    cr_assert_eq(poll_n(c, 10, &m), 0);
    srr_consumer_close(&c);
    free(path);
}

Test(spool, rotation_and_deletion)
{
    srr_consumer *c;
    const srr_message *m;
    srr_error err = {0};
    size_t n, total = 0;
    int next = 0;
    setenv("SRR_SPOOL_SEGMENT_BYTES", "200", 1);
    produce(g_cfg, "fingerprint", 0, 40);
    cr_assert_gt(count_segments(), 3);
    c = consumer();
    while ((n = poll_n(c, 7, &m)) > 0) {
        size_t i;
        for (i = 0; i < n; i++)
            expect_payload(&m[i], next++);
        total += n;
        cr_assert_eq(srr_consumer_commit(c, &err), SRR_OK, "%s", err.msg);
    }
    cr_assert_eq(total, 40);
    cr_assert_eq(count_segments(), 1);
    /* More after the deletions still flows, from a new process' view. */
    produce(g_cfg, "fingerprint", 40, 45);
    srr_consumer_close(&c);
    c = consumer();
    total = 0;
    while ((n = poll_n(c, 100, &m)) > 0) {
        size_t i;
        for (i = 0; i < n; i++)
            expect_payload(&m[i], next++);
        total += n;
        cr_assert_eq(srr_consumer_commit(c, &err), SRR_OK);
    }
    cr_assert_eq(total, 5);
    srr_consumer_close(&c);
}

Test(spool, two_producer_processes)
{
    const int per = 300;
    int seen[2] = {0, 0}, k, status;
    pid_t pids[2];
    srr_consumer *c;
    const srr_message *m;
    size_t n, i;
    srr_error err = {0};
    setenv("SRR_SPOOL_SEGMENT_BYTES", "4096", 1);
    for (k = 0; k < 2; k++) {
        pids[k] = fork();
        cr_assert_geq(pids[k], 0);
        if (pids[k] == 0) {
            srr_producer *p = NULL;
            int j;
            if (srr_producer_open(g_cfg, &p, &err) != SRR_OK)
                _exit(2);
            for (j = 0; j < per; j++) {
                char payload[64];
                int len = snprintf(payload, sizeof(payload), "{\"n\":%d}", j);
                if (srr_producer_send(p, k ? "p1" : "p0", payload, (size_t)len, &err) != SRR_OK)
                    _exit(3);
                if (j % 50 == 49 && srr_producer_flush(p, &err) != SRR_OK)
                    _exit(4);
            }
            srr_producer_close(&p);
            _exit(0);
        }
    }
    for (k = 0; k < 2; k++) {
        cr_assert_eq(waitpid(pids[k], &status, 0), pids[k]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", k);
    }
    c = consumer();
    while ((n = poll_n(c, 64, &m)) > 0) {
        for (i = 0; i < n; i++) {
            int who;
            cr_assert_null(m[i].corrupt_reason, "%s", m[i].corrupt_reason);
            cr_assert_eq(m[i].keylen, 2);
            who = m[i].key[1] - '0';
            expect_payload(&m[i], seen[who]++); /* each producer's order kept */
        }
        cr_assert_eq(srr_consumer_commit(c, &err), SRR_OK);
    }
    cr_assert_eq(seen[0], per);
    cr_assert_eq(seen[1], per);
    srr_consumer_close(&c);
}

Test(spool, many_corrupt_records_in_one_poll)
{
    /* More messages than the consumer's first allocation, half corrupt:
     * every reason must stay readable. */
    char *path = seg0(g_dir);
    srr_consumer *c;
    const srr_message *m;
    size_t n, i, flen = 0;
    char *frame = one_frame(100, &flen); /* records 100..299 have this size */
    free(frame);
    produce(g_cfg, "k", 100, 300);
    for (i = 0; i < 200; i += 2)
        corrupt_at(path, (long)((i + 1) * flen - 2), "!", 1);
    c = consumer();
    n = poll_n(c, 1000, &m);
    cr_assert_eq(n, 200, "got %zu", n);
    for (i = 0; i < n; i++) {
        if (i % 2 == 0) {
            cr_assert_not_null(m[i].corrupt_reason);
            cr_assert(strstr(m[i].corrupt_reason, "CRC mismatch") != NULL, "%s",
                      m[i].corrupt_reason);
        } else {
            expect_payload(&m[i], 100 + (int)i);
        }
    }
    srr_consumer_close(&c);
    free(path);
}

Test(spool, one_flush_spreads_a_big_batch_over_segments)
{
    /* Records are written at flush in one go; the segment limit still
     * holds to one record, and order and content survive the split. */
    const int n = 1000; /* ~26 KB: seven segments of 4 KiB */
    srr_consumer *c;
    const srr_message *m;
    size_t got, i;
    int seen = 0, segs = 0;
    DIR *d;
    struct dirent *e;
    setenv("SRR_SPOOL_SEGMENT_BYTES", "4096", 1);
    produce(g_cfg, "k", 0, n); /* one flush for all of them */
    unsetenv("SRR_SPOOL_SEGMENT_BYTES");
    d = opendir(g_dir);
    cr_assert_not_null(d);
    while ((e = readdir(d)) != NULL) {
        struct stat sb;
        char *path;
        if (!strstr(e->d_name, ".seg"))
            continue;
        path = srr_asprintf("%s/%s", g_dir, e->d_name);
        cr_assert_eq(stat(path, &sb), 0);
        cr_assert_lt(sb.st_size, 4096 + 64, "%s has %lld bytes", e->d_name,
                     (long long)sb.st_size);
        free(path);
        segs++;
    }
    closedir(d);
    cr_assert_gt(segs, 5, "expected the batch spread over segments, got %d", segs);
    c = consumer();
    while ((got = poll_n(c, 64, &m)) > 0) {
        for (i = 0; i < got; i++)
            expect_payload(&m[i], seen++);
        cr_assert_eq(srr_consumer_commit(c, NULL), SRR_OK);
    }
    cr_assert_eq(seen, n);
    srr_consumer_close(&c);
}

Test(spool, a_failed_write_fails_the_flush_and_leaves_no_partial_record)
{
    /* The file size limit makes the batch's write fail part way (EFBIG):
     * the flush must fail, and nothing of the batch may stay behind; what
     * was flushed before stays, and the spool keeps working after. */
    pid_t pid = fork();
    int status;
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        srr_producer *p = NULL;
        srr_error err = {0};
        struct rlimit rl = {2048, 2048};
        char big[300];
        int i;
        signal(SIGXFSZ, SIG_IGN);
        if (srr_producer_open(g_cfg, &p, &err) != SRR_OK)
            _exit(2);
        if (srr_producer_send(p, "k", "{\"n\":0}", 7, &err) != SRR_OK ||
            srr_producer_flush(p, &err) != SRR_OK)
            _exit(3);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(4);
        memset(big, 'x', sizeof big);
        for (i = 0; i < 10; i++)
            if (srr_producer_send(p, "k", big, sizeof big, &err) != SRR_OK)
                _exit(5);
        if (srr_producer_flush(p, &err) == SRR_OK)
            _exit(6); /* 3,000 bytes cannot have fit under 2,048 */
        if (!strstr(err.msg, "spool: write"))
            _exit(7);
        rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
        setrlimit(RLIMIT_FSIZE, &rl);
        if (srr_producer_send(p, "k", "{\"n\":1}", 7, &err) != SRR_OK ||
            srr_producer_flush(p, &err) != SRR_OK)
            _exit(8);
        srr_producer_close(&p);
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child exited with %d",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    {
        srr_consumer *c = consumer();
        const srr_message *m;
        size_t got = poll_n(c, 64, &m);
        cr_assert_eq(got, 2, "expected the two flushed records only, got %zu", got);
        expect_payload(&m[0], 0);
        expect_payload(&m[1], 1);
        srr_consumer_close(&c);
    }
}

static long file_size(const char *path)
{
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "%s", path);
    return (long)sb.st_size;
}

/* Reads everything there is from c, committing as it goes; checks that the
 * payloads are from..to-1 in order and that nothing was reported corrupt. */
static void expect_all(srr_consumer *c, int from, int to)
{
    const srr_message *m;
    srr_error err = {0};
    size_t n, i;
    int next = from;
    while ((n = poll_n(c, 100, &m)) > 0) {
        for (i = 0; i < n; i++) {
            cr_assert(next < to, "more than %d records", to - from);
            expect_payload(&m[i], next++);
        }
        cr_assert_eq(srr_consumer_commit(c, &err), SRR_OK, "%s", err.msg);
    }
    cr_assert_eq(next, to, "read up to %d of %d..%d", next, from, to - 1);
}

Test(spool, records_after_a_tail_lost_in_a_crash_are_all_read)
{
    /* The writer may read and commit records before their producer's
     * fdatasync; if the machine then crashes, the segment comes back shorter
     * than the committed offset. Records appended after the restart must
     * not fall into the gap the consumer will never read. */
    char *path = seg0(g_dir);
    srr_consumer *c;
    long two;
    produce(g_cfg, "k", 0, 2);
    two = file_size(path);
    produce(g_cfg, "k", 2, 5);
    c = consumer();
    expect_all(c, 0, 5);
    srr_consumer_close(&c);
    cr_assert_eq(truncate(path, two), 0); /* the crash lost records 2..4 */
    produce(g_cfg, "k", 5, 10);
    c = consumer();
    expect_all(c, 5, 10);
    srr_consumer_close(&c);
    free(path);
}

Test(spool, a_full_segment_whose_seal_was_lost_is_read_through)
{
    /* Sealing is a chmod that a crash may lose after the successor exists:
     * the successor proves the segment is complete, and once consumed it is
     * deleted like a sealed one. */
    char *path = seg0(g_dir);
    srr_consumer *c;
    setenv("SRR_SPOOL_SEGMENT_BYTES", "200", 1);
    produce(g_cfg, "fingerprint", 0, 40);
    cr_assert_gt(count_segments(), 3);
    cr_assert_eq(chmod(path, 0644), 0);
    c = consumer();
    expect_all(c, 0, 40);
    srr_consumer_close(&c);
    cr_assert_eq(count_segments(), 1, "consumed segments stay behind"); /* and are deleted */
    unsetenv("SRR_SPOOL_SEGMENT_BYTES");
    free(path);
}

Test(spool, random_crash_points_lose_no_acknowledged_record)
{
    /* A machine crash keeps what was fdatasync'ed and any part of what was
     * written after it. Each round: acknowledged records, records another
     * producer wrote but had not synced yet, a writer that read and
     * committed a random part of all that, the segment cut at a random
     * point past the last sync, then new acknowledged records. Every
     * acknowledged record the writer had not committed, and every new one,
     * must be read, and nothing committed may come again. */
    unsigned seed = 20261128;
    for (int round = 0; round < 40; round++) {
        char *dir = tu_mkdtemp(), *path = seg0(dir);
        srr_config *cfg = sf_config(dir);
        srr_consumer *c = NULL;
        const srr_message *m;
        srr_error err = {0};
        int seen[64] = {0}, acked = 1 + (int)(rand_r(&seed) % 10);
        int unsynced = (int)(rand_r(&seed) % 8), took, i;
        long synced, full, cut;
        size_t n;

        produce(cfg, "k", 0, acked);
        synced = file_size(path);
        for (i = acked; i < acked + unsynced; i++) {
            size_t flen = 0;
            char *frame = one_frame(i, &flen);
            append_bytes(path, frame, flen);
            free(frame);
        }
        full = file_size(path);
        cr_assert_eq(srr_consumer_open(cfg, &c, &err), SRR_OK, "%s", err.msg);
        took = (int)(rand_r(&seed) % (unsigned)(acked + unsynced + 1));
        if (took > 0) {
            cr_assert_eq(srr_consumer_poll(c, (size_t)took, 0, &m, &n, &err), SRR_OK);
            cr_assert_eq(n, (size_t)took);
            cr_assert_eq(srr_consumer_commit(c, &err), SRR_OK, "%s", err.msg);
        }
        srr_consumer_close(&c);

        cut = synced + (long)(rand_r(&seed) % (unsigned)(full - synced + 1));
        cr_assert_eq(truncate(path, cut), 0);
        produce(cfg, "k", 40, 45);

        cr_assert_eq(srr_consumer_open(cfg, &c, &err), SRR_OK, "%s", err.msg);
        while (srr_consumer_poll(c, 100, 0, &m, &n, &err) == SRR_OK && n > 0) {
            for (size_t k = 0; k < n; k++) {
                int v;
                if (m[k].corrupt_reason) /* the cut-short record, reported */
                    continue;
                cr_assert_eq(sscanf(m[k].payload, "{\"n\":%d}", &v), 1);
                cr_assert(v >= 0 && v < 64);
                seen[v]++;
            }
            cr_assert_eq(srr_consumer_commit(c, &err), SRR_OK, "%s", err.msg);
        }
        srr_consumer_close(&c);
        for (i = 0; i < 45; i++) {
            if (i < took)
                cr_assert_eq(seen[i], 0, "round %d: committed record %d came again", round, i);
            else if (i < acked || i >= 40)
                cr_assert_eq(seen[i], 1, "round %d (acked %d, unsynced %d, took %d, cut at %ld "
                             "of %ld..%ld): record %d read %d times", round, acked, unsynced,
                             took, cut, synced, full, i, seen[i]);
        }
        sf_config_free(cfg);
        tu_rmdir_r(dir);
        free(dir);
        free(path);
    }
}
