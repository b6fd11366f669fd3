/* SPDX-License-Identifier: Apache-2.0
 *
 * test_core.c - unit tests of the shared foundation: the YAML tree and its
 * positions, the config loader's errors, durations, SHA-256, and the
 * candidate's JSON round trip and refusals.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "candidate.h"
#include "config.h"
#include "hash.h"
#include "log.h"
#include "srr.h"
#include "yaml.h"

static srr_config *parse_ok(const char *text)
{
    srr_config *cfg = NULL;
    srr_error err = {0};
    srr_rc rc = srr_config_parse("t.yaml", text, strlen(text), &cfg, &err);
    cr_assert_eq(rc, SRR_OK, "parse failed: %s", err.msg);
    return cfg;
}

static void parse_fails(const char *text, const char *expect)
{
    srr_config *cfg = NULL;
    srr_error err = {0};
    srr_rc rc = srr_config_parse("t.yaml", text, strlen(text), &cfg, &err);
    cr_assert_eq(rc, SRR_EINVAL, "expected failure for: %s", text);
    cr_assert_null(cfg);
    cr_assert(strstr(err.msg, expect) != NULL, "message '%s' lacks '%s'", err.msg, expect);
}

Test(yaml, keeps_positions)
{
    const char *t = "a:\n  b: 1\n  c: [x, 'y']\n";
    srr_yaml_node *root = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_yaml_parse("f.yaml", t, strlen(t), &root, &err), SRR_OK, "%s", err.msg);
    const srr_yaml_node *a = srr_yaml_get(root, "a");
    cr_assert_eq(a->type, SRR_YAML_MAP);
    const srr_yaml_node *c = srr_yaml_get(a, "c");
    cr_assert_eq(c->type, SRR_YAML_SEQ);
    cr_assert_eq(c->n, 2);
    cr_assert_eq(c->items[1]->line, 3);
    cr_assert_eq(c->items[1]->col, 10);
    cr_assert(c->items[1]->quoted);
    cr_assert_str_eq(a->pairs[0].key, "b");
    cr_assert_eq(a->pairs[0].line, 2);
    cr_assert_eq(a->pairs[0].col, 3);
    srr_yaml_free(root);
}

Test(yaml, syntax_error_has_position)
{
    const char *t = "a: [1, 2\nb: 3\n";
    srr_yaml_node *root = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_yaml_parse("f.yaml", t, strlen(t), &root, &err), SRR_EINVAL);
    cr_assert(strncmp(err.msg, "f.yaml:", 7) == 0, "%s", err.msg);
}

Test(yaml, refuses_duplicates_and_aliases)
{
    srr_yaml_node *root = NULL;
    srr_error err = {0};
    const char *dup = "a: 1\na: 2\n";
    cr_assert_eq(srr_yaml_parse("f.yaml", dup, strlen(dup), &root, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "f.yaml:2:1: duplicate key 'a'") != NULL, "%s", err.msg);
    const char *alias = "a: &x 1\nb: *x\n";
    cr_assert_eq(srr_yaml_parse("f.yaml", alias, strlen(alias), &root, &err), SRR_EINVAL);
}

Test(config, defaults_and_env)
{
    setenv("DD_API_KEY", "k1", 1);
    setenv("DD_APP_KEY", "k2", 1);
    setenv("DD_SITE", "datadoghq.eu", 1);
    srr_config *cfg = parse_ok("store: {path: /tmp/x.db}\n");
    cr_assert_str_eq(cfg->datadog.api_key, "k1");
    cr_assert_str_eq(cfg->datadog.site, "datadoghq.eu");
    char *url = srr_config_dd_base_url(cfg);
    cr_assert_str_eq(url, "https://api.datadoghq.eu");
    free(url);
    cr_assert_eq(cfg->datadog.timeout_s, 30);
    cr_assert_str_eq(cfg->queue.backend, "spool");
    cr_assert_str_eq(cfg->store.path, "/tmp/x.db");
    cr_assert_eq(cfg->sweep.window_s, 7 * 86400);
    srr_config_destroy(cfg);
    unsetenv("DD_API_KEY");
    unsetenv("DD_APP_KEY");
    unsetenv("DD_SITE");
}

Test(config, api_url_wins_and_relative_paths)
{
    const char *t = "datadog: {api_url: 'http://127.0.0.1:9/'}\nqueue: {spool_dir: sp}\n";
    srr_config *cfg = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_config_parse("/etc/srr/srr.yaml", t, strlen(t), &cfg, &err), SRR_OK);
    char *url = srr_config_dd_base_url(cfg);
    cr_assert_str_eq(url, "http://127.0.0.1:9");
    free(url);
    cr_assert_str_eq(cfg->queue.spool_dir, "/etc/srr/sp");
    srr_config_destroy(cfg);
}

Test(config, checks_are_parsed)
{
    srr_config *cfg = parse_ok("checks:\n"
                               "  - name: mem\n"
                               "    source: metrics\n"
                               "    query: 'avg:process.rss{*} by {host}'\n"
                               "    when: 'growth > 10%/week'\n"
                               "    window: 3d\n"
                               "  - {name: errs, source: logs, query: 'status:error', when: "
                               "'count > 5', group_by: [service, '@http.status_code']}\n");
    cr_assert_eq(cfg->nchecks, 2);
    cr_assert_eq(cfg->checks[0].source, SRR_SRC_METRICS);
    cr_assert_eq(cfg->checks[0].window_s, 3 * 86400);
    cr_assert_eq(cfg->checks[0].when_node->line, 5);
    cr_assert_eq(cfg->checks[1].source, SRR_SRC_LOGS);
    cr_assert_eq(cfg->checks[1].ngroup_by, 2);
    cr_assert_str_eq(cfg->checks[1].group_by[1], "@http.status_code");
    cr_assert_eq(cfg->checks[1].window_s, 7 * 86400);
    srr_config_destroy(cfg);
}

Test(config, errors_name_file_line_and_key)
{
    parse_fails("datadog:\n  timeout: 30s\n  tiemout: 5s\n",
                "t.yaml:3:3: unknown key 'tiemout' in datadog");
    parse_fails("datadog:\n  max_concurrency: many\n",
                "t.yaml:2:20: datadog.max_concurrency: expected an integer, found 'many'");
    parse_fails("datadog:\n  timeout: soon\n", "t.yaml:2:12: datadog.timeout: expected a duration");
    parse_fails("stores: {}\n", "t.yaml:1:1: unknown key 'stores' in the top level");
    parse_fails("queue: {backend: rabbit}\n", "queue.backend: expected spool or kafka");
    parse_fails("checks: {a: 1}\n", "checks: expected a list");
    parse_fails("checks:\n  - {name: a, source: traces, query: x, when: 'max > 1'}\n",
                "expected metrics or logs");
    parse_fails("checks:\n  - {name: a, source: logs, query: x}\n", "missing 'when'");
    parse_fails("checks:\n  - {name: a, source: logs, query: x, when: 'count > 1'}\n"
                "  - {name: a, source: logs, query: y, when: 'count > 1'}\n",
                "t.yaml:3:12: checks[1].name: duplicate check name 'a'");
    parse_fails("checks:\n  - {name: 'a/b', source: logs, query: x, when: 'count > 1'}\n",
                "may only use letters");
    parse_fails("checks:\n  - {name: a, source: logs, query: x, when: 'count > 1', colour: red}\n",
                "unknown key 'colour' in checks[0]");
}

Test(config, missing_file_is_io_error)
{
    srr_config *cfg = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_config_load("/nonexistent/srr.yaml", &cfg, &err), SRR_EIO);
    cr_assert(strstr(err.msg, "not found") != NULL, "%s", err.msg);
}

Test(core, durations)
{
    int64_t s;
    cr_assert_eq(srr_duration_parse("7d", &s), SRR_OK);
    cr_assert_eq(s, 604800);
    cr_assert_eq(srr_duration_parse("90", &s), SRR_OK);
    cr_assert_eq(s, 90);
    cr_assert_eq(srr_duration_parse("2w", &s), SRR_OK);
    cr_assert_eq(s, 1209600);
    cr_assert_eq(srr_duration_parse("7 days", &s), SRR_EINVAL);
    cr_assert_eq(srr_duration_parse("-1h", &s), SRR_EINVAL);
    cr_assert_eq(srr_duration_parse("", &s), SRR_EINVAL);
}

Test(core, iso_time_round_trip)
{
    char buf[32];
    int64_t t;
    srr_time_iso(1767225600, buf);
    cr_assert_str_eq(buf, "2026-01-01T00:00:00Z");
    cr_assert_eq(srr_time_parse_iso("2026-01-01T00:00:05.123Z", &t), SRR_OK);
    cr_assert_eq(t, 1767225605);
    cr_assert_eq(srr_time_parse_iso("yesterday", &t), SRR_EINVAL);
}

Test(core, sha256_vectors)
{
    const char *abc[] = {"abc"};
    char out[65];
    srr_hash_id(abc, 1, 64, out);
    cr_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *empty[] = {""};
    srr_hash_id(empty, 1, 16, out);
    cr_assert_str_eq(out, "e3b0c44298fc1c14");
    /* 56 bytes: padding spills into a second block. */
    const char *two[] = {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"};
    srr_hash_id(two, 1, 64, out);
    cr_assert_str_eq(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* Runs of 'a' around the padding's block boundaries (digests from
     * Python's hashlib). */
    static const struct {
        size_t n;
        const char *hex;
    } runs[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        char a[128];
        const char *one[] = {a};
        memset(a, 'a', runs[i].n);
        a[runs[i].n] = '\0';
        srr_hash_id(one, 1, 64, out);
        cr_assert_str_eq(out, runs[i].hex, "%zu bytes", runs[i].n);
    }
}

/* Parts are joined by one NUL each, so ("a","b") and ("a\0b") agree and
 * ("check","","x") differs from ("check","x"); the one-shot digest is the
 * same function (digests from Python's hashlib). */
Test(core, sha256_parts_and_one_shot)
{
    const char *ab[] = {"a", "b"};
    const char *gap[] = {"check", NULL, "x"};
    char out[65];
    unsigned char d[32];
    char hex[65];
    srr_hash_id(ab, 2, 64, out);
    cr_assert_str_eq(out, "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138");
    srr_hash_id(gap, 3, 64, out);
    cr_assert_str_eq(out, "9b9b4bc790f1ca1670a14f5f8d03de5131216293ad88c96949db42a7a8a7f67b");
    srr_sha256_of("a\0b", 3, d);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    cr_assert_str_eq(hex, "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138");
    /* and in pieces */
    srr_sha256 c;
    srr_sha256_init(&c);
    srr_sha256_update(&c, "a", 1);
    srr_sha256_update(&c, "\0b", 2);
    memset(d, 0, sizeof(d));
    srr_sha256_final(&c, d);
    cr_assert_null(c.ctx);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    cr_assert_str_eq(hex, "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138");
    srr_hash_id(ab, 2, 100, out); /* capped at 64 */
    cr_assert_eq(strlen(out), 64);
}

static void *hash_many(void *arg)
{
    const char *parts[] = {"disk-usage", "host:web-01", "threshold", "2026-01-01T00:00:00Z"};
    char out[65];
    for (int i = 0; i < 2000; i++) {
        srr_hash_id(parts, 4, 32, out);
        if (strcmp(out, (const char *)arg) != 0)
            return (void *)1;
    }
    return NULL;
}

/* The digest is fetched once and shared: threads hashing at once agree. */
Test(core, sha256_threads)
{
    const char *parts[] = {"disk-usage", "host:web-01", "threshold", "2026-01-01T00:00:00Z"};
    char want[65];
    pthread_t t[4];
    void *r;
    srr_hash_id(parts, 4, 32, want);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, hash_many, want), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], &r);
        cr_assert_null(r, "thread %d computed another id", i);
    }
}

Test(core, bounded_buffer)
{
    srr_buf b;
    srr_buf_init(&b, 8);
    cr_assert_eq(srr_buf_append(&b, "12345", 5), SRR_OK);
    cr_assert_eq(srr_buf_append(&b, "6789", 4), SRR_EINVAL);
    cr_assert_eq(b.len, 5);
    cr_assert_str_eq(b.data, "12345");
    srr_buf_free(&b);
}

Test(core, secure_equal)
{
    cr_assert(srr_secure_equal("secret", 6, "secret", 6));
    cr_assert_not(srr_secure_equal("secret", 6, "secreT", 6));
    cr_assert_not(srr_secure_equal("secret", 6, "secret2", 7));
    cr_assert_not(srr_secure_equal("", 0, "x", 1));
}

static void fill_candidate(srr_candidate *c)
{
    memset(c, 0, sizeof(*c));
    memcpy(c->id, "abc123", 7);
    c->fingerprint = srr_strdup("fp1");
    c->action = SRR_ACTION_INVESTIGATE;
    c->rule = srr_strdup("growth");
    c->rule_index = 2;
    c->reason = srr_strdup("Memory grows with no known cause.");
    c->urgency = SRR_URGENCY_HIGH;
    c->title = srr_strdup("worker-memory: growth 18%/week");
    c->timebox_s = 604800;
    c->created_at = 1767225600;
    c->signal.source = SRR_SRC_METRICS;
    c->signal.check = srr_strdup("worker-memory");
    c->signal.kind = SRR_KIND_TREND;
    c->signal.value = 18.25;
    c->signal.service = srr_strdup("worker");
    srr_signal_add_tag(&c->signal, "host:w-2");
    srr_signal_add_tag(&c->signal, "env:prod");
    srr_signal_add_tag(&c->signal, "host:w-2");
    c->signal.evidence = json_pack("{s:[[f,f]]}", "points", 1.0, 2.0);
}

Test(candidate, round_trip)
{
    srr_candidate c, d;
    srr_error err = {0};
    fill_candidate(&c);
    cr_assert_eq(c.signal.ntags, 2);
    cr_assert_str_eq(c.signal.tags[0], "env:prod");
    cr_assert_str_eq(srr_signal_tag(&c.signal, "host"), "w-2");
    char *s = srr_candidate_dumps(&c);
    cr_assert_eq(srr_candidate_parse(s, strlen(s), &d, &err), SRR_OK, "%s", err.msg);
    cr_assert_str_eq(d.id, "abc123");
    cr_assert_eq(d.action, SRR_ACTION_INVESTIGATE);
    cr_assert_eq(d.urgency, SRR_URGENCY_HIGH);
    cr_assert_eq(d.rule_index, 2);
    cr_assert_eq(d.timebox_s, 604800);
    cr_assert_eq(d.signal.kind, SRR_KIND_TREND);
    cr_assert_float_eq(d.signal.value, 18.25, 1e-9);
    cr_assert_eq(d.signal.ntags, 2);
    cr_assert(json_equal(d.signal.evidence, c.signal.evidence));
    free(s);
    srr_candidate_clear(&c);
    srr_candidate_clear(&d);
}

Test(candidate, dumps_is_jansson_text_byte_for_byte)
{
    /* srr_candidate_dumps writes its text directly (core/jsonw.c); it must
     * stay the text jansson produces from srr_candidate_to_json, with
     * optional members present and absent. */
    srr_candidate c;
    for (int variant = 0; variant < 3; variant++) {
        char *direct, *viajansson;
        json_t *j;
        fill_candidate(&c);
        c.owner = srr_strdup("team-payments");
        if (variant == 1) { /* optional members absent */
            free(c.owner);
            c.owner = NULL;
            c.timebox_s = 0;
            json_decref(c.signal.evidence);
            c.signal.evidence = NULL;
            free(c.signal.service);
            c.signal.service = NULL;
        } else if (variant == 2) { /* text that needs escaping, odd reals */
            free(c.title);
            c.title = srr_strdup("\"quoted\" \\ tab\t caf\xc3\xa9 \x01");
            c.signal.value = 1e300;
            c.signal.link = srr_strdup("https://app.datadoghq.com/x?a=1&b=2");
        }
        j = srr_candidate_to_json(&c);
        viajansson = json_dumps(j, JSON_COMPACT);
        direct = srr_candidate_dumps(&c);
        cr_assert_str_eq(direct, viajansson, "variant %d", variant);
        free(direct);
        free(viajansson);
        json_decref(j);
        srr_candidate_clear(&c);
    }
}

Test(candidate, poison_is_refused_with_reason)
{
    srr_candidate d;
    srr_error err = {0};
    const char *bad_json = "{\"schema\": \"srr.candidate/1\", ";
    cr_assert_eq(srr_candidate_parse(bad_json, strlen(bad_json), &d, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "not JSON") != NULL, "%s", err.msg);
    const char *v2 = "{\"schema\": \"srr.candidate/2\", \"id\": \"x\"}";
    cr_assert_eq(srr_candidate_parse(v2, strlen(v2), &d, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "unknown schema 'srr.candidate/2'") != NULL, "%s", err.msg);
    const char *noid = "{\"schema\": \"srr.candidate/1\"}";
    cr_assert_eq(srr_candidate_parse(noid, strlen(noid), &d, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "'id'") != NULL, "%s", err.msg);
    const char *badact = "{\"schema\":\"srr.candidate/1\",\"id\":\"x\",\"fingerprint\":\"f\","
                         "\"action\":\"panic\",\"urgency\":\"low\"}";
    cr_assert_eq(srr_candidate_parse(badact, strlen(badact), &d, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "action") != NULL, "%s", err.msg);
}

/* The README's config reference is the loader's own table, printed: if an
 * option changes, this fails until the README is regenerated with
 * `srr config reference`. */
Test(config, readme_reference_is_current)
{
    char *readme = NULL, *buf = NULL;
    size_t len = 0, blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    srr_config_print_reference(f);
    fclose(f);
    cr_assert_eq(srr_file_read(SRR_SOURCE_DIR "/README.md", 0, &readme, &len, NULL), SRR_OK);
    cr_assert(strstr(readme, buf) != NULL,
                 "README.md's configuration reference differs from `srr config reference`:\n%s",
                 buf);
    free(readme);
    free(buf);
}

Test(config, kafka_section_and_passthrough)
{
    srr_config *cfg = parse_ok("queue:\n  backend: kafka\n  kafka:\n    brokers: 'b1:9092,b2:9092'\n"
                               "    rdkafka:\n      security.protocol: SASL_SSL\n"
                               "      sasl.mechanism: PLAIN\n");
    cr_assert_str_eq(cfg->queue.backend, "kafka");
    cr_assert_str_eq(cfg->queue.kafka.brokers, "b1:9092,b2:9092");
    cr_assert_str_eq(cfg->queue.kafka.topic, "srr.candidates");
    cr_assert_str_eq(cfg->queue.kafka.group, "srr-writer");
    cr_assert_eq(cfg->queue.kafka.nrdkafka, 2);
    cr_assert_str_eq(cfg->queue.kafka.rdkafka[1].key, "sasl.mechanism");
    cr_assert_str_eq(cfg->queue.kafka.rdkafka[1].value, "PLAIN");
    srr_config_destroy(cfg);
    parse_fails("queue:\n  kafka:\n    brokerz: x\n", "t.yaml:3:5: unknown key 'brokerz' in queue.kafka");
    parse_fails("queue:\n  kafka:\n    rdkafka: [a]\n", "queue.kafka.rdkafka: expected a map");
    parse_fails("queue:\n  kafak: {}\n", "unknown key 'kafak' in queue (expected one of: backend, "
                                         "spool_dir, spool_retention, kafka)");
}

Test(config, webhook_secrets_come_from_env_or_file)
{
    setenv("SRR_WEBHOOK_TOKEN", "s3cret", 1);
    srr_config *cfg = parse_ok("webhook: {listen: '127.0.0.1:0'}\n");
    cr_assert_str_eq(cfg->webhook.token, "s3cret");
    cr_assert_null(cfg->webhook.basic_password);
    cr_assert_eq(cfg->webhook.max_body_bytes, 262144);
    srr_config_destroy(cfg);
    unsetenv("SRR_WEBHOOK_TOKEN");
    char path[] = "/tmp/srr-secret-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "from-file\nignored\n", 18), 18);
    close(fd);
    char *text = srr_asprintf("webhook: {token_file: '%s'}\n", path);
    cfg = parse_ok(text);
    cr_assert_str_eq(cfg->webhook.token, "from-file");
    srr_config_destroy(cfg);
    free(text);
    unlink(path);
    text = srr_asprintf("webhook: {token_file: '%s'}\n", path);
    srr_error err = {0};
    cr_assert_eq(srr_config_parse("t.yaml", text, strlen(text), &cfg, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "webhook.token_file") != NULL, "%s", err.msg);
    free(text);
}

Test(log, secrets_are_redacted_from_errors_and_logs)
{
    srr_error err = {0};
    srr_secret_register("abcd1234secret");
    srr_secret_register("xy"); /* too short to register: would redact words */
    srr_error_set(&err, SRR_EAUTH, "key abcd1234secret refused, again abcd1234secret; xy stays");
    cr_assert_str_eq(err.msg, "key [REDACTED] refused, again [REDACTED]; xy stays");
    srr_error_at(&err, SRR_EINVAL, "f", 1, 2, "%s", "abcd1234secret");
    cr_assert_str_eq(err.msg, "f:1:2: [REDACTED]");
    char small[16] = "abcd1234secret!";
    srr_redact(small, sizeof(small));
    cr_assert_str_eq(small, "[REDACTED]!");
}

Test(log, json_lines_are_one_object_each, .init = cr_redirect_stderr)
{
    srr_secret_register("tok-99887766");
    srr_log_set_format(SRR_LOG_JSON);
    const char *kv[] = {"request_id", "r-1", "auth", "tok-99887766", NULL};
    srr_log_kv(SRR_LOG_WARN, kv, "line one\nline two with tok-99887766");
    srr_log_set_format(SRR_LOG_TEXT);
    srr_log(SRR_LOG_INFO, "plain %d\nnext", 42);
    fflush(stderr);
    FILE *f = cr_get_redirected_stderr();
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    char *nl = strchr(buf, '\n');
    cr_assert_not_null(nl);
    *nl = '\0';
    json_error_t je;
    json_t *o = json_loads(buf, 0, &je);
    cr_assert_not_null(o, "not JSON: %s", buf);
    cr_assert_str_eq(json_string_value(json_object_get(o, "level")), "warn");
    cr_assert_str_eq(json_string_value(json_object_get(o, "request_id")), "r-1");
    cr_assert_str_eq(json_string_value(json_object_get(o, "auth")), "[REDACTED]");
    cr_assert_str_eq(json_string_value(json_object_get(o, "msg")),
                     "line one\nline two with [REDACTED]");
    json_decref(o);
    cr_assert(strstr(nl + 1, " info plain 42 next\n") != NULL, "%s", nl + 1);
    cr_assert(strstr(nl + 1, "tok-99887766") == NULL);
}

Test(config, team_members_and_owners)
{
    srr_config *cfg = parse_ok("team:\n  members: [alice, bob, carol]\n"
                               "  owners: {checkout: alice, postgres: platform}\n");
    cr_assert_eq(cfg->team.nmembers, 3);
    cr_assert_str_eq(cfg->team.members[2], "carol");
    cr_assert_eq(cfg->team.nowners, 2);
    cr_assert_str_eq(cfg->team.owners[1].key, "postgres");
    cr_assert_eq(cfg->team.skew_percent, 200);
    cr_assert_eq(cfg->team.stale_s, 30 * 86400);
    srr_config_destroy(cfg);
    parse_fails("team:\n  members: alice\n", "t.yaml:2:12: team.members: expected a list");
    parse_fails("team:\n  members: [alice, [bob]]\n", "team.members[1]: expected a string");
}
