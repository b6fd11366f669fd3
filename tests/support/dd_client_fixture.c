/* SPDX-License-Identifier: Apache-2.0
 *
 * dd_client_fixture.c - the test Datadog client of dd_client_fixture.h,
 * built once instead of in each suite that needs it.
 */
#include "dd_client_fixture.h"

#include <criterion/criterion.h>

#include "dd_internal.h"

srr_dd_client *ddf_client(const char *url, const char *site, int conc, int attempts)
{
    srr_dd_config cfg = {0};
    srr_dd_client *c = NULL;
    srr_error err = {0};
    cfg.site = (char *)site;
    cfg.api_key = "k-test-123";
    cfg.app_key = "a-test-456";
    cfg.timeout_s = 5;
    cfg.connect_timeout_s = 2;
    cfg.max_concurrency = conc;
    cfg.max_attempts = attempts;
    cr_assert_eq(srr_dd_client_create(&cfg, url, SRR_DD_LIVE, NULL, &c, &err), SRR_OK, "%s",
                 err.msg);
    srr_dd_client_set_retry(c, attempts, 20);
    return c;
}
