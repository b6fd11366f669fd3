/* SPDX-License-Identifier: Apache-2.0
 *
 * test_candidate_fast.c - the writer's fast candidate reader
 * (core/candidate_fast.h) against the jansson path it stands in for: on
 * every document it accepts, the candidate must be exactly what
 * srr_candidate_from_json(json_loadb(JSON_REJECT_DUPLICATES)) builds, and
 * it must accept nothing that path refuses. Documents: what producers
 * write (with text that needs escaping, odd reals, every optional member
 * present or absent), the same reformatted and reordered, hand-written
 * edge cases, and every one-byte mutation of a few of them.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "candidate.h"
#include "candidate_fast.h"

static int str_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Whether two candidates are equal in every field, evidence included
 * (same values in the same member order). */
static int same_candidate(const srr_candidate *a, const srr_candidate *b)
{
    const srr_signal *x = &a->signal, *y = &b->signal;
    size_t i;
    if (strcmp(a->id, b->id) || !str_same(a->fingerprint, b->fingerprint) ||
        a->action != b->action || !str_same(a->rule, b->rule) || a->rule_index != b->rule_index ||
        !str_same(a->reason, b->reason) || a->urgency != b->urgency ||
        !str_same(a->title, b->title) || !str_same(a->owner, b->owner) ||
        a->timebox_s != b->timebox_s || a->created_at != b->created_at)
        return 0;
    if (x->source != y->source || !str_same(x->check, y->check) || x->kind != y->kind ||
        x->status != y->status || !str_same(x->service, y->service) || !str_same(x->env, y->env) ||
        x->ntags != y->ntags || memcmp(&x->value, &y->value, sizeof x->value) != 0 ||
        !str_same(x->condition, y->condition) || !str_same(x->summary, y->summary) ||
        !str_same(x->unit, y->unit) || x->window_start != y->window_start ||
        x->window_end != y->window_end || x->observed_at != y->observed_at ||
        !str_same(x->link, y->link) || !str_same(x->priority, y->priority))
        return 0;
    for (i = 0; i < x->ntags; i++)
        if (strcmp(x->tags[i], y->tags[i]))
            return 0;
    if (!x->evidence || !y->evidence)
        return !x->evidence && !y->evidence;
    {
        char *ex = json_dumps(x->evidence, JSON_COMPACT | JSON_ENCODE_ANY);
        char *ey = json_dumps(y->evidence, JSON_COMPACT | JSON_ENCODE_ANY);
        int same = json_equal(x->evidence, y->evidence) && ex && ey && strcmp(ex, ey) == 0;
        free(ex);
        free(ey);
        return same;
    }
}

/* Reads doc both ways and asserts the promise; returns 1 when the fast
 * path read it. */
static int check_doc(const char *doc, size_t len)
{
    srr_candidate full, fast;
    srr_error err = {0};
    json_error_t je;
    json_t *j = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &je);
    int full_ok = j && srr_candidate_from_json(j, &full, &err) == SRR_OK;
    int fast_ok = srr_candidate_parse_fast(doc, len, &fast);
    json_decref(j);
    if (fast_ok) {
        cr_assert(full_ok, "fast path accepted what jansson's path refuses (%s): %.*s",
                  j ? err.msg : je.text, (int)len, doc);
        cr_assert(same_candidate(&full, &fast), "fast path read differently: %.*s", (int)len, doc);
    }
    if (full_ok)
        srr_candidate_clear(&full);
    if (fast_ok)
        srr_candidate_clear(&fast);
    return fast_ok;
}

static int check_str(const char *doc)
{
    return check_doc(doc, strlen(doc));
}

static void fill(srr_candidate *c, int variant)
{
    memset(c, 0, sizeof(*c));
    memcpy(c->id, "5f0c2a9be1d34f6a8c7e0b1d2a3c4e5f", 33);
    c->fingerprint = srr_strdup("fp-checkout-errors");
    c->action = SRR_ACTION_INVESTIGATE;
    c->rule = srr_strdup("unexplained-growth");
    c->rule_index = 2;
    c->reason = srr_strdup("Growth nobody can explain yet gets a one-week investigation.");
    c->urgency = SRR_URGENCY_HIGH;
    c->title = srr_strdup("worker-memory: growth 18%/week");
    c->timebox_s = 604800;
    c->created_at = 1767225600;
    c->signal.source = SRR_SRC_METRICS;
    c->signal.check = srr_strdup("worker-memory");
    c->signal.kind = SRR_KIND_TREND;
    c->signal.status = SRR_STATUS_FIRING;
    c->signal.value = 18.25;
    c->signal.service = srr_strdup("worker");
    c->signal.env = srr_strdup("prod");
    c->signal.unit = srr_strdup("%/week");
    c->signal.condition = srr_strdup("growth > 10%/week");
    c->signal.summary = srr_strdup("growth 18.25%/week > 10%/week");
    c->signal.window_start = 1766620800;
    c->signal.window_end = 1767225600;
    c->signal.observed_at = 1767225600;
    c->signal.link = srr_strdup("https://app.datadoghq.com/metric/explorer?q=rss&from=1");
    srr_signal_add_tag(&c->signal, "host:w-2");
    srr_signal_add_tag(&c->signal, "env:prod");
    c->signal.evidence = json_pack("{s:[[i,f],[i,f]]}", "points", 1, 1.0, 2, 2.5);
    switch (variant) {
    case 1: /* optional members absent */
        c->timebox_s = 0;
        free(c->signal.service);
        free(c->signal.env);
        free(c->signal.unit);
        free(c->signal.link);
        c->signal.service = c->signal.env = c->signal.unit = c->signal.link = NULL;
        json_decref(c->signal.evidence);
        c->signal.evidence = NULL;
        for (size_t i = 0; i < c->signal.ntags; i++)
            free(c->signal.tags[i]);
        free(c->signal.tags);
        c->signal.tags = NULL;
        c->signal.ntags = 0;
        break;
    case 2: /* text that needs escaping, UTF-8, odd reals, an owner */
        free(c->title);
        c->title = srr_strdup("\"quoted\" \\ / tab\t nl\n caf\xc3\xa9 \xe2\x82\xac "
                              "\xf0\x9f\x98\x80 \x01\x1f");
        free(c->signal.summary);
        c->signal.summary = srr_strdup("max 93.1% > 90% on {host:\"w-1\"}");
        c->owner = srr_strdup("team-payments");
        c->signal.value = 1e300;
        c->signal.priority = srr_strdup("P1");
        c->signal.source = SRR_SRC_WEBHOOK;
        c->signal.kind = SRR_KIND_MONITOR_ALERT;
        c->signal.status = SRR_STATUS_RECOVERED;
        json_decref(c->signal.evidence);
        c->signal.evidence = json_pack("{s:[{s:s, s:I, s:b, s:n}], s:{}, s:[], s:f}", "samples",
                                       "message", "OOM \"killed\" \xc3\xa9", "at", (json_int_t)-5,
                                       "ok", 1, "none", "empty", "list", "ratio", -0.0);
        break;
    case 3: /* reals on the edge */
        c->signal.value = -0.0;
        c->action = SRR_ACTION_IGNORE;
        c->urgency = SRR_URGENCY_CRITICAL;
        c->rule_index = -1;
        json_decref(c->signal.evidence);
        c->signal.evidence = json_pack("[f,f,f,f,I]", 0.1, 3.0, 5e-324, 1.7976931348623157e308,
                                       (json_int_t)9223372036854775807LL);
        break;
    case 4: /* a string as evidence, a zero value, a backlog proposal */
        c->signal.value = 0.0;
        c->action = SRR_ACTION_BACKLOG;
        c->urgency = SRR_URGENCY_LOW;
        json_decref(c->signal.evidence);
        c->signal.evidence = json_string("just text");
        break;
    default: break;
    }
}

#define VARIANTS 5

/* A copy of object o with its members (and those of objects inside it) in
 * reverse order. New reference. */
static json_t *reversed(json_t *o)
{
    const char *keys[64];
    json_t *vals[64], *r = json_object(), *m;
    const char *k;
    size_t n = 0;
    json_object_foreach(o, k, m)
    {
        keys[n] = k;
        vals[n++] = m;
    }
    while (n--)
        json_object_set_new(r, keys[n],
                            json_is_object(vals[n]) ? reversed(vals[n]) : json_incref(vals[n]));
    return r;
}

Test(candidate_fast, reads_what_producers_write)
{
    for (int v = 0; v < VARIANTS; v++) {
        srr_candidate c;
        char *doc;
        json_t *j;
        fill(&c, v);
        doc = srr_candidate_dumps(&c);
        cr_assert_eq(check_str(doc), 1, "variant %d not read by the fast path: %s", v, doc);
        /* the same document pretty-printed, and with its members reversed */
        j = json_loads(doc, 0, NULL);
        cr_assert_not_null(j);
        {
            char *pretty = json_dumps(j, JSON_INDENT(3));
            cr_assert_eq(check_str(pretty), 1, "variant %d pretty: %s", v, pretty);
            free(pretty);
        }
        {
            json_t *rev = reversed(j);
            char *text = json_dumps(rev, JSON_COMPACT);
            cr_assert_eq(check_str(text), 1, "variant %d reversed: %s", v, text);
            free(text);
            json_decref(rev);
        }
        /* non-ASCII as \u escapes: read fast, or left to jansson (pairs) */
        {
            char *ascii = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
            check_str(ascii);
            free(ascii);
        }
        json_decref(j);
        free(doc);
        srr_candidate_clear(&c);
    }
}

#define HEAD "{\"schema\":\"srr.candidate/1\",\"id\":\"c1\",\"fingerprint\":\"f\","
#define RULE "\"action\":\"risk\",\"rule\":{\"name\":\"r\",\"index\":0},\"urgency\":\"low\","
#define SIG "\"signal\":{\"source\":\"datadog.metrics\",\"check\":\"c\",\"kind\":\"trend\""

Test(candidate_fast, edge_cases_agree_with_jansson)
{
    static const char *const docs[] = {
        HEAD RULE SIG "}}",
        HEAD RULE SIG "}}  \n",
        HEAD RULE SIG "}} x",
        HEAD RULE SIG "}}\0",
        " \t\r\n" HEAD RULE SIG "}}",
        "\xef\xbb\xbf" HEAD RULE SIG "}}",
        "[" HEAD RULE SIG "}}]",
        HEAD RULE SIG "},\"id\":\"again\"}",
        HEAD RULE SIG "},\"extra\":{\"a\":1,\"a\":2}}",
        HEAD RULE SIG "},\"extra\":1}",
        HEAD RULE SIG ",\"check\":\"twice\"}}",
        HEAD RULE SIG ",\"status\":null}}",
        HEAD RULE SIG ",\"status\":\"unknown\"}}",
        HEAD RULE SIG ",\"check\":null}}",
        HEAD RULE "\"signal\":{\"source\":\"datadog.metrics\",\"check\":null,\"kind\":\"trend\"}}",
        HEAD RULE SIG ",\"service\":null,\"env\":null,\"unit\":null,\"link\":null}}",
        HEAD RULE SIG ",\"service\":5}}",
        HEAD RULE SIG ",\"value\":5}}",
        HEAD RULE SIG ",\"value\":-0}}",
        HEAD RULE SIG ",\"value\":-0.0}}",
        HEAD RULE SIG ",\"value\":null}}",
        HEAD RULE SIG ",\"value\":\"5\"}}",
        HEAD RULE SIG ",\"value\":1e400}}",
        HEAD RULE SIG ",\"value\":-1e400}}",
        HEAD RULE SIG ",\"value\":1e-400}}",
        HEAD RULE SIG ",\"value\":1E+2}}",
        HEAD RULE SIG ",\"value\":01}}",
        HEAD RULE SIG ",\"value\":1.}}",
        HEAD RULE SIG ",\"value\":.5}}",
        HEAD RULE SIG ",\"value\":+1}}",
        HEAD RULE SIG ",\"value\":-}}",
        HEAD RULE SIG ",\"value\":1e}}",
        HEAD RULE SIG ",\"value\":NaN}}",
        HEAD RULE SIG ",\"value\":123456789012345678901234567890}}",
        HEAD RULE SIG ",\"value\":9223372036854775808}}",
        HEAD RULE SIG ",\"window_start\":9223372036854775807}}",
        HEAD RULE SIG ",\"window_start\":9223372036854775808}}",
        HEAD RULE SIG ",\"window_start\":-9223372036854775808}}",
        HEAD RULE SIG ",\"window_start\":1.5}}",
        HEAD RULE SIG ",\"window_start\":null}}",
        HEAD RULE SIG ",\"observed_at\":\"now\"}}",
        HEAD RULE SIG ",\"tags\":[]}}",
        HEAD RULE SIG ",\"tags\":[\"b:2\",\"a:1\",\"b:2\"]}}",
        HEAD RULE SIG ",\"tags\":[\"a\",1]}}",
        HEAD RULE SIG ",\"tags\":null}}",
        HEAD RULE SIG ",\"tags\":\"a\"}}",
        HEAD RULE SIG ",\"evidence\":null}}",
        HEAD RULE SIG ",\"evidence\":5}}",
        HEAD RULE SIG ",\"evidence\":true}}",
        HEAD RULE SIG ",\"evidence\":\"s\"}}",
        HEAD RULE SIG ",\"evidence\":{\"a\":1,\"a\":2}}}",
        HEAD RULE SIG ",\"evidence\":{\"a\":[1,{\"b\":\"}\"}]}}}",
        HEAD RULE SIG ",\"evidence\":{\"a\":]}}}",
        HEAD RULE SIG ",\"evidence\":[1,2,]}}",
        HEAD RULE SIG ",\"evidence\":{\"a\":1}}}}",
        HEAD RULE SIG ",\"evidence\":{\"s\":\"\\u0000\"}}}",
        HEAD RULE SIG ",\"evidence\":nul}}",
        HEAD RULE SIG ",\"evidence\":nullx}}",
        HEAD RULE SIG ",\"evidence\":tru}}",
        HEAD RULE SIG ",\"evidence\":[true,false,null,-0,1.5e3,\"x\",[],{}]}}",
        HEAD RULE SIG ",\"evidence\":[1 2]}}",
        HEAD RULE SIG ",\"evidence\":{\"a\":1,}}}",
        HEAD RULE SIG ",\"evidence\":{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":2}]}}}",
        HEAD RULE SIG ",\"evidence\":{\"a\":{\"b\":1,\"b\":2}}}}",
        HEAD RULE SIG ",\"evidence\":{\"k\\u00e9y\":1,\"k\u00e9y\":2}}}",
        HEAD RULE SIG ",\"evidence\":{\"a\":1,\"\\u0061\":2}}}",
        HEAD RULE SIG ",\"evidence\":{\"\\u0000\":1}}}",
        HEAD RULE SIG ",\"evidence\":{\"k\":\"\\ud83d\\ude00\"}}}",
        HEAD RULE SIG ",\"evidence\":{\"k\":\"tab\\t \\\"q\\\" \\u20ac\"}}}",
        HEAD RULE SIG ",\"evidence\":{\"v\":1e999}}}",
        HEAD RULE SIG ",\"evidence\":{\"v\":99999999999999999999}}}",
        HEAD RULE SIG ",\"evidence\": [ 1 , { \"a\" : [ ] } ] }}",
        HEAD RULE SIG ",\"summary\":\"a\\u00e9\\u20ac\\ud83d\\ude00\"}}",
        HEAD RULE SIG ",\"summary\":\"lone \\ud83d\"}}",
        HEAD RULE SIG ",\"summary\":\"lone \\ude00\"}}",
        HEAD RULE SIG ",\"summary\":\"nul \\u0000\"}}",
        HEAD RULE SIG ",\"summary\":\"bad \\x\"}}",
        HEAD RULE SIG ",\"summary\":\"short \\u12\"}}",
        HEAD RULE SIG ",\"summary\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00FF\"}}",
        HEAD RULE SIG ",\"summary\":\"raw\ttab\"}}",
        HEAD RULE SIG ",\"summary\":\"bad \xff utf-8\"}}",
        HEAD RULE SIG ",\"summary\":\"overlong \xc0\xaf\"}}",
        HEAD RULE SIG ",\"summary\":\"surrogate \xed\xa0\x80\"}}",
        HEAD RULE SIG ",\"summary\":\"past \xf4\x90\x80\x80\"}}",
        HEAD RULE SIG ",\"summary\":\"cut \xe2\x82\"}}",
        HEAD RULE SIG ",\"su\\u006dmary\":\"escaped name\"}}",
        HEAD RULE SIG "},\"owner\":null}",
        HEAD RULE SIG "},\"owner\":7}",
        HEAD RULE SIG "},\"reason\":null}",
        HEAD RULE SIG "},\"title\":[]}",
        HEAD RULE SIG "},\"timebox_s\":1.5}",
        HEAD RULE SIG "},\"timebox_s\":null}",
        HEAD RULE SIG "},\"created_at\":\"x\"}",
        "{\"schema\":\"srr.candidate/2\",\"id\":\"c1\",\"fingerprint\":\"f\"," RULE SIG "}}",
        "{\"schema\":\"srr.candidate/1\",\"id\":\"\",\"fingerprint\":\"f\"," RULE SIG "}}",
        "{\"schema\":\"srr.candidate/1\",\"id\":"
        "\"0123456789012345678901234567890123456789012345678901234567890123\","
        "\"fingerprint\":\"f\"," RULE SIG "}}",
        "{\"schema\":\"srr.candidate/1\",\"id\":"
        "\"01234567890123456789012345678901234567890123456789012345678901234\","
        "\"fingerprint\":\"f\"," RULE SIG "}}",
        "{\"schema\":\"srr.candidate/1\",\"id\":\"c\\u0031\",\"fingerprint\":\"f\"," RULE SIG "}}",
        "{\"schema\":\"srr.candidate/1\",\"id\":\"c1\",\"fingerprint\":\"\"," RULE SIG "}}",
        "{\"schema\":\"srr.candidate/1\",\"id\":\"c1\",\"fingerprint\":\"f\","
        "\"action\":\"panic\",\"rule\":{\"name\":\"r\"},\"urgency\":\"low\"," SIG "}}",
        HEAD "\"action\":\"risk\",\"rule\":{\"name\":\"r\"},\"urgency\":\"low\"," SIG "}}",
        HEAD "\"action\":\"risk\",\"rule\":{\"index\":3,\"name\":\"r\"},\"urgency\":\"low\"," SIG
             "}}",
        HEAD "\"action\":\"risk\",\"rule\":{\"index\":3},\"urgency\":\"low\"," SIG "}}",
        HEAD "\"action\":\"risk\",\"rule\":{\"name\":\"r\",\"index\":4294967297},"
             "\"urgency\":\"low\"," SIG "}}",
        HEAD "\"action\":\"risk\",\"rule\":{\"name\":\"r\",\"index\":2.0},\"urgency\":\"low\"," SIG
             "}}",
        HEAD "\"action\":\"risk\",\"rule\":{\"name\":\"r\",\"x\":1},\"urgency\":\"low\"," SIG "}}",
        HEAD "\"action\":\"risk\",\"rule\":\"r\",\"urgency\":\"low\"," SIG "}}",
        HEAD "\"action\":\"risk\",\"rule\":{\"name\":\"r\"},\"urgency\":\"urgent\"," SIG "}}",
        HEAD RULE "\"signal\":{\"source\":\"metrics\",\"check\":\"c\",\"kind\":\"trend\"}}",
        HEAD RULE "\"signal\":{\"check\":\"c\",\"kind\":\"trend\"}}",
        HEAD RULE "\"signal\":{\"source\":\"datadog.metrics\",\"check\":\"c\"}}",
        HEAD RULE "\"signal\":{}}",
        HEAD RULE "\"signal\":null}",
        HEAD RULE "\"signal\":[]}",
        HEAD RULE,
        "{}",
        "",
        "null",
    };
    int fast = 0;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        fast += check_str(docs[i]);
    /* the document with a NUL inside, given with its length */
    {
        static const char nul[] = HEAD RULE SIG "}}\0";
        check_doc(nul, sizeof nul - 1);
        check_doc(nul, sizeof nul - 2);
    }
    /* The valid ones it leaves to jansson: an unknown member, a real where
     * an integer is usual, a null owner/reason/timebox, a surrogate pair,
     * escaped names and ids, a rule with more than name and index. */
    cr_assert_geq(fast, 25, "only %d of the edge cases took the fast path", fast);
}

Test(candidate_fast, deep_evidence_agrees_with_jansson)
{
    for (int depth = 250; depth <= 2100; depth += 1850 / 4) {
        srr_buf b;
        srr_buf_init(&b, 0);
        srr_buf_printf(&b, "%s", HEAD RULE SIG ",\"evidence\":");
        for (int i = 0; i < depth; i++)
            srr_buf_append(&b, "[", 1);
        for (int i = 0; i < depth; i++)
            srr_buf_append(&b, "]", 1);
        srr_buf_printf(&b, "}}");
        check_doc(b.data, b.len);
        srr_buf_free(&b);
    }
}

/* Every one-byte deletion, duplication and replacement of producers'
 * documents: whatever the fast path still reads, jansson's path reads the
 * same. */
Test(candidate_fast, mutations_agree_with_jansson)
{
    static const char repl[] = "\"\\{}[],:09-.eEx \n\x01\x80\xc3nul/";
    long fast = 0, total = 0;
    for (int v = 0; v < VARIANTS; v += 2) {
        srr_candidate c;
        char *doc, *m;
        size_t len;
        fill(&c, v);
        doc = srr_candidate_dumps(&c);
        len = strlen(doc);
        m = srr_malloc(len + 2);
        for (size_t i = 0; i < len; i++) {
            /* delete byte i */
            memcpy(m, doc, i);
            memcpy(m + i, doc + i + 1, len - i - 1);
            fast += check_doc(m, len - 1);
            /* duplicate byte i */
            memcpy(m, doc, i + 1);
            memcpy(m + i + 1, doc + i, len - i);
            fast += check_doc(m, len + 1);
            /* replace byte i */
            memcpy(m, doc, len);
            for (size_t r = 0; r < sizeof repl - 1; r++) {
                if (repl[r] == doc[i])
                    continue;
                m[i] = repl[r];
                fast += check_doc(m, len);
                total++;
            }
            total += 2;
        }
        free(m);
        free(doc);
        srr_candidate_clear(&c);
    }
    cr_assert_gt(fast, 0);
    cr_log_info("%ld of %ld mutations read by the fast path", fast, total);
}
