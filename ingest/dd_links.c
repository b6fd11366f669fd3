/* SPDX-License-Identifier: Apache-2.0
 *
 * dd_links.c - URL text for the Datadog client: the percent-encoding that
 * request URLs (engine.c) and links share, and the links a person clicks
 * from a record (the metric explorer or the log explorer over the window).
 * Pure text, no I/O; it calls nothing else in ingest/.
 */
#include <stdio.h>
#include <string.h>

#include "dd_internal.h"

void dd_urlencode(srr_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        unsigned char ch = *p;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            (void)srr_buf_append(b, &ch, 1);
        } else {
            char enc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            (void)srr_buf_append(b, enc, 3);
        }
    }
}

/* Web host of a site: US1/EU1/US1-FED are app.<site>; the others
 * (us3.datadoghq.com, ap1.datadoghq.com, ...) serve the UI on the site. */
static void app_host(srr_buf *b, const char *site)
{
    if (!site || !*site)
        site = "datadoghq.com";
    int dots = 0;
    for (const char *p = site; *p; p++)
        dots += *p == '.';
    (void)srr_buf_printf(b, "https://%s%s", dots <= 1 ? "app." : "", site);
}

static char *make_link(const char *site, const char *path, const char *param, const char *query,
                       int64_t from_s, int64_t to_s)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    app_host(&b, site);
    (void)srr_buf_printf(&b, "%s?%s=", path, param);
    dd_urlencode(&b, query ? query : "");
    (void)srr_buf_printf(&b, "&from_ts=%lld&to_ts=%lld&live=false", (long long)from_s * 1000,
                         (long long)to_s * 1000);
    return srr_buf_steal(&b);
}

char *srr_dd_link_metrics(const char *site, const char *query, int64_t from_s, int64_t to_s)
{
    return make_link(site, "/metric/explorer", "exp_metric", query, from_s, to_s);
}

char *srr_dd_link_logs(const char *site, const char *query, int64_t from_s, int64_t to_s)
{
    return make_link(site, "/logs", "query", query, from_s, to_s);
}
