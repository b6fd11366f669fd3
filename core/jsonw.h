/* SPDX-License-Identifier: Apache-2.0
 *
 * jsonw.h - a small JSON text writer onto srr_buf, for the hot paths that
 * serialise a candidate per alert or an audit entry per candidate: the same
 * compact text jansson's json_dumps(JSON_COMPACT) produces (strings escaped
 * alike, reals in jansson's "%.17g" form, object members in insertion
 * order), at memcpy speed instead of one callback per chunk.
 *
 * Strings are written as UTF-8; a byte sequence that is not valid UTF-8 is
 * written as U+FFFD instead of producing invalid JSON (jansson's
 * json_string() would have refused the whole string).
 */
#ifndef SRR_JSONW_H
#define SRR_JSONW_H

#include <jansson.h>
#include <stdint.h>

#include "srr.h"

/* Length of the valid UTF-8 sequence at p (n >= 1 bytes available): 1 for
 * ASCII, 2-4 for a well-formed sequence, 0 for anything jansson would
 * refuse (a stray continuation byte, an overlong form, a surrogate, past
 * U+10FFFF, cut short). */
size_t srr_utf8_seq_len(const unsigned char *p, size_t n);

/* The length of the leading run of s (n bytes) that JSON carries inside a
 * string as it is: ASCII from 0x20 up, except '"' and '\\' ('/' and DEL
 * included, as jansson writes them). Reads eight bytes at a time; the
 * string scanners and writers start from it. */
size_t srr_json_plain_len(const char *s, size_t n);

/* Appends a string literal as it is (JSON punctuation, member names). */
#define SRR_JSONW_LIT(b, lit) srr_buf_append((b), (lit), sizeof(lit) - 1)

/* Appends s (n bytes) as a quoted JSON string. Returns what srr_buf_append
 * returns (SRR_EINVAL past the buffer's max, nothing appended then). */
srr_rc srr_jsonw_strn(srr_buf *b, const char *s, size_t n);
/* Appends s as a quoted JSON string, or null when s is NULL. */
srr_rc srr_jsonw_str(srr_buf *b, const char *s);
/* The length srr_jsonw_strn would append for s (n bytes), quotes included. */
size_t srr_jsonw_strn_len(const char *s, size_t n);
/* Appends "key": (a member name and its colon, compact). */
srr_rc srr_jsonw_key(srr_buf *b, const char *key);
/* Appends an integer. */
srr_rc srr_jsonw_int(srr_buf *b, int64_t v);
/* Appends a real as jansson writes it ("%.17g", ".0" when it would read as
 * an integer, exponent without '+' or leading zeros); null for inf or NaN,
 * which JSON cannot hold. */
srr_rc srr_jsonw_real(srr_buf *b, double v);
/* Appends any jansson value, compact, members in insertion order: the text
 * json_dumps(v, JSON_COMPACT) returns. NULL writes null. */
srr_rc srr_jsonw_value(srr_buf *b, const json_t *v);

#endif
