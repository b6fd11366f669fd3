/* SPDX-License-Identifier: Apache-2.0
 *
 * curl_debug.h - libcurl's verbose trace, routed through srr's log so the
 * secret redaction applies to it like to every other line.
 */
#ifndef SRR_CURL_DEBUG_H
#define SRR_CURL_DEBUG_H

#include <curl/curl.h>

/* At --log-level debug, turns on CURLOPT_VERBOSE for `h` with a debug
 * callback that logs curl's informational text and the request and answer
 * headers (never bodies) one line each, at debug level, with registered
 * secrets (the DD-API-KEY and DD-APPLICATION-KEY values) redacted. Does
 * nothing at other levels. */
void srr_curl_debug(CURL *h);

#endif
