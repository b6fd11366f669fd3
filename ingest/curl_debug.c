/* SPDX-License-Identifier: Apache-2.0
 *
 * curl_debug.c - libcurl's verbose output as srr debug log lines. curl's
 * own verbose mode writes raw headers (API keys included) to stderr; routing
 * it through srr_log means every line is redacted first.
 */
#include "curl_debug.h"

#include <string.h>

#include "log.h"

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
    const char *what;
    size_t i = 0;
    (void)h;
    (void)ud;
    switch (type) {
    case CURLINFO_TEXT: what = "*"; break;
    case CURLINFO_HEADER_OUT: what = ">"; break;
    case CURLINFO_HEADER_IN: what = "<"; break;
    default: return 0; /* bodies and TLS data are never logged */
    }
    while (i < size) {
        size_t n = 0;
        while (i + n < size && data[i + n] != '\n' && data[i + n] != '\r')
            n++;
        if (n > 0)
            srr_log(SRR_LOG_DEBUG, "curl %s %.*s", what, (int)(n > 1000 ? 1000 : n), data + i);
        i += n;
        while (i < size && (data[i] == '\n' || data[i] == '\r'))
            i++;
    }
    return 0;
}

void srr_curl_debug(CURL *h)
{
    if (!srr_log_enabled(SRR_LOG_DEBUG))
        return;
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
}
