/* SPDX-License-Identifier: Apache-2.0
 *
 * dd_client_fixture.h - the live Datadog client the collector and
 * "truth" suites (test_collectors, test_dd_truth) point at the fake
 * Datadog or at an address that must fail: test keys, short timeouts, a
 * given concurrency and number of attempts retried 20 ms apart, so a
 * retry test takes milliseconds.
 */
#ifndef SRR_DD_CLIENT_FIXTURE_H
#define SRR_DD_CLIENT_FIXTURE_H

#include "datadog.h"

/* A live client for the API at `url` (`site` as DD_SITE would name it, NULL
 * for none), keys "k-test-123"/"a-test-456", 5 s timeout (2 s to connect),
 * `conc` requests at once, `attempts` tries 20 ms apart. Aborts the test on
 * failure. Free with srr_dd_client_destroy. */
srr_dd_client *ddf_client(const char *url, const char *site, int conc, int attempts);

#endif
