/* SPDX-License-Identifier: Apache-2.0
 *
 * spool_internal.h - what spool.c shares with spool_rewind.c (the rewind
 * that `srr restore` uses), internal to store/queue/: the segment list, the
 * consumer.offset text and the record frame, so the on-disk format stays
 * described in spool.c alone.
 */
#ifndef SRR_SPOOL_INTERNAL_H
#define SRR_SPOOL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "queue.h"

/* The segment bases in dir, ascending. Caller frees *out. */
srr_rc srr_spool_segments(const char *dir, int64_t **out, size_t *n, srr_error *err);
/* "dir/<base>.seg". Caller frees. */
char *srr_spool_segment_path(const char *dir, int64_t base);
/* Parses consumer.offset ("OFFSET RECORDS" or the older "OFFSET", then
 * *records = -1). Returns 1, or 0 when the text is neither. */
int srr_spool_parse_offset(const char *text, int64_t *offset, int64_t *records);
/* 1 when h (avail bytes) starts with a record header that frames a record
 * of *total bytes (header included), else 0. Does not check the CRC. */
int srr_spool_frame(const unsigned char *h, size_t avail, size_t *total);

/* The spool's rewinder (queue_backend.h). */
srr_rc srr_spool_rewind_open(const srr_config *cfg, void **impl, const char **key, srr_error *err);
srr_rc srr_spool_rewind_check(void *impl, const srr_queue_pos *pos, size_t n, srr_rewind_plan *plan,
                              srr_error *err);
srr_rc srr_spool_rewind_apply(void *impl, const srr_queue_pos *pos, size_t n, srr_error *err);
void srr_spool_rewind_close(void *impl);

#endif
