/* SPDX-License-Identifier: Apache-2.0
 *
 * dd_validate.c - GET /api/v1/validate, one bounded request with libcurl,
 * for `srr doctor`. Kept apart from the sweep's client: it needs no paging,
 * retries or recording.
 */
#include "dd_validate.h"

#include "curl_debug.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    srr_buf *b = ud;
    return srr_buf_append(b, p, size * n) == SRR_OK ? size * n : 0;
}

srr_rc srr_dd_validate(const srr_config *cfg, srr_error *err)
{
    char *base, *url = NULL, *h1 = NULL, *h2 = NULL;
    struct curl_slist *hdrs = NULL;
    srr_buf body;
    CURL *c = NULL;
    CURLcode cr;
    long status = 0;
    srr_rc rc = SRR_OK;

    if (!cfg->datadog.api_key || !cfg->datadog.app_key)
        return srr_error_set(err, SRR_EAUTH,
                             "Datadog API keys missing: set DD_API_KEY and DD_APP_KEY in the "
                             "environment");
    base = srr_config_dd_base_url(cfg);
    url = srr_asprintf("%s/api/v1/validate", base);
    srr_buf_init(&body, 64 * 1024);
    c = curl_easy_init();
    if (!c) {
        rc = srr_error_set(err, SRR_ERR, "cannot initialise libcurl");
        goto out;
    }
    h1 = srr_asprintf("DD-API-KEY: %s", cfg->datadog.api_key);
    h2 = srr_asprintf("DD-APPLICATION-KEY: %s", cfg->datadog.app_key);
    hdrs = curl_slist_append(hdrs, h1);
    hdrs = curl_slist_append(hdrs, h2);
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)cfg->datadog.connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg->datadog.timeout_s);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "srr/" SRR_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    srr_curl_debug(c);
    cr = curl_easy_perform(c);
    if (cr != CURLE_OK) {
        rc = srr_error_set(err, SRR_RETRY, "Datadog at %s is not reachable: %s", base,
                           curl_easy_strerror(cr));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status == 401 || status == 403) {
        rc = srr_error_set(err, SRR_EAUTH,
                           "Datadog at %s refused the keys (HTTP %ld): check DD_API_KEY, "
                           "DD_APP_KEY and DD_SITE",
                           base, status);
    } else if (status == 429 || status >= 500) {
        rc = srr_error_set(err, SRR_RETRY, "Datadog at %s answered HTTP %ld; try again later",
                           base, status);
    } else if (status != 200) {
        rc = srr_error_set(err, SRR_EINVAL, "Datadog at %s answered HTTP %ld to /api/v1/validate",
                           base, status);
    } else {
        json_t *j = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
        if (!json_is_true(json_object_get(j, "valid")))
            rc = srr_error_set(err, SRR_EAUTH, "Datadog at %s says the API key is not valid",
                               base);
        json_decref(j);
    }
out:
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    srr_buf_free(&body);
    free(h1);
    free(h2);
    free(url);
    free(base);
    return rc;
}
