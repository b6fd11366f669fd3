/* SPDX-License-Identifier: Apache-2.0
 *
 * dd_validate.h - the cheap "are these keys accepted?" call that
 * `srr doctor` makes: GET /api/v1/validate with both auth headers.
 */
#ifndef SRR_DD_VALIDATE_H
#define SRR_DD_VALIDATE_H

#include "config.h"
#include "srr.h"

/* Asks Datadog whether the configured keys are valid. Returns SRR_OK when it
 * answers 200 {"valid": true}; SRR_EAUTH when the keys are missing or
 * refused (message names DD_API_KEY/DD_APP_KEY); SRR_RETRY when Datadog
 * cannot be reached or answers 429/5xx (message names the URL and curl's
 * error); SRR_EINVAL for any other answer. Never puts a key in a message. */
srr_rc srr_dd_validate(const srr_config *cfg, srr_error *err);

#endif
