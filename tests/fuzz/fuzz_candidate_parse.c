/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_candidate_parse.c - libFuzzer target holding the writer's fast
 * candidate reader (core/candidate_fast.c) to the jansson path it stands in
 * for: whenever srr_candidate_parse_fast() accepts a document, the full
 * path (json_loadb with JSON_REJECT_DUPLICATES, then
 * srr_candidate_from_json) must accept it too and read the same candidate,
 * compared through srr_candidate_dumps; srr_candidate_parse must never
 * fail without saying why. Input is a queue message exactly as a producer,
 * or anyone who can write to the topic, could send it.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "candidate.h"
#include "candidate_fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    srr_candidate fast, full;
    srr_error err = {0};
    json_t *j;
    if (srr_candidate_parse((const char *)data, size, &full, &err) != SRR_OK) {
        if (!err.msg[0])
            abort(); /* a refusal always says why (it becomes the dead-letter reason) */
    } else {
        srr_candidate_clear(&full);
    }
    if (!srr_candidate_parse_fast((const char *)data, size, &fast))
        return 0;
    j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!j || srr_candidate_from_json(j, &full, &err) != SRR_OK)
        abort(); /* the fast reader accepted what the full path refuses */
    {
        char *a = srr_candidate_dumps(&fast), *b = srr_candidate_dumps(&full);
        if (!a || !b || strcmp(a, b) != 0)
            abort(); /* ... or read it differently */
        free(a);
        free(b);
    }
    json_decref(j);
    srr_candidate_clear(&fast);
    srr_candidate_clear(&full);
    return 0;
}
