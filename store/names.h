/* SPDX-License-Identifier: Apache-2.0
 *
 * names.h - the names a shell completes from the store: record ids with
 * their status, and the distinct assignees, labels and services. Read
 * through a read-only connection that never creates, migrates or locks the
 * database for writing, so pressing TAB leaves no state behind (not even
 * as another user) and never waits on the writer.
 */
#ifndef SRR_NAMES_H
#define SRR_NAMES_H

#include <jansson.h>

#include "srr.h"

/* The records of `kind` ("risk", "backlog", "investigation" or NULL for
 * all three), newest first, at most `limit`: a new array of
 * {"id": "SRR-3", "status": "draft"} in *out (caller json_decref's).
 * A store file that does not exist yet gives an empty array. Returns
 * SRR_EIO when the file cannot be read, SRR_EINVAL for an unknown kind. */
srr_rc srr_names_records(const char *db_path, const char *kind, size_t limit, json_t **out,
                         srr_error *err);

/* The distinct non-empty values of `what` over risks, backlog items and
 * investigations: "assignees", "labels" (the policy's labels, stored as
 * JSON arrays) or "services"; sorted, as a new array of strings in *out
 * (caller json_decref's). A missing file gives an empty array; a store
 * too old to have labels gives none. Errors as srr_names_records. */
srr_rc srr_names_values(const char *db_path, const char *what, json_t **out, srr_error *err);

#endif
