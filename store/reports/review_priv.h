/* SPDX-License-Identifier: Apache-2.0
 *
 * review_priv.h - what the two halves of the review share (review.c: the
 * period and the sections; review_records.c: the records they name).
 * Internal to store/reports.
 */
#ifndef SRR_REVIEW_PRIV_H
#define SRR_REVIEW_PRIV_H

#include <jansson.h>
#include <stdint.h>

#include "srr.h"
#include "store.h"

#define RV_DAY 86400
#define RV_WRITER "srr-writer" /* the writer's actor: its changes are no person's attention */
#define RV_VALUE_WINDOWS 12    /* windows of a record's value the review shows */

/* The human id of record (kind, id): "SRR-4", "BL-2", "INV-3" into out.
 * (review_records.c, as the next: review.c calls it, never the reverse.) */
void srr_rv_hid(const char *kind, int64_t id, char out[32]);

/* Adds rep["records"], the detail of every record the report's sections
 * name (a row's "id", and a promoted investigation's "risk"): kind, title,
 * status, urgency, service, assignee, next_action, datadog_url,
 * tracker_url (a risk's backlog link, a backlog item's ticket),
 * notion_url (NULL unless the Notion sink made its page), link (notion_url,
 * else "#" + id) and thing (its value over the last RV_VALUE_WINDOWS
 * windows up to asof, srr_store_thing_until). Then gives the "things" rows
 * their thing's chart, latest, worst, last_fired, group, members and
 * windows (a row whose record follows no thing is dropped) and each
 * "open_risks" row its chart and latest value. Returns SRR_OK or a store
 * error. */
srr_rc srr_rv_records(srr_store *st, json_t *rep, int64_t asof, srr_error *err);

#endif
