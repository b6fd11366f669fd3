/* SPDX-License-Identifier: Apache-2.0
 *
 * jsonscan.h - the lexical half of JSON, for the fast readers that take the
 * hot documents apart in one pass without building a jansson tree: the
 * writer's candidate reader (candidate_fast.c) and the webhook's payload
 * reader (ingest/webhook_scan.c).
 *
 * Every function follows jansson 2.14's lexical rules and answers 0 for
 * anything it is not certain jansson reads the same way, so a caller can
 * hand the document to jansson whenever a scan says no: whitespace is
 * space, tab, CR and LF; strings hold no raw control character and only
 * valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF);
 * numbers are -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, integers (no
 * '.', 'e' or 'E') read with strtoll and refused on overflow, reals with
 * strtod and refused on overflow to infinity. Of the escapes, \" \\ \/ \b
 * \f \n \r \t and \uXXXX outside the surrogates and U+0000 are decoded;
 * the others are left to jansson.
 */
#ifndef SRR_JSONSCAN_H
#define SRR_JSONSCAN_H

#include <stddef.h>

/* A read position in a JSON text: p moves towards end. */
typedef struct srr_jscan {
    const char *p, *end;
} srr_jscan;

/* Skips whitespace. */
void srr_jscan_ws(srr_jscan *c);

/* Skips whitespace, then consumes ch if it is next; returns 1 if it was. */
int srr_jscan_eat(srr_jscan *c, char ch);

/* Reads the string token next (after whitespace): *s and *n get its raw
 * bytes between the quotes (pointing into the text), *esc whether they
 * hold a backslash (escapes are checked only by srr_jscan_decode).
 * Returns 0, not moving past the token, when it is not a string. */
int srr_jscan_str_raw(srr_jscan *c, const char **s, size_t *n, int *esc);

/* Decodes the raw string bytes s[0..n) of srr_jscan_str_raw into out (at
 * least n bytes; decoding never lengthens). Returns the decoded length, or
 * -1 when an escape in it is left to jansson. Adds no NUL. */
long srr_jscan_decode(const char *s, size_t n, char *out);

/* Reads the number token next. Returns 1 with *is_int and *iv (integer)
 * or *dv (real) set; 0 when it is not a number jansson reads to the same
 * value. Expects the C numeric locale (see srr_jscan_c_locale). */
int srr_jscan_number(srr_jscan *c, int *is_int, long long *iv, double *dv);

/* Consumes the literal `lit` ("true", "false", "null") if it is next
 * (after whitespace); returns 1 if it was. */
int srr_jscan_literal(srr_jscan *c, const char *lit);

/* 1 when strtod reads '.' as the decimal point, as jansson's does. */
int srr_jscan_c_locale(void);

#endif
