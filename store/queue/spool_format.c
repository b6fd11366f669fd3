/* SPDX-License-Identifier: Apache-2.0
 *
 * spool_format.c - the files of the local spool that its producer
 * (spool.c), its consumer (spool_consumer.c) and its rewinder
 * (spool_rewind.c) share (spool_internal.h): the record frame and its
 * CRC, the segment files and their names, the lock, the seal and the
 * consumer.offset text. The format itself is described at the top of
 * spool.c. The three files call this one and it calls none of them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "spool_internal.h"

const unsigned char SRR_SPOOL_MAGIC[4] = {0xF5, 'S', 'R', '1'};

/* CRC-32 (zlib's, the IEEE polynomial of gzip and PNG) of a record whose
 * header starts at h, the body following the header: the body_len and
 * key_len fields, then the key and payload. crc32() continues a running
 * value, so the three pieces give the CRC of their concatenation - the
 * value srr has written since the spool's first version. */
uint32_t srr_spool_record_crc(const unsigned char *h, size_t body_len)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, h + 4, 4);  /* body_len */
    crc = crc32(crc, h + 12, 4); /* key_len */
    crc = crc32_z(crc, h + SRR_SPOOL_HDR, body_len);
    return (uint32_t)crc;
}

char *srr_spool_segment_path(const char *dir, int64_t base)
{
    return srr_asprintf("%s/%020lld.seg", dir, (long long)base);
}

srr_rc srr_spool_segments(const char *dir, int64_t **out, size_t *n, srr_error *err)
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

int srr_spool_lock(int fd, int op)
{
    int r;
    do
        r = flock(fd, op);
    while (r != 0 && errno == EINTR);
    return r;
}

void srr_spool_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int srr_spool_is_sealed(const struct stat *sb)
{
    return (sb->st_mode & 0222) == 0;
}

srr_rc srr_spool_dir_of(const srr_config *cfg, char **out, srr_error *err)
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

int srr_spool_parse_offset(const char *text, int64_t *out, int64_t *records)
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

int64_t srr_spool_committed_offset(const char *dir)
{
    char *path = srr_asprintf("%s/consumer.offset", dir), *text = NULL;
    size_t len = 0;
    int64_t v = -1;
    if (srr_file_read(path, 64, &text, &len, NULL) == SRR_OK &&
        !srr_spool_parse_offset(text, &v, NULL))
        v = -1;
    free(text);
    free(path);
    return v;
}

int srr_spool_frame(const unsigned char *h, size_t avail, size_t *total)
{
    uint32_t body;
    if (avail < SRR_SPOOL_HDR || memcmp(h, SRR_SPOOL_MAGIC, 4) != 0)
        return 0;
    body = srr_spool_get32(h + 4);
    if (body > SRR_SPOOL_MAX_BODY || srr_spool_get32(h + 12) > body)
        return 0;
    *total = SRR_SPOOL_HDR + body;
    return 1;
}
