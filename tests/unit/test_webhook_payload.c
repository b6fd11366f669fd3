/* SPDX-License-Identifier: Apache-2.0
 *
 * test_webhook_payload.c - from Datadog webhook bodies to alerts
 * (ingest/webhook.h, srr_webhook_parse): Datadog's default payload, the
 * recommended template, every documented transition and an unknown one, the
 * form encoding, ids that make retries dedupe (and a repeating "id" that
 * does not swallow transitions), the group of a multi-alert monitor read
 * from the default payload's title, event_tags, the [P1] prefix, and the
 * bodies that must be refused (400) with a reason. Every body is also read
 * by jansson alone (srr_webhook_parse_full) and must map to the same alert.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"
#include "webhook_client.h"

#define NOW 1767000000

static srr_webhook_alert parse_ok(const char *body, srr_webhook_encoding enc)
{
    srr_webhook_alert a;
    srr_error err = {0};
    srr_rc rc = srr_webhook_parse(body, strlen(body), enc, NOW, &a, &err);
    cr_assert_eq(rc, SRR_OK, "parse failed: %s", err.msg);
    return a;
}

static void parse_fails(const char *body, srr_webhook_encoding enc, const char *reason_part)
{
    srr_webhook_alert a;
    srr_error err = {0};
    srr_rc rc = srr_webhook_parse(body, strlen(body), enc, NOW, &a, &err);
    cr_assert_eq(rc, SRR_EINVAL, "expected a refusal for %s", body);
    cr_assert(strstr(err.msg, reason_part), "reason '%s' lacks '%s'", err.msg, reason_part);
    cr_assert_null(a.signal.check);
}


/* Member `key` of a parsed alert's evidence, or NULL when it has none. The
 * evidence must be a JSON object written exactly as json_dumps writes it
 * (JSON_COMPACT), and the tree form unset. Valid until the next call. */
static const char *ev_member(const srr_signal *s, const char *key)
{
    static char val[4096];
    json_t *j;
    char *again;
    const char *v;
    cr_assert_not_null(s->evidence_json, "no evidence");
    cr_assert_null(s->evidence, "both forms of the evidence are set");
    j = json_loads(s->evidence_json, 0, NULL);
    cr_assert(json_is_object(j), "the evidence is not a JSON object: %s", s->evidence_json);
    again = json_dumps(j, JSON_COMPACT);
    cr_assert_str_eq(again, s->evidence_json);
    free(again);
    v = json_string_value(json_object_get(j, key));
    if (v)
        snprintf(val, sizeof val, "%s", v);
    json_decref(j);
    return v ? val : NULL;
}

Test(webhook_payload, recommended_template)
{
    char *body = wh_payload("7716548234011234567", "Triggered");
    srr_webhook_alert a = parse_ok(body, SRR_WEBHOOK_JSON);
    const srr_signal *s = &a.signal;
    cr_assert_eq(s->source, SRR_SRC_WEBHOOK);
    cr_assert_eq(s->kind, SRR_KIND_MONITOR_ALERT);
    cr_assert_eq(s->status, SRR_STATUS_FIRING);
    cr_assert_str_eq(s->check, "48213377");
    cr_assert_str_eq(a.event_id, "7716548234011234567"); /* 19 digits, kept as text */
    cr_assert_str_eq(a.transition, "Triggered");
    cr_assert_str_eq(s->service, "web");
    cr_assert_str_eq(s->env, "prod");
    cr_assert_str_eq(s->priority, "P2");
    cr_assert_eq(s->observed_at, 1767226200); /* epoch-ms string */
    cr_assert_str_eq(srr_signal_tag(s, "host"), "web-01");
    cr_assert_not_null(srr_signal_tag(s, "service"));
    cr_assert_str_eq(s->summary, "CPU high on web tier on host:web-01");
    cr_assert(strstr(s->condition, "system.cpu.user"));
    cr_assert(strstr(s->link, "7716548234011234567"));
    cr_assert_eq(strlen(a.id), 32);
    cr_assert_str_eq(ev_member(s, "event_id"), "7716548234011234567");
    cr_assert_str_eq(ev_member(s, "org_name"), "Acme");
    srr_webhook_alert_clear(&a);
    free(body);
}

Test(webhook_payload, default_payload)
{
    /* Datadog's default payload: no $ALERT_* at all. */
    const char *body =
        "{\"body\":\"%%%\\nCPU above 90% on web-01\\n%%%\",\"last_updated\":\"1684492195000\","
        "\"event_type\":\"query_alert_monitor\",\"title\":\"[P1] [Recovered on {host:web-01}] "
        "CPU high\",\"date\":\"1684492195000\",\"org\":{\"id\":\"11023\",\"name\":\"Acme\"},"
        "\"id\":\"7050278235293370890\"}";
    srr_webhook_alert a = parse_ok(body, SRR_WEBHOOK_JSON);
    cr_assert_str_eq(a.signal.check, "CPU high"); /* the monitor name from the title */
    cr_assert_str_eq(a.transition, "Recovered"); /* from the title's bracket */
    cr_assert_eq(a.signal.status, SRR_STATUS_RECOVERED);
    cr_assert_eq(a.signal.observed_at, 1684492195);
    cr_assert_str_eq(ev_member(&a.signal, "org_id"), "11023");
    srr_webhook_alert_clear(&a);
}

Test(webhook_payload, every_transition)
{
    static const struct {
        const char *t;
        srr_status st;
    } cases[] = {{"Triggered", SRR_STATUS_FIRING},    {"Re-Triggered", SRR_STATUS_FIRING},
                 {"Warn", SRR_STATUS_FIRING},         {"Re-Warn", SRR_STATUS_FIRING},
                 {"No Data", SRR_STATUS_FIRING},      {"Re-No Data", SRR_STATUS_FIRING},
                 {"Renotify", SRR_STATUS_FIRING},     {"Recovered", SRR_STATUS_RECOVERED},
                 {"Escalated Sideways", SRR_STATUS_FIRING}};
    char ids[sizeof cases / sizeof cases[0]][33];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = wh_payload("7716548234011234567", cases[i].t);
        srr_webhook_alert a = parse_ok(body, SRR_WEBHOOK_JSON);
        cr_assert_eq(a.signal.status, cases[i].st, "%s", cases[i].t);
        cr_assert_str_eq(a.transition, cases[i].t); /* recorded as sent, even unknown */
        cr_assert_str_eq(ev_member(&a.signal, "transition"), cases[i].t);
        memcpy(ids[i], a.id, 33);
        srr_webhook_alert_clear(&a);
        free(body);
    }
    /* An "id" that repeats across transitions (a template sending $ALERT_ID
     * there) must not make Re-Triggered and Recovered duplicates of
     * Triggered: the transition is part of the candidate id. */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (size_t k = i + 1; k < sizeof cases / sizeof cases[0]; k++)
            cr_assert_str_neq(ids[i], ids[k], "%s and %s share an id", cases[i].t, cases[k].t);
}

Test(webhook_payload, same_id_same_candidate_id_and_cycle_fallback)
{
    char *b1 = wh_payload("1000000000000000001", "Triggered");
    char *b2 = wh_payload("1000000000000000002", "Triggered");
    srr_webhook_alert a1 = parse_ok(b1, SRR_WEBHOOK_JSON), a1b = parse_ok(b1, SRR_WEBHOOK_JSON);
    srr_webhook_alert a2 = parse_ok(b2, SRR_WEBHOOK_JSON);
    cr_assert_str_eq(a1.id, a1b.id);
    cr_assert_str_neq(a1.id, a2.id);
    /* same thing at risk, so the same fingerprint inputs */
    cr_assert_str_eq(a1.signal.check, a2.signal.check);
    srr_webhook_alert_clear(&a1);
    srr_webhook_alert_clear(&a1b);
    srr_webhook_alert_clear(&a2);

    /* no $ID: cycle key + transition + date */
    const char *c1 = "{\"alert_id\":\"1\",\"alert_cycle_key\":\"99\",\"alert_transition\":"
                     "\"Triggered\",\"date\":\"1767226200000\"}";
    const char *c2 = "{\"alert_id\":\"1\",\"alert_cycle_key\":\"99\",\"alert_transition\":"
                     "\"Recovered\",\"date\":\"1767226260000\"}";
    srr_webhook_alert x = parse_ok(c1, SRR_WEBHOOK_JSON), y = parse_ok(c2, SRR_WEBHOOK_JSON),
                      x2 = parse_ok(c1, SRR_WEBHOOK_JSON);
    cr_assert_str_eq(x.id, x2.id);
    cr_assert_str_neq(x.id, y.id);
    cr_assert_eq(y.signal.status, SRR_STATUS_RECOVERED);
    srr_webhook_alert_clear(&x);
    srr_webhook_alert_clear(&x2);
    srr_webhook_alert_clear(&y);
    free(b1);
    free(b2);
}

Test(webhook_payload, numbers_unexpanded_and_tag_lists)
{
    /* an unquoted $ID (jansson keeps 64-bit integers exact), an unexpanded
     * $ALERT_PRIORITY, $TAGS with spaces, $DATE as a number */
    const char *body = "{\"id\":7050278235293370890,\"alert_id\":\"55\",\"alert_priority\":"
                       "\"$ALERT_PRIORITY\",\"tags\":\"monitor, name:myService, "
                       "role:computing-node\",\"date\":1406662672000,\"alert_transition\":"
                       "\"Warn\"}";
    srr_webhook_alert a = parse_ok(body, SRR_WEBHOOK_JSON);
    cr_assert_str_eq(a.event_id, "7050278235293370890");
    cr_assert_null(a.signal.priority);
    cr_assert_str_eq(srr_signal_tag(&a.signal, "role"), "computing-node");
    cr_assert_str_eq(srr_signal_tag(&a.signal, "name"), "myService");
    cr_assert_eq(a.signal.observed_at, 1406662672);
    cr_assert_null(a.signal.service);
    srr_webhook_alert_clear(&a);
}

Test(webhook_payload, form_encoding)
{
    const char *body = "id=7716548234011234567&alert_id=48213377&alert_transition=Re-Triggered"
                       "&title=%5BRe-Triggered%5D+Disk+full&tags=env%3Aprod%2Cservice%3Adb"
                       "&date=1767226200000&org%5Bid%5D=11023&text_only_msg=disk+at+97%25";
    srr_webhook_alert a = parse_ok(body, SRR_WEBHOOK_FORM);
    cr_assert_str_eq(a.signal.check, "48213377");
    cr_assert_str_eq(a.transition, "Re-Triggered");
    cr_assert_eq(a.signal.status, SRR_STATUS_FIRING);
    cr_assert_str_eq(a.signal.service, "db");
    cr_assert_str_eq(a.signal.summary, "Disk full");
    cr_assert_str_eq(ev_member(&a.signal, "org_id"), "11023");
    cr_assert_str_eq(ev_member(&a.signal, "message"), "disk at 97%");
    srr_webhook_alert_clear(&a);

    /* the same id as the JSON encoding of the same alert */
    char *json = wh_payload("7716548234011234567", "Re-Triggered");
    srr_webhook_alert j = parse_ok(json, SRR_WEBHOOK_JSON),
                      f = parse_ok("id=7716548234011234567&alert_id=1&alert_transition=Re-"
                                   "Triggered&date=1767226200000",
                                   SRR_WEBHOOK_FORM);
    cr_assert_str_eq(j.id, f.id);
    srr_webhook_alert_clear(&j);
    srr_webhook_alert_clear(&f);
    free(json);

    /* a form whose one field is the whole JSON template */
    char *enc = srr_asprintf("payload=%s", "%7B%22id%22%3A%2242%22%2C%22alert_id%22%3A%227%22%7D");
    srr_webhook_alert p = parse_ok(enc, SRR_WEBHOOK_FORM);
    cr_assert_str_eq(p.event_id, "42");
    cr_assert_str_eq(p.signal.check, "7");
    srr_webhook_alert_clear(&p);
    free(enc);
}

Test(webhook_payload, refusals)
{
    parse_fails("", SRR_WEBHOOK_JSON, "not JSON");
    parse_fails("{\"id\":", SRR_WEBHOOK_JSON, "not JSON");
    parse_fails("[1,2]", SRR_WEBHOOK_JSON, "not a JSON object");
    parse_fails("{\"alert_id\":\"1\"}", SRR_WEBHOOK_JSON, "no $ID");
    parse_fails("{\"id\":\"$ID\",\"alert_id\":\"1\"}", SRR_WEBHOOK_JSON, "no $ID");
    parse_fails("{\"id\":\"5\"}", SRR_WEBHOOK_JSON, "name the monitor");
    parse_fails("id=%ZZ", SRR_WEBHOOK_FORM, "escape");
    parse_fails("id=%FF%FE&alert_id=1", SRR_WEBHOOK_FORM, "UTF-8");
    parse_fails("id=1&alert_id=", SRR_WEBHOOK_FORM, "name the monitor");
}

Test(webhook_payload, evidence_stays_bounded)
{
    char *body = wh_payload_sized("1", "Triggered", 200000);
    srr_webhook_alert a = parse_ok(body, SRR_WEBHOOK_JSON);
    cr_assert_leq(strlen(a.signal.evidence_json), SRR_SIGNAL_MAX_EVIDENCE_BYTES);
    cr_assert_leq(strlen(ev_member(&a.signal, "message")), 1024); /* cut to WH_MAX_MESSAGE */
    cr_assert_str_eq(ev_member(&a.signal, "event_id"), "1");
    srr_webhook_alert_clear(&a);
    free(body);

    /* Text that grows when escaped (a control character becomes six bytes)
     * is measured as written, not as read. */
    srr_buf b;
    srr_buf_init(&b, 0);
    srr_buf_printf(&b, "{\"id\":\"2\",\"alert_id\":\"7\",\"title\":\"");
    for (int i = 0; i < 600; i++)
        srr_buf_printf(&b, "\\u0001");
    srr_buf_printf(&b, "\",\"alert_status\":\"");
    for (int i = 0; i < 600; i++)
        srr_buf_printf(&b, "\\\"q");
    srr_buf_printf(&b, "\",\"text_only_msg\":\"");
    for (int i = 0; i < 500; i++)
        srr_buf_printf(&b, "\\t");
    srr_buf_printf(&b, "\"}");
    a = parse_ok(b.data, SRR_WEBHOOK_JSON);
    cr_assert_leq(strlen(a.signal.evidence_json), SRR_SIGNAL_MAX_EVIDENCE_BYTES, "%zu bytes",
                  strlen(a.signal.evidence_json));
    cr_assert_null(ev_member(&a.signal, "message")); /* left out first, */
    cr_assert_null(ev_member(&a.signal, "alert_status")); /* then this, */
    cr_assert_not_null(ev_member(&a.signal, "title")); /* and that was enough */
    cr_assert_str_eq(ev_member(&a.signal, "alert_id"), "7");
    srr_webhook_alert_clear(&a);
    srr_buf_free(&b);
}

Test(webhook_payload, content_types)
{
    srr_webhook_encoding e;
    cr_assert_eq(srr_webhook_encoding_of("application/json", &e), SRR_OK);
    cr_assert_eq(e, SRR_WEBHOOK_JSON);
    cr_assert_eq(srr_webhook_encoding_of("Application/JSON; charset=utf-8", &e), SRR_OK);
    cr_assert_eq(srr_webhook_encoding_of(NULL, &e), SRR_OK);
    cr_assert_eq(e, SRR_WEBHOOK_JSON);
    cr_assert_eq(srr_webhook_encoding_of("application/x-www-form-urlencoded", &e), SRR_OK);
    cr_assert_eq(e, SRR_WEBHOOK_FORM);
    cr_assert_eq(srr_webhook_encoding_of("text/plain", &e), SRR_EINVAL);
    cr_assert_eq(srr_webhook_encoding_of("multipart/form-data; boundary=x", &e), SRR_EINVAL);
    cr_assert_eq(srr_webhook_encoding_of("application/jsonx", &e), SRR_EINVAL);
}

/* ---- the one-pass reader against jansson --------------------------------
 *
 * srr_webhook_parse reads the usual shape without jansson. Its promise: for
 * every body, the same alert (or the same refusal, in the same words) as
 * srr_webhook_parse_full, where jansson reads everything.
 */

/* Parses body both ways and asserts they agree; returns whether the
 * one-pass reader took it. */
static int check_both(const char *body, size_t len)
{
    srr_webhook_alert a, b;
    srr_error ea = {0}, eb = {0};
    srr_rc ra = srr_webhook_parse(body, len, SRR_WEBHOOK_JSON, NOW, &a, &ea);
    srr_rc rb = srr_webhook_parse_full(body, len, SRR_WEBHOOK_JSON, NOW, &b, &eb);
    int fast = srr_webhook_fast_shape(body, len);
    cr_assert_eq(ra, rb, "fast %s, jansson %s: %.*s", srr_rc_str(ra), srr_rc_str(rb), (int)len,
                 body);
    if (ra == SRR_OK) {
        char *ta = srr_webhook_alert_dumps(&a), *tb = srr_webhook_alert_dumps(&b);
        cr_assert_str_eq(ta, tb, "read differently: %.*s", (int)len, body);
        free(ta);
        free(tb);
        srr_webhook_alert_clear(&a);
        srr_webhook_alert_clear(&b);
    } else {
        cr_assert_str_eq(ea.msg, eb.msg);
        cr_assert(!fast || strstr(ea.msg, "no $"), "the one-pass reader took a bad body: %.*s",
                  (int)len, body);
    }
    return fast;
}

#define CHECK(body) check_both((body), strlen(body))

/* Datadog's default payload for one group of a multi-alert monitor. */
static char *default_payload(const char *id, const char *transition, const char *host,
                             const char *date_ms)
{
    return srr_asprintf("{\"body\":\"%%%%%%\\nDisk above 95%% on %s\\n%%%%%%\","
                        "\"last_updated\":\"%s\",\"event_type\":\"query_alert_monitor\","
                        "\"title\":\"[P1] [%s on {host:%s,device:/dev/sda}] Disk full\","
                        "\"date\":\"%s\",\"org\":{\"id\":\"11023\",\"name\":\"Acme\"},"
                        "\"id\":\"%s\"}",
                        host, date_ms, transition, host, date_ms, id);
}

Test(webhook_payload, default_payload_keeps_each_group_apart)
{
    /* Without $TAGS or $ALERT_SCOPE, the title's {...} scope is the group:
     * three hosts of one monitor are three things, and the [P1] prefix is
     * the priority. Both readers agree. */
    const char *hosts[] = {"db-01", "db-02", "db-03"};
    char fps[3][256];
    for (int i = 0; i < 3; i++) {
        char id[32];
        snprintf(id, sizeof id, "705027823529337089%d", i);
        char *body = default_payload(id, "Triggered", hosts[i], "1684492195000");
        cr_assert(check_both(body, strlen(body)), "the default payload takes the fast path");
        srr_webhook_alert a = parse_ok(body, SRR_WEBHOOK_JSON);
        cr_assert_str_eq(a.signal.check, "Disk full");
        cr_assert_str_eq(srr_signal_tag(&a.signal, "host"), hosts[i]);
        cr_assert_str_eq(srr_signal_tag(&a.signal, "device"), "/dev/sda");
        cr_assert_str_eq(a.signal.priority, "P1");
        cr_assert_eq(a.signal.status, SRR_STATUS_FIRING);
        cr_assert(strstr(a.signal.summary, hosts[i]) != NULL, "%s", a.signal.summary);
        snprintf(fps[i], sizeof fps[i], "%s|%s|%s", a.signal.check,
                 srr_signal_tag(&a.signal, "host"), srr_signal_tag(&a.signal, "device"));
        srr_webhook_alert_clear(&a);
        free(body);
    }
    cr_assert_str_neq(fps[0], fps[1]);
    cr_assert_str_neq(fps[1], fps[2]);
    /* A recovery names its own host only. */
    char *rec = default_payload("7050278235293370899", "Recovered", "db-02", "1684492795000");
    srr_webhook_alert r = parse_ok(rec, SRR_WEBHOOK_JSON);
    cr_assert_eq(r.signal.status, SRR_STATUS_RECOVERED);
    cr_assert_str_eq(srr_signal_tag(&r.signal, "host"), "db-02");
    cr_assert_eq(r.signal.observed_at, 1684492795);
    srr_webhook_alert_clear(&r);
    free(rec);
}

Test(webhook_payload, hostname_event_tags_and_scope_precedence)
{
    /* host_name fills the host when no tag names one; event_tags are tags;
     * $ALERT_SCOPE wins over the title's scope. */
    const char *a1 = "{\"id\":\"1\",\"alert_id\":\"9\",\"host_name\":\"w-7\","
                     "\"event_tags\":\"env:prod, service:pay\",\"title\":\"[Triggered] CPU\","
                     "\"date\":\"1767226200000\"}";
    CHECK(a1);
    srr_webhook_alert a = parse_ok(a1, SRR_WEBHOOK_JSON);
    cr_assert_str_eq(srr_signal_tag(&a.signal, "host"), "w-7");
    cr_assert_str_eq(a.signal.service, "pay");
    cr_assert_str_eq(a.signal.env, "prod");
    srr_webhook_alert_clear(&a);
    const char *a2 = "{\"id\":\"2\",\"alert_id\":\"9\",\"alert_scope\":\"host:a\","
                     "\"title\":\"[Triggered on {host:b}] CPU\",\"date\":\"1767226200000\","
                     "\"event_tags\":[\"team:core\",\"env:prod\"]}";
    CHECK(a2);
    a = parse_ok(a2, SRR_WEBHOOK_JSON);
    cr_assert_str_eq(srr_signal_tag(&a.signal, "host"), "a");
    cr_assert_str_eq(srr_signal_tag(&a.signal, "team"), "core");
    srr_webhook_alert_clear(&a);
}

Test(webhook_payload, repeating_id_template_keeps_every_transition)
{
    /* A team template whose "id" holds $ALERT_ID: the same id on every
     * transition. Triggered -> Re-Triggered -> Recovered are three
     * candidates; a retry of one of them is the same candidate. */
    static const char *const tr[] = {"Triggered", "Re-Triggered", "Recovered"};
    static const char *const dates[] = {"1767226200000", "1767229800000", "1767233400000"};
    char ids[3][33];
    for (int i = 0; i < 3; i++) {
        char *body = srr_asprintf("{\"id\":\"48213377\",\"alert_id\":\"48213377\","
                                  "\"alert_transition\":\"%s\",\"date\":\"%s\","
                                  "\"alert_scope\":\"host:web-01\"}",
                                  tr[i], dates[i]);
        CHECK(body);
        srr_webhook_alert a = parse_ok(body, SRR_WEBHOOK_JSON),
                          again = parse_ok(body, SRR_WEBHOOK_JSON);
        cr_assert_str_eq(a.id, again.id, "a retry is the same candidate");
        memcpy(ids[i], a.id, 33);
        srr_webhook_alert_clear(&a);
        srr_webhook_alert_clear(&again);
        free(body);
    }
    cr_assert_str_neq(ids[0], ids[1]);
    cr_assert_str_neq(ids[1], ids[2]);
    cr_assert_str_neq(ids[0], ids[2]);
    /* the same transition on another date (a Re-Triggered an hour later) */
    char *b1 = srr_asprintf("{\"id\":\"48213377\",\"alert_id\":\"1\",\"alert_transition\":"
                            "\"Re-Triggered\",\"date\":\"1767240000000\"}");
    srr_webhook_alert x = parse_ok(b1, SRR_WEBHOOK_JSON);
    cr_assert_str_neq(x.id, ids[1]);
    srr_webhook_alert_clear(&x);
    free(b1);
}

Test(webhook_payload, late_recovered_carries_its_own_date)
{
    /* Datadog retries reorder deliveries: each alert carries the date it
     * happened, whatever the arrival order (`now` is later than both). */
    char *trig = default_payload("1", "Re-Triggered", "db-01", "1767229800000");
    char *rec = default_payload("2", "Recovered", "db-01", "1767226200000");
    srr_webhook_alert t = parse_ok(trig, SRR_WEBHOOK_JSON), r = parse_ok(rec, SRR_WEBHOOK_JSON);
    cr_assert_eq(t.signal.observed_at, 1767229800);
    cr_assert_eq(r.signal.observed_at, 1767226200);
    cr_assert(r.signal.observed_at < t.signal.observed_at);
    srr_webhook_alert_clear(&t);
    srr_webhook_alert_clear(&r);
    free(trig);
    free(rec);
}


Test(webhook_payload, one_pass_reader_takes_the_usual_shapes)
{
    char *tmpl = wh_payload("7716548234011234567", "Triggered");
    char *big = wh_payload_sized("7716548234011234567", "Re-Triggered", 2048);
    cr_assert(CHECK(tmpl), "the recommended template");
    cr_assert(CHECK(big), "the benchmark's payload");
    /* Datadog's default payload, with its org object and escaped text */
    cr_assert(CHECK("{\"body\":\"%%%\\nCPU above 90% on web-01\\n%%%\",\"last_updated\":"
                    "\"1684492195000\",\"event_type\":\"query_alert_monitor\",\"title\":\"[P1] "
                    "[Recovered on {host:web-01}] CPU high\",\"date\":\"1684492195000\",\"org\":"
                    "{\"id\":\"11023\",\"name\":\"Acme\"},\"id\":\"7050278235293370890\"}"));
    /* every escape it decodes, UTF-8 as is and escaped */
    cr_assert(CHECK("{\"id\":\"1\",\"alert_id\":\"7\",\"text_only_msg\":\"a\\\"b\\\\c\\/d\\be"
                    "\\ff\\ng\\rh\\ti \\u00e9\\u20ac\\u0041 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98"
                    "\x80\",\"title\":\"\\u005bP1] x\"}"));
    /* whitespace everywhere, literals, unknown members (repeated too) */
    cr_assert(CHECK(" \r\n{ \"id\" : \"1\" ,\t\"alert_id\":\"7\", \"x\": null, \"x\": true,"
                    " \"y\": false, \"tags\": null, \"org\": {}, \"z\" : \"\" }\n "));
    cr_assert(CHECK("{\"id\":\"1\",\"alert_id\":\"7\",\"org\":{\"id\":\"3\",\"other\":\"q\","
                    "\"name\":null}}"));
    cr_assert(CHECK("{\"id\":\"1\",\"alert_id\":\"7\",\"org\":\"not an object\","
                    "\"org_id\":\"5\"}"));
    /* unexpanded variables, padding, an empty object */
    cr_assert(CHECK("{\"id\":\"$ID\",\"alert_cycle_key\":\" 9 \",\"alert_transition\":\"Warn\","
                    "\"date\":\"$DATE\",\"last_updated\":\"1700000000000\",\"alert_id\":\"7\"}"));
    cr_assert(CHECK("{}"));
    free(tmpl);
    free(big);
}

Test(webhook_payload, jansson_reads_what_the_one_pass_reader_leaves)
{
    static const char *const left[] = {
        "{\"id\":1,\"alert_id\":\"7\"}",                         /* a number */
        "{\"id\":\"1\",\"alert_id\":7.50}",                      /* a real */
        "{\"id\":\"1\",\"alert_id\":\"7\",\"n\":1e999}",         /* jansson refuses */
        "{\"id\":\"1\",\"alert_id\":\"7\",\"tags\":[\"a:b\",\"c\"]}", /* a list */
        "{\"id\":\"1\",\"alert_id\":\"7\",\"o\":{\"p\":{}}}",    /* nesting */
        "{\"id\":\"1\",\"id\":\"2\",\"alert_id\":\"7\"}",        /* jansson keeps the last */
        "{\"id\":\"1\",\"alert_id\":\"7\",\"org\":{\"id\":\"1\",\"id\":\"2\"}}",
        "{\"id\":\"1\",\"alert_id\":\"7\",\"org\":{\"id\":1}}",
        "{\"\\u0069d\":\"1\",\"alert_id\":\"7\"}",               /* an escaped name */
        "{\"id\":\"1\",\"alert_id\":\"\\ud83d\\ude00\"}",        /* a surrogate pair */
        "{\"id\":\"1\",\"alert_id\":\"7\\u0000\"}",              /* U+0000 */
        "{\"id\":\"1\",\"alert_id\":\"\\ud83d\"}",               /* a lone surrogate */
        "{\"id\":\"1\",\"alert_id\":\"\\x\"}",                   /* a bad escape */
        "{\"id\":\"1\",\"alert_id\":\"a\tb\"}",                  /* a raw control character */
        "{\"id\":\"1\",\"alert_id\":\"\xc0\xaf\"}",              /* overlong UTF-8 */
        "{\"id\":\"1\",\"alert_id\":\"\xed\xa0\x80\"}",          /* an encoded surrogate */
        "{\"id\":\"1\",\"alert_id\":\"7\"} x",                   /* trailing text */
        "{\"id\":\"1\",\"alert_id\":\"7\",}",                    /* a trailing comma */
        "{\"id\":\"1\" \"alert_id\":\"7\"}",                     /* a missing comma */
        "{\"id\":\"1\",\"alert_id\":\"7\"",                      /* cut short */
        "{\"id\":\"1\",\"alert_id\":nul}",                       /* a bad literal */
        "[{\"id\":\"1\"}]",                                      /* not an object */
        "\xef\xbb\xbf{\"id\":\"1\"}",                            /* a byte order mark */
        "",
    };
    for (size_t i = 0; i < sizeof left / sizeof *left; i++)
        cr_assert_not(CHECK(left[i]), "taken by the one-pass reader: %s", left[i]);
    /* a NUL byte inside the text */
    cr_assert_not(check_both("{\"id\":\"1\0\",\"alert_id\":\"7\"}", 26));
}

/* Every one-byte deletion and replacement of two payloads, read both ways. */
Test(webhook_payload, one_pass_mutations_agree_with_jansson)
{
    static const char subst[] = {'"', '\\', '{', '}', '[', ',', ':', ' ', 'x', '0', 'u',
                                 'n', '\0', '\n', (char)0x80, (char)0xc3, (char)0xff};
    char *docs[2];
    long total = 0, fast = 0;
    docs[0] = wh_payload("7716548234011234567", "Triggered");
    docs[1] = srr_strdup("{\"body\":\"%%%\\nCPU \\u00e9 \\\"90\\\" \\/\\t\",\"title\":\"[P1] "
                         "[Triggered on {host:a}] CPU\",\"date\":\"1684492195000\",\"org\":{\"id\""
                         ":\"11023\",\"name\":\"Acme\"},\"id\":\"7050278235293370890\"}");
    for (size_t d = 0; d < 2; d++) {
        size_t n = strlen(docs[d]);
        char *m = srr_malloc(n + 1);
        for (size_t i = 0; i < n; i++) {
            memcpy(m, docs[d], i); /* deletion of byte i */
            memcpy(m + i, docs[d] + i + 1, n - i - 1);
            fast += check_both(m, n - 1);
            total++;
            for (size_t k = 0; k < sizeof subst; k++) {
                if (docs[d][i] == subst[k])
                    continue;
                memcpy(m, docs[d], n);
                m[i] = subst[k];
                fast += check_both(m, n);
                total++;
            }
        }
        free(m);
        free(docs[d]);
    }
    cr_log_info("%ld of %ld mutations read in one pass", fast, total);
    cr_assert_gt(fast, total / 4, "the one-pass reader took only %ld of %ld", fast, total);
}
