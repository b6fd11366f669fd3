/* SPDX-License-Identifier: Apache-2.0
 *
 * candidate_fast.h - the writer's fast path for reading a candidate
 * document, internal to core/ (srr_candidate_parse tries it first; tests
 * hold it to the jansson path).
 *
 * It reads the shape producers write (srr_candidate_dumps: the known
 * members, each of its usual type, no escapes in member names) straight
 * from the text into an srr_candidate, without jansson's loader; only the
 * signal's evidence, an arbitrary JSON value, becomes a jansson value,
 * built directly. Whatever it is not sure of - an unknown or repeated member, a
 * member of another type, a number jansson could refuse, an escape it does
 * not decode, any syntax error - it leaves to the full path, which decides
 * and words the error. Hence the one promise: when it returns 1, the
 * candidate is exactly what srr_candidate_from_json(json_loadb(buf, len,
 * JSON_REJECT_DUPLICATES)) would have produced.
 */
#ifndef SRR_CANDIDATE_FAST_H
#define SRR_CANDIDATE_FAST_H

#include <stddef.h>

#include "candidate.h"

/* Returns 1 with *out filled (free with srr_candidate_clear) when it read
 * buf (len bytes); 0 with *out zeroed when the full path must decide. */
int srr_candidate_parse_fast(const char *buf, size_t len, srr_candidate *out);

#endif
