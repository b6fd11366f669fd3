/* SPDX-License-Identifier: Apache-2.0
 *
 * test_datadog.c - unit tests of ingest/ (the Datadog client): parsing of
 * v1 metric answers as datadog-api.md describes them, live exchanges with
 * the fake Datadog server (headers, query string, error classification,
 * log paging, bounds, timeouts), record then replay, and links.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "datadog.h"
#include "dd_internal.h"
#include "fake_dd.h"

#define API_KEY "test-api-key-0123456789"
#define APP_KEY "test-app-key-9876543210"
#define FROM_S 1767225600LL
#define TO_S 1767229200LL
#define LOGS_PATH "/api/v2/logs/events/search"

static srr_dd_config test_cfg(void)
{
    srr_dd_config cfg = {0};
    cfg.site = "datadoghq.com";
    cfg.api_key = API_KEY;
    cfg.app_key = APP_KEY;
    cfg.timeout_s = 5;
    cfg.connect_timeout_s = 2;
    cfg.max_response_bytes = 1024 * 1024;
    cfg.log_page_limit = 2;
    cfg.max_log_pages = 100;
    return cfg;
}

static srr_dd_client *live_client(const srr_dd_config *cfg, fake_dd *f, srr_dd_mode mode,
                                  const char *dir)
{
    srr_dd_client *c = NULL;
    srr_error err = {0};
    srr_rc rc = srr_dd_client_create(cfg, fake_dd_url(f), mode, dir, &c, &err);
    cr_assert_eq(rc, SRR_OK, "create: %s", err.msg);
    srr_dd_client_set_retry(c, 1, 0);
    return c;
}

static char *make_tmpdir(void)
{
    char *d = srr_strdup("/tmp/srr-test-dd-XXXXXX");
    cr_assert_not_null(mkdtemp(d));
    return d;
}

static void rm_rf(const char *dir)
{
    char *cmd = srr_asprintf("rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    free(cmd);
}

static const char *METRICS_OK =
    "{\"status\":\"ok\",\"res_type\":\"time_series\",\"resp_version\":1,"
    "\"query\":\"avg:system.cpu.idle{*}\",\"from_date\":1767225600000,\"to_date\":1767229200000,"
    "\"group_by\":[\"host\"],\"message\":\"\",\"times\":[],\"values\":[],"
    "\"series\":[{\"metric\":\"system.cpu.idle\",\"display_name\":\"system.cpu.idle\","
    "\"expression\":\"avg:system.cpu.idle{env:prod,host:web-01}\","
    "\"scope\":\"env:prod,host:web-01\",\"tag_set\":[\"host:web-01\"],\"aggr\":null,"
    "\"query_index\":0,\"attributes\":{},\"start\":1767225600000,\"end\":1767229199000,"
    "\"interval\":300,\"length\":3,"
    "\"unit\":[{\"family\":\"percentage\",\"name\":\"percent\",\"plural\":\"percent\","
    "\"scale_factor\":1.0,\"short_name\":\"%\",\"id\":17},null],"
    "\"pointlist\":[[1767225600000.0,91.2],[1767225900000,null],[1767226200000,90.7]]}]}\n";

/* ---- parsing ------------------------------------------------------------ */

Test(parse, int_and_float_timestamps_and_null_points)
{
    srr_metric_result r;
    srr_error err = {0};
    cr_assert_eq(srr_dd_parse_metrics("cpu", METRICS_OK, strlen(METRICS_OK), &r, &err), SRR_OK,
                 "%s", err.msg);
    cr_assert_eq(r.nseries, 1);
    cr_assert_str_eq(r.query, "avg:system.cpu.idle{*}");
    cr_assert_eq(r.from_ms, 1767225600000LL);
    cr_assert_eq(r.to_ms, 1767229200000LL);
    srr_series *s = &r.series[0];
    cr_assert_str_eq(s->metric, "system.cpu.idle");
    cr_assert_str_eq(s->expression, "avg:system.cpu.idle{env:prod,host:web-01}");
    cr_assert_str_eq(s->scope, "env:prod,host:web-01");
    cr_assert_eq(s->ntags, 1);
    cr_assert_str_eq(s->tags[0], "host:web-01");
    cr_assert_str_eq(s->unit, "%");
    cr_assert_eq(s->npoints, 3);
    cr_assert_float_eq(s->points[0].ts_ms, 1767225600000.0, 0.5); /* float ts */
    cr_assert_float_eq(s->points[0].value, 91.2, 1e-9);
    cr_assert_eq(s->points[0].is_null, 0);
    cr_assert_float_eq(s->points[1].ts_ms, 1767225900000.0, 0.5); /* int ts */
    cr_assert_eq(s->points[1].is_null, 1);
    cr_assert_float_eq(s->points[2].value, 90.7, 1e-9);
    srr_metric_result_clear(&r);
}

Test(parse, unit_null_and_unit_pair_of_nulls)
{
    const char *bodies[] = {
        "{\"status\":\"ok\",\"series\":[{\"metric\":\"m\",\"unit\":null,\"pointlist\":[[1,2]]}]}",
        "{\"status\":\"ok\",\"series\":[{\"metric\":\"m\",\"unit\":[null,null],\"pointlist\":[]}]}",
        "{\"status\":\"ok\",\"series\":[{\"metric\":\"m\",\"pointlist\":null}]}",
    };
    for (size_t i = 0; i < 3; i++) {
        srr_metric_result r;
        srr_error err = {0};
        cr_assert_eq(srr_dd_parse_metrics("m", bodies[i], strlen(bodies[i]), &r, &err), SRR_OK,
                     "%zu: %s", i, err.msg);
        cr_assert_eq(r.nseries, 1);
        cr_assert_null(r.series[0].unit);
        cr_assert_eq(r.series[0].ntags, 0);
        srr_metric_result_clear(&r);
    }
}

Test(parse, non_ascii_unit)
{
    const char *b =
        "{\"status\":\"ok\",\"series\":[{\"unit\":[{\"short_name\":\"\xce\xbcs\"},null],"
        "\"pointlist\":[[1.0,2.0]]}]}";
    srr_metric_result r;
    cr_assert_eq(srr_dd_parse_metrics("m", b, strlen(b), &r, NULL), SRR_OK);
    cr_assert_str_eq(r.series[0].unit, "\xce\xbcs");
    srr_metric_result_clear(&r);
}

Test(parse, empty_series)
{
    const char *b = "{\"status\":\"ok\",\"series\":[],\"times\":[],\"values\":[]}";
    srr_metric_result r;
    srr_error err = {0};
    cr_assert_eq(srr_dd_parse_metrics("cpu", b, strlen(b), &r, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(r.nseries, 0);
    cr_assert_null(r.series);
    srr_metric_result_clear(&r);
}

Test(parse, status_error_inside_200)
{
    const char *b = "{\"status\":\"error\",\"error\":\"Error parsing query: unexpected '{'\","
                    "\"series\":[]}";
    srr_metric_result r;
    srr_error err = {0};
    cr_assert_eq(srr_dd_parse_metrics("cpu", b, strlen(b), &r, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "check 'cpu'"), "%s", err.msg);
    cr_assert(strstr(err.msg, "Error parsing query: unexpected '{'"), "%s", err.msg);
}

Test(parse, truncated_json)
{
    const char *b = "{\"status\":\"ok\",\"series\":[{\"metric\":\"m\",\"pointlist\":[[1,";
    srr_metric_result r;
    srr_error err = {0};
    cr_assert_eq(srr_dd_parse_metrics("cpu", b, strlen(b), &r, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "check 'cpu': Datadog answered HTTP 200 with a body that is not "
                              "JSON (line 1 col "),
              "%s", err.msg);
}

Test(parse, html_body)
{
    const char *b = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    srr_metric_result r;
    srr_error err = {0};
    cr_assert_eq(srr_dd_parse_metrics("cpu", b, strlen(b), &r, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "not JSON (line 1 col"), "%s", err.msg);
}

Test(parse, bad_point_shape)
{
    const char *b = "{\"status\":\"ok\",\"series\":[{\"pointlist\":[[1,2],\"x\"]}]}";
    srr_metric_result r;
    srr_error err = {0};
    cr_assert_eq(srr_dd_parse_metrics("cpu", b, strlen(b), &r, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "series[0].pointlist[1]"), "%s", err.msg);
    cr_assert_eq(r.nseries, 0);
}

/* ---- live exchanges --------------------------------------------------- */

Test(live, query_sends_keys_and_params)
{
    fake_dd *f = fake_dd_start();
    cr_assert_not_null(f);
    int rt = fake_dd_add(f, "GET", "/api/v1/query", "query=avg:system.cpu.idle{*}", 200, NULL,
                         METRICS_OK);
    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    srr_metric_result r;
    srr_error err = {0};
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "avg:system.cpu.idle{*}", FROM_S, TO_S, &r, &err),
                 SRR_OK, "%s", err.msg);
    cr_assert_eq(r.nseries, 1);
    cr_assert_eq(r.series[0].npoints, 3);
    cr_assert_eq(fake_dd_hits(f, rt), 1);

    char *q = fake_dd_last_query(f);
    cr_assert_str_eq(q, "from=1767225600&to=1767229200&query=avg%3Asystem.cpu.idle%7B%2A%7D");
    char *h1 = fake_dd_last_header(f, "DD-API-KEY");
    char *h2 = fake_dd_last_header(f, "dd-application-key");
    char *h3 = fake_dd_last_header(f, "Accept");
    char *h4 = fake_dd_last_header(f, "User-Agent");
    char *m = fake_dd_last_method(f);
    cr_assert_str_eq(h1, API_KEY);
    cr_assert_str_eq(h2, APP_KEY);
    cr_assert_str_eq(h3, "application/json");
    cr_assert_str_eq(h4, "srr/" SRR_VERSION);
    cr_assert_str_eq(m, "GET");
    free(q), free(h1), free(h2), free(h3), free(h4), free(m);

    /* The same handle is reused for the next request. */
    srr_metric_result_clear(&r);
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "avg:system.cpu.idle{*}", FROM_S, TO_S, &r, &err),
                 SRR_OK, "%s", err.msg);
    cr_assert_eq(fake_dd_hits(f, rt), 2);
    srr_metric_result_clear(&r);
    srr_dd_client_destroy(&c);
    cr_assert_null(c);
    fake_dd_stop(&f);
}

static srr_rc query_once(fake_dd *f, int status, const char *headers, const char *body,
                         srr_error *err)
{
    fake_dd_reset(f);
    fake_dd_add(f, "GET", "/api/v1/query", NULL, status, headers, body);
    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    srr_metric_result r;
    srr_rc rc = srr_dd_query_metrics(c, "cpu", "avg:x{*}", FROM_S, TO_S, &r, err);
    if (rc == SRR_OK)
        srr_metric_result_clear(&r);
    srr_dd_client_destroy(&c);
    return rc;
}

Test(live, http_403_with_string_errors)
{
    fake_dd *f = fake_dd_start();
    srr_error err = {0};
    cr_assert_eq(query_once(f, 403, NULL,
                            "{\"status\":\"error\",\"code\":403,\"errors\":[\"Forbidden\"],"
                            "\"statuspage\":\"http://status.datadoghq.com\"}\n",
                            &err),
                 SRR_EAUTH);
    cr_assert(strstr(err.msg, "check 'cpu'"), "%s", err.msg);
    cr_assert(strstr(err.msg, "HTTP 403: Forbidden"), "%s", err.msg);
    cr_assert(strstr(err.msg, "DD_API_KEY"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, API_KEY));
    cr_assert_null(strstr(err.msg, APP_KEY));
    fake_dd_stop(&f);
}

Test(live, http_403_with_object_errors)
{
    fake_dd *f = fake_dd_start();
    srr_error err = {0};
    cr_assert_eq(query_once(f, 403, NULL,
                            "{\"errors\":[{\"status\":\"403\",\"title\":\"Forbidden\","
                            "\"detail\":\"Missing permission timeseries_query\"},"
                            "{\"title\":\"Second\"}]}",
                            &err),
                 SRR_EAUTH);
    cr_assert(strstr(err.msg, "HTTP 403: Forbidden: Missing permission timeseries_query; Second"),
              "%s", err.msg);
    fake_dd_stop(&f);
}

Test(live, http_400_and_404_are_permanent)
{
    fake_dd *f = fake_dd_start();
    srr_error err = {0};
    cr_assert_eq(query_once(f, 400, NULL,
                            "{\"errors\":[\"Queries ending outside the retention date are "
                            "invalid\"]}",
                            &err),
                 SRR_EINVAL);
    cr_assert(strstr(err.msg, "check 'cpu': Datadog answered HTTP 400: Queries ending outside "
                              "the retention date are invalid"),
              "%s", err.msg);
    cr_assert_eq(query_once(f, 404, NULL, "", &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "HTTP 404"), "%s", err.msg);
    cr_assert_eq(query_once(f, 401, NULL, "{\"errors\":[\"Unauthorized\"]}", &err), SRR_EAUTH);
    fake_dd_stop(&f);
}

Test(live, http_429_and_5xx_are_retry)
{
    fake_dd *f = fake_dd_start();
    srr_error err = {0};
    cr_assert_eq(query_once(f, 429, "X-RateLimit-Reset: 7", "", &err), SRR_RETRY);
    cr_assert(strstr(err.msg, "HTTP 429"), "%s", err.msg);
    cr_assert(strstr(err.msg, "resets in 7 s"), "%s", err.msg);
    cr_assert_eq(query_once(f, 429, "Content-Type: text/html", "<html>Too many</html>", &err),
                 SRR_RETRY);
    cr_assert_eq(query_once(f, 500, NULL, "", &err), SRR_RETRY);
    cr_assert(strstr(err.msg, "HTTP 500"), "%s", err.msg);
    cr_assert_eq(query_once(f, 502, "Content-Type: text/html", "<html>Bad Gateway</html>", &err),
                 SRR_RETRY);
    cr_assert_eq(query_once(f, 503, NULL,
                            "{\"status\":\"error\",\"code\":503,\"errors\":[\"Unavailable\"]}",
                            &err),
                 SRR_RETRY);
    cr_assert(strstr(err.msg, "Unavailable"), "%s", err.msg);
    fake_dd_stop(&f);
}

Test(live, retries_500_then_succeeds)
{
    fake_dd *f = fake_dd_start();
    int rt = fake_dd_add(f, "GET", "/api/v1/query", NULL, 500, NULL, "");
    fake_dd_add(f, "GET", "/api/v1/query", NULL, 200, NULL, METRICS_OK);
    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    srr_dd_client_set_retry(c, 3, 10);
    srr_metric_result r;
    srr_error err = {0};
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "q", FROM_S, TO_S, &r, &err), SRR_OK, "%s",
                 err.msg);
    cr_assert_eq(fake_dd_hits(f, rt), 2);
    srr_metric_result_clear(&r);

    /* A 4xx is never retried. */
    fake_dd_reset(f);
    rt = fake_dd_add(f, "GET", "/api/v1/query", NULL, 400, NULL, "{\"errors\":[\"bad\"]}");
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "q", FROM_S, TO_S, &r, &err), SRR_EINVAL);
    cr_assert_eq(fake_dd_hits(f, rt), 1);

    /* Retries are bounded. */
    fake_dd_reset(f);
    rt = fake_dd_add(f, "GET", "/api/v1/query", NULL, 503, NULL, "");
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "q", FROM_S, TO_S, &r, &err), SRR_RETRY);
    cr_assert_eq(fake_dd_hits(f, rt), 3);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(live, response_size_bound)
{
    fake_dd *f = fake_dd_start();
    char *big = srr_malloc(20001);
    memset(big, ' ', 20000);
    big[0] = '{';
    memcpy(big + 19990, "\"a\":1}    ", 10);
    big[20000] = '\0';
    fake_dd_add(f, "GET", "/api/v1/query", NULL, 200, NULL, big);
    free(big);
    srr_dd_config cfg = test_cfg();
    cfg.max_response_bytes = 1000;
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    srr_metric_result r;
    srr_error err = {0};
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "q", FROM_S, TO_S, &r, &err), SRR_EIO);
    cr_assert(strstr(err.msg, "max_response_bytes (1000 bytes)"), "%s", err.msg);
    cr_assert(strstr(err.msg, "check 'cpu'"), "%s", err.msg);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(live, timeout_is_retry)
{
    fake_dd *f = fake_dd_start();
    int rt = fake_dd_add(f, "GET", "/api/v1/query", NULL, 200, NULL, METRICS_OK);
    fake_dd_set_delay(f, rt, 1600);
    srr_dd_config cfg = test_cfg();
    cfg.timeout_s = 1;
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    srr_metric_result r;
    srr_error err = {0};
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "q", FROM_S, TO_S, &r, &err), SRR_RETRY);
    cr_assert(strstr(err.msg, "timed out"), "%s", err.msg);
    cr_assert(strstr(err.msg, "check 'cpu'"), "%s", err.msg);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(live, connection_refused_is_retry)
{
    fake_dd *f = fake_dd_start();
    char *url = srr_strdup(fake_dd_url(f));
    fake_dd_stop(&f);
    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_dd_client_create(&cfg, url, SRR_DD_LIVE, NULL, &c, &err), SRR_OK);
    srr_dd_client_set_retry(c, 1, 0);
    srr_metric_result r;
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "q", FROM_S, TO_S, &r, &err), SRR_RETRY);
    cr_assert(strstr(err.msg, "check 'cpu'"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, API_KEY));
    srr_dd_client_destroy(&c);
    free(url);
}

Test(client, missing_keys)
{
    srr_dd_config cfg = test_cfg();
    const char *want = "Datadog API keys missing: set DD_API_KEY and DD_APP_KEY in the "
                       "environment (or use --replay DIR)";
    srr_dd_client *c = NULL;
    srr_error err = {0};
    cfg.api_key = NULL;
    cr_assert_eq(srr_dd_client_create(&cfg, "http://127.0.0.1:1", SRR_DD_LIVE, NULL, &c, &err),
                 SRR_EAUTH);
    cr_assert_str_eq(err.msg, want);
    cr_assert_null(c);
    cfg = test_cfg();
    cfg.app_key = "";
    cr_assert_eq(
        srr_dd_client_create(&cfg, "http://127.0.0.1:1", SRR_DD_RECORD, "/tmp/x", &c, &err),
        SRR_EAUTH);
    cr_assert_str_eq(err.msg, want);
    /* Replay needs no keys and no URL. */
    cfg.api_key = cfg.app_key = NULL;
    cr_assert_eq(srr_dd_client_create(&cfg, NULL, SRR_DD_REPLAY, "/tmp/x", &c, &err), SRR_OK, "%s",
                 err.msg);
    srr_dd_client_destroy(&c);
}

Test(client, check_names_that_escape_the_recording_dir)
{
    fake_dd *f = fake_dd_start();
    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    srr_metric_result r;
    srr_error err = {0};
    const char *bad[] = {"a/b", "..", "x..y", ".hidden", ""};
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(srr_dd_query_metrics(c, bad[i], "q", FROM_S, TO_S, &r, &err), SRR_EINVAL, "%s",
                     bad[i]);
        cr_assert_eq(srr_dd_search_logs(c, bad[i], "q", FROM_S, TO_S, NULL, NULL, NULL, &err),
                     SRR_EINVAL, "%s", bad[i]);
    }
    cr_assert_eq(fake_dd_total_hits(f), 0);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

/* ---- logs -------------------------------------------------------------- */

/* A logs page with events id<first>..id<first+n-1> and an optional cursor. */
static char *logs_page(int first, int n, const char *after)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    (void)srr_buf_printf(&b, "{\"data\":[");
    for (int i = 0; i < n; i++)
        (void)srr_buf_printf(
            &b,
            "%s{\"id\":\"id%d\",\"type\":\"log\",\"attributes\":{\"timestamp\":"
            "\"2026-01-01T00:00:%02d.123Z\",\"status\":\"error\",\"service\":\"checkout\","
            "\"host\":\"i-0abc\",\"message\":\"gateway timeout %d\",\"tags\":[\"env:prod\"],"
            "\"attributes\":{\"http\":{\"status_code\":504}}}}",
            i ? "," : "", first + i, (first + i) % 60, first + i);
    (void)srr_buf_printf(&b, "]");
    if (after)
        (void)srr_buf_printf(&b,
                             ",\"links\":{\"next\":\"https://x/api/v2/logs/events?page%%5Bcursor"
                             "%%5D=%s\"},\"meta\":{\"elapsed\":87,\"request_id\":\"r\","
                             "\"status\":\"done\",\"page\":{\"after\":\"%s\"},\"warnings\":[]}",
                             after, after);
    (void)srr_buf_printf(&b, "}\n");
    return srr_buf_steal(&b);
}

typedef struct collected {
    json_t *events; /* array of {id, ts, status, service, host, message, tags, code} */
    int stop_after; /* 0 = never */
} collected;

static int collect(void *ud, const srr_log_event *ev)
{
    collected *col = ud;
    json_t *o = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:O?, s:O?}", "id", ev->id, "ts",
                          ev->timestamp, "status", ev->status, "service", ev->service, "host",
                          ev->host, "message", ev->message, "tags", (json_t *)ev->tags,
                          "attributes", (json_t *)ev->attributes);
    cr_assert_not_null(o);
    json_array_append_new(col->events, o);
    return col->stop_after && json_array_size(col->events) >= (size_t)col->stop_after;
}

static void add_page(fake_dd *f, int first, int n, const char *after)
{
    char *p = logs_page(first, n, after);
    fake_dd_add(f, "POST", LOGS_PATH, NULL, 200, NULL, p);
    free(p);
}

Test(logs, pages_until_empty_data_without_meta)
{
    fake_dd *f = fake_dd_start();
    add_page(f, 0, 2, "c1");
    add_page(f, 2, 2, "c2");
    int rt = fake_dd_add(f, "POST", LOGS_PATH, NULL, 200, NULL, "{\"data\":[]}");
    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    collected col = {json_array(), 0};
    size_t n = 0;
    srr_error err = {0};
    cr_assert_eq(srr_dd_search_logs(c, "errors", "service:checkout status:error", FROM_S, TO_S,
                                    collect, &col, &n, &err),
                 SRR_OK, "%s", err.msg);
    cr_assert_eq(n, 4);
    cr_assert_eq(json_array_size(col.events), 4);
    cr_assert_eq(fake_dd_hits(f, rt), 3);
    json_t *e = json_array_get(col.events, 3);
    cr_assert_str_eq(json_string_value(json_object_get(e, "id")), "id3");
    cr_assert_str_eq(json_string_value(json_object_get(e, "message")), "gateway timeout 3");
    cr_assert_str_eq(json_string_value(json_object_get(e, "service")), "checkout");
    cr_assert_str_eq(json_string_value(json_object_get(e, "ts")), "2026-01-01T00:00:03.123Z");
    cr_assert_eq(json_integer_value(json_object_get(
                     json_object_get(json_object_get(e, "attributes"), "http"), "status_code")),
                 504);

    char *body = fake_dd_last_body(f);
    json_t *jb = json_loads(body, 0, NULL);
    cr_assert_not_null(jb, "%s", body);
    json_t *want =
        json_pack("{s:{s:s, s:s, s:s}, s:{s:i, s:s}, s:s}", "filter", "query",
                  "service:checkout status:error", "from", "1767225600000", "to", "1767229200000",
                  "page", "limit", 2, "cursor", "c2", "sort", "timestamp");
    cr_assert(json_equal(jb, want), "%s", body);
    char *ct = fake_dd_last_header(f, "Content-Type");
    char *key = fake_dd_last_header(f, "DD-API-KEY");
    cr_assert_str_eq(ct, "application/json");
    cr_assert_str_eq(key, API_KEY);
    free(ct), free(key), free(body);
    json_decref(jb), json_decref(want), json_decref(col.events);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(logs, stops_when_cursor_absent)
{
    fake_dd *f = fake_dd_start();
    add_page(f, 0, 2, "c1");
    add_page(f, 2, 1, NULL);
    int rt = fake_dd_add(f, "POST", LOGS_PATH, NULL, 500, NULL, ""); /* never reached */
    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    size_t n = 0;
    srr_error err = {0};
    cr_assert_eq(srr_dd_search_logs(c, "errors", "*", FROM_S, TO_S, NULL, NULL, &n, &err), SRR_OK,
                 "%s", err.msg);
    cr_assert_eq(n, 3);
    cr_assert_eq(fake_dd_hits(f, rt), 2);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(logs, short_page_with_cursor_goes_on)
{
    /* A short page can still carry a cursor (datadog-api.md section 9). */
    fake_dd *f = fake_dd_start();
    add_page(f, 0, 1, "c1");
    int rt = fake_dd_add(f, "POST", LOGS_PATH, NULL, 200, NULL, "{\"data\":[]}");
    srr_dd_config cfg = test_cfg();
    cfg.log_page_limit = 5000; /* clamped to 1000 */
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    size_t n = 0;
    cr_assert_eq(srr_dd_search_logs(c, "errors", "*", FROM_S, TO_S, NULL, NULL, &n, NULL), SRR_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(fake_dd_hits(f, rt), 2);
    char *body = fake_dd_last_body(f);
    cr_assert(strstr(body, "\"limit\":1000"), "%s", body);
    free(body);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(logs, early_stop_from_callback)
{
    fake_dd *f = fake_dd_start();
    add_page(f, 0, 2, "c1");
    add_page(f, 2, 2, "c2");
    int rt = fake_dd_add(f, "POST", LOGS_PATH, NULL, 200, NULL, "{\"data\":[]}");
    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    collected col = {json_array(), 3};
    size_t n = 0;
    cr_assert_eq(srr_dd_search_logs(c, "errors", "*", FROM_S, TO_S, collect, &col, &n, NULL),
                 SRR_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(fake_dd_hits(f, rt), 2);
    json_decref(col.events);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(logs, bounded_by_max_log_pages_is_partial)
{
    fake_dd *f = fake_dd_start();
    int rt = -1;
    for (int i = 0; i < 5; i++) {
        char cur[16];
        snprintf(cur, sizeof(cur), "c%d", i + 1);
        char *p = logs_page(i * 2, 2, cur);
        rt = fake_dd_add(f, "POST", LOGS_PATH, NULL, 200, NULL, p);
        free(p);
    }
    srr_dd_config cfg = test_cfg();
    cfg.max_log_pages = 3;
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    size_t n = 0;
    srr_error err = {0};
    /* The cap reached with pages left: what arrived is delivered, and the
     * answer is told partial (a count or a pattern baseline from it would
     * not be the truth). */
    cr_assert_eq(srr_dd_search_logs(c, "errors", "*", FROM_S, TO_S, NULL, NULL, &n, &err),
                 SRR_EPARTIAL, "%s", err.msg);
    cr_assert(strstr(err.msg, "datadog.max_log_pages") != NULL, "%s", err.msg);
    cr_assert_eq(n, 6);
    cr_assert_eq(fake_dd_hits(f, rt), 3);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(logs, errors_are_classified)
{
    fake_dd *f = fake_dd_start();
    add_page(f, 0, 2, "c1");
    fake_dd_add(f, "POST", LOGS_PATH, NULL, 403, NULL, "{\"errors\":[{\"title\":\"Forbidden\"}]}");
    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    size_t n = 0;
    srr_error err = {0};
    cr_assert_eq(srr_dd_search_logs(c, "errors", "*", FROM_S, TO_S, NULL, NULL, &n, &err),
                 SRR_EAUTH);
    cr_assert(strstr(err.msg, "check 'errors'"), "%s", err.msg);
    cr_assert(strstr(err.msg, "HTTP 403: Forbidden"), "%s", err.msg);
    cr_assert_eq(n, 2);

    fake_dd_reset(f);
    fake_dd_add(f, "POST", LOGS_PATH, NULL, 200, NULL, "{\"data\":[{\"id\":");
    cr_assert_eq(srr_dd_search_logs(c, "errors", "*", FROM_S, TO_S, NULL, NULL, &n, &err),
                 SRR_EINVAL);
    cr_assert(strstr(err.msg, "HTTP 200 with a body that is not JSON"), "%s", err.msg);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

/* ---- record and replay -------------------------------------------------- */

static int file_exists(const char *dir, const char *rel)
{
    char *p = srr_asprintf("%s/%s", dir, rel);
    struct stat st;
    int ok = stat(p, &st) == 0;
    free(p);
    return ok;
}

static json_t *series_json(const srr_metric_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->nseries; i++) {
        const srr_series *s = &r->series[i];
        json_t *pts = json_array();
        for (size_t j = 0; j < s->npoints; j++)
            json_array_append_new(pts, json_pack("[f, f, b]", s->points[j].ts_ms,
                                                 s->points[j].value, s->points[j].is_null));
        json_array_append_new(a,
                              json_pack("{s:s?, s:s?, s:s?, s:s?, s:i, s:o}", "metric", s->metric,
                                        "expression", s->expression, "scope", s->scope, "unit",
                                        s->unit, "ntags", (int)s->ntags, "points", pts));
    }
    return a;
}

Test(replay, record_then_replay_is_identical)
{
    char *dir = make_tmpdir();
    fake_dd *f = fake_dd_start();
    fake_dd_add(f, "GET", "/api/v1/query", NULL, 500, NULL, "<html>oops</html>");
    fake_dd_add(f, "GET", "/api/v1/query", NULL, 200, NULL, METRICS_OK);
    add_page(f, 0, 2, "c1");
    add_page(f, 2, 2, "c2");
    fake_dd_add(f, "POST", LOGS_PATH, NULL, 200, NULL, "{\"data\":[]}");

    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_RECORD, dir);
    srr_dd_client_set_retry(c, 3, 0);
    srr_metric_result r1, r2;
    srr_error err = {0};
    collected l1 = {json_array(), 0}, l2 = {json_array(), 0};
    size_t n1 = 0, n2 = 0;
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "avg:system.cpu.idle{*}", FROM_S, TO_S, &r1, &err),
                 SRR_OK, "%s", err.msg);
    cr_assert_eq(
        srr_dd_search_logs(c, "errors", "status:error", FROM_S, TO_S, collect, &l1, &n1, &err),
        SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_dd_recording_write_meta(dir, TO_S, &err), SRR_OK, "%s", err.msg);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);

    cr_assert(file_exists(dir, "cpu/001.request.json"));
    cr_assert(file_exists(dir, "cpu/001.response.json"));
    cr_assert(file_exists(dir, "cpu/002.response.json"));
    cr_assert(file_exists(dir, "errors/003.request.json"));
    cr_assert(!file_exists(dir, "errors/004.request.json"));

    /* The recorded request says what was asked and what came back. */
    char *p = srr_asprintf("%s/cpu/001.request.json", dir);
    json_t *rq = json_load_file(p, 0, NULL);
    free(p);
    json_t *want = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:i}", "method", "GET", "path",
                             "/api/v1/query", "query", "from", "1767225600", "to", "1767229200",
                             "query", "avg:system.cpu.idle{*}", "status", 500);
    cr_assert(json_equal(rq, want));
    json_decref(rq), json_decref(want);
    p = srr_asprintf("%s/errors/002.request.json", dir);
    rq = json_load_file(p, 0, NULL);
    free(p);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(rq, "body"), "page"), "cursor")),
                     "c1");
    json_decref(rq);

    /* Replay: server gone, no keys. */
    srr_dd_config none = {0};
    cr_assert_eq(srr_dd_client_create(&none, NULL, SRR_DD_REPLAY, dir, &c, &err), SRR_OK, "%s",
                 err.msg);
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "avg:system.cpu.idle{*}", FROM_S, TO_S, &r2, &err),
                 SRR_OK, "%s", err.msg);
    cr_assert_eq(
        srr_dd_search_logs(c, "errors", "status:error", FROM_S, TO_S, collect, &l2, &n2, &err),
        SRR_OK, "%s", err.msg);
    json_t *s1 = series_json(&r1), *s2 = series_json(&r2);
    cr_assert(json_equal(s1, s2));
    cr_assert_eq(json_array_size(s1), 1);
    cr_assert_eq(n1, 4);
    cr_assert_eq(n2, 4);
    cr_assert(json_equal(l1.events, l2.events));
    int64_t we = 0;
    cr_assert_eq(srr_dd_recording_read_meta(dir, &we, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(we, TO_S);

    json_decref(s1), json_decref(s2), json_decref(l1.events), json_decref(l2.events);
    srr_metric_result_clear(&r1);
    srr_metric_result_clear(&r2);
    srr_dd_client_destroy(&c);
    rm_rf(dir);
    free(dir);
}

Test(replay, missing_file_is_named)
{
    char *dir = make_tmpdir();
    srr_dd_client *c = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_dd_client_create(NULL, NULL, SRR_DD_REPLAY, dir, &c, &err), SRR_OK);
    srr_metric_result r;
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "q", FROM_S, TO_S, &r, &err), SRR_EINVAL);
    char *want = srr_asprintf("%s/cpu/001.request.json is missing", dir);
    cr_assert(strstr(err.msg, want), "%s", err.msg);
    free(want);
    int64_t we;
    cr_assert_eq(srr_dd_recording_read_meta(dir, &we, &err), SRR_ENOTFOUND);
    cr_assert(strstr(err.msg, "sweep.json"), "%s", err.msg);
    srr_dd_client_destroy(&c);
    rm_rf(dir);
    free(dir);
}

Test(replay, mismatch_and_recorded_errors)
{
    char *dir = make_tmpdir();
    fake_dd *f = fake_dd_start();
    fake_dd_add(f, "GET", "/api/v1/query", NULL, 403, NULL, "{\"errors\":[\"Forbidden\"]}");
    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_RECORD, dir);
    srr_metric_result r;
    srr_error err = {0};
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "q", FROM_S, TO_S, &r, &err), SRR_EAUTH);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);

    /* A recorded 403 replays as the same refusal. */
    cr_assert_eq(srr_dd_client_create(NULL, NULL, SRR_DD_REPLAY, dir, &c, &err), SRR_OK);
    srr_error err2 = {0};
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "q", FROM_S, TO_S, &r, &err2), SRR_EAUTH);
    cr_assert_str_eq(err2.msg, err.msg);
    srr_dd_client_destroy(&c);

    /* Asking a logs search where a metric query was recorded. */
    cr_assert_eq(srr_dd_client_create(NULL, NULL, SRR_DD_REPLAY, dir, &c, &err), SRR_OK);
    cr_assert_eq(srr_dd_search_logs(c, "cpu", "*", FROM_S, TO_S, NULL, NULL, NULL, &err),
                 SRR_EINVAL);
    cr_assert(strstr(err.msg, "cpu/001.request.json recorded GET /api/v1/query"), "%s", err.msg);
    srr_dd_client_destroy(&c);
    rm_rf(dir);
    free(dir);
}

/* ---- links -------------------------------------------------------------- */

Test(links, metrics_and_logs)
{
    char *m = srr_dd_link_metrics("datadoghq.com", "avg:process.rss{service:worker}", FROM_S, TO_S);
    cr_assert_str_eq(m, "https://app.datadoghq.com/metric/explorer?exp_metric="
                        "avg%3Aprocess.rss%7Bservice%3Aworker%7D&from_ts=1767225600000"
                        "&to_ts=1767229200000&live=false");
    char *l = srr_dd_link_logs("datadoghq.eu", "service:checkout status:error", FROM_S, TO_S);
    cr_assert_str_eq(l, "https://app.datadoghq.eu/logs?query=service%3Acheckout%20status%3Aerror"
                        "&from_ts=1767225600000&to_ts=1767229200000&live=false");
    char *u = srr_dd_link_logs("us3.datadoghq.com", "*", FROM_S, TO_S);
    cr_assert_str_eq(u, "https://us3.datadoghq.com/logs?query=%2A&from_ts=1767225600000"
                        "&to_ts=1767229200000&live=false");
    char *d = srr_dd_link_logs(NULL, "x", 0, 1);
    cr_assert_str_eq(d, "https://app.datadoghq.com/logs?query=x&from_ts=0&to_ts=1000&live=false");
    free(m), free(l), free(u), free(d);
}

/* ---- the fake server itself ---------------------------------------------- */

Test(fake_dd, routes_match_and_unmatched)
{
    fake_dd *f = fake_dd_start();
    int a = fake_dd_add(f, "GET", "/api/v1/query", NULL, 200, NULL, METRICS_OK);
    int b = fake_dd_add(f, "GET", "/api/v1/query", "query=special", 403, NULL,
                        "{\"errors\":[\"special\"]}");
    cr_assert_neq(a, b);
    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    srr_metric_result r;
    srr_error err = {0};
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "special", FROM_S, TO_S, &r, &err), SRR_EAUTH);
    cr_assert_eq(srr_dd_query_metrics(c, "cpu", "plain", FROM_S, TO_S, &r, &err), SRR_OK);
    srr_metric_result_clear(&r);
    cr_assert_eq(fake_dd_hits(f, a), 1);
    cr_assert_eq(fake_dd_hits(f, b), 1);
    cr_assert_eq(srr_dd_search_logs(c, "l", "*", FROM_S, TO_S, NULL, NULL, NULL, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "no route for POST"), "%s", err.msg);
    cr_assert_eq(fake_dd_unmatched(f), 1);
    cr_assert_eq(fake_dd_total_hits(f), 3);
    cr_assert_eq(fake_dd_max_inflight(f), 1);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(logs, long_query_body_is_sent_whole)
{
    /* Bodies over 1 KiB must not wait for a "100 Continue". */
    fake_dd *f = fake_dd_start();
    int rt = fake_dd_add(f, "POST", LOGS_PATH, "zzzz", 200, NULL, "{\"data\":[]}");
    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    char q[3001];
    memset(q, 'a', 3000);
    memcpy(q + 2990, "zzzz", 4);
    q[3000] = '\0';
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(srr_dd_search_logs(c, "long", q, FROM_S, TO_S, NULL, NULL, NULL, NULL), SRR_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert_lt(dt, 0.5, "took %.3f s", dt);
    cr_assert_eq(fake_dd_hits(f, rt), 1);
    char *expect = fake_dd_last_header(f, "Expect");
    cr_assert_null(expect);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}

Test(parse, errors_inside_200)
{
    const char *b = "{\"errors\":[\"Something went wrong\"]}";
    srr_metric_result r;
    srr_error err = {0};
    cr_assert_eq(srr_dd_parse_metrics("cpu", b, strlen(b), &r, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "HTTP 200 with errors: Something went wrong"), "%s", err.msg);

    fake_dd *f = fake_dd_start();
    fake_dd_add(f, "POST", LOGS_PATH, NULL, 200, NULL, "{\"errors\":[{\"detail\":\"bad query\"}]}");
    srr_dd_config cfg = test_cfg();
    srr_dd_client *c = live_client(&cfg, f, SRR_DD_LIVE, NULL);
    cr_assert_eq(srr_dd_search_logs(c, "errors", "*", FROM_S, TO_S, NULL, NULL, NULL, &err),
                 SRR_EINVAL);
    cr_assert(strstr(err.msg, "HTTP 200 with errors: bad query"), "%s", err.msg);
    srr_dd_client_destroy(&c);
    fake_dd_stop(&f);
}
