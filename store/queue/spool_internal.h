/* SPDX-License-Identifier: Apache-2.0
 *
 * spool_internal.h - what the files of the local spool share, internal to
 * store/queue/: the record frame, the segment files, the lock and the
 * consumer.offset text (spool_format.c), the consumer's callbacks
 * (spool_consumer.c) and the rewinder's (spool_rewind.c), which spool.c's
 * backend table lists. The on-disk format is described in spool.c alone.
 */
#ifndef SRR_SPOOL_INTERNAL_H
#define SRR_SPOOL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "queue.h"

#define SRR_SPOOL_HDR 16                 /* magic, body_len, crc, key_len */
#define SRR_SPOOL_MAX_BODY (1024 * 1024) /* key + payload */

/* The magic that starts every record ("\xF5SR1"). */
extern const unsigned char SRR_SPOOL_MAGIC[4];

/* The frame's little-endian u32 fields. */
static inline void srr_spool_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}
static inline uint32_t srr_spool_get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The CRC-32 a record's header (at h, the body following it) carries. */
uint32_t srr_spool_record_crc(const unsigned char *h, size_t body_len);
/* 1 when h (avail bytes) starts with a record header that frames a record
 * of *total bytes (header included), else 0. Does not check the CRC. */
int srr_spool_frame(const unsigned char *h, size_t avail, size_t *total);

/* The segment bases in dir, ascending: SRR_OK with *out (caller frees) and
 * *n, or SRR_EIO when dir cannot be read. */
srr_rc srr_spool_segments(const char *dir, int64_t **out, size_t *n, srr_error *err);
/* "dir/<base>.seg". Caller frees. */
char *srr_spool_segment_path(const char *dir, int64_t base);
/* 1 when a segment is sealed (no write bit left: nothing more is appended). */
int srr_spool_is_sealed(const struct stat *sb);
/* flock(fd, op) through EINTR; returns flock's result. */
int srr_spool_lock(int fd, int op);
/* fsyncs the directory itself (best effort), so a new file's name lasts. */
void srr_spool_fsync_dir(const char *dir);
/* The configured spool directory, checked for its owner and created:
 * SRR_OK with *out a copy the caller frees, or the error. */
srr_rc srr_spool_dir_of(const srr_config *cfg, char **out, srr_error *err);

/* Parses consumer.offset ("OFFSET RECORDS" or the older "OFFSET", then
 * *records = -1; records may be NULL). Returns 1, or 0 when the text is
 * neither. */
int srr_spool_parse_offset(const char *text, int64_t *offset, int64_t *records);
/* The consumer's committed global offset, or -1 when none is recorded or
 * it cannot be read (the consumer reports that itself when it opens). */
int64_t srr_spool_committed_offset(const char *dir);

/* The spool's consumer (spool_consumer.c; queue_backend.h's callbacks). */
srr_rc srr_spool_consumer_open(const srr_config *cfg, void **impl, srr_error *err);
srr_rc srr_spool_poll(void *impl, size_t max, int timeout_ms, const srr_message **msgs, size_t *n,
                      srr_error *err);
srr_rc srr_spool_commit(void *impl, srr_error *err);
void srr_spool_consumer_close(void *impl);
void srr_spool_position(void *impl, const char **key, const srr_queue_pos **pos, size_t *n);

/* The spool's rewinder (queue_backend.h). */
srr_rc srr_spool_rewind_open(const srr_config *cfg, void **impl, const char **key, srr_error *err);
srr_rc srr_spool_rewind_check(void *impl, const srr_queue_pos *pos, size_t n, srr_rewind_plan *plan,
                              srr_error *err);
srr_rc srr_spool_rewind_apply(void *impl, const srr_queue_pos *pos, size_t n, srr_error *err);
void srr_spool_rewind_close(void *impl);

#endif
