/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_webhook_payload.c - libFuzzer target for the payload-to-signal path
 * of the webhook receiver (srr_webhook_parse, ingest/webhook_payload.c):
 * the first byte picks the encoding (JSON or form), the rest is the body
 * exactly as an authenticated client could send it. Checks what must hold
 * for every accepted body: a 32-hex candidate id, a check name, a signal
 * that serialises to JSON and parses back, and evidence within its bound.
 * It also holds the one-pass JSON reader to jansson: srr_webhook_parse and
 * srr_webhook_parse_full must give the same alert, or the same refusal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    srr_webhook_alert a, full;
    srr_error err = {0}, ferr = {0};
    srr_webhook_encoding enc;
    srr_rc rc, frc;
    if (size < 1)
        return 0;
    enc = (data[0] & 1) ? SRR_WEBHOOK_FORM : SRR_WEBHOOK_JSON;
    rc = srr_webhook_parse((const char *)data + 1, size - 1, enc, 1767000000, &a, &err);
    frc = srr_webhook_parse_full((const char *)data + 1, size - 1, enc, 1767000000, &full, &ferr);
    if (rc != frc || strcmp(err.msg, ferr.msg) != 0)
        abort(); /* the one-pass reader and jansson disagree */
    if (rc == SRR_OK) {
        char *x = srr_webhook_alert_dumps(&a), *y = srr_webhook_alert_dumps(&full);
        if (strcmp(x, y) != 0)
            abort();
        free(x);
        free(y);
        srr_webhook_alert_clear(&full);
    }
    if (rc != SRR_OK) {
        if (!err.msg[0])
            abort(); /* a refusal always says why */
        return 0;
    }
    if (strlen(a.id) != 32 || !a.signal.check || !*a.signal.check)
        abort();
    json_t *j = srr_signal_to_json(&a.signal);
    srr_signal back;
    if (!j || srr_signal_from_json(j, &back, &err) != SRR_OK)
        abort();
    if (a.signal.evidence || !a.signal.evidence_json ||
        strlen(a.signal.evidence_json) > SRR_SIGNAL_MAX_EVIDENCE_BYTES)
        abort(); /* the evidence is text, and bounded */
    {   /* a JSON object, written as json_dumps writes it */
        json_t *ev = json_loads(a.signal.evidence_json, 0, NULL);
        char *again = json_is_object(ev) ? json_dumps(ev, JSON_COMPACT) : NULL;
        if (!again || strcmp(again, a.signal.evidence_json) != 0)
            abort();
        free(again);
        json_decref(ev);
    }
    srr_signal_clear(&back);
    json_decref(j);
    srr_webhook_alert_clear(&a);
    return 0;
}
